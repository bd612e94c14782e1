"""``boundcheck errata``: the errata register, where the paper's printed statements and their proofs part ways.

Each entry: the claim, what the paper prints (quoted with its line in the source text), what the
proof gives, both numbers at a stated setting and a status (typo, looser but valid, wrong,
OCR-uncertain, convention). ``--recompute`` computes both numbers again from the package and says
whether they match the register. Every ``--format``; ``--wide`` (table) shows every field.
"""

from __future__ import annotations

from .. import errata
from ..report.tables import errata_table
from ..run.registry import get_claim

NAME = "errata"
HELP = "the errata register: printed against derived, both numbers, a status, the source lines"
USES_INSTANCE = False


def add_arguments(parser):
    parser.add_argument("--claim", dest="claims", action="append", metavar="CLAIM",
                        help='only the entries of this claim, e.g. "Theorem 7" (repeatable)')
    parser.add_argument("--id", dest="ids", action="append", metavar="ID", help="only this entry, e.g. E8 (repeatable)")
    parser.add_argument("--recompute", action="store_true",
                        help="compute both numbers of each entry again from the package and compare")


def run(args, rng):
    chosen = [errata.get(i) for i in args.ids] if args.ids else list(errata.entries())
    if args.claims:
        labels = [get_claim(c).label for c in args.claims]
        chosen = [e for e in chosen if any(label in e.claims for label in labels)]
    return errata_table(chosen, recomputed=args.recompute)
