r"""Lemma 8, equation (4) and the terms of Theorem 6 (paper Section 5.1, Appendices A.1, A.3, C.2).

Lemma 8 (matrix Rademacher concentration). For fixed symmetric :math:`A_{r,i}` and Rademacher
:math:`\sigma_i`, with :math:`Y_r = \sum_i \sigma_i A_{r,i}` and
:math:`v(Y_r) = \|\sum_i A_{r,i}^2\|_{\mathrm{op}}`,

.. math:: E_\sigma \max_{r\le m}\|Y_r\|_{\mathrm{op}} \le 4\sqrt{\max_r v(Y_r)\,\log(2md)} .

Theorem 6 uses :math:`A_{r,i} = \frac1n\sigma''(w_{0,r}^\top x_i)x_ix_i^\top`, so that
:math:`Y_r = M_r(\sigma)` and :math:`v(Y_r) = \|\frac{1}{n^2}\sum_i\sigma''(w_{0,r}^\top x_i)^2
\|x_i\|^2 x_ix_i^\top\|_{\mathrm{op}}`. The last step of the proof,
:math:`\sqrt{4VL} + \sqrt{\pi V} \le 4\sqrt{VL}` with :math:`L = \log(2md)`, needs
:math:`L \ge \pi/4`, i.e. :math:`2md \ge e^{\pi/4} \approx 2.19`: it fails only for
:math:`m = d = 1`, which :func:`lemma8_sides` reports.

Equation (4): :math:`\max_r B_x\|w_{0,r}\|_2 \le t(\delta) = \sqrt{8(d\log5 + \log(m/\delta))}`
with probability at least :math:`1-\delta` (the threshold of ``network.equation4_bound``). Under
the symmetric initialization only m/2 rows are distinct and :math:`B_x\|w_{0,r}\| \sim \chi_d`, so
the exact exceedance probability is :math:`1 - F_{\chi^2_d}(t^2)^{m/2}`.

Theorem 6, assembled from its proof (Appendix C.2) with every constant explicit, for the
activation :math:`\sigma = \mathrm{relu}^3/6` (:math:`|\sigma'(t)| \le t^2/2`, :math:`\sigma''` is
1-Lipschitz) and a loss that is 1-Lipschitz with :math:`\ell(y,0)\le 1`:

* quadratic-model generalization, by symmetrization and contraction,
  :math:`E[L^Q_P - L^Q] \le 2(2\,\mathfrak R_n(\mathcal F^Q) + 1/\sqrt n)`, then Lemma 5
  (:math:`\mathfrak R_n(\mathcal F^Q) \le \frac{B_w^2}{2}E\max_r\|M_r\|_{\mathrm{op}}`), then
  Lemma 8, then :math:`v(Y_r) \le \frac{B_x^2}{n}\max_{r,i}\sigma''(w_{0,r}^\top x_i)^2
  \|\hat\Sigma\|_{\mathrm{op}}` with :math:`\|\hat\Sigma\|_{\mathrm{op}} = B_x^2 M_{\mathrm{op}}^2`:
  :math:`2\big(8 B_w^2 B_x^2 M_{\mathrm{op}}\sqrt{\max\sigma''^2\log(2dm)/n} + 1/\sqrt n\big)`;
* coupling (Lemmas 11, 12), for the empirical and for the population risk each:
  :math:`E_\Sigma|f_{W_0+W\Sigma} - f^Q_W| \le \sqrt{E_\Sigma (f^L_{W\Sigma})^2} + \sup_\Sigma|\Delta|
  \le \tfrac12 D^2 B_x B_w m^{-1/4} + \tfrac16 B_x^3B_w^3 m^{-1/4}` with
  :math:`D = \max_r B_x\|w_{0,r}\|` (the quantity equation (4) bounds by :math:`O(\sqrt d)`).

The paper prints Lemma 5 with :math:`2B_w^2` where its proof gives :math:`B_w^2` (the power-mean step
bounds :math:`\frac{1}{2\sqrt m}\sum_r\|w_r\|^2` by :math:`B_w^2/2`, the proof writes
:math:`B_w^2`); both are reported.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from .._lazy import lazy
from ..activations import get_activation
from ..losses import get_loss
from ..network import CHUNK_BYTES, TaylorModel, equation4_bound, quadratic_model, randomized_network, sample_signs
from . import opnorm as _opnorm
from . import rademacher as _rad
from .landscape import quadratic_risk_objective
from .optimize import projected_descent

stats = lazy("scipy.stats")

__all__ = ["lemma8_sides", "clopper_pearson", "equation4_exceedance", "equation4_exact_probability",
           "fit_quadratic_model", "coupling_terms", "theorem6_terms", "generalization_gaps",
           "THEOREM6_ACTIVATIONS", "theorem6_repetition"]

#: Activations for which the explicit constants of the coupling terms are derived here.
THEOREM6_ACTIVATIONS = {"relu3": {"sigma1_const": 0.5, "sigma2_lipschitz": 1.0}}


def lemma8_sides(x, w_init, rademacher, *, activation="relu3", constant=4.0, extremes=None):
    r"""Both sides of Lemma 8 for :math:`A_{r,i} = \frac1n\sigma''(w_{0,r}^\top x_i)x_ix_i^\top`.

    Parameters
    ----------
    x : ndarray, shape (n, d)
    w_init : ndarray, shape (m, d)
    rademacher : ndarray, shape (k, n)
        The sign draws :math:`\sigma`; the left side is estimated by their mean.
    constant : float
        The constant of the right side (the paper's 4).

    Returns
    -------
    dict with ``per_draw`` (:math:`\max_r\|Y_r\|_{\mathrm{op}}` for each draw, shape (k,)),
    ``variance`` (:math:`V = \max_r v(Y_r)`), ``log_term`` (:math:`\log(2md)`), ``rhs``
    (``constant`` :math:`\sqrt{V\log(2md)}`), ``tropp_rhs`` (:math:`\sqrt{2V\log(2md)}`, the
    Gaussian-tail constant before the paper's integration step) and ``last_step_valid``.
    """
    x, w_init, _, rademacher = _rad._check_inputs(x, w_init, None, rademacher)
    constant = validate.positive("constant", constant)
    act = get_activation(activation)
    n, d = x.shape
    m = w_init.shape[0]
    if extremes is None:
        extremes = _rad._extremes(x, w_init, rademacher, act, 2, None, None)
    per_draw = np.max(np.maximum(np.abs(extremes[0]), np.abs(extremes[1])), axis=-1)
    sq_norms = np.sum(x**2, axis=1)
    _, v_max = _rad._extremes(x, w_init, np.ones((1, n)), act, 2, None, None, power=2, extra=sq_norms / n)
    variance = float(np.max(v_max))
    log_term = math.log(2.0 * m * d)
    return {"per_draw": per_draw, "variance": variance, "log_term": log_term,
            "rhs": constant * math.sqrt(variance * log_term), "tropp_rhs": math.sqrt(2 * variance * log_term),
            "last_step_valid": log_term >= math.pi / 4}


def clopper_pearson(successes, trials, level=0.95):
    """Exact (Clopper-Pearson) interval ``(low, high)`` of a binomial proportion (``scipy.stats.binomtest``)."""
    interval = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence_level=level, method="exact")
    return float(interval.low), float(interval.high)


def equation4_exact_probability(width, dim, threshold, *, symmetric=True):
    r""":math:`P(\max_r B_x\|w_{0,r}\| > t)` exactly: :math:`1 - F_{\chi^2_d}(t^2)^{m'}`.

    :math:`m' = m/2` distinct rows under the symmetric initialization, m otherwise.
    """
    width = validate.integer("width", width, minimum=1)
    dim = validate.integer("dim", dim, minimum=1)
    threshold = validate.nonnegative("threshold", threshold)
    rows = width // 2 if symmetric else width
    return float(-np.expm1(rows * stats.chi2.logcdf(threshold**2, dim)))


def equation4_exceedance(width, dim, failure_probs, *, trials=2000, input_radius=1.0, threshold_scale=1.0,
                         level=0.95, rng):
    r"""How often :math:`\max_r B_x\|w_{0,r}\|` exceeds equation (4)'s threshold, for each :math:`\delta`.

    Draws ``trials`` symmetric initializations (m/2 distinct Gaussian rows of covariance
    :math:`B_x^{-2}I`, as ``network.symmetric_init``) and compares the largest scaled row norm
    with ``threshold_scale`` :math:`\times\, t(\delta)`.

    Returns a list of dicts, one per :math:`\delta`: ``failure_prob``, ``threshold``, ``exceed``,
    ``frequency``, ``interval`` (Clopper-Pearson) and ``exact`` (the chi-square probability).
    """
    width = validate.even_width("width", width)
    dim = validate.integer("dim", dim, minimum=1)
    trials = validate.integer("trials", trials, minimum=1)
    input_radius = validate.positive("input_radius", input_radius)
    threshold_scale = validate.positive("threshold_scale", threshold_scale)
    failure_probs = [validate.probability("failure_prob", p) for p in np.atleast_1d(failure_probs)]
    half = width // 2
    largest = np.empty(trials)
    per_chunk = max(1, CHUNK_BYTES // (8 * half * dim))
    for start in range(0, trials, per_chunk):  # loop over memory chunks of trials, each one batched draw
        stop = min(trials, start + per_chunk)
        w_half = rng.standard_normal((stop - start, half, dim)) / input_radius
        largest[start:stop] = input_radius * np.max(np.linalg.norm(w_half, axis=-1), axis=-1)
    out = []
    for delta in failure_probs:  # loop over the few requested delta values
        t = threshold_scale * equation4_bound(width, dim, delta)
        exceed = int(np.count_nonzero(largest > t))
        out.append({"failure_prob": delta, "threshold": t, "exceed": exceed, "trials": trials,
                    "frequency": exceed / trials, "interval": clopper_pearson(exceed, trials, level),
                    "exact": equation4_exact_probability(width, dim, t)})
    return out


# --------------------------------------------------------------------------------------------
# fitting a quadratic model in the (2,4)-ball


def fit_quadratic_model(x, y, w_init, w_out, *, radius, loss="logistic", activation="relu3", steps=200,
                        step_size=None, rng):
    r"""Projected gradient descent on :math:`L^Q(W) = \frac1n\sum_i\ell(y_i, f^Q_W(x_i))` in the (2,4)-ball.

    :func:`boundcheck.numeric.optimize.projected_descent` with a fixed step from a small random
    :math:`W` (:math:`f^Q` has a saddle at 0), the gradient :math:`\nabla L^Q` from the model core
    (:func:`boundcheck.numeric.landscape.quadratic_risk_objective`). The default step is the inverse of
    the curvature of :math:`f^Q` in :math:`w_r` per direction, about
    :math:`m^{-1/2}E|\sigma''|B_x^2/d`. Returns ``(w_move, training_losses)``, the losses at the start
    of every step.
    """
    x = validate.matrix("x", x)
    radius = validate.positive("radius", radius)
    steps = validate.integer("steps", steps, minimum=1)
    objective = quadratic_risk_objective(x, y, w_init, w_out, loss=loss, activation=activation)
    n, d = x.shape
    m = np.shape(w_init)[0]
    w_move = rng.standard_normal((m, d)) * (0.1 * radius * m**-0.25 / math.sqrt(d))
    if step_size is None:
        second = TaylorModel(x, w_init, np.ones(m), activation=activation, scale=2.0).coefficients(2)  # sigma''(p)
        step_size = math.sqrt(m) * d / (max(float(np.mean(np.abs(second))), 1e-12) * float(np.max(np.sum(x**2, 1))))
    fit = projected_descent(objective, w_move, radius=radius, steps=steps, step_size=step_size, max_halvings=0,
                            grow=1.0)
    return fit.w_move, np.array(fit.values)


# --------------------------------------------------------------------------------------------
# Theorem 6


def coupling_terms(w_init, *, radius, input_radius, activation="relu3"):
    r"""The explicit coupling bound :math:`\sup_x E_\Sigma|f_{W_0+W\Sigma}(x) - f^Q_W(x)|` over the ball.

    Returns a dict: ``linear`` (:math:`C_1 D^2 B_xB_w m^{-1/4}`), ``remainder``
    (:math:`\frac{L}{6}B_x^3B_w^3m^{-1/4}`), their sum ``total`` and ``D`` (:math:`\max_r B_x\|w_{0,r}\|`).
    """
    if activation not in THEOREM6_ACTIVATIONS:
        raise validate.BoundcheckInputError(
            f"activation must be one of {', '.join(repr(a) for a in THEOREM6_ACTIVATIONS)} for Theorem 6's explicit "
            f"constants (|sigma'(t)| <= C t^2 and a Lipschitz sigma''); got {activation!r}")
    consts = THEOREM6_ACTIVATIONS[activation]
    w_init = validate.matrix("w_init", w_init)
    radius = validate.positive("radius", radius)
    input_radius = validate.positive("input_radius", input_radius)
    m = w_init.shape[0]
    big_d = float(input_radius * np.max(np.linalg.norm(w_init, axis=1)))
    linear = consts["sigma1_const"] * big_d**2 * input_radius * radius * m**-0.25
    remainder = consts["sigma2_lipschitz"] / 6.0 * input_radius**3 * radius**3 * m**-0.25
    return {"linear": linear, "remainder": remainder, "total": linear + remainder, "D": big_d}


def theorem6_terms(x, w_init, w_out, rademacher, *, radius, input_radius=None, activation="relu3", lemma5_constant=0.5,
                   lemma8_constant=4.0):
    r"""Every term of Theorem 6's bound on one draw of :math:`(W_0, x_{1:n})`, the stages of its proof.

    ``rademacher`` (k, n) are the sign draws for the expectations over :math:`\sigma`. Returns a
    dict of floats: ``rademacher_exact`` (:math:`E_s\sup_W|\frac1n\sum_i s_if^Q_W(x_i)|` by the closed
    form, the absolute value as in the contraction step),
    ``quadratic_gap_exact``, ``quadratic_gap_lemma5``, ``quadratic_gap_lemma5_printed``,
    ``quadratic_gap_lemma8``, ``quadratic_gap_mop`` (each :math:`2(2\cdot\text{stage} + 1/\sqrt n)`),
    ``m_op`` (of this sample), ``max_second_sq``, ``coupling`` (twice :func:`coupling_terms`, for
    the empirical and the population risk) and ``bound`` = ``quadratic_gap_mop + coupling``,
    ``bound_tightest`` = ``quadratic_gap_exact + coupling``.
    """
    x, w_init, w_out, rademacher = _rad._check_inputs(x, w_init, w_out, rademacher)
    radius = validate.positive("radius", radius)
    n, d = x.shape
    m = w_init.shape[0]
    b_x = float(np.max(np.linalg.norm(x, axis=1))) if input_radius is None else validate.positive(
        "input_radius", input_radius)
    act = get_activation(activation)
    extremes = _rad.feature_operator_extremes(x, w_init, rademacher, activation=activation)
    exact = float(np.mean(_rad.quadratic_class_sup(x, w_init, w_out, rademacher, radius=radius, extremes=extremes,
                                                   absolute=True)))
    l8 = lemma8_sides(x, w_init, rademacher, activation=activation, constant=lemma8_constant, extremes=extremes)
    mean_max_op = float(np.mean(l8["per_draw"]))
    m_op = _opnorm.m_op_of_array(x, b_x)
    max_second_sq = float(np.max(act.derivative(x @ w_init.T, 2) ** 2))
    root_n = 1.0 / math.sqrt(n)
    # R_n(F^Q) <= lemma5_constant * B_w^2 * E max_r ||M_r||, then Lemma 8, then v <= B_x^2/n max sigma''^2 ||Sigma||
    stage = {
        "exact": exact,
        "lemma5": lemma5_constant * radius**2 * mean_max_op,
        "lemma5_printed": 1.0 * radius**2 * mean_max_op,
        "lemma8": lemma5_constant * radius**2 * l8["rhs"],
        "mop": lemma5_constant * radius**2 * lemma8_constant * b_x**2 * m_op
        * math.sqrt(max_second_sq * l8["log_term"] / n),
    }
    out = {f"quadratic_gap_{k}": 2.0 * (2.0 * v + root_n) for k, v in stage.items()}
    out["rademacher_exact"] = exact
    out["mean_max_opnorm"] = mean_max_op
    out["lemma8_variance"] = l8["variance"]
    out["m_op"] = m_op
    out["max_second_sq"] = max_second_sq
    coupling = coupling_terms(w_init, radius=radius, input_radius=b_x, activation=activation)
    out["coupling"] = 2.0 * coupling["total"]
    out["coupling_linear"] = 2.0 * coupling["linear"]
    out["coupling_remainder"] = 2.0 * coupling["remainder"]
    out["D"] = coupling["D"]
    out["bound"] = out["quadratic_gap_mop"] + out["coupling"]
    out["bound_tightest"] = out["quadratic_gap_exact"] + out["coupling"]
    return out


def generalization_gaps(x, y, x_test, y_test, w_init, w_out, w_move, *, loss="logistic", activation="relu3",
                        sign_draws=64, rng):
    r"""Measured gaps of a fitted :math:`W`: the randomized network and its quadratic model.

    ``network_gap`` = :math:`L_P(W) - L(W)` with :math:`L(W) = E_\Sigma\frac1n\sum_i
    \ell(y_i, f_{W_0+W\Sigma}(x_i))` (Monte Carlo over ``sign_draws`` draws of :math:`\Sigma`,
    the same draws for both sets) and the population risk estimated on ``x_test``;
    ``quadratic_gap`` = :math:`L^Q_P(W) - L^Q(W)` likewise.
    """
    loss = get_loss(loss)
    signs = sample_signs(sign_draws, np.shape(w_init)[0], rng=rng)

    def risks(xs, ys):
        net = float(np.mean(loss.value(ys, randomized_network(xs, w_init, w_out, w_move, signs, activation=activation))))
        quad = float(np.mean(loss.value(ys, quadratic_model(xs, w_init, w_out, w_move, activation=activation))))
        return net, quad

    train_net, train_quad = risks(x, y)
    test_net, test_quad = risks(x_test, y_test)
    return {"network_gap": test_net - train_net, "quadratic_gap": test_quad - train_quad,
            "train_network": train_net, "test_network": test_net, "train_quadratic": train_quad,
            "test_quadratic": test_quad}


def theorem6_repetition(x, y, x_test, y_test, w_init, w_out, w_move=None, *, radius, loss="logistic",
                        activation="relu3", steps=150, sign_draws=32, rng):
    r"""One repetition of Theorem 6: fit W in the (2,4)-ball (unless ``w_move`` is given), measure its
    gaps and every term of the bound.

    :math:`B_x = \max_i\|x_i\|` over the training and the test inputs. Returns a dict:
    ``network_gap``, ``quadratic_gap`` (:func:`generalization_gaps`), ``terms``
    (:func:`theorem6_terms`), ``w_move`` (the W measured), ``input_radius`` and ``in_ball``
    (every input within :math:`B_x`, up to rounding).
    """
    inputs = np.concatenate([np.asarray(x, dtype=np.float64), np.asarray(x_test, dtype=np.float64)])
    norms = np.linalg.norm(inputs, axis=1)
    input_radius = float(np.max(norms))
    if w_move is None:
        w_move, _ = fit_quadratic_model(x, y, w_init, w_out, radius=radius, loss=loss, activation=activation,
                                        steps=steps, rng=rng)
    measured = generalization_gaps(x, y, x_test, y_test, w_init, w_out, w_move, loss=loss, activation=activation,
                                   sign_draws=sign_draws, rng=rng)
    signs = _rad.sample_rademacher(sign_draws, np.shape(x)[0], rng=rng)
    terms = theorem6_terms(x, w_init, w_out, signs, radius=radius, input_radius=input_radius, activation=activation)
    return {"network_gap": measured["network_gap"], "quadratic_gap": measured["quadratic_gap"], "terms": terms,
            "w_move": np.asarray(w_move), "input_radius": input_radius,
            "in_ball": bool(np.all(norms <= input_radius * (1 + 1e-9)))}
