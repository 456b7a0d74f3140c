"""read_survey: formats, encodings, column and label mapping, missing reasons, errors."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.errors import (
    DataValidationError,
    DroppedDataWarning,
    InstrumentError,
    OptionError,
    SynergyError,
)
from synergy_stats.intake import SurveyData, read_survey

DATA = Path(__file__).parent / "data" / "intake"
SPEC = json.loads((DATA / "expected_problems.json").read_text("utf-8"))
ROLES = {k: v for k, v in SPEC["read_survey"].items() if k != "instrument"}
INSTRUMENT = SPEC["read_survey"]["instrument"]
ZH = {"非常不同意": 1, "不同意": 2, "一般": 3, "同意": 4, "非常同意": 5}
EN = {"strongly disagree": 1, "disagree": 2, "neither agree nor disagree": 3, "agree": 4}
EN["strongly agree"] = 5


def read(name: str, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedDataWarning)
        return read_survey(DATA / name, INSTRUMENT, **{**ROLES, **kw})


@pytest.fixture(scope="module")
def inst():
    return ss.load_instrument(INSTRUMENT)


@pytest.fixture(scope="module")
def raw_clean() -> pd.DataFrame:
    return pd.read_csv(DATA / "clean.csv", dtype=str, keep_default_na=False)


@pytest.mark.parametrize("name", ["clean.csv", "clean.xlsx", "clean.sav", "clean.dta"])
def test_item_codes_match_raw_text(name, inst, raw_clean):
    survey = read(name)
    assert isinstance(survey, SurveyData)
    assert len(survey.data) == len(raw_clean)
    assert survey.items == [it.id for it in inst.items]
    for item_id, column in survey.columns.items():
        got = survey.data[item_id].to_numpy()
        for r, text in enumerate(raw_clean[column]):
            t = text.strip()
            if t in ZH:
                want = ZH[t]
            elif t.casefold() in EN:
                want = EN[t.casefold()]
            elif " = " in t:
                want = int(t.split(" = ")[0])
            elif len(t) == 1 and 0xFF10 <= ord(t) <= 0xFF19:
                want = ord(t) - 0xFF10
            elif t.isdigit() and 1 <= int(t) <= 5:
                want = int(t)
            else:
                want = math.nan
            if math.isnan(want):
                assert math.isnan(got[r]), (name, column, r, text)
            else:
                assert got[r] == want, (name, column, r, text)


@pytest.mark.parametrize("name", ["clean.xlsx", "clean.sav", "clean.dta"])
def test_formats_give_the_same_data_as_csv(name):
    base = read("clean.csv")
    other = read(name)
    pd.testing.assert_frame_equal(other.data, base.data)
    pd.testing.assert_frame_equal(other.missing, base.missing)


@pytest.mark.parametrize("name", ["messy.csv", "messy_gbk.csv", "messy.xlsx", "messy.sav"])
def test_encodings_and_formats_give_same_messy_data(name):
    base = read("messy.dta")
    other = read(name)
    pd.testing.assert_frame_equal(other.data, base.data)
    pd.testing.assert_frame_equal(other.missing, base.missing)
    pd.testing.assert_frame_equal(other.raw_problems, base.raw_problems)


def test_columns_matched_by_alias_id_case_and_chinese_alias():
    survey = read("clean.csv")
    assert survey.columns["leader_attention_2"] == "q5"
    assert survey.columns["leader_attention_1"] == "领导注意力1"
    assert survey.columns["env_pressure_3"] == "env_pressure_3"
    assert survey.columns["env_pressure_1"] == "Q1"
    assert survey.id == "respondent_id" and survey.wave == "wave"
    assert survey.group == "department" and survey.covariates == ("gender",)
    assert survey.unknown == ()
    # other columns kept, in input order, items renamed in place
    assert list(survey.data.columns[:5]) == [
        "respondent_id",
        "wave",
        "department",
        "gender",
        "env_pressure_1",
    ]


@pytest.mark.parametrize("name", ["clean.csv", "clean.sav", "clean.dta", "clean.xlsx"])
def test_missing_reasons(name, inst):
    survey = read(name)
    miss = survey.missing
    assert list(miss.columns) == ["row", "item", "column", "value", "code", "reason", "reason_zh"]

    def reason(row: int, alias: str) -> tuple[float, str, str]:
        item = inst.item(alias).id
        hit = miss[(miss["row"] == row) & (miss["item"] == item)]
        assert len(hit) == 1
        rec = hit.iloc[0]
        return rec["code"], rec["reason"], rec["reason_zh"]

    assert reason(7, "Q17") == (9.0, "don't know", "不知道")
    assert reason(8, "Q18") == (8.0, "refused", "拒绝回答")
    assert reason(9, "Q19") == (9.0, "don't know", "不知道")
    assert reason(10, "Q22") == (8.0, "refused", "拒绝回答")
    code, text, text_zh = reason(11, "Q23")
    assert math.isnan(code) and (text, text_zh) == ("no answer", "未作答")
    code, text, text_zh = reason(12, "Q24")  # "(跳过)": the platforms' skip text
    assert math.isnan(code) and (text, text_zh) == ("skipped", "跳过")
    # every NaN item cell has exactly one reason, and nothing else is listed
    n_nan = int(survey.data[survey.items].isna().to_numpy().sum())
    assert len(miss) == n_nan


def test_sav_user_missing_codes_keep_their_reason():
    # in clean.sav the numeric item columns declare 8 and 9 as SPSS user-missing values
    survey = read("clean.sav")
    miss = survey.missing
    hit = miss[(miss["row"] == 7) & (miss["column"] == "Q17")]
    assert hit["code"].tolist() == [9.0]


def test_raw_problems_and_warning():
    with pytest.warns(DroppedDataWarning, match="2 item values"):
        survey = read_survey(DATA / "messy.csv", INSTRUMENT, **ROLES)
    rp = survey.raw_problems
    assert list(rp.columns) == ["row", "column", "value", "kind", "message"]
    assert rp[["row", "column", "value", "kind"]].values.tolist() == [
        [3, "q5", 7.0, "out_of_range"],
        [5, "Q12", "agre", "invalid_value"],
    ]
    assert math.isnan(survey.data.loc[3, "leader_attention_2"])
    assert survey.unknown == ("env_presure_3",)
    assert survey.absent_items == ["implementation_gap_4"]


def test_dataframe_input_keeps_index_and_is_not_changed(inst):
    raw = pd.read_csv(DATA / "messy.csv", dtype=str, keep_default_na=False)
    raw.index = [f"r{k}" for k in range(len(raw))]
    before = raw.copy(deep=True)
    with pytest.warns(DroppedDataWarning):
        survey = read_survey(raw, inst, **ROLES)
    pd.testing.assert_frame_equal(raw, before)
    assert list(survey.data.index) == list(raw.index)
    assert survey.raw_problems["row"].tolist() == ["r3", "r5"]
    assert survey.source is None
    # the result shares no memory with the input
    survey.data.iloc[0, 0] = -1
    pd.testing.assert_frame_equal(raw, before)


def test_label_variants(inst):
    values = [
        "  Strongly AGREE ",
        "非常 同意",
        "5 = strongly agree",
        "(2) Disagree",
        "５",
        "4.0",
        " 3 ",
        "Don’t know",
        "don't know",
        "拒绝回答",
        "N/A",
        "",
        None,
        np.nan,
        pd.NA,
        8,
        9.0,
        2,
        np.int8(3),
    ]
    frame = pd.DataFrame({"Q1": pd.Series(values, dtype=object)})
    with pytest.warns(DroppedDataWarning, match="1 item values"):
        survey = read_survey(frame, inst)
    got = survey.data["env_pressure_1"].tolist()
    want = [5, 5, 5, 2, 5, 4, 3, None, None, None, None, None, None, None, None, None, None, 2, 3]
    for g, w, v in zip(got, want, values, strict=True):
        if w is None:
            assert math.isnan(g), v
        else:
            assert g == w, v
    reasons = survey.missing.set_index("row")["reason"]
    assert reasons[8] == "don't know" and reasons[9] == "refused" and reasons[15] == "refused"
    assert reasons[10] == "no answer" and reasons[12] == "no answer"
    # the typographic apostrophe is not the label: an invalid value, not a guess
    assert survey.raw_problems["row"].tolist() == [7]


def test_bad_values_classified(inst):
    values = [0, 6, 44, -1, 1e300, float("inf"), 3.5, "3.5", "agre", True, [1, 2], 10**400, "1e999"]
    frame = pd.DataFrame({"Q1": pd.Series(values, dtype=object)})
    with pytest.warns(DroppedDataWarning):
        survey = read_survey(frame, inst)
    kinds = survey.raw_problems.set_index("row")["kind"].to_dict()
    assert kinds == {
        0: "out_of_range",
        1: "out_of_range",
        2: "out_of_range",
        3: "out_of_range",
        4: "out_of_range",
        5: "out_of_range",
        6: "invalid_value",
        7: "invalid_value",
        8: "invalid_value",
        9: "invalid_value",
        10: "invalid_value",
        11: "out_of_range",
        12: "out_of_range",
    }
    assert survey.data["env_pressure_1"].isna().all()


def test_id_and_wave_are_tidied(inst):
    frame = pd.DataFrame(
        {"ID": pd.Series(["101", 102, 103.0, " 104 "], dtype=object), "Wave": ["1", "1", "2", "2"]}
    )
    survey = read_survey(frame, inst, id="id", wave="wave")
    assert survey.id == "ID" and survey.wave == "Wave"
    assert survey.data["ID"].tolist() == [101, 102, 103, 104]
    assert survey.data["Wave"].dtype == np.int64
    text = pd.DataFrame({"ID": ["A1", 7, None]})
    assert read_survey(text, inst, id="ID").data["ID"].tolist()[:2] == ["A1", "7"]


def test_bundled_name_path_and_object_are_accepted(inst):
    a = read_survey(DATA / "clean.csv", inst, **ROLES)
    b = read_survey(str(DATA / "clean.csv"), INSTRUMENT, **ROLES)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert repr(a).startswith("SurveyData(instrument='synergy-execution', rows=26")


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda p: p / "data.txt", DataValidationError, "suffix '.txt'"),
        (lambda p: p / "absent.csv", DataValidationError, "no such file"),
        (lambda p: _write(p / "empty.csv", b""), DataValidationError, "empty"),
        (lambda p: _write(p / "bad.csv", b"a,b\n\xff\xfe\xff,1\n"), DataValidationError, "decoded"),
        (lambda p: _write(p / "bad.xlsx", b"not a zip"), DataValidationError, "XLSX"),
        (lambda p: _write(p / "bad.sav", b"not spss"), DataValidationError, "SPSS"),
        (lambda p: _write(p / "bad.dta", b"not stata"), DataValidationError, "Stata"),
    ],
)
def test_unreadable_sources(tmp_path, make, error, match):
    path = make(tmp_path)
    if path.suffix == ".txt":
        path.write_text("x")
    with pytest.raises(error, match=match):
        read_survey(path, INSTRUMENT)


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_argument_errors(inst):
    frame = pd.DataFrame({"Q1": [1, 2], "id": [1, 2]})
    with pytest.raises(DataValidationError, match="not accepted"):
        read_survey([1, 2], inst)
    with pytest.raises(OptionError, match="instrument="):
        read_survey(frame, 42)
    with pytest.raises(InstrumentError):
        read_survey(frame, "no-such-instrument")
    with pytest.raises(DataValidationError, match="id='resp'"):
        read_survey(frame, inst, id="resp")
    with pytest.raises(OptionError, match="id=3"):
        read_survey(frame, inst, id=3)
    with pytest.raises(DataValidationError, match="also an item"):
        read_survey(frame, inst, id="Q1")
    with pytest.raises(DataValidationError, match="same column twice"):
        read_survey(frame, inst, id="id", wave="ID")
    with pytest.raises(DataValidationError, match="both map to item 'env_pressure_1'"):
        read_survey(pd.DataFrame({"Q1": [1], "env_pressure_1": [2]}), inst)
    with pytest.raises(DataValidationError, match="repeat"):
        read_survey(pd.DataFrame([[1, 2]], columns=["Q1", "Q1"]), inst)
    multi = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "Q1"), ("a", "Q2")]))
    with pytest.raises(DataValidationError, match="MultiIndex"):
        read_survey(multi, inst)
    with pytest.raises(DataValidationError, match="neither numbers nor text"):
        read_survey(pd.DataFrame({"id": pd.Series([[1], [2]], dtype=object)}), inst, id="id")
    with pytest.raises(OptionError, match="sheet"):
        read_survey(frame, inst, sheet=1.5)
    with pytest.raises(OptionError, match="covariates"):
        read_survey(frame, inst, covariates=5)
    assert issubclass(DataValidationError, SynergyError)


def test_xlsx_sheet_option(tmp_path, inst):
    path = tmp_path / "two.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"note": ["x"]}).to_excel(xl, sheet_name="about", index=False)
        pd.DataFrame({"Q1": ["同意", 2]}).to_excel(xl, sheet_name="data", index=False)
    assert read_survey(path, inst, sheet="data").data["env_pressure_1"].tolist() == [4.0, 2.0]
    assert read_survey(path, inst, sheet=1).data["env_pressure_1"].tolist() == [4.0, 2.0]
    with pytest.raises(DataValidationError, match="sheet"):
        read_survey(path, inst, sheet="nope")
