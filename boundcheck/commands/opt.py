"""``boundcheck opt``: OPT, the loss of the best quadratic model in a (2,4)-ball, as a certified bracket."""

from __future__ import annotations

import os

import numpy as np

from .. import _validate as validate
from ..convex.bracket import SOLVER_NAMES, opt_bracket, planted_instance
from ..data import load_instance, make_target, sample_sphere
from ..losses import LOSSES
from ..network import symmetric_init
from ._progress import working

NAME = "opt"
HELP = "OPT = min over ||W||_{2,4} <= B of L^Q(W), certified in a bracket [lower, upper]"
USES_INSTANCE = True
TARGETS = ("single", "xor", "sparse", "planted")


def add_arguments(parser):
    parser.add_argument("--n", dest="n_samples", type=int, default=200, help="number of samples n (default 200)")
    parser.add_argument("--width", type=int, default=64, help="width m, even (default 64)")
    parser.add_argument("--dim", type=int, default=8, help="input dimension d (default 8)")
    parser.add_argument("--radius", type=float, default=None,
                        help="B_w, the (2,4)-norm ball (default: the planted teacher's norm; 1 for the other "
                             "targets; required with --instance unless --reg > 0)")
    parser.add_argument("--input-radius", type=float, default=1.0, help="B_x, the input norm (default 1)")
    parser.add_argument("--loss", choices=LOSSES, default="logistic", help="loss (default logistic)")
    parser.add_argument("--target", choices=TARGETS, default="planted",
                        help="target: single, xor, sparse (boundcheck.data) or planted (a teacher W_* in the "
                             "ball, f^Q_{W_*} plus noise; default)")
    parser.add_argument("--noise", type=float, default=0.3,
                        help="planted target: noise level relative to the signal's standard deviation")
    parser.add_argument("--solver", choices=SOLVER_NAMES, default="fast", help="relaxation solver (default fast)")
    parser.add_argument("--tol", type=float, default=1e-4, help="target relative gap (default 1e-4)")
    parser.add_argument("--reg", type=float, default=0.0,
                        help="lambda: bracket min L^Q(W) + lambda ||W||_{2,4}^4 instead (default 0)")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds for the fast solver")
    parser.add_argument("--save-w", metavar="FILE.npz",
                        help="save the W behind the upper bound (key w_move, with x, w_init, w_out, y)")
    parser.add_argument("--timings", action="store_true",
                        help="also report the solver's wall-clock seconds (left out by default, so that two runs "
                             "with the same seed give identical output)")


def _instance(args, rng):
    """x, w_init, w_out, y and the radius, from --instance or sampled."""
    if args.instance is not None:
        arrays = load_instance(args.instance, required=("x", "w_init", "w_out", "y"), optional=())
        if args.radius is None and args.reg == 0:
            raise validate.BoundcheckInputError("--radius must be given with --instance (the ball of OPT); got none")
        radius = args.radius
        return arrays["x"], arrays["w_init"], arrays["w_out"], arrays["y"], radius, "instance"
    if args.target == "planted":
        planted = planted_instance(args.n_samples, args.width, args.dim, loss=args.loss, radius_star=args.radius,
                                   noise=args.noise, input_radius=args.input_radius, rng=rng)
        radius = planted["radius_star"] if args.radius is None else args.radius
        return planted["x"], planted["w_init"], planted["w_out"], planted["y"], radius, "planted"
    x = sample_sphere(args.n_samples, args.dim, input_radius=args.input_radius, rng=rng)
    w_init, w_out = symmetric_init(args.width, args.dim, input_radius=args.input_radius, rng=rng)
    target = make_target(args.target, args.dim, rng=rng, input_radius=args.input_radius)
    y = target(x) if args.loss == "squared" else target.labels(x, rng=rng)
    radius = 1.0 if args.radius is None else args.radius
    return x, w_init, w_out, y, radius, args.target


def _without_timings(out):
    """The report without wall-clock times (they differ between two runs of the same seed)."""
    out = {k: v for k, v in out.items() if k != "seconds"}
    if isinstance(out.get("stages"), dict):
        out["stages"] = {k: v for k, v in out["stages"].items() if not k.endswith("seconds")}
    return out


def run(args, rng):
    tol = validate.positive("tol", args.tol)
    if args.save_w is not None:
        folder = os.path.dirname(os.path.abspath(args.save_w))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"--save-w: the folder {folder!r} does not exist")
    x, w_init, w_out, y, radius, source = _instance(args, rng)
    with working(f"opt: bracketing OPT ({args.solver})"):
        result = opt_bracket(x, y, w_init, w_out, radius=radius, loss=args.loss, solver=args.solver, tol=tol,
                             reg=args.reg, time_limit=args.time_limit)
    out = result.to_dict()
    if not getattr(args, "timings", False):
        out = _without_timings(out)
    out.update(n_samples=int(x.shape[0]), width=int(w_init.shape[0]), dim=int(x.shape[1]), target=source)
    if args.save_w is not None:
        # the exact file named (a file object: savez adds no ".npz"); the command line stages it and renames
        # it into place only when the whole command succeeds
        with open(args.save_w, "wb") as handle:
            np.savez(handle, w_move=result.w_move, x=x, w_init=w_init, w_out=w_out, y=y,
                     radius=np.array(radius), upper=np.array(result.upper))
        out["saved_w"] = args.save_w
    return out
