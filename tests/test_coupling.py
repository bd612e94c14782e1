"""Tests of boundcheck.numeric.coupling (the bounds of Lemmas 10-14 against exact enumeration of all
sign patterns on tiny problems) and of the registered checks of boundcheck.lemmas.coupling."""

import itertools

import numpy as np
import pytest

from boundcheck.lemmas import coupling as lc
from boundcheck.network import quadratic_model, randomized_network, randomized_taylor_term
from boundcheck.numeric import coupling as cpl
from boundcheck.numeric import landscape as ls
from boundcheck.results import HOLDS, VIOLATED


def _all_signs(m):
    return np.array(list(itertools.product([-1.0, 1.0], repeat=m)))


def _tiny(rng, m=8, d=3, radius=3.0, n=30):
    prob = cpl.planted_problem(n, m, d, radius_star=radius, rng=rng)
    w = cpl.random_in_ball(m, d, radius, rng=rng, min_fraction=1.0)
    return prob, w


def test_planted_problem_output_scale_and_norms():
    rng = np.random.default_rng(1)
    prob = cpl.planted_problem(200, 64, 5, rng=rng, output_scale=1.5)
    fq = quadratic_model(prob["x"], prob["w_init"], prob["w_out"], prob["w_star"])
    assert np.sqrt(np.mean(fq**2)) == pytest.approx(1.5, rel=1e-10)
    assert set(np.unique(prob["y"])) == {-1.0, 1.0}
    fixed = cpl.planted_problem(20, 64, 5, rng=rng, radius_star=0.7)
    assert ls.init_sup(fixed["w_init"], 1.0) > 0
    from boundcheck.network import norm_24

    assert norm_24(fixed["w_star"]) == pytest.approx(0.7)
    assert norm_24(cpl.aligned_move(fixed["w_out"], 5, 2.0, rng=rng)) == pytest.approx(2.0)


@pytest.mark.parametrize("seed", [2, 3])
def test_lemma10_and_11_bounds_hold_over_the_sphere_and_all_signs(seed):
    rng = np.random.default_rng(seed)
    prob, w = _tiny(rng)
    x = rng.standard_normal((4000, 3))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ctx = cpl.bound_context(prob["w_init"], w, prob["w_star"])
    assert np.max(np.abs(quadratic_model(x, prob["w_init"], prob["w_out"], w))) <= cpl.lemma10_bound(ctx)
    signs = _all_signs(8)
    lin = randomized_taylor_term(x[:200], prob["w_init"], prob["w_out"], w, signs, 1)
    assert np.max(np.mean(lin**2, axis=0)) <= cpl.lemma11a_bound(ctx)
    assert np.max(np.abs(np.mean(lin, axis=0))) < 1e-12
    full = randomized_network(x[:200], prob["w_init"], prob["w_out"], w, signs)
    delta = full - lin - quadratic_model(x[:200], prob["w_init"], prob["w_out"], w)
    assert np.max(np.abs(delta)) <= cpl.lemma11b_bound(ctx)


@pytest.mark.parametrize("loss", ["logistic", "soft-hinge"])
def test_lemma12_to_14_bounds_hold_exactly_over_all_signs(loss):
    rng = np.random.default_rng(4)
    prob, w = _tiny(rng)
    signs = _all_signs(8)
    s = ls.randomized_sides(prob["x"], prob["y"], prob["w_init"], prob["w_out"], w, prob["w_star"], signs, loss=loss)
    ctx = cpl.bound_context(prob["w_init"], w, prob["w_star"])
    assert abs(np.mean(s["risk"]) - s["quadratic_risk"]) <= cpl.lemma12_bound(ctx)
    assert abs(np.mean(s["grad_inner"]) - s["quadratic_grad_inner"]) <= cpl.lemma13_bound(ctx)
    assert abs(np.mean(s["hess_form"]) - s["quadratic_hess_form"]) <= cpl.lemma14_bound(ctx)
    # the control variates are exactly mean zero over all signs
    assert abs(np.mean(s["control"])) < 1e-13 and abs(np.mean(s["hess_control"])) < 1e-13


def test_outputs_of_randomized_sides_against_a_double_loop():
    rng = np.random.default_rng(5)
    prob, w = _tiny(rng, m=6, n=8)
    signs = rng.choice([-1.0, 1.0], size=(3, 6))
    s = ls.randomized_sides(prob["x"], prob["y"], prob["w_init"], prob["w_out"], w, prob["w_star"], signs)
    want = np.zeros((3, 8))
    for k, row in enumerate(signs):  # draws, samples, neurons: the definition (1) with w_r -> Sigma_kr w_r
        for i, xi in enumerate(prob["x"]):
            for r in range(6):
                want[k, i] += prob["w_out"][r] * max((prob["w_init"][r] + row[r] * w[r]) @ xi, 0.0) ** 3 / 6
    np.testing.assert_allclose(s["outputs"], want / np.sqrt(6), rtol=1e-12, atol=1e-15)


FAST = dict(n_samples=48, width=128, dim=4, widths=(32, 64, 128, 256, 512))


def test_section3_scalings_hold_and_wrong_exponents_fail():
    recs = lc.check_section3_scalings(rng=np.random.default_rng(6), draws=400, **FAST)
    assert [r.verdict for r in recs] == [HOLDS, HOLDS, HOLDS]
    assert recs[2].params["random_rows_exponent"] < -0.3
    bad = lc.check_section3_scalings(rng=np.random.default_rng(6), draws=400, **FAST, linear_exponent=-1.0,
                                     quadratic_exponent=-1.0)
    assert bad[1].verdict == VIOLATED and bad[2].verdict == VIOLATED


def test_lemma10_holds_and_shrunk_bound_fails():
    assert lc.check_lemma10(rng=np.random.default_rng(7), n_samples=64, width=64, dim=4).verdict == HOLDS
    bad = lc.check_lemma10(rng=np.random.default_rng(7), n_samples=64, width=64, dim=4, bound_factor=1e-3)
    assert bad.verdict == VIOLATED


def test_lemma11_records_and_violations():
    recs = lc.check_lemma11(rng=np.random.default_rng(8), draws=32, **FAST)
    assert recs[0].verdict == HOLDS and recs[1].verdict == HOLDS
    assert recs[3].verdict != VIOLATED and recs[3].params["faster_by"] > 0  # |Delta| decays faster than m^-1/4
    bad = lc.check_lemma11(rng=np.random.default_rng(8), draws=32, **FAST, bound_factor=1e-6,
                           claimed_exponents=(-3.0, -3.0))
    assert all(r.verdict == VIOLATED for r in bad)


@pytest.mark.parametrize("check", [lc.check_lemma12, lc.check_lemma13, lc.check_lemma14])
def test_lemmas_12_to_14_hold_and_fail_with_wrong_constants(check):
    recs = check(rng=np.random.default_rng(9), draws=64, **FAST)
    assert recs[0].verdict == HOLDS
    assert 0 < recs[0].params["tightness"] < 1
    bad = check(rng=np.random.default_rng(9), draws=64, **FAST, bound_factor=1e-9, claimed_exponent=-5.0)
    assert bad[0].verdict == VIOLATED and bad[1].verdict == VIOLATED


def test_coupling_checks_reject_bad_input():
    rng = np.random.default_rng(10)
    with pytest.raises(ValueError, match="width must be an even integer"):
        lc.check_lemma12(rng=rng, width=9)
    with pytest.raises(ValueError, match="radius must be > 0"):
        lc.check_lemma10(rng=rng, radius=-1.0)
    with pytest.raises(ValueError, match="loss must be one of"):
        lc.check_lemma13(rng=rng, loss="hinge", widths=())


def test_rates_command_writes_rows_and_a_figure(tmp_path):
    from boundcheck.cli import main

    fig = tmp_path / "rates.png"
    out = tmp_path / "rates.json"
    assert main(["rates", "--claim", "Lemma 11", "--plot", str(fig), "--format", "json", "--out", str(out)]) == 0
    assert fig.stat().st_size > 1000
    text = out.read_text()
    assert "fitted" in text and "claimed" in text
    assert main(["rates", "--claim", "Lemma 11", "--plot", str(tmp_path / "missing" / "f.png")]) == 2
    assert main(["rates", "--claim", "No such claim"]) == 2


def test_checks_accept_an_instance():
    from boundcheck.lemmas import landscape as lm

    rng = np.random.default_rng(11)
    prob = cpl.planted_problem(40, 16, 3, rng=rng)
    instance = dict(prob, w_move=cpl.random_in_ball(16, 3, 2.0, rng=rng))
    assert lc.check_lemma10(rng=rng, instance=instance).params["width"] == 16
    assert len(lc.check_lemma11(rng=rng, instance=instance, draws=16)) == 2
    for check in (lc.check_lemma12, lc.check_lemma13, lc.check_lemma14):
        recs = check(rng=rng, instance=instance, draws=32)
        assert len(recs) == 1 and recs[0].params["width"] == 16
    (rec,) = lm.check_theorem2(rng=rng, instance=instance, draws=32)
    assert rec.params["opt_source"] == "L^Q(w_star)" and "lemma1_slack" in rec.params
    assert len(lm.check_corollary3(rng=rng, instance=instance, draws=32)) == 2
    with pytest.raises(ValueError, match="w_star"):
        lc.check_lemma12(rng=rng, instance={k: v for k, v in instance.items() if k != "w_star"})
