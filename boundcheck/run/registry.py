r"""The registry of claims: a label ("Lemma 5") names the function that checks it.

Writing a claim
---------------
A claim is one function, registered with :func:`claim`, that takes keyword arguments only --
``rng`` (a ``numpy.random.Generator``, always passed) and the claim's options, each with a fast
default -- and returns one record or a list of them, made by the constructors of
:mod:`boundcheck.results` (``exact``, ``worst_case``, ``mean``, ``paired``, ``proportion``,
``rate``) or by :func:`boundcheck.search.for_every`::

    import boundcheck as bc

    @bc.claim("Quadratic model is small", statement="|f^Q_W(x)| <= B_x^2 ||W||_{2,4}^2 / 2",
              section="my note, Lemma 1", pack="my-note", hypotheses=(bc.hyp.BALL,))
    def quadratic_is_small(*, rng, width=256, dim=8, draws=64):
        ...
        return bc.worst_case(lhs, rhs, "<=", hypotheses=bc.hyp.inputs_in_ball(x, radius))

The runner (:mod:`boundcheck.run.runner`) does the rest: it rejects options the function does not
take, gives every record its level so that the run's error rate is controlled, checks that each
declared hypothesis was evaluated, and draws more when asked to (``budget_options``).

Packs
-----
Every claim belongs to a pack (``"bai-lee-2020"`` for the paper's own checks); its full label is
``"<pack>: <label>"``. Packs are found through the entry-point group ``boundcheck.claims`` (each
entry names a module or package whose modules register claims when imported), and a claim file
outside any package is loaded with :func:`load_claims_file` (``boundcheck verify --claims
FILE.py``). A bare label resolves to the Bai & Lee pack first, so ``"Lemma 5"`` keeps working.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import os
import pkgutil
import sys
from importlib.metadata import entry_points
from typing import Callable

from .. import _validate as validate

__all__ = ["Claim", "claim", "claims", "get_claim", "load_claims_file", "load_pack", "packs", "not_covered",
           "PAPER_PACK", "PAPER_RESULTS", "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "boundcheck.claims"
PAPER_PACK = "bai-lee-2020"
#: Packs the package ships (also declared as entry points in setup.cfg); used when the package
#: runs from a source tree whose metadata is not installed.
BUILTIN_PACKS = {
    PAPER_PACK: "boundcheck.lemmas",
    "nichani-bai-lee-2022": "boundcheck.packs.nichani2022",
    "experiments": "boundcheck.experiments.curve_cell",
}

_REGISTRY: dict[str, "Claim"] = {}
_LOADED: set[str] = set()

#: The paper's numbered results; ``boundcheck verify --all`` prints any without a check.
PAPER_RESULTS = (
    "Assumption A", "Symmetric init", "Randomized terms", "Equation 4 event", "Equation 4",
    "Section 3 scalings", "Lemma 1", "Theorem 2", "Corollary 3", "Theorem 4",
    "Lemma 5", "Theorem 6", "Theorem 7", "Lemma 8", "Lemma 9", "Lemma 9 coefficients", "Lemma 10", "Lemma 11",
    "Lemma 12", "Lemma 13", "Lemma 14", "Lemma 15", "Section 5.2", "Section 6", "Section 6 moments", "OPT bracket",
)


@dataclasses.dataclass(frozen=True)
class Claim:
    """A registered claim: label, pack, one-line statement, place in the source, and its check.

    ``hypotheses`` names the hypotheses every record of the check evaluates
    (:mod:`boundcheck.hypotheses`); ``budget_options`` names integer options that power on
    demand multiplies (e.g. ``"draws"``; a check that takes ``budget`` gets the factor itself).
    """

    label: str
    pack: str
    statement: str
    section: str
    check: Callable
    battery: bool = True
    hypotheses: tuple = ()
    budget_options: tuple = ()

    @property
    def name(self):
        """The full label, ``"<pack>: <label>"``."""
        return f"{self.pack}: {self.label}"

    @property
    def where(self):
        """``module::function`` of the check, for listings."""
        module = self.check.__module__.replace("boundcheck.", "", 1).replace(".", "/")
        return f"{module}.py::{self.check.__name__}"

    def options(self) -> dict:
        """The check's options and their defaults (every keyword but ``rng``)."""
        out = {}
        for name, par in inspect.signature(self.check).parameters.items():
            if name != "rng" and par.kind in (par.KEYWORD_ONLY, par.POSITIONAL_OR_KEYWORD):
                out[name] = None if par.default is inspect.Parameter.empty else par.default
        return out


def claim(label, *, statement, section, pack="user", battery=True, hypotheses=(), budget_options=None):
    """Decorator: register ``func`` as the check of the claim ``label`` in ``pack``.

    Parameters
    ----------
    label : str
        The claim's label within its pack, e.g. ``"Lemma 5"``.
    statement : str
        The claim in one line, as the source states it.
    section : str
        Where the source states and proves it.
    pack : str
        The pack (paper, note) the claim belongs to.
    battery : bool
        False keeps the check out of ``verify --all`` (a building block for sweeps).
    hypotheses : tuple of str
        Names of the hypotheses each record evaluates (:mod:`boundcheck.hypotheses`).
    budget_options : tuple of str, optional
        Integer options that power on demand multiplies; default ``("draws",)`` when the check
        takes ``draws``.
    """
    label = " ".join(str(label).split())
    pack = " ".join(str(pack).split())
    if not label or ":" in label:
        raise ValueError(f"label must be non-empty text without ':'; got {label!r}")
    if not pack or ":" in pack:
        raise ValueError(f"pack must be non-empty text without ':'; got {pack!r}")

    def decorate(func):
        params = inspect.signature(func).parameters
        if "rng" not in params or params["rng"].kind != inspect.Parameter.KEYWORD_ONLY:
            raise TypeError(f"the check of {label!r} must take rng as a keyword-only argument")
        scaled = budget_options
        if scaled is None:
            scaled = ("draws",) if "draws" in params else ()
        unknown = [name for name in scaled if name not in params]
        if unknown:
            raise TypeError(f"budget_options of {label!r} name options its check does not take: {unknown}")
        entry = Claim(label, pack, str(statement), str(section), func, bool(battery), tuple(hypotheses),
                      tuple(scaled))
        old = _REGISTRY.get(entry.name)
        if old is not None and (old.check.__module__, old.check.__qualname__) != (func.__module__, func.__qualname__):
            raise RuntimeError(f"claim {entry.name!r} is registered twice ({old.where} and {entry.where})")
        _REGISTRY[entry.name] = entry
        return func

    return decorate


# ------------------------------------------------------------------------------------------------
# packs


def _import_all(module_name):
    """Import a module, and every module of it when it is a package."""
    module = importlib.import_module(module_name)
    if hasattr(module, "__path__"):
        for info in pkgutil.iter_modules(module.__path__):
            importlib.import_module(f"{module_name}.{info.name}")
    return module


def packs() -> dict[str, str]:
    """Pack name -> module, from the ``boundcheck.claims`` entry points and the built-in packs."""
    found = dict(BUILTIN_PACKS)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found[ep.name] = ep.value
    return found


def load_pack(name):
    """Import the modules of pack ``name`` (their claims register themselves)."""
    known = packs()
    if name not in known:
        raise validate.BoundcheckInputError(f"pack must be one of {sorted(known)}; got {name!r}")
    if name not in _LOADED:
        _import_all(known[name])
        _LOADED.add(name)


def load_claims_file(path):
    """Import a user's claim module from ``path`` (a ``.py`` file); return the labels it registered.

    This runs the file's Python code, as pytest runs a test file: it is for claim files the user
    wrote, named on the command line (``--claims``), never for text read from a configuration.
    """
    path = os.fspath(path)
    if not path.endswith(".py"):
        raise validate.BoundcheckInputError(f"--claims must name a Python file ending in .py; got {path!r}")
    if not os.path.isfile(path):
        raise validate.BoundcheckInputError(f"--claims: no such file {path!r}")
    full = os.path.realpath(path)
    module_name = "boundcheck_user_claims_" + "".join(c if c.isalnum() else "_" for c in full)
    before = set(_REGISTRY)
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, full)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
    return [name for name in _REGISTRY if name not in before]


def claims(*, pack=None) -> dict[str, Claim]:
    """Every registered claim (full label -> Claim), the paper's in the order of the paper.

    Loads every known pack first. ``pack`` keeps one pack.
    """
    for name in packs():
        load_pack(name)
    order = {label: i for i, label in enumerate(PAPER_RESULTS)}

    def key(item):
        c = item[1]
        return (c.pack != PAPER_PACK, c.pack, order.get(c.label, len(order)), c.label)

    return {name: c for name, c in sorted(_REGISTRY.items(), key=key) if pack is None or c.pack == pack}


def not_covered() -> list[str]:
    """Paper results that have no registered check."""
    paper = {c.label for c in claims(pack=PAPER_PACK).values()}
    return [label for label in PAPER_RESULTS if label not in paper]


def _key(text):
    return " ".join(str(text).split()).lower()


def get_claim(label) -> Claim:
    """The claim called ``label``: a full label ``"pack: label"``, or a bare label (case and spacing
    are forgiven) that resolves to the paper's pack first, then to the only pack that has it."""
    registered = claims()
    wanted = _key(label)
    for name, c in registered.items():
        if _key(name) == wanted:
            return c
    bare = [c for c in registered.values() if _key(c.label) == wanted]
    paper = [c for c in bare if c.pack == PAPER_PACK]
    if paper:
        return paper[0]
    if len(bare) == 1:
        return bare[0]
    if len(bare) > 1:
        listed = ", ".join(repr(c.name) for c in bare)
        raise validate.BoundcheckInputError(f"claim {label!r} is in several packs; name one of {listed}")
    listed = ", ".join(repr(c.label if c.pack == PAPER_PACK else c.name) for c in registered.values())
    raise validate.BoundcheckInputError(f"claim must be one of {listed}; got {label!r}")
