"""Two-level SEM by maximum likelihood, as lavaan 0.6 (``level: 1`` / ``level: 2`` blocks).

Each respondent i of cluster j has level-1 variables ``y_ij`` (those named in ``level: 1``),
each cluster its between-only variables ``z_j`` (named only in ``level: 2``):

    y_ij = mu_y + b_j + w_ij,   Cov(w) = Sigma_W,   Cov(b_j, z_j) = Sigma_B,

with ``Sigma_W`` implied by the level-1 model and ``Sigma_B`` (over the both-level and
between-only variables) by the level-2 model, both RAM models
(:mod:`synergy_stats.structural.model`) sharing one parameter vector (labels equal across
levels give one parameter). Within-only variables (named only at level 1) have no between
part; their means sit at level 1. The intercepts of both-level variables sit at level 2.

With the within-cluster sum of squares ``S_PW = sum_j sum_i (y_ij - ybar_j)(y_ij - ybar_j)'``
and, for the clusters of size s, ``d_j = (ybar_j - mu_y, z_j - mu_z)`` and

    V_s = [[Sigma_B,yy + Sigma_W / s, Sigma_B,yz], [Sigma_B,zy, Sigma_B,zz]],

the log-likelihood is (lavaan's ``lav_mvnorm_cluster_loglik_samplestats_2l``)

    -2 logL = (N - J) [p log 2pi + log|Sigma_W|] + tr(Sigma_W^-1 S_PW)
              + sum_s { J_s [(p + q) log 2pi + log|V_s| + p log s] + tr(V_s^-1 sum_j d_j d_j') }.

It is minimised by Fisher scoring with the exact expected information; standard errors come
from the observed information (lavaan's default for two-level models). The unrestricted
(h1) model is the same likelihood with free ``Sigma_W``, ``Sigma_B`` and means; it gives the
chi-square, the fixed-x covariate moments, SRMR within/between and the item ICCs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import optimize, stats

from synergy_stats.errors import (
    ClusterWarning,
    ConvergenceError,
    DataValidationError,
    EstimationError,
    IdentificationError,
    OptionError,
    SpecificationError,
    SynergyWarning,
)
from synergy_stats.multilevel.cluster import ClusterInfo
from synergy_stats.multilevel.twolevel_missing import TwoLevelMissingData, make_twolevel_missing
from synergy_stats.structural import fit as fitidx
from synergy_stats.structural.estimate import _chol_inv, minimise
from synergy_stats.structural.estimate import starting_values as _starting_values
from synergy_stats.structural.model import RamModel
from synergy_stats.structural.partable import ParTable, build_partable
from synergy_stats.structural.results import ESTIMATE_COLUMNS, FitOptions, SEMResult
from synergy_stats.structural.samplestats import GroupData
from synergy_stats.structural.spec import ModelSpec, Statement

__all__ = ["TwoLevelData", "TwoLevelObjective", "TwoLevelResult", "fit_twolevel", "saturated"]

_LOG2PI = float(np.log(2 * np.pi))


def _cov_information(inv: np.ndarray, dsig: np.ndarray) -> np.ndarray:
    """``1/2 tr(Sigma^-1 dSigma_k Sigma^-1 dSigma_l)`` for all parameter pairs."""
    K = dsig.shape[0]
    W = np.matmul(inv, dsig)
    pp = inv.shape[0] ** 2
    return 0.5 * (W.reshape(K, pp) @ W.transpose(0, 2, 1).reshape(K, pp).T)


class WithinOnlyWarning(SynergyWarning):
    """A variable named at level 2 has no between-cluster variance: treated as within-only."""


# ----------------------------------------------------------------------------- data
@dataclass(frozen=True)
class TwoLevelData:
    """Cluster-level summaries of complete two-level data.

    Attributes
    ----------
    names : tuple of str
        All observed variables (level-1 variables first, then between-only ones).
    within : numpy.ndarray
        Positions (in ``names``) of the level-1 variables ``y``.
    between : numpy.ndarray
        Positions of the level-2 variables (both-level and between-only).
    z : numpy.ndarray
        Positions of the between-only variables.
    n, n_clusters : int
        Rows and clusters.
    s_pw : numpy.ndarray
        Pooled within-cluster sum of squares of ``y`` (not divided).
    sizes : numpy.ndarray
        Distinct cluster sizes.
    size_count : numpy.ndarray
        Clusters of each size.
    size_sum, size_xx : list of numpy.ndarray
        Per size, the sum and the cross-product sum of ``(ybar_j, z_j)``.
    cluster_size : numpy.ndarray
        Size of every cluster.
    cluster_means : numpy.ndarray
        ``(ybar_j, z_j)`` of every cluster (J x (p + q)).
    """

    names: tuple[str, ...]
    within: np.ndarray
    between: np.ndarray
    z: np.ndarray
    n: int
    n_clusters: int
    s_pw: np.ndarray
    sizes: np.ndarray
    size_count: np.ndarray
    size_sum: list[np.ndarray]
    size_xx: list[np.ndarray]
    cluster_size: np.ndarray
    cluster_means: np.ndarray

    @property
    def p(self) -> int:
        """Number of level-1 variables."""
        return len(self.within)

    @property
    def q(self) -> int:
        """Number of between-only variables."""
        return len(self.z)


def make_twolevel_data(
    x: np.ndarray, codes: np.ndarray, names: tuple[str, ...], n_within: int
) -> TwoLevelData:
    """Summaries of complete data ``x`` (rows x names; the first ``n_within`` are level 1)."""
    n = x.shape[0]
    uniq, inv = np.unique(codes, return_inverse=True)
    J = len(uniq)
    counts = np.bincount(inv, minlength=J).astype(float)
    sums = np.zeros((J, x.shape[1]))
    np.add.at(sums, inv, x)
    means = sums / counts[:, None]
    p = n_within
    y = x[:, :p]
    dev = y - means[inv, :p]
    s_pw = dev.T @ dev
    zpos = np.arange(p, x.shape[1])
    if zpos.size:
        spread = np.abs(x[:, p:] - means[inv, p:]).max(axis=0)
        bad = [names[p + i] for i in np.flatnonzero(spread > 1e-8 * (1 + np.abs(x[:, p:]).max()))]
        if bad:
            raise DataValidationError(
                f"variable(s) {bad} appear only at level 2 but vary within clusters; a "
                "between-only variable must be constant within each cluster (or name it at "
                "level 1 too)"
            )
    cm = means  # (ybar_j, z_j)
    sizes, size_idx = np.unique(counts.astype(int), return_inverse=True)
    size_sum = []
    size_xx = []
    size_count = np.bincount(size_idx, minlength=len(sizes))
    for k in range(len(sizes)):
        d = cm[size_idx == k]
        size_sum.append(d.sum(axis=0))
        size_xx.append(d.T @ d)
    return TwoLevelData(
        names=names,
        within=np.arange(p),
        between=np.array([], dtype=int),
        z=zpos,
        n=n,
        n_clusters=J,
        s_pw=s_pw,
        sizes=sizes,
        size_count=size_count,
        size_sum=size_sum,
        size_xx=size_xx,
        cluster_size=counts.astype(int),
        cluster_means=cm,
    )


# ----------------------------------------------------------------------------- objective
class TwoLevelObjective:
    """The two-level ML discrepancy ``F = -2 logL / N``, its gradient and expected information.

    Parameters
    ----------
    model : RamModel
        A two-"group" RAM model: group 0 is level 1 (implies Sigma_W, mu_W), group 1 is
        level 2 (Sigma_B, mu_B), both over all observed variables of ``data.names``.
    data : TwoLevelData
    """

    fiml = False
    meanstructure = True

    def __init__(self, model: RamModel, data: TwoLevelData, groups: list[GroupData]) -> None:
        self.model = model
        self.data = data
        self.groups = groups
        self.ntotal = data.n
        self.weights = [1.0, 0.0]
        p, q = data.p, data.q
        self._y = data.within
        self._yz = np.concatenate([data.within, data.z])
        self._p, self._q = p, q

    # implied two-level moments
    def moments(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``Sigma_W`` (p x p), ``Sigma_B`` over (y, z), ``mu`` over (y, z)."""
        sw, mw = self.model.implied(theta, 0)
        sb, mb = self.model.implied(theta, 1)
        y, yz = self._y, self._yz
        W = sw[np.ix_(y, y)]
        B = sb[np.ix_(yz, yz)]
        mu = mb[yz].copy()
        mu[: self._p] += mw[y]
        return W, B, mu

    def _parts(self, W: np.ndarray, B: np.ndarray, mu: np.ndarray, *, grad: bool) -> Any:
        d = self.data
        p = self._p
        N, J = d.n, d.n_clusters
        rw = _chol_inv(W)
        if rw is None:
            return None
        Winv, ldw = rw
        f = (N - J) * (p * _LOG2PI + ldw) + float(np.sum(Winv * d.s_pw))
        GW = (N - J) * Winv - Winv @ d.s_pw @ Winv if grad else None
        GB = np.zeros_like(B) if grad else None
        gmu = np.zeros(len(mu)) if grad else None
        Vinvs = []
        m = len(mu)
        for k, s in enumerate(d.sizes):
            V = B.copy()
            V[:p, :p] += W / s
            rv = _chol_inv(V)
            if rv is None:
                return None
            Vinv, ldv = rv
            Js = d.size_count[k]
            tot = d.size_sum[k]
            C = d.size_xx[k] - np.outer(mu, tot) - np.outer(tot, mu) + Js * np.outer(mu, mu)
            f += Js * (m * _LOG2PI + ldv + p * np.log(s)) + float(np.sum(Vinv * C))
            Vinvs.append(Vinv)
            if grad:
                G = Js * Vinv - Vinv @ C @ Vinv
                GB += G
                GW += G[:p, :p] / s
                gmu += -2.0 * Vinv @ (tot - Js * mu)
        return f / N, GW, GB, gmu, Winv, Vinvs

    def value(self, theta: np.ndarray) -> float:
        """F at ``theta`` (inf where an implied matrix is not positive definite)."""
        out = self._parts(*self.moments(theta), grad=False)
        return np.inf if out is None else float(out[0])

    def loglik(self, theta: np.ndarray) -> float:
        """Two-level log-likelihood at ``theta``."""
        return -0.5 * self.data.n * self.value(theta)

    def _jac(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """D vech-free moments: dW (K,p,p), dB (K,m,m), dmu (K,m)."""
        _, _, dsw, dmw = self.model.jacobian(theta, 0)
        _, _, dsb, dmb = self.model.jacobian(theta, 1)
        y, yz = self._y, self._yz
        dW = dsw[:, y][:, :, y]
        dB = dsb[:, yz][:, :, yz]
        dmu = dmb[:, yz].copy()
        dmu[:, : self._p] += dmw[:, y]
        return dW, dB, dmu

    def derivatives(
        self, theta: np.ndarray, *, info: bool = True
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """F, its gradient and the expected information per observation (Hessian / 2)."""
        K = theta.size
        W, B, mu = self.moments(theta)
        out = self._parts(W, B, mu, grad=True)
        if out is None:
            return np.inf, np.zeros(K), np.zeros((K, K) if info else (0, 0))
        f, GW, GB, gmu, Winv, Vinvs = out
        dW, dB, dmu = self._jac(theta)
        N = self.data.n
        grad = (dW.reshape(K, -1) @ GW.ravel() + dB.reshape(K, -1) @ GB.ravel() + dmu @ gmu) / N
        if not info:
            return f, grad, np.zeros((0, 0))
        return f, grad, self._size_information(Winv, Vinvs, dW, dB, dmu)

    def _size_information(
        self,
        Winv: np.ndarray,
        Vinvs: list[np.ndarray],
        dW: np.ndarray,
        dB: np.ndarray,
        dmu: np.ndarray,
    ) -> np.ndarray:
        """Expected information per observation of complete data with these cluster sizes."""
        d = self.data
        p = self._p
        N = d.n
        info_m = (N - d.n_clusters) * _cov_information(Winv, dW)
        for k, s in enumerate(d.sizes):
            dV = dB.copy()
            dV[:, :p, :p] += dW / s
            Vinv = Vinvs[k]
            Js = d.size_count[k]
            info_m += Js * (_cov_information(Vinv, dV) + dmu @ Vinv @ dmu.T)
        return cast(np.ndarray, info_m / N)

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """Gradient of F."""
        return self.derivatives(theta, info=False)[1]

    def expected_information(self, theta: np.ndarray) -> np.ndarray:
        """Expected information per observation (half the expected Hessian of F)."""
        f, _grad, info = self.derivatives(theta)
        if not np.isfinite(f):
            raise IdentificationError(
                "an implied two-level covariance matrix is not positive definite here"
            )
        return info

    def observed_information(self, theta: np.ndarray, *, h: float = 1e-6) -> np.ndarray:
        """Observed information per observation: half the Hessian of F.

        The Hessian is the central difference of the analytic gradient,
        ``H[:, k] = (g(theta + h_k e_k) - g(theta - h_k e_k)) / (2 h_k)`` with
        ``h_k = h max(1, |theta_k|)``, symmetrised (as lavaan, which differentiates its
        two-level gradient numerically).
        """
        K = theta.size
        H = np.empty((K, K))
        for k in range(K):
            step = h * max(1.0, abs(theta[k]))
            tp = theta.copy()
            tm = theta.copy()
            tp[k] += step
            tm[k] -= step
            H[:, k] = (self.gradient(tp) - self.gradient(tm)) / (2 * step)
        return (H + H.T) / 4


class TwoLevelMissingObjective(TwoLevelObjective):
    """The two-level ML discrepancy with missing values (FIML), cluster by cluster.

    The value and the gradient are exact (:mod:`synergy_stats.multilevel.twolevel_missing`);
    the information the optimiser scores with is that of complete data with the same
    cluster sizes (an approximation that only sets the step). Standard errors use the
    observed information, the central difference of the exact gradient.
    """

    fiml = True

    def __init__(self, model: RamModel, data: TwoLevelMissingData, groups: list[GroupData]) -> None:
        super().__init__(model, cast(Any, data), groups)
        self.mdata = data

    def _parts(self, W: np.ndarray, B: np.ndarray, mu: np.ndarray, *, grad: bool) -> Any:
        out = self.mdata.evaluate(W, B, mu, grad=grad)
        if out is None:
            return None
        m2ll, GW, GB, gmu = out
        return m2ll / self.data.n, GW, GB, gmu, None, None

    def derivatives(
        self, theta: np.ndarray, *, info: bool = True
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """F, its exact gradient and the complete-data information (for scoring steps)."""
        K = theta.size
        W, B, mu = self.moments(theta)
        out = self._parts(W, B, mu, grad=True)
        if out is None:
            return np.inf, np.zeros(K), np.zeros((K, K) if info else (0, 0))
        f, GW, GB, gmu = out[:4]
        dW, dB, dmu = self._jac(theta)
        N = self.data.n
        grad = (dW.reshape(K, -1) @ GW.ravel() + dB.reshape(K, -1) @ GB.ravel() + dmu @ gmu) / N
        if not info:
            return f, grad, np.zeros((0, 0))
        p = self._p
        Winv = np.linalg.inv(W)
        Vinvs = []
        for s in self.data.sizes:
            V = B.copy()
            V[:p, :p] += W / s
            Vinvs.append(np.linalg.inv(V))
        return f, grad, self._size_information(Winv, Vinvs, dW, dB, dmu)


# ----------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class _Layout:
    spec: ModelSpec
    names: tuple[str, ...]  # y (level-1 variables) then z (between-only)
    within: tuple[str, ...]
    between: tuple[str, ...]
    both: tuple[str, ...]
    within_only: tuple[str, ...]
    between_only: tuple[str, ...]


def _layout(spec: ModelSpec, columns: list[str]) -> _Layout:
    s1 = ModelSpec(tuple(s for s in spec.statements if s.level == 1))
    s2 = ModelSpec(tuple(s for s in spec.statements if s.level == 2))
    if not s1.statements or not s2.statements:
        raise SpecificationError("a two-level model needs statements at level 1 and at level 2")
    v1 = list(s1.observed_variables)
    v2 = list(s2.observed_variables)
    unknown = [v for v in dict.fromkeys(v1 + v2) if v not in set(columns)]
    if unknown:
        raise SpecificationError(
            f"model variable(s) {unknown} are neither latent (defined with =~) nor columns "
            f"of the data; available columns: {columns[:30]}"
        )
    both = tuple(v for v in v1 if v in v2)
    w_only = tuple(v for v in v1 if v not in v2)
    b_only = tuple(v for v in v2 if v not in v1)
    return _Layout(spec, tuple(v1) + b_only, tuple(v1), tuple(v2), both, w_only, b_only)


def _level_partable(
    lay: _Layout, *, auto: bool, std_lv: bool, fixed_x: bool, saturated: bool = False
) -> ParTable:
    """One ParTable whose two "groups" are the two levels, over all observed variables."""
    tables = []
    for level in (1, 2):
        sub = ModelSpec(tuple(s for s in lay.spec.statements if s.level == level))
        tables.append(
            build_partable(
                sub,
                meanstructure=True,
                auto=auto,
                std_lv=std_lv,
                fixed_x=fixed_x and not saturated,
            )
        )
    latent: dict[str, None] = {}
    for t in tables:
        latent.update(dict.fromkeys(t.latent))
    cols: dict[str, list[Any]] = {k: [] for k in ("lhs", "op", "rhs", "group", "value", "label")}
    cols.update({"user": [], "exo": [], "local": []})
    exo_x: dict[str, None] = {}
    both = set(lay.both)
    for level, t in enumerate(tables, start=1):
        exo_x.update(dict.fromkeys(t.exogenous_x))
        for r in range(len(t)):
            lhs, op = t.lhs[r], t.op[r]
            free = int(t.free[r])
            value = float(t.value[r])
            exo = bool(t.exo[r])
            if level == 1 and op == "~1" and lhs in both:
                # a both-level variable's intercept lives at level 2
                free, value, exo = 0, 0.0, False
            cols["lhs"].append(lhs)
            cols["op"].append(op)
            cols["rhs"].append(t.rhs[r])
            cols["group"].append(level)
            cols["value"].append(value)
            cols["label"].append(t.label[r])
            cols["user"].append(bool(t.user[r]))
            cols["exo"].append(exo)
            cols["local"].append((level, free))
    # global free indices: per level in order, labels shared across levels
    glob: dict[tuple[int, int], int] = {}
    by_label: dict[str, int] = {}
    free_arr = np.zeros(len(cols["lhs"]), dtype=int)
    nxt = 0
    for i, (level, f) in enumerate(cols["local"]):
        if f == 0:
            continue
        lab = cols["label"][i]
        if (level, f) in glob:
            free_arr[i] = glob[(level, f)]
        elif lab and lab in by_label:
            free_arr[i] = glob[(level, f)] = by_label[lab]
        else:
            nxt += 1
            free_arr[i] = glob[(level, f)] = nxt
        if lab:
            by_label.setdefault(lab, int(free_arr[i]))
    return ParTable(
        lhs=tuple(cols["lhs"]),
        op=tuple(cols["op"]),
        rhs=tuple(cols["rhs"]),
        group=np.array(cols["group"], dtype=int),
        free=free_arr,
        value=np.array(cols["value"], dtype=float),
        label=tuple(cols["label"]),
        user=np.array(cols["user"], dtype=bool),
        exo=np.array(cols["exo"], dtype=bool),
        observed=lay.names,
        latent=tuple(latent),
        n_groups=2,
        meanstructure=True,
        exogenous_x=tuple(exo_x),
    )


def _saturated_spec(lay: _Layout) -> ModelSpec:
    st: list[Statement] = []
    for level, names in ((1, lay.within), (2, lay.between)):
        for i, a in enumerate(names):
            for b in names[i:]:
                st.append(Statement(a, "~~", b, level=level))
    return ModelSpec(tuple(st))


def _level_groups(
    lay: _Layout, W: np.ndarray, B: np.ndarray, mu: np.ndarray, n: int, J: int
) -> list[GroupData]:
    """Stand-in GroupData per level carrying the h1 moments (for fixed-x and starts)."""
    P = len(lay.names)
    p = len(lay.within)
    pos = {v: i for i, v in enumerate(lay.names)}
    yz = [pos[v] for v in lay.within] + [pos[v] for v in lay.between_only]
    cov1 = np.zeros((P, P))
    cov1[:p, :p] = W
    mean1 = np.zeros(P)
    cov2 = np.zeros((P, P))
    cov2[np.ix_(yz, yz)] = B
    mean2 = np.zeros(P)
    mean2[yz] = mu
    for v in lay.within_only:
        i = pos[v]
        mean1[i] = mean2[i]
        mean2[i] = 0.0
    # variables absent at a level get a unit placeholder variance (never used by the model)
    for cov, names in ((cov1, lay.within), (cov2, lay.between)):
        idx = [pos[v] for v in names]
        absent = np.setdiff1d(np.arange(P), idx)
        cov[absent, absent] = 1.0
    empty = np.zeros((0, P))
    return [
        GroupData(n, mean1, cov1, empty, (), True),
        GroupData(J, mean2, cov2, empty, (), True),
    ]


def _singular_cluster_size(
    objective: TwoLevelObjective, theta: np.ndarray
) -> tuple[int, int] | None:
    """``(size, clusters of that size)`` whose implied covariance is (nearly) singular at theta.

    The two-level likelihood is unbounded when ``Sigma_B`` may turn indefinite: the implied
    covariance ``Sigma_B + Sigma_W / s`` of a size class with few clusters can become singular
    in a direction their mean deviations do not use, and ``-2 logL`` then falls without
    bound. An optimiser that stalls next to such a point has no maximum to find.
    """
    W, B, _ = objective.moments(theta)
    p = objective._p
    d = objective.data
    for k, s in enumerate(d.sizes):
        V = B.copy()
        V[:p, :p] += W / s
        ev = np.linalg.eigvalsh((V + V.T) / 2)
        if ev[0] <= 1e-10 * max(float(ev[-1]), 1e-300):
            return int(s), int(d.size_count[k])
    return None


def _optimise(objective: TwoLevelObjective, starts: list[np.ndarray]) -> Any:
    attempts = []
    for st in starts:
        res = minimise(cast(Any, objective), st, grad_tol=1e-8, newton=False)
        attempts.append(res)
        if res.converged:
            return res
        bad = _singular_cluster_size(objective, res.theta) if np.isfinite(res.fmin) else None
        if bad is not None:
            raise ConvergenceError(
                "the two-level likelihood appears unbounded: the between-level covariance "
                f"matrix turns indefinite and the implied covariance of the {bad[1]} "
                f"cluster(s) of size {bad[0]} becomes singular, where the likelihood grows "
                f"without bound ({objective.data.n_clusters} clusters). Fewer between-level "
                "parameters, or more clusters, are needed."
            )
    best = min(attempts, key=lambda r: r.fmin if np.isfinite(r.fmin) else np.inf)
    if np.isfinite(best.fmin):
        sol = optimize.minimize(
            objective.value,
            best.theta,
            jac=objective.gradient,
            method="BFGS",
            options={"gtol": 1e-9, "maxiter": 5000},
        )
        res = minimise(cast(Any, objective), sol.x, grad_tol=1e-8, newton=False)
        if res.converged:
            return res
        attempts.append(res)
    best = min(attempts, key=lambda r: r.fmin if np.isfinite(r.fmin) else np.inf)
    raise ConvergenceError(
        f"the two-level optimiser did not converge (largest gradient {best.grad_max:.3g}, "
        f"{best.message}); check the model's identification at each level"
    )


@dataclass(frozen=True)
class Saturated:
    """The unrestricted two-level (h1) model: ``lavInspect(fit, "h1")``.

    ``boundary`` is True when ``between_cov`` is singular at the ML estimate (complete
    data; the maximum over positive-semidefinite Sigma_B lies on its bound).
    """

    layout: _Layout
    within_cov: np.ndarray
    between_cov: np.ndarray
    mean: np.ndarray  # over (y, z)
    loglik: float
    npar: int
    boundary: bool = False

    def icc(self) -> pd.Series:
        """Item ICCs: ``diag(Sigma_B) / (diag(Sigma_B) + diag(Sigma_W))`` of level-1 variables."""
        p = len(self.layout.within)
        w = np.diag(self.within_cov)
        b = np.diag(self.between_cov)[:p]
        return pd.Series(b / (b + w), index=list(self.layout.within), name="icc")


def _em_saturated(
    data: TwoLevelData, within_only: np.ndarray, *, max_iter: int = 500, tol: float = 1e-9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EM for the unrestricted two-level model (random cluster effects as missing data).

    E-step: for cluster j with ``d_j = (ybar_j, z_j) - mu``, the cluster effects
    ``u_j`` have mean ``B V_j^-1 d_j`` and covariance ``B - B V_j^-1 B``; M-step: ``Sigma_W``,
    ``Sigma_B`` and ``mu`` from the completed moments (an ECM step for ``mu``), with the
    between rows of within-only variables kept at zero. Used to start the ML fit.
    """
    p = data.p
    N, J = data.n, data.n_clusters
    cm = data.cluster_means
    sizes = data.cluster_size.astype(float)
    W = data.s_pw / max(N - J, 1)
    mu = (sizes @ cm) / N
    mu[p:] = cm[:, p:].mean(axis=0)
    B = np.cov(cm, rowvar=False, bias=True).reshape(len(mu), len(mu))
    B[:p, :p] -= W / (N / J)
    B = np.diag(
        np.maximum(
            np.diag(B),
            1e-3 * np.diag(np.atleast_2d(np.cov(cm, rowvar=False, bias=True))).clip(1e-6),
        )
    )
    keep = np.ones(len(mu), dtype=bool)
    keep[within_only] = False
    B[~keep] = 0.0
    B[:, ~keep] = 0.0
    uniq, idx = np.unique(sizes, return_inverse=True)
    cnt = np.bincount(idx, minlength=len(uniq)).astype(float)
    inv_s = (1.0 / uniq)[:, None, None]
    for _ in range(max_iter):
        d = cm - mu
        # all cluster sizes at once: V_k = B + [W / s_k, 0; 0, 0], stacked K x m x m
        V = np.broadcast_to(B, (len(uniq), *B.shape)).copy()
        V[:, :p, :p] += W[None] * inv_s
        VB = np.linalg.solve(V, np.broadcast_to(B, V.shape))  # V_k^-1 B
        u = np.einsum("jm,jmn->jn", d, VB[idx])
        var_u = B[None] - B[None] @ VB  # B - B V_k^-1 B
        sum_var_u = np.einsum("k,kmn->mn", cnt, var_u)
        sum_nvar_b = np.einsum("k,kmn->mn", cnt * uniq, var_u[:, :p, :p])
        B_new = (u.T @ u + sum_var_u) / J
        r = cm[:, :p] - mu[:p] - u[:, :p]
        W_new = (data.s_pw + (r * sizes[:, None]).T @ r + sum_nvar_b) / N
        mu_new = mu.copy()
        mu_new[:p] = (sizes @ (cm[:, :p] - u[:, :p])) / N
        mu_new[p:] = (cm[:, p:] - u[:, p:]).mean(axis=0)
        B_new[~keep] = 0.0
        B_new[:, ~keep] = 0.0
        delta = max(np.abs(W_new - W).max(), np.abs(B_new - B).max(), np.abs(mu_new - mu).max())
        W, B, mu = (W_new + W_new.T) / 2, (B_new + B_new.T) / 2, mu_new
        if delta < tol:
            break
    return W, B, mu


def _imputed(data: TwoLevelMissingData) -> TwoLevelData:
    """Complete-data summaries with missing values filled in (cluster, then grand means).

    Only a start for the unrestricted model's ML fit under missing data.
    """
    y = data.y.copy()
    obs = np.isfinite(y)
    J = data.n_clusters
    sums = np.zeros((J, data.p))
    cnt = np.zeros((J, data.p))
    np.add.at(sums, data.codes, np.where(obs, y, 0.0))
    np.add.at(cnt, data.codes, obs.astype(float))
    grand = np.nanmean(np.where(obs, y, np.nan), axis=0)
    cmeans = np.where(cnt > 0, sums / np.maximum(cnt, 1), grand)
    y = np.where(obs, y, cmeans[data.codes])
    zc = data.zc.copy()
    if data.q:
        zc = np.where(np.isfinite(zc), zc, np.nanmean(zc, axis=0))
    x = np.column_stack([y, zc[data.codes]]) if data.q else y
    return make_twolevel_data(x, data.codes, data.names, data.p)


def saturated(lay: _Layout, data: TwoLevelData | TwoLevelMissingData) -> Saturated:
    """Fit the unrestricted two-level model (free Sigma_W, Sigma_B over level-2 variables).

    Complete data: Newton's method on ``Sigma_B = L L'`` with the exact Hessian
    (:func:`synergy_stats.multilevel.twolevel_h1.fit_h1`), the ML estimate over
    positive-semidefinite ``Sigma_B`` (as lavaan's EM, run to convergence). A maximum on the
    boundary (singular ``Sigma_B``, common with few clusters) is reported with a
    :class:`ClusterWarning`. With missing values (:class:`TwoLevelMissingData`) an EM on the
    data filled in with cluster means gives the start, and Fisher scoring maximises the FIML
    likelihood (lavaan's h1 under ``missing = "ml"``, which it reaches by nlminb).
    """
    spec = _saturated_spec(lay)
    pt = _level_partable(
        replace(lay, spec=spec), auto=False, std_lv=False, fixed_x=False, saturated=True
    )
    N, J = data.n, data.n_clusters
    yz_names = list(lay.within) + list(lay.between_only)
    w_only = np.array([yz_names.index(v) for v in lay.within_only], dtype=int)
    if isinstance(data, TwoLevelData):
        from synergy_stats.multilevel.twolevel_h1 import fit_h1

        sol = fit_h1(data, w_only)
        if not sol.converged:
            raise ConvergenceError(
                f"the unrestricted two-level model did not converge in {sol.iterations} "
                f"Newton steps ({J} clusters, {len(lay.between)} between-level variables)"
            )
        if sol.boundary:
            warnings.warn(
                f"the unrestricted between-level covariance matrix of {list(lay.between)} is "
                f"singular at its ML estimate (smallest eigenvalue {sol.min_eigenvalue:.3g}) "
                f"with {J} clusters: the maximum is on the boundary (Sigma_B positive "
                "semidefinite), so ICCs of 0 or between-level correlations of +-1 are "
                "estimates at that bound, and the between level is only weakly informed",
                ClusterWarning,
                stacklevel=4,
            )
        return Saturated(
            lay, sol.within_cov, sol.between_cov, sol.mean, sol.loglik, pt.npar, sol.boundary
        )
    W0, B0, mu0 = _em_saturated(_imputed(data), w_only)
    groups = _level_groups(lay, W0, B0, mu0, N, J)
    model = RamModel(pt, groups)
    obj = TwoLevelMissingObjective(model, data, groups)
    pos = {v: i for i, v in enumerate(lay.names)}
    start = np.zeros(pt.npar)
    for r in range(len(pt)):
        f = int(pt.free[r])
        if f == 0:
            continue
        g = groups[int(pt.group[r]) - 1]
        i = pos[pt.lhs[r]]
        start[f - 1] = g.mean[i] if pt.op[r] == "~1" else g.cov[i, pos[pt.rhs[r]]]
    res = _optimise(obj, [start])
    W, B, mu = obj.moments(res.theta)
    return Saturated(lay, W, B, mu, obj.loglik(res.theta), pt.npar)


# ----------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class TwoLevelResult(SEMResult):
    """A fitted two-level SEM (``group`` in the parameter table is the level).

    ``estimates()`` gains a ``level`` column (1 within, 2 between); ``fit_measures()`` gives
    ``srmr_within`` and ``srmr_between``; ``r2()`` and the standardized columns are per
    level; ``h1`` holds the unrestricted two-level moments and ``icc()`` the ICCs.

    Attributes
    ----------
    cluster_info : ClusterInfo
        The validated cluster column.
    h1 : Saturated
        The unrestricted two-level model.
    """

    cluster_info: ClusterInfo | None = field(default=None, repr=False)
    h1: Saturated | None = field(default=None, repr=False)
    twolevel_data: TwoLevelData | TwoLevelMissingData | None = field(default=None, repr=False)
    baseline_result: Any = field(default=None, repr=False)

    @property
    def levels(self) -> tuple[int, ...]:
        """The levels of the model, ``(1, 2)``."""
        return (1, 2)

    @property
    def n_clusters(self) -> int:
        """Number of clusters."""
        return 0 if self.twolevel_data is None else self.twolevel_data.n_clusters

    @property
    def df(self) -> int:
        """Degrees of freedom: free h1 moments minus free parameters."""
        return _h1_moments(self.partable, self._h1()) - self.npar

    def _h1(self) -> Saturated:
        if self.h1 is None:
            raise EstimationError("internal: a two-level fit without its h1 model")
        return self.h1

    def icc(self) -> pd.Series:
        """ICCs of the level-1 variables from the h1 model (``lavInspect(fit, "icc")``)."""
        return self._h1().icc()

    def estimates(self, *, level: float | None = None) -> pd.DataFrame:
        """Parameter estimates with a ``level`` column (1 within, 2 between, 0 for ``:=``)."""
        est = super().estimates(level=level)
        est["level"] = est["group"].astype(int)
        est["group"] = np.where(est["op"] == ":=", 0, 1)
        cols = list(ESTIMATE_COLUMNS)
        cols.insert(cols.index("group") + 1, "level")
        return est[cols]

    def r2(self) -> pd.Series:
        """R-squared per level: a Series indexed by (level, variable)."""
        pt = self.partable
        model = self._model
        frames = []
        for g in range(2):
            rows = pt.rows(g + 1)
            endo = [
                v
                for v in model.names
                if any(
                    (pt.op[r] == "=~" and pt.rhs[r] == v) or (pt.op[r] == "~" and pt.lhs[r] == v)
                    for r in rows
                )
            ]
            mats = model.matrices(self.theta, g)
            V = mats.B @ mats.S @ mats.B.T
            vals = {v: 1.0 - mats.S[i, i] / V[i, i] for v in endo for i in [model.names.index(v)]}
            frames.append(pd.Series(vals, name="r2", dtype=float))
        return pd.concat(frames, keys=["within", "between"], names=["level", "variable"])

    def implied_cov(self, group: Any = None) -> pd.DataFrame:
        """Implied covariance of one level: ``group=1`` (within, default) or ``2`` (between)."""
        g = 1 if group is None else int(group)
        if g not in (1, 2):
            raise OptionError(f"group={group!r}: use 1 (within) or 2 (between)")
        sig, _ = self._model.implied(self.theta, g - 1)
        lay = self._h1().layout
        names = list(lay.within if g == 1 else lay.between)
        pos = [self.partable.observed.index(v) for v in names]
        return pd.DataFrame(sig[np.ix_(pos, pos)], index=names, columns=names)

    @cached_property
    def _chisq(self) -> float:
        return max(2.0 * (self._unrestricted() - self._loglik), 0.0)

    @cached_property
    def _baseline(self) -> SEMResult:
        if self.baseline_result is None:
            raise EstimationError("internal: baseline not fitted")
        return cast(SEMResult, self.baseline_result)

    def _srmr_levels(self) -> tuple[float, float]:
        """Lavaan's ``srmr_within``/``srmr_between``: correlation residuals against h1."""
        h1 = self._h1()
        obj = cast(TwoLevelObjective, self._objective)
        W, B, _ = obj.moments(self.theta)
        lay = h1.layout
        names_yz = list(lay.within) + list(lay.between_only)
        idx = [names_yz.index(v) for v in lay.between]
        out_w = _srmr_cor(h1.within_cov, W)
        out_b = _srmr_cor(h1.between_cov[np.ix_(idx, idx)], B[np.ix_(idx, idx)])
        return out_w, out_b

    @cached_property
    def _x_loglik(self) -> float:
        """Two-level log-likelihood of the fixed-x covariates alone (left out, as lavaan)."""
        h1 = self._h1()
        tl = self.twolevel_data
        if tl is None:
            return 0.0
        lay = h1.layout
        exo = set(self.partable.exogenous_x)
        if not exo:
            return 0.0
        names_yz = list(lay.within) + list(lay.between_only)
        xi = [i for i, v in enumerate(names_yz) if v in exo]
        yi = [i for i, v in enumerate(lay.within) if v in exo]
        return _loglik_subset(tl, h1, yi, xi)

    @cached_property
    def _loglik(self) -> float:
        return float(self._objective.loglik(self.theta)) - self._x_loglik

    def _unrestricted(self) -> float:
        return self._h1().loglik - self._x_loglik

    def fit_measures(self) -> pd.Series:
        """Fit measures of a two-level model (lavaan's ``fitMeasures``).

        Returns
        -------
        pandas.Series
            ``npar n n_clusters chisq df pvalue baseline_chisq baseline_df cfi tli rmsea
            srmr_within srmr_between loglik unrestricted_loglik aic bic sabic``.

        Notes
        -----
        The chi-square is ``2 (logL_h1 - logL_h0)`` against the unrestricted two-level
        model; the baseline model has free variances at both levels and free level-2
        means (fixed-x moments kept). SRMR is computed per level against the h1 moments,
        with the level-2 means in ``srmr_between``.
        """
        n = self.nobs
        chisq, df = self._chisq, self.df
        base = self._baseline
        bchisq, bdf = base.chisq, base.df
        out: dict[str, float] = {
            "npar": float(self.npar),
            "n": float(n),
            "n_clusters": float(self.n_clusters),
            "chisq": chisq,
            "df": float(df),
            "pvalue": fitidx.chisq_pvalue(chisq, df),
            "baseline_chisq": bchisq,
            "baseline_df": float(bdf),
            "cfi": fitidx.cfi(chisq, df, bchisq, bdf),
            "tli": fitidx.tli(chisq, df, bchisq, bdf),
            "rmsea": fitidx.rmsea(chisq, df, n, 1),
        }
        sw, sb = self._srmr_levels()
        out["srmr_within"] = sw
        out["srmr_between"] = sb
        out["loglik"] = self._loglik
        out["unrestricted_loglik"] = self._unrestricted()
        out.update(fitidx.information_criteria(self._loglik, self.npar, n))
        return pd.Series(out, name="fit_measures", dtype=float)

    def modification_indices(self, *, minimum: float = 0.0) -> pd.DataFrame:
        """Not available for two-level models."""
        raise EstimationError("modification_indices() is not implemented for two-level models")

    def summary(self, **options: Any) -> str:
        """A plain summary with both levels (the TABLES helper owns the lavaan-style print)."""
        fm = self.fit_measures()
        est = self.estimates()
        lines = [
            f"synergy_stats two-level SEM (ML), {self.nobs} observations in "
            f"{self.n_clusters} clusters, {self.npar} free parameters",
            f"  chi-square = {fm['chisq']:.3f}, df = {int(fm['df'])}, p = {fm['pvalue']:.4f}; "
            f"CFI = {fm['cfi']:.3f}, RMSEA = {fm['rmsea']:.3f}, SRMR within = "
            f"{fm['srmr_within']:.3f}, between = {fm['srmr_between']:.3f}",
        ]
        for lev, title in ((1, "Level 1 [within]"), (2, "Level 2 [between]")):
            part = est[est["level"] == lev][
                ["lhs", "op", "rhs", "label", "est", "se", "pvalue", "std_all"]
            ]
            lines += ["", title, part.to_string(index=False, float_format=lambda v: f"{v:.3f}")]
        d = est[est["op"] == ":="]
        if len(d):
            lines += [
                "",
                "Defined parameters",
                d[["lhs", "rhs", "est", "se", "pvalue"]].to_string(
                    index=False, float_format=lambda v: f"{v:.3f}"
                ),
            ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"TwoLevelResult(nobs={self.nobs}, clusters={self.n_clusters}, npar={self.npar}, "
            f"df={self.df}, converged={self.converged})"
        )


def _srmr_cor(s: np.ndarray, sig: np.ndarray) -> float:
    """``sqrt(sum vech(cor(S) - cor(Sigma))^2 / p*)`` (lavaan ``lav_fit_srmr_twolevel``)."""
    ds = np.sqrt(np.diag(s))
    dg = np.sqrt(np.clip(np.diag(sig), 1e-300, None))
    r = s / np.outer(ds, ds) - sig / np.outer(dg, dg)
    il = np.tril_indices(len(ds))
    return float(np.sqrt(np.sum(r[il] ** 2) / len(il[0])))


def _loglik_subset(
    tl: TwoLevelData | TwoLevelMissingData, h1: Saturated, y_idx: list[int], yz_idx: list[int]
) -> float:
    """Two-level log-likelihood of a subset of the variables at the h1 moments."""
    p = len(y_idx)
    mu = h1.mean[yz_idx]
    W = h1.within_cov[np.ix_(y_idx, y_idx)]
    B = h1.between_cov[np.ix_(yz_idx, yz_idx)]
    if isinstance(tl, TwoLevelMissingData):
        z_idx = [i - tl.p for i in yz_idx if i >= tl.p]
        out = tl.subset(y_idx, z_idx).evaluate(W, B, mu)
        if out is None:
            raise EstimationError("internal: the h1 moments of the covariates are not PD")
        return -0.5 * float(out[0])
    total = 0.0
    N, J = tl.n, tl.n_clusters
    if p:
        s_pw = tl.s_pw[np.ix_(y_idx, y_idx)]
        inv, ld = np.linalg.inv(W), np.linalg.slogdet(W)[1]
        total += (N - J) * (p * _LOG2PI + ld) + float(np.sum(inv * s_pw))
    m = len(yz_idx)
    for k, s in enumerate(tl.sizes):
        V = B.copy()
        V[:p, :p] += W / s
        Js = tl.size_count[k]
        tot = tl.size_sum[k][yz_idx]
        xx = tl.size_xx[k][np.ix_(yz_idx, yz_idx)]
        C = xx - np.outer(mu, tot) - np.outer(tot, mu) + Js * np.outer(mu, mu)
        inv, ld = np.linalg.inv(V), np.linalg.slogdet(V)[1]
        total += Js * (m * _LOG2PI + ld + p * np.log(s)) + float(np.sum(inv * C))
    return -0.5 * total


def _h1_moments(pt: ParTable, h1: Saturated) -> int:
    """Free moments of the h1 model, fixed-x (co)variances and means left out."""
    lay = h1.layout
    p1 = len(lay.within)
    p2 = len(lay.between)
    total = p1 * (p1 + 1) // 2 + len(lay.within_only) + p2 * (p2 + 1) // 2 + p2
    # fixed-x entries at each level
    n_exo = int(np.sum(pt.exo))
    return total - n_exo


# ----------------------------------------------------------------------------- driver
def fit_twolevel(
    spec: ModelSpec,
    data: pd.DataFrame,
    *,
    cluster: str,
    info: ClusterInfo,
    estimator: str = "ML",
    missing: str = "listwise",
    meanstructure: bool | None = None,
    group: str | None = None,
    group_equal: Any = (),
    group_partial: Any = (),
    std_lv: bool = False,
    auto: bool = True,
    fixed_x: bool = True,
    level: float = 0.95,
    engine: str = "numpy",
    se: bool = True,
) -> TwoLevelResult:
    """Fit a model with ``level:`` blocks by two-level ML (see the module docstring)."""
    if estimator != "ML":
        raise OptionError(f"estimator={estimator!r}: two-level models are fitted by 'ML' only")
    if group is not None or group_equal or group_partial:
        raise OptionError("group= is not supported with a two-level model")
    if engine != "numpy":
        raise OptionError("a two-level model needs engine='numpy'")
    if spec.constraints:
        raise SpecificationError("explicit constraints are not supported in two-level models")
    if missing not in ("listwise", "fiml", "ml"):
        raise OptionError(
            f"missing={missing!r} is not accepted for a two-level model; use 'listwise' or "
            "'fiml' (lavaan's 'ml')"
        )
    fiml = missing in ("fiml", "ml")
    lay = _layout(spec, list(data.columns))
    lay = _drop_no_between(lay, data, cluster, info)
    cols = list(lay.names)
    sub = data[cols]
    bad = [c for c in cols if not pd.api.types.is_numeric_dtype(sub[c])]
    if bad:
        raise DataValidationError(f"column(s) {bad} are not numeric")
    pt = _level_partable(lay, auto=auto, std_lv=std_lv, fixed_x=fixed_x)
    x = sub.to_numpy(dtype=float)[info.keep]
    x = np.where(np.isfinite(x), x, np.nan)
    codes = info.codes
    n_dropped = info.n_dropped
    finite = np.isfinite(x)
    if fiml:
        exo = [cols.index(v) for v in pt.exogenous_x if v in cols]
        empty = ~finite.any(axis=1)
        exo_missing = ~finite[:, exo].all(axis=1) & ~empty if exo else np.zeros(len(x), bool)
        ok = ~(empty | exo_missing)
        why = (
            f"{int(empty.sum())} with no observed model variable, {int(exo_missing.sum())} "
            "with a missing fixed-x covariate"
        )
    else:
        ok = finite.all(axis=1)
        why = "with missing values on model variables; use missing='fiml' to keep them"
    if not ok.all():
        from synergy_stats.errors import DroppedDataWarning

        warnings.warn(
            f"{int((~ok).sum())} of {len(x)} rows dropped: {why}",
            DroppedDataWarning,
            stacklevel=4,
        )
        n_dropped += int((~ok).sum())
        x, codes = x[ok], codes[ok]
    tl: TwoLevelData | TwoLevelMissingData
    if fiml and not np.isfinite(x).all():
        both = [i for i, v in enumerate(lay.within) if v in set(lay.both)]
        tl = make_twolevel_missing(x, codes, lay.names, len(lay.within), both)
    else:
        # complete rows: the FIML likelihood is the complete-data one
        tl = make_twolevel_data(x, codes, lay.names, len(lay.within))
    n_single = int(np.sum(tl.cluster_size == 1))
    if n_single:
        warnings.warn(
            f"{n_single} of {tl.n_clusters} clusters in {cluster!r} have a single member "
            "(after dropping rows); they inform the between level only",
            ClusterWarning,
            stacklevel=4,
        )
    h1 = saturated(lay, tl)
    groups = _level_groups(lay, h1.within_cov, h1.between_cov, h1.mean, tl.n, tl.n_clusters)
    n_between = len({int(f) for f, g in zip(pt.free, pt.group, strict=True) if f > 0 and g == 2})
    if tl.n_clusters < n_between:
        warnings.warn(
            f"{tl.n_clusters} clusters for {n_between} between-level parameters; the "
            "between-level estimates and their standard errors are unreliable",
            ClusterWarning,
            stacklevel=4,
        )
    result = _fit(
        spec,
        pt,
        lay,
        tl,
        groups,
        h1,
        info,
        level=level,
        se=se,
        auto=auto,
        std_lv=std_lv,
        fixed_x=fixed_x,
        n_dropped=n_dropped,
        missing="fiml" if fiml else "listwise",
    )
    base = _fit_baseline(result, lay, tl, groups, h1, info)
    return replace(result, baseline_result=base)


def _drop_no_between(lay: _Layout, data: pd.DataFrame, cluster: str, info: ClusterInfo) -> _Layout:
    """Both-level variables whose cluster means do not vary: within-only (as lavaan)."""
    flat = []
    sub = data.loc[info.keep, list(lay.both)]
    if not len(lay.both):
        return lay
    means = sub.groupby(info.codes).mean()
    for v in lay.both:
        if np.nanvar(means[v].to_numpy()) < 1e-12 * (1 + np.nanvar(sub[v].to_numpy())):
            flat.append(v)
    if not flat:
        return lay
    warnings.warn(
        f"variable(s) {flat} have no between-cluster variance (their cluster means are all "
        "equal, e.g. after centring within clusters) but are named at level 2; treated as "
        "within-only, as lavaan does: the level-2 statements naming them are left out",
        WithinOnlyWarning,
        stacklevel=5,
    )
    gone = set(flat)
    kept = tuple(st for st in lay.spec.statements if st.level != 2 or not ({st.lhs, st.rhs} & gone))
    if not any(st.level == 2 for st in kept):
        raise SpecificationError(
            f"variable(s) {flat} have no between-cluster variance, and without them the "
            "level: 2 block is empty; fit a single-level model with cluster= instead"
        )
    return _layout(replace(lay.spec, statements=kept), list(data.columns))


def _fit(
    spec: ModelSpec,
    pt: ParTable,
    lay: _Layout,
    tl: TwoLevelData | TwoLevelMissingData,
    groups: list[GroupData],
    h1: Saturated,
    info: ClusterInfo,
    *,
    level: float,
    se: bool,
    auto: bool,
    std_lv: bool,
    fixed_x: bool,
    n_dropped: int,
    check: bool = True,
    missing: str = "listwise",
) -> TwoLevelResult:
    model = RamModel(pt, groups)
    obj: TwoLevelObjective
    if isinstance(tl, TwoLevelMissingData):
        obj = TwoLevelMissingObjective(model, tl, groups)
    else:
        obj = TwoLevelObjective(model, tl, groups)
    starts = [_starting_values(pt, groups), _starting_values(pt, groups, simple=True)]
    optim = _optimise(obj, starts)
    options = FitOptions(
        estimator="ML",
        missing=missing,
        meanstructure=True,
        auto=auto,
        std_lv=std_lv,
        fixed_x=fixed_x,
        information="observed",
        level=level,
    )
    res = TwoLevelResult(
        spec=spec,
        partable=pt,
        options=options,
        theta=optim.theta,
        nobs=tl.n,
        group_labels=("within", "between"),
        n_dropped=n_dropped,
        optim=optim,
        _model=model,
        _objective=cast(Any, obj),
        _groups=groups,
        _se=se,
        cluster_info=info,
        h1=h1,
        twolevel_data=tl,
    )
    if check:
        from synergy_stats.structural.api import _heywood

        _heywood(res)
    return res


def _covariates(lay: _Layout, level: int) -> list[str]:
    """Observed exogenous covariates of one level (lavaan's ov.x): regressors only."""
    sts = [t for t in lay.spec.statements if t.level == level]
    lhs = {t.lhs for t in sts if t.op == "~"}
    ind = {t.rhs for t in sts if t.op == "=~"}
    latent = {t.lhs for t in sts if t.op == "=~"}
    names = set(lay.within if level == 1 else lay.between)
    out = [t.rhs for t in sts if t.op == "~"]
    return [
        v
        for v in dict.fromkeys(out)
        if v in names and v not in lhs and v not in ind and v not in latent
    ]


def _fit_baseline(
    result: TwoLevelResult,
    lay: _Layout,
    tl: TwoLevelData | TwoLevelMissingData,
    groups: list[GroupData],
    h1: Saturated,
    info: ClusterInfo,
) -> TwoLevelResult:
    """Independence model at both levels; fixed-x moments kept at their h1 values."""
    pt = result.partable
    exo_at = {(int(pt.group[r]), pt.lhs[r]) for r in range(len(pt)) if pt.exo[r]} | {
        (int(pt.group[r]), pt.rhs[r]) for r in range(len(pt)) if pt.exo[r] and pt.op[r] == "~~"
    }
    st = [
        Statement(v, "~~", v, level=level)
        for level, names in ((1, lay.within), (2, lay.between))
        for v in names
        if (level, v) not in exo_at
    ]
    if not result.options.fixed_x:
        # free covariates (fixed.x = FALSE): lavaan's baseline keeps their covariances free
        for level in (1, 2):
            xs = _covariates(lay, level)
            st += [
                Statement(a, "~~", b, level=level) for i, a in enumerate(xs) for b in xs[i + 1 :]
            ]
    bspec = ModelSpec(tuple(st))
    b0 = _level_partable(replace(lay, spec=bspec), auto=False, std_lv=False, fixed_x=False)
    keep = [r for r in range(len(b0)) if (int(b0.group[r]), b0.lhs[r]) not in exo_at]
    extra = [r for r in range(len(pt)) if pt.exo[r]]

    def col(name: str) -> list[Any]:
        return [getattr(b0, name)[r] for r in keep] + [getattr(pt, name)[r] for r in extra]

    free = np.array(col("free"), dtype=int)
    bpt = replace(
        b0,
        lhs=tuple(col("lhs")),
        op=tuple(col("op")),
        rhs=tuple(col("rhs")),
        group=np.array(col("group"), dtype=int),
        free=np.where(np.arange(len(free)) < len(keep), free, 0),
        value=np.array(col("value"), dtype=float),
        label=tuple(col("label")),
        user=np.array(col("user"), dtype=bool),
        exo=np.array(col("exo"), dtype=bool),
        exogenous_x=pt.exogenous_x,
    )
    return _fit(
        bspec,
        bpt,
        lay,
        tl,
        groups,
        h1,
        info,
        level=0.95,
        se=False,
        auto=False,
        std_lv=False,
        fixed_x=False,
        n_dropped=0,
        check=False,
        missing=result.options.missing,
    )


def pvalue_two_sided(z: np.ndarray) -> np.ndarray:
    """Two-sided normal p-values."""
    return 2 * stats.norm.sf(np.abs(z))
