"""Display labels: user maps first, then the instrument's construct labels, then raw names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synergy_stats.tables.style import Style

__all__ = ["instrument_labels", "make_labeller"]


def instrument_labels(instrument: Any, language: str) -> dict[str, str]:
    """Map construct ids to their labels in ``language`` (``"en"`` or ``"zh"``).

    Parameters
    ----------
    instrument : Instrument or None
        A :class:`synergy_stats.instrument.Instrument` (anything with ``constructs``
        mapping ids to objects with a bilingual ``label``).
    language : str
        ``"en"`` or ``"zh"``.

    Returns
    -------
    dict
    """
    if instrument is None:
        return {}
    out: dict[str, str] = {}
    for cid, construct in getattr(instrument, "constructs", {}).items():
        label = getattr(construct, "label", None)
        text = getattr(label, language, None) if label is not None else None
        if text:
            out[str(cid)] = str(text)
    return out


def make_labeller(style: Style, labels: Mapping[str, str] | None, instrument: Any = None) -> Any:
    """Return a function name -> display label."""
    table: dict[str, str] = instrument_labels(instrument, style.language)
    if labels:
        table.update({str(k): str(v) for k, v in labels.items()})

    def label(name: str) -> str:
        if name in table:
            return table[name]
        if name in ("Intercept", "const"):
            return style.word("Intercept")
        if name == "Residual":
            return style.word("Residual")
        return name

    return label
