r"""Measured robustness of sweeps and constants: injection payloads, SIGKILLs, concurrent sweeps.

Usage::

    python benchmarks/bench_robustness.py [--kills 20] [--concurrent 10] [--out data/robustness_summary.json]

* **injection**: every payload of ``data/injection_payloads.json`` (``{marker}`` replaced by a file
  path) is handed, as ``paper_constant``, to the parser, to each affected check in this process
  (Lemma 9, Lemma 9 coefficients, Lemma 15, Theorem 7), to a sweep on local worker processes and to
  a sweep on a Dask worker process. Counted: tried, refused, executed (the marker file exists).
* **kills**: ``--kills`` SIGKILLs of ``boundcheck sweep`` (a) during store creation (at staggered
  moments in the first 80 ms after the file appears,
  half of them in the first 6 ms, while the schema is written), (b) while cells run on two workers, (c)
  while a resumed sweep runs. After each, the store is opened (refused?), the surviving workers are
  counted, the sweep is resumed to the end and compared with an uninterrupted run: records lost,
  duplicated or different.
* **concurrent**: ``--concurrent`` tries of two sweeps started together on one store. Counted: the
  outcomes (finished, refused in one line), tracebacks, IntegrityErrors, stores lost; then the
  store is resumed and compared with the uninterrupted run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ)
ENV.setdefault("PYTHONPATH", ROOT)  # the boundcheck measured is the one on PYTHONPATH (this tree by default)

SWEEP = """
[sweep]
claim = "Randomized terms"
name = "rt"
seed = 5
replicates = 12
[grid]
width = [32, 64]
[fixed]
draws = {draws}
n_samples = 8
dim = 4
"""


def _boundcheck(*argv, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "boundcheck", *argv], env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, **kwargs)


# -- injection ---------------------------------------------------------------------------------------------------

def injection(folder):
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from boundcheck.cli import main
    from boundcheck.run.sweep import run_cell
    from boundcheck.symbolic.parse import parse_constant

    with open(os.path.join(ROOT, "data", "injection_payloads.json")) as handle:
        payloads = json.load(handle)["payloads"]
    marker = os.path.join(folder, "PAYLOAD-RAN")
    cheap = {"Lemma 9": dict(draws=200, degrees=[2], dim=3, scales=[0.5, 1.0, 2.0]),
             "Lemma 9 coefficients": dict(max_degree=4, n_terms=4, draws=100, dim=3),
             "Lemma 15": dict(draws=200, degrees=[4], dim=3),
             "Theorem 7": dict(widths=[16, 32, 64], draws=2, n_samples=8, dim=3, n_prob_draws=50, n_var_draws=20)}
    counts = {"payloads": len(payloads), "tried": 0, "refused": 0, "accepted": 0, "executed": 0, "by_route": {}}

    def attempt(route, call):
        counts["tried"] += 1
        route_counts = counts["by_route"].setdefault(route, {"tried": 0, "refused": 0, "executed": 0})
        route_counts["tried"] += 1
        try:
            call()
        except (ValueError, TypeError):
            counts["refused"] += 1
            route_counts["refused"] += 1
        else:
            counts["accepted"] += 1
        if os.path.exists(marker):
            counts["executed"] += 1
            route_counts["executed"] += 1
            os.unlink(marker)

    for payload in payloads:
        text = payload.replace("{marker}", marker)
        attempt("parse_constant", lambda: parse_constant(text))
        for claim, options in cheap.items():
            attempt(f"check {claim}", lambda: run_cell(claim, 1, dict(options, paper_constant=text)))

    def sweep(extra, text):
        cfg = os.path.join(folder, "inj.toml")
        with open(cfg, "w") as handle:
            handle.write('[sweep]\nclaim = "Lemma 9 coefficients"\n[fixed]\nmax_degree = 4\nn_terms = 4\ndraws = 100\n'
                         f"dim = 3\npaper_constant = {json.dumps(text)}\n[grid]\nrel_tol = [0.02, 0.03]\n")
        store = os.path.join(folder, "inj.sqlite")
        err = io.StringIO()
        with redirect_stdout(io.StringIO()), redirect_stderr(err):
            status = main(["sweep", cfg, "--store", store] + extra)
        if os.path.exists(store):
            os.unlink(store)
        if status != 0:
            raise ValueError(err.getvalue())

    for payload in payloads:
        attempt("sweep on 2 worker processes", lambda: sweep(["--workers", "2"], payload.replace("{marker}", marker)))
    try:
        from dask.distributed import LocalCluster
    except ImportError:  # pragma: no cover - dask is optional
        return counts
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        for payload in payloads:
            attempt("sweep on a Dask worker process",
                    lambda: sweep(["--scheduler", cluster.scheduler_address], payload.replace("{marker}", marker)))
    return counts


# -- kills -------------------------------------------------------------------------------------------------------

def _store_rows(path):
    """``{(cell, position): record JSON}`` and the cell count of a store, or None if it cannot be opened."""
    from boundcheck.run.store import open_store

    try:
        with open_store(path, must_exist=True) as store:
            records = store.records()
            n_cells = len(store.cells())
    except Exception:  # noqa: BLE001 - any refusal counts
        return None
    rows = {}
    duplicates = 0
    for rec in records:
        key = (rec["cell"], rec["position"])
        duplicates += key in rows
        rows[key] = json.dumps({k: rec[k] for k in ("claim", "lhs", "rhs", "verdict", "seed", "options")},
                               sort_keys=True)
    return rows, n_cells, duplicates


def _compare(path, reference):
    got = _store_rows(path)
    if got is None:
        return {"refused": 1, "lost": len(reference), "duplicated": 0, "different": 0}
    rows, _, duplicates = got
    lost = sum(k not in rows for k in reference)
    extra = sum(k not in reference for k in rows)
    different = sum(rows[k] != reference[k] for k in reference if k in rows)
    return {"refused": 0, "lost": lost, "duplicated": duplicates + extra, "different": different}


def _children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry))
    return kids


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _cells_done(path):
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM cells").fetchone()[0]
    except sqlite3.Error:
        return 0


def _resume(cfg, store):
    proc = subprocess.run([sys.executable, "-m", "boundcheck", "sweep", cfg, "--store", store, "--resume",
                           "--workers", "2"], env=ENV, capture_output=True, text=True, timeout=900)
    return proc.returncode, proc.stderr


def _reference(folder, name, draws):
    """The sweep config ``name``.toml (cells of ``draws`` draws) and the rows of its uninterrupted run."""
    from boundcheck.run.sweep import run_sweep

    cfg = os.path.join(folder, f"{name}.toml")
    with open(cfg, "w") as handle:
        handle.write(SWEEP.format(draws=draws))
    reference_path = os.path.join(folder, f"{name}-reference.sqlite")
    run_sweep(cfg, reference_path, workers=1)
    return cfg, _store_rows(reference_path)[0]


def kills(folder, n_kills, rng):
    cfg, reference = _reference(folder, "k", 40000)
    phases = {}
    for phase in ("creation", "cells", "resume"):
        totals = {"kills": 0, "killed_before_exit": 0, "refused": 0, "lost": 0, "duplicated": 0, "different": 0,
                  "workers_seen": 0, "workers_alive_after_5s": 0, "resume_failures": 0}
        for i in range(n_kills):
            store = os.path.join(folder, f"{phase}{i}.sqlite")
            if phase == "resume":  # a partial store first, then kill its resume
                first = _boundcheck("sweep", cfg, "--store", store, "--workers", "2")
                _wait(lambda: _cells_done(store) >= rng.randint(1, 8) or first.poll() is not None, 120)
                first.kill()
                first.wait()
            proc = _boundcheck("sweep", cfg, "--store", store, "--workers", "2",
                               *(["--resume"] if phase == "resume" else []))
            if phase == "creation":
                deadline = time.monotonic() + 60
                while not os.path.exists(store) and proc.poll() is None and time.monotonic() < deadline:
                    pass  # busy: the schema is written within milliseconds of the file's creation
                # within the first 80 ms of the file's life, half of the kills in its first 6 ms
                time.sleep(rng.uniform(0.0, 0.006 if i % 2 == 0 else 0.08))
            else:
                base = _cells_done(store)
                target = base + rng.randint(1, 6)
                _wait(lambda: _cells_done(store) >= target or proc.poll() is not None, 300)
            workers = _children(proc.pid)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            totals["kills"] += 1
            totals["killed_before_exit"] += proc.returncode == -signal.SIGKILL
            totals["workers_seen"] += len(workers)
            deadline = time.monotonic() + 5
            while any(_alive(w) for w in workers) and time.monotonic() < deadline:
                time.sleep(0.05)
            totals["workers_alive_after_5s"] += sum(_alive(w) for w in workers)
            if os.path.exists(store):
                status, err = _resume(cfg, store)
                if status != 0:
                    totals["resume_failures"] += 1
                    print(f"{phase} {i}: resume failed: {err.strip()}", file=sys.stderr)
                outcome = _compare(store, reference)
            else:  # killed before the file existed: nothing to lose; a fresh run must still work
                status, _ = _resume(cfg, store)
                outcome = _compare(store, reference) if status == 0 else {"refused": 1, "lost": 0, "duplicated": 0,
                                                                         "different": 0}
            for key, value in outcome.items():
                totals[key] += value
        phases[phase] = totals
        print(phase, totals, file=sys.stderr, flush=True)
    return phases


def _wait(condition, timeout):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.001)


# -- concurrent sweeps ----------------------------------------------------------------------------------------------

def concurrent(folder, n_tries, rng):
    from boundcheck.run.sweep import run_sweep

    cfg, reference = _reference(folder, "c", 20000)
    totals = {"tries": 0, "finished": 0, "refused_one_line": 0, "other_failures": 0, "tracebacks": 0,
              "integrity_errors": 0, "stores_lost": 0, "lost": 0, "duplicated": 0, "different": 0}
    for i in range(n_tries):
        store = os.path.join(folder, f"c{i}.sqlite")
        resume = i % 2 == 1  # odd tries: both resume a store that already holds some cells
        if resume:
            try:
                run_sweep(cfg, store, workers=1, on_cell=_Stopper(rng.randint(1, 10)))
            except _Stop:
                pass
        extra = ["--resume"] if resume else []
        procs = [_boundcheck("sweep", cfg, "--store", store, "--workers", "1", *extra) for _ in range(2)]
        for proc in procs:
            _, err = proc.communicate(timeout=900)
            totals["tries"] += proc is procs[0]
            lines = err.strip().splitlines()
            totals["tracebacks"] += "Traceback" in err
            totals["integrity_errors"] += "IntegrityError" in err
            if proc.returncode == 0:
                totals["finished"] += 1
            elif proc.returncode == 2 and len(lines) == 1:
                totals["refused_one_line"] += 1
            else:
                totals["other_failures"] += 1
        if not os.path.exists(store):
            totals["stores_lost"] += 1
            continue
        _resume(cfg, store)
        outcome = _compare(store, reference)
        for key in ("lost", "duplicated", "different"):
            totals[key] += outcome[key]
    print("concurrent", totals, file=sys.stderr, flush=True)
    return totals


class _Stop(Exception):
    pass


class _Stopper:
    """``on_cell`` that interrupts a sweep after ``n`` cells."""

    def __init__(self, n):
        self.n, self.seen = n, 0

    def __call__(self, cell):
        self.seen += 1
        if self.seen == self.n:
            raise _Stop


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs per phase (default 20)")
    parser.add_argument("--concurrent", type=int, default=10, help="tries of two sweeps at once (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=("injection", "kills", "concurrent"))
    parser.add_argument("--out", help="write the summary (JSON) here, e.g. data/robustness_summary.json")
    opts = parser.parse_args()
    rng = random.Random(opts.seed)
    summary = {}
    with tempfile.TemporaryDirectory(prefix="boundcheck-robust-") as folder:
        if opts.only in (None, "injection"):
            summary["injection"] = injection(folder)
            print("injection", summary["injection"], file=sys.stderr, flush=True)
        if opts.only in (None, "kills"):
            summary["kills"] = kills(folder, opts.kills, rng)
        if opts.only in (None, "concurrent"):
            summary["concurrent"] = concurrent(folder, opts.concurrent, rng)
    text = json.dumps(summary, indent=1)
    print(text)
    if opts.out:
        with open(opts.out, "w") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
