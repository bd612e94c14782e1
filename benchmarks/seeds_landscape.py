"""Verdict rates of the Section 4 and OPT records over many seeds, at the battery's level.

Runs Lemma 1, Theorem 2, Corollary 3, Theorem 4 and the OPT bracket at default settings (or with
``--set key=value`` overrides, for planted errors) for seeds 0..N-1 and prints, per record, how
often it is HOLDS / INCONCLUSIVE / VIOLATED when its interval is taken at level 1 - 0.05/60 (the
level of one interval record in a default battery of about 60).

Usage: python benchmarks/seeds_landscape.py [--seeds 20] [--claims "Lemma 1" ...] [--set key=value ...]
"""

import argparse
import ast
import collections
import json
import os
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--claims", nargs="*", default=["Lemma 1", "Theorem 2", "Corollary 3", "Theorem 4",
                                                        "OPT bracket"])
    parser.add_argument("--set", nargs="*", default=[], help="check options, key=value (Python literals)")
    parser.add_argument("--level", type=float, default=1 - 0.05 / 60)
    parser.add_argument("--threads", default="1", help="BLAS threads (set before numpy is imported)")
    args = parser.parse_args(argv)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = args.threads
    import numpy as np

    from boundcheck.lemmas import landscape, opt

    checks = {"Lemma 1": landscape.check_lemma1, "Theorem 2": landscape.check_theorem2,
              "Corollary 3": landscape.check_corollary3, "Theorem 4": landscape.check_theorem4,
              "OPT bracket": opt.check_opt_bracket}
    options = {}
    for item in args.set:
        key, _, value = item.partition("=")
        options[key] = ast.literal_eval(value)
    tally = collections.defaultdict(collections.Counter)
    seconds = collections.defaultdict(list)
    outside = collections.Counter()
    for seed in range(args.seeds):  # a loop over seeds
        for name in args.claims:
            start = time.perf_counter()
            records = checks[name](rng=np.random.default_rng(seed), **options)
            seconds[name].append(time.perf_counter() - start)
            for rec in records:
                rec = rec.at_level(args.level)
                key = f"{name} | {rec.params.get('part', '')[:72]}"
                tally[key][rec.verdict] += 1
                outside[key] += not rec.within_hypotheses
        print(f"seed {seed} done", file=sys.stderr, flush=True)
    out = {key: dict(counts, outside_hypotheses=outside[key]) for key, counts in tally.items()}
    out["seconds (median per check)"] = {k: float(np.median(v)) for k, v in seconds.items()}
    print(json.dumps(dict(seeds=args.seeds, level=args.level, options=options, records=out), indent=1))


if __name__ == "__main__":
    main()
