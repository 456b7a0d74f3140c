"""Loading and validating YAML instrument codebooks.

The codebook format is documented in ``instruments/README.md``. :func:`load_instrument`
reads a bundled instrument by name or a codebook file by path, parses it with
``yaml.safe_load`` and validates the whole document before building the frozen
:class:`~synergy_stats.instrument.model.Instrument`. Every problem found is reported at once
in one :class:`CodebookError` (an :class:`~synergy_stats.errors.InstrumentError`) that names
the file, the key path (``items[3].construct``) and the offending value.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import os
import re
import reprlib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final, cast

import yaml

from synergy_stats._typing import check_arguments
from synergy_stats.errors import InstrumentError, InstrumentWarning
from synergy_stats.instrument.model import (
    AttentionCheck,
    Construct,
    ConstructKind,
    FeedbackPath,
    Hypothesis,
    Instrument,
    Item,
    Scale,
    Sign,
    Text,
    normalize_label,
)

__all__ = [
    "CodebookError",
    "Problem",
    "bundled_path",
    "instrument_from_dict",
    "list_instruments",
    "load_instrument",
]

_BUNDLED_PACKAGE: Final = "synergy_stats._instruments"
_YAML_SUFFIXES: Final = (".yaml", ".yml")

_ID_RE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_INSTRUMENT_ID_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_ID_RULE: Final = "letters, digits and underscores, starting with a letter"

_KINDS: Final[tuple[ConstructKind, ...]] = ("factor", "second_order", "correlated")
_SIGNS: Final[dict[str, Sign]] = {"+": "+", "-": "-", "positive": "+", "negative": "-"}

MAX_POINTS: Final = 101
"""Largest number of points of a response scale (0..100 sliders); larger is refused at once."""
_TOP_REQUIRED: Final = ("id", "version", "title", "scales", "constructs", "items")
_TOP_OPTIONAL: Final = (
    "description",
    "references",
    "default_scale",
    "hypotheses",
    "feedback",
    "wave_order",
    "marker_items",
    "attention_checks",
)
_SCALE_KEYS: Final = (("id", "points", "labels"), ("minimum", "maximum", "missing"))
_CONSTRUCT_KEYS: Final = (("id", "label", "definition"), ("kind", "components", "reverse"))
_ITEM_KEYS: Final = (("id", "construct", "text"), ("scale", "reverse", "aliases", "number"))
_HYPOTHESIS_KEYS: Final = (("id", "source", "target", "sign", "text"), ())
_FEEDBACK_KEYS: Final = (("id", "source", "target"), ("lag", "sign", "text"))
_TEXT_KEYS: Final = (("en", "zh"), ())

_MISSING: Final = object()

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlist = 4
_repr.maxdict = 4
_repr.maxlevel = 2


def _show(value: Any) -> str:
    return _repr.repr(value)


@dataclass(frozen=True)
class Problem:
    """One problem found in a codebook.

    Attributes
    ----------
    path : str
        Key path inside the document, e.g. ``"items[3].construct"`` (list positions count
        from 0); ``""`` for the document itself.
    message : str
        What is wrong and what would be accepted.
    value : str or None
        ``repr`` of the offending value (shortened), or None when there is none (a missing
        key).
    """

    path: str
    message: str
    value: str | None = None

    def __str__(self) -> str:
        where = self.path or "<document>"
        if self.value is None:
            return f"{where}: {self.message}"
        return f"{where} = {self.value}: {self.message}"


class CodebookError(InstrumentError):
    """A codebook could not be loaded; ``problems`` lists every problem found.

    Attributes
    ----------
    source : str
        The file (or ``"<dict>"``) the codebook came from.
    problems : tuple of Problem
        Every problem found, in document order.
    """

    def __init__(self, source: str, problems: Iterable[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        n = len(self.problems)
        head = f"instrument {source} has {n} problem{'s' if n != 1 else ''}:"
        body = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{head}\n{body}")


# ---------------------------------------------------------------------------------- checker
class _Checker:
    """Collects problems and warnings while a codebook is walked."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def error(self, path: str, message: str, value: Any = _MISSING) -> None:
        shown = None if value is _MISSING else _show(value)
        self.problems.append(Problem(path, message, shown))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(f"{path}: {message}")

    # -- shapes -------------------------------------------------------------------------
    def keys(
        self, node: Mapping[Any, Any], path: str, spec: tuple[Iterable[str], Iterable[str]]
    ) -> None:
        required, optional = (tuple(spec[0]), tuple(spec[1]))
        allowed = required + optional
        for key in required:
            if key not in node:
                self.error(path, f"missing required key {key!r}")
        for key in node:
            if key in allowed:
                continue
            hint = ""
            if isinstance(key, str):
                close = difflib.get_close_matches(key, allowed, n=1)
                if close:
                    hint = f" (did you mean {close[0]!r}?)"
            self.error(
                _join(path, str(key)),
                f"unknown key{hint}; accepted keys are {', '.join(allowed)}",
                key,
            )

    def mapping(self, value: Any, path: str, what: str) -> Mapping[Any, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.error(path, f"{what} must be a mapping, got {type(value).__name__}", value)
        return None

    def sequence(self, value: Any, path: str, what: str) -> list[Any] | None:
        if isinstance(value, list | tuple):
            return list(value)
        self.error(path, f"{what} must be a list, got {type(value).__name__}", value)
        return None

    def string(self, value: Any, path: str, what: str) -> str | None:
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, str):
            self.error(path, f"{what} must not be empty", value)
        else:
            hint = " (put it in quotes)" if isinstance(value, int | float) else ""
            self.error(path, f"{what} must be a string{hint}, got {type(value).__name__}", value)
        return None

    def ident(self, value: Any, path: str, what: str) -> str | None:
        text = self.string(value, path, what)
        if text is None:
            return None
        if not _ID_RE.match(text):
            self.error(path, f"{what} is not a valid id; use {_ID_RULE}", value)
            return None
        return text

    def integer(self, value: Any, path: str, what: str) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.error(path, f"{what} must be an integer, got {type(value).__name__}", value)
        return None

    def text(self, value: Any, path: str, what: str) -> Text | None:
        node = self.mapping(value, path, f"{what} (a mapping with keys 'en' and 'zh')")
        if node is None:
            return None
        n_before = len(self.problems)
        self.keys(node, path, _TEXT_KEYS)
        en = (
            self.string(node["en"], _join(path, "en"), f"{what} in English")
            if "en" in node
            else None
        )
        zh = (
            self.string(node["zh"], _join(path, "zh"), f"{what} in Chinese")
            if "zh" in node
            else None
        )
        if en is None or zh is None or len(self.problems) > n_before:
            return None
        return Text(en=en, zh=zh)

    def entries(self, data: Mapping[Any, Any], key: str, *, required: bool) -> list[Any]:
        if key not in data:
            return []  # a missing required key is reported by keys()
        value = data[key]
        if value is None and not required:
            return []
        seq = self.sequence(value, key, f"{key!r}")
        return [] if seq is None else seq


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _code_key(key: Any) -> int | None:
    """Return a label/missing code from an int or a string of digits (as JSON writes keys)."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    if isinstance(key, str) and re.fullmatch(r"\s*-?\d+\s*", key):
        return int(key)
    return None


# ---------------------------------------------------------------------------------- parts
def _scale(chk: _Checker, node: Any, path: str) -> Scale | None:
    entry = chk.mapping(node, path, "a scale")
    if entry is None:
        return None
    n_before = len(chk.problems)
    chk.keys(entry, path, _SCALE_KEYS)
    sid = chk.ident(entry["id"], _join(path, "id"), "scale id") if "id" in entry else None
    points = (
        chk.integer(entry["points"], _join(path, "points"), "points") if "points" in entry else None
    )
    if points is not None and points < 2:
        chk.error(_join(path, "points"), "a scale needs at least 2 points", points)
        points = None
    elif points is not None and points > MAX_POINTS:
        chk.error(
            _join(path, "points"),
            f"a scale has at most {MAX_POINTS} points (a 0-100 slider); every point needs a label",
            points,
        )
        points = None
    minimum = 1
    if "minimum" in entry:
        got = chk.integer(entry["minimum"], _join(path, "minimum"), "minimum")
        minimum = got if got is not None else minimum
    maximum = None if points is None else minimum + points - 1
    if "maximum" in entry:
        got = chk.integer(entry["maximum"], _join(path, "maximum"), "maximum")
        if got is not None and maximum is not None and got != maximum:
            chk.error(
                _join(path, "maximum"),
                f"maximum must equal minimum + points - 1 = {maximum}",
                got,
            )
    labels = _code_table(chk, entry.get("labels", _MISSING), _join(path, "labels"), "label")
    missing = _code_table(chk, entry.get("missing", {}), _join(path, "missing"), "missing code")
    if maximum is not None and labels is not None:
        valid = set(range(minimum, maximum + 1))
        uncovered = sorted(valid - set(labels))
        if uncovered:
            chk.error(
                _join(path, "labels"),
                f"labels must cover every point {minimum}..{maximum}; no label for "
                f"{', '.join(map(str, uncovered))}",
                sorted(labels),
            )
        for code in labels:
            if code not in valid:
                chk.error(
                    _join(path, f"labels.{code}"),
                    f"label for a code outside the scale's points {minimum}..{maximum}",
                    code,
                )
        if missing is not None:
            for code in missing:
                if code in valid:
                    chk.error(
                        _join(path, f"missing.{code}"),
                        f"missing code overlaps the valid codes {minimum}..{maximum}; use a "
                        "code outside that range (e.g. 8, 9 or -1)",
                        code,
                    )
    if labels is not None and missing is not None:
        seen: dict[str, str] = {}
        for table, name in ((labels, "labels"), (missing, "missing")):
            for code, text in table.items():
                for lang, words in (("en", text.en), ("zh", text.zh)):
                    key = normalize_label(words)
                    where = _join(path, f"{name}.{code}.{lang}")
                    if key in seen:
                        chk.error(
                            where,
                            f"label repeats the label at {seen[key]}; labels must be unique "
                            "so that text answers map to one code",
                            words,
                        )
                    else:
                        seen[key] = where
    if len(chk.problems) > n_before or sid is None or points is None or maximum is None:
        return None
    if labels is None or missing is None:
        return None
    return Scale(
        id=sid, points=points, minimum=minimum, maximum=maximum, labels=labels, missing=missing
    )


def _code_table(chk: _Checker, value: Any, path: str, what: str) -> dict[int, Text] | None:
    if value is _MISSING:
        return None  # reported as a missing required key
    if value is None:
        return {}
    node = chk.mapping(value, path, f"the {what}s (code: {{en: ..., zh: ...}})")
    if node is None:
        return None
    out: dict[int, Text] = {}
    ok = True
    for key, text_node in node.items():
        code = _code_key(key)
        if code is None:
            chk.error(_join(path, str(key)), f"{what} keys must be integer codes", key)
            ok = False
            continue
        if code in out:
            chk.error(_join(path, str(key)), f"{what} code {code} is given twice", key)
            ok = False
            continue
        text = chk.text(text_node, _join(path, str(code)), what)
        if text is None:
            ok = False
            continue
        out[code] = text
    return out if ok else None


def _construct(chk: _Checker, node: Any, path: str) -> Construct | None:
    entry = chk.mapping(node, path, "a construct")
    if entry is None:
        return None
    n_before = len(chk.problems)
    chk.keys(entry, path, _CONSTRUCT_KEYS)
    cid = chk.ident(entry["id"], _join(path, "id"), "construct id") if "id" in entry else None
    label = chk.text(entry["label"], _join(path, "label"), "label") if "label" in entry else None
    definition = (
        chk.text(entry["definition"], _join(path, "definition"), "definition")
        if "definition" in entry
        else None
    )
    kind: ConstructKind = "factor"
    if "kind" in entry:
        raw = entry["kind"]
        if isinstance(raw, str) and raw in _KINDS:
            kind = cast(ConstructKind, raw)
        else:
            chk.error(
                _join(path, "kind"),
                f"unknown construct kind; use one of {', '.join(_KINDS)}",
                raw,
            )
    components: list[str] = []
    raw_comp = entry.get("components")
    if raw_comp is not None:
        seq = chk.sequence(raw_comp, _join(path, "components"), "components")
        for j, comp in enumerate(seq or []):
            cpath = f"{_join(path, 'components')}[{j}]"
            got = chk.ident(comp, cpath, "component id")
            if got is None:
                continue
            if got in components:
                chk.error(cpath, "component listed twice", got)
                continue
            components.append(got)
    if kind == "factor" and components:
        chk.error(
            _join(path, "components"),
            "a 'factor' is measured by items and has no components; use kind "
            "'second_order' or 'correlated' for a construct made of other constructs",
            components,
        )
    if kind != "factor" and len(components) < 2 and "components" in entry:
        chk.error(
            _join(path, "components"),
            f"a {kind!r} construct needs at least 2 components",
            components,
        )
    elif kind != "factor" and "components" not in entry:
        chk.error(path, f"a {kind!r} construct needs the key 'components'")
    reverse = False
    if "reverse" in entry:
        raw_rev = entry["reverse"]
        if isinstance(raw_rev, bool):
            reverse = raw_rev
        else:
            chk.error(
                _join(path, "reverse"),
                f"reverse must be true or false, got {type(raw_rev).__name__}",
                raw_rev,
            )
    if len(chk.problems) > n_before or cid is None or label is None or definition is None:
        return None
    return Construct(
        id=cid,
        label=label,
        definition=definition,
        kind=kind,
        components=tuple(components),
        reverse=reverse,
    )


def _item(chk: _Checker, node: Any, path: str, default_scale: str | None) -> Item | None:
    entry = chk.mapping(node, path, "an item")
    if entry is None:
        return None
    n_before = len(chk.problems)
    chk.keys(entry, path, _ITEM_KEYS)
    iid = chk.ident(entry["id"], _join(path, "id"), "item id") if "id" in entry else None
    construct = (
        chk.ident(entry["construct"], _join(path, "construct"), "construct")
        if "construct" in entry
        else None
    )
    text = chk.text(entry["text"], _join(path, "text"), "item text") if "text" in entry else None
    scale: str | None
    if "scale" in entry:
        scale = chk.ident(entry["scale"], _join(path, "scale"), "scale")
    elif default_scale is not None:
        scale = default_scale
    else:
        scale = None
        chk.error(path, "missing required key 'scale' (and no top-level 'default_scale')")
    reverse = False
    if "reverse" in entry:
        raw = entry["reverse"]
        if isinstance(raw, bool):
            reverse = raw
        else:
            chk.error(
                _join(path, "reverse"),
                f"reverse must be true or false, got {type(raw).__name__}",
                raw,
            )
    aliases: list[str] = []
    raw_aliases = entry.get("aliases")
    if raw_aliases is not None:
        seq = chk.sequence(raw_aliases, _join(path, "aliases"), "aliases")
        for j, alias in enumerate(seq or []):
            got = chk.string(alias, f"{_join(path, 'aliases')}[{j}]", "alias")
            if got is not None:
                aliases.append(got)
    number: str | None = None
    if entry.get("number") is not None:
        raw_number = entry["number"]
        text_number = str(raw_number).strip() if not isinstance(raw_number, bool) else ""
        if not re.fullmatch(r"\d+(?:\.\d+)?", text_number):
            chk.error(
                _join(path, "number"),
                "number is the question number in the questionnaire: 6, or 6.1 for row 1 of "
                "matrix question 6",
                raw_number,
            )
        else:
            number = text_number
    if len(chk.problems) > n_before or None in (iid, construct, text, scale):
        return None
    return Item(
        number=number,
        id=cast(str, iid),
        construct=cast(str, construct),
        text=cast(Text, text),
        scale=cast(str, scale),
        reverse=reverse,
        aliases=tuple(aliases),
    )


def _sign(chk: _Checker, entry: Mapping[Any, Any], path: str) -> Sign | None:
    raw = entry.get("sign", "+")
    if isinstance(raw, str) and raw.strip().lower() in _SIGNS:
        return _SIGNS[raw.strip().lower()]
    chk.error(
        _join(path, "sign"),
        "sign must be '+' or '-' (quote it in YAML: sign: \"-\"), or 'positive'/'negative'",
        raw,
    )
    return None


def _hypothesis(chk: _Checker, node: Any, path: str) -> Hypothesis | None:
    entry = chk.mapping(node, path, "a hypothesis")
    if entry is None:
        return None
    n_before = len(chk.problems)
    chk.keys(entry, path, _HYPOTHESIS_KEYS)
    hid = chk.ident(entry["id"], _join(path, "id"), "hypothesis id") if "id" in entry else None
    src = chk.ident(entry["source"], _join(path, "source"), "source") if "source" in entry else None
    tgt = chk.ident(entry["target"], _join(path, "target"), "target") if "target" in entry else None
    sign = _sign(chk, entry, path) if "sign" in entry else None
    text = (
        chk.text(entry["text"], _join(path, "text"), "hypothesis text") if "text" in entry else None
    )
    if len(chk.problems) > n_before or None in (hid, src, tgt, sign, text):
        return None
    return Hypothesis(
        id=cast(str, hid),
        source=cast(str, src),
        target=cast(str, tgt),
        sign=cast(Sign, sign),
        text=cast(Text, text),
    )


def _feedback(chk: _Checker, node: Any, path: str) -> FeedbackPath | None:
    entry = chk.mapping(node, path, "a feedback path")
    if entry is None:
        return None
    n_before = len(chk.problems)
    chk.keys(entry, path, _FEEDBACK_KEYS)
    fid = chk.ident(entry["id"], _join(path, "id"), "feedback id") if "id" in entry else None
    src = chk.ident(entry["source"], _join(path, "source"), "source") if "source" in entry else None
    tgt = chk.ident(entry["target"], _join(path, "target"), "target") if "target" in entry else None
    lag: int | None = 1
    if "lag" in entry:
        lag = chk.integer(entry["lag"], _join(path, "lag"), "lag")
        if lag is not None and lag < 1:
            chk.error(_join(path, "lag"), "lag must be at least 1 (waves)", lag)
            lag = None
    sign = _sign(chk, entry, path)
    text = None
    if "text" in entry and entry["text"] is not None:
        text = chk.text(entry["text"], _join(path, "text"), "feedback text")
    if len(chk.problems) > n_before or None in (fid, src, tgt, lag, sign):
        return None
    return FeedbackPath(
        id=cast(str, fid),
        source=cast(str, src),
        target=cast(str, tgt),
        lag=cast(int, lag),
        sign=cast(Sign, sign),
        text=text,
    )


# ---------------------------------------------------------------------------------- whole
def _build(data: Any) -> tuple[Instrument | None, _Checker]:
    """Walk the whole document; return the instrument (None on error) and the checker."""
    chk = _Checker()
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        chk.error(
            "",
            f"the codebook must be a mapping with keys {', '.join(_TOP_REQUIRED)}; "
            f"the document is {kind}",
            data,
        )
        return None, chk
    chk.keys(data, "", (_TOP_REQUIRED, _TOP_OPTIONAL))

    iid = chk.string(data["id"], "id", "instrument id") if "id" in data else None
    if iid is not None and not _INSTRUMENT_ID_RE.match(iid):
        chk.error("id", "instrument id may hold letters, digits, '.', '_' and '-'", iid)
    version = chk.string(data["version"], "version", "version") if "version" in data else None
    title = chk.text(data["title"], "title", "title") if "title" in data else None
    description = None
    if data.get("description") is not None:
        description = chk.text(data["description"], "description", "description")
    references: list[str] = []
    if data.get("references") is not None:
        seq = chk.sequence(data["references"], "references", "references")
        for j, ref in enumerate(seq or []):
            got = chk.string(ref, f"references[{j}]", "reference")
            if got is not None:
                references.append(got)

    # scales
    scales: dict[str, Scale] = {}
    scale_ids: dict[str, str] = {}
    for i, node in enumerate(chk.entries(data, "scales", required=True)):
        path = f"scales[{i}]"
        sid = node.get("id") if isinstance(node, Mapping) else None
        if isinstance(sid, str) and sid in scale_ids:
            chk.error(_join(path, "id"), f"duplicate scale id (first at {scale_ids[sid]})", sid)
            continue
        if isinstance(sid, str):
            scale_ids[sid] = path
        scale = _scale(chk, node, path)
        if scale is not None:
            scales[scale.id] = scale
    if "scales" in data and isinstance(data["scales"], list | tuple) and not data["scales"]:
        chk.error("scales", "at least one scale is needed", data["scales"])

    default_scale = None
    if data.get("default_scale") is not None:
        default_scale = chk.ident(data["default_scale"], "default_scale", "default_scale")
        if default_scale is not None and default_scale not in scale_ids:
            chk.error(
                "default_scale",
                f"unknown scale; defined scales: {_names(scale_ids)}",
                default_scale,
            )

    # constructs
    constructs: dict[str, Construct] = {}
    construct_paths: dict[str, str] = {}
    construct_kinds: dict[str, str] = {}
    for i, node in enumerate(chk.entries(data, "constructs", required=True)):
        path = f"constructs[{i}]"
        cid = node.get("id") if isinstance(node, Mapping) else None
        if isinstance(cid, str) and cid in construct_paths:
            chk.error(
                _join(path, "id"), f"duplicate construct id (first at {construct_paths[cid]})", cid
            )
            continue
        if isinstance(cid, str):
            construct_paths[cid] = path
            kind = node.get("kind", "factor")
            construct_kinds[cid] = kind if kind in _KINDS else "factor"
        construct = _construct(chk, node, path)
        if construct is not None:
            constructs[construct.id] = construct
    if (
        "constructs" in data
        and isinstance(data["constructs"], list | tuple)
        and not data["constructs"]
    ):
        chk.error("constructs", "at least one construct is needed", data["constructs"])

    # component references, single parent, cycles
    parents: dict[str, str] = {}
    for cid, construct in constructs.items():
        path = construct_paths[cid]
        for j, comp in enumerate(construct.components):
            cpath = f"{path}.components[{j}]"
            if comp not in construct_paths:
                chk.error(
                    cpath,
                    f"unknown component construct; defined constructs: {_names(construct_paths)}",
                    comp,
                )
            elif comp in parents and comp != cid:
                chk.error(
                    cpath,
                    f"construct {comp!r} is already a component of {parents[comp]!r}; a "
                    "construct can belong to one higher-order construct only",
                    comp,
                )
            else:
                parents[comp] = cid
    _check_cycles(chk, constructs, construct_paths)

    # items
    items: list[Item] = []
    item_paths: dict[str, str] = {}
    item_constructs: dict[str, str] = {}
    raw_items = chk.entries(data, "items", required=True)
    if "items" in data and isinstance(data["items"], list | tuple) and not data["items"]:
        chk.error("items", "at least one item is needed", data["items"])
    for i, node in enumerate(raw_items):
        path = f"items[{i}]"
        item_id = node.get("id") if isinstance(node, Mapping) else None
        construct_ref = node.get("construct") if isinstance(node, Mapping) else None
        if isinstance(item_id, str) and item_id in item_paths:
            first = item_paths[item_id]
            other = item_constructs.get(item_id)
            if isinstance(construct_ref, str) and other is not None and other != construct_ref:
                chk.error(
                    _join(path, "id"),
                    f"item is listed in two constructs: {other!r} (at {first}) and "
                    f"{construct_ref!r} (here); an item measures one construct only",
                    item_id,
                )
            else:
                chk.error(_join(path, "id"), f"duplicate item id (first at {first})", item_id)
            continue
        if isinstance(item_id, str):
            item_paths[item_id] = path
            if isinstance(construct_ref, str):
                item_constructs[item_id] = construct_ref
        item = _item(chk, node, path, default_scale)
        if item is None:
            continue
        if item.construct not in construct_paths:
            chk.error(
                _join(path, "construct"),
                f"item {item.id!r} refers to an unknown construct; defined constructs: "
                f"{_names(construct_paths)}",
                item.construct,
            )
            continue
        if construct_kinds.get(item.construct, "factor") != "factor":
            chk.error(
                _join(path, "construct"),
                f"item {item.id!r} is listed under the {construct_kinds[item.construct]} "
                f"construct {item.construct!r}; items measure first-order factors only "
                "(list it under one of the components)",
                item.construct,
            )
            continue
        if "scale" in node and item.scale not in scale_ids:
            chk.error(
                _join(path, "scale"),
                f"item {item.id!r} uses an unknown scale; defined scales: {_names(scale_ids)}",
                item.scale,
            )
            continue
        if item.id in construct_paths:
            chk.error(
                _join(path, "id"),
                f"item id is also the id of the construct at {construct_paths[item.id]}; "
                "item and construct ids must differ (they share one model namespace)",
                item.id,
            )
            continue
        items.append(item)
    _check_aliases(chk, items, item_paths)

    # factor sizes
    counts = {cid: 0 for cid, c in constructs.items() if c.kind == "factor"}
    for construct_ref in item_constructs.values():
        if construct_ref in counts:
            counts[construct_ref] += 1
    for cid, n in counts.items():
        path = construct_paths[cid]
        if n < 2:
            chk.error(
                path,
                f"factor {cid!r} has {n} item{'s' if n != 1 else ''}; a factor needs at least "
                "2 items (3 or more to be identified on its own)",
                cid,
            )
        elif n < 3:
            chk.warn(
                path,
                f"factor {cid!r} has only {n} items; 3 or more are recommended (a 2-item factor "
                "is identified only within a larger model)",
            )

    # hypotheses and feedback
    path_ids: dict[str, str] = {}
    hyps: list[Hypothesis] = []
    for i, node in enumerate(chk.entries(data, "hypotheses", required=False)):
        path = f"hypotheses[{i}]"
        if _new_path_id(chk, node, path, path_ids):
            hyp = _hypothesis(chk, node, path)
            if hyp is not None and _endpoints_ok(chk, hyp, path, construct_paths, loop_ok=False):
                hyps.append(hyp)
    feedback: list[FeedbackPath] = []
    for i, node in enumerate(chk.entries(data, "feedback", required=False)):
        path = f"feedback[{i}]"
        if _new_path_id(chk, node, path, path_ids):
            fb = _feedback(chk, node, path)
            if fb is not None and _endpoints_ok(chk, fb, path, construct_paths, loop_ok=True):
                feedback.append(fb)

    wave_order = _wave_order(chk, data.get("wave_order"))
    item_ids = {it.id for it in items}
    markers: list[str] = []
    if data.get("marker_items") is not None:
        for j, ref in enumerate(
            chk.sequence(data["marker_items"], "marker_items", "marker_items") or []
        ):
            got = chk.string(ref, f"marker_items[{j}]", "marker item")
            if got is not None and got not in item_ids:
                chk.error(f"marker_items[{j}]", "not an item id of this instrument", got)
            elif got is not None:
                markers.append(got)
    checks = _attention_checks(chk, data.get("attention_checks"))

    if chk.problems or iid is None or version is None or title is None:
        return None, chk
    instrument = Instrument(
        wave_order=wave_order,
        marker_items=tuple(markers),
        attention_checks=checks,
        id=iid,
        version=version,
        title=title,
        scales=scales,
        constructs=constructs,
        items=tuple(items),
        hypotheses=tuple(hyps),
        feedback=tuple(feedback),
        description=description,
        references=tuple(references),
    )
    return instrument, chk


def _wave_order(chk: _Checker, node: Any) -> tuple[Any, ...]:
    if node is None:
        return ()
    seq = chk.sequence(node, "wave_order", "wave_order")
    if not seq:
        if seq is not None:
            chk.error("wave_order", "wave_order must list at least two waves", node)
        return ()
    out: list[Any] = []
    for j, v in enumerate(seq):
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            chk.error(f"wave_order[{j}]", "a wave label must be a string or a number", v)
        elif v in out:
            chk.error(f"wave_order[{j}]", "wave label listed twice", v)
        else:
            out.append(v)
    return tuple(out)


def _attention_checks(chk: _Checker, node: Any) -> tuple[AttentionCheck, ...]:
    if node is None:
        return ()
    out: list[AttentionCheck] = []
    seen: set[str] = set()
    for j, entry in enumerate(chk.sequence(node, "attention_checks", "attention_checks") or []):
        path = f"attention_checks[{j}]"
        m = chk.mapping(entry, path, "an attention check")
        if m is None:
            continue
        chk.keys(m, path, (("id", "column", "pass"), ()))
        cid = chk.ident(m["id"], _join(path, "id"), "attention check id") if "id" in m else None
        col = m.get("column")
        col = (
            chk.string(str(col) if isinstance(col, int) else col, _join(path, "column"), "column")
            if "column" in m
            else None
        )
        raw = m.get("pass")
        passing = raw if isinstance(raw, list) else [raw]
        ok = [v for v in passing if isinstance(v, (int, str)) and not isinstance(v, bool)]
        if "pass" in m and (not ok or len(ok) != len(passing)):
            chk.error(_join(path, "pass"), "pass must be a code, a label, or a list of them", raw)
            continue
        if cid is not None and cid in seen:
            chk.error(_join(path, "id"), "duplicate attention check id", cid)
            continue
        if cid is not None and col is not None and ok:
            seen.add(cid)
            out.append(AttentionCheck(id=cid, column=col, passing=tuple(ok)))
    return tuple(out)


def _new_path_id(chk: _Checker, node: Any, path: str, seen: dict[str, str]) -> bool:
    pid = node.get("id") if isinstance(node, Mapping) else None
    if isinstance(pid, str) and pid in seen:
        chk.error(_join(path, "id"), f"duplicate path id (first at {seen[pid]})", pid)
        return False
    if isinstance(pid, str):
        seen[pid] = path
    return True


def _endpoints_ok(
    chk: _Checker,
    parsed: Hypothesis | FeedbackPath,
    path: str,
    construct_paths: Mapping[str, str],
    *,
    loop_ok: bool,
) -> bool:
    ok = True
    for end, ref in (("source", parsed.source), ("target", parsed.target)):
        if ref not in construct_paths:
            chk.error(
                _join(path, end),
                f"unknown construct; defined constructs: {_names(construct_paths)}",
                ref,
            )
            ok = False
    if ok and not loop_ok and parsed.source == parsed.target:
        chk.error(_join(path, "target"), "a path cannot point to its own source", parsed.target)
        ok = False
    return ok


def _check_cycles(
    chk: _Checker, constructs: Mapping[str, Construct], paths: Mapping[str, str]
) -> None:
    """Report every cycle among higher-order constructs once."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    reported: set[frozenset[str]] = set()
    for start in constructs:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = []
        while stack:
            cid, j = stack.pop()
            if j == 0:
                state[cid] = 1
                trail.append(cid)
            comps = constructs[cid].components if cid in constructs else ()
            if j < len(comps):
                stack.append((cid, j + 1))
                nxt = comps[j]
                if nxt not in constructs:
                    continue
                if state.get(nxt) == 1:
                    loop = [*trail[trail.index(nxt) :], nxt]
                    key = frozenset(loop)
                    if key not in reported:
                        reported.add(key)
                        chk.error(
                            f"{paths[cid]}.components[{j}]",
                            "cycle among higher-order constructs: " + " -> ".join(loop),
                            nxt,
                        )
                elif not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[cid] = 2
                trail.pop()


def _check_aliases(chk: _Checker, items: list[Item], item_paths: Mapping[str, str]) -> None:
    """Item ids and aliases must not collide after ``strip().casefold()``."""
    owner: dict[str, tuple[str, str]] = {}  # normalised name -> (item id, where)
    for item in items:
        key = item.id.strip().casefold()
        if key in owner and owner[key][0] != item.id:
            chk.error(
                _join(item_paths[item.id], "id"),
                f"item id differs only in case from item {owner[key][0]!r} "
                f"({owner[key][1]}); column matching ignores case",
                item.id,
            )
            continue
        owner[key] = (item.id, _join(item_paths[item.id], "id"))
    for item in items:
        own: set[str] = {item.id.strip().casefold()}
        for j, alias in enumerate(item.aliases):
            where = f"{_join(item_paths[item.id], 'aliases')}[{j}]"
            key = alias.strip().casefold()
            if key in own:
                if key != item.id.strip().casefold():
                    chk.error(where, f"alias listed twice for item {item.id!r}", alias)
                continue
            own.add(key)
            if key in owner:
                other, other_where = owner[key]
                chk.error(
                    where,
                    f"alias of item {item.id!r} clashes with {other_where} of item {other!r} "
                    "(compared ignoring case and surrounding spaces)",
                    alias,
                )
                continue
            owner[key] = (item.id, where)


def _names(names: Iterable[str], limit: int = 15) -> str:
    listed = list(names)
    shown = ", ".join(listed[:limit])
    if len(listed) > limit:
        shown += f", ... ({len(listed)} in all)"
    return shown or "(none)"


def _finish(
    instrument: Instrument | None, chk: _Checker, label: str, source: str | None, stacklevel: int
) -> Instrument:
    """Raise every problem at once, or emit the warnings and return the instrument."""
    if chk.problems or instrument is None:
        raise CodebookError(label, chk.problems or [Problem("", "the codebook is incomplete")])
    for message in chk.warnings:
        warnings.warn(f"instrument {label}: {message}", InstrumentWarning, stacklevel=stacklevel)
    object.__setattr__(instrument, "source", source)
    return instrument


def instrument_from_dict(data: Mapping[str, Any], *, source: str | None = None) -> Instrument:
    """Validate a codebook given as a mapping and build the :class:`Instrument`.

    Parameters
    ----------
    data : Mapping
        The codebook in the YAML layout (see ``instruments/README.md``). Not modified.
    source : str, optional
        A name for messages; stored as ``Instrument.source``.

    Returns
    -------
    Instrument

    Raises
    ------
    CodebookError
        An :class:`~synergy_stats.errors.InstrumentError` listing every problem with its key
        path and offending value.

    Warns
    -----
    InstrumentWarning
        For a factor with only 2 items.
    """
    return _from_mapping(data, source, stacklevel=5)


def _from_mapping(data: Mapping[str, Any], source: str | None, stacklevel: int) -> Instrument:
    """Build from a mapping; ``stacklevel`` counts from this function's caller's caller."""
    label = repr(source) if source is not None else "<dict>"
    instrument, chk = _build(data)
    return _finish(instrument, chk, label, source, stacklevel=stacklevel - 1)


# ---------------------------------------------------------------------------------- files
def _bundled_dir() -> Traversable:
    """Return the folder of bundled codebooks (package data, or ``instruments/`` in a checkout)."""
    try:
        return importlib.resources.files(_BUNDLED_PACKAGE)
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "instruments"


def _bundled() -> dict[str, Traversable]:
    folder = _bundled_dir()
    out: dict[str, Traversable] = {}
    try:
        entries = sorted(folder.iterdir(), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return out
    for entry in entries:
        name = entry.name
        for suffix in _YAML_SUFFIXES:
            if name.endswith(suffix) and entry.is_file():
                out.setdefault(name[: -len(suffix)], entry)
    return out


def list_instruments() -> list[str]:
    """Return the names of the bundled instruments.

    Returns
    -------
    list of str
        E.g. ``["sfic", "synergy-execution"]``, sorted.

    Examples
    --------
    >>> "synergy-execution" in list_instruments()
    True
    """
    check_arguments(list_instruments, locals())
    return sorted(_bundled())


def bundled_path(name: str) -> Traversable:
    """Return the location of a bundled codebook file.

    Raises
    ------
    InstrumentError
        If ``name`` is not a bundled instrument; the message lists the bundled names.
    """
    bundled = _bundled()
    key = _bundled_key(name)
    if key not in bundled:
        raise InstrumentError(
            f"name_or_path={name!r} is not a bundled instrument; bundled instruments are "
            f"{', '.join(sorted(bundled)) or '(none found)'}"
        )
    return bundled[key]


def _bundled_key(name: str) -> str:
    return name.strip().lower().replace("_", "-")


@functools.lru_cache(maxsize=16)
def _load_bundled(key: str) -> Instrument:
    entry = _bundled()[key]
    text = entry.read_text(encoding="utf-8")
    return _parse_text(text, str(entry), stacklevel=4)


def _parse_text(text: str, source: str, stacklevel: int) -> Instrument:
    label = repr(source)
    data = _safe_load(text, label)
    instrument, chk = _build(data)
    return _finish(instrument, chk, label, source, stacklevel=stacklevel + 1)


def _safe_load(text: str, label: str) -> Any:
    """``yaml.safe_load`` plus a check for repeated keys, which YAML silently overwrites."""
    try:
        data = yaml.safe_load(text)
        duplicates = _duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise CodebookError(label, [Problem("", f"YAML syntax error: {exc}")]) from None
    except (ValueError, TypeError, OverflowError, IndexError, KeyError, AttributeError) as exc:
        # PyYAML's constructors raise these for values it cannot build, e.g. a date
        # "2021-02-30" (ValueError), an empty "!!int" (IndexError), "!!bool x" (KeyError)
        raise CodebookError(
            label, [Problem("", f"YAML value cannot be read: {type(exc).__name__}: {exc}")]
        ) from None
    except RecursionError:
        raise CodebookError(label, [Problem("", "YAML nesting is too deep to read")]) from None
    if duplicates:
        raise CodebookError(label, duplicates)
    return data


def _duplicate_keys(root: yaml.Node | None) -> list[Problem]:
    problems: list[Problem] = []
    if root is None:
        return problems
    seen_nodes: set[int] = set()
    stack: list[yaml.Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    k = (key_node.tag, key_node.value)
                    line = key_node.start_mark.line + 1
                    if k in keys:
                        problems.append(
                            Problem(
                                f"line {line}",
                                f"key repeated in one mapping (first at line {keys[k]}); YAML "
                                "would silently keep only the last value",
                                _show(key_node.value),
                            )
                        )
                    else:
                        keys[k] = line
                else:
                    stack.append(key_node)
                stack.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    problems.sort(key=lambda p: int(p.path.split()[1]))
    return problems


def _read_file(path: Path) -> str:
    label = repr(str(path))
    if _exists(path) and path.is_dir():
        raise CodebookError(label, [Problem("", "is a directory, not a codebook file")])
    try:
        raw = path.read_bytes()
    except ValueError as exc:  # e.g. an embedded NUL character
        raise InstrumentError(f"name_or_path={str(path)!r} is not a usable path: {exc}") from None
    except FileNotFoundError:
        raise InstrumentError(
            f"name_or_path={str(path)!r}: no such file, and not a bundled instrument "
            f"(bundled: {', '.join(list_instruments()) or '(none found)'})"
        ) from None
    except OSError as exc:
        raise CodebookError(label, [Problem("", f"cannot be read: {exc}")]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodebookError(
            label, [Problem("", f"is not UTF-8 text ({exc.reason} at byte {exc.start})")]
        ) from None


def load_instrument(
    name_or_path: str | os.PathLike[str] | Instrument | Mapping[str, Any],
) -> Instrument:
    """Load a bundled instrument by name or a YAML codebook by path, validating it fully.

    Parameters
    ----------
    name_or_path : str, path-like or Instrument
        A bundled name (see :func:`list_instruments`; case and ``_``/``-`` are ignored), or
        the path of a YAML codebook. An :class:`Instrument` is returned unchanged; a mapping
        is validated as by :func:`instrument_from_dict`.

    Returns
    -------
    Instrument
        Frozen; ``source`` records where it came from.

    Raises
    ------
    InstrumentError
        If the name is neither bundled nor an existing file (the message lists the bundled
        names), or the file cannot be read. A :class:`CodebookError` (a subclass) lists every
        problem in the codebook, each with its key path and offending value: malformed YAML,
        missing keys, wrong types, unknown references (item -> construct, item -> scale,
        components, hypothesis and feedback endpoints), duplicate ids or clashing aliases,
        an item in two constructs or under a higher-order construct, a factor with fewer
        than 2 items, a cycle among higher-order constructs, labels that do not cover every
        point, and missing codes overlapping valid codes.

    Warns
    -----
    InstrumentWarning
        For a factor with only 2 items.

    Notes
    -----
    The file is parsed with ``yaml.safe_load`` (no arbitrary objects), then walked once; all
    problems are collected before one error is raised. The format is documented in
    ``instruments/README.md``.

    Examples
    --------
    >>> inst = load_instrument("synergy-execution")
    >>> inst.items_of("env_pressure")
    ['env_pressure_1', 'env_pressure_2', 'env_pressure_3']

    This plays the role of a codebook read before lavaan's ``cfa(model, data)``: the
    measurement model is derived from ``inst.constructs`` and ``inst.items``.
    """
    check_arguments(load_instrument, locals())
    if isinstance(name_or_path, Instrument):
        return name_or_path
    if isinstance(name_or_path, Mapping):
        return _from_mapping(name_or_path, None, stacklevel=5)
    if isinstance(name_or_path, str):
        key = _bundled_key(name_or_path)
        if key and key in _bundled():
            return _load_bundled(key)
        path = Path(name_or_path)
        if not _exists(path) and not _looks_like_path(name_or_path):
            raise InstrumentError(
                f"name_or_path={name_or_path!r} is neither a bundled instrument nor an existing "
                f"file; bundled instruments are {', '.join(list_instruments()) or '(none found)'}"
            )
    elif isinstance(name_or_path, os.PathLike):
        path = Path(os.fsdecode(name_or_path))
    else:
        raise InstrumentError(
            f"name_or_path={_show(name_or_path)} ({type(name_or_path).__name__}) is not "
            "accepted; pass a bundled instrument name, a file path or an Instrument"
        )
    text = _read_file(path)
    return _parse_text(text, str(path), stacklevel=3)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _looks_like_path(text: str) -> bool:
    return (
        "/" in text
        or "\\" in text
        or os.sep in text
        or text.lower().endswith(_YAML_SUFFIXES)
        or text.startswith(".")
    )
