r"""Derivatives of the risks of Section 4: the quadratic risk, the network risk, the randomized and regularized risks.

Paper, Sections 3.1 and 4.1. With :math:`p_{ir} = w_{0,r}^\top x_i`, :math:`u_{ir} = w_r^\top x_i`:

* the quadratic risk :math:`L^Q(W) = \frac1n\sum_i \ell(y_i, f^Q_W(x_i))`,
  :math:`f^Q_W(x_i) = \frac{1}{2\sqrt m}\sum_r a_r\sigma''(p_{ir})u_{ir}^2` (``quadratic_risk*``);
* the network risk at one sign draw, :math:`L(W_0 + W\Sigma) = \frac1n\sum_i\ell(y_i, f_{W_0+W\Sigma}(x_i))`,
  as a function of :math:`W` (the chain rule through :math:`W \mapsto W\Sigma` is included);
* the randomized risk :math:`\widetilde L(W) = E_\Sigma L(W_0 + W\Sigma)`: the functions below average
  over the rows of ``signs`` (a Monte Carlo estimate; exact for squared loss, see
  :func:`randomized_risk_squared`);
* the regularized risk :math:`\widetilde L_\lambda = \widetilde L + \lambda\|W\|_{2,4}^8` (Section 3.1;
  the regularizer is :func:`boundcheck.numeric.optimize.regularizer`, power 8 as B.5 differentiates:
  :math:`\langle\nabla\lambda\|W\|^8_{2,4}, W\rangle = 8\lambda\|W\|^8_{2,4}`).

Every value and derivative of a model comes from :class:`boundcheck.network.TaylorModel` (values,
JVPs, pullbacks, second-order pullbacks, Hessian forms); this module adds the loss by the chain
rule: :math:`\nabla L = \sum_i\ell'_i\nabla f_i/n` and
:math:`\nabla^2L[V] = \sum_i(\ell''_iDf_i[V]\nabla f_i + \ell'_i\nabla^2f_i[V])/n`. Hessians are never
formed: Hessian-vector products feed :func:`smallest_hessian_eigenvalue` (Lanczos, scipy ``eigsh``).

Expectations over a second, independent sign matrix :math:`\Sigma'` of Hessian quadratic forms in the
direction :math:`W_*\Sigma'` are exact: in :math:`(\sum_r c_r\Sigma'_{rr})^2` the cross terms
have mean zero, leaving :math:`\sum_r c_r^2` (the tangents' ``square``).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from .._lazy import lazy
from ..losses import get_loss
from ..network import TaylorModel, norm_24, sample_signs
from .optimize import (REGULARIZER_POWER, noisy_descent, projected_descent, regularizer, regularizer_gradient,
                       regularizer_hvp)

sparse_linalg = lazy("scipy.sparse.linalg")

__all__ = [
    "quadratic_risk", "quadratic_risk_gradient", "quadratic_risk_hvp", "quadratic_risk_hessian_form",
    "quadratic_risk_expected_hessian_form", "quadratic_risk_hessian_operator", "quadratic_risk_objective",
    "quadratic_risk_trajectory", "lemma1_terms", "lemma1_bound", "init_sup", "network_risk",
    "network_risk_gradient", "network_risk_hvp", "network_risk_hessian_form", "randomized_sides",
    "randomized_risk_squared", "randomized_risk", "regularized_risk", "regularized_risk_gradient",
    "regularized_risk_hvp", "regularized_risk_objective", "regularized_risk_descent", "regularizer",
    "regularizer_gradient", "regularizer_hvp",
    "regularizer_expected_form", "smallest_hessian_eigenvalue",
    "COROLLARY3_CONSTANT", "lemma1_sides", "shared_planted_problem", "lemma1_remainder_sweep", "theorem2_samples",
    "theorem2_coupling_error", "theorem2_coupling_sweep", "width_required_by_6", "corollary3_regularizer_gap",
    "corollary3_needed_constant", "theorem4_norm_bound",
]

Q = (2,)  # the Taylor order of f^Q


def _model(x, y, w_init, w_out, activation, cache_bytes=None):
    model = TaylorModel(x, w_init, w_out, activation=activation, cache_bytes=cache_bytes)
    return model, validate.vector("y", y, length=model.n_samples)


def _signs(signs, width):
    return validate.signs("signs", np.atleast_2d(signs), length=width)


def _gradient(point, y, loss):
    r""":math:`\nabla\frac{1}{nK}\sum_{k,i}\ell(y_i, f_k(x_i))` at a point (K = 1 without signs)."""
    return point.vjp(loss.derivative(y, point.value, 1) / np.size(point.value))


def _hvp(point, y, loss, tangent, first=None, second=None):
    r"""Hessian-vector product of :math:`\frac{1}{nK}\sum_{k,i}\ell(y_i, f_k(x_i))` in the direction of ``tangent``.

    One pullback: :math:`c = \ell''\,Df[V]/(nK)`, :math:`e = \ell'/(nK)`. ``first``, ``second``:
    :math:`\ell'` and :math:`\ell''` at the point's values when already known.
    """
    count = np.size(point.value)
    first = loss.derivative(y, point.value, 1) if first is None else first
    second = loss.derivative(y, point.value, 2) if second is None else second
    return point.pullback(second * tangent.jvp / count, tangent=tangent, curvature=first / count)


def _hvp_from_scratch(model, w_move, y, loss, direction, **where):
    """Two passes: the value and the JVP together (keeping g' and x V^T), then the pullback."""
    point = model.at(w_move, along=[direction], **where)
    return _hvp(point, y, loss, point.along[0])


def _form(model, w_move, y, loss, direction, **where):
    r""":math:`\nabla^2[\frac1n\sum_i\ell(y_i, f(x_i))][V, V] = \frac1n\sum_i\ell''_i(Df_i[V])^2 + \ell'_iD^2f_i[V,V]`,
    per draw (``where``: the model's ``orders`` and ``signs``); one pass."""
    value, (tangent,) = model.evaluate(w_move, [direction], form=True, **where)
    return np.mean(loss.derivative(y, value, 2) * tangent.jvp**2 + loss.derivative(y, value, 1) * tangent.form, axis=-1)


# --------------------------------------------------------------------------------------------
# the quadratic risk L^Q


def quadratic_risk(x, y, w_init, w_out, w_move, *, loss="logistic", activation="relu3"):
    r"""The quadratic risk :math:`L^Q(W) = \frac1n\sum_i\ell(y_i, f^Q_W(x_i))` (Section 4.1)."""
    model, y = _model(x, y, w_init, w_out, activation)
    return float(np.mean(get_loss(loss).value(y, model.value(w_move, orders=Q))))


def quadratic_risk_gradient(x, y, w_init, w_out, w_move, *, loss="logistic", activation="relu3"):
    r""":math:`\nabla L^Q(W)`, shape (m, d): row r is
    :math:`\frac{1}{n\sqrt m}\sum_i \ell'(y_i, f^Q_W(x_i))\,a_r\sigma''(p_{ir})u_{ir}\,x_i` (B.1)."""
    model, y = _model(x, y, w_init, w_out, activation)
    return _gradient(model.at(w_move, orders=Q), y, get_loss(loss))


def quadratic_risk_hvp(x, y, w_init, w_out, w_move, direction, *, loss="logistic", activation="relu3"):
    r"""Hessian-vector product :math:`\nabla^2 L^Q(W)[V]`, shape (m, d), never forming the Hessian.

    Row r: :math:`\frac{1}{n\sqrt m}\sum_i a_r\sigma''(p_{ir})[\ell''_i\,Df^Q[V](x_i)\,u_{ir}
    + \ell'_i\,v_{ir}]x_i`.
    """
    model, y = _model(x, y, w_init, w_out, activation)
    return _hvp_from_scratch(model, w_move, y, get_loss(loss), direction, orders=Q)


def quadratic_risk_hessian_operator(x, y, w_init, w_out, w_move, *, loss="logistic", activation="relu3",
                                    cache_bytes=None):
    r"""The Hessian of :math:`L^Q` at W as a function ``V -> H V`` for repeated products (Lanczos).

    What depends on W only (:math:`f^Q`, :math:`\ell'`, :math:`\ell''`, and while they fit in
    ``cache_bytes`` the arrays :math:`a_r\sigma''(p_{ir})` and :math:`a_r\sigma''(p_{ir})u_{ir}`) is
    computed once; each product then costs one GEMM for :math:`xV^\top`, one for the output, and
    elementwise work.
    """
    model, y = _model(x, y, w_init, w_out, activation, cache_bytes)
    lo = get_loss(loss)
    point = model.at(w_move, orders=Q)
    first, second = lo.derivative(y, point.value, 1), lo.derivative(y, point.value, 2)
    last = []  # the previous product's tangent: its arrays serve the next one (nothing allocated per product)

    def hvp(direction):
        tangent = point.push(direction, reuse=last.pop() if last else None)
        last.append(tangent)
        return _hvp(point, y, lo, tangent, first, second)

    return hvp


def quadratic_risk_hessian_form(x, y, w_init, w_out, w_move, direction, *, loss="logistic", activation="relu3"):
    r"""The quadratic form :math:`\nabla^2 L^Q(W)[V, V] = \frac1n\sum_i \ell''_i (Df^Q[V])^2
    + \ell'_i D^2f^Q[V,V]`."""
    model, y = _model(x, y, w_init, w_out, activation)
    return float(_form(model, w_move, y, get_loss(loss), direction, orders=Q))


def quadratic_risk_expected_hessian_form(x, y, w_init, w_out, w_move, w_star, *, loss="logistic",
                                         activation="relu3"):
    r""":math:`E_{\Sigma}\nabla^2 L^Q(W)[W_*\Sigma, W_*\Sigma]`, exact; returns ``(value, first, second)``.

    ``second`` :math:`= \frac1n\sum_i\ell'_i\cdot 2f^Q_{W_*}(x_i)` (term I of B.1, as
    :math:`\Sigma_{rr}^2 = 1`), ``first`` :math:`= \frac{1}{nm}\sum_i\ell''_i\sum_r
    \sigma''(p_{ir})^2u_{ir}^2 (w_{*,r}^\top x_i)^2` (term II of B.1 in expectation: cross-neuron
    terms vanish).
    """
    terms = lemma1_terms(x, y, w_init, w_out, w_move, w_star, loss=loss, activation=activation)
    return terms["lhs_exact"], terms["remainder"], terms["lhs_exact"] - terms["remainder"]


def quadratic_risk_objective(x, y, w_init, w_out, *, loss="logistic", activation="relu3"):
    r""":math:`W \mapsto (L^Q(W), \nabla L^Q)` for the optimizers of :mod:`boundcheck.numeric.optimize`.

    One model at these inputs (its :math:`a_r\sigma''(p_{ir})` computed once); the gradient is returned
    as a function, evaluated only for the points a descent accepts.
    """
    model, y = _model(x, y, w_init, w_out, activation)
    lo = get_loss(loss)

    def objective(w_move):
        point = model.at(w_move, orders=Q)
        return float(np.mean(lo.value(y, point.value))), lambda: _gradient(point, y, lo)

    return objective


def quadratic_risk_trajectory(x, y, w_init, w_out, w_start, *, radius, steps=40, step_size=300.0, loss="logistic",
                              activation="relu3"):
    r"""Iterates of projected gradient descent on :math:`L^Q` in the ball :math:`\|W\|_{2,4} \le B_w`.

    :func:`boundcheck.numeric.optimize.projected_descent`: the step is halved (at most 29 times) until
    the risk does not increase, then grown by 1.5, so the descent neither stalls near the saddle at
    :math:`W = 0` nor diverges, whatever the scale of the problem. Returns a list of ``steps`` W.
    """
    objective = quadratic_risk_objective(x, y, w_init, w_out, loss=loss, activation=activation)
    return projected_descent(objective, w_start, radius=radius, steps=steps, step_size=step_size, max_halvings=29,
                             keep_iterates=True).iterates


def _lemma1(model, y, w_move, w_star, lo, opt):
    """Lemma 1's terms on one model; also returns f^Q_W and f^Q_{W_*} (n,)."""
    fq, (star,) = model.evaluate(w_move, [w_star], orders=Q, jvp=False, form=True, square=True)  # one pass
    fstar = star.form / 2.0  # D^2 f^Q[V, V] = 2 f^Q_V
    rem = star.square  # (1/m) sum_r sigma''(p)^2 u^2 v^2, as a_r^2 = 1
    val, d1, d2 = lo.derivative(y, fq, 0), lo.derivative(y, fq, 1), lo.derivative(y, fq, 2)
    val_star = lo.derivative(y, fstar, 0)
    risk, risk_star = float(np.mean(val)), float(np.mean(val_star))
    opt = risk_star if opt is None else float(opt)
    second = float(np.mean(d1 * 2 * fstar))
    remainder = float(np.mean(d2 * rem))
    grad_inner = float(np.mean(2 * d1 * fq))
    rhs_main = grad_inner - 2 * (risk - opt)
    gap = float(np.mean(val_star - val - d1 * (fstar - fq)))
    lhs = second + remainder
    predicted = rhs_main - 2 * gap - 2 * (opt - risk_star) + remainder
    scale = float(np.mean(np.abs(d1 * fstar)) * 2 + np.mean(np.abs(d1 * fq)) * 2 + np.mean(np.abs(val))
                  + np.mean(np.abs(val_star)) + abs(opt) + np.mean(np.abs(d2 * rem)))
    terms = dict(lhs_exact=lhs, grad_inner=grad_inner, risk=risk, risk_star=risk_star, opt=opt, rhs_main=rhs_main,
                 remainder=remainder, convexity_gap=gap, opt_gap=opt - risk_star, identity_residual=lhs - predicted,
                 scale=scale)
    return terms, fq, fstar


def lemma1_terms(x, y, w_init, w_out, w_move, w_star, *, opt=None, loss="logistic", activation="relu3"):
    r"""Every term of Lemma 1 and of its proof (B.1) at W, exactly over :math:`\Sigma`.

    Returns a dict with

    * ``lhs_exact`` :math:`= E_\Sigma\nabla^2L^Q(W)[W_*\Sigma, W_*\Sigma]`;
    * ``grad_inner`` :math:`= \langle\nabla L^Q(W), W\rangle = \frac2n\sum_i\ell'_i f^Q_W(x_i)`
      (:math:`f^Q` is 2-homogeneous);
    * ``risk`` :math:`L^Q(W)`, ``risk_star`` :math:`L^Q(W_*)`, ``opt`` (``risk_star`` if None);
    * ``rhs_main`` :math:`= \langle\nabla L^Q(W), W\rangle - 2(L^Q(W) - \mathrm{OPT})`;
    * ``remainder`` (term II) :math:`= \frac{1}{nm}\sum_i\ell''_i\sum_r\sigma''(p_{ir})^2u_{ir}^2
      (w_{*,r}^\top x_i)^2`;
    * ``convexity_gap`` :math:`= \frac1n\sum_i[\ell(f^Q_{W_*}) - \ell(f^Q_W) - \ell'(f^Q_W)(f^Q_{W_*}
      - f^Q_W)] \ge 0`, the slack of step (i) in B.1;
    * ``opt_gap`` :math:`= \mathrm{OPT} - L^Q(W_*) \ge 0`, the slack of step (ii);
    * ``identity_residual``: ``lhs_exact - (rhs_main - 2 convexity_gap - 2 opt_gap + remainder)``,
      zero up to rounding (the exact form of the proof);
    * ``scale``: the sum of magnitudes of the terms (for a rounding tolerance).

    One point of the model at W and one tangent in the direction :math:`W_*` give all of them:
    :math:`f^Q_{W_*} = \frac12D^2f^Q[W_*, W_*]` and the remainder is the tangent's exact mean square
    over the signs of the direction.
    """
    model, y = _model(x, y, w_init, w_out, activation, cache_bytes=0)  # one pass: nothing to keep
    w_star = validate.matrix("w_star", w_star, shape=(model.width, model.dim))
    return _lemma1(model, y, w_move, w_star, get_loss(loss), opt)[0]


def init_sup(w_init, input_radius):
    r""":math:`t = B_x\max_r\|w_{0,r}\|_2 = \sup_{\|x\|=B_x}\max_r|w_{0,r}^\top x|` (the quantity (4) bounds)."""
    return float(input_radius * np.max(np.linalg.norm(w_init, axis=1)))


def lemma1_bound(w_init, w_move, w_star, *, input_radius=1.0, constant=1.0, loss_second=1.0):
    r"""Explicit bound on Lemma 1's remainder (term II of B.1), with the proof's constants.

    :math:`\frac1m\sum_r\sigma''(p)^2u^2v^2 \le C^2 t^2 B_x^4\frac1m\sum_r\|w_r\|^2\|w_{*,r}\|^2
    \le C^2 t^2 B_x^4\|W\|_{2,4}^2\|W_*\|_{2,4}^2\,m^{-1}` (Cauchy-Schwarz), times
    :math:`\sup|\ell''| \le 1`; :math:`t` from :func:`init_sup`. The paper prints
    :math:`m^{-1/2}`; the same Cauchy-Schwarz step gives :math:`m^{-1}`.
    """
    m = w_init.shape[0]
    t = init_sup(w_init, input_radius)
    return float(loss_second * constant**2 * t**2 * input_radius**4 * norm_24(w_move) ** 2 * norm_24(w_star) ** 2
                 / m)


# --------------------------------------------------------------------------------------------
# network risk at given signs, and the randomized risk (mean over sign draws)


def network_risk(x, y, w_init, w_out, w_move, signs, *, loss="logistic", activation="relu3"):
    r""":math:`L(W_0 + W\Sigma_k)` for each row of ``signs``, shape (K,)."""
    model, y = _model(x, y, w_init, w_out, activation)
    f = model.value(w_move, signs=_signs(signs, model.width))
    return np.mean(get_loss(loss).value(y, f), axis=1)


def network_risk_gradient(x, y, w_init, w_out, w_move, signs, *, loss="logistic", activation="relu3"):
    r"""Gradient in W of :math:`\frac1K\sum_k L(W_0 + W\Sigma_k)`, shape (m, d).

    With one row of ``signs`` it is :math:`\nabla_W L(W_0+W\Sigma)`; with many it is the Monte Carlo
    gradient of the randomized risk. Row r: :math:`\frac{a_r}{nK\sqrt m}\sum_{i,k}\ell'_{ik}
    \Sigma_{k,r}\sigma'(p_{ir}+\Sigma_{k,r}u_{ir})x_i`.
    """
    model, y = _model(x, y, w_init, w_out, activation)
    return _gradient(model.at(w_move, signs=_signs(signs, model.width)), y, get_loss(loss))


def network_risk_hessian_form(x, y, w_init, w_out, w_move, signs, direction, *, loss="logistic",
                              activation="relu3"):
    r""":math:`\nabla_W^2 L(W_0 + W\Sigma_k)[V, V]` for each row of ``signs``, shape (K,)."""
    model, y = _model(x, y, w_init, w_out, activation)
    return _form(model, w_move, y, get_loss(loss), direction, signs=_signs(signs, model.width))


def network_risk_hvp(x, y, w_init, w_out, w_move, signs, direction, *, loss="logistic", activation="relu3"):
    r"""Hessian-vector product of :math:`\frac1K\sum_k L(W_0 + W\Sigma_k)` in W, shape (m, d).

    Row r: :math:`\frac{a_r}{nK\sqrt m}\sum_{i,k}[\ell''_{ik}Df_{ik}[V]\Sigma_{k,r}\sigma'(\cdot)
    + \ell'_{ik}\sigma''(\cdot)v_{ir}]x_i` at :math:`\cdot = p_{ir} + \Sigma_{k,r}u_{ir}`.
    """
    model, y = _model(x, y, w_init, w_out, activation)
    return _hvp_from_scratch(model, w_move, y, get_loss(loss), direction, signs=_signs(signs, model.width))


def randomized_sides(x, y, w_init, w_out, w_move, w_star, signs, *, loss="logistic", activation="relu3"):
    r"""Per sign draw :math:`\Sigma_k`, every quantity Theorem 2 and Lemmas 11-14 compare.

    Returns a dict of arrays of shape (K,) (per draw) and (K, n) (per draw and sample):

    * ``outputs`` (K, n): :math:`f_{W_0+W\Sigma_k}(x_i)`; ``linear`` (K, n): :math:`f^L_{W\Sigma_k}(x_i)`;
      ``quadratic`` (n,): :math:`f^Q_W(x_i)`; ``remainder`` (K, n): :math:`\Delta = f - f^L - f^Q`
      (Lemma 11(b));
    * ``risk`` (K,): :math:`L(W_0+W\Sigma_k)`; ``quadratic_risk``: :math:`L^Q(W)`;
    * ``grad_inner`` (K,): :math:`\langle\nabla_W L(W_0+W\Sigma_k), W\rangle`, whose mean is
      :math:`\langle\nabla\widetilde L(W), W\rangle`; ``quadratic_grad_inner``: :math:`\langle\nabla L^Q(W), W\rangle`;
    * ``hess_form`` (K,): :math:`E_{\Sigma''}\nabla^2L(W_0+W\Sigma_k)[W_*\Sigma'', W_*\Sigma'']`, exact over
      :math:`\Sigma''`; its mean over k is :math:`E_{\Sigma'}\nabla^2\widetilde L(W)[W_*\Sigma', W_*\Sigma']`
      (as :math:`\Sigma'\Sigma` is again uniform); ``hess_first`` / ``hess_second`` its two terms;
      ``quadratic_hess_form``: Lemma 1's exact left side (``quadratic_terms``: all of Lemma 1's terms);
    * ``control`` (K,): :math:`\frac1n\sum_i\ell'(y_i, f^Q_W(x_i))f^L_{W\Sigma_k}(x_i)`, mean zero
      exactly (a control variate for the differences of risks and of directional gradients);
      ``hess_control`` (K,): :math:`\frac1n\sum_i\ell'(y_i, f^Q_W(x_i))m^{-1/2}\sum_r a_r\Sigma_{k,r}
      \sigma'''(p_{ir})u_{ir}(w_{*,r}^\top x_i)^2 + \frac1n\sum_i\ell''(y_i, f^Q_W(x_i))
      f^L_{W\Sigma_k}(x_i)\,2f^Q_{W_*}(x_i)`, mean zero exactly (the first-order part in
      :math:`\Sigma` of the Hessian difference of Lemma 14): its first sum is the Hessian form of
      :math:`f^{(3)}_{W\Sigma_k}` in the direction :math:`W_*`.
    """
    model, y = _model(x, y, w_init, w_out, activation)
    w_star = validate.matrix("w_star", w_star, shape=(model.width, model.dim))
    return _randomized_sides(model, y, w_move, w_star, _signs(signs, model.width), get_loss(loss))


def _randomized_sides(model, y, w_move, w_star, signs, lo):
    """:func:`randomized_sides` on a model (which keeps its arrays for the next W at the same data)."""
    # one pass for the network along W (Df_k[W]: <grad, W> per sample) and along W_* (form and mean square)
    f, (along_w, star) = model.evaluate(w_move, [w_move, w_star], signs=signs, jvp=(True, False),
                                        form=(False, True), square=(False, True))
    grad_along_w = along_w.jvp
    lin = model.value(w_move, orders=(1,), signs=signs)
    third = model.evaluate(w_move, [w_star], orders=(3,), signs=signs, jvp=False, form=True, value=False)[1][0].form
    clean, fq, fstar = _lemma1(model, y, w_move, w_star, lo, None)
    d0, d1, d2 = lo.derivative(y, f, 0), lo.derivative(y, f, 1), lo.derivative(y, f, 2)
    q1, q2 = lo.derivative(y, fq, 1), lo.derivative(y, fq, 2)
    first, second = np.mean(d2 * star.square, axis=1), np.mean(d1 * star.form, axis=1)
    return dict(outputs=f, linear=lin, quadratic=fq, remainder=f - lin - fq, risk=np.mean(d0, axis=1),
                quadratic_risk=clean["risk"], grad_inner=np.mean(d1 * grad_along_w, axis=1),
                quadratic_grad_inner=clean["grad_inner"], hess_form=first + second, hess_first=first,
                hess_second=second, quadratic_hess_form=clean["lhs_exact"], quadratic_terms=clean,
                control=np.mean(q1 * lin, axis=1), hess_control=np.mean(q1 * third + q2 * lin * 2 * fstar, axis=1))


def randomized_risk_squared(x, y, w_init, w_out, w_move, *, activation="relu3"):
    r"""Exact randomized risk :math:`E_\Sigma L(W_0+W\Sigma)` for the squared loss (no Monte Carlo).

    Neurons are independent under :math:`\Sigma`, so :math:`E f(x_i) = \mu_i` and
    :math:`\mathrm{Var} f(x_i)` are closed forms (:meth:`boundcheck.network.TaylorModel.sign_moments`);
    the risk is :math:`\frac1n\sum_i\frac12[(\mu_i-y_i)^2 + \mathrm{Var} f(x_i)]`.
    """
    model, y = _model(x, y, w_init, w_out, activation)
    mean, var = model.sign_moments(w_move)
    return float(np.mean(0.5 * ((mean - y) ** 2 + var)))


def randomized_risk(x, y, w_init, w_out, w_move, *, rng, draws=1000, level=0.95, loss="logistic",
                    activation="relu3"):
    r"""The randomized risk :math:`\widetilde L(W) = E_\Sigma L(W_0 + W\Sigma)`: ``(value, interval)``.

    Monte Carlo over ``draws`` sign draws with a Student-t interval at ``level``; for the squared
    loss the exact value (:func:`randomized_risk_squared`) with a degenerate interval.
    """
    from ..results import mean_interval

    if get_loss(loss).name == "squared":
        value = randomized_risk_squared(x, y, w_init, w_out, w_move, activation=activation)
        return value, (value, value)
    signs = rng.choice(np.array([-1.0, 1.0]), size=(validate.integer("draws", draws, minimum=2), np.shape(w_init)[0]))
    return mean_interval(network_risk(x, y, w_init, w_out, w_move, signs, loss=loss, activation=activation), level)


# --------------------------------------------------------------------------------------------
# the regularized risk, with the regularizer lambda ||W||_{2,4}^8


def regularizer_expected_form(w_move, w_star, reg):
    r""":math:`E_{\Sigma'}\nabla^2(\lambda\|W\|_{2,4}^8)[W_*\Sigma', W_*\Sigma']`, exact (B.5):
    :math:`32\lambda\sum_r\|w_r\|^4\langle w_r,w_{*,r}\rangle^2 + 8\lambda S\sum_r(2\langle w_r,w_{*,r}\rangle^2
    + \|w_r\|^2\|w_{*,r}\|^2)`."""
    sq = np.sum(w_move**2, axis=1)
    dots = np.sum(w_move * w_star, axis=1)
    s = np.sum(sq**2)
    return float(32.0 * reg * np.sum(sq**2 * dots**2)
                 + 8.0 * reg * s * np.sum(2.0 * dots**2 + sq * np.sum(w_star**2, axis=1)))


def regularized_risk(x, y, w_init, w_out, w_move, signs, reg, *, loss="logistic", activation="relu3"):
    r""":math:`L(W_0 + W\Sigma_k) + \lambda\|W\|_{2,4}^8` per row of ``signs`` (mean: the Monte Carlo
    :math:`\widetilde L_\lambda(W)`), shape (K,)."""
    return network_risk(x, y, w_init, w_out, w_move, signs, loss=loss, activation=activation) + regularizer(w_move, reg)


def regularized_risk_gradient(x, y, w_init, w_out, w_move, signs, reg, *, loss="logistic", activation="relu3"):
    r"""Gradient of :math:`\frac1K\sum_kL(W_0 + W\Sigma_k) + \lambda\|W\|_{2,4}^8`, shape (m, d)."""
    return (network_risk_gradient(x, y, w_init, w_out, w_move, signs, loss=loss, activation=activation)
            + regularizer_gradient(w_move, reg))


def regularized_risk_hvp(x, y, w_init, w_out, w_move, signs, reg, direction, *, loss="logistic",
                         activation="relu3"):
    r"""Hessian-vector product of :math:`\frac1K\sum_kL(W_0 + W\Sigma_k) + \lambda\|W\|_{2,4}^8`."""
    return (network_risk_hvp(x, y, w_init, w_out, w_move, signs, direction, loss=loss, activation=activation)
            + regularizer_hvp(w_move, direction, reg))


def regularized_risk_objective(x, y, w_init, w_out, *, reg, sign_draws, loss="logistic", activation="relu3",
                               power=REGULARIZER_POWER):
    r"""The stochastic objective of Theorem 4's descent: ``objective(w, rng) -> (value, gradient)``.

    Each call draws ``sign_draws`` sign vectors :math:`\Sigma_k` from ``rng`` and returns
    :math:`\frac1K\sum_kL(W_0 + W\Sigma_k) + \lambda\|W\|_{2,4}^q` and its gradient in W (a Monte Carlo
    estimate of :math:`\widetilde L_\lambda` and :math:`\nabla\widetilde L_\lambda`), q = ``power`` (the paper's 8).
    """
    model, y = _model(x, y, w_init, w_out, activation)
    lo = get_loss(loss)

    def objective(w_move, rng):
        point = model.at(w_move, signs=sample_signs(sign_draws, model.width, rng=rng))
        value = float(np.mean(lo.value(y, point.value))) + regularizer(w_move, reg, power=power)
        return value, _gradient(point, y, lo) + regularizer_gradient(w_move, reg, power=power)

    return objective


def regularized_risk_descent(x, y, w_init, w_out, w_start, *, reg, steps, step_size, sign_draws, noise, rng,
                             loss="logistic", activation="relu3", max_move=None, radius_cap=math.inf, guard=None,
                             power=REGULARIZER_POWER):
    r"""Perturbed gradient descent on :math:`\widetilde L_\lambda(W) = E_\Sigma L(W_0+W\Sigma) + \lambda\|W\|_{2,4}^q`.

    Theorem 4's algorithm (:func:`boundcheck.numeric.optimize.noisy_descent` on
    :func:`regularized_risk_objective`): each step draws ``sign_draws`` fresh sign vectors (a Monte
    Carlo gradient of the expectation), steps along that gradient plus the regularizer's (power
    q = ``power``, the paper's 8), and adds :math:`N(0, \mathrm{noise}^2)` to every weight. Returns the last W.
    """
    objective = regularized_risk_objective(x, y, w_init, w_out, reg=reg, sign_draws=sign_draws, loss=loss,
                                           activation=activation, power=power)
    return noisy_descent(objective, w_start, steps=steps, step_size=step_size, noise=noise, rng=rng,
                         max_move=max_move, radius_cap=radius_cap, guard=guard)


# --------------------------------------------------------------------------------------------
# smallest Hessian eigenvalue


def smallest_hessian_eigenvalue(hvp, shape, *, rng, tol=1e-6, maxiter=None):
    r"""Smallest eigenvalue of the Hessian behind ``hvp`` (a function V -> H V on arrays of ``shape``).

    Lanczos (``scipy.sparse.linalg.eigsh``, ``which="SA"``) on a ``LinearOperator``; the Hessian is
    never formed. Returns ``(eigenvalue, eigenvector)`` with the eigenvector shaped like ``shape``.
    """
    size = int(np.prod(shape))

    def matvec(vec):
        return np.asarray(hvp(np.asarray(vec, dtype=np.float64).reshape(shape)), dtype=np.float64).ravel()

    op = sparse_linalg.LinearOperator((size, size), matvec=matvec, dtype=np.float64)
    start = rng.standard_normal(size)
    if size <= 2:
        dense = np.column_stack([matvec(e) for e in np.eye(size)])  # at most 2 x 2
        vals, vecs = np.linalg.eigh((dense + dense.T) / 2)
        return float(vals[0]), vecs[:, 0].reshape(shape)
    try:
        vals, vecs = sparse_linalg.eigsh(op, k=1, which="SA", v0=start, tol=tol, maxiter=maxiter or 20 * size)
    except sparse_linalg.ArpackNoConvergence as err:  # keep the best Ritz value found
        if len(err.eigenvalues) == 0:
            raise
        vals, vecs = err.eigenvalues, err.eigenvectors
    return float(vals[0]), vecs[:, 0].reshape(shape)


# --------------------------------------------------------------------------------------------
# the two sides compared by the Section 4 checks (boundcheck.lemmas.landscape)

#: Corollary 3's constant C from B.5: the AM-GM step with :math:`\alpha = 5/14` leaves
#: :math:`378\lambda\alpha^{-3}\|W_*\|_{2,4}^8`, i.e. :math:`C = 378\cdot14^3/5^3 \approx 8297.9`.
COROLLARY3_CONSTANT = 378.0 * 14.0**3 / 5.0**3


def lemma1_sides(x, y, w_init, w_out, w_move, w_star, *, opt, input_radius, constant=1.0, loss="logistic",
                 activation="relu3"):
    r"""Lemma 1 at one W: :func:`lemma1_terms` and, under ``bound``, the explicit bound
    :func:`lemma1_bound` on its remainder (:math:`C^2t^2B_x^4\|W\|_{2,4}^2\|W_*\|_{2,4}^2/m`,
    with :math:`B_x` = ``input_radius`` and C = ``constant``)."""
    terms = lemma1_terms(x, y, w_init, w_out, w_move, w_star, opt=opt, loss=loss, activation=activation)
    terms["bound"] = lemma1_bound(w_init, w_move, w_star, input_radius=input_radius, constant=constant)
    return terms


def shared_planted_problem(n_samples, width, dim, *, radius_star, seed, rng, input_radius=1.0, loss="logistic"):
    r"""A planted problem whose data and teacher shape are shared across widths (common random numbers).

    As :func:`boundcheck.numeric.coupling.planted_problem` with an aligned teacher of
    :math:`\|W_*\|_{2,4}` = ``radius_star``, except that the inputs and the teacher's two
    directions come from ``seed`` (the same at every width) and only the initialization
    :math:`(W_0, a)` from ``rng``: a sweep in m then varies the network alone. Labels are
    :math:`\mathrm{sign}(f^Q_{W_*} - \mathrm{median})` (:math:`f^Q_{W_*}` itself for squared loss).
    Returns a dict with ``x, y, w_init, w_out, w_star``.
    """
    from ..data import sample_sphere
    from ..network import quadratic_model, symmetric_init
    from .coupling import aligned_move

    shared = np.random.default_rng(seed)
    x = sample_sphere(n_samples, dim, input_radius=input_radius, rng=shared)
    w_init, w_out = symmetric_init(width, dim, input_radius=input_radius, rng=rng)
    w_star = aligned_move(w_out, dim, radius_star, rng=shared, directions=2)
    fstar = quadratic_model(x, w_init, w_out, w_star)
    y = fstar if get_loss(loss).name == "squared" else np.where(fstar >= np.median(fstar), 1.0, -1.0)
    return dict(x=x, y=y, w_init=w_init, w_out=w_out, w_star=w_star)


def lemma1_remainder_sweep(widths, replicates, *, n_samples, dim, radius_star, rng, input_radius=1.0,
                           loss="logistic", activation="relu3"):
    r"""Lemma 1's remainder (term II of B.1) at :math:`W = W_*` across ``widths``: shape (replicates, widths).

    Each replicate is one data set and one teacher shape (:func:`shared_planted_problem`) with a
    fresh initialization at every width, and :math:`\|W_*\|_{2,4}` = ``radius_star`` fixed, so the
    series isolates the dependence on m. With :math:`\|w_{*,r}\| \propto m^{-1/4}` the remainder
    is :math:`m^{-1}` times a mean over neurons whose law does not depend on m.
    """
    out = np.empty((replicates, len(widths)))
    for k in range(replicates):  # a loop over replicate series
        seed = int(rng.integers(2**63))
        for j, m in enumerate(widths):  # a loop over widths (sweep cells)
            p = shared_planted_problem(n_samples, m, dim, radius_star=radius_star, seed=seed, rng=rng,
                                       input_radius=input_radius, loss=loss)
            out[k, j] = lemma1_terms(p["x"], p["y"], p["w_init"], p["w_out"], p["w_star"], p["w_star"], loss=loss,
                                     activation=activation)["remainder"]
    return out


def theorem2_samples(x, y, w_init, w_out, w_move, w_star, signs, *, opt, loss="logistic", activation="relu3",
                     control=True):
    r"""Theorem 2's inequality (7) per sign draw, as one number: returns ``(h, sides)`` with

    :math:`h(\Sigma) = E_{\Sigma''}\nabla^2L(W_0+W\Sigma)[W_*\Sigma'', W_*\Sigma''] -
    \langle\nabla_WL(W_0+W\Sigma), W\rangle + 2(L(W_0+W\Sigma) - \mathrm{OPT})`, whose mean over
    :math:`\Sigma` is (7)'s left side minus its right side without :math:`\epsilon`
    (``sides`` from :func:`randomized_sides`). With ``control`` the exactly mean-zero first-order
    terms are subtracted (same mean, smaller variance).
    """
    s = randomized_sides(x, y, w_init, w_out, w_move, w_star, signs, loss=loss, activation=activation)
    return _theorem2_h(s, opt, control), s


def _theorem2_h(s, opt, control=True):
    h = s["hess_form"] - s["grad_inner"] + 2 * (s["risk"] - opt)
    if control:
        h = h - s["hess_control"] - s["control"]
    return h


def theorem2_coupling_error(x, y, w_init, w_out, w_star, family, signs, *, opt, loss="logistic",
                            activation="relu3"):
    r"""``(coupling, largest)`` over the movements W of ``family``: the largest
    :math:`|\overline{h}(W) - (\mathrm{lhs} - \mathrm{rhs\_main})(W)|` (the Monte Carlo mean of
    :func:`theorem2_samples` minus Lemma 1's exact slack of the quadratic model at the same W: what
    Lemmas 12-14 bound, the part of :math:`\epsilon` condition (6) pays for), and the largest
    :math:`\overline{h}(W)` (the smallest :math:`\epsilon` for which (7) holds on the family)."""
    model, y = _model(x, y, w_init, w_out, activation)  # one model for the family: its arrays serve every W
    w_star = validate.matrix("w_star", w_star, shape=(model.width, model.dim))
    signs, lo = _signs(signs, model.width), get_loss(loss)
    coupling, largest = 0.0, -math.inf
    for w in family:  # a loop over a few movements, each batched over sign draws
        h = _theorem2_h(_randomized_sides(model, y, w, w_star, signs, lo), opt)
        t = _lemma1(model, y, w, w_star, lo, opt)[0]
        coupling = max(coupling, abs(float(np.mean(h)) - (t["lhs_exact"] - t["rhs_main"])))
        largest = max(largest, float(np.mean(h)))
    return coupling, largest


def theorem2_coupling_sweep(widths, replicates, *, n_samples, dim, radius, radius_star, draws, rng,
                            input_radius=1.0, loss="logistic", activation="relu3"):
    r""":func:`theorem2_coupling_error` across ``widths``: two arrays of shape (replicates, widths).

    Each replicate shares its data, teacher shape and movement directions across widths
    (:func:`shared_planted_problem`); the family of W is :math:`W_*`, :math:`W_*` scaled to
    :math:`B_w` (``radius``), and aligned movements of norm :math:`B_w` and :math:`B_w/2`: the
    same shapes at every width. OPT is :math:`L^Q(W_*)`.
    """
    from .coupling import aligned_move

    coupling = np.empty((replicates, len(widths)))
    largest = np.empty_like(coupling)
    for k in range(replicates):  # a loop over replicate series
        seed = int(rng.integers(2**63))
        for j, m in enumerate(widths):  # a loop over widths (sweep cells)
            p = shared_planted_problem(n_samples, m, dim, radius_star=radius_star, seed=seed, rng=rng,
                                       input_radius=input_radius, loss=loss)
            x, y, w_init, w_out, w_star = p["x"], p["y"], p["w_init"], p["w_out"], p["w_star"]
            moves = np.random.default_rng([seed, 1])
            family = [w_star, w_star * (radius / radius_star), aligned_move(w_out, dim, radius, rng=moves),
                      aligned_move(w_out, dim, radius / 2, rng=moves)]
            opt = quadratic_risk(x, y, w_init, w_out, w_star, loss=loss, activation=activation)
            signs = rng.choice(np.array([-1.0, 1.0]), size=(draws, m))
            coupling[k, j], largest[k, j] = theorem2_coupling_error(x, y, w_init, w_out, w_star, family, signs,
                                                                    opt=opt, loss=loss, activation=activation)
    return coupling, largest


def width_required_by_6(accuracy, *, dim, radius, radius_star, input_radius=1.0, constant=1.0, failure_prob=0.05):
    r"""The smallest width m for which the proof of Theorem 2 (B.4) gives (7) with ``accuracy`` epsilon.

    The proof asks :math:`|L - L^Q| \le \epsilon/6` (Lemma 12), Lemma 1's remainder
    :math:`\le \epsilon/3`, Lemma 13's and Lemma 14's errors :math:`\le \epsilon/6` each, at
    :math:`\|W\|_{2,4} = B_w`, :math:`\|W_*\|_{2,4} = B_{w,*}` and :math:`t` from (4)
    (:func:`boundcheck.network.equation4_bound` at ``failure_prob``). Each bound carries the
    explicit constants of :mod:`boundcheck.numeric.coupling`, so this is condition (6) with its
    :math:`\tilde O` made explicit. Returns m (a float; bisection on :math:`\log_{10} m`; inf beyond
    :math:`10^{200}`).
    """
    from ..network import equation4_bound
    from . import coupling as cpl

    def ok(m):
        ctx = dict(m=m, t=equation4_bound(max(2, int(m)), dim, failure_prob), N=radius, N_star=radius_star,
                   B=input_radius, C=constant)
        rem = constant**2 * ctx["t"] ** 2 * input_radius**4 * radius**2 * radius_star**2 / m
        return (cpl.lemma12_bound(ctx) <= accuracy / 6 and rem <= accuracy / 3 and cpl.lemma13_bound(ctx) <= accuracy / 6
                and cpl.lemma14_bound(ctx) <= accuracy / 6)

    lo, hi = 0.0, 1.0
    while not ok(10.0**hi):  # doubling in log10 m, a scalar search
        lo, hi = hi, 2 * hi
        if hi > 200:
            return math.inf
    for _ in range(60):  # bisection in log10 m
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if ok(10.0**mid) else (mid, hi)
    return 10.0**hi


def corollary3_regularizer_gap(w_move, w_star, reg):
    r"""B.5's regularizer part of :math:`\Delta_\lambda - \Delta_0`:
    :math:`E\nabla^2R[W_*\Sigma', W_*\Sigma'] - \langle\nabla R, W\rangle + 2R = E\nabla^2R[\cdot] - 6R`
    for :math:`R = \lambda\|W\|_{2,4}^8` (:math:`\langle\nabla R, W\rangle = 8R`)."""
    return regularizer_expected_form(w_move, w_star, reg) - 6.0 * regularizer(w_move, reg)


def corollary3_needed_constant(w_star):
    r"""The smallest C in :math:`\Delta_\lambda - \Delta_0 \le -\lambda\|W\|^8_{2,4} + C\lambda\|W_*\|^8_{2,4}`
    over the ray :math:`W = sW_*`, :math:`s > 0`: a lower bound on the C this :math:`W_*` needs
    over all W (the ray is the worst direction when the rows of :math:`W_*` have equal norms, not
    in general).

    Closed form: with :math:`A = E\nabla^2R(W_*)[W_*\Sigma', W_*\Sigma']/\lambda` and
    :math:`B = \|W_*\|^8_{2,4}`, the maximum over s of :math:`As^6 - 5Bs^8` is :math:`As^6/4` at
    :math:`s^2 = 3A/(20B)`.
    """
    a = regularizer_expected_form(w_star, w_star, 1.0)
    b = regularizer(w_star, 1.0)
    s2 = 3 * a / (20 * b)
    return float(a * s2**3 / 4 / b)


def theorem4_norm_bound(radius_star, *, gamma, accuracy, opt_lower, opt_upper, constant=COROLLARY3_CONSTANT):
    r"""B.6's explicit :math:`O(B_{w,*})`: :math:`\|\widehat W\|_{2,4} \le B_{w,*}[C(1 +
    (2\mathrm{OPT}+\epsilon)/(2\gamma\mathrm{OPT}+\epsilon))]^{1/8}`.

    :math:`\lambda = (2\gamma\,\mathrm{OPT}_{\rm lower}+\epsilon)/(CB_{w,*}^8)` is what the check
    chose, so the denominator holds the lower end of OPT's bracket; the numerator comes from
    :math:`2(\mathrm{OPT} - \widetilde L_\lambda) \le 2\,\mathrm{OPT}` and takes the upper end.
    """
    ratio = (2 * opt_upper + accuracy) / (2 * gamma * opt_lower + accuracy)
    return float(radius_star * (constant * (1 + ratio)) ** 0.125)
