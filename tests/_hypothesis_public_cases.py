"""The calls of tests/test_hypothesis_public.py: one valid base call per public function.

Each :class:`Case` builds the keyword arguments of a call that works, from small data made
once per session (:func:`objects`). The property test then replaces some of them with
hostile values and checks the contract. Nothing here calls R or reads a network resource.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import synergy_stats as ss

DATA = Path(__file__).parent / "data"

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
MED_MODEL = (
    "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"
    "textual ~ a*visual\nspeed ~ b*textual + visual\nind := a*b"
)
HS_SPEC = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]}
INSTRUMENT = "synergy-execution"


@dataclass(frozen=True)
class Case:
    """A public function and a working call of it.

    Attributes
    ----------
    func : callable
        The public function (``getattr(synergy_stats, name)``).
    base : callable
        Returns the keyword arguments of a call that works (fresh objects every time).
    frames : tuple of str
        Keywords holding a DataFrame that the test may replace by a hostile frame.
    bounded : tuple of str
        Keywords whose value scales the run time (draws, replications, n): hostile values
        for them never include large valid counts.
    skip : tuple of str
        Keywords the test leaves at their base value, with the reason in ``why``.
    extra : mapping
        Keyword -> plausible values specific to this function (valid choices, near misses).
    slow : bool
        The call fits models: fewer examples.
    """

    func: Callable[..., Any]
    base: Callable[[], dict[str, Any]]
    frames: tuple[str, ...] = ()
    bounded: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    why: str = ""
    extra: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    slow: bool = False


@functools.cache
def objects() -> dict[str, Any]:
    """Small data and results shared by the cases (built once; never handed out mutable)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
        items = hs[[f"x{i}" for i in range(1, 10)]].head(120).reset_index(drop=True)
        grouped = items.assign(g=np.where(np.arange(len(items)) % 2 == 0, "P", "G"))
        rng = np.random.default_rng(11)
        n = 60
        reg = pd.DataFrame(
            {
                "y": rng.normal(size=n),
                "x": rng.normal(size=n),
                "z": rng.normal(size=n),
                "g": np.repeat(np.arange(12), 5),
            }
        )
        reg["b"] = (reg["y"] + rng.normal(size=n) > 0).astype(int)
        reg["o"] = pd.cut(reg["y"], [-np.inf, -0.5, 0.5, np.inf], labels=False).astype(int)
        likert = pd.DataFrame(
            rng.integers(1, 6, size=(n, 4)), columns=["l1", "l2", "l3", "l4"]
        ).assign(g=reg["g"])
        export = pd.DataFrame(
            {
                "序号": np.arange(1, n + 1),
                "所用时间": [f"{60 + k}秒" for k in range(n)],
                "1、(上级检查考核压力大)": rng.integers(1, 6, n),
                "2、(安全生产事故带来很大压力)": rng.integers(1, 6, n),
                "3、(部门之间配合顺畅)": rng.integers(1, 6, n),
            }
        )
        example = ss.simulate_example(n_departments=4, n_staff=40, waves=2, seed=3)
        survey = ss.read_survey(
            example, INSTRUMENT, id="respondent_id", wave="wave", group="department"
        )
        scores = ss.score(INSTRUMENT, survey)
        fit = ss.cfa(HS_MODEL, items)
        med = ss.sem(MED_MODEL, items)
        boot = ss.bootstrap(med, draws=12, seed=1)
        eff = ss.indirect_effects_table(med, boot)
        rel = ss.reliability(HS_SPEC, items, cfa=False)
        panel = ss.simulate_riclpm(
            80, ["m", "r"], 3, lags={("r", "m"): 0.2, ("m", "r"): 0.1}, seed=2
        )
        clpm_fit = ss.clpm(panel, ["m", "r"], id="id", wave="wave")
        ri_fit = ss.riclpm(panel, ["m", "r"], id="id", wave="wave")
        ladder = ss.measurement_invariance(
            "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6",
            grouped,
            group="g",
            levels=("configural", "metric"),
            partial=False,
        )
        ols = ss.regress("y ~ x + z", reg)
        pa = ss.parallel_analysis(items, n_iter=3, seed=1)
        htmt = ss.htmt(HS_SPEC, items)
        mb = ss.method_bias(HS_SPEC, items, ulmc=False)
        pw = ss.power("y ~ 0.3*x", 40, replications=4, seed=1)
    return {
        "items": items,
        "grouped": grouped,
        "reg": reg,
        "likert": likert,
        "example": example,
        "export": export,
        "inst": ss.load_instrument(INSTRUMENT),
        "survey": survey,
        "scores": scores,
        "fit": fit,
        "med": med,
        "boot": boot,
        "effects": eff,
        "rel": rel,
        "panel": panel,
        "clpm": clpm_fit,
        "riclpm": ri_fit,
        "ladder": ladder,
        "ols": ols,
        "pa": pa,
        "htmt": htmt,
        "mb": mb,
        "power": pw,
    }


def _o(key: str) -> Any:
    return objects()[key]


def _copy(key: str) -> pd.DataFrame:
    return _o(key).copy(deep=True)


def _figure() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, 1])
    return fig


def cases() -> dict[str, Case]:
    """Public function name -> its case."""
    items = ("data",)
    return {
        # ---------------------------------------------------------------- instruments
        "load_instrument": Case(ss.load_instrument, lambda: {"name_or_path": INSTRUMENT}),
        "list_instruments": Case(ss.list_instruments, dict),
        # ---------------------------------------------------------------------- intake
        "read_survey": Case(
            ss.read_survey,
            lambda: {
                "source": _copy("example"),
                "instrument": INSTRUMENT,
                "id": "respondent_id",
                "wave": "wave",
                "group": "department",
            },
            frames=("source",),
            extra={
                "platform": ("wjx", "tencent", "qualtrics", "WJX", "sojump"),
                "wave_order": ([1, 2], [2, 1], [1], ["1", "2"], [1, 1, 2]),
                "metadata": ({"duration": "tenure_years"}, {"speed": "wave"}),
                "covariates": ("gender", ["gender", "rank"], ["nope"]),
                "sheet": (0, "Sheet1", -1),
            },
        ),
        "validate": Case(
            ss.validate,
            lambda: {
                "instrument": INSTRUMENT,
                "data": _copy("example"),
                "id": "respondent_id",
                "wave": "wave",
                "group": "department",
            },
            frames=items,
            extra={
                "max_missing_item": (0.0, 1.0, 0.3),
                "straight_lining_items": (2, 100),
                "min_seconds_per_item": (0.0, 5.0, None),
            },
        ),
        "score": Case(
            ss.score,
            lambda: {"instrument": INSTRUMENT, "data": _o("survey")},
            extra={"method": ("mean", "sum", "median"), "min_items": (0.0, 1.0, 0.5, 3)},
        ),
        "reverse_code": Case(
            ss.reverse_code, lambda: {"instrument": INSTRUMENT, "data": _o("survey")}
        ),
        "draft_instrument": Case(
            ss.draft_instrument,
            lambda: {"export": _copy("export")},
            frames=("export",),
            extra={
                "scale": ("agree5", {1: "no", 2: "yes"}, "nope"),
                "path": ("codebook.yaml", "sentinel.txt"),
                "overwrite": (True, False),
            },
        ),
        "simulate_example": Case(
            ss.simulate_example,
            lambda: {"n_departments": 3, "n_staff": 20, "waves": 2, "seed": 1},
            bounded=("n_departments", "n_staff", "waves"),
        ),
        "load_example": Case(ss.load_example, dict),
        # ------------------------------------------------------------------ SEM core
        "parse_model": Case(
            ss.parse_model,
            lambda: {"text": MED_MODEL},
            extra={"text": ("f =~ x1 + ", "y ~~ ", "a := b*", "f =~ 1*x1 + NA*x2", "")},
        ),
        "measurement_model": Case(
            ss.measurement_model,
            lambda: {"instrument": INSTRUMENT},
            extra={"constructs": ("env_pressure", ["nope"]), "levels": (1, 2, 3)},
        ),
        "structural_model": Case(
            ss.structural_model,
            lambda: {"instrument": INSTRUMENT},
            extra={"paths": ("a -> b", ["x -> y"]), "indirect": (True, False, ["nope"])},
        ),
        "sem": Case(
            ss.sem,
            lambda: {"model": MED_MODEL, "data": _copy("items")},
            frames=items,
            extra=_SEM_OPTIONS,
            slow=True,
        ),
        "cfa": Case(
            ss.cfa,
            lambda: {"model": HS_MODEL, "data": _copy("items")},
            frames=items,
            extra=_SEM_OPTIONS,
            slow=True,
        ),
        "polychoric": Case(
            ss.polychoric,
            lambda: {"data": _copy("likert")[["l1", "l2", "l3"]]},
            frames=items,
            extra={"columns": (["l1", "l2"], ["l1", "nope"]), "ordered": (["l1"], True)},
        ),
        # ----------------------------------------------------------------- inference
        "bootstrap": Case(
            ss.bootstrap,
            lambda: {"fit": _o("med"), "draws": 5, "seed": 1},
            bounded=("draws",),
            extra={"fit_measures": (("chisq",), ("nope",), ()), "bollen_stine": (True,)},
            slow=True,
        ),
        "effects": Case(
            ss.effects,
            lambda: {"fit": _o("med"), "draws": 5, "seed": 1},
            bounded=("draws",),
            extra={
                "source": ("visual", ["visual"], "x1", "nope"),
                "target": ("speed", "nope"),
                "ci": ("delta", "bootstrap", "monte_carlo", "boot"),
                "boot": (None,),
                "draws": (5, 50),
                "boot_method": ("percentile", "bca", "basic"),
            },
        ),
        "monte_carlo_ci": Case(
            ss.monte_carlo_ci,
            lambda: {"fit": _o("med"), "draws": 50, "seed": 1},
            bounded=("draws",),
        ),
        "indirect_effects_table": Case(
            ss.indirect_effects_table,
            lambda: {"fit": _o("med"), "boot": _o("boot")},
            extra={"method": ("percentile", "bca", "norm")},
        ),
        # ---------------------------------------------------------------- regression
        "regress": Case(
            ss.regress,
            lambda: {"formula": "y ~ x + z", "data": _copy("reg")},
            frames=items,
            extra=_REG_OPTIONS | {"weights": ("x", "g", "nope")},
        ),
        "logit": Case(
            ss.logit,
            lambda: {"formula": "b ~ x", "data": _copy("reg")},
            frames=items,
            extra=_REG_OPTIONS,
        ),
        "probit": Case(
            ss.probit,
            lambda: {"formula": "b ~ x", "data": _copy("reg")},
            frames=items,
            extra=_REG_OPTIONS,
        ),
        "ordered_logit": Case(
            ss.ordered_logit,
            lambda: {"formula": "o ~ x", "data": _copy("reg")},
            frames=items,
            extra={"formula": _FORMULAS, "distr": ("logit", "probit", "cloglog")},
        ),
        "mixedlm": Case(
            ss.mixedlm,
            lambda: {"formula": "y ~ x", "data": _copy("reg"), "groups": "g"},
            frames=items,
            extra={"formula": _FORMULAS, "groups": ("g", "x", "nope"), "reml": (True, False)},
        ),
        "icc": Case(
            ss.icc,
            lambda: {"data": _copy("reg"), "value": "y", "group": "g"},
            frames=items,
            extra=_CLUSTER_OPTIONS,
        ),
        "design_effect": Case(
            ss.design_effect,
            lambda: {"icc1": 0.1, "mean_cluster_size": 5.0},
            extra={"icc1": (-0.5, 1.5, 0.0, 1.0), "mean_cluster_size": (0.5, 1.0, 1e12)},
        ),
        "rwg": Case(
            ss.rwg,
            lambda: {"data": _copy("likert"), "group": "g", "value": "l1"},
            frames=items,
            extra=_CLUSTER_OPTIONS
            | {
                "items": (["l1", "l2"], ["nope"]),
                "scale_points": (2, 5, 7, 1),
                "null": ("uniform", "slight_skew", 2.0, -1.0),
            },
        ),
        "rwg_j": Case(
            ss.rwg_j,
            lambda: {"data": _copy("likert"), "items": ["l1", "l2", "l3"], "group": "g"},
            frames=items,
            extra=_CLUSTER_OPTIONS
            | {"scale_points": (2, 5, 1), "null": ("uniform", "triangular", 0.0)},
        ),
        # ------------------------------------------------------------ nested data
        "validate_cluster": Case(
            ss.validate_cluster,
            lambda: {"data": _copy("reg"), "cluster": "g"},
            frames=items,
            extra={"cluster": ("g", "y", "nope"), "min_clusters": (2, 50, 0, -1)},
        ),
        "item_icc": Case(
            ss.item_icc,
            lambda: {"data": _copy("likert"), "items": ["l1", "l2"], "cluster": "g"},
            frames=items,
            extra={"items": (["l1"], ["l1", "l1"], ["nope"], []), "cluster": ("g", "l3")},
            slow=True,
        ),
        # --------------------------------------------------------------------- tables
        "regression_table": Case(
            ss.regression_table,
            lambda: {"models": [_o("ols")]},
            extra=_TABLE_OPTIONS
            | {
                "statistic": ("se", "t", "p", "ci", "none"),
                "layout": ("below", "beside", "side"),
                "fit": (["r2", "n"], ["nope"]),
                "add_rows": ([("FE", ["yes"])], [("FE", [])]),
                "coef_map": ({"x": "X"}, {"x": 1}),
            },
        ),
        "fit_table": Case(
            ss.fit_table,
            lambda: {"models": {"cfa": _o("fit")}},
            extra=_TABLE_OPTIONS | {"measures": (["cfi"], ["nope"], []), "scaled": (True,)},
        ),
        "paths_table": Case(
            ss.paths_table,
            lambda: {"result": _o("med")},
            extra=_TABLE_OPTIONS | {"hypotheses": ({"H1": "textual ~ visual"}, ["H1"])},
        ),
        "measurement_table": Case(
            ss.measurement_table,
            lambda: {"result": _o("fit"), "reliability": _o("rel")},
            extra=_TABLE_OPTIONS | {"items": ("code", "wording", "code_wording", "nope")},
        ),
        "discriminant_table": Case(
            ss.discriminant_table,
            lambda: {"matrix": _o("htmt").copy(), "kind": "htmt"},
            frames=("matrix",),
            extra=_TABLE_OPTIONS | {"kind": ("htmt", "fornell_larcker", "hmtm")},
        ),
        "indirect_table": Case(
            ss.indirect_table,
            lambda: {"effects": _o("effects").copy()},
            frames=("effects",),
            extra=_TABLE_OPTIONS | {"method": ("percentile", "bca"), "failed": (0, 3, -1)},
        ),
        "invariance_table": Case(
            ss.invariance_table,
            lambda: {"ladder": _o("ladder").table()},
            frames=("ladder",),
            extra=_TABLE_OPTIONS,
        ),
        "method_bias_table": Case(
            ss.method_bias_table, lambda: {"result": _o("mb")}, extra=_TABLE_OPTIONS
        ),
        "correlation_table": Case(
            ss.correlation_table,
            lambda: {"scores": _copy("items")[["x1", "x2", "x3"]]},
            frames=("scores",),
            extra=_TABLE_OPTIONS
            | {
                "variables": (["x1", "x2"], ["x1", "nope"], ["x1", "x1"]),
                "reliability": ({"x1": 0.8}, {"x1": "high"}),
                "diagonal": ("alpha", "omega", "none", "nope"),
            },
        ),
        "item_table": Case(
            ss.item_table,
            lambda: {"data": _o("survey").data.copy(), "instrument": _o("inst")},
            frames=items,
            extra=_TABLE_OPTIONS
            | {
                "constructs": (["env_pressure"], ["nope"]),
                "items": ("code", "code_wording", "wording", "nope"),
                "skew_type": (1, 2, 3, 4),
            },
        ),
        "lags_table": Case(
            ss.lags_table,
            lambda: {"result": _o("riclpm")},
            extra=_TABLE_OPTIONS | {"construct_of": (str.upper, len)},
        ),
        # ---------------------------------------------------------- groups and waves
        "measurement_invariance": Case(
            ss.measurement_invariance,
            lambda: {
                "spec": "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6",
                "data": _copy("grouped"),
                "group": "g",
                "levels": ("configural", "metric"),
                "partial": False,
            },
            frames=items,
            extra={
                "levels": (("configural",), ("metric", "configural"), ("strict",), ()),
                "group": ("g", "x1", "nope"),
                "min_invariant": (0, 1, 2, 99),
                "max_free": (0, 1, -1),
            },
            slow=True,
        ),
        "clpm": Case(
            ss.clpm,
            lambda: {
                "data": _copy("panel"),
                "constructs": ["m", "r"],
                "id": "id",
                "wave": "wave",
            },
            frames=items,
            extra=_PANEL_OPTIONS,
            slow=True,
        ),
        "riclpm": Case(
            ss.riclpm,
            lambda: {
                "data": _copy("panel"),
                "constructs": ["m", "r"],
                "id": "id",
                "wave": "wave",
            },
            frames=items,
            extra=_PANEL_OPTIONS | {"random_intercepts": ("item", "construct", "none")},
            slow=True,
        ),
        "feedback_test": Case(
            ss.feedback_test,
            lambda: {"fit": _o("riclpm"), "source": "r"},
            extra={"source": ("r", "m", "nope"), "targets": (["m"], ["nope"], [], "m")},
        ),
        "compare_clpm_riclpm": Case(
            ss.compare_clpm_riclpm,
            lambda: {"clpm_fit": _o("clpm"), "riclpm_fit": _o("riclpm")},
            extra={"clpm_fit": (None,), "riclpm_fit": (None,)},
        ),
        "simulate_riclpm": Case(
            ss.simulate_riclpm,
            lambda: {
                "n": 30,
                "constructs": ["m", "r"],
                "waves": 3,
                "lags": {("r", "m"): 0.2},
                "seed": 1,
            },
            bounded=("n", "waves", "indicators"),
            extra={
                "lags": ({("r", "nope"): 0.2}, {("r", "m"): 5.0}, np.zeros((2, 2)), {}),
                "constructs": (["m"], ["m", "m"], []),
                "attrition": (0.0, 0.5, 1.0, -0.1),
            },
        ),
        # ----------------------------------------------------- measurement quality
        "reliability": Case(
            ss.reliability,
            lambda: {"spec": HS_SPEC, "data": _copy("items"), "cfa": False},
            frames=items,
            extra=_MEASURE_OPTIONS | {"level": (0.95, 0.5, 1.0, 0.0)},
        ),
        "item_statistics": Case(
            ss.item_statistics,
            lambda: {"spec": HS_SPEC, "data": _copy("items"), "cfa": False},
            frames=items,
            extra=_MEASURE_OPTIONS | {"skew_type": (1, 2, 3, 0)},
        ),
        "htmt": Case(
            ss.htmt,
            lambda: {"spec": HS_SPEC, "data": _copy("items")},
            frames=items,
            bounded=("n_boot",),
            extra=_MEASURE_OPTIONS
            | {"method": ("geometric", "arithmetic", "mean"), "ci": (0.9, 1.5), "n_boot": (5,)},
        ),
        "fornell_larcker": Case(
            ss.fornell_larcker,
            lambda: {"spec": HS_SPEC, "data": _copy("items")},
            frames=items,
            extra=_MEASURE_OPTIONS,
            slow=True,
        ),
        "cross_loadings": Case(
            ss.cross_loadings,
            lambda: {"spec": HS_SPEC, "data": _copy("items")},
            frames=items,
            extra=_MEASURE_OPTIONS,
        ),
        "kmo": Case(
            ss.kmo,
            lambda: {"data": _copy("items")},
            frames=items,
            extra={"missing": ("pairwise", "listwise", "fiml")},
        ),
        "bartlett": Case(
            ss.bartlett,
            lambda: {"data": _copy("items")},
            frames=items,
            extra={"missing": ("pairwise", "listwise", "fiml")},
        ),
        "efa": Case(
            ss.efa,
            lambda: {"data": _copy("items"), "n_factors": 2},
            frames=items,
            bounded=("max_iter",),
            extra={
                "n_factors": (1, 3, 9, 0, 20),
                "method": ("minres", "ml", "pa", "uls", "nope"),
                "rotation": ("oblimin", "varimax", "promax", "none", "geomin"),
                "missing": ("pairwise", "listwise"),
            },
        ),
        "parallel_analysis": Case(
            ss.parallel_analysis,
            lambda: {"data": _copy("items"), "n_iter": 3, "seed": 1},
            frames=items,
            bounded=("n_iter",),
            extra={"method": ("minres", "pca", "ml"), "quantile": (0.5, 0.95, 1.0, 0.0)},
        ),
        "method_bias": Case(
            ss.method_bias,
            lambda: {"spec": HS_SPEC, "data": _copy("items"), "ulmc": False},
            frames=items,
            extra={
                "marker": ("x9", ["x8", "x9"], "x1", "nope", []),
                "missing": ("listwise", "fiml", "pairwise"),
                "ulmc": (False,),
            },
            skip=("ulmc",),
            why="ulmc=True fits a 2-factor-plus-method model (1 s); covered by test_method_bias",
            slow=True,
        ),
        # -------------------------------------------------------------------- figures
        "plot_path": Case(
            ss.plot_path,
            lambda: {"fit": _o("med")},
            extra={"what": ("std", "est", "std_all", "nope"), "digits": (0, 2, 10, -1)},
            slow=True,
        ),
        "plot_riclpm": Case(
            ss.plot_riclpm,
            lambda: {"ri": _o("riclpm")},
            extra={
                "feedback": ([("r", "m")], "r", [("nope", "m")]),
                "what": ("std", "est", "nope"),
            },
            slow=True,
        ),
        "plot_likert": Case(
            ss.plot_likert,
            lambda: {"data": _o("survey"), "inst": INSTRUMENT},
            extra={"by": ("wave", "department", "nope"), "constructs": (["env_pressure"], [])},
            slow=True,
        ),
        "plot_parallel": Case(ss.plot_parallel, lambda: {"pa": _o("pa")}, slow=True),
        "plot_matrix": Case(
            ss.plot_matrix,
            lambda: {"matrix": _o("htmt").copy()},
            frames=("matrix",),
            extra={"kind": ("auto", "htmt", "corr", "cov")},
            slow=True,
        ),
        "plot_invariance": Case(
            ss.plot_invariance,
            lambda: {"ladder": _o("ladder")},
            extra={"cfi_cut": (-0.01, 0.0, 1.0), "rmsea_cut": (0.015, -1.0)},
            slow=True,
        ),
        "plot_bootstrap": Case(
            ss.plot_bootstrap,
            lambda: {"boot": _o("boot"), "effect": "ind"},
            bounded=("bins",),
            extra={
                "effect": ("ind", "a", "nope", "textual~visual"),
                "methods": (("percentile",), ("bca",), ("nope",), ()),
                "bins": (1, 5, 0, -3),
            },
            slow=True,
        ),
        "plot_coefficients": Case(
            ss.plot_coefficients,
            lambda: {"models": {"OLS": _o("ols")}},
            extra={"terms": (["x"], ["nope"], []), "intercept": (True,)},
            slow=True,
        ),
        "save_figure": Case(
            ss.save_figure,
            lambda: {"fig": _figure(), "path": "figure_out"},
            bounded=("dpi",),
            extra={
                "path": ("sentinel.txt", "figure_out.png", "sub/dir/fig", ""),
                "formats": (["png"], ["svg", "pdf"], ["bmp"], []),
                "dpi": (10, 0, -5),
                "overwrite": (True, False),
            },
            slow=True,
        ),
        "plot_power": Case(
            ss.plot_power,
            lambda: {"result": _o("power")},
            extra={"targets": (["nope"], []), "power": (0.8, 0.0, 1.5, None)},
            slow=True,
        ),
        # ------------------------------------------------------------ simulation, power
        "simulate_data": Case(
            ss.simulate_data,
            lambda: {"model": "f =~ .7*x1 + .7*x2 + .7*x3", "n": 20, "seed": 1},
            bounded=("n", "clusters", "likert"),
            extra={
                "model": ("f =~ x1 + x2", "y ~ 0.5*x", "f =~ 2*x1 + 2*x2"),
                "group_sizes": ([10, 10], [0, 5], [-1]),
                "clusters": (4, 1, 0),
                "icc": (0.1, 1.5, -0.1, {"x1": 0.2}),
                "skewness": (1.0, 50.0, {"x1": 1.0}),
                "kurtosis": (1.0, -5.0),
                "likert": (5, 2, 1),
                "thresholds": ([-1.0, 1.0], [1.0, -1.0]),
                "proportions": ("symmetric", "skewed", [0.5, 0.5], [2.0, -1.0]),
                "ordered": (["x1"], ["nope"]),
                "missing": (0.1, 1.0, -0.1, {"x1": 0.5}),
            },
        ),
        "rmsea_power": Case(
            ss.rmsea_power,
            lambda: {"df": 10, "n": 200, "rmsea0": 0.05, "rmsea1": 0.08},
            extra={"df": (0, 1, 1e9), "n": (np.array([100, 200]), 1, 1e12)},
        ),
        "rmsea_sample_size": Case(
            ss.rmsea_sample_size,
            lambda: {"df": 10, "rmsea0": 0.05, "rmsea1": 0.08},
            extra={"rmsea1": (0.05, 0.049, 1.0), "power": (0.999999, 0.01)},
        ),
        "power": Case(
            ss.power,
            lambda: {"population": "y ~ 0.3*x", "n": 30, "replications": 2, "seed": 1},
            bounded=("n", "replications", "ci_draws", "chunk_size"),
            skip=("n_jobs", "client"),
            why="n_jobs > 1 and a dask client start worker processes; see test_dask",
            extra={
                "population": ("y ~ x", "f =~ x1", "y ~ 0.3*nope + "),
                "targets": (["y~x"], "y~x", ["nope"]),
                "ci": ("delta", "monte_carlo", "bootstrap", "nope"),
                "fit_options": ({"estimator": "MLR"}, {"nope": 1}),
                "data_options": ({"skewness": 1.0}, {"nope": 1}),
                "checkpoint": ("power.ckpt", "sentinel.txt"),
            },
            slow=True,
        ),
        "power_riclpm": Case(
            ss.power_riclpm,
            lambda: {
                "n": 40,
                "lags": {("results", "mechanism"): 0.15},
                "replications": 1,
                "seed": 1,
            },
            bounded=("n", "replications", "waves", "chunk_size"),
            skip=("n_jobs", "client"),
            why="n_jobs > 1 and a dask client start worker processes; see test_dask",
            extra={
                "feedback_source": ("results", "mechanism", "nope"),
                "feedback_targets": (["mechanism"], ["nope"]),
                "checkpoint": ("power.ckpt", "sentinel.txt"),
            },
            slow=True,
        ),
    }


_SEM_OPTIONS: dict[str, tuple[Any, ...]] = {
    "estimator": ("ML", "MLR", "MLM", "GLS", "WLSMV", "ULS", "DWLS", "ml", "Bayes"),
    "missing": ("listwise", "fiml", "ml", "pairwise", "FIML"),
    "meanstructure": (True, False, None),
    "group": ("x1", "nope"),
    "group_equal": (("loadings",), ("intercepts", "loadings"), ("nope",)),
    "group_partial": (("visual =~ x2",), ("nope",)),
    "std_lv": (True, False),
    "auto": (True, False),
    "fixed_x": (True, False),
    "level": (0.9, 0.0, 1.0, 95),
    "engine": ("numpy", "semopy", "lavaan"),
    "se": (True, False, "robust"),
    "ordered": (True, ["x1"], ["nope"], False),
    "parameterization": ("delta", "theta", "gamma"),
    "cluster": ("x1", "nope"),
    "missing_cluster": ("error", "drop", "keep"),
}
_FORMULAS = ("y ~ x", "y ~ nope", "y ~ x +", "~ x", "y ~ C(g)", "y ~ np.log(x)", "y ~ 1", "")
_REG_OPTIONS: dict[str, tuple[Any, ...]] = {
    "formula": _FORMULAS,
    "cov_type": ("nonrobust", "HC1", "HC3", "cluster", "robust", "HAC"),
    "cluster": ("g", "x", "nope"),
}
_CLUSTER_OPTIONS: dict[str, tuple[Any, ...]] = {
    "value": ("y", "l1", "x", "nope", "g"),
    "group": ("g", "y", "nope"),
    "missing_cluster": ("error", "drop", "keep"),
}
_TABLE_OPTIONS: dict[str, tuple[Any, ...]] = {
    "style": ("apa", "cn", "nope", "APA"),
    "stars": (True, False, {"*": 0.05}, {"*": 2.0}),
    "labels": ({"x1": "X one"}, {"x1": 1}),
    "instrument": (INSTRUMENT, "nope"),
    "caption": ("A caption", "", "<b>&</b>"),
    "number": (1, 0, -1),
    "label": ("tab:a", ""),
    "notes": (["n"], "a note", [1]),
    "digits": (0, 3, -1, 12),
    "level": (0.9, 1.0),
    "alpha": (0.05, 0.0, 1.0),
    "r2": (True, False),
    "threshold": (0.85, 0.0, -1.0),
    "draws": (0, 10, -1),
}
_PANEL_OPTIONS: dict[str, tuple[Any, ...]] = {
    "constructs": (["m"], ["m", "m"], ["m", "nope"], []),
    "id": ("id", "wave", "nope"),
    "wave": ("wave", "id", "nope"),
    "estimator": ("ML", "MLR", "WLSMV", "nope"),
    "missing": ("listwise", "fiml", "nope"),
    "indicators": ({"m": ["m"]}, {"m": []}),
    "time_invariant": (True, False),
    "sep": ("_w", "", "_"),
}
_MEASURE_OPTIONS: dict[str, tuple[Any, ...]] = {
    "spec": (
        {"visual": ["x1", "x2", "x3"]},
        {"a": ["x1", "x1"]},
        {"a": ["x1", "nope"]},
        {"a": []},
        {},
        "visual =~ x1 + x2 + x3",
        INSTRUMENT,
    ),
    "missing": ("listwise", "pairwise", "fiml", "nope"),
    "recode_reverse": (True, False, None),
    "cfa": (False,),
    "fit": (None,),
    "ordered": (True, False),
}
