"""Bootstrap refits of ordinal fits: the two-step estimation redone on every draw.

:class:`OrdinalRefitTask` has the interface of the bootstrap's refit task
(:func:`synergy_stats.inference.bootstrap.bootstrap` picks it for an
:class:`~synergy_stats.ordinal.fit.OrdinalSEMResult`): each draw resamples the rows of each
group, recomputes thresholds, polychoric correlations and their NACOV, and refits the
least-squares model from the full-sample estimates. A draw in which an ordered item loses a
category cannot be fitted with the same thresholds and counts as failed (as in lavaan,
where such a draw stops with an error).
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np

from synergy_stats.errors import SynergyError
from synergy_stats.ordinal.condx import conditional_sample_stats
from synergy_stats.ordinal.estimate import OrdinalModel, fit_wls, weights
from synergy_stats.ordinal.samplestats import ordinal_sample_stats

__all__ = ["OrdinalRefitTask"]

_OK, _NON_CONVERGENCE, _ERROR = 0, 1, 3
N_EXTRA = 3  # chi-square, baseline chi-square, SRMR (as the ML refit task)


class OrdinalRefitTask:
    """Refit one bootstrap draw (or one jackknife sample) of an ordinal fit. Picklable."""

    def __init__(
        self,
        fit: Any,
        *,
        mode: Literal["bootstrap", "jackknife"] = "bootstrap",
        measures: bool = True,
    ) -> None:
        st = fit._ord
        self.full = st.model.full
        self.core = st.model.core
        self.ordered = set(st.ordered)
        self.parameterization = st.parameterization
        self.estimator = st.estimator
        self.raws = [np.ascontiguousarray(r) for r in st.raw]
        self.is_ord = st.model.is_ord.copy()
        # the modelled variables (all observed ones but the conditional.x covariates)
        self.y_idx = st.model.y_idx.copy()
        self.x_idx = st.model.x_idx.copy()
        self.names = list(st.model.y_names)
        self.x_names = [self.full.observed[j] for j in self.x_idx]
        self.nlev = np.array([len(st.levels[v]) if v in st.levels else 0 for v in self.names])
        self.n_obs = len(self.full.observed)
        self.theta0 = np.asarray(fit.theta, dtype=float).copy()
        self.mode = mode
        self.measures = measures
        self.width = self.theta0.size + N_EXTRA
        sizes = [r.shape[0] for r in self.raws]
        self._offsets = np.cumsum([0, *sizes])

    def _samples(self, index: int, rng: np.random.Generator | None) -> list[np.ndarray]:
        if self.mode == "bootstrap":
            if rng is None:
                raise SynergyError("internal: a bootstrap draw needs its random generator")
            return [r[rng.integers(0, r.shape[0], r.shape[0])] for r in self.raws]
        g = int(np.searchsorted(self._offsets, index, side="right") - 1)
        out = list(self.raws)
        out[g] = np.delete(self.raws[g], index - int(self._offsets[g]), axis=0)
        return out

    def run(self, index: int, rng: np.random.Generator | None) -> tuple[np.ndarray, int]:
        """Values (theta, chi-square, baseline chi-square, SRMR) and a status code."""
        xs = self._samples(index, rng)
        out = np.full(self.width, np.nan)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                stats = []
                for xa in xs:
                    x = xa[:, self.y_idx]
                    for j in np.flatnonzero(self.is_ord):
                        col = x[:, j]
                        if np.unique(col[np.isfinite(col)]).size < self.nlev[j]:
                            return out, _ERROR  # a category vanished in this draw
                    if self.x_idx.size:
                        stats.append(
                            conditional_sample_stats(
                                x, xa[:, self.x_idx], self.is_ord, self.nlev,
                                names=self.names, x_names=self.x_names,
                            )
                        )  # fmt: skip
                    else:
                        stats.append(
                            ordinal_sample_stats(x, self.is_ord, self.nlev, names=self.names)
                        )
                model = OrdinalModel(
                    self.full, self.core, stats, self.ordered, self.parameterization
                )
                Ws = [weights(s, self.estimator) for s in stats]
                res = fit_wls(model, Ws, start=self.theta0)
        except (SynergyError, np.linalg.LinAlgError, ValueError, FloatingPointError):
            return out, _ERROR
        if not res.converged:
            return out, _NON_CONVERGENCE
        K = self.theta0.size
        out[:K] = res.theta
        if self.measures:
            chisq = 0.0
            base = 0.0
            srmr = 0.0
            N = sum(s.n for s in stats)
            nc = model.ri.size
            for g, s in enumerate(stats):
                sig, _ = model.implied(res.theta, g, jac=False)
                r = s.wls_obs - sig
                W = Ws[g]
                if W.ndim == 1:
                    chisq += (s.n - 1) * float(r @ (W * r))
                    base += (s.n - 1) * float(np.sum(W[-nc:] * s.wls_obs[-nc:] ** 2))
                else:
                    chisq += (s.n - 1) * float(r @ W @ r)
                    q = s.wls_obs.size - nc
                    D = np.zeros((s.wls_obs.size, q))
                    D[np.arange(q), np.arange(q)] = 1.0
                    th0 = np.linalg.solve(D.T @ W @ D, D.T @ W @ s.wls_obs)
                    r0 = s.wls_obs - D @ th0
                    base += (s.n - 1) * float(r0 @ W @ r0)
                low = r[-nc:]
                sd = np.sqrt(np.where(model.is_ord, 1.0, s.var))
                scale = sd[model.ri] * sd[model.rj]
                # lavaan's divisor: correlations plus every observed variable (covariates too)
                srmr += s.n / N * float(np.sqrt(np.sum((low / scale) ** 2) / (nc + self.n_obs)))
            out[K], out[K + 1], out[K + 2] = chisq, base, srmr
        return out, _OK
