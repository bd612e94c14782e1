"""``boundcheck rademacher``: exact Rademacher complexities of the quadratic and NTK classes, with bounds."""

from __future__ import annotations

from .. import _validate as validate
from ..data import DISTRIBUTIONS, load_instance, sample_inputs
from ..network import symmetric_init
from ..numeric import rademacher as rad
from ._limits import check_work

NAME = "rademacher"
HELP = ("exact empirical Rademacher complexity of F^Q(B_w) (||W||_{2,4} <= B_w) and of the NTK class "
        "(||W||_F <= R), each with its bound (Lemma 5 / Frobenius) and the ratio")
USES_INSTANCE = True


def add_arguments(parser):
    parser.add_argument("--n", dest="n_samples", type=int, default=200, help="samples n (default 200)")
    parser.add_argument("--width", type=int, default=100, help="width m, even (default 100)")
    parser.add_argument("--dim", type=int, default=10, help="input dimension d (default 10)")
    parser.add_argument("--radius", type=float, default=1.0, help="B_w of the (2,4)-ball (default 1)")
    parser.add_argument("--ntk-radius", type=float, help="R of the NTK Frobenius ball (default: --radius)")
    parser.add_argument("--draws", type=int, default=64, help="Rademacher sign draws (default 64)")
    parser.add_argument("--dist", choices=DISTRIBUTIONS, default="sphere", help="input distribution (default sphere)")
    parser.add_argument("--input-radius", type=float, default=1.0, help="input norm B_x (default 1)")
    parser.add_argument("--activation", default="relu3", help="activation (default relu3)")
    parser.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    parser.add_argument("--plot", metavar="FILE", help="also sweep d and write the quadratic-vs-NTK figure to FILE")


def run(args, rng):
    level = validate.probability("level", args.level)
    radius = validate.positive("radius", args.radius)
    ntk_radius = radius if args.ntk_radius is None else validate.positive("ntk_radius", args.ntk_radius)
    given = args.instance is not None
    if given:
        arrays = load_instance(args.instance, required=("x", "w_init", "w_out"), optional=("rademacher",))
        x, w_init, w_out = arrays["x"], arrays["w_init"], arrays["w_out"]
        signs = arrays.get("rademacher")
        if signs is None:
            signs = rad.sample_rademacher(validate.integer("draws", args.draws, minimum=2), x.shape[0], rng=rng)
    else:
        x = sample_inputs(args.dist, args.n_samples, args.dim, input_radius=args.input_radius, rng=rng)
        w_init, w_out = symmetric_init(args.width, args.dim, input_radius=args.input_radius, rng=rng)
        signs = rad.sample_rademacher(validate.integer("draws", args.draws, minimum=2), x.shape[0], rng=rng)
    n, m, d = x.shape[0], w_init.shape[0], x.shape[1]
    check_work("the exact complexities (draws x m x (n d^2 + d^3))", signs.shape[0] * m * (n * d**2 + d**3))
    if args.plot:
        check_work("--plot (up to 32 draws x m x (n d^2 + d^3) at d = 2 .. 64)",
                   sum(min(signs.shape[0], 32) * m * (n * k**2 + k**3) for k in (2, 4, 8, 16, 32, 64)))
    quad = rad.quadratic_complexity(x, w_init, w_out, signs, radius=radius, activation=args.activation, level=level)
    ntk = rad.ntk_complexity(x, w_init, w_out, signs, radius=ntk_radius, activation=args.activation, level=level)
    with_draws = given and "rademacher" in arrays
    out = {"n": x.shape[0], "width": w_init.shape[0], "dim": x.shape[1], "radius": radius, "ntk_radius": ntk_radius,
           "draws": signs.shape[0], "level": level,
           "quadratic": quad.to_dict(per_draw=with_draws), "ntk": ntk.to_dict(per_draw=with_draws),
           "quadratic_over_ntk": quad.exact / ntk.exact if ntk.exact > 0 else float("nan"),
           "note": ("quadratic bound: (B_w^2/2) E max_r ||M_r||_op (Lemma 5's function-class step); the lemma as printed "
                    "bounds the loss class by 2 B_w^2 E max ||M_r|| + 1/sqrt(n), its proof gives B_w^2 E max + 1/sqrt(n). "
                    "ntk bound: (R/(n sqrt m)) sqrt(tr K), the Frobenius-norm bound, a bound on the mean over signs (single "
                    "draws may exceed it). --radius bounds ||W||_{2,4}, --ntk-radius ||W||_F")}
    if args.plot:
        from ..report.plots_generalization import plot_complexities

        rows = rad.complexity_sweep([2, 4, 8, 16, 32, 64], n_samples=x.shape[0], width=w_init.shape[0],
                                    radius=radius, ntk_radius=ntk_radius, draws=min(signs.shape[0], 32),
                                    input_radius=args.input_radius, activation=args.activation,
                                    dist="sphere" if args.dist == "digits" else args.dist, level=level, rng=rng)
        out["plot"] = plot_complexities(rows, args.plot)
        out["sweep"] = {f"d={r['dim']}": {"quadratic": r["quadratic"], "ntk": r["ntk"], "ratio": r["ratio"]}
                        for r in rows}
    return out
