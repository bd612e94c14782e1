"""Specificity of the Section 3, Lemma 10-14 and Section 6 checks: over many seeds, how often each record
of a true claim comes out VIOLATED or INCONCLUSIVE at the level it gets in the default battery.

    python benchmarks/seeds_coupling.py [--seeds 20] [--first 0] [--level 0.999167] [--out FILE.json]

Each check runs at its defaults with ``numpy.random.default_rng(seed)``; every record is judged with
``record.at_level(level)`` (default 1 - 0.05/60: about 60 interval records share the battery's 5%).
Prints one row per record (claim, index, part, relation, counts of HOLDS / INCONCLUSIVE / VIOLATED,
range of the left side and of the interval ends) and the CPU seconds per check.
"""

from __future__ import annotations

import argparse
import collections
import json
import time

import numpy as np
from threadpoolctl import threadpool_limits

from boundcheck.lemmas import coupling, higher_order

CHECKS = (("Section 3 scalings", coupling.check_section3_scalings), ("Lemma 10", coupling.check_lemma10),
          ("Lemma 11", coupling.check_lemma11), ("Lemma 12", coupling.check_lemma12),
          ("Lemma 13", coupling.check_lemma13), ("Lemma 14", coupling.check_lemma14),
          ("Section 6", higher_order.check_section6))


def measure(seeds, level):
    """``{(claim, index): summary}`` over ``seeds``, and the CPU seconds of each check per seed."""
    rows, seconds = {}, collections.defaultdict(list)
    for seed in seeds:  # a loop over seeds, each check batched inside
        for label, check in CHECKS:
            start = time.process_time()
            records = check(rng=np.random.default_rng(seed))
            seconds[label].append(time.process_time() - start)
            for i, rec in enumerate(records if isinstance(records, list) else [records]):
                rec = rec.at_level(level)
                row = rows.setdefault((label, i), dict(part=rec.params.get("part", "").split(" [")[0],
                                                       relation=rec.relation, verdicts=collections.Counter(),
                                                       lhs=[], low=[], high=[]))
                row["verdicts"][rec.verdict] += 1
                row["lhs"].append(rec.lhs)
                if rec.interval is not None:
                    row["low"].append(rec.interval[0])
                    row["high"].append(rec.interval[1])
    return rows, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--level", type=float, default=1 - 0.05 / 60)
    parser.add_argument("--out", help="write the table as JSON")
    args = parser.parse_args()
    with threadpool_limits(limits=1):
        rows, seconds = measure(range(args.first, args.first + args.seeds), args.level)
    table = []
    for (label, i), row in rows.items():
        entry = dict(claim=label, index=i, part=row["part"], relation=row["relation"],
                     **{v: row["verdicts"].get(v, 0) for v in ("HOLDS", "INCONCLUSIVE", "VIOLATED")},
                     lhs=[min(row["lhs"]), max(row["lhs"])])
        if row["low"]:
            entry.update(lowest_low=min(row["low"]), highest_high=max(row["high"]))
        table.append(entry)
        print(f"{label:18s} {i} {row['relation']} {entry['HOLDS']:3d} {entry['INCONCLUSIVE']:3d} "
              f"{entry['VIOLATED']:3d}  lhs [{entry['lhs'][0]:.4g}, {entry['lhs'][1]:.4g}]"
              + (f"  interval ends [{entry['lowest_low']:.4g}, {entry['highest_high']:.4g}]" if row["low"] else "")
              + f"  {row['part'][:60]}")
    cpu = {label: float(np.median(s)) for label, s in seconds.items()}
    print("median CPU seconds per check:", {k: round(v, 2) for k, v in cpu.items()})
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(dict(level=args.level, seeds=[args.first, args.first + args.seeds], records=table,
                           cpu_seconds=cpu), handle, indent=1)


if __name__ == "__main__":
    main()
