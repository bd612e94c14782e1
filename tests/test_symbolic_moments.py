"""Tests of boundcheck.symbolic.moments and of the "Section 6 moments" check."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from boundcheck.network import taylor_term_pm

from boundcheck.symbolic import moments as mom


@pytest.mark.parametrize("k", range(1, 9))
def test_pairs_are_exact_rational_distributions_with_the_required_moments(k):
    z_plus, z_minus = mom.moment_matching_pair(k)
    for dist in (z_plus, z_minus):
        assert sum(dist.values()) == 1
        assert all(isinstance(q, sp.Rational) and q > 0 for q in dist.values())
        assert all(isinstance(t, sp.Integer) for t in dist)
    # brute force, independent of verify_pair: plain Python Fractions
    from fractions import Fraction

    for j in range(k + 2):
        mp = sum(Fraction(int(t)) ** j * Fraction(str(q)) for t, q in z_plus.items())
        mm = sum(Fraction(int(t)) ** j * Fraction(str(q)) for t, q in z_minus.items())
        if j < k:
            assert mp == mm, j
        elif j == k:
            assert mp - mm == 1
        else:
            assert mp - mm == Fraction(k * (k + 1), 2)  # Stirling S(k+1, k): the next difference
    info = mom.verify_pair(z_plus, z_minus, k)
    assert info["holds"] and info["kth_difference"] == 1


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=9, max_value=20))
def test_construction_holds_beyond_eight(k):
    assert mom.verify_pair(*mom.moment_matching_pair(k), k)["holds"]


def test_verify_pair_rejects_wrong_pairs():
    z_plus, z_minus = mom.moment_matching_pair(3)
    # wrong order: the pair for k = 3 does not match moments below 4
    info = mom.verify_pair(z_plus, z_minus, 4)
    assert not info["holds"] and not info["lower_moments_equal"]
    # not a distribution
    bad = {sp.Integer(0): sp.Rational(1, 2), sp.Integer(1): sp.Rational(1, 3)}
    assert not mom.verify_pair(bad, z_minus, 3)["is_distribution"]


def test_sampled_moments_match(rng):
    k = 3
    zp, zm = mom.sample_pair(k, 200000, rng=rng)
    for j in range(1, k + 1):
        diff = zp**j - zm**j
        target = 1.0 if j == k else 0.0
        assert abs(diff.mean() - target) <= 4 * diff.std(ddof=1) / np.sqrt(diff.size), j


def test_section6_randomization_kills_lower_terms_in_expectation(rng):
    # with w_{+-,r} = z_{+-,r} w_r, E_z f^(j) = 0 for j < k and E_z f^(k) = m^-1/2 sum sigma^(k)/k! (w_r.x)^k
    k, m, dim = 2, 40, 3
    x = rng.standard_normal((2, dim))
    w_init = rng.standard_normal((m, dim))
    w_move = rng.standard_normal((m, dim)) * 0.3
    z_plus, z_minus = mom.moment_matching_pair(k)
    points_p = np.array([float(t) for t in z_plus]); probs_p = np.array([float(q) for q in z_plus.values()])
    points_m = np.array([float(t) for t in z_minus]); probs_m = np.array([float(q) for q in z_minus.values()])
    # exact expectation over each neuron's z pair: f^(j) is a sum over neurons of terms linear in z^j
    for j in (1, 2):
        zero = np.zeros_like(w_move)
        plus = sum(q * taylor_term_pm(x, w_init, t * w_move, zero, j) for t, q in zip(points_p, probs_p))
        minus = sum(q * taylor_term_pm(x, w_init, zero, t * w_move, j) for t, q in zip(points_m, probs_m))
        expected = plus + minus
        if j < k:
            assert np.allclose(expected, 0.0, atol=1e-12)
        else:
            direct = taylor_term_pm(x, w_init, w_move, np.zeros_like(w_move), k)
            assert np.allclose(expected, direct, rtol=1e-12)


def test_bad_order():
    with pytest.raises(ValueError, match="order must be an integer >= 1"):
        mom.moment_matching_pair(0)
    with pytest.raises(TypeError, match="order must be an integer"):
        mom.moment_matching_pair(1.5)
