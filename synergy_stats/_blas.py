"""BLAS on one thread for the package's small matrices (threadpoolctl)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["one_blas_thread", "single_threaded"]

_CONTROLLER: Any = None
_F = TypeVar("_F", bound=Callable[..., Any])


def one_blas_thread() -> Any:
    """A context in which BLAS runs on one thread (threadpoolctl).

    The engine's matrices are small (tens to a few hundred rows): multithreaded OpenBLAS
    only adds synchronisation, and collapses when the cores are shared (another program,
    the bootstrap's own workers, a Dask worker): a 152 x 152 Cholesky solve took 17 ms
    of CPU with two threads on a busy two-core machine against 0.18 ms with one.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        # The controller knows the BLAS libraries loaded when it is built: scipy's own
        # OpenBLAS (scipy.linalg, lapack) loads on first import, after numpy's, so load it
        # first. (Built before it, the limit missed scipy's library: the report's FIML
        # bootstrap ran its Cholesky factorisations on two threads per worker, 4x slower.)
        import scipy.linalg  # noqa: F401
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def single_threaded(fn: _F) -> _F:
    """Run ``fn`` inside :func:`one_blas_thread` (the caller's setting is restored after)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with one_blas_thread():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
