"""Survey-platform presets: metadata columns and skip codes of common export formats.

``read_survey(..., platform="wjx")`` recognises the platform's metadata columns (submission
time, duration, source, IP, serial number), keeps them out of the item matching and records
them in :attr:`SurveyData.metadata`; the platform's skip codes in code exports read as the
same missing reason as the skip text of its text exports (``"(跳过)"``), so text and code
exports of one survey give identical data.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from synergy_stats.intake._common import column_key

__all__ = ["PLATFORMS", "Platform", "PlatformName", "find_metadata"]

PlatformName = Literal["wjx", "tencent", "qualtrics"]

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
        Metadata role (``serial``, ``submitted``, ``duration``, ``source``, ``ip``) -> the
        header names the platform uses for it.
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
        },
        (-99,),
    ),
}


def find_metadata(columns: Sequence[Hashable], platform: Platform) -> dict[str, Hashable]:
    """Metadata role -> column of the export, for the roles whose header is present."""
    keys = {column_key(c): c for c in columns}
    out: dict[str, Hashable] = {}
    for role, names in platform.metadata.items():
        for name in names:
            col = keys.get(column_key(name))
            if col is not None:
                out[role] = col
                break
    return out
