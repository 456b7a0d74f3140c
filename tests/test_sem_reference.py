"""The SEM core against frozen lavaan 0.6-14 output.

Cases: every case of ../shared/reference/lavaan_reference.json (copied to tests/data) but the
invariance ladder, and tests/data/sem/extra_reference.json written by
tests/reference_scripts/make_sem_reference.R. Tolerances are the issue's: estimates, SEs and
std_all within 1e-4 absolute (relative above 1), chisq 1e-3, fit indices 1e-4,
log-likelihood/AIC/BIC 1e-2, MLR scaled statistics 1e-3.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss

DATA = Path(__file__).parent / "data"
SHARED = json.loads((DATA / "lavaan_reference.json").read_text())
EXTRA = json.loads((DATA / "sem" / "extra_reference.json").read_text())

FIT_NAMES = {
    "baseline.chisq": "baseline_chisq",
    "baseline.df": "baseline_df",
    "rmsea.ci.lower": "rmsea_ci_lower",
    "rmsea.ci.upper": "rmsea_ci_upper",
    "rmsea.pvalue": "rmsea_pvalue",
    "logl": "loglik",
    "unrestricted.logl": "unrestricted_loglik",
    "bic2": "sabic",
    "ntotal": "n",
    "chisq.scaled": "chisq_scaled",
    "df.scaled": "df_scaled",
    "pvalue.scaled": "pvalue_scaled",
    "chisq.scaling.factor": "scaling_factor",
    "cfi.robust": "cfi_robust",
    "tli.robust": "tli_robust",
    "rmsea.robust": "rmsea_robust",
}
TOL = {
    "chisq": 1e-3,
    "baseline_chisq": 1e-3,
    "loglik": 1e-2,
    "unrestricted_loglik": 1e-2,
    "aic": 1e-2,
    "bic": 1e-2,
    "sabic": 1e-2,
    "chisq_scaled": 1e-3,
    "scaling_factor": 1e-3,
    "pvalue_scaled": 1e-3,
    "cfi_robust": 1e-3,
    "tli_robust": 1e-3,
    "rmsea_robust": 1e-3,
}


def _wide_panel() -> pd.DataFrame:
    long = pd.read_csv(DATA / "panel_sim_long.csv")
    wide = long.pivot(index="id", columns="wave", values=["mechanism", "results"])
    wide.columns = [f"{a}{b}" for a, b in wide.columns]
    return wide.reset_index()


def _data(name: str) -> pd.DataFrame:
    if name == "panel_wide":
        return _wide_panel()
    return pd.read_csv(DATA / name)


# key -> (reference dict, data, sem() keywords)
CASES = {
    "hs_cfa_ml": (SHARED, "holzinger_swineford_1939.csv", {}),
    "hs_cfa_mlr": (SHARED, "holzinger_swineford_1939.csv", {"estimator": "MLR"}),
    "hs_cfa_fiml": (SHARED, "holzinger_swineford_1939_missing10.csv", {"missing": "fiml"}),
    "hs_cfa_listwise": (SHARED, "holzinger_swineford_1939_missing10.csv", {}),
    "pd_sem_ml": (SHARED, "political_democracy.csv", {}),
    "synergy_sem_ml": (SHARED, "synergy_sim_n1000.csv", {}),
    "riclpm_bivariate": (SHARED, "panel_wide", {"auto": False, "meanstructure": True}),
    "clpm_ml": (EXTRA, "panel_wide", {}),
    "path_fixedx_ml": (EXTRA, "holzinger_swineford_1939.csv", {}),
    "path_fixedx_meanstructure": (EXTRA, "holzinger_swineford_1939.csv", {"meanstructure": True}),
    "hs_cfa_stdlv": (EXTRA, "holzinger_swineford_1939.csv", {"std_lv": True}),
    "pd_sem_mlr": (EXTRA, "political_democracy.csv", {"estimator": "MLR"}),
    "synergy_sem_mlr": (EXTRA, "synergy_sim_n1000.csv", {"estimator": "MLR"}),
    "hs_cfa_fiml_mlr": (
        EXTRA,
        "holzinger_swineford_1939_missing10.csv",
        {"estimator": "MLR", "missing": "fiml"},
    ),
    "hs_second_order": (EXTRA, "holzinger_swineford_1939.csv", {}),
    "hs_second_order_fiml": (EXTRA, "holzinger_swineford_1939_missing10.csv", {"missing": "fiml"}),
}


@pytest.fixture(scope="module")
def fits() -> dict[str, ss.SEMResult]:
    out = {}
    for key, (ref, data, kw) in CASES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ss.DroppedDataWarning)
            out[key] = ss.sem(ref[key]["model"], _data(data), **kw)
    return out


def _close(ours: float, theirs: float, tol: float) -> bool:
    return abs(ours - theirs) <= tol * max(1.0, abs(theirs))


@pytest.mark.parametrize("key", list(CASES))
def test_fit_measures(fits: dict[str, ss.SEMResult], key: str) -> None:
    ref = CASES[key][0][key]["fit_measures"]
    fm = fits[key].fit_measures()
    checked = 0
    for name, value in ref.items():
        ours_name = FIT_NAMES.get(name, name)
        if value is None:
            continue
        tol = TOL.get(ours_name, 1e-4)
        assert _close(float(fm[ours_name]), float(value), tol), (
            f"{key} {ours_name}: ours {fm[ours_name]!r}, lavaan {value!r}"
        )
        checked += 1
    assert checked >= 8


@pytest.mark.parametrize("key", list(CASES))
def test_estimates(fits: dict[str, ss.SEMResult], key: str) -> None:
    ref = pd.DataFrame(CASES[key][0][key]["estimates"])
    est = fits[key].estimates()
    assert list(est.columns) == [
        "lhs",
        "op",
        "rhs",
        "label",
        "group",
        "est",
        "se",
        "z",
        "pvalue",
        "ci_lower",
        "ci_upper",
        "std_lv",
        "std_all",
    ]
    if "group" not in ref:
        ref["group"] = 1
    ref.loc[ref["op"] == ":=", "group"] = 0
    ref["rhs"] = ref["rhs"].fillna("")
    # lavaan writes := right-hand sides without spaces; compare on lhs/op for those
    merged = est.assign(rhs=np.where(est["op"] == ":=", "", est["rhs"])).merge(
        ref.assign(rhs=np.where(ref["op"] == ":=", "", ref["rhs"])),
        on=["lhs", "op", "rhs", "group"],
        how="right",
        suffixes=("", "_ref"),
        validate="one_to_one",
    )
    assert merged["est"].notna().all(), merged.loc[merged["est"].isna(), ["lhs", "op", "rhs"]]
    free = merged["se_ref"].fillna(0) > 0
    for ours, theirs in (
        ("est", "est_ref"),
        ("se", "se_ref"),
        ("std_all", "std.all"),
        ("std_lv", "std.lv"),
    ):
        if theirs not in merged:
            continue
        sel = free if ours == "se" else merged[theirs].notna()
        a = merged.loc[sel, ours].to_numpy(float)
        b = merged.loc[sel, theirs].to_numpy(float)
        tol = 1e-4 * np.maximum(1.0, np.abs(b))
        bad = np.abs(a - b) > tol
        assert not bad.any(), merged.loc[sel].loc[bad, ["lhs", "op", "rhs", ours, theirs]]
    # fixed parameters carry NaN se/z/pvalue
    fixed = est[(est["op"] != ":=")]
    fixed = fixed[fixed["se"].isna()]
    assert fixed[["z", "pvalue"]].isna().all().all()


@pytest.mark.parametrize("key", list(CASES))
def test_r2(fits: dict[str, ss.SEMResult], key: str) -> None:
    ref = pd.Series(CASES[key][0][key]["r2"], dtype=float)
    ours = fits[key].r2().reindex(ref.index)
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), atol=1e-4)


def test_modification_indices(fits: dict[str, ss.SEMResult]) -> None:
    ref = pd.DataFrame(SHARED["hs_cfa_ml"]["modindices_top10"])
    mi = fits["hs_cfa_ml"].modification_indices().head(10)
    assert list(mi["lhs"] + mi["op"] + mi["rhs"]) == list(ref["lhs"] + ref["op"] + ref["rhs"])
    np.testing.assert_allclose(mi["mi"], ref["mi"], rtol=1e-4)
    np.testing.assert_allclose(mi["epc"], ref["epc"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mi["sepc_all"], ref["sepc.all"], rtol=1e-4, atol=1e-5)


def test_riclpm_matches_explicit_lavaan_call(fits: dict[str, ss.SEMResult]) -> None:
    fit = fits["riclpm_bivariate"]
    # lavaan() adds nothing but intercepts: observed residual variances stay fixed at 0
    est = fit.estimates()
    resid = est[(est["op"] == "~~") & (est["lhs"] == "mechanism1") & (est["rhs"] == "mechanism1")]
    assert resid["est"].iloc[0] == 0 and np.isnan(resid["se"].iloc[0])
    assert fit.df == 5


def test_modification_indices_of_a_path_model(fits: dict[str, ss.SEMResult]) -> None:
    ref = pd.DataFrame(EXTRA["path_fixedx_ml"]["modindices"])
    fit = fits["path_fixedx_ml"]
    exo = set(fit.partable.exogenous_x)
    # lavaan also screens fixed covariates as outcomes; we do not
    ref = ref[(ref["op"] == "~") & ~ref["lhs"].isin(exo) & (ref["mi"] > 1e-6)]
    ours = fit.modification_indices().set_index(["lhs", "op", "rhs"])
    got = ours.loc[list(zip(ref["lhs"], ref["op"], ref["rhs"], strict=True))]
    np.testing.assert_allclose(got["mi"], ref["mi"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got["epc"], ref["epc"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got["sepc_all"], ref["sepc.all"], rtol=1e-4, atol=1e-6)


def test_modification_indices_of_a_two_group_model() -> None:
    ref = pd.DataFrame(EXTRA["hs_metric_modindices"])
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
    fit = ss.cfa(SHARED["hs_cfa_ml"]["model"], hs, group="school", group_equal=["loadings"])
    ours = fit.modification_indices().set_index(["lhs", "op", "rhs", "group"])
    got = ours.loc[list(zip(ref["lhs"], ref["op"], ref["rhs"], ref["group"], strict=True))]
    np.testing.assert_allclose(got["mi"], ref["mi"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got["epc"], ref["epc"], rtol=1e-4, atol=1e-6)
