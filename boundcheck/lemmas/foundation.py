r"""Facts of the set-up (paper Sections 2 and 3): symmetric initialization, the effect of sign
randomization on the Taylor terms, the norm event of equation (4), and Assumption A.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from ..activations import check_assumption_a
from ..data import load_instance, sample_sphere
from ..network import (TaylorModel, equation4_event, network, randomized_taylor_term, sample_signs, symmetric_init,
                       taylor_term)
from ..run.registry import register
from ..results import CheckResult

EPS = np.finfo(np.float64).eps


def _setup(rng, n_samples, width, dim, input_radius, instance, need_move=True, move_scale=None):
    """Inputs, initialization and a movement W with ||w_r|| ~ m^{-1/4} (or the user's arrays)."""
    if instance is not None:
        arrays = load_instance(instance) if isinstance(instance, str) else instance
        x, w_init, w_out = arrays["x"], arrays["w_init"], arrays["w_out"]
        w_move = arrays.get("w_move")
        if need_move and w_move is None:
            raise validate.BoundcheckInputError("instance must hold w_move for this check")
        return x, w_init, w_out, w_move
    x = sample_sphere(n_samples, dim, input_radius=input_radius, rng=rng)
    w_init, w_out = symmetric_init(width, dim, input_radius=input_radius, rng=rng)
    scale = width ** -0.25 if move_scale is None else move_scale
    w_move = rng.standard_normal((width, dim)) * (scale / np.sqrt(dim) / input_radius)
    return x, w_init, w_out, w_move


@register("Symmetric init", statement="f_{W_0}(x) = 0 for every x under symmetric initialization (3)",
          section="3.1, eq. (3)")
def check_symmetric_init(*, rng, n_samples=256, width=512, dim=16, input_radius=1.0, activation="relu3",
                         instance=None, claimed_value=0.0):
    r"""Equation (3): the symmetric initialization makes the network vanish identically.

    Left side :math:`\max_i |f_{W_0}(x_i)|`; right side ``claimed_value`` (0). The tolerance is
    the rounding bound of the sum, :math:`m\,\epsilon\,m^{-1/2}\sum_r|\sigma(w_{0,r}^\top x)|`.
    """
    x, w_init, w_out, _ = _setup(rng, n_samples, width, dim, input_radius, instance, need_move=False)
    values = np.abs(network(x, w_init, w_out, activation=activation) - claimed_value)
    magnitude = network(x, w_init, np.abs(w_out), activation=activation)
    tol = float(w_init.shape[0] * EPS * np.max(np.abs(magnitude)))
    return CheckResult.exact("Symmetric init", np.max(values), 0.0, "<=", tol=tol,
                             params=dict(n_samples=x.shape[0], width=w_init.shape[0], dim=x.shape[1],
                                         activation=str(activation), claimed_value=claimed_value))


@register("Randomized terms", statement="E_Sigma f^(1)_{W Sigma} = 0 and f^(2)_{W Sigma} = f^(2)_W for every Sigma",
          section="3")
def check_randomized_terms(*, rng, n_samples=64, width=512, dim=16, input_radius=1.0, activation="relu3",
                           draws=2000, level=0.95, instance=None, claimed_mean=0.0):
    r"""Section 3: sign randomization makes the linear term mean zero and leaves the quadratic one.

    Three records:

    * the Monte Carlo mean over ``draws`` sign draws of :math:`f^{(1)}_{W\Sigma}(x_1)`, whose
      interval must contain ``claimed_mean`` (0);
    * the Monte Carlo second moment against its closed form
      :math:`E_\Sigma (f^{(1)}_{W\Sigma}(x))^2 = \frac1m\sum_r \sigma'(w_{0,r}^\top x)^2 (w_r^\top x)^2`
      (cross terms vanish since :math:`E\Sigma_{rr}\Sigma_{ss} = 0` for :math:`r \ne s`);
    * :math:`\max_{\Sigma, i}|f^{(2)}_{W\Sigma}(x_i) - f^{(2)}_W(x_i)|` against 0, exact up to
      rounding, since :math:`\Sigma_{rr}^2 = 1`.
    """
    x, w_init, w_out, w_move = _setup(rng, n_samples, width, dim, input_radius, instance)
    signs = instance.get("signs") if isinstance(instance, dict) and "signs" in instance else None
    if signs is None:
        signs = sample_signs(validate.integer("draws", draws, minimum=2), w_init.shape[0], rng=rng)
    params = dict(n_samples=x.shape[0], width=w_init.shape[0], dim=x.shape[1], activation=str(activation))
    linear = randomized_taylor_term(x, w_init, w_out, w_move, signs, 1, activation=activation)
    mean_rec = CheckResult.from_samples("Randomized terms", linear[:, 0], claimed_mean, "==", level=level,
                                        params=dict(params, part="E_Sigma f^(1)(x_1) = 0"))
    # closed-form second moment at x_1 (the core's exact sign moments), against the Monte Carlo second moment
    model = TaylorModel(x[:1], w_init, w_out, activation=activation)
    exact_second = float(model.sign_moments(w_move, orders=(1,))[1][0])
    second_rec = CheckResult.from_samples("Randomized terms", linear[:, 0] ** 2, exact_second, "==", level=level,
                                          params=dict(params, part="E_Sigma (f^(1)(x_1))^2 = (1/m) sum_r (sigma' w_r.x)^2"))
    quad = randomized_taylor_term(x, w_init, w_out, w_move, signs[:64], 2, activation=activation)
    clean = taylor_term(x, w_init, w_out, w_move, 2, activation=activation)
    gap = float(np.max(np.abs(quad - clean)))
    tol = float(w_init.shape[0] * EPS * np.max(np.abs(clean)) + EPS)
    quad_rec = CheckResult.exact("Randomized terms", gap, 0.0, "<=", tol=tol,
                                 params=dict(params, part="f^(2)_{W Sigma} = f^(2)_W for every Sigma",
                                             n_sign_draws=int(min(64, signs.shape[0]))))
    return [mean_rec, second_rec, quad_rec]


@register("Equation 4 event", statement="max_r B_x ||w_{0,r}|| <= sqrt(8(d log 5 + log(m/delta))) for this draw",
          section="3.1, eq. (4); App. A.3")
def check_equation4_event(*, rng, width=512, dim=16, input_radius=1.0, instance=None, failure_prob=0.05,
                          bound_factor=1.0):
    r"""Equation (4) for one draw of the initialization: it holds or it does not.

    The threshold is the one the proof in Appendix A.3 gives (see
    :func:`boundcheck.network.equation4_bound`); ``bound_factor`` rescales it (tests shrink it).
    """
    if instance is not None:
        arrays = load_instance(instance) if isinstance(instance, str) else instance
        w_init = arrays["w_init"]
    else:
        w_init, _ = symmetric_init(width, dim, input_radius=input_radius, rng=rng)
    largest, bound, _ = equation4_event(w_init, input_radius, failure_prob)
    return CheckResult.exact("Equation 4 event", largest, bound * bound_factor, "<=",
                             params=dict(width=w_init.shape[0], dim=w_init.shape[1], failure_prob=failure_prob,
                                         bound_factor=bound_factor))


@register("Assumption A", statement="|sigma'| <= C t^2, |sigma''| <= C|t|, sigma'' C-Lipschitz (C = 1 for relu^3/6)",
          section="2, Assumption A")
def check_assumption_a_claim(*, rng, activation="relu3", constant=1.0):
    r"""Assumption A: the activation's smallest admissible C against the ``constant`` claimed.

    Left side: the measured constant (infinite, with the failing clause named in ``params``,
    when a clause fails); right side: ``constant``.
    """
    result = check_assumption_a(activation)
    measured = result.constant if result.holds else float("inf")
    return CheckResult.exact("Assumption A", measured, constant, "<=",
                             params=dict(activation=str(activation), failing_clause=result.failing_clause,
                                         ratios=result.ratios))
