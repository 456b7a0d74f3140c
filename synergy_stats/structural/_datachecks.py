"""Checks of the observed data that name the real problem before estimation starts.

Kept apart from the estimation code: an empty column is not "constant", and collinear
columns make the sample covariance singular, which no starting value can repair.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synergy_stats.errors import DataValidationError

__all__ = ["check_collinear", "check_columns"]


def check_columns(x: np.ndarray, cols: Sequence[str], where: str) -> None:
    """Refuse columns without any observed value, then constant columns, naming each kind."""
    with np.errstate(invalid="ignore"):
        observed = np.sum(np.isfinite(x), axis=0)
    empty = [cols[i] for i in range(len(cols)) if observed[i] == 0]
    if empty:
        raise DataValidationError(
            f"column(s) {empty} have no observed value{where} (every cell is missing); drop "
            "them from the model"
        )
    with np.errstate(invalid="ignore"):
        var = np.nanvar(np.where(np.isfinite(x), x, np.nan), axis=0)
    const = [cols[i] for i in range(len(cols)) if not (var[i] > 0)]
    if const:
        raise DataValidationError(
            f"column(s) {const} are constant{where}; a constant variable cannot be modelled"
        )


def check_collinear(cov: np.ndarray, cols: Sequence[str], where: str) -> None:
    """Refuse a singular sample covariance matrix, naming a set of collinear columns.

    The smallest eigenvalue of the correlation matrix below ``1e-10`` means some columns
    are (nearly) exact linear combinations of others; the eigenvector's large entries name
    them. The model-implied covariance of an ML fit must be positive definite, so such data
    cannot be fitted whatever the starting values.
    """
    d = np.sqrt(np.diag(cov))
    if not np.all(d > 0):
        return
    corr = cov / np.outer(d, d)
    vals, vecs = np.linalg.eigh(corr)
    if vals[0] > 1e-10:
        return
    v = np.abs(vecs[:, 0])
    involved = [cols[int(i)] for i in np.flatnonzero(v > 0.1 * v.max())]
    raise DataValidationError(
        f"column(s) {involved} are collinear{where}: one is an exact linear combination of "
        f"the others (smallest eigenvalue of their correlation matrix {vals[0]:.2g}), so the "
        "sample covariance matrix is singular and ML cannot be computed; drop or combine "
        "one of them"
    )
