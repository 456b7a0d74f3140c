"""Nesting helpers: ICC(1), ICC(2), the design effect, and within-group agreement rwg / rwg(j).

Respondents sit in departments; before aggregating staff answers to the department level
(or before trusting standard errors that ignore the nesting) these statistics tell how much
of the variance lies between groups and how far members of a group agree.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from synergy_stats._typing import check_arguments, check_option
from synergy_stats.errors import DataValidationError, DroppedDataWarning, OptionError
from synergy_stats.multilevel.cluster import MissingCluster, factorize_ids, validate_cluster

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["design_effect", "icc", "null_variance", "rwg", "rwg_j"]

NullDistribution = Literal["uniform"]


def _frame(data: Any) -> pd.DataFrame:
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data must be a pandas DataFrame, got {type(data).__name__}; pass a DataFrame"
        )
    return data


def _columns(data: pd.DataFrame, names: Sequence[str], argument: str) -> list[str]:
    missing = [n for n in names if n not in data.columns]
    if missing:
        raise DataValidationError(
            f"{argument}={missing[0]!r} is not a column of data; use one of "
            f"{', '.join(map(str, data.columns))}"
        )
    twice = [n for i, n in enumerate(names) if n in list(names)[:i]]
    if twice:
        raise DataValidationError(
            f"{argument}: column {twice[0]!r} is named twice; each role needs its own column"
        )
    repeated = [n for n in names if int((data.columns == n).sum()) > 1]
    if repeated:
        raise DataValidationError(
            f"{argument}={repeated[0]!r} names several columns of data (the column name "
            "repeats); rename them"
        )
    return list(names)


def _clustered(
    data: pd.DataFrame, group: str, missing_cluster: MissingCluster, what: str
) -> tuple[pd.DataFrame, int]:
    """Rows with a cluster id (the shared check), and the number of singleton clusters."""
    info = validate_cluster(
        _frame(data),
        group,
        argument="group",
        missing=missing_cluster,
        what=what,
        warn_singletons=False,
        min_clusters=1,
        stacklevel=4,
    )
    frame = data if not info.n_dropped else data.loc[info.keep]
    return frame, info.n_singletons


def _complete(data: pd.DataFrame, columns: list[str], what: str) -> pd.DataFrame:
    keep = data[columns].notna().all(axis=1)
    dropped = int((~keep).sum())
    if dropped:
        warnings.warn(
            f"{what}: {dropped} of {len(data)} rows dropped for missing values in "
            f"{', '.join(columns)}",
            DroppedDataWarning,
            stacklevel=3,
        )
    return data.loc[keep, columns]


def _numeric(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    try:
        return frame[columns].to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(f"columns {', '.join(columns)} must be numeric: {exc}") from exc


def icc(
    data: pd.DataFrame,
    *,
    value: str,
    group: str,
    missing_cluster: MissingCluster = "error",
) -> pd.Series:
    r"""ICC(1) and ICC(2) from a one-way random-effects ANOVA.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; not modified.
    value : str
        Column of the individual-level variable (e.g. a construct score).
    group : str
        Column of the group ids (e.g. departments); numbers or strings, in any order.
    missing_cluster : {"error", "drop"}
        Rows with a missing group id: an error naming them, or dropped with a warning
        (the shared check :func:`synergy_stats.multilevel.validate_cluster`).

    Returns
    -------
    pandas.Series
        ``icc1``, ``icc2``, ``msb``, ``msw``, ``df_between``, ``df_within``, ``fvalue``,
        ``pvalue``, ``n_groups``, ``mean_group_size``, ``n_singletons`` (groups of size 1).

    Raises
    ------
    ClusterError
        If ``group`` is not a column or has missing ids (with ``missing_cluster="error"``).
    DataValidationError
        If a column is missing or not numeric, or fewer than two groups remain.

    Warns
    -----
    DroppedDataWarning
        When rows with a missing value or group are left out.

    Notes
    -----
    With :math:`MSB`, :math:`MSW` the between- and within-group mean squares of
    ``aov(value ~ factor(group))`` and :math:`k = N/J` the mean group size (Bliese 2000):

    .. math::

        ICC(1) = \frac{MSB - MSW}{MSB + (k-1)\,MSW}, \qquad
        ICC(2) = \frac{MSB - MSW}{MSB}.

    ICC(1) is the share of variance between groups; ICC(2) the reliability of the group
    means.

    References
    ----------
    Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability. In K. J.
    Klein & S. W. J. Kozlowski (Eds.), Multilevel theory, research, and methods in
    organizations (pp. 349-381). Jossey-Bass.

    Examples
    --------
    Mirrors ``multilevel::ICC1(aov(y ~ as.factor(dept), data))`` and ``ICC2`` in R.

    >>> icc(df, value="effect", group="dept")  # doctest: +SKIP
    """
    check_arguments(icc, locals())
    import pandas as pd
    from scipy import stats

    base, n_single = _clustered(data, group, missing_cluster, "icc")
    frame = _complete(base, _columns(base, [value, group], "value/group"), "icc")
    y = _numeric(frame, [value])[:, 0]
    codes, uniques = factorize_ids(frame[group])
    n_groups = len(uniques)
    n = len(y)
    if n_groups < 2 or n <= n_groups:
        raise DataValidationError(
            f"icc needs at least two groups and more rows than groups; got {n_groups} "
            f"groups and {n} rows in group={group!r}"
        )
    sizes = np.bincount(codes, minlength=n_groups).astype(float)
    means = np.bincount(codes, weights=y, minlength=n_groups) / sizes
    grand = y.mean()
    ssb = float(np.sum(sizes * (means - grand) ** 2))
    ssw = float(np.sum((y - means[codes]) ** 2))
    if ssb + ssw == 0:
        raise DataValidationError(
            f"value={value!r} is constant (every answer is {y[0]:g}); an ICC needs variance"
        )
    df_b = n_groups - 1
    df_w = n - n_groups
    msb = np.float64(ssb / df_b)
    msw = np.float64(ssw / df_w)
    k = n / n_groups
    with np.errstate(divide="ignore", invalid="ignore"):  # no within variance: F is infinite
        icc1 = float((msb - msw) / (msb + (k - 1) * msw))
        icc2 = float((msb - msw) / msb) if msb > 0 else float("nan")
        f = float(msb / msw)
    return pd.Series(
        {
            "icc1": icc1,
            "icc2": icc2,
            "msb": msb,
            "msw": msw,
            "df_between": float(df_b),
            "df_within": float(df_w),
            "fvalue": f,
            "pvalue": float(stats.f.sf(f, df_b, df_w)),
            "n_groups": float(n_groups),
            "mean_group_size": k,
            "n_singletons": float(n_single),
        },
        name=value,
        dtype=float,
    )


def design_effect(icc1: float, mean_cluster_size: float) -> float:
    r"""Design effect of cluster sampling: the variance inflation from nesting.

    Parameters
    ----------
    icc1 : float
        ICC(1) of the variable, in [-1, 1].
    mean_cluster_size : float
        Average number of respondents per cluster, >= 1.

    Returns
    -------
    float
        :math:`\mathit{deff} = 1 + (m - 1)\,ICC(1)`.

    Raises
    ------
    OptionError
        If an argument is out of range or not a finite number.

    Notes
    -----
    The effective sample size is :math:`N / \mathit{deff}` (Kish 1965).

    References
    ----------
    Kish, L. (1965). Survey sampling. Wiley.

    Examples
    --------
    As computed by hand in R: ``1 + (m - 1) * multilevel::ICC1(mod)``.

    >>> design_effect(0.1, 21)
    3.0
    """
    check_arguments(design_effect, locals())
    for name, val in (("icc1", icc1), ("mean_cluster_size", mean_cluster_size)):
        if isinstance(val, bool) or not isinstance(val, int | float | np.number):
            raise OptionError(f"{name}={val!r} is not accepted; use a finite number")
        try:
            finite = math.isfinite(float(val))
        except OverflowError:  # an int beyond the float range
            finite = False
        if not finite:
            raise OptionError(f"{name}={val!r} is not accepted; use a finite number")
    if not -1 <= icc1 <= 1:
        raise OptionError(f"icc1={icc1!r} is not accepted; use a value between -1 and 1")
    if mean_cluster_size < 1:
        raise OptionError(
            f"mean_cluster_size={mean_cluster_size!r} is not accepted; use a value >= 1"
        )
    return float(1 + (mean_cluster_size - 1) * icc1)


def null_variance(scale_points: int, null: NullDistribution | float = "uniform") -> float:
    r"""Return the expected variance of answers under the null of no agreement.

    Parameters
    ----------
    scale_points : int
        Number of response options A (e.g. 5).
    null : "uniform" or float
        ``"uniform"`` gives :math:`\sigma^2_{EU} = (A^2 - 1)/12`; a positive number is used
        as the null variance directly (e.g. a skewed null from LeBreton & Senter 2008).

    Returns
    -------
    float

    Raises
    ------
    OptionError
        If ``scale_points`` < 2 or ``null`` is neither ``"uniform"`` nor a positive number.
    """
    if isinstance(scale_points, bool) or not isinstance(scale_points, int | np.integer):
        raise OptionError(f"scale_points={scale_points!r} is not accepted; use an integer >= 2")
    if scale_points < 2:
        raise OptionError(f"scale_points={scale_points!r} is not accepted; use an integer >= 2")
    if isinstance(null, str):
        check_option("null", null, NullDistribution)
        return (scale_points**2 - 1) / 12.0
    if isinstance(null, bool) or not isinstance(null, int | float | np.number) or not null > 0:
        raise OptionError(f"null={null!r} is not accepted; use 'uniform' or a positive variance")
    return float(null)


def rwg(
    data: pd.DataFrame,
    *,
    group: str,
    value: str | None = None,
    items: Sequence[str] | None = None,
    scale_points: int = 5,
    null: NullDistribution | float = "uniform",
    missing_cluster: MissingCluster = "error",
) -> pd.DataFrame:
    r"""Within-group agreement rwg for a single item (rwg(j) when several ``items`` are given).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; not modified.
    group : str
        Column of the group ids.
    value : str, optional
        The item (or score) column. Give either ``value`` or ``items``.
    items : sequence of str, optional
        With one item, the same as ``value``; with several, :func:`rwg_j` is computed.
    scale_points : int
        Number of response options A of the item (default 5).
    null : "uniform" or float
        Null distribution; see :func:`null_variance`.
    missing_cluster : {"error", "drop"}
        Rows with a missing group id: an error naming them, or dropped with a warning.

    Returns
    -------
    pandas.DataFrame
        Indexed by group, columns ``rwg`` and ``gsize``.

    Raises
    ------
    OptionError
        If neither or both of ``value`` and ``items`` are given, or an option is invalid.
    DataValidationError
        If a column is missing or not numeric.

    Warns
    -----
    DroppedDataWarning
        When rows with a missing value or group are left out.

    Notes
    -----
    :math:`r_{wg} = 1 - s^2_x / \sigma^2_{EU}`, with :math:`s^2_x` the within-group sample
    variance (denominator :math:`n-1`); values below 0 are set to 0. A group with a single
    member has no variance; its rwg is NaN.

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). Estimating within-group interrater
    reliability with and without response bias. Journal of Applied Psychology, 69, 85-98.

    Examples
    --------
    Mirrors ``multilevel::rwg(x, grpid, ranvar = 2)`` in R.

    >>> rwg(df, value="mech_1", group="dept")  # doctest: +SKIP
    """
    check_arguments(rwg, locals())
    if (value is None) == (items is None):
        raise OptionError(
            f"give exactly one of value= or items=; got value={value!r}, items={items!r}"
        )
    if items is not None:
        cols = list(items)
        if len(cols) > 1:
            out = rwg_j(
                data,
                items=cols,
                group=group,
                scale_points=scale_points,
                null=null,
                missing_cluster=missing_cluster,
            )
            return out.rename(columns={"rwg_j": "rwg"})
        if not cols:
            raise OptionError("items=[] is not accepted; give at least one column")
        value = cols[0]
    if value is None:  # unreachable: checked above; keeps the type checker informed
        raise OptionError("give value= or items=")
    return _agreement(data, [value], group, scale_points, null, "rwg", missing_cluster)


def rwg_j(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    group: str,
    scale_points: int = 5,
    null: NullDistribution | float = "uniform",
    missing_cluster: MissingCluster = "error",
) -> pd.DataFrame:
    r"""Within-group agreement rwg(j) for a scale of J parallel items.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; not modified.
    items : sequence of str
        The J item columns.
    group : str
        Column of the group ids.
    scale_points : int
        Number of response options A (default 5).
    null : "uniform" or float
        Null distribution; see :func:`null_variance`.
    missing_cluster : {"error", "drop"}
        Rows with a missing group id: an error naming them, or dropped with a warning.

    Returns
    -------
    pandas.DataFrame
        Indexed by group, columns ``rwg_j`` and ``gsize``.

    Raises
    ------
    OptionError
        If fewer than one item is given or an option is invalid.
    DataValidationError
        If a column is missing or not numeric.

    Warns
    -----
    DroppedDataWarning
        When rows with a missing item or group are left out (listwise, as R's
        ``na.exclude``).

    Notes
    -----
    With :math:`\bar s^2` the mean of the J within-group item variances,

    .. math::

        r_{wg(j)} = \frac{J(1 - \bar s^2/\sigma^2_{EU})}
                          {J(1 - \bar s^2/\sigma^2_{EU}) + \bar s^2/\sigma^2_{EU}},

    set to 0 when :math:`\bar s^2 > \sigma^2_{EU}`.

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). Estimating within-group interrater
    reliability with and without response bias. Journal of Applied Psychology, 69, 85-98.

    Examples
    --------
    Mirrors ``multilevel::rwg.j(df[, items], grpid, ranvar = 2)`` in R.

    >>> rwg_j(df, items=["mech_1", "mech_2", "mech_3"], group="dept")  # doctest: +SKIP
    """
    check_arguments(rwg_j, locals())
    cols = [items] if isinstance(items, str) else list(items)
    if not cols:
        raise OptionError("items=[] is not accepted; give at least one column")
    return _agreement(data, cols, group, scale_points, null, "rwg_j", missing_cluster)


def _agreement(
    data: pd.DataFrame,
    items: list[str],
    group: str,
    scale_points: int,
    null: NullDistribution | float,
    name: Literal["rwg", "rwg_j"],
    missing_cluster: MissingCluster = "error",
) -> pd.DataFrame:
    import pandas as pd

    ranvar = null_variance(scale_points, null)
    base, _ = _clustered(data, group, missing_cluster, name)
    frame = _complete(base, _columns(base, [*items, group], "items/group"), name)
    x = _numeric(frame, items)
    codes, uniques = factorize_ids(frame[group])
    n_groups = len(uniques)
    result = np.full(n_groups, np.nan)
    gsize = np.bincount(codes, minlength=n_groups)
    j = len(items)
    for g in range(n_groups):
        xg = x[codes == g]
        if xg.shape[0] < 2:
            continue
        s2 = float(np.mean(np.var(xg, axis=0, ddof=1)))
        ratio = s2 / ranvar
        if name == "rwg":
            result[g] = max(0.0, 1.0 - ratio)
        elif ratio > 1:
            result[g] = 0.0
        else:
            result[g] = j * (1 - ratio) / (j * (1 - ratio) + ratio)
    index = pd.Index(uniques, name=group)
    return pd.DataFrame({name: result, "gsize": gsize}, index=index)
