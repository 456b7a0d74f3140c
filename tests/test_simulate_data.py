"""simulate_data: population moments, Likert marginals, options (seeded, sampling-error bounds)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synergy_stats as ss
from synergy_stats.simulate.data import fleishman, likert_thresholds, population

MODEL = """
f =~ .7*x1 + .6*x2 + .8*x3
g =~ .5*x4 + .7*x5 + .6*x6
g ~ .4*f
x1 ~~ .2*x4
x1 ~ 2*1
x5 ~ -1*1
"""


def _cov_z(sample: np.ndarray, sigma: np.ndarray, n: int) -> np.ndarray:
    # sampling SE of a covariance under normality: sqrt((s_ii s_jj + s_ij^2) / n)
    se = np.sqrt((np.outer(np.diag(sigma), np.diag(sigma)) + sigma**2) / n)
    return (sample - sigma) / se


def test_population_moments_by_hand():
    pop = population(MODEL)
    lam = np.zeros((6, 2))
    lam[:3, 0] = [0.7, 0.6, 0.8]
    lam[3:, 1] = [0.5, 0.7, 0.6]
    phi = np.array([[1.0, 0.4], [0.4, 0.4**2 + 1.0]])
    theta = np.eye(6)
    theta[0, 3] = theta[3, 0] = 0.2
    np.testing.assert_allclose(pop.sigma[0], lam @ phi @ lam.T + theta, atol=1e-12)
    np.testing.assert_allclose(pop.mu[0], [2, 0, 0, 0, -1, 0], atol=1e-12)


def test_large_sample_reproduces_population():
    n = 200_000
    pop = population(MODEL)
    d = ss.simulate_data(MODEL, n, seed=11)
    assert list(d.columns) == ["x1", "x2", "x3", "x4", "x5", "x6"]
    z = _cov_z(np.cov(d.to_numpy(), rowvar=False, bias=True), pop.sigma[0], n)
    assert np.abs(z).max() < 4.5
    zm = (d.mean().to_numpy() - pop.mu[0]) / np.sqrt(np.diag(pop.sigma[0]) / n)
    assert np.abs(zm).max() < 4.5
    # the same seed gives the same data; another seed other data
    pd.testing.assert_frame_equal(
        ss.simulate_data(MODEL, 50, seed=3), ss.simulate_data(MODEL, 50, seed=3)
    )
    assert not ss.simulate_data(MODEL, 50, seed=3).equals(ss.simulate_data(MODEL, 50, seed=4))


def test_from_fitted_result():
    d = ss.simulate_data(MODEL, 400, seed=2)
    fit = ss.sem("f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6\ng ~ f", d, meanstructure=True)
    n = 200_000
    d2 = ss.simulate_data(fit, n, seed=5)
    sigma = fit.implied_cov().to_numpy()
    z = _cov_z(np.cov(d2.to_numpy(), rowvar=False, bias=True), sigma, n)
    assert np.abs(z).max() < 4.5


@pytest.mark.parametrize(
    "k, props", [(5, "symmetric"), (5, [0.05, 0.1, 0.2, 0.4, 0.25]), (7, "equal")]
)
def test_likert_marginals(k, props):
    n = 100_000
    tau = likert_thresholds(k, props)
    target = np.diff(np.concatenate([[0.0], stats.norm.cdf(tau), [1.0]]))
    if not isinstance(props, str):
        np.testing.assert_allclose(target, props, atol=1e-12)
    d = ss.simulate_data(MODEL, n, seed=7, likert=k, proportions=props)
    for col in d.columns:
        share = d[col].value_counts(normalize=True).reindex(range(1, k + 1), fill_value=0)
        se = np.sqrt(target * (1 - target) / n)
        assert np.abs((share.to_numpy() - target) / se).max() < 4.5, col


def test_symmetric_thresholds_rule():
    np.testing.assert_allclose(likert_thresholds(5), [-1.2, -0.4, 0.4, 1.2])
    with pytest.raises(ss.OptionError, match="proportions"):
        likert_thresholds(3, [0.5, 0.6, -0.1])


def test_groups_with_vector_values():
    model = "y ~ c(0.2, 0.6)*x"
    d = ss.simulate_data(model, seed=1, group_sizes=[60_000, 40_000], group_labels=["a", "b"])
    assert d.group.value_counts().to_dict() == {"a": 60_000, "b": 40_000}
    for lab, b, n in (("a", 0.2, 60_000), ("b", 0.6, 40_000)):
        sub = d[d.group == lab]
        slope = np.polyfit(sub.x, sub.y, 1)[0]
        assert abs(slope - b) < 4.5 / np.sqrt(n)
    with pytest.raises(ss.SpecificationError, match="2 fixed values"):
        ss.simulate_data(model, seed=1, group_sizes=[10, 10, 10])


def test_clusters_icc():
    icc = 0.3
    d = ss.simulate_data("y ~ 0.5*x", 40_000, seed=4, clusters=400, icc=icc)
    assert d.cluster.nunique() == 400
    # one-way ANOVA estimate of the ICC of y (cluster size 100)
    grp = d.groupby("cluster").y
    msb = 100 * grp.mean().var(ddof=1)
    msw = grp.var(ddof=1).mean()
    est = (msb - msw) / (msb + 99 * msw)
    assert abs(est - icc) < 0.06
    assert abs(d.y.var() - 1.25) < 0.1  # the total variance stays the population's


def test_nonnormal_vale_maurelli():
    a, b, c, d = fleishman(1.0, 2.0)
    z = np.random.default_rng(0).standard_normal(400_000)
    y = a + b * z + c * z**2 + d * z**3
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1) < 0.01
    assert abs(stats.skew(y) - 1.0) < 0.05 and abs(stats.kurtosis(y) - 2.0) < 0.25
    n = 200_000
    pop = population(MODEL)
    dd = ss.simulate_data(MODEL, n, seed=8, skewness=1.0, kurtosis=2.0)
    rel = np.abs(np.cov(dd.to_numpy(), rowvar=False) - pop.sigma[0]).max()
    assert rel < 0.05
    assert np.all(np.abs(stats.skew(dd.to_numpy()) - 1.0) < 0.1)
    with pytest.raises(ss.OptionError, match="Fleishman"):
        fleishman(3.0, 0.0)


def test_missing_mcar_and_mar():
    d = ss.simulate_data(MODEL, 50_000, seed=9, missing=0.2)
    assert d.isna().mean().between(0.19, 0.21).all()
    d = ss.simulate_data(MODEL, 50_000, seed=9, missing={"rate": 0.3, "rule": "mar", "on": "x1"})
    assert d.x1.notna().all()
    assert abs(d.x2.isna().mean() - 0.3) < 0.01
    # MAR: rows with a high driver lose more values
    assert d.loc[d.x1 > 2, "x2"].isna().mean() > d.loc[d.x1 < 2, "x2"].isna().mean() + 0.1
    with pytest.raises(ss.OptionError, match="on"):
        ss.simulate_data(MODEL, 10, seed=1, missing={"rate": 0.1, "rule": "mar"})


def test_long_panel_with_attrition():
    model = """
    y_w2 ~ 0.5*y_w1
    y_w3 ~ 0.5*y_w2
    """
    d = ss.simulate_data(
        model, 20_000, seed=3, long={"variables": ["y"], "waves": 3, "attrition": 0.2}
    )
    assert list(d.columns) == ["id", "wave", "y"]
    counts = d.wave.value_counts().sort_index().to_numpy() / 20_000
    np.testing.assert_allclose(counts, [1.0, 0.8, 0.64], atol=0.015)
    # monotone: nobody returns after leaving
    seen = d.groupby("id").wave.agg(["max", "count"])
    assert (seen["max"] == seen["count"]).all()


def test_bad_input():
    with pytest.raises(ss.OptionError, match="n is required"):
        ss.simulate_data(MODEL, seed=1)
    with pytest.raises(ss.OptionError, match="icc"):
        ss.simulate_data(MODEL, 100, seed=1, clusters=10)
    with pytest.raises(ss.SpecificationError, match="positive definite"):
        ss.simulate_data("x1 ~~ 2*x2", 100, seed=1)
