"""Paper table of common method bias tests (:func:`synergy_stats.method_bias`)."""

from __future__ import annotations

from typing import Any

from synergy_stats._typing import check_arguments
from synergy_stats.errors import OptionError
from synergy_stats.tables.model import Table, plain_table

__all__ = ["method_bias_table"]

_LABELS = {
    "one_factor": "Harman one-factor CFA",
    "trait": "Trait CFA",
    "ulmc": "Trait + ULMC",
    "marker_cfa": "CFA with marker",
    "baseline": "Baseline",
    "method_c": "Method-C",
    "method_u": "Method-U",
    "method_r": "Method-R",
}


def method_bias_table(
    result: Any,
    *,
    style: Any = "apa",
    caption: str | None = "Common method bias tests",
    number: int | None = None,
) -> Table:
    """Fit of the common method bias models with their nested comparisons.

    Parameters
    ----------
    result : MethodBiasResult
        The output of :func:`synergy_stats.method_bias`.
    style, caption, number
        As :func:`synergy_stats.fit_table`.

    Returns
    -------
    Table
        One row per model (chi-square, df, CFI, TLI, RMSEA, SRMR, delta chi-square, delta
        df, p, delta CFI); the notes give Harman's EFA shares.

    Raises
    ------
    OptionError
        If ``result`` is not a MethodBiasResult.
    """
    check_arguments(method_bias_table, locals())
    from synergy_stats.measurement.method_bias import MethodBiasResult

    if not isinstance(result, MethodBiasResult):
        raise OptionError(
            f"result={type(result).__name__} is not accepted; use the output of ss.method_bias"
        )
    tab = result.table()
    rows = []
    for name, r in tab.iterrows():
        vs = r["compared_with"]
        rows.append(
            [
                _LABELS.get(str(name), str(name)),
                r["chisq"],
                int(r["df"]),
                r["cfi"],
                r["tli"],
                r["rmsea"],
                r["srmr"],
                _LABELS.get(str(vs), "") if isinstance(vs, str) else None,
                r["delta_chisq"],
                None if r["delta_df"] != r["delta_df"] else int(r["delta_df"]),
                r["p"],
                r["delta_cfi"],
            ]
        )
    h = result.harman
    notes = [
        f"Harman's single-factor test (EFA): the first unrotated principal component explains "
        f"{h['pca']:.1%} of the variance; one principal-axis factor {h['pa']:.1%}, one ML "
        f"factor {h['ml']:.1%}. N = {result.n}."
    ]
    return plain_table(
        [
            "Model",
            "χ²",
            "df",
            "CFI",
            "TLI",
            "RMSEA",
            "SRMR",
            "Compared with",
            "Δχ²",
            "Δdf",
            "p",
            "ΔCFI",
        ],
        rows,
        style=style,
        caption=caption,
        number=number,
        notes=notes,
        bounded=["CFI", "TLI", "RMSEA", "SRMR", "ΔCFI"],
        pvalues=["p"],
    )
