"""Lemma 8, equation (4), the (2,4)-ball fit and Theorem 6's terms; every check can fail."""

import itertools
import math

import numpy as np
import pytest

from boundcheck.data import sample_sphere
from boundcheck.lemmas.generalization import check_equation4, check_lemma8, check_theorem6
from boundcheck.network import norm_24, quadratic_model, randomized_network, sample_signs, symmetric_init
from boundcheck.numeric import generalization as gen
from boundcheck.numeric import rademacher as rad
from boundcheck.results import HOLDS, VIOLATED


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


def test_lemma8_check_holds_and_can_be_violated(rng):
    record = check_lemma8(rng=rng, n_samples=80, width=20, dim=5, draws=60)
    assert record.verdict == HOLDS
    bad = check_lemma8(rng=np.random.default_rng(2), n_samples=80, width=20, dim=5, draws=60, constant=0.2)
    assert bad.verdict == VIOLATED


def test_equation4_exact_probability_against_monte_carlo(rng):
    width, dim = 20, 5
    # a threshold scale that makes the exceedance probability moderate
    rows = gen.equation4_exceedance(width, dim, [0.1], trials=4000, threshold_scale=0.33, level=0.999, rng=rng)
    row = rows[0]
    assert 0.05 < row["exact"] < 0.95
    low, high = row["interval"]
    assert low <= row["exact"] <= high


def test_equation4_check_holds_and_can_be_violated(rng):
    records = check_equation4(rng=rng, width=20, dim=5, draws=500)
    assert [r.verdict for r in records] == [HOLDS] * 3
    assert all(r.params["exact_probability"] <= r.rhs for r in records)
    bad = check_equation4(rng=rng, width=20, dim=5, draws=500, threshold_scale=0.3)
    assert VIOLATED in [r.verdict for r in bad]


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


def test_theorem6_check_holds_and_can_be_violated(rng):
    kw = dict(n_samples=60, width=20, dim=5, repetitions=3, n_test=500, steps=40, draws=8)
    records = check_theorem6(rng=rng, **kw)
    assert [r.verdict for r in records] == [HOLDS, HOLDS]
    # a generous radius on few noisy samples overfits: the measured gap is clearly positive
    bad = check_theorem6(rng=np.random.default_rng(5), constant=0.0, radius=4.0, **kw)
    assert [r.verdict for r in bad] == [VIOLATED, VIOLATED]


def test_theorem6_rejects_activation_without_constants(rng):
    x, w_init, w_out = _setup(rng)
    with pytest.raises(ValueError, match="activation must be one of 'relu3' for Theorem 6"):
        gen.theorem6_terms(x, w_init, w_out, rad.sample_rademacher(2, 40, rng=rng), radius=1.0, activation="tanh")


def test_theorem6_on_instance_and_bad_instance(rng):
    x, w_init, w_out = _setup(rng, 80, 10, 4)
    y = np.where(x[:, 0] * x[:, 1] >= 0, 1.0, -1.0)
    records = check_theorem6(rng=rng, instance={"x": x, "y": y, "w_init": w_init, "w_out": w_out}, steps=20, draws=4)
    assert len(records) == 2 and records[0].interval is None and records[0].verdict == HOLDS
    with pytest.raises(ValueError, match="instance must hold y for Theorem 6"):
        check_theorem6(rng=rng, instance={"x": x, "w_init": w_init, "w_out": w_out})


def test_equation4_with_instance_adds_its_own_draw(rng):
    _, w_init, _ = _setup(rng, 5, 10, 4)
    records = check_equation4(rng=rng, draws=200, instance={"w_init": w_init})
    assert len(records) == 4 and records[-1].params["part"].startswith("the instance")
