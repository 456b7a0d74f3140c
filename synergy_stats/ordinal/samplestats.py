"""Two-step sample statistics of ordinal (and mixed) data, and their asymptotic covariance.

Step 1 (univariate): the thresholds of each ordered variable from its margins,
``tau_k = Phi^-1(P(y <= k))``, and the mean and (ML) variance of each continuous one.
Step 2 (bivariate): every correlation by maximum likelihood with the step-1 statistics held
fixed: polychoric for two ordered variables, polyserial for a continuous-ordered pair and
the (two-step) Pearson correlation for two continuous variables (Olsson 1979; Olsson,
Drasgow & Dorans 1982). All pairs of one kind are estimated at once by a vectorised Newton
iteration on the bivariate normal cell probabilities (no loop over pairs).

The asymptotic covariance (``NACOV``, Gamma) of the statistics ``s = (tau, var, rho)``
follows Muthen (1984) as lavaan's ``lav_samplestats_step1/step2`` and ``muthen1984`` do:
with the casewise scores ``SC = [SC_uni, SC_rho]`` of the univariate and bivariate
log-likelihoods, ``A11`` the per-variable blocks of ``SC_uni' SC_uni``, ``A22`` the diagonal
of ``SC_rho' SC_rho`` and ``A21`` the cross-products of the correlation scores with the
bivariate scores of the step-1 parameters,

    B^-1 = [[A11^-1, 0], [-A22^-1 A21 A11^-1, A22^-1]],
    Gamma = N B^-1 (SC' SC) B^-T,

followed by the delta-method map from correlations to covariances for continuous variables.

References
----------
Muthen, B. (1984). A general structural equation model with dichotomous, ordered
categorical, and continuous latent variable indicators. Psychometrika, 49, 115-132.
Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient.
Psychometrika, 44, 443-460.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr, ndtri

from synergy_stats.errors import ConvergenceWarning, SynergyWarning
from synergy_stats.ordinal.bvn import bvn_density, bvn_lower

__all__ = ["OrdinalStats", "influence", "ordinal_sample_stats"]

_RHO_MAX = 0.999
_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))


def _dnorm(x: np.ndarray) -> np.ndarray:
    """Standard normal density, 0 at +-inf."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.exp(-0.5 * np.asarray(x, float) ** 2) / np.sqrt(2 * np.pi)
    return np.where(np.isfinite(x), out, 0.0)


@dataclass(frozen=True)
class OrdinalStats:
    """Sample statistics of one group for categorical estimation.

    Attributes
    ----------
    n : int
        Rows of the group.
    ordered : numpy.ndarray of bool
        Which variables are ordered.
    nlev : numpy.ndarray of int
        Number of categories of each ordered variable (0 for continuous).
    thresholds : list of numpy.ndarray
        Thresholds of each ordered variable (empty for continuous).
    mean, var : numpy.ndarray
        Means and ML variances (NaN / 1 for ordered variables); with covariates the
        intercepts and ML residual variances given them.
    cor : numpy.ndarray
        The correlation matrix (polychoric / polyserial / Pearson).
    cov : numpy.ndarray
        ``cor`` rescaled to covariances for the continuous variables.
    wls_obs : numpy.ndarray
        The statistics vector ``(tau, var_num, vech_offdiag(cov))`` in lavaan's order (a
        continuous variable's "threshold" is minus its mean).
    gamma : numpy.ndarray or None
        Their asymptotic covariance ``N Var(wls_obs)`` (None when not asked for).
    th_var : numpy.ndarray
        Index of the variable of each threshold slot.
    empty_cells : list of tuple
        Pairs of ordered variables (by index) whose bivariate table has an empty cell.
    n_pairs : numpy.ndarray
        Number of complete cases for each pair (``p x p``).
    slopes : numpy.ndarray or None
        With exogenous covariates (lavaan's ``conditional.x``): the (p x q) slopes of each
        variable on the covariates; ``wls_obs`` is then ``(tau, vec(slopes), var_num,
        vech_offdiag(cov))`` with ``tau``, ``var`` and ``cov`` residual (given ``x``).
    x_mean, x_cov : numpy.ndarray or None
        Mean and ML covariance of the covariates (the fixed-x moments).
    """

    n: int
    ordered: np.ndarray
    nlev: np.ndarray
    thresholds: list[np.ndarray]
    mean: np.ndarray
    var: np.ndarray
    cor: np.ndarray
    cov: np.ndarray
    wls_obs: np.ndarray
    gamma: np.ndarray | None
    th_var: np.ndarray
    empty_cells: list[tuple[int, int]] = field(default_factory=list)
    n_pairs: np.ndarray | None = None
    slopes: np.ndarray | None = None
    x_mean: np.ndarray | None = None
    x_cov: np.ndarray | None = None

    @property
    def n_x(self) -> int:
        """Number of exogenous covariates (0 without ``conditional.x``)."""
        return 0 if self.slopes is None else int(self.slopes.shape[1])

    @property
    def p(self) -> int:
        """Number of variables."""
        return int(self.ordered.size)

    @property
    def n_th(self) -> int:
        """Number of threshold slots (one per continuous variable too)."""
        return int(self.th_var.size)


# ---------------------------------------------------------------------- step 1
def _thresholds(codes: np.ndarray, K: int) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds of one ordered variable (codes 1..K, 0 missing) and the category counts."""
    obs = codes[codes > 0]
    counts = np.bincount(obs, minlength=K + 1)[1:]
    cum = np.cumsum(counts)[:-1] / obs.size
    return ndtri(cum), counts


def _padded(th: np.ndarray, kmax: int) -> np.ndarray:
    """``[-inf, tau_1, ..., tau_{K-1}, +inf, +inf...]`` of length ``kmax + 1``."""
    out = np.full(kmax + 1, np.inf)
    out[0] = -np.inf
    out[1 : 1 + th.size] = th
    return out


# ---------------------------------------------------------------------- step 2: ordinal pairs
def _cell_probs(
    t1: np.ndarray, t2: np.ndarray, rho: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell probabilities and their first two rho-derivatives for many pairs.

    ``t1``, ``t2``: (P, K+1) padded thresholds; ``rho``: (P,). Returns (P, K, K) arrays.
    """
    h = t1[:, :, None]
    k = t2[:, None, :]
    r = rho[:, None, None]
    F = bvn_lower(h, k, r)
    d = bvn_density(h, k, r)
    fin = np.isfinite(h) & np.isfinite(k)
    hh = np.where(fin, h, 0.0)
    kk = np.where(fin, k, 0.0)
    s2 = 1.0 - r * r
    q = hh * hh - 2 * r * hh * kk + kk * kk
    dd = d * (r / s2 + hh * kk / s2 - r * q / s2**2)

    def cells(M: np.ndarray) -> np.ndarray:
        return M[:, 1:, 1:] - M[:, :-1, 1:] - M[:, 1:, :-1] + M[:, :-1, :-1]

    return cells(F), cells(d), cells(dd)


def _polychoric_pairs(
    freq: np.ndarray, t1: np.ndarray, t2: np.ndarray, names: list[tuple[str, str]]
) -> np.ndarray:
    """Vectorised safeguarded Newton iteration for the polychoric correlations of all pairs.

    ``freq``: (P, K, K) cell counts (0-padded), ``t1``, ``t2``: (P, K+1) padded thresholds.
    Each pair takes Newton steps on its log-likelihood ``sum f_ab log pi_ab(rho)`` (Fisher
    scoring where the curvature is not negative), halved while the likelihood decreases.
    """
    P = freq.shape[0]
    n = freq.sum(axis=(1, 2))
    obs = freq > 0

    def loglik(idx: np.ndarray, r: np.ndarray) -> np.ndarray:
        pi, _, _ = _cell_probs(t1[idx], t2[idx], r)
        f = freq[idx]
        bad = np.any(obs[idx] & ~(pi > 0), axis=(1, 2))
        ll = np.sum(
            np.where(obs[idx], f * np.log(np.where(obs[idx] & (pi > 0), pi, 1.0)), 0.0), axis=(1, 2)
        )
        return np.where(bad, -np.inf, ll)

    rho = np.zeros(P)
    active = np.ones(P, dtype=bool)
    for _ in range(100):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        r0 = rho[idx]
        pi, d1, d2 = _cell_probs(t1[idx], t2[idx], r0)
        f = freq[idx]
        ok = obs[idx] & (pi > 0)
        pis = np.where(ok, pi, 1.0)
        g = np.sum(np.where(ok, f * d1 / pis, 0.0), axis=(1, 2))
        hess = np.sum(np.where(ok, f * (d2 / pis - (d1 / pis) ** 2), 0.0), axis=(1, 2))
        pos = pi > 0
        fisher = n[idx] * np.sum(np.where(pos, d1 * d1 / np.where(pos, pi, 1.0), 0.0), axis=(1, 2))
        step = np.where(
            hess < 0, -g / np.where(hess < 0, hess, -1.0), g / np.maximum(fisher, 1e-300)
        )
        step = np.clip(step, -0.5, 0.5)
        ll0 = np.sum(np.where(ok, f * np.log(pis), 0.0), axis=(1, 2))
        new = np.clip(r0 + step, -_RHO_MAX, _RHO_MAX)
        for _half in range(40):
            ll1 = loglik(idx, new)
            worse = ll1 < ll0 - 1e-12 * np.abs(ll0)
            if not worse.any():
                break
            new = np.where(worse, r0 + 0.5 * (new - r0), new)
        rho[idx] = new
        moved = np.abs(new - r0)
        done = (moved < 1e-11) | (np.abs(g) < 1e-10 * np.maximum(n[idx], 1))
        active[idx[done]] = False
    if active.any():
        bad = [f"{names[i][0]} x {names[i][1]}" for i in np.flatnonzero(active)]
        warnings.warn(
            f"polychoric correlation(s) did not converge for {bad}",
            ConvergenceWarning,
            stacklevel=4,
        )
    return rho


def _zero_add_2x2(freq: np.ndarray, nlev1: np.ndarray, nlev2: np.ndarray) -> np.ndarray:
    """Apply lavaan's ``zero.add = c(0.5, 0)``, margins kept: 2 x 2 tables with one zero."""
    out = freq.astype(float).copy()
    two = (nlev1 == 2) & (nlev2 == 2)
    for p in np.flatnonzero(two):
        t = out[p, :2, :2]
        zeros = np.argwhere(t == 0)
        if len(zeros) != 1:
            continue
        a, b = zeros[0]
        if a == b:  # (1,1) or (2,2) empty
            t[0, 0] += 0.5
            t[1, 1] += 0.5
            t[0, 1] -= 0.5
            t[1, 0] -= 0.5
        else:
            t[0, 0] -= 0.5
            t[1, 1] -= 0.5
            t[0, 1] += 0.5
            t[1, 0] += 0.5
    return out


# ---------------------------------------------------------------------- step 2: polyserial
def _polyserial_score_rho(
    z: np.ndarray, tu: np.ndarray, tl: np.ndarray, rho: np.ndarray, valid: np.ndarray
) -> np.ndarray:
    R = np.sqrt(1.0 - rho * rho)
    zz = np.where(valid, z, 0.0)
    a = (tu - rho * zz) / R
    b = (tl - rho * zz) / R
    prob = np.maximum(ndtr(a) - ndtr(b), np.finfo(float).eps)
    ta = np.where(np.isfinite(tu), _dnorm(a) * (rho * np.where(np.isfinite(tu), tu, 0.0) - zz), 0.0)
    tb = np.where(np.isfinite(tl), _dnorm(b) * (rho * np.where(np.isfinite(tl), tl, 0.0) - zz), 0.0)
    return np.where(valid, (ta - tb) / (R**3 * prob), 0.0)


def _polyserial_pairs(
    z: np.ndarray, tu: np.ndarray, tl: np.ndarray, valid: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """Vectorised Newton (numerical second derivative) for all polyserial pairs (N, P)."""
    rho = np.clip(start, -0.9, 0.9)
    active = np.ones(rho.size, dtype=bool)
    h = 1e-6
    for _ in range(100):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        r = rho[idx]
        args = (z[:, idx], tu[:, idx], tl[:, idx])
        v = valid[:, idx]
        g = _polyserial_score_rho(*args, r, v).sum(axis=0)
        gp = _polyserial_score_rho(*args, r + h, v).sum(axis=0)
        gm = _polyserial_score_rho(*args, r - h, v).sum(axis=0)
        hess = (gp - gm) / (2 * h)
        step = np.where(hess < 0, -g / np.where(hess < 0, hess, -1.0), 0.1 * np.sign(g))
        step = np.clip(step, -0.5, 0.5)
        rho[idx] = np.clip(r + step, -_RHO_MAX, _RHO_MAX)
        done = np.abs(step) < 1e-11
        active[idx[done]] = False
    return rho


# ---------------------------------------------------------------------- step 2: numeric
def _pearson_pairs(za: np.ndarray, zb: np.ndarray) -> np.ndarray:
    """Two-step ML correlations of standardized continuous pairs (N, P), NaN missing."""
    ok = np.isfinite(za) & np.isfinite(zb)
    za0, zb0 = np.where(ok, za, 0.0), np.where(ok, zb, 0.0)
    s11 = (za0 * za0).sum(0)
    s22 = (zb0 * zb0).sum(0)
    s12 = (za0 * zb0).sum(0)
    m = ok.sum(0)
    r = s12 / np.sqrt(s11 * s22)

    def score(r: np.ndarray) -> np.ndarray:
        R2 = 1 - r * r
        return m * r / R2 + s12 / R2 - r * (s11 - 2 * r * s12 + s22) / R2**2

    for _ in range(50):
        g = score(r)
        step = -g / ((score(r + 1e-6) - g) / 1e-6)
        r = np.clip(r + step, -_RHO_MAX, _RHO_MAX)
        if np.all(np.abs(step) < 1e-12):
            break
    return r


def covariance_scale(
    IF: np.ndarray,
    rho: np.ndarray,
    ri: np.ndarray,
    rj: np.ndarray,
    ordered: np.ndarray,
    var: np.ndarray,
    var_col: dict[int, int],
    th_cols: np.ndarray,
    *,
    correlation_scale: bool = False,
) -> np.ndarray:
    """Map the influence of correlations to covariances for continuous variables.

    A continuous variable's correlations become covariances (delta method, with its
    variance column entering) and its "threshold" column is minus its mean (or intercept).

    Parameters
    ----------
    IF : numpy.ndarray
        (N, q1 + P) influence, the last ``P`` columns the correlations of pairs
        ``(ri, rj)``.
    rho : numpy.ndarray
        The correlations.
    ri, rj : numpy.ndarray
        Variables of each pair.
    ordered, var : numpy.ndarray
        Which variables are ordered; (residual) variances.
    var_col : dict
        Column of each continuous variable's variance.
    th_cols : numpy.ndarray
        Columns of the continuous variables' mean (intercept) slots.
    correlation_scale : bool
        Keep the correlations (only the sign of the mean columns changes).
    """
    q1 = IF.shape[1] - rho.size
    if not correlation_scale:
        sdv = np.sqrt(var)
        Hm = np.eye(IF.shape[1])
        for pr in range(rho.size):
            a, b = int(ri[pr]), int(rj[pr])
            row = q1 + pr
            if not ordered[a] and not ordered[b]:
                Hm[row, var_col[a]] = sdv[b] * rho[pr] / (2 * sdv[a])
                Hm[row, var_col[b]] = sdv[a] * rho[pr] / (2 * sdv[b])
                Hm[row, row] = sdv[a] * sdv[b]
            elif not (ordered[a] and ordered[b]):
                nv = b if ordered[a] else a
                Hm[row, var_col[nv]] = rho[pr] / (2 * sdv[nv])
                Hm[row, row] = sdv[nv]
        IF = IF @ Hm.T
    IF = IF.copy()
    IF[:, th_cols] = -IF[:, th_cols]
    return IF


# ---------------------------------------------------------------------- main
def ordinal_sample_stats(
    x: np.ndarray,
    ordered: np.ndarray,
    nlev: np.ndarray,
    *,
    names: list[str],
    gamma: bool = True,
    correlation_scale: bool = False,
) -> OrdinalStats:
    """Two-step statistics (thresholds, means, variances, correlations) and their NACOV.

    Parameters
    ----------
    x : numpy.ndarray
        (N, p) data: ordered variables coded 1..K, NaN for missing.
    ordered : numpy.ndarray of bool
        Which columns are ordered.
    nlev : numpy.ndarray of int
        Categories of each ordered column (ignored for continuous ones).
    names : list of str
        Column names (for messages).
    gamma : bool
        Compute the asymptotic covariance matrix (needed for standard errors and tests).
    correlation_scale : bool
        Give Gamma for the correlations themselves (no map to covariances for continuous
        variables), as needed for standard errors of the correlation matrix.

    Returns
    -------
    OrdinalStats
    """
    N, p = x.shape
    ordered = np.asarray(ordered, dtype=bool)
    nlev = np.where(ordered, np.asarray(nlev, dtype=int), 0)
    miss = ~np.isfinite(x)
    codes = np.where(ordered[None, :] & ~miss, np.nan_to_num(x, nan=0.0), 0.0).astype(int)
    kmax = int(nlev.max()) if ordered.any() else 0

    # ---- step 1
    ths: list[np.ndarray] = []
    mean = np.full(p, np.nan)
    var = np.ones(p)
    th_var: list[int] = []
    for j in range(p):
        if ordered[j]:
            th, _ = _thresholds(codes[:, j], int(nlev[j]))
            ths.append(th)
            th_var += [j] * th.size
        else:
            col = x[~miss[:, j], j]
            mean[j] = col.mean()
            var[j] = np.mean((col - mean[j]) ** 2)
            ths.append(np.zeros(0))
            th_var.append(j)
    th_var_a = np.array(th_var, dtype=int)
    th_start = np.zeros(p, dtype=int)
    pos = 0
    for j in range(p):
        th_start[j] = pos
        pos += max(ths[j].size, 1) if not ordered[j] else ths[j].size
    n_th = pos
    sd = np.sqrt(var)
    z = np.where(ordered[None, :] | miss, np.nan, (x - np.where(np.isnan(mean), 0, mean)) / sd)

    # ---- step 2
    ii, jj = np.tril_indices(p, -1)
    # lavaan's vech order (column-major lower triangle): by column j, then row i
    order = np.lexsort((ii, jj))
    ri, rj = ii[order], jj[order]  # row index > column index
    P = ri.size
    cor = np.eye(p)
    rho = np.zeros(P)
    n_pairs = np.zeros((p, p), dtype=int)
    both_ok = (~miss).astype(float)
    npair_mat = both_ok.T @ both_ok
    n_pairs[:] = npair_mat.astype(int)
    kind = np.where(ordered[ri] & ordered[rj], 2, np.where(ordered[ri] | ordered[rj], 1, 0))
    empty: list[tuple[int, int]] = []

    pads = [_padded(ths[j], kmax) if ordered[j] else np.zeros(kmax + 1) for j in range(p)]
    # ordinal-ordinal
    oo = np.flatnonzero(kind == 2)
    freq = np.zeros((oo.size, max(kmax, 1), max(kmax, 1)))
    if oo.size:
        # the "y1" of a pair is the column variable (lavaan: fit.y1 = UNI[[j]])
        v1, v2 = rj[oo], ri[oo]
        c1, c2 = codes[:, v1], codes[:, v2]
        okc = (c1 > 0) & (c2 > 0)
        flat = (c1 - 1) * kmax + (c2 - 1)
        for m in range(oo.size):  # bincount per pair: counting only, no optimisation
            freq[m] = np.bincount(flat[okc[:, m], m], minlength=kmax * kmax).reshape(kmax, kmax)
        n1, n2 = nlev[v1], nlev[v2]
        within = (np.arange(kmax)[None, :, None] < n1[:, None, None]) & (
            np.arange(kmax)[None, None, :] < n2[:, None, None]
        )
        has_empty = np.any((freq == 0) & within, axis=(1, 2))
        empty = [(int(v1[m]), int(v2[m])) for m in np.flatnonzero(has_empty)]
        freq_used = _zero_add_2x2(freq, n1, n2)
        t1 = np.array([pads[v] for v in v1])
        t2 = np.array([pads[v] for v in v2])
        pair_names = [(names[a], names[b]) for a, b in zip(v2, v1, strict=True)]
        rho[oo] = _polychoric_pairs(freq_used, t1, t2, pair_names)
    # mixed: numeric y1, ordinal y2
    mo = np.flatnonzero(kind == 1)
    if mo.size:
        num = np.where(ordered[ri[mo]], rj[mo], ri[mo])
        orv = np.where(ordered[ri[mo]], ri[mo], rj[mo])
        zc = z[:, num]
        cc = codes[:, orv]
        valid = np.isfinite(zc) & (cc > 0)
        tpad = np.array([pads[v] for v in orv])  # (P, K+1)
        cidx = np.clip(cc, 1, kmax)
        tu = np.take_along_axis(tpad.T, cidx, axis=0)
        tl = np.take_along_axis(tpad.T, cidx - 1, axis=0)
        start = np.zeros(mo.size)
        rho[mo] = _polyserial_pairs(zc, tu, tl, valid, start)
    # numeric-numeric: ML with the means and variances fixed
    nn = np.flatnonzero(kind == 0)
    if nn.size:
        r = _pearson_pairs(z[:, ri[nn]], z[:, rj[nn]])
        rho[nn] = r
    cor[ri, rj] = rho
    cor[rj, ri] = rho
    for a, b in zip(ri, rj, strict=True):
        if abs(cor[a, b]) > 0.99:
            warnings.warn(
                f"the correlation between {names[a]} and {names[b]} is (nearly) 1.0 "
                f"({cor[a, b]:.4f})",
                SynergyWarning,
                stacklevel=3,
            )
    scale = np.where(ordered, 1.0, sd)
    cov = cor * np.outer(scale, scale)
    num_idx = np.flatnonzero(~ordered)
    th_vec = np.concatenate([ths[j] if ordered[j] else np.array([-mean[j]]) for j in range(p)])
    wls_obs = np.concatenate([th_vec, var[num_idx], cov[ri, rj]])
    G = None
    if gamma:
        G = _gamma(
            x,
            z,
            codes,
            miss,
            ordered,
            nlev,
            kmax,
            ths,
            pads,
            mean,
            var,
            th_start,
            n_th,
            ri,
            rj,
            kind,
            rho,
            freq if oo.size else None,
            oo,
            mo,
            nn,
            correlation_scale,
        )
    return OrdinalStats(
        n=N,
        ordered=ordered,
        nlev=nlev,
        thresholds=ths,
        mean=mean,
        var=var,
        cor=cor,
        cov=cov,
        wls_obs=wls_obs,
        gamma=G,
        th_var=th_var_a,
        empty_cells=empty,
        n_pairs=n_pairs,
    )


def influence(
    SC1: np.ndarray, blocks: list[list[int]], SC2: np.ndarray, A21: np.ndarray
) -> np.ndarray:
    """Casewise influence ``IF = SC B^-T`` of the two-step statistics (Muthen 1984).

    Parameters
    ----------
    SC1 : numpy.ndarray
        (N, q1) casewise scores of the univariate (step-1) log-likelihoods.
    blocks : list of list of int
        The columns of ``SC1`` that belong to one variable (its own likelihood).
    SC2 : numpy.ndarray
        (N, P) casewise scores of each bivariate log-likelihood in its correlation.
    A21 : numpy.ndarray
        (P, q1) cross-products of the correlation scores with the bivariate scores of the
        step-1 parameters.

    Returns
    -------
    numpy.ndarray
        (N, q1 + P); ``Gamma = N IF' IF``.
    """
    q1 = SC1.shape[1]
    A11inv = np.zeros((q1, q1))
    for idx in blocks:
        blk = SC1[:, idx].T @ SC1[:, idx]
        A11inv[np.ix_(idx, idx)] = np.linalg.inv(blk)
    a22 = np.einsum("np,np->p", SC2, SC2)
    IF1 = SC1 @ A11inv
    IF2 = (SC2 - IF1 @ A21.T) / a22
    return np.hstack([IF1, IF2])


def _gamma(
    x, z, codes, miss, ordered, nlev, kmax, ths, pads, mean, var, th_start, n_th,
    ri, rj, kind, rho, freq, oo, mo, nn, correlation_scale=False,
) -> np.ndarray:  # fmt: skip
    """Muthen (1984) asymptotic covariance of ``(tau, var_num, vech_offdiag(cov))``."""
    N, p = x.shape
    P = ri.size
    num_idx = np.flatnonzero(~ordered)
    n_num = num_idx.size
    var_col = {int(j): n_th + k for k, j in enumerate(num_idx)}
    q1 = n_th + n_num
    SC1 = np.zeros((N, q1))
    SC2 = np.zeros((N, P))
    A21 = np.zeros((P, q1))
    # ---- univariate scores
    for j in range(p):
        if ordered[j]:
            K = int(nlev[j])
            c = codes[:, j]
            t = pads[j][: K + 1]
            ok = c > 0
            cc = np.clip(c, 1, K)
            prob = ndtr(t[cc]) - ndtr(t[cc - 1])
            for k in range(1, K):
                dens = _dnorm(np.array(t[k]))
                sc = np.where(cc == k, dens / prob, 0.0) - np.where(cc == k + 1, dens / prob, 0.0)
                SC1[:, th_start[j] + k - 1] = np.where(ok, sc, 0.0)
        else:
            ok = ~miss[:, j]
            zz = np.where(ok, z[:, j], 0.0)
            sd = np.sqrt(var[j])
            SC1[:, th_start[j]] = np.where(ok, zz / sd, 0.0)
            SC1[:, var_col[j]] = np.where(ok, (zz * zz - 1) / (2 * var[j]), 0.0)
    # ---- ordinal-ordinal pairs, cell level
    if oo.size:
        v1, v2 = rj[oo], ri[oo]
        t1 = np.array([pads[v] for v in v1])
        t2 = np.array([pads[v] for v in v2])
        r = rho[oo]
        pi, d1, _ = _cell_probs(t1, t2, r)
        okp = pi > _SQRT_EPS
        pis = np.where(okp, pi, 1.0)
        grho = np.where(okp, d1 / pis, 0.0)  # (P, K, K)
        c1, c2 = codes[:, v1], codes[:, v2]
        okc = (c1 > 0) & (c2 > 0)
        cc1, cc2 = np.clip(c1, 1, kmax) - 1, np.clip(c2, 1, kmax) - 1
        pidx = np.arange(oo.size)[None, :]
        SC2[:, oo] = np.where(okc, grho[pidx, cc1, cc2], 0.0)
        R = np.sqrt(1 - r * r)[:, None, None]
        # D1[k, b] = phi(t1_k) [Phi((t2_b - r t1_k)/R) - Phi((t2_{b-1} - r t1_k)/R)], k = 1..K-1
        tk = t1[:, 1:kmax, None]  # (P, K-1, 1)
        tk0 = np.where(np.isfinite(tk), tk, 0.0)
        up = ndtr((t2[:, None, 1:] - r[:, None, None] * tk0) / R)
        lo = ndtr((t2[:, None, :-1] - r[:, None, None] * tk0) / R)
        D1 = np.where(np.isfinite(tk), _dnorm(tk) * (up - lo), 0.0)  # (P, K-1, K)
        M = freq * grho / pis  # f_ab grho_ab / pi_ab
        A1 = np.sum(D1 * (M[:, :-1, :] - M[:, 1:, :]), axis=2)  # (P, K-1)
        sk = t2[:, None, 1:kmax]  # (P, 1, K-1)
        sk0 = np.where(np.isfinite(sk), sk, 0.0)
        up2 = ndtr((t1[:, 1:, None] - r[:, None, None] * sk0) / R)
        lo2 = ndtr((t1[:, :-1, None] - r[:, None, None] * sk0) / R)
        D2 = np.where(np.isfinite(sk), _dnorm(sk) * (up2 - lo2), 0.0)  # (P, K, K-1)
        A2 = np.sum(D2 * (M[:, :, :-1] - M[:, :, 1:]), axis=1)  # (P, K-1)
        for m, pr in enumerate(oo):
            a, b = v1[m], v2[m]
            A21[pr, th_start[a] : th_start[a] + nlev[a] - 1] = A1[m, : nlev[a] - 1]
            A21[pr, th_start[b] : th_start[b] + nlev[b] - 1] = A2[m, : nlev[b] - 1]
    # ---- polyserial pairs
    if mo.size:
        num = np.where(ordered[ri[mo]], rj[mo], ri[mo])
        orv = np.where(ordered[ri[mo]], ri[mo], rj[mo])
        zc = z[:, num]
        cc = codes[:, orv]
        valid = np.isfinite(zc) & (cc > 0)
        zz = np.where(valid, zc, 0.0)
        tpad = np.array([pads[v] for v in orv])
        cidx = np.clip(cc, 1, kmax)
        tu = np.take_along_axis(tpad.T, cidx, axis=0)
        tl = np.take_along_axis(tpad.T, cidx - 1, axis=0)
        r = rho[mo][None, :]
        R = np.sqrt(1 - r * r)
        a = (tu - r * zz) / R
        b = (tl - r * zz) / R
        prob = np.maximum(ndtr(a) - ndtr(b), np.finfo(float).eps)
        fa, fb = _dnorm(a), _dnorm(b)
        s_rho = _polyserial_score_rho(zc, tu, tl, rho[mo][None, :], valid)
        SC2[:, mo] = s_rho
        sd = np.sqrt(var[num])[None, :]
        d_mu = np.where(valid, (zz + (r / R) * (fa - fb) / prob) / sd, 0.0)
        d_var = np.where(
            valid, ((zz * zz - 1) + (r * zz / R) * (fa - fb) / prob) / (2 * sd**2), 0.0
        )
        w_up = np.where(valid, fa / (R * prob), 0.0)
        w_lo = np.where(valid, fb / (R * prob), 0.0)
        for m, pr in enumerate(mo):
            nv, ov = int(num[m]), int(orv[m])
            A21[pr, th_start[nv]] = s_rho[:, m] @ d_mu[:, m]
            A21[pr, var_col[nv]] = s_rho[:, m] @ d_var[:, m]
            K = int(nlev[ov])
            cm = cc[:, m]
            for k in range(1, K):
                sc = np.where(cm == k, w_up[:, m], 0.0) - np.where(cm == k + 1, w_lo[:, m], 0.0)
                A21[pr, th_start[ov] + k - 1] = s_rho[:, m] @ sc
    # ---- numeric-numeric pairs
    if nn.size:
        ia, ib = ri[nn], rj[nn]
        za, zb = z[:, ia], z[:, ib]
        ok = np.isfinite(za) & np.isfinite(zb)
        za, zb = np.where(ok, za, 0.0), np.where(ok, zb, 0.0)
        r = rho[nn][None, :]
        R2 = 1 - r * r
        q = za * za - 2 * r * za * zb + zb * zb
        s_rho = np.where(ok, r / R2 + za * zb / R2 - r * q / R2**2, 0.0)
        SC2[:, nn] = s_rho
        sa, sb = np.sqrt(var[ia])[None, :], np.sqrt(var[ib])[None, :]
        dmu_a = np.where(ok, (za - r * zb) / (sa * R2), 0.0)
        dmu_b = np.where(ok, (zb - r * za) / (sb * R2), 0.0)
        dv_a = np.where(ok, -1 / (2 * sa**2) + za * (za - r * zb) / (2 * sa**2 * R2), 0.0)
        dv_b = np.where(ok, -1 / (2 * sb**2) + zb * (zb - r * za) / (2 * sb**2 * R2), 0.0)
        for m, pr in enumerate(nn):
            a, b = int(ia[m]), int(ib[m])
            A21[pr, th_start[a]] = s_rho[:, m] @ dmu_a[:, m]
            A21[pr, th_start[b]] = s_rho[:, m] @ dmu_b[:, m]
            A21[pr, var_col[a]] = s_rho[:, m] @ dv_a[:, m]
            A21[pr, var_col[b]] = s_rho[:, m] @ dv_b[:, m]
    blocks = []
    for j in range(p):
        idx = list(range(th_start[j], th_start[j] + (int(nlev[j]) - 1 if ordered[j] else 1)))
        if not ordered[j]:
            idx.append(var_col[j])
        blocks.append(idx)
    IF = influence(SC1, blocks, SC2, A21)
    # continuous variables: correlations -> covariances (and variances enter)
    if n_num:
        neg = np.array([th_start[j] for j in num_idx])
        IF = covariance_scale(
            IF, rho, ri, rj, ordered, var, var_col, neg, correlation_scale=correlation_scale
        )
    return N * (IF.T @ IF)
