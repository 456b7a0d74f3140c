"""Direct, indirect and total effects against lavaan's := parameters.

References: tests/data/inference/lavaan_inference_reference.json, made by
tests/reference_scripts/make_inference_reference.R. The synergy chain, the political
democracy model and a feedback loop (x4 <-> x5 on the Holzinger-Swineford data) were fitted
in lavaan 0.6-14 with every effect written as a := parameter (for the loop in closed form,
e.g. a1 / (1 - b1 b2)); delta-method estimates and SEs come from parameterEstimates(), the
bootstrap SEs from se = "bootstrap" with 2000 draws, Monte Carlo intervals from
semTools::monteCarloCI with 2e5 draws.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from synergy_stats.errors import OptionError, SpecificationError, SynergyWarning
from synergy_stats.inference import bootstrap, effects, indirect_effects_table
from synergy_stats.structural.api import sem

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "inference" / "lavaan_inference_reference.json").read_text())
CHAIN = """
mot =~ mot1 + mot2 + mot3 + mot4
mech =~ mech1 + mech2 + mech3 + mech4
proc =~ proc1 + proc2 + proc3 + proc4
res =~ res1 + res2 + res3 + res4
mech ~ a*mot
proc ~ b*mech + mot
res ~ c*proc + mech
indirect := a*b*c
"""
# lavaan label -> (source, target, effect, path)
CHAIN_EFFECTS = {
    "indirect": ("mot", "res", "indirect", "mot -> mech -> proc -> res"),
    "ind_mot_mech_proc": ("mot", "proc", "indirect", "mot -> mech -> proc"),
    "ind_mot_mech_res": ("mot", "res", "indirect", "mot -> mech -> res"),
    "ind_mot_proc_res": ("mot", "res", "indirect", "mot -> proc -> res"),
    "tot_mot_proc": ("mot", "proc", "total", ""),
    "tot_mot_res": ("mot", "res", "total", ""),
    "ind_mech_proc_res": ("mech", "res", "indirect", "mech -> proc -> res"),
    "tot_mech_res": ("mech", "res", "total", ""),
}
LOOP_EFFECTS = {
    "tot_x1_x4": ("x1", "x4", "total"),
    "ind_x1_x4": ("x1", "x4", "total_indirect"),
    "tot_x1_x5": ("x1", "x5", "total"),
    "tot_x1_x6": ("x1", "x6", "total"),
    "tot_x2_x4": ("x2", "x4", "total"),
    "tot_x2_x5": ("x2", "x5", "total"),
    "ind_x2_x5": ("x2", "x5", "total_indirect"),
    "tot_x4_x5": ("x4", "x5", "total"),
    "ind_x4_x5": ("x4", "x5", "total_indirect"),
    "tot_x4_x6": ("x4", "x6", "total"),
    "tot_x5_x6": ("x5", "x6", "total"),
    "ind_x5_x6": ("x5", "x6", "total_indirect"),
}


def _lavaan(section: str, kind: str, label: str) -> dict:
    rows = REF[section][kind] if kind == "delta" else REF[section][kind]["estimates"]
    for row in rows:
        if row["op"] == ":=" and row["lhs"] == label:
            return row
    raise KeyError(label)


def _pick(table: pd.DataFrame, source: str, target: str, effect: str, path: str = "") -> pd.Series:
    sel = table[
        (table["source"] == source) & (table["target"] == target) & (table["effect"] == effect)
    ]
    if path:
        sel = sel[sel["path"] == path]
    assert len(sel) == 1, (source, target, effect, path)
    return sel.iloc[0]


@pytest.fixture(scope="module")
def chain_fit():
    return sem(CHAIN, pd.read_csv(DATA / "synergy_sim_n1000.csv"))


@pytest.fixture(scope="module")
def chain_effects(chain_fit) -> pd.DataFrame:
    return effects(chain_fit)


@pytest.fixture(scope="module")
def loop_fit():
    model = "x4 ~ a1*x1 + b1*x5\nx5 ~ b2*x4 + a2*x2\nx6 ~ c*x5"
    return sem(model, pd.read_csv(DATA / "holzinger_swineford_1939.csv"))


@pytest.mark.parametrize("label", sorted(CHAIN_EFFECTS))
def test_delta_method_effects_equal_lavaan(chain_effects, label) -> None:
    source, target, kind, path = CHAIN_EFFECTS[label]
    row = _pick(chain_effects, source, target, kind, path)
    ref = _lavaan("synergy", "delta", label)
    assert_allclose(row["est"], ref["est"], rtol=1e-4)
    assert_allclose(row["se"], ref["se"], rtol=1e-3)
    assert_allclose(
        [row["ci_lower"], row["ci_upper"]], [ref["ci_lower"], ref["ci_upper"]], rtol=1e-3
    )


def test_effect_table_structure(chain_effects) -> None:
    t = chain_effects
    assert list(t.columns) == [
        "group", "source", "target", "effect", "path", "est", "se", "z", "pvalue",
        "ci_lower", "ci_upper", "method",
    ]  # fmt: skip
    # mot -> res: no direct path, three specific indirect paths summing to the total
    mr = t[(t["source"] == "mot") & (t["target"] == "res")]
    assert list(mr["effect"]) == ["indirect", "indirect", "indirect", "total_indirect", "total"]
    specific = mr[mr["effect"] == "indirect"]["est"].sum()
    assert_allclose(specific, _pick(t, "mot", "res", "total")["est"], rtol=1e-12)
    # direct + total indirect = total for every pair
    for _pair, block in t.groupby(["source", "target"]):
        direct = block.loc[block["effect"] == "direct", "est"].sum()
        ind = block.loc[block["effect"] == "total_indirect", "est"].sum()
        assert_allclose(direct + ind, block.loc[block["effect"] == "total", "est"].iloc[0])
    assert (t["method"] == "delta").all()
    assert_allclose(t["pvalue"], 2 * stats.norm.sf(np.abs(t["est"] / t["se"])))


def test_political_democracy_effects_equal_lavaan() -> None:
    fit = sem(REF["political_democracy"]["model"], pd.read_csv(DATA / "political_democracy.csv"))
    t = effects(fit, "ind60", "dem65")
    for label, kind in (("ind_via_dem60", "indirect"), ("total_ind60", "total")):
        ref = _lavaan("political_democracy", "delta", label)
        row = _pick(t, "ind60", "dem65", kind)
        assert_allclose(row["est"], ref["est"], rtol=1e-4)
        assert_allclose(row["se"], ref["se"], rtol=1e-3)


@pytest.mark.parametrize("label", sorted(LOOP_EFFECTS))
def test_feedback_loop_totals_equal_lavaan_closed_form(loop_fit, label) -> None:
    source, target, kind = LOOP_EFFECTS[label]
    with pytest.warns(SynergyWarning, match="feedback loops"):
        t = effects(loop_fit, source, target)
    row = _pick(t, source, target, kind)
    ref = _lavaan("feedback_loop", "delta", label)
    assert_allclose(row["est"], ref["est"], rtol=1e-4)
    assert_allclose(row["se"], ref["se"], rtol=1e-3)
    # no specific path is listed for a pair connected through the loop
    assert not ((t["effect"] == "indirect") & (t["source"] == source)).any()


def test_bootstrap_effect_ses_agree_with_lavaan(chain_fit) -> None:
    boot = bootstrap(chain_fit, draws=2000, seed=99, n_jobs=2, fit_measures=())
    t = effects(chain_fit, ci="bootstrap", boot=boot)
    for label, (source, target, kind, path) in CHAIN_EFFECTS.items():
        row = _pick(t, source, target, kind, path)
        ref = _lavaan("synergy", "bootstrap", label)
        assert_allclose(row["se"], ref["se"], rtol=0.10)
        assert row["ci_lower"] < row["est"] < row["ci_upper"]
    assert t.attrs["draws"] == 2000
    assert set(t["method"]) == {"bootstrap percentile"}
    # the defined parameter's bootstrap interval is the same computation
    est = boot.ci()
    ind = est[est["op"] == ":="].iloc[0]
    row = _pick(t, *CHAIN_EFFECTS["indirect"])
    assert_allclose([row["ci_lower"], row["ci_upper"]], [ind["ci_lower"], ind["ci_upper"]])
    table = indirect_effects_table(chain_fit, boot, method="bc")
    assert list(table.columns) == [
        "label", "est", "se", "ci_lower", "ci_upper", "method", "draws", "failed",
    ]  # fmt: skip
    assert table["label"].tolist() == ["indirect"]
    assert table["method"].iloc[0] == "bootstrap bc" and table["draws"].iloc[0] == 2000


def test_monte_carlo_effects_agree_with_semtools(chain_fit) -> None:
    t = effects(chain_fit, ci="montecarlo", seed=5)
    for label, (source, target, kind, path) in CHAIN_EFFECTS.items():
        row = _pick(t, source, target, kind, path)
        ref = REF["synergy"]["montecarlo"]["ci"][label]
        # quantile Monte Carlo SE with 20000 draws: sqrt(p(1-p)/n)/phi(z_p) in SD units
        tol = 4 * row["se"] * np.sqrt(0.025 * 0.975 / 20000) / stats.norm.pdf(1.96)
        assert abs(row["ci_lower"] - ref["ci_lower"]) < tol
        assert abs(row["ci_upper"] - ref["ci_upper"]) < tol


def test_indirect_table_without_defined_parameters_lists_paths() -> None:
    raw = pd.read_csv(DATA / "synergy_sim_n1000.csv")
    fit = sem(
        "mech ~ mot\nproc ~ mech + mot\nres ~ proc",
        pd.DataFrame(
            {
                k: raw[[f"{k}{i}" for i in range(1, 5)]].mean(axis=1)
                for k in ("mot", "mech", "proc", "res")
            }
        ),
    )
    boot = bootstrap(fit, draws=200, seed=1, fit_measures=())
    table = indirect_effects_table(fit, boot)
    assert set(table["label"]) == {
        "mot -> mech -> proc",
        "mot -> mech -> proc -> res",
        "mot -> proc -> res",
        "mech -> proc -> res",
    }
    assert (table["ci_lower"] < table["est"]).all() and (table["est"] < table["ci_upper"]).all()


def test_bad_input(chain_fit, loop_fit) -> None:
    with pytest.raises(OptionError, match="source='nope'"):
        effects(chain_fit, "nope")
    with pytest.raises(OptionError, match="ci="):
        effects(chain_fit, ci="sobel")
    with pytest.raises(OptionError, match="different fit"):
        effects(chain_fit, ci="bootstrap", boot=bootstrap(loop_fit, draws=3, seed=1))
    cfa = sem("f =~ x1 + x2 + x3", pd.read_csv(DATA / "holzinger_swineford_1939.csv"))
    with pytest.raises(SpecificationError, match="no regression"):
        effects(cfa)
    no_se = sem(CHAIN, pd.read_csv(DATA / "synergy_sim_n1000.csv"), se=False)
    with pytest.raises(OptionError, match="se=False"):
        effects(no_se)


@pytest.fixture(scope="module")
def two_group_fit():
    model = "x4 ~ c(a1, a2)*x1\nx5 ~ c(b1, b2)*x4 + x1\nind1 := a1*b1\nind2 := a2*b2"
    return sem(model, pd.read_csv(DATA / "holzinger_swineford_1939.csv"), group="school")


def test_multigroup_effects_per_group_equal_defined_parameters(two_group_fit) -> None:
    # cross-check with the engine's := delta method (itself checked against lavaan)
    t = effects(two_group_fit, "x1", "x5")
    est = two_group_fit.estimates()
    for g, name in ((1, "ind1"), (2, "ind2")):
        row = t[(t["group"] == g) & (t["effect"] == "indirect")].iloc[0]
        ref = est[est["lhs"] == name].iloc[0]
        assert row["path"] == "x1 -> x4 -> x5"
        assert_allclose([row["est"], row["se"]], [ref["est"], ref["se"]], rtol=1e-8)


def test_bootstrap_bca_effects_equal_bca_of_defined_parameters(two_group_fit) -> None:
    boot = bootstrap(two_group_fit, draws=400, seed=8, n_jobs=2, fit_measures=())
    t = effects(two_group_fit, "x1", "x5", ci="bootstrap", boot=boot, boot_method="bca")
    est = boot.ci(method="bca")
    for g, name in ((1, "ind1"), (2, "ind2")):
        row = t[(t["group"] == g) & (t["effect"] == "indirect")].iloc[0]
        ref = est[est["lhs"] == name].iloc[0]
        assert_allclose(
            [row["se"], row["ci_lower"], row["ci_upper"]],
            [ref["se"], ref["ci_lower"], ref["ci_upper"]],
            rtol=1e-10,
        )
