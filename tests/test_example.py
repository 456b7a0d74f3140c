"""The example generator, the shipped example dataset and the panel data-generating process."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.errors import DroppedDataWarning, OptionError
from synergy_stats.simulate import (
    PanelDGP,
    draw_measurement,
    load_example,
    simulate_example,
    simulate_item_responses,
    simulate_latent_panel,
)
from synergy_stats.simulate.example import EXAMPLE_COVARIATES, example_path
from synergy_stats.simulate.panel import path_matrices, residual_variances

ZH_LABELS = {"非常不同意", "不同意", "一般", "同意", "非常同意", "拒绝回答", "不知道"}
EN_LABELS = {
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
    "Refused",
    "Don't know",
}


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    return simulate_example()


@pytest.fixture(scope="module")
def inst():
    return ss.load_instrument("synergy-execution")


def test_shipped_csv_is_the_generator_output(example):
    shipped = example_path().read_text(encoding="utf-8")
    assert shipped == example.to_csv(index=False, lineterminator="\n")


def test_load_example_equals_simulate_example(example):
    pd.testing.assert_frame_equal(load_example(), example)
    assert ss.load_example().shape == example.shape


def test_columns(example, inst):
    head = ["respondent_id", "wave", "department", "gender", "rank", "tenure_years"]
    assert list(example.columns) == head + [it.aliases[0] for it in inst.items]
    assert example["respondent_id"].dtype == np.int64


def test_panel_structure(example):
    waves = sorted(example["wave"].unique().tolist())
    assert waves == [1, 2, 3]
    ids = {w: set(example.loc[example["wave"] == w, "respondent_id"]) for w in waves}
    assert len(ids[1]) == 450
    assert ids[3] <= ids[2] <= ids[1]  # attrition only, no newcomers
    for w in (2, 3):
        lost = 1 - len(ids[w]) / len(ids[w - 1])
        assert 0.05 <= lost <= 0.15
    assert example["department"].nunique() == 15
    sizes = example.loc[example["wave"] == 1, "department"].value_counts()
    assert sizes.min() >= 3 and sizes.max() >= 3 * sizes.min()  # sizes vary
    # one department and gender per person; tenure grows by one year per wave
    per_person = example.groupby("respondent_id")
    assert (per_person["department"].nunique() == 1).all()
    assert (per_person["gender"].nunique() == 1).all()
    first = example.drop_duplicates(["respondent_id", "wave"]).pivot(
        index="respondent_id", columns="wave", values="tenure_years"
    )
    both = first.dropna()
    assert ((both[2] - both[1]) == 1).all()


def test_one_duplicated_id_wave(example):
    dup = example.duplicated(["respondent_id", "wave"], keep=False)
    assert dup.sum() == 2
    rows = example.loc[dup]
    assert rows["wave"].nunique() == 1
    items = rows.columns[6:]
    differ = [
        c
        for c in items
        if not rows[c].iloc[[0]].equals(rows[c].iloc[[1]].set_axis(rows.index[[0]]))
    ]
    assert len(differ) == 2


def test_messiness(example):
    cells = example.iloc[:, 6:].to_numpy().ravel()
    n = cells.size
    missing_codes = sum(1 for v in cells if v in (8, 9) or v in {"不知道", "拒绝回答"})
    missing_codes += sum(1 for v in cells if v in {"Don't know", "Refused"})
    assert 0.015 <= missing_codes / n <= 0.025
    zh = sum(1 for v in cells if isinstance(v, str) and v in ZH_LABELS)
    en = sum(1 for v in cells if isinstance(v, str) and v in EN_LABELS)
    assert zh > 0 and en > 0
    blanks = sum(1 for v in cells if isinstance(v, float) and np.isnan(v))
    assert 0 < blanks / n < 0.01


def test_planted_bad_values_are_found(example, inst):
    with pytest.warns(DroppedDataWarning, match="6 item values"):
        survey = ss.read_survey(
            example,
            inst,
            id="respondent_id",
            wave="wave",
            group="department",
            covariates=EXAMPLE_COVARIATES,
        )
    counts = ss.validate(inst, survey).counts
    assert counts["out_of_range"] == 3
    assert counts["invalid_value"] == 3
    assert counts["duplicate_id_wave"] == 1
    assert counts["unknown_column"] == counts["missing_item"] == counts["missing_id"] == 0
    assert counts["straight_lining"] >= 3  # three planted on the mechanism block


def test_seeded_and_deterministic():
    a = simulate_example(n_departments=4, n_staff=40, waves=2, seed=5)
    b = simulate_example(n_departments=4, n_staff=40, waves=2, seed=5)
    c = simulate_example(n_departments=4, n_staff=40, waves=2, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a["department"].nunique() == 4
    assert len(a.loc[a["wave"] == 1]) == 40
    one = simulate_example(n_departments=2, n_staff=10, waves=1, seed=1)
    assert one["wave"].unique().tolist() == [1]


@pytest.mark.parametrize(
    "kw",
    [
        {"n_departments": 0},
        {"n_staff": 10},  # fewer than 3 per department
        {"waves": 0},
        {"seed": -1},
        {"seed": 1.5},
        {"n_departments": True},
    ],
)
def test_options_rejected(kw):
    with pytest.raises(OptionError):
        simulate_example(**kw)


# --------------------------------------------------------------------------- the DGP
def test_residual_variances_give_target_variances():
    dgp = PanelDGP()
    b, a = path_matrices(dgp)
    k = b.shape[0]
    m = np.linalg.inv(np.eye(k) - b)
    target = np.array([0.5, 0.6, 0.7, 0.8])
    prev = np.full((k, k), 0.2) + np.diag(np.full(k, 0.3))
    psi = residual_variances(b, target, a=a, previous=prev)
    implied = m @ (a @ prev @ a.T + np.diag(psi)) @ m.T
    np.testing.assert_allclose(np.diag(implied), target, rtol=1e-12)
    with pytest.raises(OptionError, match="explain more"):
        residual_variances(b * 3, target)


def _ols(y: np.ndarray, *xs: np.ndarray) -> np.ndarray:
    x = np.column_stack([np.ones_like(y), *xs])
    return np.linalg.lstsq(x, y, rcond=None)[0][1:]


def test_within_person_paths_are_recovered():
    # no department or person effects: the lagged regressions recover the DGP values
    dgp = PanelDGP(icc=0.0, person_share=0.0)
    n = 40_000
    lat = simulate_latent_panel(dgp, np.zeros(n, dtype=int), 3, seed=11)
    mot, mech, proc, res = (lat[c] for c in ("motivation", "mechanism", "process", "results"))
    for t in range(3):
        for c in (mot, mech, proc, res):
            assert abs(c[:, t].var() - 1.0) < 0.03
    for t in (1, 2):
        got = _ols(mech[:, t], mech[:, t - 1], mot[:, t], res[:, t - 1])
        np.testing.assert_allclose(got, [0.35, 0.45, 0.18], atol=0.02)
        got = _ols(proc[:, t], proc[:, t - 1], mech[:, t], mot[:, t], res[:, t - 1])
        np.testing.assert_allclose(got, [0.35, 0.45, 0.20, 0.15], atol=0.02)
        got = _ols(res[:, t], res[:, t - 1], proc[:, t], mech[:, t])
        np.testing.assert_allclose(got, [0.35, 0.40, 0.20], atol=0.02)


def test_department_and_person_shares():
    dgp = PanelDGP()
    n_dept, per = 600, 40
    dept = np.repeat(np.arange(n_dept), per)
    lat = simulate_latent_panel(dgp, dept, 3, seed=3)
    for c, x in lat.items():
        total = x[:, 1].var()
        assert abs(total - 1.0) < 0.03, c
        means = np.array([x[dept == j, 1].mean() for j in range(n_dept)])
        between = means.var() - (total - means.var()) / per  # ANOVA estimator
        assert abs(between - dgp.icc) < 0.025, c
        # stable parts (department + person) make waves 1 and 3 correlate beyond the lags
        r13 = np.corrcoef(x[:, 0], x[:, 2])[0, 1]
        assert r13 > dgp.icc + dgp.person_share - 0.05


def test_item_layer_signs(inst):
    dgp = PanelDGP(icc=0.0)
    n = 5000
    lat = simulate_latent_panel(dgp, np.zeros(n, dtype=int), 1, seed=2)
    meas = draw_measurement(inst, seed=4, fixed_component_loadings={"implementation_gap": -0.6})
    codes = simulate_item_responses(lat, inst, meas, seed=5)
    assert set(np.unique(codes["env_pressure_1"])) == {1, 2, 3, 4, 5}
    for lam in meas.item_loadings.values():
        assert 0.65 <= lam <= 0.85

    def r(a: str, b: str) -> float:
        return float(np.corrcoef(codes[a].ravel(), codes[b].ravel())[0, 1])

    assert r("env_pressure_1", "env_pressure_2") > 0.3
    assert r("single_dept_difficulty_1", "single_dept_difficulty_3") < -0.2  # reverse-keyed
    assert r("synergy_effect_1", "implementation_gap_1") < 0  # the gap runs against results
    assert r("env_pressure_1", "authority_command_1") > 0  # motivation -> mechanism


@pytest.mark.parametrize(
    "kw",
    [
        {"paths": (("process", "motivation", 0.3),)},
        {"paths": (("motivation", "nowhere", 0.3),)},
        {"icc": 0.6, "person_share": 0.5},
        {"icc": -0.1},
        {"constructs": ("a", "a")},
    ],
)
def test_dgp_rejects_bad_parameters(kw):
    with pytest.raises(OptionError), warnings.catch_warnings():
        PanelDGP(**kw)
