"""The shared cluster-column check (synergy_stats.multilevel.validate_cluster) and its users."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from synergy_stats.errors import ClusterError, ClusterWarning, DroppedDataWarning
from synergy_stats.multilevel import validate_cluster
from synergy_stats.regression import icc, mixedlm, rwg_j

DATA = Path(__file__).parent / "data" / "tables"


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return pd.read_csv(DATA / "multilevel_sample.csv")


def test_missing_ids_error_names_rows(df):
    bad = df.copy()
    bad.loc[[4, 17], "dept"] = np.nan
    with pytest.raises(ClusterError, match=r"2 missing id\(s\), at row\(s\) 4, 17"):
        validate_cluster(bad, "dept")
    with pytest.raises(ClusterError, match="missing_cluster='drop'"):
        icc(bad, value="y", group="dept")
    with pytest.raises(ClusterError, match="groups='dept'"):
        mixedlm("y ~ x", bad, groups="dept")


def test_missing_ids_dropped_when_asked(df):
    bad = df.copy()
    bad.loc[[4, 17], "dept"] = np.nan
    with pytest.warns(DroppedDataWarning, match="2 row"):
        info = validate_cluster(bad, "dept", missing="drop", warn_singletons=False)
    assert info.n_dropped == 2 and info.keep.sum() == len(df) - 2
    with pytest.warns(DroppedDataWarning, match="missing group id"):
        out = icc(bad, value="y", group="dept", missing_cluster="drop")
    ref = icc(df.drop(index=[4, 17]), value="y", group="dept")
    assert_allclose(out["icc1"], ref["icc1"], rtol=1e-12)


def test_singletons_counted_and_reported(df):
    with pytest.warns(ClusterWarning, match="1 of 15 clusters"):
        info = validate_cluster(df, "dept")
    assert info.n_singletons == 1
    assert "1 of size 1" in info.describe()
    assert icc(df, value="y", group="dept")["n_singletons"] == 1


def test_unsorted_and_string_ids_give_the_same_answer(df):
    # the same departments, as shuffled rows with arbitrary integer and string ids
    rng = np.random.default_rng(3)
    shuffled = df.sample(frac=1.0, random_state=5).reset_index(drop=True)
    ids = {
        d: int(v)
        for d, v in zip(sorted(df["dept"].unique()), rng.permutation(900)[:15] + 7, strict=True)
    }
    shuffled["dnum"] = shuffled["dept"].map(ids)
    shuffled["dstr"] = "unit-" + shuffled["dnum"].astype(str)
    ref = icc(df, value="y", group="dept")
    for col in ("dnum", "dstr"):
        out = icc(shuffled, value="y", group=col)
        assert_allclose(out[["icc1", "icc2", "msb"]], ref[["icc1", "icc2", "msb"]], rtol=1e-12)
    a = rwg_j(df, items=["i1", "i3"], group="dept")
    b = rwg_j(shuffled, items=["i1", "i3"], group="dstr")
    lookup = {f"unit-{v}": k for k, v in ids.items()}
    b.index = [lookup[i] for i in b.index]
    assert_allclose(b.sort_index()["rwg_j"], a.sort_index()["rwg_j"], rtol=1e-12)


def test_absent_column_and_too_few_clusters(df):
    with pytest.raises(ClusterError, match="cluster='nope' is not a column"):
        validate_cluster(df, "nope")
    one = df.assign(c="a")
    with pytest.raises(ClusterError, match="1 cluster"):
        validate_cluster(one, "c")
