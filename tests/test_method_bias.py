"""Common method bias tests against frozen lavaan 0.6-14 / psych 2.2.9 references."""

import json
from pathlib import Path

import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.errors import OptionError, SpecificationError

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "measurement" / "method_bias_reference.json").read_text())
HS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
TR = {"a": ["t1_1", "t1_2", "t1_3"], "b": ["t2_1", "t2_2", "t2_3"], "c": ["t3_1", "t3_2", "t3_3"]}


@pytest.fixture(scope="module")
def hs_result():
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
    with pytest.warns(ss.HeywoodWarning):
        return ss.method_bias(HS, hs)


@pytest.fixture(scope="module")
def marker_result():
    d = pd.read_csv(DATA / "measurement" / "method_bias_marker.csv")
    before = d.copy()
    with pytest.warns(ss.HeywoodWarning):
        out = ss.method_bias(TR, d, marker=["m1", "m2", "m3"])
    pd.testing.assert_frame_equal(d, before)
    return out


@pytest.mark.parametrize("case,key", [("hs", "hs_result"), ("marker", "marker_result")])
def test_harman_efa_matches_psych(case, key, request):
    res = request.getfixturevalue(key)
    ref = REF[case]["harman"]
    for k in ("pca", "pa", "ml"):
        assert res.harman[k] == pytest.approx(ref[k], rel=1e-6)


def test_one_factor_and_trait_cfa(hs_result):
    for name, ref in (("one_factor", "one"), ("trait", "trait")):
        row = hs_result.models.loc[name]
        assert row["chisq"] == pytest.approx(REF["hs"][ref]["chisq"], abs=1e-3)
        assert row["cfi"] == pytest.approx(REF["hs"][ref]["cfi"], abs=1e-4)
    comp = hs_result.comparisons.set_index("model").loc["one_factor"]
    assert comp["delta_df"] == 3
    assert comp["delta_chisq"] == pytest.approx(
        REF["hs"]["one"]["chisq"] - REF["hs"]["trait"]["chisq"], abs=1e-3
    )


def test_ulmc_hs_is_improper_and_reported(hs_result):
    # HS's ULMC is a Heywood case (negative variances); lavaan stops at a nearby optimum
    # (chisq 26.020), our engine at 26.014: only the structure is checked here.
    assert hs_result.models.loc["ulmc", "df"] == 15
    assert set(hs_result.method_variance.index) == {f"x{i}" for i in range(1, 10)}


@pytest.mark.parametrize("name", ["cfa", "baseline", "method_c", "method_u", "method_r"])
def test_williams_marker_models(marker_result, name):
    key = "marker_cfa" if name == "cfa" else name
    row = marker_result.models.loc[key]
    assert row["chisq"] == pytest.approx(REF["marker"][name]["chisq"], abs=1e-3)
    assert row["cfi"] == pytest.approx(REF["marker"][name]["cfi"], abs=1e-4)
    assert row["df"] == REF["marker"][name]["df"]


def test_marker_loadings_and_lindell_whitney(marker_result):
    m = marker_result.marker
    assert m["retained"] == ("method_u" if REF["marker"]["retained_u"] else "method_c")
    for k, v in REF["marker"]["marker_loadings"].items():
        assert m["marker_loadings"][k] == pytest.approx(v, abs=1e-4)
    assert m["r_M"] == pytest.approx(REF["marker"]["r_M"], abs=1e-10)
    lw = m["lindell_whitney"].set_index(["construct_1", "construct_2"])
    r_m = REF["marker"]["r_M"]
    for (a, b), r in zip(
        [("a", "b"), ("a", "c"), ("b", "c")], REF["marker"]["r"].values(), strict=True
    ):
        assert lw.loc[(a, b), "r"] == pytest.approx(r, abs=1e-10)
        assert lw.loc[(a, b), "r_adj"] == pytest.approx((r - r_m) / (1 - r_m), abs=1e-10)
    assert "Lindell-Whitney" in marker_result.summary()
    assert len(marker_result.table()) == 8


def test_errors():
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
    with pytest.raises(OptionError, match="missing"):
        ss.method_bias(HS, hs, missing="pairwise")
    with pytest.raises(SpecificationError, match="marker"):
        ss.method_bias(HS, hs, marker="x1")
    with pytest.raises(SpecificationError, match="at least two"):
        ss.method_bias({"visual": ["x1", "x2", "x3"]}, hs)


def test_method_bias_table_renders(marker_result):
    t = ss.method_bias_table(marker_result)
    md = t.to_markdown()
    assert "Method-R" in md and "Harman" in md
    assert "Method-C" in t.to_latex() and "Method-U" in t.to_html()
    with pytest.raises(OptionError, match="result"):
        ss.method_bias_table("x")


def test_ulmc_that_does_not_converge_is_reported_and_the_rest_kept(monkeypatch):
    # the ULMC model of the bundled 44-item instrument (n = 156 listwise) does not converge;
    # that must not lose Harman's and the marker tests
    from synergy_stats.errors import ConvergenceError
    from synergy_stats.measurement import method_bias as mb

    real = mb._fit

    def failing(syntax, frame, **kw):
        if "method =~" in syntax:
            raise ConvergenceError("the optimiser did not converge (test)")
        return real(syntax, frame, **kw)

    monkeypatch.setattr(mb, "_fit", failing)
    d = pd.read_csv(DATA / "measurement" / "method_bias_marker.csv")
    with pytest.warns(ss.ConvergenceWarning, match="ULMC model .* was not estimated"):
        res = ss.method_bias(TR, d, marker=["m1", "m2", "m3"])
    assert "ulmc" not in res.models.index
    assert {"one_factor", "trait"} <= set(res.models.index)
    assert res.method_variance.empty
    assert res.marker is not None and res.harman is not None


def test_codebook_marker_items_are_the_default_markers(tmp_path, marker_result):
    import yaml

    txt = {"en": "x", "zh": "某"}
    constructs = [{"id": c, "label": txt, "definition": txt} for c in ("a", "b", "c", "m")]
    items = [
        {"id": i, "construct": f, "text": txt}
        for f, v in {**TR, "m": ["m1", "m2", "m3"]}.items()
        for i in v
    ]
    book = {
        "id": "marker-test",
        "version": "1.0",
        "title": txt,
        "default_scale": "agree5",
        "scales": [
            {
                "id": "agree5",
                "points": 5,
                "minimum": 1,
                "maximum": 5,
                "labels": {k: {"en": f"level {k}", "zh": f"等级{k}"} for k in range(1, 6)},
            }
        ],
        "constructs": constructs,
        "items": items,
        "marker_items": ["m1", "m2", "m3"],
    }
    path = tmp_path / "marker.yaml"
    path.write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    inst = ss.load_instrument(path)
    assert inst.marker_items == ("m1", "m2", "m3")
    d = pd.read_csv(DATA / "measurement" / "method_bias_marker.csv")
    with pytest.warns(ss.HeywoodWarning):
        res = ss.method_bias(inst, d)
    assert res.marker is not None and res.marker["items"] == ["m1", "m2", "m3"]
    pd.testing.assert_frame_equal(res.models, marker_result.models)


# --- ULMC on data with a true method factor, where lavaan's solution is proper ----------
ULMC_REF = json.loads((DATA / "measurement" / "ulmc_reference.json").read_text())
ULMC_TRAITS = {t: [f"y{i}_{j}" for j in range(1, 5)] for i, t in enumerate("abc", 1)}


@pytest.fixture(scope="module")
def ulmc_result():
    d = pd.read_csv(DATA / "measurement" / "ulmc_proper.csv")
    before = d.copy()
    out = ss.method_bias(ULMC_TRAITS, d)
    pd.testing.assert_frame_equal(d, before)
    return out


def test_ulmc_proper_matches_lavaan(ulmc_result):
    # the model synergy_stats fits is the one frozen in R (tests/reference_scripts/
    # make_ulmc_reference.R): every loading, variance and covariance, est/se/std_all
    est = ulmc_result.fits["ulmc"].estimates()
    est = est[est["op"].isin(["=~", "~~"])].set_index(["lhs", "op", "rhs"])
    assert len(est) == len(ULMC_REF["params"])
    for p in ULMC_REF["params"]:
        key = (p["lhs"], p["op"], p["rhs"])
        if key not in est.index:  # a covariance may be spelled the other way round
            key = (p["rhs"], p["op"], p["lhs"])
        row = est.loc[key]
        fixed = p["se"] == 0  # lavaan writes se 0 for a fixed value, synergy_stats NaN
        for col in ("est", "std_all") if fixed else ("est", "se", "std_all"):
            assert row[col] == pytest.approx(p[col], abs=1e-4), (key, col)
        if fixed:
            assert row["se"] != row["se"] or row["se"] == 0


def test_ulmc_proper_fit_and_comparison_match_lavaan(ulmc_result):
    for model in ("trait", "ulmc"):
        row = ulmc_result.models.loc[model]
        ref = ULMC_REF[model]
        assert row["chisq"] == pytest.approx(ref["chisq"], abs=1e-3)
        assert row["df"] == ref["df"]
        for k in ("cfi", "tli", "rmsea", "srmr"):
            assert row[k] == pytest.approx(ref[k], abs=1e-4), (model, k)
    comp = ulmc_result.comparisons.set_index("model").loc["ulmc"]
    assert comp["delta_df"] == ULMC_REF["trait"]["df"] - ULMC_REF["ulmc"]["df"] == 12
    assert comp["delta_chisq"] == pytest.approx(
        ULMC_REF["trait"]["chisq"] - ULMC_REF["ulmc"]["chisq"], abs=1e-3
    )
    assert comp["delta_cfi"] == pytest.approx(
        ULMC_REF["ulmc"]["cfi"] - ULMC_REF["trait"]["cfi"], abs=1e-4
    )
    # the method-variance table holds the standardized ULMC loadings of lavaan
    std = {(p["lhs"], p["rhs"]): p["std_all"] for p in ULMC_REF["params"] if p["op"] == "=~"}
    mv = ulmc_result.method_variance
    for item, row in mv.iterrows():
        assert row["method_loading"] == pytest.approx(std[("method", item)], abs=1e-4)
        assert row["trait_loading"] == pytest.approx(std[(row["trait"], item)], abs=1e-4)
