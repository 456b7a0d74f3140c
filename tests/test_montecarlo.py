"""Monte Carlo intervals of defined parameters against semTools::monteCarloCI.

References: tests/data/inference/lavaan_inference_reference.json (semTools 0.5-6,
monteCarloCI with nRep = 2e5, made by tests/reference_scripts/make_inference_reference.R).
Both sides are Monte Carlo estimates: the tolerance is four standard errors of a sample
quantile, sqrt(p (1 - p) / n) / phi(z_p) in SD units, for our 20000 draws.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from synergy_stats.errors import DroppedDataWarning, OptionError, SpecificationError
from synergy_stats.inference import monte_carlo_ci
from synergy_stats.structural.api import sem

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "inference" / "lavaan_inference_reference.json").read_text())


def _tol(sd: float, level: float, n: int) -> float:
    p = (1 - level) / 2
    return 4 * sd * np.sqrt(p * (1 - p) / n) / stats.norm.pdf(stats.norm.ppf(p))


@pytest.fixture(scope="module")
def pd_fit():
    return sem(REF["political_democracy"]["model"], pd.read_csv(DATA / "political_democracy.csv"))


@pytest.fixture(scope="module")
def chain_fit():
    return sem(REF["synergy"]["model"], pd.read_csv(DATA / "synergy_sim_n1000.csv"))


@pytest.mark.parametrize(("key", "level"), [("montecarlo", 0.95), ("montecarlo_90", 0.90)])
def test_political_democracy_agrees_with_semtools(pd_fit, key, level) -> None:
    out = monte_carlo_ci(pd_fit, seed=1, level=level)
    ref = REF["political_democracy"][key]["ci"]
    assert out["lhs"].tolist() == ["ind_via_dem60", "total_ind60"]
    for _, row in out.iterrows():
        r = ref[row["lhs"]]
        assert_allclose(row["est"], r["est"], rtol=1e-5)
        tol = _tol(row["se"], level, 20000)
        assert abs(row["ci_lower"] - r["ci_lower"]) < tol
        assert abs(row["ci_upper"] - r["ci_upper"]) < tol
    assert (out["draws"] == 20000).all()


def test_synergy_chain_agrees_with_semtools(chain_fit) -> None:
    out = monte_carlo_ci(chain_fit, seed=2)
    ref = REF["synergy"]["montecarlo"]["ci"]
    assert len(out) == len(ref)
    for _, row in out.iterrows():
        r = ref[row["lhs"]]
        assert_allclose(row["est"], r["est"], rtol=1e-5)
        tol = _tol(row["se"], 0.95, 20000)
        assert abs(row["ci_lower"] - r["ci_lower"]) < tol
        assert abs(row["ci_upper"] - r["ci_upper"]) < tol


def test_same_seed_same_interval_and_se_near_delta(pd_fit) -> None:
    a = monte_carlo_ci(pd_fit, seed=3, draws=5000)
    b = monte_carlo_ci(pd_fit, seed=3, draws=5000)
    pd.testing.assert_frame_equal(a, b)
    delta = pd_fit.estimates()
    delta_se = delta[delta["op"] == ":="]["se"].to_numpy()
    # the MC SD of a product is close to its delta-method SE (within 10% here)
    assert_allclose(a["se"].to_numpy(), delta_se, rtol=0.10)


def test_non_finite_values_are_counted(pd_fit) -> None:
    model = REF["political_democracy"]["model"] + "\nroot := sqrt(g3 - 0.8)\n"
    fit = sem(model, pd.read_csv(DATA / "political_democracy.csv"))
    with pytest.warns(DroppedDataWarning, match="not finite"):
        out = monte_carlo_ci(fit, seed=4, draws=4000)
    row = out[out["lhs"] == "root"].iloc[0]
    assert 0 < row["draws"] < 4000


def test_bad_input(pd_fit) -> None:
    with pytest.raises(OptionError, match="draws="):
        monte_carlo_ci(pd_fit, draws=1)
    with pytest.raises(OptionError, match="level="):
        monte_carlo_ci(pd_fit, level=1.5)
    cfa = sem("f =~ x1 + x2 + x3", pd.read_csv(DATA / "holzinger_swineford_1939.csv"))
    with pytest.raises(SpecificationError, match="defines no parameter"):
        monte_carlo_ci(cfa)
    no_se = sem(
        REF["political_democracy"]["model"],
        pd.read_csv(DATA / "political_democracy.csv"),
        se=False,
    )
    with pytest.raises(OptionError, match="se=False"):
        monte_carlo_ci(no_se)
