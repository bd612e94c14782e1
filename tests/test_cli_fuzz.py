"""Property-based fuzz of the command line with random and hostile values.

Every run must end with exit status 0 or 2; status 2 comes with exactly one line on stderr and no
traceback; a failed run leaves no output file (nor a temporary one) behind. Sizes stay tiny and
``max_examples`` small so the module runs in well under a minute on 2 cores.
"""

import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boundcheck.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ = settings(max_examples=int(os.environ.get("BOUNDCHECK_FUZZ_EXAMPLES", "20")), deadline=None, derandomize=os.environ.get("BOUNDCHECK_FUZZ_EXAMPLES") is None,
                database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

CHEAP_CLAIMS = ["Symmetric init", "Randomized terms", "Equation 4 event", "Assumption A"]
HOSTILE = ["0", "-1", "-4", "7", "nan", "NaN", "inf", "-inf", "1e400", "-1e-300", "abc", "", " ", "3.5", "0x10",
           "1e30", "99999999999999999999999999", "-0", "1,5", "None", "[]", "--", "☃", "\x00"]
#: values every option below rejects (they must give exit status 2, never 0)
INVALID = {
    "--width": ["0", "-2", "7", "nan", "abc", "", "3.5", "1e3"],
    "--dim": ["0", "-1", "nan", "abc", "2.5"],
    "--n": ["0", "-5", "inf", "x"],
    "--draws": ["0", "1", "-3", "nan"],
    "--input-radius": ["0", "-1", "nan", "inf", "-inf", "1e400", "abc"],
    "--level": ["0", "1", "1.5", "-0.2", "nan", "inf"],
    "--seed": ["-1", "1.5", "nan", "abc", "99999999999999999999999"],
    "--format": ["xml", "", "JSON", "nan"],
}
SMALL = ["--width", "8", "--dim", "3", "--n", "4", "--draws", "16"]


def _run(argv, out=None):
    """Run ``main`` in-process; return (status, stdout, stderr). ``out`` adds --out FILE."""
    argv = list(argv) + (["--out", out] if out else [])
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        status = main(argv)
    return status, stdout.getvalue(), stderr.getvalue()


def _assert_clean(status, err, out_path=None, allow_success=True):
    assert status in ((0, 2) if allow_success else (2,)), (status, err)
    assert "Traceback" not in err
    if status == 2:
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("boundcheck"), err
        if out_path is not None:
            assert not os.path.exists(out_path)
    if out_path is not None:
        leftovers = [f for f in os.listdir(os.path.dirname(out_path)) if f.startswith(".boundcheck-")]
        assert leftovers == []


# -- verify: random options with hostile values -----------------------------------------------------------

@FUZZ
@given(claim=st.sampled_from(CHEAP_CLAIMS),
       options=st.lists(st.tuples(st.sampled_from(["--width", "--dim", "--n", "--draws", "--input-radius",
                                                   "--level", "--radius", "--seed", "--activation", "--loss"]),
                                  st.sampled_from(HOSTILE + ["8", "2", "0.5"])), max_size=3),
       fmt=st.sampled_from(["table", "json", "csv", "latex", "markdown"]))
def test_verify_random_hostile_options(claim, options, fmt):
    argv = ["verify", claim] + SMALL + ["--format", fmt]
    for flag, value in options:
        argv += [flag, value]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.txt")
        status, _, err = _run(argv, out)
        _assert_clean(status, err, out)


@FUZZ
@given(data=st.data())
def test_verify_invalid_values_exit_2(data):
    flag = data.draw(st.sampled_from(sorted(INVALID)))
    value = data.draw(st.sampled_from(INVALID[flag]))
    claim = "Randomized terms" if flag in ("--draws", "--level") else "Symmetric init"
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        status, _, err = _run(["verify", claim] + SMALL + [flag, value], out)
        _assert_clean(status, err, out, allow_success=False)


@pytest.mark.parametrize("argv", [["verify", "Equation 4 event", "--width", "1000000000000000"],
                                  ["verify", "Symmetric init", "--n", "1000000000000000", "--dim", "3"]])
def test_verify_huge_sizes_exit_2(argv):
    status, _, err = _run(argv)
    _assert_clean(status, err, allow_success=False)


# -- --instance: malformed npz files ------------------------------------------------------------------------

def _array_strategy():
    shapes = st.sampled_from([(0,), (3,), (3, 2), (4, 2), (2, 3), (4, 3), (1, 1), (2, 2, 2)])
    fills = st.sampled_from([0.0, 1.0, -1.0, np.nan, np.inf, 1e308, "text", "object"])
    return st.tuples(shapes, fills)


def _make_array(shape, fill):
    if fill == "text":
        return np.full(shape, "a", dtype="<U1")
    if fill == "object":
        return np.empty(shape, dtype=object)
    return np.full(shape, fill)


@FUZZ
@given(arrays=st.dictionaries(st.sampled_from(["x", "w_init", "w_out", "y", "w_move", "signs", "junk"]),
                              _array_strategy(), max_size=5),
       mode=st.sampled_from(["npz", "garbage", "truncated", "empty", "zip-no-npy", "directory"]),
       garbage=st.binary(max_size=64))
def test_verify_malformed_instance(arrays, mode, garbage):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "inst.npz")
        if mode == "npz" or mode == "truncated":
            np.savez(path, **{k: _make_array(*v) for k, v in arrays.items()})
            if mode == "truncated":
                with open(path, "rb") as handle:
                    data = handle.read()
                with open(path, "wb") as handle:
                    handle.write(data[: len(data) // 2])
        elif mode == "garbage":
            with open(path, "wb") as handle:
                handle.write(garbage)
        elif mode == "empty":
            open(path, "wb").close()
        elif mode == "zip-no-npy":
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("x.txt", "not an array")
        else:
            os.mkdir(path)
        out = os.path.join(tmp, "out.json")
        status, _, err = _run(["verify", "Symmetric init", "--instance", path, "--format", "json"], out)
        _assert_clean(status, err, out)


def test_missing_instance_file_exit_2(tmp_path):
    status, _, err = _run(["verify", "Symmetric init", "--instance", str(tmp_path / "nope.npz")])
    _assert_clean(status, err, allow_success=False)


# -- sweep: malformed and hostile TOML ------------------------------------------------------------------------

TOML_VALUES = ["0", "-1", "nan", "inf", "-inf", "1e400", "99999999999999999999", "1000000000000000", '"abc"', "true",
               "[]", "[nan]", "[0]", "[-2]", "[7]", "[1e400]", '["x"]', "[[1]]", "{}", "{a = 1}", "1979-05-27",
               "[4, 6]", "[2]", "0.5"]


@FUZZ
@given(claim=st.sampled_from(['"Equation 4 event"', '"Randomized terms"', '"Lemma 99"', "3", '""', "[1]"]),
       head=st.lists(st.tuples(st.sampled_from(["seed", "replicates", "name", "bogus"]), st.sampled_from(TOML_VALUES)),
                     max_size=2, unique_by=lambda t: t[0]),
       grid=st.lists(st.tuples(st.sampled_from(["width", "dim", "draws", "bound_factor", "failure_prob", "level",
                                                "claimed_mean", "nope", "rng", "instance"]),
                               st.sampled_from(TOML_VALUES)), max_size=2, unique_by=lambda t: t[0]),
       workers=st.sampled_from([None, "1", "0", "-1", "x"]))
def test_sweep_hostile_toml(claim, head, grid, workers):
    text = f"[sweep]\nclaim = {claim}\n" + "".join(f"{k} = {v}\n" for k, v in head)
    text += "[grid]\n" + "".join(f"{k} = {v}\n" for k, v in grid)
    text += "[fixed]\nn_samples = 4\n" if "Randomized" in claim else ""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "cfg.toml")
        with open(cfg, "w") as handle:
            handle.write(text)
        store = os.path.join(tmp, "s.sqlite")
        argv = ["sweep", cfg, "--store", store] + (["--workers", workers] if workers else ["--workers", "1"])
        status, _, err = _run(argv)
        _assert_clean(status, err)
        if status == 2:
            # a sweep that failed before finishing any cell leaves no store behind
            assert not os.path.exists(store) or _n_cells(store) > 0


def _n_cells(store):
    import sqlite3

    with sqlite3.connect(store) as conn:
        return conn.execute("SELECT count(*) FROM cells").fetchone()[0]


@FUZZ
@given(text=st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_sweep_random_text_as_toml(text):
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "cfg.toml")
        with open(cfg, "w", encoding="utf-8", errors="surrogatepass") as handle:
            handle.write(text)
        status, _, err = _run(["sweep", cfg, "--store", os.path.join(tmp, "s.sqlite"), "--workers", "1"])
        _assert_clean(status, err)


def test_sweep_missing_config_and_bad_store(tmp_path):
    status, _, err = _run(["sweep", str(tmp_path / "nope.toml")])
    _assert_clean(status, err, allow_success=False)
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sweep]\nclaim = "Equation 4 event"\n[grid]\nwidth = [4]\n')
    for store in (str(tmp_path), str(tmp_path / "no" / "s.sqlite")):
        status, _, err = _run(["sweep", str(cfg), "--store", store])
        _assert_clean(status, err, allow_success=False)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 50)
    before = junk.read_bytes()
    status, _, err = _run(["sweep", str(cfg), "--store", str(junk)])
    _assert_clean(status, err, allow_success=False)
    assert junk.read_bytes() == before


def test_sweep_cell_failure_names_the_cell(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sweep]\nclaim = "Equation 4 event"\n[grid]\nwidth = [4, 7]\n')
    store = tmp_path / "s.sqlite"
    status, _, err = _run(["sweep", str(cfg), "--store", str(store), "--workers", "1"])
    _assert_clean(status, err, allow_success=False)
    assert "sweep cell 1 (width=7)" in err and "even integer" in err
    assert _n_cells(str(store)) == 1  # the finished cell is kept, resumable
    cfg.write_text('[sweep]\nclaim = "Equation 4 event"\n[grid]\nwidth = [1000000000000000]\n')
    status, _, err = _run(["sweep", str(cfg), "--store", str(tmp_path / "t.sqlite"), "--workers", "1"])
    _assert_clean(status, err, allow_success=False)
    assert "memory" in err and not (tmp_path / "t.sqlite").exists()


# -- table and plot: hostile stores and arguments -----------------------------------------------------------

@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("store")
    cfg = tmp / "c.toml"
    cfg.write_text('[sweep]\nclaim = "Equation 4 event"\nreplicates = 2\n[grid]\nwidth = [4, 8, 16]\n')
    store = str(tmp / "s.sqlite")
    assert _run(["sweep", str(cfg), "--store", store, "--workers", "1"])[0] == 0
    return store


@FUZZ
@given(command=st.sampled_from(["table", "plot"]),
       store=st.sampled_from(["good", "missing", "junk", "dir", "empty"]),
       extra=st.lists(st.sampled_from(["--x", "--y", "--claim", "--sweep", "--fit", "--claimed-exponent", "--summary",
                                       "--logx", "width", "lhs", "rate", "margin", "nope", "nan", "-1", "Lemma 99",
                                       "Equation 4 event", "--format", "json"]), max_size=5),
       suffix=st.sampled_from([".png", ".pdf", ".svg", ".txt", "", ".PNG"]))
def test_table_and_plot_hostile(small_store, command, store, extra, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = {"good": small_store, "missing": os.path.join(tmp, "none.sqlite"), "dir": tmp,
                "junk": os.path.join(tmp, "junk.sqlite"), "empty": os.path.join(tmp, "empty.sqlite")}[store]
        if store == "junk":
            with open(path, "wb") as handle:
                handle.write(b"junk" * 100)
        if store == "empty":
            open(path, "wb").close()
        out = os.path.join(tmp, "fig" + suffix)
        status, _, err = _run([command, "--store", path] + extra, out)
        _assert_clean(status, err, out)
        if store == "empty":
            assert os.path.getsize(path) == 0  # readers never write into a file


# -- a few real processes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["verify", "Symmetric init", "--width", "7"],
    ["verify", "Symmetric init", "--input-radius", "nan"],
    ["sweep", "does-not-exist.toml"],
    ["table", "--store", "does-not-exist.sqlite"],
    ["plot", "--store", "does-not-exist.sqlite", "--x", "width", "--out", "f.png"],
])
def test_subprocess_exit_2_one_line(argv, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "boundcheck"] + argv, cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert os.listdir(tmp_path) == []


# -- every command: options every command shares ----------------------------------------------------------------

def _command_names():
    from boundcheck.cli import _command_modules

    return [(m.NAME, getattr(m, "USES_INSTANCE", True)) for m in _command_modules()]


@pytest.mark.parametrize("name, uses_instance", _command_names(), ids=[n for n, _ in _command_names()])
def test_every_command_rejects_hostile_shared_options(name, uses_instance, tmp_path):
    cases = [["--seed", "-1"], ["--seed", "nan"], ["--format", "xml"], ["--definitely-not-an-option"]]
    if uses_instance:
        cases.append(["--instance", str(tmp_path / "missing.npz")])
    for extra in cases:
        out = str(tmp_path / "out.txt")
        status, _, err = _run([name] + extra, out)
        _assert_clean(status, err, out, allow_success=False)


# -- the hostile-invocation generator of benchmarks/fuzz_cli.py ------------------------------------------------------

def _fuzz(cases, seed, timeout):
    """Run ``cases`` cases of benchmarks/fuzz_cli.py in a fresh process (it forks one child per case)."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "fuzz_cli.py"), "--cases", str(cases),
                           "--seed", str(seed), "--jobs", "2", "--timeout", str(timeout)],
                          env=env, capture_output=True, text=True, timeout=cases * timeout + 600)
    summary = json.loads(proc.stdout)
    return proc, summary


def test_hostile_invocations_sample():
    """A few seconds of the generated hostile invocations (the >= 2000-case run is marked slow)."""
    proc, summary = _fuzz(16, seed=7, timeout=60)
    assert summary["cases"] == 16
    for key in ("tracebacks", "hangs", "multi_line_errors", "partial_files", "payloads_executed"):
        assert summary[key] == 0, (key, proc.stderr[-3000:])
    assert proc.returncode == 0


@pytest.mark.slow
def test_hostile_invocations_2000():
    proc, summary = _fuzz(2000, seed=0, timeout=60)
    for key in ("tracebacks", "hangs", "multi_line_errors", "partial_files", "payloads_executed"):
        assert summary[key] == 0, (key, proc.stderr[-3000:])
