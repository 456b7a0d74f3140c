"""Maximum-likelihood estimation: the discrepancy function, starting values, the optimiser.

Complete data use the normal-theory ML discrepancy (lavaan's ``fmin`` times 2)

    F = sum_g (N_g/N) [log|Sigma_g| + tr(S_g Sigma_g^-1) - log|S_g| - p + d_g' Sigma_g^-1 d_g],

``d_g = ybar_g - mu_g`` (only with a mean structure). Incomplete data use full-information ML
over missing-data patterns. Both are minimised by Fisher scoring with a backtracking line
search; the expected information doubles as the Gauss-Newton Hessian.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synergy_stats.structural.model import RamModel
from synergy_stats.structural.partable import ParTable
from synergy_stats.structural.samplestats import GroupData

__all__ = ["Objective", "OptimResult", "fisher_scoring", "starting_values"]

_LOG2PI = float(np.log(2 * np.pi))


def _chol_inv(sigma: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Inverse and log-determinant of a positive-definite matrix, None when not PD.

    numpy's Cholesky factorisation and triangular inverse (single-threaded for small
    matrices, which matters here: in FIML this runs once per missing-data pattern).
    """
    if not np.all(np.isfinite(sigma)):
        return None
    try:
        L = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return None
    logdet = 2.0 * float(np.sum(np.log(np.diag(L))))
    Linv = np.linalg.inv(L)
    return Linv.T @ Linv, logdet


def _cov_information(inv: np.ndarray, dsig: np.ndarray) -> np.ndarray:
    """``1/2 tr(Sigma^-1 dSigma_k Sigma^-1 dSigma_l)`` for all parameter pairs.

    With ``W_k = Sigma^-1 dSigma_k`` the trace is ``vec(W_k) . vec(W_l')``; both are
    gathered in two matrices so that one matrix product gives every pair.
    """
    K = dsig.shape[0]
    W = np.matmul(inv, dsig)
    pp = inv.shape[0] ** 2
    return 0.5 * (W.reshape(K, pp) @ W.transpose(0, 2, 1).reshape(K, pp).T)


@dataclass(frozen=True)
class _Batch:
    """Missing-data patterns with the same number of missing variables, stacked.

    Arrays are padded to full size: ``mean`` and ``cov`` are zero at the missing positions,
    ``miss`` holds the indices of the missing variables of each pattern.
    """

    miss: np.ndarray  # (G, m) int
    observed: np.ndarray  # (G, p) float 0/1
    weight: np.ndarray  # (G,) n_pattern / n_group
    mean: np.ndarray  # (G, p)
    cov: np.ndarray  # (G, p, p)


def _pattern_batches(gd: GroupData) -> list[_Batch]:
    p = gd.cov.shape[0]
    by_m: dict[int, list] = {}
    for pat in gd.patterns:
        by_m.setdefault(p - len(pat.obs), []).append(pat)
    out = []
    for m, pats in sorted(by_m.items()):
        G = len(pats)
        miss = np.zeros((G, m), dtype=int)
        observed = np.zeros((G, p))
        mean = np.zeros((G, p))
        cov = np.zeros((G, p, p))
        weight = np.zeros(G)
        for i, pat in enumerate(pats):
            o = pat.obs
            miss[i] = np.setdiff1d(np.arange(p), o)
            observed[i, o] = 1.0
            mean[i, o] = pat.mean
            cov[i][pat.grid] = pat.cov
            weight[i] = pat.n / gd.n
        out.append(_Batch(miss, observed, weight, mean, cov))
    return out


def _fiml_group(
    sigma: np.ndarray, mu: np.ndarray, batches: list[_Batch], *, gradient: bool
) -> tuple[float, np.ndarray, np.ndarray] | None:
    """FIML discrepancy of one group and its derivative with respect to (Sigma, mu).

    Returns ``f = sum_p w_p [log|S_oo| + tr(S_oo^-1 C_p) + d_p' S_oo^-1 d_p]`` and, with
    ``gradient``, ``M = sum_p w_p (Q_p - Q_p C_p Q_p - Q_p d_p d_p' Q_p)`` and
    ``v = sum_p w_p Q_p d_p`` (so that ``dF = tr(M dSigma) - 2 v' dmu``), or None when
    Sigma is not positive definite.

    Notes
    -----
    ``Q_p`` is the inverse of the observed block embedded with zeros, obtained for all
    patterns at once from ``P = Sigma^-1`` as ``Q_p = P - P_:m (P_mm)^-1 P_m:`` (m the
    missing variables), and ``log|Sigma_oo| = log|Sigma| + log|P_mm|``.
    """
    res = _chol_inv(sigma)
    if res is None:
        return None
    P, logdet = res
    p = P.shape[0]
    f = 0.0
    M = np.zeros((p, p))
    v = np.zeros(p)
    for b in batches:
        if b.miss.shape[1] == 0:
            Q = np.broadcast_to(P, (len(b.weight), p, p))
            logdet_o = np.full(len(b.weight), logdet)
        else:
            idx = b.miss
            Pm = P[idx]  # (G, m, p)
            Pmm = np.take_along_axis(Pm, idx[:, None, :], axis=2)  # (G, m, m)
            sign, ld = np.linalg.slogdet(Pmm)
            if np.any(sign <= 0):
                return None
            X = np.linalg.solve(Pmm, Pm)
            Q = P[None] - np.matmul(Pm.transpose(0, 2, 1), X)
            logdet_o = logdet + ld
        d = (b.mean - mu[None]) * b.observed
        Qd = np.einsum("gij,gj->gi", Q, d)
        trace = np.einsum("gij,gji->g", Q, b.cov)
        f += float(b.weight @ (logdet_o + trace + np.einsum("gi,gi->g", d, Qd)))
        if gradient:
            QCQ = np.matmul(np.matmul(Q, b.cov), Q)
            M += np.einsum("g,gij->ij", b.weight, Q - QCQ - Qd[:, :, None] * Qd[:, None, :])
            v += b.weight @ Qd
    return f, M, v


class Objective:
    """The ML discrepancy of a model on its data, with gradient and expected information.

    Parameters
    ----------
    model : RamModel
        Implied moments as functions of the free parameters.
    groups : list of GroupData
        Data of each group.
    fiml : bool
        Use the casewise (pattern) likelihood.
    """

    def __init__(self, model: RamModel, groups: list[GroupData], *, fiml: bool) -> None:
        self.model = model
        self.groups = groups
        self.fiml = fiml
        self.ntotal = sum(g.n for g in groups)
        self.weights = [g.n / self.ntotal for g in groups]
        self.meanstructure = model.meanstructure or fiml
        self._logdet_s = []
        for gd in groups:
            res = _chol_inv(gd.cov)
            self._logdet_s.append(res[1] if res is not None else np.nan)
        self._batches = [_pattern_batches(gd) for gd in groups] if fiml else []

    # -- value -----------------------------------------------------------------------
    def value(self, theta: np.ndarray) -> float:
        """The discrepancy F at ``theta`` (``inf`` where an implied matrix is not PD)."""
        total = 0.0
        for g, gd in enumerate(self.groups):
            sigma, mu = self.model.implied(theta, g)
            if self.fiml:
                out = _fiml_group(sigma, mu, self._batches[g], gradient=False)
                if out is None:
                    return np.inf
                total += self.weights[g] * out[0]
            else:
                res = _chol_inv(sigma)
                if res is None:
                    return np.inf
                inv, logdet = res
                f = logdet + np.sum(inv * gd.cov) - self._logdet_s[g] - self.model.p
                if self.model.meanstructure:
                    d = gd.mean - mu
                    f += d @ inv @ d
                total += self.weights[g] * f
        return float(total)

    # -- value, gradient, information -------------------------------------------------
    def derivatives(
        self, theta: np.ndarray, *, info: bool = True
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """F, its gradient, and the expected information per observation.

        The information returned is ``sum_g w_g I_g`` with the unit Fisher information
        ``I_g[k,l] = 1/2 tr(Sigma^-1 dSigma_k Sigma^-1 dSigma_l) + dmu_k' Sigma^-1 dmu_l``,
        so that the expected Hessian of F is twice it. Under FIML the complete-data
        information at the implied moments is returned: it serves as the scoring matrix of
        the optimiser (standard errors use the observed information). With
        ``info=False`` an empty matrix is returned and the work skipped.
        """
        K = self.model.npar
        grad = np.zeros(K)
        information = np.zeros((K, K) if info else (0, 0))
        total = 0.0
        for g, gd in enumerate(self.groups):
            sigma, mu, dsig, dmu = self.model.jacobian(theta, g)
            w = self.weights[g]
            p = sigma.shape[0]
            if self.fiml:
                out = _fiml_group(sigma, mu, self._batches[g], gradient=True)
                if out is None:
                    return np.inf, grad, information
                f, M, v = out
                total += w * f
                grad += w * (dsig.reshape(K, p * p) @ M.ravel() - 2 * dmu @ v)
                if info:
                    res = _chol_inv(sigma)
                    if res is None:
                        return np.inf, grad, information
                    inv = res[0]
                    information += w * (_cov_information(inv, dsig) + dmu @ inv @ dmu.T)
                continue
            res = _chol_inv(sigma)
            if res is None:
                return np.inf, grad, information
            inv, logdet = res
            f = logdet + np.sum(inv * gd.cov) - self._logdet_s[g] - self.model.p
            R = sigma - gd.cov
            if self.model.meanstructure:
                d = gd.mean - mu
                f += d @ inv @ d
                R = R - np.outer(d, d)
                grad += w * (-2 * dmu @ (inv @ d))
                if info:
                    information += w * (dmu @ inv @ dmu.T)
            M = inv @ R @ inv
            grad += w * (dsig.reshape(K, p * p) @ M.ravel())
            if info:
                information += w * _cov_information(inv, dsig)
            total += w * f
        return float(total), grad, information

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """Gradient of F."""
        return self.derivatives(theta, info=False)[1]

    # -- log-likelihood ---------------------------------------------------------------
    def loglik(self, theta: np.ndarray) -> float:
        """Normal log-likelihood of the data at ``theta`` (summed over groups)."""
        total = 0.0
        for g, gd in enumerate(self.groups):
            sigma, mu = self.model.implied(theta, g)
            if not self.meanstructure:
                mu = gd.mean
            total += _loglik_group(gd, sigma, mu, fiml=self.fiml)
        return total


def _loglik_group(gd: GroupData, sigma: np.ndarray, mu: np.ndarray, *, fiml: bool) -> float:
    if fiml:
        ll = 0.0
        for pat in gd.patterns:
            o = pat.obs
            res = _chol_inv(sigma[pat.grid])
            if res is None:
                return -np.inf
            inv, logdet = res
            d = pat.mean - mu[o]
            ll += -0.5 * pat.n * (len(o) * _LOG2PI + logdet + np.sum(inv * pat.cov) + d @ inv @ d)
        return float(ll)
    res = _chol_inv(sigma)
    if res is None:
        return -np.inf
    inv, logdet = res
    d = gd.mean - mu
    p = len(mu)
    return float(-0.5 * gd.n * (p * _LOG2PI + logdet + np.sum(inv * gd.cov) + d @ inv @ d))


def saturated_loglik(gd: GroupData, *, fiml: bool) -> float:
    """Log-likelihood of the unrestricted (h1) model of one group."""
    return _loglik_group(gd, gd.cov, gd.mean, fiml=fiml)


@dataclass(frozen=True)
class OptimResult:
    """Outcome of one optimisation."""

    theta: np.ndarray
    fmin: float
    grad_max: float
    iterations: int
    converged: bool
    message: str


def fisher_scoring(
    objective: Objective,
    start: np.ndarray,
    *,
    max_iter: int = 500,
    grad_tol: float = 1e-9,
    step_tol: float = 1e-12,
) -> OptimResult:
    """Minimise the discrepancy by Fisher scoring with backtracking.

    Parameters
    ----------
    objective : Objective
    start : numpy.ndarray
        Starting parameter vector.
    max_iter : int
        Iteration limit.
    grad_tol : float
        Converged when the largest absolute gradient element falls below this.
    step_tol : float
        Converged when the largest step falls below this (and the gradient is small).

    Returns
    -------
    OptimResult
    """
    theta = np.asarray(start, dtype=float).copy()
    f, grad, info = objective.derivatives(theta)
    if not np.isfinite(f):
        return OptimResult(theta, f, np.inf, 0, False, "starting values give a non-PD matrix")
    K = theta.size
    ridge = 0.0
    for it in range(1, max_iter + 1):
        gmax = float(np.max(np.abs(grad))) if K else 0.0
        if gmax < grad_tol:
            return OptimResult(theta, f, gmax, it - 1, True, "gradient below tolerance")
        H = 2.0 * info
        try:
            step = np.linalg.solve(H + ridge * np.eye(K), grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H + 1e-8 * np.eye(K), grad, rcond=None)[0]
        slope = float(grad @ step)
        if not np.isfinite(slope) or slope <= 0:
            step = grad.copy()  # fall back to steepest descent
            slope = float(grad @ step)
        t = 1.0
        accepted = False
        while t > 1e-12:
            cand = theta - t * step
            fc = objective.value(cand)
            if np.isfinite(fc) and fc <= f - 1e-4 * t * slope:
                accepted = True
                break
            t *= 0.5
        if not accepted:
            gmax = float(np.max(np.abs(grad)))
            ok = gmax < 1e-6
            return OptimResult(theta, f, gmax, it, ok, "line search could not improve")
        theta = cand
        if np.max(np.abs(t * step)) < step_tol:
            f, grad, info = objective.derivatives(theta)
            gmax = float(np.max(np.abs(grad)))
            return OptimResult(theta, f, gmax, it, gmax < 1e-6, "step below tolerance")
        f, grad, info = objective.derivatives(theta)
    gmax = float(np.max(np.abs(grad)))
    return OptimResult(theta, f, gmax, max_iter, gmax < 1e-6, "iteration limit reached")


def starting_values(pt: ParTable, groups: list[GroupData], *, simple: bool = False) -> np.ndarray:
    """Starting values for the free parameters.

    By default a FABIN-like rule: a latent variable's variance is started from triads of its
    marker indicator's covariances, loadings as covariance with the marker over that
    variance, residual variances as what the factor leaves unexplained (at least 10% of the
    observed variance); regressions at 0, intercepts at sample means. ``simple=True`` gives
    lavaan's "simple" starts (loadings 1, residual variances half the observed variance,
    latent variances 0.05), used for a restart. User ``start()`` values always win.
    """
    K = pt.npar
    theta = np.full(K, np.nan)
    obs_pos = {v: i for i, v in enumerate(pt.observed)}
    for g in range(1, pt.n_groups + 1):
        gd = groups[g - 1]
        S = gd.cov
        rows = pt.rows(g)
        # indicators per latent
        loads: dict[str, list[int]] = {}
        for r in rows:
            if pt.op[r] == "=~":
                loads.setdefault(pt.lhs[r], []).append(r)
        lv_var: dict[str, float] = {}
        lam: dict[int, float] = {}
        for f, rs in loads.items():
            obs_rows = [r for r in rs if pt.rhs[r] in obs_pos]
            if simple or not obs_rows:
                if simple:
                    lv_var[f] = 0.05
                for r in rs:
                    lam[r] = 1.0
                continue
            marker = next((r for r in obs_rows if pt.free[r] == 0 and pt.value[r] != 0), None)
            scale_by_var = marker is None
            if marker is None:
                marker = obs_rows[0]
            m = obs_pos[pt.rhs[marker]]
            others = [obs_pos[pt.rhs[r]] for r in obs_rows if r != marker]
            est = []
            for a_i, a in enumerate(others):
                for b in others[a_i + 1 :]:
                    if abs(S[a, b]) > 1e-12:
                        est.append(S[m, a] * S[m, b] / S[a, b])
            smm = S[m, m]
            psi = float(np.median(est)) if est else 0.5 * smm
            psi = float(np.clip(psi, 0.05 * smm, 0.95 * smm))
            if scale_by_var:
                # std_lv-style: variance 1, loadings in sd units of the factor
                sd = np.sqrt(psi)
                for r in obs_rows:
                    lam[r] = S[obs_pos[pt.rhs[r]], m] / sd if r != marker else sd
                lv_var[f] = 1.0
            else:
                for r in obs_rows:
                    lam[r] = S[obs_pos[pt.rhs[r]], m] / psi if r != marker else 1.0
                lv_var[f] = psi
            for r in rs:
                if r not in lam:
                    lam[r] = 1.0
        for f, rs in loads.items():
            if f not in lv_var:  # higher-order factor: half its components' variance
                comps = [lv_var[pt.rhs[r]] for r in rs if pt.rhs[r] in lv_var]
                lv_var[f] = 0.5 * float(np.mean(comps)) if comps else 1.0
        explained = np.zeros(len(pt.observed))
        for r, val in lam.items():
            if pt.rhs[r] in obs_pos:
                explained[obs_pos[pt.rhs[r]]] += val * val * lv_var.get(pt.lhs[r], 1.0)
        for r in rows:
            k = int(pt.free[r]) - 1
            if k < 0 or not np.isnan(theta[k]):
                continue
            if not np.isnan(pt.value[r]):
                theta[k] = pt.value[r]
                continue
            op, lhs, rhs = pt.op[r], pt.lhs[r], pt.rhs[r]
            if op == "=~":
                val = lam.get(r, 1.0)
            elif op == "~":
                val = 0.0
            elif op == "~1":
                val = gd.mean[obs_pos[lhs]] if lhs in obs_pos else 0.0
            elif lhs == rhs:
                if lhs in obs_pos:
                    s = S[obs_pos[lhs], obs_pos[lhs]]
                    if simple:
                        val = 0.5 * s
                    else:
                        val = max(s - explained[obs_pos[lhs]], 0.1 * s)
                        if explained[obs_pos[lhs]] == 0:
                            val = s if not _is_indicator(pt, lhs) else 0.5 * s
                else:
                    val = lv_var.get(lhs, 0.05 if simple else _lv_var_guess(pt, lhs, lv_var))
            else:
                val = 0.0  # covariances start at 0
            theta[k] = val
    return np.nan_to_num(theta, nan=0.0)


def _is_indicator(pt: ParTable, v: str) -> bool:
    return any(op == "=~" and rhs == v for op, rhs in zip(pt.op, pt.rhs, strict=True))


def _lv_var_guess(pt: ParTable, v: str, lv_var: dict[str, float]) -> float:
    """A latent variable without observed indicators: take its components' variance scale."""
    comps = [pt.rhs[r] for r in range(len(pt)) if pt.op[r] == "=~" and pt.lhs[r] == v]
    vals = [lv_var[c] for c in comps if c in lv_var]
    return 0.5 * float(np.mean(vals)) if vals else 0.05
