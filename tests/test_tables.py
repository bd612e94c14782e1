"""The verification table: 120 columns by default, footnotes for errata and unmet hypotheses, a summary line,
every column in --wide / Markdown / CSV / JSON."""

import csv
import io
import json

import pytest

from boundcheck import errata
from boundcheck.report.tables import TERMINAL_WIDTH, format_output, records_table, share_of_bound, summary_counts
from boundcheck.results import CheckResult, exact, mean, rate

LONG = "E grad^2 L~(W)[W_* S', W_* S'] <= <grad L~(W), W> - 2(L~(W) - OPT) + eps for all ||W||_{2,4} <= B_w " * 2


def _records():
    recs = [exact(1.0, 1.0, "==", params={"order": k, "statement": "E z^k"}, claim="Section 6 moments")
            for k in (1, 2, 3)]
    recs.append(CheckResult("Theorem 2", 0.04, 0.1, "<=", 0.06, "HOLDS", (0.03, 0.05),
                            {"part": LONG, "hypotheses": {"(6)": False, "symmetric init": True}, "level": 0.99}))
    recs.append(CheckResult("Theorem 2", 0.3, 0.1, "<=", -0.2, "VIOLATED", (0.25, 0.35),
                            {"part": "other part", "hypotheses": {"(6)": False}}))
    recs.append(CheckResult("Corollary 3", 0.2, 0.1, "<=", -0.1, "VIOLATED", (0.15, 0.25),
                            {"part": "regularizer step", "hypotheses": {"(6)": True}, "errata": ["E4"],
                             "equivalence_margin": None}))
    recs.append(exact(0.08, 0.02, ">=", params={"part": "c_p >= ...",
                                                 "errata": errata.for_claim("Lemma 9 coefficients", "c_p >= ...")},
                      claim="Lemma 9 coefficients"))
    recs.append(mean([1.0, 2.0, 3.0], 4.0, "<=", params={"errata": []}, claim="Lemma 5"))
    return recs


def test_default_table_fits_120_columns_with_notes():
    text = format_output(_records(), "table")
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= TERMINAL_WIDTH
    header = lines[0].split()
    assert header == ["claim", "part", "lhs", "rel", "rhs", "used", "verdict", "notes"]
    assert "statement" not in lines[0] and "interval" not in lines[0]
    assert any(line.startswith("Summary: 5 claims, 8 records: 5 HOLDS, 1 INCONCLUSIVE, 2 VIOLATED") for line in lines)
    assert "(1 within hypotheses); 2 outside hypotheses" in text.replace("\n  ", " ")
    assert "holds although (6) is not met" in text and "fails, but (6) is not met" in text
    assert "HOLDS*" in text and "VIOLATED*" in text
    assert " E4 [convention]" in text  # the erratum of Corollary 3, from params["errata"]
    assert "\nE13 [looser but valid]" in text  # the register's entry, attached as the runner does
    lemma5 = [line for line in lines if line.startswith("Lemma 5")][0]
    assert "E6" not in lemma5  # params["errata"] = [] is respected


def test_rows_differing_only_in_parameters_say_which():
    text = format_output(_records(), "table")
    moments = [line for line in text.splitlines() if line.startswith("Section 6 moments")]
    assert [line.split()[3] for line in moments] == ["k=1:", "k=2:", "k=3:"]


def test_share_of_bound():
    rows = {r["claim"] + r["relation"]: r["used"] for r in records_table(_records()).rows}
    assert rows["Theorem 2<="] in ("40%", "300%")
    assert rows["Lemma 9 coefficients>="] == "25%"  # rhs / lhs
    assert rows["Section 6 moments=="] == ""
    negative = exact(-0.9, -0.5, "<=", claim="Lemma 1")
    assert share_of_bound(negative) is None
    assert share_of_bound(exact(3.0, 4.0, "<=", claim="x")) == pytest.approx(0.75)
    assert share_of_bound(exact(4.0, 3.0, ">=", claim="x")) == pytest.approx(0.75)


def test_wide_markdown_csv_keep_everything():
    recs = _records()
    wide = format_output(recs, "table", wide=True)
    for column in ("statement", "interval", "level", "hypotheses", "errata", "margin_reason"):
        assert column in wide.splitlines()[0]
    markdown = format_output(recs, "markdown")
    assert "| claim | part | statement |" in markdown and "**Summary:**" in markdown and "- **H1**" in markdown
    rows = list(csv.DictReader(io.StringIO(format_output(recs, "csv"))))
    assert len(rows) == len(recs) and rows[3]["hypotheses"] == "(6): NOT met; symmetric init: met"
    assert rows[3]["part"].startswith("E grad^2") and len(rows[3]["part"]) > 150  # nothing cut
    payload = json.loads(format_output(recs, "json"))
    assert payload[3]["params"]["hypotheses"] == {"(6)": False, "symmetric init": True}


def test_summary_counts():
    counts = summary_counts(_records())
    assert counts["outside"] == 2 and counts["violated_within"] == 1 and counts["VIOLATED"] == 2
    assert "E4" in counts["errata"] and "E13" in counts["errata"]


def test_the_runner_attaches_the_registers_entries():
    from boundcheck.run.runner import run_claim

    rec = [r for r in run_claim("Lemma 9 coefficients", seed=0) if "c_p >=" in r.params["part"]][0]
    assert "E13" in rec.params["errata"]
    assert "E13" in format_output([rec], "table")


def test_generic_rows_still_print():
    rows = [{"a": 1.0, "b": "x" * 100}, {"a": 2.5, "b": "y"}]
    text = format_output(rows, "table")
    assert "..." in text and text.splitlines()[0].split() == ["a", "b"]
