"""Ordinal (Likert) indicators: polychoric correlations and least-squares SEM, as lavaan.

* :func:`polychoric` -- thresholds and polychoric / polyserial / Pearson correlations with
  standard errors (``lavCor``);
* the categorical branch of :func:`synergy_stats.sem` / :func:`synergy_stats.cfa`
  (``ordered=``; WLSMV, WLSM, ULSMV, ULS, DWLS, WLS; delta or theta parameterization),
  returning an :class:`OrdinalSEMResult`.
"""

from synergy_stats.ordinal.fit import EmptyCellWarning, OrdinalSEMResult
from synergy_stats.ordinal.polychoric import (
    NotPositiveDefiniteWarning,
    PolychoricResult,
    polychoric,
    smooth_correlation,
)

__all__ = [
    "EmptyCellWarning",
    "NotPositiveDefiniteWarning",
    "OrdinalSEMResult",
    "PolychoricResult",
    "polychoric",
    "smooth_correlation",
]
