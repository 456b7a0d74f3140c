"""Matching export headers to items by question text or question number.

Survey platforms write their own headers: Wenjuanxing text exports ``6、(上级检查考核压力大)``
(question 6, the matrix row's wording in brackets), code exports ``Q6_1`` (question 6,
row 1), Qualtrics ``Q6_1`` too, Tencent ``6.上级检查考核压力大``. :func:`match_headers`
maps such headers onto an instrument's items without aliases, by these rules, strongest
first:

============ ========== =================================================================
rule         confidence when
============ ========== =================================================================
``alias``    1.0        the header is the item id or one of its aliases (case, width and
                        white space ignored)
``wording``  1.0        the header's text equals the item's Chinese or English wording,
                        ignoring punctuation, brackets, white space, case and width
``number``   0.9        the header's question number (``Q6_1``, ``6.1``, ``6_1``) equals
                        the item's ``number`` (``"6.1"``)
``partial``  0.8        one wording contains the other (at least 4 characters)
``similar``  ratio      the wordings' similarity ratio (difflib) is 0.85 or more
============ ========== =================================================================

A header that fits two items equally well is *ambiguous* and matched to neither; when two
headers claim one item the stronger wins and the other is reported as ambiguous. Every
decision is in :attr:`HeaderMatch.table`.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from synergy_stats.intake._common import column_key, markdown_table

if TYPE_CHECKING:
    import pandas as pd

    from synergy_stats.instrument import Instrument

__all__ = ["HeaderMatch", "match_headers", "parse_header"]

_HEADER = re.compile(
    r"^\s*(?:[Qq](?:uestion)?\s*)?(\d+)(?:[_\-.．](\d+))?(?=$|[、.．:：)）\s(（【\[]|[^\d\w])"
    r"\s*[、.．:：)）]?\s*(.*)$",
    re.S,
)
_WORDS = re.compile(r"[\W_]+", re.UNICODE)
_SPLIT = re.compile(r"[—–\-:：|]+")


def _norm(text: str) -> str:
    return _WORDS.sub("", unicodedata.normalize("NFKC", text).casefold())


def parse_header(label: Hashable) -> tuple[str | None, str]:
    """Return (question number, wording) of an export header.

    ``"6、(上级检查考核压力大)"`` gives ``("6", "上级检查考核压力大")``, ``"Q6_1"`` gives
    ``("6.1", "")``, ``"上级检查考核压力大"`` gives ``(None, "上级检查考核压力大")``.
    """
    text = unicodedata.normalize("NFKC", str(label)).replace("\ufeff", "").strip()
    m = _HEADER.match(text + " ") if text else None
    if m is None:
        return None, text
    number = m.group(1) + (f".{m.group(2)}" if m.group(2) else "")
    rest = m.group(3).strip()
    rest = re.sub(r"^[(（【\[]\s*(.*?)\s*[)）】\]]$", r"\1", rest)
    return number, rest


@dataclass(frozen=True)
class HeaderMatch:
    """Which header went to which item, by which rule, with what confidence.

    Attributes
    ----------
    mapping : dict
        ``{item id: header}`` of the accepted matches.
    table : pandas.DataFrame
        One row per header considered: ``header``, ``item`` (None when unmatched),
        ``rule`` (``alias``, ``wording``, ``number``, ``partial``, ``similar``,
        ``ambiguous`` or ``unmatched``), ``confidence`` and ``note``.
    unmatched_items : tuple of str
        Items no header was matched to.
    """

    mapping: Mapping[str, Hashable]
    table: pd.DataFrame
    unmatched_items: tuple[str, ...] = ()
    n_items: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def ambiguous(self) -> pd.DataFrame:
        """Rows of :attr:`table` whose header fitted more than one item (or lost a tie)."""
        return self.table[self.table["rule"] == "ambiguous"]

    @property
    def unmatched_headers(self) -> list[Hashable]:
        """Headers matched to no item."""
        return list(self.table.loc[self.table["rule"] == "unmatched", "header"])

    def to_markdown(self) -> str:
        """The matching report as a markdown table."""
        rows = []
        for rec in self.table.to_dict("records"):
            conf = float(rec["confidence"])
            rows.append(
                (
                    str(rec["header"]),
                    "" if rec["item"] is None else str(rec["item"]),
                    str(rec["rule"]),
                    "" if math.isnan(conf) else f"{conf:.2f}",
                    str(rec["note"]),
                )
            )
        head = (
            f"{len(self.mapping)} of {self.n_items} items matched; "
            f"{len(self.unmatched_items)} item(s) without a column"
        )
        return (
            head + "\n\n" + markdown_table(["header", "item", "rule", "confidence", "note"], rows)
        )


def _candidates(inst: Instrument, label: Hashable) -> list[tuple[float, str, str]]:
    """(confidence, rule, item) of every item the header could be."""
    number, words = parse_header(label)
    whole = str(label)
    texts = {words, whole}
    for piece in _SPLIT.split(words):
        if piece.strip():
            texts.add(piece.strip())
    keys = {_norm(t) for t in texts if _norm(t)}
    out: list[tuple[float, str, str]] = []
    for it in inst.items:
        wordings = {_norm(it.text.zh), _norm(it.text.en)} - {""}
        best: tuple[float, str] | None = None
        if keys & wordings:
            best = (1.0, "wording")
        elif number is not None and it.number is not None and number == it.number:
            best = (0.9, "number")
        else:
            for k in keys:
                for w in wordings:
                    if min(len(k), len(w)) >= 4 and (k in w or w in k):
                        cand = (0.8, "partial")
                    else:
                        ratio = difflib.SequenceMatcher(None, k, w).ratio()
                        cand = (round(ratio, 3), "similar") if ratio >= 0.85 else (0.0, "")
                    if cand[0] > 0 and (best is None or cand[0] > best[0]):
                        best = cand
        if best is not None:
            out.append((best[0], best[1], it.id))
    return out


def match_headers(
    columns: Sequence[Hashable],
    instrument: Instrument,
    *,
    exclude: Sequence[Hashable] = (),
) -> HeaderMatch:
    """Match export headers to the instrument's items (see the module notes for the rules).

    Parameters
    ----------
    columns : sequence
        The export's column labels, in file order.
    instrument : Instrument
        The instrument whose items are looked for.
    exclude : sequence
        Columns that are not items (id, wave, group, covariates, platform metadata).

    Returns
    -------
    HeaderMatch
    """
    import pandas as pd

    skip = {column_key(c) for c in exclude}
    lookup: dict[str, str] = {}
    for name, mapped in instrument.column_map().items():
        lookup.setdefault(column_key(name), mapped)
    rows: list[dict[str, Any]] = []
    claims: dict[str, list[tuple[float, int]]] = {}
    for label in columns:
        if column_key(label) in skip:
            continue
        exact = lookup.get(column_key(label))
        if exact is not None:
            rows.append(dict(header=label, item=exact, rule="alias", confidence=1.0, note=""))
        else:
            cands = _candidates(instrument, label)
            if not cands:
                rows.append(
                    dict(header=label, item=None, rule="unmatched", confidence=math.nan, note="")
                )
                continue
            top = max(c[0] for c in cands)
            best = sorted(c for c in cands if c[0] == top)
            if len({c[2] for c in best}) > 1:
                rows.append(
                    dict(
                        header=label,
                        item=None,
                        rule="ambiguous",
                        confidence=top,
                        note="fits " + ", ".join(c[2] for c in best),
                    )
                )
                continue
            conf, rule, item = best[0]
            rows.append(dict(header=label, item=item, rule=rule, confidence=conf, note=""))
        r = rows[-1]
        claims.setdefault(str(r["item"]), []).append((float(r["confidence"]), len(rows) - 1))
    for item, got in claims.items():
        if len(got) < 2:
            continue
        got.sort(key=lambda t: (-t[0], t[1]))
        winner = got[0]
        tie = len(got) > 1 and got[1][0] == winner[0]
        for conf, pos in got[1:] if not tie else got:
            rows[pos].update(
                rule="ambiguous",
                note=f"{item} also claimed by {rows[winner[1]]['header']!r}"
                if not tie or pos != winner[1]
                else f"{item} claimed by several headers equally",
                item=None,
            )
            del conf
    mapping = {str(r["item"]): r["header"] for r in rows if r["item"] is not None}
    table = pd.DataFrame(rows, columns=["header", "item", "rule", "confidence", "note"])
    table = table.astype({"header": object, "item": object, "rule": object, "note": object})
    unmatched = tuple(it.id for it in instrument.items if it.id not in mapping)
    return HeaderMatch(
        mapping=mapping, table=table, unmatched_items=unmatched, n_items=len(instrument.items)
    )
