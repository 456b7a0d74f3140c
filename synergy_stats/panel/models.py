"""Cross-lagged panel models from long data: the CLPM and the RI-CLPM, and their tests.

* :func:`riclpm`: the random-intercept cross-lagged panel model of Hamaker, Kuiper &
  Grasman (2015), on construct scores or with multiple indicators per construct (Mulder &
  Hamaker 2021), specified explicitly and fitted as lavaan's ``lavaan(model,
  meanstructure = TRUE, int.ov.free = TRUE)`` (no automatic extra parameters);
* :func:`clpm`: the traditional cross-lagged panel model, the RI-CLPM without random
  intercepts;
* :func:`feedback_test`: does a construct feed back into others? Likelihood-ratio and Wald
  tests of its cross-lagged effects;
* :func:`compare_clpm_riclpm`: the chi-bar-square test of the random intercepts;
* :meth:`PanelFit.cross_lagged`: within-person lagged effects with confidence intervals.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from synergy_stats._random import normal_draws
from synergy_stats._typing import check_arguments, check_option, make_rng
from synergy_stats.errors import (
    DataValidationError,
    OptionError,
    SpecificationError,
)
from synergy_stats.panel.difference import DifferenceTest, difference_test, wald_test
from synergy_stats.panel.reshape import DEFAULT_SEP, Panel, reshape_panel
from synergy_stats.structural.api import fit_groups, sem
from synergy_stats.structural.partable import build_partable
from synergy_stats.structural.results import SEMResult
from synergy_stats.structural.spec import ModelSpec, Modifier, Statement

__all__ = [
    "ChiBarSquareTest",
    "FeedbackTest",
    "LagParameter",
    "PanelFit",
    "chibar_weights",
    "clpm",
    "clpm_syntax",
    "compare_clpm_riclpm",
    "feedback_test",
    "riclpm",
    "riclpm_syntax",
]

from synergy_stats.structural.options import Estimator, Missing

RandomIntercepts = Literal["item", "construct"]


# ---------------------------------------------------------------------- syntax
@dataclass(frozen=True)
class LagParameter:
    """One lagged within-person effect of a panel model.

    Attributes
    ----------
    source, target : str
        Constructs: ``source`` at wave ``wave - 1`` affects ``target`` at ``wave``.
    wave : int
        The (1-based) wave of the target.
    kind : str
        ``"autoregressive"`` or ``"cross-lagged"``.
    lhs, rhs : str
        The regression in the model (``lhs ~ rhs``), between within-person components.
    label : str
        Its label (shared over waves when the lags are time-invariant).
    """

    source: str
    target: str
    wave: int
    kind: str
    lhs: str
    rhs: str
    label: str


@dataclass(frozen=True)
class PanelSyntax:
    """A panel model specification and the roles of its parts."""

    spec: ModelSpec
    lags: tuple[LagParameter, ...]
    random_intercepts: tuple[str, ...]
    within: Mapping[tuple[str, int], str]


class _Labels:
    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, base: str) -> str:
        lab, k = base, 2
        while lab in self.used:
            lab = f"{base}_{k}"
            k += 1
        self.used.add(lab)
        return lab


def _panel_syntax(
    constructs: Sequence[str],
    n_waves: int,
    *,
    random_intercepts: bool,
    indicators: Mapping[str, Sequence[str]] | None,
    ri_level: str,
    time_invariant: bool,
    sep: str,
) -> PanelSyntax:
    def obs(v: str, t: int) -> str:
        return f"{v}{sep}{t}"

    def within(c: str, t: int) -> str:
        return f"w_{c}{sep}{t}"

    st: list[Statement] = []
    one = Modifier(fixed=(1.0,))
    label = _Labels()
    ris: list[str] = []
    # measurement: random intercepts and within components
    if indicators is None:
        if random_intercepts:
            for c in constructs:
                ri = f"RI_{c}"
                ris.append(ri)
                for t in range(1, n_waves + 1):
                    st.append(Statement(ri, "=~", obs(c, t), one))
        for c in constructs:
            for t in range(1, n_waves + 1):
                st.append(Statement(within(c, t), "=~", obs(c, t), one))
    else:
        loading: dict[str, str] = {}
        for c in constructs:
            for item in indicators[c][1:]:
                loading[item] = label(f"lam_{item}")
        if random_intercepts and ri_level == "item":
            for c in constructs:
                for item in indicators[c]:
                    ri = f"RI_{item}"
                    ris.append(ri)
                    for t in range(1, n_waves + 1):
                        st.append(Statement(ri, "=~", obs(item, t), one))
        elif random_intercepts:
            for c in constructs:
                ri = f"RI_{c}"
                ris.append(ri)
                for t in range(1, n_waves + 1):
                    for j, item in enumerate(indicators[c]):
                        mod = one if j == 0 else Modifier(labels=(loading[item],))
                        st.append(Statement(ri, "=~", obs(item, t), mod))
        for c in constructs:
            for t in range(1, n_waves + 1):
                for j, item in enumerate(indicators[c]):
                    mod = one if j == 0 else Modifier(labels=(loading[item],))
                    st.append(Statement(within(c, t), "=~", obs(item, t), mod))
    # lagged effects
    lags: list[LagParameter] = []
    shared: dict[tuple[str, str], str] = {}
    for t in range(2, n_waves + 1):
        for tgt in constructs:
            for src in constructs:
                kind = "autoregressive" if src == tgt else "cross-lagged"
                base = f"ar_{tgt}" if src == tgt else f"cl_{src}_{tgt}"
                if time_invariant:
                    if (src, tgt) not in shared:
                        shared[(src, tgt)] = label(base)
                    lab = shared[(src, tgt)]
                else:
                    lab = label(f"{base}_{t}")
                lhs, rhs = within(tgt, t), within(src, t - 1)
                st.append(Statement(lhs, "~", rhs, Modifier(labels=(lab,))))
                lags.append(LagParameter(src, tgt, t, kind, lhs, rhs, lab))
    # within (co)variances: wave 1 and the innovations of later waves
    for t in range(1, n_waves + 1):
        for i, a in enumerate(constructs):
            for b in constructs[i + 1 :]:
                st.append(Statement(within(a, t), "~~", within(b, t)))
        for a in constructs:
            st.append(Statement(within(a, t), "~~", within(a, t)))
    # random intercepts: variances and covariances
    for i, a in enumerate(ris):
        st.append(Statement(a, "~~", a))
        for b in ris[i + 1 :]:
            st.append(Statement(a, "~~", b))
    # item residual variances (multiple indicators)
    if indicators is not None:
        for c in constructs:
            for item in indicators[c]:
                for t in range(1, n_waves + 1):
                    st.append(Statement(obs(item, t), "~~", obs(item, t)))
    wmap = {(c, t): within(c, t) for c in constructs for t in range(1, n_waves + 1)}
    return PanelSyntax(ModelSpec(tuple(st)), tuple(lags), tuple(ris), wmap)


def riclpm_syntax(
    constructs: Sequence[str],
    n_waves: int,
    *,
    indicators: Mapping[str, Sequence[str]] | None = None,
    random_intercepts: RandomIntercepts = "item",
    time_invariant: bool = True,
    sep: str = DEFAULT_SEP,
) -> ModelSpec:
    """The explicit RI-CLPM specification (lavaan syntax via ``.to_syntax()``).

    Parameters
    ----------
    constructs : sequence of str
        Construct names; their wide columns are ``<construct><sep><t>`` (or the items').
    n_waves : int
        Waves.
    indicators : mapping, optional
        ``construct -> items`` for the multiple-indicator model.
    random_intercepts : {"item", "construct"}
        Multiple indicators: one random intercept per item, or one per construct with the
        within loadings (Mulder & Hamaker 2021).
    time_invariant : bool
        One label per lagged effect over all waves.
    sep : str
        Wave separator of the column names.

    Returns
    -------
    ModelSpec

    Examples
    --------
    Two constructs and three waves give the model of Hamaker et al. (2015, Figure 1b) as
    written for lavaan (``RI_x =~ 1*x_w1 + 1*x_w2 + 1*x_w3``, ``w_x_w1 =~ 1*x_w1``, ...):

    >>> print(riclpm_syntax(["x", "y"], 3).to_syntax())  # doctest: +SKIP
    """
    check_option("random_intercepts", random_intercepts, RandomIntercepts)
    return _panel_syntax(
        list(constructs),
        n_waves,
        random_intercepts=True,
        indicators=indicators,
        ri_level=random_intercepts,
        time_invariant=time_invariant,
        sep=sep,
    ).spec


def clpm_syntax(
    constructs: Sequence[str],
    n_waves: int,
    *,
    indicators: Mapping[str, Sequence[str]] | None = None,
    time_invariant: bool = True,
    sep: str = DEFAULT_SEP,
) -> ModelSpec:
    """The explicit CLPM specification: the RI-CLPM without random intercepts."""
    return _panel_syntax(
        list(constructs),
        n_waves,
        random_intercepts=False,
        indicators=indicators,
        ri_level="item",
        time_invariant=time_invariant,
        sep=sep,
    ).spec


# ---------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class PanelFit:
    """A fitted CLPM or RI-CLPM (immutable).

    Attributes
    ----------
    kind : str
        ``"clpm"`` or ``"riclpm"``.
    fit : SEMResult
        The underlying SEM fit (estimates, fit measures, vcov).
    constructs : tuple of str
        Constructs, in order.
    waves : tuple
        Wave values; wave ``t`` of the model is ``waves[t - 1]``.
    lags : tuple of LagParameter
        Every lagged within-person effect.
    random_intercepts : tuple of str
        Names of the random-intercept factors (empty for a CLPM).
    indicators : Mapping or None
        ``construct -> items`` for a multiple-indicator model.
    ri_level : str or None
        ``"item"`` or ``"construct"`` (multiple indicators with random intercepts).
    time_invariant : bool
        Whether each lagged effect is one parameter over waves.
    id, wave : str
        Columns of the long data.
    panel : Panel
        The wide data fitted.
    """

    kind: str
    fit: SEMResult
    constructs: tuple[str, ...]
    waves: tuple[Any, ...]
    lags: tuple[LagParameter, ...]
    random_intercepts: tuple[str, ...]
    indicators: Mapping[str, tuple[str, ...]] | None
    ri_level: str | None
    time_invariant: bool
    id: str
    wave: str
    panel: Panel = field(repr=False)

    @property
    def spec(self) -> ModelSpec:
        """The model specification."""
        return self.fit.spec

    @property
    def syntax(self) -> str:
        """The model as lavaan syntax.

        Run it with ``lavaan(model, data = wide, meanstructure = TRUE, int.ov.free = TRUE)``.
        """
        return self.fit.spec.to_syntax()

    def estimates(self) -> pd.DataFrame:
        """Every parameter (``SEMResult.estimates``)."""
        return self.fit.estimates()

    def fit_measures(self) -> pd.Series:
        """Fit measures (``SEMResult.fit_measures``)."""
        return self.fit.fit_measures()

    def cross_lagged(
        self,
        *,
        level: float = 0.95,
        boot: Any = None,
        boot_method: str = "percentile",
        include_autoregressive: bool = True,
    ) -> pd.DataFrame:
        """Within-person lagged effects with confidence intervals.

        Parameters
        ----------
        level : float
            Confidence level.
        boot : BootstrapResult, optional
            A bootstrap of this model, ``synergy_stats.bootstrap(panel_fit.fit, ...)``; when
            given, ``se``, ``ci_lower`` and ``ci_upper`` come from its ``ci(level,
            boot_method)`` and ``ci`` names the interval.
        boot_method : {"percentile", "bc", "bca", "norm", "basic"}
            Bootstrap interval (see ``BootstrapResult.ci``).
        include_autoregressive : bool
            Include the autoregressive effects.

        Returns
        -------
        pandas.DataFrame
            One row per effect and wave: ``source target from_wave to_wave kind label est se
            z pvalue ci_lower ci_upper std_all ci``. ``std_all`` standardizes by the
            within-person variances at the two waves.

        Notes
        -----
        Wald intervals ``est +- z_(1+level)/2 se``; under MLR with robust standard errors.
        With time-invariant lags the unstandardized effect is one parameter repeated at
        every wave; its standardized value varies with the within variances.
        """
        if not 0 < level < 1:
            raise OptionError(f"level={level!r} must lie strictly between 0 and 1")
        est = self.fit.estimates(level=level)
        key = {(r.lhs, r.rhs): i for i, r in enumerate(est.itertuples()) if r.op == "~"}
        rows = []
        for lag in self.lags:
            if lag.kind == "autoregressive" and not include_autoregressive:
                continue
            r = est.iloc[key[(lag.lhs, lag.rhs)]]
            rows.append(
                {
                    "source": lag.source,
                    "target": lag.target,
                    "from_wave": self.waves[lag.wave - 2],
                    "to_wave": self.waves[lag.wave - 1],
                    "kind": lag.kind,
                    "label": lag.label,
                    "est": r["est"],
                    "se": r["se"],
                    "z": r["z"],
                    "pvalue": r["pvalue"],
                    "ci_lower": r["ci_lower"],
                    "ci_upper": r["ci_upper"],
                    "std_all": r["std_all"],
                    "ci": "wald",
                }
            )
        out = pd.DataFrame(rows)
        if boot is not None and len(out):
            used = [
                lag for lag in self.lags if include_autoregressive or lag.kind != "autoregressive"
            ]
            se, lo, hi, name = _boot_interval(self, boot, level, boot_method, used)
            if se is not None:
                out["se"] = se
            out["ci_lower"], out["ci_upper"] = lo, hi
            out["ci"] = name
        return out

    def feedback_test(
        self, source: str, targets: str | Sequence[str] | None = None
    ) -> FeedbackTest:
        """Shortcut for :func:`feedback_test`."""
        return feedback_test(self, source, targets)

    def summary(self) -> str:
        """Fit and lagged effects in a few lines."""
        fm = self.fit_measures()
        lines = [
            f"{self.kind.upper()}: {len(self.constructs)} constructs x {len(self.waves)} waves, "
            f"N = {self.fit.nobs} ({self.fit.options.estimator}, missing="
            f"{self.fit.options.missing})",
            f"  chi-square = {fm['chisq']:.3f}, df = {int(fm['df'])}, p = {fm['pvalue']:.4f}; "
            f"CFI = {fm['cfi']:.3f}, RMSEA = {fm['rmsea']:.3f}, SRMR = {fm['srmr']:.3f}",
            "",
        ]
        tab = self.cross_lagged()
        lines.append(
            tab[
                [
                    "source",
                    "target",
                    "from_wave",
                    "to_wave",
                    "est",
                    "se",
                    "pvalue",
                    "ci_lower",
                    "ci_upper",
                    "std_all",
                ]
            ].to_string(index=False, float_format=lambda v: f"{v:.3f}")
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"PanelFit(kind={self.kind!r}, constructs={list(self.constructs)}, "
            f"waves={len(self.waves)}, nobs={self.fit.nobs})"
        )


def _boot_interval(
    pf: PanelFit, boot: Any, level: float, method: str, lags: list[LagParameter]
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, str]:
    """Bootstrap standard errors and intervals of lagged effects.

    A :class:`synergy_stats.inference.BootstrapResult` of ``pf.fit`` gives its ``ci()``
    table; any other object with a ``theta_draws`` or ``draws`` array (draws x free
    parameters, NaN rows for failed draws) gives percentile intervals.
    """
    if hasattr(boot, "ci") and hasattr(boot, "fit"):
        if boot.fit is not pf.fit:
            raise OptionError(
                "boot is a bootstrap of another model; bootstrap this one with "
                "synergy_stats.bootstrap(panel_fit.fit, ...)"
            )
        tab = boot.ci(level=level, method=method)
        tab = tab[tab["op"] == "~"].set_index(["lhs", "rhs"])
        rows = [tab.loc[(lag.lhs, lag.rhs)] for lag in lags]
        se = np.array([float(r["se"]) for r in rows])
        lo = np.array([float(r["ci_lower"]) for r in rows])
        hi = np.array([float(r["ci_upper"]) for r in rows])
        return se, lo, hi, f"bootstrap {method}"
    draws = getattr(boot, "theta_draws", None)
    if draws is None:
        draws = getattr(boot, "draws", None)
    if draws is None:
        raise OptionError(
            f"boot={type(boot).__name__} has no bootstrap draws; pass the BootstrapResult of "
            "synergy_stats.bootstrap(panel_fit.fit, ...)"
        )
    arr = np.asarray(draws, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != pf.fit.theta.size:
        raise OptionError(
            f"boot draws have shape {arr.shape}; expected (draws, {pf.fit.theta.size}) for "
            "this model's free parameters"
        )
    arr = arr[np.isfinite(arr).all(axis=1)]
    idx = pf.fit.partable.labels_to_free()
    cols = [idx[lag.label] - 1 for lag in lags]
    a = (1 - level) / 2
    lo = np.quantile(arr[:, cols], a, axis=0)
    hi = np.quantile(arr[:, cols], 1 - a, axis=0)
    return None, lo, hi, "bootstrap percentile"


# ---------------------------------------------------------------------- fitting
def _check_constructs(constructs: Any) -> list[str]:
    if isinstance(constructs, str):
        raise OptionError(
            f"constructs={constructs!r} must be a list of at least two construct columns, "
            "not a string"
        )
    out = list(constructs)
    if len(out) < 2:
        raise OptionError(
            f"constructs={out!r}: a cross-lagged panel model needs at least two constructs"
        )
    if len(set(out)) != len(out):
        raise OptionError(f"constructs={out!r} has duplicates")
    for c in out:
        if not (isinstance(c, str) and c.isidentifier()):
            raise SpecificationError(
                f"construct name {c!r} is not usable in a model: use letters, digits and "
                "underscores (not starting with a digit)"
            )
    return out


def _fit_panel(
    kind: str,
    data: pd.DataFrame,
    constructs: Any,
    *,
    id: str,
    wave: str,
    indicators: Mapping[str, Sequence[str]] | None,
    random_intercepts: str,
    time_invariant: bool,
    estimator: str,
    missing: str,
    sep: str,
    min_waves: int,
) -> PanelFit:
    check_option("estimator", estimator, Estimator)
    check_option("missing", missing, Missing)
    check_option("random_intercepts", random_intercepts, RandomIntercepts)
    cons = _check_constructs(constructs)
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data={type(data).__name__} is not accepted; give a long-format DataFrame"
        )
    items: dict[str, tuple[str, ...]] | None = None
    if indicators is not None:
        if not isinstance(indicators, Mapping):
            raise OptionError(
                f"indicators={type(indicators).__name__} is not accepted; give "
                "{construct: [item, ...]}"
            )
        unknown = [c for c in indicators if c not in cons]
        if unknown:
            raise SpecificationError(
                f"indicators names unknown construct(s) {unknown}; constructs are {cons}"
            )
        lacking = [c for c in cons if c not in indicators]
        if lacking:
            raise SpecificationError(
                f"indicators gives no items for construct(s) {lacking}; give at least two "
                "items for every construct"
            )
        items = {}
        for c in cons:
            vs = indicators[c]
            if isinstance(vs, str) or len(list(vs)) < 2:
                raise SpecificationError(
                    f"indicators[{c!r}]={vs!r}: give at least two items per construct"
                )
            items[c] = tuple(vs)
        variables = [v for c in cons for v in items[c]]
        for v in variables:
            if not (isinstance(v, str) and v.isidentifier()):
                raise SpecificationError(f"item name {v!r} is not usable in a model")
        what = "item(s)"
    else:
        variables = cons
        unknown = [c for c in cons if c not in data.columns]
        if unknown:
            raise SpecificationError(
                f"unknown construct(s) {unknown}: not columns of data; available columns: "
                f"{[str(c) for c in list(data.columns)[:30]]}"
            )
        what = "construct(s)"
    panel = reshape_panel(data, id=id, wave=wave, variables=variables, sep=sep, what=what)
    if panel.n_waves < min_waves:
        name = "an RI-CLPM" if kind == "riclpm" else "a CLPM"
        raise DataValidationError(
            f"wave={wave!r} has {panel.n_waves} distinct value(s) {list(panel.waves)}; {name} "
            f"needs at least {min_waves} waves"
            + (" (with two, the random intercepts are not identified)" if kind == "riclpm" else "")
        )
    syn = _panel_syntax(
        cons,
        panel.n_waves,
        random_intercepts=kind == "riclpm",
        indicators=items,
        ri_level=random_intercepts,
        time_invariant=time_invariant,
        sep=sep,
    )
    fit = sem(
        syn.spec,
        panel.wide,
        estimator=estimator,  # type: ignore[arg-type]
        missing=missing,  # type: ignore[arg-type]
        meanstructure=True,
        auto=False,
    )
    return PanelFit(
        kind=kind,
        fit=fit,
        constructs=tuple(cons),
        waves=panel.waves,
        lags=syn.lags,
        random_intercepts=syn.random_intercepts,
        indicators=items,
        ri_level=random_intercepts if (items is not None and kind == "riclpm") else None,
        time_invariant=time_invariant,
        id=id,
        wave=wave,
        panel=panel,
    )


def riclpm(
    data: pd.DataFrame,
    constructs: Sequence[str],
    *,
    id: str,
    wave: str,
    indicators: Mapping[str, Sequence[str]] | None = None,
    time_invariant: bool = True,
    estimator: Estimator = "ML",
    missing: Missing = "listwise",
    random_intercepts: RandomIntercepts = "item",
    sep: str = DEFAULT_SEP,
) -> PanelFit:
    """Fit a random-intercept cross-lagged panel model (RI-CLPM) to long panel data.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per person and wave; never modified.
    constructs : sequence of str
        Two or more constructs: columns of construct scores, or (with ``indicators``) the
        names of the constructs the items measure.
    id, wave : str
        Person-id and wave columns; three or more waves.
    indicators : mapping, optional
        ``{construct: [item, ...]}``: the multiple-indicator RI-CLPM (Mulder & Hamaker
        2021), within factors with loadings equal over time.
    time_invariant : bool
        Constrain each autoregressive and cross-lagged effect to be equal over waves.
    estimator : {"ML", "MLR"}
        MLR: robust standard errors and scaled tests.
    missing : {"listwise", "fiml"}
        FIML keeps everyone observed at least once (attrition).
    random_intercepts : {"item", "construct"}
        With indicators: one random intercept per item (Mulder & Hamaker's extension 3), or
        one per construct loading on its items with the within loadings (a factor model at
        the between level with loadings equal to the within loadings).
    sep : str
        Separator of the wide column names (``mechanism_w2``).

    Returns
    -------
    PanelFit

    Raises
    ------
    DataValidationError
        Fewer than three waves, an id duplicated within a wave, a variable constant within a
        wave, non-numeric columns.
    SpecificationError
        An unknown construct or item.
    OptionError
        Fewer than two constructs, bad options.

    Notes
    -----
    With ``x_ct`` the score of construct c at wave t (wide column ``c_wt``):
    ``x_ct = mu_ct + RI_c + w_ct``, random intercepts ``RI_c`` (loadings 1 at every wave)
    with free variances and covariances; within components ``w_ct`` (``w_<c>_w<t>``, loading
    1, observed residual variance 0); ``w_ct = sum_d b_dc w_d,t-1 + u_ct`` with free
    wave-1 (co)variances and innovation (co)variances; intercepts ``mu_ct`` free; latent
    means 0. Labels ``ar_<c>`` (autoregression) and ``cl_<source>_<target>`` (cross-lag),
    suffixed ``_<t>`` when not time-invariant. With indicators, ``x_ct`` becomes a factor
    of the items at wave t with labelled loadings ``lam_<item>`` equal over time, item
    residual variances free, and random intercepts per item (``RI_<item>``) or per
    construct (``RI_<c>``).

    References
    ----------
    Hamaker, E. L., Kuiper, R. M. & Grasman, R. P. P. P. (2015). A critique of the
    cross-lagged panel model. Psychological Methods, 20, 102-116.
    Mulder, J. D. & Hamaker, E. L. (2021). Three extensions of the random intercept
    cross-lagged panel model. Structural Equation Modeling, 28, 638-648.

    Examples
    --------
    Mirrors ``lavaan(RICLPM, data = wide, meanstructure = TRUE, int.ov.free = TRUE)`` with
    the syntax of Hamaker et al. (``PanelFit.syntax`` prints ours):

    >>> fit = riclpm(long, ["mechanism", "results"], id="id", wave="wave")  # doctest: +SKIP
    >>> fit.feedback_test("results", ["mechanism"])  # doctest: +SKIP
    """
    check_arguments(riclpm, locals())
    return _fit_panel(
        "riclpm",
        data,
        constructs,
        id=id,
        wave=wave,
        indicators=indicators,
        random_intercepts=random_intercepts,
        time_invariant=time_invariant,
        estimator=estimator,
        missing=missing,
        sep=sep,
        min_waves=3,
    )


def clpm(
    data: pd.DataFrame,
    constructs: Sequence[str],
    *,
    id: str,
    wave: str,
    estimator: Estimator = "ML",
    missing: Missing = "listwise",
    indicators: Mapping[str, Sequence[str]] | None = None,
    time_invariant: bool = True,
    sep: str = DEFAULT_SEP,
) -> PanelFit:
    """Fit a cross-lagged panel model (CLPM) to long panel data.

    The CLPM is the RI-CLPM of :func:`riclpm` without the random intercepts, so the two are
    nested (:func:`compare_clpm_riclpm`). Parameters, returns and errors as :func:`riclpm`
    (two waves suffice).

    Notes
    -----
    ``x_ct = mu_ct + w_ct``, ``w_ct = sum_d b_dc w_d,t-1 + u_ct``: lagged regressions of the
    observed scores on the previous wave, with free wave-1 (co)variances and innovation
    (co)variances (equivalent to lavaan's ``x2 ~ x1 + y1`` CLPM with the default
    covariances).

    Examples
    --------
    Mirrors ``sem('mechanism2 ~ mechanism1 + results1 ...', data = wide)``:

    >>> fit = clpm(long, ["mechanism", "results"], id="id", wave="wave")  # doctest: +SKIP
    """
    check_arguments(clpm, locals())
    return _fit_panel(
        "clpm",
        data,
        constructs,
        id=id,
        wave=wave,
        indicators=indicators,
        random_intercepts="item",
        time_invariant=time_invariant,
        estimator=estimator,
        missing=missing,
        sep=sep,
        min_waves=2,
    )


# ---------------------------------------------------------------------- feedback test
@dataclass(frozen=True, eq=False)
class FeedbackTest:
    """Likelihood-ratio and Wald tests that a construct's cross-lags into others are zero.

    Attributes
    ----------
    source : str
        The construct whose feedback is tested.
    targets : tuple of str
        The constructs it feeds back into.
    chisq_diff, df_diff, pvalue : float, int, float
        Likelihood-ratio (chi-square difference) test against the model with those
        cross-lags fixed to 0; Satorra-Bentler (2001) scaled under MLR.
    wald_stat, wald_df, wald_pvalue : float, int, float
        Wald test of the same restriction with the model's sampling covariance (robust
        under MLR).
    method : str
        Difference-test method.
    parameters : tuple of str
        Labels of the restricted parameters.
    restricted : SEMResult
        The model with the cross-lags fixed to 0.
    """

    source: str
    targets: tuple[str, ...]
    chisq_diff: float
    df_diff: int
    pvalue: float
    wald_stat: float
    wald_df: int
    wald_pvalue: float
    method: str
    parameters: tuple[str, ...]
    restricted: SEMResult = field(repr=False)
    lrt: DifferenceTest = field(repr=False)

    def to_series(self) -> pd.Series:
        """``chisq_diff df_diff pvalue wald_stat wald_df wald_pvalue`` as a Series."""
        return pd.Series(
            {
                "chisq_diff": self.chisq_diff,
                "df_diff": float(self.df_diff),
                "pvalue": self.pvalue,
                "wald_stat": self.wald_stat,
                "wald_df": float(self.wald_df),
                "wald_pvalue": self.wald_pvalue,
            },
            name=f"{self.source} -> {', '.join(self.targets)}",
            dtype=float,
        )

    def __getitem__(self, key: str) -> float:
        return float(self.to_series()[key])


def feedback_test(
    fit: PanelFit, source: str, targets: str | Sequence[str] | None = None
) -> FeedbackTest:
    """Test whether ``source`` feeds back into ``targets`` (cross-lags fixed to 0).

    Parameters
    ----------
    fit : PanelFit
        A fitted :func:`riclpm` or :func:`clpm`.
    source : str
        The construct at wave t-1 (e.g. ``"results"``).
    targets : str or sequence of str, optional
        Constructs at wave t (e.g. ``["mechanism", "process"]``); default every other
        construct.

    Returns
    -------
    FeedbackTest

    Raises
    ------
    OptionError
        ``fit`` is not a PanelFit, or an unknown construct.
    ConvergenceError
        The restricted model did not converge.

    Notes
    -----
    The restricted model fixes every cross-lag ``source -> target`` (all waves) to 0 and is
    refitted from the full model's estimates. Likelihood-ratio test ``T0 - T1`` on the
    number of parameters removed (scaled by ``c_d = (df0 c0 - df1 c1)/(df0 - df1)`` under
    MLR; Satorra & Bentler 2001). Wald test ``W = b' (V_bb)^-1 b`` with ``b`` the cross-lag
    estimates and ``V_bb`` their sampling covariance.

    Examples
    --------
    Mirrors ``lavTestLRT(fit0, fit)`` and ``lavTestWald(fit, "arm == 0")``:

    >>> feedback_test(fit, "results", ["mechanism"]).to_series()  # doctest: +SKIP
    """
    check_arguments(feedback_test, locals())
    if not isinstance(fit, PanelFit):
        raise OptionError(
            f"fit={type(fit).__name__} is not accepted; give the result of riclpm() or clpm()"
        )
    cons = list(fit.constructs)
    if source not in cons:
        raise OptionError(f"source={source!r} is not a construct of the model; use one of {cons}")
    if targets is None:
        tgts = [c for c in cons if c != source]
    else:
        if not isinstance(targets, str | Sequence):
            raise OptionError(
                f"targets={targets!r} is not accepted; give a construct name or a list of them"
            )
        tgts = [targets] if isinstance(targets, str) else list(targets)
        bad = [t for t in tgts if t not in cons]
        if bad:
            raise OptionError(f"targets {bad} are not constructs of the model; use some of {cons}")
        if source in tgts:
            raise OptionError(
                f"targets include the source {source!r}; an autoregression is not feedback"
            )
        if not tgts:
            raise OptionError("targets is empty; name at least one construct")
    tgts = list(dict.fromkeys(tgts))
    chosen = [
        lag
        for lag in fit.lags
        if lag.kind == "cross-lagged" and lag.source == source and lag.target in tgts
    ]
    keys = {(lag.lhs, lag.rhs) for lag in chosen}
    zero = Modifier(fixed=(0.0,))
    spec0 = ModelSpec(
        tuple(
            Statement(s.lhs, s.op, s.rhs, zero, s.line)
            if s.op == "~" and (s.lhs, s.rhs) in keys
            else s
            for s in fit.spec.statements
        ),
        fit.spec.defined,
        fit.spec.constraints,
    )
    full = fit.fit
    pt0 = build_partable(
        spec0,
        n_groups=1,
        meanstructure=full.partable.meanstructure,
        auto=full.options.auto,
        fixed_x=full.options.fixed_x,
    )
    if pt0.observed != full.partable.observed:  # pragma: no cover - same statements
        raise SpecificationError("internal: restricted model changed the observed variables")
    from synergy_stats.panel.invariance import start_values_from

    restricted = fit_groups(
        spec0,
        pt0,
        list(full.group_data),
        full.options,
        group_labels=full.group_labels,
        n_dropped=full.n_dropped,
        start=start_values_from(pt0, full),
        check=False,
    )
    lrt = difference_test(restricted, full)
    # Wald test on the distinct free parameters of those cross-lags
    pt = full.partable
    idx: list[int] = []
    for r in range(len(pt)):
        if pt.op[r] == "~" and (pt.lhs[r], pt.rhs[r]) in keys and pt.free[r] > 0:
            k = int(pt.free[r]) - 1
            if k not in idx:
                idx.append(k)
    R = np.zeros((len(idx), full.theta.size))
    R[np.arange(len(idx)), idx] = 1.0
    wald = wald_test(full, R)
    names = full.parameter_names()
    return FeedbackTest(
        source=source,
        targets=tuple(tgts),
        chisq_diff=lrt.chisq_diff,
        df_diff=lrt.df_diff,
        pvalue=lrt.pvalue,
        wald_stat=wald.stat,
        wald_df=wald.df,
        wald_pvalue=wald.pvalue,
        method=lrt.method,
        parameters=tuple(names[k] for k in idx),
        restricted=restricted,
        lrt=lrt,
    )


# ---------------------------------------------------------------------- chi-bar-square
def _orthant(cov: np.ndarray, rng: np.random.Generator) -> float:
    """P(Z >= 0) for Z ~ N(0, cov)."""
    k = cov.shape[0]
    if k == 0:
        return 1.0
    sd = np.sqrt(np.diag(cov))
    r = cov / np.outer(sd, sd)
    if k == 1:
        return 0.5
    if k == 2:
        return 0.25 + math.asin(float(np.clip(r[0, 1], -1, 1))) / (2 * math.pi)
    if k == 3:
        s = sum(math.asin(float(np.clip(r[i, j], -1, 1))) for i, j in ((0, 1), (0, 2), (1, 2)))
        return 0.125 + s / (4 * math.pi)
    mvn = stats.multivariate_normal(
        mean=np.zeros(k),
        cov=r,
        allow_singular=True,
        seed=rng,
        maxpts=200000 * k,
        abseps=1e-7,
        releps=1e-7,
    )
    return float(mvn.cdf(np.zeros(k)))


def chibar_weights(cov: np.ndarray, *, seed: int = 20150101, draws: int = 100000) -> np.ndarray:
    """Chi-bar-square weights for a test of ``q`` parameters on the boundary (>= 0).

    Parameters
    ----------
    cov : (q, q) array
        Sampling covariance of the estimates of the bounded parameters.
    seed : int
        Seed of the numerical integration (q >= 4) or simulation (q > 6).
    draws : int
        Simulation draws when q > 6.

    Returns
    -------
    numpy.ndarray
        ``w[0..q]``: ``w[i]`` is the probability that the projection of ``Z ~ N(0, cov)`` on
        the non-negative orthant (in the metric of ``cov^-1``) has ``i`` positive
        coordinates.

    Notes
    -----
    Kudo (1963); Shapiro (1985); Silvapulle & Sen (2005, Prop. 3.6.1):

    ``w_i = sum_{|A| = i} P(N(0, V_AA.A') >= 0) P(N(0, (V_A'A')^-1) >= 0)``

    with ``A'`` the complement of ``A`` and ``V_AA.A' = V_AA - V_AA' V_A'A'^-1 V_A'A``.
    Orthant probabilities are exact for up to three dimensions (``1/4 + asin(r)/(2 pi)``;
    ``1/8 + sum asin(r_ij)/(4 pi)``) and by Genz's algorithm (scipy) beyond; for ``q > 6``
    the weights are the frequencies over ``draws`` simulated projections (non-negative least
    squares).
    """
    V = np.atleast_2d(np.asarray(cov, dtype=float))
    q = V.shape[0]
    rng = make_rng(seed)
    if q > 6:
        from scipy.optimize import nnls

        W = np.linalg.cholesky(np.linalg.inv(V)).T  # W'W = V^-1
        Z = normal_draws(rng, np.zeros(q), V, draws)
        counts = np.zeros(q + 1)
        for z in Z:
            x, _ = nnls(W, W @ z)
            counts[int(np.sum(x > 1e-10))] += 1
        return counts / draws
    w = np.zeros(q + 1)
    full = list(range(q))
    for size in range(q + 1):
        for A in itertools.combinations(full, size):
            B = [i for i in full if i not in A]
            a = list(A)
            if B:
                vbb = V[np.ix_(B, B)]
                cond = V[np.ix_(a, a)] - V[np.ix_(a, B)] @ np.linalg.solve(vbb, V[np.ix_(B, a)])
                p = _orthant(cond, rng) * _orthant(np.linalg.inv(vbb), rng)
            else:
                p = _orthant(V, rng)
            w[size] += p
    return w / w.sum()


@dataclass(frozen=True, eq=False)
class ChiBarSquareTest:
    """CLPM against RI-CLPM: the chi-bar-square test of the random intercepts.

    Attributes
    ----------
    chisq_diff : float
        ``T_CLPM - T_RICLPM`` (scaled difference under MLR).
    df_diff : int
        Parameters removed by dropping the random intercepts (variances and covariances).
    q : int
        Random-intercept variances (the parameters on the boundary).
    weights : tuple of float
        Mixture weights ``w_0..w_q``.
    mixture_df : tuple of int
        Degrees of freedom of the mixture components, ``df_diff - q + i``.
    pvalue : float
        ``sum_i w_i P(chi2_(df_diff - q + i) > T)``.
    pvalue_naive : float
        The ordinary chi-square p-value on ``df_diff`` (too conservative).
    """

    chisq_diff: float
    df_diff: int
    q: int
    weights: tuple[float, ...]
    mixture_df: tuple[int, ...]
    pvalue: float
    pvalue_naive: float

    def to_series(self) -> pd.Series:
        """``chisq_diff df_diff pvalue pvalue_naive`` as a Series."""
        return pd.Series(
            {
                "chisq_diff": self.chisq_diff,
                "df_diff": float(self.df_diff),
                "pvalue": self.pvalue,
                "pvalue_naive": self.pvalue_naive,
            },
            name="chi-bar-square",
            dtype=float,
        )


def compare_clpm_riclpm(clpm_fit: PanelFit, riclpm_fit: PanelFit) -> ChiBarSquareTest:
    """Chi-bar-square test of the CLPM against the RI-CLPM (are there stable differences?).

    Parameters
    ----------
    clpm_fit : PanelFit
        :func:`clpm` on the data.
    riclpm_fit : PanelFit
        :func:`riclpm` on the same data, constructs, waves and options.

    Returns
    -------
    ChiBarSquareTest

    Raises
    ------
    OptionError
        The fits are not a CLPM and an RI-CLPM of the same model and data.

    Notes
    -----
    The CLPM is the RI-CLPM with the random-intercept covariance matrix fixed to zero, so
    ``q`` variances lie on the boundary of the parameter space and the likelihood-ratio
    statistic is not chi-square on ``df_diff`` degrees of freedom but a mixture (Stoel,
    Garre, Dolan & van den Wittenboer 2006; Hamaker, Kuiper & Grasman 2015):

    ``p = sum_{i=0}^{q} w_i P(chi2_{df_diff - q + i} > T)``

    with the chi-bar-square weights ``w_i`` of :func:`chibar_weights` computed from the
    sampling covariance of the ``q`` random-intercept variance estimates of the RI-CLPM, as
    in Kuiper's ``ChiBarSq.DiffTest`` (the covariances among the random intercepts are
    counted in every component). A component with 0 df is a point mass at 0.

    References
    ----------
    Stoel, R. D., Garre, F. G., Dolan, C. & van den Wittenboer, G. (2006). On the likelihood
    ratio test in structural equation modeling when parameters are subject to boundary
    constraints. Psychological Methods, 11, 439-455.
    Hamaker, E. L., Kuiper, R. M. & Grasman, R. P. P. P. (2015). Psychological Methods, 20,
    102-116.

    Examples
    --------
    Mirrors ``ChiBarSq.DiffTest(q, S, Chi2_clpm, Chi2_riclpm, df_clpm, df_riclpm)``.
    """
    check_arguments(compare_clpm_riclpm, locals())
    for name, f, kind in (("clpm_fit", clpm_fit, "clpm"), ("riclpm_fit", riclpm_fit, "riclpm")):
        if not isinstance(f, PanelFit) or f.kind != kind:
            raise OptionError(f"{name} must be the result of {kind}()")
    same = (
        clpm_fit.constructs == riclpm_fit.constructs
        and clpm_fit.waves == riclpm_fit.waves
        and clpm_fit.fit.nobs == riclpm_fit.fit.nobs
        and clpm_fit.time_invariant == riclpm_fit.time_invariant
        and clpm_fit.indicators == riclpm_fit.indicators
        and clpm_fit.fit.options.estimator == riclpm_fit.fit.options.estimator
    )
    if not same:
        raise OptionError(
            "clpm_fit and riclpm_fit must be fitted to the same data with the same "
            "constructs, waves, indicators, time_invariant and estimator"
        )
    test = difference_test(clpm_fit.fit, riclpm_fit.fit)
    t, m = test.chisq_diff, test.df_diff
    full = riclpm_fit.fit
    pt = full.partable
    var_idx = []
    for ri in riclpm_fit.random_intercepts:
        rows = [
            r
            for r in range(len(pt))
            if pt.op[r] == "~~" and pt.lhs[r] == ri and pt.rhs[r] == ri and pt.free[r] > 0
        ]
        var_idx.append(int(pt.free[rows[0]]) - 1)
    q = len(var_idx)
    V = full.vcov_matrix[np.ix_(var_idx, var_idx)]
    w = chibar_weights(V)
    dfs = tuple(m - q + i for i in range(q + 1))
    if not np.isfinite(t):
        p = float("nan")
    else:
        p = float(
            sum(
                wi * (stats.chi2.sf(t, d) if d > 0 else float(t <= 0))
                for wi, d in zip(w, dfs, strict=True)
            )
        )
    return ChiBarSquareTest(
        chisq_diff=t,
        df_diff=m,
        q=q,
        weights=tuple(float(x) for x in w),
        mixture_df=dfs,
        pvalue=p,
        pvalue_naive=float(stats.chi2.sf(t, m)) if np.isfinite(t) else float("nan"),
    )
