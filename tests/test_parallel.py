"""The seeded draw engine (``map_draws``): identical draws on every back end and chunking.

The local back end forks ``n_jobs - 1`` workers that claim chunks from a shared counter
while the calling process runs chunks too; these tests check that every draw is computed
once and lands in its own row whatever the split, that checkpoint callbacks and the
progress count see every chunk exactly once, that resumed chunks are skipped, and that a
worker's exception or death reaches the caller.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from synergy_stats.inference import map_draws, seed_plan
from synergy_stats.inference import parallel as par


class _Normals:
    """Three normals per draw and the draw's index; status 1 on every 7th draw."""

    width = 4

    def run(self, index: int, rng: np.random.Generator | None) -> tuple[np.ndarray, int]:
        assert rng is not None
        vals = np.concatenate([rng.standard_normal(3), [float(index)]])
        return vals, 1 if index % 7 == 6 else 0


class _Fails:
    """Raises on draw ``bad``."""

    width = 1

    def __init__(self, bad: int) -> None:
        self.bad = bad

    def run(self, index: int, rng: np.random.Generator | None) -> tuple[np.ndarray, int]:
        if index == self.bad:
            raise KeyError(f"draw {index} broke")
        return np.array([float(index)]), 0


def _wait_for(flag: Path, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while not flag.exists() and time.monotonic() < end:
        time.sleep(0.005)


class _Where:
    """Each draw's process id; the caller's first draw waits until a forked one has run."""

    width = 1

    def __init__(self, pid: int, flag: Path) -> None:
        self.pid, self.flag = pid, flag

    def run(self, index: int, rng: np.random.Generator | None) -> tuple[np.ndarray, int]:
        if os.getpid() == self.pid:
            _wait_for(self.flag)
        else:
            self.flag.touch()
        return np.array([float(os.getpid())]), 0


class _Dies(_Where):
    """A forked worker kills itself on its first draw; the caller waits until it has."""

    def run(self, index: int, rng: np.random.Generator | None) -> tuple[np.ndarray, int]:
        if os.getpid() != self.pid:
            self.flag.touch()
            os._exit(3)
        _wait_for(self.flag)
        return np.array([float(index)]), 0


def _expected(n: int, seed: int) -> np.ndarray:
    plan = seed_plan(seed)
    return np.array([np.concatenate([plan.rng(i).standard_normal(3), [i]]) for i in range(n)])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_jobs": 1},
        {"n_jobs": 2},
        {"n_jobs": 3},
        {"n_jobs": 2, "chunk_size": 1},
        {"n_jobs": 2, "chunk_size": 13},
        {"n_jobs": 3, "chunk_size": 500},
    ],
)
def test_every_back_end_gives_the_draws_of_the_seed(kwargs: dict) -> None:
    n = 203
    out = map_draws(_Normals(), n, seeds=seed_plan(99), progress=False, **kwargs)
    expected = _expected(n, 99)
    bad = np.arange(n) % 7 == 6
    np.testing.assert_array_equal(out.status, bad.astype(np.int8))
    np.testing.assert_array_equal(out.values[~bad], expected[~bad])
    assert np.isnan(out.values[bad]).all()


def test_forked_workers_share_the_work(tmp_path: Path) -> None:
    if not par.can_fork():
        pytest.skip("forked workers need Linux and a single-threaded process")
    task = _Where(os.getpid(), tmp_path / "ran")
    out = map_draws(task, 400, seeds=None, n_jobs=2, chunk_size=2, progress=False)
    pids = set(out.values[:, 0].astype(int))
    assert os.getpid() in pids  # the caller is one of the two workers
    assert len(pids) == 2


def test_each_chunk_reported_once_and_progress_counts_all() -> None:
    seen: list[tuple[int, int]] = []
    counts: list[int] = []

    def on_chunk(a: int, b: int, vals: np.ndarray, codes: np.ndarray) -> None:
        assert vals.shape == (b - a, 4) and codes.shape == (b - a,)
        np.testing.assert_array_equal(
            np.nan_to_num(vals[:, 3], nan=-1)[codes == 0], np.arange(a, b)[codes == 0]
        )
        seen.append((a, b))

    map_draws(
        _Normals(),
        100,
        seeds=seed_plan(1),
        n_jobs=2,
        chunk_size=9,
        progress=lambda done, total: counts.append(done),
        on_chunk=on_chunk,
    )
    assert sorted(seen) == [(s, min(s + 9, 100)) for s in range(0, 100, 9)]
    assert counts[-1] == 100


def test_completed_chunks_are_not_run_again() -> None:
    first = map_draws(_Normals(), 60, seeds=seed_plan(5), n_jobs=1, chunk_size=10)
    done = {
        (0, 10): (first.values[:10], first.status[:10]),
        (30, 40): (first.values[30:40], first.status[30:40]),
    }
    ran: list[tuple[int, int]] = []
    again = map_draws(
        _Normals(),
        60,
        seeds=seed_plan(5),
        n_jobs=2,
        chunk_size=10,
        completed=done,
        on_chunk=lambda a, b, v, c: ran.append((a, b)),
    )
    assert sorted(ran) == [(10, 20), (20, 30), (40, 50), (50, 60)]
    np.testing.assert_array_equal(again.values, first.values)


def test_an_exception_in_a_worker_reaches_the_caller() -> None:
    with pytest.raises(KeyError, match="draw 37 broke"):
        map_draws(_Fails(37), 80, seeds=None, n_jobs=2, chunk_size=1)


def test_a_worker_that_dies_is_an_error_not_missing_rows(tmp_path: Path) -> None:
    if not par.can_fork():
        pytest.skip("forked workers need Linux and a single-threaded process")
    with pytest.raises(RuntimeError, match="ended before finishing"):
        map_draws(_Dies(os.getpid(), tmp_path / "died"), 50, seeds=None, n_jobs=2, chunk_size=1)


_BACKGROUND = """
import json, threading, warnings
from synergy_stats.errors import OptionError
from synergy_stats.inference.parallel import start_background


def slow_sum(n):
    warnings.warn("a warning from the background", UserWarning, stacklevel=2)
    return sum(range(n))


def fails():
    raise OptionError("bad option in the background")


assert threading.active_count() == 1
job = start_background(slow_sum, 10**6)
forked = job._proc is not None
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    value = job.result()
try:
    start_background(fails).result()
    error = None
except OptionError as exc:
    error = str(exc)
stopped = start_background(sum, range(10**9))
stopped.cancel()
try:
    stopped.result()
    cancelled = False
except RuntimeError:
    cancelled = True
print(json.dumps({"forked": forked, "value": value, "warnings": [str(w.message) for w in caught],
                  "error": error, "cancelled": cancelled, "threads": threading.active_count()}))
"""


def test_background_call_forks_and_returns_value_warnings_and_errors():
    # pytest runs threads, so the forked call is checked in a fresh interpreter
    import json
    import subprocess
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("forking needs Linux")
    run = subprocess.run(
        [sys.executable, "-c", _BACKGROUND], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["forked"] and got["value"] == sum(range(10**6))
    assert got["warnings"] == ["a warning from the background"]  # nothing reported is lost
    assert got["error"] == "bad option in the background"
    assert got["cancelled"] and got["threads"] == 1


def test_background_call_runs_inline_where_forking_is_unsafe(monkeypatch):
    import warnings

    from synergy_stats.inference import parallel

    monkeypatch.setattr(parallel, "can_fork", lambda: False)

    def noisy(x):
        warnings.warn("inline warning", UserWarning, stacklevel=2)
        return x * 2

    job = parallel.start_background(noisy, 21)
    with pytest.warns(UserWarning, match="inline warning"):
        assert job.result() == 42
