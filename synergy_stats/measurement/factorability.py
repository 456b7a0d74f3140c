"""Factorability of an item set: Kaiser-Meyer-Olkin MSA and Bartlett's test of sphericity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias

import numpy as np

from synergy_stats._typing import check_arguments, check_option

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["BartlettResult", "KMOResult", "bartlett", "kmo"]

FactorMissing: TypeAlias = Literal["pairwise", "listwise", "fiml"]


@dataclass(frozen=True)
class KMOResult:
    """Result of :func:`kmo`.

    Attributes
    ----------
    overall : float
        Overall measure of sampling adequacy (psych ``KMO()$MSA``).
    items : pandas.Series
        Per-item MSA (psych ``KMO()$MSAi``).
    n : int
        Rows used.
    missing : str
        Missing-data rule.
    """

    overall: float
    items: pd.Series
    n: int
    missing: str

    def to_frame(self) -> pd.DataFrame:
        """Per-item MSA with a final ``"overall"`` row, for a paper table."""
        import pandas as pd

        out = pd.concat([self.items, pd.Series({"overall": self.overall})]).to_frame("msa")
        out.attrs.update({"missing": self.missing, "n": self.n})
        return out


@dataclass(frozen=True)
class BartlettResult:
    """Result of :func:`bartlett`: ``chisq`` on ``df`` degrees of freedom, ``pvalue``, ``n``."""

    chisq: float
    df: int
    pvalue: float
    n: int
    missing: str

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame ``chisq, df, pvalue, n``."""
        import pandas as pd

        out = pd.DataFrame(
            [{"chisq": self.chisq, "df": self.df, "pvalue": self.pvalue, "n": self.n}],
            index=["bartlett"],
        )
        out.attrs["missing"] = self.missing
        return out


def kmo(data: pd.DataFrame, *, missing: FactorMissing = "pairwise") -> KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item (psych ``KMO``).

    Parameters
    ----------
    data : pandas.DataFrame
        Numeric item columns.
    missing : {"pairwise", "listwise", "fiml"}
        Correlations from pairwise-complete rows (psych's default), complete rows, or the
        ML (EM) estimate.

    Returns
    -------
    KMOResult
        ``overall`` and per-item ``items``; ``.to_frame()`` for a table.

    Raises
    ------
    DataValidationError
        Non-numeric columns, a zero-variance item, fewer rows than items, or a singular
        correlation matrix (psych then falls back to the correlations themselves; we stop).

    Notes
    -----
    With ``R`` the correlation matrix and ``Q`` the partial (anti-image) correlations
    ``-q_ij / sqrt(q_ii q_jj)`` from ``R^-1``,
    ``MSA = sum_{i!=j} r_ij^2 / (sum_{i!=j} r_ij^2 + sum_{i!=j} q_ij^2)`` and the per-item
    MSA sums over ``j`` only.

    References
    ----------
    Kaiser, H. F. (1970). A second generation little jiffy. *Psychometrika*, 35, 401-415.

    Examples
    --------
    Mirrors ``psych::KMO(x)``:

    >>> ss.kmo(hs[["x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"]]).overall
    ... # doctest: +SKIP
    """
    check_arguments(kmo, locals())
    import pandas as pd

    from synergy_stats.measurement.exploratory import _prepare_matrix

    check_option("missing", missing, FactorMissing)
    prep, r = _prepare_matrix(data, missing, what="the KMO measure")
    inv = np.linalg.inv(r)
    d = np.sqrt(np.diag(inv))
    q = inv / np.outer(d, d)
    np.fill_diagonal(q, 0.0)
    r0 = r.copy()
    np.fill_diagonal(r0, 0.0)
    r2 = (r0**2).sum(axis=0)
    q2 = (q**2).sum(axis=0)
    overall = float(r2.sum() / (r2.sum() + q2.sum()))
    items = pd.Series(r2 / (r2 + q2), index=prep.columns, name="msa")
    return KMOResult(overall=overall, items=items, n=prep.n, missing=missing)


def bartlett(data: pd.DataFrame, *, missing: FactorMissing = "pairwise") -> BartlettResult:
    """Bartlett's test that the item correlation matrix is an identity (psych ``cortest.bartlett``).

    Parameters
    ----------
    data : pandas.DataFrame
        Numeric item columns.
    missing : {"pairwise", "listwise", "fiml"}
        As :func:`kmo`; ``n`` is the number of rows used (rows with at least one observed
        item unless listwise).

    Returns
    -------
    BartlettResult
        ``chisq``, ``df``, ``pvalue``, ``n``.

    Raises
    ------
    DataValidationError
        As :func:`kmo`.

    Notes
    -----
    ``chisq = -(n - 1 - (2p + 5)/6) log|R|`` on ``p(p - 1)/2`` degrees of freedom.

    References
    ----------
    Bartlett, M. S. (1951). The effect of standardization on a chi square approximation in
    factor analysis. *Biometrika*, 38, 337-344.

    Examples
    --------
    Mirrors ``psych::cortest.bartlett(cor(x), n = nrow(x))``:

    >>> ss.bartlett(items).pvalue  # doctest: +SKIP
    """
    check_arguments(bartlett, locals())
    from scipy import stats

    from synergy_stats.measurement.exploratory import _prepare_matrix

    check_option("missing", missing, FactorMissing)
    prep, r = _prepare_matrix(data, missing, what="Bartlett's test")
    p = r.shape[0]
    n = prep.n
    _sign, logdet = np.linalg.slogdet(r)
    chisq = float(-logdet * (n - 1 - (2 * p + 5) / 6))
    df = p * (p - 1) // 2
    return BartlettResult(
        chisq=chisq, df=df, pvalue=float(stats.chi2.sf(chisq, df)), n=n, missing=missing
    )
