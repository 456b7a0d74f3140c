"""The estimation core: a parameter table compiled once, its discrepancy and derivatives.

Every statistic of a maximum-likelihood fit (the discrepancy ``F``, its gradient, the
expected information, the exact Hessian, the casewise scores) is computed here, for
complete data (from the sample moments) and for incomplete data (full-information ML over
the missing-data patterns). :func:`synergy_stats.structural.estimate.minimise` is the one
optimiser on top of it, used by ``sem()``, the bootstrap, invariance and the panels.

Structure used
--------------
A parameter table is compiled once into index arrays of the RAM matrices (the mapping of
:func:`synergy_stats.structural.model.ram_layout`). Every free matrix entry ``e`` changes the
implied covariance by a rank-two term

    dSigma_e = c_e (g_e h_e' + h_e g_e'),

(``g_e = G e_i``, ``h_e = (B S B' F')_j`` for a path ``A_ij``; ``g_e = G e_i``,
``h_e = G e_j`` and ``c_e = 1/2`` on the diagonal, else 1, for ``S_ij``), so that with the
rows ``g_e, h_e`` stacked in ``V`` (``2E x p``) every trace ``tr(dSigma_a X dSigma_b Y)``
is an elementwise product of the Gram matrices ``V X V'`` and ``V Y V'``:

    tr(dSigma_a X dSigma_b Y) = c_a c_b [(VXV')_hg (VYV')_gh + (VXV')_hh (VYV')_gg
                                         + (VXV')_gg (VYV')_hh + (VXV')_gh (VYV')_hg]_ab.

No ``(K, p, p)`` derivative array and no ``p^2 x p^2`` matrix is formed. Under FIML the
inverse of a pattern's observed block, embedded with zeros, is a low-rank update of
``P = Sigma^-1``: ``Q_p = P - Y_p Y_p'`` with ``Y_p = P_{:,m} L_p^-T`` and ``L_p L_p' = P_mm``
(``m`` the pattern's missing variables), so each pattern costs ``O(E^2 (m + n_p))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy.linalg import lapack

from synergy_stats._blas import one_blas_thread, single_threaded
from synergy_stats.errors import EstimationError
from synergy_stats.structural.model import RamLayout, ram_layout
from synergy_stats.structural.partable import ParTable

__all__ = [
    "CompiledModel",
    "GroupMoments",
    "PatternBatch",
    "moments_of",
    "one_blas_thread",
    "pattern_batches",
    "pattern_loglik",
    "single_threaded",
]


_dgesv = lapack.dgesv
_dpotrf = lapack.dpotrf
_dtrtri = lapack.dtrtri


class _Moments(Protocol):
    n: int
    mean: np.ndarray
    cov: np.ndarray


@dataclass(frozen=True)
class GroupMoments:
    """ML sample moments of one group (covariance with divisor N)."""

    n: int
    mean: np.ndarray
    cov: np.ndarray


def moments_of(x: np.ndarray) -> GroupMoments:
    """ML moments of complete rows ``x`` (n x p), as the engine's ``make_group_data``."""
    n = x.shape[0]
    mean = x.mean(axis=0)
    xc = x - mean
    return GroupMoments(n, mean, (xc.T @ xc) / n)


@dataclass(frozen=True)
class PatternBatch:
    """Missing-data patterns of one group with the same number ``m`` of missing variables.

    Attributes
    ----------
    miss : (G, m) int array
        Missing variables of each pattern.
    weight : (G,) array
        ``n_pattern / n_group``.
    y : (N_b, p) array
        The cases of these patterns, zero at their missing positions.
    mask : (N_b, p) array
        1 where observed.
    case_pattern : (N_b,) int array
        Pattern (0..G-1) of each case.
    rows : (N_b,) int array
        Row of each case in the group's data.
    starts : (G,) int array
        First case of each pattern (cases are sorted by pattern).
    """

    miss: np.ndarray
    weight: np.ndarray
    y: np.ndarray
    mask: np.ndarray
    case_pattern: np.ndarray
    rows: np.ndarray
    starts: np.ndarray


def pattern_batches(raw: np.ndarray) -> list[PatternBatch]:
    """Group the rows of ``raw`` (NaN for missing) by missing-data pattern, batched by size."""
    miss = np.isnan(raw)
    return batches_by_pattern(raw, miss, *pattern_index(miss))


def pattern_index(miss: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Each row's missing-data pattern id, and per pattern its count and its missing columns.

    Ids follow the order of the patterns' missingness keys (what :func:`batches_by_pattern`
    expects).
    """
    keys = np.packbits(miss, axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return inverse.ravel(), miss[first].sum(axis=1), [np.flatnonzero(miss[k]) for k in first]


def batches_by_pattern(
    raw: np.ndarray,
    miss: np.ndarray,
    pattern: np.ndarray,
    n_miss: np.ndarray,
    missing: Sequence[np.ndarray],
) -> list[PatternBatch]:
    """The pattern batches of ``raw`` when each row's pattern is already known.

    ``pattern`` gives each row's pattern id, ids numbered in the order of the patterns'
    missingness keys (as ``np.unique`` sorts them; ids without rows are allowed, so a
    resample can use the ids of its full data); ``n_miss[k]`` and ``missing[k]`` are the
    number and the indices of the missing variables of pattern ``k``.
    """
    n = raw.shape[0]
    counts_all = np.bincount(pattern, minlength=len(n_miss))
    order = np.argsort(pattern, kind="stable")
    size_of = n_miss[pattern[order]]
    out = []
    for m in np.unique(size_of):
        present = np.flatnonzero((counts_all > 0) & (n_miss == m))
        sel = order[size_of == m]
        remap = np.full(len(n_miss), -1)
        remap[present] = np.arange(present.size)
        counts = counts_all[present]
        mk = miss[sel]
        out.append(
            PatternBatch(
                miss=np.array([missing[int(k)] for k in present], dtype=np.intp).reshape(
                    present.size, int(m)
                ),
                weight=counts / n,
                y=np.where(mk, 0.0, raw[sel]),
                mask=(~mk).astype(float),
                case_pattern=remap[pattern[sel]],
                rows=sel,
                starts=np.concatenate([[0], np.cumsum(counts)[:-1]]),
            )
        )
    return out


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
    exo_s: np.ndarray
    exo_m: np.ndarray
    c_s: np.ndarray
    P: np.ndarray
    n_a: int
    n_s: int
    n_c: int
    n_e: int
    gh_rows: np.ndarray
    swap: np.ndarray
    cv: np.ndarray
    cc: np.ndarray
    IA0: np.ndarray
    p_identity: bool
    aj_c: np.ndarray
    flat: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class GroupState:
    """Everything one evaluation of one group computes, reused by the derivatives."""

    B: np.ndarray
    Q: np.ndarray  # B S B' (all variables)
    G: np.ndarray
    H: np.ndarray
    sigma: np.ndarray
    W: np.ndarray  # Sigma^-1
    bm: np.ndarray | None  # B m
    d: np.ndarray | None  # complete data: sample mean - mu
    f: float
    cov: np.ndarray | None = None  # complete data: the sample covariance
    # FIML pieces (None for complete data)
    fiml: list[dict[str, Any]] | None = None
    batches: list[PatternBatch] | None = None
    Qbar: np.ndarray | None = None  # sum_p w_p Q_p
    U: list[np.ndarray] | None = None  # casewise u_i per batch
    M: np.ndarray | None = None  # dF/dSigma
    v: np.ndarray | None = None  # -1/2 dF/dmu


class CompiledModel:
    """A parameter table compiled once into index arrays of its RAM matrices.

    Parameters
    ----------
    pt : ParTable
        The parameter table.

    Notes
    -----
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
            lay = ram_layout(pt, g)
            self._layouts.append(lay)
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
            n_c = n_a + n_s
            self.groups.append(
                _GroupIndex(
                    A0=lay.A0,
                    S0=lay.S0,
                    m0=lay.m0,
                    a_i=aa[:, 0],
                    a_j=aa[:, 1],
                    a_k=aa[:, 2],
                    s_i=ss[:, 0],
                    s_j=ss[:, 1],
                    s_k=ss[:, 2],
                    m_i=mm[:, 0],
                    m_k=mm[:, 1],
                    exo_s=lay.exo_s,
                    exo_m=lay.exo_m,
                    c_s=c_s,
                    P=P,
                    n_a=n_a,
                    n_s=n_s,
                    n_c=n_c,
                    n_e=n_c + n_m,
                    gh_rows=np.concatenate([g_rows, h_rows]).astype(int),
                    swap=np.concatenate([np.arange(n_c, 2 * n_c), np.arange(n_c)]),
                    cv=cv,
                    cc=np.outer(cv, cv),
                    IA0=np.eye(self.n) - lay.A0,
                    p_identity=P.shape[0] == P.shape[1] and bool(np.array_equal(P, np.eye(len(P)))),
                    aj_c=aa[:, 1][:, None],
                    flat=_flat_indices(aa[:, 0], aa[:, 1], ss[:, 0], ss[:, 1], self.n),
                )
            )

    # ------------------------------------------------------------------ matrices
    def bases(self, moments: list[Any]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Fixed parts of ``S`` and ``m`` of each group, fixed-x values from ``moments``."""
        return [
            lay.with_exogenous(mo.cov, mo.mean)
            if (gi.exo_s.size or gi.exo_m.size)
            else (gi.S0, gi.m0)
            for gi, lay, mo in zip(self.groups, self._layouts, moments, strict=True)
        ]

    def matrices(
        self, theta: np.ndarray, g: int, base: tuple[np.ndarray, np.ndarray]
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

    def implied(
        self, theta: np.ndarray, g: int, base: tuple[np.ndarray, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Implied covariance and mean of the observed variables of group ``g``."""
        _, S, m, B = self.matrices(theta, g, base)
        G = B[: self.p]
        sigma = G @ S @ G.T
        return (sigma + sigma.T) / 2, G @ m

    # ------------------------------------------------------------------ evaluation
    def evaluate_group(
        self,
        theta: np.ndarray,
        g: int,
        base: tuple[np.ndarray, np.ndarray],
        moments: _Moments,
        logdet_s: float,
        batches: list[PatternBatch] | None,
        *,
        meanstructure: bool,
    ) -> GroupState | None:
        """Discrepancy of group ``g`` and the pieces its derivatives reuse (None: not PD).

        Complete data: ``log|Sigma| + tr(S Sigma^-1) - log|S| - p + d' Sigma^-1 d``.
        FIML (``batches`` given): ``sum_p w_p [log|Sigma_oo| + tr(Sigma_oo^-1 T_p)]`` with
        ``T_p`` the pattern's cross-products about the implied mean.
        """
        gi = self.groups[g]
        p = self.p
        S0, m0 = base
        IA = gi.IA0.copy()
        IA[gi.a_i, gi.a_j] = -theta[gi.a_k]
        S = S0.copy()
        S[gi.s_i, gi.s_j] = theta[gi.s_k]
        S[gi.s_j, gi.s_i] = theta[gi.s_k]
        _, _, B, info = _dgesv(IA, self._eye)
        if info != 0:
            return None
        G = B[:p]
        Q = B @ S @ B.T
        H = Q[:, :p]
        sigma = (H[:p] + H[:p].T) / 2
        L, info = _dpotrf(sigma, lower=1, clean=1)
        if info != 0:
            return None
        Linv, info = _dtrtri(L, lower=1)
        if info != 0:
            return None
        W = Linv.T @ Linv
        logdet = 2.0 * float(np.log(np.diagonal(L)).sum())
        bm = None
        if meanstructure:
            m = m0.copy()
            m[gi.m_i] = theta[gi.m_k]
            bm = B @ m
        if batches is None:
            f = logdet + float(np.vdot(W, moments.cov)) - logdet_s - p
            d = None
            if bm is not None:
                d = moments.mean - bm[:p]
                f += float(d @ W @ d)
            return GroupState(B, Q, G, H, sigma, W, bm, d, f, cov=moments.cov)
        mu = bm[:p] if bm is not None else moments.mean
        return self._fiml_group(B, Q, G, H, sigma, W, bm, mu, logdet, batches)

    def _fiml_group(
        self,
        B: np.ndarray,
        Q: np.ndarray,
        G: np.ndarray,
        H: np.ndarray,
        sigma: np.ndarray,
        P: np.ndarray,
        bm: np.ndarray | None,
        mu: np.ndarray,
        logdet: float,
        batches: list[PatternBatch],
    ) -> GroupState | None:
        out = _pattern_pass(P, logdet, mu, batches)
        if out is None:
            return None
        f, Us, pieces = out
        return GroupState(B, Q, G, H, sigma, P, bm, None, f, fiml=pieces, batches=batches, U=Us)

    # ------------------------------------------------------------------ derivatives
    def _vectors(self, g: int, st: GroupState) -> np.ndarray:
        """``V``: the rows ``g_e`` then ``h_e`` of the covariance-structure entries."""
        gi = self.groups[g]
        HG = np.concatenate([st.H, st.G.T])
        return HG[gi.gh_rows]

    def _mean_derivatives(self, g: int, st: GroupState, V: np.ndarray) -> np.ndarray:
        """``dmu_e`` (one row per free entry)."""
        gi = self.groups[g]
        dmu = np.zeros((gi.n_e, self.p))
        if not (st.bm is not None):
            raise EstimationError("internal: engine state not prepared (st.bm is not None)")
        dmu[: gi.n_a] = V[: gi.n_a] * st.bm[gi.a_j][:, None]
        dmu[gi.n_c :] = st.G[:, gi.m_i].T
        return dmu

    def _aggregate(self, g: int, x: np.ndarray) -> np.ndarray:
        gi = self.groups[g]
        if gi.p_identity:
            return x
        if x.ndim == 1:
            return gi.P @ x
        if x.shape[0] == gi.n_e and x.ndim == 2 and x.shape[1] == gi.n_e:
            return gi.P @ x @ gi.P.T
        return x @ gi.P.T  # (N, n_e) casewise rows

    def gradient_group(self, g: int, st: GroupState) -> np.ndarray:
        """Gradient of the group's discrepancy with respect to the free parameters.

        ``F_e = tr(M dSigma_e) - 2 v' dmu_e`` with ``M = dF/dSigma`` (complete data:
        ``W (Sigma - S - d d') W``) and ``v = W d`` (FIML: ``sum_p w_p Q_p d_p``); for the
        rank-two ``dSigma_e`` the trace is ``2 c_e g_e' M h_e``.
        """
        gi = self.groups[g]
        n_c = gi.n_c
        V = self._vectors(g, st)
        M, v = self._mv(st)
        VM = V @ M
        grad_e = np.zeros(gi.n_e)
        grad_e[:n_c] = 2.0 * gi.cv * (VM[:n_c] * V[n_c:]).sum(axis=1)
        if st.bm is not None and v is not None:
            grad_e -= 2.0 * (self._mean_derivatives(g, st, V) @ v)
        return self._aggregate(g, grad_e)

    @staticmethod
    def _mv(st: GroupState) -> tuple[np.ndarray, np.ndarray | None]:
        """``M = dF/dSigma`` and ``v`` (``dF/dmu = -2 v``), computed once per state."""
        if st.M is None and st.fiml is not None and st.U is not None:
            # M = sum_p w_p (Q_p - R_p) = Qbar - U'U / n, v = sum_i u_i / n
            n_g = sum(u.shape[0] for u in st.U)
            Qbar = st.W.copy()
            for piece in st.fiml:
                Yw = piece["Yw"]
                if Yw is not None:
                    Qbar -= Yw @ Yw.T
            UU = sum(u.T @ u for u in st.U)
            st.Qbar = Qbar
            st.M = Qbar - UU / n_g
            st.v = sum(u.sum(axis=0) for u in st.U) / n_g
        if st.M is None:
            if not (st.cov is not None):
                raise EstimationError("internal: engine state not prepared (st.cov is not None)")
            R = st.sigma - st.cov
            if st.d is not None:
                R = R - np.outer(st.d, st.d)
                st.v = st.W @ st.d
            st.M = st.W @ R @ st.W
        return st.M, st.v

    def expected_group(self, g: int, st: GroupState) -> np.ndarray:
        """Unit expected information of the group at its implied moments.

        ``I_ab = 1/2 tr(W dSigma_a W dSigma_b) + dmu_a' W dmu_b``; under FIML this is the
        complete-data information, used as the optimiser's scoring matrix.
        """
        gi = self.groups[g]
        n_c = gi.n_c
        V = self._vectors(g, st)
        gram = (V @ st.W) @ V.T
        GWG = gram[:n_c, :n_c]
        HWH = gram[n_c:, n_c:]
        GWH = gram[:n_c, n_c:]
        info = np.zeros((gi.n_e, gi.n_e))
        info[:n_c, :n_c] = gi.cc * (GWG * HWH + GWH * GWH.T)
        if st.bm is not None:
            dmu = self._mean_derivatives(g, st, V)
            info += dmu @ st.W @ dmu.T
        return self._aggregate(g, info)

    def hessian_group(self, g: int, st: GroupState) -> np.ndarray:
        """Exact Hessian of the group's discrepancy (twice its observed unit information).

        Notes
        -----
        ``F_ab = sum_p w_p tr(dSigma_a Q_p dSigma_b (2 R_p - Q_p)) + 2 dmu_a' Qbar dmu_b
        + 2 sum_p w_p (u_p' dSigma_a Q_p dmu_b + u_p' dSigma_b Q_p dmu_a)
        + tr(M dSigma_ab) - 2 v' dmu_ab`` with ``R_p = Q_p T_p Q_p``, ``u_p = Q_p d_p``
        (complete data: one pattern, ``Q = W``). Second derivatives of
        ``Sigma = F B S B' F'`` and ``mu = F B m`` follow from ``dB/dA_ij = B E_ij B``.
        """
        gi = self.groups[g]
        n_c, n_e = gi.n_c, gi.n_e
        V = self._vectors(g, st)
        M, v = self._mv(st)
        has_mean = st.bm is not None
        dmu = self._mean_derivatives(g, st, V) if has_mean else None
        hess = np.zeros((n_e, n_e))
        if st.fiml is None:
            W = st.W
            VW = V @ W
            gram = VW @ V.T
            gramM = (V @ M) @ V.T
            # tr(dS_a W dS_b (W - 2M)) = Phi(VWV', VWV') - 2 Phi(VWV', VMV')
            hess[:n_c, :n_c] = _phi(gram, gram - 2.0 * gramM, gi)
            if dmu is not None and v is not None:
                DW = dmu @ W
                hess += 2.0 * (DW @ dmu.T)
                # 2 (u' dS_a W dmu_b) with u = W d = v
                qv = V @ v  # (2E,)
                C = VW @ dmu.T  # (2E, n_e)
                z = gi.cv[:, None] * (qv[gi.swap][:, None] * C)[:n_c]
                z += gi.cv[:, None] * (qv[gi.swap][:, None] * C)[n_c:]
                cross = np.zeros((n_e, n_e))
                cross[:n_c] = z
                hess += 2.0 * (cross + cross.T)
        else:
            hess += self._fiml_hessian(g, st, V, dmu)
        hess += self._second_order(g, st, M, v)
        return self._aggregate(g, hess)

    def _fiml_hessian(
        self, g: int, st: GroupState, V: np.ndarray, dmu: np.ndarray | None
    ) -> np.ndarray:
        """The data part of the FIML Hessian, from low-rank pieces of every pattern.

        Notes
        -----
        With ``Q_p = P - Y_p Y_p'``, ``L_p = V Y_p``, ``A0 = V P V'`` and the casewise
        ``x_i = V u_i``, the pattern sum ``sum_p w_p (V Q_p V') o (2 V R_p V' - V Q_p V')^s``
        (``o`` elementwise, ``^s`` the g/h swap) equals the complete-data form
        ``A0 o (V (P - 2M) V')^s`` minus two sums of rank-one terms: ``2/n sum_i sum_k
        z_ik z_ik'`` with ``z_ik = L_p(i),k o x_i^s`` and ``sum_p w_p sum_kl y_pkl y_pkl'``
        with ``y_pkl = L_p,k o L_p,l^s``, because ``(a a') o (b b') = (a o b)(a o b)'``. The
        four ``n_c x n_c`` blocks are summed (folded) before the products, so every term
        is one matrix product over the missing cells: no per-pattern ``2E x 2E`` matrix.
        """
        gi = self.groups[g]
        n_c, n_e = gi.n_c, gi.n_e
        P = st.W
        M, v = self._mv(st)  # also sets Qbar
        if not (
            st.fiml is not None
            and st.U is not None
            and st.Qbar is not None
            and st.batches is not None
        ):
            raise EstimationError("internal: FIML engine state not prepared")
        sw = gi.swap
        n_g = sum(u.shape[0] for u in st.U)
        VP = V @ P
        A0 = VP @ V.T
        core = _fold(A0 * ((V @ (P - 2.0 * M)) @ V.T)[sw][:, sw], n_c)
        ZZ = np.zeros((n_c, n_c))
        has_mean = dmu is not None and v is not None
        cross = np.zeros((n_c, n_e))
        for piece, u, bi in zip(st.fiml, st.U, st.batches, strict=True):
            Yp = piece["Yp"]
            if Yp is None:
                continue
            G_b, p, m = Yp.shape
            # L_p = V Y_p for every pattern at once: (2E, G*m) -> (G, 2E, m)
            Lp = (V @ Yp.transpose(1, 0, 2).reshape(p, G_b * m)).reshape(2 * n_c, G_b, m)
            Lp = Lp.transpose(1, 0, 2)
            X = u @ V.T  # (N_b, 2E)
            Xs = X[:, sw]
            Lc = Lp[bi.case_pattern]  # (N_b, 2E, m)
            Z = Lc * Xs[:, :, None]
            Zf = (Z[:, :n_c] + Z[:, n_c:]).transpose(0, 2, 1).reshape(-1, n_c)
            ZZ += (2.0 / n_g) * (Zf.T @ Zf)
            # the folded y_pkl = g_k o h_l + h_k o g_l (g, h the two halves of L_p) is
            # symmetric in (k, l): the pairs k < l once with weight 2, k = l once
            ku, lu = np.triu_indices(m)
            Lt = Lp.transpose(0, 2, 1)  # (G, m, 2E)
            Lg = Lt[:, :, :n_c] * np.sqrt(bi.weight)[:, None, None]
            Lh = np.ascontiguousarray(Lt[:, :, n_c:])
            Yf = Lg[:, ku] * Lh[:, lu]  # (G, m(m+1)/2, n_c)
            Yf += Lh[:, ku] * Lg[:, lu]
            Yf[:, ku != lu] *= np.sqrt(2.0)
            Yf = Yf.reshape(-1, n_c)
            ZZ += Yf.T @ Yf
            if has_mean and dmu is not None:
                # sum_p w_p diag(xbar_p^s) L_p Y_p' dmu' = 1/n sum_i diag(x_i^s) L_p(i) K_p(i)
                Kp = np.matmul(Yp.transpose(0, 2, 1), dmu.T[None])  # (G, m, n_e)
                Df = Z[:, :n_c] + Z[:, n_c:]  # (N_b, n_c, m)
                Kc = Kp[bi.case_pattern]  # (N_b, m, n_e)
                Dr = Df.transpose(1, 0, 2).reshape(n_c, -1)
                cross -= (Dr @ Kc.reshape(-1, n_e)) / n_g
        hess = np.zeros((n_e, n_e))
        hess[:n_c, :n_c] = gi.cc * (core - ZZ)
        if has_mean and dmu is not None and v is not None:
            hess += 2.0 * (dmu @ st.Qbar @ dmu.T)
            qv = V @ v
            C0 = VP @ dmu.T
            t = qv[sw][:, None] * C0
            cross += t[:n_c] + t[n_c:]
            cr = np.zeros((n_e, n_e))
            cr[:n_c] = gi.cv[:, None] * cross
            hess += 2.0 * (cr + cr.T)
        return hess

    def _second_order(
        self, g: int, st: GroupState, M: np.ndarray, v: np.ndarray | None
    ) -> np.ndarray:
        """``tr(M dSigma_ab) - 2 v' dmu_ab`` for every pair of free entries.

        With ``Q = B S B'``, ``U = G' M G`` and ``C = Q F' M G`` the trace term is
        ``2 (B_li C_jk + B_jk C_li + U_ki Q_jl)`` for paths ``A_ij``, ``A_kl`` and
        ``2 c_b (U_li B_jk + U_ki B_jl)`` for a path ``A_ij`` and a covariance ``S_kl``.
        """
        gi = self.groups[g]
        n_a, n_c, n_e = gi.n_a, gi.n_c, gi.n_e
        out = np.zeros((n_e, n_e))
        if not n_a:
            return out
        B, Q, G, H = st.B, st.Q, st.G, st.H
        fl = gi.flat
        U = G.T @ M @ G
        C = H @ M @ G
        Bt = B.T.ravel()
        Bij = Bt.take(fl["f_bt_ij"])
        X3 = Bij * C.ravel().take(fl["f_c_ji"])
        Uf = U.ravel()
        t3 = X3 + X3.T + Uf.take(fl["f_u_ii"]) * Q.ravel().take(fl["f_q_jj"])
        out[:n_a, :n_a] += 2.0 * t3
        if gi.n_s:
            t3s = gi.c_s[None, :] * (
                Uf.take(fl["f_u_isj"]) * Bt.take(fl["f_bt_sij"])
                + Uf.take(fl["f_u_isi"]) * Bt.take(fl["f_bt_sjj"])
            )
            out[:n_a, n_a:n_c] += 2.0 * t3s
            out[n_a:n_c, :n_a] += 2.0 * t3s.T
        if st.bm is not None and v is not None:
            gwd = G.T @ v
            ai, aj = gi.a_i, gi.a_j
            Y = gwd[ai][None, :] * Bij * st.bm[aj][:, None]
            out[:n_a, :n_a] -= 2.0 * (Y + Y.T)
            if len(gi.m_i):
                am = gwd[ai][:, None] * B[gi.aj_c, gi.m_i[None, :]]
                out[:n_a, n_c:] -= 2.0 * am
                out[n_c:, :n_a] -= 2.0 * am.T
        return out

    def scores_group(self, g: int, st: GroupState, raw: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """Casewise scores of the log-likelihood (n_g x K), rows in the group's row order.

        ``s_ie = c_e [(g_e' u_i)(h_e' u_i) - g_e' Q_p h_e] + u_i' dmu_e`` with
        ``u_i = Q_p (y_i - mu)``.
        """
        gi = self.groups[g]
        n_c, n_e = gi.n_c, gi.n_e
        V = self._vectors(g, st)
        dmu = self._mean_derivatives(g, st, V) if st.bm is not None else None
        n_g = raw.shape[0]
        out = np.zeros((n_g, n_e))
        if st.fiml is None:
            mu = st.bm[: self.p] if st.bm is not None else mean
            u = (raw - mu) @ st.W
            X = u @ V.T
            diag = np.einsum("ep,pq,eq->e", V[:n_c], st.W, V[n_c:])
            out[:, :n_c] = gi.cv * (X[:, :n_c] * X[:, n_c:] - diag)
            if dmu is not None:
                out += u @ dmu.T
            return self._aggregate(g, out)
        if not (st.U is not None):
            raise EstimationError("internal: engine state not prepared (st.U is not None)")
        VP = V @ st.W
        diag0 = np.einsum("ep,ep->e", VP[:n_c], V[n_c:])
        if not (st.batches is not None):
            raise EstimationError("internal: engine state not prepared (st.batches is not None)")
        for piece, u, bi in zip(st.fiml, st.U, st.batches, strict=True):
            X = u @ V.T
            diag = np.broadcast_to(diag0, (len(bi.starts), n_c))
            Yp = piece["Yp"]
            if Yp is not None:
                L = np.matmul(V[None], Yp)  # (G, 2E, m)
                diag = diag - np.einsum("gem,gem->ge", L[:, :n_c], L[:, n_c:])
            rows = np.zeros((len(bi.rows), n_e))
            rows[:, :n_c] = gi.cv * (X[:, :n_c] * X[:, n_c:] - diag[bi.case_pattern])
            if dmu is not None:
                rows += u @ dmu.T
            out[bi.rows] = rows
        return self._aggregate(g, out)

    # ------------------------------------------------------------------ checks
    def admissible(self, theta: np.ndarray, moments: list[Any]) -> bool:
        """Apply lavaan's post-estimation check (``lav_object_post_check``) at ``theta``.

        Not admissible: a negative (residual) variance, a covariance matrix of the latent
        variables that is not positive definite, or a residual covariance matrix of the
        observed variables that is not positive definite (an eigenvalue below
        ``-eps^(3/4)``, checked as a failing Cholesky factorisation of the matrix plus
        ``eps^(3/4) I``).
        """
        tol = np.finfo(float).eps ** 0.75
        p = self.p
        bases = self.bases(moments)
        for g in range(self.n_groups):
            _, S, _, B = self.matrices(theta, g, bases[g])
            if np.any(np.diagonal(S) < 0):
                return False
            if self.n > p:
                Q = B @ S @ B.T
                lv = Q[p:, p:] + tol * np.eye(self.n - p)
                if _dpotrf(lv, lower=1)[1] != 0:
                    return False
            if _dpotrf(S[:p, :p] + tol * np.eye(p), lower=1)[1] != 0:
                return False
        return True


def _pattern_pass(
    P: np.ndarray, logdet: float, mu: np.ndarray, batches: list[PatternBatch]
) -> tuple[float, list[np.ndarray], list[dict[str, Any]]] | None:
    """FIML discrepancy of one group and its casewise vectors ``u_i = Q_p (y_i - mu)``.

    ``P = Sigma^-1`` with ``logdet = log|Sigma|``; returns
    ``(sum_p w_p [log|Sigma_oo| + tr(Q_p T_p)], [u per batch], [Y_p per batch])`` or None
    when an observed block is not positive definite.
    """
    n_g = sum(len(b.rows) for b in batches)
    f = 0.0
    Us = []
    pieces: list[dict[str, Any]] = []
    for b in batches:
        m = b.miss.shape[1]
        z = (b.y - mu) * b.mask
        u = z @ P
        Yp = Yw = None
        if m:
            idx = b.miss
            Pmm = P[idx[:, :, None], idx[:, None, :]]
            try:
                Lm = np.linalg.cholesky(Pmm)
            except np.linalg.LinAlgError:
                return None
            ld = 2.0 * np.log(np.diagonal(Lm, axis1=1, axis2=2)).sum(axis=1)
            Lmi = np.linalg.inv(Lm)  # (G, m, m) lower
            Yp = np.matmul(P[:, idx].transpose(1, 0, 2), Lmi.transpose(0, 2, 1))  # (G, p, m)
            Yc = Yp[b.case_pattern]  # (N, p, m)
            a = np.matmul(z[:, None, :], Yc)  # (N, 1, m)
            u = u - np.matmul(Yc, a.transpose(0, 2, 1))[:, :, 0]
            Yw = (Yp * np.sqrt(b.weight)[:, None, None]).transpose(1, 0, 2).reshape(P.shape[0], -1)
            f += float(b.weight @ (logdet + ld))
        else:
            f += float(b.weight.sum() * logdet)
        f += float(np.vdot(z, u)) / n_g
        Us.append(u)
        pieces.append({"Yp": Yp, "Yw": Yw})
    return f, Us, pieces


def pattern_loglik(sigma: np.ndarray, mu: np.ndarray, batches: list[PatternBatch]) -> float:
    """Casewise normal log-likelihood of the rows in ``batches`` at ``(sigma, mu)``.

    ``-1/2 sum_i (p_i log 2 pi + log|Sigma_oo| + (y_i - mu_o)' Sigma_oo^-1 (y_i - mu_o))``,
    ``-inf`` when an implied block is not positive definite.
    """
    L, info = _dpotrf(sigma, lower=1, clean=1)
    if info != 0:
        return -np.inf
    Linv, _ = _dtrtri(L, lower=1)
    P = Linv.T @ Linv
    logdet = 2.0 * float(np.log(np.diagonal(L)).sum())
    out = _pattern_pass(P, logdet, mu, batches)
    if out is None:
        return -np.inf
    n_g = sum(len(b.rows) for b in batches)
    n_obs = sum(float(b.mask.sum()) for b in batches)
    return -0.5 * (n_g * out[0] + n_obs * float(np.log(2 * np.pi)))


def _phi(A: np.ndarray, R: np.ndarray, gi: _GroupIndex) -> np.ndarray:
    """``c_a c_b tr(dSigma_a X dSigma_b Y)`` from the Grams ``A = VXV'`` and ``R = VYV'``."""
    sw = gi.swap
    return gi.cc * _fold(A * R[sw][:, sw], gi.n_c)


def _fold(X: np.ndarray, n: int) -> np.ndarray:
    """Sum of the four ``n x n`` blocks of a ``2n x 2n`` matrix."""
    return X[:n, :n] + X[:n, n:] + X[n:, :n] + X[n:, n:]


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
