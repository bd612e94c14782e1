"""Every bad input is one line with exit status 2, before any work: sizes have maxima, scales a sound range,
no verdict is computed from a non-finite number, warnings never come before the error line, Ctrl-C is clean."""

import os
import re
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
from clihelp import run_cli

from boundcheck.commands import _limits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
HUGE = "1" + "0" * 30  # 10**30


@pytest.mark.parametrize("argv, match", [
    (["kernel", "tail", "--grid", HUGE], r"--grid must be an integer between 2 and 100001 \(larger ones take"),
    (["kernel", "tail", "--terms", "5000", "--grid", "1000"], "--terms times --grid must be at most"),
    (["kernel", "rkhs-norm", "--degree", "10000000000"], "--degree must be an integer between 0 and 2000"),
    (["kernel", "rkhs-norm", "--degree", "2", "--dim", HUGE], "--dim must be an integer between 2 and 1000000"),
    (["kernel", "table", "--max-degree", "100000"], "--max-degree must be an integer between 0 and 1000"),
    (["kernel", "moments", "--order", "100000"], "--order must be an integer between 0 and 64"),
    (["verify", "Lemma 5", "--n", HUGE], "--n must be an integer between 1 and 200000"),
    (["verify", "Lemma 5", "--width", "100000", "--n", "100000"], "n x m = 100000 x 100000"),
    (["verify", "Randomized terms", "--draws", "10000000"], "--draws must be an integer between 1 and 1000000"),
    (["verify", "Theorem 6", "--draws", "1000000"], "draws x n = 1000000 x 100 entries for 'Theorem 6'"),
    (["opnorm", "--trials", "1000", "--n", "10000", "--dim", "1000"], "trials x n x d"),
    (["network", "--n", "6000", "--width", "6000", "--dim", "6000"], "multiply-adds"),
    (["trust", "specificity", "--seeds", HUGE], "--seeds must be an integer between 1 and 100000"),
    (["curves", "--repeats", "1000000"], "--repeats must be an integer between 1 and 1000"),
    (["verify", "Equation 4 event", "--input-radius", "1e-160"], r"--input-radius must be between 1e-08 and 1e\+08"),
    (["verify", "Equation 4 event", "--input-radius", "1e-200"], "--input-radius must be between"),
    (["verify", "Equation 4 event", "--input-radius", "1e300"], "--input-radius must be between"),
    (["opnorm", "--input-radius", "1e-200"], "--input-radius must be between"),
    (["network", "--input-radius", "1e300"], "--input-radius must be between"),
    (["rademacher", "--radius", "1e12"], "--radius must be between"),
    (["kernel", "rkhs-norm", "--degree", "2", "--coef", "1e-300"], r"--coef must be 0 or between \+-1e-08"),
    (["network", "--move-exponent", "1e9"], "--move-exponent must be between -4 and 4"),
    (["opnorm", "--condition", "1e300"], "--condition must be between 1 and 1e"),
    (["opt", "--tol", "1e-300"], "--tol must be between"),
])
def test_impossible_requests_fail_at_once_in_one_line(argv, match):
    started = time.process_time()
    status, out, err = run_cli(argv)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "Warning" not in err, err
    assert re.search(match, err), err
    assert time.process_time() - started < 30  # refused before the work (a generous bound, not a timing test)


def test_every_maximum_is_in_the_table_and_said():
    for (command, dest), (option, low, high, why) in _limits.MAXIMA.items():
        assert option.startswith("--") and low < high and why
    assert _limits.MAX_ELEMENTS == 2**26


def test_no_verdict_from_a_non_finite_number(monkeypatch):
    """An overflow inside a check is an error (one line), never a number a verdict is computed from."""
    from boundcheck.numeric import opnorm

    def overflowing(x):
        return np.float64(1e308) * np.float64(10.0) + x.sum() * 0

    monkeypatch.setattr(opnorm, "covariance_opnorm", overflowing)
    status, out, err = run_cli(["opnorm", "--n", "8", "--dim", "2", "--trials", "4", "--format", "json"])
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "floating-point overflow" in err


def test_warnings_come_after_a_success_and_never_before_an_error(monkeypatch):
    from boundcheck.commands import opnorm as command

    real = command.run

    def warn_then(args, rng):
        warnings.warn("a result that deserves a look\nover two lines", UserWarning)
        np.float64(1.0) / np.float64(3.0)
        return real(args, rng) if args.n_samples > 1 else (_ for _ in ()).throw(ValueError("n too small"))

    monkeypatch.setattr(command, "run", warn_then)
    status, out, err = run_cli(["opnorm", "--n", "8", "--dim", "2", "--trials", "4"])
    assert status == 0 and out
    assert err == "boundcheck: warning: a result that deserves a look over two lines\n"
    status, out, err = run_cli(["opnorm", "--n", "1", "--dim", "2", "--trials", "4"])
    assert status == 2 and err == "boundcheck: error: n too small\n"


def test_extreme_instances_are_one_line(tmp_path):
    x = np.random.default_rng(0).standard_normal((6, 3))
    for name, values in [("big", x * 1e300), ("tiny", x * 1e-300), ("zeros", 0 * x), ("complex", x + 1j * x),
                         ("datetime", np.zeros((6, 3), dtype="datetime64[s]"))]:
        np.savez(tmp_path / f"{name}.npz", x=values)
        for argv in (["opnorm", "--instance", str(tmp_path / f"{name}.npz")],
                     ["verify", "Symmetric init", "--instance", str(tmp_path / f"{name}.npz")]):
            status, out, err = run_cli(argv)
            assert status == 2 and err.count("\n") == 1 and "Warning" not in err, (name, err)


def _loaded(pid, library):
    try:
        with open(f"/proc/{pid}/maps") as handle:
            return library in handle.read()
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("library", ["_multiarray_umath", "scipy", "_sqlite3"])
def test_ctrl_c_during_the_imports_is_one_line(library, tmp_path):
    """SIGINT once numpy (then scipy, then sqlite) is loaded, while the rest of the imports run."""
    proc = subprocess.Popen([sys.executable, "-m", "boundcheck", "verify", "Symmetric init"], env=ENV, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while proc.poll() is None and not _loaded(proc.pid, library) and time.monotonic() < deadline:
        time.sleep(0.001)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    if proc.returncode == 0:  # pragma: no cover - the command finished before the signal
        pytest.skip("the command finished first")
    assert proc.returncode == 130 and err == "boundcheck: interrupted\n", err


@pytest.mark.skipif(not os.path.exists("/proc/meminfo"), reason="reads /proc")
def test_the_address_space_is_capped_while_a_command_runs(monkeypatch):
    import resource

    from boundcheck.commands import opnorm as command

    seen = []
    real = command.run

    def record(args, rng):
        seen.append(resource.getrlimit(resource.RLIMIT_AS))
        return real(args, rng)

    monkeypatch.setattr(command, "run", record)
    before = resource.getrlimit(resource.RLIMIT_AS)
    assert run_cli(["opnorm", "--n", "8", "--dim", "2", "--trials", "4"])[0] == 0
    with open("/proc/meminfo") as handle:
        total = next(int(line.split()[1]) * 1024 for line in handle if line.startswith("MemTotal:"))
    assert seen[0][0] != resource.RLIM_INFINITY and seen[0][0] < 4 * total
    assert resource.getrlimit(resource.RLIMIT_AS) == before  # restored for a library caller


@pytest.mark.slow
def test_a_cell_too_large_for_the_machine_is_one_line(tmp_path):
    """Without the cap this cell would fill the memory and meet the kernel's OOM killer."""
    cfg = tmp_path / "big.toml"
    cfg.write_text('[sweep]\nclaim = "Theorem 6"\n[fixed]\ndraws = 1000000\n')
    proc = subprocess.run([sys.executable, "-m", "boundcheck", "sweep", str(cfg), "--workers", "1"], env=ENV,
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "more memory" in proc.stderr
    assert sorted(os.listdir(tmp_path)) == ["big.toml"]
