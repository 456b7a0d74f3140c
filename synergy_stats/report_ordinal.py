"""Ordinal robustness step of the main job: the synergy SEM re-estimated by WLSMV.

The instrument's items are five-point Likert items; the main SEM step treats them as
continuous (ML with FIML). This step refits the same model with every item declared ordered
(``ordered=True``: polychoric correlations, WLSMV, delta parameterization, pairwise
missing data, as lavaan) and sets fit and structural paths side by side with the ML
solution. Files: ``sem_ordinal_estimates.csv``, ``sem_ordinal_fit_measures.csv``,
``sem_ordinal_comparison.csv`` and the paper tables ``table_ordinal_fit`` and
``table_ordinal_paths`` (.tex, .docx, .html, .md).
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from synergy_stats.errors import SynergyError
from synergy_stats.intake._common import markdown_table
from synergy_stats.report import ReportContext, Section
from synergy_stats.report_analysis import _cross_section, _fmt, _skipped

__all__ = ["comparison_frame", "ordinal_step"]

TITLE = "Ordinal robustness check (WLSMV)"


def _reported(fm: pd.Series, scaled: bool) -> pd.Series:
    """The fit measures a paper reports: scaled ones for WLSMV, standard ones for ML."""
    keys = ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper"]
    out = {}
    for k in keys:
        src = f"{k}_scaled" if scaled and f"{k}_scaled" in fm.index else k
        out[k] = float(fm[src])
    out["srmr"] = float(fm["srmr"])
    out["npar"] = float(fm["npar"])
    return pd.Series(out)


def comparison_frame(ml: Any, ordinal: Any) -> pd.DataFrame:
    """Structural paths and defined effects of an ML and an ordinal fit, side by side."""
    keys = ["lhs", "op", "rhs", "label"]
    cols = ["est", "se", "pvalue", "std_all"]
    a = ml.estimates()
    b = ordinal.estimates()
    a = a[a["op"].isin(["~", ":="])][keys + cols]
    b = b[b["op"].isin(["~", ":="])][keys + cols]
    out = a.merge(b, on=keys, how="left", suffixes=("_ml", "_wlsmv"))
    return out.reset_index(drop=True)


def ordinal_step(ctx: ReportContext) -> Section:
    """Re-estimate the synergy SEM of wave 1 by WLSMV and compare it with ML.

    Writes ``sem_ordinal_estimates.csv``, ``sem_ordinal_fit_measures.csv``,
    ``sem_ordinal_comparison.csv`` and the tables ``table_ordinal_fit.*`` and
    ``table_ordinal_paths.*``.
    """
    from synergy_stats import tables as tb
    from synergy_stats.structural import sem, structural_model

    skipped = _skipped(ctx, TITLE)
    if skipped is not None:
        return skipped
    data, where = _cross_section(ctx)
    inst = ctx.instrument
    spec = structural_model(inst)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ml = ctx.results.get("sem")
        if ml is None:
            ml = sem(spec, data, missing="fiml")
        try:
            fit = sem(spec, data, ordered=True, missing="pairwise")
        except SynergyError as exc:
            return Section(TITLE, f"Not estimated: {exc}")
    ctx.results["sem_ordinal"] = fit
    est = fit.estimates()
    fm = fit.fit_measures()
    comp = comparison_frame(ml, fit)
    files = [
        ctx.write_csv("sem_ordinal_estimates.csv", est).name,
        ctx.write_csv(
            "sem_ordinal_fit_measures.csv", fm.rename("value").to_frame(), index=True
        ).name,
        ctx.write_csv("sem_ordinal_comparison.csv", comp).name,
    ]
    fm_ml = ml.fit_measures()
    tables = {
        "table_ordinal_fit": tb.fit_table(
            {
                "ML (items continuous, FIML)": _reported(fm_ml, False),
                "WLSMV (items ordered, scaled)": _reported(fm, True),
            },
            scaled=False,
            caption="Fit of the synergy execution model: ML and WLSMV",
            notes=(
                "WLSMV: scaled-shifted chi-square and the CFI, TLI and RMSEA computed from it "
                "(lavaan's .scaled measures); polychoric correlations, pairwise missing data.",
            ),
        ),
        "table_ordinal_paths": tb.paths_table(
            fit,
            hypotheses=inst,
            instrument=inst,
            caption="Structural paths, items treated as ordered (WLSMV)",
        ),
    }
    for stem, table in tables.items():
        files += [name for name, error in ctx.write_table(stem, table) if error is None]
    rows = [
        (
            r.label or "",
            f"{r.rhs} -> {r.lhs}" if r.op == "~" else f"{r.lhs} :=",
            _fmt(r.est_ml),
            _fmt(r.std_all_ml),
            _fmt(r.pvalue_ml),
            _fmt(r.est_wlsmv),
            _fmt(r.std_all_wlsmv),
            _fmt(r.pvalue_wlsmv),
        )
        for r in comp.itertuples()
    ]
    notes = sorted({str(w.message)[:200] for w in caught if issubclass(w.category, UserWarning)})
    body = [
        f"Data: {where} ({fit.nobs} respondents). The synergy SEM refitted with every item "
        "declared ordered (lavaan `sem(..., ordered = TRUE)`: thresholds and polychoric "
        "correlations, WLSMV with robust standard errors and the scaled-shifted test, delta "
        "parameterization, pairwise missing data), beside the ML solution of the SEM step.",
        "",
        f"WLSMV fit: scaled chi-square = {fm['chisq_scaled']:.2f}, df = {int(fm['df'])}, "
        f"p = {_fmt(fm['pvalue_scaled'])}, CFI = {_fmt(fm['cfi_scaled'])}, "
        f"TLI = {_fmt(fm['tli_scaled'])}, RMSEA = {_fmt(fm['rmsea_scaled'])}, "
        f"SRMR = {_fmt(fm['srmr'])}. ML fit: chi-square = {fm_ml['chisq']:.2f}, "
        f"CFI = {_fmt(fm_ml['cfi'])}, RMSEA = {_fmt(fm_ml['rmsea'])}.",
        "",
        markdown_table(
            [
                "label",
                "path",
                "b (ML)",
                "beta (ML)",
                "p (ML)",
                "b (WLSMV)",
                "beta (WLSMV)",
                "p (WLSMV)",
            ],
            rows,
        ),
        "",
        "Standardized paths (beta) are comparable across the two estimators; the "
        "unstandardized ones are on different scales (items vs. latent responses).",
    ]
    if notes:
        body += ["", "Warnings: " + "; ".join(notes)]
    return Section(TITLE, "\n".join(body), tuple(files))
