"""``manifest.json``: what the main job ran, on what, with which versions and seeds.

The manifest records the package, dependency and Python versions, the command line and
options, every seed, the SHA-256 of the input and instrument files, the instrument's name
and version, and the start time and run time of every step. Running the same command on
the same input gives the same manifest apart from the times.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from synergy_stats.report import ReportContext, Section, StepRecord

__all__ = ["DEPENDENCIES", "TIME_KEYS", "build_manifest", "manifest_section", "sha256"]

#: distributions whose versions are recorded
DEPENDENCIES = (
    "numpy",
    "scipy",
    "pandas",
    "statsmodels",
    "semopy",
    "matplotlib",
    "tqdm",
    "PyYAML",
    "openpyxl",
    "pyreadstat",
    "python-docx",
)
#: keys whose values change from run to run (times); everything else is reproducible
TIME_KEYS = ("started", "seconds", "total_seconds")


def sha256(path: str | Path) -> str | None:
    """SHA-256 of a file (None when there is no such file)."""
    p = Path(path)
    if not p.is_file():
        return None
    digest = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _frame_sha256(frame: Any) -> str:
    text = frame.to_csv(index=True, lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def build_manifest(
    ctx: ReportContext,
    records: Sequence[StepRecord],
    started: datetime,
    command: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The manifest of a run of :func:`synergy_stats.report.run_report`."""
    from synergy_stats import __version__

    survey = ctx.survey
    inst = survey.instrument
    source = survey.source
    return {
        "package": {"name": "synergy_stats", "version": __version__},
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
        },
        "platform": sys.platform,
        "dependencies": {d: _version(d) for d in DEPENDENCIES},
        "command": dict(command) if command is not None else {"argv": None, "options": {}},
        "language": ctx.lang,
        "seed": ctx.seed,
        "seeds": dict(sorted(ctx.seeds.items())),
        "input": {
            "file": Path(source).name if source else None,
            # a DataFrame without a file: the SHA-256 of its CSV text
            "sha256": sha256(source) if source else _frame_sha256(survey.data),
            "rows": len(survey.data),
            "items": len(survey.items),
        },
        "instrument": {
            "id": inst.id,
            "version": inst.version,
            "file": Path(inst.source).name if inst.source else None,
            "sha256": sha256(inst.source) if inst.source else None,
        },
        "started": started.isoformat(timespec="seconds"),
        "steps": [
            {
                "name": r.name,
                "status": r.status,
                "started": r.started,
                "seconds": round(r.seconds, 3),
            }
            for r in records
        ],
        "total_seconds": round(sum(r.seconds for r in records), 3),
    }


def without_times(manifest: Any) -> Any:
    """The manifest with every time removed (what two runs must share)."""
    if isinstance(manifest, Mapping):
        return {k: without_times(v) for k, v in manifest.items() if k not in TIME_KEYS}
    if isinstance(manifest, list):
        return [without_times(v) for v in manifest]
    return manifest


def manifest_section(manifest: Mapping[str, Any]) -> Section:
    """The last section of ``report.md``: the manifest's main facts."""
    from synergy_stats.report import Section

    deps = ", ".join(f"{k} {v}" for k, v in manifest["dependencies"].items() if v)
    steps = "; ".join(f"{s['name']} {s['seconds']:.1f} s" for s in manifest["steps"])
    inp = manifest["input"]
    ins = manifest["instrument"]
    seeds = ", ".join(f"{k} = {v}" for k, v in manifest["seeds"].items()) or "none"
    body = "\n".join(
        [
            f"- synergy_stats {manifest['package']['version']}, Python "
            f"{manifest['python']['version']}; {deps}",
            f"- input `{inp['file']}` SHA-256 `{inp['sha256']}`",
            f"- instrument {ins['id']} {ins['version']} (`{ins['file']}` SHA-256 "
            f"`{ins['sha256']}`)",
            f"- seed {manifest['seed']}; seeds used: {seeds}",
            f"- started {manifest['started']}; steps: {steps}",
            "",
            "The full record is in `manifest.json`.",
        ]
    )
    return Section("Reproducibility manifest", body, ("manifest.json",))
