import numpy as np
import pytest

from boundcheck.numeric import landscape as ls
from boundcheck.numeric import regularizer as rg


def test_reduced_objective_matches_the_full_one(rng):
    w_star = rng.standard_normal((4, 3))
    w_star[3] = 0.0
    c = np.sum(w_star**2, axis=1)[:3]
    y = rng.uniform(0.1, 2.0, size=3)
    extra = rng.standard_normal(3) * 0.7  # the row with w_star = 0
    w = np.vstack([np.sqrt(y)[:, None] * w_star[:3] / np.sqrt(c)[:, None], extra])
    full = ls.regularizer_expected_form(w, w_star, 1.0) - 5 * ls.regularizer(w, 1.0)
    value, grad_y, grad_u = rg.regularizer_gap_reduced(y, float(np.sum(extra**2) ** 2), c)
    assert value == pytest.approx(full, rel=1e-12)
    h = 1e-6
    for k in range(3):  # gradient against central differences
        step = np.zeros(3)
        step[k] = h
        num = (rg.regularizer_gap_reduced(y + step, 0.3, c)[0] - rg.regularizer_gap_reduced(y - step, 0.3, c)[0]) / (2 * h)
        assert rg.regularizer_gap_reduced(y, 0.3, c)[1][k] == pytest.approx(num, rel=1e-6)
    num_u = (rg.regularizer_gap_reduced(y, 0.3 + h, c)[0] - rg.regularizer_gap_reduced(y, 0.3 - h, c)[0]) / (2 * h)
    assert rg.regularizer_gap_reduced(y, 0.3, c)[2] == pytest.approx(num_u, rel=1e-6)


def test_ray_is_a_lower_bound_and_scale_free(rng):
    w_star = rng.standard_normal((5, 2))
    out = rg.corollary3_needed_constant(w_star, rng=rng)
    assert out["on_ray"] <= out["constant"] * (1 + 1e-12)
    again = rg.corollary3_needed_constant(3.0 * w_star, rng=rng)
    assert again["constant"] == pytest.approx(out["constant"], rel=1e-6)


def test_zero_w_star_is_rejected(rng):
    with pytest.raises(ValueError, match="w_star must have a nonzero row"):
        rg.corollary3_needed_constant(np.zeros((3, 2)), rng=rng)
