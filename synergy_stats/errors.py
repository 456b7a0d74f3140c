"""The exception and warning hierarchy of synergy_stats.

Every error the package raises on purpose derives from :class:`SynergyError`, so an analysis
script can catch the package's own complaints with one ``except`` clause. Messages name the
argument, the offending value and what would have been accepted.
"""

from __future__ import annotations

__all__ = [
    "ClusterError",
    "ClusterWarning",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataValidationError",
    "DroppedDataWarning",
    "EstimationError",
    "HeywoodWarning",
    "IdentificationError",
    "InstrumentError",
    "InstrumentWarning",
    "ModelSyntaxError",
    "OptionError",
    "RenderError",
    "SpecificationError",
    "SynergyError",
    "SynergyWarning",
]


class SynergyError(Exception):
    """Root of every error raised on purpose by synergy_stats."""


class OptionError(SynergyError, ValueError):
    """An argument has a value outside the accepted set or range."""


class InstrumentError(SynergyError):
    """An instrument (codebook) file is malformed or inconsistent."""


class DataValidationError(SynergyError, ValueError):
    """Survey or analysis data do not fit what the call needs."""


class ClusterError(DataValidationError):
    """A cluster column cannot be used (absent, missing ids, too few clusters)."""


class SpecificationError(SynergyError):
    """A model specification refers to unknown variables or is otherwise unusable."""


class ModelSyntaxError(SpecificationError):
    """lavaan-style model syntax could not be parsed; the message gives line and column."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        self.line = line
        self.column = column
        where = ""
        if line is not None:
            where = f" (line {line}" + (f", column {column}" if column is not None else "") + ")"
        super().__init__(f"{message}{where}")


class IdentificationError(SpecificationError):
    """A model is not identified (negative degrees of freedom, a latent with no scale, ...)."""


class EstimationError(SynergyError):
    """Estimation could not be carried out."""


class ConvergenceError(EstimationError):
    """The optimiser did not reach an admissible optimum, even after restarts."""


class RenderError(SynergyError):
    """A table could not be rendered or written."""


class SynergyWarning(UserWarning):
    """Root of the package's warnings."""


class InstrumentWarning(SynergyWarning):
    """An instrument is usable but questionable (for example a factor with two items)."""


class DroppedDataWarning(SynergyWarning):
    """Rows or draws were left out of a computation; the message says how many and why."""


class HeywoodWarning(SynergyWarning):
    """An improper solution: a negative variance or a standardized value above 1."""


class ConvergenceWarning(SynergyWarning):
    """The optimiser needed restarts or ended close to, but not at, its tolerance."""


class ClusterWarning(SynergyWarning):
    """Clusters are usable but weak: singletons, few clusters, parameters near their count."""
