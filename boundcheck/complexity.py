r"""Predicted sample sizes and widths: Section 5.2 of the paper, the blog post, the NBL slides.

Every prediction is a sympy expression in the symbols of :data:`SYMBOLS` together with the number
it takes at given (d, p, epsilon). Two forms:

``form="explicit"`` (default)
    what the proofs give: the factors they make explicit (:math:`32\pi`, :math:`1/\delta` from
    Theorem 7's Markov step, :math:`\log(2dm)\log(mn)` from Lemma 8 and the sub-exponential max
    in Theorem 6) stay in; only their absolute constants are hidden.
``form="stated"``
    the :math:`\tilde O(\cdot)` form printed in Section 5.2 (logarithms and constants dropped).

Hidden constants are one named parameter, ``constant`` (default 1): every row says
``constant=1 (hidden constant)`` so nobody reads a number as a rigorous sample size.

Predictions (``learner`` names):

single target :math:`\alpha(\beta^\top x)^p` on :math:`S^{d-1}(B_x)`, normalised so that
:math:`\|\alpha(\beta^\top x)^p\|_{L_2} = |\alpha|` (so
:math:`(B_x\|\beta\|)^{2p} = 2^p (d/2)_p / (2p-1)!!`, which puts d into the bounds):

* ``ntk`` (upper, Arora et al. 2019b as quoted in Section 5.2):
  :math:`n_L = C p^2\alpha^2 (B_x\|\beta\|)^{2p}/\epsilon^2`;
* ``quadratic`` (upper, Theorems 6 + 7 with :math:`M_{x,op}^2 = \kappa/d`):
  :math:`n_Q = C\,B_x^4 B_{w,\star}^4 M_{x,op}^2 \log(2dm)\log(mn)/\epsilon^2` with Theorem 7's
  :math:`B_{w,\star}^4 = 32\pi((p-2)\vee1)^3\alpha^2 B_x^{2(p-2)}\|\beta\|^{2p}/\delta`;
  stated: :math:`C p^3\alpha^2\|\beta\|^{2p}/(d\epsilon^2)`; also :math:`n \ge d` (Theorem 6(b));
* ``ntk_lower`` (lower, any inner-product kernel on the sphere, Ghorbani et al.): :math:`C d^p`;
* ``hierarchical`` (upper, the blog's three-layer learner): :math:`C d^{p/2}`.

noisy 2-XOR on :math:`\{\pm1\}^d` (:math:`B_x = \sqrt d`, :math:`M_{x,op}^2 = 1/d`):

* ``quadratic``: :math:`C\,16\pi d\log(2dm)\log(mn)/(\delta\epsilon^2)` (stated :math:`C d/\epsilon^2`);
* ``ntk_lower`` (Wei et al. 2019): :math:`C d^2/\epsilon^2`.

low-degree plus sparse :math:`f_{\le k} + \sum_j(\beta_j^\top x)^{k+1}` with k = degree - 1 (slides):

* ``ntk+quadntk`` (upper): :math:`C d^k`; ``ntk_lower`` and ``quadntk_lower``: :math:`C d^{k+1}`.

Widths: :func:`width_theorem2` (condition (6)), :func:`width_theorem7`, :func:`width_theorem4`.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import sympy as sp

from . import _validate as validate

__all__ = [
    "SYMBOLS", "TARGETS", "FORMS", "Prediction", "predictions", "prediction_rows", "grid_rows", "exponent",
    "ratio_expression", "crossover_dim", "beta_power_normalized", "width_theorem2", "width_theorem7",
    "width_theorem4", "width_rows", "HIDDEN_NOTE", "width_condition6_parts", "theorem7_covers", "predicted_size",
    "crossover_rows", "comparison_rows", "learner_constant", "NTK_SIDE", "COMPARED",
]

d, p, eps, delta, C, n, m = sp.symbols("d p epsilon delta C n m", positive=True)
alpha, kappa, B_x, B_w, B_ws, gamma, opt = sp.symbols("alpha kappa B_x B_w B_w_star gamma OPT", positive=True)
#: The symbols every expression is written in (paper symbol -> sympy symbol).
SYMBOLS = {"d": d, "p": p, "epsilon": eps, "delta": delta, "C": C, "n": n, "m": m, "alpha": alpha,
           "kappa": kappa, "B_x": B_x, "B_w": B_w, "B_w_star": B_ws, "gamma": gamma, "OPT": opt}
TARGETS = ("single", "xor", "sparse")
FORMS = ("explicit", "stated")
HIDDEN_NOTE = "hidden constant C={:g} (the proofs' absolute constants are unknown; default 1)"


def beta_power_normalized(degree=p, dim=d):
    r""":math:`(B_x\|\beta\|)^{2p}` that makes :math:`\|(\beta^\top x)^p\|_{L_2(\mathrm{Unif}\,S^{d-1}(B_x))} = 1`.

    :math:`E_u[u_1^{2p}] = (2p-1)!!/\prod_{j<p}(d+2j)` for u uniform on the unit sphere, so
    :math:`(B_x\|\beta\|)^{2p} = \prod_{j<p}(d+2j)/(2p-1)!! = 2^p (d/2)_p/(2p-1)!!`.
    """
    return 2**degree * sp.rf(dim / 2, degree) / sp.factorial2(2 * degree - 1)


def _log_factor():
    """Theorem 6's explicit logarithms: log(2dm) (Lemma 8) times log(mn) (max of sub-exponentials)."""
    return sp.log(2 * d * m) * sp.log(m * n)


def theorem7_covers(degree):
    """Whether Theorem 7 (via Lemma 15) covers degree p: p - 2 in {1} or an even number >= 0."""
    return degree >= 2 and (degree - 2 == 1 or (degree - 2) % 2 == 0)


def _cube_factor(degree):
    return sp.Max(degree - 2, 1) ** 3


@dataclasses.dataclass(frozen=True)
class Prediction:
    """One predicted sample size: who, upper or lower bound, the expression, where it comes from."""

    learner: str
    target: str
    bound: str  # "upper" or "lower"
    expression: sp.Expr
    source: str
    note: str = ""
    implicit: bool = False  # the expression holds n (and m) inside its logarithms

    def free(self):
        return self.expression.free_symbols


def _single(form, degree, *, normalized=True):
    size = beta_power_normalized(degree) if normalized else sp.Symbol("b2p", positive=True)
    n_l = C * degree**2 * alpha**2 * size / eps**2
    if form == "explicit":
        n_q = C * 32 * sp.pi * _cube_factor(degree) * alpha**2 * size * kappa * _log_factor() / (delta * d * eps**2)
        q_note = ("Theorem 6 x Theorem 7: B_x^4 B_w*^4 M_op^2 log(2dm) log(mn)/eps^2 with B_w*^4 = "
                  "32 pi ((p-2) v 1)^3 alpha^2 B_x^(2p-4) |beta|^(2p)/delta and M_op^2 = kappa/d (isotropic); "
                  "needs n >= d; coupling terms of Theorem 6 dropped (m large)")
    else:
        n_q = C * degree**3 * alpha**2 * size / (d * eps**2)
        q_note = "Section 5.2 as printed (O~, p^3 from Theorem 7's B_w*^4 = O~(p^3 ...)); needs n >= d"
    if not isinstance(degree, sp.Basic) and not theorem7_covers(degree):
        q_note += f"; Theorem 7 does not cover p = {degree} (needs p - 2 in {{1}} or even), formula extrapolated"
    return [
        Prediction("ntk", "single", "upper", n_l, "Arora et al. 2019b via Section 5.2 (n_L)",
                   "their log(n/delta)/n term is lower order and omitted"),
        Prediction("quadratic", "single", "upper", n_q, "Theorems 6, 7 / Section 5.2 (n_Q)", q_note,
                   implicit=form == "explicit"),
        Prediction("ntk_lower", "single", "lower", C * d**degree,
                   "Ghorbani et al. (inner-product kernels on the sphere), blog, slides [2]",
                   "n below d^(p - o(1)) cannot fit the degree-p part; no epsilon dependence"),
        Prediction("hierarchical", "single", "upper", C * d ** (sp.Rational(1, 2) * degree),
                   "blog: three-layer hierarchical learner, O~(poly(r*, p) d^(p/2))",
                   "poly(r*, p), logs and the epsilon dependence are not stated in the blog"),
    ]


def _xor(form):
    if form == "explicit":
        n_q = C * 16 * sp.pi * d * _log_factor() / (delta * eps**2)
        q_note = ("B_x^2 = d, M_op^2 = 1/d, B_w*^4 = 2 x 8 pi/delta (Theorem 7 at p = 2, alpha = 1/4, "
                  "|beta|^2 = 2, twice; the additivity constant is hidden)")
    else:
        n_q = C * d / eps**2
        q_note = "Section 5.2 as printed: O~(d/eps^2)"
    return [
        Prediction("quadratic", "xor", "upper", n_q, "Theorems 6, 7 / Section 5.2 (noisy 2-XOR)", q_note,
                   implicit=form == "explicit"),
        Prediction("ntk_lower", "xor", "lower", C * d**2 / eps**2, "Wei et al. 2019 via Section 5.2",
                   "lower bound for the linear NTK"),
    ]


def _sparse(degree):
    k = degree - 1
    note = "slides: x on the sphere of radius sqrt(d), width poly(d); epsilon dependence not stated"
    return [
        Prediction("ntk+quadntk", "sparse", "upper", C * d**k, "Nichani, Bai & Lee 2022 (slides)", note),
        Prediction("ntk_lower", "sparse", "lower", C * d ** (k + 1), "Nichani, Bai & Lee 2022 (slides)",
                   "NTK alone needs Omega(d^(k+1))"),
        Prediction("quadntk_lower", "sparse", "lower", C * d ** (k + 1), "Nichani, Bai & Lee 2022 (slides)",
                   "QuadNTK alone needs Omega(d^(k+1))"),
    ]


def predictions(target, degree=p, *, form="explicit"):
    """The list of :class:`Prediction` for ``target`` (one of ``TARGETS``); ``degree`` may be symbolic."""
    validate.choice("target", target, TARGETS)
    validate.choice("form", form, FORMS)
    if not isinstance(degree, sp.Basic):
        degree = validate.integer("degree", degree, minimum=1)
        if target == "sparse" and degree < 2:
            raise validate.BoundcheckInputError(
                f"degree must be >= 2 for the sparse target (k = degree - 1); got {degree}")
    if target == "single":
        return _single(form, degree)
    if target == "xor":
        return _xor(form)
    return _sparse(degree)


# --------------------------------------------------------------------------------------------
# numbers


def _fixed_point(func, start, *, tol=1e-12, max_iter=200):
    """Smallest x with x >= func(x) for a slowly (logarithmically) growing func, by iteration."""
    x = max(float(start), 1.0)
    for _ in range(max_iter):  # iterations of a contraction, not a loop over data
        new = max(float(func(x)), 1.0)
        if abs(new - x) <= tol * new:
            return new
        x = new
    raise ArithmeticError(f"fixed point did not converge from {start:g} (last {x:g})")


@functools.lru_cache(maxsize=256)
def _compiled(expr):
    names = sorted(expr.free_symbols, key=lambda s: s.name)
    return names, sp.lambdify(names, expr, modules="mpmath")


def _evaluate(expr, values):
    names, func = _compiled(expr)
    missing = [s.name for s in names if s not in values]
    if missing:
        raise validate.BoundcheckInputError(f"values needed for {', '.join(missing)} to evaluate {expr}")
    return float(func(*[values[s] for s in names]))


def _defaults(dim, accuracy, constant, failure_prob, coef, cond):
    return {d: dim, eps: accuracy, C: constant, delta: failure_prob, alpha: coef, kappa: cond}


def predicted_size(pred, *, dim, accuracy, constant=1.0, failure_prob=0.1, coef=1.0, condition=1.0, width=None,
                   degree=None):
    r"""The number ``pred.expression`` takes; for the implicit (log) forms, the smallest n solving it.

    ``width`` None takes m = Theorem 7's width at that n (itself a fixed point in m), so
    :math:`n = f(n, m(n))` is solved by iteration. Returns ``(n, m)`` (m None when not used).
    """
    values = _defaults(dim, accuracy, constant, failure_prob, coef, condition)
    if not pred.implicit:
        return _evaluate(pred.expression, values), None
    expr = pred.expression

    def width_at(n_value):
        if width is not None:
            return float(width)
        deg = 2 if pred.target == "xor" else degree
        return width_theorem7(n_value, dim, deg, accuracy=accuracy, failure_prob=failure_prob, coef=coef,
                              constant=constant, target=pred.target)["width"]

    def step(n_value):
        return _evaluate(expr, {**values, n: n_value, m: width_at(n_value)})

    start = _evaluate(expr.subs({sp.log(2 * d * m): 1, sp.log(m * n): 1}), values)
    n_value = _fixed_point(step, start)
    return n_value, width_at(n_value)


#: Learners on the NTK side, whose hidden constant is ``ntk_constant`` (the others take ``constant``).
NTK_SIDE = ("ntk", "ntk_lower")


def learner_constant(learner, constant=1.0, ntk_constant=None):
    """The hidden constant of ``learner``: ``ntk_constant`` on the NTK side (default ``constant``), else ``constant``."""
    if learner in NTK_SIDE and ntk_constant is not None:
        return ntk_constant
    return constant


def prediction_rows(target, dims, degrees, accuracies, *, constant=1.0, form="explicit", failure_prob=0.1,
                    coef=1.0, condition=1.0, width=None, ntk_constant=None):
    """One row dict per (learner, dim, degree, accuracy): the predicted n and its sympy expression.

    ``constant`` is the hidden constant C of every bound, ``ntk_constant`` (default ``constant``)
    replaces it on the NTK side (:data:`NTK_SIDE`). Keys: learner, target, bound, dim, degree,
    accuracy, n_predicted, width (the width the prediction assumed, where it needs one), expression,
    form, constant, source, note.
    """
    validate.choice("target", target, TARGETS)
    validate.choice("form", form, FORMS)
    constant = validate.positive("constant", constant)
    if ntk_constant is not None:
        ntk_constant = validate.positive("ntk_constant", ntk_constant)
    failure_prob = validate.probability("failure_prob", failure_prob)
    condition = validate.positive("condition", condition)
    dims = [validate.integer("dim", v, minimum=2) for v in dims]
    degrees = [validate.integer("degree", v, minimum=1) for v in degrees]
    accuracies = [validate.probability("accuracy", v) for v in accuracies]
    if target == "xor":
        degrees = [2]  # the 2-XOR has degree 2 whatever --degree says
    rows = []
    for degree in degrees:  # a loop over grid cells; each cell is a handful of scalar evaluations
        preds = predictions(target, degree, form=form)
        for dim in dims:
            for accuracy in accuracies:
                for pred in preds:
                    hidden = learner_constant(pred.learner, constant, ntk_constant)
                    value, used_width = predicted_size(pred, dim=dim, accuracy=accuracy, constant=hidden,
                                                       failure_prob=failure_prob, coef=coef, condition=condition,
                                                       width=width, degree=degree)
                    note = pred.note
                    if pred.learner == "quadratic" and target == "single" and value < dim:
                        value, note = float(dim), note + "; n >= d (Theorem 6(b)) binds"
                    shown = pred.expression.subs({C: hidden}) if hidden != 1 else pred.expression
                    rows.append({
                        "learner": pred.learner, "target": target, "bound": pred.bound, "dim": dim,
                        "degree": degree, "accuracy": accuracy, "n_predicted": value,
                        "width": used_width, "expression": str(shown.subs(p, degree)),
                        "form": form, "constant": HIDDEN_NOTE.format(hidden), "source": pred.source,
                        "note": note,
                    })
    return rows


#: For each target: (the learner the paper says wins, the NTK bound it is compared with).
COMPARED = {"single": ("quadratic", "ntk"), "xor": ("quadratic", "ntk_lower"), "sparse": ("ntk+quadntk", "ntk_lower")}


def comparison_rows(rows):
    """Per (dim, degree, accuracy) of :func:`prediction_rows` output: which of the two compared
    learners (:data:`COMPARED`) needs fewer samples, and by what factor (larger n / smaller n)."""
    cells = {}
    for row in rows:
        cells.setdefault((row["target"], row["dim"], row["degree"], row["accuracy"]), {})[row["learner"]] = row
    out = []
    for (target, dim, degree, accuracy), by_learner in cells.items():
        winner, reference = COMPARED[target]
        if winner not in by_learner or reference not in by_learner:
            continue
        a, b = by_learner[winner], by_learner[reference]
        fewer, other = (a, b) if a["n_predicted"] <= b["n_predicted"] else (b, a)
        out.append({"target": target, "dim": dim, "degree": degree, "accuracy": accuracy,
                    "compared": f"{winner} ({a['bound']}) vs {reference} ({b['bound']})",
                    "fewer_samples": fewer["learner"], "factor": other["n_predicted"] / fewer["n_predicted"],
                    f"n_{winner}": a["n_predicted"], f"n_{reference}": b["n_predicted"]})
    return out


def grid_rows(target="single", *, dims=(10, 20, 40, 80, 160), degrees=(2, 4), accuracies=(0.1,), **kwargs):
    """:func:`prediction_rows` over a grid (defaults: d in 10..160, p in {2, 4}, epsilon = 0.1)."""
    return prediction_rows(target, dims, degrees, accuracies, **kwargs)


# --------------------------------------------------------------------------------------------
# symbolic comparisons


def _large(expr, var):
    """``expr`` for large ``var``: Max(var - 2, 1) -> var - 2 (valid for var >= 3)."""
    return expr.replace(lambda e: isinstance(e, sp.Max) and e.has(var),
                        lambda e: [a for a in e.args if a.has(var)][0])


def exponent(expr, var):
    r"""The growth exponent of ``expr`` in ``var``: :math:`\lim_{v\to\infty} v\,\partial_v \log(\mathrm{expr})`.

    Logarithmic factors contribute 0, so a :math:`\tilde O(v^a)` expression has exponent a.
    Returned as an exact sympy number.
    """
    expr = _large(sp.sympify(expr), var)
    rate = sp.simplify(var * sp.diff(sp.log(expr), var))
    return sp.simplify(sp.limit(rate, var, sp.oo))


def ratio_expression(target="single", *, form="explicit", degree=p):
    r"""The symbolic ratio of the quadratic prediction to the NTK's (``n_Q/n_L`` for ``single``,
    ``n_Q/n_L^{lower}`` for ``xor``, upper over lower for ``sparse``)."""
    preds = {pr.learner: pr for pr in predictions(target, degree, form=form)}
    if target == "single":
        num, den = preds["quadratic"], preds["ntk"]
    elif target == "xor":
        num, den = preds["quadratic"], preds["ntk_lower"]
    else:
        num, den = preds["ntk+quadntk"], preds["ntk_lower"]
    return num.expression / den.expression


def crossover_dim(target="single", degree=4, *, form="explicit", accuracy=0.1, failure_prob=0.1, constant=1.0,
                  width=None, coef=1.0, condition=1.0, ntk_constant=None):
    r"""The dimension d* above which the quadratic prediction is below the NTK's (numeric root).

    For ``single`` it compares the two upper bounds :math:`n_Q` and :math:`n_L`; for ``xor``,
    :math:`n_Q` against the NTK lower bound. Logs are evaluated at the solved n (and the width
    Theorem 7 asks for, unless ``width`` is given). ``constant`` is the quadratic side's hidden
    constant, ``ntk_constant`` the NTK side's (default: the same): the paper leaves both open, so
    d* is a function of them (:func:`crossover_rows`; stated form: :math:`d^\star = p\,C_Q/C_L`).
    Returns d* as a float (inf if none below 1e12).
    """
    preds = {pr.learner: pr for pr in predictions(target, degree, form=form)}
    if target == "sparse":
        return 1.0  # d^k < d^(k+1) for every d > 1 at equal constants
    other = preds["ntk"] if target == "single" else preds["ntk_lower"]
    quad = preds["quadratic"]

    other_constant = constant if ntk_constant is None else ntk_constant

    def log_gap(log_dim):
        dim = math.exp(log_dim)
        kw = dict(dim=dim, accuracy=accuracy, failure_prob=failure_prob, coef=coef, condition=condition, width=width,
                  degree=degree)
        return (math.log(predicted_size(quad, constant=constant, **kw)[0])
                - math.log(predicted_size(other, constant=other_constant, **kw)[0]))

    low, high = math.log(2.0), math.log(1e12)
    if log_gap(low) <= 0:
        return 2.0
    if log_gap(high) > 0:
        return math.inf
    for _ in range(200):  # bisection on log d
        mid = 0.5 * (low + high)
        low, high = (mid, high) if log_gap(mid) > 0 else (low, mid)
        if high - low < 1e-12:
            break
    return math.exp(high)


def crossover_rows(target="single", degree=4, *, ntk_constants=(0.1, 1.0, 18.0, 100.0), constant=1.0,
                   failure_probs=(0.1,), accuracy=0.1, coef=1.0, condition=1.0, width=None):
    r"""d* as a function of the constants the paper leaves open: one row per (:math:`C_L/C_Q`, :math:`\delta`).

    Each row holds the explicit-form d* (:func:`crossover_dim`) and the stated-form one in closed
    form (:math:`p\,C_Q/C_L` for ``single``; the 2-XOR's stated :math:`n_Q/n_L^{lower} = (C_Q/C_L)/d`
    gives :math:`C_Q/C_L`), which may be below 2. The ratio of the two constants is what moves d*.
    """
    validate.choice("target", target, ("single", "xor"))
    rows = []
    for ntk_constant in ntk_constants:  # a small grid of constants, each one root-finding
        ntk_constant = validate.positive("ntk_constant", ntk_constant)
        for failure_prob in failure_probs:
            kw = dict(accuracy=accuracy, failure_prob=failure_prob, constant=constant, ntk_constant=ntk_constant,
                      coef=coef, condition=condition, width=width)
            rows.append({"target": target, "degree": degree if target == "single" else 2, "accuracy": accuracy,
                         "failure_prob": failure_prob, "quadratic_constant": constant, "ntk_constant": ntk_constant,
                         "ratio_C_L_over_C_Q": ntk_constant / constant,
                         "d_star_explicit": crossover_dim(target, degree, form="explicit", **kw),
                         "d_star_stated": (degree if target == "single" else 1) * constant / ntk_constant})
    return rows


# --------------------------------------------------------------------------------------------
# widths


def width_condition6_parts():
    r"""Condition (6) of Theorem 2 and the requirements it collects, as sympy expressions.

    With :math:`t = B_x B_w` (every term depends on :math:`B_x, B_w` through t):

    * (13), Lemma 12: :math:`t^{12}\epsilon^{-4} + d^4 t^4\epsilon^{-2}`;
    * (15), Lemma 1: :math:`d B_x^4 B_w^2 B_{w,\star}^2 \epsilon^{-1}`;
    * (16), Lemma 13: :math:`(d^4 t^4 + d^2 t^{20} + t^{12})\epsilon^{-4} + d^5 t^8 \epsilon^{-2}`;
    * (6): :math:`[t^{12} + d^4 t^4 + d^2 t^{20}]\epsilon^{-4} + d^5 t^8\epsilon^{-2}`.

    (17), Lemma 14, is too garbled in the source to rebuild term by term; the paper says it is
    merged into (6) using :math:`\epsilon \le 1` and :math:`B_{w,\star} \le B_w`.
    """
    t = B_x * B_w
    return {
        "(13)": t**12 / eps**4 + d**4 * t**4 / eps**2,
        "(15)": d * B_x**4 * B_w**2 * B_ws**2 / eps,
        "(16)": (d**4 * t**4 + d**2 * t**20 + t**12) / eps**4 + d**5 * t**8 / eps**2,
        "(6)": (t**12 + d**4 * t**4 + d**2 * t**20) / eps**4 + d**5 * t**8 / eps**2,
    }


def width_theorem2(dim, radius, accuracy, *, input_radius=1.0, constant=1.0):
    r"""Theorem 2, condition (6): the width the landscape result needs.

    :math:`m \ge C([t^{12} + d^4t^4 + d^2t^{20}]\epsilon^{-4} + d^5t^8\epsilon^{-2})` with :math:`t = B_xB_w`.

    Returns a dict with ``width`` (float), ``expression`` (sympy) and ``note``.
    """
    dim = validate.integer("dim", dim, minimum=1)
    radius = validate.positive("radius", radius)
    accuracy = validate.probability("accuracy", accuracy, open_interval=False)
    input_radius = validate.positive("input_radius", input_radius)
    constant = validate.positive("constant", constant)
    expr = C * width_condition6_parts()["(6)"]
    value = _evaluate(expr, {C: constant, B_x: input_radius, B_w: radius, eps: accuracy, d: dim})
    return {"result": "Theorem 2 (6)", "width": value, "expression": expr,
            "note": "O~: logarithms and absolute constants hidden; " + HIDDEN_NOTE.format(constant)}


def _theorem7_amplitude(degree, target):
    """:math:`((p-2)\\vee1)^3\\alpha^2(B_x\\|\\beta\\|)^{2p}` (single, normalised) or its XOR value."""
    if target == "xor":  # two rank-one terms, alpha = 1/4, |beta|^2 = 2, p = 2, B_x|beta| = sqrt(2d)
        return 2 * sp.Rational(1, 16) * (2 * d) ** 2
    return _cube_factor(degree) * alpha**2 * beta_power_normalized(degree)


def width_theorem7(n_samples, dim, degree, *, accuracy, failure_prob=0.1, coef=1.0, constant=1.0,
                   target="single"):
    r"""Theorem 7's width, from its proof (C.4), with every factor the proof makes explicit.

    :math:`m \ge 32\pi\, n R^2((p-2)\vee1)^3\alpha^2(B_x\|\beta\|)^{2p}/(\epsilon^2\delta)`:

    :math:`f_m(x) = \frac2m\sum_{r\le m/2}\sigma''(w_{0,r}^\top x)a(w_{0,r})` is a mean of m/2 i.i.d.
    terms of variance at most :math:`R^2R_a^2` (truncation at :math:`\|w_{0,r}\| \le R/B_x`), so
    Chebyshev and a union bound over the n samples, spending :math:`\delta/2`, need
    :math:`m \ge 4nR^2R_a^2/(t^2\delta)` with :math:`t = \epsilon/(2B_x^2\|\beta\|^2)`, i.e.
    :math:`16\,nR^2R_a^2B_x^4\|\beta\|^4/(\epsilon^2\delta)`; Lemma 9 at degree p - 2 gives
    :math:`R_a^2 = E a^2 \le 2\pi((p-2)\vee1)^3\alpha^2 B_x^{2(p-2)}\|\beta\|^{2(p-2)}`, and
    :math:`R^2 = 8(d\log5 + \log(2m/\delta))` is equation (4)'s proof at failure :math:`\delta/2`, so
    m is a fixed point.

    The printed statement, :math:`\tilde O(n\,d\,p^{?}\alpha^2(B_x\|\beta\|)^{2p}\epsilon^{-2})` (the
    power of p is garbled in the source), has no :math:`1/\delta`, which is not logarithmic: see
    errata E8 and E9 (``boundcheck errata``). Both forms are returned, the printed one with p^3 and
    the hidden constant ``constant``, and ``derived_over_printed`` is their ratio at these values.
    """
    n_samples = validate.positive("n_samples", n_samples)
    dim = validate.positive("dim", dim)
    degree = validate.integer("degree", degree, minimum=1)
    accuracy = validate.probability("accuracy", accuracy)
    failure_prob = validate.probability("failure_prob", failure_prob)
    constant = validate.positive("constant", constant)
    radius_sq = 8 * (d * sp.log(5) + sp.log(2 * m / delta))
    expr = C * 32 * sp.pi * n * radius_sq * _theorem7_amplitude(degree, target) / (eps**2 * delta)
    values = {C: constant, n: n_samples, d: dim, eps: accuracy, delta: failure_prob, alpha: coef}
    width = _fixed_point(lambda w: _evaluate(expr, {**values, m: w}), 1.0)
    # printed: m >= O~(n d p^3 alpha^2 (B_x |beta|)^(2p) / eps^2) (p^3 read as Section 5.2's n_Q reads it);
    # XOR: two terms, p = 2, alpha = 1/4, (B_x |beta|)^4 = (2d)^2
    amplitude_printed = (2 * 2**3 * sp.Rational(1, 16) * (2 * d) ** 2 if target == "xor"
                         else degree**3 * alpha**2 * beta_power_normalized(degree))
    printed = C * n * d * amplitude_printed / eps**2
    printed_value = _evaluate(printed, values)
    return {"result": "Theorem 7", "width": width, "expression": expr,
            "width_printed_form": printed_value, "printed_expression": printed,
            "derived_over_printed": width / printed_value,
            "note": ("derived from the proof (C.4) with its explicit factors 32 pi, R^2 and 1/delta; the printed "
                     "O~ form has d for R^2, p^3 (garbled) for ((p-2) v 1)^3 and no 1/delta (errata E8, E9)")}


def width_theorem4(dim, radius_star, accuracy, *, input_radius=1.0, gamma_value=1.0, opt_value=0.0,
                   constant=1.0, corollary3_constant=None):
    r"""Theorem 4's width: condition (6) at the localisation radius :math:`B_{w,0}` of its proof (B.6).

    The regularizer is :math:`\lambda\|W\|_{2,4}^8` (B.5 and B.6: :math:`\langle\nabla\lambda\|W\|_{2,4}^8,
    W\rangle = 8\lambda\|W\|_{2,4}^8`, :math:`\lambda = \lambda_0B_{w,\star}^{-8}`, erratum E5). With
    :math:`C_3\lambda B_{w,\star}^8 = 2\gamma\mathrm{OPT} + \epsilon` (:math:`C_3` is Corollary 3's
    constant, ``corollary3_constant``, default B.5's :math:`378\cdot14^3/5^3`), a stationary point has
    :math:`8\lambda\|W\|_{2,4}^8 \le 2` + coupling terms (B.6, using :math:`\ell \ge 0` and
    :math:`\ell(y, 0) \le 1`), so for large m
    :math:`B_{w,0}^8 = 1/(4\lambda) = C_3B_{w,\star}^8/(4(2\gamma\mathrm{OPT}+\epsilon))`. The width is
    (6) at :math:`B_w = B_{w,0}` times the hidden constant ``constant``. The m-dependent parts of the
    localisation radius are dropped (they vanish as m grows), so this is the leading requirement.
    """
    from .symbolic.constants import corollary3_proof_constant

    dim = validate.integer("dim", dim, minimum=1)
    radius_star = validate.positive("radius_star", radius_star)
    accuracy = validate.probability("accuracy", accuracy, open_interval=False)
    gamma_value = validate.positive("gamma", gamma_value)
    opt_value = validate.nonnegative("opt", opt_value)
    c3 = (corollary3_proof_constant() if corollary3_constant is None
          else sp.nsimplify(validate.positive("corollary3_constant", corollary3_constant)))
    b0 = B_ws * (c3 / (4 * (2 * gamma * opt + eps))) ** sp.Rational(1, 8)
    expr = C * width_condition6_parts()["(6)"].subs(B_w, b0)
    values = {C: constant, B_ws: radius_star, eps: accuracy, gamma: gamma_value, opt: opt_value, d: dim,
              B_x: validate.positive("input_radius", input_radius)}
    return {"result": "Theorem 4", "width": _evaluate(expr, values), "expression": sp.simplify(expr),
            "localization_radius": _evaluate(b0, values), "corollary3_constant": float(c3),
            "note": ("condition (6) at B_w = B_w0 = B_w* (C_3 / (4 (2 gamma OPT + eps)))^(1/8) (leading term, "
                     f"C_3 = {float(c3):.6g}); " + HIDDEN_NOTE.format(constant))}


def width_rows(dims, degrees, accuracies, *, n_samples=None, failure_prob=0.1, constant=1.0, target="single"):
    """Rows with the widths of Theorems 2 (6), 7 and 4 over a grid, at Theorem 7's radius.

    ``n_samples`` None uses the explicit quadratic prediction n_Q of the same cell.
    """
    rows = []
    for degree in degrees:  # grid cells
        for dim in dims:
            for accuracy in accuracies:
                deg = 2 if target == "xor" else validate.integer("degree", degree, minimum=2)
                pred = [pr for pr in predictions(target if target != "sparse" else "single", deg)
                        if pr.learner == "quadratic"][0]
                n_value = n_samples if n_samples is not None else predicted_size(
                    pred, dim=dim, accuracy=accuracy, constant=constant, failure_prob=failure_prob, degree=deg)[0]
                amp = _theorem7_amplitude(deg, target if target == "xor" else "single")
                input_radius = math.sqrt(dim) if target == "xor" else 1.0
                # Theorem 7: B_x^4 B_w*^4 = 32 pi amp / delta, so t = B_x B_w* = (32 pi amp/delta)^(1/4)
                t_star = _evaluate((32 * sp.pi * amp / delta) ** sp.Rational(1, 4),
                                   {d: dim, delta: failure_prob, alpha: 1.0})
                radius = t_star / input_radius
                w7 = width_theorem7(n_value, dim, deg, accuracy=accuracy, failure_prob=failure_prob,
                                    constant=constant, target="xor" if target == "xor" else "single")
                w2 = width_theorem2(dim, radius, min(accuracy, 1.0), input_radius=input_radius, constant=constant)
                w4 = width_theorem4(dim, radius, accuracy, input_radius=input_radius, constant=constant)
                base = {"target": target, "dim": dim, "degree": deg, "accuracy": accuracy, "n_samples": n_value,
                        "radius_star": radius}
                rows.append(dict(base, result="Theorem 7", width=w7["width"],
                                 width_printed_form=w7["width_printed_form"], note=w7["note"]))
                rows.append(dict(base, result="Theorem 2 (6)", width=w2["width"], note=w2["note"]))
                rows.append(dict(base, result="Theorem 4", width=w4["width"], note=w4["note"]))
    return rows
