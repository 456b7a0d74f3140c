"""Survey-platform presets: metadata columns and skip codes of common export formats.

``read_survey(..., platform="wjx")`` recognises the platform's metadata columns (submission
time, duration, source, IP, serial number, respondent id), keeps them out of the item
matching and records them in :attr:`SurveyData.metadata`; :func:`synergy_stats.intake.validate`
checks them (speeders on the duration, repeated IPs and respondent ids, see
:mod:`synergy_stats.intake.quality`); the platform's skip codes in code exports read as the
same missing reason as the skip text of its text exports (``"(跳过)"``), so text and code
exports of one survey give identical data.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Literal

from synergy_stats.intake._common import column_key

__all__ = [
    "METADATA_ROLES",
    "PLATFORMS",
    "Platform",
    "PlatformName",
    "find_metadata",
    "parse_duration",
]

PlatformName = Literal["wjx", "tencent", "qualtrics"]

#: the metadata roles a platform preset can declare
METADATA_ROLES: tuple[str, ...] = ("serial", "submitted", "duration", "source", "ip", "respondent")

#: missing reason of a skipped question, in English and Chinese (text and code exports)
SKIPPED = ("skipped", "跳过")
#: answers of text exports that mean "skipped" on every platform
SKIP_TEXTS: frozenset[str] = frozenset({"(跳过)", "跳过", "(skipped)", "skipped"})


@dataclass(frozen=True)
class Platform:
    """A platform's export conventions.

    Attributes
    ----------
    name : str
        Preset name.
    metadata : mapping
        Metadata role (``serial``, ``submitted``, ``duration``, ``source``, ``ip``,
        ``respondent``) -> the header names the platform uses for it. ``serial`` numbers the
        submissions; ``respondent`` is a respondent identifier the platform exports (an
        external reference or user id), used for the duplicate check when no ``id`` column
        is declared.
    skip_codes : tuple of int
        Codes a code export writes for a question the respondent skipped or was not shown.
    """

    name: str
    metadata: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    skip_codes: tuple[int, ...] = ()


PLATFORMS: dict[str, Platform] = {
    # Wenjuanxing (问卷星): text exports write "(跳过)", code exports -3 (skipped) and -2
    # (not shown by the skip logic)
    "wjx": Platform(
        "wjx",
        {
            "serial": ("序号",),
            "submitted": ("提交答卷时间",),
            "duration": ("所用时间",),
            "source": ("来源", "来源详情"),
            "ip": ("来自IP", "来自ip"),
            "respondent": ("用户ID",),
        },
        (-3, -2),
    ),
    # Tencent Questionnaire (腾讯问卷)
    "tencent": Platform(
        "tencent",
        {
            "serial": ("编号", "序号"),
            "submitted": ("提交时间", "结束答题时间"),
            "duration": ("答题时长", "答题时长(秒)", "所用时间"),
            "source": ("来源", "渠道"),
            "ip": ("IP", "IP地址", "用户IP"),
            "respondent": ("用户ID", "用户标识"),
        },
        (-2, -3),
    ),
    # Qualtrics: -99 is "seen but unanswered" in numeric exports
    "qualtrics": Platform(
        "qualtrics",
        {
            "serial": ("ResponseId",),
            "submitted": ("EndDate", "RecordedDate"),
            "duration": ("Duration (in seconds)",),
            "source": ("DistributionChannel",),
            "ip": ("IPAddress",),
            "respondent": ("ExternalReference", "ExternalDataReference"),
        },
        (-99,),
    ),
}


def find_metadata(
    columns: Sequence[Hashable],
    platform: Platform,
    variable_labels: Mapping[Hashable, str] | None = None,
) -> dict[str, Hashable]:
    """Metadata role -> column of the export, for the roles whose header is present.

    Parameters
    ----------
    columns : sequence
        The export's column names.
    platform : Platform
        The preset whose metadata headers are looked for.
    variable_labels : mapping, optional
        Column -> variable label (an SPSS ``.sav`` export). A header the preset knows is
        also found as the label of a column whose name was made SPSS-safe (``所用时间`` ->
        a column ``duration`` labelled ``所用时间``); a column named by the header wins over
        one merely labelled with it.

    Returns
    -------
    dict
        Role -> column name, one column per role and no column for two roles.
    """
    keys = {column_key(c): c for c in columns}
    by_label: dict[str, Hashable] = {}
    for c in columns:
        lab = (variable_labels or {}).get(c)
        if isinstance(lab, str) and lab.strip():
            by_label.setdefault(column_key(lab), c)
    out: dict[str, Hashable] = {}
    for role, names in platform.metadata.items():
        for name in names:
            col = keys.get(column_key(name))
            if col is not None:
                out[role] = col
                break
    used = set(out.values())
    for role, names in platform.metadata.items():
        if role in out:
            continue
        for name in names:
            col = by_label.get(column_key(name))
            if col is not None and col not in used:
                out[role] = col
                used.add(col)
                break
    return out


_UNIT_SECONDS = {
    "小时": 3600.0,
    "时": 3600.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "分钟": 60.0,
    "分": 60.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "秒钟": 1.0,
    "秒": 1.0,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+|小时|时|分钟|分|秒钟|秒)")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")
_PLAIN = re.compile(r"^\d+(?:\.\d+)?$")


def parse_duration(value: Any) -> float:
    """Return a duration cell of a platform export in seconds (NaN when it cannot be read).

    Parameters
    ----------
    value : object
        A number of seconds (Qualtrics ``Duration (in seconds)``), a text with units
        (Wenjuanxing ``"125秒"``, ``"2分5秒"``, ``"1小时2分5秒"``; ``"2 min 5 s"``), numeric
        text, or a clock time ``"mm:ss"`` / ``"hh:mm:ss"``.

    Returns
    -------
    float
        The duration in seconds; NaN for a blank cell, a negative or non-finite number, or
        a text that is none of the above.

    Examples
    --------
    >>> parse_duration("2分5秒"), parse_duration("00:02:05"), parse_duration(125)
    (125.0, 125.0, 125.0)
    """
    if isinstance(value, bool) or value is None:
        return math.nan
    if isinstance(value, Real):
        try:
            x = float(value)
        except (OverflowError, TypeError, ValueError):  # an int beyond the float range
            return math.nan
        return x if math.isfinite(x) and x >= 0 else math.nan
    if not isinstance(value, str):
        return math.nan
    text = unicodedata.normalize("NFKC", value).strip().casefold()
    if _PLAIN.match(text):
        return float(text)
    clock = _CLOCK.match(text)
    if clock is not None:
        hours = float(clock.group(1) or 0)
        return hours * 3600 + float(clock.group(2)) * 60 + float(clock.group(3))
    parts = _PART.findall(text)
    if not parts or _PART.sub("", text).strip():
        return math.nan
    total = 0.0
    for number, unit in parts:
        factor = _UNIT_SECONDS.get(unit)
        if factor is None:
            return math.nan
        total += float(number) * factor
    return total
