"""The unrestricted (h1) two-level model of complete data by Newton's method.

The saturated two-level model has free ``Sigma_W`` (p x p), free ``Sigma_B`` over the
level-2 variables and free means. Its ML estimate is the maximum of the likelihood of
:mod:`synergy_stats.multilevel.twolevel` over positive-definite ``Sigma_W`` and positive
*semi*-definite ``Sigma_B``: with few clusters of unequal sizes the likelihood is unbounded
once ``Sigma_B`` may be indefinite (the implied covariance of a size class with a single
cluster can turn singular in a direction its mean deviation does not use), so the
constraint is not optional. lavaan meets it with an EM (``lav_mvnorm_cluster_em_sat``, which
stops when an iteration raises the log-likelihood by less than 1e-4 and is very slow when
the maximum is on the boundary). Here:

* ``Sigma_B = L L'`` with ``L`` lower triangular (the variables ordered by a first estimate
  of their between share, largest first, so that a rank-deficient maximum has zero
  *trailing* columns); ``Sigma_W`` and the means are free;
* Newton steps with the exact analytic Hessian in these coordinates, damped (a multiple of
  the identity added) where it is not positive definite, with a backtracking line search;
* at a boundary maximum (``Sigma_B`` of rank r < its order) the zero columns of ``L`` enter
  the objective quadratically (``f = f* + l' G l``, ``G`` the gradient with respect to
  ``Sigma_B``, positive definite on the null space when the bound is active), so the
  convergence stays quadratic there too.

Derivatives: with ``V = Sigma_B + [Sigma_W / s, 0; 0, 0]``, ``P = V^-1`` and ``C`` the
cross-product sum of the cluster-mean deviations of the clusters of size s, each size adds
``J_s log|V| + tr(P C)`` to ``-2 logL``, with gradient ``J_s P - P C P`` and second
derivative ``-J_s tr(P dV1 P dV2) + tr(dV1 Q dV2 P) + tr(dV1 P dV2 Q)``, ``Q = P C P``; the
means enter through ``C``. The Cholesky map adds ``2 tr(G dL1 dL2')`` to the Hessian.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from synergy_stats.errors import EstimationError

if TYPE_CHECKING:
    from synergy_stats.multilevel.twolevel import TwoLevelData

__all__ = ["H1Solution", "fit_h1"]

_LOG2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class H1Solution:
    """The ML estimate of the unrestricted two-level model.

    Attributes
    ----------
    within_cov : numpy.ndarray
        ``Sigma_W`` (p x p).
    between_cov : numpy.ndarray
        ``Sigma_B`` over (y, z), rows of within-only variables zero.
    mean : numpy.ndarray
        Means over (y, z).
    loglik : float
        Log-likelihood at the estimate.
    converged : bool
        Whether the Newton decrement fell below the tolerance.
    iterations : int
        Newton steps taken.
    boundary : bool
        ``Sigma_B`` is singular at the maximum (its smallest eigenvalue relative to the
        largest below 1e-7): the positive-semidefinite bound is active.
    min_eigenvalue : float
        Smallest eigenvalue of ``Sigma_B`` over the level-2 variables.
    """

    within_cov: np.ndarray
    between_cov: np.ndarray
    mean: np.ndarray
    loglik: float
    converged: bool
    iterations: int
    boundary: bool
    min_eigenvalue: float


def _sym_basis(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of every lower-triangular entry (row-major)."""
    r, c = np.tril_indices(n)
    return r, c


class _Problem:
    """The objective in the coordinates ``(vech Sigma_W, vech L, mu)``."""

    def __init__(self, data: TwoLevelData, between: np.ndarray) -> None:
        self.p = data.p
        self.m = data.p + data.q
        self.N = float(data.n)
        self.J = float(data.n_clusters)
        self.s_pw = data.s_pw
        self.sizes = data.sizes.astype(float)
        self.cnt = data.size_count.astype(float)
        self.tot = np.array(data.size_sum).reshape(len(self.sizes), self.m)
        self.xx = np.array(data.size_xx).reshape(len(self.sizes), self.m, self.m)
        self.b = between  # positions (in y, z) of Sigma_B's rows, in Cholesky order
        self.nb = len(between)
        self.wr, self.wc = _sym_basis(self.p)
        self.lr, self.lc = _sym_basis(self.nb)
        self.nw = len(self.wr)
        self.nl = len(self.lr)
        self.npar = self.nw + self.nl + self.m
        p, m = self.p, self.m
        # Jacobian of ravel(Sigma_W) (embedded in m x m) with respect to vech(Sigma_W)
        jw = np.zeros((m, m, self.nw))
        k = np.arange(self.nw)
        jw[self.wr, self.wc, k] = 1.0
        jw[self.wc, self.wr, k] = 1.0
        self.jw = jw.reshape(m * m, self.nw)
        self.yy = (np.arange(m)[:, None] < p) & (np.arange(m)[None, :] < p)

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        p, m = self.p, self.m
        W = np.zeros((p, p))
        W[self.wr, self.wc] = theta[: self.nw]
        W = W + np.tril(W, -1).T
        L = np.zeros((self.nb, self.nb))
        L[self.lr, self.lc] = theta[self.nw : self.nw + self.nl]
        B = np.zeros((m, m))
        B[np.ix_(self.b, self.b)] = L @ L.T
        mu = theta[self.nw + self.nl :].copy()
        return W, L, B, mu

    def pack(self, W: np.ndarray, L: np.ndarray, mu: np.ndarray) -> np.ndarray:
        return np.concatenate([W[self.wr, self.wc], L[self.lr, self.lc], mu])

    def evaluate(
        self, theta: np.ndarray, *, order: int = 0
    ) -> tuple[float, np.ndarray | None, np.ndarray | None]:
        """``-2 logL`` and, for ``order`` 1 or 2, its gradient and Hessian (inf if not PD)."""
        p, m = self.p, self.m
        W, L, B, mu = self.unpack(theta)
        try:
            cw = np.linalg.cholesky(W)
        except np.linalg.LinAlgError:
            return np.inf, None, None
        V = np.broadcast_to(B, (len(self.sizes), m, m)).copy()
        V[:, :p, :p] += W[None] / self.sizes[:, None, None]
        try:
            cv = np.linalg.cholesky(V)
        except np.linalg.LinAlgError:
            return np.inf, None, None
        if not (np.all(np.isfinite(cw)) and np.all(np.isfinite(cv))):
            return np.inf, None, None
        eye_p, eye_m = np.eye(p), np.eye(m)
        cwi = np.linalg.solve(cw, eye_p)
        Wi = cwi.T @ cwi
        cvi = np.linalg.solve(cv, np.broadcast_to(eye_m, V.shape))
        P = np.swapaxes(cvi, 1, 2) @ cvi
        ldw = 2.0 * float(np.sum(np.log(np.diag(cw))))
        ldv = 2.0 * np.sum(np.log(np.diagonal(cv, axis1=1, axis2=2)), axis=1)
        t = self.tot - self.cnt[:, None] * mu[None]  # sum_j (x_j - mu) per size
        C = (
            self.xx
            - mu[None, :, None] * self.tot[:, None, :]
            - self.tot[:, :, None] * mu[None, None, :]
            + self.cnt[:, None, None] * np.outer(mu, mu)[None]
        )
        NJ = self.N - self.J
        f = NJ * (p * _LOG2PI + ldw) + float(np.sum(Wi * self.s_pw))
        f += float(np.sum(self.cnt * (m * _LOG2PI + ldv + p * np.log(self.sizes))) + np.sum(P * C))
        if order == 0:
            return f, None, None
        Qw = Wi @ self.s_pw @ Wi
        Q = P @ C @ P
        G = self.cnt[:, None, None] * P - Q
        inv_s = 1.0 / self.sizes
        GW = NJ * Wi - Qw + np.einsum("k,kij->ij", inv_s, G[:, :p, :p])
        GB = G.sum(axis=0)
        Pt = np.einsum("kij,kj->ki", P, t)
        gmu = -2.0 * Pt.sum(axis=0)
        GBb = GB[np.ix_(self.b, self.b)]
        g_l = 2.0 * (GBb @ L)[self.lr, self.lc]
        GWl = GW.copy()
        g_w = (GWl + GWl.T - np.diag(np.diag(GWl)))[self.wr, self.wc]
        grad = np.concatenate([g_w, g_l, gmu])
        if order == 1:
            return f, grad, None
        # Hessian in ravel(V) coordinates, weighted per block
        m2 = m * m

        def hvv(w: np.ndarray) -> np.ndarray:
            """sum_k w_k [-J_k (P (x) P) + (P (x) Q) + (Q (x) P)] as (m^2, m^2)."""
            a = np.einsum("k,kij,kab->iajb", -w * self.cnt, P, P)
            a += np.einsum("k,kij,kab->iajb", w, P, Q)
            a += np.einsum("k,kij,kab->iajb", w, Q, P)
            return a.reshape(m2, m2)

        # ravel(A X B) = (A (x) B) ravel(X) for symmetric B; the forms above are those of
        # tr(dV1 A dV2 B) in the (i, a), (j, b) layout: element [(i a), (j b)] = A_ij B_ab.
        H_bb = hvv(np.ones(len(self.sizes)))
        H_wb = hvv(inv_s)
        H_ww = hvv(inv_s**2)
        Hw_term = (
            np.einsum("ij,ab->iajb", -NJ * Wi, Wi)
            + np.einsum("ij,ab->iajb", Wi, Qw)
            + np.einsum("ij,ab->iajb", Qw, Wi)
        ).reshape(p * p, p * p)
        yy = self.yy.ravel()
        H_ww_y = H_ww[np.ix_(yy, yy)]
        H_ww_y += Hw_term
        # Jacobians: W (vech) -> ravel of the yy block; L -> ravel(B) (m x m)
        jw = self.jw.reshape(m, m, self.nw)[:p, :p].reshape(p * p, self.nw)
        Lfull = np.zeros((m, self.nb))
        Lfull[self.b] = L
        jb3 = np.zeros((m, m, self.nl))
        k = np.arange(self.nl)
        rows = self.b[self.lr]
        # dB = e_i L[:, j]' + L[:, j] e_i' for the entry (i, j) of L
        jb3[rows, :, k] += Lfull[:, self.lc].T
        jb3[:, rows, k] += Lfull[:, self.lc]
        jb = jb3.reshape(m2, self.nl)
        Hww = jw.T @ H_ww_y @ jw
        Hwl = jw.T @ H_wb[yy] @ jb
        Hll = jb.T @ H_bb @ jb
        # the Cholesky map's second derivative: 2 delta_{jl} G[k, i]
        same = self.lc[:, None] == self.lc[None, :]
        Hll += 2.0 * same * GBb[self.lr[None, :], self.lr[:, None]]
        # means: d2/dmu2 = 2 sum J_k P_k; cross with V: 2 ravel(P t a' P)
        Hmm = 2.0 * np.einsum("k,kij->ij", self.cnt, P)
        cross_b = 2.0 * np.einsum("ki,kab->iab", Pt, P).reshape(m2, m)
        cross_w = 2.0 * np.einsum("k,ki,kab->iab", inv_s, Pt, P).reshape(m2, m)
        Hwm = jw.T @ cross_w[yy]
        Hlm = jb.T @ cross_b
        H = np.block([[Hww, Hwl, Hwm], [Hwl.T, Hll, Hlm], [Hwm.T, Hlm.T, Hmm]])
        return f, grad, (H + H.T) / 2


def _start(data: TwoLevelData, between: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Moment estimates: pooled within covariance, between covariance of cluster means."""
    p = data.p
    N, J = data.n, data.n_clusters
    cm = data.cluster_means
    sizes = data.cluster_size.astype(float)
    W = data.s_pw / max(N - J, 1)
    mu = cm.mean(axis=0)
    mu[:p] = (sizes @ cm[:, :p]) / N
    dev = cm - mu
    S = dev.T @ dev / J
    B = S.copy()
    B[:p, :p] -= W * float(np.mean(1.0 / sizes))
    Bb = B[np.ix_(between, between)]
    ev, vec = np.linalg.eigh((Bb + Bb.T) / 2)
    floor = 0.05 * max(float(np.trace(S[np.ix_(between, between)])) / max(len(between), 1), 1e-12)
    Bb = (vec * np.maximum(ev, floor)) @ vec.T
    return W, Bb, mu


def fit_h1(
    data: TwoLevelData,
    within_only: np.ndarray,
    *,
    max_iter: int = 200,
    tol: float = 1e-10,
) -> H1Solution:
    """ML estimate of the unrestricted two-level model of complete data (see the module).

    Parameters
    ----------
    data : TwoLevelData
        Complete-data summaries.
    within_only : numpy.ndarray
        Positions (in y, z) of the within-only variables (no between part).
    max_iter : int
        Newton steps at most.
    tol : float
        Convergence when the Newton decrement ``-g' delta`` (the predicted decrease of
        ``-2 logL``, twice over) is below ``tol``.
    """
    m = data.p + data.q
    keep = np.setdiff1d(np.arange(m), within_only)
    W0, Bb0, mu0 = _start(data, keep)
    # Cholesky order: largest share of between variance first
    d = np.diag(Bb0)
    tot = d + np.array([W0[i, i] if i < data.p else 0.0 for i in keep])
    order = np.argsort(-(d / np.where(tot > 0, tot, 1.0)), kind="stable")
    between = keep[order]
    prob = _Problem(data, between)
    L0 = np.linalg.cholesky(Bb0[np.ix_(order, order)])
    theta = prob.pack(W0, L0, mu0)
    f, g, H = prob.evaluate(theta, order=2)
    converged = False
    it = 0
    while it < max_iter:
        if g is None or H is None:
            raise EstimationError("internal: the start of the two-level h1 fit is not PD")
        it += 1
        scale = float(np.max(np.abs(np.diag(H)))) or 1.0
        lam = 0.0
        while True:
            try:
                c = np.linalg.cholesky(H + lam * np.eye(len(theta)))
                break
            except np.linalg.LinAlgError:
                lam = max(10 * lam, 1e-10 * scale)
        step = -np.linalg.solve(c.T, np.linalg.solve(c, g))
        dec = -float(g @ step)
        if dec < tol:
            converged = True
            break
        alpha = 1.0
        for _ in range(60):
            cand = theta + alpha * step
            fc = prob.evaluate(cand)[0]
            if fc <= f - 1e-4 * alpha * dec:
                break
            alpha /= 2
        else:
            break
        theta = cand
        f, g, H = prob.evaluate(theta, order=2)
    W, _, B, mu = prob.unpack(theta)
    Bb = B[np.ix_(keep, keep)]
    ev = np.linalg.eigvalsh(Bb) if len(keep) else np.zeros(1)
    top = float(ev.max()) if ev.size else 0.0
    boundary = bool(ev.size and ev.min() <= 1e-7 * max(top, 1e-300))
    return H1Solution(
        within_cov=W,
        between_cov=B,
        mean=mu,
        loglik=-0.5 * f,
        converged=converged,
        iterations=it,
        boundary=boundary,
        min_eigenvalue=float(ev.min()) if ev.size else 0.0,
    )
