"""Cross-lag diagrams of panel models (``ss.plot_riclpm``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from synergy_stats._typing import check_arguments
from synergy_stats.errors import OptionError
from synergy_stats.figures._base import (
    Lang,
    check_lang,
    figure_context,
    fmt,
    label_of,
    new_figure,
    rows,
    stars,
)
from synergy_stats.figures._draw import FEEDBACK, MUTED, Diagram, Edge, Node, fit_label

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from synergy_stats.instrument import Instrument
    from synergy_stats.panel.models import PanelFit

__all__ = ["feedback_pairs", "plot_riclpm"]

_WAVE = {"en": "Wave {w}", "zh": "第{w}期"}
_RI = {"en": "RI {c}", "zh": "随机截距：{c}"}
_NOTE = {
    "en": "Within-person {kind} lagged effects{ri}. * p < .05, ** p < .01, *** p < .001; "
    "dashed: p ≥ .05; red: feedback paths.",
    "zh": "个体内{kind}滞后效应{ri}。* p < .05，** p < .01，*** p < .001；"
    "虚线：p ≥ .05；红色：反馈路径。",
}
_KIND = {
    ("en", "std"): "standardized",
    ("en", "est"): "unstandardized",
    ("zh", "std"): "标准化",
    ("zh", "est"): "非标准化",
}
_RIN = {"en": "; grey: random intercepts (between-person)", "zh": "；灰色：随机截距（个体间）"}


def feedback_pairs(
    constructs: Sequence[str], instrument: Instrument | None
) -> set[tuple[str, str]]:
    """``(source, target)`` pairs of constructs that are feedback paths of the instrument.

    A pair counts when its source is the instrument's feedback source or one of its
    components, and its target the feedback target or one of its components.
    """
    if instrument is None:
        return set()

    def family(cid: str) -> set[str]:
        out = {cid}
        node = instrument.constructs.get(cid)
        if node is not None:
            for c in node.components:
                out |= family(c)
        return out

    pairs = set()
    for f in instrument.feedback:
        src, dst = family(f.source), family(f.target)
        pairs |= {(a, b) for a in constructs for b in constructs if a in src and b in dst}
    return pairs


def plot_riclpm(
    ri: PanelFit,
    *,
    instrument: Instrument | None = None,
    feedback: Sequence[tuple[str, str]] | str | None = None,
    what: Literal["std", "est"] = "std",
    lang: Lang = "en",
    digits: int = 2,
) -> Figure:
    """Cross-lag diagram of a (RI-)CLPM: waves left to right, one row per construct.

    Parameters
    ----------
    ri : PanelFit
        A fit of :func:`synergy_stats.riclpm` (or :func:`synergy_stats.clpm`).
    instrument : Instrument, optional
        Labels, and the feedback paths to highlight (its ``feedback`` section).
    feedback : str or sequence of (source, target), optional
        Feedback paths to highlight: a source construct (every cross-lag from it) or
        explicit pairs. Default: the instrument's feedback paths.
    what : {"std", "est"}, default "std"
        Standardized (within-person) or unstandardized lags.
    lang : {"en", "zh"}
        Language of the labels.
    digits : int
        Decimals.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Within-person components are ellipses; autoregressive paths run along a row,
    cross-lagged paths between rows; the random intercepts (between-person, RI-CLPM only)
    sit at the left, linked in grey to the waves of their construct. Feedback paths are red.

    Examples
    --------
    The diagram of Hamaker, Kuiper & Grasman (2015), Figure 1:

    >>> ss.plot_riclpm(ri, instrument=inst)  # doctest: +SKIP
    """
    check_arguments(plot_riclpm, locals())
    lang = check_lang(lang)
    if what not in ("std", "est"):
        raise OptionError(f"what={what!r} is not accepted; use 'std' or 'est'")
    lags = ri.cross_lagged()
    constructs = list(ri.constructs)
    if isinstance(feedback, str):
        if feedback not in constructs:
            raise OptionError(f"feedback={feedback!r} is not accepted; use one of {constructs}")
        fb = {(feedback, c) for c in constructs if c != feedback}
    elif feedback is not None:
        fb = {(str(a), str(b)) for a, b in feedback}
    else:
        fb = feedback_pairs(constructs, instrument)
    waves = list(ri.waves)
    col = "std_all" if what == "std" else "est"
    dx, dy, w, h = 3.4, 1.7, 1.6, 0.72
    has_ri = bool(ri.random_intercepts)
    x0 = 2.4 if has_ri else 0.0
    with figure_context(lang):
        fig = new_figure(8, 5, lang)
        dia = Diagram()
        n = len(constructs)
        for i, c in enumerate(constructs):
            y = ((n - 1) / 2 - i) * dy
            name = label_of(c, instrument, lang)
            for t in range(len(waves)):
                label, fs = fit_label(name, w - 0.25, h - 0.2, 8.5, wrap=14 if lang == "en" else 6)
                dia.node(Node(f"{c}@{t}", x0 + t * dx, y, w, h, label, fontsize=fs))
            if has_ri:
                label, fs = fit_label(
                    _RI[lang].format(c=name), w - 0.2, h - 0.15, 8.0, wrap=14 if lang == "en" else 7
                )
                dia.node(Node(f"RI:{c}", 0.0, y, w * 0.95, h, label, fontsize=fs, fill="#eeeeee"))
                # the intercept loads on every wave: a grey bracket above the row
                yb = y + h / 2 + 0.14
                xs = [x0 + t * dx for t in range(len(waves))]
                dia.line([0.0, xs[-1]], [yb, yb], color="#aaaaaa", lw=0.8, zorder=1)
                dia.line([0.0, 0.0], [y + h / 2, yb], color="#aaaaaa", lw=0.8, zorder=1)
                for xt in xs:
                    dia.line([xt, xt], [yb, y + h / 2], color="#aaaaaa", lw=0.8, zorder=1)
        top = ((n - 1) / 2) * dy + h / 2 + 0.35 + (0.2 if has_ri else 0.0)
        for t, wv in enumerate(waves):
            dia.note(
                x0 + t * dx,
                top,
                _WAVE[lang].format(w=wv),
                ha="center",
                va="bottom",
                fontsize=9,
                color=MUTED,
                fontweight="bold",
                gid=f"wave:{wv}",
            )
        for r in rows(lags):
            t = waves.index(r.to_wave)
            src, dst = f"{r.source}@{t - 1}", f"{r.target}@{t}"
            p = float(r.pvalue)
            is_fb = (r.source, r.target) in fb
            dia.edge(
                Edge(
                    src,
                    dst,
                    label=f"{fmt(float(getattr(r, col)), digits)}{stars(p)}",
                    dashed=p == p and p >= 0.05,
                    color=FEEDBACK if is_fb else "#222222",
                    width=1.6 if is_fb else (1.2 if r.kind == "autoregressive" else 0.9),
                    fontsize=7.0,
                    t_choices=(0.5, 0.32, 0.68, 0.4, 0.6, 0.25, 0.75, 0.2, 0.8),
                )
            )
        note = _NOTE[lang].format(kind=_KIND[(lang, what)], ri=_RIN[lang] if has_ri else "")
        dia.draw(fig, bottom_text=note)
    return fig
