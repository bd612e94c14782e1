"""``boundcheck table --store FILE``: the records of a sweep store as a table in any format."""

from __future__ import annotations

from ..report.plots import record_rows, summary_rows
from ..run.store import open_store

NAME = "table"
HELP = "print the records of a sweep store (--summary: one row per grid point) in any --format"
USES_INSTANCE = False


def add_arguments(parser):
    parser.add_argument("--store", metavar="FILE.sqlite", required=True, help="the SQLite store a sweep wrote")
    parser.add_argument("--claim", dest="claims", action="append", metavar="CLAIM",
                        help="only records of this claim (repeatable)")
    parser.add_argument("--sweep", metavar="NAME", help="only this sweep of the store")
    parser.add_argument("--summary", action="store_true",
                        help="one row per grid point: verdict counts over replicates, mean sides, least margin")


def run(args, rng):
    with open_store(args.store, must_exist=True) as store:
        if args.sweep is not None:
            store.sweep_config(args.sweep)  # raises, naming the sweeps, when it is not there
        records = store.records(sweep=args.sweep, claims=args.claims)
    return summary_rows(records) if args.summary else record_rows(records)
