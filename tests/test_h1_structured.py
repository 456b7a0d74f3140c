"""The saturated-model statistics of the scaled test without p^2 x p^2 objects (issue 16).

The structured computations in :mod:`synergy_stats.structural.inference` (the FIML
observed information as one product over the patterns, the complete-data
``tr(B1 A1^-1)`` through ``Sigma``, ``W_c`` applied through p x p products, the
FIML-corrected trace through one Cholesky solve) are checked against independent dense
evaluations: a numerical Hessian of the casewise log-likelihood, explicit inverses of the
expected information, and lavaan's formula for ``tr(U A U Gamma)`` written out with
block-diagonal matrices. End-to-end agreement with lavaan is in ``test_engine_reference``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.structural import inference as inf
from synergy_stats.structural.engine import pattern_batches, pattern_loglik

DATA = Path(__file__).parent / "data" / "sem"
GROWTH_X = """
i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4
i ~ x1 + x2
s ~ x1 + x2
"""
GROWTH = """
i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4
"""


def _fit(model: str, data: pd.DataFrame, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ss.sem(model, data, estimator="MLR", **kw)


@pytest.fixture(scope="module")
def growth_missing() -> pd.DataFrame:
    return pd.read_csv(DATA / "demo_growth_missing10.csv")


@pytest.fixture(scope="module")
def growth_complete() -> pd.DataFrame:
    return pd.read_csv(DATA / "demo_growth.csv")


def _theta_to_moments(t: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    iu, ju = np.triu_indices(p)
    sig = np.zeros((p, p))
    sig[iu, ju] = t[p:]
    sig[ju, iu] = t[p:]
    return t[:p], sig


def test_fiml_observed_information_is_the_hessian_of_the_casewise_likelihood(growth_missing):
    fit = _fit(GROWTH_X, growth_missing, missing="fiml")
    gd = fit.group_data[0]
    assert not gd.complete
    p = gd.cov.shape[0]
    iu, ju = np.triu_indices(p)
    t0 = np.concatenate([gd.mean, gd.cov[iu, ju]])
    batches = pattern_batches(gd.raw)

    def f(t: np.ndarray) -> float:
        mu, sig = _theta_to_moments(t, p)
        return -pattern_loglik(sig, mu, batches) / gd.n

    h = 1e-4
    K = len(t0)
    num = np.zeros((K, K))
    for a in range(K):
        for b in range(a, K):
            ea = np.zeros(K)
            eb = np.zeros(K)
            ea[a] = h
            eb[b] = h
            num[a, b] = num[b, a] = (
                f(t0 + ea + eb) - f(t0 + ea - eb) - f(t0 - ea + eb) + f(t0 - ea - eb)
            ) / (4 * h * h)
    ana = inf._h1_observed_info(gd)
    np.testing.assert_allclose(ana, num, atol=2e-5 * np.abs(num).max())


@pytest.mark.parametrize(
    ("model", "kw"),
    [(GROWTH_X, {}), (GROWTH_X, {"meanstructure": True}), (GROWTH, {})],
    ids=["fixed_x", "fixed_x_means", "no_x"],
)
def test_complete_data_trace_equals_the_dense_inverse(growth_complete, model, kw):
    fit = _fit(model, growth_complete, **kw)
    gd = fit.group_data[0]
    pt = fit.partable
    ms = fit.objective.meanstructure
    x_idx = [pt.observed.index(v) for v in pt.exogenous_x]
    keep = inf.h1_keep(len(pt.observed), x_idx, ms)
    s = inf._h1_scores(gd, ms)[:, keep]
    B1 = s.T @ s / gd.n
    A1 = inf._h1_expected_info(gd, ms)[np.ix_(keep, keep)]
    dense = float(np.trace(B1 @ np.linalg.inv(A1)))
    assert inf._h1_complete_trace(gd, ms, x_idx) == pytest.approx(dense, rel=1e-11)


def test_expected_information_products(growth_complete):
    fit = _fit(GROWTH, growth_complete, meanstructure=True)
    gd = fit.group_data[0]
    A = inf._h1_expected_info(gd, True)
    X = np.random.default_rng(1).standard_normal((A.shape[0], 7))
    P = np.linalg.inv(gd.cov)
    np.testing.assert_allclose(inf._h1_expected_apply(P, X), A @ X, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        inf._h1_expected_quad(P, X), np.einsum("ir,ij,jr->r", X, A, X), rtol=1e-12
    )


def _dense_fiml_trace(result, res) -> float:
    """lavaan's V3 ``tr(U A U Gamma)`` with explicit block-diagonal matrices and inverses."""
    groups = result.group_data
    ntot = result.nobs
    fg = [gd.n / ntot for gd in groups]
    pt = result.partable
    keep = inf.h1_keep(len(pt.observed), [pt.observed.index(v) for v in pt.exogenous_x], True)
    sub = np.ix_(keep, keep)

    def bdiag(blocks):
        n = sum(b.shape[0] for b in blocks)
        out = np.zeros((n, n))
        i = 0
        for b in blocks:
            out[i : i + len(b), i : i + len(b)] = b
            i += len(b)
        return out

    Wm = [inf._h1_observed_info(gd)[sub] for gd in groups]
    Jm = []
    for gd in groups:
        s = inf._h1_scores(gd, True)[:, keep]
        Jm.append(s.T @ s / gd.n)
    Wc = [inf._h1_expected_info(gd, True)[sub] for gd in groups]
    Wmi = [np.linalg.inv(w) for w in Wm]
    Wm_all = bdiag([f * w for f, w in zip(fg, Wm, strict=True)])
    Wmi_all = bdiag([w / f for f, w in zip(fg, Wmi, strict=True)])
    Wc_all = bdiag([f * w for f, w in zip(fg, Wc, strict=True)])
    Gamma = bdiag([wi @ j @ wi / f for f, wi, j in zip(fg, Wmi, Jm, strict=True)])
    D = np.vstack(
        [inf._moment_jacobian(res.ram_model, res.theta, g)[keep] for g in range(len(groups))]
    )
    E = D.T @ Wm_all @ D
    U = Wm_all - Wm_all @ D @ np.linalg.inv(E) @ D.T @ Wm_all
    A = Wmi_all @ Wc_all @ Wmi_all
    return float(np.trace(U @ A @ U @ Gamma))


@pytest.mark.parametrize("groups", [1, 2])
def test_fiml_corrected_trace_equals_the_dense_formula(growth_missing, groups):
    data = growth_missing.assign(g=np.arange(len(growth_missing)) % 2)
    kw = {"group": "g"} if groups == 2 else {}
    fit = _fit(GROWTH_X, data, missing="fiml", **kw)
    fc = inf.fiml_corrected(fit)
    base = fit.baseline
    assert fc["c3"] * fc["df3"] == pytest.approx(_dense_fiml_trace(fit, fit), rel=1e-9)
    assert fc["c3_null"] * fc["df3_null"] == pytest.approx(_dense_fiml_trace(fit, base), rel=1e-9)
    # a meat given as matrices (the cluster-robust path) reproduces the casewise one
    meat = []
    for gd in fit.group_data:
        s = inf._h1_scores(gd, True)
        meat.append(s.T @ s / gd.n)
    fm = inf.fiml_corrected(fit, h1_meat=meat)
    assert fm["c3"] == pytest.approx(fc["c3"], rel=1e-9)
    assert fm["c3_null"] == pytest.approx(fc["c3_null"], rel=1e-9)
