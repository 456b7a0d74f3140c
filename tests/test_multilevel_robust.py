"""Cluster-robust single-level SEM (lavaan's cluster= with MLR) against frozen lavaan 0.6-14.

References: tests/reference_scripts/make_multilevel_sem_reference.R ->
tests/data/multilevel/lavaan_multilevel_reference.json (data: staff_40dept.csv, simulated by
make_multilevel_sem_data.py: 40 departments of 3-60 staff, unsorted string ids, 8% MCAR).
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
from synergy_stats.errors import ClusterError, ClusterWarning

DATA = Path(__file__).parent / "data"
ML = DATA / "multilevel"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
FIT = {
    "chisq": ("chisq", 1e-3),
    "chisq_scaled": ("chisq.scaled", 1e-3),
    "scaling_factor": ("chisq.scaling.factor", 1e-4),
    "cfi_robust": ("cfi.robust", 1e-4),
    "tli_robust": ("tli.robust", 1e-4),
    "rmsea_robust": ("rmsea.robust", 1e-4),
    "srmr": ("srmr", 1e-4),
    "loglik": ("logl", 1e-3),
}


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((ML / "lavaan_multilevel_reference.json").read_text())


@pytest.fixture(scope="module")
def staff() -> pd.DataFrame:
    return pd.read_csv(ML / "staff_40dept.csv")


def check(fit, r: dict) -> None:
    pe = pd.DataFrame(r["estimates"])
    pe = pe[pe["op"] != ":="]
    keys = ["lhs", "op", "rhs"] + (["group"] if "group" in pe else [])
    est = fit.estimates()
    est = est[est["op"] != ":="]
    merged = est.merge(pe, on=keys, suffixes=("", "_r"))
    assert len(merged) == len(pe) == len(est)
    assert_allclose(merged["est"], merged["est_r"], atol=1e-4)
    free = merged["se_r"] > 0
    assert_allclose(merged.loc[free, "se"], merged.loc[free, "se_r"], atol=1e-4)
    assert_allclose(merged["std_all"], merged["std.all"], atol=1e-4)
    fm = fit.fit_measures()
    for ours, (theirs, tol) in FIT.items():
        assert_allclose(fm[ours], r["fit_measures"][theirs], atol=tol, err_msg=ours)


def test_hs_cfa_cluster_school_mlr(ref):
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
    with pytest.warns(ClusterWarning, match="2 clusters for 30 free parameters"):
        fit = ss.cfa(HS_MODEL, hs, cluster="school", estimator="MLR")
    check(fit, ref["hs_cfa_cluster_school_mlr"])
    assert fit.fit_measures()["n_clusters"] == 2


@pytest.mark.parametrize(
    ("key", "kw"),
    [
        ("staff_sem_cluster_fiml_mlr", {"missing": "fiml"}),
        ("staff_sem_cluster_fiml_mlr_2groups", {"missing": "fiml", "group": "rank"}),
        ("staff_sem_cluster_listwise_mlr", {}),
    ],
)
def test_staff_sem_cluster_robust(ref, staff, key, kw):
    r = ref[key]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ss.sem(r["model"], staff, cluster="department", estimator="MLR", **kw)
    check(fit, r)
    # the defined indirect effect gets its cluster-robust delta-method SE too
    d = fit.estimates().query("op == ':='")
    rd = pd.DataFrame(r["estimates"]).query("op == ':='")
    assert_allclose(d["se"].to_numpy(), rd["se"].to_numpy(), atol=1e-4)


def test_cluster_robust_differs_from_naive(ref, staff):
    r = ref["staff_sem_fiml_mlr_naive"]
    naive = ss.sem(r["model"], staff, estimator="MLR", missing="fiml")
    check_se = pd.DataFrame(r["estimates"]).query("op != ':='")["se"].to_numpy()
    est = naive.estimates().query("op != ':='")
    free = check_se > 0
    assert_allclose(est["se"].to_numpy()[free], check_se[free], atol=1e-4)
    clustered = ss.sem(r["model"], staff, estimator="MLR", missing="fiml", cluster="department")
    ratio = (
        clustered.estimates().query("op == '~1' and se > 0")["se"]
        / est.query("op == '~1' and se > 0")["se"].to_numpy()
    )
    # department effects inflate the intercepts' SEs (design effect)
    assert np.min(ratio.to_numpy()) > 1.5


def test_cluster_rows_shuffled_and_ids_recoded(staff, ref):
    r = ref["staff_sem_cluster_fiml_mlr"]
    a = ss.sem(r["model"], staff, cluster="department", missing="fiml")
    shuffled = staff.sample(frac=1.0, random_state=11).reset_index(drop=True)
    shuffled["dept_num"] = shuffled["department"].str[1:].astype(int) * 7 % 101
    b = ss.sem(r["model"], shuffled, cluster="dept_num", missing="fiml")
    assert_allclose(b.estimates()["se"], a.estimates()["se"], rtol=1e-6)


def test_missing_cluster_ids(staff, ref):
    bad = staff.copy()
    bad.loc[[3, 8], "department"] = None
    m = ref["staff_sem_cluster_fiml_mlr"]["model"]
    with pytest.raises(ClusterError, match=r"row\(s\) 3, 8"):
        ss.sem(m, bad, cluster="department", missing="fiml")
    with pytest.warns(ss.DroppedDataWarning, match="2 row"):
        fit = ss.sem(m, bad, cluster="department", missing="fiml", missing_cluster="drop")
    assert fit.nobs == len(staff) - 2
