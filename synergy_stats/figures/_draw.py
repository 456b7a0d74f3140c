"""Drawing primitives of the diagrams: nodes, curved edges, labels placed without overlap.

Diagrams are drawn on one axes covering the whole figure whose data unit is one inch, so
text sizes in points and node sizes in inches agree (72 points = 1 unit).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

__all__ = ["Diagram", "Edge", "Node"]

Shape = Literal["ellipse", "box"]

INK = "#222222"
MUTED = "#777777"
FEEDBACK = "#b2182b"
COVARIANCE = "#4d4d4d"


@dataclass
class Node:
    """A node: centre, half sizes, label lines and shape."""

    name: str
    x: float
    y: float
    w: float
    h: float
    label: str
    shape: Shape = "ellipse"
    sub: str = ""
    fontsize: float = 9.0
    rotate: bool = False
    fill: str = "#f4f6fa"
    text: Any = None

    def boundary(self, tx: float, ty: float) -> tuple[float, float]:
        """Point of the outline in the direction of (tx, ty)."""
        dx, dy = tx - self.x, ty - self.y
        if dx == 0 and dy == 0:
            return self.x, self.y
        a, b = self.w / 2, self.h / 2
        if self.shape == "ellipse":
            t = 1.0 / math.sqrt((dx / a) ** 2 + (dy / b) ** 2)
        else:
            t = 1.0 / max(abs(dx) / a, abs(dy) / b)
        return self.x + t * dx, self.y + t * dy


@dataclass
class Edge:
    """A directed edge (``arrows=1``) or a covariance (``arrows=2``)."""

    src: str
    dst: str
    label: str = ""
    dashed: bool = False
    rad: float = 0.0
    color: str = INK
    arrows: int = 1
    width: float = 1.0
    fontsize: float = 7.5
    rotate_label: bool = False
    t_choices: Sequence[float] = (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8)
    points: tuple[tuple[float, float], ...] = field(default=())


def _wrap(text: str, width: int) -> str:
    if len(text) <= width or " " not in text:
        return text
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False))


class Diagram:
    """Collect nodes and edges, then draw them on a figure sized to fit."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.notes: list[tuple[float, float, str, dict[str, Any]]] = []
        self.lines: list[tuple[list[float], list[float], dict[str, Any]]] = []

    def node(self, node: Node) -> Node:
        self.nodes[node.name] = node
        return node

    def edge(self, edge: Edge) -> Edge:
        self.edges.append(edge)
        return edge

    def line(self, xs: list[float], ys: list[float], **kw: Any) -> None:
        self.lines.append((xs, ys, kw))

    def note(self, x: float, y: float, text: str, **kw: Any) -> None:
        self.notes.append((x, y, text, kw))

    # ---------------------------------------------------------------- geometry
    def _control(
        self, e: Edge
    ) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
        a, b = self.nodes[e.src], self.nodes[e.dst]
        dx, dy = b.x - a.x, b.y - a.y
        cx, cy = (a.x + b.x) / 2 + e.rad * dy, (a.y + b.y) / 2 - e.rad * dx
        p0 = a.boundary(cx, cy) if e.rad else a.boundary(b.x, b.y)
        p2 = b.boundary(cx, cy) if e.rad else b.boundary(a.x, a.y)
        if not e.rad:
            cx, cy = (p0[0] + p2[0]) / 2, (p0[1] + p2[1]) / 2
        return p0, (cx, cy), p2

    @staticmethod
    def _at(
        p0: tuple[float, float], c: tuple[float, float], p2: tuple[float, float], t: float
    ) -> tuple[float, float]:
        u = 1 - t
        return (
            u * u * p0[0] + 2 * u * t * c[0] + t * t * p2[0],
            u * u * p0[1] + 2 * u * t * c[1] + t * t * p2[1],
        )

    def extent(self) -> tuple[float, float, float, float]:
        xs: list[float] = []
        ys: list[float] = []
        for n in self.nodes.values():
            xs += [n.x - n.w / 2, n.x + n.w / 2]
            ys += [n.y - n.h / 2, n.y + n.h / 2]
        for e in self.edges:
            p0, c, p2 = self._control(e)
            mid = self._at(p0, c, p2, 0.5)
            xs.append(mid[0])
            ys.append(mid[1])
        for x, y, _, _ in self.notes:
            xs.append(x)
            ys.append(y)
        for lx, ly, _ in self.lines:
            xs += lx
            ys += ly
        return min(xs), max(xs), min(ys), max(ys)

    # ---------------------------------------------------------------- drawing
    def draw(self, fig: Figure, *, margin: float = 0.35, bottom_text: str = "") -> Axes:
        """Size ``fig`` to the diagram, draw everything and place edge labels."""
        from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch
        from matplotlib.path import Path as MPath

        x0, x1, y0, y1 = self.extent()
        extra = 0.45 if bottom_text else 0.0
        width = x1 - x0 + 2 * margin
        height = y1 - y0 + 2 * margin + extra
        fig.set_size_inches(width, height)
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(x0 - margin, x1 + margin)
        ax.set_ylim(y0 - margin - extra, y1 + margin)
        ax.set_aspect("equal")
        ax.set_axis_off()
        if bottom_text:
            ax.text(
                x0,
                y0 - margin - extra / 2,
                bottom_text,
                fontsize=7,
                color=MUTED,
                va="center",
                ha="left",
                gid="note",
            )
        for x, y, text, kw in self.notes:
            ax.text(x, y, text, **kw)
        for lx, ly, kw in self.lines:
            ax.plot(lx, ly, **kw)
        for n in self.nodes.values():
            if n.shape == "ellipse":
                patch: Any = Ellipse((n.x, n.y), n.w, n.h, fc=n.fill, ec=INK, lw=1.0, zorder=3)
            else:
                patch = FancyBboxPatch(
                    (n.x - n.w / 2, n.y - n.h / 2),
                    n.w,
                    n.h,
                    boxstyle="square,pad=0",
                    fc="white",
                    ec=INK,
                    lw=0.8,
                    zorder=3,
                )
            ax.add_patch(patch)
            text = n.label + (f"\n{n.sub}" if n.sub else "")
            n.text = ax.text(
                n.x,
                n.y,
                text,
                ha="center",
                va="center",
                fontsize=n.fontsize,
                rotation=90 if n.rotate else 0,
                zorder=5,
                gid=f"node:{n.name}",
                linespacing=1.15,
            )
        placed: list[tuple[Edge, Text, list[tuple[float, float]]]] = []
        for e in self.edges:
            p0, c, p2 = self._control(e)
            verts = [p0, c, p2]
            path = MPath(verts, [MPath.MOVETO, MPath.CURVE3, MPath.CURVE3])
            style = "<|-|>" if e.arrows == 2 else "-|>"
            arrow = FancyArrowPatch(
                path=path,
                arrowstyle=f"{style},head_length=5,head_width=2.6",
                color=e.color,
                lw=e.width,
                linestyle=(0, (4, 2.5)) if e.dashed else "-",
                zorder=2,
                shrinkA=0,
                shrinkB=0,
            )
            ax.add_patch(arrow)
            if e.label:
                candidates = [self._at(p0, c, p2, t) for t in e.t_choices]
                text_artist = ax.text(
                    *candidates[0],
                    e.label,
                    ha="center",
                    va="center",
                    fontsize=e.fontsize,
                    color=e.color,
                    rotation=90 if e.rotate_label else 0,
                    zorder=4,
                    gid=f"edge:{e.src}->{e.dst}",
                    bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.9},
                )
                placed.append((e, text_artist, candidates))
        self._place_labels(fig, placed)
        return ax

    def _place_labels(
        self, fig: Figure, placed: list[tuple[Edge, Text, list[tuple[float, float]]]]
    ) -> None:
        """Move every edge label along its edge to the first spot overlapping nothing."""
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        fixed = [n.text.get_window_extent(renderer) for n in self.nodes.values() if n.text]
        done: list[Any] = []
        for _, artist, candidates in placed:
            best = None
            best_score = math.inf
            for pos in candidates:
                artist.set_position(pos)
                box = artist.get_window_extent(renderer).expanded(1.04, 1.08)
                score = sum(_overlap(box, other) for other in (*fixed, *done))
                if score < best_score:
                    best, best_score = pos, score
                if score == 0:
                    break
            if best is not None:
                artist.set_position(best)
            done.append(artist.get_window_extent(renderer))


def _overlap(a: Any, b: Any) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def fit_label(
    text: str, width: float, height: float, fontsize: float, *, wrap: int = 16
) -> tuple[str, float]:
    """Wrap ``text`` and pick a font size so it fits ``width`` x ``height`` inches.

    Uses an estimate of glyph widths (0.6 em for Latin, 1 em for CJK characters).
    """
    wrapped = _wrap(text, wrap)
    lines = wrapped.split("\n")

    def size_in(fs: float) -> tuple[float, float]:
        em = fs / 72
        w = max(sum(1.0 if ord(ch) > 0x2E80 else 0.58 for ch in line) for line in lines) * em
        h = len(lines) * em * 1.25
        return w, h

    fs = fontsize
    while fs > 5:
        w, h = size_in(fs)
        if w <= width and h <= height:
            break
        fs -= 0.5
    return wrapped, fs
