"""Measurement invariance across groups or waves: the configural -> strict ladder.

:func:`measurement_invariance` fits the ladder (configural, metric, scalar, strict), compares
each level with the one before, decides with a stated rule and, when a step fails, searches
for partial invariance by freeing the constraint with the largest score test, one at a time.

Across groups the models are multiple-group CFAs with lavaan's ``group.equal``; across waves
(``wave=`` and ``id=``) they are longitudinal CFAs on wide data (see
:mod:`synergy_stats.panel.longitudinal`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from synergy_stats._typing import check_arguments, check_option
from synergy_stats.errors import (
    DataValidationError,
    DroppedDataWarning,
    OptionError,
    SpecificationError,
)
from synergy_stats.panel.difference import DifferenceTest, difference_test
from synergy_stats.panel.longitudinal import KIND_OF_LEVEL, LEVELS, Level, longitudinal_cfa
from synergy_stats.panel.reshape import DEFAULT_SEP, Panel, reshape_panel
from synergy_stats.structural.api import fit_groups, prepare_data, start_values_from
from synergy_stats.structural.partable import build_partable
from synergy_stats.structural.results import FitOptions, SEMResult
from synergy_stats.structural.samplestats import GroupData
from synergy_stats.structural.scoretest import release_score_tests
from synergy_stats.structural.spec import ModelSpec
from synergy_stats.structural.syntax import parse_model

if TYPE_CHECKING:
    from synergy_stats.instrument import Instrument

__all__ = ["DELTA_CFI", "DELTA_RMSEA", "RULE", "InvarianceResult", "measurement_invariance"]

from synergy_stats.structural.options import Estimator, Missing

#: Largest acceptable drop in CFI from one level to the next (Cheung & Rensvold 2002).
DELTA_CFI = 0.01
#: Largest acceptable rise in RMSEA from one level to the next (Chen 2007).
DELTA_RMSEA = 0.015

RULE = (
    "a level is accepted when, against the level before it, CFI drops by at most .01 "
    "(delta_cfi >= -0.010; Cheung & Rensvold 2002) AND RMSEA rises by at most .015 "
    "(delta_rmsea <= 0.015; Chen 2007); both must hold. Under MLR the robust CFI and RMSEA "
    "are used. The chi-square difference test (Satorra-Bentler 2001 scaled under MLR) is "
    "reported but does not decide, being sensitive to trivial misfit in large samples. A "
    "rejected level is searched for partial invariance: the equality constraint with the "
    "largest score test is freed, one at a time, while each factor keeps at least "
    "`min_invariant` invariant indicators, until the level is accepted"
)

TABLE_COLUMNS = [
    "npar",
    "chisq",
    "df",
    "delta_chisq",
    "delta_df",
    "pvalue",
    "cfi",
    "tli",
    "rmsea",
    "srmr",
    "delta_cfi",
    "delta_rmsea",
    "decision",
]


# ---------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class InvarianceResult:
    """The outcome of an invariance ladder (immutable).

    Attributes
    ----------
    levels : tuple of str
        Levels tested, in order.
    fits : Mapping[str, SEMResult]
        The final model of each level fitted (partial when constraints were freed).
    full_fits : Mapping[str, SEMResult]
        Each level with all its constraints (equal to ``fits`` when nothing was freed).
    freed : Mapping[str, tuple of str]
        Relations freed at each level (partial invariance), e.g. ``("x3 ~ 1",)``.
    decisions : Mapping[str, str]
        ``"baseline"``, ``"accept"``, ``"partial"`` (accepted after freeing constraints),
        ``"reject"``, or ``"not established"`` for a level after a rejected one (fitted and
        compared with the level before it, but invariance cannot be claimed).
    tests : Mapping[str, DifferenceTest]
        The chi-square difference test of each level against the one before.
    search : pandas.DataFrame
        Every rejected level and every step of its partial-invariance search: ``level step
        freed score df pvalue cfi rmsea delta_cfi delta_rmsea accepted``; step 0 is the
        level with all its constraints, step k the model after the k-th constraint freed
        (``score df pvalue``: the score test that chose it).
    rule : str
        The decision rule, in words.
    mode : str
        ``"group"`` or ``"wave"``.
    estimator, missing : str
        Options of the fits.
    """

    levels: tuple[str, ...]
    fits: Mapping[str, SEMResult]
    full_fits: Mapping[str, SEMResult]
    freed: Mapping[str, tuple[str, ...]]
    decisions: Mapping[str, str]
    tests: Mapping[str, DifferenceTest]
    search: pd.DataFrame
    rule: str
    mode: str
    estimator: str
    missing: str
    models: Mapping[str, str] = field(default_factory=dict)
    indices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per level: fit, difference test against the level before, decision.

        Returns
        -------
        pandas.DataFrame
            Index ``level``; columns ``npar chisq df delta_chisq delta_df pvalue cfi tli
            rmsea srmr delta_cfi delta_rmsea decision``. Under MLR ``chisq`` is the scaled
            statistic, ``delta_chisq`` the Satorra-Bentler (2001) scaled difference and
            ``cfi tli rmsea`` the robust indices. ``pvalue`` belongs to the difference test.
        """
        rows = []
        prev: Mapping[str, float] | None = None
        for level in self.levels:
            fit = self.fits.get(level)
            row: dict[str, Any]
            if fit is None:
                row = dict.fromkeys(TABLE_COLUMNS[:-1], np.nan)
                row["decision"] = self.decisions[level]
                rows.append(row)
                continue
            ind = self.indices[level]
            row = {k: ind[k] for k in ("npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr")}
            test = self.tests.get(level)
            row["delta_chisq"] = test.chisq_diff if test else np.nan
            row["delta_df"] = float(test.df_diff) if test else np.nan
            row["pvalue"] = test.pvalue if test else np.nan
            row["delta_cfi"] = ind["cfi"] - prev["cfi"] if prev else np.nan
            row["delta_rmsea"] = ind["rmsea"] - prev["rmsea"] if prev else np.nan
            row["decision"] = self.decisions[level]
            rows.append(row)
            prev = ind
        out = pd.DataFrame(rows, index=pd.Index(list(self.levels), name="level"))
        out = out[TABLE_COLUMNS]
        num = TABLE_COLUMNS[:-1]
        out[num] = out[num].astype(float)
        return out

    def __repr__(self) -> str:
        shown = ", ".join(f"{lv}: {self.decisions[lv]}" for lv in self.levels)
        return f"InvarianceResult(mode={self.mode!r}, {shown})"


# ---------------------------------------------------------------------- helpers
def _base_spec(spec: Any, constructs: Sequence[str] | None) -> ModelSpec:
    """The one-group / one-wave measurement model from syntax, a ModelSpec or an Instrument."""
    if isinstance(spec, ModelSpec):
        base = spec
    elif isinstance(spec, str):
        base = parse_model(spec)
    else:
        from synergy_stats.instrument import Instrument

        if not isinstance(spec, Instrument):
            raise OptionError(
                f"spec={type(spec).__name__} is not accepted; give lavaan syntax (str), a "
                "ModelSpec or an Instrument"
            )
        base = instrument_cfa(spec, constructs=constructs)
        constructs = None
    if constructs is not None:
        raise OptionError(
            "constructs= selects constructs of an Instrument; with syntax or a ModelSpec "
            "write the model you want"
        )
    if not base.statements:
        raise SpecificationError("spec has no statements")
    return base


def instrument_cfa(instrument: Instrument, *, constructs: Sequence[str] | None = None) -> ModelSpec:
    """First-order CFA of an instrument's factors (items as indicators), for invariance tests.

    Parameters
    ----------
    instrument : Instrument
        The codebook.
    constructs : sequence of str, optional
        Constructs to include (a higher-order construct stands for its first-order factors);
        default every construct.

    Returns
    -------
    ModelSpec
        ``factor =~ item1 + item2 + ...`` for each first-order factor reached; the factors
        covary freely (lavaan's defaults).

    Raises
    ------
    SpecificationError
        An unknown construct.

    Notes
    -----
    Built with :func:`synergy_stats.structural.builders.measurement_model`, keeping the
    first-order part: invariance concerns how items measure their factors; a second-order
    structure is a structural hypothesis to test on the invariant measurement model.
    """
    from synergy_stats.structural.builders import measurement_model

    spec = measurement_model(instrument, constructs)
    latent = set(spec.latent_variables)
    return ModelSpec(tuple(s for s in spec.statements if s.op == "=~" and s.rhs not in latent))


def _check_levels(levels: Sequence[str]) -> tuple[str, ...]:
    if isinstance(levels, str):
        levels = [levels]
    out = tuple(levels)
    if not out:
        raise OptionError("levels=() is empty; give at least one of " + ", ".join(LEVELS))
    for lv in out:
        check_option("levels", lv, Level)
    idx = [LEVELS.index(lv) for lv in out]
    if idx != sorted(set(idx)):
        raise OptionError(f"levels={list(out)!r} must be distinct and in the order {list(LEVELS)}")
    return out


def _kind_of_row(fit: SEMResult, r: int) -> str | None:
    pt = fit.partable
    op, lhs, rhs = pt.op[r], pt.lhs[r], pt.rhs[r]
    latent = set(pt.latent)
    if op == "=~":
        return "loadings"
    if op == "~1" and lhs not in latent:
        return "intercepts"
    if op == "~~" and lhs == rhs and lhs not in latent:
        return "residuals"
    return None


@dataclass
class _Family:
    relation: str
    kind: str
    rows: list[int]
    factors: tuple[str, ...]
    item: str


def _strip(name: str, sep: str, mode: str) -> str:
    if mode != "wave":
        return name
    stem, s, k = name.rpartition(sep)
    return stem if s and k.isdigit() else name


def _families(
    fit: SEMResult, kind: str, mode: str, sep: str, item_factors: Mapping[str, tuple[str, ...]]
) -> list[_Family]:
    """Sets of rows of one kind held equal by the level's constraints, one per relation."""
    pt = fit.partable
    by_index: dict[int, list[int]] = {}
    for r in range(len(pt)):
        k = int(pt.free[r])
        if k > 0 and _kind_of_row(fit, r) == kind:
            by_index.setdefault(k, []).append(r)
    out = []
    for rows in by_index.values():
        if len(rows) < 2:
            continue
        r0 = rows[0]
        lhs, op, rhs = (_strip(pt.lhs[r0], sep, mode), pt.op[r0], _strip(pt.rhs[r0], sep, mode))
        if op == "~1":
            relation, item, factors = f"{lhs} ~ 1", lhs, item_factors.get(lhs, ())
        elif op == "=~":
            relation, item, factors = f"{lhs} =~ {rhs}", rhs, (lhs,)
        else:
            relation, item, factors = f"{lhs} ~~ {rhs}", lhs, item_factors.get(lhs, ())
        out.append(_Family(relation, kind, rows, factors, item))
    return out


def _allowed(
    fam: _Family,
    families: list[_Family],
    freed: Sequence[str],
    indicators: Mapping[str, tuple[str, ...]],
    markers: Mapping[str, str],
    min_invariant: int,
) -> bool:
    """Keep at least ``min_invariant`` invariant indicators per factor (loadings, intercepts)."""
    if fam.kind == "residuals":
        return True
    constrained = {f.item for f in families if f.relation not in freed}
    for factor in fam.factors:
        items = indicators.get(factor, ())
        invariant = {v for v in items if v in constrained}
        if fam.kind == "loadings" and factor in markers:
            invariant.add(markers[factor])  # the marker loading is fixed equal
        if len(invariant - {fam.item}) < min_invariant:
            return False
    return True


def _decide(delta_cfi: float, delta_rmsea: float) -> bool:
    return bool(delta_cfi >= -DELTA_CFI - 1e-12 and delta_rmsea <= DELTA_RMSEA + 1e-12)


class _Fitter:
    """Fits the levels of one ladder, sharing data preparation and the baseline model."""

    def __init__(
        self,
        base: ModelSpec,
        data: pd.DataFrame,
        panel: Panel | None,
        *,
        group: str | None,
        estimator: str,
        missing: str,
        sep: str,
    ) -> None:
        self.base = base
        self.panel = panel
        self.data = panel.wide if panel is not None else data
        self.group = group
        self.estimator = estimator
        self.missing = missing
        self.sep = sep
        self.group_labels: tuple[Any, ...] = (None,)
        if group is not None:
            self.group_labels = tuple(pd.unique(data[group].dropna()).tolist())
        self._groups: dict[tuple[str, ...], tuple[list[GroupData], int]] = {}
        self._baseline: SEMResult | None = None

    def spec_of(self, level: str, free: Sequence[str]) -> tuple[ModelSpec, list[str]]:
        if self.panel is not None:
            lm = longitudinal_cfa(
                self.base,
                self.panel.n_waves,
                level=level,  # type: ignore[arg-type]
                free=free,
                sep=self.sep,
            )
            return lm.spec, []
        kinds = [KIND_OF_LEVEL[lv] for lv in LEVELS[1 : LEVELS.index(level) + 1]]
        return self.base, kinds

    def fit(
        self, level: str, free: Sequence[str], *, start_from: SEMResult | None, check: bool
    ) -> SEMResult:
        spec, kinds = self.spec_of(level, free)
        n_groups = len(self.group_labels)
        partial = list(free) if self.panel is None else []
        pt = build_partable(
            spec,
            data_columns=list(self.data.columns),
            n_groups=n_groups,
            meanstructure=True,
            auto=True,
            group_equal=tuple(kinds),
            group_partial=tuple(partial),
        )
        key = pt.observed
        if key not in self._groups:
            with warnings.catch_warnings():
                if self._groups:
                    warnings.simplefilter("ignore", DroppedDataWarning)
                self._groups[key] = prepare_data(
                    self.data, pt, self.group, self.group_labels, fiml=self.missing == "fiml"
                )
        groups, n_dropped = self._groups[key]
        fiml = self.missing == "fiml"
        options = FitOptions(
            estimator=self.estimator,
            missing=self.missing,
            meanstructure=True,
            group=self.group,
            group_equal=tuple(kinds),
            group_partial=tuple(partial),
            information="observed" if (fiml or self.estimator == "MLR") else "expected",
        )
        start = start_values_from(pt, start_from) if start_from is not None else None
        return fit_groups(
            spec,
            pt,
            groups,
            options,
            group_labels=self.group_labels,
            n_dropped=n_dropped,
            start=start,
            check=check,
        )

    def baseline(self, fit: SEMResult) -> SEMResult:
        if self._baseline is None:
            self._baseline = fit.baseline
        return self._baseline

    def indices(self, fit: SEMResult) -> dict[str, float]:
        """Fit indices of the table: the fit's own ``fit_measures()`` (robust under MLR).

        The baseline model is shared by every level (it depends on the data only), see
        :attr:`SEMResult.baseline`.
        """
        fm = fit.fit_measures()
        out = {"npar": float(fm["npar"]), "df": float(fm["df"]), "srmr": float(fm["srmr"])}
        if self.estimator == "MLR":
            out["chisq"] = float(fm["chisq_scaled"])
            out["cfi"] = float(fm["cfi_robust"])
            out["tli"] = float(fm["tli_robust"])
            out["rmsea"] = float(fm["rmsea_robust"])
        else:
            for k in ("chisq", "cfi", "tli", "rmsea"):
                out[k] = float(fm[k])
        return out

    def cfi_rmsea(self, fit: SEMResult) -> tuple[float, float]:
        ind = self.indices(fit)
        return ind["cfi"], ind["rmsea"]


# ---------------------------------------------------------------------- main
def measurement_invariance(
    spec: str | ModelSpec | Instrument,
    data: pd.DataFrame,
    *,
    group: str | None = None,
    wave: str | None = None,
    id: str | None = None,
    estimator: Estimator = "ML",
    missing: Missing = "listwise",
    levels: Sequence[Level] = ("configural", "metric", "scalar", "strict"),
    partial: bool = True,
    min_invariant: int = 2,
    max_free: int | None = None,
    constructs: Sequence[str] | None = None,
    sep: str = DEFAULT_SEP,
    ordered: bool | Sequence[str] | None = None,
) -> InvarianceResult:
    """Test measurement invariance across groups or waves: configural -> strict.

    Parameters
    ----------
    spec : str, ModelSpec or Instrument
        The measurement model of one group / one wave (lavaan syntax or a ModelSpec), or an
        instrument (its first-order factors, see :func:`instrument_cfa`).
    data : pandas.DataFrame
        Item responses; long format (one row per id and wave) for a longitudinal ladder.
        Never modified.
    group : str, optional
        Column of the groups (departments, streets): multiple-group ladder.
    wave, id : str, optional
        Wave and respondent-id columns: longitudinal ladder on wide data built from the
        long data (items suffixed ``_w1``, ``_w2``, ...).
    estimator : {"ML", "MLR"}
        Under MLR the difference tests are Satorra-Bentler (2001) scaled and the decision
        uses the robust CFI and RMSEA.
    missing : {"listwise", "fiml"}
        FIML keeps respondents missing at some waves (attrition).
    levels : sequence of {"configural", "metric", "scalar", "strict"}
        Levels to fit, in this order; each is compared with the one listed before it.
    partial : bool
        Search for partial invariance when a level is rejected.
    min_invariant : int
        Partial search: each factor keeps at least this many indicators with invariant
        loadings (the marker counts) and intercepts (Steenkamp & Baumgartner 1998).
    max_free : int, optional
        Partial search: at most this many constraints freed per level.
    constructs : sequence of str, optional
        With an Instrument: the constructs to test (default every first-order factor).
    sep : str
        Separator of the wide column names (longitudinal ladder).
    ordered : bool or list of str, optional
        Ordered (Likert) items: the ladder of Wu & Estabrook (2016) across groups instead
        (configural, thresholds, loadings, intercepts; WLSMV), as semTools
        ``measEq.syntax(ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016")``, returning an
        :class:`~synergy_stats.ordinal.invariance.OrdinalInvarianceResult` (see
        :func:`~synergy_stats.ordinal.invariance.wu_estabrook_ladder`); with ``wave``/``id``
        the longitudinal version for a one-factor model
        (:func:`~synergy_stats.ordinal.invariance.wu_estabrook_longitudinal`).

    Returns
    -------
    InvarianceResult
        ``.table()``, ``.fits``, ``.freed``, ``.search``, ``.rule``.

    Raises
    ------
    OptionError
        Neither or both of ``group`` and ``wave``/``id``; bad ``levels``.
    DataValidationError
        A group with no more rows than observed variables, an id duplicated within a wave,
        an item constant within a group or a wave, fewer than two groups or waves.
    SpecificationError
        A model variable that is not a column.

    Notes
    -----
    Levels (Meredith 1993; Vandenberg & Lance 2000): configural (same pattern), metric
    (equal loadings), scalar (equal loadings and intercepts; latent means free in every
    group but the first, at every wave but the first), strict (also equal residual
    variances). Factors are scaled by marker indicators.

    Decision rule (``.rule``): a level is accepted when, against the level before it,
    ``delta_cfi >= -0.010`` (Cheung & Rensvold 2002) **and** ``delta_rmsea <= 0.015``
    (Chen 2007); under MLR with the robust indices. The chi-square difference test
    ``T0 - T1`` on ``df0 - df1`` degrees of freedom (Satorra-Bentler 2001 scaled under MLR) is
    reported, not used to decide.

    Partial invariance (Byrne, Shavelson & Muthen 1989): for each equality constraint of
    the rejected level the score test of releasing it (all of its groups or waves at once,
    ``G - 1`` or ``T - 1`` df; lavaan's ``lavTestScore`` univariate test when there are two)
    is computed at the constrained estimates; the one with the largest statistic is freed
    and the model refitted, until the level is accepted, ``max_free`` is reached or no
    constraint can be freed without leaving a factor with fewer than ``min_invariant``
    invariant indicators. The next level keeps what was freed. A level that stays rejected
    ends the claims: later levels are still fitted and compared, marked
    ``"not established"``, and not searched.

    References
    ----------
    Cheung, G. W. & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for testing
    measurement invariance. Structural Equation Modeling, 9, 233-255.
    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement
    invariance. Structural Equation Modeling, 14, 464-504.
    Byrne, B. M., Shavelson, R. J. & Muthen, B. (1989). Testing for the equivalence of
    factor covariance and mean structures. Psychological Bulletin, 105, 456-466.

    Examples
    --------
    Mirrors ``cfa(model, data, group = "school", group.equal = ...)`` level by level
    (semTools' ``measEq.syntax`` + ``compareFit``):

    >>> res = measurement_invariance(hs_model, hs, group="school")  # doctest: +SKIP
    >>> res.table()  # doctest: +SKIP
    """
    check_arguments(measurement_invariance, locals())
    if ordered is not None and ordered is not False:
        from synergy_stats.ordinal.invariance import (
            wu_estabrook_ladder,
            wu_estabrook_longitudinal,
        )

        if group is None and wave is not None and id is not None:
            base = _base_spec(spec, constructs)
            facs = [s.lhs for s in base.statements if s.op == "=~"]
            if len(set(facs)) != 1:
                raise OptionError(
                    "the longitudinal ordinal ladder takes a one-factor model; got factors "
                    f"{sorted(set(facs))}"
                )
            vars_ = [s.rhs for s in base.statements if s.op == "=~"]
            wide = reshape_panel(data, id=id, wave=wave, variables=vars_, sep=sep)
            items = [[wide.column(v, k) for v in vars_] for k in range(1, wide.n_waves + 1)]
            return wu_estabrook_longitudinal(  # type: ignore[return-value]
                wide.wide, items, factors=[f"{facs[0]}{sep}{k}" for k in range(1, len(items) + 1)],
                missing="pairwise" if missing == "fiml" else "listwise",
            )  # fmt: skip
        if wave is not None or id is not None or group is None:
            raise OptionError(
                "ordered= needs group= (across groups) or wave= and id= (across waves), not both"
            )

        return wu_estabrook_ladder(  # type: ignore[return-value]
            _base_spec(spec, constructs), data, group=group, ordered=ordered,
            missing="pairwise" if missing == "fiml" else "listwise",
        )  # fmt: skip
    check_option("estimator", estimator, Estimator)
    check_option("missing", missing, Missing)
    level_names = _check_levels(levels)
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data={type(data).__name__} is not accepted; give a pandas DataFrame"
        )
    if not isinstance(min_invariant, int) or min_invariant < 1:
        raise OptionError(f"min_invariant={min_invariant!r} must be a positive integer")
    if max_free is not None and (not isinstance(max_free, int) or max_free < 0):
        raise OptionError(f"max_free={max_free!r} must be None or a non-negative integer")
    longitudinal = wave is not None or id is not None
    if group is not None and longitudinal:
        raise OptionError(
            "give either group= (invariance across groups) or wave= and id= (across waves), "
            "not both"
        )
    if group is None and not longitudinal:
        raise OptionError("give group= (invariance across groups) or wave= and id= (across waves)")
    if longitudinal and (wave is None or id is None):
        raise OptionError(
            f"a longitudinal ladder needs both wave= and id= (got wave={wave!r}, id={id!r})"
        )
    base = _base_spec(spec, constructs)
    indicators: dict[str, tuple[str, ...]] = {}
    latent = set(base.latent_variables)
    markers: dict[str, str] = {}
    for s in base.statements:
        if s.op == "=~" and s.rhs not in latent:
            indicators.setdefault(s.lhs, ())
            indicators[s.lhs] += (s.rhs,)
        if s.op == "=~":
            markers.setdefault(s.lhs, s.rhs)
    item_factors: dict[str, tuple[str, ...]] = {}
    for f, vs in indicators.items():
        for v in vs:
            item_factors[v] = (*item_factors.get(v, ()), f)
    observed = list(base.observed_variables)
    missing_cols = [v for v in observed if v not in data.columns]
    if missing_cols:
        raise SpecificationError(
            f"model variable(s) {missing_cols} are not columns of data; available columns: "
            f"{[str(c) for c in list(data.columns)[:30]]}"
        )

    panel: Panel | None = None
    if wave is not None and id is not None:
        panel = reshape_panel(data, id=id, wave=wave, variables=observed, sep=sep, what="item(s)")
        if panel.n_waves < 2:
            raise DataValidationError(
                f"wave={wave!r} has {panel.n_waves} distinct value(s); a longitudinal ladder "
                "needs at least two waves"
            )
        mode = "wave"
    else:
        if group is None or group not in data.columns:
            raise DataValidationError(
                f"group={group!r} is not a column of data; available columns: "
                f"{[str(c) for c in list(data.columns)[:30]]}"
            )
        _check_groups(data, group, observed, missing)
        mode = "group"

    fits: dict[str, SEMResult] = {}
    full_fits: dict[str, SEMResult] = {}
    freed_at: dict[str, tuple[str, ...]] = {}
    decisions: dict[str, str] = {}
    tests: dict[str, DifferenceTest] = {}
    models: dict[str, str] = {}
    search_rows: list[dict[str, Any]] = []
    carried: list[str] = []  # relations freed at earlier levels stay free
    fitter = _Fitter(base, data, panel, group=group, estimator=estimator, missing=missing, sep=sep)

    prev_fit: SEMResult | None = None
    stopped = False
    for level in level_names:
        fit = fitter.fit(level, carried, start_from=prev_fit, check=True)
        if panel is not None:
            models[level] = fit.spec.to_syntax()
        full_fits[level] = fit
        if prev_fit is None:
            fits[level] = fit
            decisions[level] = "baseline"
            freed_at[level] = ()
            prev_fit = fit
            continue
        cfi0, rmsea0 = fitter.cfi_rmsea(prev_fit)
        cfi1, rmsea1 = fitter.cfi_rmsea(fit)
        accepted = _decide(cfi1 - cfi0, rmsea1 - rmsea0)
        freed: list[str] = []
        kind = KIND_OF_LEVEL.get(level)
        step = 0
        if not accepted:
            search_rows.append(
                {
                    "level": level,
                    "step": 0,
                    "freed": "",
                    "score": np.nan,
                    "df": np.nan,
                    "pvalue": np.nan,
                    "cfi": cfi1,
                    "rmsea": rmsea1,
                    "delta_cfi": cfi1 - cfi0,
                    "delta_rmsea": rmsea1 - rmsea0,
                    "accepted": False,
                }
            )
        while not accepted and partial and not stopped and kind is not None:
            if max_free is not None and len(freed) >= max_free:
                break
            fams = _families(fit, kind, mode, sep, item_factors)
            cands = [
                f
                for f in fams
                if _allowed(f, fams, [*carried, *freed], indicators, markers, min_invariant)
            ]
            if not cands:
                break
            scores = release_score_tests(fit, [f.rows for f in cands])
            best = int(np.argmax([s for s, _ in scores]))
            stat, df = scores[best]
            freed.append(cands[best].relation)
            fit = fitter.fit(level, [*carried, *freed], start_from=fit, check=False)
            if panel is not None:
                models[level] = fit.spec.to_syntax()
            cfi1, rmsea1 = fitter.cfi_rmsea(fit)
            accepted = _decide(cfi1 - cfi0, rmsea1 - rmsea0)
            step += 1
            search_rows.append(
                {
                    "level": level,
                    "step": step,
                    "freed": cands[best].relation,
                    "score": stat,
                    "df": df,
                    "pvalue": float(stats.chi2.sf(stat, df)),
                    "cfi": cfi1,
                    "rmsea": rmsea1,
                    "delta_cfi": cfi1 - cfi0,
                    "delta_rmsea": rmsea1 - rmsea0,
                    "accepted": accepted,
                }
            )
        fits[level] = fit
        freed_at[level] = tuple(freed)
        tests[level] = difference_test(fit, prev_fit)
        if stopped:
            decisions[level] = "not established"
        elif accepted:
            decisions[level] = "partial" if freed else "accept"
        else:
            decisions[level] = "reject"
            stopped = True
        carried.extend(freed)
        prev_fit = fit
    indices = {lv: fitter.indices(f) for lv, f in fits.items()}
    search = pd.DataFrame(
        search_rows,
        columns=[
            "level",
            "step",
            "freed",
            "score",
            "df",
            "pvalue",
            "cfi",
            "rmsea",
            "delta_cfi",
            "delta_rmsea",
            "accepted",
        ],
    )
    return InvarianceResult(
        levels=level_names,
        fits=MappingProxyType(fits),
        full_fits=MappingProxyType(full_fits),
        freed=MappingProxyType(freed_at),
        decisions=MappingProxyType(decisions),
        tests=MappingProxyType(tests),
        search=search,
        rule=RULE,
        mode=mode,
        estimator=estimator,
        missing=missing,
        models=MappingProxyType(models),
        indices=MappingProxyType(indices),
    )


def _check_groups(data: pd.DataFrame, group: str, observed: list[str], missing: str) -> None:
    """Each group needs more usable rows than observed variables; two groups at least."""
    col = data[group]
    if isinstance(col, pd.DataFrame):
        raise DataValidationError(f"group={group!r} names several columns (the name repeats)")
    odd = [v for v in col.dropna().tolist() if not isinstance(v, str | int | float | np.number)]
    if odd:
        raise DataValidationError(
            f"group={group!r} holds {len(odd)} value(s) that are not group labels, e.g. "
            f"{odd[0]!r}; use numbers or text"
        )
    labels = pd.unique(col.dropna())
    if len(labels) < 2:
        raise DataValidationError(
            f"group={group!r} has {len(labels)} distinct value(s); an invariance test across "
            "groups needs at least two"
        )
    p = len(observed)
    x = data[observed]
    usable = x.notna().any(axis=1) if missing == "fiml" else x.notna().all(axis=1)
    small = []
    for lab in labels.tolist():
        n = int((usable & (data[group] == lab)).sum())
        if n <= p:
            small.append(f"{lab!r} ({n} row(s))")
    if small:
        raise DataValidationError(
            f"group(s) {', '.join(small)} of {group!r} have no more usable rows than the "
            f"{p} observed variables; each group needs more rows than variables to estimate "
            "its covariance matrix: merge small groups or drop them"
        )
