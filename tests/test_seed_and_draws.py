"""seed=-1 and bootstrap(draws=1) are typed errors (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.errors import OptionError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def fit():
    df = pd.read_csv(DATA / "synergy_sim_n1000.csv").head(150)
    return ss.sem("f =~ mot1 + mot2 + mot3\ng =~ mech1 + mech2 + mech3\ng ~ a*f\nab := a*1", df)


@pytest.mark.parametrize("seed", [-1, -(2**40), True, 1.5, "1"])
def test_bad_seeds_are_option_errors(fit, seed) -> None:
    with pytest.raises(OptionError, match="seed="):
        ss.bootstrap(fit, draws=2, seed=seed)
    with pytest.raises(OptionError, match="seed="):
        ss.monte_carlo_ci(fit, draws=100, seed=seed)
    items = pd.read_csv(DATA / "synergy_sim_n1000.csv").head(150)
    with pytest.raises(OptionError, match="seed="):
        ss.parallel_analysis(items, seed=seed)


@pytest.mark.parametrize("draws", [1, 0, -5, True, 2.0])
def test_bootstrap_needs_two_draws(fit, draws) -> None:
    with pytest.raises(OptionError, match="draws="):
        ss.bootstrap(fit, draws=draws, seed=1)
