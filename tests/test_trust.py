"""The trust suite: planted false claims are caught (sensitivity), runs of true claims are flagged no
more often than their level allows (specificity), planted errors on the evidence (power), and
results are byte-identical (determinism).

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
from scipy import stats

from boundcheck import api as bc
from boundcheck.cli import main
from boundcheck.run import registry, trust
from boundcheck.run.trust import (PLANTED, Planted, is_slow, planted_claims, plants_for, power_headline, power_table,
                                  run_planted, run_rates, sensitivity)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNABLE, SKIPPED = planted_claims(include_slow=True)
FAST = [p for p in RUNNABLE if not is_slow(p)]
SLOW = [p for p in RUNNABLE if is_slow(p)]


# -- sensitivity ---------------------------------------------------------------------------------------

def test_the_suite_plants_errors_in_every_claim_of_the_battery():
    assert len({(p.label, repr(p.overrides), p.part) for p in PLANTED}) == len(PLANTED)  # no duplicates
    assert all(p.change for p in PLANTED) and not SKIPPED
    ours = ("bai-lee-2020", "nichani-bai-lee-2022")
    battery = {c.label for c in registry.claims().values() if c.battery and c.pack in ours}
    assert battery <= {p.label for p in PLANTED} | {"Good directions"}


@pytest.mark.parametrize("plant", FAST, ids=[p.name for p in FAST])
def test_planted_false_claim_is_violated(plant):
    row = run_planted(plant, seed=0)
    assert row["caught"], row


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
    assert run_planted(Planted("Assumption A", {"constant": 1.0}, "the true constant"), seed=0)["caught"] is False
    assert run_planted(Planted("Equation 4 event", {"bound_factor": 1.0}, "the true threshold"), seed=0)["caught"] is False


# -- specificity: false alarms per run -----------------------------------------------------------------

def _record(verdict, within=True, claim="c", part="p"):
    return {"claim": claim, "verdict": verdict, "interval": None,
            "params": {"part": part, "hypotheses": {"h": within}}}


def test_run_rates_count_runs_not_records():
    runs = [[_record("HOLDS"), _record("VIOLATED"), _record("VIOLATED")],   # one run, two false alarms
            [_record("HOLDS"), _record("VIOLATED", within=False)],           # outside hypotheses: not counted
            [_record("INCONCLUSIVE"), _record("HOLDS")],
            [_record("HOLDS"), _record("HOLDS")]]
    out = run_rates(runs)
    assert out["runs"] == 4 and out["runs_with_violated"] == 1 and out["share"] == 0.25
    assert out["runs_with_violated_outside_hypotheses"] == 1
    ci = stats.binomtest(1, 4).proportion_ci(confidence_level=0.95, method="exact")
    assert out["interval"] == pytest.approx([ci.low, ci.high])
    assert out["violated_per_run"] == pytest.approx(0.75)


def test_battery_runs_of_cheap_claims_have_no_false_alarm():
    labels = ["Assumption A", "Symmetric init", "Randomized terms", "Equation 4 event", "Lemma 5", "Lemma 8"]
    runs = trust.battery_runs(8, labels=labels)
    out = run_rates(runs)
    assert out["runs"] == 8 and out["runs_with_violated"] == 0
    assert all(r["params"].get("level") is None or r["params"]["level"] < 1 for run in runs for r in run)


# -- power: planted errors on the evidence -------------------------------------------------------------

def test_plants_make_the_claim_false_against_the_reference():
    rng = np.random.default_rng(0)
    rec = bc.mean(1.0 + rng.standard_normal(400), 2.0, "<=")
    kinds = plants_for(rec, 1.0, constant_sizes=(0.1,))
    assert ("constant", 0.1, "-", pytest.approx(0.9)) in [(k, s, d, v) for k, s, d, v in kinds]
    assert ("sign", 1.0, "flip", -2.0) in kinds
    fit = bc.rate([64, 128, 256, 512], [[m**-0.5 for m in (64, 128, 256, 512)]] * 2, -0.25, "<=")
    kinds = plants_for(fit, -0.5, exponent_sizes=(0.05,))
    assert kinds == [("exponent", 0.05, "-", pytest.approx(-0.55))]  # a flipped sign (+1/4) is a weaker, true bound


def test_power_table_against_a_direct_computation():
    # runs of one mean record of N(1, 1) draws against the bound 2: the constant plant at size s sets the
    # bound to t (1 - s), with t the leave-one-out mean of the other runs' left sides
    rng = np.random.default_rng(1)
    runs = [[bc.mean(1.0 + rng.standard_normal(200), 2.0, "<=", level=0.99, claim="c").to_dict()] for _ in range(40)]
    rows = power_table(runs, constant_sizes=(0.05, 0.5), exponent_sizes=())
    lhs = np.array([r[0]["lhs"] for r in runs])
    by = {(r["kind"], r["size"]): r for r in rows}
    for size in (0.05, 0.5):
        caught = 0
        for j, run in enumerate(runs):
            truth = (lhs.sum() - lhs[j]) / (lhs.size - 1)
            low = run[0]["interval"][0]
            caught += low > truth * (1 - size)  # VIOLATED: the whole interval above the planted bound
        assert by[("constant", size)]["caught"] == caught
    assert by[("constant", 0.5)]["share"] == 1.0 and by[("constant", 0.05)]["share"] < 0.9
    assert by[("constant", 0.05)]["smallest_caught"] == 0.5
    head = power_headline(rows)
    assert head["planted"] == 3 and head["caught_default"] == 2  # constant 0.5 and the sign flip


def test_budget_power_plants_at_every_look(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @bc.claim("Noisy mean", statement="E z <= 1", section="test", pack="test-pack", battery=False)
    def noisy_mean(*, rng, draws=20):
        return bc.mean(0.5 + rng.standard_normal(draws), 1.0, "<=")

    plant = [("constant", 0.5, "-")]  # the bound at 0.25: false by half the mean
    default = trust.budget_power("Noisy mean", {0: 0.5}, seeds=range(20), budget=1, alpha=0.05, plants=plant)
    powered = trust.budget_power("Noisy mean", {0: 0.5}, seeds=range(20), budget=31, alpha=0.05, plants=plant)
    assert default[0]["share"] < 0.5 and powered[0]["share"] >= 0.9


def test_budget_rows_skip_claims_of_exact_records_only(monkeypatch):
    """A claim whose records are all exact decides the same at any effort: the budget pass skips it."""
    calls = []
    monkeypatch.setattr(trust, "budget_power", lambda *a, **k: calls.append(a) or [])
    runs = [[bc.exact(1.0, 2.0, "<=", claim="Exact one").to_dict()] for _ in range(5)]
    missed = [dict(claim="Exact one", position=0, kind="sign", direction="flip", size=1.0, share=0.0)]
    assert trust.budget_rows(runs, missed, budget=10, n_seeds=3) == [] and calls == []
    runs = [[bc.mean(np.arange(4.0) + i, 9.0, "<=", claim="Mean one").to_dict()] for i in range(5)]
    missed[0]["claim"] = "Mean one"
    trust.budget_rows(runs, missed, budget=10, n_seeds=3)
    assert len(calls) == 1  # a record with an interval is re-run at the budget


def test_budget_rows_count_a_claims_records_from_its_own_start(monkeypatch):
    """Battery positions (over every claim of the run) become the claim's own indices for its runs alone."""
    seen = []

    def fake(label, truths, *, seeds, budget, alpha, plants, position_filter=None):
        seen.append((label, dict(truths), set(position_filter)))
        return [dict(claim=label, position=0, kind="constant", direction="-", size=0.5, caught=3, runs=3, share=1.0,
                     budget=budget)]

    monkeypatch.setattr(trust, "budget_power", fake)
    runs = [[bc.exact(1.0, 2.0, "<=", claim="First").to_dict(),
             bc.mean(np.arange(4.0) + i, 9.0, "<=", claim="Second", part="its mean").to_dict()] for i in range(4)]
    missed = [dict(claim="Second", position=1, kind="constant", direction="-", size=0.5, share=0.0)]
    out = trust.budget_rows(runs, missed, budget=10, n_seeds=3)
    assert seen == [("Second", {0: pytest.approx(3.0)}, {0})]  # mean of the lhs 1.5 + i over i = 0..3
    assert out[0]["position"] == 1 and out[0]["part"] == "its mean"


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


def test_trust_command(tmp_path):
    status, out, err = _cli(["trust", "sensitivity", "--fast", "--format", "json"])
    assert status == 0, err
    rows = json.loads(out)
    assert rows and all(r["caught"] for r in rows)
    for argv in (["trust", "specificity", "--seeds", "0"], ["trust"], ["trust", "power"]):
        status, _, err = _cli(argv)
        assert status == 2 and len(err.strip().splitlines()) == 1, err
