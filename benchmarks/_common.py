"""Shared helpers of the side-by-side benchmarks: the lavaan baseline and timing."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
BASELINE = SHARED / "bench" / "lavaan_baseline.R"
DATA = REPO / "tests" / "data"


def lavaan_baseline(draws: int = 1000) -> dict[str, float]:
    """Run ../shared/bench/lavaan_baseline.R; {} with a message when R/lavaan is absent."""
    if shutil.which("Rscript") is None or not BASELINE.exists():
        print(f"lavaan baseline skipped: Rscript or {BASELINE} not found")
        return {}
    out = subprocess.run(
        ["Rscript", str(BASELINE), str(draws)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        print("lavaan baseline failed:\n" + out.stderr[-2000:])
        return {}
    times = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            times[parts[0]] = float(parts[1])
    return times


def median_time(fn: Callable[[], object], repeat: int = 7, warmup: int = 1) -> float:
    """Median wall time of ``fn`` in seconds over ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def synergy_model() -> str:
    """The synergy chain model of the lavaan baseline script."""
    text = BASELINE.read_text() if BASELINE.exists() else ""
    if "m <- '" in text:
        return text.split("m <- '")[1].split("'")[0]
    return (
        "mot =~ mot1 + mot2 + mot3 + mot4\nmech =~ mech1 + mech2 + mech3 + mech4\n"
        "proc =~ proc1 + proc2 + proc3 + proc4\nres =~ res1 + res2 + res3 + res4\n"
        "mech ~ a*mot\nproc ~ b*mech + mot\nres ~ c*proc + mech\nindirect := a*b*c"
    )
