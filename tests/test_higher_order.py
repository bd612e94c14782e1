"""Tests of the Section 6 check (boundcheck.lemmas.higher_order): the z_+/z_- construction, the exact
second moments over z against Monte Carlo, and verdicts that can fail."""

import numpy as np
import pytest

from boundcheck.lemmas import higher_order as ho
from boundcheck.network import randomized_taylor_term, taylor_term_pm
from boundcheck.results import HOLDS, VIOLATED


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5, 8])
def test_forward_difference_pair_matches_moments(order):
    points, plus, minus = ho.forward_difference_pair(order)
    assert plus.min() >= 0 and minus.min() >= 0
    assert plus.sum() == pytest.approx(1.0) and minus.sum() == pytest.approx(1.0)
    diffs = [plus @ points**j - minus @ points**j for j in range(order + 1)]
    np.testing.assert_allclose(diffs[:order], 0.0, atol=1e-9)
    assert diffs[order] == pytest.approx(1.0)


@pytest.mark.parametrize("order", [2, 3, 4])
def test_moment_pair_agrees_with_builtin_construction(order):
    pp, qp, pm, qm, _ = ho.moment_pair(order)
    points, plus, minus = ho.forward_difference_pair(order)
    for j in range(order + 2):  # same moments up to k + 1
        assert qp @ pp**j - qm @ pm**j == pytest.approx(plus @ points**j - minus @ points**j, abs=1e-12)


def test_exact_second_moments_against_monte_carlo_over_z():
    rng = np.random.default_rng(1)
    order, m, d = 3, 12, 3
    x = rng.standard_normal((5, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    w_init = rng.standard_normal((m, d))
    w_star = 0.6 * w_init
    mean_sq, fluct = ho.taylor_second_moments(x, w_init, w_star, order)
    pp, qp, pm, qm, _ = ho.moment_pair(order)
    draws = 20000
    zp = rng.choice(pp, size=(draws, m), p=qp)
    zm = rng.choice(pm, size=(draws, m), p=qm)
    # independent route: the foundation's randomized Taylor term of the 2m-neuron net, z as "signs"
    w_init2, w_out2 = np.concatenate([w_init, w_init]), np.concatenate([np.ones(m), -np.ones(m)])
    samples = np.stack([randomized_taylor_term(x, w_init2, w_out2, np.concatenate([w_star, w_star]),
                                               np.concatenate([zp, zm], axis=1), j, activation="softplus",
                                               scale=1 / np.sqrt(m)) for j in range(1, order + 1)])  # (k, draws, n)
    mc_mean, mc_var = samples.mean(axis=1), samples.var(axis=1)
    np.testing.assert_allclose(mc_mean, np.sqrt(mean_sq) * np.sign(mc_mean), atol=5 * np.sqrt(fluct.max() / draws))
    np.testing.assert_allclose(mc_var, fluct, rtol=0.05, atol=1e-8)
    # and one draw against the Section 6 network module itself
    one = taylor_term_pm(x, w_init, zp[0][:, None] * w_star, zm[0][:, None] * w_star, order)
    np.testing.assert_allclose(one, samples[order - 1, 0], rtol=1e-10)
    assert np.allclose(mean_sq[:-1], 0.0)  # lower orders have mean zero exactly


def test_section6_holds_for_k2_and_a_wrong_exponent_fails():
    kw = dict(n_samples=24, dim=4, orders=(2,), widths=(64, 256, 1024, 4096), replicates=3)
    recs = ho.check_section6(rng=np.random.default_rng(2), **kw)
    assert recs[0].verdict == HOLDS and recs[2].verdict == HOLDS
    assert recs[0].params["z_source"]
    bad = ho.check_section6(rng=np.random.default_rng(2), **kw, claimed_exponent=-2.0)
    assert bad[0].verdict == VIOLATED and bad[1].verdict == VIOLATED


def test_section6_rejects_bad_order():
    with pytest.raises(ValueError, match="order must be an integer >= 2"):
        ho.check_section6(rng=np.random.default_rng(3), orders=(1,), widths=(64, 128, 256))
