"""Bootstrap of SEM fits: agreement with lavaan, failure accounting, options and errors.

References: tests/data/inference/lavaan_inference_reference.json, made by
tests/reference_scripts/make_inference_reference.R (lavaan 0.6-14: se = "bootstrap" with
2000 draws, test = "bollen.stine" with 1000 draws, on tests/data/synergy_sim_n1000.csv).
Bootstrap numbers are Monte Carlo quantities; tolerances state the Monte Carlo error.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from synergy_stats.errors import (
    ConvergenceWarning,
    DroppedDataWarning,
    EstimationError,
    OptionError,
    SynergyWarning,
)
from synergy_stats.inference import BootstrapResult, bootstrap
from synergy_stats.inference.bootstrap import _fit_measure_columns, _RefitTask
from synergy_stats.structural.api import sem
from synergy_stats.structural.engine import moments_of

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "inference" / "lavaan_inference_reference.json").read_text())
SYN = REF["synergy"]
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
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def chain_fit():
    return sem(CHAIN, pd.read_csv(DATA / "synergy_sim_n1000.csv"))


@pytest.fixture(scope="module")
def chain_boot(chain_fit) -> BootstrapResult:
    return bootstrap(chain_fit, draws=2000, seed=2024, n_jobs=2)


@pytest.fixture(scope="module")
def fiml_fit():
    # one FIML fit shared by the missing-data tests (the engine's FIML fit takes seconds)
    data = pd.read_csv(DATA / "holzinger_swineford_1939_missing10.csv")
    return sem("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", data, missing="fiml")


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(DATA / "holzinger_swineford_1939.csv")


def _lavaan_boot_se(lhs: str, op: str, rhs: str) -> float:
    for row in SYN["bootstrap"]["estimates"]:
        if (row["lhs"], row["op"], row["rhs"]) == (lhs, op, rhs):
            return float(row["se"])
    raise KeyError((lhs, op, rhs))


# ------------------------------------------------------------------ agreement with lavaan
@pytest.mark.parametrize(
    ("lhs", "op", "rhs"),
    [
        ("mech", "~", "mot"),
        ("proc", "~", "mech"),
        ("res", "~", "proc"),
        ("proc", "~", "mot"),
        ("res", "~", "mech"),
        ("mot", "=~", "mot2"),
        ("mech", "~~", "mech"),
    ],
)
def test_bootstrap_se_agrees_with_lavaan(chain_boot, lhs, op, rhs) -> None:
    # 2000 draws each: the SE of an SD estimate is about SD/sqrt(2R) = 1.6%, so two
    # independent runs differ by more than 10% with negligible probability
    est = chain_boot.ci()
    row = est[(est["lhs"] == lhs) & (est["op"] == op) & (est["rhs"] == rhs)].iloc[0]
    assert_allclose(row["se"], _lavaan_boot_se(lhs, op, rhs), rtol=0.10)


def test_bootstrap_se_of_indirect_agrees_with_lavaan(chain_boot) -> None:
    est = chain_boot.ci()
    row = est[est["op"] == ":="].iloc[0]
    assert row["lhs"] == "indirect"
    assert_allclose(row["se"], _lavaan_boot_se("indirect", ":=", "a*b*c"), rtol=0.10)
    # the interval brackets the estimate and excludes zero, as lavaan's does
    assert row["ci_lower"] < row["est"] < row["ci_upper"]
    assert row["ci_lower"] > 0


def test_draws_hold_parameters_defined_values_and_fit_measures(chain_fit, chain_boot) -> None:
    cols = list(chain_boot.draws.columns)
    K = chain_fit.theta.size
    assert cols[:K] == chain_fit.parameter_names()
    assert cols[K:] == ["indirect", "chisq", "cfi", "rmsea", "srmr"]
    d = chain_boot.draws
    assert_allclose(d["indirect"], d["a"] * d["b"] * d["c"], rtol=1e-12)
    assert chain_boot.n_failed == 0
    assert chain_boot.failed == {"non-convergence": 0, "non-admissible": 0, "error": 0}
    # the bootstrap distribution of the chain's chi-square sits above its df (Bollen-Stine's
    # point: resampling the raw data adds the sample misfit)
    assert d["chisq"].mean() > chain_fit.df


def test_resample_of_the_sample_itself_reproduces_the_engine(chain_fit, hs) -> None:
    # the lean refit on the original rows must give the engine's estimates and fit measures
    fits = [
        chain_fit,
        sem(HS_MODEL, hs, group="school", group_equal=["loadings", "intercepts"]),
        sem(
            "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual ~ ageyr + sex\n"
            "textual ~ visual + ageyr",
            hs,
        ),
    ]
    names = ("chisq", "pvalue", "cfi", "tli", "rmsea", "srmr")
    for fit in fits:
        task = _RefitTask(fit, [g.raw for g in fit._groups], mode="bootstrap", measures=True)
        vals, code = task._run_complete([g.raw for g in fit._groups])
        assert code == 0
        K = fit.theta.size
        assert_allclose(vals[:K], fit.theta, atol=1e-6)
        fm = _fit_measure_columns(fit, vals[None, K:], names)
        ref = fit.fit_measures()
        for name in names:
            assert_allclose(fm[name][0], ref[name], rtol=1e-6, atol=1e-9)


def test_fiml_refit_reproduces_the_engine(fiml_fit) -> None:
    fit = fiml_fit
    task = _RefitTask(fit, [g.raw for g in fit._groups], mode="bootstrap", measures=True)
    vals, code = task._run_fiml([g.raw for g in fit._groups])
    assert code == 0
    K = fit.theta.size
    assert_allclose(vals[:K], fit.theta, atol=1e-6)
    fm = _fit_measure_columns(fit, vals[None, K:], ("chisq", "cfi", "rmsea", "srmr"))
    ref = fit.fit_measures()
    for name in ("chisq", "cfi", "rmsea", "srmr"):
        assert_allclose(fm[name][0], ref[name], rtol=1e-6)


def test_fiml_bootstrap_runs_and_resamples_incomplete_rows(fiml_fit) -> None:
    boot = bootstrap(fiml_fit, draws=6, seed=3, fit_measures=("chisq",))
    assert boot.n_failed == 0
    assert boot.draws["chisq"].notna().all()
    assert np.ptp(boot.draws["visual=~x2"]) > 0


# ------------------------------------------------------------------ reproducibility
def test_same_seed_gives_identical_draws_for_any_n_jobs(chain_fit) -> None:
    one = bootstrap(chain_fit, draws=40, seed=11, n_jobs=1)
    two = bootstrap(chain_fit, draws=40, seed=11, n_jobs=2)
    assert_allclose(one.draws.to_numpy(), two.draws.to_numpy(), rtol=0, atol=0)
    other = bootstrap(chain_fit, draws=40, seed=12)
    assert not np.allclose(one.draws.to_numpy(), other.draws.to_numpy())


def test_seed_none_records_entropy_that_repeats_the_run(chain_fit) -> None:
    first = bootstrap(chain_fit, draws=5, seed=None)
    again = bootstrap(chain_fit, draws=5, seed=first.seed.entropy)
    assert_allclose(first.draws.to_numpy(), again.draws.to_numpy(), rtol=0, atol=0)


@pytest.mark.filterwarnings("ignore::synergy_stats.errors.ConvergenceWarning")
def test_multigroup_resampling_keeps_group_sizes(hs) -> None:
    # (about a quarter of these draws are non-admissible, in lavaan too: 53 of 200)
    fit = sem(HS_MODEL, hs, group="school")
    boot = bootstrap(fit, draws=2, seed=5, n_jobs=1, fit_measures=())
    task = _RefitTask(fit, [g.raw for g in fit._groups], mode="bootstrap", measures=False)
    xs = task._samples(0, boot.seed.rng(0))
    assert [x.shape[0] for x in xs] == [g.n for g in fit._groups]
    # every resampled row of group g comes from group g
    for x, g in zip(xs, fit._groups, strict=True):
        rows = {tuple(r) for r in g.raw}
        assert all(tuple(r) in rows for r in x)


# ------------------------------------------------------------------ failures are kept
@pytest.fixture(scope="module")
def fragile_boot() -> BootstrapResult:
    # a just-identified factor with one near-zero loading on 60 rows: many Heywood draws
    rng = np.random.default_rng(3)
    n = 60
    f = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "y1": 0.9 * f + 0.3 * rng.normal(size=n),
            "y2": 0.9 * f + 0.3 * rng.normal(size=n),
            "y3": 0.1 * f + rng.normal(size=n),
        }
    )
    fit = sem("f =~ y1 + y2 + y3", df)
    with pytest.warns(ConvergenceWarning, match="bootstrap draws failed"):
        return bootstrap(fit, draws=100, seed=1)


def test_failed_draws_stay_as_nan_rows_and_are_counted(fragile_boot) -> None:
    b = fragile_boot
    assert len(b.draws) == 100
    nan_rows = b.draws.isna().all(axis=1)
    assert b.n_failed == int(nan_rows.sum()) > 0
    assert b.failed["non-admissible"] > 0
    assert sum(b.failed.values()) == b.n_failed
    assert (b.status[nan_rows] != "ok").all()
    assert (b.status[~nan_rows] == "ok").all()
    assert b.status.value_counts().drop("ok").to_dict() == {k: v for k, v in b.failed.items() if v}
    # every kept draw is admissible: no negative variance
    kept = b.draws[~nan_rows]
    assert (kept[["y1~~y1", "y2~~y2", "y3~~y3", "f~~f"]] >= 0).all().all()


def test_ci_warns_with_the_number_of_failed_draws(fragile_boot) -> None:
    with pytest.warns(DroppedDataWarning, match=f"{fragile_boot.n_failed} failed draw"):
        est = fragile_boot.ci()
    assert est.attrs["draws_used"] == 100 - fragile_boot.n_failed
    assert est.attrs["failed"] == dict(fragile_boot.failed)


# ------------------------------------------------------------------ Bollen-Stine
def test_bollen_stine_pvalue_agrees_with_lavaan(chain_fit) -> None:
    boot = bootstrap(chain_fit, draws=1000, seed=7, n_jobs=2, bollen_stine=True)
    p_ref = SYN["bollen_stine"]["pvalue"]
    assert boot.kind == "bollen_stine"
    assert_allclose(boot.chisq, SYN["bollen_stine"]["chisq"], rtol=1e-6)
    # both are proportions over 1000 draws: 4 SDs of their difference
    tol = 4 * np.sqrt(2 * p_ref * (1 - p_ref) / 1000)
    assert abs(boot.bollen_stine_pvalue - p_ref) < tol
    with pytest.raises(OptionError, match="Bollen-Stine"):
        boot.ci()


def test_bollen_stine_transformed_data_fit_the_model_exactly(chain_fit) -> None:
    from synergy_stats.inference.bootstrap import _bollen_stine

    z = _bollen_stine(chain_fit)[0]
    implied = chain_fit.implied_cov().to_numpy()
    assert_allclose(moments_of(z).cov, implied, atol=1e-10)
    task = _RefitTask(chain_fit, [z], mode="bootstrap", measures=True)
    vals, code = task._run_complete([z])
    assert code == 0
    assert abs(vals[chain_fit.theta.size]) < 1e-6  # chi-square 0


# ------------------------------------------------------------------ intervals and options
def test_ci_methods_and_levels(chain_boot) -> None:
    perc95 = chain_boot.ci()
    perc90 = chain_boot.ci(level=0.90)
    a95 = perc95[perc95["label"] == "a"].iloc[0]
    a90 = perc90[perc90["label"] == "a"].iloc[0]
    assert a95["ci_lower"] < a90["ci_lower"] < a90["ci_upper"] < a95["ci_upper"]
    for method in ("bc", "norm", "basic"):
        est = chain_boot.ci(method=method)
        row = est[est["label"] == "a"].iloc[0]
        assert row["ci_lower"] < row["est"] < row["ci_upper"]
        assert est.attrs["ci_method"] == method
    fixed = perc95[perc95["se"].isna()]
    assert len(fixed) == 4 and fixed["ci_lower"].isna().all()


def test_bca_uses_jackknife_influence(hs) -> None:
    fit = sem("visual =~ x1 + x2 + x3\nvisual ~ a*ageyr", hs)
    boot = bootstrap(fit, draws=300, seed=4, n_jobs=2)
    est = boot.ci(method="bca")
    jack = boot.jackknife()
    assert jack.shape == (fit.nobs, fit.theta.size)
    row = est[est["label"] == "a"].iloc[0]
    assert row["ci_lower"] < row["est"] < row["ci_upper"]
    # direct check of one interval from the pieces
    from synergy_stats.inference import intervals as iv

    L = iv.jackknife_influence(jack["a"].to_numpy(), row["est"])
    assert_allclose(
        [row["ci_lower"], row["ci_upper"]],
        iv.bca_interval(boot.draws["a"].to_numpy(), row["est"], L),
        rtol=1e-12,
    )


def test_fit_without_standard_errors_bootstraps(chain_fit) -> None:
    # lavaan's se = "none" followed by a bootstrap: the draws give the standard errors
    no_se = sem(CHAIN, pd.read_csv(DATA / "synergy_sim_n1000.csv"), se=False)
    boot = bootstrap(no_se, draws=30, seed=1)
    same = bootstrap(chain_fit, draws=30, seed=1)
    assert_allclose(boot.draws.to_numpy(), same.draws.to_numpy(), rtol=0, atol=0)
    assert boot.ci()["se"].notna().sum() == chain_fit.theta.size + 1


def test_fit_measure_selection_and_progress_callback(chain_fit) -> None:
    calls: list[tuple[int, int]] = []
    boot = bootstrap(
        chain_fit,
        draws=10,
        seed=1,
        fit_measures=("pvalue", "tli"),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert list(boot.draws.columns[-2:]) == ["pvalue", "tli"]
    assert calls[-1] == (10, 10)
    none = bootstrap(chain_fit, draws=3, seed=1, fit_measures=(), progress=False)
    assert none.draws.columns[-1] == "indirect"


def test_progress_is_silent_when_stderr_is_not_a_terminal(chain_fit, capsys) -> None:
    bootstrap(chain_fit, draws=3, seed=1, progress=True)
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------ bad input
def test_draws_below_one_is_an_option_error(chain_fit) -> None:
    for bad in (0, -5, 2.5, True):
        with pytest.raises(OptionError, match="draws="):
            bootstrap(chain_fit, draws=bad)


def test_other_bad_options(chain_fit) -> None:
    with pytest.raises(OptionError, match="fit_measures"):
        bootstrap(chain_fit, draws=2, fit_measures=("gfi",))
    with pytest.raises(OptionError, match="n_jobs"):
        bootstrap(chain_fit, draws=2, n_jobs=0)
    with pytest.raises(OptionError, match="seed"):
        bootstrap(chain_fit, draws=2, seed="abc")
    with pytest.raises(OptionError, match="fit="):
        bootstrap("not a fit", draws=2)
    with pytest.raises(OptionError, match="client"):
        bootstrap(chain_fit, draws=2, client=object())
    boot = bootstrap(chain_fit, draws=3, seed=1)
    with pytest.raises(OptionError, match="method"):
        boot.ci(method="student")
    with pytest.raises(OptionError, match="level"):
        boot.ci(level=95)


def test_non_converged_fit_is_an_estimation_error(chain_fit) -> None:
    stuck = dataclasses.replace(
        chain_fit, optim=dataclasses.replace(chain_fit.optim, converged=False)
    )
    with pytest.raises(EstimationError, match="did not converge"):
        bootstrap(stuck, draws=10)


def test_bollen_stine_with_missing_data_is_refused(fiml_fit) -> None:
    with pytest.raises(OptionError, match="missing data"):
        bootstrap(fiml_fit, draws=2, bollen_stine=True)


def test_model_without_free_parameters_warns(hs) -> None:
    # the engine cannot fit a model without free parameters, so fix every parameter of a
    # fitted one-factor model at its estimate
    fit = sem("visual =~ x1 + x2 + x3", hs)
    pt = fit.partable
    est = fit.estimates()["est"].to_numpy()[: len(pt)]
    fixed_pt = dataclasses.replace(pt, free=np.zeros_like(pt.free), value=est)
    frozen = dataclasses.replace(fit, partable=fixed_pt, theta=np.zeros(0))
    with pytest.warns(SynergyWarning, match="no free parameter"):
        boot = bootstrap(frozen, draws=5, seed=1, fit_measures=("chisq", "srmr"))
    assert list(boot.draws.columns) == ["chisq", "srmr"]
    assert boot.n_failed == 0
    assert boot.draws["chisq"].notna().all() and (boot.draws["chisq"] > 0).all()


def test_progress_bar_draws_on_a_terminal(monkeypatch) -> None:
    import io
    import sys

    from synergy_stats.inference.progress import make_progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    fake = Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    with make_progress(None, 4, "bootstrap") as bar:
        for _ in range(4):
            bar.update()
    drawn = fake.getvalue()
    assert "bootstrap" in drawn and "4/4" in drawn and "100%" in drawn  # tqdm: count, time
    assert drawn.endswith("\n")
    piped = io.StringIO()  # not a terminal: silent
    monkeypatch.setattr(sys, "stderr", piped)
    with make_progress(None, 4, "bootstrap") as bar:
        bar.update(4)
    assert piped.getvalue() == ""
    quiet = Tty()
    monkeypatch.setattr(sys, "stderr", quiet)
    with make_progress(False, 4, "bootstrap") as bar:
        bar.update(4)
    assert quiet.getvalue() == ""
    with pytest.raises(OptionError, match="progress="):
        make_progress("yes", 4, "x")
