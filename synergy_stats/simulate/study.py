"""A power study from a configuration file: ``synergy-stats power config.yaml``.

The YAML (or JSON) file names the population, the grid, the targets and the engine::

    population: |            # lavaan syntax whose numbers are population values
      m ~ 0.3*x
      y ~ 0.3*m + 0.1*x
    analysis: |              # optional: the model fitted to every replication
      m ~ a*x
      y ~ b*m + x
      ab := a*b
    n: [100, 200, 300]
    targets: [ab, a]         # labels, "lhs op rhs", := names, chisq
    replications: 1000
    alpha: 0.05
    seed: 1
    ci: montecarlo           # delta | montecarlo | bootstrap
    engine: {n_jobs: 2, client: null, checkpoint: power.parquet, chunk_size: 25}
    fit_options: {}          # options of ss.sem
    data_options: {}         # options of ss.simulate_data (skewness, missing, ...)

or, instead of ``population``, an RI-CLPM design (:func:`synergy_stats.power_riclpm`)::

    riclpm:
      constructs: [mechanism, process, results]
      waves: 3
      lags: {"results -> mechanism": 0.15, "results -> process": 0.15}
      ri_share: 0.5

:func:`run_power_study` writes ``power_table.csv``, ``power_curve.png`` and
``manifest.json`` (configuration, versions, seed, timing, files) to the output folder.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synergy_stats.errors import OptionError

__all__ = ["load_power_config", "run_power_study"]

_TOP = {
    "population",
    "riclpm",
    "analysis",
    "n",
    "targets",
    "replications",
    "alpha",
    "seed",
    "ci",
    "ci_draws",
    "engine",
    "fit_options",
    "data_options",
    "group_shares",
    "title",
}
_ENGINE = {"n_jobs", "client", "checkpoint", "chunk_size", "progress"}


def load_power_config(path: str | Path) -> dict[str, Any]:
    """Read and check a power-study configuration (YAML or JSON).

    Raises
    ------
    OptionError
        The file is missing or unreadable, or has unknown or missing keys.
    """
    import yaml

    p = Path(path)
    if not p.is_file():
        raise OptionError(f"config={str(path)!r} is not a file")
    try:
        cfg = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise OptionError(f"config={str(path)!r} is not valid YAML: {exc}") from exc
    if not isinstance(cfg, Mapping):
        raise OptionError(f"config={str(path)!r} must hold a mapping of settings")
    unknown = sorted(set(cfg) - _TOP)
    if unknown:
        raise OptionError(f"config has unknown key(s) {unknown}; known keys: {sorted(_TOP)}")
    if ("population" in cfg) == ("riclpm" in cfg):
        raise OptionError("config needs exactly one of 'population' (syntax) or 'riclpm'")
    if "n" not in cfg:
        raise OptionError("config needs 'n': a sample size or a list of them")
    engine = cfg.get("engine") or {}
    if not isinstance(engine, Mapping) or set(engine) - _ENGINE:
        raise OptionError(f"config 'engine' takes the keys {sorted(_ENGINE)}")
    return dict(cfg)


def _lags(raw: Any) -> dict[tuple[str, str], float]:
    if not isinstance(raw, Mapping):
        raise OptionError("riclpm 'lags' must map 'source -> target' to a value")
    out = {}
    for key, value in raw.items():
        parts = [s.strip() for s in str(key).split("->")]
        if len(parts) != 2 or not all(parts):
            raise OptionError(f"riclpm lag {key!r} must read 'source -> target'")
        out[(parts[0], parts[1])] = float(value)
    return out


def run_power_study(
    config: str | Path | Mapping[str, Any],
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    progress: Any = None,
) -> dict[str, Any]:
    """Run the study a configuration describes and write its table, curve and manifest.

    Parameters
    ----------
    config : str, Path or mapping
        The configuration file (see the module docstring) or its parsed content.
    out_dir : str or Path
        Output folder (created; an existing non-empty folder needs ``overwrite``). A
        relative ``engine.checkpoint`` is placed inside it.
    overwrite : bool
        Replace the study files in an existing folder.
    progress : bool, callable or None
        Progress bar (see :func:`synergy_stats.power`).

    Returns
    -------
    dict
        ``result`` (the PowerResult), ``table``, ``sample_size`` and ``files``.

    Raises
    ------
    OptionError
        A bad configuration, or an existing output folder without ``overwrite``.
    """
    import numpy as np

    from synergy_stats import __version__
    from synergy_stats.simulate.plot import plot_power
    from synergy_stats.simulate.power import power
    from synergy_stats.simulate.riclpm_power import power_riclpm

    cfg = dict(config) if isinstance(config, Mapping) else load_power_config(config)
    out = Path(out_dir)
    names = ("power_table.csv", "power_sample_size.csv", "power_curve.png", "manifest.json")
    if out.exists() and any(out.iterdir()):
        clash = [n for n in names if (out / n).exists()]
        if clash and not overwrite:
            raise OptionError(
                f"out={str(out)!r} already holds {clash}; pass overwrite=True (--overwrite) to "
                "replace them"
            )
    out.mkdir(parents=True, exist_ok=True)
    engine = dict(cfg.get("engine") or {})
    checkpoint = engine.get("checkpoint")
    if checkpoint is not None and not Path(checkpoint).is_absolute():
        checkpoint = out / checkpoint
    common: dict[str, Any] = {
        "replications": int(cfg.get("replications", 1000)),
        "alpha": float(cfg.get("alpha", 0.05)),
        "seed": cfg.get("seed"),
        "n_jobs": int(engine.get("n_jobs", 1)),
        "client": engine.get("client"),
        "progress": engine.get("progress", progress),
        "checkpoint": checkpoint,
        "chunk_size": engine.get("chunk_size"),
    }
    n = cfg["n"]
    t0 = time.perf_counter()
    if "riclpm" in cfg:
        design = dict(cfg["riclpm"])
        design["lags"] = _lags(design.get("lags", {}))
        result = power_riclpm(n, **design, **common)
    else:
        result = power(
            cfg["population"],
            n,
            analysis=cfg.get("analysis"),
            targets=cfg.get("targets"),
            ci=cfg.get("ci", "delta"),
            ci_draws=int(cfg.get("ci_draws", 1000)),
            fit_options=cfg.get("fit_options"),
            data_options=cfg.get("data_options"),
            group_shares=cfg.get("group_shares"),
            **common,
        )
    seconds = time.perf_counter() - t0
    table = result.table()
    sizes = result.sample_size(0.8)
    files = []
    table.to_csv(out / names[0], index=False, lineterminator="\n")
    sizes.to_csv(out / names[1], index=False, lineterminator="\n")
    fig = plot_power(result, title=cfg.get("title"))
    fig.savefig(out / names[2], dpi=150, metadata={"Software": None})
    files = [out / n for n in names[:3]]
    manifest = {
        "synergy_stats": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "config": _jsonable(cfg),
        "seed": {
            "entropy": _jsonable(result.seed.entropy),
            "spawn_key": list(result.seed.spawn_key),
        },
        "replications": result.replications,
        "n": list(result.n),
        "targets": list(result.targets),
        "seconds": round(seconds, 3),
        "failed_replications": int(
            (result.raw.drop_duplicates(["n", "replication"])["status"] != 0).sum()
        ),
        "files": [f.name for f in files] + [names[3]],
    }
    (out / names[3]).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    files.append(out / names[3])
    return {"result": result, "table": table, "sample_size": sizes, "files": files}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)
