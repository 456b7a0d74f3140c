"""Regression tests for the bugs the hypothesis suite of the public functions found.

Each case raised a raw numpy/pandas/Python exception (or ran for minutes) before; now it is
a typed error naming the argument, or the right number.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.errors import ClusterError, DataValidationError, OptionError

sys.path.insert(0, str(Path(__file__).parent))
import _hypothesis_public_cases as pc


@pytest.fixture(scope="module")
def o() -> dict:
    return pc.objects()


# ------------------------------------------------------------ argument types (shared check)
def test_wrong_argument_types_are_option_errors_naming_the_argument(o) -> None:
    with pytest.raises(OptionError, match=r"level=\{'a': 1\}"):
        ss.cfa(pc.HS_MODEL, o["items"], level={"a": 1})
    with pytest.raises(OptionError, match=r"draws=1\.5"):
        ss.bootstrap(o["med"], draws=1.5, seed=1)
    with pytest.raises(OptionError, match=r"n=\(1\+1j\)"):
        ss.power("y ~ 0.3*x", 1 + 1j, replications=2, seed=1)
    with pytest.raises(OptionError, match="constructs="):
        ss.clpm(o["panel"], 1 + 1j, id="id", wave="wave")
    with pytest.raises(OptionError, match="fit="):
        ss.effects(object())
    with pytest.raises(OptionError, match="min_clusters="):
        ss.validate_cluster(o["reg"], "g", min_clusters=object())
    # a DataFrame argument given something else is a DataValidationError
    with pytest.raises(DataValidationError, match="pandas DataFrame"):
        ss.reliability(pc.HS_SPEC, o["items"].to_numpy())


def test_a_name_or_list_parameter_refuses_a_number(o) -> None:
    with pytest.raises(OptionError, match="source=0"):
        ss.effects(o["med"], source=0)
    with pytest.raises(OptionError, match="targets=0"):
        ss.feedback_test(o["riclpm"], "r", targets=0)


def test_a_path_parameter_refuses_a_number() -> None:
    with pytest.raises(OptionError, match="checkpoint=0"):
        ss.power_riclpm(
            40, lags={("results", "mechanism"): 0.15}, replications=1, seed=1, checkpoint=0
        )


def test_an_option_without_truth_value_is_refused(o) -> None:
    with pytest.raises(OptionError, match="missing=<NA>"):
        ss.htmt(pc.HS_SPEC, o["items"], missing=pd.NA)
    with pytest.raises(OptionError, match="lang=<NA>"):
        ss.plot_coefficients({"OLS": o["ols"]}, lang=pd.NA)


def test_other_package_objects_are_left_to_the_function(o) -> None:
    # feedback_test says what it needs (an RI-CLPM/CLPM fit), not a generic type message
    with pytest.raises(ss.SynergyError, match=r"PanelFit|clpm|riclpm"):
        ss.feedback_test(o["fit"], "visual")


# ------------------------------------------------------------------- numbers and options
def test_huge_integers_are_option_errors() -> None:
    with pytest.raises(OptionError, match="icc1="):
        ss.design_effect(10**30, 5.0)
    with pytest.raises(OptionError, match="mean_cluster_size="):
        ss.design_effect(0.1, 10**400)
    with pytest.raises(OptionError, match="df="):
        ss.rmsea_sample_size(10**400, 0.05, 0.08)


def test_rmsea_sample_size_beyond_the_scanned_blocks_is_the_first_n_with_power() -> None:
    # rmsea1 close to rmsea0: the smallest n is beyond the blocks semTools scans one by one;
    # it must be the first n of a full scan of rmsea_power (itself checked against semTools)
    # (semTools' candidates: n = 5..500, 505..1000, ...)
    n = ss.rmsea_sample_size(10, 0.05, 0.045)
    grid = np.array([b * 500 + j for b in range(80) for j in range(5, 501)], dtype=float)
    pw = np.asarray(ss.rmsea_power(10, grid, 0.05, 0.045))
    assert n == grid[np.flatnonzero(pw > 0.8)[0]]
    assert n > 10000


def test_simulate_data_non_numeric_skewness() -> None:
    with pytest.raises(OptionError, match="skewness"):
        ss.simulate_data("f =~ .7*x1 + .7*x2 + .7*x3", 20, seed=1, skewness="")
    with pytest.raises(OptionError, match="skewness"):
        ss.simulate_data("f =~ .7*x1 + .7*x2 + .7*x3", 20, seed=1, skewness={"x1": "a"})


def test_power_unknown_fit_and_data_options_and_bad_shares() -> None:
    with pytest.raises(OptionError, match="fit_options has unknown option"):
        ss.power("y ~ 0.3*x", 30, replications=2, seed=1, fit_options={"nope": 1})
    with pytest.raises(OptionError, match="data_options has unknown option"):
        ss.power("y ~ 0.3*x", 30, replications=2, seed=1, data_options={"nope": 1})
    with pytest.raises(OptionError, match="group_shares"):
        ss.power("y ~ 0.3*x", 30, replications=2, seed=1, group_shares=" ")
    with pytest.raises(OptionError, match="group_shares"):
        ss.power("y ~ 0.3*x", 30, replications=2, seed=1, group_shares=["a", "b"])


# --------------------------------------------------------------------- columns and clusters
def test_icc_constant_value_and_shared_column(o) -> None:
    d = o["reg"].assign(y=1.0)
    with pytest.raises(DataValidationError, match="constant"):
        ss.icc(d, value="y", group="g")
    with pytest.raises(DataValidationError, match="named twice"):
        ss.icc(o["reg"], value="g", group="g")


def test_icc_without_within_variance_is_one(o) -> None:
    d = o["reg"].assign(y=o["reg"]["g"].astype(float))  # every group answers one value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ss.icc(d, value="y", group="g")
    assert out["icc1"] == 1.0 and out["icc2"] == 1.0
    assert out["fvalue"] == np.inf and out["pvalue"] == 0.0


def test_cluster_column_repeated_or_unhashable(o) -> None:
    d = pd.concat([o["reg"], o["reg"][["g"]]], axis=1)
    with pytest.raises(ClusterError, match="repeats"):
        ss.validate_cluster(d, "g")
    with pytest.raises(DataValidationError, match="repeats"):
        ss.mixedlm("y ~ x", d, groups="g")
    d = o["reg"].astype({"g": object})
    d.iat[0, d.columns.get_loc("g")] = [1, 2]
    with pytest.raises(ClusterError, match="not ids"):
        ss.validate_cluster(d, "g")
    with pytest.raises(ClusterError, match="not ids"):
        ss.item_icc(o["likert"].astype({"g": object}).pipe(_listy), ["l1", "l2"], cluster="g")


def _listy(d: pd.DataFrame) -> pd.DataFrame:
    d.iat[0, d.columns.get_loc("g")] = [1, 2]
    return d


def test_panel_id_and_wave_checks(o) -> None:
    p = o["panel"]
    with pytest.raises(DataValidationError, match="same column"):
        ss.clpm(p, ["m", "r"], id="wave", wave="wave")
    with pytest.raises(DataValidationError, match="more than once"):
        ss.riclpm(pd.concat([p, p[["m"]]], axis=1), ["m", "r"], id="id", wave="wave")
    bad = p.astype({"id": object})
    bad.iat[0, 0] = [1, 2]
    with pytest.raises(DataValidationError, match="not ids"):
        ss.clpm(bad, ["m", "r"], id="id", wave="wave")


def test_sem_and_polychoric_repeated_column_names(o) -> None:
    d = pd.concat([o["items"], o["items"][["x1"]]], axis=1)
    with pytest.raises(DataValidationError, match="repeated column names"):
        ss.cfa(pc.HS_MODEL, d)
    lk = o["likert"][["l1", "l2", "l3"]]
    with pytest.raises(DataValidationError, match="repeats"):
        ss.polychoric(pd.concat([lk, lk[["l1"]]], axis=1))


# ------------------------------------------------------------------- tables and figures
def test_tables_refuse_wrong_objects(o) -> None:
    with pytest.raises(OptionError, match="hypotheses="):
        ss.paths_table(o["med"], hypotheses={"H1": "textual ~ visual"})
    with pytest.raises(OptionError, match="hypotheses="):
        ss.paths_table(o["med"], hypotheses=1 + 1j)
    with pytest.raises(OptionError, match="instrument="):
        ss.measurement_table(o["fit"], o["rel"], instrument={})
    with pytest.raises(OptionError, match="add_rows"):
        ss.regression_table([o["ols"]], add_rows={"a": 1})
    with pytest.raises(OptionError, match="add_rows"):
        ss.regression_table([o["ols"]], add_rows=[("FE", 3)])
    junk = o["htmt"].astype(object)
    junk.iat[0, 1] = "abc"
    with pytest.raises(DataValidationError, match="not numbers"):
        ss.discriminant_table(junk, kind="htmt")
    for fn in (ss.reliability, ss.item_statistics, ss.fornell_larcker):
        with pytest.raises(OptionError, match="fit="):
            fn(pc.HS_SPEC, o["items"], fit=b"bytes")
    with pytest.raises(OptionError, match="fit="):
        ss.item_table(o["survey"].data, o["inst"], fit=b"bytes")


def test_tables_take_a_bundled_instrument_name(o) -> None:
    by_name = ss.measurement_table(o["fit"], o["rel"], instrument=pc.INSTRUMENT)
    by_object = ss.measurement_table(o["fit"], o["rel"], instrument=o["inst"])
    assert by_name.to_markdown() == by_object.to_markdown()


def test_figures_refuse_bad_numbers(o) -> None:
    with pytest.raises(OptionError, match="bins=0"):
        ss.plot_bootstrap(o["boot"], "ind", bins=0)
    with pytest.raises(OptionError, match="digits=-1"):
        ss.plot_path(o["med"], digits=-1)
    with pytest.raises(OptionError, match="digits=-1"):
        ss.plot_riclpm(o["riclpm"], digits=-1)
    with pytest.raises(OptionError, match="cfi_cut=inf"):
        ss.plot_invariance(o["ladder"], cfi_cut=float("inf"))
    junk = o["htmt"].astype(object)
    junk.iat[0, 1] = pd.NA
    with pytest.raises(OptionError, match="not numbers"):
        ss.plot_matrix(junk)
    with pytest.raises(OptionError, match="ax="):
        ss.plot_power(o["power"], ax={"a": 1})


# ------------------------------------------------------------------------- second round
def test_cluster_ids_of_mixed_types_are_grouped(o) -> None:
    d = o["reg"].astype({"g": object})
    d.loc[d["g"] == 0, "g"] = "d0"  # one department id is text, the others numbers
    info = ss.validate_cluster(d, "g")
    assert info.n_clusters == 12
    assert sorted(info.sizes.tolist()) == [5] * 12
    out = ss.icc(d, value="y", group="g")
    same = ss.icc(o["reg"], value="y", group="g")  # the same grouping, other labels
    assert out["icc1"] == pytest.approx(same["icc1"], abs=1e-12)
    rw = ss.rwg(o["likert"].assign(g=d["g"]), group="g", value="l1")
    assert len(rw) == 12


def test_group_partial_and_thresholds_types(o) -> None:
    with pytest.raises(OptionError, match="group_partial"):
        ss.cfa(pc.HS_MODEL, o["items"], group_partial=[None])
    with pytest.raises(OptionError, match="thresholds"):
        ss.simulate_data("f =~ .7*x1 + .7*x2 + .7*x3", 20, seed=1, thresholds="", ordered=["x1"])


def test_digits_and_dpi_ranges(o, tmp_path) -> None:
    with pytest.raises(OptionError, match="digits=-1"):
        ss.item_table(o["survey"].data, o["inst"], digits=-1)
    with pytest.raises(OptionError, match="digits="):
        ss.plot_riclpm(o["riclpm"], digits=10**30)
    with pytest.raises(OptionError, match="cfi_cut="):
        ss.plot_invariance(o["ladder"], cfi_cut=10**400)
    with pytest.raises(OptionError, match="dpi=2"):
        ss.save_figure(pc._figure(), tmp_path / "f", formats=["png"], dpi=2)
    for empty in ("", ".", ".."):  # numpy/pathlib's ValueError before (found by the suite)
        with pytest.raises(OptionError, match="path="):
            ss.save_figure(pc._figure(), empty)


def test_labels_must_be_a_mapping_and_reliability_numbers(o) -> None:
    with pytest.raises(OptionError, match="labels="):
        ss.measurement_table(o["fit"], o["rel"], labels=pd.DataFrame())
    with pytest.raises(DataValidationError, match="not numbers"):
        ss.correlation_table(o["items"][["x1", "x2"]], reliability={"x1": "high"})


def test_power_empty_targets() -> None:
    with pytest.raises(OptionError, match="targets"):
        ss.power("y ~ 0.3*x", 30, replications=2, seed=1, targets=[])


def test_invariance_group_with_missing_or_odd_labels(o) -> None:
    spec = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"
    g = o["grouped"].astype({"g": object})
    g.iat[0, g.columns.get_loc("g")] = pd.NA
    with pytest.warns(ss.DroppedDataWarning, match="missing group"):
        res = ss.measurement_invariance(
            spec, g, group="g", levels=("configural", "metric"), partial=False
        )
    ref = ss.measurement_invariance(
        spec, o["grouped"].iloc[1:], group="g", levels=("configural", "metric"), partial=False
    )
    assert res.table()["chisq"].tolist() == pytest.approx(ref.table()["chisq"].tolist())
    g.iat[0, g.columns.get_loc("g")] = [1, 2]
    with pytest.raises(DataValidationError, match="not group labels"):
        ss.measurement_invariance(spec, g, group="g", levels=("configural",), partial=False)


def test_item_table_repeated_item_column(o) -> None:
    d = o["survey"].data
    first = next(str(it.id) for it in o["inst"].items if str(it.id) in d.columns)
    with pytest.raises(DataValidationError, match="more than once"):
        ss.item_table(pd.concat([d, d[[first]]], axis=1), o["inst"])


def test_rmsea_with_a_python_int_beyond_int64() -> None:
    # was numpy's TypeError from an object array (or a NaN power); now a typed error
    with pytest.raises(OptionError, match="df="):
        ss.rmsea_power(10**30, 200, 0.05, 0.08)
    with pytest.raises(OptionError, match="df="):
        ss.rmsea_sample_size(10**30, 0.05, 0.08)
    assert float(ss.rmsea_power(10**9, 200, 0.05, 0.08)) == pytest.approx(1.0)


def test_item_icc_of_one_item_and_of_an_empty_item(o) -> None:
    d = o["likert"]  # 12 clusters of 5, complete: balanced, so the one-item ML is closed-form
    one = ss.item_icc(d, ["l1"], cluster="g").icc
    y, means = d["l1"], d.groupby("g")["l1"].transform("mean")
    n_total, n_clusters = len(d), d["g"].nunique()
    s_within = float(((y - means) ** 2).sum()) / (n_total - n_clusters)
    cluster_means = d.groupby("g")["l1"].mean()
    s_between = float(((cluster_means - y.mean()) ** 2).mean()) - s_within * n_clusters / n_total
    expected = max(s_between, 0.0) / (max(s_between, 0.0) + s_within)
    assert float(one["l1"]) == pytest.approx(expected, abs=1e-6)
    # the pair's between-level matrix is singular at its maximum (a boundary, reported): the
    # items are then no longer separable, so l1's ICC is not the one-item value
    with pytest.warns(ss.ClusterWarning, match="singular"):
        assert ss.item_icc(d, ["l1", "l2"], cluster="g").boundary
    with pytest.raises(DataValidationError, match="no observed value"):
        ss.item_icc(d.assign(l1=np.nan), ["l1", "l2"], cluster="g")


def test_thorough_profile_findings(o, tmp_path) -> None:
    """Found by SS_HYPOTHESIS_PROFILE=thorough: raw TypeError/ValueError/OverflowError before."""
    from synergy_stats.tables.format import fmt_int

    assert fmt_int(float("inf")) == "Inf" and fmt_int(float("-inf")) == "-Inf"
    assert fmt_int(3.0) == "3"
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(OptionError, match="instrument="):
        ss.item_table(o["survey"].data, frame)
    with pytest.raises(OptionError, match="hypotheses="):
        ss.paths_table(o["med"], hypotheses=frame)
    with pytest.raises(OptionError, match="methods="):
        ss.plot_bootstrap(o["boot"], "ind", methods=frame)
