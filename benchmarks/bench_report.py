"""The main job on the bundled example: wall time (target < 10 s) and CPU seconds per step.

``python benchmarks/bench_report.py [OUT_DIR]`` runs ``synergy-stats report --example`` in
this process and prints, per step, the CPU seconds of this process and of its worker
processes (the bootstrap's, the power check's and the figure writers' pools), the wall
time and the load average, which wall times on a shared machine need beside them.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    import synergy_stats.report as rep
    from synergy_stats.cli import main as cli

    own: dict[str, float] = {}
    workers: dict[str, float] = {}
    resolve = rep.report_steps

    def timed() -> list[tuple[str, Callable[[Any], Any]]]:
        out = []
        for name, fn in resolve():

            def step(ctx: Any, fn: Callable[[Any], Any] = fn, name: str = name) -> Any:
                t, c = time.process_time(), _children_cpu()
                try:
                    return fn(ctx)
                finally:
                    own[name] = time.process_time() - t
                    workers[name] = _children_cpu() - c

            step.prepare = getattr(fn, "prepare", None)  # type: ignore[attr-defined]
            out.append((name, step))
        return out

    rep.report_steps = timed  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        out = argv[0] if argv else os.path.join(tmp, "report")
        code = cli(["report", "--example", "--out", out, "--overwrite"])
    wall = time.perf_counter() - wall0
    print(f"{'step':<20}{'own cpu':>9}{'workers':>9}")
    for name in own:
        print(f"{name.removesuffix('_step'):<20}{own[name]:9.2f}{workers[name]:9.2f}")
    print(
        f"steps {sum(own.values()):.2f} + workers {sum(workers.values()):.2f} CPU s; whole "
        f"process {time.process_time() - cpu0:.2f} CPU s; wall {wall:.1f} s (target < 10 s) "
        f"at load {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
