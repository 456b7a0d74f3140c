"""EFA, KMO, Bartlett and parallel analysis against frozen psych 2.2.9 output.

psych::fa with fm = "pa", "ml", "minres" and rotate = "none", "varimax", "promax",
"oblimin" (GPArotation 2022.10.2) on Holzinger-Swineford (3 factors), the 16-item synergy
simulation (4 factors) and the bundled example (44 items, 14 factors, pairwise correlations).
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import linear_sum_assignment

import synergy_stats as ss
from synergy_stats.errors import DroppedDataWarning

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "measurement" / "measurement_reference.json").read_text())
CASES = {"hs": 3, "synergy_sim": 4, "example": 14}
FITS = [(m, r) for m in ("pa", "ml", "minres") for r in ("none", "varimax", "promax", "oblimin")]


def _items(case: str) -> pd.DataFrame:
    cons = REF[case]["constructs"]
    items = [i for v in cons.values() for i in v]
    path = (
        DATA / "measurement" / "example_items.csv"
        if case == "example"
        else DATA / REF[case]["data"]
    )
    return pd.read_csv(path)[items]


def _align(got: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reorder and reflect the columns of `got` to best match `ref` (factors are unordered)."""
    k = ref.shape[1]
    cost = -np.abs(np.corrcoef(ref.T, got.T)[:k, k:])
    _, perm = linear_sum_assignment(cost)
    aligned = got[:, perm]
    sign = np.sign((aligned * ref).sum(axis=0))
    sign[sign == 0] = 1
    return aligned * sign, perm, sign


@pytest.fixture(scope="module", params=list(CASES))
def case(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize(("method", "rotation"), FITS)
def test_efa_loadings(case: str, method: str, rotation: str) -> None:
    ref = REF[case]["fa"][f"{method}_{rotation}"]
    res = ss.efa(_items(case), CASES[case], method=method, rotation=rotation)
    expected = np.array(ref["loadings"]["values"])
    assert list(res.loadings.index) == ref["loadings"]["rownames"]
    got, perm, sign = _align(res.loadings.to_numpy(), expected)
    # the criterion: loadings within 1e-3 up to sign and order of factors
    assert_allclose(got, expected, rtol=0, atol=1e-3)
    # measured: principal axes reproduce psych to machine precision; ML and minres to psych's
    # optimiser tolerance
    assert_allclose(got, expected, rtol=0, atol=1e-12 if method == "pa" else 1e-4)
    # psych's own conventions are reproduced too: the same order and signs
    assert list(perm) == list(range(CASES[case])) and (sign > 0).all()
    h2 = np.array(list(ref["communality"].values()))
    assert_allclose(res.communalities.to_numpy(), h2, rtol=0, atol=1e-4)
    assert_allclose(
        res.uniquenesses.to_numpy(), np.array(list(ref["uniquenesses"].values())), rtol=0, atol=1e-4
    )
    assert_allclose(res.common_eigenvalues.to_numpy(), ref["values"], rtol=0, atol=1e-4)
    assert_allclose(res.eigenvalues.to_numpy(), ref["e_values"], rtol=0, atol=1e-10)
    if "phi" in ref:
        phi = res.factor_correlations.to_numpy()[np.ix_(perm, perm)] * np.outer(sign, sign)
        assert_allclose(phi, np.array(ref["phi"]["values"]), rtol=0, atol=1e-4)
        assert_allclose(
            res.structure.to_numpy(), res.loadings.to_numpy() @ res.factor_correlations.to_numpy()
        )
    else:
        assert res.factor_correlations is None
    assert res.n_factors == CASES[case] and res.method == method and res.rotation == rotation


def test_efa_table_and_tidy() -> None:
    res = ss.efa(_items("hs"), 3, method="pa", rotation="oblimin")
    table = res.table(sort=True, cutoff=0.3)
    assert list(table.columns) == ["PA1", "PA2", "PA3", "h2", "u2", "com"]
    assert sorted(table.index) == sorted(res.loadings.index)
    assert table[["PA1", "PA2", "PA3"]].isna().any().any()
    tidy = res.tidy()
    assert len(tidy) == 27 and list(tidy.columns) == ["item", "factor", "loading", "structure"]
    assert_allclose(tidy["loading"].to_numpy(), res.loadings.to_numpy().ravel())
    assert_allclose(
        res.variance.loc["ss_loadings"].sum() / 9, res.variance.loc["cumulative"].iloc[-1]
    )


def test_kmo_bartlett(case: str) -> None:
    ref = REF[case]
    k = ss.kmo(_items(case))
    assert_allclose(k.overall, ref["kmo"]["overall"], rtol=0, atol=1e-10)
    assert_allclose(
        k.items[list(ref["kmo"]["items"])].to_numpy(),
        list(ref["kmo"]["items"].values()),
        rtol=0,
        atol=1e-10,
    )
    b = ss.bartlett(_items(case))
    assert_allclose(b.chisq, ref["bartlett"]["chisq"], rtol=1e-10)
    assert b.df == ref["bartlett"]["df"]
    assert_allclose(b.pvalue, ref["bartlett"]["p_value"], rtol=1e-6, atol=1e-300)
    frame = k.to_frame()
    assert frame.index[-1] == "overall" and frame.loc["overall", "msa"] == k.overall


@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_kmo_bartlett_missing(missing: str) -> None:
    ref = REF["hs_missing"]
    items = [i for v in ref["constructs"].values() for i in v]
    data = pd.read_csv(DATA / ref["data"])[items]
    expect = pytest.warns(DroppedDataWarning) if missing == "listwise" else nullcontext()
    with expect:
        k = ss.kmo(data, missing=missing)
    assert_allclose(k.overall, ref[f"kmo_{missing}"]["overall"], rtol=0, atol=1e-10)
    assert_allclose(k.items.to_numpy(), list(ref[f"kmo_{missing}"]["items"].values()), atol=1e-10)
    if missing == "listwise":
        with pytest.warns(DroppedDataWarning):
            b = ss.bartlett(data, missing="listwise")
        assert_allclose(b.chisq, ref["bartlett_listwise"]["chisq"], rtol=1e-10)
        assert b.n == ref["n_complete"]


def test_parallel_analysis_observed_eigenvalues(case: str) -> None:
    ref = REF[case]["fa_parallel"]
    pa = ss.parallel_analysis(_items(case), n_iter=5, seed=3)
    assert_allclose(pa.table["pc_observed"], ref["pc_values"], rtol=0, atol=1e-10)
    assert_allclose(pa.table["fa_observed"], ref["fa_values"], rtol=0, atol=1e-4)
    assert list(pa.table.index) == list(range(1, len(ref["pc_values"]) + 1))


def test_parallel_analysis_seeded_and_decides() -> None:
    items = _items("synergy_sim")
    a = ss.parallel_analysis(items, n_iter=10, seed=5)
    b = ss.parallel_analysis(items, n_iter=10, seed=5)
    c = ss.parallel_analysis(items, n_iter=10, seed=6)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not np.allclose(a.table["pc_simulated"], c.table["pc_simulated"])
    # four simulated constructs of four items each: psych finds 4 factors and 4 components
    assert a.n_factors == 4 and a.n_components == 4
    # random-data eigenvalues of a correlation matrix average to about 1 and sum to p
    assert_allclose(a.table["pc_simulated"].sum(), 16, rtol=1e-10)
    below = a.table["pc_observed"].to_numpy() > a.table["pc_simulated_q"].to_numpy()
    assert below[: a.n_components].all() and not below[a.n_components]
