"""The trust measurements behind issue 11: false alarms per run over many seeds, and the power table.

Usage::

    python benchmarks/calibration.py [--seeds 200] [--store calibration.sqlite] [--workers 2]
                                     [--budget 10] [--budget-seeds 10] [--out data/]

1. Specificity: the default battery (both packs) at seeds 0..N-1, each run calibrated as one run, as a
   resumable battery sweep into ``--store`` (``boundcheck trust specificity`` does the same). Writes
   ``calibration_runs.json``: per run (seed, records, VIOLATED within / outside hypotheses,
   INCONCLUSIVE, the VIOLATED records), the share of runs with any VIOLATED within hypotheses with its
   Clopper-Pearson interval, per record the counts, and a check that no ``==`` record HOLDS with an
   interval outside its margin band.
2. Power: planted errors (constant 5/10/25/50%, exponent 0.05/0.1/0.25, sign) on the records of those
   runs, then the plants not caught in 90% of runs again at ``--budget`` times the effort over
   ``--budget-seeds`` fresh seeds, one claim per task on ``--workers`` processes. Writes
   ``power_table.json`` (rows, per-slot summary, headline).

CPU and wall time of each part are printed and stored with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

from joblib import Parallel, delayed

from boundcheck.run import trust
from boundcheck.run.provenance import versions


def _cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _band_check(runs):
    """``==`` records that HOLD with an interval outside [rhs - margin, rhs + margin] (must be none)."""
    bad, held = [], 0
    for run in runs:
        for rec in run:
            if rec["relation"] != "==" or rec["verdict"] != "HOLDS" or rec["interval"] is None:
                continue
            held += 1
            margin = rec["params"].get("equivalence_margin", 0.0)
            low, high = (float(v) for v in rec["interval"])
            if low < rec["rhs"] - margin or high > rec["rhs"] + margin:
                bad.append({"claim": rec["claim"], "part": rec["params"].get("part"), "seed": rec["seed"]})
    return {"equality_records_holding": held, "holding_outside_their_band": len(bad), "examples": bad[:5]}


def _per_run(runs):
    rows = []
    for run in runs:
        within = [r for r in run if r["verdict"] == "VIOLATED" and all(r["params"].get("hypotheses", {}).values())]
        rows.append({"seed": run[0]["seed"], "records": len(run),
                     "violated_within": len(within),
                     "violated_outside": sum(r["verdict"] == "VIOLATED" for r in run) - len(within),
                     "inconclusive": sum(r["verdict"] == "INCONCLUSIVE" for r in run),
                     "violated": [f"{r['claim']}: {r['params'].get('part', '')}" for r in within]})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--store", default="calibration.sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--budget-seeds", type=int, default=10)
    parser.add_argument("--out", default="data")
    parser.add_argument("--skip-power", action="store_true")
    args = parser.parse_args()

    wall, cpu = time.perf_counter(), _cpu()
    runs = trust.battery_runs(args.seeds, first_seed=0, store=args.store, resume=os.path.exists(args.store),
                              workers=args.workers)
    spec_wall, spec_cpu = time.perf_counter() - wall, _cpu() - cpu
    rates = trust.run_rates(runs)
    per_record = rates.pop("records")
    out = {"what": "default battery (both packs) at seeds 0..N-1, each run calibrated at alpha = 0.05",
           "versions": versions(), "summary": rates, "equality_band": _band_check(runs),
           "wall_seconds": spec_wall, "cpu_seconds": spec_cpu,
           "timing_note": "cpu_seconds counts this process and its workers for the runs not already in the store",
           "per_run": _per_run(runs), "per_record": per_record}
    with open(os.path.join(args.out, "calibration_runs.json"), "w") as handle:
        json.dump(out, handle, indent=1)
    print(json.dumps({k: out[k] for k in ("summary", "equality_band", "wall_seconds", "cpu_seconds")}, indent=1))
    if args.skip_power:
        return

    wall, cpu = time.perf_counter(), _cpu()
    rows = trust.power_table(runs)
    default_wall, default_cpu = time.perf_counter() - wall, _cpu() - cpu
    wall, cpu = time.perf_counter(), _cpu()
    budget_rows = []
    if args.budget > 1:  # one task per claim with missed plants, on --workers processes
        missed = sorted({row["claim"] for row in rows if row["share"] < trust.CATCH_SHARE})
        parts = Parallel(n_jobs=args.workers, backend="multiprocessing")(
            delayed(trust.budget_rows)(runs, rows, budget=args.budget, n_seeds=args.budget_seeds, claims=[label])
            for label in missed)
        budget_rows = [row for part in parts for row in part]
    budget_wall, budget_cpu = time.perf_counter() - wall, _cpu() - cpu
    everything = rows + budget_rows
    power = {"what": "planted errors on the records of the calibration runs (defaults), then the plants not caught "
                     f"in 90% of runs at {args.budget:g}x the effort over {args.budget_seeds} fresh seeds",
             "versions": versions(), "headline": trust.power_headline(everything),
             "default_seconds": {"wall": default_wall, "cpu": default_cpu},
             "budget_seconds": {"wall": budget_wall, "cpu": budget_cpu},
             "summary": trust.power_summary(everything), "rows": everything}
    with open(os.path.join(args.out, "power_table.json"), "w") as handle:
        json.dump(power, handle, indent=1)
    print(json.dumps({k: power[k] for k in ("headline", "default_seconds", "budget_seconds")}, indent=1))


if __name__ == "__main__":
    main()
