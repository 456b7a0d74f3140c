"""Display labels: user maps first, then the instrument's labels, then raw names.

The instrument gives construct names (English or Chinese by style), item codes (the
questionnaire's code, e.g. ``Q7``, the item's first alias) and, as an option, the item
wording. Wave-specific names of the panel models (``w_mechanism_w1``, ``process_t2``)
become ``Synergy mechanism (T1)``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from synergy_stats._typing import check_option
from synergy_stats.errors import OptionError
from synergy_stats.tables.escape import has_cjk
from synergy_stats.tables.style import Style

__all__ = [
    "ItemLabels",
    "instrument_labels",
    "item_code",
    "make_labeller",
    "split_wave",
]

ItemLabels = Literal["code", "wording", "code_wording", "id"]

_WAVE_RE = re.compile(r"^(?:(?:w|b|ri|eta)_)?(?P<name>.+?)_?(?:w|t|wave|T)(?P<wave>\d+)$")


def item_code(item: Any) -> str:
    """The questionnaire code of an item: its first plain (ASCII) alias, else its id."""
    for alias in getattr(item, "aliases", ()) or ():
        a = str(alias)
        if a and not has_cjk(a) and len(a) <= 12 and " " not in a:
            return a
    return str(getattr(item, "id", item))


def instrument_labels(
    instrument: Any, language: str, *, items: ItemLabels = "code"
) -> dict[str, str]:
    """Map construct ids to their labels and item ids to codes (or wording) in ``language``.

    Parameters
    ----------
    instrument : Instrument or None
        A :class:`synergy_stats.instrument.Instrument` (anything with ``constructs``
        mapping ids to objects with a bilingual ``label``, and ``items``).
    language : str
        ``"en"`` or ``"zh"``.
    items : {"code", "wording", "code_wording", "id"}
        How items are named: the questionnaire code (``Q7``), the wording, both
        (``Q7 Many work-safety hazards ...``) or the instrument's item id.

    Returns
    -------
    dict
    """
    check_option("items", items, ItemLabels)
    if instrument is None:
        return {}
    if isinstance(instrument, str | os.PathLike):  # a bundled name or a codebook path
        from synergy_stats.instrument import load_instrument

        instrument = load_instrument(instrument)
    if not isinstance(getattr(instrument, "constructs", None), Mapping):
        raise OptionError(
            f"instrument={type(instrument).__name__} is not accepted; give an Instrument "
            "(ss.load_instrument), the name of a bundled one, or None"
        )
    out: dict[str, str] = {}
    for cid, construct in getattr(instrument, "constructs", {}).items():
        label = getattr(construct, "label", None)
        text = getattr(label, language, None) if label is not None else None
        if text:
            out[str(cid)] = str(text)
    if items != "id":
        for item in getattr(instrument, "items", ()) or ():
            code = item_code(item)
            wording = getattr(getattr(item, "text", None), language, None) or ""
            if items == "code":
                out[str(item.id)] = code
            elif items == "wording":
                out[str(item.id)] = str(wording) or code
            else:
                out[str(item.id)] = f"{code} {wording}".strip()
    return out


def split_wave(name: str) -> tuple[str, int] | None:
    """``"w_mechanism_w2"`` -> ``("mechanism", 2)``; None for a name without a wave."""
    m = _WAVE_RE.match(name)
    if m is None:
        return None
    return m.group("name"), int(m.group("wave"))


def make_labeller(
    style: Style,
    labels: Mapping[str, str] | None,
    instrument: Any = None,
    *,
    items: ItemLabels = "code",
) -> Callable[[str], str]:
    """Return a function name -> display label.

    Order: ``labels``, the instrument (constructs, items), then wave-specific names of a
    known construct (``Synergy mechanism (T1)``), then the built-in words of the style
    (``Intercept``, ``Residual``, ``department`` in Chinese), then the name itself.
    """
    table: dict[str, str] = instrument_labels(instrument, style.language, items=items)
    if labels:
        table.update({str(k): str(v) for k, v in labels.items()})

    def label(name: str) -> str:
        if name in table:
            return table[name]
        if name in ("Intercept", "const"):
            return style.word("Intercept")
        if name == "Residual":
            return style.word("Residual")
        wave = split_wave(name)
        if wave is not None and wave[0] in table:
            return f"{table[wave[0]]} ({style.word('wave').format(t=wave[1])})"
        if style.language == "zh" and name in ("department", "street"):
            return style.word(name)
        return name

    return label
