"""Tests of the Section 6 check (boundcheck.lemmas.higher_order) and of its quantities in
boundcheck.numeric.coupling: the z_+/z_- pair, the exact moments over z against Monte Carlo through the
network module, the leading constants against quadrature, and verdicts that can fail."""

import math

import numpy as np
import pytest
from scipy import integrate

from boundcheck.activations import get_activation
from boundcheck.lemmas import higher_order as ho
from boundcheck.network import network_pm, randomized_taylor_term, taylor_term_pm
from boundcheck.numeric import coupling as cpl
from boundcheck.results import HOLDS, INCONCLUSIVE, VIOLATED

from batterylevel import judged


def _forward_difference_pair(order):
    """An independent float construction: the k-th forward difference over k!, split by sign."""
    weights = np.array([(-1) ** (order - i) * math.comb(order, i) / math.factorial(order) for i in range(order + 1)])
    plus, minus = np.maximum(weights, 0.0), np.maximum(-weights, 0.0)
    plus[0] += 1 - plus.sum()
    minus[0] += 1 - minus.sum()
    return np.arange(order + 1, dtype=np.float64), plus, minus


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5, 8])
def test_moment_pair_matches_the_moment_conditions(order):
    pp, qp, pm, qm, source = cpl.moment_pair(order)
    assert qp.min() >= 0 and qm.min() >= 0 and source
    assert qp.sum() == pytest.approx(1.0) and qm.sum() == pytest.approx(1.0)
    diffs = [qp @ pp**j - qm @ pm**j for j in range(order + 1)]
    np.testing.assert_allclose(diffs[:order], 0.0, atol=1e-9)
    assert diffs[order] == pytest.approx(1.0)
    points, plus, minus = _forward_difference_pair(order)
    for j in range(order + 3):  # the same moments beyond k as the forward-difference construction
        assert qp @ pp**j - qm @ pm**j == pytest.approx(plus @ points**j - minus @ points**j, abs=1e-9)


def test_exact_moments_over_z_against_monte_carlo():
    rng = np.random.default_rng(1)
    order, m, d, draws = 3, 12, 3, 20000
    x = rng.standard_normal((5, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    w_init = rng.standard_normal((m, d))
    w_star = 0.6 * w_init
    mean, var = cpl.section6_moments(x, w_init, w_star, order)
    mean_sq, fluct = cpl.taylor_second_moments(x, w_init, w_star, order)
    pp, qp, pm, qm, _ = cpl.moment_pair(order)
    zp = rng.choice(pp, size=(draws, m), p=qp)
    zm = rng.choice(pm, size=(draws, m), p=qm)
    # independent route: the foundation's randomized Taylor terms of the 2m-neuron net, z as "signs"
    w_init2, w_out2 = np.concatenate([w_init, w_init]), np.concatenate([np.ones(m), -np.ones(m)])
    z, w_star2 = np.concatenate([zp, zm], axis=1), np.concatenate([w_star, w_star])
    terms = np.stack([randomized_taylor_term(x, w_init2, w_out2, w_star2, z, j, activation="softplus",
                                             scale=1 / np.sqrt(m)) for j in range(1, order + 1)])  # (k, draws, n)
    np.testing.assert_allclose(terms.mean(axis=1), mean[:order], atol=5 * np.sqrt(var[:order].max() / draws))
    np.testing.assert_allclose(terms.var(axis=1), var[:order], rtol=0.05, atol=1e-8)
    np.testing.assert_allclose(fluct, var[:order], rtol=1e-12)
    assert np.allclose(mean_sq[:-1], 0.0) and np.allclose(mean[: order - 1], 0.0)  # lower orders: mean zero
    # the remainder through Section 6's network module, draw by draw (a loop over draws)
    rest = np.array([network_pm(x, w_init, zp[i][:, None] * w_star, zm[i][:, None] * w_star)
                     - terms[:, i].sum(axis=0) for i in range(3000)])
    np.testing.assert_allclose(rest.mean(axis=0), mean[order], atol=5 * np.sqrt(var[order].max() / 3000))
    np.testing.assert_allclose(rest.var(axis=0), var[order], rtol=0.1)
    one = taylor_term_pm(x, w_init, zp[0][:, None] * w_star, zm[0][:, None] * w_star, order)
    np.testing.assert_allclose(one, terms[order - 1, 0], rtol=1e-10)


@pytest.mark.parametrize("order", [2, 3])
def test_leading_constants_against_quadrature(order):
    act = get_activation("softplus")
    got = cpl.section6_leading_constants(order, scale=0.8)
    pp, qp, pm, qm, _ = cpl.moment_pair(order)
    for j, key in ((order, "kth"), (order + 1, "remainder")):
        density = lambda t, p: act.derivative(np.array([t]), j)[0] ** p * t ** (p * j) * np.exp(-t * t / 2) / math.sqrt(
            2 * math.pi)  # noqa: E731
        first = integrate.quad(density, -40, 40, args=(1,))[0]
        second = integrate.quad(density, -40, 40, args=(2,))[0]
        delta = qp @ pp**j - qm @ pm**j
        var = qp @ pp ** (2 * j) - (qp @ pp**j) ** 2 + qm @ pm ** (2 * j) - (qm @ pm**j) ** 2
        assert got[key]["mean"] == pytest.approx(delta * 0.8**j * first / math.factorial(j), rel=1e-7)
        assert got[key]["sd"] == pytest.approx(0.8**j * math.sqrt(var * second) / math.factorial(j), rel=1e-7)


def test_the_kth_term_tends_to_its_leading_constant():
    # the mean over W_0 of E_z f^(k)(x) is the leading constant at every width (it is a mean over neurons)
    rng = np.random.default_rng(2)
    cells = [cpl.section6_cell(256, rng, order=2, n_samples=16, dim=4) for _ in range(200)]
    lead = cpl.section6_leading_constants(2)["kth"]
    assert np.mean([c["kth_mean_sq"] for c in cells]) == pytest.approx(lead["mean"] ** 2, rel=0.05)
    assert np.mean([c["kth_fluctuation_sq"] for c in cells]) * 256 == pytest.approx(lead["sd"] ** 2, rel=0.05)


def test_section6_holds_at_defaults_and_shows_k():
    recs = judged(ho.check_section6(rng=np.random.default_rng(3)))
    assert [r.verdict for r in recs] == [HOLDS] * 9
    assert [r.params["order"] for r in recs] == [2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert [r.relation for r in recs] == ["==", "<=", "<=", "==", "<=", "<=", "==", "<=", "<="]
    assert recs[1].params["remainder_attained"] and recs[1].params["remainder_from_above"]
    assert recs[1].params["noninferiority_margin"] == 0.04 and "noninferiority_margin" not in recs[4].params
    assert "finite-size" in recs[0].params["margin_reason"]
    assert abs(recs[2].params["kth_mean_exponent"]) < 0.03  # the function the k-th term expresses is O(1)


@pytest.mark.parametrize("planted,expected", [
    (dict(claimed_exponent=-0.5), [VIOLATED, VIOLATED, HOLDS]),           # lower terms and remainder ~ m^-1/2
    (dict(claimed_exponent=0.25), [VIOLATED, HOLDS, HOLDS]),              # sign flipped: the O() bound is weaker
    (dict(claimed_exponent=-0.3), [VIOLATED, VIOLATED, HOLDS]),           # k = 2: off by 0.05
    (dict(kth_exponent=-0.1), [HOLDS, HOLDS, VIOLATED]),                  # f^(k) = O(m^-0.1)
])
def test_section6_planted_errors_are_violated(planted, expected):
    recs = judged(ho.check_section6(rng=np.random.default_rng(4), orders=(2,), **planted))
    assert [r.verdict for r in recs] == expected


def test_section6_degenerate_replicates_are_inconclusive():
    recs = judged(ho.check_section6(rng=np.random.default_rng(5), orders=(2,), replicates=1))
    assert [r.verdict for r in recs] == [INCONCLUSIVE] * 3
    recs = judged(ho.check_section6(rng=np.random.default_rng(5), orders=(2,), replicates=2))
    assert HOLDS not in [r.verdict for r in recs]


def test_section6_rejects_bad_order():
    with pytest.raises(ValueError, match="order must be an integer >= 2"):
        ho.check_section6(rng=np.random.default_rng(6), orders=(1,), widths=(64, 128, 256))
