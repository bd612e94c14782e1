"""Tests of boundcheck.numeric.optimize: the regularizer against finite differences and Euler's identity,
each optimizer against a closed-form minimizer or an explicit recurrence on tiny problems, and the
objectives the package descends (L^Q, Theorem 4's regularized randomized risk) against finite differences."""

import math

import numpy as np
import pytest

from boundcheck.network import norm_24, project_ball_24, symmetric_init
from boundcheck.numeric import landscape as ls
from boundcheck.numeric import optimize as opt


def _fd_grad(fun, w, h=1e-6):
    out = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):  # tiny problems: one coordinate at a time is the reference
        e = np.zeros_like(w)
        e[idx] = h
        out[idx] = (fun(w + e) - fun(w - e)) / (2 * h)
    return out


@pytest.mark.parametrize("power", [4, 6, 8])
def test_regularizer_derivatives_euler_identity_and_closed_form(power, rng):
    w, v = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    reg = 0.3
    assert opt.regularizer(w, reg, power=power) == pytest.approx(reg * norm_24(w) ** power, rel=1e-12)
    grad = opt.regularizer_gradient(w, reg, power=power)
    np.testing.assert_allclose(grad, _fd_grad(lambda a: opt.regularizer(a, reg, power=power), w), rtol=1e-6)
    # homogeneous of degree q: <grad R, W> = q R (B.5 uses q = 8)
    assert np.sum(grad * w) == pytest.approx(power * opt.regularizer(w, reg, power=power), rel=1e-12)
    h = 1e-6
    fd = (opt.regularizer_gradient(w + h * v, reg, power=power)
          - opt.regularizer_gradient(w - h * v, reg, power=power)) / (2 * h)
    np.testing.assert_allclose(opt.regularizer_hvp(w, v, reg, power=power), fd, rtol=1e-6, atol=1e-10)
    assert opt.REGULARIZER_POWER == 8
    with pytest.raises(ValueError, match="power must be >= 4"):
        opt.regularizer(w, reg, power=2)


def _shifted_square(center):
    """f(W) = ||W - C||_F^2 / 2: its minimizer over the (2,4)-ball is the projection of C."""
    return lambda w: (0.5 * float(np.sum((w - center) ** 2)), lambda: w - center)


@pytest.mark.parametrize("armijo, max_halvings, grow", [(0.0, 29, 1.5), (0.5, None, 1.5), (0.0, 0, 1.0)])
def test_projected_descent_reaches_the_projection_of_the_center(armijo, max_halvings, grow, rng):
    center = 2.0 * rng.standard_normal((6, 3))
    radius = 0.5 * float(norm_24(center))
    fit = opt.projected_descent(_shifted_square(center), np.zeros((6, 3)), radius=radius, steps=200,
                                step_size=0.7, armijo=armijo, max_halvings=max_halvings, grow=grow,
                                min_step=1e-12, keep_iterates=True)
    np.testing.assert_allclose(fit.w_move, project_ball_24(center, radius), atol=1e-8)
    assert all(norm_24(w) <= radius for w in fit.iterates)
    # monotone, up to the projection landing a relative 1e-12 inside the sphere
    assert all(b <= a * (1 + 1e-10) for a, b in zip(fit.values, fit.values[1:]))


def test_projected_descent_fixed_step_is_the_projected_gradient_recurrence(rng):
    center, start = rng.standard_normal((4, 2)), 0.1 * rng.standard_normal((4, 2))
    fit = opt.projected_descent(_shifted_square(center), start, radius=0.8, steps=7, step_size=0.3, max_halvings=0,
                                grow=1.0, keep_iterates=True)
    w = project_ball_24(start, 0.8)
    for step in range(7):  # the recurrence written out
        assert fit.values[step] == pytest.approx(0.5 * np.sum((w - center) ** 2))
        w = project_ball_24(w - 0.3 * (w - center), 0.8)
        np.testing.assert_allclose(fit.iterates[step], w, atol=1e-15)


def test_projected_descent_stops_at_the_tolerance_and_halves_a_too_long_step(rng):
    center = rng.standard_normal((3, 2))
    fit = opt.projected_descent(_shifted_square(center), np.zeros((3, 2)), radius=math.inf, steps=500,
                                step_size=50.0, armijo=0.5, min_step=1e-12, tol=1e-12)
    assert fit.steps < 500
    np.testing.assert_allclose(fit.w_move, center, atol=1e-5)


def test_lbfgs_descent_solves_a_convex_quadratic_and_can_be_stopped(rng):
    a = rng.standard_normal((6, 6))
    a = a @ a.T + 6 * np.eye(6)
    b = rng.standard_normal(6)

    def fun(v):
        return 0.5 * float(v @ a @ v) - float(b @ v), a @ v - b

    v, _ = opt.lbfgs_descent(fun, np.zeros(6), max_iter=200, gtol=1e-12)
    np.testing.assert_allclose(v, np.linalg.solve(a, b), rtol=1e-8)
    seen = []
    stopped, its = opt.lbfgs_descent(fun, np.zeros(6), max_iter=200, gtol=1e-12, check_every=1,
                                     stop_when=lambda p: seen.append(p.copy()) or len(seen) == 2)
    assert its == 2 and len(seen) == 2 and np.array_equal(stopped, seen[-1])


def test_noisy_descent_without_noise_is_gradient_descent_and_with_noise_adds_its_variance(rng):
    center = rng.standard_normal((4, 3))

    def objective(w, generator):
        return 0.5 * float(np.sum((w - center) ** 2)), w - center

    w = opt.noisy_descent(objective, np.zeros((4, 3)), steps=5, step_size=0.5, noise=0.0, rng=rng)
    np.testing.assert_allclose(w, center * (1 - 0.5**5))  # w_k = (1 - (1 - eta)^k) C
    # at the minimum, one noisy step is pure noise of standard deviation nu
    draws = np.stack([opt.noisy_descent(objective, center, steps=1, step_size=0.5, noise=0.1, rng=rng)
                      for _ in range(2000)]) - center
    assert np.std(draws) == pytest.approx(0.1, rel=0.03)
    clipped = opt.noisy_descent(objective, np.zeros((4, 3)), steps=1, step_size=1.0, noise=0.0, rng=rng,
                                max_move=0.1)
    assert norm_24(clipped) == pytest.approx(0.1) and np.allclose(clipped / norm_24(clipped), center / norm_24(center))
    capped = opt.noisy_descent(objective, np.zeros((4, 3)), steps=1, step_size=1.0, noise=0.0, rng=rng,
                               radius_cap=0.2)
    np.testing.assert_allclose(capped, project_ball_24(center, 0.2))


def test_noisy_descent_guard_steps_back_and_halves_the_step():
    # f(w) = w^2 / 2 from w = 1 with step 3: w -> -2 w. The point 4 (f = 8 > 10 f(1) = 5) is caught: back to -2,
    # step 1.5, then w -> -w / 2 contracts to 0
    visited = []

    def objective(w, generator):
        visited.append(float(w[0, 0]))
        return 0.5 * float(np.sum(w**2)), w

    w = opt.noisy_descent(objective, np.ones((1, 1)), steps=40, step_size=3.0, noise=0.0,
                          rng=np.random.default_rng(0), guard=10.0)
    assert visited[:5] == [1.0, -2.0, 4.0, -2.0, 1.0]
    assert abs(float(w[0, 0])) < 1e-9


def _problem(rng, n=10, m=6, d=3):
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    w_init, w_out = symmetric_init(m, d, rng=rng)
    return x, rng.choice([-1.0, 1.0], size=n), w_init, w_out, 0.5 * rng.standard_normal((m, d))


@pytest.mark.parametrize("loss", ["logistic", "squared"])
def test_quadratic_risk_objective_gradient_against_finite_differences(loss, rng):
    x, y, w_init, w_out, w = _problem(rng)
    objective = ls.quadratic_risk_objective(x, y, w_init, w_out, loss=loss)
    value, grad = objective(w)
    assert value == pytest.approx(ls.quadratic_risk(x, y, w_init, w_out, w, loss=loss), rel=1e-14)
    np.testing.assert_allclose(grad(), _fd_grad(lambda a: objective(a)[0], w), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loss", ["logistic", "squared"])
def test_regularized_risk_objective_of_the_noisy_descent_against_finite_differences(loss, rng):
    # the objective Theorem 4 and the learning curves' randomized learner descend; the same signs at
    # every evaluation (a generator re-seeded for each), so its value is a deterministic function of W
    x, y, w_init, w_out, w = _problem(rng)
    objective = ls.regularized_risk_objective(x, y, w_init, w_out, reg=0.05, sign_draws=3, loss=loss)

    def at(a):
        return objective(a, np.random.default_rng(11))

    value, grad = at(w)
    signs = np.random.default_rng(11).choice([-1.0, 1.0], size=(3, w_init.shape[0]))
    assert value == pytest.approx(float(np.mean(ls.network_risk(x, y, w_init, w_out, w, signs, loss=loss)))
                                  + 0.05 * norm_24(w) ** 8, rel=1e-12)
    np.testing.assert_allclose(grad, _fd_grad(lambda a: at(a)[0], w), rtol=1e-6, atol=1e-9)


def test_regularized_risk_descent_lowers_the_regularized_risk(rng):
    x, y, w_init, w_out, _ = _problem(rng, n=40, m=16, d=3)
    start = 0.01 * rng.standard_normal(w_init.shape)
    every = rng.choice([-1.0, 1.0], size=(400, 16))
    before = float(np.mean(ls.regularized_risk(x, y, w_init, w_out, start, every, 1e-3)))
    w = ls.regularized_risk_descent(x, y, w_init, w_out, start, reg=1e-3, steps=200, step_size=2.0, sign_draws=4,
                                    noise=1e-4, rng=rng)
    assert float(np.mean(ls.regularized_risk(x, y, w_init, w_out, w, every, 1e-3))) < before - 0.01
