"""Sample statistics of each group: moments for complete data, missing-data patterns for FIML.

Covariances use the maximum-likelihood divisor N, as lavaan does for normal-theory ML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synergy_stats.errors import DataValidationError, EstimationError

__all__ = ["GroupData", "Pattern", "em_saturated", "make_group_data"]


@dataclass(frozen=True)
class Pattern:
    """Cases of one group sharing a missing-data pattern.

    ``obs`` indexes the observed variables present; ``mean`` and ``cov`` are the ML moments
    of those cases on those variables (cov about the pattern's own mean).
    """

    obs: np.ndarray
    n: int
    mean: np.ndarray
    cov: np.ndarray
    rows: np.ndarray

    @property
    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """``numpy.ix_(obs, obs)``: selects the pattern's block of a p x p matrix."""
        return (self.obs[:, None], self.obs[None, :])


@dataclass(frozen=True)
class GroupData:
    """Data of one group.

    Attributes
    ----------
    n : int
        Rows used.
    mean, cov : numpy.ndarray
        ML sample mean and covariance (complete data), or the EM (saturated FIML) estimates.
    raw : numpy.ndarray
        The rows used (n x p), NaN for missing values.
    patterns : tuple of Pattern
        Missing-data patterns (a single complete pattern for complete data).
    complete : bool
        True when ``raw`` has no missing value.
    """

    n: int
    mean: np.ndarray
    cov: np.ndarray
    raw: np.ndarray
    patterns: tuple[Pattern, ...] = field(default=())
    complete: bool = True
    #: statistics of the data alone (e.g. the saturated model's information), computed
    #: once by :mod:`synergy_stats.structural.inference` and shared by every fit of it
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def make_group_data(x: np.ndarray, *, fiml: bool, copy: bool = True) -> GroupData:
    """Compute the statistics of one group from its (already filtered) rows.

    ``x`` is copied (unless ``copy=False``, for arrays the caller owns) so that the result
    never shares memory with the caller's data.
    """
    n, p = x.shape
    if n == 0:
        raise DataValidationError("a group has no rows left to analyse")
    colsum = x.sum(axis=0)
    complete = bool(np.isfinite(colsum).all())
    if complete:
        raw = np.array(x, dtype=float, order="F", copy=True if copy else None)
        mean = colsum / n
        cov = (raw.T @ raw) / n - np.outer(mean, mean)
        var = np.diag(cov)
        # the one-pass formula loses digits when means dwarf spreads: centre then
        if not np.all(var > 0) or np.max(mean**2 / np.where(var > 0, var, 1.0)) > 1e6:
            xc = raw - mean
            cov = (xc.T @ xc) / n
        cov = (cov + cov.T) / 2
        pat = Pattern(np.arange(p), n, mean, cov, np.arange(n))
        return GroupData(n, mean, cov, raw, (pat,), True)
    if not fiml:
        raise EstimationError("internal: missing values reached a complete-data fit")
    x = np.array(x, dtype=float, copy=True if copy else None)
    miss = np.isnan(x)
    keys = np.packbits(~miss, axis=1)
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    patterns = []
    for k in range(inverse.max() + 1):
        rows = np.flatnonzero(inverse == k)
        obs = np.flatnonzero(~miss[rows[0]])
        if obs.size == 0:
            continue
        sub = x[np.ix_(rows, obs)]
        m = sub.mean(axis=0)
        c = sub - m
        patterns.append(Pattern(obs, len(rows), m, (c.T @ c) / len(rows), rows))
    mean, cov = em_saturated(x, patterns)
    return GroupData(n, mean, cov, x, tuple(patterns), False)


def em_saturated(
    x: np.ndarray, patterns: list[Pattern], *, tol: float = 1e-11, max_iter: int = 5000
) -> tuple[np.ndarray, np.ndarray]:
    """EM estimates of the unrestricted mean and covariance under missing at random.

    Notes
    -----
    Each iteration fills every case's missing part with its conditional expectation
    given the observed part and adds the conditional covariance (Dempster, Laird & Rubin,
    1977; Little & Rubin 2002, ch. 11). The result is the saturated (h1) model of FIML.
    """
    n, p = x.shape
    mu = np.nanmean(x, axis=0)
    var = np.nanvar(x, axis=0)
    if np.any(~np.isfinite(mu)) or np.any(~(var > 0)):
        bad = np.flatnonzero(~np.isfinite(mu) | ~(var > 0))
        raise DataValidationError(
            f"variable(s) at position(s) {bad.tolist()} have no observed values or no variance"
        )
    from synergy_stats.structural.engine import pattern_batches

    batches = pattern_batches(x)
    sigma = np.diag(var)
    for _ in range(max_iter):
        P = np.linalg.inv(sigma)
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for b in batches:
            z = (b.y - mu) * b.mask
            m = b.miss.shape[1]
            if m == 0:
                filled = z + mu
            else:
                # E(y_m | y_o) = mu_m - P_mm^-1 P_mo (y_o - mu_o); Cov(y_m | y_o) = P_mm^-1
                idx = b.miss
                Pmm_inv = np.linalg.inv(P[idx[:, :, None], idx[:, None, :]])
                r = np.einsum("nmp,np->nm", P[idx][b.case_pattern], z)
                fill = mu[idx][b.case_pattern] - np.einsum("nmk,nk->nm", Pmm_inv[b.case_pattern], r)
                filled = z + mu * b.mask
                np.put_along_axis(filled, idx[b.case_pattern], fill, axis=1)
                counts = b.weight * n
                np.add.at(
                    t2,
                    (idx[:, :, None], idx[:, None, :]),
                    counts[:, None, None] * Pmm_inv,
                )
            t1 += filled.sum(axis=0)
            t2 += filled.T @ filled
        mu_new = t1 / n
        sigma_new = t2 / n - np.outer(mu_new, mu_new)
        delta = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(sigma_new - sigma)))
        mu, sigma = mu_new, sigma_new
        if delta < tol:
            break
    return mu, (sigma + sigma.T) / 2
