"""synergy-stats power CONFIG: the table, the curve and the manifest; plot_power."""

import json

import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::synergy_stats.errors.ConvergenceWarning")

CONFIG = """
population: |
  m ~ 0.3*x
  y ~ 0.3*m + 0.1*x
analysis: |
  m ~ a*x
  y ~ b*m + x
  ab := a*b
n: [60, 120]
targets: [ab, a]
replications: 40
seed: 3
ci: delta
engine: {n_jobs: 1, checkpoint: chunks, chunk_size: 20}
"""


def test_power_command_writes_table_curve_manifest(tmp_path, capsys):
    cfg = tmp_path / "study.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["power", str(cfg), "--out", str(out)]) == 0
    assert "wrote power_table.csv" in capsys.readouterr().out
    table = pd.read_csv(out / "power_table.csv")
    assert list(table["target"]) == ["ab", "a", "ab", "a"]
    # the same study through the API gives the same table
    api = ss.power(
        "m ~ 0.3*x\ny ~ 0.3*m + 0.1*x",
        [60, 120],
        analysis="m ~ a*x\ny ~ b*m + x\nab := a*b",
        targets=["ab", "a"],
        replications=40,
        seed=3,
    ).table()
    pd.testing.assert_frame_equal(table, api, check_dtype=False, rtol=1e-12)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"]["entropy"] == 3 and manifest["replications"] == 40
    assert set(manifest["files"]) >= {"power_table.csv", "power_curve.png", "manifest.json"}
    assert (out / "power_curve.png").read_bytes()[:4] == b"\x89PNG"
    assert len(list((out / "chunks").glob("chunk-*.npz"))) == 4
    # an existing study is not overwritten without --overwrite
    assert main(["power", str(cfg), "--out", str(out)]) == 2
    assert "overwrite" in capsys.readouterr().err
    assert main(["power", str(cfg), "--out", str(out), "--overwrite"]) == 0


def test_power_command_riclpm_design(tmp_path):
    cfg = tmp_path / "panel.yaml"
    cfg.write_text(
        "riclpm:\n  constructs: [mechanism, results]\n  waves: 3\n"
        "  lags: {'results -> mechanism': 0.2}\nn: [300]\nreplications: 10\nseed: 1\n",
        encoding="utf-8",
    )
    assert main(["power", str(cfg), "--out", str(tmp_path / "o")]) == 0
    table = pd.read_csv(tmp_path / "o" / "power_table.csv")
    assert {"feedback_lrt", "feedback_wald", "cl_results_mechanism_2"} <= set(table["target"])


def test_bad_config(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("population: 'y ~ 0.2*x'\nn: 50\nreplicatons: 10\n", encoding="utf-8")
    assert main(["power", str(cfg), "--out", str(tmp_path / "o")]) == 2
    assert "unknown key" in capsys.readouterr().err


def test_plot_power():
    res = ss.power("y ~ 0.3*x", [40, 80, 120], replications=30, seed=1, targets=["y ~ x", "chisq"])
    fig = ss.plot_power(res, targets=["y ~ x"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["y ~ x"]
    assert list(ax.get_xticks()) == [40, 80, 120]
    with pytest.raises(ss.OptionError, match="PowerResult"):
        ss.plot_power(res.table())
    with pytest.raises(ss.OptionError, match="not in the result"):
        ss.plot_power(res, targets=["nope"])
