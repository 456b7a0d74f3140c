"""Figures: path and cross-lag diagrams, item distributions and diagnostics (matplotlib).

Every function returns a :class:`matplotlib.figure.Figure`, takes ``lang="en"|"zh"`` and
gives the same image for the same input; :func:`save_figure` writes PNG (300 dpi), PDF and
SVG. matplotlib is imported on the first call, not with the package.
"""

from __future__ import annotations

from synergy_stats.figures._base import cjk_font, save_figure, set_cjk_font
from synergy_stats.figures.diagnostics import (
    plot_bootstrap,
    plot_coefficients,
    plot_invariance,
    plot_matrix,
    plot_parallel,
)
from synergy_stats.figures.items import plot_likert
from synergy_stats.figures.panel import plot_riclpm
from synergy_stats.figures.path import plot_path

__all__ = [
    "cjk_font",
    "plot_bootstrap",
    "plot_coefficients",
    "plot_invariance",
    "plot_likert",
    "plot_matrix",
    "plot_parallel",
    "plot_path",
    "plot_riclpm",
    "save_figure",
    "set_cjk_font",
]
