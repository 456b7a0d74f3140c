"""Ordered indicators with exogenous covariates (lavaan conditional.x), step 1.

References: tests/reference_scripts/make_ordinal_condx_reference.R (lavaan 0.6-14).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synergy_stats.errors import DataValidationError
from synergy_stats.ordinal.condx import conditional_polychoric, ordered_probit

DATA = Path(__file__).parent / "data" / "ordinal"
REF = json.loads((DATA / "lavaan_ordinal_condx_reference.json").read_text())


@pytest.mark.parametrize("item", range(9))
def test_probit_thresholds_and_slopes_match_lavaan(item: int) -> None:
    ref = REF["hs_cov_wlsmv_delta"]
    df = pd.read_csv(DATA / "hs_ordinal_cov.csv")
    X = df[["ageyr", "sex"]].to_numpy(float)
    tau, beta = ordered_probit(df[f"x{item + 1}"].to_numpy(), X)
    np.testing.assert_allclose(tau, ref["sample_th"][3 * item : 3 * item + 3], atol=1e-6)
    np.testing.assert_allclose(beta, ref["sample_res_slopes"][item], atol=1e-6)


def test_probit_bad_input_names_the_problem() -> None:
    with pytest.raises(DataValidationError, match="shape"):
        ordered_probit(np.array([1, 2, 3]), np.zeros((2, 1)))
    with pytest.raises(DataValidationError, match="category code"):
        ordered_probit(np.array([1, 3, 3]), np.zeros((3, 1)))


def test_conditional_polychoric_matches_lavaan_res_cov() -> None:
    ref = REF["hs_cov_wlsmv_delta"]
    df = pd.read_csv(DATA / "hs_ordinal_cov.csv")
    X = df[["ageyr", "sex"]].to_numpy(float)
    ys = [df[f"x{i + 1}"].to_numpy() for i in range(9)]
    fits = [ordered_probit(y, X) for y in ys]
    R = np.array(ref["sample_res_cov"])
    for i in range(9):
        for j in range(i):
            r = conditional_polychoric(ys[i], ys[j], X, fits[i], fits[j])
            assert r == pytest.approx(R[i, j], abs=1e-6), (i, j)
