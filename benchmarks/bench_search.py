"""The worst-case search against the random and trajectory draws, on the paper's "for every W" claims.

    python benchmarks/bench_search.py [--seeds 3] [--out data/search_vs_draws.json]

For each claim of the Bai & Lee pack that quantifies over every W (Lemma 1, Lemmas 10-14, Theorem 2,
Corollary 3) and each seed, the check runs twice at its defaults: once with the search replaced by
the evaluation of its starting points (the check's random, trajectory and closed-form points: what
the check found before the search existed), and once as it is. For every record whose part is
a worst case over W, the smallest relative margin (margin / |rhs|, the quantity the search minimizes;
smaller is closer to a counterexample) is printed for both runs, with the check's wall time at one
BLAS thread. Both runs of a seed draw their W from the same seed, so the difference is the search's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time

from boundcheck import search
from boundcheck._threads import single_thread
from boundcheck.run.provenance import versions
from boundcheck.run.registry import claims
from boundcheck.run.runner import run_claim

CLAIMS = ("Lemma 1", "Lemma 10", "Lemma 11", "Lemma 12", "Lemma 13", "Lemma 14", "Theorem 2", "Corollary 3")


def _relative(record):
    if record.margin is None or not record.rhs:
        return None
    return float(record.margin) / abs(float(record.rhs))


def _starts_only(sides, domains, *, relation="<=", rng, starts=(), relative=True, **_ignored):
    """search_worst without the search: the least-margin point among the starts it was given."""
    points = [dict(p) for p in starts] or [{k: d.sample(rng) for k, d in domains.items()}]
    best = None
    for point in points:
        lhs, rhs = (float(v) for v in sides(**point))
        slack = search._slack(lhs, rhs, relation)
        key = slack / (abs(lhs) + abs(rhs) + 1e-300) if relative else slack
        if best is None or key < best[0]:
            best = (key, slack, lhs, rhs, point)
    _, slack, lhs, rhs, point = best
    return search.WorstCase(slack, lhs, rhs, point, "starts only (no search)", len(points), len(points), [])


@contextlib.contextmanager
def _no_search():
    """Every module of the package that holds search_worst gets the starts-only stand-in."""
    original = search.search_worst
    holders = [m for name, m in list(sys.modules.items())
               if name.startswith("boundcheck") and getattr(m, "search_worst", None) is original]
    for module in holders:
        module.search_worst = _starts_only
    try:
        yield
    finally:
        for module in holders:
            module.search_worst = original


def _measure(label, seed, *, searched):
    start = time.perf_counter()
    with contextlib.nullcontext() if searched else _no_search():
        records = run_claim(label, seed=seed)
    seconds = time.perf_counter() - start
    parts = {}
    for record in records:
        part = record.params.get("part", "")
        if record.relation in ("<=", ">=") and not any(word in part for word in ("rate", "exponent")):
            parts[part] = _relative(record)  # the bounds over W; rates in m are not worst cases
    return parts, seconds, [r.verdict for r in records]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    claims()  # every pack imported, so that _no_search finds every module holding search_worst
    rows = []
    with single_thread():
        for label in CLAIMS:
            for seed in range(args.seeds):
                draws, t_draws, v_draws = _measure(label, seed, searched=False)
                found, t_search, v_search = _measure(label, seed, searched=True)
                for part in found:
                    rows.append({"claim": label, "seed": seed, "part": part,
                                 "relative_margin_draws": draws.get(part), "relative_margin_search": found[part],
                                 "seconds_draws": t_draws, "seconds_with_search": t_search,
                                 "verdicts_draws": v_draws, "verdicts_search": v_search})
    print(f"{'claim':12s} {'part':58s} {'draws':>9s} {'search':>9s} {'t draws':>8s} {'t search':>8s}")
    summary = []
    for label in CLAIMS:
        for part in dict.fromkeys(r["part"] for r in rows if r["claim"] == label):
            mine = [r for r in rows if r["claim"] == label and r["part"] == part]
            d = [r["relative_margin_draws"] for r in mine if r["relative_margin_draws"] is not None]
            s = [r["relative_margin_search"] for r in mine if r["relative_margin_search"] is not None]
            entry = {"claim": label, "part": part,
                     "smallest_relative_margin_draws": min(d) if d else None,
                     "smallest_relative_margin_search": min(s) if s else None,
                     "median_seconds_draws": statistics.median(r["seconds_draws"] for r in mine),
                     "median_seconds_with_search": statistics.median(r["seconds_with_search"] for r in mine)}
            summary.append(entry)
            fmt = lambda v: f"{v:9.4f}" if v is not None else f"{'-':>9s}"  # noqa: E731
            print(f"{label:12s} {part[:58]:58s} {fmt(entry['smallest_relative_margin_draws'])} "
                  f"{fmt(entry['smallest_relative_margin_search'])} {entry['median_seconds_draws']:8.2f} "
                  f"{entry['median_seconds_with_search']:8.2f}")
    if args.out:
        with open(args.out, "w") as handle:
            json.dump({"what": __doc__.splitlines()[0], "seeds": args.seeds, "versions": versions(),
                       "summary": summary, "rows": rows}, handle, indent=1)


if __name__ == "__main__":
    main()
