"""synergy_stats.tables: one table model, four renderers (LaTeX, Word, HTML, Markdown).

Build tables with :func:`regression_table`, the survey tables (:func:`correlation_table`,
:func:`item_table`) or the SEM table builders (:func:`fit_table`,
:func:`paths_table`, :func:`measurement_table`, :func:`discriminant_table`,
:func:`indirect_table`, :func:`invariance_table`, :func:`lags_table`), then call
``.to_latex()``, ``.to_docx(path)``, ``.to_html()``, ``.to_markdown()`` or ``.save(path)``.
"""

from __future__ import annotations

from synergy_stats.tables.method_bias import method_bias_table
from synergy_stats.tables.model import Cell, Notes, Panel, Row, Table, plain_table
from synergy_stats.tables.regression import regression_table
from synergy_stats.tables.sem import (
    discriminant_table,
    fit_table,
    indirect_table,
    invariance_table,
    lags_table,
    measurement_table,
    paths_table,
)
from synergy_stats.tables.style import (
    STYLE_DEFINITIONS,
    Style,
    get_style,
    load_style,
    style_from_dict,
)
from synergy_stats.tables.survey import correlation_table, item_table

__all__ = [
    "STYLE_DEFINITIONS",
    "Cell",
    "Notes",
    "Panel",
    "Row",
    "Style",
    "Table",
    "correlation_table",
    "discriminant_table",
    "fit_table",
    "get_style",
    "indirect_table",
    "invariance_table",
    "item_table",
    "lags_table",
    "load_style",
    "measurement_table",
    "method_bias_table",
    "paths_table",
    "plain_table",
    "regression_table",
    "style_from_dict",
]
