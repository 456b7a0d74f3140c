"""validate: the messy/clean twins in every format, each rule, and the report object."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.errors import DataValidationError, DroppedDataWarning, OptionError
from synergy_stats.intake import KINDS, ValidationReport, read_survey, validate

DATA = Path(__file__).parent / "data" / "intake"
SPEC = json.loads((DATA / "expected_problems.json").read_text("utf-8"))
ROLES = {k: v for k, v in SPEC["read_survey"].items() if k != "instrument"}
INSTRUMENT = SPEC["read_survey"]["instrument"]
MESSY = ["messy.csv", "messy_gbk.csv", "messy.xlsx", "messy.sav", "messy.dta"]
CLEAN = ["clean.csv", "clean.xlsx", "clean.sav", "clean.dta"]


@pytest.fixture(scope="module")
def inst():
    return ss.load_instrument(INSTRUMENT)


def report_of(name: str) -> ValidationReport:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedDataWarning)
        survey = read_survey(DATA / name, INSTRUMENT, **ROLES)
    return validate(INSTRUMENT, survey)


def _key(row, column, kind):
    def norm(v):
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v

    return (norm(row), norm(column), kind)


@pytest.mark.parametrize("name", MESSY)
def test_messy_gives_exactly_the_planted_problems_once(name):
    report = report_of(name)
    found = [_key(r.row, r.column, r.kind) for r in report.problems.itertuples()]
    planted = [_key(p["row"], p["column"], p["kind"]) for p in SPEC["problems"]]
    assert sorted(found, key=repr) == sorted(planted, key=repr)
    assert len(set(found)) == len(found)
    # every kind is planted, except the platform-metadata checks (no metadata in these
    # files; see test_platform_quality.py)
    platform_kinds = {"speeder", "unreadable_duration", "duplicate_ip", "attention_check"}
    assert {k for _, _, k in planted} == set(KINDS) - platform_kinds
    assert not report.ok


@pytest.mark.parametrize("name", MESSY[1:])
def test_every_format_gives_the_same_report(name):
    base = report_of(MESSY[0])
    other = report_of(name)
    pd.testing.assert_frame_equal(other.problems, base.problems)
    pd.testing.assert_frame_equal(other.summary, base.summary)
    pd.testing.assert_frame_equal(other.item_missingness, base.item_missingness)
    pd.testing.assert_frame_equal(other.respondent_missingness, base.respondent_missingness)
    assert other.to_markdown() == base.to_markdown()


@pytest.mark.parametrize("name", CLEAN)
def test_clean_twin_gives_no_problem(name):
    report = report_of(name)
    assert len(report.problems) == 0
    assert report.ok
    assert report.counts == dict.fromkeys(KINDS, 0)
    report.raise_if_errors()  # does not raise


def test_problem_values_and_messages():
    p = report_of("messy.csv").problems.set_index("kind")
    assert list(report_of("messy.csv").problems.columns) == [
        "row",
        "column",
        "value",
        "kind",
        "message",
    ]
    assert p.loc["out_of_range", "value"] == 7.0
    assert p.loc["invalid_value", "value"] == "agre"
    assert p.loc["straight_lining", "value"] == 3.0
    assert p.loc["constant_item", "value"] == 4.0
    assert p.loc["duplicate_id_wave", "value"] == 204
    assert "already appears in row 3" in p.loc["duplicate_id_wave", "message"]
    assert "did you mean 'env_pressure_3'" in p.loc["unknown_column", "message"]
    assert "'q5'" in p.loc["out_of_range", "message"]
    assert "leader_attention_2" in p.loc["out_of_range", "message"]
    share = p.loc["high_missingness", "value"].tolist()
    np.testing.assert_allclose(share, [7 / 28, 25 / 43])


def test_summary_missingness_tables():
    report = report_of("messy.csv")
    summary = report.summary
    assert list(summary.index) == list(KINDS)
    assert summary.loc["high_missingness", "count"] == 2
    assert summary.loc["out_of_range", "severity"] == "error"
    items = report.item_missingness.set_index("item")
    q30 = items.loc["synergy_decision_3"]
    assert (q30["n"], q30["n_missing"]) == (28, 7)
    assert (q30["n_no_answer"], q30["n_missing_code"], q30["n_invalid"]) == (2, 5, 0)
    assert items.loc["leader_attention_2", "n_invalid"] == 1
    resp = report.respondent_missingness
    assert list(resp.columns) == [
        "row",
        "id",
        "wave",
        "n_items",
        "n_missing",
        "share_missing",
    ]
    assert resp.loc[21, "n_missing"] == 25 and resp.loc[21, "n_items"] == 43


def test_raise_if_errors_lists_every_problem():
    report = report_of("messy.csv")
    with pytest.raises(DataValidationError) as info:
        report.raise_if_errors()
    text = str(info.value)
    assert "5 errors, 5 warnings" in text
    for rec in report.problems.itertuples():
        assert rec.message in text
    assert text.count("\n- ") == len(report.problems)


def test_repr_and_markdown():
    report = report_of("messy.csv")
    text = repr(report)
    assert text.startswith("ValidationReport(instrument='synergy-execution', rows=28, ok=False")
    assert "straight_lining=1" in text
    md = report.to_markdown(max_problems=3)
    assert "**ERRORS FOUND**" in md and "(7 more problems not shown)" in md
    assert "| kind | severity | count | meaning |" in md
    assert str(report) == report.to_markdown(max_problems=20)
    with pytest.raises(OptionError):
        report.to_markdown(max_problems=-1)
    assert len(report.errors) == 5 and len(report.warnings) == 5


def test_dataframe_input_same_as_survey_and_not_changed(inst):
    raw = pd.read_csv(DATA / "messy.csv", dtype=str, keep_default_na=False)
    before = raw.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # validate itself does not warn about bad values
        report = validate(inst, raw, **ROLES)
    pd.testing.assert_frame_equal(raw, before)
    pd.testing.assert_frame_equal(report.problems, report_of("messy.csv").problems)


def test_survey_and_roles_conflict(inst):
    survey = read_survey(DATA / "clean.csv", inst, **ROLES)
    with pytest.raises(OptionError, match="roles were set"):
        validate(inst, survey, id="respondent_id")
    other = ss.load_instrument("sfic")
    with pytest.raises(DataValidationError, match="differs"):
        validate(other, survey)
    with pytest.raises(DataValidationError, match="not accepted"):
        validate(inst, [[1, 2]])


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.2", True, None])
def test_threshold_options(inst, bad):
    frame = pd.DataFrame({"Q1": [1, 2]})
    with pytest.raises(OptionError, match="max_missing_item"):
        validate(inst, frame, max_missing_item=bad)


def _frame(inst, rows: int, value=None) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    data = {it.id: rng.integers(1, 6, rows) for it in inst.items}
    return pd.DataFrame(data)


def test_missingness_thresholds_are_strict(inst):
    frame = _frame(inst, 10).astype(float)
    frame.loc[:1, "env_pressure_1"] = np.nan  # 2 of 10 = 20%: not above the threshold
    frame.loc[:2, "env_pressure_2"] = np.nan  # 30%: above
    frame.loc[5, frame.columns[-22:]] = np.nan  # 22 of 44 = 50%: not above
    frame.loc[6, frame.columns[-23:]] = np.nan  # 23 of 44: above
    report = validate(inst, frame)
    hm = report.problems[report.problems["kind"] == "high_missingness"]
    assert [_key(r.row, r.column, r.kind)[:2] for r in hm.itertuples()] == [
        (None, "env_pressure_2"),
        (6, None),
    ]
    looser = validate(inst, frame, max_missing_item=0.5, max_missing_respondent=0.9)
    assert looser.counts["high_missingness"] == 0


def test_straight_lining_rules(inst):
    frame = _frame(inst, 4).astype(float)
    mech = inst.items_of("mechanism")
    frame.loc[0, mech] = 2  # straight-lines
    frame.loc[1, mech] = 2
    frame.loc[1, mech[0]] = np.nan  # one item missing: not flagged
    frame.loc[2, mech] = 2
    frame.loc[2, mech[-1]] = 3  # one item different: not flagged
    report = validate(inst, frame)
    sl = report.problems[report.problems["kind"] == "straight_lining"]
    assert sl[["row", "column", "value"]].values.tolist() == [[0, "mechanism", 2.0]]


def test_duplicates_without_wave_and_repeated_index_labels(inst):
    frame = _frame(inst, 4)
    frame.insert(0, "pid", [1, 2, 1, 1])
    frame.index = ["a", "b", "a", "c"]
    report = validate(inst, frame, id="pid")
    dup = report.problems[report.problems["kind"] == "duplicate_id_wave"]
    assert dup["row"].tolist() == ["a", "c"]
    assert dup["message"].str.contains("already appears in row 'a'").all()


def test_constant_item_needs_two_answers(inst):
    frame = _frame(inst, 3).astype(float)
    frame["env_pressure_1"] = [np.nan, np.nan, 4.0]  # one answer: not constant
    frame["env_pressure_2"] = [4.0, np.nan, 4.0]  # two identical answers: constant
    report = validate(inst, frame, max_missing_item=1.0)
    const = report.problems[report.problems["kind"] == "constant_item"]
    assert const["column"].tolist() == ["env_pressure_2"]


def test_missing_wave_value_is_missing_id(inst):
    frame = _frame(inst, 3)
    frame.insert(0, "w", [1, None, 2])
    frame.insert(0, "pid", [1, 2, 3])
    report = validate(inst, frame, id="pid", wave="w")
    mi = report.problems[report.problems["kind"] == "missing_id"]
    assert mi[["row", "column"]].values.tolist() == [[1, "w"]]


def test_empty_frame(inst):
    report = validate(inst, pd.DataFrame({"Q1": pd.Series([], dtype=float)}))
    assert report.n_rows == 0
    assert report.counts["missing_item"] == len(inst.items) - 1


def test_straight_lining_block_size(inst):
    sfic = ss.load_instrument("sfic")
    small = [c for c in sfic.top_level() if len(sfic.items_of(c)) < 6]
    assert small  # sfic has 3-item top-level factors
    frame = pd.DataFrame({i: [3, 3] for it in small for i in sfic.items_of(it)})
    default = validate(sfic, frame)
    assert default.counts["straight_lining"] == 0
    strict = validate(sfic, frame, straight_lining_items=3)
    assert strict.counts["straight_lining"] == 2 * len(small)
    for bad in (2, 3.0, True, "6"):
        with pytest.raises(OptionError, match="straight_lining_items"):
            validate(sfic, frame, straight_lining_items=bad)
