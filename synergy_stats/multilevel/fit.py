"""Routing of ``ss.sem(..., cluster=...)``: cluster-robust single-level or two-level ML."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from synergy_stats.errors import ClusterWarning, OptionError
from synergy_stats.multilevel.cluster import MissingCluster, validate_cluster
from synergy_stats.structural.spec import ModelSpec

__all__ = ["sem_clustered"]


def sem_clustered(
    spec: ModelSpec,
    data: pd.DataFrame,
    *,
    cluster: str | None,
    missing_cluster: MissingCluster,
    kwargs: dict[str, Any],
) -> Any:
    """Fit ``spec`` with a cluster column: two-level ML when it has level blocks, else MLR.

    ``kwargs`` are the remaining keyword arguments of :func:`synergy_stats.sem`.
    """
    from synergy_stats.structural.api import sem

    levels = {s.level for s in spec.statements}
    two_level = bool(levels - {0})
    if cluster is None:
        raise OptionError(
            "the model has level: blocks, which need cluster=<column of cluster ids>; "
            "cluster=None given"
        )
    info = validate_cluster(
        data,
        cluster,
        missing=missing_cluster,
        what="sem",
        warn_singletons=not two_level,
        stacklevel=5,
    )
    sub = data if not info.n_dropped else data.loc[info.keep]
    if two_level:
        from synergy_stats.multilevel.twolevel import fit_twolevel

        return fit_twolevel(spec, sub, cluster=cluster, info=info, **kwargs)
    from synergy_stats.multilevel.robust import ClusterRobustResult, kept_rows

    if kwargs.get("engine", "numpy") != "numpy":
        raise OptionError("cluster= needs engine='numpy'")
    kwargs = dict(kwargs)
    kwargs["estimator"] = "MLR"  # lavaan: a cluster on a single-level model means robust.cluster
    if kwargs.get("meanstructure") is None:
        kwargs["meanstructure"] = True  # lavaan's default with a cluster
    res = sem(spec, sub, **kwargs)
    group = kwargs.get("group")
    rows = kept_rows(
        sub,
        res.partable.observed,
        res.partable.exogenous_x,
        group,
        res.group_labels,
        fiml=res.options.missing == "fiml",
    )
    ids = sub[cluster].to_numpy()
    codes = []
    for g, r in enumerate(rows):
        c, _ = pd.factorize(ids[r])
        codes.append(c.astype(int))
        nc = len(np.unique(c))
        where = "" if group is None else f" in group {res.group_labels[g]!r}"
        if nc < res.npar:
            warnings.warn(
                f"{nc} clusters{where} for {res.npar} free parameters: the cluster-robust "
                "covariance matrix has rank at most the number of clusters, so its standard "
                "errors and scaled test are unreliable",
                ClusterWarning,
                stacklevel=4,
            )
    return ClusterRobustResult.wrap(res, info, tuple(codes))
