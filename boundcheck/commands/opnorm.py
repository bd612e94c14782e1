"""``boundcheck opnorm``: the feature operator norm M_op of Theorem 6 with its confidence interval."""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from ..data import DISTRIBUTIONS, load_instance
from ..numeric import opnorm
from ._limits import check_work

NAME = "opnorm"
HELP = "M_op = (B_x^-2 E||(1/n) sum x_i x_i^T||_op)^(1/2) (Theorem 6) with a confidence interval and the paper's values"
USES_INSTANCE = True


def add_arguments(parser):
    parser.add_argument("--dist", choices=DISTRIBUTIONS, default="sphere", help="input distribution (default sphere)")
    parser.add_argument("--n", dest="n_samples", type=int, default=200, help="samples n per trial (default 200)")
    parser.add_argument("--dim", type=int, default=20, help="input dimension d (64 for digits; default 20)")
    parser.add_argument("--trials", type=int, default=64, help="independent samples for the expectation "
                        "(bootstrap resamples with --instance; default 64)")
    parser.add_argument("--input-radius", type=float, default=1.0, help="input norm B_x (default 1)")
    parser.add_argument("--condition", type=float, default=10.0, help="condition number kappa for anisotropic inputs")
    parser.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    parser.add_argument("--plot", metavar="FILE", help="also sweep n and d and write the M_op figure to FILE")


def _instance_result(path, trials, level, rng):
    x = load_instance(path, required=("x",), optional=("x",))["x"]
    n, d = x.shape
    radius = float(np.max(np.linalg.norm(x, axis=1)))
    value = opnorm.m_op_of_array(x, radius)
    trials = validate.integer("trials", trials, minimum=2)
    idx = rng.integers(0, n, size=(trials, n))
    boot = np.empty(trials)
    per_chunk = max(1, opnorm.CHUNK_BYTES // (8 * n * d))
    for start in range(0, trials, per_chunk):  # loop over memory chunks of bootstrap resamples
        stop = min(trials, start + per_chunk)
        boot[start:stop] = np.sqrt(opnorm.covariance_opnorm(x[idx[start:stop]]) / radius**2)
    alpha = 1.0 - level
    low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    return {"source": str(path), "n": n, "dim": d, "input_radius": radius, "m_op": value,
            "interval": (float(low), float(high)), "interval_kind": f"bootstrap percentile over {trials} resamples",
            "reference": {"always": 1.0, "isotropic": 1.0 / math.sqrt(d),
                          "isotropic_finite_n": opnorm.isotropic_m_op_asymptotic(n, d),
                          "note": "B_x is the largest row norm; the reference values are the paper's for isotropic "
                                  "inputs of this n and d"}}


def run(args, rng):
    level = validate.probability("level", args.level)
    if args.instance is not None:
        out = _instance_result(args.instance, args.trials, level, rng)
    else:
        check_work("--trials x --n x --dim^2", args.trials * args.n_samples * args.dim**2)
        out = opnorm.estimate_m_op(args.dist, args.n_samples, args.dim, trials=args.trials,
                                   input_radius=args.input_radius, condition=args.condition, level=level, rng=rng)
        out.pop("per_trial")
    if args.plot:
        from ..report.plots_generalization import plot_m_op

        dists = ("digits",) if args.dist == "digits" else ("sphere", "hypercube") if args.dist != "anisotropic" else (
            "sphere", "anisotropic")
        dim = 64 if args.dist == "digits" else args.dim
        n_values = np.unique(np.geomspace(max(4, dim // 2), max(8 * dim, 2 * args.n_samples), 7).astype(int))
        dims = [64] if args.dist == "digits" else [2, 5, 10, 20, 50, 100]
        check_work("--plot (16 trials x n x d^2 at each of its points)",
                   len(dists) * 16 * (sum(int(n) * dim**2 for n in n_values) + sum(args.n_samples * d**2 for d in dims)),
                   elements=16 * int(n_values.max()) * dim)
        subs = rng.spawn(2)
        vs_n = [row for dist in dists for row in opnorm.m_op_sweep(dist, n_values, [dim], trials=16,
                                                                     condition=args.condition, rng=subs[0])]
        vs_d = [row for dist in dists for row in opnorm.m_op_sweep(dist, [args.n_samples], dims, trials=16,
                                                                     condition=args.condition, rng=subs[1])]
        out["plot"] = plot_m_op(vs_n, vs_d, args.plot)
    return out
