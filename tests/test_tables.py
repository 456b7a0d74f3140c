"""Table model, number formatting and escaping."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synergy_stats.errors import OptionError, RenderError
from synergy_stats.tables import Cell, Notes, Panel, Row, Table, get_style
from synergy_stats.tables.escape import (
    escape_docx,
    escape_html,
    escape_latex,
    escape_markdown,
    has_cjk,
)
from synergy_stats.tables.format import fmt_int, fmt_num, fmt_p, stars_for


@pytest.mark.parametrize(
    ("value", "kw", "expected"),
    [
        (-0.00004, {}, "0.000"),
        (-0.0004, {"digits": 3}, "0.000"),
        (-0.0005001, {"digits": 3}, "-0.001"),
        (0.1234, {"leading_zero": False}, ".123"),
        (-0.1234, {"leading_zero": False}, "-.123"),
        (-0.00001, {"leading_zero": False}, ".000"),
        (1.5, {"leading_zero": False}, "1.500"),
        (float("nan"), {}, ""),
        (None, {"missing": "—"}, "—"),
        (12.0, {"digits": 0}, "12"),
    ],
)
def test_fmt_num(value, kw, expected):
    assert fmt_num(value, **kw) == expected


@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    st.integers(min_value=0, max_value=4),
    st.booleans(),
)
def test_never_negative_zero(x, digits, lead):
    text = fmt_num(x, digits, leading_zero=lead)
    if text.startswith("-"):
        assert float(text) < 0
    assert float(text) == pytest.approx(round(x, digits), abs=10**-digits)


@pytest.mark.parametrize(
    ("p", "lead", "expected"),
    [
        (0.0, False, "< .001"),
        (0.0004, False, "< .001"),
        (0.001, False, ".001"),
        (0.0123, False, ".012"),
        (0.0123, True, "0.012"),
        (1.0, False, "1.000"),
        (0.99999, False, "1.000"),
        (float("nan"), False, ""),
    ],
)
def test_fmt_p(p, lead, expected):
    assert fmt_p(p, leading_zero=lead) == expected


def test_fmt_int_and_stars():
    assert fmt_int(400.0) == "400"
    assert fmt_int(float("nan")) == ""
    apa = get_style("apa").stars
    assert stars_for(0.0, apa) == "***"
    assert stars_for(0.001, apa) == "**"  # strictly below the cut-off
    assert stars_for(0.049, apa) == "*"
    assert stars_for(0.05, apa) == ""
    assert stars_for(float("nan"), apa) == ""
    econ = get_style("econ").stars
    assert stars_for(0.09, econ) == "*"


HOSTILE = "gov_support %&#$<>~^\\{}|"


def test_escape_latex_every_special():
    out = escape_latex(HOSTILE)
    assert out == (
        "gov\\_support \\%\\&\\#\\$\\textless{}\\textgreater{}\\textasciitilde{}"
        "\\textasciicircum{}\\textbackslash{}\\{\\}\\textbar{}"
    )
    # the replacements are not escaped again
    assert escape_latex("\\") == "\\textbackslash{}"


def test_escape_html_markdown_docx():
    assert escape_html('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    md = escape_markdown(HOSTILE)
    assert md == "gov\\_support %\\&\\#\\$\\<\\>\\~\\^\\\\\\{\\}\\|"
    assert escape_markdown("a*b") == "a\\*b"
    assert escape_docx("a\x00b\x07c") == "abc"
    assert has_cjk("协同") and has_cjk("注：") and not has_cjk(HOSTILE)


def _small(**kw) -> Table:
    return Table(
        header=((Cell("Group", span=2),), (Cell("(1)"), Cell("(2)"))),
        panels=(
            Panel(
                "Panel A",
                (Row("x", (Cell("1.000", value=1.0, stars="*", statistic="(0.100)"), Cell(""))),),
            ),
        ),
        notes=Notes(
            general=("General.",), specific=(("a", "Specific."),), probability="* p < .05."
        ),
        **kw,
    )


def test_table_validates_widths():
    with pytest.raises(RenderError, match="header row 1"):
        Table(header=((Cell("a"),), (Cell("b"), Cell("c"))), panels=())
    with pytest.raises(RenderError, match="row 'x'"):
        Table(header=((Cell("b"), Cell("c")),), panels=(Panel(None, (Row("x", (Cell(""),)),)),))
    with pytest.raises(OptionError, match="span"):
        Cell("a", span=0)
    with pytest.raises(OptionError, match="layout"):
        _small(layout="under")


def test_lines_and_layouts():
    t = _small()
    kinds = [ln.kind for ln in t.lines()]
    assert kinds == ["panel", "row", "statistic"]
    beside = _small(layout="beside")
    assert [ln.kind for ln in beside.lines()] == ["panel", "row"]
    assert next(ln for ln in beside.lines() if ln.kind == "row").cells[0].text == "1.000* (0.100)"
    frame = t.to_frame()
    assert list(frame.columns) == ["Group / (1)", "Group / (2)"]
    assert frame.iloc[0, 0] == "1.000*"


def test_renderers_show_spans_notes_and_panels():
    t = _small(caption="Cap", number=3)
    tex = t.to_latex()
    assert "\\multicolumn{2}{c}{Group}" in tex and "\\cmidrule(lr){2-3}" in tex
    assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex
    assert "\\textit{Note.} General." in tex
    assert "\\textsuperscript{a}\\,Specific." in tex
    assert "\\renewcommand{\\thetable}{3}" in tex and "\\caption{Cap}" in tex
    assert "labelsep=newline" in tex and "textfont=it" in tex  # APA 7 two-line caption
    assert "\\textit{Panel A}" in tex
    html = t.to_html()
    assert 'colspan="2"' in html and "<strong>Table 3</strong><br><em>Cap</em>" in html
    md = t.to_markdown()
    assert "**Table 3**\n\n*Cap*" in md and "*Note.* General." in md and "\\* *p* \\< .05." in md
    cn = _small(style=get_style("cn"), caption="标题", number=2)
    assert "\\cmidrule" not in cn.to_latex()
    assert "**表2\u3000标题**" in cn.to_markdown()
    assert "注：General." in cn.to_markdown()


def test_cell_lookup_errors():
    t = _small()
    with pytest.raises(OptionError, match="row"):
        t.cell("nope", 0)
    with pytest.raises(OptionError, match="column"):
        t.cell("x", "nope")
    assert t.cell("x", "(1)").value == 1.0
    assert math.isclose(t.cell("x", 0).value or 0, 1.0)


def test_style_errors():
    with pytest.raises(OptionError, match="style"):
        get_style("chicago")  # type: ignore[arg-type]
