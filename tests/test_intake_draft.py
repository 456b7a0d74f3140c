"""ss.draft_instrument: a starting codebook from an export's headers and answer labels (issue 11).

The drafted codebook must load, and read_survey must read the same export back with every
item matched and every cell equal to the generator's truth (tests/platform_exports.py).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import synergy_stats as ss
from synergy_stats.errors import DataValidationError, OptionError

sys.path.insert(0, str(Path(__file__).parent))
import platform_exports as pe

ITEM_IDS = [i[0] for i in pe.ITEMS]
ROLES, SAV_ROLES = pe.ROLES, pe.SAV_ROLES


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory):
    # without the attention-check question: the draft is about the matrix items (an
    # attention check is declared under the codebook's attention_checks, not drafted)
    return pe.write_exports(tmp_path_factory.mktemp("trial"), attention=False)


def _load(text: str, tmp_path: Path, name: str) -> ss.Instrument:
    file = tmp_path / f"{name}.yaml"
    file.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the draft loads without a single warning
        return ss.load_instrument(file)


@pytest.mark.parametrize("kind", ["text_xlsx", "code_gbk_csv", "q_csv", "sav"])
def test_drafted_codebook_reads_the_export_back(exports, kind, tmp_path) -> None:
    paths, truth = exports
    inst = _load(ss.draft_instrument(paths[kind], platform="wjx"), tmp_path, kind)
    assert len(inst.items) == 12
    # one factor per matrix question, rows numbered 6.1, 6.2, ... in column order
    assert [it.number for it in inst.items] == [num for _i, _c, num, _z, _e in pe.ITEMS]
    assert inst.factors() == ["question_6", "question_7", "question_8", "question_9"]
    roles = SAV_ROLES if kind == "sav" else ROLES
    survey = ss.read_survey(paths[kind], inst, platform="wjx", **roles)
    assert len(survey.items) == 12
    got = survey.data[survey.items].to_numpy(dtype=float)
    np.testing.assert_array_equal(got, truth[ITEM_IDS].to_numpy(dtype=float))
    assert (survey.missing["reason"] == "skipped").sum() == int(truth[ITEM_IDS].isna().sum().sum())
    if kind in ("text_xlsx", "sav"):  # labels in the cells / value labels: a labelled scale
        scale = inst.scales["agree5"]
        assert scale.labels[5].zh == "非常同意" and scale.labels[1].en == "strongly disagree"
    if kind == "text_xlsx":  # wording from the header
        assert inst.items[0].text.zh == "上级检查考核压力大"
    if kind == "sav":  # wording from the variable labels
        assert inst.items[2].text.zh == "安全生产目标任务很重"


def test_draft_of_the_text_export_reads_the_code_export(exports, tmp_path) -> None:
    paths, truth = exports
    inst = _load(ss.draft_instrument(paths["text_xlsx"]), tmp_path, "text")
    survey = ss.read_survey(paths["q_csv"], inst, platform="wjx", **ROLES)
    # the drafted ids (q6_1) are the code export's headers (Q6_1): matched as ids
    assert set(survey.header_match.table.dropna(subset=["item"])["rule"]) == {"alias"}
    assert survey.columns["q6_2"] == "Q6_2"
    np.testing.assert_array_equal(
        survey.data[survey.items].to_numpy(dtype=float), truth[ITEM_IDS].to_numpy(dtype=float)
    )


def test_left_out_columns_are_listed(exports) -> None:
    paths, _ = exports
    text = ss.draft_instrument(paths["text_xlsx"], platform="wjx")
    head = [ln for ln in text.splitlines() if ln.startswith("# Columns left out")]
    assert head and "所用时间 (metadata)" in head[0] and "员工编号" in head[0]
    book = yaml.safe_load(text)
    assert {it["id"] for it in book["items"]} == {
        "q" + n.replace(".", "_") for _i, _c, n, _z, _e in pe.ITEMS
    }


def test_never_overwrites_unless_asked(exports, tmp_path) -> None:
    paths, _ = exports
    target = tmp_path / "draft.yaml"
    target.write_text("keep me", encoding="utf-8")
    with pytest.raises(OptionError, match="overwrite=True"):
        ss.draft_instrument(paths["q_csv"], path=target)
    assert target.read_text(encoding="utf-8") == "keep me"
    text = ss.draft_instrument(paths["q_csv"], path=target, overwrite=True)
    assert target.read_text(encoding="utf-8") == text
    new = tmp_path / "new.yaml"
    assert ss.draft_instrument(paths["q_csv"], path=new) == new.read_text(encoding="utf-8")
    with pytest.raises(OptionError, match="overwrite='yes'"):
        ss.draft_instrument(paths["q_csv"], path=new, overwrite="yes")


def test_codes_beyond_the_run_become_missing_codes(tmp_path) -> None:
    frame = pd.DataFrame({"Q1_1": [1, 2, 5, 9], "Q1_2": [3, 4, 8, 2], "Q1_3": [1, 1, 2, 3]})
    before = frame.copy()
    inst = _load(ss.draft_instrument(frame), tmp_path, "codes")
    assert frame.equals(before)
    scale = next(iter(inst.scales.values()))
    assert (scale.minimum, scale.maximum) == (1, 5)
    assert sorted(scale.missing) == [8, 9]
    survey = ss.read_survey(frame, inst)
    assert survey.items == ["q1_1", "q1_2", "q1_3"]
    assert survey.missing["code"].tolist() == [8.0, 9.0]  # row 2 (Q1_2), row 3 (Q1_1)


def test_unknown_labels_ask_for_the_scale(tmp_path) -> None:
    frame = pd.DataFrame(
        {"Q1_1": ["很好", "好", "差"], "Q1_2": ["好", "差", "很差"], "Q1_3": ["好", "好", "差"]}
    )
    with pytest.raises(DataValidationError, match="scale="):
        ss.draft_instrument(frame)
    text = ss.draft_instrument(frame, scale={1: "很差", 2: "差", 3: "好", 4: "很好"})
    inst = _load(text, tmp_path, "own")
    survey = ss.read_survey(frame, inst)
    assert survey.data["q1_1"].tolist() == [4.0, 3.0, 2.0]
    with pytest.raises(OptionError, match="scale="):
        ss.draft_instrument(frame, scale={1: "差", 3: "好"})
    with pytest.raises(OptionError, match="scale="):
        ss.draft_instrument(frame, scale="likert")


def test_no_item_columns_is_an_error() -> None:
    frame = pd.DataFrame({"姓名": ["张三", "李四"], "年龄": [31, 45]})
    with pytest.raises(DataValidationError, match="no column of the export looks like"):
        ss.draft_instrument(frame)
