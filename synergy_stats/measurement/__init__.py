"""Measurement quality: reliability, validity, factorability and exploratory factor analysis.

Numbers follow psych 2.2.9 (``alpha``, ``KMO``, ``cortest.bartlett``, ``fa``,
``fa.parallel``) and semTools 0.5-6 (``compRelSEM``, ``AVE``, ``htmt``, ``reliabilityL2``);
the CFA-based statistics (omega, AVE, standardized loadings, Fornell-Larcker) use the SEM
core, :func:`synergy_stats.cfa`.
"""

from __future__ import annotations

from synergy_stats.measurement.consistency import item_statistics, reliability
from synergy_stats.measurement.exploratory import (
    EFAResult,
    ParallelAnalysisResult,
    efa,
    parallel_analysis,
)
from synergy_stats.measurement.factorability import (
    BartlettResult,
    KMOResult,
    bartlett,
    kmo,
)
from synergy_stats.measurement.validity import cross_loadings, fornell_larcker, htmt

__all__ = [
    "BartlettResult",
    "EFAResult",
    "KMOResult",
    "ParallelAnalysisResult",
    "bartlett",
    "cross_loadings",
    "efa",
    "fornell_larcker",
    "htmt",
    "item_statistics",
    "kmo",
    "parallel_analysis",
    "reliability",
]
