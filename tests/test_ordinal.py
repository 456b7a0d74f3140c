"""The ordinal branch against frozen lavaan 0.6-14 references (tests/data/ordinal).

References: tests/reference_scripts/make_ordinal_reference.R (lavCor, cfa/sem with
ordered=). Tolerances as the SEM core: est, se, std_all 1e-4; chi-squares 1e-3; fit
indices 1e-4.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import synergy_stats as ss
from synergy_stats.errors import DataValidationError, OptionError, SynergyWarning
from synergy_stats.ordinal import EmptyCellWarning, NotPositiveDefiniteWarning, OrdinalSEMResult
from synergy_stats.ordinal.bvn import bvn_lower

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "ordinal" / "lavaan_ordinal_reference.json").read_text())
ITEMS = [f"x{i}" for i in range(1, 10)]

CASES = {
    # case: (data file, ordered, options)
    "hs_wlsmv_delta": ("ordinal/hs_ordinal.csv", True, {}),
    "hs_wlsmv_theta": ("ordinal/hs_ordinal.csv", True, {"parameterization": "theta"}),
    "hs_ulsmv": ("ordinal/hs_ordinal.csv", True, {"estimator": "ULSMV"}),
    "hs_wlsm": ("ordinal/hs_ordinal.csv", True, {"estimator": "WLSM"}),
    "hs_wls": ("ordinal/hs_ordinal.csv", True, {"estimator": "WLS"}),
    "hs_pairwise": ("ordinal/hs_ordinal_missing10.csv", True, {"missing": "pairwise"}),
    "hs_mixed": ("ordinal/hs_mixed.csv", ITEMS[:6], {}),
    "synergy_wlsmv": ("synergy_sim_n1000.csv", True, {}),
    "hs_group_configural": ("ordinal/hs_ordinal.csv", True, {"group": "school"}),
    "hs_group_thresholds": (
        "ordinal/hs_ordinal.csv",
        True,
        {"group": "school", "group_equal": ["thresholds"]},
    ),
    "hs_group_loadings": (
        "ordinal/hs_ordinal.csv",
        True,
        {"group": "school", "group_equal": ["thresholds", "loadings"]},
    ),
    "hs_group_intercepts": (
        "ordinal/hs_ordinal.csv",
        True,
        {"group": "school", "group_equal": ["thresholds", "loadings", "intercepts"]},
    ),
}
CHISQ_KEYS = ["chisq", "chisq_scaled", "baseline_chisq", "baseline_chisq_scaled"]
INDEX_KEYS = [
    "df",
    "npar",
    "pvalue",
    "pvalue_scaled",
    "chisq_scaling_factor",
    "baseline_chisq_scaling_factor",
    "cfi",
    "tli",
    "cfi_scaled",
    "tli_scaled",
    "rmsea",
    "rmsea_ci_lower",
    "rmsea_ci_upper",
    "rmsea_pvalue",
    "rmsea_scaled",
    "rmsea_ci_lower_scaled",
    "rmsea_ci_upper_scaled",
    "rmsea_pvalue_scaled",
    "cfi_robust",
    "tli_robust",
    "rmsea_robust",
    "rmsea_ci_lower_robust",
    "rmsea_ci_upper_robust",
    "rmsea_pvalue_robust",
    "srmr",
]


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name)


_FITS: dict[str, OrdinalSEMResult] = {}


def _fit(case: str) -> OrdinalSEMResult:
    if case not in _FITS:
        fname, ordered, opts = CASES[case]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EmptyCellWarning)
            fit = ss.sem(REF[case]["model"], _read(fname), ordered=ordered, **opts)
        assert isinstance(fit, OrdinalSEMResult)
        _FITS[case] = fit
    return _FITS[case]


# ---------------------------------------------------------------------- bivariate normal
def test_bvn_matches_scipy_across_correlations() -> None:
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(3)
    for r in (-0.99, -0.93, -0.5, 0.0, 0.3, 0.92, 0.95, 0.999):
        h, k = rng.normal(size=8) * 1.5, rng.normal(size=8) * 1.5
        ref = [
            multivariate_normal(cov=[[1, r], [r, 1]]).cdf([a, b]) for a, b in zip(h, k, strict=True)
        ]
        assert_allclose(bvn_lower(h, k, r), ref, atol=1e-10)
    assert_allclose(bvn_lower([np.inf, -np.inf], [0.0, 1.0], 0.4), [0.5, 0.0])


# ---------------------------------------------------------------------- polychoric
def test_polychoric_matches_lavcor() -> None:
    d = _read("ordinal/hs_ordinal.csv")
    before = d.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyCellWarning)
        pc = ss.polychoric(d, ITEMS)
    pd.testing.assert_frame_equal(d, before)
    ref = REF["lavcor_hs"]
    assert_allclose(pc.cor.to_numpy(), np.array(ref["cor"]), atol=1e-6)
    est = pc.estimates().merge(pd.DataFrame(ref["estimates"]), on=["lhs", "op", "rhs"])
    assert len(est) == 9 * 3 + 36
    assert_allclose(est["est_x"], est["est_y"], atol=1e-6)
    assert_allclose(est["se_x"], est["se_y"], atol=1e-6)


def test_polychoric_mixed_polyserial_pearson() -> None:
    d = _read("ordinal/hs_mixed.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyCellWarning)
        pc = ss.polychoric(d, ITEMS, ordered=ITEMS[:6])
    ref = REF["lavcor_mixed"]
    cov = np.array(ref["cor"])
    sd = np.sqrt(np.diag(cov))
    assert_allclose(pc.cor.to_numpy(), cov / np.outer(sd, sd), atol=1e-6)
    e = pd.DataFrame(ref["estimates"])
    ord_rows = e[(e.op == "|") | (e.lhs.isin(ITEMS[:6]) & e.rhs.isin(ITEMS[:6]))]
    m = pc.estimates().merge(ord_rows, on=["lhs", "op", "rhs"])
    assert len(m) == 6 * 3 + 15
    assert_allclose(m["se_x"], m["se_y"], atol=1e-6)
    assert pc.ordered == tuple(ITEMS[:6])


def test_polychoric_bad_input_is_typed() -> None:
    d = _read("ordinal/hs_ordinal.csv")[ITEMS].copy()
    one = d.assign(x1=2)
    with pytest.raises(DataValidationError, match=r"'x1'.*1 observed category"):
        ss.polychoric(one)
    frac = d.assign(x2=d["x2"] + 0.5)
    with pytest.raises(DataValidationError, match=r"'x2'.*non-integer code\(s\) \[1.5"):
        ss.polychoric(frac)
    many = d.assign(x3=np.arange(len(d)) % 25)
    with pytest.raises(DataValidationError, match="'x3' has 25 categories"):
        ss.polychoric(many)
    with pytest.raises(DataValidationError, match="not in data"):
        ss.polychoric(d, ["x1", "nope"])
    with pytest.raises(OptionError, match="missing='fiml'"):
        ss.polychoric(d, missing="fiml")  # type: ignore[arg-type]


def test_polychoric_empty_cells_and_non_pd_are_reported() -> None:
    rng = np.random.default_rng(11)
    z = rng.normal(size=(200, 3))
    x = pd.DataFrame(
        {
            "a": np.digitize(z[:, 0], [-1, 0, 1]) + 1,
            "b": np.digitize(z[:, 0] + 0.05 * z[:, 1], [-1, 0, 1]) + 1,
            "c": np.digitize(-z[:, 0] + 0.05 * z[:, 2], [-1, 0, 1]) + 1,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SynergyWarning)
        with pytest.warns(EmptyCellWarning, match="empty cells"):
            pc = ss.polychoric(x)
    assert ("b", "a") in pc.empty_cells or ("a", "b") in pc.empty_cells
    # a non-PD matrix: three near-collinear items plus a contradicting one
    r = np.array([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]])
    from synergy_stats.ordinal.polychoric import smooth_correlation

    sm = smooth_correlation(r)
    assert np.linalg.eigvalsh(sm).min() > 0
    assert_allclose(np.diag(sm), 1.0)
    # pairwise-present blocks: p = q, q = s, but s = reversed p -> not PD
    base = rng.integers(1, 4, size=600).astype(float)
    y = pd.DataFrame({"p": np.nan, "q": np.nan, "s": np.nan}, index=range(600))
    y.loc[:199, "p"] = base[:200]
    y.loc[:199, "q"] = base[:200]
    y.loc[200:399, "q"] = base[200:400]
    y.loc[200:399, "s"] = base[200:400]
    y.loc[400:, "p"] = base[400:]
    y.loc[400:, "s"] = 4 - base[400:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyCellWarning)
        warnings.simplefilter("ignore", SynergyWarning)
        with pytest.warns(NotPositiveDefiniteWarning):
            pc2 = ss.polychoric(y, missing="pairwise")
    assert pc2.smoothed is not None
    assert np.linalg.eigvalsh(pc2.smoothed.to_numpy()).min() > 0


# ---------------------------------------------------------------------- SEM references
@pytest.mark.parametrize("case", list(CASES))
def test_estimates_match_lavaan(case: str) -> None:
    fit = _fit(case)
    ref = pd.DataFrame(REF[case]["estimates"])
    est = fit.estimates()
    keys = ["lhs", "op", "rhs"] + (["group"] if "group" in ref.columns else [])
    m = ref.merge(est, on=keys, suffixes=("_r", ""))
    assert len(m) == len(ref)
    assert_allclose(m["est"], m["est_r"], atol=1e-4)
    free = m["se_r"] > 0
    assert_allclose(m.loc[free, "se"], m.loc[free, "se_r"], atol=1e-4)
    assert m.loc[~free, "se"].isna().all()
    assert_allclose(m["std_all"], m["std.all"], atol=1e-4)
    assert_allclose(m["std_lv"], m["std.lv"], atol=1e-4)


@pytest.mark.parametrize("case", list(CASES))
def test_fit_measures_match_lavaan(case: str) -> None:
    fm = _fit(case).fit_measures()
    ref = REF[case]["fit_measures"]
    for key in CHISQ_KEYS + INDEX_KEYS:
        lav = ref.get(key.replace("_", "."))
        if lav is None:
            assert key not in fm or np.isnan(fm[key]), key
            continue
        tol = 1e-3 if key in CHISQ_KEYS else 1e-4
        assert_allclose(fm[key], lav, atol=tol, err_msg=key)
    tests = REF[case]["tests"]
    if "scaled.shifted" in tests:
        assert_allclose(
            fm["shift_parameter"], tests["scaled.shifted"]["shift.parameter"], atol=1e-4
        )
        assert_allclose(fm["scaling_factor"], tests["scaled.shifted"]["scaling.factor"], atol=1e-4)


def test_r2_and_defined_parameter() -> None:
    fit = _fit("synergy_wlsmv")
    ref = REF["synergy_wlsmv"]
    r2 = fit.r2()
    for k, v in ref["r2"].items():
        assert_allclose(r2[k], v, atol=1e-4, err_msg=k)
    est = fit.estimates()
    row = est[est["op"] == ":="].iloc[0]
    lav = next(e for e in ref["estimates"] if e["op"] == ":=")
    assert row["lhs"] == "indirect"
    assert_allclose(
        [row["est"], row["se"], row["std_all"]], [lav["est"], lav["se"], lav["std.all"]], atol=1e-4
    )


def test_sample_thresholds_and_nacov() -> None:
    fit = _fit("hs_wlsmv_delta")
    ref = REF["hs_wlsmv_delta"]
    assert_allclose(fit.sample_thresholds().to_numpy(), ref["sample_th"], atol=1e-8)
    gamma = fit._st.stats[0].gamma
    assert gamma is not None
    assert_allclose(np.diag(gamma), ref["nacov_diag"], rtol=1e-6)


def test_ordinal_options_are_checked() -> None:
    d = _read("ordinal/hs_ordinal.csv")
    model = REF["hs_wlsmv_delta"]["model"]
    with pytest.raises(OptionError, match="missing='pairwise'"):
        ss.cfa(model, d, ordered=True, missing="fiml")
    with pytest.raises(OptionError, match="estimator='MLR'"):
        ss.cfa(model, d, ordered=True, estimator="MLR")
    with pytest.raises(OptionError, match="parameterization"):
        ss.cfa(model, d, ordered=True, parameterization="probit")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="pairwise"):
        ss.cfa(model, _read("holzinger_swineford_1939.csv"), missing="pairwise")
    bad = d.assign(x4=d["x4"] * 1.5)
    with pytest.raises(DataValidationError, match=r"'x4'.*non-integer"):
        ss.cfa(model, bad, ordered=["x4"])


def test_effects_and_bootstrap_on_ordinal_fit() -> None:
    fit = _fit("synergy_wlsmv")
    eff = ss.effects(fit)
    assert {"source", "target", "est"} <= set(eff.columns)
    # the delta-method chain effect of the effects table is the := estimate
    est = fit.estimates()
    ind = float(est.loc[est["op"] == ":=", "est"].iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b1 = ss.bootstrap(fit, draws=4, seed=7)
        b2 = ss.bootstrap(fit, draws=4, seed=7)
    pd.testing.assert_frame_equal(b1.draws, b2.draws)
    assert (b1.status == "ok").all()
    draws = b1.draws["indirect"].to_numpy()
    # each draw redoes the two-step estimation: the draws vary, around the estimate
    assert np.std(draws) > 0
    assert np.all(np.abs(draws - ind) < 6 * float(est.loc[est["op"] == ":=", "se"].iloc[0]))
    with pytest.raises(OptionError, match="bollen_stine"):
        ss.bootstrap(fit, draws=2, seed=1, bollen_stine=True)


def test_report_comparison_frame_and_reported_measures() -> None:
    from synergy_stats.report_ordinal import _reported, comparison_frame

    fit = _fit("synergy_wlsmv")
    ml = ss.sem(REF["synergy_wlsmv"]["model"], _read("synergy_sim_n1000.csv"))
    comp = comparison_frame(ml, fit)
    assert list(comp["op"]) == ["~"] * 5 + [":="]
    row = comp[comp["op"] == ":="].iloc[0]
    lav = next(e for e in REF["synergy_wlsmv"]["estimates"] if e["op"] == ":=")
    assert_allclose(row["est_wlsmv"], lav["est"], atol=1e-4)
    assert_allclose(row["est_ml"], ml.estimates().query("op == ':='")["est"].iloc[0])
    rep = _reported(fit.fit_measures(), True)
    ref = REF["synergy_wlsmv"]["fit_measures"]
    assert_allclose(
        rep[["chisq", "cfi", "rmsea"]],
        [ref["chisq.scaled"], ref["cfi.scaled"], ref["rmsea.scaled"]],
        atol=1e-3,
    )


REL = json.loads((DATA / "ordinal" / "ordinal_reliability_reference.json").read_text())
SYN_SPEC = {f: [f"{f}{i}" for i in range(1, 5)] for f in ("mot", "mech", "proc", "res")}


def test_ordinal_alpha_and_categorical_omega_match_psych_and_semtools() -> None:
    rel = ss.reliability(SYN_SPEC, _read("synergy_sim_n1000.csv"), ordered=True)
    for f in SYN_SPEC:
        # psych's polychoric stops its optimiser earlier than lavaan's: alpha to 1e-5
        assert_allclose(rel.loc[f, "alpha"], REL["alpha_ordinal"][f], atol=1e-5)
        assert_allclose(rel.loc[f, "omega"], REL["omega_categorical"][f], atol=1e-4)
    assert rel["alpha_ci_lower"].isna().all()


def test_htmt_on_polychoric_correlations_matches_semtools() -> None:
    ht = ss.htmt(SYN_SPEC, _read("synergy_sim_n1000.csv"), ordered=True)
    assert list(ht.index) == REL["htmt_names"]
    assert_allclose(ht.to_numpy(), np.array(REL["htmt"]), atol=1e-4)
    plain = ss.htmt(SYN_SPEC, _read("synergy_sim_n1000.csv"))
    assert not np.allclose(plain.to_numpy(), ht.to_numpy(), atol=1e-3)


LRT = json.loads((DATA / "ordinal" / "lavaan_ordinal_lrt_reference.json").read_text())


def test_scaled_shifted_difference_test_matches_lavtestlrt() -> None:
    from synergy_stats.ordinal.compare import lrt_ordinal

    conf = _fit("hs_group_configural")
    thr = _fit("hs_group_thresholds")
    load = _fit("hs_group_loadings")
    for (small, big), key in (
        ((thr, conf), "thresholds_vs_configural"),
        ((load, thr), "loadings_vs_thresholds"),
    ):
        t = lrt_ordinal(small, big)
        assert t["df_diff"] == LRT[key]["df_diff"]
        assert_allclose(t["chisq_diff"], LRT[key]["chisq_diff"], atol=1e-3)
        assert_allclose(t["pvalue"], LRT[key]["pvalue"], atol=1e-4)
    with pytest.raises(OptionError, match="more restricted"):
        lrt_ordinal(conf, thr)


INV = json.loads((DATA / "ordinal" / "semtools_ordinal_invariance_reference.json").read_text())


def test_wu_estabrook_ladder_matches_semtools() -> None:
    d = _read("ordinal/hs_ordinal.csv")
    res = ss.measurement_invariance(INV["model"], d, group="school", ordered=True)
    tab = res.table()
    assert list(tab.index) == ["configural", "thresholds", "loadings", "intercepts"]
    for lv, fit in res.fits.items():
        ref = INV[lv]
        fm = ref["fit_measures"]
        assert tab.loc[lv, "df"] == fm["df"]
        assert_allclose(
            tab.loc[lv, ["chisq", "chisq_scaled"]], [fm["chisq"], fm["chisq.scaled"]], atol=1e-3
        )
        assert_allclose(
            tab.loc[lv, ["cfi_scaled", "rmsea_scaled", "srmr"]],
            [fm["cfi.scaled"], fm["rmsea.scaled"], fm["srmr"]],
            atol=1e-4,
        )
        e = pd.DataFrame(ref["estimates"])
        m = e.merge(fit.estimates(), on=["lhs", "op", "rhs", "group"], suffixes=("_r", ""))
        assert len(m) == len(e)
        free = m["se_r"] > 0
        assert_allclose(m["est"], m["est_r"], atol=1e-4)
        assert_allclose(m.loc[free, "se"], m.loc[free, "se_r"], atol=1e-4)
        assert_allclose(m["std_all"], m["std.all"], atol=1e-4)
    for lv, key in (
        ("loadings", "lrt_loadings_vs_thresholds"),
        ("intercepts", "lrt_intercepts_vs_loadings"),
    ):
        assert tab.loc[lv, "df_diff"] == INV[key]["df_diff"]
        assert_allclose(tab.loc[lv, "chisq_diff"], INV[key]["chisq_diff"], atol=1e-3)
    with pytest.raises(OptionError, match="one-factor model"):
        ss.measurement_invariance(INV["model"], d, wave="school", id="id", ordered=True)


LONG = json.loads((DATA / "ordinal" / "semtools_ordinal_longitudinal_reference.json").read_text())


def test_longitudinal_wu_estabrook_ladder_matches_semtools() -> None:
    from synergy_stats.ordinal.invariance import wu_estabrook_longitudinal

    d = _read("ordinal/synergy_effect_w1w2.csv")
    items = [[f"synergy_effect_{i}_w{t}" for i in range(1, 5)] for t in (1, 2)]
    res = wu_estabrook_longitudinal(d, items, factors=["eff1", "eff2"])
    tab = res.table()
    for lv, fit in res.fits.items():
        fm = LONG[lv]["fit_measures"]
        assert tab.loc[lv, "df"] == fm["df"] and tab.loc[lv, "npar"] == fm["npar"]
        assert_allclose(
            tab.loc[lv, ["chisq", "chisq_scaled"]], [fm["chisq"], fm["chisq.scaled"]], atol=1e-3
        )
        assert_allclose(tab.loc[lv, "srmr"], fm["srmr"], atol=1e-4)
        e = pd.DataFrame(LONG[lv]["estimates"])
        m = e.merge(fit.estimates(), on=["lhs", "op", "rhs"], suffixes=("_r", ""))
        assert len(m) == len(e)
        free = m["se_r"] > 0
        assert_allclose(m["est"], m["est_r"], atol=1e-4)
        assert_allclose(m.loc[free, "se"], m.loc[free, "se_r"], atol=1e-4)
        assert_allclose(m["std_all"], m["std.all"], atol=1e-4)
    # the same ladder from long data through measurement_invariance
    d = d.assign(respondent_id=np.arange(len(d)))  # one row per respondent and wave
    long = pd.concat(
        [
            d[["respondent_id", *items[t]]]
            .set_axis(["respondent_id"] + [f"synergy_effect_{i}" for i in range(1, 5)], axis=1)
            .assign(wave=t + 1)
            for t in range(2)
        ]
    )
    model = "eff =~ " + " + ".join(f"synergy_effect_{i}" for i in range(1, 5))
    res2 = ss.measurement_invariance(model, long, wave="wave", id="respondent_id", ordered=True)
    assert_allclose(res2.table()["chisq_scaled"], tab["chisq_scaled"], atol=1e-6)


def test_negative_residual_variance_of_a_latent_response_warns() -> None:
    from synergy_stats.errors import HeywoodWarning

    rng = np.random.default_rng(5)
    r = np.array([[1, 0.8, 0.8], [0.8, 1, 0.5], [0.8, 0.5, 1]])  # lambda_1^2 = 1.28
    z = rng.multivariate_normal(np.zeros(3), r, size=2000)
    d = pd.DataFrame(np.digitize(z, [-0.8, 0.0, 0.8]) + 1, columns=["a", "b", "c"])
    with pytest.warns(HeywoodWarning, match=r"\['a'\]"):
        fit = ss.cfa("f =~ a + b + c", d, ordered=True)
    est = fit.estimates()
    assert est.query("lhs == 'a' and op == '~~'")["est"].iloc[0] < 0
