"""Power curves of a :class:`~synergy_stats.simulate.power.PowerResult` (matplotlib, lazy)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from synergy_stats._typing import check_arguments
from synergy_stats.errors import OptionError

if TYPE_CHECKING:
    from synergy_stats.simulate.power import PowerResult

__all__ = ["plot_power"]


def plot_power(
    result: PowerResult,
    *,
    targets: Sequence[str] | None = None,
    power: float | None = 0.8,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Draw power against sample size, one line per target, with Monte Carlo error bars.

    Parameters
    ----------
    result : PowerResult
        A study from :func:`synergy_stats.power` or :func:`synergy_stats.power_riclpm`.
    targets : sequence of str, optional
        Targets to draw (default: every target with a power value).
    power : float or None
        Draw a dashed reference line at this power (None: none).
    ax : matplotlib Axes, optional
        Draw into these axes (default: a new figure).
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (``fig.savefig("power.png")`` to write it).

    Raises
    ------
    OptionError
        ``result`` is not a PowerResult, or an unknown target.

    Notes
    -----
    Error bars are +-1.96 Monte Carlo standard errors ``sqrt(p (1 - p) / R)``.

    Examples
    --------
    Like powRICLPM's ``plot(out, parameter = "wB2~wA1")`` or simsem's ``plotPower``:

    >>> import synergy_stats as ss  # doctest: +SKIP
    >>> fig = ss.plot_power(res)  # doctest: +SKIP
    >>> fig.savefig("power.png", dpi=150)  # doctest: +SKIP
    """
    check_arguments(plot_power, locals())
    from synergy_stats.simulate.power import PowerResult

    if not isinstance(result, PowerResult):
        raise OptionError(
            f"result={type(result).__name__} is not accepted; give a PowerResult from ss.power"
        )
    if ax is None:
        from matplotlib.figure import Figure  # no pyplot: works without a display

        fig = Figure(figsize=(6.4, 4.2), layout="constrained")
        ax = fig.subplots()
    elif not hasattr(ax, "errorbar") or getattr(ax, "figure", None) is None:
        raise OptionError(f"ax={ax!r} is not accepted; give a matplotlib Axes or None")
    else:
        fig = ax.figure
    tab = result.table()
    names = (
        list(targets)
        if targets is not None
        else [t for t in result.targets if tab.loc[tab["target"] == t, "power"].notna().any()]
    )
    unknown = [t for t in names if t not in result.targets]
    if unknown:
        raise OptionError(
            f"targets {unknown} are not in the result; targets: {list(result.targets)}"
        )
    for t in names:
        sub = tab[tab["target"] == t].sort_values("n")
        n = sub["n"].to_numpy(dtype=float)
        pw = sub["power"].to_numpy(dtype=float)
        err = 1.96 * sub["power_mcse"].to_numpy(dtype=float)
        ax.errorbar(n, pw, yerr=err, marker="o", ms=4, capsize=3, lw=1.4, label=t)
    if power is not None:
        ax.axhline(power, color="0.4", ls="--", lw=1)
    ax.axhline(result.alpha, color="0.75", ls=":", lw=1)
    ax.set_xlabel("sample size n")
    ax.set_ylabel("power")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(np.asarray(result.n, dtype=float))
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", frameon=False, loc="best")
    ax.set_title(
        title
        if title is not None
        else f"Monte Carlo power ({result.replications} replications, alpha = {result.alpha})",
        fontsize="medium",
    )
    return fig
