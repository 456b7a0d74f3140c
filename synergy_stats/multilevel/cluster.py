"""The cluster column: one validation shared by every function that takes one.

A cluster column holds the id of the unit each respondent sits in (department, street).
Ids may be numbers or strings and need not be sorted or contiguous: rows are grouped by
value, never by position (lavaan 0.6-5 once mis-read unsorted ids). Missing ids are an
error that names the rows, unless the caller asks for those rows to be dropped, which
then warns with :class:`~synergy_stats.errors.DroppedDataWarning`. Clusters with a single
member are counted and reported.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from synergy_stats._typing import check_arguments, check_option
from synergy_stats.errors import ClusterError, ClusterWarning, DroppedDataWarning

__all__ = ["ClusterInfo", "MissingCluster", "validate_cluster"]

MissingCluster = Literal["error", "drop"]


def factorize_ids(values: Any) -> tuple[np.ndarray, pd.Index]:
    """0-based codes of ids and the sorted distinct ids (``pd.factorize(sort=True)``).

    Ids of mixed types (numbers and text in one column) cannot be sorted by value; they are
    ordered by type name, then text, so the coding stays deterministic.
    """
    try:
        codes, labels = pd.factorize(values, sort=True)
        return codes, labels
    except TypeError:
        codes, labels = pd.factorize(values, sort=False)
    order = sorted(range(len(labels)), key=lambda i: (type(labels[i]).__name__, str(labels[i])))
    remap = np.empty(len(order), dtype=np.intp)
    remap[order] = np.arange(len(order))
    return remap[codes], pd.Index([labels[i] for i in order], dtype=object)


@dataclass(frozen=True)
class ClusterInfo:
    """A validated cluster column.

    Attributes
    ----------
    column : str
        Name of the cluster column.
    keep : numpy.ndarray
        Boolean mask over the rows of the data: True for rows with a cluster id.
    codes : numpy.ndarray
        0-based cluster code of every kept row (in row order), codes follow the sorted ids.
    labels : tuple
        The cluster id of each code.
    sizes : numpy.ndarray
        Rows per cluster (kept rows).
    n_dropped : int
        Rows dropped for a missing id (only with ``missing="drop"``).
    """

    column: str
    keep: np.ndarray
    codes: np.ndarray
    labels: tuple[Any, ...]
    sizes: np.ndarray
    n_dropped: int

    @property
    def n_clusters(self) -> int:
        """Number of clusters."""
        return len(self.labels)

    @property
    def n_singletons(self) -> int:
        """Number of clusters with a single member."""
        return int(np.sum(self.sizes == 1))

    @property
    def mean_size(self) -> float:
        """Mean number of rows per cluster."""
        return float(self.sizes.mean()) if self.sizes.size else float("nan")

    def subset(self, mask: np.ndarray) -> ClusterInfo:
        """The clusters of the kept rows selected by ``mask`` (a mask over kept rows)."""
        codes, labels = pd.factorize(
            pd.Series(np.asarray(self.labels, dtype=object)[self.codes][mask]), sort=True
        )
        keep = self.keep.copy()
        keep[np.flatnonzero(self.keep)[~mask]] = False
        return ClusterInfo(
            self.column,
            keep,
            codes.astype(int),
            tuple(labels.tolist()),
            np.bincount(codes, minlength=len(labels)),
            self.n_dropped,
        )

    def describe(self) -> str:
        """One line: clusters, sizes, singletons, dropped rows."""
        s = self.sizes
        text = (
            f"{self.n_clusters} clusters in {self.column!r} (sizes {int(s.min())}-{int(s.max())}, "
            f"mean {self.mean_size:.1f})"
        )
        if self.n_singletons:
            text += f", {self.n_singletons} of size 1"
        if self.n_dropped:
            text += f", {self.n_dropped} row(s) without an id dropped"
        return text


def validate_cluster(
    data: pd.DataFrame,
    cluster: str,
    *,
    argument: str = "cluster",
    missing: MissingCluster = "error",
    min_clusters: int = 2,
    what: str = "",
    warn_singletons: bool = True,
    stacklevel: int = 3,
) -> ClusterInfo:
    """Check a cluster column and code its ids.

    Parameters
    ----------
    data : pandas.DataFrame
        The data (not modified).
    cluster : str
        Name of the cluster column.
    argument : str
        The caller's name for the argument (``"cluster"``, ``"group"``, ``"groups"``), used in
        messages.
    missing : {"error", "drop"}
        Rows with a missing id: an error naming them (default) or dropped with a
        :class:`~synergy_stats.errors.DroppedDataWarning`.
    min_clusters : int
        Fewest clusters accepted.
    what : str
        The calling function, for messages.
    warn_singletons : bool
        Warn (:class:`~synergy_stats.errors.ClusterWarning`) with the number of clusters of
        size 1.
    stacklevel : int
        Passed to :func:`warnings.warn`.

    Returns
    -------
    ClusterInfo

    Raises
    ------
    ClusterError
        The column is absent, has missing ids (with ``missing="error"``), or fewer than
        ``min_clusters`` clusters remain.

    Examples
    --------
    The check behind lavaan's ``sem(..., cluster = "department")``:

    >>> info = validate_cluster(df, "department")  # doctest: +SKIP
    >>> info.n_clusters, info.n_singletons  # doctest: +SKIP
    """
    check_arguments(validate_cluster, locals())
    check_option("missing_cluster", missing, MissingCluster)
    where = f"{what}: " if what else ""
    if not isinstance(data, pd.DataFrame):
        raise ClusterError(f"{where}data={type(data).__name__} is not a pandas DataFrame")
    if not isinstance(cluster, str) or cluster not in data.columns:
        raise ClusterError(
            f"{where}{argument}={cluster!r} is not a column of data; use one of "
            f"{list(map(str, data.columns))[:30]}"
        )
    col = data[cluster]
    if isinstance(col, pd.DataFrame):
        raise ClusterError(
            f"{where}{argument}={cluster!r} names {col.shape[1]} columns of data (the column "
            "name repeats); rename them"
        )
    unhashable = [v for v in col.tolist() if not isinstance(v, Hashable)]
    if unhashable:
        raise ClusterError(
            f"{where}{argument}={cluster!r} holds {len(unhashable)} value(s) that are not "
            f"ids, e.g. {unhashable[0]!r}; use numbers or text"
        )
    isna = col.isna().to_numpy()
    n_dropped = 0
    if isna.any():
        rows = data.index[isna].tolist()
        shown = ", ".join(map(repr, rows[:10])) + (" ..." if len(rows) > 10 else "")
        if missing == "error":
            raise ClusterError(
                f"{where}{argument}={cluster!r} has {len(rows)} missing id(s), at row(s) "
                f"{shown}; fill them in, or pass missing_cluster='drop' to drop those rows"
            )
        n_dropped = len(rows)
        warnings.warn(
            f"{where}{n_dropped} row(s) with a missing {argument} id ({cluster!r}) dropped: "
            f"{shown}",
            DroppedDataWarning,
            stacklevel=stacklevel,
        )
    keep = ~isna
    codes, labels = factorize_ids(col[keep])
    sizes = np.bincount(codes, minlength=len(labels))
    info = ClusterInfo(cluster, keep, codes.astype(int), tuple(labels.tolist()), sizes, n_dropped)
    if info.n_clusters < min_clusters:
        raise ClusterError(
            f"{where}{argument}={cluster!r} has {info.n_clusters} cluster(s); at least "
            f"{min_clusters} are needed"
        )
    if warn_singletons and info.n_singletons:
        warnings.warn(
            f"{where}{info.n_singletons} of {info.n_clusters} clusters in {cluster!r} have a "
            "single member; they carry no within-cluster information",
            ClusterWarning,
            stacklevel=stacklevel,
        )
    return info
