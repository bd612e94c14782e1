r"""The errata register: where the paper's printed statements and their proofs part ways.

Every finding of boundcheck about the printed text of Bai & Lee (ICLR 2020) is one
:class:`Erratum` of ``errata.toml`` (beside this module): the claims it concerns, the printed text
quoted verbatim from the source with its line numbers, what the proof gives, both numbers at a
stated setting, and a status from :data:`STATUSES`:

``typo``
    a symbol or factor is missing or wrong, and the rest of the paper shows the intended one;
``looser but valid``
    the printed bound holds but is weaker than what the proof gives;
``wrong``
    the printed statement does not follow from its proof;
``OCR-uncertain``
    the extracted text cannot settle what is printed; the entry says which reading it takes;
``convention``
    no disagreement: a hidden constant, an upper bound read as a size, a power settled elsewhere.

:func:`recompute` computes each entry's two numbers from the package's own functions
(``symbolic/``, ``numeric/``, ``complexity``), and ``tests/test_errata.py`` checks them against
the register, so the register cannot drift from the code. :func:`for_claim` gives the ids that
concern a claim (and a record's part), for ``params["errata"]``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tomllib
from importlib import resources

from . import _validate as validate

__all__ = ["STATUSES", "Erratum", "entries", "get", "for_claim", "recompute", "check", "rows", "REGISTER_FILE",
           "SOURCE_NAME"]

STATUSES = ("typo", "looser but valid", "wrong", "OCR-uncertain", "convention")
REGISTER_FILE = "errata.toml"
#: The source the quotes and line numbers refer to (see the seeds README of the project).
SOURCE_NAME = "002_383946ca5e7de7ea.txt"


@dataclasses.dataclass(frozen=True)
class Erratum:
    """One finding: what is printed, what the proof gives, both numbers, a status."""

    id: str
    claims: tuple
    parts: tuple
    title: str
    status: str
    printed: str
    derived: str
    setting: str
    printed_value: float
    derived_value: float
    quotes: tuple  # ((line, text), ...), verbatim from SOURCE_NAME
    note: str = ""
    code: str = ""

    @property
    def claim(self):
        """The main claim label (the first of ``claims``)."""
        return self.claims[0]

    @property
    def lines(self):
        return tuple(line for line, _ in self.quotes)

    def concerns(self, label, part=None):
        """Whether this entry concerns claim ``label`` (and, when given, the record part ``part``)."""
        if label not in self.claims:
            return False
        if part is None or not self.parts:
            return True
        text = str(part).lower()
        return any(p.lower() in text for p in self.parts)


def _load(text):
    data = tomllib.loads(text)
    out = []
    for raw in data.get("erratum", []):  # a loop over the register's entries
        entry = Erratum(id=raw["id"], claims=tuple(raw["claims"]), parts=tuple(raw.get("parts", ())),
                        title=raw["title"], status=raw["status"], printed=" ".join(raw["printed"].split()),
                        derived=" ".join(raw["derived"].split()), setting=" ".join(raw["setting"].split()), printed_value=float(raw["printed_value"]),
                        derived_value=float(raw["derived_value"]),
                        quotes=tuple((int(q["line"]), q["text"]) for q in raw.get("quotes", ())),
                        note=" ".join(raw.get("note", "").split()), code=raw.get("code", ""))
        if entry.status not in STATUSES:
            raise ValueError(f"erratum {entry.id}: status must be one of {', '.join(STATUSES)}; got {entry.status!r}")
        out.append(entry)
    ids = [e.id for e in out]
    if len(set(ids)) != len(ids):
        raise ValueError(f"errata ids must be unique; got {ids}")
    return tuple(out)


@functools.lru_cache(maxsize=1)
def entries():
    """Every :class:`Erratum` of the register, in the order of the paper."""
    return _load(resources.files(__package__).joinpath(REGISTER_FILE).read_text(encoding="utf-8"))


def get(erratum_id):
    """The entry called ``erratum_id`` (e.g. ``"E3"``)."""
    for entry in entries():
        if entry.id.lower() == str(erratum_id).strip().lower():
            return entry
    known = ", ".join(e.id for e in entries())
    raise validate.BoundcheckInputError(f"erratum must be one of {known}; got {erratum_id!r}")


def for_claim(label, part=None):
    """Ids of the entries that concern the claim ``label`` (and the record part ``part``, when given).

    ``part`` is a record's ``params["part"]``: an entry that names parts applies to records whose
    part contains one of them; an entry without parts applies to every record of the claim.
    """
    if not isinstance(label, str):
        raise TypeError(f"label must be a claim label (str); got {label!r}")
    return [e.id for e in entries() if e.concerns(label, part)]


# --------------------------------------------------------------------------------------------
# the two numbers of each entry, from the package's own functions


def _e1():
    import sympy as sp

    from .network import equation4_bound
    from .symbolic.constants import equation4_threshold

    m, d, delta = sp.symbols("m d delta", positive=True)
    printed = float(equation4_threshold("m/d").subs({m: 100, d: 10, delta: sp.Rational(1, 10)}))
    return printed, equation4_bound(100, 10, 0.1)


def _e2():
    import sympy as sp

    from .complexity import exponent
    from .symbolic.scalings import m, quadratic_term_second_moment

    return 0.0, float(exponent(sp.sqrt(quadratic_term_second_moment("all")), m))


def _e3():
    import numpy as np
    import sympy as sp

    from .complexity import eps, exponent, width_condition6_parts
    from .numeric.landscape import lemma1_bound

    inv = sp.Symbol("inv_eps", positive=True)
    printed = -1 / float(exponent(width_condition6_parts()["(15)"].subs(eps, 1 / inv), inv))
    # the bound at two widths with the same ||W||_{2,4}, ||W_*||_{2,4} and t (rows of w_init all e_1)
    values = []
    for width in (64, 1024):
        w_init = np.zeros((width, 3))
        w_init[:, 0] = 1.0
        rows = np.ones((width, 3)) * width ** -0.25
        values.append(lemma1_bound(w_init, rows, 2 * rows))
    return printed, math.log(values[1] / values[0]) / math.log(1024 / 64)


def _e4():
    import numpy as np

    from .numeric.regularizer import corollary3_needed_constant
    from .symbolic.constants import corollary3_proof_constant

    needed = corollary3_needed_constant(np.eye(2, 3), rng=np.random.default_rng(0))
    return float(corollary3_proof_constant()), needed["constant"]


def _e5():
    import numpy as np

    from .numeric.landscape import regularizer, regularizer_gradient

    w = np.random.default_rng(0).standard_normal((6, 3))
    return 8.0, float(np.sum(regularizer_gradient(w, 1.0) * w) / regularizer(w, 1.0))


def _e6():
    from .symbolic.constants import lemma5_loss_class_coefficients

    coef = lemma5_loss_class_coefficients()
    return float(coef["printed"]), float(coef["derived"])


def _e7():
    from .numeric.opnorm import m_op_reference

    ref = m_op_reference("anisotropic", 1000, 100, condition=10.0)
    return ref["paper"], ref["derived"]


def _e8():
    from .complexity import width_theorem7

    kw = dict(accuracy=0.1)
    return 1.0, (width_theorem7(1000, 20, 4, failure_prob=0.01, **kw)["width"]
                 / width_theorem7(1000, 20, 4, failure_prob=0.1, **kw)["width"])


def _e9():
    import sympy as sp

    from .complexity import beta_power_normalized, width_theorem7
    from .symbolic.expressivity import lemma15_paper_bound

    # the printed form's p-factor: its width over n d alpha^2 (B_x |beta|)^2p / eps^2
    printed = width_theorem7(1000, 20, 4, accuracy=0.1)["width_printed_form"]
    printed /= 1000 * 20 * float(beta_power_normalized(4, 20)) / 0.1**2
    return printed, float(lemma15_paper_bound(4, 1, 1, 1) / (2 * sp.pi))


def _e10():
    from .symbolic.expressivity import theorem7_expected_norm, theorem7_paper_norm_bound

    return float(theorem7_paper_norm_bound(4, 1, 1, 1, failure_prob=0.1)), float(theorem7_expected_norm(4, 1, 1, 1))


def _e11():
    from .complexity import crossover_rows

    row = crossover_rows("single", 4, ntk_constants=(1.0,), accuracy=0.1, failure_probs=(0.1,))[0]
    return row["d_star_stated"], row["d_star_explicit"]


def _e12():
    from .symbolic.constants import lemma8_bounds

    forms = lemma8_bounds()
    ell = math.log(2 * 100 * 10)
    return float(forms["printed"].subs(forms["L"], ell)), float(forms["derived"].subs(forms["L"], ell))


def _e13():
    from .symbolic.kernels import kernel_coefficient, paper_lower_bound

    return float(paper_lower_bound(2)), float(kernel_coefficient(1, 2))


def _e14():
    from .symbolic.expressivity import feature_map_norm_sq, lemma9_paper_bound

    return float(lemma9_paper_bound(4, 1, 1, 1)), float(feature_map_norm_sq(4, 1, 1, 1))


def _e15():
    from .symbolic.expressivity import lemma15_identity_by_quadrature

    printed, _ = lemma15_identity_by_quadrature(0.5, 4, coef=1.0)  # a represents (beta.x)^(p-2), as (23) prints
    derived, _ = lemma15_identity_by_quadrature(0.5, 4, coef=2.0)  # a represents alpha (beta.x)^(p-2)
    return float(printed), float(derived)


def _e16():
    from .symbolic.expressivity import lemma15_paper_bound, lemma15_second_moment

    return float(lemma15_paper_bound(4, 1, 1, 1)), float(lemma15_second_moment(4, 1, 1, 1))


_COMPUTE = {"E1": _e1, "E2": _e2, "E3": _e3, "E4": _e4, "E5": _e5, "E6": _e6, "E7": _e7, "E8": _e8, "E9": _e9,
            "E10": _e10, "E11": _e11, "E12": _e12, "E13": _e13, "E14": _e14, "E15": _e15, "E16": _e16}

#: Relative tolerance of :func:`check`: root finding (E11) and the restarted search (E4) are
#: reproducible to far better than this; the rest are closed forms.
REL_TOL = 1e-6


def recompute(erratum_id):
    """``(printed, derived)`` of entry ``erratum_id``, computed now from the package's functions."""
    entry = get(erratum_id)
    if entry.id not in _COMPUTE:
        raise KeyError(f"erratum {entry.id} has no recompute function; add one to boundcheck.errata._COMPUTE")
    printed, derived = _COMPUTE[entry.id]()
    return float(printed), float(derived)


def check(entry, *, rel_tol=REL_TOL):
    """Whether ``entry``'s stored numbers equal :func:`recompute`'s; returns ``(ok, (printed, derived))``."""
    printed, derived = recompute(entry.id)
    ok = (math.isclose(printed, entry.printed_value, rel_tol=rel_tol, abs_tol=1e-12)
          and math.isclose(derived, entry.derived_value, rel_tol=rel_tol, abs_tol=1e-12))
    return ok, (printed, derived)


def rows(ids=None, *, claim=None, wide=True, with_recomputed=False):
    """The register as row dicts (one per entry) for :func:`boundcheck.report.tables.format_output`.

    ``claim`` keeps the entries of one claim; ``wide=False`` keeps the short columns (id, claim,
    status, printed, derived, setting, both numbers); ``with_recomputed`` adds the numbers
    :func:`recompute` gives now and whether they match.
    """
    chosen = [get(i) for i in ids] if ids else list(entries())
    if claim is not None:
        chosen = [e for e in chosen if claim in e.claims]
    out = []
    for e in chosen:  # a loop over register entries
        row = {"id": e.id, "claim": ", ".join(e.claims), "status": e.status, "title": e.title,
               "printed": e.printed, "derived": e.derived, "setting": e.setting,
               "printed_value": e.printed_value, "derived_value": e.derived_value}
        if wide:
            row.update(lines=", ".join(str(line) for line in e.lines),
                       quotes=" | ".join(f"{line}: {text}" for line, text in e.quotes),
                       note=e.note, code=e.code, parts=", ".join(e.parts))
        if with_recomputed:
            ok, (printed, derived) = check(e)
            row.update(printed_recomputed=printed, derived_recomputed=derived, matches=ok)
        out.append(row)
    return out
