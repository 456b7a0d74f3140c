"""rmsea_power and rmsea_sample_size against frozen semTools 0.5-6."""

import json
from pathlib import Path

import numpy as np
import pytest

import synergy_stats as ss

REF = json.loads(
    (Path(__file__).parent / "data" / "simulate" / "rmsea_power_semtools.json").read_text()
)


def test_power_matches_semtools():
    rows = REF["power"]
    assert any(r["rmsea0"] < r["rmseaA"] for r in rows)  # close fit
    assert any(r["rmsea0"] > r["rmseaA"] for r in rows)  # not-close fit
    ours = [
        ss.rmsea_power(r["df"], r["n"], r["rmsea0"], r["rmseaA"], r["alpha"], groups=r["group"])
        for r in rows
    ]
    np.testing.assert_allclose(ours, [r["power"] for r in rows], rtol=0, atol=1e-6)


def test_sample_size_matches_semtools():
    rows = REF["sample_size"]
    ours = [
        ss.rmsea_sample_size(
            r["df"], r["rmsea0"], r["rmseaA"], r["power"], r["alpha"], groups=r["group"]
        )
        for r in rows
    ]
    np.testing.assert_allclose(ours, [r["n"] for r in rows], rtol=0, atol=1e-6)


def test_vector_n_and_errors():
    pw = ss.rmsea_power(20, np.array([100, 200, 400]), 0.05, 0.08)
    assert pw.shape == (3,) and np.all(np.diff(pw) > 0)
    with pytest.raises(ss.OptionError, match="must differ"):
        ss.rmsea_power(20, 100, 0.05, 0.05)
    with pytest.raises(ss.OptionError, match="df"):
        ss.rmsea_sample_size(0, 0.05, 0.08)
