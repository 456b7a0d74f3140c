"""Degenerate clusters and library exceptions in the regressions (issue 11)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.errors import DataValidationError, SpecificationError
from synergy_stats.regression.clusters import FEW_CLUSTERS, FewClustersWarning


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 120
    g = np.repeat(np.arange(40), 3)
    u = rng.normal(size=40)[g]
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "y": 0.5 * x + u + rng.normal(size=n),
            "x": x,
            "g40": g,
            "g2": g % 2,
            "g1": 0,
            "g10": g % 10,
            "hi": (x + rng.normal(size=n) > 0).astype(int),
        }
    )


def test_mixedlm_with_one_group_is_refused(df) -> None:
    with pytest.raises(DataValidationError, match=r"groups='g1' has 1 group"):
        ss.mixedlm("y ~ x", df, groups="g1")


def test_cluster_robust_with_one_or_two_clusters_is_refused(df) -> None:
    with pytest.raises(DataValidationError, match="1 cluster"):
        ss.regress("y ~ x", df, cov_type="cluster", cluster="g1")  # was ZeroDivisionError
    with pytest.raises(DataValidationError, match=r"2 cluster\(s\).*rank at most G - 1 = 1"):
        ss.regress("y ~ x", df, cov_type="cluster", cluster="g2")  # was SE 0.005, p = 0
    with pytest.raises(DataValidationError, match="2 cluster"):
        ss.logit("hi ~ x", df, cov_type="cluster", cluster="g2")


def test_few_clusters_warn_and_enough_do_not(df) -> None:
    with pytest.warns(FewClustersWarning, match="only 10 clusters") as rec:
        fit = ss.regress("y ~ x", df, cov_type="cluster", cluster="g10")
    assert rec[0].filename == __file__  # points at the caller
    assert fit.n_clusters == 10
    with pytest.warns(FewClustersWarning, match="only 10 groups"):
        ss.mixedlm("y ~ x", df, groups="g10")
    assert FEW_CLUSTERS <= 40
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewClustersWarning)
        ss.regress("y ~ x", df, cov_type="cluster", cluster="g40")
        ss.mixedlm("y ~ x", df, groups="g40")
    # the warning is a SynergyWarning, and documents its literature
    assert issubclass(FewClustersWarning, ss.SynergyWarning)
    assert "Cameron" in (FewClustersWarning.__doc__ or "")
    assert "Maas" in (FewClustersWarning.__doc__ or "")


@pytest.mark.parametrize(
    ("formula", "match"),
    [
        ("y ~ zz", r"names 'zz', which is not a column"),
        ("y ~ x +", "cannot be used"),
        ("y ~ x + C(", "cannot be used"),
        ("y x", "is not accepted"),
    ],
)
def test_patsy_errors_are_specification_errors(df, formula, match) -> None:
    with pytest.raises(SpecificationError, match=match):
        ss.regress(formula, df)


def test_inf_is_a_data_validation_error(df) -> None:
    bad = df.assign(x=df["x"].where(df.index != 3, np.inf))
    with pytest.raises(DataValidationError, match=r"x \(1\) hold infinite values"):
        ss.regress("y ~ x", bad)
    with pytest.raises(DataValidationError, match="infinite"):
        ss.mixedlm("y ~ x", bad, groups="g40")
    with pytest.raises(DataValidationError, match="infinite"):
        ss.logit("hi ~ x", bad)
