"""Tests of sweeps: configuration, per-cell seeds, worker independence, interruption and resume, Dask."""

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest

from boundcheck._validate import BoundcheckInputError
from boundcheck.cli import main
from boundcheck.run.runner import run_claim
from boundcheck.run.store import open_store
from boundcheck.run.sweep import cell_seed, load_config, make_cells, parse_config, run_cell, run_sweep

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

EQ4 = """
[sweep]
claim = "Equation 4 event"
name = "eq4"
seed = 11
replicates = 3

[grid]
width = [8, 16, 32]
dim = [2, 3]
bound_factor = [1.0, 0.05]

[fixed]
failure_prob = 0.1
"""

RANDOMIZED = """
[sweep]
claim = "Randomized terms"
name = "rt"
seed = 5
replicates = {replicates}

[grid]
width = [32, 64]
claimed_mean = [0.0]

[fixed]
draws = {draws}
n_samples = 8
dim = 4
"""


def _write(tmp_path, text, name="cfg.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _results(store_path, sweep=None):
    with open_store(store_path, must_exist=True) as store:
        return store.records(sweep=sweep), [
            {k: c[k] for k in ("cell", "claim", "options", "replicate", "seed")} for c in store.cells(sweep)]


# -- configuration ---------------------------------------------------------------------------------

def test_config_cells_and_options(tmp_path):
    config = load_config(_write(tmp_path, EQ4))
    assert (config.claim, config.name, config.seed, config.replicates) == ("bai-lee-2020: Equation 4 event", "eq4", 11, 3)
    cells = make_cells(config)
    assert len(cells) == config.n_cells == 3 * 2 * 2 * 3
    assert [c.index for c in cells] == list(range(36))
    # row-major over the grid keys sorted by name (bound_factor, dim, width), replicates innermost;
    # fixed options in every cell
    assert cells[0].options == {"failure_prob": 0.1, "width": 8, "dim": 2, "bound_factor": 1.0}
    assert cells[3].options["width"] == 16 and cells[9].options["dim"] == 3
    assert cells[18].options["bound_factor"] == 0.05 and cells[17].options["bound_factor"] == 1.0
    assert [c.replicate for c in cells[:6]] == [0, 1, 2, 0, 1, 2]


def test_cell_seeds_are_spawned_children_of_the_sweep_seed():
    children = np.random.SeedSequence(11).spawn(5)
    for i, child in enumerate(children):
        assert cell_seed(11, i) == int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    seeds = [cell_seed(11, i) for i in range(1000)]
    assert len(set(seeds)) == 1000 and all(0 <= s < 2**63 for s in seeds)
    assert cell_seed(12, 0) != cell_seed(11, 0)


def test_a_cell_equals_verify_with_its_seed():
    seed = cell_seed(3, 4)
    cell = run_cell("Randomized terms", seed, {"width": 32, "draws": 100, "n_samples": 8, "dim": 4})
    direct = run_claim("Randomized terms", seed=seed, width=32, draws=100, n_samples=8, dim=4)
    assert cell == [r.to_dict() for r in direct]


@pytest.mark.parametrize("text, match", [
    ("[sweep]\nclaim = 'No such claim'\n", "claim must be one of"),
    ("[sweep]\nname = 'x'\n", "must name the claim"),
    ("[sweep]\nclaim = 'Equation 4 event'\n[grid]\nfoo = [1]\n", "foo is not an option.*allowed: width"),
    ("[sweep]\nclaim = 'Equation 4 event'\n[grid]\nwidth = []\n", "non-empty list"),
    ("[sweep]\nclaim = 'Equation 4 event'\n[grid]\nwidth = 4\n", "non-empty list"),
    ("[sweep]\nclaim = 'Equation 4 event'\n[grid]\nbound_factor = [nan]\n", "finite numbers"),
    ("[sweep]\nclaim = 'Equation 4 event'\n[fixed]\nbound_factor = inf\n", "finite numbers"),
    ("[sweep]\nclaim = 'Equation 4 event'\n[grid]\nwidth = [[[2], 4]]\n", "finite numbers"),
    ("[sweep]\nclaim = 'Equation 4 event'\n[grid]\nwidth = [[]]\n", "finite numbers"),
    ("[sweep]\nclaim = 'Equation 4 event'\n[grid]\nwidth = [4]\n[fixed]\nwidth = 4\n", "both"),
    ("[sweep]\nclaim = 'Equation 4 event'\nseed = -1\n", "sweep.seed must be an integer >= 0"),
    ("[sweep]\nclaim = 'Equation 4 event'\nreplicates = 0\n", "replicates must be an integer >= 1"),
    ("[sweep]\nclaim = 'Equation 4 event'\n[grid]\nrng = [1]\n", "rng is not an option"),
    ("[sweep]\nclaim = 'Equation 4 event'\n[extra]\n", "sections must be among"),
    ("[sweep]\nclaim = 'Equation 4 event'\nwhat = 1\n", r"\[sweep\] keys"),
    ("[sweep\nclaim = 1", "not valid TOML"),
    ("[grid]\nwidth = [4]\n", r"\[sweep\] table"),
])
def test_bad_configurations_name_the_problem(tmp_path, text, match):
    with pytest.raises(BoundcheckInputError, match=match):
        load_config(_write(tmp_path, text))


def test_list_valued_options(tmp_path):
    config = load_config(_write(tmp_path, "[sweep]\nclaim = 'Theorem 7'\n[fixed]\nwidths = [16, 32, 64]\n"
                                          "[grid]\ndegree = [3, 4]\n"))
    cells = make_cells(config)
    assert [c.options for c in cells] == [{"widths": [16, 32, 64], "degree": 3}, {"widths": [16, 32, 64], "degree": 4}]


def test_bad_configuration_kinds(tmp_path):
    with pytest.raises(TypeError, match="sweep.claim must be a string"):
        parse_config({"sweep": {"claim": 3}})
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_config(str(tmp_path / "missing.toml"))
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(BoundcheckInputError, match="TOML|UTF-8"):
        load_config(str(binary))


# -- running -------------------------------------------------------------------------------------------

def test_results_do_not_depend_on_the_number_of_workers(tmp_path):
    cfg = _write(tmp_path, EQ4)
    one = run_sweep(cfg, str(tmp_path / "one.sqlite"), workers=1)
    two = run_sweep(cfg, str(tmp_path / "two.sqlite"), workers=2)
    assert one["ran"] == two["ran"] == 36 and one["verdicts"] == two["verdicts"]
    assert _results(tmp_path / "one.sqlite") == _results(tmp_path / "two.sqlite")
    records, cells = _results(tmp_path / "one.sqlite")
    # the planted factor 0.05 is violated, the true bound holds, in every replicate
    for rec in records:
        assert rec["verdict"] == ("HOLDS" if rec["options"]["bound_factor"] == 1.0 else "VIOLATED")
    assert [c["seed"] for c in cells] == [cell_seed(11, i) for i in range(36)]


def test_provenance_is_stored_with_each_cell(tmp_path):
    cfg = _write(tmp_path, EQ4)
    run_sweep(cfg, str(tmp_path / "s.sqlite"), workers=1)
    with open_store(tmp_path / "s.sqlite") as store:
        cells = store.cells("eq4")
    prov = cells[5]["provenance"]
    assert prov["seed"] == cells[5]["seed"] and prov["versions"]["numpy"] == np.__version__
    assert prov["parameters"]["cell"] == 5 and prov["parameters"]["options"]["width"] == 16


class _Stop(Exception):
    pass


@pytest.mark.parametrize("workers", [1, 2])
def test_interrupted_then_resumed_equals_uninterrupted(tmp_path, workers):
    cfg = _write(tmp_path, EQ4)
    run_sweep(cfg, str(tmp_path / "full.sqlite"), workers=1)
    seen = []

    def stop_after_seven(cell):
        seen.append(cell.index)
        if len(seen) == 7:
            raise _Stop

    with pytest.raises(_Stop):
        run_sweep(cfg, str(tmp_path / "cut.sqlite"), workers=workers, on_cell=stop_after_seven)
    with open_store(tmp_path / "cut.sqlite") as store:
        assert len(store.finished_cells("eq4")) == 7
    with pytest.raises(BoundcheckInputError, match="pass --resume"):
        run_sweep(cfg, str(tmp_path / "cut.sqlite"), workers=workers)
    summary = run_sweep(cfg, str(tmp_path / "cut.sqlite"), workers=workers, resume=True)
    assert (summary["skipped"], summary["ran"]) == (7, 29)
    assert _results(tmp_path / "cut.sqlite") == _results(tmp_path / "full.sqlite")
    again = run_sweep(cfg, str(tmp_path / "cut.sqlite"), workers=workers, resume=True)
    assert again["ran"] == 0
    assert _results(tmp_path / "cut.sqlite") == _results(tmp_path / "full.sqlite")


def test_sigkill_mid_sweep_then_resume(tmp_path):
    """Kill the sweep process (and its workers) with SIGKILL while it writes, then resume."""
    cfg = _write(tmp_path, RANDOMIZED.format(replicates=12, draws=3000))
    full, cut = str(tmp_path / "full.sqlite"), str(tmp_path / "cut.sqlite")
    run_sweep(cfg, full, workers=1)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "boundcheck", "sweep", cfg, "--store", cut, "--workers", "2"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    finished = 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if os.path.exists(cut):
                try:
                    with sqlite3.connect(cut, timeout=5) as conn:
                        finished = conn.execute("SELECT count(*) FROM cells").fetchone()[0]
                except sqlite3.OperationalError:
                    finished = 0
                if finished >= 3:
                    break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes, started by this test
        proc.wait()
    killed = proc.returncode == -signal.SIGKILL
    with open_store(cut) as store:
        partial = len(store.finished_cells("rt"))
    assert partial >= 3
    summary = run_sweep(cfg, cut, workers=1, resume=True)
    assert summary["skipped"] == partial and summary["skipped"] + summary["ran"] == 24
    assert _results(cut) == _results(full)
    if not killed:  # pragma: no cover - the machine was fast enough to finish first
        pytest.skip("the sweep finished before it could be killed; resume was still checked")


def test_dask_cluster_gives_the_same_results(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    cfg = _write(tmp_path, EQ4)
    run_sweep(cfg, str(tmp_path / "local.sqlite"), workers=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) \
            as cluster:
        summary = run_sweep(cfg, str(tmp_path / "dask.sqlite"), scheduler=cluster.scheduler_address)
    assert summary["ran"] == 36
    assert _results(tmp_path / "dask.sqlite") == _results(tmp_path / "local.sqlite")


def test_unreachable_scheduler_is_one_clear_error(tmp_path, monkeypatch):
    pytest.importorskip("dask.distributed")
    monkeypatch.setattr("boundcheck.run.sweep._CONNECT_TIMEOUT", 1)
    cfg = _write(tmp_path, EQ4)
    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        status = main(["sweep", cfg, "--store", str(tmp_path / "s.sqlite"), "--scheduler", "tcp://127.0.0.1:9"])
    assert status == 2
    assert "scheduler" in err.getvalue() and len(err.getvalue().strip().splitlines()) == 1


# -- the command line ---------------------------------------------------------------------------------

def _cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def test_sweep_table_and_plot_commands(tmp_path):
    cfg = _write(tmp_path, EQ4)
    store = str(tmp_path / "s.sqlite")
    status, out, err = _cli(["sweep", cfg, "--store", store, "--workers", "1", "--format", "json"])
    assert status == 0, err
    summary = json.loads(out)
    assert summary["cells"] == 36 and summary["verdicts"]["VIOLATED"] == 18
    status, out, _ = _cli(["sweep", cfg, "--store", store, "--resume", "--format", "json"])
    assert status == 0 and json.loads(out)["skipped"] == 36
    for fmt in ("table", "markdown", "latex", "csv", "json"):
        status, out, err = _cli(["table", "--store", store, "--format", fmt])
        assert status == 0, err
        assert "Equation 4 event" in out
    status, out, _ = _cli(["table", "--store", store, "--format", "json"])
    rows = json.loads(out)
    assert len(rows) == 36 and {"width", "dim", "bound_factor", "lhs", "rhs", "verdict", "seed"} <= set(rows[0])
    status, out, _ = _cli(["table", "--store", store, "--summary", "--format", "json"])
    summary_rows = json.loads(out)
    assert len(summary_rows) == 12 and all(r["n"] == 3 for r in summary_rows)
    assert all(r["VIOLATED"] == (3 if r["bound_factor"] == 0.05 else 0) for r in summary_rows)
    status, out, _ = _cli(["table", "--store", store, "--claim", "Lemma 99", "--format", "json"])
    assert status == 0 and json.loads(out) == []
    for suffix in ("png", "pdf", "svg"):
        fig = tmp_path / f"fig.{suffix}"
        status, out, err = _cli(["plot", "--store", store, "--x", "width", "--y", "margin", "--out", str(fig)])
        assert status == 0, err
        assert fig.stat().st_size > 1000
    head = (tmp_path / "fig.png").read_bytes()[:8]
    assert head == b"\x89PNG\r\n\x1a\n" and (tmp_path / "fig.pdf").read_bytes()[:5] == b"%PDF-"
    status, out, err = _cli(["plot", "--store", store, "--x", "width", "--y", "lhs", "--fit",
                             "--claimed-exponent", "0.5", "--out", str(tmp_path / "fit.pdf"), "--format", "json"])
    assert status == 0, err
    points = json.loads(out)
    assert all("fitted_exponent" in p for p in points)


def test_pdf_figures_are_reproducible(tmp_path):
    cfg = _write(tmp_path, EQ4)
    store = str(tmp_path / "s.sqlite")
    run_sweep(cfg, store, workers=1)
    _cli(["plot", "--store", store, "--x", "width", "--out", str(tmp_path / "a.pdf")])
    _cli(["plot", "--store", store, "--x", "width", "--out", str(tmp_path / "b.pdf")])
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


@pytest.mark.parametrize("argv_tail, match", [
    (["--x", "nope"], "x must be one of"),
    (["--x", "width", "--y", "nope"], "y must be one of"),
    (["--x", "width", "--out", "fig.txt"], "must end in one of"),
    (["--x", "width"], "plot needs --out"),
    (["--y", "rate"], "needs rate records"),
    (["--x", "width", "--claimed-exponent", "nan"], "claimed_exponent must be a finite number"),
])
def test_plot_errors(tmp_path, argv_tail, match):
    cfg = _write(tmp_path, EQ4)
    store = str(tmp_path / "s.sqlite")
    run_sweep(cfg, store, workers=1)
    tail = [str(tmp_path / a) if a.startswith("fig.") else a for a in argv_tail]
    if "--out" not in tail and "plot needs" not in match:
        tail += ["--out", str(tmp_path / "fig.png")]
    status, out, err = _cli(["plot", "--store", store] + tail)
    assert status == 2
    assert len(err.strip().splitlines()) == 1
    import re
    assert re.search(match, err), err
    assert not (tmp_path / "fig.png").exists() and not (tmp_path / "fig.txt").exists()


def test_rate_records_plot_fitted_beside_claimed(tmp_path):
    """Rate records (CheckResult.from_fit) drawn with their fitted and claimed slopes."""
    from boundcheck.results import rate

    rng = np.random.default_rng(4)
    store_path = tmp_path / "rates.sqlite"
    xs = np.array([64.0, 128.0, 256.0, 512.0, 1024.0])
    with open_store(store_path) as store:
        store.register_sweep("r", {"claim": "synthetic"}, resume=False)
        for cell, exponent in enumerate((-0.5, -0.25, -0.5)):
            ys = 3.0 * xs ** exponent * np.exp(0.01 * rng.standard_normal(xs.size))
            rec = rate(xs, ys, -0.5, "==", params={"part": "rate"}, margin=0.1, margin_reason="test", claim="Synthetic rate")
            rec.seed = cell
            store.write_cell("r", cell, claim="Synthetic rate", options={"width_scale": float(cell)}, replicate=0,
                             seed=cell, records=[rec.to_dict()], provenance={})
    status, out, err = _cli(["plot", "--store", str(store_path), "--y", "rate", "--out", str(tmp_path / "r.png"),
                             "--format", "json"])
    assert status == 0, err
    rows = json.loads(out)
    assert [r["verdict"] for r in rows] == ["HOLDS", "VIOLATED", "HOLDS"]
    assert rows[1]["fitted_exponent"] == pytest.approx(-0.25, abs=0.02) and rows[1]["claimed_exponent"] == -0.5
    assert (tmp_path / "r.png").stat().st_size > 1000
    status, out, err = _cli(["plot", "--store", str(store_path), "--x", "width_scale", "--y", "lhs",
                             "--out", str(tmp_path / "e.pdf"), "--format", "json"])
    assert status == 0, err
    assert [p["y"] for p in json.loads(out)] == pytest.approx([r["fitted_exponent"] for r in rows])
