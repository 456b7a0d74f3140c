"""Which reverse-keyed items a data set already carries recoded: one rule for the package.

:func:`synergy_stats.reverse_code` records the items it recoded in the output's
``DataFrame.attrs`` under :data:`RECODED_KEY`; pandas carries ``attrs`` through row
selection, ``copy``, ``loc`` and ``assign``. Every function that is given an instrument and
recodes its reverse-keyed items (``reliability``, ``item_statistics``, ``htmt``,
``fornell_larcker``, ``cross_loadings``, ``score``, ``reverse_code`` itself) recodes only
the items that are not marked, so the README recipe ``reverse_code`` then ``reliability``
recodes each item exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["RECODED_KEY", "mark_recoded", "recoded_items"]

RECODED_KEY = "synergy_stats.recoded"
"""Key in ``DataFrame.attrs``: the sorted list of item columns already reverse-coded."""


def _frame(data: Any) -> Any:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    inner = getattr(data, "data", None)
    return inner if isinstance(inner, pd.DataFrame) else None


def recoded_items(data: Any) -> frozenset[str]:
    """Return the item columns that ``data`` marks as already reverse-coded.

    ``data`` is a DataFrame or a :class:`~synergy_stats.SurveyData`; anything else, or a
    frame without the mark, gives the empty set.
    """
    frame = _frame(data)
    if frame is None:
        return frozenset()
    marked = frame.attrs.get(RECODED_KEY)
    if not isinstance(marked, (list, tuple, set, frozenset)):
        return frozenset()
    return frozenset(str(x) for x in marked)


def mark_recoded(frame: Any, items: Iterable[str]) -> None:
    """Record in ``frame.attrs`` that ``items`` are reverse-coded (a frame this package made)."""
    done = set(recoded_items(frame)) | {str(i) for i in items}
    frame.attrs = {**frame.attrs, RECODED_KEY: sorted(done)}
