"""Single ML fit of the synergy chain: synergy_stats against lavaan, side by side.

Run from the repository root: ``python benchmarks/bench_sem.py``. Prints, in one run on this
machine:

* lavaan's ``sem()`` time (``../shared/bench/lavaan_baseline.R``) and ours for n = 1000, and
  the ratio (target: at most 1/3);
* ours on 1,000,000 simulated respondents from the fitted model, the ratio to our n = 1000
  time (target: at most 5) and the peak memory of that fit (target: under 1 GB).

"Ours" is ``sem()`` followed by ``estimates()`` and ``fit_measures()``: everything a
user reads, so that nothing is deferred out of the timing.
"""

from __future__ import annotations

import resource
import sys
import tracemalloc

import numpy as np
import pandas as pd

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

import synergy_stats as ss
from benchmarks._common import DATA, lavaan_baseline, median_time, synergy_model


def full_fit(model: str, data: pd.DataFrame) -> None:
    fit = ss.sem(model, data)
    fit.estimates()
    fit.fit_measures()


def main() -> int:
    model = synergy_model()
    data = pd.read_csv(DATA / "synergy_sim_n1000.csv")
    base = lavaan_baseline(draws=10)
    ours_small = median_time(lambda: full_fit(model, data), repeat=21, warmup=3)
    print(f"ours   sem+estimates+fit_measures, n=1000: {ours_small * 1000:8.2f} ms (median of 21)")
    ok = True
    if "sem_fit_synergy_n1000" in base:
        lav = base["sem_fit_synergy_n1000"]
        ratio = ours_small / lav
        ok &= ratio <= 1 / 3
        print(f"lavaan sem(), n=1000:                    {lav * 1000:8.2f} ms (mean of 20)")
        verdict = "OK" if ratio <= 1 / 3 else "MISSED"
        print(f"ratio ours/lavaan: {ratio:.3f} (target <= 0.333) {verdict}")

    fit = ss.sem(model, data)
    rng = np.random.default_rng(20261127)
    x = rng.multivariate_normal(
        fit.sample_mean().to_numpy(), fit.implied_cov().to_numpy(), size=1_000_000
    )
    big = pd.DataFrame(x, columns=list(fit.observed_variables))
    del x
    ours_big = median_time(lambda: full_fit(model, big), repeat=5, warmup=1)
    tracemalloc.start()
    full_fit(model, big)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    scale = ours_big / ours_small
    ok &= scale <= 5 and peak < 1024
    print(
        f"ours   n=1,000,000: {ours_big * 1000:8.2f} ms (median of 5); "
        f"ratio to n=1000: {scale:.2f} (target <= 5) {'OK' if scale <= 5 else 'MISSED'}"
    )
    print(
        f"peak memory of the 1,000,000-row fit: {peak:.0f} MiB allocated by the fit "
        f"(tracemalloc; process max RSS incl. the data: {rss:.0f} MiB; target < 1024 MiB)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
