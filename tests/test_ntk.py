"""Tests of boundcheck.experiments.ntk: the infinite-width kernel against a finite-width Monte Carlo and its
closed form, the finite-width Gram matrix against its definition."""

import math

import numpy as np

from boundcheck.activations import get_activation
from boundcheck.data import sample_sphere
from boundcheck.experiments import ntk
from boundcheck.network import symmetric_init


def test_ntk_kernel_matches_finite_width_monte_carlo(rng):
    x = sample_sphere(6, 5, rng=rng)
    w_init, _ = symmetric_init(2 * 60_000, 5, rng=rng)
    half = w_init[:60_000]  # the independent half of the symmetric initialization
    feats = get_activation("relu3").derivative(x @ half.T, 1)  # (n, m/2)
    products = feats[:, None, :] * feats[None, :, :] * (x @ x.T)[:, :, None]
    mc = products.mean(axis=2)
    sem = products.std(axis=2) / math.sqrt(half.shape[0])
    exact = ntk.ntk_kernel(x, x)
    assert np.all(np.abs(mc - exact) <= 5 * sem + 1e-12)


def test_ntk_kernel_closed_form_at_zero_angle_and_psd(rng):
    x = sample_sphere(40, 4, input_radius=1.0, rng=rng)
    gram = ntk.ntk_kernel(x, x)
    # theta = 0: E[relu(u)^4]/4 = 3/8
    assert np.allclose(np.diag(gram), 3.0 / 8.0)
    assert np.linalg.eigvalsh(gram)[0] > -1e-12


def test_empirical_ntk_against_its_definition(rng):
    x = sample_sphere(7, 3, rng=rng)
    w_init, w_out = symmetric_init(10, 3, rng=rng)
    act = get_activation("relu3")
    want = np.array([[sum(act.derivative(np.array(w0 @ xi), 1) * act.derivative(np.array(w0 @ xj), 1) for w0 in w_init)
                      * (xi @ xj) / 10 for xj in x] for xi in x])
    np.testing.assert_allclose(ntk.empirical_ntk(x, w_init, w_out), want, rtol=1e-12, atol=1e-15)
