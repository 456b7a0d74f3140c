"""Response-quality rules of platform exports: speeders, repeated submissions, attention checks.

Each rule returns, per row, whether it is flagged and why; :func:`synergy_stats.intake.validate`
records every flag in its :class:`~synergy_stats.intake.ValidationReport` (kinds
``speeder``, ``duplicate_ip``, ``attention_check``; a repeated respondent id is the existing
``duplicate_id_wave``). Nothing is dropped here: :meth:`ValidationReport.exclude` drops
flagged rows only when asked.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Hashable, Sequence
from numbers import Real
from typing import TYPE_CHECKING, Any

from synergy_stats.errors import DataValidationError
from synergy_stats.intake._common import column_key, preview
from synergy_stats.intake.headers import parse_header
from synergy_stats.intake.platforms import SKIP_TEXTS, parse_duration

if TYPE_CHECKING:
    from synergy_stats.instrument import Instrument
    from synergy_stats.instrument.model import AttentionCheck

__all__ = [
    "attention_failures",
    "durations",
    "find_attention_columns",
    "metadata_keys",
    "repeated",
    "speeders",
]

_BLANKS = frozenset({"", "na", "n/a", "nan", "null", "none", ".", "-"})


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        return bool(pd.api.types.is_scalar(value) and pd.isna(value))
    except (TypeError, ValueError):  # pragma: no cover - exotic scalars
        return False


def find_attention_columns(
    columns: Sequence[Hashable], instrument: Instrument
) -> dict[str, Hashable]:
    """Return ``{check id: column}`` for the instrument's attention checks found in ``columns``.

    A check's declared ``column`` matches a header equal to it (case, width and white space
    ignored); a declared question number (``"10"``, ``"Q10"``, ``"10.2"``) matches the one
    header that carries that number (``"10、(请选择“同意”)"``, ``"Q10"``). Checks whose
    column is absent are left out (``validate`` reports them as ``missing_item``).

    Raises
    ------
    DataValidationError
        If a declared question number fits several headers.
    """
    out: dict[str, Hashable] = {}
    keys = {column_key(c): c for c in columns}
    for check in instrument.attention_checks:
        exact = keys.get(column_key(check.column))
        if exact is not None:
            out[check.id] = exact
            continue
        number, words = parse_header(check.column)
        if number is None or words:
            continue
        hits = [c for c in columns if parse_header(c)[0] == number]
        if len(hits) > 1:
            raise DataValidationError(
                f"attention check {check.id!r} (column {check.column!r}) fits several columns: "
                f"{preview(hits)}; write the full header as its column in the codebook"
            )
        if hits:
            out[check.id] = hits[0]
    return out


def durations(values: Sequence[Any]) -> list[float]:
    """Return each duration cell in seconds (NaN when blank or unreadable)."""
    return [parse_duration(v) for v in values]


def speeders(seconds: Sequence[float], n_items: int, seconds_per_item: float) -> list[bool]:
    """Flag rows answered faster than ``seconds_per_item`` times ``n_items`` seconds.

    Rows whose duration is NaN are not flagged (they are reported as unreadable instead).
    """
    limit = seconds_per_item * n_items
    return [not math.isnan(s) and s < limit for s in seconds]


def repeated(keys: Sequence[tuple[Any, ...] | None]) -> list[int | None]:
    """For each row, the position of the earlier row with the same key (None if first or blank)."""
    first: dict[tuple[Any, ...], int] = {}
    out: list[int | None] = []
    for pos, key in enumerate(keys):
        if key is None:
            out.append(None)
        elif key in first:
            out.append(first[key])
        else:
            first[key] = pos
            out.append(None)
    return out


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _label_key(text: str) -> str:
    from synergy_stats.instrument.model import normalize_label

    return normalize_label(text)


def _as_code(value: Any, instrument: Instrument) -> tuple[float | None, str | None]:
    """(number, label key) of an attention-check answer; (None, None) when unanswered."""
    if _is_blank(value) or isinstance(value, bool):
        return None, None
    if isinstance(value, Real):
        try:
            x = float(value)
        except (OverflowError, TypeError, ValueError):  # an int beyond the float range
            return math.inf, None
        return (None, None) if math.isnan(x) else (x, None)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.casefold() in _BLANKS or text.casefold() in SKIP_TEXTS:
        return None, None
    try:
        return float(text), None
    except ValueError:
        pass
    codes = {s.code_for_label(text) for s in instrument.scales.values()} - {None}
    code = float(next(iter(codes))) if len(codes) == 1 else None  # type: ignore[arg-type]
    return code, _label_key(text)


def attention_failures(
    values: Sequence[Any],
    check: AttentionCheck,
    instrument: Instrument,
    skip_codes: frozenset[float] = frozenset(),
) -> list[str | None]:
    """For each row, why it fails the attention check (None when it passes).

    An answer passes when it equals one of ``check.passing``: as a number, or as a response
    label (English or Chinese, case, width and white space ignored). A label of the
    instrument's scales counts as its code, so ``pass: [4]`` accepts ``"同意"`` in a text
    export and ``4`` in a code export. An unanswered check (blank, ``(跳过)``, or a platform
    skip code) fails: the respondent did not follow the instruction.
    """
    pass_numbers: set[float] = set()
    pass_labels: set[str] = set()
    for p in check.passing:
        if isinstance(p, int):
            pass_numbers.add(float(p))
            continue
        text = str(p)
        try:
            pass_numbers.add(float(text))
        except ValueError:
            pass_labels.add(_label_key(text))
            codes = {s.code_for_label(text) for s in instrument.scales.values()} - {None}
            if len(codes) == 1:
                pass_numbers.add(float(next(iter(codes))))  # type: ignore[arg-type]
    out: list[str | None] = []
    for value in values:
        number, label = _as_code(value, instrument)
        if (number is None and label is None) or (number is not None and number in skip_codes):
            out.append("not answered")
        elif (number is not None and number in pass_numbers) or (
            label is not None and label in pass_labels
        ):
            out.append(None)
        else:
            out.append("wrong answer")
    return out


def metadata_keys(
    values: Sequence[Any], waves: Sequence[Any] | None
) -> list[tuple[Any, ...] | None]:
    """Keys (value[, wave]) for the repeat check; None for a blank value."""
    out: list[tuple[Any, ...] | None] = []
    for k, v in enumerate(values):
        if _is_blank(v) or (isinstance(v, str) and not v.strip()):
            out.append(None)
            continue
        key: Any = column_key(v) if isinstance(v, str) else v
        try:
            hash(key)
        except TypeError:  # an unhashable cell of a DataFrame
            key = ("unhashable", repr(v))
        if isinstance(key, float) and math.isnan(key):
            out.append(None)
            continue
        wave = waves[k] if waves is not None else None
        if waves is not None and (_is_blank(wave) or not _hashable(wave)):
            out.append(None)
            continue
        out.append((key,) if waves is None else (key, wave))
    return out
