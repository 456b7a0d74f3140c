"""Every paper table of the main job, rendered the way an author sees it.

The main job's results are frozen in tests/data/tables/main_job/ (the CSV files that
``synergy-stats report --example`` writes); the tables are built from them with the main
job's own :func:`synergy_stats.report_analysis.paper_tables`, in the ``apa`` and ``cn``
styles, plus a fixture with a 14 x 14 correlation matrix and a 60-item measurement table (in both
styles, so under both engines).
Each format is rendered once per module:

- LaTeX under pdflatex (apa) and xelatex (cn) on A4 with 2.5 cm margins: no Overfull \\hbox
  over 1 pt, and pdftotext finds every cell, the last row and the notes;
- Word converted to PDF by LibreOffice: every number whole on one line, every header word
  unbroken, one page per table except the long ones;
- HTML in headless Chromium at 800 px: no horizontal overflow.

A tool that is absent skips its tests with the reason (.ci/run installs them).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.report import ReportContext
from synergy_stats.report_analysis import paper_tables
from synergy_stats.tables import Table, correlation_table, measurement_table
from synergy_stats.tables.layout import is_numeric, with_minus, words

MAIN = Path(__file__).parent / "data" / "tables" / "main_job"


class Frozen:
    """The public face of a fitted SEM, read back from the main job's CSV files."""

    def __init__(self, est: pd.DataFrame, fm: pd.Series) -> None:
        self._est, self._fm = est, fm
        self.options = SimpleNamespace(estimator="ML", missing="fiml")
        self.nobs = int(fm["n"])

    def estimates(self) -> pd.DataFrame:
        return self._est

    def fit_measures(self) -> pd.Series:
        return self._fm


def _csv(name: str, **kw: Any) -> pd.DataFrame:
    return pd.read_csv(MAIN / name, encoding="utf-8-sig", **kw)


def _fixture_tables(style: str = "apa") -> list[tuple[str, Table]]:
    zh = style == "cn"
    rng = np.random.default_rng(7)
    names = [
        f"调查的第{k + 1}个构念" if zh else f"Construct {chr(65 + k)} of the survey"
        for k in range(14)
    ]
    a = rng.normal(size=(200, 14)) + rng.normal(size=(200, 1))
    scores = pd.DataFrame(a, columns=[f"c{k}" for k in range(14)])
    big = correlation_table(
        scores,
        reliability={f"c{k}": 0.8 + k / 100 for k in range(14)},
        labels={f"c{k}": n for k, n in enumerate(names)},
        number=20,
        style=style,
        caption="14 × 14 相关矩阵" if zh else "A 14 x 14 correlation matrix",
    )
    rows = []
    for c in range(12):
        rows.append((f"f{c}", "=~", f"f{c}_i1", 1.0, np.nan, np.nan, np.nan, 0.71))
        for i in range(2, 6):
            rows.append((f"f{c}", "=~", f"f{c}_i{i}", 0.9 + i / 50, 0.061, 14.7, 1e-9, 0.69))
    est = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", "se", "z", "pvalue", "std_all"])
    long = measurement_table(
        est,
        pd.DataFrame(
            {"alpha": 0.81, "omega": 0.82, "ave": 0.5}, index=[f"f{c}" for c in range(12)]
        ),
        number=21,
        style=style,
        caption="60 个题项的测量模型" if zh else "A 60-item measurement model",
    )
    return [("fixture_matrix14", big), ("fixture_measurement60", long)]


@pytest.fixture(scope="module")
def tables() -> dict[str, list[tuple[str, Table]]]:
    survey = ss.read_survey(
        ss.load_example(), "synergy-execution", id="respondent_id", wave="wave", group="department"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = ss.score(survey.instrument, survey)
    fm = _csv("sem_fit_measures.csv", index_col=0)["value"]
    effects = _csv("indirect_effects.csv")
    effects.attrs.update(draws=1000, method="percentile", failed=0)
    results = {
        "sem": Frozen(_csv("sem_estimates.csv"), fm),
        "scores": scores,
        "reliability": _csv("reliability.csv", index_col=0),
        "fornell_larcker": _csv("fornell_larcker.csv", index_col=0),
        "htmt": _csv("htmt.csv", index_col=0),
        "indirect_effects": effects,
        "invariance": _csv("invariance.csv", index_col=0),
        "riclpm": _csv("riclpm_estimates.csv"),
    }
    ctx = ReportContext(survey=survey, out_dir=Path("."), results=results)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        apa = paper_tables(ctx) + _fixture_tables()
        cn = paper_tables(ctx, style="cn") + _fixture_tables("cn")
    return {"apa": apa, "cn": cn}


def test_every_main_job_table_is_built(tables):
    stems = [s for s, _ in tables["apa"]]
    for stem in (
        "table_correlations",
        "table_items",
        "table_measurement",
        "table_fornell_larcker",
        "table_htmt",
        "table_fit",
        "table_paths",
        "table_indirect",
        "table_invariance",
        "table_lags",
    ):
        assert stem in stems
    numbers = [t.number for _, t in tables["apa"][:10]]
    assert numbers == list(range(1, 11))


def _cells(table: Table) -> list[str]:
    """Every visible text of a table: header, stub, cells (with stars), notes."""
    out = [table.stub] if table.stub else []
    out += [c.text for hrow in table.header for c in hrow if c.text]
    for line in table.lines():
        if line.label:
            out.append(line.label)
        out += [c.text for c in line.cells if c.text]
    out += list(table.notes.general) + [t for _, t in table.notes.specific]
    if table.notes.probability:
        out.append(table.notes.probability)
    return out


def _squash(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\ufb01", "fi").replace("\ufb02", "fl")
    text = text.replace("\u00b2", "2")  # superscript two is a raised 2 in the PDF
    text = text.replace("\u2206", "\u0394")  # math Delta comes out as INCREMENT
    return re.sub(r"[\s\-\u2010\u00ad]+", "", text)


def _need(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (.ci/run installs it from Debian)")


# ------------------------------------------------------------------------------- LaTeX


def _latex_document(items: list[tuple[str, Table]]) -> str:
    from synergy_stats.tables.latex import preamble

    body = "\n\\clearpage\n".join(t.to_latex() for _, t in items)
    return preamble(items[0][1]) + "\\begin{document}\n" + body + "\\end{document}\n"


@pytest.fixture(scope="module")
def latex_runs(tables, tmp_path_factory):
    _need("pdflatex", "xelatex", "pdftotext")
    out = {}
    for style, engine in (("apa", "pdflatex"), ("cn", "xelatex")):
        d = tmp_path_factory.mktemp(f"tex_{style}")
        (d / "all.tex").write_text(_latex_document(tables[style]), encoding="utf-8")
        for _ in range(2):  # xltabular settles its column widths on the second run
            proc = subprocess.run(
                [engine, "-interaction=nonstopmode", "-halt-on-error", "all.tex"],
                cwd=d,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=600,
            )
            assert proc.returncode == 0, proc.stdout[-3000:]
        log = (d / "all.log").read_text(errors="replace")
        text = subprocess.run(
            ["pdftotext", "all.pdf", "-"], cwd=d, capture_output=True, text=True, check=True
        ).stdout
        out[style] = (log, text)
    return out


@pytest.mark.latex
@pytest.mark.parametrize("style", ["apa", "cn"])
def test_latex_fits_a4_without_overfull_boxes(latex_runs, style):
    log, _ = latex_runs[style]
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", log)]
    assert all(x <= 1.0 for x in overfull), overfull
    assert "a4paper" in log or True  # the page is set by the preamble (checked below)


@pytest.mark.latex
@pytest.mark.parametrize("style", ["apa", "cn"])
def test_latex_shows_every_cell_last_row_and_notes(latex_runs, tables, style):
    _, text = latex_runs[style]
    flat = _squash(text)
    for stem, table in tables[style]:
        labels = {line.label for line in table.lines()} | {table.stub}
        for piece in _cells(table):
            if piece in labels:
                # a stub label may wrap: its lines then sit between the cells of its row
                for word in words(with_minus(piece, table.style)):
                    assert _squash(word) in flat, f"{stem}: {word!r} of {piece!r} not in the PDF"
                continue
            want = _squash(with_minus(piece, table.style))
            assert want in flat, f"{stem}: {piece!r} not in the PDF"
        last = list(table.lines())[-1]
        assert _squash(last.label.split()[-1]) in flat, f"{stem}: last row missing"
        for c in last.cells:
            assert _squash(with_minus(c.text, table.style)) in flat, f"{stem}: last row cell"


def test_latex_preamble_is_a4_with_margins(tables):
    from synergy_stats.tables.latex import preamble

    assert "\\usepackage[a4paper,margin=2.5cm]{geometry}" in preamble(tables["apa"][0][1])


# -------------------------------------------------------------------------------- Word


def _need_times_metrics() -> None:
    """The Word files name Times New Roman; LibreOffice must set it with Times metrics."""
    if shutil.which("fc-match") is None:
        return
    font = subprocess.run(
        ["fc-match", "Times New Roman"], capture_output=True, text=True
    ).stdout.lower()
    if not any(name in font for name in ("times", "liberation serif", "tinos")):
        pytest.skip(
            f"Times New Roman resolves to {font.strip()!r}, a font of other widths "
            "(.ci/run installs fonts-liberation2)"
        )


@pytest.fixture(scope="module")
def word_pdfs(tables, tmp_path_factory):
    _need("soffice", "pdftotext", "pdfinfo")
    _need_times_metrics()
    d = tmp_path_factory.mktemp("docx")
    paths = []
    for style in ("apa", "cn"):
        for stem, table in tables[style]:
            paths.append(table.to_docx(d / f"{style}_{stem}.docx"))
    profile = tmp_path_factory.mktemp("lo_profile")
    proc = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(d),
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = {}
    for p in paths:
        pdf = p.with_suffix(".pdf")
        assert pdf.exists(), f"LibreOffice did not convert {p.name}"
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        out[p.stem] = (text, pages)
    return out


@pytest.mark.parametrize("style", ["apa", "cn"])
def test_word_numbers_whole_and_header_words_unbroken(word_pdfs, tables, style):
    for stem, table in tables[style]:
        text, _pages = word_pdfs[f"{style}_{stem}"]
        tokens = set(text.split())
        for line in table.lines():
            for c in line.cells:
                if is_numeric(c.text):
                    number = with_minus(c.text, table.style).replace("< ", "")
                    hit = any(number in tok for tok in tokens)
                    assert hit, f"{stem}: number {c.text!r} broken or missing"
        for hrow in table.header:
            for h in hrow:
                for word in h.text.split():
                    if re.fullmatch(r"[\w.²/%()\[\]]+", word) and not re.search(
                        "[\u4e00-\u9fff]", word
                    ):
                        assert any(word in tok for tok in tokens), f"{stem}: {word!r} broken"


@pytest.mark.parametrize("style", ["apa", "cn"])
def test_word_page_counts(word_pdfs, tables, style):
    for stem, table in tables[style]:
        _text, pages = word_pdfs[f"{style}_{stem}"]
        n_lines = len(list(table.lines()))
        # a table of up to ~35 lines fits one page; longer ones break, with the header
        # repeated, over as many pages as their rows need (about 45 lines a page)
        limit = 1 if n_lines <= 35 else 1 + -(-(n_lines + 10) // 40)
        assert pages <= limit, f"{stem}: {pages} pages for {n_lines} lines"


# -------------------------------------------------------------------------------- HTML


@pytest.fixture(scope="module")
def html_widths(tables, tmp_path_factory):
    _need("chromium")
    d = tmp_path_factory.mktemp("html")
    parts = []
    for style in ("apa", "cn"):
        for stem, table in tables[style]:
            parts.append(f'<section id="{style}-{stem}">{table.to_html()}</section>')
    script = (
        "<script>window.addEventListener('load',function(){var r=[];"
        "document.querySelectorAll('section').forEach(function(s){"
        "var b=s.querySelector('.synergy-table-box');var t=s.querySelector('table');"
        "r.push(s.id+':'+t.offsetWidth+':'+b.clientWidth);});"
        "r.push('page:'+document.documentElement.scrollWidth);"
        "var p=document.createElement('pre');p.id='widths';p.textContent=r.join(';');"
        "document.body.appendChild(p);});</script>"
    )
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head>'
        '<body style="margin:8px;font-family:serif;">' + "".join(parts) + script + "</body></html>"
    )
    path = d / "all.html"
    path.write_text(page, encoding="utf-8")
    profile = tmp_path_factory.mktemp("chromium_profile")
    proc = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--window-size=800,1000",
            "--virtual-time-budget=5000",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    m = re.search(r'<pre id="widths">([^<]*)</pre>', proc.stdout)
    assert m, proc.stderr[-2000:]
    return dict(item.split(":", 1) for item in m.group(1).split(";"))


def test_html_has_no_horizontal_overflow_at_800px(html_widths):
    assert int(html_widths.pop("page")) <= 800
    for key, value in html_widths.items():
        table_w, box_w = (int(x) for x in value.split(":"))
        assert table_w <= box_w, f"{key}: table {table_w}px in a {box_w}px box"


# ------------------------------------------------------------------------- cn wording

# acronyms and names a Chinese journal prints as they are
_LATIN_OK = {
    "AVE", "CFI", "TLI", "RMSEA", "SRMR", "HTMT", "FIML", "ML", "MLR", "CR", "RI", "CLPM",
    "Cronbach", "Fornell", "Larcker", "type", "N", "p", "z", "b", "df", "M", "SD",
}  # fmt: skip


def test_cn_tables_have_no_english_words(tables):
    # was: English captions ("Structural paths and hypothesis tests"), the model name
    # "Synergy execution model" in the fit table and "baseline" in the invariance table
    for stem, table in tables["cn"]:
        assert re.search("[\u4e00-\u9fff]", table.caption or ""), f"{stem}: {table.caption!r}"
        for piece in [table.caption or "", *_cells(table)]:
            for word in re.findall(r"[A-Za-z]{2,}", piece.replace("'s", "")):
                assert word in _LATIN_OK, f"{stem}: English {word!r} in {piece!r}"


def test_latex_panel_titles_span_the_row_and_stub_labels_hang(tables):
    # was: a panel title set in the stub column, where "Office and joint-meeting
    # integration" wrapped; a wrapped stub label's second line started flush left
    tex = dict(tables["apa"])["table_measurement"].to_latex()
    assert "{@{}l@{}}{\\textit{Office and joint-meeting integration}}" in tex
    assert "\\hangindent=1em\\hangafter=1}X" in tex


def test_html_stub_keeps_its_width_and_one_word_headers_do_not_break(tables):
    # was: at 800 px the cn correlation table squeezed its stub to one or two characters a
    # line ("环/境压/力") and broke the header 标准差 inside the word
    html = dict(tables["cn"])["table_correlations"].to_html()
    width = float(re.search(r"<th style=\"[^\"]*min-width:([\d.]+)em;", html).group(1))
    assert width >= 6.0
    head = re.search(r"<th[^>]*>标准差</th>", html).group(0)
    assert "white-space:nowrap" in head
