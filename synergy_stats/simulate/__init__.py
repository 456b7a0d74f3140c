"""Simulated data: the bundled example survey and the panel data-generating process.

* :func:`simulate_example` / :func:`load_example`: the three-wave street-government example;
* :mod:`synergy_stats.simulate.panel`: the latent panel process of the synergy execution
  model and the item-response layer, reusable for power analysis;
* :mod:`synergy_stats.simulate.data`: :func:`~synergy_stats.simulate.data.simulate_data`,
  data from a population model as lavaan's ``simulateData``;
* :mod:`synergy_stats.simulate.power`, :mod:`synergy_stats.simulate.riclpm_power`,
  :mod:`synergy_stats.simulate.rmsea`: Monte Carlo and analytic power;
  :mod:`synergy_stats.simulate.plot` draws power curves and
  :mod:`synergy_stats.simulate.study` runs a study from a configuration file.
"""

from __future__ import annotations

from synergy_stats.simulate.example import load_example, simulate_example
from synergy_stats.simulate.panel import (
    MeasurementParameters,
    PanelDGP,
    draw_measurement,
    simulate_item_responses,
    simulate_latent_panel,
)

__all__ = [
    "MeasurementParameters",
    "PanelDGP",
    "draw_measurement",
    "load_example",
    "simulate_example",
    "simulate_item_responses",
    "simulate_latent_panel",
]
