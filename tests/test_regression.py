"""Regressions and nesting helpers against frozen R references (multilevel, MASS, lme4, sandwich).

References: tests/reference_scripts/make_multilevel_reference.R ->
tests/data/tables/multilevel_reference.json (data: multilevel_sample.csv).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from synergy_stats.errors import DataValidationError, DroppedDataWarning, OptionError
from synergy_stats.regression import (
    as_result,
    design_effect,
    icc,
    logit,
    mixedlm,
    ordered_logit,
    probit,
    regress,
    rwg,
    rwg_j,
)

DATA = Path(__file__).parent / "data" / "tables"


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((DATA / "multilevel_reference.json").read_text())


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return pd.read_csv(DATA / "multilevel_sample.csv")


def _na(values: list) -> np.ndarray:
    return np.array([np.nan if v == "NA" else v for v in values], dtype=float)


# --- nesting helpers --------------------------------------------------------------------


def test_icc_matches_multilevel(df, ref):
    out = icc(df, value="y", group="dept")
    assert_allclose(out["icc1"], ref["icc"]["icc1"], rtol=1e-10)
    assert_allclose(out["icc2"], ref["icc"]["icc2"], rtol=1e-10)
    assert out["n_groups"] == 15


def test_icc_drops_missing_with_warning(df, ref):
    with pytest.warns(DroppedDataWarning, match="2 of"):
        out = icc(df, value="i2", group="dept")
    assert_allclose(out["icc1"], ref["icc_i2"]["icc1"], rtol=1e-10)
    assert_allclose(out["icc2"], ref["icc_i2"]["icc2"], rtol=1e-10)


def test_icc_does_not_mutate(df):
    before = df.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedDataWarning)
        icc(df, value="i2", group="dept")
    pd.testing.assert_frame_equal(df, before)


def test_design_effect_formula():
    assert design_effect(0.1, 21) == pytest.approx(3.0)
    assert design_effect(0.0, 50) == pytest.approx(1.0)
    with pytest.raises(OptionError, match="icc1"):
        design_effect(1.5, 10)
    with pytest.raises(OptionError, match="mean_cluster_size"):
        design_effect(0.1, 0.5)


@pytest.mark.parametrize("col", ["i1", "i2"])
def test_rwg_matches_multilevel(df, ref, col):
    r = ref[f"rwg_{col}"]
    if col == "i2":
        with pytest.warns(DroppedDataWarning):
            out = rwg(df, value=col, group="dept")
    else:
        out = rwg(df, value=col, group="dept")
    assert list(out.index) == r["grpid"]
    assert_allclose(out["rwg"].to_numpy(), _na(r["rwg"]), rtol=1e-10)
    assert list(out["gsize"]) == r["gsize"]
    # the department answering at random is truncated at 0, the singleton is NaN
    assert out.loc["d01", "rwg"] == 0.0
    assert np.isnan(out.loc["d15", "rwg"])


def test_rwg_custom_null(df, ref):
    out = rwg(df, items=["i3"], group="dept", null=1.34)
    assert_allclose(out["rwg"].to_numpy(), _na(ref["rwg_i3_skew"]["rwg"]), rtol=1e-10)


def test_rwg_j_matches_multilevel(df, ref):
    with pytest.warns(DroppedDataWarning, match="2 of"):
        out = rwg_j(df, items=["i1", "i2", "i3"], group="dept")
    assert_allclose(out["rwg_j"].to_numpy(), _na(ref["rwg_j"]["rwg_j"]), rtol=1e-10)
    assert list(out["gsize"]) == ref["rwg_j"]["gsize"]
    with pytest.warns(DroppedDataWarning):
        via_rwg = rwg(df, items=["i1", "i2", "i3"], group="dept")
    assert_allclose(via_rwg["rwg"], out["rwg_j"])


def test_rwg_bad_options(df):
    with pytest.raises(OptionError, match="exactly one"):
        rwg(df, group="dept")
    with pytest.raises(OptionError, match="null"):
        rwg(df, value="i1", group="dept", null="normal")
    with pytest.raises(OptionError, match="scale_points"):
        rwg(df, value="i1", group="dept", scale_points=1)
    with pytest.raises(DataValidationError, match="nope"):
        rwg(df, value="nope", group="dept")


# --- regressions against R --------------------------------------------------------------


def test_ols_cluster_matches_sandwich(df, ref):
    fit = regress("y ~ x", df, cov_type="cluster", cluster="dept")
    est = fit.estimates()
    assert_allclose(est["est"], ref["ols_cluster"]["coef"], rtol=1e-10)
    assert_allclose(est["se"], ref["ols_cluster"]["se"], rtol=1e-8)
    assert fit.n_clusters == 15
    assert fit.se_type() == "Clustered by dept (15)"
    fm = fit.fit_measures()
    assert fm["n_clusters"] == 15
    assert fm["r2"] == pytest.approx(fit.raw.rsquared)


def test_ols_hc3_matches_sandwich(df, ref):
    fit = regress("y ~ x", df, cov_type="HC3")
    assert_allclose(fit.estimates()["se"], ref["ols_hc3"]["se"], rtol=1e-8)


def test_wls_matches_lm_weights(df, ref):
    fit = regress("y ~ x", df, weights="w")
    assert fit.model == "wls"
    assert_allclose(fit.estimates()["est"], ref["wls"]["coef"], rtol=1e-10)
    assert_allclose(fit.estimates()["se"], ref["wls"]["se"], rtol=1e-8)


def test_ordered_logit_matches_polr(df, ref):
    fit = ordered_logit("yo ~ x", df)
    est = fit.estimates()
    coef = est[est["kind"] == "coef"]
    thr = est[est["kind"] == "threshold"]
    assert_allclose(coef["est"], ref["polr"]["coef"], rtol=1e-4)
    assert_allclose(thr["est"], ref["polr"]["zeta"], rtol=1e-4)
    assert_allclose(est["se"], ref["polr"]["se"], rtol=1e-3)
    assert list(thr["term"]) == ["1|2", "2|3", "3|4"]
    assert fit.fit_measures()["loglik"] == pytest.approx(ref["polr"]["loglik"], rel=1e-7)


def test_mixedlm_matches_lmer(df, ref):
    fit = mixedlm("y ~ x", df, groups="dept", reml=True)
    est = fit.estimates()
    coef = est[est["kind"] == "coef"]
    assert_allclose(coef["est"], ref["lmer_reml"]["fixef"], rtol=1e-4)
    # statsmodels and lme4 differ slightly in the information matrix used for fixed-effect SEs
    assert_allclose(coef["se"], ref["lmer_reml"]["se"], rtol=5e-3)
    var = est.set_index("term")["est"]
    # both optimisers stop within ~1e-4 of the REML optimum
    assert_allclose(var["Var(dept)"], ref["lmer_reml"]["group_var"], rtol=1e-3)
    assert_allclose(var["Var(Residual)"], ref["lmer_reml"]["resid_var"], rtol=1e-3)
    # variance on the variance scale, straight from cov_re (statsmodels' params is a ratio)
    assert var["Var(dept)"] == float(fit.raw.cov_re.iloc[0, 0])
    assert var["Var(dept)"] != pytest.approx(float(fit.raw.params.iloc[-1]))
    fm = fit.fit_measures()
    assert fm["loglik"] == pytest.approx(ref["lmer_reml"]["loglik"], rel=1e-6)
    assert np.isnan(fm["aic"]) and np.isnan(fm["bic"])


def test_mixedlm_ml_information_criteria(df, ref):
    fit = mixedlm("y ~ x", df, groups="dept", reml=False)
    fm = fit.fit_measures()
    assert_allclose(fm["loglik"], ref["lmer_ml"]["loglik"], rtol=1e-6)
    assert_allclose(fm["aic"], ref["lmer_ml"]["aic"], rtol=1e-6)
    assert_allclose(fm["bic"], ref["lmer_ml"]["bic"], rtol=1e-6)
    assert_allclose(fm["group_var"], ref["lmer_ml"]["group_var"], rtol=1e-3)


# --- tidy output equals the statsmodels attributes --------------------------------------


@pytest.mark.parametrize("factory", [logit, probit])
def test_binary_tidy_equals_statsmodels(df, factory):
    fit = factory("yb ~ x", df)
    est = fit.estimates()
    raw = fit.raw
    assert_allclose(est["est"], raw.params, rtol=0, atol=0)
    assert_allclose(est["se"], raw.bse, rtol=0, atol=0)
    assert_allclose(est["stat"], raw.tvalues, rtol=0, atol=0)
    assert_allclose(est["pvalue"], raw.pvalues, rtol=0, atol=0)
    ci = raw.conf_int()
    assert_allclose(est["ci_lower"], ci[0])
    assert_allclose(est["ci_upper"], ci[1])
    fm = fit.fit_measures()
    assert fm["pseudo_r2"] == pytest.approx(raw.prsquared, rel=1e-12)
    assert fm["aic"] == raw.aic


def test_as_result_wraps_statsmodels(df):
    import statsmodels.formula.api as smf

    raw = smf.ols("y ~ x", df).fit(
        cov_type="cluster", cov_kwds={"groups": df["dept"].factorize()[0]}
    )
    res = as_result(raw)
    assert res.model == "ols" and res.n_clusters == 15 and res.cov_type == "cluster"
    assert_allclose(res.estimates()["se"], raw.bse)
    with pytest.raises(OptionError):
        as_result(object())


def test_regress_warns_on_dropped_rows(df):
    with pytest.warns(DroppedDataWarning, match="2 of"):
        fit = regress("i2 ~ x", df)
    assert fit.nobs == len(df) - 2


def test_regress_option_errors(df):
    with pytest.raises(OptionError, match="cov_type"):
        regress("y ~ x", df, cov_type="HC9")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="cluster"):
        regress("y ~ x", df, cov_type="cluster")
    with pytest.raises(DataValidationError, match="cluster"):
        regress("y ~ x", df, cov_type="cluster", cluster="nope")
    with pytest.raises(DataValidationError):
        regress("y ~ x", df.to_dict())  # type: ignore[arg-type]
