"""Analysis steps of the main job.

Measurement quality, the synergy SEM, inference, panel models and the paper tables.
Each function is a report step (see :mod:`synergy_stats.report`): it takes the
:class:`~synergy_stats.report.ReportContext`, writes its files and returns a section of
``report.md``. They run after validation and scoring, on the wave the cross-sectional
analyses use (the first wave, where the sample is largest) and, for the panel models, on all
waves. Results are shared through ``ctx.results`` so that the tables step can render what
the earlier steps computed.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from synergy_stats.report import ReportContext, Section, markdown_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "indirect_step",
    "measurement_step",
    "panel_step",
    "sem_step",
    "tables_step",
]


def _items(ctx: ReportContext) -> pd.DataFrame:
    """Every row's item data with reverse-keyed items recoded (computed once per report)."""
    from synergy_stats.intake import reverse_code

    if "_items" not in ctx.results:
        ctx.results["_items"] = reverse_code(ctx.instrument, ctx.survey)
    return ctx.results["_items"]


def _first_wave(ctx: ReportContext) -> Any:
    """The wave the cross-sectional steps use (the first), or None without waves."""
    wave = ctx.survey.wave
    if wave is None:
        return None
    from synergy_stats.report import waves_in_order

    return waves_in_order(ctx.survey.data, wave)[0]


def _where(ctx: ReportContext) -> str:
    """The data the cross-sectional steps use, in words."""
    first = _first_wave(ctx)
    return "all rows" if first is None else f"wave {first}"


def _where_zh(ctx: ReportContext) -> str:
    """:func:`_where` in Chinese."""
    first = _first_wave(ctx)
    return "全部样本" if first is None else f"第 {first} 波"


def _in_first_wave(ctx: ReportContext, frame: pd.DataFrame) -> pd.DataFrame:
    first = _first_wave(ctx)
    return frame if first is None else frame[frame[ctx.survey.wave] == first]


def _cross_section(ctx: ReportContext) -> tuple[pd.DataFrame, str]:
    """Item data of the first wave (all rows without waves), reverse-keyed items recoded."""
    return _in_first_wave(ctx, _items(ctx)), _where(ctx)


def _skipped(ctx: ReportContext, title: str) -> Section | None:
    """A section saying why a model-based step cannot run (items without a column)."""
    absent = list(ctx.survey.absent_items)
    if not absent:
        return None
    shown = ", ".join(absent[:10]) + (f", ... ({len(absent)} in all)" if len(absent) > 10 else "")
    return Section(
        title,
        "Skipped: the model needs every item of the instrument, and these have no column "
        f"in the data: {shown}. Map them (column aliases in the instrument) and run again.",
    )


def _fmt(x: Any, digits: int = 3) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if v != v:
        return ""
    out = f"{v:.{digits}f}"
    return "0." + "0" * digits if out == "-0." + "0" * digits else out


def _p(x: Any) -> str:
    """A p-value as the tables print it: ``< 0.001``, never ``0.000``."""
    from synergy_stats.tables.format import fmt_p

    return fmt_p(x, 3, leading_zero=True)


def _label(ctx: ReportContext) -> Any:
    """Construct and item names of the instrument, in English (report.md's language)."""
    from synergy_stats.tables.labels import make_labeller
    from synergy_stats.tables.style import get_style

    return make_labeller(get_style("apa"), None, ctx.instrument)


def fornell_larcker_violations(matrix: pd.DataFrame) -> list[tuple[str, str, float, float]]:
    """Pairs whose factor correlation exceeds the square root of either AVE.

    Returns ``(construct_a, construct_b, |r|, smaller sqrt(AVE))`` per violating pair, the
    same rule the Fornell-Larcker table marks with ``a``.
    """
    import numpy as np

    names = [str(c) for c in matrix.columns]
    values = matrix.to_numpy(dtype=float)
    out = []
    for i in range(len(names)):
        for j in range(i):
            r = abs(values[i, j])
            root = min(values[i, i], values[j, j])
            if np.isfinite(r) and np.isfinite(root) and r > root:
                out.append((names[j], names[i], float(r), float(root)))
    return out


def measurement_step(ctx: ReportContext) -> Section:
    """Assess reliability and validity of every construct.

    Writes ``reliability.csv``, ``htmt.csv`` and ``fornell_larcker.csv`` (a FIML CFA is
    behind omega and AVE).
    """
    from synergy_stats.measurement import fornell_larcker, htmt, reliability

    skipped = _skipped(ctx, "Measurement quality")
    if skipped is not None:
        return skipped
    data, where = _cross_section(ctx)
    inst = ctx.instrument
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rel = reliability(inst, data, missing="fiml", recode_reverse=False)
        fl = fornell_larcker(inst, data, missing="fiml", recode_reverse=False)
        ht = htmt(inst, data, missing="fiml", recode_reverse=False)
    ctx.results.update(reliability=rel, fornell_larcker=fl, htmt=ht)
    files = (
        ctx.write_csv("reliability.csv", rel, index=True).name,
        ctx.write_csv("htmt.csv", ht, index=True).name,
        ctx.write_csv("fornell_larcker.csv", fl, index=True).name,
    )
    cols = [
        c
        for c in ("n_items", "alpha", "alpha_ci_lower", "alpha_ci_upper", "omega", "ave")
        if c in rel.columns
    ]
    lab = _label(ctx)
    blocks = [c.id for c in inst.constructs.values() if c.kind == "correlated"]
    rows = []
    for idx in rel.index:
        values: list[Any] = [lab(str(idx))]
        for c in cols:
            v = rel.loc[idx, c]
            if c == "n_items":
                values.append(int(v))
            elif str(idx) in blocks:
                values.append("—")  # a block of correlated factors gets no composite
            else:
                values.append(float(v))
        rows.append(values)
    labels = [str(c) for c in ht.columns]
    values_ht = ht.to_numpy(dtype=float)
    worst = max(
        (
            (float(values_ht[i, j]), labels[i], labels[j])
            for i in range(len(labels))
            for j in range(i)
        ),
        default=(float("nan"), "", ""),
    )
    violations = fornell_larcker_violations(fl)
    header = ["construct", "items", "alpha", "alpha 95% CI lower", "upper", "omega", "AVE"]
    body = [
        f"Data: {where} ({len(data)} respondents); missing answers handled by FIML. "
        "Cronbach's alpha with Feldt 95% CI; omega (composite reliability) and AVE from the "
        "CFA, as semTools `compRelSEM` and `AVE`.",
        "",
        markdown_table(header[: len(cols) + 1], rows),
    ]
    if blocks:
        body += [
            "",
            f"{', '.join(lab(b) for b in blocks)}: a block of correlated factors whose "
            "components run in opposite directions, so it gets no composite and no alpha, "
            "omega or AVE of its own; its components are assessed separately.",
        ]
    body += [
        "",
        f"Largest HTMT ratio: {_fmt(worst[0])} ({lab(worst[1])} / {lab(worst[2])}); values "
        "below .85 support discriminant validity (Henseler et al. 2015).",
        "",
    ]
    if violations:
        pairs = "; ".join(
            f"{lab(a)} and {lab(b)} (|r| = {_fmt(r)} > sqrt(AVE) = {_fmt(root)})"
            for a, b, r, root in violations
        )
        body.append(
            f"Fornell-Larcker criterion violated for {len(violations)} pair(s): {pairs}. "
            "For these pairs the factors share more variance with each other than with their "
            "own items; discriminant validity is in doubt (marked a in the Fornell-Larcker "
            "table)."
        )
    else:
        body.append(
            "Fornell-Larcker criterion met: every factor correlation is below the square root "
            "of both factors' AVE."
        )
    return Section("Measurement quality", "\n".join(body), files)


def sem_step(ctx: ReportContext) -> Section:
    """Fit the synergy structural model.

    Writes ``sem_estimates.csv``, ``sem_fit_measures.csv``, ``sem_model.lav`` and
    ``sem_summary.txt``.
    """
    from synergy_stats.structural import sem, structural_model

    skipped = _skipped(ctx, f"Structural model ({_title(ctx.instrument)})")
    if skipped is not None:
        return skipped
    data, where = _cross_section(ctx)
    inst = ctx.instrument
    spec = structural_model(inst)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = sem(spec, data, missing="fiml")
    ctx.results["sem"] = fit
    est = fit.estimates()
    fm = fit.fit_measures()
    files = (
        ctx.write_csv("sem_estimates.csv", est).name,
        ctx.write_csv("sem_fit_measures.csv", fm.rename("value").to_frame(), index=True).name,
        ctx.write_text("sem_model.lav", spec.to_syntax() + "\n").name,
        ctx.write_text("sem_summary.txt", fit.summary() + "\n").name,
    )
    from synergy_stats.tables import paths_table
    from synergy_stats.tables.sem import effect_names

    names = effect_names(fit, style="apa", instrument=inst)
    defined = est[est["op"] == ":="]
    rows = [
        (
            names.get(str(r.lhs), str(r.lhs)),
            float(r.est),
            float(r.se),
            float(r.pvalue),
            float(r.std_all),
        )
        for r in defined.itertuples()
    ]
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    body = [
        f"Data: {where} ({fit.nobs} respondents), ML with FIML for missing answers. "
        + model_description(inst, spec),
        "",
        f"Fit: chi-square = {fm['chisq']:.2f}, df = {int(fm['df'])}, p = {_p(fm['pvalue'])}, "
        f"CFI = {_fmt(fm['cfi'])}, TLI = {_fmt(fm['tli'])}, RMSEA = {_fmt(fm['rmsea'])} "
        f"[{_fmt(fm['rmsea_ci_lower'])}, {_fmt(fm['rmsea_ci_upper'])}], "
        f"SRMR = {_fmt(fm['srmr'])}.",
        "",
        paths_table(fit, instrument=inst).to_markdown().rstrip("\n"),
    ]
    if rows:
        body += [
            "",
            "Defined effects (delta-method SE):",
            "",
            markdown_table(["effect", "b", "SE", "p", "beta"], rows, pvalues=["p"]),
        ]
    if notes:
        body += ["", "Warnings: " + "; ".join(notes)]
    return Section(f"Structural model ({_title(inst)})", "\n".join(body), files)


def _title(inst: Any) -> str:
    return str(inst.title.en)


def _chain(expression: str, inst: Any) -> str:
    """The constructs along a defined product of hypothesis labels, as ``a -> b -> c``."""
    by_label = {h.id.lower(): h for h in inst.hypotheses}
    steps: list[str] = []
    for factor in expression.split("*"):
        label = factor.strip()
        hyp = by_label.get(label) or by_label.get(label.split("_", 1)[0])
        if hyp is None:
            return expression
        target = label.split("_", 1)[1] if "_" in label and label not in by_label else hyp.target
        if not steps:
            steps.append(hyp.source)
        steps.append(target)
    return " -> ".join(steps)


def model_description(inst: Any, spec: Any) -> str:
    """What the main job's structural model is, in words, from the instrument itself.

    Names the instrument's measurement parts, each hypothesis as ``id: source -> target``
    and each defined indirect effect with the chain of constructs it runs along.
    """
    kinds = {c.kind for c in inst.constructs.values()}
    parts = ["first-order factors"]
    if "second_order" in kinds:
        parts.append("second-order constructs")
    if "correlated" in kinds:
        parts.append("blocks of correlated factors")
    hyps = "; ".join(f"{h.id}: {h.source} -> {h.target}" for h in inst.hypotheses)
    text = (
        f"Measurement: the {', '.join(parts)} of instrument {inst.id!r}; structure: its "
        f"{len(inst.hypotheses)} hypotheses ({hyps or 'none'})"
    )
    defined = list(getattr(spec, "defined", ()))
    if defined:
        chains = "; ".join(f"{d.name} = {_chain(d.expression, inst)}" for d in defined)
        text += f", with the indirect effect(s) {chains}"
    return text + "."


#: bootstrap draws and default seed of the main job's indirect effects (the seed of a run
#: is ``ctx.seed``, ``--seed``; this is its default)
BOOT_DRAWS = 1000
BOOT_SEED = 20261127


def indirect_step(ctx: ReportContext) -> Section:
    """Indirect effects of the synergy chain in the latent model, with bootstrap intervals.

    The latent synergy model of the SEM step (FIML) is bootstrapped directly: each draw
    refits it by FIML from the full-sample estimates (percentile and bias-corrected
    intervals, ``indirect_effects.csv``, ``bootstrap_draws.csv``), beside Monte Carlo
    intervals for the same defined effects (``indirect_montecarlo.csv``, semTools
    ``monteCarloCI``). The estimates are those of the SEM step's table.
    """
    from synergy_stats.inference import bootstrap, indirect_effects_table, monte_carlo_ci
    from synergy_stats.tables.sem import effect_names

    title = "Indirect effects (bootstrap)"
    latent = ctx.results.get("sem")
    if latent is None or not latent.spec.defined:
        return Section(
            title,
            "Skipped: the latent model of the SEM step is not available (see that step).",
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        boot = bootstrap(
            latent, draws=BOOT_DRAWS, seed=ctx.seed, n_jobs=2, progress=False, fit_measures=()
        )
    ctx.seeds.update(bootstrap=ctx.seed, monte_carlo=ctx.seed)
    perc = indirect_effects_table(latent, boot, method="percentile")
    bc = indirect_effects_table(latent, boot, method="bc")
    table = perc.assign(bc_lower=bc["ci_lower"].to_numpy(), bc_upper=bc["ci_upper"].to_numpy())
    table.attrs.update(draws=BOOT_DRAWS, method="percentile", failed=int(boot.n_failed))
    ctx.results["indirect_effects"] = table
    ctx.results["bootstrap"] = boot
    files = [
        ctx.write_csv("indirect_effects.csv", table).name,
        ctx.write_csv("bootstrap_draws.csv", boot.draws).name,
    ]
    mc = monte_carlo_ci(latent, draws=20000, seed=ctx.seed)
    files.append(ctx.write_csv("indirect_montecarlo.csv", mc).name)
    names = effect_names(latent, style="apa", instrument=ctx.instrument)
    mc_rows = [
        (names.get(str(r.label), str(r.label)), _fmt(r.est), _fmt(r.ci_lower), _fmt(r.ci_upper))
        for r in mc.itertuples()
    ]
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    rows = [
        (
            names.get(str(r.label), str(r.label)),
            _fmt(r.est),
            _fmt(r.se),
            f"[{_fmt(r.ci_lower)}, {_fmt(r.ci_upper)}]",
            f"[{_fmt(r.bc_lower)}, {_fmt(r.bc_upper)}]",
        )
        for r in table.itertuples()
    ]
    body = [
        f"Latent synergy model of the SEM step ({_where(ctx)}, {latent.nobs} respondents, "
        f"FIML); {BOOT_DRAWS} bootstrap draws (each refitted by FIML), seed {ctx.seed}; "
        f"draws without an admissible solution: {boot.n_failed} (counted, left out of the "
        "intervals" + (f": {dict(boot.failed)})" if boot.n_failed else ")") + ".",
        "",
        markdown_table(
            ["effect", "estimate", "bootstrap SE", "95% percentile CI", "95% BC CI"], rows
        ),
        "",
        "Monte Carlo 95% intervals of the same effects (20,000 draws from the estimates' "
        "sampling distribution, as semTools `monteCarloCI`):",
        "",
        markdown_table(["effect", "estimate", "lower", "upper"], mc_rows),
    ]
    if notes:
        body += ["", "Note: " + "; ".join(notes)]
    return Section(title, "\n".join(body), tuple(files))


def _panel_rows(ctx: ReportContext) -> tuple[pd.DataFrame, int]:
    """All waves, one row per (id, wave): later duplicates (flagged by validation) dropped."""
    data = _items(ctx)
    key = [ctx.survey.id, ctx.survey.wave]
    dup = data.duplicated(subset=key, keep="first")
    return data[~dup], int(dup.sum())


def panel_plan(inst: Any) -> tuple[list[str], str, list[str]] | None:
    """Constructs of the feedback models, the feedback source, and the ladder's constructs.

    From the instrument's feedback paths: each endpoint that is scored (a first-order
    factor or a second-order construct) is taken as it is; a block of correlated factors
    (which gets no composite score) is represented by its first component. The ladder
    tests the invariance of the feedback source's items. None when the instrument declares
    no feedback path.
    """
    from synergy_stats.intake.score import scored_constructs

    if not inst.feedback:
        return None
    scored = set(scored_constructs(inst))

    def scored_as(cid: str) -> str | None:
        if cid in scored:
            return cid
        comps = [c for c in inst.constructs[cid].components if c in scored]
        return comps[0] if comps else None

    constructs: list[str] = []
    for fb in inst.feedback:
        for cid in (fb.target, fb.source):
            got = scored_as(cid)
            if got is not None and got not in constructs:
                constructs.append(got)
    source = scored_as(inst.feedback[0].source)
    if source is None or len(constructs) < 2:
        return None
    constructs = [c for c in constructs if c != source] + [source]
    return constructs, source, [inst.feedback[0].source]


def panel_step(ctx: ReportContext) -> Section:
    """Test the feedback loop across waves, on the instrument's own feedback paths.

    The longitudinal invariance ladder of the feedback source's items (``invariance.csv``)
    and a cross-lagged panel model of the scored feedback constructs (:func:`panel_plan`)
    with the test of the feedback cross-lags source(t) -> targets(t+1)
    (``feedback_test.csv``), FIML for attrition: an RI-CLPM with three or more waves
    (``riclpm_estimates.csv``, ``riclpm_lags.csv``), a CLPM with two, where the random
    intercepts are not identified (``clpm_estimates.csv``, ``clpm_lags.csv``).
    """
    import pandas as pd

    from synergy_stats.intake import score
    from synergy_stats.panel import clpm, compare_clpm_riclpm, measurement_invariance, riclpm

    title = "Feedback across waves (longitudinal invariance, RI-CLPM)"
    survey = ctx.survey
    if survey.id is None or survey.wave is None:
        return Section(title, "Skipped: the data have no respondent-id and wave columns.")
    n_waves = int(ctx.survey.data[survey.wave].nunique())
    if n_waves < 2:
        return Section(title, "Skipped: a cross-lagged panel model needs at least two waves.")
    inst = ctx.instrument
    plan = panel_plan(inst)
    if plan is None:
        return Section(
            title,
            f"Skipped: instrument {inst.id!r} declares no feedback path between scored "
            "constructs (codebook key `feedback`).",
        )
    panel_constructs, feedback_source, ladder_constructs = plan
    two = n_waves == 2
    if two:
        title = "Feedback across waves (longitudinal invariance, CLPM)"
    skipped = _skipped(ctx, title)
    if skipped is not None:
        return skipped
    data, n_dup = _panel_rows(ctx)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ladder = measurement_invariance(
            inst,
            data,
            wave=survey.wave,
            id=survey.id,
            missing="fiml",
            constructs=list(ladder_constructs),
        )
        scores = score(inst, ctx.survey)  # from the raw codes: score() reverse-codes itself
        scores = scores[~scores.duplicated(subset=[survey.id, survey.wave], keep="first")]
        cl = clpm(scores, panel_constructs, id=survey.id, wave=survey.wave, missing="fiml")
        ri = (
            cl
            if two
            else riclpm(scores, panel_constructs, id=survey.id, wave=survey.wave, missing="fiml")
        )
        fb = ri.feedback_test(feedback_source)
        chibar = None if two else compare_clpm_riclpm(cl, ri)
    table = ladder.table()
    ctx.results.update(invariance=table, riclpm=ri, feedback=fb, invariance_ladder=ladder)
    lags = ri.cross_lagged()
    model = "CLPM" if two else "RI-CLPM"
    stem = "clpm" if two else "riclpm"
    feedback = pd.DataFrame(
        {
            "source": [fb.source],
            "targets": [", ".join(fb.targets)],
            "chisq_diff": [fb.chisq_diff],
            "df_diff": [fb.df_diff],
            "pvalue": [fb.pvalue],
            "wald_stat": [fb.wald_stat],
            "wald_df": [fb.wald_df],
            "wald_pvalue": [fb.wald_pvalue],
        }
    )
    files = (
        ctx.write_csv("invariance.csv", table, index=True).name,
        ctx.write_csv(f"{stem}_estimates.csv", ri.fit.estimates()).name,
        ctx.write_csv(f"{stem}_lags.csv", lags).name,
        ctx.write_csv("feedback_test.csv", feedback).name,
        ctx.write_text(f"{stem}_model.lav", ri.syntax + "\n").name,
    )
    inv_rows = [
        (
            str(level),
            _fmt(r["chisq"], 2),
            str(int(r["df"])),
            _fmt(r["cfi"]),
            _fmt(r["rmsea"]),
            _fmt(r["delta_cfi"]),
            _fmt(r["delta_rmsea"]),
            str(r["decision"]),
        )
        for level, r in table.iterrows()
    ]
    fm = ri.fit.fit_measures()
    body = [
        f"Data: {ri.fit.nobs} respondents over waves {', '.join(map(str, ri.waves))} (FIML "
        "for attrition)"
        + (
            f"; {n_dup} duplicated (id, wave) row(s) flagged by validation were left out, "
            "keeping the first."
            if n_dup
            else "."
        ),
        "",
        f"**Longitudinal invariance of {', '.join(ladder_constructs)}** (items per wave, "
        f"residuals correlated across waves). Rule: {ladder.rule}",
        "",
        markdown_table(
            ["level", "chi-square", "df", "CFI", "RMSEA", "ΔCFI", "ΔRMSEA", "decision"],
            inv_rows,
        ),
        "",
        (
            f"**CLPM** of {', '.join(panel_constructs)} scores (two waves: the random "
            "intercepts of an RI-CLPM are not identified, so the cross-lags mix within- and "
            "between-person effects; Hamaker, Kuiper & Grasman 2015): "
            if two
            else f"**RI-CLPM** of {', '.join(panel_constructs)} scores (Hamaker, Kuiper & "
            "Grasman 2015; time-invariant lags): "
        )
        + f"chi-square = {fm['chisq']:.2f}, df = {int(fm['df'])}, "
        f"CFI = {_fmt(fm['cfi'])}, RMSEA = {_fmt(fm['rmsea'])}, SRMR = {_fmt(fm['srmr'])}.",
        "",
        f"**Feedback test** ({model}): {fb.source}(t) -> {', '.join(fb.targets)}(t+1) fixed "
        f"to 0: likelihood-ratio chi-square = {fb.chisq_diff:.3f}, df = {fb.df_diff}, "
        f"p = {_p(fb.pvalue)}; Wald = {fb.wald_stat:.3f}, df = {fb.wald_df}, "
        f"p = {_p(fb.wald_pvalue)}.",
    ]
    if chibar is not None:
        body += [
            "",
            "CLPM against RI-CLPM (chi-bar-square test of the random-intercept variances, "
            f"Stoel et al. 2006): difference = {chibar.chisq_diff:.3f}, df = {chibar.df_diff}, "
            f"p = {_p(chibar.pvalue)} (naive chi-square p = {_p(chibar.pvalue_naive)}).",
        ]
    return Section(title, "\n".join(body), files)


def paper_tables(ctx: ReportContext, *, style: Any = "apa") -> list[tuple[str, Any]]:
    """The main job's paper tables, as ``(file stem, Table)``, numbered in order.

    Descriptives and correlations, items, measurement model, discriminant validity, fit,
    paths, indirect effects, invariance and lags, each from the results the earlier steps
    stored (a table whose result is missing is left out).
    """
    from synergy_stats import tables as tb
    from synergy_stats.intake import scored_constructs

    inst = ctx.instrument
    zh = tb.get_style(style).language == "zh"

    def cap(en: str, cn: str) -> str:
        # the caption in the style's language (issue 10: no English left in ``cn``)
        return cn if zh else en

    specs: list[tuple[str, Any]] = []
    fit = ctx.results.get("sem")
    scores = ctx.results.get("scores")
    rel = ctx.results.get("reliability")
    if scores is not None:
        first = _in_first_wave(ctx, scores)
        shown = [c for c in scored_constructs(inst) if inst.constructs[c].kind == "factor"]
        shown = [c for c in shown if c in first.columns]
        if len(shown) >= 2:
            specs.append(
                (
                    "table_correlations",
                    lambda n: tb.correlation_table(
                        first,
                        variables=shown,
                        reliability=rel,
                        instrument=inst,
                        style=style,
                        number=n,
                        caption=cap(
                            "Means, standard deviations and correlations of the "
                            f"first-order constructs ({_where(ctx)})",
                            f"一阶构念的均值、标准差与相关系数（{_where_zh(ctx)}）",
                        ),
                    ),
                )
            )
    if fit is not None and not ctx.survey.absent_items:
        data, _where_text = _cross_section(ctx)
        specs.append(
            (
                "table_items",
                lambda n: tb.item_table(
                    data,
                    inst,
                    fit=fit,
                    style=style,
                    number=n,
                    caption=cap(
                        "Items: descriptive statistics and standardized loadings",
                        "题项描述统计与标准化载荷",
                    ),
                ),
            )
        )
    if fit is not None and rel is not None:
        specs.append(
            (
                "table_measurement",
                lambda n: tb.measurement_table(
                    fit,
                    rel,
                    instrument=inst,
                    style=style,
                    number=n,
                    caption=cap("Measurement model", "测量模型"),
                ),
            )
        )
    fl = ctx.results.get("fornell_larcker")
    if fl is not None:
        specs.append(
            (
                "table_fornell_larcker",
                lambda n: tb.discriminant_table(
                    fl,
                    kind="fornell_larcker",
                    instrument=inst,
                    style=style,
                    number=n,
                    caption=cap(
                        "Discriminant validity (Fornell-Larcker criterion)",
                        "区分效度（Fornell-Larcker 准则）",
                    ),
                ),
            )
        )
    ht = ctx.results.get("htmt")
    if ht is not None:
        specs.append(
            (
                "table_htmt",
                lambda n: tb.discriminant_table(
                    ht,
                    kind="htmt",
                    instrument=inst,
                    style=style,
                    number=n,
                    caption=cap(
                        "Discriminant validity (heterotrait-monotrait ratios)",
                        "区分效度（异质-单质比率）",
                    ),
                ),
            )
        )
    if fit is not None:
        specs.append(
            (
                "table_fit",
                lambda n: tb.fit_table(
                    {cap("Synergy execution model", "协同执行模型"): fit},
                    style=style,
                    number=n,
                    caption=cap("Fit of the synergy execution model", "协同执行模型的拟合指标"),
                ),
            )
        )
        specs.append(
            (
                "table_paths",
                lambda n: tb.paths_table(
                    fit,
                    hypotheses=inst,
                    instrument=inst,
                    style=style,
                    number=n,
                    caption=cap("Structural paths and hypothesis tests", "结构路径与假设检验"),
                ),
            )
        )
    effects = ctx.results.get("indirect_effects")
    if effects is not None:
        specs.append(
            (
                "table_indirect",
                lambda n: tb.indirect_table(
                    effects,
                    result=fit,
                    instrument=inst,
                    style=style,
                    number=n,
                    caption=cap("Indirect effects of the synergy chain", "协同链的间接效应"),
                ),
            )
        )
    ladder = ctx.results.get("invariance")
    if ladder is not None:
        specs.append(
            (
                "table_invariance",
                lambda n: tb.invariance_table(
                    ladder,
                    style=style,
                    number=n,
                    caption=cap("Measurement invariance across waves", "跨波次测量不变性"),
                ),
            )
        )
    panel = ctx.results.get("riclpm")
    if panel is not None:
        specs.append(
            (
                "table_lags",
                lambda n: tb.lags_table(
                    panel,
                    instrument=inst,
                    style=style,
                    number=n,
                    caption=cap(
                        "Within-person lagged effects (RI-CLPM)", "个体内滞后效应（RI-CLPM）"
                    ),
                ),
            )
        )
    return [(stem, build(k)) for k, (stem, build) in enumerate(specs, start=1)]


def tables_step(ctx: ReportContext) -> Section:
    """Paper tables of every result the earlier steps produced, as .tex, .docx, .html, .md."""
    made = paper_tables(ctx)
    files: list[str] = []
    rows = []
    for stem, table in made:
        written = []
        for name, error in ctx.write_table(stem, table):
            ext = name.rsplit(".", 1)[1]
            if error is not None:
                written.append(f"{ext}: failed ({error})")
                continue
            files.append(name)
            written.append(ext)
        rows.append((stem, table.caption or "", ", ".join(written)))
    ctx.results["tables"] = dict(made)
    body = [
        "Each table in LaTeX (booktabs, decimal-aligned columns, fitted to A4 with 2.5 cm "
        "margins: landscape or page-breaking when needed; xelatex + ctex when it holds "
        "Chinese), Word (.docx, A4, three-line table with content-sized columns), HTML and "
        "Markdown, in APA 7 style.",
        "",
        markdown_table(["table", "caption", "formats"], rows)
        if rows
        else "No results to tabulate.",
    ]
    return Section("Paper tables", "\n".join(body), tuple(files))
