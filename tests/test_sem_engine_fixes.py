"""Engine fixes of issue 16 against frozen lavaan 0.6-14 numbers.

References: tests/data/sem/engine_fixes_reference.json, made by
tests/reference_scripts/make_engine_fixes_reference.R.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from synergy_stats.errors import OptionError
from synergy_stats.structural.api import sem

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "sem" / "engine_fixes_reference.json").read_text())
GROWTH = """
i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4
i ~ x1 + x2
s ~ x1 + x2
"""
# lavaan's growth(): observed intercepts fixed at 0, latent intercepts free
GROWTH_MEANS = GROWTH + "t1 ~ 0*1\nt2 ~ 0*1\nt3 ~ 0*1\nt4 ~ 0*1\ni ~ 1\ns ~ 1\n"
FM = {
    "chisq": "chisq",
    "chisq_scaled": "chisq.scaled",
    "scaling_factor": "chisq.scaling.factor",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "srmr": "srmr",
    "cfi_robust": "cfi.robust",
    "tli_robust": "tli.robust",
    "rmsea_robust": "rmsea.robust",
}


def _merge(ours: pd.DataFrame, ref: list[dict]) -> pd.DataFrame:
    theirs = pd.DataFrame(ref)
    return ours.merge(theirs, on=["lhs", "op", "rhs"], suffixes=("", "_lav"))


@pytest.mark.parametrize(
    ("key", "model", "csv", "missing"),
    [
        ("growth_mlr", GROWTH_MEANS, "demo_growth.csv", "listwise"),
        ("growth_mlr_fiml", GROWTH_MEANS, "demo_growth_missing10.csv", "fiml"),
        ("growth_mlr_nomeans", GROWTH, "demo_growth.csv", "listwise"),
    ],
)
def test_mlr_with_fixed_x_covariates_matches_lavaan(key, model, csv, missing) -> None:
    ref = REF[key]
    data = pd.read_csv(DATA / "sem" / csv)
    # intercept lines switch the mean structure on by themselves, as in lavaan
    fit = sem(model, data, estimator="MLR", missing=missing)
    assert fit.options.meanstructure == (model is GROWTH_MEANS)
    fm = fit.fit_measures()
    for ours, theirs in FM.items():
        # the FIML-corrected robust RMSEA agrees to 1.2e-4 (relative); all else to 2e-5
        tol = 2e-4 if (ours == "rmsea_robust" and missing == "fiml") else 2e-5
        assert_allclose(fm[ours], ref["fit_measures"][theirs], rtol=tol, err_msg=ours)
    m = _merge(fit.estimates(), ref["estimates"])
    assert_allclose(m["est"], m["est_lav"], atol=2e-5)
    free = m["se_lav"] > 0
    assert_allclose(m.loc[free, "se"], m.loc[free, "se_lav"], rtol=2e-4, atol=1e-6)


def test_explicit_meanstructure_false_is_refused_where_means_are_needed() -> None:
    data = pd.read_csv(DATA / "sem" / "demo_growth_missing10.csv")
    with pytest.raises(OptionError, match=r"meanstructure=False.*fiml"):
        sem(GROWTH, data, missing="fiml", meanstructure=False)
    with pytest.raises(OptionError, match="intercept lines"):
        sem(GROWTH_MEANS, data.dropna(), meanstructure=False)


def test_std_lv_with_regressions_among_latent_variables_matches_lavaan() -> None:
    ref = REF["std_lv_regression"]
    data = pd.read_csv(DATA / "political_democracy.csv")
    fit = sem(ref["model"], data, std_lv=True)
    assert_allclose(fit.fit_measures()["chisq"], ref["fit_measures"]["chisq"], rtol=1e-6)
    m = _merge(fit.estimates(), ref["estimates"])
    assert len(m) == len(ref["estimates"])
    assert_allclose(m["est"], m["est_lav"], atol=1e-5)
    assert_allclose(m["std_all"], m["std.all"], atol=1e-5)
    free = m["se_lav"] > 0
    assert_allclose(m.loc[free, "se"], m.loc[free, "se_lav"], rtol=1e-4)


@pytest.mark.parametrize("factor", [1e3, 1e6])
@pytest.mark.parametrize(("estimator", "missing"), [("ML", "listwise"), ("MLR", "fiml")])
def test_identification_and_convergence_do_not_depend_on_the_units(
    factor, estimator, missing
) -> None:
    data = pd.read_csv(DATA / "holzinger_swineford_1939_missing10.csv")
    if missing == "listwise":
        data = data.dropna()
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    base = sem(model, data, estimator=estimator, missing=missing)
    big = data.copy()
    cols = [f"x{i}" for i in range(1, 10)]
    big[cols] = big[cols] * factor
    fit = sem(model, big, estimator=estimator, missing=missing)
    assert fit.converged
    a, b = base.fit_measures(), fit.fit_measures()
    for k in ("chisq", "cfi", "rmsea", "srmr"):
        assert_allclose(b[k], a[k], rtol=1e-6, err_msg=k)
    assert_allclose(fit.estimates()["std_all"], base.estimates()["std_all"], atol=1e-6)
    # loadings scale with the data, z values do not
    assert_allclose(fit.estimates()["z"], base.estimates()["z"], rtol=1e-5, atol=1e-8)
    assert np.isfinite(fit.estimates()["se"]).sum() == np.isfinite(base.estimates()["se"]).sum()
