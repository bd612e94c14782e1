"""``boundcheck network``: the network and its Taylor terms on sampled or given arrays."""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from ..activations import check_assumption_a
from ..data import DISTRIBUTIONS, load_instance, sample_inputs
from ..network import equation4_event, network, norm_24, symmetric_init, taylor_terms

NAME = "network"
HELP = "evaluate f_{W0+W} and its Taylor terms f^(k) (sizes per order), equation (4) and Assumption A"


def add_arguments(parser):
    parser.add_argument("--n", dest="n_samples", type=int, default=512, help="number of samples n")
    parser.add_argument("--width", type=int, default=1024, help="width m (even)")
    parser.add_argument("--dim", type=int, default=16, help="input dimension d")
    parser.add_argument("--dist", choices=DISTRIBUTIONS, default="sphere", help="input distribution")
    parser.add_argument("--input-radius", type=float, default=1.0, help="input norm B_x")
    parser.add_argument("--activation", default="relu3", help="activation (relu3, relu<k>, softplus, tanh)")
    parser.add_argument("--max-order", type=int, default=4, help="largest Taylor order k")
    parser.add_argument("--move-exponent", type=float, default=-0.25,
                        help="rows of W have norm m^e (default -1/4, the paper's regime)")
    parser.add_argument("--failure-prob", type=float, default=0.05, help="delta of equation (4)")


def run(args, rng):
    max_order = validate.integer("max-order", args.max_order, minimum=0, maximum=12)
    if args.instance:
        arrays = load_instance(args.instance, required=("x", "w_init", "w_out", "w_move"), optional=())
        x, w_init, w_out, w_move = arrays["x"], arrays["w_init"], arrays["w_out"], arrays["w_move"]
        input_radius = float(np.max(np.linalg.norm(x, axis=1)))
    else:
        input_radius = validate.positive("input-radius", args.input_radius)
        x = sample_inputs(args.dist, args.n_samples, args.dim, input_radius=input_radius, rng=rng)
        w_init, w_out = symmetric_init(args.width, args.dim, input_radius=input_radius, rng=rng)
        scale = args.width ** float(args.move_exponent)
        w_move = rng.standard_normal(w_init.shape) * (scale / np.sqrt(args.dim) / input_radius)
    terms = taylor_terms(x, w_init, w_out, w_move, range(max_order + 1), activation=args.activation)
    full = network(x, w_init, w_out, w_move, activation=args.activation)
    largest, bound, holds = equation4_event(w_init, input_radius, args.failure_prob)
    assumption = check_assumption_a(args.activation)
    rows = {f"order_{k}_rms": float(np.sqrt(np.mean(terms[k] ** 2))) for k in range(max_order + 1)}
    return {
        "n_samples": x.shape[0], "width": w_init.shape[0], "dim": x.shape[1], "activation": str(args.activation),
        "norm_24": float(norm_24(w_move)), "network_rms": float(np.sqrt(np.mean(full**2))), **rows,
        "taylor_remainder_rms": float(np.sqrt(np.mean((full - terms.sum(axis=0)) ** 2))),
        "equation4": {"max_Bx_norm_w0": largest, "bound": bound, "holds": bool(holds)},
        "assumption_a": {"holds": assumption.holds, "constant": assumption.constant,
                         "failing_clause": assumption.failing_clause},
    }
