"""Layout helpers shared by the renderers: text widths, decimal parts, symbols, pages.

The renderers size columns from their content. Widths are estimated from per-character
advance widths of a Times-like serif (in em, the font size): digits are 0.5 em in Times,
Liberation Serif and Latin Modern alike, CJK characters 1 em. The estimates err on the wide
side, so a table that is judged to fit does fit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from synergy_stats.tables.escape import has_cjk

if TYPE_CHECKING:  # pragma: no cover
    from synergy_stats.tables.model import Table
    from synergy_stats.tables.style import Style

__all__ = [
    "MINUS",
    "PAGE_CM",
    "ColumnShape",
    "column_shapes",
    "decimal_parts",
    "is_numeric",
    "split_symbols",
    "text_em",
    "text_width_pt",
    "with_minus",
    "words",
]

MINUS = "\u2212"

#: paper sizes (width, height) in cm
PAGE_CM = {"A4": (21.0, 29.7), "Letter": (21.59, 27.94)}

_NARROW = set("iljtfI.,;:'!|()[]{} ")
_WIDE = set("mwMW@%")
_CAPS = set("ABCDEFGHJKLNOPQRSTUVXYZ")
_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def _char_em(ch: str) -> float:
    if ch.isdigit():
        return 0.5
    if _CJK.match(ch):
        return 1.0
    if ch in _NARROW:
        return 0.3
    if ch in _WIDE:
        return 0.9
    if ch in _CAPS:
        return 0.72
    if ch in "\u2212+=<>\u2264\u2265\u00d7":
        return 0.6
    if ch in "\u2192\u2014":
        return 1.0
    if ch in "\u00b2\u00b3\u00b9":
        return 0.33
    if "\u0391" <= ch <= "\u03a9" or ch == "\u2206":
        return 0.7  # Greek capitals (Delta)
    if ch == "*":
        return 0.5
    return 0.5


def text_em(text: str, *, bold: bool = False) -> float:
    """Estimated width of ``text`` in em."""
    w = sum(_char_em(c) for c in text)
    return w * (1.06 if bold else 1.0)


def text_width_pt(text: str, size: float, *, bold: bool = False) -> float:
    """Estimated width of ``text`` set at ``size`` points."""
    return text_em(text, bold=bold) * size


def words(text: str) -> list[str]:
    """The unbreakable pieces of ``text``: words, and single CJK characters."""
    out: list[str] = []
    for w in text.split():
        if has_cjk(w):
            # CJK text may break between characters; keep Latin runs inside it whole
            out += re.findall(r"[A-Za-z0-9.,%()\-\u2212]+|.", w)
        else:
            out.append(w)
    return out


_NUM_RE = re.compile(r"^(?P<sign>[<>]\s?)?(?P<int>[-\u2212]?\d*)(?P<frac>\.\d+)?$")


def is_numeric(text: str) -> bool:
    """True for a number as the tables print it (``-0.123``, ``.045``, ``< .001``, ``12``)."""
    t = text.strip()
    if not t or not any(ch.isdigit() for ch in t):
        return False
    return _NUM_RE.match(t) is not None


def decimal_parts(text: str) -> tuple[str, str] | None:
    """Split a number at its decimal point: ``"-0.123"`` -> ``("-0", ".123")``.

    Returns None for text that is not a number (CIs, words, dashes).
    """
    t = text.strip()
    if not is_numeric(t):
        return None
    m = _NUM_RE.match(t)
    if m is None:  # pragma: no cover - is_numeric matched it
        return None
    sign = m.group("sign") or ""
    return sign + (m.group("int") or ""), m.group("frac") or ""


def with_minus(text: str, style: Style) -> str:
    """Replace hyphen-minus signs of numbers by U+2212 when the style asks for it."""
    if not style.true_minus:
        return text
    return re.sub(r"(?<![\w)])-(?=\.?\d)", MINUS, text)


#: statistical symbols set in italics (APA 7: Latin letters used as statistical symbols)
SYMBOLS = ("SE", "SD", "df", "b", "z", "p", "t", "F", "r", "n", "N", "M", "R²", "R2", "B")
_SYM_RE = re.compile(
    r"(?<![A-Za-z0-9_\u00b2])(" + "|".join(re.escape(s) for s in SYMBOLS) + r")(?![A-Za-z0-9_])"
)


def split_symbols(text: str, *, enabled: bool = True) -> list[tuple[str, bool]]:
    """Split ``text`` into ``(piece, italic)`` runs, italicising statistical symbols.

    ``p < .05`` gives ``[("p", True), (" < .05", False)]``; ``χ²/df`` gives
    ``[("χ²/", False), ("df", True)]``.
    """
    if not enabled or not text:
        return [(text, False)] if text else []
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in _SYM_RE.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((m.group(1), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


@dataclass(frozen=True)
class ColumnShape:
    """What a data column holds, for sizing and decimal alignment.

    ``numeric`` columns hold numbers (and blanks/dashes) in every body line; ``int_em`` and
    ``frac_em`` are the widest integer part and the widest ``.fraction`` + stars (in em),
    ``body_em`` the widest body text, ``header_em`` the widest unbreakable header word and
    ``header_full_em`` the widest whole header text.
    """

    numeric: bool
    int_em: float
    frac_em: float
    body_em: float
    header_em: float
    header_full_em: float

    @property
    def aligned_em(self) -> float:
        """Width of the decimal-aligned block."""
        return self.int_em + self.frac_em

    @property
    def natural_em(self) -> float:
        """Width the column needs (without padding)."""
        body = max(self.body_em, self.aligned_em if self.numeric else 0.0)
        return max(body, self.header_em)


_BLANKS = {"", "\u2014", "\u2013", "-"}


def column_shapes(table: Table) -> list[ColumnShape]:
    """Return the :class:`ColumnShape` of each data column (spanning cells ignored)."""
    n = table.ncols
    nums: list[list[tuple[str, str]]] = [[] for _ in range(n)]
    texts: list[list[str]] = [[] for _ in range(n)]
    non_numeric = [False] * n
    for line in table.lines():
        if line.kind == "panel":
            continue
        pos = 0
        for c in line.cells:
            if c.span == 1:
                sup = c.stars + (",".join(c.marks) if c.marks else "")
                parts = decimal_parts(c.text)
                if parts is not None:
                    nums[pos].append((parts[0], parts[1] + sup))
                elif c.text.strip() not in _BLANKS:
                    non_numeric[pos] = True
                texts[pos].append(c.text + sup)
            pos += c.span
    head_word = [0.0] * n
    head_full = [0.0] * n
    for hrow in table.header:
        pos = 0
        for h in hrow:
            if h.span == 1:
                ws = words(h.text) or [""]
                # headers take italic symbols and heavier faces: keep a little more room
                head_word[pos] = max(head_word[pos], max(text_em(w) for w in ws) + 0.3)
                head_full[pos] = max(head_full[pos], text_em(h.text))
            pos += h.span
    out = []
    for j in range(n):
        numeric = bool(nums[j]) and not non_numeric[j]
        int_em = max((text_em(i) for i, _ in nums[j]), default=0.0)
        frac_em = max((_sup_em(f) for _, f in nums[j]), default=0.0)
        body = max((_sup_em(t) for t in texts[j]), default=0.0)
        out.append(ColumnShape(numeric, int_em, frac_em, body, head_word[j], head_full[j]))
    return out


def _sup_em(text: str) -> float:
    # stars and marks are superscripts (about 0.7 of the size); counted at full width to
    # stay on the safe side only for the digits and point
    base = text.rstrip("*abcdefgh,†‡§")
    tail = text[len(base) :]
    return text_em(base) + 0.7 * text_em(tail)


def stub_widths(labels: Iterable[tuple[str, int, bool]]) -> tuple[float, float]:
    """(widest unbreakable word, widest whole label) of the stub, in em, with indents."""
    word_em = 0.0
    full_em = 0.0
    for text, indent, bold in labels:
        ind = 1.0 * indent
        ws = words(text) or [""]
        word_em = max(word_em, ind + max(text_em(w, bold=bold) for w in ws))
        full_em = max(full_em, ind + text_em(text, bold=bold))
    return word_em, full_em


def stub_labels(table: Table) -> list[tuple[str, int, bool]]:
    """The stub texts of the table: header stub, panel titles and row labels."""
    out = [(table.stub, 0, False)]
    for line in table.lines():
        if line.kind == "panel":
            out.append((line.label, 0, False))
        else:
            marks = ",".join(line.marks)
            out.append((line.label + (" " + marks if marks else ""), line.indent, line.bold))
    return out


def text_block_cm(style: Style, *, landscape: bool = False) -> tuple[float, float]:
    """(width, height) of the text block in cm for the style's paper and margins."""
    w, h = PAGE_CM[style.paper]
    if landscape:
        w, h = h, w
    return w - 2 * style.margin_cm, h - 2 * style.margin_cm


def pt_per_cm() -> float:
    """Points (1/72.27 in TeX, 1/72 in Word; the difference is below our precision)."""
    return 72.0 / 2.54
