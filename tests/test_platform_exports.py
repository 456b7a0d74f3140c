"""The trial's four platform exports, rebuilt by a seeded generator (issue 11).

With no aliases in the codebook, every header is matched (by wording or question number)
and every item cell equals the generator's truth; skips read as one reason in every export.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.errors import DataValidationError

sys.path.insert(0, str(Path(__file__).parent))
import platform_exports as pe

ITEM_IDS = [i[0] for i in pe.ITEMS]
ROLES, SAV_ROLES = pe.ROLES, pe.SAV_ROLES


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory):
    return pe.write_exports(tmp_path_factory.mktemp("trial"))


@pytest.fixture(scope="module")
def inst():
    book = pe.trial_codebook()
    assert all("aliases" not in it for it in book["items"])
    return ss.Instrument.from_dict(book)


def _read(path, inst, kind, **kw):
    roles = SAV_ROLES if kind == "sav" else ROLES
    return ss.read_survey(path, inst, platform="wjx", **roles, **kw)


@pytest.mark.parametrize("kind", ["text_xlsx", "code_gbk_csv", "q_csv", "sav"])
def test_every_cell_equals_the_truth(exports, inst, kind) -> None:
    paths, truth = exports
    survey = _read(paths[kind], inst, kind)
    assert survey.items == ITEM_IDS
    rules = set(survey.header_match.table.dropna(subset=["item"])["rule"])
    assert rules == ({"number"} if kind in ("q_csv", "sav") else {"wording"})
    np.testing.assert_array_equal(
        survey.data[ITEM_IDS].to_numpy(dtype=float), truth[ITEM_IDS].to_numpy(dtype=float)
    )
    roles = SAV_ROLES if kind == "sav" else ROLES
    assert survey.data[roles["id"]].tolist() == truth["员工编号"].tolist()
    assert list(survey.data[roles["wave"]].cat.categories) == list(pe.WAVES)
    # skips: one reason across text ("(跳过)") and code (-3) exports
    n_skipped = int(truth[ITEM_IDS].isna().sum().sum())
    assert n_skipped > 100
    assert (survey.missing["reason"] == "skipped").sum() == n_skipped
    assert set(survey.missing["reason_zh"]) == {"跳过"}
    if kind != "sav":
        assert set(survey.metadata) == {"serial", "submitted", "duration", "source", "ip"}
        assert survey.unknown == ()


def test_without_the_platform_minus_three_is_out_of_range(exports, inst) -> None:
    paths, _ = exports
    with pytest.warns(ss.DroppedDataWarning, match="out_of_range"):
        survey = ss.read_survey(paths["q_csv"], inst, **ROLES)
    assert (survey.raw_problems["kind"] == "out_of_range").sum() > 100


def test_matching_report_lists_unmatched_and_ambiguous(inst) -> None:
    frame = pd.DataFrame(
        {
            "6、(上级检查考核压力大)": [1, 2],
            "Q7_2": [3, 4],
            "备注": ["a", "b"],
            "联席会议能形成明确决定！": [2, 2],  # wording with extra punctuation
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from synergy_stats.intake.headers import match_headers

        m = match_headers(list(frame.columns), inst)
    got = dict(zip(m.table["header"], m.table["item"], strict=True))
    assert got["6、(上级检查考核压力大)"] == "pressure_1"
    assert got["Q7_2"] == "mechanism_2"
    assert got["联席会议能形成明确决定！"] == "process_1"
    assert m.unmatched_headers == ["备注"]
    assert "pressure_1" in m.to_markdown()
    # two headers with the same wording: neither wins silently
    m2 = match_headers(["6、(上级检查考核压力大)", "上级检查考核压力大"], inst)
    assert len(m2.ambiguous) == 2
    assert "pressure_1" not in m2.mapping
    assert "pressure_1" in m2.unmatched_items


def test_fewer_than_half_the_items_is_a_clear_error(exports) -> None:
    paths, _ = exports
    book = pe.trial_codebook()
    for it in book["items"]:
        del it["number"]  # Q6_1 headers can no longer be matched
    bare = ss.Instrument.from_dict(book)
    with pytest.raises(DataValidationError, match=r"only 0 of the 12 items.*Q6_1"):
        ss.read_survey(paths["q_csv"], bare, platform="wjx", **ROLES)


def test_score_keeps_declared_covariates(exports, inst) -> None:
    paths, _ = exports
    survey = ss.read_survey(
        paths["text_xlsx"], inst, platform="wjx", id="员工编号", wave="轮次", covariates=["部门"]
    )
    scores = ss.score(inst, survey)
    assert "部门" in scores.columns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ss.SynergyWarning)
        fit = ss.regress(
            "results ~ process + C(dept)", scores.rename(columns={"部门": "dept"}), cov_type="HC1"
        )
    assert fit.nobs > 500


def test_main_job_texts_come_from_the_users_instrument(exports, inst, tmp_path) -> None:
    from synergy_stats.report import run_report

    paths, _ = exports
    survey = _read(paths["text_xlsx"], inst, "text_xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_report(
            survey,
            tmp_path / "r",
            steps=[
                "synergy_stats.report_analysis:sem_step",
                "synergy_stats.report_analysis:panel_step",
            ],
        )
    text = (tmp_path / "r" / "report.md").read_text("utf-8")
    assert "motivation" not in text and "synergy_effect" not in text
    assert "H1: pressure -> mechanism" in text
    assert "pressure -> mechanism -> process -> results" in text
    # two waves: the feedback step runs a CLPM instead of skipping
    assert "Feedback across waves (longitudinal invariance, CLPM)" in text
    assert "results(t) -> mechanism(t+1)" in text
    assert (tmp_path / "r" / "clpm_lags.csv").exists()
