"""Nested data: one notion of the cluster column, cluster-robust and two-level SEM, item ICCs.

:func:`validate_cluster` is the single check of a cluster column used by the nesting helpers
of :mod:`synergy_stats.regression` (``icc``, ``rwg``, ``rwg_j``, ``mixedlm``) and by the SEM
(``ss.sem(..., cluster=...)``).
"""

from __future__ import annotations

from synergy_stats.multilevel.cluster import ClusterInfo, MissingCluster, validate_cluster

__all__ = ["ClusterInfo", "MissingCluster", "validate_cluster"]
