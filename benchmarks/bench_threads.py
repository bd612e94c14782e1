"""Benchmark of the thread policy (boundcheck._threads): the eigen phase of the M_r build, and checks.

    python benchmarks/bench_threads.py [--n 4096] [--width 4096] [--dim 64] [--repeats 5]
    python benchmarks/bench_threads.py --claims "Theorem 2" "Lemma 12" [--repeats 3]

Eigen phase: the extreme eigenvalues of the m matrices M_r (d x d) of the quadratic-class Rademacher
complexity at (n, m, d), three ways on the same stack, interleaved ``--repeats`` times (median):

* one batched ``eigvalsh`` with the BLAS threads the process starts with (the baseline);
* one batched ``eigvalsh`` with one BLAS thread;
* the library's :func:`boundcheck.numeric.rademacher._extreme_eigs`: one slice per core in Python
  threads, one BLAS thread each.

Claims: each claim run once with the library's policy (each check at one BLAS thread, large
operations opting into more) and once with every BLAS library left at its default threads
(the policy switched off by capping nothing and lifting the check's limit), interleaved.

Every figure is printed beside its baseline from the same run, as a ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from boundcheck import _threads
from boundcheck.numeric import rademacher as rad


def _stack(n, m, d, rng):
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    w_init = rng.standard_normal((m, d))
    signs = rng.choice([-1.0, 1.0], size=n)
    from boundcheck.activations import get_activation

    weights = get_activation("relu3").derivative(w_init @ x.T, 2) * (signs / n)
    return rad._PackedGram(x).full_matrices(weights)


def _timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def eigen_phase(n, m, d, repeats):
    mats = _stack(n, m, d, np.random.default_rng(0))
    default_threads = max(i["num_threads"] for i in _threads.blas_info())

    def default():
        np.linalg.eigvalsh(mats, UPLO="U")

    def one_thread():
        with _threads.single_thread():
            np.linalg.eigvalsh(mats, UPLO="U")

    def library():
        rad._extreme_eigs(mats)

    ways = {f"one eigvalsh, default BLAS threads ({default_threads})": default,
            "one eigvalsh, one BLAS thread": one_thread,
            f"library: {_threads.cores()} Python threads x one BLAS thread": library}
    times = {k: [] for k in ways}
    for _ in range(repeats):  # interleaved, so that the machine's load hits every way alike
        for name, func in ways.items():
            times[name].append(_timed(func))
    base = statistics.median(times[next(iter(ways))])
    print(f"eigen phase: extreme eigenvalues of {m} matrices {d}x{d} (median of {repeats}, interleaved)")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:55s} {med:7.3f} s  ({base / med:4.2f}x the baseline)")
    lo, hi = rad._extreme_eigs(mats)
    ref = np.linalg.eigvalsh(mats, UPLO="U")
    assert np.array_equal(lo, ref[:, 0]) and np.array_equal(hi, ref[:, -1])
    print("  the library's eigenvalues equal the single call's bit for bit")


def claims_with_and_without(labels, repeats):
    from threadpoolctl import ThreadpoolController

    from boundcheck.run import runner

    controller = ThreadpoolController()
    default = max(i["num_threads"] for i in _threads.blas_info())
    policy = runner.single_thread

    def unlimited():
        return controller.limit(limits=default, user_api="blas")

    print(f"claims: wall and CPU seconds, policy against every BLAS at {default} threads (median of {repeats})")
    for label in labels:
        rows = {"policy": [], "default threads": []}
        for _ in range(repeats):
            for name in rows:
                runner.single_thread = policy if name == "policy" else unlimited
                try:
                    w, c = time.perf_counter(), time.process_time()
                    runner.run_claims([label], seed=0)
                    rows[name].append((time.perf_counter() - w, time.process_time() - c))
                finally:
                    runner.single_thread = policy
        base_w = statistics.median(r[0] for r in rows["default threads"])
        base_c = statistics.median(r[1] for r in rows["default threads"])
        w = statistics.median(r[0] for r in rows["policy"])
        c = statistics.median(r[1] for r in rows["policy"])
        print(f"  {label:30s} policy {w:6.2f} s wall {c:6.2f} s cpu | default threads {base_w:6.2f} s wall "
              f"{base_c:6.2f} s cpu | {base_w / w:4.1f}x wall, {base_c / c:4.1f}x cpu")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--width", type=int, default=4096)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--claims", nargs="*", help="time these claims with and without the policy instead")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; BLAS: "
          + ", ".join(f"{i['internal_api']} {i['version']} ({i['architecture']}, {i['num_threads']} threads)"
                      for i in _threads.blas_info()))
    if args.claims:
        claims_with_and_without(args.claims, args.repeats)
    else:
        eigen_phase(args.n, args.width, args.dim, args.repeats)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
