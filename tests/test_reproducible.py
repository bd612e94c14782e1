"""Two runs with the same seed give byte-identical results: no wall-clock time in records, outputs or
the result tables of a store (timings live in ``--timings`` output and the store's ``timings`` table)."""

import json
import os
import sqlite3
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
CLAIMS = ["Symmetric init", "Randomized terms", "Equation 4 event", "OPT bracket"]


def _boundcheck(*argv, cwd):
    proc = subprocess.run([sys.executable, "-m", "boundcheck", *argv], env=ENV, cwd=cwd, capture_output=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def test_battery_json_is_byte_identical_across_processes(tmp_path):
    argv = ["verify", *CLAIMS, "--seed", "4", "--format", "json"]
    first = _boundcheck(*argv, cwd=tmp_path)
    second = _boundcheck(*argv, cwd=tmp_path)
    assert first == second
    records = json.loads(first)
    opt = [r for r in records if r["claim"] == "OPT bracket"]
    assert opt and all("seconds" not in r["params"] for r in opt)


def test_opt_output_has_timings_only_when_asked(tmp_path):
    argv = ["opt", "--n", "40", "--width", "6", "--dim", "3", "--format", "json"]
    first = _boundcheck(*argv, cwd=tmp_path)
    assert first == _boundcheck(*argv, cwd=tmp_path)
    assert "seconds" not in first.decode()
    timed = json.loads(_boundcheck(*argv, "--timings", cwd=tmp_path))
    assert timed["seconds"] > 0 and any(k.endswith("seconds") for k in timed["stages"])


def test_two_sweeps_give_identical_result_tables(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sweep]\nclaim = "Equation 4 event"\nreplicates = 2\n[grid]\nwidth = [8, 16]\n')
    for name in ("a.sqlite", "b.sqlite"):
        _boundcheck("sweep", str(cfg), "--store", name, "--workers", "1", cwd=tmp_path)
    tables = []
    for name in ("a.sqlite", "b.sqlite"):
        with sqlite3.connect(tmp_path / name) as conn:
            tables.append([conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                           for table in ("sweeps", "cells", "records")])
            elapsed = conn.execute("SELECT elapsed FROM timings").fetchall()
            assert len(elapsed) == 4 and all(e[0] is not None and e[0] >= 0 for e in elapsed)
    assert tables[0] == tables[1]


@pytest.mark.slow
def test_the_whole_battery_is_byte_identical(tmp_path):
    first = _boundcheck("--format", "json", cwd=tmp_path)
    assert first == _boundcheck("--format", "json", cwd=tmp_path)
