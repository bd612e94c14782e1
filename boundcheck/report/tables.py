r"""Tables in every format from check records or plain rows: terminal, Markdown, LaTeX, CSV, JSON.

``format_output`` takes what a command produced (a list of
:class:`~boundcheck.results.CheckResult`, a :class:`Table`, a list of row dicts, or one dict) and
the format name.

Check records become the verification table (:func:`records_table`):

* the default terminal table fits :data:`TERMINAL_WIDTH` columns: claim, part (with the parameter
  that tells rows of one part apart, e.g. ``k=3``), lhs, relation, rhs, the share of the bound used,
  the verdict (``*`` when the record was measured outside its hypotheses) and a notes marker; then
  a summary line and footnotes for the errata (``E3``, see ``boundcheck errata``) and the unmet
  hypotheses (``H1``);
* ``wide=True`` (``--wide``), Markdown, CSV and JSON keep every column;
* LaTeX is a ``longtable`` with booktabs rules and wrapping columns that fits the page, statements
  in math mode (:mod:`boundcheck.report.latex`), a caption, a label and the footnotes below.

JSON keeps full precision; the text formats round numbers to ``digits`` significant digits.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import re
import textwrap

from ..results import CheckResult, _plain
from . import latex

__all__ = ["FORMATS", "TERMINAL_WIDTH", "Table", "format_output", "records_to_rows", "records_table", "errata_table",
           "format_rows", "share_of_bound", "summary_counts"]

FORMATS = ("table", "markdown", "latex", "csv", "json")
TERMINAL_WIDTH = 120
TERMINAL_CELL = 64  # longest text cell of a wide terminal table


@dataclasses.dataclass
class Table:
    """Rows with everything a write-up needs around them.

    ``rows`` hold every column (wide terminal, Markdown, CSV); ``short`` names the columns of the
    default terminal table and of LaTeX (all when empty); ``flexible`` the columns the terminal may
    cut to fit :data:`TERMINAL_WIDTH`, in order; ``summary`` is one line, ``footnotes`` are
    ``(marker, text)`` pairs; ``caption`` and ``label`` are for LaTeX, ``latex_widths`` the column
    widths there (fractions of the line, default from the content) and ``latex_math`` the columns
    whose text is a formula; ``payload`` is what JSON prints (default: the rows).
    """

    rows: list
    short: tuple = ()
    flexible: tuple = ()
    summary: str = ""
    footnotes: tuple = ()
    caption: str = "boundcheck"
    label: str = "tab:boundcheck"
    latex_widths: dict | None = None
    latex_math: tuple = ()
    latex_cells: list | None = None  # precomputed LaTeX cells of the short columns, one list per row
    payload: object = None
    headers: dict = dataclasses.field(default_factory=dict)  # shorter terminal headers, e.g. relation -> rel
    latex_columns: tuple = ()  # the columns of the LaTeX table (default: the short ones)
    latex_align: tuple = ()  # "l" or "r" per LaTeX column (default: numbers right)

    def columns(self, wide=False):
        every = []
        for row in self.rows:
            for key in row:
                if key not in every:
                    every.append(key)
        return every if wide or not self.short else [c for c in self.short if c in every or not self.rows]


def _cell(value, digits=4):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.{digits}g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_cell(v, digits) for v in value) + "]"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell(v, digits)}" for k, v in value.items())
    return str(value)


def _cut(text, width):
    return text if len(text) <= width else text[: max(width - 3, 1)] + "..."


# --------------------------------------------------------------------------------------------
# the verification table


_PARAM_SHORT = {"n_samples": "n", "width": "m", "dim": "d", "radius": "B_w", "degree": "p", "activation": "act",
                "loss": "loss", "draws": "draws"}
#: Parameters that tell apart records of one (claim, part), in the order they are tried; short names.
_DISTINGUISH = (("order", "k"), ("degree", "p"), ("failure_prob", "delta"), ("k", "k"), ("width", "m"),
                ("dim", "d"), ("n_samples", "n"), ("radius", "B_w"), ("input_radius", "B_x"), ("accuracy", "eps"),
                ("activation", "act"), ("loss", "loss"), ("varied", "varied"), ("level", "level"))


def _parameters(params):
    """The parameters worth a column, e.g. "n=256 m=512 d=16 act=relu3"."""
    return " ".join(f"{short}={_cell(params[key], 3)}" for key, short in _PARAM_SHORT.items() if key in params)


def share_of_bound(record):
    """lhs/rhs for "<=" with positive sides, rhs/lhs for ">=" with positive sides, else None."""
    lhs, rhs = record.lhs, record.rhs
    if not all(isinstance(v, (int, float)) and math.isfinite(v) and v > 0 for v in (lhs, rhs)):
        return None
    if record.relation == "<=":
        return lhs / rhs
    if record.relation == ">=":
        return rhs / lhs
    return None


def _percent(share):
    if share is None:
        return ""
    pct = 100.0 * share
    if pct >= 10:
        return f"{pct:.0f}%"
    if pct >= 1:
        return f"{pct:.1f}%"
    if pct >= 0.01:
        return f"{pct:.2f}%"
    return "<0.01%"


def _hypotheses(params):
    """``{name: met}`` from ``params["hypotheses"]``."""
    return {str(k): bool(v) for k, v in (params.get("hypotheses") or {}).items()}


def _errata_ids(rec):
    return [str(i) for i in (rec.params.get("errata") or [])]


def _distinguishing(records):
    """Per record, the ``name=value`` text that tells it from the other records of its (claim, part)."""
    groups = {}
    for i, rec in enumerate(records):
        groups.setdefault((rec.claim, str(rec.params.get("part", ""))), []).append(i)
    labels = [""] * len(records)
    for members in groups.values():
        if len(members) < 2:
            continue
        chosen = []
        for key, short in _DISTINGUISH:
            values = [records[i].params.get(key) for i in members]
            if all(isinstance(v, (int, float, str)) for v in values) and len({str(v) for v in values}) > 1:
                chosen.append((key, short))
                if len({tuple(str(records[i].params.get(k)) for k, _ in chosen) for i in members}) == len(members):
                    break
        for rank, i in enumerate(members):
            bits = [f"{short}={_cell(records[i].params.get(key), 3)}" for key, short in chosen]
            labels[i] = " ".join(bits) if chosen else f"#{rank + 1}"
    return labels


def _ranges(ids):
    """"E1-E3, E5" from ["E1", "E2", "E3", "E5"]."""
    nums = sorted(int(re.sub(r"\D", "", i) or 0) for i in ids)
    out, start = [], None
    for k, num in enumerate(nums):
        if start is None:
            start = num
        if k + 1 == len(nums) or nums[k + 1] != num + 1:
            out.append(f"E{start}" if start == num else f"E{start}-E{num}")
            start = None
    return ", ".join(out)


def _hypothesis_note(verdict, unmet):
    names = " and ".join(unmet)
    verb = "is" if len(unmet) == 1 else "are"
    if verdict == "VIOLATED":
        head = f"fails, but {names} {verb} not met"
    elif verdict == "HOLDS":
        head = f"holds although {names} {verb} not met"
    else:
        head = f"inconclusive; {names} {verb} not met"
    return head + ": measured outside its hypotheses, so no evidence for or against the paper"


def summary_counts(records):
    """Counts for the summary line: claims, records, per verdict, outside hypotheses, errata ids."""
    counts = {"claims": len({r.claim for r in records}), "records": len(records), "HOLDS": 0, "INCONCLUSIVE": 0,
              "VIOLATED": 0, "outside": 0, "violated_within": 0}
    ids = set()
    for rec in records:
        counts[rec.verdict] = counts.get(rec.verdict, 0) + 1
        outside = any(not v for v in _hypotheses(rec.params).values())
        counts["outside"] += outside
        counts["violated_within"] += rec.verdict == "VIOLATED" and not outside
        ids.update(_errata_ids(rec))
    counts["errata"] = sorted(ids, key=lambda i: int(re.sub(r"\D", "", i) or 0))
    return counts


def _summary_line(counts):
    text = (f"{counts['claims']} claims, {counts['records']} records: {counts['HOLDS']} HOLDS, "
            f"{counts['INCONCLUSIVE']} INCONCLUSIVE, {counts['VIOLATED']} VIOLATED "
            f"({counts['violated_within']} within hypotheses); {counts['outside']} outside hypotheses; ")
    if counts["errata"]:
        text += f"errata {_ranges(counts['errata'])} ({len(counts['errata'])}; boundcheck errata)"
    else:
        text += "no errata"
    return text


def records_table(records, *, provenance=None, run=None):
    """The verification :class:`Table` of a list of :class:`~boundcheck.results.CheckResult`
    (``run``: the :class:`~boundcheck.run.runner.Run` they come from, for the summary line)."""
    from .. import errata

    labels = _distinguishing(records)
    notes_by_key, hyp_notes, used_errata = {}, [], []
    rows, tex = [], []
    for rec, label in zip(records, labels):
        part = str(rec.params.get("part") or "")
        statement = str(rec.params.get("statement", ""))
        shown = part or statement
        if label:
            shown = f"{label}: {shown}" if shown else label
        hyp = _hypotheses(rec.params)
        unmet = [name for name, met in hyp.items() if not met]
        ids = _errata_ids(rec)
        marks = list(ids)
        for i in ids:
            if i not in used_errata:
                used_errata.append(i)
        if unmet:
            key = (rec.verdict, tuple(unmet))
            if key not in notes_by_key:
                notes_by_key[key] = f"H{len(notes_by_key) + 1}"
                hyp_notes.append((notes_by_key[key], _hypothesis_note(rec.verdict, unmet)))
            marks.append(notes_by_key[key])
        share = share_of_bound(rec)
        kind = {"rate_replicates": "rate", "mean": "MC", "paired": "MC"}.get(rec.kind, rec.kind)
        rows.append({
            "claim": rec.claim, "part": shown, "statement": statement, "parameters": _parameters(rec.params),
            "kind": kind, "lhs": rec.lhs, "relation": rec.relation, "rhs": rec.rhs, "used": _percent(share),
            "margin": rec.margin, "interval": rec.interval, "level": rec.params.get("level"),
            "equivalence_margin": rec.params.get("equivalence_margin"), "margin_reason": rec.params.get("margin_reason"),
            "hypotheses": "; ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in hyp.items()),
            "verdict": rec.verdict + ("*" if unmet else ""), "outside_hypotheses": bool(unmet),
            "errata": ", ".join(ids), "notes": ",".join(marks)})
        verdict_tex = r"\textsc{" + rec.verdict.lower() + "}" + (r"$^{\ast}$" if unmet else "")
        if marks:
            verdict_tex += r"\newline{\scriptsize " + latex.escape(", ".join(marks)) + "}"
        tex.append([latex.escape(rec.claim), latex.mixed(shown), latex.number(rec.lhs),
                    latex.number(rec.rhs, relation=rec.relation),
                    latex.escape(_percent(share)), verdict_tex])
    footnotes = []
    for i in sorted(used_errata, key=lambda e: int(re.sub(r"\D", "", e) or 0)):
        try:
            e = errata.get(i)
        except ValueError:
            footnotes.append((i, "(not in this version's errata register)"))
            continue
        footnotes.append((i, f"[{e.status}] {e.title}: printed {e.printed_value:.4g}, derived {e.derived_value:.4g} "
                             f"({e.setting})"))
    if hyp_notes:
        footnotes += hyp_notes
    if any(r["outside_hypotheses"] for r in rows):
        footnotes.append(("*", "measured outside the claim's hypotheses (see its H note)"))
    counts = summary_counts(records)
    summary = _summary_line(counts)
    if run is not None:
        summary += (f"; run level {1 - run.alpha:g} (chance of any false VIOLATED <= {run.alpha:g}), seed {run.seed}"
                    + (f", budget {run.budget:g} ({run.looks} looks)" if run.budget > 1 else ""))
    seed = (provenance or {}).get("seed")
    packs = sorted({str(r.params.get("pack", "")) for r in records} - {""})
    source = {"bai-lee-2020": "Bai \\& Lee (ICLR 2020)", "nichani-bai-lee-2022": "Nichani, Bai \\& Lee (NeurIPS 2022)"}
    caption = ("Verdicts of boundcheck on the claims of "
               + (" and ".join(source.get(p, latex.escape(p)) for p in packs) or "the checks run")
               + (f", seed {latex.escape(seed)}" if seed is not None else "")
               + ". Used: share of the bound used (lhs/rhs for $\\le$, rhs/lhs for $\\ge$).")
    return Table(rows=rows, short=("claim", "part", "lhs", "relation", "rhs", "used", "verdict", "notes"),
                 flexible=("part", "claim"), summary=summary, footnotes=tuple(footnotes),
                 caption=caption, label="tab:boundcheck-verdicts",
                 latex_widths={"claim": 0.135, "part": 0.31, "lhs": 0.115, "rhs": 0.135, "used": 0.085, "verdict": 0.155},
                 latex_cells=tex, latex_columns=("claim", "part", "lhs", "rhs", "used", "verdict"),
                 latex_align=("l", "l", "r", "r", "r", "l"), headers={"relation": "rel"})


def errata_table(entries=None, *, recomputed=False):
    """The errata register (:mod:`boundcheck.errata`) as a :class:`Table`: a short terminal table, the
    printed and derived sides of each entry as footnotes, every field in wide / Markdown / CSV / JSON,
    and a page-wide LaTeX table (printed and derived in math mode, both numbers, the source lines)."""
    from .. import errata

    chosen = list(entries) if entries is not None else list(errata.entries())
    rows = errata.rows([e.id for e in chosen], with_recomputed=recomputed) if chosen else []
    footnotes = [(e.id, f"printed: {e.printed}. Derived: {' '.join(e.derived.split())}. At {e.setting}: printed "
                        f"{e.printed_value:.6g}, derived {e.derived_value:.6g}. Source lines "
                        f"{', '.join(str(line) for line in e.lines)}.") for e in chosen]
    statuses = {}
    for e in chosen:
        statuses[e.status] = statuses.get(e.status, 0) + 1
    summary = (f"{len(chosen)} entries: " + ", ".join(f"{n} {k}" for k, n in statuses.items())
               + f"; quotes and lines refer to {errata.SOURCE_NAME}")
    tex = [[latex.escape(e.id), latex.escape(", ".join(e.claims)), latex.escape(e.status), latex.mixed(e.printed),
            latex.mixed(" ".join(e.derived.split())),
            latex.number(e.printed_value) + r"\newline " + latex.number(e.derived_value),
            latex.escape(", ".join(str(line) for line in e.lines))] for e in chosen]
    short = ("id", "claim", "status", "printed_value", "derived_value", "title")
    payload = [dict(dataclasses.asdict(e), quotes=[{"line": line, "text": text} for line, text in e.quotes])
               for e in chosen]
    if recomputed:
        short += ("matches",)
        for entry, row in zip(payload, rows):
            entry.update(printed_recomputed=row["printed_recomputed"], derived_recomputed=row["derived_recomputed"],
                         matches=row["matches"])
    return Table(rows=rows, short=short, flexible=("title", "claim"), summary=summary, footnotes=tuple(footnotes),
                 caption=r"Errata register of boundcheck: printed against derived, both numbers at a stated setting "
                         r"(see the notes); line numbers refer to the extracted source text.",
                 label="tab:boundcheck-errata",
                 latex_columns=("id", "claim", "status", "printed", "derived", "values", "lines"),
                 latex_widths={"id": 0.04, "claim": 0.105, "status": 0.115, "printed": 0.245, "derived": 0.26,
                               "values": 0.1, "lines": 0.06},
                 latex_align=("l", "l", "l", "l", "l", "r", "l"), latex_cells=tex, payload=payload,
                 headers={"printed_value": "printed", "derived_value": "derived"})


def records_to_rows(records):
    """One row dict per record, with every column of the verification table (see :func:`records_table`)."""
    return records_table(records).rows


# --------------------------------------------------------------------------------------------
# rendering


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _terminal(table, wide, digits, wrap=True):
    columns = table.columns(wide)
    names = [table.headers.get(c, c) if not wide else c for c in columns]
    cells = [[_cell(row.get(c), digits) for c in columns] for row in table.rows]
    if wide:
        cells = [[_cut(v, TERMINAL_CELL) for v in row] for row in cells]
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(names)]
    if not wide:
        excess = sum(widths) + 2 * (len(widths) - 1) - TERMINAL_WIDTH
        for name in table.flexible:  # cut the flexible columns, in order, down to a floor
            if excess <= 0 or name not in columns:
                continue
            i = columns.index(name)
            floor = max(len(name), 12)
            take = min(excess, max(widths[i] - floor, 0))
            widths[i] -= take
            excess -= take
        cells = [[_cut(v, w) for v, w in zip(row, widths)] for row in cells]
    lines = ["  ".join(c.ljust(w) for c, w in zip(names, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    lines += _notes_lines(table, TERMINAL_WIDTH if wrap else None)
    return "\n".join(lines) + "\n"


def _notes_lines(table, limit):
    out = []
    if table.summary:
        out += [""] + (textwrap.wrap("Summary: " + table.summary, limit, subsequent_indent="  ") if limit
                       else ["Summary: " + table.summary])
    for marker, text in table.footnotes:
        head = f"{marker:>3} "
        out += (textwrap.wrap(head + text, limit, subsequent_indent=" " * len(head)) if limit else [head + text])
    return out


_MARKDOWN_ACTIVE = set("_*^~<>[]\\`")


def _markdown_cell(value, digits):
    """A Markdown table cell: text with characters Markdown would act on (``_ * ^ < >`` ...) as code."""
    text = _cell(value, digits).replace("\n", " ")
    if not _is_number(value) and any(ch in _MARKDOWN_ACTIVE for ch in text):
        text = "`" + text.replace("`", "'") + "`"
    return text.replace("|", "\\|")


def _markdown_text(text):
    """Prose for Markdown: words with active characters (W_*, m^-1/2, <=) as code spans."""
    words = str(text).split(" ")
    return " ".join("`" + w.replace("`", "'") + "`" if any(ch in "_*^~<>\\`|" for ch in w) else w for w in words)


def _markdown(table, digits):
    columns = table.columns(wide=True)
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in table.rows:
        lines.append("| " + " | ".join(_markdown_cell(row.get(c), digits) for c in columns) + " |")
    if table.summary:
        lines += ["", f"**Summary:** {table.summary}"]
    if table.footnotes:
        lines.append("")
        lines += [f"- **{marker.replace('*', chr(92) + '*')}** " + _markdown_text(text)
                  for marker, text in table.footnotes]
    return "\n".join(lines) + "\n"


def _csv(table):
    columns = table.columns(wide=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[_cell(row.get(c), 17) for c in columns] for row in table.rows])
    return buf.getvalue()


def _latex(table, digits):
    columns = list(table.latex_columns) if table.latex_columns else table.columns(wide=False)
    if table.latex_cells is not None:
        body = table.latex_cells
    else:
        body = [[latex.number(row.get(c), digits=min(digits, 4)) if _is_number(row.get(c))
                 else latex.mixed(_cell(row.get(c), digits)) for c in columns] for row in table.rows]
    align = list(table.latex_align) or [
        "r" if table.rows and c != "claim" and all(_is_number(row.get(c)) or row.get(c) in (None, "")
                                                   for row in table.rows) else "l" for c in columns]
    size = r"\footnotesize"
    widths = table.latex_widths or _latex_widths(table, columns)
    if sum(widths.values()) > 1.0:  # the longest words do not fit: smaller type, then shrink what is left
        size = r"\scriptsize"
        widths = _latex_widths(table, columns, per_char=0.016 * 6 / 8)
    fractions = [widths[c] for c in columns]
    room = 0.985 - 0.0116 * (len(columns) - 1)  # the line minus the column separators (2 x 2pt each)
    if sum(fractions) > room:  # still too wide: shrink every column (long words may then stick out)
        fractions = [f * room / sum(fractions) for f in fractions]
    header = [r"\textbf{" + latex.escape(c.replace("_", " ")) + "}" for c in columns]
    notes = []
    if table.summary:
        notes.append(r"\textbf{Summary.} " + latex.mixed(table.summary))
    notes += [r"\textbf{" + latex.escape(marker) + "} " + latex.mixed(text) for marker, text in table.footnotes]
    return latex.longtable(header, body, widths=fractions, caption=table.caption, label=table.label,
                           notes=notes, align=align, size=size)


def _latex_widths(table, columns, per_char=0.016):
    """Column widths (fractions of the line): at least the longest word of the column (``per_char``:
    one character of the type size on a 345pt line), the rest shared in proportion to the content
    (capped), summing to the line minus the separators when the floors allow it."""
    room = 0.985 - 0.0116 * (len(columns) - 1)
    floors, shares = [], []
    for c in columns:
        texts = [c.replace("_", " ")] + [_cell(row.get(c), 3 if _is_number(row.get(c)) else 4) for row in table.rows]
        # the longest piece LaTeX cannot break: formulas break at spaces, brackets and operators
        longest_word = max(len(word) for text in texts for word in (re.split(r"[\s(),+=/<>|-]+", text) or [""]))
        floors.append(min(per_char * (longest_word + 1), 0.3))
        shares.append(min(max(len(text) for text in texts), 40))
    widths = [max(f, room * s / sum(shares)) for f, s in zip(floors, shares)]
    excess = sum(widths) - room
    if excess > 0:  # take it from the columns above their floor, in proportion to their slack
        slack = [w - f for w, f in zip(widths, floors)]
        total = sum(slack)
        widths = ([w - excess * sl / total for w, sl in zip(widths, slack)] if total > excess else floors)
    return dict(zip(columns, widths))  # may exceed the line when the floors do: _latex then sets smaller type


def format_rows(rows, fmt, digits=4, *, wide=False):
    """Format a list of flat row dicts (the union of their keys are the columns)."""
    return _render(Table(rows=list(rows)), fmt, digits, wide)


def _render(table, fmt, digits, wide):
    if fmt == "csv":
        return _csv(table)
    if fmt == "markdown":
        return _markdown(table, digits)
    if fmt == "latex":
        return _latex(table, digits)
    return _terminal(table, wide or not table.short, digits, wrap=not wide)


def _flatten(obj, prefix=""):
    flat = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def format_output(obj, fmt="table", *, provenance=None, digits=4, wide=False):
    """Render a command's output in ``fmt`` (one of ``FORMATS``).

    In JSON a list of records stays a list of records (provenance goes into each record's
    params), a dict gains a ``provenance`` key, a list of rows stays a list of rows, a
    :class:`Table` prints its ``payload`` (default: its rows). ``wide`` keeps every column in the
    terminal table.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    run = None
    if hasattr(obj, "records") and hasattr(obj, "exit_status"):  # a run of claims (boundcheck.run.runner.Run)
        run, obj = obj, list(obj.records)
    is_records = isinstance(obj, list) and obj and all(isinstance(r, CheckResult) for r in obj)
    if fmt == "json":
        if is_records:
            payload = []
            for rec in obj:
                d = rec.to_dict()
                if provenance:
                    d["params"]["provenance"] = _plain(provenance)
                payload.append(d)
        elif isinstance(obj, Table):
            payload = _plain(obj.payload if obj.payload is not None else obj.rows)
        elif isinstance(obj, dict):
            payload = _plain(dict(obj, **({"provenance": provenance} if provenance else {})))
        else:
            payload = _plain(obj)
        return json.dumps(payload, indent=2, sort_keys=False) + "\n"
    if is_records:
        table = records_table(obj, provenance=provenance, run=run)
    elif isinstance(obj, Table):
        table = obj
    elif isinstance(obj, dict):
        flat = _flatten(_plain(obj))
        table = Table(rows=[flat] if fmt == "csv" else [{"quantity": k, "value": v} for k, v in flat.items()])
    else:
        table = Table(rows=[_flatten(_plain(r)) if isinstance(r, dict) else {"value": r} for r in obj])
    return _render(table, fmt, digits, wide)
