"""boundcheck report DIR: the battery as a folder (page, tables, errata, LaTeX, figures)."""

import csv
import json
import shutil
import subprocess

import pytest

from boundcheck.cli import main
from boundcheck.report.folder import write_report
from boundcheck.results import CheckResult, exact, mean, rate


def _records():
    recs = [exact(0.5, 1.0, "<=", params={"part": "E_s sup f^Q <= (B_w^2/2) E max ||M_r||"}, claim="Lemma 5"),
            CheckResult("Theorem 2", 0.3, 0.1, "<=", -0.2, "VIOLATED", (0.25, 0.35),
                        {"part": "100% & 50_x ^ y", "hypotheses": {"(6)": False}})]
    recs.append(rate([64, 128, 256, 512], [1.0, 0.5, 0.26, 0.12], -1.0, "<=",
                                     params={"part": "rate in m of the remainder"}, claim="Lemma 1"))
    return recs


def test_write_report_lays_out_the_folder(tmp_path):
    files = write_report(tmp_path, _records(), provenance={"seed": 3, "versions": {"numpy": "x"}})
    names = [name for name, _ in files]
    assert names[0] == "index.md"
    for name in ("verdicts.csv", "records.json", "errata.csv", "errata.json", "verdicts.tex", "errata.tex",
                 "report.tex", "figures/shares.png", "figures/rates.png"):
        assert name in names and (tmp_path / name).stat().st_size > 0, name
    index = (tmp_path / "index.md").read_text()
    assert "## Summary" in index and "3 claims, 3 records" in index and "fails, but (6) is not met" in index
    assert "![Share of the bound used](figures/shares.png)" in index and "[verdicts.tex](verdicts.tex)" in index
    assert "**E8** (wrong)" in index and "line 496" in index
    rows = list(csv.DictReader((tmp_path / "verdicts.csv").open()))
    assert [r["claim"] for r in rows] == ["Lemma 5", "Theorem 2", "Lemma 1"]
    assert json.loads((tmp_path / "records.json").read_text())[0]["params"]["provenance"]["seed"] == 3
    assert not [p for p in tmp_path.rglob(".boundcheck-*")]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_report_tex_compiles(tmp_path):
    write_report(tmp_path, _records())
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"], cwd=tmp_path,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0 and (tmp_path / "report.pdf").exists()


def test_report_command(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", str(out), "--claim", "Symmetric init", "--claim", "Section 6 moments", "--no-samples",
                 "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["file"].endswith("index.md") and (out / "index.md").exists()
    assert "k = 8" in (out / "index.md").read_text()  # the eight moment records tell their k
    assert main(["report", str(out), "--claim", "Symmetric init", "--no-samples"]) == 2
    assert "DIR must be empty or new (or give --force)" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing" / "rep")]) == 2
