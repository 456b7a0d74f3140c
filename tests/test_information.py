"""SEMResult.information() against lavaan 0.6-14's lavInspect (frozen).

Reference: ``tests/data/sem/information_reference.json`` by
``tests/reference_scripts/make_information_reference.R`` (the HS three-factor CFA: ML,
two groups, FIML with 10% missing, MLR). Tolerance 1e-4 relative to the largest element
(the estimates agree to about 1e-6).
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
REF = json.loads((DATA / "sem" / "information_reference.json").read_text())
CASES = [k for k in REF if k not in ("generator", "model")]
KW = {"group": "group", "missing": "missing", "estimator": "estimator"}


def _fit(key: str) -> ss.SEMResult:
    case = REF[key]
    kwargs = dict(case["kwargs"]) if isinstance(case["kwargs"], dict) else {}
    if kwargs.get("missing") == "ml":
        kwargs["missing"] = "fiml"
    data = pd.read_csv(DATA / case["data"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ss.DroppedDataWarning)
        return ss.cfa(REF["model"], data, **kwargs)


@pytest.mark.parametrize("kind", ["expected", "observed", "first_order", "default"])
@pytest.mark.parametrize("key", CASES)
def test_information_matches_lavinspect(key: str, kind: str) -> None:
    fit = _fit(key)
    ref = np.asarray(REF[key][kind], dtype=float)
    ours = fit.information(kind)
    assert list(ours.index) == list(ours.columns) == fit.parameter_names()
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours.to_numpy(), ref, rtol=0, atol=1e-4 * np.abs(ref).max())


def test_information_is_a_copy_and_checks_its_kind() -> None:
    fit = _fit("hs_ml")
    info = fit.information()
    info.iloc[0, 0] = 1e9
    assert fit.information().iloc[0, 0] != 1e9
    np.testing.assert_allclose(fit.information("first.order"), fit.information("first_order"))
    with pytest.raises(ss.OptionError, match="kind='hessian'"):
        fit.information("hessian")
