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

from synergy_stats.sem.partable import ParTable
from synergy_stats.sem.samplestats import GroupData

__all__ = ["GroupMatrices", "RamModel"]


@dataclass
class _Entries:
    rows: np.ndarray  # partable row indices
    i: np.ndarray
    j: np.ndarray
    k: np.ndarray  # 0-based free index, -1 for fixed


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
        pos = {v: i for i, v in enumerate(self.names)}
        self._base: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._entries: list[dict[str, _Entries]] = []
        # entry -> parameter summing matrices (equality-constrained entries share a row)
        self._maps: list[dict[str, np.ndarray | None]] = []
        for g in range(1, partable.n_groups + 1):
            A0 = np.zeros((self.n, self.n))
            S0 = np.zeros((self.n, self.n))
            m0 = np.zeros(self.n)
            ent: dict[str, list[list[int]]] = {"A": [], "S": [], "m": []}
            gd = groups[g - 1]
            for r in partable.rows(g):
                op, lhs, rhs = partable.op[r], partable.lhs[r], partable.rhs[r]
                k = int(partable.free[r]) - 1
                val = partable.value[r]
                if op == "=~":
                    mat, i, j = "A", pos[rhs], pos[lhs]
                elif op == "~":
                    mat, i, j = "A", pos[lhs], pos[rhs]
                elif op == "~~":
                    mat, i, j = "S", pos[lhs], pos[rhs]
                else:
                    mat, i, j = "m", pos[lhs], 0
                if partable.exo[r]:
                    val = gd.cov[i, j] if op == "~~" else gd.mean[i]
                if k < 0:
                    if mat == "A":
                        A0[i, j] = val
                    elif mat == "S":
                        S0[i, j] = S0[j, i] = val
                    else:
                        m0[i] = val
                else:
                    ent[mat].append([r, i, j, k])
            self._base.append((A0, S0, m0))
            maps: dict[str, np.ndarray | None] = {}
            for key, v in ent.items():
                ks = [k for (_, _, _, k) in v]
                if len(set(ks)) == len(ks):
                    maps[key] = None  # one entry per parameter: plain indexing
                    continue
                P = np.zeros((self.npar, len(v)))
                for col, k in enumerate(ks):
                    P[k, col] = 1.0
                maps[key] = P
            self._maps.append(maps)
            self._entries.append(
                {
                    key: _Entries(*(np.array(c, dtype=int) for c in zip(*v, strict=True)))
                    if v
                    else _Entries(*(np.zeros(0, dtype=int) for _ in range(4)))
                    for key, v in ent.items()
                }
            )

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
