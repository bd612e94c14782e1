"""Learning curves through the sweep machinery (store, resume, workers) and the slides' regularizer."""

import itertools
import json
import math

import numpy as np
import pytest

from boundcheck.experiments import curves as cv
from boundcheck.experiments import learners as lrn
from boundcheck.experiments import slides
from boundcheck.activations import get_activation
from boundcheck.cli import main
from boundcheck.data import sample_sphere
from boundcheck.experiments.curve_cell import check_learning_curve_cell
from boundcheck.network import symmetric_init
from boundcheck.run.registry import get_claim
from boundcheck.results import HOLDS, VIOLATED
from boundcheck.run.store import open_store
from boundcheck.run.sweep import parse_config, run_sweep

TINY = dict(learners=("ntk", "quadratic"), target="single", dims=(4, 5, 6), n_values=[8, 16, 32], repeats=1,
            width=8, steps=10, n_test=40, accuracy=0.3)


def _config(seed=5, **changes):
    kw = dict(TINY, **changes)
    return cv.curve_sweep_config(kw.pop("learners"), kw.pop("target"), kw.pop("dims"), kw.pop("n_values"),
                                 rng=np.random.default_rng(seed), **kw)


def _stored_rows(path, name):
    with open_store(path, must_exist=True) as store:
        return cv.curve_rows_from_records(store.records(sweep=name))


# ---------------------------------------------------------------------------------------------
# the registered claim


def test_claim_is_registered_and_sweepable():
    claim = get_claim("learning curve cell")
    assert claim.check is check_learning_curve_cell
    config = parse_config(_config())
    assert config.claim == cv.CURVE_CLAIM and config.n_cells == 3 * 1 * 2 * 3


def test_cell_verdict_holds_with_data_and_is_violated_with_a_shrunk_accuracy():
    kw = dict(learner="ntk", target="single", dim=4, degree=2, n_test=200, data_seed=1)
    good = check_learning_curve_cell(rng=np.random.default_rng(0), n_samples=200, accuracy=0.3, **kw)
    assert good.verdict == HOLDS and good.interval[1] <= 0.3
    # NTK on 4 samples cannot fit a quadratic in d = 4 (test loss near 1): claiming 0.05 is wrong
    bad = check_learning_curve_cell(rng=np.random.default_rng(0), n_samples=4, accuracy=0.05, **kw)
    assert bad.verdict == VIOLATED and bad.interval[0] > 0.05
    assert bad.params["learner"] == "ntk" and bad.params["n_samples"] == 4 and bad.params["n_draws"] == 200


def test_cell_left_side_is_the_mean_test_loss_with_its_interval():
    kw = dict(learner="quadratic", target="sparse", dim=5, n_samples=12, degree=2, width=8, steps=5, n_test=60,
              data_seed=2)
    rec = check_learning_curve_cell(rng=np.random.default_rng(4), **kw)
    per_point = cv.curve_cell(rng=np.random.default_rng(4), **kw)
    assert rec.lhs == float(np.mean(per_point))
    half = 2.0 * np.std(per_point, ddof=1) / math.sqrt(per_point.size)  # t_{0.975, 59} ~ 2.0
    assert rec.interval[1] - rec.lhs == pytest.approx(half, rel=0.02)


@pytest.mark.parametrize("options, match", [
    (dict(learner="nope"), "learner must be one of"),
    (dict(n_samples=20, n_pool=10), "n_pool must be"),
    (dict(accuracy=1.5), "accuracy must be strictly between 0 and 1"),
    (dict(learner="quadratic", width=7), "width must be an even integer"),
])
def test_cell_bad_input(options, match):
    with pytest.raises(ValueError, match=match):
        check_learning_curve_cell(rng=np.random.default_rng(0), **options)


# ---------------------------------------------------------------------------------------------
# store path against the in-process path


def test_store_path_equals_in_process_path(tmp_path):
    data = _config()
    in_process = cv.run_curve_cells(data)
    summary = run_sweep(parse_config(data), tmp_path / "c.sqlite", workers=1)
    assert summary["ran"] == 18
    stored = _stored_rows(tmp_path / "c.sqlite", data["sweep"]["name"])
    assert stored == in_process  # the same floats, the same order
    assert cv.thresholds_from_curves(stored, 0.3) == cv.thresholds_from_curves(in_process, 0.3)
    # and sample_complexity with the same seed is that in-process path
    _, thresholds = cv.sample_complexity(rng=np.random.default_rng(5), **TINY)
    assert thresholds == cv.thresholds_from_curves(in_process, 0.3)
    assert any(r["status"] == "interpolated" for r in thresholds)


def test_a_resumed_sweep_equals_an_uninterrupted_one(tmp_path):
    data = _config(seed=9)
    config = parse_config(data)
    run_sweep(config, tmp_path / "whole.sqlite", workers=1)

    class Stop(Exception):
        pass

    def stop_after_seven(cell):
        if cell.index == 6:
            raise Stop

    with pytest.raises(Stop):
        run_sweep(config, tmp_path / "cut.sqlite", workers=1, on_cell=stop_after_seven)
    assert len(_stored_rows(tmp_path / "cut.sqlite", config.name)) == 7
    summary = run_sweep(config, tmp_path / "cut.sqlite", workers=1, resume=True)
    assert summary["skipped"] == 7 and summary["ran"] == 11
    assert _stored_rows(tmp_path / "cut.sqlite", config.name) == _stored_rows(tmp_path / "whole.sqlite", config.name)


def test_worker_processes_give_the_same_store(tmp_path):
    data = _config(seed=2, learners=("ntk",), dims=(4, 6))
    run_sweep(parse_config(data), tmp_path / "two.sqlite", workers=2)
    assert _stored_rows(tmp_path / "two.sqlite", data["sweep"]["name"]) == cv.run_curve_cells(data)


def test_sweep_from_a_toml_file(tmp_path):
    path = tmp_path / "lc.toml"
    path.write_text('[sweep]\nclaim = "Learning curve cell"\nseed = 3\n\n'
                    '[grid]\nn_samples = [4, 64]\n\n'
                    '[fixed]\nlearner = "ntk"\ndim = 4\nn_pool = 64\nn_test = 100\naccuracy = 0.2\n')
    run_sweep(path, tmp_path / "lc.sqlite", workers=1)
    with open_store(tmp_path / "lc.sqlite", must_exist=True) as store:
        records = store.records(sweep="lc")
    assert [r["verdict"] for r in records] == [VIOLATED, HOLDS]
    rows = cv.curve_rows_from_records(records)
    n_eps, status = cv.threshold([r["n"] for r in rows], [r["test_loss"] for r in rows], 0.2)
    assert status == "interpolated" and 4 < n_eps < 64


def test_curves_command_store_resume_and_same_output(tmp_path, capsys):
    args = ["curves", "--learners", "ntk,quadratic", "--dim", "4,5,6", "--n", "8,16,32", "--repeats", "1",
            "--steps", "10", "--n-test", "40", "--width", "8", "--seed", "11", "--format", "json", "--details"]
    assert main(args) == 0
    plain = json.loads(capsys.readouterr().out)
    store = str(tmp_path / "curves.sqlite")
    assert main(args + ["--store", store]) == 0
    assert json.loads(capsys.readouterr().out) == plain
    assert main(args + ["--store", store]) == 2  # finished cells and no --resume
    assert "pass --resume" in capsys.readouterr().err
    assert main(args + ["--store", store, "--resume"]) == 0  # nothing left to run: read back
    assert json.loads(capsys.readouterr().out) == plain
    assert main(args + ["--resume"]) == 2
    assert "--resume and --sweep-name need --store" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# the slides' regularizer


def test_sphere_polynomial_dimension_matches_the_rank_of_monomials(rng):
    for dim, degree in [(3, 1), (4, 2), (3, 3), (5, 2)]:
        x = sample_sphere(400, dim, rng=rng)
        cols = [np.prod(x[:, list(c)], axis=1) for k in range(degree + 1)
                for c in itertools.combinations_with_replacement(range(dim), k)]
        rank = np.linalg.matrix_rank(np.stack(cols, axis=1), tol=1e-8)
        assert lrn.sphere_polynomial_dimension(dim, degree) == rank


def _regularizer(rng, reg=0.7, width=8, dim=3):
    w_init, w_out = symmetric_init(width, dim, rng=rng)
    x = sample_sphere(400, dim, rng=rng)
    return lrn.EigenRegularizer(w_init, w_out, x, n_top=4, reg=reg, null_tol=1e-3), w_init, w_out, x


def test_regularizer_groups_and_null_space_of_the_symmetric_init(rng):
    pen, w_init, w_out, x = _regularizer(rng)
    m, d = w_init.shape
    assert pen.n_null >= m * d // 2  # equal moves of each +-a pair leave f^L unchanged
    assert pen.n_top + pen.n_bad + pen.n_null == m * d and pen.n_bad > 0
    same = rng.standard_normal((m // 2, d))
    pair_move = np.concatenate([same, same])  # symmetric_init pairs row r with row r + m/2
    act = get_activation("relu3")
    f_lin = (act.derivative(x @ w_init.T, 1) * (x @ pair_move.T)) @ w_out
    assert np.max(np.abs(f_lin)) < 1e-12
    assert pen(pair_move)[0] == pytest.approx(0.0, abs=1e-20)  # null directions are free


def test_regularizer_value_and_gradient(rng):
    pen, w_init, w_out, x = _regularizer(rng)
    w = rng.standard_normal(w_init.shape)
    value, grad = pen(w)
    # independent: the eigen-decomposition of the sample covariance rebuilt here
    m, d = w_init.shape
    vals, vecs = np.linalg.eigh(pen._bad @ pen._bad.T)
    assert np.sum(vals > 0.5) == pen.n_bad  # _bad is an orthonormal basis
    proj = pen._bad @ (pen._bad.T @ w.ravel())
    assert value == pytest.approx(0.5 * 0.7 * pen.top_value * float(proj @ proj), rel=1e-12)
    h = 1e-6
    for r, j in [(0, 0), (3, 2), (6, 1)]:
        bump = np.zeros_like(w)
        bump[r, j] = h
        assert (pen(w + bump)[0] - pen(w - bump)[0]) / (2 * h) == pytest.approx(grad[r, j], rel=1e-6, abs=1e-9)
    top = np.linalg.eigh(_covariance(w_init, w_out, x))[1][:, -1].reshape(m, d)
    assert pen(top)[0] == pytest.approx(0.0, abs=1e-12)  # the top direction is free


def _covariance(w_init, w_out, x):
    m = w_init.shape[0]
    act = get_activation("relu3")
    phi = (act.derivative(x @ w_init.T, 1) * w_out)[:, :, None] * x[:, None, :] / math.sqrt(m)
    phi = phi.reshape(x.shape[0], -1)
    return phi.T @ phi / x.shape[0]


def test_lq_reg_with_zero_strength_is_the_plain_fit_and_differs_otherwise():
    kw = dict(target="sparse", dim=5, n_samples=20, repeat=0, data_seed=3, degree=2, width=8, steps=20, n_test=50)
    plain = cv.curve_cell(learner="linear+quadratic", rng=np.random.default_rng(1), **kw)
    zero = cv.curve_cell(learner="LQ-reg", rng=np.random.default_rng(1), reg=0.0, **kw)
    strong = cv.curve_cell(learner="LQ-reg", rng=np.random.default_rng(1), reg=1.0, **kw)
    assert np.array_equal(plain, zero)
    assert not np.array_equal(plain, strong) and np.all(np.isfinite(strong))
    # a top group of degree <= 3 (50 directions) covers all md = 40: no middle group, no penalty
    covered = cv.curve_cell(learner="LQ-reg", rng=np.random.default_rng(1), reg=1.0, top_degree=3, **kw)
    assert np.array_equal(plain, covered)
    config = cv.curve_sweep_config(("LQ-reg",), "sparse", (4,), [8], top_degree=2, rng=np.random.default_rng(0))
    assert config["fixed"]["top_degree"] == 2 and parse_config(config).fixed["top_degree"] == 2


def test_lq_reg_runs_in_curves_and_slides(rng):
    _, thresholds = cv.sample_complexity(learners=("LQ-reg",), target="sparse", dims=(4,), n_values=[8, 16],
                                         repeats=1, width=8, steps=5, n_test=40, rng=rng)
    assert thresholds[0]["learner"] == "LQ-reg"
    rows = slides.slides_experiment((5,), repeats=1, width=8, steps=5, n_test=40, rng=rng,
                                models=("linear+quadratic", "LQ-reg"))
    assert [r["model"] for r in rows] == ["linear+quadratic", "LQ-reg"]
    assert cv.predicted_exponent("LQ-reg", "sparse", 3) == (2.0, "upper")


@pytest.mark.slow
def test_lq_reg_against_plain_fit_at_n_about_d_to_the_k():
    """Measurement, not a claim: the regularized f_L + f_Q (top group of degree <= k and <= k + 1) against
    the plain one on the low-degree-plus-sparse target (k = 1) at n = 2d and 4d, d = 8, width 64, mean over
    4 seeds. Prints the figures (about 30 s)."""
    variants = {"plain": dict(learner="linear+quadratic"), "LQ-reg top k": dict(learner="LQ-reg"),
                "LQ-reg top k+1": dict(learner="LQ-reg", top_degree=2)}
    out = {}
    for seed, n, name in itertools.product(range(4), (16, 32), variants):
        loss = cv.curve_cell(target="sparse", dim=8, n_samples=n, n_pool=32, repeat=seed, data_seed=7, degree=2,
                             width=64, steps=200, n_test=400, reg=1.0, rng=np.random.default_rng(100 + seed),
                             **variants[name]).mean()
        out.setdefault((n, name), []).append(loss)
    for key, values in sorted(out.items()):
        print(key, round(float(np.mean(values)), 4), np.round(values, 3).tolist())
    assert all(np.isfinite(v).all() for v in out.values())
