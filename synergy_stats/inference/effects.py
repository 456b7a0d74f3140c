"""Direct, indirect and total effects of the structural part, with their intervals.

The structural part is the set of variables in regressions (``~``); ``B`` holds their
coefficients (``B[t, s]`` the effect of s on t). Total effects come from
``T = (I - B)^-1 - I`` and so stay right with feedback loops (non-recursive models);
each specific indirect effect is the product of the coefficients along one path of the
graph of B. Intervals are by the delta method (exact complex-step Jacobian and the fit's
covariance matrix), by the bootstrap, or by Monte Carlo draws of the parameters.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from synergy_stats._typing import SeedLike, check_arguments, check_option
from synergy_stats.errors import OptionError, SpecificationError, SynergyWarning
from synergy_stats.inference import intervals as iv
from synergy_stats.inference.bootstrap import BootstrapResult, CIMethod, bootstrap

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from synergy_stats.structural.results import SEMResult

__all__ = ["CIType", "effects", "indirect_effects_table"]

CIType = Literal["delta", "bootstrap", "montecarlo"]
EffectKind = Literal["direct", "indirect", "total_indirect", "total"]

EFFECT_COLUMNS = [
    "group",
    "source",
    "target",
    "effect",
    "path",
    "est",
    "se",
    "z",
    "pvalue",
    "ci_lower",
    "ci_upper",
    "method",
]


@dataclass(frozen=True)
class _Effect:
    group: int  # 0-based
    source: int
    target: int
    kind: EffectKind
    path: tuple[int, ...]  # node indices source .. target (direct/indirect only)


class _Structure:
    """The regression part of a parameter table as a graph and as functions of theta."""

    def __init__(self, fit: SEMResult) -> None:
        pt = fit.partable
        order = list(fit.ram_model.names)
        involved = {
            v
            for lhs, op, rhs in zip(pt.lhs, pt.op, pt.rhs, strict=True)
            if op == "~"
            for v in (lhs, rhs)
        }
        self.nodes = [v for v in order if v in involved]
        self.m = len(self.nodes)
        pos = {v: i for i, v in enumerate(self.nodes)}
        self.n_groups = pt.n_groups
        self.edges: list[list[tuple[int, int, int, float]]] = []  # (target, source, k, value)
        for g in range(1, pt.n_groups + 1):
            rows = []
            for r in pt.rows(g):
                if pt.op[r] != "~":
                    continue
                k = int(pt.free[r]) - 1
                val = float(pt.value[r]) if k < 0 else 0.0
                if k < 0 and (not np.isfinite(val) or val == 0.0):
                    continue  # a path fixed at zero is no path
                rows.append((pos[pt.lhs[r]], pos[pt.rhs[r]], k, val))
            self.edges.append(rows)

    # ------------------------------------------------------------------ graph
    def adjacency(self, g: int) -> np.ndarray:
        adj = np.zeros((self.m, self.m), dtype=bool)  # adj[t, s]: s -> t
        for t, s, _, _ in self.edges[g]:
            adj[t, s] = True
        return adj

    @staticmethod
    def reach(adj: np.ndarray) -> np.ndarray:
        """reach[t, s]: a path of one or more edges from s to t."""
        r = adj.copy()
        while True:
            nxt = r | ((r.astype(int) @ adj.astype(int)) > 0)
            if np.array_equal(nxt, r):
                return r
            r = nxt

    def enumerate(self, g: int, sources: list[int], targets: list[int]) -> list[_Effect]:
        adj = self.adjacency(g)
        reach = self.reach(adj)
        cyclic = np.diagonal(reach).copy()
        # walks of two or more edges s -> ... -> t
        longer = (reach.astype(int) @ adj.astype(int)) > 0
        out: list[_Effect] = []
        for s in sources:
            for t in targets:
                if s == t or not reach[t, s]:
                    continue
                if adj[t, s]:
                    out.append(_Effect(g, s, t, "direct", (s, t)))
                if longer[t, s]:
                    via = [
                        v
                        for v in range(self.m)
                        if cyclic[v] and (v == s or reach[v, s]) and (v == t or reach[t, v])
                    ]
                    if not via:
                        for path in self._paths(adj, s, t):
                            if len(path) > 2:
                                out.append(_Effect(g, s, t, "indirect", tuple(path)))
                    out.append(_Effect(g, s, t, "total_indirect", ()))
                out.append(_Effect(g, s, t, "total", ()))
        return out

    @staticmethod
    def _paths(adj: np.ndarray, s: int, t: int) -> list[list[int]]:
        found: list[list[int]] = []
        stack: list[tuple[int, list[int]]] = [(s, [s])]
        while stack:
            v, path = stack.pop()
            for w in (int(x) for x in np.flatnonzero(adj[:, v])):
                if w in path:
                    continue
                if w == t:
                    found.append([*path, w])
                else:
                    stack.append((w, [*path, w]))
        found.sort(key=lambda p: (len(p), p))
        return found

    # ------------------------------------------------------------------ values
    def evaluate(self, theta: np.ndarray, effects: list[_Effect]) -> np.ndarray:
        """Values of ``effects`` for each row of ``theta`` (draws x K, real or complex)."""
        theta = np.atleast_2d(theta)
        D = theta.shape[0]
        dtype = np.result_type(theta.dtype, float)
        out = np.full((D, len(effects)), np.nan, dtype=dtype)
        ok = np.isfinite(theta).all(axis=1)
        if not ok.any():
            return out
        th = theta[ok]
        eye = np.eye(self.m)
        for g in range(self.n_groups):
            idx = [e for e, eff in enumerate(effects) if eff.group == g]
            if not idx:
                continue
            B = np.zeros((th.shape[0], self.m, self.m), dtype=dtype)
            for t, s, k, val in self.edges[g]:
                B[:, t, s] = th[:, k] if k >= 0 else val
            need_total = any(effects[e].kind in ("total", "total_indirect") for e in idx)
            T = _inverse_rows(eye - B) - eye if need_total else np.zeros_like(B)
            for e in idx:
                eff = effects[e]
                if eff.kind == "direct":
                    vals = B[:, eff.target, eff.source]
                elif eff.kind == "indirect":
                    vals = np.ones(th.shape[0], dtype=dtype)
                    for a, b in zip(eff.path[:-1], eff.path[1:], strict=True):
                        vals = vals * B[:, b, a]
                elif eff.kind == "total":
                    vals = T[:, eff.target, eff.source]
                else:
                    vals = T[:, eff.target, eff.source] - B[:, eff.target, eff.source]
                out[ok, e] = vals
        return out

    def jacobian(self, theta: np.ndarray, effects: list[_Effect]) -> np.ndarray:
        """d(effects)/d(theta) by complex-step differentiation (exact to rounding)."""
        K = theta.size
        h = 1e-20
        th = np.tile(theta.astype(complex), (K, 1)) + 1j * h * np.eye(K)
        vals = self.evaluate(th, effects)  # (K, E)
        return np.imag(vals).T / h


def _inverse_rows(a: np.ndarray) -> np.ndarray:
    """Batched inverse; a singular matrix (no equilibrium of a loop) gives a NaN block."""
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        out = np.full_like(a, np.nan)
        for i in range(a.shape[0]):
            try:
                out[i] = np.linalg.inv(a[i])
            except np.linalg.LinAlgError:
                continue
        return out


def _names(value: str | Sequence[str] | None, nodes: list[str], arg: str) -> list[int]:
    if value is None:
        return list(range(len(nodes)))
    items = [value] if isinstance(value, str) else list(value)
    bad = [v for v in items if v not in nodes]
    if bad:
        raise OptionError(
            f"{arg}={bad if len(bad) > 1 else bad[0]!r} is not a variable of the structural "
            f"part; use one of {nodes}"
        )
    return [nodes.index(v) for v in items]


def effects(
    fit: SEMResult,
    source: str | Sequence[str] | None = None,
    target: str | Sequence[str] | None = None,
    *,
    ci: CIType = "delta",
    boot: BootstrapResult | None = None,
    draws: int | None = None,
    seed: SeedLike = None,
    level: float = 0.95,
    boot_method: CIMethod = "percentile",
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Direct, specific indirect, total indirect and total effects between variables.

    Parameters
    ----------
    fit : SEMResult
        A fitted model with regressions (``~``).
    source, target : str or sequence of str, optional
        Restrict to effects of these variables / on these variables (default: every pair
        of variables of the structural part connected by a path).
    ci : {"delta", "bootstrap", "montecarlo"}
        Delta method (complex-step Jacobian and ``fit.vcov_matrix``), bootstrap intervals,
        or Monte Carlo intervals from ``N(theta_hat, vcov)`` draws.
    boot : BootstrapResult, optional
        Bootstrap draws of this fit to use with ``ci="bootstrap"`` (default: run
        :func:`bootstrap` with ``draws``, ``seed`` and ``n_jobs``).
    draws : int, optional
        Bootstrap draws (default 1000) or Monte Carlo draws (default 20000).
    seed : int, numpy Generator or None
        Seed of the draws.
    level : float
        Confidence level.
    boot_method : {"percentile", "bc", "bca", "norm", "basic"}
        Bootstrap interval type (see :meth:`BootstrapResult.ci`).
    n_jobs : int
        Local processes for a bootstrap run here.

    Returns
    -------
    pandas.DataFrame
        Columns ``group source target effect path est se z pvalue ci_lower ci_upper
        method``; ``effect`` is ``direct``, ``indirect`` (one row per specific path, with
        the ``path`` written ``x -> m -> y``), ``total_indirect`` or ``total``.

    Raises
    ------
    SpecificationError
        The model has no regression.
    OptionError
        Unknown variables or option values, or a ``boot`` from another fit.

    Warns
    -----
    SynergyWarning
        When a pair is connected through a feedback loop: its specific indirect paths are
        not enumerated (infinitely many walks), only its total indirect and total effects.
    DroppedDataWarning
        When failed bootstrap draws are left out.

    Notes
    -----
    ``direct = B[t, s]``, ``total = [(I - B)^-1 - I][t, s]``, ``total_indirect = total -
    direct``, and a specific indirect effect along ``s -> v1 -> ... -> t`` is
    ``B[v1, s] ... B[t, vk]`` (Bollen 1987; Sobel 1987). Delta-method standard errors are
    ``sqrt(J V J')`` with ``J`` the Jacobian of the effect in the free parameters.

    References
    ----------
    Bollen, K. A. (1987). Total, direct, and indirect effects in structural equation
    models. Sociological Methodology, 17, 37-69.
    Sobel, M. E. (1987). Direct and indirect effects in linear structural equation models.
    Sociological Methods & Research, 16, 155-176.

    Examples
    --------
    Like lavaan's ``ind := a*b`` rows of ``parameterEstimates()``, for every path at once:

    >>> ss.effects(fit, "mot", "res", ci="bootstrap", seed=1)  # doctest: +SKIP
    """
    check_arguments(effects, locals())
    import pandas as pd
    from scipy import stats

    check_option("ci", ci, CIType)
    check_option("boot_method", boot_method, CIMethod)
    if not isinstance(level, float | int) or not 0 < float(level) < 1:
        raise OptionError(f"level={level!r} must lie strictly between 0 and 1")
    level = float(level)
    structure = _Structure(fit)
    if structure.m == 0:
        raise SpecificationError("the model has no regression ('~'), so it has no effects")
    sources = _names(source, structure.nodes, "source")
    targets = _names(target, structure.nodes, "target")
    effs: list[_Effect] = []
    for g in range(structure.n_groups):
        effs += structure.enumerate(g, sources, targets)
    _warn_loops(structure, effs)
    theta = np.asarray(fit.theta, dtype=float)
    est = structure.evaluate(theta[None, :], effs)[0].real.astype(float)
    E = len(effs)
    se = np.full(E, np.nan)
    lo = np.full(E, np.nan)
    hi = np.full(E, np.nan)
    if ci in ("delta", "montecarlo"):
        from synergy_stats.inference.montecarlo import _require_vcov

        _require_vcov(fit, f"effects(ci={ci!r})")
    if ci == "delta":
        J = structure.jacobian(theta, effs)
        var = np.einsum("ek,kl,el->e", J, fit.vcov_matrix, J)
        se = np.sqrt(np.clip(var, 0, None))
        zc = float(stats.norm.ppf((1 + level) / 2))
        lo, hi = est - zc * se, est + zc * se
        method = "delta"
    elif ci == "montecarlo":
        from synergy_stats.inference.montecarlo import normal_theta_draws

        n = 20000 if draws is None else _check_draws(draws)
        vals = structure.evaluate(normal_theta_draws(fit, n, seed), effs).real
        for e in range(E):
            v = vals[:, e]
            v = v[np.isfinite(v)]
            se[e] = float(v.std(ddof=1)) if v.size > 1 else np.nan
            lo[e], hi[e] = np.quantile(v, [(1 - level) / 2, (1 + level) / 2])
        method = "montecarlo"
    else:
        if boot is None:
            n = 1000 if draws is None else _check_draws(draws)
            boot = bootstrap(fit, draws=n, seed=seed, n_jobs=n_jobs, fit_measures=())
        elif not isinstance(boot, BootstrapResult):
            raise OptionError(f"boot={type(boot).__name__} is not accepted; give a BootstrapResult")
        _check_same_fit(fit, boot)
        boot._warn_failed("effects()")
        vals = structure.evaluate(boot.theta_draws, effs).real
        influence: list[np.ndarray] = []
        if boot_method == "bca":
            jack_theta = boot._jackknife.iloc[:, : theta.size].to_numpy(dtype=float)
            jv = structure.evaluate(jack_theta, effs).real
            keep = np.isfinite(jv).all(axis=1)
            from synergy_stats.inference.bootstrap import _case_groups

            groups = _case_groups(fit)[keep]
            influence = [iv.jackknife_influence(jv[keep, e], est[e], groups) for e in range(E)]
        for e in range(E):
            t = vals[:, e]
            tf = t[np.isfinite(t)]
            se[e] = float(tf.std(ddof=1)) if tf.size > 1 else np.nan
            if boot_method == "percentile":
                lo[e], hi[e] = iv.percentile_interval(t, level)
            elif boot_method == "bc":
                lo[e], hi[e] = iv.bc_interval(t, est[e], level)
            elif boot_method == "bca":
                lo[e], hi[e] = iv.bca_interval(t, est[e], influence[e], level)
            elif boot_method == "norm":
                lo[e], hi[e] = iv.norm_interval(t, est[e], level)
            else:
                lo[e], hi[e] = iv.basic_interval(t, est[e], level)
        method = f"bootstrap {boot_method}"
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, est / se, np.nan)
    nodes = structure.nodes
    frame = pd.DataFrame(
        {
            "group": [e.group + 1 for e in effs],
            "source": [nodes[e.source] for e in effs],
            "target": [nodes[e.target] for e in effs],
            "effect": [e.kind for e in effs],
            "path": [" -> ".join(nodes[v] for v in e.path) if e.path else "" for e in effs],
            "est": est,
            "se": se,
            "z": z,
            "pvalue": 2 * stats.norm.sf(np.abs(z)),
            "ci_lower": lo,
            "ci_upper": hi,
            "method": method,
        },
        columns=EFFECT_COLUMNS,
    )
    frame.attrs.update({"ci": ci, "level": level})
    if ci == "bootstrap" and boot is not None:
        frame.attrs.update({"draws": boot.n_draws, "failed": boot.n_failed})
    return frame


def _check_draws(draws: int) -> int:
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 2:
        raise OptionError(f"draws={draws!r} is not accepted; use an int of at least 2")
    return int(draws)


def _check_same_fit(fit: SEMResult, boot: BootstrapResult) -> None:
    if boot.fit is fit:
        return
    same = boot.fit.theta.shape == fit.theta.shape and np.allclose(boot.fit.theta, fit.theta)
    if not same:
        raise OptionError("boot= holds draws of a different fit; bootstrap this fit instead")
    if boot.kind != "ordinary":
        raise OptionError("boot= is a Bollen-Stine bootstrap; intervals need an ordinary one")


def _warn_loops(structure: _Structure, effs: list[_Effect]) -> None:
    loops = []
    for g in range(structure.n_groups):
        reach = structure.reach(structure.adjacency(g))
        cyc = [structure.nodes[v] for v in range(structure.m) if reach[v, v]]
        if cyc:
            loops.append(cyc)
    if loops and any(e.kind == "total_indirect" for e in effs):
        looped = sorted({v for cyc in loops for v in cyc})
        warnings.warn(
            f"the structural part has feedback loops through {looped}; "
            "specific indirect paths are not listed for pairs connected through a loop, only "
            "their total indirect and total effects from (I - B)^-1",
            SynergyWarning,
            stacklevel=3,
        )


def indirect_effects_table(
    fit: SEMResult,
    boot: BootstrapResult,
    *,
    level: float = 0.95,
    method: CIMethod = "percentile",
) -> pd.DataFrame:
    """Indirect effects with bootstrap intervals, one row each, for reports.

    Parameters
    ----------
    fit : SEMResult
        The fitted model.
    boot : BootstrapResult
        Its bootstrap draws.
    level : float
        Confidence level.
    method : {"percentile", "bc", "bca", "norm", "basic"}
        Bootstrap interval type.

    Returns
    -------
    pandas.DataFrame
        Columns ``label est se ci_lower ci_upper method draws failed``: the model's defined
        (``:=``) parameters when it has any, else every specific indirect path of the
        structural part (labelled ``x -> m -> y``). ``draws`` counts the draws used,
        ``failed`` those left out.

    Examples
    --------
    The ``:=`` rows of lavaan's ``parameterEstimates(fit, boot.ci.type = "perc")`` after
    ``sem(..., se = "bootstrap")``:

    >>> boot = ss.bootstrap(fit, draws=2000, seed=1, n_jobs=2)  # doctest: +SKIP
    >>> ss.indirect_effects_table(fit, boot)  # doctest: +SKIP
    """
    check_arguments(indirect_effects_table, locals())
    import pandas as pd

    if not isinstance(boot, BootstrapResult):
        raise OptionError(f"boot={type(boot).__name__} is not accepted; give a BootstrapResult")
    _check_same_fit(fit, boot)
    if fit.spec.defined:
        est = boot.ci(level=level, method=method)
        rows = est[est["op"] == ":="]
        table = pd.DataFrame(
            {
                "label": rows["lhs"].to_numpy(),
                "est": rows["est"].to_numpy(dtype=float),
                "se": rows["se"].to_numpy(dtype=float),
                "ci_lower": rows["ci_lower"].to_numpy(dtype=float),
                "ci_upper": rows["ci_upper"].to_numpy(dtype=float),
            }
        )
    else:
        eff = effects(fit, ci="bootstrap", boot=boot, level=level, boot_method=method)
        rows = eff[eff["effect"] == "indirect"]
        label = rows["path"].to_numpy()
        if fit.n_groups > 1:
            label = np.array(
                [f"{p} (group {g})" for p, g in zip(label, rows["group"], strict=True)]
            )
        table = pd.DataFrame(
            {
                "label": label,
                "est": rows["est"].to_numpy(dtype=float),
                "se": rows["se"].to_numpy(dtype=float),
                "ci_lower": rows["ci_lower"].to_numpy(dtype=float),
                "ci_upper": rows["ci_upper"].to_numpy(dtype=float),
            }
        )
    table["method"] = f"bootstrap {method}"
    table["draws"] = boot.n_successful
    table["failed"] = boot.n_failed
    table.attrs.update({"level": float(level)})
    return table
