"""Least-squares estimation of a model for ordinal (and mixed) indicators, as lavaan does.

The statistics of each group are ``s = (tau, var_num, vech_offdiag(cov))``
(:mod:`synergy_stats.ordinal.samplestats`). The model implies them from the RAM moments
``Sigma(theta), mu(theta)`` of :class:`~synergy_stats.structural.model.RamModel` and the
thresholds: for an ordered indicator ``i`` with scaling ``delta_i``

    tau*_ik = delta_i (tau_ik - mu_i),   c_ij = s_i s_j Sigma_ij,

with ``s_i = delta_i`` for ordered and 1 for continuous variables. Under the delta
parameterization ``delta_i`` is the ``~*~`` parameter (fixed at 1) and the residual variance
of ``y*_i`` is what is left to make its variance ``1/delta_i^2``; under the theta
parameterization the residual variance is the parameter (fixed at 1) and
``delta_i = Sigma_ii^{-1/2}``.

With exogenous covariates ``x`` (lavaan's ``conditional.x``) the statistics are those of the
variables given ``x``: the RAM moments over all observed variables (``x`` moments fixed)
give the slopes ``Pi = Sigma_yx Sigma_xx^-1``, the residual covariance and intercepts
(:func:`residual_moments`), which take the place of ``Sigma`` and ``mu`` above; the slopes
enter the statistics as ``s_i Pi_ik``.

The fit function is ``F = sum_g ((N_g - 1)/N) (s_g - sigma_g)' W_g (s_g - sigma_g)`` with
``W = diag(Gamma)^-1`` (DWLS: WLSMV, WLSM, DWLS), ``W = I`` (ULS, ULSMV) or
``W = Gamma^-1`` (WLS), minimised by Gauss-Newton. The test statistic is ``T = N F_min``.
Standard errors: "robust.sem" sandwich ``A^-1 B A^-1 / N`` with ``A = sum w_g D'WD`` and
``B = sum w_g D'W Gamma W D``, or the "standard" ``A^-1 / N`` (DWLS, ULS, WLS).
The mean- and variance-adjusted test uses ``U = W - W D A^-1 D' W`` and the traces of
``U Gamma`` (Satorra & Bentler 1994; Asparouhov & Muthen 2010, scaled-shifted).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from synergy_stats.errors import ConvergenceError, EstimationError, IdentificationError
from synergy_stats.ordinal.samplestats import OrdinalStats
from synergy_stats.structural.estimate import starting_values
from synergy_stats.structural.model import RamModel
from synergy_stats.structural.partable import ParTable
from synergy_stats.structural.samplestats import GroupData

__all__ = ["OrdinalModel", "WLSFit", "fit_wls", "ordinal_partable", "residual_moments"]


def ordinal_partable(
    base: ParTable,
    ordered: set[str],
    nlev: dict[str, int],
    *,
    parameterization: str,
    equal_thresholds: bool = False,
    group_partial: tuple[str, ...] = (),
    lavaan_group_rule: bool = True,
    threshold_key: dict[str, str] | None = None,
) -> tuple[ParTable, ParTable]:
    """Turn a (meanstructure) RAM parameter table into lavaan's categorical table.

    Ordered indicators get their intercepts fixed at 0 and their residual variances fixed
    (delta: computed after the fit; theta: 1); threshold rows ``x | t1 ...`` (free) and
    scaling rows ``x ~*~ x`` (delta: fixed 1) are appended. The RAM parameters keep the
    first free indices so the RAM model of the returned core table sees only them.

    Returns
    -------
    full, core : ParTable
        The whole table, and its RAM rows only (the model of Sigma and mu).
    """
    n = len(base)
    lhs, op, rhs = list(base.lhs), list(base.op), list(base.rhs)
    free = base.free.copy()
    value = base.value.copy()
    latent = set(base.latent)
    free_groups = equal_thresholds and base.n_groups > 1 and lavaan_group_rule
    nxt = int(free.max()) if n else 0
    for r in range(n):
        v = lhs[r]
        if free_groups and op[r] == "~1" and v in latent and base.group[r] > 1 and not base.user[r]:
            # lavaan: with equal thresholds the latent means are free in groups 2..
            if free[r] == 0:
                nxt += 1
                free[r] = nxt
                value[r] = np.nan
            continue
        if v not in ordered:
            continue
        if op[r] == "~1" and not base.user[r]:
            free[r] = 0
            value[r] = 0.0
        elif op[r] == "~~" and rhs[r] == v and not base.user[r]:
            if free_groups and parameterization == "theta" and base.group[r] > 1:
                continue  # theta: residual variances free in groups 2..
            free[r] = 0
            value[r] = 0.0 if parameterization == "delta" else 1.0
    # renumber the remaining free parameters compactly (equality sharing kept)
    remap: dict[int, int] = {}
    new_free = np.zeros(n, dtype=int)
    for r in range(n):
        f = int(free[r])
        if f > 0:
            if f not in remap:
                remap[f] = len(remap) + 1
            new_free[r] = remap[f]
    k = len(remap)
    core = replace(base, free=new_free, value=value)
    rows_l, rows_o, rows_r, rows_g, rows_f, rows_v = [], [], [], [], [], []
    th_first: dict[tuple[str, int], int] = {}
    partial = {p.replace(" ", "") for p in group_partial}
    for g in range(1, base.n_groups + 1):
        for v in base.observed:
            if v not in ordered:
                continue
            for t in range(1, nlev[v]):
                rows_l.append(v)
                rows_o.append("|")
                rows_r.append(f"t{t}")
                rows_g.append(g)
                base_v = (threshold_key or {}).get(v, v)
                key = (base_v, t)
                shared = (equal_thresholds and g > 1) or base_v != v
                if shared and f"{v}|t{t}" not in partial and key in th_first:
                    rows_f.append(th_first[key])
                else:
                    k += 1
                    rows_f.append(k)
                    th_first.setdefault(key, k)
                rows_v.append(np.nan)
        for v in base.observed:
            if v in ordered:
                rows_l.append(v)
                rows_o.append("~*~")
                rows_r.append(v)
                rows_g.append(g)
                if free_groups and parameterization == "delta" and g > 1:
                    # lavaan: with equal thresholds the scales are free in groups 2..
                    k += 1
                    rows_f.append(k)
                    rows_v.append(np.nan)
                else:
                    rows_f.append(0)
                    rows_v.append(1.0)
    m = len(rows_l)
    full = replace(
        core,
        lhs=tuple(lhs) + tuple(rows_l),
        op=tuple(op) + tuple(rows_o),
        rhs=tuple(rhs) + tuple(rows_r),
        group=np.concatenate([base.group, np.array(rows_g, dtype=int)]),
        free=np.concatenate([new_free, np.array(rows_f, dtype=int)]),
        value=np.concatenate([value, np.array(rows_v, dtype=float)]),
        label=tuple(base.label) + ("",) * m,
        user=np.concatenate([base.user, np.zeros(m, dtype=bool)]),
        exo=np.concatenate([base.exo, np.zeros(m, dtype=bool)]),
    )
    return full, core


def residual_moments(
    sigma: np.ndarray, mu: np.ndarray, y: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Moments of ``y`` given ``x``: residual covariance, intercepts and slopes.

    ``Pi = Sigma_yx Sigma_xx^-1``, ``Sigma_yy - Pi Sigma_xy`` and ``mu_y - Pi mu_x``
    (lavaan's ``res.cov``, ``res.int``, ``res.slopes``); ``x`` may be empty.
    """
    if x.size == 0:
        return sigma[np.ix_(y, y)], mu[y], np.zeros((y.size, 0))
    Syx = sigma[np.ix_(y, x)]
    Pi = Syx @ np.linalg.inv(sigma[np.ix_(x, x)])
    sig = sigma[np.ix_(y, y)] - Pi @ Syx.T
    return (sig + sig.T) / 2, mu[y] - Pi @ mu[x], Pi


class OrdinalModel:
    """Implied statistics ``sigma(theta)`` of every group and their Jacobian.

    Parameters
    ----------
    full, core : ParTable
        From :func:`ordinal_partable`.
    stats : list of OrdinalStats
        Sample statistics of each group (variables in ``full.observed`` order).
    ordered : set of str
        The ordered variables.
    parameterization : {"delta", "theta"}
    """

    def __init__(
        self,
        full: ParTable,
        core: ParTable,
        stats: list[OrdinalStats],
        ordered: set[str],
        parameterization: str,
    ) -> None:
        self.full = full
        self.core = core
        self.stats = stats
        self.parameterization = parameterization
        self.npar = full.npar
        self.k_ram = core.npar
        all_obs = list(full.observed)
        # conditional.x: the exogenous covariates are in the RAM model (moments fixed at
        # the sample's) but not among the modelled statistics
        self.n_x = stats[0].n_x if stats else 0
        x_names = set(full.exogenous_x) if self.n_x else set()
        obs = [v for v in all_obs if v not in x_names]
        self.y_names = obs
        self.y_idx = np.array([all_obs.index(v) for v in obs], dtype=int)
        self.x_idx = np.array([all_obs.index(v) for v in full.exogenous_x if v in x_names],
                              dtype=int)  # fmt: skip
        self.p = len(obs)
        self.is_ord = np.array([v in ordered for v in obs])
        groups = []
        for s in stats:
            mean = np.zeros(len(all_obs))
            cov = np.zeros((len(all_obs), len(all_obs)))
            cov[np.ix_(self.y_idx, self.y_idx)] = s.cov
            if self.n_x:
                if s.x_mean is None or s.x_cov is None:
                    raise EstimationError("internal: conditional statistics without x moments")
                mean[self.x_idx] = s.x_mean
                cov[np.ix_(self.x_idx, self.x_idx)] = s.x_cov
            groups.append(GroupData(n=s.n, mean=mean, cov=cov, raw=np.zeros((0, len(all_obs)))))
        self.groups = groups
        self.ram = RamModel(core, groups)
        pos = {v: i for i, v in enumerate(obs)}
        # threshold slots of each group: (variable index, free index or -1, fixed value)
        self.slots: list[list[tuple[int, int, float]]] = []
        self.scale_rows: list[dict[int, int]] = []
        for g in range(1, full.n_groups + 1):
            th: dict[str, list[tuple[int, float]]] = {}
            sc: dict[int, int] = {}
            for r in full.rows(g):
                if full.op[r] == "|":
                    th.setdefault(full.lhs[r], []).append((int(full.free[r]) - 1, full.value[r]))
                elif full.op[r] == "~*~":
                    sc[pos[full.lhs[r]]] = r
            slots: list[tuple[int, int, float]] = []
            for v in obs:
                if v in ordered:
                    slots += [(pos[v], f, val) for f, val in th[v]]
                else:
                    slots.append((pos[v], -2, np.nan))  # continuous: minus the mean
            self.slots.append(slots)
            self.scale_rows.append(sc)
        self._slot_arrays = [
            (
                np.array([i for i, _, _ in sl], dtype=int),
                np.array([f for _, f, _ in sl], dtype=int),
                np.array([v for _, _, v in sl], dtype=float),
                np.array([f == -2 for _, f, _ in sl], dtype=bool),
            )
            for sl in self.slots
        ]
        ii, jj = np.tril_indices(self.p, -1)
        order = np.lexsort((ii, jj))
        self.ri, self.rj = ii[order], jj[order]
        self.num_idx = np.flatnonzero(~self.is_ord)

    def conditional_moments(
        self, theta: np.ndarray, g: int, *, jac: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None,
               np.ndarray | None]:  # fmt: skip
        """Implied moments of the modelled variables given the covariates (lavaan's res.*).

        With covariates ``x`` (moments fixed) the RAM moments give the slopes
        ``Pi = Sigma_yx Sigma_xx^-1``, the residual covariance ``Sigma_yy - Pi Sigma_xy``
        and the intercepts ``mu_y - Pi mu_x``; these do not depend on the fixed ``x``
        moments. Without covariates they are the RAM moments and ``Pi`` is empty.

        Returns
        -------
        sig, mu, Pi, dsig, dmu, dPi
            The derivatives (first axis: RAM parameters) are None when ``jac`` is False.
        """
        if jac:
            sigF, muF, dsigF, dmuF = self.ram.jacobian(theta, g)
        else:
            sigF, muF = self.ram.implied(theta, g)
        y, x = self.y_idx, self.x_idx
        if not self.n_x:
            if jac:
                return sigF, muF, np.zeros((self.p, 0)), dsigF, dmuF, np.zeros((0, self.p, 0))
            return sigF, muF, np.zeros((self.p, 0)), None, None, None
        sig, mu, Pi = residual_moments(sigF, muF, y, x)
        Sxx_inv = np.linalg.inv(sigF[np.ix_(x, x)])
        if not jac:
            return sig, mu, Pi, None, None, None
        dSyx = dsigF[:, y][:, :, x]
        dPi = dSyx @ Sxx_inv
        dPS = dSyx @ Pi.T  # d(Syx) Pi'
        dsig = dsigF[:, y][:, :, y] - dPS - dPS.transpose(0, 2, 1)
        dmu = dmuF[:, y] - dPi @ muF[x]
        return sig, mu, Pi, dsig, dmu, dPi

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return self.full.n_groups

    def n_stats(self, g: int) -> int:
        """Length of the statistics vector of group ``g``."""
        return len(self.slots[g]) + self.p * self.n_x + self.num_idx.size + self.ri.size

    def implied(
        self, theta: np.ndarray, g: int, *, jac: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Implied statistics of group ``g`` (0-based) and their Jacobian (m x npar)."""
        K = self.npar
        kr = self.k_ram
        p = self.p
        o = self.is_ord
        theta_param = self.parameterization == "theta"
        sig, mu, Pi, dsig, dmu, dPi = self.conditional_moments(theta, g, jac=jac)
        q = self.n_x
        diag = np.diag(sig).copy()
        if theta_param:
            with np.errstate(invalid="ignore", divide="ignore"):
                delta = np.where(o, 1.0 / np.sqrt(diag), 1.0)
        else:
            delta = np.ones(p)
            for i, r in self.scale_rows[g].items():
                f = int(self.full.free[r])
                delta[i] = theta[f - 1] if f > 0 else self.full.value[r]
        sv, sf, sval, snum = self._slot_arrays[g]
        tau = np.where(sf >= 0, theta[np.maximum(sf, 0)], sval)
        m = self.n_stats(g)
        S = sv.size
        out = np.empty(m)
        out[:S] = np.where(snum, -mu[sv], delta[sv] * (tau - mu[sv]))
        sc = np.where(o, delta, 1.0)
        # slopes, lavaan's vec(res.slopes): covariate by covariate
        s0 = S
        s1 = S + p * q
        out[s0:s1] = (sc[:, None] * Pi).ravel(order="F")
        nn = self.num_idx
        out[s1 : s1 + nn.size] = diag[nn]
        c0 = s1 + nn.size
        ri, rj = self.ri, self.rj
        out[c0:] = sc[ri] * sc[rj] * sig[ri, rj]
        J = np.zeros((m, K))
        if not jac:
            return out, J
        if dsig is None or dmu is None or dPi is None:
            raise EstimationError("internal: the moment derivatives are missing")
        if theta_param:
            with np.errstate(invalid="ignore", divide="ignore"):
                dd = np.einsum("kii->ki", dsig)
            ddelta = np.where(o[None, :], -0.5 * diag[None, :] ** -1.5 * dd, 0.0)
        else:
            ddelta = np.zeros((kr, p))
        dmu_s = dmu[:, sv].T  # (S, kr)
        J[:S, :kr] = np.where(
            snum[:, None],
            -dmu_s,
            (tau - mu[sv])[:, None] * ddelta[:, sv].T - delta[sv][:, None] * dmu_s,
        )
        free = sf >= 0
        J[np.flatnonzero(free), sf[free]] += delta[sv[free]]
        if q:
            # rows (k, i) in column-major order: d(sc_i Pi_ik)
            dP = sc[None, :, None] * dPi  # (kr, p, q)
            if theta_param:
                dP = dP + np.where(o, 1.0, 0.0)[None, :, None] * ddelta[:, :, None] * Pi[None]
            J[s0:s1, :kr] = dP.transpose(0, 2, 1).reshape(kr, p * q).T
        J[s1 : s1 + nn.size, :kr] = dsig[:, nn, nn].T
        J[c0:, :kr] = (sc[ri] * sc[rj])[:, None] * dsig[:, ri, rj].T
        if theta_param:
            dsc = np.where(o[None, :], ddelta, 0.0)
            J[c0:, :kr] += (sig[ri, rj])[:, None] * (
                dsc[:, ri].T * sc[rj][:, None] + sc[ri][:, None] * dsc[:, rj].T
            )
        else:
            # free scales (~*~ in groups 2.. with equal thresholds)
            for i, r in self.scale_rows[g].items():
                f = int(self.full.free[r]) - 1
                if f < 0:
                    continue
                on = sv == i
                J[np.flatnonzero(on & ~snum), f] += (tau - mu[sv])[on & ~snum]
                if q:
                    J[s0 + np.arange(q) * p + i, f] += Pi[i]
                a = np.flatnonzero(ri == i)
                J[c0 + a, f] += sc[rj[a]] * sig[i, rj[a]]
                b = np.flatnonzero(rj == i)
                J[c0 + b, f] += sc[ri[b]] * sig[ri[b], i]
        return out, J

    def residual_variances(self, theta: np.ndarray, g: int) -> np.ndarray:
        """Delta parameterization: ``1/delta^2 - Sigma_0,ii`` of the ordered variables.

        ``Sigma_0`` is the implied (residual, given the covariates) covariance with the
        residual variances of the ordered variables at 0.
        """
        sig, *_ = self.conditional_moments(theta, g, jac=False)
        delta = np.ones(self.p)
        for i, r in self.scale_rows[g].items():
            f = int(self.full.free[r])
            delta[i] = theta[f - 1] if f > 0 else self.full.value[r]
        return 1.0 / delta**2 - np.diag(sig)

    def scaling(self, theta: np.ndarray, g: int) -> np.ndarray:
        """Theta parameterization: ``delta_i = Sigma_ii^{-1/2}`` (residual, given covariates)."""
        sig, *_ = self.conditional_moments(theta, g, jac=False)
        return 1.0 / np.sqrt(np.diag(sig))


@dataclass(frozen=True)
class WLSFit:
    """Outcome of a least-squares fit."""

    theta: np.ndarray
    fmin: float
    iterations: int
    converged: bool
    grad_max: float


def weights(stats: OrdinalStats, estimator: str) -> np.ndarray:
    """The weight matrix of one group: full (WLS) or as a vector (diagonal estimators)."""
    if estimator in ("ULS", "ULSMV"):
        return np.ones(stats.wls_obs.size)
    if stats.gamma is None:
        raise IdentificationError("the asymptotic covariance of the statistics is missing")
    if estimator == "WLS":
        try:
            return np.linalg.inv(stats.gamma)
        except np.linalg.LinAlgError as exc:
            raise IdentificationError(
                "estimator='WLS' needs an invertible Gamma (NACOV) matrix; use 'WLSMV'"
            ) from exc
    return 1.0 / np.diag(stats.gamma)


def _wprod(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    return W[:, None] * X if W.ndim == 1 else W @ X


def fit_wls(
    model: OrdinalModel,
    Ws: list[np.ndarray],
    *,
    start: np.ndarray | None = None,
    max_iter: int = 500,
) -> WLSFit:
    """Minimise the weighted least-squares discrepancy by damped Gauss-Newton."""
    stats = model.stats
    N = sum(s.n for s in stats)
    # lavaan weighs the groups' discrepancies by (N_g - 1) / N (lav_model_objective)
    wg = [(s.n - 1) / N for s in stats]
    if start is None:
        theta = np.zeros(model.npar)
        theta[: model.k_ram] = starting_values(model.core, model.groups)
        for g in range(model.n_groups):
            for s, (_i, f, _v) in enumerate(model.slots[g]):
                if f >= 0:
                    theta[f] = stats[g].wls_obs[s]
        full = model.full
        for r in range(len(full)):
            if full.op[r] == "~*~" and full.free[r] > 0:
                theta[int(full.free[r]) - 1] = 1.0  # free scales start at 1
    else:
        theta = start.copy()

    def evaluate(th: np.ndarray, jac: bool) -> tuple[float, np.ndarray, np.ndarray]:
        F = 0.0
        A = np.zeros((model.npar, model.npar))
        b = np.zeros(model.npar)
        for g in range(model.n_groups):
            sig, J = model.implied(th, g, jac=jac)
            r = stats[g].wls_obs - sig
            Wr = Ws[g] * r if Ws[g].ndim == 1 else Ws[g] @ r
            F += wg[g] * float(r @ Wr)
            if jac:
                b += wg[g] * (J.T @ Wr)
                A += wg[g] * (J.T @ _wprod(Ws[g], J))
        return F, A, b

    F, A, b = evaluate(theta, True)
    if not np.isfinite(F):
        raise ConvergenceError("the starting values give a non-finite discrepancy")
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - it is reported after the loop
        try:
            step = np.linalg.solve(A, b)
        except np.linalg.LinAlgError as exc:
            raise IdentificationError(
                "the model is not identified: the least-squares information matrix is singular"
            ) from exc
        t = 1.0
        while True:
            cand = theta + t * step
            Fc, _, _ = evaluate(cand, False)
            if np.isfinite(Fc) and Fc <= F + 1e-15:
                break
            t /= 2
            if t < 1e-10:
                cand = theta
                Fc = F
                break
        change = np.max(np.abs(cand - theta))
        theta = cand
        F, A, b = evaluate(theta, True)
        if np.max(np.abs(b)) < 1e-10 or change < 1e-12:
            converged = True
            break
    return WLSFit(theta, F, it, converged, float(np.max(np.abs(b))))


def information(
    model: OrdinalModel, theta: np.ndarray, Ws: list[np.ndarray]
) -> tuple[list[np.ndarray], np.ndarray]:
    """Jacobians of each group and ``A = sum_g w_g D' W D``."""
    stats = model.stats
    N = sum(s.n for s in stats)
    Ds = []
    A = np.zeros((model.npar, model.npar))
    for g in range(model.n_groups):
        _, J = model.implied(theta, g)
        Ds.append(J)
        A += stats[g].n / N * (J.T @ _wprod(Ws[g], J))
    return Ds, A


def traces_ugamma(
    Ds: list[np.ndarray],
    Ws: list[np.ndarray],
    gammas: list[np.ndarray],
    ns: list[int],
    A_inv: np.ndarray,
) -> tuple[float, float]:
    """``tr(U Gamma)`` and ``tr((U Gamma)^2)`` over the stacked groups.

    ``U Gamma = W Gamma - E A^-1 E' Gamma`` with ``E = W D`` (group blocks weighted by
    ``N_g/N``, Gamma by ``N/N_g``). Expanded so that no m x m product is formed:
    ``tr((U Gamma)^2) = tr(W Gamma W Gamma) - 2 tr(A^-1 F W F') + tr(A^-1 G A^-1 G)`` with
    ``F = E' Gamma`` and ``G = F E``.
    """
    N = sum(ns)
    K = A_inv.shape[0]
    t1 = 0.0
    tww = 0.0
    FWF = np.zeros((K, K))
    G = np.zeros((K, K))
    for D, W, Gam, n in zip(Ds, Ws, gammas, ns, strict=True):
        fg = n / N
        Gm = Gam / fg
        if W.ndim == 1:
            w = fg * W
            E = w[:, None] * D
            WG = w[:, None] * Gm
            F = E.T @ Gm
            FW = F * w[None, :]
        else:
            Wf = fg * W
            E = Wf @ D
            WG = Wf @ Gm
            F = E.T @ Gm
            FW = F @ Wf
        t1 += float(np.trace(WG))
        tww += float(np.sum(WG * WG.T))
        FWF += FW @ F.T
        G += F @ E
    AG = A_inv @ G
    tr1 = t1 - float(np.trace(AG))
    tr2 = tww - 2 * float(np.sum(A_inv * FWF.T)) + float(np.sum(AG * AG.T))
    return tr1, tr2
