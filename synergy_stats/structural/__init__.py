"""Structural equation models: specification, estimation, results.

Layers, from the outside in: :mod:`~synergy_stats.structural.api` (``sem``, ``cfa``) ->
:mod:`~synergy_stats.structural.results` (the immutable :class:`SEMResult`) ->
:mod:`~synergy_stats.structural.fit` (fit indices),
:mod:`~synergy_stats.structural.inference` (standard
errors, scaled tests) -> :mod:`~synergy_stats.structural.estimate` (discrepancy, optimiser) ->
:mod:`~synergy_stats.structural.model` (RAM matrices) -> :mod:`~synergy_stats.structural.partable`
(defaults) -> :mod:`~synergy_stats.structural.spec` / :mod:`~synergy_stats.structural.syntax`.
semopy is used only in :mod:`~synergy_stats.structural.semopy_adapter`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ModelSpec",
    "SEMResult",
    "cfa",
    "measurement_model",
    "parse_model",
    "sem",
    "structural_model",
]

_LAZY = {
    "ModelSpec": "synergy_stats.structural.spec",
    "SEMResult": "synergy_stats.structural.results",
    "cfa": "synergy_stats.structural.api",
    "sem": "synergy_stats.structural.api",
    "parse_model": "synergy_stats.structural.syntax",
    "measurement_model": "synergy_stats.structural.builders",
    "structural_model": "synergy_stats.structural.builders",
}


def __getattr__(name: str) -> Any:
    import importlib

    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synergy_stats.structural' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
