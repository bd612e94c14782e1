"""Tests of boundcheck.numeric.landscape (derivatives against finite differences, expectations
against brute-force enumeration of signs) and of the Lemma 1 / Theorem 2 / Corollary 3 / Theorem 4 checks."""

import itertools
import math

import numpy as np
import pytest

from boundcheck.network import quadratic_model, symmetric_init
from boundcheck.numeric import landscape as ls
from boundcheck.results import HOLDS, VIOLATED


def _problem(rng, n=12, m=8, d=3, scale=0.7):
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    w_init, w_out = symmetric_init(m, d, rng=rng)
    w_move = rng.standard_normal((m, d)) * scale
    w_star = rng.standard_normal((m, d)) * scale
    y = rng.choice([-1.0, 1.0], size=n)
    return x, y, w_init, w_out, w_move, w_star


def _fd_grad(fun, w, h=1e-6):
    out = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):  # tiny test problem: loop over coordinates is the reference
        e = np.zeros_like(w)
        e[idx] = h
        out[idx] = (fun(w + e) - fun(w - e)) / (2 * h)
    return out


@pytest.mark.parametrize("loss", ["logistic", "soft-hinge", "squared"])
def test_clean_gradient_hvp_form_against_finite_differences(loss):
    rng = np.random.default_rng(1)
    x, y, w_init, w_out, w_move, w_star = _problem(rng)

    def risk(w):
        return ls.quadratic_risk(x, y, w_init, w_out, w, loss=loss)

    grad = ls.quadratic_risk_gradient(x, y, w_init, w_out, w_move, loss=loss)
    np.testing.assert_allclose(grad, _fd_grad(risk, w_move), rtol=1e-6, atol=1e-8)
    v = rng.standard_normal(w_move.shape)
    h = 1e-5
    hvp_fd = (ls.quadratic_risk_gradient(x, y, w_init, w_out, w_move + h * v, loss=loss)
              - ls.quadratic_risk_gradient(x, y, w_init, w_out, w_move - h * v, loss=loss)) / (2 * h)
    hvp = ls.quadratic_risk_hvp(x, y, w_init, w_out, w_move, v, loss=loss)
    np.testing.assert_allclose(hvp, hvp_fd, rtol=1e-5, atol=1e-8)
    form = ls.quadratic_risk_hessian_form(x, y, w_init, w_out, w_move, v, loss=loss)
    assert form == pytest.approx(np.sum(v * hvp), rel=1e-10)
    second_fd = (risk(w_move + 1e-4 * v) - 2 * risk(w_move) + risk(w_move - 1e-4 * v)) / 1e-8
    assert form == pytest.approx(second_fd, rel=1e-4)


def _brute_outputs(x, w_init, w_out, w_move, signs=None, order=None):
    """f^Q (order 2) or the network (order None) at W Sigma_k: a plain loop over draws, samples and neurons."""
    m = w_init.shape[0]
    rows = np.ones((1, m)) if signs is None else signs
    out = np.zeros((rows.shape[0], x.shape[0]))
    for k, row in enumerate(rows):
        for i, xi in enumerate(x):
            for r in range(m):
                p, u = w_init[r] @ xi, row[r] * (w_move[r] @ xi)
                relu3 = max(p + u, 0.0) ** 3 / 6
                out[k, i] += w_out[r] * (max(p, 0.0) * u**2 / 2 if order == 2 else relu3)
    return out / math.sqrt(m)


def test_quadratic_risk_against_a_double_loop():
    rng = np.random.default_rng(2)
    x, y, w_init, w_out, w_move, _ = _problem(rng)
    fq = _brute_outputs(x, w_init, w_out, w_move, order=2)[0]
    assert ls.quadratic_risk(x, y, w_init, w_out, w_move) == pytest.approx(np.mean(np.log1p(np.exp(-y * fq))),
                                                                          rel=1e-13)


def _all_signs(m):
    return np.array(list(itertools.product([-1.0, 1.0], repeat=m)))


def test_lemma1_lhs_exact_against_enumeration_of_signs():
    rng = np.random.default_rng(3)
    x, y, w_init, w_out, w_move, w_star = _problem(rng, m=6)
    terms = ls.lemma1_terms(x, y, w_init, w_out, w_move, w_star)
    forms = [ls.quadratic_risk_hessian_form(x, y, w_init, w_out, w_move, w_star * s[:, None]) for s in _all_signs(6)]
    assert terms["lhs_exact"] == pytest.approx(np.mean(forms), rel=1e-12)
    grad = ls.quadratic_risk_gradient(x, y, w_init, w_out, w_move)
    assert terms["grad_inner"] == pytest.approx(np.sum(grad * w_move), rel=1e-12)
    assert abs(terms["identity_residual"]) < 1e-13 * terms["scale"]
    assert terms["convexity_gap"] >= 0


@pytest.mark.parametrize("loss", ["logistic", "squared"])
def test_network_gradient_hvp_against_finite_differences(loss):
    rng = np.random.default_rng(4)
    x, y, w_init, w_out, w_move, _ = _problem(rng, scale=0.3)
    signs = rng.choice([-1.0, 1.0], size=(3, w_init.shape[0]))

    def risk(w):
        return float(np.mean(ls.network_risk(x, y, w_init, w_out, w, signs, loss=loss)))

    grad = ls.network_risk_gradient(x, y, w_init, w_out, w_move, signs, loss=loss)
    np.testing.assert_allclose(grad, _fd_grad(risk, w_move), rtol=1e-6, atol=1e-8)
    v = rng.standard_normal(w_move.shape)
    h = 1e-5
    hvp_fd = (ls.network_risk_gradient(x, y, w_init, w_out, w_move + h * v, signs, loss=loss)
              - ls.network_risk_gradient(x, y, w_init, w_out, w_move - h * v, signs, loss=loss)) / (2 * h)
    hvp = ls.network_risk_hvp(x, y, w_init, w_out, w_move, signs, v, loss=loss)
    np.testing.assert_allclose(hvp, hvp_fd, rtol=1e-5, atol=1e-8)
    forms = ls.network_risk_hessian_form(x, y, w_init, w_out, w_move, signs, v, loss=loss)
    assert np.mean(forms) == pytest.approx(np.sum(v * hvp), rel=1e-10)


def test_network_risk_against_a_double_loop():
    rng = np.random.default_rng(5)
    x, y, w_init, w_out, w_move, _ = _problem(rng)
    signs = rng.choice([-1.0, 1.0], size=(4, w_init.shape[0]))
    f = _brute_outputs(x, w_init, w_out, w_move, signs)
    np.testing.assert_allclose(ls.network_risk(x, y, w_init, w_out, w_move, signs),
                               np.mean(np.log1p(np.exp(-y * f)), axis=1), rtol=1e-12)


def test_randomized_sides_against_direct_computation():
    rng = np.random.default_rng(6)
    x, y, w_init, w_out, w_move, w_star = _problem(rng, m=6, scale=0.4)
    signs = rng.choice([-1.0, 1.0], size=(5, 6))
    sides = ls.randomized_sides(x, y, w_init, w_out, w_move, w_star, signs)
    np.testing.assert_allclose(sides["risk"], ls.network_risk(x, y, w_init, w_out, w_move, signs), rtol=1e-12)
    every = _all_signs(6)
    for k, s in enumerate(signs):
        grad = ls.network_risk_gradient(x, y, w_init, w_out, w_move, s[None])
        assert sides["grad_inner"][k] == pytest.approx(np.sum(grad * w_move), rel=1e-10)
        # expectation over Sigma'' by enumeration (direction W_* Sigma'')
        brute = np.mean([ls.network_risk_hessian_form(x, y, w_init, w_out, w_move, s[None], w_star * e[:, None])[0]
                         for e in every])
        assert sides["hess_form"][k] == pytest.approx(brute, rel=1e-10)
    # Sigma-independent pieces of the quadratic model
    assert sides["quadratic_risk"] == pytest.approx(ls.quadratic_risk(x, y, w_init, w_out, w_move))
    # the control variate has mean zero exactly: check by enumeration
    all_sides = ls.randomized_sides(x, y, w_init, w_out, w_move, w_star, every)
    assert abs(np.mean(all_sides["control"])) < 1e-14


def test_randomized_risk_squared_exact_against_enumeration():
    rng = np.random.default_rng(7)
    x, y, w_init, w_out, w_move, _ = _problem(rng, m=8, scale=0.5)
    risks = ls.network_risk(x, y, w_init, w_out, w_move, _all_signs(8), loss="squared")
    assert ls.randomized_risk_squared(x, y, w_init, w_out, w_move) == pytest.approx(np.mean(risks), rel=1e-12)


def test_regularizer_derivatives_and_expected_form():
    rng = np.random.default_rng(8)
    w = rng.standard_normal((5, 3))
    w_star = rng.standard_normal((5, 3))
    reg = 0.3
    assert ls.regularizer(w, reg) == pytest.approx(reg * np.sum(np.sum(w**2, 1) ** 2) ** 2)
    np.testing.assert_allclose(ls.regularizer_gradient(w, reg), _fd_grad(lambda v: ls.regularizer(v, reg), w),
                               rtol=1e-6)
    v = rng.standard_normal(w.shape)
    h = 1e-6
    fd = (ls.regularizer_gradient(w + h * v, reg) - ls.regularizer_gradient(w - h * v, reg)) / (2 * h)
    np.testing.assert_allclose(ls.regularizer_hvp(w, v, reg), fd, rtol=1e-6)
    brute = np.mean([np.sum(w_star * s[:, None] * ls.regularizer_hvp(w, w_star * s[:, None], reg))
                     for s in _all_signs(5)])
    assert ls.regularizer_expected_form(w, w_star, reg) == pytest.approx(brute, rel=1e-12)
    # B.5: <grad R, W> = 8 R
    assert np.sum(ls.regularizer_gradient(w, reg) * w) == pytest.approx(8 * ls.regularizer(w, reg))


def test_smallest_eigenvalue_matches_dense_on_tiny_problem():
    rng = np.random.default_rng(9)
    x, y, w_init, w_out, w_move, _ = _problem(rng, m=4, d=3)

    def hvp(v):
        return ls.quadratic_risk_hvp(x, y, w_init, w_out, w_move, v)

    dense = np.column_stack([hvp(e.reshape(4, 3)).ravel() for e in np.eye(12)])
    expected = np.linalg.eigvalsh((dense + dense.T) / 2)[0]
    value, vec = ls.smallest_hessian_eigenvalue(hvp, (4, 3), rng=rng)
    assert value == pytest.approx(expected, abs=1e-8)
    assert vec.shape == (4, 3)


def test_bad_inputs_name_the_argument():
    rng = np.random.default_rng(10)
    x, y, w_init, w_out, w_move, w_star = _problem(rng)
    with pytest.raises(ValueError, match="w_move must have shape"):
        ls.quadratic_risk(x, y, w_init, w_out, w_move[:3])
    with pytest.raises(ValueError, match="y must have length"):
        ls.quadratic_risk(x, y[:3], w_init, w_out, w_move)
    with pytest.raises(ValueError, match="signs must hold only"):
        ls.network_risk(x, y, w_init, w_out, w_move, np.zeros((2, w_init.shape[0])))
    with pytest.raises(ValueError, match="loss must be one of"):
        ls.quadratic_risk(x, y, w_init, w_out, w_move, loss="hinge")


def test_hess_control_has_mean_zero_by_enumeration():
    rng = np.random.default_rng(11)
    x, y, w_init, w_out, w_move, w_star = _problem(rng, m=6, scale=0.4)
    sides = ls.randomized_sides(x, y, w_init, w_out, w_move, w_star, _all_signs(6))
    assert abs(np.mean(sides["hess_control"])) < 1e-14
    assert np.std(sides["hess_control"]) > 1e-6


def test_regularized_risk_derivatives_against_finite_differences():
    rng = np.random.default_rng(30)
    x, y, w_init, w_out, w_move, _ = _problem(rng, scale=0.4)
    signs = rng.choice([-1.0, 1.0], size=(2, w_init.shape[0]))
    reg = 0.05

    def risk(w):
        return float(np.mean(ls.regularized_risk(x, y, w_init, w_out, w, signs, reg)))

    grad = ls.regularized_risk_gradient(x, y, w_init, w_out, w_move, signs, reg)
    np.testing.assert_allclose(grad, _fd_grad(risk, w_move), rtol=1e-6, atol=1e-8)
    v = rng.standard_normal(w_move.shape)
    h = 1e-5
    fd = (ls.regularized_risk_gradient(x, y, w_init, w_out, w_move + h * v, signs, reg)
          - ls.regularized_risk_gradient(x, y, w_init, w_out, w_move - h * v, signs, reg)) / (2 * h)
    np.testing.assert_allclose(ls.regularized_risk_hvp(x, y, w_init, w_out, w_move, signs, reg, v), fd,
                               rtol=1e-5, atol=1e-8)


def test_randomized_risk_interval_covers_exact_value():
    rng = np.random.default_rng(31)
    x, y, w_init, w_out, w_move, _ = _problem(rng, m=8, scale=0.5)
    exact = np.mean(ls.network_risk(x, y, w_init, w_out, w_move, _all_signs(8)))
    value, (low, high) = ls.randomized_risk(x, y, w_init, w_out, w_move, rng=rng, draws=4000, level=0.999)
    assert low <= exact <= high and high - low < 0.05 * abs(exact)
    sq, (a, b) = ls.randomized_risk(x, y, w_init, w_out, w_move, rng=rng, loss="squared")
    assert a == b == sq == pytest.approx(np.mean(ls.network_risk(x, y, w_init, w_out, w_move, _all_signs(8),
                                                                  loss="squared")))


@pytest.mark.parametrize("cache_bytes", [0, 2**30])
def test_hessian_operator_against_finite_differences_of_the_gradient(cache_bytes):
    rng = np.random.default_rng(32)
    x, y, w_init, w_out, w_move, _ = _problem(rng)
    op = ls.quadratic_risk_hessian_operator(x, y, w_init, w_out, w_move, cache_bytes=cache_bytes)
    for _ in range(3):  # repeated products reuse what the operator keeps
        v = rng.standard_normal(w_move.shape)
        fd = (ls.quadratic_risk_gradient(x, y, w_init, w_out, w_move + 1e-5 * v)
              - ls.quadratic_risk_gradient(x, y, w_init, w_out, w_move - 1e-5 * v)) / 2e-5
        np.testing.assert_allclose(op(v), fd, rtol=1e-6, atol=1e-9)


def test_smallest_eigenvalue_of_regularized_network_risk_matches_dense():
    rng = np.random.default_rng(33)
    x, y, w_init, w_out, w_move, _ = _problem(rng, m=4, d=3, scale=0.5)
    signs = rng.choice([-1.0, 1.0], size=(5, 4))

    def hvp(v):
        return ls.regularized_risk_hvp(x, y, w_init, w_out, w_move, signs, 0.1, v)

    dense = np.column_stack([hvp(e.reshape(4, 3)).ravel() for e in np.eye(12)])
    assert np.allclose(dense, dense.T, atol=1e-12)
    value, _ = ls.smallest_hessian_eigenvalue(hvp, (4, 3), rng=rng)
    assert value == pytest.approx(np.linalg.eigvalsh(dense)[0], abs=1e-8)


def test_clean_expected_hessian_form_splits_terms():
    rng = np.random.default_rng(34)
    x, y, w_init, w_out, w_move, w_star = _problem(rng)
    value, remainder, first_order = ls.quadratic_risk_expected_hessian_form(x, y, w_init, w_out, w_move, w_star)
    fstar = quadratic_model(x, w_init, w_out, w_star)
    fq = quadratic_model(x, w_init, w_out, w_move)
    d1 = -y / (1 + np.exp(y * fq))
    assert first_order == pytest.approx(np.mean(d1 * 2 * fstar), rel=1e-10)
    assert value == pytest.approx(remainder + first_order) and remainder > 0


# --------------------------------------------------------------------------------------------
# the quantities the Section 4 checks compare (numeric.landscape)


def test_theorem2_samples_mean_against_enumeration_of_signs():
    rng = np.random.default_rng(40)
    x, y, w_init, w_out, w_move, w_star = _problem(rng, m=6, scale=0.4)
    every = _all_signs(6)
    opt = 0.3
    h, _ = ls.theorem2_samples(x, y, w_init, w_out, w_move, w_star, every, opt=opt)
    # brute force: E_Sigma of (7)'s sides from the network's own derivatives, one sign vector at a time
    brute = []
    for s in every:
        grad = ls.network_risk_gradient(x, y, w_init, w_out, w_move, s[None])
        form = np.mean([ls.network_risk_hessian_form(x, y, w_init, w_out, w_move, s[None], w_star * e[:, None])[0]
                        for e in every])
        risk = ls.network_risk(x, y, w_init, w_out, w_move, s[None])[0]
        brute.append(form - np.sum(grad * w_move) + 2 * (risk - opt))
    assert np.mean(h) == pytest.approx(np.mean(brute), rel=1e-10)


def test_shared_planted_problem_shares_data_and_teacher_directions_across_widths():
    rng = np.random.default_rng(41)
    small = ls.shared_planted_problem(20, 8, 3, radius_star=2.0, seed=7, rng=rng)
    large = ls.shared_planted_problem(20, 32, 3, radius_star=2.0, seed=7, rng=rng)
    np.testing.assert_array_equal(small["x"], large["x"])
    assert norm_24(small["w_star"]) == pytest.approx(2.0) and norm_24(large["w_star"]) == pytest.approx(2.0)

    def directions(w):
        rows = w[np.linalg.norm(w, axis=1) > 0]
        return {tuple(np.round(r / np.linalg.norm(r), 12)) for r in rows}

    assert directions(small["w_star"]) | directions(large["w_star"]) == directions(large["w_star"])
    assert len(directions(large["w_star"])) == 2


def test_corollary3_needed_constant_closed_forms_and_search():
    # one nonzero row: B.5's constant 378 * 14^3 / 5^3 (the AM-GM step is tight)
    single = np.zeros((6, 3))
    single[2] = [0.3, -1.0, 2.0]
    assert ls.corollary3_needed_constant(single) == pytest.approx(378 * 14**3 / 5**3, rel=1e-12)
    assert ls.COROLLARY3_CONSTANT == pytest.approx(8297.856, rel=1e-6)
    # k rows of equal norm: along W = s W_*, A/B = 32/k + 24, so C = (27/32000)(32/k + 24)^4
    rng = np.random.default_rng(42)
    for k in (2, 5, 40):
        rows = rng.standard_normal((k, 4))
        rows *= 1.7 / np.linalg.norm(rows, axis=1, keepdims=True)
        assert ls.corollary3_needed_constant(rows) == pytest.approx(27 / 32000 * (32 / k + 24) ** 4, rel=1e-12)
    # brute force along the ray: max_s [gap(s W_*) + R(s W_*)] / R(W_*)
    w_star = rng.standard_normal((7, 3))
    scales = np.geomspace(1e-2, 1e2, 200001)
    reg = 0.37
    values = [ls.corollary3_regularizer_gap(s * w_star, w_star, reg) + ls.regularizer(s * w_star, reg)
              for s in scales[::100]]
    coarse = scales[::100][int(np.argmax(values))]
    fine = np.linspace(coarse * 0.99, coarse * 1.01, 2001)
    best = max(ls.corollary3_regularizer_gap(s * w_star, w_star, reg) + ls.regularizer(s * w_star, reg) for s in fine)
    assert best / ls.regularizer(w_star, reg) == pytest.approx(ls.corollary3_needed_constant(w_star), rel=1e-7)


def test_corollary3_regularizer_gap_formula():
    rng = np.random.default_rng(28)
    w, w_star = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    reg = 0.7
    brute = np.mean([np.sum(w_star * s[:, None] * ls.regularizer_hvp(w, w_star * s[:, None], reg))
                     for s in _all_signs(5)])
    direct = brute - np.sum(ls.regularizer_gradient(w, reg) * w) + 2 * ls.regularizer(w, reg)
    assert ls.corollary3_regularizer_gap(w, w_star, reg) == pytest.approx(direct, rel=1e-12)


def test_width_required_by_6_is_monotone_and_reachable_only_for_tiny_radii():
    small = ls.width_required_by_6(0.5, dim=4, radius=2.0, radius_star=1.0)
    large = ls.width_required_by_6(0.05, dim=4, radius=2.0, radius_star=1.0)
    assert 1e20 < small < large < math.inf
    assert ls.width_required_by_6(0.25, dim=4, radius=1e-3, radius_star=5e-4) < 512


def test_theorem4_norm_bound_is_b6_explicit_form():
    # B.6: lambda ||W||^8 <= C lambda B^8 + 2 OPT + eps with C lambda B^8 = 2 gamma OPT_low + eps
    radius, gamma, eps, low, high, c = 1.3, 0.5, 0.1, 0.2, 0.21, 100.0
    lam = (2 * gamma * low + eps) / (c * radius**8)
    expected = ((c * lam * radius**8 + 2 * high + eps) / lam) ** 0.125
    assert ls.theorem4_norm_bound(radius, gamma=gamma, accuracy=eps, opt_lower=low, opt_upper=high,
                                  constant=c) == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------------------------
# registered checks: Lemma 1, Theorem 2, Corollary 3, Theorem 4 (judged at the battery's level)

import inspect  # noqa: E402

from boundcheck import hypotheses as hyp  # noqa: E402
from boundcheck.lemmas import landscape as lm  # noqa: E402
from boundcheck.network import norm_24  # noqa: E402
from boundcheck.numeric import coupling as cpl  # noqa: E402
from boundcheck.results import INCONCLUSIVE  # noqa: E402
from boundcheck.run.registry import get_claim  # noqa: E402

LEVEL = 1 - 0.05 / 60
FAST_L1 = dict(draws=2, search_evals=30)


def judged(records):
    return [r.at_level(LEVEL) for r in records]


def _instance(rng, n=40, m=16, d=3, **changes):
    prob = cpl.planted_problem(n, m, d, rng=rng)
    return dict(prob, w_move=cpl.random_in_ball(m, d, 2.0, rng=rng), **changes)


def test_checks_never_rewrite_a_verdict():
    source = inspect.getsource(lm)
    assert ".verdict =" not in source and "_below_width_condition" not in source and "ImportError" not in source


def test_lemma1_statement_is_the_papers_m_to_the_minus_one():
    statement = get_claim("Lemma 1").statement
    assert "m^-1)" in statement and "m^-1/2" not in statement


def test_lemma1_holds_at_defaults():
    identity, inequality, exponent = judged(lm.check_lemma1(rng=np.random.default_rng(20)))
    assert [identity.verdict, inequality.verdict, exponent.verdict] == [HOLDS] * 3
    assert all(r.within_hypotheses for r in (identity, inequality, exponent))
    assert set(identity.hypotheses) == {hyp.LOSS_CURVATURE, hyp.ASSUMPTION_A, hyp.BALL}
    assert "worst-case search" in " ".join(inequality.params["kinds"]) and "trajectory" in inequality.params["kinds"]
    assert 0 < inequality.params["tightness"] < 1
    low, high = exponent.interval
    assert -1 - lm.LEMMA1_RATE_MARGIN <= low and high <= -1 + lm.LEMMA1_RATE_MARGIN


@pytest.mark.parametrize("options, index", [
    (dict(remainder_factor=1.1), 0),          # the remainder of the identity off by 10%
    (dict(remainder_factor=-1.0), 0),         # its sign flipped
    (dict(bound_factor=1e-6), 1),             # the explicit bound is ~1e5 x the excess: shrunk 1e6-fold
    (dict(bound_factor=-1.0), 1),             # the remainder bound's sign flipped
])
def test_lemma1_planted_constants_and_signs_are_violated(options, index):
    recs = judged(lm.check_lemma1(rng=np.random.default_rng(21), widths=(), **FAST_L1, **options))
    assert recs[index].verdict == VIOLATED and recs[1 - index].verdict == HOLDS


@pytest.mark.parametrize("claimed", [-1.1, -1.25, -2.0])
def test_lemma1_planted_exponents_are_violated(claimed):
    # O(m^-1) is an upper bound on the exponent: a planted error claims a faster decay (a slower one,
    # such as -0.5 or a flipped sign +1, is a weaker claim that is still true)
    recs = judged(lm.check_lemma1(rng=np.random.default_rng(22), claimed_exponent=claimed, **FAST_L1))
    assert recs[2].verdict == VIOLATED


@pytest.mark.parametrize("replicates", [1, 2])
def test_lemma1_degenerate_replicates_are_inconclusive(replicates):
    recs = judged(lm.check_lemma1(rng=np.random.default_rng(23), replicates=replicates, **FAST_L1))
    assert recs[2].verdict == INCONCLUSIVE


def test_lemma1_instance_params_match_direct_terms_and_radius_is_the_max_norm():
    rng = np.random.default_rng(24)
    instance = _instance(rng)
    instance["x"] = instance["x"] * 0.5
    instance["x"][3] *= 4.0  # one input of norm 2 among inputs of norm 0.5
    identity, ineq = lm.check_lemma1(rng=rng, instance=instance)
    terms = ls.lemma1_terms(instance["x"], instance["y"], instance["w_init"], instance["w_out"], instance["w_move"],
                            instance["w_star"])
    for key in ("lhs_exact", "rhs_main", "remainder"):
        assert ineq.params[key] == pytest.approx(terms[key], rel=1e-12)
    assert ineq.params["input_radius"] == pytest.approx(2.0) and ineq.within_hypotheses
    assert identity.verdict == HOLDS and ineq.verdict == HOLDS
    assert ineq.params["opt"] == pytest.approx(terms["risk_star"])


def test_lemma1_hypotheses_squared_loss_is_covered_and_assumption_a_is_reported():
    rng = np.random.default_rng(25)
    squared = lm.check_lemma1(rng=rng, instance=_instance(rng), loss="squared")
    assert all(r.hypotheses[hyp.LOSS_CURVATURE] for r in squared)
    softplus = lm.check_lemma1(rng=rng, instance=_instance(rng), activation="softplus")
    assert all(r.unmet_hypotheses == [hyp.ASSUMPTION_A] for r in softplus)
    assert softplus[0].verdict == HOLDS  # the identity of B.1 needs no hypothesis


def test_lemma1_instance_through_the_command_line(tmp_path):
    from boundcheck.cli import main

    rng = np.random.default_rng(26)
    prob = cpl.planted_problem(30, 8, 3, rng=rng)
    path = tmp_path / "inst.npz"
    np.savez(path, w_move=cpl.random_in_ball(8, 3, 1.0, rng=rng), **prob)
    out = tmp_path / "out.json"
    assert main(["verify", "Lemma 1", "--instance", str(path), "--format", "json", "--out", str(out)]) == 0
    assert "lhs_exact" in out.read_text()
    bad = tmp_path / "bad.npz"
    np.savez(bad, **{k: v for k, v in prob.items() if k != "w_star"})
    assert main(["verify", "Lemma 1", "--instance", str(bad)]) == 2


def test_lemma1_rejects_bad_input():
    rng = np.random.default_rng(27)
    with pytest.raises(ValueError, match="width must be an even integer"):
        lm.check_lemma1(rng=rng, n_samples=16, width=7, dim=3)
    with pytest.raises(ValueError, match="w_move"):
        lm.check_lemma1(rng=rng, instance=cpl.planted_problem(20, 8, 3, rng=rng))


def test_theorem2_holds_at_defaults_outside_width_condition():
    main, sweep = judged(lm.check_theorem2(rng=np.random.default_rng(30)))
    assert main.verdict == HOLDS and sweep.verdict == HOLDS
    for rec in (main, sweep):
        assert rec.unmet_hypotheses == [hyp.WIDTH6] and rec.reading.startswith("holds although")
    assert main.params["width_required_by_6"] > 1e20
    assert sweep.params["replicates"] == 16 and sweep.interval[1] <= -0.25


@pytest.mark.parametrize("options", [dict(accuracy=1e-3), dict(claimed_sign=-1.0)])
def test_theorem2_planted_epsilon_is_violated_below_width_condition(options):
    (main,) = judged(lm.check_theorem2(rng=np.random.default_rng(31), widths=(), **options))
    assert main.verdict == VIOLATED and not main.counts_against_paper
    assert main.reading == "fails, but width condition (6) is not met"


def test_theorem2_planted_exponent_is_violated():
    _, sweep = judged(lm.check_theorem2(rng=np.random.default_rng(32), claimed_exponent=-0.5, candidates=1, draws=16,
                                        replicates=8))
    assert sweep.verdict == VIOLATED


def test_theorem2_degenerate_draws_are_inconclusive():
    (main,) = judged(lm.check_theorem2(rng=np.random.default_rng(33), widths=(), draws=2, candidates=1))
    assert main.verdict == INCONCLUSIVE
    _, sweep = judged(lm.check_theorem2(rng=np.random.default_rng(33), draws=16, candidates=1, replicates=1,
                                       widths=(64, 128, 256)))
    assert sweep.verdict == INCONCLUSIVE


def test_theorem2_width_condition_met_for_tiny_radii():
    (main,) = judged(lm.check_theorem2(rng=np.random.default_rng(34), n_samples=32, width=512, dim=4, radius=1e-3,
                                       draws=64, candidates=1, widths=()))
    assert main.params["width_required_by_6"] < 512
    assert main.within_hypotheses and main.verdict == HOLDS


def test_theorem2_instance_reports_broken_hypotheses():
    rng = np.random.default_rng(35)
    instance = _instance(rng)
    (rec,) = lm.check_theorem2(rng=rng, instance=instance, draws=32)
    assert rec.params["opt_source"] == "L^Q(w_star)" and "lemma1_slack" in rec.params
    assert rec.unmet_hypotheses == [hyp.WIDTH6]
    shifted = dict(instance, w_init=instance["w_init"] + 0.01 * rng.standard_normal(instance["w_init"].shape))
    (rec,) = lm.check_theorem2(rng=rng, instance=shifted, draws=32)
    assert not rec.hypotheses[hyp.SYMMETRIC]
    (rec,) = lm.check_theorem2(rng=rng, instance=dict(instance, y=rng.standard_normal(40)), draws=32, loss="squared")
    assert not rec.hypotheses[hyp.LOSS] and rec.hypotheses[hyp.SYMMETRIC]


def test_corollary3_holds_at_defaults():
    step, full = judged(lm.check_corollary3(rng=np.random.default_rng(36)))
    assert step.verdict == HOLDS and full.verdict == HOLDS
    assert step.within_hypotheses and full.unmet_hypotheses == [hyp.WIDTH6]
    assert step.params["constant_needed_on_ray"] < lm.ls.COROLLARY3_CONSTANT
    assert step.params["regularizer"] == "lambda ||W||_{2,4}^8"


@pytest.mark.parametrize("options, index", [
    (dict(constant=0.9 * 291.8), 0),    # 10% below the C this W_* needs along the ray (about 291.8)
    (dict(constant=-ls.COROLLARY3_CONSTANT), 0),  # the sign of C lambda ||W_*||^8 flipped
    (dict(constant=0.0, claimed_sign=-1.0), 1),   # no C, and -eps
])
def test_corollary3_planted_errors_are_violated(options, index):
    recs = judged(lm.check_corollary3(rng=np.random.default_rng(37), candidates=2, **options))
    assert recs[index].verdict == VIOLATED


def test_corollary3_degenerate_draws_and_instance_hypotheses():
    _, full = judged(lm.check_corollary3(rng=np.random.default_rng(38), draws=2, candidates=1))
    assert full.verdict == INCONCLUSIVE
    rng = np.random.default_rng(39)
    instance = _instance(rng)
    assert all(r.hypotheses[hyp.SYMMETRIC] for r in lm.check_corollary3(rng=rng, instance=instance, draws=32))
    asym = dict(instance, w_init=instance["w_init"] * np.linspace(1.0, 1.1, 16)[:, None])
    recs = lm.check_corollary3(rng=rng, instance=asym, draws=32)
    assert all(not r.hypotheses[hyp.SYMMETRIC] for r in recs)


def test_theorem4_holds_at_defaults_with_explicit_regularizer():
    risk, norm = judged(lm.check_theorem4(rng=np.random.default_rng(50)))
    assert risk.verdict == HOLDS and norm.verdict == HOLDS
    assert risk.unmet_hypotheses == [hyp.WIDTH6] and risk.hypotheses[hyp.SOSP]
    p = risk.params
    assert p["regularizer"] == "lambda ||W||_{2,4}^8"
    assert p["reg"] == pytest.approx((2 * p["gamma"] * p["opt_lower"] + p["accuracy"])
                                     / (ls.COROLLARY3_CONSTANT * p["radius_star"] ** 8))
    assert p["opt_lower"] <= p["opt_upper"]
    if p["opt_upper"] > p["opt_lower"]:
        assert p["tolerance"] == pytest.approx((1 + p["gamma"]) * (p["opt_upper"] - p["opt_lower"]))
        assert "only bracketed" in p["tolerance_reason"]


@pytest.mark.parametrize("options, index", [
    (dict(bound_factor=0.25), 0),    # (1+gamma) OPT + eps cut to 25% (it is about 2.7x the risk)
    (dict(claimed_sign=-1.0), 0),    # its sign flipped
    (dict(norm_factor=0.3), 1),      # the explicit O(B_w*) shrunk to 30%
    (dict(norm_factor=-1.0), 1),     # its sign flipped
])
def test_theorem4_planted_errors_are_violated(options, index):
    recs = judged(lm.check_theorem4(rng=np.random.default_rng(51), steps=100, **options))
    assert recs[index].verdict == VIOLATED


def test_theorem4_degenerate_draws_and_non_stationary_point():
    risk, _ = judged(lm.check_theorem4(rng=np.random.default_rng(52), steps=1, draws=2))
    assert risk.verdict == INCONCLUSIVE and not risk.hypotheses[hyp.SOSP]


def test_theorem4_violated_must_clear_the_upper_end_of_opt(monkeypatch):
    # a bracket [0, 1]: HOLDS is judged against (1+gamma) 0 + eps, VIOLATED against (1+gamma) 1 + eps
    monkeypatch.setattr(lm, "_opt_value", lambda *args: (0.0, 1.0, "a wide bracket"))
    risk, _ = judged(lm.check_theorem4(rng=np.random.default_rng(53), steps=50))
    assert risk.interval[0] > risk.rhs and risk.interval[1] < risk.rhs + risk.params["tolerance"]
    assert risk.verdict == INCONCLUSIVE and risk.params["tolerance"] == pytest.approx(1.5)
