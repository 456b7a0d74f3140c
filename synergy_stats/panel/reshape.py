"""Long <-> wide reshaping of panel data, with the checks panel models need.

Panel surveys arrive in *long* format: one row per respondent and wave. Longitudinal CFA,
the CLPM and the RI-CLPM are fitted on *wide* data: one row per respondent, one column per
variable and wave. :func:`long_to_wide` makes that step explicit and refuses what would
silently corrupt it: an id that appears twice within a wave, a wave where a variable does
not vary, a variable that is not a column.

Column names of the wide frame are ``<variable><sep><k>`` where ``k`` is the wave's 1-based
position in time (``item_w1``, ``item_w2``, ...; see :func:`order_waves`), so that any wave
coding (``1, 2, 3``, ``2021, 2022``, ``"T1", "T2"``) gives valid model-syntax names.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synergy_stats.errors import (
    DataValidationError,
    DroppedDataWarning,
    OptionError,
    SpecificationError,
)

__all__ = [
    "Panel",
    "check_waves",
    "long_to_wide",
    "order_waves",
    "reshape_panel",
    "wave_column",
    "wave_order_of",
    "wide_to_long",
]

_SPACES = re.compile(r"\s+")

DEFAULT_SEP = "_w"


def wave_column(variable: str, k: int, sep: str = DEFAULT_SEP) -> str:
    """Name of ``variable`` at the ``k``-th wave (1-based) in the wide frame."""
    return f"{variable}{sep}{k}"


@dataclass(frozen=True, eq=False)
class Panel:
    """Wide panel data with the roles needed to read it back.

    Attributes
    ----------
    wide : pandas.DataFrame
        One row per id; the id column first, then ``<variable><sep><k>`` columns.
    id : str
        Name of the id column.
    wave : str
        Name of the wave column of the long data.
    waves : tuple
        The wave values in order; wave ``k`` (1-based) is ``waves[k - 1]``.
    variables : tuple of str
        Variables spread over waves.
    sep : str
        Separator between a variable and its wave number.
    """

    wide: pd.DataFrame
    id: str
    wave: str
    waves: tuple[Any, ...]
    variables: tuple[str, ...]
    sep: str = DEFAULT_SEP

    @property
    def n_waves(self) -> int:
        """Number of waves."""
        return len(self.waves)

    def column(self, variable: str, k: int) -> str:
        """Wide column of ``variable`` at wave ``k`` (1-based)."""
        return wave_column(variable, k, self.sep)


def _require_columns(data: pd.DataFrame, names: Sequence[Hashable], what: str) -> None:
    missing = [v for v in names if v not in data.columns]
    if missing:
        shown = [str(c) for c in list(data.columns)[:30]]
        raise SpecificationError(
            f"{what} {missing} {'is' if len(missing) == 1 else 'are'} not a column of data; "
            f"available columns: {shown}"
        )


def reshape_panel(
    data: pd.DataFrame,
    *,
    id: str,
    wave: str,
    variables: Sequence[str],
    sep: str = DEFAULT_SEP,
    what: str = "variable(s)",
    check_constant: bool = True,
    wave_order: Sequence[Any] | None = None,
) -> Panel:
    """Reshape long panel data to wide, checking ids, waves and variables.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per id and wave; never modified.
    id, wave : str
        Columns holding the respondent id and the wave.
    variables : sequence of str
        Columns to spread over waves.
    sep : str
        Separator of the wide column names.
    what : str
        How to call ``variables`` in error messages (e.g. ``"construct(s)"``).
    check_constant : bool
        Raise when a variable does not vary within a wave.
    wave_order : sequence, optional
        The waves in time order. Without it the order is an ordered categorical wave
        column's, or inferred from the labels by :func:`order_waves` (numbers by value,
        ``"Wave 2"``/``"T3"``/``"第二轮"`` by their number, dates by date); labels whose order
        cannot be inferred are an error asking for ``wave_order``.

    Returns
    -------
    Panel

    Raises
    ------
    SpecificationError
        A variable is not a column.
    DataValidationError
        ``id``/``wave`` missing, an id duplicated within a wave, a non-numeric variable, a
        variable constant (or never observed) within a wave.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data={type(data).__name__} is not accepted; give a pandas DataFrame in long "
            "format (one row per id and wave)"
        )
    for name, val in (("id", id), ("wave", wave)):
        if val not in data.columns:
            raise DataValidationError(
                f"{name}={val!r} is not a column of data; available columns: "
                f"{[str(c) for c in list(data.columns)[:30]]}"
            )
    if id == wave:
        raise DataValidationError(f"id={id!r} and wave={wave!r} name the same column")
    variables = list(dict.fromkeys(variables))
    if not variables:
        raise SpecificationError(f"no {what} given")
    _require_columns(data, variables, what)
    repeated = [c for c in (id, wave, *variables) if int((data.columns == c).sum()) > 1]
    if repeated:
        raise DataValidationError(
            f"column {repeated[0]!r} appears more than once in data; rename the repeats"
        )
    for name, val in (("id", id), ("wave", wave)):
        unhashable = [v for v in data[val].tolist() if not isinstance(v, Hashable)]
        if unhashable:
            raise DataValidationError(
                f"{name}={val!r} holds {len(unhashable)} value(s) that are not ids, e.g. "
                f"{unhashable[0]!r}; use numbers or text"
            )
    bad = [
        v
        for v in variables
        if not pd.api.types.is_numeric_dtype(data[v]) or pd.api.types.is_bool_dtype(data[v])
    ]
    if bad:
        raise DataValidationError(
            f"{what} {bad} are not numeric (dtypes {[str(data[v].dtype) for v in bad]}); code "
            "responses as numbers first (synergy_stats.read_survey does this)"
        )
    keys = data[[id, wave]]
    no_key = keys.isna().any(axis=1).to_numpy()
    if no_key.any():
        warnings.warn(
            f"{int(no_key.sum())} row(s) with a missing {id!r} or {wave!r} were dropped",
            DroppedDataWarning,
            stacklevel=3,
        )
    sub = data.loc[~no_key, [id, wave, *variables]]
    dup = sub.duplicated(subset=[id, wave], keep=False).to_numpy()
    if dup.any():
        pairs = sub.loc[dup, [id, wave]].drop_duplicates()
        shown = ", ".join(f"({r[0]!r}, {r[1]!r})" for r in pairs.head(5).itertuples(index=False))
        raise DataValidationError(
            f"{len(pairs)} id(s) appear more than once within a wave (column id={id!r}, "
            f"wave={wave!r}), e.g. (id, wave) = {shown}; each respondent may answer each "
            "wave once: remove or merge the duplicates"
        )
    waves = wave_order_of(sub, wave, wave_order)
    if check_constant:
        check_waves(sub, wave=wave, variables=variables, waves=waves, what=what)
    position = {w: k for k, w in enumerate(waves, start=1)}
    ids = pd.unique(sub[id])
    index = {v: i for i, v in enumerate(ids.tolist())}
    row = np.fromiter((index[v] for v in sub[id].tolist()), dtype=int, count=len(sub))
    col_k = np.fromiter((position[v] for v in sub[wave].tolist()), dtype=int, count=len(sub))
    out: dict[str, Any] = {id: ids}
    values = sub[variables].to_numpy(dtype=float)
    for j, v in enumerate(variables):
        for k in range(1, len(waves) + 1):
            arr = np.full(len(ids), np.nan)
            sel = col_k == k
            arr[row[sel]] = values[sel, j]
            out[wave_column(v, k, sep)] = arr
    wide = pd.DataFrame(out)
    return Panel(wide, id, wave, waves, tuple(variables), sep)


def check_waves(
    data: pd.DataFrame,
    *,
    wave: str,
    variables: Sequence[str],
    waves: Sequence[Any] | None = None,
    what: str = "variable(s)",
) -> None:
    """Raise when a variable is constant or never observed within a wave.

    Raises
    ------
    DataValidationError
        Naming the variable, the wave and the single value observed.
    """
    waves = list(waves) if waves is not None else sorted(pd.unique(data[wave]).tolist())
    problems = []
    for w in waves:
        block = data.loc[data[wave] == w, list(variables)]
        for v in variables:
            col = block[v].to_numpy(dtype=float)
            col = col[np.isfinite(col)]
            if col.size == 0:
                problems.append(f"{v!r} has no observed value at wave {w!r}")
            elif np.ptp(col) == 0:
                problems.append(
                    f"{v!r} is constant at wave {w!r} (every one of {col.size} answers is "
                    f"{col[0]:g})"
                )
    if problems:
        raise DataValidationError(
            f"{what} cannot be modelled: "
            + "; ".join(problems[:8])
            + (f"; ... ({len(problems)} problems in all)" if len(problems) > 8 else "")
            + ". A constant variable has no variance to model: drop it or that wave"
        )


def long_to_wide(
    data: pd.DataFrame,
    *,
    id: str,
    wave: str,
    variables: Sequence[str],
    sep: str = DEFAULT_SEP,
) -> pd.DataFrame:
    """Spread long panel data over waves: one row per id, ``<variable><sep><k>`` columns.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data (one row per id and wave); never modified.
    id, wave : str
        Id and wave columns.
    variables : sequence of str
        Columns to spread.
    sep : str
        Separator; wave ``k`` is the k-th wave in time (1-based, :func:`order_waves`).

    Returns
    -------
    pandas.DataFrame
        Wide data; an id missing at a wave has NaN in that wave's columns.

    Raises
    ------
    DataValidationError
        An id duplicated within a wave, a constant variable within a wave, a missing
        ``id``/``wave`` column, non-numeric variables.
    SpecificationError
        A variable is not a column.

    Examples
    --------
    Mirrors R's ``reshape(long, idvar = "id", timevar = "wave", direction = "wide")``:

    >>> wide = long_to_wide(long, id="id", wave="wave", variables=["x"])  # doctest: +SKIP
    >>> list(wide.columns)  # doctest: +SKIP
    ['id', 'x_w1', 'x_w2', 'x_w3']
    """
    return reshape_panel(data, id=id, wave=wave, variables=variables, sep=sep).wide


def wide_to_long(
    wide: pd.DataFrame,
    *,
    id: str,
    variables: Sequence[str],
    waves: int | Sequence[Any],
    wave: str = "wave",
    sep: str = DEFAULT_SEP,
) -> pd.DataFrame:
    """Gather wide panel data back to long format (inverse of :func:`long_to_wide`).

    Parameters
    ----------
    wide : pandas.DataFrame
        One row per id with ``<variable><sep><k>`` columns; never modified.
    id : str
        Id column.
    variables : sequence of str
        Variable stems.
    waves : int or sequence
        Number of waves, or the wave values to write in the ``wave`` column (wave ``k``
        gets ``waves[k - 1]``).
    wave : str
        Name of the wave column to create.
    sep : str
        Separator used in the wide names.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, wave, *variables``; rows where every variable is missing are left out
        (a respondent absent from a wave).

    Raises
    ------
    SpecificationError
        A ``<variable><sep><k>`` column is missing.
    """
    labels = list(range(1, waves + 1)) if isinstance(waves, int) else list(waves)
    needed = [wave_column(v, k, sep) for v in variables for k in range(1, len(labels) + 1)]
    _require_columns(wide, [id, *needed], "wide column(s)")
    frames = []
    for k, lab in enumerate(labels, start=1):
        block = pd.DataFrame({id: wide[id].to_numpy(), wave: lab})
        for v in variables:
            block[v] = wide[wave_column(v, k, sep)].to_numpy()
        frames.append(block[~block[list(variables)].isna().all(axis=1)])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values([id, wave], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- wave order
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100}
_NUMBER = re.compile(r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+")


def _cn_number(text: str) -> int | None:
    """Value of a Chinese numeral such as 三, 十二, 二十一, 一百零五 (None if not one)."""
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def _number_key(label: str) -> tuple[str, float] | None:
    """(template, number) when ``label`` carries exactly one number: "Wave 2", "T3", "第二轮"."""
    text = unicodedata.normalize("NFKC", label).strip().casefold()
    found = list(_NUMBER.finditer(text))
    if len(found) != 1:
        return None
    m = found[0]
    raw = m.group(0)
    value: float | None = float(raw) if raw[0].isdigit() else _cn_number(raw)
    if value is None:
        return None
    template = _SPACES.sub(" ", text[: m.start()] + "#" + text[m.end() :]).strip()
    return template, value


def _date_keys(labels: Sequence[str]) -> list[Any] | None:
    """Dates of every label when all parse as dates, in one format, else None."""
    if not all(re.search(r"\d{4}", s) for s in labels):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(pd.Series(list(labels)), errors="raise", format="mixed")
    except (ValueError, TypeError, OverflowError):
        return None
    if parsed.isna().any():
        return None
    return list(parsed)


def order_waves(
    values: Sequence[Any], wave_order: Sequence[Any] | None = None, *, name: str = "wave"
) -> tuple[Any, ...]:
    """Return the distinct wave values in time order.

    Parameters
    ----------
    values : sequence
        The wave values observed (repeats and missing values are ignored).
    wave_order : sequence, optional
        The declared order (from the call or the codebook's ``wave_order``). Every observed
        value must be in it; declared waves nobody answered are left out.
    name : str
        The wave column, for messages.

    Returns
    -------
    tuple
        The observed wave values, first wave first.

    Raises
    ------
    DataValidationError
        An observed value missing from ``wave_order``, or labels whose order cannot be
        inferred (then ``wave_order`` is asked for).
    OptionError
        ``wave_order`` that is not a sequence of distinct values.

    Notes
    -----
    Without ``wave_order``: numbers (and dates) sort by value. Text labels are ordered by
    the one number they carry when they all share the same wording around it (``"1"``,
    ``"Wave 2"``, ``"T3"``, ``"第2轮"``, ``"第二轮"``, ``"第十一轮"``), or as dates when every
    label is a date (``"2023-05"``, ``"2024年3月"`` is not: give ``wave_order``). Anything
    else (``"baseline"``, ``"follow-up"``) cannot be ordered by its spelling, and sorting as
    text would silently reorder the panel (``第一轮, 第三轮, 第二轮``).
    """
    seen = [v for v in pd.unique(pd.Series(list(values), dtype=object)) if not _isna(v)]
    if wave_order is not None:
        if isinstance(wave_order, (str, bytes)) or not isinstance(wave_order, Sequence):
            raise OptionError(
                f"wave_order={wave_order!r} is not accepted; give a list of the wave values "
                "in time order, e.g. ['第一轮', '第二轮', '第三轮']"
            )
        order = list(wave_order)
        keyed = [_wave_key(v) for v in order]
        if len(set(keyed)) != len(keyed):
            raise OptionError(f"wave_order={order!r} names a wave twice")
        pos = {k: i for i, k in enumerate(keyed)}
        unknown = [v for v in seen if _wave_key(v) not in pos]
        if unknown:
            raise DataValidationError(
                f"{name}={name!r} holds value(s) {unknown} that wave_order={order!r} does not "
                "list; add them in their place in time"
            )
        return tuple(sorted(seen, key=lambda v: pos[_wave_key(v)]))
    if all(_is_number(v) for v in seen):
        return tuple(sorted(seen, key=float))
    if all(isinstance(v, (pd.Timestamp, datetime.date)) for v in seen):
        return tuple(sorted(seen, key=pd.Timestamp))
    if all(isinstance(v, str) for v in seen):
        keys = [_number_key(v) for v in seen]
        if all(k is not None for k in keys) and len({k[0] for k in keys if k}) == 1:
            nums = [k[1] for k in keys if k]
            if len(set(nums)) == len(nums):
                return tuple(v for _, v in sorted(zip(nums, seen, strict=True)))
        dates = _date_keys(seen)
        if dates is not None and len(set(dates)) == len(dates):
            return tuple(v for _, v in sorted(zip(dates, seen, strict=True)))
    shown = [v for v in seen[:8]]
    raise DataValidationError(
        f"the order of the waves in column {name!r} cannot be inferred from their labels "
        f"{shown}; give it as wave_order=[...] (first wave first): to read_survey or under "
        "`wave_order:` in the codebook (the wave column then carries the order), or make "
        "the column an ordered pandas Categorical"
    )


def _isna(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


def _wave_key(v: Any) -> Any:
    """Comparable key of a wave value: 2, 2.0 and "2" are one wave."""
    if _is_number(v):
        return ("n", float(v))
    if isinstance(v, str):
        text = unicodedata.normalize("NFKC", v).strip()
        try:
            return ("n", float(text))
        except ValueError:
            return ("s", text)
    return ("o", v)


def wave_order_of(
    data: pd.DataFrame, wave: Hashable, wave_order: Sequence[Any] | None = None
) -> tuple[Any, ...]:
    """The wave values of ``data[wave]`` in time order.

    ``wave_order`` first; then an ordered categorical column's categories (as
    :func:`synergy_stats.read_survey` writes the wave column when a ``wave_order`` is
    declared); then :func:`order_waves`'s inference.
    """
    col = data[wave]
    if wave_order is None and isinstance(col.dtype, pd.CategoricalDtype) and col.dtype.ordered:
        present = set(col.dropna().unique().tolist())
        return tuple(c for c in col.dtype.categories.tolist() if c in present)
    return order_waves(col.tolist(), wave_order, name=str(wave))
