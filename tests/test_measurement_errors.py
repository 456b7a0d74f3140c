"""Bad input to the measurement functions gets a typed error or warning that names it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.errors import (
    DataValidationError,
    DroppedDataWarning,
    HeywoodWarning,
    OptionError,
    SpecificationError,
)

DATA = Path(__file__).parent / "data"
HS = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
SPEC = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
ITEMS = [i for v in SPEC.values() for i in v]
SPEC_FUNCS = [ss.reliability, ss.item_statistics, ss.htmt, ss.fornell_larcker, ss.cross_loadings]
DATA_FUNCS = [ss.kmo, ss.bartlett, lambda d: ss.efa(d, 2), ss.parallel_analysis]


@pytest.mark.parametrize("func", SPEC_FUNCS)
def test_construct_with_one_item(func) -> None:
    with pytest.raises(SpecificationError, match="'speed' has 1 item"):
        func({**SPEC, "speed": ["x7"]}, HS)


@pytest.mark.parametrize("func", SPEC_FUNCS)
def test_item_in_two_constructs(func) -> None:
    with pytest.raises(SpecificationError, match="'x3' is listed under two constructs"):
        func({**SPEC, "speed": ["x7", "x8", "x3"]}, HS)


def test_spec_shapes() -> None:
    with pytest.raises(SpecificationError, match="list of item names"):
        ss.reliability({"visual": "x1"}, HS)
    with pytest.raises(SpecificationError, match="mixes construct names"):
        ss.reliability({**SPEC, "g": ["visual", "x9"]}, HS)
    with pytest.raises(SpecificationError, match="more than once"):
        ss.reliability({"visual": ["x1", "x1", "x2"]}, HS)
    with pytest.raises(SpecificationError, match="Instrument or a mapping"):
        ss.reliability(["x1", "x2"], HS)
    with pytest.raises(SpecificationError, match="empty"):
        ss.reliability({}, HS)


@pytest.mark.parametrize("func", SPEC_FUNCS)
def test_zero_variance_item(func) -> None:
    data = HS.copy()
    data["x5"] = 3.0
    with pytest.raises(DataValidationError, match=r"\['x5'\] have zero variance"):
        func(SPEC, data)


@pytest.mark.parametrize("func", DATA_FUNCS)
def test_zero_variance_item_data_functions(func) -> None:
    data = HS[ITEMS].copy()
    data["x5"] = 3.0
    with pytest.raises(DataValidationError, match="zero variance"):
        func(data)


@pytest.mark.parametrize("func", DATA_FUNCS)
def test_singular_correlation_matrix(func) -> None:
    data = HS[ITEMS].copy()
    data["total"] = data[["x1", "x2", "x3"]].sum(axis=1)
    with pytest.raises(DataValidationError, match="singular") as err:
        func(data)
    assert "total" in str(err.value) and "x1" in str(err.value)


@pytest.mark.parametrize("func", SPEC_FUNCS)
def test_fewer_rows_than_items(func) -> None:
    with pytest.raises(DataValidationError, match="5 usable rows but 9 items"):
        func(SPEC, HS.head(5))


@pytest.mark.parametrize("func", DATA_FUNCS)
def test_fewer_rows_than_items_data_functions(func) -> None:
    with pytest.raises(DataValidationError, match="5 usable rows but 9 items"):
        func(HS[ITEMS].head(5))


def test_missing_and_non_numeric_columns() -> None:
    with pytest.raises(DataValidationError, match=r"no column\(s\) \['x9'\]"):
        ss.reliability(SPEC, HS.drop(columns="x9"))
    data = HS.copy()
    data["x2"] = data["x2"].astype(str)
    with pytest.raises(DataValidationError, match=r"\['x2'\] are not numeric"):
        ss.reliability(SPEC, data, cfa=False)
    with pytest.raises(DataValidationError, match="pandas DataFrame"):
        ss.reliability(SPEC, HS[ITEMS].to_numpy())
    with pytest.raises(DataValidationError, match="pandas DataFrame"):
        ss.kmo(HS[ITEMS].to_numpy())


def test_options_are_checked() -> None:
    with pytest.raises(OptionError, match="missing='mean'"):
        ss.reliability(SPEC, HS, missing="mean")
    with pytest.raises(OptionError, match="missing='fiml'"):
        ss.cross_loadings(SPEC, HS, missing="fiml")
    with pytest.raises(OptionError, match=r"level=1\.5"):
        ss.reliability(SPEC, HS, level=1.5)
    with pytest.raises(OptionError, match="skew_type=4"):
        ss.item_statistics(SPEC, HS, skew_type=4)
    with pytest.raises(OptionError, match="method='wls'"):
        ss.efa(HS[ITEMS], 3, method="wls")
    with pytest.raises(OptionError, match="rotation='quartimax'"):
        ss.efa(HS[ITEMS], 3, rotation="quartimax")
    with pytest.raises(OptionError, match="n_factors=9"):
        ss.efa(HS[ITEMS], 9)
    with pytest.raises(OptionError, match="n_factors=0"):
        ss.efa(HS[ITEMS], 0)
    with pytest.raises(OptionError, match="ci=95"):
        ss.htmt(SPEC, HS, ci=95)
    with pytest.raises(OptionError, match="method='mean'"):
        ss.htmt(SPEC, HS, method="mean")
    with pytest.raises(OptionError, match="n_iter=0"):
        ss.parallel_analysis(HS[ITEMS], n_iter=0)
    with pytest.raises(OptionError, match="seed='x'"):
        ss.parallel_analysis(HS[ITEMS], seed="x")
    with pytest.raises(OptionError, match="recode_reverse=True needs an Instrument"):
        ss.reliability(SPEC, HS, recode_reverse=True)


def test_rows_are_never_dropped_silently() -> None:
    data = HS.copy()
    data.loc[[0, 5, 9], "x4"] = np.nan
    data.loc[[2], ITEMS] = np.nan
    with pytest.warns(DroppedDataWarning, match="4 of 301 rows"):
        rel = ss.reliability(SPEC, data, cfa=False)
    assert rel.attrs["n"] == 297 and rel.attrs["n_input"] == 301
    with pytest.warns(DroppedDataWarning, match="1 of 301 rows were left out, rows with no"):
        k = ss.kmo(data[ITEMS])
    assert k.n == 300
    original = HS.copy()
    ss.reliability(SPEC, HS, cfa=False)
    pd.testing.assert_frame_equal(HS, original)  # the caller's frame is untouched


def _exact_data(corr: np.ndarray, n: int = 200) -> pd.DataFrame:
    """Data whose sample correlation matrix is exactly `corr`."""
    rng = np.random.default_rng(7)
    z = rng.standard_normal((n, corr.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False)).T)
    x = z @ np.linalg.cholesky(corr).T
    return pd.DataFrame(x, columns=[f"v{j}" for j in range(corr.shape[0])])


def test_heywood_case_warns() -> None:
    # one factor through r12 = r13 = .8, r23 = .5 needs a loading sqrt(.64/.5) > 1 for v0
    corr = np.array(
        [[1, 0.8, 0.8, 0.3], [0.8, 1, 0.5, 0.2], [0.8, 0.5, 1, 0.2], [0.3, 0.2, 0.2, 1]]
    )
    data = _exact_data(corr)
    with pytest.warns(HeywoodWarning, match="v0"):
        res = ss.efa(data, 1, method="pa", rotation="none")
    assert res.communalities["v0"] >= 1


@pytest.mark.parametrize("func", [ss.reliability, ss.item_statistics, ss.fornell_larcker])
def test_singular_correlation_matrix_before_the_cfa(func) -> None:
    data = HS.copy()
    data["x3b"] = 2 * data["x3"]
    spec = {**SPEC, "visual": ["x1", "x2", "x3", "x3b"]}
    with pytest.raises(DataValidationError, match="singular") as err:
        func(spec, data)
    assert "x3b" in str(err.value)
    # alpha itself does not need the inverse
    assert ss.reliability(spec, data, cfa=False).loc["visual", "alpha"] > 0
