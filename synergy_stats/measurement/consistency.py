"""Reliability: Cronbach's alpha with Feldt CI, omega (composite reliability), AVE, item statistics.

Numbers follow psych 2.2.9 (``alpha``, ``alpha.ci``, ``skew``, ``kurtosi``) and semTools
0.5-6 (``compRelSEM``, ``AVE``, ``reliabilityL2``); the tests compare them with frozen R
output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np

from synergy_stats._typing import check_arguments, check_option
from synergy_stats.errors import OptionError
from synergy_stats.measurement import _cfa
from synergy_stats.measurement._common import (
    Missing,
    PreparedData,
    cov2cor,
    covariance,
    prepare_keyed,
    to_spec,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["cronbach_alpha", "feldt_ci", "item_statistics", "reliability"]

SkewType: TypeAlias = Literal[1, 2, 3]


def cronbach_alpha(cov: np.ndarray) -> tuple[float, float]:
    """Raw and standardized coefficient alpha of a covariance matrix.

    Parameters
    ----------
    cov : numpy.ndarray
        ``(k, k)`` covariance matrix of the items, ``k >= 2``.

    Returns
    -------
    raw, standardized : float
        ``k/(k-1) * (1 - tr(C)/sum(C))`` and the same on the correlation matrix,
        ``k/(k-1) * (1 - k/sum(R))``, as psych ``alpha()$total`` ``raw_alpha`` and
        ``std.alpha``.
    """
    k = cov.shape[0]
    raw = (1 - np.trace(cov) / cov.sum()) * k / (k - 1)
    std = (1 - k / cov2cor(cov).sum()) * k / (k - 1)
    return float(raw), float(std)


def feldt_ci(alpha: float, n: int, k: int, *, level: float = 0.95) -> tuple[float, float]:
    """Feldt (1965) confidence interval of coefficient alpha, as psych ``alpha.ci``.

    Parameters
    ----------
    alpha : float
        Sample alpha.
    n : int
        Number of respondents.
    k : int
        Number of items.
    level : float
        Confidence level.

    Returns
    -------
    lower, upper : float
        ``1 - (1 - alpha) F_{1-a/2}`` and ``1 - (1 - alpha) F_{a/2}`` with F quantiles on
        ``(n - 1, (n - 1)(k - 1))`` degrees of freedom.

    References
    ----------
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. *Psychometrika*, 30, 357-370.
    """
    from scipy import stats

    a = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lower = 1 - (1 - alpha) * stats.f.ppf(1 - a / 2, df1, df2)
    upper = 1 - (1 - alpha) * stats.f.ppf(a / 2, df1, df2)
    return float(lower), float(upper)


def _construct_n(prep: PreparedData, items: list[str]) -> int:
    """Rows with at least one observed item of the construct."""
    x = prep.values[:, prep.index(items)]
    return int((~np.isnan(x)).any(axis=1).sum())


def _check_level(level: float) -> None:
    if not isinstance(level, float | int) or isinstance(level, bool) or not 0 < level < 1:
        raise OptionError(f"level={level!r} is not accepted; use a number between 0 and 1")


def reliability(
    spec: Any,
    data: pd.DataFrame,
    *,
    missing: Missing = "listwise",
    recode_reverse: bool | None = None,
    level: float = 0.95,
    cfa: bool = True,
    fit: Any = None,
    ordered: bool = False,
) -> pd.DataFrame:
    """Reliability of every construct: alpha with Feldt CI, standardized alpha, omega, AVE.

    Parameters
    ----------
    spec : Instrument or mapping
        An :class:`~synergy_stats.Instrument` (every construct is reported: first-order
        factors, second-order constructs and correlated blocks) or a mapping
        ``{construct: [item, ...]}``; in a mapping, a construct listed over other constructs
        is second-order.
    data : pandas.DataFrame
        One numeric column per item, reverse-keyed items already recoded (as
        :func:`synergy_stats.score` returns them).
    missing : {"listwise", "pairwise", "fiml"}
        ``"listwise"`` uses the rows complete on every item of ``spec`` throughout.
        ``"pairwise"`` computes alpha from pairwise covariances (psych's default) and fits the
        CFA by full-information ML; ``"fiml"`` computes alpha from the ML (EM) covariance of
        all rows and fits the CFA by full-information ML.
    level : float
        Confidence level of the Feldt interval.
    cfa : bool
        Fit the CFA for omega and AVE. With ``False`` those columns are NaN.
    fit : SEMResult, optional
        A CFA already fitted to these data (for example with correlated residuals); omega,
        AVE and the higher-order coefficients are read from it instead of fitting the
        instrument's measurement model.
    recode_reverse : bool or None
        Recode the instrument's reverse-keyed items as ``(minimum + maximum) - x`` first.
        None (default) does so whenever ``spec`` is an Instrument marking reverse-keyed
        items, i.e. for raw codes as :func:`synergy_stats.read_survey` returns them; pass
        False when the data are already recoded. A mapping spec has no keying.
    ordered : bool
        Treat the items as ordered: ``alpha`` (and ``alpha_std``) is ordinal alpha, alpha
        of the polychoric correlations (``psych::alpha(polychoric(x)$rho)``, no Feldt
        interval), and ``omega`` of a first-order factor is the categorical omega of Green
        & Yang (2009) from a CFA fitted with ``ordered=True`` (WLSMV), as
        ``semTools::compRelSEM``; AVE and the higher-order coefficients are NaN
        (see :mod:`synergy_stats.ordinal.reliability`).

    Returns
    -------
    pandas.DataFrame
        Indexed by construct, columns ``kind``, ``n_items``, ``n``, ``alpha``,
        ``alpha_ci_lower``, ``alpha_ci_upper``, ``alpha_std``, ``omega``, ``ave``,
        ``omega_l1``, ``omega_l2``, ``omega_partial_l1``. ``attrs`` records ``missing``,
        ``cfa_missing``, ``n`` (rows used), ``n_input`` and ``level``.

    Raises
    ------
    SpecificationError
        A construct with fewer than two items, or an item under two constructs.
    DataValidationError
        Missing or non-numeric item columns, a zero-variance item, fewer rows than items,
        or a singular item correlation matrix when the CFA is fitted.
    OptionError
        An option outside its accepted values.

    Warns
    -----
    DroppedDataWarning
        When rows are left out (listwise deletion, or rows with no observed item).
    InstrumentWarning
        When an item correlates negatively with the rest of its construct (an item that
        probably should have been reverse-coded).

    Notes
    -----
    ``alpha = k/(k-1) (1 - tr(C)/1'C1)`` on the item covariance matrix ``C`` and
    ``alpha_std`` the same on the correlation matrix (psych ``alpha``). The Feldt interval
    is ``1 - (1 - alpha) F`` with F quantiles on ``(n-1, (n-1)(k-1))`` df (psych
    ``alpha.ci``); ``n`` is the number of rows with at least one observed item of the
    construct.

    For first-order factors ``omega = (sum lambda)^2 phi / 1'S1`` and
    ``ave = sum(lambda^2) phi / tr(S)`` from the CFA in which all first-order factors
    correlate freely, with the sample covariance ``S`` of the items (semTools
    ``compRelSEM`` and ``AVE`` with ``obs.var=TRUE``). For a second-order construct a
    second CFA with the higher-order factors is fitted: ``omega`` is
    ``compRelSEM(fit, higher=construct)`` and ``omega_l1``, ``omega_l2``,
    ``omega_partial_l1`` are ``reliabilityL2``'s. For a correlated block ``omega`` is
    ``1'(L Phi L')1 / 1'S1`` over the block (``compRelSEM``'s total). AVE is reported for
    first-order factors only.
    The columns of a correlated block describe the unit-weighted sum of all its items,
    which is meaningful only when its factors point the same way (a block such as
    "synergy effect" and "implementation gap" gives a low alpha by design).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16, 297-334.
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with
    unobservable variables and measurement error. *Journal of Marketing Research*, 18,
    39-50.
    Raykov, T. (1997). Estimation of composite reliability for congeneric measures.
    *Applied Psychological Measurement*, 21, 173-184.

    Examples
    --------
    Mirrors ``psych::alpha(x)$total``, ``psych::alpha(x)$feldt``,
    ``semTools::compRelSEM(cfa(model, data))`` and ``semTools::AVE(fit)``:

    >>> import synergy_stats as ss  # doctest: +SKIP
    >>> spec = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
    ...         "speed": ["x7", "x8", "x9"]}  # doctest: +SKIP
    >>> ss.reliability(spec, hs)[["alpha", "omega", "ave"]]  # doctest: +SKIP
    """
    check_arguments(reliability, locals())
    import pandas as pd

    check_option("missing", missing, Missing)
    _check_level(level)
    check_option("cfa", cfa, (True, False))
    ms = to_spec(spec)
    prep = prepare_keyed(data, ms, missing=missing, recode_reverse=recode_reverse)
    cov = covariance(prep)

    if ordered:
        from synergy_stats.ordinal.reliability import reliability_ordered

        return reliability_ordered(ms, prep, cfa=cfa, fit=fit)
    first: Any = None
    second: Any = None
    if fit is not None:
        first = second = _cfa.cfa_parts(fit)
    elif cfa:
        first = _cfa.fit_cfa(ms, prep, higher=False)
        if ms.higher:
            second = _cfa.fit_cfa(ms, prep, higher=True)

    rows: list[dict[str, Any]] = []
    for construct in ms.order:
        kind = ms.kind(construct)
        items = ms.items_of(construct)
        idx = prep.index(items)
        c = cov[np.ix_(idx, idx)]
        raw, std = cronbach_alpha(c)
        n = _construct_n(prep, items)
        lo, hi = feldt_ci(raw, n, len(items), level=level)
        row: dict[str, Any] = {
            "construct": construct,
            "kind": kind,
            "n_items": len(items),
            "n": n,
            "alpha": raw,
            "alpha_ci_lower": lo,
            "alpha_ci_upper": hi,
            "alpha_std": std,
            "omega": np.nan,
            "ave": np.nan,
            "omega_l1": np.nan,
            "omega_l2": np.nan,
            "omega_partial_l1": np.nan,
        }
        if kind == "factor" and first is not None and construct in first.latent:
            row["omega"] = _cfa.omega_factor(first, construct)
            row["ave"] = _cfa.ave_factor(first, construct)
        elif kind == "second_order" and second is not None and construct in second.latent:
            row.update(_cfa.omega_higher(second, construct))
        elif kind == "correlated" and first is not None:
            row["omega"] = _cfa.omega_block(first, ms.first_order_of(construct))
        rows.append(row)
    out = pd.DataFrame(rows).set_index("construct")
    out.index.name = "construct"
    out.attrs.update(prep.attrs())
    out.attrs["level"] = level
    if first is not None:
        out.attrs["cfa_missing"] = first.missing
        out.attrs["cfa_n"] = first.nobs
    return out


def _skew_kurt(x: np.ndarray, type_: int) -> tuple[float, float]:
    """Skewness and excess kurtosis of one item (NaN removed), Joanes & Gill (1998) types."""
    x = x[~np.isnan(x)]
    n = x.size
    d = x - x.mean()
    m2 = (d**2).mean()
    m3 = (d**3).mean()
    m4 = (d**4).mean()
    g1 = m3 / m2**1.5
    g2 = m4 / m2**2 - 3
    if type_ == 1:
        return float(g1), float(g2)
    if type_ == 2:
        skew = g1 * np.sqrt(n * (n - 1)) / (n - 2)
        kurt = ((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3))
        return float(skew), float(kurt)
    factor = (n - 1) / n
    return float(g1 * factor**1.5), float((g2 + 3) * factor**2 - 3)


def item_statistics(
    spec: Any,
    data: pd.DataFrame,
    *,
    missing: Missing = "listwise",
    recode_reverse: bool | None = None,
    skew_type: SkewType = 3,
    cfa: bool = True,
    fit: Any = None,
) -> pd.DataFrame:
    """Item statistics by first-order construct: moments, item-total r, alpha if deleted, loading.

    Parameters
    ----------
    spec : Instrument or mapping
        As for :func:`reliability`; items are reported under their first-order factor.
    data : pandas.DataFrame
        One numeric column per item (reverse-keyed items recoded).
    missing : {"listwise", "pairwise", "fiml"}
        Rows and covariances used, as in :func:`reliability`. Means, SDs, skewness and
        kurtosis always use every observed value of the item (after listwise deletion, when
        chosen).
    skew_type : {1, 2, 3}
        Skewness/kurtosis estimator of Joanes & Gill (1998): 3 (psych's and R's default,
        ``b1``/``b2``), 2 (SAS/SPSS ``G1``/``G2``), 1 (``g1``/``g2``).
    cfa : bool
        Fit the first-order CFA for the standardized loadings (NaN with ``False``).
    fit : SEMResult, optional
        A fitted CFA to read the standardized loadings from.
    recode_reverse : bool or None
        Recode the instrument's reverse-keyed items as ``(minimum + maximum) - x`` first.
        None (default) does so whenever ``spec`` is an Instrument marking reverse-keyed
        items, i.e. for raw codes as :func:`synergy_stats.read_survey` returns them; pass
        False when the data are already recoded. A mapping spec has no keying.
    ordered : bool
        Treat the items as ordered: ``alpha`` (and ``alpha_std``) is ordinal alpha, alpha
        of the polychoric correlations (``psych::alpha(polychoric(x)$rho)``, no Feldt
        interval), and ``omega`` of a first-order factor is the categorical omega of Green
        & Yang (2009) from a CFA fitted with ``ordered=True`` (WLSMV), as
        ``semTools::compRelSEM``; AVE and the higher-order coefficients are NaN
        (see :mod:`synergy_stats.ordinal.reliability`).

    Returns
    -------
    pandas.DataFrame
        Indexed by item, columns ``construct``, ``n``, ``mean``, ``sd``, ``skew``,
        ``kurtosis`` (excess), ``r_drop`` (corrected item-total correlation),
        ``alpha_if_deleted``, ``std_loading``. ``attrs`` records ``missing``, ``n``,
        ``n_input`` and ``skew_type``.

    Raises
    ------
    SpecificationError, DataValidationError, OptionError
        As :func:`reliability`.

    Notes
    -----
    ``r_drop_i = (1'C_{.i} - C_ii) / sqrt(C_ii * 1'C_{-i,-i}1)``: the correlation of item
    i with the sum of the other items of its construct, from the covariance matrix (psych
    ``alpha()$item.stats$r.drop``). ``alpha_if_deleted`` is raw alpha without the item
    (psych ``alpha()$alpha.drop$raw_alpha``), NaN for two-item constructs. Type 3 moments:
    ``b1 = g1 ((n-1)/n)^{3/2}``, ``b2 = (g2 + 3)((n-1)/n)^2 - 3``.

    References
    ----------
    Joanes, D. N., & Gill, C. A. (1998). Comparing measures of sample skewness and
    kurtosis. *The Statistician*, 47, 183-189.

    Examples
    --------
    Mirrors ``psych::alpha(x)$item.stats``, ``psych::alpha(x)$alpha.drop``,
    ``psych::describe(x)`` and ``standardizedSolution(cfa(model, data))``:

    >>> ss.item_statistics(spec, hs)  # doctest: +SKIP
    """
    check_arguments(item_statistics, locals())
    import pandas as pd

    check_option("missing", missing, Missing)
    check_option("skew_type", skew_type, SkewType)
    check_option("cfa", cfa, (True, False))
    ms = to_spec(spec)
    prep = prepare_keyed(data, ms, missing=missing, recode_reverse=recode_reverse)
    cov = covariance(prep)
    parts: Any = None
    if fit is not None:
        parts = _cfa.cfa_parts(fit)
    elif cfa:
        parts = _cfa.fit_cfa(ms, prep, higher=False)
    rows: list[dict[str, Any]] = []
    for factor, items_t in ms.factors.items():
        items = list(items_t)
        idx = prep.index(items)
        c = cov[np.ix_(idx, idx)]
        k = len(items)
        for i, item in enumerate(items):
            col = prep.values[:, idx[i]]
            rest = [j for j in range(k) if j != i]
            c_drop = c[i, rest].sum()
            v_drop = c[np.ix_(rest, rest)].sum()
            r_drop = c_drop / np.sqrt(c[i, i] * v_drop)
            alpha_del = cronbach_alpha(c[np.ix_(rest, rest)])[0] if k > 2 else np.nan
            sk, ku = _skew_kurt(col, skew_type)
            loading = np.nan
            if parts is not None:
                loading = parts.std_loadings.get((factor, item), np.nan)
            rows.append(
                {
                    "item": item,
                    "construct": factor,
                    "n": int((~np.isnan(col)).sum()),
                    "mean": float(np.nanmean(col)),
                    "sd": float(np.nanstd(col, ddof=1)),
                    "skew": sk,
                    "kurtosis": ku,
                    "r_drop": float(r_drop),
                    "alpha_if_deleted": alpha_del,
                    "std_loading": loading,
                }
            )
    out = pd.DataFrame(rows).set_index("item")
    out.attrs.update(prep.attrs())
    out.attrs["skew_type"] = skew_type
    if parts is not None:
        out.attrs["cfa_missing"] = parts.missing
    return out
