"""Two-level normal likelihood with missing values (FIML), cluster by cluster.

The model is that of :mod:`synergy_stats.multilevel.twolevel`: for respondent i of cluster j,

    y_ij = E u_j + w_ij,   w_ij ~ N(nu_w, Sigma_W),   u_j = (b_j, z_j) ~ N(nu_r, Sigma_B,r),

with ``u_j`` the cluster effects of the both-level variables and the between-only variables
``z_j``, ``E`` placing the both-level effects among the level-1 variables, ``nu_w`` the means
of the within-only variables (zero elsewhere) and ``nu_r`` the means of the between-level
variables. Each respondent has observed level-1 entries ``o_i``, each cluster observed
between-only entries ``z_o``.

Log-likelihood of a cluster (lavaan's ``lav_mvnorm_cluster_missing``: the same likelihood,
computed here in the random-effects form). Condition first on ``z_o``: the remaining
between effects ``u_a`` have mean ``m_a`` and covariance ``C_a`` (the normal regression on
``z_o``). With ``A_i`` the inverse of ``Sigma_W[o_i, o_i]`` embedded in a p x p zero matrix,
``S_j = sum_i A_i``, ``G_j = E' S_j E``, ``r_i = y_i - nu_w - E m_a``, ``h_j = E' sum_i A_i r_i``
and ``K_j = (I + C_a G_j)^-1 C_a`` (the posterior covariance of ``u_a``),

    -2 log L_j = n_obs,j log 2pi + sum_i log|Sigma_W[o_i, o_i]| + log|I + C_a G_j|
                 + sum_i r_i' A_i r_i - h_j' K_j h_j  + (the normal term of z_o)

(matrix determinant lemma and Woodbury on ``blockdiag(Sigma_W[o_i, o_i]) + L C_a L'``).

The gradient comes from Fisher's identity: the derivative of the observed-data
log-likelihood is the posterior expectation of the complete-data score, with ``u_j`` and the
missing entries as the missing data. With the posterior mean ``uhat_j`` and covariance
``K_j`` of the cluster effects and ``a_i = A_i (y_i - nu_w - E uhat_j)``,

    d(-2 log L)/d Sigma_W = sum_i A_i - sum_i a_i a_i' - sum_i A_i E K_j E' A_i,
    d(-2 log L)/d Sigma_B,r = J B^-1 - B^-1 [sum_j (uhat_j - nu_r)(uhat_j - nu_r)' + K_j] B^-1,
    d(-2 log L)/d nu_r = -2 B^-1 sum_j (uhat_j - nu_r),   d(-2 log L)/d nu_w = -2 sum_i a_i

(within-only entries of the last), where ``B = Sigma_B,r``. Everything is vectorised over
respondents (per within-pattern ``A``) and over clusters (per between-only pattern).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from synergy_stats.errors import DataValidationError, EstimationError

__all__ = ["TwoLevelMissingData", "make_twolevel_missing"]

_LOG2PI = float(np.log(2 * np.pi))


def _inv_logdet(m: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Inverse and log-determinant of a symmetric matrix, None unless positive definite."""
    try:
        c = np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        return None
    ci = np.linalg.inv(c)
    return ci.T @ ci, 2.0 * float(np.sum(np.log(np.diag(c))))


@dataclass(frozen=True)
class _ZGroup:
    """Clusters sharing one pattern of observed between-only variables."""

    clusters: np.ndarray  # cluster codes
    z_obs: np.ndarray  # positions (0..q-1) of the observed between-only variables
    z_values: np.ndarray  # (J_c x len(z_obs))


@dataclass(frozen=True, eq=False)
class TwoLevelMissingData:
    """Two-level data with missing values, arranged for :meth:`evaluate`.

    Attributes
    ----------
    names : tuple of str
        Level-1 variables, then the between-only ones.
    within, z : numpy.ndarray
        Positions of the level-1 and of the between-only variables in ``names``.
    between : numpy.ndarray
        Kept empty (as in :class:`~synergy_stats.multilevel.twolevel.TwoLevelData`).
    both : numpy.ndarray
        Positions (among the level-1 variables) of those with a between part.
    n, n_clusters : int
        Respondents and clusters.
    y : numpy.ndarray
        Level-1 values (n x p), NaN where missing.
    codes : numpy.ndarray
        Cluster code of every row.
    zc : numpy.ndarray
        Between-only values per cluster (J x q), NaN where missing.
    cluster_size : numpy.ndarray
        Rows per cluster.
    sizes, size_count : numpy.ndarray
        Distinct cluster sizes and the number of clusters of each (for the approximate
        information the optimiser scores with).
    """

    names: tuple[str, ...]
    within: np.ndarray
    between: np.ndarray
    z: np.ndarray
    both: np.ndarray
    n: int
    n_clusters: int
    y: np.ndarray
    codes: np.ndarray
    zc: np.ndarray
    cluster_size: np.ndarray
    sizes: np.ndarray
    size_count: np.ndarray
    _cache: dict[str, Any]

    @property
    def p(self) -> int:
        """Number of level-1 variables."""
        return len(self.within)

    @property
    def q(self) -> int:
        """Number of between-only variables."""
        return len(self.z)

    @property
    def complete(self) -> bool:
        """Whether no value is missing."""
        return bool(np.isfinite(self.y).all() and np.isfinite(self.zc).all())

    # ------------------------------------------------------------------ fixed structure
    def _setup(self) -> dict[str, Any]:
        c = self._cache
        if c:
            return c
        obs = np.isfinite(self.y)
        pats, pat_id = np.unique(obs, axis=0, return_inverse=True)
        pat_id = np.asarray(pat_id).ravel()
        J, n = self.n_clusters, self.n
        ind = sparse.csr_matrix((np.ones(n), (self.codes, np.arange(n))), shape=(J, n))
        counts = np.zeros((J, len(pats)))
        np.add.at(counts, (self.codes, pat_id), 1.0)
        zobs = np.isfinite(self.zc)
        zpats, zid = np.unique(zobs, axis=0, return_inverse=True)
        zid = np.asarray(zid).ravel()
        groups = []
        for k, zp in enumerate(zpats):
            cl = np.flatnonzero(zid == k)
            zo = np.flatnonzero(zp)
            groups.append(_ZGroup(cl, zo, self.zc[np.ix_(cl, zo)]))
        c.update(
            patterns=pats,
            pat_id=pat_id,
            ind=ind,
            counts=counts,
            n_pat=counts.sum(axis=0),
            y0=np.where(obs, self.y, 0.0),
            obs=obs,
            n_values=float(obs.sum() + zobs.sum()),
            zgroups=groups,
        )
        return c

    # ------------------------------------------------------------------ likelihood
    def evaluate(self, W: np.ndarray, B: np.ndarray, mu: np.ndarray, *, grad: bool = False) -> Any:
        """``-2 log L`` at the two-level moments, and optionally its gradient.

        Parameters
        ----------
        W : numpy.ndarray
            ``Sigma_W`` over the level-1 variables (p x p).
        B : numpy.ndarray
            ``Sigma_B`` over (level-1, between-only) variables; the rows of within-only
            variables are ignored.
        mu : numpy.ndarray
            Total means over (level-1, between-only) variables.
        grad : bool
            Also return the derivatives.

        Returns
        -------
        None or tuple
            None when an implied matrix is not positive definite; otherwise
            ``(m2ll, GW, GB, gmu)`` with ``d(-2 log L) = tr(GW dW) + tr(GB dB) + gmu' dmu``
            (``GW``, ``GB``, ``gmu`` None without ``grad``).
        """
        s = self._setup()
        p, q = self.p, self.q
        both = self.both
        nb = len(both)
        wo = np.setdiff1d(np.arange(p), both)
        pats = s["patterns"]
        nw = np.zeros(p)
        nw[wo] = mu[wo]
        r_idx = np.concatenate([both, p + np.arange(q)]).astype(int)
        Br = B[np.ix_(r_idx, r_idx)]
        nu_r = mu[r_idx]
        # within patterns
        A = np.zeros((len(pats), p, p))
        ld = np.zeros(len(pats))
        for k, pt in enumerate(pats):
            o = np.flatnonzero(pt)
            if not o.size:
                continue
            out = _inv_logdet(W[np.ix_(o, o)])
            if out is None:
                return None
            A[k][np.ix_(o, o)] = out[0]
            ld[k] = out[1]
        pid = s["pat_id"]
        counts = s["counts"]
        ind = s["ind"]
        yc = np.where(s["obs"], s["y0"] - nw, 0.0)
        Arow = A[pid]
        t = np.einsum("nab,nb->na", Arow, yc)
        T = ind @ t  # J x p
        Q0 = ind @ np.sum(yc * t, axis=1)
        S = (counts @ A.reshape(len(pats), p * p)).reshape(-1, p, p)
        total = s["n_values"] * _LOG2PI + float(s["n_pat"] @ ld) + float(Q0.sum())
        J = self.n_clusters
        m = len(r_idx)
        uhat = np.zeros((J, m))
        Kr = np.zeros((J, m, m)) if grad else None
        ehat = np.zeros((J, p))
        for grp in s["zgroups"]:
            cl = grp.clusters
            zo_r = nb + grp.z_obs  # positions in r
            a_idx = np.setdiff1d(np.arange(m), zo_r)
            Jc = len(cl)
            if zo_r.size:
                out = _inv_logdet(Br[np.ix_(zo_r, zo_r)])
                if out is None:
                    return None
                Boo_inv, ld_oo = out
                coef = Br[np.ix_(a_idx, zo_r)] @ Boo_inv
                Ca = Br[np.ix_(a_idx, a_idx)] - coef @ Br[np.ix_(zo_r, a_idx)]
                dz = grp.z_values - nu_r[zo_r]
                ma = nu_r[a_idx] + dz @ coef.T
                total += Jc * ld_oo + float(np.sum((dz @ Boo_inv) * dz))
                uhat[np.ix_(cl, zo_r)] = grp.z_values
            else:
                Ca = Br[np.ix_(a_idx, a_idx)]
                ma = np.broadcast_to(nu_r[a_idx], (Jc, len(a_idx))).copy()
            na = len(a_idx)
            e = np.zeros((Jc, p))
            e[:, both] = ma[:, :nb]
            Sc = S[cl]
            Se = np.einsum("jab,jb->ja", Sc, e)
            Tc = T[cl]
            quad = -2.0 * np.sum(e * Tc, axis=1) + np.sum(e * Se, axis=1)
            if na and nb:
                G = np.zeros((Jc, na, na))
                G[:, :nb, :nb] = Sc[:, both][:, :, both]
                h = np.zeros((Jc, na))
                h[:, :nb] = (Tc - Se)[:, both]
                M = np.eye(na) + np.einsum("ab,jbc->jac", Ca, G)
                sign, ldm = np.linalg.slogdet(M)
                if np.any(sign <= 0):
                    return None
                K = np.linalg.solve(M, np.broadcast_to(Ca, (Jc, na, na)))
                K = (K + K.transpose(0, 2, 1)) / 2
                Kh = np.einsum("jab,jb->ja", K, h)
                quad -= np.sum(h * Kh, axis=1)
                total += float(ldm.sum())
                ua = ma + Kh
            else:
                K = np.broadcast_to(Ca, (Jc, na, na)).copy()
                ua = ma
            total += float(quad.sum())
            uhat[np.ix_(cl, a_idx)] = ua
            ehat[np.ix_(cl, both)] = ua[:, :nb]
            if grad and Kr is not None:
                Kr[np.ix_(cl, a_idx, a_idx)] = K
        if not grad:
            return total, None, None, None
        # between-level gradient (Fisher's identity)
        out = _inv_logdet(Br) if m else (np.zeros((0, 0)), 0.0)
        if out is None:
            return None
        Binv = out[0]
        dev = uhat - nu_r
        if Kr is None:  # pragma: no cover - allocated whenever grad is True
            raise EstimationError("two-level FIML: the gradient's cluster covariances are missing")
        Msum = dev.T @ dev + Kr.sum(axis=0)
        GBr = J * Binv - Binv @ Msum @ Binv
        gnu = -2.0 * Binv @ dev.sum(axis=0)
        # within-level gradient
        a = t - np.einsum("nab,nb->na", Arow, ehat[self.codes])
        EKE = np.zeros((J, p, p))
        EKE[np.ix_(np.arange(J), both, both)] = Kr[:, :nb, :nb]
        X = np.einsum("jk,jab->kab", counts, EKE)
        GW = np.einsum("k,kab->ab", s["n_pat"], A) - a.T @ a - np.einsum("kab,kbc,kcd->ad", A, X, A)
        GW = (GW + GW.T) / 2
        GB = np.zeros_like(B)
        GB[np.ix_(r_idx, r_idx)] = (GBr + GBr.T) / 2
        gmu = np.zeros(len(mu))
        gmu[r_idx] = gnu
        gmu[wo] = -2.0 * a[:, wo].sum(axis=0)
        return total, GW, GB, gmu

    def subset(self, y_idx: list[int], z_idx: list[int]) -> TwoLevelMissingData:
        """The data of some level-1 (``y_idx``) and between-only (``z_idx``, 0-based) variables."""
        both = [i for i, v in enumerate(y_idx) if v in set(self.both.tolist())]
        x = np.column_stack([self.y[:, y_idx], self.zc[self.codes][:, z_idx]])
        names = tuple(self.names[i] for i in y_idx) + tuple(self.names[self.p + i] for i in z_idx)
        return make_twolevel_missing(
            x.reshape(self.n, len(y_idx) + len(z_idx)), self.codes, names, len(y_idx), both
        )


def make_twolevel_missing(
    x: np.ndarray, codes: np.ndarray, names: tuple[str, ...], n_within: int, both: Any
) -> TwoLevelMissingData:
    """Arrange data with missing values (NaN) for two-level FIML.

    Parameters
    ----------
    x : numpy.ndarray
        Rows x ``names``; the first ``n_within`` columns are the level-1 variables, the
        rest between-only (constant within a cluster where observed).
    codes : numpy.ndarray
        0-based cluster code of every row.
    names : tuple of str
        Column names.
    n_within : int
        Number of level-1 variables.
    both : sequence of int
        Positions (among the level-1 variables) of the variables with a between part.

    Returns
    -------
    TwoLevelMissingData

    Raises
    ------
    DataValidationError
        A between-only variable takes different values within a cluster.
    """
    n = x.shape[0]
    uniq, inv = np.unique(codes, return_inverse=True)
    inv = np.asarray(inv).ravel()
    J = len(uniq)
    p = n_within
    y = np.array(x[:, :p], dtype=float)
    zr = np.array(x[:, p:], dtype=float)
    q = zr.shape[1]
    zc = np.full((J, q), np.nan)
    if q:
        obs = np.isfinite(zr)
        sums = np.zeros((J, q))
        cnt = np.zeros((J, q))
        np.add.at(sums, inv, np.where(obs, zr, 0.0))
        np.add.at(cnt, inv, obs.astype(float))
        with np.errstate(invalid="ignore", divide="ignore"):
            zc = np.where(cnt > 0, sums / np.maximum(cnt, 1), np.nan)
        spread = np.where(obs, np.abs(zr - zc[inv]), 0.0).max(axis=0)
        scale = 1 + np.nanmax(np.abs(np.where(obs, zr, 0.0)), axis=0)
        bad = [names[p + i] for i in np.flatnonzero(spread > 1e-8 * scale)]
        if bad:
            raise DataValidationError(
                f"variable(s) {bad} appear only at level 2 but vary within clusters; a "
                "between-only variable must be constant within each cluster (or name it at "
                "level 1 too)"
            )
    sizes_all = np.bincount(inv, minlength=J)
    sizes, size_count = np.unique(sizes_all, return_counts=True)
    return TwoLevelMissingData(
        names=tuple(names),
        within=np.arange(p),
        between=np.array([], dtype=int),
        z=np.arange(p, p + q),
        both=np.array(sorted(both), dtype=int),
        n=n,
        n_clusters=J,
        y=y,
        codes=inv,
        zc=zc,
        cluster_size=sizes_all,
        sizes=sizes,
        size_count=size_count,
        _cache={},
    )
