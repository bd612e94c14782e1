r"""OPT as a certified bracket [lower, upper], and planted instances where the fit is real.

* lower: the dual certificate of the convex relaxation (:mod:`boundcheck.convex.problem`), valid
  at any point, whatever any solver did;
* upper: :math:`L^Q(\widehat W)` of a feasible :math:`\widehat W` (:math:`\|\widehat W\|_{2,4}\le B_w`):
  rank-one rounding of the relaxed blocks (top eigenvector scaled by the square root of the
  trace, or of the top eigenvalue, whichever is better), then local descent on the non-convex
  :math:`L^Q` inside the ball (L-BFGS, :func:`boundcheck.numeric.optimize.lbfgs_descent`, on the
  sphere :math:`\|W\|_{2,4} = B_w` through a scale-free map, or unconstrained when the ball is not
  active); the value reported is recomputed from scratch with
  :func:`boundcheck.numeric.landscape.quadratic_risk` (a fresh model core and the loss).

The "fast" solver works in three stages, each certified by the same dual bound:

1. local descent on W from the Frank-Wolfe vertex at W = 0 (a spectral start); if the
   certificate at the W found closes the gap, the relaxation is tight and solved (rank one);
2. Burer-Monteiro: the blocks as :math:`M_r = V_rV_r^\top` with k columns, grown one Frank-Wolfe
   step at a time (k = 2, 3, ...) and refined by the same descent, certified after each;
3. if the gap is still open, accelerated projected gradient over the PSD blocks
   (:func:`boundcheck.convex.fast.solve_relaxation`) warm-started there.

The relaxed solution is then rounded and descended again for the upper bound. The cvxpy solvers
solve the relaxation first, then round and descend the same way.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings

import numpy as np

from .. import _validate as validate
from .. import _threads
from .._threads import small_products
from ..data import sample_sphere
from ..network import norm_24, project_ball_24, quadratic_model, symmetric_init
from ..numeric.landscape import quadratic_risk
from ..numeric.optimize import lbfgs_descent, regularizer
from .fast import numerical_rank, solve_relaxation
from .problem import QuadraticProblem

__all__ = ["OptBracket", "opt_bracket", "local_descent", "round_blocks", "planted_instance", "SOLVER_NAMES"]

SOLVER_NAMES = ("fast", "cvxpy-scs", "cvxpy-clarabel")


@dataclasses.dataclass
class OptBracket:
    r"""OPT certified in [lower, upper].

    Attributes
    ----------
    lower : float
        Certified: :math:`\le` the relaxation value :math:`\le \mathrm{OPT}`.
    upper : float
        :math:`L^Q(\widehat W)` (+ penalty), recomputed from scratch; :math:`\ge \mathrm{OPT}`.
    rel_gap : float
        ``(upper - lower) / max(|upper|, |lower|)``.
    rank : int
        Numerical rank of the relaxed solution (largest block); 1 means the relaxation is tight.
    tail : float
        Share of the relaxed solution's trace outside the blocks' top eigenvalues.
    solver, status : str
        The relaxation solver and its status ("optimal", "iteration_limit", "time_limit", or
        the cvxpy status).
    iterations : int
        All iterations: the descents (L-BFGS) and the relaxation solver (APG or cvxpy's).
    seconds : float
    w_move : ndarray (m, d)
        The feasible :math:`\widehat W` behind ``upper``.
    relaxation_upper : float
        The relaxation objective at the solver's feasible point (an upper bound on the
        relaxation value, NOT on OPT).
    """

    lower: float
    upper: float
    rel_gap: float
    rank: int
    tail: float
    solver: str
    status: str
    iterations: int
    seconds: float
    w_move: np.ndarray
    relaxation_upper: float
    norm_24: float
    radius: float
    loss: str
    reg: float = 0.0
    stages: dict = dataclasses.field(default_factory=dict)
    notes: list = dataclasses.field(default_factory=list)

    @property
    def gap(self):
        return self.upper - self.lower

    @property
    def relaxation_gap(self):
        """Relative certified gap of the relaxation itself: (relaxation_upper - lower) / scale."""
        return rel_gap(self.relaxation_upper, self.lower)

    def to_dict(self):
        """The report: every field but the array W."""
        keys = ("lower", "upper", "rel_gap", "gap", "rank", "tail", "solver", "status", "iterations", "seconds",
                "relaxation_upper", "relaxation_gap", "norm_24", "radius", "loss", "reg")
        out = {k: getattr(self, k) for k in keys}
        out["stages"] = dict(self.stages)
        if self.notes:
            out["notes"] = "; ".join(self.notes)
        return out


def rel_gap(upper, lower):
    """``(upper - lower) / max(|upper|, |lower|)`` (0 when both vanish)."""
    scale = max(abs(upper), abs(lower))
    return (upper - lower) / scale if scale > 0 else 0.0


# --------------------------------------------------------------------------------------------
# the non-convex problem in W


def _norm_24_factors(v):
    sq = np.sum(v * v, axis=tuple(range(1, v.ndim)))
    return float(sq @ sq) ** 0.25, sq


def _to_ball(v, radius):
    total, _ = _norm_24_factors(v)
    target = radius * (1.0 - 1e-12)  # a relative margin far above rounding, so every norm formula agrees
    if math.isfinite(radius) and total > target:
        v = v * (target / total)
    return v


def local_descent(problem: QuadraticProblem, w_move, *, max_iter=3000, gtol=1e-11, time_limit=None, stop_when=None,
                  check_every=25):
    r"""Local descent on :math:`L^Q(W) (+\lambda\|W\|_{2,4}^4)` inside the (2,4)-ball, from ``w_move``.

    ``w_move`` is W (m, d) or factors V (m, d, k) of the blocks :math:`M_r = V_rV_r^\top`
    (Burer-Monteiro). L-BFGS on the sphere :math:`\|V\|_{2,4} = B_w` through the scale-free map
    :math:`V = B_w U / \|U\|_{2,4}` (the ball constraint active), then, if the multiplier has
    the wrong sign (the fit wants to shrink), unconstrained L-BFGS from there, kept only if it
    stays inside the ball. ``stop_when(v)`` (called every ``check_every`` iterations with the
    current feasible point) may stop the descent early, e.g. once a certificate closes the gap.
    Returns ``(v, value, iterations)`` with v feasible.
    """
    radius = problem.radius
    v = _to_ball(np.array(w_move, dtype=np.float64), radius)
    its = 0
    budget = dict(max_iter=max_iter, gtol=gtol, time_limit=time_limit, stop_when=stop_when, check_every=check_every)

    def on_sphere(u):
        total, sq = _norm_24_factors(u)
        scale = radius / total
        value, grad = problem.quadratic_risk_and_gradient(u * scale)
        inner = float(np.sum(grad * u))
        shape = (-1,) + (1,) * (u.ndim - 1)
        return value, scale * (grad - inner * sq.reshape(shape) * u / total**4)

    candidates = [(problem.quadratic_risk(v), v)]
    if math.isfinite(radius) and float(np.sum(v * v)) > 0:
        u, k = lbfgs_descent(on_sphere, v, to_point=lambda a: a * (radius / _norm_24_factors(a)[0]), **budget)
        its += k
        v = _to_ball(u * (radius / _norm_24_factors(u)[0]), radius)
        candidates.append((problem.quadratic_risk(v), v))
        _, grad = problem.quadratic_risk_and_gradient(v)
        inward = float(np.sum(grad * v)) > 0  # scaling down decreases the objective
    else:
        inward = True
    if inward:
        u, k = lbfgs_descent(problem.quadratic_risk_and_gradient, v, **budget)
        its += k
        if _norm_24_factors(u)[0] <= radius:
            candidates.append((problem.quadratic_risk(u), u))
    value, v = min(candidates, key=lambda c: c[0])
    return v, value, its


def _line_search_scale(problem, w_move, grid=None):
    r"""Best :math:`\alpha\in[0,1]` for :math:`\sqrt\alpha\, W` (z is linear in :math:`\alpha`)."""
    z = problem.predict_weights(w_move)
    traces = np.sum(w_move**2, axis=1)
    lo, hi = 0.0, 1.0

    def f(alpha):
        return problem.risk(alpha * z) + problem.penalty(alpha * traces)

    golden = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = lo + (1 - golden) * (hi - lo), lo + golden * (hi - lo)
    fa, fb = f(a), f(b)
    for _ in range(60):  # golden section on a convex function of one variable
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = lo + (1 - golden) * (hi - lo)
            fa = f(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + golden * (hi - lo)
            fb = f(b)
    best = min([(f(0.0), 0.0), (f(1.0), 1.0), (fa, a), (fb, b)])
    return math.sqrt(best[1]) * w_move


def round_blocks(problem: QuadraticProblem, blocks):
    r"""Rank-one rounding of relaxed blocks into the ball: returns the better of two candidates.

    :math:`w_r = \sqrt{\mathrm{tr}M_r}\,v_1(M_r)` (keeps every trace, so
    :math:`\|W\|_{2,4} = \|(\mathrm{tr}M_r)\|_2^{1/2} \le B_w`) and
    :math:`w_r = \sqrt{\lambda_1(M_r)}\,v_1(M_r)` (the best rank-one approximation), each
    projected into the ball (only rounding can move it) and scaled by the best factor in [0, 1].
    """
    lam, vec = _threads.eigh(blocks)
    top = vec[:, :, -1]
    candidates = []
    for size in (np.maximum(np.trace(blocks, axis1=1, axis2=2), 0.0), np.maximum(lam[:, -1], 0.0)):
        w = project_ball_24(top * np.sqrt(size)[:, None], problem.radius)
        w = _line_search_scale(problem, w)
        candidates.append((problem.quadratic_risk(w), w))
    return min(candidates, key=lambda c: c[0])[1]


def _frank_wolfe_start(problem):
    """The Frank-Wolfe vertex at W = 0, scaled by line search: a spectral starting point."""
    gram = problem.adjoint(problem.risk_gradient(np.zeros(problem.n_samples)))
    return _line_search_scale(problem, problem.frank_wolfe_vertex(gram))


# --------------------------------------------------------------------------------------------
# the bracket


def _gap_closed(upper, lower, tol, atol):
    return upper - lower <= tol * max(abs(upper), abs(lower)) + atol


class _Run:
    """One bracket computation: budgets, stage records, notes, the feasible candidates (value, W) and the
    best certificate any descent has seen."""

    def __init__(self, problem, tol, atol, time_limit):
        self.problem, self.tol, self.atol, self.time_limit = problem, tol, atol, time_limit
        self.started = time.perf_counter()
        self.stages, self.notes, self.candidates = {}, [], []
        self.lower = -math.inf

    def remaining(self):
        return None if self.time_limit is None else max(0.5, self.time_limit - (time.perf_counter() - self.started))

    def out_of_time(self):
        return self.time_limit is not None and time.perf_counter() - self.started > self.time_limit

    def certify(self, v):
        """Raise the certified lower bound with the certificate at the predictions of W or factors v."""
        self.lower = max(self.lower, self.problem.certificate(self.problem.predict_weights(v)).value)
        return self.lower

    def stopper(self):
        """Stop a descent once the certificate closes the gap, or once it stalls far below tol."""
        seen = []

        def stop(v):
            problem = self.problem
            z = problem.predict_weights(v)
            value = problem.risk(z) + problem.penalty(np.sum(v * v, axis=tuple(range(1, v.ndim))))
            self.lower = max(self.lower, problem.certificate(z).value)
            stalled = bool(seen) and seen[-1] - value <= 1e-2 * self.tol * abs(value) + self.atol
            seen.append(value)
            return stalled or _gap_closed(value, self.lower, self.tol / 4, self.atol)

        return stop

    def descend(self, v, label):
        """Local descent from W or factors v; a rank-one result joins the candidates for the upper bound."""
        v, value, its = local_descent(self.problem, v, time_limit=self.remaining(), stop_when=self.stopper())
        self.stages[f"{label}_iterations"] = its
        if v.ndim == 2:
            self.candidates.append((value, v))
        return v, value, its


def _frank_wolfe_step(problem, factors):
    r"""One Frank-Wolfe step in factor form: :math:`[\sqrt{1-\gamma}\,V,\ \sqrt\gamma\,w_{FW}]`.

    :math:`(1-\gamma)VV^\top + \gamma\,w_{FW}w_{FW}^\top` stays in K; :math:`\gamma` by line search.
    """
    z = problem.predict_weights(factors)
    vertex = problem.frank_wolfe_vertex(problem.adjoint(problem.risk_gradient(z)))
    z_vertex = problem.predict_weights(vertex)
    traces = np.sum(factors**2, axis=(1, 2))
    traces_vertex = np.sum(vertex**2, axis=1)

    def f(gamma):
        return problem.risk((1 - gamma) * z + gamma * z_vertex) + problem.penalty((1 - gamma) * traces
                                                                                  + gamma * traces_vertex)

    from scipy.optimize import minimize_scalar

    gamma = float(minimize_scalar(f, bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-10}).x)
    gamma = max(gamma, 1e-6)  # keep a non-zero new column so the descent can use it
    return np.concatenate([np.sqrt(1 - gamma) * factors, np.sqrt(gamma) * vertex[:, :, None]], axis=2)


@small_products
def opt_bracket(x, y, w_init, w_out, *, radius, loss="logistic", solver="fast", tol=1e-4, reg=0.0,
                activation="relu3", max_iter=5000, max_rank=4, time_limit=None, atol=1e-12, start=None, rng=None):
    r"""OPT certified in a bracket: :math:`\mathrm{lower} \le \min_{\|W\|_{2,4}\le B_w} L^Q(W) \le \mathrm{upper}`.

    Paper, Section 4: OPT in Lemma 1, Theorem 2 and Theorem 4 is the loss of the best quadratic
    model :math:`f^Q_W` over :math:`\|W\|_{2,4} \le B_w`.

    Parameters
    ----------
    x : ndarray (n_samples, dim)
    y : ndarray (n_samples,)
    w_init : ndarray (width, dim)
        :math:`W_0`.
    w_out : ndarray (width,)
        :math:`a`.
    radius : float or None
        :math:`B_w` (None only with ``reg > 0``: the penalized problem without a ball).
    loss : {"logistic", "soft-hinge", "squared"}
    solver : {"fast", "cvxpy-scs", "cvxpy-clarabel"}
    tol : float
        Target relative gap (the fast solver stops there; cvxpy uses it as its own tolerance,
        floored at 1e-8).
    reg : float
        :math:`\lambda`: bracket :math:`\min L^Q(W) + \lambda\|W\|_{2,4}^4` instead. This is the
        convex penalty of the relaxation (:math:`\|W\|_{2,4}^4 = \sum_r (\mathrm{tr} M_r)^2`); the
        paper's regularizer in Section 3.1 and Theorem 4 is :math:`\lambda\|W\|_{2,4}^8`, which the
        landscape checks use directly.
    max_iter, time_limit :
        Budgets of the relaxation solver (fast); the local descent has its own.
    start : ndarray (width, dim), optional
        An extra feasible starting point for the local descent (e.g. a planted teacher).
    rng : numpy.random.Generator, optional
        Unused by the deterministic solvers; accepted for a uniform signature.

    Returns
    -------
    OptBracket
    """
    validate.choice("solver", solver, SOLVER_NAMES)
    tol = validate.positive("tol", tol)
    problem = QuadraticProblem(x, w_init, w_out, y, radius=radius, loss=loss, reg=reg, activation=activation)
    run = _Run(problem, tol, atol, time_limit)
    if problem.loss.name == "squared":
        run.notes.append("squared loss: outside the paper's hypotheses on the loss (not Lipschitz)")
    if start is not None:
        start = validate.matrix("start", start, shape=(problem.width, problem.dim))
    if solver == "fast":
        relaxation = _fast_relaxation(run, start, max_iter, max_rank)
    else:
        relaxation = _cvxpy_relaxation(run, solver, start)
    result = _result(run, solver, *relaxation)
    if result.status != "optimal":
        warnings.warn(f"{solver}: relaxation status {result.status!r}; the bracket is certified but may be loose",
                      stacklevel=2)
    return result


def _fast_relaxation(run, start, max_iter, max_rank):
    """The "fast" solver's stages (module docstring); returns (lower, status, iterations, rank, tail, relax_upper)."""
    problem, tol, atol = run.problem, run.tol, run.atol
    run.descend(_frank_wolfe_start(problem), "start_descent")
    if start is not None:
        run.descend(start, "given_descent")
    relax_upper, best_w = min(run.candidates, key=lambda c: c[0])
    lower = run.certify(best_w)
    run.stages["rank_one_seconds"] = time.perf_counter() - run.started
    run.stages["rank_one_lower"] = lower
    factors = best_w[:, :, None]
    iterations = sum(v for k, v in run.stages.items() if k.endswith("_iterations"))
    status = "iteration_limit"
    for k in range(1, max_rank + 1):  # Burer-Monteiro: grow the factors by Frank-Wolfe steps, descend, certify
        if _gap_closed(relax_upper, lower, tol, atol):
            status = "optimal"
            break
        if k == max_rank or run.out_of_time():
            break
        factors, relax_upper, its = run.descend(_frank_wolfe_step(problem, factors), f"rank_{k + 1}")
        iterations += its
        previous, lower = lower, run.certify(factors)
        run.stages[f"rank_{k + 1}_lower"] = lower
        if lower <= previous:  # a larger rank did not help the certificate: leave it to the APG
            break
    blocks = np.einsum("rdk,rek->rde", factors, factors)
    if status != "optimal" and not run.out_of_time():
        # fall back on accelerated projected gradient over the PSD blocks, warm-started
        relax = solve_relaxation(problem, tol=tol, atol=atol, max_iter=max_iter, time_limit=run.remaining(),
                                 start=blocks, lower=lower)
        lower = max(lower, relax.lower)
        status, blocks = relax.status, relax.blocks
        iterations += relax.iterations
        relax_upper = min(relax_upper, relax.upper)
        run.stages["apg_iterations"] = relax.iterations
    elif status != "optimal":
        status = "time_limit"
    rank, tail = numerical_rank(blocks)
    if factors.shape[2] > 1 or "apg_iterations" in run.stages:
        run.descend(round_blocks(problem, blocks), "rounded_descent")
    return lower, status, iterations, rank, tail, relax_upper


def _cvxpy_relaxation(run, solver, start):
    """The relaxation by cvxpy, then rounding and descent; returns the tuple of :func:`_fast_relaxation`."""
    from .relaxation import solve_relaxation_cvxpy

    backend = solver.split("-", 1)[1]
    cvx_tol = max(run.tol, 1e-8) if backend == "scs" else max(run.tol, 1e-7)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        relax = solve_relaxation_cvxpy(run.problem, solver=backend, tol=cvx_tol)
    run.stages["solver_value"] = relax.solver_value
    run.descend(round_blocks(run.problem, relax.blocks), "rounded_descent")
    if start is not None:
        run.descend(start, "given_descent")
    return relax.lower, relax.status, relax.iterations, relax.rank, relax.tail, relax.upper


def _result(run, solver, lower, status, iterations, rank, tail, relax_upper):
    """The bracket: the best feasible candidate's L^Q recomputed from scratch (upper), the best certificate (lower)."""
    problem = run.problem
    _, w_best = min(run.candidates, key=lambda c: c[0])
    lower = max(lower, run.lower)
    if norm_24(w_best) > problem.radius:
        raise AssertionError("the rounded point left the ball")  # internal invariant
    upper = (quadratic_risk(problem.x, problem.y, problem.w_init, problem.w_out, w_best, loss=problem.loss.name,
                            activation=problem.activation) + regularizer(w_best, problem.reg, power=4))
    if status != "optimal":
        run.notes.append(f"relaxation status {status}")
    if upper < lower:
        run.notes.append("upper < lower: a certificate is wrong (this must never happen)")
    elif status == "optimal" and not _gap_closed(upper, lower, run.tol, run.atol):
        run.notes.append(f"the relaxation is solved (relative gap {rel_gap(relax_upper, lower):.2g}) but not tight "
                         f"(rank {rank}): the bracket's gap is the rank-one rounding gap, not solver error")
    iterations = int(iterations) + run.stages.get("rounded_descent_iterations", 0)
    return OptBracket(lower=float(lower), upper=float(upper), rel_gap=float(rel_gap(upper, lower)), rank=int(rank),
                      tail=float(tail), solver=solver, status=status, iterations=iterations,
                      seconds=time.perf_counter() - run.started, w_move=w_best, relaxation_upper=float(relax_upper),
                      norm_24=float(norm_24(w_best)), radius=float(problem.radius), loss=problem.loss.name,
                      reg=float(problem.reg), stages=run.stages, notes=run.notes)


# --------------------------------------------------------------------------------------------
# planted instances


def planted_instance(n_samples, width, dim, *, loss="squared", radius_star=None, noise=0.1, signal=1.0,
                     input_radius=1.0, rng):
    r"""A planted instance: targets from a teacher :math:`W_*` inside the ball, plus noise.

    The teacher has every block rank one (it is a point of the non-convex problem):
    :math:`w_{*,r} = s\,\beta_1` for the neurons with :math:`a_r = +1` and :math:`s\,\beta_2` for
    those with :math:`a_r = -1` (two orthogonal unit directions scaled by :math:`1/B_x`), so under
    the symmetric initialization
    :math:`f^Q_{W_*}(x) = \frac{s^2}{2\sqrt m}\sum_{r\le m/2}\sigma''(w_{0,r}^\top x)
    [(\beta_1^\top x)^2 - (\beta_2^\top x)^2]`, a signed XOR-like quadratic.

    Targets: squared loss :math:`y = f^Q_{W_*}(x) + \text{noise}\cdot\mathrm{sd}(f^Q_{W_*})\,\xi`;
    logistic / soft hinge :math:`y = \mathrm{sign}(f^Q_{W_*}(x) + \text{noise}\cdot\mathrm{sd}\,\xi)`.
    :math:`s` is set by ``radius_star`` (:math:`\|W_*\|_{2,4}`) or, when None, so that the RMS
    of :math:`f^Q_{W_*}` over the sample is ``signal``.

    Returns a dict with x, w_init, w_out, y, w_star and radius_star.
    """
    n_samples = validate.integer("n_samples", n_samples, minimum=1)
    width = validate.even_width("width", width)
    dim = validate.integer("dim", dim, minimum=2)
    noise = validate.nonnegative("noise", noise)
    validate.choice("loss", loss, ("logistic", "soft-hinge", "squared"))
    x = sample_sphere(n_samples, dim, input_radius=input_radius, rng=rng)
    w_init, w_out = symmetric_init(width, dim, input_radius=input_radius, rng=rng)
    basis, _ = np.linalg.qr(rng.standard_normal((dim, 2)))
    directions = np.where(w_out[:, None] > 0, basis[:, 0], basis[:, 1]) / input_radius
    w_star = directions.copy()
    unit = quadratic_model(x, w_init, w_out, w_star)
    if radius_star is None:
        rms = float(np.sqrt(np.mean(unit**2)))
        scale = math.sqrt(validate.positive("signal", signal) / rms)
    else:
        scale = validate.positive("radius_star", radius_star) / float(norm_24(w_star))
    w_star *= scale
    clean = unit * scale**2
    noisy = clean + noise * float(np.std(clean)) * rng.standard_normal(n_samples)
    y = noisy if loss == "squared" else np.where(noisy >= 0, 1.0, -1.0)
    return {"x": x, "w_init": w_init, "w_out": w_out, "y": y, "w_star": w_star,
            "radius_star": float(norm_24(w_star))}
