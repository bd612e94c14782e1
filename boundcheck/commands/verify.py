"""``boundcheck verify``: run registered claims and print one table of verdicts."""

from __future__ import annotations

import sys

from tqdm import tqdm

from .. import _validate as validate
from ..data import load_instance
from ..losses import LOSSES
from ..run.registry import claims, get_claim, not_covered, run_claim

NAME = "verify"
HELP = "check claims of the paper (all of them with --all, the default of a bare `boundcheck`)"


def add_arguments(parser):
    parser.add_argument("claims", nargs="*", metavar="CLAIM", help='claim labels, e.g. "Lemma 5"')
    parser.add_argument("--all", action="store_true", help="run every registered claim")
    parser.add_argument("--list", action="store_true", help="list the registered claims and exit")
    parser.add_argument("--n", dest="n_samples", type=int, help="number of samples n")
    parser.add_argument("--width", type=int, help="width m (even)")
    parser.add_argument("--dim", type=int, help="input dimension d")
    parser.add_argument("--radius", type=float, help="radius B_w of the (2,4)-norm ball")
    parser.add_argument("--input-radius", type=float, help="input norm B_x")
    parser.add_argument("--loss", choices=LOSSES, help="loss")
    parser.add_argument("--activation", help="activation (relu3, relu, relu<k>, softplus, tanh)")
    parser.add_argument("--draws", type=int, help="Monte Carlo draws")
    parser.add_argument("--level", type=float, help="confidence level of the intervals (default 0.95)")


def run(args, rng):
    if args.list:
        return [{"claim": c.label, "section": c.section, "statement": c.statement} for c in claims().values()]
    if args.all and args.claims:
        raise validate.BoundcheckInputError("claims: give either labels or --all, not both")
    if args.all or not args.claims:
        labels = [label for label, claim in claims().items() if claim.battery]
    else:
        labels = [get_claim(c).label for c in args.claims]
    options = {k: getattr(args, k) for k in ("n_samples", "width", "dim", "radius", "input_radius", "loss",
                                             "activation", "draws", "level")}
    if options["level"] is not None:
        validate.probability("level", options["level"])
    if args.instance is not None:
        options["instance"] = load_instance(args.instance, required=("x", "w_init", "w_out"))
    records = []
    bar = tqdm(labels, desc="boundcheck", unit="claim", disable=not sys.stderr.isatty(), file=sys.stderr)
    for label in bar:  # one claim at a time: a loop over checks, each batched inside
        bar.set_postfix_str(label)
        records.extend(run_claim(label, seed=args.seed, **options))
    missing = not_covered()
    if args.all and missing and args.format != "json":
        print("not covered yet: " + ", ".join(missing), file=sys.stderr)
    return records
