"""Construct scores from item responses: :func:`score`."""

from __future__ import annotations

import math
import warnings
from numbers import Real
from typing import TYPE_CHECKING, Any, Literal

from synergy_stats._typing import check_arguments, check_option
from synergy_stats.errors import OptionError, SynergyWarning
from synergy_stats.intake.read import SurveyData, resolve_instrument
from synergy_stats.intake.recoding import mark_recoded, recoded_items
from synergy_stats.intake.validate import as_survey

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from synergy_stats.instrument import Instrument

__all__ = ["ScoreMethod", "reverse_code", "score", "scored_constructs"]

ScoreMethod = Literal["mean", "sum"]


def scored_constructs(instrument: Instrument) -> list[str]:
    """Return the constructs :func:`score` scores: first-order factors, then second-order ones.

    Blocks of correlated factors (kind ``"correlated"``, e.g. ``results`` with the synergy
    effect and the implementation gap) get no composite score: their components may run in
    opposite directions.
    """
    second = [c.id for c in instrument.constructs.values() if c.kind == "second_order"]
    return [*instrument.factors(), *second]


def _required(min_items: float, k: int, construct: str) -> float:
    if min_items < 1:
        return max(min_items * k, 1.0) - 1e-9
    if min_items > k:
        raise OptionError(
            f"min_items={min_items!r} asks for more items than construct {construct!r} has "
            f"({k}); use a count <= {k} or a fraction below 1"
        )
    return float(min_items)


def score(
    instrument: Instrument | str,
    data: SurveyData | pd.DataFrame,
    *,
    method: ScoreMethod = "mean",
    min_items: float = 0.5,
) -> pd.DataFrame:
    r"""Score every first-order factor and second-order construct of an instrument.

    Parameters
    ----------
    instrument : Instrument or str
        The instrument, or the name of a bundled one.
    data : SurveyData or pandas.DataFrame
        The result of :func:`read_survey`, or a DataFrame read with the same rules.
    method : {"mean", "sum"}, default "mean"
        ``"mean"``: mean of the answered items. ``"sum"``: prorated sum, the mean of the
        answered items times the construct's number of items (the plain sum when every item
        is answered; comparable across respondents with different missing items).
    min_items : float, default 0.5
        Minimum number of answered items for a score: a fraction of the construct's items if
        below 1, a count if 1 or more (a whole number). Fewer answered items give NaN.

    Returns
    -------
    pandas.DataFrame
        Same index as the data. Columns: the id, wave and group columns (when declared),
        the declared covariates (``read_survey(covariates=...)``, for regressions with
        controls),
        one score column per construct of :func:`scored_constructs` (first-order factors
        in instrument order, then second-order constructs), then ``n_items_<construct>``:
        the number of the construct's items answered (int; the score uses exactly these
        items, and is NaN when the count is below the minimum).

    Raises
    ------
    OptionError
        If ``method`` or ``min_items`` is not accepted.
    DataValidationError
        If the data cannot be read (see :func:`read_survey`).

    Warns
    -----
    SynergyWarning
        If items of the instrument have no column in the data (they count as unanswered).
    DroppedDataWarning
        When a DataFrame holds values that are not codes (read as missing).

    Notes
    -----
    Reverse-keyed items are recoded first, :math:`x' = (\min + \max) - x` with the item's
    scale limits. For a construct with items :math:`J` (a second-order construct: all items
    of all its components) and the answered subset :math:`A_i \subseteq J` of row
    :math:`i`,

    .. math::

        \text{mean}_i = \frac{1}{|A_i|}\sum_{j \in A_i} x'_{ij}, \qquad
        \text{sum}_i = |J| \cdot \text{mean}_i ,

    both NaN unless :math:`|A_i| \ge` ``min_items`` :math:`\cdot |J|` (fraction) or
    :math:`|A_i| \ge` ``min_items`` (count), and at least 1. A second-order score is the
    mean of its items, not the mean of its factor scores: the two agree when the factors
    have equal numbers of items and nothing is missing; the item mean weights factors by
    their number of answered items.

    References
    ----------
    Revelle, W. psych: ``scoreItems()`` (reverse keying as ``min + max - x``, item means
    over answered items).

    Examples
    --------
    Mirrors ``psych::scoreItems(keys, items, totals = FALSE, missing = TRUE,
    impute = "none")`` with NaN where too few items are answered.

    >>> import synergy_stats as ss
    >>> survey = ss.read_survey(ss.load_example(), "synergy-execution",
    ...                         id="respondent_id", wave="wave", group="department")
    >>> scores = ss.score("synergy-execution", survey)
    >>> scores[["motivation", "n_items_motivation"]].head(2)  # doctest: +SKIP
    """
    check_arguments(score, locals())
    import numpy as np
    import pandas as pd

    check_option("method", method, ScoreMethod)
    if (
        isinstance(min_items, bool)
        or not isinstance(min_items, Real)
        or not math.isfinite(float(min_items))
        or float(min_items) <= 0
        or (float(min_items) >= 1 and not float(min_items).is_integer())
    ):
        raise OptionError(
            f"min_items={min_items!r} is not accepted; use a fraction in (0, 1) or a whole "
            "number of items >= 1"
        )
    inst = resolve_instrument(instrument)
    already = recoded_items(data)
    survey = as_survey(inst, data, warn=True)
    absent = survey.absent_items
    if absent:
        shown = ", ".join(absent[:8]) + (f", ... ({len(absent)} in all)" if len(absent) > 8 else "")
        warnings.warn(
            f"{len(absent)} items of instrument {inst.id!r} have no column in the data and "
            f"count as unanswered: {shown}",
            SynergyWarning,
            stacklevel=2,
        )
    frame = survey.data
    n = len(frame)
    present = set(survey.items)
    keyed = _reverse_coded(inst, frame, present, skip=already)
    recoded: dict[str, np.ndarray] = {
        item.id: keyed[item.id] if item.id in present else np.full(n, np.nan) for item in inst.items
    }

    out: dict[Any, Any] = {}
    for role in ("id", "wave", "group"):
        col = getattr(survey, role)
        if col is not None:
            out[col] = frame[col].copy()
    for col in survey.covariates:  # declared covariates travel with the scores
        if col not in out:
            out[col] = frame[col].copy()
    counts: dict[str, np.ndarray] = {}
    for construct in scored_constructs(inst):
        item_ids = inst.items_of(construct)
        k = len(item_ids)
        need = _required(float(min_items), k, construct)
        if k == 0:
            values = np.full(n, np.nan)
            n_ans = np.zeros(n, dtype=np.int64)
        else:
            block = np.column_stack([recoded[i] for i in item_ids])
            ok = ~np.isnan(block)
            n_ans = ok.sum(axis=1).astype(np.int64)
            total = np.where(ok, block, 0.0).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = total / n_ans
            values = np.where(n_ans >= need, mean, np.nan)
            if method == "sum":
                values = values * k
        out[construct] = values
        counts[construct] = n_ans
    for construct, n_ans in counts.items():
        out[f"n_items_{construct}"] = n_ans
    result = pd.DataFrame(out, index=frame.index.copy())
    mark_recoded(result, [i.id for i in inst.items if i.reverse and i.id in present])
    return result


def _reverse_coded(
    inst: Instrument,
    frame: pd.DataFrame,
    present: set[str],
    *,
    skip: frozenset[str] = frozenset(),
) -> dict[str, np.ndarray]:
    """Item columns as floats, reverse-keyed ones recoded as (min + max) - x.

    Items in ``skip`` (marked as recoded on the data, see
    :mod:`synergy_stats.intake.recoding`) are taken as they are.
    """
    out: dict[str, np.ndarray] = {}
    for item in inst.items:
        if item.id not in present:
            continue
        x = frame[item.id].to_numpy(dtype=float)
        if item.reverse and item.id not in skip:
            sc = inst.scales[item.scale]
            x = (sc.minimum + sc.maximum) - x
        out[item.id] = x
    return out


def reverse_code(instrument: Instrument | str, data: Any) -> pd.DataFrame:
    """Return the survey data with reverse-keyed items recoded, ready for CFA/SEM.

    Parameters
    ----------
    instrument : Instrument or str
        The instrument (or a bundled name) that says which items are reverse-keyed.
    data : SurveyData or DataFrame
        Output of :func:`synergy_stats.read_survey`, or a frame with item columns coded as
        numbers.

    Returns
    -------
    pandas.DataFrame
        A copy of the data: every column kept, item columns as floats, reverse-keyed items
        recoded as ``(min + max) - x`` on their scale (the rule :func:`score` uses). The
        recoded items are recorded in ``attrs["synergy_stats.recoded"]``: ``reliability``,
        ``item_statistics``, ``htmt``, ``fornell_larcker``, ``cross_loadings``, ``score``
        and ``reverse_code`` itself leave marked items as they are, so each item is
        recoded once however the calls are chained.

    Warns
    -----
    SynergyWarning
        When ``data`` already marks reverse-keyed items as recoded (they are left as they
        are, not recoded back).

    Examples
    --------
    As ``psych::reverse.code`` with the scale's minimum and maximum.

    >>> import synergy_stats as ss  # doctest: +SKIP
    >>> items = ss.reverse_code("synergy-execution", survey)  # doctest: +SKIP
    >>> ss.reliability("synergy-execution", items)  # recodes nothing again  # doctest: +SKIP
    """
    check_arguments(reverse_code, locals())
    inst = resolve_instrument(instrument)
    already = recoded_items(data)
    survey = as_survey(inst, data, warn=False)
    frame = survey.data.copy()
    present = set(survey.items)
    keyed = [i.id for i in inst.items if i.reverse and i.id in present]
    again = [i for i in keyed if i in already]
    if again:
        warnings.warn(
            f"data already mark reverse-keyed item(s) {again} as recoded (an earlier "
            "reverse_code); they are left as they are, not recoded back",
            SynergyWarning,
            stacklevel=2,
        )
    for item_id, values in _reverse_coded(inst, frame, present, skip=already).items():
        frame[item_id] = values
    mark_recoded(frame, keyed)
    return frame
