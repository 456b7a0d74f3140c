"""Markdown renderer: a GitHub-flavoured pipe table with caption and notes paragraphs.

Markdown tables have one header row and no spans: the header rows are joined per column
(``effect / (1)``), and spanning cells repeat their text in each covered column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synergy_stats.tables.escape import escape_markdown
from synergy_stats.tables.layout import split_symbols, with_minus

if TYPE_CHECKING:  # pragma: no cover
    from synergy_stats.tables.model import LineCell, Table

__all__ = ["render"]

_ALIGN = {"l": ":---", "c": ":---:", "r": "---:"}


def _sym(text: str, enabled: bool) -> str:
    out = []
    for piece, italic in split_symbols(text, enabled=enabled):
        body = escape_markdown(piece)
        out.append(f"*{body}*" if italic else body)
    return "".join(out)


def _caption(table: Table) -> list[str]:
    st = table.style
    label = None
    if table.number is not None:
        sep = "" if st.language == "zh" else " "
        label = f"{st.caption_prefix}{sep}{table.number}"
    title = table.caption
    if label is None and title is None:
        return []
    if st.caption_form == "cn":
        return ["**" + escape_markdown("\u3000".join(t for t in (label, title) if t)) + "**", ""]
    if st.caption_form == "plain" or label is None or title is None:
        return [f"**{escape_markdown(table.caption_text())}**", ""]
    return [f"**{escape_markdown(label)}**", "", f"*{escape_markdown(title)}*", ""]


def _content(text: str, stars: str, bold: bool, marks: tuple[str, ...]) -> str:
    body = escape_markdown(text)
    if bold and body:
        body = f"**{body}**"
    body += escape_markdown(stars)
    if marks:
        body += "<sup>" + escape_markdown(",".join(marks)) + "</sup>"
    return body


def _cells(cells: tuple[LineCell, ...], table: Table) -> list[str]:
    out: list[str] = []
    for c in cells:
        out.append(_content(with_minus(c.text, table.style), c.stars, c.bold, c.marks))
        out += [""] * (c.span - 1)
    return out


def render(table: Table) -> str:
    """Render ``table`` as Markdown.

    Parameters
    ----------
    table : Table
        The table.

    Returns
    -------
    str
    """
    n = table.ncols
    lines: list[str] = []
    style = table.style
    sym = style.italic_symbols
    lines += _caption(table)
    header = [_sym(table.stub, sym)] + [_sym(t, sym) for t in table._flat_header()]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("| " + " | ".join([":---"] + [":---:"] * n) + " |")
    for line in table.lines():
        if line.kind == "panel":
            row = [f"*{escape_markdown(line.label)}*"] + [""] * n
        else:
            label = _content(line.label, "", line.bold, line.marks)
            if line.indent and label:
                label = "\u00a0\u00a0" * line.indent + label
            row = [label, *_cells(line.cells, table)]
        lines.append("| " + " | ".join(row) + " |")
    notes = table.notes
    if notes:
        lines.append("")
        if notes.general:
            prefix = escape_markdown(style.note_prefix)
            head = f"*{prefix}* " if style.language == "en" else prefix
            lines.append(head + _sym(" ".join(notes.general), sym))
            lines.append("")
        for mark, text in notes.specific:
            lines.append(f"<sup>{escape_markdown(mark)}</sup> {_sym(text, sym)}")
            lines.append("")
        if notes.probability:
            lines.append(_sym(notes.probability, sym))
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
