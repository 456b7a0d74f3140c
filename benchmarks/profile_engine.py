"""Profile the engine on the bundled 44-item synergy SEM (wave 1 of the example).

``python benchmarks/profile_engine.py [ML|MLR] [listwise|fiml] [threads]``: times the fit,
``estimates()`` and ``fit_measures()``; ``threads`` (default: BLAS default) limits BLAS.
Not a side-by-side benchmark (see bench_*.py): a development aid.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def example_data():
    import synergy_stats as ss
    from synergy_stats.intake import reverse_code
    from synergy_stats.simulate.example import load_example
    from synergy_stats.structural import structural_model

    survey = ss.read_survey(
        load_example(),
        "synergy-execution",
        id="respondent_id",
        wave="wave",
        group="department",
        covariates=["gender", "rank", "tenure_years"],
    )
    items = reverse_code(survey.instrument, survey)
    first = sorted(survey.data["wave"].dropna().unique())[0]
    data = items[survey.data["wave"] == first]
    return structural_model(survey.instrument), data


def main() -> None:
    import synergy_stats as ss

    est = sys.argv[1] if len(sys.argv) > 1 else "ML"
    miss = sys.argv[2] if len(sys.argv) > 2 else "listwise"
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else None
    spec, data = example_data()
    ctx = None
    if threads is not None:
        from threadpoolctl import threadpool_limits

        ctx = threadpool_limits(threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times = []
        for _ in range(3):
            c0 = time.process_time()
            t0 = time.perf_counter()
            fit = ss.sem(spec, data, estimator=est, missing=miss)
            t1 = time.perf_counter()
            fit.estimates()
            t2 = time.perf_counter()
            fm = fit.fit_measures()
            t3 = time.perf_counter()
            times.append((t1 - t0, t2 - t1, t3 - t2, time.process_time() - c0))
    best = min(times, key=lambda t: t[0] + t[1] + t[2])
    print(
        f"{est}/{miss} threads={threads}: fit {best[0]:.3f}s estimates {best[1]:.3f}s "
        f"fit_measures {best[2]:.3f}s total {sum(best[:3]):.3f}s (cpu {best[3]:.3f}s); "
        f"npar={fit.npar} n={fit.nobs} "
        f"chisq={fm['chisq']:.4f} iters={fit.optim.iterations}"
    )
    del ctx


if __name__ == "__main__":
    main()
