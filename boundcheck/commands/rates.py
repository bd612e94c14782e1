"""``boundcheck rates``: every fitted rate of a claim, on log-log axes, claimed slope beside the measured one.

Runs the registered check of each ``--claim`` (default: every claim of Sections 3, 4 and 6 and
Appendix B that fits a rate), keeps the records that are power-law fits (their params hold
``fit_x``/``fit_y``), prints one row per fit and, with ``--plot FILE.png``, draws one panel per fit:
the measured points, the fitted line with its exponent and interval, and a line of the claimed
slope through the same central point.
"""

from __future__ import annotations

from ..report.plots import figure_format, plot_fit_records
from ..run.registry import get_claim
from ._progress import _enabled as bar_enabled

NAME = "rates"
HELP = "fitted rates in m of the landscape / coupling / higher-order claims, with a log-log plot"
USES_INSTANCE = False

DEFAULT_CLAIMS = ("Section 3 scalings", "Lemma 1", "Theorem 2", "Lemma 11", "Lemma 12", "Lemma 13", "Lemma 14",
                  "Section 6")


def add_arguments(parser):
    parser.add_argument("--claim", action="append", metavar="CLAIM",
                        help='a claim label, e.g. "Lemma 11" (repeatable; default: all rate claims)')
    parser.add_argument("--plot", metavar="FILE.png", help="write the log-log figure to FILE.png")


def fit_records(labels, *, seed=0):
    """The fit records (those whose params hold ``fit_x``/``fit_y``) of the claims ``labels``, run as one run."""
    from ..run.runner import run_claims

    claims = [get_claim(label) for label in labels]  # every label checked before any work
    run = run_claims([c.name for c in claims], seed=seed, strict=False, progress=bar_enabled())
    return [record for record in run.records if "fit_x" in record.params and "fit_y" in record.params]


def rate_rows(records):
    """One row per fit: claim, part, fitted exponent and interval, claimed exponent, verdict."""
    rows = []
    for r in records:
        low, high = r.interval
        rows.append(dict(claim=r.claim, part=r.params.get("part", ""), fitted=r.lhs, low=low, high=high,
                         claimed=r.rhs, relation=r.relation, verdict=r.verdict,
                         faster_by=r.params.get("faster_by", r.rhs - r.lhs)))
    return rows


def run(args, rng):
    labels = args.claim or list(DEFAULT_CLAIMS)
    if args.plot:
        figure_format(args.plot)  # fail before the work, not after it
    records = fit_records(labels, seed=args.seed)
    if args.plot:
        plot_fit_records(records, args.plot)
    return rate_rows(records)
