"""The synergy-stats command and the report step registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from synergy_stats.cli import main
from synergy_stats.errors import DataValidationError, OptionError, RenderError
from synergy_stats.intake import read_survey
from synergy_stats.report import (
    REPORT_STEPS,
    PendingSection,
    ReportContext,
    Section,
    report_steps,
    run_report,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "intake"
ROLES = ["--id", "respondent_id", "--wave", "wave", "--group", "department"]


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        check=False,
    )


def test_module_help_in_a_subprocess(tmp_path):
    done = _run("-m", "synergy_stats.cli", "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for word in ("report", "validate", "instruments"):
        assert word in done.stdout
    sub = _run("-m", "synergy_stats.cli", "report", "--help", cwd=tmp_path)
    assert sub.returncode == 0 and "--overwrite" in sub.stdout and "--example" in sub.stdout


def test_cli_import_does_not_load_the_statistics_stack():
    code = (
        "import sys, synergy_stats.cli as c; c.build_parser(); "
        "heavy = [m for m in ('pandas', 'numpy', 'scipy', 'statsmodels', 'semopy', 'yaml') "
        "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = _run("-c", code)
    assert done.returncode == 0, done.stdout + done.stderr


def test_version_and_no_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert "synergy-stats" in capsys.readouterr().out
    assert main([]) == 2


def test_instruments(capsys):
    assert main(["instruments"]) == 0
    out = capsys.readouterr().out
    assert "synergy-execution" in out and "sfic" in out


@pytest.fixture(scope="module")
def example_report(tmp_path_factory):
    """The main job on the bundled example, run in this (threaded, so unforked) process."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("example") / "rep"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["report", "--example", "--out", str(out)])
    return out, code, stdout.getvalue(), stderr.getvalue()


def test_report_example(example_report):
    out, code, printed_out, printed_err = example_report
    assert code == 0
    assert "wrote" in printed_out
    assert "DroppedDataWarning" in printed_err
    names = {p.name for p in out.iterdir()}
    assert {
        "report.md",
        "problems.csv",
        "validation_summary.csv",
        "missingness_items.csv",
        "missingness_respondents.csv",
        "scores.csv",
        "descriptives.csv",
        "item_descriptives.csv",
    } <= names
    text = (out / "report.md").read_text("utf-8")
    assert "## 1. Validation" in text and "## 2. Construct scores" in text
    assert "## 3. Descriptives" in text
    # the analysis steps: measurement quality, the synergy SEM and the paper tables
    assert "this step failed" not in text.lower()
    assert {"reliability.csv", "htmt.csv", "sem_estimates.csv", "sem_fit_measures.csv"} <= names
    assert {"indirect_effects.csv", "invariance.csv", "feedback_test.csv"} <= names
    for stem in (
        "table_fit",
        "table_paths",
        "table_measurement",
        "table_htmt",
        "table_indirect",
        "table_invariance",
        "table_lags",
    ):
        assert {f"{stem}.{ext}" for ext in ("tex", "docx", "html", "md")} <= names
    est = pd.read_csv(out / "sem_estimates.csv", encoding="utf-8-sig")
    h1 = est[est["label"] == "h1"].iloc[0]
    assert (h1["lhs"], h1["op"], h1["rhs"]) == ("mechanism", "~", "motivation")
    assert h1["pvalue"] < 0.05 and h1["est"] > 0  # the example is simulated with H1 true
    fm = pd.read_csv(out / "sem_fit_measures.csv", encoding="utf-8-sig", index_col=0)["value"]
    assert fm["df"] > 0 and 0 <= fm["cfi"] <= 1
    boot = pd.read_csv(out / "indirect_effects.csv", encoding="utf-8-sig")
    assert (boot["draws"] + boot["failed"] == 1000).all()
    assert (boot["ci_lower"] <= boot["est"]).all() and (boot["est"] <= boot["ci_upper"]).all()
    ladder = pd.read_csv(out / "invariance.csv", encoding="utf-8-sig", index_col=0)
    assert list(ladder.index) == ["configural", "metric", "scalar", "strict"]
    feedback = pd.read_csv(out / "feedback_test.csv", encoding="utf-8-sig")
    assert feedback.loc[0, "df_diff"] == 2 and 0 <= feedback.loc[0, "pvalue"] <= 1
    problems = pd.read_csv(out / "problems.csv", encoding="utf-8-sig")
    counts = problems["kind"].value_counts()
    # the planted problems of the example (see simulate_example)
    assert counts["out_of_range"] == 3 and counts["invalid_value"] == 3
    assert counts["duplicate_id_wave"] == 1
    scores = pd.read_csv(out / "scores.csv", encoding="utf-8-sig")
    assert {"respondent_id", "wave", "department", "motivation", "n_items_motivation"} <= set(
        scores.columns
    )
    assert len(scores) == len(pd.read_csv(out / "missingness_respondents.csv"))
    desc = pd.read_csv(out / "descriptives.csv", encoding="utf-8-sig")
    assert sorted(desc["wave"].unique().tolist()) == [1, 2, 3]


def test_report_example_in_a_fresh_process_gives_the_same_files(example_report, tmp_path):
    # the command as a user runs it: a single-threaded process, so the bootstrap and the
    # power check fork their workers and the figures are written by background processes
    # while the later steps run; every table and figure must be the in-process run's
    inproc = example_report[0]
    out = tmp_path / "rep"
    done = _run("-m", "synergy_stats.cli", "report", "--example", "--out", str(out))
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in inproc.iterdir())
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert all(step["status"] == "ok" for step in manifest["steps"])
    compared = [n for n in names if n.endswith((".csv", ".png", ".svg", ".tex"))]
    assert len(compared) > 60
    differ = [n for n in compared if (out / n).read_bytes() != (inproc / n).read_bytes()]
    assert not differ, differ


def test_report_refuses_non_empty_folder(tmp_path, capsys):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    assert main(["report", "--example", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    quick = ["--steps", "validation_step,scoring_step"]
    assert main(["report", "--example", "--out", str(out), "--overwrite", *quick]) == 0
    assert (out / "mine.txt").read_text() == "keep me"
    assert (out / "report.md").exists()
    # an empty folder is fine without --overwrite
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", "--example", "--out", str(empty), *quick]) == 0
    assert not (empty / "sem_estimates.csv").exists()


def test_steps_option(tmp_path, capsys):
    assert main(["steps"]) == 0
    listed = capsys.readouterr().out
    assert "sem_step" in listed and "tables_step" in listed
    out = tmp_path / "rep"
    assert main(["report", "--example", "--out", str(out), "--steps", "nope_step"]) == 2
    assert "unknown step" in capsys.readouterr().err


def test_report_on_a_file(tmp_path):
    out = tmp_path / "rep"
    args = ["report", str(DATA / "messy.xlsx"), "--instrument", "synergy-execution", *ROLES]
    assert main([*args, "--covariates", "gender", "--out", str(out)]) == 0
    text = (out / "report.md").read_text("utf-8")
    assert "messy.xlsx" in text and "**ERRORS FOUND**" in text
    problems = pd.read_csv(out / "problems.csv", encoding="utf-8-sig")
    assert len(problems) == 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report"], "DATA file or --example"),
        (["report", "x.csv", "--example"], "not both"),
        (["report", "x.csv"], "--instrument"),
        (["validate", "nope.csv", "--instrument", "synergy-execution"], "no such file"),
        (["validate", str(DATA / "clean.csv"), "--instrument", "nope"], "nope"),
    ],
)
def test_usage_errors(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_validate_command(capsys, tmp_path):
    base = ["--instrument", "synergy-execution", *ROLES, "--covariates", "gender"]
    assert main(["validate", str(DATA / "clean.csv"), *base]) == 0
    assert "**OK**" in capsys.readouterr().out
    target = tmp_path / "p.csv"
    assert main(["validate", str(DATA / "messy.sav"), *base, "--problems", str(target)]) == 1
    assert "duplicate_id_wave" in capsys.readouterr().out
    assert len(pd.read_csv(target, encoding="utf-8-sig")) == 10
    assert main(["validate", str(DATA / "messy.sav"), *base, "--problems", str(target)]) == 2


# --------------------------------------------------------------------------- registry
@pytest.fixture(scope="module")
def survey():
    return read_survey(DATA / "clean.csv", "synergy-execution", id="respondent_id", wave="wave")


def test_default_steps_are_registered():
    names = [name for name, _ in report_steps()]
    assert names[:3] == ["validation_step", "scoring_step", "descriptives_step"]
    assert all(spec.count(":") == 1 for spec in REPORT_STEPS)


def test_custom_steps_and_failures(survey, tmp_path):
    def extra(ctx: ReportContext) -> Section:
        path = ctx.write_text("extra.txt", f"{len(ctx.survey.data)} rows")
        return Section("Extra", "an extra step", (path.name,))

    def broken(ctx: ReportContext) -> Section:
        raise DataValidationError("cannot do this")

    def clash(ctx: ReportContext) -> None:
        ctx.write_text("extra.txt", "again")

    result = run_report(
        survey,
        tmp_path / "r",
        steps=["synergy_stats.report:validation_step", extra, broken],
        title="T",
    )
    assert [s.title for s in result.sections] == ["Validation", "Extra", "Broken"]
    assert result.failed == (("broken", "cannot do this"),)
    text = result.path.read_text("utf-8")
    assert text.startswith("# T\n") and "## 2. Extra" in text and "**This step failed**" in text
    assert (tmp_path / "r" / "extra.txt").read_text() == "26 rows"
    assert "validation" in result.results
    clashed = run_report(survey, tmp_path / "r2", steps=[extra, clash])
    assert clashed.failed[0][0] == "clash" and "already written" in clashed.failed[0][1]
    with pytest.raises(OptionError, match="cannot be found"):
        run_report(survey, tmp_path / "r3", steps=["synergy_stats.report:nothing"])
    with pytest.raises(OptionError):
        run_report(survey.data, tmp_path / "r4")
    (tmp_path / "file").write_text("x")
    with pytest.raises(RenderError, match="not a folder"):
        run_report(survey, tmp_path / "file")


def test_pending_sections_finish_after_the_later_steps_in_their_place(survey, tmp_path):
    order: list[str] = []

    def pending(ctx: ReportContext) -> PendingSection:
        order.append("start")

        def finish() -> Section:
            order.append("finish")
            return Section("Pending", "done later")

        return PendingSection(finish=finish, cancel=lambda: order.append("cancel"))

    def later(ctx: ReportContext) -> Section:
        order.append("later")
        return Section("Later", "b")

    def failing(ctx: ReportContext) -> PendingSection:
        def finish() -> Section:
            raise RenderError("the writer died")

        return PendingSection(finish=finish, cancel=lambda: order.append("cancel failing"))

    result = run_report(survey, tmp_path / "r", steps=[pending, later, failing])
    assert order == ["start", "later", "finish"]  # finished ones are not cancelled
    assert [s.title for s in result.sections] == ["Pending", "Later", "Failing"]
    assert result.failed == (("failing", "the writer died"),)
    steps = json.loads((tmp_path / "r" / "manifest.json").read_text("utf-8"))["steps"]
    assert [s["status"] for s in steps] == ["ok", "ok", "failed: RenderError"]

    def crash(ctx: ReportContext) -> None:
        raise RuntimeError("a bug")

    order.clear()
    with pytest.raises(RuntimeError, match="a bug"):
        run_report(survey, tmp_path / "r2", steps=[pending, crash])
    assert order == ["start", "cancel"]  # background work stopped, not left running


def test_a_steps_prepare_runs_before_the_first_step(survey, tmp_path):
    order: list[str] = []

    def first(ctx: ReportContext) -> Section:
        order.append("first")
        return Section("First", "a")

    def prepared(ctx: ReportContext) -> Section:
        value = ctx.take_background("square")
        order.append(f"prepared {value}")
        return Section("Prepared", str(value))

    def prepare(ctx: ReportContext) -> None:
        order.append("prepare")
        ctx.start_background("square", pow, len(ctx.survey.data), 2)

    prepared.prepare = prepare  # type: ignore[attr-defined]
    result = run_report(survey, tmp_path / "r", steps=[first, prepared])
    n = len(survey.data)
    assert order == ["prepare", "first", f"prepared {n * n}"]
    assert result.sections[1].body == str(n * n)
    assert ReportContext(survey=survey, out_dir=tmp_path).take_background("none") is None


def test_background_figures_are_listed_and_their_names_taken(survey, tmp_path):
    from matplotlib.figure import Figure

    def draw() -> Figure:
        fig = Figure(figsize=(2, 2))
        fig.add_subplot().plot([0, 1], [1, 0])
        return fig

    def figures(ctx: ReportContext) -> PendingSection:
        pending = ctx.start_figures([("a", draw, "A", None), ("b", draw, "B", None)])

        def finish() -> Section:
            refs = pending.wait()
            return Section("Figures", "", tuple(n for r in refs for n in r.files))

        return PendingSection(finish=finish, cancel=pending.cancel)

    def clash(ctx: ReportContext) -> None:
        ctx.write_text("b.svg", "not a figure")

    result = run_report(survey, tmp_path / "r", steps=[figures, clash])
    assert result.failed[0][0] == "clash" and "already written" in result.failed[0][1]
    names = {p.name for p in result.files}
    assert {f"{s}.{e}" for s in "ab" for e in ("png", "pdf", "svg")} <= names
    assert (tmp_path / "r" / "b.svg").read_text("utf-8").startswith("<?xml")
    assert result.sections[0].files == ("a.png", "a.pdf", "a.svg", "b.png", "b.pdf", "b.svg")
