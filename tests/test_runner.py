"""The run: options checked, calibration over the run, power on demand, packs and claim files."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy import stats

from boundcheck import api as bc
from boundcheck.cli import main
from boundcheck.run import registry
from boundcheck.run.runner import _look_factors, look_spend, run_claim, run_claims


@pytest.fixture
def toy_pack(monkeypatch):
    """A private copy of the registry with two small claims of a pack "test-pack"."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @bc.claim("Mean below bound", statement="E z <= bound", section="test", pack="test-pack", battery=False)
    def mean_below(*, rng, draws=40, centre=0.0, bound=0.5, scale=1.0):
        return bc.mean(centre + scale * rng.standard_normal(draws), bound, "<=", part="E z <= bound")

    @bc.claim("Needs a hypothesis", statement="x", section="test", pack="test-pack", battery=False,
              hypotheses=(bc.hyp.SPHERE,))
    def forgets(*, rng, evaluate=False):
        x = np.ones((3, 2))
        hyps = bc.hyp.inputs_on_sphere(x, 1.0) if evaluate else None
        return bc.exact(1.0, 2.0, "<=", hypotheses=hyps)

    return mean_below


def test_unknown_option_is_rejected(toy_pack):
    with pytest.raises(ValueError, match=r"option 'bound_factor' is not an option of claim 'Mean below bound'; "
                                         r"its options are: bound, centre, draws, scale"):
        run_claim("Mean below bound", bound_factor=0.01)


def test_options_reach_the_check(toy_pack):
    rec = run_claim("test-pack: Mean below bound", seed=1, centre=2.0, draws=400)[0]
    assert rec.verdict == "VIOLATED" and rec.params["n_draws"] == 400 and rec.claim == "Mean below bound"
    assert rec.params["pack"] == "test-pack" and rec.seed == 1


def test_declared_hypotheses_must_be_evaluated(toy_pack):
    with pytest.raises(RuntimeError, match="declares the hypotheses"):
        run_claim("Needs a hypothesis")
    rec = run_claim("Needs a hypothesis", evaluate=True)[0]
    assert rec.params["hypotheses"] == {bc.hyp.SPHERE: False}  # ||(1, 1)|| = sqrt(2): off the unit sphere


def test_one_claim_alone_uses_the_whole_alpha(toy_pack):
    rec = run_claim("Mean below bound", seed=0)[0]
    assert rec.params["level"] == pytest.approx(0.95)
    two = run_claims(["Mean below bound", "Needs a hypothesis"], seed=0, options={"evaluate": True}).records
    assert two[0].params["level"] == pytest.approx(0.95)  # the other record is exact: no interval to share


def test_look_schedule_and_spending():
    assert _look_factors(1) == [1] and _look_factors(10) == [1, 2, 4] and _look_factors(15) == [1, 2, 4, 8]
    assert sum(look_spend(r) for r in range(1, 100000)) == pytest.approx(1.0, abs=1e-4)


def test_budget_makes_an_inconclusive_record_decisive(toy_pack):
    # a mean 0.2 below its bound, resolved by ~200 draws but not by the default 40
    runs = [run_claims(["Mean below bound"], seed=s, options={"centre": 0.3}) for s in range(10)]
    assert sum(r.records[0].verdict == "INCONCLUSIVE" for r in runs) >= 7
    powered = [run_claims(["Mean below bound"], seed=s, budget=31, options={"centre": 0.3}) for s in range(10)]
    assert sum(r.records[0].verdict == "HOLDS" for r in powered) >= 9
    decided = powered[0].records[0]
    assert decided.params["look"] > 1 and decided.params["n_draws"] == 40 * decided.params["effort"]


def test_power_on_demand_keeps_the_level(toy_pack):
    # the least favourable true claim (bound = true mean): repeated looks must not inflate the
    # false-VIOLATED rate beyond alpha
    n_runs = 300
    violated = sum(run_claims(["Mean below bound"], seed=s, budget=31, options={"bound": 0.0}).records[0].verdict
                   == "VIOLATED" for s in range(n_runs))
    assert stats.binomtest(violated, n_runs).proportion_ci(0.95).low < 0.05
    assert violated / n_runs <= 0.06


def test_claims_file_through_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))  # the file's claims stay in this test
    path = tmp_path / "my_claims.py"
    path.write_text(textwrap.dedent('''
        import boundcheck.api as bc

        @bc.claim("Small quadratic", statement="max |f^Q| <= bound", section="note", pack="my-note")
        def small(*, rng, width=64, dim=4, bound=10.0):
            x = bc.sample_inputs("sphere", 8, dim, rng=rng)
            w_init, w_out = bc.symmetric_init(width, dim, rng=rng)
            w_move = rng.standard_normal((width, dim)) * width ** -0.25
            f_quad = bc.taylor_term(x, w_init, w_out, w_move, 2)
            return bc.exact(abs(f_quad).max(), bound, "<=", part="max_i |f^Q(x_i)|")
    '''))
    assert main(["verify", "--claims", str(path), "my-note: Small quadratic", "--format", "json"]) == 0
    assert main(["verify", "--claims", str(path), "Small quadratic", "--set", "bound=1e-9"]) == 1
    assert main(["verify", "--claims", str(path), "Small quadratic", "--set", "bond=1"]) == 2
    err = capsys.readouterr().err
    assert "option 'bond' is not an option of claim 'Small quadratic'" in err


def test_set_values_are_never_code(toy_pack, capsys):
    from boundcheck.commands.verify import parse_setting

    assert parse_setting("draws=64") == ("draws", 64)
    assert parse_setting("widths=[64, 128]") == ("widths", [64, 128])
    assert parse_setting("loss=squared") == ("loss", "squared")
    assert parse_setting("x=__import__('os').system('false')") == ("x", "__import__('os').system('false')")
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_setting("no equals sign")


def test_exit_status_gates_a_pipeline(tmp_path):
    args = [sys.executable, "-m", "boundcheck", "verify", "Assumption A"]
    assert subprocess.run(args, capture_output=True).returncode == 0
    assert subprocess.run(args + ["--set", "constant=0.5"], capture_output=True).returncode == 1
    bad = subprocess.run(args + ["--set", "bound_factor=0.01"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "bound_factor" in bad.stderr


def test_claims_file_through_a_sweep_and_the_trust_command(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    claims = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "my_lemma.py")
    config = tmp_path / "widths.toml"
    config.write_text('[sweep]\nclaim = "my-notes: Quadratic model bound"\nseed = 3\n'
                      '[grid]\nwidth = [16, 32]\n[fixed]\ndraws = 4\nsearch = false\n')
    store = tmp_path / "widths.sqlite"
    assert main(["sweep", str(config), "--claims", claims, "--store", str(store), "--workers", "2"]) == 0
    from boundcheck.run.store import open_store

    with open_store(store, must_exist=True) as opened:
        records = opened.records("widths")
    assert [r["claim"] for r in records] == ["Quadratic model bound"] * 2 and all(r["verdict"] == "HOLDS" for r in records)
    bare = subprocess.run([sys.executable, "-m", "boundcheck", "sweep", str(config), "--store",
                           str(tmp_path / "other.sqlite")], capture_output=True, text=True)
    assert bare.returncode == 2 and "my-notes: Quadratic model bound" in bare.stderr  # unknown without --claims
