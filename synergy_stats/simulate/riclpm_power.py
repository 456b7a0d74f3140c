"""Monte Carlo power of the random-intercept cross-lagged panel model, as R's powRICLPM.

:func:`power_riclpm` builds the population RI-CLPM of Hamaker, Kuiper & Grasman (2015) in
the parametrisation of powRICLPM (Mulder 2023): standardised within-person components
(variance 1, within-wave correlation ``within_correlation`` at wave 1, innovation
covariance ``Psi = Sigma - A Sigma A'`` so the process is stationary) and random intercepts
holding the share ``ri_share`` of each construct's variance. Each replication is fitted
with the package's own RI-CLPM specification
(:func:`synergy_stats.panel.models.riclpm_syntax`), and the study reports the power of
every lagged effect and of the feedback test (the Wald test and the likelihood-ratio test
of the model with every ``source -> target`` cross-lag fixed at 0, as
:func:`synergy_stats.feedback_test`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from synergy_stats._typing import SeedLike, check_arguments
from synergy_stats.errors import OptionError
from synergy_stats.inference.progress import ProgressLike
from synergy_stats.panel.reshape import DEFAULT_SEP
from synergy_stats.panel.simulate import lag_matrix
from synergy_stats.simulate.power import LRT, PowerResult, Wald, power
from synergy_stats.structural.spec import ModelSpec, Modifier

__all__ = [
    "feedback_labels",
    "feedback_power_analytic",
    "power_riclpm",
    "riclpm_population_syntax",
]


def _corr(k: int, r: float) -> np.ndarray:
    m = np.full((k, k), float(r))
    np.fill_diagonal(m, 1.0)
    return m


def riclpm_population_syntax(
    constructs: Sequence[str],
    waves: int,
    A: np.ndarray,
    *,
    ri_share: float,
    ri_correlation: float,
    within_correlation: float,
    sep: str = DEFAULT_SEP,
) -> str:
    """Lavaan syntax of the population RI-CLPM with every value written in.

    Raises
    ------
    OptionError
        Lags too strong for a stationary process (``Sigma - A Sigma A'`` not positive
        definite), or shares/correlations out of range.
    """
    k = len(constructs)
    if not 0 <= ri_share < 1:
        raise OptionError(f"ri_share={ri_share!r} must lie in [0, 1)")
    sigma = _corr(k, within_correlation)
    psi = sigma - A @ sigma @ A.T
    if np.linalg.eigvalsh((psi + psi.T) / 2).min() <= 0:
        raise OptionError(
            "the lags are too strong for a stationary process with this within correlation "
            "(Sigma - A Sigma A' is not positive definite); use smaller lags"
        )
    ri_var = ri_share / (1 - ri_share)
    phi = ri_var * _corr(k, ri_correlation)
    if ri_share > 0 and np.linalg.eigvalsh(phi).min() <= 0:
        raise OptionError(f"ri_correlation={ri_correlation!r} is not a valid correlation")
    lines = []
    for c in constructs:
        lines.append(f"RI_{c} =~ " + " + ".join(f"1*{c}{sep}{t}" for t in range(1, waves + 1)))
    for c in constructs:
        for t in range(1, waves + 1):
            lines.append(f"w_{c}{sep}{t} =~ 1*{c}{sep}{t}")
            lines.append(f"{c}{sep}{t} ~~ 0*{c}{sep}{t}")
    for t in range(2, waves + 1):
        for i, tgt in enumerate(constructs):
            rhs = " + ".join(
                f"{float(A[i, j])!r}*w_{src}{sep}{t - 1}" for j, src in enumerate(constructs)
            )
            lines.append(f"w_{tgt}{sep}{t} ~ {rhs}")
    for t in range(1, waves + 1):
        cov = sigma if t == 1 else psi
        for i, a in enumerate(constructs):
            for j in range(i, k):
                b = constructs[j]
                lines.append(f"w_{a}{sep}{t} ~~ {float(cov[i, j])!r}*w_{b}{sep}{t}")
    for i, a in enumerate(constructs):
        for j in range(i, k):
            lines.append(f"RI_{a} ~~ {float(phi[i, j])!r}*RI_{constructs[j]}")
    return "\n".join(lines)


def feedback_labels(spec: ModelSpec, source: str, targets: Sequence[str], sep: str) -> list[str]:
    """Labels of the ``source -> target`` cross-lags of an RI-CLPM specification."""
    out: list[str] = []
    for s in spec.statements:
        if s.op != "~" or not s.modifier.labels:
            continue
        for tgt in targets:
            if s.lhs.startswith(f"w_{tgt}{sep}") and s.rhs.startswith(f"w_{source}{sep}"):
                lab = s.modifier.labels[0]
                if lab and lab not in out:
                    out.append(lab)
    return out


def _design(
    constructs: Sequence[str],
    waves: int,
    lags: Mapping[tuple[str, str], float] | np.ndarray,
    *,
    autoregression: float,
    ri_share: float,
    ri_correlation: float,
    within_correlation: float,
    feedback_source: str,
    feedback_targets: Sequence[str] | None,
    time_invariant: bool,
) -> dict[str, Any]:
    """Check a design; build its population syntax, analysis and restricted models."""
    from synergy_stats.panel.models import riclpm_syntax

    if isinstance(waves, bool) or not isinstance(waves, int) or waves < 3:
        raise OptionError(f"waves={waves!r} must be an integer of at least 3 for an RI-CLPM")
    cons = list(constructs)
    if len(cons) < 2 or len(set(cons)) != len(cons):
        raise OptionError(f"constructs={constructs!r} must name two or more distinct constructs")
    if feedback_source not in cons:
        raise OptionError(f"feedback_source={feedback_source!r} is not one of {cons}")
    targets_fb = (
        [c for c in cons if c != feedback_source]
        if feedback_targets is None
        else list(feedback_targets)
    )
    bad = [c for c in targets_fb if c not in cons or c == feedback_source]
    if bad or not targets_fb:
        raise OptionError(
            f"feedback_targets={feedback_targets!r}: give constructs other than the source "
            f"from {cons}"
        )
    A = lag_matrix(cons, lags, autoregression=autoregression)
    sep = DEFAULT_SEP
    pop_syntax = riclpm_population_syntax(
        cons,
        waves,
        A,
        ri_share=ri_share,
        ri_correlation=ri_correlation,
        within_correlation=within_correlation,
        sep=sep,
    )
    spec = riclpm_syntax(cons, waves, time_invariant=time_invariant, sep=sep)
    fb = feedback_labels(spec, feedback_source, targets_fb, sep)
    zero = Modifier(fixed=(0.0,))

    def restrict(st: Any) -> Any:
        labs = st.modifier.labels
        return replace(st, modifier=zero) if st.op == "~" and labs and labs[0] in fb else st

    restricted = ModelSpec(tuple(restrict(st) for st in spec.statements))
    lag_labels: list[str] = []
    for st in spec.statements:
        if st.op == "~" and st.modifier.labels and st.modifier.labels[0] not in lag_labels:
            lag_labels.append(str(st.modifier.labels[0]))
    return {
        "constructs": cons,
        "population": pop_syntax,
        "spec": spec,
        "restricted": restricted,
        "feedback": fb,
        "lags": lag_labels,
        "A": A,
    }


def feedback_power_analytic(
    n: int | Sequence[int],
    *,
    lags: Mapping[tuple[str, str], float] | np.ndarray,
    constructs: Sequence[str] = ("mechanism", "results"),
    waves: int = 3,
    autoregression: float = 0.4,
    ri_share: float = 0.5,
    ri_correlation: float = 0.3,
    within_correlation: float = 0.3,
    feedback_source: str = "results",
    feedback_targets: Sequence[str] | None = None,
    time_invariant: bool = False,
    alpha: float = 0.05,
    power: float = 0.8,
) -> dict[str, Any]:
    """Asymptotic power of the feedback likelihood-ratio test (Satorra & Saris 1985).

    The restricted model (feedback cross-lags fixed at 0) fitted to the population moments
    leaves a discrepancy ``F0``; in a sample of ``n`` its likelihood-ratio statistic is
    approximately non-central chi-square with ``df`` = number of restrictions and
    non-centrality ``n F0``. Parameters as :func:`power_riclpm`.

    Returns
    -------
    dict
        ``table`` (``n, ncp, df, power``), ``n_required`` (smallest n with the wanted
        ``power``), ``f0`` and ``df``.
    """
    import math

    import pandas as pd
    from scipy.optimize import brentq
    from scipy.stats import chi2, ncx2

    from synergy_stats.simulate.data import population
    from synergy_stats.simulate.power import _compile_analysis, _population_fmin

    design = _design(
        constructs,
        waves,
        lags,
        autoregression=autoregression,
        ri_share=ri_share,
        ri_correlation=ri_correlation,
        within_correlation=within_correlation,
        feedback_source=feedback_source,
        feedback_targets=feedback_targets,
        time_invariant=time_invariant,
    )
    if not 0 < power < 1:
        raise OptionError(f"power={power!r} must lie strictly between 0 and 1")
    pop = population(design["population"])
    opts = {"meanstructure": True, "auto": False}
    full = _compile_analysis(design["spec"], pop, opts, fast_ok=True)
    rest = _compile_analysis(design["restricted"], pop, opts, fast_ok=True)
    f0 = _population_fmin(rest, pop)
    df = full.pt.npar - rest.pt.npar
    crit = float(chi2.isf(alpha, df))
    grid = [int(n)] if isinstance(n, int | np.integer) else [int(v) for v in n]
    rows = []
    for size in grid:
        ncp = size * f0
        rows.append({"n": size, "ncp": ncp, "df": df, "power": float(ncx2.sf(crit, df, ncp))})
    lam = brentq(lambda lam: float(ncx2.sf(crit, df, lam)) - power, 1e-9, 1e4)
    n_req = math.ceil(lam / f0) if f0 > 0 else math.inf
    return {"table": pd.DataFrame(rows), "n_required": n_req, "f0": f0, "df": df}


def power_riclpm(
    n: int | Sequence[int],
    *,
    lags: Mapping[tuple[str, str], float] | np.ndarray,
    constructs: Sequence[str] = ("mechanism", "results"),
    waves: int = 3,
    autoregression: float = 0.4,
    ri_share: float = 0.5,
    ri_correlation: float = 0.3,
    within_correlation: float = 0.3,
    attrition: float = 0.0,
    feedback_source: str = "results",
    feedback_targets: Sequence[str] | None = None,
    time_invariant: bool = False,
    replications: int = 1000,
    alpha: float = 0.05,
    seed: SeedLike = None,
    n_jobs: int = 1,
    client: Any = None,
    progress: ProgressLike = None,
    checkpoint: str | Path | None = None,
    chunk_size: int | None = None,
) -> PowerResult:
    """Power of every lag and of the feedback test of an RI-CLPM, as powRICLPM.

    Parameters
    ----------
    n : int or sequence of int
        Persons (the sample-size grid).
    lags : mapping or (k, k) array
        Within-person lagged effects ``{(source, target): value}`` (see
        :func:`synergy_stats.panel.simulate.lag_matrix`; missing autoregressions take
        ``autoregression``), standardised as powRICLPM's ``Phi`` (rows outcomes, columns
        predictors).
    constructs : sequence of str
        Construct names (their columns are ``<construct>_w<t>``).
    waves : int
        Number of waves (at least 3: the random intercepts need them).
    autoregression : float
        Autoregression of constructs with no ``(c, c)`` entry in ``lags``.
    ri_share : float
        Share of each construct's variance due to its random intercept (powRICLPM's
        ``ICC``).
    ri_correlation, within_correlation : float
        Correlation of the random intercepts, and of the within-person components at wave
        1 (powRICLPM's ``RI_cor`` and ``within_cor``).
    attrition : float
        Probability of leaving before each later wave (monotone, completely at random);
        with attrition the replications are fitted by FIML.
    feedback_source : str
        The construct whose cross-lags form the feedback test (default ``"results"``).
    feedback_targets : sequence of str, optional
        Its targets (default: every other construct).
    time_invariant : bool
        Fit one label per lag over waves (False: every wave's lag free, powRICLPM's
        ``constraints = "none"``).
    replications, alpha, seed, n_jobs, client, progress, checkpoint, chunk_size
        As :func:`synergy_stats.power`.

    Returns
    -------
    PowerResult
        Targets: every lag label of the fitted model (``ar_<c>_<t>``, ``cl_<src>_<tgt>_<t>``
        or without ``_<t>`` when time-invariant), ``feedback_wald`` (joint Wald test) and
        ``feedback_lrt`` (likelihood-ratio test against the model with those cross-lags
        fixed at 0).

    Raises
    ------
    OptionError
        Fewer than three waves, unknown constructs, lags too strong for stationarity.

    References
    ----------
    Mulder, J. D. (2023). Power analysis for the random intercept cross-lagged panel model
    using the powRICLPM R-package. Structural Equation Modeling, 30, 645-658.
    Hamaker, E. L., Kuiper, R. M. & Grasman, R. P. P. P. (2015). A critique of the
    cross-lagged panel model. Psychological Methods, 20, 102-116.

    Examples
    --------
    Like ``powRICLPM(sample_size = c(500, 1000), time_points = 3, ICC = .5, RI_cor = .3,
    Phi = Phi, within_cor = .3, reps = 1000)``:

    >>> import synergy_stats as ss  # doctest: +SKIP
    >>> res = ss.power_riclpm([500, 1000], lags={("results", "mechanism"): 0.15},
    ...                       replications=1000, seed=1)  # doctest: +SKIP
    >>> res.table().query("target == 'feedback_lrt'")  # doctest: +SKIP
    """
    check_arguments(power_riclpm, locals())
    design = _design(
        constructs,
        waves,
        lags,
        autoregression=autoregression,
        ri_share=ri_share,
        ri_correlation=ri_correlation,
        within_correlation=within_correlation,
        feedback_source=feedback_source,
        feedback_targets=feedback_targets,
        time_invariant=time_invariant,
    )
    if not 0 <= attrition < 1:
        raise OptionError(f"attrition={attrition!r} must lie in [0, 1)")
    cons, sep, fb = design["constructs"], DEFAULT_SEP, design["feedback"]
    pop_syntax, spec, restricted = design["population"], design["spec"], design["restricted"]
    lag_labels = design["lags"]
    data_options: dict[str, Any] = {}
    fit_options: dict[str, Any] = {"meanstructure": True, "auto": False}
    if attrition > 0:
        blocks = [[f"{c}{sep}{t}" for c in cons] for t in range(2, waves + 1)]
        data_options["missing"] = {"rule": "monotone", "rate": attrition, "blocks": blocks}
        fit_options["missing"] = "fiml"
    targets: list[Any] = [
        *lag_labels,
        Wald("feedback_wald", tuple(fb)),
        LRT("feedback_lrt", restricted),
    ]
    return power(
        pop_syntax,
        n,
        analysis=spec,
        targets=targets,
        replications=replications,
        alpha=alpha,
        seed=seed,
        n_jobs=n_jobs,
        client=client,
        progress=progress,
        checkpoint=checkpoint,
        chunk_size=chunk_size,
        fit_options=fit_options,
        data_options=data_options,
    )
