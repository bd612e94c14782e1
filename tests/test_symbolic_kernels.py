"""Tests of boundcheck.symbolic.kernels and of the "Lemma 9 coefficients" check."""

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from boundcheck.results import VIOLATED, mean
from boundcheck.symbolic import kernels as kern


@pytest.mark.parametrize("order", [0, 1])
def test_three_derivations_of_the_coefficients_agree(order):
    series = kern.series_coefficients(order, 60)
    for p in range(61):
        hermite = kern.kernel_coefficient(order, p)
        double = kern.double_factorial_coefficient(order, p)
        assert sp.expand(hermite - series[p]) == 0, p
        assert sp.expand(double - series[p]) == 0, p


def test_coefficients_are_exact_multiples_of_one_over_pi():
    for p in range(2, 41, 2):
        c = kern.kernel_coefficient(1, p)
        assert (c * sp.pi).is_rational, p
    assert kern.kernel_coefficient(1, 1) == sp.Rational(1, 4)
    assert kern.kernel_coefficient(1, 0) == 1 / (2 * sp.pi)
    assert kern.kernel_coefficient(1, 2) == 1 / (4 * sp.pi)
    assert kern.kernel_coefficient(1, 4) == 1 / (48 * sp.pi)


def test_odd_part_of_relu_kernel_is_u_over_4_and_step_even_part_is_constant():
    even, odd = kern.parity_parts(1)
    assert sp.simplify(odd - kern.U / 4) == 0
    even0, odd0 = kern.parity_parts(0)
    assert sp.simplify(even0 - sp.Rational(1, 4)) == 0
    for p in range(3, 61, 2):
        assert kern.kernel_coefficient(1, p) == 0
        assert kern.kernel_coefficient(0, p + 1) == 0


def test_coefficients_are_squared_hermite_coefficients_by_quadrature():
    # rho_k = E[relu(Z) h_k(Z)] computed by mpmath quadrature, independent of the closed form
    with mpmath.workdps(20):
        for k in range(0, 7):
            he = lambda t: mpmath.hermite(k, t / mpmath.sqrt(2)) * mpmath.mpf(2) ** (-mpmath.mpf(k) / 2)
            rho = mpmath.quad(lambda t: t * he(t) * mpmath.npdf(t), [0, mpmath.inf]) / mpmath.sqrt(
                mpmath.factorial(k))
            assert abs(rho - mpmath.mpf(sp.N(kern.hermite_coefficient(1, k), 40))) < 1e-17, k
            assert sp.expand(kern.hermite_coefficient(1, k) ** 2 - kern.kernel_coefficient(1, k)) == 0
            rho0 = mpmath.quad(lambda t: he(t) * mpmath.npdf(t), [0, mpmath.inf]) / mpmath.sqrt(mpmath.factorial(k))
            assert abs(rho0 - mpmath.mpf(sp.N(kern.hermite_coefficient(0, k), 40))) < 1e-17, k


def test_paper_bound_holds_exactly_up_to_degree_200():
    rows = kern.coefficient_rows(1, 200)
    covered = [r for r in rows if r["covered"]]
    assert len(covered) == 102  # p = 0, 1, 2, 4, ..., 200
    assert all(r["bound_holds"] for r in covered)
    assert rows[0]["ratio"] == pytest.approx(1.0, abs=1e-15)  # equality at p = 0
    assert rows[1]["ratio"] == pytest.approx(math.pi / 2)
    ratios = [r["ratio"] for r in covered if r["degree"] >= 4]
    assert all(b > a for a, b in zip(ratios, ratios[1:]))  # increasing from p = 4
    assert ratios[0] == pytest.approx(8 / 3)
    # the bound is loose by a factor ~ sqrt(2p/pi)
    assert rows[200]["ratio"] == pytest.approx(kern.asymptotic_ratio(200), rel=0.02)


def test_all_degree_argument_is_verified():
    facts = kern.bound_ratio_argument()
    assert facts["holds_for_all_degrees"]
    assert facts["minimum_ratio"] == sp.Rational(8, 3)
    assert sp.expand(facts["ratio_step_numerator"] - (kern.sp.Symbol("n", positive=True, integer=True) ** 3)) != 0


def test_paper_intermediate_bound_holds_and_is_the_telescoping_one():
    for ell in range(1, 80):
        c = kern.kernel_coefficient(1, 2 * ell)
        assert bool(c >= 1 / (2 * sp.pi * (2 * ell - 1) ** 2 * (2 * ell))), ell


def test_step_kernel_rows_are_reported_but_not_covered():
    rows = kern.coefficient_rows(0, 10)
    assert not any(r["covered"] for r in rows)
    assert rows[2]["value"] == 0 and rows[3]["value"] > 0


@pytest.mark.parametrize("order", [0, 1])
def test_kernel_closed_form_matches_sympy_and_series(order):
    f = sp.lambdify(kern.U, kern.arccos_kernel(order), "numpy")
    u = np.linspace(-0.99, 0.99, 41)
    assert np.allclose(kern.kernel_value(order, u), f(u), atol=1e-14)
    coeffs = [float(c) for c in kern.series_coefficients(order, 120)]
    inner = np.abs(u) <= 0.5
    assert np.allclose(np.polyval(coeffs[::-1], u[inner]), kern.kernel_value(order, u[inner]), atol=1e-14)
    assert float(kern.kernel_at_one(order)) == pytest.approx(kern.kernel_value(order, 1.0))


@pytest.mark.parametrize("order,n_terms", [(1, 4), (1, 10), (1, 31), (0, 3), (0, 12)])
def test_certified_tail_bounds_the_error_and_is_attained(order, n_terms):
    worst, where, bound = kern.truncation_error(order, n_terms, n_grid=81)
    with mpmath.workdps(40):
        assert worst <= bound + mpmath.mpf(10) ** -30
        assert abs(worst - bound) < mpmath.mpf(10) ** -30  # attained at u = +-1
    assert abs(float(where)) == 1.0
    assert float(kern.tail_bound(order, n_terms)) <= float(kern.analytic_tail_bound(order, n_terms))


def test_tail_bound_is_exact_rational_plus_rational_over_pi():
    tail = kern.tail_bound(1, 6)
    assert sp.expand(tail - (sp.Rational(1, 4) - (1 + sp.Rational(1, 2) + sp.Rational(1, 24)) / (2 * sp.pi))) == 0


def _relu_coefficients_by_recurrence(max_ell):
    """2 pi c_{2l} for l = 1..max_ell from c_{2l+2}/c_{2l} = (2l-1)^2/((2l+1)(2l+2)) (Fractions)."""
    out, r = [], Fraction(1, 2)
    for ell in range(1, max_ell + 1):
        out.append(r)
        r = r * Fraction((2 * ell - 1) ** 2, (2 * ell + 1) * (2 * ell + 2))
    return out


def test_recurrence_agrees_with_closed_form():
    rec = _relu_coefficients_by_recurrence(40)
    for ell, r in enumerate(rec, start=1):
        exact = sp.Rational(r.numerator, r.denominator) / (2 * sp.pi)
        assert sp.expand(kern.kernel_coefficient(1, 2 * ell) - exact) == 0


def test_tail_bound_against_brute_force_partial_sums():
    # K(1) - S_N(1) equals the sum of the remaining coefficients (all >= 0)
    # float recurrence (Fractions would grow without bound); relative rounding ~ 1e-12
    ell = np.arange(1, 40000)
    ratios = (2 * ell - 1.0) ** 2 / ((2 * ell + 1.0) * (2 * ell + 2.0))
    coeffs = 0.5 * np.concatenate([[1.0], np.cumprod(ratios)]) / (2 * math.pi)  # c_2, c_4, ..., c_80000
    many = float(np.sum(coeffs[4:]))  # degrees 10 .. 80000
    rest = float(kern.analytic_tail_bound(1, 80001))
    tail = float(kern.tail_bound(1, 10))
    assert many * (1 - 1e-10) <= tail <= (many + rest) * (1 + 1e-10)
    assert rest < 1e-3 * tail


@pytest.mark.parametrize("order", [0, 1])
def test_random_features_match_closed_kernel(order, rng):
    for corr in (-0.8, 0.1, 0.95):
        x, x2 = kern.pair_at_correlation(6, corr, input_radius=2.5, rng=rng)
        samples = kern.random_feature_samples(x, x2, 40000, order=order, input_radius=2.5, rng=rng)
        closed = float(kern.kernel_value(order, corr))
        half = 4 * samples.std(ddof=1) / np.sqrt(samples.size)
        assert abs(samples.mean() - closed) <= half, corr


def test_random_features_detect_a_wrong_kernel(rng):
    x, x2 = kern.pair_at_correlation(6, 0.3, rng=rng)
    samples = kern.random_feature_samples(x, x2, 40000, order=1, rng=rng)
    closed = float(kern.kernel_value(1, 0.3))
    rec = mean(samples, 1.1 * closed, "==", margin=0.03 * closed, margin_reason="test", level=0.999)
    assert rec.verdict == VIOLATED


def test_gegenbauer_eigenvalues_against_series_with_certified_tail():
    d, n_terms = 4, 300
    tail = float(kern.tail_bound(1, n_terms))
    for k in range(0, 7):
        series = sum(float(kern.kernel_coefficient(1, q)) * float(kern.power_projection(q, k, d))
                     for q in range(k, n_terms))
        lam = float(kern.sphere_eigenvalue(1, k, d))
        assert abs(lam - series) <= tail + 1e-15, k
    assert abs(float(kern.sphere_eigenvalue(1, 3, d))) < 1e-25  # odd harmonics beyond 1 vanish
    assert abs(float(kern.sphere_eigenvalue(1, 5, d))) < 1e-25


def test_mercer_sum_at_the_diagonal_is_at_most_k_of_one():
    d = 3
    partial = sum(float(kern.sphere_eigenvalue(1, k, d)) * kern.harmonic_dimension(k, d) for k in range(0, 12))
    assert 0.4998 < partial <= 0.5 + 1e-12


def test_legendre_and_harmonic_dimension():
    assert [kern.harmonic_dimension(k, 3) for k in range(5)] == [1, 3, 5, 7, 9]
    assert [kern.harmonic_dimension(k, 2) for k in range(4)] == [1, 2, 2, 2]
    assert kern.harmonic_dimension(2, 5) == 14
    for d in (2, 3, 7):
        for k in range(5):
            assert kern.legendre_polynomial(k, d).subs(kern.U, 1) == 1
            for j in range(k):
                # orthogonality under the law of <theta, e>
                val = kern._poly_moment(sp.expand(kern.legendre_polynomial(k, d) * kern.legendre_polynomial(j, d)), d)
                assert val == 0
            norm = kern._poly_moment(sp.expand(kern.legendre_polynomial(k, d) ** 2), d)
            assert norm == sp.Rational(1, kern.harmonic_dimension(k, d))


def test_sphere_moments_by_monte_carlo(rng):
    g = rng.standard_normal((200000, 5))
    t = g[:, 0] / np.linalg.norm(g, axis=1)
    for k in (2, 4, 6):
        assert np.mean(t**k) == pytest.approx(float(kern.sphere_moment(k, 5)), rel=0.03)


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match=r"order must be 0 \(step random features\) or 1 .*got 2"):
        kern.arccos_kernel(2)
    with pytest.raises(ValueError, match="degree must be 1 or even for ReLU random features .*got 3"):
        kern.check_degree(3)
    with pytest.raises(TypeError, match="degree must be an integer"):
        kern.kernel_coefficient(1, 2.5)
    with pytest.raises(ValueError, match="dim must be an integer >= 2"):
        kern.harmonic_dimension(2, 1)
    with pytest.raises(ValueError, match="n_terms must be an integer >= 4"):
        kern.analytic_tail_bound(1, 2)


# --------------------------------------------------------------------------------------------
# the `boundcheck kernel` command


def _run_cli(args, tmp_path, capsys):
    import json

    from boundcheck.cli import main

    out = tmp_path / "out.json"
    status = main(["kernel", *args, "--format", "json", "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    return json.loads(out.read_text())


def test_cli_coeffs_rows(tmp_path, capsys):
    rows = _run_cli(["coeffs", "--order", "1", "--max-degree", "6"], tmp_path, capsys)
    assert [r["degree"] for r in rows] == list(range(7))
    assert {"degree", "exact", "value", "paper_lower_bound", "ratio"} <= set(rows[0])
    assert rows[4]["exact"] == "1/(48*pi)"
    assert rows[4]["ratio"] == pytest.approx(8 / 3)


def test_cli_rkhs_norm(tmp_path, capsys):
    out = _run_cli(["rkhs-norm", "--degree", "4", "--coef", "2", "--beta-norm", "0.5", "--input-radius", "3",
                    "--dim", "10"], tmp_path, capsys)
    assert out["feature_map_norm_sq"] == pytest.approx(4 * 1.5**8 * 48 * math.pi)
    assert out["paper_bound"] == pytest.approx(2 * math.pi * 64 * 4 * 1.5**8)
    assert out["holds"] is True
    assert out["sphere_norm_sq"] < out["feature_map_norm_sq"]


def test_cli_rejects_odd_degree(capsys):
    from boundcheck.cli import main

    assert main(["kernel", "rkhs-norm", "--degree", "3"]) == 2
    err = capsys.readouterr().err
    assert "degree must be 1 or even for ReLU random features (odd coefficients vanish); got 3" in err


def test_cli_tail_and_moments(tmp_path, capsys):
    tail = _run_cli(["tail", "--order", "0", "--terms", "9", "--grid", "41"], tmp_path, capsys)
    assert tail["holds"] is True and tail["argmax_u"] in (-1.0, 1.0)
    moments = _run_cli(["moments", "--order", "3"], tmp_path, capsys)
    assert moments["holds"] is True and moments["kth_difference"] == "1"


def test_shipped_coefficient_table_matches_the_code():
    import csv
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "data" / "kernel_coefficients.csv"
    with open(path) as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 201
    for row in rows[:: 17]:
        p = int(row["degree"])
        assert sp.expand(sp.sympify(row["relu_exact"]) - kern.kernel_coefficient(1, p)) == 0
        assert sp.expand(sp.sympify(row["step_exact"]) - kern.kernel_coefficient(0, p)) == 0
        assert float(row["relu_value"]) == pytest.approx(float(kern.kernel_coefficient(1, p)), rel=1e-15)
