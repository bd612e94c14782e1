r"""Activations with exact derivatives, and the check of Assumption A.

Paper, Section 2, Assumption A (smooth activation): :math:`\sigma \in C^2(\mathbb R)` and for some
absolute constant :math:`C > 0`

1. :math:`|\sigma'(t)| \le C t^2`,
2. :math:`|\sigma''(t)| \le C |t|`,
3. :math:`\sigma''` is :math:`C`-Lipschitz.

The paper's default is the cubic ReLU; boundcheck uses :math:`\sigma(t) = \mathrm{relu}^3(t)/6`
(Theorem 7's normalization), so that :math:`\sigma'' = \mathrm{relu}` and Assumption A holds with
:math:`C = 1`. ``relu^k / k!`` is available for every k (its j-th derivative is
``relu^{k-j} / (k-j)!``, the step at ``j = k`` and zero almost everywhere beyond), together with
analytic activations (softplus, tanh) whose derivatives of any order come from sympy, for the
higher-order expansions of Section 6.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re

import numpy as np

from . import _validate as validate

__all__ = ["Activation", "ReluPower", "AnalyticActivation", "get_activation", "ACTIVATIONS",
           "AssumptionA", "check_assumption_a"]


class Activation:
    r"""An activation :math:`\sigma` with exact derivatives :math:`\sigma^{(k)}` of every order."""

    name: str = "activation"
    analytic: bool = False

    def derivative(self, t, order=0):
        """:math:`\\sigma^{(\\mathrm{order})}(t)`, elementwise on an array."""
        raise NotImplementedError

    def __call__(self, t):
        return self.derivative(t, 0)

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r})"


class ReluPower(Activation):
    r""":math:`\sigma(t) = \mathrm{relu}(t)^k / k!`; ``k = 1`` is plain ReLU.

    The j-th derivative is :math:`\mathrm{relu}(t)^{k-j}/(k-j)!` for :math:`j < k`, the step
    :math:`1\{t > 0\}` for :math:`j = k`, and 0 (almost everywhere) for :math:`j > k`.
    """

    analytic = False

    def __init__(self, power):
        self.power = validate.integer("power", power, minimum=1)
        self.name = "relu" if self.power == 1 else f"relu{self.power}"

    def derivative(self, t, order=0):
        order = validate.integer("order", order, minimum=0)
        t = np.asarray(t, dtype=np.float64)
        j = self.power - order
        if j < 0:
            return np.zeros_like(t)
        if j == 0:
            return (t > 0).astype(np.float64)
        positive = np.maximum(t, 0.0)
        if j == 1:
            return positive
        # relu^j by repeated products (pow is ~15 times slower for j >= 3; equal to within rounding)
        out = np.multiply(positive, positive)
        for _ in range(j - 2):  # the few powers of relu^j, j <= 20
            out *= positive
        out /= math.factorial(j)
        return out


class AnalyticActivation(Activation):
    r"""An analytic activation whose derivatives are polynomials in a bounded helper :math:`g(t)`.

    With :math:`\sigma' = P_1(g)` and :math:`g' = Q(g)`, every derivative is
    :math:`\sigma^{(k+1)} = P_{k+1}(g)`, :math:`P_{k+1} = P_k' \, Q` (computed once by sympy and
    lambdified), which stays finite for every real t where a naive lambdify of
    :math:`e^t/(1+e^t)` overflows. ``expression`` is the exact sympy form of :math:`\sigma`.
    """

    analytic = True

    def __init__(self, name, expression, value, helper, first, helper_derivative):
        import sympy as sp  # only analytic activations need sympy: imported when one is made

        self.name = name
        self.symbol = sp.Symbol("t", real=True)
        self.expression = expression(self.symbol)
        self._value, self._helper = value, helper
        self._u = sp.Symbol("u", real=True)
        self._first = first(self._u)
        self._helper_derivative = helper_derivative(self._u)

    @functools.lru_cache(maxsize=None)
    def polynomial(self, order):
        r""":math:`P_k(u)` with :math:`\sigma^{(k)}(t) = P_k(g(t))`, for ``order`` k >= 1."""
        import sympy as sp

        poly = self._first
        for _ in range(order - 1):
            poly = sp.expand(sp.diff(poly, self._u) * self._helper_derivative)
        return poly

    @functools.lru_cache(maxsize=None)
    def _compiled(self, order):
        import sympy as sp

        return sp.lambdify(self._u, self.polynomial(order), modules="numpy")

    def derivative(self, t, order=0):
        order = validate.integer("order", order, minimum=0)
        t = np.asarray(t, dtype=np.float64)
        if order == 0:
            return self._value(t)
        value = self._compiled(order)(self._helper(t))
        return np.broadcast_to(np.asarray(value, dtype=np.float64), t.shape).copy()

    def sympy_derivative(self, order=0):
        """The exact derivative as a sympy expression in ``t``."""
        import sympy as sp

        return sp.diff(self.expression, self.symbol, order)


def _softplus_value(t):
    r""":math:`\log(1+e^t) = \max(t, 0) + \log(1 + e^{-|t|})`, finite for every t (``np.logaddexp(0, t)`` to
    within one rounding, 6 times faster)."""
    t = np.asarray(t, dtype=np.float64)
    if t.ndim == 0:  # a number: no work array to reuse
        return np.maximum(t, 0.0) + np.log1p(np.exp(-np.abs(t)))
    out = np.abs(t)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(t, 0.0)
    return out


def _softplus():
    import sympy as sp
    from scipy.special import expit

    return AnalyticActivation("softplus", lambda t: sp.log(1 + sp.exp(t)), _softplus_value,
                              expit, lambda u: u, lambda u: u * (1 - u))


def _tanh():
    import sympy as sp

    return AnalyticActivation("tanh", sp.tanh, np.tanh, np.tanh, lambda u: 1 - u**2, lambda u: 1 - u**2)


ACTIVATIONS = ("relu3", "relu", "relu2", "relu4", "relu<k>", "softplus", "tanh")


@functools.lru_cache(maxsize=None)
def get_activation(name="relu3") -> Activation:
    """Return the activation called ``name``.

    ``"relu<k>"`` (``relu3`` is the default) is :math:`\\mathrm{relu}^k / k!`, ``"relu"`` plain
    ReLU, ``"softplus"`` :math:`\\log(1+e^t)` and ``"tanh"`` the hyperbolic tangent.
    """
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name such as 'relu3'; got {name!r}")
    if name == "relu":
        return ReluPower(1)
    match = re.fullmatch(r"relu(\d+)", name)
    if match and 1 <= int(match.group(1)) <= 20:
        return ReluPower(int(match.group(1)))
    if name == "softplus":
        return _softplus()
    if name == "tanh":
        return _tanh()
    raise validate.BoundcheckInputError(
        f"activation must be one of relu, relu<k> (k = 1..20, relu3 is the paper's), softplus, tanh; got {name!r}"
    )


# --------------------------------------------------------------------------------------------
# Assumption A


@dataclasses.dataclass
class AssumptionA:
    """Outcome of the Assumption A check: ``constant`` is C when it holds, else ``failing_clause``."""

    activation: str
    holds: bool
    constant: float | None
    failing_clause: str | None
    ratios: dict

    def to_dict(self):
        return dataclasses.asdict(self)


CLAUSES = {
    "smooth": "sigma is C^2 (sigma'' continuous)",
    "first": "|sigma'(t)| <= C t^2",
    "second": "|sigma''(t)| <= C |t|",
    "lipschitz": "sigma'' is C-Lipschitz",
}


def _grid():
    mags = np.logspace(-8, 8, 1601)
    return np.concatenate([-mags[::-1], mags])


def _sup_or_unbounded(t, ratio):
    """sup of ``ratio`` on the grid, or inf when it keeps growing toward 0 or toward infinity.

    A ratio that is bounded on the real line levels off at both ends of a grid spanning 16
    decades; one that is not grows by orders of magnitude across the last four decades.
    """
    ratio = np.abs(ratio)
    mag = np.abs(t)
    for edge, inner in ((mag <= 1e-8 * 1.0001, (mag >= 1e-4) & (mag <= 1e-4 * 1.02)),
                        (mag >= 1e8 / 1.0001, (mag >= 1e4) & (mag <= 1e4 * 1.02))):
        if np.max(ratio[edge]) > 100.0 * max(np.max(ratio[inner]), 1e-300) and np.max(ratio[edge]) > 1e-6:
            return math.inf
    return float(np.max(ratio))


def check_assumption_a(activation) -> AssumptionA:
    r"""Assumption A for ``activation``: its constant C, or the first clause that fails.

    C is the largest of :math:`\sup|\sigma'(t)|/t^2`, :math:`\sup|\sigma''(t)|/|t|` and the
    Lipschitz constant of :math:`\sigma''` (:math:`\sup|\sigma'''|` where it exists, and the
    largest difference quotient on a 16-decade grid otherwise). A supremum that grows without
    bound toward 0 or toward infinity names its clause as the failing one.
    """
    act = get_activation(activation)
    t = _grid()
    d1, d2 = act.derivative(t, 1), act.derivative(t, 2)
    ratios = {}
    # C^2: sigma'' must not jump at the origin (the only place the relu family can break it).
    eps = 1e-9
    jump = float(abs(act.derivative(np.array([eps]), 2)[0] - act.derivative(np.array([-eps]), 2)[0]))
    if jump > 1e-6:
        return AssumptionA(act.name, False, None, CLAUSES["smooth"], {"jump_of_second_derivative_at_0": jump})
    ratios["first"] = _sup_or_unbounded(t, d1 / t**2)
    ratios["second"] = _sup_or_unbounded(t, d2 / t)
    slopes = np.diff(d2) / np.diff(t)
    ratios["lipschitz"] = float(np.max(np.abs(slopes)))
    if act.analytic:
        ratios["lipschitz"] = max(ratios["lipschitz"], _sup_or_unbounded(t, act.derivative(t, 3)))
    for clause in ("first", "second", "lipschitz"):
        if not math.isfinite(ratios[clause]):
            return AssumptionA(act.name, False, None, CLAUSES[clause], ratios)
    return AssumptionA(act.name, True, max(ratios.values()), None, ratios)
