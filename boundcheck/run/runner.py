r"""Running claims: options checked, one Generator per claim, the run calibrated, power on demand.

A *run* is one call of :func:`run_claims`: some claims at one seed. Its records are calibrated
together (:func:`boundcheck.results.calibrate`): the chance that any true claim of the run comes
out VIOLATED is at most ``alpha`` (default 5%), and every record says the level it used.

Seeds
    Claim ``c`` of a run with seed ``s`` draws from ``numpy.random.default_rng(s)``, whatever else
    the run holds, so ``boundcheck verify "Lemma 5" --seed s`` reproduces the battery's evidence
    for Lemma 5 (its level may differ: a run of one claim spends all of ``alpha`` on it).

Power on demand (``budget``)
    With ``budget = B > 1`` a record left INCONCLUSIVE is made decisive by looking again with
    more draws: look ``r = 2, 3, ...`` reruns its claim with ``2^(r-1)`` times the default effort
    (the claim's ``budget_options`` multiplied, or its ``budget`` argument), from the fresh
    Generator ``default_rng(SeedSequence(s, spawn_key=(r - 1,)))``, while the total effort
    ``1 + 2 + 4 + ...`` stays within ``B``. Look ``r`` spends the fraction :math:`6/(\pi^2 r^2)` of
    the record's share of ``alpha``; these fractions sum to 1 over *any* number of looks, so the
    sequence of intervals is an anytime-valid confidence sequence (a union bound over looks): the
    repeated looks, and stopping at the first decisive one, keep the run's level. A decided record
    keeps the verdict and the interval of the look that decided it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .. import _validate as validate
from .._threads import single_thread
from ..results import INCONCLUSIVE, VERDICTS, CheckResult, calibrate
from .. import errata
from .registry import PAPER_PACK, Claim, claims, get_claim

__all__ = ["Run", "run_claims", "run_claim", "resolve_options", "look_spend", "DEFAULT_ALPHA"]

DEFAULT_ALPHA = 0.05


def look_spend(look):
    r"""The fraction of a record's share of alpha spent at look ``look`` (1, 2, ...): :math:`6/(\pi^2 r^2)`."""
    return 6.0 / (math.pi**2 * look**2)


@dataclasses.dataclass
class Run:
    """The records of one run and what it was: seed, alpha, budget, claims, options left unused."""

    records: list
    seed: int
    alpha: float
    budget: float
    claims: list
    ignored_options: dict = dataclasses.field(default_factory=dict)
    looks: int = 1

    def counts(self) -> dict:
        """Records per verdict, and those outside their hypotheses."""
        out = {v: sum(r.verdict == v for r in self.records) for v in VERDICTS}
        out["outside hypotheses"] = sum(not r.within_hypotheses for r in self.records)
        return out

    def summary(self) -> dict:
        """Claims, records, verdict counts, records outside hypotheses, errata cited."""
        errata = sorted({e for r in self.records for e in r.params.get("errata", [])})
        return dict(claims=len(self.claims), records=len(self.records), **self.counts(), errata=len(errata),
                    alpha=self.alpha, seed=self.seed, budget=self.budget, looks=self.looks)

    def exit_status(self) -> int:
        """1 when a record is VIOLATED within its hypotheses, else 0 (2 is for bad input)."""
        return 1 if any(r.counts_against_paper for r in self.records) else 0


def resolve_options(chosen, options, *, strict):
    """Split ``options`` over the claims ``chosen``: ``({claim name: kwargs}, {option: [claims without it]})``.

    Options set to None are left to each check's default. ``strict`` (one claim, or the Python
    API): every option must be one the check takes. Otherwise each option must be taken by at
    least one chosen claim, and the second dict lists, per option, the claims that do not take it.
    """
    options = {k: v for k, v in (options or {}).items() if v is not None}
    per_claim, ignored = {}, {}
    for c in chosen:
        accepted = c.options()
        unknown = [k for k in options if k not in accepted]
        if strict and unknown:
            listed = ", ".join(sorted(accepted)) or "none"
            raise validate.BoundcheckInputError(
                f"option {unknown[0]!r} is not an option of claim {c.label!r}; its options are: {listed}")
        per_claim[c.name] = {k: v for k, v in options.items() if k in accepted}
        for k in unknown:
            ignored.setdefault(k, []).append(c.label)
    for k, without in ignored.items():
        if len(without) == len(chosen):
            raise validate.BoundcheckInputError(f"option {k!r} is not an option of any claim run here")
    return per_claim, ignored


def _records(c: Claim, out, seed, kwargs, plant=None):
    records = out if isinstance(out, list) else [out]
    if not records or not all(isinstance(r, CheckResult) for r in records):
        raise TypeError(f"the check of {c.name!r} must return a record or a list of records made by "
                        f"boundcheck.results (exact, worst_case, mean, paired, proportion, rate)")
    for r in records:
        if r.claim is not None and r.claim != c.label:
            raise RuntimeError(f"the check of {c.name!r} returned a record of {r.claim!r}")
        r.claim = c.label
        r.seed = seed
        r.params.setdefault("statement", c.statement)
        r.params.setdefault("pack", c.pack)
        if c.pack == PAPER_PACK:  # the errata register's entries about this record
            r.params["errata"] = errata.for_claim(c.label, r.params.get("part"))
        missing = [h for h in c.hypotheses if h not in r.params.get("hypotheses", {})]
        if missing:
            raise RuntimeError(f"the check of {c.name!r} declares the hypotheses {missing} but its record "
                               f"{r.params.get('part', '')!r} does not evaluate them")
        if kwargs.get("loss") == "squared":
            from ..losses import SQUARED_WARNING

            r.params.setdefault("loss_warning", SQUARED_WARNING)
    if plant is not None:
        records = [plant(c.name, i, r) for i, r in enumerate(records)]
    return records


def _scaled(c: Claim, kwargs, factor):
    """The check's keyword arguments at ``factor`` times its default effort."""
    if factor == 1:
        return dict(kwargs)
    out = dict(kwargs)
    defaults = c.options()
    if "budget" in defaults:
        out["budget"] = factor
    for name in c.budget_options:
        base = out.get(name, defaults[name])
        out[name] = int(math.ceil(validate.integer(name, base, minimum=1) * factor))
    return out


def _look_rng(seed, look):
    if look == 1:
        return np.random.default_rng(seed)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(look - 1,)))


def _look_factors(budget):
    """Effort multipliers of the looks within ``budget``: 1, 2, 4, ... while their sum stays <= budget."""
    factors, total = [1], 1
    while total + 2 * factors[-1] <= budget + 1e-9:
        factors.append(2 * factors[-1])
        total += factors[-1]
    return factors


def run_claims(labels=None, *, seed=0, alpha=DEFAULT_ALPHA, budget=1.0, options=None, strict=None,
               progress=False, plant=None) -> Run:
    """Run the claims ``labels`` (default: every battery claim) at one seed, calibrated as one run.

    Parameters
    ----------
    labels : list of str, optional
        Claim labels (bare or ``"pack: label"``); None runs every claim in the battery.
    seed : int
        Every claim draws from ``numpy.random.default_rng(seed)``.
    alpha : float
        The run's error rate: the chance that any true claim comes out VIOLATED.
    budget : float
        Total effort allowed per claim, in multiples of its default (>= 1); see the module docstring.
    options : dict
        Options for the checks; see :func:`resolve_options`.
    strict : bool, optional
        Reject an option any chosen claim does not take (default: when one claim is run).
    progress : bool
        Show a progress bar (tqdm) on standard error.
    plant : callable, optional
        ``plant(claim_name, index, record) -> record``, applied to every record a check returns
        (at every look) before the run is calibrated: the trust suite plants false claims with it
        (:meth:`boundcheck.results.CheckResult.with_claimed`).
    """
    seed = validate.integer("seed", seed, minimum=0, maximum=2**63 - 1)
    alpha = validate.probability("alpha", alpha)
    budget = float(budget)
    if not (math.isfinite(budget) and 1.0 <= budget <= 1024.0):
        raise validate.BoundcheckInputError(f"budget must be a number from 1 to 1024 (times the default effort); "
                                            f"got {budget!r}")
    if labels is None:
        chosen = [c for c in claims().values() if c.battery]
    else:
        chosen = []
        for label in labels:
            c = get_claim(label)
            if c not in chosen:
                chosen.append(c)
    if not chosen:
        raise validate.BoundcheckInputError("labels must name at least one claim")
    per_claim, ignored = resolve_options(chosen, options, strict=len(chosen) == 1 if strict is None else strict)
    bar = None
    if progress:
        import sys

        from tqdm import tqdm

        bar = tqdm(total=len(chosen), desc="boundcheck", unit="claim", file=sys.stderr)
    spans, records = {}, []
    for c in chosen:  # a loop over claims: each check is batched inside
        if bar is not None:
            bar.set_postfix_str(c.label)
        with single_thread():  # the thread policy (boundcheck._threads): large operations opt into more
            out = _records(c, c.check(rng=_look_rng(seed, 1), **per_claim[c.name]), seed, per_claim[c.name], plant)
        spans[c.name] = (len(records), len(records) + len(out))
        records.extend(out)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    factors = _look_factors(budget)
    if len(factors) == 1:
        return Run(calibrate(records, alpha), seed, alpha, budget, [c.name for c in chosen], ignored, 1)
    looks = {i: (1, look_spend(1)) for i, r in enumerate(records) if r.has_interval}
    current = calibrate(records, alpha, looks=looks)
    for look, factor in enumerate(factors[1:], start=2):  # a loop over looks of power on demand
        for c in chosen:
            start, stop = spans[c.name]
            open_ = [i for i in range(start, stop) if current[i].has_interval and current[i].verdict == INCONCLUSIVE]
            if not open_:
                continue
            kwargs = _scaled(c, per_claim[c.name], factor)
            with single_thread():
                again = _records(c, c.check(rng=_look_rng(seed, look), **kwargs), seed, kwargs, plant)
            if len(again) != stop - start:  # the records no longer line up: leave this claim's verdicts
                continue
            for i in open_:
                records[i] = again[i - start]
                records[i].params.update(look=look, effort=factor)
                looks[i] = (look, look_spend(look))
        current = calibrate(records, alpha, looks=looks)
    return Run(current, seed, alpha, budget, [c.name for c in chosen], ignored, len(factors))


def run_claim(label, *, seed=0, alpha=DEFAULT_ALPHA, budget=1.0, **options) -> list:
    """Run one claim (a run of its own); return its calibrated records.

    An option the check does not take is an error (``BoundcheckInputError``), not ignored.
    """
    return run_claims([label], seed=seed, alpha=alpha, budget=budget, options=options, strict=True).records

