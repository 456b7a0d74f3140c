"""The longitudinal CFA: one copy of a measurement model per wave, equalities by labels.

Given a measurement model written for one wave (``visual =~ x1 + x2 + x3``) and the number
of waves, :func:`longitudinal_cfa` writes the wide-data model used to test invariance across
waves (Meredith 1993; Widaman, Ferrer & Conger 2010):

* every statement is repeated at each wave ``k`` with every variable renamed
  ``<name><sep><k>`` (``x1_w2``, ``visual_w2``); the marker loading of each factor is fixed to
  1 at every wave, factors at all waves covary freely;
* each indicator's residuals are correlated across all pairs of waves;
* ``metric``: each loading carries one label at every wave (``lam_x2``), so it is equal over
  time;
* ``scalar``: each indicator intercept carries one label (``nu_x2``) and the means of the
  factors are free from the second wave on (fixed to 0 at the first);
* ``strict``: each residual variance carries one label (``th_x2``).

Freeing a constraint (partial invariance) drops its label, so the parameter is estimated at
every wave.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

from synergy_stats.errors import SpecificationError
from synergy_stats.panel.reshape import DEFAULT_SEP, wave_column
from synergy_stats.structural.spec import ModelSpec, Modifier, Statement

__all__ = ["LEVELS", "Level", "LongitudinalModel", "longitudinal_cfa"]

Level = Literal["configural", "metric", "scalar", "strict"]
LEVELS: tuple[str, ...] = ("configural", "metric", "scalar", "strict")

#: Parameter kind constrained at each level (lavaan's ``group.equal`` names).
KIND_OF_LEVEL: dict[str, str] = {
    "metric": "loadings",
    "scalar": "intercepts",
    "strict": "residuals",
}


@dataclass(frozen=True)
class LongitudinalModel:
    """A longitudinal CFA and the meaning of its equality labels.

    Attributes
    ----------
    spec : ModelSpec
        The wide-data model.
    labels : dict
        ``label -> (kind, relation)``: kind is ``loadings``, ``intercepts`` or
        ``residuals``; relation is the one-wave relation it constrains (``"visual =~ x2"``,
        ``"x2 ~ 1"``, ``"x2 ~~ x2"``).
    indicators : dict
        ``factor -> items`` of the one-wave model (observed indicators only).
    """

    spec: ModelSpec
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    indicators: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _level_index(level: str) -> int:
    if level not in LEVELS:
        raise SpecificationError(f"level={level!r} is not one of {list(LEVELS)}")
    return LEVELS.index(level)


def _unique_label(base: str, used: set[str]) -> str:
    lab = base
    k = 2
    while lab in used:
        lab = f"{base}_{k}"
        k += 1
    used.add(lab)
    return lab


def longitudinal_cfa(
    spec: ModelSpec,
    n_waves: int,
    *,
    level: Level = "configural",
    free: Collection[str] = (),
    sep: str = DEFAULT_SEP,
) -> LongitudinalModel:
    """Write the longitudinal CFA of a one-wave measurement model.

    Parameters
    ----------
    spec : ModelSpec
        The measurement model of one wave, in terms of the long-data column names.
    n_waves : int
        Number of waves (at least 2).
    level : {"configural", "metric", "scalar", "strict"}
        Invariance level; each level includes the constraints of the ones before it.
    free : collection of str
        One-wave relations exempt from the equality constraints (partial invariance),
        written ``"f =~ x2"``, ``"x2 ~ 1"`` or ``"x2 ~~ x2"``.
    sep : str
        Separator of the wide column names (``x2_w1``).

    Returns
    -------
    LongitudinalModel

    Raises
    ------
    SpecificationError
        ``spec`` has ``:=`` or explicit constraints, or no factor with observed indicators.

    Examples
    --------
    Equivalent to semTools' ``measEq.syntax(..., longFacNames = ..., ID.fac = "marker",
    long.equal = c("loadings", "intercepts"), auto = "all")``:

    >>> lm = longitudinal_cfa(parse_model("f =~ x1 + x2 + x3"), 3, level="scalar")  # doctest: +SKIP
    """
    if n_waves < 2:
        raise SpecificationError(f"n_waves={n_waves} must be at least 2 for a longitudinal CFA")
    if spec.defined or spec.constraints:
        raise SpecificationError(
            "a longitudinal CFA is written from a measurement model without ':=' definitions "
            "or explicit constraints; remove them from the one-wave model"
        )
    li = _level_index(level)
    latent = set(spec.latent_variables)
    observed = list(spec.observed_variables)
    indicators: dict[str, list[str]] = {}
    for s in spec.statements:
        if s.op == "=~" and s.rhs not in latent:
            indicators.setdefault(s.lhs, []).append(s.rhs)
    if not indicators:
        raise SpecificationError(
            "the model has no factor measured by observed items (no 'f =~ x' statement)"
        )
    items = list(dict.fromkeys(v for vs in indicators.values() for v in vs))
    regressed = {s.lhs for s in spec.statements if s.op == "~"}
    indicator_latent = {s.rhs for s in spec.statements if s.op == "=~" and s.rhs in latent}
    exogenous_latent = [
        f for f in spec.latent_variables if f not in regressed and f not in indicator_latent
    ]
    freed = {_norm(r) for r in free}
    used: set[str] = set(spec.labels)
    labels: dict[str, tuple[str, str]] = {}
    loading_label: dict[tuple[str, str], str] = {}
    item_loads = {v: sum(v in vs for vs in indicators.values()) for v in items}

    # marker (first) loading of each factor: fixed by the defaults, never labelled
    marker: dict[str, str] = {}
    for s in spec.statements:
        if s.op == "=~":
            marker.setdefault(s.lhs, s.rhs)

    if li >= 1:
        for s in spec.statements:
            if s.op != "=~" or s.modifier.fixed or marker[s.lhs] == s.rhs:
                continue
            rel = f"{s.lhs} =~ {s.rhs}"
            if _norm(rel) in freed:
                continue
            base = f"lam_{s.rhs}" if item_loads.get(s.rhs, 1) == 1 else f"lam_{s.lhs}_{s.rhs}"
            lab = _unique_label(base, used)
            loading_label[(s.lhs, s.rhs)] = lab
            labels[lab] = ("loadings", rel)

    def rename(name: str, k: int) -> str:
        return wave_column(name, k, sep) if name else name

    statements: list[Statement] = []
    for k in range(1, n_waves + 1):
        for s in spec.statements:
            mod = s.modifier
            if mod.labels:
                mod = Modifier(
                    fixed=mod.fixed,
                    labels=tuple(f"{lab}{sep}{k}" if lab else lab for lab in mod.labels),
                    starts=mod.starts,
                )
            if s.op == "=~" and (s.lhs, s.rhs) in loading_label:
                mod = Modifier(labels=(loading_label[(s.lhs, s.rhs)],), starts=mod.starts)
            statements.append(Statement(rename(s.lhs, k), s.op, rename(s.rhs, k), mod))
    # each indicator's residuals correlated across all pairs of waves
    for v in items:
        for k in range(1, n_waves + 1):
            for u in range(k + 1, n_waves + 1):
                statements.append(Statement(rename(v, k), "~~", rename(v, u)))
    if li >= 2:
        for v in items:
            rel = f"{v} ~ 1"
            nu = None if _norm(rel) in freed else _unique_label(f"nu_{v}", used)
            if nu is not None:
                labels[nu] = ("intercepts", rel)
            for k in range(1, n_waves + 1):
                mod = Modifier(labels=(nu,)) if nu else Modifier()
                statements.append(Statement(rename(v, k), "~1", "", mod))
        for f in exogenous_latent:
            for k in range(2, n_waves + 1):
                statements.append(Statement(rename(f, k), "~1", ""))
    if li >= 3:
        for v in items:
            rel = f"{v} ~~ {v}"
            if _norm(rel) in freed:
                continue
            lab = _unique_label(f"th_{v}", used)
            labels[lab] = ("residuals", rel)
            for k in range(1, n_waves + 1):
                statements.append(
                    Statement(rename(v, k), "~~", rename(v, k), Modifier(labels=(lab,)))
                )
    del observed
    return LongitudinalModel(
        ModelSpec(tuple(statements)),
        labels,
        {f: tuple(vs) for f, vs in indicators.items()},
    )


def _norm(relation: str) -> str:
    """Normalise a relation string for comparison (spaces removed, ``~~`` sides sorted)."""
    t = relation.replace(" ", "")
    for op in ("=~", "~~", "~1", "~"):
        if op in t:
            lhs, _, rhs = t.partition(op)
            if op == "~" and rhs == "1":
                return lhs + "~1"
            if op == "~~" and rhs < lhs:
                lhs, rhs = rhs, lhs
            return lhs + op + rhs
    raise SpecificationError(
        f"{relation!r} is not a relation such as 'f =~ x2', 'x2 ~ 1' or 'x2 ~~ x2'"
    )
