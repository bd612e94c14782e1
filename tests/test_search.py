"""The worst-case search of "for every" claims, against closed-form suprema."""

import numpy as np
import pytest

from boundcheck.network import norm_24
from boundcheck.search import Ball24, Box, Sphere, for_every, search_worst


def _quadratic_form(rng, m=64, d=16):
    """<a, W>^2 against c ||W||_F^2: the supremum of the ratio is ||a||_F^2 (Cauchy-Schwarz)."""
    a = rng.standard_normal((m, d))

    def sides(w_move, c):
        return np.sum(a * w_move) ** 2, c * np.sum(w_move**2)

    def gradient(w_move, c):
        return {"w_move": 2 * np.sum(a * w_move) * a}, {"w_move": 2 * c * w_move}

    return a, sides, gradient


def test_gradient_search_reaches_the_closed_form_supremum(rng):
    a, sides, gradient = _quadratic_form(rng)
    top = float(np.sum(a**2))
    found = search_worst(lambda w_move: sides(w_move, 1.0), {"w_move": Ball24(a.shape, 2.0)}, rng=rng,
                         gradient=lambda w_move: gradient(w_move, 1.0))
    ratio = found.lhs / (found.rhs)
    assert ratio == pytest.approx(top, rel=1e-3)
    assert norm_24(found.point["w_move"]) <= 2.0 * (1 + 1e-12)
    assert "projected gradient" in found.how and found.evaluations <= 4000


@pytest.mark.parametrize("seed", range(5))
def test_derivative_free_search_catches_a_false_claim(seed):
    rng = np.random.default_rng(seed)
    a, sides, _ = _quadratic_form(rng)
    c = 0.5 * float(np.sum(a**2))  # false: W along a gives twice the bound
    found = search_worst(lambda w_move: sides(w_move, c), {"w_move": Ball24(a.shape, 2.0)}, rng=rng)
    assert found.margin < 0 and "derivative-free" in found.how


def test_for_every_finds_what_random_draws_miss(rng):
    a, sides, gradient = _quadratic_form(rng)
    c = 0.5 * float(np.sum(a**2))
    dom = {"w_move": Ball24(a.shape, 2.0)}
    blind = for_every(lambda w_move: sides(w_move, c), dom, "<=", rng=rng, draws=32, search=False)
    assert blind.verdict == "HOLDS"  # random W are nearly orthogonal to a: the false claim survives them
    rec = for_every(lambda w_move: sides(w_move, c), dom, "<=", rng=rng, draws=32)
    assert rec.verdict == "VIOLATED" and rec.params["worst_found_by"] == "worst-case search"
    assert rec.params["worst_by_way"]["worst-case search"] < 0 < rec.params["worst_by_way"]["random draw"]
    true = for_every(lambda w_move: sides(w_move, 1.001 * np.sum(a**2)), dom, "<=", rng=rng, draws=8,
                     gradient=lambda w_move: gradient(w_move, 1.001 * np.sum(a**2)))
    assert true.verdict == "HOLDS"


def test_search_over_inputs_on_the_sphere(rng):
    v = rng.standard_normal(12)

    def sides(x):
        return float((x[0] @ v) ** 2), 0.9 * float(v @ v)  # sup over the unit sphere is ||v||^2: false

    found = search_worst(sides, {"x": Sphere((1, 12), 1.0)}, rng=rng, relative=False)
    assert found.margin < 0 and np.linalg.norm(found.point["x"]) == pytest.approx(1.0)


def test_box_domain_and_budget(rng):
    found = search_worst(lambda z: (float(np.sum(z)), 1.0), {"z": Box((3,), -1.0, 1.0)}, rng=rng,
                         max_evaluations=300, relative=False)
    assert found.evaluations <= 300 and found.lhs == pytest.approx(3.0, abs=1e-3)
