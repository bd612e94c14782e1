"""Stores that survive everything: one-transaction creation, no store lost, one writer at a time,
canonical cell numbering, recorded versions, workers that die with the sweep, SQLite errors in one line."""

import importlib.util
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
from clihelp import assert_one_line_exit_2, run_cli, write

from boundcheck.run import store as store_module
from boundcheck.run.store import FORMAT, Store, StoreBusyError, open_store
from boundcheck.run.sweep import StoreVersionWarning, load_config, make_cells, run_cell, run_sweep

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
_spec = importlib.util.spec_from_file_location("bench_robustness", os.path.join(ROOT, "benchmarks",
                                                                                "bench_robustness.py"))
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)  # its /proc helpers: the worker processes of a sweep, alive or not

EQ4 = """
[sweep]
claim = "Equation 4 event"
name = "eq4"
seed = 3
replicates = 2
[grid]
{grid}
[fixed]
failure_prob = 0.1
"""
WIDTH_FIRST = "width = [8, 16]\ndim = [2, 3, 4]\n"
DIM_FIRST = "dim = [2, 3, 4]\nwidth = [8, 16]\n"
SLOW = """
[sweep]
claim = "Randomized terms"
name = "slow"
seed = 1
replicates = 200
[grid]
width = [32]
[fixed]
draws = 200000
n_samples = 8
dim = 4
"""


def _content(path, sweep=None):
    """Every stored record and cell, keyed by (options, replicate): independent of the numbering."""
    with open_store(path, must_exist=True) as store:
        records = store.records(sweep=sweep)
        cells = store.cells(sweep)
    by_cell = {}
    for rec in records:
        key = (json.dumps(rec["options"], sort_keys=True), rec["replicate"])
        by_cell.setdefault(key, []).append({k: rec[k] for k in ("claim", "lhs", "rhs", "verdict", "seed")})
    return by_cell, len(cells)


# -- creation is one transaction ---------------------------------------------------------------------------

def test_a_store_interrupted_while_created_is_never_refused_later(tmp_path, monkeypatch):
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"")  # an empty file, as a kill right after open leaves it
    broken = store_module._SCHEMA + "CREATE TABLE sweeps_broken (;"  # fails after the three tables
    monkeypatch.setattr(store_module, "_SCHEMA", broken)
    with pytest.raises(Exception):
        Store(path)
    with sqlite3.connect(path) as conn:  # the failed creation left no table behind
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    monkeypatch.undo()
    with open_store(path) as store:
        store.register_sweep("s", {"claim": "c"}, resume=False)
        assert store.meta()["format"] == str(FORMAT)


def test_sigkill_while_creating_stores(tmp_path):
    """Kill a process at staggered moments while it creates a store; every file left must open."""
    script = ("import sys; from boundcheck.run.store import open_store\n"
              "with open_store(sys.argv[1]) as s: s.register_sweep('s', {'claim': 'c'}, resume=False)\n")
    for i in range(12):
        path = str(tmp_path / f"s{i}.sqlite")
        proc = subprocess.Popen([sys.executable, "-c", script, path], env=ENV)
        deadline = time.monotonic() + 60
        while not os.path.exists(path) and proc.poll() is None and time.monotonic() < deadline:
            pass  # busy: the schema is written within milliseconds of the file's creation
        time.sleep(0.0004 * i)
        proc.kill()
        proc.wait()
        if os.path.exists(path):
            with open_store(path) as store:
                store.register_sweep("s", {"claim": "c"}, resume=True)


# -- a failed sweep never removes a store it did not create empty ---------------------------------------------

def test_a_failing_sweep_keeps_a_store_that_holds_other_results(tmp_path):
    store = str(tmp_path / "s.sqlite")
    assert run_sweep(load_config(write(tmp_path, EQ4.format(grid=WIDTH_FIRST))), store, workers=1)["ran"] == 12
    before = _content(store)
    bad = write(tmp_path, EQ4.format(grid="width = [7]\n").replace('name = "eq4"', 'name = "other"'), "bad.toml")
    status, _, err = run_cli(["sweep", bad, "--store", store, "--workers", "1"])
    assert_one_line_exit_2(status, err)
    assert os.path.exists(store) and _content(store, "eq4") == before


def test_a_failing_sweep_keeps_a_file_it_did_not_create(tmp_path):
    store = tmp_path / "mine.sqlite"
    store.write_bytes(b"")
    bad = write(tmp_path, EQ4.format(grid="width = [7]\n"))
    status, _, err = run_cli(["sweep", bad, "--store", str(store), "--workers", "1"])
    assert_one_line_exit_2(status, err)
    assert store.exists()
    status, _, err = run_cli(["sweep", bad, "--store", str(tmp_path / "new.sqlite"), "--workers", "1"])
    assert_one_line_exit_2(status, err)
    assert not (tmp_path / "new.sqlite").exists()  # a file the failed sweep created itself, still empty


# -- one writer at a time -----------------------------------------------------------------------------------

def test_a_second_sweep_on_a_store_in_use_is_refused_in_one_line(tmp_path):
    store = str(tmp_path / "s.sqlite")
    cfg = write(tmp_path, EQ4.format(grid=WIDTH_FIRST))
    with open_store(store) as holder:  # another writer holds the store
        holder.register_sweep("x", {"claim": "c"}, resume=False)
        with pytest.raises(StoreBusyError):
            open_store(store)
        status, _, err = run_cli(["sweep", cfg, "--store", store, "--workers", "1"])
        assert_one_line_exit_2(status, err)
        assert "another process" in err
        with open_store(store, must_exist=True) as reader:  # readers are not blocked
            assert reader.sweeps() == ["x"]
    assert os.path.exists(store)
    assert run_cli(["sweep", cfg, "--store", store, "--workers", "1"])[0] == 0


def test_concurrent_sweep_processes(tmp_path):
    cfg = write(tmp_path, SLOW)
    store = str(tmp_path / "s.sqlite")
    first = subprocess.Popen([sys.executable, "-m", "boundcheck", "sweep", cfg, "--store", store, "--workers", "1"],
                             env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(store) and time.monotonic() < deadline:
            time.sleep(0.01)
        second = subprocess.run([sys.executable, "-m", "boundcheck", "sweep", cfg, "--store", store, "--resume",
                                 "--workers", "1"], env=ENV, capture_output=True, text=True, timeout=120)
    finally:
        first.kill()
        first.wait()
    assert second.returncode == 2 and len(second.stderr.strip().splitlines()) == 1, second.stderr
    assert "IntegrityError" not in second.stderr and os.path.exists(store)


# -- canonical numbering, versions ----------------------------------------------------------------------------

class _Stop(Exception):
    pass


def _stop_after(n):
    seen = []

    def on_cell(cell):
        seen.append(cell)
        if len(seen) == n:
            raise _Stop

    return on_cell


def test_resume_with_the_grid_keys_in_another_order(tmp_path):
    width_first = write(tmp_path, EQ4.format(grid=WIDTH_FIRST), "a.toml")
    dim_first = write(tmp_path, EQ4.format(grid=DIM_FIRST), "b.toml")
    assert [c.options for c in make_cells(load_config(width_first))] == \
        [c.options for c in make_cells(load_config(dim_first))]
    full, cut = str(tmp_path / "full.sqlite"), str(tmp_path / "cut.sqlite")
    run_sweep(load_config(width_first), full, workers=1)
    with pytest.raises(_Stop):
        run_sweep(load_config(width_first), cut, workers=1, on_cell=_stop_after(5))
    summary = run_sweep(load_config(dim_first), cut, workers=1, resume=True)
    assert (summary["skipped"], summary["ran"]) == (5, 7)
    content, n_cells = _content(cut)
    assert n_cells == 12 and len(content) == 12 and content == _content(full)[0]


def _legacy_store(path, config, order, cells_done):
    """A store as boundcheck wrote it before format 2: no meta tables, cells numbered in ``order``."""
    with open_store(path) as store:
        store.register_sweep(config.name, config.to_dict(), resume=False)
        for cell in make_cells(config, order)[:cells_done]:
            records = run_cell(cell.claim, cell.seed, cell.options)
            store.write_cell(config.name, cell.index, claim=cell.claim, options=cell.options,
                             replicate=cell.replicate, seed=cell.seed, records=records,
                             provenance={"versions": {"boundcheck": "0.0.1", "numpy": np.__version__}})
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE meta")
        conn.execute("DROP TABLE sweep_meta")


def test_a_store_numbered_in_file_order_keeps_its_numbering(tmp_path):
    config = load_config(write(tmp_path, EQ4.format(grid=WIDTH_FIRST)))
    assert list(config.grid) == ["width", "dim"]  # file order, not sorted
    legacy_full, legacy_cut = str(tmp_path / "full.sqlite"), str(tmp_path / "cut.sqlite")
    _legacy_store(legacy_full, config, ["width", "dim"], 12)
    _legacy_store(legacy_cut, config, ["width", "dim"], 5)
    reordered = load_config(write(tmp_path, EQ4.format(grid=DIM_FIRST), "b.toml"))
    with pytest.warns(StoreVersionWarning, match="boundcheck 0.0.1"):
        summary = run_sweep(reordered, legacy_cut, workers=1, resume=True)
    assert (summary["skipped"], summary["ran"]) == (5, 7)
    with open_store(legacy_cut, must_exist=True) as store:
        assert store.sweep_meta("eq4")["grid_order"] == ["width", "dim"]
        cells = store.cells("eq4")
    with open_store(legacy_full, must_exist=True) as store:
        full_cells = store.cells("eq4")
    assert [(c["cell"], c["options"], c["seed"]) for c in cells] == \
        [(c["cell"], c["options"], c["seed"]) for c in full_cells]
    assert _content(legacy_cut) == _content(legacy_full)


def test_versions_are_recorded_and_a_change_is_one_line_on_resume(tmp_path):
    cfg = write(tmp_path, EQ4.format(grid=WIDTH_FIRST))
    store = str(tmp_path / "s.sqlite")
    with pytest.raises(_Stop):
        run_sweep(load_config(cfg), store, workers=1, on_cell=_stop_after(2))
    with open_store(store) as s:
        versions = s.sweep_meta("eq4")["versions"]
        assert versions["numpy"] == np.__version__ and "boundcheck" in versions
        assert json.loads(s.meta()["created_with"])["numpy"] == np.__version__
        s.set_sweep_meta("eq4", "versions", dict(versions, numpy="1.0.0"))
    status, _, err = run_cli(["sweep", cfg, "--store", store, "--resume", "--workers", "1"])
    assert status == 0
    assert err.count("\n") == 1 and err.startswith("boundcheck: warning:") and "numpy 1.0.0" in err


# -- bad stores and options ------------------------------------------------------------------------------------

def test_an_empty_store_name_is_refused(tmp_path):
    cfg = write(tmp_path, EQ4.format(grid=WIDTH_FIRST))
    for command in (["sweep", cfg, "--store", ""], ["table", "--store", ""],
                    ["plot", "--store", "", "--x", "width", "--out", str(tmp_path / "f.png")]):
        status, _, err = run_cli(command)
        assert_one_line_exit_2(status, err)
    assert sorted(os.listdir(tmp_path)) == ["c.toml"]


@pytest.mark.parametrize("text, match", [
    ('[sweep]\nclaim = "Section 6 moments"\n[fixed]\npairs = "abc"\n', "sweep cell 0 .*pairs='abc'.*cannot use"),
    ('[sweep]\nclaim = "Equation 4 event"\n[grid]\nwidth = ["abc"]\n', "grid.width must be a number"),
    ('[sweep]\nclaim = "Equation 4 event"\n[fixed]\nfailure_prob = true\n', "fixed.failure_prob must be a number"),
    ('[sweep]\nclaim = "Section 6 moments"\n[fixed]\norders = 3\n', "fixed.orders must be a list"),
    ('[sweep]\nclaim = "Theorem 7"\n[fixed]\nloss = 3\n', "fixed.loss must be a string"),
])
def test_an_option_of_the_wrong_kind_is_one_line(tmp_path, text, match):
    import re

    status, _, err = run_cli(["sweep", write(tmp_path, text), "--store", str(tmp_path / "s.sqlite"), "--workers", "1"])
    assert_one_line_exit_2(status, err)
    assert re.search(match, err), err


# -- workers die with the sweep ----------------------------------------------------------------------------------

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_the_main_sweep_process(tmp_path, sig):
    cfg = write(tmp_path, SLOW)
    proc = subprocess.Popen([sys.executable, "-m", "boundcheck", "sweep", cfg, "--store", str(tmp_path / "s.sqlite"),
                             "--workers", "2"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    workers = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            workers = bench._children(proc.pid)
            time.sleep(0.05)
        assert len(workers) == 2, "the sweep did not start two workers"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sig == signal.SIGTERM:
        assert proc.returncode == 143 and err.strip() == "boundcheck: terminated"
    deadline = time.monotonic() + 30
    while any(bench._alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(bench._alive(w) for w in workers)


# -- SQLite errors are one line, exit 2, nothing lost -------------------------------------------------------------

@pytest.fixture
def finished_store(tmp_path):
    cfg = write(tmp_path, EQ4.format(grid=WIDTH_FIRST))
    store = str(tmp_path / "s.sqlite")
    run_sweep(load_config(cfg), store, workers=1)
    return cfg, store


def _readers(store, tmp_path):
    return [["table", "--store", store], ["plot", "--store", store, "--x", "width", "--out", str(tmp_path / "f.png")]]


def test_a_damaged_store_is_one_line_everywhere(finished_store, tmp_path):
    cfg, store = finished_store
    with sqlite3.connect(store) as conn:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'records'").fetchone()[0]
    data = bytearray(open(store, "rb").read())
    data[(root - 1) * page:root * page] = b"\xa5" * page  # one damaged page: the records table's root
    with open(store, "wb") as handle:
        handle.write(data)
    for argv in _readers(store, tmp_path):
        status, _, err = run_cli(argv)
        assert_one_line_exit_2(status, err)
        assert open(store, "rb").read() == bytes(data)  # readers never write
    assert not (tmp_path / "f.png").exists()
    with sqlite3.connect(store) as conn:
        cells = conn.execute("SELECT sweep, cell, seed FROM cells ORDER BY sweep, cell").fetchall()
    extra = write(tmp_path, EQ4.format(grid="width = [8]\n").replace('name = "eq4"', 'name = "more"'), "more.toml")
    for argv in (["sweep", extra, "--store", store, "--workers", "1"],
                 ["curves", "--store", store, "--dim", "4", "--n", "8", "--repeats", "1", "--steps", "1",
                  "--n-test", "10"]):
        status, _, err = run_cli(argv)
        assert_one_line_exit_2(status, err)
        assert "damaged" in err
    with sqlite3.connect(store) as conn:  # the failed writes rolled back: the cells are as they were
        assert conn.execute("SELECT sweep, cell, seed FROM cells ORDER BY sweep, cell").fetchall() == cells


@pytest.fixture
def read_only(finished_store):
    """The finished store made read-only: chmod, and for root (who writes through modes) chattr +i."""
    cfg, store = finished_store
    os.chmod(store, 0o444)
    immutable = os.getuid() == 0
    if immutable and subprocess.run(["chattr", "+i", store], capture_output=True).returncode != 0:
        pytest.skip("running as root without chattr: cannot make a file read-only")
    yield cfg, store
    if immutable:
        subprocess.run(["chattr", "-i", store], check=True)
    os.chmod(store, 0o644)


def test_a_read_only_store_is_one_line(read_only, tmp_path):
    cfg, store = read_only
    before = open(store, "rb").read()
    extra = write(tmp_path, EQ4.format(grid="width = [8]\n").replace('name = "eq4"', 'name = "more"'), "more.toml")
    for argv in (["sweep", extra, "--store", store, "--workers", "1"],
                 ["sweep", cfg, "--store", store, "--resume", "--workers", "1"]):
        status, _, err = run_cli(argv)
        assert_one_line_exit_2(status, err)
        assert "read-only" in err
    for argv in _readers(store, tmp_path):  # readers still read it
        assert run_cli(argv)[0] == 0
    assert open(store, "rb").read() == before


def _small_files():
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead of a kill


def test_a_full_disk_is_one_line_and_keeps_the_cells(tmp_path):
    cfg = write(tmp_path, EQ4.format(grid="width = [8, 16, 32, 64]\ndim = [2, 3, 4, 5, 6, 7, 8, 9]\n")
                 .replace("replicates = 2", "replicates = 4"))
    store = str(tmp_path / "s.sqlite")
    proc = subprocess.run([sys.executable, "-m", "boundcheck", "sweep", cfg, "--store", store, "--workers", "1"],
                          env=ENV, capture_output=True, text=True, preexec_fn=_small_files, timeout=300)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "full" in proc.stderr
    with open_store(store, must_exist=True) as s:
        kept = len(s.finished_cells("eq4"))
    assert kept > 0
    summary = run_sweep(load_config(cfg), store, workers=1, resume=True)  # room again: the rest runs
    assert summary["skipped"] == kept and summary["skipped"] + summary["ran"] == 128
