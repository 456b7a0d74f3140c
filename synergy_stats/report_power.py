"""Main-job step: whether this panel can detect a feedback lag of .15.

:func:`power_step` answers the question funders and ethics boards ask before the next wave:
the power of the feedback test (results(t) -> mechanism(t+1), the RI-CLPM of the panel step)
at the survey's number of respondents, and the number needed for 80% power. It designs the
study the panel step fits (three constructs, time-invariant lags, the survey's waves) with
a feedback lag of .15, and reports two figures that agree within Monte Carlo error:

* the **analytic (asymptotic) power** of the likelihood-ratio test, labelled as such: the
  non-central chi-square with non-centrality ``n F0`` (Satorra & Saris 1985), over a grid of
  n, and the n where it reaches 80%;
* a **Monte Carlo check** (:func:`synergy_stats.power_riclpm`, 200 seeded replications at
  the survey's n and at the n needed).

Attrition, measurement error in construct scores and department clustering are left out of
the design, so both figures are upper bounds for this survey.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synergy_stats.intake._common import markdown_table

if TYPE_CHECKING:
    from synergy_stats.report import ReportContext, Section

__all__ = ["DESIGN", "power_step"]

#: The design of the check: the constructs and feedback of the panel step, a feedback lag
#: of .15 (results -> mechanism; none to process), autoregression .35, random intercepts
#: holding 35% of the variance, within-wave correlation .3.
DESIGN: dict[str, Any] = {
    "constructs": ("mechanism", "process", "synergy_effect"),
    "lags": {("synergy_effect", "mechanism"): 0.15},
    "autoregression": 0.35,
    "ri_share": 0.35,
    "ri_correlation": 0.3,
    "within_correlation": 0.3,
    "feedback_source": "synergy_effect",
    "time_invariant": True,
}
MC_REPLICATIONS = 200
MC_SEED = 20261202
#: worker processes of the Monte Carlo check (each replication has its own seeded stream,
#: so the figures do not depend on it)
MC_JOBS = 2


def _fmt(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}"


def _plan(ctx: ReportContext) -> tuple[int, int, dict[str, Any]]:
    """The survey's n and waves and the analytic power over a grid of n."""
    from synergy_stats.simulate.riclpm_power import feedback_power_analytic

    survey = ctx.survey
    data = survey.data
    n_obs = int(data[survey.id].nunique()) if survey.id is not None else len(data)
    waves = int(data[survey.wave].nunique()) if survey.wave is not None else 3
    waves = max(waves, 3)
    grid = sorted({n_obs, *range(200, 2001, 100)})
    return n_obs, waves, feedback_power_analytic(grid, waves=waves, **DESIGN)


def _monte_carlo(ns: list[int], waves: int, n_jobs: int) -> Any:
    from synergy_stats.simulate.riclpm_power import power_riclpm

    return power_riclpm(
        ns, waves=waves, replications=MC_REPLICATIONS, seed=MC_SEED, n_jobs=n_jobs, **DESIGN
    )


def _prepare(ctx: ReportContext) -> None:
    """Start the Monte Carlo check at once: it needs only the survey's n and waves."""
    n_obs, waves, ana = _plan(ctx)
    ns = sorted({n_obs, int(ana["n_required"])})
    ctx.start_background("power_monte_carlo", _monte_carlo, ns, waves, 1)


def power_step(ctx: ReportContext) -> Section:
    """Power of the feedback test at the survey's n, and the n needed for 80%.

    Writes ``power_feedback.csv`` (analytic power over n, and the Monte Carlo check) and
    ``power_feedback.png`` (the curve). The Monte Carlo check starts before the first step
    (``power_step.prepare``) in a process of its own, while the other steps run; its
    replications are seeded one by one, so the figures do not depend on where it ran.
    """
    import numpy as np
    import pandas as pd
    from scipy.stats import chi2, ncx2

    from synergy_stats.report import Section

    n_obs, waves, ana = _plan(ctx)
    table = ana["table"]
    n_req = int(ana["n_required"])
    p_here = float(table.loc[table["n"] == n_obs, "power"].iloc[0])
    crit = float(chi2.isf(0.05, ana["df"]))
    p_req = float(ncx2.sf(crit, ana["df"], n_req * ana["f0"]))
    mc = ctx.take_background("power_monte_carlo")
    if mc is None:  # not prepared (a custom run)
        mc = _monte_carlo(sorted({n_obs, n_req}), waves, MC_JOBS)
    mtab = mc.table()
    lrt = mtab[mtab["target"] == "feedback_lrt"].set_index("n")
    lag = mtab[mtab["target"] == "cl_synergy_effect_mechanism"].set_index("n")
    mc_lrt = dict(zip(lrt.index.astype(int).tolist(), lrt["power"].tolist(), strict=True))
    mc_lag = dict(zip(lag.index.astype(int).tolist(), lag["power"].tolist(), strict=True))
    out = table.assign(method="analytic (asymptotic LRT)", power_mcse=np.nan)
    mc_rows = pd.DataFrame(
        {
            "n": lrt.index,
            "ncp": np.nan,
            "df": ana["df"],
            "power": lrt["power"].to_numpy(),
            "method": f"Monte Carlo LRT ({MC_REPLICATIONS} replications, seed {MC_SEED})",
            "power_mcse": lrt["power_mcse"].to_numpy(),
        }
    )
    out = pd.concat([out, mc_rows], ignore_index=True)[
        ["method", "n", "df", "ncp", "power", "power_mcse"]
    ]
    files = [ctx.write_csv("power_feedback.csv", out).name]
    files.append(_curve(ctx, table, lrt, n_obs, n_req))
    cannot = p_here < 0.8
    verdict = (
        f"**At n = {n_obs} this panel cannot reliably detect a feedback lag of .15**: the "
        f"feedback test has power {_fmt(p_here)} (analytic) and "
        f"{_fmt(mc_lrt[n_obs])} (Monte Carlo), below the conventional .80. "
        f"About n = {n_req} respondents per wave are needed for 80% power."
        if cannot
        else f"At n = {n_obs} the feedback test has power {_fmt(p_here)} (analytic) for a "
        f"lag of .15; n = {n_req} reaches 80%."
    )
    rows = [
        (
            f"{n_obs} (this survey)",
            _fmt(p_here),
            _fmt(mc_lrt[n_obs]),
            _fmt(mc_lag[n_obs]),
        ),
        (
            f"{n_req} (needed for .80)",
            _fmt(p_req),
            _fmt(mc_lrt[n_req]),
            _fmt(mc_lag[n_req]),
        ),
    ]
    body = "\n\n".join(
        [
            verdict,
            "Design (a priori power at the survey's size, not 'observed power'): RI-CLPM of "
            f"mechanism, process and synergy effect over {waves} waves with time-invariant "
            "lags as in the panel step; feedback synergy effect(t) -> mechanism(t+1) = .15 "
            "(to process 0), autoregressions .35, random intercepts 35% of the variance, "
            "within-wave correlation .3; the likelihood-ratio test of both feedback "
            f"cross-lags fixed at 0 ({ana['df']} df, alpha .05).",
            markdown_table(
                ["n", "power, analytic", "power, Monte Carlo LRT", "power, Wald z of the lag"],
                rows,
            ),
            "The analytic figure is the asymptotic power of the likelihood-ratio test "
            "(non-central chi-square, non-centrality n F0 from the restricted model at the "
            "population moments; Satorra & Saris 1985). The Monte Carlo figures come from "
            f"{MC_REPLICATIONS} seeded replications (Monte Carlo SE about "
            f"{_fmt(float(lrt['power_mcse'].max()), 3)}). Attrition, measurement error in "
            "the construct scores and department clustering are not in the design, so the "
            "power of this survey is lower still.",
        ]
    )
    ctx.results["power"] = {"n": n_obs, "power": p_here, "n_required": n_req, "monte_carlo": mc}
    return Section("Power of the feedback test", body, tuple(files))


power_step.prepare = _prepare  # type: ignore[attr-defined]


def _curve(ctx: ReportContext, table: Any, lrt: Any, n_obs: int, n_req: int) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.subplots()
    ax.plot(table["n"], table["power"], color="C0", lw=1.6, label="analytic (asymptotic LRT)")
    ax.errorbar(
        lrt.index,
        lrt["power"],
        yerr=1.96 * lrt["power_mcse"],
        fmt="o",
        color="C1",
        capsize=3,
        label="Monte Carlo (95% MC interval)",
    )
    ax.axhline(0.8, color="0.4", ls="--", lw=1)
    ax.axvline(n_obs, color="C3", ls=":", lw=1.2)
    ax.annotate(
        f"this survey, n = {n_obs}",
        (n_obs, 0.05),
        color="C3",
        fontsize="small",
        xytext=(4, 0),
        textcoords="offset points",
    )
    ax.annotate(
        f"n = {n_req} for .80",
        (n_req, 0.8),
        fontsize="small",
        xytext=(6, -14),
        textcoords="offset points",
    )
    ax.set_xlabel("respondents per wave (n)")
    ax.set_ylabel("power of the feedback test")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", frameon=False, loc="lower right")
    ax.set_title("Feedback lag .15: power by sample size", fontsize="medium")
    path = ctx._target("power_feedback.png")
    fig.savefig(path, dpi=150, metadata={"Software": None})
    ctx.files.append(path)
    return path.name
