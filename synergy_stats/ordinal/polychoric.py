"""``polychoric()``: polychoric, polyserial and Pearson correlations with standard errors.

The estimates are lavaan's two-step ones (``lavCor(data, ordered = ...)``): thresholds from
the margins, then every correlation by bivariate maximum likelihood with the thresholds
(and the means and variances of continuous columns) held fixed. All pairs are estimated at
once (:mod:`synergy_stats.ordinal.samplestats`). Standard errors are those of
``lavCor(..., se = "standard")``: ``sqrt(diag(Gamma) / (N - 1))`` with Gamma the
Muthen (1984) asymptotic covariance of the two-step statistics.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from synergy_stats._typing import check_arguments, check_option
from synergy_stats.errors import (
    DataValidationError,
    DroppedDataWarning,
    EstimationError,
    SynergyWarning,
)
from synergy_stats.ordinal.fit import EmptyCellWarning, code_ordered
from synergy_stats.ordinal.samplestats import OrdinalStats, ordinal_sample_stats

__all__ = ["NotPositiveDefiniteWarning", "PolychoricResult", "polychoric", "smooth_correlation"]

PolyMissing = Literal["listwise", "pairwise"]


class NotPositiveDefiniteWarning(SynergyWarning):
    """A correlation matrix is not positive definite (a smoothed one is provided)."""


@dataclass(frozen=True)
class PolychoricResult:
    """Two-step correlations of ordered (and continuous) columns.

    Attributes
    ----------
    cor : pandas.DataFrame
        The correlation matrix: polychoric (two ordered columns), polyserial (ordered and
        continuous) or Pearson (two continuous columns), as estimated.
    thresholds : pandas.Series
        Thresholds of the ordered columns, indexed ``"x1|t1"``, ``"x1|t2"``, ...
    se : pandas.DataFrame
        Standard errors of the correlations (NaN on the diagonal).
    threshold_se : pandas.Series
        Standard errors of the thresholds.
    smoothed : pandas.DataFrame or None
        A positive-definite smoothed version of ``cor`` when ``cor`` is not positive
        definite (eigenvalues below 1e-12 raised, as ``psych::cor.smooth``), else None.
    empty_cells : list of tuple of str
        Pairs of ordered columns whose bivariate table has an empty cell.
    n : int
        Rows used.
    ordered : tuple of str
        The columns treated as ordered.
    levels : dict
        The observed codes of each ordered column (category ``k`` is ``levels[col][k-1]``).
    gamma : numpy.ndarray
        The asymptotic covariance ``N Var`` of ``(thresholds, means/variances, correlations)``.
    """

    cor: pd.DataFrame
    thresholds: pd.Series
    se: pd.DataFrame
    threshold_se: pd.Series
    smoothed: pd.DataFrame | None
    empty_cells: list[tuple[str, str]]
    n: int
    ordered: tuple[str, ...]
    levels: dict[str, tuple[float, ...]]
    gamma: np.ndarray

    def estimates(self) -> pd.DataFrame:
        """Long table ``lhs op rhs est se`` (thresholds ``|`` and correlations ``~~``)."""
        rows = []
        for name, val, sev in zip(
            self.thresholds.index,
            self.thresholds.to_numpy(),
            self.threshold_se.to_numpy(),
            strict=True,
        ):
            lhs, _, rhs = str(name).partition("|")
            rows.append((lhs, "|", rhs, float(val), float(sev)))
        names = list(self.cor.columns)
        for j in range(len(names)):
            for i in range(j + 1, len(names)):
                rows.append(
                    (
                        names[j],
                        "~~",
                        names[i],
                        float(self.cor.to_numpy()[i, j]),
                        float(self.se.to_numpy()[i, j]),
                    )
                )
        return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", "se"])


def smooth_correlation(r: np.ndarray, *, eig_tol: float = 1e-12) -> np.ndarray:
    """Smooth a correlation matrix to positive definiteness (``psych::cor.smooth``).

    Notes
    -----
    Eigenvalues below ``eig_tol`` are set to ``100 eig_tol``, all are rescaled to sum to
    ``p``, the matrix is rebuilt and rescaled to unit diagonal.
    """
    vals, vecs = np.linalg.eigh(r)
    vals = np.where(vals < eig_tol, 100 * eig_tol, vals)
    vals = vals * r.shape[0] / vals.sum()
    out = (vecs * vals) @ vecs.T
    d = np.sqrt(np.diag(out))
    out = out / np.outer(d, d)
    return (out + out.T) / 2


def polychoric(
    data: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    ordered: bool | Sequence[str] = True,
    missing: PolyMissing = "listwise",
) -> PolychoricResult:
    """Polychoric (and polyserial / Pearson) correlations, as lavaan's ``lavCor``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; never modified.
    columns : sequence of str, optional
        Columns to correlate (default: all).
    ordered : bool or sequence of str
        True (default): every column is ordered; a list: those columns are ordered and the
        others continuous (polyserial and Pearson correlations for them).
    missing : {"listwise", "pairwise"}
        Drop incomplete rows (with a warning), or use all available cases of each variable
        and pair.

    Returns
    -------
    PolychoricResult

    Raises
    ------
    DataValidationError
        A column is missing, an ordered column has non-integer codes, a single observed
        category or more than 20 categories, or a continuous column is not numeric.

    Warns
    -----
    EmptyCellWarning
        Some bivariate tables have empty cells (they enter the likelihood with zero counts,
        as in lavaan; 2 x 2 tables with one empty cell get 0.5 added).
    NotPositiveDefiniteWarning
        The matrix is not positive definite; ``.smoothed`` holds a smoothed one.

    Examples
    --------
    Mirrors lavaan's ``lavCor(d, ordered = names(d), se = "standard", output = "fit")``
    and psych's ``polychoric(d)$rho`` (without psych's smoothing and continuity
    correction):

    >>> import synergy_stats as ss  # doctest: +SKIP
    >>> pc = ss.polychoric(items)  # doctest: +SKIP
    >>> pc.cor.round(3)  # doctest: +SKIP
    """
    check_arguments(polychoric, locals())
    check_option("missing", missing, PolyMissing)
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data={type(data).__name__} is not accepted; give a pandas DataFrame"
        )
    cols = list(data.columns) if columns is None else list(columns)
    if isinstance(columns, str):
        raise DataValidationError(f"columns={columns!r} must be a list of column names")
    unknown = [c for c in cols if c not in data.columns]
    if unknown:
        raise DataValidationError(
            f"columns {unknown} are not in data; available: {list(data.columns)[:30]}"
        )
    if len(cols) < 2:
        raise DataValidationError(f"columns={cols} must name at least two columns")
    repeated = [c for c in cols if int((data.columns == c).sum()) > 1 or cols.count(c) > 1]
    if repeated:
        raise DataValidationError(f"column {repeated[0]!r} repeats; name each column once")
    if ordered is True:
        ord_cols = cols
    elif ordered is False:
        ord_cols = []
    else:
        ord_cols = [c for c in ordered]
        bad = [c for c in ord_cols if c not in cols]
        if bad:
            raise DataValidationError(f"ordered={bad} are not among the columns {cols}")
    ord_set = set(ord_cols)
    mats = []
    levels: dict[str, tuple[float, ...]] = {}
    for c in cols:
        if c in ord_set:
            x, lev = code_ordered(data, c)
            levels[c] = lev
        else:
            s = data[c]
            if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
                raise DataValidationError(
                    f"column {c!r} is not numeric (dtype {s.dtype}); list it in ordered= or "
                    "code it as numbers"
                )
            x = s.to_numpy(dtype=float)
            x = np.where(np.isfinite(x), x, np.nan)
        mats.append(x)
    X = np.column_stack(mats)
    miss = ~np.isfinite(X)
    if missing == "listwise":
        inc = miss.any(axis=1)
        if inc.any():
            warnings.warn(
                f"listwise deletion dropped {int(inc.sum())} of {len(X)} rows with missing "
                "values; use missing='pairwise' to keep them",
                DroppedDataWarning,
                stacklevel=2,
            )
            X = X[~inc]
    else:
        empty = miss.all(axis=1)
        if empty.any():
            warnings.warn(
                f"{int(empty.sum())} row(s) with no observed value were dropped",
                DroppedDataWarning,
                stacklevel=2,
            )
            X = X[~empty]
    is_ord = np.array([c in ord_set for c in cols])
    nlev = np.array([len(levels[c]) if c in ord_set else 0 for c in cols])
    for j, c in enumerate(cols):
        if is_ord[j]:
            present = np.unique(X[np.isfinite(X[:, j]), j])
            if present.size < nlev[j]:
                absent = [levels[c][k - 1] for k in range(1, nlev[j] + 1) if k not in set(present)]
                raise DataValidationError(
                    f"ordered column {c!r} has no usable responses in categor"
                    f"{'y' if len(absent) == 1 else 'ies'} {absent} after removing missing rows"
                )
    st = ordinal_sample_stats(X, is_ord, nlev, names=cols, correlation_scale=True)
    return _result(st, cols, ord_cols, levels)


def _result(
    st: OrdinalStats, cols: list[str], ord_cols: list[str], levels: dict[str, tuple[float, ...]]
) -> PolychoricResult:
    p = len(cols)
    if st.gamma is None:
        raise EstimationError("internal: polychoric statistics without their NACOV")
    se_all = np.sqrt(np.clip(np.diag(st.gamma), 0, None) / (st.n - 1))
    th_idx, th_val, th_se = [], [], []
    pos = 0
    for j, c in enumerate(cols):
        if st.ordered[j]:
            for k, t in enumerate(st.thresholds[j]):
                th_idx.append(f"{c}|t{k + 1}")
                th_val.append(t)
                th_se.append(se_all[pos + k])
            pos += st.thresholds[j].size
        else:
            pos += 1
    n_num = int((~st.ordered).sum())
    cse = se_all[pos + n_num :]
    ii, jj = np.tril_indices(p, -1)
    order = np.lexsort((ii, jj))
    ri, rj = ii[order], jj[order]
    se = np.full((p, p), np.nan)
    se[ri, rj] = cse
    se[rj, ri] = cse
    cor = pd.DataFrame(st.cor, index=cols, columns=cols)
    smoothed = None
    ev = np.linalg.eigvalsh(st.cor)
    if ev.min() < np.sqrt(np.finfo(float).eps):
        smoothed = pd.DataFrame(smooth_correlation(st.cor), index=cols, columns=cols)
        warnings.warn(
            f"the correlation matrix is not positive definite (smallest eigenvalue "
            f"{ev.min():.3g}); a smoothed matrix is in .smoothed",
            NotPositiveDefiniteWarning,
            stacklevel=3,
        )
    empty = [(cols[b], cols[a]) for a, b in st.empty_cells]
    if empty:
        pairs = ", ".join(f"{a} x {b}" for a, b in empty[:10])
        warnings.warn(
            f"{len(empty)} bivariate table(s) have empty cells: {pairs}; as lavaan, they enter "
            "the likelihood with zero counts",
            EmptyCellWarning,
            stacklevel=3,
        )
    return PolychoricResult(
        cor=cor,
        thresholds=pd.Series(th_val, index=th_idx, name="thresholds", dtype=float),
        se=pd.DataFrame(se, index=cols, columns=cols),
        threshold_se=pd.Series(th_se, index=th_idx, name="se", dtype=float),
        smoothed=smoothed,
        empty_cells=empty,
        n=st.n,
        ordered=tuple(ord_cols),
        levels=levels,
        gamma=st.gamma,
    )
