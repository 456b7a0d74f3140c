"""Bootstrap intervals against R's boot::boot.ci on the same replicates and jackknife values.

References: tests/data/inference/boot_ci_*.{csv,json}, made by
tests/reference_scripts/make_inference_reference.R (boot() replicates of four statistics of
the synergy composites, their leave-one-out values, boot's empinf(type = "jack") influence
values, and boot.ci(type = c("norm", "basic", "perc", "bca")) plus bca with zero
acceleration, i.e. the bias-corrected interval).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from synergy_stats.inference import intervals as iv

DATA = Path(__file__).parent / "data" / "inference"
STATS = ["a", "b", "ab", "vratio"]
TOL = 1e-8


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((DATA / "boot_ci_reference.json").read_text())


@pytest.fixture(scope="module")
def draws() -> pd.DataFrame:
    return pd.read_csv(DATA / "boot_ci_draws.csv")


@pytest.fixture(scope="module")
def jack() -> pd.DataFrame:
    return pd.read_csv(DATA / "boot_ci_jackknife.csv")


CASES = [(run, conf, stat) for run in ("plain", "strata") for conf in (95, 90) for stat in STATS]


def _inputs(run, stat, ref, draws, jack):
    t = draws.loc[draws["run"] == run, stat].to_numpy(dtype=float)
    j = jack[jack["run"] == run]
    t0 = ref[run]["conf_95"][stat]["t0"]
    return t, t0, j[f"jack_{stat}"].to_numpy(dtype=float), j["stratum"].to_numpy()


@pytest.mark.parametrize(("run", "stat"), [(r, s) for r in ("plain", "strata") for s in STATS])
def test_jackknife_influence_equals_boot_empinf(run, stat, ref, draws, jack) -> None:
    _, t0, jk, strata = _inputs(run, stat, ref, draws, jack)
    L_r = jack.loc[jack["run"] == run, f"L_{stat}"].to_numpy(dtype=float)
    assert_allclose(iv.jackknife_influence(jk, t0, strata), L_r, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize(("run", "conf", "stat"), CASES)
def test_intervals_equal_boot_ci(run, conf, stat, ref, draws, jack) -> None:
    t, t0, jk, strata = _inputs(run, stat, ref, draws, jack)
    level = conf / 100
    exp = ref[run][f"conf_{conf}"][stat]
    L = iv.jackknife_influence(jk, t0, strata)
    assert_allclose(iv.percentile_interval(t, level), exp["perc"], rtol=TOL, atol=TOL)
    assert_allclose(iv.basic_interval(t, t0, level), exp["basic"], rtol=TOL, atol=TOL)
    assert_allclose(iv.norm_interval(t, t0, level), exp["norm"], rtol=TOL, atol=TOL)
    assert_allclose(iv.bca_interval(t, t0, L, level), exp["bca"], rtol=TOL, atol=TOL)
    assert_allclose(iv.bc_interval(t, t0, level), exp["bc"], rtol=TOL, atol=TOL)


def test_norm_inter_integer_and_extreme_order_statistics() -> None:
    # R = 39: (R + 1) * 0.025 = 1 is an integer order statistic; 0.001 falls below it
    t = np.arange(39.0, 0.0, -1.0)
    assert_allclose(iv.norm_inter(t, [0.025, 0.975, 0.001, 0.9999]), [1.0, 39.0, 1.0, 39.0])


def test_norm_inter_ignores_non_finite_values() -> None:
    t = np.array([np.nan, 3.0, 1.0, np.inf, 2.0])
    assert_allclose(iv.norm_inter(t, [0.25, 0.5, 0.75]), [1.0, 2.0, 3.0])


def test_bc_interval_is_nan_when_all_draws_lie_on_one_side() -> None:
    assert np.isnan(iv.bc_interval(np.arange(1.0, 101.0), 0.0)).all()
