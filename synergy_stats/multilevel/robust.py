"""Cluster-robust single-level SEM: Mplus ``TYPE=COMPLEX``, lavaan's ``cluster=`` with MLR.

The point estimates are the ordinary (ML or FIML) ones. What changes is the "meat" of the
sandwich and of the scaled test: casewise scores are summed within clusters before their
outer product is taken, with the small-sample factor ``C/(C-1)`` (C clusters in a group):

    B_g = C_g/(C_g - 1) sum_c s_c s_c',   s_c = sum_{i in c} s_i,

``Var(theta) = A^-1 (sum_g B_g / N) A^-1 / N`` with ``A`` the observed information per
observation, and the Yuan-Bentler (Mplus) scaling factor uses the same cluster-summed
scores of the unrestricted and of the restricted model (lavaan's
``lav_mvnorm_information_firstorder`` with ``cluster.idx``; Muthen & Satorra 1995).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from synergy_stats.errors import EstimationError
from synergy_stats.multilevel.cluster import ClusterInfo
from synergy_stats.structural.estimate import Objective
from synergy_stats.structural.inference import (
    _h1_expected_info,
    _h1_observed_info,
    _h1_scores,
    casewise_scores,
    fiml_corrected,
    h1_keep,
    invert_information,
    observed_information,
)
from synergy_stats.structural.results import SEMResult

__all__ = ["ClusterRobustResult", "cluster_meat", "cluster_sandwich_vcov", "kept_rows"]


def _sum_by_cluster(scores: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Scores summed within clusters, times ``sqrt(C/(C-1))``."""
    uniq, inv = np.unique(codes, return_inverse=True)
    out = np.zeros((len(uniq), scores.shape[1]))
    np.add.at(out, inv, scores)
    c = len(uniq)
    return out * np.sqrt(c / (c - 1)) if c > 1 else out


def cluster_meat(scores: list[np.ndarray], codes: list[np.ndarray]) -> list[np.ndarray]:
    """``B_g``: the cluster-summed outer products of each group (not divided by N)."""
    out = []
    for s, c in zip(scores, codes, strict=True):
        sc = _sum_by_cluster(s, c)
        out.append(sc.T @ sc)
    return out


def cluster_sandwich_vcov(
    objective: Objective,
    theta: np.ndarray,
    info: np.ndarray,
    names: list[str],
    codes: list[np.ndarray],
) -> np.ndarray:
    """Cluster-robust sandwich ``A^-1 B A^-1 / N`` (lavaan ``se = "robust.cluster"``).

    ``A`` is the information per observation (``info``), ``B = sum_g B_g / N`` with
    ``B_g`` from :func:`cluster_meat`.
    """
    n = objective.ntotal
    A_inv = invert_information(info, 1, names)
    B = sum(cluster_meat(casewise_scores(objective, theta), codes)) / n
    V = A_inv @ B @ A_inv / n
    return (V + V.T) / 2


def cluster_yuan_bentler_trace(
    objective: Objective, theta: np.ndarray, e_inv: np.ndarray, codes: list[np.ndarray]
) -> float:
    """``tr(U Gamma)`` of the Yuan-Bentler (Mplus) scaled test with cluster-summed scores.

    As :func:`synergy_stats.structural.inference.yuan_bentler_trace`, with every mean outer
    product of casewise scores replaced by its cluster-summed version. The fixed-x
    covariates' own moments (their means and their covariance block) are not modelled and
    are left out of the saturated model's part, as lavaan does (:func:`h1_keep`).
    """
    ms = objective.meanstructure
    total = 0.0
    scores0 = casewise_scores(objective, theta)
    pt = objective.compiled.pt
    x_idx = [pt.observed.index(v) for v in pt.exogenous_x]
    for g, gd in enumerate(objective.groups):
        # the saturated model's part depends on the data only: shared by the model and its
        # baseline (same group data, same clusters)
        key = ("cluster_trace_h1", ms, tuple(x_idx), codes[g].tobytes())
        if key not in gd.cache:
            h1_ms = ms or not gd.complete
            keep = h1_keep(len(pt.observed), x_idx, h1_ms)
            s1 = _sum_by_cluster(_h1_scores(gd, h1_ms)[:, keep], codes[g])
            B1 = s1.T @ s1 / gd.n
            A1 = _h1_expected_info(gd, ms) if gd.complete else _h1_observed_info(gd)
            A1 = A1[np.ix_(keep, keep)]
            gd.cache[key] = float(np.trace(np.linalg.solve(A1, B1)))
        trace_h1 = float(gd.cache[key])
        s0 = _sum_by_cluster(scores0[g], codes[g])
        B0 = s0.T @ s0 / gd.n
        trace_h0 = gd.n / objective.ntotal * float(np.sum(B0 * e_inv.T))
        total += trace_h1 - trace_h0
    return total


def kept_rows(
    data: pd.DataFrame,
    observed: tuple[str, ...],
    exogenous_x: tuple[str, ...],
    group: str | None,
    group_labels: tuple[Any, ...],
    *,
    fiml: bool,
) -> list[np.ndarray]:
    """Positions of the rows each group of a fit uses (the rules of ``ss.sem``'s data step)."""
    x = data[list(observed)].to_numpy(dtype=float)
    miss = ~np.isfinite(x)
    keep = np.ones(len(data), dtype=bool)
    if group is not None:
        keep &= data[group].notna().to_numpy()
    if fiml:
        keep &= ~miss.all(axis=1)
        idx = [list(observed).index(v) for v in exogenous_x]
        if idx:
            keep &= ~miss[:, idx].any(axis=1)
    else:
        keep &= ~miss.any(axis=1)
    if group is None:
        return [np.flatnonzero(keep)]
    gv = data[group].to_numpy()
    return [np.flatnonzero(keep & (gv == lab)) for lab in group_labels]


@dataclass(frozen=True, eq=False)
class ClusterRobustResult(SEMResult):
    """A single-level fit with cluster-robust standard errors and test.

    Everything is as :class:`~synergy_stats.structural.results.SEMResult`, except that
    ``vcov_matrix`` is the cluster-robust sandwich and the scaled test (and the robust fit
    indices built on it) use cluster-summed scores.

    Attributes
    ----------
    cluster_info : ClusterInfo
        The validated cluster column (counts, sizes, singletons).
    cluster_codes : tuple of numpy.ndarray
        Cluster code of every row used, per group.
    """

    cluster_info: ClusterInfo | None = field(default=None, repr=False)
    cluster_codes: tuple[np.ndarray, ...] = field(default=(), repr=False)

    @classmethod
    def wrap(
        cls, result: SEMResult, info: ClusterInfo, codes: tuple[np.ndarray, ...]
    ) -> ClusterRobustResult:
        """The same fit, with cluster-robust inference."""
        if len(codes) != result.n_groups or any(
            len(c) != gd.n for c, gd in zip(codes, result.group_data, strict=True)
        ):
            raise EstimationError("internal: cluster codes do not line up with the rows used")
        kw = {f.name: getattr(result, f.name) for f in fields(SEMResult)}
        return cls(**kw, cluster_info=info, cluster_codes=codes)

    @property
    def n_clusters(self) -> int:
        """Number of clusters (over all groups)."""
        return len(np.unique(np.concatenate(self.cluster_codes)))

    @cached_property
    def vcov_matrix(self) -> np.ndarray:
        """Cluster-robust sandwich (observed information as the bread)."""
        K = self.theta.size
        if not self._se:
            return np.full((K, K), np.nan)
        names = self.parameter_names()
        info = observed_information(self._objective, self.theta)
        invert_information(info, self._objective.ntotal, names)
        return cluster_sandwich_vcov(
            self._objective, self.theta, info, names, list(self.cluster_codes)
        )

    @cached_property
    def _scaling_factor(self) -> float:
        if self.df <= 0:
            return float("nan")
        info = observed_information(self._objective, self.theta)
        e_inv = invert_information(info, 1, self.parameter_names())
        tr = cluster_yuan_bentler_trace(
            self._objective, self.theta, e_inv, list(self.cluster_codes)
        )
        return tr / self.df

    @cached_property
    def _baseline(self) -> SEMResult:
        from synergy_stats.structural.api import _fit_baseline

        info = self.cluster_info
        if info is None:
            raise EstimationError("internal: a cluster-robust fit without its cluster column")
        return ClusterRobustResult.wrap(_fit_baseline(self), info, self.cluster_codes)

    def _fiml_corrected(self) -> dict[str, float]:
        """FIML-corrected robust indices with the saturated model's cluster-summed scores."""
        meat = []
        for g, gd in enumerate(self._groups):
            s = _sum_by_cluster(_h1_scores(gd, True), self.cluster_codes[g])
            meat.append(s.T @ s / gd.n)
        return fiml_corrected(self, h1_meat=meat)

    def fit_measures(self) -> pd.Series:
        """Fit measures as :meth:`SEMResult.fit_measures`, plus ``n_clusters``.

        Under FIML the robust CFI, TLI and RMSEA (Zhang & Savalei's correction) use the
        cluster-summed scores of the saturated model, as lavaan.
        """
        out = super().fit_measures()
        out["n_clusters"] = float(self.n_clusters)
        return out
