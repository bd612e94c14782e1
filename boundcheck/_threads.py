r"""BLAS threads and work buffers: boundcheck's one policy (README, "Performance").

Threads
-------
The checks multiply many small matrices and run many small eigenproblems. For those a threaded
BLAS loses: on two shared cores, its threads' start-up and spin-waiting made whole checks 2 to 20
times slower than one thread (Theorem 2: 2.9 s with one BLAS thread, 66 s with two; the L-BFGS of
the OPT bracket, whose vectors go through scipy's own BLAS, 5 times slower). So:

* **Small work runs at one BLAS thread.** :func:`single_thread` limits every BLAS library loaded
  in the process (numpy's and scipy's OpenBLAS are two libraries) to one thread; the runner runs
  each check under it, and so do the library's entry points that are called directly
  (:func:`boundcheck.convex.bracket.opt_bracket`, the Rademacher complexities).
* **Large operations opt into more.** :func:`threads_for` gives an operation of ``flops``
  floating-point operations every allowed core when it reaches :data:`LARGE_FLOPS` (a GEMM of
  about 50 ms on one core, where thread start-up is noise), else one thread; ``with
  blas_threads(threads_for(flops)):`` wraps it. Examples: the GEMMs that build the matrices
  :math:`M_r` at (4096, 4096, 64) in :mod:`boundcheck.numeric.rademacher`, the operator
  :math:`\mathcal A` and its adjoint of the OPT relaxation at (5000, 4096, 32).
* **Batched eigen work runs on every core as Python threads.** :func:`map_batches` splits a batch
  of independent problems (a stack of matrices) into one slice per allowed core and runs them
  in a thread pool with one BLAS thread each: LAPACK releases the GIL, so the slices run at once.
  Small batches (below :data:`PARALLEL_MIN_WORK` flops) stay in the calling thread.
* **Allowed cores.** The cores this process may run on (``os.sched_getaffinity``), capped by
  :func:`set_max_threads` (a sweep running ``k`` worker processes gives each
  ``cores // k``). No environment variable is read or needs to be set; an
  ``OPENBLAS_NUM_THREADS`` the user set still caps what OpenBLAS itself will start.

Results do not depend on the thread count beyond rounding: OpenBLAS splits a GEMM by output
blocks (each entry summed in the same order), LAPACK's eigensolvers run single-threaded inside
each problem, and :func:`map_batches` assigns each problem to one slice whatever the cores.

Buffers
-------
Iterative solvers allocate their work arrays once and write into them (``out=`` arguments,
in-place updates): :class:`boundcheck.convex.fast` keeps the extrapolated point, the step and the
Gram blocks of the accelerated projected gradient in arrays made before the first iteration, so
that an iteration at (5000, 4096, 32) does not map and fault in fresh pages for ~32 MB temporaries;
the model core keeps its own pool (:data:`boundcheck.network.CACHE_BYTES`).
"""

from __future__ import annotations

import functools
import os
import sys
import threading

import numpy as np

__all__ = ["LARGE_FLOPS", "PARALLEL_MIN_WORK", "cores", "set_max_threads", "single_thread", "blas_threads",
           "threads_for", "large", "map_batches", "eigh", "eigvalsh", "small_products", "blas_info"]

#: An operation of at least this many flops runs on every allowed core (a GEMM of ~50 ms on one core).
LARGE_FLOPS = 2e9
#: A batch of eigenproblems of at least this many flops (about d^3 each) is split across the cores.
PARALLEL_MIN_WORK = 2e7

_MAX_THREADS = None
_LOCK = threading.Lock()
_CONTROLLER = {}


def cores() -> int:
    """The cores this process may use: its CPU affinity, capped by :func:`set_max_threads`."""
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        available = os.cpu_count() or 1
    if _MAX_THREADS is not None:
        available = min(available, _MAX_THREADS)
    return max(1, available)


def set_max_threads(n):
    """Cap the threads any boundcheck operation uses at ``n`` (None removes the cap); returns the old cap.

    For a process that shares the machine with ``k - 1`` others doing the same work (sweep
    workers): ``set_max_threads(max(1, cores() // k))``.
    """
    global _MAX_THREADS
    old = _MAX_THREADS
    if n is not None:
        n = int(n)
        if n < 1:
            raise ValueError(f"n must be a positive number of threads or None; got {n}")
    _MAX_THREADS = n
    return old


def _controller():
    """One threadpoolctl controller over every BLAS library loaded (scipy's BLAS loaded first).

    numpy and scipy each ship an OpenBLAS; a controller made before scipy's is loaded would not
    limit it, so scipy's BLAS is loaded here, once, before the controller is made.
    """
    key = "scipy.linalg._fblas" in sys.modules
    found = _CONTROLLER.get(key)
    if found is None:
        with _LOCK:
            try:
                import scipy.linalg  # noqa: F401 - loads scipy's BLAS so that the controller sees it
            except ImportError:  # pragma: no cover - scipy is a dependency
                pass
            from threadpoolctl import ThreadpoolController

            found = ThreadpoolController()
            _CONTROLLER.clear()
            _CONTROLLER["scipy.linalg._fblas" in sys.modules] = found
    return found


def blas_threads(n):
    """A context in which every loaded BLAS library runs at most ``n`` threads (capped by :func:`cores`)."""
    n = max(1, min(int(n), cores()))
    return _controller().limit(limits=n, user_api="blas")


def single_thread():
    """A context in which BLAS runs one thread: the policy for the small products of the checks."""
    return blas_threads(1)


def threads_for(flops) -> int:
    """BLAS threads for one operation of ``flops`` floating-point operations: every allowed core from
    :data:`LARGE_FLOPS` on, else one."""
    return cores() if flops >= LARGE_FLOPS else 1


def large(flops):
    """``blas_threads(threads_for(flops))``: the context for one operation of ``flops`` flops."""
    return blas_threads(threads_for(flops))


def small_products(func):
    """Decorator for an entry point called outside the runner: ``func`` runs under :func:`single_thread`
    (its large operations opt into more with :func:`large`)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with single_thread():
            return func(*args, **kwargs)

    return wrapper


def map_batches(func, n_items, *, work_per_item=0.0, out=None):
    """``func(slice)`` over slices covering ``range(n_items)``, one slice per allowed core, in threads.

    Each thread runs with one BLAS thread (LAPACK releases the GIL, so the slices run at once).
    Returns the list of the slices' results in order. With one core, or less than
    :data:`PARALLEL_MIN_WORK` flops in all (``n_items * work_per_item``), ``func`` runs once on
    the whole range in the calling thread (still at one BLAS thread).
    """
    n_items = int(n_items)
    workers = cores()
    if workers == 1 or n_items < 2 or n_items * work_per_item < PARALLEL_MIN_WORK:
        with single_thread():
            return [func(slice(0, n_items))]
    workers = min(workers, n_items)
    bounds = [n_items * i // workers for i in range(workers + 1)]
    slices = [slice(bounds[i], bounds[i + 1]) for i in range(workers)]
    from concurrent.futures import ThreadPoolExecutor

    with single_thread(), ThreadPoolExecutor(max_workers=workers) as pool:
        # threads over slices of independent problems; each slice is one batched LAPACK call
        return list(pool.map(func, slices))


def eigvalsh(stack, UPLO="L"):
    """``numpy.linalg.eigvalsh`` of a (k, d, d) stack, the stack split across the cores (:func:`map_batches`).

    Each matrix is its own LAPACK call whatever the split, so the result equals numpy's bit for bit.
    """
    out = np.empty(stack.shape[:-1])

    def part(rows):
        out[rows] = np.linalg.eigvalsh(stack[rows], UPLO=UPLO)

    map_batches(part, stack.shape[0], work_per_item=float(stack.shape[-1]) ** 3)
    return out


def eigh(stack, UPLO="L"):
    """``numpy.linalg.eigh`` of a (k, d, d) stack, split across the cores like :func:`eigvalsh`:
    ``(eigenvalues (k, d), eigenvectors (k, d, d))``."""
    values, vectors = np.empty(stack.shape[:-1]), np.empty(stack.shape)

    def part(rows):
        values[rows], vectors[rows] = np.linalg.eigh(stack[rows], UPLO=UPLO)

    map_batches(part, stack.shape[0], work_per_item=4.0 * float(stack.shape[-1]) ** 3)
    return values, vectors


def blas_info():
    """The BLAS libraries loaded and their current thread counts (threadpoolctl), for benchmarks and reports."""
    return [{k: info.get(k) for k in ("internal_api", "num_threads", "version", "architecture", "filepath")}
            for info in _controller().info() if info.get("user_api") == "blas"]
