"""Shared plumbing for the measurement functions: specifications, data, missing values.

Every public function of :mod:`synergy_stats.measurement` turns its ``spec`` argument into a
:class:`MeasurementSpec` and its ``data`` into a :class:`PreparedData` here, so the checks
(unknown or non-numeric columns, one-item constructs, items in two constructs, zero-variance
items, fewer rows than items, singular correlation matrices) and the treatment of missing
values are the same everywhere.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias, runtime_checkable

import numpy as np

from synergy_stats._typing import check_option
from synergy_stats.errors import (
    DataValidationError,
    DroppedDataWarning,
    EstimationError,
    InstrumentWarning,
    OptionError,
    SpecificationError,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "ConstructKind",
    "InstrumentLike",
    "MeasurementSpec",
    "Missing",
    "PreparedData",
    "SpecLike",
    "check_not_singular",
    "covariance",
    "em_moments",
    "prepare_data",
    "to_spec",
]

Missing: TypeAlias = Literal["listwise", "pairwise", "fiml"]
ConstructKind: TypeAlias = Literal["factor", "second_order", "correlated"]


@runtime_checkable
class InstrumentLike(Protocol):
    """What the measurement functions use from a :class:`synergy_stats.Instrument`."""

    @property
    def constructs(self) -> Mapping[str, Any]:
        """Constructs by id, in file order; each has ``kind`` and ``components``."""

    def items_of(self, construct: str) -> list[str]:
        """Item ids of a construct (expanding higher-order constructs)."""


SpecLike: TypeAlias = "InstrumentLike | Mapping[str, Sequence[str]]"


@dataclass(frozen=True)
class MeasurementSpec:
    """A normalised measurement specification.

    Attributes
    ----------
    factors : dict of str to tuple of str
        First-order factors and their items, in order.
    higher : dict of str to tuple of str
        Second-order constructs and the constructs they are measured by.
    correlated : dict of str to tuple of str
        Blocks of correlated first-order factors without a higher-order factor.
    order : tuple of str
        Every construct, in reporting order.
    reverse : dict of str to tuple of float
        Reverse-keyed items (from an instrument) and their scale's ``(minimum, maximum)``.
    """

    factors: dict[str, tuple[str, ...]]
    higher: dict[str, tuple[str, ...]] = field(default_factory=dict)
    correlated: dict[str, tuple[str, ...]] = field(default_factory=dict)
    order: tuple[str, ...] = ()
    reverse: dict[str, tuple[float, float]] = field(default_factory=dict)

    def kind(self, construct: str) -> ConstructKind:
        """Return ``"factor"``, ``"second_order"`` or ``"correlated"``."""
        if construct in self.factors:
            return "factor"
        if construct in self.higher:
            return "second_order"
        if construct in self.correlated:
            return "correlated"
        raise SpecificationError(
            f"construct={construct!r} is not in the specification; use one of {list(self.order)}"
        )

    def components(self, construct: str) -> tuple[str, ...]:
        """Component constructs of a higher-order or correlated construct (empty for factors)."""
        return self.higher.get(construct, self.correlated.get(construct, ()))

    def items_of(self, construct: str) -> list[str]:
        """Items of a construct, expanding higher-order and correlated constructs."""
        if construct in self.factors:
            return list(self.factors[construct])
        out: list[str] = []
        for comp in self.components(construct):
            for item in self.items_of(comp):
                if item not in out:
                    out.append(item)
        if not out and construct not in self.order:
            self.kind(construct)  # raises with the list of constructs
        return out

    def first_order_of(self, construct: str) -> list[str]:
        """First-order factors under a construct (the factor itself for a factor)."""
        if construct in self.factors:
            return [construct]
        out: list[str] = []
        for comp in self.components(construct):
            out.extend(f for f in self.first_order_of(comp) if f not in out)
        return out

    @property
    def items(self) -> list[str]:
        """All items of the first-order factors, in order."""
        return [item for items in self.factors.values() for item in items]

    def factor_of(self, item: str) -> str:
        """Return the first-order factor an item belongs to."""
        for name, items in self.factors.items():
            if item in items:
                return name
        raise SpecificationError(f"item={item!r} belongs to no factor of the specification")


def _check_items(construct: str, items: Sequence[str]) -> tuple[str, ...]:
    if isinstance(items, str) or not isinstance(items, Sequence):
        raise SpecificationError(
            f"spec[{construct!r}]={items!r} is not accepted; use a list of item names"
        )
    items_t = tuple(items)
    for item in items_t:
        if not isinstance(item, str):
            raise SpecificationError(
                f"spec[{construct!r}] contains {item!r}; item names must be strings"
            )
    dup = sorted({i for i in items_t if items_t.count(i) > 1})
    if dup:
        raise SpecificationError(f"spec[{construct!r}] lists item(s) {dup} more than once")
    if len(items_t) < 2:
        raise SpecificationError(
            f"construct {construct!r} has {len(items_t)} item(s) {list(items_t)}; reliability "
            "and validity statistics need at least 2 items per construct (3 or more for a CFA "
            "factor that stands alone)"
        )
    return items_t


def _check_unique_membership(factors: Mapping[str, tuple[str, ...]]) -> None:
    seen: dict[str, str] = {}
    for name, items in factors.items():
        for item in items:
            if item in seen:
                raise SpecificationError(
                    f"item {item!r} is listed under two constructs ({seen[item]!r} and "
                    f"{name!r}); each item may measure one first-order construct only"
                )
            seen[item] = name


def to_spec(spec: Any) -> MeasurementSpec:
    """Normalise an Instrument or a mapping ``{construct: [items]}`` into a MeasurementSpec.

    In a mapping, a construct whose list names only other constructs of the mapping is a
    second-order construct over them.

    Raises
    ------
    SpecificationError
        For a construct with fewer than two items, an item listed under two constructs, or a
        spec of the wrong type.
    """
    if isinstance(spec, MeasurementSpec):
        return spec
    if isinstance(spec, InstrumentLike) and not isinstance(spec, Mapping):
        return _from_instrument(spec)
    if not isinstance(spec, Mapping):
        raise SpecificationError(
            f"spec={type(spec).__name__} is not accepted; use an Instrument or a mapping "
            "{construct: [item, ...]}"
        )
    if len(spec) == 0:
        raise SpecificationError("spec is empty; give at least one construct with its items")
    names = [str(k) for k in spec]
    factors: dict[str, tuple[str, ...]] = {}
    higher: dict[str, tuple[str, ...]] = {}
    for name in names:
        members = _check_items(name, spec[name])
        in_spec = [m in spec for m in members]
        if all(in_spec):
            if name in members:
                raise SpecificationError(f"construct {name!r} lists itself as a component")
            higher[name] = members
        elif any(in_spec):
            raise SpecificationError(
                f"spec[{name!r}] mixes construct names {[m for m in members if m in spec]} "
                "with item names; list either items or constructs"
            )
        else:
            factors[name] = members
    if not factors:
        raise SpecificationError("spec has no construct measured by items")
    _check_unique_membership(factors)
    return MeasurementSpec(factors=factors, higher=higher, order=tuple(names))


def _from_instrument(instrument: InstrumentLike) -> MeasurementSpec:
    factors: dict[str, tuple[str, ...]] = {}
    higher: dict[str, tuple[str, ...]] = {}
    correlated: dict[str, tuple[str, ...]] = {}
    for cid, construct in instrument.constructs.items():
        kind = getattr(construct, "kind", "factor")
        components = tuple(getattr(construct, "components", ()) or ())
        if kind == "factor":
            factors[cid] = _check_items(cid, instrument.items_of(cid))
        elif kind == "second_order":
            higher[cid] = components
        elif kind == "correlated":
            correlated[cid] = components
        else:
            raise SpecificationError(f"construct {cid!r} has an unknown kind {kind!r}")
    if not factors:
        raise SpecificationError("the instrument has no first-order construct with items")
    _check_unique_membership(factors)
    for cid, comps in {**higher, **correlated}.items():
        if len(comps) < 2:
            raise SpecificationError(
                f"construct {cid!r} has {len(comps)} component(s); a higher-order or "
                "correlated construct needs at least 2"
            )
        unknown = [c for c in comps if c not in instrument.constructs]
        if unknown:
            raise SpecificationError(f"construct {cid!r} names unknown components {unknown}")
    reverse: dict[str, tuple[float, float]] = {}
    scales = getattr(instrument, "scales", {})
    for item in getattr(instrument, "items", ()):
        if getattr(item, "reverse", False) and item.scale in scales:
            scale = scales[item.scale]
            reverse[item.id] = (float(scale.minimum), float(scale.maximum))
    return MeasurementSpec(
        factors=factors,
        higher=higher,
        correlated=correlated,
        order=tuple(instrument.constructs),
        reverse=reverse,
    )


@dataclass(frozen=True)
class PreparedData:
    """Numeric item data after the missing-data rule was applied.

    Attributes
    ----------
    values : numpy.ndarray
        ``(n, p)`` float array (NaN for missing values unless ``missing="listwise"``).
    columns : list of str
        Item names, in the order of the columns of ``values``.
    missing : str
        The rule used: ``"listwise"``, ``"pairwise"`` or ``"fiml"``.
    n_input : int
        Rows in the caller's data.
    n : int
        Rows used (after listwise deletion, or after dropping rows with no observed item).
    recoded : tuple of str
        Reverse-keyed items that were recoded.
    """

    values: np.ndarray
    columns: list[str]
    missing: str
    n_input: int
    n: int
    recoded: tuple[str, ...] = ()

    def frame(self) -> pd.DataFrame:
        """Return the values as a new DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.values.copy(), columns=list(self.columns))

    def index(self, items: Sequence[str]) -> list[int]:
        """Column positions of ``items``."""
        pos = {c: i for i, c in enumerate(self.columns)}
        return [pos[i] for i in items]

    def attrs(self) -> dict[str, Any]:
        """Provenance recorded in ``DataFrame.attrs`` of results."""
        return {
            "missing": self.missing,
            "n": self.n,
            "n_input": self.n_input,
            "recoded": list(self.recoded),
        }


def prepare_data(
    data: Any,
    items: Sequence[str],
    *,
    missing: str,
    accepted: Any = Missing,
    name: str = "data",
    stacklevel: int = 3,
    reverse: Mapping[str, tuple[float, float]] | None = None,
) -> PreparedData:
    """Select ``items`` from ``data``, check them and apply the missing-data rule.

    ``data`` may be a DataFrame or a :class:`synergy_stats.intake.SurveyData` (its
    ``.data`` is used). Items in ``reverse`` are recoded ``(minimum + maximum) - x``.

    Raises
    ------
    DataValidationError
        If ``data`` is not a DataFrame, items are absent or non-numeric, an item has no
        variance, or fewer rows than items remain.
    OptionError
        If ``missing`` is not accepted.
    """
    import pandas as pd

    check_option("missing", missing, accepted)
    inner = getattr(data, "data", None)
    if not isinstance(data, pd.DataFrame) and isinstance(inner, pd.DataFrame):
        data = inner
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"{name}={type(data).__name__} is not accepted; use a pandas DataFrame with one "
            "column per item"
        )
    absent = [i for i in items if i not in data.columns]
    if absent:
        raise DataValidationError(
            f"{name} has no column(s) {absent}; the columns are {list(map(str, data.columns))}"
        )
    non_numeric = [
        i
        for i in items
        if not (pd.api.types.is_numeric_dtype(data[i]) and not pd.api.types.is_bool_dtype(data[i]))
    ]
    if non_numeric:
        raise DataValidationError(
            f"{name} column(s) {non_numeric} are not numeric; recode responses to numbers "
            "first (synergy_stats.score does this for an instrument)"
        )
    values = data.loc[:, list(items)].to_numpy(dtype=float, na_value=np.nan, copy=True)
    n_input = values.shape[0]
    values[~np.isfinite(values)] = np.nan
    recoded: list[str] = []
    for j, item in enumerate(items):
        if reverse and item in reverse:
            low, high = reverse[item]
            values[:, j] = (low + high) - values[:, j]
            recoded.append(item)
    isna = np.isnan(values)
    if missing == "listwise":
        keep = ~isna.any(axis=1)
        why = "with a missing value on at least one item (missing='listwise')"
    else:
        keep = ~isna.all(axis=1)
        why = "with no observed item"
    dropped = int(n_input - keep.sum())
    if dropped:
        warnings.warn(
            f"{dropped} of {n_input} rows were left out, rows {why}; {int(keep.sum())} used",
            DroppedDataWarning,
            stacklevel=stacklevel,
        )
        values = values[keep]
    n = values.shape[0]
    if n < len(items):
        raise DataValidationError(
            f"{name} has {n} usable rows but {len(items)} items; the statistics need more rows "
            "than items"
        )
    with np.errstate(invalid="ignore"):
        sd = np.nanstd(values, axis=0, ddof=1) if n > 1 else np.zeros(len(items))
    flat = [items[j] for j in range(len(items)) if not np.isfinite(sd[j]) or sd[j] <= 1e-12]
    if flat:
        raise DataValidationError(
            f"item(s) {flat} have zero variance (every answer the same) in the rows used; "
            "drop them from the specification"
        )
    return PreparedData(
        values=values,
        columns=list(items),
        missing=missing,
        n_input=n_input,
        n=n,
        recoded=tuple(recoded),
    )


def reverse_map(
    ms: MeasurementSpec, recode_reverse: bool | None, data: Any = None
) -> dict[str, tuple[float, float]]:
    """Reverse-keyed items to recode: one rule for every function given an instrument.

    ``None`` (default): the instrument's reverse-keyed items that ``data`` does not mark as
    recoded already (:func:`synergy_stats.reverse_code` marks its output, see
    :mod:`synergy_stats.intake.recoding`). ``True``: every reverse-keyed item, marked or
    not (a marked item is then recoded a second time, with a warning). ``False``: none.
    """
    from synergy_stats.intake.recoding import recoded_items

    if not (recode_reverse is None or isinstance(recode_reverse, bool)):
        raise OptionError(
            f"recode_reverse={recode_reverse!r} is not accepted; use None, True or False"
        )
    if recode_reverse is False:
        return {}
    if recode_reverse is True and not ms.reverse:
        raise OptionError(
            "recode_reverse=True needs an Instrument spec that marks reverse-keyed items; "
            "a mapping spec has no keying (recode the items before the call)"
        )
    marked = recoded_items(data) & set(ms.reverse)
    if recode_reverse is True:
        if marked:
            warnings.warn(
                f"recode_reverse=True recodes item(s) {sorted(marked)} a second time: the data "
                "mark them as recoded already (ss.reverse_code); leave recode_reverse=None "
                "to recode each item once",
                InstrumentWarning,
                stacklevel=4,
            )
        return dict(ms.reverse)
    return {k: v for k, v in ms.reverse.items() if k not in marked}


def prepare_keyed(
    data: Any,
    ms: MeasurementSpec,
    *,
    missing: str,
    recode_reverse: bool | None,
    accepted: Any = Missing,
    stacklevel: int = 4,
) -> PreparedData:
    """:func:`prepare_data` for a measurement spec, reverse-coding by :func:`reverse_map`.

    Afterwards every first-order factor is checked for items that correlate negatively with
    the rest of their factor (:func:`check_keying`), with a message that says what the
    keying of the data looks like.
    """
    reverse = reverse_map(ms, recode_reverse, data)
    prep = prepare_data(
        data,
        ms.items,
        missing=missing,
        accepted=accepted,
        reverse=reverse,
        stacklevel=stacklevel,
    )
    check_keying(ms, prep, stacklevel=stacklevel)
    return prep


def _negative_against_rest(cov: np.ndarray, items: Sequence[str]) -> list[str]:
    bad = []
    for i, item in enumerate(items):
        rest = [j for j in range(len(items)) if j != i]
        if rest and np.nansum(cov[i, rest]) < 0:
            bad.append(item)
    return bad


def check_keying(ms: MeasurementSpec, prep: PreparedData, *, stacklevel: int = 4) -> None:
    """Warn about items that run against the rest of their factor, saying why it may be.

    An item whose covariances with the other items of its factor sum to a negative number
    (pairwise-complete covariances) gets an :class:`InstrumentWarning` that depends on what
    happened to it: recoded by this call (the data look recoded already), reverse-keyed but
    taken as already recoded (the data may not be), or not reverse-keyed at all (perhaps it
    should be).
    """
    import pandas as pd

    cov = pd.DataFrame(prep.values).cov().to_numpy()
    recoded = set(prep.recoded)
    now: list[str] = []
    taken: list[str] = []
    plain: list[str] = []
    for _factor, items in ms.factors.items():
        idx = prep.index(list(items))
        bad = _negative_against_rest(cov[np.ix_(idx, idx)], list(items))
        flipped = [i for i in bad if i in recoded]
        kept = [i for i in bad if i not in recoded and i in ms.reverse]
        now += flipped
        taken += kept
        if not flipped and not kept:  # else the others look negative because of those
            plain += [i for i in bad if i not in ms.reverse]
    if now:
        warnings.warn(
            f"reverse-keyed item(s) {now} correlate negatively with the rest of their "
            "construct after this call recoded them: the data look already reverse-coded. "
            "For data recoded by hand pass recode_reverse=False (a frame from "
            "ss.reverse_code is recognised and not recoded again)",
            InstrumentWarning,
            stacklevel=stacklevel,
        )
    if taken:
        warnings.warn(
            f"reverse-keyed item(s) {taken} correlate negatively with the rest of their "
            "construct and were taken as already recoded (recode_reverse=False or marked "
            "by ss.reverse_code): check that the data really are recoded; with raw codes "
            "leave recode_reverse=None",
            InstrumentWarning,
            stacklevel=stacklevel,
        )
    if plain:
        warnings.warn(
            f"item(s) {plain} correlate negatively with the rest of their construct and are "
            "not marked reverse-keyed: if they are, mark them `reverse: true` in the "
            "instrument (or recode them before the call)",
            InstrumentWarning,
            stacklevel=stacklevel,
        )


def pairwise_counts(values: np.ndarray) -> np.ndarray:
    """Count the rows observed on both variables, for every pair."""
    obs = (~np.isnan(values)).astype(float)
    return obs.T @ obs


def covariance(prep: PreparedData, *, ddof: int = 1) -> np.ndarray:
    """Item covariance matrix under the data's missing-data rule.

    ``listwise``: the usual covariance of the complete rows; ``pairwise``: each entry from
    the rows observed on both items (R's ``cov(use="pairwise")``); ``fiml``: the
    normal-theory maximum likelihood (EM) estimate from all rows, as lavaan's
    ``missing="ml"`` sample statistics (divisor N, ``ddof`` is ignored).
    """
    x = prep.values
    if prep.missing == "fiml":
        if not np.isnan(x).any():
            return np.cov(x, rowvar=False, ddof=0)
        return em_moments(x)[1]
    if prep.missing == "listwise" or not np.isnan(x).any():
        return np.atleast_2d(np.cov(x, rowvar=False, ddof=ddof))
    import pandas as pd

    cov = pd.DataFrame(x).cov(min_periods=2, ddof=ddof).to_numpy(copy=True)
    if np.isnan(cov).any():
        bad = np.argwhere(np.isnan(cov))
        i, j = bad[0]
        raise DataValidationError(
            f"items {prep.columns[i]!r} and {prep.columns[j]!r} are observed together in fewer "
            "than 2 rows; pairwise covariances cannot be computed (use missing='fiml')"
        )
    return np.asarray(cov)


def correlation(prep: PreparedData) -> np.ndarray:
    """Item correlation matrix under the data's missing-data rule.

    Under ``pairwise`` every correlation uses the means and SDs of the rows observed on
    both items, as R's ``cor(use="pairwise")`` (psych ``KMO``, ``fa``); this differs from
    rescaling the pairwise covariance matrix, which psych ``alpha`` does.
    """
    x = prep.values
    if prep.missing != "pairwise" or not np.isnan(x).any():
        return cov2cor(covariance(prep))
    import pandas as pd

    corr = pd.DataFrame(x).corr(min_periods=3).to_numpy(copy=True)
    if np.isnan(corr).any():
        i, j = np.argwhere(np.isnan(corr))[0]
        raise DataValidationError(
            f"items {prep.columns[i]!r} and {prep.columns[j]!r} are observed together in fewer "
            "than 3 rows; pairwise correlations cannot be computed (use missing='fiml')"
        )
    np.fill_diagonal(corr, 1.0)
    return np.asarray(corr)


def cov2cor(cov: np.ndarray) -> np.ndarray:
    """Rescale a covariance matrix to a correlation matrix."""
    sd = np.sqrt(np.diag(cov))
    out = cov / np.outer(sd, sd)
    np.fill_diagonal(out, 1.0)
    return np.asarray(out)


def check_not_singular(corr: np.ndarray, columns: Sequence[str], *, what: str) -> None:
    """Raise DataValidationError if a correlation matrix is (numerically) singular.

    The smallest eigenvalue is compared with ``1e-10`` times the largest; the message names
    the items that carry the near-zero eigenvector.
    """
    vals, vecs = np.linalg.eigh(corr)
    if vals[0] > 1e-10 * max(vals[-1], 1.0):
        return
    weights = np.abs(vecs[:, 0])
    involved = [columns[j] for j in np.argsort(-weights) if weights[j] > 0.1]
    raise DataValidationError(
        f"the correlation matrix of the items is singular (smallest eigenvalue "
        f"{vals[0]:.3g}), so {what} cannot be computed; the items {involved} are linearly "
        "dependent (a duplicated item or a sum score among the items?)"
    )


def em_moments(
    x: np.ndarray, *, tol: float = 1e-10, max_iter: int = 10_000
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum likelihood mean and covariance of incomplete normal data by EM.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n, p)`` data with NaN for missing values; every row has an observed value.
    tol : float
        Convergence tolerance on the largest absolute change of any mean or covariance.
    max_iter : int
        Iteration limit.

    Returns
    -------
    mean, cov : numpy.ndarray
        The saturated-model estimates (covariance with divisor N), as lavaan's ``h1``
        sample statistics under ``missing="ml"``.

    Raises
    ------
    EstimationError
        If EM does not converge within ``max_iter`` iterations.

    Notes
    -----
    E step: for a row with observed part ``o`` and missing part ``m``,
    ``E[x_m] = mu_m + S_mo S_oo^{-1}(x_o - mu_o)`` and
    ``Cov[x_m] = S_mm - S_mo S_oo^{-1} S_om``; M step: ``mu`` and ``S`` are the means and
    (divisor N) cross-products of the completed data plus the conditional covariances.

    References
    ----------
    Little, R. J. A., & Rubin, D. B. (2002). *Statistical analysis with missing data*
    (2nd ed.), section 11.2. Wiley.
    """
    x = np.ascontiguousarray(x, dtype=float)
    key = (x.shape, hashlib.blake2b(x.tobytes(), digest_size=16).digest(), tol, max_iter)
    hit = _EM_CACHE.get(key)
    if hit is None:
        hit = _em_moments(x, tol=tol, max_iter=max_iter)
        _EM_CACHE[key] = hit
        while len(_EM_CACHE) > _EM_CACHE_SIZE:
            _EM_CACHE.pop(next(iter(_EM_CACHE)))
    return hit[0].copy(), hit[1].copy()


#: EM estimates of recent data sets: reliability, HTMT and Fornell-Larcker of the same
#: items each need the same saturated moments, and EM is most of their time
_EM_CACHE: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}
_EM_CACHE_SIZE = 8


def _em_moments(x: np.ndarray, *, tol: float, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    n, p = x.shape
    miss = np.isnan(x)
    patterns, inverse = np.unique(miss, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    groups = [np.flatnonzero(inverse == g) for g in range(len(patterns))]
    mu = np.nanmean(x, axis=0)
    sigma = np.diag(np.nanvar(x, axis=0))
    for _ in range(max_iter):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for pat, rows in zip(patterns, groups, strict=True):
            xs = x[rows]
            o = ~pat
            m = pat
            if not m.any():
                t1 += xs.sum(axis=0)
                t2 += xs.T @ xs
                continue
            s_oo = sigma[np.ix_(o, o)]
            s_mo = sigma[np.ix_(m, o)]
            beta = np.linalg.solve(s_oo, s_mo.T).T
            filled = xs.copy()
            filled[:, m] = mu[m] + (xs[:, o] - mu[o]) @ beta.T
            t1 += filled.sum(axis=0)
            t2 += filled.T @ filled
            cond = sigma[np.ix_(m, m)] - beta @ s_mo.T
            t2[np.ix_(m, m)] += len(rows) * cond
        new_mu = t1 / n
        new_sigma = t2 / n - np.outer(new_mu, new_mu)
        new_sigma = (new_sigma + new_sigma.T) / 2
        change = max(np.max(np.abs(new_mu - mu)), np.max(np.abs(new_sigma - sigma)))
        mu, sigma = new_mu, new_sigma
        if change < tol:
            return mu, sigma
    raise EstimationError(
        f"the EM estimate of the saturated covariance did not converge in {max_iter} iterations"
    )


def as_frame(matrix: np.ndarray, rows: Sequence[str], cols: Sequence[str]) -> pd.DataFrame:
    """Wrap a matrix as a labelled DataFrame."""
    import pandas as pd

    return pd.DataFrame(np.asarray(matrix, dtype=float), index=list(rows), columns=list(cols))
