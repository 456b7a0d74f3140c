"""Analytic power of the RMSEA tests of close and not-close fit (MacCallum, Browne & Sugawara 1996).

The model chi-square of a sample of ``n`` follows, approximately, a non-central chi-square
with ``df`` degrees of freedom and non-centrality ``lambda = (n - 1) df rmsea^2 / G`` (``G``
groups). A test of **close fit** (``rmsea0 < rmsea1``, e.g. .05 against .08) rejects
``H0: rmsea <= rmsea0`` when the chi-square exceeds the upper ``alpha`` quantile of the
distribution under ``rmsea0``; a test of **not-close fit** (``rmsea0 > rmsea1``, e.g. .05
against .01) rejects ``H0: rmsea >= rmsea0`` when it falls below the lower ``alpha``
quantile. The power is the probability of rejection under ``rmsea1``. Both functions give
semTools' ``findRMSEApower`` and ``findRMSEAsamplesize``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synergy_stats._typing import check_arguments
from synergy_stats.errors import OptionError

__all__ = ["rmsea_power", "rmsea_sample_size"]


def _finite(x: Any) -> bool:
    try:
        return bool(np.isfinite(float(x)))
    except (OverflowError, TypeError, ValueError):  # an int beyond the float range
        return False


def _check(df: Any, rmsea0: Any, rmsea1: Any, alpha: Any, groups: Any) -> None:
    if (
        isinstance(df, bool)
        or not isinstance(df, int | float | np.integer)
        or not _finite(df)
        or df <= 0
    ):
        raise OptionError(f"df={df!r} must be a positive number of degrees of freedom")
    if df > 1e12:  # the noncentral chi-square is NaN far beyond any model's df
        raise OptionError(f"df={df!r} is not accepted; use at most 1e12 degrees of freedom")
    for name, val in (("rmsea0", rmsea0), ("rmsea1", rmsea1)):
        if (
            isinstance(val, bool)
            or not isinstance(val, int | float | np.number)
            or not _finite(val)
            or val < 0
        ):
            raise OptionError(f"{name}={val!r} must be a non-negative number")
    if rmsea0 == rmsea1:
        raise OptionError(
            f"rmsea0 and rmsea1 are both {rmsea0!r}; they must differ (rmsea0 < rmsea1: close "
            "fit; rmsea0 > rmsea1: not-close fit)"
        )
    if not 0 < alpha < 1:
        raise OptionError(f"alpha={alpha!r} must lie strictly between 0 and 1")
    if isinstance(groups, bool) or not isinstance(groups, int | np.integer) or groups < 1:
        raise OptionError(f"groups={groups!r} must be a positive integer")


def rmsea_power(
    df: float,
    n: float | np.ndarray,
    rmsea0: float,
    rmsea1: float,
    alpha: float = 0.05,
    *,
    groups: int = 1,
) -> float | np.ndarray:
    """Power of the RMSEA test of close (``rmsea0 < rmsea1``) or not-close fit.

    Parameters
    ----------
    df : float
        Degrees of freedom of the model.
    n : int or array of int
        Total sample size(s).
    rmsea0 : float
        RMSEA under the null hypothesis (.05 for both classic tests).
    rmsea1 : float
        RMSEA under the alternative (.08 for close fit, .01 for not-close fit).
    alpha : float
        Significance level.
    groups : int
        Number of groups (the non-centrality is divided by it, as semTools' ``group``).

    Returns
    -------
    float or numpy.ndarray
        Power, one per ``n``.

    Raises
    ------
    OptionError
        Non-positive ``df``, equal RMSEA values, ``alpha`` outside (0, 1).

    Notes
    -----
    With ``lambda_k = (n - 1) df rmsea_k^2 / G`` and ``F(.; df, lambda)`` the non-central
    chi-square distribution function: close fit ``1 - F(c; df, lambda_1)`` with
    ``c = F^-1(1 - alpha; df, lambda_0)``; not-close fit ``F(c; df, lambda_1)`` with
    ``c = F^-1(alpha; df, lambda_0)`` (MacCallum, Browne & Sugawara 1996, eq. 8-10).

    References
    ----------
    MacCallum, R. C., Browne, M. W. & Sugawara, H. M. (1996). Power analysis and
    determination of sample size for covariance structure modeling. Psychological Methods,
    1, 130-149.

    Examples
    --------
    Mirrors semTools' ``findRMSEApower(rmsea0 = .05, rmseaA = .08, df = 20, n = 200)``:

    >>> import synergy_stats as ss
    >>> round(float(ss.rmsea_power(20, 200, 0.05, 0.08)), 4)
    0.4544
    """
    check_arguments(rmsea_power, locals())
    from scipy.stats import chi2, ncx2

    _check(df, rmsea0, rmsea1, alpha, groups)
    df = float(df)  # a Python int beyond int64 would reach scipy as an object array
    n_arr = np.asarray(n, dtype=float)
    if np.any(n_arr <= 1):
        raise OptionError(f"n={n!r} must exceed 1")
    lam0 = (n_arr - 1) * df * rmsea0**2 / groups
    lam1 = (n_arr - 1) * df * rmsea1**2 / groups

    def dist(lam: np.ndarray) -> Any:
        # a zero non-centrality is the central chi-square (scipy's ncx2 needs lambda > 0)
        return chi2(df) if np.all(lam == 0) else ncx2(df, lam)

    if rmsea0 < rmsea1:
        crit = dist(lam0).isf(alpha)
        power = dist(lam1).sf(crit)
    else:
        crit = dist(lam0).ppf(alpha)
        power = dist(lam1).cdf(crit)
    power = np.asarray(power, dtype=float)
    return float(power) if power.ndim == 0 else power


def rmsea_sample_size(
    df: float,
    rmsea0: float,
    rmsea1: float,
    power: float = 0.8,
    alpha: float = 0.05,
    *,
    groups: int = 1,
) -> float:
    """Smallest sample size whose RMSEA test reaches ``power`` (as semTools).

    Parameters
    ----------
    df, rmsea0, rmsea1, alpha, groups
        As :func:`rmsea_power`.
    power : float
        Wanted power.

    Returns
    -------
    float
        The smallest total ``n`` (from 5 up) whose power exceeds ``power``, divided by
        ``groups`` (semTools' ``findRMSEAsamplesize`` returns the size per group); 5 /
        ``groups`` when ``n = 5`` already has the power.

    Raises
    ------
    OptionError
        As :func:`rmsea_power`, or ``power`` outside (0, 1).

    Examples
    --------
    Mirrors semTools' ``findRMSEAsamplesize(rmsea0 = .05, rmseaA = .08, df = 20)``:

    >>> import synergy_stats as ss
    >>> ss.rmsea_sample_size(20, 0.05, 0.08)
    434.0
    """
    check_arguments(rmsea_sample_size, locals())
    _check(df, rmsea0, rmsea1, alpha, groups)
    if not 0 < power < 1:
        raise OptionError(f"power={power!r} must lie strictly between 0 and 1")

    # semTools scans the candidates n = 5..500, 505..1000, 1005..1500, ... (blocks of 496)
    # for the first with more power. The first 20 blocks are scanned so; beyond them
    # (rmsea1 close to rmsea0) the first such candidate is found by doubling and bisection
    # over the candidates' index (power rises with n): the same n without the hundreds of
    # thousands of blocks a plain scan would evaluate.
    def cand(i: int) -> float:
        return float((i // 496) * 500 + 5 + i % 496)

    df = float(df)
    for block in range(20):
        n = np.arange(5, 501, dtype=float) + 500 * block
        pw = np.asarray(rmsea_power(df, n, rmsea0, rmsea1, alpha, groups=groups))
        hit = np.flatnonzero(pw > power)
        if hit.size:
            return float(n[hit[0]] / groups)

    def more(i: int) -> bool:
        m = cand(i)
        return bool(np.asarray(rmsea_power(df, m, rmsea0, rmsea1, alpha, groups=groups)) > power)

    lo, hi = 20 * 496 - 1, 40 * 496
    while not more(hi):
        if cand(hi) > 1e8:
            raise OptionError(
                f"power={power} is not reached below n = 1e8 for rmsea0={rmsea0}, "
                f"rmsea1={rmsea1}, df={df}"
            )
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if more(mid) else (mid, hi)
    return float(cand(hi) / groups)
