"""score: construct scores against psych::scoreItems (frozen in tests/data/intake)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import synergy_stats as ss
from synergy_stats.errors import DroppedDataWarning, OptionError, SynergyWarning
from synergy_stats.intake import read_survey, score, scored_constructs

DATA = Path(__file__).parent / "data" / "intake"
# made by tests/reference_scripts/intake_score_reference.R (psych 2.2.9)
REF = json.loads((DATA / "score_reference.json").read_text("utf-8"))
ITEMS = pd.read_csv(DATA / "score_items.csv")


def _ref(name: str) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in REF["columns"][name]], dtype=float)


@pytest.fixture(scope="module")
def inst():
    return ss.load_instrument("synergy-execution")


@pytest.fixture(scope="module")
def items_only() -> pd.DataFrame:
    return ITEMS.drop(columns="case")


def test_scored_constructs_match_reference(inst):
    assert scored_constructs(inst) == REF["constructs"]
    assert "results" not in scored_constructs(inst)


@pytest.mark.parametrize(
    ("prefix", "kw"),
    [
        ("mean_half", {}),
        ("sum_half", {"method": "sum"}),
        ("mean_two", {"min_items": 2}),
    ],
)
def test_scores_match_psych(inst, items_only, prefix, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = score(inst, items_only, **kw)
    for construct in REF["constructs"]:
        assert_allclose(
            out[construct].to_numpy(), _ref(f"{prefix}__{construct}"), rtol=1e-12, atol=0
        )
        assert_array_equal(out[f"n_items_{construct}"].to_numpy(), _ref(f"n_items__{construct}"))
    # some scores are NaN because too few items were answered
    assert out[REF["constructs"]].isna().to_numpy().sum() > 0


def test_columns_and_roles(inst):
    frame = ITEMS.rename(columns={"case": "pid"}).head(6).copy()
    frame.insert(1, "t", [1, 1, 1, 2, 2, 2])
    frame.insert(2, "unit", ["a", "b", "a", "b", "a", "b"])
    survey = read_survey(frame, inst, id="pid", wave="t", group="unit")
    out = score(inst, survey)
    names = scored_constructs(inst)
    assert list(out.columns) == ["pid", "t", "unit", *names, *[f"n_items_{c}" for c in names]]
    assert out.index.equals(frame.index)
    assert out["n_items_motivation"].dtype == np.int64


def test_reverse_coding_by_hand(inst):
    # single_dept_difficulty_3 is reverse-keyed on a 1..5 scale
    assert inst.item("single_dept_difficulty_3").reverse
    frame = pd.DataFrame(
        {
            "single_dept_difficulty_1": [5, 1],
            "single_dept_difficulty_2": [4, np.nan],
            "single_dept_difficulty_3": [1, 2],
        }
    )
    with pytest.warns(SynergyWarning, match="no column"):
        out = score(inst, frame)
    assert_allclose(out["single_dept_difficulty"], [(5 + 4 + 5) / 3, (1 + 4) / 2])
    assert out["n_items_single_dept_difficulty"].tolist() == [3, 2]
    # motivation has 9 items, 3 answered: below half -> NaN
    assert out["motivation"].isna().all()
    with pytest.warns(SynergyWarning):
        three = score(inst, frame, min_items=3)
    assert_allclose(three["motivation"], [14 / 3, np.nan])


def test_dataframe_with_bad_values_warns_and_is_not_changed(inst):
    frame = ITEMS.drop(columns="case").head(3).astype(object)
    frame.iloc[0, 0] = 7
    frame.iloc[1, 0] = "同意"
    before = frame.copy(deep=True)
    with pytest.warns(DroppedDataWarning, match="1 item values"):
        out = score(inst, frame)
    pd.testing.assert_frame_equal(frame, before)
    assert out["n_items_env_pressure"].iloc[0] == int(frame.iloc[0, 1:3].notna().sum())


@pytest.mark.parametrize("bad", [0, -1, 1.5, 2.5, float("nan"), float("inf"), True, "0.5", None])
def test_min_items_rejected(inst, items_only, bad):
    with pytest.raises(OptionError, match="min_items"):
        score(inst, items_only, min_items=bad)


def test_min_items_count_above_construct_size(inst, items_only):
    with pytest.raises(OptionError, match="env_pressure"):
        score(inst, items_only, min_items=4)


def test_method_rejected(inst, items_only):
    with pytest.raises(OptionError, match="method='median'"):
        score(inst, items_only, method="median")


def test_reverse_code_recodes_only_reverse_keyed_items(inst):
    import synergy_stats as ss

    survey = ss.read_survey(
        ss.load_example(),
        inst,
        id="respondent_id",
        wave="wave",
        group="department",
        covariates=["gender", "rank", "tenure_years"],
    )
    before = survey.data.copy(deep=True)
    recoded = ss.reverse_code(inst, survey)
    pd.testing.assert_frame_equal(survey.data, before)
    for item in inst.items:
        raw = survey.data[item.id].astype(float)
        expected = (6 - raw) if item.reverse else raw
        pd.testing.assert_series_equal(recoded[item.id], expected, check_names=False)
    assert list(recoded.columns) == list(survey.data.columns)
