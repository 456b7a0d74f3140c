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


def rni(
    chisq: float,
    df: float,
    base_chisq: float,
    base_df: float,
    c_hat: float = 1.0,
    c_hat_null: float = 1.0,
) -> float:
    """Relative noncentrality index (McDonald & Marsh 1990): the CFI without truncation.

    Notes
    -----
    ``RNI = 1 - (X2 - c df) / (X2_0 - c_0 df_0)``; NaN when the denominator is 0.
    """
    t2 = base_chisq - c_hat_null * base_df
    if np.isclose(t2, 0.0) or not np.isfinite(t2):
        return float("nan")
    return float(1.0 - (chisq - c_hat * df) / t2)


def other_incremental(
    chisq: float, df: float, base_chisq: float, base_df: float
) -> dict[str, float]:
    """Bollen's RFI and IFI, Bentler & Bonett's NFI and James et al.'s PNFI.

    Notes
    -----
    ``RFI = (X2_0/df_0 - X2/df) / (X2_0/df_0)`` (1 when negative); ``NFI = (X2_0 - X2)/X2_0``;
    ``PNFI = (df/df_0) NFI``; ``IFI = (X2_0 - X2) / (X2_0 - df)`` (1 when the denominator is
    negative). NaN where the model has more df than the baseline (lavaan ``lav_fit_rfi`` and
    its neighbours).
    """
    nan = float("nan")
    if df > base_df:
        rfi_v = nfi_v = nan
    elif df > 0 and base_df > 0:
        t1, t2 = base_chisq / base_df - chisq / df, base_chisq / base_df
        rfi_v = 1.0 if (t1 < 0 or t2 < 0) else t1 / t2
        nfi_v = nan if np.isclose(base_chisq, 0.0) else (base_chisq - chisq) / base_chisq
    else:
        rfi_v = nfi_v = 1.0
    pnfi_v = (
        (df / base_df) * (base_chisq - chisq) / base_chisq
        if base_df > 0 and base_chisq > 0
        else nan
    )
    t2 = base_chisq - df
    if t2 < 0:
        ifi_v = 1.0
    elif np.isclose(t2, 0.0):
        ifi_v = nan
    else:
        ifi_v = (base_chisq - chisq) / t2
    return {"rfi": float(rfi_v), "nfi": float(nfi_v), "pnfi": float(pnfi_v), "ifi": float(ifi_v)}


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


def rmsea_notclose_pvalue(
    chisq: float, df: float, n: int, n_groups: int = 1, notclose: float = 0.08, c_hat: float = 1.0
) -> float:
    """P-value of the test of not-close fit, H0: RMSEA >= ``notclose`` (MacCallum et al. 1996).

    Notes
    -----
    ``F_ncx2(X2; df, lambda = N df notclose^2 / (c G))``.
    """
    if df <= 0:
        return float("nan")
    lam = n * df * notclose**2 / (c_hat * n_groups)
    return float(stats.ncx2.cdf(chisq, df, lam))


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


def residual_summaries(
    samples: list[tuple[np.ndarray, np.ndarray]],
    implied: list[tuple[np.ndarray, np.ndarray]],
    weights: list[float],
    *,
    meanstructure: bool,
) -> dict[str, float]:
    """RMR, Bentler's SRMR, the correlation RMR and Mplus' SRMR, with and without means.

    Parameters
    ----------
    samples, implied : list of (cov, mean)
        Sample (EM under FIML) and model-implied moments of each group.
    weights : list of float
        Group weights N_g / N.
    meanstructure : bool
        Whether the mean residuals enter the ``rmr``, ``srmr_bentler``, ``crmr`` and
        ``srmr_mplus`` totals (the ``*_nomean`` ones never take them).

    Returns
    -------
    dict
        ``rmr rmr_nomean srmr_bentler srmr_bentler_nomean crmr crmr_nomean srmr_mplus
        srmr_mplus_nomean``, each the ``N_g / N``-weighted sum of the group values.

    Notes
    -----
    With ``d = S - Sigma`` over the lower triangle and the diagonal: RMR is the root mean
    square of ``d`` (and of ``ybar - mu``); Bentler's SRMR divides ``d_ij`` by
    ``sqrt(s_ii s_jj)`` and ``ybar_i - mu_i`` by ``sqrt(s_ii)``; the CRMR compares the two
    correlation matrices below the diagonal (its diagonal is 0 by construction) with the
    same standardized mean residuals; Mplus' SRMR adds the relative variance residuals
    ``(s_ii - sigma_ii) / s_ii`` and standardizes the means by their own SDs
    (``ybar_i / sqrt(s_ii) - mu_i / sqrt(sigma_ii)``), as lavaan's ``lav_residuals_summary``
    and ``lav_fit_srmr_mplus``.
    """
    out = dict.fromkeys(
        (
            "rmr",
            "rmr_nomean",
            "srmr_bentler",
            "srmr_bentler_nomean",
            "crmr",
            "crmr_nomean",
            "srmr_mplus",
            "srmr_mplus_nomean",
        ),
        0.0,
    )

    def rms(*parts: np.ndarray) -> float:
        r = np.concatenate(parts)
        return float(np.sqrt(np.mean(r**2))) if r.size else float("nan")

    for (s, ybar), (sig, mu), w in zip(samples, implied, weights, strict=True):
        p = len(ybar)
        il, ils = np.tril_indices(p), np.tril_indices(p, -1)
        d = s - sig
        sd, sdi = np.sqrt(np.diag(s)), np.sqrt(np.diag(sig))
        st = d / np.outer(sd, sd)
        rc = s / np.outer(sd, sd) - sig / np.outer(sdi, sdi)
        dm, sm = ybar - mu, (ybar - mu) / sd
        dv = (np.diag(s) - np.diag(sig)) / np.diag(s)
        none = np.empty(0)
        nomean = {
            "rmr": rms(d[il]),
            "srmr_bentler": rms(st[il]),
            "crmr": rms(rc[ils]),
            "srmr_mplus": rms(rc[ils], dv),
        }
        total = {
            "rmr": rms(d[il], dm if meanstructure else none),
            "srmr_bentler": rms(st[il], sm if meanstructure else none),
            "crmr": rms(rc[ils], sm if meanstructure else none),
            "srmr_mplus": rms(rc[ils], ybar / sd - mu / sdi if meanstructure else none, dv),
        }
        for k in nomean:
            out[k] += w * total[k]
            out[f"{k}_nomean"] += w * nomean[k]
    return out


def gfi_lisrel(
    samples: list[tuple[np.ndarray, np.ndarray]],
    implied: list[tuple[np.ndarray, np.ndarray]],
    weights: list[float],
    df: float,
    *,
    meanstructure: bool,
    fixed: list[int] | None = None,
) -> dict[str, float]:
    """LISREL's GFI, AGFI and PGFI for a (complete-data) ML fit.

    Parameters
    ----------
    samples, implied, weights, meanstructure
        As for :func:`residual_summaries`.
    df : float
        Degrees of freedom of the model.
    fixed : list of int, optional
        Positions of the fixed-x covariates: their own variances, covariances and means
        are left out of both sums (they are not modelled).

    Notes
    -----
    ``GFI_g = 1 - r' V r / s' V s`` with ``s`` the sample moments, ``r`` the residuals and
    ``V`` the normal-theory weight at the model-implied moments (``1/2 D'(Sigma^-1 x
    Sigma^-1) D`` for the covariances, ``Sigma^-1`` for the means), combined with the
    ``N_g / N`` weights; ``AGFI = 1 - (k / df)(1 - GFI)`` and ``PGFI = (df / k) GFI`` with
    ``k`` the number of sample moments (Joreskog & Sorbom 1984; Mulaik et al. 1989; lavaan
    0.6's ``gfi``/``agfi``/``pgfi``).
    """
    gfi = 0.0
    k = 0
    for (s, ybar), (sig, mu), w in zip(samples, implied, weights, strict=True):
        p = len(ybar)
        W = np.linalg.inv(sig)
        mask = np.ones((p, p))
        mvec = np.ones(p)
        if fixed:
            mask[np.ix_(fixed, fixed)] = 0.0
            mvec[fixed] = 0.0
        d, sm = (s - sig) * mask, s * mask
        t1 = 0.5 * float(np.sum((W @ d) * (W @ d).T))
        t2 = 0.5 * float(np.sum((W @ sm) * (W @ sm).T))
        if meanstructure:
            dm, mm = (ybar - mu) * mvec, ybar * mvec
            t1 += float(dm @ W @ dm)
            t2 += float(mm @ W @ mm)
        gfi += w * (1.0 - t1 / t2)
        k = p * (p + 1) // 2 + (p if meanstructure else 0)
    agfi = 1.0 - (k / df) * (1.0 - gfi) if df > 0 else 1.0
    pgfi = (df / k) * gfi if k else float("nan")
    return {"gfi": float(gfi), "agfi": float(agfi), "pgfi": float(pgfi)}


def other_absolute(chisq: float, df: float, n: int, npar: int) -> dict[str, float]:
    """Hoelter's critical N, McDonald's fit index and the ECVI.

    Notes
    -----
    ``CN_a = chi2_{1-a, df} / (X2 / N) + 1`` for a = .05 and .01 (Hoelter 1983);
    ``MFI = exp(-(X2 - df) / (2N))`` (McDonald 1989); ``ECVI = X2 / N + 2 q / N`` with ``q``
    free parameters (Browne & Cudeck 1989).
    """
    nan = float("nan")
    cn = {}
    for a, key in ((0.05, "cn_05"), (0.01, "cn_01")):
        cn[key] = (
            nan
            if df == 0 and chisq < np.sqrt(np.finfo(float).eps)
            else float(stats.chi2.ppf(1 - a, df) / (chisq / n) + 1)
        )
    return {
        **cn,
        "mfi": float(np.exp(-0.5 * (chisq - df) / n)),
        "ecvi": float(chisq / n + 2 * npar / n),
    }


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
