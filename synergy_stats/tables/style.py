"""Table styles: ``apa``, ``econ`` and ``cn`` (Chinese three-line table)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from synergy_stats._typing import check_option

__all__ = ["STYLES", "Style", "StyleName", "get_style"]

StyleName = Literal["apa", "econ", "cn"]


@dataclass(frozen=True)
class Style:
    """How numbers, stars, captions and notes look.

    Parameters
    ----------
    name : str
        ``"apa"``, ``"econ"`` or ``"cn"``.
    stars : tuple of (symbol, cutoff)
        Star symbols and the p-value each requires (strictly below).
    bounded_leading_zero : bool
        Whether values that cannot exceed 1 (p, R², correlations, CFI, ...) keep their
        leading zero (econ) or drop it (APA: ``.123``).
    language : {"en", "zh"}
        Language of the words the package adds (fit-row labels, notes, Yes/No).
    caption_prefix : str
        ``"Table"`` or ``"表"``.
    note_prefix : str
        ``"Note."`` or ``"注："``.
    three_line : bool
        Only the top, header and bottom rules (no rules under spanning headers).
    font, east_asian_font : str
        Fonts for Word output (Latin and East-Asian).
    digits : int
        Default decimal places.
    """

    name: str
    stars: tuple[tuple[str, float], ...]
    bounded_leading_zero: bool
    language: Literal["en", "zh"]
    caption_prefix: str
    note_prefix: str
    three_line: bool
    font: str = "Times New Roman"
    east_asian_font: str = "SimSun"
    digits: int = 3

    def with_stars(self, stars: dict[str, float] | tuple[tuple[str, float], ...]) -> Style:
        """Return a copy with other star cut-offs."""
        items = tuple(stars.items()) if isinstance(stars, dict) else tuple(stars)
        return replace(self, stars=items)

    def word(self, key: str) -> str:
        """Return the style's wording of a fixed term (``"Yes"``, ``"Intercept"``, ...)."""
        table = _WORDS_ZH if self.language == "zh" else _WORDS_EN
        return table.get(key, _WORDS_EN.get(key, key))


_WORDS_EN: dict[str, str] = {
    "yes": "Yes",
    "no": "No",
    "Intercept": "Intercept",
    "nobs": "N",
    "r2": "R²",
    "r2_adj": "Adj. R²",
    "pseudo_r2": "Pseudo R²",
    "aic": "AIC",
    "bic": "BIC",
    "loglik": "Log likelihood",
    "n_clusters": "Clusters",
    "se_type": "Std. errors",
    "random": "Variance components",
    "Residual": "Residual",
    "threshold": "Cut points",
    "se_note": "Standard errors in parentheses.",
    "ci_note": "{level}% confidence intervals in brackets.",
    "t_note": "Test statistics in parentheses.",
    "p_note": "p-values in parentheses.",
    "reml_note": "AIC and BIC are not defined for models fitted by REML.",
    "var_note": "Variance components are on the variance scale and are not tested.",
    "conventional": "Conventional",
    "robust": "Robust ({kind})",
    "clustered": "Clustered by {name} ({n})",
    "model": "Model",
    "hypothesis": "Hypothesis",
    "path": "Path",
    "supported": "Supported",
    "construct": "Construct",
    "item": "Item",
    "effect": "Effect",
    "level": "Model",
    "decision": "Decision",
    "configural": "Configural",
    "metric": "Metric",
    "scalar": "Scalar",
    "strict": "Strict",
    "accept": "Accept",
    "reject": "Reject",
    "autoregressive": "Autoregressive paths",
    "cross_lagged": "Cross-lagged paths",
    "within": "Within-person correlations",
}

_WORDS_ZH: dict[str, str] = {
    "yes": "支持",
    "no": "不支持",
    "Intercept": "常数项",
    "nobs": "样本量",
    "r2": "R²",
    "r2_adj": "调整 R²",
    "pseudo_r2": "伪 R²",
    "aic": "AIC",
    "bic": "BIC",
    "loglik": "对数似然值",
    "n_clusters": "聚类数",
    "se_type": "标准误",
    "random": "方差成分",
    "Residual": "残差",
    "threshold": "阈值",
    "se_note": "括号内为标准误。",
    "ci_note": "方括号内为 {level}% 置信区间。",
    "t_note": "括号内为检验统计量。",
    "p_note": "括号内为 p 值。",
    "reml_note": "REML 估计下 AIC 与 BIC 无定义。",
    "var_note": "方差成分以方差尺度报告，不做显著性检验。",
    "conventional": "常规",
    "robust": "稳健（{kind}）",
    "clustered": "按 {name} 聚类（{n}）",
    "model": "模型",
    "hypothesis": "假设",
    "path": "路径",
    "supported": "是否支持",
    "construct": "构念",
    "item": "题项",
    "effect": "效应",
    "level": "模型",
    "decision": "结论",
    "configural": "形态等值",
    "metric": "弱等值",
    "scalar": "强等值",
    "strict": "严格等值",
    "accept": "接受",
    "reject": "拒绝",
    "autoregressive": "自回归路径",
    "cross_lagged": "交叉滞后路径",
    "within": "个体内相关",
}

STYLES: dict[str, Style] = {
    "apa": Style(
        name="apa",
        stars=(("*", 0.05), ("**", 0.01), ("***", 0.001)),
        bounded_leading_zero=False,
        language="en",
        caption_prefix="Table",
        note_prefix="Note.",
        three_line=False,
    ),
    "econ": Style(
        name="econ",
        stars=(("*", 0.1), ("**", 0.05), ("***", 0.01)),
        bounded_leading_zero=True,
        language="en",
        caption_prefix="Table",
        note_prefix="Notes:",
        three_line=False,
    ),
    "cn": Style(
        name="cn",
        stars=(("*", 0.05), ("**", 0.01), ("***", 0.001)),
        bounded_leading_zero=False,
        language="zh",
        caption_prefix="表",
        note_prefix="注：",
        three_line=True,
        east_asian_font="SimSun",
    ),
}


def get_style(style: StyleName | Style) -> Style:
    """Return a :class:`Style` from its name (``"apa"``, ``"econ"``, ``"cn"``) or itself."""
    if isinstance(style, Style):
        return style
    check_option("style", style, StyleName)
    return STYLES[style]
