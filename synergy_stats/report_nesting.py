"""The nesting step of the main job: staff sit in departments.

Reports how much of each item's and construct's variance lies between departments (ICCs
from the saturated two-level model, the design effect), the synergy SEM with
cluster-robust standard errors beside the naive ones (lavaan ``cluster =``, Mplus
``TYPE=COMPLEX``), and the two-level synergy model on the construct scores (within- and
between-department paths with their fit), its table in two panels, one per level.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import pandas as pd

from synergy_stats.errors import SynergyError
from synergy_stats.intake._common import markdown_table
from synergy_stats.report import ReportContext, Section
from synergy_stats.report_analysis import (
    _cross_section,
    _fmt,
    _in_first_wave,
    _label,
    _p,
    _skipped,
)

__all__ = ["nesting_step"]

TITLE = "Nesting: staff within departments"


def _notes(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def _icc_tables(
    ctx: ReportContext, data: pd.DataFrame, scores: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Item ICCs per factor (its items jointly) and construct ICCs (each score alone).

    Each set is the saturated two-level model of ``ss.item_icc``; ``boundary`` flags a
    singular between-level covariance matrix at the ML estimate.
    """
    from synergy_stats.multilevel.icc import item_icc

    inst = ctx.instrument
    group = str(ctx.survey.group)
    rows = []
    for fid, node in inst.constructs.items():
        if node.kind != "factor":
            continue
        items = [i for i in inst.items_of(fid) if i in data.columns]
        if not items:
            continue
        out = item_icc(data, items, cluster=group, missing_cluster="drop")
        for item, r in out.table().iterrows():
            rows.append((fid, item, r["icc"], r["design_effect"], out.n, out.boundary))
    cols = ["factor", "item", "icc", "design_effect", "n", "boundary"]
    items_tab = pd.DataFrame(rows, columns=cols)
    cons_tab = None
    if scores is not None:
        crow = []
        for c in inst.constructs:
            if c not in scores.columns or scores[c].notna().sum() == 0:
                continue
            out = item_icc(scores, [c], cluster=group, missing_cluster="drop")
            r = out.table().iloc[0]
            crow.append((c, r["icc"], r["design_effect"], out.n, out.boundary))
        if crow:
            cons_tab = pd.DataFrame(
                crow, columns=["construct", "icc", "design_effect", "n", "boundary"]
            )
    return items_tab, cons_tab


def twolevel_table(fit: Any, label: Any = str) -> Any:
    """Paper table of a two-level path model: within and between paths in two panels.

    Parameters
    ----------
    fit : TwoLevelResult
        A converged two-level fit.
    label : callable
        Maps a variable name to its printed label.

    Returns
    -------
    synergy_stats.tables.model.Table
        Panel A the level-1 (within-department) paths, panel B the level-2
        (between-department) paths, columns ``b``, SE, z, p and β (std.all); defined
        parameters (``:=``) of each level below its paths; the fit in the note.
    """
    from synergy_stats.tables.format import fmt_num, fmt_p
    from synergy_stats.tables.model import Cell, Notes, Panel, Row, Table
    from synergy_stats.tables.style import get_style

    st = get_style("apa")
    est = fit.estimates()
    fm = fit.fit_measures()

    def num(v: Any, d: int = 3, lead: bool = True) -> Cell:
        v = float(v)
        return Cell("" if v != v else fmt_num(v, d, leading_zero=lead), value=v)

    def cells(r: Any) -> tuple[Cell, ...]:
        return (
            num(r.est),
            num(r.se),
            num(r.z, 2),
            Cell(fmt_p(float(r.pvalue), 3, leading_zero=False)),
            num(r.std_all, 3, False),
        )

    labels = {
        1: set(est.loc[est["level"] == 1, "label"]),
        2: set(est.loc[est["level"] == 2, "label"]),
    }
    defined = est[est["op"] == ":="]
    panels = []
    for lev, title in (
        (1, "Panel A. Within departments (level 1)"),
        (2, "Panel B. Between departments (level 2)"),
    ):
        part = est[(est["level"] == lev) & (est["op"] == "~")]
        rows = [Row(f"{label(r.rhs)} \u2192 {label(r.lhs)}", cells(r)) for r in part.itertuples()]
        for r in defined.itertuples():
            used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", str(r.rhs)))
            if used and used <= labels[lev]:
                target = re.sub(r"^indirect_|_[wb]$", "", str(r.lhs))
                rows.append(Row(f"Indirect effect on {label(target)}", cells(r), indent=1))
        panels.append(Panel(title, tuple(rows)))
    note = (
        f"Two-level ML, N = {int(fm['n'])} staff in {int(fm['n_clusters'])} departments. "
        f"\u03c7\u00b2({int(fm['df'])}) = {fm['chisq']:.2f}, p = "
        f"{fmt_p(fm['pvalue'], 3, leading_zero=False)}; CFI = {fmt_num(fm['cfi'], 3)}; "
        f"RMSEA = {fmt_num(fm['rmsea'], 3, leading_zero=False)}; SRMR within = "
        f"{fmt_num(fm['srmr_within'], 3, leading_zero=False)}, between = "
        f"{fmt_num(fm['srmr_between'], 3, leading_zero=False)}. \u03b2 = standardized "
        "(std.all) coefficient per level; SEs from the observed information."
    )
    return Table(
        header=(tuple(Cell(c) for c in ("b", "SE", "z", "p", "\u03b2")),),
        panels=tuple(panels),
        stub="Path",
        caption="Two-level synergy model on the construct scores",
        notes=Notes(general=(note,)),
        style=st,
    )


def nesting_step(ctx: ReportContext) -> Section:
    """ICCs and design effects, cluster-robust SEM, two-level synergy model on scores.

    Writes ``nesting_item_icc.csv`` (item ICCs, each factor's items jointly),
    ``nesting_construct_icc.csv`` (each construct score alone), ``nesting_sem_se.csv``
    (naive and cluster-robust standard errors of the structural paths) and, when the
    two-level synergy model converges, ``twolevel_estimates.csv``,
    ``twolevel_fit_measures.csv``, ``twolevel_model.lav`` and its paper table
    ``table_twolevel.{tex,docx,html,md}`` (the two levels in panels). When its likelihood
    has no maximum (too few departments for the between level) the section says so and
    writes ``twolevel_model.lav`` only.
    """
    from synergy_stats.structural import sem, structural_model

    if ctx.survey.group is None:
        return Section(TITLE, "Skipped: the survey has no department (group) column.")
    group = str(ctx.survey.group)
    skipped = _skipped(ctx, TITLE)
    if skipped is not None:
        return skipped
    data, where = _cross_section(ctx)
    scores_all = ctx.results.get("scores")
    scores = None
    if scores_all is not None and group in scores_all.columns:
        scores = _in_first_wave(ctx, scores_all)
    elif scores_all is not None:
        scores = _in_first_wave(ctx, scores_all.join(ctx.survey.data[[group]]))
    files: list[str] = []
    body: list[str] = [f"Data: {where}; departments in column `{group}`."]
    notes: list[str] = []

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        items_tab, cons_tab = _icc_tables(ctx, data, scores)
    # boundary warnings are summarised below, one line instead of one per factor
    notes += [
        n
        for n in _notes(caught)
        if "positive semidefinite" not in n and not n.startswith("item_icc:")
    ]
    files.append(ctx.write_csv("nesting_item_icc.csv", items_tab).name)
    n_dept = int(data[group].nunique())
    mean_size = float(data[group].notna().sum() / max(n_dept, 1))
    body += [
        "",
        f"{n_dept} departments, mean size {mean_size:.1f}. Item ICCs from the saturated "
        'two-level model of each factor\'s items (lavaan `lavInspect(fit, "icc")`), design '
        "effect 1 + (m - 1) ICC: "
        f"median item ICC {_fmt(items_tab['icc'].median())} (range "
        f"{_fmt(items_tab['icc'].min())} to {_fmt(items_tab['icc'].max())}).",
    ]
    n_rows = len(data)
    if (items_tab["n"] < n_rows).any():
        body += [
            "",
            "Each factor's ICCs use the rows with all its items answered "
            f"({int(items_tab['n'].min())} to {int(items_tab['n'].max())} of {n_rows}; "
            "column n of nesting_item_icc.csv).",
        ]
    bound = list(dict.fromkeys(items_tab.loc[items_tab["boundary"], "factor"]))
    if bound:
        body += [
            "",
            f"For {len(bound)} of {items_tab['factor'].nunique()} factors "
            f"({', '.join(bound)}) the between-department covariance matrix of the items is "
            f"singular at its ML estimate with {n_dept} departments: the maximum lies on the "
            "boundary (positive-semidefinite Sigma_B), so their item ICCs are ML estimates at "
            "that bound and the between level of those items is weakly informed.",
        ]
    if cons_tab is not None:
        files.append(ctx.write_csv("nesting_construct_icc.csv", cons_tab).name)
        body += [
            "",
            "Construct ICCs (each construct score's own saturated two-level model):",
            "",
            markdown_table(
                ["construct", "ICC", "design effect"],
                [
                    (r.construct, _fmt(r.icc), _fmt(r.design_effect, 2))
                    for r in cons_tab.itertuples()
                ],
            ),
        ]

    # the synergy SEM: naive and cluster-robust standard errors
    naive = ctx.results.get("sem")
    spec = structural_model(ctx.instrument)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if naive is None:
                naive = sem(spec, data, missing="fiml")
            robust = sem(spec, data, missing="fiml", cluster=group, missing_cluster="drop")
        notes += _notes(caught)
        a = naive.estimates()
        b = robust.estimates()
        keep = a["op"].isin(["~", ":="])
        comp = pd.DataFrame(
            {
                "label": a.loc[keep, "label"],
                "path": [
                    f"{r.rhs} -> {r.lhs}" if r.op == "~" else f"{r.lhs} := {r.rhs}"
                    for r in a[keep].itertuples()
                ],
                "est": a.loc[keep, "est"],
                "se_naive": a.loc[keep, "se"],
                "se_cluster": b.loc[keep, "se"].to_numpy(),
                "p_naive": a.loc[keep, "pvalue"],
                "p_cluster": b.loc[keep, "pvalue"].to_numpy(),
            }
        )
        comp["se_ratio"] = comp["se_cluster"] / comp["se_naive"]
        files.append(ctx.write_csv("nesting_sem_se.csv", comp).name)
        fm = robust.fit_measures()
        body += [
            "",
            "Synergy SEM (FIML) with naive ML and cluster-robust (MLR, departments as "
            "clusters) standard errors: "
            f"scaled chi-square = {fm['chisq_scaled']:.2f}, df = {int(fm['df'])}, "
            f"robust CFI = {_fmt(fm['cfi_robust'])}, robust RMSEA = {_fmt(fm['rmsea_robust'])}.",
            "",
            markdown_table(
                ["label", "path", "b", "SE naive", "SE cluster", "ratio", "p cluster"],
                [
                    (
                        r.label,
                        r.path,
                        _fmt(r.est),
                        _fmt(r.se_naive),
                        _fmt(r.se_cluster),
                        _fmt(r.se_ratio, 2),
                        _p(r.p_cluster),
                    )
                    for r in comp.itertuples()
                ],
            ),
        ]
    except SynergyError as exc:
        body += ["", f"Cluster-robust SEM not available: {exc}"]

    # the two-level synergy model on construct scores
    if scores is not None:
        spec2 = structural_model(ctx.instrument, measurement=False, levels=2)
        try:
            files.append(ctx.write_text("twolevel_model.lav", spec2.to_syntax() + "\n").name)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fit2 = sem(spec2, scores, cluster=group, missing_cluster="drop")
                est = fit2.estimates()
                fm2 = fit2.fit_measures()
            notes += _notes(caught)
            ctx.results["twolevel"] = fit2
            files += [
                ctx.write_csv("twolevel_estimates.csv", est).name,
                ctx.write_csv(
                    "twolevel_fit_measures.csv", fm2.rename("value").to_frame(), index=True
                ).name,
            ]
            written = ctx.write_table("table_twolevel", twolevel_table(fit2, _label(ctx)))
            files += [name for name, error in written if error is None]
            notes += [f"{name}: {error}" for name, error in written if error is not None]
            body += [
                "",
                "Two-level synergy model on the construct scores (two-level ML, lavaan "
                "`level: 1` / `level: 2`): "
                f"chi-square = {fm2['chisq']:.2f}, df = {int(fm2['df'])}, "
                f"CFI = {_fmt(fm2['cfi'])}, RMSEA = {_fmt(fm2['rmsea'])}, "
                f"SRMR within = {_fmt(fm2['srmr_within'])}, "
                f"between = {_fmt(fm2['srmr_between'])}.",
            ]
            for lev, panel in (
                (1, "Panel A. Within departments"),
                (2, "Panel B. Between departments"),
            ):
                part = est[(est["level"] == lev) & (est["op"] == "~")]
                body += [
                    "",
                    f"**{panel}**",
                    "",
                    markdown_table(
                        ["label", "path", "b", "SE", "p", "beta"],
                        [
                            (
                                r.label,
                                f"{r.rhs} -> {r.lhs}",
                                _fmt(r.est),
                                _fmt(r.se),
                                _p(r.pvalue),
                                _fmt(r.std_all),
                            )
                            for r in part.itertuples()
                        ],
                    ),
                ]
            d = est[est["op"] == ":="]
            if len(d):
                body += [
                    "",
                    "Indirect effects per level: "
                    + "; ".join(
                        f"{r.lhs} = {_fmt(r.est)} (SE {_fmt(r.se)})" for r in d.itertuples()
                    )
                    + ".",
                ]
        except SynergyError as exc:
            body += ["", f"Two-level model not available: {exc}"]
    if notes:
        body += ["", "Warnings: " + "; ".join(dict.fromkeys(notes))]
    return Section(TITLE, "\n".join(body), tuple(files))
