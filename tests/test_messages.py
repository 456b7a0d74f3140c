"""Messages that name the real problem (issue 11)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.errors import DataValidationError, InstrumentError, OptionError

HS = pd.read_csv(Path(__file__).parent / "data" / "holzinger_swineford_1939.csv")
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"


def test_collinear_items_are_named_not_blamed_on_starting_values() -> None:
    df = HS.assign(x6=HS["x4"] + HS["x5"])
    with pytest.raises(DataValidationError, match=r"collinear") as err:
        ss.sem(MODEL, df)
    assert "starting values" not in str(err.value)
    assert all(x in str(err.value) for x in ("x4", "x5", "x6"))


def test_an_all_missing_column_is_not_called_constant() -> None:
    df = HS.assign(x3=np.nan)
    with pytest.raises(DataValidationError, match="no observed value") as err:
        ss.sem(MODEL, df, missing="fiml")
    assert "constant" not in str(err.value)


@pytest.mark.parametrize("name", ["std_lv", "auto", "fixed_x", "se", "meanstructure"])
@pytest.mark.parametrize("value", ["yes", 1, 0.0])
def test_boolean_options_are_checked(name, value) -> None:
    with pytest.raises(OptionError, match=f"{name}="):
        ss.sem(MODEL, HS, **{name: value})


@pytest.mark.parametrize("points", [10**7, 10**9, 102])
def test_huge_scales_are_refused_fast_with_a_short_message(points) -> None:
    inst = ss.load_instrument("synergy-execution").to_dict()
    inst["scales"][0]["points"] = points
    with pytest.raises(InstrumentError, match="at most 101 points") as err:
        ss.Instrument.from_dict(inst)
    assert len(str(err.value)) < 2000
