"""Path diagrams of fitted structural equation models (``ss.plot_path``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

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
from synergy_stats.figures._draw import COVARIANCE, FEEDBACK, MUTED, Diagram, Edge, Node, fit_label

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from synergy_stats.instrument import Instrument
    from synergy_stats.structural import SEMResult

__all__ = ["plot_path", "stages"]

What = Literal["std", "est"]

_NOTE = {
    "en": "{kind} estimates. * p < .05, ** p < .01, *** p < .001; dashed: p ≥ .05{fb}.",
    "zh": "{kind}。* p < .05，** p < .01，*** p < .001；虚线：p ≥ .05{fb}。",
}
_KIND = {
    ("en", "std"): "Standardized",
    ("en", "est"): "Unstandardized",
    ("zh", "std"): "标准化系数",
    ("zh", "est"): "非标准化系数",
}
_FB = {"en": "; red curved: feedback (non-recursive) paths", "zh": "；红色曲线：反馈（非递归）路径"}


def _layers(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]]
) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Longest-path layers of the regression graph after removing the DFS back edges."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        succ[a].append(b)
    state: dict[str, int] = {}
    back: set[tuple[str, str]] = set()

    def visit(v: str) -> None:
        state[v] = 1
        for w in succ[v]:
            if state.get(w) == 1:
                back.add((v, w))
            elif w not in state:
                visit(w)
        state[v] = 2

    indeg = {n: 0 for n in nodes}
    for _, b in edges:
        indeg[b] += 1
    for v in sorted(nodes, key=lambda n: (indeg[n] > 0, list(nodes).index(n))):
        if v not in state:
            visit(v)
    layer = dict.fromkeys(nodes, 0)
    dag = [(a, b) for a, b in edges if (a, b) not in back and a != b]
    for _ in range(len(nodes)):
        changed = False
        for a, b in dag:
            if layer[b] < layer[a] + 1:
                layer[b] = layer[a] + 1
                changed = True
        if not changed:
            break
    return layer, back


def stages(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]], instrument: Instrument | None
) -> tuple[dict[str, int], set[tuple[str, str]], list[str]]:
    """Stage of every node: its top-level construct (instrument) or its layer.

    Returns ``(stage of node, feedback edges, stage titles)``; an edge is feedback when it
    points to an earlier (or the same) stage, or closes a cycle.
    """
    layer, back = _layers(nodes, edges)
    titles: list[str] = []
    if instrument is not None:
        top = instrument.top_level()
        where: dict[str, int] = {}
        for n in nodes:
            cur: str | None = n if n in instrument.constructs else None
            while cur is not None and instrument.parent(cur) is not None:
                cur = instrument.parent(cur)
            if cur is None or cur not in top:
                break
            where[n] = top.index(cur)
        if len(where) == len(nodes):
            used = sorted(set(where.values()))
            rank = {s: k for k, s in enumerate(used)}
            fb = {(a, b) for a, b in edges if where[b] <= where[a] and a != b} | back
            titles = [top[s] for s in used]
            return {n: rank[where[n]] for n in nodes}, fb, titles
    return layer, back, titles


def _estimates(fit: SEMResult, group: Any) -> pd.DataFrame:
    est = fit.estimates()
    if "group" in est.columns and fit.n_groups > 1:
        labels = list(getattr(fit, "group_labels", []))
        if group is None:
            raise OptionError(
                f"group=None is not accepted for a {fit.n_groups}-group fit; give one of {labels}"
            )
        k = labels.index(group) + 1 if group in labels else group
        est = est[est["group"] == k]
        if est.empty:
            raise OptionError(f"group={group!r} is not accepted; use one of {labels}")
    return est


def plot_path(
    fit: SEMResult,
    *,
    instrument: Instrument | None = None,
    what: What = "std",
    measurement: bool = False,
    lang: Lang = "en",
    covariances: bool = True,
    group: Any = None,
    digits: int = 2,
) -> Figure:
    """Path diagram of a fitted model with its coefficients.

    Parameters
    ----------
    fit : SEMResult
        A fitted model (:func:`synergy_stats.sem` or :func:`synergy_stats.cfa`).
    instrument : Instrument, optional
        Lays the constructs out in the instrument's stages (its top-level constructs in
        file order: motivation -> mechanism -> process -> results) and takes labels from
        it. Without it the regression graph is laid out in layers (longest path).
    what : {"std", "est"}, default "std"
        Standardized (``std_all``) or unstandardized coefficients.
    measurement : bool, default False
        Also draw the first-order factors and the indicators with their loadings.
    lang : {"en", "zh"}, default "en"
        Language of the labels.
    covariances : bool, default True
        Draw (residual) covariances between structural variables as curved double arrows.
    group : optional
        The group to draw of a multi-group fit.
    digits : int, default 2
        Decimals of the coefficients.

    Returns
    -------
    matplotlib.figure.Figure
        Every node label has the SVG id ``node:<name>``, every coefficient ``edge:<a>-><b>``.

    Notes
    -----
    Edges carry the coefficient with stars (* p < .05, ** p < .01, *** p < .001);
    non-significant paths are dashed; endogenous variables show their R². Paths that point
    back to an earlier stage or close a cycle (feedback, non-recursive models) are drawn
    as red curves, paths that skip a stage as curves above the others. Coefficient labels
    are moved along their edges until they overlap no other label.

    Examples
    --------
    semPlot ``semPaths(fit, "std")`` / lavaanPlot in R:

    >>> fig = ss.plot_path(fit, instrument=inst, measurement=True)  # doctest: +SKIP
    >>> ss.save_figure(fig, "path_diagram")  # doctest: +SKIP
    """
    check_arguments(plot_path, locals())
    lang = check_lang(lang)
    if what not in ("std", "est"):
        raise OptionError(f"what={what!r} is not accepted; use 'std' or 'est'")
    if not isinstance(measurement, bool):
        raise OptionError(f"measurement={measurement!r} is not accepted; use True or False")
    est = _estimates(fit, group)
    col = "std_all" if what == "std" else "est"
    reg = est[est["op"] == "~"]
    load = est[est["op"] == "=~"]
    latents = set(load["lhs"])
    structural: list[str] = []
    for r in rows(reg):
        for v in (r.rhs, r.lhs):
            if v not in structural:
                structural.append(v)
    if not structural:
        indicators = set(load["rhs"])
        structural = [v for v in dict.fromkeys(load["lhs"]) if v not in indicators]
    if not structural:
        raise OptionError("fit has no regression and no latent variable to draw")
    edges = [(r.rhs, r.lhs) for r in rows(reg)]
    stage, feedback, titles = stages(structural, edges, instrument)
    n_stage = max(stage.values()) + 1
    by_stage = [[n for n in structural if stage[n] == s] for s in range(n_stage)]
    try:
        r2 = fit.r2()
    except Exception:  # R² is a decoration: a model without it still gets its diagram
        r2 = None
    endogenous = set(reg["lhs"])
    children: dict[str, list[str]] = {}
    loading: dict[tuple[str, str], Any] = {}
    for r in rows(load):
        children.setdefault(r.lhs, []).append(r.rhs)
        loading[(r.lhs, r.rhs)] = r
    with figure_context(lang):
        fig = new_figure(8, 5, lang)
        dia = Diagram()
        if measurement:
            _layout_measurement(dia, by_stage, structural, children, latents, instrument, lang)
        else:
            _layout_simple(dia, by_stage, instrument, lang)
        for n in structural:
            node = dia.nodes[n]
            if n in endogenous and r2 is not None and n in r2.index:
                node.sub = f"R² = {fmt(float(r2[n]), digits)}"
        _structural_edges(dia, reg, col, stage, feedback, measurement, digits)
        if covariances:
            _covariance_edges(dia, est, col, structural, digits)
        if measurement:
            for (lv, ind), r in loading.items():
                if lv in dia.nodes and ind in dia.nodes:
                    item = dia.nodes[ind].shape == "box"
                    p = float(r.pvalue)
                    dia.edge(
                        Edge(
                            lv,
                            ind,
                            label=f"{fmt(float(getattr(r, col)), digits)}{stars(p)}",
                            dashed=p == p and p >= 0.05,
                            fontsize=6.0 if item else 7.0,
                            rotate_label=item,
                            width=0.7,
                            t_choices=(0.62, 0.7, 0.55, 0.78, 0.48)
                            if item
                            else (0.5, 0.6, 0.4, 0.7, 0.3, 0.75, 0.25),
                        )
                    )
        if titles and instrument is not None:
            top_y = dia.extent()[3] + 0.3
            for s, cid in enumerate(titles):
                xs = [dia.nodes[n].x for n in by_stage[s]]
                dia.note(
                    sum(xs) / len(xs),
                    top_y,
                    f"{s + 1}. {label_of(cid, instrument, lang)}",
                    ha="center",
                    va="bottom",
                    fontsize=9,
                    color=MUTED,
                    fontweight="bold",
                    gid=f"stage:{cid}",
                )
        note = _NOTE[lang].format(kind=_KIND[(lang, what)], fb=_FB[lang] if feedback else "")
        dia.draw(fig, bottom_text=note)
    return fig


def _node_label(
    name: str, instrument: Instrument | None, lang: Lang, w: float, h: float, fs: float
) -> tuple[str, float]:
    return fit_label(
        label_of(name, instrument, lang), w - 0.2, h - 0.25, fs, wrap=16 if lang == "en" else 7
    )


def _layout_simple(
    dia: Diagram, by_stage: list[list[str]], instrument: Instrument | None, lang: Lang
) -> None:
    dx, dy, w, h = 2.9, 1.55, 1.9, 0.85
    for s, names in enumerate(by_stage):
        m = len(names)
        for j, n in enumerate(names):
            label, fs = _node_label(n, instrument, lang, w, h - 0.2, 9.5)
            dia.node(Node(n, s * dx, ((m - 1) / 2 - j) * dy, w, h, label, fontsize=fs))


def _layout_measurement(
    dia: Diagram,
    by_stage: list[list[str]],
    structural: list[str],
    children: dict[str, list[str]],
    latents: set[str],
    instrument: Instrument | None,
    lang: Lang,
) -> None:
    pitch, gap = 0.34, 0.45
    y_factor, y_item, item_h = -2.5, -4.2, 1.45
    sw, sh = 1.75, 0.8
    x = 0.0
    struct = set(structural)
    for names in by_stage:
        m = len(names)
        for j, n in enumerate(names):
            factors = [c for c in children.get(n, []) if c in latents and c not in struct]
            direct = [c for c in children.get(n, []) if c not in latents and c not in struct]
            groups = [(f, [c for c in children.get(f, []) if c not in latents]) for f in factors]
            leaves = [i for _, items in groups for i in items] + direct
            width = max(len(leaves) * pitch, sw + 0.15)
            left = x + (width - len(leaves) * pitch) / 2
            pos = {leaf: left + (k + 0.5) * pitch for k, leaf in enumerate(leaves)}
            # left node low, right node high: paths from the left reach both unobstructed
            offset = 0.0 if m == 1 else (-0.65 if j % 2 == 0 else 0.65)
            label, fs = _node_label(n, instrument, lang, sw, sh - 0.2, 9.0)
            dia.node(Node(n, x + width / 2, offset, sw, sh, label, fontsize=fs))
            for f, items in groups:
                if not items:
                    continue
                fx = sum(pos[i] for i in items) / len(items)
                fw = min(len(items) * pitch - 0.06, 1.6)
                flabel, ffs = fit_label(
                    label_of(f, instrument, lang),
                    fw - 0.12,
                    0.48,
                    7.5,
                    wrap=12 if lang == "en" else 5,
                )
                dia.node(Node(f, fx, y_factor, fw, 0.62, flabel, fontsize=ffs, fill="#fbfbfb"))
            for leaf in leaves:
                ilabel, ifs = fit_label(leaf, item_h - 0.1, pitch - 0.1, 6.5, wrap=99)
                dia.node(
                    Node(
                        leaf,
                        pos[leaf],
                        y_item - item_h / 2,
                        pitch - 0.07,
                        item_h,
                        ilabel,
                        shape="box",
                        fontsize=ifs,
                        rotate=True,
                    )
                )
            x += width + gap


def _structural_edges(
    dia: Diagram,
    reg: pd.DataFrame,
    col: str,
    stage: dict[str, int],
    feedback: set[tuple[str, str]],
    measurement: bool,
    digits: int,
) -> None:
    pairs = {(r.rhs, r.lhs) for r in rows(reg)}
    skip_count: dict[str, int] = {}
    for r in rows(reg):
        a, b = r.rhs, r.lhs
        if a == b:
            continue
        p = float(r.pvalue)
        is_fb = (a, b) in feedback
        span = abs(stage[b] - stage[a])
        na, nb = dia.nodes[a], dia.nodes[b]
        rad = 0.0
        if is_fb or (b, a) in pairs:
            rad = 0.22
        elif span > 1 or (
            measurement and span >= 1 and abs(na.y - nb.y) < 0.3 and _blocked(dia, a, b)
        ):
            k = skip_count.get(a, 0)
            skip_count[a] = k + 1
            rad = 0.2 + 0.1 * k
        if rad and (b, a) not in pairs:
            # forward paths bow upwards; feedback paths downwards (upwards in the
            # measurement layout, whose lower half holds the indicators)
            dx, dy = nb.x - na.x, nb.y - na.y
            if abs(dx) > 1e-9:
                up = -rad * dx > 0
            else:
                up = rad * dy > 0
            want_up = not is_fb or measurement
            if up != want_up:
                rad = -rad
        value = float(getattr(r, col))
        dia.edge(
            Edge(
                a,
                b,
                label=f"{fmt(value, digits)}{stars(p)}",
                dashed=p == p and p >= 0.05,
                rad=rad,
                color=FEEDBACK if is_fb else "#222222",
                width=1.5 if is_fb else 1.2,
                fontsize=8.0,
            )
        )


def _blocked(dia: Diagram, a: str, b: str) -> bool:
    """Whether a straight line from ``a`` to ``b`` passes through another node."""
    na, nb = dia.nodes[a], dia.nodes[b]
    for n in dia.nodes.values():
        if n.name in (a, b) or n.shape == "box":
            continue
        for t in (0.2, 0.35, 0.5, 0.65, 0.8):
            px, py = na.x + t * (nb.x - na.x), na.y + t * (nb.y - na.y)
            if abs(px - n.x) < n.w / 2 and abs(py - n.y) < n.h / 2:
                return True
    return False


def _covariance_edges(
    dia: Diagram, est: pd.DataFrame, col: str, structural: list[str], digits: int
) -> None:
    cov = est[(est["op"] == "~~") & (est["lhs"] != est["rhs"])]
    struct = set(structural)
    for r in rows(cov):
        if r.lhs in struct and r.rhs in struct:
            na, nb = dia.nodes[r.lhs], dia.nodes[r.rhs]
            rad = 0.35
            ctrl_x = (na.x + nb.x) / 2 + rad * (nb.y - na.y)
            centre = sum(n.x for n in dia.nodes.values()) / len(dia.nodes)
            if (ctrl_x - centre) < ((na.x + nb.x) / 2 - centre):
                rad = -rad
            p = float(r.pvalue)
            dia.edge(
                Edge(
                    r.lhs,
                    r.rhs,
                    label=f"{fmt(float(getattr(r, col)), digits)}{stars(p)}",
                    dashed=p == p and p >= 0.05,
                    rad=rad,
                    color=COVARIANCE,
                    arrows=2,
                    width=0.9,
                    fontsize=7.5,
                )
            )
