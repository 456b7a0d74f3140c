"""The estimation engine at instrument size: synergy_stats against lavaan, side by side.

Usage (from anywhere)::

    python benchmarks/bench_engine.py [--sections syn44,busy,cfa100,boot] [--draws 1000]
                                      [--timeout 1800] [--skip-lavaan]

Sections (issue 16), each timed for the package and for lavaan 0.6-14 in the same run
(``benchmarks/lavaan_engine_baseline.R`` through Rscript) and printed as ratios:

* ``syn44``: the 44-item synergy SEM of the main job (wave 1 of the bundled example,
  ``tests/data/sem/synergy44_wave1.csv`` / ``synergy44_model.lav``) under ML and MLR,
  listwise and FIML; ours with the default BLAS threads and with one thread
  (threadpoolctl). Target: each ratio <= 1/3.
* ``busy``: the same with the other core kept busy by a busy-loop process started for that
  run (lavaan timed under the same load). Target: <= 1/3.
* ``cfa100``: a synthetic 100-item, 10-factor CFA at n = 2000 (seeded, written to a
  temporary CSV for R): ML on complete data (target <= 1/3) and MLR + FIML with 10% MCAR
  (target <= 1/10).
* ``boot``: 1000 bootstrap draws of the 44-item ML model, ``ss.bootstrap(n_jobs=2)``
  against lavaan's ``se = "bootstrap"`` (target <= 1/10).

A single fit is ``sem()`` + ``estimates()`` + ``fit_measures()`` for us and ``sem()`` +
``parameterEstimates(standardized = TRUE)`` + ``fitMeasures()`` for lavaan, timed after
the imports (for us: the modules a fit loads lazily, among them scipy.stats, and
threadpoolctl's controller) and the data are loaded. Every timed task runs in its own
child process with ``--timeout`` seconds; a task that runs out is reported as
``>= timeout`` (its ratio as a bound). The machine load (1-minute load average) is
printed with each section: the machines are shared, so compare ratios from one run, not
absolute times across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEM_DATA = ROOT / "tests" / "data" / "sem"
SYN_CSV = SEM_DATA / "synergy44_wave1.csv"
SYN_MODEL = SEM_DATA / "synergy44_model.lav"
R_SCRIPT = Path(__file__).resolve().parent / "lavaan_engine_baseline.R"
ESTIMATORS = {
    "ml": {},
    "mlr": {"estimator": "MLR"},
    "fiml": {"missing": "fiml"},
    "mlr_fiml": {"estimator": "MLR", "missing": "fiml"},
}
SINGLE_FIT_TARGET = 1 / 3
CFA100_FIML_TARGET = 1 / 10
BOOT_TARGET = 1 / 10


def cfa100_data(out_dir: Path, *, seed: int = 20261202) -> tuple[Path, Path, Path]:
    """Write the synthetic 100-item, 10-factor CFA (n = 2000) and its 10% MCAR copy.

    Loadings are drawn from U(0.5, 0.9) with unit item variances, factor correlations 0.3.
    Returns (complete CSV, MCAR CSV, model file).
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n, k, per = 2000, 10, 10
    phi = np.full((k, k), 0.3) + 0.7 * np.eye(k)
    lam = np.zeros((k * per, k))
    for f in range(k):
        lam[f * per : (f + 1) * per, f] = rng.uniform(0.5, 0.9, per)
    theta = 1.0 - np.sum((lam @ phi) * lam, axis=1)
    eta = rng.multivariate_normal(np.zeros(k), phi, size=n)
    y = eta @ lam.T + rng.standard_normal((n, k * per)) * np.sqrt(theta)
    names = [f"y{i + 1}" for i in range(k * per)]
    full = pd.DataFrame(y, columns=names)
    miss = full.mask(rng.random(full.shape) < 0.10)
    lines = [f"f{f + 1} =~ " + " + ".join(names[f * per : (f + 1) * per]) for f in range(k)]
    paths = (out_dir / "cfa100.csv", out_dir / "cfa100_mcar10.csv", out_dir / "cfa100.lav")
    full.to_csv(paths[0], index=False, float_format="%.10g")
    miss.to_csv(paths[1], index=False, float_format="%.10g")
    paths[2].write_text("\n".join(lines) + "\n")
    return paths


@dataclass(frozen=True)
class Timing:
    """Seconds of a task; ``complete=False``: it was stopped after ``seconds`` (a bound)."""

    seconds: float
    complete: bool = True

    def __str__(self) -> str:
        return f"{self.seconds:.3f}" if self.complete else f">={self.seconds:.0f}"


# ---------------------------------------------------------------------- child processes
def worker(args: argparse.Namespace) -> None:
    """The package's side of one task, in a child process; prints one JSON line."""
    import warnings

    import pandas as pd
    from threadpoolctl import threadpool_limits

    sys.path.insert(0, str(ROOT))
    import synergy_stats as ss

    # the imports a fit triggers (the package loads its subpackages lazily, and fit.py
    # imports scipy.stats: 0.5 s on first use) and the BLAS thread controller are loaded
    # before the timing, as lavaan is by library(lavaan) before R's timing
    import synergy_stats.structural.api
    import synergy_stats.structural.results
    from synergy_stats._blas import one_blas_thread

    with one_blas_thread():
        pass
    data = pd.read_csv(args.data)
    model = Path(args.model).read_text()
    limit = threadpool_limits(1) if args.threads == "1" else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if args.task == "bootstrap":
            fit = ss.sem(model, data)  # first-call costs outside the timing
            t0 = time.perf_counter()
            fit = ss.sem(model, data)
            boot = ss.bootstrap(fit, draws=args.draws, seed=1, n_jobs=args.n_jobs, progress=False)
            boot.se()
            seconds = time.perf_counter() - t0
            extra = {"failed": boot.n_failed}
        else:
            kw = ESTIMATORS[args.task]
            times = []
            for _ in range(args.reps):
                t0 = time.perf_counter()
                fit = ss.sem(model, data, **kw)
                fit.estimates()
                fit.fit_measures()
                times.append(time.perf_counter() - t0)
            seconds = sorted(times)[len(times) // 2]
            extra = {"runs": len(times)}
    if limit is not None:
        limit.unregister()
    print(json.dumps({"seconds": seconds, **extra}))


def run_ours(
    task: str,
    data: Path,
    model: Path,
    *,
    threads: str,
    timeout: float,
    reps: int = 1,
    draws: int = 1000,
    n_jobs: int = 1,
) -> Timing:
    """Seconds of one task of the package in a child process, stopped after ``timeout``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        task,
        "--data",
        str(data),
        "--model",
        str(model),
        "--threads",
        threads,
        "--reps",
        str(reps),
        "--draws",
        str(draws),
        "--n-jobs",
        str(n_jobs),
    ]
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return Timing(timeout, complete=False)
    if out.returncode != 0:
        raise RuntimeError(f"package task {task} failed:\n{out.stderr[-3000:]}")
    return Timing(float(json.loads(out.stdout.strip().splitlines()[-1])["seconds"]))


def run_lavaan(
    task: str, data: Path, model: Path, *, timeout: float, reps: int = 1, draws: int = 1000
) -> Timing:
    """Seconds of one lavaan task (Rscript child), stopped after ``timeout``."""
    cmd = ["Rscript", str(R_SCRIPT), task, str(data), str(model), str(reps), str(draws)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Timing(timeout, complete=False)
    if out.returncode != 0:
        raise RuntimeError(f"lavaan task {task} failed:\n{out.stderr[-3000:]}")
    _name, value = out.stdout.strip().splitlines()[-1].split()
    return Timing(float(value))


# ---------------------------------------------------------------------- reporting
class Table:
    """Rows of ``label  ours  lavaan  ratio  target  verdict``, printed as they come."""

    def __init__(self) -> None:
        self.ok = True
        self.rows: list[tuple[str, str, str, str, float, str]] = []
        print(f"{'task':<44}{'ours s':>10}{'lavaan s':>11}{'ratio':>9}{'target':>9}")

    def row(self, label: str, ours: Timing, lav: Timing | None, target: float) -> None:
        """Print one comparison; a stopped task makes the ratio a bound."""
        if lav is None:
            rtxt, verdict = "n/a", "n/a"
        else:
            ratio = ours.seconds / lav.seconds
            if ours.complete and lav.complete:
                rtxt, verdict = f"{ratio:.3f}", "OK" if ratio <= target else "MISSED"
            elif ours.complete:  # lavaan stopped: the true ratio is smaller
                rtxt, verdict = f"<={ratio:.3f}", "OK" if ratio <= target else "open"
            elif lav.complete:  # ours stopped: the true ratio is larger
                rtxt, verdict = f">={ratio:.2f}", "MISSED" if ratio > target else "open"
            else:
                rtxt, verdict = "n/a", "open"
        self.ok &= verdict == "OK"
        self.rows.append((label, str(ours), str(lav), rtxt, target, verdict))
        print(
            f"{label:<44}{ours!s:>10}{lav!s:>11}{rtxt:>9}{target:>9.3f}  {verdict}",
            flush=True,
        )


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} CPU(s)"


def syn44_section(table: Table, args: argparse.Namespace, label: str) -> None:
    print(f"\n44-item synergy SEM, {label}; {load()}", flush=True)
    for task in ESTIMATORS:
        reps = args.reps if task == "ml" else 1
        lav = (
            None
            if args.skip_lavaan
            else run_lavaan(task, SYN_CSV, SYN_MODEL, timeout=args.timeout, reps=reps)
        )
        for threads in ("default", "1"):
            ours = run_ours(
                task, SYN_CSV, SYN_MODEL, threads=threads, timeout=args.timeout, reps=reps
            )
            name = f"{task}, {'default BLAS threads' if threads == 'default' else '1 thread'}"
            table.row(name, ours, lav, SINGLE_FIT_TARGET)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sections", default="syn44,busy,cfa100,boot")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3, help="runs of the fast single fits")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per timed task")
    ap.add_argument("--skip-lavaan", action="store_true")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--threads", default="default", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.task = args.worker
        worker(args)
        return 0
    if not args.skip_lavaan and shutil.which("Rscript") is None:
        print("lavaan: skipped (Rscript not found)")
        args.skip_lavaan = True
    sections = set(args.sections.split(","))
    table = Table()
    if "syn44" in sections:
        syn44_section(table, args, "idle apart from other users")
    if "busy" in sections:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            time.sleep(1.0)
            syn44_section(table, args, "the other core busy (a busy-loop process)")
        finally:
            busy.kill()
            busy.wait()
    if "cfa100" in sections:
        with tempfile.TemporaryDirectory() as tmp:
            full, mcar, model = cfa100_data(Path(tmp))
            print(f"\n100-item 10-factor CFA, n = 2000; {load()}", flush=True)
            for task, data, target in (
                ("ml", full, SINGLE_FIT_TARGET),
                ("mlr_fiml", mcar, CFA100_FIML_TARGET),
            ):
                reps = args.reps if task == "ml" else 1
                ours = run_ours(
                    task, data, model, threads="default", timeout=args.timeout, reps=reps
                )
                # lavaan's MLR + FIML at 100 items builds p^2 x p^2 matrices per missing-data
                # pattern and may run for hours: once it has taken more than ours / target,
                # the target is met and it is stopped (the ratio is then a bound)
                limit = args.timeout
                if task == "mlr_fiml" and ours.complete:
                    limit = min(args.timeout, max(120.0, 1.2 * ours.seconds / target))
                lav = (
                    None
                    if args.skip_lavaan
                    else run_lavaan(task, data, model, timeout=limit, reps=reps)
                )
                label = "ML, complete" if task == "ml" else "MLR + FIML, 10% MCAR"
                table.row(label, ours, lav, target)
    if "boot" in sections:
        print(f"\nbootstrap of the 44-item ML model, {args.draws} draws; {load()}", flush=True)
        lav = (
            None
            if args.skip_lavaan
            else run_lavaan("bootstrap", SYN_CSV, SYN_MODEL, timeout=args.timeout, draws=args.draws)
        )
        ours = run_ours(
            "bootstrap",
            SYN_CSV,
            SYN_MODEL,
            threads="default",
            timeout=args.timeout,
            draws=args.draws,
            n_jobs=args.n_jobs,
        )
        table.row(f"ss.bootstrap n_jobs={args.n_jobs} vs se='bootstrap'", ours, lav, BOOT_TARGET)
    print(f"\nall targets met: {table.ok}")
    return 0 if table.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
