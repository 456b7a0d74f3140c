"""Checking survey data against an instrument: :func:`validate` and :class:`ValidationReport`."""

from __future__ import annotations

import difflib
import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING, Any, Literal

from synergy_stats._typing import check_arguments
from synergy_stats.errors import DataValidationError, OptionError
from synergy_stats.intake._common import column_key, format_value, markdown_table, plain
from synergy_stats.intake.platforms import PlatformName
from synergy_stats.intake.quality import (
    attention_failures,
    durations,
    metadata_keys,
    repeated,
    speeders,
)
from synergy_stats.intake.read import (
    PROBLEM_COLUMNS,
    SurveyData,
    _build_survey,
    problems_frame,
    resolve_instrument,
)

if TYPE_CHECKING:
    import pandas as pd

    from synergy_stats.instrument import Instrument

__all__ = ["KINDS", "ROW_KINDS", "Severity", "ValidationReport", "validate"]

Severity = Literal["error", "warning"]

#: Every problem kind: its severity and what it means. Errors make ``ValidationReport.ok``
#: False; warnings flag data quality without making the data unusable.
KINDS: Mapping[str, tuple[Severity, str]] = {
    "missing_item": (
        "error",
        "an item (or attention check) of the instrument has no column in the data",
    ),
    "out_of_range": ("error", "a number outside the scale that is not a missing code"),
    "invalid_value": (
        "error",
        "a value that is neither a valid code, a missing code nor a response label",
    ),
    "missing_id": ("error", "a row without respondent id (or without wave)"),
    "duplicate_id_wave": (
        "error",
        "a repeated (id, wave) pair (the platform's respondent id when no id is declared); "
        "reported on the later rows",
    ),
    "unknown_column": (
        "warning",
        "a column that is neither an item, the id/wave/group column nor a declared covariate",
    ),
    "constant_item": ("warning", "an item answered with one and the same code by everyone"),
    "straight_lining": (
        "warning",
        "identical answers to every item of a top-level construct block (>= 6 items)",
    ),
    "high_missingness": (
        "warning",
        "an item or respondent with a share of missing answers above the threshold",
    ),
    "speeder": (
        "warning",
        "a submission faster than the threshold in seconds per item (platform duration)",
    ),
    "unreadable_duration": (
        "warning",
        "a platform duration cell that cannot be read as a number of seconds",
    ),
    "duplicate_ip": (
        "warning",
        "a submission from an IP address already seen (in the same wave); reported on the "
        "later rows",
    ),
    "attention_check": (
        "warning",
        "a failed or unanswered attention check declared in the codebook",
    ),
}

#: Kinds reported per row (flagged in ``ValidationReport.flags``, droppable with
#: :meth:`ValidationReport.exclude`).
ROW_KINDS: tuple[str, ...] = (
    "out_of_range",
    "invalid_value",
    "missing_id",
    "duplicate_id_wave",
    "straight_lining",
    "high_missingness",
    "speeder",
    "unreadable_duration",
    "duplicate_ip",
    "attention_check",
)

_KIND_RANK = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True, eq=False)
class ValidationReport:
    """The result of :func:`validate`: every problem found, with summaries.

    Parameters
    ----------
    problems : pandas.DataFrame
        One row per problem, columns ``row`` (index label of the input row; NaN for a
        column-level problem), ``column`` (the column name as in the input; the item id for
        ``missing_item``, the construct id for ``straight_lining``; NaN for a respondent-level
        problem), ``value`` (the offending value, NaN if none), ``kind`` (see :data:`KINDS`)
        and ``message``.
    item_missingness : pandas.DataFrame
        Per item: ``item``, ``column``, ``n``, ``n_missing``, ``share_missing``,
        ``n_no_answer``, ``n_missing_code``, ``n_invalid``.
    respondent_missingness : pandas.DataFrame
        Per input row: ``row``, the id and wave values (if declared), ``n_items``,
        ``n_missing``, ``share_missing``.
    instrument_id : str
        Id of the instrument checked against.
    n_rows : int
        Number of rows checked.
    max_missing_item, max_missing_respondent : float
        The thresholds used for ``high_missingness``.
    flags : pandas.DataFrame or None
        One row per input row (the data's index), one boolean column per kind of
        :data:`ROW_KINDS`: True where the row has a problem of that kind.
    min_seconds_per_item : float or None
        The speeder threshold used (None: the check was off).
    """

    problems: pd.DataFrame
    item_missingness: pd.DataFrame
    respondent_missingness: pd.DataFrame
    instrument_id: str
    n_rows: int
    max_missing_item: float
    max_missing_respondent: float
    flags: pd.DataFrame | None = None
    min_seconds_per_item: float | None = None

    def exclude(self, data: SurveyData | pd.DataFrame, kinds: Iterable[str]) -> Any:
        """Return a copy of ``data`` without the rows flagged with any of ``kinds``.

        Nothing is dropped unless asked: :func:`validate` only flags rows. The data passed
        must be the data this report was made from (same rows, same index); they are not
        modified.

        Parameters
        ----------
        data : SurveyData or pandas.DataFrame
            The data given to :func:`validate`.
        kinds : iterable of str
            Row-level kinds (:data:`ROW_KINDS`), e.g. ``["speeder", "attention_check"]``.

        Returns
        -------
        SurveyData or pandas.DataFrame
            Of the same type as ``data``, with the flagged rows left out (for a SurveyData,
            its ``.missing`` and ``.raw_problems`` too).

        Raises
        ------
        OptionError
            If ``kinds`` is empty, a str, or names a kind that is not row-level.
        DataValidationError
            If ``data`` are not the rows this report checked, or (for a SurveyData) its
            index labels repeat.

        Warns
        -----
        DroppedDataWarning
            Always when rows are dropped: how many of how many, by kind.
        """
        import warnings

        import numpy as np
        import pandas as pd

        from synergy_stats.errors import DroppedDataWarning

        if isinstance(kinds, str) or not isinstance(kinds, Iterable):
            raise OptionError(
                f"kinds={kinds!r} is not accepted; give a list of kinds out of "
                f"{', '.join(ROW_KINDS)}"
            )
        chosen = list(kinds)
        bad = [k for k in chosen if not isinstance(k, str) or k not in ROW_KINDS]
        if bad or not chosen:
            raise OptionError(
                f"kinds={chosen!r} is not accepted; give one or more of {', '.join(ROW_KINDS)}"
            )
        frame = data.data if isinstance(data, SurveyData) else data
        if not isinstance(frame, pd.DataFrame):
            raise DataValidationError(
                f"data={type(data).__name__} is not accepted; pass the SurveyData or "
                "DataFrame given to validate()"
            )
        flags = self.flags
        if flags is None or len(frame) != len(flags) or not frame.index.equals(flags.index):
            raise DataValidationError(
                f"data ({len(frame)} rows) are not the {self.n_rows} rows this report checked; "
                "exclude() drops rows of the data given to validate()"
            )
        drop = [bool(v) for v in flags[chosen].any(axis=1)]
        keep = [not d for d in drop]
        n_drop = sum(drop)
        if n_drop:
            by_kind = ", ".join(f"{int(flags[k].sum())} {k}" for k in chosen if int(flags[k].sum()))
            warnings.warn(
                f"exclude() dropped {n_drop} of {len(frame)} rows flagged as {by_kind} "
                "(a row may carry several flags)",
                DroppedDataWarning,
                stacklevel=2,
            )
        if not isinstance(data, SurveyData):
            return data.loc[keep].copy()
        if not frame.index.is_unique:
            raise DataValidationError(
                "the SurveyData's row labels repeat, so its .missing table cannot be filtered "
                "by row; reset the index before read_survey(), or pass survey.data instead"
            )
        import dataclasses

        kept_labels = set(frame.index[keep].tolist())
        missing = data.missing.loc[data.missing["row"].isin(kept_labels).to_numpy()]
        old_pos = np.flatnonzero(keep)
        new_pos = {int(p): k for k, p in enumerate(old_pos)}
        if len(data.raw_positions) == len(data.raw_problems):
            raw_keep = [k for k, p in enumerate(data.raw_positions) if int(p) in new_pos]
            positions = tuple(new_pos[int(data.raw_positions[k])] for k in raw_keep)
        else:  # a SurveyData built by hand: filter by row label
            raw_keep = np.flatnonzero(data.raw_problems["row"].isin(kept_labels)).tolist()
            positions = ()
        return dataclasses.replace(
            data,
            data=frame.loc[keep].copy(),
            missing=missing.reset_index(drop=True),
            raw_problems=data.raw_problems.iloc[raw_keep].reset_index(drop=True),
            raw_positions=positions,
        )

    @property
    def counts(self) -> dict[str, int]:
        """Number of problems of each kind (every kind listed, zeros included)."""
        found = self.problems["kind"].value_counts()
        return {kind: int(found.get(kind, 0)) for kind in KINDS}

    @property
    def summary(self) -> pd.DataFrame:
        """Counts by kind: a DataFrame indexed by kind with ``severity``, ``count``, ``meaning``.

        Missingness per item and per respondent is in :attr:`item_missingness` and
        :attr:`respondent_missingness`.
        """
        import pandas as pd

        counts = self.counts
        return pd.DataFrame(
            {
                "severity": [KINDS[k][0] for k in KINDS],
                "count": [counts[k] for k in KINDS],
                "meaning": [KINDS[k][1] for k in KINDS],
            },
            index=pd.Index(list(KINDS), name="kind"),
        )

    @property
    def errors(self) -> pd.DataFrame:
        """The problems of severity ``"error"``."""
        mask = self.problems["kind"].map(lambda k: KINDS[k][0] == "error").astype(bool)
        return self.problems.loc[mask.to_numpy()]

    @property
    def warnings(self) -> pd.DataFrame:
        """The problems of severity ``"warning"``."""
        mask = self.problems["kind"].map(lambda k: KINDS[k][0] == "warning").astype(bool)
        return self.problems.loc[mask.to_numpy()]

    @property
    def ok(self) -> bool:
        """True when no problem of severity ``"error"`` was found (warnings are allowed)."""
        return len(self.errors) == 0

    def raise_if_errors(self) -> None:
        """Raise :class:`DataValidationError` if any error was found.

        Raises
        ------
        DataValidationError
            Listing every problem (errors, then warnings), one per line.
        """
        if self.ok:
            return
        lines = [
            f"survey data do not fit instrument {self.instrument_id!r}: "
            f"{len(self.errors)} errors, {len(self.warnings)} warnings"
        ]
        for frame in (self.errors, self.warnings):
            for rec in frame.itertuples(index=False):
                lines.append(f"- {_where(rec.row, rec.column)}{rec.kind}: {rec.message}")
        raise DataValidationError("\n".join(lines))

    def to_markdown(self, *, max_problems: int | None = None) -> str:
        """Return the report as markdown: status, counts by kind, and the problems.

        Parameters
        ----------
        max_problems : int, optional
            Show at most this many problems (all by default).
        """
        if max_problems is not None and (
            isinstance(max_problems, bool) or not isinstance(max_problems, int) or max_problems < 0
        ):
            raise OptionError(
                f"max_problems={max_problems!r} is not accepted; use a non-negative int or None"
            )
        status = "OK" if self.ok else "ERRORS FOUND"
        parts = [
            f"**{status}**: {len(self.problems)} problems ({len(self.errors)} errors, "
            f"{len(self.warnings)} warnings) in {self.n_rows} rows checked against instrument "
            f"`{self.instrument_id}`. Thresholds for high missingness: item "
            f"> {self.max_missing_item:.0%}, respondent > {self.max_missing_respondent:.0%}.",
            "",
            markdown_table(
                ["kind", "severity", "count", "meaning"],
                [(k, KINDS[k][0], n, KINDS[k][1]) for k, n in self.counts.items()],
            ),
        ]
        if len(self.problems):
            shown = self.problems if max_problems is None else self.problems.head(max_problems)
            parts += [
                "",
                markdown_table(
                    list(PROBLEM_COLUMNS),
                    [
                        (
                            _cell(r.row),
                            _cell(r.column),
                            _cell(r.value, quote=True),
                            r.kind,
                            r.message,
                        )
                        for r in shown.itertuples(index=False)
                    ],
                ),
            ]
            if len(shown) < len(self.problems):
                parts.append(f"\n({len(self.problems) - len(shown)} more problems not shown)")
        return "\n".join(parts)

    def __repr__(self) -> str:
        found = ", ".join(f"{k}={n}" for k, n in self.counts.items() if n)
        return (
            f"ValidationReport(instrument={self.instrument_id!r}, rows={self.n_rows}, "
            f"ok={self.ok}, problems={len(self.problems)}" + (f": {found}" if found else "") + ")"
        )

    def __str__(self) -> str:
        return self.to_markdown(max_problems=20)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _cell(value: Any, *, quote: bool = False) -> str:
    if value is None or _is_nan(value):
        return ""
    return format_value(value) if quote else str(value)


def _where(row: Any, column: Any) -> str:
    bits = []
    if not _is_nan(row):
        bits.append(f"row {row}")
    if not _is_nan(column):
        bits.append(f"column {column!r}")
    return (", ".join(bits) + ": ") if bits else ""


def _check_share(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= float(value) <= 1:
        raise OptionError(f"{name}={value!r} is not accepted; use a share between 0 and 1")
    return float(value)


def as_survey(
    instrument: Instrument | str,
    data: Any,
    *,
    id: str | None = None,
    wave: str | None = None,
    group: str | None = None,
    covariates: str | Iterable[str] | None = None,
    warn: bool = False,
    platform: PlatformName | None = None,
    metadata: Mapping[str, str] | None = None,
) -> SurveyData:
    """Return ``data`` as :class:`SurveyData` read against ``instrument``.

    A :class:`SurveyData` is returned as is (its roles must not be given again); a DataFrame
    is read with the rules of :func:`read_survey`. Used by :func:`validate` and
    :func:`synergy_stats.intake.score`.

    Raises
    ------
    DataValidationError
        If ``data`` is neither, or a SurveyData read against a different instrument.
    OptionError
        If roles are given together with a SurveyData.
    """
    import pandas as pd

    inst = resolve_instrument(instrument)
    if isinstance(data, SurveyData):
        given = {
            "id": id,
            "wave": wave,
            "group": group,
            "covariates": covariates,
            "platform": platform,
            "metadata": metadata,
        }
        clash = [k for k, v in given.items() if v is not None]
        if clash:
            raise OptionError(
                f"{', '.join(clash)} cannot be given with SurveyData: the roles were set by "
                "read_survey()"
            )
        if data.instrument != inst:
            raise DataValidationError(
                f"data were read against instrument {data.instrument.id!r} "
                f"(version {data.instrument.version}); instrument={inst.id!r} "
                f"(version {inst.version}) differs"
            )
        return data
    if isinstance(data, pd.DataFrame):
        return _build_survey(
            data,
            inst,
            id=id,
            wave=wave,
            group=group,
            covariates=covariates,
            source_name=None,
            from_file=False,
            warn=warn,
            platform=platform,
            metadata=metadata,
        )
    raise DataValidationError(
        f"data={type(data).__name__} is not accepted; pass the result of read_survey() or a "
        "pandas DataFrame"
    )


def validate(
    instrument: Instrument | str,
    data: SurveyData | pd.DataFrame,
    *,
    id: str | None = None,
    wave: str | None = None,
    group: str | None = None,
    covariates: str | Iterable[str] | None = None,
    max_missing_item: float = 0.2,
    max_missing_respondent: float = 0.5,
    straight_lining_items: int = 6,
    platform: PlatformName | None = None,
    min_seconds_per_item: float | None = 2.0,
    metadata: Mapping[str, str] | None = None,
) -> ValidationReport:
    """Check survey data against an instrument and list every problem.

    Parameters
    ----------
    instrument : Instrument or str
        The instrument, or the name of a bundled one.
    data : SurveyData or pandas.DataFrame
        The result of :func:`read_survey`, or a DataFrame, which is read with the same rules
        (its id/wave/group/covariates given here).
    id, wave, group : str, optional
        Column roles, for a DataFrame only. Without ``id`` no duplicate check is made.
    covariates : str or iterable of str, optional
        Expected extra columns (not reported as unknown), for a DataFrame only.
    max_missing_item : float, default 0.2
        An item is flagged when more than this share of rows lacks a valid answer.
    max_missing_respondent : float, default 0.5
        A row is flagged when more than this share of the instrument's items present in
        the data lacks a valid answer.
    straight_lining_items : int, default 6
        Smallest construct block (items present in the data) checked for straight-lining;
        at least 3.
    platform : {"wjx", "tencent", "qualtrics"}, optional
        The platform preset, for a DataFrame only (see :func:`read_survey`); it finds the
        metadata columns (duration, IP, respondent id) the quality checks use.
    min_seconds_per_item : float or None, default 2.0
        Speeder threshold: a row whose platform duration is below this many seconds times
        the number of items (instrument items and attention checks present) is flagged.
        ``None`` turns the check off.
    metadata : mapping, optional
        Metadata role -> column, for a DataFrame only (see :func:`read_survey`).

    Returns
    -------
    ValidationReport
        ``.problems``, ``.summary``, ``.ok``, ``.raise_if_errors()``, ``.to_markdown()``.

    Raises
    ------
    DataValidationError
        If the data cannot be read at all (see :func:`read_survey`).
    OptionError
        If a threshold is not a share in [0, 1], ``straight_lining_items`` is not an int
        of at least 3, or ``min_seconds_per_item`` is not a positive number or None.

    Notes
    -----
    The rules, one problem each (see :data:`KINDS` for the severities):

    * ``out_of_range`` / ``invalid_value``: per cell, from the reading rules of
      :func:`read_survey` (a number outside ``minimum..maximum`` that is not a missing code;
      anything that is neither a code, a missing code nor a label).
    * ``missing_item``: per instrument item without a column.
    * ``unknown_column``: per column that is neither an item, the id/wave/group column nor a
      declared covariate; the message suggests a close item name or alias if there is one.
    * ``missing_id``: per row whose id (or wave, when declared) is empty.
    * ``duplicate_id_wave``: per row whose (id, wave) pair (id alone without a wave column)
      already occurred in an earlier row.
    * ``constant_item``: per item with at least two valid answers, all the same code.
    * ``straight_lining``: per row and top-level construct (each construct that is not a
      component of another, e.g. motivation, mechanism, process, results) with at least
      ``straight_lining_items`` (default 6, minimum 3) items present, when the row answered
      all of them with one and the same raw code. Identical answers to three items of one
      factor are common among consistent respondents, hence the default of 6 (the
      long-string idea of Johnson 2005 needs a longer run to be informative); a block that
      spans reverse-keyed items makes identical raw answers contradictory, which is why
      raw codes are compared.
    * ``high_missingness``: per item whose share of rows without a valid answer exceeds
      ``max_missing_item``, and per row whose share of items without a valid answer
      exceeds ``max_missing_respondent`` (blank cells, missing codes and unusable values
      all count as missing).
    * ``speeder``: per row whose platform duration (metadata role ``duration``: Wenjuanxing
      ``所用时间`` such as ``"125秒"``, Qualtrics ``Duration (in seconds)``) is below
      ``min_seconds_per_item`` seconds per item; about 2 s per item is the usual bound
      for careless responding (Huang et al. 2012). ``unreadable_duration``: per row whose
      duration cell is not blank but cannot be read as seconds (it is never a speeder).
    * ``duplicate_ip``: per row whose IP address (metadata role ``ip``) already occurred in
      an earlier row of the same wave. A warning: staff of one office often share an
      address.
    * ``duplicate_id_wave`` also covers the platform's respondent id (role ``respondent``)
      when no ``id`` column is declared.
    * ``attention_check``: per row and codebook attention check (``attention_checks``)
      whose answer is not one of the passing codes or labels, or is unanswered; a check
      whose column is absent is a ``missing_item``.

    Every row-level problem is also flagged in ``ValidationReport.flags`` (one boolean
    column per kind of :data:`ROW_KINDS`). Nothing is dropped: rows are dropped only on
    request, with :meth:`ValidationReport.exclude`, which returns new data and warns
    with the count.

    Problems are ordered: column-level problems first (in column order), then rows in
    input order. The input is never modified.

    References
    ----------
    Johnson, J. A. (2005). Ascertaining the validity of individual protocols from web-based
    personality inventories. Journal of Research in Personality, 39(1), 103-129.

    Huang, J. L., Curran, P. G., Keeney, J., Poposki, E. M., & DeShon, R. P. (2012).
    Detecting and deterring insufficient effort responding to surveys. Journal of Business
    and Psychology, 27(1), 99-114.

    Examples
    --------
    Plays the role of ``psych::describe()`` plus the hand-written range and duplicate
    checks usually done in R before ``lavaan::cfa()``.

    >>> import synergy_stats as ss
    >>> survey = ss.read_survey(ss.load_example(), "synergy-execution",
    ...                         id="respondent_id", wave="wave", group="department")
    >>> report = ss.validate("synergy-execution", survey)
    >>> report.ok
    False
    """
    check_arguments(validate, locals())
    import numpy as np
    import pandas as pd

    if (
        isinstance(straight_lining_items, bool)
        or not isinstance(straight_lining_items, int)
        or straight_lining_items < 3
    ):
        raise OptionError(
            f"straight_lining_items={straight_lining_items!r} is not accepted; use an int >= 3"
        )
    min_block = straight_lining_items
    max_item = _check_share("max_missing_item", max_missing_item)
    max_resp = _check_share("max_missing_respondent", max_missing_respondent)
    if min_seconds_per_item is not None and (
        isinstance(min_seconds_per_item, bool)
        or not isinstance(min_seconds_per_item, Real)
        or not math.isfinite(float(min_seconds_per_item))
        or float(min_seconds_per_item) <= 0
    ):
        raise OptionError(
            f"min_seconds_per_item={min_seconds_per_item!r} is not accepted; use a positive "
            "number of seconds or None (no speeder check)"
        )
    per_item = None if min_seconds_per_item is None else float(min_seconds_per_item)
    inst = resolve_instrument(instrument)
    survey = as_survey(
        inst,
        data,
        id=id,
        wave=wave,
        group=group,
        covariates=covariates,
        platform=platform,
        metadata=metadata,
    )
    frame = survey.data
    n = len(frame)
    index = frame.index
    col_pos = {_key(c): k for k, c in enumerate(frame.columns)}

    # (row position or -1, kind, column position, row label, column, value, message)
    found: list[tuple[int, str, int, Any, Any, Any, str]] = []

    def add(pos: int, kind: str, cpos: int, column: Any, value: Any, message: str) -> None:
        label = plain(index[pos]) if pos >= 0 else math.nan
        found.append((pos, kind, cpos, label, column, plain(value), message))

    # missing items ------------------------------------------------------------------------
    n_cols = len(frame.columns)
    for k, item_id in enumerate(survey.absent_items):
        aliases = inst.item(item_id).aliases
        alias_text = f" (aliases: {', '.join(aliases)})" if aliases else ""
        add(
            -1,
            "missing_item",
            n_cols + k,
            item_id,
            math.nan,
            f"item {item_id!r}{alias_text} of instrument {inst.id!r} has no column in the data",
        )

    n_absent = len(survey.absent_items)
    for k, check in enumerate(c for c in inst.attention_checks if c.id not in survey.attention):
        add(
            -1,
            "missing_item",
            n_cols + n_absent + k,
            check.id,
            math.nan,
            f"attention check {check.id!r} (column {check.column!r}) of instrument "
            f"{inst.id!r} has no column in the data",
        )

    # unknown columns ----------------------------------------------------------------------
    names = list(inst.column_map())
    keyed = {column_key(nm): nm for nm in names}
    for label in survey.unknown:
        close = difflib.get_close_matches(column_key(label), list(keyed), n=1, cutoff=0.8)
        hint = f"; did you mean {keyed[close[0]]!r}?" if close else ""
        add(
            -1,
            "unknown_column",
            col_pos.get(_key(label), n_cols),
            label,
            math.nan,
            f"column {label!r} is not an item of instrument {inst.id!r} nor the id, wave, "
            f"group or a covariate{hint}",
        )

    # cell-level problems found while reading -------------------------------------------------
    positions = list(survey.raw_positions)
    if len(positions) != len(survey.raw_problems):  # a SurveyData built by hand
        first_pos: dict[Any, int] = {}
        for pos, label in enumerate(index):
            first_pos.setdefault(_key(label), pos)
        positions = [first_pos.get(_key(r), 0) for r in survey.raw_problems["row"]]
    for pos, rec in zip(positions, survey.raw_problems.itertuples(index=False), strict=True):
        item_id = _item_of_column(survey, rec.column)
        cpos = col_pos.get(_key(item_id), n_cols)
        add(pos, str(rec.kind), cpos, rec.column, rec.value, str(rec.message))

    items = survey.items
    values = frame[items].to_numpy(dtype=float) if items else np.empty((n, 0))
    answered = ~np.isnan(values)

    # constant items -----------------------------------------------------------------------
    for j, item_id in enumerate(items):
        col = values[answered[:, j], j]
        if col.size >= 2 and np.all(col == col[0]):
            add(
                -1,
                "constant_item",
                col_pos[_key(item_id)],
                survey.columns[item_id],
                float(col[0]),
                f"every one of the {col.size} valid answers to item {item_id!r} is "
                f"{format_value(float(col[0]))}",
            )

    # item missingness ---------------------------------------------------------------------
    miss = survey.missing
    item_rows = []
    for j, item_id in enumerate(items):
        sub = miss.loc[(miss["item"] == item_id).to_numpy()]
        n_missing = int(n - answered[:, j].sum())
        share = n_missing / n if n else math.nan
        n_no_answer = int((sub["reason"] == "no answer").sum())
        n_invalid = int((sub["reason"] == "invalid value").sum())
        item_rows.append(
            (
                item_id,
                survey.columns[item_id],
                n,
                n_missing,
                share,
                n_no_answer,
                n_missing - n_no_answer - n_invalid,
                n_invalid,
            )
        )
        if n and share > max_item:
            add(
                -1,
                "high_missingness",
                col_pos[_key(item_id)],
                survey.columns[item_id],
                share,
                f"item {item_id!r} lacks a valid answer in {n_missing} of {n} rows "
                f"({share:.1%} > {max_item:.0%})",
            )
    item_missingness = pd.DataFrame(
        item_rows,
        columns=[
            "item",
            "column",
            "n",
            "n_missing",
            "share_missing",
            "n_no_answer",
            "n_missing_code",
            "n_invalid",
        ],
    )
    item_missingness["column"] = item_missingness["column"].astype(object)

    # respondent missingness ---------------------------------------------------------------
    k_items = len(items)
    n_missing_row = (k_items - answered.sum(axis=1)).astype(int)
    share_row = n_missing_row / k_items if k_items else np.full(n, np.nan)
    resp: dict[str, Any] = {"row": pd.Series(list(index), dtype=object)}
    for role in ("id", "wave"):
        col = getattr(survey, role)
        if col is not None:
            resp[str(role)] = frame[col].to_numpy()
    resp["n_items"] = np.full(n, k_items, dtype=int)
    resp["n_missing"] = n_missing_row
    resp["share_missing"] = share_row
    respondent_missingness = pd.DataFrame(resp)
    if k_items:
        for p in np.flatnonzero(share_row > max_resp).tolist():
            add(
                int(p),
                "high_missingness",
                n_cols,
                math.nan,
                float(share_row[p]),
                f"row {index[p]!r} lacks a valid answer to {n_missing_row[p]} of {k_items} "
                f"items ({share_row[p]:.1%} > {max_resp:.0%})",
            )

    # straight-lining ----------------------------------------------------------------------
    where = {item_id: j for j, item_id in enumerate(items)}
    for block in inst.top_level():
        block_items = [i for i in inst.items_of(block) if i in where]
        if len(block_items) < min_block:
            continue
        answers = values[:, [where[i] for i in block_items]]
        full = ~np.isnan(answers).any(axis=1)
        same = full & np.all(answers == answers[:, :1], axis=1)
        for p in np.flatnonzero(same).tolist():
            add(
                int(p),
                "straight_lining",
                n_cols,
                block,
                float(answers[p, 0]),
                f"row {index[p]!r} answered all {len(block_items)} items of {block!r} "
                f"with {format_value(float(answers[p, 0]))}",
            )

    # platform metadata: speeders, repeated IPs ------------------------------------------------
    meta = survey.metadata
    waves = frame[survey.wave].tolist() if survey.wave is not None else None
    wave_note = " in the same wave" if waves is not None else ""
    duration_col = meta.get("duration")
    if per_item is not None and duration_col is not None and duration_col in frame.columns:
        raw = frame[duration_col].tolist()
        secs = durations(raw)
        n_q = len(items) + len(survey.attention)
        dpos = col_pos.get(_key(duration_col), n_cols)
        for p, flag in enumerate(speeders(secs, n_q, per_item)):
            if flag:
                add(
                    p,
                    "speeder",
                    dpos,
                    duration_col,
                    raw[p],
                    f"row {index[p]!r} took {secs[p]:g} s for {n_q} items "
                    f"({secs[p] / n_q:.2g} s per item < {per_item:g})",
                )
            elif math.isnan(secs[p]) and not _is_missing(raw[p]) and str(raw[p]).strip():
                add(
                    p,
                    "unreadable_duration",
                    dpos,
                    duration_col,
                    raw[p],
                    f"row {index[p]!r}: duration {format_value(raw[p])} in column "
                    f"{duration_col!r} is not a number of seconds (e.g. 125, '125秒', "
                    "'2分5秒', '00:02:05')",
                )
    ip_col = meta.get("ip")
    if ip_col is not None and ip_col in frame.columns:
        ips = frame[ip_col].tolist()
        ipos = col_pos.get(_key(ip_col), n_cols)
        for p, earlier in enumerate(repeated(metadata_keys(ips, waves))):
            if earlier is not None:
                add(
                    p,
                    "duplicate_ip",
                    ipos,
                    ip_col,
                    ips[p],
                    f"IP address {format_value(ips[p])} already submitted{wave_note} in row "
                    f"{index[earlier]!r}",
                )

    # attention checks ------------------------------------------------------------------------
    skip_codes: frozenset[float] = frozenset()
    if survey.platform is not None:
        from synergy_stats.intake.platforms import PLATFORMS

        skip_codes = frozenset(float(c) for c in PLATFORMS[survey.platform].skip_codes)
    for check in inst.attention_checks:
        acol = survey.attention.get(check.id)
        if acol is None or acol not in frame.columns:
            continue
        responses = frame[acol].tolist()
        apos = col_pos.get(_key(acol), n_cols)
        passing = ", ".join(format_value(v) for v in check.passing)
        for p, why in enumerate(attention_failures(responses, check, inst, skip_codes)):
            if why is not None:
                add(
                    p,
                    "attention_check",
                    apos,
                    acol,
                    responses[p],
                    f"row {index[p]!r} {why} attention check {check.id!r} "
                    + (
                        f"with {format_value(responses[p])}"
                        if why == "wrong answer"
                        else "(no valid answer)"
                    )
                    + f"; passing: {passing}",
                )

    # ids and duplicates -------------------------------------------------------------------
    respondent_col = meta.get("respondent")
    if survey.id is None and respondent_col is not None and respondent_col in frame.columns:
        who = frame[respondent_col].tolist()
        rpos = col_pos.get(_key(respondent_col), n_cols)
        for p, earlier in enumerate(repeated(metadata_keys(who, waves))):
            if earlier is not None:
                add(
                    p,
                    "duplicate_id_wave",
                    rpos,
                    respondent_col,
                    who[p],
                    f"respondent {format_value(who[p])} (platform column {respondent_col!r}) "
                    f"already submitted{wave_note} in row {index[earlier]!r}",
                )
    if survey.id is not None:
        key_cols = [survey.id] + ([survey.wave] if survey.wave is not None else [])
        keys = frame[key_cols]
        blank = keys.isna().any(axis=1).to_numpy()
        for p in np.flatnonzero(blank).tolist():
            empty = [c for c in key_cols if _is_missing(frame[c].iloc[p])]
            add(
                int(p),
                "missing_id",
                col_pos[_key(empty[0])],
                empty[0],
                math.nan,
                f"row {index[p]!r} has no value in column {empty[0]!r}",
            )
        first: dict[tuple[Any, ...], int] = {}
        id_pos = col_pos[_key(survey.id)]
        for pos, key in enumerate(keys.itertuples(index=False, name=None)):
            if blank[pos]:
                continue
            if key in first:
                what = f"respondent {format_value(key[0])}" + (
                    f" at wave {format_value(key[1])}" if len(key) > 1 else ""
                )
                add(
                    pos,
                    "duplicate_id_wave",
                    id_pos,
                    survey.id,
                    key[0],
                    f"{what} already appears in row {index[first[key]]!r}",
                )
            else:
                first[key] = pos

    found.sort(key=lambda r: (r[0], r[2], _KIND_RANK[r[1]]))
    problems = problems_frame([(r[3], r[4], r[5], r[1], r[6]) for r in found])
    marks = np.zeros((n, len(ROW_KINDS)), dtype=bool)
    kind_col = {k: j for j, k in enumerate(ROW_KINDS)}
    for r in found:
        if r[0] >= 0 and r[1] in kind_col:
            marks[r[0], kind_col[r[1]]] = True
    flags = pd.DataFrame(marks, index=index.copy(), columns=list(ROW_KINDS))
    return ValidationReport(
        problems=problems,
        item_missingness=item_missingness,
        respondent_missingness=respondent_missingness,
        instrument_id=inst.id,
        n_rows=n,
        max_missing_item=max_item,
        max_missing_respondent=max_resp,
        flags=flags,
        min_seconds_per_item=per_item,
    )


def _key(label: Any) -> Any:
    if isinstance(label, float) and math.isnan(label):
        return ("nan-label",)
    try:
        hash(label)
    except TypeError:
        return ("unhashable", repr(label))
    return (type(label).__name__ == "str", label)


def _is_missing(value: Any) -> bool:
    import pandas as pd

    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _item_of_column(survey: SurveyData, column: Hashable) -> str:
    for item_id, source in survey.columns.items():
        if _key(source) == _key(column):
            return item_id
    return str(column)
