r"""Worst cases of "for every W" claims: search the domain for the point of smallest margin.

A claim "for every :math:`W` with :math:`\|W\|_{2,4} \le B_w` (and every input on the sphere),
lhs(W) <= rhs(W)" is checked on random draws, on points the check knows (a trajectory, W_*) and on
the point :func:`search_worst` finds: it minimizes the claim's margin over the domain

* with the gradient the caller gives (for the paper's claims, the model core's pullbacks): projected
  gradient descent with a backtracking step, from several random starts and the caller's starts;
* without one: a derivative-free descent on simultaneous-perturbation gradient estimates (SPSA),
  polished by scipy's Nelder-Mead over the coefficients of a few random directions,

within a stated budget of evaluations, and reports the smallest margin found, where, and how.
:func:`for_every` turns the draws, the known points and the search into one
:func:`boundcheck.results.worst_case` record.

The margin minimized is relative by default, ``margin / (|lhs| + |rhs|)``, so that a claim whose
two sides scale together (homogeneous in W) is searched for its worst *ratio*, not pushed to the
largest W; the record reports the raw sides at the worst point.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import _validate as validate
from ._lazy import lazy
from .network import norm_24, project_ball_24
from .results import worst_case

optimize = lazy("scipy.optimize")

__all__ = ["Ball24", "Sphere", "Box", "WorstCase", "search_worst", "for_every"]

_TINY = 1e-300


@dataclasses.dataclass(frozen=True)
class Ball24:
    r"""The ball :math:`\|W\|_{2,4} \le` ``radius`` of movements of shape ``shape`` (m, d)."""

    shape: tuple
    radius: float

    def project(self, w):
        return project_ball_24(w, self.radius)

    def sample(self, rng):
        """A random point: Gaussian rows, scaled to a (2,4)-norm uniform in [0.2, 1] of the radius."""
        w = rng.standard_normal(self.shape)
        return w * (self.radius * rng.uniform(0.2, 1.0) / norm_24(w))


@dataclasses.dataclass(frozen=True)
class Sphere:
    """Inputs of shape ``shape`` (n, d) whose rows lie on the sphere of radius ``radius``."""

    shape: tuple
    radius: float

    def project(self, x):
        norms = np.linalg.norm(x, axis=-1, keepdims=True)
        return x * (self.radius / np.where(norms > 0, norms, 1.0))

    def sample(self, rng):
        return self.project(rng.standard_normal(self.shape))


@dataclasses.dataclass(frozen=True)
class Box:
    """Points of shape ``shape`` with entries in ``[low, high]``."""

    shape: tuple
    low: float
    high: float

    def project(self, v):
        return np.clip(v, self.low, self.high)

    def sample(self, rng):
        return rng.uniform(self.low, self.high, size=self.shape)


@dataclasses.dataclass
class WorstCase:
    """What :func:`search_worst` found: the smallest margin, where, and how."""

    margin: float
    lhs: float
    rhs: float
    point: dict
    how: str
    evaluations: int
    restarts: int
    margins_by_start: list

    def summary(self) -> dict:
        """JSON-ready: the margin, the sides, how it was found (no arrays)."""
        return dict(margin=self.margin, lhs=self.lhs, rhs=self.rhs, how=self.how, evaluations=self.evaluations,
                    restarts=self.restarts)


def _slack(lhs, rhs, relation):
    return rhs - lhs if relation == "<=" else lhs - rhs if relation == ">=" else -abs(lhs - rhs)


class _Objective:
    """Margin of the claim at a point, counted, with the best point kept."""

    def __init__(self, sides, relation, relative, limit):
        self.sides, self.relation, self.relative, self.limit = sides, relation, relative, limit
        self.count, self.best = 0, None

    def exhausted(self):
        return self.count >= self.limit

    def __call__(self, point):
        self.count += 1
        lhs, rhs = (float(v) for v in self.sides(**point))
        if math.isnan(lhs) or math.isnan(rhs):
            value = math.inf  # no margin at this point: the search steps away from it
        else:
            value = _slack(lhs, rhs, self.relation)
            if self.relative and math.isfinite(value):
                value /= abs(lhs) + abs(rhs) + _TINY
        if self.best is None or value < self.best[0]:
            self.best = (value, lhs, rhs, {k: v.copy() for k, v in point.items()})
        return value

    def gradient(self, point, grad_sides):
        """Gradient of the objective from the gradients of the two sides."""
        lhs, rhs = (float(v) for v in self.sides(**point))
        self.count += 1
        g_lhs, g_rhs = grad_sides(**point)
        sign = {"<=": (-1.0, 1.0), ">=": (1.0, -1.0)}.get(self.relation)
        if sign is None:
            s = math.copysign(1.0, lhs - rhs)
            sign = (-s, s)
        value = sign[0] * lhs + sign[1] * rhs
        grads = {k: sign[0] * g_lhs[k] + sign[1] * g_rhs[k] for k in point}
        if self.relative:
            denom = abs(lhs) + abs(rhs) + _TINY
            d_denom = {k: math.copysign(1.0, lhs) * g_lhs[k] + math.copysign(1.0, rhs) * g_rhs[k] for k in point}
            grads = {k: grads[k] / denom - value * d_denom[k] / denom**2 for k in point}
            value /= denom
        if self.best is None or value < self.best[0]:
            self.best = (value, lhs, rhs, {k: v.copy() for k, v in point.items()})
        return value, grads


def _projected_descent(obj, domains, start, grad_sides, steps):
    """Projected gradient descent on the margin with a backtracking (Armijo) step."""
    point = {k: domains[k].project(v) for k, v in start.items()}
    value, grads = obj.gradient(point, grad_sides)
    scale = sum(float(np.sum(v**2)) for v in point.values()) ** 0.5 or 1.0
    gnorm = sum(float(np.sum(g**2)) for g in grads.values()) ** 0.5
    eta = 0.1 * scale / (gnorm + _TINY)
    for _ in range(steps):  # a loop over descent steps, each one batched evaluation
        if obj.exhausted() or gnorm == 0:
            break
        for _ in range(30):  # backtracking: at most 30 halvings
            trial = {k: domains[k].project(point[k] - eta * grads[k]) for k in point}
            trial_value = obj(trial)
            if trial_value < value or obj.exhausted():
                break
            eta /= 2
        if not trial_value < value:
            break
        point = trial
        value, grads = obj.gradient(point, grad_sides)
        gnorm = sum(float(np.sum(g**2)) for g in grads.values()) ** 0.5
        eta *= 2
    return value


def _perturbation_descent(obj, domains, start, rng, probes):
    r"""Derivative-free descent: simultaneous-perturbation gradient estimates (SPSA, Spall 1992).

    Each step averages ``probes`` central differences along random sign directions :math:`\Delta`,
    :math:`\hat g = \frac1k\sum_i \frac{F(x + h\Delta_i) - F(x - h\Delta_i)}{2h}\Delta_i`, and takes a
    projected step along :math:`-\hat g` that is kept only when it lowers the margin (the step grows
    by 1.5 after a success and halves after a failure).
    """
    point = {k: domains[k].project(v) for k, v in start.items()}
    value = obj(point)
    size = sum(float(np.sum(v**2)) for v in point.values()) ** 0.5 or 1.0
    eta, h = 0.1 * size, 1e-3 * size
    while obj.count + 2 * probes + 1 <= obj.limit and eta > 1e-12 * size:  # a loop over descent steps
        grad = {k: np.zeros_like(v) for k, v in point.items()}
        for _ in range(probes):
            delta = {k: rng.choice([-1.0, 1.0], size=v.shape) for k, v in point.items()}
            dnorm = sum(float(np.sum(v**2)) for v in delta.values()) ** 0.5
            up = obj({k: domains[k].project(point[k] + h * delta[k] / dnorm) for k in point})
            down = obj({k: domains[k].project(point[k] - h * delta[k] / dnorm) for k in point})
            if not (math.isfinite(up) and math.isfinite(down)):
                continue
            for k in grad:
                grad[k] += (up - down) / (2 * h) * delta[k] / dnorm / probes
        gnorm = sum(float(np.sum(g**2)) for g in grad.values()) ** 0.5
        if gnorm == 0:
            break
        trial = {k: domains[k].project(point[k] - eta * grad[k] / gnorm) for k in point}
        trial_value = obj(trial)
        if trial_value < value:
            point, value, eta = trial, trial_value, eta * 1.5
        else:
            eta /= 2
    return value


def _subspace_polish(obj, domains, start, rng, directions):
    """scipy's Nelder-Mead over the coefficients of a few random directions through ``start``."""
    keys = list(start)
    size = sum(float(np.sum(v**2)) for v in start.values()) ** 0.5 or 1.0
    basis = []
    for _ in range(directions):
        d = {k: rng.standard_normal(start[k].shape) for k in keys}
        norm = sum(float(np.sum(v**2)) for v in d.values()) ** 0.5
        basis.append({k: v * (0.1 * size / norm) for k, v in d.items()})

    def point(c):
        return {k: domains[k].project(start[k] + sum(ci * b[k] for ci, b in zip(c, basis))) for k in keys}

    maxfev = obj.limit - obj.count
    if maxfev > directions + 1:
        optimize.minimize(lambda c: obj(point(c)), np.zeros(directions), method="Nelder-Mead",
                          options=dict(maxfev=maxfev, xatol=1e-8, fatol=1e-14))


def search_worst(sides, domains, *, relation="<=", rng, gradient=None, starts=(), restarts=4,
                 max_evaluations=4000, steps=200, directions=6, probes=2, relative=True):
    r"""Minimize the margin of ``sides`` over ``domains``; return a :class:`WorstCase`.

    Parameters
    ----------
    sides : callable
        ``sides(**point) -> (lhs, rhs)`` for a point ``{name: array}``.
    domains : dict
        ``{name: domain}`` with :class:`Ball24`, :class:`Sphere` or :class:`Box` domains.
    relation : {"<=", ">=", "=="}
    rng : numpy.random.Generator
        Random starts and directions.
    gradient : callable, optional
        ``gradient(**point) -> (dlhs, drhs)``, each ``{name: array}``; without it the search is
        derivative-free.
    starts : sequence of dict
        Points to start from besides the random ones (e.g. W_*, a trajectory's last point).
    restarts : int
        Random starts.
    max_evaluations : int
        Budget of evaluations of ``sides`` (and of ``gradient``), over all starts.
    steps : int
        Descent steps per start (with a gradient).
    directions, probes : int
        Without a gradient: random directions of the final Nelder-Mead polish, and perturbations
        averaged per simultaneous-perturbation step.
    relative : bool
        Minimize ``margin / (|lhs| + |rhs|)`` instead of the raw margin.
    """
    if relation not in ("<=", ">=", "=="):
        raise ValueError(f"relation must be one of '<=', '>=', '=='; got {relation!r}")
    restarts = validate.integer("restarts", restarts, minimum=0)
    max_evaluations = validate.integer("max_evaluations", max_evaluations, minimum=1)
    obj = _Objective(sides, relation, relative, max_evaluations)
    all_starts = [dict(s) for s in starts] + [{k: d.sample(rng) for k, d in domains.items()} for _ in range(restarts)]
    if not all_starts:
        raise ValueError("search_worst needs at least one start (restarts >= 1 or starts)")
    found = []
    if gradient is not None:
        per_start = max(1, max_evaluations // len(all_starts))
        for start in all_starts:  # a loop over restarts, each a batched descent
            if obj.exhausted():
                break
            obj.limit = min(max_evaluations, obj.count + per_start)
            found.append(_projected_descent(obj, domains, start, gradient, steps))
        obj.limit = max_evaluations
    else:  # evaluate every start, then spend the budget descending from the best one
        found = [obj({k: domains[k].project(v) for k, v in start.items()}) for start in all_starts]
        polish = max(directions + 2, (obj.limit - obj.count) // 5)
        obj.limit -= polish
        _perturbation_descent(obj, domains, obj.best[3], rng, probes)
        obj.limit += polish
        _subspace_polish(obj, domains, obj.best[3], rng, directions)
    value, lhs, rhs, point = obj.best
    how = (f"{'projected gradient descent (backtracking)' if gradient is not None else 'derivative-free SPSA descent and Nelder-Mead polish'}"
           f" from {len(all_starts)} starts ({len(starts)} given, {restarts} random), {obj.count} evaluations,"
           f" {'relative' if relative else 'absolute'} margin")
    return WorstCase(_slack(lhs, rhs, relation), lhs, rhs, point, how, obj.count, len(all_starts),
                     [float(v) for v in found])


def for_every(sides, domains, relation, *, rng, draws=16, known=(), gradient=None, search=True, tol=0.0,
              part=None, hypotheses=None, params=None, **search_options):
    """One record for a "for every point of the domain" claim.

    The claim is evaluated at ``draws`` random points of the domain, at the ``known`` points
    (``[(label, point), ...]``) and, with ``search``, at the worst point :func:`search_worst` finds;
    the record (:func:`boundcheck.results.worst_case`) reports the point of least relative margin
    (``relative=False`` in ``search_options``: least margin), how it was found, and the smallest
    (relative) margin of each way in ``params["worst_by_way"]``.
    """
    draws = validate.integer("draws", draws, minimum=0)
    points = [(label, dict(point)) for label, point in known]
    points += [("random draw", {k: d.sample(rng) for k, d in domains.items()}) for _ in range(draws)]
    values = [tuple(float(v) for v in sides(**p)) for _, p in points]
    labels = [label for label, _ in points]
    extra = dict(params or {})
    if search:
        starts = [p for _, p in points[: len(known)]]
        found = search_worst(sides, domains, relation=relation, rng=rng, gradient=gradient, starts=starts,
                             **search_options)
        values.append((found.lhs, found.rhs))
        labels.append("worst-case search")
        extra["search"] = found.summary()
    if not values:
        raise ValueError("for_every needs at least one point: draws >= 1, known points or search")
    lhs = np.array([v[0] for v in values])
    rhs = np.array([v[1] for v in values])
    relative = search_options.get("relative", True)
    with np.errstate(invalid="ignore", divide="ignore"):
        slack = np.asarray(_slack(lhs, rhs, relation), dtype=float)
        if relative:
            slack = slack / (np.abs(lhs) + np.abs(rhs) + _TINY)
    extra["worst_by_way"] = {way: float(np.min(slack[[i for i, lab in enumerate(labels) if lab == way]]))
                             for way in dict.fromkeys(labels)}
    return worst_case(lhs, rhs, relation, tol=tol, part=part, hypotheses=hypotheses, labels=labels, relative=relative,
                      params=extra)
