r"""The ReLU random-feature (arc-cosine) kernels, their power series and their coefficient bounds.

Paper, Lemma 9 (Appendix A.2). With :math:`w_0 \sim N(0, B_x^{-2} I_d)` and inputs on the sphere
:math:`S^{d-1}(B_x)`, the pair :math:`(w_0^\top x, w_0^\top x')` is a standard bivariate normal
with correlation :math:`u = x^\top x' / B_x^2`, so the random-feature kernels depend on u only:

* order 0 (the step :math:`1\{t > 0\}`): :math:`K_0(u) = (\pi - \arccos u) / (2\pi)`;
* order 1 (ReLU): :math:`K_1(u) = \big(u(\pi - \arccos u) + \sqrt{1 - u^2}\big) / (2\pi)`.

Both are power series :math:`K(u) = \sum_p c_p u^p` with :math:`c_p \ge 0`. Writing the activation
in normalized Hermite polynomials :math:`h_k = He_k / \sqrt{k!}` as :math:`\sum_k \rho_k h_k`,
Mehler's formula gives :math:`c_k = \rho_k^2`, and one integration by parts gives the closed forms
derived here:

.. math::

    \rho_k^{\mathrm{relu}} = \frac{He_{k-2}(0)}{\sqrt{2\pi k!}}\ (k \ge 2), \qquad
    \rho_k^{\mathrm{step}} = \frac{He_{k-1}(0)}{\sqrt{2\pi k!}}\ (k \ge 1),

with :math:`\rho_0^{\mathrm{relu}} = 1/\sqrt{2\pi}`, :math:`\rho_1^{\mathrm{relu}} = 1/2`,
:math:`\rho_0^{\mathrm{step}} = 1/2`, and :math:`He_{2j}(0) = (-1)^j (2j-1)!!`,
:math:`He_{2j+1}(0) = 0`. Hence for ReLU :math:`c_0 = 1/(2\pi)`, :math:`c_1 = 1/4`,
:math:`c_{2\ell} = ((2\ell-3)!!)^2 / (2\pi (2\ell)!) = \frac{1}{2\pi}\frac{(2\ell-3)!!}{(2\ell-2)!!}
\frac{1}{(2\ell-1)\,2\ell}` and :math:`c_{2\ell+1} = 0` for :math:`\ell \ge 1`; for the step
:math:`c_0 = 1/4`, :math:`c_{2\ell+1} = \frac{1}{2\pi}\frac{(2\ell-1)!!}{(2\ell)!!}\frac{1}{2\ell+1}`
and even coefficients beyond 0 vanish.

The paper's bound :math:`c_p \ge (2\pi (p \vee 1)^3)^{-1}` (ReLU, p in {0, 1} or even) is checked
exactly per degree and argued for every degree by :func:`bound_ratio_argument`.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from .. import _validate as validate
from ..numeric.spectrum import harmonic_dimension  # noqa: F401 - one definition, re-exported here

__all__ = [
    "U", "ORDERS", "arccos_kernel", "parity_parts", "kernel_value", "kernel_at_one", "hermite_coefficient",
    "kernel_coefficient",
    "series_coefficients", "double_factorial_coefficient", "paper_lower_bound", "coefficient_rows",
    "bound_ratio_argument", "tail_bound", "analytic_tail_bound", "truncation_error", "random_feature_samples",
    "check_degree", "sphere_moment", "legendre_polynomial", "harmonic_dimension", "sphere_eigenvalue",
    "power_projection", "asymptotic_ratio", "lemma9_degrees", "coefficient_bound_sides", "pair_at_correlation",
]

#: The variable of the kernels, :math:`u = x^\top x' / B_x^2 \in [-1, 1]`.
U = sp.Symbol("u", real=True)
ORDERS = (0, 1)


def _order(order):
    order = validate.integer("order", order)
    if order not in ORDERS:
        raise validate.BoundcheckInputError(
            f"order must be 0 (step random features) or 1 (ReLU random features); got {order}")
    return order


def arccos_kernel(order=1):
    r"""The arc-cosine kernel of ``order`` as a sympy expression in :data:`U`.

    :math:`K_0(u) = (\pi - \arccos u)/(2\pi)`,
    :math:`K_1(u) = (u(\pi - \arccos u) + \sqrt{1-u^2})/(2\pi)` (paper, proof of Lemma 9).
    """
    order = _order(order)
    if order == 0:
        return (sp.pi - sp.acos(U)) / (2 * sp.pi)
    return (U * (sp.pi - sp.acos(U)) + sp.sqrt(1 - U**2)) / (2 * sp.pi)


def parity_parts(order=1):
    r"""``(even, odd)`` parts of the kernel, simplified by sympy (through :math:`\arccos = \pi/2 - \arcsin`).

    ReLU: odd part :math:`u/4` exactly, so :math:`c_1 = 1/4` and :math:`c_{2\ell+1} = 0` for
    :math:`\ell \ge 1`; step: even part :math:`1/4`, so :math:`c_{2\ell} = 0` for :math:`\ell \ge 1`.
    """
    kernel = arccos_kernel(order).rewrite(sp.asin)
    mirrored = kernel.subs(U, -U)
    return sp.simplify((kernel + mirrored) / 2), sp.simplify((kernel - mirrored) / 2)


def kernel_value(order, u):
    """The closed-form kernel at ``u`` (numpy, elementwise; u is clipped to [-1, 1])."""
    order = _order(order)
    u = np.clip(np.asarray(u, dtype=np.float64), -1.0, 1.0)
    theta = np.arccos(u)
    if order == 0:
        return (np.pi - theta) / (2 * np.pi)
    return (u * (np.pi - theta) + np.sqrt(1.0 - u**2)) / (2 * np.pi)


def kernel_at_one(order=1):
    r""":math:`K(1) = \sum_p c_p`: :math:`E[1\{Z>0\}] = 1/2` and :math:`E[\mathrm{relu}(Z)^2] = 1/2`."""
    _order(order)
    return sp.Rational(1, 2)


def _he_at_zero(k):
    """:math:`He_k(0)`: 0 for odd k, :math:`(-1)^{k/2}(k-1)!!` for even k (exact integer)."""
    if k % 2:
        return sp.Integer(0)
    return sp.Integer((-1) ** (k // 2)) * sp.factorial2(k - 1)


def hermite_coefficient(order, degree):
    r""":math:`\rho_k = E[\sigma(Z) h_k(Z)]` with :math:`h_k = He_k/\sqrt{k!}`, exact (sympy).

    For :math:`\sigma` = relu (order 1) or the step (order 0); :math:`c_k = \rho_k^2`.
    """
    order = _order(order)
    k = validate.integer("degree", degree, minimum=0)
    if order == 1:
        if k == 0:
            return 1 / sp.sqrt(2 * sp.pi)
        if k == 1:
            return sp.Rational(1, 2)
        return _he_at_zero(k - 2) / sp.sqrt(2 * sp.pi * sp.factorial(k))
    if k == 0:
        return sp.Rational(1, 2)
    return _he_at_zero(k - 1) / sp.sqrt(2 * sp.pi * sp.factorial(k))


def _double_factorial(n):
    return math.prod(range(n, 0, -2)) if n > 0 else 1


@functools.lru_cache(maxsize=4096)
def _kernel_coefficient(order, degree):
    r"""Integer arithmetic: :math:`c_p = He_{p-2}(0)^2/(2\pi p!)` (ReLU) or :math:`He_{p-1}(0)^2/(2\pi p!)` (step)."""
    p = degree
    if order == 1:
        if p <= 1:
            return 1 / (2 * sp.pi) if p == 0 else sp.Rational(1, 4)
        return sp.Integer(0) if p % 2 else sp.Rational(_double_factorial(p - 3) ** 2, math.factorial(p)) / (2 * sp.pi)
    if p == 0:
        return sp.Rational(1, 4)
    return sp.Integer(0) if p % 2 == 0 else sp.Rational(_double_factorial(p - 2) ** 2, math.factorial(p)) / (2 * sp.pi)


def kernel_coefficient(order, degree):
    r"""The exact coefficient :math:`c_p` of :math:`u^p` in the kernel, from the Hermite closed form.

    :math:`c_p = \rho_p^2` with :math:`\rho_p` of :func:`hermite_coefficient`, evaluated in integer
    arithmetic: :math:`c_{2\ell} = ((2\ell-3)!!)^2/(2\pi(2\ell)!)` for ReLU. A rational number or
    a rational multiple of :math:`1/\pi`.
    """
    return _kernel_coefficient(_order(order), validate.integer("degree", degree, minimum=0))


def double_factorial_coefficient(order, degree):
    r"""The same coefficient from the double-factorial form (a second derivation, from the arcsin series).

    ReLU: :math:`c_{2\ell} = \frac{1}{2\pi}\frac{(2\ell-3)!!}{(2\ell-2)!!}\frac{1}{(2\ell-1)2\ell}` (coefficient of
    :math:`u^{2\ell}` in :math:`(u \arcsin u + \sqrt{1-u^2})/(2\pi)`); step:
    :math:`c_{2\ell+1} = \frac{1}{2\pi}\frac{(2\ell-1)!!}{(2\ell)!!}\frac{1}{2\ell+1}` (from :math:`\arcsin u/(2\pi)`).
    """
    order = _order(order)
    p = validate.integer("degree", degree, minimum=0)
    if order == 1:
        if p == 0:
            return 1 / (2 * sp.pi)
        if p == 1:
            return sp.Rational(1, 4)
        if p % 2:
            return sp.Integer(0)
        ell = p // 2
        ratio = sp.factorial2(2 * ell - 3) / sp.factorial2(2 * ell - 2)
        return ratio / ((2 * ell - 1) * 2 * ell) / (2 * sp.pi)
    if p == 0:
        return sp.Rational(1, 4)
    if p % 2 == 0:
        return sp.Integer(0)
    ell = (p - 1) // 2
    return sp.factorial2(2 * ell - 1) / sp.factorial2(2 * ell) / (2 * ell + 1) / (2 * sp.pi)


@functools.lru_cache(maxsize=8)
def _series(order, max_degree):
    poly = sp.series(arccos_kernel(order), U, 0, max_degree + 1).removeO()
    poly = sp.expand(poly)
    return tuple(poly.coeff(U, p) for p in range(max_degree + 1))


def series_coefficients(order, max_degree):
    r"""Coefficients :math:`c_0, \dots, c_P` read off sympy's Taylor series of the closed kernel.

    Independent of the closed forms (sympy expands :math:`\arccos` and the square root itself);
    about 2 s for P = 200.
    """
    order = _order(order)
    max_degree = validate.integer("max_degree", max_degree, minimum=0, maximum=2000)
    return list(_series(order, max_degree))


def paper_lower_bound(degree):
    r"""The paper's bound :math:`(2\pi (p \vee 1)^3)^{-1}` on :math:`c_p` (Lemma 9's proof), exact."""
    p = validate.integer("degree", degree, minimum=0)
    return 1 / (2 * sp.pi * max(p, 1) ** 3)


def check_degree(degree, *, shift=0, name="degree"):
    """Return ``degree`` if ``degree - shift`` is 1 or even (>= 0): the ReLU features reach it."""
    p = validate.integer(name, degree, minimum=shift)
    q = p - shift
    if q != 1 and q % 2:
        if shift:
            raise validate.BoundcheckInputError(
                f"{name} must satisfy {name} - {shift} in {{1}} or even (Theorem 7 / Lemma 15: the ReLU random "
                f"features have vanishing odd coefficients beyond 1); got {p}")
        raise validate.BoundcheckInputError(
            f"{name} must be 1 or even for ReLU random features (odd coefficients vanish); got {p}")
    return p


def coefficient_rows(order=1, max_degree=20, *, cross_check=True):
    r"""One row per degree p: ``degree, exact, value, paper_lower_bound, ratio, covered, bound_holds``.

    ``exact`` is the sympy string of :math:`c_p` (Hermite closed form). When ``cross_check`` the
    double-factorial form and sympy's own series must agree exactly (else RuntimeError).
    ``covered`` says whether the paper's bound speaks about this degree: for ReLU (order 1) the
    degrees 0, 1 and even ones (the paper's :math:`\{0, 1\} \cup \{2\ell\}`); for the step the
    paper states nothing, and the row still shows the ratio (0 where the coefficient vanishes).
    ``bound_holds`` compares exactly (sympy), not in floating point.
    """
    order = _order(order)
    max_degree = validate.integer("max_degree", max_degree, minimum=0, maximum=2000)
    series = series_coefficients(order, max_degree) if cross_check else None
    rows = []
    for p in range(max_degree + 1):
        exact = kernel_coefficient(order, p)
        if cross_check:
            other = double_factorial_coefficient(order, p)
            if any(sp.expand(exact - v) != 0 for v in (other, series[p])):
                raise RuntimeError(f"kernel coefficient c_{p} (order {order}) disagrees: closed form {exact}, "
                                   f"double factorial {other}, series {series[p]}")
        bound = paper_lower_bound(p)
        ratio = sp.expand(exact / bound)
        covered = order == 1 and (p <= 1 or p % 2 == 0)
        # exact comparison: both sides are rational multiples of powers of pi, so the ratio is exact
        rows.append(dict(degree=p, exact=str(exact), value=float(exact), paper_lower_bound=float(bound),
                         ratio=float(ratio), covered=covered, bound_holds=bool(ratio >= 1)))
    return rows


def asymptotic_ratio(degree):
    r"""Leading behaviour of :math:`c_p / (2\pi p^3)^{-1}` for even p: :math:`\sqrt{2p/\pi}`.

    From :math:`(2\ell-3)!!/(2\ell-2)!! \sim (\pi(\ell-1))^{-1/2}`: the bound is loose by a
    factor growing like :math:`\sqrt p`; the true decay is :math:`c_p \sim p^{-5/2}/(\sqrt{2}\pi^{3/2})`.
    """
    return math.sqrt(2.0 * degree / math.pi)


def bound_ratio_argument(verify_upto=8):
    r"""A proof, verified by sympy, that :math:`c_p \ge (2\pi(p \vee 1)^3)^{-1}` for every p in {0, 1} or even.

    * :math:`p = 0`: :math:`c_0 = 1/(2\pi)`, equality; :math:`p = 1`: :math:`c_1 = 1/4 > 1/(2\pi)`.
    * :math:`p = 2\ell \ge 2`: with :math:`q_n = (2n+1)\,(2n-1)!!/(2n)!!` one has :math:`q_0 = 1` and
      :math:`q_{n+1}/q_n = (2n+3)/(2n+2) > 1`, so :math:`(2n-1)!!/(2n)!! \ge 1/(2n+1)`. At
      :math:`n = \ell - 1`, :math:`c_{2\ell} \ge \frac{1}{2\pi}\frac{1}{(2\ell-1)^2 2\ell}` (the
      intermediate bound the paper prints) :math:`\ge \frac{1}{2\pi (2\ell)^3}`.
    * The ratio :math:`r_\ell = c_{2\ell}\, 2\pi (2\ell)^3` obeys
      :math:`r_{\ell+1}/r_\ell = (n-1)^2(n+2)^2 / (n^3(n+1))` at :math:`n = 2\ell`, and
      :math:`(n-1)^2(n+2)^2 - n^3(n+1) = n^3 - 3n^2 - 4n + 4`, positive for :math:`n \ge 4`: the ratio
      dips once (p = 2 -> 4) and then increases, so its minimum over even :math:`p \ge 2` is at p = 4.

    Returns a dict of the verified facts (sympy expressions and booleans); raises RuntimeError if
    any step fails (it cannot, unless the coefficients were changed).
    """
    n, s, ell = sp.symbols("n s ell", positive=True, integer=True)
    facts = {}
    # step 1: q_{n+1}/q_n as a closed ratio, > 1
    ratio_q = sp.simplify((2 * n + 3) / (2 * n + 1) * (2 * n + 1) / (2 * n + 2))
    facts["q_ratio"] = ratio_q
    facts["q_ratio_minus_one"] = sp.simplify(ratio_q - 1)  # 1/(2n+2) > 0
    ok_q = sp.simplify(ratio_q - 1 - 1 / (2 * n + 2)) == 0
    # step 1b: the sympy form of c_{2l} matches the product identity used, for l = 1..verify_upto
    ok_form = all(
        sp.simplify(double_factorial_coefficient(1, 2 * k)
                    - (sp.factorial2(2 * k - 3) / sp.factorial2(2 * k - 2)) / ((2 * k - 1) * 2 * k) / (2 * sp.pi)) == 0
        and sp.simplify(kernel_coefficient(1, 2 * k) - double_factorial_coefficient(1, 2 * k)) == 0
        for k in range(1, verify_upto + 1))
    # step 2: (2l-1)^2 (2l) <= (2l)^3
    diff = sp.expand((2 * ell) ** 3 - (2 * ell - 1) ** 2 * (2 * ell))
    facts["cube_minus_paper_intermediate"] = diff  # = 8 l^2 - 2 l >= 0 for l >= 1
    ok_cube = all(c >= 0 for c in sp.Poly(sp.expand(diff.subs(ell, s + 1)), s).all_coeffs())
    # step 3: monotonicity of the ratio from p = 4 on
    num = sp.expand((n - 1) ** 2 * (n + 2) ** 2 - n**3 * (n + 1))
    facts["ratio_step_numerator"] = num
    shifted = sp.Poly(sp.expand(num.subs(n, s + 4)), s).all_coeffs()
    ok_mono = all(c >= 0 for c in shifted) and shifted[-1] > 0
    # the ratio step as a function of l, against the coefficients for a few l
    step = lambda k: sp.expand(kernel_coefficient(1, 2 * k + 2) * (2 * k + 2) ** 3
                                  / (kernel_coefficient(1, 2 * k) * (2 * k) ** 3))
    ok_step = all(sp.simplify(step(k) - ((2 * k - 1) ** 2 * (2 * k + 2) ** 2)
                              / sp.Integer((2 * k) ** 3 * (2 * k + 1))) == 0 for k in range(1, verify_upto + 1))
    ok_small = (sp.simplify(kernel_coefficient(1, 0) - paper_lower_bound(0)) == 0
                and sp.simplify(kernel_coefficient(1, 1) - paper_lower_bound(1)) > 0)
    facts.update(q_monotone=ok_q, closed_form_matches=ok_form, cube_dominates=ok_cube,
                 ratio_increasing_from_p4=ok_mono, ratio_step_matches=ok_step, small_degrees=ok_small,
                 minimum_ratio_degree=4,
                 minimum_ratio=sp.expand(kernel_coefficient(1, 4) / paper_lower_bound(4)))
    if not all([ok_q, ok_form, ok_cube, ok_mono, ok_step, ok_small]):
        raise RuntimeError(f"the all-degree argument failed: {facts}")
    facts["holds_for_all_degrees"] = True
    return facts


# --------------------------------------------------------------------------------------------
# certified truncation


def tail_bound(order, n_terms):
    r"""Exact bound on :math:`\sup_{|u|\le 1} |K(u) - \sum_{p < N} c_p u^p|`: :math:`K(1) - \sum_{p<N} c_p`.

    Rigorous because every :math:`c_p \ge 0`, and attained at u = 1. Exact sympy (rational plus
    rational over :math:`\pi`).
    """
    order = _order(order)
    n_terms = validate.integer("n_terms", n_terms, minimum=0, maximum=5000)
    partial = sp.Add(*[kernel_coefficient(order, p) for p in range(n_terms)])
    return sp.expand(kernel_at_one(order) - partial)


def analytic_tail_bound(order, n_terms):
    r"""A closed-form upper bound on :func:`tail_bound` from :math:`(2n-1)!!/(2n)!! \le (2n+1)^{-1/2}`.

    ReLU: terms :math:`p = 2\ell \ge N` have :math:`c_{2\ell} \le \frac{1}{2\pi}(2\ell-1)^{-5/2}`, so the tail
    is at most :math:`\frac{1}{2\pi}\cdot\frac13 (2L-3)^{-3/2}` with :math:`L = \lceil N/2 \rceil \ge 2`.
    Step: :math:`c_{2\ell+1} \le \frac1{2\pi}(2\ell+1)^{-3/2}`, tail at most :math:`\frac{1}{2\pi}(2L-1)^{-1/2}`
    with :math:`2L+1 \ge N`, :math:`L \ge 1`. (Integral comparison of a decreasing sequence.)
    """
    order = _order(order)
    n_terms = validate.integer("n_terms", n_terms, minimum=4 if order == 1 else 3)
    if order == 1:
        big_l = (n_terms + 1) // 2  # first even degree >= N is 2L
        return sp.Rational(1, 3) / (2 * big_l - 3) ** sp.Rational(3, 2) / (2 * sp.pi)
    big_l = (n_terms - 1 + 1) // 2  # first odd degree >= N is 2L+1
    big_l = max(big_l, 1)
    return 1 / sp.sqrt(2 * big_l - 1) / (2 * sp.pi)


def truncation_error(order, n_terms, *, n_grid=201, dps=40):
    r"""Largest :math:`|K(u) - S_N(u)|` over a grid of [-1, 1] (including both ends), in mpmath.

    Returns ``(max_error, argmax_u, certified_bound)``, all mpmath numbers at ``dps`` digits.
    """
    order = _order(order)
    n_terms = validate.integer("n_terms", n_terms, minimum=0, maximum=5000)
    n_grid = validate.integer("n_grid", n_grid, minimum=2)
    with mpmath.workdps(dps):
        coeffs = [mpmath.mpf(sp.N(kernel_coefficient(order, p), dps + 10)) for p in range(n_terms)]
        pi = mpmath.pi
        worst, where = mpmath.mpf(0), None
        for i in range(n_grid):  # a loop over grid points in arbitrary precision (no numpy here)
            u = mpmath.mpf(-1) + mpmath.mpf(2) * i / (n_grid - 1)
            if order == 1:
                exact = (u * (pi - mpmath.acos(u)) + mpmath.sqrt(1 - u**2)) / (2 * pi)
            else:
                exact = (pi - mpmath.acos(u)) / (2 * pi)
            partial = mpmath.polyval(coeffs[::-1], u) if coeffs else mpmath.mpf(0)
            err = abs(exact - partial)
            if err > worst:
                worst, where = err, u
        bound = mpmath.mpf(sp.N(tail_bound(order, n_terms), dps + 10))
        return worst, where, bound


# --------------------------------------------------------------------------------------------
# Monte Carlo random features


def random_feature_samples(x, x_other, n_features, *, order=1, input_radius=1.0, rng):
    r"""Per-feature samples :math:`\sigma(w_0^\top x)\sigma(w_0^\top x')`, :math:`w_0 \sim N(0, B_x^{-2} I)`.

    Their mean is the random-feature kernel (the arc-cosine kernel at :math:`u = x^\top x'/B_x^2`
    for inputs on :math:`S^{d-1}(B_x)`). ``x`` and ``x_other`` are single inputs of shape (dim,).
    Returns an array of shape (n_features,).
    """
    order = _order(order)
    x = validate.vector("x", x)
    x_other = validate.vector("x_other", x_other, length=x.shape[0])
    n_features = validate.integer("n_features", n_features, minimum=1)
    input_radius = validate.positive("input_radius", input_radius)
    w = rng.standard_normal((n_features, x.shape[0])) / input_radius
    pre = w @ np.stack([x, x_other]).T  # (n_features, 2)
    feat = (pre > 0).astype(np.float64) if order == 0 else np.maximum(pre, 0.0)
    return feat[:, 0] * feat[:, 1]


# --------------------------------------------------------------------------------------------
# spherical harmonics: Gegenbauer decomposition on S^{d-1}


def sphere_moment(power, dim):
    r""":math:`E[t^k]` for :math:`t = \langle \theta, e\rangle`, :math:`\theta \sim \mathrm{Unif}(S^{d-1})`, exact.

    Zero for odd k; :math:`\prod_{i<k/2} (2i+1)/(d+2i)` for even k.
    """
    k = validate.integer("power", power, minimum=0)
    d = validate.integer("dim", dim, minimum=2)
    if k % 2:
        return sp.Integer(0)
    return sp.Rational(_even_moment(k // 2, d))


@functools.lru_cache(maxsize=None)
def _even_moment(half, dim):
    """:math:`E[t^{2j}]` as a Fraction, by the recursion :math:`E t^{2j} = E t^{2j-2} (2j-1)/(d+2j-2)`."""
    if half == 0:
        return Fraction(1)
    return _even_moment(half - 1, dim) * Fraction(2 * half - 1, dim + 2 * half - 2)


@functools.lru_cache(maxsize=None)
def legendre_polynomial(degree, dim):
    r"""The degree-k Legendre (Gegenbauer) polynomial of :math:`S^{d-1}`, normalized :math:`P_k(1) = 1`, in :data:`U`.

    :math:`C_k^{(d-2)/2}(u)/C_k^{(d-2)/2}(1)` for :math:`d \ge 3`; the Chebyshev :math:`T_k` for d = 2.
    """
    k = validate.integer("degree", degree, minimum=0)
    d = validate.integer("dim", dim, minimum=2)
    if d == 2:
        poly = sp.chebyshevt(k, U)
    else:
        poly = sp.gegenbauer(k, sp.Rational(d - 2, 2), U)
    return sp.expand(poly / poly.subs(U, 1))


def _poly_moment(poly, dim):
    """:math:`E[q(t)]` for a sympy polynomial q in U, exact."""
    coeffs = sp.Poly(poly, U).all_coeffs()[::-1]
    return sp.expand(sum(c * sphere_moment(i, dim) for i, c in enumerate(coeffs)))


@functools.lru_cache(maxsize=None)
def _legendre_fractions(degree, dim):
    return [Fraction(int(sp.fraction(c)[0]), int(sp.fraction(c)[1]))
            for c in sp.Poly(legendre_polynomial(degree, dim), U).all_coeffs()[::-1]]


def power_projection(power, degree, dim):
    r""":math:`g_k = E[t^p P_k(t)]`, exact; :math:`t^p = \sum_k g_k N(d,k) P_k(t)`."""
    p = validate.integer("power", power, minimum=0)
    k = validate.integer("degree", degree, minimum=0)
    d = validate.integer("dim", dim, minimum=2)
    total = Fraction(0)
    for i, c in enumerate(_legendre_fractions(k, d)):  # k + 1 exact terms
        if c and (p + i) % 2 == 0:
            total += c * _even_moment((p + i) // 2, d)
    return sp.Rational(total.numerator, total.denominator)


@functools.lru_cache(maxsize=None)
def sphere_eigenvalue(order, degree, dim, dps=30):
    r"""Funk-Hecke eigenvalue :math:`\lambda_k = E_t[K(t) P_k(t)]` of the kernel on :math:`S^{d-1}` (mpmath).

    The kernel operator on :math:`L^2(\mathrm{Unif}(S^{d-1}))` has eigenvalue :math:`\lambda_k` on
    the degree-k harmonics; :math:`K(x^\top y) = \sum_k \lambda_k N(d,k) P_k(x^\top y)`. Computed by
    tanh-sinh quadrature of :math:`K(t)P_k(t)(1-t^2)^{(d-3)/2}` at ``dps`` digits (split at 0).
    """
    order = _order(order)
    k = validate.integer("degree", degree, minimum=0)
    d = validate.integer("dim", dim, minimum=2)
    poly = sp.Poly(legendre_polynomial(k, d), U).all_coeffs()
    with mpmath.workdps(dps + 10):
        coeffs = [mpmath.mpf(sp.N(c, dps + 20)) for c in poly]
        expo = mpmath.mpf(d - 3) / 2
        norm = mpmath.gamma(mpmath.mpf(d) / 2) / (mpmath.sqrt(mpmath.pi) * mpmath.gamma(mpmath.mpf(d - 1) / 2))
        pi = mpmath.pi

        def kern(t):
            if order == 1:
                return (t * (pi - mpmath.acos(t)) + mpmath.sqrt(1 - t**2)) / (2 * pi)
            return (pi - mpmath.acos(t)) / (2 * pi)

        value = norm * mpmath.quad(lambda t: kern(t) * mpmath.polyval(coeffs, t) * (1 - t**2) ** expo, [-1, 0, 1])
        return +value


# --------------------------------------------------------------------------------------------
# the two sides of Lemma 9's coefficient bound, and points at a given correlation


def lemma9_degrees(max_degree):
    r"""The degrees of Lemma 9 up to ``max_degree``: :math:`p \in \{0, 1\} \cup \{2\ell\}_{\ell \ge 1}`.

    The lemma (and the sum in its proof) runs over these degrees only; for odd :math:`p \ge 3`
    the ReLU coefficient :math:`c_p` vanishes and no bound is claimed.
    """
    max_degree = validate.integer("max_degree", max_degree, minimum=0, maximum=2000)
    return [p for p in range(max_degree + 1) if p <= 1 or p % 2 == 0]


def coefficient_bound_sides(max_degree, *, constant=None, exponent=3):
    r"""Both sides of :math:`c_p \ge (\kappa (p\vee1)^e)^{-1}` over :func:`lemma9_degrees`, exactly.

    :math:`\kappa` = ``constant`` (default :math:`2\pi`) and e = ``exponent`` (default 3) are the
    printed ones; tests and the trust suite hand in others. Returns a dict: ``degrees``,
    ``coefficients`` and ``bounds`` (sympy numbers), ``ratios`` (:math:`c_p` over the bound, exact),
    ``failures`` (degrees where the exact comparison fails).
    """
    from .expressivity import _to_exact  # the one reader of a user's number as an exact one

    degrees = lemma9_degrees(max_degree)
    kappa = 2 * sp.pi if constant is None else _to_exact(constant)
    exponent = validate.integer("exponent", exponent, minimum=0)
    coefficients = [kernel_coefficient(1, p) for p in degrees]
    bounds = [1 / (kappa * max(p, 1) ** exponent) for p in degrees]
    ratios = [sp.expand(c / b) for c, b in zip(coefficients, bounds)]
    failures = [p for p, r in zip(degrees, ratios) if not bool(r >= 1)]  # sympy decides the sign exactly
    return dict(degrees=degrees, coefficients=coefficients, bounds=bounds, ratios=ratios, failures=failures,
                constant=kappa, exponent=exponent)


def pair_at_correlation(dim, correlation, *, input_radius=1.0, rng):
    r"""Two points of :math:`S^{d-1}(B_x)` with :math:`x^\top x'/B_x^2 =` ``correlation`` (random orientation)."""
    dim = validate.integer("dim", dim, minimum=2)
    q, _ = np.linalg.qr(rng.standard_normal((dim, 2)))
    e1, e2 = q[:, 0], q[:, 1]
    return input_radius * e1, input_radius * (correlation * e1 + math.sqrt(max(1 - correlation**2, 0.0)) * e2)
