"""The FIML bootstrap refit's shortcuts: pattern batches from the full data, secant steps.

A resample's missing-data patterns are taken from the full data's (``_Patterns``) instead
of being sorted out again; the batches must be exactly those of
:func:`synergy_stats.structural.engine.pattern_batches`. The refits take L-BFGS-corrected
scoring steps (``minimise(memory=)``) that keep the scoring matrix while steps are small;
they must land on the optimum that plain Fisher scoring reaches to a tight tolerance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from synergy_stats.inference.bootstrap import _PatternData, _Patterns, _RefitTask
from synergy_stats.inference.parallel import seed_plan
from synergy_stats.structural.api import sem
from synergy_stats.structural.engine import pattern_batches
from synergy_stats.structural.estimate import RESAMPLE_GRAD_TOL, Objective, minimise

DATA = Path(__file__).parent / "data"
FIELDS = ("miss", "weight", "y", "mask", "case_pattern", "rows", "starts")


@pytest.fixture(scope="module")
def fiml_fit():
    data = pd.read_csv(DATA / "holzinger_swineford_1939_missing10.csv")
    return sem("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", data, missing="fiml")


def test_resample_batches_equal_those_sorted_from_scratch(fiml_fit) -> None:
    raw = fiml_fit.group_data[0].raw
    pats = _Patterns(raw)
    rng = np.random.default_rng(3)
    for idx in [rng.integers(0, raw.shape[0], raw.shape[0]) for _ in range(10)] + [
        np.delete(np.arange(raw.shape[0]), 17)
    ]:
        ours = pats.batches(idx)
        ref = pattern_batches(raw[idx])
        assert len(ours) == len(ref)
        for a, b in zip(ours, ref, strict=True):
            for name in FIELDS:
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_secant_refit_reaches_the_plain_scoring_optimum(fiml_fit) -> None:
    # RESAMPLE_GRAD_TOL puts a refit within about 1e-5 sqrt(N/2) standard errors of the
    # optimum: checked in units of the fit's standard errors (1e-3 SE, 20x the bound)
    task = _RefitTask(fiml_fit, [fiml_fit.group_data[0].raw], mode="bootstrap", measures=False)
    se = np.sqrt(np.diag(fiml_fit.vcov_matrix))
    plan = seed_plan(8)
    for i in range(5):
        x = task._samples(i, plan.rng(i))[0]
        gd = _PatternData.of(x, task.exo_idx)

        def objective(gd: _PatternData = gd) -> Objective:
            return Objective(None, [gd], fiml=True, compiled=task.compiled, partable=task.pt)

        exact = minimise(objective(), task.theta0, grad_tol=1e-11)
        fast = minimise(objective(), task.theta0, grad_tol=RESAMPLE_GRAD_TOL, memory=3)
        assert exact.converged and fast.converged
        assert np.max(np.abs(fast.theta - exact.theta) / se) < 1e-3
        # and the task's own refit (precomputed batches, secant steps) gives the same
        vals, code = task.run(i, plan.rng(i))
        assert code == 0
        assert np.max(np.abs(vals[: fast.theta.size] - exact.theta) / se) < 1e-3


def test_first_step_is_the_scoring_step_of_the_sample(fiml_fit) -> None:
    # the refits start one Fisher-scoring step from the full-sample estimates, computed
    # from casewise scores: it must be the step the sample's own objective gives
    task = _RefitTask(fiml_fit, [fiml_fit.group_data[0].raw], mode="bootstrap", measures=False)
    rng = np.random.default_rng(12)
    idx = rng.integers(0, task.raws[0].shape[0], task.raws[0].shape[0])
    gd = _PatternData.of(task.raws[0][idx], task.exo_idx)
    obj = Objective(None, [gd], fiml=True, compiled=task.compiled, partable=task.pt)
    grad = obj.gradient(task.theta0)
    info = 2.0 * obj.expected_information(task.theta0)
    expected = task.theta0 - np.linalg.solve(info, grad)
    assert np.abs(expected - task.theta0).max() > 1e-3  # a real step
    assert_allclose(task._first_step([idx]), expected, rtol=1e-10, atol=1e-12)


def test_curvature_offset_speeds_up_or_falls_back_but_never_moves_the_optimum(fiml_fit) -> None:
    task = _RefitTask(fiml_fit, [fiml_fit.group_data[0].raw], mode="bootstrap", measures=False)
    assert task._offset is not None  # the full-sample Hessian is positive definite here
    x = task._samples(0, seed_plan(21).rng(0))[0]
    gd = _PatternData.of(x, task.exo_idx)

    def run(offset: np.ndarray | None) -> np.ndarray:
        obj = Objective(None, [gd], fiml=True, compiled=task.compiled, partable=task.pt)
        res = minimise(obj, task.theta0, grad_tol=1e-10, memory=3, curvature_offset=offset)
        assert res.converged
        return res.theta

    exact = run(None)
    assert_allclose(run(task._offset), exact, atol=1e-7)
    # an offset that makes the scoring matrix indefinite is ignored, not used
    bad = -1e3 * np.eye(exact.size)
    assert_allclose(run(bad), exact, atol=1e-7)
