"""A lean complete-data ML refit for resampling: the engine's model, without its extras.

A bootstrap draw only needs the maximum-likelihood estimates of the same parameter table
on new sample moments. :class:`CompiledModel` compiles a
:class:`~synergy_stats.structural.partable.ParTable` once into index arrays of the RAM matrices
(the same mapping as :class:`~synergy_stats.structural.model.RamModel`), and
:meth:`CompiledModel.fit`
runs Fisher scoring from the full-sample estimates on the new moments.

The discrepancy and its expected information are those of
:class:`~synergy_stats.structural.estimate.Objective` for complete data. What makes it cheap is
that every free matrix entry ``e`` changes the implied covariance by a rank-two term

    dSigma_e = c_e (g_e h_e' + h_e g_e'),

(``g_e = G e_i``, ``h_e = (B S B' F')_j`` for a path ``A_ij``; ``g_e = G e_i``,
``h_e = G e_j`` and ``c_e = 1/2`` on the diagonal, else 1, for ``S_ij``), so the unit Fisher
information ``1/2 tr(Sigma^-1 dSigma_e Sigma^-1 dSigma_f)`` reduces to inner products
under ``Sigma^-1``:

    I_ef = c_e c_f [(g_e' W g_f)(h_e' W h_f) + (g_e' W h_f)(h_e' W g_f)],  W = Sigma^-1,

and the gradient of F to ``2 c_e g_e' M h_e`` with ``M = W (Sigma - S - d d') W``. No
``(K, p, p)`` derivative array is formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack

from synergy_stats.structural.model import RamLayout, ram_layout
from synergy_stats.structural.partable import ParTable

_dgesv = lapack.dgesv
_dpotrf = lapack.dpotrf
_dtrtri = lapack.dtrtri
_dposv = lapack.dposv

__all__ = ["CompiledModel", "FastFit", "GroupMoments"]


@dataclass(frozen=True)
class GroupMoments:
    """ML sample moments of one group (covariance with divisor N)."""

    n: int
    mean: np.ndarray
    cov: np.ndarray


@dataclass(frozen=True)
class FastFit:
    """Outcome of one refit."""

    theta: np.ndarray
    fmin: float
    converged: bool
    iterations: int
    admissible: bool
    implied: tuple[tuple[np.ndarray, np.ndarray | None], ...] = ()
    logdet_s: tuple[float, ...] = ()


@dataclass
class _GroupIndex:
    A0: np.ndarray
    S0: np.ndarray
    m0: np.ndarray
    a_i: np.ndarray
    a_j: np.ndarray
    a_k: np.ndarray
    s_i: np.ndarray
    s_j: np.ndarray
    s_k: np.ndarray
    m_i: np.ndarray
    m_k: np.ndarray
    exo_s: np.ndarray  # (E, 2) positions of fixed-x covariances
    exo_m: np.ndarray  # positions of fixed-x means
    c_s: np.ndarray  # 1/2 on diagonal S entries, 1 elsewhere
    P: np.ndarray  # (K, E) entry -> parameter aggregation
    n_a: int
    n_s: int
    n_c: int  # covariance-structure entries (A and S)
    n_e: int  # all entries
    gh_rows: np.ndarray  # rows of [H; G'] giving the g vectors, then the h vectors
    cv: np.ndarray  # c_e of the covariance-structure entries
    cc: np.ndarray  # outer(cv, cv)
    Pc: np.ndarray  # P restricted to covariance-structure entries
    IA0: np.ndarray  # I - A0
    p_identity: bool  # entries are the parameters, in order (no aggregation needed)
    ai_c: np.ndarray  # index vectors as columns / rows, for outer gathers
    ai_r: np.ndarray
    aj_c: np.ndarray
    aj_r: np.ndarray
    si_r: np.ndarray
    sj_r: np.ndarray
    f_bt_ij: np.ndarray  # flat gathers (row-major n x n) for the Hessian's path terms
    f_c_ji: np.ndarray
    f_u_ii: np.ndarray
    f_q_jj: np.ndarray
    f_u_isj: np.ndarray
    f_bt_sij: np.ndarray
    f_u_isi: np.ndarray
    f_bt_sjj: np.ndarray


class CompiledModel:
    """A parameter table compiled for fast complete-data ML refits.

    Parameters
    ----------
    pt : ParTable
        The fitted model's parameter table.

    Notes
    -----
    Matrix layout and fixed-x handling follow :class:`synergy_stats.structural.model.RamModel`:
    ``=~`` rows are ``A[indicator, factor]``, ``~`` rows ``A[lhs, rhs]``, ``~~`` rows
    ``S[lhs, rhs]`` (symmetric), ``~1`` rows ``m[lhs]``; the (co)variances and means of
    fixed exogenous covariates are set from each sample's own moments.
    """

    def __init__(self, pt: ParTable) -> None:
        self.pt = pt
        self.observed = list(pt.observed)
        self.latent = list(pt.latent)
        self.names = self.observed + self.latent
        self.p = len(self.observed)
        self.n = len(self.names)
        self.npar = pt.npar
        self.meanstructure = bool(pt.meanstructure)
        self.n_groups = pt.n_groups
        self._eye = np.eye(self.n)
        self.groups: list[_GroupIndex] = []
        self._layouts: list[RamLayout] = []
        for g in range(1, pt.n_groups + 1):
            lay = ram_layout(pt, g)  # the engine's mapping of rows onto RAM positions
            self._layouts.append(lay)
            A0, S0, m0 = lay.A0, lay.S0, lay.m0
            exo_s, exo_m = lay.exo_s, lay.exo_m
            aa, ss, mm = lay.a, lay.s, lay.m
            n_a, n_s, n_m = len(aa), len(ss), len(mm)
            P = np.zeros((self.npar, n_a + n_s + n_m))
            for e, k in enumerate(np.concatenate([aa[:, 2], ss[:, 2], mm[:, 1]])):
                P[int(k), e] += 1.0
            c_s = np.where(ss[:, 0] == ss[:, 1], 0.5, 1.0)
            cv = np.concatenate([np.ones(n_a), c_s])
            n_all = self.n
            g_rows = n_all + np.concatenate([aa[:, 0], ss[:, 0]])
            h_rows = np.concatenate([aa[:, 1], n_all + ss[:, 1]])
            self.groups.append(
                _GroupIndex(
                    A0=A0,
                    S0=S0,
                    m0=m0,
                    a_i=aa[:, 0],
                    a_j=aa[:, 1],
                    a_k=aa[:, 2],
                    s_i=ss[:, 0],
                    s_j=ss[:, 1],
                    s_k=ss[:, 2],
                    m_i=mm[:, 0],
                    m_k=mm[:, 1],
                    exo_s=exo_s,
                    exo_m=exo_m,
                    c_s=c_s,
                    P=P,
                    n_a=n_a,
                    n_s=n_s,
                    n_c=n_a + n_s,
                    n_e=n_a + n_s + n_m,
                    gh_rows=np.concatenate([g_rows, h_rows]).astype(int),
                    cv=cv,
                    cc=np.outer(cv, cv),
                    Pc=P[:, : n_a + n_s].copy(),
                    IA0=np.eye(self.n) - A0,
                    p_identity=P.shape[0] == P.shape[1] and bool(np.array_equal(P, np.eye(len(P)))),
                    ai_c=aa[:, 0][:, None],
                    ai_r=aa[:, 0][None, :],
                    aj_c=aa[:, 1][:, None],
                    aj_r=aa[:, 1][None, :],
                    si_r=ss[:, 0][None, :],
                    sj_r=ss[:, 1][None, :],
                    **_flat_indices(aa[:, 0], aa[:, 1], ss[:, 0], ss[:, 1], self.n),
                )
            )
        lat = np.arange(self.p, self.n)
        self._latent_idx = lat

    # ------------------------------------------------------------------ matrices
    def bases(self, moments: list[GroupMoments]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Fixed parts of ``S`` and ``m`` of each group, fixed-x values from ``moments``."""
        return [
            lay.with_exogenous(mo.cov, mo.mean)
            if (gi.exo_s.size or gi.exo_m.size)
            else (gi.S0, gi.m0)
            for gi, lay, mo in zip(self.groups, self._layouts, moments, strict=True)
        ]

    def matrices(
        self,
        theta: np.ndarray,
        g: int,
        base: tuple[np.ndarray, np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``A``, ``S``, ``m`` and ``B = (I - A)^-1`` of group ``g`` (dtype follows theta)."""
        gi = self.groups[g]
        dtype = np.result_type(theta.dtype, float)
        A = gi.A0.astype(dtype, copy=True)
        S = base[0].astype(dtype, copy=True)
        m = base[1].astype(dtype, copy=True)
        A[gi.a_i, gi.a_j] = theta[gi.a_k]
        S[gi.s_i, gi.s_j] = theta[gi.s_k]
        S[gi.s_j, gi.s_i] = theta[gi.s_k]
        m[gi.m_i] = theta[gi.m_k]
        B = np.linalg.inv(self._eye - A)
        return A, S, m, B

    # ------------------------------------------------------------------ objective
    def _state(
        self,
        theta: np.ndarray,
        moments: list[GroupMoments],
        bases: list[tuple[np.ndarray, np.ndarray]],
        weights: list[float],
        logdet_s: list[float],
    ) -> tuple[float, list[tuple] | None]:
        """Discrepancy F at theta and the per-group pieces the derivatives need."""
        total = 0.0
        parts = []
        p = self.p
        for g, mo in enumerate(moments):
            gi = self.groups[g]
            S0, m0 = bases[g]
            IA = gi.IA0.copy()
            IA[gi.a_i, gi.a_j] = -theta[gi.a_k]
            S = S0.copy()
            S[gi.s_i, gi.s_j] = theta[gi.s_k]
            S[gi.s_j, gi.s_i] = theta[gi.s_k]
            _, _, B, info = _dgesv(IA, self._eye)
            if info != 0:
                return np.inf, None
            G = B[:p]
            Q = B @ S @ B.T
            H = Q[:, :p]  # n x p
            sigma = H[:p]
            L, info = _dpotrf(sigma, lower=1, clean=1)
            if info != 0:
                return np.inf, None
            Linv, info = _dtrtri(L, lower=1)
            if info != 0:
                return np.inf, None
            W = Linv.T @ Linv
            logdet = 2.0 * float(np.log(np.diagonal(L)).sum())
            f = logdet + float(np.vdot(W, mo.cov)) - logdet_s[g] - p
            d = None
            bm = None
            if self.meanstructure:
                m = m0.copy()
                m[gi.m_i] = theta[gi.m_k]
                bm = B @ m
                d = mo.mean - bm[:p]
                f += float(d @ W @ d)
            total += weights[g] * f
            parts.append((B, Q, G, H, sigma, W, d, bm))
        return total, parts

    def _gradient(
        self,
        parts: list[tuple],
        moments: list[GroupMoments],
        weights: list[float],
    ) -> tuple[np.ndarray, list[tuple]]:
        """Gradient of F and the per-group pieces :meth:`_curvature` reuses.

        Notes
        -----
        ``F_a = tr(M Sigma_a) - 2 mu_a' W d`` with ``W = Sigma^-1``,
        ``M = W (Sigma - S - d d') W``; for the rank-two ``Sigma_a`` the trace is
        ``2 c_a g_a' M h_a``.
        """
        grad = np.zeros(self.npar)
        pieces = []
        for g, (_B, _Q, G, H, sigma, W, d, bm) in enumerate(parts):
            gi = self.groups[g]
            n_a, n_c = gi.n_a, gi.n_c
            HG = np.concatenate([H, G.T])  # (2n, p)
            V = HG[gi.gh_rows]  # (2 E_c, p): g vectors, then h vectors
            R = sigma - moments[g].cov
            if d is not None:
                R = R - np.outer(d, d)
            M = W @ R @ W
            VM = V @ M
            gv = V[:n_c]
            hv = V[n_c:]
            grad_e = np.empty(gi.n_e)
            grad_e[:n_c] = 2.0 * gi.cv * (VM[:n_c] * hv).sum(axis=1)
            dmu = DW = Wd = None
            if d is not None and bm is not None:
                # mean derivatives: A entries G e_i (B m)_j, m entries G e_i
                dmu = np.zeros((gi.n_e, self.p))
                dmu[:n_a] = gv[:n_a] * bm[gi.a_j][:, None]
                dmu[n_c:] = G[:, gi.m_i].T
                DW = dmu @ W
                Wd = W @ d
                grad_e[n_c:] = 0.0
                grad_e -= 2.0 * (DW @ d)
            grad += weights[g] * (grad_e if gi.p_identity else gi.P @ grad_e)
            pieces.append((V, M, VM, dmu, DW, Wd))
        return grad, pieces

    def _curvature(
        self,
        parts: list[tuple],
        pieces: list[tuple],
        weights: list[float],
        *,
        newton: bool,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Twice the unit expected information (Fisher scoring) and the exact Hessian of F.

        Notes
        -----
        With subscripts for derivatives with respect to free entries a and b,

            F_ab = tr(W Sigma_a W Sigma_b) - 2 tr(M Sigma_a W Sigma_b) + tr(M Sigma_ab)
                   + 2 mu_a' W mu_b + 2 mu_b' W Sigma_a W d + 2 mu_a' W Sigma_b W d
                   - 2 mu_ab' W d.

        Fisher scoring keeps the first and fourth terms. Second derivatives of
        ``Sigma = F B S B' F'`` and ``mu = F B m`` follow from ``dB/dA_ij = B E_ij B``; with
        ``Q = B S B'``, ``U = G' M G`` and ``C = Q F' M G`` (``G = F B``) the trace term is
        ``2 (B_li C_jk + B_jk C_li + U_ki Q_jl)`` for paths ``A_ij``, ``A_kl`` and
        ``2 c_b (U_li B_jk + U_ki B_jl)`` for a path ``A_ij`` and a covariance ``S_kl``.
        """
        K = self.npar
        fisher = np.zeros((K, K))
        hess = np.zeros((K, K)) if newton else None
        for g, ((B, Q, G, H, _sigma, W, _d, bm), (V, M, VM, dmu, DW, Wd)) in enumerate(
            zip(parts, pieces, strict=True)
        ):
            gi = self.groups[g]
            w = weights[g]
            n_a, n_c, n_e = gi.n_a, gi.n_c, gi.n_e
            gram = (V @ W) @ V.T
            GWG = gram[:n_c, :n_c]
            HWH = gram[n_c:, n_c:]
            GWH = gram[:n_c, n_c:]
            fish_e = np.zeros((n_e, n_e))
            fish_e[:n_c, :n_c] = (2.0 * gi.cc) * (GWG * HWH + GWH * GWH.T)
            if dmu is not None:
                fish_e += 2.0 * (DW @ dmu.T)
            fisher += w * (fish_e if gi.p_identity else gi.P @ fish_e @ gi.P.T)
            if hess is None:
                continue
            gramM = VM @ V.T
            GMG = gramM[:n_c, :n_c]
            HMH = gramM[n_c:, n_c:]
            GMH = gramM[:n_c, n_c:]
            X2 = GWH * GMH.T
            hess_e = fish_e.copy()
            hess_e[:n_c, :n_c] -= (2.0 * gi.cc) * (X2 + X2.T + HWH * GMG + GWG * HMH)
            if n_a:
                U = G.T @ M @ G
                C = H @ M @ G
                Bt = B.T.ravel()
                Bij = Bt.take(gi.f_bt_ij)  # [a, b] -> B[j_b, i_a]
                X3 = Bij * C.ravel().take(gi.f_c_ji)  # * C[j_a, i_b]
                Uf = U.ravel()
                t3 = X3 + X3.T + Uf.take(gi.f_u_ii) * Q.ravel().take(gi.f_q_jj)
                hess_e[:n_a, :n_a] += 2.0 * t3
                if gi.n_s:
                    t3s = gi.c_s[None, :] * (
                        Uf.take(gi.f_u_isj) * Bt.take(gi.f_bt_sij)
                        + Uf.take(gi.f_u_isi) * Bt.take(gi.f_bt_sjj)
                    )
                    hess_e[:n_a, n_a:n_c] += 2.0 * t3s
                    hess_e[n_a:n_c, :n_a] += 2.0 * t3s.T
            if dmu is not None and DW is not None and Wd is not None and bm is not None:
                gv = V[:n_c]
                hv = V[n_c:]
                z = np.zeros((n_e, n_e))
                z[:n_c] = gi.cv[:, None] * (
                    (DW @ gv.T).T * (hv @ Wd)[:, None] + (DW @ hv.T).T * (gv @ Wd)[:, None]
                )
                hess_e += 2.0 * (z + z.T)
                if n_a:
                    gwd = G.T @ Wd
                    ai, aj = gi.a_i, gi.a_j
                    Y = gwd[ai][None, :] * Bij * bm[aj][:, None]
                    hess_e[:n_a, :n_a] -= 2.0 * (Y + Y.T)
                    if len(gi.m_i):
                        am = gwd[ai][:, None] * B[gi.aj_c, gi.m_i[None, :]]
                        hess_e[:n_a, n_c:] -= 2.0 * am
                        hess_e[n_c:, :n_a] -= 2.0 * am.T
            hess += w * (hess_e if gi.p_identity else gi.P @ hess_e @ gi.P.T)
        return fisher, hess

    def _derivatives(
        self,
        parts: list[tuple],
        moments: list[GroupMoments],
        weights: list[float],
        *,
        newton: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Gradient, Fisher scoring matrix and (with ``newton``) the Hessian of F."""
        grad, pieces = self._gradient(parts, moments, weights)
        fisher, hess = self._curvature(parts, pieces, weights, newton=newton)
        return grad, fisher, hess

    def logdet_samples(self, moments: list[GroupMoments]) -> list[float] | None:
        """log|S_g| of each group, None when a sample covariance is not positive definite."""
        out = []
        for mo in moments:
            sign, logdet = np.linalg.slogdet(mo.cov)
            if sign <= 0:
                return None
            out.append(float(logdet))
        return out

    def value(self, theta: np.ndarray, moments: list[GroupMoments]) -> float:
        """The discrepancy F (as the engine's ``Objective.value``)."""
        logdet_s = self.logdet_samples(moments)
        if logdet_s is None:
            return float("nan")
        ntot = sum(mo.n for mo in moments)
        weights = [mo.n / ntot for mo in moments]
        f, _ = self._state(theta, moments, self.bases(moments), weights, logdet_s)
        return f

    # ------------------------------------------------------------------ optimiser
    def fit(
        self,
        moments: list[GroupMoments],
        start: np.ndarray,
        *,
        max_iter: int = 200,
        grad_tol: float = 1e-9,
        step_tol: float = 1e-12,
    ) -> FastFit:
        """Newton-Raphson from ``start`` on new sample moments, Fisher scoring as fallback.

        Each iteration takes a full Newton step (exact analytic Hessian) when the Hessian
        is positive definite and the step lowers F by the Armijo rule; otherwise a Fisher
        scoring step with backtracking, as :func:`synergy_stats.structural.estimate.fisher_scoring`.
        The stopping rules are the engine's: converged when the largest absolute gradient
        element of F falls below ``grad_tol`` (or the step falls below ``step_tol`` with a
        gradient below 1e-6). Starting at the full-sample estimates, a bootstrap refit
        typically needs 4 Newton steps where Fisher scoring needs 10.
        """
        logdet_s = self.logdet_samples(moments)
        theta = np.asarray(start, dtype=float).copy()
        if logdet_s is None:
            return FastFit(theta, float("nan"), False, 0, False)
        ntot = sum(mo.n for mo in moments)
        weights = [mo.n / ntot for mo in moments]
        bases = self.bases(moments)
        f, parts = self._state(theta, moments, bases, weights, logdet_s)
        if parts is None:
            return FastFit(theta, f, False, 0, False)
        K = theta.size
        if K == 0:
            return self._done(theta, f, True, 0, parts, bases, logdet_s)
        grad, pieces = self._gradient(parts, moments, weights)
        for it in range(1, max_iter + 1):
            gmax = float(np.max(np.abs(grad)))
            if gmax < grad_tol:
                return self._done(theta, f, True, it - 1, parts, bases, logdet_s)
            fisher, hess = self._curvature(parts, pieces, weights, newton=True)
            moved = None
            if hess is not None:
                # a full Newton step, kept when it is a descent step that lowers F enough
                _, step, flag = _dposv(hess, grad, lower=1)
                slope = float(grad @ step)
                if flag == 0 and np.isfinite(slope) and slope > 0:
                    cand = theta - step
                    fc, pc = self._state(cand, moments, bases, weights, logdet_s)
                    if pc is not None and fc <= f - 1e-4 * slope:
                        moved = (cand, fc, pc, step)
            if moved is None:
                moved = self._scoring_step(
                    theta, f, grad, fisher, moments, bases, weights, logdet_s
                )
            if moved is None:
                ok = gmax < 1e-6
                return self._done(theta, f, ok, it, parts, bases, logdet_s)
            theta, f, parts, step = moved
            grad, pieces = self._gradient(parts, moments, weights)
            if np.max(np.abs(step)) < step_tol:
                ok = float(np.max(np.abs(grad))) < 1e-6
                return self._done(theta, f, ok, it, parts, bases, logdet_s)
        ok = float(np.max(np.abs(grad))) < 1e-6
        return self._done(theta, f, ok, max_iter, parts, bases, logdet_s)

    def _done(
        self,
        theta: np.ndarray,
        f: float,
        converged: bool,
        iterations: int,
        parts: list[tuple],
        bases: list[tuple[np.ndarray, np.ndarray]],
        logdet_s: list[float],
    ) -> FastFit:
        admissible = converged and self._admissible(theta, parts, bases)
        implied = tuple(
            (part[4], part[7][: self.p] if part[7] is not None else None) for part in parts
        )
        return FastFit(theta, f, converged, iterations, admissible, implied, tuple(logdet_s))

    def _scoring_step(
        self,
        theta: np.ndarray,
        f: float,
        grad: np.ndarray,
        fisher: np.ndarray,
        moments: list[GroupMoments],
        bases: list[tuple[np.ndarray, np.ndarray]],
        weights: list[float],
        logdet_s: list[float],
    ) -> tuple[np.ndarray, float, list[tuple], np.ndarray] | None:
        """One Fisher scoring step with backtracking (None when F cannot be lowered)."""
        K = theta.size
        _, step, flag = _dposv(fisher, grad, lower=1)
        if flag != 0:
            step = np.linalg.lstsq(fisher + 1e-8 * np.eye(K), grad, rcond=None)[0]
        slope = float(grad @ step)
        if not np.isfinite(slope) or slope <= 0:
            step = grad.copy()
            slope = float(grad @ step)
        t = 1.0
        while t > 1e-12:
            cand = theta - t * step
            fc, pc = self._state(cand, moments, bases, weights, logdet_s)
            if pc is not None and np.isfinite(fc) and fc <= f - 1e-4 * t * slope:
                return cand, fc, pc, t * step
            t *= 0.5
        return None

    # ------------------------------------------------------------------ checks
    def _admissible(
        self, theta: np.ndarray, parts: list[tuple], bases: list[tuple[np.ndarray, np.ndarray]]
    ) -> bool:
        """Apply lavaan's post-estimation check (``lav_object_post_check``).

        Not admissible: a negative (residual) variance, a covariance matrix of the latent
        variables that is not positive definite, or a residual covariance matrix of the
        observed variables that is not positive definite (an eigenvalue below
        ``-eps^(3/4)``, checked as a failing Cholesky factorisation of the matrix plus
        ``eps^(3/4) I``).
        """
        tol = np.finfo(float).eps ** 0.75
        p = self.p
        for g, part in enumerate(parts):
            gi = self.groups[g]
            S = bases[g][0].copy()
            S[gi.s_i, gi.s_j] = theta[gi.s_k]
            S[gi.s_j, gi.s_i] = theta[gi.s_k]
            if np.any(np.diagonal(S) < 0):
                return False
            Q = part[1]
            if self.n > p:
                lv = Q[p:, p:] + tol * np.eye(self.n - p)
                if _dpotrf(lv, lower=1)[1] != 0:
                    return False
            if _dpotrf(S[:p, :p] + tol * np.eye(p), lower=1)[1] != 0:
                return False
        return True

    def admissible(self, theta: np.ndarray, moments: list[GroupMoments]) -> bool:
        """Apply lavaan's post-estimation check at ``theta`` (fixed-x values from ``moments``)."""
        bases = self.bases(moments)
        parts = []
        for g in range(self.n_groups):
            _, S, _, B = self.matrices(theta, g, bases[g])
            parts.append((B, B @ S @ B.T))
        return self._admissible(theta, parts, bases)

    def implied(
        self, theta: np.ndarray, g: int, base: tuple[np.ndarray, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Implied covariance and mean of the observed variables of group ``g``."""
        _, S, m, B = self.matrices(theta, g, base)
        G = B[: self.p]
        sigma = G @ S @ G.T
        return (sigma + sigma.T) / 2, G @ m


def _flat_indices(
    ai: np.ndarray, aj: np.ndarray, si: np.ndarray, sj: np.ndarray, n: int
) -> dict[str, np.ndarray]:
    """Row-major flat indices of the ``(entry a, entry b)`` gathers in the Hessian.

    ``Bt`` is ``B'`` flattened (so ``Bt[r * n + c] = B[c, r]``); the others are flattened
    as they are.
    """
    a_c, a_r = ai[:, None], ai[None, :]
    j_c, j_r = aj[:, None], aj[None, :]
    return {
        "f_bt_ij": a_c * n + j_r,  # B[j_b, i_a]
        "f_c_ji": j_c * n + a_r,  # C[j_a, i_b]
        "f_u_ii": a_c * n + a_r,  # U[i_a, i_b]
        "f_q_jj": j_c * n + j_r,  # Q[j_a, j_b]
        "f_u_isj": a_c * n + sj[None, :],  # U[i_a, l_b]
        "f_bt_sij": si[None, :] * n + j_c,  # B[j_a, k_b]
        "f_u_isi": a_c * n + si[None, :],  # U[i_a, k_b]
        "f_bt_sjj": sj[None, :] * n + j_c,  # B[j_a, l_b]
    }


def moments_of(x: np.ndarray) -> GroupMoments:
    """ML moments of complete rows ``x`` (n x p), as the engine's ``make_group_data``."""
    n = x.shape[0]
    mean = x.mean(axis=0)
    xc = x - mean
    return GroupMoments(n, mean, (xc.T @ xc) / n)
