"""power_riclpm against the analytic power of a published design (frozen lavaan 0.6-14).

Design: the illustrative example of Mulder (2023), "Power analysis for the random intercept
cross-lagged panel model using the powRICLPM R-package", Structural Equation Modeling 30,
645-658 (its vignette "Mulder2022"): Phi = matrix(c(.20, .10, .15, .30), byrow = FALSE)
(rows outcomes: wB(t) ~ .10 wA(t-1), the effect of interest "wB2~wA1"), within_cor = .26,
RI_cor = .35, ICC = .5, 3 time points, lags free per wave. The reference is lavaan's
asymptotic power of that design (Wald z of each lag from the expected information at the
population moments; the LRT of the feedback cross-lags from the non-central chi-square),
see tests/reference_scripts/make_riclpm_power_reference.R. The asymptotic values give the
population, the standard errors and the LRT's power. The power of each lag is checked against
lavaan's own Monte Carlo power of the same design (2000 replications,
tests/reference_scripts/make_riclpm_mc_reference.R), within the two runs' joint Monte Carlo
error: this 1-df, 3-wave model is far from its asymptote for the wave-3 autoregressions
(lavaan's Monte Carlo power of wA3 ~ wA2 at n = 1500 is .943 against the asymptotic .973).
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import synergy_stats as ss

REF = json.loads(
    (Path(__file__).parent / "data" / "simulate" / "riclpm_power_mulder2023.json").read_text()
)
PHI = np.array([[0.20, 0.15], [0.10, 0.30]])  # rows outcomes (A, B), columns predictors
# our lag labels for lavaan's (lhs, rhs) rows
LABEL = {("A", "A"): "ar_A", ("A", "B"): "cl_B_A", ("B", "A"): "cl_A_B", ("B", "B"): "ar_B"}
MC = json.loads(
    (Path(__file__).parent / "data" / "simulate" / "riclpm_mc_power_mulder2023.json").read_text()
)
REPS = 400


@pytest.fixture(scope="module")
def result():
    return ss.power_riclpm(
        [1000, 1500],
        lags=PHI,
        constructs=("A", "B"),
        waves=3,
        ri_share=0.5,
        ri_correlation=0.35,
        within_correlation=0.26,
        feedback_source="A",
        replications=REPS,
        seed=2023,
    )


def test_lag_power_matches_the_design_within_mc_error(result):
    tab = result.table().set_index(["n", "target"])
    for ref in REF["results"]:
        if ref["n"] not in result.n:
            continue
        (mc,) = [m for m in MC["results"] if m["n"] == ref["n"]]
        assert (mc["lhs"], mc["rhs"]) == (ref["lhs"], ref["rhs"])
        for lhs, rhs, est, se, pw in zip(
            ref["lhs"], ref["rhs"], ref["est"], ref["se"], mc["power"], strict=True
        ):
            wave = lhs[-1]
            label = f"{LABEL[(lhs[1], rhs[1])]}_{wave}"
            row = tab.loc[(ref["n"], label)]
            assert row["population"] == pytest.approx(est, abs=1e-6)
            ours = row["power"]
            # joint Monte Carlo error of the two runs (ours 400, lavaan's 2000 replications)
            mcse = math.sqrt(ours * (1 - ours) / REPS + pw * (1 - pw) / mc["converged"])
            assert abs(ours - pw) < 3 * max(mcse, 0.0025), (ref["n"], label, ours, pw)
            assert row["mean_se"] == pytest.approx(se, rel=0.06)
    # the effect of interest, wB2 ~ wA1 = .10: far from 80% power at n = 1000
    assert tab.loc[(1000, "cl_A_B_2"), "power"] < 0.6


def test_feedback_tests(result):
    tab = result.table().set_index(["n", "target"])
    for ref in REF["results"]:
        if ref["n"] not in result.n:
            continue
        pw = ref["lrt_power"]
        mcse = math.sqrt(pw * (1 - pw) / REPS)
        lrt = tab.loc[(ref["n"], "feedback_lrt"), "power"]
        wald = tab.loc[(ref["n"], "feedback_wald"), "power"]
        assert abs(lrt - pw) < 3 * mcse + 0.01, (ref["n"], lrt, pw)
        assert abs(wald - lrt) < 0.05
    assert tab.loc[(1500, "feedback_lrt"), "power"] > tab.loc[(1000, "feedback_lrt"), "power"]


def test_attrition_runs_fiml_and_loses_power():
    kw = dict(lags={("results", "mechanism"): 0.3}, replications=25, seed=5)
    full = ss.power_riclpm(400, **kw).table().set_index("target")
    lost = ss.power_riclpm(400, attrition=0.3, **kw).table().set_index("target")
    assert lost.loc["feedback_lrt", "converged"] == 1.0
    # the same persons, fewer observations: larger standard errors of the lag
    assert (
        lost.loc["cl_results_mechanism_2", "mean_se"]
        > full.loc["cl_results_mechanism_2", "mean_se"]
    )


def test_bad_arguments():
    with pytest.raises(ss.OptionError, match="waves"):
        ss.power_riclpm(100, lags={}, waves=2, replications=2, seed=1)
    with pytest.raises(ss.OptionError, match="stationary"):
        ss.power_riclpm(
            100, lags={("results", "mechanism"): 0.99}, autoregression=0.9, replications=2, seed=1
        )
    with pytest.raises(ss.OptionError, match="feedback_source"):
        ss.power_riclpm(100, lags={}, feedback_source="nope", replications=2, seed=1)


# Monte Carlo power of wB2 ~ wA1 (= .10) read off the published figure of the same design:
# Mulder (2023), SEM 30:645-658, online supplement (powRICLPM vignette "mulder_power_2023"),
# preliminary analysis, 100 replications per condition (figure "Mulder2022_preliminary_power",
# panels by ICC, lines by number of time points; values read to about +-.02).
PUBLISHED = [
    # (ICC, time points, n, power in the figure)
    (0.5, 3, 2000, 0.70),
    (0.7, 3, 2000, 0.48),
    (0.7, 5, 1500, 0.755),
    (0.5, 4, 1000, 0.61),
]
PUBLISHED_REPS = 100
OUR_REPS = 150


@pytest.mark.parametrize(("icc", "waves", "n", "published"), PUBLISHED)
def test_power_matches_the_published_powriclpm_figure(icc, waves, n, published):
    res = ss.power_riclpm(
        [n],
        lags=PHI,
        constructs=("A", "B"),
        waves=waves,
        ri_share=icc,
        ri_correlation=0.35,
        within_correlation=0.26,
        feedback_source="A",
        replications=OUR_REPS,
        seed=20230101,
    )
    row = res.table().set_index("target").loc["cl_A_B_2"]
    assert row["population"] == pytest.approx(0.10)
    assert row["converged"] == 1.0
    # Monte Carlo error of both studies (ours and the published 100 replications) plus the
    # reading error of the figure
    p = published
    mc = math.sqrt(p * (1 - p) / PUBLISHED_REPS + p * (1 - p) / OUR_REPS)
    assert abs(row["power"] - p) < 3 * mc + 0.02, (icc, waves, n, row["power"], p)
