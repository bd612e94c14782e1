r"""The record every check returns, and the one rule that turns numbers into a verdict.

A check compares a left side with a right side under a relation (``"<="``, ``">="`` or ``"=="``).
When the left side is exact, the verdict compares the two numbers up to a stated rounding
tolerance. When it is a Monte Carlo mean, the verdict uses its confidence interval:

* HOLDS only when the whole interval clears the right side,
* VIOLATED only when the whole interval is on the wrong side,
* INCONCLUSIVE otherwise.

For ``"=="`` with an interval, HOLDS means the right side lies inside the interval and VIOLATED
that it lies outside. A fitted rate is a record too: the left side is the fitted exponent, the
interval its confidence interval, the right side the claimed exponent.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["CheckResult", "HOLDS", "VIOLATED", "INCONCLUSIVE", "RELATIONS", "mean_interval", "fit_power_law"]

HOLDS = "HOLDS"
VIOLATED = "VIOLATED"
INCONCLUSIVE = "INCONCLUSIVE"
RELATIONS = ("<=", ">=", "==")
RECORD_KEYS = ("claim", "lhs", "rhs", "relation", "margin", "verdict", "interval", "params", "seed")


def mean_interval(samples, level=0.95):
    """Mean of ``samples`` and its Student-t confidence interval at ``level``.

    Returns ``(mean, (low, high))``; with fewer than two samples, or zero spread, the interval is
    infinite or degenerate respectively.
    """
    samples = np.asarray(samples, dtype=np.float64).ravel()
    k = samples.size
    mean = float(samples.mean())
    if k < 2:
        return mean, (-math.inf, math.inf)
    sem = float(samples.std(ddof=1)) / math.sqrt(k)
    half = float(stats.t.ppf(0.5 + level / 2, df=k - 1)) * sem
    return mean, (mean - half, mean + half)


def fit_power_law(xs, ys, level=0.95):
    r"""Least-squares fit of :math:`y = c\,x^{b}` on log-log axes.

    Returns ``(b, (b_low, b_high), c)``: the exponent, its Student-t interval at ``level``
    (from the regression's standard error, ``len(xs) - 2`` degrees of freedom) and the constant.
    """
    xs = np.asarray(xs, dtype=np.float64)
    ys = np.asarray(ys, dtype=np.float64)
    if xs.size < 3:
        raise ValueError(f"a power-law fit needs at least 3 points; got {xs.size}")
    if np.any(xs <= 0) or np.any(ys <= 0):
        raise ValueError("a power-law fit needs positive x and y values")
    fit = stats.linregress(np.log(xs), np.log(ys))
    half = float(stats.t.ppf(0.5 + level / 2, df=xs.size - 2)) * float(fit.stderr)
    slope = float(fit.slope)
    return slope, (slope - half, slope + half), float(math.exp(fit.intercept))


def _margin(lhs, rhs, relation):
    if relation == "<=":
        return rhs - lhs
    if relation == ">=":
        return lhs - rhs
    return -abs(lhs - rhs)


def decide(lhs, rhs, relation, interval=None, tol=0.0):
    """The verdict for ``lhs <relation> rhs``; see the module docstring for the rule."""
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {RELATIONS}; got {relation!r}")
    if any(isinstance(v, float) and math.isnan(v) for v in (lhs, rhs)):
        return INCONCLUSIVE
    if interval is None:
        if relation == "<=":
            return HOLDS if lhs <= rhs + tol else VIOLATED
        if relation == ">=":
            return HOLDS if lhs >= rhs - tol else VIOLATED
        return HOLDS if abs(lhs - rhs) <= tol else VIOLATED
    low, high = interval
    if relation == "<=":
        return HOLDS if high <= rhs + tol else VIOLATED if low > rhs + tol else INCONCLUSIVE
    if relation == ">=":
        return HOLDS if low >= rhs - tol else VIOLATED if high < rhs - tol else INCONCLUSIVE
    return HOLDS if low - tol <= rhs <= high + tol else VIOLATED


def _plain(value):
    """Convert numpy scalars and arrays to JSON-friendly Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    return value


@dataclasses.dataclass
class CheckResult:
    """One checked claim: ``lhs <relation> rhs`` with its verdict.

    Attributes
    ----------
    claim : str
        The paper's label, e.g. ``"Lemma 5"``.
    lhs, rhs : float
        The measured side and the bound (or the fitted and the claimed exponent).
    relation : {"<=", ">=", "=="}
    margin : float
        Positive when the relation holds with room to spare: ``rhs - lhs`` for ``"<="``,
        ``lhs - rhs`` for ``">="`` and ``-|lhs - rhs|`` for ``"=="``.
    verdict : {"HOLDS", "VIOLATED", "INCONCLUSIVE"}
    interval : tuple of float or None
        Confidence interval of a Monte Carlo (or fitted) left side; None when exact.
    params : dict
        Parameters of the check and anything it measured on the side.
    seed : int or None
        The seed of the Generator the check drew from (set by the runner).
    """

    claim: str
    lhs: float
    rhs: float
    relation: str
    margin: float
    verdict: str
    interval: tuple | None = None
    params: dict = dataclasses.field(default_factory=dict)
    seed: int | None = None

    # -- constructors -------------------------------------------------------------------------

    @classmethod
    def exact(cls, claim, lhs, rhs, relation, *, tol=0.0, params=None):
        """A claim whose two sides are computed exactly (up to rounding ``tol``)."""
        lhs, rhs = float(lhs), float(rhs)
        params = dict(params or {})
        if tol:
            params.setdefault("tolerance", float(tol))
        return cls(claim, lhs, rhs, relation, _margin(lhs, rhs, relation), decide(lhs, rhs, relation, None, tol),
                   None, params)

    @classmethod
    def from_samples(cls, claim, lhs, rhs, relation, *, level=0.95, tol=0.0, params=None):
        """A claim about a mean over random draws.

        ``lhs`` holds one value per draw. ``rhs`` is a number, or one value per draw computed on
        the same draws (paired); in the paired case the interval reported for the left side is
        the one implied by the interval of the mean difference, so the verdict is always "the
        interval against the right side".
        """
        lhs = np.asarray(lhs, dtype=np.float64).ravel()
        params = dict(params or {})
        params.update(n_draws=int(lhs.size), level=float(level))
        rhs_arr = np.asarray(rhs, dtype=np.float64)
        if rhs_arr.ndim == 0:
            mean, interval = mean_interval(lhs, level)
            rhs_value = float(rhs_arr)
        else:
            rhs_arr = rhs_arr.ravel()
            if rhs_arr.shape != lhs.shape:
                raise ValueError(f"paired rhs must have {lhs.size} values; got {rhs_arr.size}")
            rhs_value = float(rhs_arr.mean())
            mean = float(lhs.mean())
            diff_mean, (d_lo, d_hi) = mean_interval(rhs_arr - lhs, level)
            interval = (rhs_value - d_hi, rhs_value - d_lo)
            params.setdefault("paired", True)
        return cls(claim, mean, rhs_value, relation, _margin(mean, rhs_value, relation),
                   decide(mean, rhs_value, relation, interval, tol), tuple(interval), params)

    @classmethod
    def worst_case(cls, claim, lhs, rhs, relation, *, tol=0.0, params=None):
        """A "for every draw" claim: exact per-draw sides, reported at the draw with least margin."""
        lhs = np.atleast_1d(np.asarray(lhs, dtype=np.float64))
        rhs = np.broadcast_to(np.asarray(rhs, dtype=np.float64), lhs.shape)
        margins = _margin(lhs, rhs, relation)
        worst = int(np.argmin(margins))
        params = dict(params or {})
        params.update(n_draws=int(lhs.size), worst_draw=worst)
        return cls.exact(claim, lhs[worst], rhs[worst], relation, tol=tol, params=params)

    @classmethod
    def from_fit(cls, claim, xs, ys, claimed_exponent, relation, *, level=0.95, resolution=None, params=None):
        r"""A rate claim: fit :math:`y = c x^b` and compare the exponent ``b`` with the claimed one.

        ``relation="<="`` reads "decays at least as fast as claimed" (b <= claimed), ``">="``
        "grows at least as fast", ``"=="`` "the claimed exponent is inside the interval". An
        ``"=="`` claim HOLDS only when the fit resolves the exponent: an interval wider than
        ``resolution`` (default: the larger of 1 and half the claimed exponent's size) that
        contains the claimed value is INCONCLUSIVE, not HOLDS.
        """
        slope, interval, const = fit_power_law(xs, ys, level)
        params = dict(params or {})
        params.update(fitted_constant=const, fit_x=list(map(float, xs)), fit_y=list(map(float, ys)),
                      level=float(level))
        claimed = float(claimed_exponent)
        resolution = max(1.0, 0.5 * abs(claimed)) if resolution is None else float(resolution)
        verdict = decide(slope, claimed, relation, interval)
        if relation == "==" and verdict == HOLDS and interval[1] - interval[0] > resolution:
            verdict = INCONCLUSIVE
            params["unresolved"] = f"interval width {interval[1] - interval[0]:.3g} exceeds resolution {resolution:g}"
        return cls(claim, slope, claimed, relation, _margin(slope, claimed, relation), verdict, tuple(interval),
                   params)

    # -- output -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The record with exactly the keys of ``RECORD_KEYS``, JSON-ready."""
        return {key: _plain(getattr(self, key)) for key in RECORD_KEYS}

    @property
    def holds(self) -> bool:
        return self.verdict == HOLDS
