"""Tests of boundcheck.symbolic.expressivity, numeric.expressivity and of the expressivity claims
(Lemma 9, Lemma 9 coefficients, Lemma 15, Theorem 7, Section 6 moments), judged at the battery's level."""

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from boundcheck import hypotheses as hyp
from boundcheck.lemmas.expressivity import (check_lemma9, check_lemma9_coefficients, check_lemma15,
                                            check_section6_moments, check_theorem7)
from boundcheck.network import norm_24, quadratic_model, symmetric_init
from boundcheck.numeric import expressivity as nx
from boundcheck.results import HOLDS, INCONCLUSIVE, VIOLATED, mean
from boundcheck.symbolic import expressivity as ex
from boundcheck.symbolic import kernels as kern
from boundcheck.symbolic import moments as mom

#: The level of each interval record in the default battery (about 60 interval records, run alpha 5%).
LEVEL = 1 - 0.05 / 60


def judged(records):
    records = records if isinstance(records, list) else [records]
    return [r.at_level(LEVEL) for r in records]


def parts(records, text):
    """The records (judged at LEVEL) whose part contains ``text``."""
    found = [r for r in judged(records) if text in r.params["part"]]
    assert found, text
    return found


def verdicts(records, text=""):
    return [r.verdict for r in parts(records, text)]


def consistent(samples, target, z=4.0):
    """A Monte Carlo mean within ``z`` standard errors of ``target``."""
    samples = np.asarray(samples)
    return abs(samples.mean() - target) <= z * samples.std(ddof=1) / math.sqrt(samples.size)


def agrees(samples, target, rel=0.02):
    """A Monte Carlo mean equals ``target`` within ``rel`` of it (equivalence test at level 0.999)."""
    rec = mean(samples, target, "==", margin=rel * abs(target), margin_reason="test", level=0.999)
    return rec.verdict == HOLDS


def _unit(rng, dim):
    g = rng.standard_normal(dim)
    return g / np.linalg.norm(g)


def test_feature_map_norm_formula_and_paper_bound_exact():
    for p in (1, 2, 4, 6, 10):
        fm = ex.feature_map_norm_sq(p, 3, sp.Rational(1, 2), 2)
        assert sp.expand(fm - 9 * (2 * sp.Rational(1, 2)) ** (2 * p) / kern.kernel_coefficient(1, p)) == 0
        bound = ex.lemma9_paper_bound(p, 3, sp.Rational(1, 2), 2)
        assert sp.expand(bound - 2 * sp.pi * max(p, 1) ** 3 * 9) == 0
        assert bool(bound >= fm)
    # p = 0 (used by Lemma 15 with p = 2): equality, 2 pi alpha^2
    assert sp.expand(ex.feature_map_norm_sq(0, 1, 1) - 2 * sp.pi) == 0


@pytest.mark.parametrize("p", [1, 2, 4])
def test_norm_scales_as_radius_and_beta_to_the_2p(p):
    base = float(ex.feature_map_norm_sq(p, 1.0, 1.0, 1.0))
    assert float(ex.feature_map_norm_sq(p, 1.0, 1.0, 2.0)) == pytest.approx(base * 4**p)
    assert float(ex.feature_map_norm_sq(p, 1.0, 3.0, 1.0)) == pytest.approx(base * 9**p)
    assert float(ex.feature_map_norm_sq(p, 2.0, 1.0, 1.0)) == pytest.approx(base * 4)
    s1 = float(ex.sphere_norm_sq(p, 1.0, 1.0, 1.0, dim=5))
    assert float(ex.sphere_norm_sq(p, 1.0, 1.0, 2.0, dim=5)) == pytest.approx(s1 * 4**p)


@pytest.mark.parametrize("p", [0, 1, 2, 4, 6])
def test_hermite_representation_by_quadrature(p):
    for rho in (-0.9, -0.3, 0.0, 0.5, 1.0):
        value = ex.identity_by_quadrature(rho, p, coef=1.7)
        assert float(value) == pytest.approx(1.7 * rho**p, abs=1e-14)


@pytest.mark.parametrize("p", [1, 2, 4])
def test_hermite_coefficient_second_moment_by_gauss_hermite(p):
    # a depends on w0 only through Z = B_x w0 . beta-hat ~ N(0, 1); Gauss-Hermite is exact for polynomials
    nodes, weights = np.polynomial.hermite_e.hermegauss(p + 2)
    weights = weights / math.sqrt(2 * math.pi)
    beta = np.array([0.6, 0.0, 0.0])
    radius = 1.5
    w0 = np.zeros((nodes.size, 3))
    w0[:, 0] = nodes / radius
    a = ex.random_feature_coefficient(w0, beta, 2.0, p, input_radius=radius)
    assert np.sum(weights * a**2) == pytest.approx(float(ex.feature_map_norm_sq(p, 2.0, 0.6, radius)), rel=1e-12)


@pytest.mark.parametrize("p", [1, 2, 4])
def test_random_feature_representation_by_monte_carlo(p, rng):
    dim, radius = 6, 1.3
    beta = 0.8 * _unit(rng, dim)
    x = radius * np.stack([_unit(rng, dim) for _ in range(3)])
    products, second = ex.random_feature_representation(x, beta, 1.5, p, 60000, input_radius=radius, rng=rng)
    target = ex.polynomial_target(x, beta, 1.5, p)
    for i in range(3):  # targets down to ~1e-3 of their scale: the mean is consistent with them
        assert consistent(products[:, i], target[i]), i
    assert agrees(second, float(ex.feature_map_norm_sq(p, 1.5, 0.8, radius)), rel=0.03)


def test_plain_monte_carlo_also_represents_the_target(rng):
    # proposal_var = 1: the likelihood ratio is 1, plain draws of w0 ~ N(0, B_x^-2 I)
    dim = 5
    beta, x = _unit(rng, dim), _unit(rng, dim)[None, :]
    products, _ = ex.random_feature_representation(x, beta, 1.0, 2, 80000, proposal_var=1.0, rng=rng)
    assert consistent(products[:, 0], float(ex.polynomial_target(x, beta, 1.0, 2)[0]))


def test_sphere_norm_p1_equals_feature_map_norm_in_every_dimension():
    for d in (2, 3, 10):
        assert float(ex.sphere_norm_sq(1, 1.0, 1.0, dim=d)) == pytest.approx(4.0, rel=1e-12)


@pytest.mark.parametrize("p", [2, 4, 6])
def test_sphere_norm_is_below_feature_map_norm_and_approaches_it(p):
    fm = float(ex.feature_map_norm_sq(p, 1.0, 1.0))
    values = [float(ex.sphere_norm_sq(p, 1.0, 1.0, dim=d)) for d in (2, 5, 50, 1000)]
    assert all(v <= fm * (1 + 1e-12) for v in values)
    assert all(b > a for a, b in zip(values, values[1:]))  # grows with d
    assert values[-1] > 0.9 * fm


@pytest.mark.parametrize("p,dim", [(2, 3), (4, 3), (2, 5)])
def test_sphere_norm_against_kernel_interpolation(p, dim, rng):
    # f^T K^-1 f over n points is the norm of the minimal interpolant: <= ||f||_H, and -> it as n grows
    beta = _unit(rng, dim)
    x = np.stack([_unit(rng, dim) for _ in range(700)])
    gram = kern.kernel_value(1, x @ x.T)
    f = ex.polynomial_target(x, beta, 1.0, p)
    interp = float(f @ np.linalg.lstsq(gram, f, rcond=1e-13)[0])
    exact = float(ex.sphere_norm_sq(p, 1.0, 1.0, dim=dim))
    assert interp <= exact * (1 + 1e-6)
    assert interp >= 0.97 * exact


def test_lemma15_identity_and_moment():
    for p in (2, 3, 4, 6):
        for rho in (-0.6, 0.4):
            lhs, rhs = ex.lemma15_identity_by_quadrature(rho, p, coef=0.7, beta_norm=1.3, input_radius=0.9)
            assert float(lhs) == pytest.approx(float(rhs), rel=1e-12, abs=1e-15)
        exact = ex.lemma15_second_moment(p, 0.7, 1.3, 0.9)
        bound = ex.lemma15_paper_bound(p, 0.7, 1.3, 0.9)
        assert bool(bound >= exact)
    # p = 2: a is constant alpha sqrt(2 pi), equality with the paper's bound
    assert sp.expand(ex.lemma15_paper_bound(2, 1, 1, 1) - ex.lemma15_second_moment(2, 1, 1, 1)) == 0


def test_theorem7_w_star_gives_the_stated_quadratic_model_and_norm(rng):
    m, dim, radius = 64, 4, 1.7
    w_init, w_out = symmetric_init(m, dim, input_radius=radius, rng=rng)
    beta = 0.9 * _unit(rng, dim)
    x = radius * np.stack([_unit(rng, dim) for _ in range(5)])
    w_star = ex.theorem7_w_star(w_init, beta, 1.2, 4, input_radius=radius)
    a = ex.random_feature_coefficient(w_init[: m // 2], beta, 1.2, 2, input_radius=radius)
    direct = (2.0 / m) * (np.maximum(x @ w_init[: m // 2].T, 0.0) @ a) * (x @ beta) ** 2
    assert np.allclose(quadratic_model(x, w_init, w_out, w_star, activation="relu3"), direct, rtol=1e-12, atol=1e-13)
    assert float(norm_24(w_star)) ** 4 == pytest.approx(8 * 0.9**4 * np.mean(a**2), rel=1e-12)


def test_theorem7_deviation_second_moment_against_the_network(rng):
    m, dim, radius, draws = 32, 4, 1.2, 1500
    beta = 1.1 * _unit(rng, dim)
    x = radius * np.stack([_unit(rng, dim) for _ in range(3)])
    exact = ex.theorem7_deviation_second_moment(x, beta, 0.9, 4, m, input_radius=radius)
    assert np.allclose(exact, ex.theorem7_deviation_second_moment(x, beta, 0.9, 4, m, input_radius=radius,
                                                                  n_nodes=120), rtol=1e-10)
    target = ex.polynomial_target(x, beta, 0.9, 4)
    squares = np.empty((draws, 3))
    for j in range(draws):  # a loop over initializations, each one batched network evaluation
        w_init, w_out = symmetric_init(m, dim, input_radius=radius, rng=rng)
        w_star = ex.theorem7_w_star(w_init, beta, 0.9, 4, input_radius=radius)
        squares[j] = (quadratic_model(x, w_init, w_out, w_star) - target) ** 2
    for i in range(3):
        assert consistent(squares[:, i], float(exact[i])), i


def test_theorem7_w_star_needs_symmetric_init(rng):
    w_init = rng.standard_normal((8, 3))
    with pytest.raises(ValueError, match="w_init must be a symmetric initialization"):
        ex.theorem7_w_star(w_init, np.ones(3), 1.0, 4)


def test_theorem7_expected_norm_and_markov_bound():
    exp = ex.theorem7_expected_norm(4, 1, 1)
    assert sp.expand(exp - 8 / kern.kernel_coefficient(1, 2)) == 0  # 8 |beta|^4 E a^2 = 32 pi
    bound = ex.theorem7_paper_norm_bound(4, 1, 1, failure_prob=sp.Rational(1, 10))
    assert sp.expand(bound - 32 * sp.pi * 8 * 10) == 0
    # Markov at 1 - delta/2: E / (delta/2) <= bound
    assert bool(2 * exp / sp.Rational(1, 10) <= bound)


def test_bad_inputs_name_the_argument(rng):
    with pytest.raises(ValueError, match="degree must be 1 or even"):
        ex.feature_map_norm_sq(5, 1.0, 1.0)
    with pytest.raises(ValueError, match=r"degree - 2 in \{1\} or even .*got 5"):
        ex.lemma15_second_moment(5, 1.0, 1.0)
    with pytest.raises(ValueError, match="beta_norm must be > 0"):
        ex.feature_map_norm_sq(2, 1.0, 0.0)
    with pytest.raises(ValueError, match="beta must be a nonzero vector"):
        ex.random_feature_coefficient(np.ones((2, 3)), np.zeros(3), 1.0, 2)
    with pytest.raises(ValueError, match="failure_prob must be strictly between 0 and 1"):
        ex.theorem7_paper_norm_bound(4, 1.0, 1.0, failure_prob=1.5)
    with pytest.raises(ValueError, match="widths must hold at least 3 widths"):
        check_theorem7(rng=rng, widths=(64, 128))
    with pytest.raises(ValueError, match="variance_width must be an even integer"):
        check_theorem7(rng=rng, variance_width=31)
    with pytest.raises(ValueError, match="correlation must be in"):
        ex.identity_by_quadrature(1.5, 2)


# ---------------------------------------------------------------------------------------------
# numeric.expressivity and the sides of the claims, against independent references


def test_lemma9_degrees_and_coefficient_sides_exact():
    sides = kern.coefficient_bound_sides(20)
    assert sides["degrees"] == [0, 1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]  # the lemma's range: no odd p >= 3
    ratio = dict(zip(sides["degrees"], sides["ratios"]))
    assert ratio[0] == 1 and sp.simplify(ratio[1] - sp.pi / 2) == 0
    assert ratio[2] == 4 and ratio[4] == sp.Rational(8, 3)  # sqrt(2p/pi) is only asymptotic: 1.13 at p = 2
    assert sides["failures"] == []
    assert kern.coefficient_bound_sides(20, constant=sp.pi)["failures"][0] == 0  # c_0 = 1/(2 pi) < 1/pi


def test_points_at_correlations_are_on_the_sphere(rng):
    beta = 1.7 * _unit(rng, 6)
    points = nx.points_at_correlations(beta, (-0.7, 0.2, 0.9), 2.5, rng=rng)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 2.5, rtol=1e-12)
    np.testing.assert_allclose(points @ beta / (2.5 * 1.7), [-0.7, 0.2, 0.9], atol=1e-12)
    assert hyp.inputs_on_sphere(points, 2.5)[hyp.SPHERE]


def test_theorem7_reduction_equals_the_network_quadratic_model(rng):
    m, dim, radius = 96, 5, 1.3
    beta = 0.8 * _unit(rng, dim)
    x = radius * np.stack([_unit(rng, dim) for _ in range(7)])
    w_init, w_out = symmetric_init(m, dim, input_radius=radius, rng=rng)
    w_star = ex.theorem7_w_star(w_init, beta, 1.1, 4, input_radius=radius)
    direct = quadratic_model(x, w_init, w_out, w_star, activation="relu3")
    batched = nx.theorem7_quadratic_values(w_init[None, : m // 2], x, beta, 1.1, 4, input_radius=radius)[0]
    np.testing.assert_allclose(batched, direct, rtol=1e-12, atol=1e-14)
    error, scale, norm_error = nx.theorem7_reduction_error(x, beta, 1.1, 4, m, input_radius=radius, rng=rng)
    assert error <= 1e-13 * scale and norm_error <= 1e-13


def test_theorem7_norm_samples_against_w_star_and_closed_form(rng):
    norms = nx.theorem7_norm_samples(1.2, 0.9, 4, 256, 4000, input_radius=0.8, rng=rng)
    assert agrees(norms, float(ex.theorem7_expected_norm(4, 0.9, 1.2, 0.8)), rel=0.03)
    # the same construction through the network's W*, fewer draws
    beta = 1.2 * _unit(rng, 3)
    direct = [float(norm_24(ex.theorem7_w_star(symmetric_init(256, 3, input_radius=0.8, rng=rng)[0], beta, 0.9, 4,
                                              input_radius=0.8))) ** 4 for _ in range(400)]
    assert agrees(direct, float(ex.theorem7_expected_norm(4, 0.9, 1.2, 0.8)), rel=0.1)


def test_theorem7_mean_square_samples_against_the_closed_form(rng):
    dim, radius = 4, 1.2
    beta = 1.1 * _unit(rng, dim)
    x = radius * np.stack([_unit(rng, dim) for _ in range(5)])
    squares = nx.theorem7_mean_square_samples(x, beta, 0.9, 4, 32, 30000, input_radius=radius, rng=rng)
    exact = float(np.mean(ex.theorem7_deviation_second_moment(x, beta, 0.9, 4, 32, input_radius=radius)))
    assert agrees(squares, exact, rel=0.12)


def test_lemma9_scaling_series_follows_the_closed_form(rng):
    beta = 0.9 * _unit(rng, 5)
    series = nx.lemma9_scaling_series(beta, 1.0, 2, (0.5, 2.0), varied="beta_norm", replicates=3, draws=40000,
                                      input_radius=1.0, rng=rng)
    assert series.shape == (3, 2)
    for j, t in enumerate((0.5, 2.0)):
        exact = float(ex.feature_map_norm_sq(2, 1.0, 0.9 * t, 1.0))
        assert np.all(np.abs(series[:, j] / exact - 1) < 0.05)


def test_section6_requirement_sides_are_exact():
    for k in (1, 2, 5):
        values, targets, labels = mom.requirement_sides(*mom.moment_matching_pair(k), k)
        assert values == targets and len(labels) == len(values)
    values, targets, _ = mom.requirement_sides({0: Fraction(3, 2), 1: Fraction(-1, 2)}, {0: Fraction(1)}, 1)
    assert values[-2:] == [1, 0] and values[-4:-2] == [1, sp.Rational(-1, 2)]  # z+: mass 1, a negative probability


# ---------------------------------------------------------------------------------------------
# Lemma 9 coefficients


def test_lemma9_coefficients_hold_at_defaults(rng):
    records = check_lemma9_coefficients(rng=rng)
    assert verdicts(records) == [HOLDS] * 4
    bound = records[0]
    assert bound.params["worst_found_by"] == "p = 0" and bound.params["n_points"] == 102  # p in {0, 1} u even <= 200
    assert bound.params["min_ratio_p_ge_2"] == pytest.approx(8 / 3) and bound.params["ratio_at_p2"] == 4.0
    assert bound.params["exact_failures"] == [] and bound.params["all_degree_argument"].startswith("verified")
    assert all(r.params["hypotheses"] == {hyp.SPHERE: True} for r in records)
    assert [r.params["order"] for r in records[2:]] == [0, 1]


@pytest.mark.parametrize("planted", [dict(paper_constant=sp.pi), dict(paper_constant=1.0), dict(paper_exponent=2)])
def test_lemma9_coefficients_wrong_bound_is_violated(rng, planted):
    records = check_lemma9_coefficients(rng=rng, max_degree=60, draws=2000, **planted)
    assert verdicts(records, "c_p >=") == [VIOLATED]


@pytest.mark.parametrize("factor", [1.1, -1.0])
def test_lemma9_coefficients_wrong_kernel_is_violated(rng, factor):
    records = check_lemma9_coefficients(rng=rng, max_degree=20, kernel_factor=factor)
    assert verdicts(records, "random-feature kernel") == [VIOLATED, VIOLATED]


@pytest.mark.parametrize("draws", [1, 2])
def test_lemma9_coefficients_few_draws_are_inconclusive(rng, draws):
    records = check_lemma9_coefficients(rng=rng, max_degree=20, draws=draws)
    assert verdicts(records, "random-feature kernel") == [INCONCLUSIVE, INCONCLUSIVE]


# ---------------------------------------------------------------------------------------------
# Lemma 9


def test_lemma9_holds_at_defaults(rng):
    records = check_lemma9(rng=rng)
    assert len(records) == 14
    assert verdicts(records) == [HOLDS] * 14, [(r.params["part"], r.verdict) for r in judged(records)]
    identity = parts(records, "E[relu(w0.x) a(w0)]")
    assert [r.rhs for r in identity] == pytest.approx([1.0, 1.0, 1.0])  # the target at x along beta is O(1)
    assert records[-1].lhs == pytest.approx(8.0, abs=0.05)
    assert all(r.params["hypotheses"] == {hyp.SPHERE: True} for r in records)


def test_lemma9_sign_flipped_identity_is_violated(rng):
    records = check_lemma9(rng=rng, identity_factor=-1.0, degrees=(4,), replicates=2)
    assert verdicts(records, "E[relu(w0.x) a(w0)]") == [VIOLATED]


@pytest.mark.parametrize("planted, part", [
    (dict(identity_factor=1.25), "E[relu(w0.x) a(w0)]"),
    (dict(moment_factor=1.1), "E[a(w0)^2]"),
    (dict(paper_constant=0.5), "feature-map norm^2 <= paper bound"),
    (dict(paper_exponent=0), "feature-map norm^2 <= paper bound"),
])
def test_lemma9_wrong_constant_is_violated(rng, planted, part):
    records = check_lemma9(rng=rng, degrees=(2, 4), replicates=2, **planted)
    assert verdicts(records, part) == [VIOLATED, VIOLATED]


def test_lemma9_wrong_scaling_exponent_is_violated(rng):
    records = check_lemma9(rng=rng, degrees=(2,), draws=2000, claimed_scaling=4.25)
    assert verdicts(records, "fitted exponent") == [VIOLATED, VIOLATED]


@pytest.mark.parametrize("draws", [1, 2])
def test_lemma9_few_draws_never_hold(rng, draws):
    records = check_lemma9(rng=rng, degrees=(4,), draws=draws, replicates=1)
    assert verdicts(records, "E[a(w0)^2]") == [INCONCLUSIVE]  # E a^2 = 150.8 must not HOLD on 2 draws
    assert verdicts(records, "E[relu(w0.x) a(w0)]") == [INCONCLUSIVE]
    assert verdicts(records, "fitted exponent") == [INCONCLUSIVE, INCONCLUSIVE]  # one replicate series


# ---------------------------------------------------------------------------------------------
# Lemma 15


def test_lemma15_holds_at_defaults(rng):
    records = check_lemma15(rng=rng)
    assert verdicts(records) == [HOLDS] * 6
    assert all(r.params["hypotheses"] == {hyp.SPHERE: True} for r in records)


@pytest.mark.parametrize("planted, part", [
    (dict(claimed_value=1.1 * 4 * math.pi), "= |beta|^4 E a^2"),
    (dict(claimed_sign=-1.0), "infinite-width identity"),
    (dict(paper_constant=1.0), "<= paper bound"),
])
def test_lemma15_wrong_value_sign_or_constant_is_violated(rng, planted, part):
    records = check_lemma15(rng=rng, degrees=(4,), **planted)
    assert verdicts(records, part) == [VIOLATED]


def test_lemma15_few_draws_are_inconclusive(rng):
    assert verdicts(check_lemma15(rng=rng, degrees=(4,), draws=2), "= |beta|^4 E a^2") == [INCONCLUSIVE]


# ---------------------------------------------------------------------------------------------
# Theorem 7


def test_theorem7_holds_at_defaults(rng):
    records = check_theorem7(rng=rng)
    assert verdicts(records) == [HOLDS] * 7, [(r.params["part"], r.verdict) for r in judged(records)]
    assert records[0].lhs == pytest.approx(-0.5, abs=0.06)
    assert all(r.params["hypotheses"] == {hyp.SPHERE: True, hyp.LOSS: True} for r in records)


FAST_T7 = dict(widths=(128, 256, 512, 1024), replicates=8, n_prob_draws=500, n_var_draws=4000)


@pytest.mark.parametrize("planted, part", [
    (dict(claimed_exponent=-1.0), "max_i |f^Q_{W*}(x_i) - f_*(x_i)| = O"),
    (dict(claimed_exponent=-1.25), "max_i |f^Q_{W*}(x_i) - f_*(x_i)| = O"),  # a flipped sign (+1/2) is a weaker bound
    (dict(paper_constant=32 * math.pi / 100), "P(|W*|^4"),
    (dict(norm_factor=1.1), "E|W*|_{2,4}^4"),
    (dict(variance_factor=1.25), "mean_i E(f^Q_{W*} - f_*)^2"),
    (dict(lipschitz_constant=0.1), "loss gap of W*"),
])
def test_theorem7_planted_errors_are_violated(rng, planted, part):
    records = check_theorem7(rng=rng, **dict(FAST_T7, **planted))
    assert verdicts(records, part) == [VIOLATED]


def test_theorem7_wrong_exponent_is_violated_at_defaults(rng):
    records = check_theorem7(rng=rng, claimed_exponent=-1.0)
    assert verdicts(records, "fitted exponent") == [VIOLATED, VIOLATED]


@pytest.mark.slow
def test_theorem7_exponent_off_by_four_tenths_is_violated(rng):
    # with the non-inferiority margin 0.15, a bound 0.4 too fast is caught at defaults
    records = check_theorem7(rng=rng, claimed_exponent=-0.9)
    assert verdicts(records, "max_i |f^Q_{W*}(x_i) - f_*(x_i)| = O") == [VIOLATED]


def test_theorem7_degenerate_draws_are_inconclusive(rng):
    records = check_theorem7(rng=rng, widths=(128, 256, 512), replicates=1, n_prob_draws=2, n_var_draws=2)
    assert verdicts(records, "fitted exponent") == [INCONCLUSIVE, INCONCLUSIVE]
    for part in ("E|W*|_{2,4}^4", "mean_i E(f^Q_{W*} - f_*)^2", "P(|W*|^4"):
        assert verdicts(records, part) == [INCONCLUSIVE]


def test_theorem7_off_the_sphere_and_squared_loss_are_outside_hypotheses(rng):
    x = np.stack([_unit(rng, 8) for _ in range(32)])
    x[:16] *= 0.5  # inputs of norm 0.5 and 1: B_x = 1, half of them off the sphere
    records = check_theorem7(rng=rng, instance={"x": x}, **FAST_T7)
    assert all(r.params["hypotheses"][hyp.SPHERE] is False for r in records)
    assert all(r.params["input_radius"] == pytest.approx(1.0) for r in records)
    assert all(not r.within_hypotheses for r in records)
    squared = check_theorem7(rng=rng, loss="squared", **FAST_T7)
    assert all(r.params["hypotheses"] == {hyp.SPHERE: True, hyp.LOSS: False} for r in squared)


def test_theorem7_deviation_stalls_off_the_sphere(rng):
    """Lemma 9's representation holds on the sphere only: off it, f^Q_{W*} converges to the wrong function."""
    beta = _unit(rng, 4)
    x = np.stack([beta, 0.5 * beta])  # B_x = 1; the second input is off the sphere, along beta
    f_star = ex.polynomial_target(x, beta, 1.0, 4)
    w_half = rng.standard_normal((1, 400000, 4))
    limit = nx.theorem7_quadratic_values(w_half, x, beta, 1.0, 4)[0]
    assert abs(limit[0] - f_star[0]) < 0.05 * f_star[0]  # on the sphere: close to f_*
    assert limit[1] == pytest.approx(2.0 * f_star[1], rel=0.1)  # off it: (B_x/|x|)^(p-3) f_* = 2 f_*


# ---------------------------------------------------------------------------------------------
# Section 6 moments


def test_section6_moments_hold_and_name_their_order(rng):
    records = check_section6_moments(rng=rng)
    assert [r.verdict for r in records] == [HOLDS] * 8
    assert [r.params["order"] for r in records] == list(range(1, 9))
    assert len({r.params["part"] for r in records}) == 8 and records[2].params["part"].startswith("k = 3:")
    assert records[3].params["z_plus"] == {"0": "17/24", "2": "1/4", "4": "1/24"}


@pytest.mark.parametrize("k, pair, worst", [
    (3, mom.moment_matching_pair(2), "E z+^3 - E z-^3"),  # the k = 2 pair offered for k = 3
    (1, ({Fraction(1): Fraction(1, 2), Fraction(-1): Fraction(1, 2)}, {Fraction(0): Fraction(1)}), "E z+^1 - E z-^1"),
    (1, ({0: Fraction(-1), 1: Fraction(3), 2: Fraction(-1)}, {0: Fraction(1)}),  # moments right, not a distribution
     "smallest probability of z+ (if negative)"),
])
def test_section6_moments_wrong_pair_is_violated(rng, k, pair, worst):
    rec = check_section6_moments(rng=rng, orders=(k,), pairs={k: pair})[0]
    assert rec.verdict == VIOLATED and rec.params["worst_found_by"] == worst


def test_section6_moments_scaled_support_is_violated(rng):
    zp, zm = mom.moment_matching_pair(2)
    scaled = ({2 * t: q for t, q in zp.items()}, {2 * t: q for t, q in zm.items()})
    rec = check_section6_moments(rng=rng, orders=(2,), pairs={2: scaled})[0]
    assert rec.verdict == VIOLATED and rec.lhs == 4.0  # the k-th difference is 2^k
