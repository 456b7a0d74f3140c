"""Render the main job's paper tables to PNG screenshots in docs/tables/ (issue 10).

The tables are built by :func:`synergy_stats.report_analysis.paper_tables` from the main
job's frozen results in ``tests/data/tables/main_job/`` (the CSV files that
``synergy-stats report --example`` writes) and the bundled example survey, the same input
as ``tests/test_tables_render.py``. Each table is rendered the way an author sees it:

- LaTeX: a standalone A4 document with 2.5 cm margins, pdflatex for ``apa``, xelatex for
  ``cn``;
- Word: the ``.docx`` converted to PDF by LibreOffice (headless);
- HTML: the page in headless Chromium, 800 px wide.

The first page of a PDF goes to PNG through ``pdftoppm -r 110``; every picture is cropped to
the table with a small white border. Run from the repository root::

    python docs/tables/make_screenshots.py

Needs pdflatex, xelatex, soffice, pdftoppm and chromium on PATH.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
from PIL import Image, ImageChops

import synergy_stats as ss
from synergy_stats.report import ReportContext
from synergy_stats.report_analysis import paper_tables
from synergy_stats.tables import Table
from synergy_stats.tables.latex import engine_for, preamble
from synergy_stats.tables.latex import plan as latex_plan

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "tests" / "data" / "tables" / "main_job"
OUT = Path(__file__).resolve().parent

# (style, file stem, renderer): the screenshots written
SHOTS: list[tuple[str, str, str]] = [
    ("apa", "table_correlations", "latex"),
    ("apa", "table_measurement", "latex"),
    ("apa", "table_fornell_larcker", "latex"),
    ("apa", "table_fit", "latex"),
    ("apa", "table_paths", "latex"),
    ("cn", "table_paths", "latex"),
    ("cn", "table_correlations", "latex"),
    ("apa", "table_paths", "docx"),
    ("cn", "table_fit", "docx"),
    ("apa", "table_paths", "html"),
    ("cn", "table_correlations", "html"),
]


class Frozen:
    """The public face of a fitted SEM, read back from the main job's CSV files."""

    def __init__(self, est: pd.DataFrame, fm: pd.Series) -> None:
        self._est, self._fm = est, fm
        self.options = SimpleNamespace(estimator="ML", missing="fiml")
        self.nobs = int(fm["n"])

    def estimates(self) -> pd.DataFrame:
        """Return the frozen parameter table."""
        return self._est

    def fit_measures(self) -> pd.Series:
        """Return the frozen fit measures."""
        return self._fm


def _csv(name: str, **kw: Any) -> pd.DataFrame:
    return pd.read_csv(MAIN / name, encoding="utf-8-sig", **kw)


def build(style: str) -> dict[str, Table]:
    """Return the main job's paper tables in ``style``, keyed by file stem."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        survey = ss.read_survey(
            ss.load_example(),
            "synergy-execution",
            id="respondent_id",
            wave="wave",
            group="department",
        )
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
        return dict(paper_tables(ctx, style=style))


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def latex_pdf(table: Table, work: Path) -> Path:
    """Compile ``table`` as a standalone A4 document; return the PDF."""
    tex = work / "t.tex"
    tex.write_text(
        preamble(table)
        + "\\begin{document}\n\\pagestyle{empty}\n"
        + table.to_latex()
        + "\\end{document}\n",
        encoding="utf-8",
    )
    for _ in range(2):  # xltabular settles its column widths on the second run
        _run([engine_for(table), "-interaction=nonstopmode", "-halt-on-error", "t.tex"], work)
    return work / "t.pdf"


def word_pdf(table: Table, work: Path) -> Path:
    """Write ``table`` as .docx and convert it to PDF with LibreOffice; return the PDF."""
    docx = table.to_docx(work / "t.docx")
    profile = work / "lo_profile"
    _run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(docx),
        ],
        work,
    )
    return work / "t.pdf"


def html_png(table: Table, work: Path, target: Path) -> None:
    """Screenshot ``table.to_html()`` in headless Chromium at 800 px; write ``target``."""
    page = work / "t.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        '<body style="margin:16px;font-family:serif;background:white">'
        + table.to_html()
        + "</body></html>",
        encoding="utf-8",
    )
    shot = work / "shot.png"
    _run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={work / 'profile'}",
            "--window-size=800,1000",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        work,
    )
    crop(Image.open(shot).convert("RGB")).save(target, optimize=True)


def crop(page: Image.Image, border: int = 24) -> Image.Image:
    """Return ``page`` cropped to its ink plus ``border`` pixels of white."""
    ink = ImageChops.difference(page, Image.new("RGB", page.size, "white")).getbbox()
    if ink is None:
        return page
    left, top, right, bottom = ink
    return page.crop(
        (
            max(0, left - border),
            max(0, top - border),
            min(page.width, right + border),
            min(page.height, bottom + border),
        )
    )


def png(pdf: Path, target: Path, *, turn: bool = False, border: int = 24) -> None:
    """Write the first page of ``pdf`` to ``target``, cropped to its ink plus ``border``.

    ``turn`` turns a ``sidewaystable`` (set rotated on a portrait page) upright.
    """
    _run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(pdf),
          str(pdf.with_suffix(""))], pdf.parent)  # fmt: skip
    page = crop(Image.open(pdf.with_suffix(".png")).convert("RGB"), border)
    if turn:
        page = page.rotate(-90, expand=True)
    page.save(target, optimize=True)


def main() -> int:
    """Write every screenshot of :data:`SHOTS`; return the exit status."""
    built = {style: build(style) for style in {s for s, _, _ in SHOTS}}
    for style, stem, renderer in SHOTS:
        table = built[style][stem]
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            target = OUT / f"{stem}_{style}_{renderer}.png"
            if renderer == "html":
                html_png(table, work, target)
                print(target.relative_to(ROOT))
                continue
            pdf = latex_pdf(table, work) if renderer == "latex" else word_pdf(table, work)
            turn = (
                renderer == "latex" and latex_plan(table).landscape and not latex_plan(table).long
            )
            png(pdf, target, turn=turn)
            print(target.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
