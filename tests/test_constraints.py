"""Explicit ``==`` constraints against lavaan 0.6-14 (frozen), and the ones refused.

Reference: ``tests/data/sem/constraint_reference.json`` by
``tests/reference_scripts/make_constraint_reference.R`` (HS three-factor CFA with
``a == b``, ``a == 0.6``, a chain ``a == b; c == b`` with a ``:=`` of constrained labels,
and ``a1 == a2`` across two schools). Before this, constraints were silently ignored
(``a == b`` gave two different loadings and df 24 instead of 25).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "sem" / "constraint_reference.json").read_text())
HS = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
CASES = [k for k in REF if k != "generator"]


@pytest.mark.parametrize("key", CASES)
def test_constraints_match_lavaan(key: str) -> None:
    case = REF[key]
    kwargs = case["kwargs"] if isinstance(case["kwargs"], dict) else {}
    fit = ss.cfa(case["model"], HS, **kwargs)
    assert fit.df == case["df"]
    assert abs(fit.chisq - case["chisq"]) < 1e-3
    ref = pd.DataFrame(case["estimates"])
    est = fit.estimates()
    if "group" not in est:
        est["group"] = 1
    est.loc[est["op"] == ":=", ["group", "rhs"]] = [0, ""]
    ref["rhs"] = ref["rhs"].fillna("").where(ref["op"] != ":=", "")
    merged = ref.merge(est, on=["lhs", "op", "rhs", "group"], suffixes=("_ref", ""))
    assert len(merged) == len(ref)
    np.testing.assert_allclose(merged["est"], merged["est_ref"], atol=1e-4, rtol=1e-4)
    free = merged["se_ref"].fillna(0) > 1e-8
    np.testing.assert_allclose(
        merged.loc[free, "se"], merged.loc[free, "se_ref"], atol=1e-4, rtol=1e-4
    )


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ("a < b", "inequality constraints are not supported"),
        ("a == 2*b", "'2\\*b' is not a label"),
        ("a == z", "unknown label 'z'"),
        ("1 == 2", "has no parameter label"),
        ("a == 0.5\nb == 0.7\na == b", "two values"),
    ],
)
def test_unsupported_constraints_are_refused_not_ignored(extra: str, match: str) -> None:
    model = "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + x5 + x6\n" + extra
    with pytest.raises(ss.SpecificationError, match=match):
        ss.cfa(model, HS)
