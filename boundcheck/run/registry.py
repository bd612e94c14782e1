"""The registry of checks: a paper label ("Lemma 5") maps to the function that checks it.

A check is a function taking keyword arguments only: ``rng`` (a ``numpy.random.Generator``) and
any of the common options below, each with a fast default of its own. It returns a
:class:`~boundcheck.results.CheckResult` or a list of them. Modules under ``boundcheck.lemmas``
register their checks with :func:`register` when imported; :func:`claims` imports them all.

Common options (the command line passes only those a check's signature names):
``n_samples, width, dim, radius, input_radius, loss, activation, draws, level, instance``.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from typing import Callable

import numpy as np

from .. import _validate as validate
from ..results import CheckResult

__all__ = ["Claim", "register", "claims", "get_claim", "run_claim", "COMMON_OPTIONS", "NOT_COVERED"]

COMMON_OPTIONS = ("n_samples", "width", "dim", "radius", "input_radius", "loss", "activation", "draws",
                  "level", "instance")

_REGISTRY: dict[str, "Claim"] = {}

#: Paper results without a registered check yet; ``boundcheck verify --all`` prints them.
PAPER_RESULTS = (
    "Assumption A", "Symmetric init", "Randomized terms", "Equation 4 event", "Equation 4",
    "Section 3 scalings", "Lemma 1", "Theorem 2", "Corollary 3", "Theorem 4",
    "Lemma 5", "Theorem 6", "Theorem 7", "Lemma 8", "Lemma 9", "Lemma 9 coefficients", "Lemma 10", "Lemma 11", "Lemma 12",
    "Lemma 13", "Lemma 14", "Lemma 15", "Section 5.2", "Section 6", "Section 6 moments", "OPT bracket",
)


@dataclasses.dataclass(frozen=True)
class Claim:
    """A registered claim: its label, a one-line statement, where it is in the paper, its check."""

    label: str
    statement: str
    section: str
    check: Callable
    battery: bool = True

    def options(self):
        """The common options this check accepts."""
        names = inspect.signature(self.check).parameters
        return tuple(o for o in COMMON_OPTIONS if o in names)


def register(label, *, statement, section, battery=True):
    """Decorator: register ``func`` as the check of the claim ``label``.

    ``battery=False`` keeps a check out of ``verify --all`` (a building block for sweeps, such as
    one cell of a learning curve, rather than a claim of the paper).
    """

    def decorate(func):
        if label in _REGISTRY and _REGISTRY[label].check is not func:
            raise RuntimeError(f"claim {label!r} is registered twice")
        _REGISTRY[label] = Claim(label, statement, section, func, battery)
        return func

    return decorate


def _import_lemmas():
    from .. import lemmas

    for info in pkgutil.iter_modules(lemmas.__path__):
        importlib.import_module(f"{lemmas.__name__}.{info.name}")
    importlib.import_module("boundcheck.experiments.curve_cell")


def claims() -> dict[str, Claim]:
    """Every registered claim, in the order of the paper (the order of ``PAPER_RESULTS``)."""
    _import_lemmas()
    order = {label: i for i, label in enumerate(PAPER_RESULTS)}
    return dict(sorted(_REGISTRY.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def not_covered() -> list[str]:
    """Paper results that have no registered check."""
    registered = claims()
    return [label for label in PAPER_RESULTS if label not in registered]


def get_claim(label) -> Claim:
    """The registered claim called ``label`` (case and spacing are forgiven)."""
    registered = claims()
    key = " ".join(str(label).split()).lower()
    for name, claim in registered.items():
        if name.lower() == key:
            return claim
    listed = ", ".join(repr(n) for n in registered)
    raise validate.BoundcheckInputError(f"claim must be one of {listed}; got {label!r}")


def run_claim(label, *, seed=0, **options) -> list[CheckResult]:
    """Run the check of ``label`` with a Generator seeded by ``seed``; return its records.

    Options set to None are left to the check's own defaults; options the check does not take
    are ignored (so one set of options can drive every claim).
    """
    claim = get_claim(label)
    seed = validate.integer("seed", seed, minimum=0)
    accepted = claim.options()
    kwargs = {k: v for k, v in options.items() if v is not None and k in accepted}
    out = claim.check(rng=np.random.default_rng(seed), **kwargs)
    records = out if isinstance(out, list) else [out]
    for record in records:
        record.seed = seed
        record.params.setdefault("statement", claim.statement)
        if kwargs.get("loss") == "squared":
            from ..losses import SQUARED_WARNING

            record.params.setdefault("loss_warning", SQUARED_WARNING)
    return records
