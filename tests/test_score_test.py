"""SEMResult.score_test against lavaan 0.6-14's lavTestScore (release= and add=).

Reference: tests/data/sem/score_test_reference.json, written by
tests/reference_scripts/make_score_test_reference.R (HolzingerSwineford1939: two-group
equal loadings and intercepts, labels with an explicit constraint, a label fixed by
``d == 1.2``, added cross-loadings and residual covariances, FIML on the 10% missing copy).
Tolerances: X2 within 1e-4, df exact (expected and first-order information). With
``information="observed"`` lavaan differentiates
its gradient numerically (ours is analytic): X2 within 1e-4 or 1e-5 relative.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from synergy_stats.errors import OptionError, SpecificationError
from synergy_stats.panel.invariance import _families
from synergy_stats.structural.api import cfa
from synergy_stats.structural.results import SEMResult
from synergy_stats.structural.scoretest import release_score_tests

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "sem" / "score_test_reference.json").read_text())


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return {
        "listwise": pd.read_csv(DATA / "holzinger_swineford_1939.csv"),
        "fiml": pd.read_csv(DATA / "holzinger_swineford_1939_missing10.csv"),
    }


_FITS: dict[str, SEMResult] = {}


def _fit(case: str, frames: dict[str, pd.DataFrame]) -> SEMResult:
    if case not in _FITS:
        c = REF[case]
        _FITS[case] = cfa(
            c["model"],
            frames[c["missing"]],
            group=c.get("group"),
            group_equal=c.get("group_equal", []),
            missing=c["missing"],
            estimator=c.get("estimator", "ML"),
        )
    return _FITS[case]


def _check(got: Any, ref: dict[str, Any], *, rtol: float = 0.0) -> None:
    assert got.df == ref["test"]["df"]
    assert_allclose(got.x2, ref["test"]["X2"], atol=1e-4, rtol=rtol)
    assert_allclose(got.test["pvalue"].iloc[0], ref["test"]["pvalue"], atol=1e-5)
    # jsonlite writes a one-element vector as a scalar
    assert list(got.uni["df"]) == list(np.atleast_1d(ref["uni"]["df"]))
    assert_allclose(got.uni["x2"], np.atleast_1d(ref["uni"]["X2"]), atol=1e-4, rtol=rtol)
    assert list(got.uni["op"]) == ["=="] * len(got.uni)


RELEASE_CASES = ["mg_loadings", "mg_scalar", "mg_loadings_mlr", "labels", "pinned"]


@pytest.mark.parametrize("case", [*RELEASE_CASES, "fiml_mg_loadings"])
def test_constraints_are_lavaans_in_lavaans_order(case, frames):
    fit = _fit(case, frames)
    pt = fit.partable
    ours = fit.equality_constraints()
    ref = REF[case]["constraints"]
    assert len(ours) == len(ref)
    from synergy_stats.structural.scoretest import equality_constraints

    for con, r in zip(equality_constraints(fit), ref, strict=True):
        sides = [r["left"], r["right"]]
        rows = [(pt.lhs[i], pt.op[i], pt.rhs[i], int(pt.group[i])) for i in con.rows]
        want = [(s["lhs"], s["op"], s["rhs"], s["group"]) for s in sides if "lhs" in s]
        assert rows == want, (con, r)
        if "value" in r["right"]:
            assert float(con.rhs) == r["right"]["value"]


@pytest.mark.parametrize("case", [*RELEASE_CASES, "fiml_mg_loadings"])
def test_release_all_matches_lavtestscore(case, frames):
    _check(_fit(case, frames).score_test(), REF[case]["all"])


def test_release_some_by_number_and_by_text(frames):
    fit = _fit("mg_loadings", frames)
    by_number = fit.score_test(release=[2, 5])
    _check(by_number, REF["mg_loadings"]["release_2_5"])
    texts = [
        f"{a} == {b}" for a, b in fit.equality_constraints()[["lhs", "rhs"]].iloc[[1, 4]].values
    ]
    by_text = fit.score_test(release=texts)
    assert_allclose(by_text.x2, by_number.x2, rtol=1e-12)
    _check(_fit("labels", frames).score_test(release=1), REF["labels"]["release_1"])
    assert list(_fit("labels", frames).score_test(release="b == c").uni["lhs"]) == ["b"]


def test_release_with_observed_information(frames):
    got = _fit("mg_loadings", frames).score_test(information="observed")
    _check(got, REF["mg_loadings"]["observed"], rtol=1e-5)


@pytest.mark.parametrize(
    ("case", "sub"),
    [
        ("add_single", "add_one"),
        ("add_single", "add_two"),
        ("add_mg", "add"),
        ("fiml_add_single", "add_two"),
    ],
)
def test_add_matches_lavtestscore(case, sub, frames):
    ref = REF[case][sub]
    got = _fit(case, frames).score_test(add=ref["add"])
    _check(got, ref)
    assert list(got.uni["lhs"]) == list(np.atleast_1d(ref["uni"]["lhs"]))
    assert list(got.uni["rhs"]) == list(np.atleast_1d(ref["uni"]["rhs"]))


def test_add_with_observed_information(frames):
    # lavaan's univariate tests under the observed information are negative here; so are ours
    ref = REF["add_single"]["observed"]
    got = _fit("add_single", frames).score_test(add=ref["add"], information="observed")
    _check(got, ref, rtol=1e-5)
    assert (got.uni["x2"] < 0).all()


def test_add_accepts_lavaan_syntax_in_one_string(frames):
    fit = _fit("add_single", frames)
    one = fit.score_test(add="visual =~ x9\nx7 ~~ x8")
    assert_allclose(one.x2, REF["add_single"]["add_two"]["test"]["X2"], atol=1e-4)


def test_release_score_tests_is_the_same_mechanism(frames):
    # the invariance search's family tests equal score_test's univariate tests
    fit = _fit("mg_loadings", frames)
    fams = {f.relation: f.rows for f in _families(fit, "loadings", "group", "_w", {})}
    cons = fit.equality_constraints()
    rel = [f"{a.split('=~')[0]} =~ {a.split('=~')[1]}" for a in cons["lhs"]]
    got = release_score_tests(fit, [fams[r] for r in rel])
    assert_allclose([s for s, _ in got], REF["mg_loadings"]["all"]["uni"]["X2"], atol=1e-4)


def test_the_fit_is_not_changed(frames):
    fit = _fit("mg_loadings", frames)
    before = fit.estimates()
    fit.score_test(add="visual =~ x9")
    fit.score_test()
    pd.testing.assert_frame_equal(fit.estimates(), before)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"release": 7}, OptionError, "out of range"),
        ({"release": 0}, OptionError, "out of range"),
        ({"release": "a == b"}, OptionError, "not a constraint"),
        ({"release": [1, 1]}, OptionError, "twice"),
        ({"release": []}, OptionError, "names no constraint"),
        ({"release": 1.5}, OptionError, "neither"),
        ({"release": 1, "add": "visual =~ x9"}, OptionError, "together"),
        ({"information": "robust"}, OptionError, "information"),
        ({"add": "visual =~ q1"}, SpecificationError, "q1"),
        ({"add": "visual =~ x1"}, SpecificationError, "already"),
        ({"add": "x1 =~ x2"}, SpecificationError, "not latent"),
        ({"add": "x1 ~~ x2\na := 1"}, OptionError, "parameters only"),
        ({"add": 3}, OptionError, "add"),
    ],
)
def test_bad_arguments_raise_typed_errors(kwargs, error, match, frames):
    with pytest.raises(error, match=match):
        _fit("mg_loadings", frames).score_test(**kwargs)


def test_no_constraints_to_release(frames):
    fit = _fit("add_single", frames)
    assert fit.equality_constraints().empty
    with pytest.raises(SpecificationError, match="no equality constraints"):
        fit.score_test()
    with pytest.raises(SpecificationError, match="mean structure"):
        fit.score_test(add="x1 ~ 1")


def test_pvalues_are_chi_square_tails(frames):
    got = _fit("mg_scalar", frames).score_test()
    from scipy import stats

    assert_allclose(got.uni["pvalue"], stats.chi2.sf(got.uni["x2"], 1), rtol=1e-12)
    assert np.isfinite(got.uni["x2"]).all()


def test_first_order_information(frames):
    got = _fit("mg_loadings", frames).score_test(information="first.order")
    _check(got, REF["mg_loadings"]["first_order"])
    ref = REF["add_single"]["first_order"]
    _check(_fit("add_single", frames).score_test(add=ref["add"], information="first_order"), ref)


def test_a_modification_index_is_the_univariate_score_test_of_adding_it(frames):
    # lavaan: modindices()'s mi equals lavTestScore(add = ...)'s univariate X2
    fit = _fit("add_single", frames)
    mi = fit.modification_indices().query("lhs == 'visual' and op == '=~' and rhs == 'x9'")
    want = REF["add_single"]["modindices"]["mi"]
    assert_allclose(mi["mi"], [want], atol=1e-4)
    assert_allclose(fit.score_test(add="visual =~ x9").x2, want, atol=1e-4)
