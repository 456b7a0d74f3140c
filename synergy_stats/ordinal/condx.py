"""Step 1 of lavaan's ``conditional.x`` treatment for ordered indicators (issue 13).

With exogenous observed covariates ``x``, lavaan (0.6-14) summarises each ordered
endogenous indicator by an ordinal probit regression on ``x``,
``P(y <= k | x) = Phi(tau_k - x' beta)``, fitted by maximum likelihood (thresholds
``tau`` and slopes ``beta``). Step 2 then estimates each residual polychoric correlation
with thresholds and slopes fixed. Both are here; their NACOV and the estimation that uses them
are not implemented yet.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import ndtr, ndtri

from synergy_stats.errors import ConvergenceError, DataValidationError
from synergy_stats.ordinal.bvn import bvn_lower

__all__ = ["conditional_polychoric", "ordered_probit"]


def _negloglik(par: np.ndarray, y: np.ndarray, X: np.ndarray, K: int) -> tuple[float, np.ndarray]:
    """Negative log-likelihood of the ordinal probit and its gradient."""
    tau = par[: K - 1]
    beta = par[K - 1 :]
    eta = X @ beta
    big = 1e10
    t_ext = np.concatenate([[-big], tau, [big]])
    up = t_ext[y] - eta  # y coded 1..K
    lo = t_ext[y - 1] - eta
    p = np.clip(ndtr(up) - ndtr(lo), 1e-300, None)
    f_up = np.exp(-0.5 * up**2) / np.sqrt(2 * np.pi)
    f_lo = np.exp(-0.5 * lo**2) / np.sqrt(2 * np.pi)
    g_tau = np.zeros(K - 1)
    for k in range(K - 1):
        g_tau[k] = np.sum(f_up[y == k + 1] / p[y == k + 1]) - np.sum(
            f_lo[y == k + 2] / p[y == k + 2]
        )
    g_beta = -X.T @ ((f_up - f_lo) / p)
    return float(-np.sum(np.log(p))), -np.concatenate([g_tau, g_beta])


def ordered_probit(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fit an ordinal probit regression by maximum likelihood.

    Parameters
    ----------
    y : numpy.ndarray
        Integer category codes ``1..K`` (all categories observed), shape ``(n,)``.
    X : numpy.ndarray
        Covariates, shape ``(n, p)``; no intercept column.

    Returns
    -------
    tau : numpy.ndarray
        The ``K - 1`` thresholds.
    beta : numpy.ndarray
        The ``p`` slopes, in lavaan's sign convention ``P(y <= k) = Phi(tau_k - x'beta)``.

    Raises
    ------
    DataValidationError
        If ``y`` and ``X`` do not match, or ``y`` has a category code outside ``1..K``
        or an unobserved category.
    ConvergenceError
        If the likelihood maximisation fails.
    """
    y = np.asarray(y, dtype=int)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise DataValidationError(f"X has shape {X.shape}; expected ({y.shape[0]}, p) to match y")
    K = int(y.max())
    if y.min() < 1 or len(np.unique(y)) != K:
        raise DataValidationError(
            f"y must use every category code 1..{K}; got {sorted(set(y.tolist()))}"
        )
    cum = np.cumsum(np.bincount(y, minlength=K + 1)[1:])[:-1] / y.size
    start = np.concatenate([ndtri(cum), np.zeros(X.shape[1])])
    res = minimize(
        _negloglik,
        start,
        args=(y, X, K),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-10, "maxiter": 1000},
    )
    if not np.all(np.isfinite(res.x)) or np.max(np.abs(res.jac)) > 1e-5:
        raise ConvergenceError(f"ordinal probit did not converge: {res.message}")
    return res.x[: K - 1], res.x[K - 1 :]


def conditional_polychoric(
    y1: np.ndarray,
    y2: np.ndarray,
    X: np.ndarray,
    fit1: tuple[np.ndarray, np.ndarray],
    fit2: tuple[np.ndarray, np.ndarray],
) -> float:
    """Residual polychoric correlation of two ordered items given covariates ``X``.

    Step 2 of lavaan's ``conditional.x``: thresholds and slopes are held at their
    step-1 values and the bivariate-probit likelihood is maximised over the
    correlation only.

    Parameters
    ----------
    y1, y2 : numpy.ndarray
        Category codes ``1..K``, shape ``(n,)``.
    X : numpy.ndarray
        Covariates, shape ``(n, p)``.
    fit1, fit2 : tuple of numpy.ndarray
        ``(tau, beta)`` from :func:`ordered_probit` for each item.

    Returns
    -------
    float
        The conditional (residual) polychoric correlation.
    """

    def bounds(y: np.ndarray, fit: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        tau, beta = fit
        t_ext = np.concatenate([[-np.inf], tau, [np.inf]])
        eta = np.asarray(X, float) @ beta
        return t_ext[y] - eta, t_ext[y - 1] - eta

    u1, l1 = bounds(np.asarray(y1, int), fit1)
    u2, l2 = bounds(np.asarray(y2, int), fit2)

    def nll(rho: float) -> float:
        r = np.asarray(rho, dtype=float)
        p = (
            bvn_lower(u1, u2, r)
            - bvn_lower(l1, u2, r)
            - bvn_lower(u1, l2, r)
            + bvn_lower(l1, l2, r)
        )
        return float(-np.sum(np.log(np.clip(p, 1e-300, None))))

    res = minimize_scalar(nll, bounds=(-0.995, 0.995), method="bounded", options={"xatol": 1e-10})
    return float(res.x)
