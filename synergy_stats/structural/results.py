"""The result of a fit: one immutable object, one tidy estimates table as source of truth.

Every printout and paper table derives from :meth:`SEMResult.estimates` (lavaan's
``parameterEstimates`` plus ``standardizedSolution`` columns, snake_case) and
:meth:`SEMResult.fit_measures` (lavaan's ``fitMeasures``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from synergy_stats.structural import fit as fitidx
from synergy_stats.structural.engine import single_threaded
from synergy_stats.structural.estimate import Objective, OptimResult, saturated_loglik
from synergy_stats.structural.inference import (
    fiml_corrected,
    invert_information,
    observed_information,
    sandwich_vcov,
    yuan_bentler_trace,
)
from synergy_stats.structural.model import RamModel
from synergy_stats.structural.options import FitOptions
from synergy_stats.structural.partable import ParTable
from synergy_stats.structural.samplestats import GroupData
from synergy_stats.structural.spec import ModelSpec
from synergy_stats.structural.syntax import compile_expression

if TYPE_CHECKING:
    from synergy_stats.structural.scoretest import ScoreTest

__all__ = ["FitOptions", "SEMResult"]

ESTIMATE_COLUMNS = [
    "lhs",
    "op",
    "rhs",
    "label",
    "group",
    "est",
    "se",
    "z",
    "pvalue",
    "ci_lower",
    "ci_upper",
    "std_lv",
    "std_all",
]


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only copy of ``a`` (a result's arrays cannot be changed in place)."""
    out = np.array(a, dtype=float, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class _Defined:
    name: str
    expression: str
    function: Callable[[Mapping[str, Any]], Any]
    labels: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class SEMResult:
    """A fitted structural equation model (immutable).

    Do not build it directly: :func:`synergy_stats.structural` and :func:`synergy_stats.cfa`
    return it. The specification it came from is ``spec``; refitting never changes it.

    Attributes
    ----------
    spec : ModelSpec
        The model as specified.
    partable : ParTable
        Every parameter, with defaults.
    options : FitOptions
        Estimator, missing-data treatment and the other options used.
    theta : numpy.ndarray
        Free-parameter estimates.
    vcov_matrix : numpy.ndarray
        Their sampling covariance (computed on first use; NaN with ``se=False``).
    nobs : int
        Rows used (all groups).
    group_labels : tuple
        Group values, in group order (``(None,)`` for one group).
    n_dropped : int
        Rows dropped before fitting (listwise deletion or empty rows).
    """

    spec: ModelSpec
    partable: ParTable
    options: FitOptions
    theta: np.ndarray
    nobs: int
    group_labels: tuple[Any, ...]
    n_dropped: int
    optim: OptimResult
    _model: RamModel = field(repr=False)
    _objective: Objective = field(repr=False)
    _groups: list[GroupData] = field(repr=False)
    _restarts: int = 0
    _se: bool = True

    def __post_init__(self) -> None:
        # truly immutable: the estimates are a read-only copy (``fit.theta[0] = 99`` raises)
        object.__setattr__(self, "theta", _read_only(self.theta))
        object.__setattr__(self, "optim", replace(self.optim, theta=self.theta))
        # the fit's own parameter table and sample statistics: locked in place (never
        # written after they are built; a write would change every number of the fit)
        pt = self.partable
        arrays: list[Any] = [pt.group, pt.free, pt.value, pt.user, pt.exo]
        for gd in self._groups:
            arrays += [getattr(gd, name, None) for name in ("mean", "cov", "raw")]
            for pat in getattr(gd, "patterns", ()):
                arrays += [getattr(pat, name, None) for name in ("obs", "mean", "cov", "rows")]
        for a in arrays:
            if isinstance(a, np.ndarray):
                a.setflags(write=False)

    @cached_property
    @single_threaded
    def vcov_matrix(self) -> np.ndarray:
        """Sampling covariance of the free parameters (computed on first use).

        ML with complete data: the inverse expected information ``(N I)^-1``; FIML: the
        inverse observed information; MLR: the sandwich ``A^-1 B A^-1 / N`` with the observed
        information ``A`` (lavaan's defaults). All NaN when fitted with ``se=False``.
        """
        K = self.theta.size
        if not self._se:
            return _read_only(np.full((K, K), np.nan))
        names = self.parameter_names()
        obj = self._objective
        info = self._information
        if self.options.estimator == "MLR":
            invert_information(info, obj.ntotal, names)  # identification check
            return _read_only(sandwich_vcov(obj, self.theta, info, names))
        return _read_only(invert_information(info, obj.ntotal, names))

    # ------------------------------------------------------------------ engine handles
    @property
    def group_data(self) -> tuple[GroupData, ...]:
        """The sample statistics of each group the model was fitted to (read-only use)."""
        return tuple(self._groups)

    @property
    def ram_model(self) -> RamModel:
        """The model's RAM representation (implied moments at any parameter vector)."""
        return self._model

    @property
    def objective(self) -> Objective:
        """The fit state: the discrepancy on these data, with its analytic derivatives.

        ``objective.gradient(theta)``, ``objective.expected_information(theta)``,
        ``objective.observed_information(theta)`` and ``objective.scores(theta)`` at any
        parameter vector; :func:`synergy_stats.structural.estimate.minimise` refits it.
        """
        return self._objective

    @property
    def chisq(self) -> float:
        """The model chi-square (``N F_min``; ``2 (logL_h1 - logL_h0)`` under FIML)."""
        return float(self._chisq)

    @property
    def defined_parameters(self) -> tuple[_Defined, ...]:
        """The ``:=`` parameters: name, expression, compiled function, labels used."""
        return tuple(self._defined)

    # ------------------------------------------------------------------ basics
    @property
    def observed_variables(self) -> tuple[str, ...]:
        """Observed variables in model order."""
        return self.partable.observed

    @property
    def latent_variables(self) -> tuple[str, ...]:
        """Latent variables in model order."""
        return self.partable.latent

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return self.partable.n_groups

    @property
    def converged(self) -> bool:
        """Whether the optimiser converged."""
        return self.optim.converged

    @property
    def npar(self) -> int:
        """Number of free parameters."""
        return self.partable.npar

    @property
    def df(self) -> int:
        """Degrees of freedom of the model test."""
        return self.partable.df

    def parameter_names(self) -> list[str]:
        """Names of the free parameters (labels where given)."""
        return self.partable.parameter_names()

    def vcov(self) -> pd.DataFrame:
        """Sampling covariance matrix of the free parameters."""
        names = self.parameter_names()
        return pd.DataFrame(self.vcov_matrix, index=names, columns=names)

    def _group_index(self, group: Any) -> int:
        if group is None:
            return 0
        if isinstance(group, int | np.integer) and 1 <= int(group) <= self.n_groups:
            return int(group) - 1
        if group in self.group_labels:
            return self.group_labels.index(group)
        from synergy_stats.errors import OptionError

        raise OptionError(
            f"group={group!r} is not a group of this fit; use 1..{self.n_groups} or one of "
            f"{list(self.group_labels)}"
        )

    # ------------------------------------------------------------------ moments
    def implied_cov(self, group: Any = None) -> pd.DataFrame:
        """Model-implied covariance matrix of the observed variables."""
        g = self._group_index(group)
        sigma, _ = self._model.implied(self.theta, g)
        names = list(self.observed_variables)
        return pd.DataFrame(sigma, index=names, columns=names)

    def implied_mean(self, group: Any = None) -> pd.Series:
        """Model-implied means of the observed variables (sample means without a mean structure)."""
        g = self._group_index(group)
        _, mu = self._model.implied(self.theta, g)
        if not self._objective.meanstructure:
            mu = self._groups[g].mean.copy()
        return pd.Series(mu, index=list(self.observed_variables))

    def sample_cov(self, group: Any = None) -> pd.DataFrame:
        """ML sample covariance (EM estimate under FIML) of the observed variables."""
        g = self._group_index(group)
        names = list(self.observed_variables)
        return pd.DataFrame(self._groups[g].cov.copy(), index=names, columns=names)

    def sample_mean(self, group: Any = None) -> pd.Series:
        """Sample means (EM estimates under FIML)."""
        g = self._group_index(group)
        return pd.Series(self._groups[g].mean.copy(), index=list(self.observed_variables))

    def residual_cov(self, group: Any = None) -> pd.DataFrame:
        """Sample minus implied covariance."""
        return self.sample_cov(group) - self.implied_cov(group)

    # ------------------------------------------------------------------ estimates
    @cached_property
    def _defined(self) -> list[_Defined]:
        out = []
        for d in self.spec.defined:
            fn, labels = compile_expression(d.expression)
            out.append(_Defined(d.name, d.expression, fn, labels))
        return out

    def _label_values(self, theta: np.ndarray) -> dict[str, Any]:
        pt = self.partable
        vals: dict[str, Any] = {}
        for i, lab in enumerate(pt.label):
            if lab and lab not in vals:
                f = int(pt.free[i])
                vals[lab] = theta[f - 1] if f > 0 else pt.value[i]
        return vals

    def defined_values(self, theta: np.ndarray | None = None) -> np.ndarray:
        """Values of the ``:=`` parameters at ``theta`` (default: the estimates).

        ``theta`` may be complex (complex-step derivatives) or a 2-D array of draws
        (one row per draw), in which case one row of defined values per draw is returned.
        """
        th = self.theta if theta is None else theta
        if th.ndim == 2:
            cols = [th[:, k] for k in range(th.shape[1])]
            vals = self._label_values(np.array(cols, dtype=object))
            vals = {k: np.asarray(v) for k, v in vals.items()}
            out = []
            for d in self._defined:
                v = d.function(vals)
                vals[d.name] = v
                out.append(np.broadcast_to(np.asarray(v), (th.shape[0],)))
            return np.column_stack(out) if out else np.zeros((th.shape[0], 0))
        vals = self._label_values(th)
        res = []
        for d in self._defined:
            v = d.function(vals)
            vals[d.name] = v
            res.append(v)
        return np.array(res, dtype=th.dtype if np.iscomplexobj(th) else float)

    def _defined_jacobian(self) -> np.ndarray:
        """d(defined)/d(theta) by complex-step differentiation (exact to rounding)."""
        K = self.theta.size
        D = len(self._defined)
        J = np.zeros((D, K))
        h = 1e-20
        for k in range(K):
            th = self.theta.astype(complex)
            th[k] += 1j * h
            J[:, k] = np.imag(self.defined_values(th)) / h
        return J

    @cached_property
    def _std(self) -> tuple[np.ndarray, np.ndarray]:
        """Standardized values (std_lv, std_all) of every partable row."""
        std_lv, std_all = self._standardize(self.theta)
        return _read_only(std_lv), _read_only(std_all)

    def _standardize(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pt = self.partable
        model = self._model
        pos = {v: i for i, v in enumerate(model.names)}
        latent = set(pt.latent)
        n = len(pt)
        std_lv = np.full(n, np.nan)
        std_all = np.full(n, np.nan)
        for g in range(pt.n_groups):
            mats = model.matrices(theta, g)
            V = mats.B @ mats.S @ mats.B.T
            sd_all = np.sqrt(np.clip(np.diag(V), 0, None))
            sd_lv = np.where([v in latent for v in model.names], sd_all, 1.0)
            resid = np.diag(mats.S)
            for r in pt.rows(g + 1):
                op, lhs, rhs = pt.op[r], pt.lhs[r], pt.rhs[r]
                f = int(pt.free[r])
                val = theta[f - 1] if f > 0 else pt.value[r]
                if pt.exo[r]:
                    i = pos[lhs]
                    val = mats.S[i, pos[rhs]] if op == "~~" else mats.m[i]
                with np.errstate(divide="ignore", invalid="ignore"):
                    if op == "=~":
                        i, j = pos[lhs], pos[rhs]
                        std_lv[r] = val * sd_lv[i] / sd_lv[j]
                        std_all[r] = val * sd_all[i] / sd_all[j]
                    elif op == "~":
                        i, j = pos[lhs], pos[rhs]
                        std_lv[r] = val * sd_lv[j] / sd_lv[i]
                        std_all[r] = val * sd_all[j] / sd_all[i]
                    elif op == "~~":
                        i, j = pos[lhs], pos[rhs]
                        if i == j:
                            std_lv[r] = val / sd_lv[i] ** 2
                            std_all[r] = val / V[i, i]
                        else:
                            # residual covariances are standardized by residual variances
                            rl = np.sqrt(resid[i] * resid[j])
                            std_all[r] = val / rl
                            if lhs in latent and rhs in latent:
                                std_lv[r] = val / rl
                            elif lhs in latent or rhs in latent:
                                std_lv[r] = val / (sd_lv[i] * sd_lv[j])
                            else:
                                std_lv[r] = val
                    else:
                        i = pos[lhs]
                        std_lv[r] = val / sd_lv[i]
                        std_all[r] = val / sd_all[i]
        return std_lv, std_all

    def _std_defined(self) -> tuple[np.ndarray, np.ndarray]:
        """Defined parameters evaluated on the standardized solutions (as lavaan)."""
        pt = self.partable
        std_lv, std_all = self._std
        out = []
        for arr in (std_lv, std_all):
            vals: dict[str, Any] = {}
            for i, lab in enumerate(pt.label):
                if lab and lab not in vals:
                    vals[lab] = arr[i]
            res = []
            for d in self._defined:
                v = d.function(vals)
                vals[d.name] = v
                res.append(float(v))
            out.append(np.array(res))
        return out[0], out[1]

    @single_threaded
    def estimates(self, *, level: float | None = None) -> pd.DataFrame:
        """Parameter estimates, lavaan's ``parameterEstimates(standardized = TRUE)``.

        Parameters
        ----------
        level : float, optional
            Confidence level of ``ci_lower``/``ci_upper`` (default 0.95).

        Returns
        -------
        pandas.DataFrame
            Columns ``lhs op rhs label group est se z pvalue ci_lower ci_upper std_lv
            std_all``; one row per parameter (fixed ones with NaN ``se``, ``z``,
            ``pvalue``) followed by the ``:=`` rows with delta-method standard errors.

        Examples
        --------
        Mirrors lavaan's ``parameterEstimates(fit, standardized = TRUE)``.
        """
        level = self.options.level if level is None else level
        zcrit = float(stats.norm.ppf(0.5 + level / 2))
        pt = self.partable
        se_theta = np.sqrt(np.clip(np.diag(self.vcov_matrix), 0, None))
        est = np.empty(len(pt))
        se = np.full(len(pt), np.nan)
        for r in range(len(pt)):
            f = int(pt.free[r])
            if f > 0:
                est[r] = self.theta[f - 1]
                se[r] = se_theta[f - 1]
            elif pt.exo[r]:
                g = int(pt.group[r]) - 1
                pos = {v: i for i, v in enumerate(self.observed_variables)}
                gd = self._groups[g]
                i = pos[pt.lhs[r]]
                est[r] = gd.cov[i, pos[pt.rhs[r]]] if pt.op[r] == "~~" else gd.mean[i]
            else:
                est[r] = pt.value[r]
        std_lv, std_all = self._std
        frame = pd.DataFrame(
            {
                "lhs": list(pt.lhs),
                "op": list(pt.op),
                "rhs": list(pt.rhs),
                "label": list(pt.label),
                "group": pt.group.astype(int),
                "est": est,
                "se": se,
                "std_lv": std_lv,
                "std_all": std_all,
            }
        )
        if self._defined:
            dv = self.defined_values()
            J = self._defined_jacobian()
            dvar = np.einsum("dk,kl,dl->d", J, self.vcov_matrix, J)
            d_lv, d_all = self._std_defined()
            extra = pd.DataFrame(
                {
                    "lhs": [d.name for d in self._defined],
                    "op": ":=",
                    "rhs": [d.expression for d in self._defined],
                    "label": [d.name for d in self._defined],
                    "group": 0,
                    "est": dv.astype(float),
                    "se": np.sqrt(np.clip(dvar, 0, None)),
                    "std_lv": d_lv,
                    "std_all": d_all,
                }
            )
            frame = pd.concat([frame, extra], ignore_index=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = frame["est"] / frame["se"]
        frame["z"] = z
        frame["pvalue"] = 2 * stats.norm.sf(np.abs(z))
        frame["ci_lower"] = frame["est"] - zcrit * frame["se"]
        frame["ci_upper"] = frame["est"] + zcrit * frame["se"]
        fixed = frame["se"].isna()
        frame.loc[fixed, ["ci_lower", "ci_upper"]] = np.nan
        frame["group"] = frame["group"].astype(int)
        return frame[ESTIMATE_COLUMNS]

    # ------------------------------------------------------------------ fit
    @cached_property
    def _x_loglik(self) -> float:
        """Log-likelihood of the fixed exogenous covariates (lavaan leaves it out).

        With ``fixed_x`` the reported log-likelihoods are those of the dependent variables
        given the covariates: the covariates' own (saturated) normal log-likelihood is
        subtracted from the joint one.
        """
        x = self.partable.exogenous_x
        if not x:
            return 0.0
        idx = [self.observed_variables.index(v) for v in x]
        total = 0.0
        for gd in self._groups:
            cov = gd.cov[np.ix_(idx, idx)]
            k = len(idx)
            total += -0.5 * gd.n * (k * np.log(2 * np.pi) + np.linalg.slogdet(cov)[1] + k)
        return float(total)

    @cached_property
    def _loglik(self) -> float:
        return self._objective.loglik(self.theta) - self._x_loglik

    @cached_property
    def _unrestricted_loglik(self) -> float:
        joint = sum(saturated_loglik(gd, fiml=self._objective.fiml) for gd in self._groups)
        return float(joint) - self._x_loglik

    @cached_property
    def _chisq(self) -> float:
        if self._objective.fiml:
            return max(2.0 * (self._unrestricted_loglik - self._loglik), 0.0)
        return float(self._objective.ntotal * self.optim.fmin)

    @cached_property
    def _baseline(self) -> SEMResult:
        # the baseline depends on the data and the options only: fitted once per data
        pt = self.partable
        o = self.options
        key = (
            f"baseline {pt.observed} {pt.exogenous_x} {pt.meanstructure} {o.estimator} {o.missing}"
        )
        cache = self._groups[0].cache
        if key not in cache:
            from synergy_stats.structural.api import _fit_baseline

            cache[key] = _fit_baseline(self)
        base: SEMResult = cache[key]
        return base

    @property
    def baseline(self) -> SEMResult:
        """The independence (baseline) model of the same data and options.

        lavaan's ``baseline.chisq`` comes from it; fitted on first use and shared by every
        fit of these data.
        """
        return self._baseline

    @cached_property
    def _scaling_factor(self) -> float:
        if self.df <= 0:
            return float("nan")
        info = self._information_for_test()
        e_inv = invert_information(info, 1, self.parameter_names())
        return yuan_bentler_trace(self._objective, self.theta, e_inv) / self.df

    def _information_for_test(self) -> np.ndarray:
        return self._information

    def _fiml_corrected(self) -> dict[str, float]:
        """Ingredients of the FIML-corrected robust indices (a cluster-robust fit overrides)."""
        return fiml_corrected(self)

    @single_threaded
    def information(self, kind: str = "default") -> pd.DataFrame:
        """An information matrix per observation at the estimates (``lavInspect``).

        Parameters
        ----------
        kind : {"default", "expected", "observed", "first_order"}
            ``"default"`` is the one the standard errors use (lavaan's
            ``lavInspect(fit, "information")``: expected for complete-data ML, observed
            under FIML and MLR); ``"expected"`` and ``"observed"`` as
            ``"information.expected"``/``"information.observed"``; ``"first_order"``
            (also ``"first.order"``) the mean outer product of the casewise scores,
            ``"information.first.order"``.

        Returns
        -------
        pandas.DataFrame
            K x K, rows and columns named by :meth:`parameter_names`. A new array each
            call: changing it changes nothing in the fit.

        Raises
        ------
        OptionError
            For an unknown ``kind``.

        Notes
        -----
        Every kind is the N-weighted mean over groups of the group information, the unit
        in which ``vcov = (N I)^-1`` (lavaan's convention).
        """
        from synergy_stats.errors import OptionError

        kinds = ("default", "expected", "observed", "first_order")
        key = "first_order" if kind == "first.order" else kind
        if key not in kinds:
            raise OptionError(f"kind={kind!r} is not accepted; use one of {kinds}")
        if key == "default":
            mat = self._information
        else:
            from synergy_stats.structural.scoretest import information_matrix

            mat = information_matrix(self._objective, self.theta, key)
        names = self.parameter_names()
        return pd.DataFrame(np.array(mat, dtype=float, copy=True), index=names, columns=names)

    def _fiml_expected_information(self) -> np.ndarray:
        """Lavaan's expected information under FIML: the patterns' observed-part blocks.

        ``sum_p (n_p / N) [dmu_o' S_oo^-1 dmu_o + 1/2 tr(S_oo^-1 dSigma_o S_oo^-1 dSigma_o)]``
        over the missing-data patterns ``p`` (observed variables ``o``, ``n_p`` cases) of
        every group, at the estimates
        (:func:`synergy_stats.structural.scoretest.fiml_expected_information`).
        """
        from synergy_stats.structural.scoretest import fiml_expected_information

        return fiml_expected_information(self._objective, self.theta)

    @cached_property
    def _information(self) -> np.ndarray:
        """The unit information the standard errors use (observed or expected), once."""
        if self.options.information == "observed":
            return observed_information(self._objective, self.theta)
        return self._objective.expected_information(self.theta)

    @single_threaded
    def fit_measures(self) -> pd.Series:
        """Fit measures, lavaan's ``fitMeasures()`` in snake_case.

        Returns
        -------
        pandas.Series
            ``npar n chisq df pvalue baseline_chisq baseline_df cfi tli rmsea
            rmsea_ci_lower rmsea_ci_upper rmsea_pvalue srmr loglik unrestricted_loglik aic
            bic sabic``; under MLR also ``chisq_scaled df_scaled pvalue_scaled
            scaling_factor cfi_robust tli_robust rmsea_robust``.

        Notes
        -----
        Formulas in :mod:`synergy_stats.structural.fit`. The chi-square is ``N F_min`` for
        complete data and ``2 (logL_h1 - logL_h0)`` under FIML.
        """
        n = self._objective.ntotal
        G = self.n_groups
        chisq, df = self._chisq, self.df
        base = self._baseline
        bchisq, bdf = base._chisq, base.df
        out: dict[str, float] = {
            "npar": float(self.npar),
            "n": float(n),
            "chisq": chisq,
            "df": float(df),
            "pvalue": fitidx.chisq_pvalue(chisq, df),
            "baseline_chisq": bchisq,
            "baseline_df": float(bdf),
            "cfi": fitidx.cfi(chisq, df, bchisq, bdf),
            "tli": fitidx.tli(chisq, df, bchisq, bdf),
            "rmsea": fitidx.rmsea(chisq, df, n, G),
        }
        lo, hi = fitidx.rmsea_ci(chisq, df, n, G)
        out["rmsea_ci_lower"], out["rmsea_ci_upper"] = lo, hi
        out["rmsea_pvalue"] = fitidx.rmsea_pvalue(chisq, df, n, G)
        out["rmsea_notclose_pvalue"] = fitidx.rmsea_notclose_pvalue(chisq, df, n, G)
        out["baseline_pvalue"] = fitidx.chisq_pvalue(bchisq, bdf)
        out["nnfi"] = out["tli"]
        out["rni"] = fitidx.rni(chisq, df, bchisq, bdf)
        out.update(fitidx.other_incremental(chisq, df, bchisq, bdf))
        out["srmr"] = self._srmr()
        out.update(self._residual_fit())
        out["fmin"] = chisq / (2 * n)
        out.update(fitidx.other_absolute(chisq, df, n, self.npar))
        ll = self._loglik
        out["loglik"] = ll
        out["unrestricted_loglik"] = self._unrestricted_loglik
        out.update(fitidx.information_criteria(ll, self.npar, n))
        if self.options.estimator == "MLR":
            c = self._scaling_factor
            c0 = base._scaling_factor
            out["chisq_scaled"] = chisq / c
            out["df_scaled"] = float(df)
            out["pvalue_scaled"] = fitidx.chisq_pvalue(chisq / c, df)
            out["scaling_factor"] = c
            out.update(_scaled_indices(chisq, df, c, bchisq, bdf, c0, n, G))
            if self._objective.fiml:
                # FIML-corrected robust indices (Zhang & Savalei 2023), as lavaan
                fc = self._fiml_corrected()
                x3, d3, c3 = fc["XX3"], fc["df3"], fc["c3"]
                x0, d0, c30 = fc["XX3_null"], fc["df3_null"], fc["c3_null"]
            else:
                x3, d3, c3, x0, d0, c30 = chisq, float(df), c, bchisq, float(bdf), c0
            out["cfi_robust"] = fitidx.cfi(x3, d3, x0, d0, c3, c30)
            out["tli_robust"] = fitidx.tli(x3, d3, x0, d0, c3, c30)
            out["rmsea_robust"] = fitidx.rmsea(x3, d3, n, G, c_hat=c3)
            out["nnfi_robust"] = out["tli_robust"]
            out["rni_robust"] = fitidx.rni(x3, d3, x0, d0, c3, c30)
            out.update(_robust_rmsea_interval(x3 / c3, d3, c3, n, G))
        return pd.Series(out, name="fit_measures", dtype=float)

    def _residual_fit(self) -> dict[str, float]:
        """RMR/SRMR/CRMR variants and, for complete data, LISREL's GFI family."""
        samples = [(gd.cov, gd.mean) for gd in self._groups]
        implied = []
        for g, gd in enumerate(self._groups):
            sig, mu = self._model.implied(self.theta, g)
            implied.append((sig, mu if self._objective.meanstructure else gd.mean))
        w = [gd.n / self._objective.ntotal for gd in self._groups]
        ms = self._objective.meanstructure
        out = fitidx.residual_summaries(samples, implied, w, meanstructure=ms)
        if self._objective.fiml:
            # lavaan weights the EM moments differently under FIML; not reproduced yet
            out.update(gfi=float("nan"), agfi=float("nan"), pgfi=float("nan"))
        else:
            pt = self.partable
            fixed = [pt.observed.index(v) for v in pt.exogenous_x]
            out.update(
                fitidx.gfi_lisrel(samples, implied, w, self.df, meanstructure=ms, fixed=fixed)
            )
        return out

    def _srmr(self) -> float:
        samples = [(gd.cov, gd.mean) for gd in self._groups]
        implied = []
        for g, gd in enumerate(self._groups):
            sig, mu = self._model.implied(self.theta, g)
            if not self._objective.meanstructure:
                mu = gd.mean
            implied.append((sig, mu))
        w = [gd.n / self._objective.ntotal for gd in self._groups]
        return fitidx.srmr(samples, implied, w, meanstructure=self._objective.meanstructure)

    def r2(self) -> pd.Series:
        """R-squared of every endogenous variable (``lavInspect(fit, "r2")``).

        Notes
        -----
        ``R2 = 1 - psi_v / Var(v)`` with ``psi_v`` the residual variance and ``Var(v)`` the
        model-implied total variance.
        """
        pt = self.partable
        model = self._model
        endo = [
            v
            for v in model.names
            if any(
                (o == "=~" and rh == v) or (o == "~" and lh == v)
                for lh, o, rh in zip(pt.lhs, pt.op, pt.rhs, strict=True)
            )
        ]
        frames = []
        for g in range(self.n_groups):
            mats = model.matrices(self.theta, g)
            V = mats.B @ mats.S @ mats.B.T
            vals = {}
            for v in endo:
                i = model.names.index(v)
                vals[v] = 1.0 - mats.S[i, i] / V[i, i]
            frames.append(pd.Series(vals, name="r2"))
        if self.n_groups == 1:
            return frames[0]
        return pd.concat(frames, keys=list(self.group_labels), names=["group", "variable"])

    # ------------------------------------------------------------------ modification indices
    @single_threaded
    def modification_indices(self, *, minimum: float = 0.0) -> pd.DataFrame:
        """Score tests for parameters fixed to zero (``modindices()`` in lavaan).

        Returns
        -------
        pandas.DataFrame
            Columns ``lhs op rhs group mi epc sepc_all``, sorted by ``mi``.

        Notes
        -----
        For a candidate parameter j with derivative ``g_j`` of F and unit expected
        information ``I`` over (theta, j), ``V_jj = I_jj - I_jt I_tt^-1 I_tj``,
        ``MI = N g_j^2 / (4 V_jj)`` and ``EPC = -g_j / (2 V_jj)`` (Sorbom 1989).
        ``sepc_all`` standardizes the EPC as ``std_all`` does.

        Under ``missing='fiml'`` (also with MLR), as lavaan 0.6-14's default
        ``information="expected"``: ``g_j`` is the score of the FIML log-likelihood and
        ``I`` the missing-pattern expected information of the model extended with the
        candidates, so ``MI = N s_j^2 / V_jj`` and ``EPC = s_j / V_jj`` for the unit
        log-likelihood score ``s_j``.
        """
        from synergy_stats.structural.api import _modification_indices

        out = _modification_indices(self)
        return out[out["mi"] >= minimum].reset_index(drop=True)

    # ------------------------------------------------------------------ score tests
    def equality_constraints(self) -> pd.DataFrame:
        """The fit's equality constraints, numbered as lavaan numbers its ``==`` rows.

        Returns
        -------
        pandas.DataFrame
            Columns ``lhs op rhs kind``, one row per constraint: explicit ``==``
            constraints first, then one per row tied to an earlier row by a shared label
            (``kind == "label"``) or by ``group_equal``; sides are labels or row names
            (``lhs op rhs``, ``.gG`` after the first group). Row ``i`` is constraint
            ``i + 1`` of :meth:`score_test` ``release=``.
        """
        from synergy_stats.structural.scoretest import equality_constraints

        cons = equality_constraints(self)
        return pd.DataFrame(
            {
                "lhs": [c.lhs for c in cons],
                "op": "==",
                "rhs": [c.rhs for c in cons],
                "kind": [c.kind for c in cons],
            }
        )

    @single_threaded
    def score_test(
        self,
        release: int | str | Sequence[int | str] | None = None,
        add: str | Sequence[str] | None = None,
        *,
        information: str = "expected",
    ) -> ScoreTest:
        """Score (Lagrange multiplier) tests, as lavaan's ``lavTestScore``.

        Parameters
        ----------
        release : int, str or sequence of them, optional
            Equality constraints to release: 1-based numbers (as lavaan's ``release=``) or
            texts ``"lhs == rhs"`` of :meth:`equality_constraints`. Default: all of them.
        add : str or sequence of str, optional
            Parameters left out of the model, in lavaan syntax (``"visual =~ x9"``,
            ``["x7 ~~ x8", "f ~ x1"]``), tested at 0; a relation is added in every group,
            as lavaan's ``lavTestScore(fit, add = ...)``. Not with ``release``.
        information : {"expected", "observed", "first_order"}
            The information matrix (lavaan's default, expected; under FIML the
            missing-pattern expected information).

        Returns
        -------
        ScoreTest
            ``test``: the total test (``test x2 df pvalue``), everything released or added
            at once; ``uni``: one univariate test per constraint or added parameter
            (``lhs op rhs x2 df pvalue``), that one released, all others kept (lavaan's
            ``$test`` and ``$uni``).

        Raises
        ------
        OptionError
            An unknown constraint number or text, an unknown ``information``, or both
            ``release`` and ``add``.
        SpecificationError
            No equality constraint to release, or ``add`` naming a variable not in the
            model or only parameters already in it.

        Notes
        -----
        The statistic and its equivalence with lavaan's bordered-information form are in
        :mod:`synergy_stats.structural.scoretest`. As lavaan, the test uses the
        information matrix, not a robust correction, whatever the estimator.

        Examples
        --------
        Mirrors ``lavTestScore(fit)`` and ``lavTestScore(fit, add = "visual =~ x9")``.
        """
        from synergy_stats.structural.scoretest import score_test

        self._engine_only("score_test()")
        return score_test(self, release, add, information=information)

    def refit(
        self,
        *,
        start: Mapping[str, float] | pd.Series | str | None = None,
        constraints: str | Sequence[str] | None = None,
        **changes: Any,
    ) -> SEMResult:
        """Refit the same model to the same data, with new constraints, starts or options.

        Parameters
        ----------
        start : mapping or pandas.Series of float, or "current", optional
            Start values by parameter name (:meth:`parameter_names` of the refitted
            model; the others start from the default rule), or ``"current"`` to start from
            this fit's estimates (matched by ``lhs op rhs group``).
        constraints : str or sequence of str, optional
            lavaan syntax added to the model: equality constraints (``"a == b"``,
            ``"a == 0.5"``, on labels of the model or of the lines given), and
            relations. A relation already in the model keeps its place and takes the
            modifiers given (``"textual =~ 1*x5"`` fixes a loading, ``"visual =~ b*x2"``
            labels it, ``"f =~ NA*x1"`` frees it; modifiers not given are kept); a new
            relation among the model's variables is added (``"x7 ~~ x8"``).
        **changes
            Options of :func:`synergy_stats.sem` that the same prepared data allow:
            ``estimator``, ``meanstructure``, ``std_lv``, ``auto``, ``group_equal``,
            ``group_partial``, ``level``, ``engine``, ``se`` and, with listwise deletion,
            ``fixed_x``.

        Returns
        -------
        SEMResult
            A new fit; this one is not changed.

        Raises
        ------
        OptionError
            An unknown option, an option that needs other data (``missing``, ``group``,
            ``cluster``, ``ordered``: call ``sem()`` again), a start value for an unknown
            parameter or a non-finite one.
        SpecificationError
            Constraints naming a variable the fit has no data for, or unknown labels.
        ModelSyntaxError
            Constraints that cannot be parsed.

        Notes
        -----
        Keyword-only, with ``**changes`` rather than a fixed list, so that the options
        read as in :func:`synergy_stats.sem`; the data, groups and rows used are the fit's
        own (``nobs`` and ``n_dropped`` unchanged), so a refit equals ``sem()`` on the
        merged syntax and options.

        Examples
        --------
        >>> fit2 = fit.refit(constraints="b == c", start="current")  # doctest: +SKIP
        >>> fit3 = fit.refit(estimator="MLR")  # doctest: +SKIP
        """
        from synergy_stats.structural.api import refit

        self._engine_only("refit()")
        return refit(self, start=start, constraints=constraints, changes=changes)

    def _engine_only(self, what: str) -> None:
        if type(self) is not SEMResult:
            from synergy_stats.errors import EstimationError

            raise EstimationError(
                f"{what} is available for maximum-likelihood fits of sem()/cfa() on "
                f"continuous indicators, not for a {type(self).__name__}"
            )

    # ------------------------------------------------------------------ text
    def summary(self, **options: Any) -> str:
        """Text summary, as lavaan's ``summary(fit, fit.measures=TRUE, ...)``.

        Laid out as ``summary(fit, fit.measures=TRUE, standardized=TRUE, rsquare=TRUE)``;
        options and details in :func:`synergy_stats.structural.summary.summary`.
        """
        from synergy_stats.structural.summary import summary

        patterns = tuple(len(g.patterns) for g in self._groups)
        return summary(self, missing_patterns=patterns, **options)

    def __repr__(self) -> str:
        return (
            f"SEMResult(estimator={self.options.estimator!r}, missing={self.options.missing!r}, "
            f"nobs={self.nobs}, npar={self.npar}, df={self.df}, converged={self.converged})"
        )


def _scaled_indices(
    chisq: float, df: int, c: float, bchisq: float, bdf: int, c0: float, n: int, G: int
) -> dict[str, float]:
    """The ``*.scaled`` indices of a mean-adjusted (Yuan-Bentler) test, as lavaan.

    Notes
    -----
    CFI and TLI take the scaled statistics of the model and the baseline on their own df
    (``lav_fit_cfi_lavobject``). The scaled RMSEA, its interval and close-fit p-value take
    the unscaled statistic on ``df2 = tr(U Gamma) = c df`` (``lav_fit_rmsea_lavobject``),
    which equals the RMSEA of ``X2 / c`` on ``df`` but not its interval.
    """
    xs, x0s = chisq / c, bchisq / c0
    df2 = c * df
    lo, hi = fitidx.rmsea_ci(chisq, df2, n, G)
    other = fitidx.other_incremental(xs, df, x0s, bdf)
    return {
        **{f"{k}_scaled": v for k, v in other.items()},
        "nnfi_scaled": fitidx.tli(xs, df, x0s, bdf),
        "rni_scaled": fitidx.rni(xs, df, x0s, bdf),
        "rmsea_notclose_pvalue_scaled": fitidx.rmsea_notclose_pvalue(chisq, df2, n, G),
        "baseline_chisq_scaled": x0s,
        "baseline_df_scaled": float(bdf),
        "baseline_pvalue_scaled": fitidx.chisq_pvalue(x0s, bdf),
        "baseline_chisq_scaling_factor": c0,
        "cfi_scaled": fitidx.cfi(xs, df, x0s, bdf),
        "tli_scaled": fitidx.tli(xs, df, x0s, bdf),
        "rmsea_scaled": fitidx.rmsea(chisq, df2, n, G),
        "rmsea_ci_lower_scaled": lo,
        "rmsea_ci_upper_scaled": hi,
        "rmsea_pvalue_scaled": fitidx.rmsea_pvalue(chisq, df2, n, G),
    }


def _robust_rmsea_interval(
    x_scaled: float, df: float, c: float, n: int, G: int
) -> dict[str, float]:
    """Interval and close-fit p-value of the robust RMSEA (Brosseau-Liard et al. 2012).

    Notes
    -----
    The non-central chi-square is inverted at the scaled statistic ``X2 / c`` and the
    bounds are multiplied by ``sqrt(c)``; the close-fit test uses the non-centrality
    ``N df 0.05^2 / (c G)`` (lavaan ``lav_fit_rmsea_ci`` and ``lav_fit_rmsea_closefit``
    with ``c.hat``).
    """
    lo, hi = fitidx.rmsea_ci(x_scaled, df, n, G)
    p = float("nan")
    if df > 0 and np.isfinite(x_scaled):
        p = float(stats.ncx2.sf(x_scaled, df, n * df * 0.05**2 / (c * G)))
    pn = float("nan")
    if df > 0 and np.isfinite(x_scaled):
        pn = fitidx.rmsea_notclose_pvalue(x_scaled, df, n, G, c_hat=c)
    return {
        "rmsea_notclose_pvalue_robust": pn,
        "rmsea_ci_lower_robust": lo * float(np.sqrt(c)),
        "rmsea_ci_upper_robust": hi * float(np.sqrt(c)),
        "rmsea_pvalue_robust": p,
    }
