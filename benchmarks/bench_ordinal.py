"""WLSMV fit of the bundled 44-item synergy SEM: synergy_stats against lavaan, side by side.

Run from the repository root: ``python benchmarks/bench_ordinal.py``. In one run it fits
the instrument's synergy execution model (44 five-point items, second-order factors) to
wave 1 of the bundled example survey with ``ordered=True`` (WLSMV), in lavaan 0.6-14
(``benchmarks/bench_ordinal_lavaan.R``: ``sem(..., ordered = TRUE)`` plus
``parameterEstimates`` and ``fitMeasures``) and here (``ss.sem(..., ordered=True)`` plus
``estimates()`` and ``fit_measures()``), and prints both times, the ratio (target <= 1/3)
and the polychoric step alone (``ss.polychoric`` against ``lavCor``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import synergy_stats as ss
from benchmarks._common import REPO, median_time
from synergy_stats.intake import reverse_code
from synergy_stats.structural import structural_model


def wave1() -> tuple[pd.DataFrame, str]:
    """Wave-1 items of the bundled example (reverse-keyed items recoded), complete rows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sv = ss.read_survey(
            ss.load_example(), "synergy-execution", id="respondent_id", wave="wave",
            group="department", covariates=["gender", "rank", "tenure_years"],
        )  # fmt: skip
    items = reverse_code(sv.instrument, sv)
    spec = structural_model(sv.instrument)
    cols = list(spec.observed_variables)
    d = items.loc[sv.data["wave"] == sorted(sv.data["wave"].unique())[0], cols].dropna()
    return d.astype(int).reset_index(drop=True), spec.to_syntax()


def lavaan_times(data: pd.DataFrame, model: str, reps: int) -> dict[str, float]:
    script = REPO / "benchmarks" / "bench_ordinal_lavaan.R"
    if shutil.which("Rscript") is None:
        print("lavaan side skipped: Rscript not found")
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        lav = Path(tmp) / "m.lav"
        data.to_csv(csv, index=False)
        lav.write_text(model + "\n")
        out = subprocess.run(
            ["Rscript", str(script), str(csv), str(lav), str(reps)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    if out.returncode != 0:
        print("lavaan side failed:\n" + out.stderr[-2000:])
        return {}
    times = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            times[parts[0]] = float(parts[1])
    return times


def main() -> int:
    data, model = wave1()
    print(f"data: wave 1 of the bundled example, {len(data)} complete rows x {data.shape[1]} items")

    def ours() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ss.sem(model, data, ordered=True)
            fit.estimates()
            fit.fit_measures()

    def ours_poly() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ss.polychoric(data)

    t_fit = median_time(ours, repeat=7, warmup=2)
    t_poly = median_time(ours_poly, repeat=7, warmup=1)
    lav = lavaan_times(data, model, reps=3)
    print(f"ours   sem(ordered=True)+estimates+fit_measures: {t_fit:8.3f} s (median of 7)")
    print(f"ours   polychoric step alone (946 pairs + NACOV): {t_poly:8.3f} s (median of 7)")
    ok = True
    if "lavaan_wlsmv_synergy44" in lav:
        t_lav = lav["lavaan_wlsmv_synergy44"]
        ratio = t_fit / t_lav
        ok = ratio <= 1 / 3
        print(
            f"lavaan sem(ordered=TRUE)+parameterEstimates+fitMeasures: {t_lav:8.3f} s (mean of 3)"
        )
        print(
            f"lavaan lavCor(ordered=all) alone: {lav['lavaan_lavcor_synergy44']:8.3f} s (mean of 3)"
        )
        print(f"ratio ours/lavaan: {ratio:.3f} (target <= 0.333) {'OK' if ok else 'MISSED'}")
        print(f"polychoric ratio ours/lavCor: {t_poly / lav['lavaan_lavcor_synergy44']:.3f}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
