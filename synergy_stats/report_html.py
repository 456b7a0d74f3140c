"""``report.html``: the main job's report as one self-contained web page.

The page holds its CSS and its figures (SVG as ``data:`` images, so that element ids of
different figures cannot clash); it loads nothing from the network. It has a table of
contents, every section of ``report.md`` (their Markdown turned into HTML, their tables
rendered by the paper tables' HTML renderer), the figures in the sections they belong to,
links to the section's files, and the reproducibility manifest at the end.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from synergy_stats.report import FigureRef, ReportContext, Section

__all__ = ["markdown_to_html", "render_html"]

_CSS = """
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",
"Helvetica Neue",Arial,sans-serif;margin:0;color:#1d1d1f;background:#fff;line-height:1.5}
main{max-width:1120px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:1.7rem;margin:.2em 0 .6em}h2{font-size:1.3rem;margin-top:2.2em;
border-bottom:1px solid #ddd;padding-bottom:.2em}h3{font-size:1.05rem}
nav.toc{background:#f6f7f9;border:1px solid #e3e5e8;padding:8px 20px;margin:16px 0}
nav.toc ol{margin:.3em 0;padding-left:1.4em}
.table-wrap{overflow-x:auto;max-width:100%;margin:.6em 0}
table{border-collapse:collapse;font-size:.86rem}
table.facts td{padding:2px 10px;border-bottom:1px solid #eee;vertical-align:top}
td,th{vertical-align:top}
figure{margin:1.2em 0;padding:0;max-width:100%}
figure img{max-width:100%;height:auto;display:block;border:1px solid #eee}
figcaption{font-size:.85rem;color:#555;margin-top:.3em}
pre{background:#f6f7f9;padding:10px;overflow-x:auto;font-size:.8rem;white-space:pre-wrap;
word-break:break-all}
code{font-size:.85em;background:#f3f3f3;padding:0 3px;word-break:break-all}
.files{font-size:.85rem;color:#444}.files a{margin-right:.8em;word-break:break-all}
p{overflow-wrap:anywhere}
.lang-note{font-size:.8rem;color:#777}
"""

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "toc": "Contents",
        "files": "Files",
        "figure": "Figure",
        "manifest": "Reproducibility manifest",
        "manifest_note": "The same command on the same input reproduces every number "
        "(seeds, versions and input checksums below); manifest.json holds this record.",
        "formats": "also as",
    },
    "zh": {
        "toc": "目录",
        "files": "文件",
        "figure": "图",
        "manifest": "可重复性清单",
        "manifest_note": "在相同输入上运行相同命令可复现全部数值"
        "（随机种子、软件版本和输入文件校验值见下）；manifest.json 保存了这份记录。",
        "formats": "其他格式",
    },
}

#: Chinese headings of the main job's sections (unknown titles are kept as they are)
TITLES_ZH = {
    "Survey report": "调查报告",
    "Validation": "数据校验",
    "Construct scores": "构念得分",
    "Descriptives": "描述统计",
    "Measurement quality": "测量质量",
    "Structural model (synergy execution model)": "结构模型（协同执行模型）",
    "Indirect effects (bootstrap)": "间接效应（自助法）",
    "Feedback across waves (longitudinal invariance, RI-CLPM)": (
        "跨期反馈（纵向测量等同性、RI-CLPM）"
    ),
    "Paper tables": "论文表格",
    "Figures": "图",
    "Methods": "研究方法",
    "Reproducibility manifest": "可重复性清单",
}


def _inline(text: str) -> str:
    """Markdown inline markup (code, bold, links) of already escaped text."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", lambda m: f"<code>{m.group(1)}</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(
        r"!\[([^\]]*)\]\(([^)\s]+)\)", lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', out
    )
    out = re.sub(
        r"\[([^\]]+)\]\(([^)\s]+)\)", lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', out
    )
    return out


_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _cells(line: str) -> list[str]:
    body = line.strip()
    body = body.removeprefix("|").removesuffix("|")
    parts = re.split(r"(?<!\\)\|", body)
    return [_UNESCAPE.sub(r"\1", p.strip()) for p in parts]


def _pipe_table(lines: Sequence[str]) -> str:
    """A Markdown pipe table through the paper tables' HTML renderer."""
    from synergy_stats.tables.model import Cell, Panel, Row, Table, header_row

    header = _cells(lines[0])
    body = [_cells(line) for line in lines[2:]]
    width = len(header)
    body = [(r + [""] * width)[:width] for r in body]
    if width == 1:
        header, body = ["", header[0]], [["", r[0]] for r in body]
    numeric = re.compile(r"^[-−+]?[\d.,]+%?$|^\[.*\]$|^< ?\.\d+$")
    rows = tuple(
        Row(r[0], tuple(Cell(c, align="r" if numeric.match(c) else "l") for c in r[1:]))
        for r in body
    )
    table = Table(header=(header_row(header[1:]),), panels=(Panel(None, rows),), stub=header[0])
    return f'<div class="table-wrap">{table.to_html()}</div>'


def markdown_to_html(text: str) -> str:
    """Turn the Markdown of a report section into HTML.

    Handles what the report steps write: paragraphs, ``#`` headings, ``-`` lists, fenced
    code, pipe tables (rendered by :mod:`synergy_stats.tables.html`), inline code, bold and
    links.
    """
    lines = text.splitlines()
    out: list[str] = []
    para: list[str] = []
    i = 0

    def flush() -> None:
        if para:
            out.append("<p>" + _inline(" ".join(para)) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith("```"):
                j += 1
            out.append("<pre>" + html.escape("\n".join(lines[i + 1 : j])) + "</pre>")
            i = j + 1
            continue
        if (
            stripped.startswith("|")
            and i + 1 < len(lines)
            and re.match(r"^\s*\|?\s*:?-{3,}", lines[i + 1])
        ):
            flush()
            j = i + 2
            while j < len(lines) and lines[j].strip().startswith("|"):
                j += 1
            out.append(_pipe_table(lines[i:j]))
            i = j
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if heading:
            flush()
            level = min(len(heading.group(1)) + 2, 6)
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            i += 1
            continue
        if re.match(r"^[-*]\s+", stripped):
            flush()
            items = []
            while i < len(lines) and re.match(r"^[-*]\s+", lines[i].strip()):
                items.append("<li>" + _inline(re.sub(r"^[-*]\s+", "", lines[i].strip())) + "</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
            continue
        if not stripped:
            flush()
        else:
            para.append(stripped)
        i += 1
    flush()
    return "\n".join(out)


def _figure_html(fig: FigureRef, out_dir: Path, number: int, lang: str) -> str:
    svg = out_dir / f"{fig.stem}.svg"
    data = base64.b64encode(svg.read_bytes()).decode("ascii")
    others = " ".join(
        f'<a href="{html.escape(f)}">{html.escape(Path(f).suffix.lstrip(".").upper())}</a>'
        for f in fig.files
    )
    word = _WORDS[lang]
    label = f"{word['figure']} {number}"
    return (
        f'<figure id="fig-{html.escape(fig.stem)}"><img src="data:image/svg+xml;base64,{data}" '
        f'alt="{html.escape(fig.caption)}">'
        f"<figcaption><strong>{label}.</strong> {html.escape(fig.caption)} "
        f'<span class="files">({word["formats"]}: {others})</span></figcaption></figure>'
    )


def render_html(
    ctx: ReportContext,
    sections: Sequence[tuple[str, Section]],
    title: str,
    facts: Sequence[tuple[str, Any]],
    *,
    manifest: Mapping[str, Any] | None = None,
    lang: str = "en",
) -> str:
    """The whole page.

    Parameters
    ----------
    ctx : ReportContext
        The run (its figures and output folder).
    sections : sequence of (step name, Section)
        The sections in order, with the step that wrote each.
    title : str
        Page heading.
    facts : sequence of (name, value)
        The facts table under the heading.
    manifest : mapping, optional
        The reproducibility manifest, shown at the end.
    lang : {"en", "zh"}
        Language of the headings.
    """
    word = _WORDS[lang]

    def heading(text: str) -> str:
        return TITLES_ZH.get(text, text) if lang == "zh" else text

    placed: dict[str, list[FigureRef]] = {}
    for fig in ctx.figures:
        placed.setdefault(fig.anchor or "", []).append(fig)
    steps = {name for name, _ in sections}
    toc = []
    body = []
    number = 0
    for k, (name, section) in enumerate(sections, start=1):
        anchor = f"s{k}"
        text = heading(section.title)
        toc.append(f'<li><a href="#{anchor}">{html.escape(text)}</a></li>')
        parts = [f'<section id="{anchor}"><h2>{k}. {html.escape(text)}</h2>']
        parts.append(markdown_to_html(section.body))
        if name == "tables_step":  # the paper tables themselves, by their HTML renderer
            for table in dict(ctx.results.get("tables") or {}).values():
                parts.append(f'<div class="table-wrap paper-table">{table.to_html()}</div>')
        figures = list(placed.get(name, []))
        figures += [f for f in section.figures if f not in figures]
        if name == "figures_step":  # figures whose section did not run
            figures = [f for f in ctx.figures if (f.anchor or "") not in steps or f.anchor == name]
        for fig in figures:
            number += 1
            parts.append(_figure_html(fig, ctx.out_dir, number, lang))
        if section.files:
            links = " ".join(
                f'<a href="{html.escape(f)}">{html.escape(f)}</a>' for f in section.files
            )
            parts.append(f'<p class="files">{word["files"]}: {links}</p>')
        parts.append("</section>")
        body.append("\n".join(parts))
    if manifest is not None:
        k = len(sections) + 1
        toc.append(f'<li><a href="#manifest">{html.escape(word["manifest"])}</a></li>')
        body.append(
            f'<section id="manifest"><h2>{k}. {html.escape(word["manifest"])}</h2>'
            f"<p>{html.escape(word['manifest_note'])}</p>"
            f"<pre>{html.escape(json.dumps(manifest, indent=2, ensure_ascii=False))}</pre>"
            "</section>"
        )
    fact_rows = "".join(
        f"<tr><td>{html.escape(str(a))}</td><td>{html.escape(str(b))}</td></tr>" for a, b in facts
    )
    page_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{page_lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(heading(title))}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n<main>\n<h1>{html.escape(heading(title))}</h1>\n"
        f'<div class="table-wrap"><table class="facts">{fact_rows}</table></div>\n'
        f'<nav class="toc"><strong>{html.escape(word["toc"])}</strong><ol>{"".join(toc)}</ol>'
        "</nav>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )
