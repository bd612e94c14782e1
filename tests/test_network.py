import itertools
import math

import numpy as np
import pytest

from boundcheck import network as net
from boundcheck.activations import get_activation
from boundcheck.data import sample_sphere


def _brute_taylor(x, w_init, w_out, w_move, k, activation, scale=None):
    """Tiny-case reference: a plain double loop over samples and neurons."""
    act = get_activation(activation)
    m = w_init.shape[0]
    scale = 1 / math.sqrt(m) if scale is None else scale
    out = np.zeros(x.shape[0])
    for i, xi in enumerate(x):
        for r in range(m):
            u = float(w_init[r] @ xi)
            v = float(w_move[r] @ xi)
            out[i] += w_out[r] * act.derivative(np.array(u), k) * v**k / math.factorial(k)
    return out * scale


@pytest.fixture
def tiny(rng):
    x = sample_sphere(5, 3, input_radius=2.0, rng=rng)
    w_init, w_out = net.symmetric_init(6, 3, input_radius=2.0, rng=rng)
    w_move = 0.3 * rng.standard_normal((6, 3))
    return x, w_init, w_out, w_move


def test_symmetric_init_structure(rng):
    w_init, w_out = net.symmetric_init(8, 4, input_radius=3.0, rng=rng)
    np.testing.assert_array_equal(w_init[:4], w_init[4:])
    np.testing.assert_array_equal(w_out, [1, 1, 1, 1, -1, -1, -1, -1])
    x = sample_sphere(2000, 4, input_radius=3.0, rng=rng)
    big, _ = net.symmetric_init(2000, 4, input_radius=3.0, rng=rng)
    # w_0^T x ~ N(0, 1) for ||x|| = B_x
    assert np.std(np.sum(big[:1000] * x[:1000], axis=1)) == pytest.approx(1.0, abs=0.08)


@pytest.mark.parametrize("activation", ["relu3", "softplus", "tanh"])
def test_network_vanishes_at_symmetric_init(activation, rng):
    x = sample_sphere(50, 7, rng=rng)
    w_init, w_out = net.symmetric_init(40, 7, rng=rng)
    assert np.max(np.abs(net.network(x, w_init, w_out, activation=activation))) < 1e-13


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("activation", ["relu3", "softplus"])
def test_taylor_terms_against_brute_force(tiny, k, activation):
    x, w_init, w_out, w_move = tiny
    np.testing.assert_allclose(net.taylor_term(x, w_init, w_out, w_move, k, activation=activation),
                               _brute_taylor(x, w_init, w_out, w_move, k, activation), atol=1e-13)


def test_quadratic_and_linear_model_conventions(tiny):
    x, w_init, w_out, w_move = tiny
    m = w_init.shape[0]
    relu = np.maximum(x @ w_init.T, 0)
    want_q = ((relu * (x @ w_move.T) ** 2) @ w_out) / (2 * math.sqrt(m))
    want_l = (((relu**2 / 2) * (x @ w_move.T)) @ w_out) / math.sqrt(m)
    np.testing.assert_allclose(net.quadratic_model(x, w_init, w_out, w_move), want_q, atol=1e-14)
    np.testing.assert_allclose(net.linear_model(x, w_init, w_out, w_move), want_l, atol=1e-14)


def test_taylor_sum_is_exact_for_relu3_without_sign_crossings(rng):
    # relu^3/6 is the cubic t^3/6 on t > 0: if w_0.x > 0 and (w_0 + w).x > 0 everywhere, the
    # expansion stops at order 3 and reproduces the network to rounding.
    d = 4
    x = np.abs(sample_sphere(30, d, rng=rng))
    w_init = np.abs(rng.standard_normal((10, d))) + 0.5
    w_out = rng.choice([-1.0, 1.0], size=10)
    w_move = 0.1 * rng.standard_normal((10, d))
    assert np.all(x @ (w_init + w_move).T > 0)
    total = net.taylor_terms(x, w_init, w_out, w_move, [0, 1, 2, 3]).sum(axis=0)
    np.testing.assert_allclose(total, net.network(x, w_init, w_out, w_move), rtol=1e-12, atol=1e-14)
    assert np.max(np.abs(net.taylor_term(x, w_init, w_out, w_move, 4))) == 0.0


def test_taylor_series_converges_for_analytic_activation(rng):
    x = sample_sphere(20, 5, rng=rng)
    w_init, w_out = net.symmetric_init(20, 5, rng=rng)
    w_move = 0.2 * rng.standard_normal((20, 5))
    exact = net.network(x, w_init, w_out, w_move, activation="softplus")
    terms = net.taylor_terms(x, w_init, w_out, w_move, range(13), activation="softplus")
    errors = [np.max(np.abs(exact - terms[: K + 1].sum(axis=0))) for K in range(13)]
    assert errors[-1] < 1e-11
    assert all(b < a for a, b in zip(errors[1:], errors[2:]))  # strictly improving past order 1


def test_sign_randomization_exact_over_all_sign_vectors(tiny):
    # Enumerate all 2^m sign vectors: E_Sigma f^(1)_{W Sigma} = 0 and f^(2)_{W Sigma} = f^(2)_W.
    x, w_init, w_out, w_move = tiny
    signs = np.array(list(itertools.product([-1.0, 1.0], repeat=w_init.shape[0])))
    lin = net.randomized_taylor_term(x, w_init, w_out, w_move, signs, 1)
    quad = net.randomized_taylor_term(x, w_init, w_out, w_move, signs, 2)
    assert np.max(np.abs(lin.mean(axis=0))) < 1e-15
    assert np.max(np.abs(lin)) > 1e-3  # the individual draws are not zero
    np.testing.assert_allclose(quad, np.broadcast_to(net.quadratic_model(x, w_init, w_out, w_move), quad.shape),
                               atol=1e-15)


def test_randomized_network_fast_path_matches_direct_evaluation(tiny, rng):
    x, w_init, w_out, w_move = tiny
    signs = net.sample_signs(7, w_init.shape[0], rng=rng)
    fast = net.randomized_network(x, w_init, w_out, w_move, signs)
    direct = np.stack([net.network(x, w_init, w_out, w_move * s[:, None]) for s in signs])
    np.testing.assert_allclose(fast, direct, atol=1e-14)
    real = rng.normal(size=(3, w_init.shape[0]))  # general real diagonals take the per-draw path
    np.testing.assert_allclose(net.randomized_network(x, w_init, w_out, w_move, real)[1],
                               net.network(x, w_init, w_out, w_move * real[1][:, None]), atol=1e-14)


def test_chunking_does_not_change_results(tiny, monkeypatch):
    x, w_init, w_out, w_move = tiny
    signs = np.ones((2, w_init.shape[0]))
    before = (net.network(x, w_init, w_out, w_move), net.taylor_term(x, w_init, w_out, w_move, 2),
              net.randomized_network(x, w_init, w_out, w_move, signs))
    monkeypatch.setattr(net, "CHUNK_BYTES", 8 * 5)  # one neuron per chunk
    after = (net.network(x, w_init, w_out, w_move), net.taylor_term(x, w_init, w_out, w_move, 2),
             net.randomized_network(x, w_init, w_out, w_move, signs))
    for a, b in zip(before, after):
        np.testing.assert_allclose(a, b, atol=1e-15)


def test_section6_pm_network_and_kth_term(rng):
    m, d = 5, 3
    x = sample_sphere(4, d, rng=rng)
    w0 = rng.standard_normal((m, d))
    wp, wm = 0.2 * rng.standard_normal((m, d)), 0.2 * rng.standard_normal((m, d))
    act = get_activation("softplus")
    want = np.array([sum(act(np.array((w0[r] + wp[r]) @ xi)) - act(np.array((w0[r] + wm[r]) @ xi))
                         for r in range(m)) for xi in x]) / math.sqrt(m)
    np.testing.assert_allclose(net.network_pm(x, w0, wp, wm), want, atol=1e-14)
    k = 3
    want_k = np.array([sum(act.derivative(np.array(w0[r] @ xi), k) / math.factorial(k)
                           * ((wp[r] @ xi) ** k - (wm[r] @ xi) ** k) for r in range(m)) for xi in x]) / math.sqrt(m)
    np.testing.assert_allclose(net.taylor_term_pm(x, w0, wp, wm, k), want_k, atol=1e-14)
    # f^(0) = 0 for the pm form, and the terms sum to the network
    terms = [net.taylor_term_pm(x, w0, wp, wm, j) for j in range(12)]
    assert np.max(np.abs(terms[0])) < 1e-14
    np.testing.assert_allclose(np.sum(terms, axis=0), net.network_pm(x, w0, wp, wm), atol=1e-10)


def test_norm_24_closed_form(rng):
    w = rng.standard_normal((6, 3))
    assert net.norm_24(w) == pytest.approx(sum(np.linalg.norm(r) ** 4 for r in w) ** 0.25)


def test_equation4_failure_frequency_below_delta(rng):
    # Monte Carlo of the event of equation (4): its failure rate must not exceed delta.
    delta, m, d = 0.2, 64, 3
    bound = net.equation4_bound(m, d, delta)
    draws = rng.standard_normal((2000, m // 2, d))
    fails = np.mean(np.max(np.linalg.norm(draws, axis=2), axis=1) > bound)
    assert fails <= delta
    # a threshold far below the proof's is violated almost always: the event is not vacuous
    assert np.mean(np.max(np.linalg.norm(draws, axis=2), axis=1) > bound / 4) > 0.9


@pytest.mark.parametrize("kwargs,match", [
    (dict(width=7, dim=3), r"width must be an even integer >= 2 \(symmetric initialization\); got 7"),
    (dict(width=4, dim=0), "dim must be an integer >= 1; got 0"),
    (dict(width=4, dim=3, input_radius=-1.0), "input_radius must be > 0; got -1"),
    (dict(width=4, dim=3, input_radius=float("nan")), "input_radius must be a finite number; got nan"),
])
def test_symmetric_init_rejects_bad_input(kwargs, match, rng):
    with pytest.raises(ValueError, match=match):
        net.symmetric_init(rng=rng, **kwargs)


def test_mismatched_shapes_are_named(rng):
    x = sample_sphere(3, 30, rng=rng)
    w_init, w_out = net.symmetric_init(4, 40, rng=rng)
    with pytest.raises(ValueError, match=r"w_init has 40 columns but x has 30 \(both are dim\)"):
        net.network(x, w_init, w_out)
    with pytest.raises(ValueError, match="x must hold finite values only"):
        net.network(np.full((2, 40), np.nan), w_init, w_out)


def test_project_ball_24_satisfies_kkt(rng):
    v = 3.0 * rng.standard_normal((9, 4))
    p = net.project_ball_24(v, 1.5)
    assert net.norm_24(p) == pytest.approx(1.5, rel=1e-10) and net.norm_24(p) <= 1.5
    # w_r = v_r / (1 + theta ||w_r||^2) with one theta for every row (stationarity of the Lagrangian)
    nv, npj = np.linalg.norm(v, axis=1), np.linalg.norm(p, axis=1)
    theta = (nv / npj - 1.0) / npj**2
    np.testing.assert_allclose(theta, theta[0], rtol=1e-8)
    np.testing.assert_allclose(p / npj[:, None], v / nv[:, None], atol=1e-12)
    inside = 0.5 * v / net.norm_24(v)
    np.testing.assert_array_equal(net.project_ball_24(inside, 1.0), inside)
    with pytest.raises(ValueError, match="radius must be > 0; got -1"):
        net.project_ball_24(v, -1.0)
