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
           "battery_run", "battery_runs", "stored_runs", "run_rates", "reference_values", "plants_for", "power_table",
           "budget_power", "budget_rows", "power_summary", "power_headline", "CONSTANT_SIZES", "EXPONENT_SIZES",
           "CATCH_SHARE"]

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

        def plant(name, index, record, kind=kind, size=size, direction=direction):
            if index not in truths or (position_filter and index not in position_filter):
                return record
            for k, _, d, value in plants_for(record, truths[index], constant_sizes=(size,), exponent_sizes=(size,)):
                if (k, d) == (kind, direction):
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
SLOW_CLAIMS = frozenset({"Lemma 1", "Theorem 2", "Corollary 3", "Theorem 4", "Theorem 6", "Theorem 7", "Lemma 15",
                         "Section 6", "Lemma 12", "Lemma 13", "Lemma 14", "Good directions"})

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
    _p("Equation 4", "the threshold t(delta) of (4) cut to 30% (at 50% it still holds: t is loose)",
       threshold_scale=0.3),
    # -- Section 3 and Appendix B.2-B.3 (boundcheck.lemmas.coupling) -----------------------------------
    _p("Section 3 scalings", "E_Sigma f^L = 0.01 instead of 0", part="E_Sigma f^L_{W", claimed_mean=0.01),
    _p("Section 3 scalings", "f^L ~ m^-0.30 instead of m^-1/4", part="size of f^L", linear_exponent=-0.30),
    _p("Section 3 scalings", "f^L ~ m^+1/4 instead of m^-1/4 (sign flipped)", part="size of f^L",
       linear_exponent=0.25),
    _p("Section 3 scalings", "f^Q = O(m^-0.1) instead of O(1)", part="size of f^Q", quadratic_exponent=-0.1),
    _p("Lemma 10", "bound on |f^Q| cut to 10% (the measured tightness is 12%)", bound_factor=0.1),
    _p("Lemma 10", "bound on |f^Q| with its sign flipped", bound_factor=-1.0),
    _p("Lemma 11", "(b) bound cut to 75% (its slack is about 20%)", part="(b) max_x", bound_factor=0.75),
    _p("Lemma 11", "E(f^L)^2 decays like m^-0.7 instead of m^-1/2", part="(a) rate", claimed_exponents=(-0.7, -0.25)),
    _p("Lemma 11", "(b) decays like m^-0.8 instead of m^-1/4", part="(b) rate", claimed_exponents=(-0.5, -0.8)),
    _p("Lemma 11", "both bounds with their sign flipped", part="max_x", bound_factor=-1.0),
    _p("Lemma 12", "bound S_12 shrunk 1e5-fold (at defaults it is ~1.6e4 x the measured gap)", part="<= S_12",
       bound_factor=1e-5),
    _p("Lemma 12", "|L~ - L^Q| decays like m^-1", part="rate in m", claimed_exponent=-1.0),
    _p("Lemma 12", "bound S_12 with its sign flipped", part="<= S_12", bound_factor=-1.0),
    _p("Lemma 13", "bound I+II+III shrunk 1e6-fold", part="I + II + III", bound_factor=1e-6),
    _p("Lemma 13", "gradient coupling decays like m^-1", part="rate in m", claimed_exponent=-1.0),
    _p("Lemma 14", "bound shrunk 1e7-fold", part="I(L)", bound_factor=1e-7),
    _p("Lemma 14", "Hessian coupling decays like m^-1.5", part="rate in m", claimed_exponent=-1.5),
    # -- Section 4 (boundcheck.lemmas.landscape, opt) ---------------------------------------------------
    _p("Lemma 1", "remainder of the B.1 identity 10% too large", part="B.1 identity", remainder_factor=1.1),
    _p("Lemma 1", "remainder of the B.1 identity with its sign flipped", part="B.1 identity", remainder_factor=-1.0),
    _p("Lemma 1", "the bound of B.1 shrunk 1e6-fold", part="the bound of B.1", bound_factor=1e-6),
    _p("Lemma 1", "the bound of B.1 with its sign flipped", part="the bound of B.1", bound_factor=-1.0),
    _p("Lemma 1", "remainder decays like m^-1.1 (the O(m^-1) is attained)", part="exponent in m",
       claimed_exponent=-1.1),
    _p("Theorem 2", "epsilon 1e-3 instead of 0.25", part="(7) at the worst W", accuracy=1e-3),
    _p("Theorem 2", "(7) with its right side's sign flipped", part="(7) at the worst W", claimed_sign=-1.0),
    _p("Theorem 2", "coupling error decays like m^-1/2 instead of m^-1/4", part="coupling error",
       claimed_exponent=-0.5),
    _p("Corollary 3", "regularizer constant C = 262.6 (0.9 x the 291.8 this W_* needs)", part="regularizer step",
       constant=262.6),
    _p("Corollary 3", "regularizer constant with its sign flipped", part="regularizer step", constant=-8297.9),
    _p("Corollary 3", "the corollary's right side with its sign flipped", part="the corollary at the worst W",
       constant=0.0, claimed_sign=-1.0),
    _p("Theorem 4", "(1 + gamma) OPT + eps cut to a quarter", part="L~_lambda(W_hat)", bound_factor=0.25),
    _p("Theorem 4", "(1 + gamma) OPT + eps with its sign flipped", part="L~_lambda(W_hat)", claimed_sign=-1.0),
    _p("Theorem 4", "the O(B_w*) norm bound cut to 30% of its explicit form", part="||W_hat||", norm_factor=0.3),
    _p("OPT bracket", "a lower bound on OPT raised by 0.05", part="certified lower", lower_offset=0.05),
    # -- Section 5.1 and Appendix A (boundcheck.lemmas.generalization) ---------------------------------
    _p("Lemma 5", "function-class constant 1/2 shrunk to 1/5", constant=0.2),
    _p("Lemma 8", "matrix Rademacher constant 4 shrunk to 0.4", constant=0.4),
    _p("Theorem 6", "the explicit bound shrunk 10^4-fold", constant=1e-4),
    # -- Section 5.2 and Appendix A.2, C (boundcheck.lemmas.expressivity, sample_complexity) ----------
    _p("Lemma 9", "printed bound with 2 pi shrunk to 0.5", part="feature-map norm^2 <= paper bound",
       paper_constant=0.5),
    _p("Lemma 9", "printed bound with (p v 1)^3 lowered to (p v 1)^0", part="feature-map norm^2 <= paper bound",
       paper_exponent=0),
    _p("Lemma 9", "the identity E[relu(w0.x) a] = alpha (beta.x)^p with its sign flipped", part="E[relu(w0.x) a(w0)]",
       identity_factor=-1.0),
    _p("Lemma 9", "E a^2 10% above its closed form", part="E[a(w0)^2]", moment_factor=1.1),
    _p("Lemma 9 coefficients", "c_p >= 1/(p v 1)^3 (2 pi dropped)", part="c_p >=", paper_constant=1.0),
    _p("Lemma 9 coefficients", "c_p >= 1/(2 pi (p v 1)^2) (exponent 3 -> 2)", part="c_p >=", paper_exponent=2),
    _p("Lemma 9 coefficients", "random-feature kernels 10% above the arc-cosine closed forms",
       part="random-feature kernel", kernel_factor=1.1),
    _p("Lemma 9 coefficients", "random-feature kernels with their sign flipped", part="random-feature kernel",
       kernel_factor=-1.0),
    _p("Lemma 15", "printed bound with 2 pi shrunk to 1", part="<= paper bound", paper_constant=1.0),
    _p("Lemma 15", "E|w+|^4 + E|w-|^4 claimed 25% larger than it is", part="= |beta|^4 E a^2", claimed_value=5.0),
    _p("Lemma 15", "the infinite-width identity with its sign flipped", part="infinite-width identity",
       claimed_sign=-1.0),
    _p("Theorem 7", "f^Q_{W*} error decays like m^-1", part="max_i", claimed_exponent=-1.0),
    _p("Theorem 7", "printed ||W*||^4 bound with constant 32 pi shrunk 100-fold", part="P(|W*|^4",
       paper_constant=32 * math.pi / 100),
    _p("Theorem 7", "E||W*||^4 claimed 10% larger", part="E|W*|_{2,4}^4", norm_factor=1.1),
    _p("Theorem 7", "the variance identity 25% off", part="mean_i E(f^Q", variance_factor=1.25),
    _p("Section 5.2", "n_Q/n_L ~ d^-2 instead of d^-1", part="exponent in d", claimed_exponent_d=-2),
    _p("Section 5.2", "n_Q/n_L ~ p^2 instead of p", part="exponent in p", claimed_exponent_p=2),
    _p("Section 5.2", "n_Q/n_L ~ p^-1 instead of p (sign flipped)", part="exponent in p", claimed_exponent_p=-1),
    _p("Section 5.2", "2-XOR n_Q/n_L ~ d^+1 instead of d^-1 (sign flipped)", part="2-XOR", claimed_xor_exponent_d=1),
    # -- Section 6 (boundcheck.lemmas.higher_order, expressivity) -------------------------------------
    _p("Section 6", "lower-order terms decay like m^-1 instead of m^-1/(2k)", claimed_exponent=-1.0),
    _p("Section 6", "k = 2: f^(1) ~ m^-0.3 instead of m^-1/4", part="k=2: rms f^(1)", orders=(2,),
       claimed_exponent=-0.3),
    _p("Section 6", "f^(k) = O(m^-0.1) instead of O(1)", part="k=2: rms f^(k)", orders=(2,), kth_exponent=-0.1),
    _p("Section 6 moments", "a symmetric +-1 pair for k = 1 (its first moments agree)", orders=(1,),
       pairs={1: ({Fraction(1): _HALF, Fraction(-1): _HALF}, {Fraction(0): Fraction(1)})}),
    _p("Section 6 moments", "the k = 1 pair offered for k = 2", orders=(2,),
       pairs={2: ({Fraction(1): Fraction(1)}, {Fraction(0): Fraction(1)})}),
    _p("Section 6 moments", "a pair whose third moments differ by 1 but first moments differ too", orders=(3,),
       pairs={3: ({Fraction(1): Fraction(1)}, {Fraction(0): Fraction(1)})}),
    # -- Nichani, Bai & Lee 2022 (boundcheck.packs.nichani2022) ------------------------------------------
    _p("Spectral groups", "the top D_k eigenvectors hold 99% of a degree <= k function (measured about 97%)",
       part="share of a degree <= k function", claimed_share=0.99),
    _p("Spectral groups", "the gap ratio grows like d^1.5", part="gap ratio", claimed_gap_exponent=1.5),
    _p("NTK misses the sparse term", "the NTK leaves 95% of the sparse term unexplained (measured about 78%)",
       part="sparse degree-(k+1) term", claimed_sparse_error=0.95),
    _p("Sample complexity d^k", "n(NTK + QuadNTK) / n(NTK) ~ d^-2 instead of d^-1", claimed_exponent_d=-2),
    # -- learning curves (boundcheck.experiments.curve_cell) ------------------------------------------
    _p("Learning curve cell", "NTK test loss <= 1e-7 at the default cell (measured about 4e-6)", accuracy=1e-7),
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


# ------------------------------------------------------------------------------------------------
# the measurements behind `boundcheck trust specificity|power`


def battery_runs(n_seeds, *, first_seed=0, store=None, resume=False, workers=None, labels=None):
    """Runs of the battery at seeds ``first_seed``, ..., ``first_seed + n_seeds - 1``.

    With ``store`` the runs go through the sweep machinery (:func:`boundcheck.run.sweep.run_battery_sweep`):
    each run is written to the store as it finishes, ``resume`` skips those already there, and
    ``workers`` processes share the work. Returns the runs as lists of record dicts, in seed order.
    """
    n_seeds = validate.integer("seeds", n_seeds, minimum=1)
    first_seed = validate.integer("seed", first_seed, minimum=0)
    if store is None:
        return [battery_run(first_seed + i, labels=labels) for i in range(n_seeds)]  # a loop over runs
    if labels is not None:
        raise validate.BoundcheckInputError("a battery sweep into a store runs the whole battery: give no labels")
    import sys

    from .sweep import run_battery_sweep

    result = run_battery_sweep(store, n_seeds=n_seeds, first_seed=first_seed, resume=resume, workers=workers,
                               progress=sys.stderr.isatty())
    return stored_runs(store, sweep=result["sweep"])


def stored_runs(store_path, *, sweep=None):
    """The runs of a battery sweep in ``store_path`` (lists of record dicts, in seed order)."""
    from .store import open_store
    from .sweep import BATTERY

    with open_store(store_path, must_exist=True) as store:
        names = [name for name in store.sweeps() if store.sweep_config(name).get("claim") == BATTERY]
        if sweep is not None:
            names = [n for n in names if n == sweep]
        if not names:
            raise validate.BoundcheckInputError(f"store {store_path!r} holds no battery runs; make them with "
                                                "`boundcheck trust specificity --store FILE`")
        runs = {}
        for rec in store.records(names[-1]):
            runs.setdefault(rec["cell"], []).append(rec)
    return [runs[k] for k in sorted(runs)]


def _claim_alpha(records):
    """The alpha a run of one claim needs so that its records get the levels they have in the battery."""
    alpha = 0.0
    for rec in records:
        params = rec.get("params", {})
        if "level" in params:
            alpha += 1.0 - float(params["level"])
        alpha += float(params.get("chance", 0.0)) if rec.get("interval") is None else 0.0
    return min(alpha, 0.5)


def budget_rows(runs, rows, *, budget, n_seeds, claims=None, first_seed=10**6):
    """Re-run, at effort ``budget``, the plants that the default runs do not catch in 90% of runs.

    For each slot and plant kind the sizes are tried from the smallest up, and stop at the first
    caught in 90% of ``n_seeds`` runs (seeds ``first_seed``, ... : none of the default runs').
    """
    slots = _slots(runs)
    missed = {}
    for row in rows:
        if row["share"] < CATCH_SHARE and (not claims or row["claim"] in claims):
            missed.setdefault(row["claim"], set()).add((row["position"], row["kind"], row["direction"], row["size"]))
    out = []
    for label, wanted in missed.items():  # a loop over claims, each a few runs per plant
        # a slot's position counts the records of the whole battery run; a run of the claim alone
        # (and the runner's plant hook) counts its own records from 0: they differ by the claim's offset
        offset = min(p for lab, p in slots if lab == label)
        wanted = {(p - offset, k, d, s) for p, k, d, s in wanted}
        positions = sorted({p for p, *_ in wanted})
        truths = {p: float(np.nanmean([_as_record(r).lhs for r in slots[(label, p + offset)]])) for p in positions
                  if (label, p + offset) in slots}
        alpha = _claim_alpha([r for (lab, _), recs in slots.items() if lab == label for r in recs[:1]])
        if alpha <= 0.0:  # only exact records: their verdicts do not depend on the effort, so a budget cannot help
            continue
        caught = set()
        for kind, direction, size in sorted({(k, d, s) for _, k, d, s in wanted}, key=lambda t: t[2]):
            todo = {p for p, k, d, s in wanted if (k, d, s) == (kind, direction, size) and (p, k, d) not in caught}
            if not todo:
                continue
            got = budget_power(label, truths, seeds=range(first_seed, first_seed + n_seeds), budget=budget,
                               alpha=alpha, plants=[(kind, size, direction)], position_filter=todo)
            for row in got:
                if row["share"] >= CATCH_SHARE:
                    caught.add((row["position"], kind, direction))
                row["position"] += offset  # back to the battery's positions, as the default rows count them
                row["part"] = slots[(label, row["position"])][0].get("params", {}).get("part", "")
            out += got
    return out


def power_summary(rows, *, catch_share=CATCH_SHARE):
    """Per slot and plant: the smallest size caught in ``catch_share`` of the runs, at defaults and at
    the larger effort (when ``rows`` hold budget rows); the headline counts come first."""
    table = {}
    for row in rows:
        key = (row["claim"], row["position"], row["kind"], row["direction"])
        entry = table.setdefault(key, {"claim": row["claim"], "position": row["position"],
                                       "part": row.get("part", ""), "kind": row["kind"],
                                       "direction": row["direction"], "sizes": [], "smallest_default": None,
                                       "smallest_budget": None})
        budget = row.get("budget", 1.0)
        if budget == 1.0 and row["size"] not in entry["sizes"]:
            entry["sizes"].append(row["size"])
        if row["share"] >= catch_share:
            which = "smallest_default" if budget == 1.0 else "smallest_budget"
            if entry[which] is None or row["size"] < entry[which]:
                entry[which] = row["size"]
    out = list(table.values())
    for entry in out:
        if entry["smallest_budget"] is None:
            entry["smallest_budget"] = entry["smallest_default"]
        entry["sizes"] = " ".join(f"{s:g}" for s in sorted(entry["sizes"]))
    return out


def power_headline(rows, *, catch_share=CATCH_SHARE):
    """Share of the planted errors (slot, kind, direction, size) caught in ``catch_share`` of the runs."""
    default = [r for r in rows if r.get("budget", 1.0) == 1.0]
    caught_default = {(r["claim"], r["position"], r["kind"], r["direction"], r["size"]) for r in default
                      if r["share"] >= catch_share}
    caught_budget = set(caught_default) | {(r["claim"], r["position"], r["kind"], r["direction"], r["size"])
                                           for r in rows if r.get("budget", 1.0) > 1 and r["share"] >= catch_share}
    # a plant caught at a smaller size is caught at every larger size of the same kind
    total = {(r["claim"], r["position"], r["kind"], r["direction"], r["size"]) for r in default}

    def closure(caught):
        smallest = {}
        for c, p, k, d, s in caught:
            smallest[(c, p, k, d)] = min(s, smallest.get((c, p, k, d), math.inf))
        return {t for t in total if t[4] >= smallest.get(t[:4], math.inf)}

    return {"planted": len(total), "caught_default": len(closure(caught_default)),
            "caught_budget": len(closure(caught_budget)),
            "share_default": len(closure(caught_default)) / max(len(total), 1),
            "share_budget": len(closure(caught_budget)) / max(len(total), 1)}
