r"""``boundcheck kernel``: the ReLU random-feature kernel series, its coefficient bound, and Lemma 9's norms.

Subcommands:

* ``coeffs --order 0|1 --max-degree P``: per degree p the exact coefficient :math:`c_p` (sympy
  string), its value, the paper's bound :math:`(2\pi(p\vee1)^3)^{-1}` and their ratio;
* ``rkhs-norm --degree p --coef a --beta-norm b --input-radius B_x [--dim d]``: Lemma 9's
  feature-map norm of :math:`\alpha(\beta^\top x)^p` against the printed bound, and with ``--dim``
  the exact RKHS norm on the sphere;
* ``table [--max-degree P]``: both kernels side by side (``--format csv`` for
  ``data/kernel_coefficients.csv``, ``--format latex`` for a LaTeX table);
* ``tail --order --terms N``: certified truncation bound, checked in mpmath;
* ``moments --order k``: Section 6's exact :math:`z_+, z_-`.
"""

from __future__ import annotations

import argparse

from .. import _validate as validate
from .._lazy import lazy
from ..report.tables import FORMATS

# sympy, mpmath and the symbolic modules: imported when a subcommand runs, not for --help
mpmath = lazy("mpmath")
sp = lazy("sympy")
ex = lazy("boundcheck.symbolic.expressivity")
kern = lazy("boundcheck.symbolic.kernels")
mom = lazy("boundcheck.symbolic.moments")

NAME = "kernel"
HELP = "ReLU random-feature kernel: exact series coefficients, the c_p bound, Lemma 9 norms, Section 6 moments"
USES_INSTANCE = False


def _shared(parser):
    """Let --format/--out/--seed also follow the sub-subcommand (they default to the parent's values)."""
    parser.add_argument("--format", choices=FORMATS, default=argparse.SUPPRESS, help="output format")
    parser.add_argument("--out", metavar="FILE", default=argparse.SUPPRESS, help="write the output to FILE")
    parser.add_argument("--seed", type=_seed, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be a non-negative integer; got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"--seed must be a non-negative integer below 2**63; got {value}")
    return value


def add_arguments(parser):
    sub = parser.add_subparsers(dest="kernel_command", metavar="SUBCOMMAND", parser_class=type(parser))
    sub.required = True

    p = sub.add_parser("coeffs", help="exact coefficients c_p against the paper's bound (2 pi (p v 1)^3)^-1")
    p.add_argument("--order", type=int, default=1, help="0: step random features, 1: ReLU (default)")
    p.add_argument("--max-degree", type=int, default=20, help="largest degree P (default 20)")
    p.add_argument("--no-cross-check", action="store_true",
                   help="skip the comparison with sympy's own series and the double-factorial form")
    _shared(p)

    p = sub.add_parser("rkhs-norm", help="Lemma 9: RKHS norm of alpha (beta.x)^p against the paper's bound")
    p.add_argument("--degree", type=int, required=True, help="p: 1 or even")
    p.add_argument("--coef", type=float, default=1.0, help="alpha (default 1)")
    p.add_argument("--beta-norm", type=float, default=1.0, help="||beta||_2 (default 1)")
    p.add_argument("--input-radius", type=float, default=1.0, help="B_x (default 1)")
    p.add_argument("--dim", type=int, default=None, help="d: also give the exact norm on S^{d-1}(B_x)")
    _shared(p)

    p = sub.add_parser("table", help="coefficient table of both kernels (CSV / LaTeX through --format)")
    p.add_argument("--max-degree", type=int, default=200, help="largest degree (default 200)")
    _shared(p)

    p = sub.add_parser("tail", help="certified truncation bound of the series, checked in mpmath")
    p.add_argument("--order", type=int, default=1)
    p.add_argument("--terms", type=int, default=20, help="N: the partial sum keeps degrees < N")
    p.add_argument("--grid", type=int, default=201, help="grid points on [-1, 1] for the mpmath check")
    _shared(p)

    p = sub.add_parser("moments", help="Section 6: exact z_+, z_- with matched moments below k")
    p.add_argument("--order", type=int, default=2, help="k >= 1")
    _shared(p)


def _coeffs(args):
    return kern.coefficient_rows(args.order, args.max_degree, cross_check=not args.no_cross_check)


def _rkhs(args):
    p = kern.check_degree(args.degree)
    fm = ex.feature_map_norm_sq(p, args.coef, args.beta_norm, args.input_radius)
    bound = ex.lemma9_paper_bound(p, args.coef, args.beta_norm, args.input_radius)
    out = dict(degree=p, coef=args.coef, beta_norm=args.beta_norm, input_radius=args.input_radius,
               kernel_coefficient=str(kern.kernel_coefficient(1, p)),
               feature_map_norm_sq=float(fm), feature_map_norm_sq_exact=str(fm),
               paper_bound=float(bound), paper_bound_exact=str(bound),
               holds=bool(sp.expand(bound - fm) >= 0), bound_over_norm=float(bound / fm))
    if args.dim is not None:
        dim = validate.integer("dim", args.dim, minimum=2)
        sphere = ex.sphere_norm_sq(p, args.coef, args.beta_norm, args.input_radius, dim=dim)
        out.update(dim=dim, sphere_norm_sq=float(sphere), sphere_over_feature_map=float(sphere / float(fm)))
    return out


def _table(args):
    max_degree = validate.integer("max_degree", args.max_degree, minimum=0, maximum=2000)
    relu = kern.coefficient_rows(1, max_degree)
    step = kern.coefficient_rows(0, max_degree)
    rows = []
    for r, s in zip(relu, step):
        rows.append(dict(degree=r["degree"], relu_exact=r["exact"], relu_value=r["value"], step_exact=s["exact"],
                         step_value=s["value"], paper_lower_bound=r["paper_lower_bound"], relu_ratio=r["ratio"],
                         relu_covered=r["covered"], relu_bound_holds=r["bound_holds"]))
    return rows


def _tail(args):
    order = args.order
    n_terms = validate.integer("terms", args.terms, minimum=0, maximum=5000)
    worst, where, bound = kern.truncation_error(order, n_terms, n_grid=args.grid)
    with mpmath.workdps(40):  # the bound is attained at u = +-1: compare up to the working precision
        holds = bool(worst <= bound + mpmath.mpf(10) ** -30)
    out = dict(order=order, terms=n_terms, certified_tail=float(bound),
               certified_tail_exact=str(kern.tail_bound(order, n_terms)),
               max_error_on_grid=float(worst), argmax_u=float(where), holds=holds)
    if n_terms >= (4 if order == 1 else 3):
        out["analytic_tail_bound"] = float(kern.analytic_tail_bound(order, n_terms))
    return out


def _moments(args):
    z_plus, z_minus = mom.moment_matching_pair(args.order)
    info = mom.verify_pair(z_plus, z_minus, args.order)
    return dict(order=info["order"], z_plus={str(t): str(q) for t, q in z_plus.items()},
                z_minus={str(t): str(q) for t, q in z_minus.items()},
                lower_moments_equal=info["lower_moments_equal"], kth_difference=str(info["kth_difference"]),
                next_difference=str(info["next_difference"]), holds=info["holds"])


def run(args, rng):
    return {"coeffs": _coeffs, "rkhs-norm": _rkhs, "table": _table, "tail": _tail,
            "moments": _moments}[args.kernel_command](args)
