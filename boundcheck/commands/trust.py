"""``boundcheck trust sensitivity|specificity|power``: can the verdicts be trusted?

``sensitivity`` runs the planted false claims of :mod:`boundcheck.run.trust` (each must come out
VIOLATED); ``specificity`` runs the battery at many seeds as a resumable sweep into a store and
reports the share of runs with any VIOLATED record within its hypotheses (the run promises at most
5%), with its interval; ``power`` plants errors into the stored runs' records and reports, per
record, the smallest error caught in 90% of the runs (``--budget`` re-runs the plants at a larger
effort).
"""

from __future__ import annotations

from .. import _validate as validate

NAME = "trust"
HELP = ("planted false claims must be VIOLATED (sensitivity); false alarms per run of the battery over many "
        "seeds (specificity); the smallest planted errors caught (power)")
USES_INSTANCE = False


def add_arguments(parser):
    # one positional instead of nested subparsers, so --seed/--format/--out may follow it
    parser.add_argument("what", choices=("sensitivity", "specificity", "power"),
                        help="sensitivity: every planted false claim at default settings; specificity: the battery "
                             "over many seeds; power: planted errors on the runs of a specificity store")
    parser.add_argument("--fast", action="store_true",
                        help="sensitivity: skip the plants whose check is slow at default settings")
    parser.add_argument("--seeds", type=int, default=200, help="specificity: runs, at seeds --seed, --seed + 1, ... "
                                                               "(default 200); power --budget: runs per plant")
    parser.add_argument("--store", metavar="FILE.sqlite",
                        help="specificity: write each run into this store as it finishes (resumable); "
                             "power: read the runs from it")
    parser.add_argument("--resume", action="store_true", help="specificity: skip the runs already in the store")
    parser.add_argument("--workers", type=int, help="specificity: worker processes (default: the CPUs)")
    parser.add_argument("--budget", type=float, default=1.0,
                        help="power: also re-run the plants not caught at defaults with this effort (e.g. 10)")
    parser.add_argument("--claim", dest="claims", action="append", metavar="CLAIM",
                        help="power --budget: only this claim (repeatable)")
    parser.add_argument("--claims", dest="claim_files", action="append", metavar="FILE.py", default=[],
                        help="load the claims of your own Python file first: its battery claims join the runs")


def run(args, rng):
    from ..run import trust
    from ..run.registry import load_claims_file

    for path in args.claim_files:
        load_claims_file(path)
    if args.what == "sensitivity":
        return trust.sensitivity(seed=args.seed, include_slow=not args.fast)
    n_seeds = validate.integer("--seeds", args.seeds, minimum=1, maximum=100000)
    if args.what == "specificity":
        runs = trust.battery_runs(n_seeds, first_seed=args.seed, store=args.store, resume=args.resume,
                                  workers=args.workers)
        summary = trust.run_rates(runs)
        summary.pop("records")
        return summary
    if not args.store:
        raise validate.BoundcheckInputError("power needs --store FILE.sqlite holding the runs of `trust specificity`")
    runs = trust.stored_runs(args.store)
    rows = trust.power_table(runs)
    budget = float(args.budget)
    if budget > 1:
        rows += trust.budget_rows(runs, rows, budget=budget, n_seeds=n_seeds, claims=args.claims)
    return trust.power_summary(rows)
