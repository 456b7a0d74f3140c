"""Tests between nested models: chi-square difference (scaled under MLR), score and Wald.

* :func:`difference_test`: the likelihood-ratio (chi-square difference) test, with the
  Satorra-Bentler (2001) or Satorra-Bentler (2010) scaled difference under MLR, as lavaan's
  ``lavTestLRT``;
* :func:`release_score_tests`: score (Lagrange multiplier) tests of equality constraints,
  as lavaan's ``lavTestScore(fit, release = ...)``, from
  :mod:`synergy_stats.structural.scoretest` (also :meth:`SEMResult.score_test`);
* :func:`wald_test`: the Wald test of linear restrictions, as ``lavTestWald``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from synergy_stats._typing import check_option
from synergy_stats.errors import EstimationError, SpecificationError
from synergy_stats.structural.inference import (
    invert_information,
    observed_information,
    yuan_bentler_trace,
)
from synergy_stats.structural.results import SEMResult

# the score-test mechanics live in synergy_stats.structural.scoretest (one place); the
# names stay importable from here
from synergy_stats.structural.scoretest import (
    fiml_expected_information,
    release_score_tests,
)

__all__ = [
    "DifferenceTest",
    "WaldTest",
    "difference_test",
    "fiml_expected_information",
    "release_score_tests",
    "wald_test",
]

DiffMethod = Literal["default", "standard", "satorra.bentler.2001", "satorra.bentler.2010"]


@dataclass(frozen=True)
class DifferenceTest:
    """A chi-square difference test between a restricted and a less restricted model.

    Attributes
    ----------
    chisq_diff : float
        ``T0 - T1`` (ML) or the scaled difference (MLR).
    df_diff : int
        Difference in degrees of freedom.
    pvalue : float
        Upper-tail chi-square probability.
    method : str
        ``"standard"``, ``"satorra.bentler.2001"`` or ``"satorra.bentler.2010"``.
    scaling_factor : float
        The difference scaling factor ``c_d`` (NaN for the standard test).
    chisq_diff_unscaled : float
        ``T0 - T1`` of the ML statistics.
    """

    chisq_diff: float
    df_diff: int
    pvalue: float
    method: str
    scaling_factor: float
    chisq_diff_unscaled: float

    def to_series(self) -> pd.Series:
        """The test as a pandas Series."""
        return pd.Series(
            {
                "chisq_diff": self.chisq_diff,
                "df_diff": self.df_diff,
                "pvalue": self.pvalue,
                "scaling_factor": self.scaling_factor,
                "chisq_diff_unscaled": self.chisq_diff_unscaled,
            },
            name=self.method,
            dtype=float,
        )


def _chisq(fit: SEMResult) -> float:
    return float(fit.chisq)


def difference_test(
    restricted: SEMResult,
    full: SEMResult,
    *,
    method: DiffMethod = "default",
) -> DifferenceTest:
    """Chi-square difference test of two nested models, as lavaan's ``lavTestLRT``.

    Parameters
    ----------
    restricted : SEMResult
        The more restricted model (M0, more degrees of freedom).
    full : SEMResult
        The less restricted model (M1), fitted to the same data.
    method : {"default", "standard", "satorra.bentler.2001", "satorra.bentler.2010"}
        ``"default"``: the standard test under ML, Satorra-Bentler 2001 under MLR (lavaan's
        default for the Yuan-Bentler scaled test).

    Returns
    -------
    DifferenceTest

    Raises
    ------
    SpecificationError
        The models have the same degrees of freedom, were fitted to different numbers of
        observations, or a scaled method is asked of ML fits.
    EstimationError
        Satorra-Bentler 2010 on models that are not nested at the parameter level.

    Notes
    -----
    Standard: ``T = T0 - T1`` on ``m = df0 - df1`` degrees of freedom.

    Satorra & Bentler (2001): with the scaling factors ``c0, c1`` of the two models,
    ``c_d = (df0 c0 - df1 c1) / m`` and ``T = (T0 - T1) / c_d``. ``c_d`` can be negative in
    small samples; then the 2010 version is needed.

    Satorra & Bentler (2010): ``c1`` is replaced by ``c10``, the scaling factor of model M1
    evaluated at the estimates of M0 (M1 with M0's values, no iterations), which keeps
    ``c_d`` positive.

    References
    ----------
    Satorra, A. & Bentler, P. M. (2001). A scaled difference chi-square test statistic for
    moment structure analysis. Psychometrika, 66, 507-514.
    Satorra, A. & Bentler, P. M. (2010). Ensuring positiveness of the scaled difference
    chi-square test statistic. Psychometrika, 75, 243-248.

    Examples
    --------
    Mirrors ``lavTestLRT(fit_metric, fit_configural, method = "satorra.bentler.2001")``.
    """
    check_option("method", method, DiffMethod)
    if restricted.nobs != full.nobs:
        raise SpecificationError(
            f"the models were fitted to different numbers of observations ({restricted.nobs} "
            f"and {full.nobs}); a difference test needs the same data"
        )
    df0, df1 = restricted.df, full.df
    if df0 < df1:
        restricted, full = full, restricted
        df0, df1 = df1, df0
    m = df0 - df1
    if m == 0:
        raise SpecificationError(
            "the two models have the same degrees of freedom; they are not nested"
        )
    t0, t1 = _chisq(restricted), _chisq(full)
    raw = t0 - t1
    scaled = restricted.options.estimator == "MLR" and full.options.estimator == "MLR"
    if method == "default":
        method = "satorra.bentler.2001" if scaled else "standard"
    if method != "standard" and not scaled:
        raise SpecificationError(f"method={method!r} needs both models fitted with estimator='MLR'")
    if method == "standard":
        return DifferenceTest(raw, m, _sf(raw, m), "standard", float("nan"), raw)
    c0 = float(restricted.fit_measures()["scaling_factor"])
    if method == "satorra.bentler.2001":
        c1 = float(full.fit_measures()["scaling_factor"]) if df1 > 0 else 1.0
        if df1 > 0 and math.isclose(t1, 0.0, abs_tol=1e-12):
            c1 = 0.0
    else:
        c1 = _scaling_factor_at(full, restricted)
    cd = (df0 * c0 - df1 * c1) / m
    if not cd > 0:
        return DifferenceTest(float("nan"), m, float("nan"), method, cd, raw)
    t = raw / cd
    return DifferenceTest(t, m, _sf(t, m), method, cd, raw)


def _sf(t: float, df: int) -> float:
    return float(stats.chi2.sf(t, df)) if np.isfinite(t) else float("nan")


def embed_theta(target: SEMResult, source: SEMResult) -> np.ndarray:
    """The free parameters of ``target`` set to the values ``source`` has for the same rows.

    A row is matched on ``(lhs, op, rhs, group)``; a row fixed in ``source`` gives its fixed
    value.

    Raises
    ------
    EstimationError
        A free row of ``target`` has no counterpart in ``source``.
    """
    spt, tpt = source.partable, target.partable
    where = {(spt.lhs[r], spt.op[r], spt.rhs[r], int(spt.group[r])): r for r in range(len(spt))}
    theta = np.full(tpt.npar, np.nan)
    src_est = source.estimates()["est"].to_numpy()
    for r in range(len(tpt)):
        k = int(tpt.free[r])
        if k == 0 or not np.isnan(theta[k - 1]):
            continue
        key = (tpt.lhs[r], tpt.op[r], tpt.rhs[r], int(tpt.group[r]))
        sr = where.get(key)
        if sr is None and tpt.op[r] == "~~":
            sr = where.get((tpt.rhs[r], "~~", tpt.lhs[r], int(tpt.group[r])))
        if sr is None:
            raise EstimationError(
                f"parameter {key[0]} {key[1]} {key[2]} (group {key[3]}) of one model has no "
                "counterpart in the other; the models are not nested at the parameter level"
            )
        theta[k - 1] = src_est[sr]
    return theta


def _scaling_factor_at(full: SEMResult, restricted: SEMResult) -> float:
    """Yuan-Bentler scaling factor of ``full`` at the estimates of ``restricted`` (M10)."""
    theta10 = embed_theta(full, restricted)
    objective = full.objective
    if full.options.information == "observed":
        info = observed_information(objective, theta10)
    else:
        info = objective.derivatives(theta10)[2]
    e_inv = invert_information(info, 1, full.parameter_names())
    if full.df <= 0:
        return 1.0
    return yuan_bentler_trace(objective, theta10, e_inv) / full.df


# ---------------------------------------------------------------------- Wald
@dataclass(frozen=True)
class WaldTest:
    """Wald test of linear restrictions ``R theta = r``."""

    stat: float
    df: int
    pvalue: float


def wald_test(
    fit: SEMResult, restrictions: np.ndarray, values: np.ndarray | None = None
) -> WaldTest:
    """Wald test of ``R theta = r`` with the fit's sampling covariance, as ``lavTestWald``.

    Parameters
    ----------
    fit : SEMResult
        The unrestricted model.
    restrictions : (q, K) array
        The matrix ``R`` over the free parameters.
    values : (q,) array, optional
        ``r`` (default zeros).

    Returns
    -------
    WaldTest

    Notes
    -----
    ``W = (R theta - r)' (R V R')^-1 (R theta - r)`` on ``q`` degrees of freedom, with ``V``
    the sampling covariance (the sandwich under MLR, so the test is robust).
    """
    R = np.atleast_2d(np.asarray(restrictions, dtype=float))
    r = np.zeros(R.shape[0]) if values is None else np.asarray(values, dtype=float)
    d = R @ fit.theta - r
    V = R @ fit.vcov_matrix @ R.T
    stat = float(d @ np.linalg.solve(V, d))
    q = R.shape[0]
    return WaldTest(stat, q, float(stats.chi2.sf(stat, q)))
