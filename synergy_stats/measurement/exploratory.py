"""Exploratory factor analysis and parallel analysis, as psych computes them.

``efa`` mirrors ``psych::fa`` (principal axis, maximum likelihood and minimum residual
extraction from the correlation matrix; varimax, promax and oblimin rotations; psych's sign
and order conventions). ``parallel_analysis`` mirrors the eigenvalue definitions of
``psych::fa.parallel``. factor_analyzer is not used (it fails on numpy 2).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np

from synergy_stats._blas import single_threaded
from synergy_stats._typing import SeedLike, check_arguments, check_option, make_rng
from synergy_stats.errors import (
    ConvergenceWarning,
    DataValidationError,
    HeywoodWarning,
    OptionError,
)
from synergy_stats.measurement import _rotation
from synergy_stats.measurement._common import (
    PreparedData,
    as_frame,
    check_not_singular,
    correlation,
    prepare_data,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["EFAResult", "ParallelAnalysisResult", "efa", "parallel_analysis", "smc"]

Method: TypeAlias = Literal["pa", "ml", "minres"]
Rotation: TypeAlias = Literal["oblimin", "varimax", "promax", "none"]
EFAMissing: TypeAlias = Literal["listwise", "pairwise", "fiml"]

_PREFIX = {"pa": "PA", "ml": "ML", "minres": "MR"}


def smc(corr: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1/diag(R^-1)``, clipped to [0, 1] (psych ``smc``)."""
    inv = np.linalg.pinv(corr)
    out = 1 - 1 / np.diag(inv)
    return np.clip(out, 0.0, 1.0)


def _top_loadings(mat: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Return loadings ``V_k sqrt(D_k)`` of the k largest eigenvalues, and all eigenvalues."""
    vals, vecs = np.linalg.eigh(mat)
    vals, vecs = vals[::-1], vecs[:, ::-1]
    with np.errstate(invalid="ignore"):
        load = vecs[:, :k] * np.sqrt(vals[:k])
    return load, vals


@dataclass(frozen=True)
class _Extraction:
    loadings: np.ndarray
    values: np.ndarray
    communalities: np.ndarray
    n_iter: int
    converged: bool
    objective: float


def _extract_pa(r: np.ndarray, k: int, *, max_iter: int, min_err: float) -> _Extraction:
    """Extract factors by iterated principal axes, psych ``fa(fm="pa")``."""
    rmat = r.copy()
    if k <= r.shape[0]:
        np.fill_diagonal(rmat, smc(r))
    comm = float(np.trace(rmat))
    err = comm
    i = 1
    converged = True
    load = np.zeros((r.shape[0], k))
    vals = np.zeros(r.shape[0])
    while err > min_err:
        load, vals = _top_loadings(rmat, k)
        new = (load**2).sum(axis=1)
        comm1 = float(new.sum())
        np.fill_diagonal(rmat, new)
        err = abs(comm - comm1)
        if np.isnan(err):
            raise DataValidationError(
                "principal axis factoring met a negative eigenvalue (an imaginary loading); "
                "use fewer factors or method='minres'"
            )
        comm = comm1
        i += 1
        if i > max_iter:
            converged = err <= min_err
            break
    return _Extraction(load, vals, (load**2).sum(axis=1), i - 1, converged, float("nan"))


def _minres_objective(psi: np.ndarray, r: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    """Half the squared residual of ``R - Psi`` after k factors, and its gradient."""
    s = r - np.diag(psi)
    vals, vecs = np.linalg.eigh(s)
    vals, vecs = vals[::-1], vecs[:, ::-1]
    load = vecs[:, :k] * np.sqrt(np.maximum(vals[:k], 0))
    resid = s - load @ load.T
    return 0.5 * float((resid**2).sum()), -np.diag(resid).copy()


def _ml_objective(psi: np.ndarray, r: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    """Concentrated ML discrepancy of psych's ``FAfn`` and its gradient ``FAgr``."""
    sc = 1 / np.sqrt(psi)
    sstar = r * np.outer(sc, sc)
    vals, vecs = np.linalg.eigh(sstar)
    vals, vecs = vals[::-1], vecs[:, ::-1]
    e = vals[k:]
    f = -(float(np.sum(np.log(e) - e)) - k + r.shape[0])
    load = vecs[:, :k] * np.sqrt(np.maximum(vals[:k] - 1, 0))
    load = np.sqrt(psi)[:, None] * load
    g = load @ load.T + np.diag(psi) - r
    return f, np.diag(g) / psi**2


def _ml_loadings(psi: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    sc = 1 / np.sqrt(psi)
    vals, vecs = np.linalg.eigh(r * np.outer(sc, sc))
    vals, vecs = vals[::-1], vecs[:, ::-1]
    load = vecs[:, :k] * np.sqrt(np.maximum(vals[:k] - 1, 0))
    return np.asarray(np.sqrt(psi)[:, None] * load)


def _extract_optim(r: np.ndarray, k: int, method: str) -> _Extraction:
    """Minimum residual or ML extraction by L-BFGS-B over uniquenesses in [0.005, upper]."""
    from scipy import optimize

    s = smc(r)
    upper = max(float(s.max()), 1.0)
    start = np.diag(r) - s
    fun = _ml_objective if method == "ml" else _minres_objective
    res = optimize.minimize(
        fun,
        start,
        args=(r, k),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.005, upper)] * r.shape[0],
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10_000, "maxcor": 20},
    )
    psi = res.x
    if method == "ml":
        load = _ml_loadings(psi, r, k)
    else:
        load, _ = _top_loadings(r - np.diag(psi), k)
        load = np.nan_to_num(load)
    model = load @ load.T
    rr = r.copy()
    np.fill_diagonal(rr, np.diag(model))
    values = np.linalg.eigvalsh(rr)[::-1]
    converged = bool(res.success) or float(np.max(np.abs(res.jac))) < 1e-6
    return _Extraction(load, values, 1 - psi, int(res.nit), converged, float(res.fun))


@dataclass(frozen=True)
class EFAResult:
    """Result of :func:`efa`.

    Attributes
    ----------
    loadings : pandas.DataFrame
        Rotated pattern loadings, items x factors, in psych's order (factors sorted by the
        variance they account for) and signs (every column sums to a positive value).
    structure : pandas.DataFrame
        Structure loadings ``loadings @ factor_correlations`` (equal to ``loadings`` for
        orthogonal rotations).
    communalities : pandas.Series
        ``h2``, row sums of the squared unrotated loadings (psych ``communality``).
    uniquenesses : pandas.Series
        ``u2 = 1 - h2``.
    complexity : pandas.Series
        Hofmann's item complexity ``(sum a^2)^2 / sum a^4`` of the rotated loadings.
    factor_correlations : pandas.DataFrame or None
        Factor correlations (oblique rotations), else None.
    variance : pandas.DataFrame
        Rows ``ss_loadings``, ``proportion``, ``cumulative``, ``proportion_explained``,
        ``cumulative_proportion`` by factor (psych ``Vaccounted``).
    eigenvalues : pandas.Series
        Eigenvalues of the correlation matrix (psych ``e.values``).
    common_eigenvalues : pandas.Series
        Eigenvalues of the correlation matrix with communalities on the diagonal
        (psych ``values``).
    correlation : pandas.DataFrame
        The correlation matrix analysed.
    method, rotation : str
        Extraction method and rotation.
    n_factors, n : int
        Number of factors and rows used.
    missing : str
        Missing-data rule.
    converged : bool
        Whether extraction (and rotation) met their tolerance.
    n_iter : int
        Extraction iterations.
    """

    loadings: pd.DataFrame
    structure: pd.DataFrame
    communalities: pd.Series
    uniquenesses: pd.Series
    complexity: pd.Series
    factor_correlations: pd.DataFrame | None
    variance: pd.DataFrame
    eigenvalues: pd.Series
    common_eigenvalues: pd.Series
    correlation: pd.DataFrame
    method: str
    rotation: str
    n_factors: int
    n: int
    missing: str
    converged: bool
    n_iter: int
    attrs: dict[str, Any] = field(default_factory=dict)

    def table(self, *, sort: bool = False, cutoff: float | None = None) -> pd.DataFrame:
        """Return the loadings with ``h2``, ``u2`` and ``com`` columns, as psych prints them.

        Parameters
        ----------
        sort : bool
            Order items by the factor they load most on, then by the size of that loading
            (psych ``fa.sort``).
        cutoff : float, optional
            Blank (NaN) loadings whose absolute value is below ``cutoff``.
        """
        out = self.loadings.copy()
        if cutoff is not None:
            out = out.where(out.abs() >= cutoff)
        out["h2"] = self.communalities
        out["u2"] = self.uniquenesses
        out["com"] = self.complexity
        if sort:
            ab = self.loadings.abs().to_numpy()
            main = ab.argmax(axis=1)
            size = ab.max(axis=1)
            order = np.lexsort((-size, main))
            out = out.iloc[order]
        return out

    def tidy(self) -> pd.DataFrame:
        """One row per item and factor: ``item``, ``factor``, ``loading``, ``structure``."""
        import pandas as pd

        items = list(self.loadings.index)
        factors = list(self.loadings.columns)
        return pd.DataFrame(
            {
                "item": np.repeat(items, len(factors)),
                "factor": np.tile(factors, len(items)),
                "loading": self.loadings.to_numpy().ravel(),
                "structure": self.structure.to_numpy().ravel(),
            }
        )


def _prepare_matrix(
    data: Any, missing: str, *, what: str, stacklevel: int = 4
) -> tuple[PreparedData, np.ndarray]:
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data={type(data).__name__} is not accepted; use a pandas DataFrame of item columns"
        )
    items = [str(c) for c in data.columns]
    if len(items) < 2:
        raise DataValidationError(f"{what} needs at least 2 item columns; data has {len(items)}")
    if len(set(items)) != len(items):
        raise DataValidationError("data has duplicated column names")
    frame = data.copy(deep=False)
    frame.columns = pd.Index(items)
    prep = prepare_data(frame, items, missing=missing, accepted=EFAMissing, stacklevel=stacklevel)
    r = correlation(prep)
    check_not_singular(r, items, what=what)
    return prep, r


@single_threaded
def efa(
    data: pd.DataFrame,
    n_factors: int,
    *,
    method: Method = "minres",
    rotation: Rotation = "oblimin",
    missing: EFAMissing = "pairwise",
    max_iter: int = 50,
    min_err: float = 0.001,
) -> EFAResult:
    """Exploratory factor analysis of the item correlations, as ``psych::fa``.

    Parameters
    ----------
    data : pandas.DataFrame
        Numeric item columns (every column is analysed).
    n_factors : int
        Number of factors, at least 1 and fewer than the number of items.
    method : {"minres", "pa", "ml"}
        Extraction: minimum residual (psych's default), iterated principal axis, or maximum
        likelihood.
    rotation : {"oblimin", "varimax", "promax", "none"}
        Rotation (psych's default is oblimin). ``varimax`` is ``stats::varimax`` with
        Kaiser normalisation; ``promax`` is psych's (Kaiser-normalised ``Promax``, m = 4);
        ``oblimin`` is GPArotation's quartimin by gradient projection.
    missing : {"pairwise", "listwise", "fiml"}
        Correlations from pairwise-complete rows (psych's default), complete rows, or the
        ML (EM) estimate.
    max_iter, min_err : int, float
        Principal axis iterations stop when the total communality changes by less than
        ``min_err`` or after ``max_iter`` iterations (psych's defaults).

    Returns
    -------
    EFAResult
        Rotated loadings, communalities, factor correlations, variance accounted for.
        ``.table()`` gives psych's printed table (loadings, h2, u2, com).

    Raises
    ------
    DataValidationError
        Non-numeric columns, a zero-variance item, fewer rows than items, a singular
        correlation matrix.
    OptionError
        ``n_factors`` out of range or an option outside its accepted values.

    Warns
    -----
    HeywoodWarning
        A communality of 1 or more (an ultra-Heywood case).
    ConvergenceWarning
        Extraction or rotation stopped at its iteration limit.

    Notes
    -----
    Principal axis: communalities start at the squared multiple correlations; the
    loadings are the first k eigenvectors of the reduced correlation matrix scaled by the
    square roots of their eigenvalues, and the diagonal is replaced by the new
    communalities until ``|sum h2_new - sum h2_old| < min_err``. Minimum residual and ML
    minimise over the uniquenesses ``Psi`` (bounded to ``[0.005, max(1, smc)]``), as psych:
    minres the squared residuals of ``R - Psi - LL'`` and ML
    ``-sum_{j>k}(log e_j - e_j) - k + p`` with ``e`` the eigenvalues of
    ``Psi^{-1/2} R Psi^{-1/2}``. Loadings are then reflected so that every column sums to
    a positive value, rotated, reflected again, and the factors ordered by the variance
    they account for (``diag(Phi L'L)``). psych stops its optimiser earlier; the loadings
    agree with psych to about 1e-4.

    References
    ----------
    Revelle, W. (2022). *psych: Procedures for Psychological, Psychometric, and
    Personality Research* (R package 2.2.9), function ``fa``.
    Harman, H. H. (1976). *Modern factor analysis* (3rd ed.). University of Chicago Press.

    Examples
    --------
    Mirrors ``psych::fa(x, nfactors = 3, fm = "pa", rotate = "promax")``:

    >>> res = ss.efa(hs[["x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"]], 3,
    ...              method="pa", rotation="promax")  # doctest: +SKIP
    >>> res.table(sort=True)  # doctest: +SKIP
    """
    check_arguments(efa, locals())
    import pandas as pd

    check_option("method", method, Method)
    check_option("rotation", rotation, Rotation)
    check_option("missing", missing, EFAMissing)
    p = len(getattr(data, "columns", []))
    if (
        not isinstance(n_factors, int | np.integer)
        or isinstance(n_factors, bool)
        or not 1 <= n_factors < max(p, 2)
    ):
        raise OptionError(
            f"n_factors={n_factors!r} is not accepted; use an integer from 1 to {p - 1} "
            f"(fewer factors than the {p} items)"
        )
    if not isinstance(max_iter, int) or max_iter < 1:
        raise OptionError(f"max_iter={max_iter!r} is not accepted; use a positive integer")
    if not isinstance(min_err, float | int) or min_err <= 0:
        raise OptionError(f"min_err={min_err!r} is not accepted; use a positive number")
    k = int(n_factors)
    prep, r = _prepare_matrix(data, missing, what="an exploratory factor analysis")
    items = prep.columns
    if method == "pa":
        ext = _extract_pa(r, k, max_iter=max_iter, min_err=float(min_err))
    else:
        ext = _extract_optim(r, k, method)
    if not ext.converged:
        warnings.warn(
            f"{method} extraction stopped before meeting its tolerance "
            f"({ext.n_iter} iterations); inspect the solution",
            ConvergenceWarning,
            stacklevel=2,
        )
    load = ext.loadings.copy()
    sign = np.sign(load.sum(axis=0))
    sign[sign == 0] = 1
    load = load * sign
    load[load == 0] = 1e-15
    h2 = (load**2).sum(axis=1)
    phi: np.ndarray | None = None
    if k > 1 and rotation == "varimax":
        load, _ = _rotation.varimax(load)
    elif k > 1 and rotation == "promax":
        load, phi, _ = _rotation.promax(load)
    elif k > 1 and rotation == "oblimin":
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            load, phi, _ = _rotation.oblimin(load)
        if caught:
            warnings.warn(str(caught[0].message), ConvergenceWarning, stacklevel=2)
    sign = np.sign(load.sum(axis=0))
    sign[sign == 0] = 1
    load = load * sign
    if phi is not None:
        phi = phi * np.outer(sign, sign)
    if k > 1:
        ev = np.diag(phi @ load.T @ load) if phi is not None else (load**2).sum(axis=0)
        order = np.argsort(-ev, kind="stable")
        load = load[:, order]
        if phi is not None:
            phi = phi[np.ix_(order, order)]
    if np.any(h2 >= 1):
        warnings.warn(
            f"communalities of {[items[j] for j in np.flatnonzero(h2 >= 1)]} are 1 or more "
            "(an ultra-Heywood case); interpret the solution with care",
            HeywoodWarning,
            stacklevel=2,
        )
    names = [f"{_PREFIX[method]}{j + 1}" for j in range(k)]
    loadings = as_frame(load, items, names)
    structure = as_frame(load @ phi if phi is not None else load, items, names)
    vx = np.diag(phi @ load.T @ load) if phi is not None else (load**2).sum(axis=0)
    vtotal = float(p)
    variance = pd.DataFrame(
        [vx, vx / vtotal, np.cumsum(vx / vtotal), vx / vx.sum(), np.cumsum(vx / vx.sum())],
        index=[
            "ss_loadings",
            "proportion",
            "cumulative",
            "proportion_explained",
            "cumulative_proportion",
        ],
        columns=names,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        complexity = (load**2).sum(axis=1) ** 2 / (load**4).sum(axis=1)
    e_values = np.linalg.eigvalsh(r)[::-1]
    return EFAResult(
        loadings=loadings,
        structure=structure,
        communalities=pd.Series(h2, index=items, name="h2"),
        uniquenesses=pd.Series(1 - h2, index=items, name="u2"),
        complexity=pd.Series(complexity, index=items, name="com"),
        factor_correlations=as_frame(phi, names, names) if phi is not None else None,
        variance=variance,
        eigenvalues=pd.Series(e_values, index=range(1, p + 1), name="eigenvalue"),
        common_eigenvalues=pd.Series(ext.values, index=range(1, p + 1), name="eigenvalue"),
        correlation=as_frame(r, items, items),
        method=method,
        rotation=rotation,
        n_factors=k,
        n=prep.n,
        missing=missing,
        converged=ext.converged,
        n_iter=ext.n_iter,
        attrs=prep.attrs(),
    )


@dataclass(frozen=True)
class ParallelAnalysisResult:
    """Result of :func:`parallel_analysis`.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed 1..p (scree data): ``pc_observed`` and ``fa_observed`` (eigenvalues of the
        data, psych ``pc.values`` and ``fa.values``), ``pc_simulated``/``fa_simulated``
        (mean over normal random data of the same size, psych ``pc.sim``/``fa.sim``),
        ``pc_simulated_q``/``fa_simulated_q`` (their ``quantile``), ``pc_resampled`` and
        ``fa_resampled`` (means over column-wise resampled data, psych ``pc.simr`` and
        ``fa.simr``).
    n_factors, n_components : int
        Number of leading observed eigenvalues above the simulated quantile (psych
        ``nfact`` and ``ncomp``).
    n_iter : int
        Simulated data sets.
    quantile : float
        Quantile of the simulated eigenvalues used for the decision.
    n : int
        Rows used.
    missing : str
        Missing-data rule.
    """

    table: pd.DataFrame
    n_factors: int
    n_components: int
    n_iter: int
    quantile: float
    n: int
    missing: str


def _fa_values(r: np.ndarray, method: str) -> np.ndarray:
    """Return psych's ``fa(r, nfactors=1, rotate="none", fm=method)$values``."""
    if method == "pa":
        return _extract_pa(r, 1, max_iter=50, min_err=0.001).values
    return _extract_optim(r, 1, method).values


def _count_above(observed: np.ndarray, threshold: np.ndarray) -> int:
    below = np.flatnonzero(~(observed > threshold))
    return int(below[0]) if below.size else int(observed.size)


@single_threaded
def parallel_analysis(
    data: pd.DataFrame,
    *,
    n_iter: int = 20,
    seed: SeedLike = None,
    method: Method = "minres",
    quantile: float = 0.95,
    missing: EFAMissing = "pairwise",
) -> ParallelAnalysisResult:
    """Horn's parallel analysis with psych ``fa.parallel``'s eigenvalue definitions.

    Parameters
    ----------
    data : pandas.DataFrame
        Numeric item columns.
    n_iter : int
        Number of simulated (and of resampled) data sets.
    seed : int, numpy.random.Generator or None
        Seed of the random normal and resampled data.
    method : {"minres", "pa", "ml"}
        Factor method of the one-factor solution whose eigenvalues are compared
        (psych's ``fm``, default minres).
    quantile : float
        Quantile of the simulated eigenvalues an observed eigenvalue has to exceed
        (psych's ``quant``, 0.95).
    missing : {"pairwise", "listwise", "fiml"}
        Correlations of the observed data, as in :func:`efa`.

    Returns
    -------
    ParallelAnalysisResult
        Observed, simulated and resampled eigenvalues (the scree data) and the suggested
        numbers of factors and components.

    Raises
    ------
    DataValidationError, OptionError
        As :func:`efa`.

    Notes
    -----
    Principal component eigenvalues are those of the correlation matrix. Factor
    eigenvalues are those of the correlation matrix with the communalities of a one-factor
    solution (``method``) on its diagonal, psych's ``fa(r, 1)$values``. Simulated data are
    standard normal with the same rows and columns; resampled data draw every column with
    replacement independently. As in psych (``fa="both"``), the suggested numbers count the
    leading observed eigenvalues above the ``quantile`` of the simulated ones. The
    simulated values depend on the random numbers and so differ from R's.

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    *Psychometrika*, 30, 179-185.

    Examples
    --------
    Mirrors ``psych::fa.parallel(x, fm = "minres", fa = "both", n.iter = 20)``:

    >>> pa = ss.parallel_analysis(items, n_iter=100, seed=1)  # doctest: +SKIP
    >>> pa.n_factors, pa.table  # doctest: +SKIP
    """
    check_arguments(parallel_analysis, locals())
    import pandas as pd

    check_option("method", method, Method)
    check_option("missing", missing, EFAMissing)
    if not isinstance(n_iter, int) or isinstance(n_iter, bool) or n_iter < 1:
        raise OptionError(f"n_iter={n_iter!r} is not accepted; use a positive integer")
    if not isinstance(quantile, float | int) or not 0 < quantile < 1:
        raise OptionError(f"quantile={quantile!r} is not accepted; use a number in (0, 1)")
    rng = make_rng(seed)
    prep, r = _prepare_matrix(data, missing, what="a parallel analysis")
    n, p = prep.values.shape
    pc_obs = np.linalg.eigvalsh(r)[::-1]
    fa_obs = _fa_values(r, method)
    sim_pc = np.empty((n_iter, p))
    sim_fa = np.empty((n_iter, p))
    res_pc = np.empty((n_iter, p))
    res_fa = np.empty((n_iter, p))
    x = prep.values
    for it in range(n_iter):
        z = rng.standard_normal((n, p))
        rz = np.asarray(np.corrcoef(z, rowvar=False))
        sim_pc[it] = np.linalg.eigvalsh(rz)[::-1]
        sim_fa[it] = _fa_values(rz, method)
        resampled = np.column_stack([x[rng.integers(0, n, n), j] for j in range(p)])
        rs = correlation(
            PreparedData(
                values=resampled,
                columns=prep.columns,
                missing="pairwise" if np.isnan(resampled).any() else "listwise",
                n_input=n,
                n=n,
            )
        )
        res_pc[it] = np.linalg.eigvalsh(rs)[::-1]
        res_fa[it] = _fa_values(rs, method)
    q = float(quantile)
    table = pd.DataFrame(
        {
            "pc_observed": pc_obs,
            "pc_simulated": sim_pc.mean(axis=0),
            "pc_simulated_q": np.quantile(sim_pc, q, axis=0),
            "pc_resampled": res_pc.mean(axis=0),
            "fa_observed": fa_obs,
            "fa_simulated": sim_fa.mean(axis=0),
            "fa_simulated_q": np.quantile(sim_fa, q, axis=0),
            "fa_resampled": res_fa.mean(axis=0),
        },
        index=pd.RangeIndex(1, p + 1, name="number"),
    )
    table.attrs.update(prep.attrs())
    return ParallelAnalysisResult(
        table=table,
        n_factors=_count_above(fa_obs, table["fa_simulated_q"].to_numpy()),
        n_components=_count_above(pc_obs, table["pc_simulated_q"].to_numpy()),
        n_iter=n_iter,
        quantile=q,
        n=n,
        missing=missing,
    )
