"""Simulated data: the bundled example survey and the panel data-generating process.

* :func:`simulate_example` / :func:`load_example`: the three-wave street-government example;
* :mod:`synergy_stats.simulate.panel`: the latent panel process of the synergy execution
  model and the item-response layer, reusable for power analysis.
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
