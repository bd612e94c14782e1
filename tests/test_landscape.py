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


# --------------------------------------------------------------------------------------------
# registered checks: Lemma 1, Theorem 2, Corollary 3, Theorem 4

from boundcheck.lemmas import landscape as lm  # noqa: E402
from boundcheck.numeric import coupling as cpl  # noqa: E402

SMALL = dict(n_samples=64, width=64, dim=4)


def test_lemma1_holds_and_identity_is_exact():
    recs = lm.check_lemma1(rng=np.random.default_rng(20), **SMALL, draws=4, widths=(32, 64, 128, 256),
                           search_evals=40)
    identity, ineq, rate = recs
    assert identity.verdict == HOLDS and identity.lhs <= identity.params["tolerance"]
    assert ineq.verdict == HOLDS
    assert 0 < ineq.params["tightness"] <= 1
    assert rate.verdict == HOLDS and rate.lhs < -0.75  # derived m^-1, printed m^-1/2


def test_lemma1_wrong_constants_are_violated():
    rng = np.random.default_rng(21)
    recs = lm.check_lemma1(rng=rng, **SMALL, draws=4, widths=(32, 64, 128, 256), search_evals=40,
                           remainder_factor=2.0, bound_factor=0.0, claimed_exponent=-2.0)
    assert [r.verdict for r in recs] == [VIOLATED, VIOLATED, VIOLATED]


def test_lemma1_instance_params_match_direct_terms():
    rng = np.random.default_rng(22)
    prob = cpl.planted_problem(40, 16, 3, rng=rng)
    w_move = cpl.random_in_ball(16, 3, 2.0, rng=rng)
    instance = dict(prob, w_move=w_move)
    identity, ineq = lm.check_lemma1(rng=rng, instance=instance)
    terms = ls.lemma1_terms(prob["x"], prob["y"], prob["w_init"], prob["w_out"], w_move, prob["w_star"])
    for key in ("lhs_exact", "rhs_main", "remainder"):
        assert ineq.params[key] == pytest.approx(terms[key], rel=1e-12)
    assert identity.verdict == HOLDS and ineq.verdict == HOLDS
    assert ineq.params["opt"] == pytest.approx(terms["risk_star"])


def test_lemma1_instance_through_the_command_line(tmp_path):
    from boundcheck.cli import main

    rng = np.random.default_rng(23)
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
    rng = np.random.default_rng(24)
    with pytest.raises(ValueError, match="width must be an even integer"):
        lm.check_lemma1(rng=rng, n_samples=16, width=7, dim=3)
    with pytest.raises(ValueError, match="Assumption A"):
        lm.check_lemma1(rng=rng, **SMALL, activation="softplus")
    prob = cpl.planted_problem(20, 8, 3, rng=rng)
    with pytest.raises(ValueError, match="w_move"):
        lm.check_lemma1(rng=rng, instance=prob)


def test_theorem2_records_and_wrong_epsilon():
    kw = dict(n_samples=48, width=64, dim=4, draws=64, widths=(32, 64, 128, 256, 512), candidates=2)
    recs = lm.check_theorem2(rng=np.random.default_rng(25), **kw)
    main = recs[0]
    assert main.params["width_required_by_6"] > 1e6 and not main.params["width_condition_met"]
    assert main.params["epsilon_min"] >= 0
    bad = lm.check_theorem2(rng=np.random.default_rng(25), **kw, accuracy=1e-9, claimed_exponent=-20.0,
                            require_width_condition=False)
    kept = lm.check_theorem2(rng=np.random.default_rng(25), **kw, accuracy=1e-9)
    assert kept[0].verdict == "INCONCLUSIVE" and kept[0].params["raw_verdict"] == VIOLATED
    assert bad[0].params["epsilon_min"] > 1e-6 and bad[0].verdict == VIOLATED
    assert bad[1].verdict == VIOLATED


def test_width_condition_is_monotone_and_sufficient():
    small = lm.width_condition(0.5, dim=4, radius=2.0, radius_star=1.0)
    large = lm.width_condition(0.05, dim=4, radius=2.0, radius_star=1.0)
    assert small < large < math.inf


def test_corollary3_constant_and_violation():
    rng = np.random.default_rng(26)
    single = np.zeros((6, 3))
    single[2] = [0.3, -1.0, 2.0]
    assert lm.corollary3_needed_constant(single) == pytest.approx(lm.COROLLARY3_CONSTANT, rel=1e-12)
    spread = rng.standard_normal((50, 3))
    assert lm.corollary3_needed_constant(spread) < lm.COROLLARY3_CONSTANT
    kw = dict(n_samples=48, width=64, dim=4, draws=64, candidates=2)
    recs = lm.check_corollary3(rng=np.random.default_rng(27), **kw)
    assert recs[0].verdict == HOLDS and recs[1].verdict == HOLDS
    bad = lm.check_corollary3(rng=np.random.default_rng(27), **kw, constant=0.0, accuracy=1e-9,
                              require_width_condition=False)
    assert bad[0].verdict == VIOLATED and bad[1].verdict == VIOLATED


def test_corollary3_regularizer_gap_formula():
    rng = np.random.default_rng(28)
    w, w_star = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    reg = 0.7
    gap = lm.corollary3_regularizer_gap(w, w_star, reg)
    direct = (ls.regularizer_expected_form(w, w_star, reg) - np.sum(ls.regularizer_gradient(w, reg) * w)
              + 2 * ls.regularizer(w, reg))
    assert gap == pytest.approx(direct, rel=1e-12)


def test_theorem4_end_to_end_and_untrained_point_is_violated():
    kw = dict(n_samples=48, width=64, dim=4, draws=64, hessian_draws=8, steps=60)
    recs = lm.check_theorem4(rng=np.random.default_rng(29), **kw)
    assert recs[0].params["opt_lower"] <= recs[0].params["opt_upper"] + 1e-9
    assert np.isfinite(recs[0].params["smallest_hessian_eigenvalue"])
    assert recs[1].verdict == HOLDS
    bad = lm.check_theorem4(rng=np.random.default_rng(29), **dict(kw, steps=1), gamma=1e-3, accuracy=1e-3,
                            norm_factor=1e-6, require_width_condition=False)
    assert bad[0].verdict == VIOLATED and bad[1].verdict == VIOLATED


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
