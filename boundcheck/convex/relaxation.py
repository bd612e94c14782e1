r"""The convex relaxation of OPT in cvxpy (SCS or Clarabel), compiled once and reused.

.. math::

    \min_{M_r \succeq 0}\ \frac1n\sum_i \ell\Big(y_i, \sum_r c_{ir} x_i^\top M_r x_i\Big)
    \ (+\ \lambda \|(\mathrm{tr}M_r)_r\|_2^2)
    \quad\text{s.t.}\quad \|(\mathrm{tr}M_r)_r\|_2 \le B_w^2 ,

with :math:`c_{ir} = a_r\sigma''(w_{0,r}^\top x_i)/(2\sqrt m)` (see :mod:`boundcheck.convex.problem`).
The data enter through ``cp.Parameter`` objects (the n x m(d(d+1)/2) matrix of the linear map,
with the labels folded in for the margin losses, the targets, :math:`B_w^2` and :math:`\lambda`),
so a sweep over data, radius or penalty of the same sizes reuses one compiled problem (DPP).
Beyond ``PARAMETER_LIMIT`` operator entries the operator and targets are constants (cvxpy's DPP
tensor does not fit in memory there); radius and penalty stay parameters.

The solver's own objective value is reported as ``solver_value`` but never used as a bound: the
certified lower bound is recomputed from the returned point by
:meth:`QuadraticProblem.certificate`, valid however inaccurate that point is, and a status other
than "optimal" is surfaced in the result and by a warning.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from .. import _validate as validate
from .fast import RelaxationResult, numerical_rank, project_blocks
from .problem import QuadraticProblem

__all__ = ["CvxpyRelaxation", "solve_relaxation_cvxpy", "SOLVERS"]

SOLVERS = {"scs": "SCS", "clarabel": "CLARABEL"}
#: Largest operator (n * m * d(d+1)/2 entries) held in a cp.Parameter. Beyond it cvxpy's DPP
#: canonicalization builds a parameter tensor whose index arrays do not fit in memory (measured:
#: at (n, m, d) = (1000, 256, 16) it asked for 9 TiB), so the data become constants and the
#: problem is recompiled for each data set.
PARAMETER_LIMIT = 2_000_000


class CvxpyRelaxation:
    r"""The relaxation of OPT as one compiled cvxpy problem for fixed sizes (n, m, d) and loss.

    Parameters
    ----------
    n_samples, width, dim : int
    loss : str
        "logistic", "soft-hinge" or "squared".
    penalized : bool
        Add :math:`\lambda\|t\|_2^2` (a parameter) to the objective.
    constrained : bool
        Keep the ball :math:`\|t\|_2 \le B_w^2` (a parameter).
    """

    def __init__(self, n_samples, width, dim, *, loss="logistic", penalized=False, constrained=True,
                 parametrize=None):
        import cvxpy as cp

        self.sizes = (validate.integer("n_samples", n_samples, minimum=1),
                      validate.integer("width", width, minimum=1), validate.integer("dim", dim, minimum=1))
        n, m, d = self.sizes
        self.loss = validate.choice("loss", loss, ("logistic", "soft-hinge", "squared"))
        if not (penalized or constrained):
            raise validate.BoundcheckInputError("the relaxation needs a ball or a penalty: penalized and "
                                                "constrained cannot both be False")
        self.penalized, self.constrained = bool(penalized), bool(constrained)
        packed = d * (d + 1) // 2
        if parametrize is None:
            parametrize = n * m * packed <= PARAMETER_LIMIT
        self.parametrize = bool(parametrize)
        self.blocks = [cp.Variable((d, d), PSD=True) for _ in range(m)]
        rows, cols = np.triu_indices(d)
        # (d(d+1)/2,) upper triangles of each block, in the order of np.triu_indices
        self._flat = cp.hstack([cp.reshape(blk, (d * d,), order="C")[rows * d + cols] for blk in self.blocks])
        self.radius_sq = cp.Parameter(nonneg=True, name="radius_sq")
        self.reg = cp.Parameter(nonneg=True, name="reg")
        if self.parametrize:
            self.operator = cp.Parameter((n, m * packed), name="operator")
            self.targets = cp.Parameter(n, name="targets")
            self.problem = self._build(self.operator, self.targets)
        else:
            self.operator = self.targets = self.problem = None
        self.iterations = -1

    def _build(self, operator, targets):
        import cvxpy as cp

        n = self.sizes[0]
        z = operator @ self._flat
        if self.loss == "squared":
            risk = cp.sum_squares(z - targets) / (2.0 * n)
        elif self.loss == "logistic":  # the operator holds y_i times the row, so z is the margin
            risk = cp.sum(cp.logistic(-z)) / n
        else:
            risk = cp.sum(cp.logistic(1.0 - z)) / (n * math.log1p(math.e))
        traces = cp.hstack([cp.trace(blk) for blk in self.blocks])
        objective = risk + (self.reg * cp.sum_squares(traces) if self.penalized else 0)
        constraints = [cp.norm(traces, 2) <= self.radius_sq] if self.constrained else []
        return cp.Problem(cp.Minimize(objective), constraints)

    def set_data(self, problem: QuadraticProblem):
        """Load a :class:`QuadraticProblem`'s data into the parameters (same sizes, same loss).

        Above ``PARAMETER_LIMIT`` entries of the operator the problem is rebuilt with constant
        data instead (cvxpy's parameter tensor would need an index array of n*m*d^2*... entries).
        """
        if (problem.n_samples, problem.width, problem.dim) != self.sizes:
            raise validate.BoundcheckInputError(
                f"problem must have sizes (n, m, d) = {self.sizes}; got "
                f"{(problem.n_samples, problem.width, problem.dim)}")
        if problem.loss.name != self.loss:
            raise validate.BoundcheckInputError(f"problem.loss must be {self.loss!r}; got {problem.loss.name!r}")
        if self.penalized is False and problem.reg:
            raise validate.BoundcheckInputError(
                f"reg must be 0 for a relaxation built without penalty; got {problem.reg}")
        if self.constrained and not math.isfinite(problem.radius):
            raise validate.BoundcheckInputError("radius must be finite for the constrained relaxation; got None")
        n, m, _ = self.sizes
        # operator[i, r*p + k] = c_ir * (weighted packed x_i x_i^T)_k
        rows = problem.coef[:, :, None] * problem.features_w[:, None, :]
        if self.loss != "squared":
            rows *= problem.y[:, None, None]
        if self.parametrize:
            self.operator.value = rows.reshape(n, -1)
            self.targets.value = problem.y.copy()
        else:
            self.problem = self._build(rows.reshape(n, -1), problem.y.copy())
        self.radius_sq.value = problem.radius_sq if self.constrained else 0.0
        self.reg.value = problem.reg

    def solve(self, solver="scs", *, tol=1e-6, verbose=False, **options):
        """Solve with ``solver`` ("scs" or "clarabel"); returns (blocks or None, status, value, seconds)."""
        import cvxpy as cp

        validate.choice("solver", solver, tuple(SOLVERS))
        if solver == "scs":
            options.setdefault("eps_abs", tol)
            options.setdefault("eps_rel", tol)
            options.setdefault("max_iters", 100000)
        else:
            options.setdefault("tol_gap_abs", tol)
            options.setdefault("tol_gap_rel", tol)
            options.setdefault("tol_feas", tol)
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():  # the status carries it; solve_relaxation_cvxpy warns in its own words
                warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                value = self.problem.solve(solver=SOLVERS[solver], verbose=verbose, **options)
            status = self.problem.status
        except cp.error.SolverError as err:
            return None, f"solver_error: {err}", math.nan, time.perf_counter() - started
        seconds = time.perf_counter() - started
        if self.blocks[0].value is None:
            return None, status, math.nan, seconds
        blocks = np.stack([blk.value for blk in self.blocks])
        stats = self.problem.solver_stats
        self.iterations = int(stats.num_iters) if stats is not None and stats.num_iters is not None else -1
        return blocks, status, float(value) if value is not None else math.nan, seconds


def solve_relaxation_cvxpy(problem: QuadraticProblem, *, solver="scs", tol=1e-6, compiled=None, verbose=False,
                           **options):
    r"""Solve the relaxation with cvxpy and certify the returned point.

    The returned blocks are projected onto K (the solver's point may be slightly infeasible);
    ``upper`` is the relaxation objective there, ``lower`` the certificate at the solver's
    point. A status other than "optimal" raises a warning and is kept in ``status``.
    ``compiled`` passes a :class:`CvxpyRelaxation` to reuse across a sweep.
    """
    started = time.perf_counter()
    relax = compiled
    if relax is None:
        relax = CvxpyRelaxation(problem.n_samples, problem.width, problem.dim, loss=problem.loss.name,
                                penalized=problem.reg > 0, constrained=math.isfinite(problem.radius))
    relax.set_data(problem)
    blocks, status, value, _ = relax.solve(solver, tol=tol, verbose=verbose, **options)
    if status != "optimal":
        warnings.warn(f"cvxpy-{solver} returned status {status!r}; the bracket is still certified from the "
                      "returned point, but the relaxation may not be solved", stacklevel=2)
    if blocks is None:
        m, d = problem.width, problem.dim
        blocks = np.zeros((m, d, d))
        cert = problem.certificate(np.zeros(problem.n_samples))
    else:
        cert = problem.certificate(problem.predict_blocks(0.5 * (blocks + blocks.transpose(0, 2, 1))))
    feasible = project_blocks(blocks, problem.radius_sq)[0]
    z = problem.predict_blocks(feasible)
    upper = problem.objective_blocks(feasible, z)
    lower = max(cert.value, problem.certificate(z).value)  # both points are valid dual points
    rank, tail = numerical_rank(feasible)
    result = RelaxationResult(feasible, upper, lower, status, relax.iterations, time.perf_counter() - started,
                              rank, tail, solver=f"cvxpy-{solver}")
    result.solver_value = value
    return result
