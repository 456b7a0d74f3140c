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

from synergy_stats.errors import SynergyError
from synergy_stats.intake._common import markdown_table
from synergy_stats.report import ReportContext, Section

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
    rows = [
        (
            idx,
            *(_fmt(rel.loc[idx, c]) if c != "n_items" else str(int(rel.loc[idx, c])) for c in cols),
        )
        for idx in rel.index
    ]
    labels = [str(c) for c in ht.columns]
    values = ht.to_numpy(dtype=float)
    worst = max(
        ((float(values[i, j]), labels[i], labels[j]) for i in range(len(labels)) for j in range(i)),
        default=(float("nan"), "", ""),
    )
    body = [
        f"Data: {where} ({len(data)} respondents); missing answers handled by FIML. "
        "Cronbach's alpha with Feldt 95% CI; omega (composite reliability) and AVE from the "
        "CFA, as semTools `compRelSEM` and `AVE`.",
        "",
        markdown_table(["construct", *cols], rows),
        "",
        f"Largest HTMT ratio: {_fmt(worst[0])} ({worst[1]} / {worst[2]}); values below .85 "
        "support discriminant validity (Henseler et al. 2015).",
    ]
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
    paths = est[est["op"].isin(["~", ":="])]
    rows = [
        (
            r.label or "",
            f"{r.rhs} -> {r.lhs}" if r.op == "~" else f"{r.lhs} := {r.rhs}",
            _fmt(r.est),
            _fmt(r.se),
            _fmt(r.pvalue),
            _fmt(r.std_all),
        )
        for r in paths.itertuples()
    ]
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    body = [
        f"Data: {where} ({fit.nobs} respondents), ML with FIML for missing answers. "
        + model_description(inst, spec),
        "",
        f"Fit: chi-square = {fm['chisq']:.2f}, df = {int(fm['df'])}, p = {_fmt(fm['pvalue'])}, "
        f"CFI = {_fmt(fm['cfi'])}, TLI = {_fmt(fm['tli'])}, RMSEA = {_fmt(fm['rmsea'])} "
        f"[{_fmt(fm['rmsea_ci_lower'])}, {_fmt(fm['rmsea_ci_upper'])}], "
        f"SRMR = {_fmt(fm['srmr'])}.",
        "",
        markdown_table(["label", "path", "b", "SE", "p", "beta"], rows),
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


#: bootstrap draws and seed of the main job's indirect effects (reproducible report)
BOOT_DRAWS = 1000
BOOT_SEED = 20261127


def indirect_step(ctx: ReportContext) -> Section:
    """Indirect effects of the synergy chain with bootstrap intervals.

    The path model of the instrument's hypotheses on the construct scores of the first wave
    is bootstrapped (percentile and BCa intervals, ``indirect_effects.csv``,
    ``bootstrap_draws.csv``); the latent model of the SEM step gets Monte Carlo intervals
    for the same defined effects (``indirect_montecarlo.csv``, semTools ``monteCarloCI``).
    """
    from synergy_stats.inference import bootstrap, indirect_effects_table, monte_carlo_ci
    from synergy_stats.intake import score
    from synergy_stats.structural import sem, structural_model

    title = "Indirect effects (bootstrap)"
    inst = ctx.instrument
    scores = ctx.results.get("scores")
    if scores is None:
        scores = score(inst, ctx.survey)
    scores = _in_first_wave(ctx, scores)
    spec = structural_model(inst, measurement=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = sem(spec, scores)
        boot = bootstrap(fit, draws=BOOT_DRAWS, seed=BOOT_SEED, n_jobs=1, progress=False)
    perc = indirect_effects_table(fit, boot, method="percentile")
    bca = indirect_effects_table(fit, boot, method="bca")
    table = perc.assign(bca_lower=bca["ci_lower"].to_numpy(), bca_upper=bca["ci_upper"].to_numpy())
    table.attrs.update(draws=BOOT_DRAWS, method="percentile", failed=int(boot.n_failed))
    ctx.results["indirect_effects"] = table
    files = [
        ctx.write_csv("indirect_effects.csv", table).name,
        ctx.write_csv("bootstrap_draws.csv", boot.draws).name,
    ]
    latent = ctx.results.get("sem")
    mc_rows: list[tuple[str, ...]] = []
    if latent is not None and latent.spec.defined:
        mc = monte_carlo_ci(latent, draws=20000, seed=BOOT_SEED)
        files.append(ctx.write_csv("indirect_montecarlo.csv", mc).name)
        mc_rows = [
            (str(r.label), _fmt(r.est), _fmt(r.ci_lower), _fmt(r.ci_upper)) for r in mc.itertuples()
        ]
    dropped = [str(w.message) for w in caught if "dropped" in str(w.message)]
    rows = [
        (
            str(r.label),
            _fmt(r.est),
            _fmt(r.se),
            f"[{_fmt(r.ci_lower)}, {_fmt(r.ci_upper)}]",
            f"[{_fmt(r.bca_lower)}, {_fmt(r.bca_upper)}]",
        )
        for r in table.itertuples()
    ]
    body = [
        f"Path model of the hypotheses on the construct scores ({_where(ctx)}, "
        f"{fit.nobs} respondents with every score); {BOOT_DRAWS} bootstrap draws, seed "
        f"{BOOT_SEED}; draws without an admissible solution: {boot.n_failed} (counted, "
        "left out of the intervals" + (f": {dict(boot.failed)})" if boot.n_failed else ")") + ".",
        "",
        markdown_table(
            ["effect", "estimate", "bootstrap SE", "95% percentile CI", "95% BCa CI"], rows
        ),
    ]
    if dropped:
        body += ["", "Note: " + "; ".join(dropped)]
    if mc_rows:
        body += [
            "",
            "Latent synergy model of the SEM step (FIML): Monte Carlo 95% intervals "
            "(20,000 draws from the estimates' sampling distribution, as semTools "
            "`monteCarloCI`):",
            "",
            markdown_table(["effect", "estimate", "lower", "upper"], mc_rows),
        ]
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
    ctx.results.update(invariance=table, riclpm=ri, feedback=fb)
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
        f"p = {_fmt(fb.pvalue)}; Wald = {fb.wald_stat:.3f}, df = {fb.wald_df}, "
        f"p = {_fmt(fb.wald_pvalue)}.",
    ]
    if chibar is not None:
        body += [
            "",
            "CLPM against RI-CLPM (chi-bar-square test of the random-intercept variances, "
            f"Stoel et al. 2006): difference = {chibar.chisq_diff:.3f}, df = {chibar.df_diff}, "
            f"p = {_fmt(chibar.pvalue)} (naive chi-square p = {_fmt(chibar.pvalue_naive)}).",
        ]
    return Section(title, "\n".join(body), files)


def tables_step(ctx: ReportContext) -> Section:
    """Paper tables of every result the earlier steps produced, as .tex, .docx, .html, .md."""
    from synergy_stats import tables as tb

    inst = ctx.instrument
    made: list[tuple[str, Any]] = []
    fit = ctx.results.get("sem")
    if fit is not None:
        made.append(
            (
                "table_fit",
                tb.fit_table(
                    {"Synergy model": fit}, number=1, caption="Fit of the synergy execution model"
                ),
            )
        )
        made.append(
            (
                "table_paths",
                tb.paths_table(
                    fit, hypotheses=inst, instrument=inst, number=2, caption="Structural paths"
                ),
            )
        )
    rel = ctx.results.get("reliability")
    if fit is not None and rel is not None:
        made.append(
            (
                "table_measurement",
                tb.measurement_table(
                    fit, rel, instrument=inst, number=3, caption="Measurement model"
                ),
            )
        )
    fl = ctx.results.get("fornell_larcker")
    if fl is not None:
        made.append(
            (
                "table_fornell_larcker",
                tb.discriminant_table(
                    fl,
                    kind="fornell_larcker",
                    instrument=inst,
                    number=4,
                    caption="Discriminant validity (Fornell-Larcker)",
                ),
            )
        )
    ht = ctx.results.get("htmt")
    if ht is not None:
        made.append(
            (
                "table_htmt",
                tb.discriminant_table(
                    ht,
                    kind="htmt",
                    instrument=inst,
                    number=5,
                    caption="Discriminant validity (HTMT)",
                ),
            )
        )
    effects = ctx.results.get("indirect_effects")
    if effects is not None:
        made.append(
            ("table_indirect", tb.indirect_table(effects, number=6, caption="Indirect effects"))
        )
    ladder = ctx.results.get("invariance")
    if ladder is not None:
        made.append(
            (
                "table_invariance",
                tb.invariance_table(
                    ladder, number=7, caption="Measurement invariance across waves"
                ),
            )
        )
    panel = ctx.results.get("riclpm")
    if panel is not None:
        made.append(
            (
                "table_lags",
                tb.lags_table(panel, number=8, caption="Within-person lagged effects (RI-CLPM)"),
            )
        )
    files: list[str] = []
    rows = []
    for stem, table in made:
        written = []
        for ext in ("tex", "docx", "html", "md"):
            name = f"{stem}.{ext}"
            path = ctx._target(name)
            try:
                table.save(path, overwrite=True)
            except SynergyError as exc:  # one broken table must not hide the others
                written.append(f"{ext}: failed ({exc})")
                continue
            ctx.files.append(path)
            files.append(name)
            written.append(ext)
        rows.append((stem, table.caption or "", ", ".join(written)))
    body = [
        "Each table in LaTeX (booktabs + threeparttable; xelatex + ctex when it holds "
        "Chinese), Word (.docx, three-line table), HTML and Markdown.",
        "",
        markdown_table(["table", "caption", "formats"], rows)
        if rows
        else "No results to tabulate.",
    ]
    return Section("Paper tables", "\n".join(body), tuple(files))
