"""CLPM and RI-CLPM against frozen lavaan output; reshaping, simulation, recovery, bad input.

References: tests/data/lavaan_reference.json (riclpm_bivariate, lavaan 0.6-14) and
tests/data/panel/panel_reference.json (tests/reference_scripts/make_panel_reference.R on
data written by tests/reference_scripts/make_panel_data.py). The R script writes the
RI-CLPM syntax with its own generator; chi-bar-square weights there come from mvtnorm.
Tolerances: chi-square 1e-3, fit indices 1e-4, estimates and standard errors 1e-4.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from synergy_stats.errors import DataValidationError, OptionError, SpecificationError
from synergy_stats.panel.models import (
    PanelFit,
    chibar_weights,
    clpm,
    compare_clpm_riclpm,
    riclpm,
    riclpm_syntax,
)
from synergy_stats.panel.reshape import long_to_wide, wide_to_long
from synergy_stats.panel.simulate import lag_matrix, simulate_riclpm

DATA = Path(__file__).parent / "data"
LAVAAN = json.loads((DATA / "lavaan_reference.json").read_text())
PANEL = json.loads((DATA / "panel" / "panel_reference.json").read_text())
CONS = ["mechanism", "process", "results"]
ITEMS = {
    "mechanism": ["mechanism_1", "mechanism_2", "mechanism_3"],
    "results": ["results_1", "results_2", "results_3"],
}
FM_NAMES = {
    "logl": "loglik",
    "unrestricted.logl": "unrestricted_loglik",
    "ntotal": "n",
    "baseline.chisq": "baseline_chisq",
    "baseline.df": "baseline_df",
    "chisq.scaled": "chisq_scaled",
    "df.scaled": "df_scaled",
    "pvalue.scaled": "pvalue_scaled",
    "chisq.scaling.factor": "scaling_factor",
    "cfi.robust": "cfi_robust",
    "tli.robust": "tli_robust",
    "rmsea.robust": "rmsea_robust",
}


def _tol(name: str) -> float:
    big = ("chisq", "baseline.chisq", "chisq.scaled", "logl", "unrestricted.logl", "aic", "bic")
    return 1e-3 if name in big else 1e-4


def check_fit_measures(fit: PanelFit, ref: dict) -> None:
    fm = fit.fit_measures()
    for name, value in ref.items():
        assert_allclose(fm[FM_NAMES.get(name, name)], value, atol=_tol(name), rtol=0, err_msg=name)


def check_estimates(fit: PanelFit, ref: list, rename=None, std: bool = True) -> None:
    est = fit.estimates()
    r = pd.DataFrame(ref)
    if rename is not None:
        for col in ("lhs", "rhs"):
            r[col] = r[col].map(lambda v: rename.get(v, v))
    merged = est.merge(r, on=["lhs", "op", "rhs"], suffixes=("", "_r"))
    assert len(merged) == len(r) == len(est)
    assert_allclose(merged["est"], merged["est_r"], atol=1e-4)
    se_r = merged["se_r"].where(merged["se_r"] != 0)
    assert_allclose(merged["se"], se_r, atol=1e-4)
    if std and "std.all" in merged:
        assert_allclose(merged["std_all"], merged["std.all"], atol=1e-4)


@pytest.fixture(scope="module")
def long3() -> pd.DataFrame:
    return pd.read_csv(DATA / "panel" / "riclpm_3c4w_long.csv")


@pytest.fixture(scope="module")
def ri3(long3):
    return riclpm(long3, CONS, id="id", wave="wave")


# ---------------------------------------------------------------------- bivariate reference
BIV_RENAME = {
    **{f"w_{c[0]}{t}": f"w_{c}_w{t}" for c in ("mechanism", "results") for t in (1, 2, 3)},
    **{f"{c}{t}": f"{c}_w{t}" for c in ("mechanism", "results") for t in (1, 2, 3)},
}


@pytest.fixture(scope="module")
def biv():
    long = pd.read_csv(DATA / "panel_sim_long.csv")
    return riclpm(long, ["mechanism", "results"], id="id", wave="wave")


def test_bivariate_fit_measures(biv):
    check_fit_measures(biv, LAVAAN["riclpm_bivariate"]["fit_measures"])


def test_bivariate_estimates(biv):
    check_estimates(biv, LAVAAN["riclpm_bivariate"]["estimates"], BIV_RENAME, std=False)


def test_bivariate_lag_labels(biv):
    # lavaan's amm / arm / amr / arr are our ar_/cl_ labels
    ref = pd.DataFrame(LAVAAN["riclpm_bivariate"]["estimates"])
    ref = ref[ref["op"] == "~"].drop_duplicates("label").set_index("label")["est"]
    tab = biv.cross_lagged().drop_duplicates("label").set_index("label")["est"]
    mapping = {
        "amm": "ar_mechanism",
        "arm": "cl_results_mechanism",
        "amr": "cl_mechanism_results",
        "arr": "ar_results",
    }
    for theirs, ours in mapping.items():
        assert_allclose(tab[ours], ref[theirs], atol=1e-4)


def test_syntax_is_hamaker_model():
    text = riclpm_syntax(["mechanism", "results"], 3).to_syntax()
    assert "RI_mechanism =~ 1*mechanism_w1 + 1*mechanism_w2 + 1*mechanism_w3" in text
    assert "w_mechanism_w2 ~ ar_mechanism*w_mechanism_w1 + cl_results_mechanism*w_results_w1" in (
        text
    )
    assert "RI_mechanism ~~ RI_mechanism + RI_results" in text
    tv = riclpm_syntax(["mechanism", "results"], 3, time_invariant=False).to_syntax()
    assert "cl_results_mechanism_3*w_results_w2" in tv


# ---------------------------------------------------------------------- 3 constructs x 4 waves
def test_3c4w_ml(ri3):
    ref = PANEL["riclpm_3c4w_ml"]
    check_fit_measures(ri3, ref["fit_measures"])
    check_estimates(ri3, ref["estimates"])
    # the R generator wrote the same model
    assert ri3.syntax.count("\n") > 0
    assert ri3.fit.npar == ref["fit_measures"]["npar"]


def test_3c4w_time_varying(long3):
    f = riclpm(long3, CONS, id="id", wave="wave", time_invariant=False)
    ref = PANEL["riclpm_3c4w_timevarying"]
    check_fit_measures(f, ref["fit_measures"])
    check_estimates(f, ref["estimates"])


def test_3c4w_mlr(long3):
    f = riclpm(long3, CONS, id="id", wave="wave", estimator="MLR")
    ref = PANEL["riclpm_3c4w_mlr"]
    check_fit_measures(f, ref["fit_measures"])
    check_estimates(f, ref["estimates"], std=False)


def test_3c4w_fiml_attrition():
    long = pd.read_csv(DATA / "panel" / "riclpm_3c4w_attrition_long.csv")
    assert long.groupby("wave").size().is_monotonic_decreasing
    f = riclpm(long, CONS, id="id", wave="wave", missing="fiml")
    ref = PANEL["riclpm_3c4w_fiml"]
    check_fit_measures(f, ref["fit_measures"])
    check_estimates(f, ref["estimates"], std=False)
    assert f.fit.nobs == 600


def test_clpm_and_chibar(long3, ri3):
    ref = PANEL["riclpm_3c4w_ml"]
    c = clpm(long3, CONS, id="id", wave="wave")
    check_fit_measures(c, ref["clpm"]["fit_measures"])
    test = compare_clpm_riclpm(c, ri3)
    cb = ref["chibar"]
    assert_allclose(test.chisq_diff, cb["chisq_diff"], atol=1e-3)
    assert test.df_diff == cb["df_diff"] and test.q == 3
    assert test.mixture_df == (3, 4, 5, 6)
    assert_allclose(test.weights, cb["weights"], atol=1e-5)
    assert_allclose(test.pvalue, cb["pvalue"], rtol=1e-4)
    assert test.pvalue < test.pvalue_naive
    with pytest.raises(OptionError):
        compare_clpm_riclpm(ri3, c)


def test_chibar_weights_closed_forms():
    assert_allclose(chibar_weights(np.array([[2.0]])), [0.5, 0.5])
    rho = -0.4
    V = np.array([[1.0, rho], [rho, 1.0]]) * 0.3
    w2 = 0.25 + np.arcsin(rho) / (2 * np.pi)
    assert_allclose(chibar_weights(V), [0.5 - w2, 0.5, w2], atol=1e-12)
    # independence: binomial(q, 1/2) weights
    assert_allclose(chibar_weights(np.eye(4)), [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16], atol=1e-5)
    assert_allclose(
        chibar_weights(np.eye(7), draws=20000),
        np.array([1, 7, 21, 35, 35, 21, 7, 1]) / 128,
        atol=0.01,
    )


# ---------------------------------------------------------------------- multiple indicators
@pytest.mark.parametrize("level", ["item", "construct"])
def test_multiple_indicators(level):
    long = pd.read_csv(DATA / "panel" / "mi_riclpm_long.csv")
    f = riclpm(
        long,
        ["mechanism", "results"],
        id="id",
        wave="wave",
        indicators=ITEMS,
        random_intercepts=level,
    )
    ref = PANEL[f"mi_riclpm_{level}"]
    check_fit_measures(f, ref["fit_measures"])
    check_estimates(f, ref["estimates"], std=False)
    assert f.ri_level == level
    assert "lam_mechanism_2*mechanism_2_w3" in f.syntax


# ---------------------------------------------------------------------- cross-lagged table
def test_cross_lagged_table(ri3):
    ref = pd.DataFrame(PANEL["riclpm_3c4w_ml"]["estimates"])
    ref = ref[ref["op"] == "~"].set_index(["lhs", "rhs"])
    tab = ri3.cross_lagged()
    assert len(tab) == 27  # 9 effects x 3 wave pairs
    assert set(tab["kind"]) == {"autoregressive", "cross-lagged"}
    for r in tab.itertuples():
        row = ref.loc[(f"w_{r.target}_w{r.to_wave}", f"w_{r.source}_w{r.from_wave}")]
        assert_allclose(
            [r.est, r.se, r.ci_lower, r.ci_upper, r.std_all],
            [row["est"], row["se"], row["ci.lower"], row["ci.upper"], row["std.all"]],
            atol=1e-4,
        )
    only = ri3.cross_lagged(include_autoregressive=False, level=0.9)
    assert (only["kind"] == "cross-lagged").all() and len(only) == 18


def test_cross_lagged_bootstrap_intervals(ri3):
    class Boot:  # duck-typed stand-in with draws of the free parameters
        draws = np.vstack([ri3.fit.theta + 0.01 * k for k in range(-50, 51)])

    tab = ri3.cross_lagged(boot=Boot())
    assert (tab["ci"] == "bootstrap percentile").all()
    assert_allclose(tab["ci_upper"] - tab["ci_lower"], 0.95, atol=1e-9)
    with pytest.raises(OptionError, match="draws"):
        ri3.cross_lagged(boot=object())


def test_cross_lagged_with_bootstrap_result():
    from synergy_stats.inference.bootstrap import bootstrap

    long = pd.read_csv(DATA / "panel_sim_long.csv")
    fit = riclpm(long, ["mechanism", "results"], id="id", wave="wave")
    boot = bootstrap(fit.fit, draws=30, seed=11, progress=False)
    tab = fit.cross_lagged(boot=boot, boot_method="percentile")
    ref = boot.ci(level=0.95, method="percentile")
    ref = ref[ref["op"] == "~"].set_index(["lhs", "rhs"])
    for r in tab.itertuples():
        row = ref.loc[(f"w_{r.target}_w{r.to_wave}", f"w_{r.source}_w{r.from_wave}")]
        assert (r.ci_lower, r.ci_upper, r.se) == (row["ci_lower"], row["ci_upper"], row["se"])
    assert (tab["ci"] == "bootstrap percentile").all()
    other = riclpm(long, ["mechanism", "results"], id="id", wave="wave")
    with pytest.raises(OptionError, match="another model"):
        other.cross_lagged(boot=boot)


# ---------------------------------------------------------------------- recovery
def test_parameter_recovery_n5000():
    lags = {
        ("mechanism", "process"): 0.20,
        ("process", "results"): 0.25,
        ("results", "mechanism"): 0.15,
        ("results", "process"): 0.10,
    }
    truth = lag_matrix(CONS, lags)
    data = simulate_riclpm(5000, CONS, 4, lags=lags, seed=1)
    fit = riclpm(data, CONS, id="id", wave="wave")
    tab = fit.cross_lagged()
    tab = tab[tab["from_wave"] == 1]
    for r in tab.itertuples():
        value = truth[CONS.index(r.target), CONS.index(r.source)]
        assert r.ci_lower <= value <= r.ci_upper, (r.label, value, r.ci_lower, r.ci_upper)
    fb = tab[(tab["source"] == "results") & (tab["target"] != "results")]
    assert (fb["ci_lower"] > 0).all()  # the feedback is detected


# ---------------------------------------------------------------------- simulation
def test_simulate_is_seeded_and_long():
    a = simulate_riclpm(50, ["x", "y"], 3, lags={("y", "x"): 0.2}, seed=7)
    b = simulate_riclpm(50, ["x", "y"], 3, lags={("y", "x"): 0.2}, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["id", "wave", "x", "y"] and len(a) == 150
    items = simulate_riclpm(20, ["x", "y"], 3, lags={}, seed=1, indicators=2, attrition=0.3)
    assert list(items.columns) == ["id", "wave", "x_1", "x_2", "y_1", "y_2"]
    # attrition is monotone: nobody comes back
    waves = items.groupby("id")["wave"].agg(["max", "count"])
    assert (waves["max"] == waves["count"]).all()


def test_simulate_bad_input():
    with pytest.raises(OptionError, match="unknown construct"):
        simulate_riclpm(10, ["x", "y"], 3, lags={("z", "x"): 0.1}, seed=1)
    with pytest.raises(OptionError, match="stationary"):
        simulate_riclpm(10, ["x", "y"], 3, lags={("x", "x"): 1.2}, seed=1)
    with pytest.raises(OptionError, match="waves"):
        simulate_riclpm(10, ["x", "y"], 1, lags={}, seed=1)


# ---------------------------------------------------------------------- reshaping
def test_long_wide_round_trip(long3):
    wide = long_to_wide(long3, id="id", wave="wave", variables=CONS)
    assert list(wide.columns[:5]) == [
        "id",
        "mechanism_w1",
        "mechanism_w2",
        "mechanism_w3",
        "mechanism_w4",
    ]
    back = wide_to_long(wide, id="id", variables=CONS, waves=4)
    pd.testing.assert_frame_equal(back, long3[["id", "wave", *CONS]], check_dtype=False)


# ---------------------------------------------------------------------- bad input
def test_fewer_than_three_waves(long3):
    two = long3[long3["wave"] <= 2]
    with pytest.raises(DataValidationError, match="at least 3 waves"):
        riclpm(two, CONS, id="id", wave="wave")
    assert clpm(two, CONS, id="id", wave="wave").fit.converged


def test_duplicated_ids(long3):
    dup = pd.concat([long3, long3.iloc[[5]]], ignore_index=True)
    with pytest.raises(DataValidationError, match="more than once within a wave"):
        riclpm(dup, CONS, id="id", wave="wave")


def test_constant_in_a_wave(long3):
    const = long3.copy()
    const.loc[const["wave"] == 3, "process"] = 2.5
    with pytest.raises(DataValidationError, match="'process' is constant at wave 3"):
        riclpm(const, CONS, id="id", wave="wave")


def test_unknown_construct(long3):
    with pytest.raises(SpecificationError, match="unknown construct"):
        riclpm(long3, ["mechanism", "outcome"], id="id", wave="wave")
    with pytest.raises(SpecificationError, match="unknown construct"):
        riclpm(
            long3,
            CONS,
            id="id",
            wave="wave",
            indicators={"outcome": ["a", "b"], **{c: [c, c] for c in CONS}},
        )


def test_option_errors(long3):
    with pytest.raises(OptionError, match="at least two constructs"):
        riclpm(long3, ["mechanism"], id="id", wave="wave")
    with pytest.raises(OptionError, match="not a string"):
        riclpm(long3, "mechanism", id="id", wave="wave")  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="id='pid'"):
        riclpm(long3, CONS, id="pid", wave="wave")
    with pytest.raises(OptionError):
        riclpm(long3, CONS, id="id", wave="wave", missing="pairwise")  # type: ignore[arg-type]
