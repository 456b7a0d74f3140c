"""The figures step of the main job.

Draws every figure of :mod:`synergy_stats.figures` from what the earlier steps computed and
writes each as PNG (300 dpi), PDF and SVG. Each figure names the step whose section shows it
in ``report.html`` (the path diagrams under the structural model, the Likert bars under the
descriptives, ...); ``report.md`` lists them all in this step's section.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from synergy_stats.errors import SynergyError
from synergy_stats.report import PendingFigures, PendingSection, ReportContext, Section

__all__ = ["FIGURE_JOBS", "PA_ITERATIONS", "figures_step"]

#: simulated data sets of the parallel analysis behind the scree plot
PA_ITERATIONS = 20
#: processes that write the figures' files (see ReportContext.save_figures)
FIGURE_JOBS = 2

_CAPTIONS: dict[str, dict[str, str]] = {
    "en": {
        "path": "Structural model: standardized paths, R² of the endogenous constructs.",
        "path_measurement": "Structural and measurement model with standardized loadings.",
        "likert": "Item distributions by wave (share of valid answers).",
        "htmt": "Discriminant validity: HTMT ratios (framed above .85).",
        "scree": "Parallel analysis of the {where} items: observed and simulated eigenvalues.",
        "bootstrap": "Bootstrap draws of {effect} with percentile and BCa 95% intervals.",
        "invariance": "Longitudinal invariance: change in CFI and RMSEA per level.",
        "riclpm": "RI-CLPM: within-person lagged effects, feedback paths in red.",
        "coefficients": "OLS of {y} on the construct scores ({where}); {se}.",
        "se_cluster": "cluster-robust SEs by {group}",
        "se_plain": "conventional SEs",
        "title": "Figures",
        "failed": "Figure {name} failed: {error}",
    },
    "zh": {
        "path": "结构模型：标准化路径系数及内生构念的 R²。",
        "path_measurement": "结构模型与测量模型（标准化因子载荷）。",
        "likert": "各期题项回答分布（有效回答比例）。",
        "htmt": "区分效度：HTMT 比值（大于 .85 者加框）。",
        "scree": "{where}题项的平行分析：实际与模拟特征值。",
        "bootstrap": "{effect} 的自助抽样分布及百分位、BCa 95% 置信区间。",
        "invariance": "纵向测量等同性：各等同性水平的 CFI 与 RMSEA 变化量。",
        "riclpm": "随机截距交叉滞后模型：个体内滞后效应，红色为反馈路径。",
        "coefficients": "{y} 对构念得分的 OLS 回归（{where}）；{se}。",
        "se_cluster": "按 {group} 聚类的稳健标准误",
        "se_plain": "常规标准误",
        "title": "图",
        "failed": "图 {name} 绘制失败：{error}",
    },
}


def figures_step(ctx: ReportContext) -> PendingSection:
    """Draw the figures of the earlier results: path diagrams, item bars, diagnostics.

    Writes ``<figure>.png``, ``.pdf`` and ``.svg`` for each (``path_diagram``,
    ``path_diagram_measurement``, ``likert_items``, ``htmt_matrix``, ``scree``,
    ``bootstrap_<effect>``, ``invariance_deltas``, ``riclpm_diagram``, ``coefficients``).
    """
    import synergy_stats.figures as F
    from synergy_stats.report_analysis import _cross_section, _first_wave

    lang: Any = ctx.lang
    text = _CAPTIONS[ctx.lang]
    inst = ctx.instrument
    res = ctx.results
    made: list[tuple[str, Callable[[], Any], str, str | None]] = []

    def draw(stem: str, make: Callable[[], Any], caption: str, anchor: str | None) -> None:
        made.append((stem, make, caption, anchor))

    fit = res.get("sem")
    if fit is not None:
        draw(
            "path_diagram",
            lambda: F.plot_path(fit, instrument=inst, lang=lang),
            text["path"],
            "sem_step",
        )
        draw(
            "path_diagram_measurement",
            lambda: F.plot_path(fit, instrument=inst, measurement=True, lang=lang),
            text["path_measurement"],
            "sem_step",
        )
    if ctx.survey.items:
        by = ctx.survey.wave
        draw(
            "likert_items",
            lambda: F.plot_likert(ctx.survey, inst, by=by, lang=lang),
            text["likert"],
            "descriptives_step",
        )
    ht = res.get("htmt")
    if ht is not None:
        draw(
            "htmt_matrix",
            lambda: F.plot_matrix(ht, kind="htmt", instrument=inst, lang=lang),
            text["htmt"],
            "measurement_step",
        )
    if not ctx.survey.absent_items:
        from synergy_stats.measurement import parallel_analysis

        data, where = _cross_section(ctx)
        seed = ctx.seed
        ctx.seeds["parallel_analysis"] = seed
        draw(
            "scree",
            lambda: F.plot_parallel(
                parallel_analysis(data[ctx.survey.items], n_iter=PA_ITERATIONS, seed=seed),
                lang=lang,
            ),
            text["scree"].format(where=where),
            "measurement_step",
        )
    boot = res.get("bootstrap")
    if boot is not None:
        for effect in [d.name for d in boot.fit.spec.defined]:
            if effect in boot.draws.columns:
                draw(
                    f"bootstrap_{effect}",
                    functools.partial(
                        F.plot_bootstrap, boot, effect, lang=lang, methods=("percentile", "bc")
                    ),
                    text["bootstrap"].format(effect=effect),
                    "indirect_step",
                )
    ladder = res.get("invariance")
    if ladder is not None:
        draw(
            "invariance_deltas",
            lambda: F.plot_invariance(ladder, lang=lang),
            text["invariance"],
            "panel_step",
        )
    ri = res.get("riclpm")
    if ri is not None:
        draw(
            "riclpm_diagram",
            lambda: F.plot_riclpm(ri, instrument=inst, lang=lang),
            text["riclpm"],
            "panel_step",
        )
    scores = res.get("scores")
    if scores is not None:
        _coefficients(ctx, scores, draw, text, _first_wave(ctx))
    # the figures are drawn and written (300 dpi PNG, PDF with embedded fonts, SVG) by two
    # processes while the later steps run; the section is finished once they are done (a
    # figure that cannot be drawn is named under the list)
    pending = ctx.start_figures(made, n_jobs=FIGURE_JOBS, drawing_errors=True)
    return PendingSection(
        finish=functools.partial(_section, ctx, pending, [stem for stem, *_ in made], text),
        cancel=pending.cancel,
    )


def _section(
    ctx: ReportContext, pending: PendingFigures, stems: list[str], text: dict[str, str]
) -> Section:
    """The figures' section, once their writers are done."""
    problems = [
        text["failed"].format(name=stem, error=ref)
        for stem, ref in zip(stems, pending.wait(), strict=True)
        if isinstance(ref, SynergyError)
    ]
    lines = []
    for k, f in enumerate(ctx.figures, start=1):
        lines.append(f"{k}. {f.caption} ![{f.stem}]({f.stem}.png)")
    body = "\n".join(
        [
            "Each figure as PNG (300 dpi), PDF and SVG:",
            "",
            *lines,
            *(["", *problems] if problems else []),
        ]
    )
    files = tuple(name for f in ctx.figures for name in f.files)
    return Section(text["title"] if ctx.lang == "zh" else "Figures", body, files)


def _coefficients(
    ctx: ReportContext,
    scores: Any,
    draw: Callable[[str, Callable[[], Any], str, str | None], None],
    text: dict[str, str],
    first: Any,
) -> None:
    """The coefficient plot: the results constructs regressed on the earlier stages."""
    import synergy_stats.figures as F
    from synergy_stats.regression import regress

    inst = ctx.instrument
    top = inst.top_level()
    if len(top) < 2:
        return
    last = inst.constructs[top[-1]]
    outcomes = list(last.components) if last.kind == "correlated" else [last.id]
    predictors = [c for c in top[:-1] if c in scores.columns]
    outcomes = [c for c in outcomes if c in scores.columns]
    if not predictors or not outcomes:
        return
    data = scores if first is None else scores[scores[ctx.survey.wave] == first]
    group = ctx.survey.group
    where = "all rows" if first is None else f"wave {first}"
    if group is not None and group not in data.columns:
        group = None

    def make() -> Any:
        models = {}
        for y in outcomes:
            cols = [y, *predictors, *([group] if group is not None else [])]
            frame = data[cols].dropna()
            formula = f"{y} ~ " + " + ".join(predictors)
            if group is not None:
                models[y] = regress(formula, frame, cov_type="cluster", cluster=str(group))
            else:
                models[y] = regress(formula, frame)
        return F.plot_coefficients(models, lang=ctx.lang)  # type: ignore[arg-type]

    se = text["se_cluster"].format(group=group) if group is not None else text["se_plain"]
    draw(
        "coefficients",
        make,
        text["coefficients"].format(y=", ".join(outcomes), where=where, se=se),
        None,
    )
