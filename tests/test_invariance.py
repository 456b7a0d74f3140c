"""Measurement invariance against frozen lavaan/semTools output.

References: tests/data/lavaan_reference.json (hs_invariance_school, lavaan 0.6-14) and
tests/data/panel/panel_reference.json (tests/reference_scripts/make_panel_reference.R:
lavTestScore, lavTestLRT with Satorra-Bentler 2001/2010, semTools measEq.syntax ladder).
Tolerances: chi-square 1e-3, fit indices 1e-4, estimates and standard errors 1e-4.
"""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from synergy_stats.errors import (
    DataValidationError,
    OptionError,
    SpecificationError,
)
from synergy_stats.panel.difference import difference_test, release_score_tests
from synergy_stats.panel.invariance import (
    DELTA_CFI,
    DELTA_RMSEA,
    TABLE_COLUMNS,
    _families,
    instrument_cfa,
    measurement_invariance,
)
from synergy_stats.panel.longitudinal import longitudinal_cfa
from synergy_stats.structural.api import cfa
from synergy_stats.structural.syntax import parse_model

DATA = Path(__file__).parent / "data"
LAVAAN = json.loads((DATA / "lavaan_reference.json").read_text())
PANEL = json.loads((DATA / "panel" / "panel_reference.json").read_text())
HS_MODEL = LAVAAN["hs_invariance_school"]["model"]
LONG_MODEL = "A =~ a_1 + a_2 + a_3\nB =~ b_1 + b_2 + b_3"
FM_NAMES = {
    "chisq.scaled": "chisq_scaled",
    "chisq.scaling.factor": "scaling_factor",
    "cfi.robust": "cfi_robust",
    "tli.robust": "tli_robust",
    "rmsea.robust": "rmsea_robust",
    "pvalue.scaled": "pvalue_scaled",
    "df.scaled": "df_scaled",
    "logl": "loglik",
}


def _tol(name: str) -> float:
    return 1e-3 if name.startswith("chisq") or name in ("aic", "bic", "logl") else 1e-4


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(DATA / "holzinger_swineford_1939.csv")


@pytest.fixture(scope="module")
def hs_ladder(hs: pd.DataFrame):
    return measurement_invariance(HS_MODEL, hs, group="school", partial=False)


@pytest.fixture(scope="module")
def hs_partial(hs: pd.DataFrame):
    return measurement_invariance(HS_MODEL, hs, group="school")


@pytest.fixture(scope="module")
def long_items() -> pd.DataFrame:
    return pd.read_csv(DATA / "panel" / "longinv_long.csv")


@pytest.fixture(scope="module")
def long_ladder(long_items: pd.DataFrame):
    return measurement_invariance(LONG_MODEL, long_items, wave="wave", id="id")


# ---------------------------------------------------------------------- HS by school
@pytest.mark.parametrize("level", ["configural", "metric", "scalar", "strict"])
def test_hs_levels_fit_measures(hs_ladder, level):
    ref = LAVAAN["hs_invariance_school"]["levels"][level]["fit_measures"]
    fm = hs_ladder.fits[level].fit_measures()
    for name, value in ref.items():
        assert_allclose(fm[name], value, atol=_tol(name), rtol=0, err_msg=name)


@pytest.mark.parametrize("level", ["configural", "metric", "scalar", "strict"])
def test_hs_levels_estimates(hs_ladder, level):
    ref = pd.DataFrame(LAVAAN["hs_invariance_school"]["levels"][level]["estimates"])
    est = hs_ladder.fits[level].estimates()
    merged = est.merge(ref, on=["lhs", "op", "rhs", "group"], suffixes=("", "_r"))
    assert len(merged) == len(ref) == len(est)
    assert_allclose(merged["est"], merged["est_r"], atol=1e-4)
    se_r = merged["se_r"].where(merged["se_r"] != 0)  # lavaan's 0 = fixed
    assert_allclose(merged["se"], se_r, atol=1e-4)


def test_hs_table_layout_and_differences(hs_ladder):
    tab = hs_ladder.table()
    assert list(tab.columns) == TABLE_COLUMNS
    assert list(tab.index) == ["configural", "metric", "scalar", "strict"]
    assert tab.index.name == "level"
    ref = {k: v["fit_measures"] for k, v in LAVAAN["hs_invariance_school"]["levels"].items()}
    levels = list(ref)
    for prev, cur in itertools.pairwise(levels):
        d = ref[cur]["chisq"] - ref[prev]["chisq"]
        ddf = ref[cur]["df"] - ref[prev]["df"]
        assert_allclose(tab.loc[cur, "delta_chisq"], d, atol=1e-3)
        assert tab.loc[cur, "delta_df"] == ddf
        assert_allclose(tab.loc[cur, "pvalue"], stats.chi2.sf(d, ddf), atol=1e-6)
        assert_allclose(tab.loc[cur, "delta_cfi"], ref[cur]["cfi"] - ref[prev]["cfi"], atol=1e-4)
        assert_allclose(
            tab.loc[cur, "delta_rmsea"], ref[cur]["rmsea"] - ref[prev]["rmsea"], atol=1e-4
        )
    assert np.isnan(tab.loc["configural", "delta_chisq"])
    # lavaan: scalar loses .038 CFI against metric -> rejected; metric accepted
    assert list(tab["decision"]) == ["baseline", "accept", "reject", "not established"]


def test_rule_is_stated(hs_ladder):
    assert DELTA_CFI == 0.01 and DELTA_RMSEA == 0.015
    assert "Cheung & Rensvold 2002" in hs_ladder.rule and "Chen 2007" in hs_ladder.rule
    assert "AND" in hs_ladder.rule


# ---------------------------------------------------------------------- score tests
@pytest.mark.parametrize(
    ("level", "equal"), [("metric", ["loadings"]), ("scalar", ["loadings", "intercepts"])]
)
def test_score_tests_match_lavtestscore(hs, level, equal):
    ref = PANEL["hs_school"][f"score_{level}"]
    fit = cfa(HS_MODEL, hs, group="school", group_equal=equal)
    fams = {}
    for kind in ("loadings", "intercepts"):
        for fam in _families(fit, kind, "group", "_w", {}):
            fams[fam.relation] = fam.rows
    got = release_score_tests(fit, [fams[r] for r in ref["relation"]])
    assert [df for _, df in got] == [1] * len(ref["relation"])
    assert_allclose([s for s, _ in got], ref["X2"], atol=1e-4, rtol=1e-5)


def test_partial_search_matches_lavaan_loop(hs_partial):
    ref = PANEL["hs_school"]["partial_scalar"]
    assert list(hs_partial.freed["scalar"]) == ref["freed"]
    fm = hs_partial.fits["scalar"].fit_measures()
    for name, value in ref["fit_measures"].items():
        assert_allclose(fm[name], value, atol=_tol(name), rtol=0, err_msg=name)
    assert hs_partial.decisions["scalar"] == "partial"
    search = hs_partial.search
    assert list(search.loc[search["step"] > 0, "freed"]) == ref["freed"]
    assert bool(search["accepted"].iloc[-1])
    # strict is tested on top of the partial scalar model (x3, x7 intercepts stay free)
    strict = hs_partial.fits["strict"]
    fm = strict.fit_measures()
    assert fm["npar"] == 41


# ---------------------------------------------------------------------- MLR
@pytest.fixture(scope="module")
def hs_mlr(hs):
    return measurement_invariance(
        HS_MODEL,
        hs,
        group="school",
        estimator="MLR",
        levels=("configural", "metric", "scalar"),
        partial=False,
    )


@pytest.mark.parametrize("level", ["configural", "metric", "scalar"])
def test_mlr_fit_measures(hs_mlr, level):
    ref = PANEL["hs_school"]["mlr_fit_measures"][level]
    fm = hs_mlr.fits[level].fit_measures()
    for name, value in ref.items():
        assert_allclose(fm[FM_NAMES.get(name, name)], value, atol=_tol(name), rtol=0, err_msg=name)


@pytest.mark.parametrize(
    ("restricted", "full", "key"),
    [
        ("metric", "configural", "mlr_metric_vs_configural"),
        ("scalar", "metric", "mlr_scalar_vs_metric"),
    ],
)
@pytest.mark.parametrize("method", ["satorra.bentler.2001", "satorra.bentler.2010"])
def test_mlr_scaled_difference(hs_mlr, restricted, full, key, method):
    ref = PANEL["hs_school"][f"{key}_sb{method[-4:]}"]
    t = difference_test(hs_mlr.fits[restricted], hs_mlr.fits[full], method=method)
    assert_allclose(t.chisq_diff, ref["chisq_diff"], atol=1e-3)
    assert t.df_diff == ref["df_diff"]
    assert_allclose(t.pvalue, ref["pvalue"], atol=1e-5)


def test_mlr_table_uses_scaled_and_robust(hs_mlr):
    tab = hs_mlr.table()
    ref = PANEL["hs_school"]
    assert_allclose(
        tab.loc["metric", "chisq"], ref["mlr_fit_measures"]["metric"]["chisq.scaled"], atol=1e-3
    )
    assert_allclose(
        tab.loc["metric", "cfi"], ref["mlr_fit_measures"]["metric"]["cfi.robust"], atol=1e-4
    )
    assert_allclose(
        tab.loc["metric", "delta_chisq"],
        ref["mlr_metric_vs_configural_sb2001"]["chisq_diff"],
        atol=1e-3,
    )
    assert_allclose(
        tab.loc["scalar", "pvalue"], ref["mlr_scalar_vs_metric_sb2001"]["pvalue"], atol=1e-5
    )


def test_difference_test_standard_under_ml(hs_ladder):
    t = difference_test(hs_ladder.fits["metric"], hs_ladder.fits["configural"])
    assert t.method == "standard"
    with pytest.raises(SpecificationError, match="MLR"):
        difference_test(
            hs_ladder.fits["metric"], hs_ladder.fits["configural"], method="satorra.bentler.2001"
        )
    with pytest.raises(OptionError):
        difference_test(hs_ladder.fits["metric"], hs_ladder.fits["configural"], method="sb")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- longitudinal
@pytest.mark.parametrize("level", ["configural", "metric", "scalar", "strict"])
def test_longitudinal_levels_match_measeq(long_items, level):
    res = measurement_invariance(
        LONG_MODEL, long_items, wave="wave", id="id", levels=(level,), partial=False
    )
    ref = PANEL["longitudinal_invariance"]["levels"][level]
    fm = res.fits[level].fit_measures()
    for name, value in ref.items():
        assert_allclose(fm[name], value, atol=_tol(name), rtol=0, err_msg=name)


def test_longitudinal_score_tests(long_ladder):
    ref = PANEL["longitudinal_invariance"]["scalar_intercept_scores"]
    fit = long_ladder.full_fits["scalar"]
    fams = {f.item: f.rows for f in _families(fit, "intercepts", "wave", "_w", {})}
    got = release_score_tests(fit, [fams[k] for k in ref])
    assert [df for _, df in got] == [v["df"] for v in ref.values()]
    assert_allclose([s for s, _ in got], [v["X2"] for v in ref.values()], atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("level", ["configural", "scalar"])
def test_longitudinal_fiml_attrition(level):
    data = pd.read_csv(DATA / "panel" / "longinv_attrition_long.csv")
    ref = PANEL["longitudinal_invariance_fiml"]
    res = measurement_invariance(
        LONG_MODEL, data, wave="wave", id="id", missing="fiml", levels=(level,), partial=False
    )
    fit = res.fits[level]
    assert fit.nobs == ref["ntotal"]
    fm = fit.fit_measures()
    for name, value in ref["levels"][level].items():
        assert_allclose(fm[name], value, atol=_tol(name), rtol=0, err_msg=name)
    if level == "scalar":
        scores = ref["scalar_intercept_scores"]
        fams = {f.item: f.rows for f in _families(fit, "intercepts", "wave", "_w", {})}
        got = release_score_tests(fit, [fams[k] for k in scores])
        assert_allclose(
            [s for s, _ in got], [v["X2"] for v in scores.values()], atol=1e-4, rtol=1e-5
        )


def test_longitudinal_partial_scalar(long_ladder):
    assert long_ladder.mode == "wave"
    assert long_ladder.freed["scalar"] == ("a_2 ~ 1",)
    ref = PANEL["longitudinal_invariance"]["partial_scalar_a_2"]
    fm = long_ladder.fits["scalar"].fit_measures()
    for name, value in ref.items():
        assert_allclose(fm[name], value, atol=_tol(name), rtol=0, err_msg=name)
    assert list(long_ladder.table()["decision"]) == ["baseline", "accept", "partial", "accept"]
    # the full scalar model (a_2 intercept equal over waves) was rejected first
    first = long_ladder.search.iloc[0]
    assert first["step"] == 0 and not first["accepted"]


def test_longitudinal_syntax():
    lm = longitudinal_cfa(parse_model(LONG_MODEL), 3, level="scalar", free=["a_3 ~ 1"])
    text = lm.spec.to_syntax()
    assert "A_w2 =~ a_1_w2 + lam_a_2*a_2_w2 + lam_a_3*a_3_w2" in text
    assert "a_1_w1 ~~ a_1_w2 + a_1_w3" in text
    assert "a_2_w3 ~ nu_a_2*1" in text and "a_3_w3 ~ 1" in text
    assert "A_w2 ~ 1" in text and "A_w1 ~ 1" not in text
    assert lm.labels["nu_a_2"] == ("intercepts", "a_2 ~ 1")
    assert "nu_a_3" not in lm.labels
    with pytest.raises(SpecificationError, match="n_waves"):
        longitudinal_cfa(parse_model(LONG_MODEL), 1)


# ---------------------------------------------------------------------- instrument input
def test_instrument_first_order_model():
    from synergy_stats.instrument import load_instrument

    inst = load_instrument("synergy-execution")
    spec = instrument_cfa(inst, constructs=["results"])
    assert spec.latent_variables == ("synergy_effect", "implementation_gap")
    assert spec.observed_variables == tuple(inst.items_of("results"))
    spec_all = instrument_cfa(inst)
    assert set(spec_all.latent_variables) == set(inst.factors())
    with pytest.raises(SpecificationError, match="outcome"):
        instrument_cfa(inst, constructs=["outcome"])


# ---------------------------------------------------------------------- bad input
def test_group_with_too_few_rows(hs):
    small = pd.concat([hs, hs.iloc[:5].assign(school="Tiny")], ignore_index=True)
    with pytest.raises(DataValidationError, match="Tiny"):
        measurement_invariance(HS_MODEL, small, group="school")


def test_ids_duplicated_within_wave(long_items):
    dup = pd.concat([long_items, long_items.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataValidationError, match="more than once within a wave"):
        measurement_invariance(LONG_MODEL, dup, wave="wave", id="id")


def test_item_constant_in_a_wave(long_items):
    const = long_items.copy()
    const.loc[const["wave"] == 2, "b_3"] = 3.0
    with pytest.raises(DataValidationError, match=r"'b_3' is constant at wave 2"):
        measurement_invariance(LONG_MODEL, const, wave="wave", id="id")
    assert long_items["b_3"].nunique() > 1  # caller's frame untouched


def test_item_constant_in_a_group(hs):
    const = hs.copy()
    const.loc[const["school"] == "Pasteur", "x5"] = 2.0
    with pytest.raises(DataValidationError, match="constant"):
        measurement_invariance(HS_MODEL, const, group="school")


def test_option_errors(hs, long_items):
    with pytest.raises(OptionError, match="group="):
        measurement_invariance(HS_MODEL, hs)
    with pytest.raises(OptionError, match="not both"):
        measurement_invariance(HS_MODEL, hs, group="school", wave="wave", id="id")
    with pytest.raises(OptionError, match="both wave= and id="):
        measurement_invariance(LONG_MODEL, long_items, wave="wave")
    with pytest.raises(OptionError, match="order"):
        measurement_invariance(HS_MODEL, hs, group="school", levels=("scalar", "metric"))
    with pytest.raises(OptionError):
        measurement_invariance(HS_MODEL, hs, group="school", estimator="WLS")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="constructs="):
        measurement_invariance(HS_MODEL, hs, group="school", constructs=["visual"])


def test_unknown_item(hs):
    with pytest.raises(SpecificationError, match="x99"):
        measurement_invariance("f =~ x1 + x2 + x99", hs, group="school")


def test_data_not_modified(hs):
    before = hs.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        measurement_invariance(HS_MODEL, hs, group="school", levels=("configural", "metric"))
    pd.testing.assert_frame_equal(hs, before)
