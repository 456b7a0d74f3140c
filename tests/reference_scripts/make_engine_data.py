"""Write the 44-item synergy SEM's data and syntax for make_engine_reference.R.

Run from the repository root (``python tests/reference_scripts/make_engine_data.py``). The
data are what the main job's SEM step fits (``synergy_stats.report_analysis.sem_step``):
wave 1 of the bundled example, read as ``synergy-stats report --example`` reads it, with the
reverse-keyed items recoded; only the 44 item columns are written. The syntax is
``structural_model(instrument).to_syntax()``. Writes ``tests/data/sem/synergy44_wave1.csv``
and ``tests/data/sem/synergy44_model.lav`` (refuses to overwrite unless ``--force``).
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from importlib import resources
from pathlib import Path

import synergy_stats as ss
from synergy_stats.report import ReportContext
from synergy_stats.report_analysis import _cross_section
from synergy_stats.simulate import example as ex
from synergy_stats.structural import structural_model

OUT = Path("tests/data/sem")


def main() -> int:
    force = "--force" in sys.argv
    csv, lav = OUT / "synergy44_wave1.csv", OUT / "synergy44_model.lav"
    for path in (csv, lav):
        if path.exists() and not force:
            print(f"{path} exists; pass --force to overwrite")
            return 1
    with resources.as_file(ex.example_path()) as path, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        survey = ss.read_survey(
            path,
            ex.EXAMPLE_INSTRUMENT,
            id=ex.EXAMPLE_ID,
            wave=ex.EXAMPLE_WAVE,
            group=ex.EXAMPLE_GROUP,
            covariates=ex.EXAMPLE_COVARIATES,
        )
    with tempfile.TemporaryDirectory() as tmp:
        ctx = ReportContext(survey=survey, out_dir=Path(tmp))
        data, _ = _cross_section(ctx)
        spec = structural_model(ctx.instrument)
    items = [c for c in data.columns if c in set(spec.observed_variables)]
    data[items].to_csv(csv, index=False, float_format="%.17g")
    lav.write_text(spec.to_syntax() + "\n")
    print(f"wrote {csv} ({len(data)} rows, {len(items)} items) and {lav}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
