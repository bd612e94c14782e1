r"""Expressivity (paper Lemma 9, Lemma 15, Theorem 7) and the moment matching of Section 6.

Every check compares the side the derivation gives (exact sympy / mpmath, or a Monte Carlo mean
with its interval) with the side the paper prints; keyword arguments such as ``paper_constant``
exist so that a test can hand a check a wrongly shrunk bound and watch it come out VIOLATED.
A check that returns several Monte Carlo records widens each interval (Bonferroni) so that the
whole family has confidence ``level``; the per-record level is in the params. A Monte Carlo
identity ("==") is decided with a tolerance of ``rel_tol`` (2%) of its natural scale, recorded as
``tolerance`` in the params.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp

from .. import _validate as validate
from ..data import load_instance, sample_sphere
from ..losses import get_loss
from ..network import TaylorModel, norm_24, quadratic_model, symmetric_init
from ..numeric.generalization import clopper_pearson
from ..run.registry import register
from ..results import CheckResult, INCONCLUSIVE
from ..symbolic import expressivity as ex
from ..symbolic import kernels as kern
from ..symbolic import moments as mom

__all__ = ["PRINTED_VS_DERIVED", "check_lemma9_coefficients", "check_lemma9", "check_lemma15", "check_theorem7",
           "check_section6_moments",
           "pair_at_correlation"]


#: Monte Carlo identities ("==") hold when the interval reaches the exact value within this fraction of
#: its scale: a correct identity then fails far less often than 1 - level, while the wrong constants
#: the tests hand in (10% and more) still come out VIOLATED.
REL_TOL = 0.02

#: Where the printed paper and the derivation part ways (both values), reported in the records' params.
PRINTED_VS_DERIVED = {
    "Lemma 9 coefficients": (
        "printed: c_p >= (2 pi (p v 1)^3)^-1 'for all p'; derived: only for p in {0, 1} or even -- c_p = 0 for "
        "odd p >= 3 (c_3 = 0 < 1/(54 pi) = 0.00589). Where it holds it is loose: c_p / bound = 2 pi p^3 c_p ~ "
        "sqrt(2p/pi) (8/3 at p = 4, 11.38 at p = 200), since c_p ~ p^-5/2 / (sqrt(2) pi^1.5), not p^-3; "
        "equality only at p = 0."),
    "Lemma 9": (
        "printed: E a^2 <= 2 pi (p v 1)^3 alpha^2 B_x^2p |beta|^2p; derived: the Hermite a has E a^2 = "
        "alpha^2 (B_x |beta|)^2p / c_p exactly (smaller by 2 pi (p v 1)^3 c_p, e.g. 8/3 at p = 4), and the "
        "RKHS norm on S^{d-1}(B_x) is smaller still (d = 3, p = 4: 23.62 vs 150.80 vs printed 402.12, "
        "alpha = B_x = |beta| = 1)."),
    "Lemma 15": (
        "printed (23): E[sigma''(w0.x) a] = (beta.x)^(p-2); derived: the right side must be alpha (beta.x)^(p-2) "
        "(else the network gives (beta.x)^p, not alpha (beta.x)^p); the printed norm bound already carries "
        "alpha^2, consistent with the corrected (23). Exact: E|w+|^4 + E|w-|^4 = alpha^2 B_x^2(p-2) |beta|^2p / "
        "c_{p-2} (4 at p = 3, 4 pi at p = 4) vs printed 2 pi ((p-2) v 1)^3 alpha^2 B_x^2(p-2) |beta|^2p "
        "(2 pi, 16 pi)."),
    "Theorem 7": (
        "derived: E|W*|_{2,4}^4 = 8 |beta|^4 E a^2 = 8 alpha^2 B_x^2(p-2) |beta|^2p / c_{p-2} (32 pi at p = 4, "
        "unit scales); printed (C.4, Markov at 1 - delta/2): 32 pi ((p-2) v 1)^3 alpha^2 B_x^2(p-2) |beta|^2p "
        "/ delta (2560 pi at delta = 0.1): constant and construction W* = 2 m^-1/4 (w+, w-) agree with the "
        "derivation; the bound is 80x the mean there."),
}


def pair_at_correlation(dim, correlation, *, input_radius=1.0, rng):
    r"""Two points of :math:`S^{d-1}(B_x)` with :math:`x^\top x'/B_x^2 =` ``correlation`` (random orientation)."""
    dim = validate.integer("dim", dim, minimum=2)
    q, _ = np.linalg.qr(rng.standard_normal((dim, 2)))
    e1, e2 = q[:, 0], q[:, 1]
    return input_radius * e1, input_radius * (correlation * e1 + math.sqrt(max(1 - correlation**2, 0.0)) * e2)


def _identity(claim, samples, exact, *, level, tol, params):
    """A Monte Carlo identity record: mean of ``samples`` == ``exact`` up to ``tol`` (kept in the params)."""
    return CheckResult.from_samples(claim, samples, exact, "==", level=level, tol=tol,
                                    params=dict(params, tolerance=float(tol)))


def _family_level(level, n_records):
    """Bonferroni: each of ``n_records`` Monte Carlo intervals at this level gives the family ``level``."""
    level = validate.probability("level", level)
    return 1.0 - (1.0 - level) / n_records


def _beta(dim, beta_norm, rng):
    g = rng.standard_normal(dim)
    return beta_norm * g / np.linalg.norm(g)


@register("Lemma 9 coefficients", section="A.2 (proof of Lemma 9)",
          statement="ReLU kernel coefficients c_p >= (2 pi (p v 1)^3)^-1 for p in {0,1} u even; series certified")
def check_lemma9_coefficients(*, rng, dim=8, input_radius=1.0, draws=20000, level=0.95, max_degree=200,
                              n_terms=30, paper_constant=None, paper_exponent=3, rel_tol=REL_TOL):
    r"""The coefficient bound of Lemma 9's proof, the certified truncation, and the kernel against random features.

    Records:

    1. worst degree :math:`p \le` ``max_degree`` (p in {0, 1} or even) of :math:`c_p` against
       :math:`(\kappa (p\vee1)^e)^{-1}`, :math:`\kappa = 2\pi`, e = 3 (exact values; the all-degree
       argument of :func:`~boundcheck.symbolic.kernels.bound_ratio_argument` is run and reported);
    2. :math:`\max_{|u|\le1}|K_1(u) - S_N(u)|` (mpmath, 40 digits) against the certified tail
       :math:`K_1(1) - S_N(1)` (exact);
    3. per order 0 and 1, the Monte Carlo kernel from ``draws`` random features at a random pair
       against the closed arc-cosine kernel (interval must contain it).
    """
    max_degree = validate.integer("max_degree", max_degree, minimum=2, maximum=2000)
    constant = 2 * sp.pi if paper_constant is None else ex._to_exact(paper_constant)
    degrees = [p for p in range(max_degree + 1) if p <= 1 or p % 2 == 0]
    exact = [kern.kernel_coefficient(1, p) for p in degrees]
    bounds = [1 / (constant * max(p, 1) ** paper_exponent) for p in degrees]
    ratios = [sp.expand(c / b) for c, b in zip(exact, bounds)]
    # exact comparison (ratios are rational multiples of powers of pi; sympy decides their sign rigorously)
    exact_fail = [p for p, r in zip(degrees, ratios) if not bool(r >= 1)]
    argument = kern.bound_ratio_argument() if paper_constant is None and paper_exponent == 3 else None
    worst = int(np.argmin([float(r) for r in ratios]))
    values = np.array([float(c) for c in exact])
    rhs = np.array([float(b) for b in bounds])
    rec1 = CheckResult.worst_case("Lemma 9 coefficients", values, rhs, ">=", tol=4 * np.finfo(float).eps * rhs.max(),
                                  params=dict(part="c_p >= (2 pi (p v 1)^3)^-1", max_degree=max_degree,
                                              worst_degree=degrees[worst], worst_ratio=float(ratios[worst]),
                                              exact_failures=exact_fail,
                                              min_ratio_p_ge_2=min(float(r) for p, r in zip(degrees, ratios) if p >= 2),
                                              ratio_at_max_degree=float(ratios[-1]),
                                              asymptotic_ratio=kern.asymptotic_ratio(max_degree),
                                              all_degree_argument=None if argument is None else
                                              "verified: c_p >= 1/(2 pi (2l-1)^2 2l) >= 1/(2 pi p^3); ratio minimal "
                                              "over p >= 2 at p = 4 (8/3), increasing after",
                                              paper_constant=str(constant), paper_exponent=paper_exponent,
                                              paper_vs_derivation=PRINTED_VS_DERIVED["Lemma 9 coefficients"]))
    if exact_fail and rec1.verdict != "VIOLATED":  # the exact comparison overrules rounding
        rec1.verdict = "VIOLATED"
    worst_err, where, certified = kern.truncation_error(1, n_terms, n_grid=101)
    rec2 = CheckResult.exact("Lemma 9 coefficients", float(worst_err), float(certified), "<=", tol=1e-25,
                             params=dict(part=f"sup |K_1(u) - S_N(u)| <= K_1(1) - S_N(1), N = {n_terms}",
                                         argmax_u=float(where),
                                         analytic_tail_bound=float(kern.analytic_tail_bound(1, n_terms))))
    records = [rec1, rec2]
    pair_rng, *order_rngs = rng.spawn(3)  # independent sub-streams, one per Monte Carlo record
    corr = float(pair_rng.uniform(-0.9, 0.9))
    x, x2 = pair_at_correlation(dim, corr, input_radius=input_radius, rng=pair_rng)
    level = _family_level(level, 2)
    for order, sub in zip((0, 1), order_rngs):
        samples = kern.random_feature_samples(x, x2, draws, order=order, input_radius=input_radius,
                                              rng=sub)
        records.append(_identity(
            "Lemma 9 coefficients", samples, float(kern.kernel_value(order, corr)), level=level,
            tol=rel_tol * float(kern.kernel_value(order, 1.0)),
            params=dict(part=f"random-feature kernel (order {order}) = arc-cosine closed form", correlation=corr,
                        dim=dim, n_features=draws)))
    return records


@register("Lemma 9", section="A.2",
          statement="a(w0) with E[relu(w0.x) a] = alpha (beta.x)^p and E a^2 <= 2 pi (p v 1)^3 alpha^2 B_x^2p |beta|^2p")
def check_lemma9(*, rng, dim=8, input_radius=1.0, draws=20000, level=0.95, degrees=(1, 2, 4), coef=1.0,
                 beta_norm=1.0, paper_constant=None, paper_exponent=3, rel_tol=REL_TOL,
                 scales=(0.5, 0.8, 1.25, 2.0), claimed_scaling=None):
    r"""Lemma 9: the RKHS norm of :math:`\alpha(\beta^\top x)^p` and an explicit random-feature coefficient.

    Per degree p, four records:

    1. exact: :math:`\alpha^2B_x^{2p}\|\beta\|^{2p}/c_p` (the feature-map norm of the proof) against
       the printed :math:`2\pi(p\vee1)^3\alpha^2B_x^{2p}\|\beta\|^{2p}`;
    2. exact: the true RKHS norm on :math:`S^{d-1}(B_x)` (Gegenbauer) against the feature-map norm
       (the ratio says how much the sphere saves);
    3. Monte Carlo (``draws`` features, importance-sampled along :math:`\hat\beta`):
       :math:`E[\mathrm{relu}(w_0^\top x)a(w_0)]` at a random input x against
       :math:`\alpha(\beta^\top x)^p`, with the Hermite coefficient a;
    4. Monte Carlo: :math:`E[a^2]` against the exact feature-map norm.

    Then, for the largest degree, two scaling records: the exponents of the Monte Carlo
    :math:`E[a^2]` in :math:`B_x` (with :math:`\|\beta\|` fixed) and in :math:`\|\beta\|` (with
    :math:`B_x` fixed), fitted over ``scales`` against the claimed 2p (``claimed_scaling`` replaces
    2p, for tests).
    """
    input_radius = validate.positive("input_radius", input_radius)
    dim = validate.integer("dim", dim, minimum=2)
    setup_rng, scale_rng, *degree_rngs = rng.spawn(2 + len(degrees))  # independent sub-streams
    beta = _beta(dim, validate.positive("beta_norm", beta_norm), setup_rng)
    x = sample_sphere(1, dim, input_radius=input_radius, rng=setup_rng)
    records = []
    level = _family_level(level, 2 * len(degrees) + 2)
    for p, sub in zip(degrees, degree_rngs):  # a loop over the few degrees checked
        p = kern.check_degree(p)
        params = dict(degree=p, coef=coef, beta_norm=beta_norm, input_radius=input_radius, dim=dim)
        fm = ex.feature_map_norm_sq(p, coef, beta_norm, input_radius)
        bound = ex.lemma9_paper_bound(p, coef, beta_norm, input_radius, constant=paper_constant,
                                      exponent=paper_exponent)
        exact_holds = bool(sp.expand(bound - fm) >= 0)
        rec = CheckResult.exact("Lemma 9", float(fm), float(bound), "<=", tol=4e-16 * float(bound),
                                params=dict(params, part="feature-map norm^2 <= paper bound", exact_lhs=str(fm),
                                            exact_rhs=str(bound), ratio=float(bound / fm),
                                            paper_vs_derivation=PRINTED_VS_DERIVED["Lemma 9"]))
        if not exact_holds:
            rec.verdict = "VIOLATED"
        records.append(rec)
        sphere = float(ex.sphere_norm_sq(p, coef, beta_norm, input_radius, dim=dim))
        records.append(CheckResult.exact("Lemma 9", sphere, float(fm), "<=", tol=1e-12 * float(fm),
                                         params=dict(params, part="sphere RKHS norm^2 <= feature-map norm^2",
                                                     ratio=sphere / float(fm))))
        products, second = ex.random_feature_representation(x, beta, coef, p, draws, input_radius=input_radius,
                                                            rng=sub)
        target = float(ex.polynomial_target(x, beta, coef, p)[0])
        scale = abs(coef) * (input_radius * beta_norm) ** p  # sup of |f| on the sphere
        records.append(_identity("Lemma 9", products[:, 0], target, level=level, tol=rel_tol * scale,
                                 params=dict(params, part="E[relu(w0.x) a(w0)] = alpha (beta.x)^p")))
        records.append(_identity("Lemma 9", second, float(fm), level=level, tol=rel_tol * float(fm),
                                 params=dict(params, part="E[a(w0)^2] = alpha^2 (B_x |beta|)^2p / c_p")))
    # scaling of E a^2 in B_x and in |beta| (largest degree), each a fit over `scales`
    p = kern.check_degree(max(degrees))
    claimed = 2 * p if claimed_scaling is None else claimed_scaling
    unit = beta / np.linalg.norm(beta)
    xs = x / np.linalg.norm(x)
    for name, sub in zip(("input_radius", "beta_norm"), scale_rng.spawn(2)):
        means = []
        for t in scales:  # a sweep over a few scales, each batched
            radius = t * input_radius if name == "input_radius" else input_radius
            b = unit * (t * beta_norm if name == "beta_norm" else beta_norm)
            _, second = ex.random_feature_representation(radius * xs, b, coef, p, draws, input_radius=radius, rng=sub)
            means.append(float(np.mean(second)))
        records.append(CheckResult.from_fit(
            "Lemma 9", list(scales), means, claimed, "==", level=level,
            params=dict(degree=p, part=f"E a^2 ~ {name}^(2p): fitted exponent vs 2p", varied=name,
                        coef=coef, beta_norm=beta_norm, input_radius=input_radius)))
    return records


@register("Lemma 15", section="C.3",
          statement="E[sigma''(w0.x)((w+.x)^2-(w-.x)^2)] = alpha(beta.x)^p with E[|w+|^4+|w-|^4] <= "
                    "2 pi ((p-2) v 1)^3 alpha^2 B_x^2(p-2) |beta|^2p")
def check_lemma15(*, rng, dim=8, input_radius=1.0, draws=20000, level=0.95, degrees=(3, 4), coef=1.0,
                  beta_norm=1.0, paper_constant=None, claimed_value=None, rel_tol=REL_TOL):
    r"""Lemma 15: the infinite-width quadratic representation (22) and its fourth-moment bound.

    Per degree p (p - 2 in {1} or even), three records:

    1. the identity at three correlations :math:`\hat x^\top\hat\beta`, by mpmath quadrature of
       :math:`a_+` and :math:`a_-` separately (largest absolute error against 0);
    2. exact :math:`\|\beta\|^4E[a^2] = \alpha^2B_x^{2(p-2)}\|\beta\|^{2p}/c_{p-2}` against the printed
       bound :math:`2\pi((p-2)\vee1)^3\alpha^2B_x^{2(p-2)}\|\beta\|^{2p}`;
    3. Monte Carlo :math:`E[\|w_+\|^4 + \|w_-\|^4]` from ``draws`` initial weights against its exact value
       (``claimed_value`` replaces the exact value, for tests).
    """
    input_radius = validate.positive("input_radius", input_radius)
    beta_norm = validate.positive("beta_norm", beta_norm)
    setup_rng, *degree_rngs = rng.spawn(1 + len(degrees))  # independent sub-streams per degree
    beta = _beta(dim, beta_norm, setup_rng)
    records = []
    level = _family_level(level, len(degrees))
    for p, sub in zip(degrees, degree_rngs):  # a loop over the few degrees checked
        p = kern.check_degree(p, shift=2)
        params = dict(degree=p, coef=coef, beta_norm=beta_norm, input_radius=input_radius, dim=dim)
        errors, scale = [], abs(coef) * (input_radius * beta_norm) ** p
        for rho in (-0.7, 0.2, 0.9):  # three quadratures
            lhs, rhs = ex.lemma15_identity_by_quadrature(rho, p, coef=coef, beta_norm=beta_norm,
                                                         input_radius=input_radius)
            errors.append(float(abs(lhs - rhs)))
        records.append(CheckResult.exact("Lemma 15", max(errors), 0.0, "<=", tol=1e-12 * scale,
                                         params=dict(params, part="infinite-width identity (quadrature)",
                                                     correlations=[-0.7, 0.2, 0.9])))
        exact = ex.lemma15_second_moment(p, coef, beta_norm, input_radius)
        bound = ex.lemma15_paper_bound(p, coef, beta_norm, input_radius, constant=paper_constant)
        rec = CheckResult.exact("Lemma 15", float(exact), float(bound), "<=", tol=4e-16 * float(bound),
                                params=dict(params, part="E|w+|^4 + E|w-|^4 <= paper bound", exact_lhs=str(exact),
                                            exact_rhs=str(bound), ratio=float(bound / exact),
                                            paper_vs_derivation=PRINTED_VS_DERIVED["Lemma 15"]))
        if not bool(sp.expand(bound - exact) >= 0):
            rec.verdict = "VIOLATED"
        records.append(rec)
        # importance sampling along beta-hat: plain Monte Carlo of |w+-|^4 (a Hermite polynomial squared)
        # is too heavy-tailed for a t-interval; see symbolic.expressivity.importance_initial_weights
        w0, weights = ex.importance_initial_weights(draws, beta, input_radius=input_radius, rng=sub)
        w_plus, w_minus = ex.lemma15_directions(w0, beta, coef, p, input_radius=input_radius)
        fourth = weights * (np.sum(w_plus**2, axis=1) ** 2 + np.sum(w_minus**2, axis=1) ** 2)
        target = float(exact) if claimed_value is None else float(claimed_value)
        records.append(_identity("Lemma 15", fourth, target, level=level, tol=rel_tol * float(exact),
                                 params=dict(params, part="E|w+|^4 + E|w-|^4 = |beta|^4 E a^2")))
    return records


@register("Theorem 7", section="5.2, C.4",
          statement="W_* = 2 m^-1/4 (w+, w-) has |L^Q(W_*) - L(f_*)| = O(m^-1/2) and |W_*|_{2,4}^4 <= "
                    "32 pi ((p-2) v 1)^3 alpha^2 B_x^2(p-2) |beta|^2p / delta w.p. 1 - delta/2")
def check_theorem7(*, rng, n_samples=64, dim=8, input_radius=1.0, loss="logistic", draws=16, level=0.95,
                   instance=None, degree=4, coef=1.0, beta_norm=1.0, widths=(64, 128, 256, 512, 1024, 2048, 4096),
                   failure_prob=0.1, claimed_exponent=-0.5, paper_constant=None, rel_tol=REL_TOL,
                   n_prob_draws=2000, n_var_draws=1000, variance_factor=1.0):
    r"""Theorem 7 at finite width, through Appendix C.4's construction of :math:`W_*`.

    For each width m in ``widths`` and ``draws`` symmetric initializations: the quadratic model
    :math:`f^Q_{W_*}` (``boundcheck.network.quadratic_model``, :math:`\sigma = \mathrm{relu}^3/6`)
    on ``n_samples`` inputs of :math:`S^{d-1}(B_x)` (or the instance's ``x``), against
    :math:`f_*(x) = \alpha(\beta^\top x)^p` with labels :math:`y = \mathrm{sign} f_*`.

    Records:

    1. the fitted exponent of :math:`E\max_i|f^Q_{W_*}(x_i) - f_*(x_i)|` in m against ``claimed_exponent``
       (-1/2, the Chebyshev rate of the proof), which also bounds the loss gap (1-Lipschitz loss);
    2. the fitted exponent of :math:`E|L^Q(W_*) - L(f_*)|`, reported beside the same claim;
    3. Monte Carlo :math:`E\|W_*\|_{2,4}^4` at the largest width against the exact
       :math:`8\alpha^2B_x^{2(p-2)}\|\beta\|^{2p}/c_{p-2}`;
    4. the Monte Carlo :math:`\frac1n\sum_i(f^Q_{W_*}(x_i) - f_*(x_i))^2` over ``n_var_draws``
       initializations at the smallest width against its exact mean
       :math:`\frac{2}{mn}\sum_i(\beta^\top x_i)^4\mathrm{Var}(\mathrm{relu}(w_0^\top x_i)a(w_0))`
       (the variance behind the proof's Chebyshev step);
    5. the frequency of :math:`\|W_*\|_{2,4}^4` above the printed bound over ``n_prob_draws``
       initializations at the largest width, with its Clopper-Pearson interval, against
       :math:`\delta/2`.
    """
    p = kern.check_degree(degree, shift=2)
    failure_prob = validate.probability("failure_prob", failure_prob)
    draws = validate.integer("draws", draws, minimum=2)
    widths = [validate.even_width("width", m) for m in widths]
    if len(widths) < 3:
        raise validate.BoundcheckInputError(f"widths must hold at least 3 widths for a rate fit; got {len(widths)}")
    loss_fn = get_loss(loss)
    if instance is not None:
        arrays = load_instance(instance, required=("x",)) if isinstance(instance, str) else instance
        x = validate.matrix("x", arrays["x"])
        dim = x.shape[1]
        input_radius = float(np.max(np.linalg.norm(x, axis=1)))
    else:
        x = sample_sphere(n_samples, dim, input_radius=input_radius, rng=rng)
    beta = _beta(dim, validate.positive("beta_norm", beta_norm), rng)
    f_star = ex.polynomial_target(x, beta, coef, p)
    y = np.where(f_star >= 0, 1.0, -1.0)
    loss_star = float(np.mean(loss_fn.value(y, f_star)))
    bound = float(ex.theorem7_paper_norm_bound(p, coef, beta_norm, input_radius, failure_prob=failure_prob,
                                               constant=paper_constant))
    deviation = np.zeros((len(widths), draws))
    loss_gap = np.zeros((len(widths), draws))
    norms = np.zeros((len(widths), draws))
    for i, m in enumerate(widths):  # a sweep over widths and draws; each evaluation is batched over neurons
        for j in range(draws):
            w_init, w_out = symmetric_init(m, dim, input_radius=input_radius, rng=rng)
            w_star = ex.theorem7_w_star(w_init, beta, coef, p, input_radius=input_radius)
            f_q = quadratic_model(x, w_init, w_out, w_star, activation="relu3")
            deviation[i, j] = np.max(np.abs(f_q - f_star))
            loss_gap[i, j] = abs(float(np.mean(loss_fn.value(y, f_q))) - loss_star)
            norms[i, j] = float(norm_24(w_star)) ** 4
    params = dict(degree=p, coef=coef, beta_norm=beta_norm, input_radius=input_radius, dim=dim,
                  n_samples=x.shape[0], widths=widths, draws=draws, loss=loss_fn.name)
    if not loss_fn.meets_paper_hypotheses:
        params["warning"] = "squared loss is not Lipschitz: the paper's hypotheses on the loss fail"
    level = _family_level(level, 5)
    mean_dev = deviation.mean(axis=1)
    rec1 = CheckResult.from_fit("Theorem 7", widths, mean_dev, claimed_exponent, "==", level=level,
                                params=dict(params, part="max_i |f^Q_{W*}(x_i) - f_*(x_i)| ~ m^-1/2",
                                            constant_sqrt_m=float(np.mean(mean_dev * np.sqrt(widths)))))
    mean_gap = loss_gap.mean(axis=1)
    records = [rec1]
    if np.all(mean_gap > 0):
        records.append(CheckResult.from_fit("Theorem 7", widths, mean_gap, claimed_exponent, "==", level=level,
                                            params=dict(params, part="|L^Q(W*) - L(f*)| ~ m^-1/2",
                                                        loss_star=loss_star, gap_at_largest=float(mean_gap[-1]))))
    expected = float(ex.theorem7_expected_norm(p, coef, beta_norm, input_radius))
    records.append(_identity("Theorem 7", norms[-1], expected, level=level, tol=rel_tol * expected,
                             params=dict(params, part="E|W*|_{2,4}^4 = 8 alpha^2 B_x^2(p-2) "
                                                        "|beta|^2p / c_{p-2}", width=widths[-1])))
    # the concentration constant: E[(f^Q - f_*)(x)^2] = (2/m) (beta.x)^4 Var(relu(w0.x) a(w0)), exact. The
    # Monte Carlo side needs many initializations (the squared deviations are skewed, and 16 draws undercover):
    # f^Q_{W*}(x) = (2/m) sum_{r <= m/2} relu(w0r.x) a(w0r) (beta.x)^2 for n_var_draws initializations at the smallest
    # width, summed per draw from the core's per-neuron terms of rows (4|a|/m)^(1/2) beta with output signs sign(a).
    m_small = widths[0]
    w0 = rng.standard_normal((n_var_draws, m_small // 2, dim)) / input_radius
    a0 = ex.random_feature_coefficient(w0.reshape(-1, dim), beta, coef, p - 2, input_radius=input_radius)
    f_q_many = TaylorModel(x, w0.reshape(-1, dim), np.sign(a0), scale=1.0).neuron_terms(
        np.sqrt(4 * np.abs(a0) / m_small)[:, None] * beta, 2).reshape(-1, n_var_draws, m_small // 2).sum(axis=2).T
    per_input = ex.theorem7_deviation_second_moment(x, beta, coef, p, m_small, input_radius=input_radius)
    exact_ms = float(np.mean(per_input)) * variance_factor  # variance_factor != 1 only in tests
    records.append(_identity("Theorem 7", np.mean((f_q_many - f_star) ** 2, axis=1), exact_ms, level=level,
                             tol=rel_tol * exact_ms,
                             params=dict(params, width=m_small, n_draws_variance=n_var_draws,
                                         part="mean_i E(f^Q_{W*} - f_*)^2(x_i) = (2/m) mean_i (beta.x_i)^4 "
                                              "Var(relu(w0.x_i) a(w0)) (exact, quadrature)")))
    # P(|W*|^4 > bound): |W*|_{2,4}^4 = 8 |beta|^4 (2/m) sum_{r <= m/2} a(w_{0,r})^2 and a depends on w_{0,r} only
    # through Z_r = B_x w_{0,r} . beta-hat ~ N(0, 1), so many initializations at the largest width are cheap:
    # one (n_prob_draws, m/2) array of Z (the identity itself is tested against norm_24 of theorem7_w_star).
    m_big = widths[-1]
    z = rng.standard_normal((n_prob_draws, m_big // 2))
    # a(w0) in one dimension: w0 = Z / B_x along beta = |beta| e_1 gives the same values as in dimension d
    a = ex.random_feature_coefficient(z.reshape(-1, 1) / input_radius, np.array([beta_norm]), coef, p - 2,
                                      input_radius=input_radius).reshape(z.shape)
    norms_many = 8.0 * beta_norm**4 * np.mean(a**2, axis=1)
    count = int(np.sum(norms_many > bound))
    low, high = clopper_pearson(count, n_prob_draws, level)
    freq = count / n_prob_draws
    verdict = "HOLDS" if high <= failure_prob / 2 else "VIOLATED" if low > failure_prob / 2 else INCONCLUSIVE
    rec4 = CheckResult("Theorem 7", freq, failure_prob / 2, "<=", failure_prob / 2 - freq, verdict, (low, high),
                       dict(params, part="P(|W*|^4 > paper bound) <= delta/2 (Clopper-Pearson interval)",
                            width=m_big, n_draws=n_prob_draws, exceedances=count, paper_bound=bound,
                            failure_prob=failure_prob, level=level,
                            paper_vs_derivation=PRINTED_VS_DERIVED["Theorem 7"],
                            largest_norm4=float(norms_many.max()), bound_over_mean=bound / expected))
    records.append(rec4)
    return records


@register("Section 6 moments", section="6.1",
          statement="z_+, z_- with E z_+^j = E z_-^j (j < k) and E z_+^k = E z_-^k + 1, exact rational, k = 1..8")
def check_section6_moments(*, rng, orders=tuple(range(1, 9)), pairs=None):
    r"""Section 6.1's randomization variables, constructed and verified exactly for each k in ``orders``.

    One record per k: :math:`E z_+^k - E z_-^k` (exact rational) against 1, with the largest lower
    moment difference, the support, the probabilities and :math:`E z_+^{k+1} - E z_-^{k+1}` in the
    params. ``pairs`` (a dict k -> (z_plus, z_minus)) replaces the construction, for tests.
    The check is exact (no draws); ``rng`` is accepted for the common signature.
    """
    records = []
    for k in orders:  # a loop over the orders k
        k = validate.integer("order", k, minimum=1)
        z_plus, z_minus = (pairs or {}).get(k) or mom.moment_matching_pair(k)
        info = mom.verify_pair(z_plus, z_minus, k)
        rec = CheckResult.exact("Section 6 moments", float(info["kth_difference"]), 1.0, "==",
                                params=dict(order=k, z_plus={str(t): str(q) for t, q in z_plus.items()},
                                            z_minus={str(t): str(q) for t, q in z_minus.items()},
                                            max_lower_difference=str(info["max_lower_difference"]),
                                            next_difference=str(info["next_difference"]),
                                            is_distribution=info["is_distribution"],
                                            all_rational=info["all_rational"]))
        if not info["holds"]:
            rec.verdict = "VIOLATED"
        records.append(rec)
    return records
