"""The thread policy (boundcheck._threads) and the lazy imports (boundcheck._lazy)."""

import os
import subprocess
import sys

import numpy as np
import pytest

from boundcheck import _threads
from boundcheck._lazy import lazy


def _threads_now():
    return {info["filepath"]: info["num_threads"] for info in _threads.blas_info()}


def test_single_thread_limits_every_blas_library_and_restores():
    before = _threads_now()
    assert len(before) >= 1
    with _threads.single_thread():
        assert set(_threads_now().values()) == {1}
    assert _threads_now() == before


def test_scipy_blas_is_under_the_policy():
    """scipy ships its own OpenBLAS: the policy must limit it too (L-BFGS runs its vectors there)."""
    import scipy.linalg  # noqa: F401

    paths = list(_threads_now())
    with _threads.single_thread():
        limited = _threads_now()
    assert all(limited[p] == 1 for p in paths)
    assert any("scipy" in p for p in paths)


def test_threads_for_sizes():
    assert _threads.threads_for(_threads.LARGE_FLOPS / 10) == 1
    assert _threads.threads_for(_threads.LARGE_FLOPS) == _threads.cores()


def test_large_operation_opts_in_inside_single_thread():
    if _threads.cores() < 2:
        pytest.skip("one core")
    with _threads.single_thread():
        with _threads.large(_threads.LARGE_FLOPS):
            assert max(_threads_now().values()) == min(2, _threads.cores()) or max(_threads_now().values()) >= 2
        assert set(_threads_now().values()) == {1}


def test_set_max_threads_caps_and_restores():
    old = _threads.set_max_threads(1)
    try:
        assert _threads.cores() == 1
        assert _threads.threads_for(10 * _threads.LARGE_FLOPS) == 1
        with pytest.raises(ValueError, match="positive number of threads"):
            _threads.set_max_threads(0)
    finally:
        _threads.set_max_threads(old)


@pytest.mark.parametrize("n_items", [0, 1, 7, 1000])
def test_map_batches_covers_every_item_once_in_order(n_items):
    seen = []

    def part(rows):
        seen.append((rows.start, rows.stop))
        return rows.stop - rows.start

    out = _threads.map_batches(part, n_items, work_per_item=1e9)
    assert sum(out) == n_items
    covered = sorted(seen)
    assert covered[0][0] == 0 and covered[-1][1] == n_items
    assert all(a[1] == b[0] for a, b in zip(covered, covered[1:]))


def test_batched_eigenvalues_equal_one_lapack_call(rng):
    """The eigen phase split across threads gives the single call's numbers bit for bit."""
    from boundcheck.numeric.rademacher import _extreme_eigs

    a = rng.standard_normal((600, 24, 24))
    mats = a + a.transpose(0, 2, 1)
    lo, hi = _extreme_eigs(mats)
    ref = np.linalg.eigvalsh(mats, UPLO="U")
    assert np.array_equal(lo, ref[:, 0]) and np.array_equal(hi, ref[:, -1])


def test_lazy_module_imports_on_first_attribute():
    mod = lazy("json")
    assert "not loaded" in repr(mod)
    assert mod.dumps([1]) == "[1]"
    assert "loaded" in repr(mod) and "not" not in repr(mod)
    with pytest.raises(AttributeError):
        mod.no_such_name


def test_copied_constants_agree_with_their_source():
    from boundcheck import complexity, data
    from boundcheck.commands import samples

    assert samples.FORMS == complexity.FORMS
    assert data.TARGETS == complexity.TARGETS


HEAVY = ("sympy", "mpmath", "cvxpy", "matplotlib", "pandas", "dask", "tqdm", "scipy.stats", "scipy.optimize",
         "scipy.sparse", "scipy.special")


def test_listing_the_claims_imports_no_heavy_module():
    """``verify --list`` registers every claim of every pack without sympy, cvxpy, matplotlib ..."""
    code = ("import sys\nfrom boundcheck.run.registry import claims\nassert len(claims()) > 20\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("argv", [["--help"], ["verify", "--list"]])
def test_help_and_listing_import_no_heavy_module(argv):
    """The command line's ``--help`` and ``verify --list`` pay for none of the heavy modules."""
    code = ("import contextlib, io, sys\nfrom boundcheck.cli import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n    main({argv!r})\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == ""
