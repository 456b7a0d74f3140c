"""``sem(..., ordered=...)``: the categorical branch, from data to an :class:`OrdinalSEMResult`.

The steps are lavaan's for ``estimator = "WLSMV"`` and friends: code the ordered columns,
compute the two-step sample statistics and their NACOV per group
(:mod:`synergy_stats.ordinal.samplestats`), build the categorical parameter table
(thresholds, fixed intercepts and scales), minimise the least-squares discrepancy
(:mod:`synergy_stats.ordinal.estimate`), then standard errors and tests.

Exogenous observed covariates get lavaan's ``conditional.x`` treatment (its default for
categorical data): the statistics are thresholds, slopes and residual correlations given
the covariates (:mod:`synergy_stats.ordinal.condx`), the covariates' moments are fixed at the
sample's, and the rest of the path is the same. Implemented for one group with listwise
deletion, ordered and continuous indicators; multiple groups, invariance ladders and
``missing="pairwise"`` with covariates are refused by name.

Conventions that follow lavaan 0.6-14 exactly: the test statistic is
``T = sum_g (N_g - 1) F_g``; the sampling covariance is ``NVarCov / (N - G)``; the RMSEA
uses ``N - G``; SRMR is the root mean square of the residual correlations (lavaan's
``srmr_bentler_nomean``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from synergy_stats._typing import check_option
from synergy_stats.errors import (
    ConvergenceError,
    DataValidationError,
    DroppedDataWarning,
    EstimationError,
    HeywoodWarning,
    IdentificationError,
    OptionError,
    SpecificationError,
    SynergyWarning,
)
from synergy_stats.ordinal.condx import conditional_sample_stats
from synergy_stats.ordinal.estimate import (
    OrdinalModel,
    fit_wls,
    information,
    ordinal_partable,
    residual_moments,
    traces_ugamma,
    weights,
)
from synergy_stats.ordinal.samplestats import OrdinalStats, ordinal_sample_stats
from synergy_stats.structural import fit as fitidx
from synergy_stats.structural.estimate import OptimResult
from synergy_stats.structural.model import RamModel
from synergy_stats.structural.partable import ParTable, build_partable
from synergy_stats.structural.results import FitOptions, SEMResult
from synergy_stats.structural.spec import ModelSpec

__all__ = [
    "EmptyCellWarning",
    "OrdinalEstimator",
    "OrdinalSEMResult",
    "code_ordered",
    "fit_ordinal",
]

OrdinalEstimator = Literal["WLSMV", "WLSM", "ULSMV", "ULS", "DWLS", "WLS"]
Parameterization = Literal["delta", "theta"]
MAX_CATEGORIES = 20

_ROBUST = {"WLSMV", "WLSM", "ULSMV"}
_SHIFTED = {"WLSMV", "ULSMV"}


class EmptyCellWarning(SynergyWarning):
    """A bivariate table of two ordered variables has an empty cell."""


# ---------------------------------------------------------------------- coding
def code_ordered(data: pd.DataFrame, column: str) -> tuple[np.ndarray, tuple[float, ...]]:
    """Code one ordered column as 1..K (NaN missing); the levels are the sorted values.

    Raises
    ------
    DataValidationError
        Non-numeric or non-integer codes, a single observed category, or more than 20.
    """
    s = data[column]
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        if isinstance(s.dtype, pd.CategoricalDtype) and s.cat.ordered:
            vals = s.cat.codes.to_numpy(dtype=float) + 1.0
            vals[s.isna().to_numpy()] = np.nan
            levels = tuple(range(1, len(s.cat.categories) + 1))
            present = np.unique(vals[np.isfinite(vals)])
            return _recode(vals, present, column, levels=tuple(float(v) for v in levels))
        raise DataValidationError(
            f"ordered column {column!r} has dtype {s.dtype}; code the responses as integers "
            "(1, 2, ...) or as an ordered pandas Categorical"
        )
    x = s.to_numpy(dtype=float)
    x = np.where(np.isfinite(x), x, np.nan)
    fin = x[np.isfinite(x)]
    bad = np.unique(fin[fin != np.round(fin)])
    if bad.size:
        raise DataValidationError(
            f"ordered column {column!r} has non-integer code(s) {bad[:10].tolist()}; ordered "
            "items must be coded as integers"
        )
    present = np.unique(fin)
    return _recode(x, present, column, levels=tuple(float(v) for v in present))


def _recode(
    x: np.ndarray, present: np.ndarray, column: str, *, levels: tuple[float, ...]
) -> tuple[np.ndarray, tuple[float, ...]]:
    if present.size < 2:
        raise DataValidationError(
            f"ordered column {column!r} has {present.size} observed categor"
            f"{'y' if present.size == 1 else 'ies'} ({present.tolist()}); an ordered variable "
            "needs at least two"
        )
    if present.size > MAX_CATEGORIES:
        raise DataValidationError(
            f"ordered column {column!r} has {present.size} categories (more than "
            f"{MAX_CATEGORIES}); treat it as continuous instead"
        )
    out = np.full(x.shape, np.nan)
    fin = np.isfinite(x)
    out[fin] = np.searchsorted(present, x[fin]) + 1.0
    return out, tuple(float(v) for v in present)


# ---------------------------------------------------------------------- state
@dataclass(frozen=True)
class _OrdinalState:
    model: OrdinalModel
    stats: list[OrdinalStats]
    Ws: list[np.ndarray]
    estimator: str
    parameterization: str
    ordered: tuple[str, ...]
    levels: dict[str, tuple[float, ...]]
    raw: list[np.ndarray]


@dataclass(frozen=True, eq=False)
class OrdinalSEMResult(SEMResult):
    """A model fitted to ordered (and continuous) indicators by least squares.

    Same interface as :class:`~synergy_stats.structural.results.SEMResult`: ``estimates()``
    has threshold rows (``op="|"``, ``rhs="t1"...``) and scaling rows (``op="~*~"``), and
    ``fit_measures()`` lavaan's categorical fit measures.
    """

    _ord: _OrdinalState | None = field(default=None, repr=False)

    @property
    def _st(self) -> _OrdinalState:
        if self._ord is None:  # always set by fit_ordinal
            raise EstimationError("internal: an ordinal result without its sample statistics")
        return self._ord

    @property
    def df(self) -> int:
        """Degrees of freedom: statistics minus free parameters."""
        m = self._st.model
        return int(sum(m.n_stats(g) for g in range(m.n_groups)) - m.npar)

    @cached_property
    def _info(self) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        st = self._st
        Ds, A = information(st.model, self.theta, st.Ws)
        try:
            A_inv = np.linalg.inv(A)
        except np.linalg.LinAlgError as exc:
            raise IdentificationError(
                "the model is not identified: singular information matrix"
            ) from exc
        return Ds, A, A_inv

    @cached_property
    def vcov_matrix(self) -> np.ndarray:
        """Sampling covariance: robust.sem sandwich (WLSMV, WLSM, ULSMV) or standard.

        Notes
        -----
        ``A = sum_g w_g D'WD``, ``B = sum_g w_g D'W Gamma W D``; robust ``A^-1 B A^-1 /
        (N - G)``, standard ``A^-1 / (N - G)`` (lavaan ``lav_model_vcov``).
        """
        K = self.theta.size
        if not self._se:
            return np.full((K, K), np.nan)
        st = self._st
        Ds, _, A_inv = self._info
        N = self.nobs
        G = self.n_groups
        if st.estimator in _ROBUST:
            B = np.zeros((K, K))
            for g, s in enumerate(st.stats):
                W = st.Ws[g]
                WD = W[:, None] * Ds[g] if W.ndim == 1 else W @ Ds[g]
                B += s.n / N * (WD.T @ s.gamma @ WD)
            V = A_inv @ B @ A_inv
        else:
            V = A_inv
        V = (V + V.T) / 2
        return V / (N - G)

    # ------------------------------------------------------------------ tests
    @cached_property
    def _chisq(self) -> float:
        st = self._st
        total = 0.0
        for g, s in enumerate(st.stats):
            sig, _ = st.model.implied(self.theta, g, jac=False)
            r = s.wls_obs - sig
            W = st.Ws[g]
            total += (s.n - 1) * float(r @ (W * r if W.ndim == 1 else W @ r))
        return total

    @cached_property
    def _traces(self) -> tuple[float, float]:
        st = self._st
        Ds, _, A_inv = self._info
        return traces_ugamma(Ds, st.Ws, self._gammas, [s.n for s in st.stats], A_inv)

    @cached_property
    def _gammas(self) -> list[np.ndarray]:
        out = []
        for s in self._st.stats:
            if s.gamma is None:
                raise IdentificationError("the asymptotic covariance of the statistics is missing")
            out.append(s.gamma)
        return out

    @cached_property
    def _base_test(self) -> tuple[float, int, float, float]:
        """Baseline (independence) model: chi-square, df and the U-Gamma traces."""
        st = self._st
        stat = 0.0
        Ds = []
        A_blocks = []
        N = self.nobs
        for g, s in enumerate(st.stats):
            m = s.wls_obs.size
            q = m - st.model.ri.size  # thresholds, means, variances are free
            D = np.zeros((m, q))
            D[np.arange(q), np.arange(q)] = 1.0
            W = st.Ws[g]
            Wf = np.diag(W) if W.ndim == 1 else W
            A_g = D.T @ Wf @ D
            th0 = np.linalg.solve(A_g, D.T @ Wf @ s.wls_obs)
            r = s.wls_obs - D @ th0
            stat += (s.n - 1) * float(r @ Wf @ r)
            Ds.append(D)
            A_blocks.append(s.n / N * A_g)
        from scipy.linalg import block_diag

        Dfull = [np.hstack([np.zeros((D.shape[0], sum(b.shape[1] for b in Ds[:g]))), D,
                            np.zeros((D.shape[0], sum(b.shape[1] for b in Ds[g + 1:])))])
                 for g, D in enumerate(Ds)]  # fmt: skip
        A_inv = np.linalg.inv(block_diag(*A_blocks))
        tr1, tr2 = traces_ugamma(Dfull, st.Ws, self._gammas, [s.n for s in st.stats], A_inv)
        df = int(sum(st.model.ri.size for _ in st.stats))
        return stat, df, tr1, tr2

    @cached_property
    def _catml(self) -> dict[str, float] | None:
        """Savalei's (2021) catML pieces of lavaan's robust CFI/TLI/RMSEA (``lav_fit_catml_dwls``).

        The DWLS estimates are evaluated by the normal-theory ML discrepancy of the
        polychoric matrices, ``X3 = sum_g N_g (log|Sigma| - log|R| + tr(R Sigma^-1) - p)``;
        its scaling ``c3 = tr(M' V M Gamma) / df`` uses ``M = I - D A^-1 D' W`` on the
        correlation rows and ``V`` the expected information of the correlations,
        ``1/2 D_r' (Sigma^-1 (x) Sigma^-1) D_r``. The baseline is ``-sum N_g log|R|`` with
        ``c0 = tr(Gamma_rr) / df_0``. None when a variable is continuous or a matrix is not
        positive definite (lavaan then reports NA).
        """
        st = self._st
        if not st.model.is_ord.all() or st.model.n_x:
            # continuous indicators or covariates (conditional.x): lavaan 0.6-14 reports NA
            return None
        pt = self.partable
        if any(o == "~*~" and f > 0 for o, f in zip(pt.op, pt.free, strict=True)):
            # free scales (equal thresholds across groups): lavaan 0.6-14's catML refit
            # fails here and it reports NA; so do we
            return None
        Ds, _, A_inv = self._info
        N = self.nobs
        m = st.model
        p = m.p
        ri, rj = m.ri, m.rj
        nc = ri.size
        X3 = 0.0
        X0 = 0.0
        ks = 0.0
        kbs = 0.0
        blocks_M = []
        for g, s in enumerate(st.stats):
            R = s.cor
            if np.linalg.eigvalsh(R).min() < np.sqrt(np.finfo(float).eps):
                return None
            sig = self.implied_cov(g + 1).to_numpy()
            si = np.linalg.inv(sig)
            ld_r = np.linalg.slogdet(R)[1]
            X3 += s.n * float(np.linalg.slogdet(sig)[1] - ld_r + np.trace(R @ si) - p)
            X0 += -s.n * float(ld_r)
            blocks_M.append((g, s, si))
        K = A_inv.shape[0]
        # stacked M = I - D A^-1 D' W over the correlation rows of all groups
        Dc = [Ds[g][-nc:] for g in range(len(st.stats))]
        Wc = []
        for g, s in enumerate(st.stats):
            fg = s.n / N
            W = st.Ws[g]
            Wc.append(fg * (W[-nc:] if W.ndim == 1 else np.diag(W)[-nc:]))
        Dall = np.vstack(Dc) if Dc else np.zeros((0, K))
        Wall = np.concatenate(Wc)
        Mmat = np.eye(Dall.shape[0]) - (Dall @ A_inv @ Dall.T) * Wall[None, :]
        Vb = []
        Gb = []
        for g, s, si in blocks_M:
            fg = s.n / N
            # 1/2 D_r' (si (x) si) D_r without the p^2 x p^2 Kronecker product: the entry of
            # correlations (i, j) and (k, l) is si_ik si_jl + si_il si_jk
            Vb.append(
                fg
                * (
                    si[np.ix_(ri, ri)] * si[np.ix_(rj, rj)]
                    + si[np.ix_(ri, rj)] * si[np.ix_(rj, ri)]
                )
            )
            gam = self._gammas[g][-nc:, -nc:] / fg
            Gb.append(gam)
            kbs += float(np.trace(gam))
        from scipy.linalg import block_diag

        V = block_diag(*Vb)
        Gm = block_diag(*Gb)
        ks = float(np.trace(Mmat.T @ V @ Mmat @ Gm))
        df3 = self.df
        df0 = nc * len(st.stats)
        if df3 <= 0:
            return None
        return {"X3": X3, "df3": float(df3), "c3": ks / df3, "X0": X0, "df0": float(df0),
                "c0": kbs / df0}  # fmt: skip

    def _scaled(self, stat: float, df: int, tr1: float, tr2: float) -> tuple[float, float, float]:
        """Scaled statistic, scaling factor and shift for this estimator."""
        if df <= 0:
            return stat, float("nan"), float("nan")
        if self._st.estimator in _SHIFTED:
            a = np.sqrt(df / tr2)
            b = df - a * tr1
            return a * stat + b, 1.0 / a, b
        c = tr1 / df
        return stat / c, c, 0.0

    def fit_measures(self) -> pd.Series:
        """Fit measures with lavaan's ``fitMeasures`` names (dots as underscores).

        Returns
        -------
        pandas.Series
            ``npar n chisq df pvalue baseline_chisq baseline_df baseline_pvalue cfi tli
            rmsea rmsea_ci_lower rmsea_ci_upper rmsea_pvalue srmr``; with a robust test
            (WLSMV, WLSM, ULSMV) also ``chisq_scaled df_scaled pvalue_scaled
            chisq_scaling_factor scaling_factor shift_parameter baseline_chisq_scaled
            baseline_df_scaled baseline_pvalue_scaled baseline_chisq_scaling_factor
            cfi_scaled tli_scaled rmsea_scaled rmsea_ci_lower_scaled rmsea_ci_upper_scaled
            rmsea_pvalue_scaled`` and lavaan 0.6-14's robust ``cfi_robust tli_robust
            rmsea_robust rmsea_ci_lower_robust rmsea_ci_upper_robust rmsea_pvalue_robust``
            (Savalei 2021 catML correction; NaN with continuous indicators, as lavaan).

        Notes
        -----
        ``T = sum_g (N_g - 1) F_g``. Scaled-shifted (WLSMV, ULSMV): ``a = sqrt(df /
        tr((U Gamma)^2))``, ``T* = a T + df - a tr(U Gamma)``; mean-adjusted (WLSM):
        ``T / (tr(U Gamma)/df)``. The baseline model has free thresholds (means and
        variances) and zero correlations. CFI/TLI/RMSEA use the standard formulas with
        ``N - G`` in the RMSEA; the scaled versions plug in the scaled statistics.
        """
        N = self.nobs
        G = self.n_groups
        chisq, df = self._chisq, self.df
        b_stat, b_df, b_tr1, b_tr2 = self._base_test
        nr = N - G
        uls = self._st.estimator in ("ULS", "ULSMV")
        out: dict[str, float] = {
            "npar": float(self.npar),
            "n": float(N),
            "chisq": chisq,
            "df": float(df),
            # the unscaled ULS statistic has no chi-square reference (lavaan: NA)
            "pvalue": fitidx.chisq_pvalue(chisq, df) if not uls else float("nan"),
        }
        robust = self._st.estimator in _ROBUST
        if robust:
            tr1, tr2 = self._traces
            xs, c, shift = self._scaled(chisq, df, tr1, tr2)
            bxs, bc, _ = self._scaled(b_stat, b_df, b_tr1, b_tr2)
            out.update(
                {
                    "chisq_scaled": xs,
                    "df_scaled": float(df),
                    "pvalue_scaled": fitidx.chisq_pvalue(xs, df),
                    "chisq_scaling_factor": c,
                    "scaling_factor": c,
                    "shift_parameter": shift,
                }
            )
        out.update(
            {
                "baseline_chisq": b_stat,
                "baseline_df": float(b_df),
                "baseline_pvalue": fitidx.chisq_pvalue(b_stat, b_df) if not uls else float("nan"),
            }
        )
        if robust:
            out.update(
                {
                    "baseline_chisq_scaled": bxs,
                    "baseline_df_scaled": float(b_df),
                    "baseline_pvalue_scaled": fitidx.chisq_pvalue(bxs, b_df),
                    "baseline_chisq_scaling_factor": bc,
                }
            )
        out["cfi"] = fitidx.cfi(chisq, df, b_stat, b_df)
        out["tli"] = fitidx.tli(chisq, df, b_stat, b_df)
        if robust:
            out["cfi_scaled"] = fitidx.cfi(xs, df, bxs, b_df)
            out["tli_scaled"] = fitidx.tli(xs, df, bxs, b_df)
        out["rmsea"] = fitidx.rmsea(chisq, df, nr, G)
        lo, hi = fitidx.rmsea_ci(chisq, df, nr, G)
        out["rmsea_ci_lower"], out["rmsea_ci_upper"] = lo, hi
        out["rmsea_pvalue"] = fitidx.rmsea_pvalue(chisq, df, nr, G)
        if robust:
            # scaled-shifted: the scaled statistic on df; mean-adjusted: the unscaled one
            # on df2 = tr(U Gamma) (lavaan lav_fit_rmsea_lavobject)
            x2, df2 = (xs, float(df)) if self._st.estimator in _SHIFTED else (chisq, tr1)
            out["rmsea_scaled"] = fitidx.rmsea(x2, df2, nr, G)
            lo, hi = fitidx.rmsea_ci(x2, df2, nr, G)
            out["rmsea_ci_lower_scaled"], out["rmsea_ci_upper_scaled"] = lo, hi
            out["rmsea_pvalue_scaled"] = fitidx.rmsea_pvalue(x2, df2, nr, G)
        cat = self._catml if robust else None
        if cat is not None:
            x3, d3, c3 = cat["X3"], cat["df3"], cat["c3"]
            x0, d0, c0 = cat["X0"], cat["df0"], cat["c0"]
            out["cfi_robust"] = fitidx.cfi(x3, d3, x0, d0, c3, c0)
            out["tli_robust"] = fitidx.tli(x3, d3, x0, d0, c3, c0)
            out["rmsea_robust"] = fitidx.rmsea(x3, d3, nr, G, c_hat=c3)
            lo, hi = fitidx.rmsea_ci(x3 / c3, d3, nr, G)
            out["rmsea_ci_lower_robust"] = lo * np.sqrt(c3)
            out["rmsea_ci_upper_robust"] = hi * np.sqrt(c3)
            # close-fit test on the scaled statistic, ncp = (N - G) df 0.05^2 / (c3 G)
            lam = nr * d3 * 0.05**2 / (c3 * G)
            out["rmsea_pvalue_robust"] = float(sps.ncx2.sf(x3 / c3, d3, lam)) if d3 > 0 else np.nan
        elif robust:
            for k in ("cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_lower_robust",
                      "rmsea_ci_upper_robust", "rmsea_pvalue_robust"):  # fmt: skip
                out[k] = float("nan")
        out["srmr"] = self._srmr()
        return pd.Series(out, name="fit_measures", dtype=float)

    def _srmr(self) -> float:
        """Root mean square residual correlation over the lower triangle with the diagonal.

        lavaan's ``srmr`` for categorical data (``srmr_bentler_nomean``):
        ``sqrt(sum_{i<j} (r_ij - rho_ij)^2 / (p (p + 1) / 2))``, weighted by ``N_g / N``.
        With exogenous covariates the residuals are those of the correlations given the
        covariates and the divisor is ``p (p - 1) / 2 + p + q`` (lavaan counts every
        observed variable).
        """
        st = self._st
        N = self.nobs
        total = 0.0
        for g, s in enumerate(st.stats):
            imp = self.implied_cov(g + 1).to_numpy()
            sd_s = np.sqrt(np.diag(s.cov))
            sd_i = np.sqrt(np.diag(imp))
            R = s.cov / np.outer(sd_s, sd_s) - imp / np.outer(sd_i, sd_i)
            p = R.shape[0]
            low = R[np.tril_indices(p, -1)]
            # lavaan divides by the correlations plus the number of observed variables,
            # the exogenous covariates included (conditional.x: residual correlations)
            total += (
                s.n / N * float(np.sqrt(np.sum(low**2) / (low.size + len(self.observed_variables))))
            )
        return total

    # ------------------------------------------------------------------ moments
    def implied_cov(self, group: Any = None) -> pd.DataFrame:
        """Model-implied covariance of the latent responses (correlations for ordered items).

        With exogenous covariates (conditional.x) it is the residual covariance given the
        covariates, of the modelled variables only (lavaan's ``res.cov``).
        """
        g = self._group_index(group)
        sigma, mu = self._model.implied(self.theta, g)
        st = self._st
        sigma, _, _ = residual_moments(sigma, mu, st.model.y_idx, st.model.x_idx)
        o = st.model.is_ord
        if st.parameterization == "theta":
            d = np.where(o, 1.0 / np.sqrt(np.diag(sigma)), 1.0)
            sigma = sigma * np.outer(d, d)
        names = st.model.y_names
        return pd.DataFrame(sigma, index=names, columns=names)

    def sample_cov(self, group: Any = None) -> pd.DataFrame:
        """The polychoric / polyserial / Pearson matrix (covariances for continuous variables).

        With exogenous covariates: the residual matrix given the covariates.
        """
        g = self._group_index(group)
        names = self._st.model.y_names
        return pd.DataFrame(self._st.stats[g].cov, index=names, columns=names)

    def sample_thresholds(self, group: Any = None) -> pd.Series:
        """Sample thresholds of the ordered variables (step 1; given the covariates if any)."""
        g = self._group_index(group)
        s = self._st.stats[g]
        idx, vals = [], []
        for j, v in enumerate(self._st.model.y_names):
            for k, t in enumerate(s.thresholds[j]):
                idx.append(f"{v}|t{k + 1}")
                vals.append(t)
        return pd.Series(vals, index=idx, name="thresholds", dtype=float)

    def estimates(self, *, level: float | None = None) -> pd.DataFrame:
        """Parameter estimates as lavaan's ``parameterEstimates(standardized = TRUE)``.

        Threshold rows (``x | t1``) and scaling rows (``x ~*~ x``) are included; the
        residual variances of ordered items under the delta parameterization (and the
        scales under the theta parameterization) are computed values with no standard
        error, as in lavaan.
        """
        frame = super().estimates(level=level)
        sc = frame["op"] == "~*~"
        if sc.any():
            # the scale of y* standardizes to 1 (lavaan's std.all of a ~*~ row)
            frame.loc[sc, "std_lv"] = frame.loc[sc, "est"]
            frame.loc[sc, "std_all"] = 1.0
        return frame

    def r2(self) -> pd.Series:
        """R-squared of every endogenous variable (latent responses for ordered items)."""
        return super().r2()

    def modification_indices(self, *, minimum: float = 0.0) -> pd.DataFrame:
        """Not available for categorical fits (raises)."""
        from synergy_stats.errors import EstimationError

        raise EstimationError(
            "modification_indices() is implemented for continuous ML fits; this model was "
            f"fitted with ordered indicators (estimator={self._st.estimator!r})"
        )

    @property
    def polychoric(self) -> pd.DataFrame:
        """The sample correlation matrix of group 1 (polychoric/polyserial/Pearson).

        With exogenous covariates: the residual correlations given the covariates.
        """
        s = self._st.stats[0]
        names = self._st.model.y_names
        return pd.DataFrame(s.cor, index=names, columns=names)

    def summary(self, **options: Any) -> str:
        """A readable summary in the spirit of lavaan's ``summary(fit, fit.measures=TRUE)``."""
        fm = self.fit_measures()
        o = self.options
        lines = [
            f"synergy_stats SEM ({o.estimator}, ordered, {self._st.parameterization} "
            f"parameterization) {'converged' if self.converged else 'NOT converged'} after "
            f"{self.optim.iterations} iterations",
            f"  observations: {self.nobs}  (dropped: {self.n_dropped})  groups: {self.n_groups}",
            f"  free parameters: {self.npar}",
            "",
            "Model test",
            f"  chi-square = {fm['chisq']:.3f}, df = {int(fm['df'])}, p = {fm['pvalue']:.4f}",
        ]
        if "chisq_scaled" in fm:
            lines.append(
                f"  scaled chi-square = {fm['chisq_scaled']:.3f} (scaling factor "
                f"{fm['scaling_factor']:.4f}, shift {fm['shift_parameter']:.4f}), "
                f"p = {fm['pvalue_scaled']:.4f}"
            )
            lines.append(
                f"  CFI = {fm['cfi_scaled']:.3f}  TLI = {fm['tli_scaled']:.3f}  RMSEA = "
                f"{fm['rmsea_scaled']:.3f} (scaled)  SRMR = {fm['srmr']:.3f}"
            )
        else:
            lines.append(
                f"  CFI = {fm['cfi']:.3f}  TLI = {fm['tli']:.3f}  RMSEA = {fm['rmsea']:.3f}  "
                f"SRMR = {fm['srmr']:.3f}"
            )
        lines += ["", "Parameter estimates"]
        est = self.estimates()
        show = est[["lhs", "op", "rhs", "label", "group", "est", "se", "z", "pvalue", "std_all"]]
        if self.n_groups == 1:
            show = show.drop(columns="group")
        lines.append(show.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"OrdinalSEMResult(estimator={self.options.estimator!r}, "
            f"parameterization={self._st.parameterization!r}, nobs={self.nobs}, "
            f"npar={self.npar}, df={self.df}, converged={self.converged})"
        )


# ---------------------------------------------------------------------- driver
def resolve_ordered(
    ordered: bool | Sequence[str] | str, observed: Sequence[str], data: pd.DataFrame
) -> list[str]:
    """The ordered observed variables: a list of names, or True for every observed one."""
    if ordered is True:
        return list(observed)
    if ordered is False:
        return []
    if isinstance(ordered, str):
        ordered = [ordered]
    names = list(ordered)
    unknown = [v for v in names if v not in data.columns]
    if unknown:
        raise DataValidationError(
            f"ordered={unknown} are not columns of data; available: {list(data.columns)[:30]}"
        )
    return [v for v in names if v in set(observed)]


def fit_ordinal(
    spec: ModelSpec,
    data: pd.DataFrame,
    *,
    ordered: bool | Sequence[str],
    estimator: str,
    parameterization: str,
    missing: str,
    group: str | None,
    group_labels: tuple[Any, ...],
    group_equal: Sequence[str],
    group_partial: Sequence[str],
    std_lv: bool,
    auto: bool,
    level: float,
    se: bool,
    wu_estabrook: str | None = None,
    longitudinal: dict[str, Any] | None = None,
) -> OrdinalSEMResult:
    """The categorical branch of :func:`synergy_stats.sem` (see there for the options).

    ``wu_estabrook`` (a level of :func:`synergy_stats.ordinal.invariance.wu_estabrook_ladder`)
    replaces lavaan's identification of multiple-group models by Wu & Estabrook's (2016).
    """
    check_option("estimator", estimator, OrdinalEstimator)
    check_option("parameterization", parameterization, Parameterization)
    if missing == "fiml":
        raise OptionError(
            "missing='fiml' is not available with ordered indicators (full-information ML "
            "for categorical data is not implemented, nor in lavaan's WLSMV); use "
            "missing='pairwise' (lavaan's choice for categorical data) or 'listwise'"
        )
    if missing not in ("listwise", "pairwise"):
        raise OptionError(
            f"missing={missing!r} is not accepted with ordered indicators; use 'listwise' "
            "or 'pairwise'"
        )
    n_groups = len(group_labels)
    equal = [g for g in group_equal if g != "thresholds"]
    base = build_partable(
        spec,
        data_columns=list(data.columns),
        n_groups=n_groups,
        meanstructure=True,
        auto=auto,
        std_lv=std_lv,
        fixed_x=True,
        group_equal=tuple(equal),
        group_partial=tuple(group_partial),
    )
    obs = list(base.observed)
    x_names = list(base.exogenous_x)
    # ordered=True: every observed indicator, not the exogenous covariates
    ord_names = resolve_ordered(ordered, [v for v in obs if v not in x_names], data)
    if ordered is not True and not isinstance(ordered, bool):
        listed = [ordered] if isinstance(ordered, str) else list(ordered)
        bad_x = [v for v in listed if v in x_names]
        if bad_x:
            raise SpecificationError(
                f"ordered={bad_x} are exogenous covariates of the model; lavaan's "
                "conditional.x treats covariates as fixed and continuous: leave them out of "
                "ordered= (a binary covariate coded 0/1 is fine as it is)"
            )
    ord_set = set(ord_names)
    if x_names:
        if missing != "listwise":
            raise OptionError(
                f"missing={missing!r} with exogenous covariates {x_names} and ordered "
                "indicators (lavaan's conditional.x) is not implemented; use "
                "missing='listwise'"
            )
        if n_groups > 1 or wu_estabrook is not None or longitudinal is not None:
            raise SpecificationError(
                f"exogenous covariates {x_names} with ordered indicators (conditional.x) are "
                "implemented for a single group; multiple-group, invariance and "
                "longitudinal models with covariates are not"
            )
    # ordered variables must not predict others (their residual variance is not free)
    for r in range(len(base)):
        if base.op[r] == "~" and base.rhs[r] in ord_set:
            raise SpecificationError(
                f"ordered variable {base.rhs[r]!r} predicts {base.lhs[r]!r}; ordered "
                "variables may only be indicators or outcomes here"
            )
    cols: list[np.ndarray] = []
    levels: dict[str, tuple[float, ...]] = {}
    for v in obs:
        if v in ord_set:
            coded, lev = code_ordered(data, v)
            cols.append(coded)
            levels[v] = lev
        else:
            s = data[v]
            if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
                raise DataValidationError(
                    f"column {v!r} is not numeric (dtype {s.dtype}); code it as numbers or "
                    "list it in ordered="
                )
            x = s.to_numpy(dtype=float)
            cols.append(np.where(np.isfinite(x), x, np.nan))
    X = np.column_stack(cols)
    keep = np.ones(len(data), dtype=bool)
    if group is not None:
        keep &= data[group].notna().to_numpy()
    miss = ~np.isfinite(X)
    n_dropped = 0
    if missing == "listwise":
        inc = miss.any(axis=1) & keep
        if inc.any():
            warnings.warn(
                f"listwise deletion dropped {int(inc.sum())} of {int(keep.sum())} rows with "
                "missing values on model variables; use missing='pairwise' to keep them",
                DroppedDataWarning,
                stacklevel=4,
            )
        keep &= ~inc
        n_dropped = int(inc.sum())
    else:
        empty = miss.all(axis=1) & keep
        if empty.any():
            warnings.warn(
                f"{int(empty.sum())} row(s) with no observed model variable were dropped",
                DroppedDataWarning,
                stacklevel=4,
            )
        keep &= ~empty
        n_dropped = int(empty.sum())
    if group is not None and (~data[group].notna()).any():
        n_dropped += int((~data[group].notna()).sum())
    gvals = data[group].to_numpy() if group is not None else None
    nlev = {v: len(levels[v]) for v in ord_names}
    is_ord = np.array([v in ord_set for v in obs])
    nlev_arr = np.array([nlev.get(v, 0) for v in obs])
    x_pos = np.array([obs.index(v) for v in x_names], dtype=int)
    y_pos = np.array([j for j, v in enumerate(obs) if v not in set(x_names)], dtype=int)
    raws: list[np.ndarray] = []
    stats: list[OrdinalStats] = []
    for lab in group_labels:
        sel = keep if gvals is None else keep & (gvals == lab)
        Xg = X[sel]
        where = "" if gvals is None else f" in group {lab!r}"
        for j, v in enumerate(obs):
            if is_ord[j]:
                present = np.unique(Xg[np.isfinite(Xg[:, j]), j])
                if present.size < nlev[v]:
                    absent = [levels[v][int(c) - 1] for c in range(1, nlev[v] + 1)
                              if c not in set(present.tolist())]  # fmt: skip
                    raise DataValidationError(
                        f"ordered column {v!r} has no responses in categor"
                        f"{'y' if len(absent) == 1 else 'ies'} {absent}{where}; lavaan refuses "
                        "empty categories too: merge them with a neighbour"
                    )
        raws.append(Xg)
        if x_names:
            stats.append(
                conditional_sample_stats(
                    Xg[:, y_pos], Xg[:, x_pos], is_ord[y_pos], nlev_arr[y_pos],
                    names=[obs[j] for j in y_pos], x_names=x_names,
                )
            )  # fmt: skip
        else:
            stats.append(_group_stats(Xg, is_ord, nlev_arr, obs, where))
    full, core = ordinal_partable(
        base,
        ord_set,
        nlev,
        parameterization=parameterization,
        equal_thresholds="thresholds" in group_equal,
        group_partial=tuple(group_partial),
        lavaan_group_rule=wu_estabrook is None,
        threshold_key=(longitudinal or {}).get("threshold_key"),
    )
    if wu_estabrook is not None:
        from synergy_stats.ordinal.invariance import wu_estabrook_free

        full, core = wu_estabrook_free(
            full,
            core,
            ord_set,
            wu_estabrook,
            later_items=(longitudinal or {}).get("later_items"),
            later_factors=(longitudinal or {}).get("later_factors"),
        )
    return _fit_from_stats(
        spec, full, core, stats, raws, ord_names, levels, estimator=estimator,
        parameterization=parameterization, missing=missing, group=group,
        group_labels=group_labels, group_equal=tuple(group_equal),
        group_partial=tuple(group_partial), std_lv=std_lv, auto=auto, level=level,
        se=se, n_dropped=n_dropped,
    )  # fmt: skip


def _group_stats(
    Xg: np.ndarray, is_ord: np.ndarray, nlev: np.ndarray, obs: list[str], where: str
) -> OrdinalStats:
    s = ordinal_sample_stats(Xg, is_ord, nlev, names=obs)
    if s.empty_cells:
        pairs = ", ".join(f"{obs[a]} x {obs[b]}" for a, b in s.empty_cells[:10])
        more = "" if len(s.empty_cells) <= 10 else f" (and {len(s.empty_cells) - 10} more)"
        warnings.warn(
            f"{len(s.empty_cells)} bivariate table(s) of ordered variables have empty cells"
            f"{where}: {pairs}{more}; as lavaan, the empty cells enter the likelihood with zero "
            "counts (only a 2 x 2 table with one empty cell gets 0.5 added)",
            EmptyCellWarning,
            stacklevel=5,
        )
    return s


def _fit_from_stats(
    spec: ModelSpec,
    full: ParTable,
    core: ParTable,
    stats: list[OrdinalStats],
    raws: list[np.ndarray],
    ord_names: list[str],
    levels: dict[str, tuple[float, ...]],
    *,
    estimator: str,
    parameterization: str,
    missing: str,
    group: str | None,
    group_labels: tuple[Any, ...],
    group_equal: tuple[str, ...],
    group_partial: tuple[str, ...],
    std_lv: bool,
    auto: bool,
    level: float,
    se: bool,
    n_dropped: int,
    start: np.ndarray | None = None,
) -> OrdinalSEMResult:
    model = OrdinalModel(full, core, stats, set(ord_names), parameterization)
    m_total = sum(model.n_stats(g) for g in range(model.n_groups))
    if m_total - model.npar < 0:
        raise IdentificationError(
            f"the model has {model.npar} free parameters but only {m_total} sample "
            f"statistics (df = {m_total - model.npar}); it is not identified"
        )
    Ws = [weights(s, estimator) for s in stats]
    res = fit_wls(model, Ws, start=start)
    if not res.converged:
        raise ConvergenceError(
            f"the least-squares fit did not converge in {res.iterations} iterations "
            f"(largest gradient {res.grad_max:.3g})"
        )
    theta = res.theta
    # computed (non-free) values for display: delta residual variances, theta scales
    value = full.value.copy()
    core_value = core.value.copy()
    pos = {v: i for i, v in enumerate(full.observed)}
    ord_set = set(ord_names)
    for g in range(full.n_groups):
        if parameterization == "delta":
            resid = model.residual_variances(theta, g)
            for r in full.rows(g + 1):
                if (
                    full.op[r] == "~~"
                    and full.lhs[r] == full.rhs[r]
                    and full.lhs[r] in ord_set
                    and full.free[r] == 0
                ):
                    value[r] = resid[pos[full.lhs[r]]]
                    if r < len(core):
                        core_value[r] = value[r]
            neg = [v for v in ord_names if resid[pos[v]] < 0]
            if neg:
                warnings.warn(
                    "improper solution (Heywood case): the latent responses of "
                    f"{neg} have negative residual variances (loadings above 1 in the "
                    "delta parameterization)",
                    HeywoodWarning,
                    stacklevel=4,
                )
        else:
            delta = model.scaling(theta, g)
            for r in full.rows(g + 1):
                if full.op[r] == "~*~" and full.free[r] == 0:
                    value[r] = delta[pos[full.lhs[r]]]
    full_disp = replace(full, value=value)
    core_disp = replace(core, value=core_value)
    groups = model.groups
    disp_model = RamModel(core_disp, groups)
    options = FitOptions(
        estimator=estimator,
        missing=missing,
        meanstructure=True,
        auto=auto,
        std_lv=std_lv,
        fixed_x=True,
        group=group,
        group_equal=group_equal,
        group_partial=group_partial,
        information="expected",
        level=level,
        engine="numpy",
    )
    optim = OptimResult(
        theta, res.fmin, res.grad_max, res.iterations, res.converged, "Gauss-Newton (WLS)"
    )
    state = _OrdinalState(
        model=model,
        stats=stats,
        Ws=Ws,
        estimator=estimator,
        parameterization=parameterization,
        ordered=tuple(ord_names),
        levels=levels,
        raw=raws,
    )
    return OrdinalSEMResult(
        spec=spec,
        partable=full_disp,
        options=options,
        theta=theta,
        nobs=int(sum(s.n for s in stats)),
        group_labels=group_labels,
        n_dropped=n_dropped,
        optim=optim,
        _model=disp_model,
        _objective=None,  # type: ignore[arg-type]
        _groups=groups,
        _se=se,
        _ord=state,
    )
