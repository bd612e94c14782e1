import numpy as np
import pytest

from boundcheck.lemmas import foundation
from boundcheck.run.registry import run_claim


def test_foundation_claims_hold_at_defaults():
    for label in ("Symmetric init", "Randomized terms", "Equation 4 event", "Assumption A"):
        for rec in run_claim(label, seed=3):
            assert rec.verdict == "HOLDS", (label, rec)


@pytest.mark.parametrize("label,kwargs", [
    ("Symmetric init", dict(claimed_value=1e-6)),
    ("Randomized terms", dict(claimed_mean=0.01)),
    ("Equation 4 event", dict(bound_factor=0.2)),
    ("Assumption A", dict(constant=0.5)),
    ("Assumption A", dict(activation="relu")),
])
def test_foundation_claims_can_be_violated(label, kwargs, rng):
    from boundcheck.run.registry import get_claim

    records = get_claim(label).check(rng=rng, **kwargs)
    records = records if isinstance(records, list) else [records]
    assert records[0].verdict == "VIOLATED"


def test_randomized_second_moment_against_wrong_closed_form(rng):
    # doubling the closed-form second moment (as if cross terms did not vanish) must be caught
    recs = foundation.check_randomized_terms(rng=rng, draws=4000)
    second = recs[1]
    assert second.verdict == "HOLDS"
    assert not (second.interval[0] <= 2 * second.rhs <= second.interval[1])


def test_instance_runs_on_user_arrays(tmp_path, rng):
    from boundcheck.network import symmetric_init

    w_init, w_out = symmetric_init(6, 3, rng=rng)
    x = rng.normal(size=(4, 3))
    rec = run_claim("Symmetric init", seed=0, instance={"x": x, "w_init": w_init, "w_out": w_out})[0]
    assert rec.verdict == "HOLDS" and rec.params["width"] == 6
    broken = w_init.copy()
    broken[0, 0] += 0.1  # no longer symmetric
    rec = run_claim("Symmetric init", seed=0, instance={"x": x, "w_init": broken, "w_out": w_out})[0]
    assert rec.verdict == "VIOLATED"
