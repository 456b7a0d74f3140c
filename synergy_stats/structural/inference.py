"""Standard errors: expected and observed information, the MLR sandwich, the scaled test.

Notation: ``I`` is the information per observation, so ``Var(theta) = (N I)^-1`` under
normal-theory ML. lavaan's defaults are followed: expected information for complete-data
ML, observed information (the Hessian) with FIML and with MLR.
"""

from __future__ import annotations

import numpy as np

from synergy_stats.errors import IdentificationError
from synergy_stats.structural.estimate import Objective
from synergy_stats.structural.samplestats import GroupData

__all__ = [
    "casewise_scores",
    "observed_information",
    "sandwich_vcov",
    "yuan_bentler_trace",
]


def observed_information(objective: Objective, theta: np.ndarray) -> np.ndarray:
    """Observed information per observation: half the analytic Hessian of F.

    Notes
    -----
    F = -2 log L / N + const, so the observed information per observation is ``H / 2``;
    the Hessian is analytic (:meth:`Objective.hessian`), for complete data and FIML alike
    (lavaan differentiates the gradient numerically).
    """
    return objective.observed_information(theta)


def invert_information(info: np.ndarray, n: int, names: list[str]) -> np.ndarray:
    """``(n info)^-1``, raising IdentificationError when the information is singular.

    Notes
    -----
    Singularity is judged on the information rescaled to unit diagonal,
    ``D^-1/2 info D^-1/2`` with ``D = diag(info)``, so the verdict does not depend on the
    units of the data or of the parameters (items times 1000, budgets in yuan): a
    rescaling of a parameter rescales its row and column, which the scaling undoes.
    """
    K = info.shape[0]
    if K == 0:
        return np.zeros((0, 0))
    sym = (info + info.T) / 2
    diag = np.diag(sym).copy()
    if not np.all(np.isfinite(sym)) or np.any(diag <= 0):
        bad = np.flatnonzero(~(diag > 0))[:4]
        raise IdentificationError(
            "the information matrix is singular, so the model is not identified; the "
            f"parameters most involved: {[names[i] for i in bad]}"
        )
    d = 1.0 / np.sqrt(diag)
    R = sym * np.outer(d, d)
    try:
        L = np.linalg.cholesky(R)
        ld = np.diag(L)
        if ld.min() > np.sqrt(K * 1e-12):
            Linv = np.linalg.inv(L)
            return (Linv.T @ Linv) * np.outer(d, d) / n
    except np.linalg.LinAlgError:
        pass
    w, V = np.linalg.eigh(R)
    tol = max(w.max(), 1e-300) * K * 1e-12
    if w.min() <= tol:
        bad = np.argsort(np.abs(V[:, np.argmin(w)]))[::-1][:4]
        raise IdentificationError(
            "the information matrix is singular, so the model is not identified; the "
            f"parameters most involved: {[names[i] for i in bad]}"
        )
    return ((V / w) @ V.T) * np.outer(d, d) / n


def casewise_scores(objective: Objective, theta: np.ndarray) -> list[np.ndarray]:
    """Casewise scores of the log-likelihood, one (N_g x K) array per group.

    Notes
    -----
    For case i with observed part o, ``u = Sigma_oo^-1 (y_o - mu_o)`` and
    ``s_ik = 1/2 (u' dSigma_k,oo u - tr(Sigma_oo^-1 dSigma_k,oo)) + u' dmu_k,o``, computed
    per missing-data pattern block (:meth:`Objective.scores`). Without a mean structure
    the mean is the sample mean and ``dmu = 0``.
    """
    return objective.scores(theta)


def sandwich_vcov(
    objective: Objective, theta: np.ndarray, info: np.ndarray, names: list[str]
) -> np.ndarray:
    """Huber-White sandwich ``A^-1 B A^-1 / N`` (lavaan's ``robust.huber.white``).

    ``A`` is the information per observation given in ``info``; ``B`` the mean outer
    product of the casewise scores.
    """
    n = objective.ntotal
    A_inv = invert_information(info, 1, names)
    scores = np.vstack(casewise_scores(objective, theta))
    B = scores.T @ scores / n
    V = A_inv @ B @ A_inv / n
    return (V + V.T) / 2


def _h1_scores(gd, meanstructure: bool, mean=None, cov=None) -> np.ndarray:
    """Casewise scores of the saturated model for (mu, vech Sigma).

    With missing data each case contributes through its observed part only (FIML).
    """
    x = gd.raw
    p = x.shape[1]
    mean = gd.mean if mean is None else mean
    cov = gd.cov if cov is None else cov
    iu, ju = np.triu_indices(p)
    fac = np.where(iu == ju, 0.5, 1.0)
    out = np.zeros((gd.n, p + len(iu)))
    for pat in gd.patterns:
        o = pat.obs
        inv = np.zeros((p, p))
        inv[np.ix_(o, o)] = np.linalg.inv(cov[np.ix_(o, o)])
        u = np.zeros((len(pat.rows), p))
        u[:, o] = (x[np.ix_(pat.rows, o)] - mean[o]) @ inv[np.ix_(o, o)]
        present = np.zeros(p, dtype=bool)
        present[o] = True
        mask = present[iu] & present[ju]
        out[pat.rows, :p] = u
        out[pat.rows, p:] = fac * (u[:, iu] * u[:, ju] - inv[iu, ju]) * mask
    return out if meanstructure else out[:, p:]


def _h1_observed_info(gd: GroupData) -> np.ndarray:
    """Observed unit information of the saturated FIML model (mean structure included).

    Parameters ordered ``(mu, vech Sigma)`` (upper triangle, row-major), at the EM
    estimates; computed analytically once per group data and cached on it.

    Notes
    -----
    Half the Hessian of ``F = sum_p w_p [log|Sigma_oo| + tr(Sigma_oo^-1 T_p)]``: with
    ``Q_p`` the inverse of the observed block embedded with zeros, ``u_p = Q_p d_p`` and
    ``X_p = 2 Q_p T_p Q_p - Q_p``, ``I_mumu = sum_p w_p Q_p``,
    ``I_mu_i,kl = c_kl sum_p w_p (u_pk Q_p,li + u_pl Q_p,ki)`` and
    ``I_ij,kl = c_ij c_kl / 2 sum_p w_p (Q_jk X_il + Q_jl X_ik + Q_ik X_jl + Q_il X_jk)``
    (``c = 1/2`` on the diagonal, else 1).
    """
    if "h1_observed" in gd.cache:
        cached: np.ndarray = gd.cache["h1_observed"]
        return cached
    p = gd.cov.shape[0]
    iu, ju = np.triu_indices(p)
    c = np.where(iu == ju, 0.5, 1.0)
    G = len(gd.patterns)
    w = np.array([pat.n / gd.n for pat in gd.patterns])
    Qs = np.zeros((G, p, p))
    Xs = np.zeros((G, p, p))
    us = np.zeros((G, p))
    for k, pat in enumerate(gd.patterns):
        o = pat.obs
        inv = np.linalg.inv(gd.cov[np.ix_(o, o)])
        d = pat.mean - gd.mean[o]
        T = pat.cov + np.outer(d, d)
        q = np.zeros((p, p))
        q[np.ix_(o, o)] = inv
        R = np.zeros((p, p))
        R[np.ix_(o, o)] = inv @ T @ inv
        Qs[k] = q
        Xs[k] = 2.0 * R - q
        us[k, o] = inv @ d
    m = len(iu)
    out = np.zeros((p + m, p + m))
    out[:p, :p] = np.einsum("g,gij->ij", w, Qs)
    wQ = (w[:, None, None] * Qs).transpose(1, 2, 0)  # (p, p, G)
    T3 = (wQ @ us).transpose(0, 2, 1)  # T3[i, k, l] = sum_g w Q[i, l] u[k]
    out[:p, p:] = c * (T3[:, iu, ju] + T3[:, ju, iu])
    out[p:, :p] = out[:p, p:].T
    # K[(r, s), (t, u)] = sum_g w Q[r, s] X[t, u]: one matrix product over the patterns
    K = (w[:, None] * Qs.reshape(G, p * p)).T @ Xs.reshape(G, p * p)
    ia, ja = iu[:, None] * p, ju[:, None] * p
    kb, lb = iu[None, :], ju[None, :]
    blk = K[ja + kb, ia + lb] + K[ja + lb, ia + kb] + K[ia + kb, ja + lb] + K[ia + lb, ja + kb]
    out[p:, p:] = 0.5 * c[:, None] * c[None, :] * blk
    out = (out + out.T) / 2
    gd.cache["h1_observed"] = out
    return out


def _h1_expected_info(gd, meanstructure: bool) -> np.ndarray:
    """Expected unit information of the saturated model for (mu, vech Sigma).

    For covariance elements a = (i, j) and b = (k, l) it is
    ``c_a c_b (inv_ik inv_jl + inv_il inv_jk)`` with ``c = 1/2`` on the diagonal, else 1:
    one half of ``tr(Sigma^-1 E_a Sigma^-1 E_b)`` for the symmetric unit matrices ``E``.
    """
    p = gd.cov.shape[0]
    inv = np.linalg.inv(gd.cov)
    iu, ju = np.triu_indices(p)
    c = np.where(iu == ju, 0.5, 1.0)
    info = (
        inv[np.ix_(iu, iu)] * inv[np.ix_(ju, ju)] + inv[np.ix_(iu, ju)] * inv[np.ix_(ju, iu)]
    ) * np.outer(c, c)
    if not meanstructure:
        return info
    k = len(iu)
    out = np.zeros((p + k, p + k))
    out[:p, :p] = inv
    out[p:, p:] = info
    return out


def h1_keep(p: int, x_idx: list[int], meanstructure: bool) -> np.ndarray:
    """Saturated-model moments that are modelled: all but the fixed-x covariates' own.

    Order ``(mu, vech Sigma)`` (upper triangle, row-major) as the h1 scores; dropped are
    the means of the covariates and the (co)variances among them (lavaan's
    ``eliminate.pstar.idx`` with ``x.idx``), the y-x covariances stay.
    """
    iu, ju = np.triu_indices(p)
    isx = np.zeros(p, dtype=bool)
    isx[list(x_idx)] = True
    cov_keep = ~(isx[iu] & isx[ju])
    parts = [~isx, cov_keep] if meanstructure else [cov_keep]
    return np.flatnonzero(np.concatenate(parts))


def yuan_bentler_trace(objective: Objective, theta: np.ndarray, e_inv: np.ndarray) -> float:
    """``tr(U Gamma)`` of the Yuan-Bentler scaled test, Mplus variant (complete data).

    Notes
    -----
    Per group, ``trace_h1 = tr(B1 A1^-1)`` with ``A1`` the expected information of the
    unrestricted model and ``B1`` the mean outer product of its casewise scores, and
    ``trace_h0 = (N_g/N) tr(B0_g E^-1)`` with ``B0_g`` the mean outer product of the
    model's casewise scores and ``E`` the information used for the standard errors.
    The scaling factor is ``sum_g (trace_h1 - trace_h0) / df`` (Yuan & Bentler 2000;
    lavaan's ``yuan.bentler.mplus``). With fixed-x covariates the unrestricted model's
    moments of the covariates alone (their means and their own covariance block) are
    left out of ``A1`` and ``B1``, as lavaan does (they are not modelled).
    """
    ms = objective.meanstructure
    total = 0.0
    scores0 = casewise_scores(objective, theta)
    pt = objective.compiled.pt
    x_idx = [pt.observed.index(v) for v in pt.exogenous_x]
    for g, gd in enumerate(objective.groups):
        key = f"h1_trace_{ms}_{x_idx}"
        if key not in gd.cache:
            keep = h1_keep(len(pt.observed), x_idx, ms)
            s1 = _h1_scores(gd, ms)[:, keep]
            B1 = s1.T @ s1 / gd.n
            A1 = _h1_expected_info(gd, ms) if gd.complete else _h1_observed_info(gd)
            A1 = A1[np.ix_(keep, keep)]
            gd.cache[key] = float(np.sum(B1 * np.linalg.inv(A1).T))
        trace_h1 = gd.cache[key]
        B0 = scores0[g].T @ scores0[g] / gd.n
        fg = gd.n / objective.ntotal
        trace_h0 = fg * float(np.sum(B0 * e_inv.T))
        total += trace_h1 - trace_h0
    return total


def _moment_jacobian(model, theta: np.ndarray, g: int) -> np.ndarray:
    """d(mean, vech Sigma)/d theta of group ``g``, rows ordered as the h1 scores."""
    _, _, dsig, dmu = model.jacobian(theta, g)
    iu, ju = np.triu_indices(model.p)
    return np.hstack([dmu, dsig[:, iu, ju]]).T


def fiml_corrected(result, h1_meat: list[np.ndarray] | None = None) -> dict[str, float]:
    """Ingredients of the FIML-corrected robust CFI/TLI/RMSEA (Zhang & Savalei 2023, V3).

    ``h1_meat`` replaces the mean outer products ``J_m`` of the saturated model's casewise
    scores, one per group (the cluster-robust fit passes cluster-summed ones).

    Returns
    -------
    dict
        ``XX3`` (the complete-data ML statistic at the FIML estimates, evaluated on the EM
        moments), ``df3``, ``c3`` (its scaling factor), and the same for the baseline
        model (``XX3_null``, ``df3_null``, ``c3_null``).

    Notes
    -----
    With ``W_m`` the observed information of the saturated FIML model, ``J_m`` the mean
    outer product of its casewise scores, ``W_c`` the complete-data information at the EM
    moments, ``Gamma = W_m^-1 J_m W_m^-1``, ``E = Delta' W_m Delta`` and
    ``U = W_m - W_m Delta E^-1 Delta' W_m`` (group blocks weighted by N_g/N),
    ``k = tr(U W_m^-1 W_c W_m^-1 U Gamma)`` and ``c3 = k / df``. As lavaan's
    ``lav_fit_fiml_corrected`` (version "V3"); the fixed-x covariates' own moments are
    left out of every matrix (:func:`h1_keep`).
    """
    groups = result._groups
    ntot = result.nobs
    fg = [gd.n / ntot for gd in groups]
    pt = result.partable
    keep = h1_keep(len(pt.observed), [pt.observed.index(v) for v in pt.exogenous_x], True)
    sub = np.ix_(keep, keep)
    Wm = [_h1_observed_info(gd)[sub] for gd in groups]
    Jm = []
    for gd in groups:
        s = _h1_scores(gd, True)[:, keep]
        Jm.append(s.T @ s / gd.n)
    if h1_meat is not None:
        # the cluster-robust meat of the saturated model, on the same moments
        Jm = [np.asarray(m)[sub] for m in h1_meat]
    Wc = [_h1_expected_info(gd, True)[sub] for gd in groups]
    Wmi = [np.linalg.inv(w) for w in Wm]

    # U = W_m - Z E^-1 Z' with Z = W_m Delta and E = Delta' W_m Delta; with
    # A = W_m^-1 W_c W_m^-1 the trace expands (block-diagonal over groups, weights N_g/N):
    # tr(U A U G) = tr(W_c G) - 2 tr(E^-1 Z' A W_m G Z) + tr(E^-1 Z'AZ E^-1 Z'GZ), and
    # Z'AZ = Delta' W_c Delta, Z'GZ = Delta' J Delta, Z'A W_m G Z = Delta' W_c W_m^-1 J Delta
    # (Gamma = W_m^-1 J W_m^-1), so only W_m^-1 J is needed at the size of the moments
    WiJ = [wi @ j for wi, j in zip(Wmi, Jm, strict=True)]
    c0 = float(sum(np.sum((wc @ wi) * wij) for wc, wi, wij in zip(Wc, Wmi, WiJ, strict=True)))

    def trace_for(res) -> float:
        Ds = [_moment_jacobian(res._model, res.theta, g)[keep] for g in range(len(groups))]
        E = sum(f * D.T @ w @ D for f, D, w in zip(fg, Ds, Wm, strict=True))
        WcD = [f * w @ D for f, D, w in zip(fg, Ds, Wc, strict=True)]
        ZAZ = sum(D.T @ x for D, x in zip(Ds, WcD, strict=True))
        ZGZ = sum(f * D.T @ j @ D for f, D, j in zip(fg, Ds, Jm, strict=True))
        ZAWGZ = sum(x.T @ (wij @ D) for x, wij, D in zip(WcD, WiJ, Ds, strict=True))
        E_inv = np.linalg.inv(E)
        t2 = float(np.sum(E_inv * ZAWGZ.T))
        t4 = float(np.sum((E_inv @ ZAZ) * (E_inv @ ZGZ).T))
        return c0 - 2.0 * t2 + t4

    def complete_stat(res) -> float:
        total = 0.0
        for g, gd in enumerate(groups):
            sig, mu = res._model.implied(res.theta, g)
            inv = np.linalg.inv(sig)
            d = gd.mean - mu
            total += gd.n * (
                np.linalg.slogdet(sig)[1]
                + np.sum(inv * gd.cov)
                - np.linalg.slogdet(gd.cov)[1]
                - gd.cov.shape[0]
                + d @ inv @ d
            )
        return float(total)

    base = result._baseline
    df3, df3_null = result.df, base.df
    return {
        "XX3": complete_stat(result),
        "df3": float(df3),
        "c3": trace_for(result) / df3 if df3 > 0 else float("nan"),
        "XX3_null": complete_stat(base),
        "df3_null": float(df3_null),
        "c3_null": trace_for(base) / df3_null if df3_null > 0 else float("nan"),
    }
