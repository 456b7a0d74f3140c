"""BLAS pinning: the one-thread context covers every BLAS library the engine calls."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("threadpoolctl")


def test_one_blas_thread_covers_scipy_blas_loaded_later() -> None:
    # A fresh interpreter in which the first call comes before anything imported
    # scipy.linalg (as in the report, whose first steps never touch it): the context must
    # still pin scipy's own OpenBLAS, which the engine's Cholesky and solves use.
    code = textwrap.dedent(
        """
        import json
        import sys
        assert "scipy.linalg" not in sys.modules
        from synergy_stats._blas import one_blas_thread
        with one_blas_thread():
            import scipy.linalg  # noqa: F401
            from threadpoolctl import threadpool_info
            inside = [(d["filepath"], d["num_threads"]) for d in threadpool_info()
                      if d["user_api"] == "blas"]
        print(json.dumps(inside))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    inside = json.loads(out.strip().splitlines()[-1])
    libs = {path for path, _ in inside}
    assert any("scipy" in path for path in libs), libs  # numpy's and scipy's OpenBLAS
    assert all(threads == 1 for _, threads in inside), inside
