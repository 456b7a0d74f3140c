"""The text summary of a fitted model, laid out as lavaan prints it.

:func:`summary` mirrors ``summary(fit, fit.measures = TRUE, standardized = TRUE,
rsquare = TRUE)`` of lavaan 0.6: the header (estimator, parameters, observations, missing
patterns), the user-model and baseline tests (Standard and Scaled columns under MLR), CFI
and TLI (and the robust ones), the log-likelihoods with AIC, BIC and SABIC, RMSEA with its
90 % interval and the close- and not-close-fit p-values, SRMR, the standard-error and
information types, then the parameter sections Latent Variables, Regressions, Covariances,
Intercepts, Thresholds, Variances, Defined Parameters and R-Square with the Std.lv and
Std.all columns. Values that do not exist are blank (never ``nan``); p-values below .001
print as ``<0.001``. Lines are at most 100 characters wide.

It reads only the result's public interface: ``estimates()``, ``fit_measures()``, ``r2()``,
``options``, ``nobs``, ``npar``, ``group_labels``, ``converged`` and ``optim.iterations``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["summary"]

_LABEL = 44
_COL1 = 10
_COL2 = 12
_MAX = 100


def _num(value: Any, digits: int = 3) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    text = f"{v:.{digits}f}"
    return text.lstrip("-") if float(text) == 0.0 else text


def _pval(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    if math.isnan(v):
        return ""
    return "<0.001" if v < 0.0005 else f"{v:.3f}"


def _int(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(v) else str(round(v))


def _line(label: str, first: str = "", second: str | None = None) -> str:
    text = f"  {label}".ljust(_LABEL) + first.rjust(_COL1)
    if second is not None:
        text += second.rjust(_COL2)
    return text.rstrip() if not (first or second) else text


def _get(fm: pd.Series, key: str) -> float:
    try:
        return float(fm[key])
    except (KeyError, TypeError, ValueError):
        return math.nan


def _rmsea_notclose(chisq: float, df: float, n: float, groups: int, bound: float = 0.08) -> float:
    """P-value of H0: RMSEA >= ``bound`` (lavaan's ``rmsea.notclose.pvalue``)."""
    from scipy import stats

    if not df or df <= 0 or math.isnan(chisq):
        return math.nan
    lam = n * df * bound**2 / groups
    return float(stats.ncx2.cdf(chisq, df, lam))


def _fit_block(result: Any, fm: pd.Series) -> list[str]:
    from synergy_stats.structural import fit as fitidx

    o = result.options
    scaled = "chisq_scaled" in fm.index
    two = scaled
    n = _get(fm, "n")
    groups = max(len(getattr(result, "group_labels", (None,))), 1)
    out: list[str] = []

    def row(label: str, a: str, b: str = "") -> None:
        out.append(_line(label, a, b if two else None))

    out.append("Model Test User Model:")
    if two:
        out.append(" " * _LABEL + "Standard".rjust(_COL1) + "Scaled".rjust(_COL2))
    else:
        out.append("")
    chisq, df = _get(fm, "chisq"), _get(fm, "df")
    row("Test Statistic" if two else "Test statistic", _num(chisq), _num(fm.get("chisq_scaled")))
    row("Degrees of freedom", _int(df), _int(fm.get("df_scaled")))
    row("P-value (Chi-square)", _num(fm.get("pvalue")), _num(fm.get("pvalue_scaled")))
    if two:
        row("Scaling correction factor", "", _num(fm.get("scaling_factor")))
        row("  Yuan-Bentler correction (Mplus variant)", "", "")
    out.append("")
    out.append("Model Test Baseline Model:")
    out.append("")
    bchisq, bdf = _get(fm, "baseline_chisq"), _get(fm, "baseline_df")
    bp = fitidx.chisq_pvalue(bchisq, bdf) if not math.isnan(bchisq) else math.nan
    row("Test statistic", _num(bchisq), _num(fm.get("baseline_chisq_scaled")))
    row("Degrees of freedom", _int(bdf), _int(bdf) if "baseline_chisq_scaled" in fm else "")
    row("P-value", _num(bp), _num(fm.get("baseline_pvalue_scaled")))
    if two and "baseline_scaling_factor" in fm.index:
        row("Scaling correction factor", "", _num(fm.get("baseline_scaling_factor")))
    out.append("")
    out.append("User Model versus Baseline Model:")
    out.append("")
    row("Comparative Fit Index (CFI)", _num(fm.get("cfi")), _num(fm.get("cfi_scaled")))
    row("Tucker-Lewis Index (TLI)", _num(fm.get("tli")), _num(fm.get("tli_scaled")))
    if "cfi_robust" in fm.index:
        out.append(_line("", "", "") if two else "")
        row("Robust Comparative Fit Index (CFI)", "", _num(fm.get("cfi_robust")))
        row("Robust Tucker-Lewis Index (TLI)", "", _num(fm.get("tli_robust")))
    out.append("")
    out.append("Loglikelihood and Information Criteria:")
    out.append("")
    ll, ll1 = _num(fm.get("loglik")), _num(fm.get("unrestricted_loglik"))
    row("Loglikelihood user model (H0)", ll, ll)
    if two and "loglik_scaling_factor" in fm.index:
        row("Scaling correction factor", "", _num(fm.get("loglik_scaling_factor")))
        row("    for the MLR correction", "", "")
    row("Loglikelihood unrestricted model (H1)", ll1, ll1)
    if two and "unrestricted_loglik_scaling_factor" in fm.index:
        row("Scaling correction factor", "", _num(fm.get("unrestricted_loglik_scaling_factor")))
        row("    for the MLR correction", "", "")
    out.append("")
    for label, key in (
        ("Akaike (AIC)", "aic"),
        ("Bayesian (BIC)", "bic"),
        ("Sample-size adjusted Bayesian (SABIC)", "sabic"),
    ):
        v = _num(fm.get(key))
        row(label, v, v)
    out.append("")
    out.append("Root Mean Square Error of Approximation:")
    out.append("")
    sc = _get(fm, "chisq_scaled")
    if two and not math.isnan(sc):
        s_rmsea = fitidx.rmsea(sc, df, int(n), groups)
        s_lo, s_hi = fitidx.rmsea_ci(sc, df, int(n), groups)
        s_p = fitidx.rmsea_pvalue(sc, df, int(n), groups)
        s_nc = _rmsea_notclose(sc, df, n, groups)
    else:
        s_rmsea = s_lo = s_hi = s_p = s_nc = math.nan
    row("RMSEA", _num(fm.get("rmsea")), _num(s_rmsea))
    row("90 Percent confidence interval - lower", _num(fm.get("rmsea_ci_lower")), _num(s_lo))
    row("90 Percent confidence interval - upper", _num(fm.get("rmsea_ci_upper")), _num(s_hi))
    row("P-value H_0: RMSEA <= 0.050", _num(fm.get("rmsea_pvalue")), _num(s_p))
    row("P-value H_0: RMSEA >= 0.080", _num(_rmsea_notclose(chisq, df, n, groups)), _num(s_nc))
    if "rmsea_robust" in fm.index:
        out.append(_line("", "", ""))
        row("Robust RMSEA", "", _num(fm.get("rmsea_robust")))
        for label, key in (
            ("90 Percent confidence interval - lower", "rmsea_ci_lower_robust"),
            ("90 Percent confidence interval - upper", "rmsea_ci_upper_robust"),
            ("P-value H_0: Robust RMSEA <= 0.050", "rmsea_pvalue_robust"),
            ("P-value H_0: Robust RMSEA >= 0.080", "rmsea_notclose_pvalue_robust"),
        ):
            if key in fm.index:
                row(label, "", _num(fm.get(key)))
    out.append("")
    out.append("Standardized Root Mean Square Residual:")
    out.append("")
    srmr = _num(fm.get("srmr"))
    row("SRMR", srmr, srmr)
    out.append("")
    out.append("Parameter Estimates:")
    out.append("")
    robust = o.estimator.upper() in ("MLR", "MLM", "MLMV", "MLF")
    info = str(getattr(o, "information", "expected")).capitalize()
    if robust:
        out.append(_line("Standard errors", "Sandwich".rjust(_COL1)))
        out.append(_line("Information bread", info))
    else:
        out.append(_line("Standard errors", "Standard"))
        out.append(_line("Information", info))
    if info == "Observed":
        out.append(_line("Observed information based on", "Hessian"))
    else:
        out.append(_line("Information saturated (h1) model", "Structured"))
    return [_fix_width(t) for t in out]


def _fix_width(text: str) -> str:
    """Values wider than their column push the line right; keep it within 100 characters."""
    return text if len(text) <= _MAX else text[:_MAX]


def _endogenous(est: pd.DataFrame) -> set[str]:
    out = set(est.loc[est["op"] == "=~", "rhs"].astype(str))
    out |= set(est.loc[est["op"] == "~", "lhs"].astype(str))
    return out


def _param_sections(result: Any, est: pd.DataFrame, group: Any) -> list[str]:
    sub = est if group is None else est[est["group"] == group]
    endo = _endogenous(est)
    names = [str(x) for x in sub["rhs"]] + [str(x) for x in sub["lhs"]]
    labels = [str(x) for x in sub["label"].fillna("")] if "label" in sub.columns else []
    longest = max((len(x) for x in names if len(x) < 60), default=8)
    longest_label = max((len(x) for x in labels), default=0)
    width = min(max(19, 4 + longest + (longest_label + 3 if longest_label else 0) + 2), 47)
    head = (
        " " * width
        + "Estimate".rjust(8)
        + "".join(t.rjust(9) for t in ("Std.Err", "z-value", "P(>|z|)", "Std.lv", "Std.all"))
    )
    out: list[str] = []

    def values(rec: Any) -> str:
        se = rec["se"]
        fixed = se is None or (isinstance(se, float) and math.isnan(se))
        return (
            _num(rec["est"]).rjust(8)
            + ("" if fixed else _num(se)).rjust(9)
            + ("" if fixed else _num(rec["z"])).rjust(9)
            + ("" if fixed else _pval(rec["pvalue"])).rjust(9)
            + _num(rec.get("std_lv")).rjust(9)
            + _num(rec.get("std_all")).rjust(9)
        )

    def name_col(prefix: str, name: str, label: str) -> str:
        left = f"{prefix}{name}"
        if label:
            tag = f"({label})"
            left = left.ljust(width - len(tag) - 1) + tag
        if len(left) > width - 1:
            left = left[: width - 2] + "~"
        return left.ljust(width)

    def grouped(title: str, op: str) -> None:
        rows = sub[sub["op"] == op]
        if rows.empty:
            return
        out.extend(["", f"{title}:", head])
        key = "lhs"
        for lhs, block in rows.groupby(key, sort=False):
            dot = "." if (op == "~~" and str(lhs) in endo) else ""
            out.append((f"  {dot}{lhs!s} {op}").ljust(len(head)))
            for _, rec in block.iterrows():
                rdot = "." if (op == "~~" and str(rec["rhs"]) in endo) else ""
                pre = "   " + rdot if rdot else "    "
                out.append(name_col(pre, str(rec["rhs"]), _lab(rec)) + values(rec))

    def flat(title: str, frame: pd.DataFrame, *, use_lhs: bool = True) -> None:
        if frame.empty:
            return
        out.extend(["", f"{title}:", head])
        for _, rec in frame.iterrows():
            name = str(rec["lhs"]) if use_lhs else str(rec["rhs"])
            pre = "   ." if name in endo else "    "
            if rec["op"] == "|":
                name = f"{rec['lhs']}|{rec['rhs']}"
                pre = "    "
            out.append(name_col(pre, name, _lab(rec)) + values(rec))

    grouped("Latent Variables", "=~")
    grouped("Regressions", "~")
    cov = sub[(sub["op"] == "~~") & (sub["lhs"] != sub["rhs"])]
    if not cov.empty:
        out.extend(["", "Covariances:", head])
        for lhs, block in cov.groupby("lhs", sort=False):
            dot = "." if str(lhs) in endo else ""
            out.append((f"  {dot}{lhs!s} ~~").ljust(len(head)))
            for _, rec in block.iterrows():
                rdot = "." if str(rec["rhs"]) in endo else ""
                pre = "   ." if rdot else "    "
                out.append(name_col(pre, str(rec["rhs"]), _lab(rec)) + values(rec))
    flat("Intercepts", sub[sub["op"] == "~1"])
    flat("Thresholds", sub[sub["op"] == "|"])
    flat("Variances", sub[(sub["op"] == "~~") & (sub["lhs"] == sub["rhs"])])
    scales = sub[sub["op"] == "~*~"]
    flat("Scales y*", scales)
    return [_fix_width(t.rstrip()) if not t.strip() else _fix_width(t) for t in out]


def _lab(rec: Any) -> str:
    label = rec.get("label", "")
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return ""
    text = str(label)
    # lavaan shows user labels, not the automatic names of defined effects' own rows
    return "" if text in ("", str(rec.get("lhs", "")) + str(rec.get("op", ""))) else text


def _r2_lines(result: Any, est: pd.DataFrame, group: Any) -> list[str]:
    import pandas as pd

    values: dict[str, float] = {}
    r2 = getattr(result, "r2", None)
    got = r2() if callable(r2) else None
    if isinstance(got, pd.Series):
        if isinstance(got.index, pd.MultiIndex):
            labels = list(getattr(result, "group_labels", ()))
            key = labels[int(group) - 1] if group is not None and labels else None
            if key in got.index.get_level_values(0):
                got = got.xs(key, level=0)
            else:
                got = got.iloc[0:0]
        values = {str(k): float(v) for k, v in got.items()}
    if not values:
        return []
    out = ["", "R-Square:", " " * 19 + "Estimate".rjust(8)]
    for name, v in values.items():
        out.append(f"    {name}".ljust(19) + _num(v).rjust(8))
    return out


def summary(
    result: Any,
    *,
    fit_measures: bool = True,
    standardized: bool = True,
    rsquare: bool = True,
    missing_patterns: Sequence[int] | None = None,
) -> str:
    """Print a fitted model as lavaan's ``summary(fit, fit.measures=TRUE, ...)`` does.

    The layout is that of ``summary(fit, fit.measures=TRUE, standardized=TRUE,
    rsquare=TRUE)`` (see the module notes).

    Parameters
    ----------
    result : SEMResult
        A fitted model.
    fit_measures : bool
        Show the model tests, fit indices and information criteria (default True).
    standardized : bool
        Show the Std.lv and Std.all columns (default True; blank columns otherwise).
    rsquare : bool
        Show the R-Square section (default True).
    missing_patterns : sequence of int, optional
        Number of missing-data patterns per group (shown under FIML).

    Returns
    -------
    str
        At most 100 characters per line.

    Examples
    --------
    Mirrors ``lavaan::summary(fit, fit.measures = TRUE, standardized = TRUE,
    rsquare = TRUE)``.

    >>> print(fit.summary())  # doctest: +SKIP
    """
    import importlib

    # the package's version, without a static import of the package from inside it
    version = getattr(importlib.import_module("synergy_stats"), "__version__", "")
    o = result.options
    est = result.estimates()
    if not standardized:
        est = est.assign(std_lv=math.nan, std_all=math.nan)
    fm = result.fit_measures()
    converged = bool(getattr(result, "converged", True))
    iterations = getattr(getattr(result, "optim", None), "iterations", None)
    status = "ended normally" if converged else "did NOT end normally"
    first = f"synergy_stats {version} {status}"
    if iterations is not None:
        first += f" after {int(iterations)} iterations"
    estimator = str(o.estimator).upper()
    shown = "ML" if estimator in ("MLR", "MLM", "MLMV", "MLF") else estimator
    lines = [
        first,
        "",
        _line("Estimator", shown),
        _line("Number of model parameters", _int(result.npar)),
    ]
    lines.append("")
    labels = list(getattr(result, "group_labels", (None,)))
    multi = len(labels) > 1
    lines.append(_line("Number of observations", _int(getattr(result, "nobs", fm.get("n")))))
    fiml = str(o.missing).lower() in ("fiml", "ml")
    if fiml and missing_patterns:
        if multi:
            lines.append(_line("Number of missing patterns per group:", ""))
            for g, k in zip(labels, missing_patterns, strict=False):
                lines.append(_line(f"  {g}", str(int(k))))
        else:
            lines.append(_line("Number of missing patterns", str(int(sum(missing_patterns)))))
    lines.append("")
    if fit_measures:
        lines += _fit_block(result, fm)
    groups: list[Any] = [None]
    if multi and "group" in est.columns:
        groups = sorted(int(g) for g in est["group"].unique() if int(g) > 0)
    for g in groups:
        if g is not None:
            lines += ["", f"Group {g} [{labels[g - 1]}]:"]
        lines += _param_sections(result, est, g)
        if rsquare:
            lines += _r2_lines(result, est, g)
    defined = est[est["op"] == ":="]
    if not defined.empty:
        head = (
            " " * 19
            + "Estimate".rjust(8)
            + "".join(t.rjust(9) for t in ("Std.Err", "z-value", "P(>|z|)", "Std.lv", "Std.all"))
        )
        lines += ["", "Defined Parameters:", head]
        for _, rec in defined.iterrows():
            se = rec["se"]
            fixed = isinstance(se, float) and math.isnan(se)
            text = (
                f"    {rec['lhs']}".ljust(19)
                + _num(rec["est"]).rjust(8)
                + ("" if fixed else _num(se)).rjust(9)
                + ("" if fixed else _num(rec["z"])).rjust(9)
                + ("" if fixed else _pval(rec["pvalue"])).rjust(9)
                + _num(rec.get("std_lv")).rjust(9)
                + _num(rec.get("std_all")).rjust(9)
            )
            lines.append(_fix_width(text))
    return "\n".join(line.rstrip() for line in lines) + "\n"
