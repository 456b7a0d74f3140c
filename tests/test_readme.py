"""Every ```python block of README.md runs, in document order, in one namespace (issue 11).

The blocks are found at test time, so sections added or changed by any issue are covered.
The README's prose sets a little context that its blocks use without defining; the test
provides exactly that and nothing else:

* ``ss`` (``import synergy_stats as ss``, as the user guide says);
* the working directory is a temporary folder holding ``export.xlsx`` and ``export.csv``,
  the bundled example export (the file names the blocks read);
* ``data``: the 16-item data set whose columns the SEM block names
  (``tests/data/synergy_sim_n1000.csv``, its first 200 rows: the BCa interval of the
  bootstrap block refits the model once per row).

To keep the suite fast, resampling counts in the blocks are capped before they run
(``draws=N`` becomes ``draws=min(N, 60)``, ``replications=N`` becomes
``replications=min(N, 8)``); everything else runs as written.

A block is skipped, with its reason, when it needs an optional package that is not
installed (``ModuleNotFoundError``), or when the line before its fence is
``<!-- readme-test: skip REASON -->``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)
_DRAWS = re.compile(r"\bdraws=(\d+)")
_REPLICATIONS = re.compile(r"\breplications=(\d+)")
_SKIP = re.compile(r"<!--\s*readme-test:\s*skip\s*(.*?)-->\s*$")


def _blocks() -> list[tuple[str, str, str | None]]:
    text = README.read_text(encoding="utf-8")
    out: list[tuple[str, str, str | None]] = []
    heading = "top"
    pos = 0
    for m in _FENCE.finditer(text):
        before = text[pos : m.start()]
        heads = re.findall(r"^#+\s+(.*)$", before, re.M)
        if heads:
            heading = heads[-1]
        lines = text[: m.start()].rstrip("\n").splitlines()
        skip = _SKIP.search(lines[-1]) if lines else None
        n = sum(1 for b in out if b[0].startswith(heading))
        out.append((f"{heading} #{n + 1}", m.group(1), skip.group(1).strip() if skip else None))
        pos = m.end()
    return out


BLOCKS = _blocks()


def test_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 5


@pytest.fixture(scope="module")
def namespace(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import synergy_stats as ss

    work = tmp_path_factory.mktemp("readme")
    export = ss.load_example()
    export.to_excel(work / "export.xlsx", index=False)
    export.to_csv(work / "export.csv", index=False, encoding="utf-8-sig")
    data = pd.read_csv(ROOT / "tests" / "data" / "synergy_sim_n1000.csv").head(200)
    old = Path.cwd()
    os.chdir(work)
    try:
        yield {"ss": ss, "data": data, "__name__": "readme"}
    finally:
        os.chdir(old)


@pytest.mark.parametrize(("where", "code", "skip"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_readme_block_runs(namespace: dict[str, Any], where: str, code: str, skip: str | None):
    if skip is not None:
        pytest.skip(skip or "marked in README.md")
    code = _DRAWS.sub(lambda m: f"draws={min(int(m.group(1)), 60)}", code)
    code = _REPLICATIONS.sub(lambda m: f"replications={min(int(m.group(1)), 8)}", code)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the example has documented invalid cells
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(code, f"README.md ({where})", "exec"), namespace)
        except ModuleNotFoundError as exc:  # an optional dependency of that block
            pytest.skip(f"needs {exc.name}, not installed")
