r"""The optimizers of boundcheck, one of each kind, and the regularizer :math:`\lambda\|W\|_{2,4}^{q}`.

* :func:`projected_descent`: gradient descent in the ball :math:`\|W\|_{2,4} \le B_w` with the one
  Euclidean projection (:func:`boundcheck.network.project_ball_24`) and an adaptive step (halved
  until the step is accepted, then grown). It fits the quadratic model of Theorem 6, the learning
  curves' Taylor models, and gives the landscape checks their descent trajectories on :math:`L^Q`.
* :func:`lbfgs_descent`: L-BFGS (scipy) with a time limit and an early-stop callback; the local
  descent behind OPT's certified upper bound (:mod:`boundcheck.convex.bracket`).
* :func:`noisy_descent`: perturbed gradient descent (Theorem 4, Appendix B.6) on a stochastic
  objective that draws its own randomness (fresh signs) each step, plus Gaussian noise.

The paper's regularizer (Section 3.1; Appendix B.5-B.6, where
:math:`\langle\nabla\lambda\|W\|_{2,4}^8, W\rangle = 8\lambda\|W\|_{2,4}^8`) is
:math:`\lambda\|W\|_{2,4}^8`: :func:`regularizer` and its derivatives take the power q explicitly,
:data:`REGULARIZER_POWER` = 8 by default; the convex relaxation of OPT uses q = 4
(:math:`\|W\|_{2,4}^4 = \|(\mathrm{tr}M_r)_r\|_2^2`).
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from .. import _validate as validate
from ..network import norm_24, project_ball_24

__all__ = ["REGULARIZER_POWER", "regularizer", "regularizer_gradient", "regularizer_hvp", "DescentResult",
           "projected_descent", "lbfgs_descent", "noisy_descent"]

#: The power q of the paper's regularizer :math:`\lambda\|W\|_{2,4}^q` (Section 3.1, Appendix B.5).
REGULARIZER_POWER = 8


# --------------------------------------------------------------------------------------------
# the regularizer


def _power(power):
    power = validate.positive("power", power)
    if power < 4:
        raise validate.BoundcheckInputError(f"power must be >= 4 (a smooth penalty of ||W||_{{2,4}}); got {power}")
    return power


def regularizer(w_move, reg, *, power=REGULARIZER_POWER):
    r""":math:`\lambda\|W\|_{2,4}^q = \lambda S^{q/4}`, :math:`S = \sum_r\|w_r\|^4` (rows over the last axis)."""
    s = np.sum(np.sum(w_move**2, axis=-1) ** 2)  # a numpy float: a huge W gives inf, as a diverged descent needs
    return float(reg * s ** (_power(power) / 4.0))


def regularizer_gradient(w_move, reg, *, power=REGULARIZER_POWER):
    r""":math:`\nabla\lambda\|W\|_{2,4}^q`: row r is :math:`\lambda qS^{q/4-1}\|w_r\|^2w_r`,
    :math:`S = \sum_r\|w_r\|^4` (q = 8: :math:`8\lambda S\|w_r\|^2w_r`).
    """
    power = _power(power)
    sq = np.sum(w_move**2, axis=-1, keepdims=True)
    s = float(np.sum(sq**2))
    factor = 1.0 if power == 4 else s ** (power / 4.0 - 1.0)
    return (reg * power * factor) * sq * w_move


def regularizer_hvp(w_move, direction, reg, *, power=REGULARIZER_POWER):
    r"""Hessian-vector product of :math:`\lambda\|W\|_{2,4}^q`.

    Row r: :math:`\lambda q[(q/4-1)S^{q/4-2}\,dS\,\|w_r\|^2w_r + S^{q/4-1}(2\langle w_r,v_r\rangle w_r
    + \|w_r\|^2v_r)]` with :math:`dS = 4\sum_r\|w_r\|^2\langle w_r, v_r\rangle`.
    """
    power = _power(power)
    sq = np.sum(w_move**2, axis=-1, keepdims=True)
    dots = np.sum(w_move * direction, axis=-1, keepdims=True)
    s = float(np.sum(sq**2))
    out = (1.0 if power == 4 else s ** (power / 4.0 - 1.0)) * (2.0 * dots * w_move + sq * direction)
    if power != 4:
        ds = 4.0 * float(np.sum(sq * dots))
        out = out + ((power / 4.0 - 1.0) * s ** (power / 4.0 - 2.0) * ds) * sq * w_move
    return (reg * power) * out


# --------------------------------------------------------------------------------------------
# projected descent in the (2,4)-ball


@dataclasses.dataclass
class DescentResult:
    """The last iterate ``w_move`` (feasible), the objective at the start of every step (``values``),
    the iterates after every step when kept (``iterates``), and the number of steps taken."""

    w_move: np.ndarray
    values: list
    iterates: list
    steps: int


def projected_descent(objective, w_start, *, radius, steps, step_size, armijo=0.0, max_halvings=None, grow=1.5,
                      min_step=0.0, tol=None, keep_iterates=False):
    r"""Projected gradient descent on ``objective`` in the ball :math:`\|W\|_{2,4} \le` ``radius``.

    Each step tries :math:`W' = P(W - \eta\nabla L(W))` (P: :func:`boundcheck.network.project_ball_24`,
    ``radius=math.inf`` for none) and halves :math:`\eta` until
    :math:`L(W') \le L(W) - \texttt{armijo}\,\langle\nabla L(W), W - W'\rangle` (``armijo`` 0: plain
    decrease; 1/2: Armijo's sufficient decrease), at most ``max_halvings`` times (None: until
    :math:`\eta <` ``min_step``), after which the last trial is taken; then :math:`\eta` grows by
    ``grow``. ``max_halvings=0, grow=1`` is the fixed step. Stops early once a step lowers the
    objective by at most ``tol`` :math:`\cdot|L|`.

    Parameters
    ----------
    objective : callable
        ``objective(w) -> (value, gradient)``; ``gradient`` may be a zero-argument callable,
        called only for accepted points.
    w_start : ndarray (width, dim)
        Projected before the first step.
    radius, steps, step_size : float, int, float
        :math:`B_w`, the number of steps, the first :math:`\eta`.

    Returns
    -------
    DescentResult
    """
    steps = validate.integer("steps", steps, minimum=0)
    eta = validate.positive("step_size", step_size)
    w = project_ball_24(w_start, radius)
    value, grad = objective(w)
    values, iterates = [], []
    for step in range(steps):  # optimization steps, sequential by nature; each one batched
        grad = grad() if callable(grad) else grad
        values.append(value)
        attempt = 0
        while True:  # halve the step until it is accepted
            trial = project_ball_24(w - eta * grad, radius)
            trial_value, trial_grad = objective(trial)
            decrease = armijo * float(np.sum(grad * (w - trial))) if armijo else 0.0
            if trial_value <= value - decrease or eta < min_step or attempt == max_halvings:
                break
            eta *= 0.5
            attempt += 1
        done = tol is not None and value - trial_value <= tol * max(abs(value), 1e-300)
        w, value, grad = trial, trial_value, trial_grad
        eta *= grow
        if keep_iterates:
            iterates.append(w)
        if done:
            return DescentResult(w, values, iterates, step + 1)
    return DescentResult(w, values, iterates, steps)


# --------------------------------------------------------------------------------------------
# L-BFGS


def lbfgs_descent(fun, start, *, max_iter, gtol, time_limit=None, stop_when=None, check_every=25, to_point=None):
    r"""L-BFGS (``scipy.optimize.minimize``, L-BFGS-B without bounds) on ``fun(v) -> (value, gradient)``.

    ``start`` may have any shape. The descent stops at scipy's tolerances (``gtol``, relative
    decrease 1e-15), after ``max_iter`` iterations, after ``time_limit`` seconds, or when
    ``stop_when(point)`` returns True (called every ``check_every`` iterations with
    ``to_point(v)``, default v itself). Returns ``(v, iterations)``.
    """
    from scipy.optimize import minimize

    shape = np.shape(start)
    started = time.perf_counter()
    count = [0]

    def wrapped(flat):
        value, grad = fun(flat.reshape(shape))
        return value, grad.ravel()

    def callback(flat):
        count[0] += 1
        if time_limit is not None and time.perf_counter() - started > time_limit:
            raise StopIteration
        if stop_when is not None and count[0] % check_every == 0:
            point = flat.reshape(shape)
            if stop_when(point if to_point is None else to_point(point)):
                raise StopIteration

    res = minimize(wrapped, np.ravel(start), jac=True, method="L-BFGS-B", callback=callback,
                   options={"maxiter": max_iter, "maxcor": 20, "gtol": gtol, "ftol": 1e-15})
    return res.x.reshape(shape), int(res.nit)


# --------------------------------------------------------------------------------------------
# perturbed (noisy) gradient descent


def _clip_24(step, length):
    """``step`` scaled down (direction kept) to (2,4)-norm at most ``length``: a step-length clip."""
    norm = norm_24(step)
    return step if norm <= length else step * (length / norm)


def noisy_descent(objective, w_start, *, steps, step_size, noise, rng, max_move=None, radius_cap=math.inf,
                  guard=None):
    r"""Perturbed gradient descent (Theorem 4): :math:`W \leftarrow P(W - \eta g + \nu\xi)`, :math:`\xi \sim N(0, I)`.

    ``objective(w, rng) -> (value, gradient)`` is stochastic: it draws its own randomness (fresh
    sign draws :math:`\Sigma`, a Monte Carlo gradient of :math:`E_\Sigma`) from ``rng`` before the
    noise :math:`\xi` is drawn. ``max_move`` clips :math:`\eta g` to that (2,4)-norm (a safeguard for
    losses of unbounded curvature); P projects onto the ball of radius ``radius_cap``
    (:func:`boundcheck.network.project_ball_24`). With ``guard`` g, a step whose sampled objective is
    not finite or exceeds g times the first one returns to the last good point and halves
    :math:`\eta` (no noise is drawn for it). Returns the last finite iterate.

    Parameters
    ----------
    noise : float
        :math:`\nu`, the standard deviation of the perturbation of every weight per step.
    rng : numpy.random.Generator
    """
    steps = validate.integer("steps", steps, minimum=0)
    eta = validate.positive("step_size", step_size)
    noise = validate.nonnegative("noise", noise)
    w = good = np.array(w_start, dtype=np.float64)
    ceiling = None
    for _ in range(steps):  # optimization steps, each batched over samples, neurons and sign draws
        value, grad = objective(w, rng) if np.all(np.isfinite(w)) else (math.inf, None)
        if guard is not None:
            ceiling = guard * value if ceiling is None else ceiling
            if not math.isfinite(value) or value > ceiling:  # divergence: back to the last good point
                w, eta = good, eta / 2.0
                continue
        if grad is None:  # diverged without a guard: stop at the last finite iterate
            break
        good = w
        step = eta * grad
        if max_move is not None:
            step = _clip_24(step, max_move)
        w = project_ball_24(w - step + noise * rng.standard_normal(w.shape), radius_cap)
    return w if np.all(np.isfinite(w)) else good
