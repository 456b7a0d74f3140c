"""Reading questionnaire exports into tidy survey data: :func:`read_survey`.

The reader maps the columns of a questionnaire export to the items of an instrument (by item
id or alias), turns response labels (English or Chinese) and numeric strings into codes, turns
missing-value codes into NaN while recording why each cell is missing, and keeps the
respondent id, wave, group and every other column. Values that are not usable codes become
NaN too; they are listed in :attr:`SurveyData.raw_problems` and reported by
:func:`synergy_stats.intake.validate`.
"""

from __future__ import annotations

import io
import math
import os
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from synergy_stats._typing import check_arguments, check_option
from synergy_stats.errors import (
    DataValidationError,
    DroppedDataWarning,
    OptionError,
    SynergyWarning,
)
from synergy_stats.intake._common import column_key, format_value, plain, preview
from synergy_stats.intake.headers import HeaderMatch, match_headers
from synergy_stats.intake.platforms import (
    METADATA_ROLES,
    PLATFORMS,
    SKIP_TEXTS,
    SKIPPED,
    Platform,
    PlatformName,
    find_metadata,
)
from synergy_stats.intake.quality import find_attention_columns

if TYPE_CHECKING:
    import pandas as pd

    from synergy_stats.instrument import Instrument, Scale

__all__ = [
    "BLANK_TOKENS",
    "CSV_ENCODINGS",
    "MISSING_COLUMNS",
    "PROBLEM_COLUMNS",
    "SurveyData",
    "read_survey",
    "resolve_instrument",
]

#: Encodings tried, in order, for CSV files (a UTF-8 byte-order mark is always removed).
CSV_ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "gbk")

#: Text read as "no answer" in an item column (compared after NFKC, strip and case folding).
#: ``(跳过)`` is how some Chinese survey platforms export a skipped question.
BLANK_TOKENS: frozenset[str] = frozenset(
    {"", "na", "n/a", "nan", "null", "none", ".", "-", "(跳过)", "跳过", "(skipped)", "skipped"}
)

#: Columns of :attr:`SurveyData.missing`.
MISSING_COLUMNS: tuple[str, ...] = ("row", "item", "column", "value", "code", "reason", "reason_zh")

#: Columns of a problems table (:attr:`SurveyData.raw_problems`, ``ValidationReport.problems``).
PROBLEM_COLUMNS: tuple[str, ...] = ("row", "column", "value", "kind", "message")

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
# "5 = Strongly agree", "5. 非常同意", "5、非常同意", "(5) strongly agree"
_CODE_AND_LABEL = re.compile(r"^\(?([+-]?\d+)\s*[)=:.、\-]?\s*(\D.*)$")

_NO_ANSWER = ("no answer", "未作答")
_INVALID = ("invalid value", "无效值")

Status = Literal["valid", "blank", "missing_code", "invalid", "out_of_range", "skipped"]
_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".sav", ".zsav", ".dta")


class _Cell(NamedTuple):
    """How one item cell was read."""

    status: Status
    code: float  # the valid code, or the missing code for status "missing_code"; else NaN
    value: Any  # the value as read: numbers as float, text stripped, other objects as given
    detail: str  # extra words for the message of an invalid value


@dataclass(frozen=True, eq=False)
class SurveyData:
    """Survey responses read against an instrument (the result of :func:`read_survey`).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per input row, same index as the input. Item columns are renamed to the
        item ids and hold float codes: valid codes only, NaN for every missing or unusable
        value. The id, wave, group and all other columns are kept in their input order.
    instrument : Instrument
        The instrument the data were read against.
    missing : pandas.DataFrame
        One row per NaN item cell, columns ``row`` (index label), ``item``, ``column``
        (column name in the input), ``value`` (as read), ``code`` (the missing code, NaN if
        none), ``reason`` and ``reason_zh`` ("no answer" for an empty cell, the meaning of a
        missing code such as "don't know", or "invalid value").
    raw_problems : pandas.DataFrame
        Values that were neither a valid code, a missing code nor a response label
        (kinds ``out_of_range`` and ``invalid_value``), with the columns ``row``,
        ``column``, ``value``, ``kind``, ``message`` of a validation report.
    columns : Mapping[str, Hashable]
        Item id -> column name in the input, for the items found.
    id, wave, group : Hashable or None
        Names of the respondent-id, wave and group columns in :attr:`data`.
    covariates : tuple
        Other columns declared as expected (not reported as unknown).
    unknown : tuple
        Columns that are neither items, id, wave, group nor covariates.
    source : str or None
        The file read, or None for a DataFrame.
    raw_positions : tuple of int
        0-based row positions of :attr:`raw_problems` (row labels may repeat).
    metadata : Mapping[str, Hashable]
        Platform metadata role (``duration``, ``ip``, ``respondent``, ...; see
        :data:`synergy_stats.intake.platforms.PLATFORMS`) -> column, for the roles found.
    platform : str or None
        The platform preset the data were read with.
    attention : Mapping[str, Hashable]
        Attention-check id (codebook ``attention_checks``) -> column, for the checks found.
        Their columns are kept as read and are neither items nor unknown columns.

    Notes
    -----
    The dataclass is frozen; the frames it holds are new objects that share no data with
    the caller's input.
    """

    data: pd.DataFrame
    instrument: Instrument
    missing: pd.DataFrame
    raw_problems: pd.DataFrame
    columns: Mapping[str, Hashable] = field(default_factory=dict)
    id: Hashable | None = None
    wave: Hashable | None = None
    group: Hashable | None = None
    covariates: tuple[Hashable, ...] = ()
    unknown: tuple[Hashable, ...] = ()
    source: str | None = None
    raw_positions: tuple[int, ...] = field(default=(), repr=False)
    header_match: HeaderMatch | None = field(default=None, repr=False, compare=False)
    metadata: Mapping[str, Hashable] = field(default_factory=dict)
    platform: str | None = None
    attention: Mapping[str, Hashable] = field(default_factory=dict)

    @property
    def items(self) -> list[str]:
        """Ids of the instrument's items present in :attr:`data`, in instrument order."""
        return [it.id for it in self.instrument.items if it.id in self.columns]

    @property
    def absent_items(self) -> list[str]:
        """Ids of the instrument's items that have no column in the data."""
        return [it.id for it in self.instrument.items if it.id not in self.columns]

    @property
    def n_rows(self) -> int:
        """Number of rows (respondent-waves)."""
        return len(self.data)

    def __repr__(self) -> str:
        roles = ", ".join(
            f"{name}={value!r}"
            for name, value in (("id", self.id), ("wave", self.wave), ("group", self.group))
            if value is not None
        )
        return (
            f"SurveyData(instrument={self.instrument.id!r}, rows={self.n_rows}, "
            f"items={len(self.items)}/{len(self.instrument.items)}, "
            f"missing_cells={len(self.missing)}, raw_problems={len(self.raw_problems)}"
            + (f", {roles}" if roles else "")
            + ")"
        )


# --------------------------------------------------------------------------- instrument
def resolve_instrument(instrument: Any) -> Instrument:
    """Return ``instrument`` as an :class:`Instrument`, loading it if given a name or path.

    Raises
    ------
    OptionError
        If ``instrument`` is neither an Instrument, a str nor a path.
    InstrumentError
        If the name or file cannot be loaded.
    """
    from synergy_stats.instrument import Instrument

    if isinstance(instrument, Instrument):
        return instrument
    if isinstance(instrument, str | os.PathLike):
        from synergy_stats.instrument import load_instrument

        loaded: Instrument = load_instrument(instrument)
        return loaded
    raise OptionError(
        f"instrument={instrument!r} is not accepted; pass an Instrument, the name of a bundled "
        "instrument (see synergy_stats.list_instruments()) or the path of a YAML codebook"
    )


# --------------------------------------------------------------------------- file reading
def _read_csv(path: Path) -> pd.DataFrame:
    import pandas as pd

    raw = path.read_bytes()
    text: str | None = None
    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    if text is None:
        raise DataValidationError(
            f"source={str(path)!r} could not be decoded with any of the encodings "
            f"{', '.join(CSV_ENCODINGS)}; save the file as UTF-8"
        )
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise DataValidationError(f"source={str(path)!r} is empty")
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataValidationError(
            f"source={str(path)!r} is not a readable CSV file: {exc}"
        ) from exc


def _read_xlsx(path: Path, sheet: str | int) -> pd.DataFrame:
    import pandas as pd

    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl")
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, TypeError) as exc:
        raise DataValidationError(
            f"source={str(path)!r} (sheet={sheet!r}) is not a readable XLSX file: {exc}"
        ) from exc
    if not isinstance(frame, pd.DataFrame):  # pragma: no cover - sheet_name is a scalar
        raise DataValidationError(f"sheet={sheet!r} must name one sheet")
    return frame


def _read_readstat(
    path: Path, kind: Literal["sav", "dta"]
) -> tuple[pd.DataFrame, dict[Hashable, str]]:
    """The data of a .sav/.dta file and its variable labels (column -> non-blank label)."""
    import pyreadstat

    errors: tuple[type[BaseException], ...] = (
        pyreadstat.ReadstatError,
        pyreadstat.PyreadstatError,
        OSError,
        ValueError,
        UnicodeDecodeError,
    )
    try:
        if kind == "sav":
            # user_missing=True keeps SPSS user-missing codes (8, 9) so their reason survives
            frame, meta = pyreadstat.read_sav(
                str(path), user_missing=True, apply_value_formats=False
            )
        else:
            frame, meta = pyreadstat.read_dta(str(path), apply_value_formats=False)
    except errors as exc:
        label = "SPSS .sav" if kind == "sav" else "Stata .dta"
        raise DataValidationError(
            f"source={str(path)!r} is not a readable {label} file: {exc}"
        ) from exc
    var_labels: dict[Hashable, str] = {
        col: lab.strip()
        for col, lab in (meta.column_names_to_labels or {}).items()
        if isinstance(lab, str) and lab.strip()
    }
    return frame, var_labels


def _read_source(
    source: Any, sheet: str | int
) -> tuple[pd.DataFrame, str | None, dict[Hashable, str]]:
    """The frame of ``source``, its file name (None for a DataFrame) and variable labels.

    Variable labels come from ``.sav``/``.dta`` files (column -> label; empty otherwise).
    """
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return source, None, {}
    if not isinstance(source, str | os.PathLike):
        raise DataValidationError(
            f"source={type(source).__name__} is not accepted; pass a pandas DataFrame or the "
            f"path of a {', '.join(_SUFFIXES)} file"
        )
    path = Path(os.fspath(source))
    suffix = path.suffix.casefold()
    if suffix not in _SUFFIXES:
        raise DataValidationError(
            f"source={str(path)!r} has the suffix {suffix!r}; read_survey reads "
            f"{', '.join(_SUFFIXES)} files, or a pandas DataFrame"
        )
    if not path.is_file():
        raise DataValidationError(f"source={str(path)!r}: no such file")
    var_labels: dict[Hashable, str] = {}
    if suffix == ".csv":
        frame = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        frame = _read_xlsx(path, sheet)
    elif suffix in (".sav", ".zsav"):
        frame, var_labels = _read_readstat(path, "sav")
    else:
        frame, var_labels = _read_readstat(path, "dta")
    return frame, str(path), var_labels


# --------------------------------------------------------------------------- cell reading
def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\ufeff", "").strip()


def _is_blank_scalar(value: Any) -> bool:
    import pandas as pd

    if value is None:
        return True
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        return False
    if not pd.api.types.is_scalar(value):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # pragma: no cover - exotic scalars
        return False


def _to_float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:  # a Python int beyond the float range
        return math.inf if value > 0 else -math.inf


def _classify_number(x: float, scale: Scale, value: Any) -> _Cell:
    if math.isnan(x):
        return _Cell("blank", math.nan, value, "")
    if x.is_integer() and int(x) in scale.missing:
        return _Cell("missing_code", float(int(x)), value, "")
    if scale.minimum <= x <= scale.maximum:
        if x.is_integer():
            return _Cell("valid", x, value, "")
        return _Cell("invalid", math.nan, value, "is not a whole number")
    return _Cell("out_of_range", math.nan, value, "")


def _classify(value: Any, scale: Scale) -> _Cell:
    """Read one item cell: a code, a missing code, a label, a blank, or a bad value."""
    if _is_blank_scalar(value):
        return _Cell("blank", math.nan, math.nan, "")
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return _Cell("invalid", math.nan, value, "is a true/false value, not a code")
    if isinstance(value, Real):
        x = _to_float(value)
        return _classify_number(x, scale, x)
    if isinstance(value, str):
        text = _nfkc(value)
        if text.casefold() in SKIP_TEXTS:
            return _Cell("skipped", math.nan, text, "")
        if text.casefold() in BLANK_TOKENS:
            return _Cell("blank", math.nan, text or math.nan, "")
        if _NUMBER.match(text):
            x = float(text)
            return _classify_number(x, scale, x)
        code = scale.code_for_label(text)
        if code is None:
            match = _CODE_AND_LABEL.match(text)
            if match is not None:
                label_code = scale.code_for_label(match.group(2))
                if label_code is not None and label_code == int(match.group(1)):
                    code = label_code
        if code is None:
            return _Cell("invalid", math.nan, text, "")
        if code in scale.missing:
            return _Cell("missing_code", float(code), text, "")
        return _Cell("valid", float(code), text, "")
    return _Cell("invalid", math.nan, value, f"is a {type(value).__name__}, not a code or label")


def _read_item_column(
    values: list[Any], scale: Scale, skip_codes: frozenset[float] = frozenset()
) -> list[_Cell]:
    cache: dict[tuple[type, Any], _Cell] = {}
    out: list[_Cell] = []
    for value in values:
        key: tuple[type, Any] | None = (type(value), value)
        try:
            cell = cache.get(key)  # type: ignore[arg-type]
        except TypeError:  # unhashable cell content
            key, cell = None, None
        if cell is None:
            cell = _classify(value, scale)
            if (
                cell.status == "out_of_range"
                and isinstance(cell.value, float)
                and cell.value in skip_codes
            ):
                cell = _Cell("skipped", math.nan, cell.value, "")
            if key is not None:
                cache[key] = cell
        out.append(cell)
    return out


def problem_message(
    kind: str, cell_value: Any, column: Hashable, item: str, scale: Scale, detail: str
) -> str:
    """Return the message of a cell-level problem (``out_of_range`` or ``invalid_value``)."""
    shown = format_value(cell_value)
    missing = ", ".join(str(c) for c in scale.missing) or "none"
    where = f"column {column!r}" + (f" (item {item})" if column != item else "")
    if kind == "out_of_range":
        return (
            f"value {shown} in {where} is outside {scale.minimum}..{scale.maximum} of scale "
            f"{scale.id!r} and is not a missing code ({missing})"
        )
    extra = f" {detail}" if detail else ""
    return (
        f"value {shown} in {where}{extra}; expected a code {scale.minimum}..{scale.maximum}, "
        f"a missing code ({missing}) or a response label of scale {scale.id!r}"
    )


# --------------------------------------------------------------------------- other columns
def _tidy_column(series: pd.Series, *, strict: bool, name: str) -> pd.Series:
    """Make an id/wave/group (or file-read) column comparable: blanks to NaN, numbers typed.

    Text that looks like numbers becomes numbers, whole numbers become integers (``int64``
    without gaps, ``Int64`` with gaps); other text is stripped. With ``strict`` a column with
    values that are neither numbers nor text raises DataValidationError.
    """
    import numpy as np
    import pandas as pd

    values = series.tolist()
    cleaned: list[Any] = []
    numeric = True
    for value in values:
        if _is_blank_scalar(value):
            cleaned.append(None)
            continue
        if isinstance(value, str):
            text = _nfkc(value)
            if text.casefold() in BLANK_TOKENS:
                cleaned.append(None)
            elif _NUMBER.match(text):
                cleaned.append(_to_float(text))
            else:
                cleaned.append(text)
                numeric = False
        elif isinstance(value, Real) and not isinstance(value, bool):
            x = _to_float(value)
            cleaned.append(None if math.isnan(x) else x)
        else:
            if strict:
                raise DataValidationError(
                    f"{name} column {series.name!r} holds {format_value(value)} (a "
                    f"{type(value).__name__}), which is neither numbers nor text"
                )
            return series.copy()
    present = [v for v in cleaned if v is not None]
    if numeric:
        floats = np.array([np.nan if v is None else v for v in cleaned], dtype=float)
        whole = bool(np.all(np.isfinite(floats[~np.isnan(floats)]))) and all(
            float(v).is_integer() and abs(float(v)) < 2**53 for v in present
        )
        if whole and present:
            if len(present) == len(cleaned):
                return pd.Series(floats.astype(np.int64), index=series.index, name=series.name)
            return pd.Series(floats, index=series.index, name=series.name).astype("Int64")
        return pd.Series(floats, index=series.index, name=series.name)
    texts = [
        None if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
        for v in cleaned
    ]
    return pd.Series(texts, index=series.index, name=series.name, dtype=object).astype("str")


def _ordered_waves(
    column: pd.Series, declared: Sequence[Any] | None, name: Any, warn: bool
) -> pd.Series:
    """The wave column as an ordered categorical when its order is declared or text-inferred.

    Numeric waves without a declared order are returned as they are (they sort by value).
    Text labels whose order cannot be inferred are kept, with a warning; the panel steps
    then ask for ``wave_order``.
    """
    import pandas as pd

    from synergy_stats.panel.reshape import order_waves

    if isinstance(column.dtype, pd.CategoricalDtype) and column.dtype.ordered and not declared:
        return column
    values = column.tolist()
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if declared is None and numeric:
        return column
    try:
        order = order_waves(values, declared, name=str(name))
    except DataValidationError:
        if declared is not None:
            raise
        if warn:
            warnings.warn(
                f"the order of the waves in column {name!r} cannot be inferred from their "
                "labels; give wave_order=[...] (read_survey or the codebook) before any "
                "panel analysis",
                SynergyWarning,
                stacklevel=4,
            )
        return column
    if declared is not None:  # map equal spellings (2, "2") onto the declared labels
        from synergy_stats.panel.reshape import _wave_key

        canon = {_wave_key(v): v for v in order}
        values = [canon.get(_wave_key(v), v) if not _missing(v) else None for v in values]
    return pd.Series(
        pd.Categorical(values, categories=list(order), ordered=True),
        index=column.index,
        name=column.name,
    )


def _missing(value: Any) -> bool:
    try:
        return bool(value is None or (isinstance(value, float) and math.isnan(value)))
    except TypeError:
        return False


def _find_column(columns: Sequence[Hashable], name: Any, argument: str) -> Hashable:
    if not isinstance(name, str):
        raise OptionError(f"{argument}={name!r} is not accepted; give a column name (str) or None")
    exact = [c for c in columns if c == name]
    if exact:
        return exact[0]
    key = column_key(name)
    close = [c for c in columns if column_key(c) == key]
    if len(close) == 1:
        return close[0]
    if len(close) > 1:
        raise DataValidationError(
            f"{argument}={name!r} matches several columns ({preview(close)}); rename one"
        )
    raise DataValidationError(
        f"{argument}={name!r} is not a column of the data; columns are {preview(list(columns))}"
    )


# --------------------------------------------------------------------------- main entry
def read_survey(
    source: pd.DataFrame | str | os.PathLike[str],
    instrument: Instrument | str | os.PathLike[str],
    *,
    id: str | None = None,
    wave: str | None = None,
    group: str | None = None,
    covariates: str | Iterable[str] | None = None,
    sheet: str | int = 0,
    wave_order: Sequence[Any] | None = None,
    platform: PlatformName | None = None,
    metadata: Mapping[str, str] | None = None,
) -> SurveyData:
    """Read survey responses and map them onto an instrument's items.

    Parameters
    ----------
    source : DataFrame, str or path
        A pandas DataFrame, or the path of a ``.csv`` (encodings tried in order: UTF-8,
        UTF-8 with byte-order mark, GBK), ``.xlsx``, SPSS ``.sav`` or Stata ``.dta`` file.
        Panel data come in long form: one row per respondent and wave.
    instrument : Instrument, str or path
        The instrument, the name of a bundled instrument (``"synergy-execution"``,
        ``"sfic"``) or the path of a YAML codebook.
    id, wave, group : str, optional
        Names of the respondent-id, wave and group (for example department) columns.
        Matching ignores case and surrounding white space.
    covariates : str or iterable of str, optional
        Other columns the analysis expects (demographics, weights). They are kept like every
        other column; declaring them only stops :func:`validate` from reporting them as
        unknown columns.
    sheet : str or int, default 0
        The sheet of an ``.xlsx`` file.
    wave_order : sequence, optional
        The wave labels in time order, first wave first (default: the codebook's
        ``wave_order``). With a declared order, or text labels whose order can be inferred
        (``"Wave 2"``, ``"T3"``, ``"第二轮"``, dates; see
        :func:`synergy_stats.panel.order_waves`), the wave column becomes an ordered
        categorical, so every later step (panel models, the report) takes the waves in time
        order, never in spelling order (``第一轮, 第三轮, 第二轮``).
    platform : {"wjx", "tencent", "qualtrics"}, optional
        The survey platform's export conventions
        (:data:`synergy_stats.intake.platforms.PLATFORMS`): its metadata columns
        (submission time, duration, source, IP, serial number) are recorded in
        ``.metadata`` and kept out of the item matching, and its skip codes (Wenjuanxing
        ``-3``/``-2``) read as the reason "skipped", the reason of the text exports'
        ``"(跳过)"``.
        In a labelled ``.sav``/``.dta`` export whose metadata headers were made
        SPSS-safe (``所用时间`` -> ``V3``, the original kept as the variable label), the
        preset's headers are also looked for among the variable labels.
    metadata : mapping, optional
        Metadata role -> column name, for exports whose metadata headers the preset does
        not know (or without a preset): roles ``serial``, ``submitted``, ``duration``,
        ``source``, ``ip``, ``respondent``. Given columns win over the preset's.

    Returns
    -------
    SurveyData
        ``.data`` with item columns renamed to item ids and holding float codes (NaN when
        missing), ``.missing`` (why each NaN item cell is missing), ``.raw_problems``
        (values that could not be read as codes) and the column roles.

    Raises
    ------
    DataValidationError
        If the file cannot be read, a named column is absent, two columns map to the same
        item, column names repeat, or an id/wave/group column holds values that are
        neither numbers nor text.
    OptionError, InstrumentError
        If ``instrument`` or an option is not usable.

    Warns
    -----
    DroppedDataWarning
        If some item values could not be read as codes; they are NaN in ``.data`` and listed
        in ``.raw_problems``.

    Notes
    -----
    Columns are matched to items by item id or alias after NFKC normalisation, removal of
    surrounding white space and case folding. Each item cell is read as follows:

    * empty, NaN, or one of :data:`BLANK_TOKENS` -> NaN, reason "no answer";
    * a number or numeric text that is one of the scale's missing codes (e.g. 8 refused,
      9 don't know) -> NaN, with the code and its meaning recorded;
    * a whole number in ``minimum..maximum`` -> that code;
    * a response label in English or Chinese (``"Strongly agree"``, ``"非常同意"``,
      ``"5 = Strongly agree"``), matched ignoring case, width and white space -> its code
      (a missing-code label such as ``"不知道"`` -> NaN with its reason);
    * anything else -> NaN, recorded in ``.raw_problems`` as ``out_of_range`` (a number
      outside the scale and not a missing code) or ``invalid_value`` (anything else,
      including a non-whole number inside the range).

    Id, wave and group columns are tidied so that ``"101"``, ``101`` and ``101.0`` denote
    the same respondent: numeric text becomes numbers and whole numbers become integers.
    Other columns of a file are typed the same way; other columns of a DataFrame are copied
    unchanged. Row labels are the DataFrame's index, or 0, 1, ... for the data rows of a
    file (row 0 is line 2 of a CSV file). The input is never modified.

    Examples
    --------
    Mirrors reading an export with ``haven::read_sav()`` or ``readxl::read_excel()`` and
    recoding labels by hand in R.

    >>> import synergy_stats as ss
    >>> survey = ss.read_survey(ss.load_example(), "synergy-execution",
    ...                         id="respondent_id", wave="wave", group="department")
    >>> survey.data["env_pressure_1"].max()
    5.0
    """
    check_arguments(read_survey, locals())
    inst = resolve_instrument(instrument)
    if not isinstance(sheet, str | int) or isinstance(sheet, bool):
        raise OptionError(f"sheet={sheet!r} is not accepted; give a sheet name or 0-based number")
    frame, source_name, var_labels = _read_source(source, sheet)
    survey = _build_survey(
        frame,
        inst,
        id=id,
        wave=wave,
        group=group,
        covariates=covariates,
        source_name=source_name,
        from_file=source_name is not None,
        warn=True,
        wave_order=wave_order,
        platform=platform,
        metadata=metadata,
        variable_labels=var_labels,
    )
    _require_half(survey)
    return survey


def _require_half(survey: SurveyData) -> None:
    """Refuse data in which fewer than half of the instrument's items were found.

    Only when some columns were left unmatched (or ambiguous), i.e. when the items are
    probably there under headers the matching did not recognise; a frame holding a few
    items and nothing else only warns.
    """
    inst = survey.instrument
    k, found = len(inst.items), len(survey.items)
    if 2 * found >= k:
        return
    match = survey.header_match
    unmatched = [] if match is None else [str(h) for h in match.unmatched_headers]
    ambiguous = [] if match is None else [str(h) for h in match.ambiguous["header"]]
    if not unmatched and not ambiguous:  # a deliberate subset of the items: nothing else there
        warnings.warn(
            f"only {found} of the {k} items of instrument {inst.id!r} are in the data (every "
            "column was matched); the others count as unanswered",
            SynergyWarning,
            stacklevel=3,
        )
        return
    raise DataValidationError(
        f"only {found} of the {k} items of instrument {inst.id!r} were found among the "
        f"columns; unmatched columns: {preview(unmatched)}"
        + (f"; ambiguous: {preview(ambiguous)}" if ambiguous else "")
        + f"; items without a column: {preview(list(survey.absent_items))}. Headers are "
        "matched by item id, alias, wording (Chinese or English) and question number "
        "(item `number:`); add aliases or numbers to the codebook, or start one from the "
        "export with ss.draft_instrument()"
    )


def _build_survey(
    frame: pd.DataFrame,
    inst: Instrument,
    *,
    id: str | None,
    wave: str | None,
    group: str | None,
    covariates: str | Iterable[str] | None,
    source_name: str | None,
    from_file: bool,
    warn: bool,
    wave_order: Sequence[Any] | None = None,
    platform: PlatformName | None = None,
    metadata: Mapping[str, str] | None = None,
    variable_labels: Mapping[Hashable, str] | None = None,
) -> SurveyData:
    import numpy as np
    import pandas as pd

    if isinstance(frame.columns, pd.MultiIndex):
        raise DataValidationError(
            "the data have MultiIndex columns; flatten them to one level of names first"
        )
    labels: list[Hashable] = list(frame.columns)
    keys = [_hashable_key(c) for c in labels]
    if len(set(keys)) != len(keys):
        dupes = [c for c, k in zip(labels, keys, strict=True) if keys.count(k) > 1]
        raise DataValidationError(f"column names repeat in the data: {preview(dupes)}; rename them")

    # roles ------------------------------------------------------------------------------
    roles: dict[str, Hashable | None] = {"id": None, "wave": None, "group": None}
    for role, name in (("id", id), ("wave", wave), ("group", group)):
        if name is not None:
            roles[role] = _find_column(labels, name, role)
    named = [c for c in roles.values() if c is not None]
    if len(set(map(_hashable_key, named))) != len(named):
        raise DataValidationError(
            f"id={id!r}, wave={wave!r}, group={group!r} name the same column twice"
        )
    if covariates is None:
        cov_names: list[Any] = []
    elif isinstance(covariates, str):
        cov_names = [covariates]
    elif isinstance(covariates, Iterable):
        cov_names = list(covariates)
    else:
        raise OptionError(
            f"covariates={covariates!r} is not accepted; give a column name or a list of names"
        )
    cov_cols = tuple(_find_column(labels, c, "covariates") for c in cov_names)
    plat: Platform | None = None
    if platform is not None:
        check_option("platform", platform, PlatformName)
        plat = PLATFORMS[platform]
    meta = find_metadata(labels, plat, variable_labels) if plat is not None else {}
    meta.update(_declared_metadata(labels, metadata))
    attention = find_attention_columns(
        [c for c in labels if _hashable_key(c) not in {_hashable_key(v) for v in meta.values()}],
        inst,
    )
    skip_codes = frozenset(float(c) for c in plat.skip_codes) if plat is not None else frozenset()

    # item columns -----------------------------------------------------------------------
    lookup: dict[str, str] = {}
    for name, mapped in inst.column_map().items():
        lookup.setdefault(column_key(name), mapped)
    role_keys = {_hashable_key(c) for c in (*named, *cov_cols)}
    item_cols: dict[str, Hashable] = {}
    for label in labels:
        if _hashable_key(label) in role_keys:
            continue
        found = lookup.get(column_key(label))
        if found is None:
            continue
        if found in item_cols:
            raise DataValidationError(
                f"columns {item_cols[found]!r} and {label!r} both map to item {found!r}; "
                "drop or rename one of them"
            )
        item_cols[found] = label
    matched = match_headers(
        labels, inst, exclude=[*named, *cov_cols, *meta.values(), *attention.values()]
    )
    taken = {_hashable_key(v) for v in item_cols.values()}
    for matched_id, matched_label in matched.mapping.items():
        if matched_id not in item_cols and _hashable_key(matched_label) not in taken:
            item_cols[matched_id] = matched_label
            taken.add(_hashable_key(matched_label))
    for role, col in roles.items():
        if col is not None and lookup.get(column_key(col)) is not None:
            raise DataValidationError(
                f"{role} column {col!r} is also an item (alias of "
                f"{lookup[column_key(col)]!r}) of instrument {inst.id!r}; choose another column"
            )
    item_by_label = {_hashable_key(v): k for k, v in item_cols.items()}

    # build the data ---------------------------------------------------------------------
    index = frame.index
    positions = range(len(frame))
    out_cols: dict[Hashable, Any] = {}
    missing_rows: list[tuple[Any, ...]] = []
    problem_rows: list[tuple[int, int, Any, Any, str, str]] = []
    unknown: list[Hashable] = []
    role_names = {v: k for k, v in roles.items() if v is not None}
    for col_pos, label in enumerate(labels):
        series = frame.iloc[:, col_pos]
        mapped_item = item_by_label.get(_hashable_key(label))
        if mapped_item is None:
            role_of = role_names.get(label) if _is_hashable(label) else None
            if role_of is not None:
                out_cols[label] = _tidy_column(series, strict=True, name=role_of)
            else:
                if not any(
                    _hashable_key(label) == _hashable_key(c)
                    for c in (*cov_cols, *meta.values(), *attention.values())
                ):
                    unknown.append(label)
                out_cols[label] = (
                    _tidy_column(series, strict=False, name="other") if from_file else series.copy()
                )
            continue
        item_id: str = mapped_item
        scale = inst.scale_of(item_id)
        cells = _read_item_column(series.tolist(), scale, skip_codes)
        codes = np.array([c.code if c.status == "valid" else np.nan for c in cells], dtype=float)
        out_cols[item_id] = pd.Series(codes, index=index, name=item_id)
        for pos, cell in zip(positions, cells, strict=True):
            if cell.status == "valid":
                continue
            if cell.status == "blank":
                reason = _NO_ANSWER
                code = math.nan
            elif cell.status == "skipped":
                reason = SKIPPED
                code = cell.value if isinstance(cell.value, float) else math.nan
            elif cell.status == "missing_code":
                text = scale.missing[int(cell.code)]
                reason = (text.en, text.zh)
                code = cell.code
            else:
                reason = _INVALID
                code = math.nan
                kind = "out_of_range" if cell.status == "out_of_range" else "invalid_value"
                problem_rows.append(
                    (
                        pos,
                        col_pos,
                        cell.value,
                        label,
                        kind,
                        problem_message(kind, cell.value, label, item_id, scale, cell.detail),
                    )
                )
            missing_rows.append((pos, item_id, label, cell.value, code, reason[0], reason[1]))

    data = pd.DataFrame(out_cols, index=index.copy())
    data.columns = pd.Index(list(out_cols), dtype=object)
    if roles["wave"] is not None:
        declared = wave_order if wave_order is not None else (inst.wave_order or None)
        data[roles["wave"]] = _ordered_waves(data[roles["wave"]], declared, roles["wave"], warn)
    item_order = {it.id: k for k, it in enumerate(inst.items)}
    missing_rows.sort(key=lambda r: (r[0], item_order[r[1]]))
    missing = pd.DataFrame(
        {
            "row": pd.Series([plain(index[r[0]]) for r in missing_rows], dtype=object),
            "item": pd.Series([r[1] for r in missing_rows], dtype=object),
            "column": pd.Series([r[2] for r in missing_rows], dtype=object),
            "value": pd.Series([plain(r[3]) for r in missing_rows], dtype=object),
            "code": pd.Series([r[4] for r in missing_rows], dtype=float),
            "reason": pd.Series([r[5] for r in missing_rows], dtype=object),
            "reason_zh": pd.Series([r[6] for r in missing_rows], dtype=object),
        }
    )
    problem_rows.sort(key=lambda r: (r[0], r[1]))
    raw_problems = problems_frame(
        [(plain(index[r[0]]), r[3], plain(r[2]), r[4], r[5]) for r in problem_rows]
    )
    if warn and len(raw_problems):
        counts = raw_problems["kind"].value_counts()
        detail = ", ".join(f"{n} {k}" for k, n in counts.items())
        warnings.warn(
            f"{len(raw_problems)} item values could not be read as codes ({detail}); they are "
            "NaN in .data and listed in .raw_problems (see validate())",
            DroppedDataWarning,
            stacklevel=3,
        )
    return SurveyData(
        data=data,
        instrument=inst,
        missing=missing,
        raw_problems=raw_problems,
        columns={it.id: item_cols[it.id] for it in inst.items if it.id in item_cols},
        id=roles["id"],
        wave=roles["wave"],
        group=roles["group"],
        covariates=cov_cols,
        unknown=tuple(unknown),
        source=source_name,
        raw_positions=tuple(r[0] for r in problem_rows),
        header_match=matched,
        metadata=meta,
        platform=platform,
        attention=attention,
    )


def _declared_metadata(labels: Sequence[Hashable], metadata: Any) -> dict[str, Hashable]:
    """Role -> column of the ``metadata=`` argument of :func:`read_survey`, checked."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise OptionError(
            f"metadata={metadata!r} is not accepted; give a mapping of role -> column name, "
            f"roles {', '.join(METADATA_ROLES)}"
        )
    out: dict[str, Hashable] = {}
    for role, name in metadata.items():
        if role not in METADATA_ROLES:
            raise OptionError(
                f"metadata={{{role!r}: ...}} is not accepted; the roles are "
                f"{', '.join(METADATA_ROLES)}"
            )
        out[role] = _find_column(labels, name, f"metadata[{role!r}]")
    return out


def problems_frame(rows: Sequence[tuple[Any, Any, Any, str, str]]) -> pd.DataFrame:
    """Return a problems table (columns :data:`PROBLEM_COLUMNS`) from row tuples."""
    import pandas as pd

    return pd.DataFrame(
        {
            "row": pd.Series([r[0] for r in rows], dtype=object),
            "column": pd.Series([r[1] for r in rows], dtype=object),
            "value": pd.Series([r[2] for r in rows], dtype=object),
            "kind": pd.Series([r[3] for r in rows], dtype=object),
            "message": pd.Series([r[4] for r in rows], dtype=object),
        }
    )


def _is_hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _hashable_key(label: Any) -> Any:
    """Return a key for a column label that treats NaN labels as equal and never fails to hash."""
    if isinstance(label, float) and math.isnan(label):
        return ("nan-label",)
    if _is_hashable(label):
        return (type(label).__name__ == "str", label)
    return ("unhashable", repr(label))
