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
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import DATA, lavaan_baseline, median_time  # noqa: E402
from synergy_stats.panel import measurement_invariance  # noqa: E402

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def main() -> int:
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
    base = lavaan_baseline(draws=10)

    def ladder() -> None:
        measurement_invariance(HS_MODEL, hs, group="school", partial=False).table()

    def ladder_partial() -> None:
        measurement_invariance(HS_MODEL, hs, group="school").table()

    ours = median_time(ladder, repeat=9, warmup=1)
    ours_partial = median_time(ladder_partial, repeat=5, warmup=1)
    print(f"ours   ladder, 4 levels (partial=False):          {ours:8.4f} s (median of 9)")
    print(f"ours   ladder with partial search (6 fits):       {ours_partial:8.4f} s (median of 5)")
    ok = True
    lav = base.get("invariance_ladder_hs_school")
    if lav is not None:
        ratio = ours / lav
        ok = ratio <= 1.0
        print(f"lavaan cfa() x 4 levels:                          {lav:8.4f} s")
        print(f"ratio ours/lavaan: {ratio:.3f} (target <= 1) {'OK' if ok else 'MISSED'}")
        print(f"ratio ours with partial search / lavaan 4 levels: {ours_partial / lav:.3f}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
