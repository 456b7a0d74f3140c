"""Frozen data model of a survey instrument (codebook).

An :class:`Instrument` is a specification: it holds no data. It describes the response
scales, the latent constructs (first-order factors, second-order constructs and blocks of
correlated factors), the items that measure the first-order factors, the structural
hypotheses and the feedback paths. Instruments are normally read from a YAML codebook with
:func:`synergy_stats.instrument.load_instrument`; every object here is immutable, hashable
and picklable.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, Literal, TypeVar

from synergy_stats.errors import InstrumentError

__all__ = [
    "Construct",
    "ConstructKind",
    "FeedbackPath",
    "FrozenMap",
    "Hypothesis",
    "Instrument",
    "Item",
    "Language",
    "Scale",
    "Sign",
    "Text",
    "normalize_label",
]

ConstructKind = Literal["factor", "second_order", "correlated"]
Sign = Literal["+", "-"]
Language = Literal["en", "zh"]

K = TypeVar("K")
V = TypeVar("V")

_SPACE = re.compile(r"\s+")


def normalize_label(text: str) -> str:
    """Normalise a label for matching: NFKC, case-folded, all white space removed.

    Parameters
    ----------
    text : str
        A response label such as ``" Strongly  Agree"`` or ``"非常 同意"``.

    Returns
    -------
    str
        The normalised key (``"stronglyagree"``, ``"非常同意"``).

    Examples
    --------
    >>> normalize_label(" Strongly  AGREE ")
    'stronglyagree'
    """
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).casefold())


class FrozenMap(Mapping[K, V]):
    """A small immutable, hashable and picklable mapping that keeps insertion order.

    Used for the mappings held by the frozen dataclasses (``Scale.labels``,
    ``Instrument.constructs``, ...). It compares equal to any mapping with the same items.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = dict(data) if data is not None else {}

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __getstate__(self) -> dict[K, V]:
        return self._data

    def __setstate__(self, state: dict[K, V]) -> None:
        self._data = state


def _freeze_map(value: Mapping[K, V]) -> FrozenMap[K, V]:
    return value if isinstance(value, FrozenMap) else FrozenMap(value)


@dataclass(frozen=True)
class Text:
    """A bilingual text: English and Simplified Chinese.

    Parameters
    ----------
    en : str
        English text.
    zh : str
        Simplified Chinese text.

    Examples
    --------
    >>> Text("don't know", "不知道").get("zh")
    '不知道'
    """

    en: str
    zh: str

    def get(self, lang: Language = "en") -> str:
        """Return the text in ``lang`` (``"en"`` or ``"zh"``)."""
        if lang == "en":
            return self.en
        if lang == "zh":
            return self.zh
        raise InstrumentError(f"lang={lang!r} is not accepted; use one of 'en', 'zh'")

    def to_dict(self) -> dict[str, str]:
        """Return ``{"en": ..., "zh": ...}``."""
        return {"en": self.en, "zh": self.zh}


@dataclass(frozen=True)
class Scale:
    """A response scale: valid integer codes ``minimum..maximum`` and missing-value codes.

    Parameters
    ----------
    id : str
        Scale id, e.g. ``"agree5"``.
    points : int
        Number of valid response points (``maximum - minimum + 1``).
    minimum, maximum : int
        Lowest and highest valid code.
    labels : Mapping[int, Text]
        A bilingual label for every code ``minimum..maximum``.
    missing : Mapping[int, Text]
        Missing-value codes and their meaning, e.g. ``{8: refused, 9: don't know}``.
        They never overlap the valid codes.
    """

    id: str
    points: int
    minimum: int
    maximum: int
    labels: Mapping[int, Text]
    missing: Mapping[int, Text] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _freeze_map(self.labels))
        object.__setattr__(self, "missing", _freeze_map(self.missing))

    def __hash__(self) -> int:
        return hash((self.id, self.points, self.minimum, self.maximum, self.labels, self.missing))

    @property
    def codes(self) -> tuple[int, ...]:
        """The valid codes ``minimum..maximum`` in order."""
        return tuple(range(self.minimum, self.maximum + 1))

    def code_for_label(self, text: str) -> int | None:
        """Return the code whose English or Chinese label matches ``text``.

        Matching ignores case, Unicode width (NFKC) and all white space, so ``"Strongly
        agree"``, ``"strongly  AGREE"`` and ``"非常 同意"`` all match. Labels of missing
        codes match too (``"不知道"`` gives ``9``); use :meth:`is_missing` to tell them
        apart.

        Parameters
        ----------
        text : str
            A response label as it appears in a questionnaire export.

        Returns
        -------
        int or None
            The code, or ``None`` if no label matches (or ``text`` is not a string).
        """
        if not isinstance(text, str):
            return None
        key = normalize_label(text)
        if not key:
            return None
        for table in (self.labels, self.missing):
            for code, label in table.items():
                if key in (normalize_label(label.en), normalize_label(label.zh)):
                    return code
        return None

    def is_valid(self, code: Any) -> bool:
        """Return True if ``code`` is an integral number in ``minimum..maximum``.

        Integral floats (``4.0``, as read from a CSV column with gaps) count; booleans,
        NaN and non-numbers do not.
        """
        value = _as_int(code)
        return value is not None and self.minimum <= value <= self.maximum

    def is_missing(self, code: Any) -> bool:
        """Return True if ``code`` is one of the scale's missing-value codes."""
        value = _as_int(code)
        return value is not None and value in self.missing

    def label(self, code: int, lang: Language = "en") -> str:
        """Return the label of a valid or missing ``code`` in ``lang``."""
        value = _as_int(code)
        if value is not None and value in self.labels:
            return self.labels[value].get(lang)
        if value is not None and value in self.missing:
            return self.missing[value].get(lang)
        raise InstrumentError(
            f"code={code!r} is not a code of scale {self.id!r}; valid codes are "
            f"{self.minimum}..{self.maximum}, missing codes {sorted(self.missing)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the scale as a plain dict in the YAML codebook format."""
        return {
            "id": self.id,
            "points": self.points,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "labels": {int(c): t.to_dict() for c, t in self.labels.items()},
            "missing": {int(c): t.to_dict() for c, t in self.missing.items()},
        }


def _as_int(code: Any) -> int | None:
    if isinstance(code, bool):
        return None
    if isinstance(code, Integral):
        return int(code)
    if isinstance(code, Real):
        value = float(code)
        if value.is_integer():
            return int(value)
    return None


@dataclass(frozen=True)
class Item:
    """A questionnaire item measuring one first-order factor.

    Parameters
    ----------
    id : str
        Item id, e.g. ``"env_pressure_1"`` (letters, digits, underscores).
    construct : str
        Id of the first-order factor the item measures.
    text : Text
        Item wording in English and Chinese.
    scale : str
        Id of the item's response scale.
    reverse : bool
        True if the item is reverse-keyed (scored as ``minimum + maximum - x``).
    aliases : tuple of str
        Column names under which the item appears in questionnaire exports.
    number : str or None
        The item's number in the questionnaire: ``"6"`` for question 6, ``"6.1"`` for row 1
        of matrix question 6. Export headers such as ``Q6_1`` or ``6.1`` match it.
    """

    id: str
    construct: str
    text: Text
    scale: str
    reverse: bool = False
    aliases: tuple[str, ...] = ()
    number: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "aliases", tuple(self.aliases))

    def to_dict(self) -> dict[str, Any]:
        """Return the item as a plain dict in the YAML codebook format."""
        return {
            "id": self.id,
            "construct": self.construct,
            "text": self.text.to_dict(),
            "scale": self.scale,
            "reverse": self.reverse,
            "aliases": list(self.aliases),
            **({"number": self.number} if self.number is not None else {}),
        }


@dataclass(frozen=True)
class Construct:
    """A latent construct.

    Parameters
    ----------
    id : str
        Construct id, e.g. ``"env_pressure"`` or ``"motivation"``.
    label : Text
        Short name in English and Chinese.
    definition : Text
        Definition in English and Chinese.
    kind : {"factor", "second_order", "correlated"}
        ``"factor"``: a first-order factor measured by items. ``"second_order"``: a
        higher-order factor over ``components``. ``"correlated"``: a block of correlated
        components with no higher-order factor.
    components : tuple of str
        Component construct ids (empty for a ``"factor"``).
    reverse : bool
        True when the construct runs against the block it belongs to (for example the
        implementation gap within synergy results): a hypothesis about the block then
        predicts the opposite sign for this component.
    """

    id: str
    label: Text
    definition: Text
    kind: ConstructKind = "factor"
    components: tuple[str, ...] = ()
    reverse: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "components", tuple(self.components))

    @property
    def is_factor(self) -> bool:
        """True for a first-order factor."""
        return self.kind == "factor"

    def to_dict(self) -> dict[str, Any]:
        """Return the construct as a plain dict in the YAML codebook format."""
        return {
            "id": self.id,
            "label": self.label.to_dict(),
            "definition": self.definition.to_dict(),
            "kind": self.kind,
            "components": list(self.components),
            **({"reverse": True} if self.reverse else {}),
        }


@dataclass(frozen=True)
class Hypothesis:
    """A hypothesised structural path ``source -> target`` with an expected sign."""

    id: str
    source: str
    target: str
    sign: Sign
    text: Text

    def to_dict(self) -> dict[str, Any]:
        """Return the hypothesis as a plain dict in the YAML codebook format."""
        return {
            "id": self.id,
            "source": self.source,
            "target": self.target,
            "sign": self.sign,
            "text": self.text.to_dict(),
        }


@dataclass(frozen=True)
class FeedbackPath:
    """A lagged feedback path: ``source`` at wave t affects ``target`` at wave t + lag."""

    id: str
    source: str
    target: str
    lag: int = 1
    sign: Sign = "+"
    text: Text | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the feedback path as a plain dict in the YAML codebook format."""
        out: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "target": self.target,
            "lag": self.lag,
            "sign": self.sign,
        }
        if self.text is not None:
            out["text"] = self.text.to_dict()
        return out


@dataclass(frozen=True)
class AttentionCheck:
    """An attention-check question: ``column`` of the export must be answered ``passing``.

    ``column`` is the header (or question number) of the check in the export; ``passing``
    the codes or answer labels that pass (e.g. ``[2]`` for "please choose 'disagree'").
    """

    id: str
    column: str
    passing: tuple[Any, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the check as a plain dict in the YAML codebook format."""
        return {"id": self.id, "column": self.column, "pass": list(self.passing)}


@dataclass(frozen=True, kw_only=True)
class Instrument:
    """A survey instrument: scales, constructs, items, hypotheses and feedback paths.

    Build one with :func:`synergy_stats.instrument.load_instrument` (which validates the
    whole codebook) or :meth:`from_dict`. Constructing it directly skips validation.

    Parameters
    ----------
    id : str
        Instrument id, e.g. ``"synergy-execution"``.
    version : str
        Version string of the codebook.
    title : Text
        Title in English and Chinese.
    scales : Mapping[str, Scale]
        Response scales by id.
    constructs : Mapping[str, Construct]
        Constructs by id, in file order.
    items : tuple of Item
        Items in file order.
    hypotheses : tuple of Hypothesis
        Structural hypotheses H1..Hn.
    feedback : tuple of FeedbackPath
        Lagged feedback paths.
    wave_order : tuple
        The wave labels in time order (codebook key ``wave_order``); empty when the order
        is to be inferred from the labels (see :func:`synergy_stats.panel.order_waves`).
    marker_items : tuple of str
        Items declared as marker variables for common-method-bias tests (codebook key
        ``marker_items``): theoretically unrelated to the substantive constructs.
    attention_checks : tuple of AttentionCheck
        Attention-check questions of the export (codebook key ``attention_checks``).
    source : str or None
        The file the instrument was read from (not part of equality).
    description : Text or None
        Optional longer description.
    references : tuple of str
        Optional literature references.
    """

    id: str
    version: str
    title: Text
    scales: Mapping[str, Scale]
    constructs: Mapping[str, Construct]
    items: tuple[Item, ...]
    hypotheses: tuple[Hypothesis, ...] = ()
    feedback: tuple[FeedbackPath, ...] = ()
    source: str | None = field(default=None, compare=False)
    description: Text | None = None
    references: tuple[str, ...] = ()
    wave_order: tuple[Any, ...] = ()
    marker_items: tuple[str, ...] = ()
    attention_checks: tuple[AttentionCheck, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "scales", _freeze_map(self.scales))
        object.__setattr__(self, "constructs", _freeze_map(self.constructs))
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "hypotheses", tuple(self.hypotheses))
        object.__setattr__(self, "feedback", tuple(self.feedback))
        object.__setattr__(self, "references", tuple(self.references))
        object.__setattr__(self, "wave_order", tuple(self.wave_order))
        object.__setattr__(self, "marker_items", tuple(self.marker_items))
        object.__setattr__(self, "attention_checks", tuple(self.attention_checks))

    def __hash__(self) -> int:
        return hash((self.id, self.version, self.items))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str | None = None) -> Instrument:
        """Validate a codebook given as a plain mapping and build the instrument.

        Parameters
        ----------
        data : Mapping
            The codebook, in the same layout as the YAML file (see ``instruments/README.md``).
            It is not modified.
        source : str, optional
            Name used in error messages and stored as :attr:`source`.

        Returns
        -------
        Instrument

        Raises
        ------
        InstrumentError
            Listing every problem, each with its key path and offending value.
        """
        from synergy_stats.instrument.load import _from_mapping

        return _from_mapping(data, source, stacklevel=5)

    # ------------------------------------------------------------------ look-ups
    def item(self, item_id: str) -> Item:
        """Return the item with id ``item_id`` (an alias is accepted too).

        Raises
        ------
        InstrumentError
            If no item has that id or alias.
        """
        for it in self.items:
            if it.id == item_id:
                return it
        for it in self.items:
            if item_id in it.aliases:
                return it
        raise InstrumentError(
            f"item_id={item_id!r} is not an item of instrument {self.id!r}; "
            f"known items: {_preview([it.id for it in self.items])}"
        )

    def construct(self, construct_id: str) -> Construct:
        """Return the construct with id ``construct_id``.

        Raises
        ------
        InstrumentError
            If the instrument has no such construct.
        """
        found = self.constructs.get(construct_id) if isinstance(construct_id, str) else None
        if found is None:
            raise InstrumentError(
                f"construct={construct_id!r} is not a construct of instrument {self.id!r}; "
                f"known constructs: {_preview(list(self.constructs))}"
            )
        return found

    def items_of(self, construct: str) -> list[str]:
        """Return the ids of the items measuring ``construct``, in file order.

        A ``"second_order"`` or ``"correlated"`` construct is expanded recursively to the
        items of its components, in component order.

        Raises
        ------
        InstrumentError
            If ``construct`` is not a construct of the instrument.

        Examples
        --------
        >>> inst = load_instrument("synergy-execution")  # doctest: +SKIP
        >>> inst.items_of("motivation")[:2]  # doctest: +SKIP
        ['env_pressure_1', 'env_pressure_2']
        """
        node = self.construct(construct)
        if node.kind == "factor":
            return [it.id for it in self.items if it.construct == node.id]
        out: list[str] = []
        seen = {node.id}
        stack = list(reversed(node.components))
        while stack:
            cid = stack.pop()
            if cid in seen:  # defensive: validated instruments have no cycles
                continue
            seen.add(cid)
            child = self.construct(cid)
            if child.kind == "factor":
                out.extend(it.id for it in self.items if it.construct == child.id)
            else:
                stack.extend(reversed(child.components))
        return out

    def factors(self) -> list[str]:
        """Return the first-order factor ids in file order."""
        return [c.id for c in self.constructs.values() if c.kind == "factor"]

    def higher_order(self) -> list[str]:
        """Return the ``second_order`` and ``correlated`` construct ids in file order."""
        return [c.id for c in self.constructs.values() if c.kind != "factor"]

    def top_level(self) -> list[str]:
        """Return the constructs that are not a component of another, in file order."""
        inner = {cid for c in self.constructs.values() for cid in c.components}
        return [cid for cid in self.constructs if cid not in inner]

    def parent(self, construct: str) -> str | None:
        """Return the construct that lists ``construct`` as a component, or None."""
        self.construct(construct)
        for c in self.constructs.values():
            if construct in c.components:
                return c.id
        return None

    def factor_items(self) -> dict[str, list[str]]:
        """Return ``{factor id: [item ids]}`` for every first-order factor, in file order."""
        return {fid: self.items_of(fid) for fid in self.factors()}

    def scale_of(self, item_id: str) -> Scale:
        """Return the response scale of item ``item_id``."""
        return self.scales[self.item(item_id).scale]

    def reverse_items(self) -> list[str]:
        """Return the ids of the reverse-keyed items in file order."""
        return [it.id for it in self.items if it.reverse]

    def column_map(self) -> dict[str, str]:
        """Return ``{column name: item id}`` for every item id and alias.

        Keys are written as in the codebook; matching that ignores case and surrounding
        white space is left to the reader (the loader guarantees that no two keys collide
        after ``strip().casefold()``).
        """
        out: dict[str, str] = {}
        for it in self.items:
            out[it.id] = it.id
            for alias in it.aliases:
                out.setdefault(alias, it.id)
        return out

    # ------------------------------------------------------------------ export
    def to_dict(self) -> dict[str, Any]:
        """Return a plain dict that round-trips through the YAML loader.

        ``yaml.safe_dump(inst.to_dict())`` written to a file and loaded with
        :func:`load_instrument` gives an instrument equal to ``inst``.
        """
        out: dict[str, Any] = {
            "id": self.id,
            "version": self.version,
            "title": self.title.to_dict(),
        }
        if self.description is not None:
            out["description"] = self.description.to_dict()
        if self.references:
            out["references"] = list(self.references)
        out["scales"] = [s.to_dict() for s in self.scales.values()]
        out["constructs"] = [c.to_dict() for c in self.constructs.values()]
        out["items"] = [it.to_dict() for it in self.items]
        out["hypotheses"] = [h.to_dict() for h in self.hypotheses]
        out["feedback"] = [f.to_dict() for f in self.feedback]
        if self.wave_order:
            out["wave_order"] = list(self.wave_order)
        if self.marker_items:
            out["marker_items"] = list(self.marker_items)
        if self.attention_checks:
            out["attention_checks"] = [a.to_dict() for a in self.attention_checks]
        return out

    def __repr__(self) -> str:
        return (
            f"Instrument(id={self.id!r}, version={self.version!r}, "
            f"constructs={len(self.constructs)}, items={len(self.items)}, "
            f"hypotheses={len(self.hypotheses)}, feedback={len(self.feedback)})"
        )


def _preview(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    if len(names) > limit:
        shown += f", ... ({len(names)} in all)"
    return shown or "(none)"
