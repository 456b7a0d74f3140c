"""SEM tables built from the tidy SEM outputs.

Every builder takes either a fitted SEM result (anything with ``estimates()`` /
``fit_measures()``) or the DataFrames/Series those return, so the tables work with results
from any part of the package that produces the documented columns:

- ``estimates()``: ``lhs op rhs label group est se z pvalue ci_lower ci_upper std_lv std_all``;
- ``fit_measures()``: ``npar n chisq df pvalue cfi tli rmsea rmsea_ci_lower rmsea_ci_upper
  srmr loglik aic bic`` (+ ``chisq_scaled df_scaled ... rmsea_robust`` under MLR).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from synergy_stats._typing import check_arguments, check_option
from synergy_stats.errors import DataValidationError, OptionError
from synergy_stats.tables.format import fmt_int, fmt_num, fmt_p, is_missing, stars_for
from synergy_stats.tables.labels import ItemLabels, make_labeller
from synergy_stats.tables.model import Cell, Notes, Panel, Row, Table
from synergy_stats.tables.regression import stars_note
from synergy_stats.tables.style import Style, StyleName, get_style

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "discriminant_table",
    "fit_table",
    "indirect_table",
    "invariance_table",
    "lags_table",
    "measurement_table",
    "paths_table",
]

ARROW = "\u2192"


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _estimates(obj: Any, argument: str) -> pd.DataFrame:
    import pandas as pd

    frame = obj.estimates() if hasattr(obj, "estimates") else obj
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(
            f"{argument} must be a SEM result or its estimates() DataFrame, got "
            f"{type(obj).__name__}"
        )
    need = {"lhs", "op", "rhs", "est"}
    missing = need - set(frame.columns)
    if missing:
        raise DataValidationError(
            f"{argument} lacks the estimates() columns {', '.join(sorted(missing))}"
        )
    return frame


def _measures(obj: Any, argument: str) -> pd.Series:
    import pandas as pd

    series = obj.fit_measures() if hasattr(obj, "fit_measures") else obj
    if isinstance(series, Mapping):
        series = pd.Series(dict(series), dtype=float)
    if not isinstance(series, pd.Series):
        raise DataValidationError(
            f"{argument} must be a SEM result or its fit_measures() Series, got "
            f"{type(obj).__name__}"
        )
    return series


def _require(frame: pd.DataFrame, columns: Sequence[str], argument: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{argument} lacks the columns {', '.join(missing)}; it needs {', '.join(columns)}"
        )


def _get(rec: Any, key: str) -> float:
    try:
        value = rec[key]
    except (KeyError, IndexError):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _num(value: float, digits: int, st: Style, *, bounded: bool = False) -> Cell:
    lead = st.bounded_leading_zero or not bounded
    return Cell(
        fmt_num(value, digits, leading_zero=lead), value=None if is_missing(value) else value
    )


def _p(value: float, st: Style) -> Cell:
    return Cell(
        fmt_p(value, 3, leading_zero=st.bounded_leading_zero),
        value=None if is_missing(value) else value,
    )


def _ci(lo: float, hi: float, digits: int, *, lead: bool = True) -> Cell:
    if is_missing(lo) or is_missing(hi):
        return Cell("")
    return Cell(
        f"[{fmt_num(lo, digits, leading_zero=lead)}, {fmt_num(hi, digits, leading_zero=lead)}]"
    )


def _digits(st: Style, digits: int | None) -> int:
    nd = st.digits if digits is None else digits
    if isinstance(nd, bool) or not isinstance(nd, int) or nd < 0:
        raise OptionError(f"digits={digits!r} is not accepted; use an integer >= 0")
    return nd


def _stars_cfg(st: Style, stars: bool | Mapping[str, float]) -> tuple[Style, bool]:
    if isinstance(stars, Mapping):
        return st.with_stars(dict(stars)), True
    if isinstance(stars, bool):
        return st, stars
    raise OptionError(f"stars={stars!r} is not accepted; use True, False or a mapping")


def _header(texts: Sequence[str]) -> tuple[tuple[Cell, ...], ...]:
    return (tuple(Cell(t) for t in texts),)


# --------------------------------------------------------------------------------------
# fit indices
# --------------------------------------------------------------------------------------


def fit_table(
    models: Mapping[str, Any] | Sequence[Any],
    *,
    style: StyleName | Style = "apa",
    scaled: bool | None = None,
    measures: Sequence[str] = ("chisq", "df", "chisq_df", "cfi", "tli", "rmsea", "srmr"),
    caption: str | None = None,
    number: int | None = None,
    label: str | None = None,
    notes: Sequence[str] = (),
    digits: int | None = None,
) -> Table:
    r"""Fit indices of several models side by side (one row per model).

    Parameters
    ----------
    models : mapping or sequence
        ``{name: result or fit_measures() Series}``; a sequence is named ``Model 1``, ...
    style : {"apa", "econ", "cn"} or Style
        Table style.
    scaled : bool, optional
        Use the scaled (MLR) chi-square and robust CFI/TLI/RMSEA. Default: when every model
        has ``chisq_scaled``.
    measures : sequence of str
        Columns, from ``chisq df chisq_df pvalue cfi tli rmsea srmr aic bic npar``.
        ``rmsea`` is shown with its 90% CI as ``.045 [.030, .060]``.
    caption, number, label, notes, digits : optional
        Caption, table number, LaTeX label, extra general notes, decimal places.

    Returns
    -------
    Table

    Raises
    ------
    OptionError
        For an unknown measure.

    Notes
    -----
    :math:`\chi^2/df` is computed from the shown chi-square and degrees of freedom.

    Examples
    --------
    Like ``lavaan::fitMeasures(fit, c("chisq", "df", "cfi", "tli", "rmsea", "srmr"))`` for
    several fits, bound into one table.

    >>> fit_table({"One factor": fit1, "Four factors": fit4})  # doctest: +SKIP
    """
    check_arguments(fit_table, locals())
    st = get_style(style)
    nd = _digits(st, digits)
    allowed = (
        "chisq",
        "df",
        "chisq_df",
        "pvalue",
        "cfi",
        "tli",
        "rmsea",
        "srmr",
        "aic",
        "bic",
        "npar",
    )
    for m in measures:
        check_option("measures", m, allowed)
    if isinstance(models, Mapping):
        names = [str(k) for k in models]
        series = [_measures(v, f"models[{k!r}]") for k, v in models.items()]
    else:
        series = [_measures(v, f"models[{i}]") for i, v in enumerate(models)]
        names = [f"{st.word('model')} {i + 1}" for i in range(len(series))]
    if not series:
        raise OptionError("models is empty; pass at least one fitted model")
    use_scaled = all("chisq_scaled" in s.index for s in series) if scaled is None else scaled
    chi = "χ²"
    titles = {
        "chisq": chi,
        "df": "df",
        "chisq_df": f"{chi}/df",
        "pvalue": "p",
        "cfi": "CFI",
        "tli": "TLI",
        "rmsea": f"RMSEA [{st.word('ci').format(level=90)}]",
        "srmr": "SRMR",
        "aic": "AIC",
        "bic": "BIC",
        "npar": "npar",
    }
    rows = []
    for name, s in zip(names, series, strict=True):

        def g(key: str, robust_key: str | None = None, s: pd.Series = s) -> float:
            if use_scaled and robust_key is not None:
                return _get(s, robust_key)
            return _get(s, key)

        cells = []
        for m in measures:
            if m == "chisq":
                cells.append(_num(g("chisq", "chisq_scaled"), 2, st))
            elif m == "df":
                cells.append(Cell(fmt_int(g("df", "df_scaled")), value=g("df", "df_scaled")))
            elif m == "chisq_df":
                c, d = g("chisq", "chisq_scaled"), g("df", "df_scaled")
                cells.append(_num(c / d if d and not is_missing(d) else math.nan, 2, st))
            elif m == "pvalue":
                cells.append(_p(g("pvalue", "pvalue_scaled"), st))
            elif m in ("cfi", "tli"):
                cells.append(_num(g(m, f"{m}_robust"), nd, st, bounded=True))
            elif m == "rmsea":
                r = g("rmsea", "rmsea_robust")
                lo = g("rmsea_ci_lower", "rmsea_ci_lower_robust")
                hi = g("rmsea_ci_upper", "rmsea_ci_upper_robust")
                lead = st.bounded_leading_zero
                text = fmt_num(r, nd, leading_zero=lead)
                if not (is_missing(lo) or is_missing(hi)) and text:
                    text += (
                        f" [{fmt_num(lo, nd, leading_zero=lead)}, "
                        f"{fmt_num(hi, nd, leading_zero=lead)}]"
                    )
                cells.append(Cell(text, value=None if is_missing(r) else r))
            elif m == "srmr":
                cells.append(_num(g("srmr"), nd, st, bounded=True))
            elif m == "npar":
                cells.append(Cell(fmt_int(g("npar")), value=g("npar")))
            else:
                cells.append(_num(g(m), 2, st))
        rows.append(Row(name, tuple(cells)))
    general = [_fit_note(models, series, st)]
    if use_scaled:
        general.append(st.word("scaled_note"))
    general += [str(n) for n in notes]
    return Table(
        header=_header([titles[m] for m in measures]),
        panels=(Panel(None, tuple(rows)),),
        stub=st.word("model"),
        caption=caption,
        number=number,
        label=label,
        notes=Notes(general=tuple(general)),
        style=st,
    )


def _fit_note(models: Any, series: list[pd.Series], st: Style) -> str:
    """N, estimator and missing-data treatment of the models (one phrase if shared)."""
    objs = list(models.values()) if isinstance(models, Mapping) else list(models)
    facts = []
    for obj, s in zip(objs, series, strict=True):
        options = getattr(obj, "options", None)
        n = _get(s, "n")
        if is_missing(n):
            n = float(getattr(obj, "nobs", math.nan))
        estimator = str(getattr(options, "estimator", "") or "")
        missing = str(getattr(options, "missing", "") or "")
        facts.append((fmt_int(n), estimator, missing))
    ns = list(dict.fromkeys(f[0] for f in facts if f[0]))
    est = list(dict.fromkeys(f[1] for f in facts if f[1]))
    miss = list(dict.fromkeys(f[2] for f in facts if f[2]))
    n_text = ", ".join(ns) if ns else "?"
    est_text = "/".join(est) if est else "ML"
    words = []
    for m in miss:
        key = "missing_fiml" if m in ("fiml", "ml") else "missing_listwise"
        words.append(st.word(key))
    if not miss:
        if st.language == "en":
            return f"N = {n_text}."
        return f"N = {n_text}。"
    return st.word("fit_note").format(n=n_text, estimator=est_text, missing="; ".join(words))


# --------------------------------------------------------------------------------------
# structural paths
# --------------------------------------------------------------------------------------


def paths_table(
    result: Any,
    *,
    hypotheses: Any = None,
    alpha: float = 0.05,
    style: StyleName | Style = "apa",
    labels: Mapping[str, str] | None = None,
    instrument: Any = None,
    stars: bool | Mapping[str, float] = False,
    r2: bool = True,
    caption: str | None = None,
    number: int | None = None,
    label: str | None = None,
    notes: Sequence[str] = (),
    digits: int | None = None,
) -> Table:
    r"""Structural paths with the hypothesis each tests and whether it is supported.

    Parameters
    ----------
    result : SEM result, DataFrame, or a mapping/sequence of them
        A fitted model or its ``estimates()``; the rows with ``op == "~"`` are shown.
        Several models (``{"Model 1": fit1, "Model 2": fit2}``) are shown side by side,
        each with its b (with stars) and β, as semTable's ``compareLavaan`` does.
    hypotheses : Instrument or sequence of Hypothesis, optional
        Hypotheses (``id``, ``source``, ``target``, ``sign``); an instrument's
        ``hypotheses`` are used when an instrument is passed. A path matches a hypothesis
        by its parameter label (``h1`` matches ``H1``, ``h3_<component>`` matches ``H3``)
        or by ``rhs -> lhs`` equal to ``source -> target``. A hypothesis tested by several
        paths (a block of several outcomes) is split into H3a, H3b, ... Without
        hypotheses, labels ``h1``, ``h2``, ... still name the hypotheses, and support is
        judged on p alone.
    alpha : float
        Significance level for support (default .05).
    style : {"apa", "econ", "cn", "cn_journal"} or Style
        Table style.
    labels : mapping, optional
        Display names of variables (override the instrument's labels).
    instrument : Instrument, optional
        Construct labels (Chinese under ``cn``) and, if ``hypotheses`` is None, hypotheses.
    stars : bool or mapping
        Stars on β (default False: the p column is shown; always on with several models).
    r2 : bool
        Add a panel with the R² of every outcome (default True): ``r2()`` of a result,
        else one minus the standardized residual variance of the estimates.
    caption, number, label, notes, digits : optional
        Caption, table number, LaTeX label, extra general notes, decimal places.

    Returns
    -------
    Table
        Columns: Hypothesis, β (``std_all``), b (``est``), SE, z, p, 95% CI, Supported.

    Raises
    ------
    OptionError
        If ``alpha`` is not in (0, 1).
    DataValidationError
        If ``result`` has no structural paths.

    Notes
    -----
    A hypothesis is supported when the sign of b matches the hypothesised sign and
    :math:`p < \alpha`. :math:`R^2 = 1 - \psi^*_{vv}` with :math:`\psi^*` the
    standardized (std.all) residual variance, as lavaan's ``lavInspect(fit, "r2")``.

    Examples
    --------
    Like ``lavaan::parameterEstimates(fit, standardized = TRUE)`` filtered to ``op == "~"``
    with ``lavInspect(fit, "r2")`` below.

    >>> paths_table(fit, instrument=inst, style="cn")  # doctest: +SKIP
    """
    check_arguments(paths_table, locals())
    if not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise OptionError(f"alpha={alpha!r} is not accepted; use a number between 0 and 1")
    if _is_many(result):
        return _paths_many(
            result,
            hypotheses=hypotheses,
            style=style,
            labels=labels,
            instrument=instrument,
            stars=stars,
            r2=r2,
            caption=caption,
            number=number,
            label=label,
            notes=notes,
            digits=digits,
        )
    st, use_stars = _stars_cfg(get_style(style), stars)
    nd = _digits(st, digits)
    est = _estimates(result, "result")
    paths = est[est["op"] == "~"]
    if paths.empty:
        raise DataValidationError("result has no structural paths (rows with op '~')")
    instrument, hyps = _hyps(hypotheses, instrument)
    lab = make_labeller(st, labels, instrument)
    groups = sorted(paths["group"].dropna().unique()) if "group" in paths.columns else []
    multi = len(groups) > 1
    panels = []
    direction_checked = bool(hyps)
    any_support = False
    ids = _hypothesis_ids(paths, hyps, instrument)
    for g in groups if multi else [None]:
        sub = paths if g is None else paths[paths["group"] == g]
        rows = []
        for idx, rec in sub.iterrows():
            hyp = _match(rec, hyps, instrument)
            hid = ids.get(idx, "")
            sign: str | None = None
            if hyp is not None:
                sign = str(hyp.sign)
                if _reversed_component(rec, hyp, instrument):
                    sign = "-" if sign == "+" else "+"
            b = _get(rec, "est")
            p = _get(rec, "pvalue")
            beta = _get(rec, "std_all")
            if hid:
                any_support = True
                ok = not is_missing(p) and p < alpha
                if sign is not None:
                    ok = ok and ((b > 0) if sign == "+" else (b < 0))
                supported = st.word("yes") if ok else st.word("no")
            else:
                supported = ""
            beta_cell = _num(beta, nd, st, bounded=True)
            if use_stars:
                beta_cell = Cell(
                    beta_cell.text, value=beta_cell.value, stars=stars_for(p, st.stars)
                )
            cells = (
                Cell(hid),
                beta_cell,
                _num(b, nd, st),
                _num(_get(rec, "se"), nd, st),
                _num(_get(rec, "z"), 2, st),
                _p(p, st),
                _ci(_get(rec, "ci_lower"), _get(rec, "ci_upper"), nd),
                Cell(supported),
            )
            name = f"{lab(str(rec['rhs']))} {ARROW} {lab(str(rec['lhs']))}"
            rows.append(Row(name, cells))
        title = None if g is None else st.word("group").format(g=int(g))
        panels.append(Panel(title, tuple(rows)))
    if r2:
        values = _r2_values(result, est)
        rows = []
        for v in dict.fromkeys(str(x) for x in paths["lhs"]):
            if v in values:
                r2_cells = [Cell("") for _ in range(8)]
                r2_cells[1] = _num(values[v], nd, st, bounded=True)
                rows.append(Row(lab(v), tuple(r2_cells), indent=1))
        if rows:
            panels.append(Panel(f"{st.word('r2_panel')} (R²)", tuple(rows)))
    header = [
        st.word("hypothesis"),
        "β",
        "b",
        st.word("se"),
        "z",
        "p",
        st.word("ci").format(level=95),
        st.word("supported"),
    ]
    general = []
    alpha_text = fmt_num(alpha, 2, leading_zero=st.bounded_leading_zero)
    if st.language == "zh":
        general.append(
            f"β 为完全标准化系数，b 为非标准化系数；支持标准：方向一致且 p < {alpha_text}。"
        )
        if r2:
            general.append("R² 列于 β 栏。")
    else:
        general.append(
            "β = standardized (std.all) coefficient; b = unstandardized coefficient. "
            f"A hypothesis is supported when {'the sign matches and ' if direction_checked else ''}"
            f"p < {alpha_text}."
        )
        if r2:
            general.append("R² is shown in the β column.")
        if any_support and not direction_checked:
            general.append("No hypotheses were given, so the direction was not checked.")
    general += [str(n) for n in notes]
    return Table(
        header=_header(header),
        panels=tuple(panels),
        stub=st.word("path"),
        caption=caption,
        number=number,
        label=label,
        notes=Notes(
            general=tuple(general), probability=stars_note(st, st.stars) if use_stars else None
        ),
        style=st,
    )


def _is_many(result: Any) -> bool:
    import pandas as pd

    if isinstance(result, pd.DataFrame | pd.Series) or hasattr(result, "estimates"):
        return False
    return isinstance(result, Mapping) or (
        isinstance(result, Sequence) and not isinstance(result, str)
    )


def _named(models: Any, st: Style) -> list[tuple[str, Any]]:
    if isinstance(models, Mapping):
        out = [(str(k), v) for k, v in models.items()]
    else:
        out = [(f"{st.word('model')} {i + 1}", v) for i, v in enumerate(models)]
    if not out:
        raise OptionError("result is empty; pass at least one fitted model")
    return out


def _hyps(hypotheses: Any, instrument: Any) -> tuple[Any, list[Any]]:
    if hypotheses is None and instrument is not None:
        hypotheses = getattr(instrument, "hypotheses", None)
    if hypotheses is not None and hasattr(hypotheses, "hypotheses"):
        if instrument is None:
            instrument = hypotheses
        hypotheses = hypotheses.hypotheses
    if hypotheses is not None and (
        isinstance(hypotheses, str | bytes) or not isinstance(hypotheses, Iterable)
    ):
        raise OptionError(
            f"hypotheses={hypotheses!r} is not accepted; give an instrument, a list of its "
            "hypotheses or None"
        )
    import pandas as pd

    if isinstance(hypotheses, pd.DataFrame | pd.Series):
        raise OptionError(
            f"hypotheses=<{type(hypotheses).__name__}> is not accepted; give an instrument, "
            "a list of its hypotheses or None"
        )
    out = list(hypotheses or ())
    if any(not hasattr(h, "id") for h in out):
        raise OptionError(
            f"hypotheses={hypotheses!r} is not accepted; give an instrument or a list of its "
            "Hypothesis objects (instrument.hypotheses)"
        )
    return instrument, out


def _hypothesis_ids(paths: pd.DataFrame, hyps: Sequence[Any], instrument: Any) -> dict[Any, str]:
    """Row index -> hypothesis id; a hypothesis tested by several paths gets a, b, ..."""
    first_group = paths["group"].min() if "group" in paths.columns else None
    base: dict[Any, str] = {}
    for idx, rec in paths.iterrows():
        hyp = _match(rec, hyps, instrument)
        if hyp is not None:
            base[idx] = str(hyp.id)
        else:
            lbl = str(rec.get("label", "") or "")
            if re.fullmatch(r"[hH]\d+[a-z]?", lbl):
                base[idx] = lbl.upper()
    out: dict[Any, str] = {}
    # count the paths of each hypothesis within one group (groups repeat the same paths)
    counts: dict[str, list[tuple[str, str]]] = {}
    for idx, hid in base.items():
        rec = paths.loc[idx]
        if first_group is not None and rec["group"] != first_group:
            continue
        key = (str(rec["lhs"]), str(rec["rhs"]))
        if key not in counts.setdefault(hid, []):
            counts[hid].append(key)
    for idx, hid in base.items():
        keys = counts.get(hid, [])
        if len(keys) > 1:
            rec = paths.loc[idx]
            k = keys.index((str(rec["lhs"]), str(rec["rhs"])))
            out[idx] = f"{hid}{chr(ord('a') + k)}"
        else:
            out[idx] = hid
    return out


def _r2_values(result: Any, est: pd.DataFrame) -> dict[str, float]:
    """R² of the endogenous variables: ``result.r2()`` or 1 - std.all residual variance."""
    import pandas as pd

    r2 = getattr(result, "r2", None)
    if callable(r2):
        try:
            values = r2()
        except (TypeError, ValueError):  # pragma: no cover - a result without R²
            values = None
        if isinstance(values, pd.Series) and not isinstance(values.index, pd.MultiIndex):
            return {str(k): float(v) for k, v in values.items()}
    if "std_all" not in est.columns:
        return {}
    var = est[(est["op"] == "~~") & (est["lhs"] == est["rhs"])]
    if "group" in var.columns and var["group"].nunique() > 1:
        var = var[var["group"] == var["group"].min()]
    return {str(r["lhs"]): 1.0 - float(r["std_all"]) for _, r in var.iterrows()}


def _paths_many(
    result: Any,
    *,
    hypotheses: Any,
    style: StyleName | Style,
    labels: Mapping[str, str] | None,
    instrument: Any,
    stars: bool | Mapping[str, float],
    r2: bool,
    caption: str | None,
    number: int | None,
    label: str | None,
    notes: Sequence[str],
    digits: int | None,
) -> Table:
    st = get_style(style)
    if isinstance(stars, Mapping):
        st = st.with_stars(dict(stars))
    nd = _digits(st, digits)
    models = _named(result, st)
    frames = [(name, _estimates(m, f"result[{name!r}]"), m) for name, m in models]
    instrument, hyps = _hyps(hypotheses, instrument)
    lab = make_labeller(st, labels, instrument)
    order: dict[tuple[str, str], str] = {}
    per_model: list[dict[tuple[str, str], Any]] = []
    for _, est, _m in frames:
        paths = est[est["op"] == "~"]
        if "group" in paths.columns and paths["group"].nunique() > 1:
            paths = paths[paths["group"] == paths["group"].min()]
        ids = _hypothesis_ids(paths, hyps, instrument)
        recs = {}
        for idx, prec in paths.iterrows():
            key = (str(prec["rhs"]), str(prec["lhs"]))
            recs[key] = prec
            if not order.get(key):
                order[key] = ids.get(idx, "")
        per_model.append(recs)
    if not order:
        raise DataValidationError("result has no structural paths (rows with op '~')")
    rows = []
    for key, hid in order.items():
        cells = [Cell(hid)]
        for recs in per_model:
            got = recs.get(key)
            if got is None:
                cells += [Cell(""), Cell("")]
                continue
            b = _num(_get(got, "est"), nd, st)
            cells.append(
                Cell(b.text, value=b.value, stars=stars_for(_get(got, "pvalue"), st.stars))
            )
            cells.append(_num(_get(got, "std_all"), nd, st, bounded=True))
        rows.append(Row(f"{lab(key[0])} {ARROW} {lab(key[1])}", tuple(cells)))
    panels = [Panel(None, tuple(rows))]
    if r2:
        r2s = [_r2_values(m, est) for _, est, m in frames]
        outcomes = list(dict.fromkeys(k[1] for k in order))
        r2_rows = []
        for v in outcomes:
            cells = [Cell("")]
            for vals in r2s:
                cells += [Cell(""), _num(vals.get(v, math.nan), nd, st, bounded=True)]
            r2_rows.append(Row(lab(v), tuple(cells), indent=1))
        panels.append(Panel(f"{st.word('r2_panel')} (R²)", tuple(r2_rows)))
    header = (
        (Cell(""), *(Cell(name, span=2) for name, _, _ in frames)),
        (Cell(st.word("hypothesis")), *(c for _ in frames for c in (Cell("b"), Cell("β")))),
    )
    general = [
        "b = unstandardized coefficient (stars from its test); β = standardized (std.all) "
        "coefficient."
        if st.language == "en"
        else "b 为非标准化系数（星号为其显著性），β 为完全标准化系数。"
    ]
    general += [str(n) for n in notes]
    return Table(
        header=header,
        panels=tuple(panels),
        stub=st.word("path"),
        caption=caption,
        number=number,
        label=label,
        notes=Notes(general=tuple(general), probability=stars_note(st, st.stars)),
        style=st,
    )


def _components(instrument: Any, construct: str) -> tuple[str, ...]:
    constructs = getattr(instrument, "constructs", None) or {}
    c = constructs.get(construct)
    return tuple(getattr(c, "components", ())) if c is not None else ()


def _match(rec: Any, hyps: Sequence[Any], instrument: Any = None) -> Any:
    """Find the hypothesis a path tests.

    By label (``h3``, or ``h3_<component>`` for a path into a component of a correlated
    block), else by source and target.
    """
    lbl = str(rec.get("label", "") or "").lower()
    for h in hyps:
        hid = str(h.id).lower()
        if lbl and (lbl == hid or lbl.startswith(hid + "_")):
            return h
    lhs, rhs = str(rec["lhs"]), str(rec["rhs"])
    for h in hyps:
        if str(h.source) == rhs and (
            str(h.target) == lhs or lhs in _components(instrument, str(h.target))
        ):
            return h
    return None


def _reversed_component(rec: Any, hyp: Any, instrument: Any) -> bool:
    """True when the path goes into a reverse-running component of the hypothesis' target."""
    lhs = str(rec["lhs"])
    if lhs == str(hyp.target) or lhs not in _components(instrument, str(hyp.target)):
        return False
    constructs = getattr(instrument, "constructs", None) or {}
    return bool(getattr(constructs.get(lhs), "reverse", False))


# --------------------------------------------------------------------------------------
# measurement model
# --------------------------------------------------------------------------------------


def measurement_table(
    result: Any,
    reliability: pd.DataFrame | None = None,
    *,
    style: StyleName | Style = "apa",
    labels: Mapping[str, str] | None = None,
    instrument: Any = None,
    items: ItemLabels = "code",
    caption: str | None = None,
    number: int | None = None,
    label: str | None = None,
    notes: Sequence[str] = (),
    digits: int | None = None,
) -> Table:
    """Tabulate loadings with alpha, composite reliability (omega) and AVE per construct.

    Parameters
    ----------
    result : SEM result or DataFrame
        A fitted CFA or its ``estimates()``; rows with ``op == "=~"`` give the loadings.
    reliability : DataFrame, optional
        Indexed by construct, columns ``alpha``, ``omega`` (CR) and ``ave``.
    items : {"code", "wording", "code_wording", "id"}
        How items are named when an instrument is given: the questionnaire code (``Q7``,
        default), the wording, both, or the item id.
    style, labels, instrument, caption, number, label, notes, digits : optional
        As in :func:`paths_table`.

    Returns
    -------
    Table
        One panel per construct; columns λ (std_all), b, SE, z, p, α, CR, AVE (the last
        three on the construct's first row).

    Raises
    ------
    DataValidationError
        If there are no loadings or ``reliability`` lacks a column.

    Examples
    --------
    Like ``lavaan::standardizedSolution(fit)`` for ``op == "=~"`` next to
    ``semTools::reliability(fit)``.

    >>> measurement_table(fit, rel)  # doctest: +SKIP
    """
    check_arguments(measurement_table, locals())
    st = get_style(style)
    nd = _digits(st, digits)
    est = _estimates(result, "result")
    loads = est[est["op"] == "=~"]
    if loads.empty:
        raise DataValidationError("result has no loadings (rows with op '=~')")
    if reliability is not None:
        _require(reliability, ("alpha", "omega", "ave"), "reliability")
    lab = make_labeller(st, labels, instrument, items=items)
    if "group" in loads.columns and loads["group"].nunique() > 1:
        loads = loads[loads["group"] == loads["group"].min()]
    panels = []
    fixed_mark = False
    for construct, sub in loads.groupby("lhs", sort=False):
        rows = []
        rel = None
        if reliability is not None and construct in reliability.index:
            rel = reliability.loc[construct]
        for i, (_, rec) in enumerate(sub.iterrows()):
            se = _get(rec, "se")
            fixed = is_missing(se)
            fixed_mark = fixed_mark or fixed
            b_cell = _num(_get(rec, "est"), nd, st)
            if fixed:
                b_cell = Cell(b_cell.text, value=b_cell.value, marks=("a",))
            cells = [
                _num(_get(rec, "std_all"), nd, st, bounded=True),
                b_cell,
                _num(se, nd, st),
                _num(_get(rec, "z"), 2, st),
                _p(_get(rec, "pvalue"), st),
            ]
            for key in ("alpha", "omega", "ave"):
                if i == 0 and rel is not None:
                    cells.append(_num(_get(rel, key), nd, st, bounded=True))
                else:
                    cells.append(Cell(""))
            rows.append(Row(lab(str(rec["rhs"])), tuple(cells), indent=1))
        panels.append(Panel(lab(str(construct)), tuple(rows)))
    specific = []
    if fixed_mark:
        specific.append(
            (
                "a",
                "Fixed to 1 to set the scale; not tested."
                if st.language == "en"
                else "固定为 1 以设定尺度，不做检验。",
            )
        )
    general = [
        "λ = standardized loading (std.all); CR = composite reliability (ω); "
        "AVE = average variance extracted."
        if st.language == "en"
        else "λ 为标准化因子载荷；CR 为组合信度（ω）；AVE 为平均方差抽取量。"
    ]
    general += [str(n) for n in notes]
    return Table(
        header=_header(["λ", "b", st.word("se"), "z", "p", "α", "CR", "AVE"]),
        panels=tuple(panels),
        stub=f"{st.word('construct')} / {st.word('item')}",
        caption=caption,
        number=number,
        label=label,
        notes=Notes(general=tuple(general), specific=tuple(specific)),
        style=st,
    )


# --------------------------------------------------------------------------------------
# discriminant validity
# --------------------------------------------------------------------------------------


def discriminant_table(
    matrix: pd.DataFrame,
    *,
    kind: Literal["fornell_larcker", "htmt"] = "fornell_larcker",
    threshold: float = 0.85,
    style: StyleName | Style = "apa",
    labels: Mapping[str, str] | None = None,
    instrument: Any = None,
    caption: str | None = None,
    number: int | None = None,
    label: str | None = None,
    notes: Sequence[str] = (),
    digits: int | None = None,
) -> Table:
    r"""Discriminant validity: the Fornell-Larcker matrix or the HTMT matrix.

    Parameters
    ----------
    matrix : DataFrame
        Square, constructs on both axes in the same order. Fornell-Larcker: the diagonal
        holds :math:`\sqrt{AVE}` and the lower triangle the factor correlations. HTMT: the
        lower triangle holds the ratios (the diagonal is ignored).
    kind : {"fornell_larcker", "htmt"}
        Which criterion the matrix holds.
    threshold : float
        HTMT cut-off flagged with a note mark (default .85; Henseler et al. 2015).
    style, labels, instrument, caption, number, label, notes, digits : optional
        As in :func:`paths_table`.

    Returns
    -------
    Table
        Lower triangle shown; the Fornell-Larcker diagonal in bold; a correlation larger
        than either construct's :math:`\sqrt{AVE}` (or an HTMT above ``threshold``) is
        marked ``a``.

    Raises
    ------
    DataValidationError
        If the matrix is not square with matching labels.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Journal of Marketing Research, 18, 39-50.
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). Journal of the Academy of Marketing
    Science, 43, 115-135.

    Examples
    --------
    Like ``semTools::htmt(model, data)`` printed as a lower triangle.

    >>> discriminant_table(htmt_matrix, kind="htmt")  # doctest: +SKIP
    """
    check_arguments(discriminant_table, locals())
    import pandas as pd

    check_option("kind", kind, Literal["fornell_larcker", "htmt"])
    st = get_style(style)
    nd = _digits(st, digits)
    if (
        not isinstance(matrix, pd.DataFrame)
        or matrix.shape[0] != matrix.shape[1]
        or list(map(str, matrix.index)) != list(map(str, matrix.columns))
    ):
        raise DataValidationError(
            "matrix must be a square DataFrame with the same constructs as index and columns"
        )
    lab = make_labeller(st, labels, instrument)
    names = [str(c) for c in matrix.columns]
    try:
        values = matrix.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DataValidationError("matrix holds values that are not numbers") from None
    n = len(names)
    rows = []
    flagged = False
    for i in range(n):
        cells = []
        for j in range(n):
            v = values[i, j]
            if j > i or (j == i and kind == "htmt"):
                cells.append(Cell("—" if j == i else ""))
                continue
            cell = _num(v, nd, st, bounded=True)
            if i == j:
                cell = Cell(cell.text, value=cell.value, bold=True)
            else:
                bad = (
                    (abs(v) > values[i, i] or abs(v) > values[j, j])
                    if kind == "fornell_larcker"
                    else v > threshold
                )
                if bad:
                    flagged = True
                    cell = Cell(cell.text, value=cell.value, marks=("a",))
            cells.append(cell)
        rows.append(Row(f"{i + 1}. {lab(names[i])}", tuple(cells)))
    if kind == "fornell_larcker":
        general = [
            "Diagonal (bold): square root of AVE; below the diagonal: factor correlations."
            if st.language == "en"
            else "对角线（加粗）为 AVE 的平方根，对角线下方为因子相关系数。"
        ]
        spec_text = (
            "Correlation exceeds the square root of AVE."
            if st.language == "en"
            else "相关系数大于 AVE 的平方根。"
        )
    else:
        general = [
            "Heterotrait-monotrait ratios (HTMT)."
            if st.language == "en"
            else "异质-单质比率（HTMT）。"
        ]
        thr = fmt_num(threshold, 2, leading_zero=st.bounded_leading_zero)
        spec_text = f"HTMT above {thr}." if st.language == "en" else f"HTMT 大于 {thr}。"
    general += [str(x) for x in notes]
    return Table(
        header=_header([str(k + 1) for k in range(n)]),
        panels=(Panel(None, tuple(rows)),),
        stub=st.word("construct"),
        caption=caption,
        number=number,
        label=label,
        notes=Notes(general=tuple(general), specific=(("a", spec_text),) if flagged else ()),
        style=st,
    )


# --------------------------------------------------------------------------------------
# indirect effects
# --------------------------------------------------------------------------------------


def indirect_table(
    effects: pd.DataFrame,
    *,
    draws: int | None = None,
    method: str | None = None,
    failed: int | None = None,
    level: float = 0.95,
    style: StyleName | Style = "apa",
    labels: Mapping[str, str] | None = None,
    result: Any = None,
    instrument: Any = None,
    caption: str | None = None,
    number: int | None = None,
    label: str | None = None,
    notes: Sequence[str] = (),
    digits: int | None = None,
) -> Table:
    """Indirect (and total) effects with their confidence intervals.

    Parameters
    ----------
    effects : DataFrame
        Columns ``label est se ci_lower ci_upper`` (``pvalue`` optional); ``draws``,
        ``method`` and ``failed`` may also be given in ``effects.attrs``.
    draws : int, optional
        Number of bootstrap or Monte Carlo draws, stated in the note.
    method : str, optional
        CI method, e.g. ``"percentile"``, ``"bias-corrected"``, ``"BCa"``, ``"delta"``,
        ``"monte carlo"``, stated in the note.
    failed : int, optional
        Number of failed draws, stated in the note.
    level : float
        Confidence level.
    result : SEM result or DataFrame, optional
        The model that defines the effects (``:=`` rows): an effect ``h1*h2*h3`` is named
        by the chain of the labelled paths it multiplies, ``Synergy motivation → Synergy
        mechanism → Synergy process → Synergy effect``.
    instrument : Instrument, optional
        Construct labels for those names (Chinese under ``cn``).
    style, labels, caption, number, label, notes, digits : optional
        As in :func:`paths_table`; ``labels`` renames effect labels.

    Returns
    -------
    Table
        Columns: Estimate, SE, CI, (p).

    Raises
    ------
    DataValidationError
        If a required column is missing.

    Examples
    --------
    Like ``lavaan::parameterEstimates(fit, boot.ci.type = "bca.simple")`` for ``:=`` rows.

    >>> indirect_table(effects, draws=5000, method="percentile")  # doctest: +SKIP
    """
    check_arguments(indirect_table, locals())
    st = get_style(style)
    nd = _digits(st, digits)
    _require(effects, ("label", "est", "se", "ci_lower", "ci_upper"), "effects")
    attrs = getattr(effects, "attrs", {}) or {}
    draws = attrs.get("draws", draws) if draws is None else draws
    method = attrs.get("method", method) if method is None else method
    failed = attrs.get("failed", failed) if failed is None else failed
    has_p = "pvalue" in effects.columns
    names = effect_names(result, style=st, instrument=instrument) if result is not None else {}
    names.update({str(k): str(v) for k, v in (labels or {}).items()})
    rows = []
    for _, rec in effects.iterrows():
        cells = [
            _num(_get(rec, "est"), nd, st),
            _num(_get(rec, "se"), nd, st),
            _ci(_get(rec, "ci_lower"), _get(rec, "ci_upper"), nd),
        ]
        if has_p:
            cells.append(_p(_get(rec, "pvalue"), st))
        name = str(rec["label"])
        rows.append(Row(names.get(name, name), tuple(cells)))
    pct = fmt_num(level * 100, 0)
    header = [st.word("estimate"), st.word("se"), st.word("ci").format(level=pct)]
    if has_p:
        header.append("p")
    general = []
    if st.language == "en":
        text = f"{pct}% confidence intervals"
        if method:
            text += f" ({method})"
        if draws:
            text += f" from {int(draws):,} draws"
        if failed:
            text += f"; {int(failed)} failed draws were excluded"
        general.append(text + ".")
    else:
        text = f"{pct}% 置信区间"
        if method:
            key = "method_" + str(method).lower().replace(" ", "_")
            text += f"（{st.word(key) if st.word(key) != key else method}）"
        if draws:
            text += f"，抽样 {int(draws)} 次"
        if failed:
            text += f"，{int(failed)} 次失败抽样已剔除"
        general.append(text + "。")
    general += [str(n) for n in notes]
    return Table(
        header=_header(header),
        panels=(Panel(None, tuple(rows)),),
        stub=st.word("effect"),
        caption=caption,
        number=number,
        label=label,
        notes=Notes(general=tuple(general)),
        style=st,
    )


def effect_names(
    result: Any, *, style: StyleName | Style = "apa", instrument: Any = None
) -> dict[str, str]:
    """Map each ``:=`` effect to the chain of constructs whose labelled paths it multiplies.

    ``indirect_synergy_effect := h1*h2*h3_synergy_effect`` becomes ``Synergy motivation →
    Synergy mechanism → Synergy process → Synergy effect`` (construct names from the
    instrument, Chinese under a ``zh`` style). Effects that are not such a chain are left
    out.
    """
    st = get_style(style)
    est = _estimates(result, "result")
    lab = make_labeller(st, None, instrument)
    paths = est[est["op"] == "~"]
    by_label = {
        str(r["label"]): (str(r["rhs"]), str(r["lhs"]))
        for _, r in paths.iterrows()
        if str(r.get("label", "") or "")
    }
    out: dict[str, str] = {}
    for _, r in est[est["op"] == ":="].iterrows():
        terms = [t.strip() for t in str(r["rhs"]).split("*")]
        links = [by_label.get(t) for t in terms]
        if not links or any(x is None for x in links):
            continue
        chain = [links[0][0]] if links[0] else []
        ok = True
        for link in links:
            if link is None or link[0] != chain[-1]:
                ok = False
                break
            chain.append(link[1])
        if ok:
            out[str(r["lhs"])] = f" {ARROW} ".join(lab(c) for c in chain)
    return out


# --------------------------------------------------------------------------------------
# invariance ladder
# --------------------------------------------------------------------------------------

_INV_COLUMNS = (
    "npar",
    "chisq",
    "df",
    "delta_chisq",
    "delta_df",
    "pvalue",
    "cfi",
    "tli",
    "rmsea",
    "srmr",
    "delta_cfi",
    "delta_rmsea",
    "decision",
)


# decisions of an invariance ladder that the style words (InvarianceLadder.table())
_DECISIONS = ("accept", "reject", "baseline", "partial", "not established")


def invariance_table(
    ladder: pd.DataFrame,
    *,
    style: StyleName | Style = "apa",
    caption: str | None = None,
    number: int | None = None,
    label: str | None = None,
    notes: Sequence[str] = (),
    digits: int | None = None,
) -> Table:
    """Tabulate the measurement-invariance ladder (configural, metric, scalar, strict).

    Parameters
    ----------
    ladder : DataFrame
        Indexed by level, columns ``npar chisq df delta_chisq delta_df pvalue cfi tli
        rmsea srmr delta_cfi delta_rmsea decision`` (``pvalue`` is the p of the chi-square
        difference test; the first level has NaN deltas).
    style, caption, number, label, notes, digits : optional
        As in :func:`paths_table`.

    Returns
    -------
    Table

    Raises
    ------
    DataValidationError
        If a column is missing.

    References
    ----------
    Cheung, G. W., & Rensvold, R. B. (2002). Structural Equation Modeling, 9, 233-255.
    Chen, F. F. (2007). Structural Equation Modeling, 14, 464-504.

    Examples
    --------
    Like ``semTools::compareFit(configural, metric, scalar, strict)``.

    >>> invariance_table(ladder, style="cn")  # doctest: +SKIP
    """
    check_arguments(invariance_table, locals())
    st = get_style(style)
    nd = _digits(st, digits)
    _require(ladder, _INV_COLUMNS, "ladder")
    rows = []
    for level, rec in ladder.iterrows():
        decision = rec["decision"]
        dec = "" if is_missing(decision) else str(decision)
        cells = (
            _num(_get(rec, "chisq"), 2, st),
            Cell(fmt_int(_get(rec, "df")), value=_get(rec, "df")),
            _num(_get(rec, "delta_chisq"), 2, st),
            Cell(fmt_int(_get(rec, "delta_df")), value=_get(rec, "delta_df")),
            _p(_get(rec, "pvalue"), st),
            _num(_get(rec, "cfi"), nd, st, bounded=True),
            _num(_get(rec, "tli"), nd, st, bounded=True),
            _num(_get(rec, "rmsea"), nd, st, bounded=True),
            _num(_get(rec, "srmr"), nd, st, bounded=True),
            _num(_get(rec, "delta_cfi"), nd, st, bounded=True),
            _num(_get(rec, "delta_rmsea"), nd, st, bounded=True),
            Cell(st.word(dec.lower()) if dec.lower() in _DECISIONS else dec),
        )
        name = str(level)
        rows.append(
            Row(
                st.word(name.lower())
                if name.lower() in ("configural", "metric", "scalar", "strict")
                else name,
                cells,
            )
        )
    header = [
        "χ²",
        "df",
        "Δχ²",
        "Δdf",
        "p",
        "CFI",
        "TLI",
        "RMSEA",
        "SRMR",
        "ΔCFI",
        "ΔRMSEA",
        st.word("decision"),
    ]
    general = [
        "Δ values compare each model with the one above it; p is from the χ² difference test."
        if st.language == "en"
        else "Δ 值为与上一模型的差值；p 为 χ² 差异检验的显著性。"
    ]
    general += [str(n) for n in notes]
    return Table(
        header=_header(header),
        panels=(Panel(None, tuple(rows)),),
        stub=st.word("level"),
        caption=caption,
        number=number,
        label=label,
        notes=Notes(general=tuple(general)),
        style=st,
    )


# --------------------------------------------------------------------------------------
# RI-CLPM lags
# --------------------------------------------------------------------------------------


def _default_construct(name: str) -> str:
    return re.sub(r"[_.]?(t|w|wave)?\d+$", "", name) or name


def lags_table(
    result: Any,
    *,
    construct_of: Callable[[str], str] | None = None,
    style: StyleName | Style = "apa",
    labels: Mapping[str, str] | None = None,
    instrument: Any = None,
    stars: bool | Mapping[str, float] = True,
    caption: str | None = None,
    number: int | None = None,
    label: str | None = None,
    notes: Sequence[str] = (),
    digits: int | None = None,
) -> Table:
    """Autoregressive and cross-lagged paths of a (RI-)CLPM.

    Parameters
    ----------
    result : SEM result or DataFrame
        A fitted panel model or its ``estimates()``; the rows with ``op == "~"`` are the
        lagged paths (``rhs`` at wave t, ``lhs`` at wave t+1).
    construct_of : callable, optional
        Maps a wave-specific variable name to its construct; default strips a trailing
        wave number (``wres2`` -> ``wres``, ``results_t3`` -> ``results``).
    style, labels, instrument, stars, caption, number, label, notes, digits : optional
        As in :func:`paths_table`.

    Returns
    -------
    Table
        Panels "Autoregressive paths" and "Cross-lagged paths"; rows named
        ``Synergy mechanism (T1) → Synergy process (T2)``; columns β (std_all), b, SE, p.

    Raises
    ------
    DataValidationError
        If there are no lagged paths.

    References
    ----------
    Hamaker, E. L., Kuiper, R. M., & Grasman, R. P. P. P. (2015). A critique of the
    cross-lagged panel model. Psychological Methods, 20, 102-116.

    Examples
    --------
    Like ``lavaan::parameterEstimates(riclpm_fit, standardized = TRUE)`` for ``op == "~"``.

    >>> lags_table(riclpm)  # doctest: +SKIP
    """
    check_arguments(lags_table, locals())
    st, use_stars = _stars_cfg(get_style(style), stars)
    nd = _digits(st, digits)
    est = _estimates(result, "result")
    paths = est[est["op"] == "~"]
    if paths.empty:
        raise DataValidationError("result has no lagged paths (rows with op '~')")
    key = construct_of or _default_construct
    lab = make_labeller(st, labels, instrument)
    auto: list[Row] = []
    cross: list[Row] = []
    for _, rec in paths.iterrows():
        lhs, rhs = str(rec["lhs"]), str(rec["rhs"])
        p = _get(rec, "pvalue")
        beta = _num(_get(rec, "std_all"), nd, st, bounded=True)
        if use_stars:
            beta = Cell(beta.text, value=beta.value, stars=stars_for(p, st.stars))
        cells = (
            beta,
            _num(_get(rec, "est"), nd, st),
            _num(_get(rec, "se"), nd, st),
            _p(p, st),
        )
        row = Row(f"{lab(rhs)} {ARROW} {lab(lhs)}", cells, indent=1)
        (auto if key(lhs) == key(rhs) else cross).append(row)
    panels = []
    if auto:
        panels.append(Panel(st.word("autoregressive"), tuple(auto)))
    if cross:
        panels.append(Panel(st.word("cross_lagged"), tuple(cross)))
    general = [
        "β = standardized coefficient (std.all); b = unstandardized coefficient."
        if st.language == "en"
        else "β 为标准化系数，b 为非标准化系数。"
    ]
    general += [str(n) for n in notes]
    return Table(
        header=_header(["β", "b", st.word("se"), "p"]),
        panels=tuple(panels),
        stub=st.word("path"),
        caption=caption,
        number=number,
        label=label,
        notes=Notes(
            general=tuple(general), probability=stars_note(st, st.stars) if use_stars else None
        ),
        style=st,
    )
