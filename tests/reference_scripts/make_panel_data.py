"""Write the simulated panel datasets that make_panel_reference.R fits with lavaan.

Run from the repository root, before the R script:

    PYTHONPATH=. python tests/reference_scripts/make_panel_data.py
    Rscript tests/reference_scripts/make_panel_reference.R

The data come from synergy_stats.panel.simulate_riclpm (seeded) and are frozen as CSV under
tests/data/panel/, so the tests never depend on the simulator staying the same.
"""

from __future__ import annotations

from pathlib import Path

from synergy_stats.panel.simulate import simulate_riclpm

OUT = Path("tests/data/panel")

CONSTRUCTS = ["mechanism", "process", "results"]
LAGS = {
    ("mechanism", "process"): 0.20,
    ("process", "results"): 0.25,
    ("results", "mechanism"): 0.15,
    ("results", "process"): 0.10,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    # three constructs, four waves, complete data
    d = simulate_riclpm(600, CONSTRUCTS, 4, lags=LAGS, seed=20260601)
    d.to_csv(OUT / "riclpm_3c4w_long.csv", index=False, float_format="%.10g")
    # the same design with attrition (FIML)
    d = simulate_riclpm(600, CONSTRUCTS, 4, lags=LAGS, seed=20260602, attrition=0.12)
    d.to_csv(OUT / "riclpm_3c4w_attrition_long.csv", index=False, float_format="%.10g")
    # multiple indicators: two constructs, three items each, three waves
    d = simulate_riclpm(
        500,
        ["mechanism", "results"],
        3,
        lags={("results", "mechanism"): 0.2},
        seed=20260603,
        indicators=3,
        item_ri_variance=0.15,
    )
    d.to_csv(OUT / "mi_riclpm_long.csv", index=False, float_format="%.10g")
    # longitudinal invariance: two factors, three items each, three waves; item a_2's
    # intercept shifts by 0.35 at wave 3 (a non-invariant intercept)
    d = simulate_riclpm(
        450,
        ["a", "b"],
        3,
        lags={},
        seed=20260604,
        indicators=3,
        ri_variance=0.6,
    )
    d.loc[d["wave"] == 3, "a_2"] += 0.35
    d.to_csv(OUT / "longinv_long.csv", index=False, float_format="%.10g")
    # the same design with attrition, for the FIML ladder
    d = simulate_riclpm(
        300,
        ["a", "b"],
        3,
        lags={},
        seed=20260605,
        indicators=3,
        ri_variance=0.6,
        attrition=0.15,
    )
    d.loc[d["wave"] == 3, "a_2"] += 0.35
    d.to_csv(OUT / "longinv_attrition_long.csv", index=False, float_format="%.10g")


if __name__ == "__main__":
    main()
