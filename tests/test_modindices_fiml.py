"""SEMResult.modification_indices() for FIML fits against lavaan 0.6-14 modindices().

Reference: ``tests/data/sem/modindices_fiml_reference.json`` by
``tests/reference_scripts/make_modindices_reference.R`` (HS three-factor CFA on the 10%
MCAR file, missing="ml": one group, two groups by school, MLR). Every candidate row is
compared; mi and epc within 1e-4 (relative where above 1), sepc_all within 1e-4.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "sem" / "modindices_fiml_reference.json").read_text())
CASES = ["hs_fiml", "hs_fiml_groups", "hs_fiml_mlr"]
KEYS = ["lhs", "op", "rhs", "group"]


def _fit(key: str) -> ss.SEMResult:
    kwargs = dict(REF[key]["kwargs"])
    kwargs["missing"] = "fiml"
    data = pd.read_csv(DATA / REF["data"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ss.cfa(REF["model"], data, **kwargs)


@pytest.mark.parametrize("key", CASES)
def test_fiml_modification_indices_match_lavaan(key: str) -> None:
    ref = pd.DataFrame(REF[key]["table"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours = _fit(key).modification_indices()
    assert list(ours.columns) == ["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all"]
    assert len(ours) == len(ref)
    both = ref.merge(ours, on=KEYS, how="inner", suffixes=("_ref", ""))
    assert len(both) == len(ref)
    for col in ("mi", "epc"):
        r, o = both[f"{col}_ref"].to_numpy(), both[col].to_numpy()
        np.testing.assert_array_less(np.abs(o - r), 1e-4 * np.maximum(1.0, np.abs(r)))
    r, o = both["sepc.all"].to_numpy(), both["sepc_all"].to_numpy()
    ok = np.isfinite(r)
    np.testing.assert_array_equal(np.isfinite(o), ok)
    np.testing.assert_allclose(o[ok], r[ok], rtol=0, atol=1e-4)
    # sorted by mi, as the complete-data table
    assert (np.diff(ours["mi"].to_numpy()) <= 0).all()


def test_fiml_minimum_filters_rows() -> None:
    out = _fit("hs_fiml").modification_indices(minimum=10.0)
    assert len(out) > 0 and (out["mi"] >= 10.0).all()


def test_fiml_on_complete_data_agrees_with_the_complete_data_table() -> None:
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ml = ss.cfa(REF["model"], hs).modification_indices()
        fiml = ss.cfa(REF["model"], hs, missing="fiml").modification_indices()
    both = ml.merge(fiml, on=KEYS, suffixes=("_ml", "_fiml"))
    assert len(both) == len(ml) == len(fiml)
    for col in ("mi", "epc", "sepc_all"):
        r, o = both[f"{col}_ml"].to_numpy(), both[f"{col}_fiml"].to_numpy()
        np.testing.assert_array_less(np.abs(o - r), 1e-4 * np.maximum(1.0, np.abs(r)))
