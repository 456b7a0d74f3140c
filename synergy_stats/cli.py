"""The ``synergy-stats`` command.

Subcommands:

``synergy-stats report --example [--out DIR]``
    The main job on the bundled example survey.
``synergy-stats report DATA --instrument NAME [--id COL --wave COL --group COL]``
    The main job on your own export (CSV, XLSX, SAV, DTA): validation, scores, descriptives
    and whatever later steps add, written to ``--out`` (default ``synergy_report``).
``synergy-stats validate DATA --instrument NAME``
    Print the validation report; exit status 1 when errors were found.
``synergy-stats instruments``
    List the bundled instruments.
``synergy-stats power CONFIG [--out DIR]``
    A Monte Carlo power study from a YAML file: table, power curve and manifest.

Only the standard library is imported at start-up, so ``--help`` answers at once; the
statistics stack is imported inside the subcommands.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_PROBLEMS = 1  # validate found errors, or a report step failed
EXIT_USAGE = 2  # bad arguments or unusable input
#: ``--platform`` values: the keys of ``synergy_stats.intake.platforms.PLATFORMS`` (spelt
#: out so that ``--help`` does not import the statistics stack; a test keeps them equal).
PLATFORM_CHOICES = ("wjx", "tencent", "qualtrics")


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--instrument", metavar="NAME", help="bundled instrument name or YAML path")
    parser.add_argument("--id", metavar="COL", help="respondent id column")
    parser.add_argument("--wave", metavar="COL", help="wave column (long panel data)")
    parser.add_argument("--group", metavar="COL", help="group column, e.g. department")
    parser.add_argument(
        "--covariates",
        metavar="COLS",
        help="comma-separated other expected columns (not reported as unknown)",
    )
    parser.add_argument("--sheet", default="0", help="XLSX sheet name or 0-based number")
    parser.add_argument(
        "--platform",
        choices=PLATFORM_CHOICES,
        help="survey platform preset of the export: its metadata columns (time, duration, IP, "
        "respondent) are kept out of item matching and checked (speeders, repeats)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``synergy-stats``."""
    from synergy_stats import __version__

    parser = argparse.ArgumentParser(
        prog="synergy-stats",
        description=(
            "Statistics for collaborative-governance surveys: validate a questionnaire "
            "export against an instrument, score its constructs and write a report."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    rep = sub.add_parser(
        "report",
        help="run the main job and write a report folder",
        description=(
            "Read a survey, validate it, score its constructs and describe them; write "
            "report.md and CSV tables to --out."
        ),
    )
    rep.add_argument("data", nargs="?", metavar="DATA", help="CSV, XLSX, SAV or DTA file")
    rep.add_argument(
        "--example", action="store_true", help="use the bundled example survey instead of DATA"
    )
    _add_data_options(rep)
    rep.add_argument("--out", default="synergy_report", metavar="DIR", help="output folder")
    rep.add_argument(
        "--overwrite",
        action="store_true",
        help="write into an existing non-empty folder (replaces report files)",
    )
    rep.add_argument(
        "--steps",
        metavar="NAMES",
        help=(
            "comma-separated report steps to run, in order (default: all); names as listed "
            "by 'synergy-stats steps', e.g. validation_step,scoring_step"
        ),
    )
    rep.add_argument(
        "--lang",
        choices=("en", "zh"),
        default="en",
        help="language of the figures' labels and of report.html's headings (default en)",
    )
    rep.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of the bootstrap, Monte Carlo and parallel analysis (default 20261127)",
    )
    rep.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar (it is off anyway when not a terminal)",
    )
    sub.add_parser("steps", help="list the report steps of the main job")

    val = sub.add_parser(
        "validate",
        help="print the validation report of a survey file",
        description="Check a survey file against an instrument and print every problem.",
    )
    val.add_argument("data", metavar="DATA", help="CSV, XLSX, SAV or DTA file")
    _add_data_options(val)
    val.add_argument(
        "--problems", metavar="FILE", help="also write the problems table to this CSV file"
    )

    sub.add_parser("instruments", help="list the bundled instruments")

    pw = sub.add_parser(
        "power",
        help="run a Monte Carlo power study from a YAML file",
        description=(
            "Simulate from the population model of CONFIG, fit the analysis model to every "
            "replication and write power_table.csv, power_curve.png and manifest.json."
        ),
    )
    pw.add_argument("config", metavar="CONFIG", help="YAML file: population, n, targets, engine")
    pw.add_argument("--out", default="synergy_power", metavar="DIR", help="output folder")
    pw.add_argument("--overwrite", action="store_true", help="replace study files in DIR")
    return parser


def _sheet(value: str) -> str | int:
    return int(value) if value.isdigit() else value


def _covariates(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [c.strip() for c in value.split(",") if c.strip()]


def _read(args: argparse.Namespace) -> Any:
    from synergy_stats.intake import read_survey

    if args.instrument is None:
        raise _UsageError(
            "--instrument NAME is required with DATA (see: synergy-stats instruments)"
        )
    return read_survey(
        args.data,
        args.instrument,
        id=args.id,
        wave=args.wave,
        group=args.group,
        covariates=_covariates(args.covariates),
        sheet=_sheet(args.sheet),
        platform=args.platform,
    )


class _UsageError(Exception):
    """A command-line usage problem (reported without a traceback)."""


def _cmd_report(args: argparse.Namespace) -> int:
    from synergy_stats.report import run_report

    if args.example:
        if args.data is not None:
            raise _UsageError("give either DATA or --example, not both")
        from importlib import resources

        from synergy_stats.intake import read_survey
        from synergy_stats.simulate import example as ex

        with resources.as_file(ex.example_path()) as path:
            survey = read_survey(
                path,
                args.instrument or ex.EXAMPLE_INSTRUMENT,
                id=ex.EXAMPLE_ID,
                wave=ex.EXAMPLE_WAVE,
                group=ex.EXAMPLE_GROUP,
                covariates=ex.EXAMPLE_COVARIATES,
            )
        title = "Survey report: bundled example (street work-safety leading group, 3 waves)"
    else:
        if args.data is None:
            raise _UsageError("give a DATA file or --example")
        survey = _read(args)
        title = f"Survey report: {args.data}"
    steps = None
    if args.steps:
        from synergy_stats.report import report_steps

        known = dict(report_steps())
        wanted = [name.strip() for name in args.steps.split(",") if name.strip()]
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise _UsageError(
                f"--steps: unknown step(s) {unknown}; the steps are {', '.join(known)}"
            )
        steps = [known[name] for name in wanted]
    from synergy_stats.report import DEFAULT_SEED

    seed = DEFAULT_SEED if args.seed is None else args.seed
    options = {k: v for k, v in sorted(vars(args).items()) if k not in ("command", "argv")}
    options["seed"] = seed
    command = {
        "argv": ["synergy-stats", *sys.argv[1:]] if args.argv is None else args.argv,
        "options": options,
    }
    result = run_report(
        survey,
        args.out,
        overwrite=args.overwrite,
        title=title,
        steps=steps,
        lang=args.lang,
        seed=seed,
        progress=False if args.quiet else None,
        command=command,
    )
    validation = result.results.get("validation")
    if validation is not None:
        print(repr(validation))
    for name, message in result.failed:
        print(f"synergy-stats: step {name} failed: {message}", file=sys.stderr)
    print(
        f"wrote {result.path}, {result.html.name if result.html else ''} and "
        f"{len(result.files) - 2} more files to {args.out}"
    )
    return EXIT_PROBLEMS if result.failed else EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from synergy_stats.intake import validate

    survey = _read(args)
    report = validate(survey.instrument, survey)
    print(report.to_markdown())
    if args.problems:
        target = Path(args.problems)
        if target.exists():
            raise _UsageError(f"--problems {target} exists; choose a new file name")
        report.problems.to_csv(target, index=False, encoding="utf-8-sig", lineterminator="\n")
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _cmd_instruments(args: argparse.Namespace) -> int:
    from synergy_stats.instrument import list_instruments, load_instrument

    for name in list_instruments():
        inst = load_instrument(name)
        print(
            f"{name}\tversion {inst.version}\t{len(inst.items)} items\t"
            f"{inst.title.en} / {inst.title.zh}"
        )
    return EXIT_OK


def _cmd_power(args: argparse.Namespace) -> int:
    from synergy_stats.simulate.study import run_power_study

    out = run_power_study(args.config, args.out, overwrite=args.overwrite)
    print(out["table"].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"wrote {', '.join(f.name for f in out['files'])} to {args.out}")
    return EXIT_OK


def _cmd_steps(args: argparse.Namespace) -> int:
    from synergy_stats.report import report_steps

    for name, step in report_steps():
        doc = (step.__doc__ or "").strip().splitlines()
        print(f"{name}: {doc[0] if doc else ''}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``synergy-stats`` with ``argv`` (default: the process arguments).

    Returns
    -------
    int
        0 on success; 1 when ``validate`` found errors or a report step failed; 2 for
        usage errors and unusable input (the message goes to stderr).
    """
    import warnings

    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = None if argv is None else ["synergy-stats", *argv]
    commands = {
        "report": _cmd_report,
        "validate": _cmd_validate,
        "instruments": _cmd_instruments,
        "steps": _cmd_steps,
        "power": _cmd_power,
    }
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    from synergy_stats.errors import SynergyError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            status = commands[args.command](args)
        except (SynergyError, _UsageError) as exc:
            print(f"synergy-stats {args.command}: error: {exc}", file=sys.stderr)
            status = EXIT_USAGE
    seen: set[str] = set()
    for w in caught:
        text = f"synergy-stats: {w.category.__name__}: {w.message}"
        if text not in seen:
            seen.add(text)
            print(text, file=sys.stderr)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
