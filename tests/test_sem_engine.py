"""SEM core behaviour: bad input, defaults, warnings, immutability, the semopy cross-check."""

from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.structural.partable import build_partable
from synergy_stats.structural.syntax import parse_model

DATA = Path(__file__).parent / "data"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
SYN_MODEL = """
mot =~ mot1 + mot2 + mot3 + mot4
mech =~ mech1 + mech2 + mech3 + mech4
proc =~ proc1 + proc2 + proc3 + proc4
res =~ res1 + res2 + res3 + res4
mech ~ a*mot
proc ~ b*mech + mot
res ~ c*proc + mech
indirect := a*b*c
"""


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(DATA / "holzinger_swineford_1939.csv")


@pytest.fixture(scope="module")
def syn() -> pd.DataFrame:
    return pd.read_csv(DATA / "synergy_sim_n1000.csv")


# --------------------------------------------------------------------------- bad input
def test_unknown_variable_is_named(hs: pd.DataFrame) -> None:
    with pytest.raises(ss.SpecificationError, match="x99"):
        ss.cfa("f =~ x1 + x2 + x99", hs)


def test_syntax_error_reports_line_and_column(hs: pd.DataFrame) -> None:
    with pytest.raises(ss.ModelSyntaxError, match=r"line 2"):
        ss.cfa("f =~ x1 + x2 + x3\ng =~ x4 + + x5", hs)


def test_negative_df_is_an_identification_error(hs: pd.DataFrame) -> None:
    with pytest.raises(ss.IdentificationError, match="df = -"):
        ss.sem("x1 ~~ x2\nx1 ~ x2\nx2 ~ x1", hs)


def test_factor_without_scale(hs: pd.DataFrame) -> None:
    with pytest.raises(ss.IdentificationError, match="no scale"):
        ss.cfa("f =~ NA*x1 + x2 + x3", hs)


def test_non_numeric_column(hs: pd.DataFrame) -> None:
    with pytest.raises(ss.DataValidationError, match="school"):
        ss.cfa("f =~ x1 + x2 + school", hs)


def test_constant_column(hs: pd.DataFrame) -> None:
    d = hs.assign(x3=1.0)
    with pytest.raises(ss.DataValidationError, match="constant"):
        ss.cfa("f =~ x1 + x2 + x3", d)


def test_fewer_rows_than_variables(hs: pd.DataFrame) -> None:
    with pytest.raises(ss.DataValidationError, match="more rows than variables"):
        ss.cfa(HS_MODEL, hs.head(8))


def test_bad_options_are_typed(hs: pd.DataFrame) -> None:
    with pytest.raises(ss.OptionError, match="estimator='WLS'"):
        ss.cfa(HS_MODEL, hs, estimator="WLS")  # type: ignore[arg-type]
    with pytest.raises(ss.OptionError, match="missing"):
        ss.cfa(HS_MODEL, hs, missing="pairwise")  # type: ignore[arg-type]
    with pytest.raises(ss.DataValidationError, match="DataFrame"):
        ss.cfa(HS_MODEL, hs.to_numpy())  # type: ignore[arg-type]


def test_unconverged_model_raises(hs: pd.DataFrame) -> None:
    # 23 complete rows of the missing-data file: lavaan does not converge either
    small = pd.read_csv(DATA / "holzinger_swineford_1939_missing10.csv").iloc[:50].dropna()
    with pytest.raises(ss.ConvergenceError, match="did not converge"):
        ss.cfa(HS_MODEL, small)


# --------------------------------------------------------------------------- behaviour
def test_listwise_warns_with_count() -> None:
    d = pd.read_csv(DATA / "holzinger_swineford_1939_missing10.csv")
    n_incomplete = int(d[[f"x{i}" for i in range(1, 10)]].isna().any(axis=1).sum())
    with pytest.warns(ss.DroppedDataWarning, match=f"dropped {n_incomplete} of"):
        fit = ss.cfa(HS_MODEL, d)
    assert fit.nobs == len(d) - n_incomplete
    assert fit.n_dropped == n_incomplete


def test_input_frame_is_not_modified(hs: pd.DataFrame) -> None:
    before = hs.copy(deep=True)
    ss.cfa(HS_MODEL, hs, estimator="MLR")
    pd.testing.assert_frame_equal(hs, before)


def test_result_is_immutable(hs: pd.DataFrame) -> None:
    fit = ss.cfa(HS_MODEL, hs)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.theta = np.zeros(3)  # type: ignore[misc]
    est1 = fit.estimates()
    est1.loc[0, "est"] = 99.0
    assert fit.estimates().loc[0, "est"] == 1.0


def test_heywood_case_warns() -> None:
    # r_ab r_ac / r_bc = 1.6 > 1: the one-factor solution needs a negative variance of a
    rng = np.random.default_rng(3)
    corr = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.4], [0.8, 0.4, 1.0]])
    d = pd.DataFrame(rng.multivariate_normal(np.zeros(3), corr, size=500), columns=list("abc"))
    with pytest.warns(ss.HeywoodWarning, match="a ~~ a"):
        ss.cfa("f =~ a + b + c", d)


def test_summary_and_repr(syn: pd.DataFrame) -> None:
    fit = ss.sem(SYN_MODEL, syn)
    text = fit.summary()
    assert re.search(r"Test statistic\s+109\.655\n\s+Degrees of freedom\s+99\n", text)
    assert re.search(r"^    indirect\s+0\.083\s+0\.014", text, re.M)
    assert "converged=True" in repr(fit)
    assert fit.spec.to_syntax().count("=~") == 4


def test_spec_prints_back_and_refits(syn: pd.DataFrame) -> None:
    fit = ss.sem(SYN_MODEL, syn)
    again = ss.sem(fit.spec.to_syntax(), syn)
    np.testing.assert_allclose(again.theta, fit.theta, atol=1e-10)


def test_implied_and_residual_covariances(hs: pd.DataFrame) -> None:
    fit = ss.cfa(HS_MODEL, hs)
    res = fit.residual_cov()
    np.testing.assert_allclose(res.to_numpy(), (fit.sample_cov() - fit.implied_cov()).to_numpy())
    x = hs[[f"x{i}" for i in range(1, 10)]]
    np.testing.assert_allclose(fit.sample_cov().to_numpy(), np.cov(x.T, bias=True), atol=1e-12)


# --------------------------------------------------------------------------- defaults
def _rows(pt) -> set[tuple[str, str, str, bool]]:
    return {
        (lh, op, rh, f > 0) for lh, op, rh, f in zip(pt.lhs, pt.op, pt.rhs, pt.free, strict=True)
    }


def test_partable_defaults_follow_lavaan() -> None:
    # checked against lavaan 0.6-14 parTable(): residual covariances only among
    # dependent variables that predict nothing; exogenous covariates fixed (fixed.x)
    spec = parse_model("x2 ~ x1 + y1\ny2 ~ x1 + y1\nx3 ~ x2 + y2\ny3 ~ x2 + y2")
    pt = build_partable(spec)
    rows = _rows(pt)
    assert ("x3", "~~", "y3", True) in rows
    assert ("x2", "~~", "y2", True) not in rows
    assert ("x1", "~~", "y1", False) in rows
    assert pt.npar == 13


def test_group_equal_shares_indices() -> None:
    spec = parse_model(HS_MODEL)
    pt = build_partable(spec, n_groups=2, meanstructure=True, group_equal=["loadings"])
    loads = [int(f) for op, f in zip(pt.op, pt.free, strict=True) if op == "=~" and f > 0]
    assert len(loads) == 12 and len(set(loads)) == 6


# --------------------------------------------------------------------------- semopy cross-check
@pytest.mark.parametrize("case", ["hs", "syn"])
def test_semopy_engine_agrees(case: str, hs: pd.DataFrame, syn: pd.DataFrame) -> None:
    model, data = (HS_MODEL, hs) if case == "hs" else (SYN_MODEL, syn)
    ours = ss.sem(model, data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = ss.sem(model, data, engine="semopy")
    np.testing.assert_allclose(theirs.theta, ours.theta, atol=1e-5)
    assert theirs.options.engine == "semopy"
    np.testing.assert_allclose(
        theirs.fit_measures()["chisq"], ours.fit_measures()["chisq"], atol=1e-5
    )


def test_semopy_engine_refuses_what_it_gets_wrong(hs: pd.DataFrame) -> None:
    with pytest.raises(ss.SpecificationError, match="single-group"):
        ss.cfa(HS_MODEL, hs, group="school", engine="semopy")


def test_se_false_skips_standard_errors_only(hs: pd.DataFrame) -> None:
    full = ss.cfa(HS_MODEL, hs)
    bare = ss.cfa(HS_MODEL, hs, se=False)
    np.testing.assert_allclose(bare.theta, full.theta)
    pd.testing.assert_series_equal(bare.fit_measures(), full.fit_measures())
    est = bare.estimates()
    assert est["se"].isna().all() and est["pvalue"].isna().all()
    np.testing.assert_allclose(est["std_all"], full.estimates()["std_all"])


def test_model_without_free_parameters(hs: pd.DataFrame) -> None:
    fit = ss.sem("x1 ~~ 1*x1\nx2 ~~ 0.5*x2\nx1 ~~ 0*x2", hs)
    s = np.cov(hs[["x1", "x2"]].T, bias=True)
    sigma = np.diag([1.0, 0.5])
    f = (
        np.linalg.slogdet(sigma)[1]
        + np.trace(s @ np.linalg.inv(sigma))
        - np.linalg.slogdet(s)[1]
        - 2
    )
    fm = fit.fit_measures()
    assert fm["npar"] == 0 and fm["df"] == 3
    np.testing.assert_allclose(fm["chisq"], len(hs) * f, rtol=1e-10)
    assert fit.estimates()["se"].isna().all()
