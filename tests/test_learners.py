"""Tests of boundcheck.experiments.learners: the fits against known minimizers and constraints, the slides'
regularizer against its definition and finite differences."""

import itertools
import math

import numpy as np
import pytest

from boundcheck.activations import get_activation
from boundcheck.data import sample_sphere
from boundcheck.experiments import learners as lrn
from boundcheck.experiments.ntk import feature_covariance
from boundcheck.network import TaylorModel, quadratic_model, symmetric_init


def test_fit_taylor_stays_in_the_ball_and_fits(rng):
    x = sample_sphere(40, 4, rng=rng)
    y = (x[:, 0] * 2.0) ** 2
    w_init, w_out = symmetric_init(32, 4, rng=rng)
    small = lrn.fit_taylor(x, y, w_init, w_out, orders=(2,), radius=3.0, steps=50, rng=rng)
    assert np.sum(np.sum(small**2, axis=1) ** 2) <= 3.0**4 * (1 + 1e-9)  # binding: the fit needs about 6
    w = lrn.fit_taylor(x, y, w_init, w_out, orders=(2,), radius=10.0, steps=200, rng=rng)
    fit = quadratic_model(x, w_init, w_out, w)
    assert np.mean((fit - y) ** 2) < 0.2 * np.mean((y - y.mean()) ** 2)


def test_fit_taylor_reaches_the_least_squares_minimum_of_the_linear_model(rng):
    # f^L is linear in W, so the squared loss is convex: without a ball the fit must reach the least-squares
    # minimum over the features phi(x) = grad f^L (lstsq is the independent reference)
    x = sample_sphere(40, 3, rng=rng)
    y = rng.standard_normal(40)
    w_init, w_out = symmetric_init(4, 3, rng=rng)
    w = lrn.fit_taylor(x, y, w_init, w_out, orders=(1,), radius=None, steps=2000, rng=rng, tol=0.0)
    phi = TaylorModel(x, w_init, w_out).at(np.zeros((4, 3)), orders=(1,)).jacobian().reshape(40, -1)
    best = np.linalg.lstsq(phi, y, rcond=None)[0]
    loss = 0.5 * np.mean((lrn.predict_taylor(x, w_init, w_out, w, (1,)) - y) ** 2)
    assert loss == pytest.approx(0.5 * np.mean((phi @ best - y) ** 2), rel=1e-8)


def test_sphere_polynomial_dimension_matches_the_rank_of_monomials(rng):
    for dim, degree in [(3, 1), (4, 2), (3, 3), (5, 2)]:
        x = sample_sphere(400, dim, rng=rng)
        cols = [np.prod(x[:, list(c)], axis=1) for k in range(degree + 1)
                for c in itertools.combinations_with_replacement(range(dim), k)]
        rank = np.linalg.matrix_rank(np.stack(cols, axis=1), tol=1e-8)
        assert lrn.sphere_polynomial_dimension(dim, degree) == rank


def _regularizer(rng, reg=0.7, width=8, dim=3):
    w_init, w_out = symmetric_init(width, dim, rng=rng)
    x = sample_sphere(400, dim, rng=rng)
    return lrn.EigenRegularizer(w_init, w_out, x, n_top=4, reg=reg, null_tol=1e-3), w_init, w_out, x


def test_regularizer_groups_and_null_space_of_the_symmetric_init(rng):
    pen, w_init, w_out, x = _regularizer(rng)
    m, d = w_init.shape
    assert pen.n_null >= m * d // 2  # equal moves of each +-a pair leave f^L unchanged
    assert pen.n_top + pen.n_bad + pen.n_null == m * d and pen.n_bad > 0
    same = rng.standard_normal((m // 2, d))
    pair_move = np.concatenate([same, same])  # symmetric_init pairs row r with row r + m/2
    act = get_activation("relu3")
    f_lin = (act.derivative(x @ w_init.T, 1) * (x @ pair_move.T)) @ w_out
    assert np.max(np.abs(f_lin)) < 1e-12
    assert pen(pair_move)[0] == pytest.approx(0.0, abs=1e-20)  # null directions are free


def test_regularizer_value_and_gradient(rng):
    pen, w_init, w_out, x = _regularizer(rng)
    w = rng.standard_normal(w_init.shape)
    value, grad = pen(w)
    # independent: the eigen-decomposition of the sample covariance rebuilt here
    m, d = w_init.shape
    vals, vecs = np.linalg.eigh(pen._bad @ pen._bad.T)
    assert np.sum(vals > 0.5) == pen.n_bad  # _bad is an orthonormal basis
    proj = pen._bad @ (pen._bad.T @ w.ravel())
    assert value == pytest.approx(0.5 * 0.7 * pen.top_value * float(proj @ proj), rel=1e-12)
    h = 1e-6
    for r, j in [(0, 0), (3, 2), (6, 1)]:
        bump = np.zeros_like(w)
        bump[r, j] = h
        assert (pen(w + bump)[0] - pen(w - bump)[0]) / (2 * h) == pytest.approx(grad[r, j], rel=1e-6, abs=1e-9)
    top = np.linalg.eigh(_covariance(w_init, w_out, x))[1][:, -1].reshape(m, d)
    assert pen(top)[0] == pytest.approx(0.0, abs=1e-12)  # the top direction is free


def _covariance(w_init, w_out, x):
    """The feature covariance by its definition: phi(x)_{rj} = m^-1/2 a_r sigma'(w_0r.x) x_j, a loop over inputs."""
    m = w_init.shape[0]
    act = get_activation("relu3")
    cov = 0.0
    for xi in x:
        phi = (act.derivative(w_init @ xi, 1) * w_out)[:, None] * xi[None, :] / math.sqrt(m)
        cov = cov + np.outer(phi.ravel(), phi.ravel())
    return cov / x.shape[0]


def test_feature_covariance_against_its_definition(rng):
    w_init, w_out = symmetric_init(6, 3, rng=rng)
    x = sample_sphere(50, 3, rng=rng)
    np.testing.assert_allclose(feature_covariance(x, w_init, w_out, chunk=7), _covariance(w_init, w_out, x),
                               rtol=1e-12, atol=1e-15)


