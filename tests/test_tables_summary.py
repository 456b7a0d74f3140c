"""fit.summary() against lavaan's printed summary (frozen text in tests/data/tables/).

The references are ``summary(fit, fit.measures = TRUE, standardized = TRUE, rsquare = TRUE)``
of lavaan 0.6-14 (tests/reference_scripts/make_summary_reference.R). Both printouts are
parsed into sections and rows; every parameter row of lavaan must be in ours with the same
printed numbers (within one unit of the third decimal, the print precision), and every
fit line we print must agree with lavaan's line of the same label.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import synergy_stats as ss

DATA = Path(__file__).parent / "data"
REF = DATA / "tables"
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
SYN = """mot =~ mot1 + mot2 + mot3 + mot4
mech =~ mech1 + mech2 + mech3 + mech4
proc =~ proc1 + proc2 + proc3 + proc4
res =~ res1 + res2 + res3 + res4
mech ~ a*mot
proc ~ b*mech + mot
res ~ c*proc + mech
indirect := a*b*c"""

_NUM = re.compile(r"<0\.001|-?\d+\.\d+|-?\d+")
PARAM_SECTIONS = (
    "Latent Variables",
    "Regressions",
    "Covariances",
    "Intercepts",
    "Variances",
    "Defined Parameters",
    "R-Square",
)


def _value(tok: str) -> float:
    return 0.0 if tok == "<0.001" else float(tok)


def parse(text: str) -> dict[str, dict[str, list[str]]]:
    """Section title -> {row key: number tokens}; parameter rows keyed by their block."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = "header"
    block = ""
    sections[current] = {}
    for raw in text.splitlines():
        if raw.startswith("#") or not raw.strip():
            continue
        if not raw.startswith(" ") and raw.rstrip().endswith(":"):
            current = raw.strip().rstrip(":")
            sections[current] = {}
            block = ""
            continue
        line = raw.rstrip()
        if re.match(r"^\s+Estimate", line) or re.match(r"^\s+Standard\s+Scaled$", line):
            sections[current]["__columns__"] = line.split()
            continue
        if current in PARAM_SECTIONS:
            m = re.match(r"^  (\S.*(=~|~~|~))\s*$", line)
            if m:
                block = m.group(1).strip()
                continue
            name = line[:19].split()[0] if line[:19].split() else ""
            rest = line[19:] if len(line) > 19 else ""
            sections[current][f"{block} | {name}"] = _NUM.findall(rest)
        else:
            m = re.match(r"^\s+(.*?)\s{2,}(\S.*)?$", line)
            if m is None:
                continue
            label = m.group(1).strip()
            values = _NUM.findall(m.group(2) or "")
            if label in sections[current]:
                label += " (2)"
            sections[current][label] = values
    return sections


def _close(ours: list[str], theirs: list[str], tol: float, where: str) -> None:
    assert len(ours) == len(theirs), f"{where}: {ours} vs lavaan {theirs}"
    for a, b in zip(ours, theirs, strict=True):
        assert abs(_value(a) - _value(b)) <= tol, f"{where}: {ours} vs lavaan {theirs}"


def compare(ours_text: str, ref_name: str, *, tol: float = 0.0011) -> None:
    ref = parse((REF / ref_name).read_text(encoding="utf-8"))
    ours = parse(ours_text)
    for line in ours_text.splitlines():
        assert len(line) <= 100, line
        assert "nan" not in line.lower().split(), line
    for section in PARAM_SECTIONS:
        if section not in ref:
            assert section not in ours, f"{section} printed but lavaan has none"
            continue
        assert section in ours, f"section {section!r} missing"
        assert ours[section]["__columns__"] == ref[section]["__columns__"], section
        for key, values in ref[section].items():
            if key == "__columns__":
                continue
            assert key in ours[section], f"{section}: row {key!r} missing"
            _close(ours[section][key], values, tol, f"{section} {key}")
    # fit lines: every label we print that lavaan prints agrees, and the core ones exist
    fit_sections = [
        "Model Test User Model",
        "Model Test Baseline Model",
        "User Model versus Baseline Model",
        "Loglikelihood and Information Criteria",
        "Root Mean Square Error of Approximation",
        "Standardized Root Mean Square Residual",
    ]
    for section in fit_sections:
        assert section in ours, f"section {section!r} missing"
        for label, values in ours[section].items():
            if label == "__columns__" or label not in ref[section]:
                continue
            theirs = ref[section][label]
            n = min(len(values), len(theirs))
            if "Scaled" in ref[section].get("__columns__", []) and len(values) < len(theirs):
                # a value we cannot compute from the public result is left blank: only the
                # Standard column is compared then
                n = len(values)
            if values[:n] != theirs[:n]:
                # same print precision; a last-digit difference of rounding is allowed
                tol_fit = max(tol, 0.0011 * max(1.0, abs(_value(theirs[0])) / 1000))
                _close(values[:n], theirs[:n], tol_fit, f"{section} {label}")
    required = {
        "Model Test User Model": ["Degrees of freedom", "P-value (Chi-square)"],
        "Model Test Baseline Model": ["Test statistic", "Degrees of freedom", "P-value"],
        "User Model versus Baseline Model": [
            "Comparative Fit Index (CFI)",
            "Tucker-Lewis Index (TLI)",
        ],
        "Loglikelihood and Information Criteria": [
            "Loglikelihood user model (H0)",
            "Loglikelihood unrestricted model (H1)",
            "Akaike (AIC)",
            "Bayesian (BIC)",
            "Sample-size adjusted Bayesian (SABIC)",
        ],
        "Root Mean Square Error of Approximation": [
            "RMSEA",
            "90 Percent confidence interval - lower",
            "P-value H_0: RMSEA <= 0.050",
            "P-value H_0: RMSEA >= 0.080",
        ],
    }
    for section, labels in required.items():
        for label in labels:
            assert label in ours[section], f"{section}: {label!r} missing"
    for label in ("Number of observations", "Number of missing patterns"):
        if label in ref["header"]:
            assert ours["header"][label] == ref["header"][label], label
    ref_pe = ref["Parameter Estimates"]
    for label in ("Standard errors",):
        assert label in ours["Parameter Estimates"]
        assert label in ref_pe


def test_summary_hs_cfa_matches_lavaan():
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
    text = ss.cfa(HS, hs).summary()
    compare(text, "summary_hs_cfa.txt")
    assert "Information saturated (h1) model" in text


def test_summary_synergy_sem_mlr_matches_lavaan():
    syn = pd.read_csv(DATA / "synergy_sim_n1000.csv")
    text = ss.sem(SYN, syn, estimator="MLR").summary()
    compare(text, "summary_synergy_sem_mlr.txt")
    ref = parse((REF / "summary_synergy_sem_mlr.txt").read_text(encoding="utf-8"))
    ours = parse(text)
    # robust lines under MLR, the scaled column and the label of a labelled path
    assert ours["Model Test User Model"]["__columns__"] == ["Standard", "Scaled"]
    robust = ours["User Model versus Baseline Model"]["Robust Comparative Fit Index (CFI)"]
    _close(
        robust,
        ref["User Model versus Baseline Model"]["Robust Comparative Fit Index (CFI)"],
        0.0011,
        "robust CFI",
    )
    assert "(a)" in text and "Sandwich" in text
    assert "Defined Parameters:" in text and "    indirect" in text


def test_summary_fiml_mlr_missing_patterns_and_intercepts():
    hsm = pd.read_csv(DATA / "holzinger_swineford_1939_missing10.csv")
    fit = ss.cfa(HS, hsm, missing="fiml", estimator="MLR")
    text = fit.summary()
    compare(text, "summary_hs_cfa_fiml_mlr.txt", tol=0.0021)
    assert "Number of missing patterns" in text and "Intercepts:" in text


def test_summary_blanks_not_nan_and_options():
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
    fit = ss.cfa(HS, hs)
    text = fit.summary(standardized=False, rsquare=False, fit_measures=False)
    assert "nan" not in text.lower()
    assert "R-Square" not in text and "Model Test User Model" not in text
    marker = next(line for line in text.splitlines() if line.startswith("    x1"))
    assert marker.split() == ["x1", "1.000"]  # fixed loading: SE, z, p and std blank


@pytest.mark.parametrize("tok, expected", [("<0.001", 0.0), ("0.017", 0.017)])
def test_parser_values(tok, expected):
    assert _value(tok) == expected
