"""``sem()`` and ``cfa()``: from syntax and a DataFrame to an immutable :class:`SEMResult`.

The steps mirror lavaan's: parse the model, check and select the data, build the parameter
table, compute sample statistics, start, optimise (restarting when needed), check the
solution, compute standard errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from synergy_stats._typing import check_arguments, check_flags
from synergy_stats.errors import (
    ConvergenceError,
    ConvergenceWarning,
    DataValidationError,
    DroppedDataWarning,
    HeywoodWarning,
    IdentificationError,
    OptionError,
    SpecificationError,
)
from synergy_stats.multilevel.cluster import MissingCluster
from synergy_stats.structural._datachecks import check_collinear, check_columns
from synergy_stats.structural.engine import single_threaded
from synergy_stats.structural.estimate import (
    Objective,
    OptimResult,
    minimise,
    starting_values,
)
from synergy_stats.structural.inference import invert_information
from synergy_stats.structural.model import RamModel
from synergy_stats.structural.options import (
    CategoricalEstimator,
    Engine,
    Estimator,
    FitOptions,
    MissingAny,
)
from synergy_stats.structural.partable import ParTable, build_partable
from synergy_stats.structural.results import SEMResult
from synergy_stats.structural.samplestats import GroupData, make_group_data
from synergy_stats.structural.spec import ModelSpec, Statement
from synergy_stats.structural.syntax import parse_model

__all__ = ["cfa", "fit_groups", "prepare_data", "sem"]


def _as_spec(model: str | ModelSpec) -> ModelSpec:
    if isinstance(model, ModelSpec):
        return model
    if isinstance(model, str):
        return parse_model(model)
    raise OptionError(
        f"model={type(model).__name__} is not accepted; give lavaan syntax (str) or a ModelSpec"
    )


def _partable(
    spec: ModelSpec, options: FitOptions, data_columns: list[str], n_groups: int
) -> ParTable:
    """The parameter table of ``spec`` under the fit's options (``sem()`` and ``refit()``)."""
    return build_partable(
        spec,
        data_columns=data_columns,
        n_groups=n_groups,
        meanstructure=options.meanstructure,
        auto=options.auto,
        std_lv=options.std_lv,
        fixed_x=options.fixed_x,
        group_equal=options.group_equal,
        group_partial=options.group_partial,
    )


@single_threaded
def sem(
    model: str | ModelSpec,
    data: pd.DataFrame,
    *,
    estimator: Estimator | CategoricalEstimator | None = None,
    missing: MissingAny = "listwise",
    meanstructure: bool | None = None,
    group: str | None = None,
    group_equal: Sequence[str] = (),
    group_partial: Sequence[str] = (),
    std_lv: bool = False,
    auto: bool = True,
    fixed_x: bool = True,
    level: float = 0.95,
    engine: Engine = "numpy",
    se: bool = True,
    ordered: bool | Sequence[str] | None = None,
    parameterization: Literal["delta", "theta"] = "delta",
    cluster: str | None = None,
    missing_cluster: MissingCluster = "error",
) -> SEMResult:
    """Fit a structural equation model by maximum likelihood, as lavaan's ``sem()``.

    Parameters
    ----------
    model : str or ModelSpec
        lavaan model syntax (``=~``, ``~``, ``~~``, ``~ 1``, labels, fixed values,
        ``:=``) or a parsed specification.
    data : pandas.DataFrame
        One row per respondent; never modified.
    estimator : {"ML", "MLR", "WLSMV", "WLSM", "ULSMV", "ULS", "DWLS", "WLS"}, optional
        ML with expected-information standard errors, or MLR: sandwich (Huber-White)
        standard errors from the observed information and the Yuan-Bentler scaled test.
        With ``ordered``, one of lavaan's least-squares estimators for categorical data
        (default ``"WLSMV"``; see :mod:`synergy_stats.ordinal`). Default: ``"ML"``.
    missing : {"listwise", "fiml", "pairwise"}
        Listwise deletion (warns with the number of rows dropped) or full-information ML
        (case-wise likelihood, chi-square against the EM saturated model); ``"pairwise"``
        only with ordered indicators.
    meanstructure : bool, optional
        Model intercepts and means. Default (None): True with FIML, groups, or intercept
        lines (``y ~ 1``, ``t1 ~ 0*1``) in the syntax, else False (as lavaan). An explicit
        False with FIML or with intercept lines raises OptionError.
    group : str, optional
        Column defining groups for a multiple-group model.
    group_equal : sequence of str
        Constraints across groups: any of ``loadings intercepts means residuals
        residual_covariances lv_variances lv_covariances regressions``.
    group_partial : sequence of str
        Relations freed from ``group_equal``, e.g. ``["visual =~ x2", "x3 ~ 1"]``.
    std_lv : bool
        Identify factors by unit variances instead of first loadings.
    auto : bool
        Add lavaan's ``sem()`` defaults (True) or fit the model exactly as written, as
        lavaan's ``lavaan()`` with ``int.ov.free = TRUE`` (False), e.g. an RI-CLPM.
    fixed_x : bool
        Treat exogenous observed covariates as fixed, as lavaan does.
    level : float
        Confidence level of the Wald intervals.
    engine : {"numpy", "semopy"}
        Who finds the point estimates: our Fisher-scoring optimiser, or semopy (through
        :mod:`synergy_stats.structural.semopy_adapter`, single-group complete-data models without a
        mean structure). Everything else is computed here either way.
    se : bool
        Compute standard errors (when first asked for). ``se=False`` is lavaan's
        ``se = "none"``: estimates and fit measures only, e.g. for a CFA behind
        reliability coefficients or an invariance ladder.
    ordered : bool or list of str, optional
        Ordered (Likert) indicators, lavaan's ``ordered=``: a list of columns, or True for
        every observed variable of the model. The fit then runs the categorical branch
        (thresholds, polychoric correlations, least squares) and returns an
        :class:`~synergy_stats.ordinal.OrdinalSEMResult`.
    parameterization : {"delta", "theta"}
        Scale of the latent responses with ordered indicators (lavaan's
        ``parameterization=``).
    cluster : str, optional
        Column of cluster (department) ids, as lavaan's ``cluster =``. A single-level
        model gets cluster-robust standard errors and the Yuan-Bentler scaled test with
        clusters (Mplus ``TYPE=COMPLEX``; the estimator is MLR); a model with ``level:``
        blocks is fitted by two-level ML (:mod:`synergy_stats.multilevel`).
    missing_cluster : {"error", "drop"}
        Rows with a missing cluster id: an error naming them, or dropped with a warning.

    Returns
    -------
    SEMResult

    Raises
    ------
    ModelSyntaxError
        The syntax cannot be parsed (line and column given).
    SpecificationError
        A model variable is not in the data.
    IdentificationError
        Negative degrees of freedom, a factor with no scale, or a singular information.
    DataValidationError
        Non-numeric or constant columns, fewer rows than variables.
    ConvergenceError
        No admissible optimum was reached, even after restarts.

    Examples
    --------
    Mirrors lavaan's ``sem(model, data = d)``:

    >>> import synergy_stats as ss  # doctest: +SKIP
    >>> fit = ss.sem("f =~ x1 + x2 + x3", data)  # doctest: +SKIP
    >>> fit.fit_measures()["cfi"]  # doctest: +SKIP
    """
    check_arguments(sem, locals())
    check_flags(std_lv=std_lv, auto=auto, fixed_x=fixed_x, se=se, meanstructure=meanstructure)
    if (
        ordered is not None
        and ordered is not False
        and not (not isinstance(ordered, bool | str) and len(ordered) == 0)
    ):
        return _sem_ordinal(
            model, data, ordered=ordered, estimator=estimator, missing=missing,
            group=group, group_equal=group_equal, group_partial=group_partial,
            std_lv=std_lv, auto=auto, level=level, se=se, parameterization=parameterization,
        )  # fmt: skip
    if estimator is None:
        estimator = "ML"
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data={type(data).__name__} is not accepted; give a pandas DataFrame"
        )
    spec = _as_spec(model)
    if not spec.statements:
        raise SpecificationError("model has no statements")
    if cluster is not None or any(s.level for s in spec.statements):
        from synergy_stats.multilevel.fit import sem_clustered

        opts = dict(
            estimator=estimator,
            missing=missing,
            meanstructure=meanstructure,
            group=group,
            group_equal=group_equal,
            group_partial=group_partial,
            std_lv=std_lv,
            auto=auto,
            fixed_x=fixed_x,
            level=level,
            engine=engine,
            se=se,
        )
        return sem_clustered(
            spec, data, cluster=cluster, missing_cluster=missing_cluster, kwargs=opts
        )
    if group is not None and group not in data.columns:
        raise DataValidationError(f"group={group!r} is not a column of data")
    n_groups = 1
    group_labels: tuple[Any, ...] = (None,)
    if group is not None:
        labels = pd.unique(data[group].dropna())  # order of appearance, as lavaan
        group_labels = tuple(labels.tolist())
        n_groups = len(group_labels)
        if n_groups < 2:
            raise DataValidationError(f"group={group!r} has fewer than two distinct values")
    options = FitOptions.from_kwargs(
        estimator=estimator,
        missing=missing,
        meanstructure=meanstructure,
        n_groups=n_groups,
        has_intercepts=any(st.op == "~1" for st in spec.statements),
        auto=auto,
        std_lv=std_lv,
        fixed_x=fixed_x,
        group=group,
        group_equal=group_equal,
        group_partial=group_partial,
        level=level,
        engine=engine,
    )
    pt = _partable(spec, options, list(data.columns), n_groups)
    groups, n_dropped = prepare_data(data, pt, group, group_labels, fiml=options.fiml)
    return fit_groups(
        spec, pt, groups, options, group_labels=group_labels, n_dropped=n_dropped, se=se
    )


def cfa(
    model: str | ModelSpec,
    data: pd.DataFrame,
    *,
    estimator: Estimator | CategoricalEstimator | None = None,
    missing: MissingAny = "listwise",
    meanstructure: bool | None = None,
    group: str | None = None,
    group_equal: Sequence[str] = (),
    group_partial: Sequence[str] = (),
    std_lv: bool = False,
    auto: bool = True,
    fixed_x: bool = True,
    level: float = 0.95,
    engine: Engine = "numpy",
    se: bool = True,
    ordered: bool | Sequence[str] | None = None,
    parameterization: Literal["delta", "theta"] = "delta",
    cluster: str | None = None,
    missing_cluster: MissingCluster = "error",
) -> SEMResult:
    """Fit a confirmatory factor analysis, as lavaan's ``cfa()`` (same defaults as :func:`sem`).

    See :func:`sem` for the parameters, return value and errors.

    Examples
    --------
    Mirrors lavaan's ``cfa(HS.model, data = HolzingerSwineford1939)``.
    """
    check_arguments(cfa, locals())
    return sem(
        model,
        data,
        estimator=estimator,
        missing=missing,
        meanstructure=meanstructure,
        group=group,
        group_equal=group_equal,
        group_partial=group_partial,
        std_lv=std_lv,
        auto=auto,
        fixed_x=fixed_x,
        level=level,
        engine=engine,
        se=se,
        ordered=ordered,
        parameterization=parameterization,
        cluster=cluster,
        missing_cluster=missing_cluster,
    )


def _sem_ordinal(
    model: str | ModelSpec,
    data: pd.DataFrame,
    *,
    ordered: bool | Sequence[str],
    estimator: str | None,
    missing: str,
    group: str | None,
    group_equal: Sequence[str],
    group_partial: Sequence[str],
    std_lv: bool,
    auto: bool,
    level: float,
    se: bool,
    parameterization: str,
) -> SEMResult:
    """The categorical branch (:func:`synergy_stats.ordinal.fit.fit_ordinal`)."""
    from synergy_stats.ordinal.fit import fit_ordinal

    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data={type(data).__name__} is not accepted; give a pandas DataFrame"
        )
    if not 0 < level < 1:
        raise OptionError(f"level={level!r} must lie strictly between 0 and 1")
    spec = _as_spec(model)
    if not spec.statements:
        raise SpecificationError("model has no statements")
    group_labels: tuple[Any, ...] = (None,)
    if group is not None:
        if group not in data.columns:
            raise DataValidationError(f"group={group!r} is not a column of data")
        group_labels = tuple(pd.unique(data[group].dropna()).tolist())
        if len(group_labels) < 2:
            raise DataValidationError(f"group={group!r} has fewer than two distinct values")
    return fit_ordinal(
        spec, data, ordered=ordered, estimator=estimator or "WLSMV",
        parameterization=parameterization, missing=missing, group=group,
        group_labels=group_labels, group_equal=tuple(group_equal),
        group_partial=tuple(group_partial), std_lv=std_lv, auto=auto, level=level, se=se,
    )  # fmt: skip


# ---------------------------------------------------------------------- data
def prepare_data(
    data: pd.DataFrame,
    pt: ParTable,
    group: str | None,
    group_labels: tuple[Any, ...],
    *,
    fiml: bool,
) -> tuple[list[GroupData], int]:
    """Check and select the model's columns of ``data``; the sample statistics per group.

    Returns the group data (in ``group_labels`` order) and the number of rows dropped
    (listwise deletion, rows with nothing observed or a missing fixed-x covariate under
    FIML, rows with a missing group value; each drop warns with DroppedDataWarning).
    Shared by :func:`sem` and the invariance ladder, which fits many parameter tables to
    the same data.
    """
    cols = list(pt.observed)
    sub = data[cols]
    if sub.shape[1] != len(cols):  # a repeated column name selects several columns
        raise DataValidationError(f"data has repeated column names among {cols}; rename them")
    dtypes = sub.dtypes
    bad = [
        c
        for c, dt in zip(cols, dtypes, strict=True)
        if not (pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt))
    ]
    if bad:
        raise DataValidationError(
            f"column(s) {bad} are not numeric (dtypes "
            f"{[str(dtypes[c]) for c in bad]}); code responses as numbers first "
            "(synergy_stats.read_survey does this for instrument items)"
        )
    x_all = sub.to_numpy(dtype=float)  # may be a view of the caller's data: never written
    all_finite = bool(np.isfinite(x_all.sum(axis=0)).all())
    owned = False
    if all_finite:
        miss = np.zeros((0, len(cols)), dtype=bool)
    else:
        finite = np.isfinite(x_all)
        x_all = np.where(finite, x_all, np.nan)  # a copy; infinities count as missing
        owned = True
        miss = ~finite
    keep = np.ones(len(data), dtype=bool)
    if group is not None:
        keep &= data[group].notna().to_numpy()
    n_dropped = 0
    if fiml and not all_finite:
        empty = miss.all(axis=1) & keep
        exo_idx = [cols.index(v) for v in pt.exogenous_x]
        exo_missing = (
            miss[:, exo_idx].any(axis=1) & keep & ~empty
            if exo_idx
            else np.zeros(len(data), dtype=bool)
        )
        drop = empty | exo_missing
        if drop.any():
            warnings.warn(
                f"{int(drop.sum())} row(s) dropped before FIML: {int(empty.sum())} with no "
                f"observed model variable, {int(exo_missing.sum())} with a missing exogenous "
                "covariate (fixed.x)",
                DroppedDataWarning,
                stacklevel=3,
            )
        keep &= ~drop
        n_dropped = int(drop.sum())
    elif not all_finite:
        incomplete = miss.any(axis=1) & keep
        if incomplete.any():
            warnings.warn(
                f"listwise deletion dropped {int(incomplete.sum())} of {int(keep.sum())} rows "
                "with missing values on model variables; use missing='fiml' to keep them",
                DroppedDataWarning,
                stacklevel=3,
            )
        keep &= ~incomplete
        n_dropped = int(incomplete.sum())
    if group is not None and (~data[group].notna()).any():
        n_na = int((~data[group].notna()).sum())
        warnings.warn(
            f"{n_na} row(s) with a missing group value ({group!r}) were dropped",
            DroppedDataWarning,
            stacklevel=3,
        )
        n_dropped += n_na
    groups: list[GroupData] = []
    # missing group values (None, NaN, pd.NA) never equal a label; pd.NA has no truth value
    gvals = (
        data[group].astype(object).where(data[group].notna(), None).to_numpy()
        if group is not None
        else None
    )
    p = len(cols)
    for lab in group_labels:
        sel = keep if gvals is None else keep & (gvals == lab)
        whole = bool(sel.all())
        x = x_all if whole else x_all[sel]
        where = "" if gvals is None else f" in group {lab!r}"
        if x.shape[0] <= p:
            raise DataValidationError(
                f"{x.shape[0]} usable row(s){where} for {p} observed variables; a "
                "covariance-based model needs more rows than variables"
            )
        if fiml and not all_finite:
            with np.errstate(invalid="ignore"):
                var = np.nanvar(x, axis=0)
        else:
            var = None
        if var is not None:
            check_columns(x, cols, where)
        gd = make_group_data(x, fiml=fiml, copy=whole and not owned)
        if var is None:
            const = [cols[i] for i in range(p) if not (gd.cov[i, i] > 0)]
            if const:
                raise DataValidationError(
                    f"column(s) {const} are constant{where}; a constant variable cannot be modelled"
                )
        check_collinear(gd.cov, cols, where)
        groups.append(gd)
    return groups, n_dropped


# ---------------------------------------------------------------------- fitting
def _optimise(
    pt: ParTable, groups: list[GroupData], objective: Objective, start: np.ndarray | None = None
) -> tuple[OptimResult, int]:
    """The optimiser from the default starts, then restarts; raises when all fail."""
    attempts: list[OptimResult] = []
    starts: list[np.ndarray] = []
    if start is not None:
        starts.append(start)
    starts.append(starting_values(pt, groups))
    starts.append(starting_values(pt, groups, simple=True))
    for i, st in enumerate(starts):
        res = minimise(objective, st)
        attempts.append(res)
        if res.converged:
            return res, i
    # last resort: quasi-Newton from the best point reached
    from scipy import optimize

    best = min(attempts, key=lambda r: r.fmin if np.isfinite(r.fmin) else np.inf)
    if np.isfinite(best.fmin):
        sol = optimize.minimize(
            objective.value,
            best.theta,
            jac=objective.gradient,
            method="BFGS",
            options={"gtol": 1e-9, "maxiter": 5000},
        )
        res = minimise(objective, sol.x)
        if res.converged:
            return res, len(starts)
        attempts.append(res)
    best = min(attempts, key=lambda r: r.fmin if np.isfinite(r.fmin) else np.inf)
    raise ConvergenceError(
        f"the optimiser did not converge after {len(attempts)} attempt(s) (best largest "
        f"gradient {best.grad_max:.3g}, {best.message}); check the model's identification "
        "and starting values"
    )


@single_threaded
def fit_groups(
    spec: ModelSpec,
    pt: ParTable,
    groups: list[GroupData],
    options: FitOptions,
    *,
    group_labels: tuple[Any, ...] = (None,),
    n_dropped: int = 0,
    start: np.ndarray | None = None,
    check: bool = True,
    se: bool = True,
) -> SEMResult:
    """Fit a parameter table to prepared group data (the engine behind :func:`sem`).

    Used directly by resampling code, which passes ``start`` (the full-sample estimates)
    and ``check=False`` to skip warnings.
    """
    fiml = options.missing == "fiml"
    if pt.df < 0:
        raise IdentificationError(
            f"the model has {pt.npar} free parameters but only {pt.n_moments} sample "
            f"moments (df = {pt.df}); it is not identified"
        )
    model = RamModel(pt, groups)
    objective = Objective(model, groups, fiml=fiml)
    if options.engine == "semopy":
        from synergy_stats.structural.semopy_adapter import semopy_estimates

        theta0 = semopy_estimates(spec, pt, groups[0])
        fval, grad, _ = objective.derivatives(theta0, info=False)
        gmax = float(np.max(np.abs(grad))) if grad.size else 0.0
        optim = OptimResult(theta0, fval, gmax, 0, gmax < 1e-5, "semopy (SLSQP, MLW)")
        restarts = 0
        if not optim.converged:
            raise ConvergenceError(
                f"semopy stopped at a point with largest gradient {gmax:.3g}; use engine='numpy'"
            )
    else:
        optim, restarts = _optimise(pt, groups, objective, start)
    if check and restarts:
        warnings.warn(
            f"the first start did not converge; converged after {restarts} restart(s)",
            ConvergenceWarning,
            stacklevel=3,
        )
    theta = optim.theta
    names = pt.parameter_names()
    if se:
        # identification: the (cheap) expected information must be nonsingular; the
        # standard errors themselves are computed when first asked for
        invert_information(objective.derivatives(theta)[2], objective.ntotal, names)
    result = SEMResult(
        spec=spec,
        partable=pt,
        options=options,
        theta=theta,
        nobs=objective.ntotal,
        group_labels=group_labels,
        n_dropped=n_dropped,
        optim=optim,
        _model=model,
        _objective=objective,
        _groups=groups,
        _restarts=restarts,
        _se=se,
    )
    if check:
        _heywood(result)
    return result


def _heywood(result: SEMResult) -> None:
    pt = result.partable
    std_all = result._std[1]
    problems = []
    for r in range(len(pt)):
        f = int(pt.free[r])
        if f == 0:
            continue
        op, lhs, rhs = pt.op[r], pt.lhs[r], pt.rhs[r]
        if op == "~~" and lhs == rhs and result.theta[f - 1] < 0:
            problems.append(f"{lhs} ~~ {rhs} = {result.theta[f - 1]:.4g}")
        elif op in ("=~", "~") and abs(std_all[r]) > 1:
            problems.append(f"{lhs} {op} {rhs} std_all = {std_all[r]:.4g}")
        elif op == "~~" and lhs != rhs and abs(std_all[r]) > 1:
            problems.append(f"{lhs} ~~ {rhs} correlation = {std_all[r]:.4g}")
    if problems:
        warnings.warn(
            "improper solution (Heywood case): " + "; ".join(problems),
            HeywoodWarning,
            stacklevel=4,
        )


def _fit_baseline(result: SEMResult) -> SEMResult:
    """The independence (baseline) model: free variances (and means), fixed-x kept."""
    pt = result.partable
    statements = []
    for v in pt.observed:
        if v in pt.exogenous_x:
            continue
        statements.append(Statement(v, "~~", v))
    spec = ModelSpec(tuple(statements))
    base_pt = build_partable(
        spec,
        n_groups=pt.n_groups,
        meanstructure=pt.meanstructure,
        auto=False,
        fixed_x=False,
    )
    # keep the exogenous covariates' moments fixed at their sample values
    if pt.exogenous_x:
        base_pt = _with_fixed_x(base_pt, pt)
    base_pt = _reorder_observed(base_pt, pt.observed)
    options = FitOptions(
        estimator=result.options.estimator,
        missing=result.options.missing,
        meanstructure=pt.meanstructure,
        information=result.options.information,
    )
    return fit_groups(spec, base_pt, result._groups, options, check=False, se=False)


def _reorder_observed(bpt: ParTable, observed: tuple[str, ...]) -> ParTable:
    from dataclasses import replace

    return replace(bpt, observed=observed)


def _with_fixed_x(bpt: ParTable, pt: ParTable) -> ParTable:
    from dataclasses import replace

    lhs, op, rhs = list(bpt.lhs), list(bpt.op), list(bpt.rhs)
    group, free, value = list(bpt.group), list(bpt.free), list(bpt.value)
    label, user, exo = list(bpt.label), list(bpt.user), list(bpt.exo)
    for r in range(len(pt)):
        if pt.exo[r]:
            lhs.append(pt.lhs[r])
            op.append(pt.op[r])
            rhs.append(pt.rhs[r])
            group.append(int(pt.group[r]))
            free.append(0)
            value.append(np.nan)
            label.append("")
            user.append(False)
            exo.append(True)
    return replace(
        bpt,
        lhs=tuple(lhs),
        op=tuple(op),
        rhs=tuple(rhs),
        group=np.array(group),
        free=np.array(free),
        value=np.array(value),
        label=tuple(label),
        user=np.array(user),
        exo=np.array(exo),
        exogenous_x=pt.exogenous_x,
    )


# ---------------------------------------------------------------------- modification indices
def _fiml_candidate_terms(
    gd: Any,
    sigma: np.ndarray,
    mu: np.ndarray,
    dsig: np.ndarray,
    dmu: np.ndarray,
    ds_all: np.ndarray,
    dm_all: np.ndarray,
    ntotal: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FIML score and expected-information terms of candidate parameters in one group.

    Parameters
    ----------
    gd : GroupData
        The group's data; its missing-data ``patterns`` carry ``obs``, ``n``, ``mean``
        and ``cov`` (ML moments about the pattern mean).
    sigma, mu : numpy.ndarray
        Model-implied covariance (p x p) and mean (p) at the estimates.
    dsig, dmu : numpy.ndarray
        Their derivatives in the free parameters, K x p x p and K x p.
    ds_all, dm_all : numpy.ndarray
        Their derivatives in the C candidate parameters, C x p x p and C x p.
    ntotal : int
        Cases over all groups (the unit of lavaan's information).

    Returns
    -------
    score : (C,) numpy.ndarray
        Derivative of ``logL / N`` in each candidate.
    i_cc : (C,) numpy.ndarray
        Diagonal candidate block of the expected information.
    i_ct : (C, K) numpy.ndarray
        Candidate-by-free block of the expected information.

    Notes
    -----
    Summed over patterns ``p`` with observed variables ``o`` (``S = Sigma_oo^-1``,
    ``d = ybar_p - mu_o``, ``M = S (C_p + d d') S - S``), weighted ``n_p / N``:
    score ``1/2 tr(M dSigma_c) + d' S dmu_c``, information
    ``1/2 tr(S dSigma_a S dSigma_b) + dmu_a' S dmu_b`` -- lavaan's
    ``lav_mvnorm_missing`` gradient and expected information, taken in the
    candidates of the extended model.
    """
    C, K = ds_all.shape[0], dsig.shape[0]
    score = np.zeros(C)
    i_cc = np.zeros(C)
    i_ct = np.zeros((C, K))
    for pat in gd.patterns:
        o = np.asarray(pat.obs)
        if o.size == 0:
            continue
        wt = pat.n / ntotal
        s_inv = np.linalg.inv(sigma[np.ix_(o, o)])
        d = np.asarray(pat.mean) - mu[o]
        m_mat = s_inv @ (np.asarray(pat.cov) + np.outer(d, d)) @ s_inv - s_inv
        dsc = ds_all[:, o][:, :, o]
        dmc = dm_all[:, o]
        a = np.einsum("ij,cjk->cik", s_inv, dsc)
        b = np.einsum("ij,kjl->kil", s_inv, dsig[:, o][:, :, o])
        score += wt * (0.5 * np.einsum("ij,cji->c", m_mat, dsc) + dmc @ (s_inv @ d))
        i_cc += wt * (
            0.5 * np.einsum("cij,cji->c", a, a) + np.einsum("ci,ij,cj->c", dmc, s_inv, dmc)
        )
        i_ct += wt * (0.5 * np.einsum("cij,kji->ck", a, b) + dmc @ s_inv @ dmu[:, o].T)
    return score, i_cc, i_ct


def _modification_indices(result: SEMResult) -> pd.DataFrame:
    pt = result.partable
    model = result._model
    objective = result._objective
    theta = result.theta
    latent = list(pt.latent)
    indicators = [
        v
        for v in pt.observed
        if any(o == "=~" and r == v for o, r in zip(pt.op, pt.rhs, strict=True))
    ]
    present = {
        (int(g), lh, o, rh) for g, lh, o, rh in zip(pt.group, pt.lhs, pt.op, pt.rhs, strict=True)
    }
    pos = {v: i for i, v in enumerate(model.names)}
    rows = []
    n = objective.ntotal
    fiml = bool(objective.fiml)
    # lavaan's modindices() uses information="expected" whatever the fit's setting; under
    # FIML that is the missing-pattern expected information
    info_tt = result._fiml_expected_information() if fiml else objective.derivatives(theta)[2]
    try:
        info_inv = np.linalg.inv(info_tt)
    except np.linalg.LinAlgError:
        info_inv = np.linalg.pinv(info_tt)
    for g in range(pt.n_groups):
        cands: list[tuple[str, str, str, str, int, int]] = []
        for f in latent:
            for x in indicators:
                if (g + 1, f, "=~", x) not in present:
                    cands.append((f, "=~", x, "A", pos[x], pos[f]))
        if latent:
            obs = [v for v in pt.observed if v not in pt.exogenous_x]
            for i, a in enumerate(obs):
                for b in obs[i + 1 :]:
                    if (g + 1, a, "~~", b) not in present and (g + 1, b, "~~", a) not in present:
                        cands.append((a, "~~", b, "S", pos[a], pos[b]))
        else:
            # a path model: lavaan screens the regressions left out, in both directions;
            # covariates held fixed (fixed.x) are not screened as outcomes
            for y in [v for v in pt.observed if v not in pt.exogenous_x]:
                for x in pt.observed:
                    if x != y and (g + 1, y, "~", x) not in present:
                        cands.append((y, "~", x, "A", pos[y], pos[x]))
        if not cands:
            continue
        mats = model.matrices(theta, g)
        sigma, mu, dsig, dmu = model.jacobian(theta, g)
        gd = result._groups[g]
        w = gd.n / n
        inv = np.linalg.inv(sigma)
        p = model.p
        G = mats.B[:p]
        H = mats.B @ mats.S @ G.T
        V = mats.B @ mats.S @ mats.B.T
        sd = np.sqrt(np.diag(V))
        resid = np.diag(mats.S)
        R = sigma - gd.cov
        d = gd.mean - mu
        ms = objective.meanstructure
        if ms and not objective.fiml:
            R = R - np.outer(d, d)
        M = inv @ R @ inv
        W = np.einsum("ij,kjl->kil", inv, dsig)
        derivs = []
        for _, _, _, mat, i, j in cands:
            if mat == "A":
                ds = np.outer(G[:, i], H[j]) + np.outer(H[j], G[:, i])
                dm = G[:, i] * (mats.B @ mats.m)[j]
            else:
                ds = np.outer(G[:, i], G[:, j]) + np.outer(G[:, j], G[:, i])
                dm = np.zeros(p)
            derivs.append((ds, dm))
        if fiml:
            ds_all = np.array([ds for ds, _ in derivs])
            dm_all = np.array([dm for _, dm in derivs])
            scores, i_jjs, i_jts = _fiml_candidate_terms(
                gd, sigma, mu, dsig, dmu, ds_all, dm_all, n
            )
        for c, (lhs, op, rhs, _, i, j) in enumerate(cands):
            if fiml:
                # score of the unit log-likelihood; MI = N s^2 / V, EPC = s / V
                score, i_jj, i_jt = scores[c], i_jjs[c], i_jts[c]
            else:
                ds, dm = derivs[c]
                grad = w * (np.sum(M * ds) - (2 * dm @ (inv @ d) if ms else 0.0))
                score = -grad / 2
                wj = inv @ ds
                i_jj = w * (0.5 * np.sum(wj * wj.T) + (dm @ inv @ dm if ms else 0.0))
                i_jt = w * (0.5 * np.einsum("ij,kji->k", wj, W) + (dmu @ inv @ dm if ms else 0.0))
            vjj = i_jj - i_jt @ info_inv @ i_jt
            if vjj <= 1e-12:
                continue
            mi = n * score**2 / vjj
            epc = score / vjj
            if op == "=~":
                sepc = epc * sd[j] / sd[i]
            elif op == "~":
                sepc = epc * sd[j] / sd[i]
            else:
                # as lavaan's cov.std: |variance| when a residual variance is negative
                sepc = epc / np.sqrt(abs(resid[i] * resid[j]))
            rows.append((lhs, op, rhs, g + 1, mi, epc, sepc))
    out = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all"])
    return out.sort_values("mi", ascending=False, kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------- refit
#: options of sem() a refit can change on the same prepared data
_REFIT_OPTIONS = (
    "estimator",
    "meanstructure",
    "std_lv",
    "auto",
    "group_equal",
    "group_partial",
    "level",
    "engine",
    "se",
    "fixed_x",
)
#: options that select other data: a new sem() call is needed
_DATA_OPTIONS = ("missing", "group", "cluster", "missing_cluster", "ordered", "parameterization")


def start_values_from(pt: ParTable, source: SEMResult) -> np.ndarray | None:
    """Start values for a parameter table from a fitted model with matching rows.

    Rows are matched on ``(lhs, op, rhs, group)``; a parameter with no counterpart (or a
    counterpart fixed in ``source``) starts from the engine's default rule. None when no
    row matches (or the default rule cannot be applied to ``source``'s data).
    """
    spt = source.partable
    value: dict[tuple[str, str, str, int], float] = {}
    for r in range(len(spt)):
        k = int(spt.free[r])
        if k > 0:
            value[(spt.lhs[r], spt.op[r], spt.rhs[r], int(spt.group[r]))] = float(
                source.theta[k - 1]
            )
    theta = np.full(pt.npar, np.nan)
    for r in range(len(pt)):
        k = int(pt.free[r])
        if k == 0 or not np.isnan(theta[k - 1]):
            continue
        v = value.get((pt.lhs[r], pt.op[r], pt.rhs[r], int(pt.group[r])))
        if v is not None:
            theta[k - 1] = v
    if np.isnan(theta).all():
        return None
    if np.isnan(theta).any():
        groups = source.group_data
        if len(groups) != pt.n_groups:
            return None
        default = starting_values(pt, list(groups))
        theta = np.where(np.isnan(theta), default, theta)
    return theta


def _merged_spec(spec: ModelSpec, constraints: str | Sequence[str]) -> ModelSpec:
    """``spec`` with the lavaan syntax ``constraints`` merged in (see :meth:`SEMResult.refit`)."""
    from dataclasses import replace

    from synergy_stats.structural.syntax import format_model

    texts: list[object] = (
        [constraints]
        if isinstance(constraints, str) or not isinstance(constraints, Sequence)
        else list(constraints)
    )
    if not texts or not all(isinstance(t, str) for t in texts):
        raise OptionError(
            f"constraints={constraints!r} is not accepted; give lavaan syntax, a str or a "
            "list of str (e.g. 'a == b', 'f1 =~ 1*x1')"
        )
    relations: list[str] = []
    others: list[str] = []
    for text in texts:
        for raw in str(text).replace(";", "\n").splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            # relations carry a '~' (=~, ~~, ~, ~ 1); constraints and := never do
            (relations if "~" in line else others).append(line)
    statements = list(spec.statements)
    if relations:
        new = parse_model("\n".join(relations))
        where: dict[tuple[str, str, str], int] = {}
        for i, st in enumerate(statements):
            where[(st.lhs, st.op, st.rhs)] = i
            if st.op == "~~":
                where[(st.rhs, st.op, st.lhs)] = i
        for s in new.statements:
            at = where.get((s.lhs, s.op, s.rhs))
            if at is None:
                statements.append(replace(s, line=0))
                continue
            old = statements[at].modifier
            mod = s.modifier
            merged = replace(
                old,
                fixed=mod.fixed or old.fixed,
                labels=mod.labels or old.labels,
                starts=mod.starts or old.starts,
            )
            statements[at] = replace(statements[at], modifier=merged)
        # relations with new labels may come with constraints on them
        spec = ModelSpec(tuple(statements), spec.defined, spec.constraints)
    if not others:
        return spec
    return parse_model(format_model(spec) + "\n" + "\n".join(others))


@single_threaded
def refit(
    result: SEMResult,
    *,
    start: Any = None,
    constraints: str | Sequence[str] | None = None,
    changes: dict[str, Any] | None = None,
) -> SEMResult:
    """The engine behind :meth:`SEMResult.refit`: same data, new syntax, starts or options."""
    changes = dict(changes or {})
    for name in changes:
        if name in _DATA_OPTIONS:
            raise OptionError(
                f"refit() keeps the data of the fit, so {name}= cannot change; call "
                "sem() again with the new option"
            )
        if name not in _REFIT_OPTIONS:
            raise OptionError(
                f"refit() has no option {name!r}; accepted: start, constraints, "
                f"{', '.join(_REFIT_OPTIONS)}"
            )
    o = result.options
    fiml = o.fiml
    if "fixed_x" in changes and fiml and changes["fixed_x"] != o.fixed_x:
        raise OptionError(
            "refit() cannot change fixed_x under missing='fiml': the rows kept depend on it; "
            "call sem() again"
        )
    spec = result.spec if constraints is None else _merged_spec(result.spec, constraints)
    se = changes.pop("se", result._se)
    check_flags(se=se)
    for flag in ("std_lv", "auto", "fixed_x"):
        if flag in changes:
            check_flags(**{flag: changes[flag]})
    ms_default = o.meanstructure if o.meanstructure else None
    options = FitOptions.from_kwargs(
        estimator=changes.get("estimator", o.estimator),
        missing=o.missing,
        meanstructure=changes.get("meanstructure", ms_default),
        n_groups=result.n_groups,
        has_intercepts=any(st.op == "~1" for st in spec.statements),
        auto=changes.get("auto", o.auto),
        std_lv=changes.get("std_lv", o.std_lv),
        fixed_x=changes.get("fixed_x", o.fixed_x),
        group=o.group,
        group_equal=changes.get("group_equal", o.group_equal),
        group_partial=changes.get("group_partial", o.group_partial),
        level=changes.get("level", o.level),
        engine=changes.get("engine", o.engine),
    )
    old = result.partable
    model_vars = list(old.observed)
    unknown = [v for v in spec.observed_variables if v not in model_vars]
    if unknown:
        raise SpecificationError(
            f"refit() keeps the data of the fit: {unknown} are not among its observed "
            f"variables {model_vars}; call sem() again with the new model"
        )
    pt = _partable(spec, options, model_vars, result.n_groups)
    if pt.observed != old.observed:
        pt = replace_observed(pt, old.observed)
    if fiml and pt.exogenous_x != old.exogenous_x:
        raise SpecificationError(
            "refit() under missing='fiml' cannot change which covariates are fixed "
            f"(exogenous) ({list(old.exogenous_x)} -> {list(pt.exogenous_x)}): the rows "
            "kept depend on them; call sem() again"
        )
    groups = list(result.group_data)
    theta0 = _refit_start(start, pt, groups, result)
    return fit_groups(
        spec,
        pt,
        groups,
        options,
        group_labels=result.group_labels,
        n_dropped=result.n_dropped,
        start=theta0,
        se=se,
    )


def replace_observed(pt: ParTable, observed: tuple[str, ...]) -> ParTable:
    """``pt`` with its observed variables in the order of the data (same set)."""
    if set(pt.observed) != set(observed):
        raise SpecificationError(
            f"the model's observed variables {list(pt.observed)} differ from the data's "
            f"{list(observed)}"
        )
    return _reorder_observed(pt, observed)


def _refit_start(
    start: Any, pt: ParTable, groups: list[GroupData], result: SEMResult
) -> np.ndarray | None:
    """The full start vector of a refit (None: the default rule)."""
    if start is None:
        return None
    if isinstance(start, str):
        if start != "current":
            raise OptionError(
                f"start={start!r} is not accepted; use 'current', a mapping or Series of "
                "start values by parameter name, or None"
            )
        return start_values_from(pt, result)
    if isinstance(start, pd.Series):
        given = {str(k): v for k, v in start.items()}
    elif isinstance(start, dict) or hasattr(start, "items"):
        given = {str(k): v for k, v in start.items()}
    else:
        raise OptionError(
            f"start={type(start).__name__} is not accepted; use 'current', a mapping or "
            "Series of start values by parameter name, or None"
        )
    names = pt.parameter_names()
    unknown = [k for k in given if k not in names]
    if unknown:
        raise OptionError(
            f"start: {unknown} are not parameters of the refitted model; its parameters are {names}"
        )
    theta = starting_values(pt, groups)
    for k, v in given.items():
        try:
            val = float(v)
        except (TypeError, ValueError):
            val = float("nan")
        if not np.isfinite(val):
            raise OptionError(f"start: the value {v!r} of {k!r} is not a finite number")
        theta[names.index(k)] = val
    return theta
