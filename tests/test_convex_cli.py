"""Tests of ``boundcheck opt`` and of the "OPT bracket" registration."""

import json

import numpy as np
import pytest

from boundcheck.cli import main
from boundcheck.convex.bracket import planted_instance
from boundcheck.losses import get_loss
from boundcheck.network import norm_24, quadratic_model
from boundcheck.api import get_claim, run_claim


def run_json(capsys, *argv):
    status = main(["opt", "--format", "json", *argv])
    out = capsys.readouterr()
    return status, (json.loads(out.out) if status == 0 else out.err)


@pytest.mark.parametrize("loss", ["logistic", "soft-hinge", "squared"])
def test_opt_command_saves_w_whose_recomputed_loss_is_the_upper_bound(capsys, tmp_path, loss):
    path = tmp_path / "w.npz"
    status, out = run_json(capsys, "--n", "80", "--width", "8", "--dim", "3", "--loss", loss, "--save-w", str(path))
    assert status == 0
    for key in ("lower", "upper", "rel_gap", "rank", "solver", "status", "iterations"):
        assert key in out
    assert "seconds" not in out  # wall-clock times only with --timings
    assert out["lower"] <= out["upper"]
    with np.load(path) as saved:
        w, x, w_init, w_out, y = (saved[k] for k in ("w_move", "x", "w_init", "w_out", "y"))
    assert norm_24(w) <= out["radius"]
    recomputed = float(np.mean(get_loss(loss).value(y, quadratic_model(x, w_init, w_out, w))))
    assert out["upper"] == pytest.approx(recomputed, rel=1e-13)
    if loss == "squared":
        assert "squared loss" in out["notes"]


def test_opt_command_on_an_instance_and_targets(capsys, tmp_path):
    inst = planted_instance(60, 6, 3, loss="logistic", rng=np.random.default_rng(2))
    path = tmp_path / "inst.npz"
    np.savez(path, **{k: inst[k] for k in ("x", "w_init", "w_out", "y")})
    status, out = run_json(capsys, "--instance", str(path), "--radius", str(inst["radius_star"]), "--solver",
                           "cvxpy-clarabel")
    assert status == 0 and out["solver"] == "cvxpy-clarabel" and out["target"] == "instance"
    for target in ("single", "xor"):
        status, out = run_json(capsys, "--n", "60", "--width", "6", "--dim", "3", "--target", target, "--radius", "2")
        assert status == 0 and out["lower"] <= out["upper"]


def test_opt_command_bad_input_is_one_line_exit_2(capsys, tmp_path):
    status, err = run_json(capsys, "--width", "7")
    assert status == 2 and "width must be an even integer" in err
    status, err = run_json(capsys, "--tol", "-1")
    assert status == 2 and "tol must be > 0" in err
    inst = planted_instance(20, 4, 3, rng=np.random.default_rng(0))
    path = tmp_path / "no_y.npz"
    np.savez(path, **{k: inst[k] for k in ("x", "w_init", "w_out")})
    status, err = run_json(capsys, "--instance", str(path))
    assert status == 2 and "must hold arrays y" in err
    np.savez(path, **{k: inst[k] for k in ("x", "w_init", "w_out", "y")})
    status, err = run_json(capsys, "--instance", str(path))
    assert status == 2 and "--radius must be given with --instance" in err
    status, err = run_json(capsys, "--save-w", str(tmp_path / "missing" / "w.npz"))
    assert status == 2 and "does not exist" in err


def test_registered_for_verify():
    claim = get_claim("opt bracket")
    assert claim.label == "OPT bracket"
    assert {"n_samples", "width", "dim", "radius", "loss", "instance"} <= set(claim.options())
    records = run_claim("OPT bracket", seed=3)
    assert len(records) == 2 and all(r.verdict == "HOLDS" for r in records)
    assert all(r.kind == "exact" and r.hypotheses == {} for r in records)


def test_opt_bracket_records_are_reproducible_without_wall_clock_params():
    first = [r.to_dict() for r in run_claim("OPT bracket", seed=4)]
    second = [r.to_dict() for r in run_claim("OPT bracket", seed=4)]
    assert first == second
    assert all("seconds" not in r["params"] for r in first)
