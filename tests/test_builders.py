from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest

from synergy_stats.errors import InstrumentError, SpecificationError
from synergy_stats.instrument import instrument_from_dict, load_instrument
from synergy_stats.structural.builders import measurement_model, structural_model
from synergy_stats.structural.spec import DefinedParameter, ModelSpec, Modifier, Statement
from synergy_stats.structural.syntax import format_model, parse_model

DATA = Path(__file__).parent / "data"

# hand-written from the instrument's documented structure (notes/instrument_api.md)
FACTORS = {
    "motivation": ["env_pressure", "leader_attention", "single_dept_difficulty"],
    "mechanism": ["authority_command", "office_integration", "info_sharing", "accountability"],
    "process": [
        "matters_identification",
        "programme_planning",
        "synergy_decision",
        "synergy_execution",
        "synergy_evaluation",
    ],
    "results": ["synergy_effect", "implementation_gap"],
}
N_ITEMS = {"synergy_effect": 4, "implementation_gap": 4}


def items(factor: str) -> list[str]:
    return [f"{factor}_{k}" for k in range(1, N_ITEMS.get(factor, 3) + 1)]


def loadings(spec: ModelSpec) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in spec.statements:
        if s.op == "=~":
            out.setdefault(s.lhs, []).append(s.rhs)
    return out


def regressions(spec: ModelSpec) -> list[tuple[str, str, tuple]]:
    return [(s.lhs, s.rhs, s.modifier.labels) for s in spec.statements if s.op == "~"]


@pytest.fixture(scope="module")
def synergy():
    return load_instrument("synergy-execution")


@pytest.fixture(scope="module")
def lavaan_parse() -> dict:
    return json.loads((DATA / "sem_spec" / "lavaan_parse.json").read_text(encoding="utf-8"))


def lavaan_rows(flat: list[dict]) -> list[tuple]:
    def values(text: str) -> tuple:
        if text == "":
            return ()
        return tuple(None if v == "NA" else float(v) for v in text.split(";"))

    rows = []
    for r in flat:
        pair = frozenset((r["lhs"], r["rhs"])) if r["op"] == "~~" else (r["lhs"], r["rhs"])
        labels = tuple(r["label"].split(";")) if r["label"] else ()
        rows.append((r["op"], pair, values(r["fixed"]), values(r["start"]), labels))
    return rows


def our_rows(spec: ModelSpec) -> list[tuple]:
    rows = []
    for s in spec.statements:
        pair = frozenset((s.lhs, s.rhs)) if s.op == "~~" else (s.lhs, s.rhs)
        m = s.modifier
        rows.append((s.op, pair, m.fixed, m.starts, m.labels))
    return rows


# --------------------------------------------------------------------------------------------
# measurement_model
# --------------------------------------------------------------------------------------------


def test_measurement_model_default(synergy) -> None:
    spec = measurement_model(synergy)
    expected = {f: items(f) for block in FACTORS.values() for f in block}
    expected.update({c: FACTORS[c] for c in ("motivation", "mechanism", "process")})
    assert loadings(spec) == expected
    assert list(loadings(spec)) == [f for b in FACTORS.values() for f in b] + [
        "motivation",
        "mechanism",
        "process",
    ]
    assert len(spec.statements) == 12 * 3 + 2 * 4 + 3 + 4 + 5
    assert all(s.op == "=~" and s.modifier.is_empty() for s in spec.statements)
    assert "results" not in spec.latent_variables  # a correlated block has no factor
    assert spec.defined == () and spec.constraints == ()


def test_measurement_model_by_name_equals_by_object(synergy) -> None:
    assert measurement_model("synergy-execution") == measurement_model(synergy)


def test_measurement_model_subsets(synergy) -> None:
    assert loadings(measurement_model(synergy, ["results"])) == {
        "synergy_effect": items("synergy_effect"),
        "implementation_gap": items("implementation_gap"),
    }
    assert loadings(measurement_model(synergy, "env_pressure")) == {
        "env_pressure": items("env_pressure")
    }
    both = measurement_model(synergy, ["env_pressure", "motivation"])
    assert loadings(both) == {
        **{f: items(f) for f in FACTORS["motivation"]},
        "motivation": FACTORS["motivation"],
    }
    assert len(both.statements) == 9 + 3  # env_pressure written once


def test_measurement_model_unknown_constructs(synergy) -> None:
    with pytest.raises(SpecificationError, match=r"'motivaton', 'outcome'.*known constructs"):
        measurement_model(synergy, ["motivaton", "mechanism", "outcome"])
    with pytest.raises(SpecificationError, match="empty"):
        measurement_model(synergy, [])
    with pytest.raises(SpecificationError, match="construct ids"):
        measurement_model(synergy, [1, 2])  # type: ignore[list-item]
    with pytest.raises(SpecificationError, match="not accepted"):
        measurement_model(synergy, 5)  # type: ignore[arg-type]


def test_unknown_instrument_name() -> None:
    with pytest.raises(InstrumentError):
        measurement_model("no-such-instrument")


def test_second_order_over_second_order(synergy) -> None:
    data = copy.deepcopy(synergy.to_dict())
    data["constructs"].append(
        {
            "id": "drive",
            "label": {"en": "Drive", "zh": "驱动"},
            "definition": {"en": "Motivation and mechanism", "zh": "动机与机制"},
            "kind": "second_order",
            "components": ["motivation", "mechanism"],
        }
    )
    inst = instrument_from_dict(data)
    spec = measurement_model(inst, ["drive"])
    assert list(loadings(spec)) == [
        *FACTORS["motivation"],
        *FACTORS["mechanism"],
        "motivation",
        "mechanism",
        "drive",
    ]
    assert loadings(spec)["drive"] == ["motivation", "mechanism"]


# --------------------------------------------------------------------------------------------
# structural_model
# --------------------------------------------------------------------------------------------


def test_structural_model_matches_lavaan_reading_of_hand_written_model(
    synergy, lavaan_parse: dict
) -> None:
    ref = lavaan_parse["models"]["synergy_structural"]
    spec = structural_model(synergy)
    assert our_rows(spec) == lavaan_rows(ref["flat"])
    assert [(d.name, d.expression.replace(" ", "")) for d in spec.defined] == [
        (c["lhs"], c["rhs"]) for c in ref["constraints"] if c["op"] == ":="
    ]
    # lavaan reads the printed syntax the same way
    assert our_rows(parse_model(format_model(spec))) == lavaan_rows(ref["flat"])


def test_structural_model_paths_and_labels(synergy) -> None:
    spec = structural_model(synergy, measurement=False)
    assert regressions(spec) == [
        ("mechanism", "motivation", ("h1",)),
        ("process", "mechanism", ("h2",)),
        ("process", "motivation", ("h4",)),
        ("synergy_effect", "process", ("h3_synergy_effect",)),
        ("synergy_effect", "mechanism", ("h5_synergy_effect",)),
        ("implementation_gap", "process", ("h3_implementation_gap",)),
        ("implementation_gap", "mechanism", ("h5_implementation_gap",)),
    ]
    assert len(spec.statements) == 7
    assert spec.defined == (
        DefinedParameter("indirect_synergy_effect", "h1*h2*h3_synergy_effect"),
        DefinedParameter("indirect_implementation_gap", "h1*h2*h3_implementation_gap"),
    )
    assert structural_model(synergy, measurement=False, indirect=False).defined == ()


def test_structural_model_measurement_only_for_constructs_on_paths(synergy) -> None:
    spec = structural_model(synergy, paths=[("motivation", "mechanism")])
    assert set(loadings(spec)) == {
        *FACTORS["motivation"],
        *FACTORS["mechanism"],
        "motivation",
        "mechanism",
    }
    assert regressions(spec) == [("mechanism", "motivation", ("h1",))]
    assert spec.defined == ()  # the default chain is not complete: no indirect effect


def test_structural_model_round_trip(synergy) -> None:
    spec = structural_model(synergy)
    again = parse_model(spec.to_syntax())
    assert tuple(dataclasses.replace(s, line=0) for s in again.statements) == spec.statements
    assert tuple(dataclasses.replace(d, line=0) for d in again.defined) == spec.defined


def test_user_paths_replace_defaults(synergy) -> None:
    spec = structural_model(
        synergy,
        paths=[
            ("motivation", "mechanism"),
            "process ~ mechanism",
            "results ~ b*process + motivation",
        ],
        measurement=False,
    )
    assert regressions(spec) == [
        ("mechanism", "motivation", ("h1",)),  # matches H1: keeps its label
        ("process", "mechanism", ("h2",)),
        ("synergy_effect", "process", ("b_synergy_effect",)),  # the user's label, expanded
        ("synergy_effect", "motivation", ("p_motivation_results_synergy_effect",)),
        ("implementation_gap", "process", ("b_implementation_gap",)),
        ("implementation_gap", "motivation", ("p_motivation_results_implementation_gap",)),
    ]
    assert [d.expression for d in spec.defined] == [
        "h1*h2*b_synergy_effect",
        "h1*h2*b_implementation_gap",
    ]


def test_user_path_modifiers_kept(synergy) -> None:
    spec = structural_model(
        synergy,
        paths=["mechanism ~ 0.5*motivation", "process ~ start(0.3)*mechanism"],
        measurement=False,
    )
    assert spec.statements == (
        Statement("mechanism", "~", "motivation", Modifier(fixed=(0.5,), labels=("h1",))),
        Statement("process", "~", "mechanism", Modifier(labels=("h2",), starts=(0.3,))),
    )


def test_single_pair_and_single_string(synergy) -> None:
    a = structural_model(synergy, paths=("motivation", "mechanism"), measurement=False)
    b = structural_model(synergy, paths="mechanism ~ motivation", measurement=False)
    assert a == b
    two_strings = structural_model(
        synergy, paths=("mechanism ~ motivation", "process ~ mechanism"), measurement=False
    )
    assert len(two_strings.statements) == 2


def test_explicit_chain(synergy) -> None:
    spec = structural_model(
        synergy,
        paths=[("motivation", "process"), ("process", "results")],
        measurement=False,
        indirect=["motivation", "process", "results"],
    )
    assert [(d.name, d.expression) for d in spec.defined] == [
        ("indirect_synergy_effect", "h4*h3_synergy_effect"),
        ("indirect_implementation_gap", "h4*h3_implementation_gap"),
    ]
    with pytest.raises(SpecificationError, match="mechanism -> process"):
        structural_model(
            synergy,
            paths=[("motivation", "mechanism")],
            indirect=["motivation", "mechanism", "process"],
        )
    with pytest.raises(SpecificationError, match="at least 3"):
        structural_model(synergy, indirect=["motivation", "mechanism"])
    with pytest.raises(SpecificationError, match="'nowhere'"):
        structural_model(synergy, indirect=["motivation", "nowhere", "results"])
    with pytest.raises(SpecificationError, match="not accepted"):
        structural_model(synergy, indirect="motivation")  # type: ignore[arg-type]


def test_chain_through_correlated_mediator_sums_components(synergy) -> None:
    data = copy.deepcopy(synergy.to_dict())
    for c in data["constructs"]:
        if c["id"] == "mechanism":
            c["kind"] = "correlated"
        if c["id"] == "results":
            c["kind"] = "second_order"
    inst = instrument_from_dict(data)
    spec = structural_model(inst, measurement=False)
    mech = FACTORS["mechanism"]
    assert spec.defined == (
        DefinedParameter("indirect", " + ".join(f"h1_{m}*h2_{m}*h3" for m in mech)),
    )


def test_path_between_correlated_blocks(synergy) -> None:
    data = copy.deepcopy(synergy.to_dict())
    for c in data["constructs"]:
        if c["id"] == "motivation":
            c["kind"] = "correlated"
    inst = instrument_from_dict(data)
    spec = structural_model(inst, paths=[("motivation", "results")], measurement=False)
    assert regressions(spec) == [
        (t, s, (f"p_motivation_results_{t}_{s}",))
        for t in FACTORS["results"]
        for s in FACTORS["motivation"]
    ]


def test_non_correlated_results_gives_one_indirect(synergy) -> None:
    data = copy.deepcopy(synergy.to_dict())
    for c in data["constructs"]:
        if c["id"] == "results":
            c["kind"] = "second_order"
    inst = instrument_from_dict(data)
    spec = structural_model(inst)
    assert spec.defined == (DefinedParameter("indirect", "h1*h2*h3"),)
    assert loadings(spec)["results"] == FACTORS["results"]
    assert ("results", "process", ("h3",)) in regressions(spec)


def test_sfic_instrument() -> None:
    inst = load_instrument("sfic")
    spec = structural_model(inst, measurement=False)
    assert regressions(spec) == [
        ("trust_building", "power_imbalance", ("h1",)),
        ("trust_building", "prehistory", ("h2",)),
        ("commitment_to_process", "participation_incentives", ("h3",)),
        ("collaborative_process", "institutional_design", ("h4",)),
        ("collaborative_process", "facilitative_leadership", ("h5",)),
        ("outcomes", "collaborative_process", ("h6",)),
    ]
    assert spec.defined == ()  # its top-level constructs do not form a chain of paths
    full = structural_model(inst)
    measured = loadings(full)
    assert measured["collaborative_process"][:2] == ["face_to_face_dialogue", "trust_building"]
    assert "institutional_design" in measured and "outcomes" in measured
    assert "starting_conditions" not in measured  # correlated: only its components


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        ([("motivation", "outcome"), ("nowhere", "results")], "'outcome', 'nowhere'"),
        (["results ~ motivaton"], "'motivaton'"),
        ([("motivation", "mechanism"), "mechanism ~ motivation"], "given twice"),
        ([("mechanism", "mechanism")], "points to itself"),
        ([("results", "synergy_effect")], "regresses 'synergy_effect' on itself"),
        ([("motivation", "results"), ("motivation", "synergy_effect")], "repeats the regression"),
        (["mechanism =~ motivation"], "regressions only"),
        (["mechanism ~ 1"], "regressions only"),
        (["mechanism ~ a*motivation; ind := 2*a"], "regressions only"),
        ([("motivation",)], "not accepted"),
        ([("motivation", "mechanism", "process")], "not accepted"),
        ([42], "not accepted"),
        ([], "paths is empty"),
        (42, "not accepted"),
    ],
)
def test_bad_paths(synergy, paths, message: str) -> None:
    with pytest.raises(SpecificationError, match=message):
        structural_model(synergy, paths=paths)


def test_bad_path_syntax_reports_line_and_column(synergy) -> None:
    with pytest.raises(SpecificationError, match=r"\(line 1, column 13\)"):
        structural_model(synergy, paths=["mechanism ~ +"])


def test_measurement_flag_must_be_bool(synergy) -> None:
    with pytest.raises(SpecificationError, match="measurement="):
        structural_model(synergy, measurement="yes")  # type: ignore[arg-type]
