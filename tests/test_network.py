import itertools
import math
import warnings

import numpy as np
import pytest
from scipy import optimize

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


def test_project_ball_24_against_slsqp(rng):
    v = rng.standard_normal((8, 3))
    p = net.project_ball_24(v, 1.0)
    cons = {"type": "ineq", "fun": lambda w: 1.0 - np.sum(np.sum(w.reshape(8, 3) ** 2, 1) ** 2)}
    res = optimize.minimize(lambda w: np.sum((w - v.ravel()) ** 2), 0.5 * p.ravel(), constraints=[cons],
                            method="SLSQP", options={"ftol": 1e-14, "maxiter": 1000})
    best = res.x.reshape(8, 3)
    best = best / max(1.0, net.norm_24(best))  # SLSQP may end a hair outside the ball: compare at a feasible point
    assert np.sum((p - v) ** 2) <= np.sum((best - v) ** 2) + 1e-8
    np.testing.assert_allclose(p, best, atol=1e-4)


def test_project_ball_24_against_cvxpy(rng):
    cp = pytest.importorskip("cvxpy")
    m, d, radius = 5, 3, 0.8
    point = rng.standard_normal((m, d)) * rng.uniform(0.2, 2.0, (m, 1))
    ours = net.project_ball_24(point, radius)
    w = cp.Variable((m, d))
    t = cp.Variable(m)
    problem = cp.Problem(cp.Minimize(cp.sum_squares(w - point)),
                         [t >= cp.sum(cp.square(w), axis=1), cp.norm(t, 2) <= radius**2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problem.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    np.testing.assert_allclose(ours, w.value, atol=1e-4)
    assert np.sum((ours - point) ** 2) <= problem.value + 1e-8 and net.norm_24(ours) <= radius


# ---------------------------------------------------------------------------------------------
# the model core against independent references: a double loop, finite differences, enumeration of
# signs, and mpmath at 40 digits

ORDERS = [(0,), (1,), (2,), (3,), (1, 2), (0, 1, 2, 3), None]  # None: the full network
SIGNS = ["none", "pm", "real"]


def _g(act, orders, p, u):
    """g(p, u) of one neuron by its definition: the Taylor sum or sigma(p + u)."""
    if orders is None:
        return float(act.derivative(np.array(p + u), 0))
    return sum(float(act.derivative(np.array(p), k)) * u**k / math.factorial(k) for k in orders)


def _brute_value(x, w_init, w_out, w_move, orders, signs, act):
    """f_k(x_i) = m^-1/2 sum_r a_r g(w_0r.x_i, S_kr w_r.x_i): a plain loop over draws, samples and neurons."""
    rows = np.ones((1, w_init.shape[0])) if signs is None else signs
    out = np.zeros((rows.shape[0], x.shape[0]))
    for k, row in enumerate(rows):
        for i, xi in enumerate(x):
            for r in range(w_init.shape[0]):
                out[k, i] += w_out[r] * _g(act, orders, w_init[r] @ xi, row[r] * (w_move[r] @ xi))
    out /= math.sqrt(w_init.shape[0])
    return out[0] if signs is None else out


def _case(rng, kind, m=4):
    x = rng.standard_normal((5, 3))
    w_init = rng.standard_normal((m, 3))
    w_out = rng.choice([-1.0, 1.0], size=m)
    w_move, direction = 0.4 * rng.standard_normal((m, 3)), rng.standard_normal((m, 3))
    signs = {"none": None, "pm": rng.choice([-1.0, 1.0], size=(3, m)), "real": rng.standard_normal((3, m))}[kind]
    return x, w_init, w_out, w_move, direction, signs


@pytest.mark.parametrize("activation", ["softplus", "relu3"])
@pytest.mark.parametrize("signs_kind", SIGNS)
@pytest.mark.parametrize("orders", ORDERS, ids=str)
def test_model_core_against_brute_force_and_finite_differences(orders, signs_kind, activation, rng):
    x, w_init, w_out, w_move, v, signs = _case(rng, signs_kind)
    act = get_activation(activation)
    model = net.TaylorModel(x, w_init, w_out, activation=activation)
    point = model.at(w_move, orders=orders, signs=signs)
    weights = rng.standard_normal(np.shape(point.value))

    def f(w):
        return _brute_value(x, w_init, w_out, w, orders, signs, act)

    np.testing.assert_allclose(point.value, f(w_move), rtol=1e-13, atol=1e-14)
    tangent = point.push(v, form=True, square=True)
    h = 1e-5
    np.testing.assert_allclose(tangent.jvp, (f(w_move + h * v) - f(w_move - h * v)) / (2 * h), rtol=1e-6, atol=1e-8)
    second = (f(w_move + 1e-3 * v) - 2 * f(w_move) + f(w_move - 1e-3 * v)) / 1e-6
    np.testing.assert_allclose(tangent.form, second, rtol=1e-4, atol=1e-5)
    fd_grad = np.zeros_like(w_move)
    for idx in np.ndindex(*w_move.shape):  # tiny case: one coordinate at a time is the reference
        e = np.zeros_like(w_move)
        e[idx] = h
        fd_grad[idx] = np.sum(weights * (f(w_move + e) - f(w_move - e))) / (2 * h)
    np.testing.assert_allclose(point.vjp(weights), fd_grad, rtol=1e-6, atol=1e-8)
    fd_hvp = (model.at(w_move + h * v, orders=orders, signs=signs).vjp(weights)
              - model.at(w_move - h * v, orders=orders, signs=signs).vjp(weights)) / (2 * h)
    np.testing.assert_allclose(point.hvp(v, weights), fd_hvp, rtol=1e-6, atol=1e-8)
    fused = model.at(w_move, orders=orders, signs=signs, along=[v])  # the value and the JVP in one pass
    np.testing.assert_allclose(fused.along[0].jvp, tangent.jvp, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(fused.pullback(weights, tangent=fused.along[0], curvature=2 * weights),
                               fd_grad + 2 * fd_hvp, rtol=1e-6, atol=1e-7)
    # the exact mean square over signs of the direction's rows, by enumeration of all 2^m sign vectors
    every = np.array(list(itertools.product([-1.0, 1.0], repeat=w_init.shape[0])))
    mean_square = np.mean([point.push(v * s[:, None]).jvp ** 2 for s in every], axis=0)
    np.testing.assert_allclose(tangent.square, mean_square, rtol=1e-12, atol=1e-15)
    # one pullback for a gradient plus a Hessian-vector product, as the risks use it
    np.testing.assert_allclose(point.pullback(weights, tangent=tangent, curvature=2 * weights),
                               fd_grad + 2 * fd_hvp, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("orders", [(1,), (2,), (1, 2, 3), None], ids=str)
def test_model_core_against_mpmath(orders):
    """40-digit reference on a tiny case: f by its definition in mpmath, derivatives by mpmath.diff."""
    mpmath = pytest.importorskip("mpmath")
    mp = mpmath.mp.clone() if hasattr(mpmath.mp, "clone") else mpmath.mp
    mp.dps = 40
    rng = np.random.default_rng(5)
    x, w_init, w_out = rng.standard_normal((2, 2)), rng.standard_normal((2, 2)), np.array([1.0, -1.0])
    w_move, v, signs = 0.5 * rng.standard_normal((2, 2)), rng.standard_normal((2, 2)), rng.standard_normal((2, 2))

    def sigma(t, k):  # softplus and its derivatives, exactly
        return mp.diff(lambda s: mp.log(1 + mp.exp(s)), t, k) if k else mp.log(1 + mp.exp(t))

    def f(w, i, row):
        total = mp.mpf(0)
        for r in range(2):
            p = mp.fsum(mp.mpf(w_init[r, j]) * x[i, j] for j in range(2))
            u = row[r] * mp.fsum(w[r][j] * x[i, j] for j in range(2))
            g = sigma(p + u, 0) if orders is None else mp.fsum(sigma(p, k) * u**k / mp.factorial(k) for k in orders)
            total += w_out[r] * g
        return total / mp.sqrt(2)

    def along(t, s, i, row, e):  # f at W + t V + s E
        return f([[mp.mpf(w_move[r, j]) + t * v[r, j] + s * e[r, j] for j in range(2)] for r in range(2)], i, row)

    point = net.TaylorModel(x, w_init, w_out, activation="softplus").at(w_move, orders=orders, signs=signs)
    tangent = point.push(v, form=True)
    weights = np.array([[0.7, -1.3], [0.4, 0.9]])
    for k, row in enumerate(signs):  # two draws, two samples: every derivative, coordinate by coordinate
        for i in range(2):
            assert float(along(0, 0, i, row, v)) == pytest.approx(point.value[k, i], rel=1e-13, abs=1e-15)
            assert float(mp.diff(lambda t: along(t, 0, i, row, v), 0)) == pytest.approx(tangent.jvp[k, i], rel=1e-12)
            assert float(mp.diff(lambda t: along(t, 0, i, row, v), 0, 2)) == pytest.approx(tangent.form[k, i],
                                                                                         rel=1e-12, abs=1e-14)
    vjp, hvp = point.vjp(weights), point.hvp(v, weights)
    for idx in np.ndindex(2, 2):
        e = np.zeros((2, 2))
        e[idx] = 1.0
        grad = sum(weights[k, i] * mp.diff(lambda s: along(0, s, i, signs[k], e), 0)
                   for k in range(2) for i in range(2))
        mixed = sum(weights[k, i] * mp.diff(lambda t, s: along(t, s, i, signs[k], e), (0, 0), (1, 1))
                    for k in range(2) for i in range(2))
        assert float(grad) == pytest.approx(vjp[idx], rel=1e-12, abs=1e-15)
        assert float(mixed) == pytest.approx(hvp[idx], rel=1e-11, abs=1e-14)


@pytest.mark.parametrize("orders", [(1,), (2,), (0, 1, 2, 3), None], ids=str)
def test_sign_moments_against_enumeration(orders, rng):
    x, w_init, w_out, w_move, _, _ = _case(rng, "none", m=5)
    model = net.TaylorModel(x, w_init, w_out, activation="softplus")
    every = np.array(list(itertools.product([-1.0, 1.0], repeat=5)))
    values = model.value(w_move, orders=orders, signs=every)
    mean, variance = model.sign_moments(w_move, orders=orders)
    np.testing.assert_allclose(mean, values.mean(axis=0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(variance, values.var(axis=0), rtol=1e-10, atol=1e-15)


def test_neuron_terms_coefficients_and_features_against_loops(rng):
    x, w_init, w_out, w_move, _, _ = _case(rng, "none")
    act = get_activation("relu3")
    model = net.TaylorModel(x, w_init, w_out)
    m = w_init.shape[0]
    for k in (1, 2, 3):
        want = np.array([[w_out[r] * act.derivative(np.array(w_init[r] @ xi), k) * (w_move[r] @ xi) ** k
                          / math.factorial(k) for r in range(m)] for xi in x]) / math.sqrt(m)
        np.testing.assert_allclose(model.neuron_terms(w_move, k), want, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(model.coefficients(k) * (x @ w_move.T) ** k, want, rtol=1e-13, atol=1e-15)
    point = model.at(w_move, orders=(1, 2))
    # per-sample gradients by central differences of each f(x_i), then the tangent kernel and its diagonal
    jac = np.zeros((x.shape[0],) + w_move.shape)
    for idx in np.ndindex(*w_move.shape):
        e = np.zeros_like(w_move)
        e[idx] = 1e-6
        jac[(slice(None),) + idx] = (model.value(w_move + e, orders=(1, 2))
                                     - model.value(w_move - e, orders=(1, 2))) / 2e-6
    np.testing.assert_allclose(point.jacobian(), jac, rtol=1e-6, atol=1e-9)
    gram = np.einsum("ird,jrd->ij", jac, jac)
    np.testing.assert_allclose(point.ntk_gram(), gram, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(point.gradient_norms(), np.diag(gram), rtol=1e-6, atol=1e-9)


def test_caching_and_chunking_do_not_change_the_core(monkeypatch, rng):
    x, w_init, w_out, w_move, v, _ = _case(rng, "none", m=6)
    signs = rng.choice([-1.0, 1.0], size=(3, 6))
    weights = rng.standard_normal((3, 5))

    def everything():
        model = net.TaylorModel(x, w_init, w_out, activation="softplus", cache_bytes=cache)
        out = []
        for orders in ((1,), (2,), (1, 3), None):
            point = model.at(w_move, orders=orders, signs=signs)
            tangent = point.push(v, form=True, square=True)
            value, (fused,) = model.evaluate(w_move, [v], orders=orders, signs=signs, form=True, square=True)
            out += [point.value, tangent.jvp, tangent.form, tangent.square,
                    point.pullback(weights, tangent=tangent, curvature=weights), value, fused.jvp, fused.form,
                    fused.square]
        return out

    cache = None
    reference = everything()
    for cache, chunk in [(0, None), (None, 8 * 5 * 8), (0, 8 * 5 * 8)]:  # nothing kept; one neuron per chunk
        if chunk is not None:
            monkeypatch.setattr(net, "CHUNK_BYTES", chunk)
        for a, b in zip(reference, everything()):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    for k in range(4):  # one pass (evaluate) gives what a point and a push give
        for a, b in zip(reference[9 * k:9 * k + 4], reference[9 * k + 5:9 * k + 9]):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_model_core_rejects_bad_input(rng):
    x, w_init, w_out, w_move, v, _ = _case(rng, "none")
    model = net.TaylorModel(x, w_init, w_out)
    with pytest.raises(ValueError, match=r"w_move must have shape \(4, 3\); got \(3, 3\)"):
        model.at(w_move[:3])
    with pytest.raises(ValueError, match=r"orders must be distinct integers >= 0; got \[2, 2\]"):
        model.at(w_move, orders=(2, 2))
    with pytest.raises(ValueError, match=r"signs must have shape \('\*', 4\); got \(2, 3\)"):
        model.at(w_move, signs=np.ones((2, 3)))
    point = model.at(w_move, orders=(2,))
    with pytest.raises(ValueError, match=r"cotangent must have shape \(5,\); got \(4,\)"):
        point.vjp(np.ones(4))
    with pytest.raises(ValueError, match="curvature needs a tangent pushed from this point"):
        point.pullback(curvature=np.ones(5))
    with pytest.raises(ValueError, match="ntk_gram needs a model without signs; got 2 sign draws"):
        model.at(w_move, orders=(1,), signs=np.ones((2, 4))).ntk_gram()


def test_reused_memory_never_aliases_live_arrays(rng):
    # points, tangents and models made and dropped in interleaved orders take their arrays from the core's
    # pool of released memory: every result must equal the one computed first
    x, w_init, w_out, w_move, v, _ = _case(rng, "none", m=6)
    other, weights = 0.7 * rng.standard_normal(w_move.shape), rng.standard_normal(5)
    net.release_buffers()

    def results(model, w, keep_alive):
        point = model.at(w, orders=(2,), along=[v])
        keep_alive.append(point)
        tangent = model.at(w, orders=(1, 3)).push(v, form=True, square=True)
        return [point.value, point.pullback(weights, tangent=point.along[0], curvature=weights), tangent.form,
                tangent.square, model.evaluate(w, [v], jvp=False, square=True)[1][0].square]

    reference = [results(net.TaylorModel(x, w_init, w_out, cache_bytes=c), w, [])
                 for c in (None, 0) for w in (w_move, other)]
    for step in range(6):  # interleave: a model per step, points kept alive across steps, dropped at random
        alive = []
        for k, (cache, w) in enumerate((c, w) for c in (None, 0) for w in (w_move, other)):
            got = results(net.TaylorModel(x, w_init, w_out, cache_bytes=cache), w, alive)
            if rng.random() < 0.5:
                alive.pop(int(rng.integers(len(alive))))
            for a, b in zip(reference[k], got):
                np.testing.assert_array_equal(a, b)
    net.release_buffers()
