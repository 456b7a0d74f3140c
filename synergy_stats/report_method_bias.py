"""The common-method-bias step of the main job (共同方法偏差检验).

Harman's single-factor test (EFA shares and the one-factor CFA against the trait CFA) on the
first wave, and the marker-variable tests when the codebook declares ``marker_items``. The
ULMC model is left to :func:`synergy_stats.method_bias` (``ulmc=True``): with a method factor
on every item beside the traits it often does not converge when the data hold little method
variance (the bundled 44-item example among them), and it costs seconds per fit. Writes
``method_bias_models.csv``, ``method_bias_comparisons.csv`` and the paper table
``table_method_bias.*``.
"""

from __future__ import annotations

import warnings

from synergy_stats.errors import SynergyError
from synergy_stats.intake._common import markdown_table
from synergy_stats.report import ReportContext, Section
from synergy_stats.report_analysis import _cross_section, _fmt, _p, _skipped

__all__ = ["method_bias_step"]

TITLE = "Common method bias"
_MODEL = {
    "one_factor": "One-factor CFA (Harman)",
    "trait": "Trait CFA",
    "ulmc": "Trait CFA + method factor (ULMC)",
    "marker_cfa": "CFA with marker",
    "baseline": "Baseline (marker orthogonal)",
    "method_c": "Method-C",
    "method_u": "Method-U",
    "method_r": "Method-R",
}


def method_bias_step(ctx: ReportContext) -> Section:
    """Harman's single-factor test and, with declared markers, the marker tests.

    Writes ``method_bias_models.csv``, ``method_bias_comparisons.csv`` and
    ``table_method_bias.{tex,docx,html,md}``.
    """
    from synergy_stats.measurement.method_bias import method_bias
    from synergy_stats.tables.method_bias import method_bias_table

    skipped = _skipped(ctx, TITLE)
    if skipped is not None:
        return skipped
    data, where = _cross_section(ctx)
    inst = ctx.instrument
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = method_bias(inst, data, missing="fiml", ulmc=False)
        except SynergyError as exc:
            return Section(TITLE, f"Not estimated: {exc}")
    ctx.results["method_bias"] = res
    files = [
        ctx.write_csv("method_bias_models.csv", res.models.reset_index()).name,
        ctx.write_csv("method_bias_comparisons.csv", res.comparisons).name,
    ]
    written = ctx.write_table("table_method_bias", method_bias_table(res))
    files += [name for name, error in written if error is None]
    h = res.harman
    rows = [
        (
            _MODEL.get(str(r.model), str(r.model)),
            _MODEL.get(str(r.compared_with), str(r.compared_with)),
            f"{float(r.delta_chisq):.2f}",  # type: ignore[arg-type]
            f"{float(r.delta_df):.0f}",  # type: ignore[arg-type]
            _p(r.p),
            _fmt(r.delta_cfi),
        )
        for r in res.comparisons.itertuples()
    ]
    share = float(h["pca"])
    verdict = (
        "below 50%: no single factor accounts for the majority of the covariance"
        if share < 0.5
        else "50% or more: a single factor accounts for the majority of the variance"
    )
    body = [
        f"Data: {where} ({res.n} respondents, FIML). Harman's single-factor test: the first "
        f"unrotated principal component explains {100 * share:.1f}% of the items' variance "
        f"({verdict}). Harman's test is a weak check (Podsakoff et al. 2003): it detects "
        "method variance only when it dominates.",
        "",
        markdown_table(
            ["model", "compared with", "delta chi2", "delta df", "p", "delta CFI"], rows
        ),
        "",
    ]
    if res.marker is None:
        body.append(
            "No marker items are declared in the codebook (`marker_items`), so the "
            "marker-variable tests (Lindell & Whitney 2001; Williams et al. 2010) were not "
            "run. The ULMC model is available as `ss.method_bias(inst, data, ulmc=True)`."
        )
    else:
        body.append(
            f"Marker items: {', '.join(res.marker['items'])}; r_M = "
            f"{_fmt(res.marker['r_M'])} (Lindell & Whitney 2001). The Williams et al. (2010) "
            "CFA marker models are in the table."
        )
    notes = sorted({str(w.message)[:200] for w in caught if issubclass(w.category, UserWarning)})
    if notes:
        body += ["", "Warnings: " + "; ".join(notes)]
    return Section(TITLE, "\n".join(body), tuple(files))
