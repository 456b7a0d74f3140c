"""HTML renderer: a ``<table>`` with caption, spanning header cells and a notes footer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from synergy_stats.tables.escape import escape_html

if TYPE_CHECKING:  # pragma: no cover
    from synergy_stats.tables.model import Line, LineCell, Table

__all__ = ["render"]

_ALIGN = {"l": "left", "c": "center", "r": "right"}
_TOP = "border-top:2px solid black;"
_MID = "border-bottom:1px solid black;"
_BOTTOM = "border-bottom:2px solid black;"


def _sup(text: str) -> str:
    return f"<sup>{escape_html(text)}</sup>" if text else ""


def _content(text: str, stars: str, bold: bool, marks: tuple[str, ...]) -> str:
    body = escape_html(text)
    if bold and body:
        body = f"<strong>{body}</strong>"
    return body + _sup(stars) + _sup(",".join(marks))


def _td(c: LineCell, css: str) -> str:
    span = f' colspan="{c.span}"' if c.span > 1 else ""
    style = f"text-align:{_ALIGN[c.align]};padding:2px 8px;{css}"
    return f'<td{span} style="{style}">{_content(c.text, c.stars, c.bold, c.marks)}</td>'


def _stub(line: Line, css: str) -> str:
    pad = 8 + 16 * line.indent
    body = _content(line.label, "", line.bold, line.marks)
    return f'<td style="text-align:left;padding:2px 8px 2px {pad}px;{css}">{body}</td>'


def render(table: Table, *, standalone: bool = False) -> str:
    """Render ``table`` as HTML.

    Parameters
    ----------
    table : Table
        The table.
    standalone : bool
        If True, return a complete UTF-8 HTML page.

    Returns
    -------
    str
    """
    n = table.ncols
    out = ['<table class="synergy-table" style="border-collapse:collapse;">']
    cap = table.caption_text()
    if cap:
        out.append(f'<caption style="text-align:left;">{escape_html(cap)}</caption>')
    out.append("<thead>")
    nh = len(table.header)
    for i, hrow in enumerate(table.header):
        css = (_TOP if i == 0 else "") + (_MID if i == nh - 1 else "")
        stub = escape_html(table.stub) if i == nh - 1 else ""
        cells = [f'<th style="text-align:left;padding:2px 8px;{css}">{stub}</th>']
        for c in hrow:
            span = f' colspan="{c.span}"' if c.span > 1 else ""
            rule = (
                "border-bottom:1px solid black;"
                if (c.span > 1 and c.text and i < nh - 1 and not table.style.three_line)
                else ""
            )
            cells.append(
                f'<th{span} style="text-align:center;padding:2px 8px;{css}{rule}">'
                f"{_content(c.text, '', False, c.marks)}</th>"
            )
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</thead>")
    out.append("<tbody>")
    lines = list(table.lines())
    for k, line in enumerate(lines):
        css = _BOTTOM if k == len(lines) - 1 else ""
        if line.kind == "panel":
            out.append(
                f'<tr><td colspan="{n + 1}" style="text-align:left;padding:6px 8px 2px 8px;'
                f'font-style:italic;{css}">{escape_html(line.label)}</td></tr>'
            )
            continue
        out.append("<tr>" + _stub(line, css) + "".join(_td(c, css) for c in line.cells) + "</tr>")
    out.append("</tbody>")
    notes = table.notes
    if notes:
        out.append("<tfoot>")
        style = table.style
        if notes.general:
            prefix = escape_html(style.note_prefix)
            head = f"<em>{prefix}</em> " if style.language == "en" else prefix
            out.append(_note_row(n, head + escape_html(" ".join(notes.general))))
        for mark, text in notes.specific:
            out.append(_note_row(n, _sup(mark) + " " + escape_html(text)))
        if notes.probability:
            out.append(_note_row(n, escape_html(notes.probability)))
        out.append("</tfoot>")
    out.append("</table>")
    body = "\n".join(out) + "\n"
    if not standalone:
        return body
    title = escape_html(cap or "Table")
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


def _note_row(n: int, content: str) -> str:
    return (
        f'<tr><td colspan="{n + 1}" style="text-align:left;padding:2px 8px;font-size:90%;">'
        f"{content}</td></tr>"
    )
