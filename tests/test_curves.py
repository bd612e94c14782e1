import json
import math

import numpy as np
import pytest

from boundcheck.experiments import curves as cv
from boundcheck.experiments import learners as lrn
from boundcheck.experiments import problems as prb
from boundcheck.experiments import slides
from boundcheck.experiments import trajectories as traj
from boundcheck.cli import main


def test_threshold_is_exact_for_a_power_law():
    n_values = [10, 20, 40, 80, 160]
    losses = [5.0 / n for n in n_values]
    n_eps, status = cv.threshold(n_values, losses, 0.1)
    assert status == "interpolated" and n_eps == pytest.approx(50.0, rel=1e-12)
    assert cv.threshold(n_values, losses, 1.0) == (10.0, "at_first")
    assert cv.threshold(n_values, losses, 1e-3) == (math.inf, "not_reached")


def _synthetic(exponent, rng):
    rows = []
    for dim in (4, 8, 16, 32):
        for rep in range(2):
            rows.append(dict(learner="quadratic", target="single", degree=2, dim=dim, repeat=rep, accuracy=0.1,
                             n_eps=3.0 * dim**exponent * math.exp(0.05 * rng.standard_normal()),
                             status="interpolated"))
    return rows


def test_exponent_fit_agrees_with_prediction_and_can_fail(rng):
    good = cv.exponent_rows(_synthetic(1.0, rng))[0]
    assert good["predicted_exponent"] == 1.0 and good["prediction"] == "upper"
    assert good["interval_low"] <= 1.0 <= good["interval_high"]
    assert good["agreement"] != "inconsistent"
    bad = cv.exponent_rows(_synthetic(3.0, rng))[0]  # grows faster than the upper bound d^(p-1)
    assert bad["agreement"] == "inconsistent"
    below = cv.exponent_rows(_synthetic(0.5, rng))[0]
    assert below["agreement"] == "consistent"


def test_predicted_exponents():
    assert cv.predicted_exponent("ntk", "single", 3) == (3.0, "lower")
    assert cv.predicted_exponent("randomized", "single", 3) == (2.0, "upper")
    assert cv.predicted_exponent("linear+quadratic", "sparse", 3) == (2.0, "upper")
    assert cv.predicted_exponent("quadratic", "sparse", 3) == (3.0, "lower")
    assert cv.predicted_exponent("ntk", "xor", 2) == (2.0, "lower")


def test_sweep_does_not_depend_on_worker_count():
    kw = dict(learners=("ntk", "quadratic"), target="single", dims=(4, 5), n_values=[8, 16, 32], repeats=1,
              steps=20, n_test=50, width=8)
    _, one = cv.sample_complexity(rng=np.random.default_rng(3), n_jobs=1, **kw)
    _, two = cv.sample_complexity(rng=np.random.default_rng(3), n_jobs=2, **kw)
    assert [r["n_eps"] for r in one] == [r["n_eps"] for r in two]


@pytest.mark.parametrize("target", ["single", "xor", "sparse"])
def test_every_learner_learns_every_target(rng, target):
    # 128 samples in d = 4: every learner beats the trivial predictor (normalised MSE of 0 is 1; a coin flip
    # errs on half the labels) and beats itself on 8 samples
    curves, _ = cv.sample_complexity(target=target, dims=(4,), n_values=[8, 128], repeats=1, steps=100, n_test=200,
                                     width=16, rng=rng)
    trivial = 0.5 if target == "xor" else 1.0
    for learner in lrn.LEARNERS:
        few, many = [r["test_loss"] for r in curves if r["learner"] == learner]
        assert many < trivial and many < few, (learner, few, many)


def test_ntk_regression_learns_a_quadratic_with_enough_samples(rng):
    losses = cv.learning_curve("ntk", "single", 4, [4, 200], rng=rng, n_test=300)
    assert losses[1] < 0.05 < losses[0]


def test_make_problem_targets_have_unit_norm(rng):
    for target in ("single", "sparse"):
        problem = prb.make_problem(target, 6, 10, degree=3, n_test=20000, rng=rng)
        assert problem.scale == pytest.approx(1.0, rel=0.1)  # 4000-point normaliser for sparse


def test_slides_experiment_linear_plus_quadratic_beats_linear_alone(rng):
    # the slides' point at n = d^1.5: f_L alone cannot fit the sparse quadratic part, f_L + f_Q can
    rows = slides.slides_experiment((8,), repeats=2, width=16, steps=100, n_test=200, rng=rng,
                                    models=("linear", "linear+quadratic"))
    assert {r["n"] for r in rows} == {round(8**1.5)}
    mean = {model: np.mean([r["test_loss"] for r in rows if r["model"] == model])
            for model in ("linear", "linear+quadratic")}
    assert mean["linear+quadratic"] < mean["linear"]


def test_taylor_trajectories_higher_order_is_closer_at_small_step(rng):
    out = traj.taylor_trajectories(dim=6, width=32, n_samples=24, n_test=30, steps=30, learning_rates=(0.1,),
                                 record_every=10, rng=rng)
    dist = out["runs"][0]["distance"]
    assert dist[3][-1] < dist[1][-1]
    assert out["runs"][0]["steps"][0] == 10


@pytest.mark.parametrize("call, match", [
    (lambda rng: cv.sample_complexity(learners=("nope",), rng=rng), "learner must be one of"),
    (lambda rng: cv.sample_complexity(width=7, rng=rng), "width must be an even integer"),
    (lambda rng: cv.sample_complexity(accuracy=2.0, rng=rng), "accuracy must be strictly between 0 and 1"),
    (lambda rng: prb.make_problem("sparse", 4, 10, degree=1, rng=rng), "degree must be >= 2"),
])
def test_bad_input(rng, call, match):
    with pytest.raises(ValueError, match=match):
        call(rng)


# ---------------------------------------------------------------------------------------------
# command line


def test_samples_command_json(capsys):
    assert main(["samples", "--dim", "10,20", "--degree", "2", "--accuracy", "0.1", "--target", "single",
                 "--constant", "2", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"learner", "dim", "degree", "accuracy", "n_predicted", "expression"} <= set(rows[0])
    assert len(rows) == 2 * 4


def test_samples_command_plot_and_errors(tmp_path, capsys):
    path = tmp_path / "n.png"
    assert main(["samples", "--target", "xor", "--form", "stated", "--plot", str(path)]) == 0
    assert path.stat().st_size > 0
    assert main(["samples", "--dim", "10,x"]) == 2
    assert "--dim must be a comma-separated list" in capsys.readouterr().err
    assert main(["samples", "--accuracy", "3"]) == 2


def test_curves_command_writes_table_and_plot(tmp_path, capsys):
    path = tmp_path / "curves.png"
    assert main(["curves", "--learners", "ntk,quadratic", "--dim", "4,5,6", "--n", "8,16,32", "--repeats", "1",
                 "--steps", "10", "--n-test", "40", "--width", "8", "--plot", str(path), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["learner"] for r in rows} == {"ntk", "quadratic"}
    assert path.stat().st_size > 0


def test_plots_of_measured_thresholds_and_trajectories(tmp_path, rng):
    from boundcheck.report.plots_complexity import plot_measured, plot_trajectories

    rows = _synthetic(1.0, rng) + [dict(learner="ntk", dim=4, n_eps=math.inf)]
    path = tmp_path / "m.svg"
    plot_measured(rows, path, predicted={"quadratic": 1.0})
    text = path.read_text()
    assert "predicted 1" in text and "eps not reached" in text
    out = traj.taylor_trajectories(dim=4, width=8, n_samples=8, n_test=10, steps=4, record_every=2, rng=rng)
    plot_trajectories(out, tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 0
