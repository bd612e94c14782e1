"""``boundcheck trust sensitivity|specificity``: can the verdicts be trusted?

``sensitivity`` runs the planted false claims of :mod:`boundcheck.run.trust` (each must come out
VIOLATED); ``specificity`` runs the true claims over many seeds and reports the observed VIOLATED
rate beside the rate their confidence level allows.
"""

from __future__ import annotations

import sys

from .. import _validate as validate
from ..run.trust import sensitivity, specificity

NAME = "trust"
HELP = "planted false claims must be VIOLATED (sensitivity); true claims over many seeds (specificity)"
USES_INSTANCE = False


def add_arguments(parser):
    # one positional instead of nested subparsers, so --seed/--format/--out may follow it
    parser.add_argument("what", choices=("sensitivity", "specificity"),
                        help="sensitivity: every planted false claim at default settings; "
                             "specificity: the true claims over many seeds")
    parser.add_argument("--fast", action="store_true",
                        help="sensitivity: skip the plants whose check is slow at default settings")
    parser.add_argument("--seeds", type=int, default=200, help="specificity: number of seeds (default 200)")
    parser.add_argument("--claim", dest="claims", action="append", metavar="CLAIM",
                        help="specificity: only this claim (repeatable; default: every registered claim)")


def run(args, rng):
    if args.what == "sensitivity":
        return sensitivity(seed=args.seed, include_slow=not args.fast)
    n_seeds = validate.integer("--seeds", args.seeds, minimum=1, maximum=10**6)
    return specificity(args.claims, n_seeds=n_seeds, first_seed=args.seed, progress=sys.stderr.isatty())
