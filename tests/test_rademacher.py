"""Exact Rademacher suprema of the quadratic and NTK classes against brute force and their bounds."""

import itertools
import math

import numpy as np
import pytest
from scipy import optimize

from boundcheck import cli
from boundcheck.data import sample_sphere
from boundcheck.lemmas.generalization import check_lemma5
from boundcheck.network import linear_model, norm_24, quadratic_model, symmetric_init
from boundcheck.numeric import rademacher as rad
from boundcheck.results import HOLDS, VIOLATED


def _tiny(rng, n=6, m=4, d=3):
    x = sample_sphere(n, d, rng=rng)
    w_init, w_out = symmetric_init(m, d, rng=rng)
    return x, w_init, w_out


def _brute_force_quadratic(x, w_init, w_out, s, radius, rng, starts=12):
    """Maximise (1/n) sum s_i f^Q_W(x_i) over ||W||_{2,4} = B_w by BFGS from random starts.

    W = B_w V / ||V||_{2,4}; the objective is f^Q written out directly (sigma'' = relu for relu3/6),
    not the M_r / eigenvalue code; the best point found is re-evaluated with network.quadratic_model.
    """
    m, d = w_init.shape
    second = np.maximum(x @ w_init.T, 0.0)

    n = x.shape[0]

    def neg(v):  # value and gradient in v of -(1/n) sum_i s_i f^Q_{B v / ||v||_{2,4}}(x_i)
        v = v.reshape(m, d)
        norm = norm_24(v)
        w = radius * v / norm
        proj = x @ w.T
        f = (second * proj**2) @ w_out / (2 * math.sqrt(m))
        grad_w = ((s[:, None] * second * proj) * w_out).T @ x / (n * math.sqrt(m))
        grad_norm = np.sum(v**2, axis=1)[:, None] * v / norm**3
        grad_v = radius / norm * grad_w - radius / norm**2 * np.sum(grad_w * v) * grad_norm
        return -float(np.mean(s * f)), -grad_v.ravel()

    best, best_v = -np.inf, None
    for _ in range(starts):  # independent random restarts
        res = optimize.minimize(neg, rng.standard_normal(m * d), jac=True, method="BFGS",
                                options={"gtol": 1e-11})
        if -res.fun > best:
            best, best_v = -res.fun, res.x.reshape(m, d)
    w = radius * best_v / norm_24(best_v)
    return float(np.mean(s * quadratic_model(x, w_init, w_out, w)))


@pytest.mark.parametrize("shape", [(6, 4, 3), (5, 2, 2), (8, 6, 2)])
def test_quadratic_sup_matches_brute_force(rng, shape):
    x, w_init, w_out = _tiny(rng, *shape)
    signs = rad.sample_rademacher(3, shape[0], rng=rng)
    radius = 1.7
    closed = rad.quadratic_class_sup(x, w_init, w_out, signs, radius=radius)
    for k in range(3):
        brute = _brute_force_quadratic(x, w_init, w_out, signs[k], radius, rng)
        assert brute <= closed[k] + 1e-10
        assert brute == pytest.approx(closed[k], rel=1e-5, abs=1e-9)
        w_best = rad.quadratic_class_argmax(x, w_init, w_out, signs[k], radius=radius)
        assert norm_24(w_best) <= radius * (1 + 1e-12)
        assert np.mean(signs[k] * quadratic_model(x, w_init, w_out, w_best)) == pytest.approx(closed[k], rel=1e-10)


def test_absolute_sup_is_the_larger_of_s_and_minus_s(rng):
    x, w_init, w_out = _tiny(rng, 9, 4, 3)
    signs = rad.sample_rademacher(6, 9, rng=rng)
    both = np.maximum(rad.quadratic_class_sup(x, w_init, w_out, signs, radius=1.1),
                      rad.quadratic_class_sup(x, w_init, w_out, -signs, radius=1.1))
    np.testing.assert_allclose(rad.quadratic_class_sup(x, w_init, w_out, signs, radius=1.1, absolute=True), both,
                               rtol=1e-13)
    # and against brute force of -(objective) for the first draw
    brute_neg = _brute_force_quadratic(x, w_init, w_out, -signs[0], 1.1, rng, starts=6)
    assert brute_neg == pytest.approx(rad.quadratic_class_sup(x, w_init, w_out, -signs[:1], radius=1.1)[0], rel=1e-5)


def test_quadratic_sup_is_zero_when_no_direction_helps(rng):
    # all a_r = +1 and all signs -1: every a_r M_r is negative semidefinite (sigma'' = relu >= 0)
    x, w_init, _ = _tiny(rng)
    w_out = np.ones(w_init.shape[0])
    signs = -np.ones((1, x.shape[0]))
    assert rad.quadratic_class_sup(x, w_init, w_out, signs, radius=1.0)[0] == 0.0
    assert _brute_force_quadratic(x, w_init, w_out, signs[0], 1.0, rng, starts=4) <= 1e-12


def test_ntk_sup_matches_brute_force(rng):
    x, w_init, w_out = _tiny(rng, 7, 4, 3)
    signs = rad.sample_rademacher(3, 7, rng=rng)
    radius = 0.8
    closed = rad.ntk_class_sup(x, w_init, w_out, signs, radius=radius)
    m, d = w_init.shape
    for k in range(3):
        w_best = rad.ntk_class_argmax(x, w_init, w_out, signs[k], radius=radius)
        assert np.linalg.norm(w_best) == pytest.approx(radius)
        assert np.mean(signs[k] * linear_model(x, w_init, w_out, w_best)) == pytest.approx(closed[k], rel=1e-10)
        v = rng.standard_normal((2000, m, d))
        v *= radius / np.linalg.norm(v, axis=(1, 2))[:, None, None]
        values = [np.mean(signs[k] * linear_model(x, w_init, w_out, w)) for w in v[:300]]
        assert max(values) <= closed[k] + 1e-12


def test_quadratic_bound_never_below_exact(rng):
    for trial in range(5):  # several independent configurations, each batched over sign draws
        x, w_init, w_out = _tiny(rng, 20 + 5 * trial, 2 * (trial + 1), 2 + trial)
        signs = rad.sample_rademacher(50, x.shape[0], rng=rng)
        sides = rad.lemma5_per_draw(x, w_init, w_out, signs, radius=0.5 + trial)
        assert np.all(sides["exact"] <= sides["bound"] * (1 + 1e-12))
        absolute = rad.quadratic_class_sup(x, w_init, w_out, signs, radius=0.5 + trial, absolute=True)
        assert np.all(absolute <= sides["bound"] * (1 + 1e-12))
        assert np.all(absolute >= sides["exact"])


def test_ntk_bound_never_below_exact_expectation(rng):
    # exact expectation over all 2^n sign vectors on a tiny case
    n = 10
    x, w_init, w_out = _tiny(rng, n, 6, 3)
    all_signs = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    exact = float(np.mean(rad.ntk_class_sup(x, w_init, w_out, all_signs, radius=1.3)))
    bound = rad.ntk_trace_bound(x, w_init, radius=1.3)
    assert exact <= bound
    assert exact > 0.5 * bound  # the Frobenius bound is tight up to Jensen's gap


def test_quadratic_exact_expectation_below_lemma5_bound_all_signs(rng):
    n = 10
    x, w_init, w_out = _tiny(rng, n, 4, 3)
    all_signs = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    sides = rad.lemma5_per_draw(x, w_init, w_out, all_signs, radius=1.0)
    assert np.mean(sides["exact"]) <= np.mean(sides["bound"])


def test_gram_extremes_chunked_equals_direct(rng):
    x = rng.standard_normal((30, 7))
    weights = rng.standard_normal((13, 30))
    direct = np.linalg.eigvalsh(np.einsum("ki,ij,il->kjl", weights, x, x))
    for chunk_bytes, packed_bytes in [(None, None), (1, None), (None, 8 * 30 * 4), (1, 1)]:
        lo, hi = rad.weighted_gram_extremes(x, weights, chunk_bytes=chunk_bytes, packed_bytes=packed_bytes)
        np.testing.assert_allclose(lo, direct[:, 0], atol=1e-12)
        np.testing.assert_allclose(hi, direct[:, -1], atol=1e-12)


def test_feature_extremes_dedup_and_chunks_agree_with_loop(rng):
    x, w_init, _ = _tiny(rng, 25, 6, 4)
    signs = rad.sample_rademacher(3, 25, rng=rng)
    lo, hi = rad.feature_operator_extremes(x, w_init, signs)
    lo2, hi2 = rad.feature_operator_extremes(x, w_init, signs, chunk_bytes=1, packed_bytes=1)
    pre = np.maximum(x @ w_init.T, 0)  # sigma'' of relu3/6 is relu
    for k in range(3):  # reference: one matrix at a time
        for r in range(6):
            mat = (x.T * (signs[k] * pre[:, r] / 25)) @ x
            eig = np.linalg.eigvalsh(mat)
            assert lo[k, r] == pytest.approx(eig[0], abs=1e-12) and hi[k, r] == pytest.approx(eig[-1], abs=1e-12)
    np.testing.assert_allclose(lo, lo2, atol=1e-13)
    np.testing.assert_allclose(hi, hi2, atol=1e-13)


def test_bad_inputs_name_the_argument(rng):
    x, w_init, w_out = _tiny(rng)
    signs = rad.sample_rademacher(2, x.shape[0], rng=rng)
    with pytest.raises(ValueError, match="radius must be > 0; got -1"):
        rad.quadratic_class_sup(x, w_init, w_out, signs, radius=-1.0)
    with pytest.raises(ValueError, match=r"rademacher must have 6 entries on its last axis; got 5"):
        rad.quadratic_class_sup(x, w_init, w_out, signs[:, :5], radius=1.0)
    with pytest.raises(ValueError, match="rademacher must hold only"):
        rad.ntk_class_sup(x, w_init, w_out, signs * 2, radius=1.0)
    with pytest.raises(ValueError, match="w_init has 4 columns but x has 3"):
        rad.feature_operator_extremes(x, np.ones((4, 4)), signs)


def test_lemma5_check_holds_and_can_be_violated(rng):
    level = 1 - 0.05 / 60  # the battery's level per interval record
    record = check_lemma5(rng=rng).at_level(level)
    assert record.verdict == HOLDS
    assert 0 < record.params["ratio_exact_to_bound"] <= 1
    # the exact supremum is about 0.46 of the bound: a constant of 0.2 (not 0.5) puts the bound below it
    assert check_lemma5(rng=rng, constant=0.2).at_level(level).verdict == VIOLATED
    shrunk = check_lemma5(rng=np.random.default_rng(1), n_samples=80, width=20, dim=5, draws=40, constant=0.02)
    assert shrunk.at_level(level).verdict == VIOLATED


def test_lemma5_check_on_instance_signs(rng):
    x, w_init, w_out = _tiny(rng, 12, 4, 3)
    signs = rad.sample_rademacher(5, 12, rng=rng)
    record = check_lemma5(rng=rng, instance={"x": x, "w_init": w_init, "w_out": w_out, "rademacher": signs})
    assert record.params["n_draws"] == 5 and record.verdict == HOLDS


def test_rademacher_command_json(tmp_path):
    out = tmp_path / "r.json"
    assert cli.main(["rademacher", "--n", "60", "--width", "10", "--dim", "4", "--radius", "1.5", "--draws", "8",
                     "--format", "json", "--out", str(out)]) == 0
    import json

    data = json.loads(out.read_text())
    for key in ("quadratic", "ntk"):
        assert set(data[key]) >= {"exact", "interval", "bound", "ratio"}
    assert data["quadratic"]["exact"] <= data["quadratic"]["bound"]


def test_rademacher_command_instance_per_draw(tmp_path, rng):
    x, w_init, w_out = _tiny(rng, 12, 4, 3)
    signs = rad.sample_rademacher(3, 12, rng=rng)
    path = tmp_path / "inst.npz"
    np.savez(path, x=x, w_init=w_init, w_out=w_out, rademacher=signs)
    out = tmp_path / "r.json"
    assert cli.main(["rademacher", "--instance", str(path), "--radius", "2", "--format", "json", "--out", str(out)]) == 0
    import json

    data = json.loads(out.read_text())
    np.testing.assert_allclose(data["quadratic"]["per_draw"],
                               rad.quadratic_class_sup(x, w_init, w_out, signs, radius=2.0), rtol=1e-12)
    np.testing.assert_allclose(data["ntk"]["per_draw"], rad.ntk_class_sup(x, w_init, w_out, signs, radius=2.0),
                               rtol=1e-12)


def test_rademacher_command_plot_and_errors(tmp_path, capsys):
    png = tmp_path / "cx.png"
    assert cli.main(["rademacher", "--n", "40", "--width", "6", "--dim", "3", "--draws", "4", "--plot", str(png),
                     "--format", "json", "--out", str(tmp_path / "o.json")]) == 0
    assert png.stat().st_size > 1000
    assert cli.main(["rademacher", "--radius", "-2"]) == 2
    assert "radius must be > 0; got -2" in capsys.readouterr().err
    assert cli.main(["rademacher", "--width", "7"]) == 2
    assert "width must be an even integer >= 2" in capsys.readouterr().err
