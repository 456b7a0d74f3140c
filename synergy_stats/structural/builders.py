"""Model specifications built from a survey instrument.

:func:`measurement_model` writes the confirmatory factor model of an instrument's constructs
(first-order factors measured by items, second-order factors measured by factors) and
:func:`structural_model` adds the hypothesised structural paths, labelled by hypothesis,
and the chain indirect effect (for the synergy execution model: motivation -> mechanism ->
process -> results). Both return an immutable :class:`~synergy_stats.structural.spec.ModelSpec`
that :func:`synergy_stats.structural` fits and that prints as lavaan syntax.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

from synergy_stats._typing import check_arguments
from synergy_stats.errors import SpecificationError
from synergy_stats.structural.spec import DefinedParameter, ModelSpec, Modifier, Statement
from synergy_stats.structural.syntax import parse_model

if TYPE_CHECKING:  # pragma: no cover
    from synergy_stats.instrument import Instrument

__all__ = ["measurement_model", "structural_model"]

PathLike = tuple[str, str] | str


def _load(instrument: Instrument | str | os.PathLike[str]) -> Instrument:
    from synergy_stats.instrument import load_instrument

    return load_instrument(instrument)


def _as_names(value: str | Iterable[str], argument: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    try:
        names = list(value)
    except TypeError:
        raise SpecificationError(
            f"{argument}={value!r} is not accepted; give a construct id or a list of them"
        ) from None
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise SpecificationError(
            f"{argument} must contain construct ids (str); got {', '.join(map(repr, bad))}"
        )
    return names


def _check_known(inst: Instrument, names: Iterable[str], argument: str) -> None:
    unknown = list(dict.fromkeys(n for n in names if n not in inst.constructs))
    if unknown:
        raise SpecificationError(
            f"{argument} names unknown construct(s) {', '.join(map(repr, unknown))} of "
            f"instrument {inst.id!r}; known constructs: {', '.join(inst.constructs)}"
        )


def measurement_model(
    instrument: Instrument | str | os.PathLike[str],
    constructs: str | Iterable[str] | None = None,
    *,
    levels: int = 1,
) -> ModelSpec:
    """Build the measurement (confirmatory factor) model of an instrument's constructs.

    Parameters
    ----------
    instrument : Instrument, str or path-like
        An instrument, or a bundled name / codebook path for
        :func:`synergy_stats.instrument.load_instrument`.
    constructs : str or iterable of str, optional
        Construct ids to include, at any level. Default: every top-level construct
        (``instrument.top_level()``), which covers every first-order factor.
    levels : {1, 2}
        2 writes the two-level model (``level: 1`` and ``level: 2`` blocks, fitted with
        ``ss.cfa(model, data, cluster=...)``): factors ``<id>_w`` within and ``<id>_b``
        between, with the same loadings at both levels (cross-level invariance); see
        :func:`synergy_stats.multilevel.build.two_level_spec`.

    Returns
    -------
    ModelSpec
        First ``factor =~ item_1 + item_2 + ...`` for every first-order factor reached (in
        the order reached), then ``construct =~ factor_1 + ...`` for every ``second_order``
        construct. A ``correlated`` construct contributes only its components. Items enter
        under their item ids.

    Raises
    ------
    SpecificationError
        If ``constructs`` names a construct the instrument does not have (all unknown
        names are listed) or a factor has no items.
    InstrumentError
        If ``instrument`` is a name or path that cannot be loaded.

    Notes
    -----
    Only the relations are written; lavaan's defaults are added at fit time: the first
    loading of each factor fixed to 1, free residual variances, and free covariances among
    the exogenous latent variables, so the components of a ``correlated`` block (and the
    top-level constructs) covary freely in a CFA. A component listed under a selected
    construct and again on its own is written once. Reverse-keyed items enter as they are
    in the data; recode them before fitting if loadings should share a sign.

    References
    ----------
    Brown, T. A. (2015). *Confirmatory factor analysis for applied research* (2nd ed.),
    ch. 8 (higher-order factor models). Guilford.

    Examples
    --------
    The lavaan model it writes is fitted as ``lavaan::cfa(model, data)``:

    >>> spec = measurement_model("synergy-execution", ["motivation"])
    >>> print(spec.to_syntax())  # doctest: +NORMALIZE_WHITESPACE
    env_pressure =~ env_pressure_1 + env_pressure_2 + env_pressure_3
    leader_attention =~ leader_attention_1 + leader_attention_2 + leader_attention_3
    single_dept_difficulty =~ single_dept_difficulty_1 + single_dept_difficulty_2
        + single_dept_difficulty_3
    motivation =~ env_pressure + leader_attention + single_dept_difficulty
    """
    check_arguments(measurement_model, locals(), skip=("constructs",))
    inst = _load(instrument)
    wanted = inst.top_level() if constructs is None else _as_names(constructs, "constructs")
    _check_known(inst, wanted, "constructs")
    if not wanted:
        raise SpecificationError("constructs is empty; give at least one construct id")

    first_order: dict[str, None] = {}
    higher: dict[str, None] = {}

    def visit(cid: str, trail: tuple[str, ...]) -> None:
        if cid in trail:  # validated instruments have no cycles; guard anyway
            raise SpecificationError(
                f"construct {cid!r} contains itself: {' -> '.join((*trail, cid))}"
            )
        node = inst.constructs[cid]
        if node.kind == "factor":
            first_order.setdefault(cid, None)
            return
        _check_known(inst, node.components, f"the components of construct {cid!r}")
        for component in node.components:
            visit(component, (*trail, cid))
        if node.kind == "second_order":
            higher.setdefault(cid, None)

    for cid in wanted:
        visit(cid, ())

    statements: list[Statement] = []
    for fid in first_order:
        items = inst.items_of(fid)
        if not items:
            raise SpecificationError(f"factor {fid!r} of instrument {inst.id!r} has no items")
        statements.extend(Statement(fid, "=~", item) for item in items)
    for hid in higher:
        statements.extend(Statement(hid, "=~", c) for c in inst.constructs[hid].components)
    return _levels(ModelSpec(statements=tuple(statements)), levels)


def _levels(spec: ModelSpec, levels: int) -> ModelSpec:
    if levels == 1:
        return spec
    if levels != 2:
        raise SpecificationError(f"levels={levels!r} is not accepted; use 1 or 2")
    from synergy_stats.multilevel.build import two_level_spec

    return two_level_spec(spec)


def _parse_paths(
    paths: Sequence[PathLike] | PathLike, inst: Instrument
) -> list[tuple[str, str, Modifier]]:
    entries: list[object]
    if isinstance(paths, str):
        entries = [paths]
    elif (
        isinstance(paths, tuple)
        and len(paths) == 2
        and all(isinstance(p, str) and "~" not in p for p in paths)
    ):
        entries = [paths]  # one (source, target) pair
    elif isinstance(paths, Iterable):
        entries = list(paths)
    else:
        raise SpecificationError(
            f"paths={paths!r} is not accepted; give a list of (source, target) pairs or "
            "'target ~ source' strings"
        )
    out: list[tuple[str, str, Modifier]] = []
    for path in entries:
        if isinstance(path, str):
            spec = parse_model(path)
            bad = [s for s in spec.statements if s.op != "~"]
            if bad or spec.defined or spec.constraints:
                raise SpecificationError(
                    f"paths entry {path!r} is not accepted; write regressions only, as "
                    "'target ~ source' (or give a (source, target) pair)"
                )
            out.extend((s.rhs, s.lhs, s.modifier) for s in spec.statements)
        elif (
            isinstance(path, Sequence) and len(path) == 2 and all(isinstance(p, str) for p in path)
        ):
            out.append((path[0], path[1], Modifier()))
        else:
            raise SpecificationError(
                f"paths entry {path!r} is not accepted; give a (source, target) pair of "
                "construct ids or a string 'target ~ source'"
            )
    if not out:
        raise SpecificationError("paths is empty; give at least one (source, target) path")
    _check_known(inst, [n for s, t, _ in out for n in (s, t)], "paths")
    seen: set[tuple[str, str]] = set()
    for source, target, _ in out:
        if source == target:
            raise SpecificationError(f"path {source!r} -> {target!r} points to itself")
        if (source, target) in seen:
            raise SpecificationError(f"path {source!r} -> {target!r} is given twice")
        seen.add((source, target))
    return out


def _nodes(inst: Instrument, cid: str) -> list[str]:
    """The variables standing for a construct in a path: its components if correlated."""
    node = inst.constructs[cid]
    return list(node.components) if node.kind == "correlated" else [cid]


def structural_model(
    instrument: Instrument | str | os.PathLike[str],
    *,
    paths: Sequence[PathLike] | PathLike | None = None,
    measurement: bool = True,
    indirect: bool | Sequence[str] = True,
    levels: int = 1,
) -> ModelSpec:
    r"""Build the structural equation model of an instrument's hypotheses.

    Parameters
    ----------
    instrument : Instrument, str or path-like
        An instrument, or a bundled name / codebook path.
    paths : sequence of (source, target) or str, optional
        Structural paths replacing the instrument's hypotheses: ``(source, target)`` pairs
        of construct ids, or lavaan strings ``"target ~ source"`` (several sources with
        ``+``; a label as in ``"target ~ b*source"`` is kept). Default: one path per
        hypothesis.
    measurement : bool, default True
        Include the measurement model (:func:`measurement_model`) of every construct on a
        path. With False only the regressions are written (for example for composite
        scores named by construct id).
    indirect : bool or sequence of str, default True
        Add the chain indirect effect. True: the chain of the instrument's top-level
        constructs in file order (motivation -> mechanism -> process -> results), added
        when every link of it is a path. A sequence of construct ids gives the chain
        explicitly; each of its links must then be a path. False: none.
    levels : {1, 2}
        2 writes the two-level synergy model: the within level has the individual paths
        (labels ``<label>_w``), the between level the department-level paths on the
        department-level factors (``<label>_b``), loadings equal across levels, each
        indirect effect once per level.

    Returns
    -------
    ModelSpec
        The measurement statements, then ``target ~ label*source`` regressions grouped by
        target, then ``indirect := ...`` definitions.

    Raises
    ------
    SpecificationError
        If a path or the chain names an unknown construct (all are listed), a path is
        given twice or points to itself, a ``paths`` entry is not a pair or a regression
        string, or an explicit chain has a link that is not a path.
    InstrumentError
        If ``instrument`` is a name or path that cannot be loaded.

    Notes
    -----
    Path labels: a hypothesis path is labelled by the hypothesis id in lower case (``h1``,
    ``h2``, ...); a user path that matches a hypothesis gets that label, another one
    ``p_<source>_<target>``, unless the string gave a label. A ``correlated`` construct
    (the synergy results: synergy effect and implementation gap) has no factor of its own,
    so a path into it becomes one path into each component, labelled
    ``<label>_<component>`` (``h3_synergy_effect``); a path out of it likewise. Their
    residual covariance is free by lavaan's default for dependent variables that predict
    nothing (``auto.cov.y``).

    The chain indirect effect is the product of the path coefficients along the chain,

    .. math:: \text{indirect} = \prod_{k=1}^{K-1} \beta_{c_{k+1} \leftarrow c_k},

    summed over the components of a correlated construct inside the chain; a correlated
    construct at an end of the chain gives one effect per component
    (``indirect_synergy_effect``, ``indirect_implementation_gap``).

    References
    ----------
    Hayes, A. F. (2018). *Introduction to mediation, moderation, and conditional process
    analysis* (2nd ed.), ch. 5 (serial mediation). Guilford.

    Examples
    --------
    The lavaan equivalent is ``lavaan::sem(model, data)`` with the syntax printed here:

    >>> spec = structural_model("synergy-execution", measurement=False)
    >>> print(spec.to_syntax())
    mechanism ~ h1*motivation
    process ~ h2*mechanism + h4*motivation
    synergy_effect ~ h3_synergy_effect*process + h5_synergy_effect*mechanism
    implementation_gap ~ h3_implementation_gap*process + h5_implementation_gap*mechanism
    indirect_synergy_effect := h1*h2*h3_synergy_effect
    indirect_implementation_gap := h1*h2*h3_implementation_gap
    """
    check_arguments(structural_model, locals(), skip=("measurement", "paths"))
    inst = _load(instrument)
    if not isinstance(measurement, bool):
        raise SpecificationError(f"measurement={measurement!r} is not accepted; use True or False")
    hypothesis_label = {(h.source, h.target): h.id.lower() for h in inst.hypotheses}

    if paths is None:
        if not inst.hypotheses:
            raise SpecificationError(
                f"instrument {inst.id!r} has no hypotheses; pass paths=[(source, target), ...]"
            )
        _check_known(inst, [n for h in inst.hypotheses for n in (h.source, h.target)], "paths")
        given = [(h.source, h.target, Modifier()) for h in inst.hypotheses]
    else:
        given = _parse_paths(paths, inst)

    # construct-level labels, then node-level regressions
    regressions: dict[str, list[Statement]] = {}
    node_label: dict[tuple[str, str], str] = {}
    for source, target, modifier in given:
        own = [lab for lab in modifier.labels if lab]
        base = own[0] if own else hypothesis_label.get((source, target), f"p_{source}_{target}")
        sources, targets = _nodes(inst, source), _nodes(inst, target)
        for t in targets:
            for s in sources:
                label = base
                if len(targets) > 1:
                    label += f"_{t}"
                if len(sources) > 1:
                    label += f"_{s}"
                if own:
                    labels: tuple[str | None, ...] = (
                        modifier.labels if len(sources) * len(targets) == 1 else (label,)
                    )
                else:
                    labels = (label,)
                if s == t:
                    raise SpecificationError(
                        f"path {source!r} -> {target!r} regresses {s!r} on itself"
                    )
                if (s, t) in node_label:
                    raise SpecificationError(
                        f"path {source!r} -> {target!r} repeats the regression {t} ~ {s} "
                        "of another path"
                    )
                stmt = Statement(t, "~", s, Modifier(modifier.fixed, labels, modifier.starts))
                regressions.setdefault(t, []).append(stmt)
                node_label[(s, t)] = label

    defined = _indirect_effects(inst, indirect, node_label, [(s, t) for s, t, _ in given])

    statements: list[Statement] = []
    if measurement:
        involved = {n for s, t, _ in given for n in (s, t)}
        ordered = [cid for cid in inst.constructs if cid in involved]
        statements.extend(measurement_model(inst, ordered).statements)
    for group in regressions.values():
        statements.extend(group)
    return _levels(ModelSpec(statements=tuple(statements), defined=tuple(defined)), levels)


def _indirect_effects(
    inst: Instrument,
    indirect: bool | Sequence[str],
    node_label: Mapping[tuple[str, str], str],
    construct_paths: Sequence[tuple[str, str]],
) -> list[DefinedParameter]:
    if indirect is False:
        return []
    if indirect is True:
        chain = inst.top_level()
        explicit = False
    elif isinstance(indirect, str) or not isinstance(indirect, Sequence):
        raise SpecificationError(
            f"indirect={indirect!r} is not accepted; use True, False or a sequence of "
            "construct ids such as ['motivation', 'mechanism', 'process', 'results']"
        )
    else:
        chain = list(indirect)
        explicit = True
        bad = [c for c in chain if not isinstance(c, str)]
        if bad:
            raise SpecificationError(f"indirect must list construct ids; got {bad!r}")
        _check_known(inst, chain, "indirect")
        if len(chain) < 3:
            raise SpecificationError(
                f"indirect={chain!r} is not accepted; a chain needs at least 3 constructs "
                "(source, mediator(s), outcome)"
            )
    links = set(construct_paths)
    missing = [(a, b) for a, b in pairwise(chain) if (a, b) not in links]
    if len(chain) < 3 or missing:
        if explicit:
            shown = ", ".join(f"{a} -> {b}" for a, b in missing)
            raise SpecificationError(
                f"indirect chain {' -> '.join(chain)} needs the path(s) {shown}, which are "
                "not in the model"
            )
        return []

    # every route through the node-level graph, summed over inner correlated components
    starts, ends = _nodes(inst, chain[0]), _nodes(inst, chain[-1])
    out: list[DefinedParameter] = []
    for end in ends:
        for start in starts:
            routes: list[list[str]] = [[start]]
            for cid in [*chain[1:-1], None]:
                layer = [end] if cid is None else _nodes(inst, cid)
                routes = [[*r, n] for r in routes for n in layer]
            terms = []
            for route in routes:
                labels = [node_label[(a, b)] for a, b in pairwise(route)]
                terms.append("*".join(labels))
            name = "indirect"
            if len(starts) > 1:
                name += f"_{start}"
            if len(ends) > 1:
                name += f"_{end}"
            out.append(DefinedParameter(name, " + ".join(terms)))
    return out
