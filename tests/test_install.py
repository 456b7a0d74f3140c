"""The installed package, used from outside the source tree (what a user gets).

CI installs the project non-editably into a fresh virtual environment (``.ci/run``); these
tests then run the installed ``synergy-stats`` command and import the installed package from
a temporary folder, where the source tree is not on the path. Where the package is not
installed (a bare checkout), they skip and say so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _installed_location(tmp_path: Path) -> Path | None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-c", "import synergy_stats, sys; print(synergy_stats.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return None
    return Path(out.stdout.strip()).resolve()


@pytest.fixture()
def installed(tmp_path: Path) -> Path:
    where = _installed_location(tmp_path)
    if where is None:
        pytest.skip("synergy_stats is not installed in this interpreter (pip install .)")
    if REPO in where.parents:
        pytest.skip(f"synergy_stats is installed in editable mode from {where.parent}")
    return where


def test_bundled_instruments_load_from_anywhere(installed: Path, tmp_path: Path) -> None:
    code = (
        "import synergy_stats as ss\n"
        "names = ss.list_instruments()\n"
        "assert names == ['sfic', 'synergy-execution'], names\n"
        "for n in names:\n"
        "    inst = ss.load_instrument(n)\n"
        "    assert len(inst.items) > 30\n"
        "print(ss.load_example().shape)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "(1220," in out.stdout


def test_console_command_runs_from_anywhere(installed: Path, tmp_path: Path) -> None:
    exe = shutil.which("synergy-stats", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("the synergy-stats console script is not installed next to this Python")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [exe, "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert "report" in out.stdout
    listed = subprocess.run(
        [exe, "instruments"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert "synergy-execution" in listed.stdout
