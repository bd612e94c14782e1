"""``boundcheck report DIR``: the whole battery written as a folder a co-author can open.

Runs every battery claim (the same runner call as ``boundcheck verify --all``), then writes
``DIR/index.md`` (summary, verdict table with its footnotes, errata, figures), the tables in CSV and
JSON, LaTeX fragments and a standalone ``report.tex``, and the figures (see
:mod:`boundcheck.report.folder`). Prints the files written.
"""

from __future__ import annotations

import os

from .. import _validate as validate
from .._lazy import lazy
from ..report.folder import write_report
from ..run.provenance import provenance
from ..run.registry import get_claim
from ._progress import _enabled as progress_enabled
from ._progress import working

cx = lazy("boundcheck.complexity")  # sympy: imported when the report is written, not for --help

NAME = "report"
HELP = "run the battery and write DIR/: index.md (summary, verdicts, errata, figures), CSV, JSON, LaTeX, PNG"
USES_INSTANCE = False


def add_arguments(parser):
    parser.add_argument("folder", metavar="DIR", help="the folder to write (created; must be empty unless --force)")
    parser.add_argument("--claim", dest="claims", action="append", metavar="CLAIM",
                        help="only this claim (repeatable; default: the battery of `verify --all`)")
    parser.add_argument("--level", type=float, default=0.95,
                        help="the run's confidence: the chance that no true claim comes out VIOLATED (default 0.95)")
    parser.add_argument("--budget", type=float, default=1.0,
                        help="power on demand: total effort per claim in multiples of its default (default 1)")
    parser.add_argument("--force", action="store_true", help="write into DIR even if it holds files")
    parser.add_argument("--no-samples", action="store_true", help="leave out the sample-size figure (saves a few s)")
    parser.add_argument("--pdf", action="store_true", help="also compile report.tex to report.pdf (needs pdflatex)")


def run_battery(labels, *, seed, level=0.95, budget=1.0):
    """The run of ``labels`` (None: the battery): the one place this command calls the runner, as
    ``verify --all`` does."""
    from ..run.runner import run_claims

    return run_claims(labels, seed=seed, alpha=1.0 - level, budget=budget, strict=False,
                      progress=progress_enabled())


def run(args, rng):
    folder = os.path.abspath(args.folder)
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise validate.BoundcheckInputError(f"DIR must be a folder; got the file {args.folder!r}")
    if os.path.isdir(folder) and os.listdir(folder) and not args.force:
        raise validate.BoundcheckInputError(f"DIR must be empty or new (or give --force); {args.folder!r} holds files")
    parent = os.path.dirname(folder)
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"DIR: the folder {parent!r} does not exist")
    level = validate.probability("level", args.level)
    labels = [get_claim(c).name for c in args.claims] if args.claims else None
    battery = run_battery(labels, seed=args.seed, level=level, budget=args.budget)
    records = battery.records
    samples = None
    if not args.no_samples:
        with working("report: predicted sample sizes"):
            samples = cx.prediction_rows("single", (10, 20, 40, 80, 160), (2, 4), (0.1,))
    params = {"claims": battery.claims, "level": level, "budget": args.budget}
    with working("report: writing"):
        files = write_report(folder, records, provenance=provenance(args.seed, params), samples_rows=samples,
                             pdf=args.pdf, run=battery)
    return [{"file": os.path.join(args.folder, name), "what": what} for name, what in files]
