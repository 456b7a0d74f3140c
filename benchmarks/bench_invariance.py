"""The Holzinger-Swineford invariance ladder by school: synergy_stats against lavaan.

Run from the repository root: ``python benchmarks/bench_invariance.py``. Prints, in one run
on this machine:

* lavaan's time for the four ``cfa(..., group = "school", group.equal = ...)`` fits of the
  ladder (``invariance_ladder_hs_school`` in ``../shared/bench/lavaan_baseline.R``);
* ours for the same four levels, ``measurement_invariance(..., partial=False).table()``:
  the fits, the difference tests and the fit indices of the table, nothing deferred;
* the ratio ours / lavaan (target: at most 1);
* for information, the default ladder with the partial-invariance search (two intercepts
  freed by score tests, two more fits), which lavaan's loop does not do.

Ours is timed twice, each in a fresh process: with the environment as it is, and with
``OPENBLAS_NUM_THREADS=1``, because multithreaded OpenBLAS calls on the small matrices of
an SEM can dominate on a busy machine. The first figure decides the target.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
HERE = Path(__file__).resolve()


def child() -> None:
    """Time our ladder in this process; print ``name seconds`` lines."""
    sys.path.insert(0, str(HERE.parents[1]))
    import pandas as pd

    from benchmarks._common import DATA, median_time
    from synergy_stats.panel import measurement_invariance

    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")

    def ladder() -> None:
        measurement_invariance(HS_MODEL, hs, group="school", partial=False).table()

    def ladder_partial() -> None:
        measurement_invariance(HS_MODEL, hs, group="school").table()

    print(f"ladder {median_time(ladder, repeat=9, warmup=1):.6f}")
    print(f"ladder_partial {median_time(ladder_partial, repeat=5, warmup=1):.6f}")


def run_child(env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, str(HERE), "--child"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return {k: float(v) for k, v in (line.split() for line in out.stdout.splitlines())}


def main() -> int:
    sys.path.insert(0, str(HERE.parents[1]))
    from benchmarks._common import lavaan_baseline

    base = lavaan_baseline(draws=10)
    ours = run_child(dict(os.environ))
    single = run_child({**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    print(f"ours   ladder, 4 levels (partial=False):     {ours['ladder']:8.4f} s (median of 9)")
    print(f"ours   ladder + partial search (6 fits):     {ours['ladder_partial']:8.4f} s")
    print(f"ours   ladder, OPENBLAS_NUM_THREADS=1:       {single['ladder']:8.4f} s")
    print(f"ours   ladder + partial, 1 OpenBLAS thread:  {single['ladder_partial']:8.4f} s")
    ok = True
    lav = base.get("invariance_ladder_hs_school")
    if lav is not None:
        ratio = ours["ladder"] / lav
        ok = ratio <= 1.0
        print(f"lavaan cfa() x 4 levels:                     {lav:8.4f} s")
        print(f"ratio ours/lavaan: {ratio:.3f} (target <= 1) {'OK' if ok else 'MISSED'}")
        print(f"ratio with OPENBLAS_NUM_THREADS=1: {single['ladder'] / lav:.3f}")
        print(
            f"ratio ours with partial search / lavaan 4 levels: {ours['ladder_partial'] / lav:.3f}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        raise SystemExit(main())
