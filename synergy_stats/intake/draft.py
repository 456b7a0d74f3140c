"""Drafting a starting codebook from a questionnaire export: :func:`draft_instrument`.

A platform export carries most of a codebook already: its headers hold the question numbers
and the wording (``6、(上级检查考核压力大)``, ``Q6_1``, a ``.sav`` file's variable labels), and
its cells hold the answer labels (``非常同意``) or the codes. :func:`draft_instrument` turns
them into a YAML codebook that :func:`~synergy_stats.instrument.load_instrument` accepts and
:func:`~synergy_stats.intake.read_survey` reads the same export back with, every item
matched; the researcher then names the constructs and writes the missing translations.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synergy_stats._typing import check_arguments, check_flags, check_option
from synergy_stats.errors import DataValidationError, OptionError
from synergy_stats.instrument.model import normalize_label
from synergy_stats.intake._common import column_key, preview
from synergy_stats.intake.headers import parse_header
from synergy_stats.intake.platforms import PLATFORMS, SKIP_TEXTS, PlatformName

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LABEL_SETS", "draft_instrument"]

#: Response-label sets recognised in text exports: name -> one (English, Chinese) pair per
#: point, lowest code first; alternative spellings of a point separated by ``|``.
LABEL_SETS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "agree5": (
        ("strongly disagree", "非常不同意|完全不同意"),
        ("disagree", "不同意|比较不同意"),
        ("neither agree nor disagree|neutral|undecided", "一般|中立|不确定|说不清"),
        ("agree", "同意|比较同意"),
        ("strongly agree", "非常同意|完全同意"),
    ),
    "agree7": (
        ("strongly disagree", "非常不同意|完全不同意"),
        ("disagree", "不同意"),
        ("somewhat disagree", "比较不同意|有点不同意"),
        ("neither agree nor disagree|neutral", "一般|中立|不确定"),
        ("somewhat agree", "比较同意|有点同意"),
        ("agree", "同意"),
        ("strongly agree", "非常同意|完全同意"),
    ),
    "fit5": (
        ("does not apply at all", "完全不符合|非常不符合"),
        ("does not apply", "比较不符合|不符合"),
        ("neither", "一般|不确定"),
        ("applies", "比较符合|符合"),
        ("applies completely", "完全符合|非常符合"),
    ),
    "satisfied5": (
        ("very dissatisfied", "非常不满意"),
        ("dissatisfied", "不满意|比较不满意"),
        ("neither satisfied nor dissatisfied|neutral", "一般"),
        ("satisfied", "满意|比较满意"),
        ("very satisfied", "非常满意"),
    ),
    "frequency5": (
        ("never", "从不|从来没有"),
        ("rarely", "很少"),
        ("sometimes", "有时"),
        ("often", "经常"),
        ("always", "总是"),
    ),
}

_MAX_DISTINCT = 11  # a numeric column with more distinct values is not a rating item
_CJK = re.compile(r"[\u3400-\u9fff]")
_ID_SAFE = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True)
class _Column:
    label: Hashable
    number: str | None
    wording: str
    texts: frozenset[str]  # normalised text answers (labels)
    codes: frozenset[int]  # whole-number answers


def _spellings(pair: tuple[str, str]) -> set[str]:
    return {normalize_label(s) for lang in pair for s in lang.split("|")}


def _as_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Real):
        x = float(value)
        return int(x) if x == x and x.is_integer() and abs(x) < 1e9 else None
    return None


def _read_export(export: Any) -> tuple[pd.DataFrame, str | None, dict[str, Any]]:
    """The export's frame, its name, and a .sav file's labels (variable and value labels)."""
    from synergy_stats.intake.read import _read_source

    frame, name, _labels = _read_source(export, 0)
    meta: dict[str, Any] = {}
    if name is not None and Path(name).suffix.casefold() in (".sav", ".zsav"):
        import pyreadstat

        try:
            _, m = pyreadstat.read_sav(name, metadataonly=True)
        except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError) as exc:
            raise DataValidationError(f"export={name!r}: labels cannot be read: {exc}") from exc
        meta = {
            "labels": dict(m.column_names_to_labels or {}),
            "values": dict(m.variable_value_labels or {}),
        }
    return frame, name, meta


def _column(label: Hashable, values: list[Any], var_label: str | None) -> _Column:
    from synergy_stats.intake.read import _NUMBER, _is_blank_scalar, _nfkc

    number, wording = parse_header(label)
    if var_label and var_label.strip():
        wording = var_label.strip()
    texts: set[str] = set()
    codes: set[int] = set()
    for v in values:
        if _is_blank_scalar(v):
            continue
        if isinstance(v, str):
            t = _nfkc(v)
            if not t or t.casefold() in SKIP_TEXTS:
                continue
            if _NUMBER.match(t):
                code = _as_code(float(t))
                if code is None:
                    texts.add("\x00not-a-code")
                else:
                    codes.add(code)
            else:
                texts.add(normalize_label(t))
        else:
            code = _as_code(v)
            if code is None:
                texts.add("\x00not-a-code")
            else:
                codes.add(code)
    return _Column(label, number, wording, frozenset(texts), frozenset(codes))


def _label_set(texts: set[str]) -> str | None:
    """The smallest known label set spelling every text answer, or None."""
    fits = []
    for name, points in LABEL_SETS.items():
        known = set().union(*(_spellings(p) for p in points))
        if texts <= known:
            fits.append((len(points), name))
    return min(fits)[1] if fits else None


def _scale_from_option(scale: Any) -> dict[str, Any]:
    """A codebook scale from ``scale=``: a label-set name or a mapping code -> label."""
    if isinstance(scale, str):
        check_option("scale", scale, tuple(LABEL_SETS))
        return _scale_from_set(scale, LABEL_SETS[scale])
    if not isinstance(scale, Mapping) or not scale:
        raise OptionError(
            f"scale={scale!r} is not accepted; give None (inferred from the cells), one of "
            f"{', '.join(map(repr, LABEL_SETS))}, or a mapping code -> label such as "
            "{1: '非常不同意', ..., 5: '非常同意'} (a label may be {'en': ..., 'zh': ...})"
        )
    labels: dict[int, dict[str, str]] = {}
    for code, lab in scale.items():
        c = _as_code(code)
        if c is None:
            raise OptionError(f"scale={scale!r}: the code {code!r} is not a whole number")
        if isinstance(lab, Mapping) and {"en", "zh"} <= set(lab):
            labels[c] = {"en": str(lab["en"]), "zh": str(lab["zh"])}
        elif isinstance(lab, str) and lab.strip():
            labels[c] = _one_language(lab.strip(), c)
        else:
            raise OptionError(
                f"scale={scale!r}: the label of code {code!r} must be a text or "
                "{'en': ..., 'zh': ...}"
            )
    codes = sorted(labels)
    if codes != list(range(codes[0], codes[-1] + 1)) or len(codes) < 2:
        raise OptionError(
            f"scale={scale!r}: the codes must be at least 2 consecutive whole numbers, got {codes}"
        )
    return {"id": "scale1", "points": len(codes), "minimum": codes[0], "labels": labels}


def _one_language(text: str, code: int) -> dict[str, str]:
    """A label known in one language; the other gets a placeholder naming the code."""
    if _CJK.search(text):
        return {"en": f"code {code}", "zh": text}
    return {"en": text, "zh": f"代码{code}"}


def _scale_from_set(name: str, points: Sequence[tuple[str, str]]) -> dict[str, Any]:
    labels = {
        k + 1: {"en": en.split("|")[0], "zh": zh.split("|")[0]} for k, (en, zh) in enumerate(points)
    }
    return {"id": name, "points": len(points), "minimum": 1, "labels": labels}


def _scale_from_codes(codes: set[int], value_labels: Mapping[int, str]) -> dict[str, Any]:
    """A scale over the run of consecutive codes from the smallest positive one."""
    pos = sorted(c for c in codes if c >= 0) or [1]
    lo = pos[0]
    hi = lo
    while hi + 1 in codes or (hi + 1 in value_labels and hi + 1 < lo + 10):
        hi += 1
    hi = max(hi, lo + 1)
    named = {c: str(t).strip() for c, t in value_labels.items() if str(t).strip()}
    texts = {normalize_label(t) for c, t in named.items() if lo <= c <= hi}
    known = _label_set(texts) if texts else None
    if known is not None and len(LABEL_SETS[known]) == hi - lo + 1:
        out = _scale_from_set(known, LABEL_SETS[known])
        out["minimum"] = lo
        out["labels"] = {lo + k - 1: v for k, v in out["labels"].items()}
    else:
        labels = {
            c: (
                _one_language(named[c], c)
                if c in named
                else {"en": f"code {c} (label to fill in)", "zh": f"代码{c}（请填写标签）"}
            )
            for c in range(lo, hi + 1)
        }
        out = {"id": f"codes{hi - lo + 1}", "points": hi - lo + 1, "minimum": lo, "labels": labels}
    missing = {}
    for c in sorted(codes):
        if not lo <= c <= hi:
            text = named.get(c)
            missing[c] = (
                _one_language(text, c)
                if text
                else {
                    "en": f"missing code {c} (meaning to fill in)",
                    "zh": f"缺失代码{c}（请填写含义）",
                }
            )
    out["missing"] = missing
    return out


def _unknown_missing(code: int) -> dict[str, str]:
    return {
        "en": f"missing code {code} (meaning to fill in)",
        "zh": f"缺失代码{code}（请填写含义）",
    }


def _item_id(number: str | None, k: int, taken: set[str]) -> str:
    base = "q" + number.replace(".", "_") if number else f"item_{k}"
    base = _ID_SAFE.sub("_", base)
    out, j = base, 2
    while out.casefold() in taken:
        out, j = f"{base}_{j}", j + 1
    taken.add(out.casefold())
    return out


def draft_instrument(
    export: pd.DataFrame | str | os.PathLike[str],
    *,
    platform: PlatformName | None = None,
    scale: str | Mapping[Any, Any] | None = None,
    path: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
) -> str:
    """Draft a starting codebook (YAML) from a questionnaire export's headers and answers.

    Parameters
    ----------
    export : DataFrame, str or path
        The export: a DataFrame, or a ``.csv``/``.xlsx``/``.sav``/``.dta`` file as read by
        :func:`~synergy_stats.intake.read_survey`.
    platform : {"wjx", "tencent", "qualtrics"}, optional
        The platform preset whose metadata columns (submission time, duration, IP, ...) are
        left out. Without it the metadata headers of every preset are left out.
    scale : str or mapping, optional
        The response scale. By default it is inferred: answer labels in the cells are
        matched to the label sets of :data:`LABEL_SETS` (``非常不同意 .. 非常同意``, ``strongly
        disagree .. strongly agree``, ``完全不符合 .. 完全符合``, ...); numeric codes give a
        scale over their consecutive run (labels from a ``.sav`` file's value labels, or
        placeholders to fill in), and codes beyond the run become missing codes. Give a
        label-set name or a mapping ``{code: label}`` to set it.
    path : str or path, optional
        Write the codebook there (UTF-8).
    overwrite : bool, default False
        Replace an existing file at ``path``.

    Returns
    -------
    str
        The codebook as YAML text.

    Raises
    ------
    DataValidationError
        If the export cannot be read, holds no column that looks like a rating item, or
        its answer labels fit no known label set (then give ``scale=``).
    OptionError
        If an option is not usable, or ``path`` exists and ``overwrite`` is False.

    Notes
    -----
    A column is drafted as an item when its header carries a question number (``Q6_1``,
    ``6、(...)``) and its answers are labels of the scale or whole-number codes (at most
    11 distinct), or, without a number, when every answer is a label of the scale. Metadata
    and other columns (ids, departments, waves) are listed in the file's opening comment.
    Each item gets:

    * ``number``: the header's question number; repeated numbers (the rows of a matrix
      question exported as ``6、(...)``) are numbered ``6.1, 6.2, ...`` in column order, so
      the code export's ``Q6_1`` matches the same item;
    * ``text``: the wording in the header (or a ``.sav`` variable label), in both languages
      until translated (item wording is matched in either language);
    * ``construct``: one factor per question number (``question_6``); items of one-item
      questions share the factor ``ungrouped``.

    Blanks and the platforms' skip texts (``(跳过)``) and skip codes are not answers.
    The draft needs editing (construct names, definitions, translations, reverse keys)
    but loads as it is, and :func:`~synergy_stats.intake.read_survey` reads the export
    back with every drafted item matched.

    Examples
    --------
    Plays the role of writing a codebook by hand from the export before ``lavaan::cfa()``.

    >>> import pandas as pd, synergy_stats as ss
    >>> export = pd.DataFrame({"6、(上级检查考核压力大)": ["同意", "非常同意"],
    ...                        "6、(安全生产目标任务很重)": ["一般", "同意"]})
    >>> print(ss.draft_instrument(export).splitlines()[0])
    # Draft codebook written by synergy_stats.draft_instrument from a DataFrame.
    """
    check_arguments(draft_instrument, locals())
    import yaml

    check_flags(overwrite=overwrite)
    if platform is not None:
        check_option("platform", platform, PlatformName)
    target: Path | None = None
    if path is not None:
        if not isinstance(path, str | os.PathLike):
            raise OptionError(f"path={path!r} is not accepted; give a file path or None")
        target = Path(os.fspath(path))
        if target.exists() and not overwrite:
            raise OptionError(f"path={os.fspath(path)!r} exists; pass overwrite=True to replace it")
        if not target.parent.is_dir():
            raise OptionError(f"the folder of path={os.fspath(path)!r} does not exist")
    frame, source, meta = _read_export(export)
    presets = [PLATFORMS[platform]] if platform is not None else list(PLATFORMS.values())
    meta_keys = {column_key(n) for p in presets for names in p.metadata.values() for n in names}
    var_labels: Mapping[str, str] = meta.get("labels", {})
    value_labels: Mapping[str, Mapping[Any, str]] = meta.get("values", {})
    skip_codes = {c for p in presets for c in p.skip_codes}

    columns: list[_Column] = []
    left_out: list[str] = []
    for pos, label in enumerate(frame.columns):
        if column_key(label) in meta_keys:
            left_out.append(f"{label} (metadata)")
            continue
        values = frame.iloc[:, pos].tolist()
        col = _column(label, values, var_labels.get(str(label)))
        columns.append(
            _Column(col.label, col.number, col.wording, col.texts, col.codes - skip_codes)
        )

    # the scale ---------------------------------------------------------------------------
    texts = set().union(*(c.texts for c in columns if c.number is not None)) - {"\x00not-a-code"}
    if scale is not None:
        scale_spec = _scale_from_option(scale)
    elif texts and (found := _label_set(texts)) is not None:
        scale_spec = _scale_from_set(found, LABEL_SETS[found])
    elif texts:
        raise DataValidationError(
            f"the answers {preview(sorted(texts))} of the numbered columns fit none of the "
            f"label sets {', '.join(LABEL_SETS)}; give scale={{1: '...', 2: '...', ...}}"
        )
    else:
        scale_spec = {}

    def spelling(lab: Mapping[str, str]) -> set[str]:
        return {normalize_label(lab["en"]), normalize_label(lab["zh"])}

    known_texts: set[str] = set()
    if scale_spec:
        sname = scale_spec["id"]
        if sname in LABEL_SETS:
            first = scale_spec["minimum"]
            for k, pair in enumerate(LABEL_SETS[sname]):
                if first + k in scale_spec["labels"]:
                    known_texts |= _spellings(pair)
        for lab in scale_spec["labels"].values():
            known_texts |= spelling(lab)

    def is_item(col: _Column) -> bool:
        if col.texts - known_texts:
            return False
        if col.number is None:
            return bool(col.texts) and not col.codes
        return bool(col.texts or col.codes) and len(col.codes) <= _MAX_DISTINCT

    chosen = [c for c in columns if is_item(c)]
    for c in columns:
        if c not in chosen:
            left_out.append(str(c.label))
    if not chosen:
        raise DataValidationError(
            "no column of the export looks like a rating item (a header with a question "
            "number, such as 'Q6_1' or '6、(...)', whose answers are labels or codes); "
            f"columns: {preview([str(c) for c in frame.columns])}"
        )
    if not scale_spec or not scale_spec.get("labels"):
        codes = set().union(*(c.codes for c in chosen))
        vlabels: dict[int, str] = {}
        for c in chosen:
            for code, text in value_labels.get(str(c.label), {}).items():
                kv = _as_code(code)
                if (
                    kv is not None
                    and kv not in skip_codes
                    and str(text).casefold() not in SKIP_TEXTS
                ):
                    vlabels.setdefault(kv, str(text))
        scale_spec = _scale_from_codes(codes or {1, 2}, vlabels)
    elif scale_spec.get("missing") is None:
        lo = scale_spec["minimum"]
        hi = lo + scale_spec["points"] - 1
        extra = sorted(set().union(*(c.codes for c in chosen)) - set(range(lo, hi + 1)))
        scale_spec["missing"] = {c: _unknown_missing(c) for c in extra}

    # numbers, ids, constructs -------------------------------------------------------------
    counts: dict[str, int] = {}
    for c in chosen:
        if c.number is not None:
            counts[c.number] = counts.get(c.number, 0) + 1
    seen_rows: dict[str, int] = {}
    numbers: list[str | None] = []
    for c in chosen:
        num = c.number
        if num is not None and counts[num] > 1 and "." not in num:
            seen_rows[num] = seen_rows.get(num, 0) + 1
            num = f"{num}.{seen_rows[num]}"
        elif num is not None and counts[num] > 1:
            num = None  # the same row number twice: leave it to the wording
        numbers.append(num)
    groups: dict[str, list[int]] = {}
    for k, num in enumerate(numbers):
        key = f"question_{num.split('.')[0]}" if num is not None else "ungrouped"
        groups.setdefault(key, []).append(k)
    construct_of: dict[int, str] = {}
    for key, members in groups.items():
        home = key if len(members) >= 2 and key != "ungrouped" else "ungrouped"
        for k in members:
            construct_of[k] = home
    ungrouped = [k for k, g in construct_of.items() if g == "ungrouped"]
    if len(ungrouped) == 1 and len(set(construct_of.values())) > 1:
        other = next(g for g in construct_of.values() if g != "ungrouped")
        construct_of[ungrouped[0]] = other
    taken: set[str] = set()
    items = []
    for k, (c, num) in enumerate(zip(chosen, numbers, strict=True)):
        iid = _item_id(num, k + 1, taken)
        wording = c.wording or str(c.label)
        item: dict[str, Any] = {"id": iid, "construct": construct_of[k]}
        if num is not None:
            item["number"] = num
        item["text"] = {"en": wording, "zh": wording}
        if column_key(iid) != column_key(c.label) and (num is None or not c.wording):
            item["aliases"] = [str(c.label)]
        items.append(item)
    constructs = []
    for g in dict.fromkeys(construct_of.values()):
        q = g.removeprefix("question_")
        constructs.append(
            {
                "id": g,
                "label": (
                    {"en": f"Question {q}", "zh": f"第{q}题"}
                    if g != "ungrouped"
                    else {"en": "Ungrouped items", "zh": "未分组题目"}
                ),
                "definition": {"en": "To be written.", "zh": "待填写。"},
            }
        )
    name = Path(source).stem if source is not None else "export"
    inst_id = _ID_SAFE.sub("-", unicodedata.normalize("NFKC", name)).strip("-_.") or "draft"
    if not re.match(r"^[A-Za-z0-9]", inst_id):
        inst_id = "draft-" + inst_id
    book: dict[str, Any] = {
        "id": inst_id,
        "version": "0.1",
        "title": {"en": f"Draft codebook of {name}", "zh": f"{name}的草稿编码本"},
        "default_scale": scale_spec["id"],
        "scales": [scale_spec],
        "constructs": constructs,
        "items": items,
    }
    head = [
        "# Draft codebook written by synergy_stats.draft_instrument from "
        + (f"{source}." if source is not None else "a DataFrame."),
        "# To do: name the constructs (one factor per question number for now), write the",
        "# definitions and the missing translations (en and zh hold the same wording), mark",
        "# reverse-keyed items (reverse: true), and check the scale's labels and missing codes.",
    ]
    if left_out:
        head.append("# Columns left out (not rating items): " + ", ".join(left_out))
    text = "\n".join(head) + "\n" + yaml.safe_dump(book, allow_unicode=True, sort_keys=False)
    if target is not None:
        try:
            with open(target, "w" if overwrite else "x", encoding="utf-8") as fh:
                fh.write(text)
        except FileExistsError:
            raise OptionError(
                f"path={os.fspath(target)!r} exists; pass overwrite=True to replace it"
            ) from None
        except OSError as exc:
            raise OptionError(f"path={os.fspath(target)!r} cannot be written: {exc}") from exc
    return text
