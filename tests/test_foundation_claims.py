"""The set-up facts of Sections 2-3: symmetric initialization, sign randomization, event (4), Assumption A."""

import numpy as np
import pytest

from boundcheck import hypotheses as hyp
from boundcheck.lemmas import foundation
from boundcheck.network import equation4_bound, symmetric_init
from boundcheck.run.runner import run_claim

from batterylevel import BATTERY_LEVEL

LABELS = ("Symmetric init", "Randomized terms", "Equation 4 event", "Assumption A")


@pytest.mark.parametrize("seed", [0, 3])
def test_foundation_claims_hold_at_the_battery_level(seed):
    for label in LABELS:
        for rec in run_claim(label, seed=seed):
            assert rec.at_level(BATTERY_LEVEL).verdict == "HOLDS", (label, rec)


@pytest.mark.parametrize("label,options", [
    ("Symmetric init", dict(claimed_value=1e-6)),             # a constant
    ("Symmetric init", dict(claimed_value=-1e-10)),           # a sign, far below any scale
    ("Randomized terms", dict(claimed_mean=0.01)),            # E f^(1) claimed 0.01 (about 0.4 rms)
    ("Randomized terms", dict(claimed_second_factor=1.1)),    # a closed form 10% off
    ("Randomized terms", dict(claimed_second_factor=-1.0)),   # its sign flipped
    ("Equation 4 event", dict(bound_factor=0.2)),
    ("Assumption A", dict(constant=0.99)),
    ("Assumption A", dict(activation="relu")),
])
def test_foundation_claims_can_be_violated(label, options):
    records = run_claim(label, seed=1, **options)
    assert any(r.verdict == "VIOLATED" for r in records), records


def test_second_moment_against_an_independent_closed_form(rng):
    # the closed form (1/m) sum_r (sigma'(w_0r.x) w_r.x)^2, recomputed here by a double loop
    x, w_init, w_out, w_move, _ = foundation._setup(rng, 4, 16, 3, 1.0, None)
    exact = sum((max(w_init[r] @ x[0], 0.0) ** 2 / 2 * (w_move[r] @ x[0])) ** 2 for r in range(16)) / 16
    rec = foundation.check_randomized_terms(rng=np.random.default_rng(0), n_samples=4, width=16, dim=3,
                                            instance=dict(x=x, w_init=w_init, w_out=w_out, w_move=w_move))[1]
    assert rec.rhs == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("draws", [2, 3])
def test_too_few_sign_draws_never_hold(draws):
    records = run_claim("Randomized terms", seed=0, draws=draws)
    assert records[0].verdict == "INCONCLUSIVE" and records[1].verdict == "INCONCLUSIVE"


def test_nonsymmetric_instance_is_outside_the_hypothesis(rng):
    w_init, w_out = symmetric_init(6, 3, rng=rng)
    x = rng.normal(size=(4, 3))
    rec = run_claim("Symmetric init", instance={"x": x, "w_init": w_init, "w_out": w_out})[0]
    assert rec.verdict == "HOLDS" and rec.params["hypotheses"] == {hyp.SYMMETRIC: True}
    broken = w_init.copy()
    broken[0, 0] += 0.1
    rec = run_claim("Symmetric init", instance={"x": x, "w_init": broken, "w_out": w_out})[0]
    assert rec.verdict == "VIOLATED" and not rec.within_hypotheses and not rec.counts_against_paper
    assert rec.reading.startswith("fails, but symmetric initialization")


def test_equation4_event_takes_the_instance_inputs(rng):
    w_init, w_out = symmetric_init(64, 8, rng=rng)  # scale 1: w_0r.x ~ N(0, 1) for ||x|| = 1
    x = rng.normal(size=(5, 8))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    x[0] *= 3.0  # B_x = max ||x_i|| = 3
    rec = run_claim("Equation 4 event", instance={"x": x, "w_init": w_init, "w_out": w_out})[0]
    assert rec.params["input_radius"] == pytest.approx(3.0)
    assert rec.lhs == pytest.approx(3.0 * np.max(np.linalg.norm(w_init, axis=1)))
    assert rec.rhs == pytest.approx(equation4_bound(64, 8, 1e-3))
    # these weights were drawn for B_x = 1, not 3: the initialization-scale hypothesis fails
    assert rec.params["hypotheses"] == {hyp.INIT_SCALE: False}


def test_equation4_event_spends_its_chance_from_the_run():
    rec = run_claim("Equation 4 event", seed=0)[0]
    assert rec.params["chance"] == 1e-3 and rec.interval is None
