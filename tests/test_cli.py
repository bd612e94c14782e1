import json
import subprocess
import sys

import numpy as np
import pytest

from boundcheck.cli import main


def test_bare_command_runs_the_battery_in_json(capsys):
    assert main(["--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["claim"] for r in records} >= {"Symmetric init", "Randomized terms", "Equation 4 event"}
    for rec in records:
        assert list(rec) == ["claim", "lhs", "rhs", "relation", "margin", "verdict", "interval", "params", "seed"]
        prov = rec["params"]["provenance"]
        assert prov["seed"] == 0 and prov["versions"]["numpy"] == np.__version__


def test_same_seed_same_bytes(capsys):
    main(["verify", "Randomized terms", "--seed", "5", "--format", "json"])
    first = capsys.readouterr().out
    main(["verify", "Randomized terms", "--seed", "5", "--format", "json"])
    assert capsys.readouterr().out == first
    main(["verify", "Randomized terms", "--seed", "6", "--format", "json"])
    assert capsys.readouterr().out != first


@pytest.mark.parametrize("fmt,marker", [("latex", r"\toprule"), ("markdown", "| claim |"), ("csv", "claim,"),
                                        ("table", "verdict")])
def test_formats(fmt, marker, capsys):
    assert main(["verify", "Symmetric init", "--format", fmt]) == 0
    assert marker in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["verify", "--width", "7"], "width must be an even integer >= 2"),
    (["verify", "--n", "0"], "n_samples must be an integer >= 1; got 0"),
    (["verify", "Lemma 99"], "claim must be one of"),
    (["verify", "--seed", "-1"], "--seed must be a non-negative integer"),
    (["verify", "--format", "yaml"], "invalid choice: 'yaml'"),
    (["verify", "--instance", "/nonexistent.npz"], "no such file"),
    (["verify", "--level", "1.5"], "level must be strictly between 0 and 1; got 1.5"),
    (["verify", "--out", "/nonexistent/dir/out.json"], "does not exist"),
])
def test_bad_input_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_out_file_written_atomically(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["verify", "Symmetric init", "--format", "json", "--out", str(out)]) == 0
    assert json.loads(out.read_text())[0]["claim"] == "Symmetric init"
    assert main(["verify", "--width", "3", "--out", str(tmp_path / "bad.json")]) == 2
    assert not (tmp_path / "bad.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_python_dash_m_entry_point():
    proc = subprocess.run([sys.executable, "-m", "boundcheck", "verify", "--width", "5"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("boundcheck: error: width must be an even integer")
