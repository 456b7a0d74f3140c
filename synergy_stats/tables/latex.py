"""LaTeX renderer: booktabs rules inside a threeparttable with tablenotes.

ASCII tables compile with pdflatex (T1 fonts, so ``<`` and ``>`` never turn into ``¡``
and ``¿``); tables holding Chinese compile with xelatex and ctex (``ctexart``), which also
names the caption ``表``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synergy_stats.tables.escape import escape_latex, has_cjk

if TYPE_CHECKING:  # pragma: no cover
    from synergy_stats.tables.model import Line, LineCell, Table

__all__ = ["engine_for", "preamble", "render"]


def engine_for(table: Table) -> str:
    """Return ``"xelatex"`` if the table holds CJK text, else ``"pdflatex"``."""
    return "xelatex" if has_cjk(table.all_text()) else "pdflatex"


def preamble(table: Table) -> str:
    """Return the document preamble a standalone file needs for ``table``."""
    packages = "\\usepackage{booktabs}\n\\usepackage{threeparttable}\n\\usepackage{array}\n"
    if engine_for(table) == "xelatex":
        return "\\documentclass[UTF8,zihao=5]{ctexart}\n" + packages
    return (
        "\\documentclass{article}\n"
        "\\usepackage[T1]{fontenc}\n"
        "\\usepackage[utf8]{inputenc}\n"
        "\\usepackage{lmodern}\n"
        "\\usepackage{textcomp}\n" + packages
    )


def _sup(text: str) -> str:
    return f"\\textsuperscript{{{escape_latex(text)}}}" if text else ""


def _cell(c: LineCell) -> str:
    body = escape_latex(c.text)
    if c.bold and body:
        body = f"\\textbf{{{body}}}"
    body += _sup(c.stars)
    if c.marks:
        body += _sup(",".join(c.marks))
    if c.span > 1 or c.align != "c":
        return f"\\multicolumn{{{c.span}}}{{{c.align}}}{{{body}}}"
    return body


def _label(line: Line) -> str:
    body = escape_latex(line.label)
    if line.bold and body:
        body = f"\\textbf{{{body}}}"
    if line.marks:
        body += _sup(",".join(line.marks))
    if line.indent:
        body = "\\quad " * line.indent + body
    return body


def render(table: Table, *, standalone: bool = False) -> str:
    """Render ``table`` as LaTeX source.

    Parameters
    ----------
    table : Table
        The table.
    standalone : bool
        If True, wrap it in a complete document (article + T1 fonts for ASCII, ctexart for
        Chinese) that compiles on its own.

    Returns
    -------
    str
    """
    n = table.ncols
    style = table.style
    out: list[str] = []
    out.append("\\begin{table}[htbp]")
    out.append("\\centering")
    out.append("\\begin{threeparttable}")
    if table.caption is not None:
        out.append(f"\\caption{{{escape_latex(table.caption)}}}")
    if table.label:
        out.append(f"\\label{{{table.label}}}")
    out.append(f"\\begin{{tabular}}{{@{{}}l{'c' * n}@{{}}}}")
    out.append("\\toprule")
    for i, hrow in enumerate(table.header):
        cells = [escape_latex(table.stub) if i == len(table.header) - 1 else ""]
        rules = []
        pos = 2
        for c in hrow:
            text = escape_latex(c.text)
            if c.marks:
                text += _sup(",".join(c.marks))
            cells.append(f"\\multicolumn{{{c.span}}}{{c}}{{{text}}}" if c.span > 1 else text)
            if c.span > 1 and c.text and not style.three_line:
                rules.append(f"\\cmidrule(lr){{{pos}-{pos + c.span - 1}}}")
            pos += c.span
        out.append(" & ".join(cells) + " \\\\")
        if rules and i < len(table.header) - 1:
            out.append(" ".join(rules))
    out.append("\\midrule")
    first_line = True
    for line in table.lines():
        if line.kind == "panel":
            if not first_line:
                out.append("\\addlinespace")
            title = escape_latex(line.label)
            out.append(f"\\multicolumn{{{n + 1}}}{{@{{}}l}}{{\\textit{{{title}}}}} \\\\")
        else:
            cells = [_label(line)] + [_cell(c) for c in line.cells]
            out.append(" & ".join(cells) + " \\\\")
        first_line = False
    out.append("\\bottomrule")
    out.append("\\end{tabular}")
    notes = table.notes
    if notes:
        out.append("\\begin{tablenotes}[flushleft]")
        out.append("\\footnotesize")
        if notes.general:
            prefix = style.note_prefix
            head = (
                f"\\textit{{{escape_latex(prefix)}}}"
                if style.language == "en"
                else escape_latex(prefix)
            )
            sep = " " if style.language == "en" else ""
            out.append(f"\\item {head}{sep}{escape_latex(' '.join(notes.general))}")
        for mark, text in notes.specific:
            out.append(f"\\item[{_sup(mark)}] {escape_latex(text)}")
        if notes.probability:
            out.append(f"\\item {escape_latex(notes.probability)}")
        out.append("\\end{tablenotes}")
    out.append("\\end{threeparttable}")
    out.append("\\end{table}")
    body = "\n".join(out) + "\n"
    if not standalone:
        return body
    return preamble(table) + "\\begin{document}\n" + body + "\\end{document}\n"
