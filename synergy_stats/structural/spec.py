"""Immutable model specifications: what a lavaan-syntax model says, holding no data.

A :class:`ModelSpec` is a tuple of :class:`Statement` objects (one per left-hand side,
operator and right-hand-side term), the defined parameters (``:=``) and explicit constraints
(``==``, ``<``, ``>``). It is produced by
:func:`synergy_stats.structural.syntax.parse_model` or by the
builders in :mod:`synergy_stats.structural.builders`, and printed back as lavaan syntax by
:meth:`ModelSpec.to_syntax`. Defaults (first loading fixed to 1, residual variances, ...) are
*not* part of the specification; the parameter table adds them at fit time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Constraint", "DefinedParameter", "ModelSpec", "Modifier", "Operator", "Statement"]

Operator = Literal["=~", "~", "~~", "~1"]


@dataclass(frozen=True)
class Modifier:
    """Pre-multipliers of one right-hand-side term, one entry per group.

    A single entry applies to every group. ``None`` inside ``fixed`` means ``NA`` (free).

    Attributes
    ----------
    fixed : tuple of float or None
        ``1*x`` gives ``(1.0,)``; ``c(1, NA)*x`` gives ``(1.0, None)``; empty when not fixed.
    labels : tuple of str or None
        ``a*x`` gives ``("a",)``; ``c(a1, a2)*x`` gives ``("a1", "a2")``.
    starts : tuple of float or None
        ``start(0.5)*x`` gives ``(0.5,)``.
    """

    fixed: tuple[float | None, ...] = ()
    labels: tuple[str | None, ...] = ()
    starts: tuple[float | None, ...] = ()

    def is_empty(self) -> bool:
        """Return True when the term carries no modifier at all."""
        return not (self.fixed or self.labels or self.starts)


@dataclass(frozen=True)
class Statement:
    """One ``lhs op rhs`` relation of a model.

    For ``op == "~1"`` (an intercept or mean) ``rhs`` is the empty string.
    ``line`` is the 1-based source line (0 when built programmatically). ``level`` is 0 in
    a single-level model, else 1 (within) or 2 (between): the ``level:`` block it sits in.
    """

    lhs: str
    op: Operator
    rhs: str
    modifier: Modifier = field(default_factory=Modifier)
    line: int = 0
    level: int = 0


@dataclass(frozen=True)
class DefinedParameter:
    """A defined parameter ``name := expression``, the expression in terms of labels."""

    name: str
    expression: str
    line: int = 0


@dataclass(frozen=True)
class Constraint:
    """An explicit constraint ``lhs op rhs`` with op one of ``==``, ``<``, ``>``."""

    lhs: str
    op: Literal["==", "<", ">"]
    rhs: str
    line: int = 0


@dataclass(frozen=True)
class ModelSpec:
    """An immutable model specification (no data, no defaults).

    Attributes
    ----------
    statements : tuple of Statement
        Relations in the order written.
    defined : tuple of DefinedParameter
        ``:=`` definitions in the order written.
    constraints : tuple of Constraint
        Explicit equality/inequality constraints.
    """

    statements: tuple[Statement, ...] = ()
    defined: tuple[DefinedParameter, ...] = ()
    constraints: tuple[Constraint, ...] = ()

    @property
    def latent_variables(self) -> tuple[str, ...]:
        """Names on the left of ``=~``, in order of first appearance."""
        seen: dict[str, None] = {}
        for s in self.statements:
            if s.op == "=~":
                seen.setdefault(s.lhs, None)
        return tuple(seen)

    @property
    def observed_variables(self) -> tuple[str, ...]:
        """Every variable name that is not latent, in order of first appearance."""
        latent = set(self.latent_variables)
        seen: dict[str, None] = {}
        for s in self.statements:
            for name in (s.rhs, s.lhs) if s.op == "=~" else (s.lhs, s.rhs):
                if name and name not in latent:
                    seen.setdefault(name, None)
        return tuple(seen)

    @property
    def labels(self) -> tuple[str, ...]:
        """Every parameter label used, in order of first appearance."""
        seen: dict[str, None] = {}
        for s in self.statements:
            for lab in s.modifier.labels:
                if lab:
                    seen.setdefault(lab, None)
        return tuple(seen)

    def to_syntax(self) -> str:
        """Print the specification back as lavaan model syntax.

        Implemented in :mod:`synergy_stats.structural.syntax`; parsing the output gives an equal
        specification (up to ``line`` numbers).
        """
        from synergy_stats.structural.syntax import format_model

        return format_model(self)

    def __str__(self) -> str:
        return self.to_syntax()
