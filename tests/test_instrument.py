"""Tests of the instrument data model, the YAML loader and the bundled codebooks."""

from __future__ import annotations

import copy
import pickle
import re
import warnings
from collections.abc import Callable
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest
import yaml

import synergy_stats
from synergy_stats.errors import InstrumentError, InstrumentWarning, SynergyError
from synergy_stats.instrument import (
    CodebookError,
    Instrument,
    Scale,
    Text,
    instrument_from_dict,
    list_instruments,
    load_instrument,
)

REPO = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")


# ------------------------------------------------------------------------------ helpers
def text(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def minimal() -> dict[str, Any]:
    """A small valid codebook: two factors (3 items each) under a second-order construct."""
    return {
        "id": "mini",
        "version": "0.1",
        "title": text("Mini", "小问卷"),
        "scales": [
            {
                "id": "agree5",
                "points": 5,
                "labels": {
                    1: text("strongly disagree", "非常不同意"),
                    2: text("disagree", "不同意"),
                    3: text("neither agree nor disagree", "一般"),
                    4: text("agree", "同意"),
                    5: text("strongly agree", "非常同意"),
                },
                "missing": {8: text("refused", "拒绝回答"), 9: text("don't know", "不知道")},
            }
        ],
        "constructs": [
            {
                "id": "top",
                "kind": "second_order",
                "components": ["trust", "outcome"],
                "label": text("Top", "上位"),
                "definition": text("Top construct.", "上位构念。"),
            },
            {
                "id": "trust",
                "label": text("Trust", "信任"),
                "definition": text("Trust.", "信任。"),
            },
            {
                "id": "outcome",
                "label": text("Outcome", "成效"),
                "definition": text("Outcome.", "成效。"),
            },
        ],
        "items": [
            {
                "id": f"{c}_{k}",
                "construct": c,
                "text": text(f"{c} item {k}", f"{c}题{k}"),
                "scale": "agree5",
                "reverse": k == 3,
                "aliases": [f"{c[0].upper()}{k}"],
            }
            for c in ("trust", "outcome")
            for k in (1, 2, 3)
        ],
        "hypotheses": [
            {
                "id": "H1",
                "source": "trust",
                "target": "outcome",
                "sign": "+",
                "text": text("Trust helps.", "信任有益。"),
            }
        ],
        "feedback": [{"id": "F1", "source": "outcome", "target": "trust", "lag": 1, "sign": "+"}],
    }


def write(tmp_path: Path, data: Any, name: str = "codebook.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ bundled
@pytest.mark.parametrize("name", ["synergy-execution", "sfic"])
def test_bundled_instruments_load_from_any_cwd(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # bundled codebooks raise no InstrumentWarning
        inst = load_instrument(name)
    assert inst.id == name
    assert inst.source is not None and Path(inst.source).name == f"{name}.yaml"
    assert synergy_stats.load_instrument(name) == inst


def test_list_instruments_and_name_forms() -> None:
    assert list_instruments() == ["sfic", "synergy-execution"]
    assert load_instrument("Synergy_Execution").id == "synergy-execution"
    assert load_instrument(" SFIC ").id == "sfic"


def test_unknown_name_lists_bundled_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InstrumentError, match="synergy-executoin") as err:
        load_instrument("synergy-executoin")
    assert "sfic" in str(err.value) and "synergy-execution" in str(err.value)


def test_missing_file_is_instrument_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InstrumentError, match=r"nope\.yaml"):
        load_instrument(missing)
    with pytest.raises(InstrumentError, match="no such file"):
        load_instrument(str(missing))


def test_load_by_path_and_pathlike(tmp_path: Path) -> None:
    path = write(tmp_path, minimal())
    by_path = load_instrument(path)
    by_str = load_instrument(str(path))
    assert by_path == by_str
    assert by_path.source == str(path)
    assert load_instrument(by_path) is by_path  # an Instrument passes through


def test_synergy_execution_structure_is_the_agreed_one() -> None:
    inst = load_instrument("synergy-execution")
    assert inst.top_level() == ["motivation", "mechanism", "process", "results"]
    expected = {
        "motivation": (
            "second_order",
            ["env_pressure", "leader_attention", "single_dept_difficulty"],
        ),
        "mechanism": (
            "second_order",
            ["authority_command", "office_integration", "info_sharing", "accountability"],
        ),
        "process": (
            "second_order",
            [
                "matters_identification",
                "programme_planning",
                "synergy_decision",
                "synergy_execution",
                "synergy_evaluation",
            ],
        ),
        "results": ("correlated", ["synergy_effect", "implementation_gap"]),
    }
    for cid, (kind, comps) in expected.items():
        assert inst.constructs[cid].kind == kind
        assert list(inst.constructs[cid].components) == comps
    factors = [f for _, comps in expected.values() for f in comps]
    assert inst.factors() == factors
    for fid in factors:
        n = 4 if fid in ("synergy_effect", "implementation_gap") else 3
        assert inst.items_of(fid) == [f"{fid}_{k}" for k in range(1, n + 1)]
    assert len(inst.items) == 44
    reverse = inst.reverse_items()
    assert {inst.item(i).construct for i in reverse} == {
        "single_dept_difficulty",
        "implementation_gap",
    }
    assert 1 <= sum(inst.item(i).construct == "implementation_gap" for i in reverse) <= 2
    scale = inst.scales["agree5"]
    assert (scale.points, scale.minimum, scale.maximum) == (5, 1, 5)
    assert scale.labels[1] == Text("strongly disagree", "非常不同意")
    assert scale.labels[5] == Text("strongly agree", "非常同意")
    assert scale.missing == {8: Text("refused", "拒绝回答"), 9: Text("don't know", "不知道")}
    assert all(it.scale == "agree5" for it in inst.items)
    hyps = [(h.id, h.source, h.target, h.sign) for h in inst.hypotheses]
    assert hyps == [
        ("H1", "motivation", "mechanism", "+"),
        ("H2", "mechanism", "process", "+"),
        ("H3", "process", "results", "+"),
        ("H4", "motivation", "process", "+"),
        ("H5", "mechanism", "results", "+"),
    ]
    fb = [(f.id, f.source, f.target, f.lag) for f in inst.feedback]
    assert fb == [("F1", "results", "mechanism", 1), ("F2", "results", "process", 1)]
    for k, it in enumerate(inst.items, start=1):
        assert it.aliases[0] == f"Q{k}"
        assert any(CJK.search(a) for a in it.aliases[1:]), it.id


def test_sfic_structure() -> None:
    inst = load_instrument("sfic")
    assert inst.top_level() == [
        "starting_conditions",
        "institutional_design",
        "facilitative_leadership",
        "collaborative_process",
        "outcomes",
    ]
    assert list(inst.constructs["starting_conditions"].components) == [
        "power_imbalance",
        "participation_incentives",
        "prehistory",
    ]
    assert list(inst.constructs["institutional_design"].components) == [
        "participatory_inclusiveness",
        "forum_exclusiveness",
        "ground_rules",
        "process_transparency",
    ]
    assert list(inst.constructs["collaborative_process"].components) == [
        "face_to_face_dialogue",
        "trust_building",
        "commitment_to_process",
        "shared_understanding",
        "intermediate_outcomes",
    ]
    assert inst.constructs["facilitative_leadership"].kind == "factor"
    assert all(len(inst.items_of(f)) == 3 for f in inst.factors())
    assert len(inst.factors()) == 14
    assert 2 <= len(inst.reverse_items()) <= 5
    assert [h.id for h in inst.hypotheses] == [f"H{k}" for k in range(1, len(inst.hypotheses) + 1)]
    signs = {(h.source, h.target): h.sign for h in inst.hypotheses}
    assert signs[("power_imbalance", "trust_building")] == "-"
    assert signs[("collaborative_process", "outcomes")] == "+"
    assert inst.scales["agree5"].missing.keys() == {8, 9}


@pytest.mark.parametrize("name", ["synergy-execution", "sfic"])
def test_bundled_texts_are_bilingual(name: str) -> None:
    inst = load_instrument(name)
    texts = [inst.title]
    texts += [c.label for c in inst.constructs.values()]
    texts += [c.definition for c in inst.constructs.values()]
    texts += [it.text for it in inst.items]
    texts += [h.text for h in inst.hypotheses]
    for s in inst.scales.values():
        texts += [*s.labels.values(), *s.missing.values()]
    for t in texts:
        assert re.search(r"[A-Za-z]", t.en) and not CJK.search(t.en), t
        assert CJK.search(t.zh), t
    # every item wording is distinct
    assert len({it.text.en for it in inst.items}) == len(inst.items)
    assert len({it.text.zh for it in inst.items}) == len(inst.items)


# ------------------------------------------------------------------------------ model
def test_items_of_expands_second_order_and_correlated() -> None:
    inst = load_instrument("synergy-execution")
    assert inst.items_of("motivation") == [
        *[f"env_pressure_{k}" for k in (1, 2, 3)],
        *[f"leader_attention_{k}" for k in (1, 2, 3)],
        *[f"single_dept_difficulty_{k}" for k in (1, 2, 3)],
    ]
    assert inst.items_of("results") == [
        *[f"synergy_effect_{k}" for k in (1, 2, 3, 4)],
        *[f"implementation_gap_{k}" for k in (1, 2, 3, 4)],
    ]
    assert len(inst.items_of("process")) == 15


def test_items_of_expands_nested_higher_order(tmp_path: Path) -> None:
    data = minimal()
    data["constructs"].append(
        {
            "id": "third",
            "label": text("T", "三"),
            "definition": text("T.", "三。"),
            "kind": "factor",
        }
    )
    data["constructs"].append(
        {
            "id": "block",
            "kind": "correlated",
            "components": ["top", "third"],
            "label": text("B", "块"),
            "definition": text("B.", "块。"),
        }
    )
    for k in (1, 2, 3):
        data["items"].append(
            {"id": f"third_{k}", "construct": "third", "text": text(f"t{k}", f"三{k}")}
        )
    data["default_scale"] = "agree5"
    inst = load_instrument(write(tmp_path, data))
    assert inst.items_of("block") == [
        *[f"trust_{k}" for k in (1, 2, 3)],
        *[f"outcome_{k}" for k in (1, 2, 3)],
        *[f"third_{k}" for k in (1, 2, 3)],
    ]
    assert inst.top_level() == ["block"]
    assert inst.higher_order() == ["top", "block"]
    assert inst.parent("top") == "block" and inst.parent("block") is None
    assert inst.scale_of("third_1").id == "agree5"  # from default_scale


def test_lookups() -> None:
    inst = load_instrument("synergy-execution")
    assert inst.item("Q1").id == "env_pressure_1"
    assert inst.item("环境压力1").id == "env_pressure_1"
    assert inst.scale_of("env_pressure_2") is inst.scales["agree5"]
    cmap = inst.column_map()
    assert cmap["Q44"] == "implementation_gap_4"
    assert cmap["implementation_gap_4"] == "implementation_gap_4"
    assert len(cmap) == 44 * 3
    with pytest.raises(InstrumentError, match="'nope'"):
        inst.item("nope")
    with pytest.raises(InstrumentError, match="'nope'"):
        inst.items_of("nope")
    with pytest.raises(InstrumentError, match="'nope'"):
        inst.construct("nope")


def test_scale_codes_and_labels() -> None:
    scale = load_instrument("synergy-execution").scales["agree5"]
    assert scale.code_for_label("非常同意") == 5
    assert scale.code_for_label(" Strongly  AGREE ") == 5
    assert scale.code_for_label("非常 不同意") == 1
    assert scale.code_for_label("不知道") == 9
    assert scale.code_for_label("Refused") == 8
    assert scale.code_for_label("maybe") is None
    assert scale.code_for_label("") is None
    assert scale.code_for_label(5) is None  # type: ignore[arg-type]
    assert scale.is_valid(1) and scale.is_valid(5) and scale.is_valid(4.0)
    assert not scale.is_valid(0) and not scale.is_valid(6) and not scale.is_valid(2.5)
    assert not scale.is_valid(True) and not scale.is_valid(float("nan"))
    assert not scale.is_valid("3") and not scale.is_valid(None)
    assert scale.is_missing(9) and scale.is_missing(8.0) and not scale.is_missing(5)
    assert scale.label(3, "zh") == "一般" and scale.label(9) == "don't know"
    with pytest.raises(InstrumentError, match="7"):
        scale.label(7)


def test_objects_are_frozen_hashable_and_picklable() -> None:
    inst = load_instrument("sfic")
    with pytest.raises(FrozenInstanceError):
        inst.id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        inst.constructs["x"] = inst.constructs["outcomes"]  # type: ignore[index]
    assert isinstance(hash(inst), int) and isinstance(hash(inst.scales["agree5"]), int)
    again = pickle.loads(pickle.dumps(inst))
    assert again == inst
    assert again.items_of("collaborative_process") == inst.items_of("collaborative_process")


# ------------------------------------------------------------------------------ round trip
@pytest.mark.parametrize("name", ["synergy-execution", "sfic", "mini"])
def test_to_dict_round_trips_through_yaml(name: str, tmp_path: Path) -> None:
    inst = load_instrument(write(tmp_path, minimal())) if name == "mini" else load_instrument(name)
    data = inst.to_dict()
    frozen = copy.deepcopy(data)
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)  # plain types only
    path = tmp_path / "round.yaml"
    path.write_text(dumped, encoding="utf-8")
    again = load_instrument(path)
    assert again == inst
    assert again.to_dict() == frozen
    assert list(again.constructs) == list(inst.constructs)
    assert [it.id for it in again.items] == [it.id for it in inst.items]
    assert Instrument.from_dict(data) == inst
    assert data == frozen  # loading did not touch the dict


def test_readme_example_loads(tmp_path: Path) -> None:
    readme = (REPO / "instruments" / "README.md").read_text(encoding="utf-8")
    match = re.search(r"## A complete minimal codebook\n\n```yaml\n(.*?)```", readme, re.S)
    assert match is not None
    path = tmp_path / "example.yaml"
    path.write_text(match.group(1), encoding="utf-8")
    inst = load_instrument(path)
    assert inst.id == "my-survey" and inst.items_of("trust") == ["trust_1", "trust_2", "trust_3"]
    assert inst.item("trust_3").reverse


# ------------------------------------------------------------------------------ inputs
def test_input_dict_and_file_are_not_modified(tmp_path: Path) -> None:
    data = minimal()
    before = copy.deepcopy(data)
    instrument_from_dict(data)
    load_instrument(data)
    assert data == before
    bad = minimal()
    bad["items"][0]["construct"] = "nowhere"
    bad_before = copy.deepcopy(bad)
    with pytest.raises(InstrumentError):
        instrument_from_dict(bad)
    assert bad == bad_before
    path = write(tmp_path, data)
    raw = path.read_bytes()
    load_instrument(path)
    assert path.read_bytes() == raw


# ------------------------------------------------------------------------------ errors
Mutation = Callable[[dict[str, Any]], None]


def _set(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        node: Any = d
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _delete(path: tuple[Any, ...]) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        node: Any = d
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return mutate


def _append(key: str, entry: dict[str, Any]) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        d.setdefault(key, []).append(entry)

    return mutate


def _item(iid: str, construct: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": iid,
        "construct": construct,
        "text": text(iid, iid + "题"),
        "scale": "agree5",
        **extra,
    }


def _construct(cid: str, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "label": text(cid, cid + "构念"), "definition": text(cid, "定义"), **extra}


def _two_parents(d: dict[str, Any]) -> None:
    d["constructs"].append(_construct("other", kind="correlated", components=["trust", "outcome"]))


def _cycle(d: dict[str, Any]) -> None:
    d["constructs"].append(_construct("a", kind="second_order", components=["top", "b"]))
    d["constructs"].append(_construct("b", kind="second_order", components=["a", "top"]))
    d["constructs"][0]["components"] = ["trust", "outcome"]


def _self_cycle(d: dict[str, Any]) -> None:
    d["constructs"][0]["components"] = ["trust", "outcome", "top"]


# (id, mutation, key path, offending value as it appears in the message, message fragment)
ERROR_CASES: list[tuple[str, Mutation, str, str, str]] = [
    # unknown references
    (
        "item->construct",
        _set(("items", 1, "construct"), "trsut"),
        "items[1].construct",
        "'trsut'",
        "unknown construct",
    ),
    (
        "item->scale",
        _set(("items", 2, "scale"), "agree7"),
        "items[2].scale",
        "'agree7'",
        "unknown scale",
    ),
    (
        "default_scale",
        _set(("default_scale",), "likert"),
        "default_scale",
        "'likert'",
        "unknown scale",
    ),
    (
        "component",
        _set(("constructs", 0, "components"), ["trust", "outcom"]),
        "constructs[0].components[1]",
        "'outcom'",
        "unknown component",
    ),
    (
        "hypothesis source",
        _set(("hypotheses", 0, "source"), "nowhere"),
        "hypotheses[0].source",
        "'nowhere'",
        "unknown construct",
    ),
    (
        "hypothesis target",
        _set(("hypotheses", 0, "target"), "nowhere"),
        "hypotheses[0].target",
        "'nowhere'",
        "unknown construct",
    ),
    (
        "feedback source",
        _set(("feedback", 0, "source"), "nowhere"),
        "feedback[0].source",
        "'nowhere'",
        "unknown construct",
    ),
    (
        "feedback target",
        _set(("feedback", 0, "target"), "nowhere"),
        "feedback[0].target",
        "'nowhere'",
        "unknown construct",
    ),
    # duplicate ids
    (
        "duplicate item",
        _append("items", _item("trust_1", "trust")),
        "items[6].id",
        "'trust_1'",
        "duplicate item id",
    ),
    (
        "duplicate construct",
        _append("constructs", _construct("trust")),
        "constructs[3].id",
        "'trust'",
        "duplicate construct id",
    ),
    (
        "duplicate scale",
        lambda d: d["scales"].append(copy.deepcopy(d["scales"][0])),
        "scales[1].id",
        "'agree5'",
        "duplicate scale id",
    ),
    (
        "duplicate path id",
        _set(("feedback", 0, "id"), "H1"),
        "feedback[0].id",
        "'H1'",
        "duplicate path id",
    ),
    (
        "alias vs alias",
        _set(("items", 4, "aliases"), ["t1"]),
        "items[4].aliases[0]",
        "'t1'",
        "clashes with items[0].aliases[0]",
    ),
    (
        "alias vs id",
        _set(("items", 4, "aliases"), ["TRUST_2"]),
        "items[4].aliases[0]",
        "'TRUST_2'",
        "clashes with items[1].id",
    ),
    (
        "alias twice",
        _set(("items", 4, "aliases"), ["x9", "X9 "]),
        "items[4].aliases[1]",
        "'X9 '",
        "alias listed twice",
    ),
    (
        "item id = construct id",
        _append("items", _item("outcome", "trust")),
        "items[6].id",
        "'outcome'",
        "item and construct ids must differ",
    ),
    # an item in two constructs / under a second-order construct
    (
        "item in two constructs",
        _append("items", _item("trust_1", "outcome")),
        "items[6].id",
        "'trust_1'",
        "listed in two constructs: 'trust'",
    ),
    (
        "item under second_order",
        _set(("items", 0, "construct"), "top"),
        "items[0].construct",
        "'top'",
        "first-order factors only",
    ),
    # factor sizes
    (
        "factor with 1 item",
        lambda d: d["items"].__delitem__(slice(1, 3)),
        "constructs[1]",
        "'trust'",
        "has 1 item",
    ),
    (
        "factor with 0 items",
        lambda d: d["items"].__delitem__(slice(0, 3)),
        "constructs[1]",
        "'trust'",
        "has 0 items",
    ),
    # higher-order structure
    (
        "cycle",
        _cycle,
        "constructs[4].components[0]",
        "'a'",
        "cycle among higher-order constructs: a -> b -> a",
    ),
    (
        "self cycle",
        _self_cycle,
        "constructs[0].components[2]",
        "'top'",
        "cycle among higher-order constructs: top -> top",
    ),
    (
        "two parents",
        _two_parents,
        "constructs[3].components[0]",
        "'trust'",
        "already a component of 'top'",
    ),
    (
        "factor with components",
        _set(("constructs", 1, "components"), ["outcome"]),
        "constructs[1].components",
        "['outcome']",
        "has no components",
    ),
    (
        "second_order with one component",
        _set(("constructs", 0, "components"), ["trust"]),
        "constructs[0].components",
        "['trust']",
        "at least 2 components",
    ),
    (
        "bad kind",
        _set(("constructs", 0, "kind"), "second-order"),
        "constructs[0].kind",
        "'second-order'",
        "unknown construct kind",
    ),
    # scales
    (
        "labels do not cover",
        _delete(("scales", 0, "labels", 3)),
        "scales[0].labels",
        "[1, 2, 4, 5]",
        "no label for 3",
    ),
    (
        "label outside range",
        _set(("scales", 0, "labels", 6), text("x", "某")),
        "scales[0].labels.6",
        "6",
        "outside the scale's points",
    ),
    (
        "missing overlaps valid",
        _set(("scales", 0, "missing", 5), text("skip", "跳过")),
        "scales[0].missing.5",
        "5",
        "overlaps the valid codes 1..5",
    ),
    (
        "repeated label",
        _set(("scales", 0, "labels", 2), text("agree", "不同意")),
        "scales[0].labels.4.en",
        "'agree'",
        "label repeats the label at scales[0].labels.2.en",
    ),
    (
        "maximum inconsistent",
        _set(("scales", 0, "maximum"), 7),
        "scales[0].maximum",
        "7",
        "minimum + points - 1 = 5",
    ),
    (
        "points too small",
        _set(("scales", 0, "points"), 1),
        "scales[0].points",
        "1",
        "at least 2 points",
    ),
    # missing required keys
    ("missing top-level id", _delete(("id",)), "<document>", "", "missing required key 'id'"),
    (
        "missing item text",
        _delete(("items", 2, "text")),
        "items[2]",
        "",
        "missing required key 'text'",
    ),
    (
        "missing construct label",
        _delete(("constructs", 1, "label")),
        "constructs[1]",
        "",
        "missing required key 'label'",
    ),
    (
        "missing scale labels",
        _delete(("scales", 0, "labels")),
        "scales[0]",
        "",
        "missing required key 'labels'",
    ),
    (
        "missing item scale",
        _delete(("items", 0, "scale")),
        "items[0]",
        "",
        "missing required key 'scale'",
    ),
    (
        "missing text language",
        _delete(("items", 0, "text", "zh")),
        "items[0].text",
        "",
        "missing required key 'zh'",
    ),
    # wrong types
    (
        "points not int",
        _set(("scales", 0, "points"), "5"),
        "scales[0].points",
        "'5'",
        "must be an integer",
    ),
    (
        "reverse not bool",
        _set(("items", 0, "reverse"), "yes please"),
        "items[0].reverse",
        "'yes please'",
        "true or false",
    ),
    (
        "alias not str",
        _set(("items", 0, "aliases"), [101]),
        "items[0].aliases[0]",
        "101",
        "must be a string (put it in quotes)",
    ),
    (
        "aliases not list",
        _set(("items", 0, "aliases"), "T1"),
        "items[0].aliases",
        "'T1'",
        "must be a list",
    ),
    (
        "text not mapping",
        _set(("items", 0, "text"), "just English"),
        "items[0].text",
        "'just English'",
        "must be a mapping",
    ),
    (
        "empty text",
        _set(("items", 0, "text", "zh"), "  "),
        "items[0].text.zh",
        "'  '",
        "must not be empty",
    ),
    (
        "version float",
        _set(("version",), 1.5),
        "version",
        "1.5",
        "must be a string (put it in quotes)",
    ),
    (
        "items not list",
        _set(("items",), {"trust_1": "trust"}),
        "items",
        "{'trust_1': 'trust'}",
        "must be a list",
    ),
    (
        "item not mapping",
        _set(("items", 0), "trust_1"),
        "items[0]",
        "'trust_1'",
        "must be a mapping",
    ),
    (
        "lag not int",
        _set(("feedback", 0, "lag"), "one"),
        "feedback[0].lag",
        "'one'",
        "must be an integer",
    ),
    ("lag zero", _set(("feedback", 0, "lag"), 0), "feedback[0].lag", "0", "at least 1"),
    (
        "bad sign",
        _set(("hypotheses", 0, "sign"), "up"),
        "hypotheses[0].sign",
        "'up'",
        "sign must be '+' or '-'",
    ),
    (
        "label key not int",
        _set(("scales", 0, "labels", "high"), text("h", "高")),
        "scales[0].labels.high",
        "'high'",
        "must be integer codes",
    ),
    (
        "invalid id",
        _set(("items", 0, "id"), "trust 1"),
        "items[0].id",
        "'trust 1'",
        "not a valid id",
    ),
    (
        "unknown key",
        _set(("items", 0, "revers"), True),
        "items[0].revers",
        "'revers'",
        "did you mean 'reverse'?",
    ),
    ("unknown top-level key", _set(("itmes",), []), "itmes", "'itmes'", "did you mean 'items'?"),
    (
        "hypothesis loop",
        _set(("hypotheses", 0, "target"), "trust"),
        "hypotheses[0].target",
        "'trust'",
        "cannot point to its own source",
    ),
    ("empty items", _set(("items",), []), "items", "[]", "at least one item"),
]


@pytest.mark.parametrize(
    ("mutate", "key_path", "value", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in ERROR_CASES],
)
def test_each_error_names_file_key_path_and_value(
    mutate: Mutation, key_path: str, value: str, fragment: str, tmp_path: Path
) -> None:
    data = minimal()
    mutate(data)
    path = write(tmp_path, data, name="broken_codebook.yaml")
    with pytest.raises(InstrumentError) as err:
        load_instrument(path)
    message = str(err.value)
    assert str(path) in message
    expected = f"{key_path} = {value}: " if value else f"{key_path}: "
    lines = [line for line in message.splitlines() if line.startswith(f"  - {expected}")]
    assert any(fragment in line for line in lines), message
    assert isinstance(err.value, CodebookError)
    assert any(p.path == ("" if key_path == "<document>" else key_path) for p in err.value.problems)


def test_whole_file_is_validated_at_once(tmp_path: Path) -> None:
    data = minimal()
    data["items"][0]["construct"] = "nowhere"
    data["items"][3]["scale"] = "nope"
    data["hypotheses"][0]["sign"] = "?"
    data["scales"][0]["missing"][1] = text("skip", "跳过")
    with pytest.raises(CodebookError) as err:
        load_instrument(write(tmp_path, data))
    paths = {p.path for p in err.value.problems}
    assert {
        "items[0].construct",
        "items[3].scale",
        "hypotheses[0].sign",
        "scales[0].missing.1",
    } <= paths


def test_factor_with_two_items_warns(tmp_path: Path) -> None:
    data = minimal()
    del data["items"][2]
    with pytest.warns(InstrumentWarning, match="'trust' has only 2 items") as record:
        inst = load_instrument(write(tmp_path, data))
    assert inst.items_of("trust") == ["trust_1", "trust_2"]
    with pytest.warns(InstrumentWarning, match="'trust' has only 2 items") as more:
        instrument_from_dict(data)
        Instrument.from_dict(data)
    # the warning points at the caller's line, not into the package
    assert {w.filename for w in [*record, *more]} == {__file__}


def test_three_items_do_not_warn(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_instrument(write(tmp_path, minimal()))


# ------------------------------------------------------------------------------ malformed files
@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        pytest.param("id: [unclosed\n", "YAML syntax error", id="syntax"),
        pytest.param("sign: -\n", "YAML syntax error", id="bare-minus"),
        pytest.param("- a\n- b\n", "the document is a list", id="list"),
        pytest.param("just a string\n", "the document is a str", id="scalar"),
        pytest.param("", "the document is empty", id="empty"),
        pytest.param("# only a comment\n", "the document is empty", id="comment-only"),
        pytest.param("when: 2021-02-30\n", "YAML value cannot be read", id="bad-date"),
        pytest.param("x: !!python/object:os.system ls\n", "YAML syntax error", id="unsafe-tag"),
        pytest.param("[" * 5000 + "]" * 5000, "too deep", id="deep-nesting"),
        pytest.param("id: a\nversion: '1'\nid: b\n", "key repeated in one mapping", id="dup-key"),
    ],
)
def test_malformed_yaml_is_instrument_error(content: str, fragment: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InstrumentError, match=re.escape(fragment)) as err:
        load_instrument(path)
    assert str(path) in str(err.value)


def test_duplicate_key_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("id: a\nversion: '1'\nid: b\n", encoding="utf-8")
    with pytest.raises(CodebookError) as err:
        load_instrument(path)
    assert err.value.problems[0].path == "line 3"
    assert "first at line 1" in err.value.problems[0].message


def test_undecodable_file_and_directory(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InstrumentError, match="not UTF-8"):
        load_instrument(path)
    with pytest.raises(InstrumentError, match="directory"):
        load_instrument(tmp_path)


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + yaml.safe_dump(minimal(), allow_unicode=True).encode())
    assert load_instrument(path).id == "mini"


@pytest.mark.parametrize("bad", [42, None, 3.5, ["sfic"], b"sfic"])
def test_bad_argument_types(bad: Any) -> None:
    with pytest.raises(SynergyError):
        load_instrument(bad)


def test_errors_are_synergy_errors() -> None:
    assert issubclass(CodebookError, InstrumentError)
    assert issubclass(InstrumentError, SynergyError)


def test_text_get() -> None:
    t = Text("agree", "同意")
    assert t.get("en") == "agree" and t.get("zh") == "同意"
    with pytest.raises(InstrumentError, match="'fr'"):
        t.get("fr")  # type: ignore[arg-type]


def test_scale_direct_construction_freezes_mappings() -> None:
    labels = {1: Text("no", "否"), 2: Text("yes", "是")}
    scale = Scale("yn", 2, 1, 2, labels)
    labels[3] = Text("maybe", "也许")
    assert 3 not in scale.labels  # the scale copied the caller's dict
    assert scale.code_for_label("YES") == 2
