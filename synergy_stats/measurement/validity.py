"""Discriminant validity: HTMT, the Fornell-Larcker criterion and cross-loadings."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np

from synergy_stats._typing import SeedLike, check_arguments, check_option, make_rng
from synergy_stats.errors import OptionError
from synergy_stats.measurement import _cfa
from synergy_stats.measurement._common import (
    MeasurementSpec,
    Missing,
    as_frame,
    correlation,
    cov2cor,
    covariance,
    prepare_keyed,
    to_spec,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["cross_loadings", "fornell_larcker", "htmt"]

HTMTMethod: TypeAlias = Literal["geometric", "arithmetic"]
ScoreMissing: TypeAlias = Literal["listwise", "pairwise"]


def _htmt_matrix(
    r: np.ndarray, groups: list[list[int]], *, geometric: bool, absolute: bool
) -> np.ndarray:
    if absolute or geometric:
        r = np.abs(r)
    nf = len(groups)
    out = np.ones((nf, nf))

    def avg(block: np.ndarray) -> float:
        if geometric:
            return float(np.exp(np.mean(np.log(block))))
        return float(np.mean(block))

    within = []
    for g in groups:
        sub = r[np.ix_(g, g)]
        within.append(avg(sub[~np.eye(len(g), dtype=bool)]))
    for a in range(nf):
        for b in range(a + 1, nf):
            hetero = avg(r[np.ix_(groups[a], groups[b])].ravel())
            out[a, b] = out[b, a] = hetero / np.sqrt(within[a] * within[b])
    return out


def htmt(
    spec: Any,
    data: pd.DataFrame,
    *,
    missing: Missing = "listwise",
    recode_reverse: bool | None = None,
    method: HTMTMethod = "geometric",
    absolute: bool = True,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: SeedLike = None,
    ordered: bool = False,
) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations between first-order constructs.

    Parameters
    ----------
    spec : Instrument or mapping
        Constructs and their items; HTMT is computed between first-order factors.
    data : pandas.DataFrame
        Numeric item columns.
    missing : {"listwise", "pairwise", "fiml"}
        Correlations from complete rows (semTools' default), pairwise-complete rows, or the
        ML (EM) estimate from all rows (semTools ``missing="ml"``).
    method : {"geometric", "arithmetic"}
        ``"geometric"`` is HTMT2 (geometric means of absolute correlations, semTools 0.5-6's
        default ``htmt2=TRUE``); ``"arithmetic"`` is Henseler et al.'s original HTMT.
    absolute : bool
        Average absolute correlations (semTools' default); always true for HTMT2.
    ordered : bool
        Use polychoric correlations of the (integer-coded) items, as
        ``semTools::htmt(..., ordered = ...)`` (pairwise-present rows; the bootstrap
        recomputes them on every resample).
    ci : float, optional
        Confidence level (e.g. 0.95) of percentile bootstrap intervals; None for none.
    n_boot : int
        Bootstrap resamples when ``ci`` is given.
    seed : int, numpy.random.Generator or None
        Seed of the bootstrap.
    recode_reverse : bool or None
        Recode the instrument's reverse-keyed items as ``(minimum + maximum) - x`` first.
        None (default) does so whenever ``spec`` is an Instrument marking reverse-keyed
        items, i.e. for raw codes as :func:`synergy_stats.read_survey` returns them; pass
        False when the data are already recoded. A mapping spec has no keying.

    Returns
    -------
    pandas.DataFrame
        Square matrix by construct with 1 on the diagonal. ``attrs`` records ``missing``,
        ``n``, ``n_input``, ``method`` and, with ``ci``, ``ci_level``, ``ci_lower`` and
        ``ci_upper`` (nested dicts ``{row: {column: value}}``; turn them into tables with
        ``pandas.DataFrame(attrs["ci_lower"]).T``), ``n_boot`` and ``n_failed`` (resamples
        whose HTMT could not be computed; they are left out of the percentiles, not hidden).

    Raises
    ------
    SpecificationError, DataValidationError, OptionError
        As :func:`synergy_stats.reliability`.

    Notes
    -----
    ``HTMT_ij = mean(|r|, between i and j) / sqrt(mean(|r|, within i) mean(|r|, within j))``
    with within means over distinct item pairs; HTMT2 takes geometric means. Values above
    0.85 (or 0.90) suggest a lack of discriminant validity (Henseler et al., 2015).

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing
    discriminant validity in variance-based structural equation modeling. *Journal of the
    Academy of Marketing Science*, 43, 115-135.
    Roemer, E., Schuberth, F., & Henseler, J. (2021). HTMT2 - an improved criterion for
    assessing discriminant validity in structural equation modeling. *Industrial Management
    & Data Systems*, 121, 2637-2650.

    Examples
    --------
    Mirrors ``semTools::htmt(model, data)`` (``htmt2 = TRUE``) and, with
    ``method="arithmetic"``, ``htmt(model, data, htmt2 = FALSE)``:

    >>> ss.htmt(spec, hs)  # doctest: +SKIP
    >>> ss.htmt(spec, hs, ci=0.95, n_boot=2000, seed=1).attrs["ci_upper"]  # doctest: +SKIP
    """
    check_arguments(htmt, locals())
    check_option("missing", missing, Missing)
    check_option("method", method, HTMTMethod)
    check_option("absolute", absolute, (True, False))
    if ci is not None and (
        not isinstance(ci, float | int) or isinstance(ci, bool) or not 0 < ci < 1
    ):
        raise OptionError(f"ci={ci!r} is not accepted; use None or a level between 0 and 1")
    if not isinstance(n_boot, int) or isinstance(n_boot, bool) or n_boot < 2:
        raise OptionError(f"n_boot={n_boot!r} is not accepted; use an integer of at least 2")
    ms = to_spec(spec)
    prep = prepare_keyed(data, ms, missing=missing, recode_reverse=recode_reverse)
    factors = list(ms.factors)
    groups = [prep.index(list(ms.factors[f])) for f in factors]
    geometric = method == "geometric"
    if ordered:
        from synergy_stats.ordinal.reliability import polychoric_matrix

        r = polychoric_matrix(prep.values, list(prep.columns))
    else:
        r = correlation(prep)
    value = _htmt_matrix(r, groups, geometric=geometric, absolute=absolute)
    out = as_frame(value, factors, factors)
    out.attrs.update(prep.attrs())
    out.attrs["method"] = method
    if ci is None:
        return out
    from synergy_stats.measurement._common import PreparedData

    rng = make_rng(seed)
    n = prep.n
    draws = np.full((n_boot, len(factors), len(factors)), np.nan)
    for b in range(n_boot):
        rows = rng.integers(0, n, n)
        boot = PreparedData(
            values=prep.values[rows],
            columns=prep.columns,
            missing=prep.missing,
            n_input=n,
            n=n,
        )
        with np.errstate(all="ignore"):
            try:
                if ordered:
                    rb = polychoric_matrix(boot.values, list(boot.columns))
                else:
                    rb = cov2cor(covariance(boot))
            except (np.linalg.LinAlgError, ValueError, ArithmeticError):
                continue
            draws[b] = _htmt_matrix(rb, groups, geometric=geometric, absolute=absolute)
    ok = np.isfinite(draws).all(axis=(1, 2))
    a = (1 - float(ci)) / 2
    lower = np.quantile(draws[ok], a, axis=0) if ok.any() else np.full(value.shape, np.nan)
    upper = np.quantile(draws[ok], 1 - a, axis=0) if ok.any() else np.full(value.shape, np.nan)
    out.attrs["ci_level"] = float(ci)
    out.attrs["ci_lower"] = as_frame(lower, factors, factors).to_dict(orient="index")
    out.attrs["ci_upper"] = as_frame(upper, factors, factors).to_dict(orient="index")
    out.attrs["n_boot"] = n_boot
    out.attrs["n_failed"] = int((~ok).sum())
    out.attrs["seed"] = seed if isinstance(seed, int) else None
    return out


def fornell_larcker(
    spec: Any,
    data: pd.DataFrame,
    *,
    missing: Missing = "listwise",
    recode_reverse: bool | None = None,
    fit: Any = None,
) -> pd.DataFrame:
    """Fornell-Larcker table: latent correlations with the square root of AVE on the diagonal.

    Parameters
    ----------
    spec : Instrument or mapping
        Constructs and their items; the table covers first-order factors.
    data : pandas.DataFrame
        Numeric item columns.
    missing : {"listwise", "pairwise", "fiml"}
        ``"listwise"`` fits the CFA to the complete rows; ``"pairwise"`` and ``"fiml"`` fit
        it by full-information ML.
    fit : SEMResult, optional
        A CFA already fitted to these data to read loadings and latent correlations from.
    recode_reverse : bool or None
        Recode the instrument's reverse-keyed items as ``(minimum + maximum) - x`` first.
        None (default) does so whenever ``spec`` is an Instrument marking reverse-keyed
        items, i.e. for raw codes as :func:`synergy_stats.read_survey` returns them; pass
        False when the data are already recoded. A mapping spec has no keying.

    Returns
    -------
    pandas.DataFrame
        Square by factor: off-diagonal the model-implied latent correlations (lavaan
        ``lavInspect(fit, "cor.lv")``), on the diagonal ``sqrt(AVE)`` (semTools ``AVE``).
        ``attrs`` records ``missing``, ``n``, ``ave`` (dict) and ``criterion_met`` (dict:
        whether ``sqrt(AVE)`` exceeds the factor's largest absolute correlation).

    Raises
    ------
    SpecificationError, DataValidationError, OptionError
        As :func:`synergy_stats.reliability`.

    Notes
    -----
    Discriminant validity holds for factor ``i`` when ``sqrt(AVE_i) > |r_ij|`` for every
    other factor ``j`` (Fornell & Larcker, 1981). The CFA correlates all first-order factors
    freely.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with
    unobservable variables and measurement error. *Journal of Marketing Research*, 18,
    39-50.

    Examples
    --------
    Mirrors ``lavInspect(fit, "cor.lv")`` with ``sqrt(semTools::AVE(fit))`` on the
    diagonal:

    >>> ss.fornell_larcker(spec, hs)  # doctest: +SKIP
    """
    check_arguments(fornell_larcker, locals())
    check_option("missing", missing, Missing)
    ms = to_spec(spec)
    prep = prepare_keyed(data, ms, missing=missing, recode_reverse=recode_reverse)
    parts = _cfa.cfa_parts(fit) if fit is not None else _cfa.fit_cfa(ms, prep, higher=False)
    factors = [f for f in ms.factors if f in parts.latent]
    corr = _cfa.latent_correlations(parts, factors)
    ave = {f: _cfa.ave_factor(parts, f) for f in factors}
    table = corr.copy()
    np.fill_diagonal(table, np.sqrt([ave[f] for f in factors]))
    out = as_frame(table, factors, factors)
    met = {}
    for i, f in enumerate(factors):
        others = np.delete(np.abs(corr[i]), i)
        met[f] = bool(np.sqrt(ave[f]) > (others.max() if others.size else -np.inf))
    out.attrs.update(prep.attrs())
    out.attrs["cfa_missing"] = parts.missing
    out.attrs["ave"] = ave
    out.attrs["criterion_met"] = met
    return out


def _mean_scores(ms: MeasurementSpec, x: np.ndarray, index: dict[str, int]) -> np.ndarray:
    cols = []
    for items in ms.factors.values():
        block = x[:, [index[i] for i in items]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-missing rows give NaN
            cols.append(np.nanmean(block, axis=1))
    return np.column_stack(cols)


def cross_loadings(
    spec: Any,
    data: pd.DataFrame,
    *,
    missing: ScoreMissing = "listwise",
    recode_reverse: bool | None = None,
) -> pd.DataFrame:
    """Correlations of every item with every construct's mean score (cross-loadings).

    Parameters
    ----------
    spec : Instrument or mapping
        Constructs and their items; columns are the first-order factors.
    data : pandas.DataFrame
        Numeric item columns (reverse-keyed items recoded).
    missing : {"listwise", "pairwise"}
        ``"listwise"``: complete rows only. ``"pairwise"``: a score is the mean of the
        items a respondent answered, and each correlation uses the rows where both the item
        and the score are observed.
    recode_reverse : bool or None
        Recode the instrument's reverse-keyed items as ``(minimum + maximum) - x`` first.
        None (default) does so whenever ``spec`` is an Instrument marking reverse-keyed
        items, i.e. for raw codes as :func:`synergy_stats.read_survey` returns them; pass
        False when the data are already recoded. A mapping spec has no keying.

    Returns
    -------
    pandas.DataFrame
        Indexed by item, a ``construct`` column naming the item's own factor, then one
        column per factor. ``attrs`` records ``missing``, ``n``, ``n_input`` and
        ``own_highest`` (dict: whether each item correlates most with its own construct).

    Raises
    ------
    SpecificationError, DataValidationError, OptionError
        As :func:`synergy_stats.reliability`.

    Notes
    -----
    A construct's score is the unit-weighted mean of its items (the item itself included,
    as in the usual cross-loading tables of Chin, 1998). An item should correlate more with
    its own construct than with any other.

    References
    ----------
    Chin, W. W. (1998). The partial least squares approach to structural equation modeling.
    In G. A. Marcoulides (Ed.), *Modern methods for business research* (pp. 295-336).
    Erlbaum.

    Examples
    --------
    Mirrors ``cor(x, sapply(constructs, function(v) rowMeans(x[, v])))`` in R:

    >>> ss.cross_loadings(spec, hs)  # doctest: +SKIP
    """
    check_arguments(cross_loadings, locals())
    import pandas as pd

    check_option("missing", missing, ScoreMissing)
    ms = to_spec(spec)
    prep = prepare_keyed(data, ms, missing=missing, recode_reverse=recode_reverse)
    index = {c: i for i, c in enumerate(prep.columns)}
    scores = _mean_scores(ms, prep.values, index)
    factors = list(ms.factors)
    both = np.column_stack([prep.values, scores])
    from synergy_stats.measurement._common import PreparedData

    corr = cov2cor(
        covariance(
            PreparedData(
                values=both,
                columns=[*prep.columns, *factors],
                missing="pairwise" if np.isnan(both).any() else "listwise",
                n_input=prep.n_input,
                n=prep.n,
            )
        )
    )
    p = len(prep.columns)
    block = corr[:p, p:]
    out = pd.DataFrame(block, index=prep.columns, columns=factors)
    out.insert(0, "construct", [ms.factor_of(i) for i in prep.columns])
    own = {}
    for i, item in enumerate(prep.columns):
        mine = factors.index(ms.factor_of(item))
        own[item] = bool(np.argmax(np.abs(block[i])) == mine)
    out.attrs.update(prep.attrs())
    out.attrs["own_highest"] = own
    return out
