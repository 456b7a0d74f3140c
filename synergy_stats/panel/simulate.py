"""Seeded simulation of random-intercept cross-lagged panel data, in long format.

The data-generating process is the RI-CLPM of Hamaker, Kuiper & Grasman (2015): each
construct score is a grand mean plus a stable person-specific random intercept plus a
within-person deviation that follows a stationary first-order vector autoregression. With
``indicators`` the scores are measured by items with loadings equal between and within
persons (Mulder & Hamaker 2021). Used for parameter-recovery tests, the frozen lavaan
references and power studies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from synergy_stats._random import normal_draws
from synergy_stats._typing import SeedLike, check_arguments, make_rng
from synergy_stats.errors import OptionError

__all__ = ["item_names", "lag_matrix", "simulate_riclpm"]

#: Loadings cycled over a construct's items (the first is the marker).
_LOADINGS = (1.0, 0.8, 1.2, 0.9, 1.1, 0.7)


def item_names(construct: str, indicators: int) -> list[str]:
    """Item columns written for ``construct`` when it has ``indicators`` items."""
    return [f"{construct}_{j}" for j in range(1, indicators + 1)]


def lag_matrix(
    constructs: Sequence[str],
    lags: Mapping[tuple[str, str], float] | np.ndarray,
    *,
    autoregression: float = 0.4,
) -> np.ndarray:
    """The lag matrix ``A`` with ``A[i, j]`` the effect of construct j at t-1 on i at t.

    Parameters
    ----------
    constructs : sequence of str
        Construct names, in order.
    lags : mapping or (k, k) array
        ``{(source, target): value}``, missing pairs 0 and missing autoregressions
        ``autoregression``; or the matrix itself.
    autoregression : float
        Autoregression of constructs with no ``(c, c)`` entry in a mapping.

    Raises
    ------
    OptionError
        Unknown construct names or a matrix of the wrong shape.
    """
    k = len(constructs)
    if isinstance(lags, np.ndarray):
        if lags.shape != (k, k):
            raise OptionError(
                f"lags has shape {lags.shape}; a lag matrix for {k} constructs is ({k}, {k}) "
                "with lags[target, source]"
            )
        return np.asarray(lags, dtype=float).copy()
    if not isinstance(lags, Mapping):
        raise OptionError(
            f"lags={type(lags).__name__} is not accepted; give {{(source, target): value}} or "
            "a (k, k) array"
        )
    pos = {c: i for i, c in enumerate(constructs)}
    A = np.zeros((k, k))
    np.fill_diagonal(A, autoregression)
    for key, value in lags.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise OptionError(f"lags key {key!r} must be a (source, target) pair")
        src, tgt = key
        bad = [c for c in (src, tgt) if c not in pos]
        if bad:
            raise OptionError(
                f"lags key {key!r} names unknown construct(s) {bad}; constructs are "
                f"{list(constructs)}"
            )
        A[pos[tgt], pos[src]] = float(value)
    return A


def _corr(k: int, r: float, name: str) -> np.ndarray:
    if not -1.0 / max(k - 1, 1) < r < 1.0:
        raise OptionError(
            f"{name}={r!r} does not give a positive-definite correlation matrix for {k} "
            f"constructs; use a value in ({-1.0 / max(k - 1, 1):.3g}, 1)"
        )
    out = np.full((k, k), r)
    np.fill_diagonal(out, 1.0)
    return out


def _mvn(rng: np.random.Generator, cov: np.ndarray, n: int) -> np.ndarray:
    """Draw n rows from N(0, cov) (cov positive semi-definite) through a symmetric square root."""
    return normal_draws(rng, np.zeros(cov.shape[0]), cov, n)


def simulate_riclpm(
    n: int,
    constructs: Sequence[str],
    waves: int,
    *,
    lags: Mapping[tuple[str, str], float] | np.ndarray,
    seed: SeedLike,
    autoregression: float = 0.4,
    ri_variance: float = 0.5,
    ri_correlation: float = 0.3,
    within_variance: float = 1.0,
    within_correlation: float = 0.3,
    means: float | Mapping[str, float] = 3.0,
    indicators: int | None = None,
    residual_variance: float = 0.4,
    item_ri_variance: float = 0.0,
    attrition: float = 0.0,
) -> pd.DataFrame:
    """Simulate long-format panel data from a random-intercept cross-lagged panel model.

    Parameters
    ----------
    n : int
        Persons.
    constructs : sequence of str
        Construct names (valid identifiers); two or more.
    waves : int
        Number of waves (at least 2).
    lags : mapping or (k, k) array
        Lagged within-person effects, ``{(source, target): value}`` (see
        :func:`lag_matrix`): ``("results", "mechanism"): 0.15`` is the feedback
        results(t-1) -> mechanism(t).
    seed : int, numpy Generator or None
        Random seed.
    autoregression : float
        Autoregression of constructs without a ``(c, c)`` entry in ``lags``.
    ri_variance, ri_correlation : float
        Variance of each random intercept and their correlation.
    within_variance, within_correlation : float
        Variance of every within-person deviation at every wave (stationary) and their
        within-wave correlation at wave 1 (innovations are chosen to keep it).
    means : float or mapping
        Grand mean of each construct (the same at every wave).
    indicators : int, optional
        Items per construct; then the data hold items ``<construct>_<j>`` instead of
        construct scores.
    residual_variance : float
        Item residual variance (with ``indicators``).
    item_ri_variance : float
        Variance of a stable item-specific person effect (with ``indicators``), the part
        that item-level random intercepts capture (Mulder & Hamaker 2021).
    attrition : float
        Probability of leaving the panel before each wave after the first (monotone,
        completely at random); the rows of waves missed are absent from the output.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, wave, *constructs`` (or the items), one row per person and wave
        observed; ``wave`` runs 1..waves.

    Raises
    ------
    OptionError
        Bad sizes, unknown constructs in ``lags``, lags too strong for a stationary process,
        correlations that are not positive definite.

    Notes
    -----
    For person i, construct c and wave t (Hamaker, Kuiper & Grasman 2015, eq. 4-6):

    ``x_cit = mu_c + kappa_ci + w_cit``, ``kappa_i ~ N(0, Phi)``,
    ``w_i1 ~ N(0, Sigma)``, ``w_it = A w_i,t-1 + zeta_it``, ``zeta_it ~ N(0, Psi)``,

    with ``Sigma`` the stationary within covariance (``within_variance`` and
    ``within_correlation``) and ``Psi = Sigma - A Sigma A'`` so that ``Cov(w_it) = Sigma`` at
    every wave. With ``indicators``, item j of construct c is
    ``y_cjit = lambda_j (mu_c + kappa_ci + w_cit) + s_cji + e_cjit``,
    ``e ~ N(0, residual_variance)``, ``s ~ N(0, item_ri_variance)`` constant over waves,
    loadings cycling through 1.0, 0.8, 1.2, 0.9, 1.1, 0.7.

    References
    ----------
    Hamaker, E. L., Kuiper, R. M. & Grasman, R. P. P. P. (2015). A critique of the
    cross-lagged panel model. Psychological Methods, 20, 102-116.
    Mulder, J. D. & Hamaker, E. L. (2021). Three extensions of the random intercept
    cross-lagged panel model. Structural Equation Modeling, 28, 638-648.

    Examples
    --------
    Like the data-generating step of R's ``powRICLPM``:

    >>> d = simulate_riclpm(500, ["mechanism", "results"], 3,
    ...                     lags={("results", "mechanism"): 0.15}, seed=1)
    >>> list(d.columns)
    ['id', 'wave', 'mechanism', 'results']
    """
    check_arguments(simulate_riclpm, locals())
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise OptionError(f"n={n!r} must be an integer of at least 2")
    if isinstance(waves, bool) or not isinstance(waves, int | np.integer) or waves < 2:
        raise OptionError(f"waves={waves!r} must be an integer of at least 2")
    if isinstance(constructs, str):
        raise OptionError(f"constructs={constructs!r} must be a list of names, not a string")
    constructs = list(constructs)
    if len(constructs) < 1:
        raise OptionError("constructs must name at least one construct")
    if len(set(constructs)) != len(constructs):
        raise OptionError(f"constructs={constructs!r} has duplicates")
    for c in constructs:
        if not (isinstance(c, str) and c.isidentifier()):
            raise OptionError(f"construct name {c!r} must be a valid identifier")
    if indicators is not None and (
        isinstance(indicators, bool) or not isinstance(indicators, int) or indicators < 1
    ):
        raise OptionError(f"indicators={indicators!r} must be None or a positive integer")
    if not 0.0 <= attrition < 1.0:
        raise OptionError(f"attrition={attrition!r} must lie in [0, 1)")
    for name, val in (
        ("ri_variance", ri_variance),
        ("within_variance", within_variance),
        ("residual_variance", residual_variance),
        ("item_ri_variance", item_ri_variance),
    ):
        if not val >= 0:
            raise OptionError(f"{name}={val!r} must be non-negative")
    rng = make_rng(seed)
    k = len(constructs)
    A = lag_matrix(constructs, lags, autoregression=autoregression)
    sigma = within_variance * _corr(k, within_correlation, "within_correlation")
    psi = sigma - A @ sigma @ A.T
    if np.linalg.eigvalsh((psi + psi.T) / 2).min() <= 0:
        raise OptionError(
            "lags are too strong for a stationary process with the given within-person "
            "covariance (Sigma - A Sigma A' is not positive definite); use smaller lags"
        )
    phi = ri_variance * _corr(k, ri_correlation, "ri_correlation")
    if isinstance(means, Mapping):
        mu = np.array([float(means.get(c, 0.0)) for c in constructs])
    else:
        mu = np.full(k, float(means))
    kappa = _mvn(rng, phi, n)
    w = np.empty((waves, n, k))
    w[0] = _mvn(rng, sigma, n)
    for t in range(1, waves):
        zeta = _mvn(rng, psi, n)
        w[t] = w[t - 1] @ A.T + zeta
    scores = mu + kappa[None, :, :] + w  # waves x n x k
    stable: dict[str, np.ndarray] = {}
    if indicators is not None:
        for c in constructs:
            for name in item_names(c, indicators):
                stable[name] = rng.normal(0.0, np.sqrt(item_ri_variance), size=n)
    present = np.ones((waves, n), dtype=bool)
    if attrition > 0:
        stay = np.ones(n, dtype=bool)
        for t in range(1, waves):
            stay &= rng.random(n) >= attrition
            present[t] = stay
    frames = []
    for t in range(waves):
        block: dict[str, Any] = {"id": np.arange(1, n + 1), "wave": t + 1}
        if indicators is None:
            for j, c in enumerate(constructs):
                block[c] = scores[t, :, j]
        else:
            for j, c in enumerate(constructs):
                for m, name in enumerate(item_names(c, indicators)):
                    lam = _LOADINGS[m % len(_LOADINGS)]
                    e = rng.normal(0.0, np.sqrt(residual_variance), size=n)
                    block[name] = lam * scores[t, :, j] + stable[name] + e
        frame = pd.DataFrame(block)
        frames.append(frame[present[t]])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["id", "wave"], kind="stable").reset_index(drop=True)
