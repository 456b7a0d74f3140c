"""Step 1 of lavaan's ``conditional.x`` treatment for ordered indicators (issue 13).

With exogenous observed covariates ``x``, lavaan (0.6-14) summarises each ordered
endogenous indicator by an ordinal probit regression on ``x``,
``P(y <= k | x) = Phi(tau_k - x' beta)``, fitted by maximum likelihood (thresholds
``tau`` and slopes ``beta``). This module provides that univariate step; the
conditional (residual) correlations, their NACOV and the estimation that uses them
are not implemented yet.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import ndtr, ndtri

from synergy_stats.errors import ConvergenceError, DataValidationError

__all__ = ["ordered_probit"]


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
