"""HTML renderer: a ``<table>`` with caption, spanning header cells and a notes footer.

Numbers use tabular figures and are aligned on the decimal point (each number is split
into an integer part, right-aligned in a fixed-width box, and its ``.fraction`` with stars,
left-aligned); numbers and intervals never wrap; stars and note marks are superscripts with
no line height, so rows with stars are as high as rows without. The table carries a
``lang`` attribute (``en`` or ``zh-CN``), and it sits in a box that scrolls sideways rather
than making the page wider than the screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synergy_stats.tables.escape import escape_html
from synergy_stats.tables.layout import (
    column_shapes,
    decimal_parts,
    split_symbols,
    stub_labels,
    stub_widths,
    with_minus,
)

if TYPE_CHECKING:  # pragma: no cover
    from synergy_stats.tables.model import Line, LineCell, Table

__all__ = ["render"]

_ALIGN = {"l": "left", "c": "center", "r": "right"}
_TOP = "border-top:2px solid black;"
_MID = "border-bottom:1px solid black;"
_BOTTOM = "border-bottom:2px solid black;"
_PAD = "padding:1px 6px;"
# the text width a table may take on an 800 px screen at 16 px type, in em (the column
# estimates run a few per cent short of Chromium's, hence 43 rather than 800 / 16 - margins)
_BUDGET_EM = 43.0
_SUP = '<sup style="line-height:0;font-size:70%;vertical-align:super;">'


def _sup(text: str) -> str:
    return f"{_SUP}{escape_html(text)}</sup>" if text else ""


def _sym(text: str, enabled: bool) -> str:
    out = []
    for piece, italic in split_symbols(text, enabled=enabled):
        body = escape_html(piece)
        out.append(f"<i>{body}</i>" if italic else body)
    return "".join(out)


def _content(text: str, stars: str, bold: bool, marks: tuple[str, ...]) -> str:
    body = escape_html(text)
    if bold and body:
        body = f"<strong>{body}</strong>"
    return body + _sup(stars) + _sup(",".join(marks))


def _td(c: LineCell, css: str, box: tuple[float, float] | None, table: Table) -> str:
    span = f' colspan="{c.span}"' if c.span > 1 else ""
    text = with_minus(c.text, table.style)
    parts = decimal_parts(text) if box is not None else None
    style = f"text-align:{_ALIGN[c.align]};{_PAD}white-space:nowrap;{css}"
    if parts is not None and box is not None:
        whole, frac = parts
        left = escape_html(whole)
        right = escape_html(frac)
        if c.bold:
            left = f"<strong>{left}</strong>" if left else ""
            right = f"<strong>{right}</strong>"
        right += _sup(c.stars) + _sup(",".join(c.marks))
        body = (
            f'<span style="display:inline-block;min-width:{box[0]:.2f}em;text-align:right;">'
            f"{left}</span>"
            f'<span style="display:inline-block;min-width:{box[1]:.2f}em;text-align:left;">'
            f"{right}</span>"
        )
        return f'<td{span} style="text-align:center;{_PAD}white-space:nowrap;{css}">{body}</td>'
    return f'<td{span} style="{style}">{_content(text, c.stars, c.bold, c.marks)}</td>'


def _stub(line: Line, css: str) -> str:
    pad = 6 + 16 * line.indent
    body = _content(line.label, "", line.bold, line.marks)
    return f'<td style="text-align:left;padding:1px 6px 1px {pad}px;{css}">{body}</td>'


def _caption(table: Table) -> str:
    st = table.style
    label = None
    if table.number is not None:
        sep = "" if st.language == "zh" else " "
        label = f"{st.caption_prefix}{sep}{table.number}"
    title = table.caption
    if label is None and title is None:
        return ""
    if st.caption_form == "cn":
        text = "\u3000".join(escape_html(t) for t in (label, title) if t)
        return f'<caption style="text-align:center;font-weight:bold;">{text}</caption>'
    if st.caption_form == "plain":
        head = f"<strong>{escape_html(label)}.</strong> " if label and title else ""
        if label and not title:
            head = f"<strong>{escape_html(label)}</strong>"
        return f'<caption style="text-align:left;">{head}{escape_html(title or "")}</caption>'
    parts = []
    if label:
        parts.append(f"<strong>{escape_html(label)}</strong>")
    if title:
        parts.append(f"<em>{escape_html(title)}</em>")
    return f'<caption style="text-align:left;">{"<br>".join(parts)}</caption>'


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
    st = table.style
    sym = st.italic_symbols
    lang = "zh-CN" if st.language == "zh" else "en"
    shapes = column_shapes(table)
    boxes: list[tuple[float, float] | None] = [
        (sh.int_em * 1.1, sh.frac_em * 1.1) if sh.numeric else None for sh in shapes
    ]
    # a table wider than a narrow screen (800 px at 16 px type) is set smaller, down to 70%
    stub_word, stub_full = stub_widths(stub_labels(table))
    cols_em = sum(sh.natural_em * 1.1 + 0.75 for sh in shapes)
    # the stub wants its widest word, and at least 6 em (6 CJK characters) of a long label
    stub_want = max(stub_word, min(stub_full, 6.0))
    need_em = cols_em + stub_want + 0.75
    scale = min(1.0, max(0.7, _BUDGET_EM / need_em))
    size = f"font-size:{scale * 100:.0f}%;" if scale < 1.0 else ""
    # the stub keeps the width the columns leave it (in the table's own em), so a label
    # breaks between words only when it must; CJK labels, breakable after any character,
    # would otherwise be squeezed to one or two characters a line
    stub_em = max(stub_want, min(stub_full, _BUDGET_EM / scale - cols_em - 0.75))
    out = [
        '<div class="synergy-table-box" style="max-width:100%;overflow-x:auto;">',
        f'<table class="synergy-table" lang="{lang}" style="border-collapse:collapse;{size}'
        'font-variant-numeric:tabular-nums lining-nums;">',
    ]
    cap = _caption(table)
    if cap:
        out.append(cap)
    out.append("<thead>")
    nh = len(table.header)
    for i, hrow in enumerate(table.header):
        css = (_TOP if i == 0 else "") + (_MID if i == nh - 1 else "")
        stub = _sym(table.stub, sym) if i == nh - 1 else ""
        width = f"min-width:{stub_em:.2f}em;" if i == nh - 1 else ""
        cells = [f'<th style="text-align:left;font-weight:normal;{_PAD}{width}{css}">{stub}</th>']
        for c in hrow:
            span = f' colspan="{c.span}"' if c.span > 1 else ""
            rule = (
                "border-bottom:1px solid black;"
                if (c.span > 1 and c.text and i < nh - 1 and not st.three_line)
                else ""
            )
            body = _sym(c.text, sym) + _sup(",".join(c.marks))
            # a one-word header (标准差, Hypothesis) never breaks inside the word
            keep = "white-space:nowrap;" if " " not in c.text.strip() else ""
            cells.append(
                f'<th{span} style="text-align:center;font-weight:normal;{_PAD}{keep}{css}{rule}">'
                f"{body}</th>"
            )
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</thead>")
    out.append("<tbody>")
    lines = list(table.lines())
    for k, line in enumerate(lines):
        css = _BOTTOM if k == len(lines) - 1 else ""
        if line.kind == "panel":
            out.append(
                f'<tr><td colspan="{n + 1}" style="text-align:left;padding:5px 6px 1px 6px;'
                f'font-style:italic;{css}">{escape_html(line.label)}</td></tr>'
            )
            continue
        cells = []
        pos = 0
        for lc in line.cells:
            box = boxes[pos] if lc.span == 1 else None
            cells.append(_td(lc, css, box, table))
            pos += lc.span
        out.append("<tr>" + _stub(line, css) + "".join(cells) + "</tr>")
    out.append("</tbody>")
    notes = table.notes
    if notes:
        out.append("<tfoot>")
        if notes.general:
            prefix = escape_html(st.note_prefix)
            head = f"<em>{prefix}</em> " if st.language == "en" else prefix
            out.append(_note_row(n, head + _sym(" ".join(notes.general), sym)))
        for mark, text in notes.specific:
            out.append(_note_row(n, _sup(mark) + " " + _sym(text, sym)))
        if notes.probability:
            out.append(_note_row(n, _sym(notes.probability, sym)))
        out.append("</tfoot>")
    out.append("</table>")
    out.append("</div>")
    body = "\n".join(out) + "\n"
    if not standalone:
        return body
    title = escape_html(table.caption_text() or "Table")
    family = "'Times New Roman', 'Liberation Serif', 'Noto Serif CJK SC', serif"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n</head>\n"
        f'<body style="font-family:{family};margin:16px;">\n{body}</body>\n</html>\n'
    )


def _note_row(n: int, content: str) -> str:
    return (
        f'<tr><td colspan="{n + 1}" style="text-align:left;{_PAD}font-size:90%;">'
        f"{content}</td></tr>"
    )
