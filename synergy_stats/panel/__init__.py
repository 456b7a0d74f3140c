"""Groups and waves: measurement invariance, cross-lagged panel models, the feedback test.

* :func:`measurement_invariance`: the configural -> metric -> scalar -> strict ladder across
  groups (multiple-group CFA) or waves (longitudinal CFA), with partial invariance by
  score tests;
* :func:`riclpm`, :func:`clpm`: random-intercept and traditional cross-lagged panel models
  from long data, on construct scores or multiple indicators;
* :func:`feedback_test`: likelihood-ratio and Wald tests of a construct's cross-lags;
* :func:`compare_clpm_riclpm`: the chi-bar-square test of the random intercepts;
* :func:`simulate_riclpm`: seeded RI-CLPM data in long format;
* :func:`long_to_wide`, :func:`wide_to_long`: reshaping with the checks panel models need.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "ChiBarSquareTest",
    "DifferenceTest",
    "FeedbackTest",
    "InvarianceResult",
    "PanelFit",
    "chibar_weights",
    "clpm",
    "clpm_syntax",
    "compare_clpm_riclpm",
    "difference_test",
    "feedback_test",
    "long_to_wide",
    "longitudinal_cfa",
    "measurement_invariance",
    "release_score_tests",
    "riclpm",
    "riclpm_syntax",
    "simulate_riclpm",
    "wide_to_long",
]

_LAZY = {
    "ChiBarSquareTest": "synergy_stats.panel.models",
    "FeedbackTest": "synergy_stats.panel.models",
    "PanelFit": "synergy_stats.panel.models",
    "chibar_weights": "synergy_stats.panel.models",
    "clpm": "synergy_stats.panel.models",
    "clpm_syntax": "synergy_stats.panel.models",
    "compare_clpm_riclpm": "synergy_stats.panel.models",
    "feedback_test": "synergy_stats.panel.models",
    "riclpm": "synergy_stats.panel.models",
    "riclpm_syntax": "synergy_stats.panel.models",
    "DifferenceTest": "synergy_stats.panel.difference",
    "difference_test": "synergy_stats.panel.difference",
    "release_score_tests": "synergy_stats.panel.difference",
    "InvarianceResult": "synergy_stats.panel.invariance",
    "measurement_invariance": "synergy_stats.panel.invariance",
    "longitudinal_cfa": "synergy_stats.panel.longitudinal",
    "long_to_wide": "synergy_stats.panel.reshape",
    "wide_to_long": "synergy_stats.panel.reshape",
    "simulate_riclpm": "synergy_stats.panel.simulate",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synergy_stats.panel' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
