"""Lemma 8, equation (4), the (2,4)-ball fit and Theorem 6's terms; every check can fail."""

import itertools
import math

import numpy as np
import pytest

from boundcheck import hypotheses as hyp
from boundcheck.data import sample_sphere
from boundcheck.lemmas.generalization import check_equation4, check_lemma5, check_lemma8, check_theorem6
from boundcheck.network import norm_24, quadratic_model, randomized_network, sample_signs, symmetric_init
from boundcheck.numeric import generalization as gen
from boundcheck.numeric import rademacher as rad
from boundcheck.results import HOLDS, INCONCLUSIVE, VIOLATED

from batterylevel import judged, verdicts


def _setup(rng, n=40, m=10, d=4):
    x = sample_sphere(n, d, rng=rng)
    w_init, w_out = symmetric_init(m, d, rng=rng)
    return x, w_init, w_out


def test_lemma8_sides_against_direct_computation_and_all_signs(rng):
    n, m, d = 10, 4, 3
    x, w_init, _ = _setup(rng, n, m, d)
    all_signs = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    sides = gen.lemma8_sides(x, w_init, all_signs)
    relu = np.maximum(x @ w_init.T, 0.0)
    # direct: A_ri = relu_ir x_i x_i^T / n; V = max_r ||sum_i A_ri^2||
    v = [np.linalg.norm(sum((relu[i, r] / n) ** 2 * np.dot(x[i], x[i]) * np.outer(x[i], x[i]) for i in range(n)), 2)
         for r in range(m)]
    assert sides["variance"] == pytest.approx(max(v), rel=1e-12)
    y = np.einsum("ki,ir,ij,il->krjl", all_signs, relu / n, x, x)
    direct = np.max(np.linalg.norm(y, 2, axis=(-2, -1)), axis=1)
    np.testing.assert_allclose(sides["per_draw"], direct, rtol=1e-10)
    assert np.mean(sides["per_draw"]) <= sides["rhs"]  # the exact expectation over all 2^n signs
    assert sides["rhs"] == pytest.approx(4 * math.sqrt(max(v) * math.log(2 * m * d)))
    assert sides["last_step_valid"]


def test_lemma8_last_step_flagged_for_m_d_one(rng):
    x = sample_sphere(6, 1, rng=rng)
    sides = gen.lemma8_sides(x, np.ones((1, 1)), rad.sample_rademacher(4, 6, rng=rng))
    assert not sides["last_step_valid"]


def test_lemma8_holds_at_defaults_and_a_shrunk_constant_is_violated(rng):
    assert verdicts(check_lemma8(rng=rng)) == [HOLDS]
    # the bound is about 8x the mean: constant 0.4 (10x smaller) puts it below
    assert verdicts(check_lemma8(rng=rng, constant=0.4)) == [VIOLATED]
    assert verdicts(check_lemma8(rng=rng, n_samples=80, width=20, dim=5, draws=60, constant=0.2)) == [VIOLATED]


@pytest.mark.parametrize("draws", [1, 2])
def test_lemma5_and_lemma8_few_draws_are_inconclusive(rng, draws):
    assert verdicts(check_lemma8(rng=rng, n_samples=40, width=10, dim=4, draws=draws)) == [INCONCLUSIVE]
    assert verdicts(check_lemma5(rng=rng, n_samples=40, width=10, dim=4, draws=draws)) == [INCONCLUSIVE]


def test_lemma5_and_lemma8_take_b_x_as_the_largest_input_norm(rng):
    x, w_init, w_out = _setup(rng, 40, 10, 4)
    x = 0.5 * x
    x[7] *= 4.0  # one input of norm 2 among inputs of norm 0.5
    instance = {"x": x, "w_init": w_init, "w_out": w_out, "rademacher": rad.sample_rademacher(40, 40, rng=rng)}
    for check in (check_lemma5, check_lemma8):
        (rec,) = judged(check(rng=rng, instance=instance))
        assert rec.params["input_radius"] == pytest.approx(2.0)
        assert rec.params["hypotheses"] == {hyp.BALL: True} and rec.verdict == HOLDS


def test_equation4_exact_probability_against_monte_carlo(rng):
    width, dim = 20, 5
    # a threshold scale that makes the exceedance probability moderate
    rows = gen.equation4_exceedance(width, dim, [0.1], trials=4000, threshold_scale=0.33, level=0.999, rng=rng)
    row = rows[0]
    assert 0.05 < row["exact"] < 0.95
    low, high = row["interval"]
    assert low <= row["exact"] <= high


def test_equation4_holds_at_defaults_and_the_threshold_cut_to_30_percent_is_violated(rng):
    records = check_equation4(rng=rng)
    assert verdicts(records) == [HOLDS] * 3
    assert all(r.params["exact_probability"] <= r.rhs for r in records)
    assert [r.params["failure_prob"] for r in records] == [0.5, 0.1, 0.01]
    assert len({r.params["part"] for r in records}) == 3
    bad = check_equation4(rng=rng, threshold_scale=0.3)
    assert verdicts(bad) == [VIOLATED] * 3
    assert all(r.params["exact_probability"] > 0.3 for r in bad)


@pytest.mark.parametrize("draws", [1, 2])
def test_equation4_few_draws_are_inconclusive(rng, draws):
    assert verdicts(check_equation4(rng=rng, draws=draws)) == [INCONCLUSIVE] * 3


def test_fit_stays_in_ball_and_lowers_the_loss(rng):
    x, w_init, w_out = _setup(rng, 60, 20, 4)
    y = np.sign(x[:, 0] * x[:, 1] + 1e-12)
    w_move, history = gen.fit_quadratic_model(x, y, w_init, w_out, radius=2.0, steps=60, rng=rng)
    assert norm_24(w_move) <= 2.0 * (1 + 1e-9)
    assert history[-1] < history[0] - 0.01


def test_coupling_bound_covers_measured_coupling(rng):
    n, m, d, radius = 200, 40, 5, 1.5
    x, w_init, w_out = _setup(rng, n, m, d)
    w_move = rng.standard_normal((m, d))
    w_move *= radius / norm_24(w_move)
    signs = sample_signs(400, m, rng=rng)
    gap = np.abs(randomized_network(x, w_init, w_out, w_move, signs) - quadratic_model(x, w_init, w_out, w_move))
    measured = float(np.max(np.mean(gap, axis=0)))  # E_Sigma |f - f^Q| at the worst sample (Monte Carlo)
    bound = gen.coupling_terms(w_init, radius=radius, input_radius=1.0)["total"]
    assert measured <= bound


def test_theorem6_stages_are_ordered(rng):
    x, w_init, w_out = _setup(rng, 60, 12, 4)
    terms = gen.theorem6_terms(x, w_init, w_out, rad.sample_rademacher(30, 60, rng=rng), radius=1.0)
    assert terms["quadratic_gap_exact"] <= terms["quadratic_gap_lemma5"] <= terms["quadratic_gap_lemma5_printed"]
    assert terms["quadratic_gap_lemma8"] <= terms["quadratic_gap_mop"] * (1 + 1e-12)
    assert terms["bound"] == pytest.approx(terms["quadratic_gap_mop"] + terms["coupling"])


def test_theorem6_holds_at_defaults(rng):
    records = check_theorem6(rng=rng)
    assert verdicts(records) == [HOLDS, HOLDS]
    assert all(r.params["hypotheses"] == {hyp.BALL: True, hyp.LOSS: True, hyp.SYMMETRIC: True, hyp.IN_BALL_24: True}
               for r in records)


def test_theorem6_can_be_violated(rng):
    kw = dict(n_samples=60, width=20, dim=5, repetitions=8, n_test=500, steps=40, draws=8)
    # a generous radius on few noisy samples overfits: the measured gap is clearly positive
    bad = check_theorem6(rng=np.random.default_rng(5), constant=0.0, radius=4.0, **kw)
    assert verdicts(bad) == [VIOLATED, VIOLATED]
    # the bound is 400-1200x the gap: shrunk 10^4-fold it is below (at least for the quadratic term)
    assert VIOLATED in verdicts(check_theorem6(rng=np.random.default_rng(6), constant=1e-4, **kw))


def test_theorem6_hypotheses_are_evaluated_on_the_arrays(rng):
    kw = dict(n_samples=40, width=10, dim=4, repetitions=2, n_test=100, steps=5, draws=4)
    squared = check_theorem6(rng=rng, loss="squared", **kw)
    assert all(r.params["hypotheses"][hyp.LOSS] is False for r in squared)
    x = sample_sphere(60, 4, rng=rng)
    y = np.where(x[:, 0] * x[:, 1] >= 0, 1.0, -1.0)
    w_init = rng.standard_normal((10, 4))  # not symmetric
    w_out = np.repeat([1.0, -1.0], 5)
    w_move = 3.0 * rng.standard_normal((10, 4))  # far outside the (2,4)-ball of radius 1
    records = check_theorem6(rng=rng, instance={"x": x, "y": y, "w_init": w_init, "w_out": w_out, "w_move": w_move},
                             draws=4)
    for rec in records:
        assert rec.params["hypotheses"][hyp.SYMMETRIC] is False and rec.params["hypotheses"][hyp.IN_BALL_24] is False
        assert rec.params["hypotheses"][hyp.BALL] is True


def test_theorem6_rejects_activation_without_constants(rng):
    x, w_init, w_out = _setup(rng)
    with pytest.raises(ValueError, match="activation must be one of 'relu3' for Theorem 6"):
        gen.theorem6_terms(x, w_init, w_out, rad.sample_rademacher(2, 40, rng=rng), radius=1.0, activation="tanh")


def test_theorem6_on_instance_and_bad_instance(rng):
    x, w_init, w_out = _setup(rng, 80, 10, 4)
    y = np.where(x[:, 0] * x[:, 1] >= 0, 1.0, -1.0)
    records = check_theorem6(rng=rng, instance={"x": x, "y": y, "w_init": w_init, "w_out": w_out}, steps=20, draws=4)
    assert verdicts(records) == [INCONCLUSIVE, INCONCLUSIVE]  # one draw says nothing about an expectation
    with pytest.raises(ValueError, match="instance must hold y for Theorem 6"):
        check_theorem6(rng=rng, instance={"x": x, "w_init": w_init, "w_out": w_out})


def test_equation4_takes_width_dim_and_radius_from_an_instance(rng):
    x, w_init, _ = _setup(rng, 5, 10, 4)
    records = check_equation4(rng=rng, draws=200, instance={"w_init": w_init, "x": 3.0 * x})
    assert len(records) == 3
    assert all(r.params["width"] == 10 and r.params["dim"] == 4 for r in records)
    assert all(r.params["input_radius"] == pytest.approx(3.0) for r in records)
