from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from synergy_stats.errors import ModelSyntaxError, SpecificationError
from synergy_stats.structural.spec import (
    Constraint,
    DefinedParameter,
    ModelSpec,
    Modifier,
    Statement,
)
from synergy_stats.structural.syntax import (
    compile_expression,
    evaluate_expression,
    format_model,
    normalize_expression,
    parse_model,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads((DATA / "lavaan_reference.json").read_text(encoding="utf-8"))


def triples(spec: ModelSpec) -> list[tuple[str, str, str]]:
    return [(s.lhs, s.op, s.rhs) for s in spec.statements]


def without_lines(spec: ModelSpec) -> ModelSpec:
    return ModelSpec(
        statements=tuple(dataclasses.replace(s, line=0) for s in spec.statements),
        defined=tuple(dataclasses.replace(d, line=0) for d in spec.defined),
        constraints=tuple(dataclasses.replace(c, line=0) for c in spec.constraints),
    )


# --------------------------------------------------------------------------------------------
# the frozen lavaan models
# --------------------------------------------------------------------------------------------


def test_hs_cfa(reference: dict) -> None:
    spec = parse_model(reference["hs_cfa_ml"]["model"])
    assert triples(spec) == [
        ("visual", "=~", "x1"),
        ("visual", "=~", "x2"),
        ("visual", "=~", "x3"),
        ("textual", "=~", "x4"),
        ("textual", "=~", "x5"),
        ("textual", "=~", "x6"),
        ("speed", "=~", "x7"),
        ("speed", "=~", "x8"),
        ("speed", "=~", "x9"),
    ]
    assert all(s.modifier.is_empty() for s in spec.statements)
    assert [s.line for s in spec.statements] == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert spec.latent_variables == ("visual", "textual", "speed")
    assert spec.observed_variables == tuple(f"x{i}" for i in range(1, 10))
    assert spec.defined == () and spec.constraints == ()


def test_political_democracy(reference: dict) -> None:
    spec = parse_model(reference["pd_sem_ml"]["model"])
    assert len(spec.statements) == 20
    ops = [s.op for s in spec.statements]
    assert ops.count("=~") == 11 and ops.count("~") == 3 and ops.count("~~") == 6
    by_key = {(s.lhs, s.op, s.rhs): s for s in spec.statements}
    assert by_key[("dem60", "=~", "y2")].modifier == Modifier(labels=("a",))
    assert by_key[("dem65", "=~", "y6")].modifier == Modifier(labels=("a",))
    assert by_key[("dem65", "=~", "y8")].modifier == Modifier(labels=("c",))
    assert by_key[("dem65", "~", "dem60")].modifier == Modifier(labels=("g3",))
    assert by_key[("dem60", "=~", "y1")].modifier.is_empty()
    assert [(s.lhs, s.rhs) for s in spec.statements if s.op == "~~"] == [
        ("y1", "y5"),
        ("y2", "y4"),
        ("y2", "y6"),
        ("y3", "y7"),
        ("y4", "y8"),
        ("y6", "y8"),
    ]
    assert spec.labels == ("a", "b", "c", "g1", "g2", "g3")
    assert [(d.name, d.expression) for d in spec.defined] == [
        ("ind_via_dem60", "g1*g3"),
        ("total_ind60", "g2 + g1*g3"),
    ]
    assert spec.defined[0].line == 11


def test_synergy_chain(reference: dict) -> None:
    spec = parse_model(reference["synergy_sem_ml"]["model"])
    assert len(spec.statements) == 21
    assert sum(s.op == "=~" for s in spec.statements) == 16
    regressions = [(s.lhs, s.rhs, s.modifier.labels) for s in spec.statements if s.op == "~"]
    assert regressions == [
        ("mech", "mot", ("a",)),
        ("proc", "mech", ("b",)),
        ("proc", "mot", ()),
        ("res", "proc", ("c",)),
        ("res", "mech", ()),
    ]
    assert spec.defined == (DefinedParameter("indirect", "a*b*c", line=8),)


def test_riclpm(reference: dict) -> None:
    spec = parse_model(reference["riclpm_bivariate"]["model"])
    assert len(spec.statements) == 32
    loadings = [s for s in spec.statements if s.op == "=~"]
    assert len(loadings) == 12
    assert all(s.modifier == Modifier(fixed=(1.0,)) for s in loadings)
    regs = [s for s in spec.statements if s.op == "~"]
    assert [(s.lhs, s.rhs, s.modifier.labels[0]) for s in regs] == [
        ("w_m2", "w_m1", "amm"),
        ("w_m2", "w_r1", "arm"),
        ("w_r2", "w_m1", "amr"),
        ("w_r2", "w_r1", "arr"),
        ("w_m3", "w_m2", "amm"),
        ("w_m3", "w_r2", "arm"),
        ("w_r3", "w_m2", "amr"),
        ("w_r3", "w_r2", "arr"),
    ]
    covs = [(s.lhs, s.rhs) for s in spec.statements if s.op == "~~"]
    assert len(covs) == 12
    assert ("RI_mechanism", "RI_results") in covs
    assert sum(lhs == rhs for lhs, rhs in covs) == 8


@pytest.mark.parametrize("key", ["hs_cfa_ml", "pd_sem_ml", "synergy_sem_ml", "riclpm_bivariate"])
def test_reference_models_round_trip(reference: dict, key: str) -> None:
    spec = parse_model(reference[key]["model"])
    again = parse_model(format_model(spec))
    assert without_lines(again) == without_lines(spec)
    assert str(spec) == format_model(spec) == spec.to_syntax()


@pytest.fixture(scope="module")
def lavaan_parse() -> dict:
    return json.loads((DATA / "sem_spec" / "lavaan_parse.json").read_text(encoding="utf-8"))


def _lavaan_rows(flat: list[dict]) -> list[tuple]:
    def values(text: str) -> tuple:
        return tuple(None if v == "NA" else float(v) for v in text.split(";")) if text else ()

    rows = []
    for r in flat:
        pair = frozenset((r["lhs"], r["rhs"])) if r["op"] == "~~" else (r["lhs"], r["rhs"])
        labels = tuple(r["label"].split(";")) if r["label"] else ()
        rows.append((r["op"], pair, values(r["fixed"]), values(r["start"]), labels))
    return rows


def _our_rows(spec: ModelSpec) -> list[tuple]:
    rows = []
    for s in spec.statements:
        pair = frozenset((s.lhs, s.rhs)) if s.op == "~~" else (s.lhs, s.rhs)
        rows.append((s.op, pair, s.modifier.fixed, s.modifier.starts, s.modifier.labels))
    return rows


@pytest.mark.parametrize(
    "key", ["hs_cfa_ml", "pd_sem_ml", "synergy_sem_ml", "riclpm_bivariate", "modifiers"]
)
def test_parse_matches_lavaan(lavaan_parse: dict, key: str) -> None:
    """Same elements, modifiers and definitions as lavaan 0.6-14's lavParseModelString."""
    ref = lavaan_parse["models"][key]
    spec = parse_model(ref["model"])
    assert _our_rows(spec) == _lavaan_rows(ref["flat"])
    ours = [(":=", d.name, d.expression) for d in spec.defined]
    ours += [(c.op, c.lhs, c.rhs) for c in spec.constraints]
    theirs = [(c["op"], c["lhs"], c["rhs"]) for c in ref["constraints"]]
    # lavaan keeps definitions and constraints in one list, in order, without blanks
    assert sorted((op, lhs, rhs.replace(" ", "")) for op, lhs, rhs in ours) == sorted(theirs)
    # and our printed syntax means the same to us
    assert _our_rows(parse_model(format_model(spec))) == _lavaan_rows(ref["flat"])


# --------------------------------------------------------------------------------------------
# operators and modifiers
# --------------------------------------------------------------------------------------------


def test_intercepts() -> None:
    spec = parse_model("y ~ 1\nz ~ 1 + x\nw ~ 0*1 + a*x")
    assert spec.statements[0] == Statement("y", "~1", "", Modifier(), line=1)
    assert triples(spec)[1:3] == [("z", "~1", ""), ("z", "~", "x")]
    assert spec.statements[3] == Statement("w", "~1", "", Modifier(fixed=(0.0,)), line=3)
    assert spec.statements[4].modifier == Modifier(labels=("a",))


def test_intercept_with_spaces_and_label() -> None:
    spec = parse_model("y ~    1 ; z ~ b0 * 1")
    assert triples(spec) == [("y", "~1", ""), ("z", "~1", "")]
    assert spec.statements[1].modifier == Modifier(labels=("b0",))
    assert spec.statements[1].line == 1


@pytest.mark.parametrize(
    ("text", "modifier"),
    [
        ("f =~ 1*x", Modifier(fixed=(1.0,))),
        ("f =~ 0*x", Modifier(fixed=(0.0,))),
        ("f =~ -0.5*x", Modifier(fixed=(-0.5,))),
        ("f =~ 2.5e-3*x", Modifier(fixed=(0.0025,))),
        ("f =~ .5*x", Modifier(fixed=(0.5,))),
        ("f =~ NA*x", Modifier(fixed=(None,))),
        ("f =~ a*x", Modifier(labels=("a",))),
        ('f =~ "a b"*x', Modifier(labels=("a b",))),
        ("f =~ 'lam.1'*x", Modifier(labels=("lam.1",))),
        ("f =~ c(1, NA)*x", Modifier(fixed=(1.0, None))),
        ("f =~ c(NA, NA)*x", Modifier(fixed=(None, None))),
        ("f =~ c(a1, a2)*x", Modifier(labels=("a1", "a2"))),
        ('f =~ c("a1","a2")*x', Modifier(labels=("a1", "a2"))),
        ("f =~ c(a1, NA)*x", Modifier(labels=("a1", None))),
        ("f =~ start(0.5)*x", Modifier(starts=(0.5,))),
        ("f =~ start(c(0.5, NA))*x", Modifier(starts=(0.5, None))),
        ("f =~ start(0.5, -1)*x", Modifier(starts=(0.5, -1.0))),
        ('f =~ label("a")*x', Modifier(labels=("a",))),
        ("f =~ label(a)*x", Modifier(labels=("a",))),
        ('f =~ label(c("a", "b"))*x', Modifier(labels=("a", "b"))),
        ('f =~ equal("a")*x', Modifier(labels=("a",))),
        ("f =~ a*start(0.5)*x", Modifier(labels=("a",), starts=(0.5,))),
        ("f =~ NA*a*start(1)*x", Modifier(fixed=(None,), labels=("a",), starts=(1.0,))),
        ("f =~ c(1,2)*start(c(1,2))*x", Modifier(fixed=(1.0, 2.0), starts=(1.0, 2.0))),
        ("f =~ c*x", Modifier(labels=("c",))),
        ("f =~ start*x", Modifier(labels=("start",))),
    ],
)
def test_modifiers(text: str, modifier: Modifier) -> None:
    (statement,) = parse_model(text).statements
    assert (statement.lhs, statement.op, statement.rhs) == ("f", "=~", "x")
    assert statement.modifier == modifier


def test_repeated_term_merges_modifiers_first_wins() -> None:
    spec = parse_model("f =~ NA*x1 + a*x1 + x2")
    assert triples(spec) == [("f", "=~", "x1"), ("f", "=~", "x2")]
    assert spec.statements[0].modifier == Modifier(fixed=(None,), labels=("a",))
    # lavaan keeps the first value of each kind given for a repeated term
    spec = parse_model("f =~ NA*x + 1*x")
    assert spec.statements[0].modifier == Modifier(fixed=(None,))


def test_multiple_lhs() -> None:
    spec = parse_model("y1 + y2 ~ a*x + z")
    assert triples(spec) == [("y1", "~", "x"), ("y1", "~", "z"), ("y2", "~", "x"), ("y2", "~", "z")]
    assert spec.statements[2].modifier.labels == ("a",)
    spec = parse_model("x1 + x2 ~~ x3")
    assert triples(spec) == [("x1", "~~", "x3"), ("x2", "~~", "x3")]


def test_names() -> None:
    spec = parse_model("f.1 =~ x.1 + x_2 + 环境压力1 + .x")
    assert [s.rhs for s in spec.statements] == ["x.1", "x_2", "环境压力1", ".x"]


# --------------------------------------------------------------------------------------------
# layout: comments, continuation, separators
# --------------------------------------------------------------------------------------------


def test_layout() -> None:
    text = """
    # a comment line
    visual =~ x1 + x2 +   # trailing comment after a '+'
              x3          ! lavaan also accepts '!' comments

    textual =~ x4
             + x5
             + x6
    speed =~
        x7 + x8 + x9; speed ~~ textual
    y ~ c(1,
          NA)*visual
    ind := a *
           b
    """
    spec = parse_model(text + "\ny ~ a*speed + b*textual")
    assert triples(spec)[:3] == [("visual", "=~", f"x{i}") for i in (1, 2, 3)]
    assert [s.line for s in spec.statements[:3]] == [3, 3, 3]
    assert [s.rhs for s in spec.statements if s.lhs == "textual"] == ["x4", "x5", "x6"]
    assert [s.line for s in spec.statements if s.lhs == "textual"] == [6, 6, 6]
    assert ("speed", "~~", "textual") in triples(spec)
    assert spec.statements[[s.lhs for s in spec.statements].index("y")].modifier.fixed == (
        1.0,
        None,
    )
    assert spec.defined == (DefinedParameter("ind", "a*b", line=13),)


def test_leading_plus_after_operator_tolerated() -> None:
    assert triples(parse_model("f =~\n  + x1\n  + x2")) == [("f", "=~", "x1"), ("f", "=~", "x2")]


def test_windows_line_endings_and_tabs() -> None:
    spec = parse_model("f =~ x1 +\r\n\tx2\r\ng =~ x3\r\n")
    assert triples(spec) == [("f", "=~", "x1"), ("f", "=~", "x2"), ("g", "=~", "x3")]


def test_comment_characters_inside_quotes_are_not_special() -> None:
    spec = parse_model('f =~ "a#b"*x + "c!d"*y  # a comment with a "quote')
    assert [s.modifier.labels for s in spec.statements] == [("a#b",), ("c!d",)]


# --------------------------------------------------------------------------------------------
# defined parameters and constraints
# --------------------------------------------------------------------------------------------


def test_defined_and_constraints() -> None:
    spec = parse_model(
        """
        y ~ a*x + b*m
        m ~ c*x
        ind := c * b
        total := a + (ind)
        ratio := ind / total
        a == b
        "a" > 0
        c < 2*sqrt(abs(b))
        ind == -a^2
        """
    )
    assert [(d.name, d.expression) for d in spec.defined] == [
        ("ind", "c*b"),
        ("total", "a + ind"),
        ("ratio", "ind/total"),
    ]
    assert spec.constraints == (
        Constraint("a", "==", "b", line=7),
        Constraint("a", ">", "0", line=8),
        Constraint("c", "<", "2*sqrt(abs(b))", line=9),
        Constraint("ind", "==", "-a^2", line=10),
    )


def test_defined_may_only_use_earlier_definitions() -> None:
    with pytest.raises(ModelSyntaxError, match=r"unknown label 'total'.*\(line 2, column 8\)"):
        parse_model("y ~ a*x\nind := total*a\ntotal := a")


# --------------------------------------------------------------------------------------------
# syntax errors: message, line and column
# --------------------------------------------------------------------------------------------

BAD = [
    # (model, fragment of the message, line, column)
    ("", "empty", 1, 1),
    ("# only a comment\n\n", "empty", 1, 1),
    ("f <~ x1 + x2", "operator '<~' is not supported", 1, 3),
    ("f = x1", "operator '=' is not supported", 1, 3),
    ("f =~ x1\ny ~*~ x", "operator '~*~' is not supported", 2, 3),
    ("y ~ x | z", "operator '|' is not supported", 1, 7),
    ("g1: f =~ x", "operator ':' is not supported", 1, 3),
    ("y >= 0", "operator '>=' is not supported", 1, 3),
    ("f =~ x1 + x2\nx3 + x4", "no operator", 2, 1),
    ("f =~ x1 +", "dangling '+'", 1, 9),
    ("f =~ x1 + + x2", "two '+' in a row", 1, 11),
    ("f =~ x1 +\n\ng =~ x2", "second operator '=~'", 3, 3),
    ("f =~ x1 + x2 ~ x3", "second operator '~'", 1, 14),
    ("+ f =~ x1", "cannot start with '+'", 1, 1),
    ("f =~", "missing right-hand side", 1, 5),
    ("f =~ # nothing\n", "missing right-hand side", 1, 5),
    ("=~ x1", "missing left-hand side", 1, 1),
    ("1 =~ x1", "not the number 1", 1, 1),
    ("y + 2 ~ x", "not the number 2", 1, 5),
    ('"y" ~ x', "not a string", 1, 1),
    ("NA ~ x", "NA cannot be a variable name", 1, 1),
    ("a*y ~ x", "modifiers are not allowed on the left-hand side", 1, 1),
    ("y y2 ~ x", "expected '+' or an operator", 1, 3),
    ("f =~ x1 x2", "expected '+' between terms", 1, 9),
    ("f =~ lower(0)*x1", "lower() is not supported", 1, 6),
    ("f =~ foo(1)*x1", "unknown modifier foo()", 1, 6),
    ("f =~ 1*2*x1", "two fixed values", 1, 8),
    ("f =~ a*b*x1", "two labels", 1, 8),
    ("f =~ c(1, a)*x1", "mixes numbers and labels", 1, 11),
    ("f =~ c()*x1", "c() needs at least one value", 1, 8),
    ("f =~ c(1,)*x1", "missing value after ','", 1, 10),
    ("f =~ c(1, 2)*c(a, b, c)*x", "different lengths", 1, 6),
    ("f =~ start(a)*x", "start() takes numbers or NA", 1, 12),
    ("f =~ label(1)*x", "label() takes labels", 1, 12),
    ("f =~ c(1, c(2))*x", "not allowed inside c()", 1, 11),
    ("f =~ (x1 + x2)", "parentheses are only allowed", 1, 6),
    ("f =~ c(1, NA*x1", "'(' is never closed", 1, 7),
    ("f =~ c(1, NA))*x1", "')' has no matching '('", 1, 14),
    ("f =~ 1*x1 + start(0.5", "'(' is never closed", 1, 18),
    ("f =~ x1\ny ~ x)", "')' has no matching '('", 2, 6),
    ("f =~ 1", "'1' (an intercept) is only allowed after '~'", 1, 6),
    ("f =~ x1 + 0.5", "must end in a variable name; found the number 0.5", 1, 11),
    ("y ~ x + 2", "must end in a variable name", 1, 9),
    ("f =~ x1 + 1*", "'*' must be followed by a variable name", 1, 13),
    ("f =~ NA", "found NA", 1, 6),
    ('f =~ "lab"', "found a quoted string", 1, 6),
    ("f =~ a*start(1)", "found a modifier", 1, 8),
    ("f =~ f + x", "cannot be measured by itself", 1, 6),
    ("f =~ x1; f =~ x1", "duplicate model element 'f =~ x1' (first given on line 1)", 1, 15),
    ("x ~~ y\ny ~~ x", "duplicate model element 'y ~~ x'", 2, 6),
    ("y ~ 1\ny ~ 1 + x", "duplicate model element 'y ~ 1'", 2, 5),
    ("f =~ x1 @ x2", "unexpected character '@'", 1, 9),
    ("f =~ x1 ＋ x2", "full-width", 1, 9),
    ('f =~ "abc*x1', "unterminated quoted string", 1, 6),
    ("f =~ ''*x1", "empty quoted label", 1, 6),
    ("f =~ c('', a)*x1", "empty quoted label", 1, 8),
    ("y ~ a*x\nd := ''*a", "empty quoted label", 2, 6),
    (":= a*b", "the left-hand side of ':=' must be one name", 1, 1),
    ("y ~ a*x\n2 := a", "must be one name", 2, 1),
    ("y ~ a*x\nind + b := a", "must be one name", 2, 1),
    ("y ~ a*x\nind :=", "missing expression after ':='", 2, 7),
    ("y ~ a*x\nind := a*", "operand was expected", 2, 10),
    ("y ~ a*x\nind := a b", "unexpected name 'b' in expression", 2, 10),
    ("y ~ a*x\nind := a + * b", "unexpected '*' in expression", 2, 12),
    ("y ~ a*x\nind := foo(a)", "unknown function 'foo'", 2, 8),
    ("y ~ a*x\nind := sqrt()", "sqrt() needs one argument", 2, 13),
    ("y ~ a*x\nind := ()", "empty parentheses", 2, 8),
    ("y ~ a*x\nind := (a", "'(' is never closed", 2, 8),
    ("y ~ a*x\nind := c(a, a)", "unknown function 'c'", 2, 8),
    ("y ~ a*x\nind := a, a", "unexpected ','", 2, 9),
    ("y ~ a*x\nind := NA", "NA is not allowed", 2, 8),
    ("y ~ a*x\nind := q*a", "unknown label 'q' in a ':=' expression", 2, 8),
    ("y ~ a*x\na := 2*a", "already a parameter label", 2, 1),
    ("y ~ a*x\nd := a\nd := 2*a", "defined twice", 3, 1),
    ("y ~ a*x\nd := d*a", "in terms of itself", 2, 6),
    ("y ~ a*x\n== a", "missing expression before '=='", 2, 1),
    ("y ~ a*x\na ==", "missing expression after '=='", 2, 5),
    ("y ~ a*x\na > z", "unknown label 'z' in a constraint", 2, 5),
    ("y ~ a*x\na == b == c", "second operator", 2, 8),
]


@pytest.mark.parametrize(("text", "fragment", "line", "column"), BAD)
def test_syntax_errors(text: str, fragment: str, line: int, column: int) -> None:
    with pytest.raises(ModelSyntaxError) as info:
        parse_model(text)
    err = info.value
    assert fragment in str(err)
    assert (err.line, err.column) == (line, column)
    assert f"(line {line}, column {column})" in str(err)


def test_syntax_error_is_a_specification_error() -> None:
    with pytest.raises(SpecificationError):
        parse_model("f =~")


def test_non_string_model() -> None:
    with pytest.raises(SpecificationError, match="model must be a str"):
        parse_model(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# format_model
# --------------------------------------------------------------------------------------------


def test_format_reserved_words_quoted() -> None:
    spec = ModelSpec(
        statements=(
            Statement("f", "=~", "x1", Modifier(labels=("TRUE",))),
            Statement("f", "=~", "x2", Modifier(labels=("_a",))),
            Statement("f", "=~", "x3", Modifier(labels=("if", "b"))),
        )
    )
    assert format_model(spec) == 'f =~ "TRUE"*x1 + "_a"*x2 + c("if", b)*x3'
    assert parse_model(format_model(spec)).statements[2].modifier.labels == ("if", "b")


def test_format_groups_consecutive_terms_and_writes_modifiers() -> None:
    spec = ModelSpec(
        statements=(
            Statement("f", "=~", "x1", Modifier(fixed=(1.0,))),
            Statement("f", "=~", "x2", Modifier(labels=("a b",), starts=(0.1,))),
            Statement("f", "=~", "x3", Modifier(fixed=(1.0, None), labels=("l1", "l2"))),
            Statement("y", "~1", "", Modifier(fixed=(0.0,))),
            Statement("y", "~", "f", Modifier(labels=("NA", None))),
            Statement("f", "~~", "f", Modifier(fixed=(1 / 3,))),
            Statement("f", "=~", "x4", Modifier(starts=(None, 2.0))),
        ),
        defined=(DefinedParameter("d", "l1 * ( l2 )"),),
        constraints=(Constraint("l1", ">", "0.001"),),
    )
    assert format_model(spec) == "\n".join(
        [
            # one modifier per term, repeated (lavaan drops all but one from a chain)
            'f =~ 1*x1 + "a b"*x2 + start(0.1)*x2 + c(1, NA)*x3 + c(l1, l2)*x3',
            "y ~ 0*1",
            'y ~ label("NA", NA)*f',
            "f ~~ 0.3333333333333333*f",
            "f =~ start(c(NA, 2))*x4",
            "d := l1*l2",
            "l1 > 0.001",
        ]
    )
    back = parse_model(format_model(spec))
    assert back.statements[1].modifier == spec.statements[1].modifier
    assert back.statements[4].modifier == spec.statements[4].modifier
    assert back.statements[5].modifier.fixed == (1 / 3,)


@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec(statements=(Statement("f", "=~", "x 1"),)),
        ModelSpec(statements=(Statement("NA", "~", "x"),)),
        ModelSpec(statements=(Statement("f", "=~", "x", Modifier(fixed=(float("inf"),))),)),
        ModelSpec(statements=(Statement("f", "=~", "x", Modifier(labels=("a\"'b",))),)),
    ],
)
def test_format_rejects_unwritable(spec: ModelSpec) -> None:
    with pytest.raises(SpecificationError, match="cannot be written"):
        format_model(spec)


# --------------------------------------------------------------------------------------------
# round trip property
# --------------------------------------------------------------------------------------------

_RESERVED = {"NA"}
names = st.from_regex(r"[A-Za-z][A-Za-z0-9_.]{0,6}", fullmatch=True).filter(
    lambda s: s not in _RESERVED
)
odd_labels = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\n\r'),
    min_size=1,
    max_size=6,
)
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def modifiers(draw: st.DrawFn) -> Modifier:
    n = draw(st.sampled_from([1, 2, 3]))

    def vector(elements: st.SearchStrategy) -> tuple:
        length = draw(st.sampled_from([0, 1, n]))
        return tuple(draw(elements) for _ in range(length))

    fixed = vector(st.one_of(st.none(), finite))
    labels = vector(st.one_of(st.none(), names, odd_labels))
    starts = vector(st.one_of(st.none(), finite))
    return Modifier(fixed=fixed, labels=labels, starts=starts)


@st.composite
def expressions(draw: st.DrawFn, labels: list[str]) -> str:
    atoms = [st.floats(min_value=0, max_value=1e6, allow_nan=False).map(repr)]
    if labels:
        atoms.append(st.sampled_from([f'"{lab}"' for lab in labels]))
    leaf = st.one_of(*atoms)
    tree = st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^", "**"]), inner).map(
                lambda t: f"({t[0]}) {t[1]} ({t[2]})"
            ),
            inner.map(lambda e: f"-({e})"),
            st.tuples(st.sampled_from(["sqrt", "exp", "log", "abs"]), inner).map(
                lambda t: f"{t[0]}({t[1]})"
            ),
        ),
        max_leaves=6,
    )
    return normalize_expression(draw(tree))


@st.composite
def specs(draw: st.DrawFn) -> ModelSpec:
    count = draw(st.integers(min_value=1, max_value=8))
    statements: list[Statement] = []
    keys: set[tuple[str, str, str]] = set()
    for _ in range(count):
        op = draw(st.sampled_from(["=~", "~", "~~", "~1"]))
        lhs = draw(names)
        rhs = "" if op == "~1" else draw(names)
        if op == "=~" and lhs == rhs:
            continue
        if (lhs, op, rhs) in keys or (op == "~~" and (rhs, op, lhs) in keys):
            continue
        keys.add((lhs, op, rhs))
        statements.append(Statement(lhs, op, rhs, draw(modifiers())))  # type: ignore[arg-type]
    labels = list(dict.fromkeys(lab for s in statements for lab in s.modifier.labels if lab))
    defined: list[DefinedParameter] = []
    for i in range(draw(st.integers(min_value=0, max_value=3))):
        name = f"def_{i}"
        defined.append(
            DefinedParameter(name, draw(expressions(labels + [d.name for d in defined])))
        )
    constraints = []
    everything = labels + [d.name for d in defined]
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        op = draw(st.sampled_from(["==", "<", ">"]))
        constraints.append(
            Constraint(draw(expressions(everything)), op, draw(expressions(everything)))
        )
    return ModelSpec(tuple(statements), tuple(defined), tuple(constraints))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_round_trip_property(spec: ModelSpec) -> None:
    assume(spec.statements)
    text = format_model(spec)
    again = parse_model(text)
    assert without_lines(again) == spec
    assert format_model(again) == text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='fxy12 =~+*()c,"aNA#;\n.-:', max_size=30))
def test_parser_only_raises_model_syntax_errors(text: str) -> None:
    try:
        parse_model(text)
    except ModelSyntaxError as err:
        assert err.line is not None and err.column is not None


# --------------------------------------------------------------------------------------------
# the := expression evaluator
# --------------------------------------------------------------------------------------------


def test_compile_expression_values() -> None:
    values = {"a": 0.5, "b": -2.0, "c": 4.0}
    cases = {
        "a*b": -1.0,
        "a + b*c": -7.5,
        "(a + b)*c": -6.0,
        "a - b - c": -1.5,
        "c/b/a": -4.0,
        "c^2": 16.0,
        "c**0.5": 2.0,
        "2^3^2": 512.0,
        "-c^2": -16.0,
        "(-b)^3": 8.0,
        "c^-1": 0.25,
        "sqrt(c) + exp(0) + log(c) + abs(b)": 2.0 + 1.0 + np.log(4.0) + 2.0,
        "--a": 0.5,
        "1e-3*c": 0.004,
    }
    for expr, expected in cases.items():
        function, _ = compile_expression(expr)
        assert_allclose(function(values), expected, rtol=1e-15, err_msg=expr)


def test_compile_expression_labels_in_order() -> None:
    _, labels = compile_expression("g2 + g1*g3 + g1 + 'x.y'")
    assert labels == ("g2", "g1", "g3", "x.y")
    assert compile_expression("2*3")[1] == ()
    assert float(compile_expression("2*3")[0]({})) == 6.0


def test_compile_expression_integer_inputs_are_floats() -> None:
    function, _ = compile_expression("a/b + a^-1")
    assert_allclose(function({"a": 2, "b": 4}), 1.0)


def test_compile_expression_complex_step() -> None:
    function, _ = compile_expression("a*b/sqrt(c) + exp(a) - log(c) + abs(b)^2")
    point = {"a": 0.3, "b": -1.7, "c": 2.5}
    h = 1e-30
    gradient = []
    for name in point:
        shifted = {k: complex(v, h if k == name else 0.0) for k, v in point.items()}
        gradient.append(function(shifted).imag / h)
    a, b, c = point.values()
    expected = [
        b / np.sqrt(c) + np.exp(a),
        a / np.sqrt(c) + 2 * b,
        -0.5 * a * b * c**-1.5 - 1 / c,
    ]
    assert_allclose(gradient, expected, rtol=1e-13)


def test_compile_expression_vectorised() -> None:
    function, _ = compile_expression("a*b + 1")
    draws = {"a": np.array([1.0, 2.0, 3.0]), "b": np.array([0.5, 0.5, 2.0])}
    assert_allclose(function(draws), [1.5, 2.0, 7.0])
    # object arrays of numbers (columns of an object array of draws) are accepted
    as_object = np.array([draws["a"], draws["b"]], dtype=object)
    assert_allclose(function({"a": as_object[0], "b": as_object[1]}), [1.5, 2.0, 7.0])
    # a scalar label broadcasts against array labels
    assert_allclose(function({"a": np.array([1.0, 2.0]), "b": 3.0}), [4.0, 7.0])


def test_compile_expression_follows_numpy_for_singularities() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isposinf(evaluate_expression("a/b", {"a": 1.0, "b": 0.0}))
        assert np.isposinf(evaluate_expression("1/0", {}))
        assert np.isnan(evaluate_expression("sqrt(b - 1)", {"b": 0.0}))
        assert np.isnan(evaluate_expression("log(b)", {"b": -1.0}))
        assert np.isnan(evaluate_expression("b^0.5", {"b": -1.0}))


def test_compile_expression_missing_value() -> None:
    function, _ = compile_expression("a*b")
    with pytest.raises(SpecificationError, match="'b'"):
        function({"a": 1.0})
    with pytest.raises(SpecificationError, match="numeric"):
        function({"a": 1.0, "b": "2"})


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('true')",
        "(1).__class__",
        "a[0]",
        "lambda: 1",
        "a if b else c",
        "a; b",
        "a == b",
        "f(a)",
        "a b",
        "a %% b",
        "a @ b",
        "",
        "  ",
        "a,b",
        "{a}",
        "'a' 'b'",
        "sqrt(a, b)",
        "c(1, 2)",
    ],
)
def test_compile_expression_rejects(expr: str) -> None:
    with pytest.raises(ModelSyntaxError):
        compile_expression(expr)


def test_dotted_name_is_a_label_not_an_attribute() -> None:
    function, labels = compile_expression("a.__class__")
    assert labels == ("a.__class__",)  # one R-style name; no attribute access
    assert function({"a.__class__": 2.0}) == 2.0


def test_evaluate_expression() -> None:
    assert_allclose(evaluate_expression("g2 + g1*g3", {"g1": 0.6, "g2": 0.1, "g3": 0.5}), 0.4)


def test_normalize_expression() -> None:
    assert normalize_expression("a * ( b )") == "a*b"
    assert normalize_expression("a - (b - c)") == "a - (b - c)"
    assert normalize_expression("(a - b) - c") == "a - b - c"
    assert normalize_expression("(-a)^2") == "(-a)^2"
    assert normalize_expression("-(a^2)") == "-a^2"
    assert normalize_expression("a**b") == "a^b"
    assert normalize_expression("+a") == "a"
    assert normalize_expression("0.50*a") == "0.5*a"
