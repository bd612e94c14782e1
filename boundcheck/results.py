r"""The record every check returns, and the one rule that turns evidence into a verdict.

A check compares a left side with a right side under a relation (``"<="``, ``">="`` or ``"=="``)
and returns records made by the constructors of this module, and only by them:

=====================  ==============================================================  ==========
constructor            evidence                                                        interval
=====================  ==============================================================  ==========
:func:`exact`          both sides computed exactly, up to a stated rounding tolerance  none
:func:`worst_case`     exact sides at many points; the record is the least-margin one  none
:func:`mean`           per-draw samples of the left side against a number              Student t
:func:`paired`         per-draw samples of both sides, computed on the same draws      Student t
:func:`proportion`     successes in independent trials against a probability           Clopper-Pearson
:func:`rate`           a power-law fit :math:`y = c x^b`: one series, or replicates    Student t
=====================  ==============================================================  ==========

The rule
--------
An exact record compares two numbers: ``lhs <= rhs + tol`` HOLDS, anything else is VIOLATED (for
``"=="``: ``|lhs - rhs| <= tol``). A record with an interval ``[lo, hi]`` for its left side:

* ``"<="``: HOLDS when ``hi <= rhs``; VIOLATED when ``lo > rhs + tolerance``; else INCONCLUSIVE;
* ``">="``: HOLDS when ``lo >= rhs``; VIOLATED when ``hi < rhs - tolerance``; else INCONCLUSIVE;
* ``"=="`` is an equivalence test with a declared margin ``delta > 0``: HOLDS only when the whole
  interval lies inside ``[rhs - delta, rhs + delta]``, VIOLATED only when it misses that band,
  INCONCLUSIVE otherwise.

``"<="`` / ``">="`` may declare a non-inferiority margin ``delta`` (with its reason): the bound is
then ``rhs + delta`` (``rhs - delta``) for both verdicts. It is for an O(m^-a) rate that is attained,
whose fitted exponent sits on -a, so that a margin-free ``"<="`` could never hold.
``tolerance`` (default 0, stated with a reason when used) only ever protects a true claim from a
VIOLATED caused by a known bias, such as the finite-size bias of a fitted exponent: it never makes
HOLDS easier. Fewer than two draws, a non-finite or a zero-width interval, or a non-finite side:
INCONCLUSIVE, never HOLDS.

Every interval record keeps its sufficient statistics in ``params["evidence"]``, so that the run
(:func:`calibrate`) can recompute its interval and verdict at the level the run assigns it; the
interval a record prints is the one its verdict used, at ``params["level"]``.

Hypotheses
----------
A record carries ``params["hypotheses"] = {name: met}``, evaluated on the arrays the check used
(:mod:`boundcheck.hypotheses`). A record with an unmet hypothesis keeps its measured verdict but
is *outside its hypotheses*: it is not evidence for or against the paper, and it does not make
``boundcheck verify`` exit with status 1.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ._lazy import lazy

stats = lazy("scipy.stats")  # imported on first use: listing claims and --help do not pay for it

__all__ = [
    "CheckResult", "HOLDS", "VIOLATED", "INCONCLUSIVE", "RELATIONS", "VERDICTS", "exact", "worst_case", "mean",
    "paired", "proportion", "rate", "calibrate", "mean_interval", "fit_power_law", "decide",
]

HOLDS = "HOLDS"
VIOLATED = "VIOLATED"
INCONCLUSIVE = "INCONCLUSIVE"
VERDICTS = (HOLDS, INCONCLUSIVE, VIOLATED)
RELATIONS = ("<=", ">=", "==")
RECORD_KEYS = ("claim", "lhs", "rhs", "relation", "margin", "verdict", "interval", "params", "seed")
#: The level of a record's interval before the run assigns one (a single record alone).
DEFAULT_LEVEL = 0.95
INTERVAL_KINDS = ("mean", "paired", "proportion", "rate", "rate_replicates")


# ------------------------------------------------------------------------------------------------
# intervals


def mean_interval(samples, level=DEFAULT_LEVEL):
    """Mean of ``samples`` and its Student-t confidence interval at ``level``.

    Returns ``(mean, (low, high))``. With fewer than two samples the interval is infinite; with
    zero spread it has zero width (both make a record INCONCLUSIVE).
    """
    samples = np.asarray(samples, dtype=np.float64).ravel()
    summary = _summary(samples)
    return summary["mean"], _t_interval(summary, level)


def _summary(samples):
    k = int(samples.size)
    with np.errstate(invalid="ignore", over="ignore"):  # a non-finite draw gives nan: INCONCLUSIVE
        return {"n": k, "mean": float(samples.mean()) if k else math.nan,
                "sd": float(samples.std(ddof=1)) if k >= 2 else math.nan}


def _t_interval(summary, level):
    n, centre, sd = summary["n"], summary["mean"], summary["sd"]
    if n < 2 or not math.isfinite(sd) or not math.isfinite(centre):
        return (-math.inf, math.inf)
    half = float(stats.t.ppf(0.5 + level / 2, df=n - 1)) * sd / math.sqrt(n)
    return (centre - half, centre + half)


def fit_power_law(xs, ys, level=DEFAULT_LEVEL):
    r"""Least-squares fit of :math:`y = c\,x^{b}` on log-log axes.

    Returns ``(b, (b_low, b_high), c)``: the exponent, its Student-t interval at ``level``
    (from the regression's standard error, ``len(xs) - 2`` degrees of freedom) and the constant.
    """
    slope, stderr, df, const = _loglog_fit(xs, ys)
    half = float(stats.t.ppf(0.5 + level / 2, df=df)) * stderr
    return slope, (slope - half, slope + half), const


def _loglog_fit(xs, ys):
    xs = np.asarray(xs, dtype=np.float64).ravel()
    ys = np.asarray(ys, dtype=np.float64).ravel()
    if xs.size != ys.size:
        raise ValueError(f"a power-law fit needs as many y values as x values; got {ys.size} and {xs.size}")
    if xs.size < 3:
        raise ValueError(f"a power-law fit needs at least 3 points; got {xs.size}")
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys)) and np.all(xs > 0) and np.all(ys > 0)):
        raise ValueError("a power-law fit needs finite positive x and y values")
    fit = stats.linregress(np.log(xs), np.log(ys))
    return float(fit.slope), float(fit.stderr), int(xs.size - 2), float(math.exp(fit.intercept))


def _interval(evidence, level):
    """The interval of the left side at ``level`` from a record's stored evidence."""
    kind = evidence["kind"]
    if kind == "mean":
        return _t_interval(evidence, level)
    if kind == "paired":  # interval of the difference s*rhs - lhs, turned into one for the left side
        d_lo, d_hi = _t_interval(_paired_difference(evidence), level)
        centre = evidence["scale"] * evidence["rhs_mean"]
        return (centre - d_hi, centre - d_lo)
    if kind == "proportion":
        ci = stats.binomtest(evidence["successes"], evidence["trials"]).proportion_ci(confidence_level=level,
                                                                                       method="exact")
        return (float(ci.low), float(ci.high))
    if kind == "rate":
        if not math.isfinite(evidence["stderr"]):
            return (-math.inf, math.inf)
        half = float(stats.t.ppf(0.5 + level / 2, df=evidence["df"])) * evidence["stderr"]
        return (evidence["slope"] - half, evidence["slope"] + half)
    if kind == "rate_replicates":
        return _t_interval(_summary(np.asarray(evidence["slopes"], dtype=np.float64)), level)
    raise ValueError(f"evidence kind must be one of {INTERVAL_KINDS}; got {kind!r}")


# ------------------------------------------------------------------------------------------------
# the rule


def _finite(*values):
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def decide(lhs, rhs, relation, interval=None, *, tol=0.0, margin=0.0, tolerance=0.0):
    """The verdict of ``lhs <relation> rhs``; see the module docstring for the rule.

    ``interval`` None: an exact comparison up to the rounding tolerance ``tol``. Otherwise
    ``margin`` is the equivalence margin of ``"=="`` (the non-inferiority margin of ``"<="`` /
    ``">="``), and ``tolerance`` the stated bias allowance that a VIOLATED verdict of ``"<="`` /
    ``">="`` must clear beyond it.
    """
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {RELATIONS}; got {relation!r}")
    if interval is None:
        if not _finite(rhs) or (isinstance(lhs, float) and math.isnan(lhs)):
            return INCONCLUSIVE
        if relation == "<=":
            return HOLDS if lhs <= rhs + tol else VIOLATED
        if relation == ">=":
            return HOLDS if lhs >= rhs - tol else VIOLATED
        return HOLDS if abs(lhs - rhs) <= tol else VIOLATED
    low, high = (float(v) for v in interval)
    if not _finite(low, high, rhs) or not high > low:
        return INCONCLUSIVE
    if relation == "<=":
        edge = rhs + margin
        return HOLDS if high <= edge else VIOLATED if low > edge + tolerance else INCONCLUSIVE
    if relation == ">=":
        edge = rhs - margin
        return HOLDS if low >= edge else VIOLATED if high < edge - tolerance else INCONCLUSIVE
    if rhs - margin <= low and high <= rhs + margin:
        return HOLDS
    return VIOLATED if high < rhs - margin or low > rhs + margin else INCONCLUSIVE


def _slack(lhs, rhs, relation):
    if relation == "<=":
        return rhs - lhs
    if relation == ">=":
        return lhs - rhs
    return -abs(lhs - rhs)


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

    Made only by the constructors of :mod:`boundcheck.results` (:func:`exact`, :func:`worst_case`,
    :func:`mean`, :func:`paired`, :func:`proportion`, :func:`rate`).

    Attributes
    ----------
    claim : str or None
        The claim's label, e.g. ``"Lemma 5"`` (set by the runner when the check leaves it None).
    lhs, rhs : float
        The measured side and the bound (or the fitted and the claimed exponent).
    relation : {"<=", ">=", "=="}
    margin : float
        The slack: positive when the relation holds with room to spare (``rhs - lhs`` for
        ``"<="``, ``lhs - rhs`` for ``">="``, ``-|lhs - rhs|`` for ``"=="``).
    verdict : {"HOLDS", "VIOLATED", "INCONCLUSIVE"}
    interval : tuple of float or None
        Confidence interval of the left side at ``params["level"]``; None when exact.
    params : dict
        ``part`` (which side of the claim), ``evidence`` (sufficient statistics), ``level``,
        ``hypotheses`` ({name: met}), ``equivalence_margin`` (``"=="``), and whatever the check
        measured on the side.
    seed : int or None
        The seed of the run's Generator (set by the runner).
    """

    claim: str | None
    lhs: float
    rhs: float
    relation: str
    margin: float
    verdict: str
    interval: tuple | None = None
    params: dict = dataclasses.field(default_factory=dict)
    seed: int | None = None

    # -- views ------------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """``exact``, or the kind of interval evidence (``mean``, ``paired``, ``proportion``, ``rate``...)."""
        evidence = self.params.get("evidence")
        return evidence["kind"] if evidence else "exact"

    @property
    def has_interval(self) -> bool:
        return self.kind in INTERVAL_KINDS

    @property
    def hypotheses(self) -> dict:
        return dict(self.params.get("hypotheses", {}))

    @property
    def unmet_hypotheses(self) -> list[str]:
        return [name for name, met in self.hypotheses.items() if not met]

    @property
    def within_hypotheses(self) -> bool:
        """True when every hypothesis the check declared is met on the arrays it used."""
        return not self.unmet_hypotheses

    @property
    def holds(self) -> bool:
        return self.verdict == HOLDS

    @property
    def counts_against_paper(self) -> bool:
        """VIOLATED within its hypotheses: the only verdict that makes ``verify`` exit with 1."""
        return self.verdict == VIOLATED and self.within_hypotheses

    @property
    def reading(self) -> str:
        """The verdict in words, saying when the measurement is outside the claim's hypotheses."""
        unmet = self.unmet_hypotheses
        if not unmet:
            return self.verdict
        listed = ", ".join(unmet)
        words = {HOLDS: "holds although", VIOLATED: "fails, but", INCONCLUSIVE: "inconclusive, and"}[self.verdict]
        verb = "is" if len(unmet) == 1 else "are"
        return f"{words} {listed} {verb} not met"

    def at_level(self, level, *, rule=None):
        """This record with its interval and verdict recomputed at confidence ``level``."""
        if not self.has_interval:
            return dataclasses.replace(self, params=dict(self.params))
        level = float(level)
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must be in (0, 1); got {level!r}")
        params = dict(self.params, level=level)
        if rule is not None:
            params["level_rule"] = rule
        interval = _interval(params["evidence"], level)
        margin = params.get("equivalence_margin", params.get("noninferiority_margin", 0.0))
        verdict = decide(self.lhs, self.rhs, self.relation, interval, margin=margin,
                         tolerance=params.get("tolerance", 0.0))
        return dataclasses.replace(self, interval=tuple(interval), verdict=verdict, params=params)

    def with_claimed(self, value, *, note=None):
        """This record with its claimed side replaced by ``value`` (same evidence, same level).

        The trust suite plants false claims this way: a constant, an exponent or a sign changed on
        the claimed side, decided by the same rule and interval. For a paired record the draws of
        the right side are rescaled so that their mean is ``value``.
        """
        value = float(value)
        params = dict(self.params)
        params["planted"] = note or f"claimed side set to {value:.6g} (was {self.rhs:.6g})"
        if self.kind == "paired":
            evidence = dict(params["evidence"])
            if evidence["rhs_mean"] == 0 or not math.isfinite(evidence["rhs_mean"]):
                raise ValueError("a paired record with a zero right side cannot be rescaled")
            evidence["scale"] = value / evidence["rhs_mean"]
            params["evidence"] = evidence
        new = dataclasses.replace(self, rhs=value, margin=_slack(self.lhs, value, self.relation), params=params)
        if self.has_interval:
            return new.at_level(params.get("level", DEFAULT_LEVEL))
        new.verdict = decide(self.lhs, value, self.relation, None, tol=params.get("tolerance", 0.0))
        return new

    def to_dict(self) -> dict[str, Any]:
        """The record with exactly the keys of ``RECORD_KEYS``, JSON-ready."""
        return {key: _plain(getattr(self, key)) for key in RECORD_KEYS}

    @classmethod
    def from_dict(cls, data):
        """The record back from :meth:`to_dict` (numbers written as "inf"/"nan" are restored)."""
        def num(v):
            return float(v) if isinstance(v, str) else v

        interval = data.get("interval")
        return cls(data.get("claim"), num(data["lhs"]), num(data["rhs"]), data["relation"], num(data["margin"]),
                   data["verdict"], None if interval is None else tuple(num(v) for v in interval),
                   dict(data.get("params", {})), data.get("seed"))


# ------------------------------------------------------------------------------------------------
# constructors


def _check_relation(relation):
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {RELATIONS}; got {relation!r}")


def _params(params, part, hypotheses):
    out = dict(params or {})
    if part is not None:
        out["part"] = str(part)
    if hypotheses is not None:
        out["hypotheses"] = {str(k): bool(v) for k, v in dict(hypotheses).items()}
    return out


def _equivalence(params, relation, margin, margin_reason, *, required):
    """Declare the margin of a record (in params and in its printed part).

    For ``"=="`` it is the equivalence margin, required for records from samples or fits. For
    ``"<="`` / ``">="`` it is optional: a non-inferiority margin, for a bound on a rate that is
    attained (an O(m^-a) whose exponent is exactly -a), where a margin-free ``"<="`` could never
    hold; the claim then HOLDS when the whole interval is below ``rhs + margin``.
    """
    if margin is None:
        if required and relation == "==":
            raise ValueError("an '==' record built from samples or a fit needs margin= (its equivalence margin) "
                             "and margin_reason=")
        return 0.0
    margin = float(margin)
    if not (math.isfinite(margin) and margin >= 0) or (required and margin == 0):
        raise ValueError(f"margin must be a finite number {'> 0' if required else '>= 0'}; got {margin!r}")
    if required and not margin_reason:
        raise ValueError("margin_reason must say why the margin is what it is")
    if relation == "==":
        params["equivalence_margin"] = margin
        shown = f"equivalence margin ±{margin:.3g}"
    else:
        params["noninferiority_margin"] = margin
        shown = f"non-inferiority margin {'+' if relation == '<=' else '-'}{margin:.3g}"
    if margin_reason:
        params["margin_reason"] = str(margin_reason)
        params["part"] = f"{params.get('part', '')} [{shown}: {margin_reason}]".strip()
    return margin


def _tolerance(params, relation, tolerance, tolerance_reason):
    tolerance = float(tolerance or 0.0)
    if tolerance:
        if relation == "==":
            raise ValueError("tolerance applies to '<=' and '>=' records; '==' records declare margin=")
        if not (math.isfinite(tolerance) and tolerance > 0):
            raise ValueError(f"tolerance must be a finite number > 0; got {tolerance!r}")
        if not tolerance_reason:
            raise ValueError("tolerance_reason must say which bias the tolerance allows for")
        params.update(tolerance=tolerance, tolerance_reason=str(tolerance_reason))
    return tolerance


def _with_interval(lhs, rhs, relation, evidence, params, level, claim=None):
    params["evidence"] = evidence
    params.setdefault("level", float(level))
    rec = CheckResult(claim, float(lhs), float(rhs), relation, _slack(float(lhs), float(rhs), relation), INCONCLUSIVE,
                      None, params)
    return rec.at_level(level)


def exact(lhs, rhs, relation, *, tol=0.0, part=None, hypotheses=None, chance=None, params=None, claim=None):
    """A record whose two sides are computed exactly, up to the rounding tolerance ``tol``.

    For ``"=="`` the tolerance is its equivalence margin. ``chance`` (a probability) declares a
    claim about one random draw that a true claim fails with probability at most ``chance`` (for
    example the event of equation (4)); the run's calibration spends it from its level.
    ``lhs = inf`` is allowed (an unbounded supremum); any other non-finite side is INCONCLUSIVE.
    """
    _check_relation(relation)
    lhs, rhs, tol = float(lhs), float(rhs), float(tol)
    if not (math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0; got {tol!r}")
    params = _params(params, part, hypotheses)
    if tol:
        params["tolerance"] = tol
    if relation == "==":
        params["equivalence_margin"] = tol
    if chance is not None:
        chance = float(chance)
        if not 0.0 < chance < 1.0:
            raise ValueError(f"chance must be a probability in (0, 1); got {chance!r}")
        params["chance"] = chance
    verdict = decide(lhs, rhs, relation, None, tol=tol)
    return CheckResult(claim, lhs, rhs, relation, _slack(lhs, rhs, relation), verdict, None, params)


def worst_case(lhs, rhs, relation, *, tol=0.0, part=None, hypotheses=None, labels=None, relative=False, params=None,
               claim=None):
    """A "for every point" claim: exact sides at many points, reported at the least-margin one.

    ``lhs`` and ``rhs`` hold one value per point (``rhs`` may be one number); ``labels`` (optional)
    names how each point was found (random draw, trajectory, worst-case search...). ``relative``
    reports the point of least *relative* margin ``margin / (|lhs| + |rhs|)`` (for claims whose
    sides scale together); the verdict is the same either way (a point with a negative margin has
    a negative relative margin).
    """
    lhs = np.atleast_1d(np.asarray(lhs, dtype=np.float64))
    rhs = np.broadcast_to(np.asarray(rhs, dtype=np.float64), lhs.shape)
    if lhs.size == 0:
        raise ValueError("worst_case needs at least one point")
    with np.errstate(invalid="ignore", divide="ignore"):
        slack = _slack(lhs, rhs, relation)
        if relative:
            slack = slack / (np.abs(lhs) + np.abs(rhs) + 1e-300)
    slack = np.where(np.isnan(lhs) | np.isnan(rhs), -np.inf, slack)
    worst = int(np.argmin(slack))
    params = dict(params or {})
    params.update(n_points=int(lhs.size), worst_point=worst)
    if relative:
        params["worst_by"] = "relative margin"
    if labels is not None:
        labels = list(labels)
        if len(labels) != lhs.size:
            raise ValueError(f"labels must name each of the {lhs.size} points; got {len(labels)}")
        params["worst_found_by"] = str(labels[worst])
    return exact(lhs[worst], rhs[worst], relation, tol=tol, part=part, hypotheses=hypotheses, params=params,
                 claim=claim)


def mean(samples, rhs, relation, *, margin=None, margin_reason=None, tolerance=0.0, tolerance_reason=None,
         level=DEFAULT_LEVEL, part=None, hypotheses=None, params=None, claim=None):
    """A claim about the mean of a random quantity: per-draw ``samples`` against the number ``rhs``."""
    _check_relation(relation)
    samples = np.asarray(samples, dtype=np.float64).ravel()
    params = _params(params, part, hypotheses)
    _equivalence(params, relation, margin, margin_reason, required=True)
    _tolerance(params, relation, tolerance, tolerance_reason)
    summary = _summary(samples)
    if not np.all(np.isfinite(samples)):
        summary["sd"] = math.nan  # a non-finite draw: no interval, INCONCLUSIVE
        params["note_nonfinite"] = f"{int(np.sum(~np.isfinite(samples)))} non-finite draws"
    params["n_draws"] = summary["n"]
    return _with_interval(summary["mean"], rhs, relation, dict(kind="mean", **summary), params, level, claim)


def paired(lhs_samples, rhs_samples, relation, *, margin=None, margin_reason=None, tolerance=0.0,
           tolerance_reason=None, level=DEFAULT_LEVEL, part=None, hypotheses=None, params=None, claim=None):
    """A claim comparing the means of two random quantities computed on the same draws.

    The interval is that of the mean difference ``rhs - lhs`` (the pairing cancels common noise),
    written as an interval for the left side around the right side's mean.
    """
    _check_relation(relation)
    lhs_samples = np.asarray(lhs_samples, dtype=np.float64).ravel()
    rhs_samples = np.asarray(rhs_samples, dtype=np.float64).ravel()
    if lhs_samples.shape != rhs_samples.shape:
        raise ValueError(f"paired sides must have the same number of draws; got {lhs_samples.size} and "
                         f"{rhs_samples.size}")
    params = _params(params, part, hypotheses)
    _equivalence(params, relation, margin, margin_reason, required=True)
    _tolerance(params, relation, tolerance, tolerance_reason)
    evidence = _paired_moments(lhs_samples, rhs_samples)
    if not (np.all(np.isfinite(lhs_samples)) and np.all(np.isfinite(rhs_samples))):
        evidence["diff_var"] = math.nan
        params["note_nonfinite"] = "non-finite draws"
    params.update(n_draws=evidence["n"], paired=True)
    return _with_interval(evidence["lhs_mean"], evidence["rhs_mean"], relation, evidence, params, level, claim)


def _paired_moments(lhs_samples, rhs_samples):
    """Sufficient statistics of a paired record: the means of both sides, the variance of the
    difference ``rhs - lhs`` (computed directly, so no cancellation), the variance of ``rhs`` and
    the covariance of ``rhs`` with the difference (for rescaled right sides)."""
    n = int(lhs_samples.size)
    out = dict(kind="paired", n=n, scale=1.0, lhs_mean=math.nan, rhs_mean=math.nan, diff_var=math.nan,
               rhs_var=math.nan, rhs_diff_cov=math.nan)
    with np.errstate(invalid="ignore", over="ignore"):
        if n:
            out.update(lhs_mean=float(lhs_samples.mean()), rhs_mean=float(rhs_samples.mean()))
        if n >= 2:
            cov = np.cov(np.stack([rhs_samples - lhs_samples, rhs_samples]), ddof=1)
            out.update(diff_var=float(cov[0, 0]), rhs_var=float(cov[1, 1]), rhs_diff_cov=float(cov[0, 1]))
    return out


def _paired_difference(evidence):
    r"""Summary (n, mean, sd) of ``scale * rhs - lhs`` from a paired record's moments:
    :math:`\mathrm{var}(d + (s-1)r) = \mathrm{var}\,d + (s-1)^2\mathrm{var}\,r + 2(s-1)\mathrm{cov}(r, d)`."""
    t = evidence["scale"] - 1.0
    var = evidence["diff_var"] + t * t * evidence["rhs_var"] + 2 * t * evidence["rhs_diff_cov"]
    sd = math.sqrt(max(var, 0.0)) if math.isfinite(var) else math.nan
    mean_ = evidence["scale"] * evidence["rhs_mean"] - evidence["lhs_mean"]
    return {"n": evidence["n"], "mean": mean_, "sd": sd}


def proportion(successes, trials, rhs, relation, *, margin=None, margin_reason=None, level=DEFAULT_LEVEL,
               part=None, hypotheses=None, params=None, claim=None):
    """A claim about a probability: ``successes`` in ``trials`` independent trials against ``rhs``.

    The interval is Clopper-Pearson (``scipy.stats.binomtest(...).proportion_ci(method="exact")``).
    """
    _check_relation(relation)
    successes, trials = int(successes), int(trials)
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"proportion needs 0 <= successes <= trials and trials >= 1; got {successes} of {trials}")
    params = _params(params, part, hypotheses)
    _equivalence(params, relation, margin, margin_reason, required=True)
    params["trials"] = trials
    evidence = dict(kind="proportion", successes=successes, trials=trials)
    return _with_interval(successes / trials, rhs, relation, evidence, params, level, claim)


def rate(xs, ys, claimed_exponent, relation, *, margin=None, margin_reason=None, tolerance=0.0,
         tolerance_reason=None, level=DEFAULT_LEVEL, part=None, hypotheses=None, params=None, claim=None):
    r"""A rate claim: fit :math:`y = c\,x^b` and compare the exponent ``b`` with the claimed one.

    ``ys`` is one series (shape ``(len(xs),)``; the interval is the regression's, ``len(xs) - 2``
    degrees of freedom) or independent replicate series (shape ``(replicates, len(xs))``; one
    slope per replicate, the interval is Student t over the replicate slopes, which needs no
    model of the noise along a series). ``"<="`` reads "decays at least as fast as claimed" (an
    O(x^a) claim is an upper bound on the exponent), ``">="`` "grows at least as fast", ``"=="``
    an exponent equal to the claimed one within the equivalence ``margin``.
    """
    _check_relation(relation)
    xs = np.asarray(xs, dtype=np.float64).ravel()
    ys = np.asarray(ys, dtype=np.float64)
    params = _params(params, part, hypotheses)
    _equivalence(params, relation, margin, margin_reason, required=True)
    _tolerance(params, relation, tolerance, tolerance_reason)
    params.update(fit_x=xs.tolist(), fit_y=ys.tolist())
    series = ys[None, :] if ys.ndim == 1 else ys
    if series.ndim != 2 or series.shape[1] != xs.size:
        raise ValueError(f"ys must have shape ({xs.size},) or (replicates, {xs.size}); got {ys.shape}")
    fits = []
    for row in series:  # a loop over replicate series (a handful), each one least-squares fit
        try:
            fits.append(_loglog_fit(xs, row))
        except ValueError as err:
            params["note_unfitted"] = str(err)
            fits.append((math.nan, math.nan, max(xs.size - 2, 1), math.nan))
    if ys.ndim == 1:
        slope, stderr, df, const = fits[0]
        evidence = dict(kind="rate", slope=slope, stderr=stderr, df=df)
        params["fitted_constant"] = const
    else:
        slopes = [f[0] for f in fits]
        slope = float(np.mean(slopes))
        evidence = dict(kind="rate_replicates", slopes=slopes)
        params.update(replicates=len(slopes), fitted_constant=float(np.exp(np.nanmean(np.log([f[3] for f in fits])))))
    return _with_interval(slope, claimed_exponent, relation, evidence, params, level, claim)


# ------------------------------------------------------------------------------------------------
# the run


def calibrate(records, alpha=1 - DEFAULT_LEVEL, *, looks=None):
    r"""Give every record of one run its level, so that the run as a whole has error rate ``alpha``.

    A true claim comes out VIOLATED only through (a) an interval that misses its true value or (b)
    an exact record about one random draw that fails with the declared ``chance``. The run spends
    ``alpha`` on both: the ``chance`` of every such record first, the rest split evenly over the
    K interval records (Bonferroni: each interval at level :math:`1 - \alpha'/K`), so that the
    chance that *any* true claim of the run is VIOLATED is at most ``alpha``, whatever the
    dependence between records. (Holm's step-down would lower the level only of records after a
    first VIOLATED one; a run of true claims has none, so it would not change this run's rate.)

    ``looks`` (optional) maps a record's index to ``(round, spend)``: the record's verdict was
    taken at look ``round`` of a power-on-demand run that spends the fraction ``spend`` of the
    record's share at that look (see :mod:`boundcheck.run.runner`).

    Returns new records (the inputs are not modified).
    """
    records = list(records)
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1); got {alpha!r}")
    chance = sum(float(r.params.get("chance", 0.0)) for r in records if not r.has_interval)
    n_interval = sum(r.has_interval for r in records)
    remaining = alpha - chance
    if n_interval and remaining <= 0:
        raise ValueError(f"the run's exact records spend {chance:.3g} of alpha = {alpha:g}: nothing is left for its "
                         f"{n_interval} interval records; lower their failure probability")
    share = remaining / n_interval if n_interval else 0.0
    out = []
    for i, rec in enumerate(records):
        if not rec.has_interval:
            new = rec.at_level(DEFAULT_LEVEL)
            new.params.pop("level", None)
            out.append(new)
            continue
        spend, look = 1.0, None
        if looks and i in looks:
            look, spend = looks[i]
        rule = (f"Bonferroni: run alpha {alpha:g}"
                + (f" less {chance:.3g} spent on exact records about one draw" if chance else "")
                + f", split over {n_interval} interval record{'s' if n_interval != 1 else ''}")
        if look is not None:
            rule += f"; look {look} of power on demand spends {spend:.3g} of the record's share"
        new = rec.at_level(1.0 - share * spend, rule=rule)
        new.params["run_alpha"] = alpha
        out.append(new)
    return out
