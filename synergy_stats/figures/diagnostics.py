"""Diagnostic figures: scree, matrices, invariance ladders, bootstrap draws, coefficients."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

from synergy_stats._typing import check_arguments
from synergy_stats.errors import OptionError
from synergy_stats.figures._base import Lang, check_lang, figure_context, fmt, label_of, new_figure

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from synergy_stats.inference import BootstrapResult
    from synergy_stats.instrument import Instrument
    from synergy_stats.measurement.exploratory import ParallelAnalysisResult
    from synergy_stats.panel.invariance import InvarianceResult

__all__ = [
    "plot_bootstrap",
    "plot_coefficients",
    "plot_invariance",
    "plot_matrix",
    "plot_parallel",
]

_T: dict[str, dict[str, str]] = {
    "en": {
        "factor": "factor / component number",
        "eigen": "eigenvalue",
        "fa_obs": "FA, data",
        "fa_sim": "FA, simulated",
        "pc_obs": "PC, data",
        "pc_sim": "PC, simulated",
        "pa_title": "Parallel analysis: {f} factors, {c} components suggested",
        "level": "level",
        "dcfi": "ΔCFI",
        "drmsea": "ΔRMSEA",
        "cut": "cut-off",
        "draws": "bootstrap draws",
        "estimate": "estimate",
        "percentile": "{lvl} percentile CI",
        "bc": "{lvl} bias-corrected CI",
        "bca": "{lvl} BCa CI",
        "norm": "{lvl} normal CI",
        "basic": "{lvl} basic CI",
        "boot_title": "{e}: {n} draws",
        "coef": "estimate with 95% CI",
        "htmt": "HTMT",
        "corr": "correlation",
    },
    "zh": {
        "factor": "因子/成分序号",
        "eigen": "特征值",
        "fa_obs": "因子分析，实际数据",
        "fa_sim": "因子分析，模拟数据",
        "pc_obs": "主成分，实际数据",
        "pc_sim": "主成分，模拟数据",
        "pa_title": "平行分析：建议 {f} 个因子、{c} 个成分",
        "level": "等同性水平",
        "dcfi": "ΔCFI",
        "drmsea": "ΔRMSEA",
        "cut": "临界值",
        "draws": "自助抽样估计值",
        "estimate": "估计值",
        "percentile": "{lvl} 百分位置信区间",
        "bc": "{lvl} 偏差校正置信区间",
        "bca": "{lvl} BCa 置信区间",
        "norm": "{lvl} 正态置信区间",
        "basic": "{lvl} 基本置信区间",
        "boot_title": "{e}：{n} 次抽样",
        "coef": "估计值及 95% 置信区间",
        "htmt": "HTMT",
        "corr": "相关系数",
    },
}
_LEVELS = {
    "zh": {"configural": "形态等同", "metric": "弱等同", "scalar": "强等同", "strict": "严格等同"},
}


def plot_parallel(pa: ParallelAnalysisResult, *, lang: Lang = "en") -> Figure:
    """Scree plot of a parallel analysis with the simulated eigenvalues.

    Parameters
    ----------
    pa : ParallelAnalysisResult
        The result of :func:`synergy_stats.parallel_analysis`.
    lang : {"en", "zh"}
        Language of the labels.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    psych's ``fa.parallel(x)`` plot:

    >>> ss.plot_parallel(ss.parallel_analysis(items, seed=1))  # doctest: +SKIP
    """
    check_arguments(plot_parallel, locals())
    lang = check_lang(lang)
    t = _T[lang]
    table = pa.table
    x = [int(i) for i in table.index]
    with figure_context(lang):
        fig = new_figure(6.0, 3.8, lang)
        ax = fig.add_subplot()
        series = [
            ("fa_observed", t["fa_obs"], "#2166ac", "-", "o"),
            ("fa_simulated_q", t["fa_sim"], "#2166ac", "--", None),
            ("pc_observed", t["pc_obs"], "#b2182b", "-", "^"),
            ("pc_simulated_q", t["pc_sim"], "#b2182b", "--", None),
        ]
        for colname, label, color, ls, marker in series:
            if colname in table.columns:
                ax.plot(
                    x,
                    table[colname].to_numpy(dtype=float),
                    ls=ls,
                    marker=marker,
                    ms=3.5,
                    color=color,
                    lw=1.1,
                    label=label,
                )
        ax.axhline(1.0, color="#999999", lw=0.6, ls=":")
        ax.set_xlabel(t["factor"])
        ax.set_ylabel(t["eigen"])
        ax.set_title(t["pa_title"].format(f=pa.n_factors, c=pa.n_components), fontsize=9)
        ax.legend(fontsize=7, frameon=False)
        fig.tight_layout()
    return fig


def plot_matrix(
    matrix: pd.DataFrame,
    *,
    kind: Literal["auto", "htmt", "corr"] = "auto",
    instrument: Instrument | None = None,
    lang: Lang = "en",
    digits: int = 2,
) -> Figure:
    """Heat map of an HTMT or correlation matrix (lower triangle, values printed).

    Parameters
    ----------
    matrix : pandas.DataFrame
        A square matrix, e.g. :func:`synergy_stats.htmt` or a correlation matrix.
    kind : {"auto", "htmt", "corr"}
        HTMT (0 to 1 colour scale, the .85 and .90 thresholds of Henseler et al. 2015 drawn
        on the colour bar, cells above .85 framed) or correlation (-1 to 1). ``"auto"``
        takes HTMT when the matrix has no negative entry.
    instrument : Instrument, optional
        Labels.
    lang : {"en", "zh"}
        Language of the labels.
    digits : int
        Decimals printed.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    ``corrplot::corrplot(semTools::htmt(model, data))`` in R:

    >>> ss.plot_matrix(ss.htmt(inst, data))  # doctest: +SKIP
    """
    check_arguments(plot_matrix, locals())
    import numpy as np
    import pandas as pd
    from matplotlib.patches import Rectangle

    lang = check_lang(lang)
    if not isinstance(matrix, pd.DataFrame) or matrix.shape[0] != matrix.shape[1]:
        raise OptionError("matrix is not accepted; give a square DataFrame (htmt() or corr())")
    if kind not in ("auto", "htmt", "corr"):
        raise OptionError(f"kind={kind!r} is not accepted; use 'auto', 'htmt' or 'corr'")
    try:
        values = matrix.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise OptionError("matrix holds values that are not numbers") from None
    n = values.shape[0]
    off = values[~np.eye(n, dtype=bool)]
    if kind == "auto":
        kind = "htmt" if np.nanmin(off, initial=0.0) >= 0 else "corr"
    labels = [label_of(str(c), instrument, lang) for c in matrix.columns]
    shown = np.where(np.tril(np.ones((n, n), dtype=bool), k=-1), values, np.nan)[1:, :-1]
    size = 1.2 + 0.55 * n
    with figure_context(lang):
        fig = new_figure(size + 1.8, size, lang)
        ax = fig.add_subplot()
        if kind == "htmt":
            im = ax.imshow(shown, cmap="YlOrRd", vmin=0, vmax=1)
        else:
            im = ax.imshow(shown, cmap="RdBu_r", vmin=-1, vmax=1)
        for i in range(1, n):
            for j in range(i):
                v = values[i, j]
                if v == v:
                    ax.text(
                        j,
                        i - 1,
                        fmt(v, digits),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if abs(v) > 0.7 else "black",
                    )
                if kind == "htmt" and v > 0.85:
                    ax.add_patch(
                        Rectangle((j - 0.5, i - 1.5), 1, 1, fill=False, ec="black", lw=1.4)
                    )
        ax.set_xticks(range(n - 1), labels[:-1], rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(n - 1), labels[1:], fontsize=7)
        ax.spines[:].set_visible(False)
        ax.tick_params(length=0)
        bar = fig.colorbar(im, ax=ax, shrink=0.7)
        bar.set_label(_T[lang][kind])
        if kind == "htmt":
            for cut, ls in ((0.85, "--"), (0.90, "-")):
                bar.ax.axhline(cut, color="black", lw=1.2, ls=ls)
        fig.tight_layout()
    return fig


def _ladder_table(ladder: Any) -> pd.DataFrame:
    import pandas as pd

    if isinstance(ladder, pd.DataFrame):
        table = ladder
    elif hasattr(ladder, "table"):
        table = ladder.table()
    else:
        raise OptionError(
            f"ladder={type(ladder).__name__} is not accepted; give the result of "
            "measurement_invariance() or its table()"
        )
    missing = [c for c in ("delta_cfi", "delta_rmsea") if c not in table.columns]
    if missing:
        raise OptionError(
            f"ladder has no column(s) {missing}; give measurement_invariance().table()"
        )
    return table


def plot_invariance(
    ladder: InvarianceResult | pd.DataFrame,
    *,
    cfi_cut: float = -0.01,
    rmsea_cut: float = 0.015,
    lang: Lang = "en",
) -> Figure:
    """ΔCFI and ΔRMSEA of each invariance level against the cut-offs.

    Parameters
    ----------
    ladder : InvarianceResult or pandas.DataFrame
        :func:`synergy_stats.measurement_invariance` or its ``table()``.
    cfi_cut, rmsea_cut : float
        Cut-offs drawn: ΔCFI ≥ -.01 (Cheung & Rensvold 2002), ΔRMSEA ≤ .015 (Chen 2007).
    lang : {"en", "zh"}
        Language of the labels.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    The change in fit that ``semTools::compareFit`` tabulates:

    >>> ss.plot_invariance(ss.measurement_invariance(inst, data, wave="wave"))  # doctest: +SKIP
    """
    check_arguments(plot_invariance, locals())
    import numpy as np

    lang = check_lang(lang)
    t = _T[lang]
    for name, cut in (("cfi_cut", cfi_cut), ("rmsea_cut", rmsea_cut)):
        try:
            finite = bool(np.isfinite(float(cut)))
        except (OverflowError, TypeError, ValueError):
            finite = False
        if not finite:
            raise OptionError(f"{name}={cut!r} is not accepted; use a finite number")
    table = _ladder_table(ladder).iloc[1:]
    names = [_LEVELS.get(lang, {}).get(str(lv), str(lv)) for lv in table.index]
    x = np.arange(len(names))
    with figure_context(lang):
        fig = new_figure(7.0, 3.2, lang)
        axes = fig.subplots(1, 2)
        for ax, colname, cut, title, bad in (
            (axes[0], "delta_cfi", cfi_cut, t["dcfi"], lambda v: v < cfi_cut),
            (axes[1], "delta_rmsea", rmsea_cut, t["drmsea"], lambda v: v > rmsea_cut),
        ):
            vals = table[colname].to_numpy(dtype=float)
            colors = ["#b2182b" if v == v and bad(v) else "#4393c3" for v in vals]
            ax.bar(x, np.nan_to_num(vals), color=colors, width=0.6)
            # a marker too, so that a change of zero is visible
            ax.scatter(x, vals, color=colors, marker="D", s=14, zorder=3)
            for xi, v in zip(x, vals, strict=True):
                if v == v:
                    ax.text(
                        xi, v, fmt(v, 3), ha="center", va="bottom" if v >= 0 else "top", fontsize=7
                    )
            ax.axhline(cut, color="black", ls="--", lw=0.9, label=f"{t['cut']} {cut:+.3f}")
            ax.axhline(0, color="#888888", lw=0.6)
            ax.set_xticks(x, names, fontsize=8)
            ax.set_title(title, fontsize=9)
            lo = min(np.nanmin(vals, initial=0.0), cut) * 1.4
            hi = max(np.nanmax(vals, initial=0.0), cut) * 1.4
            ax.set_ylim(min(lo, -0.005), max(hi, 0.005))
            ax.legend(
                fontsize=7,
                frameon=False,
                loc="lower left" if colname == "delta_cfi" else "upper left",
            )
        fig.tight_layout()
    return fig


def plot_bootstrap(
    boot: BootstrapResult,
    effect: str,
    *,
    level: float = 0.95,
    lang: Lang = "en",
    bins: int = 40,
    methods: Sequence[str] = ("percentile", "bca"),
) -> Figure:
    """Histogram of the bootstrap draws of one parameter with its bootstrap intervals.

    Parameters
    ----------
    boot : BootstrapResult
        The result of :func:`synergy_stats.bootstrap`.
    effect : str
        A parameter: a label (``"h1"``), a defined effect (``"indirect"``) or a column of
        ``boot.draws``.
    level : float
        Confidence level.
    lang : {"en", "zh"}
        Language of the labels.
    bins : int
        Histogram bins.
    methods : sequence of {"percentile", "bc", "bca", "norm", "basic"}
        The intervals drawn (as ``boot.ci(level, method)``; one or two read best). BCa
        refits the model once per case the first time it is asked for; a report that
        tabulates percentile and bias-corrected intervals passes ``("percentile", "bc")``
        so that the figure shows the table's numbers.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    OptionError
        An effect that is not a column of ``boot.draws``, an unknown or repeated method.

    Examples
    --------
    ``boot::boot.ci`` / the histogram of ``lavaan::lavInspect(fit, "boot")``:

    >>> ss.plot_bootstrap(boot, "indirect")  # doctest: +SKIP
    """
    check_arguments(plot_bootstrap, locals())
    import numpy as np

    lang = check_lang(lang)
    t = _T[lang]
    if bins < 1:
        raise OptionError(f"bins={bins!r} is not accepted; use a whole number of bins >= 1")
    if effect not in boot.draws.columns:
        raise OptionError(
            f"effect={effect!r} is not accepted; use one of {list(boot.draws.columns)}"
        )
    allowed = ("percentile", "bc", "bca", "norm", "basic")
    if isinstance(methods, str) or not methods:
        raise OptionError(f"methods={methods!r} is not accepted; give a sequence of {allowed}")
    methods = tuple(methods)
    wrong = [m for m in methods if m not in allowed]
    if wrong or len(set(methods)) != len(methods):
        raise OptionError(
            f"methods={methods!r} is not accepted; give distinct names among {allowed}"
        )
    draws = boot.draws[effect].to_numpy(dtype=float)
    draws = draws[np.isfinite(draws)]
    intervals = {}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # failed draws are counted in boot.failed
        for method in methods:
            ci = boot.ci(level, cast(Any, method))
            key = ci["label"].fillna("").astype(str)
            names = np.where(key != "", key, ci["lhs"] + ci["op"] + ci["rhs"])
            row = ci[names == effect]
            if row.empty and ":=" in set(ci["op"]):
                row = ci[(ci["op"] == ":=") & (ci["lhs"] == effect)]
            if not row.empty:
                intervals[method] = (
                    float(row["ci_lower"].iloc[0]),
                    float(row["ci_upper"].iloc[0]),
                    float(row["est"].iloc[0]),
                )
    with figure_context(lang):
        fig = new_figure(6.0, 3.6, lang)
        ax = fig.add_subplot()
        ax.hist(draws, bins=bins, color="#c6dbef", edgecolor="white")
        top = ax.get_ylim()[1]
        looks = [("#08519c", "--"), ("#b2182b", "-"), ("#238b45", "-."), ("#6a51a3", ":")]
        lvl = f"{100 * level:g}%"
        est = None
        for k, (method, (lo, hi, e)) in enumerate(intervals.items()):
            color, ls = looks[k % len(looks)]
            label = t[method].format(lvl=lvl)
            h = 0.93 - 0.08 * k
            ax.plot(
                [lo, hi],
                [top * h, top * h],
                color=color,
                lw=2.2,
                ls=ls,
                label=f"{label} [{fmt(lo, 3)}, {fmt(hi, 3)}]",
            )
            ax.axvline(lo, color=color, lw=0.8, ls=ls)
            ax.axvline(hi, color=color, lw=0.8, ls=ls)
            est = e
        if est is not None:
            ax.axvline(est, color="black", lw=1.4, label=f"{t['estimate']} {fmt(est, 3)}")
        ax.set_xlabel(t["draws"])
        ax.set_title(t["boot_title"].format(e=effect, n=len(draws)), fontsize=9)
        ax.legend(fontsize=7, frameon=False, loc="upper left")
        ax.set_ylim(0, top * 1.15)
        fig.tight_layout()
    return fig


def plot_coefficients(
    models: Mapping[str, Any] | Sequence[Any],
    *,
    terms: Sequence[str] | None = None,
    intercept: bool = False,
    level: float = 0.95,
    lang: Lang = "en",
) -> Figure:
    """Coefficient plot of regressions side by side (modelsummary's ``modelplot``).

    Parameters
    ----------
    models : mapping of name -> model, or sequence of models
        Results of :func:`synergy_stats.regress` (and the other regression functions), or
        statsmodels results.
    terms : sequence of str, optional
        Terms to show, in this order (default all but the intercept).
    intercept : bool
        Show the intercept.
    level : float
        Confidence level of the bars.
    lang : {"en", "zh"}
        Language of the axis label.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    ``modelsummary::modelplot(list(m1, m2))`` in R:

    >>> ss.plot_coefficients({"OLS": m1, "Cluster-robust": m2})  # doctest: +SKIP
    """
    check_arguments(plot_coefficients, locals())
    from synergy_stats.regression.adapter import as_result

    lang = check_lang(lang)
    if isinstance(models, Mapping):
        named = [(str(k), as_result(v)) for k, v in models.items()]
    elif isinstance(models, Sequence) and not isinstance(models, str):
        named = [(f"({k + 1})", as_result(v)) for k, v in enumerate(models)]
    else:
        named = [("(1)", as_result(models))]
    if not named:
        raise OptionError("models is empty; give at least one regression")
    tables = [(name, res.estimates(level=level)) for name, res in named]
    order: list[str] = []
    for _, tab in tables:
        for term, kind in zip(tab["term"], tab["kind"], strict=True):
            if kind != "coef":
                continue
            if not intercept and str(term).lower() in ("intercept", "const", "(intercept)"):
                continue
            if term not in order:
                order.append(str(term))
    if terms is not None:
        order = [str(t) for t in terms]
    k = len(tables)
    height = 1.2 + 0.35 * len(order) * max(1, k / 2)
    colors = ["#2166ac", "#b2182b", "#1b7837", "#762a83", "#e08214", "#4d4d4d"]
    with figure_context(lang):
        fig = new_figure(6.0, height, lang)
        ax = fig.add_subplot()
        for m, (name, tab) in enumerate(tables):
            offset = (m - (k - 1) / 2) * 0.18
            for j, term in enumerate(order):
                row = tab[tab["term"] == term]
                if row.empty:
                    continue
                y = len(order) - 1 - j + offset
                est = float(row["est"].iloc[0])
                lo, hi = float(row["ci_lower"].iloc[0]), float(row["ci_upper"].iloc[0])
                ax.plot([lo, hi], [y, y], color=colors[m % len(colors)], lw=1.4)
                ax.plot(
                    [est],
                    [y],
                    "o",
                    color=colors[m % len(colors)],
                    ms=4,
                    label=name if j == 0 or term == order[0] else None,
                )
        ax.axvline(0, color="#888888", lw=0.7, ls="--")
        ax.set_yticks(list(range(len(order))), list(reversed(order)), fontsize=8)
        ax.set_xlabel(_T[lang]["coef"].replace("95%", f"{level:.0%}"))
        handles, labels = ax.get_legend_handles_labels()
        seen = dict(zip(labels, handles, strict=True))
        ax.legend(list(seen.values()), list(seen), fontsize=7, frameon=False)
        ax.set_ylim(-0.7, len(order) - 0.3)
        fig.tight_layout()
    return fig
