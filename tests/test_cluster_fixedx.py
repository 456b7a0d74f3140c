"""Cluster-robust MLR with an observed exogenous covariate (fixed.x) against lavaan 0.6-14.

The covariate's own mean and variance are not modelled, so lavaan leaves them out of the
saturated model's part of the Yuan-Bentler trace; keeping them moves the scaled chi-square
(26.38 against 24.38 here before the fix). Reference:
tests/reference_scripts/make_cluster_fixedx_reference.R ->
tests/data/multilevel/lavaan_cluster_fixedx_reference.json.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

import synergy_stats as ss

ML = Path(__file__).parent / "data" / "multilevel"
FIT = {
    "chisq": ("chisq", 1e-3),
    "chisq_scaled": ("chisq.scaled", 1e-3),
    "scaling_factor": ("chisq.scaling.factor", 1e-4),
    "cfi_robust": ("cfi.robust", 1e-4),
    "tli_robust": ("tli.robust", 1e-4),
    "rmsea_robust": ("rmsea.robust", 1e-4),
    "srmr": ("srmr", 1e-4),
}


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((ML / "lavaan_cluster_fixedx_reference.json").read_text())


@pytest.fixture(scope="module")
def staff() -> pd.DataFrame:
    d = pd.read_csv(ML / "staff_40dept.csv")
    d["leader"] = (d["rank"] == "leader").astype(float)
    return d


@pytest.mark.parametrize(
    ("key", "missing"),
    [("cluster_fixedx_listwise_mlr", "listwise"), ("cluster_fixedx_fiml_mlr", "fiml")],
)
def test_cluster_robust_with_fixed_x(ref, staff, key, missing):
    r = ref[key]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ss.sem(r["model"], staff, cluster="department", estimator="MLR", missing=missing)
    fm = fit.fit_measures()
    for ours, (theirs, tol) in FIT.items():
        assert_allclose(fm[ours], r["fit_measures"][theirs], atol=tol, err_msg=ours)
    pe = pd.DataFrame(r["estimates"])
    est = fit.estimates()
    merged = est.merge(pe, on=["lhs", "op", "rhs"], suffixes=("", "_r"))
    assert len(merged) == len(pe)
    assert_allclose(merged["est"], merged["est_r"], atol=1e-4)
    free = merged["se_r"] > 0
    assert_allclose(merged.loc[free, "se"], merged.loc[free, "se_r"], atol=1e-4)
    assert_allclose(merged["std_all"], merged["std.all"], atol=1e-4)
