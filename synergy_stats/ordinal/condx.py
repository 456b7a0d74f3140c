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
)
from synergy_stats.ordinal.bvn import bvn_density, bvn_lower
from synergy_stats.ordinal.samplestats import (
    OrdinalStats,
    _dnorm,
    _pearson_pairs,
    _polyserial_pairs,
    _polyserial_score_rho,
    covariance_scale,
    influence,
)

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


def _rho_terms(
    r: np.ndarray, ua: np.ndarray, la: np.ndarray, ub: np.ndarray, lb: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Casewise bivariate probit probability and its first two rho-derivatives (N x P)."""
    prob = bvn_lower(ua, ub, r) - bvn_lower(la, ub, r) - bvn_lower(ua, lb, r) + bvn_lower(la, lb, r)
    # an observed row with probability below 1e-100 only arises at a rejected trial step;
    # the floor keeps its score finite
    prob = np.maximum(prob, 1e-100)
    s2 = 1.0 - r * r
    d1 = np.zeros(prob.shape)
    d2 = np.zeros(prob.shape)
    for h, k, sign in ((ua, ub, 1.0), (la, ub, -1.0), (ua, lb, -1.0), (la, lb, 1.0)):
        dens = bvn_density(h, k, r)
        fin = np.isfinite(h) & np.isfinite(k)
        hh = np.where(fin, h, 0.0)
        kk = np.where(fin, k, 0.0)
        q = hh * hh - 2 * r * hh * kk + kk * kk
        d1 += sign * dens
        d2 += sign * dens * (r / s2 + hh * kk / s2 - r * q / s2**2)
    return prob, d1, d2


def _residual_polychorics(
    U: np.ndarray, L: np.ndarray, a: np.ndarray, b: np.ndarray, names: list[tuple[str, str]]
) -> np.ndarray:
    """All residual polychoric correlations at once: Newton on each pair's likelihood.

    Analytic score and curvature (a gradient step where the curvature is not negative);
    steps are halved while the log-likelihood decreases. One evaluation of the casewise
    probabilities per iteration.
    """
    P = a.size
    N = U.shape[0]
    ua, la, ub, lb = U[:, a], L[:, a], U[:, b], L[:, b]

    def evaluate(idx: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pr, d1, d2 = _rho_terms(r[None, :], ua[:, idx], la[:, idx], ub[:, idx], lb[:, idx])
        g1 = d1 / pr
        return (np.sum(np.log(pr), axis=0), np.sum(g1, axis=0),
                np.sum(d2 / pr - g1 * g1, axis=0))  # fmt: skip

    rho = np.zeros(P)
    ll, g, H = evaluate(np.arange(P), rho)
    active = np.ones(P, dtype=bool)
    for _ in range(100):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        r0 = rho[idx]
        gi, Hi = g[idx], H[idx]
        step = np.where(Hi < 0, -gi / np.where(Hi < 0, Hi, -1.0), 0.1 * np.sign(gi))
        new = np.clip(r0 + np.clip(step, -0.5, 0.5), -0.999, 0.999)
        ll1, g1, H1 = evaluate(idx, new)
        for _half in range(30):
            worse = ll1 < ll[idx] - 1e-12 * np.abs(ll[idx])
            if not worse.any():
                break
            w = np.flatnonzero(worse)
            new[w] = r0[w] + 0.5 * (new[w] - r0[w])
            ll1[w], g1[w], H1[w] = evaluate(idx[w], new[w])
        rho[idx], ll[idx], g[idx], H[idx] = new, ll1, g1, H1
        done = (np.abs(new - r0) < 1e-12) | (np.abs(g1) < 1e-11 * N)
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

    Step 1 regresses every variable on ``x``: an ordinal probit for an ordered one
    (thresholds, slopes), least squares for a continuous one (intercept, slopes, ML residual
    variance). Step 2 estimates each residual correlation with the step-1 parameters fixed:
    polychoric, polyserial (with the standardized residual of the continuous variable) or
    Pearson of the residuals. Gamma follows from the casewise scores of both steps.

    Parameters
    ----------
    y : numpy.ndarray
        (N, p) endogenous variables, ordered ones coded 1..K; complete rows only.
    X : numpy.ndarray
        (N, q) exogenous covariates, complete.
    ordered : numpy.ndarray of bool
        Which columns of ``y`` are ordered.
    nlev : numpy.ndarray of int
        Categories of each ordered column (ignored for continuous ones).
    names, x_names : list of str
        Names of the columns of ``y`` and of ``X`` (for messages).
    gamma : bool
        Compute the asymptotic covariance matrix.

    Returns
    -------
    OrdinalStats
        ``wls_obs = (tau, vec(slopes), var_num, vech_offdiag(residual cov))`` in lavaan's
        order: thresholds variable by variable (minus the intercept for a continuous one),
        slopes covariate by covariate, residual variances of the continuous variables,
        residual correlations (covariances for continuous variables).

    Raises
    ------
    DataValidationError
        Missing values (``conditional.x`` here needs complete rows).
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    N, p = y.shape
    q = X.shape[1]
    ordered = np.asarray(ordered, dtype=bool)
    if not (np.isfinite(y).all() and np.isfinite(X).all()):
        raise DataValidationError(
            "the conditional.x statistics need complete rows of the model variables and the "
            f"covariates {x_names}"
        )
    nlev = np.where(ordered, np.asarray(nlev, dtype=int), 0)
    codes = np.where(ordered[None, :], y, 0).astype(int)
    num_idx = np.flatnonzero(~ordered)
    # ---- step 1: each variable on x
    B = np.zeros((p, q))
    ths: list[np.ndarray] = []
    th_start = np.zeros(p, dtype=int)
    th_var: list[int] = []
    U = np.zeros((N, p))
    L = np.zeros((N, p))
    z = np.zeros((N, p))
    icpt = np.full(p, np.nan)
    var = np.ones(p)
    Xd = np.column_stack([np.ones(N), X])
    for j in range(p):
        th_start[j] = len(th_var)
        if ordered[j]:
            tau, B[j] = ordered_probit(codes[:, j], X)
            ths.append(tau)
            t_ext = np.concatenate([[-np.inf], tau, [np.inf]])
            eta = X @ B[j]
            U[:, j] = t_ext[codes[:, j]] - eta
            L[:, j] = t_ext[codes[:, j] - 1] - eta
            th_var += [j] * tau.size
        else:
            coef = np.linalg.lstsq(Xd, y[:, j], rcond=None)[0]
            icpt[j], B[j] = coef[0], coef[1:]
            e = y[:, j] - Xd @ coef
            var[j] = float(e @ e) / N
            z[:, j] = e / np.sqrt(var[j])
            ths.append(np.zeros(0))
            th_var.append(j)
    n_th = len(th_var)
    # ---- step 2: lavaan's pair order (column j, then row i > j)
    ii, jj = np.tril_indices(p, -1)
    order = np.lexsort((ii, jj))
    ri, rj = ii[order], jj[order]
    kind = np.where(ordered[ri] & ordered[rj], 2, np.where(ordered[ri] | ordered[rj], 1, 0))
    rho = np.zeros(ri.size)
    oo = np.flatnonzero(kind == 2)
    a, b = rj[oo], ri[oo]  # lavaan's y1 is the column variable
    if oo.size:
        pair_names = [(names[i], names[j]) for i, j in zip(b, a, strict=True)]
        rho[oo] = _residual_polychorics(U, L, a, b, pair_names)
    mo = np.flatnonzero(kind == 1)
    num = np.where(ordered[ri[mo]], rj[mo], ri[mo])
    orv = np.where(ordered[ri[mo]], ri[mo], rj[mo])
    valid = np.ones((N, mo.size), dtype=bool)
    if mo.size:
        rho[mo] = _polyserial_pairs(z[:, num], U[:, orv], L[:, orv], valid, np.zeros(mo.size))
    nn = np.flatnonzero(kind == 0)
    if nn.size:
        rho[nn] = _pearson_pairs(z[:, ri[nn]], z[:, rj[nn]])
    cor = np.eye(p)
    cor[ri, rj] = rho
    cor[rj, ri] = rho
    scale = np.where(ordered, 1.0, np.sqrt(var))
    cov = cor * np.outer(scale, scale)
    th_vec = np.concatenate([ths[j] if ordered[j] else np.array([-icpt[j]]) for j in range(p)])
    wls_obs = np.concatenate([th_vec, B.ravel(order="F"), var[num_idx], cov[ri, rj]])
    G = None
    if gamma:
        G = _conditional_gamma(
            X, codes, z, U, L, B, var, ordered, nlev, th_start, n_th, ri, rj, rho, oo, mo, nn
        )
    xm = X.mean(axis=0)
    # lavaan keeps the covariates' moments with the N - 1 divisor here (its cov.x)
    xc = (X - xm).T @ (X - xm) / (N - 1)
    return OrdinalStats(
        n=N,
        ordered=ordered,
        nlev=nlev,
        thresholds=ths,
        mean=icpt,
        var=var,
        cor=cor,
        cov=cov,
        wls_obs=wls_obs,
        gamma=G,
        th_var=np.array(th_var, dtype=int),
        empty_cells=[],
        n_pairs=np.full((p, p), N),
        slopes=B,
        x_mean=xm,
        x_cov=xc,
    )


def _conditional_gamma(
    X, codes, z, U, L, B, var, ordered, nlev, th_start, n_th, ri, rj, rho, oo, mo, nn,
) -> np.ndarray:  # fmt: skip
    """Muthen (1984) NACOV of the conditional statistics from casewise scores."""
    N, q = X.shape
    p = ordered.size
    num_idx = np.flatnonzero(~ordered)
    slope_col = n_th + np.arange(q)[None, :] * p + np.arange(p)[:, None]  # (p, q)
    var_col = {int(j): n_th + p * q + k for k, j in enumerate(num_idx)}
    q1 = n_th + p * q + num_idx.size
    P = rho.size
    SC1 = np.zeros((N, q1))
    blocks: list[list[int]] = []
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = ndtr(U) - ndtr(L)
        fu, fl = _dnorm(U) / prob, _dnorm(L) / prob
    for j in range(p):
        if ordered[j]:
            c = codes[:, j]
            for k in range(1, int(nlev[j])):
                SC1[:, th_start[j] + k - 1] = np.where(c == k, fu[:, j], 0.0) - np.where(
                    c == k + 1, fl[:, j], 0.0
                )
            SC1[:, slope_col[j]] = -X * (fu[:, j] - fl[:, j])[:, None]
            blocks.append(list(range(th_start[j], th_start[j] + int(nlev[j]) - 1)))
            blocks[-1] += slope_col[j].tolist()
        else:
            sd = np.sqrt(var[j])
            SC1[:, th_start[j]] = z[:, j] / sd
            SC1[:, slope_col[j]] = X * (z[:, j] / sd)[:, None]
            SC1[:, var_col[j]] = (z[:, j] ** 2 - 1) / (2 * var[j])
            blocks.append([int(th_start[j]), *slope_col[j].tolist(), var_col[j]])
    SC2 = np.zeros((N, P))
    A21 = np.zeros((P, q1))

    def add_ordinal(rows: np.ndarray, v: np.ndarray, wu: np.ndarray, wl: np.ndarray) -> None:
        """Cross-products with an ordered variable's threshold and slope scores."""
        cv = codes[:, v]
        kmax = int(nlev[v].max())
        th_part = np.stack(
            [np.sum(np.where(cv == k, wu, 0.0) - np.where(cv == k + 1, wl, 0.0), axis=0)
             for k in range(1, kmax)], axis=1
        )  # fmt: skip
        sl_part = -(X.T @ (wu - wl)).T  # (P, q)
        for m, pr in enumerate(rows):
            j = int(v[m])
            K1 = int(nlev[j]) - 1
            A21[pr, th_start[j] : th_start[j] + K1] += th_part[m, :K1]
            A21[pr, slope_col[j]] += sl_part[m]

    def add_numeric(rows: np.ndarray, v: np.ndarray, s: np.ndarray, dmu, dvar) -> None:
        """Cross-products with a continuous variable's intercept, slope and variance scores."""
        sm = s * dmu
        for m, pr in enumerate(rows):
            j = int(v[m])
            A21[pr, th_start[j]] += sm[:, m].sum()
            A21[pr, slope_col[j]] += X.T @ sm[:, m]
            A21[pr, var_col[j]] += s[:, m] @ dvar[:, m]

    if oo.size:
        a, b = rj[oo], ri[oo]
        pr_, dr, dua, dla, dub, dlb = _pair_terms(rho[None, oo], U[:, a], L[:, a], U[:, b], L[:, b])
        s = dr / pr_
        SC2[:, oo] = s
        # the score in a lower limit enters with a minus sign in add_ordinal
        add_ordinal(oo, a, s * dua / pr_, -s * dla / pr_)
        add_ordinal(oo, b, s * dub / pr_, -s * dlb / pr_)
    if mo.size:
        num = np.where(ordered[ri[mo]], rj[mo], ri[mo])
        orv = np.where(ordered[ri[mo]], ri[mo], rj[mo])
        zz = z[:, num]
        tu, tl = U[:, orv], L[:, orv]
        r = rho[None, mo]
        R = np.sqrt(1 - r * r)
        with np.errstate(invalid="ignore"):
            au = np.where(np.isfinite(tu), (tu - r * zz) / R, np.inf)
            bl = np.where(np.isfinite(tl), (tl - r * zz) / R, -np.inf)
        pr_ = np.maximum(ndtr(au) - ndtr(bl), np.finfo(float).eps)
        fa, fb = _dnorm(au), _dnorm(bl)
        s = _polyserial_score_rho(zz, tu, tl, r, np.ones_like(zz, dtype=bool))
        SC2[:, mo] = s
        sd = np.sqrt(var[num])[None, :]
        d_mu = (zz + (r / R) * (fa - fb) / pr_) / sd
        d_var = ((zz * zz - 1) + (r * zz / R) * (fa - fb) / pr_) / (2 * sd**2)
        add_numeric(mo, num, s, d_mu, d_var)
        add_ordinal(mo, orv, s * fa / (R * pr_), s * fb / (R * pr_))
    if nn.size:
        ia, ib = ri[nn], rj[nn]
        za, zb = z[:, ia], z[:, ib]
        r = rho[None, nn]
        R2 = 1 - r * r
        qf = za * za - 2 * r * za * zb + zb * zb
        s = r / R2 + za * zb / R2 - r * qf / R2**2
        SC2[:, nn] = s
        sa, sb = np.sqrt(var[ia])[None, :], np.sqrt(var[ib])[None, :]
        add_numeric(nn, ia, s, (za - r * zb) / (sa * R2),
                    -1 / (2 * sa**2) + za * (za - r * zb) / (2 * sa**2 * R2))  # fmt: skip
        add_numeric(nn, ib, s, (zb - r * za) / (sb * R2),
                    -1 / (2 * sb**2) + zb * (zb - r * za) / (2 * sb**2 * R2))  # fmt: skip
    IF = influence(SC1, blocks, SC2, A21)
    if num_idx.size:
        th_cols = np.array([th_start[j] for j in num_idx])
        IF = covariance_scale(IF, rho, ri, rj, ordered, var, var_col, th_cols)
    return N * (IF.T @ IF)
