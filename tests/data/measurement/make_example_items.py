"""Write example_items.csv and example_spec.json, the bundled example as the R script reads it.

Wave 1 of the bundled example survey, read against the ``synergy-execution`` instrument
(``read_survey``), reverse-keyed items recoded ``(min + max) - x``; missing answers stay
empty. Run from the repository root::

    PYTHONPATH=. python tests/data/measurement/make_example_items.py
    cd tests/reference_scripts && Rscript make_measurement_reference.R
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import synergy_stats as ss

HERE = Path(__file__).parent


def example_items():
    """Return (instrument, wave-1 item frame with reverse-keyed items recoded)."""
    try:
        raw = ss.load_example()
    except FileNotFoundError:  # the shipped CSV is not there yet: same data, simulated
        raw = ss.simulate_example()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few invalid cells become NaN, as documented
        survey = ss.read_survey(
            raw, "synergy-execution", id="respondent_id", wave="wave", group="department"
        )
    inst = ss.load_instrument("synergy-execution")
    data = survey.data[survey.data["wave"] == 1]
    items = [it.id for it in inst.items]
    out = data[items].astype(float).reset_index(drop=True)
    for it in inst.items:
        if it.reverse:
            sc = inst.scales[it.scale]
            out[it.id] = (sc.minimum + sc.maximum) - out[it.id]
    return inst, out


def main() -> None:
    inst, items = example_items()
    items.to_csv(HERE / "example_items.csv", index=False, na_rep="")
    spec = {
        "factors": {f: inst.items_of(f) for f in inst.factors()},
        "second_order": {
            c: list(inst.constructs[c].components)
            for c in inst.constructs
            if inst.constructs[c].kind == "second_order"
        },
        "correlated": {
            c: list(inst.constructs[c].components)
            for c in inst.constructs
            if inst.constructs[c].kind == "correlated"
        },
        "n_factors_efa": len(inst.factors()),
    }
    (HERE / "example_spec.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
