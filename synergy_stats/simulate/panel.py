"""The panel data-generating process of the synergy execution model.

Three layers, each in its own function so that power analysis can reuse them:

1. :func:`simulate_latent_panel`: construct scores per person and wave, from department
   random effects, person random intercepts and a within-person process with within-wave
   structural paths (motivation -> mechanism -> process -> results), autoregression and
   lagged feedback (results(t) -> mechanism(t+1), results(t) -> process(t+1)).
2. :func:`simulate_item_responses`: first-order factors loading on the top-level constructs,
   items loading on the first-order factors, discretised into response codes with fixed
   thresholds (measurement invariant across waves), reverse-keyed items reversed.
3. :func:`residual_variances`: the innovation variances that give each construct a chosen
   variance at every wave, so path values keep their meaning as standardised effects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from synergy_stats._typing import SeedLike, make_rng
from synergy_stats.errors import OptionError

if TYPE_CHECKING:
    from synergy_stats.instrument import Instrument

__all__ = [
    "DEFAULT_THRESHOLDS",
    "MeasurementParameters",
    "PanelDGP",
    "discretise",
    "draw_measurement",
    "path_matrices",
    "residual_variances",
    "simulate_item_responses",
    "simulate_latent_panel",
]

#: Latent thresholds between the five response codes before the item-specific shift:
#: with a standard normal response tendency they give about 7%, 16%, 27%, 33%, 17% for
#: codes 1..5 (a mild lean to agreement, as in staff surveys).
DEFAULT_THRESHOLDS: tuple[float, ...] = (-1.5, -0.75, 0.0, 0.95)


@dataclass(frozen=True)
class PanelDGP:
    r"""Parameters of the latent panel process.

    Every construct score is the sum of three independent parts,
    :math:`\eta_{cit} = u_{cj} + b_{ci} + w_{cit} + \tau (t - 1)`: a department effect
    :math:`u` (variance ``icc``), a stable person effect (random intercept) :math:`b`
    (variance ``person_share``) and a within-person part :math:`w` (variance
    ``1 - icc - person_share`` at every wave), plus a common linear trend :math:`\tau`.

    The within-person part follows, with :math:`B` the within-wave paths and :math:`A`
    the lagged effects (``autoregression`` on the diagonal, ``feedback`` off it),

    .. math:: w_t = B w_t + A w_{t-1} + \zeta_t, \qquad
              \zeta_t \sim N(0, \operatorname{diag}(\psi_t)),

    with :math:`\psi_t` chosen by :func:`residual_variances`. The department and person
    parts follow the same within-wave paths :math:`B` (without lags), so the structure holds
    at every level.

    Parameters
    ----------
    constructs : tuple of str
        Construct ids in causal order (each path goes from an earlier to a later one).
    paths : tuple of (source, target, value)
        Within-wave structural paths.
    autoregression : float
        Within-person stability of every construct from one wave to the next.
    feedback : tuple of (source, target, value)
        Lag-1 cross-lagged effects, e.g. results(t) -> mechanism(t+1).
    icc : float
        Share of each construct's variance between departments.
    person_share : float
        Share of stable between-person variance (random intercepts).
    trend : float
        Change of every construct mean per wave.
    """

    constructs: tuple[str, ...] = ("motivation", "mechanism", "process", "results")
    paths: tuple[tuple[str, str, float], ...] = (
        ("motivation", "mechanism", 0.45),
        ("mechanism", "process", 0.45),
        ("process", "results", 0.40),
        ("motivation", "process", 0.20),
        ("mechanism", "results", 0.20),
    )
    autoregression: float = 0.35
    feedback: tuple[tuple[str, str, float], ...] = (
        ("results", "mechanism", 0.18),
        ("results", "process", 0.15),
    )
    icc: float = 0.12
    person_share: float = 0.35
    trend: float = 0.05

    def __post_init__(self) -> None:
        names = self.constructs
        if len(set(names)) != len(names) or not names:
            raise OptionError(f"constructs={names!r} must be distinct construct ids")
        for label, table in (("paths", self.paths), ("feedback", self.feedback)):
            for entry in table:
                if len(entry) != 3 or entry[0] not in names or entry[1] not in names:
                    raise OptionError(
                        f"{label} entry {entry!r} must be (source, target, value) with source "
                        f"and target among {names!r}"
                    )
        for src, dst, _ in self.paths:
            if names.index(src) >= names.index(dst):
                raise OptionError(
                    f"path {src!r} -> {dst!r} goes against the causal order {names!r}; list "
                    "constructs so that every within-wave path runs forward"
                )
        shares = (self.icc, self.person_share)
        if any(not 0 <= s < 1 for s in shares) or self.icc + self.person_share >= 1:
            raise OptionError(
                f"icc={self.icc!r} and person_share={self.person_share!r} must be shares in "
                "[0, 1) that add up to less than 1"
            )

    @property
    def within_share(self) -> float:
        """Variance share of the within-person part, ``1 - icc - person_share``."""
        return 1.0 - self.icc - self.person_share


def path_matrices(dgp: PanelDGP) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(B, A)``: within-wave paths and lag-1 effects, ``M[target, source]``."""
    idx = {c: k for k, c in enumerate(dgp.constructs)}
    k = len(idx)
    b = np.zeros((k, k))
    a = np.eye(k) * dgp.autoregression
    for src, dst, value in dgp.paths:
        b[idx[dst], idx[src]] = value
    for src, dst, value in dgp.feedback:
        a[idx[dst], idx[src]] = value
    return b, a


def residual_variances(
    b: np.ndarray,
    target: np.ndarray,
    *,
    a: np.ndarray | None = None,
    previous: np.ndarray | None = None,
) -> np.ndarray:
    r"""Innovation variances that give each variable its target variance.

    Parameters
    ----------
    b : (k, k) array
        Within-wave paths ``b[target, source]``, strictly lower triangular.
    target : (k,) array
        Wanted variances.
    a : (k, k) array, optional
        Lagged effects; with ``previous`` the covariance of the previous wave.
    previous : (k, k) array, optional
        Covariance matrix of the variables at the previous wave.

    Returns
    -------
    numpy.ndarray
        :math:`\psi` with :math:`\operatorname{diag}(M (A \Sigma_{t-1} A' +
        \operatorname{diag}\psi) M') = ` ``target``, :math:`M = (I - B)^{-1}`.

    Raises
    ------
    OptionError
        If the paths alone already explain more than the target variance.

    Notes
    -----
    Since :math:`B` is strictly lower triangular, :math:`M` is unit lower triangular and
    :math:`\psi_k = v_k - [M C M']_{kk} - \sum_{j<k} M_{kj}^2 \psi_j`, solved in order.
    """
    k = len(target)
    m = np.linalg.inv(np.eye(k) - b)
    c = np.zeros((k, k)) if a is None or previous is None else a @ previous @ a.T
    base = m @ c @ m.T
    psi = np.zeros(k)
    for i in range(k):
        psi[i] = target[i] - base[i, i] - float(np.sum(m[i, :i] ** 2 * psi[:i]))
        if psi[i] <= 0:
            raise OptionError(
                f"the paths into variable {i} explain more than its variance {target[i]:.3f}; "
                "use smaller path, autoregression or feedback values"
            )
    return psi


def simulate_latent_panel(
    dgp: PanelDGP,
    departments: Sequence[int] | np.ndarray,
    waves: int,
    *,
    seed: SeedLike = None,
) -> dict[str, np.ndarray]:
    """Simulate construct scores for every person at every wave.

    Parameters
    ----------
    dgp : PanelDGP
        The process parameters.
    departments : sequence of int
        Department code (0..J-1) of each person.
    waves : int
        Number of waves.
    seed : int, numpy Generator or None
        Random seed.

    Returns
    -------
    dict of str -> (n_persons, waves) array
        One array per construct of ``dgp.constructs``.

    Examples
    --------
    Plays the part of ``simsem::sim()`` or ``powRICLPM``'s data generation.

    >>> out = simulate_latent_panel(PanelDGP(), [0, 0, 1], 3, seed=1)
    >>> out["results"].shape
    (3, 3)
    """
    rng = make_rng(seed)
    dept = np.asarray(departments, dtype=np.int64)
    if dept.ndim != 1 or (dept.size and dept.min() < 0):
        raise OptionError("departments must be a 1-d sequence of codes 0..J-1")
    if isinstance(waves, bool) or not isinstance(waves, int | np.integer) or waves < 1:
        raise OptionError(f"waves={waves!r} is not accepted; use an int >= 1")
    b, a = path_matrices(dgp)
    k = len(dgp.constructs)
    m = np.linalg.inv(np.eye(k) - b)
    n = dept.size
    n_dept = int(dept.max()) + 1 if n else 0

    def level(share: float, size: int) -> np.ndarray:
        if share == 0 or size == 0:
            return np.zeros((size, k))
        psi = residual_variances(b, np.full(k, share))
        z = rng.standard_normal((size, k)) * np.sqrt(psi)
        return np.asarray(z @ m.T)

    u = level(dgp.icc, n_dept)[dept] if n else np.zeros((0, k))
    person = level(dgp.person_share, n)
    within = np.zeros((n, waves, k))
    target = np.full(k, dgp.within_share)
    sigma: np.ndarray | None = None
    for t in range(waves):
        psi = residual_variances(b, target, a=a, previous=sigma)
        z = rng.standard_normal((n, k)) * np.sqrt(psi)
        lagged = within[:, t - 1, :] @ a.T if t > 0 else np.zeros((n, k))
        within[:, t, :] = (lagged + z) @ m.T
        c = np.zeros((k, k)) if sigma is None else a @ sigma @ a.T
        sigma = m @ (c + np.diag(psi)) @ m.T
    total = u[:, None, :] + person[:, None, :] + within
    total += dgp.trend * np.arange(waves)[None, :, None]
    return {c: total[:, :, j] for j, c in enumerate(dgp.constructs)}


@dataclass(frozen=True)
class MeasurementParameters:
    """Measurement model used by :func:`simulate_item_responses` (same at every wave).

    Parameters
    ----------
    component_loadings : Mapping[str, float]
        Loading of each non-top-level construct on its parent (first-order factors on
        their second-order construct or block).
    item_loadings : Mapping[str, float]
        Loading of each item on its first-order factor.
    thresholds : Mapping[str, tuple of float]
        The latent thresholds of each item (ascending; ``points - 1`` values).
    """

    component_loadings: Mapping[str, float]
    item_loadings: Mapping[str, float]
    thresholds: Mapping[str, tuple[float, ...]]


def draw_measurement(
    instrument: Instrument,
    *,
    seed: SeedLike = None,
    item_loading_range: tuple[float, float] = (0.65, 0.85),
    component_loading_range: tuple[float, float] = (0.70, 0.85),
    fixed_component_loadings: Mapping[str, float] | None = None,
    base_thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    threshold_shift_sd: float = 0.2,
) -> MeasurementParameters:
    """Draw loadings and thresholds for an instrument's items (once, for all waves).

    Parameters
    ----------
    instrument : Instrument
        The instrument whose constructs and items are simulated.
    seed : int, numpy Generator or None
        Random seed.
    item_loading_range, component_loading_range : (low, high)
        Uniform ranges of item and first-order factor loadings.
    fixed_component_loadings : Mapping[str, float], optional
        Loadings that are not drawn, e.g. ``{"implementation_gap": -0.6}`` for a factor
        that runs against its block.
    base_thresholds : sequence of float
        Thresholds for a scale with ``len(base_thresholds) + 1`` points; other scales get
        equally spaced normal quantiles.
    threshold_shift_sd : float
        SD of the item-specific shift of all thresholds (item difficulty).

    Returns
    -------
    MeasurementParameters
    """
    from statistics import NormalDist

    rng = make_rng(seed)
    fixed = dict(fixed_component_loadings or {})
    top = set(instrument.top_level())
    comp: dict[str, float] = {}
    for cid in instrument.constructs:
        if cid in top:
            continue
        drawn = float(rng.uniform(*component_loading_range))
        comp[cid] = fixed.get(cid, drawn)
    loads: dict[str, float] = {}
    thresholds: dict[str, tuple[float, ...]] = {}
    for item in instrument.items:
        loads[item.id] = float(rng.uniform(*item_loading_range))
        points = instrument.scales[item.scale].points
        if points == len(base_thresholds) + 1:
            base = np.asarray(base_thresholds, dtype=float)
        else:
            base = np.array([NormalDist().inv_cdf(q / points) for q in range(1, points)])
        shift = float(rng.normal(0.0, threshold_shift_sd))
        thresholds[item.id] = tuple(float(v) for v in base + shift)
    return MeasurementParameters(comp, loads, thresholds)


def discretise(y_star: np.ndarray, thresholds: Sequence[float], minimum: int = 1) -> np.ndarray:
    """Return integer codes: ``minimum`` plus the number of thresholds below ``y_star``."""
    return minimum + np.searchsorted(np.asarray(thresholds), y_star, side="left")


def simulate_item_responses(
    latent: Mapping[str, np.ndarray],
    instrument: Instrument,
    measurement: MeasurementParameters,
    *,
    seed: SeedLike = None,
) -> dict[str, np.ndarray]:
    r"""Simulate item codes from top-level construct scores.

    Parameters
    ----------
    latent : Mapping[str, array]
        Scores of every top-level construct of ``instrument`` (any common shape, e.g.
        persons x waves), as returned by :func:`simulate_latent_panel`.
    instrument : Instrument
        The instrument.
    measurement : MeasurementParameters
        Loadings and thresholds (:func:`draw_measurement`).
    seed : int, numpy Generator or None
        Random seed.

    Returns
    -------
    dict of item id -> int array
        Raw codes as a respondent would give them: reverse-keyed items are reversed
        (``minimum + maximum - x``).

    Notes
    -----
    A component construct :math:`f` of a parent :math:`c` is
    :math:`\eta_f = \lambda_f \eta_c + \sqrt{1 - \lambda_f^2}\,\zeta_f`; an item is
    :math:`y^*_j = \lambda_j \eta_f + \sqrt{1 - \lambda_j^2}\,\varepsilon_j`, cut at the
    item's thresholds. Loadings and thresholds do not change across waves.
    """
    rng = make_rng(seed)
    missing = [c for c in instrument.top_level() if c not in latent]
    if missing:
        raise OptionError(
            f"latent scores lack the top-level constructs {missing!r} of instrument "
            f"{instrument.id!r}"
        )
    scores: dict[str, np.ndarray] = {}
    order: list[str] = list(instrument.top_level())
    for c in order:
        scores[c] = np.asarray(latent[c], dtype=float)
    queue = list(order)
    while queue:
        cid = queue.pop(0)
        for child in instrument.constructs[cid].components:
            lam = measurement.component_loadings[child]
            parent = scores[cid]
            noise = rng.standard_normal(parent.shape)
            scores[child] = lam * parent + np.sqrt(max(1.0 - lam**2, 0.0)) * noise
            queue.append(child)
    out: dict[str, np.ndarray] = {}
    for item in instrument.items:
        factor = scores[item.construct]
        lam = measurement.item_loadings[item.id]
        y = lam * factor + np.sqrt(max(1.0 - lam**2, 0.0)) * rng.standard_normal(factor.shape)
        sc = instrument.scales[item.scale]
        codes = discretise(y, measurement.thresholds[item.id], sc.minimum)
        if item.reverse:
            codes = sc.minimum + sc.maximum - codes
        out[item.id] = codes.astype(np.int64)
    return out
