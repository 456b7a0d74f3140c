"""Monte Carlo confidence intervals for defined parameters (semTools ``monteCarloCI``).

The free parameters are drawn from their asymptotic sampling distribution
``N(theta_hat, Var(theta_hat))``, every ``:=`` parameter is evaluated on each draw, and the
interval is the pair of sample quantiles (MacKinnon, Lockwood & Williams 2004; Preacher &
Selig 2012).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from synergy_stats._random import normal_draws
from synergy_stats._typing import SeedLike, check_arguments
from synergy_stats.errors import DroppedDataWarning, OptionError, SpecificationError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from synergy_stats.structural.results import SEMResult

__all__ = ["monte_carlo_ci", "normal_theta_draws"]


def normal_theta_draws(
    fit: SEMResult, draws: int, seed: SeedLike, *, columns: np.ndarray | None = None
) -> np.ndarray:
    """Draws of the free parameters from ``N(theta_hat, vcov)`` (draws x K).

    Parameters
    ----------
    fit : SEMResult
        The fitted model.
    draws : int
        Number of draws.
    seed : int, numpy Generator or None
        Seed.
    columns : numpy.ndarray of int, optional
        Draw only these free parameters (the others stay at their estimates). The marginal
        distribution of a subset is the same, so this only saves time.

    Returns
    -------
    numpy.ndarray
    """
    from synergy_stats.inference.parallel import seed_plan

    plan = seed_plan(seed)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(plan.entropy)))
    theta = np.asarray(fit.theta, dtype=float)
    K = theta.size
    idx = np.arange(K) if columns is None else np.asarray(columns, dtype=int)
    out = np.tile(theta, (draws, 1))
    if idx.size:
        cov = fit.vcov_matrix[np.ix_(idx, idx)]
        out[:, idx] = normal_draws(rng, theta[idx], cov, draws)
    return out


def monte_carlo_ci(
    fit: SEMResult,
    *,
    draws: int = 20000,
    level: float = 0.95,
    seed: SeedLike = None,
) -> pd.DataFrame:
    """Monte Carlo confidence intervals of the defined (``:=``) parameters.

    Parameters
    ----------
    fit : SEMResult
        A fitted model with at least one ``:=`` parameter.
    draws : int
        Number of Monte Carlo draws (semTools' ``nRep``, default 20000).
    level : float
        Confidence level.
    seed : int, numpy Generator or None
        Seed of the draws.

    Returns
    -------
    pandas.DataFrame
        One row per defined parameter: ``lhs op rhs label est se ci_lower ci_upper draws``;
        ``est`` at the estimates, ``se`` the SD of the Monte Carlo values, ``draws`` the
        number of finite values used.

    Raises
    ------
    OptionError
        ``draws < 2`` or a level outside (0, 1).
    SpecificationError
        The model defines no parameter.

    Warns
    -----
    DroppedDataWarning
        When some draws give a non-finite value (e.g. ``sqrt`` of a negative draw); they
        are left out, as semTools does with ``na.rm = TRUE``, and counted.

    Notes
    -----
    ``theta* ~ N(theta_hat, V)`` with ``V = fit.vcov_matrix`` (the sandwich under MLR); for
    each draw ``f(theta*)`` is evaluated and the interval is the sample quantiles at
    ``(1 - level)/2`` and ``(1 + level)/2`` with linear interpolation (R's ``quantile`` type
    7). Only the parameters named in the expressions are drawn, as in semTools.

    References
    ----------
    MacKinnon, D. P., Lockwood, C. M. & Williams, J. (2004). Confidence limits for the
    indirect effect. Multivariate Behavioral Research, 39, 99-128.
    Preacher, K. J. & Selig, J. P. (2012). Advantages of Monte Carlo confidence intervals
    for indirect effects. Communication Methods and Measures, 6, 77-98.

    Examples
    --------
    Mirrors semTools' ``monteCarloCI(fit, nRep = 20000)``:

    >>> import synergy_stats as ss  # doctest: +SKIP
    >>> ss.monte_carlo_ci(fit, seed=1)  # doctest: +SKIP
    """
    check_arguments(monte_carlo_ci, locals())
    import pandas as pd

    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 2:
        raise OptionError(f"draws={draws!r} is not accepted; use an int of at least 2")
    if not isinstance(level, float | int) or not 0 < float(level) < 1:
        raise OptionError(f"level={level!r} must lie strictly between 0 and 1")
    defined = fit.spec.defined
    if not defined:
        raise SpecificationError(
            "the model defines no parameter (':='); Monte Carlo intervals are for defined "
            "parameters such as an indirect effect 'ind := a*b'"
        )
    _require_vcov(fit, "monte_carlo_ci()")
    used = _used_parameters(fit)
    theta_draws = normal_theta_draws(fit, int(draws), seed, columns=used)
    with np.errstate(all="ignore"):
        values = np.asarray(fit.defined_values(theta_draws), dtype=float)
    est = np.asarray(fit.defined_values(), dtype=float)
    probs = [(1 - float(level)) / 2, (1 + float(level)) / 2]
    rows = []
    n_bad_total = 0
    for j, d in enumerate(defined):
        v = values[:, j]
        ok = np.isfinite(v)
        n_bad_total += int((~ok).sum())
        vv = v[ok]
        lo, hi = np.quantile(vv, probs) if vv.size else (np.nan, np.nan)
        sd = float(vv.std(ddof=1)) if vv.size > 1 else np.nan
        rows.append((d.name, ":=", d.expression, d.name, est[j], sd, lo, hi, int(vv.size)))
    if n_bad_total:
        warnings.warn(
            f"{n_bad_total} Monte Carlo value(s) were not finite and were left out",
            DroppedDataWarning,
            stacklevel=2,
        )
    frame = pd.DataFrame(
        rows,
        columns=["lhs", "op", "rhs", "label", "est", "se", "ci_lower", "ci_upper", "draws"],
    )
    frame.attrs.update({"method": "montecarlo", "level": float(level), "draws": int(draws)})
    return frame


def _require_vcov(fit: SEMResult, what: str) -> None:
    """Refuse a fit without a usable covariance matrix of the estimates."""
    if not np.isfinite(fit.vcov_matrix).all():
        raise OptionError(
            f"{what} needs the covariance matrix of the estimates, but this fit has none "
            "(fitted with se=False, or its information matrix is singular); refit with "
            "se=True or use bootstrap intervals"
        )


def _used_parameters(fit: SEMResult) -> np.ndarray:
    """Free-parameter indices referred to (through labels) by the defined parameters."""
    labels: set[str] = set()
    for d in fit.defined_parameters:
        labels.update(d.labels)
    lab_free = fit.partable.labels_to_free()
    return np.array(sorted({lab_free[lab] - 1 for lab in labels if lab in lab_free}), dtype=int)
