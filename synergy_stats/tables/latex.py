r"""LaTeX renderer: booktabs tables that fit the page, decimal-aligned, with APA captions.

Each table is sized from its content. The first column is a ``tabularx`` ``X`` column that
takes what is left of the line (its labels wrap between words); every numeric column is
split at the decimal point into a right-aligned and a left-aligned half (``r@{}l``, the
``dcolumn`` idea), so numbers, ``< .001`` and stars align on the point; negative numbers get
a true minus. Per table the renderer picks the first of: the normal size, ``\small``,
landscape (``sidewaystable``), landscape and ``\footnotesize``; a table taller than a page is
an ``xltabular`` that breaks across pages with its header repeated (inside ``landscape``
from ``pdflscape`` when it is wide). Captions go through the ``caption`` package: APA 7 (bold
**Table 1** on its own line, the *title* in italics below), ``表1　标题`` with
``labelsep=quad`` for ``cn``, or one plain line; ``number=`` sets the number shown.
Statistical symbols (b, SE, z, p, df, ...) are set in italics.

ASCII tables compile with pdflatex (T1 fonts); tables holding Chinese compile with xelatex
and ctex (``ctexart``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from synergy_stats.tables.escape import escape_latex, has_cjk
from synergy_stats.tables.layout import (
    column_shapes,
    decimal_parts,
    split_symbols,
    stub_labels,
    stub_widths,
    text_block_cm,
    text_em,
    with_minus,
)

if TYPE_CHECKING:  # pragma: no cover
    from synergy_stats.tables.model import Cell, Line, LineCell, Table

__all__ = ["PACKAGES", "LatexPlan", "engine_for", "plan", "preamble", "render"]

#: packages a document needs for the tables this module writes
PACKAGES = (
    "booktabs",
    "array",
    "tabularx",
    "xltabular",
    "caption",
    "rotating",
    "pdflscape",
)

_TABCOLSEP_PT = 6.0
_SAFETY = 1.06
_PT_PER_CM = 72.27 / 2.54
_SIZES = (("", 1.0), ("\\small", 0.9), ("\\footnotesize", 0.8), ("\\scriptsize", 0.7))


def engine_for(table: Table) -> str:
    """Return ``"xelatex"`` if the table holds CJK text, else ``"pdflatex"``."""
    return "xelatex" if has_cjk(table.all_text()) else "pdflatex"


def _class_size(size: float) -> str:
    return "10pt" if size < 10.75 else ("11pt" if size < 11.75 else "12pt")


def preamble(table: Table) -> str:
    """Return the document preamble a standalone file needs for ``table``.

    A4 (or Letter, by the style) with the style's margins; the type size is the style's
    ``font_size`` (``zihao=5`` 五号 for a 10.5 pt Chinese style).
    """
    st = table.style
    paper = "a4paper" if st.paper == "A4" else "letterpaper"
    geometry = f"\\usepackage[{paper},margin={st.margin_cm:g}cm]{{geometry}}\n"
    packages = "".join(f"\\usepackage{{{p}}}\n" for p in PACKAGES)
    if engine_for(table) == "xelatex":
        zihao = "5" if st.font_size <= 10.5 else ("-4" if st.font_size < 12 else "4")
        head = f"\\documentclass[UTF8,zihao={zihao}]{{ctexart}}\n"
        return head + geometry + packages
    return (
        f"\\documentclass[{_class_size(st.font_size)}]{{article}}\n"
        "\\usepackage[T1]{fontenc}\n"
        "\\usepackage[utf8]{inputenc}\n"
        "\\usepackage{lmodern}\n"
        "\\usepackage{textcomp}\n" + geometry + packages
    )


@dataclass(frozen=True)
class LatexPlan:
    """How a table is set: size command, orientation, page breaking and column kinds."""

    size: str
    scale: float
    landscape: bool
    long: bool
    numeric: tuple[bool, ...]


def _base_size(table: Table) -> float:
    st = table.style
    if engine_for(table) == "xelatex":
        return 10.5 if st.font_size <= 10.5 else (12.0 if st.font_size < 12 else 14.0)
    return {"10pt": 10.0, "11pt": 10.95, "12pt": 12.0}[_class_size(st.font_size)]


def plan(table: Table) -> LatexPlan:
    """Choose the size, orientation and page breaking of ``table`` (see the module notes)."""
    st = table.style
    base = _base_size(table)
    shapes = column_shapes(table)
    numeric = tuple(sh.numeric for sh in shapes)
    stub_word, stub_full = stub_widths(stub_labels(table))
    width_cm, height_cm = text_block_cm(st)
    portrait = width_cm * _PT_PER_CM
    wide = height_cm * _PT_PER_CM
    pad = 2 * _TABCOLSEP_PT
    tries = [(False, *_SIZES[0]), (False, *_SIZES[1]), (True, *_SIZES[0]), (True, *_SIZES[1])]
    tries += [(True, *_SIZES[2]), (True, *_SIZES[3])]
    chosen = tries[-1]
    stub_pt = 0.0
    for landscape, cmd, scale in tries:
        sz = base * scale
        total = wide if landscape else portrait
        data = sum(sh.natural_em * sz * _SAFETY + pad for sh in shapes)
        stub_min = max(stub_word * sz * _SAFETY + pad, min(stub_full * sz + pad, 0.26 * total))
        if data + stub_min <= total:
            chosen = (landscape, cmd, scale)
            stub_pt = total - data
            break
    else:
        sz = base * chosen[2]
        stub_pt = max(wide - sum(sh.natural_em * sz + pad for sh in shapes), 1.0)
    landscape, cmd, scale = chosen
    sz = base * scale
    # height: one baseline per physical line (wrapped stub labels count more)
    lines = 0
    for text, indent, bold in stub_labels(table)[1:]:
        need = (text_em(text, bold=bold) + indent) * sz
        lines += max(1, math.ceil(need / max(stub_pt - pad, 1.0)))
    lines += 2 * len(table.header) + 4  # header, caption and rules
    notes = table.notes
    note_chars = sum(len(t) for t in notes.general) + sum(len(t) for _, t in notes.specific)
    lines += len(notes.specific) + math.ceil(note_chars / 90) + (1 if notes.probability else 0)
    page = (portrait if landscape else wide) * 0.92  # text height
    long = lines * 1.2 * sz > page
    return LatexPlan(cmd, scale, landscape, long, numeric)


# ------------------------------------------------------------------------------- pieces


def _text(text: str, *, symbols: bool, enabled: bool = True) -> str:
    out = []
    for piece, italic in split_symbols(text, enabled=symbols and enabled):
        body = escape_latex(piece)
        out.append(f"\\textit{{{body}}}" if italic else body)
    return "".join(out)


def _sup(text: str) -> str:
    return f"\\textsuperscript{{{escape_latex(text)}}}" if text else ""


def _num_part(text: str) -> str:
    body = escape_latex(text.rstrip()).replace("\u2212", "\\ensuremath{-}")
    return body + ("\\," if text.endswith(" ") else "")


def _width(cells: tuple[Cell, ...] | tuple[LineCell, ...], numeric: tuple[bool, ...]) -> list[int]:
    """Physical column count of each logical cell (numeric columns are two)."""
    out = []
    pos = 0
    for c in cells:
        out.append(sum(2 if numeric[k] else 1 for k in range(pos, pos + c.span)))
        pos += c.span
    return out


def _body_cell(c: LineCell, physical: int, is_num: bool, table: Table) -> str:
    st = table.style
    text = with_minus(c.text, st)
    extra = _sup(c.stars) + (_sup(",".join(c.marks)) if c.marks else "")
    parts = decimal_parts(text) if (is_num and c.span == 1) else None
    if parts is not None:
        whole, frac = (_num_part(p) for p in parts)
        if c.bold:
            whole = f"\\textbf{{{whole}}}" if whole else ""
            frac = f"\\textbf{{{frac}}}"
        return f"{whole} & {frac}{extra}"
    body = escape_latex(text).replace("\u2212", "\\ensuremath{-}")
    if c.bold and body:
        body = f"\\textbf{{{body}}}"
    body += extra
    if physical > 1 or c.align != "c" or is_num:
        return f"\\multicolumn{{{physical}}}{{{c.align}}}{{{body}}}"
    return body


def _label(line: Line) -> str:
    body = escape_latex(line.label)
    if line.bold and body:
        body = f"\\textbf{{{body}}}"
    if line.marks:
        body += _sup(",".join(line.marks))
    if line.indent:
        body = f"\\setlength{{\\leftskip}}{{{line.indent}em}}" + body
    return body


def _colspec(lay: LatexPlan) -> str:
    # a long stub label wraps with a hanging indent: its second line is not read as a row
    parts = [">{\\raggedright\\arraybackslash\\hangindent=1em\\hangafter=1}X"]
    for num in lay.numeric:
        parts.append("r@{}l" if num else "c")
    return "@{}" + "".join(parts) + "@{}"


def _caption_setup(table: Table) -> list[str]:
    st = table.style
    if st.caption_form == "cn":
        # 表1 without the space caption puts between name and number (\unskip)
        return [
            "\\captionsetup{labelformat=simple,labelsep=quad,font=bf,"
            "justification=centering,skip=3pt}",
            f"\\renewcommand{{\\tablename}}{{{escape_latex(st.caption_prefix)}}}",
            "\\renewcommand{\\thetable}{\\unskip\\arabic{table}}",
        ]
    if st.caption_form == "plain":
        return [
            "\\captionsetup{labelfont=bf,labelsep=period,justification=raggedright,"
            "singlelinecheck=false,skip=3pt}",
            f"\\renewcommand{{\\tablename}}{{{escape_latex(st.caption_prefix)}}}",
        ]
    return [
        "\\captionsetup{labelfont=bf,textfont=it,labelsep=newline,justification=raggedright,"
        "singlelinecheck=false,skip=3pt}",
        f"\\renewcommand{{\\tablename}}{{{escape_latex(st.caption_prefix)}}}",
    ]


def _caption(table: Table) -> list[str]:
    if table.caption is None and table.number is None:
        return []
    out = []
    if table.number is not None:
        unskip = "\\unskip" if table.style.caption_form == "cn" else ""
        out.append(f"\\renewcommand{{\\thetable}}{{{unskip}{int(table.number)}}}")
    text = escape_latex(table.caption) if table.caption is not None else ""
    if table.caption is None:
        out.append("\\captionsetup{labelsep=none}")
    cap = f"\\caption{{{text}}}"
    if table.label:
        cap += f"\\label{{{table.label}}}"
    out.append(cap)
    return out


def _header_lines(table: Table, lay: LatexPlan) -> list[str]:
    st = table.style
    out = ["\\toprule"]
    nh = len(table.header)
    for i, hrow in enumerate(table.header):
        stub = _text(table.stub, symbols=True, enabled=st.italic_symbols) if i == nh - 1 else ""
        cells = [stub]
        rules = []
        phys = _width(hrow, lay.numeric)
        col = 2
        for c, w in zip(hrow, phys, strict=True):
            text = _text(c.text, symbols=True, enabled=st.italic_symbols)
            if c.marks:
                text += _sup(",".join(c.marks))
            cells.append(f"\\multicolumn{{{w}}}{{c}}{{{text}}}" if w > 1 or c.span > 1 else text)
            if c.span > 1 and c.text and not st.three_line and i < nh - 1:
                rules.append(f"\\cmidrule(lr){{{col}-{col + w - 1}}}")
            col += w
        out.append(" & ".join(cells) + " \\\\")
        if rules:
            out.append(" ".join(rules))
    out.append("\\midrule")
    return out


def _body_lines(table: Table, lay: LatexPlan) -> list[str]:
    out: list[str] = []
    physical_total = 1 + sum(2 if n else 1 for n in lay.numeric)
    first = True
    for line in table.lines():
        if line.kind == "panel":
            if not first:
                out.append("\\addlinespace")
            title = escape_latex(line.label)
            # across the whole row: a panel title never wraps in a narrow stub
            out.append(
                f"\\multicolumn{{{physical_total}}}{{@{{}}l@{{}}}}{{\\textit{{{title}}}}} \\\\"
            )
        else:
            cells = [_label(line)]
            phys = _width(line.cells, lay.numeric)
            pos = 0
            for c, w in zip(line.cells, phys, strict=True):
                is_num = c.span == 1 and lay.numeric[pos]
                cells.append(_body_cell(c, w, is_num, table))
                pos += c.span
            out.append(" & ".join(cells) + " \\\\")
        first = False
    out.append("\\bottomrule")
    return out


def _notes(table: Table) -> list[str]:
    st = table.style
    notes = table.notes
    if not notes:
        return []
    sym = st.italic_symbols
    out = ["\\par\\smallskip", "{\\footnotesize\\raggedright"]
    if notes.general:
        prefix = escape_latex(st.note_prefix)
        head = f"\\textit{{{prefix}}} " if st.language == "en" else prefix
        out.append(head + _text(" ".join(notes.general), symbols=True, enabled=sym) + "\\par")
    for mark, text in notes.specific:
        out.append(f"{_sup(mark)}\\,{_text(text, symbols=True, enabled=sym)}\\par")
    if notes.probability:
        out.append(_text(notes.probability, symbols=True, enabled=sym) + "\\par")
    out.append("}")
    return out


def render(table: Table, *, standalone: bool = False) -> str:
    """Render ``table`` as LaTeX source.

    Parameters
    ----------
    table : Table
        The table.
    standalone : bool
        If True, wrap it in a complete document (A4 or Letter with the style's margins;
        article + T1 fonts for ASCII, ctexart for Chinese) that compiles on its own.

    Returns
    -------
    str
        A fragment needs the packages in :data:`PACKAGES` (listed in its first line).
    """
    lay = plan(table)
    spec = _colspec(lay)
    out = ["% synergy_stats table; needs \\usepackage{" + ",".join(PACKAGES) + "}"]
    head = _header_lines(table, lay)
    body = _body_lines(table, lay)
    if lay.long:
        if lay.landscape:
            out.append("\\begin{landscape}")
        out.append("\\begingroup")
        out += _caption_setup(table)
        if lay.size:
            out.append(lay.size)
        out += [c for c in _caption(table) if c.startswith("\\renewcommand")]
        out.append(f"\\begin{{xltabular}}{{\\linewidth}}{{{spec}}}")
        cap = [c for c in _caption(table) if not c.startswith("\\renewcommand")]
        if cap:
            out += [*cap[:-1], cap[-1] + " \\\\"]
        out += head
        out.append("\\endfirsthead")
        cont = "(continued)" if table.style.language == "en" else "（续）"
        n_phys = 1 + sum(2 if n else 1 for n in lay.numeric)
        out.append(f"\\multicolumn{{{n_phys}}}{{@{{}}l}}{{\\footnotesize {cont}}} \\\\")
        out += head
        out.append("\\endhead")
        out.append("\\endfoot")
        out.append("\\endlastfoot")
        out += body
        out.append("\\end{xltabular}")
        out += _notes(table)
        out.append("\\endgroup")
        if lay.landscape:
            out.append("\\end{landscape}")
    else:
        env = "sidewaystable" if lay.landscape else "table"
        out.append(f"\\begin{{{env}}}[htbp]" if env == "table" else f"\\begin{{{env}}}")
        out += _caption_setup(table)
        if lay.size:
            out.append(lay.size)
        out += _caption(table)
        out.append(f"\\begin{{tabularx}}{{\\linewidth}}{{{spec}}}")
        out += head
        out += body
        out.append("\\end{tabularx}")
        out += _notes(table)
        out.append(f"\\end{{{env}}}")
    text = "\n".join(out) + "\n"
    if not standalone:
        return text
    return preamble(table) + "\\begin{document}\n" + text + "\\end{document}\n"
