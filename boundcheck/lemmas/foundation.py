r"""Facts of the set-up (paper Sections 2 and 3): symmetric initialization, the effect of sign
randomization on the Taylor terms, the norm event of equation (4), and Assumption A.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from ..activations import check_assumption_a, get_activation
from ..api import claim, exact, hyp, mean
from ..data import load_instance, sample_sphere
from ..network import (equation4_event, network, randomized_taylor_term, sample_signs, symmetric_init,
                       taylor_term)
from . import PACK

EPS = np.finfo(np.float64).eps


def _setup(rng, n_samples, width, dim, input_radius, instance, need_move=True, move_scale=None):
    """Inputs, initialization, a movement W with ||w_r|| ~ m^{-1/4} (or the user's arrays), and B_x."""
    if instance is not None:
        arrays = load_instance(instance) if isinstance(instance, str) else instance
        x, w_init, w_out = arrays["x"], arrays["w_init"], arrays["w_out"]
        w_move = arrays.get("w_move")
        if need_move and w_move is None:
            raise validate.BoundcheckInputError("instance must hold w_move for this check")
        return x, w_init, w_out, w_move, hyp.input_radius_of(x)
    input_radius = validate.positive("input_radius", input_radius)
    x = sample_sphere(n_samples, dim, input_radius=input_radius, rng=rng)
    w_init, w_out = symmetric_init(width, dim, input_radius=input_radius, rng=rng)
    scale = width ** -0.25 if move_scale is None else move_scale
    w_move = rng.standard_normal((width, dim)) * (scale / np.sqrt(dim) / input_radius)
    return x, w_init, w_out, w_move, input_radius


@claim("Symmetric init", statement="f_{W_0}(x) = 0 for every x under symmetric initialization (3)",
       section="3.1, eq. (3)", pack=PACK, hypotheses=(hyp.SYMMETRIC,))
def check_symmetric_init(*, rng, n_samples=256, width=512, dim=16, input_radius=1.0, activation="relu3",
                         instance=None, claimed_value=0.0):
    r"""Equation (3): the symmetric initialization makes the network vanish identically.

    Left side :math:`\max_i |f_{W_0}(x_i) - c|` with :math:`c` = ``claimed_value`` (0); right side
    0, up to the rounding bound of the sum, :math:`m\,\epsilon\,m^{-1/2}\sum_r|\sigma(w_{0,r}^\top x)|`.
    """
    x, w_init, w_out, _, _ = _setup(rng, n_samples, width, dim, input_radius, instance, need_move=False)
    residual = np.abs(network(x, w_init, w_out, activation=activation) - claimed_value)
    magnitude = network(x, w_init, np.abs(w_out), activation=activation)
    tol = float(w_init.shape[0] * EPS * np.max(np.abs(magnitude)))
    return exact(np.max(residual), 0.0, "<=", tol=tol, part="max_i |f_{W_0}(x_i)| = 0 up to rounding",
                 hypotheses=hyp.symmetric_init(w_init, w_out),
                 params=dict(n_samples=x.shape[0], width=w_init.shape[0], dim=x.shape[1], activation=str(activation),
                             claimed_value=claimed_value))


@claim("Randomized terms", statement="E_Sigma f^(1)_{W Sigma} = 0 and f^(2)_{W Sigma} = f^(2)_W for every Sigma",
       section="3", pack=PACK)
def check_randomized_terms(*, rng, n_samples=64, width=512, dim=16, input_radius=1.0, activation="relu3",
                           draws=20000, instance=None, claimed_mean=0.0, claimed_second_factor=1.0):
    r"""Section 3: sign randomization makes the linear term mean zero and leaves the quadratic one.

    Three records, at the first input :math:`x_1`:

    * the Monte Carlo mean over ``draws`` sign draws of :math:`f^{(1)}_{W\Sigma}(x_1)` against
      ``claimed_mean`` (0), within 5% of the term's exact root-mean-square size;
    * its Monte Carlo second moment against the closed form (times ``claimed_second_factor``)
      :math:`E_\Sigma (f^{(1)}_{W\Sigma}(x))^2 = \frac1m\sum_r \sigma'(w_{0,r}^\top x)^2 (w_r^\top x)^2`
      (cross terms vanish since :math:`E\Sigma_{rr}\Sigma_{ss} = 0` for :math:`r \ne s`), within 5%;
    * :math:`\max_{\Sigma, i}|f^{(2)}_{W\Sigma}(x_i) - f^{(2)}_W(x_i)|` against 0, exact up to
      rounding, since :math:`\Sigma_{rr}^2 = 1`.

    These are identities of the model: they need no hypothesis on the data or the initialization.
    """
    x, w_init, w_out, w_move, _ = _setup(rng, n_samples, width, dim, input_radius, instance)
    signs = instance.get("signs") if isinstance(instance, dict) and "signs" in instance else None
    if signs is None:
        signs = sample_signs(validate.integer("draws", draws, minimum=2), w_init.shape[0], rng=rng)
    params = dict(n_samples=x.shape[0], width=w_init.shape[0], dim=x.shape[1], activation=str(activation))
    linear = randomized_taylor_term(x[:1], w_init, w_out, w_move, signs, 1, activation=activation)[:, 0]
    act = get_activation(activation)
    exact_second = float(np.sum((act.derivative(x[:1] @ w_init.T, 1) * (x[:1] @ w_move.T)) ** 2) / w_init.shape[0])
    rms = float(np.sqrt(exact_second))
    mean_rec = mean(linear, claimed_mean, "==", margin=0.05 * rms,
                    margin_reason="5% of the exact rms size of f^(1)(x_1)", part="E_Sigma f^(1)(x_1) = 0",
                    params=dict(params, rms_of_term=rms))
    claimed_second = claimed_second_factor * exact_second
    second_rec = mean(linear**2, claimed_second, "==", margin=0.05 * abs(exact_second),
                      margin_reason="5% of the closed form",
                      part="E_Sigma (f^(1)(x_1))^2 = (1/m) sum_r (sigma'(w_0r.x) w_r.x)^2",
                      params=dict(params, claimed_second_factor=claimed_second_factor))
    few = signs[:64]
    quad = randomized_taylor_term(x, w_init, w_out, w_move, few, 2, activation=activation)
    clean = taylor_term(x, w_init, w_out, w_move, 2, activation=activation)
    tol = float(w_init.shape[0] * EPS * np.max(np.abs(clean)) + EPS)
    quad_rec = exact(np.max(np.abs(quad - clean)), 0.0, "<=", tol=tol,
                     part="f^(2)_{W Sigma} = f^(2)_W for every Sigma (max over draws and inputs)",
                     params=dict(params, n_sign_draws=int(few.shape[0])))
    return [mean_rec, second_rec, quad_rec]


@claim("Equation 4 event", statement="max_r B_x ||w_{0,r}|| <= sqrt(8(d log 5 + log(m/delta))) for this draw",
       section="3.1, eq. (4); App. A.3", pack=PACK, hypotheses=(hyp.INIT_SCALE,))
def check_equation4_event(*, rng, width=512, dim=16, input_radius=1.0, instance=None, failure_prob=1e-3,
                          bound_factor=1.0):
    r"""Equation (4) for one draw of the initialization: with probability at least :math:`1 - \delta`
    (``failure_prob``) the draw satisfies it.

    The threshold is the one the proof in Appendix A.3 gives (:func:`boundcheck.network.equation4_bound`);
    ``bound_factor`` rescales it (tests shrink it). With ``instance`` the draw is the user's
    ``w_init`` and :math:`B_x = \max_i\|x_i\|` of the user's ``x``. A true claim fails on a draw
    with probability at most :math:`\delta`, which the run's calibration spends from its level
    (hence the small default :math:`\delta = 10^{-3}`).
    """
    failure_prob = validate.probability("failure_prob", failure_prob)
    if instance is not None:
        arrays = load_instance(instance) if isinstance(instance, str) else instance
        w_init = arrays["w_init"]
        input_radius = hyp.input_radius_of(arrays["x"])
    else:
        input_radius = validate.positive("input_radius", input_radius)
        w_init, _ = symmetric_init(width, dim, input_radius=input_radius, rng=rng)
    largest, bound, _ = equation4_event(w_init, input_radius, failure_prob)
    return exact(largest, bound * bound_factor, "<=", chance=failure_prob,
                 part="this draw's max_r B_x ||w_{0,r}|| against the threshold of (4)",
                 hypotheses=hyp.init_scale(w_init, input_radius),
                 params=dict(width=w_init.shape[0], dim=w_init.shape[1], input_radius=input_radius,
                             failure_prob=failure_prob, bound_factor=bound_factor))


@claim("Assumption A", statement="|sigma'| <= C t^2, |sigma''| <= C|t|, sigma'' C-Lipschitz (C = 1 for relu^3/6)",
       section="2, Assumption A", pack=PACK)
def check_assumption_a_claim(*, rng, activation="relu3", constant=1.0):
    r"""Assumption A: the activation's smallest admissible C against the ``constant`` claimed.

    Left side: the measured constant (infinite, with the failing clause named in ``params``,
    when a clause fails); right side: ``constant``.
    """
    result = check_assumption_a(activation)
    measured = result.constant if result.holds else float("inf")
    return exact(measured, constant, "<=", part="smallest admissible C",
                 params=dict(activation=str(activation), failing_clause=result.failing_clause, ratios=result.ratios))
