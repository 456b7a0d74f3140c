"""Bootstrap confidence intervals as R's ``boot.ci`` computes them.

All intervals work on the finite bootstrap replicates ``t`` of one statistic with
full-sample value ``t0``. Quantiles are taken by ``boot``'s interpolation on the normal
quantile scale (:func:`norm_inter`, Davison & Hinkley 1997, eq. 5.8), which lavaan also uses
for ``se = "bootstrap"`` intervals.

References
----------
Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and Their Application*.
Cambridge University Press, ch. 5.
Efron, B. (1987). Better bootstrap confidence intervals. JASA, 82, 171-185.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "basic_interval",
    "bc_interval",
    "bca_interval",
    "jackknife_influence",
    "norm_inter",
    "norm_interval",
    "percentile_interval",
]


def _finite(t: np.ndarray) -> np.ndarray:
    t = np.asarray(t, dtype=float).ravel()
    return t[np.isfinite(t)]


def norm_inter(t: np.ndarray, alpha: np.ndarray | list[float]) -> np.ndarray:
    """Quantiles of ``t`` by interpolation on the normal quantile scale (``boot:::norm.inter``).

    Parameters
    ----------
    t : array_like
        Bootstrap replicates (non-finite values are ignored).
    alpha : array_like
        Probabilities.

    Returns
    -------
    numpy.ndarray
        One quantile per probability.

    Notes
    -----
    With R finite replicates sorted as ``t_(1) <= ... <= t_(R)``, ``r = (R + 1) alpha`` and
    ``k = floor(r)``: when r is an integer the quantile is ``t_(k)``; ``k = 0`` gives
    ``t_(1)`` and ``k = R`` gives ``t_(R)``; otherwise

        t_(k) + (z(alpha) - z(k/(R+1))) / (z((k+1)/(R+1)) - z(k/(R+1))) (t_(k+1) - t_(k)),

    z the standard normal quantile function (Davison & Hinkley 1997, eq. 5.8).

    Examples
    --------
    Mirrors ``boot:::norm.inter(t, c(0.025, 0.975))[, 2]``.

    >>> import numpy as np
    >>> norm_inter(np.arange(1.0, 40.0), [0.025, 0.975])
    array([ 1., 39.])
    """
    ts = np.sort(_finite(t))
    a = np.atleast_1d(np.asarray(alpha, dtype=float))
    R = ts.size
    out = np.full(a.shape, np.nan)
    if R == 0:
        return out
    rk = (R + 1) * a
    k = np.trunc(rk).astype(int)
    for idx in range(a.size):
        kk = int(k[idx])
        if kk == rk[idx]:
            # integer order statistic (1-based)
            if 1 <= kk <= R:
                out[idx] = ts[kk - 1]
            elif kk <= 0:
                out[idx] = ts[0]
            else:
                out[idx] = ts[-1]
        elif kk <= 0:
            out[idx] = ts[0]
        elif kk >= R:
            out[idx] = ts[-1]
        else:
            z1 = stats.norm.ppf(a[idx])
            z2 = stats.norm.ppf(kk / (R + 1))
            z3 = stats.norm.ppf((kk + 1) / (R + 1))
            tk = ts[kk - 1]
            tk1 = ts[kk]
            out[idx] = tk + (z1 - z2) / (z3 - z2) * (tk1 - tk)
    return out


def _alphas(level: float) -> np.ndarray:
    return np.array([(1 - level) / 2, (1 + level) / 2])


def percentile_interval(t: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval (``boot.ci(type = "perc")``).

    Notes
    -----
    ``[q((1 - level)/2), q((1 + level)/2)]`` with ``q`` from :func:`norm_inter`.
    """
    lo, hi = norm_inter(t, _alphas(level))
    return float(lo), float(hi)


def basic_interval(t: np.ndarray, t0: float, level: float = 0.95) -> tuple[float, float]:
    """Basic (reverse percentile) interval (``boot.ci(type = "basic")``).

    Notes
    -----
    ``[2 t0 - q((1 + level)/2), 2 t0 - q((1 - level)/2)]``.
    """
    hi_q, lo_q = norm_inter(t, _alphas(level)[::-1])
    return float(2 * t0 - hi_q), float(2 * t0 - lo_q)


def norm_interval(t: np.ndarray, t0: float, level: float = 0.95) -> tuple[float, float]:
    """Bias-corrected normal interval (``boot.ci(type = "norm")``).

    Notes
    -----
    ``t0 - b -+ z_{(1+level)/2} sd(t)`` with the bootstrap bias ``b = mean(t) - t0`` and
    ``sd`` with divisor R - 1.
    """
    tf = _finite(t)
    if tf.size < 2:
        return float("nan"), float("nan")
    bias = float(tf.mean()) - t0
    merr = float(np.sqrt(tf.var(ddof=1))) * float(stats.norm.ppf((1 + level) / 2))
    return t0 - bias - merr, t0 - bias + merr


def _adjusted(t: np.ndarray, t0: float, level: float, a: float) -> tuple[float, float]:
    tf = _finite(t)
    if tf.size == 0:
        return float("nan"), float("nan")
    w = float(stats.norm.ppf(np.sum(tf < t0) / tf.size))
    if not np.isfinite(w) or not np.isfinite(a):
        return float("nan"), float("nan")
    z = stats.norm.ppf(_alphas(level))
    adj = stats.norm.cdf(w + (w + z) / (1 - a * (w + z)))
    lo, hi = norm_inter(tf, adj)
    return float(lo), float(hi)


def bc_interval(t: np.ndarray, t0: float, level: float = 0.95) -> tuple[float, float]:
    """Bias-corrected percentile interval (lavaan's ``boot.ci.type = "bca.simple"``).

    Notes
    -----
    The BCa interval with acceleration ``a = 0``: ``w = z(#{t < t0} / R)`` and the
    percentile interval at ``Phi(2 w + z_alpha)``. NaN when every replicate lies on one
    side of ``t0`` (w infinite).
    """
    return _adjusted(t, t0, level, 0.0)


def bca_interval(
    t: np.ndarray, t0: float, influence: np.ndarray, level: float = 0.95
) -> tuple[float, float]:
    """Bias-corrected and accelerated interval (``boot.ci(type = "bca", L = influence)``).

    Parameters
    ----------
    t : array_like
        Bootstrap replicates.
    t0 : float
        Full-sample value.
    influence : array_like
        Empirical influence values ``L`` (see :func:`jackknife_influence`).
    level : float
        Confidence level.

    Notes
    -----
    ``w = z(#{t < t0} / R)``, ``a = sum(L^3) / (6 (sum(L^2))^(3/2))`` and the interval is the
    :func:`norm_inter` quantiles at ``Phi(w + (w + z_alpha) / (1 - a (w + z_alpha)))``
    (Efron 1987; Davison & Hinkley 1997, eq. 5.21). NaN when w or a is not finite.
    """
    L = _finite(influence)
    denom = 6.0 * float(np.sum(L**2)) ** 1.5
    a = float(np.sum(L**3)) / denom if denom > 0 else float("nan")
    return _adjusted(t, t0, level, a)


def jackknife_influence(
    jack: np.ndarray, t0: float, groups: np.ndarray | None = None
) -> np.ndarray:
    """Empirical influence values from leave-one-out estimates (``boot``'s ``usual.jack``).

    Parameters
    ----------
    jack : array_like
        ``t_(-i)``, the statistic without case i.
    t0 : float
        The statistic on all cases.
    groups : array_like, optional
        Group (stratum) of each case.

    Returns
    -------
    numpy.ndarray
        ``L_i = (n_g - 1) (t0 - t_(-i))`` with ``n_g`` the size of case i's group.
    """
    jack = np.asarray(jack, dtype=float).ravel()
    if groups is None:
        sizes = np.full(jack.size, jack.size)
    else:
        g = np.asarray(groups).ravel()
        _, inverse, counts = np.unique(g, return_inverse=True, return_counts=True)
        sizes = counts[inverse.ravel()]
    return (sizes - 1) * (t0 - jack)
