"""Standard errors: expected and observed information, the MLR sandwich, the scaled test.

Notation: ``I`` is the information per observation, so ``Var(theta) = (N I)^-1`` under
normal-theory ML. lavaan's defaults are followed: expected information for complete-data
ML, observed information (the Hessian) with FIML and with MLR.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synergy_stats.errors import EstimationError, IdentificationError
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


# ---------------------------------------------------------------------- saturated (h1) model
# Coordinates of the saturated model: ``(mu, vech Sigma)`` with vech the upper triangle in
# row-major order (``numpy.triu_indices``); a vech vector ``t`` stands for the symmetric
# matrix ``D(t)`` with ``D(t)_ij = D(t)_ji = t_ij``. No ``p^2 x p^2`` object is formed:
# the expected information and its inverse act through products of p x p matrices, the
# FIML observed information is one matrix product over the missing-data patterns.

#: elements per temporary block in the chunked loops below (16 MB of float64)
_CHUNK = 2_000_000


def _vech_lookup(p: int) -> np.ndarray:
    """``V[i, j]``: position of the pair ``(min(i, j), max(i, j))`` in the vech order."""
    iu, ju = np.triu_indices(p)
    V = np.empty((p, p), dtype=np.intp)
    V[iu, ju] = np.arange(len(iu))
    V[ju, iu] = np.arange(len(iu))
    return V


def _h1_pattern_parts(gd: GroupData, mean: np.ndarray, cov: np.ndarray) -> dict[str, np.ndarray]:
    """What every saturated-model statistic of one group takes from its patterns.

    Per pattern ``k`` (observed variables ``o``): ``Q_k`` the inverse of ``cov_oo`` embedded
    with zeros, ``u_k = Q_k (ybar_k - mean)`` and ``X_k = 2 Q_k T_k Q_k - Q_k`` with ``T_k``
    the pattern's cross-products about ``mean``, as vech rows ``Qv``, ``Xv``; per case
    ``u_i = Q_k(i) (y_i - mean)`` and its pattern ``case``.

    Notes
    -----
    The patterns are taken in the engine's batches (:func:`pattern_batches`, patterns with
    the same number of missing variables together): ``Q_k = P - Y_k Y_k'`` with
    ``P = cov^-1`` and ``Y_k = P_{:,m} L_k^-T`` (``L_k L_k' = P_mm``, m the missing
    variables), so only the missing blocks are factorised, and
    ``Q_k T_k Q_k = mean_i u_i u_i'`` over the pattern's cases.
    """
    from synergy_stats.structural.engine import _pattern_pass, pattern_batches

    x = gd.raw
    n, p = x.shape
    iu, ju = np.triu_indices(p)
    batches = gd.cache.get("batches")
    if batches is None:
        batches = pattern_batches(x)
        gd.cache["batches"] = batches
    P = np.linalg.inv(cov)
    passed = _pattern_pass(P, 0.0, mean, batches)
    if passed is None:
        raise EstimationError("internal: the saturated covariance is not positive definite")
    _, Us, pieces = passed
    u = np.zeros((n, p))
    Qv, Xv, us, w = [], [], [], []
    case = np.empty(n, dtype=np.intp)
    k0 = 0
    for b, ub, piece in zip(batches, Us, pieces, strict=True):
        G_b = len(b.starts)
        counts = np.diff(np.append(b.starts, len(b.rows)))
        obs = np.ones((G_b, p))
        if b.miss.shape[1]:
            np.put_along_axis(obs, b.miss, 0.0, axis=1)
        ob = obs[:, iu] * obs[:, ju]
        q = np.broadcast_to(P[iu, ju], (G_b, len(iu)))
        Yp = piece["Yp"]
        if Yp is not None:
            q = q - (Yp @ Yp.transpose(0, 2, 1))[:, iu, ju]
        q = q * ob  # exact zeros where a variable is missing
        ub = ub * b.mask
        u[b.rows] = ub
        case[b.rows] = k0 + b.case_pattern
        uu = np.add.reduceat(ub[:, iu] * ub[:, ju], b.starts, axis=0) / counts[:, None]
        Qv.append(q)
        Xv.append(2.0 * uu - q)
        us.append(np.add.reduceat(ub, b.starts, axis=0) / counts[:, None])
        w.append(counts / gd.n)
        k0 += G_b
    Qv.append(np.zeros((1, len(iu))))  # the last row stays 0: cases of no pattern
    return {
        "w": np.concatenate(w),
        "Qv": np.vstack(Qv),
        "Xv": np.vstack(Xv),
        "us": np.vstack(us),
        "u": u,
        "case": case,
    }


def _h1_parts(gd: GroupData) -> dict[str, np.ndarray]:
    """:func:`_h1_pattern_parts` at the group's saturated estimates, computed once."""
    if "h1_parts" not in gd.cache:
        gd.cache["h1_parts"] = _h1_pattern_parts(gd, gd.mean, gd.cov)
    parts: dict[str, np.ndarray] = gd.cache["h1_parts"]
    return parts


def _h1_scores(
    gd: GroupData,
    meanstructure: bool,
    mean: np.ndarray | None = None,
    cov: np.ndarray | None = None,
) -> np.ndarray:
    """Casewise scores of the saturated model for (mu, vech Sigma).

    With missing data each case contributes through its observed part only (FIML):
    ``u_i = Q_i (y_i - mu)`` for the means and ``c_kl (u_ik u_il - Q_i,kl)`` for the
    covariances (``c = 1/2`` on the diagonal, else 1; ``Q_i`` the inverse of the observed
    block embedded with zeros). At the group's own estimates the scores are computed once.
    """
    own = mean is None and cov is None
    if own and f"h1_scores_{meanstructure}" in gd.cache:
        cached: np.ndarray = gd.cache[f"h1_scores_{meanstructure}"]
        return cached
    parts = (
        _h1_parts(gd)
        if own
        else _h1_pattern_parts(
            gd, gd.mean if mean is None else mean, gd.cov if cov is None else cov
        )
    )
    u, Qv, case = parts["u"], parts["Qv"], parts["case"]
    n, p = u.shape
    iu, ju = np.triu_indices(p)
    fac = np.where(iu == ju, 0.5, 1.0)
    off = p if meanstructure else 0
    out = np.empty((n, off + len(iu)))
    if meanstructure:
        out[:, :p] = u
    step = max(1, _CHUNK // max(len(iu), 1))
    for r0 in range(0, n, step):
        rows = slice(r0, min(n, r0 + step))
        ur = u[rows]
        out[rows, off:] = fac * (ur[:, iu] * ur[:, ju] - Qv[case[rows]])
    if own:
        gd.cache[f"h1_scores_{meanstructure}"] = out
    return out


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
    (``c = 1/2`` on the diagonal, else 1). Every pattern sum is an entry of one of two
    matrix products over the patterns, ``R_q = (w Q)' u`` and ``R = (w Q)' X`` on the vech
    rows (``Q_jk X_il`` summed is ``R[vech(j,k), vech(i,l)]``): ``O(G m^2)`` for G patterns
    and m covariances, no ``p^2 x p^2`` object.
    """
    if "h1_observed" in gd.cache:
        cached: np.ndarray = gd.cache["h1_observed"]
        return cached
    parts = _h1_parts(gd)
    w, Qv, Xv, us = parts["w"], parts["Qv"][:-1], parts["Xv"], parts["us"]
    p = us.shape[1]
    iu, ju = np.triu_indices(p)
    m = len(iu)
    c = np.where(iu == ju, 0.5, 1.0)
    V = _vech_lookup(p)
    wQv = Qv * w[:, None]
    out = np.empty((p + m, p + m))
    out[:p, :p] = (w @ Qv)[V]
    # T3[i, k, l] = sum_g w Q[i, l] u[k] = Rq[vech(i, l), k]
    Rq = (wQv.T @ us).ravel()
    out[:p, p:] = c * (Rq[V[:, ju] * p + iu] + Rq[V[:, iu] * p + ju])
    out[p:, :p] = out[:p, p:].T
    Rs = wQv.T @ Xv
    Rs = (Rs + Rs.T).ravel()  # R + R' gathers the four terms in two
    step = max(1, _CHUNK // m)
    for a0 in range(0, m, step):
        a1 = min(m, a0 + step)
        Vi, Vj = V[iu[a0:a1]], V[ju[a0:a1]]
        blk = Rs[Vj[:, iu] * m + Vi[:, ju]] + Rs[Vj[:, ju] * m + Vi[:, iu]]
        out[p + a0 : p + a1, p:] = 0.5 * c[a0:a1, None] * c[None, :] * blk
    np.add(out, out.T, out=out)
    out *= 0.5
    gd.cache["h1_observed"] = out
    parts.pop("Xv", None)  # needed by nothing else: 80 MB at 100 items and 2000 patterns
    return out


def _h1_expected_info(gd, meanstructure: bool) -> np.ndarray:
    """Expected unit information of the saturated model for (mu, vech Sigma).

    For covariance elements a = (i, j) and b = (k, l) it is
    ``c_a c_b (inv_ik inv_jl + inv_il inv_jk)`` with ``c = 1/2`` on the diagonal, else 1:
    one half of ``tr(Sigma^-1 E_a Sigma^-1 E_b)`` for the symmetric unit matrices ``E``.
    The statistics of this module never form it (see :func:`_h1_expected_apply` and
    :func:`_h1_complete_trace`); it is kept for callers that want the matrix.
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


def _unvech(t: np.ndarray, p: int, V: np.ndarray) -> np.ndarray:
    """``D(t)`` of each row of ``t`` (r x m): the (r, p, p) symmetric matrices."""
    return t[:, V] if t.ndim == 2 else t[V]


def _h1_expected_apply(P: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``W_c X``: the complete-data expected information at ``Sigma = P^-1`` times ``X``.

    ``X`` is ``(p + m) x r`` in ``(mu, vech Sigma)`` coordinates; column by column,
    ``W_c (a, t) = (P a, c o vech(P D(t) P))`` with ``c = 1/2`` on the diagonal, else 1
    (the information ``c_a c_b (P_ik P_jl + P_il P_jk)`` acting on ``t``).
    """
    p = P.shape[0]
    iu, ju = np.triu_indices(p)
    c = np.where(iu == ju, 0.5, 1.0)
    V = _vech_lookup(p)
    out = np.empty_like(X)
    out[:p] = P @ X[:p]
    r = X.shape[1]
    step = max(1, _CHUNK // (p * p))
    for c0 in range(0, r, step):
        cols = slice(c0, min(r, c0 + step))
        T = _unvech(X[p:, cols].T, p, V)  # (r, p, p)
        PTP = P @ T @ P
        out[p:, cols] = (c * PTP[:, iu, ju]).T
    return out


def _h1_expected_quad(P: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``x' W_c x`` of every column ``x = (a, t)`` of ``X``: ``a'Pa + tr(D(t)P D(t)P)/2``."""
    p = P.shape[0]
    V = _vech_lookup(p)
    out = np.einsum("ir,ij,jr->r", X[:p], P, X[:p])
    r = X.shape[1]
    step = max(1, _CHUNK // (p * p))
    for c0 in range(0, r, step):
        cols = slice(c0, min(r, c0 + step))
        TP = _unvech(X[p:, cols].T, p, V) @ P
        out[cols] += 0.5 * np.einsum("rij,rji->r", TP, TP)
    return out


def _h1_complete_trace(gd: GroupData, meanstructure: bool, x_idx: list[int]) -> float:
    """``tr(B1 A1^-1)`` of complete data, with the fixed-x covariates' own moments dropped.

    ``A1`` is the expected information of the saturated model at the sample moments and
    ``B1`` the mean outer product of its casewise scores ``s_i``, both restricted to the
    modelled moments K (:func:`h1_keep`); the trace is ``mean_i s_i,K' A1_KK^-1 s_i,K``.

    Notes
    -----
    ``A1^-1`` is the normal-theory ``Gamma``: ``Sigma`` for the means and
    ``Sigma_ik Sigma_jl + Sigma_il Sigma_jk`` for the covariances. With ``s~`` the score
    with the dropped moments X set to 0 and ``N`` its covariance part as a symmetric
    matrix (``N_kl = s_kl / (2 - delta_kl)``), ``s~' Gamma s~ = a' Sigma a +
    2 tr(N Sigma N Sigma)`` and ``(Gamma s~)`` is ``(Sigma a, 2 vech(Sigma N Sigma))``;
    the inverse of the block K of ``A1`` is the Schur complement of ``Gamma_XX`` in
    ``Gamma``, so ``s_K' A1_KK^-1 s_K = s~' Gamma s~ - b' Gamma_XX^-1 b`` with
    ``b = (Gamma s~)_X``. Costs ``O(N p^3)`` against ``O(p^6)`` for inverting ``A1``.
    """
    S = _h1_scores(gd, meanstructure)
    sig = gd.cov
    n, _ = S.shape
    p = sig.shape[0]
    off = p if meanstructure else 0
    iu, ju = np.triu_indices(p)
    V = _vech_lookup(p)
    half = np.where(iu == ju, 1.0, 0.5)
    x = np.asarray(sorted(x_idx), dtype=np.intp)
    q = len(x)
    xu, xv = np.triu_indices(q)
    if q:
        gxx = sig[np.ix_(x, x)]
        cov_xx = (
            gxx[np.ix_(xu, xu)] * gxx[np.ix_(xv, xv)] + gxx[np.ix_(xu, xv)] * gxx[np.ix_(xv, xu)]
        )
        blocks = [gxx, cov_xx] if meanstructure else [cov_xx]
        C = np.zeros((sum(b.shape[0] for b in blocks),) * 2)
        i = 0
        for b in blocks:
            C[i : i + len(b), i : i + len(b)] = b
            i += len(b)
        C_inv = np.linalg.inv(C)
    total = 0.0
    step = max(1, _CHUNK // (p * p))
    for r0 in range(0, n, step):
        rows = slice(r0, min(n, r0 + step))
        N = _unvech(S[rows, off:] * half, p, V)
        if q:
            N[:, x[:, None], x[None, :]] = 0.0
        SN = sig @ N
        val = 2.0 * np.einsum("rij,rji->r", SN, SN)
        parts = []
        if meanstructure:
            a = S[rows, :p].copy()
            a[:, x] = 0.0
            sa = a @ sig
            val += np.einsum("ri,ri->r", sa, a)
            parts.append(sa[:, x])
        if q:
            SNS = SN[:, x, :] @ sig[:, x]  # (r, q, q)
            parts.append(2.0 * SNS[:, xu, xv])
            b = np.hstack(parts)
            val -= np.einsum("ri,ij,rj->r", b, C_inv, b)
        total += float(val.sum())
    return total / gd.n


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


def _subset(a: np.ndarray, keep: np.ndarray, square: bool) -> np.ndarray:
    """Rows (``square``: and columns) ``keep`` of ``a``, or ``a`` itself when all are kept."""
    if len(keep) == a.shape[0] and np.array_equal(keep, np.arange(a.shape[0])):
        return a
    return a[np.ix_(keep, keep)] if square else a[keep]


def _solve_spd(W: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, float]:
    """``W^-1 B`` and ``tr(B' W^-1 B)`` for a symmetric ``W`` (Cholesky, LU if not PD)."""
    from scipy import linalg

    try:
        L = linalg.cholesky(W, lower=True, check_finite=False)
    except linalg.LinAlgError:
        Y = np.linalg.solve(W, B)
        return Y, float(np.vdot(B, Y))
    Z = linalg.solve_triangular(L, B, lower=True, check_finite=False)
    trace = float(np.vdot(Z, Z))
    Z = linalg.solve_triangular(L, Z, lower=True, trans="T", overwrite_b=True, check_finite=False)
    return Z, trace


def _h1_fiml_solved(gd: GroupData, keep: np.ndarray) -> dict[str, Any]:
    """The saturated FIML model's information, scores and ``W_m^-1 S'`` on ``keep``, once.

    Returns ``W`` (observed unit information, K x K), ``S`` (casewise scores, N x K),
    ``Y = W^-1 S'`` and ``trace = tr(S W^-1 S') / N`` (``tr(B1 A1^-1)`` of the scaled
    test), by one Cholesky factorisation instead of an inverse.
    """
    key = f"h1_fiml_{keep.tobytes().hex()}"
    if key not in gd.cache:
        W = _subset(_h1_observed_info(gd), keep, True)
        S = _subset(_h1_scores(gd, True).T, keep, False).T
        Y, tr = _solve_spd(W, S.T)
        gd.cache[key] = {"W": W, "S": S, "Y": Y, "trace": tr / gd.n}
    out: dict[str, Any] = gd.cache[key]
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
    lavaan's ``yuan.bentler.mplus``). With fixed-x covariates the unrestricted model's
    moments of the covariates alone (their means and their own covariance block) are
    left out of ``A1`` and ``B1``, as lavaan does (they are not modelled). ``trace_h1``
    depends on the data only and is computed once per group data: in closed form for
    complete data (:func:`_h1_complete_trace`), by a Cholesky solve with the observed
    information under FIML (:func:`_h1_fiml_solved`).
    """
    ms = objective.meanstructure
    total = 0.0
    scores0 = casewise_scores(objective, theta)
    pt = objective.compiled.pt
    x_idx = [pt.observed.index(v) for v in pt.exogenous_x]
    for g, gd in enumerate(objective.groups):
        key = f"h1_trace_{ms}_{x_idx}"
        if key not in gd.cache:
            if gd.complete:
                gd.cache[key] = _h1_complete_trace(gd, ms, x_idx)
            else:
                if not ms:
                    raise EstimationError("internal: FIML without a mean structure")
                keep = h1_keep(len(pt.observed), x_idx, True)
                gd.cache[key] = _h1_fiml_solved(gd, keep)["trace"]
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


def _meat_rows(J: np.ndarray, n: int) -> np.ndarray:
    """Rows ``F`` with ``F'F / n = J`` for a symmetric positive semi-definite ``J``."""
    lam, vec = np.linalg.eigh((J + J.T) / 2)
    return (vec * np.sqrt(np.clip(lam, 0.0, None) * n)).T


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
    With ``W_m`` the observed information of the saturated FIML model, ``J_m = F'F / N``
    the mean outer product of its casewise scores ``F``, ``W_c`` the complete-data
    information at the EM moments, ``Gamma = W_m^-1 J_m W_m^-1``, ``E = Delta' W_m Delta``
    and ``U = W_m - W_m Delta E^-1 Delta' W_m`` (group blocks weighted by N_g/N),
    ``k = tr(U W_m^-1 W_c W_m^-1 U Gamma)`` and ``c3 = k / df``. As lavaan's
    ``lav_fit_fiml_corrected`` (version "V3"); the fixed-x covariates' own moments are
    left out of every matrix (:func:`h1_keep`). The trace expands into
    ``tr(W_c Gamma) - 2 tr(E^-1 Delta' W_c Y F Delta) / N
    + tr(E^-1 Delta' W_c Delta E^-1 Delta' J_m Delta)`` with ``Y = W_m^-1 F'``: one
    Cholesky solve per group data (shared by the model, its baseline and the scaled
    test), ``W_c`` applied through products of p x p matrices, nothing ``m x m`` but
    ``W_m`` itself.
    """
    groups = result._groups
    ntot = result.nobs
    fg = [gd.n / ntot for gd in groups]
    pt = result.partable
    p = len(pt.observed)
    keep = h1_keep(p, [pt.observed.index(v) for v in pt.exogenous_x], True)
    full = p + p * (p + 1) // 2
    Wm, F, Y, P, c0 = [], [], [], [], 0.0
    for g, gd in enumerate(groups):
        solved = _h1_fiml_solved(gd, keep)
        Wm.append(solved["W"])
        if h1_meat is None:
            Fg, Yg = solved["S"], solved["Y"]
        else:
            # the cluster-robust meat of the saturated model, on the same moments
            Fg = _meat_rows(_subset(np.asarray(h1_meat[g]), keep, True), gd.n)
            Yg = _solve_spd(solved["W"], Fg.T)[0]
        F.append(Fg)
        Y.append(Yg)
        Pg = np.linalg.inv(gd.cov)
        P.append(Pg)
        # tr(W_c W_m^-1 J_m W_m^-1) = sum_i y_i' W_c y_i / N_g
        Yfull = np.zeros((full, Yg.shape[1]))
        Yfull[keep] = Yg
        c0 += float(_h1_expected_quad(Pg, Yfull).sum()) / gd.n

    def trace_for(res) -> float:
        K = res.theta.size
        E = np.zeros((K, K))
        DWcD = np.zeros((K, K))
        DJD = np.zeros((K, K))
        M2 = np.zeros((K, K))
        for g, gd in enumerate(groups):
            Dfull = _moment_jacobian(res._model, res.theta, g)
            D = Dfull[keep]
            Dpad = np.zeros_like(Dfull)
            Dpad[keep] = D
            WcD = _h1_expected_apply(P[g], Dpad)[keep]
            FD = F[g] @ D
            E += fg[g] * (D.T @ (Wm[g] @ D))
            DWcD += fg[g] * (D.T @ WcD)
            DJD += fg[g] * (FD.T @ FD) / gd.n
            M2 += fg[g] * ((WcD.T @ Y[g]) @ FD) / gd.n
        E_inv = np.linalg.inv(E)
        t2 = float(np.sum(E_inv * M2.T))
        t4 = float(np.sum((E_inv @ DWcD) * (E_inv @ DJD).T))
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
