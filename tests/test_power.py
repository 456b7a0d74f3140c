"""Monte Carlo power: agreement with analytic power and nominal coverage, targets, engines,
identical results across back ends, resumable checkpoints (all seeded)."""

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import synergy_stats as ss
from synergy_stats.simulate.power import LRT, Wald

pytestmark = pytest.mark.filterwarnings("ignore::synergy_stats.errors.ConvergenceWarning")

MED = """
m ~ a*x
y ~ b*m + 0.1*x
ab := a*b
"""
MED_POP = """
m ~ 0.3*x
y ~ 0.3*m + 0.1*x
"""


def test_single_path_power_matches_the_z_test():
    # y ~ 0.2*x with unit variances: the slope's SE is 1/sqrt(n), so the two-sided z-test
    # has power Phi(0.2 sqrt(n) - z) + Phi(-0.2 sqrt(n) - z)
    res = ss.power("y ~ 0.2*x", [100, 200], replications=2000, seed=1)
    tab = res.table().set_index("n")
    z = norm.isf(0.025)
    for n in (100, 200):
        d = 0.2 * math.sqrt(n)
        analytic = norm.cdf(d - z) + norm.cdf(-d - z)
        mc = tab.loc[n, "power"]
        mcse = math.sqrt(analytic * (1 - analytic) / 2000)
        assert abs(mc - analytic) < 3 * mcse, (n, mc, analytic)
        assert tab.loc[n, "replications"] == 2000 and tab.loc[n, "converged"] == 1.0
    assert res.population_values == (0.2,)


def test_ml_coverage_in_a_correct_cfa():
    model = "f =~ .7*x1 + .6*x2 + .8*x3 + .5*x4"
    targets = ["f =~ x1", "f =~ x2", "f =~ x3", "f =~ x4", "x2 ~~ x2"]
    res = ss.power(model, 300, replications=1000, seed=2, targets=targets)
    tab = res.table()
    mcse = math.sqrt(0.95 * 0.05 / 1000)
    assert (tab["coverage"] - 0.95).abs().max() < 3 * mcse, tab[["target", "coverage"]]
    # ML estimates nearly unbiased, SEs close to the SD of the estimates
    assert tab["rel_bias"].abs().max() < 0.03
    assert tab["se_sd"].between(0.9, 1.1).all()


def test_table_columns_and_failures_kept():
    res = ss.power("f =~ .5*x1 + .5*x2 + .5*x3", 40, replications=100, seed=3, targets=["f =~ x1"])
    tab = res.table()
    assert list(tab.columns) == [
        "n",
        "target",
        "population",
        "mean_est",
        "bias",
        "rel_bias",
        "sd_est",
        "mean_se",
        "se_sd",
        "coverage",
        "power",
        "power_mcse",
        "replications",
        "converged",
        "admissible",
    ]
    raw = res.raw
    assert len(raw) == 100  # every replication kept, failed or not
    shares = (raw["status"] == 0).mean()
    assert tab.loc[0, "admissible"] == pytest.approx(shares)
    assert tab.loc[0, "admissible"] < 1.0  # small n: some Heywood cases, counted
    good = raw[raw.status == 0]
    assert tab.loc[0, "mean_est"] == pytest.approx(good.est.mean())
    assert tab.loc[0, "power"] == pytest.approx(good.reject.mean())


def test_indirect_effect_intervals_and_tests():
    common = dict(analysis=MED, replications=150, seed=4, targets=["ab", "a", "chisq"])
    delta = ss.power(MED_POP, 150, ci="delta", **common).table().set_index("target")
    mc = ss.power(MED_POP, 150, ci="montecarlo", ci_draws=500, **common).table().set_index("target")
    assert delta.loc["ab", "population"] == pytest.approx(0.09, abs=1e-6)
    # same replications: same estimates; the tests of ab differ only by the interval method
    assert delta.loc["ab", "mean_est"] == pytest.approx(mc.loc["ab", "mean_est"])
    assert delta.loc["a", "power"] == mc.loc["a", "power"]
    assert 0.5 < mc.loc["ab", "power"] < 1 and 0.5 < delta.loc["ab", "power"] < 1
    assert mc.loc["ab", "coverage"] > 0.85
    # chi-square of a correct model: rejection near alpha
    assert delta.loc["chisq", "power"] < 0.12
    boot = ss.power(
        MED_POP,
        150,
        analysis=MED,
        replications=20,
        seed=4,
        targets=["ab"],
        ci="bootstrap",
        ci_draws=100,
    ).table()
    assert boot.loc[0, "mean_est"] == pytest.approx(
        ss.power(MED_POP, 150, analysis=MED, replications=20, seed=4, targets=["ab"])
        .table()
        .loc[0, "mean_est"]
    )
    assert np.isfinite(boot.loc[0, "coverage"])


def test_lrt_and_wald_agree_with_the_z_test_of_one_path():
    restricted = MED.replace("b*m", "0*m").replace("ab := a*b\n", "")
    res = ss.power(
        MED_POP,
        [100, 200],
        analysis=MED.replace("ab := a*b\n", ""),
        replications=300,
        seed=5,
        targets=["b", LRT("lrt_b", restricted), Wald("wald_b", ("b",))],
    )
    tab = res.table().pivot(index="n", columns="target", values="power")
    # one restriction: LRT, Wald and z test are asymptotically the same test
    assert (tab["wald_b"] - tab["b"]).abs().max() == 0
    assert (tab["lrt_b"] - tab["b"]).abs().max() < 0.03
    assert tab.loc[200, "b"] > tab.loc[100, "b"]


def test_sample_size_grid_and_interpolation():
    res = ss.power("y ~ 0.2*x", [50, 100, 150, 200, 300], replications=300, seed=6)
    tab = res.table().set_index("n")["power"]
    out = res.sample_size(0.8).iloc[0]
    first = next(n for n in tab.index if tab[n] >= 0.8)
    assert out["n_grid"] == first
    k = list(tab.index).index(first)
    lo = tab.index[k - 1]
    expect = lo + (0.8 - tab[lo]) * (first - lo) / (tab[first] - tab[lo])
    assert out["n_interpolated"] == pytest.approx(expect)
    assert lo < out["n_interpolated"] <= first
    with pytest.raises(ss.OptionError, match="target"):
        res.sample_size(0.8, target="nope")


def test_multiple_groups():
    res = ss.power(
        "y ~ c(0.1, 0.5)*x",
        400,
        replications=60,
        seed=7,
        group_shares=[0.5, 0.5],
        targets=["y ~ x"],
    )
    tab = res.table()
    assert tab.loc[0, "population"] == pytest.approx(0.1)
    assert tab.loc[0, "converged"] == 1.0


def test_missing_data_uses_fiml():
    res = ss.power(
        "y ~ 0.3*x",
        150,
        replications=30,
        seed=8,
        data_options={"missing": 0.1},
        fit_options={"missing": "fiml"},
    )
    tab = res.table()
    assert tab.loc[0, "converged"] == 1.0 and abs(tab.loc[0, "mean_est"] - 0.3) < 0.06


def test_bad_arguments():
    with pytest.raises(ss.OptionError, match="replications"):
        ss.power("y ~ 0.2*x", 100, replications=0, seed=1)
    with pytest.raises(ss.OptionError, match="target"):
        ss.power("y ~ 0.2*x", 100, replications=5, seed=1, targets=["z ~ q"])
    with pytest.raises(ss.OptionError, match="int seed"):
        ss.power("y ~ 0.2*x", 100, replications=5, checkpoint="x.parquet")
    with pytest.raises(ss.OptionError, match="ci"):
        ss.power("y ~ 0.2*x", 100, replications=5, seed=1, ci="bca")


# ---------------------------------------------------------------------------- distribution
DIST = dict(analysis=MED, targets=["a", "ab", "chisq"], replications=30, seed=11)


def test_identical_for_n_jobs_and_chunking():
    base = ss.power(MED_POP, [80, 160], **DIST).table()
    two = ss.power(MED_POP, [80, 160], n_jobs=2, **DIST).table()
    odd = ss.power(MED_POP, [80, 160], chunk_size=7, **DIST).table()
    pd.testing.assert_frame_equal(base, two)
    pd.testing.assert_frame_equal(base, odd)
    other = ss.power(MED_POP, [80, 160], **{**DIST, "seed": 12}).table()
    assert not base.equals(other)


def test_identical_on_a_local_dask_cluster():
    distributed = pytest.importorskip("distributed")
    base = ss.power(MED_POP, [80, 160], **DIST).table()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = ss.power(MED_POP, [80, 160], client=client, **DIST).table()
        on_address = ss.power(MED_POP, [80, 160], client=cluster.scheduler_address, **DIST).table()
    pd.testing.assert_frame_equal(base, on_dask)
    pd.testing.assert_frame_equal(base, on_address)


@pytest.mark.parametrize("name", ["power.parquet", "chunks"])
def test_checkpoint_rerun_skips_done_chunks(tmp_path, name):
    path = tmp_path / name
    first = ss.power(MED_POP, [80, 160], checkpoint=path, chunk_size=10, **DIST)
    files = sorted(p.name for p in path.glob("chunk-*"))
    assert len(files) == 6
    if name.endswith(".parquet"):
        assert len(pd.read_parquet(path / files[0])) == 10
    stamps = {p: p.stat().st_mtime_ns for p in path.glob("chunk-*")}
    again = ss.power(MED_POP, [80, 160], checkpoint=path, chunk_size=10, **DIST)
    assert {p: p.stat().st_mtime_ns for p in path.glob("chunk-*")} == stamps
    pd.testing.assert_frame_equal(first.table(), again.table())
    with pytest.raises(ss.OptionError, match="another study"):
        ss.power(MED_POP, [80, 200], checkpoint=path, chunk_size=10, **DIST)


def test_killed_run_resumes_to_the_identical_table(tmp_path):
    path = tmp_path / "power.parquet"
    script = textwrap.dedent(
        f"""
        import synergy_stats as ss
        ss.power({MED_POP!r}, [80, 160, 240], analysis={MED!r}, targets=["a", "ab"],
                 replications=400, seed=13, checkpoint={str(path)!r}, chunk_size=10)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(ss.__file__).parent.parent)}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    total = 3 * 400 // 10
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            if len(list(path.glob("chunk-*.parquet"))) >= 4 or proc.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = len(list(path.glob("chunk-*.parquet")))
    assert 0 < done < total, done  # killed midway
    kwargs = dict(analysis=MED, targets=["a", "ab"], replications=400, seed=13, chunk_size=10)
    resumed = ss.power(MED_POP, [80, 160, 240], checkpoint=path, **kwargs)
    assert len(list(path.glob("chunk-*.parquet"))) == total
    fresh = ss.power(MED_POP, [80, 160, 240], **kwargs)
    pd.testing.assert_frame_equal(resumed.table(), fresh.table())
    pd.testing.assert_frame_equal(resumed.raw, fresh.raw)


def test_fitted_result_as_population():
    data = pd.read_csv(Path(__file__).parent / "data" / "synergy_sim_n1000.csv")
    chain = """
    mot =~ mot1 + mot2 + mot3 + mot4
    mech =~ mech1 + mech2 + mech3 + mech4
    proc =~ proc1 + proc2 + proc3 + proc4
    res =~ res1 + res2 + res3 + res4
    mech ~ a*mot
    proc ~ b*mech + mot
    res ~ c*proc + mech
    indirect := a*b*c
    """
    fit = ss.sem(chain, data)
    est = fit.estimates().set_index("label")
    res = ss.power(fit, 300, analysis=chain, replications=60, seed=1, targets=["a", "indirect"])
    tab = res.table().set_index("target")
    # the fit's estimates are the population values of the study
    assert tab.loc["a", "population"] == pytest.approx(est.loc["a", "est"], abs=1e-6)
    assert tab.loc["indirect", "population"] == pytest.approx(est.loc["indirect", "est"], abs=1e-6)
    assert abs(tab.loc["a", "bias"]) < 3 * tab.loc["a", "sd_est"] / math.sqrt(60)
