"""SEM tables built from frozen lavaan outputs (tests/data/lavaan_reference.json) in the
column layout of ``estimates()`` / ``fit_measures()``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from synergy_stats.errors import DataValidationError, OptionError
from synergy_stats.tables import (
    discriminant_table,
    fit_table,
    indirect_table,
    invariance_table,
    lags_table,
    measurement_table,
    paths_table,
)
from synergy_stats.tables.format import fmt_num, fmt_p

REF = json.loads((Path(__file__).parent / "data" / "lavaan_reference.json").read_text())


def _estimates(records: list[dict]) -> pd.DataFrame:
    """lavaan's parameterEstimates as our estimates() frame (fixed parameters: NaN se)."""
    df = pd.DataFrame(records).rename(columns=lambda c: c.replace(".", "_"))
    for col in ("se", "z", "pvalue", "std_all", "std_lv", "ci_lower", "ci_upper"):
        if col in df:
            df[col] = pd.to_numeric(df[col], errors="coerce")
    fixed = df["z"].isna()
    df.loc[fixed, "se"] = np.nan
    if "group" not in df:
        df["group"] = 1
    if "label" not in df:
        df["label"] = ""
    return df


def _measures(d: dict) -> pd.Series:
    return pd.Series({k.replace(".", "_"): v for k, v in d.items()}, dtype=float)


@dataclass(frozen=True)
class Hyp:
    id: str
    source: str
    target: str
    sign: str


@dataclass(frozen=True)
class Label:
    en: str
    zh: str


@dataclass(frozen=True)
class Construct:
    label: Label


class Inst:
    constructs: ClassVar[dict[str, Construct]] = {
        "mot": Construct(Label("Motivation", "协同动因")),
        "mech": Construct(Label("Mechanism", "协同机制")),
        "proc": Construct(Label("Process", "协同过程")),
        "res": Construct(Label("Results", "协同结果")),
    }
    hypotheses = (
        Hyp("H1", "mot", "mech", "+"),
        Hyp("H2", "mech", "proc", "+"),
        Hyp("H3", "proc", "res", "+"),
        Hyp("H4", "mot", "proc", "-"),
        Hyp("H5", "mech", "res", "+"),
    )


@pytest.fixture(scope="module")
def sem_est() -> pd.DataFrame:
    return _estimates(REF["synergy_sem_ml"]["estimates"])


def _all_text(t) -> str:
    return "\n".join([t.to_markdown(), t.to_html(), t.to_latex()])


def test_fit_table_several_models():
    ladder = REF["hs_invariance_school"]["levels"]
    models = {
        "Synergy SEM": _measures(REF["synergy_sem_ml"]["fit_measures"]),
        "HS configural": _measures(ladder["configural"]["fit_measures"]),
    }
    t = fit_table(models, measures=("chisq", "df", "chisq_df", "cfi", "tli", "rmsea", "srmr"))
    fm = REF["synergy_sem_ml"]["fit_measures"]
    assert t.cell("Synergy SEM", "χ²").text == fmt_num(fm["chisq"], 2)
    assert t.cell("Synergy SEM", "df").text == str(fm["df"])
    assert t.cell("Synergy SEM", "χ²/df").text == fmt_num(fm["chisq"] / fm["df"], 2)
    assert t.cell("Synergy SEM", "CFI").text == fmt_num(fm["cfi"], 3, leading_zero=False)
    rmsea = t.cell("Synergy SEM", "RMSEA [90% CI]")
    assert rmsea.value == fm["rmsea"]
    lo = fmt_num(fm["rmsea.ci.lower"], 3, leading_zero=False)
    hi = fmt_num(fm["rmsea.ci.upper"], 3, leading_zero=False)
    assert rmsea.text == f"{fmt_num(fm['rmsea'], 3, leading_zero=False)} [{lo}, {hi}]"
    # the invariance configural model has no RMSEA CI in the reference: no brackets
    assert "[" not in t.cell("HS configural", "RMSEA [90% CI]").text
    assert "-0.000" not in _all_text(t)
    with pytest.raises(OptionError, match="measures"):
        fit_table(models, measures=("gfi",))


def test_fit_table_uses_scaled_statistics_when_present():
    s = pd.Series(
        {
            "chisq": 100.0,
            "df": 50,
            "chisq_scaled": 90.0,
            "df_scaled": 50,
            "cfi": 0.95,
            "cfi_robust": 0.96,
            "tli": 0.94,
            "tli_robust": 0.95,
            "rmsea": 0.05,
            "rmsea_robust": 0.04,
            "rmsea_ci_lower": 0.03,
            "rmsea_ci_upper": 0.06,
            "srmr": 0.04,
        }
    )
    t = fit_table([s], style="econ")
    assert t.cell("Model 1", "χ²").text == "90.00"
    assert t.cell("Model 1", "CFI").text == "0.960"
    assert any("MLR" in g for g in t.notes.general)


def test_paths_table_with_hypotheses(sem_est):
    t = paths_table(sem_est, hypotheses=Inst.hypotheses, instrument=Inst())
    paths = sem_est[sem_est["op"] == "~"]
    for _, rec in paths.iterrows():
        src = Inst.constructs[rec["rhs"]].label.en
        tgt = Inst.constructs[rec["lhs"]].label.en
        row = f"{src} → {tgt}"
        assert t.cell(row, "b").value == rec["est"]
        assert t.cell(row, "β").text == fmt_num(rec["std_all"], 3, leading_zero=False)
        assert t.cell(row, "SE").text == fmt_num(rec["se"], 3)
        assert t.cell(row, "z").text == fmt_num(rec["z"], 2)
        assert t.cell(row, "p").text == fmt_p(rec["pvalue"])
        assert t.cell(row, "95% CI").text == (
            f"[{fmt_num(rec['ci_lower'], 3)}, {fmt_num(rec['ci_upper'], 3)}]"
        )
    # H1 (label a) supported; H4 hypothesised negative but estimated positive -> not supported
    assert t.cell("Motivation → Mechanism", 0).text == "H1"
    assert t.cell("Motivation → Mechanism", "Supported").text == "Yes"
    h4 = paths[(paths["lhs"] == "proc") & (paths["rhs"] == "mot")].iloc[0]
    expected = "Yes" if (h4["est"] < 0 and h4["pvalue"] < 0.05) else "No"
    assert t.cell("Motivation → Process", "Supported").text == expected == "No"


def test_paths_table_labels_only_and_chinese(sem_est):
    est = sem_est.copy()
    est.loc[est["label"] == "a", "label"] = "h1"
    t = paths_table(
        est, style="cn", instrument=None, labels={"mot": "协同动因", "mech": "协同机制"}
    )
    cell = t.cell("协同动因 → 协同机制", 0)
    assert cell.text == "H1"
    assert t.cell("协同动因 → 协同机制", "是否支持").text == "支持"
    assert t.cell("proc → res", 0).text == ""
    text = t.to_latex()
    assert "\\ensuremath{\\rightarrow}" in text and "注：" in text


def test_measurement_table_loadings_and_reliability():
    est = _estimates(REF["hs_invariance_school"]["levels"]["configural"]["estimates"])
    rel = REF["hs_reliability"]
    reliability = pd.DataFrame(
        {"alpha": rel["alpha_psych"], "omega": rel["omega_compRelSEM"], "ave": rel["ave"]}
    )
    est["std_all"] = np.nan  # not in this reference: the cell must stay empty, not "nan"
    t = measurement_table(est, reliability)
    assert [p.title for p in t.panels] == ["visual", "textual", "speed"]
    x2 = est[(est["rhs"] == "x2") & (est["group"] == 1)].iloc[0]
    assert t.cell("x2", "b").value == x2["est"]
    assert t.cell("x2", "λ").text == ""
    assert t.cell("x1", "α").text == fmt_num(rel["alpha_psych"]["visual"], 3, leading_zero=False)
    assert t.cell("x1", "CR").text == fmt_num(
        rel["omega_compRelSEM"]["visual"], 3, leading_zero=False
    )
    assert t.cell("x1", "AVE").text == fmt_num(rel["ave"]["visual"], 3, leading_zero=False)
    assert t.cell("x1", "b").marks == ("a",)
    assert t.cell("x2", "α").text == ""
    assert not re.search(r"\bnan\b", t.to_markdown())
    with pytest.raises(DataValidationError, match="ave"):
        measurement_table(est, reliability.drop(columns="ave"))


def test_discriminant_tables():
    rel = REF["hs_reliability"]
    names = ["visual", "textual", "speed"]
    htmt = pd.DataFrame(rel["htmt"], index=names, columns=names)
    t = discriminant_table(htmt, kind="htmt")
    assert t.cell("2. textual", 0).text == fmt_num(rel["htmt"][1][0], 3, leading_zero=False)
    assert t.cell("1. visual", 0).text == "—"
    assert t.cell("1. visual", 1).text == ""
    fl = htmt.copy()
    for i, n in enumerate(names):
        fl.iloc[i, i] = np.sqrt(rel["ave"][n])
    fl.iloc[2, 0] = 0.7  # larger than sqrt(AVE) of visual (0.609): flagged
    t2 = discriminant_table(fl, style="cn", labels={"visual": "视觉"})
    diag = t2.cell("1. 视觉", 0)
    assert diag.bold and diag.value == pytest.approx(np.sqrt(rel["ave"]["visual"]))
    assert t2.cell("3. speed", 0).marks == ("a",)
    assert t2.notes.specific
    with pytest.raises(DataValidationError):
        discriminant_table(htmt.iloc[:2])


def test_indirect_table_note_has_draws_and_method():
    eff = pd.DataFrame(
        {
            "label": ["a*b*c", "total"],
            "est": [0.12, 0.5],
            "se": [0.03, 0.1],
            "ci_lower": [0.07, 0.3],
            "ci_upper": [0.19, 0.7],
        }
    )
    eff.attrs["failed"] = 3
    t = indirect_table(eff, draws=5000, method="bias-corrected")
    assert t.cell("a*b*c", "95% CI").text == "[0.070, 0.190]"
    note = " ".join(t.notes.general)
    assert "5,000 draws" in note and "bias-corrected" in note and "3 failed" in note
    md = t.to_markdown()
    assert "a\\*b\\*c" in md
    with pytest.raises(DataValidationError, match="ci_lower"):
        indirect_table(eff.drop(columns="ci_lower"))


def test_invariance_table_ladder():
    levels = REF["hs_invariance_school"]["levels"]
    rows = {}
    prev = None
    for name in ("configural", "metric", "scalar"):
        fm = levels[name]["fit_measures"]
        rec = {k: fm.get(k, np.nan) for k in ("npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr")}
        if prev is None:
            rec.update(
                delta_chisq=np.nan,
                delta_df=np.nan,
                pvalue=np.nan,
                delta_cfi=np.nan,
                delta_rmsea=np.nan,
                decision="",
            )
        else:
            rec.update(
                delta_chisq=rec["chisq"] - prev["chisq"],
                delta_df=rec["df"] - prev["df"],
                pvalue=0.0,
                delta_cfi=rec["cfi"] - prev["cfi"],
                delta_rmsea=rec["rmsea"] - prev["rmsea"],
                decision="accept" if prev["cfi"] - rec["cfi"] <= 0.01 else "reject",
            )
        rows[name] = rec
        prev = rec
    ladder = pd.DataFrame.from_dict(rows, orient="index")
    t = invariance_table(ladder)
    assert [r.label for r in t.rows] == ["Configural", "Metric", "Scalar"]
    assert t.cell("Metric", "ΔCFI").value == pytest.approx(ladder.loc["metric", "delta_cfi"])
    assert t.cell("Scalar", "p").text == "< .001"
    assert t.cell("Configural", "Δχ²").text == ""
    t_cn = invariance_table(ladder, style="cn")
    assert t_cn.rows[1].label == "弱等值"
    assert "-0.000" not in _all_text(t) and "-.000" not in _all_text(t)


def test_lags_table_riclpm():
    est = _estimates(REF["riclpm_bivariate"]["estimates"])
    t = lags_table(est)
    assert [p.title for p in t.panels] == ["Autoregressive paths", "Cross-lagged paths"]
    auto = {r.label for r in t.panels[0].rows}
    assert "w_m1 → w_m2" in auto and "w_r2 → w_r3" in auto
    cross = {r.label for r in t.panels[1].rows}
    assert "w_r1 → w_m2" in cross
    rec = est[(est["lhs"] == "w_m2") & (est["rhs"] == "w_r1")].iloc[0]
    assert t.cell("w_r1 → w_m2", "b").value == rec["est"]
    # the parameter label ("arm") is an internal name: no Label column in a paper table
    assert [c.text for c in t.header[-1]] == ["β", "b", "SE", "p"]
    assert t.cell("w_r1 → w_m2", "p").value == rec["pvalue"]
    with pytest.raises(DataValidationError):
        lags_table(est[est["op"] != "~"])


# --- integration with the package's own SEM fit and bundled instrument ---------------------


def test_tables_from_sem_fit_with_instrument():
    from synergy_stats import load_instrument, sem

    data = pd.read_csv(Path(__file__).parent / "data" / "synergy_sim_n1000.csv")
    model = """
    motivation =~ mot1 + mot2 + mot3 + mot4
    mechanism =~ mech1 + mech2 + mech3 + mech4
    process =~ proc1 + proc2 + proc3 + proc4
    results =~ res1 + res2 + res3 + res4
    mechanism ~ motivation
    process ~ mechanism + motivation
    results ~ process + mechanism
    """
    fit = sem(model, data)
    inst = load_instrument("synergy-execution")
    t = paths_table(fit, instrument=inst, style="cn")
    est = fit.estimates()
    rec = est[(est["op"] == "~") & (est["lhs"] == "mechanism")].iloc[0]
    zh = {c: inst.constructs[c].label.zh for c in ("motivation", "mechanism")}
    row = f"{zh['motivation']} → {zh['mechanism']}"
    assert t.cell(row, 0).text == "H1"
    assert t.cell(row, "b").value == rec["est"]
    assert t.cell(row, "β").text == fmt_num(rec["std_all"], 3, leading_zero=False)
    expected = "支持" if rec["est"] > 0 and rec["pvalue"] < 0.05 else "不支持"
    assert t.cell(row, "是否支持").text == expected
    fm = fit.fit_measures()
    ft = fit_table({"SEM": fit})
    assert ft.cell("SEM", "CFI").value == fm["cfi"]
    assert ft.cell("SEM", "df").text == str(int(fm["df"]))
    mt = measurement_table(fit, instrument=inst, style="cn")
    assert mt.panels[0].title == inst.constructs["motivation"].label.zh


def _compile(tex: str, engine: str, tmp_path: Path) -> str:
    import shutil
    import subprocess

    if shutil.which(engine) is None or shutil.which("pdftotext") is None:
        pytest.skip(f"{engine} or pdftotext not installed (TeX Live is installed by .ci/run)")
    (tmp_path / "t.tex").write_text(tex, encoding="utf-8")
    proc = subprocess.run(
        [engine, "-halt-on-error", "-interaction=nonstopmode", "t.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    return subprocess.run(
        ["pdftotext", "t.pdf", "-"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.latex
@pytest.mark.parametrize(("style", "engine"), [("apa", "pdflatex"), ("cn", "xelatex")])
def test_sem_tables_compile(sem_est, tmp_path, style, engine):
    tables = [
        paths_table(sem_est, hypotheses=Inst.hypotheses, instrument=Inst(), style=style),
        fit_table({"SEM": _measures(REF["synergy_sem_ml"]["fit_measures"])}, style=style),
        lags_table(_estimates(REF["riclpm_bivariate"]["estimates"]), style=style),
    ]
    for k, t in enumerate(tables):
        tex = t.to_latex(standalone=True)
        assert ("ctexart" in tex) == (style == "cn")
        folder = tmp_path / str(k)
        folder.mkdir()
        text = _compile(tex, engine, folder)
        assert "¡" not in text and "¿" not in text
        flat = re.sub(r"\s+", "", text)
        for row in t.rows:
            for c in row.cells:
                if c.text:
                    assert c.text.replace(" ", "") in flat, c.text
        if style == "cn" and t.notes.general:
            assert "注：" in flat
        if style == "cn" and k == 0:
            assert "协同动因" in flat and "支持" in flat


def test_paths_into_a_reverse_component_flip_the_expected_sign():
    import numpy as np
    import pandas as pd

    import synergy_stats as ss

    inst = ss.load_instrument("synergy-execution")
    est = pd.DataFrame(
        {
            "lhs": ["synergy_effect", "implementation_gap"],
            "op": ["~", "~"],
            "rhs": ["process", "process"],
            "label": ["h3_synergy_effect", "h3_implementation_gap"],
            "group": [1, 1],
            "est": [0.3, -0.25],
            "se": [0.1, 0.1],
            "z": [3.0, -2.5],
            "pvalue": [0.003, 0.012],
            "ci_lower": [0.1, -0.45],
            "ci_upper": [0.5, -0.05],
            "std_lv": [0.3, -0.25],
            "std_all": [0.3, -0.25],
        }
    )
    table = ss.paths_table(est, hypotheses=inst, instrument=inst)
    md = table.to_markdown()
    rows = [line for line in md.splitlines() if "H3" in line]
    assert len(rows) == 2
    # H3 (process -> results, +) is supported by a positive effect on synergy and a
    # negative effect on the implementation gap, which runs against results
    assert all(line.rstrip(" |").endswith("Yes") for line in rows), rows
    flipped = est.assign(est=[0.3, 0.25], z=[3.0, 2.5])
    md2 = ss.paths_table(flipped, hypotheses=inst, instrument=inst).to_markdown()
    gap = next(line for line in md2.splitlines() if "Implementation gap" in line)
    assert gap.rstrip(" |").endswith("No")
    assert np.isfinite(est["est"]).all()
