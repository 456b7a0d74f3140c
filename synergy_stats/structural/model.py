"""The RAM representation of a model: implied moments and their derivatives.

Every variable of a group (observed first, then latent) sits in one vector ``v`` with

    v = A v + u,   Cov(u) = S,   E(u) = m

so that, with ``B = (I - A)^{-1}`` and ``F`` selecting the observed variables,

    Sigma = F B S B' F',   mu = F B m

(McArdle & McDonald 1984). A loading ``f =~ x`` is ``A[x, f]``, a regression ``y ~ x`` is
``A[y, x]``, a (residual) covariance ``a ~~ b`` is ``S[a, b]`` and an intercept ``y ~ 1`` is
``m[y]``. Derivatives with respect to the free parameters are analytic:

    dSigma/dA_ij = G e_i h_j' + (G e_i h_j')',  G = F B,  h_j = (B S B' F')_j.
    dSigma/dS_ij = G e_i (G e_j)' + G e_j (G e_i)'   (i != j).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synergy_stats.structural.partable import ParTable
from synergy_stats.structural.samplestats import GroupData

__all__ = ["GroupMatrices", "RamLayout", "RamModel", "ram_layout"]


@dataclass
class _Entries:
    i: np.ndarray
    j: np.ndarray
    k: np.ndarray  # 0-based free index


@dataclass(frozen=True)
class RamLayout:
    """Where the parameter-table rows of one group sit in the RAM matrices.

    Attributes
    ----------
    A0, S0, m0 : numpy.ndarray
        Fixed values (zero at free entries and at the fixed-x covariate moments).
    a, s : numpy.ndarray
        Free entries of A and of S (upper or lower triangle as written), rows ``(i, j, k)``
        with ``k`` the 0-based free-parameter index.
    m : numpy.ndarray
        Free entries of m, rows ``(i, k)``.
    exo_s, exo_m : numpy.ndarray
        Positions ``(i, j)`` of the fixed-x covariances and ``i`` of their means, filled
        from each sample's moments.
    """

    A0: np.ndarray
    S0: np.ndarray
    m0: np.ndarray
    a: np.ndarray
    s: np.ndarray
    m: np.ndarray
    exo_s: np.ndarray
    exo_m: np.ndarray

    def with_exogenous(self, cov: np.ndarray, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """S0 and m0 with the fixed-x moments set from a sample's ``cov`` and ``mean``."""
        S0 = self.S0.copy()
        m0 = self.m0.copy()
        if self.exo_s.size:
            i, j = self.exo_s[:, 0], self.exo_s[:, 1]
            S0[i, j] = cov[i, j]
            S0[j, i] = cov[i, j]
        if self.exo_m.size:
            m0[self.exo_m] = mean[self.exo_m]
        return S0, m0


def ram_layout(pt: ParTable, g: int) -> RamLayout:
    """Map the rows of group ``g`` (1-based) of a parameter table onto RAM positions.

    ``=~`` rows are ``A[indicator, factor]``, ``~`` rows ``A[lhs, rhs]``, ``~~`` rows
    ``S[lhs, rhs]`` (symmetric) and ``~1`` rows ``m[lhs]``, over the variables
    ``observed + latent``. The one place this mapping is written: the estimation engine and
    the resampling refits both use it.
    """
    names = list(pt.observed) + list(pt.latent)
    n = len(names)
    pos = {v: i for i, v in enumerate(names)}
    A0 = np.zeros((n, n))
    S0 = np.zeros((n, n))
    m0 = np.zeros(n)
    a: list[tuple[int, int, int]] = []
    s: list[tuple[int, int, int]] = []
    m: list[tuple[int, int]] = []
    exo_s: list[tuple[int, int]] = []
    exo_m: list[int] = []
    for r in pt.rows(g):
        op, lhs, rhs = pt.op[r], pt.lhs[r], pt.rhs[r]
        k = int(pt.free[r]) - 1
        val = float(pt.value[r])
        if op == "=~":
            mat, i, j = "A", pos[rhs], pos[lhs]
        elif op == "~":
            mat, i, j = "A", pos[lhs], pos[rhs]
        elif op == "~~":
            mat, i, j = "S", pos[lhs], pos[rhs]
        else:
            mat, i, j = "m", pos[lhs], 0
        if k >= 0:
            if mat == "A":
                a.append((i, j, k))
            elif mat == "S":
                s.append((i, j, k))
            else:
                m.append((i, k))
        elif bool(pt.exo[r]):
            if mat == "S":
                exo_s.append((i, j))
            else:
                exo_m.append(i)
        elif mat == "A":
            A0[i, j] = val
        elif mat == "S":
            S0[i, j] = S0[j, i] = val
        else:
            m0[i] = val
    return RamLayout(
        A0=A0,
        S0=S0,
        m0=m0,
        a=np.array(a, dtype=int).reshape(-1, 3),
        s=np.array(s, dtype=int).reshape(-1, 3),
        m=np.array(m, dtype=int).reshape(-1, 2),
        exo_s=np.array(exo_s, dtype=int).reshape(-1, 2),
        exo_m=np.array(exo_m, dtype=int),
    )


@dataclass(frozen=True)
class GroupMatrices:
    """The RAM matrices of one group at one parameter vector."""

    A: np.ndarray
    S: np.ndarray
    m: np.ndarray
    B: np.ndarray


class RamModel:
    """Maps a parameter vector to implied moments, group by group.

    Parameters
    ----------
    partable : ParTable
        The parameter table.
    groups : list of GroupData
        Sample statistics, used for the fixed-x covariate moments.
    """

    def __init__(self, partable: ParTable, groups: list[GroupData]) -> None:
        self.pt = partable
        self.observed = list(partable.observed)
        self.latent = list(partable.latent)
        self.names = self.observed + self.latent
        self.p = len(self.observed)
        self.n = len(self.names)
        self.npar = partable.npar
        self.meanstructure = partable.meanstructure
        self._base: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._entries: list[dict[str, _Entries]] = []
        # entry -> parameter summing matrices (equality-constrained entries share a row)
        self._maps: list[dict[str, np.ndarray | None]] = []
        for g in range(1, partable.n_groups + 1):
            lay = ram_layout(partable, g)
            S0, m0 = lay.with_exogenous(groups[g - 1].cov, groups[g - 1].mean)
            self._base.append((lay.A0, S0, m0))
            ent = {
                "A": _Entries(lay.a[:, 0], lay.a[:, 1], lay.a[:, 2]),
                "S": _Entries(lay.s[:, 0], lay.s[:, 1], lay.s[:, 2]),
                "m": _Entries(lay.m[:, 0], np.zeros(len(lay.m), dtype=int), lay.m[:, 1]),
            }
            self._entries.append(ent)
            maps: dict[str, np.ndarray | None] = {}
            for key, e in ent.items():
                if len(set(e.k.tolist())) == len(e.k):
                    maps[key] = None  # one entry per parameter: plain indexing
                    continue
                P = np.zeros((self.npar, len(e.k)))
                P[e.k, np.arange(len(e.k))] = 1.0
                maps[key] = P
            self._maps.append(maps)

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return self.pt.n_groups

    def matrices(self, theta: np.ndarray, g: int) -> GroupMatrices:
        """RAM matrices of group ``g`` (0-based) at ``theta``."""
        A0, S0, m0 = self._base[g]
        e = self._entries[g]
        A = A0.copy()
        S = S0.copy()
        m = m0.copy()
        ea, es, em = e["A"], e["S"], e["m"]
        A[ea.i, ea.j] = theta[ea.k]
        S[es.i, es.j] = theta[es.k]
        S[es.j, es.i] = theta[es.k]
        m[em.i] = theta[em.k]
        B = np.linalg.inv(np.eye(self.n) - A)
        return GroupMatrices(A, S, m, B)

    def implied(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        """Implied covariance and mean of the observed variables of group ``g``."""
        mats = self.matrices(theta, g)
        G = mats.B[: self.p]
        sigma = G @ mats.S @ G.T
        mu = G @ mats.m
        return (sigma + sigma.T) / 2, mu

    def implied_all(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        """Implied covariance and mean of every variable (observed and latent)."""
        mats = self.matrices(theta, g)
        V = mats.B @ mats.S @ mats.B.T
        return (V + V.T) / 2, mats.B @ mats.m

    def jacobian(
        self, theta: np.ndarray, g: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Implied moments of group ``g`` and their derivatives.

        Returns
        -------
        sigma : (p, p) array
        mu : (p,) array
        dsigma : (npar, p, p) array
        dmu : (npar, p) array
        """
        mats = self.matrices(theta, g)
        p = self.p
        G = mats.B[:p]  # p x n
        H = mats.B @ mats.S @ G.T  # n x p
        bm = mats.B @ mats.m
        sigma = H[:p]
        sigma = (sigma + sigma.T) / 2
        mu = G @ mats.m
        K = self.npar
        dsig = np.zeros((K, p * p))
        dmu = np.zeros((K, p))
        e = self._entries[g]
        P = self._maps[g]
        ea = e["A"]
        if ea.k.size:
            outer = G[:, ea.i].T[:, :, None] * H[ea.j][:, None, :]
            outer = outer + outer.transpose(0, 2, 1)
            _scatter(dsig, P["A"], ea.k, outer.reshape(len(ea.k), -1))
            _scatter(dmu, P["A"], ea.k, G[:, ea.i].T * bm[ea.j][:, None])
        es = e["S"]
        if es.k.size:
            gi = G[:, es.i].T
            gj = G[:, es.j].T
            outer = gi[:, :, None] * gj[:, None, :]
            off = (es.i != es.j)[:, None, None]
            outer = outer + np.where(off, outer.transpose(0, 2, 1), 0.0)
            _scatter(dsig, P["S"], es.k, outer.reshape(len(es.k), -1))
        em = e["m"]
        if em.k.size:
            _scatter(dmu, P["m"], em.k, G[:, em.i].T)
        return sigma, mu, dsig.reshape(K, p, p), dmu


def _scatter(target: np.ndarray, P: np.ndarray | None, k: np.ndarray, rows: np.ndarray) -> None:
    """Add ``rows`` (one per matrix entry) to the rows ``k`` of ``target``.

    Entries sharing a parameter (equality constraints) are summed through the 0/1 matrix
    ``P``; without sharing, plain fancy indexing does it with no dense product.
    """
    if P is None:
        target[k] += rows
    else:
        target += P @ rows
