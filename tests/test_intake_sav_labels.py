"""A labelled SPSS export whose metadata headers were made SPSS-safe: the presets read the labels.

Survey platforms export ``.sav`` files with variable names such as ``duration`` or ``V3``
and the original header (``所用时间``) as the variable label. ``read_survey(...,
platform="wjx")`` finds the metadata columns through those labels, so the speeder and
repeated-IP checks run on the .sav export as on the text and code exports.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.errors import DroppedDataWarning
from synergy_stats.intake import validate
from synergy_stats.intake.platforms import PLATFORMS, find_metadata

sys.path.insert(0, str(Path(__file__).parent))
import platform_exports as pe

#: SPSS-safe variable name -> the platform header kept as its variable label
RENAMED = {
    "序号": "V1",
    "提交答卷时间": "V2",
    "所用时间": "V3",
    "来源": "V4",
    "来自IP": "V5",
    "员工编号": "staff_id",
    "部门": "dept",
    "轮次": "round",
}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    import pyreadstat

    folder = tmp_path_factory.mktemp("sav_labels")
    paths, truth = pe.write_exports(folder, resubmitted=2)
    q = pd.read_csv(paths["q_csv"])
    sav = q.rename(columns=RENAMED)
    path = folder / "renamed_metadata.sav"
    pyreadstat.write_sav(
        sav,
        str(path),
        column_labels={new: old for old, new in RENAMED.items()},
    )
    return path, truth


@pytest.fixture(scope="module")
def inst() -> ss.Instrument:
    return ss.Instrument.from_dict(pe.trial_codebook())


def _rows(report, kind):
    return sorted(report.problems.loc[report.problems["kind"] == kind, "row"].tolist())


def _truth_rows(truth, column):
    return sorted(np.flatnonzero(truth[column].to_numpy()).tolist())


def test_metadata_found_by_variable_label(exports, inst) -> None:
    path, truth = exports
    survey = ss.read_survey(path, inst, platform="wjx", **pe.SAV_ROLES)
    assert survey.metadata == {
        "serial": "V1",
        "submitted": "V2",
        "duration": "V3",
        "source": "V4",
        "ip": "V5",
    }
    # the metadata columns are kept out of the items; every item is found
    assert sorted(survey.items) == sorted(i for i, *_ in pe.ITEMS)
    report = validate(inst, survey)
    assert _rows(report, "speeder") == _truth_rows(truth, "is_speeder")
    assert _rows(report, "duplicate_ip") == _truth_rows(truth, "is_shared_ip")
    assert report.counts["unreadable_duration"] == 0
    assert len(survey.data) == len(truth)


def test_without_the_preset_labels_change_nothing(exports, inst) -> None:
    path, _ = exports
    with pytest.warns(DroppedDataWarning, match="out_of_range"):  # -3 is no code without it
        survey = ss.read_survey(path, inst, **pe.SAV_ROLES)
    assert survey.metadata == {}


def test_a_column_named_by_the_header_wins_over_a_labelled_one() -> None:
    wjx = PLATFORMS["wjx"]
    cols = ["所用时间", "V3", "V5"]
    labels = {"V3": "所用时间", "V5": "来自IP"}
    assert find_metadata(cols, wjx, labels) == {"duration": "所用时间", "ip": "V5"}
    # one column never serves two roles, and blank labels are ignored
    assert find_metadata(["V1"], wjx, {"V1": "序号"}) == {"serial": "V1"}
    assert find_metadata(["V1"], wjx, {"V1": "  "}) == {}
    assert find_metadata(["V1"], wjx) == {}
