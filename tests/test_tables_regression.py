"""regression_table: numbers equal the statsmodels attributes; the hostile fixture renders in
LaTeX (compiled for real), Word, HTML and Markdown."""

from __future__ import annotations

import html.parser
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synergy_stats.errors import OptionError, RenderError
from synergy_stats.regression import logit, mixedlm, regress
from synergy_stats.tables import regression_table
from synergy_stats.tables.format import fmt_num, fmt_p

HOSTILE = "gov_support %&#$<>~^\\{}"
TERM = 'Q("gov_support %&#$<>~^\\\\{}")'
ZH_LABEL = "微小效应"
ZH_DEP = "协同效应"


# --- fixture ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n, j = 400, 15
    dept = rng.integers(0, j, n)
    df = pd.DataFrame(
        {
            HOSTILE: rng.normal(size=n),
            "tiny": rng.normal(scale=1000.0, size=n),
            "dept": [f"d{k:02d}" for k in dept],
        }
    )
    u = rng.normal(scale=0.05, size=j)[dept]
    df["y"] = 1 + 2 * df[HOSTILE] - 0.00004 * df["tiny"] + u + rng.normal(scale=0.01, size=n)
    df["b"] = (df["y"] + rng.normal(scale=2.0, size=n) > 1).astype(int)
    return df


@pytest.fixture(scope="module")
def models(hostile_data):
    quoted = HOSTILE.replace("\\", "\\\\")
    f = f'y ~ Q("{quoted}") + tiny'
    ols = regress(f, hostile_data, cov_type="cluster", cluster="dept")
    with warnings.catch_warnings():
        # statsmodels flags tiny (but well-estimated) variances as "on the boundary"
        warnings.simplefilter("ignore")
        mix = mixedlm(f, hostile_data, groups="dept", reml=True)
    lg = logit(f.replace("y ~", "b ~"), hostile_data)
    return {"OLS": ols, "MixedLM": mix, "Logit": lg}


def _table(models, style="apa", **kw):
    labels = {"tiny": ZH_LABEL, "y": ZH_DEP} if style == "cn" else {}
    return regression_table(models, style=style, labels=labels, caption="Hostile", number=1, **kw)


def test_fixture_is_hostile(models):
    ols = models["OLS"].raw
    assert ols.params["tiny"] == pytest.approx(-0.00004, abs=5e-6)
    assert ols.pvalues[TERM] == 0.0
    assert np.isnan(models["MixedLM"].raw.aic)


# --- numbers ------------------------------------------------------------------------------


def test_cells_equal_statsmodels_attributes(models):
    t = _table(models)
    for col, name in enumerate(models):
        raw = models[name].raw
        params = raw.fe_params if name == "MixedLM" else raw.params
        bse = raw.bse_fe if name == "MixedLM" else raw.bse
        for term, label in (("Intercept", "Intercept"), (TERM, HOSTILE), ("tiny", "tiny")):
            cell = t.cell(label, col)
            assert cell.value == params[term]
            assert cell.text == fmt_num(params[term], 3)
            assert cell.statistic == f"({fmt_num(bse[term], 3)})"
    n = t.cell("N", 0)
    assert n.value == models["OLS"].raw.nobs and n.text == "400"
    assert t.cell("R²", 0).text == fmt_num(models["OLS"].raw.rsquared, 3, leading_zero=False)
    assert t.cell("Pseudo R²", 2).value == pytest.approx(models["Logit"].raw.prsquared)
    assert t.cell("AIC", 2).text == fmt_num(models["Logit"].raw.aic, 2)
    assert t.cell("Log likelihood", 1).value == models["MixedLM"].raw.llf
    assert t.cell("Std. errors", 0).text == "Clustered by dept (15)"
    assert t.cell("Clusters", 0).text == "15"


def test_mixedlm_variance_from_cov_re_without_stars(models):
    t = _table(models)
    raw = models["MixedLM"].raw
    cell = t.cell("Var(dept)", 1)
    assert cell.value == float(raw.cov_re.iloc[0, 0])
    assert cell.stars == "" and cell.statistic is None
    resid = t.cell("Var(Residual)", 1)
    assert resid.value == float(raw.scale)
    # the REML AIC is NaN: an empty cell, and a note explains why
    assert t.cell("AIC", 1).text == ""
    assert any("REML" in g for g in t.notes.general)


def test_stars_p_zero_and_no_negative_zero(models):
    t = _table(models, statistic="pvalue")
    cell = t.cell(HOSTILE, 0)
    assert cell.stars == "***"
    assert cell.statistic == "(< .001)"
    tiny = t.cell("tiny", 0)
    assert tiny.text == "0.000"  # -0.00004 rounds to zero: printed without a sign
    for fmt in (t.to_markdown(), t.to_html(), t.to_latex()):
        assert not re.search(r"-0\.0+(?!\d*[1-9])\b", fmt), "negative zero printed"
        assert "-.000" not in fmt


def test_econ_style_and_templates(models):
    t = _table(models, style="econ", statistic="[{ci_lower}, {ci_upper}]")
    raw = models["OLS"].raw
    ci = raw.conf_int()
    term = TERM
    cell = t.cell(HOSTILE, 0)
    assert cell.statistic == f"[{fmt_num(ci.loc[term, 0], 3)}, {fmt_num(ci.loc[term, 1], 3)}]"
    assert t.notes.probability == "* p < 0.1, ** p < 0.05, *** p < 0.01."
    assert t.cell("Pseudo R²", 2).text.startswith("0.")
    with pytest.raises(OptionError, match="statistic"):
        _table(models, statistic="({bogus})")
    with pytest.raises(OptionError, match="statistic"):
        _table(models, statistic="what")


def test_custom_stars_and_coef_map(models):
    t = regression_table(
        [models["OLS"], models["Logit"]],
        stars={"+": 0.1, "*": 0.05},
        coef_map={"tiny": "Tiny", "Intercept": "Constant"},
        fit=["nobs"],
        add_rows=[("Dept. FE", ["No", "No"])],
        notes=["A general note."],
    )
    assert [r.label for r in t.rows] == ["Tiny", "Constant", "N", "Dept. FE"]
    assert t.header[-1][0].text == "(1)"
    assert t.notes.probability == "+ p < .1. * p < .05."
    assert "A general note." in t.notes.general
    with pytest.raises(OptionError, match="add_rows"):
        regression_table([models["OLS"]], add_rows=[("x", ["a", "b"])])
    with pytest.raises(OptionError, match="fit"):
        regression_table([models["OLS"]], fit=["r3"])


def test_plain_statsmodels_results_side_by_side(hostile_data, models):
    import statsmodels.formula.api as smf

    raw = smf.ols("y ~ tiny", hostile_data).fit(cov_type="HC1")
    t = regression_table({"ours": models["OLS"], "plain": raw})
    assert t.cell("tiny", 1).value == raw.params["tiny"]
    assert t.cell("Std. errors", 1).text == "Robust (HC1)"


def test_dependent_header_spans(models):
    t = _table(models)
    spans = [(c.text, c.span) for c in t.header[0]]
    assert spans == [("y", 2), ("b", 1)]


# --- renderers ----------------------------------------------------------------------------


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _numbers(table, *, minus: bool = False) -> list[str]:
    """Every number of the table's cells; ``minus=True`` spells signs as U+2212 (print)."""
    out = []
    for row in table.rows:
        for c in row.cells:
            for s in (c.text, c.statistic or ""):
                out += re.findall(r"-?\d*\.\d+|\d+", s)
    return [n.replace("-", "\u2212") for n in out] if minus else out


def test_markdown_renders_hostile(models):
    t = _table(models, style="cn")
    md = t.to_markdown()
    assert "gov\\_support %\\&\\#\\$\\<\\>\\~\\^\\\\\\{\\}" in md
    assert ZH_LABEL in md and "注：" in md and "**表**" not in md
    unescaped = re.sub(r"\\(.)", r"\1", md)
    assert HOSTILE in unescaped
    lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    widths = {ln.count(" | ") for ln in lines}
    assert len(widths) == 1, "every table line has the same number of cells"
    for number in _numbers(t, minus=True):
        assert number in md


def test_html_renders_hostile(models):
    t = _table(models, style="cn")
    page = t.to_html(standalone=True)
    parser = _Text()
    parser.feed(page)
    text = "".join(parser.parts)
    assert HOSTILE in text and ZH_LABEL in text
    assert "<table" in page and 'colspan="2"' in page
    assert "<script" not in page
    for number in _numbers(t, minus=True):
        assert number in text


def _compile(tex: str, engine: str, tmp_path: Path) -> str:
    if shutil.which(engine) is None or shutil.which("pdftotext") is None:
        pytest.skip(f"{engine} or pdftotext not installed (TeX Live is installed by .ci/run)")
    if engine == "xelatex":
        found = subprocess.run(["kpsewhich", "ctexart.cls"], capture_output=True, text=True)
        if not found.stdout.strip():
            pytest.skip("ctex (texlive-lang-chinese) not installed")
    src = tmp_path / "table.tex"
    src.write_text(tex, encoding="utf-8")
    proc = subprocess.run(
        [engine, "-halt-on-error", "-interaction=nonstopmode", "table.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    out = subprocess.run(
        ["pdftotext", "table.pdf", "-"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    return out.stdout


@pytest.mark.latex
def test_latex_pdflatex_ascii(models, tmp_path):
    t = _table(models, style="apa")
    tex = t.to_latex(standalone=True)
    assert "ctexart" not in tex
    text = _compile(tex, "pdflatex", tmp_path)
    assert "¡" not in text and "¿" not in text
    assert HOSTILE in text
    for number in _numbers(t, minus=True):
        assert number in text
    assert "Clustered by dept (15)" in text


@pytest.mark.latex
def test_latex_xelatex_chinese(models, tmp_path):
    t = _table(models, style="cn")
    tex = t.to_latex(standalone=True)
    assert "ctexart" in tex and "\\cmidrule" not in tex
    text = _compile(tex, "xelatex", tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert "¡" not in text
    for zh in (ZH_LABEL, ZH_DEP, "常数项", "样本量", "注：", "表"):
        assert zh in flat, zh
    assert HOSTILE.replace(" ", "") in flat
    for number in _numbers(t, minus=True):
        assert number in text


def _borders(el, tag):
    from docx.oxml.ns import qn

    return el.findall(".//" + qn(tag))


def test_docx_renders_hostile(models, tmp_path):
    from docx import Document
    from docx.oxml.ns import qn

    t = _table(models, style="cn")
    path = t.save(tmp_path / "t.docx")
    doc = Document(str(path))
    table = doc.tables[0]
    rows = [[c.text for c in r.cells] for r in table.rows]
    # header: the dependent variable spans OLS and MixedLM (a merged cell)
    assert rows[0][1] == rows[0][2] == ZH_DEP
    assert table.rows[0].cells[1]._tc is table.rows[0].cells[2]._tc
    assert rows[1][1:] == ["OLS", "MixedLM", "Logit"]
    hostile_row = next(r for r in rows if r[0] == HOSTILE)
    raw = models["OLS"].raw
    assert hostile_row[1] == fmt_num(raw.params[TERM], 3) + "***"
    assert any(r[0] == ZH_LABEL for r in rows)
    var_row = next(r for r in rows if r[0].startswith("方差（"))  # cn: Var(dept) in Chinese
    assert var_row[2] == fmt_num(models["MixedLM"].raw.cov_re.iloc[0, 0], 3)
    # only horizontal rules
    tbl_borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert all(b.get(qn("w:val")) == "nil" for b in tbl_borders)
    edges = set()
    for tc_b in _borders(table._tbl, "w:tcBorders"):
        for b in tc_b:
            edges.add(b.tag.split("}")[1])
            assert b.get(qn("w:val")) in ("single", "nil")
    assert edges == {"top", "bottom"}
    top_cells = [c._tc for c in table.rows[0].cells]
    assert all(_borders(tc, "w:top") for tc in top_cells)
    assert all(_borders(c._tc, "w:bottom") for c in table.rows[1].cells)
    assert all(_borders(c._tc, "w:bottom") for c in table.rows[-1].cells)
    # an East-Asian font is set on the Normal style and on the runs
    fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "SimSun"
    run_fonts = _borders(table._tbl, "w:rFonts")
    assert run_fonts and all(f.get(qn("w:eastAsia")) for f in run_fonts)
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "注：" in body and "表" in body and "-0.000" not in body


def test_save_picks_format_and_refuses_overwrite(models, tmp_path):
    t = _table(models)
    for ext, marker in (
        (".tex", "\\begin{tabularx}"),
        (".html", "<table"),
        (".md", "| :---"),
    ):
        path = t.save(tmp_path / f"t{ext}")
        assert marker in path.read_text(encoding="utf-8")
        with pytest.raises(RenderError, match="overwrite"):
            t.save(path)
        t.save(path, overwrite=True)
    with pytest.raises(OptionError, match=r"\.xlsx"):
        t.save(tmp_path / "t.xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t.save(tmp_path / "t.docx")
    with pytest.raises(RenderError):
        t.to_docx(tmp_path / "t.docx")


def test_p_format_helper_used_consistently(models):
    t = _table(models, statistic="({pvalue})")
    p = models["Logit"].raw.pvalues["tiny"]
    assert t.cell("tiny", 2).statistic == f"({fmt_p(p)})"
