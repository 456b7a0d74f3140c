"""Reverse-keyed items are recoded exactly once, however the calls are chained (issue 11).

The right numbers are psych's, frozen in tests/data/measurement/measurement_reference.json
from the wave-1 items of the bundled example recoded once (make_example_items.py).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

import synergy_stats as ss
from synergy_stats.errors import DroppedDataWarning, InstrumentWarning, SynergyWarning
from synergy_stats.intake.recoding import RECODED_KEY, recoded_items

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "measurement" / "measurement_reference.json").read_text())["example"]
REVERSED = ["implementation_gap_3", "implementation_gap_4", "single_dept_difficulty_3"]


@pytest.fixture(scope="module")
def inst():
    return ss.load_instrument("synergy-execution")


@pytest.fixture(scope="module")
def survey(inst):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedDataWarning)
        return ss.read_survey(
            ss.load_example(), inst, id="respondent_id", wave="wave", group="department"
        )


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedDataWarning)
        warnings.simplefilter("error", InstrumentWarning)
        return fn(*args, **kwargs)


def test_readme_recipe_gives_psych_alpha(inst, survey) -> None:
    items = ss.reverse_code(inst, survey)
    assert sorted(items.attrs[RECODED_KEY]) == REVERSED
    w1 = items[items["wave"] == 1]
    assert recoded_items(w1) == set(REVERSED)  # the mark survives row selection
    rel = _quiet(ss.reliability, inst, w1, cfa=False)
    assert rel.attrs["recoded"] == []  # nothing recoded a second time
    for c in ("implementation_gap", "single_dept_difficulty"):
        # was -1.27 for the gap before the fix; psych gives 0.82
        assert_allclose(rel.loc[c, "alpha"], REF["alpha"][c]["raw_alpha"], rtol=0, atol=1e-10)
    it = _quiet(ss.item_statistics, inst, w1, cfa=False)
    for a in REF["alpha"].values():
        for item, v in a["r_drop"].items():
            assert_allclose(it.loc[item, "r_drop"], v, rtol=0, atol=1e-10)


def test_raw_codes_and_recoded_frame_agree_in_every_function(inst, survey) -> None:
    raw = survey.data[survey.data["wave"] == 1]
    rec = ss.reverse_code(inst, survey)
    rec = rec[rec["wave"] == 1]
    for fn in (ss.htmt, ss.cross_loadings):
        a = _quiet(fn, inst, raw)
        b = _quiet(fn, inst, rec)
        num = a.select_dtypes("number").columns
        assert len(num) > 0
        assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float), rtol=0, atol=1e-12)


def test_reverse_code_twice_is_reverse_code_once(inst, survey) -> None:
    once = ss.reverse_code(inst, survey)
    with pytest.warns(SynergyWarning, match="already mark reverse-keyed"):
        twice = ss.reverse_code(inst, once)
    pd.testing.assert_frame_equal(once[REVERSED], twice[REVERSED])


def test_score_of_a_recoded_frame_equals_score_of_raw_codes(inst, survey) -> None:
    rec = ss.reverse_code(inst, survey)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedDataWarning)
        a = ss.score(inst, survey)
        b = ss.score(inst, rec)
    cols = ["single_dept_difficulty", "motivation"]
    assert_allclose(a[cols].to_numpy(), b[cols].to_numpy(), rtol=0, atol=1e-12)
    assert sorted(a.attrs[RECODED_KEY]) == REVERSED


def test_hand_recoded_data_get_the_right_warning(inst, survey) -> None:
    rec = ss.reverse_code(inst, survey)
    hand = rec[rec["wave"] == 1].copy()
    hand.attrs = {}  # recoded by hand: no mark
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ss.reliability(inst, hand, cfa=False)
    msgs = [str(w.message) for w in caught if issubclass(w.category, InstrumentWarning)]
    assert len(msgs) == 1, msgs
    assert "look already reverse-coded" in msgs[0]
    assert "recode_reverse=False" in msgs[0]
    assert "should be recoded" not in msgs[0]


def test_raw_codes_declared_recoded_get_the_right_warning(inst, survey) -> None:
    raw = survey.data[survey.data["wave"] == 1]
    with pytest.warns(InstrumentWarning, match="taken as already recoded"):
        ss.reliability(inst, raw, cfa=False, recode_reverse=False)


def test_forced_second_recoding_warns(inst, survey) -> None:
    rec = ss.reverse_code(inst, survey)
    with pytest.warns(InstrumentWarning, match="a second time"):
        ss.reliability(inst, rec[rec["wave"] == 1], cfa=False, recode_reverse=True)


@pytest.mark.parametrize("bad", [1, 0, "yes", "no"])
def test_recode_reverse_must_be_bool_or_none(inst, survey, bad) -> None:
    with pytest.raises(ss.OptionError, match="recode_reverse"):
        ss.reliability(inst, survey.data, cfa=False, recode_reverse=bad)
