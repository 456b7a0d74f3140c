"""report.md's measurement section: the issue 10 examples, as regression tests.

Runs the main job's :func:`synergy_stats.report_analysis.measurement_step` on the bundled
example (wave 1, FIML) and reads the Markdown it returns.
"""

from __future__ import annotations

import warnings

import pytest

import synergy_stats as ss
from synergy_stats.report import ReportContext
from synergy_stats.report_analysis import measurement_step


@pytest.fixture(scope="module")
def body(tmp_path_factory: pytest.TempPathFactory) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        survey = ss.read_survey(
            ss.load_example(),
            "synergy-execution",
            id="respondent_id",
            wave="wave",
            group="department",
        )
        ctx = ReportContext(survey=survey, out_dir=tmp_path_factory.mktemp("md"), results={})
        return measurement_step(ctx).body


def test_results_block_gets_no_alpha(body: str) -> None:
    # was: report.md gave alpha for the results block, which gets no composite
    row = next(line for line in body.splitlines() if line.startswith("| Synergy results |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "8" and set(cells[2:]) == {"—"}


def test_fornell_larcker_violation_is_named(body: str) -> None:
    # was: report.md did not mention the violation its own table flags
    assert "Fornell-Larcker criterion violated for 1 pair(s)" in body
    assert "Authority-backed command and Information sharing" in body


def test_no_internal_names_and_no_p_zero(body: str) -> None:
    assert "_" not in body.replace("compRelSEM", "")
    assert "0.000" not in body
