"""Measurement invariance of ordered items across groups: the Wu & Estabrook (2016) ladder.

The levels and identification follow semTools' ``measEq.syntax(ID.fac = "std.lv",
ID.cat = "Wu.Estabrook.2016", group.equal = ...)`` (delta parameterization):

* ``configural``: factors with unit variances and zero means in every group; thresholds
  free; latent-response intercepts 0 and scales 1;
* ``thresholds``: thresholds equal across groups; the intercepts and scales of the latent
  responses free in groups 2, ...;
* ``loadings``: also loadings equal; the factor variances free in groups 2, ...;
* ``intercepts``: also intercepts equal (0 in every group); the factor means free in
  groups 2, ...

Consecutive levels are compared with lavaan's scaled-shifted difference test
(:func:`synergy_stats.ordinal.compare.lrt_ordinal`) and by the change in scaled CFI and
RMSEA.

References
----------
Wu, H., & Estabrook, R. (2016). Identification of confirmatory factor analysis models of
different levels of invariance for ordered categorical outcomes. *Psychometrika*, 81,
1014-1045.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from synergy_stats._typing import check_option
from synergy_stats.errors import DataValidationError, OptionError
from synergy_stats.structural.partable import ParTable

__all__ = [
    "OrdinalInvarianceResult",
    "wu_estabrook_free",
    "wu_estabrook_ladder",
    "wu_estabrook_longitudinal",
]

OrdinalLevel = Literal["configural", "thresholds", "loadings", "intercepts"]
LEVELS: tuple[str, ...] = ("configural", "thresholds", "loadings", "intercepts")
_EQUAL = {
    "configural": [],
    "thresholds": ["thresholds"],
    "loadings": ["thresholds", "loadings"],
    "intercepts": ["thresholds", "loadings", "intercepts"],
}


def wu_estabrook_free(
    full: ParTable,
    core: ParTable,
    ordered: set[str],
    level: str,
    *,
    later_items: set[str] | None = None,
    later_factors: set[str] | None = None,
) -> tuple[ParTable, ParTable]:
    """Free the parameters Wu & Estabrook's identification frees in groups 2, ...

    Longitudinally (``later_items``/``later_factors`` given) the same is done for the
    items and factors of waves 2, ... within the one group.
    """
    latent = set(full.latent)
    free = full.free.copy()
    value = full.value.copy()
    nxt = int(free.max()) if len(free) else 0
    longitudinal = later_items is not None
    for r in range(len(full)):
        if free[r] > 0 or full.user[r]:
            continue
        op, lhs, rhs = full.op[r], full.lhs[r], full.rhs[r]
        if longitudinal:
            later = lhs in (later_items or set()) or lhs in (later_factors or set())
        else:
            later = int(full.group[r]) >= 2
        if not later:
            continue
        want = False
        if op == "~*~" and level != "configural":
            want = True
        elif op == "~1" and lhs in ordered and level in ("thresholds", "loadings"):
            want = True
        elif op == "~~" and lhs == rhs and lhs in latent and level in ("loadings", "intercepts"):
            want = True
        elif op == "~1" and lhs in latent and level == "intercepts":
            want = True
        if want:
            nxt += 1
            free[r] = nxt
            value[r] = np.nan
    if level == "intercepts":
        # equal (zero) intercepts of the latent responses in every group
        for r in range(len(full)):
            if full.op[r] == "~1" and full.lhs[r] in ordered and not full.user[r]:
                free[r] = 0
                value[r] = 0.0
    n = len(core)
    return replace(full, free=free, value=value), replace(core, free=free[:n], value=value[:n])


@dataclass(frozen=True)
class OrdinalInvarianceResult:
    """The fits of an ordinal invariance ladder and their comparisons."""

    fits: dict[str, Any]
    comparisons: dict[str, pd.Series]
    group: str

    def table(self) -> pd.DataFrame:
        """One row per level: fit (scaled measures) and the test against the level before."""
        rows = []
        prev = None
        for name, fit in self.fits.items():
            fm = fit.fit_measures()
            row = {
                "level": name,
                "npar": fm["npar"],
                "df": fm["df"],
                "chisq": fm["chisq"],
                "chisq_scaled": fm.get("chisq_scaled", np.nan),
                "cfi_scaled": fm.get("cfi_scaled", np.nan),
                "tli_scaled": fm.get("tli_scaled", np.nan),
                "rmsea_scaled": fm.get("rmsea_scaled", np.nan),
                "srmr": fm["srmr"],
                "chisq_diff": np.nan,
                "df_diff": np.nan,
                "pvalue_diff": np.nan,
                "delta_cfi": np.nan,
                "delta_rmsea": np.nan,
            }
            if name in self.comparisons:
                c = self.comparisons[name]
                row.update(
                    chisq_diff=c["chisq_diff"], df_diff=c["df_diff"], pvalue_diff=c["pvalue"]
                )
            if prev is not None:
                row["delta_cfi"] = row["cfi_scaled"] - prev["cfi_scaled"]
                row["delta_rmsea"] = row["rmsea_scaled"] - prev["rmsea_scaled"]
            rows.append(row)
            prev = row
        return pd.DataFrame(rows).set_index("level")


def wu_estabrook_ladder(
    model: Any,
    data: pd.DataFrame,
    *,
    group: str,
    ordered: bool | Sequence[str] = True,
    levels: Sequence[OrdinalLevel] = ("configural", "thresholds", "loadings", "intercepts"),
    estimator: Literal["WLSMV", "ULSMV", "WLSM"] = "WLSMV",
    missing: Literal["listwise", "pairwise"] = "listwise",
) -> OrdinalInvarianceResult:
    """Fit the Wu & Estabrook (2016) invariance ladder of ordered items across groups.

    Parameters
    ----------
    model : str or ModelSpec
        The measurement model of one group.
    data : pandas.DataFrame
        Item responses (integer codes) and the group column; never modified.
    group : str
        Column of the groups.
    ordered : bool or list of str
        Ordered indicators (True: all).
    levels : sequence of {"configural", "thresholds", "loadings", "intercepts"}
        Levels to fit, in this order.
    estimator : {"WLSMV", "ULSMV", "WLSM"}
    missing : {"listwise", "pairwise"}

    Returns
    -------
    OrdinalInvarianceResult
        ``.fits`` by level, ``.comparisons`` (difference tests against the level before)
        and ``.table()``.

    Examples
    --------
    Mirrors ``semTools::measEq.syntax(model, data, ordered = items, group = "school",
    ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group.equal = ..., return.fit = TRUE)``
    and ``lavTestLRT`` between consecutive levels.
    """
    from synergy_stats.ordinal.compare import lrt_ordinal
    from synergy_stats.ordinal.fit import fit_ordinal
    from synergy_stats.structural.api import _as_spec

    for lv in levels:
        check_option("levels", lv, OrdinalLevel)
    if list(levels) != sorted(levels, key=LEVELS.index):
        raise OptionError(f"levels={list(levels)} must follow the order {list(LEVELS)}")
    if group not in data.columns:
        raise DataValidationError(f"group={group!r} is not a column of data")
    labels = tuple(pd.unique(data[group].dropna()).tolist())
    if len(labels) < 2:
        raise DataValidationError(f"group={group!r} has fewer than two distinct values")
    spec = _as_spec(model)
    fits: dict[str, Any] = {}
    comps: dict[str, pd.Series] = {}
    prev = None
    for lv in levels:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_ordinal(
                spec, data, ordered=ordered, estimator=estimator, parameterization="delta",
                missing=missing, group=group, group_labels=labels,
                group_equal=tuple(_EQUAL[lv]), group_partial=(), std_lv=True, auto=True,
                level=0.95, se=True, wu_estabrook=lv,
            )  # fmt: skip
        fits[lv] = fit
        if prev is not None and fit.df > prev.df:
            comps[lv] = lrt_ordinal(fit, prev)
        prev = fit
    return OrdinalInvarianceResult(fits=fits, comparisons=comps, group=group)


def wu_estabrook_longitudinal(
    data: pd.DataFrame,
    items: Sequence[Sequence[str]],
    *,
    factors: Sequence[str] | None = None,
    levels: Sequence[OrdinalLevel] = ("configural", "thresholds", "loadings", "intercepts"),
    estimator: Literal["WLSMV", "ULSMV", "WLSM"] = "WLSMV",
    missing: Literal["listwise", "pairwise"] = "listwise",
) -> OrdinalInvarianceResult:
    """The Wu & Estabrook (2016) ladder of one factor measured at several waves (wide data).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, the items of every wave as columns (integer codes).
    items : sequence of sequences of str
        The items of each wave, the same item in the same position.
    factors : sequence of str, optional
        Names of the factor at each wave (default ``f1``, ``f2``, ...).
    levels, estimator, missing
        As :func:`wu_estabrook_ladder`.

    Returns
    -------
    OrdinalInvarianceResult

    Notes
    -----
    The factor of each wave is identified by unit variance and zero mean at the first
    wave; the residuals of the same item correlate across waves; constraints are imposed
    across waves and the parameters Wu & Estabrook free are freed at waves 2, ...

    Examples
    --------
    Mirrors ``semTools::measEq.syntax(model, data, ordered = items, ID.fac = "std.lv",
    ID.cat = "Wu.Estabrook.2016", longFacNames = list(f = c("f1", "f2")),
    long.equal = ...)`` fitted with ``cfa()``.
    """
    from synergy_stats.ordinal.compare import lrt_ordinal
    from synergy_stats.ordinal.fit import fit_ordinal
    from synergy_stats.structural.syntax import parse_model

    for lv in levels:
        check_option("levels", lv, OrdinalLevel)
    waves = [list(w) for w in items]
    if len(waves) < 2 or len({len(w) for w in waves}) != 1 or len(waves[0]) < 2:
        raise OptionError("items must list the same number (>= 2) of items for >= 2 waves")
    names = list(factors) if factors is not None else [f"f{t + 1}" for t in range(len(waves))]
    if len(names) != len(waves):
        raise OptionError(f"factors={names} must name one factor per wave ({len(waves)})")
    later_items = {v for w in waves[1:] for v in w}
    key = {v: waves[0][i] for w in waves[1:] for i, v in enumerate(w)}
    fits: dict[str, Any] = {}
    comps: dict[str, pd.Series] = {}
    prev = None
    for lv in levels:
        equal_loadings = lv in ("loadings", "intercepts")
        lines = []
        for f, w in zip(names, waves, strict=True):
            terms = [f"lam{i + 1}*{v}" if equal_loadings else v for i, v in enumerate(w)]
            lines.append(f"{f} =~ " + " + ".join(terms))
        for i in range(len(waves[0])):
            for a in range(len(waves)):
                for b in range(a + 1, len(waves)):
                    lines.append(f"{waves[a][i]} ~~ {waves[b][i]}")
        spec = parse_model("\n".join(lines))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_ordinal(
                spec, data, ordered=True, estimator=estimator, parameterization="delta",
                missing=missing, group=None, group_labels=(None,), group_equal=(),
                group_partial=(), std_lv=True, auto=True, level=0.95, se=True,
                wu_estabrook=lv,
                longitudinal={
                    "threshold_key": key if lv != "configural" else None,
                    "later_items": later_items,
                    "later_factors": set(names[1:]),
                },
            )  # fmt: skip
        fits[lv] = fit
        if prev is not None and fit.df > prev.df:
            comps[lv] = lrt_ordinal(fit, prev)
        prev = fit
    return OrdinalInvarianceResult(fits=fits, comparisons=comps, group="")
