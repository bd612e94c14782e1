"""Benchmark of the trust suite: specificity over many seeds, sensitivity over the planted claims.

Usage::

    python benchmarks/bench_trust.py [--seeds 200] [--budget 300] [--claim LABEL ...] [--sensitivity]

For each true claim, one seed is timed first; the claim then runs over
``min(seeds, budget / seconds_per_seed)`` seeds (so one slow check cannot take the whole
afternoon), and the observed VIOLATED rate per record is printed beside the rate the records'
confidence levels (or failure probabilities) allow, with a one-sided binomial p-value.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from boundcheck.run.registry import claims, get_claim
from boundcheck.report.tables import format_rows
from boundcheck.run.trust import PLANTED, planted_claims, sensitivity, specificity


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--budget", type=float, default=300.0, help="seconds per claim at most")
    parser.add_argument("--claim", action="append", dest="claims")
    parser.add_argument("--sensitivity", action="store_true", help="also run every planted claim")
    args = parser.parse_args()
    labels = args.claims or list(claims())
    rows = []
    for label in labels:  # a loop over claims
        claim = get_claim(label)
        start = time.perf_counter()
        claim.check(rng=np.random.default_rng(10**9))  # a seed outside the counted range, for timing
        per_seed = time.perf_counter() - start
        n_seeds = int(max(1, min(args.seeds, args.budget // max(per_seed, 1e-3))))
        start = time.perf_counter()
        row = specificity([label], n_seeds=n_seeds)[0]
        row["seconds_per_seed"] = (time.perf_counter() - start) / n_seeds
        rows.append(row)
        print(format_rows([row], "table"), flush=True)
    print("\nspecificity (VIOLATED rate of true claims at default settings)")
    print(format_rows(rows, "table"))
    total = sum(r["records"] for r in rows)
    violated = sum(r["violated"] for r in rows)
    print(f"overall: {violated} VIOLATED of {total} records ({violated / max(total, 1):.4f}); "
          f"claims failing the binomial test: {[r['claim'] for r in rows if not r['ok']]}")
    if args.sensitivity:
        start = time.perf_counter()
        sens = sensitivity()
        print(f"\nsensitivity ({len(PLANTED)} planted, {len(planted_claims()[1])} not registered), "
              f"{time.perf_counter() - start:.1f} s")
        print(format_rows(sens, "table"))
        caught = [r for r in sens if r["caught"] is not None]
        print(f"caught {sum(r['caught'] for r in caught)} of {len(caught)} runnable planted claims")


if __name__ == "__main__":
    main()
