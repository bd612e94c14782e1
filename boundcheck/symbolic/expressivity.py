r"""Expressivity constants: Lemma 9 (random features), Lemma 15 and Theorem 7 (quadratic models).

Lemma 9 (Appendix A.2). For :math:`f(x) = \alpha(\beta^\top x)^p`, p in {1} or even, on
:math:`S^{d-1}(B_x)`, the tensor feature map :math:`\phi(x) = [\sqrt{c_q} B_x^{-q} x^{\otimes q}]_q`
of the ReLU kernel represents f with the single block :math:`\alpha c_p^{-1/2} B_x^{p}\beta^{\otimes p}`,
whose squared norm is

.. math:: \|c_f\|^2 = \alpha^2 B_x^{2p} \|\beta\|_2^{2p} / c_p \;\le\; 2\pi(p\vee 1)^3 \alpha^2 B_x^{2p}\|\beta\|_2^{2p}

(the paper's bound, through :math:`c_p \ge (2\pi(p\vee1)^3)^{-1}`). An explicit random-feature
coefficient with exactly this second moment is the Hermite one derived here:

.. math:: a(w_0) = \frac{\alpha (B_x\|\beta\|)^p}{\rho_p}\, h_p\big(B_x w_0^\top \hat\beta\big),
   \qquad \hat\beta = \beta/\|\beta\|,

since :math:`(B_x w_0^\top \hat x, B_x w_0^\top\hat\beta)` is standard bivariate normal with
correlation :math:`\hat x^\top\hat\beta` and Mehler's formula gives
:math:`E[\mathrm{relu}(Z_1)h_p(Z_2)] = \rho_p (\hat x^\top\hat\beta)^p`. The true RKHS norm on the
sphere (the infimum over all representations) comes from the Gegenbauer decomposition of the kernel
and can be smaller: :func:`sphere_norm_sq`.

Lemma 15 (C.3). With :math:`\sigma = \mathrm{relu}^3/6` (:math:`\sigma'' = \mathrm{relu}`) and
:math:`w_\pm(w_0) = \sqrt{a_\pm(w_0)}\,\beta` where a represents :math:`\alpha(\beta^\top x)^{p-2}`,
:math:`E[\sigma''(w_0^\top x)((w_+^\top x)^2 - (w_-^\top x)^2)] = \alpha(\beta^\top x)^p` and
:math:`E[\|w_+\|^4 + \|w_-\|^4] = \|\beta\|^4 E[a^2]`.

Theorem 7 (C.4). :math:`W_{*,r} = 2m^{-1/4} w_+(w_{0,r})`, :math:`W_{*,r+m/2} = 2m^{-1/4}w_-(w_{0,r})`
gives :math:`f^Q_{W_*}(x) = \big[\frac{2}{m}\sum_{r\le m/2}\mathrm{relu}(w_{0,r}^\top x)a(w_{0,r})\big](\beta^\top x)^2`
and :math:`\|W_*\|_{2,4}^4 = 8\|\beta\|^4 \frac{2}{m}\sum_{r\le m/2} a(w_{0,r})^2`, so
:math:`E\|W_*\|_{2,4}^4 = 8\|\beta\|^4 E[a^2]`, and Markov's inequality gives, with probability at
least :math:`1-\delta/2`, :math:`\|W_*\|_{2,4}^4 \le 32\pi((p-2)\vee1)^3\alpha^2B_x^{2(p-2)}\|\beta\|^{2p}/\delta`.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp
from scipy.special import eval_hermitenorm

from .. import _validate as validate
from .parse import exact_number
from .kernels import (check_degree, harmonic_dimension, hermite_coefficient, kernel_coefficient,
                      paper_lower_bound, power_projection, sphere_eigenvalue)

__all__ = [
    "feature_map_norm_sq", "lemma9_paper_bound", "sphere_norm_sq", "sphere_norm_terms",
    "random_feature_coefficient", "random_feature_representation", "importance_initial_weights",
    "identity_by_quadrature",
    "lemma15_directions", "lemma15_second_moment", "lemma15_paper_bound", "lemma15_identity_by_quadrature",
    "theorem7_w_star", "theorem7_expected_norm", "theorem7_deviation_second_moment", "theorem7_paper_norm_bound", "polynomial_target",
]


def _target_args(degree, coef, beta_norm, input_radius, shift=0):
    degree = check_degree(degree, shift=shift)
    coef = validate._real("coef", coef)
    beta_norm = validate.positive("beta_norm", beta_norm)
    input_radius = validate.positive("input_radius", input_radius)
    return degree, coef, beta_norm, input_radius


def _to_exact(value, name="constant"):
    """A user's number as an exact sympy number: a float by its decimal reading (0.1 -> 1/10), a string
    through the whitelist grammar of :func:`boundcheck.symbolic.parse.parse_constant` (never sympify)."""
    return exact_number(value, name=name)


def _scale_sq(degree, coef, beta_norm, input_radius):
    r""":math:`\alpha^2 (B_x \|\beta\|)^{2p}` as an exact sympy number."""
    return _to_exact(coef) ** 2 * (_to_exact(input_radius) * _to_exact(beta_norm)) ** (2 * degree)


def feature_map_norm_sq(degree, coef, beta_norm, input_radius=1.0):
    r"""Lemma 9: :math:`\alpha^2 B_x^{2p}\|\beta\|^{2p}/c_p`, the squared norm of the tensor-feature representation.

    Returns a sympy number (exact for rational inputs; floats are converted to rationals first).
    """
    p, a, b, r = _target_args(degree, coef, beta_norm, input_radius)
    return sp.expand(_scale_sq(p, coef, beta_norm, input_radius) / kernel_coefficient(1, p))


def lemma9_paper_bound(degree, coef, beta_norm, input_radius=1.0, *, constant=None, exponent=3):
    r"""Lemma 9 as printed: :math:`2\pi(p\vee1)^3\alpha^2B_x^{2p}\|\beta\|_2^{2p}` (sympy).

    ``constant`` (default :math:`2\pi`) and ``exponent`` (default 3) exist so that tests can hand
    the check a wrong bound.
    """
    p, a, b, r = _target_args(degree, coef, beta_norm, input_radius)
    constant = 2 * sp.pi if constant is None else _to_exact(constant)
    return constant * max(p, 1) ** exponent * _scale_sq(p, coef, beta_norm, input_radius)


#: Largest degree for which :func:`sphere_norm_sq` runs its Gegenbauer quadratures.
SPHERE_MAX_DEGREE = 40


def sphere_norm_terms(degree, dim, *, dps=30):
    r"""Per-harmonic terms of the RKHS norm of :math:`\hat f(\theta) = (\hat\beta^\top\theta)^p` on :math:`S^{d-1}`.

    Rows ``(k, N(d,k), g_k, lambda_k, term)`` with :math:`g_k = E[t^pP_k(t)]` (exact),
    :math:`\lambda_k` the Funk-Hecke eigenvalue (mpmath) and term :math:`N(d,k)g_k^2/\lambda_k`.
    """
    p = check_degree(degree)
    if p > SPHERE_MAX_DEGREE:
        raise validate.BoundcheckInputError(
            f"degree must be <= {SPHERE_MAX_DEGREE} for the sphere norm (one quadrature per harmonic); got {p}")
    d = validate.integer("dim", dim, minimum=2)
    rows = []
    for k in range(p % 2, p + 1, 2):  # only harmonics of the parity of p appear; a loop over degrees
        g = power_projection(p, k, d)
        if g == 0:
            continue
        lam = sphere_eigenvalue(1, k, d, dps)
        n_k = harmonic_dimension(k, d)
        with mpmath.workdps(dps):
            term = n_k * mpmath.mpf(sp.N(g**2, dps + 5)) / lam
        rows.append(dict(k=k, harmonic_dim=n_k, projection=g, eigenvalue=lam, term=term))
    return rows


def sphere_norm_sq(degree, coef, beta_norm, input_radius=1.0, *, dim, dps=30):
    r"""The exact RKHS norm squared of :math:`\alpha(\beta^\top x)^p` for the ReLU kernel on :math:`S^{d-1}(B_x)`.

    :math:`\alpha^2(B_x\|\beta\|)^{2p}\sum_{k \equiv p\ (2),\,k\le p} N(d,k)\,g_k^2/\lambda_k`
    (Mercer's formula in the spherical-harmonic basis; the kernel depends on
    :math:`u = x^\top x'/B_x^2` only, so the radius enters through the scale factor). Never larger
    than :func:`feature_map_norm_sq`, which is one representation among many on the sphere.
    Returns an mpmath number.
    """
    p, a, b, r = _target_args(degree, coef, beta_norm, input_radius)
    total = sum(row["term"] for row in sphere_norm_terms(p, dim, dps=dps))
    with mpmath.workdps(dps):
        return mpmath.mpf(sp.N(_scale_sq(p, coef, beta_norm, input_radius), dps + 5)) * total


# --------------------------------------------------------------------------------------------
# the explicit random-feature coefficient a(w_0)


def _normalized_hermite(k, t):
    return eval_hermitenorm(k, t) / math.sqrt(math.factorial(k))


def random_feature_coefficient(w_init, beta, coef, degree, *, input_radius=1.0):
    r""":math:`a(w_0) = \alpha(B_x\|\beta\|)^p\rho_p^{-1}h_p(B_x w_0^\top\hat\beta)` for each row of ``w_init``.

    Represents :math:`\alpha(\beta^\top x)^p` through ReLU random features on :math:`S^{d-1}(B_x)`:
    :math:`E_{w_0}[\mathrm{relu}(w_0^\top x)a(w_0)] = \alpha(\beta^\top x)^p`, with
    :math:`E[a^2] = \alpha^2 B_x^{2p}\|\beta\|^{2p}/c_p` (:func:`feature_map_norm_sq`).

    Parameters
    ----------
    w_init : ndarray, shape (n, dim)
        Draws of :math:`w_0 \sim N(0, B_x^{-2}I)`.
    beta : ndarray, shape (dim,)
    coef : float
        :math:`\alpha`.
    degree : int
        p, 1 or even.
    input_radius : float
        :math:`B_x`.
    """
    w_init = validate.matrix("w_init", w_init)
    beta = validate.vector("beta", beta, length=w_init.shape[1])
    p = check_degree(degree)
    coef = validate._real("coef", coef)
    input_radius = validate.positive("input_radius", input_radius)
    norm = float(np.linalg.norm(beta))
    if norm == 0:
        raise validate.BoundcheckInputError("beta must be a nonzero vector; got the zero vector")
    rho = float(hermite_coefficient(1, p))
    z = input_radius * (w_init @ (beta / norm))
    return coef * (input_radius * norm) ** p / rho * _normalized_hermite(p, z)


def polynomial_target(x, beta, coef, degree):
    r""":math:`\alpha(\beta^\top x)^p` for each row of ``x``."""
    return coef * (np.asarray(x, dtype=np.float64) @ np.asarray(beta, dtype=np.float64)) ** degree


def importance_initial_weights(n_features, beta, *, input_radius=1.0, proposal_var=3.0, rng):
    r"""Importance-sampled draws of :math:`w_0 \sim N(0, B_x^{-2}I)`, widened along :math:`\hat\beta`.

    The coordinate :math:`Z = B_x w_0^\top\hat\beta` is drawn from :math:`N(0, s^2)`,
    :math:`s^2 =` ``proposal_var``, the orthogonal part from the target; the likelihood ratio is
    :math:`\omega(Z) = s\,e^{-Z^2(1 - s^{-2})/2}`, so :math:`E_q[\omega g(w_0)] = E[g(w_0)]` for any g.
    Why: :math:`a(w_0)` is a degree-p Hermite polynomial of Z, and plain Monte Carlo of :math:`a^2`
    is so heavy-tailed that its t-interval undercovers (65% instead of 95% at p = 4 in our runs);
    with :math:`s^2 = 3` the weighted values have Gaussian tails and the interval covers (about
    95% over 200 repetitions for p = 1, 2, 4, 6).

    Returns ``(w_init, weights)`` of shapes (n_features, dim) and (n_features,).
    """
    n_features = validate.integer("n_features", n_features, minimum=1)
    beta = validate.vector("beta", beta)
    input_radius = validate.positive("input_radius", input_radius)
    proposal_var = validate.positive("proposal_var", proposal_var)
    unit = beta / np.linalg.norm(beta)
    z = rng.standard_normal(n_features) * math.sqrt(proposal_var)
    g = rng.standard_normal((n_features, beta.shape[0]))
    g -= (g @ unit)[:, None] * unit  # the part orthogonal to beta-hat
    weights = math.sqrt(proposal_var) * np.exp(-0.5 * z**2 * (1.0 - 1.0 / proposal_var))
    return (g + z[:, None] * unit) / input_radius, weights


def random_feature_representation(x, beta, coef, degree, n_features, *, input_radius=1.0, proposal_var=3.0, rng):
    r"""Weighted Monte Carlo samples of :math:`\mathrm{relu}(w_0^\top x)a(w_0)` and of :math:`a(w_0)^2`.

    Returns ``(products, second_moments)`` of shapes (n_features, n_inputs) and (n_features,),
    already multiplied by the likelihood ratio of :func:`importance_initial_weights`
    (``proposal_var=1`` is plain Monte Carlo): their column means estimate
    :math:`\alpha(\beta^\top x_i)^p` and :math:`E[a^2]`.
    """
    x = validate.matrix("x", x)
    w0, weights = importance_initial_weights(n_features, beta, input_radius=input_radius,
                                             proposal_var=proposal_var, rng=rng)
    a = random_feature_coefficient(w0, beta, coef, degree, input_radius=input_radius)
    return np.maximum(w0 @ x.T, 0.0) * (weights * a)[:, None], weights * a**2


def _gauss_relu_mean(mu, s):
    r""":math:`E[\mathrm{relu}(\mu + sG)]` for :math:`G\sim N(0,1)`, in mpmath (s >= 0)."""
    if s == 0:
        return max(mu, 0)
    t = mu / s
    return s * mpmath.npdf(t) + mu * mpmath.ncdf(t)


def identity_by_quadrature(correlation, degree, *, coef=1.0, dps=30, part=None):
    r""":math:`E[\mathrm{relu}(Z_1)\,\tilde a(Z_2)]` by one-dimensional quadrature, independent of Mehler's formula.

    With :math:`Z_2 = G_1`, :math:`Z_1 = \rho G_1 + \sqrt{1-\rho^2}G_2`, the inner expectation over
    :math:`G_2` is :math:`E[\mathrm{relu}(\mu + sG)] = s\varphi(\mu/s) + \mu\Phi(\mu/s)` in closed
    form, and the outer one is a tanh-sinh quadrature over :math:`G_1`, split at the roots of
    :math:`h_p`. Here :math:`\tilde a = \alpha h_p/\rho_p`, so the answer should be :math:`\alpha\rho^p`.
    ``part`` = "plus" / "minus" integrates :math:`\tilde a_+` / :math:`\tilde a_-` only (Lemma 15).
    """
    p = check_degree(degree)
    rho = float(correlation)
    if not -1.0 <= rho <= 1.0:
        raise validate.BoundcheckInputError(f"correlation must be in [-1, 1]; got {rho}")
    with mpmath.workdps(dps):
        rho_m = mpmath.mpf(rho)
        s = mpmath.sqrt(1 - rho_m**2)
        rp = mpmath.mpf(sp.N(hermite_coefficient(1, p), dps + 5))
        he = sp.Poly(sp.hermite_prob(p, sp.Symbol("t")) if hasattr(sp, "hermite_prob")
                     else sp.hermite(p, sp.Symbol("t") / sp.sqrt(2)) * 2 ** sp.Rational(-p, 2), sp.Symbol("t"))
        he_coeffs = [mpmath.mpf(sp.N(c, dps + 5)) for c in he.all_coeffs()]
        norm = mpmath.sqrt(mpmath.factorial(p))
        roots = sorted(float(r) for r in np.roots([float(c) for c in he.all_coeffs()]).real) if p > 0 else []

        def a_tilde(g):
            value = mpmath.mpf(coef) * mpmath.polyval(he_coeffs, g) / norm / rp
            if part == "plus":
                return max(value, 0)
            if part == "minus":
                return max(-value, 0)
            return value

        f = lambda g: _gauss_relu_mean(rho_m * g, s) * a_tilde(g) * mpmath.npdf(g)
        # break at the roots of h_p (kinks of a_+-) and at 0 (the relu kink when |rho| = 1)
        breaks = sorted(set([0.0] + [round(r, 15) for r in roots]))
        points = [-mpmath.inf] + [mpmath.mpf(r) for r in breaks] + [mpmath.inf]
        return mpmath.quad(f, points)


# --------------------------------------------------------------------------------------------
# Lemma 15 and Theorem 7


def lemma15_directions(w_init, beta, coef, degree, *, input_radius=1.0):
    r""":math:`(w_+(w_0), w_-(w_0)) = (\sqrt{a_+}\beta, \sqrt{a_-}\beta)` per row of ``w_init``, equation (22).

    a represents :math:`\alpha(\beta^\top x)^{p-2}` (``degree`` is p, with p - 2 in {1} or even).
    Returns two arrays of shape (n, dim).
    """
    p = check_degree(degree, shift=2)
    beta = np.asarray(beta, dtype=np.float64)
    a = random_feature_coefficient(w_init, beta, coef, p - 2, input_radius=input_radius)
    return np.sqrt(np.maximum(a, 0.0))[:, None] * beta, np.sqrt(np.maximum(-a, 0.0))[:, None] * beta


def lemma15_second_moment(degree, coef, beta_norm, input_radius=1.0):
    r""":math:`E[\|w_+\|^4 + \|w_-\|^4] = \|\beta\|^4E[a^2] = \alpha^2B_x^{2(p-2)}\|\beta\|^{2p}/c_{p-2}` (exact)."""
    p = check_degree(degree, shift=2)
    return sp.expand(_to_exact(beta_norm) ** 4 * feature_map_norm_sq(p - 2, coef, beta_norm, input_radius))


def lemma15_paper_bound(degree, coef, beta_norm, input_radius=1.0, *, constant=None):
    r"""Lemma 15 as printed: :math:`2\pi((p-2)\vee1)^3\alpha^2B_x^{2(p-2)}\|\beta\|_2^{2p}`."""
    p = check_degree(degree, shift=2)
    return (_to_exact(beta_norm) ** 4
            * lemma9_paper_bound(p - 2, coef, beta_norm, input_radius, constant=constant))


def lemma15_identity_by_quadrature(correlation, degree, *, coef=1.0, beta_norm=1.0, input_radius=1.0, dps=30):
    r"""Left side of Lemma 15 at an input x with :math:`\hat x^\top\hat\beta = \rho`, by quadrature.

    :math:`E[\sigma''(w_0^\top x)((w_+^\top x)^2 - (w_-^\top x)^2)] = (\beta^\top x)^2(E[\mathrm{relu}\,a_+]
    - E[\mathrm{relu}\,a_-])`, the two expectations integrated separately (a_+, a_- have kinks).
    Returns ``(lhs, rhs)`` with :math:`\mathrm{rhs} = \alpha(\beta^\top x)^p`.
    """
    p = check_degree(degree, shift=2)
    scale = (input_radius * beta_norm) ** (p - 2)
    plus = identity_by_quadrature(correlation, p - 2, coef=coef, dps=dps, part="plus")
    minus = identity_by_quadrature(correlation, p - 2, coef=coef, dps=dps, part="minus")
    with mpmath.workdps(dps):
        bx = mpmath.mpf(input_radius) * mpmath.mpf(beta_norm) * mpmath.mpf(correlation)  # beta . x
        lhs = bx**2 * scale * (plus - minus)
        rhs = mpmath.mpf(coef) * bx**p
        return lhs, rhs


def theorem7_w_star(w_init, beta, coef, degree, *, input_radius=1.0):
    r"""Theorem 7's :math:`W_*` (Appendix C.4) for a symmetric initialization ``w_init`` of shape (m, dim).

    Rows :math:`r \le m/2` get :math:`2m^{-1/4}w_+(w_{0,r})`, rows :math:`r + m/2` get
    :math:`2m^{-1/4}w_-(w_{0,r})`; needs :math:`w_{0,r} = w_{0,r+m/2}` (symmetric init, output signs
    +1 then -1).
    """
    w_init = validate.matrix("w_init", w_init)
    m = validate.even_width("width", w_init.shape[0])
    half = w_init[: m // 2]
    if not np.array_equal(half, w_init[m // 2:]):
        raise validate.BoundcheckInputError(
            "w_init must be a symmetric initialization (rows r and r + m/2 equal, equation (3))")
    w_plus, w_minus = lemma15_directions(half, beta, coef, degree, input_radius=input_radius)
    return 2.0 * m**-0.25 * np.concatenate([w_plus, w_minus])


def theorem7_deviation_second_moment(x, beta, coef, degree, width, *, input_radius=1.0, n_nodes=200):
    r""":math:`E_{W_0}[(f^Q_{W_*}(x) - f_*(x))^2]` per input, exactly (Gauss-Hermite after a closed-form inner integral).

    :math:`f^Q_{W_*}(x) = \frac{2}{m}\sum_{r\le m/2}\mathrm{relu}(w_{0,r}^\top x)a(w_{0,r})\,(\beta^\top x)^2`
    is a mean of m/2 i.i.d. terms with mean :math:`f_*(x)`, so the second moment is
    :math:`\frac{2}{m}(\beta^\top x)^4\big(E[\mathrm{relu}(Z_1)^2a^2] - \alpha^2(\beta^\top x)^{2(p-2)}\big)`.
    With :math:`Z_2 = g`, :math:`Z_1 = \rho g + sG`: :math:`E_G[\mathrm{relu}(\mu+sG)^2] =
    (\mu^2+s^2)\Phi(\mu/s) + \mu s\varphi(\mu/s)`, then Gauss-Hermite in g (``n_nodes`` nodes).
    This is the variance behind the Chebyshev step of Appendix C.4. Returns shape (n_samples,).
    """
    from scipy.special import ndtr

    x = validate.matrix("x", x)
    beta = validate.vector("beta", beta, length=x.shape[1])
    p = check_degree(degree, shift=2)
    width = validate.even_width("width", width)
    input_radius = validate.positive("input_radius", input_radius)
    n_nodes = validate.integer("n_nodes", n_nodes, minimum=20, maximum=200)  # numpy's nodes overflow beyond ~250
    norm = float(np.linalg.norm(beta))
    rho = np.clip((x @ beta) / (np.linalg.norm(x, axis=1) * norm), -1.0, 1.0)  # (n,)
    s = np.sqrt(np.maximum(1.0 - rho**2, 1e-300))
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)
    weights = weights / math.sqrt(2.0 * math.pi)
    mu = rho[:, None] * nodes[None, :]
    t = mu / s[:, None]
    inner = (mu**2 + s[:, None] ** 2) * ndtr(t) + mu * s[:, None] * np.exp(-0.5 * t**2) / math.sqrt(2 * math.pi)
    a = coef * (input_radius * norm) ** (p - 2) / float(hermite_coefficient(1, p - 2)) * _normalized_hermite(p - 2, nodes)
    second = inner @ (weights * a**2)
    bx = x @ beta
    return (2.0 / width) * bx**4 * (second - coef**2 * bx ** (2 * (p - 2)))


def theorem7_expected_norm(degree, coef, beta_norm, input_radius=1.0):
    r""":math:`E\|W_*\|_{2,4}^4 = 8\|\beta\|^4E[a^2] = 8\alpha^2B_x^{2(p-2)}\|\beta\|^{2p}/c_{p-2}` (exact)."""
    return 8 * lemma15_second_moment(degree, coef, beta_norm, input_radius)


def theorem7_paper_norm_bound(degree, coef, beta_norm, input_radius=1.0, *, failure_prob=0.1, constant=None):
    r"""Appendix C.4's bound: :math:`32\pi((p-2)\vee1)^3\alpha^2B_x^{2(p-2)}\|\beta\|^{2p}\delta^{-1}`.

    It holds with probability at least :math:`1-\delta/2` (Markov). ``constant`` replaces
    :math:`32\pi` (tests hand it a wrong one).
    """
    failure_prob = validate.probability("failure_prob", failure_prob)
    p = check_degree(degree, shift=2)
    base = lemma15_paper_bound(p, coef, beta_norm, input_radius) / (2 * sp.pi)
    constant = 32 * sp.pi if constant is None else _to_exact(constant)
    return constant * base / _to_exact(failure_prob)
