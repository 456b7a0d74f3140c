"""The analysis script in examples/ runs end to end and writes its tables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_analyse_example_script(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, str(REPO / "examples" / "analyse_example.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "synergy SEM: chi2 =" in out.stdout
    assert "feedback synergy_effect(t)" in out.stdout
    written = {p.name for p in (tmp_path / "example_tables").iterdir()}
    assert {"paths.tex", "paths_cn.docx", "fit.html", "lags.md"} <= written
