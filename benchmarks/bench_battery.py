"""Benchmark of the default battery: ``python -m boundcheck`` wall and CPU time, and per claim.

    python benchmarks/bench_battery.py [--repeats 3] [--tree DIR ...] [--per-claim] [--seeds 3]

Whole battery: ``python -m boundcheck --format json`` as a fresh process per run, ``--repeats``
runs per source tree, the trees interleaved (this one first; ``--tree DIR`` adds e.g. an export of
the commit before a change); the median wall time and the median CPU time (user + system of the
process and its threads) are printed with the ratio to the first ``--tree`` given, the baseline.
Every process starts with the machine's default BLAS threads: no thread variable is set.

``--per-claim``: in one process per tree, each claim of the battery run alone
(``run_claims([name], seed=s)``) for seeds 0 .. ``--seeds``-1 after one warm-up run of the
battery (imports and caches paid once, as in a sweep worker), median wall and CPU seconds per
claim; the sum is the cost of one battery run in a long-lived worker (the calibration's unit).
The trees' warm processes take turns claim by claim, so that the machine's load hits them alike.
``--one-thread`` runs every tree at one BLAS thread (threadpoolctl, inside the benchmark), so that
the ratio measures the work the checks do rather than the thread policy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

_WORKER = r"""
import json, sys, time
if sys.argv[1] == "1":  # one BLAS thread everywhere: compares the work, not the thread policy
    import scipy.linalg
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
from boundcheck.run.registry import claims
from boundcheck.run.runner import run_claims
from boundcheck.run.trust import battery_run
battery_run(0)  # warm-up: imports, caches
print(json.dumps([n for n, c in claims().items() if c.battery]), flush=True)
for line in sys.stdin:  # one request per line: claim name and seed
    name, seed = json.loads(line)
    w, c = time.perf_counter(), time.process_time()
    run_claims([name], seed=seed)
    print(json.dumps([time.perf_counter() - w, time.process_time() - c]), flush=True)
"""


def _env(root):
    env = dict(os.environ)
    env["PYTHONPATH"] = root
    return env


def _battery_once(root):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "boundcheck", "--format", "json"], env=_env(root), cwd=root,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"the battery of {root} failed ({proc.returncode})")
    return wall, cpu


class _Worker:
    """A warm process of one source tree that runs one claim per request."""

    def __init__(self, root, one_thread):
        self.proc = subprocess.Popen([sys.executable, "-c", _WORKER, "1" if one_thread else "0"], env=_env(root),
                                     cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.names = json.loads(self.proc.stdout.readline())

    def run(self, name, seed):
        self.proc.stdin.write(json.dumps([name, seed]) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def _per_claim(trees, seeds, one_thread):
    """{tree: {claim: [(wall, cpu) per seed]}}, the trees' warm workers taking turns claim by claim."""
    workers = {t: _Worker(root, one_thread) for t, root in trees.items()}
    names = workers["this tree"].names
    rows = {t: {n: [] for n in names} for t in trees}
    try:
        for seed in range(seeds):
            for n in names:  # interleaved: each claim runs in every tree before the next claim
                for t, worker in workers.items():
                    if n in worker.names:
                        rows[t][n].append(worker.run(n, seed))
    finally:
        for worker in workers.values():
            worker.close()
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tree", action="append", default=[], metavar="DIR",
                        help="also time the boundcheck of this source tree; the first one given is the baseline")
    parser.add_argument("--per-claim", action="store_true", help="time each claim in a warm process instead")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per claim with --per-claim")
    parser.add_argument("--one-thread", action="store_true",
                        help="with --per-claim: every tree at one BLAS thread (threadpoolctl), to compare the work")
    args = parser.parse_args()
    trees = {"this tree": ROOT}
    trees.update({os.path.basename(os.path.normpath(t)): os.path.abspath(t) for t in args.tree})
    base = os.path.basename(os.path.normpath(args.tree[0])) if args.tree else "this tree"
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if args.per_claim:
        rows = _per_claim(trees, args.seeds, args.one_thread)
        names = list(rows["this tree"])
        print(f"per claim, median over seeds 0..{args.seeds - 1} in a warm process: wall / cpu seconds")
        print(f"  {'claim':52s}" + "".join(f"{t:>24s}" for t in trees) + "   cpu ratio")
        totals = {t: [0.0, 0.0] for t in trees}
        for n in names:
            cells, cpu = [], {}
            for t in trees:
                runs = rows[t].get(n)
                if not runs:
                    cells.append(f"{'-':>24s}")
                    continue
                w = statistics.median(r[0] for r in runs)
                c = statistics.median(r[1] for r in runs)
                totals[t][0] += w
                totals[t][1] += c
                cpu[t] = c
                cells.append(f"{w:11.3f} / {c:9.3f}")
            ratio = f"{cpu[base] / cpu['this tree']:8.2f}x" if base in cpu and cpu.get("this tree") else ""
            print(f"  {n:52s}" + "".join(cells) + "   " + ratio)
        print(f"  {'one battery run (sum)':52s}" + "".join(f"{totals[t][0]:11.3f} / {totals[t][1]:9.3f}"
                                                          for t in trees)
              + (f"   {totals[base][1] / totals['this tree'][1]:8.2f}x" if base != "this tree" else ""))
    else:
        times = {t: [] for t in trees}
        for _ in range(args.repeats):  # interleaved
            for t, root in trees.items():
                times[t].append(_battery_once(root))
                print(f"  {t}: wall {times[t][-1][0]:.2f} s, cpu {times[t][-1][1]:.2f} s", flush=True)
        med = {t: (statistics.median(v[0] for v in vals), statistics.median(v[1] for v in vals))
               for t, vals in times.items()}
        print(f"python -m boundcheck --format json, median of {args.repeats} (interleaved):")
        for t, (w, c) in med.items():
            print(f"  {t:24s} wall {w:7.2f} s  cpu {c:7.2f} s   baseline/this: wall {med[base][0] / w:5.2f}x, "
                  f"cpu {med[base][1] / c:5.2f}x")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
