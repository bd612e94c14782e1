r"""Can the verdicts be trusted? False alarms per run, the power to catch planted errors, and the
planted false claims every check must catch.

False VIOLATED per run (specificity)
    A *run* is the default battery at one seed, calibrated as one run (:mod:`boundcheck.run.runner`).
    :func:`run_rates` counts the runs in which any record is VIOLATED within its hypotheses (every
    claim of the battery is one the project treats as true) and gives that share with its
    Clopper-Pearson interval; the run's calibration promises at most ``alpha`` = 5%.

Power (planted errors on the evidence)
    :func:`power_table` plants errors into the records of those runs through
    :meth:`boundcheck.results.CheckResult.with_claimed`: for each record (a *slot*: the same claim
    and position in every run) the claimed side is moved so that the claim is false by a stated
    amount against the record's reference value :math:`t` (the mean of its left side over the
    *other* runs):

    * ``constant`` :math:`\delta`: a bound at :math:`t(1-\delta)` for ``"<="`` (:math:`t(1+\delta)`
      for ``">="``), an identity at :math:`t(1\pm\delta)`;
    * ``exponent`` :math:`\delta` (rate records): a claimed exponent :math:`t-\delta` for ``"<="``
      (:math:`t+\delta` for ``">="``), :math:`t\pm\delta` for ``"=="``;
    * ``sign``: the claimed side's sign flipped, where that makes the claim false.

    A plant is *caught* in a run when the record comes out VIOLATED; the table gives, per slot and
    kind, the share of runs that catch each size and the smallest size caught in at least 90% of
    runs. The same plants at a larger effort (``budget``) go through the runner's ``plant`` hook,
    so that every look of power on demand sees the planted claim.

Planted false claims through the checks' own options (sensitivity)
    :data:`PLANTED` lists false variants of the registered claims made through each check's own
    parameters (a constant shrunk, an exponent changed, a sign flipped); each must come out
    VIOLATED at default settings while the true claim at the same seed is not.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np
from scipy import stats

from .. import _validate as validate
from ..results import VIOLATED, CheckResult
from .registry import claims, get_claim
from .runner import DEFAULT_ALPHA, run_claims

__all__ = ["Planted", "PLANTED", "SLOW_CLAIMS", "is_slow", "planted_claims", "run_planted", "sensitivity",
           "battery_run", "run_rates", "reference_values", "plants_for", "power_table", "budget_power",
           "CONSTANT_SIZES", "EXPONENT_SIZES", "CATCH_SHARE"]

#: Sizes of planted constants (relative) and exponents (absolute), and the share of runs that
#: must catch a plant for it to count as caught.
CONSTANT_SIZES = (0.05, 0.10, 0.25, 0.5)
EXPONENT_SIZES = (0.05, 0.10, 0.25)
CATCH_SHARE = 0.9


# ------------------------------------------------------------------------------------------------
# runs of the battery, and their false-alarm rate


def battery_run(seed, *, labels=None, budget=1.0, alpha=DEFAULT_ALPHA):
    """The records (as JSON-ready dicts) of one calibrated run of ``labels`` (default: the battery)."""
    run = run_claims(labels, seed=seed, budget=budget, alpha=alpha, strict=False)
    return [r.to_dict() for r in run.records]


def _as_record(rec):
    return rec if isinstance(rec, CheckResult) else CheckResult.from_dict(rec)


def _within(rec):
    return all(rec.get("params", {}).get("hypotheses", {}).values())


def run_rates(runs, *, level=0.95):
    """False alarms per run: ``runs`` is a list of runs, each a list of record dicts.

    Returns a dict: ``runs``, ``runs_with_violated`` (within hypotheses), its share and
    Clopper-Pearson ``interval`` at ``level``, the same for VIOLATED outside hypotheses, the mean
    number of VIOLATED records per run, and ``records``: one row per slot (claim, part) with its
    VIOLATED and INCONCLUSIVE counts over the runs.
    """
    runs = [list(r) for r in runs]
    if not runs:
        raise ValueError("run_rates needs at least one run")
    bad = sum(any(r["verdict"] == VIOLATED and _within(r) for r in run) for run in runs)
    outside = sum(any(r["verdict"] == VIOLATED and not _within(r) for r in run) for run in runs)
    ci = stats.binomtest(bad, len(runs)).proportion_ci(confidence_level=level, method="exact")
    per_record = {}
    for run in runs:
        for i, r in enumerate(run):
            key = (r["claim"], i)
            row = per_record.setdefault(key, {"claim": r["claim"], "position": i,
                                              "part": r.get("params", {}).get("part", ""), "runs": 0,
                                              "VIOLATED": 0, "INCONCLUSIVE": 0, "outside_hypotheses": 0})
            row["runs"] += 1
            row["VIOLATED"] += r["verdict"] == VIOLATED
            row["INCONCLUSIVE"] += r["verdict"] == "INCONCLUSIVE"
            row["outside_hypotheses"] += not _within(r)
    return {"runs": len(runs), "runs_with_violated": bad, "share": bad / len(runs),
            "interval": [float(ci.low), float(ci.high)], "level": level,
            "runs_with_violated_outside_hypotheses": outside,
            "violated_per_run": float(np.mean([sum(r["verdict"] == VIOLATED for r in run) for run in runs])),
            "inconclusive_per_run": float(np.mean([sum(r["verdict"] == "INCONCLUSIVE" for r in run)
                                                   for run in runs])),
            "records": list(per_record.values())}


# ------------------------------------------------------------------------------------------------
# power: planted errors on the evidence


def _slots(runs):
    """``{(claim, position): [record dict per run]}`` for the slots present in every run."""
    slots = {}
    for run in runs:
        for i, r in enumerate(run):
            slots.setdefault((r["claim"], i), []).append(r)
    return {k: v for k, v in slots.items() if len(v) == len(runs)}


def reference_values(records):
    """Leave-one-out means of the left side: entry ``j`` is the mean over every record but ``j``."""
    values = np.array([_as_record(r).lhs for r in records], dtype=float)
    if values.size < 2:
        return values.copy()
    return (np.nansum(values) - values) / (np.sum(np.isfinite(values)) - np.isfinite(values))


def plants_for(record, truth, *, constant_sizes=CONSTANT_SIZES, exponent_sizes=EXPONENT_SIZES):
    """The planted errors for one record: a list of ``(kind, size, direction, claimed value)``.

    Every plant makes the claim false against ``truth`` (the record's reference value); a kind
    that cannot (a zero reference for a relative constant, a sign flip that leaves the claim
    true) is left out.
    """
    rec = _as_record(record)
    out = []
    is_rate = rec.kind in ("rate", "rate_replicates")
    if not math.isfinite(truth):
        return out
    if is_rate:
        for size in exponent_sizes:
            if rec.relation in ("<=", "=="):
                out.append(("exponent", size, "-", truth - size))
            if rec.relation in (">=", "=="):
                out.append(("exponent", size, "+", truth + size))
    elif truth != 0:
        for size in constant_sizes:
            if rec.relation in ("<=", "=="):
                out.append(("constant", size, "-", truth - size * abs(truth)))
            if rec.relation in (">=", "=="):
                out.append(("constant", size, "+", truth + size * abs(truth)))
    flipped = -rec.rhs
    if rec.rhs != 0 and (
            (rec.relation == "<=" and flipped < truth) or (rec.relation == ">=" and flipped > truth)
            or (rec.relation == "==" and abs(flipped - truth) > rec.params.get("equivalence_margin", 0.0))):
        out.append(("sign", 1.0, "flip", flipped))
    return out


def _planted_verdict(record, value, note):
    rec = _as_record(record)
    if rec.kind == "paired" and rec.params["evidence"]["rhs_mean"] == 0:
        return None
    return rec.with_claimed(value, note=note).verdict


def power_table(runs, *, catch_share=CATCH_SHARE, constant_sizes=CONSTANT_SIZES, exponent_sizes=EXPONENT_SIZES):
    """Planted errors on the records of ``runs`` (lists of record dicts): one row per slot and plant.

    Row: claim, position, part, kind, direction, size, caught (runs that catch it), runs, share,
    and ``smallest_caught``: per slot and kind, the smallest size caught in at least
    ``catch_share`` of the runs (None when no size is).
    """
    rows = []
    for (label, position), records in _slots(runs).items():
        truths = reference_values(records)
        tally = {}
        for rec, truth in zip(records, truths):
            for kind, size, direction, value in plants_for(rec, truth, constant_sizes=constant_sizes,
                                                            exponent_sizes=exponent_sizes):
                verdict = _planted_verdict(rec, value, f"{kind} {direction}{size:g}")
                if verdict is None:
                    continue
                entry = tally.setdefault((kind, direction, size), [0, 0])
                entry[0] += verdict == VIOLATED
                entry[1] += 1
        part = records[0].get("params", {}).get("part", "")
        for (kind, direction, size), (caught, total) in sorted(tally.items()):
            rows.append(dict(claim=label, position=position, part=part, kind=kind, direction=direction, size=size,
                             caught=caught, runs=total, share=caught / total))
    smallest = {}
    for row in rows:
        key = (row["claim"], row["position"], row["kind"], row["direction"])
        if row["share"] >= catch_share and row["runs"] >= 0.9 * len(runs):
            smallest[key] = min(smallest.get(key, math.inf), row["size"])
    for row in rows:
        value = smallest.get((row["claim"], row["position"], row["kind"], row["direction"]))
        row["smallest_caught"] = value
    return rows


def budget_power(label, truths, *, seeds, budget, alpha, plants, position_filter=None):
    """Planted errors on one claim at a larger effort, through the runner's ``plant`` hook.

    ``truths`` maps a record position of the claim to its reference value; ``plants`` is a list
    of ``(kind, size, direction)``; ``alpha`` is the claim's share of the battery's alpha (so its
    records get the levels they have in the battery). Returns rows like :func:`power_table`'s.
    """
    rows = []
    for kind, size, direction in plants:  # a loop over plants, each a few runs of one claim
        caught = total = 0
        positions = set()

        def plant(name, index, record, kind=kind, size=size, direction=direction):
            if index not in truths or (position_filter and index not in position_filter):
                return record
            for k, s, d, value in plants_for(record, truths[index], constant_sizes=(size,), exponent_sizes=(size,)):
                if (k, d) == (kind, direction):
                    positions.add(index)
                    return record.with_claimed(value, note=f"{kind} {direction}{size:g}")
            return record

        per_position = {}
        for seed in seeds:  # a loop over seeds: each run is batched inside
            run = run_claims([label], seed=seed, budget=budget, alpha=alpha, strict=False, plant=plant)
            for i, rec in enumerate(run.records):
                if "planted" in rec.params:
                    hit = per_position.setdefault(i, [0, 0])
                    hit[0] += rec.verdict == VIOLATED
                    hit[1] += 1
        for i, (caught, total) in sorted(per_position.items()):
            rows.append(dict(claim=label, position=i, kind=kind, direction=direction, size=size, caught=caught,
                             runs=total, share=caught / total, budget=budget))
    return rows


# ------------------------------------------------------------------------------------------------
# planted false claims through the checks' own options


@dataclasses.dataclass(frozen=True)
class Planted:
    """A false variant of a registered claim.

    ``label`` names the claim, ``overrides`` the keywords passed to its check, ``change`` says in
    words what was made false, ``part`` (optional) is a substring of ``params["part"]`` selecting
    the records the plant targets (default: every record), ``slow`` marks plants whose check
    takes more than a few seconds at default settings (the default test run skips them).
    """

    label: str
    overrides: dict
    change: str
    part: str | None = None
    slow: bool = False

    @property
    def name(self):
        shown = ", ".join(f"{k}={_short(v)}" for k, v in self.overrides.items())
        return f"{self.label} [{shown}]" + (f" on '{self.part}'" if self.part else "")


def _short(value):
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _p(label, change, part=None, slow=False, **overrides):
    return Planted(label, overrides, change, part, slow)


_HALF = Fraction(1, 2)

#: Claims whose check takes more than a few seconds at default settings; their plants run in the
#: slow test run (``pytest -m slow``) and in ``boundcheck trust sensitivity``.
SLOW_CLAIMS = frozenset({"Lemma 1", "Theorem 2", "Corollary 3", "Theorem 4", "Theorem 6", "Section 3 scalings",
                         "Lemma 11", "Lemma 12", "Lemma 13", "Lemma 14", "Section 6"})

#: The planted false claims, one line each: _p(claim label, what was made false, [part=record selector],
#: **keyword overrides of the check). Add a line to plant another.
PLANTED = (
    # -- Section 2-3 facts (boundcheck.lemmas.foundation) --------------------------------------------
    _p("Symmetric init", "f_{W_0} = 1e-3 instead of 0", claimed_value=1e-3),
    _p("Symmetric init", "f_{W_0} = -1e-6 instead of 0 (sign and size)", claimed_value=-1e-6),
    _p("Symmetric init", "f_{W_0} = 1e-10 instead of 0 (far above rounding, far below any scale)",
       claimed_value=1e-10),
    _p("Randomized terms", "E_Sigma f^(1) = +0.01 instead of 0", part="E_Sigma f^(1)(x_1) = 0", claimed_mean=0.01),
    _p("Randomized terms", "E_Sigma f^(1) = -0.01 instead of 0 (sign flipped)", part="E_Sigma f^(1)(x_1) = 0",
       claimed_mean=-0.01),
    _p("Randomized terms", "second moment 10% above its closed form", part="(f^(1)(x_1))^2",
       claimed_second_factor=1.1),
    _p("Randomized terms", "second moment with its sign flipped", part="(f^(1)(x_1))^2",
       claimed_second_factor=-1.0),
    _p("Equation 4 event", "the threshold of (4) shrunk to a quarter", bound_factor=0.25),
    _p("Assumption A", "C = 0.99 for relu^3/6 (true C = 1)", constant=0.99),
    _p("Assumption A", "C = 0.5 for relu^3/6 (constant halved)", constant=0.5),
    _p("Assumption A", "plain relu meets Assumption A (it does not)", activation="relu"),
    _p("Assumption A", "tanh meets Assumption A (sigma'(0) = 1 is not O(t^2))", activation="tanh"),
    _p("Assumption A", "softplus meets Assumption A (sigma'(0) = 1/2 is not O(t^2))", activation="softplus"),
)


def is_slow(plant):
    """Whether a plant's check is slow at default settings (its flag, or its claim in ``SLOW_CLAIMS``)."""
    return plant.slow or plant.label in SLOW_CLAIMS


def planted_claims(planted=PLANTED, *, include_slow=True):
    """``(runnable, skipped)``: the plants whose claim is registered, and those whose claim is not."""
    registered = {c.label.lower() for c in claims().values()} | {name.lower() for name in claims()}
    runnable, skipped = [], []
    for plant in planted:
        if plant.label.lower() not in registered:
            skipped.append(plant)
        elif include_slow or not is_slow(plant):
            runnable.append(plant)
    return runnable, skipped


def run_planted(plant, *, seed=0):
    """Run one planted claim (a run of its own, at default settings); a row saying whether it was caught.

    Caught: a targeted record is VIOLATED while the same record of the true claim at the same
    seed is not.
    """
    seed = validate.integer("seed", seed, minimum=0)
    claim = get_claim(plant.label)
    records = run_claims([claim.name], seed=seed, options=plant.overrides, strict=True).records
    true = run_claims([claim.name], seed=seed, strict=True).records
    positions = [i for i, r in enumerate(records) if plant.part is None or plant.part in str(r.params.get("part", ""))]
    if not positions:
        raise RuntimeError(f"planted {plant.name}: no record has a part containing {plant.part!r}")
    if len(true) == len(records):
        caught = any(records[i].verdict == VIOLATED and true[i].verdict != VIOLATED for i in positions)
        true_violated = sum(true[i].verdict == VIOLATED for i in positions)
    else:  # the plant changed the records' layout: no targeted record of the true claim may be VIOLATED
        targeted = [r.verdict for r in true if plant.part is None or plant.part in str(r.params.get("part", ""))]
        true_violated = sum(v == VIOLATED for v in targeted)
        caught = any(records[i].verdict == VIOLATED for i in positions) and true_violated == 0
    return {"claim": claim.label, "overrides": ", ".join(f"{k}={_short(v)}" for k, v in plant.overrides.items()),
            "change": plant.change, "targeted": len(positions),
            "violated": sum(records[i].verdict == VIOLATED for i in positions),
            "verdicts": " ".join(sorted({records[i].verdict for i in positions})), "true_violated": true_violated,
            "caught": bool(caught)}


def sensitivity(*, seed=0, include_slow=True, planted=PLANTED):
    """Run every runnable planted claim; rows of :func:`run_planted`, then one row per skipped plant."""
    runnable, skipped = planted_claims(planted, include_slow=include_slow)
    rows = [run_planted(p, seed=seed) for p in runnable]  # a loop over planted claims
    rows += [{"claim": p.label, "overrides": ", ".join(f"{k}={_short(v)}" for k, v in p.overrides.items()),
              "change": p.change, "caught": None, "verdicts": "not registered"} for p in skipped]
    return rows
