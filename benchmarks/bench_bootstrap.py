"""Bootstrap of the synergy chain: synergy_stats against lavaan on the same machine.

Usage (from anywhere)::

    python benchmarks/bench_bootstrap.py [--draws 1000] [--n-jobs 2] [--skip-lavaan]

Runs ``Rscript ../shared/bench/lavaan_baseline.R DRAWS`` (lavaan's ``sem(..., se =
"bootstrap", bootstrap = DRAWS)``; skipped with a message when Rscript or lavaan is
missing), then the package in a child process: ``sem()`` + ``bootstrap(draws=DRAWS,
n_jobs=N)`` + ``ci()`` on ``tests/data/synergy_sim_n1000.csv``, timed after the imports
(as R times after ``library(lavaan)``). Peak memory is the largest total resident set size
of the child and its worker processes, sampled every 5 ms (psutil), next to the per-process
``ru_maxrss`` and the tracemalloc peak of Python allocations in the main process
(separate untimed run).

Targets (issue 5): time ratio <= 0.10 with n_jobs=2, peak memory < 500 MB.

``--fiml44``: instead, the main job's latent bootstrap (issue 16): ``bootstrap(fit,
draws=DRAWS, n_jobs=N, fit_measures=())`` of the 44-item synergy SEM fitted by FIML to wave 1
of the bundled example (``tests/data/sem/synergy44_wave1.csv``), timed after the fit, with
the CPU seconds of the calling process and of its worker processes and the load average
(target: 1000 draws well under a minute with 2 workers; the main job's indirect step,
which adds the interval tables and a Monte Carlo CI, <= 2.5 s on an idle machine).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = ROOT / "tests" / "data" / "synergy_sim_n1000.csv"
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
MAX_RATIO = 0.10
MAX_MB = 500.0


def run_lavaan(draws: int) -> dict[str, float] | None:
    script = SHARED / "bench" / "lavaan_baseline.R"
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("lavaan: skipped (Rscript not found)")
        return None
    if not script.exists():
        print(f"lavaan: skipped ({script} not found)")
        return None
    check = subprocess.run(
        [rscript, "-e", "suppressMessages(library(lavaan))"], capture_output=True, text=True
    )
    if check.returncode != 0:
        print("lavaan: skipped (R package lavaan not installed)")
        return None
    out = subprocess.run(
        [rscript, str(script), str(draws)], capture_output=True, text=True, check=True
    )
    times: dict[str, float] = {}
    for line in out.stdout.splitlines():
        name, _, value = line.partition(" ")
        if value:
            times[name] = float(value)
    return times


def worker(draws: int, n_jobs: int) -> None:
    """The package's side, run in a child process; prints one JSON line."""
    import tracemalloc

    sys.path.insert(0, str(ROOT))
    import pandas as pd

    import synergy_stats as ss
    from synergy_stats.inference import bootstrap

    data = pd.read_csv(DATA)
    ss.sem(CHAIN, data)  # imports and first-call costs, outside the timing
    t0 = time.perf_counter()
    fit = ss.sem(CHAIN, data)
    boot = bootstrap(fit, draws=draws, seed=1, n_jobs=n_jobs, progress=False)
    est = boot.ci()
    elapsed = time.perf_counter() - t0
    # Python allocations of the main process, in a second (untimed) run: tracemalloc
    # slows every allocation down, so it stays out of the timed run
    tracemalloc.start()
    bootstrap(fit, draws=draws, seed=1, n_jobs=n_jobs, progress=False).ci()
    _, py_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    fits = []
    for _ in range(20):
        t = time.perf_counter()
        ss.sem(CHAIN, data)
        fits.append(time.perf_counter() - t)
    ind = est[est["op"] == ":="].iloc[0]
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "fit_seconds": sum(fits) / len(fits),
                "failed": boot.n_failed,
                "tracemalloc_peak_mb": py_peak / 2**20,
                "maxrss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "maxrss_children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "indirect": [float(ind["est"]), float(ind["se"])],
            }
        )
    )


SYN44_DATA = ROOT / "tests" / "data" / "sem" / "synergy44_wave1.csv"
SYN44_MODEL = ROOT / "tests" / "data" / "sem" / "synergy44_model.lav"


def worker_fiml44(draws: int, n_jobs: int) -> None:
    """The 44-item FIML bootstrap, in a child process; prints one JSON line."""
    import warnings

    sys.path.insert(0, str(ROOT))
    import pandas as pd

    import synergy_stats as ss
    from synergy_stats.inference import bootstrap

    data = pd.read_csv(SYN44_DATA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ss.sem(SYN44_MODEL.read_text(), data, missing="fiml")
    bootstrap(fit, draws=4, seed=1, n_jobs=1, progress=False, fit_measures=())  # first calls

    def cpu() -> tuple[float, float]:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime

    c0, load0 = cpu(), os.getloadavg()[0]
    t0 = time.perf_counter()
    boot = bootstrap(
        fit, draws=draws, seed=20261127, n_jobs=n_jobs, progress=False, fit_measures=()
    )
    elapsed = time.perf_counter() - t0
    c1 = cpu()
    se = boot.se()
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_main": c1[0] - c0[0],
                "cpu_workers": c1[1] - c0[1],
                "load": [load0, os.getloadavg()[0]],
                "failed": boot.n_failed,
                "indirect_se": [float(v) for v in se.iloc[-2:]],
            }
        )
    )


def fiml44(draws: int, n_jobs: int) -> int:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    print(f"machine: {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f}")
    print(f"\nbootstrap of the 44-item synergy SEM under FIML (n = 450), {draws} draws")
    for jobs in sorted({1, n_jobs}):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker-fiml44",
                "--draws",
                str(draws),
                "--n-jobs",
                str(jobs),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        cpu = r["cpu_main"] + r["cpu_workers"]
        idle = max(r["cpu_main"], r["cpu_workers"] / max(jobs - 1, 1)) if jobs > 1 else cpu
        print(
            f"  n_jobs={jobs}: {r['seconds']:6.2f} s wall (load {r['load'][0]:.2f} -> "
            f"{r['load'][1]:.2f}); CPU main {r['cpu_main']:.2f} s, workers "
            f"{r['cpu_workers']:.2f} s = {1000 * cpu / draws:.2f} ms per draw; idle-machine "
            f"wall about {idle:.2f} s; failed {r['failed']}; indirect SEs "
            f"{r['indirect_se'][0]:.5f} / {r['indirect_se'][1]:.5f}"
        )
    return 0


def run_package(draws: int, n_jobs: int) -> dict[str, float]:
    """Run :func:`worker` in a child process and watch the memory of its process tree."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", "--draws", str(draws), "--n-jobs", str(n_jobs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    peak = [0.0]
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is optional
        psutil = None

    def watch() -> None:
        if psutil is None:
            return
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while proc.poll() is None:
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.NoSuchProcess:
                        continue
            except psutil.NoSuchProcess:
                break
            peak[0] = max(peak[0], total / 2**20)
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    watcher.join()
    if proc.returncode != 0:
        raise RuntimeError(f"package run failed:\n{err}")
    res = json.loads(out.strip().splitlines()[-1])
    res["tree_peak_rss_mb"] = peak[0] if psutil is not None else float("nan")
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--skip-lavaan", action="store_true")
    ap.add_argument("--fiml44", action="store_true", help="the 44-item FIML bootstrap instead")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--worker-fiml44", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.draws, args.n_jobs)
        return 0
    if args.worker_fiml44:
        worker_fiml44(args.draws, args.n_jobs)
        return 0
    if args.fiml44:
        return fiml44(args.draws, args.n_jobs)
    print(f"machine: {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f}")
    lav = None if args.skip_lavaan else run_lavaan(args.draws)
    one = run_package(args.draws, 1)
    ours = run_package(args.draws, args.n_jobs)
    key = f"bootstrap_synergy_n1000_draws{args.draws}"
    print(f"\nbootstrap, synergy chain, n = 1000, {args.draws} draws (fit + draws + ci)")
    if lav is not None:
        print(f"  lavaan se='bootstrap'          {lav[key]:8.3f} s")
    print(f"  synergy_stats n_jobs=1         {one['seconds']:8.3f} s")
    print(f"  synergy_stats n_jobs={args.n_jobs:<10d}{ours['seconds']:8.3f} s")
    print(f"  failed draws                   {ours['failed']}")
    print(f"  indirect effect est / boot se  {ours['indirect'][0]:.5f} / {ours['indirect'][1]:.5f}")
    print("\nplain fit of the synergy chain")
    if lav is not None:
        print(f"  lavaan sem()                   {lav['sem_fit_synergy_n1000'] * 1000:8.2f} ms")
    print(f"  synergy_stats sem()            {ours['fit_seconds'] * 1000:8.2f} ms")
    print(f"\npeak memory, n_jobs={args.n_jobs} (child process and its workers)")
    print(f"  total RSS of the process tree  {ours['tree_peak_rss_mb']:8.1f} MB")
    print(
        f"  max RSS, main / one worker     {ours['maxrss_self_mb']:8.1f} / "
        f"{ours['maxrss_children_mb']:.1f} MB"
    )
    print(f"  tracemalloc peak (main)        {ours['tracemalloc_peak_mb']:8.1f} MB")
    ok = True
    mem = ours["tree_peak_rss_mb"]
    if mem == mem:  # not NaN
        ok &= mem < MAX_MB
        print(f"\nmemory < {MAX_MB:.0f} MB: {'PASS' if mem < MAX_MB else 'FAIL'}")
    if lav is not None:
        ratio = ours["seconds"] / lav[key]
        ratio1 = one["seconds"] / lav[key]
        ok &= ratio <= MAX_RATIO
        print(f"ratio n_jobs=1 / lavaan: {ratio1:.4f}")
        print(
            f"ratio n_jobs={args.n_jobs} / lavaan: {ratio:.4f} (target <= {MAX_RATIO}): "
            f"{'PASS' if ratio <= MAX_RATIO else 'FAIL'}"
        )
        fit_ratio = ours["fit_seconds"] / lav["sem_fit_synergy_n1000"]
        print(f"ratio plain fit / lavaan: {fit_ratio:.3f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
