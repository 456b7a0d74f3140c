"""Two-level versions of single-level model specifications (the synergy model by level)."""

from __future__ import annotations

import re
from collections.abc import Callable

from synergy_stats.structural.spec import DefinedParameter, ModelSpec, Modifier, Statement

__all__ = ["two_level_spec"]


def _suffixer(suffix: str) -> Callable[[re.Match[str]], str]:
    def sub(m: re.Match[str]) -> str:
        return m.group(1) + suffix

    return sub


def two_level_spec(spec: ModelSpec, *, equal_loadings: bool = True) -> ModelSpec:
    """Write a single-level specification as a two-level one.

    Parameters
    ----------
    spec : ModelSpec
        A single-level model (no ``level`` blocks).
    equal_loadings : bool
        Label every free loading the same at both levels (cross-level invariance, the
        default), so that within and between factors share their metric.

    Returns
    -------
    ModelSpec
        ``level: 1`` with every latent variable renamed ``<name>_w`` and every label
        ``<label>_w``; ``level: 2`` the same with ``_b``; loadings labelled
        ``lam_<indicator>`` at both levels when ``equal_loadings``; each ``:=``
        definition once per level (``<name>_w``, ``<name>_b``).

    Examples
    --------
    The lavaan syntax of a two-level synergy model:

    >>> spec = parse_model("f =~ a + b + c; y ~ h1*f")  # doctest: +SKIP
    >>> print(two_level_spec(spec).to_syntax())  # doctest: +SKIP
    """
    latent = set(spec.latent_variables)
    labels = set(spec.labels)
    first: dict[str, str] = {}
    for s in spec.statements:
        if s.op == "=~":
            first.setdefault(s.lhs, s.rhs)
    out: list[Statement] = []
    for level, suffix in ((1, "_w"), (2, "_b")):

        def rename(name: str, suffix: str = suffix) -> str:
            return name + suffix if name in latent else name

        for s in spec.statements:
            mod = s.modifier
            labs = tuple((lab + suffix) if lab else lab for lab in mod.labels)
            if (
                equal_loadings
                and s.op == "=~"
                and not mod.fixed
                and not mod.labels
                and first.get(s.lhs) != s.rhs
            ):
                labs = (f"lam_{s.rhs}",)
            out.append(
                Statement(
                    rename(s.lhs),
                    s.op,
                    rename(s.rhs) if s.rhs else s.rhs,
                    Modifier(mod.fixed, labs, mod.starts),
                    level=level,
                )
            )
    defined: list[DefinedParameter] = []
    names = labels | {d.name for d in spec.defined}
    pattern = (
        re.compile(r"\b(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")\b")
        if names
        else None
    )
    for suffix in ("_w", "_b"):
        for d in spec.defined:
            expr = d.expression
            if pattern is not None:
                expr = pattern.sub(_suffixer(suffix), expr)
            defined.append(DefinedParameter(d.name + suffix, expr))
    return ModelSpec(tuple(out), tuple(defined), ())
