"""Number formatting for tables: fixed digits, no negative zero, APA p-values and stars."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

from synergy_stats.errors import OptionError

__all__ = ["fmt_int", "fmt_num", "fmt_p", "is_missing", "stars_for"]


def is_missing(value: Any) -> bool:
    """Return True for None, NaN and pandas' missing markers."""
    if value is None:
        return True
    try:
        return bool(math.isnan(float(value)))
    except (TypeError, ValueError):
        return False


def fmt_num(
    value: Any,
    digits: int = 3,
    *,
    leading_zero: bool = True,
    missing: str = "",
) -> str:
    """Format a number with a fixed number of decimals.

    Parameters
    ----------
    value : float
        The number; None or NaN give ``missing``.
    digits : int
        Decimal places.
    leading_zero : bool
        If False, ``0.123`` becomes ``.123`` (APA style for values bounded by 1).
    missing : str
        Text for a missing value.

    Returns
    -------
    str
        Never a negative zero: a value that rounds to zero is printed without a sign.
    """
    if isinstance(digits, bool) or not isinstance(digits, Integral) or not 0 <= digits <= 15:
        raise OptionError(f"digits={digits!r} is not accepted; use a whole number from 0 to 15")
    if is_missing(value):
        return missing
    x = float(value)
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    text = f"{x:.{digits}f}"
    if float(text) == 0.0:
        text = text.lstrip("-")
    if not leading_zero:
        if text.startswith("0."):
            text = text[1:]
        elif text.startswith("-0."):
            text = "-" + text[2:]
    return text


def fmt_int(value: Any, *, missing: str = "") -> str:
    """Format a count (N, number of clusters) as an integer with no separator."""
    if is_missing(value):
        return missing
    number = float(value)
    if math.isinf(number):  # as fmt_num writes it
        return "Inf" if number > 0 else "-Inf"
    return str(round(number))


def fmt_p(value: Any, digits: int = 3, *, leading_zero: bool = False, missing: str = "") -> str:
    """Format a p-value: ``< .001`` below the smallest printable value, never ``.000``.

    Parameters
    ----------
    value : float
        The p-value (0 allowed).
    digits : int
        Decimal places (3 by APA).
    leading_zero : bool
        APA drops the leading zero (``.012``); econ style keeps it (``0.012``).
    missing : str
        Text for a missing value.

    Returns
    -------
    str
    """
    if is_missing(value):
        return missing
    p = float(value)
    floor = 10.0**-digits
    if p < floor:
        return "< " + fmt_num(floor, digits, leading_zero=leading_zero)
    if p > 1 - floor / 2 and p <= 1:
        return fmt_num(1.0, digits, leading_zero=leading_zero)
    return fmt_num(p, digits, leading_zero=leading_zero)


def stars_for(pvalue: Any, cutoffs: Mapping[str, float] | Sequence[tuple[str, float]]) -> str:
    """Return the star symbol for a p-value given ``{symbol: cutoff}``.

    The symbol of the smallest cutoff that ``pvalue`` is strictly below wins; a missing
    p-value gets no stars.
    """
    if is_missing(pvalue):
        return ""
    items = list(cutoffs.items()) if isinstance(cutoffs, Mapping) else list(cutoffs)
    best = ""
    best_cut = math.inf
    for symbol, cut in items:
        if float(pvalue) < cut and cut < best_cut:
            best, best_cut = symbol, cut
    return best
