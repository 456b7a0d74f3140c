"""The parameter table: a specification plus lavaan's defaults, one row per parameter.

:func:`build_partable` turns a :class:`~synergy_stats.structural.spec.ModelSpec` into a
:class:`ParTable`: every user statement, plus the parameters lavaan adds by default for
``sem()``/``cfa()`` (``auto=True``) or only intercepts for an explicit ``lavaan()``-style
model (``auto=False``). Equality through shared labels and ``group_equal`` constraints give
rows the same free-parameter index, so the number of free parameters is the number of
distinct indices, as lavaan's ``npar``.

The defaults follow lavaan 0.6 (``lav_partable_flat``):

* the first indicator's loading of each latent variable is fixed to 1 (unless ``std_lv``,
  then latent variances are fixed to 1 and every loading is free);
* residual variances of every endogenous observed variable and variances of every latent
  variable are free;
* covariances among exogenous latent variables are free;
* residual covariances among dependent variables that predict nothing are free (``auto.cov.y``);
* exogenous observed covariates have their (co)variances and means fixed to the sample
  values (``fixed.x = TRUE``);
* with a mean structure, observed intercepts are free and latent means fixed to 0; with
  equal intercepts across groups, latent means are free in every group but the first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from synergy_stats._typing import check_option
from synergy_stats.errors import IdentificationError, SpecificationError
from synergy_stats.structural.spec import ModelSpec

__all__ = ["GroupEqual", "ParTable", "build_partable"]

GroupEqual = Literal[
    "loadings",
    "intercepts",
    "means",
    "residuals",
    "residual_covariances",
    "lv_variances",
    "lv_covariances",
    "regressions",
]


@dataclass(frozen=True)
class ParTable:
    """One row per model parameter (free or fixed), over all groups.

    Attributes
    ----------
    lhs, op, rhs : tuple of str
        The relation, lavaan style (``op`` in ``=~ ~ ~~ ~1``; ``rhs`` is ``""`` for ``~1``).
    group : numpy.ndarray
        1-based group number of each row.
    free : numpy.ndarray
        0 for a fixed parameter, else the 1-based index into the free-parameter vector.
        Rows sharing an index are constrained equal.
    value : numpy.ndarray
        The fixed value (fixed rows) or the user's start value (NaN when none).
    label : tuple of str
        User label ("" when none).
    user : numpy.ndarray
        True for rows written by the user, False for defaults.
    exo : numpy.ndarray
        True for (co)variances and means of exogenous covariates fixed at sample values.
    observed : tuple of tuple of str
        Observed variable names of each group, in model order.
    latent : tuple of str
        Latent variable names.
    """

    lhs: tuple[str, ...]
    op: tuple[str, ...]
    rhs: tuple[str, ...]
    group: np.ndarray
    free: np.ndarray
    value: np.ndarray
    label: tuple[str, ...]
    user: np.ndarray
    exo: np.ndarray
    observed: tuple[str, ...]
    latent: tuple[str, ...]
    n_groups: int
    meanstructure: bool
    exogenous_x: tuple[str, ...] = field(default=())

    @property
    def npar(self) -> int:
        """Number of distinct free parameters."""
        return int(self.free.max()) if len(self.free) else 0

    @property
    def n_moments(self) -> int:
        """Sample moments the model reproduces: (co)variances (+ means), fixed-x excluded."""
        p = len(self.observed)
        n_x = len(self.exogenous_x)
        per = p * (p + 1) // 2 + (p if self.meanstructure else 0)
        per -= n_x * (n_x + 1) // 2 + (n_x if self.meanstructure else 0)
        return per * self.n_groups

    @property
    def df(self) -> int:
        """Degrees of freedom of the model test: moments minus free parameters."""
        return self.n_moments - self.npar

    def __len__(self) -> int:
        return len(self.lhs)

    def rows(self, group: int | None = None) -> np.ndarray:
        """Row indices (of one group, or all)."""
        if group is None:
            return np.arange(len(self.lhs))
        return np.flatnonzero(self.group == group)

    def labels_to_free(self) -> dict[str, int]:
        """Map each user label to its free-parameter index (labels of fixed rows excluded)."""
        out: dict[str, int] = {}
        for lab, f in zip(self.label, self.free, strict=True):
            if lab and f > 0:
                out.setdefault(lab, int(f))
        return out

    def parameter_names(self) -> list[str]:
        """A readable name for each free parameter: its label or its first row's relation."""
        names: list[str] = [""] * self.npar
        for i in range(len(self)):
            f = int(self.free[i])
            if f > 0 and not names[f - 1]:
                base = self.label[i] or f"{self.lhs[i]}{self.op[i]}{self.rhs[i]}"
                if self.n_groups > 1 and not self.label[i]:
                    base += f".g{int(self.group[i])}"
                names[f - 1] = base
        return names


def _pick(values: tuple, g: int) -> object | None:
    """The group-``g`` (0-based) entry of a modifier tuple: one entry serves all groups."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return values[g]


def _key(lhs: str, op: str, rhs: str) -> tuple[str, str, str]:
    if op == "~~" and rhs < lhs:
        return (rhs, op, lhs)
    return (lhs, op, rhs)


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _apply_constraints(spec: ModelSpec, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Carry out the explicit ``==`` constraints; return the label aliases they imply.

    ``a == b`` (two labels) makes the two labels one free parameter (the returned alias
    maps every label to the first of its class); ``a == 0.5`` (a label and a number) fixes
    the labelled rows at that value. Both leave the estimates exactly as lavaan's
    equality constraints do, with one df per constraint. Any other constraint
    (an expression, an inequality, an unknown label) is refused, never ignored.
    """
    labels = {r["label"] for r in rows if r["label"]}
    parent: dict[str, str] = {}
    pinned: list[tuple[str, float, str]] = []

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for c in spec.constraints:
        text = f"{c.lhs} {c.op} {c.rhs}"
        lhs, rhs = c.lhs.strip(), c.rhs.strip()
        if c.op != "==":
            raise SpecificationError(
                f"constraint {text!r}: inequality constraints are not supported; fix the "
                "parameter or reparameterise the model"
            )
        sides = [lhs, rhs]
        nums = [bool(_NUMBER.match(x)) for x in sides]
        if all(nums):
            raise SpecificationError(f"constraint {text!r} has no parameter label")
        unknown = [x for x, isnum in zip(sides, nums, strict=True) if not isnum and x not in labels]
        if unknown:
            raise SpecificationError(
                f"constraint {text!r}: {unknown[0]!r} is not a label of a parameter; "
                "supported are 'label == label' and 'label == number' (label the "
                "parameters with a*x)"
            )
        if any(nums):
            label = rhs if nums[0] else lhs
            pinned.append((label, float(lhs if nums[0] else rhs), text))
            continue
        a, b = find(lhs), find(rhs)
        if a != b:
            parent[b] = a
    alias = {r["label"]: find(r["label"]) for r in rows if r["label"]}
    values: dict[str, tuple[float, str]] = {}
    for label, value, text in pinned:
        root = find(label)
        if root in values and values[root][0] != value:
            raise SpecificationError(
                f"constraints {values[root][1]!r} and {text!r} give one parameter two values"
            )
        values[root] = (value, text)
    for r in rows:
        if r["label"] and alias[r["label"]] in values:
            r["fixed"] = values[alias[r["label"]]][0]
    return alias


def build_partable(
    spec: ModelSpec,
    *,
    data_columns: Sequence[str] | None = None,
    n_groups: int = 1,
    meanstructure: bool = False,
    auto: bool = True,
    std_lv: bool = False,
    fixed_x: bool = True,
    group_equal: Sequence[str] = (),
    group_partial: Sequence[str] = (),
) -> ParTable:
    """Build the parameter table of a specification with lavaan's defaults.

    Parameters
    ----------
    spec : ModelSpec
        The parsed model.
    data_columns : sequence of str, optional
        Columns available in the data, used to tell an observed variable from an unknown
        name; every observed variable of the model must be among them.
    n_groups : int
        Number of groups; vector modifiers such as ``c(a1, a2)*x`` must have this length.
    meanstructure : bool
        Whether intercepts and means are modelled.
    auto : bool
        True for ``sem()``/``cfa()`` defaults; False for an explicit ``lavaan()`` model in
        which only observed intercepts (with a mean structure) are added.
    std_lv : bool
        Identify latent variables by fixing their variances to 1 instead of the first loading.
    fixed_x : bool
        Treat exogenous observed covariates as fixed (their moments at sample values).
    group_equal : sequence of str
        Parameter kinds constrained equal across groups.
    group_partial : sequence of str
        Relations (``"f =~ x2"``, ``"x1 ~1"``) exempt from ``group_equal``.

    Returns
    -------
    ParTable

    Raises
    ------
    SpecificationError
        An unknown variable, a vector modifier of the wrong length, or a latent variable
        used before it is defined.
    IdentificationError
        A latent variable with no scale.
    """
    for kind in group_equal:
        check_option("group_equal", kind, GroupEqual)
    if n_groups < 1:
        raise SpecificationError(f"n_groups={n_groups} must be at least 1")
    statements = spec.statements
    latent = list(spec.latent_variables)
    latent_set = set(latent)
    observed = list(spec.observed_variables)
    if data_columns is not None:
        missing = [v for v in observed if v not in set(data_columns)]
        if missing:
            raise SpecificationError(
                f"model variable(s) {missing} are neither latent (defined with =~) nor "
                f"columns of the data; available columns: {list(data_columns)[:30]}"
            )
    for s in statements:
        for vals, what in ((s.modifier.fixed, "fixed"), (s.modifier.labels, "label")):
            if len(vals) > 1 and len(vals) != n_groups:
                raise SpecificationError(
                    f"line {s.line}: {s.lhs} {s.op} {s.rhs} has {len(vals)} {what} values "
                    f"but the data have {n_groups} group(s)"
                )

    indicators = {s.rhs for s in statements if s.op == "=~"}
    reg_lhs = {s.lhs for s in statements if s.op == "~"}
    reg_rhs = {s.rhs for s in statements if s.op == "~"}
    # exogenous observed covariates (lavaan's ov.x)
    ov_x = [
        v
        for v in observed
        if v in reg_rhs and v not in reg_lhs and v not in indicators and v not in latent_set
    ]
    # fixed.x = FALSE: the covariates' (co)variances and means are free parameters (lavaan
    # still adds the covariances among them)
    free_x = [] if fixed_x else ov_x
    if not fixed_x:
        ov_x = []
    # lavaan's "ov.y"/"lv.y" for auto.cov.y: dependent variables that predict nothing
    pure_y = [v for v in [*observed, *latent] if v in reg_lhs and v not in reg_rhs]
    pure_y = [v for v in pure_y if v not in indicators]
    # exogenous latent variables: neither regressed nor indicators of a higher-order factor
    lv_x = [v for v in latent if v not in reg_lhs and v not in indicators]

    rows: list[dict] = []
    user_keys: set[tuple[str, str, str, int]] = set()

    def add(
        lhs: str,
        op: str,
        rhs: str,
        g: int,
        *,
        fixed=None,
        label=None,
        start=None,
        user=False,
        exo=False,
    ) -> None:
        rows.append(
            {
                "lhs": lhs,
                "op": op,
                "rhs": rhs,
                "group": g,
                "fixed": fixed,
                "label": label or "",
                "start": start,
                "user": user,
                "exo": exo,
            }
        )

    for g in range(1, n_groups + 1):
        first_loading_done: set[str] = set()
        group_rows_start = len(rows)
        for s in statements:
            fixed = _pick(s.modifier.fixed, g - 1)
            fixed_given = bool(s.modifier.fixed)
            label = _pick(s.modifier.labels, g - 1)
            start = _pick(s.modifier.starts, g - 1)
            key = (*_key(s.lhs, s.op, s.rhs), g)
            if key in user_keys:
                continue
            user_keys.add(key)
            if s.op == "=~" and auto and not std_lv and s.lhs not in first_loading_done:
                first_loading_done.add(s.lhs)
                if not fixed_given:
                    fixed = 1.0
            elif s.op == "=~":
                first_loading_done.add(s.lhs)
            add(s.lhs, s.op, s.rhs, g, fixed=fixed, label=label, start=start, user=True)
        present = {
            (*_key(r["lhs"], r["op"], r["rhs"]), r["group"]) for r in rows[group_rows_start:]
        }

        def has(lhs: str, op: str, rhs: str, g: int = g, present=present) -> bool:
            return (*_key(lhs, op, rhs), g) in present

        if auto:
            # variances
            for v in observed:
                if v in ov_x or has(v, "~~", v):
                    continue
                add(v, "~~", v, g)
            for v in latent:
                if has(v, "~~", v):
                    continue
                # std_lv: every latent (residual) variance is fixed to 1, as lavaan
                add(v, "~~", v, g, fixed=1.0 if std_lv else None)
            # free exogenous covariates (fixed_x=False): their covariances
            for i, a in enumerate(free_x):
                for b in free_x[i + 1 :]:
                    if not has(a, "~~", b):
                        add(a, "~~", b, g)
            # exogenous latent covariances
            for i, a in enumerate(lv_x):
                for b in lv_x[i + 1 :]:
                    if not has(a, "~~", b):
                        add(a, "~~", b, g)
            # dependent variables that predict nothing
            for i, a in enumerate(pure_y):
                for b in pure_y[i + 1 :]:
                    if (a in latent_set) != (b in latent_set):
                        continue
                    if not has(a, "~~", b):
                        add(a, "~~", b, g)
        else:
            # lavaan() lists the variances it does not estimate as rows fixed at 0
            for v in [*observed, *latent]:
                if v not in ov_x and not has(v, "~~", v):
                    add(v, "~~", v, g, fixed=0.0)
        # fixed-x covariates: moments at sample values (filled in at fit time)
        for i, a in enumerate(ov_x):
            for b in ov_x[i:]:
                if not has(a, "~~", b):
                    add(a, "~~", b, g, fixed=np.nan, exo=True)
        if meanstructure:
            for v in observed:
                if has(v, "~1", ""):
                    continue
                if v in ov_x:
                    add(v, "~1", "", g, fixed=np.nan, exo=True)
                else:
                    add(v, "~1", "", g)
            for v in latent:
                if not has(v, "~1", ""):
                    add(v, "~1", "", g, fixed=0.0)

    _check_scales(rows, latent)

    # free indices: labels shared -> one index; group_equal -> shared across groups
    partial = {_normalise_relation(p) for p in group_partial}
    equal_kinds = set(group_equal)
    if "intercepts" in equal_kinds and n_groups > 1 and meanstructure:
        # lavaan frees latent means in groups 2.. when intercepts are equal
        for r in rows:
            if (
                r["op"] == "~1"
                and r["lhs"] in latent_set
                and r["group"] > 1
                and not r["user"]
                and "means" not in equal_kinds
            ):
                r["fixed"] = None
    alias = _apply_constraints(spec, rows)
    free = np.zeros(len(rows), dtype=int)
    by_label: dict[str, int] = {}
    by_equal: dict[tuple[str, str, str], int] = {}
    nxt = 0
    for i, r in enumerate(rows):
        if r["fixed"] is not None:
            continue
        lab = alias.get(r["label"], r["label"])
        if lab and lab in by_label:
            free[i] = by_label[lab]
            continue
        kind = _kind(r, latent_set)
        rel = _key(r["lhs"], r["op"], r["rhs"])
        eq = (
            n_groups > 1
            and not lab
            and kind in equal_kinds
            and (rel[0] + rel[1] + rel[2]) not in partial
        )
        if eq and rel in by_equal:
            free[i] = by_equal[rel]
        else:
            nxt += 1
            free[i] = nxt
            if eq:
                by_equal[rel] = nxt
        if lab:
            by_label[lab] = int(free[i])

    value = np.array(
        [
            (np.nan if r["fixed"] is None else float(r["fixed"]))
            if r["fixed"] is not None
            else (np.nan if r["start"] is None else float(r["start"]))
            for r in rows
        ],
        dtype=float,
    )
    return ParTable(
        lhs=tuple(r["lhs"] for r in rows),
        op=tuple(r["op"] for r in rows),
        rhs=tuple(r["rhs"] for r in rows),
        group=np.array([r["group"] for r in rows], dtype=int),
        free=free,
        value=value,
        label=tuple(r["label"] for r in rows),
        user=np.array([r["user"] for r in rows], dtype=bool),
        exo=np.array([r["exo"] for r in rows], dtype=bool),
        observed=tuple(observed),
        latent=tuple(latent),
        n_groups=n_groups,
        meanstructure=meanstructure,
        exogenous_x=tuple(ov_x),
    )


def _normalise_relation(text: str) -> str:
    t = text.replace(" ", "")
    for op in ("=~", "~~", "~1", "~"):
        if op in t:
            lhs, _, rhs = t.partition(op)
            if op == "~" and rhs == "1":
                return lhs + "~1"
            k = _key(lhs, op, rhs)
            return k[0] + k[1] + k[2]
    raise SpecificationError(
        f"group_partial entry {text!r} is not a relation such as 'f =~ x2' or 'x1 ~ 1'"
    )


def _kind(r: dict, latent: set[str]) -> str:
    op, lhs, rhs = r["op"], r["lhs"], r["rhs"]
    if op == "=~":
        return "loadings"
    if op == "~":
        return "regressions"
    if op == "~1":
        return "means" if lhs in latent else "intercepts"
    if lhs in latent and rhs in latent:
        return "lv_variances" if lhs == rhs else "lv_covariances"
    if lhs == rhs:
        return "residuals"
    return "residual_covariances"


def _check_scales(rows: list[dict], latent: list[str]) -> None:
    """Every latent variable needs a scale: a fixed loading or a fixed variance."""
    for v in latent:
        fixed_loading = any(
            r["op"] == "=~"
            and r["lhs"] == v
            and r["fixed"] is not None
            and r["fixed"] == r["fixed"]
            and r["fixed"] != 0
            for r in rows
        )
        fixed_var = any(
            r["op"] == "~~" and r["lhs"] == v and r["rhs"] == v and r["fixed"] is not None
            for r in rows
        )
        has_loadings = any(r["op"] == "=~" and r["lhs"] == v for r in rows)
        if has_loadings and not (fixed_loading or fixed_var):
            raise IdentificationError(
                f"latent variable {v!r} has no scale: fix one loading (1*x) or its "
                f"variance ({v} ~~ 1*{v}), or use std_lv=True"
            )
