"""``boundcheck samples``: predicted sample sizes (and the widths the results need) over a grid."""

from __future__ import annotations

from .. import _validate as validate
from .. import complexity as cx

NAME = "samples"
HELP = "predicted sample sizes of NTK, quadratic and other learners (Section 5.2, blog, slides) over a grid"
USES_INSTANCE = False


def _list(kind, name):
    def parse(text):
        try:
            values = [kind(v) for v in str(text).split(",") if v.strip()]
        except ValueError:
            raise validate.BoundcheckInputError(f"{name} must be a comma-separated list of {kind.__name__}s; "
                                                f"got {text!r}") from None
        if not values:
            raise validate.BoundcheckInputError(f"{name} must list at least one value; got {text!r}")
        return values

    return parse


def add_arguments(parser):
    parser.add_argument("--dim", default="10,20,40,80", help="dimensions d, comma separated (default 10,20,40,80)")
    parser.add_argument("--degree", default="2,4", help="degrees p, comma separated (default 2,4)")
    parser.add_argument("--accuracy", default="0.1", help="target test losses epsilon, comma separated (default 0.1)")
    parser.add_argument("--target", choices=cx.TARGETS, default="single",
                        help="single: alpha (beta.x)^p; xor: noisy 2-XOR; sparse: low-degree plus sparse")
    parser.add_argument("--constant", type=float, default=1.0, help="the hidden absolute constant C (default 1)")
    parser.add_argument("--form", choices=cx.FORMS, default="explicit",
                        help="explicit: the proofs' explicit factors and logs; stated: the printed O~ forms")
    parser.add_argument("--failure-prob", type=float, default=0.1, help="delta of Theorem 7 (default 0.1)")
    parser.add_argument("--width", type=float, help="width m inside the logarithms (default: Theorem 7's width)")
    parser.add_argument("--widths", action="store_true",
                        help="print the widths Theorems 2 (6), 7 and 4 need instead of sample sizes")
    parser.add_argument("--plot", metavar="FILE", help="also draw n against d (log-log, crossover marked) to FILE")


def run(args, rng):
    dims = _list(int, "--dim")(args.dim)
    degrees = _list(int, "--degree")(args.degree)
    accuracies = _list(float, "--accuracy")(args.accuracy)
    if args.width is not None:
        validate.positive("--width", args.width)
    if args.widths:
        if args.target == "sparse":
            raise validate.BoundcheckInputError("--widths is for the targets single and xor (the slides give "
                                                "width poly(d) only); got --target sparse")
        return cx.width_rows(dims, degrees, accuracies, failure_prob=args.failure_prob, constant=args.constant,
                             target=args.target)
    rows = cx.prediction_rows(args.target, dims, degrees, accuracies, constant=args.constant, form=args.form,
                              failure_prob=args.failure_prob, width=args.width)
    if args.plot:
        from ..report.plots_complexity import plot_predictions

        plot_predictions(rows, args.plot, crossover_kwargs=dict(failure_prob=args.failure_prob,
                                                                constant=args.constant, width=args.width))
    return rows
