"""The main job's power step on the bundled example: power at n = 450 and the n for 80%."""

import pandas as pd
import pytest
from scipy.stats import chi2, ncx2

from synergy_stats.intake import read_survey
from synergy_stats.report import REPORT_STEPS, run_report
from synergy_stats.report_power import DESIGN
from synergy_stats.simulate import example as ex
from synergy_stats.simulate.riclpm_power import feedback_power_analytic

pytestmark = pytest.mark.filterwarnings("ignore::synergy_stats.errors.ConvergenceWarning")


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
    out = tmp_path_factory.mktemp("power_report")
    return run_report(survey, out, steps=["synergy_stats.report_power:power_step"]), out


def test_power_step_is_registered():
    assert "synergy_stats.report_power:power_step" in REPORT_STEPS


def test_power_step_states_the_verdict(report):
    result, out = report
    assert not result.failed
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "At n = 450 this panel cannot reliably detect a feedback lag of .15" in text
    power = result.results["power"]
    assert power["n"] == 450 and power["power"] < 0.8
    # the n needed is where the analytic power of the design crosses .80
    ana = feedback_power_analytic([power["n_required"] - 1, power["n_required"]], waves=3, **DESIGN)
    below, above = ana["table"]["power"]
    assert below < 0.8 <= above
    assert f"About n = {power['n_required']} respondents" in text


def test_power_step_files_agree(report):
    _result, out = report
    table = pd.read_csv(out / "power_feedback.csv", encoding="utf-8-sig")
    analytic = table[table["method"].str.startswith("analytic")].set_index("n")
    mc = table[table["method"].str.startswith("Monte Carlo")].set_index("n")
    df = int(analytic["df"].iloc[0])
    p450 = ncx2.sf(chi2.isf(0.05, df), df, analytic.loc[450, "ncp"])
    assert analytic.loc[450, "power"] == pytest.approx(p450)
    # the Monte Carlo check agrees with the analytic power within 3 Monte Carlo SEs
    assert abs(mc.loc[450, "power"] - analytic.loc[450, "power"]) < 3 * mc.loc[450, "power_mcse"]
    assert (out / "power_feedback.png").read_bytes()[:4] == b"\x89PNG"
