r"""LaTeX for write-ups: escaped text, ASCII formulas in math mode, numbers, and page-wide longtables.

boundcheck's statements are ASCII formulas mixed with words ("E_Sigma f^L = 0 for all W"). 
:func:`mixed` turns such a string into LaTeX: runs of words become escaped text, the formulas
between them become ``$...$`` with ``<=`` as ``\le``, ``||`` as ``\|``, ``^(...)`` and ``_{...}`` as
groups, Greek names as Greek letters, ``sqrt(...)`` as ``\sqrt{...}``; every other special
character is escaped. :func:`escape` escapes plain text. :func:`longtable` lays out rows in a
``longtable`` with booktabs rules and wrapping ``p`` columns whose widths are fractions of
``\linewidth`` (so the table fits the page), a caption, a label and notes below it;
:func:`document` wraps fragments into a standalone file. The packages a fragment needs are
:data:`PACKAGES`.
"""

from __future__ import annotations

import math
import re

__all__ = ["PACKAGES", "escape", "mixed", "number", "longtable", "document"]

#: What a fragment of this module needs in the preamble.
PACKAGES = ("booktabs", "longtable", "array", "amsmath")

_TEXT_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                 "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
                 "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}


_UNICODE = {"\u2014": "---", "\u2013": "--", "\u2212": "-", "\u2019": "'", "\u2018": "`", "\u201d": "''",
            "\u201c": "``", "\u00a2": r"\textcent{}", "\u00ae": r"\textregistered{}", "\u00a7": r"\S{}",
            "\u2122": r"\texttrademark{}", "\u00b0": r"\textdegree{}", "\u00d7": r"$\times$", "\u00b1": r"$\pm$",
            "\u2264": r"$\le$", "\u2265": r"$\ge$", "\u2248": r"$\approx$", "\u2192": r"$\to$", "\u00a0": "~"}


def escape(text):
    r"""``text`` with every character special to LaTeX escaped (``<``, ``>``, ``|`` too: OT1 fonts misprint
    them); common non-ASCII punctuation becomes its LaTeX form, any other non-ASCII character ``?``."""
    out = []
    for ch in str(text):
        if ch in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            out.append(_UNICODE.get(ch, "?"))
    return "".join(out)


_GREEK = {name: "\\" + name for name in (
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa", "lambda", "mu", "nu", "xi", "pi",
    "rho", "sigma", "tau", "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma",
    "Phi", "Psi", "Omega")}
_GREEK["eps"] = r"\epsilon"
_FUNCTIONS = {name: "\\" + name for name in ("log", "exp", "max", "min", "sup", "inf", "sum", "lim", "det", "arccos",
                                             "cos", "sin", "tanh")}
_FUNCTIONS.update(grad=r"\nabla", nabla=r"\nabla")
_ROMAN = {"relu", "sign", "Var", "Cov", "rms", "diag", "Unif", "OPT", "tr", "softplus", "op", "II", "III", "lhs",
          "rhs"}
_RELATIONS = {"<=": r"\le", ">=": r"\ge", "==": "=", "!=": r"\ne", "->": r"\to", "||": r"\|", "...": r"\dots",
              "~": r"\sim", "*": r"\ast", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$", "\\": r"\backslash",
              "{": r"\{", "}": r"\}", '"': "''", "\u2212": "-"}
_NO_BREAK_BEFORE = {"^", "_", "'", "=", "<=", ">=", "==", "!=", "<", ">", "~", "+", "-", ",", ")", "]", ":", ";", "/",
                    "->"}
_BREAK_AFTER = {",", "+", "-", "=", "<", ">", ")", "]", r"\le", r"\ge", r"\ne", r"\sim", r"\to"}
_TOKEN = re.compile(r"\s+|<=|>=|==|!=|->|\|\||\.\.\.|[A-Za-z]+|\d+(?:\.\d+)?|.")
_NEUTRAL = set(",.;:'()[]-/")


def _is_prose(tokens, i):
    word = tokens[i]
    before = tokens[i - 1] if i > 0 else ""
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    if len(word) == 1 and word.isalpha() and before == "'" and i > 1 and tokens[i - 2].isalpha():
        return True  # the s of "proof's"
    if not word.isalpha() or len(word) < 2 or word in _GREEK or word in _FUNCTIONS or word in _ROMAN:
        return False
    if before[-1:].isdigit() or (len(word) <= 2 and before == "("):
        return False  # 2md, (dm): products of symbols
    return before not in ("^", "_") and after not in ("^", "_", "(")


_OPENING = set("([")
_CLOSING = set(")]'")


def _classes(tokens):
    """'p' (prose), 'm' (math) or ' ' (space) per token; neutral punctuation follows its neighbours:
    an opening bracket the token after it, a closing one (or a comma, a colon...) the token before it."""
    cls = []
    for i, tok in enumerate(tokens):
        if tok.isspace():
            cls.append(" ")
        elif tok in _NEUTRAL:
            cls.append("?")
        else:
            cls.append("p" if _is_prose(tokens, i) else "m")
    for i, tok in enumerate(tokens):  # a number between words is a word ("Equation 4 event")
        if tok[:1].isdigit():
            prev = next((cls[j] for j in range(i - 1, -1, -1) if cls[j] in "pm"), "p")
            nxt = next((cls[j] for j in range(i + 1, len(cls)) if cls[j] in "pm"), "p")
            adjacent = (i > 0 and not tokens[i - 1].isspace()) or (i + 1 < len(tokens) and not tokens[i + 1].isspace())
            if prev == nxt == "p" and not adjacent:
                cls[i] = "p"
    decided = list(cls)
    quotes, opened = set(), None  # 'quoted words': an opening ' after a space, its closing ' before a space
    for i, tok in enumerate(tokens):
        if tok != "'":
            continue
        before = tokens[i - 1] if i else " "
        after = tokens[i + 1] if i + 1 < len(tokens) else " "
        if opened is None and before.isspace() and not after.isspace():
            opened = i
        elif opened is not None and (after.isspace() or after in ").,;:"):
            quotes.update((opened, i))
            opened = None
    for i, c in enumerate(cls):  # neutral tokens
        if c != "?":
            continue
        nxt = next((decided[j] for j in range(i + 1, len(cls)) if decided[j] in "pm"), None)
        prev = next((cls[j] for j in range(i - 1, -1, -1) if cls[j] in "pm"), None)
        if tokens[i] in _OPENING:
            cls[i] = nxt or prev or "p"
        elif tokens[i] == "'" and i in quotes:
            cls[i] = "p"  # a quotation mark, not a prime
        elif tokens[i] in _CLOSING or tokens[i] in ",.;:":
            cls[i] = prev or nxt or "p"
        else:  # - and /: inside a formula or a hyphenated word
            cls[i] = (prev if prev == nxt else "m" if "m" in (prev, nxt) and tokens[i] == "/" else prev) or nxt or "p"
    for i, c in enumerate(cls):  # spaces between two tokens of one class join that class
        if c == " ":
            prev = next((cls[j] for j in range(i - 1, -1, -1) if cls[j] != " "), None)
            nxt = next((cls[j] for j in range(i + 1, len(cls)) if cls[j] != " "), None)
            cls[i] = prev if prev == nxt else "p"
    return cls


def _matching(tokens, start, open_, close):
    depth = 0
    for j in range(start, len(tokens)):
        if tokens[j] == open_:
            depth += 1
        elif tokens[j] == close:
            depth -= 1
            if depth == 0:
                return j
    return None


def _script(tokens, i, subscript):
    """The group after ``^`` or ``_`` at ``tokens[i]``: (its tokens, index after it).

    ``(...)`` and ``{...}`` are groups; otherwise one token with its sign, ``1/k`` after ``^-`` or
    ``^1`` (``m^-1/2``), a number's adjacent letter or bracket (``2p``, ``2(p-2)``), a subscript
    letter's adjacent ``*`` (``B_w*``).
    """
    j = i
    if j >= len(tokens) or tokens[j].isspace():
        return [], j
    if tokens[j] in ("(", "{"):
        end = _matching(tokens, j, tokens[j], ")" if tokens[j] == "(" else "}")
        if end is not None:
            inside = tokens[j + 1:end]
            if tokens[j] == "(" and len(inside) == 1 and inside[0].isdigit():
                return tokens[j:end + 1], end + 1  # f^(1): the order of a Taylor term keeps its brackets
            return inside, end + 1
    group = []
    if tokens[j] in ("-", "+"):
        group.append(tokens[j])
        j += 1
    if j >= len(tokens):
        return group, j
    group.append(tokens[j])
    j += 1
    nxt = tokens[j] if j < len(tokens) else ""
    if group[-1][:1].isdigit():
        if nxt == "/" and j + 1 < len(tokens) and tokens[j + 1][:1].isdigit() and (group[0] in "-+" or group[-1] == "1"):
            group += tokens[j:j + 2]  # m^-1/2, x^1/2
            j += 2
        elif len(nxt) == 1 and nxt.isalpha():
            group.append(nxt)  # B_x^2p
            j += 1
        elif nxt == "(":
            end = _matching(tokens, j, "(", ")")
            if end is not None:  # B_x^2(p-2)
                group += tokens[j:end + 1]
                j = end + 1
    elif subscript and group[-1].isalpha() and nxt == "*":
        group.append("*")  # B_w*
        j += 1
    return group, j


def _math(tokens, top=True):
    out = []
    last_script, spaced = None, False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.isspace():
            spaced = True
            i += 1
            continue
        if top and spaced and out and out[-1] != r"\allowbreak" and tok not in _NO_BREAK_BEFORE:
            out.append(r"\allowbreak")  # a space of the source is a place to break the line
        spaced = False
        if tok in ("^", "_"):
            group, i = _script(tokens, i + 1, tok == "_")
            lead = "{}" if last_script == tok else ""  # x_a_b: a second subscript on an empty base
            out.append(lead + tok + "{" + _math(group, top=False) + "}")
            last_script = tok
            continue
        if tok == "'" and last_script is not None:
            out.append("{}'")  # a prime after a script (x^{2}') needs its own base
            last_script = None
            i += 1
            continue
        last_script = None
        if tok == "sqrt" and i + 1 < len(tokens) and tokens[i + 1] == "(":
            end = _matching(tokens, i + 1, "(", ")")
            if end is not None:
                inside = tokens[i + 2:end]
                if top and len("".join(inside)) > 16:  # a long root as (...)^{1/2}, which may break
                    out.append("(" + _math(inside, top=True) + ")^{1/2}")
                else:
                    out.append(r"\sqrt{" + _math(inside, top=False) + "}")
                i = end + 1
                continue
        if tok == "~" and i > 0 and len(tokens[i - 1]) == 1 and tokens[i - 1].isalpha() and out:
            out[-1] = r"\tilde{" + out[-1] + "}"  # L~ is L with a tilde
            i += 1
            continue
        if tok == "v" and 0 < i < len(tokens) - 1 and tokens[i - 1].isspace() and tokens[i + 1].isspace():
            piece = r"\vee"  # (p v 1)
        elif tok in _RELATIONS:
            piece = _RELATIONS[tok]
        elif tok in _GREEK:
            piece = _GREEK[tok]
        elif tok in _FUNCTIONS:
            piece = _FUNCTIONS[tok]
        elif tok in _ROMAN or tok.isalpha() and len(tok) > 2 or tok.isupper() and len(tok) > 1:
            piece = r"\mathrm{" + tok + "}"
        else:
            piece = tok
        out.append(piece)
        following = next((t for t in tokens[i + 1:] if not t.isspace()), "")
        if top and piece in _BREAK_AFTER and following not in ("^", "_", "'"):
            out.append(r"\allowbreak")
        i += 1
    joined = ""
    for piece in out:  # no spaces, except between letters (\alpha x): primes stay together (f'')
        if joined and joined[-1].isalpha() and piece[:1].isalpha():
            joined += " "
        joined += piece
    return joined


def mixed(text):
    r"""LaTeX for a statement that mixes words and ASCII formulas: prose escaped, formulas in ``$...$``.

    >>> mixed("E_Sigma f^L = 0 for all ||W||_{2,4} <= B_w")
    '$E_{\\Sigma}\\allowbreak f^{L}=\\allowbreak0$ for all $\\|W\\|_{2,4}\\le\\allowbreak B_{w}$'
    """
    tokens = _TOKEN.findall(str(text))
    if not tokens:
        return ""
    cls = _classes(tokens)
    pieces = []
    start = 0
    for k in range(1, len(tokens) + 1):  # segments of one class
        if k == len(tokens) or cls[k] != cls[start]:
            segment = tokens[start:k]
            if cls[start] == "m":
                body = _math(segment)
                lead = " " if segment[0].isspace() else ""
                tail = " " if segment[-1].isspace() else ""
                pieces.append(f"{lead}${body}${tail}" if body else "".join(segment))
            else:
                pieces.append(escape("".join(segment)))
            start = k
    return "".join(pieces).strip()


def number(value, digits=3, *, relation=None):
    r"""A number for a table cell: ``$1.23\times10^{-4}$``, ``$-0.5$``; inf/nan as words; text escaped.

    ``relation`` (``"<="``, ``">="``, ``"=="``) is written before the number in the same formula.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return mixed(value)
    value = float(value)
    if math.isnan(value):
        body = r"\mathrm{nan}"
    elif math.isinf(value):
        body = r"\infty" if value > 0 else r"-\infty"
    else:
        text = f"{value:.{digits}g}"
        if "e" in text:
            mantissa, exp = text.split("e")
            body = rf"{mantissa}\times10^{{{int(exp)}}}"
        else:
            body = text
    if relation is not None:
        body = {"<=": r"\le", ">=": r"\ge", "==": "="}.get(relation, relation) + r"\," + body
    return f"${body}$"


def longtable(header, body, *, widths, caption, label, notes=(), align=None, size=r"\footnotesize"):
    r"""A longtable fragment: ``header`` (LaTeX strings), ``body`` (rows of LaTeX strings), ``widths``
    (fractions of ``\linewidth`` per column, summing to at most about 0.95), booktabs rules, caption
    and label on top, ``notes`` (LaTeX paragraphs) under the table."""
    if any(len(row) != len(header) for row in body) or len(widths) != len(header):
        raise ValueError(f"every row and widths must have {len(header)} columns")
    align = align or ["l"] * len(header)
    cols = "".join(
        (r">{\raggedleft\arraybackslash}" if a == "r" else r">{\raggedright\arraybackslash}") + f"p{{{w:.3f}\\linewidth}}"
        for a, w in zip(align, widths))
    lines = [f"% needs \\usepackage{{{','.join(PACKAGES)}}}",
             "\\begingroup", size, r"\setlength{\tabcolsep}{2pt}",
             f"\\begin{{longtable}}{{@{{}}{cols}@{{}}}}",
             f"\\caption{{{caption}}}\\label{{{label}}}\\\\", r"\toprule",
             " & ".join(header) + r" \\", r"\midrule", r"\endfirsthead", r"\toprule",
             " & ".join(header) + r" \\", r"\midrule", r"\endhead", r"\bottomrule", r"\endlastfoot"]
    lines += [" & ".join(row) + r" \\" for row in body]
    lines += [r"\end{longtable}"]
    lines += [f"\\par\\noindent {note}" for note in notes]
    lines += ["\\endgroup", ""]
    return "\n".join(lines)


def document(*fragments, title=None):
    """A standalone LaTeX document (article) holding ``fragments``; compiles with pdflatex."""
    head = [r"\documentclass[10pt]{article}", r"\usepackage{" + ",".join(PACKAGES) + "}", r"\begin{document}"]
    if title:
        head.append(r"\section*{" + escape(title) + "}")
    return "\n".join(head + list(fragments) + [r"\end{document}", ""])
