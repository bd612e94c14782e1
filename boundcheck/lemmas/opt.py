r"""OPT, the loss of the best quadratic model (paper Section 4: Lemma 1, Theorem 2, Theorem 4),
certified in a bracket.

:math:`\mathrm{OPT}(B_w) = \min_{\|W\|_{2,4}\le B_w} L^Q(W)`. The lower end comes from a dual
point of the convex relaxation over :math:`M_r = w_rw_r^\top` (see
:mod:`boundcheck.convex.problem`), the upper end is :math:`L^Q(\widehat W)` of a feasible
:math:`\widehat W`, recomputed here from scratch.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from ..convex.bracket import opt_bracket, planted_instance, recompute_loss
from ..data import load_instance
from ..network import norm_24
from ..run.registry import register
from ..results import CheckResult

__all__ = ["check_opt_bracket", "random_feasible_weights"]


def random_feasible_weights(width, dim, radius, n_draws, *, rng):
    r"""``n_draws`` random W (n_draws, m, d) with :math:`\|W\|_{2,4}` uniform in [0, ``radius``].

    Directions are Gaussian with row norms of varied spread (heavy-tailed row scales), so the
    draws cover both spread-out and concentrated W.
    """
    draws = rng.standard_normal((n_draws, width, dim))
    draws *= np.exp(rng.standard_normal((n_draws, width, 1)) * rng.uniform(0.0, 2.0, (n_draws, 1, 1)))
    target = radius * rng.uniform(0.0, 1.0, n_draws) ** 0.25
    return draws * (target / norm_24(draws))[:, None, None] * (1.0 - 1e-12)


@register("OPT bracket", statement="lower <= OPT <= upper with both ends certified: the dual bound never "
          "exceeds L^Q at a feasible W", section="4 (OPT of Lemma 1, Theorems 2 and 4)")
def check_opt_bracket(*, rng, n_samples=200, width=32, dim=8, radius=None, input_radius=1.0, loss="logistic",
                      activation="relu3", instance=None, draws=200, solver="fast", tol=1e-4, noise=0.3,
                      lower_offset=0.0):
    r"""OPT bracket: :math:`\mathrm{lower} \le \mathrm{OPT}(B_w) \le \mathrm{upper}`, both certified.

    Two records.

    1. ``lower <= upper``, with the upper end recomputed here from the returned
       :math:`\widehat W` (:func:`boundcheck.network.quadratic_model` and the loss) after checking
       :math:`\|\widehat W\|_{2,4} \le B_w` (an infeasible W makes the record VIOLATED).
    2. ``lower <= min_j L^Q(W_j)`` over ``draws`` random feasible :math:`W_j`: the lower bound
       never exceeds the loss at a point of the ball (worst draw reported).

    Without ``instance`` the data are a planted instance (:func:`planted_instance`): a teacher
    with :math:`\|W_*\|_{2,4} = B_w` (or RMS signal 1 when ``radius`` is None) and label noise
    ``noise``. ``lower_offset`` is added to the lower bound (a deliberately wrong bound, for
    testing that the check can fail).
    """
    draws = validate.integer("draws", draws, minimum=1)
    lower_offset = validate.nonnegative("lower_offset", lower_offset)
    if instance is not None:
        arrays = load_instance(instance, required=("x", "w_init", "w_out", "y")) if isinstance(instance, str) \
            else instance
        if "y" not in arrays:
            raise validate.BoundcheckInputError("instance must hold y (labels or targets) for the OPT bracket")
        x, w_init, w_out, y = arrays["x"], arrays["w_init"], arrays["w_out"], arrays["y"]
        if radius is None:
            raise validate.BoundcheckInputError("radius must be given with an instance for the OPT bracket; got None")
    else:
        planted = planted_instance(n_samples, width, dim, loss=loss, radius_star=radius, noise=noise,
                                   input_radius=input_radius, rng=rng)
        x, w_init, w_out, y = planted["x"], planted["w_init"], planted["w_out"], planted["y"]
        radius = planted["radius_star"] if radius is None else radius
    radius = validate.positive("radius", radius)
    result = opt_bracket(x, y, w_init, w_out, radius=radius, loss=loss, solver=solver, tol=tol,
                         activation=activation)
    lower = result.lower + lower_offset
    feasible = float(norm_24(result.w_move)) <= radius
    upper = recompute_loss(x, y, w_init, w_out, result.w_move, loss=loss, activation=activation) if feasible \
        else -math.inf
    params = dict(n_samples=x.shape[0], width=w_init.shape[0], dim=x.shape[1], radius=radius, loss=str(loss),
                  solver=solver, status=result.status, rel_gap=result.rel_gap, rank=result.rank,
                  iterations=result.iterations, norm_24=result.norm_24,  # no wall-clock time: records are reproducible
                  lower_offset=lower_offset)
    if result.notes:
        params["notes"] = "; ".join(result.notes)
    bracket = CheckResult.exact("OPT bracket", lower, upper, "<=", params=params)
    weights = random_feasible_weights(w_init.shape[0], x.shape[1], radius, draws, rng=rng)
    losses = np.array([recompute_loss(x, y, w_init, w_out, w, loss=loss, activation=activation)
                       for w in weights])  # a loop over draws, each batched over samples and neurons
    params_random = dict(params, what="lower <= L^Q(W) for random feasible W")
    random_check = CheckResult.worst_case("OPT bracket", np.full(draws, lower), losses, "<=", params=params_random)
    return [bracket, random_check]
