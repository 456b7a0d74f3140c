"""The main job's common-method-bias step on the bundled example (issue 11)."""

import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.intake import read_survey
from synergy_stats.report import REPORT_STEPS, run_report
from synergy_stats.simulate import example as ex


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    with pytest.warns(Warning):  # the example's bad codes are reported on reading
        survey = read_survey(
            ex.example_path(),
            ex.EXAMPLE_INSTRUMENT,
            id=ex.EXAMPLE_ID,
            wave=ex.EXAMPLE_WAVE,
            group=ex.EXAMPLE_GROUP,
            covariates=ex.EXAMPLE_COVARIATES,
        )
    out = tmp_path_factory.mktemp("method_bias_report")
    steps = ["synergy_stats.report_method_bias:method_bias_step"]
    return survey, run_report(survey, out, steps=steps), out


def test_step_is_registered_after_measurement():
    i = REPORT_STEPS.index("synergy_stats.report_method_bias:method_bias_step")
    assert REPORT_STEPS[i - 1] == "synergy_stats.report_analysis:measurement_step"


def test_section_agrees_with_method_bias(report):
    survey, _, out = report
    text = (out / "report.md").read_text("utf-8")
    assert "Common method bias" in text and "Not estimated" not in text
    inst = ss.load_instrument(ex.EXAMPLE_INSTRUMENT)
    items = ss.reverse_code(inst, survey)
    w1 = items[items[ex.EXAMPLE_WAVE] == items[ex.EXAMPLE_WAVE].min()]
    direct = ss.method_bias(inst, w1, missing="fiml", ulmc=False)
    assert f"explains {100 * direct.harman['pca']:.1f}%" in text
    models = pd.read_csv(out / "method_bias_models.csv", encoding="utf-8-sig", index_col=0)
    assert models.loc["one_factor", "chisq"] == pytest.approx(
        direct.models.loc["one_factor", "chisq"], rel=1e-9
    )
    assert "0.000" not in text.split("Common method bias")[1].split("Files")[0]
    assert "No marker items are declared" in text
    for ext in ("tex", "docx", "html", "md"):
        assert (out / f"table_method_bias.{ext}").exists()
