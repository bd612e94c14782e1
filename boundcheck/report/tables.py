"""Tables in every format from check records or plain rows: terminal, Markdown, LaTeX, CSV, JSON.

``format_output`` takes what a command produced (a list of
:class:`~boundcheck.results.CheckResult`, a list of row dicts, or one dict) and the format name.
JSON keeps full precision; the text formats round numbers to ``digits`` significant digits.
"""

from __future__ import annotations

import csv
import io
import json
import math

from ..results import CheckResult, _plain

__all__ = ["FORMATS", "format_output", "records_to_rows", "format_rows"]

FORMATS = ("table", "markdown", "latex", "csv", "json")
TERMINAL_CELL = 64


def _cell(value, digits=4):
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.{digits}g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_cell(v, digits) for v in value) + "]"
    return str(value)


_PARAM_SHORT = {"n_samples": "n", "width": "m", "dim": "d", "radius": "B_w", "degree": "p", "activation": "act",
                "loss": "loss", "draws": "draws"}


def _parameters(params):
    """The parameters worth a column, e.g. "n=256 m=512 d=16 act=relu3"."""
    return " ".join(f"{short}={_cell(params[key], 3)}" for key, short in _PARAM_SHORT.items() if key in params)


def records_to_rows(records):
    """One row dict per record, with the columns of the verification table.

    ``kind`` is ``exact``, ``MC`` (a Monte Carlo side with its interval) or ``rate`` (then lhs is
    the fitted exponent, rhs the claimed one, interval the exponent's interval).
    """
    with_part = any("part" in rec.params for rec in records)
    rows = []
    for rec in records:
        row = {"claim": rec.claim, "statement": rec.params.get("statement", "")}
        if with_part:
            row["part"] = rec.params.get("part", "")
        row["parameters"] = _parameters(rec.params)
        row["kind"] = {"rate_replicates": "rate", "mean": "MC", "paired": "MC"}.get(rec.kind, rec.kind)
        row.update(lhs=rec.lhs, relation=rec.relation, rhs=rec.rhs, margin=rec.margin, interval=rec.interval,
                   level=rec.params.get("level"), verdict=rec.reading)
        rows.append(row)
    return rows


def _latex_escape(text):
    table = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
             "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}
    return "".join(table.get(ch, ch) for ch in text)


def format_rows(rows, fmt, digits=4):
    """Format a list of flat row dicts (the union of their keys are the columns)."""
    columns = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    cells = [[_cell(row.get(c), digits) for c in columns] for row in rows]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(row.get(c), 17) for c in columns] for row in rows])
        return buf.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
        return "\n".join(lines) + "\n"
    if fmt == "latex":
        spec = "".join("r" if all(_is_number(row.get(c)) for row in rows) else "l" for c in columns)
        lines = [r"% booktabs table: needs \usepackage{booktabs}", r"\begin{tabular}{" + spec + "}", r"\toprule",
                 " & ".join(_latex_escape(c) for c in columns) + r" \\", r"\midrule"]
        lines += [" & ".join(_latex_escape(c) for c in row) + r" \\" for row in cells]
        lines += [r"\bottomrule", r"\end{tabular}"]
        return "\n".join(lines) + "\n"
    # terminal table: long text cells (statements) are cut to one readable line
    cells = [[v if len(v) <= TERMINAL_CELL else v[: TERMINAL_CELL - 3] + "..." for v in row] for row in cells]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines) + "\n"


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _flatten(obj, prefix=""):
    flat = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def format_output(obj, fmt="table", *, provenance=None, digits=4):
    """Render a command's output in ``fmt`` (one of ``FORMATS``).

    In JSON a list of records stays a list of records (provenance goes into each record's
    params), a dict gains a ``provenance`` key, a list of rows stays a list of rows.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    summary = None
    if hasattr(obj, "records") and hasattr(obj, "summary"):  # a run of claims (boundcheck.run.runner.Run)
        summary, obj = obj.summary(), list(obj.records)
    is_records = isinstance(obj, list) and obj and all(isinstance(r, CheckResult) for r in obj)
    if fmt == "json":
        if is_records:
            payload = []
            for rec in obj:
                d = rec.to_dict()
                if provenance:
                    d["params"]["provenance"] = _plain(provenance)
                payload.append(d)
        elif isinstance(obj, dict):
            payload = _plain(dict(obj, **({"provenance": provenance} if provenance else {})))
        else:
            payload = _plain(obj)
        return json.dumps(payload, indent=2, sort_keys=False) + "\n"
    if is_records:
        rows = records_to_rows(obj)
    elif isinstance(obj, dict):
        flat = _flatten(_plain(obj))
        if fmt in ("csv",):
            rows = [flat]
        else:
            rows = [{"quantity": k, "value": v} for k, v in flat.items()]
    else:
        rows = [_flatten(_plain(r)) if isinstance(r, dict) else {"value": r} for r in obj]
    text = format_rows(rows, fmt, digits)
    if summary is not None and fmt == "table":
        text += summary_line(summary) + "\n"
    return text


def summary_line(summary):
    """One line: claims, records, verdict counts, records outside hypotheses, errata."""
    return (f"{summary['claims']} claims, {summary['records']} records: {summary['HOLDS']} HOLDS, "
            f"{summary['INCONCLUSIVE']} INCONCLUSIVE, {summary['VIOLATED']} VIOLATED; "
            f"{summary['outside hypotheses']} outside hypotheses; {summary['errata']} errata "
            f"(run level {1 - summary['alpha']:g}, seed {summary['seed']})")
