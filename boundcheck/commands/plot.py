"""``boundcheck plot --store FILE --x PARAM --y QUANTITY --out fig.png``: a figure from a sweep store."""

from __future__ import annotations

from .. import _validate as validate
from ..report.plots import FIGURE_FORMATS, figure_format, plot_records
from ..run.store import open_store

NAME = "plot"
HELP = ("plot any quantity of a sweep store against any parameter (PNG/PDF/SVG via --out), "
        "fitted rates beside claimed ones")
USES_INSTANCE = False
WRITES_OUT = True  # the figure is this command's --out; the CLI prints the plotted points instead


def add_arguments(parser):
    parser.add_argument("--store", metavar="FILE.sqlite", required=True, help="the SQLite store a sweep wrote")
    parser.add_argument("--x", metavar="PARAM",
                        help="parameter on the horizontal axis (a swept option, or a key of the records' params); "
                             "not needed with --y rate")
    parser.add_argument("--y", metavar="QUANTITY", default="lhs",
                        help="lhs, rhs, margin, interval_low, interval_high, a numeric params key, or 'rate' "
                             "(the log-log data of rate records with the fitted and the claimed slopes)")
    parser.add_argument("--claim", dest="claims", action="append", metavar="CLAIM", help="only this claim")
    parser.add_argument("--sweep", metavar="NAME", help="only this sweep of the store")
    parser.add_argument("--fit", action="store_true", help="fit y = c x^b per series and draw it")
    parser.add_argument("--claimed-exponent", type=float, metavar="B",
                        help="draw the claimed slope B beside the fitted one (with --fit)")
    parser.add_argument("--logx", action="store_true", help="logarithmic x axis (implied by --fit)")
    parser.add_argument("--logy", action="store_true", help="logarithmic y axis (implied by --fit)")


def run(args, rng):
    # The figure goes to --out (required here); the CLI then prints the plotted points to stdout.
    out = args.out
    if out is None:
        raise validate.BoundcheckInputError(f"plot needs --out FIGURE with a suffix among {', '.join(FIGURE_FORMATS)}")
    figure_format(out)
    with open_store(args.store, must_exist=True) as store:
        if args.sweep is not None:
            store.sweep_config(args.sweep)
        records = store.records(sweep=args.sweep, claims=args.claims)
    rows = plot_records(records, out, x=args.x, y=args.y, fit=args.fit, claimed_exponent=args.claimed_exponent,
                        logx=args.logx, logy=args.logy)
    args.out = None  # consumed: the figure is written; the rows go to standard output
    return rows
