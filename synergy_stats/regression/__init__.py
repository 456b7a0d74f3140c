"""synergy_stats.regression: regressions through statsmodels, and nesting helpers.

:func:`regress` (OLS/WLS with conventional, HC or cluster-robust SEs), :func:`logit`,
:func:`probit`, :func:`ordered_logit` and :func:`mixedlm` return a
:class:`RegressionResult` with tidy ``estimates()`` and ``fit_measures()``; :func:`icc`,
:func:`design_effect`, :func:`rwg` and :func:`rwg_j` describe nesting in departments.
"""

from __future__ import annotations

from synergy_stats.regression.adapter import (
    RegressionResult,
    as_result,
    logit,
    mixedlm,
    ordered_logit,
    probit,
    regress,
)
from synergy_stats.regression.multilevel import design_effect, icc, rwg, rwg_j

__all__ = [
    "RegressionResult",
    "as_result",
    "design_effect",
    "icc",
    "logit",
    "mixedlm",
    "ordered_logit",
    "probit",
    "regress",
    "rwg",
    "rwg_j",
]
