"""The one door to semopy: point estimates of single-group, complete-data ML models.

semopy (the engine named on the design card) is right about ML point estimates when its
optimiser runs with a tight tolerance, and wrong or missing elsewhere (log-likelihood scale,
FIML chi-square, ``:=``, multiple groups; see MISSION.md). This adapter therefore asks it
for point estimates only, maps them onto our parameter table, and leaves standard errors,
fit measures, standardized solutions and defined parameters to our own code. It is used by
``sem(..., engine="semopy")`` and by the tests that cross-check the numpy engine.
"""

from __future__ import annotations

import numpy as np

from synergy_stats.errors import ConvergenceError, EstimationError, SpecificationError
from synergy_stats.structural.partable import ParTable
from synergy_stats.structural.samplestats import GroupData
from synergy_stats.structural.spec import ModelSpec
from synergy_stats.structural.syntax import format_model

__all__ = ["semopy_estimates"]


def semopy_estimates(
    spec: ModelSpec, pt: ParTable, group: GroupData, *, ftol: float = 1e-14
) -> np.ndarray:
    """Estimate the free parameters of ``pt`` with semopy (objective MLW, SLSQP).

    Parameters
    ----------
    spec : ModelSpec
        The user's model (without defined parameters, which semopy does not support).
    pt : ParTable
        Our parameter table; its free parameters are filled from semopy's estimates.
    group : GroupData
        The (complete) data of the single group.
    ftol : float
        SLSQP tolerance; semopy's default drifts up to 0.5% from the optimum.

    Returns
    -------
    numpy.ndarray
        The parameter vector in our order.

    Raises
    ------
    SpecificationError
        For models semopy cannot fit here (several groups, a mean structure, missing data).
    ConvergenceError
        When semopy's optimiser reports failure.
    """
    if pt.n_groups != 1 or pt.meanstructure or not group.complete:
        raise SpecificationError(
            "engine='semopy' fits single-group, complete-data models without a mean "
            "structure only; use the default engine"
        )
    import pandas as pd
    import semopy

    desc = format_model(ModelSpec(spec.statements))
    frame = pd.DataFrame(group.raw, columns=list(pt.observed))
    try:
        model = semopy.Model(desc)
        res = model.fit(frame, obj="MLW", options={"ftol": ftol, "maxiter": 20000})
        table = model.inspect()
    except Exception as exc:  # semopy raises many kinds; translate into ours
        raise EstimationError(f"semopy failed on this model: {exc}") from exc
    if not getattr(res, "success", True):
        raise ConvergenceError(f"semopy's optimiser did not converge: {res.message}")
    est: dict[tuple[str, str, str], float] = {}
    latent = set(pt.latent)
    for row in table.itertuples(index=False):
        lval, op, rval, value = row[0], row[1], row[2], float(row[3])
        if op == "~" and rval in latent and lval not in latent and _is_loading(pt, rval, lval):
            est[(rval, "=~", lval)] = value
        elif op == "~~":
            est[(lval, "~~", rval)] = value
            est[(rval, "~~", lval)] = value
        else:
            est[(lval, op, rval)] = value
    theta = np.full(pt.npar, np.nan)
    for r in range(len(pt)):
        k = int(pt.free[r]) - 1
        if k >= 0 and np.isnan(theta[k]):
            key = (pt.lhs[r], pt.op[r], pt.rhs[r])
            if key not in est:
                raise EstimationError(f"semopy returned no estimate for {' '.join(key)}")
            theta[k] = est[key]
    return theta


def _is_loading(pt: ParTable, latent: str, indicator: str) -> bool:
    return any(
        o == "=~" and lh == latent and rh == indicator
        for lh, o, rh in zip(pt.lhs, pt.op, pt.rhs, strict=True)
    )
