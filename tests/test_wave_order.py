"""Waves are ordered by meaning, never by spelling (issue 11)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from numpy.testing import assert_allclose

import synergy_stats as ss
from synergy_stats.errors import DataValidationError, OptionError
from synergy_stats.panel.reshape import order_waves, reshape_panel

CN = {1: "第一轮", 2: "第二轮", 3: "第三轮"}


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([3, 1, 2], [1, 2, 3]),
        ([2.0, 10.0, 1.0], [1.0, 2.0, 10.0]),
        (["10", "9", "1"], ["1", "9", "10"]),
        (["第一轮", "第三轮", "第二轮"], ["第一轮", "第二轮", "第三轮"]),
        (["第十一轮", "第九轮", "第十轮"], ["第九轮", "第十轮", "第十一轮"]),
        (["第2轮", "第10轮", "第1轮"], ["第1轮", "第2轮", "第10轮"]),
        (["Wave 10", "Wave 2", "Wave 1"], ["Wave 1", "Wave 2", "Wave 10"]),
        (["T3", "T1", "T2"], ["T1", "T2", "T3"]),
        (["Ｔ２", "Ｔ１"], ["Ｔ１", "Ｔ２"]),  # full-width
        (["2023-05", "2022-11", "2024-01"], ["2022-11", "2023-05", "2024-01"]),
        (["2023/5/1", "2022/11/30"], ["2022/11/30", "2023/5/1"]),
    ],
)
def test_labels_are_ordered_by_meaning(labels, expected) -> None:
    assert list(order_waves(labels)) == expected


@pytest.mark.parametrize("labels", [["baseline", "follow-up"], ["T1", "Wave 2"], ["第一轮", "x"]])
def test_an_order_that_cannot_be_inferred_asks_for_wave_order(labels) -> None:
    with pytest.raises(DataValidationError, match=r"wave_order=\[\.\.\.\]"):
        order_waves(labels)


def test_declared_order_wins_and_must_cover_the_data() -> None:
    assert order_waves(["post", "pre"], ["pre", "post"]) == ("pre", "post")
    with pytest.raises(DataValidationError, match="does not list"):
        order_waves(["pre", "mid", "post"], ["pre", "post"])
    with pytest.raises(OptionError, match="wave_order"):
        order_waves(["a"], "a")
    with pytest.raises(OptionError, match="twice"):
        order_waves(["a"], ["a", "a"])


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return ss.simulate_riclpm(
        400,
        ["x", "y"],
        3,
        lags={("x", "y"): 0.35, ("y", "x"): 0.0},
        seed=11,
    )


def _lag(fit, source: str, target: str) -> float:
    lags = fit.cross_lagged()
    row = lags[(lags["source"] == source) & (lags["target"] == target)]
    return float(row["est"].iloc[0])


def test_riclpm_lag_does_not_flip_with_chinese_wave_labels(panel: pd.DataFrame) -> None:
    wave_col, id_col = "wave", "id"
    cn = panel.assign(**{wave_col: panel[wave_col].map(CN)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ss.SynergyWarning)
        numeric = ss.riclpm(panel, ["x", "y"], id=id_col, wave=wave_col)
        labelled = ss.riclpm(cn, ["x", "y"], id=id_col, wave=wave_col)
        # what string sorting did before: 第一轮, 第三轮, 第二轮
        spelled = cn.assign(
            **{wave_col: pd.Categorical(cn[wave_col], categories=sorted(CN.values()), ordered=True)}
        )
        wrong = ss.riclpm(spelled, ["x", "y"], id=id_col, wave=wave_col)
    right = _lag(numeric, "x", "y")
    assert right > 0.2
    assert_allclose(_lag(labelled, "x", "y"), right, rtol=0, atol=1e-8)
    assert abs(_lag(wrong, "x", "y") - right) > 0.1  # the order matters: the test can fail
    assert_allclose(labelled.fit_measures()["chisq"], numeric.fit_measures()["chisq"], atol=1e-6)


def test_read_survey_orders_waves_from_the_call_and_the_codebook() -> None:
    inst = ss.load_instrument("synergy-execution")
    raw = ss.load_example()
    raw = raw.assign(wave=raw["wave"].map(CN))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ss.DroppedDataWarning)
        inferred = ss.read_survey(raw, inst, id="respondent_id", wave="wave")
        declared = ss.read_survey(
            raw.assign(wave=raw["wave"].map({"第一轮": "pre", "第二轮": "mid", "第三轮": "post"})),
            inst,
            id="respondent_id",
            wave="wave",
            wave_order=["pre", "mid", "post"],
        )
        from_codebook = ss.read_survey(
            raw.assign(wave=raw["wave"].map({"第一轮": "pre", "第二轮": "mid", "第三轮": "post"})),
            ss.Instrument.from_dict({**inst.to_dict(), "wave_order": ["pre", "mid", "post"]}),
            id="respondent_id",
            wave="wave",
        )
    assert list(inferred.data["wave"].cat.categories) == ["第一轮", "第二轮", "第三轮"]
    assert list(declared.data["wave"].cat.categories) == ["pre", "mid", "post"]
    assert list(from_codebook.data["wave"].cat.categories) == ["pre", "mid", "post"]
    scores = ss.score(inst, inferred).drop_duplicates(["respondent_id", "wave"])
    p = reshape_panel(scores, id="respondent_id", wave="wave", variables=["mechanism"])
    assert p.waves == ("第一轮", "第二轮", "第三轮")


def test_codebook_wave_order_is_checked() -> None:
    inst = ss.load_instrument("synergy-execution").to_dict()
    with pytest.raises(ss.InstrumentError, match="wave_order"):
        ss.Instrument.from_dict({**inst, "wave_order": ["a", "a"]})
    with pytest.raises(ss.InstrumentError, match="wave_order"):
        ss.Instrument.from_dict({**inst, "wave_order": "a"})
