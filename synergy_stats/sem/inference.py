"""Standard errors: expected and observed information, the MLR sandwich, the scaled test.

Notation: ``I`` is the information per observation, so ``Var(theta) = (N I)^-1`` under
normal-theory ML. lavaan's defaults are followed: expected information for complete-data
ML, observed information (the Hessian) with FIML and with MLR.
"""

from __future__ import annotations

import numpy as np

from synergy_stats.errors import IdentificationError
from synergy_stats.sem.estimate import Objective, _chol_inv

__all__ = [
    "casewise_scores",
    "expected_information",
    "observed_information",
    "sandwich_vcov",
    "yuan_bentler_trace",
]


def expected_information(objective: Objective, theta: np.ndarray) -> np.ndarray:
    """Expected (Fisher) information per observation, ``sum_g (N_g/N) I_g``."""
    return objective.derivatives(theta)[2]


def observed_information(
    objective: Objective, theta: np.ndarray, *, h: float = 1e-6
) -> np.ndarray:
    """Observed information per observation: half the Hessian of F.

    Notes
    -----
    The Hessian is the central difference of the analytic gradient,
    ``H[:, k] = (g(theta + h_k e_k) - g(theta - h_k e_k)) / (2 h_k)`` with
    ``h_k = h * max(1, |theta_k|)``, then symmetrised. F = -2 log L / N + const, so the
    observed information per observation is ``H / 2``.
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
    w, V = np.linalg.eigh((info + info.T) / 2)
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


def _h1_scores(gd, meanstructure: bool) -> np.ndarray:  # noqa: ANN001
    """Casewise scores of the saturated model for (mu, vech Sigma), complete data."""
    x = gd.raw
    p = x.shape[1]
    inv = np.linalg.inv(gd.cov)
    e = x - gd.mean
    u = e @ inv
    iu, ju = np.triu_indices(p)
    # d logL / d sigma_ij (symmetric, counted once): (2 - delta_ij)/2 (u_i u_j - inv_ij)
    fac = np.where(iu == ju, 0.5, 1.0)
    cov_scores = fac * (u[:, iu] * u[:, ju] - inv[iu, ju])
    return np.hstack([u, cov_scores]) if meanstructure else cov_scores


def _h1_expected_info(gd, meanstructure: bool) -> np.ndarray:  # noqa: ANN001
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


def yuan_bentler_trace(
    objective: Objective, theta: np.ndarray, e_inv: np.ndarray
) -> float:
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
        A1 = _h1_expected_info(gd, ms)
        trace_h1 = float(np.sum(B1 * np.linalg.inv(A1).T))
        B0 = scores0[g].T @ scores0[g] / gd.n
        fg = gd.n / objective.ntotal
        trace_h0 = fg * float(np.sum(B0 * e_inv.T))
        total += trace_h1 - trace_h0
    return total
