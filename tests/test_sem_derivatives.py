"""The engine's analytic derivatives against numerical differences of the discrepancy.

Gradient, Hessian (observed information) and casewise scores of complete-data and FIML
objectives, with and without a mean structure, groups, equality constraints, fixed-x
covariates and regressions among latent variables. Differences of our own analytic
function: the check is internal consistency (the lavaan agreement is in test_sem_*.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from synergy_stats.structural.api import sem

DATA = Path(__file__).parent / "data"
CHAIN = """
mot =~ mot1 + mot2 + mot3 + mot4
mech =~ mech1 + mech2 + mech3
res =~ res1 + res2 + res3
mech ~ a*mot
res ~ b*mech + mot
mot1 ~~ mech1
"""


def _data() -> pd.DataFrame:
    d = pd.read_csv(DATA / "synergy_sim_n1000.csv").iloc[:300].copy()
    rng = np.random.default_rng(5)
    d["x"] = rng.normal(size=len(d))
    return d


def _with_holes(d: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    out = d.copy()
    cols = [c for c in out.columns if c[-1].isdigit()]
    for c in cols:
        out.loc[rng.random(len(out)) < 0.08, c] = np.nan
    return out


CASES = {
    "complete": dict(model=CHAIN, missing="listwise"),
    "complete_means_groups": dict(
        model=CHAIN + "res ~ x\n", missing="listwise", group="g", group_equal=["loadings"]
    ),
    "fiml": dict(model=CHAIN + "res ~ x\n", missing="fiml"),
    "fiml_groups": dict(model=CHAIN, missing="fiml", group="g", group_equal=["loadings"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_gradient_hessian_and_scores_are_exact(case: str) -> None:
    opts = dict(CASES[case])
    d = _data()
    d["g"] = np.where(np.arange(len(d)) % 2 == 0, "a", "b")
    if opts["missing"] == "fiml":
        d = _with_holes(d)
    model = opts.pop("model")
    fit = sem(model, d, se=False, **opts)
    obj = fit._objective
    theta = fit.theta * 1.03 + 0.01
    K = theta.size
    grad = obj.gradient(theta)
    hess = obj.hessian(theta)
    num_g = np.empty(K)
    num_h = np.empty((K, K))
    h = 1e-6
    for k in range(K):
        e = np.zeros(K)
        e[k] = h
        num_g[k] = (obj.value(theta + e) - obj.value(theta - e)) / (2 * h)
        num_h[:, k] = (obj.gradient(theta + e) - obj.gradient(theta - e)) / (2 * h)
    assert_allclose(grad, num_g, atol=1e-7)
    assert_allclose(hess, (num_h + num_h.T) / 2, atol=1e-6)
    # casewise scores of log L sum to -N/2 times the gradient of F
    scores = np.vstack(obj.scores(theta))
    assert scores.shape == (fit.nobs, K)
    assert_allclose(scores.sum(axis=0), -fit.nobs / 2 * grad, atol=1e-8)
    # the expected information is the Hessian's expectation: equal at a saturated point
    # is not testable here, but it must be symmetric positive definite
    info = obj.expected_information(theta)
    assert_allclose(info, info.T, atol=1e-12)
    assert np.linalg.eigvalsh(info).min() > 0
