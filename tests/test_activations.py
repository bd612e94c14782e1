import math

import numpy as np
import pytest
import sympy as sp

from boundcheck.activations import check_assumption_a, get_activation


@pytest.mark.parametrize("name", ["relu3", "relu4", "relu2", "softplus", "tanh"])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_derivatives_match_finite_differences(name, order, rng):
    act = get_activation(name)
    t = rng.uniform(-3, 3, size=200)
    t = t[np.abs(t) > 1e-2]  # away from the kink of the relu family
    h = 1e-5
    fd = (act.derivative(t + h, order - 1) - act.derivative(t - h, order - 1)) / (2 * h)
    np.testing.assert_allclose(act.derivative(t, order), fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_relu_power_closed_form(k):
    act = get_activation(f"relu{k}" if k > 1 else "relu")
    t = np.array([-2.0, -0.5, 0.5, 2.0])
    for j in range(k + 2):
        want = np.where(t > 0, np.maximum(t, 0) ** max(k - j, 0) / math.factorial(max(k - j, 0)), 0.0)
        if j > k:
            want = np.zeros_like(t)
        np.testing.assert_allclose(act.derivative(t, j), want)


@pytest.mark.parametrize("name", ["softplus", "tanh"])
def test_analytic_derivatives_match_sympy_to_order_six(name):
    act = get_activation(name)
    t = np.linspace(-4, 4, 17)
    for k in range(7):
        exact = sp.lambdify(act.symbol, act.sympy_derivative(k), "mpmath")
        want = np.array([float(exact(v)) for v in t])
        np.testing.assert_allclose(act.derivative(t, k), want, rtol=1e-10, atol=1e-12)


def test_analytic_derivatives_finite_for_huge_arguments():
    act = get_activation("softplus")
    t = np.array([-1e6, -800.0, 800.0, 1e6])
    for k in range(5):
        assert np.all(np.isfinite(act.derivative(t, k)))


def test_assumption_a_relu3_constant_is_one():
    result = check_assumption_a("relu3")
    assert result.holds and result.constant == pytest.approx(1.0)


@pytest.mark.parametrize("name,clause", [("relu", "|sigma'(t)| <= C t^2"), ("relu2", "C^2"),
                                         ("relu4", "|sigma'(t)| <= C t^2"), ("softplus", "|sigma'(t)| <= C t^2"),
                                         ("tanh", "|sigma'(t)| <= C t^2")])
def test_assumption_a_names_failing_clause(name, clause):
    result = check_assumption_a(name)
    assert not result.holds and clause in result.failing_clause


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match="activation must be one of .*got 'swish'"):
        get_activation("swish")
