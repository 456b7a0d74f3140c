"""Word renderer (python-docx): a three-line table with an East-Asian font.

The table has no vertical rules and no inner grid: only the top rule, the rule under the
header (plus short rules under spanning header cells outside the ``cn`` style) and the
bottom rule, all horizontal. The document's Latin font and its East-Asian font
(``w:eastAsia``) come from the table style, so Chinese text is set in a Chinese face.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from synergy_stats.errors import RenderError
from synergy_stats.tables.escape import escape_docx

if TYPE_CHECKING:  # pragma: no cover
    from synergy_stats.tables.model import Table

__all__ = ["add_table", "write"]

_RULE_THICK = "12"  # eighths of a point: 1.5 pt
_RULE_THIN = "6"  # 0.75 pt


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return str(qn(tag))


def _set_fonts(run_or_style: Any, latin: str, east_asian: str) -> None:
    from docx.oxml import OxmlElement

    run_or_style.font.name = latin
    element = run_or_style.element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(_qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(_qn("w:ascii"), latin)
    fonts.set(_qn("w:hAnsi"), latin)
    fonts.set(_qn("w:eastAsia"), east_asian)


def _no_table_borders(table: Any) -> None:
    from docx.oxml import OxmlElement

    tbl_pr = table._tbl.tblPr
    old = tbl_pr.find(_qn("w:tblBorders"))
    if old is not None:
        tbl_pr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(_qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _cell_rule(cell: Any, edge: str, size: str) -> None:
    from docx.oxml import OxmlElement

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(_qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    el = borders.find(_qn(f"w:{edge}"))
    if el is None:
        el = OxmlElement(f"w:{edge}")
        borders.append(el)
    el.set(_qn("w:val"), "single")
    el.set(_qn("w:sz"), size)
    el.set(_qn("w:space"), "0")
    el.set(_qn("w:color"), "000000")


def _fill(
    cell: Any,
    text: str,
    *,
    stars: str = "",
    marks: tuple[str, ...] = (),
    bold: bool = False,
    italic: bool = False,
    align: str = "c",
    indent: int = 0,
    style_fonts: tuple[str, str] = ("Times New Roman", "SimSun"),
) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    para = cell.paragraphs[0]
    para.alignment = {
        "l": WD_ALIGN_PARAGRAPH.LEFT,
        "c": WD_ALIGN_PARAGRAPH.CENTER,
        "r": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]
    if indent:
        para.paragraph_format.left_indent = Pt(10 * indent)
    run = para.add_run(escape_docx(text))
    run.bold = bold or None
    run.italic = italic or None
    _set_fonts(run, *style_fonts)
    for extra in (stars, ",".join(marks)):
        if extra:
            sup = para.add_run(escape_docx(extra))
            sup.font.superscript = True
            _set_fonts(sup, *style_fonts)


def add_table(table: Table, document: Any) -> None:
    """Append ``table`` (caption paragraph, table, notes paragraphs) to a python-docx Document.

    Parameters
    ----------
    table : Table
        The table.
    document : docx.document.Document
        An open document.
    """
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    style = table.style
    fonts = (style.font, style.east_asian_font)
    cap = table.caption_text()
    if cap:
        para = document.add_paragraph()
        if style.language == "zh":
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = para.add_run(escape_docx(cap))
        run.bold = True
        _set_fonts(run, *fonts)
    lines = list(table.lines())
    n = table.ncols
    nh = len(table.header)
    grid = document.add_table(rows=nh + len(lines), cols=n + 1)
    _no_table_borders(grid)
    # header
    for i, hrow in enumerate(table.header):
        row = grid.rows[i]
        stub = table.stub if i == nh - 1 else ""
        _fill(row.cells[0], stub, align="l", style_fonts=fonts)
        pos = 1
        for c in hrow:
            target = row.cells[pos]
            if c.span > 1:
                target = target.merge(row.cells[pos + c.span - 1])
            _fill(target, c.text, marks=c.marks, style_fonts=fonts)
            if c.span > 1 and c.text and i < nh - 1 and not style.three_line:
                _cell_rule(target, "bottom", "4")
            pos += c.span
    for k in range(n + 1):
        _cell_rule(grid.rows[0].cells[k], "top", _RULE_THICK)
        _cell_rule(grid.rows[nh - 1].cells[k], "bottom", _RULE_THIN)
    # body
    for j, line in enumerate(lines):
        row = grid.rows[nh + j]
        if line.kind == "panel":
            merged = row.cells[0].merge(row.cells[n])
            _fill(merged, line.label, italic=True, align="l", style_fonts=fonts)
            continue
        _fill(
            row.cells[0],
            line.label,
            marks=line.marks,
            bold=line.bold,
            align="l",
            indent=line.indent,
            style_fonts=fonts,
        )
        pos = 1
        for lc in line.cells:
            target = row.cells[pos]
            if lc.span > 1:
                target = target.merge(row.cells[pos + lc.span - 1])
            _fill(
                target,
                lc.text,
                stars=lc.stars,
                marks=lc.marks,
                bold=lc.bold,
                align=lc.align,
                style_fonts=fonts,
            )
            pos += lc.span
    last = grid.rows[nh + len(lines) - 1] if lines else grid.rows[nh - 1]
    for k in range(n + 1):
        _cell_rule(last.cells[k], "bottom", _RULE_THICK)
    # notes
    notes = table.notes
    if notes.general:
        para = document.add_paragraph()
        head = para.add_run(
            escape_docx(style.note_prefix + (" " if style.language == "en" else ""))
        )
        head.italic = style.language == "en" or None
        _set_fonts(head, *fonts)
        _set_fonts(para.add_run(escape_docx(" ".join(notes.general))), *fonts)
    for mark, text in notes.specific:
        para = document.add_paragraph()
        sup = para.add_run(escape_docx(mark))
        sup.font.superscript = True
        _set_fonts(sup, *fonts)
        _set_fonts(para.add_run(" " + escape_docx(text)), *fonts)
    if notes.probability:
        para = document.add_paragraph()
        _set_fonts(para.add_run(escape_docx(notes.probability)), *fonts)


def write(table: Table, path: Path) -> None:
    """Write ``table`` to a new Word document at ``path``.

    Raises
    ------
    RenderError
        If the file cannot be written.
    """
    from docx import Document

    document = Document()
    normal = document.styles["Normal"]
    _set_fonts(normal, table.style.font, table.style.east_asian_font)
    add_table(table, document)
    try:
        document.save(str(path))
    except OSError as exc:
        raise RenderError(f"could not write path={str(path)!r}: {exc}") from exc
