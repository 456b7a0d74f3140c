"""Fit indices as lavaan defines them, one function per family.

References
----------
Bentler, P. M. (1990). Comparative fit indexes in structural models. Psychological
Bulletin, 107, 238-246.
Steiger, J. H. (1990); Browne, M. W. & Cudeck, R. (1993). Alternative ways of assessing
model fit. RMSEA and its confidence interval.
Brosseau-Liard, P. E. & Savalei, V. (2014). Adjusting incremental fit indices for
nonnormality. Multivariate Behavioral Research, 49, 460-470 (robust CFI/TLI).
Brosseau-Liard, P. E., Savalei, V. & Li, L. (2012). An investigation of the sample
performance of two nonnormality corrections for RMSEA. MBR, 47, 904-930 (robust RMSEA).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

__all__ = [
    "cfi",
    "chisq_pvalue",
    "information_criteria",
    "rmsea",
    "rmsea_ci",
    "rmsea_pvalue",
    "srmr",
    "tli",
]


def chisq_pvalue(chisq: float, df: float) -> float:
    """Upper-tail p-value of a chi-square statistic (NaN when df is 0)."""
    if df <= 0:
        return float("nan")
    return float(stats.chi2.sf(chisq, df))


def cfi(
    chisq: float,
    df: float,
    base_chisq: float,
    base_df: float,
    c_hat: float = 1.0,
    c_hat_null: float = 1.0,
) -> float:
    """Comparative fit index (Bentler 1990), robust when scaling factors are given.

    Notes
    -----
    ``CFI = 1 - max(X2 - c df, 0) / max(X2 - c df, X2_0 - c_0 df_0, 0)``, with ``c = c_0 = 1``
    for the standard index (lavaan ``lav_fit_cfi``; robust: Brosseau-Liard & Savalei 2014,
    eq. 15).
    """
    t1 = max(chisq - c_hat * df, 0.0)
    t2 = max(chisq - c_hat * df, base_chisq - c_hat_null * base_df, 0.0)
    if np.isclose(t1, 0.0) and np.isclose(t2, 0.0):
        return 1.0
    return float(1.0 - t1 / t2)


def tli(
    chisq: float,
    df: float,
    base_chisq: float,
    base_df: float,
    c_hat: float = 1.0,
    c_hat_null: float = 1.0,
) -> float:
    """Tucker-Lewis index (non-normed fit index).

    Notes
    -----
    ``TLI = 1 - ((X2 - c df) df_0) / ((X2_0 - c_0 df_0) df)`` (lavaan >= 0.5-21 form; not
    truncated, so it may exceed 1).
    """
    t1 = (chisq - c_hat * df) * base_df
    t2 = (base_chisq - c_hat_null * base_df) * df
    if df > 0 and abs(t2) > 0:
        return float(1.0 - t1 / t2)
    return 1.0


def rmsea(chisq: float, df: float, n: int, n_groups: int = 1, c_hat: float = 1.0) -> float:
    """Root mean square error of approximation.

    Notes
    -----
    ``RMSEA = sqrt(max(0, X2/(N df) - c/N)) * sqrt(G)`` with N the total sample size and G
    the number of groups (Steiger 1998 multiple-group correction); ``c`` is the scaling
    factor for the robust version (Brosseau-Liard, Savalei & Li 2012).
    """
    if df <= 0:
        return 0.0 if df == 0 else float("nan")
    return float(np.sqrt(max(0.0, chisq / (n * df) - c_hat / n)) * np.sqrt(n_groups))


def _ncp_for(chisq: float, df: float, target: float) -> float:
    """Non-centrality lambda with P(chi2_df(lambda) <= chisq) = target (0 if impossible)."""
    if stats.chi2.cdf(chisq, df) < target:
        return 0.0

    def f(lam: float) -> float:
        return (
            float(stats.ncx2.cdf(chisq, df, lam) - target)
            if lam > 0
            else float(stats.chi2.cdf(chisq, df) - target)
        )

    hi = max(chisq, 1.0)
    while f(hi) > 0:
        hi *= 2
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-12, rtol=1e-14, maxiter=500))


def rmsea_ci(
    chisq: float, df: float, n: int, n_groups: int = 1, level: float = 0.90
) -> tuple[float, float]:
    """Confidence interval of the RMSEA by inverting the non-central chi-square.

    Notes
    -----
    The lower bound solves ``P(chi2_df(lambda_L) <= X2) = (1 + level)/2``, the upper
    ``... = (1 - level)/2``; ``RMSEA_x = sqrt(lambda_x / (N df)) * sqrt(G)`` (Browne & Cudeck
    1993; lavaan ``lav_fit_rmsea_ci``).
    """
    if df <= 0:
        return (float("nan"), float("nan"))
    lo = _ncp_for(chisq, df, (1 + level) / 2)
    hi = _ncp_for(chisq, df, (1 - level) / 2)
    g = np.sqrt(n_groups)
    return float(np.sqrt(lo / (n * df)) * g), float(np.sqrt(hi / (n * df)) * g)


def rmsea_pvalue(chisq: float, df: float, n: int, n_groups: int = 1, close: float = 0.05) -> float:
    """P-value of the test of close fit, H0: RMSEA <= ``close``.

    Notes
    -----
    ``1 - F_ncx2(X2; df, lambda = N df close^2 / G)``.
    """
    if df <= 0:
        return float("nan")
    lam = n * df * close**2 / n_groups
    return float(stats.ncx2.sf(chisq, df, lam))


def srmr(
    samples: list[tuple[np.ndarray, np.ndarray]],
    implied: list[tuple[np.ndarray, np.ndarray]],
    weights: list[float],
    *,
    meanstructure: bool,
) -> float:
    """Standardized root mean square residual, Bentler's definition (lavaan ``srmr``).

    Parameters
    ----------
    samples, implied : list of (cov, mean)
        Sample and model-implied moments of each group.
    weights : list of float
        Group weights N_g / N.
    meanstructure : bool
        Include standardized mean residuals.

    Notes
    -----
    Residuals are scaled by the sample standard deviations,
    ``r_ij = (s_ij - sigma_ij) / sqrt(s_ii s_jj)``, over the lower triangle with the
    diagonal (and ``(ybar_i - mu_i)/sqrt(s_ii)`` with a mean structure);
    ``SRMR_g = sqrt(mean(r^2))`` and the groups are combined as ``sum_g w_g SRMR_g``.
    """
    total = 0.0
    for (s, ybar), (sig, mu), w in zip(samples, implied, weights, strict=True):
        sd = np.sqrt(np.diag(s))
        res = (s - sig) / np.outer(sd, sd)
        il = np.tril_indices(len(sd))
        parts = [res[il]]
        if meanstructure:
            parts.append((ybar - mu) / sd)
        r = np.concatenate(parts)
        total += w * float(np.sqrt(np.mean(r**2)))
    return total


def information_criteria(loglik: float, npar: int, n: int) -> dict[str, float]:
    """AIC, BIC and sample-size adjusted BIC.

    Notes
    -----
    ``AIC = -2 logL + 2 k``, ``BIC = -2 logL + k log N``,
    ``SABIC = -2 logL + k log((N + 2)/24)`` (Sclove 1987).
    """
    return {
        "aic": -2 * loglik + 2 * npar,
        "bic": -2 * loglik + npar * np.log(n),
        "sabic": -2 * loglik + npar * np.log((n + 2) / 24),
    }
