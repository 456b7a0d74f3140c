"""Markdown renderer: a GitHub-flavoured pipe table with caption and notes paragraphs.

Markdown tables have one header row and no spans: the header rows are joined per column
(``effect / (1)``), and spanning cells repeat their text in each covered column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synergy_stats.tables.escape import escape_markdown

if TYPE_CHECKING:  # pragma: no cover
    from synergy_stats.tables.model import LineCell, Table

__all__ = ["render"]

_ALIGN = {"l": ":---", "c": ":---:", "r": "---:"}


def _content(text: str, stars: str, bold: bool, marks: tuple[str, ...]) -> str:
    body = escape_markdown(text)
    if bold and body:
        body = f"**{body}**"
    body += escape_markdown(stars)
    if marks:
        body += "<sup>" + escape_markdown(",".join(marks)) + "</sup>"
    return body


def _cells(cells: tuple[LineCell, ...]) -> list[str]:
    out: list[str] = []
    for c in cells:
        out.append(_content(c.text, c.stars, c.bold, c.marks))
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
    cap = table.caption_text()
    if cap:
        lines += [f"**{escape_markdown(cap)}**", ""]
    header = [escape_markdown(table.stub)] + [escape_markdown(t) for t in table._flat_header()]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("| " + " | ".join([":---"] + [":---:"] * n) + " |")
    for line in table.lines():
        if line.kind == "panel":
            row = [f"*{escape_markdown(line.label)}*"] + [""] * n
        else:
            label = _content(line.label, "", line.bold, line.marks)
            if line.indent and label:
                label = "\u00a0\u00a0" * line.indent + label
            row = [label, *_cells(line.cells)]
        lines.append("| " + " | ".join(row) + " |")
    notes = table.notes
    style = table.style
    if notes:
        lines.append("")
        if notes.general:
            prefix = escape_markdown(style.note_prefix)
            head = f"*{prefix}* " if style.language == "en" else prefix
            lines.append(head + escape_markdown(" ".join(notes.general)))
            lines.append("")
        for mark, text in notes.specific:
            lines.append(f"<sup>{escape_markdown(mark)}</sup> {escape_markdown(text)}")
            lines.append("")
        if notes.probability:
            lines.append(escape_markdown(notes.probability))
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
