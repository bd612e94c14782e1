"""Tests of boundcheck.numeric.coupling (the bounds and quantities of Section 3 and Lemmas 10-14 against
exact enumeration of all sign patterns, Monte Carlo and closed forms on small problems) and of the
registered checks of boundcheck.lemmas.coupling (HOLDS at defaults; planted errors VIOLATED; degenerate
draws INCONCLUSIVE; hypotheses evaluated on the arrays)."""

import itertools

import numpy as np
import pytest

from boundcheck import hypotheses as hyp
from boundcheck.lemmas import coupling as lc
from boundcheck.network import (network, norm_24, quadratic_model, randomized_network, randomized_taylor_term,
                                symmetric_init)
from boundcheck.numeric import coupling as cpl
from boundcheck.numeric import landscape as ls
from boundcheck.results import HOLDS, INCONCLUSIVE, VIOLATED

from batterylevel import judged, verdicts


def _all_signs(m):
    return np.array(list(itertools.product([-1.0, 1.0], repeat=m)))


def _tiny(rng, m=8, d=3, radius=3.0, n=30):
    prob = cpl.planted_problem(n, m, d, radius_star=radius, rng=rng)
    w = cpl.random_in_ball(m, d, radius, rng=rng, min_fraction=1.0)
    return prob, w


# ------------------------------------------------------------------------------------------------
# quantities (boundcheck.numeric.coupling)


def test_planted_problem_output_scale_and_norms():
    rng = np.random.default_rng(1)
    prob = cpl.planted_problem(200, 64, 5, rng=rng, output_scale=1.5)
    fq = quadratic_model(prob["x"], prob["w_init"], prob["w_out"], prob["w_star"])
    assert np.sqrt(np.mean(fq**2)) == pytest.approx(1.5, rel=1e-10)
    assert set(np.unique(prob["y"])) == {-1.0, 1.0}
    fixed = cpl.planted_problem(20, 64, 5, rng=rng, radius_star=0.7)
    assert ls.init_sup(fixed["w_init"], 1.0) > 0
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
    # the control variates are exactly mean zero over all signs, so the samples keep the exact mean
    assert abs(np.mean(s["control"])) < 1e-13 and abs(np.mean(s["hess_control"])) < 1e-13
    args = (prob["x"], prob["y"], prob["w_init"], prob["w_out"], w, prob["w_star"], signs)
    assert np.mean(cpl.coupling_samples("risk", *args, loss=loss)) == pytest.approx(
        np.mean(s["risk"]) - s["quadratic_risk"], abs=1e-13)
    assert np.mean(cpl.coupling_samples("hessian", *args, loss=loss)) == pytest.approx(
        np.mean(s["hess_form"]) - s["quadratic_hess_form"], abs=1e-13)


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


def test_remainder_over_signs_against_enumeration(rng):
    # Delta = f_{W0+W Sigma} - f_{W0} - f^L - f^Q through the network module, over all 2^10 sign patterns
    m, d = 10, 3
    x = rng.standard_normal((6, d))
    w_init, w_out = rng.standard_normal((m, d)), rng.choice([-1.0, 1.0], size=m)  # not symmetric: f_{W0} != 0
    w_move = 0.7 * rng.standard_normal((m, d))
    signs = _all_signs(m)
    delta = (randomized_network(x, w_init, w_out, w_move, signs) - network(x, w_init, w_out)
             - randomized_taylor_term(x, w_init, w_out, w_move, signs, 1) - quadratic_model(x, w_init, w_out, w_move))
    np.testing.assert_allclose(cpl.remainder_sup_over_signs(x, w_init, w_out, w_move), np.max(np.abs(delta), axis=0),
                               rtol=1e-10)
    np.testing.assert_allclose(cpl.remainder_for_signs(x, w_init, w_out, w_move, signs[:50]), delta[:50], atol=1e-12)
    np.testing.assert_allclose(cpl.linear_term_for_signs(x, w_init, w_out, w_move, signs[:50]),
                               randomized_taylor_term(x, w_init, w_out, w_move, signs[:50], 1), atol=1e-12)
    lin = randomized_taylor_term(x, w_init, w_out, w_move, signs, 1)
    np.testing.assert_allclose(cpl.linear_second_moment(x, w_init, w_move), np.mean(lin**2, axis=0), rtol=1e-10)


def test_quadratic_model_extremizer_attains_the_closed_form_and_beats_random_moves(rng):
    m, d, radius = 40, 4, 1.5
    x = rng.standard_normal(d)
    w_init, w_out = symmetric_init(m, d, rng=rng)
    best = cpl.quadratic_model_extremizer(x, w_init, w_out, radius)
    assert norm_24(best) == pytest.approx(radius)
    # sup over the (2,4)-ball of f^Q_W(x) = N^2 ||x||^2 ||(a relu(w0.x))_+||_2 / (2 sqrt(m)) (relu3: sigma'' = relu)
    closed = radius**2 * (x @ x) * np.linalg.norm(np.maximum(w_out * np.maximum(w_init @ x, 0), 0)) / (2 * np.sqrt(m))
    assert quadratic_model(x[None], w_init, w_out, best)[0] == pytest.approx(closed, rel=1e-12)
    trials = [cpl.random_in_ball(m, d, radius, rng=rng, min_fraction=1.0) for _ in range(300)]
    trials += [cpl.aligned_move(w_out, d, radius, rng=rng) for _ in range(100)]
    assert max(quadratic_model(x[None], w_init, w_out, w)[0] for w in trials) < closed
    low = cpl.quadratic_model_extremizer(x, w_init, w_out, radius, sign=-1.0)
    assert quadratic_model(x[None], w_init, w_out, low)[0] == pytest.approx(-closed, rel=1e-12)  # symmetric init


def test_linear_second_moment_extremizer_is_the_cauchy_schwarz_maximizer(rng):
    m, d, radius = 30, 3, 2.0
    x = rng.standard_normal(d)
    w_init, _ = symmetric_init(m, d, rng=rng)
    best = cpl.linear_second_moment_extremizer(x, w_init, radius)
    value = cpl.linear_second_moment(x[None], w_init, best)[0]
    b = (np.maximum(w_init @ x, 0) ** 2 / 2) ** 2 * (x @ x) / m  # sigma'(p)^2 ||x||^2 / m (relu3)
    assert value == pytest.approx(radius**2 * np.linalg.norm(b), rel=1e-12)
    trials = [cpl.random_in_ball(m, d, radius, rng=rng, min_fraction=1.0) for _ in range(300)]
    assert max(cpl.linear_second_moment(x[None], w_init, w)[0] for w in trials) < value


def test_one_sided_move_meets_no_cancellation_and_both_sided_does_not(rng):
    w_init, w_out = symmetric_init(64, 5, rng=rng)
    one = cpl.one_sided_move(w_out, 5, 2.0, rng=rng)
    assert norm_24(one) == pytest.approx(2.0) and np.all(one[w_out < 0] == 0)
    assert hyp.no_sign_cancellation(one, w_out)[hyp.NO_CANCELLATION]
    assert not hyp.no_sign_cancellation(cpl.section3_move(w_out, 5, 2.0, rng=rng, move="both-sided"),
                                        w_out)[hyp.NO_CANCELLATION]
    with pytest.raises(ValueError, match="move must be one of"):
        cpl.section3_move(w_out, 5, 2.0, rng=rng, move="sideways")


def test_pooled_sweep_averages_small_widths_and_requires_every_hypothesis():
    calls = []

    def cell(m, rng):
        calls.append(m)
        return dict(value=float(m), pair=np.array([1.0, m]), met=not (m == 32 and calls.count(32) == 1))

    out = cpl.pooled_sweep(cell, (8, 32), replicates=2, rng=np.random.default_rng(0), pool=32)
    assert calls.count(8) == 8 and calls.count(32) == 2  # ceil(32 / 8) = 4 draws per replicate at m = 8
    np.testing.assert_allclose(out["value"], [[8, 32], [8, 32]])
    assert out["pair"].shape == (2, 2, 2) and out["met"] is False
    assert cpl.fitted_exponent((8, 32), out["value"]) == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------------
# checks (boundcheck.lemmas.coupling)


def test_section3_scalings_hold_at_defaults():
    recs = judged(lc.check_section3_scalings(rng=np.random.default_rng(6)))
    assert [r.verdict for r in recs] == [HOLDS] * 4
    assert [r.relation for r in recs] == ["==", "==", "<=", "=="]
    assert recs[1].params["equivalence_margin"] > 0 and "finite-size" in recs[1].params["margin_reason"]
    assert recs[3].params["hypotheses"][hyp.NO_CANCELLATION] and recs[3].params["both_sided_exponent"] < -0.4
    assert "cancel" in recs[3].params["part"] and "cancel" in recs[3].params["condition_note"]


FAST3 = dict(widths=(64, 128, 256, 512, 1024), replicates=6, draws=4000)


@pytest.mark.parametrize("planted,index", [
    (dict(linear_exponent=-0.35), 1),    # exponent of f^L off by 0.1
    (dict(linear_exponent=0.25), 1),     # sign flipped
    (dict(quadratic_exponent=-0.15), 2),  # f^Q = O(m^-0.15) claimed: the O(1) record
    (dict(quadratic_exponent=-0.15), 3),
    (dict(claimed_mean=0.02), 0),        # E f^L = 0.02 (about 20% of its rms at m = 512)
])
def test_section3_planted_errors_are_violated(planted, index):
    recs = judged(lc.check_section3_scalings(rng=np.random.default_rng(7), **FAST3, **planted))
    assert recs[index].verdict == VIOLATED


def test_section3_cancellation_is_reported_as_its_unmet_condition():
    recs = judged(lc.check_section3_scalings(rng=np.random.default_rng(8), move="both-sided", **FAST3))
    order_one = recs[3]
    assert order_one.unmet_hypotheses == [hyp.NO_CANCELLATION]
    assert order_one.verdict == VIOLATED and order_one.lhs < -0.4 and not order_one.counts_against_paper
    assert recs[2].verdict == HOLDS  # O(1) is an upper bound: cancelling rows meet it too


def test_section3_degenerate_draws_are_inconclusive():
    recs = judged(lc.check_section3_scalings(rng=np.random.default_rng(9), draws=1, replicates=1,
                                              widths=(64, 128, 256)))
    assert all(r.verdict == INCONCLUSIVE for r in recs)
    recs = judged(lc.check_section3_scalings(rng=np.random.default_rng(9), draws=2, replicates=2,
                                              widths=(64, 128, 256)))
    assert HOLDS not in [r.verdict for r in recs]


def test_lemma10_holds_worst_case_and_planted_errors_fail():
    rec = judged(lc.check_lemma10(rng=np.random.default_rng(10)))[0]
    assert rec.verdict == HOLDS and rec.params["worst_found_by"].endswith(("(closed form)", "worst-case search"))
    tight = rec.params["tightness"]
    assert 0.05 < tight < 1
    assert verdicts(lc.check_lemma10(rng=np.random.default_rng(10), bound_factor=0.9 * tight)) == [VIOLATED]
    assert verdicts(lc.check_lemma10(rng=np.random.default_rng(10), bound_factor=-1.0)) == [VIOLATED]


def test_lemma11_holds_and_planted_errors_fail():
    recs = judged(lc.check_lemma11(rng=np.random.default_rng(11)))
    assert [r.verdict for r in recs] == [HOLDS] * 4
    assert [r.relation for r in recs] == ["<=", "<=", "<=", "<="]
    assert recs[2].params["noninferiority_margin"] == 0.06  # the O(m^-1/2) of (a) is attained
    assert recs[1].params["tightness"] > 0.5  # the large-remainder W nearly attains (C/6) B^3 N^3 m^-1/4
    assert recs[3].params["faster_by"] > 0.3  # a typical Sigma: |Delta| ~ m^-3/4
    fast = dict(widths=(64, 128, 256, 512, 1024), replicates=8)
    bad = judged(lc.check_lemma11(rng=np.random.default_rng(11), bound_factor=0.5 * recs[1].params["tightness"],
                                   claimed_exponents=(-0.7, -0.9), **fast))
    assert [r.verdict for r in bad] == [HOLDS, VIOLATED, VIOLATED, VIOLATED]
    bad = judged(lc.check_lemma11(rng=np.random.default_rng(11), bound_factor=-1.0, claimed_exponents=(-1.0, -1.5),
                                   **fast))
    assert [r.verdict for r in bad] == [VIOLATED] * 4
    # a flipped sign of an O(m^-a) exponent is a weaker claim, still true: not VIOLATED
    weaker = judged(lc.check_lemma11(rng=np.random.default_rng(11), claimed_exponents=(0.5, 0.25), **fast))
    assert [r.verdict for r in weaker[2:]] == [HOLDS, HOLDS]
    degenerate = judged(lc.check_lemma11(rng=np.random.default_rng(11), replicates=1, widths=(64, 128, 256)))
    assert [r.verdict for r in degenerate[2:]] == [INCONCLUSIVE] * 2


def test_lemma11b_takes_the_largest_input_norm_as_b_x(rng):
    # one input of norm 2 among inputs of norm 0.5: the lemma holds with B_x = max ||x|| = 2
    w_init, w_out = symmetric_init(64, 3, rng=rng)
    x = rng.standard_normal((20, 3))
    x *= 0.5 / np.linalg.norm(x, axis=1, keepdims=True)
    x[7] *= 4.0
    instance = dict(x=x, w_init=w_init, w_out=w_out, w_move=cpl.random_in_ball(64, 3, 2.0, rng=rng))
    recs = judged(lc.check_lemma11(rng=rng, instance=instance))
    assert len(recs) == 2 and [r.verdict for r in recs] == [HOLDS, HOLDS]
    assert all(r.params["input_radius"] == pytest.approx(2.0) and r.within_hypotheses for r in recs)
    assert verdicts(lc.check_lemma10(rng=rng, instance=instance)) == [HOLDS]


@pytest.mark.parametrize("check", [lc.check_lemma12, lc.check_lemma13, lc.check_lemma14])
def test_lemmas_12_to_14_hold_and_fail_with_wrong_constants(check):
    recs = judged(check(rng=np.random.default_rng(12)))
    assert [r.verdict for r in recs] == [HOLDS, HOLDS] and all(r.within_hypotheses for r in recs)
    tight = recs[0].params["tightness"]
    assert 0 < tight < 1e-3
    bad = judged(check(rng=np.random.default_rng(12), bound_factor=0.5 * tight, claimed_exponent=-1.0))
    assert [r.verdict for r in bad] == [VIOLATED, VIOLATED]
    bad = judged(check(rng=np.random.default_rng(12), bound_factor=-1.0, widths=()))
    assert [r.verdict for r in bad] == [VIOLATED]
    assert verdicts(check(rng=np.random.default_rng(12), draws=1, replicates=1, widths=(64, 128, 256))) == [
        INCONCLUSIVE, INCONCLUSIVE]


def test_lemma12_reports_a_non_symmetric_initialization_and_a_squared_loss(rng):
    prob = cpl.planted_problem(40, 16, 3, radius_star=2.0, rng=rng)
    w_move = cpl.aligned_move(prob["w_out"], 3, 2.0, rng=rng)
    broken = dict(prob, w_move=w_move, w_init=prob["w_init"] + 0.3 * rng.standard_normal(prob["w_init"].shape))
    rec = judged(lc.check_lemma12(rng=rng, instance=broken, draws=64))[0]
    assert rec.unmet_hypotheses == [hyp.SYMMETRIC] and not rec.counts_against_paper
    rec = judged(lc.check_lemma12(rng=rng, instance=dict(prob, w_move=w_move), draws=64, loss="squared"))[0]
    assert rec.unmet_hypotheses == [hyp.LOSS]
    rec = judged(lc.check_lemma12(rng=rng, instance=dict(prob, w_move=w_move), draws=64))[0]
    assert rec.within_hypotheses and rec.verdict == HOLDS


def test_checks_accept_an_instance(tmp_path):
    rng = np.random.default_rng(13)
    prob = cpl.planted_problem(40, 16, 3, rng=rng)
    instance = dict(prob, w_move=cpl.random_in_ball(16, 3, 2.0, rng=rng))
    assert lc.check_lemma10(rng=rng, instance=instance).params["width"] == 16
    path = tmp_path / "inst.npz"
    np.savez(path, **instance)
    assert len(lc.check_lemma11(rng=rng, instance=str(path))) == 2
    for check in (lc.check_lemma12, lc.check_lemma13, lc.check_lemma14):
        recs = check(rng=rng, instance=instance, draws=32)
        assert len(recs) == 1 and recs[0].params["width"] == 16
    with pytest.raises(ValueError, match="w_star"):
        lc.check_lemma12(rng=rng, instance={k: v for k, v in instance.items() if k != "w_star"})


def test_coupling_checks_reject_bad_input():
    rng = np.random.default_rng(14)
    with pytest.raises(ValueError, match="width must be an even integer"):
        lc.check_lemma12(rng=rng, width=9)
    with pytest.raises(ValueError, match="radius must be > 0"):
        lc.check_lemma12(rng=rng, radius=-1.0)
    with pytest.raises(ValueError, match="loss must be one of"):
        lc.check_lemma13(rng=rng, loss="hinge", widths=())
    with pytest.raises(ValueError, match="Assumption A"):
        lc.check_lemma10(rng=rng, activation="relu")


def test_rate_records_keep_their_fits_for_plots():
    from boundcheck.commands.rates import rate_rows

    recs = lc.check_section3_scalings(rng=np.random.default_rng(15), replicates=3, draws=100)
    fits = [r for r in recs if "fit_x" in r.params]
    assert len(fits) == 3 and np.asarray(fits[0].params["fit_y"]).shape == (3, 6)
    rows = rate_rows(fits)
    assert {row["relation"] for row in rows} == {"==", "<="} and all("faster_by" in row for row in rows)


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


@pytest.mark.parametrize("label,options", [
    ("Section 3 scalings", dict(replicates=2, widths=(64, 128, 256), draws=50)),
    ("Lemma 10", dict(draws=1)),
    ("Lemma 11", dict(replicates=2, widths=(64, 128, 256), w_draws=1)),
    ("Lemma 12", dict(replicates=2, widths=(64, 128, 256), draws=16)),
    ("Lemma 14", dict(replicates=2, widths=(64, 128, 256), draws=16)),
])
def test_every_record_evaluates_the_declared_hypotheses(label, options):
    from boundcheck.run import runner
    from boundcheck.run.registry import _REGISTRY

    entry = _REGISTRY[f"bai-lee-2020: {label}"]
    records = runner._records(entry, entry.check(rng=np.random.default_rng(16), **options), 16, options)
    assert entry.hypotheses and all(set(entry.hypotheses) <= set(r.hypotheses) for r in records)
    assert all(r.claim == label for r in records)
