"""The statsmodels adapter: the one module of synergy_stats that imports statsmodels.

Every regression the package offers (OLS/WLS with conventional, heteroskedasticity-consistent
or cluster-robust standard errors, logit, probit, ordered logit, and linear mixed models with
random intercepts) is fitted here and returned as a :class:`RegressionResult`, whose tidy
:meth:`RegressionResult.estimates` and :meth:`RegressionResult.fit_measures` mirror the SEM
results. Plain statsmodels results are turned into the same class by :func:`as_result`, so the
table code never touches statsmodels.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from synergy_stats._typing import check_arguments, check_option
from synergy_stats.errors import (
    ConvergenceWarning,
    DataValidationError,
    DroppedDataWarning,
    EstimationError,
    OptionError,
    SpecificationError,
    SynergyError,
)
from synergy_stats.multilevel.cluster import MissingCluster, validate_cluster
from synergy_stats.regression.clusters import check_mixed_groups, check_robust_clusters

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "CovType",
    "RegressionResult",
    "as_result",
    "logit",
    "mixedlm",
    "ordered_logit",
    "probit",
    "regress",
]

CovType = Literal["nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"]
ModelKind = Literal["ols", "wls", "logit", "probit", "ordered_logit", "ordered_probit", "mixedlm"]

ESTIMATE_COLUMNS = ("term", "kind", "est", "se", "stat", "pvalue", "ci_lower", "ci_upper")


@dataclass(frozen=True)
class RegressionResult:
    """A fitted regression, with tidy estimates and fit measures.

    Parameters
    ----------
    model : str
        The model family: ``"ols"``, ``"wls"``, ``"logit"``, ``"probit"``,
        ``"ordered_logit"``, ``"ordered_probit"`` or ``"mixedlm"``.
    formula : str or None
        The formula the model was fitted from (None for a wrapped result without one).
    raw : Any
        The statsmodels results object.
    cov_type : str
        ``"nonrobust"``, ``"HC0"`` .. ``"HC3"`` or ``"cluster"``.
    cluster : str or None
        Name of the clustering variable (cluster-robust SEs) or grouping variable (MixedLM).
    n_clusters : int or None
        Number of clusters or groups.
    dependent : str or None
        Name of the outcome.
    reml : bool or None
        For MixedLM, whether REML was used.

    Notes
    -----
    ``estimates()`` has the columns ``term kind est se stat pvalue ci_lower ci_upper``;
    ``kind`` is ``"coef"`` for regression coefficients, ``"threshold"`` for the cut points of
    an ordered model and ``"variance"`` for variance components of a mixed model (on the
    variance scale, taken from ``cov_re`` and ``scale``; their standard errors are not
    reported, as in lme4).
    """

    model: str
    formula: str | None
    raw: Any = field(repr=False)
    cov_type: str = "nonrobust"
    cluster: str | None = None
    n_clusters: int | None = None
    dependent: str | None = None
    reml: bool | None = None

    @property
    def nobs(self) -> int:
        """Number of observations used in the fit."""
        return int(self.raw.nobs)

    def estimates(self, *, level: float = 0.95) -> pd.DataFrame:
        """Return the tidy table of estimates.

        Parameters
        ----------
        level : float
            Confidence level of ``ci_lower``/``ci_upper`` (default 0.95).

        Returns
        -------
        pandas.DataFrame
            Columns ``term kind est se stat pvalue ci_lower ci_upper``; one row per
            coefficient, threshold or variance component. ``stat`` is the t or z statistic
            statsmodels uses (``raw.tvalues``).

        Examples
        --------
        Mirrors ``broom::tidy(fit, conf.int = TRUE)`` in R.
        """
        if not 0 < level < 1:
            raise OptionError(f"level={level!r} is not accepted; use a number between 0 and 1")
        return _tidy(self, level)

    def fit_measures(self) -> pd.Series:
        r"""Return the fit measures of the model.

        Returns
        -------
        pandas.Series
            Always ``nobs``, ``loglik``, ``aic``, ``bic`` (NaN where undefined, e.g. AIC
            under REML), ``n_clusters`` (NaN without clusters); plus ``r2``, ``r2_adj``,
            ``fvalue``, ``f_pvalue`` for OLS/WLS; ``pseudo_r2`` (McFadden's
            :math:`1 - \ell/\ell_0`), ``loglik_null``, ``lr_chisq``, ``lr_pvalue`` for
            logit, probit and ordered models; ``group_var``, ``resid_var``, ``icc`` (random
            intercept variance over total) for MixedLM.

        Examples
        --------
        Mirrors ``broom::glance(fit)`` in R.
        """
        return _glance(self)

    def se_type(self) -> str:
        """Describe the standard errors in words, e.g. ``"Clustered by dept (15)"``."""
        if self.cov_type == "cluster":
            n = "" if self.n_clusters is None else f" ({self.n_clusters})"
            return f"Clustered by {self.cluster}{n}"
        if self.cov_type.startswith("HC"):
            return f"Robust ({self.cov_type})"
        return "Conventional"


# --------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------


def _check_frame(data: Any) -> pd.DataFrame:
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data must be a pandas DataFrame, got {type(data).__name__}; pass a DataFrame"
        )
    return data


def _formula_columns(formula: str, data: pd.DataFrame) -> list[str]:
    """Columns of ``data`` whose names appear as identifiers in ``formula``."""
    import re

    if not isinstance(formula, str) or "~" not in formula:
        raise SpecificationError(
            f"formula={formula!r} is not accepted; use a string like 'y ~ x1 + x2'"
        )
    tokens = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", formula))
    quoted = set(re.findall(r"Q\(['\"](.+?)['\"]\)", formula))
    return [c for c in data.columns if str(c) in tokens or str(c) in quoted]


def _complete_cases(data: pd.DataFrame, columns: Sequence[str], *, what: str) -> pd.DataFrame:
    """Keep rows complete on ``columns``; warn with the count if any are dropped."""
    cols = list(dict.fromkeys(columns))
    keep = data[cols].notna().all(axis=1)
    dropped = int((~keep).sum())
    if dropped:
        warnings.warn(
            f"{what}: {dropped} of {len(data)} rows dropped for missing values in "
            f"{', '.join(map(str, cols))}",
            DroppedDataWarning,
            stacklevel=3,
        )
    return data.loc[keep].copy()


def _resolve_column(data: pd.DataFrame, name: Any, argument: str) -> str:
    if not isinstance(name, str) or name not in data.columns:
        raise DataValidationError(
            f"{argument}={name!r} is not a column of data; use one of "
            f"{', '.join(map(str, data.columns))}"
        )
    return name


def _fit_kwargs(
    cov_type: str, cluster: str | None, frame: pd.DataFrame
) -> tuple[dict[str, Any], int | None]:
    check_option("cov_type", cov_type, CovType)
    if cov_type == "cluster":
        if cluster is None:
            raise OptionError("cov_type='cluster' needs cluster=<column name>; cluster=None given")
        groups = frame[cluster]
        codes = np.asarray(groups.astype("category").cat.codes, dtype=np.int64)
        return {"cov_type": "cluster", "cov_kwds": {"groups": codes}}, int(groups.nunique())
    if cluster is not None:
        raise OptionError(
            f"cluster={cluster!r} is given but cov_type={cov_type!r}; use cov_type='cluster'"
        )
    return {"cov_type": cov_type}, None


def _dependent(formula: str) -> str:
    return formula.split("~", 1)[0].strip()


def _translate(exc: Exception, what: str) -> EstimationError:
    return EstimationError(f"{what} could not be estimated: {exc}")


def _library_error(exc: BaseException, what: str, formula: str, frame: pd.DataFrame) -> Exception:
    """The package's error for an exception statsmodels or patsy raised (None: not ours)."""
    from patsy import PatsyError
    from statsmodels.tools.sm_exceptions import MissingDataError

    if isinstance(exc, PatsyError):
        text = str(exc).split("\n")[0]
        unknown = re.findall(r"name '([^']+)' is not defined", str(exc))
        if unknown:
            return SpecificationError(
                f"{what}: formula={formula!r} names {unknown[0]!r}, which is not a column of "
                f"data; columns are {', '.join(map(str, list(frame.columns)[:30]))}"
            )
        return SpecificationError(f"{what}: formula={formula!r} cannot be used: {text}")
    if isinstance(exc, MissingDataError):
        return DataValidationError(f"{what}: the data hold values statsmodels cannot use: {exc}")
    if isinstance(exc, ZeroDivisionError):
        return EstimationError(f"{what} could not be estimated (a division by zero): {exc}")
    if isinstance(exc, SynergyError):
        return exc
    return _translate(exc if isinstance(exc, Exception) else Exception(exc), what)


def _check_finite(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Refuse +-inf in the model's numeric columns (NaN is missing; inf is not)."""
    import pandas as pd

    bad = []
    for c in dict.fromkeys(columns):
        col = frame[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            n = int(np.isinf(col.to_numpy(dtype=float, na_value=np.nan)).sum())
            if n:
                bad.append(f"{c} ({n})")
    if bad:
        raise DataValidationError(
            f"{what}: column(s) {', '.join(bad)} hold infinite values (count in brackets); "
            "replace them by NaN (missing) or finite numbers"
        )


def _check_formula(formula: Any) -> None:
    if not isinstance(formula, str) or "~" not in formula:
        raise SpecificationError(
            f"formula={formula!r} is not accepted; use a string like 'y ~ x1 + x2'"
        )


def regress(
    formula: str,
    data: pd.DataFrame,
    *,
    cov_type: CovType = "nonrobust",
    cluster: str | None = None,
    weights: str | None = None,
) -> RegressionResult:
    r"""Fit a linear regression by OLS (or WLS with ``weights``).

    Parameters
    ----------
    formula : str
        Patsy/formulaic formula, e.g. ``"effect ~ mechanism + process"``.
    data : pandas.DataFrame
        The data; not modified.
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}
        Type of standard errors.
    cluster : str, optional
        Column holding the cluster ids; required with ``cov_type="cluster"``.
    weights : str, optional
        Column of analytic weights; if given, the model is fitted by WLS.

    Returns
    -------
    RegressionResult

    Raises
    ------
    OptionError
        For an unknown ``cov_type`` or an inconsistent ``cluster``.
    DataValidationError
        If ``data`` is not a DataFrame or a named column is missing.
    EstimationError
        If statsmodels cannot fit the model.

    Warns
    -----
    DroppedDataWarning
        When rows with missing values in the model's variables are left out.

    Notes
    -----
    OLS: :math:`\hat\beta = (X'X)^{-1}X'y`; WLS: :math:`(X'WX)^{-1}X'Wy`. Cluster-robust
    standard errors use the CR1 sandwich with the small-sample factor
    :math:`\frac{G}{G-1}\frac{N-1}{N-K}` (Stata's and ``sandwich::vcovCL``'s default).

    References
    ----------
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
    inference. Journal of Human Resources, 50(2), 317-372.

    Examples
    --------
    Mirrors ``lm(y ~ x, data)`` with ``lmtest::coeftest(fit, vcov = sandwich::vcovCL,
    cluster = ~dept)`` in R:

    >>> fit = regress("y ~ x", df, cov_type="cluster", cluster="dept")  # doctest: +SKIP
    >>> fit.estimates()  # doctest: +SKIP
    """
    check_arguments(regress, locals())
    import statsmodels.formula.api as smf

    frame = _check_frame(data)
    _check_formula(formula)
    check_option("cov_type", cov_type, CovType)
    columns = _formula_columns(formula, frame)
    if cluster is not None:
        columns.append(_resolve_column(frame, cluster, "cluster"))
    if weights is not None:
        columns.append(_resolve_column(frame, weights, "weights"))
    _check_finite(frame, columns, "regress")
    frame = _complete_cases(frame, columns, what="regress")
    kwargs, n_clusters = _fit_kwargs(cov_type, cluster, frame)
    try:
        if weights is None:
            model = smf.ols(formula, data=frame)
        else:
            w = frame[weights].to_numpy(dtype=float)
            if np.any(w <= 0):
                raise DataValidationError(
                    f"weights={weights!r} has values <= 0; use positive weights"
                )
            model = smf.wls(formula, data=frame, weights=w)
        if n_clusters is not None and cluster is not None:
            check_robust_clusters(
                n_clusters, model.exog.shape[1], cluster=cluster, what="regress", stacklevel=3
            )
        raw = model.fit(**kwargs)
    except Exception as exc:
        raise _library_error(exc, "regress", formula, frame) from exc
    return RegressionResult(
        model="ols" if weights is None else "wls",
        formula=formula,
        raw=raw,
        cov_type=cov_type,
        cluster=cluster,
        n_clusters=n_clusters,
        dependent=_dependent(formula),
    )


def _binary(
    kind: Literal["logit", "probit"],
    formula: str,
    data: pd.DataFrame,
    cov_type: str,
    cluster: str | None,
) -> RegressionResult:
    import statsmodels.formula.api as smf

    frame = _check_frame(data)
    _check_formula(formula)
    check_option("cov_type", cov_type, CovType)
    columns = _formula_columns(formula, frame)
    if cluster is not None:
        columns.append(_resolve_column(frame, cluster, "cluster"))
    _check_finite(frame, columns, kind)
    frame = _complete_cases(frame, columns, what=kind)
    kwargs, n_clusters = _fit_kwargs(cov_type, cluster, frame)
    factory = smf.logit if kind == "logit" else smf.probit
    try:
        model = factory(formula, data=frame)
        if n_clusters is not None and cluster is not None:
            check_robust_clusters(
                n_clusters, model.exog.shape[1], cluster=cluster, what=kind, stacklevel=4
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            raw = model.fit(disp=0, **kwargs)
    except Exception as exc:
        raise _library_error(exc, kind, formula, frame) from exc
    _forward_convergence(caught, kind)
    if not raw.mle_retvals.get("converged", True):
        warnings.warn(f"{kind}: the optimiser did not converge", ConvergenceWarning, stacklevel=3)
    return RegressionResult(
        model=kind,
        formula=formula,
        raw=raw,
        cov_type=cov_type,
        cluster=cluster,
        n_clusters=n_clusters,
        dependent=_dependent(formula),
    )


def _forward_convergence(caught: list[warnings.WarningMessage], what: str) -> None:
    for w in caught:
        name = type(w.message).__name__
        if "Convergence" in name or "PerfectSeparation" in name:
            warnings.warn(f"{what}: {w.message}", ConvergenceWarning, stacklevel=4)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def logit(
    formula: str,
    data: pd.DataFrame,
    *,
    cov_type: CovType = "nonrobust",
    cluster: str | None = None,
) -> RegressionResult:
    r"""Fit a binary logit model by maximum likelihood.

    Parameters
    ----------
    formula : str
        Formula with a 0/1 outcome, e.g. ``"gap_high ~ mechanism"``.
    data : pandas.DataFrame
        The data; not modified.
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}
        Type of standard errors.
    cluster : str, optional
        Column of cluster ids for ``cov_type="cluster"``.

    Returns
    -------
    RegressionResult

    Raises
    ------
    OptionError, DataValidationError, EstimationError
        As for :func:`regress`.

    Notes
    -----
    :math:`P(y=1\mid x) = 1/(1+e^{-x'\beta})`. ``fit_measures()["pseudo_r2"]`` is
    McFadden's :math:`1-\ell(\hat\beta)/\ell_0`.

    Examples
    --------
    Mirrors ``glm(y ~ x, family = binomial("logit"), data)`` in R.

    >>> fit = logit("y ~ x", df)  # doctest: +SKIP
    """
    check_arguments(logit, locals())
    return _binary("logit", formula, data, cov_type, cluster)


def probit(
    formula: str,
    data: pd.DataFrame,
    *,
    cov_type: CovType = "nonrobust",
    cluster: str | None = None,
) -> RegressionResult:
    r"""Fit a binary probit model by maximum likelihood.

    Parameters
    ----------
    formula : str
        Formula with a 0/1 outcome.
    data : pandas.DataFrame
        The data; not modified.
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}
        Type of standard errors.
    cluster : str, optional
        Column of cluster ids for ``cov_type="cluster"``.

    Returns
    -------
    RegressionResult

    Raises
    ------
    OptionError, DataValidationError, EstimationError
        As for :func:`regress`.

    Notes
    -----
    :math:`P(y=1\mid x) = \Phi(x'\beta)`.

    Examples
    --------
    Mirrors ``glm(y ~ x, family = binomial("probit"), data)`` in R.

    >>> fit = probit("y ~ x", df)  # doctest: +SKIP
    """
    check_arguments(probit, locals())
    return _binary("probit", formula, data, cov_type, cluster)


def ordered_logit(
    formula: str,
    data: pd.DataFrame,
    *,
    distr: Literal["logit", "probit"] = "logit",
) -> RegressionResult:
    r"""Fit an ordered (proportional-odds) logit or probit model.

    Parameters
    ----------
    formula : str
        Formula with an ordinal outcome (integers or an ordered categorical); an
        intercept is not estimated (the thresholds take its place).
    data : pandas.DataFrame
        The data; not modified.
    distr : {"logit", "probit"}
        Link distribution.

    Returns
    -------
    RegressionResult
        ``estimates()`` holds the slopes (``kind="coef"``) and the cut points
        :math:`\tau_1 < \dots < \tau_{K-1}` (``kind="threshold"``), with delta-method
        standard errors for the cut points.

    Raises
    ------
    OptionError, DataValidationError, EstimationError
        As for :func:`regress`.

    Notes
    -----
    :math:`P(y \le k \mid x) = F(\tau_k - x'\beta)`. statsmodels parametrises the cut
    points as :math:`\tau_1` and :math:`\log(\tau_k-\tau_{k-1})`; they are transformed back
    here, and their covariance by the delta method with Jacobian
    :math:`\partial\tau_k/\partial\theta_1 = 1`,
    :math:`\partial\tau_k/\partial\theta_j = e^{\theta_j}` for :math:`2 \le j \le k`.

    Examples
    --------
    Mirrors ``MASS::polr(factor(y) ~ x, data, method = "logistic", Hess = TRUE)`` in R.

    >>> fit = ordered_logit("y ~ x", df)  # doctest: +SKIP
    """
    check_arguments(ordered_logit, locals())
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    check_option("distr", distr, Literal["logit", "probit"])
    frame = _check_frame(data)
    _check_formula(formula)
    columns = _formula_columns(formula, frame)
    _check_finite(frame, columns, "ordered_logit")
    frame = _complete_cases(frame, columns, what="ordered_logit")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = OrderedModel.from_formula(formula, data=frame, distr=distr)
            raw = model.fit(method="bfgs", disp=0, maxiter=2000)
    except Exception as exc:
        raise _library_error(exc, "ordered_logit", formula, frame) from exc
    _forward_convergence(caught, "ordered_logit")
    if not raw.mle_retvals.get("converged", True):
        warnings.warn(
            "ordered_logit: the optimiser did not converge", ConvergenceWarning, stacklevel=2
        )
    return RegressionResult(
        model="ordered_logit" if distr == "logit" else "ordered_probit",
        formula=formula,
        raw=raw,
        dependent=_dependent(formula),
    )


def mixedlm(
    formula: str,
    data: pd.DataFrame,
    *,
    groups: str,
    reml: bool = True,
    missing_cluster: MissingCluster = "error",
) -> RegressionResult:
    r"""Fit a linear mixed model with a random intercept per group.

    Parameters
    ----------
    formula : str
        Fixed-effects formula, e.g. ``"effect ~ mechanism"``.
    data : pandas.DataFrame
        The data; not modified.
    groups : str
        Column holding the group (e.g. department) ids.
    reml : bool
        Restricted maximum likelihood (default) or ML. Under REML, AIC and BIC are not
        defined and are NaN.
    missing_cluster : {"error", "drop"}
        Rows with a missing group id: an error naming them (:class:`ClusterError`), or
        dropped with a warning (the shared check
        :func:`synergy_stats.multilevel.validate_cluster`).

    Returns
    -------
    RegressionResult
        ``estimates()`` holds the fixed effects (``kind="coef"``), the random-intercept
        variance (``kind="variance"``, term ``"Var(<groups>)"``, from ``cov_re``) and the
        residual variance (term ``"Var(Residual)"``, from ``scale``).

    Raises
    ------
    OptionError, DataValidationError, EstimationError
        As for :func:`regress`.

    Notes
    -----
    :math:`y_{ij} = x_{ij}'\beta + u_j + e_{ij}`, :math:`u_j \sim N(0, \tau^2)`,
    :math:`e_{ij} \sim N(0, \sigma^2)`. statsmodels' ``params`` holds :math:`\tau^2/\sigma^2`;
    the variance reported here is :math:`\tau^2` (``cov_re``).

    Examples
    --------
    Mirrors ``lme4::lmer(y ~ x + (1 | dept), data, REML = TRUE)`` in R.

    >>> fit = mixedlm("y ~ x", df, groups="dept")  # doctest: +SKIP
    """
    check_arguments(mixedlm, locals())
    import statsmodels.formula.api as smf

    if not isinstance(reml, bool):
        raise OptionError(f"reml={reml!r} is not accepted; use True or False")
    frame = _check_frame(data)
    info = validate_cluster(
        frame,
        groups,
        argument="groups",
        missing=missing_cluster,
        what="mixedlm",
        warn_singletons=False,
        min_clusters=1,
    )
    if info.n_dropped:
        frame = frame.loc[info.keep]
    group_col = groups
    columns = [*_formula_columns(formula, frame), group_col]
    frame = _complete_cases(frame, columns, what="mixedlm")
    _check_formula(formula)
    _check_finite(frame, columns, "mixedlm")
    check_mixed_groups(int(frame[group_col].nunique()), groups=group_col)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = smf.mixedlm(formula, data=frame, groups=frame[group_col])
            raw = model.fit(reml=reml)
    except Exception as exc:
        raise _library_error(exc, "mixedlm", formula, frame) from exc
    _forward_convergence(caught, "mixedlm")
    return RegressionResult(
        model="mixedlm",
        formula=formula,
        raw=raw,
        cluster=group_col,
        n_clusters=int(raw.model.n_groups),
        dependent=_dependent(formula),
        reml=reml,
    )


# --------------------------------------------------------------------------------------
# wrapping plain statsmodels results
# --------------------------------------------------------------------------------------


def as_result(obj: Any) -> RegressionResult:
    """Wrap a plain statsmodels results object (or pass a RegressionResult through).

    Parameters
    ----------
    obj : RegressionResult or statsmodels results
        OLS/WLS, Logit, Probit, OrderedModel or MixedLM results.

    Returns
    -------
    RegressionResult

    Raises
    ------
    OptionError
        If ``obj`` is neither.
    """
    if isinstance(obj, RegressionResult):
        return obj
    model = getattr(obj, "model", None)
    name = type(model).__name__
    kinds = {
        "OLS": "ols",
        "WLS": "wls",
        "GLS": "wls",
        "Logit": "logit",
        "Probit": "probit",
        "MixedLM": "mixedlm",
    }
    if name == "OrderedModel":
        distr = getattr(getattr(model, "distr", None), "name", "logistic")
        kind = "ordered_probit" if "norm" in str(distr) else "ordered_logit"
    elif name in kinds:
        kind = kinds[name]
    else:
        raise OptionError(
            f"a model of type {type(obj).__name__} (model {name}) is not accepted; use a "
            "synergy_stats RegressionResult or a statsmodels OLS, WLS, Logit, Probit, "
            "OrderedModel or MixedLM result"
        )
    formula = getattr(model, "formula", None)
    dependent = getattr(model, "endog_names", None)
    if kind == "mixedlm":
        return RegressionResult(
            model=kind,
            formula=formula,
            raw=obj,
            cluster="group",
            n_clusters=int(getattr(model, "n_groups", 0)) or None,
            dependent=dependent,
            reml=bool(getattr(obj, "method", "REML") == "REML"),
        )
    cov_type = str(getattr(obj, "cov_type", "nonrobust"))
    n_clusters = None
    if cov_type == "cluster":
        n_groups = getattr(obj, "n_groups", None)
        if n_groups is None:
            groups = (getattr(obj, "cov_kwds", None) or {}).get("groups")
            n_groups = None if groups is None else len(np.unique(np.asarray(groups)))
        n_clusters = None if n_groups is None else int(n_groups)
    if cov_type not in ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"):
        cov_type = str(cov_type)
    return RegressionResult(
        model=kind,
        formula=formula,
        raw=obj,
        cov_type=cov_type,
        cluster="cluster" if cov_type == "cluster" else None,
        n_clusters=n_clusters,
        dependent=dependent,
    )


# --------------------------------------------------------------------------------------
# tidy outputs
# --------------------------------------------------------------------------------------


def _tidy(res: RegressionResult, level: float) -> pd.DataFrame:
    import pandas as pd
    from scipy import stats

    raw = res.raw
    alpha = 1 - level
    rows: list[dict[str, Any]] = []
    if res.model == "mixedlm":
        k_fe = int(raw.k_fe)
        names = [_clean_term(str(t)) for t in raw.fe_params.index]
        est = np.asarray(raw.fe_params, dtype=float)
        se = np.asarray(raw.bse_fe, dtype=float)
        z = est / se
        p = 2 * stats.norm.sf(np.abs(z))
        q = stats.norm.ppf(1 - alpha / 2)
        for i in range(k_fe):
            rows.append(
                _row(
                    names[i],
                    "coef",
                    est[i],
                    se[i],
                    z[i],
                    p[i],
                    est[i] - q * se[i],
                    est[i] + q * se[i],
                )
            )
        cov_re = np.asarray(raw.cov_re, dtype=float)
        re_names = [str(n) for n in getattr(raw.cov_re, "columns", range(cov_re.shape[0]))]
        group = res.cluster or "group"
        for i in range(cov_re.shape[0]):
            for j in range(i + 1):
                if i == j:
                    label = (
                        f"Var({group})"
                        if re_names[i] in (group, "Group") or cov_re.shape[0] == 1
                        else f"Var({re_names[i]} | {group})"
                    )
                else:
                    label = f"Cov({re_names[j]}, {re_names[i]} | {group})"
                rows.append(_row(label, "variance", cov_re[i, j]))
        rows.append(_row("Var(Residual)", "variance", float(raw.scale)))
        return pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS))

    params = raw.params
    names = [str(n) for n in params.index] if hasattr(params, "index") else _exog_names(raw)
    names = [_clean_term(n) for n in names]
    est = np.array(params, dtype=float)
    se = np.array(raw.bse, dtype=float)
    stat = np.array(raw.tvalues, dtype=float)
    pval = np.array(raw.pvalues, dtype=float)
    ci = np.array(raw.conf_int(alpha=alpha), dtype=float)
    kind = ["coef"] * len(est)
    if res.model in ("ordered_logit", "ordered_probit"):
        k_levels = int(raw.model.k_levels)
        n_thr = k_levels - 1
        k_coef = len(est) - n_thr
        theta = est[k_coef:]
        cov = np.asarray(raw.cov_params(), dtype=float)[k_coef:, k_coef:]
        tau = np.cumsum(np.concatenate([[theta[0]], np.exp(theta[1:])]))
        jac = np.zeros((n_thr, n_thr))
        for k in range(n_thr):
            jac[k, 0] = 1.0
            for j in range(1, k + 1):
                jac[k, j] = np.exp(theta[j])
        tau_se = np.sqrt(np.diag(jac @ cov @ jac.T))
        use_t = bool(getattr(raw, "use_t", False))
        dist = stats.t(raw.df_resid) if use_t else stats.norm
        q = float(dist.ppf(1 - alpha / 2))
        levels = [_level_label(v) for v in raw.model.labels]
        for k in range(n_thr):
            idx = k_coef + k
            names[idx] = f"{levels[k]}|{levels[k + 1]}"
            est[idx] = tau[k]
            se[idx] = tau_se[k]
            stat[idx] = tau[k] / tau_se[k]
            pval[idx] = 2 * float(dist.sf(abs(stat[idx])))
            ci[idx] = (tau[k] - q * tau_se[k], tau[k] + q * tau_se[k])
            kind[idx] = "threshold"
    for i, name in enumerate(names):
        rows.append(_row(name, kind[i], est[i], se[i], stat[i], pval[i], ci[i, 0], ci[i, 1]))
    return pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS))


_Q_TERM = re.compile(r"""Q\((["'])(.*)\1\)""")


def _clean_term(term: str) -> str:
    """Strip patsy's ``Q("...")`` quoting so terms carry the column's own name."""
    return _Q_TERM.sub(_unquote, term)


def _unquote(match: re.Match[str]) -> str:
    literal = match.group(1) + match.group(2) + match.group(1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return match.group(2)
    return str(value)


def _level_label(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _exog_names(raw: Any) -> list[str]:
    return [str(n) for n in raw.model.exog_names]


def _row(
    term: str,
    kind: str,
    est: float,
    se: float = np.nan,
    stat: float = np.nan,
    pvalue: float = np.nan,
    lo: float = np.nan,
    hi: float = np.nan,
) -> dict[str, Any]:
    return {
        "term": term,
        "kind": kind,
        "est": float(est),
        "se": float(se),
        "stat": float(stat),
        "pvalue": float(pvalue),
        "ci_lower": float(lo),
        "ci_upper": float(hi),
    }


def _attr(raw: Any, name: str) -> float:
    try:
        value = getattr(raw, name)
    except (AttributeError, ValueError, NotImplementedError, np.linalg.LinAlgError):
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _glance(res: RegressionResult) -> pd.Series:
    import pandas as pd

    raw = res.raw
    out: dict[str, float] = {
        "nobs": float(raw.nobs),
        "loglik": _attr(raw, "llf"),
        "aic": _attr(raw, "aic"),
        "bic": _attr(raw, "bic"),
        "n_clusters": float("nan") if res.n_clusters is None else float(res.n_clusters),
    }
    if res.model in ("ols", "wls"):
        out["r2"] = _attr(raw, "rsquared")
        out["r2_adj"] = _attr(raw, "rsquared_adj")
        out["fvalue"] = _attr(raw, "fvalue")
        out["f_pvalue"] = _attr(raw, "f_pvalue")
        out["df_model"] = _attr(raw, "df_model")
        out["df_resid"] = _attr(raw, "df_resid")
    elif res.model == "mixedlm":
        cov_re = np.asarray(raw.cov_re, dtype=float)
        tau2 = float(cov_re[0, 0]) if cov_re.size else float("nan")
        sigma2 = float(raw.scale)
        out["group_var"] = tau2
        out["resid_var"] = sigma2
        out["icc"] = tau2 / (tau2 + sigma2)
    else:
        llf = out["loglik"]
        llnull = _attr(raw, "llnull")
        out["loglik_null"] = llnull
        out["pseudo_r2"] = 1.0 - llf / llnull if np.isfinite(llnull) else float("nan")
        out["lr_chisq"] = 2.0 * (llf - llnull)
        if res.model in ("logit", "probit"):
            out["lr_pvalue"] = _attr(raw, "llr_pvalue")
        else:
            from scipy import stats

            df = float(len(raw.params) - (int(raw.model.k_levels) - 1))
            out["lr_pvalue"] = float(stats.chi2.sf(out["lr_chisq"], df)) if df > 0 else float("nan")
    return pd.Series(out, dtype=float, name=res.model)
