"""Structural equation models: specification, estimation, results.

Layers, from the outside in: :mod:`~synergy_stats.sem.api` (``sem``, ``cfa``) ->
:mod:`~synergy_stats.sem.results` (the immutable :class:`SEMResult`) ->
:mod:`~synergy_stats.sem.fit` (fit indices), :mod:`~synergy_stats.sem.inference` (standard
errors, scaled tests) -> :mod:`~synergy_stats.sem.estimate` (discrepancy, optimiser) ->
:mod:`~synergy_stats.sem.model` (RAM matrices) -> :mod:`~synergy_stats.sem.partable`
(defaults) -> :mod:`~synergy_stats.sem.spec` / :mod:`~synergy_stats.sem.syntax`.
semopy is used only in :mod:`~synergy_stats.sem.semopy_adapter`.
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
    "ModelSpec": "synergy_stats.sem.spec",
    "SEMResult": "synergy_stats.sem.results",
    "cfa": "synergy_stats.sem.api",
    "sem": "synergy_stats.sem.api",
    "parse_model": "synergy_stats.sem.syntax",
    "measurement_model": "synergy_stats.sem.builders",
    "structural_model": "synergy_stats.sem.builders",
}


def __getattr__(name: str) -> Any:
    import importlib

    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synergy_stats.sem' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
