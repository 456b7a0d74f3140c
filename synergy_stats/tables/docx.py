"""Word renderer (python-docx): a page-fitting three-line table.

The table has no vertical rules and no inner grid: only the top rule, the rule under the
header (plus short rules under spanning header cells outside the ``cn`` style) and the
bottom rule. Column widths come from the content: every data column gets the width of its
widest number (numbers never break) and of its widest header word; the first column takes
what is left of the text width. A table that does not fit portrait goes into a landscape
section, and only then is the type made smaller. Cell paragraphs are single-spaced with no
space before or after; numeric columns are aligned on the decimal point with a decimal tab;
header rows repeat on every page (``w:tblHeader``) and rows never split (``w:cantSplit``).
Runs carry ``w:lang`` (``zh-CN`` for East-Asian text) and the style's Latin and East-Asian
fonts. The caption is APA's two lines (**Table 1**, then the *title*) or ``表1　标题``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synergy_stats.errors import RenderError
from synergy_stats.tables.escape import escape_docx
from synergy_stats.tables.layout import (
    column_shapes,
    decimal_parts,
    split_symbols,
    stub_labels,
    stub_widths,
    text_block_cm,
    with_minus,
)

if TYPE_CHECKING:  # pragma: no cover
    from synergy_stats.tables.model import Table
    from synergy_stats.tables.style import Style

__all__ = ["DocxPlan", "add_table", "plan", "write"]

_RULE_THICK = "12"  # eighths of a point: 1.5 pt
_RULE_THIN = "6"  # 0.75 pt
_PAD_TW = 72  # left and right cell margin, twips (3.6 pt)
_SAFETY = 1.12  # widths are estimates: keep 12 % in hand


@dataclass(frozen=True)
class DocxPlan:
    """How a table is laid out in Word.

    Attributes
    ----------
    landscape : bool
        The table goes into a landscape section.
    font_size, note_size : float
        Point sizes of the table text and of the notes.
    widths : tuple of int
        Column widths in twips, the stub first.
    tabs : tuple of int or None
        Decimal-tab position (twips from the cell's text edge) of each data column, None for
        columns that are not numeric.
    """

    landscape: bool
    font_size: float
    note_size: float
    widths: tuple[int, ...]
    tabs: tuple[int | None, ...]


def plan(
    table: Table,
    *,
    text_width_pt: float | None = None,
    landscape_width_pt: float | None = None,
) -> DocxPlan:
    """Choose orientation, type size, column widths and decimal tabs for ``table``.

    Parameters
    ----------
    table : Table
        The table.
    text_width_pt, landscape_width_pt : float, optional
        Text widths of a portrait and a landscape page (default: the style's paper and
        margins).

    Returns
    -------
    DocxPlan
    """
    st = table.style
    cm = 72.0 / 2.54
    if text_width_pt is None:
        text_width_pt = text_block_cm(st)[0] * cm
    if landscape_width_pt is None:
        landscape_width_pt = text_block_cm(st, landscape=True)[0] * cm
    shapes = column_shapes(table)
    stub_word, stub_full = stub_widths(stub_labels(table))
    pad = 2 * _PAD_TW / 20.0
    base = float(st.font_size)
    sizes = [base]
    s = base
    while s - 0.5 >= max(7.0, base - 3.0):
        s -= 0.5
        sizes.append(s)
    tries = [(False, base)] + [(True, sz) for sz in sizes]
    chosen: tuple[bool, float, list[float], float] | None = None
    for landscape, sz in tries:
        total = landscape_width_pt if landscape else text_width_pt
        for full_header in (True, False):
            data = [
                (max(sh.natural_em, sh.header_full_em) if full_header else sh.natural_em)
                * sz
                * _SAFETY
                + pad
                for sh in shapes
            ]
            stub_min = max(stub_word * sz * _SAFETY + pad, min(stub_full * sz + pad, 0.26 * total))
            if sum(data) + stub_min <= total:
                chosen = (landscape, sz, data, total)
                break
        if chosen is not None:
            break
    if chosen is None:  # nothing fits: smallest type, landscape, the stub wraps
        sz = sizes[-1]
        total = landscape_width_pt
        data = [sh.natural_em * sz * _SAFETY + pad for sh in shapes]
        chosen = (True, sz, data, total)
    landscape, sz, data, total = chosen
    stub = max(total - sum(data), stub_word * sz + pad)
    widths = [round(stub * 20)] + [round(w * 20) for w in data]
    tabs: list[int | None] = []
    for sh, w in zip(shapes, data, strict=True):
        if not sh.numeric:
            tabs.append(None)
            continue
        inner = w - pad
        block = sh.aligned_em * sz
        left = max((inner - block) / 2.0, 0.0)
        tabs.append(round((left + sh.int_em * sz) * 20))
    note = max(sz - (st.font_size - st.note_font_size), 6.0)
    return DocxPlan(landscape, sz, note, tuple(widths), tuple(tabs))


# ------------------------------------------------------------------------------ XML bits


@functools.lru_cache(maxsize=256)
def _qn(tag: str) -> str:
    """Clark name of a ``w:`` tag (cached: a table asks for the same few thousands of times)."""
    from docx.oxml.ns import qn

    return str(qn(tag))


def _el(tag: str, **attrs: str) -> Any:
    from docx.oxml import OxmlElement

    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(_qn(f"w:{k}"), v)
    return el


def _set_fonts(run_or_style: Any, style: Style, size: float | None = None) -> None:
    from docx.shared import Pt

    run_or_style.font.name = style.font
    if size is not None:
        run_or_style.font.size = Pt(size)
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(_qn("w:rFonts"))
    if fonts is None:
        fonts = _el("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(_qn("w:ascii"), style.font)
    fonts.set(_qn("w:hAnsi"), style.font)
    fonts.set(_qn("w:eastAsia"), style.east_asian_font)
    lang = rpr.find(_qn("w:lang"))
    if lang is None:
        lang = _el("w:lang")
        rpr.append(lang)
    lang.set(_qn("w:val"), "zh-CN" if style.language == "zh" else "en-US")
    lang.set(_qn("w:eastAsia"), "zh-CN")


def _tight(para: Any, *, before: float = 0, after: float = 0) -> None:
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    pf = para.paragraph_format
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE


def _runs(
    para: Any,
    text: str,
    style: Style,
    size: float,
    *,
    bold: bool = False,
    italic: bool = False,
    symbols: bool = False,
) -> None:
    for piece, is_symbol in split_symbols(text, enabled=symbols and style.italic_symbols):
        run = para.add_run(escape_docx(piece))
        run.bold = bold or None
        run.italic = (italic or is_symbol) or None
        _set_fonts(run, style, size)


def _sup(para: Any, text: str, style: Style, size: float) -> None:
    if text:
        run = para.add_run(escape_docx(text))
        run.font.superscript = True
        _set_fonts(run, style, size)


def _no_table_borders(table: Any) -> None:
    tbl_pr = table._tbl.tblPr
    old = tbl_pr.find(_qn("w:tblBorders"))
    if old is not None:
        tbl_pr.remove(old)
    borders = _el("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_el(f"w:{edge}", val="nil"))
    tbl_pr.append(borders)


def _table_geometry(table: Any, widths: tuple[int, ...]) -> None:
    tbl = table._tbl
    tbl_pr = tbl.tblPr
    for tag in ("w:tblW", "w:tblLayout", "w:tblCellMar", "w:jc"):
        old = tbl_pr.find(_qn(tag))
        if old is not None:
            tbl_pr.remove(old)
    tbl_pr.append(_el("w:tblW", w=str(sum(widths)), type="dxa"))
    tbl_pr.append(_el("w:jc", val="center"))
    tbl_pr.append(_el("w:tblLayout", type="fixed"))
    mar = _el("w:tblCellMar")
    for edge, v in (("top", 0), ("left", _PAD_TW), ("bottom", 0), ("right", _PAD_TW)):
        mar.append(_el(f"w:{edge}", w=str(v), type="dxa"))
    tbl_pr.append(mar)
    grid = tbl.tblGrid
    for k, col in enumerate(grid.findall(_qn("w:gridCol"))):
        col.set(_qn("w:w"), str(widths[k]))
    for tr in tbl.findall(_qn("w:tr")):
        pos = 0
        for tc in tr.findall(_qn("w:tc")):
            tc_pr = tc.get_or_add_tcPr()
            span_el = tc_pr.find(_qn("w:gridSpan"))
            span = int(span_el.get(_qn("w:val"))) if span_el is not None else 1
            old = tc_pr.find(_qn("w:tcW"))
            if old is not None:
                tc_pr.remove(old)
            tc_pr.insert(0, _el("w:tcW", w=str(sum(widths[pos : pos + span])), type="dxa"))
            pos += span


def _row_flags(row: Any, *, header: bool) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(_el("w:cantSplit"))
    if header:
        tr_pr.append(_el("w:tblHeader"))


def _cell_rule(cell: Any, edge: str, size: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(_qn("w:tcBorders"))
    if borders is None:
        borders = _el("w:tcBorders")
        tc_pr.append(borders)
    el = borders.find(_qn(f"w:{edge}"))
    if el is None:
        el = _el(f"w:{edge}")
        borders.append(el)
    el.set(_qn("w:val"), "single")
    el.set(_qn("w:sz"), size)
    el.set(_qn("w:space"), "0")
    el.set(_qn("w:color"), "000000")


def _decimal_tab(para: Any, position: int) -> None:
    ppr = para._p.get_or_add_pPr()
    tabs = _el("w:tabs")
    tabs.append(_el("w:tab", val="decimal", pos=str(position)))
    ppr.append(tabs)


def _fill(
    cell: Any,
    text: str,
    style: Style,
    size: float,
    *,
    stars: str = "",
    marks: tuple[str, ...] = (),
    bold: bool = False,
    italic: bool = False,
    align: str = "c",
    indent: int = 0,
    tab: int | None = None,
    symbols: bool = False,
) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    para = cell.paragraphs[0]
    _tight(para)
    text = with_minus(text, style)
    if tab is not None and decimal_parts(text) is not None:
        para.alignment = WD_ALIGN_PARAGRAPH.LEFT
        _decimal_tab(para, tab)  # a decimal tab aligns a cell's number without a tab key
    else:
        para.alignment = {
            "l": WD_ALIGN_PARAGRAPH.LEFT,
            "c": WD_ALIGN_PARAGRAPH.CENTER,
            "r": WD_ALIGN_PARAGRAPH.RIGHT,
        }[align]
    if indent:
        para.paragraph_format.left_indent = Pt(size * indent)
    _runs(para, text, style, size, bold=bold, italic=italic, symbols=symbols)
    _sup(para, stars, style, size)
    _sup(para, ",".join(marks), style, size)


def _caption(table: Table, document: Any, size: float) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    st = table.style
    title = table.caption
    label = None
    if table.number is not None:
        sep = "" if st.language == "zh" else " "
        label = f"{st.caption_prefix}{sep}{table.number}"
    if label is None and title is None:
        return
    para = document.add_paragraph()
    _tight(para, after=2)
    para.paragraph_format.keep_with_next = True
    if st.caption_form == "cn":
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        text = "\u3000".join(t for t in (label, title) if t)
        _runs(para, text, st, size, bold=True)
        return
    if st.caption_form == "plain":
        if label:
            _runs(para, label + ("." if title else ""), st, size, bold=True)
        if title:
            _runs(para, (" " if label else "") + title, st, size)
        return
    # APA 7: bold label on one line, italic title in title case below
    if label:
        _runs(para, label, st, size, bold=True)
        if title:
            para = document.add_paragraph()
            _tight(para, after=2)
            para.paragraph_format.keep_with_next = True
    if title:
        _runs(para, title, st, size, italic=True)


def _notes(table: Table, document: Any, size: float) -> None:
    st = table.style
    notes = table.notes
    first = True

    def para() -> Any:
        nonlocal first
        p = document.add_paragraph()
        _tight(p, before=3 if first else 0)
        first = False
        return p

    if notes.general:
        p = para()
        head = st.note_prefix + (" " if st.language == "en" else "")
        _runs(p, head, st, size, italic=st.language == "en")
        _runs(p, " ".join(notes.general), st, size, symbols=True)
    for mark, text in notes.specific:
        p = para()
        _sup(p, mark, st, size)
        _runs(p, " " + text, st, size, symbols=True)
    if notes.probability:
        _runs(para(), notes.probability, st, size, symbols=True)


def _section(document: Any, *, landscape: bool, new: bool) -> Any:
    from docx.enum.section import WD_ORIENT, WD_SECTION

    section = document.add_section(WD_SECTION.NEW_PAGE) if new else document.sections[-1]
    w, h = section.page_width, section.page_height
    if landscape != (w > h):
        section.page_width, section.page_height = h, w
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    return section


def _text_widths(document: Any) -> tuple[float, float]:
    s = document.sections[-1]
    w, h = s.page_width, s.page_height
    lr = (s.left_margin or 0) + (s.right_margin or 0)
    tb = (s.top_margin or 0) + (s.bottom_margin or 0)
    short, long_ = (w, h) if w <= h else (h, w)
    del tb  # margins are taken equal on all sides
    return (short - lr) / 12700.0, (long_ - lr) / 12700.0  # EMU -> pt


def add_table(table: Table, document: Any, *, _plan: DocxPlan | None = None) -> None:
    """Append ``table`` (caption, table, notes) to an open python-docx ``Document``.

    The table is fitted to the text width of the document's last section; when it needs a
    landscape page, a landscape section is opened for it and a portrait one after it.

    Parameters
    ----------
    table : Table
        The table.
    document : docx.document.Document
        An open document.
    """
    st = table.style
    if _plan is None:
        portrait, landscape = _text_widths(document)
        _plan = plan(table, text_width_pt=portrait, landscape_width_pt=landscape)
    lay = _plan
    switched = False
    if lay.landscape and not _is_landscape(document):
        has_content = bool(document.paragraphs) or bool(document.tables)
        _section(document, landscape=True, new=has_content)
        switched = has_content
    size = lay.font_size
    _caption(table, document, size)
    lines = list(table.lines())
    n = table.ncols
    nh = len(table.header)
    grid = document.add_table(rows=nh + len(lines), cols=n + 1)
    _no_table_borders(grid)
    # python-docx builds a row's cells anew on every ``row.cells``, so each row's are read
    # once; merging later cells of a row leaves its earlier (already filled) cells valid
    rows = list(grid.rows)
    for i, hrow in enumerate(table.header):
        row = rows[i]
        cells = row.cells
        _row_flags(row, header=True)
        stub = table.stub if i == nh - 1 else ""
        _fill(cells[0], stub, st, size, align="l", symbols=True)
        pos = 1
        for c in hrow:
            target = cells[pos]
            if c.span > 1:
                target = target.merge(cells[pos + c.span - 1])
            _fill(target, c.text, st, size, marks=c.marks, symbols=True)
            if c.span > 1 and c.text and i < nh - 1 and not st.three_line:
                _cell_rule(target, "bottom", "4")
            pos += c.span
    first, last_header = rows[0].cells, rows[nh - 1].cells
    for k in range(n + 1):
        _cell_rule(first[k], "top", _RULE_THICK)
        _cell_rule(last_header[k], "bottom", _RULE_THIN)
    for j, line in enumerate(lines):
        row = rows[nh + j]
        cells = row.cells
        _row_flags(row, header=False)
        if line.kind == "panel":
            merged = cells[0].merge(cells[n])
            _fill(merged, line.label, st, size, italic=True, align="l")
            continue
        _fill(
            cells[0],
            line.label,
            st,
            size,
            marks=line.marks,
            bold=line.bold,
            align="l",
            indent=line.indent,
        )
        pos = 1
        for lc in line.cells:
            target = cells[pos]
            if lc.span > 1:
                target = target.merge(cells[pos + lc.span - 1])
            _fill(
                target,
                lc.text,
                st,
                size,
                stars=lc.stars,
                marks=lc.marks,
                bold=lc.bold,
                align=lc.align,
                tab=lay.tabs[pos - 1] if lc.span == 1 else None,
            )
            pos += lc.span
    last = (rows[nh + len(lines) - 1] if lines else rows[nh - 1]).cells
    for k in range(n + 1):
        _cell_rule(last[k], "bottom", _RULE_THICK)
    _table_geometry(grid, lay.widths)
    _notes(table, document, lay.note_size)
    if switched:
        _section(document, landscape=False, new=True)


def _is_landscape(document: Any) -> bool:
    s = document.sections[-1]
    return bool(s.page_width > s.page_height)


def new_document(style: Style) -> Any:
    """A new Word document with the style's paper, margins, fonts and single spacing."""
    from docx import Document
    from docx.shared import Cm, Pt

    from synergy_stats.tables.layout import PAGE_CM

    document = Document()
    section = document.sections[0]
    w, h = PAGE_CM[style.paper]
    section.page_width, section.page_height = Cm(w), Cm(h)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(style.margin_cm))
    normal = document.styles["Normal"]
    _set_fonts(normal, style, style.font_size)
    normal.font.size = Pt(style.font_size)
    _tight(normal)
    return document


def write(table: Table, path: Path) -> None:
    """Write ``table`` to a new Word document at ``path`` (A4 or Letter by the style).

    Raises
    ------
    RenderError
        If the file cannot be written.
    """
    document = new_document(table.style)
    lay = plan(table)
    if lay.landscape:
        _section(document, landscape=True, new=False)
    add_table(table, document, _plan=lay)
    try:
        document.save(str(path))
    except OSError as exc:
        raise RenderError(f"could not write path={str(path)!r}: {exc}") from exc
