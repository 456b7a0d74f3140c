"""Property-based tests of the instrument loader (hypothesis).

Whatever the input (random text, random YAML-like documents, random nested dicts, random
damage to a valid codebook), only SynergyError subclasses may escape ``load_instrument``, and
the caller's objects and files are never changed. Valid random codebooks round-trip through
``to_dict`` and YAML.
"""

from __future__ import annotations

import copy
import re
import warnings
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synergy_stats.errors import InstrumentError, InstrumentWarning, SynergyError
from synergy_stats.instrument import Instrument, instrument_from_dict, load_instrument

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# building and parsing whole codebooks costs ~80 ms an example: fewer examples keep it fast
SLOW_SETTINGS = settings(SETTINGS, max_examples=50)


def _load_quietly(target: Any) -> Instrument | None:
    """Load; return None on a SynergyError. Any other exception fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InstrumentWarning)
        try:
            return load_instrument(target)
        except SynergyError:
            return None


# ------------------------------------------------------------------------------ strategies
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["id", "agree5", "factor", "second_order", "correlated", "+", "-", "trust", "H1", "en"]
    ),
)
keys = st.one_of(
    st.sampled_from(
        [
            "id",
            "version",
            "title",
            "scales",
            "constructs",
            "items",
            "hypotheses",
            "feedback",
            "en",
            "zh",
            "points",
            "labels",
            "missing",
            "construct",
            "text",
            "scale",
            "reverse",
            "aliases",
            "kind",
            "components",
            "label",
            "definition",
            "source",
            "target",
            "sign",
            "lag",
            "default_scale",
        ]
    ),
    st.text(max_size=8),
    st.integers(min_value=-3, max_value=12),
    st.none(),
    st.booleans(),
)
nested = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(keys, children, max_size=6),
    ),
    max_leaves=40,
)
top_level_dicts = st.dictionaries(keys, nested, max_size=10)

yaml_tokens = st.lists(
    st.sampled_from(
        [
            "id:",
            " ",
            "\n",
            "  ",
            "- ",
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            "'",
            '"',
            "&a ",
            "*a",
            "!!str ",
            "!!int ",
            "!!float ",
            "!!binary ",
            "!!timestamp ",
            "!!python/tuple ",
            "? ",
            "|",
            ">",
            "#",
            "---",
            "...",
            "%YAML 1.1",
            "items",
            "constructs",
            "scales",
            "2021-02-30",
            "0x1F",
            "1e400",
            "~",
            "yes",
            "no",
            "<<: *a",
            "\t",
            "\x00",
            "é",
            "信任",
            "\ufeff",
        ]
    ),
    max_size=40,
).map("".join)


@st.composite
def valid_codebooks(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid codebook: factors with 3-4 items, optionally grouped into higher-order."""
    points = draw(st.integers(min_value=2, max_value=7))
    minimum = draw(st.integers(min_value=-2, max_value=2))
    maximum = minimum + points - 1
    labels = {c: {"en": f"point {c}", "zh": f"第{c}级"} for c in range(minimum, maximum + 1)}
    missing_codes = draw(
        st.lists(
            st.integers(min_value=maximum + 1, max_value=maximum + 20), unique=True, max_size=3
        )
    )
    missing = {c: {"en": f"missing {c}", "zh": f"缺失{c}"} for c in missing_codes}
    n_factors = draw(st.integers(min_value=1, max_value=6))
    factors = [f"f{k}" for k in range(n_factors)]
    constructs: list[dict[str, Any]] = [
        {"id": f, "label": {"en": f, "zh": f"因子{f}"}, "definition": {"en": "d", "zh": "定义"}}
        for f in factors
    ]
    # group consecutive factors into higher-order constructs
    free = list(factors)
    g = 0
    while len(free) >= 2 and draw(st.booleans()):
        size = draw(st.integers(min_value=2, max_value=len(free)))
        comps, free = free[:size], free[size:]
        kind = draw(st.sampled_from(["second_order", "correlated"]))
        constructs.append(
            {
                "id": f"g{g}",
                "kind": kind,
                "components": comps,
                "label": {"en": f"g{g}", "zh": f"组{g}"},
                "definition": {"en": "d", "zh": "定义"},
            }
        )
        free.append(f"g{g}")
        g += 1
    items: list[dict[str, Any]] = []
    q = 0
    for f in factors:
        for k in range(draw(st.integers(min_value=3, max_value=4))):
            q += 1
            item: dict[str, Any] = {
                "id": f"{f}_{k}",
                "construct": f,
                "text": {"en": f"item {f} {k}", "zh": f"题目{f}{k}"},
                "reverse": draw(st.booleans()),
                "aliases": [f"Q{q}", f"题{q}"],
            }
            if draw(st.booleans()):
                item["scale"] = "s"
            items.append(item)
    ids = [c["id"] for c in constructs]
    hypotheses = []
    n_hyp = draw(st.integers(min_value=0, max_value=3)) if len(ids) >= 2 else 0
    for h in range(n_hyp):
        src, tgt = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
        hypotheses.append(
            {
                "id": f"H{h + 1}",
                "source": src,
                "target": tgt,
                "sign": draw(st.sampled_from(["+", "-"])),
                "text": {"en": "h", "zh": "假设"},
            }
        )
    return {
        "id": "random",
        "version": draw(st.sampled_from(["1", "0.1", "2024-01"])),
        "title": {"en": "Random", "zh": "随机"},
        "default_scale": "s",
        "scales": [
            {
                "id": "s",
                "points": points,
                "minimum": minimum,
                "labels": labels,
                "missing": missing,
            }
        ],
        "constructs": constructs,
        "items": items,
        "hypotheses": hypotheses,
        "feedback": [{"id": "F1", "source": ids[0], "target": ids[-1], "lag": 1}],
    }


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


# ------------------------------------------------------------------------------ properties
@SETTINGS
@given(content=st.one_of(st.text(max_size=200), yaml_tokens))
def test_random_text_only_raises_synergy_errors(content: str, tmp_path: Path) -> None:
    path = tmp_path / "random.yaml"
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    before = path.read_bytes()
    _load_quietly(path)
    assert path.read_bytes() == before


@SETTINGS
@given(content=st.binary(max_size=200))
def test_random_bytes_only_raise_synergy_errors(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "random.yaml"
    path.write_bytes(content)
    _load_quietly(path)
    assert path.read_bytes() == content


@SETTINGS
@given(data=st.one_of(nested, top_level_dicts))
def test_random_nested_documents_only_raise_synergy_errors(data: Any, tmp_path: Path) -> None:
    path = tmp_path / "nested.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    _load_quietly(path)
    if isinstance(data, dict):
        snapshot = copy.deepcopy(data)
        _load_quietly(data)  # the dict itself, not through a file
        assert _same(data, snapshot)


@SLOW_SETTINGS
@given(base=valid_codebooks(), data=st.data())
def test_damaged_codebooks_raise_instrument_errors_only(
    base: dict[str, Any], data: st.DataObject, tmp_path: Path
) -> None:
    paths = _paths(base)
    n_damage = data.draw(st.integers(min_value=1, max_value=3))
    for _ in range(n_damage):
        paths = _paths(base)
        target = data.draw(st.sampled_from(paths))
        parent: Any = base
        for key in target[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()):
            del parent[target[-1]]
        else:
            parent[target[-1]] = data.draw(nested)
    snapshot = copy.deepcopy(base)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InstrumentWarning)
        try:
            instrument_from_dict(base)
        except InstrumentError as exc:
            assert str(exc)  # every error carries a message
    assert _same(base, snapshot)
    path = tmp_path / "damaged.yaml"
    path.write_text(yaml.safe_dump(base, allow_unicode=True, sort_keys=False), encoding="utf-8")
    _load_quietly(path)


@SLOW_SETTINGS
@given(codebook=valid_codebooks())
def test_valid_codebooks_round_trip(codebook: dict[str, Any], tmp_path: Path) -> None:
    snapshot = copy.deepcopy(codebook)
    path = tmp_path / "valid.yaml"
    path.write_text(yaml.safe_dump(codebook, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every factor has >= 3 items: no warning
        inst = load_instrument(path)
    assert codebook == snapshot
    again_path = tmp_path / "again.yaml"
    again_path.write_text(
        yaml.safe_dump(inst.to_dict(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    again = load_instrument(again_path)
    assert again == inst
    assert again.to_dict() == inst.to_dict()
    # expansion: a higher-order construct holds exactly the items of its factors, in order
    for cid in inst.higher_order():
        expected = [i for comp in inst.constructs[cid].components for i in inst.items_of(comp)]
        assert inst.items_of(cid) == expected
    top_items = [i for cid in inst.top_level() for i in inst.items_of(cid)]
    assert sorted(top_items) == sorted(it.id for it in inst.items)
    # every label maps back to its code, whatever its case and spacing
    scale = inst.scales["s"]
    for code, label in [*scale.labels.items(), *scale.missing.items()]:
        assert scale.code_for_label(label.en.upper()) == code
        assert scale.code_for_label(" " + " ".join(label.zh) + " ") == code


@SETTINGS
@given(label=st.text(max_size=20))
def test_code_for_label_never_raises(label: str) -> None:
    scale = load_instrument("synergy-execution").scales["agree5"]
    code = scale.code_for_label(label)
    assert code is None or code in scale.labels or code in scale.missing
    if code is not None:
        assert re.sub(r"\s", "", label) != ""


def _same(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to itself (for unchanged-input checks)."""
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b
