"""Standard errors: expected and observed information, the MLR sandwich, the scaled test.

Notation: ``I`` is the information per observation, so ``Var(theta) = (N I)^-1`` under
normal-theory ML. lavaan's defaults are followed: expected information for complete-data
ML, observed information (the Hessian) with FIML and with MLR.
"""

from __future__ import annotations

import numpy as np

from synergy_stats.errors import IdentificationError
from synergy_stats.structural.estimate import Objective, _chol_inv

__all__ = [
    "casewise_scores",
    "observed_information",
    "sandwich_vcov",
    "yuan_bentler_trace",
]


def observed_information(objective: Objective, theta: np.ndarray, *, h: float = 1e-6) -> np.ndarray:
    """Observed information per observation: half the Hessian of F.

    Notes
    -----
    The Hessian is the central difference of the analytic gradient,
    ``H[:, k] = (g(theta + h_k e_k) - g(theta - h_k e_k)) / (2 h_k)`` with
    ``h_k = h max(1, |theta_k|)``, then symmetrised (truncation error O(h^2); forward
    differences were tried and move scaled difference tests in the fifth decimal).
    F = -2 log L / N + const, so the observed information per observation is ``H / 2``.
    """
    K = theta.size
    H = np.empty((K, K))
    for k in range(K):
        step = h * max(1.0, abs(theta[k]))
        tp = theta.copy()
        tm = theta.copy()
        tp[k] += step
        tm[k] -= step
        H[:, k] = (objective.gradient(tp) - objective.gradient(tm)) / (2 * step)
    H = (H + H.T) / 2
    return H / 2


def invert_information(info: np.ndarray, n: int, names: list[str]) -> np.ndarray:
    """``(n info)^-1``, raising IdentificationError when the information is singular."""
    K = info.shape[0]
    if K == 0:
        return np.zeros((0, 0))
    sym = (info + info.T) / 2
    try:
        L = np.linalg.cholesky(sym)
        d = np.diag(L)
        if d.min() > np.sqrt(d.max() ** 2 * K * 1e-12):
            Linv = np.linalg.inv(L)
            return (Linv.T @ Linv) / n
    except np.linalg.LinAlgError:
        pass
    w, V = np.linalg.eigh(sym)
    tol = max(w.max(), 1e-300) * K * 1e-12
    if w.min() <= tol:
        bad = np.argsort(np.abs(V[:, np.argmin(w)]))[::-1][:4]
        raise IdentificationError(
            "the information matrix is singular, so the model is not identified; the "
            f"parameters most involved: {[names[i] for i in bad]}"
        )
    return (V / w) @ V.T / n


def casewise_scores(objective: Objective, theta: np.ndarray) -> list[np.ndarray]:
    """Casewise scores of the log-likelihood, one (N_g x K) array per group.

    Notes
    -----
    For case i with observed part o, ``u = Sigma_oo^-1 (y_o - mu_o)`` and
    ``s_ik = 1/2 (u' dSigma_k,oo u - tr(Sigma_oo^-1 dSigma_k,oo)) + u' dmu_k,o``.
    Without a mean structure the mean is the sample mean and ``dmu = 0``.
    """
    out = []
    model = objective.model
    for g, gd in enumerate(objective.groups):
        sigma, mu, dsig, dmu = model.jacobian(theta, g)
        if not objective.meanstructure:
            mu = gd.mean
            dmu = np.zeros_like(dmu)
        scores = np.zeros((gd.n, model.npar))
        for pat in gd.patterns:
            o = pat.obs
            res = _chol_inv(sigma[np.ix_(o, o)])
            if res is None:
                raise IdentificationError("implied covariance matrix is not positive definite")
            inv = res[0]
            y = gd.raw[np.ix_(pat.rows, o)]
            u = (y - mu[o]) @ inv
            ds = dsig[:, o][:, :, o]
            quad = np.einsum("ip,kpq,iq->ik", u, ds, u)
            tr = np.einsum("pq,kqp->k", inv, ds)
            scores[pat.rows] = 0.5 * (quad - tr) + u @ dmu[:, o].T
        out.append(scores)
    return out


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


def _h1_observed_info(gd, *, h: float = 1e-6) -> np.ndarray:
    """Observed unit information of the saturated FIML model (mean structure included).

    Central differences of the summed casewise scores at the EM estimates.
    """
    p = gd.cov.shape[0]
    iu, ju = np.triu_indices(p)
    theta = np.concatenate([gd.mean, gd.cov[iu, ju]])
    K = theta.size

    def total_score(th: np.ndarray) -> np.ndarray:
        mean = th[:p]
        cov = np.zeros((p, p))
        cov[iu, ju] = th[p:]
        cov[ju, iu] = th[p:]
        return _h1_scores(gd, True, mean, cov).sum(axis=0)

    H = np.empty((K, K))
    for k in range(K):
        step = h * max(1.0, abs(theta[k]))
        tp = theta.copy()
        tm = theta.copy()
        tp[k] += step
        tm[k] -= step
        H[:, k] = (total_score(tp) - total_score(tm)) / (2 * step)
    return -(H + H.T) / 2 / gd.n


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


def yuan_bentler_trace(objective: Objective, theta: np.ndarray, e_inv: np.ndarray) -> float:
    """``tr(U Gamma)`` of the Yuan-Bentler scaled test, Mplus variant (complete data).

    Notes
    -----
    Per group, ``trace_h1 = tr(B1 A1^-1)`` with ``A1`` the expected information of the
    unrestricted model and ``B1`` the mean outer product of its casewise scores, and
    ``trace_h0 = (N_g/N) tr(B0_g E^-1)`` with ``B0_g`` the mean outer product of the
    model's casewise scores and ``E`` the information used for the standard errors.
    The scaling factor is ``sum_g (trace_h1 - trace_h0) / df`` (Yuan & Bentler 2000;
    lavaan's ``yuan.bentler.mplus``).
    """
    ms = objective.meanstructure
    total = 0.0
    scores0 = casewise_scores(objective, theta)
    for g, gd in enumerate(objective.groups):
        s1 = _h1_scores(gd, ms)
        B1 = s1.T @ s1 / gd.n
        A1 = _h1_expected_info(gd, ms) if gd.complete else _h1_observed_info(gd)
        trace_h1 = float(np.sum(B1 * np.linalg.inv(A1).T))
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
    ``lav_fit_fiml_corrected`` (version "V3").
    """
    groups = result._groups
    ntot = result.nobs
    fg = [gd.n / ntot for gd in groups]
    Wm = [_h1_observed_info(gd) for gd in groups]
    Jm = []
    for gd in groups:
        s = _h1_scores(gd, True)
        Jm.append(s.T @ s / gd.n)
    if h1_meat is not None:
        Jm = list(h1_meat)
    Wc = [_h1_expected_info(gd, True) for gd in groups]
    Wmi = [np.linalg.inv(w) for w in Wm]

    def bdiag(blocks: list[np.ndarray]) -> np.ndarray:
        n = sum(b.shape[0] for b in blocks)
        out = np.zeros((n, n))
        i = 0
        for b in blocks:
            k = b.shape[0]
            out[i : i + k, i : i + k] = b
            i += k
        return out

    Wm_all = bdiag([f * w for f, w in zip(fg, Wm, strict=True)])
    Wmi_all = bdiag([w / f for f, w in zip(fg, Wmi, strict=True)])
    Wc_all = bdiag([f * w for f, w in zip(fg, Wc, strict=True)])
    Gamma_all = bdiag([wi @ j @ wi / f for f, wi, j in zip(fg, Wmi, Jm, strict=True)])

    def trace_for(res) -> float:
        D = np.vstack([_moment_jacobian(res._model, res.theta, g) for g in range(len(groups))])
        E_inv = np.linalg.inv(D.T @ Wm_all @ D)
        U = Wm_all - Wm_all @ D @ E_inv @ D.T @ Wm_all
        return float(np.trace(U @ Wmi_all @ Wc_all @ Wmi_all @ U @ Gamma_all))

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
