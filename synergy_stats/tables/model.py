"""The table model: header rows with spans, panels of rows, cells, and three kinds of notes.

A :class:`Table` holds text that is already formatted (and the raw numbers it came from);
the renderers in :mod:`~synergy_stats.tables.latex`, :mod:`~synergy_stats.tables.docx`,
:mod:`~synergy_stats.tables.html` and :mod:`~synergy_stats.tables.markdown` only lay it out
and escape it, so all four formats show the same numbers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from synergy_stats._typing import check_option
from synergy_stats.errors import OptionError, RenderError
from synergy_stats.tables.style import Style, get_style

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Cell", "Line", "Notes", "Panel", "Row", "Table", "plain_table"]

Align = Literal["l", "c", "r"]
Layout = Literal["below", "beside"]


@dataclass(frozen=True)
class Cell:
    """One table cell.

    Parameters
    ----------
    text : str
        The formatted value (e.g. ``"0.123"``).
    value : float, optional
        The raw number ``text`` was formatted from (kept for checking and export).
    stars : str
        Significance stars shown after ``text``.
    statistic : str, optional
        Formatted statistic shown under the value (``"(0.045)"``) or beside it.
    span : int
        Number of columns the cell covers.
    align : {"l", "c", "r"}
        Horizontal alignment.
    bold : bool
        Emphasis (e.g. the diagonal of a Fornell-Larcker table).
    marks : tuple of str
        Specific-note markers (``("a",)``) shown as superscripts.
    """

    text: str = ""
    value: float | None = None
    stars: str = ""
    statistic: str | None = None
    span: int = 1
    align: Align = "c"
    bold: bool = False
    marks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.span, int) or self.span < 1:
            raise OptionError(f"span={self.span!r} is not accepted; use an integer >= 1")
        check_option("align", self.align, Align)


@dataclass(frozen=True)
class Row:
    """A body row: a stub label and its cells."""

    label: str
    cells: tuple[Cell, ...]
    indent: int = 0
    marks: tuple[str, ...] = ()
    bold: bool = False

    @property
    def width(self) -> int:
        """Number of data columns covered by the cells."""
        return sum(c.span for c in self.cells)


@dataclass(frozen=True)
class Panel:
    """A group of rows under an optional title (``"Panel A: ..."``, ``"Random effects"``)."""

    title: str | None
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Notes:
    """Table notes in the three APA kinds.

    Parameters
    ----------
    general : tuple of str
        Shown after the note prefix (``Note.`` / ``注：``).
    specific : tuple of (mark, text)
        Notes tied to a cell or row marker (``("a", "Fixed to 1.")``).
    probability : str, optional
        The significance line (``"* p < .05. ** p < .01."``).
    """

    general: tuple[str, ...] = ()
    specific: tuple[tuple[str, str], ...] = ()
    probability: str | None = None

    def __bool__(self) -> bool:
        return bool(self.general or self.specific or self.probability)


@dataclass(frozen=True)
class LineCell:
    """A cell of a physical line, ready for a renderer."""

    text: str
    stars: str
    span: int
    align: Align
    bold: bool
    marks: tuple[str, ...]


@dataclass(frozen=True)
class Line:
    """A physical body line: a panel title, a value line or a statistic line."""

    kind: Literal["panel", "row", "statistic"]
    label: str
    cells: tuple[LineCell, ...]
    indent: int = 0
    marks: tuple[str, ...] = ()
    bold: bool = False
    first_in_panel: bool = False


@dataclass(frozen=True)
class Table:
    r"""A publication table.

    Parameters
    ----------
    header : tuple of tuple of Cell
        Header rows over the data columns (the stub column is separate); spans in each row
        add up to the number of data columns.
    panels : tuple of Panel
        The body.
    stub : str
        Text of the top-left header cell.
    caption : str, optional
        Table title.
    number : int, optional
        Table number (``Table 2`` / ``表 2``).
    label : str, optional
        LaTeX ``\label`` key.
    notes : Notes
        General, specific and probability notes.
    style : Style
        Look of the table.
    layout : {"below", "beside"}
        Whether statistics go on a line under the value or beside it.

    Raises
    ------
    RenderError
        If header or row widths do not match.

    Examples
    --------
    >>> t = Table(header=((Cell("(1)"),),), panels=(Panel(None, (Row("x", (Cell("1.0"),)),)),))
    >>> print(t.to_markdown())  # doctest: +SKIP
    """

    header: tuple[tuple[Cell, ...], ...]
    panels: tuple[Panel, ...]
    stub: str = ""
    caption: str | None = None
    number: int | None = None
    label: str | None = None
    notes: Notes = field(default_factory=Notes)
    style: Style = field(default_factory=lambda: get_style("apa"))
    layout: Layout = "below"

    def __post_init__(self) -> None:
        check_option("layout", self.layout, Layout)
        if not self.header:
            raise RenderError("a table needs at least one header row")
        width = sum(c.span for c in self.header[-1])
        for i, hrow in enumerate(self.header):
            w = sum(c.span for c in hrow)
            if w != width:
                raise RenderError(
                    f"header row {i + 1} covers {w} columns but the last header row covers "
                    f"{width}; spans must add up to the same width"
                )
        for panel in self.panels:
            for row in panel.rows:
                if row.width != width:
                    raise RenderError(
                        f"row {row.label!r} covers {row.width} columns; the header covers {width}"
                    )

    # -- structure ---------------------------------------------------------------------

    @property
    def ncols(self) -> int:
        """Number of data columns (without the stub)."""
        return sum(c.span for c in self.header[-1])

    @property
    def rows(self) -> list[Row]:
        """All body rows, panel by panel."""
        return [row for panel in self.panels for row in panel.rows]

    def cell(self, row: str, column: int | str) -> Cell:
        """Return the cell in the row labelled ``row`` and the given column.

        Parameters
        ----------
        row : str
            Row label (the first row with that label).
        column : int or str
            0-based data-column index, or the text of a last-row header cell.

        Returns
        -------
        Cell

        Raises
        ------
        OptionError
            If the row or column does not exist.
        """
        if isinstance(column, str):
            positions = []
            pos = 0
            for c in self.header[-1]:
                if c.text == column:
                    positions.append(pos)
                pos += c.span
            if not positions:
                raise OptionError(f"column={column!r} is not a column header of this table")
            column = positions[0]
        for r in self.rows:
            if r.label == row:
                pos = 0
                for c in r.cells:
                    if pos <= column < pos + c.span:
                        return c
                    pos += c.span
                raise OptionError(f"column={column!r} is outside the table's {self.ncols}")
        raise OptionError(f"row={row!r} is not a row label of this table")

    def lines(self) -> Iterator[Line]:
        """Yield the physical body lines in order (panel titles, values, statistics)."""
        for panel in self.panels:
            first = True
            if panel.title is not None:
                yield Line("panel", panel.title, (), first_in_panel=True)
                first = False
            for row in panel.rows:
                main: list[LineCell] = []
                stat: list[LineCell] = []
                has_stat = False
                for c in row.cells:
                    text = c.text
                    stars = c.stars
                    if c.statistic and self.layout == "beside":
                        main.append(
                            LineCell(
                                f"{text}{stars} {c.statistic}" if text else c.statistic,
                                "",
                                c.span,
                                c.align,
                                c.bold,
                                c.marks,
                            )
                        )
                        continue
                    main.append(LineCell(text, stars, c.span, c.align, c.bold, c.marks))
                    stat.append(LineCell(c.statistic or "", "", c.span, c.align, False, ()))
                    has_stat = has_stat or bool(c.statistic)
                yield Line("row", row.label, tuple(main), row.indent, row.marks, row.bold, first)
                first = False
                if has_stat:
                    yield Line("statistic", "", tuple(stat), row.indent)

    def all_text(self) -> str:
        """Every piece of text in the table, joined (used to pick a TeX engine)."""
        parts = [self.stub, self.caption or ""]
        parts += [c.text for hrow in self.header for c in hrow]
        for panel in self.panels:
            parts.append(panel.title or "")
            for row in panel.rows:
                parts.append(row.label)
                parts += [c.text + (c.statistic or "") for c in row.cells]
        parts += list(self.notes.general) + [t for _, t in self.notes.specific]
        parts.append(self.notes.probability or "")
        parts.append(self.style.note_prefix + self.style.caption_prefix)
        return "\n".join(parts)

    def caption_text(self) -> str:
        """Caption with its prefix (``Table 2. Title`` / ``表2 标题``)."""
        prefix = self.style.caption_prefix
        sep = "" if self.style.language == "zh" else " "
        head = prefix if self.number is None else f"{prefix}{sep}{self.number}"
        if self.caption is None:
            return head if self.number is not None else ""
        if self.style.language == "zh":
            return f"{head}  {self.caption}" if self.number is not None else self.caption
        return f"{head}. {self.caption}" if self.number is not None else self.caption

    def to_frame(self) -> pd.DataFrame:
        """Return the physical lines as a DataFrame of strings (stars appended)."""
        import pandas as pd

        columns = self._flat_header()
        records = []
        index = []
        for line in self.lines():
            if line.kind == "panel":
                continue
            values: list[str] = []
            for c in line.cells:
                values += [c.text + c.stars] + [""] * (c.span - 1)
            records.append(values)
            index.append(line.label)
        return pd.DataFrame(records, columns=columns, index=pd.Index(index, name=self.stub))

    def _flat_header(self) -> list[str]:
        cols: list[list[str]] = [[] for _ in range(self.ncols)]
        for hrow in self.header:
            pos = 0
            for c in hrow:
                for k in range(pos, pos + c.span):
                    if c.text:
                        cols[k].append(c.text)
                pos += c.span
        return [" / ".join(parts) for parts in cols]

    # -- rendering ---------------------------------------------------------------------

    def to_latex(self, *, standalone: bool = False) -> str:
        """Render as LaTeX (booktabs + threeparttable); see :mod:`~synergy_stats.tables.latex`."""
        from synergy_stats.tables.latex import render

        return render(self, standalone=standalone)

    def to_html(self, *, standalone: bool = False) -> str:
        """Render as an HTML ``<table>`` (or a whole page with ``standalone=True``)."""
        from synergy_stats.tables.html import render

        return render(self, standalone=standalone)

    def to_markdown(self) -> str:
        """Render as a GitHub-flavoured Markdown pipe table with caption and notes."""
        from synergy_stats.tables.markdown import render

        return render(self)

    def to_docx(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write a Word document holding the table; return its path.

        Raises
        ------
        RenderError
            If ``path`` exists and ``overwrite`` is False.
        """
        from synergy_stats.tables.docx import write

        target = _target(path, overwrite)
        write(self, target)
        return target

    def add_to_docx(self, document: Any) -> None:
        """Append the table (caption, table, notes) to an open python-docx ``Document``."""
        from synergy_stats.tables.docx import add_table

        add_table(self, document)

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        standalone: bool = False,
    ) -> Path:
        """Write the table in the format given by the file extension.

        Parameters
        ----------
        path : str or path-like
            ``.tex``, ``.docx``, ``.html``/``.htm`` or ``.md``/``.markdown``.
        overwrite : bool
            Replace an existing file (default: refuse).
        standalone : bool
            For ``.tex`` and ``.html``: a complete document instead of a fragment.

        Returns
        -------
        pathlib.Path

        Raises
        ------
        OptionError
            For an unknown extension.
        RenderError
            If the file exists and ``overwrite`` is False.
        """
        suffix = Path(path).suffix.lower()
        if suffix not in (".tex", ".docx", ".html", ".htm", ".md", ".markdown"):
            raise OptionError(
                f"path={os.fspath(path)!r} has extension {suffix!r}; use .tex, .docx, .html, "
                ".htm, .md or .markdown"
            )
        if suffix == ".docx":
            return self.to_docx(path, overwrite=overwrite)
        target = _target(path, overwrite)
        if suffix == ".tex":
            text = self.to_latex(standalone=standalone)
        elif suffix in (".html", ".htm"):
            text = self.to_html(standalone=standalone)
        else:
            text = self.to_markdown()
        target.write_text(text, encoding="utf-8")
        return target


def _target(path: str | os.PathLike[str], overwrite: bool) -> Path:
    target = Path(path)
    if target.exists() and not overwrite:
        raise RenderError(f"path={os.fspath(path)!r} exists; pass overwrite=True to replace it")
    if not target.parent.exists():
        raise RenderError(f"the folder of path={os.fspath(path)!r} does not exist")
    return target


def header_row(texts: Sequence[str | tuple[str, int]], *, align: Align = "c") -> tuple[Cell, ...]:
    """Build a header row from texts or ``(text, span)`` pairs."""
    cells = []
    for t in texts:
        if isinstance(t, tuple):
            cells.append(Cell(t[0], span=t[1], align=align))
        else:
            cells.append(Cell(t, align=align))
    return tuple(cells)


def plain_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    style: Any = "apa",
    caption: str | None = None,
    number: int | None = None,
    notes: Sequence[str] = (),
    digits: int = 3,
    bounded: Sequence[str] = (),
    pvalues: Sequence[str] = (),
) -> Table:
    """A table of plain rows: the first column is the stub, the others are data columns.

    Numbers are formatted with ``digits`` decimals (whole numbers as integers); columns
    named in ``bounded`` drop the leading zero when the style does (APA ``.123``) and
    columns named in ``pvalues`` print p-values (``< .001``, never ``.000``). None and NaN
    are blank. Used for the report's small tables so that ``report.md`` and the paper tables
    share one Markdown renderer.

    Returns
    -------
    Table
    """
    from synergy_stats.tables.format import fmt_num, fmt_p, is_missing

    st = get_style(style)
    if not columns:
        raise OptionError("columns is empty; give at least the stub column's heading")
    names = [str(c) for c in columns]

    def cell(value: Any, column: str) -> Cell:
        import numpy as np

        if isinstance(value, np.generic):
            value = value.item()
        if value is None or (isinstance(value, float) and is_missing(value)):
            return Cell("")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return Cell(str(value))
        if column in pvalues:
            return Cell(fmt_p(value, 3, leading_zero=st.bounded_leading_zero), value=value)
        if isinstance(value, int):
            return Cell(str(value), value=value)
        lead = st.bounded_leading_zero or column not in bounded
        return Cell(fmt_num(value, digits, leading_zero=lead), value=float(value))

    body = []
    for r in rows:
        values = list(r)
        if len(values) != len(names):
            raise RenderError(f"row {values!r} has {len(values)} cells; columns has {len(names)}")
        body.append(
            Row(
                str(values[0]),
                tuple(cell(v, c) for v, c in zip(values[1:], names[1:], strict=True)),
            )
        )
    return Table(
        header=(tuple(Cell(c) for c in names[1:]),),
        panels=(Panel(None, tuple(body)),),
        stub=names[0],
        caption=caption,
        number=number,
        notes=Notes(general=tuple(str(n) for n in notes)),
        style=st,
    )
