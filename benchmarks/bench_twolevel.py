"""Two-level SEM side by side with lavaan in the same run: Demo.twolevel and the two-level
synergy model (three factors of three items, within and between paths, loadings equal across
levels, 100 departments of 8-30 staff, simulated with a seed).

Run from the repository root:  python benchmarks/bench_twolevel.py [repeats]
Each timing is the median wall time of a full fit (estimates with standard errors,
standardized solution and fit measures); lavaan runs benchmarks/bench_twolevel.R on the same
CSV files. Target: ours at most 1/3 of lavaan's time.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import synergy_stats as ss  # noqa: E402
from benchmarks._common import median_time  # noqa: E402
from synergy_stats.multilevel.build import two_level_spec  # noqa: E402

DEMO = REPO / "tests" / "data" / "multilevel" / "demo_twolevel.csv"
DEMO_MODEL = """level: 1
    fw =~ y1 + y2 + y3
    fw ~ x1 + x2 + x3
level: 2
    fb =~ y1 + y2 + y3
    fb ~ w1 + w2"""
SYNERGY = """mot =~ mot1 + mot2 + mot3
mech =~ mech1 + mech2 + mech3
res =~ res1 + res2 + res3
mech ~ a*mot
res ~ b*mech + mot
ind := a*b"""


def simulate(seed: int = 7) -> pd.DataFrame:
    """Complete two-level synergy data: 100 departments of 8-30 staff."""
    rng = np.random.default_rng(seed)
    J = 100
    sizes = rng.integers(8, 31, size=J)
    dept = np.repeat(np.arange(J), sizes)
    n = len(dept)
    mot_b = rng.normal(0, 0.5, J)
    mech_b = 0.6 * mot_b + rng.normal(0, 0.35, J)
    res_b = 0.5 * mech_b + rng.normal(0, 0.3, J)
    mot_w = rng.normal(0, 1.0, n)
    mech_w = 0.4 * mot_w + rng.normal(0, 0.85, n)
    res_w = 0.35 * mech_w + 0.15 * mot_w + rng.normal(0, 0.8, n)
    cols = {}
    for name, fw, fb in (("mot", mot_w, mot_b), ("mech", mech_w, mech_b), ("res", res_w, res_b)):
        for k, lam in enumerate((1.0, 0.85, 0.7), start=1):
            cols[f"{name}{k}"] = 3.0 + lam * (fw + fb[dept]) + rng.normal(0, 0.6, n)
    out = pd.DataFrame(cols)
    out["department"] = [f"D{d:03d}" for d in dept]
    return out


def full(fit: ss.SEMResult) -> None:
    fit.estimates()
    fit.fit_measures()


def main(repeats: int = 5) -> None:
    demo = pd.read_csv(DEMO)
    syn = simulate()
    syn_model = two_level_spec(ss.parse_model(SYNERGY)).to_syntax()
    ours = {
        "demo_twolevel": median_time(
            lambda: full(ss.sem(DEMO_MODEL, demo, cluster="cluster")), repeat=repeats
        ),
        "synergy_twolevel": median_time(
            lambda: full(ss.sem(syn_model, syn, cluster="department")), repeat=repeats
        ),
    }
    theirs: dict[str, float] = {}
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            syn_csv = Path(tmp) / "synergy.csv"
            model = Path(tmp) / "synergy.lav"
            syn.to_csv(syn_csv, index=False)
            model.write_text(syn_model)
            res = subprocess.run(
                [
                    "Rscript",
                    str(REPO / "benchmarks" / "bench_twolevel.R"),
                    str(DEMO),
                    str(syn_csv),
                    str(model),
                    str(repeats),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            for line in res.stdout.splitlines():
                parts = line.split()
                if len(parts) == 2:
                    theirs[parts[0]] = float(parts[1])
            if res.returncode != 0:
                print(res.stderr[-2000:])
    print(f"{'model':<20}{'ours (s)':>10}{'lavaan (s)':>12}{'ratio':>8}")
    for key, t in ours.items():
        lv = theirs.get(key, float("nan"))
        print(f"{key:<20}{t:>10.3f}{lv:>12.3f}{t / lv:>8.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
