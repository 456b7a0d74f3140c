"""The standard survey tables: the correlation table ("Table 1") and the item table.

:func:`correlation_table` follows ``apaTables::apa.cor.table``: means, standard deviations
and the lower triangle of Pearson correlations with stars, here with a reliability
(alpha or omega) in parentheses on the diagonal. :func:`item_table` lists every item of
each construct with its code, optional wording, M, SD, skewness, kurtosis and standardized
loading.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from synergy_stats._typing import check_arguments, check_option
from synergy_stats.errors import DataValidationError, OptionError
from synergy_stats.tables.format import fmt_num, is_missing, stars_for
from synergy_stats.tables.labels import ItemLabels, make_labeller
from synergy_stats.tables.model import Cell, Notes, Panel, Row, Table
from synergy_stats.tables.regression import stars_note
from synergy_stats.tables.style import Style, StyleName, get_style

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["correlation_table", "item_table", "pearson_matrix", "skew_kurtosis"]

Diagonal = Literal["alpha", "omega", "none"]


def pearson_matrix(frame: pd.DataFrame) -> tuple[Any, Any, Any]:
    r"""Pairwise-complete Pearson correlations, their two-sided p-values and pair counts.

    Returns
    -------
    r, p, n : numpy.ndarray
        ``p`` from :math:`t = r\sqrt{(n-2)/(1-r^2)}` on :math:`n-2` df (``psych::corr.test``).
    """
    import numpy as np
    from scipy import stats

    x = frame.to_numpy(dtype=float)
    k = x.shape[1]
    r = np.full((k, k), np.nan)
    p = np.full((k, k), np.nan)
    n = np.zeros((k, k), dtype=int)
    for i in range(k):
        for j in range(k):
            ok = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
            m = int(ok.sum())
            n[i, j] = m
            if m < 3:
                continue
            a, b = x[ok, i], x[ok, j]
            if a.std() == 0 or b.std() == 0:
                continue
            rij = float(np.corrcoef(a, b)[0, 1])
            r[i, j] = rij
            if i == j:
                p[i, j] = 0.0
                continue
            t = rij * math.sqrt((m - 2) / max(1.0 - rij * rij, 1e-300))
            p[i, j] = float(2 * stats.t.sf(abs(t), m - 2))
    return r, p, n


def correlation_table(
    scores: pd.DataFrame,
    *,
    variables: Sequence[str] | None = None,
    reliability: pd.DataFrame | Mapping[str, float] | None = None,
    diagonal: Diagonal = "alpha",
    instrument: Any = None,
    labels: Mapping[str, str] | None = None,
    style: StyleName | Style = "apa",
    stars: bool | Mapping[str, float] = True,
    caption: str | None = None,
    number: int | None = None,
    label: str | None = None,
    notes: Sequence[str] = (),
    digits: int = 2,
) -> Table:
    r"""Means, standard deviations and correlations, with reliabilities on the diagonal.

    Parameters
    ----------
    scores : DataFrame
        One column per variable (construct scores, covariates); rows are respondents.
        Correlations use pairwise-complete observations.
    variables : sequence of str, optional
        Columns to show, in order (default: every numeric column).
    reliability : DataFrame or mapping, optional
        ``ss.reliability(...)`` output (indexed by construct, with ``alpha``/``omega``
        columns) or ``{variable: value}``; shown in parentheses on the diagonal.
    diagonal : {"alpha", "omega", "none"}
        Which reliability column goes on the diagonal (ignored for a mapping).
    instrument : Instrument, optional
        Construct labels (Chinese under ``cn``).
    labels : mapping, optional
        Display names (override the instrument's).
    style : {"apa", "econ", "cn", "cn_journal"} or Style
        Table style.
    stars : bool or mapping
        Stars on the correlations (default True, with the style's cut-offs).
    caption, number, label, notes : optional
        Caption, table number, LaTeX label, extra general notes.
    digits : int
        Decimal places (2 as APA and ``apa.cor.table``).

    Returns
    -------
    Table
        Rows ``1. Name``, columns M, SD, 1, 2, ...; the lower triangle holds r.

    Raises
    ------
    DataValidationError
        If a variable is not a numeric column of ``scores``.

    Notes
    -----
    :math:`r` is Pearson's correlation on the pairwise-complete cases and its p-value the
    two-sided t test with :math:`n_{ij} - 2` degrees of freedom. M and SD use each
    variable's available cases (SD with :math:`n - 1`).

    References
    ----------
    Stanley, D. J., & Spence, J. R. (2018). Reproducible tables in psychology using the
    apaTables package. Advances in Methods and Practices in Psychological Science, 1,
    415-431.

    Examples
    --------
    Like ``apaTables::apa.cor.table(scores)`` (with ``psych::alpha`` on the diagonal).

    >>> correlation_table(scores, variables=["motivation", "mechanism"],
    ...                   reliability=rel, instrument=inst)  # doctest: +SKIP
    """
    check_arguments(correlation_table, locals())
    import numpy as np
    import pandas as pd

    check_option("diagonal", diagonal, Diagonal)
    st = get_style(style)
    if isinstance(stars, Mapping):
        st, use_stars = st.with_stars(dict(stars)), True
    elif isinstance(stars, bool):
        use_stars = stars
    else:
        raise OptionError(f"stars={stars!r} is not accepted; use True, False or a mapping")
    if not isinstance(scores, pd.DataFrame):
        raise DataValidationError(
            f"scores must be a DataFrame of scores, got {type(scores).__name__}"
        )
    if variables is None:
        variables = [str(c) for c in scores.columns if pd.api.types.is_numeric_dtype(scores[c])]
    variables = [str(v) for v in variables]
    bad = [v for v in variables if v not in scores.columns]
    if bad:
        raise DataValidationError(
            f"variables {', '.join(map(repr, bad))} are not columns of scores; columns are "
            + ", ".join(map(str, scores.columns))
        )
    non_numeric = [v for v in variables if not pd.api.types.is_numeric_dtype(scores[v])]
    if non_numeric:
        raise DataValidationError(
            f"variables {', '.join(map(repr, non_numeric))} are not numeric columns of scores"
        )
    if len(variables) < 2:
        raise DataValidationError("a correlation table needs at least two variables")
    rel: dict[str, float] = {}
    if reliability is not None and diagonal != "none":
        if isinstance(reliability, pd.DataFrame):
            if diagonal not in reliability.columns:
                raise DataValidationError(
                    f"reliability has no {diagonal!r} column; it has "
                    + ", ".join(map(str, reliability.columns))
                )
            pairs = list(reliability[diagonal].items())
        else:
            pairs = list(dict(reliability).items())
        try:
            rel = {str(k): float(v) for k, v in pairs}
        except (TypeError, ValueError, OverflowError):
            raise DataValidationError(
                f"reliability holds values that are not numbers: {pairs[:5]!r}"
            ) from None
    frame = scores[variables]
    r, p, _n = pearson_matrix(frame)
    lab = make_labeller(st, labels, instrument)
    lead = st.bounded_leading_zero
    rows = []
    k = len(variables)
    for i, v in enumerate(variables):
        col = frame[v].dropna().to_numpy(dtype=float)
        mean = float(col.mean()) if col.size else math.nan
        sd = float(col.std(ddof=1)) if col.size > 1 else math.nan
        cells = [
            Cell(fmt_num(mean, digits), value=None if is_missing(mean) else mean),
            Cell(fmt_num(sd, digits), value=None if is_missing(sd) else sd),
        ]
        for j in range(k):
            if j < i:
                value = float(r[i, j])
                cells.append(
                    Cell(
                        fmt_num(value, digits, leading_zero=lead),
                        value=None if np.isnan(value) else value,
                        stars=stars_for(p[i, j], st.stars) if use_stars else "",
                    )
                )
            elif j == i:
                value = rel.get(v, math.nan)
                text = fmt_num(value, digits, leading_zero=lead)
                cells.append(
                    Cell(f"({text})" if text else "", value=None if is_missing(value) else value)
                )
            else:
                cells.append(Cell(""))
        rows.append(Row(f"{i + 1}. {lab(v)}", tuple(cells)))
    header = (tuple(Cell(t) for t in ["M", "SD", *[str(j + 1) for j in range(k)]]),)
    if st.language == "zh":
        header = (
            tuple(
                Cell(t) for t in [st.word("mean"), st.word("sd")] + [str(j + 1) for j in range(k)]
            ),
        )
    n_total = len(frame.dropna(how="all"))
    general: list[str] = []
    rel_word = {"alpha": "Cronbach's α", "omega": "McDonald's ω"}.get(diagonal, "")
    if st.language == "en":
        text = f"N = {n_total}. M and SD are the mean and standard deviation."
        if rel:
            text += f" {rel_word} in parentheses on the diagonal."
        general.append(text)
    else:
        zh_word = {"alpha": "Cronbach's α 系数", "omega": "McDonald's ω 系数"}.get(diagonal, "")
        text = f"N = {n_total}。"
        if rel:
            text += f"对角线括号内为 {zh_word}。"
        general.append(text)
    general += [str(x) for x in notes]
    return Table(
        header=header,
        panels=(Panel(None, tuple(rows)),),
        stub=st.word("variable"),
        caption=caption,
        number=number,
        label=label,
        notes=Notes(
            general=tuple(general), probability=stars_note(st, st.stars) if use_stars else None
        ),
        style=st,
    )


def skew_kurtosis(values: Any, *, type: Literal[1, 2, 3] = 2) -> tuple[float, float]:
    """Skewness and excess kurtosis of ``values`` (NaN dropped) as ``psych::describe``.

    ``type=1``: the moment estimates :math:`g_1, g_2`; ``type=2`` (default, SPSS, SAS and
    pandas): :math:`G_1, G_2` adjusted for sample size; ``type=3`` (psych's default):
    :math:`b_1 = g_1((n-1)/n)^{3/2}`, :math:`b_2 = (g_2 + 3)((n-1)/n)^2 - 3`.
    """
    import numpy as np

    check_option("type", type, Literal[1, 2, 3])
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n < 4:
        return math.nan, math.nan
    d = x - x.mean()
    m2 = float(np.mean(d**2))
    if m2 == 0:
        return math.nan, math.nan
    g1 = float(np.mean(d**3)) / m2**1.5
    g2 = float(np.mean(d**4)) / m2**2 - 3.0
    if type == 1:
        return g1, g2
    if type == 2:
        G1 = g1 * math.sqrt(n * (n - 1)) / (n - 2)
        G2 = ((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3))
        return G1, G2
    return g1 * ((n - 1) / n) ** 1.5, (g2 + 3.0) * ((n - 1) / n) ** 2 - 3.0


def item_table(
    data: pd.DataFrame,
    instrument: Any,
    *,
    fit: Any = None,
    constructs: Sequence[str] | None = None,
    items: ItemLabels = "code_wording",
    skew_type: Literal[1, 2, 3] = 2,
    style: StyleName | Style = "apa",
    labels: Mapping[str, str] | None = None,
    caption: str | None = None,
    number: int | None = None,
    label: str | None = None,
    notes: Sequence[str] = (),
    digits: int = 2,
) -> Table:
    """Items per construct: code, wording, M, SD, skewness, kurtosis and loading.

    Parameters
    ----------
    data : DataFrame
        Item responses, one column per item id (as given: reverse-keyed items are shown as
        they are in ``data`` and marked R).
    instrument : Instrument
        Items, their constructs, codes and wording.
    fit : SEM result or DataFrame, optional
        A CFA (or its ``estimates()``): the standardized loading (std.all) of each item.
    constructs : sequence of str, optional
        First-order constructs to show (default: every construct that has items of its own);
        a second-order construct stands for its first-order components.
    items : {"code", "wording", "code_wording", "id"}
        How items are named (default: code and wording).
    skew_type : {1, 2, 3}
        Skewness/kurtosis estimator, as ``psych::describe(type=)`` (default 2, SPSS).
    style, labels, caption, number, label, notes : optional
        As in :func:`correlation_table`.
    digits : int
        Decimal places.

    Returns
    -------
    Table

    Raises
    ------
    DataValidationError
        If an item of a shown construct has no column in ``data``.

    Examples
    --------
    Like ``psych::describe(items)`` bound to ``lavaan::standardizedSolution(cfa)`` loadings.

    >>> item_table(items, inst, fit=cfa)  # doctest: +SKIP
    """
    check_arguments(item_table, locals())
    import pandas as pd

    st = get_style(style)
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(f"data must be a DataFrame of items, got {type(data).__name__}")
    if isinstance(instrument, str | os.PathLike):  # a bundled name or a codebook path
        from synergy_stats.instrument import load_instrument

        instrument = load_instrument(instrument)
    items_attr = getattr(instrument, "items", ())
    if callable(items_attr) or isinstance(items_attr, str):
        raise OptionError(
            f"instrument=<{type(instrument).__name__}> is not accepted; give an Instrument "
            "(ss.load_instrument) or a bundled instrument's name"
        )
    all_items = list(items_attr or ())
    if not all_items:
        raise DataValidationError("instrument has no items")
    by_construct: dict[str, list[Any]] = {}
    for it in all_items:
        by_construct.setdefault(str(it.construct), []).append(it)
    shown = list(constructs) if constructs is not None else list(by_construct)
    # a second-order construct stands for its first-order components, in order
    defs: Mapping[str, Any] = getattr(instrument, "constructs", None) or {}

    def _parts(c: str) -> list[str]:
        parts = tuple(getattr(defs.get(c), "components", None) or ())
        return [str(p) for p in parts] if c not in by_construct and parts else [c]

    shown = [part for c in shown for part in _parts(c)]
    unknown = [c for c in shown if c not in by_construct]
    if unknown:
        raise DataValidationError(
            f"constructs {', '.join(map(repr, unknown))} have no items; constructs with items "
            "are " + ", ".join(by_construct)
        )
    missing = [str(it.id) for c in shown for it in by_construct[c] if str(it.id) not in data]
    if missing:
        raise DataValidationError(
            f"data has no column for the items {', '.join(missing[:10])}"
            + (f" ... ({len(missing)} in all)" if len(missing) > 10 else "")
        )
    shown_ids = [str(it.id) for c in shown for it in by_construct[c]]
    repeated = [i for i in shown_ids if int((data.columns == i).sum()) > 1]
    if repeated:
        raise DataValidationError(
            f"data has the column {repeated[0]!r} more than once; keep one column per item"
        )
    loadings: dict[str, float] = {}
    if fit is not None:
        est = fit.estimates() if hasattr(fit, "estimates") else fit
        if not isinstance(est, pd.DataFrame) or not {"op", "rhs", "std_all"} <= set(est.columns):
            raise OptionError(
                f"fit={type(fit).__name__} is not accepted; give the result of ss.cfa() or "
                "its estimates() table"
            )
        load = est[est["op"] == "=~"]
        if "group" in load.columns and load["group"].nunique() > 1:
            load = load[load["group"] == load["group"].min()]
        loadings = {str(r["rhs"]): float(r["std_all"]) for _, r in load.iterrows()}
    lab = make_labeller(st, labels, instrument, items=items)
    panels = []
    any_reverse = False
    for c in shown:
        rows = []
        for it in by_construct[c]:
            x = data[str(it.id)]
            v = pd.to_numeric(x, errors="coerce").dropna().to_numpy(dtype=float)
            mean = float(v.mean()) if v.size else math.nan
            sd = float(v.std(ddof=1)) if v.size > 1 else math.nan
            sk, ku = skew_kurtosis(v, type=skew_type)
            lam = loadings.get(str(it.id), math.nan)
            name = lab(str(it.id))
            marks: tuple[str, ...] = ()
            if getattr(it, "reverse", False):
                any_reverse = True
                marks = ("R",)
            cells = (
                Cell(fmt_num(mean, digits), value=None if is_missing(mean) else mean),
                Cell(fmt_num(sd, digits), value=None if is_missing(sd) else sd),
                Cell(fmt_num(sk, digits), value=None if is_missing(sk) else sk),
                Cell(fmt_num(ku, digits), value=None if is_missing(ku) else ku),
                Cell(
                    fmt_num(lam, digits, leading_zero=st.bounded_leading_zero),
                    value=None if is_missing(lam) else lam,
                ),
            )
            rows.append(Row(name, cells, indent=1, marks=marks))
        panels.append(Panel(lab(c), tuple(rows)))
    if fit is None:
        panels = [
            Panel(pn.title, tuple(Row(r.label, r.cells[:4], r.indent, r.marks) for r in pn.rows))
            for pn in panels
        ]
    header = [st.word("mean"), st.word("sd"), st.word("skew"), st.word("kurtosis")]
    if st.language == "en":
        header = ["M", "SD", "Skew.", "Kurt."]
    if fit is not None:
        header.append("λ")
    general = []
    type_word = {1: "g1/g2", 2: "G1/G2 (sample-size adjusted, as SPSS)", 3: "b1/b2 (psych)"}
    if st.language == "en":
        text = f"N = {len(data)}. Skewness and excess kurtosis: {type_word[skew_type]}."
        if fit is not None:
            text += " λ = standardized loading (std.all) from the CFA."
        general.append(text)
    else:
        text = f"N = {len(data)}。偏度与峰度（超额峰度）按 type {skew_type} 计算。"
        if fit is not None:
            text += "λ 为验证性因子分析的标准化载荷。"
        general.append(text)
    general += [str(x) for x in notes]
    specific: tuple[tuple[str, str], ...] = ()
    if any_reverse:
        specific = (
            (
                "R",
                "Reverse-keyed item; statistics as the data were given."
                if st.language == "en"
                else "反向计分题项；统计量按所给数据计算。",
            ),
        )
    stub = st.word("item")
    return Table(
        header=(tuple(Cell(h) for h in header),),
        panels=tuple(panels),
        stub=stub,
        caption=caption,
        number=number,
        label=label,
        notes=Notes(general=tuple(general), specific=specific),
        style=st,
    )
