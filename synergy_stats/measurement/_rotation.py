"""Factor rotations as R computes them: stats::varimax, psych's Promax, GPArotation oblimin.

Each function takes an unrotated ``(p, k)`` loading matrix and returns the rotated loadings,
the factor correlation matrix (identity for orthogonal rotations) and the rotation matrix.
The iterations and stopping rules are those of the R functions, so the results agree with
``psych::fa`` to the precision of those rules.
"""

from __future__ import annotations

import warnings

import numpy as np

from synergy_stats.errors import ConvergenceWarning

__all__ = ["oblimin", "promax", "varimax"]


def varimax(
    loadings: np.ndarray, *, normalize: bool = True, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray]:
    """Varimax rotation as ``stats::varimax`` (Kaiser normalisation, SVD iteration).

    Parameters
    ----------
    loadings : numpy.ndarray
        ``(p, k)`` unrotated loadings.
    normalize : bool
        Kaiser normalisation: rows are scaled to unit length before rotating and back after.
    eps : float
        Stop when the criterion grows by less than the relative amount ``eps``.

    Returns
    -------
    rotated, rotmat : numpy.ndarray
        ``rotated = loadings @ rotmat`` (``rotmat`` orthogonal).

    Notes
    -----
    Each step sets ``B = X'(Z^3 - Z diag(1'Z^2)/p)`` with ``Z = X T`` and replaces ``T`` by
    ``U V'`` from the SVD ``B = U D V'``; it stops when ``sum(D)`` grows by less than a
    factor ``1 + eps`` (at most 1000 steps).

    References
    ----------
    Kaiser, H. F. (1958). The varimax criterion for analytic rotation in factor analysis.
    *Psychometrika*, 23, 187-200.
    """
    x = np.asarray(loadings, dtype=float)
    p, k = x.shape
    if k < 2:
        return x.copy(), np.eye(k)
    sc = np.ones(p)
    if normalize:
        sc = np.sqrt((x**2).sum(axis=1))
        x = x / sc[:, None]
    tt = np.eye(k)
    d = 0.0
    for _ in range(1000):
        z = x @ tt
        b = x.T @ (z**3 - z @ np.diag((z**2).sum(axis=0)) / p)
        u, s, vt = np.linalg.svd(b)
        tt = u @ vt
        dpast = d
        d = float(s.sum())
        if d < dpast * (1 + eps):
            break
    z = x @ tt
    if normalize:
        z = z * sc[:, None]
    return z, tt


def promax(loadings: np.ndarray, *, m: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Promax rotation as ``psych::fa(rotate="promax")``: ``psych::kaiser`` over ``Promax``.

    Rows are divided by the square root of their communality, rotated by psych's
    ``Promax`` (varimax, then the least-squares transformation towards the target
    ``L |L|^(m-1)`` with columns rescaled so that the factors have unit variance) and
    multiplied back.

    Returns
    -------
    rotated, phi, rotmat : numpy.ndarray
        Pattern loadings, factor correlations ``U^-1 U^-T`` and the full rotation ``U``
        (varimax rotation times the promax transformation).

    References
    ----------
    Hendrickson, A. E., & White, P. O. (1964). Promax: a quick method for rotation to
    oblique simple structure. *British Journal of Statistical Psychology*, 17, 65-70.
    """
    x0 = np.asarray(loadings, dtype=float)
    k = x0.shape[1]
    if k < 2:
        return x0.copy(), np.eye(k), np.eye(k)
    h = np.sqrt((x0**2).sum(axis=1))
    x, vrot = varimax(x0 / h[:, None])
    q = x * np.abs(x) ** (m - 1)
    u = np.linalg.lstsq(x, q, rcond=None)[0]
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u @ np.diag(np.sqrt(d))
    z = x @ u
    u_full = vrot @ u
    ui = np.linalg.inv(u_full)
    phi = ui @ ui.T
    return z * h[:, None], phi, u_full


def _vgq_oblimin(lam: np.ndarray, gam: float) -> tuple[np.ndarray, float]:
    k = lam.shape[1]
    x = (lam**2) @ (1 - np.eye(k))
    if gam != 0:
        p = lam.shape[0]
        x = (np.eye(p) - gam / p) @ x
    return lam * x, float((lam**2 * x).sum() / 4)


def oblimin(
    loadings: np.ndarray, *, gam: float = 0.0, eps: float = 1e-5, max_iter: int = 1000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Oblimin rotation by gradient projection, as ``GPArotation::oblimin`` (``GPFoblq``).

    Parameters
    ----------
    loadings : numpy.ndarray
        ``(p, k)`` unrotated loadings.
    gam : float
        Oblimin family parameter (0: quartimin, psych's and GPArotation's default).
    eps : float
        Stop when the norm of the projected gradient is below ``eps``.
    max_iter : int
        Iteration limit (a ConvergenceWarning is issued when reached).

    Returns
    -------
    rotated, phi, tmat : numpy.ndarray
        Pattern loadings ``A (T')^-1``, factor correlations ``T'T`` and ``T``.

    Notes
    -----
    Criterion ``f = 1/4 sum((L^2) * (L^2 N))`` with ``N`` ones off the diagonal (and the
    ``gam`` centring); the gradient with respect to ``T`` is projected on the manifold of
    matrices with unit-length columns, with the step halving of GPArotation.

    References
    ----------
    Jennrich, R. I. (2002). A simple general method for oblique rotation.
    *Psychometrika*, 67, 7-19.
    Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and software
    for arbitrary rotation criteria in factor analysis. *Educational and Psychological
    Measurement*, 65, 676-696.
    """
    a = np.asarray(loadings, dtype=float)
    k = a.shape[1]
    if k < 2:
        return a.copy(), np.eye(k), np.eye(k)
    tmat = np.eye(k)
    al = 1.0
    lam = a @ np.linalg.inv(tmat).T
    gq, f = _vgq_oblimin(lam, gam)
    g = -(lam.T @ gq @ np.linalg.inv(tmat)).T
    converged = False
    for _ in range(max_iter + 1):
        gp = g - tmat @ np.diag((tmat * g).sum(axis=0))
        s = float(np.sqrt((gp**2).sum()))
        if s < eps:
            converged = True
            break
        al *= 2
        for _ in range(11):
            xm = tmat - al * gp
            v = 1 / np.sqrt((xm**2).sum(axis=0))
            tmatt = xm @ np.diag(v)
            lam = a @ np.linalg.inv(tmatt).T
            gq_t, f_t = _vgq_oblimin(lam, gam)
            if f - f_t > 0.5 * s**2 * al:
                break
            al /= 2
        tmat = tmatt
        f = f_t
        g = -(lam.T @ gq_t @ np.linalg.inv(tmatt)).T
    if not converged:
        warnings.warn(
            f"oblimin rotation did not converge in {max_iter} iterations",
            ConvergenceWarning,
            stacklevel=3,
        )
    return lam, tmat.T @ tmat, tmat
