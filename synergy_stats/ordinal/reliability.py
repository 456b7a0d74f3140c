"""Reliability of ordered items: ordinal alpha and categorical omega.

* Ordinal alpha (Zumbo, Gadermann & Zeisser 2007): coefficient alpha of the polychoric
  correlation matrix, ``k/(k-1) (1 - k / 1'R1)``, as ``psych::alpha(polychoric(x)$rho)``.
* Categorical omega (Green & Yang 2009), as ``semTools::compRelSEM`` for a CFA fitted with
  ``ordered=``: the reliability of the sum of the observed item codes implied by the
  factor model for the latent responses,

      omega = sum_ij sum_cd [Phi2(t_ic, t_jd; l_i l_j phi) - Phi(t_ic) Phi(t_jd)]
              / sum_ij sum_cd [Phi2(t_ic, t_jd; r_ij) - Phi(t_ic) Phi(t_jd)],

  over the thresholds ``c, d`` of items ``i, j`` (``r_ii = 1``), with the model's
  thresholds, loadings and factor variance and the sample polychoric correlations ``r``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from synergy_stats.ordinal.bvn import bvn_lower
from synergy_stats.ordinal.samplestats import ordinal_sample_stats

__all__ = ["categorical_omega", "ordinal_alpha", "polychoric_matrix", "reliability_ordered"]


def polychoric_matrix(values: np.ndarray, columns: list[str]) -> np.ndarray:
    """Polychoric correlations of integer-coded columns (NaN missing, pairwise), no NACOV."""
    from synergy_stats.ordinal.fit import code_ordered

    frame = pd.DataFrame(values, columns=columns)
    coded = []
    nlev = []
    for c in columns:
        x, lev = code_ordered(frame, c)
        coded.append(x)
        nlev.append(len(lev))
    X = np.column_stack(coded)
    st = ordinal_sample_stats(
        X, np.ones(len(columns), dtype=bool), np.array(nlev), names=columns, gamma=False
    )
    return st.cor


def ordinal_alpha(r: np.ndarray) -> float:
    """Coefficient alpha of a (polychoric) correlation matrix: ``k/(k-1) (1 - k/1'R1)``."""
    k = r.shape[0]
    return float((1.0 - k / r.sum()) * k / (k - 1))


def _pair_sum(t1: np.ndarray, t2: np.ndarray, rho: float) -> float:
    h = t1[:, None]
    k = t2[None, :]
    return float(np.sum(bvn_lower(h, k, np.asarray(rho)) - ndtr(h) * ndtr(k)))


def categorical_omega(fit: Any, factor: str) -> float:
    """Green & Yang (2009) categorical omega of one factor of an ordinal CFA.

    Parameters
    ----------
    fit : OrdinalSEMResult
        A CFA fitted with ``ordered=`` (delta parameterization).
    factor : str
        A first-order factor.
    """
    est = fit.estimates()
    lam = est[(est["op"] == "=~") & (est["lhs"] == factor) & (est["group"] == 1)]
    items = list(lam["rhs"])
    load = lam["est"].to_numpy(dtype=float)
    var = est[(est["op"] == "~~") & (est["lhs"] == factor) & (est["rhs"] == factor)]
    phi = float(var["est"].iloc[0])
    th = {
        v: est[(est["op"] == "|") & (est["lhs"] == v)]["est"].to_numpy(dtype=float) for v in items
    }
    names = list(fit.observed_variables)
    R = fit._st.stats[0].cor
    num = 0.0
    den = 0.0
    for a, va in enumerate(items):
        for b, vb in enumerate(items):
            ta, tb = th[va], th[vb]
            num += _pair_sum(ta, tb, min(load[a] * load[b] * phi, 1.0))
            r = 1.0 if a == b else float(R[names.index(va), names.index(vb)])
            den += _pair_sum(ta, tb, r)
    return num / den


def reliability_ordered(ms: Any, prep: Any, *, cfa: bool, fit: Any = None) -> pd.DataFrame:
    """The ``ordered=True`` branch of :func:`synergy_stats.reliability` (same columns)."""
    import warnings

    from synergy_stats.measurement.consistency import _construct_n

    cols = list(prep.columns)
    R = polychoric_matrix(prep.values, cols)
    ordinal_fit = fit
    if ordinal_fit is None and cfa:
        from synergy_stats.structural import cfa as fit_cfa

        lines = [f"{f} =~ {' + '.join(items)}" for f, items in ms.factors.items()]
        frame = pd.DataFrame(prep.values, columns=cols)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ordinal_fit = fit_cfa(
                "\n".join(lines),
                frame,
                ordered=True,
                missing="pairwise" if np.isnan(prep.values).any() else "listwise",
                se=False,
            )
    rows: list[dict[str, Any]] = []
    for construct in ms.order:
        kind = ms.kind(construct)
        items = ms.items_of(construct)
        idx = [cols.index(v) for v in items]
        a = ordinal_alpha(R[np.ix_(idx, idx)])
        row: dict[str, Any] = {
            "construct": construct,
            "kind": kind,
            "n_items": len(items),
            "n": _construct_n(prep, items),
            "alpha": a,
            "alpha_ci_lower": np.nan,
            "alpha_ci_upper": np.nan,
            "alpha_std": a,
            "omega": np.nan,
            "ave": np.nan,
            "omega_l1": np.nan,
            "omega_l2": np.nan,
            "omega_partial_l1": np.nan,
        }
        if (
            kind == "factor"
            and ordinal_fit is not None
            and construct in ordinal_fit.latent_variables
            and getattr(ordinal_fit, "_ord", None) is not None
        ):
            row["omega"] = categorical_omega(ordinal_fit, construct)
        rows.append(row)
    out = pd.DataFrame(rows).set_index("construct")
    out.attrs.update(prep.attrs())
    out.attrs["ordered"] = True
    return out
