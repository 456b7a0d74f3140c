"""HTMT, Fornell-Larcker and cross-loadings against frozen semTools 0.5-6 / lavaan 0.6-14 output."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import synergy_stats as ss
from synergy_stats.errors import DroppedDataWarning

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "measurement" / "measurement_reference.json").read_text())
LAVAAN = json.loads((DATA / "lavaan_reference.json").read_text())["hs_reliability"]
TOL = 1e-4


def _matrix(frame: pd.DataFrame, ref: dict) -> tuple[np.ndarray, np.ndarray]:
    got = frame.loc[ref["rownames"], ref["colnames"]].to_numpy(dtype=float)
    return got, np.array(ref["values"], dtype=float)


def _case(case: str) -> tuple[dict, pd.DataFrame]:
    if case == "example":
        return REF[case]["constructs"], pd.read_csv(DATA / "measurement" / "example_items.csv")
    return REF[case]["constructs"], pd.read_csv(DATA / REF[case]["data"])


def test_htmt_hs_lavaan_reference_file() -> None:
    spec, data = _case("hs")
    got = ss.htmt(spec, data)
    assert_allclose(got.to_numpy(), np.array(LAVAAN["htmt"]), rtol=0, atol=TOL)


@pytest.mark.parametrize("case", ["hs", "synergy_sim", "example"])
@pytest.mark.parametrize("method", ["geometric", "arithmetic"])
def test_htmt(case: str, method: str) -> None:
    spec, data = _case(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedDataWarning)  # the example: listwise
        got = ss.htmt(spec, data, method=method)
    assert_allclose(*_matrix(got, REF[case][f"htmt_{method}"]), rtol=0, atol=TOL)
    assert got.attrs["method"] == method
    assert got.attrs["n"] == REF[case]["n_complete"]


@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_htmt_missing(missing: str) -> None:
    ref = REF["hs_missing"]
    data = pd.read_csv(DATA / ref["data"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedDataWarning)
        got = ss.htmt(ref["constructs"], data, missing=missing)
    # semTools: htmt(model, data, missing = "ml") uses lavCor's ML estimate
    assert_allclose(*_matrix(got, ref[f"htmt_{missing}"]), rtol=0, atol=TOL)
    assert got.attrs["missing"] == missing
    assert got.attrs["n"] == (ref["n_complete"] if missing == "listwise" else ref["n_rows"])


def test_htmt_bootstrap_ci_is_seeded_and_counts_failures() -> None:
    spec, data = _case("hs")
    a = ss.htmt(spec, data, ci=0.9, n_boot=200, seed=11)
    b = ss.htmt(spec, data, ci=0.9, n_boot=200, seed=11)
    c = ss.htmt(spec, data, ci=0.9, n_boot=200, seed=12)
    lo = pd.DataFrame(a.attrs["ci_lower"]).T.loc[a.index, a.columns]
    hi = pd.DataFrame(a.attrs["ci_upper"]).T.loc[a.index, a.columns]
    assert a.attrs["ci_lower"] == b.attrs["ci_lower"]
    assert a.attrs["ci_lower"] != c.attrs["ci_lower"]
    assert a.attrs["n_boot"] == 200 and a.attrs["n_failed"] == 0
    off = ~np.eye(3, dtype=bool)
    assert (lo.to_numpy()[off] < a.to_numpy()[off]).all()
    assert (hi.to_numpy()[off] > a.to_numpy()[off]).all()
    # the point estimate is unchanged by asking for intervals
    assert_allclose(a.to_numpy(), ss.htmt(spec, data).to_numpy(), rtol=0, atol=0)


@pytest.mark.parametrize("case", ["hs", "synergy_sim"])
def test_fornell_larcker(case: str) -> None:
    spec, data = _case(case)
    got = ss.fornell_larcker(spec, data)
    ref = REF[case]
    corr, expect = _matrix(got, ref["cor_lv"])
    factors = ref["cor_lv"]["rownames"]
    np.fill_diagonal(expect, np.sqrt([ref["ave"][f] for f in factors]))
    assert_allclose(corr, expect, rtol=0, atol=TOL)
    for f in factors:
        others = np.delete(
            np.abs(np.array(ref["cor_lv"]["values"])[factors.index(f)]), factors.index(f)
        )
        assert got.attrs["criterion_met"][f] == bool(np.sqrt(ref["ave"][f]) > others.max())


@pytest.mark.parametrize("case", ["hs", "synergy_sim", "example"])
def test_cross_loadings(case: str) -> None:
    spec, data = _case(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedDataWarning)
        got = ss.cross_loadings(spec, data)
    assert_allclose(*_matrix(got, REF[case]["cross_loadings_mean_score"]), rtol=0, atol=1e-10)
    for factor, items in spec.items():
        assert (got.loc[items, "construct"] == factor).all()
