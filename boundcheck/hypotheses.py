r"""The hypotheses of the paper's results, evaluated on the arrays a check actually uses.

Each function returns ``{name: met}`` for one hypothesis, so a check writes
``hypotheses = {**hyp.inputs_in_ball(x, input_radius), **hyp.symmetric_init(w_init, w_out)}`` and
passes that dict to the record constructors of :mod:`boundcheck.results`. A claim declares the
names it evaluates when it is registered (``claim(..., hypotheses=(hyp.BALL, hyp.SYMMETRIC))``),
and the runner refuses a record that leaves one of them out.

The input radius
    Wherever the paper writes :math:`B_x` the toolkit uses :math:`B_x = \max_i \|x_i\|` of the
    inputs in hand (:func:`input_radius_of`), so that ":math:`\|x\| \le B_x`" always holds for them
    and a bound that needs it is never charged for a smaller, average norm. Results stated for
    inputs on the sphere of radius :math:`B_x` (Section 5.2's expressivity, Lemma 9, Theorem 7) also
    check :data:`SPHERE`.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "SPHERE", "BALL", "SYMMETRIC", "WIDTH6", "LOSS", "ASSUMPTION_A", "EQUATION4", "IN_BALL_24",
    "input_radius_of", "inputs_on_sphere", "inputs_in_ball", "symmetric_init", "width_condition",
    "loss_assumptions", "assumption_a", "equation4", "in_ball_24", "INIT_SCALE", "init_scale",
    "LOSS_CURVATURE", "loss_curvature", "SOSP", "approximate_sosp",
    "NO_CANCELLATION", "no_sign_cancellation",
]

SPHERE = "inputs on the sphere ||x|| = B_x"
BALL = "inputs in the ball ||x|| <= B_x"
SYMMETRIC = "symmetric initialization (3): f_{W_0} = 0"
WIDTH6 = "width condition (6)"
LOSS = "loss: convex, |l'| <= 1, |l''| <= 1, l(y, 0) <= 1"
ASSUMPTION_A = "Assumption A"
EQUATION4 = "event (4): max_r B_x ||w_{0,r}|| below its threshold"
IN_BALL_24 = "W in the (2,4)-ball ||W||_{2,4} <= B_w"
INIT_SCALE = "initialization scale (3): w_{0,r} ~ N(0, B_x^-2 I_d)"
LOSS_CURVATURE = "loss: convex, l'' <= 1 (all that Lemma 1's proof, B.1, uses)"
SOSP = "W is an approximate second-order stationary point"
NO_CANCELLATION = "no sign cancellation across a_r: the moving rows w_r != 0 share one output sign a_r"

#: Relative slack allowed when comparing norms computed in float64.
_RTOL = 1e-9


def input_radius_of(x):
    r""":math:`B_x = \max_i \|x_i\|`: the radius the checks use for the inputs ``x`` (n, d)."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.max(np.linalg.norm(x, axis=-1)))


def inputs_on_sphere(x, input_radius, *, rtol=1e-6):
    r"""Every input on the sphere: :math:`\big|\|x_i\| - B_x\big| \le` ``rtol`` :math:`B_x`."""
    norms = np.linalg.norm(np.asarray(x, dtype=np.float64), axis=-1)
    return {SPHERE: bool(np.all(np.abs(norms - input_radius) <= rtol * input_radius))}


def inputs_in_ball(x, input_radius):
    r"""Every input in the ball: :math:`\|x_i\| \le B_x` (up to rounding)."""
    norms = np.linalg.norm(np.asarray(x, dtype=np.float64), axis=-1)
    return {BALL: bool(np.all(norms <= input_radius * (1 + _RTOL)))}


def symmetric_init(w_init, w_out):
    r"""Equation (3)'s property :math:`f_{W_0} \equiv 0`: the neurons pair up with equal rows
    :math:`w_{0,r} = w_{0,r'}` and opposite signs :math:`a_r = -a_{r'}` (in any order)."""
    w_init = np.asarray(w_init, dtype=np.float64)
    w_out = np.asarray(w_out, dtype=np.float64)
    plus, minus = w_init[w_out == 1.0], w_init[w_out == -1.0]
    met = bool(np.all(np.abs(w_out) == 1.0) and plus.shape == minus.shape)
    if met and plus.size:
        order_p = np.lexsort(plus.T[::-1])
        order_m = np.lexsort(minus.T[::-1])
        met = bool(np.array_equal(plus[order_p], minus[order_m]))
    return {SYMMETRIC: met}


def width_condition(width, required):
    """Condition (6) (or another width requirement): ``width >= required``."""
    return {WIDTH6: bool(math.isfinite(required) and width >= required)}


def loss_assumptions(loss):
    """The paper's hypotheses on the loss (Section 2), checked by :meth:`boundcheck.losses.Loss.hypotheses`."""
    from .losses import get_loss

    return {LOSS: bool(get_loss(loss).meets_paper_hypotheses)}


def loss_curvature(loss):
    r"""The part of the loss hypotheses that Lemma 1's proof (B.1) uses: :math:`z \mapsto \ell(y, z)`
    convex and :math:`\ell'' \le 1` (checked on a grid by :meth:`boundcheck.losses.Loss.hypotheses`).

    The squared loss meets it (:math:`\ell'' = 1`) although it fails :data:`LOSS` (:math:`|\ell'| \le 1`).
    """
    from .losses import get_loss

    found = get_loss(loss).hypotheses()
    return {LOSS_CURVATURE: bool(found["convex"] and found["max_second"] <= 1.0)}


def approximate_sosp(grad_norm, smallest_eigenvalue, *, grad_tol, curvature_tol):
    r"""A point counts as an approximate second-order stationary point when
    :math:`\|\nabla F\| \le` ``grad_tol`` and :math:`\lambda_{\min}(\nabla^2 F) \ge -` ``curvature_tol``
    (the objects Theorem 4 is about)."""
    met = math.isfinite(grad_norm) and math.isfinite(smallest_eigenvalue)
    return {SOSP: bool(met and grad_norm <= grad_tol and smallest_eigenvalue >= -curvature_tol)}


def assumption_a(activation):
    """Assumption A on the activation (:func:`boundcheck.activations.check_assumption_a`)."""
    from .activations import check_assumption_a

    return {ASSUMPTION_A: bool(check_assumption_a(activation).holds)}


def equation4(w_init, input_radius, failure_prob):
    r"""The event of equation (4) for this draw: :math:`\max_r B_x\|w_{0,r}\| \le
    \sqrt{8(d\log 5 + \log(m/\delta))}` (:func:`boundcheck.network.equation4_event`)."""
    from .network import equation4_event

    return {EQUATION4: bool(equation4_event(w_init, input_radius, failure_prob)[2])}


def in_ball_24(w_move, radius):
    r"""The movement lies in the ball :math:`\|W\|_{2,4} \le B_w` (up to rounding)."""
    from .network import norm_24

    return {IN_BALL_24: bool(norm_24(w_move) <= radius * (1 + _RTOL))}


def init_scale(w_init, input_radius, *, false_alarm=1e-4):
    r"""The scale of equation (3): :math:`B_x^2 \overline{w_{0,r,j}^2}` is consistent with 1.

    Under (3) the distinct entries are i.i.d. :math:`N(0, B_x^{-2})`, so with N of them
    :math:`N B_x^2\overline{w^2} \sim \chi^2_N`; the hypothesis is met when that statistic lies in
    the central ``1 - false_alarm`` range of :math:`\chi^2_N` (rows repeated by the symmetric
    initialization are counted once).
    """
    from scipy import stats

    w_init = np.asarray(w_init, dtype=np.float64)
    distinct = np.unique(w_init, axis=0)
    count = distinct.size
    statistic = float(np.sum(distinct**2)) * input_radius**2
    low, high = stats.chi2.ppf([false_alarm / 2, 1 - false_alarm / 2], df=count)
    return {INIT_SCALE: bool(count > 0 and low <= statistic <= high)}


def no_sign_cancellation(w_move, w_out):
    r"""No sign cancellation across :math:`a_r` in :math:`f^Q_W`: the rows :math:`w_r \ne 0` of the
    movement all have the same output sign :math:`a_r`.

    :math:`f^Q_W(x) = \frac{1}{2\sqrt m}\sum_r a_r\sigma''(w_{0,r}^\top x)(w_r^\top x)^2`; with
    :math:`\sigma'' \ge 0` (``relu3``: :math:`\sigma'' = \mathrm{relu}`; softplus) every term then has
    the sign of that :math:`a_r`, so the :math:`m/2` terms of size :math:`m^{-1}` add up to order 1.
    Rows of both signs (for example independent random rows on all neurons) cancel on average and
    leave :math:`f^Q = O(m^{-1/2})`. Aligned rows are not needed: independent random rows on the
    :math:`a_r = +1` half meet this.
    """
    w_move = np.asarray(w_move, dtype=np.float64)
    w_out = np.asarray(w_out, dtype=np.float64)
    moving = np.any(w_move != 0.0, axis=1)
    return {NO_CANCELLATION: bool(np.unique(np.sign(w_out[moving])).size <= 1)}
