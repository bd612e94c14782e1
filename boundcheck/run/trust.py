r"""Can the verdicts be trusted? Planted false claims (sensitivity) and many seeds of true ones
(specificity).

Sensitivity
    :data:`PLANTED` lists false variants of the registered claims, one line each: a claim label
    and the keyword overrides that make it false through the check's own parameters (a constant
    shrunk, an exponent changed, a sign flipped). A planted claim is *caught* when at least one
    of its targeted records comes out VIOLATED at the check's default settings, while the same
    records of the true claim at the same seed are not VIOLATED (so the catch is the plant's
    doing). Entries whose claim is not registered are skipped and listed.

Specificity
    The true claims over many seeds at default settings. A record with a confidence interval at
    level :math:`1-\alpha` may come out VIOLATED by chance at rate at most :math:`\alpha`; an exact
    record whose claim holds with probability :math:`1-\delta` (a ``failure_prob`` in its params)
    at rate at most :math:`\delta`; any other exact record never. :func:`specificity` reports the
    observed rate per claim beside that allowance, with a one-sided binomial p-value.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from fractions import Fraction

import numpy as np
from scipy import stats

from .. import _validate as validate
from .registry import claims, get_claim
from ..results import VIOLATED

__all__ = ["Planted", "PLANTED", "SLOW_CLAIMS", "is_slow", "planted_claims", "run_planted", "sensitivity", "specificity",
           "allowed_violation_rate"]


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


def _overrides_text(plant):
    return ", ".join(f"{k}={_short(v)}" for k, v in plant.overrides.items())


def _short(value):
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _p(label, change, part=None, slow=False, **overrides):
    return Planted(label, overrides, change, part, slow)


_HALF = Fraction(1, 2)

#: Claims whose check takes more than a few seconds at default settings (measured on 2 busy
#: cores); their plants run in the slow test run (``pytest -m slow``) and in
#: ``boundcheck trust sensitivity`` but not in the default test run.
SLOW_CLAIMS = frozenset({"Lemma 1", "Theorem 2", "Corollary 3", "Theorem 4", "Theorem 6", "Section 3 scalings",
                         "Lemma 11", "Lemma 12", "Lemma 13", "Lemma 14", "Section 6"})

#: The planted false claims, one line each: _p(claim label, what was made false, [part=record selector],
#: **keyword overrides of the check). Add a line to plant another.
PLANTED = (
    # -- Section 2-3 facts (boundcheck.lemmas.foundation) --------------------------------------------
    _p("Symmetric init", "f_{W_0} = 1e-3 instead of 0", claimed_value=1e-3),
    _p("Symmetric init", "f_{W_0} = -1e-6 instead of 0 (sign and size)", claimed_value=-1e-6),
    _p("Randomized terms", "E_Sigma f^(1) = +0.01 instead of 0", part="E_Sigma f^(1)(x_1) = 0", claimed_mean=0.01),
    _p("Randomized terms", "E_Sigma f^(1) = -0.01 instead of 0 (sign flipped)", part="E_Sigma f^(1)(x_1) = 0",
       claimed_mean=-0.01),
    _p("Symmetric init", "f_{W_0} = 1e-10 instead of 0 (far above rounding, far below any scale)",
       claimed_value=1e-10),
    _p("Equation 4 event", "the threshold of (4) shrunk to a quarter", bound_factor=0.25),
    _p("Assumption A", "C = 0.99 for relu^3/6 (true C = 1)", constant=0.99),
    _p("Assumption A", "C = 0.5 for relu^3/6 (constant halved)", constant=0.5),
    _p("Assumption A", "plain relu meets Assumption A (it does not)", activation="relu"),
    _p("Assumption A", "tanh meets Assumption A (sigma'(0) = 1 is not O(t^2))", activation="tanh"),
    _p("Assumption A", "softplus meets Assumption A (sigma'(0) = 1/2 is not O(t^2))", activation="softplus"),
    _p("Equation 4", "the threshold t(delta) of (4) cut to 30% (at 50% it still holds: t is loose)",
       threshold_scale=0.3),
    _p("Section 3 scalings", "f^L ~ m^-1/2 instead of m^-1/4", linear_exponent=-0.5),
    _p("Section 3 scalings", "f^Q grows like m^+1/2 instead of order 1", quadratic_exponent=0.5),
    # -- Section 4 (boundcheck.lemmas.landscape) ------------------------------------------------------
    _p("Lemma 1", "remainder of the B.1 identity doubled", part="exact identity", slow=True, remainder_factor=2.0),
    _p("Lemma 1", "remainder decays like m^-1.5 (fitted about m^-1)", part="rate in m", slow=True,
       claimed_exponent=-1.5),
    _p("Theorem 2", "smallest epsilon decays like m^-2 instead of m^-1/4", part="smallest epsilon",
       claimed_exponent=-2.0),
    _p("Theorem 2", "coupling error decays like m^-2 instead of m^-1/4", part="coupling error", claimed_exponent=-2.0),
    _p("Corollary 3", "regularizer constant C = 1 instead of 378 14^3/5^3", constant=1.0),
    _p("Corollary 3", "regularizer constant C = 100 (this W_* needs about 290)", part="regularizer step",
       constant=100.0),
    _p("Theorem 4", "the O(B_w*) norm bound cut to 30% of its explicit form", part="||W_hat||", norm_factor=0.3),
    # -- Section 5.1 and Appendix A (boundcheck.lemmas.generalization, coupling) -----------------------
    _p("Lemma 5", "function-class constant 1/2 shrunk to 1/10", constant=0.1),
    _p("Lemma 8", "matrix Rademacher constant 4 shrunk to 0.1", constant=0.1),
    _p("Theorem 6", "the explicit bound shrunk 1000-fold (it is 400-1200x the measured gap)",
       constant=1e-3),
    _p("Lemma 10", "bound on |f^Q| shrunk 100-fold", bound_factor=0.01),
    _p("Lemma 11", "coupling bounds shrunk 100-fold ((a) has ~3000x slack; (b) falls)", bound_factor=0.01),
    _p("Lemma 11", "E(f^L)^2 decays like m^-1 instead of m^-1/2", claimed_exponents=(-1.0, -0.25)),
    _p("Lemma 12", "bound S_12 shrunk 1e5-fold (at defaults it is ~1.6e4 x the measured gap)", bound_factor=1e-5),
    _p("Lemma 12", "|L~ - L^Q| decays like m^-1", claimed_exponent=-1.0),
    _p("Lemma 13", "bound I+II+III shrunk 1e6-fold (it is ~1.3e5 x the measured gap)", bound_factor=1e-6),
    _p("Lemma 13", "gradient coupling decays like m^-1", claimed_exponent=-1.0),
    _p("Lemma 14", "bound shrunk 1e7-fold (it is ~8.7e5 x the measured gap)", bound_factor=1e-7),
    _p("Lemma 14", "Hessian coupling decays like m^-1", claimed_exponent=-1.0),
    # -- Section 5 (boundcheck.lemmas.expressivity, sample_complexity) -------------------------------
    _p("Theorem 7", "f^Q_{W*} error decays like m^-1", part="max_i", claimed_exponent=-1.0),
    _p("Theorem 7", "loss gap decays like m^-1", part="|L^Q(W*) - L(f*)|", claimed_exponent=-1.0),
    _p("Theorem 7", "printed ||W*||^4 bound with constant 32 pi shrunk 100-fold", part="P(|W*|^4",
       paper_constant=32 * math.pi / 100),
    _p("Lemma 9", "printed bound with 2 pi shrunk to 0.5", part="feature-map norm^2 <= paper bound",
       paper_constant=0.5),
    _p("Lemma 9", "printed bound with (p v 1)^3 lowered to (p v 1)^0", part="feature-map norm^2 <= paper bound",
       paper_exponent=0),
    _p("Lemma 9 coefficients", "c_p >= 1/(p v 1)^3 (2 pi dropped)", part="c_p >=", paper_constant=1.0),
    _p("Lemma 9 coefficients", "c_p >= 1/(2 pi (p v 1)^2) (exponent 3 -> 2)", part="c_p >=", paper_exponent=2),
    _p("Lemma 15", "printed bound with 2 pi shrunk to 1", part="<= paper bound", paper_constant=1.0),
    _p("Lemma 15", "E|w+|^4 + E|w-|^4 claimed 25% larger than it is", part="= |beta|^4 E a^2",
       claimed_value=5.0),
    _p("Section 5.2", "n_Q/n_L ~ d^-2 instead of d^-1", part="exponent in d", claimed_exponent_d=-2),
    _p("Section 5.2", "n_Q/n_L ~ p^2 instead of p", part="exponent in p", claimed_exponent_p=2),
    _p("Section 5.2", "n_Q/n_L flat in p (exponent 0 instead of 1)", part="exponent in p", claimed_exponent_p=0),
    _p("Section 5.2", "2-XOR n_Q/n_L ~ d^+1 instead of d^-1 (sign flipped)", part="2-XOR", claimed_xor_exponent_d=1),
    # -- Section 6 (boundcheck.lemmas.higher_order, expressivity) -------------------------------------
    _p("Section 6", "lower-order terms decay like m^-1 instead of m^-1/(2k)", claimed_exponent=-1.0),
    _p("Section 6 moments", "a symmetric +-1 pair for k = 1 (its first moments agree)", orders=(1,),
       pairs={1: ({Fraction(1): _HALF, Fraction(-1): _HALF}, {Fraction(0): Fraction(1)})}),
    _p("Section 6 moments", "the k = 1 pair offered for k = 2", orders=(2,),
       pairs={2: ({Fraction(1): Fraction(1)}, {Fraction(0): Fraction(1)})}),
    _p("Section 6 moments", "a pair whose third moments differ by 1 but first moments differ too", orders=(3,),
       pairs={3: ({Fraction(1): Fraction(1)}, {Fraction(0): Fraction(1)})}),
    # -- OPT (boundcheck.lemmas.opt) and learning curves (boundcheck.experiments.curve_cell) ----------------------
    _p("OPT bracket", "a lower bound on OPT raised by 1", lower_offset=1.0),
    _p("Learning curve cell", "NTK test loss <= 1e-7 at the default cell (measured about 4e-6)", accuracy=1e-7),
)


def is_slow(plant):
    """Whether a plant's check is slow at default settings (its flag, or its claim in ``SLOW_CLAIMS``)."""
    return plant.slow or plant.label in SLOW_CLAIMS


def planted_claims(planted=PLANTED, *, include_slow=True):
    """``(runnable, skipped)``: the plants whose claim is registered, and those whose claim is not."""
    registered = {label.lower() for label in claims()}
    runnable, skipped = [], []
    for plant in planted:
        if plant.label.lower() not in registered:
            skipped.append(plant)
        elif include_slow or not is_slow(plant):
            runnable.append(plant)
    return runnable, skipped


@functools.lru_cache(maxsize=64)
def _true_verdicts(label, seed):
    """Verdicts of the true claim at ``seed`` and default settings (cached: plants share them)."""
    claim = get_claim(label)
    out = claim.check(rng=np.random.default_rng(seed))
    records = out if isinstance(out, list) else [out]
    return tuple((str(r.params.get("part", "")), r.verdict) for r in records)


def run_planted(plant, *, seed=0):
    """Run one planted claim at default settings; return a row describing whether it was caught."""
    seed = validate.integer("seed", seed, minimum=0)
    claim = get_claim(plant.label)
    out = claim.check(rng=np.random.default_rng(seed), **plant.overrides)
    records = out if isinstance(out, list) else [out]
    positions = [i for i, r in enumerate(records) if plant.part is None or plant.part in str(r.params.get("part", ""))]
    if not positions:
        raise RuntimeError(f"planted {plant.name}: no record has a part containing {plant.part!r}")
    true = _true_verdicts(claim.label, seed)
    if len(true) == len(records):
        # record by record: a planted VIOLATED counts where the true claim's same record is not VIOLATED
        caught = any(records[i].verdict == VIOLATED and true[i][1] != VIOLATED for i in positions)
        true_violated = sum(true[i][1] == VIOLATED for i in positions)
    else:  # the plant changed the records' layout: no targeted record of the true claim may be VIOLATED
        true_targeted = [v for part, v in true if plant.part is None or plant.part in part]
        true_violated = sum(v == VIOLATED for v in true_targeted)
        caught = any(records[i].verdict == VIOLATED for i in positions) and true_violated == 0
    return {"claim": claim.label, "overrides": _overrides_text(plant), "change": plant.change,
            "targeted": len(positions), "violated": sum(records[i].verdict == VIOLATED for i in positions),
            "verdicts": " ".join(sorted({records[i].verdict for i in positions})),
            "true_violated": true_violated, "caught": bool(caught)}


def sensitivity(*, seed=0, include_slow=True, planted=PLANTED):
    """Run every runnable planted claim; rows of :func:`run_planted`, then one row per skipped plant."""
    runnable, skipped = planted_claims(planted, include_slow=include_slow)
    rows = [run_planted(p, seed=seed) for p in runnable]  # a loop over planted claims
    rows += [{"claim": p.label, "overrides": _overrides_text(p), "change": p.change,
              "caught": None, "verdicts": "not registered"} for p in skipped]
    return rows


def allowed_violation_rate(record):
    """The chance rate at which ``record`` (a to_dict record or CheckResult) may be VIOLATED when
    its claim is true: 1 - level for a record with an interval, ``failure_prob`` for a
    with-probability claim, 0 otherwise."""
    rec = record.to_dict() if hasattr(record, "to_dict") else record
    params = rec.get("params", {})
    if rec.get("interval") is not None:
        level = params.get("level", 0.95)
        return 1.0 - float(level)
    if "failure_prob" in params:
        return float(params["failure_prob"])
    return 0.0


def specificity(labels=None, *, n_seeds=200, first_seed=0, progress=False):
    """Run the true claims over ``n_seeds`` seeds at default settings; one row per claim.

    Columns: claim, seeds, records (checked in all), violated, rate (observed VIOLATED rate per
    record), allowed (the mean allowance of :func:`allowed_violation_rate`), p_value (one-sided
    binomial test of "no more violations than allowed", with each record at its own allowance
    approximated by the mean), ok (p_value >= 0.001; an exact record VIOLATED even once fails).
    """
    n_seeds = validate.integer("seeds", n_seeds, minimum=1)
    first_seed = validate.integer("first_seed", first_seed, minimum=0)
    if labels:
        chosen = [get_claim(label).label for label in labels]
    else:  # the paper's claims; building blocks kept out of the battery are not claims to test
        chosen = [label for label, claim in claims().items() if claim.battery]
    rows = []
    for label in chosen:  # a loop over claims, then over seeds: each check is batched inside
        claim = get_claim(label)
        seeds = range(first_seed, first_seed + n_seeds)
        if progress:
            from tqdm import tqdm

            seeds = tqdm(seeds, desc=label, unit="seed", leave=False)
        total = violated = 0
        allowances = []
        exact_violations = 0
        for seed in seeds:
            out = claim.check(rng=np.random.default_rng(seed))
            for rec in out if isinstance(out, list) else [out]:
                allowed = allowed_violation_rate(rec)
                total += 1
                allowances.append(allowed)
                if rec.verdict == VIOLATED:
                    violated += 1
                    exact_violations += allowed == 0.0
        mean_allowed = float(np.mean(allowances))
        if mean_allowed > 0:
            p_value = float(stats.binomtest(violated, total, mean_allowed, alternative="greater").pvalue)
        else:
            p_value = 1.0 if violated == 0 else 0.0
        rows.append({"claim": label, "seeds": n_seeds, "records": total, "violated": violated,
                     "rate": violated / total, "allowed": mean_allowed, "p_value": p_value,
                     "exact_violations": exact_violations,
                     "ok": bool(p_value >= 1e-3 and exact_violations == 0)})
    return rows
