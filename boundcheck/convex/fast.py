r"""A fast first-order solver for the convex relaxation of OPT, with a certified lower bound.

Accelerated projected gradient (FISTA with backtracking and function-value restart) over the m
PSD blocks :math:`M_r \in \mathbb S^d_+` under :math:`\|(\mathrm{tr} M_r)_r\|_2 \le B_w^2`, and
optionally the penalty :math:`\lambda\|(\mathrm{tr}M_r)_r\|_2^2`. Per iteration: one GEMM for
:math:`\mathcal A M`, one for :math:`\mathcal A^* u`, and one batched ``eigh`` of the (m, d, d)
stack for the projection.

The projection onto K is spectral: with :math:`P_r = U_r\,\mathrm{diag}(\lambda_r)U_r^\top`, it
keeps :math:`U_r` and sets :math:`\mu_{rj} = (\lambda_{rj} - \kappa s_r)_+` where
:math:`s_r = \sum_j\mu_{rj}` is the block's new trace; for a given :math:`\kappa` the trace is
:math:`s_r = \max(0, \max_q S_{rq}/(1 + q\kappa))` (:math:`S_{rq}` the sum of the q largest
:math:`\lambda_{rj}`), and :math:`\kappa \ge 2\lambda/L` is found by bisection so that
:math:`\|s\|_2 \le B_w^2` (KKT of :math:`\min \frac12\|M-P\|^2` over K).

The solver stops when its certified gap closes, ``F(M_k) - lower <= tol * max(|F(M_k)|, |lower|) + atol``,
and the lower bound (:meth:`QuadraticProblem.certificate`) is valid whatever the iterate.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from .. import _validate as validate
from .. import _threads
from .._threads import small_products
from .problem import QuadraticProblem

__all__ = ["project_spectra", "project_blocks", "solve_relaxation", "RelaxationResult", "numerical_rank"]


def _block_traces(lam_desc_cumsum, kappa):
    """Per block trace :math:`s_r = \\max(0, \\max_q S_{rq}/(1+q\\kappa))` for each kappa."""
    q = np.arange(1, lam_desc_cumsum.shape[-1] + 1)
    return np.maximum(np.max(lam_desc_cumsum / (1.0 + q * kappa), axis=-1), 0.0)


def _ball_multiplier(cums, shrink, radius_sq):
    """The multiplier theta >= 0 with ||s(shrink + theta)||_2 = radius_sq (Illinois false position).

    ||s|| is continuous and decreasing in theta; false position with the Illinois modification
    converges superlinearly, and a bisection step is taken whenever it stalls.
    """
    def excess(theta):
        return float(np.linalg.norm(_block_traces(cums, shrink + theta))) - radius_sq

    lo, hi = 0.0, max(float(np.linalg.norm(np.maximum(cums[:, 0], 0.0))) / radius_sq, 1e-300)
    f_lo, f_hi = excess(lo), excess(hi)
    while f_hi > 0:  # safety: enlarge the bracket
        lo, f_lo, hi = hi, f_hi, hi * 2.0
        f_hi = excess(hi)
    side = 0
    for step in range(200):  # root finding on one scalar; each step is one batched pass over the blocks
        if f_hi == 0.0 or hi - lo <= 4 * np.finfo(float).eps * hi:
            break
        mid = hi - f_hi * (hi - lo) / (f_hi - f_lo) if step % 4 != 3 else 0.5 * (lo + hi)
        if not lo < mid < hi:
            mid = 0.5 * (lo + hi)
        f_mid = excess(mid)
        if f_mid > 0:
            lo, f_lo = mid, f_mid
            if side == -1:
                f_hi *= 0.5
            side = -1
        else:
            hi, f_hi = mid, f_mid
            if side == 1:
                f_lo *= 0.5
            side = 1
    return hi  # the feasible side of the bracket


def project_spectra(lam, radius_sq, shrink=0.0):
    r"""Eigenvalues of the projection onto K of blocks with eigenvalues ``lam`` (m, d).

    Minimizes :math:`\frac12\|\mu - \lambda\|^2 + \frac{\mathrm{shrink}}{2}\|s\|_2^2` over
    :math:`\mu \ge 0`, :math:`\|s\|_2 \le` ``radius_sq`` with :math:`s_r = \sum_j \mu_{rj}`
    (``shrink`` is :math:`2\lambda/L`, the prox of the penalty).
    """
    lam = np.asarray(lam, dtype=np.float64)
    cums = np.cumsum(-np.sort(-lam, axis=1), axis=1)
    s = _block_traces(cums, shrink)
    if np.linalg.norm(s) > radius_sq:
        kappa = shrink + _ball_multiplier(cums, shrink, radius_sq)
        s = _block_traces(cums, kappa)
    else:
        kappa = shrink
    mu = np.maximum(lam - kappa * s[:, None], 0.0)
    traces = mu.sum(axis=1)
    norm = float(np.linalg.norm(traces))
    if norm > radius_sq * (1.0 - 1e-12):  # rounding: pull back inside so the point is exactly feasible
        mu *= radius_sq * (1.0 - 1e-12) / norm
    return mu


def project_blocks(blocks, radius_sq, shrink=0.0, *, out=None, work=None):
    """Projection of symmetric blocks (m, d, d) onto K (or the prox with the penalty).

    Returns ``(projected, eigenvalues, eigenvectors)`` of the projection. ``out`` receives the
    projection and ``work`` (same shape, not ``blocks``) serves as scratch, so that an iterative
    solver allocates no (m, d, d) temporaries; both default to fresh arrays.
    """
    if work is None:
        sym = 0.5 * (blocks + blocks.transpose(0, 2, 1))
    else:
        sym = np.add(blocks, blocks.transpose(0, 2, 1), out=work)
        sym *= 0.5
    lam, vec = _threads.eigh(sym)  # the blocks split across the cores
    mu = project_spectra(lam, radius_sq, shrink)
    scaled = np.multiply(vec, mu[:, None, :], out=work)  # sym is no longer needed: its array is reused
    return np.matmul(scaled, vec.transpose(0, 2, 1), out=out), mu, vec


def numerical_rank(blocks=None, *, eigenvalues=None, rtol=1e-3):
    r"""Numerical rank of a relaxed solution: the largest block rank.

    An eigenvalue counts when it exceeds ``rtol`` times the largest eigenvalue over all blocks.
    Returns ``(rank, tail)`` where ``tail`` is the share of the total trace outside each block's
    top eigenvalue (0 for rank one: the relaxation is tight).
    """
    lam = _threads.eigvalsh(blocks) if eigenvalues is None else np.asarray(eigenvalues)
    lam = np.maximum(lam, 0.0)
    top = float(lam.max()) if lam.size else 0.0
    if top <= 0:
        return 0, 0.0
    rank = int(np.max(np.sum(lam > rtol * top, axis=1)))
    total = float(lam.sum())
    tail = max(0.0, float((total - lam.max(axis=1).sum()) / total))
    return rank, tail


@dataclasses.dataclass
class RelaxationResult:
    """The relaxation solved: the best feasible blocks and its certified gap.

    ``upper`` is the relaxation objective at ``blocks`` (a feasible point of the relaxation, an
    upper bound on the RELAXATION value, not on OPT); ``lower`` the best certificate (a lower
    bound on OPT).
    """

    blocks: np.ndarray
    upper: float
    lower: float
    status: str
    iterations: int
    seconds: float
    rank: int
    tail: float
    solver: str = "fast"
    history: list = dataclasses.field(default_factory=list)

    @property
    def gap(self):
        return self.upper - self.lower


def _gap_closed(upper, lower, tol, atol):
    return upper - lower <= tol * max(abs(upper), abs(lower)) + atol


@small_products
def solve_relaxation(problem: QuadraticProblem, *, tol=1e-4, atol=1e-12, max_iter=5000, time_limit=None,
                     start=None, lower=-math.inf, check_every=5, verbose=False):
    r"""Solve :math:`\min_{M\in K} F(\mathcal A M) (+\lambda\|t\|^2)` by accelerated projected gradient.

    Parameters
    ----------
    problem : QuadraticProblem
    tol, atol : float
        Stop when ``upper - lower <= tol * max(|upper|, |lower|) + atol`` (certified gap).
    max_iter : int
    time_limit : float or None
        Seconds; the status says which limit stopped the solver.
    start : ndarray (m, d, d) or (m, d), optional
        A warm start: blocks, or rank-one factors W (blocks :math:`w_r w_r^\top`); projected onto K.
    lower : float
        A lower bound already certified elsewhere (kept if better).
    check_every : int
        Compute the certificate every this many iterations (one extra ``eigvalsh``).

    Returns
    -------
    RelaxationResult
        ``status`` is "optimal" when the certified gap closed, else "iteration_limit" or
        "time_limit".
    """
    tol = validate.nonnegative("tol", tol)
    max_iter = validate.integer("max_iter", max_iter, minimum=1)
    started = time.perf_counter()
    apg = _Apg(problem, _start_blocks(problem, start))
    history = []
    status = "iteration_limit"
    iteration = 0
    for iteration in range(1, max_iter + 1):  # iterations, sequential by nature; each one batched
        lower = apg.step(lower, certify=iteration % check_every == 1 or check_every == 1)
        history.append((iteration, apg.best[0], lower))
        if verbose:
            print(f"{iteration:5d} upper {apg.best[0]:.10g} lower {lower:.10g} L {apg.step_l:.3g}")
        if _gap_closed(apg.best[0], lower, tol, atol):
            status = "optimal"
            break
        if time_limit is not None and time.perf_counter() - started > time_limit:
            status = "time_limit"
            break
    # a last certificate at the best point (one extra adjoint)
    value, blocks = apg.best
    lower = max(lower, problem.certificate(problem.predict_blocks(blocks)).value)
    if status != "optimal" and _gap_closed(value, lower, tol, atol):
        status = "optimal"
    rank, tail = numerical_rank(blocks)
    return RelaxationResult(blocks, value, lower, status, iteration, time.perf_counter() - started, rank, tail,
                            history=history)


def _start_blocks(problem, start):
    """Feasible starting blocks: zero, or ``start`` (blocks or rank-one factors W) projected onto K."""
    m, d = problem.width, problem.dim
    if start is None:
        return np.zeros((m, d, d))
    start = np.asarray(start, dtype=np.float64)
    if start.ndim == 2:
        start = validate.matrix("start", start, shape=(m, d))
        start = start[:, :, None] * start[:, None, :]
    elif start.shape != (m, d, d):
        raise validate.BoundcheckInputError(f"start must have shape {(m, d)} or {(m, d, d)}; got {start.shape}")
    return project_blocks(start, problem.radius_sq)[0]


class _Apg:
    """FISTA over the PSD blocks: iterate, its predictions z, momentum, the Lipschitz estimate, the best point.

    Work buffers: every (m, d, d) array an iteration needs (the extrapolated point, the gradient
    step, the Gram blocks, the projection's scratch, the next iterate) is allocated here once and
    written in place (``out=``); the iterates rotate through three arrays and the best point is
    copied into its own.
    """

    def __init__(self, problem, blocks):
        self.problem = problem
        self.blocks = self.prev_blocks = blocks
        self.z = self.prev_z = problem.predict_blocks(blocks)
        self.value = problem.objective_blocks(blocks, self.z)
        self._best = blocks.copy()
        self.best = (self.value, self._best)
        self._next, self._point, self._step, self._work, self._gram = (np.empty_like(blocks) for _ in range(5))
        self.momentum = 1.0
        # curvature estimate along the first gradient; backtracking corrects it
        gram = problem.adjoint(problem.risk_gradient(self.z))
        direction_z = problem.predict_blocks(gram)
        curvature = problem.smoothness() * float(direction_z @ direction_z) / problem.n_samples
        self.step_l = max(curvature / max(float(np.sum(gram * gram)), 1e-300), 1e-12) + 2 * problem.reg

    def step(self, lower, *, certify):
        """One accelerated step (with a certificate at the extrapolated point when ``certify``); returns lower."""
        problem = self.problem
        next_momentum = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * self.momentum**2))
        beta = (self.momentum - 1.0) / next_momentum
        if beta:  # point = blocks + beta (blocks - prev_blocks), in its buffer
            point = np.subtract(self.blocks, self.prev_blocks, out=self._point)
            point *= beta
            point += self.blocks
        else:
            point = self.blocks
        point_z = self.z + beta * (self.z - self.prev_z) if beta else self.z
        # the penalty is in the prox: smooth part = risk
        gram = problem.adjoint(problem.risk_gradient(point_z), out=self._gram)
        if certify:
            lower = max(lower, problem.certificate(point_z, gram).value)
        point_risk = problem.risk(point_z)
        while True:  # backtracking on the Lipschitz estimate
            step = np.divide(gram, self.step_l, out=self._step)
            np.subtract(point, step, out=step)  # point - gram / L
            new_blocks, mu, _ = project_blocks(step, problem.radius_sq, 2.0 * problem.reg / self.step_l,
                                               out=self._next, work=self._work)
            new_z = problem.predict_blocks(new_blocks)
            new_risk = problem.risk(new_z)
            diff = np.subtract(new_blocks, point, out=self._step)
            inner = float(np.multiply(gram, diff, out=self._work).sum())
            square = float(np.multiply(diff, diff, out=self._work).sum())
            if new_risk <= point_risk + inner + 0.5 * self.step_l * square + 1e-12 * abs(point_risk):
                break
            self.step_l *= 2.0
        new_value = new_risk + problem.penalty(mu.sum(axis=1))
        # function-value restart (O'Donoghue & Candes)
        self.momentum = 1.0 if new_value > self.value else next_momentum
        freed = self.prev_blocks
        self.prev_blocks, self.prev_z = self.blocks, self.z
        self.blocks, self.z, self.value = new_blocks, new_z, new_value
        # the array the next iterate goes to: the one no iterate refers to any more
        self._next = freed if freed is not self.prev_blocks else np.empty_like(new_blocks)
        if new_value < self.best[0]:
            np.copyto(self._best, new_blocks)
            self.best = (new_value, self._best)
        self.step_l *= 0.95  # let the step grow back
        return lower
