"""The methods paragraph of the main job, in English and Chinese.

Written from what the run actually did (the results the earlier steps stored in
``ctx.results``), for the author to adapt: the sample and waves, the missing data and how
they were handled, the estimator, the fit with its cut-offs, the reliability ranges, the
bootstrap, the invariance rule, the feedback test and the software with versions.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from synergy_stats.report import ReportContext, Section

__all__ = ["methods_facts", "methods_paragraph", "methods_step"]

_CITE = {
    "hu_bentler": "Hu & Bentler, 1999",
    "henseler": "Henseler et al., 2015",
    "chen": "Chen, 2007",
    "cheung": "Cheung & Rensvold, 2002",
    "hamaker": "Hamaker et al., 2015",
    "lavaan": "Rosseel, 2012",
    "efron": "Efron, 1987",
}
#: the lavaan release the package's numbers are tested against
LAVAAN_REFERENCE = "0.6-14"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def f3(x: float) -> str:
    """Three decimals, without a leading zero for values bounded by 1 (APA)."""
    out = f"{x:.3f}"
    if out.startswith("0."):
        return out[1:]
    if out.startswith("-0."):
        return "-" + out[2:]
    return out


def f2(x: float) -> str:
    """Two decimals."""
    return f"{x:.2f}"


def fp(p: float) -> str:
    """A p-value as APA: ``< .001`` or ``= .042``."""
    return "< .001" if p < 0.001 else f"= {f3(p)}"


def methods_facts(ctx: ReportContext) -> dict[str, Any]:
    """The numbers of the methods paragraph, taken from the run's results."""
    import numpy as np

    survey = ctx.survey
    res = ctx.results
    frame = survey.data
    facts: dict[str, Any] = {"rows": len(frame), "items": len(survey.items)}
    if survey.id is not None:
        facts["respondents"] = int(frame[survey.id].nunique())
    if survey.wave is not None:
        waves = sorted(frame[survey.wave].dropna().unique().tolist(), key=str)
        facts["waves"] = waves
        facts["per_wave"] = [int((frame[survey.wave] == w).sum()) for w in waves]
    if survey.group is not None:
        facts["groups"] = int(frame[survey.group].nunique())
    cells = frame[survey.items].to_numpy(dtype=float)
    facts["missing_share"] = float(np.isnan(cells).mean()) if cells.size else 0.0
    fit = res.get("sem")
    if fit is not None:
        fm = fit.fit_measures()
        facts["sem"] = {
            "n": int(fit.nobs),
            "estimator": fit.options.estimator,
            "missing": fit.options.missing,
            **{
                k: float(fm[k])
                for k in (
                    "chisq",
                    "df",
                    "pvalue",
                    "cfi",
                    "tli",
                    "rmsea",
                    "rmsea_ci_lower",
                    "rmsea_ci_upper",
                    "srmr",
                )
            },
        }
    rel = res.get("reliability")
    if rel is not None:
        facts["reliability"] = {
            c: (float(rel[c].min()), float(rel[c].max()))
            for c in ("alpha", "omega", "ave")
            if c in rel.columns and rel[c].notna().any()
        }
    ht = res.get("htmt")
    if ht is not None:
        v = ht.to_numpy(dtype=float)
        facts["htmt_max"] = float(np.nanmax(v[np.tril_indices_from(v, k=-1)]))
    boot = res.get("bootstrap")
    if boot is not None:
        facts["bootstrap"] = {
            "draws": int(boot.n_draws),
            "failed": int(boot.n_failed),
            "seed": int(ctx.seeds.get("bootstrap", ctx.seed)),
            "n": int(boot.fit.nobs),
        }
    ladder = res.get("invariance_ladder")
    if ladder is not None:
        accepted = [lv for lv in ladder.levels if ladder.decisions.get(lv) in ("accept", "partial")]
        facts["invariance"] = {
            "rule": str(ladder.rule),
            "levels": list(ladder.levels),
            "accepted": accepted,
        }
    fb = res.get("feedback")
    ri = res.get("riclpm")
    if fb is not None and ri is not None:
        facts["feedback"] = {
            "source": fb.source,
            "targets": list(fb.targets),
            "chisq": float(fb.chisq_diff),
            "df": int(fb.df_diff),
            "pvalue": float(fb.pvalue),
            "wald": float(fb.wald_stat),
            "wald_df": int(fb.wald_df),
            "wald_pvalue": float(fb.wald_pvalue),
            "n": int(ri.fit.nobs),
            "constructs": list(ri.constructs),
        }
    from synergy_stats import __version__

    facts["software"] = {
        "synergy_stats": __version__,
        **{d: _version(d) for d in ("numpy", "scipy", "pandas", "statsmodels")},
        "lavaan": LAVAAN_REFERENCE,
    }
    import platform

    facts["software"]["python"] = platform.python_version()
    return facts


def _est_name(code: str, lang: str) -> str:
    names = {
        "en": {"ML": "maximum likelihood (ML)", "MLR": "robust maximum likelihood (MLR)"},
        "zh": {"ML": "极大似然法（ML）", "MLR": "稳健极大似然法（MLR）"},
    }
    return names[lang].get(code, code)


def methods_paragraph(facts: dict[str, Any], lang: str = "en") -> str:
    """The methods paragraph in ``lang`` ("en" or "zh") from :func:`methods_facts`."""
    s: list[str] = []
    waves = facts.get("waves")
    sw = facts["software"]
    miss = f"{100 * facts['missing_share']:.1f}%"
    if lang == "en":
        who = f"{facts['respondents']} respondents" if "respondents" in facts else "respondents"
        if waves:
            per = ", ".join(str(n) for n in facts["per_wave"])
            s.append(
                f"The data comprise {facts['rows']} responses from {who} over "
                f"{len(waves)} waves (n per wave = {per})"
                + (f" in {facts['groups']} units" if "groups" in facts else "")
                + f", on {facts['items']} five-point items."
            )
        else:
            s.append(f"The data comprise {facts['rows']} responses on {facts['items']} items.")
        s.append(
            f"{miss} of the item answers were missing (including refusals and "
            "'don't know'); missing answers were handled by full-information maximum "
            "likelihood (FIML), not by deletion."
        )
        if "sem" in facts:
            m = facts["sem"]
            s.append(
                f"The measurement and structural models were estimated by "
                f"{_est_name(m['estimator'], lang)} on the first wave (N = {m['n']}). "
                f"Model fit: χ²({int(m['df'])}) = {f2(m['chisq'])}, p {fp(m['pvalue'])}, "
                f"CFI = {f3(m['cfi'])}, TLI = {f3(m['tli'])}, RMSEA = {f3(m['rmsea'])} "
                f"(90% CI [{f3(m['rmsea_ci_lower'])}, {f3(m['rmsea_ci_upper'])}]), "
                f"SRMR = {f3(m['srmr'])}, judged against CFI/TLI ≥ .95, RMSEA ≤ .06 and "
                f"SRMR ≤ .08 ({_CITE['hu_bentler']})."
            )
        if "reliability" in facts:
            r = facts["reliability"]
            parts = []
            for key, name in (("alpha", "Cronbach's α"), ("omega", "ω"), ("ave", "AVE")):
                if key in r:
                    parts.append(f"{name} {f3(r[key][0])}–{f3(r[key][1])}")
            text = "Reliability and convergent validity ranged: " + ", ".join(parts)
            if "htmt_max" in facts:
                text += (
                    f"; the largest HTMT ratio was {f3(facts['htmt_max'])} (threshold .85, "
                    f"{_CITE['henseler']})"
                )
            s.append(text + ".")
        if "bootstrap" in facts:
            b = facts["bootstrap"]
            s.append(
                f"Indirect effects were tested with {b['draws']} nonparametric bootstrap "
                f"draws (seed {b['seed']}; {b['failed']} failed draws) of the path model on "
                f"the construct scores (N = {b['n']}), with percentile and bias-corrected and "
                f"accelerated (BCa; {_CITE['efron']}) 95% intervals."
            )
        if "invariance" in facts:
            inv = facts["invariance"]
            s.append(
                "Longitudinal measurement invariance was tested from configural to "
                f"{inv['levels'][-1]} ({', '.join(inv['levels'])}); rule: {inv['rule']} "
                f"({_CITE['cheung']}; {_CITE['chen']}). Levels supported: "
                f"{', '.join(inv['accepted']) or 'none beyond configural'}."
            )
        if "feedback" in facts:
            f = facts["feedback"]
            s.append(
                f"Feedback was tested in a random-intercept cross-lagged panel model "
                f"({_CITE['hamaker']}) of {', '.join(f['constructs'])} (N = {f['n']}, FIML): "
                f"fixing the cross-lags {f['source']}(t) → {', '.join(f['targets'])}(t+1) to "
                f"zero gave Δχ²({f['df']}) = {f2(f['chisq'])}, p {fp(f['pvalue'])} "
                f"(Wald χ²({f['wald_df']}) = {f2(f['wald'])}, p {fp(f['wald_pvalue'])})."
            )
        s.append(
            f"Analyses used synergy_stats {sw['synergy_stats']} (Python {sw['python']}; "
            f"numpy {sw['numpy']}, scipy {sw['scipy']}, pandas {sw['pandas']}, statsmodels "
            f"{sw['statsmodels']}), whose SEM estimates are tested against lavaan "
            f"{sw['lavaan']} ({_CITE['lavaan']}) as the reference implementation."
        )
        return " ".join(s)
    # Chinese
    who = f"{facts['respondents']} 名受访者" if "respondents" in facts else "受访者"
    if waves:
        per = "、".join(str(n) for n in facts["per_wave"])
        s.append(
            f"数据来自{who}在 {len(waves)} 期调查中的 {facts['rows']} 份回答（各期样本量分别为 "
            f"{per}）"
            + (f"，分布于 {facts['groups']} 个单位" if "groups" in facts else "")
            + f"，共 {facts['items']} 个五点量表题项。"
        )
    else:
        s.append(f"数据包括 {facts['rows']} 份回答、{facts['items']} 个题项。")
    s.append(
        f"题项缺失比例为 {miss}（含拒绝回答和“不知道”），"
        "缺失值采用全信息极大似然法（FIML）处理，未删除个案。"
    )
    if "sem" in facts:
        m = facts["sem"]
        s.append(
            f"测量模型与结构模型采用{_est_name(m['estimator'], lang)}"
            f"基于第一期数据估计（N = {m['n']}）。"
            f"模型拟合：χ²({int(m['df'])}) = {f2(m['chisq'])}，p {fp(m['pvalue'])}，"
            f"CFI = {f3(m['cfi'])}，TLI = {f3(m['tli'])}，RMSEA = {f3(m['rmsea'])}"
            f"（90% CI [{f3(m['rmsea_ci_lower'])}, {f3(m['rmsea_ci_upper'])}]），"
            f"SRMR = {f3(m['srmr'])}；判断标准为 CFI/TLI ≥ .95、RMSEA ≤ .06、SRMR ≤ .08"
            f"（{_CITE['hu_bentler']}）。"
        )
    if "reliability" in facts:
        r = facts["reliability"]
        parts = []
        for key, name in (("alpha", "Cronbach's α"), ("omega", "ω"), ("ave", "AVE")):
            if key in r:
                parts.append(f"{name} 为 {f3(r[key][0])}–{f3(r[key][1])}")
        text = "信度与聚合效度：" + "，".join(parts)
        if "htmt_max" in facts:
            text += f"；HTMT 最大值为 {f3(facts['htmt_max'])}（临界值 .85，{_CITE['henseler']}）"
        s.append(text + "。")
    if "bootstrap" in facts:
        b = facts["bootstrap"]
        s.append(
            f"间接效应基于构念得分的路径模型（N = {b['n']}），采用 {b['draws']} 次非参数自助抽样"
            f"（随机种子 {b['seed']}；失败抽样 {b['failed']} 次）检验，报告百分位与偏差校正加速"
            f"（BCa；{_CITE['efron']}）95% 置信区间。"
        )
    if "invariance" in facts:
        inv = facts["invariance"]
        s.append(
            f"纵向测量等同性依次检验 {'、'.join(inv['levels'])}；判定规则：{inv['rule']}"
            f"（{_CITE['cheung']}；{_CITE['chen']}）。得到支持的水平："
            f"{'、'.join(inv['accepted']) or '仅形态等同'}。"
        )
    if "feedback" in facts:
        f = facts["feedback"]
        s.append(
            f"反馈效应采用随机截距交叉滞后面板模型（RI-CLPM，{_CITE['hamaker']}）检验，变量为 "
            f"{'、'.join(f['constructs'])}（N = {f['n']}，FIML）：将 {f['source']}(t) → "
            f"{'、'.join(f['targets'])}(t+1) 的交叉滞后路径固定为零，Δχ²({f['df']}) = "
            f"{f2(f['chisq'])}，p {fp(f['pvalue'])}（Wald χ²({f['wald_df']}) = {f2(f['wald'])}，"
            f"p {fp(f['wald_pvalue'])}）。"
        )
    s.append(
        f"分析使用 synergy_stats {sw['synergy_stats']}（Python {sw['python']}；numpy "
        f"{sw['numpy']}、scipy {sw['scipy']}、pandas {sw['pandas']}、statsmodels "
        f"{sw['statsmodels']}），其结构方程模型估计以 lavaan {sw['lavaan']}（{_CITE['lavaan']}）"
        "为参照实现进行了检验。"
    )
    return "".join(s)


_REFERENCES = (
    "Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement "
    "invariance. Structural Equation Modeling, 14(3), 464-504.",
    "Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for testing "
    "measurement invariance. Structural Equation Modeling, 9(2), 233-255.",
    "Efron, B. (1987). Better bootstrap confidence intervals. Journal of the American "
    "Statistical Association, 82(397), 171-185.",
    "Hamaker, E. L., Kuiper, R. M., & Grasman, R. P. P. P. (2015). A critique of the "
    "cross-lagged panel model. Psychological Methods, 20(1), 102-116.",
    "Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing "
    "discriminant validity in variance-based structural equation modeling. Journal of the "
    "Academy of Marketing Science, 43(1), 115-135.",
    "Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure "
    "analysis. Structural Equation Modeling, 6(1), 1-55.",
    "Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of "
    "Statistical Software, 48(2), 1-36.",
)


def methods_step(ctx: ReportContext) -> Section:
    """Write the methods paragraph in English and Chinese (``methods.md``)."""
    facts = methods_facts(ctx)
    ctx.results["methods_facts"] = facts
    en = methods_paragraph(facts, "en")
    zh = methods_paragraph(facts, "zh")
    ctx.results["methods"] = {"en": en, "zh": zh}
    refs = "\n".join(f"- {r}" for r in _REFERENCES)
    text = f"## Methods\n\n{en}\n\n## 研究方法\n\n{zh}\n\n## References\n\n{refs}\n"
    path = ctx.write_text("methods.md", text)
    first, second = (zh, en) if ctx.lang == "zh" else (en, zh)
    body = (
        "Generated from this run, for the author to adapt:\n\n"
        f"{first}\n\n{second}\n\n**References**\n\n{refs}"
    )
    return Section("Methods", body, (path.name,))
