"""Item distributions: diverging stacked bars of Likert items (``ss.plot_likert``)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from synergy_stats._typing import check_arguments
from synergy_stats.errors import OptionError
from synergy_stats.figures._base import Lang, check_lang, figure_context, label_of, new_figure

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from synergy_stats.instrument import Instrument
    from synergy_stats.intake import SurveyData

__all__ = ["likert_shares", "plot_likert"]

_TEXT = {
    "en": {"x": "share of answers (%)", "all": "all", "note": "reverse-keyed items as answered"},
    "zh": {"x": "回答比例（%）", "all": "全部", "note": "反向计分题按原始回答显示"},
}
# ColorBrewer RdBu, 5 to 7 classes (disagree red, agree blue, neutral grey)
_PALETTES = {
    2: ["#ef8a62", "#67a9cf"],
    3: ["#ef8a62", "#d9d9d9", "#67a9cf"],
    4: ["#ca0020", "#f4a582", "#92c5de", "#0571b0"],
    5: ["#ca0020", "#f4a582", "#d9d9d9", "#92c5de", "#0571b0"],
    6: ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"],
    7: ["#b2182b", "#ef8a62", "#fddbc7", "#d9d9d9", "#d1e5f0", "#67a9cf", "#2166ac"],
}


def likert_shares(frame: pd.DataFrame, items: list[str], codes: list[int]) -> pd.DataFrame:
    """Share (0-1) of each valid code per item, among the item's valid answers."""
    import numpy as np
    import pandas as pd

    rows = {}
    for it in items:
        v = pd.to_numeric(frame[it], errors="coerce").to_numpy(dtype=float)
        v = v[np.isin(v, codes)]
        rows[it] = [float((v == c).mean()) if v.size else np.nan for c in codes]
    return pd.DataFrame.from_dict(rows, orient="index", columns=codes)


def plot_likert(
    data: SurveyData | pd.DataFrame,
    inst: Instrument | str,
    *,
    by: Hashable | None = None,
    lang: Lang = "en",
    constructs: list[str] | None = None,
) -> Figure:
    """Diverging stacked bars of every item, grouped by construct.

    Parameters
    ----------
    data : SurveyData or pandas.DataFrame
        Item codes (columns named by item id), e.g. the result of
        :func:`synergy_stats.read_survey`.
    inst : Instrument or str
        The instrument (its scale labels and constructs).
    by : column name, optional
        Draw one panel per value of this column (a wave or a group), side by side.
    lang : {"en", "zh"}
        Language of the labels.
    constructs : list of str, optional
        First-order factors to show (default all with items in the data).

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Shares are of the valid answers (missing codes excluded). Disagreement extends left of
    zero and agreement right; the middle category of an odd scale is split across zero.

    Examples
    --------
    R's ``likert::likert()`` plot / ``ggstats::gglikert()``:

    >>> ss.plot_likert(survey, "synergy-execution", by="wave")  # doctest: +SKIP
    """
    check_arguments(plot_likert, locals())
    import numpy as np
    import pandas as pd

    from synergy_stats.intake import SurveyData
    from synergy_stats.intake.read import resolve_instrument

    lang = check_lang(lang)
    instrument = resolve_instrument(inst)
    frame = data.data if isinstance(data, SurveyData) else data
    if not isinstance(frame, pd.DataFrame):
        raise OptionError(
            f"data={type(data).__name__} is not accepted; give SurveyData or a DataFrame"
        )
    groups: list[tuple[str, list[str]]] = []
    factors = constructs if constructs is not None else instrument.factors()
    for f in factors:
        items = [i for i in instrument.items_of(f) if i in frame.columns]
        if items:
            groups.append((f, items))
    if not groups:
        raise OptionError("data has no column named after an item of the instrument")
    if by is not None and by not in frame.columns:
        raise OptionError(
            f"by={by!r} is not a column of data; use one of {list(frame.columns)[:10]}"
        )
    scale = instrument.scale_of(groups[0][1][0])
    codes = list(range(scale.minimum, scale.maximum + 1))
    k = len(codes)
    colors = _PALETTES.get(k, _PALETTES[5] if k > 7 else _PALETTES[3])
    levels: list[Any] = (
        [None] if by is None else sorted(frame[by].dropna().unique().tolist(), key=str)
    )
    rows: list[tuple[str, str | None]] = []  # (item or construct label, kind)
    for f, items in groups:
        rows.append((label_of(f, instrument, lang), "head"))
        rows.extend((i, None) for i in items)
    n = len(rows)
    height = 0.9 + 0.19 * n
    width = 3.0 + 3.2 * len(levels)
    with figure_context(lang):
        fig = new_figure(width, height, lang)
        axes = fig.subplots(1, len(levels), sharey=True, squeeze=False)[0]
        ypos = {r: n - 1 - j for j, r in enumerate(rows)}
        for ax, level in zip(axes, levels, strict=True):
            sub = frame if level is None else frame[frame[by] == level]
            shares = likert_shares(sub, [i for _, items in groups for i in items], codes) * 100
            mid = (k - 1) / 2
            for it in shares.index:
                y = ypos[(it, None)]
                vals = shares.loc[it].to_numpy(dtype=float)
                if np.isnan(vals).all():
                    continue
                left = -(vals[: int(np.floor(mid))].sum() + (vals[int(mid)] / 2 if k % 2 else 0))
                for c in range(k):
                    ax.barh(
                        y,
                        vals[c],
                        left=left,
                        height=0.78,
                        color=colors[c],
                        edgecolor="white",
                        lw=0.4,
                        label=scale.label(codes[c], lang) if it == shares.index[0] else None,
                    )
                    left += vals[c]
            ax.axvline(0, color="#555555", lw=0.6)
            ax.set_xlim(-100, 100)
            ax.set_xticks([-100, -50, 0, 50, 100], ["100", "50", "0", "50", "100"])
            ax.set_xlabel(_TEXT[lang]["x"], fontsize=8)
            ax.tick_params(axis="y", length=0, labelsize=7)
            ax.tick_params(axis="x", labelsize=7)
            ax.spines["left"].set_visible(False)
            if level is not None:
                ax.set_title(f"{by} = {level}", fontsize=9)
            for label, kind in rows:
                if kind == "head":
                    ax.axhline(ypos[(label, kind)] - 0.5, color="#dddddd", lw=0.5)
        axes[0].set_ylim(-0.7, n - 0.3)
        axes[0].set_yticks(
            [ypos[r] for r in rows],
            [r[0] for r in rows],
        )
        for tick, (_, kind) in zip(axes[0].get_yticklabels(), rows, strict=True):
            if kind == "head":
                tick.set_fontweight("bold")
                tick.set_fontsize(7.5)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(
            handles,
            labels,
            loc="upper center",
            ncol=k,
            fontsize=7,
            frameon=False,
            bbox_to_anchor=(0.5, 1.0),
        )
        fig.subplots_adjust(
            left=2.2 / width,
            right=1 - 0.15 / width,
            top=1 - 0.45 / height,
            bottom=0.45 / height,
            wspace=0.08,
        )
    return fig
