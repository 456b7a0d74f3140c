"""Nested-model tests for least-squares ordinal fits: lavaan's ``lavTestLRT`` for DWLS.

The difference ``T_0 - T_1`` of the (unscaled) statistics of a restricted model (0) and
a less restricted one (1) is scaled and shifted as Satorra (2000) and lavaan's
``lav_test_diff_Satorra2000`` do (``A.method = "delta"``, H1 reference): with
``H = D_1^+ D_0``, ``A`` the orthogonal complement of ``H`` (the restrictions in the
parameters of model 1), ``P`` model 1's unit information ``sum_g w_g D_1g' W_g D_1g``,

    U = V D_1 P^-1 A' (A P^-1 A')^+ A P^-1 D_1' V,   UG = U Gamma_f,
    a = sqrt(m / tr(UG^2)),   T_d = a (T_0 - T_1) + m - a tr(UG),

where ``V`` stacks the weight matrices, ``Gamma_f`` the groups' ``(N_g/N) Gamma_g`` and
``m`` is the difference in degrees of freedom (mean-adjusted only for WLSM:
``(T_0 - T_1) / (tr(UG)/m)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg
from scipy import stats as sps

from synergy_stats.errors import OptionError

__all__ = ["lrt_ordinal"]


def lrt_ordinal(restricted: Any, free: Any) -> pd.Series:
    """Scaled-shifted chi-square difference of two nested ordinal fits (``lavTestLRT``).

    Parameters
    ----------
    restricted, free : OrdinalSEMResult
        The more and the less restricted model, fitted to the same data with the same
        estimator.

    Returns
    -------
    pandas.Series
        ``chisq_diff`` (scaled), ``df_diff``, ``pvalue``, ``chisq_diff_unscaled``,
        ``scaling_factor`` (``1/a``) and ``shift`` (``b``).

    Examples
    --------
    Mirrors lavaan's ``lavTestLRT(fit_configural, fit_thresholds)`` for WLSMV fits.
    """
    for name, f in (("restricted", restricted), ("free", free)):
        if getattr(f, "_ord", None) is None:
            raise OptionError(f"{name} must be a fit with ordered indicators")
    m = restricted.df - free.df
    if m <= 0:
        raise OptionError(
            f"restricted has df = {restricted.df}, free has df = {free.df}: the first "
            "must be the more restricted model"
        )
    st1 = free._st
    Ds1, _, P_inv = free._info
    Ds0, _, _ = restricted._info
    D1 = np.vstack(Ds1)
    D0 = np.vstack(Ds0)
    H = np.linalg.pinv(D1) @ D0
    A = linalg.null_space(H.T).T
    APA = A @ P_inv @ A.T
    M = P_inv @ A.T @ np.linalg.pinv(APA) @ A @ P_inv
    N = free.nobs
    Vb = []
    Gb = []
    for g, s in enumerate(st1.stats):
        W = st1.Ws[g]
        Vb.append(np.diag(W) if W.ndim == 1 else W)
        Gb.append(s.n / N * free._gammas[g])
    V = linalg.block_diag(*Vb)
    Gf = linalg.block_diag(*Gb)
    VD = V @ D1
    UG = VD @ M @ VD.T @ Gf
    tr1 = float(np.trace(UG))
    tr2 = float(np.sum(UG * UG.T))
    t_diff = float(restricted.chisq - free.chisq)
    if st1.estimator in ("WLSMV", "ULSMV"):
        a = np.sqrt(m / tr2)
        b = m - a * tr1
        stat, scale, shift = a * t_diff + b, 1.0 / a, b
    else:
        c = tr1 / m
        stat, scale, shift = t_diff / c, c, 0.0
    return pd.Series(
        {
            "chisq_diff": stat,
            "df_diff": float(m),
            "pvalue": float(sps.chi2.sf(stat, m)),
            "chisq_diff_unscaled": t_diff,
            "scaling_factor": scale,
            "shift": shift,
        },
        name="lrt",
    )
