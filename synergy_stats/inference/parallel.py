"""One mechanism to run seeded draws: in-process, on local processes, or on a Dask cluster.

A *task* is a picklable object with a ``width`` and a method
``run(index, rng) -> (values, status)`` that computes draw ``index`` from its own random
generator. :func:`map_draws` runs draws ``0 .. n-1`` in chunks and collects a
``(n, width)`` array of values and a vector of status codes (0 = success; tasks define
their own failure codes and return NaN values for failed draws).

Reproducibility: the generator of draw ``i`` is built from
``SeedSequence(entropy, spawn_key=(i,))``, the ``i``-th child of the run's root seed
sequence. A draw therefore depends only on the seed and its index, never on the chunking,
the number of processes or the number of Dask workers, so every back end returns the same
draws for the same seed. Bootstrap, Monte Carlo intervals and Monte Carlo power analysis
share this path.

Local processes (``n_jobs > 1``) on Linux, when the caller runs a single thread: the
calling process is one of the ``n_jobs`` workers and forks the other ``n_jobs - 1`` (they
inherit the task as it is, compiled model included: nothing is pickled or imported), and
every worker claims small chunks from one shared counter and writes its rows straight into
shared memory. The fixed cost of a run is then one ``fork`` per extra worker and at most one
small chunk of imbalance at the end. Elsewhere (threads running, macOS, Windows) a process
pool started by a forkserver or ``spawn`` runs the chunks.
"""

from __future__ import annotations

import math
import mmap
import multiprocessing as mp
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from synergy_stats._typing import SeedLike, make_rng
from synergy_stats.errors import OptionError
from synergy_stats.inference.progress import ProgressLike, make_progress

__all__ = [
    "Background",
    "DrawOutput",
    "DrawTask",
    "SeedPlan",
    "check_n_jobs",
    "map_draws",
    "seed_plan",
    "start_background",
]


@runtime_checkable
class DrawTask(Protocol):
    """What :func:`map_draws` runs: ``width`` values per draw and a status code."""

    width: int

    def run(
        self, index: int, rng: np.random.Generator | None
    ) -> tuple[np.ndarray, int]:  # pragma: no cover - protocol
        """Compute draw ``index``; return its values and a status code (0 = success)."""
        ...


@dataclass(frozen=True)
class SeedPlan:
    """The root of a run's random streams: draw ``i`` uses child ``i`` of this sequence.

    Attributes
    ----------
    entropy : int or tuple of int
        The root entropy (pass it as ``seed=`` to repeat a run started with ``seed=None``).
    spawn_key : tuple of int
        The root's spawn key (empty for a fresh root).
    """

    entropy: int | tuple[int, ...]
    spawn_key: tuple[int, ...] = ()

    def sequence(self, index: int) -> np.random.SeedSequence:
        """The seed sequence of draw ``index`` (the root's ``index``-th child)."""
        return np.random.SeedSequence(self.entropy, spawn_key=(*self.spawn_key, int(index)))

    def rng(self, index: int) -> np.random.Generator:
        """A PCG64 generator for draw ``index``."""
        return np.random.Generator(np.random.PCG64(self.sequence(index)))


def seed_plan(seed: SeedLike | np.random.SeedSequence) -> SeedPlan:
    """Turn a ``seed=`` argument into a :class:`SeedPlan`.

    Parameters
    ----------
    seed : int, numpy Generator, numpy SeedSequence or None
        An int or a SeedSequence fixes the draws; a Generator gives a root drawn from it
        (advancing it); None draws fresh entropy from the operating system.

    Returns
    -------
    SeedPlan

    Raises
    ------
    OptionError
        For any other value.
    """
    if isinstance(seed, np.random.SeedSequence):
        ent: Any = seed.entropy
        if ent is None:  # pragma: no cover - numpy always fills entropy
            raise OptionError("seed: a SeedSequence without entropy is not accepted")
        entropy: int | tuple[int, ...] = (
            tuple(int(e) for e in ent) if isinstance(ent, list | tuple | np.ndarray) else int(ent)
        )
        return SeedPlan(entropy, tuple(int(k) for k in seed.spawn_key))
    if seed is None:
        fresh = np.random.SeedSequence()
        return SeedPlan(int(fresh.entropy))  # type: ignore[arg-type]
    if isinstance(seed, np.random.Generator):
        words = seed.integers(0, 2**63, size=4, dtype=np.int64)
        return SeedPlan(tuple(int(w) for w in words))
    make_rng(seed)  # validates (raises OptionError for bad values)
    if int(seed) < 0:
        raise OptionError(f"seed={seed!r} is not accepted; use a non-negative int")
    return SeedPlan(int(seed))


@dataclass(frozen=True)
class DrawOutput:
    """Values (one row per draw, NaN where a draw failed) and status codes."""

    values: np.ndarray
    status: np.ndarray


def check_n_jobs(n_jobs: int) -> int:
    """Validate ``n_jobs`` (a positive int, or -1 for every CPU) and resolve it."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer):
        raise OptionError(f"n_jobs={n_jobs!r} is not accepted; use a positive int or -1")
    if n_jobs == -1:
        return max(os.cpu_count() or 1, 1)
    if n_jobs < 1:
        raise OptionError(f"n_jobs={n_jobs!r} is not accepted; use a positive int or -1")
    return int(n_jobs)


@contextmanager
def _single_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread (tiny matrices; threads only add overhead)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional speed-up
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _run_range(
    task: DrawTask, start: int, stop: int, plan: SeedPlan | None
) -> tuple[int, np.ndarray, np.ndarray]:
    values = np.full((stop - start, task.width), np.nan)
    status = np.zeros(stop - start, dtype=np.int8)
    for row, i in enumerate(range(start, stop)):
        rng = plan.rng(i) if plan is not None else None
        vals, code = task.run(i, rng)
        status[row] = code
        if code == 0:
            values[row] = vals
    return start, values, status


# -- local process pool -------------------------------------------------------------
_WORKER_TASK: DrawTask | None = None


def _install_worker(task: DrawTask) -> None:
    global _WORKER_TASK
    _WORKER_TASK = task
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional speed-up
        return
    threadpool_limits(limits=1, user_api="blas")


def _pool_chunk(start: int, stop: int, plan: SeedPlan | None) -> tuple[int, np.ndarray, np.ndarray]:
    if _WORKER_TASK is None:  # pragma: no cover - initializer always runs first
        raise RuntimeError("worker has no task installed")
    return _run_range(_WORKER_TASK, start, stop, plan)


def _dask_chunk(
    task: DrawTask, start: int, stop: int, plan: SeedPlan | None
) -> tuple[int, np.ndarray, np.ndarray]:
    with _single_blas_thread():
        return _run_range(task, start, stop, plan)


def can_fork() -> bool:
    """Whether local workers can be forked from this process (Linux, no other thread).

    The one rule for every pool of the package that forks (the resampling workers, the
    report's figure writers): forking a process that runs other threads is unsafe.
    """
    return (
        sys.platform.startswith("linux")
        and "fork" in mp.get_all_start_methods()
        and threading.active_count() == 1
    )


class Background:
    """A call running in a forked process (:func:`start_background`): :meth:`result` waits.

    Warnings the call raised are raised again in this process by :meth:`result`, so that
    nothing the call reported is lost.
    """

    def __init__(self, proc: Any = None, pipe: Any = None, done: tuple[Any, ...] | None = None):
        self._proc = proc
        self._pipe = pipe
        self._done = done

    def result(self) -> Any:
        """The call's return value; its exception is raised here."""
        import warnings

        if self._done is None:
            try:
                self._done = self._pipe.recv()
            except EOFError:
                self._done = ("error", RuntimeError("the background process ended early"), [])
            finally:
                self._close()
        kind, value, caught = self._done
        self._done = (kind, value, [])  # the warnings are raised once
        for w in caught:
            warnings.warn_explicit(w[0], w[1], w[2], w[3])
        if kind == "error":
            raise value
        return value

    def cancel(self) -> None:
        """Stop the process if it still runs (its result is dropped)."""
        if self._proc is not None and self._proc.is_alive():
            self._proc.terminate()
        if self._done is None:
            self._done = ("error", RuntimeError("the background call was cancelled"), [])
        self._close()

    def _close(self) -> None:
        if self._proc is not None:
            self._proc.join()
            self._pipe.close()
            self._proc = self._pipe = None


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``("ok", value, warnings)`` or ``("error", exception, warnings)`` of ``fn(*args)``."""
    import warnings

    from synergy_stats._blas import one_blas_thread

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with one_blas_thread():
                out: tuple[Any, ...] = ("ok", fn(*args))
        except Exception as exc:
            out = ("error", exc)
    kept = [(w.message, w.category, w.filename, w.lineno) for w in caught]
    return (*out, kept)


def _background_body(fn: Callable[..., Any], args: tuple[Any, ...], pipe: Any) -> None:
    try:
        done = _call(fn, args)
        try:
            pipe.send(done)
        except Exception as exc:  # a value or exception that does not pickle
            text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            pipe.send(("error", RuntimeError(f"background result not sent: {text}"), done[2]))
    finally:
        pipe.close()
        os._exit(0)  # no atexit handlers or buffers inherited from the parent


def start_background(fn: Callable[..., Any], *args: Any) -> Background:
    """Start ``fn(*args)`` in a forked process (BLAS on one thread) and return at once.

    For work that needs nothing from the steps before it (a power simulation of the
    design): it runs while this process goes on. Where forking is not safe
    (:func:`can_fork`), ``fn`` runs here and now; :meth:`Background.result` then returns
    or raises the same. ``fn`` must not start worker processes of its own (``n_jobs=1``).
    """
    if not can_fork():
        return Background(done=_call(fn, args))
    import gc

    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_background_body, args=(fn, args, send), daemon=True)
    gc.freeze()  # the child's collector leaves the parent's objects (and pages) alone
    try:
        proc.start()
    finally:
        gc.unfreeze()
    send.close()
    return Background(proc, receive)


def _mp_context() -> Any:
    """How to start the pool of local workers when :func:`can_fork` is False.

    ``forkserver`` where available, with numpy, scipy and this package preloaded in the
    server so that workers start fast too (a notebook kernel runs threads, and forking a
    threaded process is unsafe); ``spawn`` elsewhere. (``fork`` only when called on a
    single-threaded Linux process, which :func:`map_draws` runs by :func:`_run_forked`.)
    """
    methods = mp.get_all_start_methods()
    if can_fork():
        return mp.get_context("fork")
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["numpy", "scipy.linalg", "synergy_stats.inference.bootstrap"])
        return ctx
    return mp.get_context("spawn")


class _Shared:
    """Result rows, status codes, chunk flags and the chunk counter in shared memory.

    One anonymous ``MAP_SHARED`` mapping, created before the fork, so that every forked
    worker writes into the same pages the calling process reads.
    """

    def __init__(self, n: int, width: int, n_chunks: int) -> None:
        sizes = [8 * n * width, n, n_chunks, 8]
        offsets = np.cumsum([0, *[(s + 63) // 64 * 64 for s in sizes]])
        self._map = mmap.mmap(-1, max(int(offsets[-1]), 1))
        buf = memoryview(self._map)
        self.values = np.frombuffer(buf, np.float64, n * width, int(offsets[0])).reshape(n, width)
        self.status = np.frombuffer(buf, np.int8, n, int(offsets[1]))
        self.done = np.frombuffer(buf, np.int8, n_chunks, int(offsets[2]))
        self.counter = np.frombuffer(buf, np.int64, 1, int(offsets[3]))
        self.values[:] = np.nan

    def close(self) -> None:
        del self.values, self.status, self.done, self.counter
        try:
            self._map.close()
        except BufferError:  # pragma: no cover - a caller still holds a view
            pass


def _claim_loop(
    task: DrawTask,
    chunks: list[tuple[int, int]],
    seeds: SeedPlan | None,
    shared: _Shared,
    lock: Any,
    after_chunk: Callable[[], None] | None = None,
) -> None:
    """Claim chunks from the shared counter and run them until none is left."""
    counter = shared.counter
    while True:
        with lock:
            c = int(counter[0])
            counter[0] = c + 1
        if c >= len(chunks):
            return
        a, b = chunks[c]
        _, vals, codes = _run_range(task, a, b, seeds)
        shared.values[a:b] = vals
        shared.status[a:b] = codes
        shared.done[c] = 1
        if after_chunk is not None:
            after_chunk()


def _forked_worker(
    task: DrawTask,
    chunks: list[tuple[int, int]],
    seeds: SeedPlan | None,
    shared: _Shared,
    lock: Any,
    errors: Any,
) -> None:
    """Body of a forked worker: the claim loop; an exception goes back through ``errors``."""
    try:
        _claim_loop(task, chunks, seeds, shared, lock)
    except BaseException as exc:  # reported to the parent, which raises
        text = "".join(traceback.format_exception(exc))
        try:
            errors.send((exc, text))
        except Exception:  # an exception that does not pickle
            errors.send((RuntimeError(str(exc)), text))
        raise SystemExit(1) from None


def _run_forked(
    task: DrawTask,
    chunks: list[tuple[int, int]],
    seeds: SeedPlan | None,
    workers: int,
    n: int,
    store: Callable[..., None],
) -> None:
    """Run ``chunks`` on this process and ``workers - 1`` forked ones (see module notes)."""
    from synergy_stats._blas import one_blas_thread

    ctx = mp.get_context("fork")
    shared = _Shared(n, int(task.width), len(chunks))
    lock = ctx.Lock()
    reported = np.zeros(len(chunks), dtype=bool)

    def collect() -> None:
        for c in np.flatnonzero(shared.done.astype(bool) & ~reported):
            reported[c] = True
            a, b = chunks[c]
            store((a, shared.values[a:b].copy(), shared.status[a:b].copy()))

    procs: list[Any] = []
    pipes: list[Any] = []
    try:
        with one_blas_thread():  # inherited by the forked workers
            for _ in range(min(workers, len(chunks)) - 1):
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(
                    target=_forked_worker,
                    args=(task, chunks, seeds, shared, lock, send),
                    daemon=True,
                )
                proc.start()
                send.close()
                procs.append(proc)
                pipes.append(recv)
            _claim_loop(task, chunks, seeds, shared, lock, after_chunk=collect)
            while any(p.is_alive() for p in procs):
                collect()
                for p in procs:
                    p.join(timeout=0.005)
        collect()
        for p, pipe in zip(procs, pipes, strict=True):
            try:
                exc, text = pipe.recv() if pipe.poll() else (None, "")
            except EOFError:  # the worker closed its end without an error
                continue
            if exc is not None:
                raise exc from RuntimeError(f"in worker process {p.pid}:\n{text}")
        if not reported.all():
            codes = sorted({p.exitcode for p in procs})
            raise RuntimeError(
                f"a worker process ended before finishing its chunk (exit codes {codes}); "
                "was it killed (out of memory)?"
            )
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
            p.join()
        for pipe in pipes:
            pipe.close()
        shared.close()


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(s, min(s + size, n)) for s in range(0, n, size)]


def map_draws(
    task: DrawTask,
    n: int,
    *,
    seeds: SeedPlan | None,
    n_jobs: int = 1,
    client: Any = None,
    chunk_size: int | None = None,
    progress: ProgressLike = None,
    label: str = "draws",
    completed: Mapping[tuple[int, int], tuple[np.ndarray, np.ndarray]] | None = None,
    on_chunk: Callable[[int, int, np.ndarray, np.ndarray], None] | None = None,
) -> DrawOutput:
    """Run draws ``0 .. n-1`` of ``task`` and collect their values and status codes.

    Parameters
    ----------
    task : DrawTask
        Picklable; ``task.run(i, rng)`` computes draw ``i``.
    n : int
        Number of draws.
    seeds : SeedPlan or None
        Root of the random streams (None for deterministic tasks such as the jackknife,
        which then receive ``rng=None``).
    n_jobs : int
        Local worker processes (1 = in this process; -1 = one per CPU). Ignored when
        ``client`` is given.
    client : dask.distributed.Client, optional
        Run the chunks on this Dask cluster's workers instead.
    chunk_size : int, optional
        Draws per chunk (default: 50 chunks in this process; about 64 chunks per worker
        on forked workers, 8 on a pool or a Dask cluster; at least one draw).
    progress : bool, callable or None
        See :func:`synergy_stats.inference.progress.make_progress`.
    label : str
        Progress-bar label.
    completed : mapping, optional
        Chunks already computed (a resumed run): ``{(start, stop): (values, status)}``.
        Chunks of the current chunking found here are not run again.
    on_chunk : callable, optional
        ``on_chunk(start, stop, values, status)`` after each chunk finishes (in this
        process), e.g. to write a checkpoint.

    Returns
    -------
    DrawOutput
        ``values`` (n x task.width, NaN rows for failed draws) and ``status`` (n,).

    Raises
    ------
    OptionError
        For an invalid ``n_jobs``, ``chunk_size`` or ``client``.

    Notes
    -----
    Draw ``i`` uses ``numpy.random.Generator(PCG64(SeedSequence(entropy,
    spawn_key=(i,))))``, so results are identical for every ``n_jobs``, every chunk size
    and every number of Dask workers. Local workers: when this process runs a single thread
    (Linux) it is one of the ``n_jobs`` workers and forks the others, which claim chunks
    from a shared counter and write into shared memory (default chunks: about 64 per
    worker); else a pool started by a forkserver runs the chunks (about 8 per worker): a
    script that calls this with ``n_jobs > 1`` while other threads run needs the usual
    ``if __name__ == "__main__":`` guard.
    """
    width = int(task.width)
    values = np.full((n, width), np.nan)
    status = np.zeros(n, dtype=np.int8)
    if n == 0:
        return DrawOutput(values, status)
    if client is not None:
        workers = _dask_worker_count(client)
    else:
        workers = check_n_jobs(n_jobs)
    forked = client is None and workers > 1 and can_fork()
    if chunk_size is None:
        if workers == 1 and client is None:
            size = max(1, math.ceil(n / 50))
        elif forked:  # claiming a chunk costs microseconds: small chunks, a short tail
            size = max(1, math.ceil(n / (workers * 64)))
        else:
            size = max(1, math.ceil(n / (workers * 8)))
    else:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise OptionError(f"chunk_size={chunk_size!r} is not accepted; use a positive int")
        size = chunk_size
    chunks = _chunks(n, size)
    bar = make_progress(progress, n, label)

    def store(res: tuple[int, np.ndarray, np.ndarray], *, new: bool = True) -> None:
        start, vals, codes = res
        values[start : start + len(codes)] = vals
        status[start : start + len(codes)] = codes
        bar.update(len(codes))
        if new and on_chunk is not None:
            on_chunk(start, start + len(codes), vals, codes)

    with bar:
        if completed:
            todo = []
            for a, b in chunks:
                prev = completed.get((a, b))
                if prev is None:
                    todo.append((a, b))
                else:
                    store((a, np.asarray(prev[0]), np.asarray(prev[1])), new=False)
            chunks = todo
        if not chunks:
            return DrawOutput(values, status)
        if client is not None:
            _run_dask(client, task, chunks, seeds, store)
        elif workers == 1:
            with _single_blas_thread():
                for start, stop in chunks:
                    store(_run_range(task, start, stop, seeds))
        elif forked:
            _run_forked(task, chunks, seeds, workers, n, store)
        else:
            ctx = _mp_context()
            with ProcessPoolExecutor(
                max_workers=min(workers, len(chunks)),
                mp_context=ctx,
                initializer=_install_worker,
                initargs=(task,),
            ) as pool:
                pending: set[Future[tuple[int, np.ndarray, np.ndarray]]] = {
                    pool.submit(_pool_chunk, a, b, seeds) for a, b in chunks
                }
                try:
                    while pending:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        for fut in done:
                            store(fut.result())
                except BaseException:
                    for fut in pending:
                        fut.cancel()
                    raise
    return DrawOutput(values, status)


def _dask_worker_count(client: Any) -> int:
    info = getattr(client, "scheduler_info", None)
    if not callable(info) or not hasattr(client, "submit"):
        raise OptionError(
            f"client={type(client).__name__} is not accepted; give a dask.distributed Client "
            "(install the [dask] extra: pip install 'synergy-stats[dask]')"
        )
    workers = info().get("workers", {})
    return max(len(workers), 1)


def _run_dask(
    client: Any,
    task: DrawTask,
    chunks: list[tuple[int, int]],
    seeds: SeedPlan | None,
    store: Any,
) -> None:
    try:
        from distributed import as_completed
    except ImportError as exc:  # pragma: no cover - client implies distributed
        raise OptionError("client= needs dask.distributed; install the [dask] extra") from exc
    task_future = client.scatter(task, broadcast=True, hash=False)
    futures = [client.submit(_dask_chunk, task_future, a, b, seeds, pure=False) for a, b in chunks]
    try:
        for fut in as_completed(futures):
            store(fut.result())
    finally:
        client.cancel([*futures, task_future])
