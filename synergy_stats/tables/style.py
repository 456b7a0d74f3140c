"""Table styles as data: ``apa``, ``econ``, ``cn`` and ``cn_journal``.

A style is a plain record of choices (fonts, sizes, leading zeros, star cut-offs, caption
form, paper). The shipped definitions are the dictionaries in :data:`STYLE_DEFINITIONS`; a
user copies one, changes what the journal wants and passes the result to any table builder,
without changing code::

    import synergy_stats as ss
    mine = ss.tables.style_from_dict({**ss.tables.STYLE_DEFINITIONS["apa"],
                                      "name": "mine", "font_size": 11,
                                      "stars": [["+", 0.10], ["*", 0.05]]})
    ss.tables.load_style("journal.toml")   # the same keys in a TOML or JSON file
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from synergy_stats._typing import check_option
from synergy_stats.errors import OptionError

__all__ = [
    "STYLES",
    "STYLE_DEFINITIONS",
    "Style",
    "StyleName",
    "get_style",
    "load_style",
    "style_from_dict",
]

StyleName = Literal["apa", "econ", "cn", "cn_journal"]
CaptionForm = Literal["apa", "cn", "plain"]
Paper = Literal["A4", "Letter"]


@dataclass(frozen=True)
class Style:
    """How numbers, stars, captions, notes and pages look.

    Parameters
    ----------
    name : str
        The style's name (``"apa"``, ``"econ"``, ``"cn"``, ``"cn_journal"`` or your own).
    stars : tuple of (symbol, cutoff)
        Star symbols and the p-value each requires (strictly below).
    bounded_leading_zero : bool
        Whether values that cannot exceed 1 (p, R², correlations, CFI, ...) keep their
        leading zero (econ, cn_journal) or drop it (APA: ``.123``).
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
    font_size, note_font_size : float
        Point sizes of the table text and of the notes (APA manuscripts 12/11 pt; Chinese
        journals 五号/小五, 10.5/9 pt). LaTeX documents made with ``standalone=True`` use
        ``font_size`` as the class option.
    caption_form : {"apa", "cn", "plain"}
        ``"apa"``: **Table 1** on one line, the *title* in italics below; ``"cn"``:
        ``表1　标题`` centred on one line; ``"plain"``: ``Table 1. Title`` on one line.
    paper : {"A4", "Letter"}
        Page size of Word documents and standalone LaTeX files.
    margin_cm : float
        Page margins (cm) the tables are fitted to.
    italic_symbols : bool
        Set statistical symbols (b, SE, z, p, df, M, SD, N, t, F, r) in italics (APA 7).
    true_minus : bool
        Print negative numbers with a minus sign (U+2212) instead of a hyphen.
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
    font_size: float = 12.0
    note_font_size: float = 11.0
    caption_form: CaptionForm = "apa"
    paper: Paper = "A4"
    margin_cm: float = 2.5
    italic_symbols: bool = True
    true_minus: bool = True

    def __post_init__(self) -> None:
        check_option("language", self.language, Literal["en", "zh"])
        check_option("caption_form", self.caption_form, CaptionForm)
        check_option("paper", self.paper, Paper)
        for key in ("font_size", "note_font_size", "margin_cm"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < 100:
                raise OptionError(f"{key}={v!r} is not accepted; use a positive number of points")

    def with_stars(self, stars: dict[str, float] | tuple[tuple[str, float], ...]) -> Style:
        """Return a copy with other star cut-offs."""
        items = tuple(stars.items()) if isinstance(stars, dict) else tuple(stars)
        return replace(self, stars=items)

    def to_dict(self) -> dict[str, Any]:
        """Return the style as plain data (the keys :func:`style_from_dict` accepts)."""
        out = asdict(self)
        out["stars"] = [list(s) for s in self.stars]
        return out

    def word(self, key: str) -> str:
        """Return the style's wording of a fixed term (``"Yes"``, ``"Intercept"``, ...)."""
        table = _WORDS_ZH if self.language == "zh" else _WORDS_EN
        return table.get(key, _WORDS_EN.get(key, key))

    @property
    def lang_tag(self) -> str:
        """BCP 47 language tag of the style's text (``en-US`` or ``zh-CN``)."""
        return "zh-CN" if self.language == "zh" else "en-US"


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
    "baseline": "Baseline",
    "partial": "Partial",
    "not established": "Not established",
    "autoregressive": "Autoregressive paths",
    "cross_lagged": "Cross-lagged paths",
    "within": "Within-person correlations",
    "estimate": "Estimate",
    "se": "SE",
    "ci": "{level}% CI",
    "label": "Label",
    "variance": "Var({name})",
    "group": "Group {g}",
    "mean": "M",
    "sd": "SD",
    "skew": "Skew.",
    "kurtosis": "Kurt.",
    "loading": "λ",
    "variable": "Variable",
    "r2_panel": "Explained variance",
    "wave": "T{t}",
    "wording": "Wording",
    "fit_note": "N = {n}; {estimator} estimation; {missing}.",
    "missing_fiml": "missing answers handled by full-information maximum likelihood (FIML)",
    "missing_listwise": "listwise deletion of incomplete cases",
    "scaled_note": "χ² and fit indices are scaled/robust (MLR).",
    "corr_note": "M and SD are the means and standard deviations of the scale scores; "
    "{rel} on the diagonal in parentheses.",
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
    "baseline": "基准",
    "partial": "部分不变",
    "not established": "未成立",
    "autoregressive": "自回归路径",
    "cross_lagged": "交叉滞后路径",
    "within": "个体内相关",
    "estimate": "估计值",
    "se": "标准误",
    "ci": "{level}% 置信区间",
    "label": "标签",
    "variance": "方差（{name}）",
    "group": "组 {g}",
    "mean": "均值",
    "sd": "标准差",
    "skew": "偏度",
    "kurtosis": "峰度",
    "loading": "λ",
    "variable": "变量",
    "r2_panel": "解释方差",
    "wave": "T{t}",
    "wording": "题项内容",
    "fit_note": "N = {n}；{estimator} 估计；{missing}。",
    "missing_fiml": "缺失值采用全信息最大似然法（FIML）处理",
    "missing_listwise": "列删不完整个案",
    "scaled_note": "χ² 与拟合指数为稳健（MLR）校正值。",
    "corr_note": "均值与标准差为量表得分的描述统计；对角线括号内为 {rel}。",
    "Var": "方差",
    "method_percentile": "百分位数法",
    "method_bca": "偏差校正加速法",
    "method_bias-corrected": "偏差校正法",
    "method_bc": "偏差校正法",
    "method_delta": "delta 法",
    "method_monte_carlo": "蒙特卡洛法",
    "method_montecarlo": "蒙特卡洛法",
    "department": "部门",
    "street": "街道",
}

#: The shipped styles as plain data: copy one, change it, pass it to :func:`style_from_dict`.
STYLE_DEFINITIONS: dict[str, dict[str, Any]] = {
    "apa": {
        "name": "apa",
        "stars": [["*", 0.05], ["**", 0.01], ["***", 0.001]],
        "bounded_leading_zero": False,
        "language": "en",
        "caption_prefix": "Table",
        "note_prefix": "Note.",
        "three_line": False,
        "font": "Times New Roman",
        "east_asian_font": "SimSun",
        "digits": 3,
        "font_size": 12.0,
        "note_font_size": 11.0,
        "caption_form": "apa",
        "paper": "A4",
        "margin_cm": 2.5,
        "italic_symbols": True,
        "true_minus": True,
    },
    "econ": {
        "name": "econ",
        "stars": [["*", 0.1], ["**", 0.05], ["***", 0.01]],
        "bounded_leading_zero": True,
        "language": "en",
        "caption_prefix": "Table",
        "note_prefix": "Notes:",
        "three_line": False,
        "font": "Times New Roman",
        "east_asian_font": "SimSun",
        "digits": 3,
        "font_size": 11.0,
        "note_font_size": 10.0,
        "caption_form": "plain",
        "paper": "A4",
        "margin_cm": 2.5,
        "italic_symbols": True,
        "true_minus": True,
    },
    "cn": {
        "name": "cn",
        "stars": [["*", 0.05], ["**", 0.01], ["***", 0.001]],
        "bounded_leading_zero": False,
        "language": "zh",
        "caption_prefix": "表",
        "note_prefix": "注：",
        "three_line": True,
        "font": "Times New Roman",
        "east_asian_font": "SimSun",
        "digits": 3,
        "font_size": 10.5,  # 五号
        "note_font_size": 9.0,  # 小五
        "caption_form": "cn",
        "paper": "A4",
        "margin_cm": 2.5,
        "italic_symbols": True,
        "true_minus": True,
    },
    # Chinese economics and management journals: leading zeros kept (0.123), stars at
    # .10/.05/.01, the three-line table and 五号/小五 type.
    "cn_journal": {
        "name": "cn_journal",
        "stars": [["*", 0.1], ["**", 0.05], ["***", 0.01]],
        "bounded_leading_zero": True,
        "language": "zh",
        "caption_prefix": "表",
        "note_prefix": "注：",
        "three_line": True,
        "font": "Times New Roman",
        "east_asian_font": "SimSun",
        "digits": 3,
        "font_size": 10.5,
        "note_font_size": 9.0,
        "caption_form": "cn",
        "paper": "A4",
        "margin_cm": 2.5,
        "italic_symbols": True,
        "true_minus": True,
    },
}


def style_from_dict(definition: Mapping[str, Any]) -> Style:
    """Build a :class:`Style` from plain data (the keys of :data:`STYLE_DEFINITIONS`).

    Parameters
    ----------
    definition : mapping
        ``name`` and any other :class:`Style` field; missing fields take the ``apa``
        values. ``stars`` is a list of ``[symbol, cutoff]`` pairs.

    Returns
    -------
    Style

    Raises
    ------
    OptionError
        For an unknown key or a value of the wrong kind.
    """
    if not isinstance(definition, Mapping):
        raise OptionError(f"definition={definition!r} is not accepted; give a mapping of fields")
    known = {f.name for f in fields(Style)}
    unknown = sorted(set(definition) - known)
    if unknown:
        raise OptionError(
            f"style key(s) {', '.join(map(repr, unknown))} are not accepted; use "
            + ", ".join(sorted(known))
        )
    data = {**STYLE_DEFINITIONS["apa"], **dict(definition)}
    try:
        stars = tuple((str(sym), float(cut)) for sym, cut in data["stars"])
    except (TypeError, ValueError) as exc:
        raise OptionError(
            f"stars={data['stars']!r} is not accepted; use [[symbol, cutoff], ...]"
        ) from exc
    data["stars"] = stars
    return Style(**data)


def load_style(path: str | os.PathLike[str]) -> Style:
    """Read a style from a TOML or JSON file holding the keys of :data:`STYLE_DEFINITIONS`.

    Raises
    ------
    OptionError
        If the file cannot be read or holds unknown keys.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise OptionError(f"path={os.fspath(path)!r} cannot be read: {exc}") from exc
    try:
        if p.suffix.lower() == ".toml":
            import tomllib

            data: Any = tomllib.loads(text)
        elif p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            raise OptionError(f"path={os.fspath(path)!r}: use a .toml or .json file")
    except ValueError as exc:  # tomllib.TOMLDecodeError and JSONDecodeError are ValueErrors
        raise OptionError(f"path={os.fspath(path)!r} is not valid: {exc}") from exc
    return style_from_dict(data)


STYLES: dict[str, Style] = {k: style_from_dict(v) for k, v in STYLE_DEFINITIONS.items()}


def get_style(style: StyleName | Style) -> Style:
    """Return a :class:`Style` from its name (``"apa"``, ``"econ"``, ``"cn"``, ...) or itself."""
    if isinstance(style, Style):
        return style
    check_option("style", style, StyleName)
    return STYLES[style]
