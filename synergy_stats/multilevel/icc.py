"""Item intraclass correlations from the saturated two-level model (``lavInspect(fit, "icc")``)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synergy_stats._typing import check_arguments
from synergy_stats.errors import DataValidationError, DroppedDataWarning
from synergy_stats.multilevel.cluster import MissingCluster, validate_cluster
from synergy_stats.multilevel.twolevel import _layout, make_twolevel_data, saturated
from synergy_stats.structural.spec import ModelSpec, Statement

__all__ = ["ItemICC", "item_icc"]


@dataclass(frozen=True)
class ItemICC:
    """ICCs and the within/between covariance matrices of a set of items.

    Attributes
    ----------
    icc : pandas.Series
        ``sigma2_B / (sigma2_B + sigma2_W)`` of each item.
    within_cov, between_cov : pandas.DataFrame
        The unrestricted two-level ML estimates of Sigma_W and Sigma_B
        (``lavInspect(fit, "h1")$within$cov`` and ``$between$cov``).
    mean : pandas.Series
        The item means (carried by the between level).
    n, n_clusters : int
        Rows and clusters used.
    mean_cluster_size : float
        ``n / n_clusters``.
    loglik : float
        Log-likelihood of the saturated two-level model.
    boundary : bool
        Whether ``between_cov`` is singular at the ML estimate (the maximum lies on the
        bound of a positive-semidefinite Sigma_B, common with few clusters; a
        :class:`~synergy_stats.errors.ClusterWarning` says so).
    """

    icc: pd.Series
    within_cov: pd.DataFrame
    between_cov: pd.DataFrame
    mean: pd.Series
    n: int
    n_clusters: int
    mean_cluster_size: float
    loglik: float
    boundary: bool = False

    def table(self) -> pd.DataFrame:
        """One row per item: ``icc var_within var_between design_effect``.

        The design effect is ``1 + (m - 1) ICC`` with ``m`` the mean cluster size
        (Kish 1965).
        """
        return pd.DataFrame(
            {
                "icc": self.icc,
                "var_within": np.diag(self.within_cov),
                "var_between": np.diag(self.between_cov),
                "design_effect": 1 + (self.mean_cluster_size - 1) * self.icc,
            }
        )


def item_icc(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    cluster: str,
    missing_cluster: MissingCluster = "error",
) -> ItemICC:
    """ICCs of items from the saturated two-level model, as lavaan's ``lavInspect(fit, "icc")``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; not modified.
    items : sequence of str
        Numeric item (or score) columns.
    cluster : str
        Column of cluster ids (numbers or strings, any order).
    missing_cluster : {"error", "drop"}
        Rows with a missing cluster id: an error naming them, or dropped with a warning.

    Returns
    -------
    ItemICC

    Raises
    ------
    ClusterError
        An unusable cluster column (see :func:`synergy_stats.multilevel.validate_cluster`).
    DataValidationError
        An item that is not a numeric column.

    Warns
    -----
    DroppedDataWarning
        Rows with a missing item value are left out (listwise).

    Notes
    -----
    The saturated model has free ``Sigma_W`` and ``Sigma_B`` and free means, fitted by
    two-level ML (:mod:`synergy_stats.multilevel.twolevel`); the ICC of item k is
    ``Sigma_B[k,k] / (Sigma_B[k,k] + Sigma_W[k,k])``. Unlike the ANOVA ICC(1) of
    :func:`synergy_stats.icc`, it is the ML estimate and uses all items jointly.

    Examples
    --------
    Mirrors ``lavInspect(sem(saturated, data, cluster = "dept"), "icc")`` with ``saturated``
    free (co)variances of the items in a ``level: 1`` and a ``level: 2`` block:

    >>> out = item_icc(df, ["mech1", "mech2", "mech3"], cluster="department")  # doctest: +SKIP
    >>> out.icc  # doctest: +SKIP
    """
    check_arguments(item_icc, locals())
    if isinstance(items, str) or not len(items):
        raise DataValidationError(f"items={items!r} must be a non-empty list of column names")
    items = list(dict.fromkeys(items))
    info = validate_cluster(data, cluster, missing=missing_cluster, what="item_icc")
    absent = [c for c in items if c not in data.columns]
    if absent:
        raise DataValidationError(f"items {absent} are not columns of data")
    bad = [c for c in items if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise DataValidationError(f"items {bad} are not numeric; code the answers as numbers")
    empty = [c for c in items if not data.loc[info.keep, c].notna().any()]
    if empty:
        raise DataValidationError(f"items {empty} have no observed value")
    st = [
        Statement(a, "~~", b, level=lev)
        for lev in (1, 2)
        for i, a in enumerate(items)
        for b in items[i:]
    ]
    lay = _layout(ModelSpec(tuple(st)), list(data.columns))
    x = data[items].to_numpy(dtype=float)[info.keep]
    codes = info.codes
    ok = np.isfinite(x).all(axis=1)
    if not ok.all():
        warnings.warn(
            f"item_icc: {int((~ok).sum())} of {len(x)} rows dropped for missing item values",
            DroppedDataWarning,
            stacklevel=2,
        )
        x, codes = x[ok], codes[ok]
    tl = make_twolevel_data(x, codes, lay.names, len(items))
    h1 = saturated(lay, tl)
    return ItemICC(
        icc=h1.icc(),
        within_cov=pd.DataFrame(h1.within_cov, index=items, columns=items),
        between_cov=pd.DataFrame(h1.between_cov, index=items, columns=items),
        mean=pd.Series(h1.mean, index=items, name="mean"),
        n=tl.n,
        n_clusters=tl.n_clusters,
        mean_cluster_size=tl.n / tl.n_clusters,
        loglik=h1.loglik,
        boundary=h1.boundary,
    )
