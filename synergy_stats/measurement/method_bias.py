"""Common method bias (共同方法偏差检验): Harman, ULMC and marker-variable tests.

Every CFA goes through :func:`synergy_stats.cfa` (lavaan 0.6-14's numbers); Harman's EFA
shares use :func:`synergy_stats.efa` (psych's ``principal`` / ``fa``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from synergy_stats._typing import check_arguments
from synergy_stats.errors import (
    ConvergenceError,
    ConvergenceWarning,
    OptionError,
    SpecificationError,
)
from synergy_stats.measurement._common import correlation, prepare_data, prepare_keyed, to_spec

if TYPE_CHECKING:
    import pandas as pd

    from synergy_stats.structural import SEMResult

__all__ = ["MethodBiasResult", "method_bias"]

_FIT = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")


def _syntax(traits: dict[str, list[str]]) -> str:
    return "\n".join(f"{f} =~ {' + '.join(items)}" for f, items in traits.items())


def _fit(syntax: str, frame: pd.DataFrame, *, missing: str, std_lv: bool = False) -> SEMResult:
    from synergy_stats.structural import cfa

    return cfa(syntax, frame, missing=missing, std_lv=std_lv)


def _measures(fit: SEMResult) -> dict[str, float]:
    fm = fit.fit_measures()
    return {k: float(fm[k]) for k in _FIT}


def _compare(name: str, restricted: dict[str, float], general: dict[str, float]) -> dict[str, Any]:
    d_chisq = restricted["chisq"] - general["chisq"]
    d_df = restricted["df"] - general["df"]
    p = float(stats.chi2.sf(d_chisq, d_df)) if d_df > 0 else float("nan")
    return {
        "comparison": name,
        "delta_chisq": d_chisq,
        "delta_df": int(d_df),
        "p": p,
        "delta_cfi": general["cfi"] - restricted["cfi"],
    }


def _loadings(fit: SEMResult, factor: str, column: str = "std_all") -> pd.Series:
    est = fit.estimates()
    rows = est[(est["op"] == "=~") & (est["lhs"] == factor)]
    out = rows.set_index("rhs")[column].astype(float)
    out.index.name = "item"
    out.name = factor
    return out


@dataclass(frozen=True)
class MethodBiasResult:
    """Common method bias tests of one set of trait factors.

    Attributes
    ----------
    harman : dict
        ``pca`` (share of total variance of the first unrotated principal component, the
        ``< 0.50`` rule as usually computed: first eigenvalue / number of items), ``pa`` and
        ``ml`` (share of the single principal-axis / ML factor: sum of squared loadings /
        items), ``eigenvalue`` (first eigenvalue) and ``n_items``.
    models : pandas.DataFrame
        One row per fitted CFA (``one_factor``, ``trait``, ``ulmc`` and with a marker
        ``marker_cfa``, ``baseline``, ``method_c``, ``method_u``, ``method_r``) with chisq,
        df, pvalue, cfi, tli, rmsea, srmr.
    comparisons : pandas.DataFrame
        Nested-model tests: delta_chisq, delta_df, p, delta_cfi (general minus restricted).
    method_variance : pandas.DataFrame
        Per item: the trait and method standardised loadings of the ULMC model and the
        method variance share (squared standardised method loading).
    marker : dict or None
        Lindell & Whitney (2001) adjustment and the Williams et al. (2010) details.
    fits : dict
        The fitted :class:`synergy_stats.SEMResult` objects by model name.
    """

    harman: dict[str, float]
    models: pd.DataFrame
    comparisons: pd.DataFrame
    method_variance: pd.DataFrame
    marker: dict[str, Any] | None
    n: int
    fits: dict[str, Any] = field(default_factory=dict, repr=False)

    def table(self) -> pd.DataFrame:
        """Model fit of every CFA with its comparison (one row per model)."""
        out = self.models.copy()
        comp = self.comparisons.set_index("model")
        for col in ("delta_chisq", "delta_df", "p", "delta_cfi"):
            out[col] = comp[col].reindex(out.index)
        out["compared_with"] = comp["compared_with"].reindex(out.index)
        return out

    def summary(self) -> str:
        """A plain-text summary with the usual decision rules."""
        h = self.harman
        lines = [
            f"Common method bias (n = {self.n}, {int(h['n_items'])} items)",
            f"Harman (EFA): first unrotated component explains {h['pca']:.1%} of the "
            f"variance (PCA); one factor {h['pa']:.1%} (principal axis), {h['ml']:.1%} (ML)"
            f" -> {'below' if h['pca'] < 0.5 else 'not below'} 50%.",
        ]
        for _, row in self.comparisons.iterrows():
            lines.append(
                f"{row['model']} vs {row['compared_with']}: delta chi2({int(row['delta_df'])})"
                f" = {row['delta_chisq']:.2f}, p = {row['p']:.4g}, "
                f"delta CFI = {row['delta_cfi']:.3f}"
            )
        mv = self.method_variance
        if len(mv):
            lines.append(
                f"ULMC: mean method variance share {mv['method_share'].mean():.1%} "
                f"(trait {mv['trait_share'].mean():.1%})."
            )
        if self.marker is not None:
            lw = self.marker["lindell_whitney"]
            lines.append(f"Lindell-Whitney: r_M = {self.marker['r_M']:.3f}; adjusted correlations:")
            for _, row in lw.iterrows():
                lines.append(
                    f"  {row['construct_1']}-{row['construct_2']}: r = {row['r']:.3f}, "
                    f"r_adj = {row['r_adj']:.3f}, p = {row['p']:.4g}"
                )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _markers_of(spec: Any, marker: str | Sequence[str] | None) -> list[str]:
    if marker is None:
        if isinstance(spec, Mapping):
            return []
        return list(getattr(spec, "marker_items", ()) or ())
    if isinstance(marker, str):
        return [marker]
    if not isinstance(marker, Sequence) or not all(isinstance(m, str) for m in marker):
        raise OptionError(
            f"marker={marker!r} is not accepted; use None, an item name or a list of item names"
        )
    return list(marker)


def _harman(prep: Any) -> dict[str, float]:
    import pandas as pd

    from synergy_stats.measurement.exploratory import efa

    r = correlation(prep)
    p = r.shape[0]
    eig = float(np.linalg.eigvalsh(r)[-1])
    frame = pd.DataFrame(prep.values, columns=list(prep.columns))
    miss = "listwise" if prep.missing == "listwise" else "pairwise"
    out: dict[str, float] = {"pca": eig / p, "eigenvalue": eig, "n_items": float(p)}
    for m in ("pa", "ml"):
        res = efa(frame, 1, method=m, rotation="none", missing=miss)  # type: ignore[arg-type]
        out[m] = float((res.loadings.to_numpy() ** 2).sum() / p)
    return out


def _lindell_whitney(
    prep: Any, traits: dict[str, list[str]], markers: list[str], n: int
) -> tuple[float, pd.DataFrame, dict[str, float]]:
    import pandas as pd

    x = prep.values
    scores = {f: np.nanmean(x[:, prep.index(v)], axis=1) for f, v in traits.items()}
    m = np.nanmean(x[:, prep.index(markers)], axis=1)
    r_marker = {f: float(np.corrcoef(s, m)[0, 1]) for f, s in scores.items()}
    r_m = min(r_marker.values())
    rows = []
    names = list(traits)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            r = float(np.corrcoef(scores[a], scores[b])[0, 1])
            r_adj = (r - r_m) / (1 - r_m)
            t = r_adj / np.sqrt((1 - r_adj**2) / (n - 3))
            p = float(2 * stats.t.sf(abs(t), n - 3))
            rows.append(
                {
                    "construct_1": a,
                    "construct_2": b,
                    "r": r,
                    "r_adj": r_adj,
                    "t": t,
                    "df": n - 3,
                    "p": p,
                }
            )
    return r_m, pd.DataFrame(rows), r_marker


def method_bias(
    spec: Any,
    data: pd.DataFrame,
    *,
    marker: str | Sequence[str] | None = None,
    missing: str = "listwise",
    recode_reverse: bool | None = None,
    ulmc: bool = True,
    alpha: float = 0.05,
) -> MethodBiasResult:
    """Common method bias tests: Harman, the ULMC model and the marker-variable approach.

    Parameters
    ----------
    spec : Instrument or mapping
        Trait factors and their items (first-order factors, as :func:`synergy_stats.htmt`).
        An instrument's ``marker_items`` (codebook key) are the marker items when
        ``marker`` is None; they are left out of the traits.
    data : pandas.DataFrame
        Item columns; never modified.
    marker : str or list of str, optional
        Marker item(s): a theoretically unrelated variable measured with the same method.
    missing : {"listwise", "fiml"}
        Complete rows, or FIML for the CFAs (Harman then uses pairwise correlations).
    recode_reverse : bool or None
        As :func:`synergy_stats.reliability`.
    ulmc : bool
        Fit the unmeasured latent method construct model.
    alpha : float
        Level at which Method-U is retained over Method-C (Williams et al., 2010).

    Returns
    -------
    MethodBiasResult

    Raises
    ------
    OptionError
        For an unknown ``missing``, ``marker`` or ``alpha``.
    SpecificationError
        If fewer than two trait factors remain or a marker item is also a trait item.
    DataValidationError
        As :func:`synergy_stats.reliability`.

    Notes
    -----
    Harman's single-factor test is reported both ways: by EFA (first unrotated component
    of a PCA, psych ``principal(nfactors = 1, rotate = "none")``, and the single
    principal-axis / ML factor, ``fa(fm = "pa" | "ml")``) and by CFA (one-factor vs trait
    model). The ULMC adds a factor ``method`` loading on every item, orthogonal to the
    traits. The CFA marker technique (Williams, Hartman & Cavazotte, 2010) fits, with
    ``std_lv = True``: the CFA model (traits and marker latent ``M`` correlated); the
    baseline (``M`` orthogonal, its loadings and residual variances fixed to the CFA
    values); Method-C (``M`` loads equally on every trait item); Method-U (freely); and
    Method-R (the retained Method-C/U model with trait correlations fixed to the baseline
    values). Lindell & Whitney (2001): ``r_M`` is the smallest correlation between the
    marker score and a trait score (mean scores), ``r_adj = (r - r_M) / (1 - r_M)``,
    ``t = r_adj / sqrt((1 - r_adj^2) / (n - 3))``.

    References
    ----------
    Podsakoff, P. M., et al. (2003). Common method biases in behavioral research. *Journal
    of Applied Psychology*, 88, 879-903.
    Lindell, M. K., & Whitney, D. J. (2001). Accounting for common method variance in
    cross-sectional research designs. *Journal of Applied Psychology*, 86, 114-121.
    Williams, L. J., Hartman, N., & Cavazotte, F. (2010). Method variance and marker
    variables. *Organizational Research Methods*, 13, 477-514.
    """
    check_arguments(method_bias, locals())
    import pandas as pd

    if missing not in ("listwise", "fiml"):
        raise OptionError(f"missing={missing!r} is not accepted; use 'listwise' or 'fiml'")
    if not isinstance(alpha, float | int) or isinstance(alpha, bool) or not 0 < alpha < 1:
        raise OptionError(f"alpha={alpha!r} is not accepted; use a level between 0 and 1")
    markers = _markers_of(spec, marker)
    ms = to_spec(spec)
    traits = {
        f: [i for i in items if i not in markers]
        for f, items in ms.factors.items()
        if any(i not in markers for i in items)
    }
    overlap = [m for m in markers if any(m in v for v in traits.values())]
    if overlap:
        raise SpecificationError(
            f"marker={overlap!r} is not accepted; marker items must not measure a trait"
        )
    if len(traits) < 2:
        raise SpecificationError(
            f"spec has {len(traits)} trait factor(s); method bias tests need at least two"
        )
    full = dict(traits)
    if markers:
        full["_marker"] = markers
    is_inst = not isinstance(spec, Mapping)
    keyed = spec if is_inst and not markers else to_spec(full)
    if is_inst and markers:
        from synergy_stats.measurement._common import reverse_map

        rev = reverse_map(ms, recode_reverse, data)
        prep = prepare_data(
            data,
            [i for v in full.values() for i in v],
            missing="listwise" if missing == "listwise" else "pairwise",
            reverse={k: v for k, v in rev.items()} if rev else None,
        )
    else:
        prep = prepare_keyed(
            data,
            to_spec(keyed),
            missing="listwise" if missing == "listwise" else "pairwise",
            recode_reverse=recode_reverse if is_inst else None,
        )
    frame = prep.frame()
    items = [i for v in traits.values() for i in v]
    sub = _sub(prep, items)
    harman = _harman(sub)
    fits: dict[str, Any] = {}
    models: dict[str, dict[str, float]] = {}
    comps: list[dict[str, Any]] = []
    trait_syn = _syntax(traits)
    fits["one_factor"] = _fit(f"harman =~ {' + '.join(items)}", frame, missing=missing)
    fits["trait"] = _fit(trait_syn, frame, missing=missing)
    for k in ("one_factor", "trait"):
        models[k] = _measures(fits[k])
    comps.append(
        {
            "model": "one_factor",
            "compared_with": "trait",
            **_compare("", models["one_factor"], models["trait"]),
        }
    )
    mv = pd.DataFrame(
        columns=["trait", "trait_loading", "method_loading", "trait_share", "method_share"]
    )
    if ulmc:
        orth = " + ".join(f"0*{f}" for f in traits)
        syn = f"{trait_syn}\nmethod =~ {' + '.join(items)}\nmethod ~~ {orth}"
        try:
            fits["ulmc"] = _fit(syn, frame, missing=missing)
        except ConvergenceError as exc:
            # the ULMC model often fails to converge (a method factor on every item beside
            # the traits); report it and keep the other tests rather than losing them
            warnings.warn(
                f"method_bias: the ULMC model (trait model + one method factor on all "
                f"{len(items)} items) was not estimated: {exc}; Harman's tests and the "
                "marker tests are still reported",
                ConvergenceWarning,
                stacklevel=2,
            )
            ulmc = False
    if ulmc:
        models["ulmc"] = _measures(fits["ulmc"])
        comps.append(
            {
                "model": "ulmc",
                "compared_with": "trait",
                **_compare("", models["trait"], models["ulmc"]),
            }
        )
        ml = _loadings(fits["ulmc"], "method")
        rows = []
        for f, v in traits.items():
            tl = _loadings(fits["ulmc"], f)
            for i in v:
                rows.append(
                    {
                        "item": i,
                        "trait": f,
                        "trait_loading": tl[i],
                        "method_loading": ml[i],
                        "trait_share": tl[i] ** 2,
                        "method_share": ml[i] ** 2,
                    }
                )
        mv = pd.DataFrame(rows).set_index("item")
    marker_info: dict[str, Any] | None = None
    if markers:
        marker_info = _williams(traits, markers, frame, missing, alpha, fits, models, comps)
        r_m, lw, r_marker = _lindell_whitney(prep, traits, markers, prep.n)
        marker_info.update(
            {"r_M": r_m, "lindell_whitney": lw, "r_marker": r_marker, "items": markers}
        )
    mtab = pd.DataFrame(models).T[list(_FIT)]
    mtab.index.name = "model"
    ctab = pd.DataFrame(comps).drop(columns="comparison")
    return MethodBiasResult(
        harman=harman,
        models=mtab,
        comparisons=ctab,
        method_variance=mv,
        marker=marker_info,
        n=prep.n,
        fits=fits,
    )


def _sub(prep: Any, items: list[str]) -> Any:
    from synergy_stats.measurement._common import PreparedData

    return PreparedData(
        values=prep.values[:, prep.index(items)],
        columns=list(items),
        missing=prep.missing,
        n_input=prep.n_input,
        n=prep.n,
    )


def _williams(
    traits: dict[str, list[str]],
    markers: list[str],
    frame: pd.DataFrame,
    missing: str,
    alpha: float,
    fits: dict[str, Any],
    models: dict[str, dict[str, float]],
    comps: list[dict[str, Any]],
) -> dict[str, Any]:
    trait_syn = _syntax(traits)
    items = [i for v in traits.values() for i in v]
    fits["marker_cfa"] = _fit(
        f"{trait_syn}\nM =~ {' + '.join(markers)}", frame, missing=missing, std_lv=True
    )
    est = fits["marker_cfa"].estimates()
    lam = {r.rhs: float(r.est) for r in est.itertuples() if r.op == "=~" and r.lhs == "M"}
    theta = {
        r.lhs: float(r.est)
        for r in est.itertuples()
        if r.op == "~~" and r.lhs == r.rhs and r.lhs in markers
    }
    fixed = "M =~ " + " + ".join(f"{lam[m]!r}*{m}" for m in markers) + "\n"
    fixed += "\n".join(f"{m} ~~ {theta[m]!r}*{m}" for m in markers)
    orth = "M ~~ " + " + ".join(f"0*{f}" for f in traits)
    base = f"{trait_syn}\n{fixed}\n{orth}"
    syn_c = base + "\nM =~ " + " + ".join(f"mc*{i}" for i in items)
    syn_u = base + "\nM =~ " + " + ".join(items)
    for name, syn in (("baseline", base), ("method_c", syn_c), ("method_u", syn_u)):
        fits[name] = _fit(syn, frame, missing=missing, std_lv=True)
        models[name] = _measures(fits[name])
    models["marker_cfa"] = _measures(fits["marker_cfa"])
    comps.append(
        {
            "model": "baseline",
            "compared_with": "method_c",
            **_compare("", models["baseline"], models["method_c"]),
        }
    )
    cu = _compare("", models["method_c"], models["method_u"])
    comps.append({"model": "method_c", "compared_with": "method_u", **cu})
    retained = "method_u" if cu["p"] < alpha else "method_c"
    be = fits["baseline"].estimates()
    names = list(traits)
    fix_r = []
    for r in be.itertuples():
        if r.op == "~~" and r.lhs in names and r.rhs in names and r.lhs != r.rhs:
            fix_r.append(f"{r.lhs} ~~ {float(r.est)!r}*{r.rhs}")
    fits["method_r"] = _fit(
        (syn_u if retained == "method_u" else syn_c) + "\n" + "\n".join(fix_r),
        frame,
        missing=missing,
        std_lv=True,
    )
    models["method_r"] = _measures(fits["method_r"])
    comps.append(
        {
            "model": "method_r",
            "compared_with": retained,
            **_compare("", models["method_r"], models[retained]),
        }
    )
    return {
        "retained": retained,
        "marker_loadings": lam,
        "marker_theta": theta,
        "method_loadings": _loadings(fits[retained], "M").reindex(items),
    }
