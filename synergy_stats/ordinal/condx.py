"""Sample statistics of lavaan's ``conditional.x`` treatment for ordered indicators.

With exogenous observed covariates ``x``, lavaan (0.6-14) summarises each ordered
endogenous indicator by an ordinal probit regression on ``x``,
``P(y <= k | x) = Phi(tau_k - x' beta)``, fitted by maximum likelihood (thresholds
``tau`` and slopes ``beta``; step 1). Step 2 estimates each residual polychoric correlation
with thresholds and slopes fixed. Their asymptotic covariance (Gamma) follows from the
casewise scores of both steps exactly as without covariates
(:func:`synergy_stats.ordinal.samplestats.influence`), the scores now being casewise
because the cell probabilities of every row depend on its ``x``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import ndtr, ndtri

from synergy_stats.errors import (
    ConvergenceError,
    ConvergenceWarning,
    DataValidationError,
    SpecificationError,
)
from synergy_stats.ordinal.bvn import bvn_density, bvn_lower
from synergy_stats.ordinal.samplestats import OrdinalStats, _dnorm, influence

__all__ = ["conditional_polychoric", "conditional_sample_stats", "ordered_probit"]


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


def _pair_terms(
    r: np.ndarray, ua: np.ndarray, la: np.ndarray, ub: np.ndarray, lb: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Casewise bivariate probit probability and its derivatives (arrays N x P).

    Returns ``prob, dprob/drho, dprob/du_a, dprob/dl_a, dprob/du_b, dprob/dl_b`` where
    ``u, l`` are the upper and lower limits of each row's cell.
    """
    prob = bvn_lower(ua, ub, r) - bvn_lower(la, ub, r) - bvn_lower(ua, lb, r) + bvn_lower(la, lb, r)
    prob = np.maximum(prob, np.finfo(float).tiny)
    drho = bvn_density(ua, ub, r) - bvn_density(la, ub, r) - bvn_density(ua, lb, r)
    drho = drho + bvn_density(la, lb, r)
    R = np.sqrt(1.0 - r * r)

    def side(t: np.ndarray, up: np.ndarray, lo: np.ndarray) -> np.ndarray:
        t0 = np.where(np.isfinite(t), t, 0.0)
        return _dnorm(t) * (ndtr((up - r * t0) / R) - ndtr((lo - r * t0) / R))

    return prob, drho, side(ua, ub, lb), -side(la, ub, lb), side(ub, ua, la), -side(lb, ua, la)


def _residual_polychorics(
    U: np.ndarray, L: np.ndarray, a: np.ndarray, b: np.ndarray, names: list[tuple[str, str]]
) -> np.ndarray:
    """All residual polychoric correlations at once: Newton on each pair's likelihood.

    The curvature is the numerical derivative of the score; steps are halved while the
    log-likelihood decreases.
    """
    P = a.size
    rho = np.zeros(P)
    ua, la, ub, lb = U[:, a], L[:, a], U[:, b], L[:, b]

    def score_ll(idx: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pr, dr, *_ = _pair_terms(r[None, :], ua[:, idx], la[:, idx], ub[:, idx], lb[:, idx])
        return np.sum(dr / pr, axis=0), np.sum(np.log(pr), axis=0)

    active = np.ones(P, dtype=bool)
    h = 1e-6
    for _ in range(100):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        r0 = rho[idx]
        g, ll0 = score_ll(idx, r0)
        gp, _ = score_ll(idx, r0 + h)
        gm, _ = score_ll(idx, r0 - h)
        hess = (gp - gm) / (2 * h)
        step = np.where(hess < 0, -g / np.where(hess < 0, hess, -1.0), 0.1 * np.sign(g))
        new = np.clip(r0 + np.clip(step, -0.5, 0.5), -0.999, 0.999)
        for _half in range(30):
            _, ll1 = score_ll(idx, new)
            worse = ll1 < ll0 - 1e-12 * np.abs(ll0)
            if not worse.any():
                break
            new = np.where(worse, r0 + 0.5 * (new - r0), new)
        rho[idx] = new
        done = np.abs(new - r0) < 1e-12
        active[idx[done]] = False
    if active.any():
        import warnings

        bad = [f"{names[i][0]} x {names[i][1]}" for i in np.flatnonzero(active)]
        warnings.warn(
            f"residual polychoric correlation(s) did not converge for {bad}",
            ConvergenceWarning,
            stacklevel=4,
        )
    return rho


def conditional_sample_stats(
    y: np.ndarray,
    X: np.ndarray,
    ordered: np.ndarray,
    nlev: np.ndarray,
    *,
    names: list[str],
    x_names: list[str],
    gamma: bool = True,
) -> OrdinalStats:
    """Statistics given exogenous covariates (lavaan ``conditional.x``) and their NACOV.

    Parameters
    ----------
    y : numpy.ndarray
        (N, p) endogenous variables, ordered ones coded 1..K; complete rows only.
    X : numpy.ndarray
        (N, q) exogenous covariates, complete.
    ordered : numpy.ndarray of bool
        Which columns of ``y`` are ordered.
    nlev : numpy.ndarray of int
        Categories of each ordered column.
    names, x_names : list of str
        Names of the columns of ``y`` and of ``X`` (for messages).
    gamma : bool
        Compute the asymptotic covariance matrix.

    Returns
    -------
    OrdinalStats
        ``wls_obs = (tau, vec(slopes), vech_offdiag(residual correlations))``, lavaan's
        order: thresholds variable by variable, slopes covariate by covariate.

    Raises
    ------
    SpecificationError
        A continuous endogenous variable together with covariates (not implemented).
    DataValidationError
        Missing values (``conditional.x`` here needs complete rows).
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    N, p = y.shape
    q = X.shape[1]
    ordered = np.asarray(ordered, dtype=bool)
    if not ordered.all():
        cont = [names[j] for j in np.flatnonzero(~ordered)]
        raise SpecificationError(
            f"continuous indicator(s) {cont} together with exogenous covariates {x_names} and "
            "ordered indicators (lavaan's conditional.x with mixed data) is not implemented; "
            "declare them ordered, or leave the covariates out"
        )
    if not (np.isfinite(y).all() and np.isfinite(X).all()):
        raise DataValidationError(
            "the conditional.x statistics need complete rows of the model variables and the "
            f"covariates {x_names}"
        )
    codes = y.astype(int)
    nlev = np.asarray(nlev, dtype=int)
    # ---- step 1: ordinal probit of every item on x
    fits = [ordered_probit(codes[:, j], X) for j in range(p)]
    ths = [f[0] for f in fits]
    B = np.array([f[1] for f in fits]).reshape(p, q)
    eta = X @ B.T
    U = np.empty((N, p))
    L = np.empty((N, p))
    th_start = np.zeros(p, dtype=int)
    th_var: list[int] = []
    for j in range(p):
        t_ext = np.concatenate([[-np.inf], ths[j], [np.inf]])
        U[:, j] = t_ext[codes[:, j]] - eta[:, j]
        L[:, j] = t_ext[codes[:, j] - 1] - eta[:, j]
        th_start[j] = len(th_var)
        th_var += [j] * ths[j].size
    n_th = len(th_var)
    # ---- step 2: residual polychorics, lavaan's pair order (column j, then row i > j)
    ii, jj = np.tril_indices(p, -1)
    order = np.lexsort((ii, jj))
    ri, rj = ii[order], jj[order]
    a, b = rj, ri  # lavaan's y1 is the column variable
    pair_names = [(names[i], names[j]) for i, j in zip(b, a, strict=True)]
    rho = _residual_polychorics(U, L, a, b, pair_names)
    cor = np.eye(p)
    cor[ri, rj] = rho
    cor[rj, ri] = rho
    wls_obs = np.concatenate([np.concatenate(ths), B.ravel(order="F"), rho])
    G = None
    if gamma:
        slope_col = n_th + np.arange(q)[None, :] * p + np.arange(p)[:, None]  # (p, q)
        q1 = n_th + p * q
        SC1 = np.zeros((N, q1))
        prob = ndtr(U) - ndtr(L)
        fu, fl = _dnorm(U) / prob, _dnorm(L) / prob
        blocks: list[list[int]] = []
        for j in range(p):
            c = codes[:, j]
            for k in range(1, int(nlev[j])):
                SC1[:, th_start[j] + k - 1] = np.where(c == k, fu[:, j], 0.0) - np.where(
                    c == k + 1, fl[:, j], 0.0
                )
            SC1[:, slope_col[j]] = -X * (fu[:, j] - fl[:, j])[:, None]
            blocks.append(list(range(th_start[j], th_start[j] + int(nlev[j]) - 1)))
            blocks[-1] += slope_col[j].tolist()
        pr, dr, dua, dla, dub, dlb = _pair_terms(rho[None, :], U[:, a], L[:, a], U[:, b], L[:, b])
        SC2 = dr / pr
        A21 = np.zeros((rho.size, q1))
        for v, du, dl in ((a, dua, dla), (b, dub, dlb)):
            wu, wl = SC2 * du / pr, SC2 * dl / pr
            cv = codes[:, v]
            kmax = int(nlev[v].max())
            th_part = np.stack(
                [np.sum(np.where(cv == k, wu, 0.0) + np.where(cv == k + 1, wl, 0.0), axis=0)
                 for k in range(1, kmax)], axis=1
            )  # fmt: skip
            sl_part = -(X.T @ (wu + wl)).T  # (P, q)
            for m in range(rho.size):
                j = int(v[m])
                K1 = int(nlev[j]) - 1
                A21[m, th_start[j] : th_start[j] + K1] += th_part[m, :K1]
                A21[m, slope_col[j]] += sl_part[m]
        IF = influence(SC1, blocks, SC2, A21)
        G = N * (IF.T @ IF)
    xm = X.mean(axis=0)
    # lavaan keeps the covariates' moments with the N - 1 divisor here (its cov.x)
    xc = (X - xm).T @ (X - xm) / (N - 1)
    return OrdinalStats(
        n=N,
        ordered=ordered,
        nlev=nlev,
        thresholds=ths,
        mean=np.full(p, np.nan),
        var=np.ones(p),
        cor=cor,
        cov=cor.copy(),
        wls_obs=wls_obs,
        gamma=G,
        th_var=np.array(th_var, dtype=int),
        empty_cells=[],
        n_pairs=np.full((p, p), N),
        slopes=B,
        x_mean=xm,
        x_cov=xc,
    )
