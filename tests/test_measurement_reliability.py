"""Reliability and item statistics against frozen psych 2.2.9 / semTools 0.5-6 output.

References: tests/data/measurement/measurement_reference.json, written by
tests/reference_scripts/make_measurement_reference.R (R is not needed here), and
`hs_reliability` of tests/data/lavaan_reference.json.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import synergy_stats as ss
from synergy_stats.errors import DroppedDataWarning, InstrumentWarning

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "measurement" / "measurement_reference.json").read_text())
LAVAAN = json.loads((DATA / "lavaan_reference.json").read_text())["hs_reliability"]

TOL = 1e-4  # the tolerance for alpha, omega, AVE; closed-form values agree to 1e-12


def _data(case: str) -> pd.DataFrame:
    return pd.read_csv(DATA / REF[case]["data"])


def _spec_with_higher(case: str) -> dict[str, list[str]]:
    spec = {k: list(v) for k, v in REF[case]["constructs"].items()}
    for h, comps in REF[case].get("higher", {}).items():
        del comps
        spec[h] = list(REF[case]["constructs"])
    return spec


@pytest.fixture(scope="module")
def hs_rel() -> pd.DataFrame:
    return ss.reliability(_spec_with_higher("hs"), _data("hs"))


@pytest.fixture(scope="module")
def sim_rel() -> pd.DataFrame:
    return ss.reliability(_spec_with_higher("synergy_sim"), _data("synergy_sim"))


def test_hs_matches_lavaan_reference_file(hs_rel: pd.DataFrame) -> None:
    for c, v in LAVAAN["alpha_psych"].items():
        assert_allclose(hs_rel.loc[c, "alpha"], v, rtol=0, atol=1e-10)
    for c, v in LAVAAN["omega_compRelSEM"].items():
        assert_allclose(hs_rel.loc[c, "omega"], v, rtol=0, atol=TOL)
    for c, v in LAVAAN["ave"].items():
        assert_allclose(hs_rel.loc[c, "ave"], v, rtol=0, atol=TOL)


@pytest.mark.parametrize("case", ["hs", "synergy_sim"])
def test_alpha_feldt_std_alpha(case: str, request: pytest.FixtureRequest) -> None:
    rel = request.getfixturevalue("hs_rel" if case == "hs" else "sim_rel")
    for c, a in REF[case]["alpha"].items():
        assert_allclose(rel.loc[c, "alpha"], a["raw_alpha"], rtol=0, atol=1e-10)
        assert_allclose(rel.loc[c, "alpha_std"], a["std_alpha"], rtol=0, atol=1e-10)
        assert_allclose(rel.loc[c, "alpha_ci_lower"], a["feldt_lower"], rtol=0, atol=1e-10)
        assert_allclose(rel.loc[c, "alpha_ci_upper"], a["feldt_upper"], rtol=0, atol=1e-10)
        assert rel.loc[c, "n"] == a["n_rows"]
        assert rel.loc[c, "n_items"] == len(a["r_drop"])


@pytest.mark.parametrize("case", ["hs", "synergy_sim"])
def test_omega_ave_and_higher_order(case: str, request: pytest.FixtureRequest) -> None:
    rel = request.getfixturevalue("hs_rel" if case == "hs" else "sim_rel")
    ref = REF[case]
    for c in ref["constructs"]:
        assert_allclose(rel.loc[c, "omega"], ref["omega"][c], rtol=0, atol=TOL)
        assert_allclose(rel.loc[c, "ave"], ref["ave"][c], rtol=0, atol=TOL)
        assert rel.loc[c, "kind"] == "factor"
    for h, v in ref["higher"].items():
        assert rel.loc[h, "kind"] == "second_order"
        assert_allclose(rel.loc[h, "omega"], v["omega_higher"], rtol=0, atol=TOL)
        l2 = v["reliabilityL2"]
        assert_allclose(rel.loc[h, "omega_l1"], l2["omegaL1"], rtol=0, atol=TOL)
        assert_allclose(rel.loc[h, "omega_l2"], l2["omegaL2"], rtol=0, atol=TOL)
        assert_allclose(rel.loc[h, "omega_partial_l1"], l2["partialOmegaL1"], rtol=0, atol=TOL)
        assert_allclose(rel.loc[h, "alpha"], v["alpha"]["raw_alpha"], rtol=0, atol=1e-10)
        assert np.isnan(rel.loc[h, "ave"])
    assert rel.attrs["missing"] == "listwise"
    assert rel.attrs["n"] == ref["n_rows"]
    assert rel.attrs["cfa_missing"] == "listwise"


def test_item_statistics_hs() -> None:
    hs = _data("hs")
    spec = REF["hs"]["constructs"]
    it = ss.item_statistics(spec, hs)
    for a in REF["hs"]["alpha"].values():
        for item, v in a["r_drop"].items():
            assert_allclose(it.loc[item, "r_drop"], v, rtol=0, atol=1e-10)
            assert_allclose(
                it.loc[item, "alpha_if_deleted"], a["alpha_if_deleted"][item], atol=1e-10
            )
            assert_allclose(it.loc[item, "mean"], a["mean"][item], rtol=0, atol=1e-10)
            assert_allclose(it.loc[item, "sd"], a["sd"][item], rtol=0, atol=1e-10)
    for item, v in REF["hs"]["skew_type3"].items():
        assert_allclose(it.loc[item, "skew"], v, rtol=0, atol=1e-10)
        assert_allclose(it.loc[item, "kurtosis"], REF["hs"]["kurtosis_type3"][item], atol=1e-10)
    for factor, loads in REF["hs"]["std_loadings"].items():
        for item, v in loads.items():
            assert it.loc[item, "construct"] == factor
            assert_allclose(it.loc[item, "std_loading"], v, rtol=0, atol=TOL)
    it2 = ss.item_statistics(spec, hs, skew_type=2, cfa=False)
    for item, v in REF["hs"]["skew_type2"].items():
        assert_allclose(it2.loc[item, "skew"], v, rtol=0, atol=1e-10)
        assert_allclose(it2.loc[item, "kurtosis"], REF["hs"]["kurtosis_type2"][item], atol=1e-10)
    assert it2["std_loading"].isna().all()


def test_correlated_block_total_omega() -> None:
    # mapping specs have no "correlated" kind; use an instrument-like object
    from synergy_stats.measurement._common import MeasurementSpec

    hs = _data("hs")
    cons = REF["hs"]["constructs"]
    ms = MeasurementSpec(
        factors={k: tuple(v) for k, v in cons.items()},
        correlated={"verbal_speed": ("textual", "speed")},
        order=(*cons, "verbal_speed"),
    )
    rel = ss.reliability(ms, hs)
    ref = REF["hs"]["correlated"]["verbal_speed"]
    assert rel.loc["verbal_speed", "kind"] == "correlated"
    assert_allclose(rel.loc["verbal_speed", "omega"], ref["omega_total"], rtol=0, atol=TOL)
    assert_allclose(rel.loc["verbal_speed", "alpha"], ref["alpha"]["raw_alpha"], atol=1e-10)


class TestMissing:
    """HS with 10% missing values: psych pairwise alpha, listwise, FIML omega/AVE."""

    ref = REF["hs_missing"]

    @pytest.fixture(scope="class")
    def hsm(self) -> pd.DataFrame:
        return pd.read_csv(DATA / REF["hs_missing"]["data"])

    def test_pairwise_alpha_and_fiml_omega(self, hsm: pd.DataFrame) -> None:
        rel = ss.reliability(self.ref["constructs"], hsm, missing="pairwise")
        for c, a in self.ref["alpha_pairwise"].items():
            assert_allclose(rel.loc[c, "alpha"], a["raw_alpha"], rtol=0, atol=1e-10)
            assert_allclose(rel.loc[c, "alpha_std"], a["std_alpha"], rtol=0, atol=1e-10)
            # our n counts the rows with an observed item of the construct (psych: all rows)
            assert rel.loc[c, "n"] == a["n_observed"]
            lo, hi = a["feldt_observed"]["lower.ci"], a["feldt_observed"]["upper.ci"]
            assert_allclose(rel.loc[c, ["alpha_ci_lower", "alpha_ci_upper"]], [lo, hi], atol=1e-10)
            assert_allclose(rel.loc[c, "omega"], self.ref["omega_fiml"][c], rtol=0, atol=TOL)
            assert_allclose(rel.loc[c, "ave"], self.ref["ave_fiml"][c], rtol=0, atol=TOL)
        assert rel.attrs["missing"] == "pairwise"
        assert rel.attrs["cfa_missing"] == "fiml"
        assert rel.attrs["cfa_n"] == self.ref["n_rows"]

    def test_listwise_warns_and_matches(self, hsm: pd.DataFrame) -> None:
        with pytest.warns(DroppedDataWarning, match="175 of 301 rows"):
            rel = ss.reliability(self.ref["constructs"], hsm, missing="listwise")
        assert rel.attrs["n"] == self.ref["n_complete"] == 126
        for c, a in self.ref["alpha_listwise"].items():
            assert_allclose(rel.loc[c, "alpha"], a["raw_alpha"], rtol=0, atol=1e-10)
            assert_allclose(rel.loc[c, "alpha_ci_lower"], a["feldt_lower"], rtol=0, atol=1e-10)
            assert_allclose(rel.loc[c, "omega"], self.ref["omega_listwise"][c], rtol=0, atol=TOL)
            assert_allclose(rel.loc[c, "ave"], self.ref["ave_listwise"][c], rtol=0, atol=TOL)

    def test_fiml_em_covariance(self, hsm: pd.DataFrame) -> None:
        from synergy_stats.measurement._common import covariance, prepare_data

        items = [i for v in self.ref["constructs"].values() for i in v]
        prep = prepare_data(hsm, items, missing="fiml")
        em = np.array(self.ref["em_cov"]["values"])
        assert self.ref["em_cov"]["rownames"] == items
        assert_allclose(covariance(prep), em, rtol=0, atol=1e-5)  # lavaan's EM stops at ~1e-6


class TestExample:
    """The bundled example (wave 1, synergy-execution): 14 factors, 3 second-order, 1 block."""

    ref = REF["example"]

    @pytest.fixture(scope="class")
    def ex(self) -> pd.DataFrame:
        return pd.read_csv(DATA / "measurement" / "example_items.csv")

    @pytest.fixture(scope="class")
    def inst(self) -> object:
        return ss.load_instrument("synergy-execution")

    @pytest.fixture(scope="class")
    def rel(self, ex: pd.DataFrame, inst: object) -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DroppedDataWarning)
            return ss.reliability(inst, ex, recode_reverse=False)

    def test_rows_and_order(self, rel: pd.DataFrame, inst: object) -> None:
        assert list(rel.index) == list(inst.constructs)  # type: ignore[attr-defined]
        assert rel.attrs["n"] == self.ref["n_complete"] == 156
        assert rel.attrs["n_input"] == self.ref["n_rows"]

    def test_first_order(self, rel: pd.DataFrame) -> None:
        for c, a in self.ref["alpha"].items():
            assert_allclose(rel.loc[c, "alpha"], a["raw_alpha"], rtol=0, atol=1e-10)
            assert_allclose(rel.loc[c, "alpha_std"], a["std_alpha"], rtol=0, atol=1e-10)
            assert_allclose(rel.loc[c, "alpha_ci_lower"], a["feldt_lower"], rtol=0, atol=1e-10)
            assert_allclose(rel.loc[c, "alpha_ci_upper"], a["feldt_upper"], rtol=0, atol=1e-10)
            assert_allclose(rel.loc[c, "omega"], self.ref["omega"][c], rtol=0, atol=TOL)
            assert_allclose(rel.loc[c, "ave"], self.ref["ave"][c], rtol=0, atol=TOL)

    def test_higher_order_and_block(self, rel: pd.DataFrame) -> None:
        for h, v in self.ref["higher"].items():
            assert_allclose(rel.loc[h, "omega"], v["omega_higher"], rtol=0, atol=TOL)
            l2 = v["reliabilityL2"]
            assert_allclose(rel.loc[h, "omega_l1"], l2["omegaL1"], rtol=0, atol=TOL)
            assert_allclose(rel.loc[h, "omega_l2"], l2["omegaL2"], rtol=0, atol=TOL)
            assert_allclose(rel.loc[h, "alpha"], v["alpha"]["raw_alpha"], rtol=0, atol=1e-10)
        for b, v in self.ref["correlated"].items():
            assert_allclose(rel.loc[b, "omega"], v["omega_total"], rtol=0, atol=TOL)
            assert_allclose(rel.loc[b, "alpha"], v["alpha"]["raw_alpha"], rtol=0, atol=1e-10)

    def test_item_statistics_without_cfa(self, ex: pd.DataFrame, inst: object) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DroppedDataWarning)
            it = ss.item_statistics(inst, ex, recode_reverse=False, cfa=False)
        for a in self.ref["alpha"].values():
            for item, v in a["r_drop"].items():
                assert_allclose(it.loc[item, "r_drop"], v, rtol=0, atol=1e-10)
                assert_allclose(
                    it.loc[item, "alpha_if_deleted"], a["alpha_if_deleted"][item], atol=1e-10
                )
        for item, v in self.ref["skew_type3"].items():
            assert_allclose(it.loc[item, "skew"], v, rtol=0, atol=1e-10)

    def test_raw_codes_are_recoded_from_the_instrument(self, ex: pd.DataFrame, inst) -> None:
        raw = ex.copy()
        for item in inst.items:
            if item.reverse:
                raw[item.id] = 6 - raw[item.id]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DroppedDataWarning)
            rel = ss.reliability(inst, raw, cfa=False)
            plain = ss.reliability(inst, ex, cfa=False, recode_reverse=False)
        assert sorted(rel.attrs["recoded"]) == sorted(i.id for i in inst.items if i.reverse)
        assert_allclose(rel["alpha"], plain["alpha"], rtol=0, atol=1e-12)
        # not recoding raw codes is caught: the reverse-keyed items correlate negatively
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DroppedDataWarning)
            with pytest.warns(InstrumentWarning, match="correlate negatively"):
                ss.reliability(inst, raw, cfa=False, recode_reverse=False)

    def test_csv_is_the_bundled_example(self, ex: pd.DataFrame) -> None:
        import importlib.util

        path = DATA / "measurement" / "make_example_items.py"
        spec = importlib.util.spec_from_file_location("make_example_items", path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _, current = mod.example_items()
        assert list(current.columns) == list(ex.columns)
        assert_allclose(current.to_numpy(dtype=float), ex.to_numpy(dtype=float), rtol=0, atol=0)


def test_a_fitted_cfa_can_be_passed() -> None:
    hs = _data("hs")
    spec = REF["hs"]["constructs"]
    model = "\n".join(f"{f} =~ " + " + ".join(v) for f, v in spec.items())
    fit = ss.cfa(model, hs)
    rel = ss.reliability(spec, hs, fit=fit)
    it = ss.item_statistics(spec, hs, fit=fit)
    fl = ss.fornell_larcker(spec, hs, fit=fit)
    for c in spec:
        assert_allclose(rel.loc[c, "omega"], REF["hs"]["omega"][c], rtol=0, atol=TOL)
        assert_allclose(fl.loc[c, c] ** 2, REF["hs"]["ave"][c], rtol=0, atol=TOL)
        for item, v in REF["hs"]["std_loadings"][c].items():
            assert_allclose(it.loc[item, "std_loading"], v, rtol=0, atol=TOL)
    assert rel.attrs["cfa_missing"] == "listwise" and rel.attrs["cfa_n"] == 301


def test_em_moments_are_reused_without_sharing_arrays():
    from synergy_stats.measurement._common import em_moments

    rng = np.random.default_rng(5)
    x = rng.normal(size=(60, 4))
    x[rng.random(x.shape) < 0.15] = np.nan
    x[np.isnan(x).all(axis=1), 0] = 0.0
    mu, cov = em_moments(x)
    mu[:] = 99.0
    cov[:] = 99.0
    again_mu, again_cov = em_moments(x.copy())
    assert np.all(again_mu < 99.0) and np.all(again_cov < 99.0)
    y = x.copy()
    y[0, 1] = 5.0 if np.isnan(y[0, 1]) else y[0, 1] + 5.0
    other_mu, _ = em_moments(y)
    assert other_mu[1] != again_mu[1]
