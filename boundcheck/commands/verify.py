"""``boundcheck verify``: run claims as one calibrated run and print one table of verdicts.

Exit status: 0 when no record is VIOLATED within its hypotheses, 1 when one is, 2 for bad input,
so that ``boundcheck verify`` can gate a CI pipeline.
"""

from __future__ import annotations

import re
import sys

from .. import _validate as validate
from ..data import load_instance
from ..losses import LOSSES

NAME = "verify"
HELP = "check claims (all of them with --all, the default of a bare `boundcheck`); exit 1 if one is VIOLATED"

#: Options of the command line that map onto check options of the same meaning.
COMMON = ("n_samples", "width", "dim", "radius", "input_radius", "loss", "activation", "draws")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = ("rng", "seed", "instance")


def add_arguments(parser):
    parser.add_argument("claims", nargs="*", metavar="CLAIM", help='claim labels, e.g. "Lemma 5" or "my-pack: Lemma 1"')
    parser.add_argument("--all", action="store_true", help="run every claim of the battery")
    parser.add_argument("--list", action="store_true", help="list the registered claims and where their checks are")
    parser.add_argument("--claims", dest="claim_files", action="append", metavar="FILE.py", default=[],
                        help="load the claims of your own Python file (repeatable)")
    parser.add_argument("--n", dest="n_samples", type=int, help="number of samples n")
    parser.add_argument("--width", type=int, help="width m (even)")
    parser.add_argument("--dim", type=int, help="input dimension d")
    parser.add_argument("--radius", type=float, help="radius B_w of the (2,4)-norm ball")
    parser.add_argument("--input-radius", type=float, help="input norm B_x")
    parser.add_argument("--loss", choices=LOSSES, help="loss")
    parser.add_argument("--activation", help="activation (relu3, relu, relu<k>, softplus, tanh)")
    parser.add_argument("--draws", type=int, help="Monte Carlo draws")
    parser.add_argument("--set", dest="settings", action="append", metavar="KEY=VALUE", default=[],
                        help="set any option of the check(s), e.g. --set draws=64 --set 'widths=[64, 128, 256]' "
                             "(VALUE is read as a TOML value: number, string, boolean or array; never as code)")
    parser.add_argument("--level", type=float, default=0.95,
                        help="the run's confidence: the chance that no true claim of the run comes out VIOLATED "
                             "(default 0.95; each record prints the level it used)")
    parser.add_argument("--budget", type=float, default=1.0,
                        help="power on demand: total effort per claim in multiples of its default (default 1); "
                             "INCONCLUSIVE records are re-checked with 2, 4, ... times the draws while it lasts")


def parse_setting(text):
    """``KEY=VALUE`` -> ``(key, value)``; VALUE is a TOML value, or plain text when it is not one."""
    import tomllib

    key, sep, value = str(text).partition("=")
    key = key.strip()
    if not sep or not _KEY.match(key):
        raise validate.BoundcheckInputError(f"--set must be KEY=VALUE with KEY an option name; got {text!r}")
    if key in _RESERVED:
        raise validate.BoundcheckInputError(f"--set cannot set {key!r} (use --seed or --instance); got {text!r}")
    value = value.strip()
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value
    if isinstance(parsed, dict):
        raise validate.BoundcheckInputError(f"--set {key}: tables are not option values; got {value!r}")
    return key, parsed


def _listing(claims):
    return [{"claim": c.label, "pack": c.pack, "section": c.section, "check": c.where, "statement": c.statement,
             "battery": c.battery} for c in claims.values()]


def run(args, rng):
    from ..run.registry import claims, load_claims_file, not_covered
    from ..run.runner import run_claims

    for path in args.claim_files:
        load_claims_file(path)
    if args.list:
        return _listing(claims())
    if args.all and args.claims:
        raise validate.BoundcheckInputError("claims: give either labels or --all, not both")
    level = validate.probability("level", args.level)
    options = {k: getattr(args, k) for k in COMMON}
    for text in args.settings:
        key, value = parse_setting(text)
        options[key] = value
    if args.instance is not None:
        options["instance"] = load_instance(args.instance, required=("x", "w_init", "w_out"))
    labels = None if (args.all or not args.claims) else list(args.claims)
    result = run_claims(labels, seed=args.seed, alpha=1.0 - level, budget=args.budget, options=options,
                        strict=bool(labels) and len(labels) == 1, progress=sys.stderr.isatty())
    for key, without in result.ignored_options.items():
        shown = ", ".join(without[:6]) + (" ..." if len(without) > 6 else "")
        print(f"note: option {key!r} is not taken by {len(without)} of {len(result.claims)} claims ({shown})",
              file=sys.stderr)
    missing = not_covered()
    if labels is None and missing and args.format != "json":
        print("not covered yet: " + ", ".join(missing), file=sys.stderr)
    return result
