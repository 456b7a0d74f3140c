"""Tests between nested models: chi-square difference (scaled under MLR), score and Wald.

* :func:`difference_test`: the likelihood-ratio (chi-square difference) test, with the
  Satorra-Bentler (2001) or Satorra-Bentler (2010) scaled difference under MLR, as lavaan's
  ``lavTestLRT``;
* :func:`release_score_tests`: score (Lagrange multiplier) tests of equality constraints,
  as lavaan's ``lavTestScore(fit, release = ...)``: the gradient and information of the
  model with the constraint relaxed, evaluated at the constrained estimates;
* :func:`wald_test`: the Wald test of linear restrictions, as ``lavTestWald``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from synergy_stats._typing import check_option
from synergy_stats.errors import EstimationError, SpecificationError
from synergy_stats.structural.estimate import Objective
from synergy_stats.structural.inference import (
    invert_information,
    observed_information,
    yuan_bentler_trace,
)
from synergy_stats.structural.model import RamModel
from synergy_stats.structural.results import SEMResult

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


# ---------------------------------------------------------------------- score tests
def fiml_expected_information(objective: Objective, theta: np.ndarray) -> np.ndarray:
    """Expected information per observation of the FIML likelihood at ``theta``.

    Notes
    -----
    ``I = sum_g (N_g/N) sum_p (n_p/N_g) I_p`` with, for the variables ``o`` observed in
    pattern ``p``, ``I_p[k,l] = 1/2 tr(S_o dSigma_k,oo S_o dSigma_l,oo) + dmu_k,o' S_o
    dmu_l,o`` and ``S_o = (Sigma_oo)^-1``, the implied moments of the model (lavaan's
    structured expected information for ``missing = "ml"``).
    """
    model = objective.model
    if model is None:  # pragma: no cover - fits always carry their model
        raise TypeError("fiml_expected_information needs an objective built with its model")
    K = model.npar
    info = np.zeros((K, K))
    for g, gd in enumerate(objective.groups):
        _, _, dsig, dmu = model.jacobian(theta, g)
        sigma, _ = model.implied(theta, g)
        wg = gd.n / objective.ntotal
        for pat in gd.patterns:
            o = pat.obs
            inv = np.linalg.inv(sigma[np.ix_(o, o)])
            ds = dsig[:, o][:, :, o]
            W = np.matmul(inv, ds)
            cov_part = 0.5 * (W.reshape(K, -1) @ W.transpose(0, 2, 1).reshape(K, -1).T)
            dm = dmu[:, o]
            info += wg * (pat.n / gd.n) * (cov_part + dm @ inv @ dm.T)
    return (info + info.T) / 2


def release_score_tests(
    fit: SEMResult,
    families: Sequence[Sequence[int]],
    *,
    information: Literal["expected", "observed"] | None = None,
) -> list[tuple[float, int]]:
    """Score tests for releasing sets of equality constraints, one test per set.

    Parameters
    ----------
    fit : SEMResult
        The constrained model.
    families : sequence of sequences of int
        Each is a set of parameter-table rows that share one free parameter (equal by a
        label or by ``group_equal``); releasing the set gives every row but the first its own
        parameter (``len(rows) - 1`` constraints released).
    information : {"expected", "observed"}, optional
        Information matrix (default expected, as lavaan's ``lavTestScore``). Under FIML the
        expected information sums, over missing-data patterns, the Fisher information of
        the variables observed in each pattern (lavaan's structured expected information
        for ``missing = "ml"``).

    Returns
    -------
    list of (statistic, df)

    Notes
    -----
    Let ``u`` index the free rows of the parameter table with every equality relaxed (each
    free row its own parameter), ``g`` the gradient of the log-likelihood per observation in
    that space and ``I`` its information per observation, both at the constrained estimates.
    With ``Z`` a basis of the parameter space in which every constraint but the released ones
    holds (the constrained parameters plus one direction per released row),

    ``X2 = N g' Z (Z' I Z)^-1 Z' g``

    on as many degrees of freedom as released constraints. It equals lavaan's
    ``lavTestScore(fit, release = r)`` statistic ``N g' J_r g``, where ``J_r`` is the
    ``[1:npar, 1:npar]`` block of the inverse of ``I`` bordered by the kept constraint rows
    (Bentler 1990; Satorra 1989), because ``J_r = Z (Z' I Z)^-1 Z'`` for any basis ``Z`` of
    the null space of the kept constraints. A single released constraint gives the
    univariate test lavaan prints.

    References
    ----------
    Satorra, A. (1989). Alternative test criteria in covariance structure analysis: a
    unified approach. Psychometrika, 54, 131-151.
    """
    pt = fit.partable
    free_rows = np.flatnonzero(pt.free > 0)
    unco = np.zeros_like(pt.free)
    unco[free_rows] = np.arange(1, free_rows.size + 1)
    pt_u = replace(pt, free=unco)
    model_u = RamModel(pt_u, list(fit.group_data))
    fiml = fit.objective.fiml
    obj_u = Objective(model_u, fit.group_data, fiml=fiml)
    theta_u = fit.theta[pt.free[free_rows] - 1]
    info_kind = information or "expected"
    check_option("information", info_kind, Literal["expected", "observed"])
    _, grad, info = obj_u.derivatives(theta_u, info=info_kind == "expected" and not fiml)
    if info_kind == "observed":
        info = observed_information(obj_u, theta_u)
    elif fiml:
        info = fiml_expected_information(obj_u, theta_u)
    # gradient of log L / N is -grad / 2 (F = -2 log L / N + const)
    score = -0.5 * grad
    K_u, K = free_rows.size, fit.theta.size
    L = np.zeros((K_u, K))
    L[np.arange(K_u), pt.free[free_rows] - 1] = 1.0
    upos = {int(r): i for i, r in enumerate(free_rows)}
    n = fit.objective.ntotal
    out: list[tuple[float, int]] = []
    for fam in families:
        rows = list(fam)
        if len(rows) < 2:
            raise SpecificationError("a constraint family needs at least two rows")
        extra = np.zeros((K_u, len(rows) - 1))
        for j, r in enumerate(rows[1:]):
            extra[upos[int(r)], j] = 1.0
        Z = np.hstack([L, extra])
        M = Z.T @ info @ Z
        s = Z.T @ score
        try:
            sol = np.linalg.solve(M, s)
        except np.linalg.LinAlgError:
            sol = np.linalg.pinv(M) @ s
        out.append((float(n * s @ sol), len(rows) - 1))
    return out


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
