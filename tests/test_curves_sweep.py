"""Learning curves through the sweep machinery (store, resume, workers) and the slides' regularizer."""

import itertools
import json
import math

import numpy as np
import pytest

from boundcheck.experiments import curves as cv
from boundcheck.experiments import slides
from boundcheck.cli import main
from boundcheck.experiments.curve_cell import check_learning_curve_cell
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
    assert config.claim == claim.name == f"experiments: {cv.CURVE_CLAIM}" and config.n_cells == 3 * 1 * 2 * 3


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


def test_lq_reg_without_strength_is_the_plain_fit_in_the_slides_experiment():
    # the model in the same position draws the same fit stream; LQ-reg takes its unlabeled inputs from a child
    kw = dict(repeats=1, width=8, steps=5, n_test=40, reg=0.0)
    plain = slides.slides_experiment((5,), rng=np.random.default_rng(4), models=("linear+quadratic",), **kw)
    zero = slides.slides_experiment((5,), rng=np.random.default_rng(4), models=("LQ-reg",), **kw)
    strong = slides.slides_experiment((5,), rng=np.random.default_rng(4), models=("LQ-reg",), **dict(kw, reg=1.0))
    assert plain[0]["test_loss"] == zero[0]["test_loss"] != strong[0]["test_loss"]
    assert cv.predicted_exponent("LQ-reg", "sparse", 3) == (2.0, "upper")


@pytest.mark.slow
def test_lq_reg_against_plain_fit_at_n_about_d_to_the_k():
    """The measurement EigenRegularizer's docstring reports (sparse target, k = 1, d = 8, width 64, n = 16 and
    32, 4 seeds, about 30 s): with the top group of degree <= k + 1 the regularized f_L + f_Q is within noise of
    the plain fit (paired differences within 3 standard errors of 0); with degree <= k it is worse on average."""
    variants = {"plain": dict(learner="linear+quadratic"), "top k": dict(learner="LQ-reg"),
                "top k+1": dict(learner="LQ-reg", top_degree=2)}
    out = {}
    for seed, n, name in itertools.product(range(4), (16, 32), variants):
        loss = cv.curve_cell(target="sparse", dim=8, n_samples=n, n_pool=32, repeat=seed, data_seed=7, degree=2,
                             width=64, steps=200, n_test=400, reg=1.0, rng=np.random.default_rng(100 + seed),
                             **variants[name]).mean()
        out.setdefault(name, []).append(loss)
    plain, top_k, top_k1 = (np.array(out[name]) for name in ("plain", "top k", "top k+1"))
    diff = top_k1 - plain
    assert abs(diff.mean()) <= 3 * diff.std(ddof=1) / math.sqrt(diff.size)
    assert np.mean(top_k - plain) > 0
