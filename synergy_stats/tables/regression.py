"""``regression_table``: several regressions side by side, modelsummary-style."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from synergy_stats._typing import check_arguments, check_option
from synergy_stats.errors import OptionError
from synergy_stats.tables.format import fmt_int, fmt_num, fmt_p, is_missing, stars_for
from synergy_stats.tables.labels import make_labeller
from synergy_stats.tables.model import Cell, Notes, Panel, Row, Table
from synergy_stats.tables.style import Style, StyleName, get_style

__all__ = ["DEFAULT_FIT", "regression_table", "stars_note"]

DEFAULT_FIT: tuple[str, ...] = (
    "nobs",
    "r2",
    "r2_adj",
    "pseudo_r2",
    "aic",
    "bic",
    "loglik",
    "n_clusters",
    "se_type",
)
_BOUNDED_FIT = {"r2", "r2_adj", "pseudo_r2"}
_TEMPLATES = {
    "se": "({se})",
    "ci": "[{ci_lower}, {ci_upper}]",
    "stat": "({stat})",
    "t": "({stat})",
    "z": "({stat})",
    "pvalue": "({pvalue})",
    "p": "({pvalue})",
}
_STAT_NOTES = {
    "se": "se_note",
    "ci": "ci_note",
    "stat": "t_note",
    "t": "t_note",
    "z": "t_note",
    "pvalue": "p_note",
    "p": "p_note",
}


def stars_note(style: Style, stars: Sequence[tuple[str, float]]) -> str:
    """Return the probability note for the star cut-offs, e.g. ``* p < .05. ** p < .01.``."""
    ordered = sorted(stars, key=lambda s: -s[1])
    parts = [
        f"{sym} p < {fmt_num(cut, _cut_digits(cut), leading_zero=style.bounded_leading_zero)}"
        for sym, cut in ordered
    ]
    if style.language == "zh":
        return "，".join(parts) + "。"
    if style.name == "econ":
        return ", ".join(parts) + "."
    return ". ".join(parts) + "."


def _cut_digits(cut: float) -> int:
    for d in range(1, 6):
        if abs(round(cut, d) - cut) < 1e-12:
            return d
    return 3


def regression_table(
    models: Sequence[Any] | Mapping[str, Any],
    *,
    style: StyleName | Style = "apa",
    statistic: str = "se",
    stars: bool | Mapping[str, float] = True,
    coef_map: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    instrument: Any = None,
    fit: Sequence[str] | None = None,
    add_rows: Sequence[tuple[str, Sequence[str]]] = (),
    notes: Sequence[str] = (),
    caption: str | None = None,
    number: int | None = None,
    label: str | None = None,
    digits: int | None = None,
    level: float = 0.95,
    layout: Literal["below", "beside"] = "below",
    dependent_header: bool = True,
) -> Table:
    """Build a table of several regressions side by side.

    Parameters
    ----------
    models : sequence or mapping
        Our :class:`~synergy_stats.regression.RegressionResult` objects and/or plain
        statsmodels results (OLS, WLS, Logit, Probit, OrderedModel, MixedLM). A mapping gives
        the column names; a sequence is numbered ``(1)``, ``(2)``, ...
    style : {"apa", "econ", "cn"} or Style
        Stars, number style, wording and rules.
    statistic : str
        What goes under each coefficient: ``"se"``, ``"ci"``, ``"stat"`` (t or z),
        ``"pvalue"``, or a template using ``{est} {se} {stat} {pvalue} {ci_lower}
        {ci_upper}``, e.g. ``"({se}; p = {pvalue})"``.
    stars : bool or mapping
        True for the style's cut-offs, False for none, or ``{"+": .1, "*": .05}``.
    coef_map : mapping, optional
        ``{term: label}``; keeps only these terms, in this order, renamed.
    labels : mapping, optional
        ``{term or variable: label}``; renames without filtering (also dependent variables
        and the clustering variable).
    instrument : Instrument, optional
        Construct labels (Chinese under ``style="cn"``) for terms named by construct id.
    fit : sequence of str, optional
        Fit rows, from ``nobs r2 r2_adj pseudo_r2 aic bic loglik n_clusters se_type``
        (default: all; a row that is empty for every model is left out).
    add_rows : sequence of (label, values)
        Extra rows at the bottom, one value per model.
    notes : sequence of str
        General notes.
    caption, number, label : optional
        Caption, table number and LaTeX label.
    digits : int, optional
        Decimal places (default from the style).
    level : float
        Confidence level for ``statistic="ci"``.
    layout : {"below", "beside"}
        Statistic under or beside the coefficient.
    dependent_header : bool
        Add a header row naming the dependent variables (adjacent equal names spanned).

    Returns
    -------
    Table

    Raises
    ------
    OptionError
        For unknown options, fit rows, or an ``add_rows`` entry of the wrong length.

    Notes
    -----
    Each cell is formatted from the model's tidy estimates (``params``, ``bse``,
    ``tvalues``, ``pvalues``, ``conf_int()`` of the statsmodels result). MixedLM variance
    components come from ``cov_re`` and ``scale`` (variance scale) and get no stars and no
    statistic. A value that rounds to zero is printed without a minus sign.

    Examples
    --------
    Mirrors ``modelsummary::modelsummary(list(m1, m2), stars = TRUE)`` in R.

    >>> regression_table([m1, m2], style="apa", statistic="se")  # doctest: +SKIP
    """
    check_arguments(regression_table, locals())
    from synergy_stats.regression.adapter import as_result

    st = get_style(style)
    if isinstance(stars, Mapping):
        st = st.with_stars(dict(stars))
        use_stars = True
    elif isinstance(stars, bool):
        use_stars = stars
    else:
        raise OptionError(f"stars={stars!r} is not accepted; use True, False or a mapping")
    check_option("layout", layout, Literal["below", "beside"])
    nd = st.digits if digits is None else digits
    if isinstance(nd, bool) or not isinstance(nd, int) or nd < 0:
        raise OptionError(f"digits={digits!r} is not accepted; use an integer >= 0")
    template = _template(statistic)
    if isinstance(models, Mapping):
        names = [str(k) for k in models]
        results = [as_result(m) for m in models.values()]
    else:
        results = [as_result(m) for m in models]
        names = [f"({i + 1})" for i in range(len(results))]
    if not results:
        raise OptionError("models is empty; pass at least one fitted model")
    fit_rows = DEFAULT_FIT if fit is None else tuple(fit)
    for f in fit_rows:
        check_option("fit", f, DEFAULT_FIT)
    lab = make_labeller(st, labels, instrument)
    k = len(results)
    tidies = [r.estimates(level=level) for r in results]

    # terms, by kind, in order of appearance
    order: dict[str, list[str]] = {"coef": [], "threshold": [], "variance": []}
    for td in tidies:
        for term, kind in zip(td["term"], td["kind"], strict=True):
            if term not in order[kind]:
                order[kind].append(term)
    if coef_map is not None:
        known = {t for terms in order.values() for t in terms}
        for kind in order:
            order[kind] = [t for t in coef_map if t in order[kind]]
        unknown = [t for t in coef_map if t not in known]
        if len(unknown) == len(coef_map):
            raise OptionError(
                f"coef_map names no term of the models ({', '.join(unknown)}); terms are "
                f"{', '.join(sorted(known))}"
            )
        display = lambda t: str(coef_map[t])  # noqa: E731
    else:
        display = lab

    panels: list[Panel] = []
    for kind, title in (
        ("coef", None),
        ("threshold", st.word("threshold")),
        ("variance", st.word("random")),
    ):
        rows = []
        for term in order[kind]:
            cells = []
            for td in tidies:
                hit = td[(td["term"] == term) & (td["kind"] == kind)]
                if hit.empty:
                    cells.append(Cell(""))
                    continue
                rec = hit.iloc[0]
                cells.append(
                    _coef_cell(
                        rec,
                        st,
                        nd,
                        template,
                        use_stars and kind != "variance",
                        with_stat=kind != "variance",
                    )
                )
            rows.append(Row(_term_label(term, display, results, st), tuple(cells)))
        if rows:
            panels.append(Panel(title if panels or kind != "coef" else None, tuple(rows)))

    # fit rows
    fit_list: list[Row] = []
    measures = [r.fit_measures() for r in results]
    for f in fit_rows:
        if f == "se_type":
            texts = [_se_type(r, st, lab) for r in results]
            fit_list.append(Row(st.word("se_type"), tuple(Cell(t) for t in texts)))
            continue
        values = [float(m.get(f, math.nan)) for m in measures]
        if all(is_missing(v) for v in values):
            continue
        cells = []
        for v in values:
            if f in ("nobs", "n_clusters"):
                cells.append(Cell(fmt_int(v), value=None if is_missing(v) else v))
            elif f in _BOUNDED_FIT:
                cells.append(
                    Cell(
                        fmt_num(v, nd, leading_zero=st.bounded_leading_zero),
                        value=None if is_missing(v) else v,
                    )
                )
            else:
                cells.append(Cell(fmt_num(v, 2), value=None if is_missing(v) else v))
        fit_list.append(Row(st.word(f), tuple(cells)))
    for entry in add_rows:
        if isinstance(entry, str) or not isinstance(entry, Sequence) or len(entry) != 2:
            raise OptionError(
                f"add_rows entry {entry!r} is not accepted; give (label, [one value per model])"
            )
        row_label, extra = entry
        if isinstance(extra, str) or not isinstance(extra, Iterable):
            raise OptionError(f"add_rows entry {row_label!r}: give a list of values, not {extra!r}")
        texts = [str(v) for v in extra]
        if len(texts) != k:
            raise OptionError(
                f"add_rows entry {row_label!r} has {len(texts)} values; give one per model ({k})"
            )
        fit_list.append(Row(str(row_label), tuple(Cell(t) for t in texts)))
    if fit_list:
        panels.append(Panel(None, tuple(fit_list)))

    # header
    header: list[tuple[Cell, ...]] = []
    deps = [r.dependent for r in results]
    if dependent_header and all(deps):
        spans: list[Cell] = []
        for d in deps:
            text = lab(str(d))
            if spans and spans[-1].text == text:
                spans[-1] = Cell(text, span=spans[-1].span + 1)
            else:
                spans.append(Cell(text))
        header.append(tuple(spans))
    header.append(tuple(Cell(n) for n in names))

    # notes
    general = []
    key = _STAT_NOTES.get(statistic)
    if key is not None:
        general.append(st.word(key).format(level=fmt_num(level * 100, 0)))
    if any(r.model == "mixedlm" for r in results):
        general.append(st.word("var_note"))
    if any(r.model == "mixedlm" and r.reml for r in results) and (
        "aic" in fit_rows or "bic" in fit_rows
    ):
        general.append(st.word("reml_note"))
    general += [str(n) for n in notes]
    prob = stars_note(st, st.stars) if use_stars else None
    return Table(
        header=tuple(header),
        panels=tuple(panels),
        caption=caption,
        number=number,
        label=label,
        notes=Notes(general=tuple(general), probability=prob),
        style=st,
        layout=layout,
    )


def _term_label(term: str, display: Any, results: Sequence[Any], st: Style) -> str:
    if term.startswith("Var(") and term.endswith(")") and "|" not in term and "," not in term:
        inner = term[4:-1]
        return st.word("variance").format(name=display(inner))
    return str(display(term))


_FIELD = re.compile(r"\{([^{}]*)\}")
_FIELDS = ("est", "se", "stat", "pvalue", "ci_lower", "ci_upper")


def _template(statistic: str) -> str:
    if not isinstance(statistic, str):
        raise OptionError(f"statistic={statistic!r} is not accepted; use a string")
    if statistic in _TEMPLATES:
        return _TEMPLATES[statistic]
    if "{" in statistic:
        bad = [f for f in _FIELD.findall(statistic) if f not in _FIELDS]
        if bad:
            raise OptionError(
                f"statistic template field {{{bad[0]}}} is not accepted; use "
                + " ".join("{" + f + "}" for f in _FIELDS)
            )
        return statistic
    raise OptionError(
        f"statistic={statistic!r} is not accepted; use 'se', 'ci', 'stat', 'pvalue' or a "
        "template like '({se})'"
    )


def _fill(template: str, values: dict[str, str]) -> str:
    return _FIELD.sub(lambda m: values[m.group(1)], template)


def _coef_cell(
    rec: Any, st: Style, nd: int, template: str, use_stars: bool, *, with_stat: bool
) -> Cell:
    est = float(rec["est"])
    values = {
        "est": fmt_num(est, nd),
        "se": fmt_num(rec["se"], nd),
        "stat": fmt_num(rec["stat"], 2),
        "pvalue": fmt_p(rec["pvalue"], 3, leading_zero=st.bounded_leading_zero),
        "ci_lower": fmt_num(rec["ci_lower"], nd),
        "ci_upper": fmt_num(rec["ci_upper"], nd),
    }
    stat_text = None
    if with_stat and not all(is_missing(rec[c]) for c in ("se", "stat", "pvalue")):
        stat_text = _fill(template, values)
    return Cell(
        values["est"],
        value=est,
        stars=stars_for(rec["pvalue"], st.stars) if use_stars else "",
        statistic=stat_text,
    )


def _se_type(result: Any, st: Style, lab: Any) -> str:
    if result.model == "mixedlm":
        return st.word("conventional")
    if result.cov_type == "cluster":
        n = "" if result.n_clusters is None else str(result.n_clusters)
        return st.word("clustered").format(name=lab(str(result.cluster)), n=n)
    if str(result.cov_type).startswith("HC"):
        return st.word("robust").format(kind=result.cov_type)
    return st.word("conventional")
