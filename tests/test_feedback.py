"""The feedback test (LRT and Wald of a construct's cross-lags) against frozen lavaan output.

lavaan's ``lavTestLRT(restricted, full)`` (Satorra-Bentler 2001 under MLR; 2010 on request)
and ``lavTestWald(full, "lab == 0")``; see tests/reference_scripts/make_panel_reference.R.
Tolerances: chi-square 1e-3 (statistics), p-values 1e-5.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from synergy_stats.errors import OptionError
from synergy_stats.panel.difference import difference_test
from synergy_stats.panel.models import feedback_test, riclpm

DATA = Path(__file__).parent / "data"
LAVAAN = json.loads((DATA / "lavaan_reference.json").read_text())
PANEL = json.loads((DATA / "panel" / "panel_reference.json").read_text())
CONS = ["mechanism", "process", "results"]


def check(test, lrt: dict, wald: dict) -> None:
    assert_allclose(test.chisq_diff, lrt["chisq_diff"], atol=1e-3)
    assert test.df_diff == lrt["df_diff"]
    assert_allclose(test.pvalue, lrt["pvalue"], atol=1e-5)
    assert_allclose(test.wald_stat, wald["stat"], atol=1e-3)
    assert test.wald_df == wald["df"]
    assert_allclose(test.wald_pvalue, wald["p.value"], atol=1e-5)


@pytest.fixture(scope="module")
def long3() -> pd.DataFrame:
    return pd.read_csv(DATA / "panel" / "riclpm_3c4w_long.csv")


def test_bivariate_reference():
    long = pd.read_csv(DATA / "panel_sim_long.csv")
    fit = riclpm(long, ["mechanism", "results"], id="id", wave="wave")
    ref = LAVAAN["riclpm_bivariate"]
    test = feedback_test(fit, "results", ["mechanism"])
    check(test, ref["feedback_test"], ref["wald_arm"])
    assert test.parameters == ("cl_results_mechanism",)
    s = test.to_series()
    assert list(s.index) == [
        "chisq_diff",
        "df_diff",
        "pvalue",
        "wald_stat",
        "wald_df",
        "wald_pvalue",
    ]
    assert test["pvalue"] == test.pvalue
    # the restricted model has the lag fixed to 0
    est = test.restricted.estimates()
    lag = est[
        (est["op"] == "~") & (est["rhs"] == "w_results_w1") & (est["lhs"] == "w_mechanism_w2")
    ]
    assert float(lag["est"].iloc[0]) == 0.0 and pd.isna(lag["se"].iloc[0])


def test_three_constructs_two_targets(long3):
    fit = riclpm(long3, CONS, id="id", wave="wave")
    ref = PANEL["riclpm_3c4w_ml"]
    test = fit.feedback_test("results", ["mechanism", "process"])
    check(test, ref["feedback"], ref["wald"])
    assert test.targets == ("mechanism", "process") and test.method == "standard"
    default = feedback_test(fit, "results")  # default: every other construct
    assert default.targets == ("mechanism", "process")
    assert_allclose(default.chisq_diff, test.chisq_diff, rtol=1e-10)


def test_time_varying_lags(long3):
    fit = riclpm(long3, CONS, id="id", wave="wave", time_invariant=False)
    ref = PANEL["riclpm_3c4w_timevarying"]
    test = feedback_test(fit, "results", "mechanism")
    check(test, ref["feedback"], ref["wald"])
    assert test.df_diff == 3


def test_mlr_scaled(long3):
    fit = riclpm(long3, CONS, id="id", wave="wave", estimator="MLR")
    ref = PANEL["riclpm_3c4w_mlr"]
    test = feedback_test(fit, "results", ["mechanism", "process"])
    check(test, ref["feedback_sb2001"], ref["wald"])
    assert test.method == "satorra.bentler.2001"
    fm0 = test.restricted.fit_measures()
    assert_allclose(fm0["chisq_scaled"], ref["restricted_fit_measures"]["chisq.scaled"], atol=1e-3)
    assert_allclose(
        fm0["scaling_factor"], ref["restricted_fit_measures"]["chisq.scaling.factor"], atol=1e-4
    )
    sb10 = difference_test(test.restricted, fit.fit, method="satorra.bentler.2010")
    assert_allclose(sb10.chisq_diff, ref["feedback_sb2010"]["chisq_diff"], atol=1e-3)
    assert_allclose(sb10.pvalue, ref["feedback_sb2010"]["pvalue"], atol=1e-5)


def test_fiml_attrition():
    long = pd.read_csv(DATA / "panel" / "riclpm_3c4w_attrition_long.csv")
    fit = riclpm(long, CONS, id="id", wave="wave", missing="fiml")
    ref = PANEL["riclpm_3c4w_fiml"]
    check(feedback_test(fit, "results", ["mechanism", "process"]), ref["feedback"], ref["wald"])


@pytest.mark.parametrize("level", ["item", "construct"])
def test_multiple_indicators(level):
    long = pd.read_csv(DATA / "panel" / "mi_riclpm_long.csv")
    items = {c: [f"{c}_{j}" for j in (1, 2, 3)] for c in ("mechanism", "results")}
    fit = riclpm(
        long,
        ["mechanism", "results"],
        id="id",
        wave="wave",
        indicators=items,
        random_intercepts=level,
    )
    ref = PANEL[f"mi_riclpm_{level}"]
    check(feedback_test(fit, "results", "mechanism"), ref["feedback"], ref["wald"])


def test_bad_arguments(long3):
    fit = riclpm(long3, CONS, id="id", wave="wave")
    with pytest.raises(OptionError, match="source='outcome'"):
        feedback_test(fit, "outcome")
    with pytest.raises(OptionError, match="targets"):
        feedback_test(fit, "results", ["mechanism", "outcome"])
    with pytest.raises(OptionError, match="autoregression"):
        feedback_test(fit, "results", ["results"])
    with pytest.raises(OptionError, match="riclpm"):
        feedback_test(fit.fit, "results")  # type: ignore[arg-type]
