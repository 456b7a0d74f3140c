"""Draws on a Dask cluster equal local draws for the same seed.

A two-worker LocalCluster of processes on the loopback interface; the same seed must give
identical bootstrap draws with n_jobs=1, n_jobs=2 and the cluster, because every draw's
random stream is the draw-index child of the seed's SeedSequence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synergy_stats.inference import bootstrap, map_draws, seed_plan
from synergy_stats.structural.api import sem

distributed = pytest.importorskip("distributed")

DATA = Path(__file__).parent / "data"
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


class _Uniforms:
    """A tiny task: three uniforms per draw, and a failure code on every seventh draw."""

    width = 3

    def run(self, index, rng):
        vals = rng.random(3)
        return (vals, 2) if index % 7 == 6 else (vals, 0)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    cl = distributed.Client(cluster)
    yield cl
    cl.close()
    cluster.close()


@pytest.fixture(scope="module")
def chain_fit():
    return sem(CHAIN, pd.read_csv(DATA / "synergy_sim_n1000.csv"))


def test_bootstrap_draws_identical_locally_and_on_dask(client, chain_fit) -> None:
    assert len(client.scheduler_info()["workers"]) == 2
    local1 = bootstrap(chain_fit, draws=60, seed=314, n_jobs=1)
    local2 = bootstrap(chain_fit, draws=60, seed=314, n_jobs=2)
    remote = bootstrap(chain_fit, draws=60, seed=314, client=client)
    a = local1.draws.to_numpy()
    np.testing.assert_array_equal(a, local2.draws.to_numpy())
    np.testing.assert_array_equal(a, remote.draws.to_numpy())
    assert remote.failed == local1.failed


def test_engine_is_independent_of_chunking_and_back_end(client) -> None:
    plan = seed_plan(2024)
    task = _Uniforms()
    base = map_draws(task, 50, seeds=plan, chunk_size=50)
    for kwargs in ({"chunk_size": 1}, {"chunk_size": 7, "n_jobs": 2}, {"client": client}):
        out = map_draws(task, 50, seeds=plan, **kwargs)
        np.testing.assert_array_equal(out.values, base.values)
        np.testing.assert_array_equal(out.status, base.status)
    # failed draws are NaN rows with their code
    assert np.isnan(base.values[base.status == 2]).all()
    assert (base.status == 2).sum() == 7
    # draw i is the i-th child stream of the seed
    np.testing.assert_array_equal(base.values[0], plan.rng(0).random(3))
