"""Normal draws that are the same on every machine for the same seed.

``Generator.multivariate_normal`` and a root ``V sqrt(L)`` from ``eigh`` depend on the
LAPACK build: eigenvector signs, and the basis of a repeated eigenvalue (an
equicorrelation matrix has one), differ between OpenBLAS, MKL and reference LAPACK, and so
do the draws. The symmetric square root ``V sqrt(L) V'`` of a positive semi-definite
matrix is unique, so ``z @ root`` with standard normal ``z`` gives the same draws everywhere
(to rounding).
"""

from __future__ import annotations

import numpy as np

__all__ = ["normal_draws", "psd_root"]


def psd_root(cov: np.ndarray) -> np.ndarray:
    """The symmetric square root of a positive semi-definite matrix (negative roots at 0)."""
    c = np.asarray(cov, dtype=float)
    vals, vecs = np.linalg.eigh((c + c.T) / 2)
    root = (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T
    return (root + root.T) / 2


def normal_draws(
    rng: np.random.Generator, mean: np.ndarray, cov: np.ndarray, size: int
) -> np.ndarray:
    """``size`` rows from N(mean, cov) through :func:`psd_root` (machine-independent)."""
    root = psd_root(cov)
    z = rng.standard_normal((int(size), root.shape[0]))
    return np.asarray(mean, dtype=float) + z @ root
