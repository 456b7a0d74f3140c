"""Monte Carlo power: simulate from a population, fit the analysis model, count rejections.

:func:`power` draws ``replications`` data sets of each sample size from a population
(:mod:`synergy_stats.simulate.data`), fits the analysis model to each, and summarises every
target (a parameter, a defined ``:=`` parameter, the model chi-square, a nested-model
likelihood-ratio test or a joint Wald test) in :meth:`PowerResult.table`: bias, efficiency
of the standard errors, 95% coverage and power, with the share of replications that
converged and were admissible. A failed replication is kept as a row of the raw results
(``PowerResult.raw``) with its status, never dropped.

Distribution: replication ``r`` of grid point ``g`` draws from the generator of
``SeedSequence(seed, spawn_key=(g, r))``, so results are identical for every number of local
processes or Dask workers and any chunk order. The draws run through the package's one
seeded engine, :func:`synergy_stats.inference.parallel.map_draws`, whose chunks can be
written to a checkpoint as they finish and skipped when a run is resumed.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from synergy_stats._random import normal_draws
from synergy_stats._typing import SeedLike, check_arguments, check_option
from synergy_stats.errors import (
    ConvergenceWarning,
    OptionError,
    SpecificationError,
    SynergyError,
)
from synergy_stats.inference.parallel import SeedPlan, check_n_jobs, map_draws, seed_plan
from synergy_stats.inference.progress import ProgressLike
from synergy_stats.simulate.data import (
    DrawPlan,
    Population,
    analysis_spec,
    draw,
    make_plan,
)
from synergy_stats.simulate.data import population as make_population
from synergy_stats.structural.engine import CompiledModel, GroupMoments, moments_of
from synergy_stats.structural.estimate import Objective, minimise
from synergy_stats.structural.partable import ParTable
from synergy_stats.structural.spec import ModelSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LRT", "PowerResult", "Wald", "power"]

CIMethod = Literal["delta", "montecarlo", "bootstrap"]

#: Status codes of a replication.
OK, NON_CONVERGENCE, NON_ADMISSIBLE, ERROR = 0, 1, 2, 3
STATUS_NAMES = {
    OK: "ok",
    NON_CONVERGENCE: "non-convergence",
    NON_ADMISSIBLE: "non-admissible",
    ERROR: "error",
}
_FIT_ERRORS = (np.linalg.LinAlgError, FloatingPointError, ArithmeticError, ValueError, SynergyError)
#: Columns per target in the raw draws.
_PER = ("est", "se", "pvalue", "ci_lower", "ci_upper", "reject")


@dataclass(frozen=True)
class LRT:
    """A likelihood-ratio target: the analysis model against a nested (restricted) model.

    Attributes
    ----------
    name : str
        The target's name in the table.
    model : str or ModelSpec
        The restricted model (lavaan syntax), fitted to the same data with the same options.
    """

    name: str
    model: str | ModelSpec


@dataclass(frozen=True)
class Wald:
    """A joint Wald test that several parameters (labels or ``lhs op rhs`` rows) are 0."""

    name: str
    parameters: tuple[str, ...]


# ---------------------------------------------------------------------- targets
@dataclass(frozen=True)
class _Target:
    name: str
    kind: str  # "par", "def", "chisq", "lrt", "wald"
    index: int = -1  # free-parameter index (0-based) of a "par"
    expr: str = ""  # expression of a "def"
    indices: tuple[int, ...] = ()  # parameters of a "wald"
    nested: int = -1  # nested-model number of an "lrt"


def _relation(text: str) -> tuple[str, str, str] | None:
    import re

    m = re.fullmatch(r"\s*([^\s~=]+)\s*(=~|~~|~)\s*([^\s~=]*)\s*", text)
    if m is None:
        return None
    lhs, op, rhs = m.groups()
    if op == "~" and rhs == "1":
        return (lhs, "~1", "")
    return (lhs, op, rhs)


def _find_row(pt: ParTable, text: str) -> int | None:
    rel = _relation(text)
    if rel is None:
        return None
    lhs, op, rhs = rel
    for i in range(len(pt)):
        if int(pt.group[i]) != 1:
            continue
        same = (pt.lhs[i], pt.op[i], pt.rhs[i]) == (lhs, op, rhs)
        swapped = op == "~~" and (pt.lhs[i], pt.op[i], pt.rhs[i]) == (rhs, op, lhs)
        if same or swapped:
            return i
    return None


def _free_index(pt: ParTable, ref: str, spec: ModelSpec) -> int:
    labels = pt.labels_to_free()
    if ref in labels:
        return labels[ref] - 1
    row = _find_row(pt, ref)
    if row is None:
        raise OptionError(
            f"target {ref!r} is neither a label ({sorted(labels)}), a defined parameter "
            f"({[d.name for d in spec.defined]}), 'chisq', nor an 'lhs op rhs' row of the "
            "analysis model"
        )
    if pt.free[row] == 0:
        raise OptionError(f"target {ref!r} is fixed in the analysis model; free it to test it")
    return int(pt.free[row]) - 1


def _resolve_targets(
    targets: Sequence[Any] | None, pt: ParTable, spec: ModelSpec
) -> tuple[list[_Target], list[ModelSpec]]:
    from synergy_stats.structural.syntax import parse_model

    out: list[_Target] = []
    nested: list[ModelSpec] = []
    if targets is None:
        # every regression path and defined parameter
        seen: set[int] = set()
        for i in range(len(pt)):
            if pt.op[i] == "~" and pt.free[i] > 0 and int(pt.group[i]) == 1:
                k = int(pt.free[i]) - 1
                if k not in seen:
                    seen.add(k)
                    name = pt.label[i] or f"{pt.lhs[i]} ~ {pt.rhs[i]}"
                    out.append(_Target(name, "par", index=k))
        for d in spec.defined:
            out.append(_Target(d.name, "def", expr=d.expression))
        if not out:
            out.append(_Target("chisq", "chisq"))
        return out, nested
    if isinstance(targets, str | LRT | Wald | ModelSpec):
        targets = [targets]
    if not list(targets):
        raise OptionError("targets=[] names no target; give some, or None for every path")
    defined = {d.name: d.expression for d in spec.defined}
    for t in targets:
        if isinstance(t, LRT):
            m = t.model if isinstance(t.model, ModelSpec) else parse_model(t.model)
            nested.append(m)
            out.append(_Target(t.name, "lrt", nested=len(nested) - 1))
        elif isinstance(t, ModelSpec):
            nested.append(t)
            out.append(_Target(f"lrt{len(nested)}", "lrt", nested=len(nested) - 1))
        elif isinstance(t, Wald):
            idx = tuple(_free_index(pt, p, spec) for p in t.parameters)
            out.append(_Target(t.name, "wald", indices=idx))
        elif isinstance(t, str):
            if t == "chisq":
                out.append(_Target("chisq", "chisq"))
            elif t in defined:
                out.append(_Target(t, "def", expr=defined[t]))
            else:
                out.append(_Target(t, "par", index=_free_index(pt, t, spec)))
        else:
            raise OptionError(
                f"target {t!r} is not accepted; give a label, 'lhs op rhs', a := name, "
                "'chisq', an LRT(name, nested_model), a Wald(name, parameters) or a ModelSpec"
            )
    names = [t.name for t in out]
    if len(set(names)) != len(names):
        raise OptionError(f"targets have duplicate names {names}")
    return out, nested


# ---------------------------------------------------------------------- fitting
@dataclass
class _Analysis:
    """One analysis model compiled for the replications (picklable)."""

    pt: ParTable
    spec: ModelSpec
    theta_pop: np.ndarray
    fit_options: dict[str, Any]
    fast: bool
    group_labels: tuple[Any, ...]
    _compiled: CompiledModel | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_compiled"] = None
        return state

    @property
    def compiled(self) -> CompiledModel:
        if self._compiled is None:
            self._compiled = _compile(self.pt)
        return self._compiled


# -- the one door to the estimation engine's fast refit ------------------------------------
# Everything below up to _fit_replication is the only code that touches the engine's
# compiled refit (structural/engine.py + estimate.minimise), as the bootstrap does.
def _compile(pt: ParTable) -> CompiledModel:
    return CompiledModel(pt)


def _moments(x: np.ndarray) -> GroupMoments:
    return moments_of(x)


def _moments_from(n: int, mean: np.ndarray, cov: np.ndarray) -> GroupMoments:
    return GroupMoments(n, mean, cov)


def _objective(cm: CompiledModel, pt: ParTable, moments: list[GroupMoments]) -> Objective:
    return Objective(None, moments, fiml=False, compiled=cm, partable=pt)


def _refit(obj: Objective, start: np.ndarray) -> tuple[np.ndarray, float, bool, bool]:
    """ML refit on sample moments: ``(theta, F_min, converged, admissible)``."""
    res = minimise(obj, start, max_iter=200)
    ok = bool(res.converged) and obj.compiled.admissible(res.theta, obj.groups)
    return res.theta, float(res.fmin), bool(res.converged), ok


def _fast_vcov(obj: Objective, theta: np.ndarray) -> np.ndarray | None:
    """Inverse expected information ``(N I_unit)^-1`` at theta (complete-data ML)."""
    try:
        info = obj.expected_information(theta)
        return np.linalg.inv(info * obj.ntotal)
    except (np.linalg.LinAlgError, SynergyError):
        return None


@dataclass(frozen=True)
class _Fit:
    theta: np.ndarray
    vcov: np.ndarray | None
    chisq: float
    status: int


def _fit_replication(an: _Analysis, xs: list[np.ndarray], *, se: bool = True) -> _Fit:
    """Fit the analysis model to one replication: the one place replications are fitted.

    Complete data under ML: the bootstrap's compiled refit
    (:func:`synergy_stats.structural.estimate.minimise` on the compiled model, Newton from
    the population values) with expected-information standard errors ``(N I)^-1``, as
    ``ss.sem``. Anything else (missing data under FIML, MLR): :func:`synergy_stats.sem`.
    """
    K = an.pt.npar
    nan = np.full(K, np.nan)
    if an.fast and all(not np.isnan(x).any() for x in xs):
        cm = an.compiled
        moments = [_moments(x) for x in xs]
        obj = _objective(cm, an.pt, moments)
        theta, fmin, converged, admissible = _refit(obj, an.theta_pop)
        ntot = sum(m.n for m in moments)
        if not converged:
            return _Fit(theta, None, math.nan, NON_CONVERGENCE)
        vcov = _fast_vcov(obj, theta) if se else None
        status = OK if admissible else NON_ADMISSIBLE
        return _Fit(theta, vcov, float(ntot * fmin), status)
    import pandas as pd

    from synergy_stats.structural.api import sem

    frames = []
    for g, x in enumerate(xs):
        f = pd.DataFrame(x, columns=list(an.pt.observed))
        if len(xs) > 1:
            f["group"] = an.group_labels[g]
        frames.append(f)
    data = pd.concat(frames, ignore_index=True)
    opts = dict(an.fit_options)
    if len(xs) > 1:
        opts["group"] = "group"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sem(an.spec, data, se=se, **opts)
        except _FIT_ERRORS:
            return _Fit(nan, None, math.nan, ERROR)
        if not fit.converged:
            return _Fit(fit.theta, None, math.nan, NON_CONVERGENCE)
        vcov = np.asarray(fit.vcov_matrix) if se else None
        chisq = fit.chisq
    moments = [_moments_from(gd.n, gd.mean, gd.cov) for gd in fit.group_data]
    ok = an.compiled.admissible(fit.theta, moments)
    return _Fit(fit.theta, vcov, chisq, OK if ok else NON_ADMISSIBLE)


# ---------------------------------------------------------------------- the task
class _PowerTask:
    """Replication ``index`` of the whole grid: ``index = g * R + r`` (picklable)."""

    def __init__(
        self,
        plans: list[DrawPlan],
        analysis: _Analysis,
        nested: list[_Analysis],
        targets: list[_Target],
        *,
        replications: int,
        alpha: float,
        ci: str,
        ci_draws: int,
        seeds: SeedPlan,
    ) -> None:
        self.plans = plans
        self.analysis = analysis
        self.nested = nested
        self.targets = targets
        self.replications = replications
        self.alpha = alpha
        self.ci = ci
        self.ci_draws = ci_draws
        self.seeds = seeds
        self.width = 2 + len(_PER) * len(targets)
        self._defined: dict[str, Any] = {}
        from scipy.stats import norm

        self.z95 = float(norm.isf(0.025))
        self.za = float(norm.isf(alpha / 2))

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_defined"] = {}
        return state

    def rng(self, index: int) -> np.random.Generator:
        g, r = divmod(index, self.replications)
        seq = np.random.SeedSequence(self.seeds.entropy, spawn_key=(*self.seeds.spawn_key, g, r))
        return np.random.Generator(np.random.PCG64(seq))

    def run(self, index: int, rng: np.random.Generator | None) -> tuple[np.ndarray, int]:
        out = np.full(self.width, np.nan)
        g = index // self.replications
        rng = self.rng(index)  # the (seed, g, r) stream, whatever map_draws passes
        xs = draw(self.plans[g], rng)
        try:
            fit = _fit_replication(self.analysis, xs)
        except _FIT_ERRORS:
            fit = _Fit(np.full(self.analysis.pt.npar, np.nan), None, math.nan, ERROR)
        out[0] = fit.status
        out[1] = fit.chisq
        if fit.status == ERROR or fit.status == NON_CONVERGENCE:
            return out, 0
        from scipy.stats import chi2

        z95, za = self.z95, self.za
        for t, tgt in enumerate(self.targets):
            col = 2 + len(_PER) * t
            vals = np.full(len(_PER), np.nan)
            if tgt.kind == "par":
                est = fit.theta[tgt.index]
                se = math.sqrt(fit.vcov[tgt.index, tgt.index]) if fit.vcov is not None else math.nan
                vals[:] = self._interval(est, se, z95, za, None, rng, fit, xs, tgt)
            elif tgt.kind == "def":
                f = self._function(tgt.expr)
                est = float(f(fit.theta))
                se = math.nan
                if fit.vcov is not None:
                    grad = _gradient(f, fit.theta)
                    se = math.sqrt(max(float(grad @ fit.vcov @ grad), 0.0))
                vals[:] = self._interval(est, se, z95, za, f, rng, fit, xs, tgt)
            elif tgt.kind == "chisq":
                df = self.analysis.pt.df
                p = float(chi2.sf(fit.chisq, df)) if df > 0 else math.nan
                vals[:] = [fit.chisq, math.nan, p, math.nan, math.nan, float(p < self.alpha)]
            elif tgt.kind == "lrt":
                nest = self.nested[tgt.nested]
                try:
                    f0 = _fit_replication(nest, xs, se=False)
                except _FIT_ERRORS:
                    f0 = _Fit(np.array([]), None, math.nan, ERROR)
                if f0.status in (OK, NON_ADMISSIBLE):
                    stat = max(f0.chisq - fit.chisq, 0.0)
                    ddf = self.analysis.pt.npar - nest.pt.npar
                    p = float(chi2.sf(stat, ddf))
                    vals[:] = [stat, math.nan, p, math.nan, math.nan, float(p < self.alpha)]
            elif tgt.kind == "wald" and fit.vcov is not None:
                idx = list(tgt.indices)
                th = fit.theta[idx]
                try:
                    stat = float(th @ np.linalg.solve(fit.vcov[np.ix_(idx, idx)], th))
                    p = float(chi2.sf(stat, len(idx)))
                    vals[:] = [stat, math.nan, p, math.nan, math.nan, float(p < self.alpha)]
                except np.linalg.LinAlgError:
                    pass
            out[col : col + len(_PER)] = vals
        return out, 0

    def _function(self, expr: str) -> Callable[[np.ndarray], float]:
        f = self._defined.get(expr)
        if f is None:
            from synergy_stats.structural.syntax import compile_expression

            fn, used = compile_expression(expr)
            labels = self.analysis.pt.labels_to_free()
            missing = [u for u in used if u not in labels]
            if missing:
                raise SpecificationError(f"defined parameter uses unknown label(s) {missing}")
            pos = {u: labels[u] - 1 for u in used}

            def f(theta: np.ndarray, fn: Any = fn, pos: dict[str, int] = pos) -> float:
                return fn({u: theta[..., k] for u, k in pos.items()})

            self._defined[expr] = f
        return f

    def _interval(
        self,
        est: float,
        se: float,
        z95: float,
        za: float,
        f: Callable[[np.ndarray], Any] | None,
        rng: np.random.Generator,
        fit: _Fit,
        xs: list[np.ndarray],
        tgt: _Target,
    ) -> list[float]:
        p = math.erfc(abs(est / se) / math.sqrt(2.0)) if se > 0 else math.nan
        if self.ci == "delta" or f is None:
            lo, hi = est - z95 * se, est + z95 * se
            return [est, se, p, lo, hi, float(p < self.alpha)]
        if self.ci == "montecarlo":
            if fit.vcov is None:
                return [est, se, p, math.nan, math.nan, math.nan]
            draws = normal_draws(rng, fit.theta, fit.vcov, self.ci_draws)
            vals = np.asarray(f(draws), dtype=float)
        else:  # bootstrap: refit resampled rows of this replication
            vals = self._bootstrap(f, rng, xs, fit)
        vals = vals[np.isfinite(vals)]
        if vals.size < 2:
            return [est, se, p, math.nan, math.nan, math.nan]
        lo, hi = np.quantile(vals, [0.025, 0.975])
        la, ha = np.quantile(vals, [self.alpha / 2, 1 - self.alpha / 2])
        return [est, se, p, float(lo), float(hi), float(not la <= 0.0 <= ha)]

    def _bootstrap(
        self,
        f: Callable[[np.ndarray], Any],
        rng: np.random.Generator,
        xs: list[np.ndarray],
        fit: _Fit,
    ) -> np.ndarray:
        cm = self.analysis.compiled
        out = np.full(self.ci_draws, np.nan)
        for b in range(self.ci_draws):
            sample = [x[rng.integers(0, x.shape[0], x.shape[0])] for x in xs]
            try:
                obj = _objective(cm, self.analysis.pt, [_moments(x) for x in sample])
                theta, _f, converged, admissible = _refit(obj, fit.theta)
            except _FIT_ERRORS:
                continue
            if converged and admissible:
                out[b] = float(f(theta))
        return out


def _gradient(f: Callable[[np.ndarray], Any], theta: np.ndarray) -> np.ndarray:
    grad = np.zeros(theta.size)
    for k in range(theta.size):
        h = 1e-6 * max(1.0, abs(theta[k]))
        up, dn = theta.copy(), theta.copy()
        up[k] += h
        dn[k] -= h
        grad[k] = (float(f(up)) - float(f(dn))) / (2 * h)
    return grad


# ---------------------------------------------------------------------- setup
def _compile_analysis(
    model: ModelSpec, pop: Population, fit_options: Mapping[str, Any], *, fast_ok: bool
) -> _Analysis:
    """Build the analysis model's parameter table and its population (pseudo-true) values."""
    import pandas as pd

    from synergy_stats.structural.api import sem

    plan = make_plan(
        pop,
        [max(2000, 50 * len(pop.observed))] * pop.n_groups
        if pop.n_groups > 1
        else max(2000, 50 * len(pop.observed)),
    )
    xs = draw(plan, np.random.default_rng(20261202))
    frames = []
    labels = tuple(range(1, pop.n_groups + 1)) if pop.n_groups > 1 else (None,)
    for g, x in enumerate(xs):
        f = pd.DataFrame(x, columns=list(pop.observed))
        if pop.n_groups > 1:
            f["group"] = labels[g]
        frames.append(f)
    data = pd.concat(frames, ignore_index=True)
    opts = dict(fit_options)
    if pop.n_groups > 1:
        opts["group"] = "group"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pilot = sem(model, data, se=False, **opts)
    if not pilot.converged:
        raise SpecificationError(
            "the analysis model does not converge on a large sample from the population; "
            "check that it is identified"
        )
    pt = pilot.partable
    cm = _compile(pt)
    # population moments in the analysis model's variable order
    order = [pop.observed.index(v) for v in pt.observed]
    moments = [
        _moments_from(100_000, pop.mu[g][order], pop.sigma[g][np.ix_(order, order)])
        for g in range(pop.n_groups)
    ]
    theta, _f, converged, _adm = _refit(_objective(cm, pt, moments), pilot.theta)
    theta_pop = theta if converged else pilot.theta
    fast = (
        fast_ok
        and opts.get("estimator", "ML") == "ML"
        and opts.get("missing", "listwise") == "listwise"
    )
    opts.pop("group", None)
    return _Analysis(pt, model, np.asarray(theta_pop, float), opts, fast, labels)


def _population_fmin(an: _Analysis, pop: Population) -> float:
    """The ML discrepancy of the analysis model at the population moments (0 when correct)."""
    order = [pop.observed.index(v) for v in an.pt.observed]
    moments = [
        _moments_from(100_000, pop.mu[g][order], pop.sigma[g][np.ix_(order, order)])
        for g in range(pop.n_groups)
    ]
    obj = _objective(an.compiled, an.pt, moments)
    _theta, fmin, converged, _adm = _refit(obj, an.theta_pop)
    if not converged:
        raise SpecificationError("the analysis model does not converge at the population moments")
    return max(fmin, 0.0)


def _true_theta(an: _Analysis, pop: Population) -> np.ndarray:
    """Analysis parameters at their generating values where the population has the row.

    Elsewhere (a misspecified analysis model) the values that the analysis model takes at
    the population moments (its pseudo-true values).
    """
    theta = an.theta_pop.copy()
    pt = an.pt
    done: set[int] = set()
    for i in range(len(pt)):
        k = int(pt.free[i]) - 1
        if k < 0 or k in done:
            continue
        done.add(k)
        value = pop.value(pt.lhs[i], pt.op[i], pt.rhs[i], int(pt.group[i]))
        if value is not None and abs(value - theta[k]) < 1e-6 * max(1.0, abs(value)):
            theta[k] = value
    return theta


def _population_values(
    targets: list[_Target], an: _Analysis, task: _PowerTask, pop: Population
) -> list[float]:
    out = []
    theta = _true_theta(an, pop)
    for t in targets:
        if t.kind == "par":
            out.append(float(theta[t.index]))
        elif t.kind == "def":
            out.append(float(task._function(t.expr)(theta)))
        else:
            out.append(math.nan)
    return out


# ---------------------------------------------------------------------- checkpoint
class _Checkpoint:
    """Finished chunks on disk: ``chunk-<start>-<stop>`` files and a fingerprint."""

    def __init__(self, path: str | Path, fingerprint: str, width: int) -> None:
        self.path = Path(path)
        self.parquet = self.path.suffix == ".parquet"
        self.fingerprint = fingerprint
        self.width = width
        if self.parquet:
            try:
                import pyarrow  # noqa: F401
            except ImportError as exc:
                raise OptionError(
                    f"checkpoint={str(path)!r} needs pyarrow for parquet; pip install pyarrow, "
                    "or give a folder name without .parquet (chunks as .npz)"
                ) from exc
        if self.path.exists() and not self.path.is_dir():
            raise OptionError(f"checkpoint={str(path)!r} exists and is not a folder")
        self.path.mkdir(parents=True, exist_ok=True)
        meta = self.path / "_study.json"
        if meta.exists():
            old = json.loads(meta.read_text(encoding="utf-8")).get("fingerprint")
            if old != fingerprint:
                raise OptionError(
                    f"checkpoint={str(path)!r} holds chunks of another study (other arguments); "
                    "use a new checkpoint path, or delete this one to start afresh"
                )
        else:
            meta.write_text(json.dumps({"fingerprint": fingerprint}), encoding="utf-8")

    def load(self) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
        out = {}
        ext = ".parquet" if self.parquet else ".npz"
        for f in sorted(self.path.glob(f"chunk-*{ext}")):
            try:
                _, a, b = f.stem.split("-")
                start, stop = int(a), int(b)
                if self.parquet:
                    import pandas as pd

                    tab = pd.read_parquet(f)
                    vals = tab[[f"v{j}" for j in range(self.width)]].to_numpy(dtype=float)
                    codes = tab["status"].to_numpy(dtype=np.int8)
                else:
                    with np.load(f) as z:
                        vals, codes = z["values"], z["status"]
            except (ValueError, KeyError, OSError):  # a chunk cut short by a kill: redo it
                continue
            if vals.shape == (stop - start, self.width):
                out[(start, stop)] = (vals, codes)
        return out

    def save(self, start: int, stop: int, values: np.ndarray, status: np.ndarray) -> None:
        name = f"chunk-{start:09d}-{stop:09d}"
        if self.parquet:
            import pandas as pd

            tab = pd.DataFrame(values, columns=[f"v{j}" for j in range(self.width)])
            tab.insert(0, "status", status)
            tab.insert(0, "index", np.arange(start, stop))
            tmp = self.path / f".{name}.tmp"
            tab.to_parquet(tmp, index=False)
            tmp.replace(self.path / f"{name}.parquet")
        else:
            tmp = self.path / f".{name}.tmp.npz"
            np.savez(tmp, values=values, status=status)
            tmp.replace(self.path / f"{name}.npz")


def _fingerprint(**parts: Any) -> str:
    def norm(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            return [norm(x) for x in v.tolist()]
        if isinstance(v, Mapping):
            return {str(k): norm(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
        if isinstance(v, list | tuple):
            return [norm(x) for x in v]
        if isinstance(v, float | int | str | bool) or v is None:
            return v
        return repr(v)

    text = json.dumps(norm(parts), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


# ---------------------------------------------------------------------- client
def _resolve_client(client: Any) -> tuple[Any, Callable[[], None]]:
    if client is None:
        return None, lambda: None
    if isinstance(client, str):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise OptionError(
                f"client={client!r} needs dask.distributed; pip install 'synergy-stats[dask]'"
            ) from exc
        if client == "local":
            cluster = LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            )
            c = Client(cluster)

            def close() -> None:
                c.close()
                cluster.close()

            return c, close
        c = Client(client)
        return c, c.close
    return client, lambda: None


# ---------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class PowerResult:
    """A Monte Carlo power study (immutable).

    Attributes
    ----------
    n : tuple of int
        The sample sizes of the grid.
    targets : tuple of str
        Target names.
    population_values : tuple of float
        Each target's population value (NaN for tests).
    replications : int
        Replications per sample size.
    alpha : float
        Significance level.
    ci : str
        Interval method of defined parameters.
    seed : SeedPlan
        Root of the random streams (repeat the study with ``seed=result.seed.entropy``).
    raw : pandas.DataFrame
        One row per replication and target: ``n, replication, status, target, est, se,
        pvalue, ci_lower, ci_upper, reject`` (failed replications kept, with NaN values).
    """

    n: tuple[int, ...]
    targets: tuple[str, ...]
    population_values: tuple[float, ...]
    replications: int
    alpha: float
    ci: str
    seed: SeedPlan
    raw: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """Per n and target: bias, SE accuracy, coverage, power and the share converged.

        Returns
        -------
        pandas.DataFrame
            ``n target population mean_est bias rel_bias sd_est mean_se se_sd coverage
            power power_mcse replications converged admissible``. Summaries use the
            replications that converged to an admissible solution; ``converged`` and
            ``admissible`` are shares of all replications; ``power_mcse`` is the Monte
            Carlo standard error ``sqrt(p (1 - p) / m)``.
        """
        import pandas as pd

        rows = []
        pops = dict(zip(self.targets, self.population_values, strict=True))
        for (n, target), sub in self.raw.groupby(["n", "target"], sort=False):
            m_all = len(sub)
            conv = sub["status"].isin([OK, NON_ADMISSIBLE])
            good = sub[sub["status"] == OK]
            pop = pops[str(target)]
            est = good["est"].to_numpy(dtype=float)
            se = good["se"].to_numpy(dtype=float)
            rej = good["reject"].to_numpy(dtype=float)
            rej = rej[np.isfinite(rej)]
            m = len(good)
            mean = float(np.mean(est)) if m else math.nan
            sd = float(np.std(est, ddof=1)) if m > 1 else math.nan
            mse = float(np.nanmean(se)) if m and np.isfinite(se).any() else math.nan
            cover = math.nan
            if m and np.isfinite(pop) and good["ci_lower"].notna().any():
                lo = good["ci_lower"].to_numpy(dtype=float)
                hi = good["ci_upper"].to_numpy(dtype=float)
                ok = np.isfinite(lo) & np.isfinite(hi)
                cover = float(np.mean((lo[ok] <= pop) & (pop <= hi[ok])))
            pw = float(np.mean(rej)) if rej.size else math.nan
            bias = mean - pop if np.isfinite(pop) else math.nan
            rows.append(
                {
                    "n": int(n),  # type: ignore[call-overload]
                    "target": str(target),
                    "population": pop,
                    "mean_est": mean,
                    "bias": bias,
                    "rel_bias": bias / pop if np.isfinite(pop) and pop != 0 else math.nan,
                    "sd_est": sd,
                    "mean_se": mse,
                    "se_sd": mse / sd if sd and np.isfinite(mse) else math.nan,
                    "coverage": cover,
                    "power": pw,
                    "power_mcse": math.sqrt(pw * (1 - pw) / rej.size) if rej.size else math.nan,
                    "replications": m_all,
                    "converged": float(conv.mean()),
                    "admissible": float((sub["status"] == OK).mean()),
                }
            )
        return pd.DataFrame(rows)

    def sample_size(self, power: float = 0.8, *, target: str | None = None) -> pd.DataFrame:
        """The smallest grid n reaching ``power``, and an interpolated n, per target.

        Parameters
        ----------
        power : float
            Wanted power.
        target : str, optional
            One target (default: all).

        Returns
        -------
        pandas.DataFrame
            ``target power n_grid n_interpolated``: ``n_grid`` is the smallest n of the grid
            whose power reaches ``power`` (NaN when none does); ``n_interpolated`` is the n
            where the power curve, linear between grid points, crosses ``power`` (NaN
            outside the grid).
        """
        import pandas as pd

        if not 0 < power < 1:
            raise OptionError(f"power={power!r} must lie strictly between 0 and 1")
        tab = self.table()
        names = self.targets if target is None else (target,)
        if target is not None and target not in self.targets:
            raise OptionError(f"target={target!r} is not one of {list(self.targets)}")
        rows = []
        for t in names:
            sub = tab[tab["target"] == t].sort_values("n")
            ns = sub["n"].to_numpy(dtype=float)
            pw = sub["power"].to_numpy(dtype=float)
            reach = np.flatnonzero(pw >= power)
            n_grid = float(ns[reach[0]]) if reach.size else math.nan
            n_int = math.nan
            if reach.size:
                k = int(reach[0])
                if k == 0:
                    n_int = float(ns[0]) if pw[0] == power else math.nan
                else:
                    x0, x1, y0, y1 = ns[k - 1], ns[k], pw[k - 1], pw[k]
                    n_int = float(x0 + (power - y0) * (x1 - x0) / (y1 - y0)) if y1 > y0 else x1
            rows.append({"target": t, "power": power, "n_grid": n_grid, "n_interpolated": n_int})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (
            f"PowerResult(n={list(self.n)}, targets={list(self.targets)}, "
            f"replications={self.replications}, alpha={self.alpha})"
        )


# ---------------------------------------------------------------------- entry point
def _known_keys(name: str, options: Mapping[str, Any], func: Callable[..., Any]) -> None:
    """Refuse keys of ``fit_options``/``data_options`` that ``func`` does not take."""
    import inspect

    params = inspect.signature(func).parameters
    unknown = [k for k in options if k not in params]
    if unknown:
        accepted = [p for p in params if params[p].kind is inspect.Parameter.KEYWORD_ONLY]
        raise OptionError(
            f"{name} has unknown option(s) {unknown}; accepted: {', '.join(accepted)}"
        )


def power(
    population: Any,
    n: int | Sequence[int],
    *,
    analysis: str | ModelSpec | None = None,
    targets: Sequence[Any] | str | None = None,
    replications: int = 1000,
    alpha: float = 0.05,
    seed: SeedLike = None,
    n_jobs: int = 1,
    client: Any = None,
    progress: ProgressLike = None,
    ci: CIMethod = "delta",
    ci_draws: int = 1000,
    checkpoint: str | Path | None = None,
    chunk_size: int | None = None,
    fit_options: Mapping[str, Any] | None = None,
    data_options: Mapping[str, Any] | None = None,
    group_shares: Sequence[float] | None = None,
) -> PowerResult:
    """Monte Carlo power of a structural equation model over a grid of sample sizes.

    Parameters
    ----------
    population : str, ModelSpec, SEMResult or Population
        The data-generating model, as for :func:`synergy_stats.simulate_data` (lavaan
        syntax whose numbers are population values, or a fitted model).
    n : int or sequence of int
        Sample size(s) (total over groups).
    analysis : str or ModelSpec, optional
        The model fitted to each replication. Default: the population model with every
        value free (see :func:`synergy_stats.simulate.data.analysis_spec`).
    targets : sequence, optional
        What to report: parameter labels, ``"lhs op rhs"`` rows (group 1), ``:=`` names,
        ``"chisq"`` (the model test), :class:`LRT` ``(name, nested_model)`` or
        :class:`Wald` ``(name, parameters)``. Default: every regression path and every
        defined parameter.
    replications : int
        Replications per sample size.
    alpha : float
        Significance level of every test.
    seed : int, numpy Generator or None
        Root seed; replication r of grid point g uses ``SeedSequence(seed, spawn_key=(g, r))``.
    n_jobs : int
        Local worker processes (-1 = every CPU); on Linux this process is one of them and
        forks the others (see :func:`synergy_stats.inference.map_draws`).
    client : dask.distributed.Client, str or None
        A Dask client, a scheduler address, or ``"local"`` (a two-worker LocalCluster
        started and closed here). Chunks of replications are sent to the workers; the fit
        code is shipped once per worker.
    progress : bool, callable or None
        Progress bar over all replications (see :func:`synergy_stats.bootstrap`).
    ci : {"delta", "montecarlo", "bootstrap"}
        Intervals and tests of defined (indirect) parameters: delta-method Wald, Monte
        Carlo (``ci_draws`` normal draws of the estimates), or percentile bootstrap
        (``ci_draws`` refits per replication: slow). Parameters always use Wald intervals.
    ci_draws : int
        Draws of the Monte Carlo or bootstrap intervals.
    checkpoint : str or Path, optional
        A folder (``"power.parquet"``: parquet chunk files, needs pyarrow; any other name:
        ``.npz`` chunk files) where each finished chunk is written. A rerun with the same
        arguments skips the chunks that are done; other arguments raise. Needs an int
        ``seed``.
    chunk_size : int, optional
        Replications per chunk (default 25 with a checkpoint, else chosen by the engine).
    fit_options : mapping, optional
        Options of :func:`synergy_stats.sem` for the analysis (``estimator``, ``missing``,
        ``meanstructure``, ``std_lv``, ``group_equal``, ...).
    data_options : mapping, optional
        Options of :func:`synergy_stats.simulate_data` (``skewness``, ``kurtosis``,
        ``missing``, ``clusters``, ``icc``, ``likert``, ...).
    group_shares : sequence of float, optional
        Shares of n per group of a multiple-group population (its length is the number of
        groups of a syntax population; default: equal shares of a fitted multiple-group
        model's groups).

    Returns
    -------
    PowerResult

    Raises
    ------
    OptionError
        Bad sizes, targets or engine options; a checkpoint of another study.
    SpecificationError
        An analysis model that does not converge on a large population sample.

    Notes
    -----
    Complete-data ML replications are refitted by the bootstrap's compiled Newton refit,
    started at the population values, with expected-information standard errors; other
    fits (FIML, MLR) use :func:`synergy_stats.sem`. A replication is *converged* when the
    optimiser met its gradient criterion and *admissible* when lavaan's post-check passes
    (no negative variance, positive definite latent and residual covariance matrices).
    Power is the share of admissible replications whose test rejects at ``alpha`` (two-sided
    z-test of a parameter; Wald, LRT or chi-square test of a hypothesis); coverage is the
    share whose 95% interval holds the population value. Each power estimate has Monte Carlo
    standard error ``sqrt(p (1 - p) / R)``.

    References
    ----------
    Muthen, L. K. & Muthen, B. O. (2002). How to use a Monte Carlo study to decide on sample
    size and determine power. Structural Equation Modeling, 9, 599-620.

    Examples
    --------
    Like simsem's ``sim(1000, n = c(100, 200), model = ..., generate = ...)`` or an Mplus
    MONTECARLO run:

    >>> import synergy_stats as ss  # doctest: +SKIP
    >>> res = ss.power("y ~ 0.2*x", [100, 200], replications=500, seed=1)  # doctest: +SKIP
    >>> res.table()[["n", "target", "power"]]  # doctest: +SKIP
    """
    check_arguments(power, locals())
    import pandas as pd

    check_option("ci", ci, CIMethod)
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise OptionError(f"replications={replications!r} must be a positive integer")
    if not 0 < alpha < 1:
        raise OptionError(f"alpha={alpha!r} must lie strictly between 0 and 1")
    if isinstance(ci_draws, bool) or not isinstance(ci_draws, int) or ci_draws < 10:
        raise OptionError(f"ci_draws={ci_draws!r} must be an integer of at least 10")
    grid = [n] if isinstance(n, int | np.integer) else list(n)
    if not grid or any(isinstance(v, bool) or not isinstance(v, int | np.integer) for v in grid):
        raise OptionError(f"n={n!r} must be a positive integer or a sequence of them")
    grid = [int(v) for v in grid]
    if checkpoint is not None and not isinstance(seed, int | np.integer):
        raise OptionError(
            f"checkpoint= needs an int seed (got seed={seed!r}) so that a rerun draws the "
            "same replications"
        )
    if client is None:
        check_n_jobs(n_jobs)
    data_opts = dict(data_options or {})
    for bad in ("seed", "group_sizes", "n"):
        if bad in data_opts:
            raise OptionError(f"data_options may not set {bad!r}; it is set per replication")
    _known_keys("data_options", data_opts, make_plan)
    if group_shares is not None and (
        isinstance(group_shares, str) or not isinstance(group_shares, Sequence)
    ):
        raise OptionError(f"group_shares={group_shares!r} is not accepted; give a list of shares")
    pop = make_population(population, n_groups=1 if group_shares is None else len(group_shares))
    try:
        shares = (
            np.full(pop.n_groups, 1.0 / pop.n_groups)
            if group_shares is None
            else np.asarray(group_shares, dtype=float)
        )
    except (TypeError, ValueError, OverflowError):
        raise OptionError(f"group_shares={group_shares!r} must be positive numbers") from None
    if shares.shape != (pop.n_groups,) or not np.all(np.isfinite(shares) & (shares > 0)):
        raise OptionError(f"group_shares={group_shares!r} needs {pop.n_groups} positive shares")
    shares = shares / shares.sum()
    plans = []
    for size in grid:
        per = np.floor(size * shares).astype(int)
        per[0] += size - per.sum()
        sizes: Any = int(per[0]) if pop.n_groups == 1 else [int(v) for v in per]
        plans.append(make_plan(pop, sizes, **data_opts))
    spec = analysis_spec(pop) if analysis is None else _spec_of(analysis)
    fopts = dict(fit_options or {})
    for bad in ("group", "se", "data"):
        if bad in fopts:
            raise OptionError(f"fit_options may not set {bad!r}")
    from synergy_stats.structural.api import sem as _sem

    _known_keys("fit_options", fopts, _sem)
    fast_ok = not plans[0].tau and plans[0].missing is None
    an = _compile_analysis(spec, pop, fopts, fast_ok=fast_ok)
    tlist, nested_specs = _resolve_targets(targets, an.pt, spec)
    nested = [_compile_analysis(m, pop, fopts, fast_ok=fast_ok) for m in nested_specs]
    plan = seed_plan(seed)
    task = _PowerTask(
        plans,
        an,
        nested,
        tlist,
        replications=replications,
        alpha=alpha,
        ci=ci,
        ci_draws=ci_draws,
        seeds=plan,
    )
    total = len(grid) * replications
    done = None
    on_chunk = None
    if checkpoint is not None:
        if chunk_size is None:
            chunk_size = 25
        fp = _fingerprint(
            population=pop.spec.to_syntax(),
            sigma=[s.round(12) for s in pop.sigma],
            analysis=spec.to_syntax(),
            n=grid,
            targets=[repr(t) for t in tlist],
            nested=[m.to_syntax() for m in nested_specs],
            replications=replications,
            alpha=alpha,
            seed=[plan.entropy, plan.spawn_key],
            ci=ci,
            ci_draws=ci_draws,
            chunk_size=chunk_size,
            fit_options=fopts,
            data_options=data_opts,
            shares=shares,
        )
        ck = _Checkpoint(checkpoint, fp, task.width)
        done = ck.load()
        on_chunk = ck.save
    dask_client, close = _resolve_client(client)
    try:
        out = map_draws(
            task,
            total,
            seeds=None,
            n_jobs=n_jobs,
            client=dask_client,
            chunk_size=chunk_size,
            progress=progress,
            label="replications",
            completed=done,
            on_chunk=on_chunk,
        )
    finally:
        close()
    vals = out.values
    status = vals[:, 0]
    status = np.where(np.isnan(status), ERROR, status).astype(int)
    frames = []
    for t, tgt in enumerate(tlist):
        col = 2 + len(_PER) * t
        block = pd.DataFrame(vals[:, col : col + len(_PER)], columns=list(_PER))
        block.insert(0, "target", tgt.name)
        block.insert(0, "status", status)
        block.insert(0, "replication", np.tile(np.arange(replications), len(grid)))
        block.insert(0, "n", np.repeat(grid, replications))
        frames.append(block)
    raw = pd.concat(frames, ignore_index=True)
    order = {t.name: i for i, t in enumerate(tlist)}
    raw = raw.assign(_o=raw["target"].map(order)).sort_values(
        ["n", "_o", "replication"], kind="stable"
    )
    raw = raw.drop(columns="_o").reset_index(drop=True)
    failed = int((status != OK).sum())
    if failed:
        counts = {
            STATUS_NAMES[k]: int((status == k).sum()) for k in (1, 2, 3) if (status == k).any()
        }
        warnings.warn(
            f"{failed} of {total} replications failed or were not admissible ({counts}); they "
            "are kept in result.raw and counted in table()['converged'/'admissible']",
            ConvergenceWarning,
            stacklevel=2,
        )
    pops = _population_values(tlist, an, task, pop)
    return PowerResult(
        n=tuple(grid),
        targets=tuple(t.name for t in tlist),
        population_values=tuple(pops),
        replications=replications,
        alpha=alpha,
        ci=ci,
        seed=plan,
        raw=raw,
    )


def _spec_of(model: Any) -> ModelSpec:
    from synergy_stats.structural.syntax import parse_model

    if isinstance(model, ModelSpec):
        return model
    if isinstance(model, str):
        return parse_model(model)
    raise OptionError(
        f"analysis={type(model).__name__} is not accepted; give lavaan syntax or a ModelSpec"
    )
