"""Tests of boundcheck.symbolic.expressivity and of the Lemma 9 / Lemma 15 / Theorem 7 checks."""

import math

import numpy as np
import pytest
import sympy as sp

from boundcheck.lemmas.expressivity import check_lemma9, check_lemma15, check_theorem7
from boundcheck.network import norm_24, quadratic_model, symmetric_init
from boundcheck.results import CheckResult, HOLDS, VIOLATED
from boundcheck.symbolic import expressivity as ex
from boundcheck.symbolic import kernels as kern


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
    for i in range(3):
        rec = CheckResult.from_samples("rep", products[:, i], target[i], "==", level=0.999)
        assert rec.verdict == HOLDS, (i, rec)
    rec = CheckResult.from_samples("m2", second, float(ex.feature_map_norm_sq(p, 1.5, 0.8, radius)), "==", level=0.999)
    assert rec.verdict == HOLDS, rec


def test_plain_monte_carlo_also_represents_the_target(rng):
    # proposal_var = 1: the likelihood ratio is 1, plain draws of w0 ~ N(0, B_x^-2 I)
    dim = 5
    beta, x = _unit(rng, dim), _unit(rng, dim)[None, :]
    products, _ = ex.random_feature_representation(x, beta, 1.0, 2, 80000, proposal_var=1.0, rng=rng)
    rec = CheckResult.from_samples("rep", products[:, 0], float(ex.polynomial_target(x, beta, 1.0, 2)[0]), "==",
                                   level=0.999)
    assert rec.verdict == HOLDS


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
        rec = CheckResult.from_samples("var", squares[:, i], float(exact[i]), "==", level=0.999)
        assert rec.verdict == HOLDS, (i, rec)


def test_theorem7_variance_record_catches_a_wrong_factor(rng):
    records = check_theorem7(rng=rng, widths=(64, 128, 256), draws=4, variance_factor=0.5)
    assert records[3].verdict == VIOLATED


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


def test_lemma9_check_holds(rng):
    records = check_lemma9(rng=rng, draws=20000, level=0.999)
    assert len(records) == 14
    assert all(r.verdict == HOLDS for r in records), [(r.params["part"], r.verdict) for r in records]
    assert records[-1].lhs == pytest.approx(8.0, abs=0.3)  # E a^2 ~ |beta|^(2p), p = 4


def test_lemma9_check_catches_a_wrong_scaling_exponent(rng):
    records = check_lemma9(rng=rng, degrees=(2,), claimed_scaling=3.0)
    assert [r.verdict for r in records[-2:]] == [VIOLATED, VIOLATED]


def test_lemma9_check_catches_a_shrunk_constant(rng):
    records = check_lemma9(rng=rng, draws=2000, degrees=(2,), paper_constant=1)
    assert records[0].verdict == VIOLATED  # 1/c_2 = 4 pi > 1 * 2^3


def test_lemma9_check_catches_a_wrong_exponent(rng):
    records = check_lemma9(rng=rng, draws=2000, degrees=(4,), paper_exponent=0)
    assert records[0].verdict == VIOLATED


def test_lemma15_check_holds_and_catches_wrong_values(rng):
    records = check_lemma15(rng=rng, draws=20000, level=0.999)
    assert all(r.verdict == HOLDS for r in records)
    wrong_value = 0.8 * float(ex.lemma15_second_moment(4, 1, 1))
    wrong = check_lemma15(rng=rng, draws=20000, degrees=(4,), claimed_value=wrong_value)
    assert wrong[2].verdict == VIOLATED
    shrunk = check_lemma15(rng=rng, draws=200, degrees=(4,), paper_constant=1)
    assert shrunk[1].verdict == VIOLATED


def test_theorem7_check_holds(rng):
    records = check_theorem7(rng=rng, level=0.999)
    assert [r.verdict for r in records] == [HOLDS] * len(records)
    assert records[0].lhs == pytest.approx(-0.5, abs=0.15)


def test_theorem7_check_catches_wrong_exponent_and_constant(rng):
    records = check_theorem7(rng=rng, claimed_exponent=-1.0)
    assert records[0].verdict == VIOLATED
    records = check_theorem7(rng=rng, widths=(64, 128, 256), draws=8, paper_constant=1e-3)
    assert records[-1].verdict == VIOLATED


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
    with pytest.raises(ValueError, match="correlation must be in"):
        ex.identity_by_quadrature(1.5, 2)
