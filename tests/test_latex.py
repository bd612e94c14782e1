"""LaTeX output: special characters escaped, formulas in math mode, and tables that compile and fit a page."""

import re
import shutil
import subprocess

import pytest

from boundcheck import errata
from boundcheck.report import latex
from boundcheck.report.tables import Table, errata_table, format_output, records_table
from boundcheck.results import CheckResult, exact, mean, rate
from boundcheck.run.registry import claims

SPECIALS = "&%$#_{}~^\\<>|"


def _outside_math(text):
    return "".join(part for k, part in enumerate(re.split(r"(?<!\\)\$", text)) if k % 2 == 0)


def _raw_specials(text):
    """Special characters of ``text`` (outside math) that are not part of an escape."""
    stripped = re.sub(r"\\(textless|textgreater|textbar|textasciitilde|textasciicircum|textbackslash)\{\}", "", text)
    stripped = re.sub(r"\\[&%$#_{}]", "", stripped)
    return [ch for ch in stripped if ch in SPECIALS]


@pytest.mark.parametrize("text", ["a <= b", "||W||", "rhs_main", "100%", "x & y", "x^2", "#1 {a} ~b $5 \\n", "<grad>"])
def test_escape_leaves_no_special_character(text):
    out = latex.escape(text)
    assert not _raw_specials(out), out


def test_escape_of_each_special():
    assert latex.escape("<=") == r"\textless{}="
    assert latex.escape("||") == r"\textbar{}\textbar{}"
    assert latex.escape("a_b") == r"a\_b"
    assert latex.escape("5%") == r"5\%"
    assert latex.escape("a & b") == r"a \& b"
    assert latex.escape("x^2") == r"x\textasciicircum{}2"


def test_formulas_go_to_math_mode_and_words_stay_text():
    out = latex.mixed("lhs <= 5% of ||W||_{2,4} & x^2 for all W_* with rhs_main")
    math_parts = re.findall(r"(?<!\\)\$(.*?)(?<!\\)\$", out)
    joined = " ".join(math_parts)
    assert r"\le" in joined and r"\|W\|_{2,4}" in joined and r"\%" in joined and r"\&" in joined
    assert "x^{2}" in joined and r"W_{\ast}" in joined and r"\mathrm{rhs}_{\mathrm{main}}" in joined
    assert "for all" in _outside_math(out) and not _raw_specials(_outside_math(out))
    assert out.count("$") % 2 == 0


def test_scripts_and_roots():
    assert latex.mixed("m^-1/2") == "$m^{-1/2}$"
    assert latex.mixed("B_x^2p") == "$B_{x}^{2p}$"
    assert latex.mixed("B_w*") == r"$B_{w\ast}$"
    assert latex.mixed("f^(1)") == "$f^{(1)}$"
    assert latex.mixed("sqrt(d)") == r"$\sqrt{d}$"
    assert latex.mixed("(p v 1)^3") == r"$(p\allowbreak\vee\allowbreak1)^{3}$"


def test_numbers():
    assert latex.number(1.234e-5) == r"$1.23\times10^{-5}$"
    assert latex.number(0.5, relation="<=") == r"$\le\,0.5$"
    assert latex.number(float("inf")) == r"$\infty$"


def _records():
    """Synthetic records covering every cell kind, with hostile text."""
    records = []
    for k, (label, statement) in enumerate((c.label, c.statement) for c in claims().values()):
        rec = exact(0.1 * (k + 1), 1.0 + k, "<=",
                                params={"statement": statement, "part": statement if k % 3 == 0 else ""}, claim=label)
        records.append(rec)
    records.append(CheckResult("Theorem 2", 0.3, 0.1, "<=", -0.2, "VIOLATED", (0.25, 0.35),
                               {"part": "100% & 50_x ^ y || z <= w #3 ~", "hypotheses": {"(6)": False}}))
    records.append(CheckResult("Section 6 moments", -1.5e-7, 3.0e12, ">=", 3e12, "INCONCLUSIVE", None, {"order": 3}))
    return records


def test_escaping_in_the_verdict_table():
    text = format_output(_records(), "latex")
    assert r"\toprule" in text and r"\caption{" in text and r"\label{tab:boundcheck-verdicts}" in text
    hostile = [line for line in text.splitlines() if line.startswith("Theorem 2") and "100" in line][0]
    assert r"100\%" in hostile and r"\&" in hostile and r"\|" in hostile and r"\le" in hostile and r"\#" in hostile


def _compile(tmp_path, body):
    tex = tmp_path / "doc.tex"
    tex.write_text(latex.document(body), encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name], cwd=tmp_path,
                          capture_output=True, timeout=120)
    log = (tmp_path / "doc.log").read_text(errors="replace")
    return proc.returncode, log


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_tables_compile_and_fit_the_page(tmp_path):
    records = _records()
    rows = [{"learner": "quadratic", "n_predicted": 1.5e9, "expression": "C*32*pi*d**3/(delta*epsilon**2)",
             "note": "needs n >= d; 5% & more_than_that"}]
    body = "\n".join([format_output(records, "latex"), format_output(errata_table(), "latex"),
                      format_output(Table(rows=rows), "latex")])
    status, log = _compile(tmp_path, body)
    assert status == 0, log[-3000:]
    overfull = re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)
    assert not overfull, f"boxes too wide by {overfull} pt"
    # nine long text columns cannot fit a page: the table still compiles, in smaller type, within the line
    status, log = _compile(tmp_path, format_output(errata.rows(wide=False), "latex"))
    assert status == 0 and "in alignment" not in log


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_a_broken_table_fails_to_compile(tmp_path):
    status, _ = _compile(tmp_path, r"\begin{longtable}{ll} a & b_c^d_e \\ \end{longtable}")
    assert status != 0  # the compile test can fail


def test_records_table_latex_cells_match_columns():
    table = records_table(_records())
    assert all(len(row) == 6 for row in table.latex_cells)
