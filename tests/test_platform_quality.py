"""Platform metadata and cleaning (issue 11): speeders, repeated IPs and respondent ids,
codebook attention checks, per-row flags, and rows dropped only on request.

The exports come from the seeded generator of ``platform_exports.py``, which plants every
problem and marks it in its truth frame.
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import synergy_stats as ss
from synergy_stats.errors import DataValidationError, DroppedDataWarning, OptionError
from synergy_stats.intake import ROW_KINDS, validate
from synergy_stats.intake.platforms import parse_duration

sys.path.insert(0, str(Path(__file__).parent))
import platform_exports as pe

KINDS_ = ["text_xlsx", "code_gbk_csv", "q_csv", "sav"]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory):
    return pe.write_exports(tmp_path_factory.mktemp("quality"), resubmitted=2)


@pytest.fixture(scope="module")
def inst():
    return ss.Instrument.from_dict(pe.trial_codebook())


def _read(exports, inst, kind):
    paths, _ = exports
    roles = pe.SAV_ROLES if kind == "sav" else pe.ROLES
    return ss.read_survey(paths[kind], inst, platform="wjx", **roles)


def _rows(report, kind):
    return sorted(report.problems.loc[report.problems["kind"] == kind, "row"].tolist())


def _truth_rows(truth, column):
    return sorted(np.flatnonzero(truth[column].to_numpy()).tolist())


@pytest.mark.parametrize("kind", KINDS_)
def test_planted_problems_are_reported_and_flagged(exports, inst, kind) -> None:
    _, truth = exports
    survey = _read(exports, inst, kind)
    expected_column = {
        "text_xlsx": "10、(本题请选择“同意”)",
        "code_gbk_csv": "10、(本题请选择“同意”)",
    }
    assert survey.attention == {"attention_10": expected_column.get(kind, "Q10")}
    assert "attention_10" not in survey.items
    report = validate(inst, survey)
    assert _rows(report, "attention_check") == _truth_rows(truth, "fails_attention")
    assert _rows(report, "duplicate_id_wave") == _truth_rows(truth, "is_resubmission")
    if kind == "sav":  # renamed metadata columns: the preset finds none, nothing is checked
        assert survey.metadata == {}
        assert report.counts["speeder"] == report.counts["duplicate_ip"] == 0
    else:
        assert _rows(report, "speeder") == _truth_rows(truth, "is_speeder")
        assert _rows(report, "duplicate_ip") == _truth_rows(truth, "is_shared_ip")
        assert report.counts["unreadable_duration"] == 0
    # every row-level problem is flagged on its row; nothing is dropped
    assert list(report.flags.columns) == list(ROW_KINDS)
    assert report.flags.index.equals(survey.data.index)
    for k in ("attention_check", "speeder", "duplicate_ip", "duplicate_id_wave"):
        assert sorted(np.flatnonzero(report.flags[k].to_numpy()).tolist()) == _rows(report, k)
    assert len(survey.data) == len(truth) == report.n_rows
    # these are warnings except the repeated (id, wave) pair, which stays an error
    assert not report.ok
    assert set(report.errors["kind"]) == {"duplicate_id_wave"}


def test_messages_name_the_evidence(exports, inst) -> None:
    _, truth = exports
    report = validate(inst, _read(exports, inst, "text_xlsx"))
    p = report.problems
    speeder = p[p["kind"] == "speeder"].iloc[0]
    secs = int(truth.loc[speeder["row"], "所用时间_秒"])
    assert speeder["value"] == f"{secs}秒"
    assert speeder["column"] == "所用时间"
    assert f"took {secs} s for 13 items" in speeder["message"]  # 12 items + 1 check
    ip = p[p["kind"] == "duplicate_ip"].iloc[0]
    assert ip["column"] == "来自IP" and "in the same wave" in ip["message"]
    att = p[p["kind"] == "attention_check"]
    assert att["message"].str.contains("passing: 4").all()
    # "(跳过)" is read as blank in the file's other columns: an unanswered check
    skipped = att[att["message"].str.contains("not answered")]
    fails = truth["fails_attention"]
    assert len(skipped) == int((fails & truth["attention"].isna()).sum())
    assert skipped["value"].isna().all()
    wrong = att[att["message"].str.contains("wrong answer")]
    assert len(wrong) == int((fails & truth["attention"].notna()).sum())
    assert set(wrong["value"]) <= {"非常不同意", "不同意", "一般", "非常同意"}
    assert "speeder" in report.to_markdown() and "attention_check" in report.to_markdown()


def test_speeder_threshold_is_configurable(exports, inst) -> None:
    survey = _read(exports, inst, "code_gbk_csv")
    # the planted speeders took 8-20 s; 13 items at 0.5 s each is 6.5 s: none below
    assert validate(inst, survey, min_seconds_per_item=0.5).counts["speeder"] == 0
    assert validate(inst, survey, min_seconds_per_item=None).counts["speeder"] == 0
    # 13 items at 5 s = 65 s also catches honest rows of 60-64 s
    _, truth = exports
    slow = validate(inst, survey, min_seconds_per_item=5)
    assert slow.counts["speeder"] == int((truth["所用时间_秒"] < 65).sum())
    assert slow.min_seconds_per_item == 5.0
    for bad in (0, -1, "2", True, math.nan, math.inf, [2]):
        with pytest.raises(OptionError, match="min_seconds_per_item"):
            validate(inst, survey, min_seconds_per_item=bad)


def test_exclude_drops_only_when_asked_and_reports_the_count(exports, inst) -> None:
    _, truth = exports
    survey = _read(exports, inst, "text_xlsx")
    before = survey.data.copy()
    report = validate(inst, survey)
    with pytest.warns(DroppedDataWarning, match=r"dropped 25 of 602 rows") as rec:
        kept = report.exclude(survey, ["speeder", "attention_check"])
    planted = truth["is_speeder"] | truth["fails_attention"]
    assert int(planted.sum()) == 25
    assert "9 speeder, 16 attention_check" in str(rec[0].message)
    assert isinstance(kept, ss.SurveyData)
    assert kept.data.index.tolist() == np.flatnonzero(~planted.to_numpy()).tolist()
    assert set(kept.missing["row"]) <= set(kept.data.index)
    pd.testing.assert_frame_equal(survey.data, before)  # the input is untouched
    assert len(survey.data) == 602
    # the result is ordinary survey data: validate again finds no speeder nor failed check
    again = validate(inst, kept)
    assert again.counts["speeder"] == again.counts["attention_check"] == 0
    # a DataFrame validated directly is dropped the same way
    frame = survey.data
    report_df = validate(inst, frame, id="员工编号", wave="轮次", platform="wjx")
    with pytest.warns(DroppedDataWarning):
        out = report_df.exclude(frame, ["speeder"])
    assert isinstance(out, pd.DataFrame) and len(out) == 602 - pe.N_SPEEDERS
    assert out is not frame and len(frame) == 602
    # nothing flagged: no warning, same rows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = report.exclude(survey, ["unreadable_duration"])
    assert same.n_rows == survey.n_rows


@pytest.mark.parametrize(
    "kinds", ["speeder", [], ["speeders"], ["unknown_column"], [1], None, ["missing_item"]]
)
def test_exclude_rejects_kinds_that_are_not_row_level(exports, inst, kinds) -> None:
    survey = _read(exports, inst, "q_csv")
    report = validate(inst, survey)
    with pytest.raises(OptionError, match="kinds="):
        report.exclude(survey, kinds)


def test_exclude_refuses_other_data(exports, inst) -> None:
    survey = _read(exports, inst, "q_csv")
    report = validate(inst, survey)
    with pytest.raises(DataValidationError, match="not the 602 rows"):
        report.exclude(survey.data.iloc[:10], ["speeder"])
    with pytest.raises(DataValidationError, match="data=list"):
        report.exclude([1, 2], ["speeder"])


def test_platform_with_survey_data_is_refused(exports, inst) -> None:
    survey = _read(exports, inst, "q_csv")
    with pytest.raises(OptionError, match="platform"):
        validate(inst, survey, platform="wjx")


def test_qualtrics_respondent_id_duplicates_and_durations(inst) -> None:
    """Without a declared id, the platform's respondent column is checked for repeats."""
    items = {f"Q{num.replace('.', '_')}": [3, 4, 2, 5, 3] for _i, _c, num, _z, _e in pe.ITEMS}
    frame = pd.DataFrame(
        {
            "ResponseId": ["R_1", "R_2", "R_3", "R_4", "R_5"],
            "Duration (in seconds)": [300, 12, 250, "n/a-x", 400],
            "IPAddress": ["1.1.1.1", "2.2.2.2", "1.1.1.1", "3.3.3.3", None],
            "ExternalReference": ["e1", "e2", "e3", "e1", None],
            "Q10": [4, 4, 4, 4, 4],
            **items,
        }
    )
    report = validate(inst, frame, platform="qualtrics")
    assert _rows(report, "duplicate_id_wave") == [3]
    msg = report.problems.loc[report.problems["kind"] == "duplicate_id_wave", "message"]
    assert "ExternalReference" in msg.iloc[0] and "row 0" in msg.iloc[0]
    assert _rows(report, "speeder") == [1]
    assert _rows(report, "unreadable_duration") == [3]
    assert _rows(report, "duplicate_ip") == [2]  # no wave column: repeats anywhere count
    assert report.counts["missing_id"] == 0  # the platform column is not a declared id
    assert report.counts["attention_check"] == 0
    assert report.counts["unknown_column"] == 0


def test_attention_check_by_label_and_missing_column(inst) -> None:
    book = pe.trial_codebook()
    book["attention_checks"] = [{"id": "att", "column": "Q10", "pass": ["同意"]}]
    by_label = ss.Instrument.from_dict(book)
    items = {f"Q{num.replace('.', '_')}": [3, 4, 2, 5] for _i, _c, num, _z, _e in pe.ITEMS}
    # a label passes in a text export, and its code (4 = 同意) in a code export
    frame = pd.DataFrame({"Q10": ["同意", 4, "非常同意", -3], **items})
    report = validate(by_label, frame, platform="wjx")
    att = report.problems[report.problems["kind"] == "attention_check"]
    assert att["row"].tolist() == [2, 3]
    assert "wrong answer" in att["message"].iloc[0] and "not answered" in att["message"].iloc[1]
    # the declared column is absent: reported, not silently skipped
    missing = validate(by_label, frame.drop(columns="Q10"))
    rows = missing.problems[missing.problems["kind"] == "missing_item"]
    assert rows["column"].tolist() == ["att"]
    assert "attention check 'att'" in rows["message"].iloc[0]


def test_attention_question_number_fitting_two_headers_is_an_error(inst) -> None:
    items = {f"Q{num.replace('.', '_')}": [3] for _i, _c, num, _z, _e in pe.ITEMS}
    frame = pd.DataFrame({"Q10": [4], "10、(请选择同意)": [4], **items})
    with pytest.raises(DataValidationError, match="attention check 'attention_10'"):
        ss.read_survey(frame, inst)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (125, 125.0),
        (125.5, 125.5),
        ("125", 125.0),
        ("125秒", 125.0),
        ("2分5秒", 125.0),
        ("1小时2分5秒", 3725.0),
        ("2 min 5 s", 125.0),
        ("００:02:05", 125.0),
        ("2:05", 125.0),
    ],
)
def test_parse_duration(value, seconds) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", None, math.nan, -5, math.inf, True, "abc", "5秒x", [5]])
def test_parse_duration_unreadable_is_nan(value) -> None:
    assert math.isnan(parse_duration(value))


def test_attention_checks_in_the_codebook_load_round_trip_and_are_checked(inst) -> None:
    (check,) = inst.attention_checks
    assert (check.id, check.column, check.passing) == ("attention_10", "10", (4,))
    assert ss.Instrument.from_dict(inst.to_dict()) == inst
    for bad in ({"id": "a", "column": "10", "pass": [True]}, {"id": "a", "column": "10"}):
        book = pe.trial_codebook()
        book["attention_checks"] = [bad]
        with pytest.raises(ss.InstrumentError, match="attention_checks"):
            ss.Instrument.from_dict(book)
    book = pe.trial_codebook()
    book["attention_checks"] = [dict(book["attention_checks"][0]) for _ in range(2)]
    with pytest.raises(ss.InstrumentError, match="duplicate attention check id"):
        ss.Instrument.from_dict(book)


_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.sampled_from(list("0123456789:.秒分小时 minsh-(跳过)同意ab")), max_size=12),
    st.lists(st.integers(), max_size=2),
    st.sampled_from([pd.NA, pd.NaT, complex(1, 2), b"12", {"a": 1}]),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    platform=st.sampled_from(["wjx", "qualtrics"]),
    per_item=st.one_of(st.none(), st.floats(min_value=0.01, max_value=100)),
)
def test_junk_metadata_only_synergy_errors(inst, data, platform, per_item) -> None:
    n = data.draw(st.integers(min_value=0, max_value=6))
    cols = (
        ("所用时间", "来自IP", "用户ID")
        if platform == "wjx"
        else ("Duration (in seconds)", "IPAddress", "ExternalReference")
    )
    frame = pd.DataFrame(
        {
            **{c: pd.Series([data.draw(_JUNK) for _ in range(n)], dtype=object) for c in cols},
            "Q10": pd.Series([data.draw(_JUNK) for _ in range(n)], dtype=object),
            **{f"Q{num.replace('.', '_')}": [3] * n for _i, _c, num, _z, _e in pe.ITEMS},
        }
    )
    before = frame.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            report = validate(inst, frame, platform=platform, min_seconds_per_item=per_item)
        except ss.SynergyError:
            return
        assert len(report.flags) == n
        out = report.exclude(frame, list(ROW_KINDS))
    assert len(out) == n - int(report.flags.any(axis=1).sum())
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(
    ("platform", "cells"),
    [
        ("wjx", ["(跳过)", -3, -2, "-3"]),
        ("tencent", ["(跳过)", -2, -3, "跳过"]),
        ("qualtrics", ["(skipped)", -99, "-99", "skipped"]),
    ],
)
def test_skip_codes_are_one_reason_in_text_and_code_exports(inst, platform, cells) -> None:
    """Every preset: its skip codes and the skip texts read as the one reason "skipped"."""
    items = {f"Q{num.replace('.', '_')}": [3, 4, 2, 5] for _i, _c, num, _z, _e in pe.ITEMS}
    items["Q6_1"] = cells
    survey = ss.read_survey(pd.DataFrame(items), inst, platform=platform)
    assert survey.data["pressure_1"].isna().all()
    assert survey.missing["reason"].tolist() == ["skipped"] * 4
    assert survey.raw_problems.empty
    # without the preset the codes are out of range (reported), the texts still "skipped"
    with pytest.warns(DroppedDataWarning, match="out_of_range"):
        bare = ss.read_survey(pd.DataFrame(items), inst)
    n_codes = sum(str(c).lstrip("-").isdigit() for c in cells)
    assert (bare.raw_problems["kind"] == "out_of_range").sum() == n_codes
    assert (bare.missing["reason"] == "skipped").sum() == 4 - n_codes


def test_metadata_columns_can_be_declared_in_the_call(inst) -> None:
    items = {f"Q{num.replace('.', '_')}": [3, 4, 2, 5] for _i, _c, num, _z, _e in pe.ITEMS}
    frame = pd.DataFrame(
        {"time_s": [300, 10, 200, 250], "addr": ["a", "b", "a", "c"], "Q10": 4, **items}
    )
    meta = {"duration": "time_s", "ip": "addr"}
    survey = ss.read_survey(frame, inst, metadata=meta)
    assert survey.metadata == meta and survey.unknown == ()
    report = validate(inst, survey)
    assert _rows(report, "speeder") == [1] and _rows(report, "duplicate_ip") == [2]
    assert _rows(validate(inst, frame, metadata=meta), "speeder") == [1]
    # the call wins over the preset's header names
    frame2 = frame.rename(columns={"time_s": "所用时间"}).assign(time_s=[1, 1, 1, 1])
    assert ss.read_survey(frame2, inst, platform="wjx").metadata["duration"] == "所用时间"
    got = ss.read_survey(frame2, inst, platform="wjx", metadata={"duration": "time_s"})
    assert got.metadata["duration"] == "time_s"
    with pytest.raises(OptionError, match="the roles are"):
        ss.read_survey(frame, inst, metadata={"speed": "time_s"})
    with pytest.raises(OptionError, match="metadata="):
        ss.read_survey(frame, inst, metadata=["time_s"])
    with pytest.raises(DataValidationError, match=r"metadata\['duration'\]='nope'"):
        ss.read_survey(frame, inst, metadata={"duration": "nope"})
    with pytest.raises(OptionError, match="metadata"):
        validate(inst, survey, metadata=meta)


def test_main_job_validation_section_reports_and_flags_without_dropping(
    exports, inst, tmp_path
) -> None:
    from synergy_stats.report import run_report

    _, truth = exports
    survey = _read(exports, inst, "code_gbk_csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_report(survey, tmp_path / "r", steps=["synergy_stats.report:validation_step"])
    text = (tmp_path / "r" / "report.md").read_text("utf-8")
    assert "| speeder | warning | 9 |" in text
    assert "| attention_check | warning | 16 |" in text
    flags = pd.read_csv(tmp_path / "r" / "row_flags.csv", index_col=0, encoding="utf-8-sig")
    assert len(flags) == len(truth)
    assert flags["speeder"].tolist() == truth["is_speeder"].tolist()


def test_cli_platform_option(exports, tmp_path, capsys) -> None:
    import yaml

    from synergy_stats.cli import PLATFORM_CHOICES, main
    from synergy_stats.intake.platforms import PLATFORMS

    assert set(PLATFORM_CHOICES) == set(PLATFORMS)
    paths, truth = exports
    book = tmp_path / "trial.yaml"
    book.write_text(yaml.safe_dump(pe.trial_codebook(), allow_unicode=True), encoding="utf-8")
    roles = [a for k, v in pe.ROLES.items() for a in (f"--{k}", str(v))]
    base = ["validate", str(paths["text_xlsx"]), "--instrument", str(book), *roles]
    found = {}
    for name, extra in (("plain", []), ("wjx", ["--platform", "wjx"])):
        out = tmp_path / f"problems_{name}.csv"
        main([*base, *extra, "--problems", str(out)])
        capsys.readouterr()
        p = pd.read_csv(out, encoding="utf-8-sig")
        found[name] = sorted(p.loc[p["kind"] == "speeder", "row"].tolist())
    assert found["plain"] == []  # without the preset the duration column is not known
    assert found["wjx"] == _truth_rows(truth, "is_speeder") != []
