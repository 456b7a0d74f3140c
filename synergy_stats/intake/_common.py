"""Small helpers shared by the intake modules: name matching, value display, markdown."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Hashable, Sequence
from typing import Any

__all__ = [
    "column_key",
    "format_value",
    "markdown_table",
    "plain",
    "preview",
]

_SPACE = re.compile(r"\s+")


def column_key(label: Hashable) -> str:
    """Return the matching key of a column label or name.

    The key is the label as text, NFKC-normalised (full-width letters and digits become
    ASCII), with a leading byte-order mark and surrounding white space removed, runs of inner
    white space collapsed to one space, and case folded. ``" Q1 "``, ``"q1"`` and ``"Ｑ１"``
    share the key ``"q1"``.
    """
    text = unicodedata.normalize("NFKC", str(label)).replace("\ufeff", "")
    return _SPACE.sub(" ", text).strip().casefold()


def plain(value: Any) -> Any:
    """Return numpy scalars as the equivalent Python scalar; other values unchanged."""
    item = getattr(value, "item", None)
    if type(value).__module__ == "numpy" and callable(item) and getattr(value, "ndim", 1) == 0:
        return item()
    return value


def format_value(value: Any) -> str:
    """Return a short, readable rendering of a cell value for messages and tables."""
    value = plain(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.6g}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def preview(names: Sequence[Any], limit: int = 10) -> str:
    """Return ``'a', 'b', ... (n in all)`` for use in error messages."""
    shown = ", ".join(repr(n) for n in list(names)[:limit])
    if len(names) > limit:
        shown += f", ... ({len(names)} in all)"
    return shown or "(none)"


def _md_cell(value: Any) -> str:
    if value is None:
        text = ""
    elif isinstance(value, float):
        if math.isnan(value):
            text = ""
        elif value.is_integer() and abs(value) < 1e15:
            text = str(int(value))
        else:
            text = f"{value:.3f}"
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Render a GitHub-flavoured markdown table.

    Parameters
    ----------
    header : sequence of str
        Column headings.
    rows : sequence of sequences
        Cell values; floats are shown with three decimals (whole numbers without),
        NaN and None as empty cells, and ``|`` is escaped.

    Returns
    -------
    str
        The table, one line per row, without a trailing newline.
    """
    lines = [
        "| " + " | ".join(_md_cell(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
    return "\n".join(lines)
