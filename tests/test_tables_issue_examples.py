"""Regression tests for the Word and LaTeX examples listed in issue 10, one per example.

Each builds a small table with the package and inspects what the renderer writes (the
document XML of the .docx, the LaTeX source); the rendered-PDF checks are in
tests/test_tables_render.py.
"""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from synergy_stats.tables import plain_table
from synergy_stats.tables.docx import plan


def _table(style: str = "apa"):
    rows = [
        ("Synergy motivation", -0.637, 0.112, 0.0004),
        ("协同动机" if style == "cn" else "Construct", 0.421, 0.061, 0.012),
    ]
    return plain_table(["Construct", "b", "SE", "p"], rows, pvalues=["p"], style=style)


def _xml(table, tmp_path) -> str:
    path = table.to_docx(tmp_path / "t.docx")
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode("utf-8")


def test_word_widths_come_from_the_content():
    # was: every column 960 twips
    lay = plan(_table())
    assert len(set(lay.widths)) > 1
    assert lay.widths[0] == max(lay.widths)  # the first column takes what is left


def test_word_page_is_a4_by_default(tmp_path):
    # was: US Letter
    xml = _xml(_table(), tmp_path)
    assert 'w:w="11906"' in xml and 'w:h="16838"' in xml  # A4 in twips


def test_word_cells_single_spaced_without_space_after(tmp_path):
    # was: 11 pt, 1.15 spacing, 10 pt after every cell paragraph
    xml = _xml(_table(), tmp_path)
    assert 'w:after="200"' not in xml and 'w:line="276"' not in xml
    assert 'w:after="0"' in xml


def test_word_header_repeats_and_rows_do_not_split(tmp_path):
    xml = _xml(_table(), tmp_path)
    assert "<w:tblHeader/>" in xml
    assert xml.count("<w:cantSplit/>") >= 3  # header and both rows


def test_word_chinese_text_is_tagged_zh_cn(tmp_path):
    xml = _xml(_table("cn"), tmp_path)
    assert 'w:val="zh-CN"' in xml and 'w:eastAsia="zh-CN"' in xml


def test_latex_true_minus_italic_symbols_and_decimal_alignment():
    tex = _table().to_latex()
    assert "\\ensuremath{-}" in tex and "-0.637" not in tex
    assert "\\textit{b}" in tex and "\\textit{SE}" in tex and "\\textit{p}" in tex
    assert "r@{}l" in tex  # numeric columns split at the point, not centred


@pytest.mark.parametrize(
    ("style", "expected"),
    [("apa", "labelsep=newline"), ("cn", "labelsep=quad")],
)
def test_latex_caption_form_and_number(style, expected):
    t = plain_table(["", "a"], [("x", 1.0)], style=style, caption="Title", number=7)
    tex = t.to_latex()
    assert expected in tex
    assert "\\renewcommand{\\thetable}{" in tex and "7}" in tex


def test_markdown_escapes_and_never_prints_p_zero():
    # report.md goes through this renderer: h1*h2*h3 must not turn into italics
    md = plain_table(["effect", "p"], [("h1*h2*h3", 0.0)], pvalues=["p"]).to_markdown()
    assert "h1\\*h2\\*h3" in md
    assert "0.000" not in md and "< .001" in md.replace("\\<", "<")


def test_the_input_frame_is_not_changed():
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    before = frame.copy()
    plain_table(["x"], list(frame.itertuples(index=False)))
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("apa", ["Baseline", "Accept", "Partial", "Not established"]),
        ("cn", ["基准", "接受", "部分不变", "未成立"]),
    ],
)
def test_invariance_decisions_are_worded_by_style(style, expected):
    # was: "baseline" (and "partial", "not established") printed as the ladder spells them
    from synergy_stats.tables import invariance_table

    cols = ["npar", "chisq", "df", "delta_chisq", "delta_df", "pvalue", "cfi", "tli"]
    cols += ["rmsea", "srmr", "delta_cfi", "delta_rmsea"]
    ladder = pd.DataFrame(0.5, index=["configural", "metric", "scalar", "strict"], columns=cols)
    ladder["decision"] = ["baseline", "accept", "partial", "not established"]
    table = invariance_table(ladder, style=style)
    assert [line.cells[-1].text for line in table.lines()] == expected


def test_item_table_expands_a_second_order_construct():
    import synergy_stats as ss
    from synergy_stats.tables import item_table

    inst = ss.load_instrument("synergy-execution")
    parts = list(inst.constructs["mechanism"].components)
    ids = [it.id for it in inst.items if it.construct in parts]
    data = pd.DataFrame({i: [1, 2, 3, 4, 5] * 4 for i in ids}).astype(float)
    data.iloc[::3] = data.iloc[::3][::-1].to_numpy()
    by_parts = item_table(data, inst, constructs=parts)
    by_parent = item_table(data, inst, constructs=["mechanism"])
    assert by_parent.to_markdown() == by_parts.to_markdown()


def test_cn_journal_keeps_the_leading_zero_and_the_chinese_caption(tmp_path):
    # the Chinese journal variant: leading zeros kept, 表1　标题 in Word and LaTeX
    rows = [("x", 0.463, 0.0004), ("y", -0.2, 0.03)]
    t = plain_table(
        ["变量", "b", "p"], rows, pvalues=["p"], style="cn_journal", caption="标题", number=1
    )
    cells = [c.text for line in t.lines() for c in line.cells]
    assert cells == ["0.463", "< 0.001", "-0.200", "0.030"]
    assert "labelsep=quad" in t.to_latex()
    assert "表1\u3000标题" in _xml(t, tmp_path)
    cn = plain_table(["变量", "b", "p"], rows, pvalues=["p"], style="cn")
    assert [c.text for line in cn.lines() for c in line.cells][-1] == ".030"


def test_a_style_is_data_a_user_copies_and_changes():
    from synergy_stats.tables import STYLE_DEFINITIONS, style_from_dict

    mine = style_from_dict({**STYLE_DEFINITIONS["cn"], "name": "mine", "font_size": 9.0})
    assert mine.font_size == 9.0 and mine.language == "zh"
    assert style_from_dict(mine.to_dict()) == mine
