"""Inference for fitted models: bootstrap, effects and Monte Carlo intervals.

* :func:`bootstrap` -> :class:`BootstrapResult` (draws, failures by reason, ``ci()`` with
  percentile, bias-corrected and BCa intervals, Bollen-Stine p-value);
* :func:`effects` - direct, specific indirect and total effects with delta-method,
  bootstrap or Monte Carlo intervals; :func:`indirect_effects_table` for reports;
* :func:`monte_carlo_ci` - semTools' ``monteCarloCI`` for ``:=`` parameters;
* :mod:`~synergy_stats.inference.parallel` - the seeded draw engine (local processes or a
  Dask cluster) shared by every resampling and simulation routine.
"""

from __future__ import annotations

from synergy_stats.inference.bootstrap import BootstrapResult, bootstrap
from synergy_stats.inference.effects import effects, indirect_effects_table
from synergy_stats.inference.montecarlo import monte_carlo_ci
from synergy_stats.inference.parallel import DrawOutput, DrawTask, SeedPlan, map_draws, seed_plan

__all__ = [
    "BootstrapResult",
    "DrawOutput",
    "DrawTask",
    "SeedPlan",
    "bootstrap",
    "effects",
    "indirect_effects_table",
    "map_draws",
    "monte_carlo_ci",
    "seed_plan",
]
