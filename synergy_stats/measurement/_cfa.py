"""The confirmatory factor analysis behind omega, AVE, loadings and latent correlations.

The only door to the SEM core (:func:`synergy_stats.cfa`) from this subpackage. It builds
lavaan syntax from a :class:`~synergy_stats.measurement._common.MeasurementSpec`, fits it and
reads the matrices semTools reads from a lavaan object: ``LAMBDA`` (``lavInspect(fit,
"est")$lambda``), ``BETA``, ``PSI``, ``THETA``, the model-implied latent covariance
``cov.lv`` and the sample covariance ``sampstat`` (divisor N; the EM estimate under FIML).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synergy_stats.errors import EstimationError, OptionError, SpecificationError
from synergy_stats.measurement._common import (
    MeasurementSpec,
    PreparedData,
    check_not_singular,
    correlation,
)

__all__ = ["CFAParts", "cfa_parts", "fit_cfa", "model_syntax"]


def model_syntax(spec: MeasurementSpec, *, higher: bool) -> str:
    """Write the lavaan syntax of the measurement model of ``spec``.

    First-order factors are measured by their items; with ``higher=True`` every second-order
    construct is measured by its components. Correlated blocks add no line: lavaan's ``cfa``
    correlates exogenous factors by default.
    """
    lines = [f"{f} =~ " + " + ".join(items) for f, items in spec.factors.items()]
    if higher and spec.higher:
        lines += [f"{h} =~ " + " + ".join(comps) for h, comps in spec.higher.items()]
        # lavaan's default, written out: factors that measure a higher-order factor are
        # endogenous, so their disturbances do not covary with other latent variables
        latent = [*spec.factors, *spec.higher]
        endogenous = {c for comps in spec.higher.values() for c in comps}
        for i, a in enumerate(latent):
            for b in latent[i + 1 :]:
                if a in endogenous or b in endogenous:
                    lines.append(f"{a} ~~ 0*{b}")
    return "\n".join(lines)


@dataclass(frozen=True)
class CFAParts:
    """Matrices of a fitted single-group CFA, labelled by variable names.

    Attributes
    ----------
    observed, latent : tuple of str
        Row/column names.
    lam : numpy.ndarray
        Loadings of observed variables on latent variables (observed x latent).
    beta : numpy.ndarray
        Regressions among latent variables, ``beta[i, j]`` = effect of latent j on i
        (a second-order loading of factor i on construct j).
    psi : numpy.ndarray
        (Residual) covariances of latent variables.
    theta : numpy.ndarray
        Residual covariances of observed variables.
    cov_lv : numpy.ndarray
        Model-implied covariance of latent variables, ``(I-B)^-1 Psi (I-B)^-T``.
    sample_cov : numpy.ndarray
        Sample covariance of the observed variables used by the fit (divisor N).
    std_loadings : dict
        ``(factor, item) -> standardized loading`` (lavaan ``std.all``).
    nobs : int
        Rows used by the fit.
    missing : str
        The fit's missing-data rule.
    """

    observed: tuple[str, ...]
    latent: tuple[str, ...]
    lam: np.ndarray
    beta: np.ndarray
    psi: np.ndarray
    theta: np.ndarray
    cov_lv: np.ndarray
    sample_cov: np.ndarray
    std_loadings: dict[tuple[str, str], float]
    nobs: int
    missing: str

    def obs_index(self, names: list[str] | tuple[str, ...]) -> list[int]:
        """Positions of observed variables."""
        pos = {v: i for i, v in enumerate(self.observed)}
        return [pos[v] for v in names]

    def lat_index(self, names: list[str] | tuple[str, ...]) -> list[int]:
        """Positions of latent variables."""
        pos = {v: i for i, v in enumerate(self.latent)}
        return [pos[v] for v in names]


def fit_cfa(spec: MeasurementSpec, prep: PreparedData, *, higher: bool) -> CFAParts:
    """Fit the measurement model of ``spec`` to the prepared data with the SEM core.

    ``missing="listwise"`` fits the complete rows; ``"pairwise"`` and ``"fiml"`` fit all
    rows by full-information ML (lavaan ``missing="ml"``), the SEM core's ``"fiml"``.
    """
    import synergy_stats

    check_not_singular(
        correlation(prep),
        prep.columns,
        what="the CFA behind omega, AVE and loadings (pass cfa=False to skip it)",
    )
    cfa = synergy_stats.cfa
    frame = prep.frame()
    items = spec.items
    frame = frame.loc[:, items]
    cfa_missing = "listwise" if prep.missing == "listwise" else "fiml"
    syntax = model_syntax(spec, higher=higher)
    # omega, AVE and latent correlations need no standard errors (lavaan: se = "none")
    fit = cfa(syntax, frame, estimator="ML", missing=cfa_missing, se=False)
    return cfa_parts(fit, missing=cfa_missing)


def cfa_parts(fit: Any, *, missing: str | None = None) -> CFAParts:
    """Read the matrices semTools uses from a fitted single-group CFA result.

    Parameters
    ----------
    fit : SEMResult
        A result of :func:`synergy_stats.cfa` (anything with ``estimates()``,
        ``sample_cov()``, ``nobs``, ``observed_variables`` and ``latent_variables``).
    missing : str, optional
        Recorded in the returned parts; by default the fit's own ``options.missing``.

    Raises
    ------
    SpecificationError
        For a multi-group fit.
    """
    if not callable(getattr(fit, "estimates", None)):
        raise OptionError(
            f"fit={type(fit).__name__} is not accepted; give the result of ss.cfa() or None"
        )
    if missing is None:
        missing = str(getattr(getattr(fit, "options", None), "missing", "listwise"))
    est = fit.estimates()
    if "group" in est.columns and est["group"].nunique() > 1:
        raise SpecificationError(
            "fit has several groups; reliability and validity statistics need a single-group "
            "CFA (fit each group separately)"
        )
    observed = tuple(fit.observed_variables)
    latent = tuple(fit.latent_variables)
    ob = {v: i for i, v in enumerate(observed)}
    la = {v: i for i, v in enumerate(latent)}
    p, m = len(observed), len(latent)
    lam = np.zeros((p, m))
    beta = np.zeros((m, m))
    psi = np.zeros((m, m))
    theta = np.zeros((p, p))
    std: dict[tuple[str, str], float] = {}
    for row in est.itertuples(index=False):
        lhs, op, rhs, value = str(row.lhs), str(row.op), str(row.rhs), float(row.est)
        if op == "=~":
            if rhs in ob:
                lam[ob[rhs], la[lhs]] = value
                std[(lhs, rhs)] = float(row.std_all)
            elif rhs in la:
                beta[la[rhs], la[lhs]] = value
        elif op == "~" and lhs in la and rhs in la:
            beta[la[lhs], la[rhs]] = value
        elif op == "~~":
            if lhs in la and rhs in la:
                psi[la[lhs], la[rhs]] = psi[la[rhs], la[lhs]] = value
            elif lhs in ob and rhs in ob:
                theta[ob[lhs], ob[rhs]] = theta[ob[rhs], ob[lhs]] = value
    try:
        ib = np.linalg.inv(np.eye(m) - beta)
    except np.linalg.LinAlgError as exc:
        raise EstimationError("I - B of the fitted model is singular") from exc
    cov_lv = ib @ psi @ ib.T
    s = fit.sample_cov()
    sample = s.loc[list(observed), list(observed)].to_numpy(dtype=float)
    return CFAParts(
        observed=observed,
        latent=latent,
        lam=lam,
        beta=beta,
        psi=psi,
        theta=theta,
        cov_lv=cov_lv,
        sample_cov=sample,
        std_loadings=std,
        nobs=int(fit.nobs),
        missing=missing,
    )


def omega_factor(parts: CFAParts, factor: str) -> float:
    """Composite reliability of a first-order factor, as semTools ``compRelSEM``.

    ``omega = (sum_i lambda_i)^2 phi / sum(S_items)`` with unstandardized loadings, the
    factor's model-implied variance ``phi`` and the observed covariance ``S`` of its items
    (semTools' default ``obs.var=TRUE``).
    """
    j = parts.lat_index([factor])[0]
    rows = np.flatnonzero(parts.lam[:, j] != 0)
    lam = parts.lam[rows, j]
    common = lam.sum() ** 2 * parts.cov_lv[j, j]
    return float(common / parts.sample_cov[np.ix_(rows, rows)].sum())


def ave_factor(parts: CFAParts, factor: str) -> float:
    """Average variance extracted, as semTools ``AVE``.

    ``AVE = sum_i lambda_i^2 phi / sum_i S_ii`` over the factor's items; NaN when one of
    them loads on another factor too (semTools skips such factors).
    """
    j = parts.lat_index([factor])[0]
    rows = np.flatnonzero(parts.lam[:, j] != 0)
    if (np.count_nonzero(np.round(parts.lam[rows], 5), axis=1) > 1).any():
        return float("nan")
    lam = parts.lam[rows, j]
    common = (lam**2).sum() * parts.cov_lv[j, j]
    return float(common / np.trace(parts.sample_cov[np.ix_(rows, rows)]))


def omega_block(parts: CFAParts, factors: list[str]) -> float:
    """Composite reliability of the sum of several correlated factors' items.

    ``sum(L Phi L') / sum(S)`` over the block's items, semTools' ``return.total`` formula
    restricted to the block.
    """
    cols = np.asarray(parts.lat_index(factors), dtype=np.intp)
    rows = np.flatnonzero((parts.lam[:, cols] != 0).any(axis=1))
    lam = parts.lam[np.ix_(rows, cols)]
    common = lam @ parts.cov_lv[np.ix_(cols, cols)] @ lam.T
    return float(common.sum() / parts.sample_cov[np.ix_(rows, rows)].sum())


def omega_higher(parts: CFAParts, construct: str) -> dict[str, float]:
    """Reliability of a second-order construct, as semTools reports it.

    Returns
    -------
    dict
        ``omega``: ``compRelSEM(fit, higher=construct)``,
        ``(sum_j gamma_j sum_i lambda_ij)^2 Phi_hh / sum(S)`` over all items below the
        construct; ``omega_l1``, ``omega_l2``, ``omega_partial_l1``: ``reliabilityL2``'s
        omegaL1, omegaL2 and partialOmegaL1, whose denominators are model-implied.
    """
    h = parts.lat_index([construct])[0]
    gamma = parts.beta[:, h]
    comps = np.flatnonzero(gamma != 0)
    rows = np.flatnonzero((parts.lam[:, comps] != 0).any(axis=1))
    rows = np.union1d(rows, np.flatnonzero(parts.lam[:, h] != 0)).astype(np.intp)
    phi_h = parts.cov_lv[h, h]
    l1load = parts.lam[:, comps] @ gamma[comps] + parts.lam[:, h]
    common_l1 = l1load.sum() ** 2 * phi_h
    omega = common_l1 / parts.sample_cov[np.ix_(rows, rows)].sum()
    common_l2 = gamma[comps].sum() ** 2 * phi_h
    error_l2 = parts.psi[np.ix_(comps, comps)].sum()
    error_l1 = parts.theta[np.ix_(rows, rows)].sum()
    unique_l1 = sum(parts.lam[:, j].sum() ** 2 * parts.psi[j, j] for j in comps)
    return {
        "omega": float(omega),
        "omega_l1": float(common_l1 / (common_l1 + unique_l1 + error_l1)),
        "omega_l2": float(common_l2 / (common_l2 + error_l2)),
        "omega_partial_l1": float(common_l1 / (common_l1 + error_l1)),
    }


def latent_correlations(parts: CFAParts, factors: list[str]) -> np.ndarray:
    """Model-implied correlations of the given latent variables (lavaan ``cor.lv``)."""
    idx = parts.lat_index(factors)
    cov = parts.cov_lv[np.ix_(idx, idx)]
    sd = np.sqrt(np.diag(cov))
    return np.asarray(cov / np.outer(sd, sd))
