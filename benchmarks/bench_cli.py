"""Start-up time of the ``synergy-stats`` command (target: ``--help`` under 0.5 s).

Run with the package installed (``pip install .``): ``python benchmarks/bench_cli.py``.
Runs from a temporary folder so that the installed package, not the source tree, is used.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main() -> int:
    exe = shutil.which("synergy-stats")
    if exe is None:
        print("synergy-stats is not installed; run pip install . first")
        return 1
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    with tempfile.TemporaryDirectory() as tmp:
        times = []
        for _ in range(11):
            start = time.perf_counter()
            subprocess.run([exe, "--help"], cwd=tmp, env=env, capture_output=True, check=True)
            times.append(time.perf_counter() - start)
    med = statistics.median(times[1:])
    print(
        f"synergy-stats --help: median {med * 1000:.0f} ms, best {min(times) * 1000:.0f} ms "
        f"(target < 500 ms) {'OK' if med < 0.5 else 'MISSED'}  [{sys.executable}]"
    )
    return 0 if med < 0.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
