"""SEMResult.refit: the same data refitted with constraints, starts or options.

Reference: tests/data/sem/score_test_reference.json ("refit"), written by
tests/reference_scripts/make_score_test_reference.R: lavaan 0.6-14 fits of the constrained
models written out in full (an explicit ``b == c``; a fixed loading and two residual
variances made equal; the metric two-group model; ``b == c`` under FIML).
Tolerances: estimates and standard errors 1e-4, chi-square 1e-3, df exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from synergy_stats.errors import (
    DroppedDataWarning,
    ModelSyntaxError,
    OptionError,
    SpecificationError,
)
from synergy_stats.structural.api import cfa
from synergy_stats.structural.results import SEMResult

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "sem" / "score_test_reference.json").read_text())["refit"]
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(DATA / "holzinger_swineford_1939.csv")


@pytest.fixture(scope="module")
def hs_missing() -> pd.DataFrame:
    return pd.read_csv(DATA / "holzinger_swineford_1939_missing10.csv")


@pytest.fixture(scope="module")
def base(hs) -> SEMResult:
    return cfa(REF["base"], hs)


def _check_against_lavaan(fit: SEMResult, ref: dict) -> None:
    fm = fit.fit_measures()
    assert fm["df"] == ref["fit_measures"]["df"]
    assert fm["npar"] == ref["fit_measures"]["npar"]
    assert_allclose(fm["chisq"], ref["fit_measures"]["chisq"], atol=1e-3)
    for name in ("cfi", "rmsea"):
        assert_allclose(fm[name], ref["fit_measures"][name], atol=1e-4)
    if "estimates" in ref:
        est = fit.estimates()
        want = pd.DataFrame(ref["estimates"])
        merged = est.merge(want, on=["lhs", "op", "rhs", "group"], suffixes=("", "_r"))
        assert len(merged) == len(want)
        assert_allclose(merged["est"], merged["est_r"], atol=1e-4)
        assert_allclose(merged["se"], merged["se_r"].where(merged["se_r"] != 0), atol=1e-4)


@pytest.mark.parametrize("case", ["equal", "fixed"])
def test_refit_with_constraints_matches_lavaan(base, case):
    ref = REF[case]
    _check_against_lavaan(base.refit(constraints=ref["constraints"]), ref)
    # the same with a warm start
    _check_against_lavaan(base.refit(constraints=ref["constraints"], start="current"), ref)


def test_refit_changes_group_equal_to_the_metric_model(hs):
    configural = cfa(HS, hs, group="school")
    metric = configural.refit(group_equal=["loadings"])
    _check_against_lavaan(metric, REF["metric"])
    assert metric.options.group_equal == ("loadings",)
    assert configural.options.group_equal == ()


def test_refit_under_fiml_keeps_the_rows(hs_missing):
    fit = cfa(REF["base"], hs_missing, missing="fiml")
    eq = fit.refit(constraints="b == c")
    _check_against_lavaan(eq, REF["fiml_equal"])
    assert eq.nobs == fit.nobs and eq.n_dropped == fit.n_dropped


def test_refit_leaves_the_original_alone(base):
    before = base.estimates()
    theta = base.theta.copy()
    other = base.refit(constraints=["b == c"], estimator="MLR")
    assert other is not base
    assert other.options.estimator == "MLR" and base.options.estimator == "ML"
    assert np.array_equal(base.theta, theta)
    pd.testing.assert_frame_equal(base.estimates(), before)
    assert "b == c" not in base.spec.to_syntax()


def test_refit_without_changes_reproduces_the_fit(base):
    again = base.refit()
    assert_allclose(again.theta, base.theta, atol=1e-7)
    assert again.fit_measures()["chisq"] == pytest.approx(base.fit_measures()["chisq"], abs=1e-8)


def test_refit_option_change_equals_a_new_sem_call(base, hs):
    mlr = base.refit(estimator="MLR").fit_measures()
    direct = cfa(REF["base"], hs, estimator="MLR").fit_measures()
    for name in ("chisq", "chisq_scaled", "scaling_factor", "cfi_robust", "rmsea_robust"):
        assert_allclose(mlr[name], direct[name], rtol=1e-9, err_msg=name)


def test_warm_start_from_current_estimates(base):
    # from the estimates themselves the optimiser has nothing left to do
    assert base.refit(start="current").optim.iterations <= 1 < base.optim.iterations


def test_start_values_by_name(base):
    names = base.parameter_names()
    start = pd.Series(base.theta, index=names)
    warm = base.refit(start=start)
    assert warm.optim.iterations <= 1
    part = base.refit(start={"b": 1.2, "c": 0.9})
    assert_allclose(part.theta, base.theta, atol=1e-6)


def test_refit_syntax_merges_modifiers(base):
    # a relation already in the model keeps its place and label, and takes the fixed value
    fit = base.refit(constraints="speed =~ 1.1*x8")
    row = fit.estimates().query("lhs == 'speed' and rhs == 'x8'").iloc[0]
    assert row["est"] == 1.1 and row["label"] == "b" and np.isnan(row["se"])
    assert fit.df == base.df + 1
    # a new relation among the model's variables is added
    assert base.refit(constraints="x7 ~~ x8").df == base.df - 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"missing": "fiml"}, OptionError, "keeps the data"),
        ({"group": "school"}, OptionError, "keeps the data"),
        ({"ordered": True}, OptionError, "keeps the data"),
        ({"estimatr": "MLR"}, OptionError, "no option 'estimatr'"),
        ({"estimator": "GLS"}, OptionError, "estimator"),
        ({"start": "warm"}, OptionError, "current"),
        ({"start": [1.0, 2.0]}, OptionError, "start"),
        ({"start": {"zz": 1.0}}, OptionError, "zz"),
        ({"start": {"b": float("nan")}}, OptionError, "finite"),
        ({"constraints": "speed =~ q9"}, SpecificationError, "q9"),
        ({"constraints": "b == qq"}, ModelSyntaxError, "qq"),
        ({"constraints": "b =="}, ModelSyntaxError, ""),
        ({"constraints": 3}, OptionError, "constraints"),
    ],
)
def test_bad_refits_raise_typed_errors(base, kwargs, error, match):
    with pytest.raises(error, match=match or None):
        base.refit(**kwargs)


def test_fixed_x_cannot_change_under_fiml(hs_missing):
    with pytest.warns(DroppedDataWarning, match="exogenous covariate"):
        fit = cfa("f =~ x1 + x2 + x3\nf ~ x4", hs_missing, missing="fiml")
    with pytest.raises(OptionError, match="fixed_x"):
        fit.refit(fixed_x=False)
