"""The trust suite: planted false claims are caught (sensitivity), true claims are not flagged more
often than their confidence allows (specificity), and results are byte-identical (determinism).

The bad-input fuzz of the command line is in tests/test_cli_fuzz.py.
"""

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest

from boundcheck.cli import main
from boundcheck.results import CheckResult
from boundcheck.run.trust import (PLANTED, Planted, allowed_violation_rate, is_slow, planted_claims, run_planted,
                              sensitivity, specificity)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNABLE, SKIPPED = planted_claims(include_slow=True)
FAST = [p for p in RUNNABLE if not is_slow(p)]
SLOW = [p for p in RUNNABLE if is_slow(p)]
CHEAP_TRUE = ["Assumption A", "Symmetric init", "Randomized terms", "Equation 4 event"]


# -- sensitivity ---------------------------------------------------------------------------------------

def test_the_suite_has_at_least_30_planted_claims():
    assert len(PLANTED) >= 30
    assert len({(p.label, repr(p.overrides), p.part) for p in PLANTED}) == len(PLANTED)  # no duplicates
    assert all(p.change for p in PLANTED)


@pytest.mark.parametrize("plant", FAST, ids=[p.name for p in FAST])
def test_planted_false_claim_is_violated(plant):
    row = run_planted(plant, seed=0)
    assert row["caught"], row
    assert row["true_violated"] == 0 or row["violated"] > row["true_violated"], row


@pytest.mark.slow
@pytest.mark.parametrize("plant", SLOW, ids=[p.name for p in SLOW])
def test_slow_planted_false_claim_is_violated(plant):
    row = run_planted(plant, seed=0)
    assert row["caught"], row


def test_unregistered_plants_are_skipped_and_listed():
    ghost = Planted("Lemma 99", {"constant": 0.0}, "a claim nobody registered")
    real = Planted("Assumption A", {"constant": 0.5}, "C halved")
    runnable, skipped = planted_claims((ghost, real))
    assert runnable == [real] and skipped == [ghost]
    rows = sensitivity(planted=(ghost, real))
    assert rows[0]["caught"] is True and rows[1]["caught"] is None and rows[1]["verdicts"] == "not registered"


def test_a_plant_that_changes_nothing_is_not_caught():
    """The criterion itself can fail: the true claim dressed as a plant is not 'caught'."""
    row = run_planted(Planted("Assumption A", {"constant": 1.0}, "the true constant"), seed=0)
    assert row["caught"] is False and row["verdicts"] == "HOLDS"
    row = run_planted(Planted("Equation 4 event", {"bound_factor": 1.0}, "the true threshold"), seed=0)
    assert row["caught"] is False


def test_a_plant_naming_a_missing_part_is_an_error():
    with pytest.raises(RuntimeError, match="no record has a part"):
        run_planted(Planted("Randomized terms", {}, "x", part="no such part"), seed=0)


# -- specificity ---------------------------------------------------------------------------------------

def test_allowed_violation_rate():
    rng = np.random.default_rng(0)
    sampled = CheckResult.from_samples("c", rng.standard_normal(30), 0.0, "==", level=0.9)
    assert allowed_violation_rate(sampled) == pytest.approx(0.1)
    assert allowed_violation_rate(CheckResult.exact("c", 1, 2, "<=", params={"failure_prob": 0.05})) == 0.05
    assert allowed_violation_rate(CheckResult.exact("c", 1, 2, "<=").to_dict()) == 0.0


def test_specificity_of_cheap_true_claims_small():
    rows = specificity(CHEAP_TRUE, n_seeds=12)
    assert [r["claim"] for r in rows] == CHEAP_TRUE
    for row in rows:
        assert row["ok"], row
        assert row["rate"] <= 0.25, row


def test_specificity_flags_a_claim_that_is_always_violated(monkeypatch):
    """The specificity test can fail: a 'true' claim that is always VIOLATED is reported not ok."""
    from boundcheck.run import registry

    claim = registry.get_claim("Assumption A")
    monkeypatch.setitem(registry._REGISTRY, "Assumption A",
                        registry.Claim(claim.label, claim.statement, claim.section,
                                       lambda *, rng: claim.check(rng=rng, constant=0.5)))
    row = specificity(["Assumption A"], n_seeds=5)[0]
    assert row["violated"] == 5 and row["exact_violations"] == 5 and not row["ok"]


@pytest.mark.slow
def test_specificity_over_200_seeds_of_cheap_true_claims():
    for row in specificity(CHEAP_TRUE, n_seeds=200):
        assert row["ok"], row


# -- determinism ---------------------------------------------------------------------------------------

def _cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def test_same_seed_same_json_bytes_in_process(tmp_path):
    argv = ["verify", "Randomized terms", "Equation 4 event", "Symmetric init", "--seed", "17", "--format", "json"]
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert _cli(argv + ["--out", str(a)])[0] == 0
    assert _cli(argv + ["--out", str(b)])[0] == 0
    assert a.read_bytes() == b.read_bytes()
    records = json.loads(a.read_text())
    assert all(r["seed"] == 17 for r in records)
    other = _cli(argv[:-4] + ["--seed", "18", "--format", "json"])[1]
    assert other != a.read_text()


def test_same_seed_same_json_bytes_across_processes():
    argv = [sys.executable, "-m", "boundcheck", "verify", "Randomized terms", "--seed", "3", "--format", "json"]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    outs = [subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=True).stdout for _ in range(2)]
    assert outs[0] == outs[1] and outs[0].startswith(b"[")


def test_sweep_json_identical_across_worker_counts(tmp_path):
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('[sweep]\nclaim = "Randomized terms"\nseed = 9\nreplicates = 3\n'
                   '[grid]\nwidth = [16, 32]\n[fixed]\ndraws = 200\nn_samples = 4\ndim = 3\n')
    texts = []
    for workers in ("1", "2"):
        store = tmp_path / f"w{workers}.sqlite"
        assert _cli(["sweep", str(cfg), "--store", str(store), "--workers", workers])[0] == 0
        status, out, err = _cli(["table", "--store", str(store), "--format", "json"])
        assert status == 0, err
        texts.append(out)
    assert texts[0] == texts[1]
    assert len(json.loads(texts[0])) == 2 * 3 * 3  # cells x records per cell


def test_trust_command(tmp_path):
    status, out, err = _cli(["trust", "specificity", "--seeds", "3", "--claim", "Assumption A",
                             "--claim", "Equation 4 event", "--format", "json"])
    assert status == 0, err
    rows = json.loads(out)
    assert [r["claim"] for r in rows] == ["Assumption A", "Equation 4 event"] and all(r["seeds"] == 3 for r in rows)
    for argv in (["trust", "specificity", "--seeds", "0"], ["trust"], ["trust", "specificity", "--claim", "Lemma 99"]):
        status, _, err = _cli(argv)
        assert status == 2 and len(err.strip().splitlines()) == 1, err
