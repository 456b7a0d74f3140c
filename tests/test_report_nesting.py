"""The main job's nesting step (issue 14): ICCs, cluster-robust SEM, two-level model.

Run on the bundled example (15 departments, where the two-level synergy model's likelihood
has no maximum, as for lavaan 0.6-14, which does not converge on it either) and on a
simulated survey of 60 departments (where it converges); every number the step writes is
checked against a direct API call.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import synergy_stats as ss
from synergy_stats.intake import read_survey
from synergy_stats.report import REPORT_STEPS, run_report
from synergy_stats.simulate import example as ex
from synergy_stats.structural import structural_model

STEPS = [
    "synergy_stats.report:validation_step",
    "synergy_stats.report:scoring_step",
    "synergy_stats.report_nesting:nesting_step",
]


def _read(frame_or_path):
    with pytest.warns(Warning):  # the example's bad codes are reported on reading
        return read_survey(
            frame_or_path,
            ex.EXAMPLE_INSTRUMENT,
            id=ex.EXAMPLE_ID,
            wave=ex.EXAMPLE_WAVE,
            group=ex.EXAMPLE_GROUP,
            covariates=ex.EXAMPLE_COVARIATES,
        )


def _csv(out, name):
    return pd.read_csv(out / name, encoding="utf-8-sig")


def _first_wave(frame):
    w = frame[ex.EXAMPLE_WAVE]
    return frame[w == w.min()]


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    survey = _read(ex.example_path())
    out = tmp_path_factory.mktemp("nesting_example")
    return survey, run_report(survey, out, steps=STEPS), out


@pytest.fixture(scope="module")
def sixty(tmp_path_factory):
    frame = ex.simulate_example(n_departments=60, n_staff=900, waves=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the simulated bad codes are reported on reading
        survey = read_survey(
            frame,
            ex.EXAMPLE_INSTRUMENT,
            id=ex.EXAMPLE_ID,
            wave=ex.EXAMPLE_WAVE,
            group=ex.EXAMPLE_GROUP,
            covariates=ex.EXAMPLE_COVARIATES,
        )
    out = tmp_path_factory.mktemp("nesting_sixty")
    return survey, run_report(survey, out, steps=STEPS), out


def test_step_is_registered_after_the_indirect_effects():
    i = REPORT_STEPS.index("synergy_stats.report_nesting:nesting_step")
    assert i > REPORT_STEPS.index("synergy_stats.report_analysis:indirect_step")


def test_item_and_construct_iccs_agree_with_item_icc(example):
    survey, res, out = example
    assert not res.failed
    inst = ss.load_instrument(ex.EXAMPLE_INSTRUMENT)
    w1 = _first_wave(ss.reverse_code(inst, survey))
    items = _csv(out, "nesting_item_icc.csv")
    assert set(items["factor"]) == {
        f for f, node in inst.constructs.items() if node.kind == "factor"
    }
    for fid in ("accountability", "synergy_effect"):
        with pytest.warns(ss.ClusterWarning, match="boundary"):
            direct = ss.item_icc(
                w1, inst.items_of(fid), cluster=ex.EXAMPLE_GROUP, missing_cluster="drop"
            )
        mine = items[items["factor"] == fid].set_index("item")
        assert_allclose(mine["icc"], direct.icc[mine.index], rtol=1e-10, atol=1e-12)
        assert mine["boundary"].all() == direct.boundary
        assert_allclose(
            mine["design_effect"], direct.table()["design_effect"][mine.index], rtol=1e-10
        )
    scores = _first_wave(_csv(out, "scores.csv"))
    cons = _csv(out, "nesting_construct_icc.csv").set_index("construct")
    for c in ("mechanism", "accountability"):
        direct = ss.item_icc(scores, [c], cluster=ex.EXAMPLE_GROUP, missing_cluster="drop")
        assert_allclose(cons.loc[c, "icc"], direct.icc[c], rtol=1e-10)
    text = (out / "report.md").read_text("utf-8")
    section = text.split("Nesting: staff within departments")[1]
    assert f"| mechanism | {cons.loc['mechanism', 'icc']:.3f} |" in section
    # the boundary estimates are said, not silent
    assert "singular at its ML estimate with 15 departments" in section


def test_cluster_robust_se_agree_with_sem(example):
    survey, _, out = example
    inst = ss.load_instrument(ex.EXAMPLE_INSTRUMENT)
    w1 = _first_wave(ss.reverse_code(inst, survey))
    spec = structural_model(inst)
    robust = ss.sem(spec, w1, missing="fiml", cluster=ex.EXAMPLE_GROUP)
    est = robust.estimates()
    est = est[est["op"] == "~"].set_index("label")
    tab = _csv(out, "nesting_sem_se.csv").set_index("label")
    assert_allclose(tab.loc[est.index, "se_cluster"], est["se"], rtol=1e-8)
    naive = ss.sem(spec, w1, missing="fiml").estimates().set_index("label")
    assert_allclose(tab.loc[est.index, "se_naive"], naive.loc[est.index, "se"], rtol=1e-8)
    fm = robust.fit_measures()
    text = (out / "report.md").read_text("utf-8")
    assert f"scaled chi-square = {fm['chisq_scaled']:.2f}" in text


def test_unbounded_two_level_model_is_reported_not_written(example):
    out = example[2]
    text = (out / "report.md").read_text("utf-8")
    assert "Two-level model not available" in text and "appears unbounded" in text
    assert "cluster(s) of size 87" in text
    assert (out / "twolevel_model.lav").exists()
    assert not (out / "twolevel_estimates.csv").exists()
    assert not (out / "table_twolevel.tex").exists()
    assert "Nesting: staff within departments" in (out / "report.html").read_text("utf-8")


def test_two_level_files_and_table_agree_with_sem(sixty):
    _, res, out = sixty
    assert not res.failed
    inst = ss.load_instrument(ex.EXAMPLE_INSTRUMENT)
    scores = _first_wave(_csv(out, "scores.csv"))
    spec2 = structural_model(inst, measurement=False, levels=2)
    assert (out / "twolevel_model.lav").read_text("utf-8").strip() == spec2.to_syntax().strip()
    fit = ss.sem(spec2, scores, cluster=ex.EXAMPLE_GROUP)
    est = _csv(out, "twolevel_estimates.csv")
    direct = fit.estimates()
    assert list(est["lhs"]) == list(direct["lhs"]) and list(est["level"]) == list(direct["level"])
    assert_allclose(est["est"], direct["est"], rtol=1e-8, atol=1e-10)
    free = direct["se"].notna() & (direct["se"] > 0)
    assert_allclose(est.loc[free, "se"], direct.loc[free, "se"], rtol=1e-6)
    fm = pd.read_csv(out / "twolevel_fit_measures.csv", encoding="utf-8-sig", index_col=0)
    direct_fm = fit.fit_measures()
    for k in ("chisq", "df", "cfi", "srmr_within", "srmr_between"):
        assert_allclose(fm.loc[k, "value"], direct_fm[k], rtol=1e-8, atol=1e-12)
    for ext in ("tex", "docx", "html", "md"):
        assert (out / f"table_twolevel.{ext}").exists()
    md = (out / "table_twolevel.md").read_text("utf-8")
    a = md.index("Panel A. Within departments (level 1)")
    b = md.index("Panel B. Between departments (level 2)")
    assert a < b
    h1b = direct.set_index("label").loc["h1_b"]
    between = md[b:]
    assert f"| {h1b['est']:.3f} | {h1b['se']:.3f} |" in between
    assert f"χ²({int(direct_fm['df'])}) = {direct_fm['chisq']:.2f}" in md
    text = (out / "report.md").read_text("utf-8")
    section = text.split("Nesting: staff within departments")[1]
    assert "**Panel A. Within departments**" in section
    assert "**Panel B. Between departments**" in section
    html = (out / "report.html").read_text("utf-8")
    assert "Panel B. Between departments" in html
    assert np.isfinite(direct_fm["chisq"])
