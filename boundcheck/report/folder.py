r"""The battery as a folder a co-author can open: a Markdown page, the tables in every format, LaTeX, figures.

:func:`write_report` takes the records of a run (every registered battery claim, by the same runner
call as ``boundcheck verify --all``) and writes

``index.md``
    the page: provenance, the summary line, the verdict table with its footnotes (errata, unmet
    hypotheses), the errata register, the figures, the list of files;
``verdicts.csv``, ``records.json``
    every column of every record (JSON: the records with their params and provenance);
``errata.csv``, ``errata.json``
    the register (:mod:`boundcheck.errata`) with its quotes and line numbers;
``verdicts.tex``, ``errata.tex``
    LaTeX fragments (longtables with booktabs, captions and labels) to ``\input`` in a paper;
``report.tex``
    a standalone document holding both fragments (compiles with pdflatex; ``report.pdf`` beside it
    when ``pdf=True`` and pdflatex is installed);
``figures/shares.png``, ``figures/rates.png``, ``figures/samples.png``
    the share of the bound each record uses, every fitted rate against its claimed exponent, and
    the predicted sample sizes of Section 5.2.

Every file is written to a temporary name and renamed, so a failure leaves no partial file.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess

import numpy as np

from .. import errata as errata_register
from ..results import _plain
from . import latex
from .figures import legend, pyplot, write_figure
from .files import write_text
from .tables import Table, errata_table, format_output, records_table

__all__ = ["write_report", "REPORT_FILES", "plot_shares"]

REPORT_FILES = ("index.md", "verdicts.csv", "records.json", "errata.csv", "errata.json", "verdicts.tex", "errata.tex",
                "report.tex", "figures/shares.png", "figures/rates.png", "figures/samples.png")
_VERDICT_COLORS = {"HOLDS": "C2", "INCONCLUSIVE": "C1", "VIOLATED": "C3"}


def plot_shares(records, path):
    """Horizontal bars: the share of its bound each record uses (lhs/rhs for <=, rhs/lhs for >=), log scale,
    coloured by verdict, the bound at 1. Records without a share (rates, identities) are left out."""
    from .tables import _distinguishing, share_of_bound

    labels = _distinguishing(records)
    items = []
    for rec, label in zip(records, labels):
        share = share_of_bound(rec)
        if share is None or share <= 0:
            continue
        part = str(rec.params.get("part") or "")
        text = rec.claim + (f" [{label}]" if label else "") + (f": {part}" if part else "")
        items.append((text if len(text) <= 60 else text[:57] + "...", share, rec.verdict))
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8.0, 1.0 + 0.22 * max(len(items), 1)))
    if items:
        ys = np.arange(len(items))[::-1]
        ax.barh(ys, [s for _, s, _ in items], color=[_VERDICT_COLORS.get(v, "C7") for _, _, v in items], height=0.7)
        ax.set_yticks(ys)
        ax.set_yticklabels([t for t, _, _ in items], fontsize=6.5)
        ax.set_xscale("log")
        ax.axvline(1.0, color="k", lw=0.8, ls="--")
        ax.set_ylim(-0.7, len(items) - 0.3)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(color=color, label=verdict) for verdict, color in _VERDICT_COLORS.items()]
    handles.append(Line2D([], [], color="k", ls="--", lw=0.8, label="the bound (share 1)"))
    ax.set_xlabel("share of the bound used (lhs/rhs for <=, rhs/lhs for >=)")
    ax.set_title("How much of each bound the measurement uses", fontsize=9)
    legend(ax, handles=handles, ncol=4)
    return write_figure(fig, path)


def _markdown_table(table, columns, digits=4):
    short = Table(rows=[{c: row.get(c) for c in columns} for row in table.rows], footnotes=table.footnotes)
    return format_output(short, "markdown", digits=digits)


def _provenance_line(provenance):
    if not provenance:
        return ""
    versions = provenance.get("versions", {})
    shown = ", ".join(f"{k} {v}" for k, v in versions.items() if v)
    return f"Seed {provenance.get('seed')}; {shown}."


def _index(table, entries, provenance, figures, files):
    lines = ["# boundcheck report", "",
             "Every claim of the battery checked at its default sizes: Bai & Lee, \"Beyond Linearization: On Quadratic "
             "and Higher-Order Approximation of Wide Neural Networks\" (ICLR 2020; pack bai-lee-2020) and Nichani, "
             "Bai & Lee (NeurIPS 2022; pack nichani-bai-lee-2022).", ""]
    if provenance:
        lines += [_provenance_line(provenance), ""]
    lines += ["## Summary", "", table.summary, "",
              "An inequality HOLDS when its whole confidence interval clears the bound and is VIOLATED when the whole "
              "interval is on the wrong side; an equality HOLDS when its interval lies inside its stated margin band and "
              "is VIOLATED when it misses the band; INCONCLUSIVE otherwise. The levels are set for the run as a whole "
              "(each record prints its own). `*`: measured outside the claim's hypotheses (no evidence "
              "for or against the paper). Notes: `E…` errata of the paper (below), `H…` unmet hypotheses.", "",
              "## Verdicts", "",
              _markdown_table(table, ("claim", "part", "lhs", "relation", "rhs", "used", "verdict", "notes")).rstrip(),
              "", "Every column (statement, parameters, interval, level, margins, hypotheses): "
              "[verdicts.csv](verdicts.csv), [records.json](records.json). LaTeX: [verdicts.tex](verdicts.tex).", "",
              "## Errata of the paper", "",
              "What the paper prints against what its proof gives, both numbers recomputed by boundcheck's tests "
              "(`boundcheck errata`). Quotes and line numbers refer to the extracted source text "
              f"`{errata_register.SOURCE_NAME}`.", ""]
    etable = errata_table(entries)
    lines += [_markdown_table(Table(rows=etable.rows), ("id", "claim", "status", "title", "printed_value",
                                                        "derived_value", "setting")).rstrip(), ""]
    for e in entries:  # one paragraph per entry
        quotes = "; ".join(f"line {line}: `{text}`" for line, text in e.quotes)
        lines += [f"**{e.id}** ({e.status}) {e.title}. Printed: {e.printed}. Derived: {e.derived}. "
                  f"At {e.setting}: printed {e.printed_value:.6g}, derived {e.derived_value:.6g}. {e.note} "
                  f"Source: {quotes}.", ""]
    lines += ["## Figures", ""]
    for name, (title, text) in figures.items():
        lines += [f"### {title}", "", text, "", f"![{title}](figures/{name})", ""]
    lines += ["## Files", ""] + [f"- [{path}]({path}): {what}" for path, what in files] + [""]
    return "\n".join(lines)


def _compile(folder):
    """pdflatex report.tex in ``folder`` (twice, for the longtable widths); True when report.pdf was made."""
    if shutil.which("pdflatex") is None:
        return False
    for _ in range(2):
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"], cwd=folder,
                              capture_output=True, timeout=300)
        if proc.returncode != 0:
            return False
    for junk in ("report.aux", "report.log"):
        if os.path.exists(os.path.join(folder, junk)):
            os.unlink(os.path.join(folder, junk))
    return os.path.exists(os.path.join(folder, "report.pdf"))


def write_report(folder, records, *, provenance=None, samples_rows=None, pdf=False, run=None):
    """Write the report of ``records`` into ``folder`` (created if missing); returns ``[(file, what), ...]``.

    ``samples_rows`` (from :func:`boundcheck.complexity.prediction_rows`) adds the sample-size figure.
    """
    if not records:
        raise ValueError("records must hold at least one check record; got none")
    os.makedirs(os.path.join(folder, "figures"), exist_ok=True)
    table = records_table(records, provenance=provenance, run=run)
    entries = list(errata_register.entries())
    files = []

    def put(name, text, what):
        write_text(os.path.join(folder, name), text)
        files.append((name, what))

    put("verdicts.csv", format_output(table, "csv"), "every column of every record")
    payload = []
    for rec in records:  # the records as JSON, each with the run's provenance
        d = rec.to_dict()
        if provenance:
            d["params"]["provenance"] = _plain(provenance)
        payload.append(d)
    put("records.json", json.dumps(payload, indent=2) + "\n", "the records (claim, lhs, rhs, relation, margin, "
                                                              "verdict, interval, params, seed)")
    etable = errata_table(entries)
    put("errata.csv", format_output(etable, "csv"), "the errata register, every field")
    put("errata.json", format_output(etable, "json"), "the errata register with its quotes and line numbers")
    put("verdicts.tex", format_output(table, "latex"), r"LaTeX fragment: the verdict longtable (\input it)")
    put("errata.tex", format_output(etable, "latex"), r"LaTeX fragment: the errata longtable (\input it)")
    put("report.tex", latex.document(r"\input{verdicts}", r"\input{errata}", title="boundcheck report"),
        "standalone LaTeX document holding both fragments (pdflatex report.tex)")

    figures = {}
    plot_shares(records, os.path.join(folder, "figures", "shares.png"))
    figures["shares.png"] = ("Share of the bound used", "Each record with positive sides: lhs/rhs for <=, rhs/lhs for "
                                                        ">=; the dashed line is the bound; colour: verdict.")
    files.append(("figures/shares.png", "share of the bound used, per record"))
    rates = [r for r in records if "fit_x" in r.params and "fit_y" in r.params and r.interval is not None
             and all(math.isfinite(float(v)) for v in r.interval)]
    if rates:
        from .plots import plot_fit_records

        plot_fit_records(rates, os.path.join(folder, "figures", "rates.png"))
        figures["rates.png"] = ("Fitted rates", "Every rate record of the run: the measured points, the fitted "
                                                "exponent with its interval (solid) and the claimed one (dashed).")
        files.append(("figures/rates.png", "fitted rates against the claimed exponents"))
    if samples_rows:
        from .plots_complexity import plot_predictions

        plot_predictions(samples_rows, os.path.join(folder, "figures", "samples.png"))
        figures["samples.png"] = ("Predicted sample sizes (Section 5.2)",
                                  "The explicit forms of the bounds (hidden constants 1), the crossover marked; "
                                  "`boundcheck samples --crossover` gives d* against the ratio of the constants.")
        files.append(("figures/samples.png", "predicted sample sizes against d"))
    if pdf and _compile(folder):
        files.append(("report.pdf", "report.tex compiled"))
    index = _index(table, entries, provenance, figures, [("index.md", "this page")] + files)
    put("index.md", index, "this page")
    return [("index.md", "this page")] + [f for f in files if f[0] != "index.md"]
