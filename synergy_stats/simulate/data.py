"""Data from a population model, as lavaan's ``simulateData``.

A population is lavaan syntax whose numbers are the population values (``f =~ 0.7*x1``,
``y ~ 0.2*x``, ``x1 ~ 3*1``) or a fitted :class:`~synergy_stats.structural.results.SEMResult`
whose estimates become the population. :func:`population` turns either into the implied
covariance matrix and mean vector of every group (the RAM algebra of
:mod:`synergy_stats.structural.model`); :func:`simulate_data` draws rows from them, with
options for groups, clusters with a given intraclass correlation, non-normal marginals
(Vale & Maurelli 1983), ordinal discretisation, missing data and long-format panels.

The defaults follow lavaan's ``simulateData``: the metric of each latent variable is its
(residual) variance (``std.lv = TRUE``, no marker loading); an unspecified variance is 1 and
every other unspecified parameter 0; intercepts are 0 unless given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from synergy_stats._random import psd_root
from synergy_stats._typing import SeedLike, check_arguments, check_option, make_rng
from synergy_stats.errors import OptionError, SpecificationError
from synergy_stats.structural.model import ram_layout
from synergy_stats.structural.partable import ParTable, build_partable
from synergy_stats.structural.spec import ModelSpec, Modifier, Statement

if TYPE_CHECKING:
    import pandas as pd

    from synergy_stats.structural.results import SEMResult

__all__ = [
    "Population",
    "analysis_spec",
    "fleishman",
    "likert_thresholds",
    "population",
    "simulate_data",
]

MissingRule = Literal["mcar", "mar", "monotone"]
LikertShape = Literal["symmetric", "equal"]


@dataclass(frozen=True)
class Population:
    """A population: the implied moments of every group and the parameter values.

    Attributes
    ----------
    spec : ModelSpec
        The population model.
    partable : ParTable
        Its parameter table, every row fixed at its population value (``free`` is all 0).
    observed : tuple of str
        Observed variables, in model order (the columns of the data).
    sigma, mu : tuple of numpy.ndarray
        Implied covariance matrix and mean vector of each group.
    """

    spec: ModelSpec
    partable: ParTable
    observed: tuple[str, ...]
    sigma: tuple[np.ndarray, ...]
    mu: tuple[np.ndarray, ...]

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return len(self.sigma)

    def value(self, lhs: str, op: str, rhs: str, group: int = 1) -> float | None:
        """Population value of one relation (None when the model has no such row)."""
        key = _key(lhs, op, rhs)
        pt = self.partable
        for i in range(len(pt)):
            if int(pt.group[i]) == group and _key(pt.lhs[i], pt.op[i], pt.rhs[i]) == key:
                return float(pt.value[i])
        return None

    def label_values(self) -> dict[str, float]:
        """Population value of every labelled parameter (first group where it occurs)."""
        out: dict[str, float] = {}
        pt = self.partable
        for i, lab in enumerate(pt.label):
            if lab and lab not in out:
                out[lab] = float(pt.value[i])
        return out


def _key(lhs: str, op: str, rhs: str) -> tuple[str, str, str]:
    if op == "~~" and rhs < lhs:
        return (rhs, op, lhs)
    return (lhs, op, rhs)


def _as_spec(model: Any) -> ModelSpec:
    from synergy_stats.structural.syntax import parse_model

    if isinstance(model, ModelSpec):
        return model
    if isinstance(model, str):
        return parse_model(model)
    raise OptionError(
        f"model={type(model).__name__} is not accepted; give lavaan syntax (str), a ModelSpec, "
        "a Population or a fitted SEMResult"
    )


def population(model: Any, *, n_groups: int = 1) -> Population:
    """Build the population of a model: syntax with values, a fitted result, or a Population.

    Parameters
    ----------
    model : str, ModelSpec, SEMResult or Population
        lavaan syntax whose fixed numbers are population values, a parsed specification, a
        fitted model (its estimates become the population; its groups are kept), or an
        existing population (returned as is).
    n_groups : int
        Groups of a syntax population (vector values ``c(0.3, 0.5)*x`` give one value per
        group).

    Returns
    -------
    Population

    Raises
    ------
    OptionError
        A model of another type.
    SpecificationError
        The implied covariance matrix of a group is not positive definite.
    """
    from synergy_stats.structural.results import SEMResult

    if isinstance(model, Population):
        return model
    if isinstance(model, SEMResult):
        return _population_of_fit(model)
    spec = _as_spec(model)
    if not spec.statements:
        raise SpecificationError("model has no statements")
    pt = build_partable(
        spec, n_groups=n_groups, meanstructure=True, auto=True, std_lv=True, fixed_x=False
    )
    value = pt.value.copy()
    for i in range(len(pt)):
        if pt.free[i] > 0 and np.isnan(value[i]):
            # lavaan simulateData: an unspecified variance is 1, anything else 0
            value[i] = 1.0 if (pt.op[i] == "~~" and pt.lhs[i] == pt.rhs[i]) else 0.0
    # parameters sharing a label share the value given first
    shared: dict[int, float] = {}
    for i in range(len(pt)):
        f = int(pt.free[i])
        if f > 0:
            if f in shared:
                value[i] = shared[f]
            else:
                shared[f] = float(value[i])
    fixed = replace(pt, free=np.zeros(len(pt), dtype=int), value=value)
    return _finish(spec, fixed)


def _population_of_fit(fit: SEMResult) -> Population:
    pt = fit.partable
    value = pt.value.copy()
    for i in range(len(pt)):
        if pt.free[i] > 0:
            value[i] = float(fit.theta[int(pt.free[i]) - 1])
    sigma, mu = [], []
    for g in range(1, pt.n_groups + 1):
        s = fit.implied_cov(g).to_numpy()
        m = fit.implied_mean(g).to_numpy()
        sigma.append((s + s.T) / 2)
        mu.append(np.asarray(m, dtype=float))
        # fixed-x moments: the sample values the fit conditioned on
        for i in pt.rows(g):
            if pt.exo[i]:
                a = pt.observed.index(pt.lhs[i])
                if pt.op[i] == "~1":
                    value[i] = m[a]
                else:
                    value[i] = s[a, pt.observed.index(pt.rhs[i])]
    fixed = replace(pt, free=np.zeros(len(pt), dtype=int), value=value)
    return Population(fit.spec, fixed, tuple(pt.observed), tuple(sigma), tuple(mu))


def _finish(spec: ModelSpec, pt: ParTable) -> Population:
    p = len(pt.observed)
    sigma, mu = [], []
    for g in range(1, pt.n_groups + 1):
        lay = ram_layout(pt, g)
        n = lay.A0.shape[0]
        try:
            B = np.linalg.inv(np.eye(n) - lay.A0)
        except np.linalg.LinAlgError as exc:
            raise SpecificationError(
                "the population regressions are not recursive-solvable (I - B is singular)"
            ) from exc
        full = B @ lay.S0 @ B.T
        s = full[:p, :p]
        s = (s + s.T) / 2
        if np.linalg.eigvalsh(s).min() <= 0:
            raise SpecificationError(
                f"the population covariance matrix of group {g} is not positive definite; "
                "check the variances and covariances of the population model"
            )
        sigma.append(s)
        mu.append((B @ lay.m0)[:p])
    return Population(spec, pt, tuple(pt.observed), tuple(sigma), tuple(mu))


def analysis_spec(model: Any) -> ModelSpec:
    """The population model with every value free: the default analysis model of a study.

    Numbers become start values; loadings are all free (no marker); the (residual) variance
    of every latent variable stays fixed at its population value, which sets the metric
    (as ``std.lv`` does when it is 1), so estimates are on the population's scale.
    Labels (equality constraints) and ``:=`` definitions are kept.
    """
    if isinstance(model, Population):
        pop = model
    else:
        pop = population(model)
    spec = pop.spec
    latent = set(spec.latent_variables)
    out: list[Statement] = []
    seen_var: set[str] = set()
    for s in spec.statements:
        if s.op == "~~" and s.lhs == s.rhs and s.lhs in latent:
            seen_var.add(s.lhs)
            value = pop.value(s.lhs, "~~", s.lhs)
            mod = Modifier(fixed=(1.0 if value is None else value,), labels=())
            out.append(replace(s, modifier=mod))
            continue
        starts = s.modifier.fixed if s.modifier.fixed else s.modifier.starts
        mod = Modifier(
            fixed=(None,) if s.op == "=~" else (),
            labels=s.modifier.labels,
            starts=tuple(starts),
        )
        out.append(replace(s, modifier=mod))
    for f in spec.latent_variables:
        if f not in seen_var:
            value = pop.value(f, "~~", f)
            out.append(Statement(f, "~~", f, Modifier(fixed=(1.0 if value is None else value,))))
    return ModelSpec(tuple(out), spec.defined, spec.constraints)


# ---------------------------------------------------------------------- non-normality
def fleishman(skewness: float, kurtosis: float) -> tuple[float, float, float, float]:
    """Fleishman (1978) power-method coefficients ``a, b, c, d`` (``a = -c``).

    ``Y = a + b Z + c Z^2 + d Z^3`` with standard normal ``Z`` has mean 0, variance 1, the
    given skewness and excess kurtosis.

    Raises
    ------
    OptionError
        No real solution (kurtosis too small for the skewness: the power method needs
        roughly ``kurtosis >= 1.5 skewness^2 - 1.2``).
    """
    from scipy.optimize import fsolve

    s, k = float(skewness), float(kurtosis)
    if s == 0 and k == 0:
        return 0.0, 1.0, 0.0, 0.0

    def eqs(x: np.ndarray) -> list[float]:
        b, c, d = x
        return [
            b * b + 6 * b * d + 2 * c * c + 15 * d * d - 1,
            2 * c * (b * b + 24 * b * d + 105 * d * d + 2) - s,
            24
            * (
                b * d
                + c * c * (1 + b * b + 28 * b * d)
                + d * d * (12 + 48 * b * d + 141 * c * c + 225 * d * d)
            )
            - k,
        ]

    best = None
    for start in ((1.0, 0.0, 0.0), (0.9, 0.1, 0.05), (1.1, -0.1, -0.05), (0.8, 0.2, 0.1)):
        sol, _info, ier, _msg = fsolve(eqs, np.array(start), full_output=True, xtol=1e-12)
        err = float(np.max(np.abs(eqs(sol))))
        if ier == 1 and err < 1e-8 and sol[0] > 0:
            best = sol
            break
    if best is None:
        raise OptionError(
            f"skewness={s!r} with kurtosis={k!r} has no Fleishman power-method solution; "
            "use a larger (excess) kurtosis"
        )
    b, c, d = (float(v) for v in best)
    return -c, b, c, d


def _intermediate_correlation(r: float, c1: tuple, c2: tuple) -> float:
    """Vale & Maurelli (1983): the normal correlation that becomes ``r`` after the transforms."""
    from scipy.optimize import brentq

    _, b1, k1, d1 = c1
    _, b2, k2, d2 = c2
    lin = b1 * b2 + 3 * b1 * d2 + 3 * d1 * b2 + 9 * d1 * d2
    quad = 2 * k1 * k2
    cub = 6 * d1 * d2

    def f(rho: float) -> float:
        return rho * lin + rho * rho * quad + rho**3 * cub - r

    if f(-1.0) > 0 or f(1.0) < 0:
        raise OptionError(
            f"a correlation of {r:.3f} cannot be reached with these skewness/kurtosis values"
        )
    return float(brentq(f, -1.0, 1.0, xtol=1e-12))


@dataclass(frozen=True)
class _NonNormal:
    coef: tuple[tuple[float, float, float, float], ...]
    root: tuple[np.ndarray, ...]  # per group: square root of the intermediate correlation


def _nonnormal_plan(pop: Population, skewness: Any, kurtosis: Any) -> _NonNormal | None:
    if skewness is None and kurtosis is None:
        return None
    p = len(pop.observed)
    sk = _per_variable(skewness, pop.observed, "skewness")
    ku = _per_variable(kurtosis, pop.observed, "kurtosis")
    coef = tuple(fleishman(sk[j], ku[j]) for j in range(p))
    roots = []
    for s in pop.sigma:
        sd = np.sqrt(np.diag(s))
        r = s / np.outer(sd, sd)
        inter = np.eye(p)
        for i in range(p):
            for j in range(i + 1, p):
                inter[i, j] = inter[j, i] = _intermediate_correlation(r[i, j], coef[i], coef[j])
        vals = np.linalg.eigvalsh(inter)
        if vals.min() <= 0:
            raise OptionError(
                "the intermediate correlation matrix of the Vale-Maurelli method is not "
                "positive definite; use milder skewness/kurtosis"
            )
        roots.append(psd_root(inter))
    return _NonNormal(coef, tuple(roots))


def _per_variable(value: Any, names: Sequence[str], what: str) -> np.ndarray:
    p = len(names)
    if value is None:
        return np.zeros(p)
    if isinstance(value, Mapping):
        bad = [k for k in value if k not in names]
        if bad:
            raise OptionError(
                f"{what} names unknown variable(s) {bad}; variables are {list(names)}"
            )
        try:
            return np.array([float(value.get(v, 0.0)) for v in names])
        except (TypeError, ValueError, OverflowError):
            raise OptionError(
                f"{what}={value!r} is not accepted; its values must be numbers"
            ) from None
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return np.full(p, float(value))
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise OptionError(
            f"{what}={value!r} is not accepted; give one number, one per observed variable "
            f"({p}), or a mapping variable -> number"
        ) from None
    if arr.shape != (p,):
        raise OptionError(
            f"{what} has {arr.size} values; give one number, one per observed variable ({p}), "
            "or a mapping"
        )
    return arr


# ---------------------------------------------------------------------- ordinal
def likert_thresholds(
    categories: int, proportions: LikertShape | Sequence[float] = "symmetric"
) -> np.ndarray:
    """Thresholds on the standard normal scale that give the wanted marginal proportions.

    Parameters
    ----------
    categories : int
        Number of response categories (2 or more).
    proportions : {"symmetric", "equal"} or sequence of float
        ``"symmetric"``: thresholds equally spaced at ``(j - k/2) * 4/k``, ``j = 1..k-1``
        (for k = 5: -1.2, -0.4, 0.4, 1.2, giving about 12%, 23%, 31%, 23%, 12%);
        ``"equal"``: every category ``1/k``; or the k proportions themselves (summing to 1).

    Returns
    -------
    numpy.ndarray
        ``categories - 1`` increasing thresholds.
    """
    from scipy.stats import norm

    if isinstance(categories, bool) or not isinstance(categories, int) or categories < 2:
        raise OptionError(f"likert={categories!r} must be an integer of at least 2")
    k = categories
    if isinstance(proportions, str):
        check_option("proportions", proportions, LikertShape)
        if proportions == "symmetric":
            return (np.arange(1, k) - k / 2) * 4.0 / k
        return np.asarray(norm.ppf(np.arange(1, k) / k))
    p = np.asarray(proportions, dtype=float)
    if p.shape != (k,) or np.any(p <= 0) or abs(p.sum() - 1) > 1e-8:
        raise OptionError(
            f"proportions={list(proportions)!r} must be {k} positive numbers summing to 1"
        )
    return np.asarray(norm.ppf(np.cumsum(p)[:-1]))


def _threshold_plan(
    observed: Sequence[str],
    thresholds: Any,
    likert: int | None,
    proportions: Any,
    ordered: Sequence[str] | None,
) -> dict[int, np.ndarray]:
    plan: dict[int, np.ndarray] = {}
    names = list(observed)
    if thresholds is not None and likert is not None:
        raise OptionError("give thresholds= or likert=, not both")
    if thresholds is None and likert is None:
        if ordered is not None:
            raise OptionError("ordered= needs thresholds= or likert=")
        return plan
    targets = names if ordered is None else list(ordered)
    bad = [v for v in targets if v not in names]
    if bad:
        raise OptionError(f"ordered names unknown variable(s) {bad}; variables are {names}")
    if likert is not None:
        tau = likert_thresholds(likert, proportions)
        return {names.index(v): tau for v in targets}
    if isinstance(thresholds, Mapping):
        for v, t in thresholds.items():
            if v not in names:
                raise OptionError(f"thresholds names unknown variable {v!r}; variables are {names}")
            plan[names.index(v)] = _check_tau(t, v)
        return plan
    tau = _check_tau(thresholds, "every variable")
    return {names.index(v): tau for v in targets}


def _check_tau(t: Any, what: str) -> np.ndarray:
    try:
        arr = np.asarray(t, dtype=float).ravel()
    except (TypeError, ValueError, OverflowError):
        raise OptionError(f"thresholds for {what} must be increasing numbers, got {t!r}") from None
    if arr.size < 1 or np.any(np.diff(arr) <= 0) or not np.all(np.isfinite(arr)):
        raise OptionError(
            f"thresholds for {what} must be increasing finite numbers, got {list(arr)!r}"
        )
    return arr


# ---------------------------------------------------------------------- the draw
@dataclass(frozen=True)
class DrawPlan:
    """Everything one data set needs, fixed once per study (picklable)."""

    pop: Population
    sizes: tuple[int, ...]
    clusters: tuple[int, ...] | None
    icc: np.ndarray | None
    nonnormal: _NonNormal | None
    tau: Mapping[int, np.ndarray]
    missing: Mapping[str, Any] | None
    roots: tuple[np.ndarray, ...]


def _sqrt_psd(s: np.ndarray) -> np.ndarray:
    return psd_root(s)


def make_plan(
    pop: Population,
    n: int | Sequence[int],
    *,
    clusters: int | None = None,
    icc: float | Sequence[float] | Mapping[str, float] | None = None,
    skewness: Any = None,
    kurtosis: Any = None,
    thresholds: Any = None,
    likert: int | None = None,
    proportions: LikertShape | Sequence[float] = "symmetric",
    ordered: Sequence[str] | None = None,
    missing: float | Mapping[str, Any] | None = None,
) -> DrawPlan:
    """Check the options of :func:`simulate_data` once (used by every power replication)."""
    sizes = _sizes(n, pop.n_groups)
    cl: tuple[int, ...] | None = None
    icc_arr = None
    if clusters is not None or icc is not None:
        if clusters is None or icc is None:
            raise OptionError("clusters= and icc= go together: give both or neither")
        if isinstance(clusters, bool) or not isinstance(clusters, int) or clusters < 2:
            raise OptionError(f"clusters={clusters!r} must be an integer of at least 2")
        if any(clusters > s for s in sizes):
            raise OptionError(f"clusters={clusters} exceeds a group size {list(sizes)}")
        cl = tuple(clusters for _ in sizes)
        icc_arr = _per_variable(icc, pop.observed, "icc")
        if np.any(icc_arr < 0) or np.any(icc_arr >= 1):
            raise OptionError(f"icc={icc!r} must lie in [0, 1)")
    nonnormal = _nonnormal_plan(pop, skewness, kurtosis)
    tau = _threshold_plan(pop.observed, thresholds, likert, proportions, ordered)
    miss = _missing_plan(missing, pop.observed)
    roots = tuple(_sqrt_psd(s) for s in pop.sigma)
    return DrawPlan(pop, sizes, cl, icc_arr, nonnormal, tau, miss, roots)


def _sizes(n: int | Sequence[int], n_groups: int) -> tuple[int, ...]:
    if isinstance(n, bool):
        raise OptionError(f"n={n!r} must be an integer (or one per group)")
    if isinstance(n, int | np.integer):
        if n_groups > 1:
            raise OptionError(
                f"the population has {n_groups} groups; give group_sizes= (one size per group)"
            )
        sizes: tuple[int, ...] = (int(n),)
    else:
        sizes = tuple(int(v) for v in n)
        if len(sizes) != n_groups:
            raise OptionError(
                f"group_sizes={list(sizes)} has {len(sizes)} entries for {n_groups} group(s)"
            )
    if any(s < 2 for s in sizes):
        raise OptionError(f"n={n!r}: every group needs at least 2 rows")
    return sizes


def _missing_plan(missing: Any, observed: Sequence[str]) -> dict[str, Any] | None:
    if missing is None:
        return None
    if isinstance(missing, int | float) and not isinstance(missing, bool):
        missing = {"rate": float(missing)}
    if not isinstance(missing, Mapping):
        raise OptionError(
            f"missing={missing!r} is not accepted; give a rate (MCAR) or a mapping "
            "{'rate': .2, 'rule': 'mar', 'on': 'x1'}"
        )
    unknown = set(missing) - {"rate", "rule", "on", "variables", "strength", "blocks"}
    if unknown:
        raise OptionError(
            f"missing has unknown key(s) {sorted(unknown)}; use rate, rule, on, variables, strength"
        )
    rate = float(missing.get("rate", 0.1))
    if not 0 <= rate < 1:
        raise OptionError(f"missing rate={rate!r} must lie in [0, 1)")
    rule = check_option("missing rule", missing.get("rule", "mcar"), MissingRule)
    names = list(observed)
    on = missing.get("on")
    if rule == "monotone":
        blocks = missing.get("blocks")
        if not blocks or isinstance(blocks, str):
            raise OptionError(
                "missing rule 'monotone' needs 'blocks': the variables of each later wave, in "
                "order ([[wave-2 columns], [wave-3 columns], ...])"
            )
        idx = []
        for block in blocks:
            bad = [v for v in block if v not in names]
            if bad:
                raise OptionError(f"missing blocks name unknown variable(s) {bad}")
            idx.append(np.array([names.index(v) for v in block], dtype=int))
        return {"rate": rate, "rule": rule, "blocks": idx}
    if rule == "mar":
        if on not in names:
            raise OptionError(
                f"missing rule 'mar' needs 'on': an observed variable (always observed) that "
                f"drives the missingness; got {on!r}, variables are {names}"
            )
    variables = missing.get("variables")
    if variables is None:
        variables = [v for v in names if v != on]
    bad = [v for v in variables if v not in names or v == on]
    if bad:
        raise OptionError(
            f"missing variables {bad} are unknown or the MAR driver; variables are {names}"
        )
    return {
        "rate": rate,
        "rule": rule,
        "on": None if on is None else names.index(on),
        "variables": np.array([names.index(v) for v in variables], dtype=int),
        "strength": float(missing.get("strength", 1.0)),
    }


def draw(plan: DrawPlan, rng: np.random.Generator) -> list[np.ndarray]:
    """One data set: a float array per group (rows x observed), NaN where missing."""
    pop = plan.pop
    out = []
    for g, size in enumerate(plan.sizes):
        p = len(pop.observed)
        sd = np.sqrt(np.diag(pop.sigma[g]))
        if plan.nonnormal is not None:
            z = rng.standard_normal((size, p)) @ plan.nonnormal.root[g].T
            y = np.empty_like(z)
            for j, (a, b, c, d) in enumerate(plan.nonnormal.coef):
                zj = z[:, j]
                y[:, j] = a + zj * (b + zj * (c + zj * d))
            x = y * sd
        else:
            x = rng.standard_normal((size, p)) @ plan.roots[g].T
        if plan.clusters is not None and plan.icc is not None:
            k = plan.clusters[g]
            member = np.arange(size) % k
            u = rng.standard_normal((k, p)) @ plan.roots[g].T
            x = np.sqrt(plan.icc) * u[member] + np.sqrt(1 - plan.icc) * x
        x = x + pop.mu[g]
        if plan.tau:
            for j, tau in plan.tau.items():
                std = (x[:, j] - pop.mu[g][j]) / sd[j]
                x[:, j] = 1.0 + np.searchsorted(tau, std, side="right")
        if plan.missing is not None and plan.missing["rate"] > 0:
            _apply_missing(x, plan.missing, rng)
        out.append(x)
    return out


def _apply_missing(x: np.ndarray, miss: Mapping[str, Any], rng: np.random.Generator) -> None:
    from scipy.optimize import brentq
    from scipy.special import expit

    rate = miss["rate"]
    n = x.shape[0]
    if miss["rule"] == "monotone":
        # a row leaves before each later block with probability `rate` and never returns
        stay = np.ones(n, dtype=bool)
        for block in miss["blocks"]:
            stay &= rng.random(n) >= rate
            sub = x[:, block]
            sub[~stay] = np.nan
            x[:, block] = sub
        return
    cols = miss["variables"]
    if miss["rule"] == "mcar":
        mask = rng.random((n, cols.size)) < rate
    else:
        z = x[:, miss["on"]]
        z = (z - z.mean()) / (z.std() or 1.0)
        s = miss["strength"]
        a = brentq(lambda a: float(expit(a + s * z).mean()) - rate, -50, 50)
        prob = expit(a + s * z)
        mask = rng.random((n, cols.size)) < prob[:, None]
    sub = x[:, cols]
    sub[mask] = np.nan
    x[:, cols] = sub


def simulate_data(
    model: Any,
    n: int | None = None,
    *,
    seed: SeedLike,
    group_sizes: Sequence[int] | None = None,
    group_labels: Sequence[Any] | None = None,
    clusters: int | None = None,
    icc: float | Sequence[float] | Mapping[str, float] | None = None,
    skewness: float | Sequence[float] | Mapping[str, float] | None = None,
    kurtosis: float | Sequence[float] | Mapping[str, float] | None = None,
    thresholds: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    likert: int | None = None,
    proportions: LikertShape | Sequence[float] = "symmetric",
    ordered: Sequence[str] | None = None,
    missing: float | Mapping[str, Any] | None = None,
    long: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Simulate data from a population model, as lavaan's ``simulateData``.

    Parameters
    ----------
    model : str, ModelSpec, SEMResult or Population
        lavaan syntax whose numbers are population values (unspecified variances 1, every
        other unspecified parameter 0, latent metric by variance as ``std.lv = TRUE``), or a
        fitted model whose estimates become the population.
    n : int, optional
        Rows of a single-group population.
    seed : int, numpy Generator or None
        Random seed (required keyword: pass None explicitly for fresh entropy).
    group_sizes : sequence of int, optional
        Rows per group of a multiple-group population (vector values ``c(.3, .5)*x`` in the
        syntax). Adds a ``group`` column.
    group_labels : sequence, optional
        Values of the ``group`` column (default ``1..G``).
    clusters, icc : int and float (or one per variable)
        Rows spread evenly over ``clusters`` clusters per group (a ``cluster`` column) with
        this intraclass correlation of every variable: ``x = mu + sqrt(icc) u_c +
        sqrt(1 - icc) e_i``, both parts with the population covariance, so the total
        covariance stays the population's.
    skewness, kurtosis : float, sequence or mapping
        Marginal skewness and excess kurtosis of the observed variables (Vale & Maurelli
        1983, as lavaan's ``skewness``/``kurtosis``).
    thresholds : sequence or mapping of sequences
        Discretise into ordinal codes ``1..len(t)+1`` at these thresholds of the
        standardised variable.
    likert : int, optional
        Discretise into ``likert`` categories with the marginal ``proportions``.
    proportions : {"symmetric", "equal"} or sequence of float
        See :func:`likert_thresholds`.
    ordered : sequence of str, optional
        The variables to discretise (default: all).
    missing : float or mapping, optional
        A rate (MCAR), or ``{"rate": .2, "rule": "mcar" | "mar", "on": "x1",
        "variables": [...], "strength": 1.0}``: under MAR the probability that a row's
        values are missing is ``logistic(a + strength * z_on)`` with ``a`` set so that the
        average is ``rate``; the driver ``on`` stays observed. ``{"rule": "monotone",
        "rate": .1, "blocks": [[wave-2 columns], [wave-3 columns]]}`` is panel attrition in
        wide data: before each block a row leaves with probability ``rate``, for good.
    long : mapping, optional
        Return a long-format panel for the panel builders: ``{"variables": [stems],
        "waves": T, "sep": "_w", "attrition": .1}``; the columns ``<stem><sep><t>`` become
        rows ``id, wave, *stems``; with ``attrition`` a person leaves before each later wave
        with that probability (monotone, completely at random) and the waves missed are
        absent.

    Returns
    -------
    pandas.DataFrame
        One column per observed variable (model order), plus ``group``/``cluster`` when
        used; or the long panel.

    Raises
    ------
    OptionError
        Bad sizes or options.
    SpecificationError
        A population covariance matrix that is not positive definite.

    Examples
    --------
    Mirrors lavaan's ``simulateData("f =~ .7*x1 + .7*x2 + .7*x3", sample.nobs = 500)``:

    >>> import synergy_stats as ss
    >>> d = ss.simulate_data("f =~ .7*x1 + .7*x2 + .7*x3", 500, seed=1)
    >>> d.shape
    (500, 3)
    """
    check_arguments(simulate_data, locals())
    import pandas as pd

    n_groups = 1 if group_sizes is None else len(group_sizes)
    if group_sizes is not None and n is not None:
        raise OptionError("give n (one group) or group_sizes (several), not both")
    if group_sizes is None and n is None:
        raise OptionError("n is required (or group_sizes= for several groups)")
    pop = population(model, n_groups=n_groups)
    if pop.n_groups != n_groups and group_sizes is None:
        raise OptionError(
            f"the population has {pop.n_groups} groups; give group_sizes= with one size each"
        )
    sizes: Any = n if group_sizes is None else list(group_sizes)
    plan = make_plan(
        pop,
        sizes,
        clusters=clusters,
        icc=icc,
        skewness=skewness,
        kurtosis=kurtosis,
        thresholds=thresholds,
        likert=likert,
        proportions=proportions,
        ordered=ordered,
        missing=missing,
    )
    rng = make_rng(seed)
    arrays = draw(plan, rng)
    frames = []
    labels = list(group_labels) if group_labels is not None else list(range(1, n_groups + 1))
    if len(labels) != n_groups:
        raise OptionError(f"group_labels has {len(labels)} entries for {n_groups} groups")
    offset = 0
    for g, x in enumerate(arrays):
        frame = pd.DataFrame(x, columns=list(pop.observed))
        for j in plan.tau:
            col = pop.observed[j]
            if not frame[col].isna().any():
                frame[col] = frame[col].astype(int)
        if group_sizes is not None:
            frame["group"] = labels[g]
        if plan.clusters is not None:
            frame["cluster"] = offset + np.arange(x.shape[0]) % plan.clusters[g] + 1
            offset += plan.clusters[g]
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if long is not None:
        out = _to_long(out, long, rng)
    return out


def _to_long(wide: pd.DataFrame, long: Mapping[str, Any], rng: np.random.Generator) -> Any:
    from synergy_stats.panel.reshape import wave_column, wide_to_long

    unknown = set(long) - {"variables", "waves", "sep", "attrition", "id", "wave"}
    if unknown:
        raise OptionError(
            f"long has unknown key(s) {sorted(unknown)}; use variables, waves, sep, attrition, "
            "id, wave"
        )
    if "variables" not in long or "waves" not in long:
        raise OptionError("long needs 'variables' (the stems) and 'waves' (their number)")
    variables = list(long["variables"])
    waves = int(long["waves"])
    sep = str(long.get("sep", "_w"))
    attrition = float(long.get("attrition", 0.0))
    if not 0 <= attrition < 1:
        raise OptionError(f"attrition={attrition!r} must lie in [0, 1)")
    id_col = str(long.get("id", "id"))
    wave_col = str(long.get("wave", "wave"))
    wide = wide.copy()
    wide.insert(0, id_col, np.arange(1, len(wide) + 1))
    if attrition > 0:
        stay = np.ones(len(wide), dtype=bool)
        for t in range(2, waves + 1):
            stay &= rng.random(len(wide)) >= attrition
            cols = [wave_column(v, t, sep) for v in variables]
            missing_cols = [c for c in cols if c not in wide.columns]
            if missing_cols:
                raise OptionError(f"long: columns {missing_cols} are not in the model")
            wide.loc[~stay, cols] = np.nan
    keep = [c for c in wide.columns if c in ("group", "cluster")]
    out = wide_to_long(wide, id=id_col, variables=variables, waves=waves, wave=wave_col, sep=sep)
    if keep:
        out = out.merge(wide[[id_col, *keep]], on=id_col, how="left")
    return out
