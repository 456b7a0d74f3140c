"""The estimation engine against frozen lavaan 0.6-14 output (issue 16).

References: ``tests/data/sem/engine_reference.json`` written by
``tests/reference_scripts/make_engine_reference.R`` (data and syntax of the 44-item model by
``make_engine_data.py``) and ``tests/data/sem/engine_bootstrap_reference.json`` by
``make_engine_bootstrap_reference.R``. Cases: the main job's 44-item synergy SEM under ML and
MLR, listwise and FIML; MLR with fixed.x covariates with and without FIML and a mean
structure; growth models with ``growth()``'s defaults. Tolerances as in
``test_sem_reference.py``: estimates, SEs and standardized values within 1e-4 (relative
above 1), chi-squares 1e-3, fit indices 1e-4, log-likelihoods and information criteria 1e-2,
MLR scaled statistics and robust indices 1e-3.

Cases the engine does not meet yet carry ``xfail(strict=True)`` marks naming issue 16, so
that they turn into failures when the fix lands.
"""

from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "sem" / "engine_reference.json").read_text())
for _case in REF.values():
    if isinstance(_case, dict) and not _case.get("kwargs"):
        _case["kwargs"] = {}  # R writes an empty list() as []
BOOT = json.loads((DATA / "sem" / "engine_bootstrap_reference.json").read_text())

#: lavaan fitMeasures() names whose snake_case form is not just dots -> underscores
RENAMED = {
    "logl": "loglik",
    "unrestricted.logl": "unrestricted_loglik",
    "bic2": "sabic",
    "ntotal": "n",
    "chisq.scaling.factor": "scaling_factor",
}
CORE = [
    "npar",
    "ntotal",
    "chisq",
    "df",
    "pvalue",
    "baseline.chisq",
    "baseline.df",
    "cfi",
    "tli",
    "rmsea",
    "rmsea.ci.lower",
    "rmsea.ci.upper",
    "rmsea.pvalue",
    "srmr",
    "logl",
    "unrestricted.logl",
    "aic",
    "bic",
    "bic2",
    "baseline.pvalue",
    "nnfi",
    "rni",
    "rfi",
    "nfi",
    "pnfi",
    "ifi",
    "rmsea.notclose.pvalue",
    "fmin",
    "rmr",
    "rmr_nomean",
    "srmr_bentler",
    "srmr_bentler_nomean",
    "crmr",
    "crmr_nomean",
    "srmr_mplus",
    "srmr_mplus_nomean",
    "cn_05",
    "cn_01",
    "mfi",
    "ecvi",
]
#: LISREL's GFI family, for the complete-data cases (NaN under FIML, said in the docstring)
GFI = ["gfi", "agfi", "pgfi"]
ROBUST = [
    "chisq.scaled",
    "df.scaled",
    "pvalue.scaled",
    "chisq.scaling.factor",
    "cfi.robust",
    "tli.robust",
    "rmsea.robust",
]
#: further scaled/robust indices lavaan reports under MLR
SCALED = [
    "baseline.chisq.scaled",
    "baseline.chisq.scaling.factor",
    "cfi.scaled",
    "tli.scaled",
    "rmsea.scaled",
    "rmsea.ci.lower.scaled",
    "rmsea.ci.upper.scaled",
    "rmsea.ci.lower.robust",
    "rmsea.ci.upper.robust",
    "rmsea.pvalue.scaled",
    "rmsea.pvalue.robust",
    "rmsea.notclose.pvalue.scaled",
    "rmsea.notclose.pvalue.robust",
    "baseline.pvalue.scaled",
    "nnfi.scaled",
    "rni.scaled",
    "rfi.scaled",
    "nfi.scaled",
    "pnfi.scaled",
    "ifi.scaled",
    "nnfi.robust",
    "rni.robust",
]
TOL = {
    "chisq": 1e-3,
    "baseline_chisq": 1e-3,
    "loglik": 1e-2,
    "unrestricted_loglik": 1e-2,
    "aic": 1e-2,
    "bic": 1e-2,
    "sabic": 1e-2,
}
MLR_TOL = 1e-3  # every name of ROBUST and SCALED

ISSUE = "issue 16: "
# key -> xfail reason (the current engine's failures; removed when the fix lands)
FIT_XFAIL: dict[str, str] = {}
EST_XFAIL: dict[str, str] = {}
SCALED_XFAIL: dict[str, str] = {}


def _ours(name: str) -> str:
    return RENAMED.get(name, name.replace(".", "_"))


@functools.cache
def _fit(key: str, *, explicit_meanstructure: bool = True) -> ss.SEMResult:
    case = REF[key]
    data = pd.read_csv(DATA / case["data"])
    kw: dict[str, Any] = dict(case["kwargs"])
    model = case.get("model_explicit", case["model"])
    if "model_explicit" in case and explicit_meanstructure:
        kw["meanstructure"] = True  # growth(): the mean structure is on
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ss.DroppedDataWarning)
        return ss.sem(model, data, **kw)


def _close(ours: float, theirs: float, tol: float) -> bool:
    return abs(ours - theirs) <= tol * max(1.0, abs(theirs))


def _check_fit_measures(fit: ss.SEMResult, key: str, names: list[str]) -> None:
    ref = REF[key]["fit_measures"]
    fm = fit.fit_measures()
    bad = []
    for name in names:
        if name not in ref:
            continue
        ours = _ours(name)
        tol = MLR_TOL if name in ROBUST or name in SCALED else TOL.get(ours, 1e-4)
        value = float(fm[ours]) if ours in fm.index else float("nan")
        if not _close(value, float(ref[name]), tol):
            bad.append(f"{ours}: ours {value!r}, lavaan {ref[name]!r}")
    assert not bad, f"{key}: " + "; ".join(bad)


def _marked(keys: list[str], xfails: dict[str, str]) -> list[Any]:
    return [
        pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=ISSUE + xfails[k]))
        if k in xfails
        else k
        for k in keys
    ]


KEYS = [k for k in REF if k != "generator"]
MLR_KEYS = [k for k in KEYS if REF[k]["kwargs"].get("estimator") == "MLR"]


@pytest.mark.parametrize("key", _marked(KEYS, FIT_XFAIL))
def test_fit_measures(key: str) -> None:
    names = CORE + (ROBUST if key in MLR_KEYS else [])
    if REF[key]["kwargs"].get("missing") != "fiml":
        names = names + GFI
    _check_fit_measures(_fit(key), key, names)


def test_gfi_is_not_given_under_fiml() -> None:
    fm = _fit("syn44_fiml").fit_measures()
    assert np.isnan(fm[["gfi", "agfi", "pgfi"]]).all()
    assert np.isfinite(fm[["rmr", "crmr", "srmr_mplus", "cn_05", "ecvi"]]).all()


@pytest.mark.parametrize("key", _marked(MLR_KEYS, SCALED_XFAIL))
def test_scaled_fit_measures(key: str) -> None:
    _check_fit_measures(_fit(key), key, SCALED)


@pytest.mark.parametrize("key", _marked(KEYS, EST_XFAIL))
def test_estimates(key: str) -> None:
    ref = pd.DataFrame(REF[key]["estimates"])
    est = _fit(key).estimates()
    if "group" not in ref:
        ref["group"] = 1
    ref.loc[ref["op"] == ":=", "group"] = 0
    ref["rhs"] = ref["rhs"].fillna("")
    merged = est.assign(rhs=np.where(est["op"] == ":=", "", est["rhs"])).merge(
        ref.assign(rhs=np.where(ref["op"] == ":=", "", ref["rhs"])),
        on=["lhs", "op", "rhs", "group"],
        how="right",
        suffixes=("", "_ref"),
        validate="one_to_one",
    )
    assert merged["est"].notna().all(), merged.loc[merged["est"].isna(), ["lhs", "op", "rhs"]]
    free = merged["se_ref"].fillna(0) > 0
    bad = []
    for ours, theirs in (
        ("est", "est_ref"),
        ("se", "se_ref"),
        ("std_all", "std.all"),
        ("std_lv", "std.lv"),
    ):
        sel = free if ours == "se" else merged[theirs].notna()
        a = merged.loc[sel, ours].to_numpy(float)
        b = merged.loc[sel, theirs].to_numpy(float)
        off = np.abs(a - b) > 1e-4 * np.maximum(1.0, np.abs(b))
        if off.any():
            rows = merged.loc[sel].loc[off, ["lhs", "op", "rhs", ours, theirs]]
            bad.append(f"{ours}: {int(off.sum())} off\n{rows.head(8).to_string()}")
    assert not bad, f"{key}:\n" + "\n".join(bad)


@pytest.mark.parametrize("key", ["growth_x_mlr"])
def test_growth_intercept_lines_switch_the_mean_structure_on(key: str) -> None:
    fit = _fit(key, explicit_meanstructure=False)
    _check_fit_measures(fit, key, CORE + ROBUST)


#: our draws in the bootstrap comparison (lavaan's count and seed are in the reference)
BOOT_DRAWS = 300


def _mc_se_of_sd(x: np.ndarray) -> np.ndarray:
    """Monte Carlo standard error of the SD of each column (delta method on the variance).

    ``sqrt((m4 - s^4) / B) / (2 s)`` with ``m4`` the fourth central moment: the formula the
    reference script applies to lavaan's draws.
    """
    c = x - x.mean(axis=0)
    s2 = np.mean(c**2, axis=0)
    m4 = np.mean(c**4, axis=0)
    return np.sqrt(np.clip(m4 - s2**2, 0, None) / len(x)) / (2 * np.sqrt(s2))


@pytest.mark.slow
def test_bootstrap_se_agrees_with_lavaan_within_monte_carlo_error() -> None:
    ref = pd.DataFrame(BOOT["estimates"])
    fit = _fit("syn44_ml")
    # the same free parameters in the same order
    np.testing.assert_allclose(fit.theta, ref["est"], rtol=1e-4, atol=1e-4)
    boot = ss.bootstrap(fit, draws=BOOT_DRAWS, seed=20261202, n_jobs=2, progress=False)
    x = boot.theta_draws
    x = x[np.isfinite(x).all(axis=1)]
    assert len(x) >= 0.8 * BOOT_DRAWS, boot
    se = boot.se().to_numpy()[: fit.theta.size]
    # lavaan reports the SD over every converged draw, non-admissible ones included; we
    # leave non-admissible draws out (reported as failed), so both SEs are compared too
    for col, mc_col in (("se", "mc_se"), ("se_admissible", "mc_se_admissible")):
        z = (se - ref[col].to_numpy()) / np.hypot(_mc_se_of_sd(x), ref[mc_col].to_numpy())
        worst = int(np.argmax(np.abs(z)))
        assert np.abs(z).max() < 4.5, (col, fit.parameter_names()[worst], z[worst])
        # no common shift: the mean z stays within what 108 correlated SEs allow
        assert abs(z.mean()) < 1.0, (col, z.mean())
