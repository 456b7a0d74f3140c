"""The main job: a folder with a markdown report and CSV tables for one survey.

:func:`run_report` runs the steps listed in :data:`REPORT_STEPS` in order. Each step is a
function that takes the :class:`ReportContext` (the survey, its instrument, the output folder
and the results of earlier steps), writes its files through the context and returns a
:class:`Section` of ``report.md``. A later feature adds its step by appending one
``"module:function"`` entry to :data:`REPORT_STEPS` (or, at run time, with
:func:`register_step`); the command line does not change.

Two ways for a step to use the other core while the job goes on: a step may return a
:class:`PendingSection` (work it started in other processes, finished after the later
steps; the figures' writers), and a step function may carry a ``prepare(ctx)`` attribute,
which :func:`run_report` calls before the first step so that work needing only the survey
starts at once in a forked process (:meth:`ReportContext.start_background`; the power
step's simulation), its result taken by the step in its place.

The steps shipped here: validation (``problems.csv`` and summaries), scoring
(``scores.csv`` with ``n_items_<construct>`` columns) and descriptives per wave.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from synergy_stats._blas import single_threaded
from synergy_stats.errors import OptionError, RenderError, SynergyError

if TYPE_CHECKING:
    import pandas as pd

    from synergy_stats.inference.progress import ProgressLike
    from synergy_stats.instrument import Instrument
    from synergy_stats.intake import SurveyData

__all__ = [
    "DEFAULT_SEED",
    "REPORT_STEPS",
    "FigureRef",
    "PendingFigures",
    "PendingSection",
    "ReportContext",
    "ReportResult",
    "Section",
    "Step",
    "StepRecord",
    "descriptives_step",
    "register_step",
    "report_steps",
    "run_report",
    "scoring_step",
    "validation_step",
]


#: seed of the main job unless the caller gives one (``--seed``)
DEFAULT_SEED = 20261127


@dataclass(frozen=True)
class FigureRef:
    """A figure of the report: the files written and where it belongs.

    Parameters
    ----------
    stem : str
        File name without suffix (``path_diagram`` for ``path_diagram.png/.pdf/.svg``).
    caption : str
        Caption in the report.
    files : tuple of str
        The files written.
    anchor : str, optional
        Name of the step whose section shows the figure in ``report.html``.
    """

    stem: str
    caption: str
    files: tuple[str, ...] = ()
    anchor: str | None = None


@dataclass(frozen=True)
class StepRecord:
    """When a step started, how long it ran and whether it failed (for ``manifest.json``)."""

    name: str
    started: str
    seconds: float
    status: str


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]], **options: Any) -> str:
    """A small table of ``report.md`` through the paper tables' Markdown renderer.

    ``options`` go to :func:`synergy_stats.tables.model.plain_table` (``pvalues=``,
    ``bounded=``, ``digits=``): p-values print as ``< .001``, never ``0.000``, and Markdown
    specials in the cells are escaped.
    """
    from synergy_stats.tables.model import plain_table

    return plain_table(header, rows, **options).to_markdown().rstrip("\n")


@dataclass
class ReportContext:
    """What a report step sees: the survey, where to write, and earlier results.

    Parameters
    ----------
    survey : SurveyData
        The survey read with :func:`synergy_stats.read_survey`.
    out_dir : pathlib.Path
        The output folder (created by :func:`run_report`).
    results : dict
        Results shared between steps: the validation step stores ``"validation"`` (a
        ValidationReport), the scoring step ``"scores"`` (a DataFrame).
    files : list of pathlib.Path
        Every file written so far.
    lang : {"en", "zh"}
        Language of figure labels and of the web page's headings.
    seed : int
        Seed of the run: every random step derives its seed from it.
    seeds : dict
        Every seed a step used, by what it was used for (written to ``manifest.json``).
    figures : list of FigureRef
        Every figure written so far.
    """

    survey: SurveyData
    out_dir: Path
    results: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    lang: str = "en"
    seed: int = DEFAULT_SEED
    seeds: dict[str, int] = field(default_factory=dict)
    figures: list[FigureRef] = field(default_factory=list)
    #: file names of figures still being written (no other step may take them)
    _taken: list[Path] = field(default_factory=list, repr=False, init=False)
    #: work started by the steps' ``prepare`` (:meth:`start_background`)
    _background: dict[str, Any] = field(default_factory=dict, repr=False, init=False)

    @property
    def instrument(self) -> Instrument:
        """The survey's instrument."""
        return self.survey.instrument

    def _target(self, name: str) -> Path:
        path = self.out_dir / name
        if path.parent != self.out_dir or not name or name.startswith("."):
            raise RenderError(f"report file name={name!r} must be a plain file name")
        if path in self.files or path in self._taken:
            raise RenderError(f"report file {name!r} was already written by another step")
        return path

    def write_csv(self, name: str, frame: pd.DataFrame, *, index: bool = False) -> Path:
        """Write a table as UTF-8 CSV with a byte-order mark (opens cleanly in Excel)."""
        path = self._target(name)
        frame.to_csv(path, index=index, encoding="utf-8-sig", lineterminator="\n")
        self.files.append(path)
        return path

    def write_table(self, stem: str, table: Any) -> list[tuple[str, str | None]]:
        """Write a paper table as ``<stem>.tex``, ``.docx``, ``.html`` and ``.md``.

        Returns ``(file name, None)`` per format written and ``(file name, message)`` per
        format whose renderer raised a :class:`SynergyError` (one broken format must not
        hide the others).
        """
        out: list[tuple[str, str | None]] = []
        for ext in ("tex", "docx", "html", "md"):
            name = f"{stem}.{ext}"
            path = self._target(name)
            try:
                table.save(path, overwrite=True)
            except SynergyError as exc:
                out.append((name, str(exc)))
                continue
            self.files.append(path)
            out.append((name, None))
        return out

    def write_text(self, name: str, text: str) -> Path:
        """Write a UTF-8 text file."""
        path = self._target(name)
        path.write_text(text, encoding="utf-8")
        self.files.append(path)
        return path

    def save_figure(
        self, stem: str, fig: Any, caption: str, *, anchor: str | None = None
    ) -> FigureRef:
        """Write a figure as ``<stem>.png`` (300 dpi), ``.pdf`` and ``.svg``.

        ``anchor`` names the step whose section the figure belongs to in ``report.html``
        (default: the section of the step that writes it).
        """
        (ref,) = self.save_figures([(stem, fig, caption, anchor)])
        if not isinstance(ref, FigureRef):  # pragma: no cover - only makers fail to draw
            raise ref
        return ref

    def save_figures(
        self,
        figures: Sequence[tuple[str, Any, str, str | None]],
        *,
        n_jobs: int = 2,
        drawing_errors: bool = False,
    ) -> list[FigureRef | SynergyError]:
        """Write several figures as :meth:`save_figure` does, in up to ``n_jobs`` processes.

        ``figures`` holds ``(stem, figure or function drawing it, caption, anchor)`` per
        figure; they are listed in the report in this order. See
        :func:`synergy_stats.figures._base.save_figures` (the same files as saving them one
        by one; with ``drawing_errors`` a figure whose function raised a SynergyError is
        returned as that error and not written).
        """
        return self.start_figures(figures, n_jobs=n_jobs, drawing_errors=drawing_errors).wait()

    def start_figures(
        self,
        figures: Sequence[tuple[str, Any, str, str | None]],
        *,
        n_jobs: int = 2,
        drawing_errors: bool = False,
    ) -> PendingFigures:
        """Start writing figures as :meth:`save_figures` does, in forked processes.

        The step goes on (or returns a :class:`PendingSection`) while they are written;
        :meth:`PendingFigures.wait` adds them to :attr:`figures` and :attr:`files` and
        returns what :meth:`save_figures` would. Their file names are taken at once: a
        later step cannot write the same name.
        """
        from synergy_stats.figures._base import start_figures

        stems = [stem for stem, *_ in figures]
        if len(set(stems)) != len(stems):
            raise RenderError(f"figure stems {stems} repeat a name")
        targets = [
            [self._target(f"{stem}.{ext}") for ext in ("png", "pdf", "svg")] for stem in stems
        ]
        jobs = start_figures(
            [(fig, self.out_dir / stem) for stem, fig, _, _ in figures],
            n_jobs=n_jobs,
            drawing_errors=drawing_errors,
        )
        self._taken.extend(path for files in targets for path in files)
        return PendingFigures(self, list(figures), targets, jobs)

    def start_background(self, key: str, fn: Callable[..., Any], *args: Any) -> None:
        """Start ``fn(*args)`` in a forked process for a later step (see ``prepare``).

        :func:`synergy_stats.inference.parallel.start_background` (in this process where
        forking is not safe); :meth:`take_background` with the same ``key`` returns it.
        """
        from synergy_stats.inference.parallel import start_background

        if key in self._background:
            raise RenderError(f"background work {key!r} was already started")
        self._background[key] = start_background(fn, *args)

    def take_background(self, key: str) -> Any:
        """The result of the work started as ``key`` (waits for it); None if none was."""
        job = self._background.pop(key, None)
        return None if job is None else job.result()

    def _cancel_background(self) -> None:
        for job in self._background.values():
            job.cancel()
        self._background.clear()


class PendingFigures:
    """Figures of a report step being written in the background (``start_figures``)."""

    def __init__(
        self,
        ctx: ReportContext,
        figures: list[tuple[str, Any, str, str | None]],
        targets: list[list[Path]],
        jobs: Any,
    ) -> None:
        self._ctx = ctx
        self._figures = figures
        self._targets = targets
        self._jobs = jobs
        self._refs: list[FigureRef | SynergyError] | None = None

    def wait(self) -> list[FigureRef | SynergyError]:
        """Wait for the files; per figure its :class:`FigureRef`, or its drawing error."""
        if self._refs is not None:
            return self._refs
        try:
            written = self._jobs.wait()
        finally:
            self._release()
        refs: list[FigureRef | SynergyError] = []
        for (stem, _, caption, anchor), files, done in zip(
            self._figures, self._targets, written, strict=True
        ):
            if isinstance(done, SynergyError):
                refs.append(done)
                continue
            self._ctx.files.extend(files)
            ref = FigureRef(stem, caption, tuple(t.name for t in files), anchor)
            self._ctx.figures.append(ref)
            refs.append(ref)
        self._refs = refs
        return refs

    def cancel(self) -> None:
        """Stop the writers (nothing is added to the report)."""
        if self._refs is None:
            self._jobs.cancel()
            self._release()
            self._refs = []

    def _release(self) -> None:
        taken = {path for files in self._targets for path in files}
        self._ctx._taken[:] = [p for p in self._ctx._taken if p not in taken]


@dataclass(frozen=True)
class PendingSection:
    """A step's section finished after the later steps, while background work completes.

    A step that leaves work to other processes (the figures' writers) returns this instead
    of a :class:`Section`: :func:`run_report` calls ``finish`` after the last step, in the
    order of the steps, before it writes the report, and ``cancel`` when the run stops
    before that. The section keeps the step's place in the report.
    """

    finish: Callable[[], Section | None]
    cancel: Callable[[], None]


@dataclass(frozen=True)
class Section:
    """One section of ``report.md``.

    Parameters
    ----------
    title : str
        Section heading.
    body : str
        Markdown text.
    files : tuple of str
        Names of the files the step wrote (listed under the section).
    figures : tuple of FigureRef
        Figures shown in the section of ``report.html`` (besides those whose ``anchor``
        names the section's step).
    """

    title: str
    body: str
    files: tuple[str, ...] = ()
    figures: tuple[FigureRef, ...] = ()


Step = Callable[[ReportContext], Section | PendingSection | None]

#: The steps of the main job, in order, as ``"module:function"``. A feature that adds
#: output to ``synergy-stats report`` appends its step here.
REPORT_STEPS: list[str] = [
    "synergy_stats.report:validation_step",
    "synergy_stats.report:scoring_step",
    "synergy_stats.report:descriptives_step",
    "synergy_stats.report_analysis:measurement_step",
    "synergy_stats.report_method_bias:method_bias_step",
    "synergy_stats.report_analysis:sem_step",
    "synergy_stats.report_analysis:indirect_step",
    "synergy_stats.report_analysis:panel_step",
    # the figures' writers run in the background while the steps after it do
    "synergy_stats.report_figures:figures_step",
    "synergy_stats.report_nesting:nesting_step",
    "synergy_stats.report_ordinal:ordinal_step",
    "synergy_stats.report_analysis:tables_step",
    "synergy_stats.report_power:power_step",
    "synergy_stats.report_methods:methods_step",
]

_EXTRA_STEPS: list[Step] = []


def register_step(step: Step) -> Step:
    """Add a step to every later :func:`run_report` call (after :data:`REPORT_STEPS`).

    Usable as a decorator. Returns ``step`` unchanged.
    """
    if not callable(step):
        raise OptionError(f"step={step!r} is not accepted; give a function of a ReportContext")
    if step not in _EXTRA_STEPS:
        _EXTRA_STEPS.append(step)
    return step


def _resolve(spec: str | Step) -> tuple[str, Step]:
    if callable(spec):
        return getattr(spec, "__name__", repr(spec)), spec
    if not isinstance(spec, str) or spec.count(":") != 1:
        raise OptionError(f"report step {spec!r} must be 'module:function' or a function")
    module_name, func_name = spec.split(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise OptionError(f"report step {spec!r} cannot be found: {exc}") from exc
    return func_name, func


def report_steps() -> list[tuple[str, Step]]:
    """Return the ``(name, function)`` of every step :func:`run_report` runs by default."""
    specs: list[str | Step] = [*REPORT_STEPS, *_EXTRA_STEPS]
    return [_resolve(s) for s in specs]


@dataclass(frozen=True)
class ReportResult:
    """What :func:`run_report` did.

    Parameters
    ----------
    path : pathlib.Path
        The ``report.md`` written.
    files : tuple of pathlib.Path
        Every file written, ``report.md`` last.
    sections : tuple of Section
        The sections, in order.
    failed : tuple of (str, str)
        ``(step name, error message)`` of steps that raised a :class:`SynergyError`; their
        sections say so and the other steps still ran.
    results : dict
        The results the steps shared (``"validation"``, ``"scores"``, ...).
    html : pathlib.Path, optional
        The ``report.html`` written.
    manifest : dict
        The reproducibility record written to ``manifest.json``.
    """

    path: Path
    files: tuple[Path, ...]
    sections: tuple[Section, ...]
    failed: tuple[tuple[str, str], ...]
    results: dict[str, Any]
    html: Path | None = None
    manifest: dict[str, Any] = field(default_factory=dict)


def _prepare(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise RenderError(f"out_dir={str(out_dir)!r} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise RenderError(
            f"out_dir={str(out_dir)!r} exists and is not empty; choose another folder or pass "
            "overwrite=True (--overwrite) to replace the report files in it"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"out_dir={str(out_dir)!r} cannot be created: {exc}") from exc


@single_threaded
def run_report(
    survey: SurveyData,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    steps: Sequence[str | Step] | None = None,
    title: str | None = None,
    lang: Literal["en", "zh"] = "en",
    seed: int = DEFAULT_SEED,
    progress: ProgressLike = None,
    command: Mapping[str, Any] | None = None,
) -> ReportResult:
    """Run the main job: every report step, then ``report.md``, ``report.html``, a manifest.

    Parameters
    ----------
    survey : SurveyData
        The survey, read with :func:`synergy_stats.read_survey`.
    out_dir : str or path
        Output folder. It is created if needed; an existing non-empty folder is refused
        unless ``overwrite`` is True (then files of the same name are replaced and other
        files are left alone).
    overwrite : bool, default False
        Allow writing into a non-empty folder.
    steps : sequence of "module:function" or functions, optional
        The steps to run (default :func:`report_steps`).
    title : str, optional
        Heading of ``report.md``.
    lang : {"en", "zh"}, default "en"
        Language of the figures' labels and of the headings of ``report.html``.
    seed : int
        Seed of every random step (bootstrap, Monte Carlo, parallel analysis); the same
        seed on the same input gives the same numbers.
    progress : bool, callable or None
        A bar over the steps (see :func:`synergy_stats.inference.progress.make_progress`):
        None draws it when standard error is a terminal, False never.
    command : mapping, optional
        The command line and options to record in ``manifest.json`` (the CLI passes them).

    Returns
    -------
    ReportResult

    Raises
    ------
    RenderError
        If the folder cannot be used or a file cannot be written.
    OptionError
        If a step cannot be found, or for a bad ``lang`` or ``seed``.

    Examples
    --------
    >>> import synergy_stats as ss
    >>> from synergy_stats.report import run_report
    >>> survey = ss.read_survey(ss.load_example(), "synergy-execution",
    ...                         id="respondent_id", wave="wave", group="department")
    >>> run_report(survey, "synergy_report").path  # doctest: +SKIP
    PosixPath('synergy_report/report.md')
    """
    import time
    from datetime import UTC, datetime

    from synergy_stats.inference.progress import make_progress
    from synergy_stats.intake import SurveyData

    if not isinstance(survey, SurveyData):
        raise OptionError(
            f"survey={type(survey).__name__} is not accepted; pass the result of read_survey()"
        )
    if not isinstance(overwrite, bool):
        raise OptionError(f"overwrite={overwrite!r} is not accepted; use True or False")
    if lang not in ("en", "zh"):
        raise OptionError(f"lang={lang!r} is not accepted; use 'en' or 'zh'")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise OptionError(f"seed={seed!r} is not accepted; use a non-negative integer")
    resolved = report_steps() if steps is None else [_resolve(s) for s in steps]
    out = Path(out_dir)
    _prepare(out, overwrite)
    ctx = ReportContext(survey=survey, out_dir=out, lang=lang, seed=seed)
    # each step's section (or pending section) and the index of the step's record
    named: list[tuple[str, Section | PendingSection, int]] = []
    unfinished: list[PendingSection] = []  # cancelled if the run stops before finishing
    failed: list[tuple[str, str]] = []
    records: list[StepRecord] = []
    started = datetime.now(UTC)

    def failure(name: str, exc: SynergyError) -> Section:
        failed.append((name, str(exc)))
        return Section(
            title=name.removesuffix("_step").replace("_", " ").capitalize(),
            body=f"**This step failed** ({type(exc).__name__}):\n\n```\n{exc}\n```",
        )

    try:
        for _, func in resolved:
            prepare = getattr(func, "prepare", None)
            if callable(prepare):
                try:
                    prepare(ctx)
                except SynergyError:
                    pass  # the step meets the same problem in its place and reports it
        with make_progress(progress, len(resolved), "report") as bar:
            for name, func in resolved:
                bar.set_label(name.removesuffix("_step"))
                step_start = datetime.now(UTC)
                t0 = time.perf_counter()
                status = "ok"
                section: Section | PendingSection | None
                try:
                    section = func(ctx)
                except SynergyError as exc:
                    status = f"failed: {type(exc).__name__}"
                    section = failure(name, exc)
                records.append(
                    StepRecord(
                        name,
                        step_start.isoformat(timespec="seconds"),
                        time.perf_counter() - t0,
                        status,
                    )
                )
                if isinstance(section, PendingSection):
                    unfinished.append(section)
                if section is not None:
                    named.append((name, section, len(records) - 1))
                bar.update()
        # sections whose work went on in other processes while the later steps ran
        finished: list[tuple[str, Section]] = []
        for name, section, r in named:
            if isinstance(section, Section):
                finished.append((name, section))
                continue
            t0 = time.perf_counter()
            failed_as: str | None = None
            unfinished.remove(section)
            try:
                done = section.finish()
            except SynergyError as exc:
                failed_as = f"failed: {type(exc).__name__}"
                done = failure(name, exc)
            records[r] = replace(
                records[r],
                seconds=records[r].seconds + time.perf_counter() - t0,
                status=failed_as or records[r].status,
            )
            if done is not None:
                finished.append((name, done))
    finally:
        for pending in unfinished:
            pending.cancel()
        ctx._cancel_background()
    from synergy_stats.report_manifest import build_manifest, manifest_section

    manifest = build_manifest(ctx, records, started, command)
    sections = [sec for _, sec in finished]
    text = _render(ctx, [*sections, manifest_section(manifest)], title)
    try:
        path = ctx.write_text("report.md", text)
        ctx.write_text("manifest.json", _json(manifest))
    except OSError as exc:
        raise RenderError(f"cannot write the report into {str(out)!r}: {exc}") from exc
    from synergy_stats.report_html import render_html

    page = render_html(
        ctx, finished, title or "Survey report", _facts(ctx), manifest=manifest, lang=lang
    )
    try:
        html_path = ctx.write_text("report.html", page)
    except OSError as exc:
        raise RenderError(f"cannot write {str(out / 'report.html')!r}: {exc}") from exc
    # report.md last among the files, as before
    ctx.files.remove(path)
    ctx.files.append(path)
    return ReportResult(
        path=path,
        files=tuple(ctx.files),
        sections=tuple(sections),
        failed=tuple(failed),
        results=dict(ctx.results),
        html=html_path,
        manifest=manifest,
    )


def _json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _facts(ctx: ReportContext) -> list[tuple[str, Any]]:
    """The facts under the report's heading: data, instrument, rows, waves, groups."""
    from synergy_stats import __version__

    survey = ctx.survey
    inst = survey.instrument
    frame = survey.data
    facts: list[tuple[str, Any]] = [
        ("data", survey.source or "a DataFrame"),
        ("instrument", f"{inst.id} {inst.version}: {inst.title.en} / {inst.title.zh}"),
        ("rows", len(frame)),
        ("items found", f"{len(survey.items)} of {len(inst.items)}"),
    ]
    if survey.id is not None:
        facts.append(("respondents", int(frame[survey.id].nunique())))
    if survey.wave is not None:
        waves = list(waves_in_order(frame, survey.wave))
        facts.append(("waves", ", ".join(str(w) for w in waves)))
    if survey.group is not None:
        facts.append((f"groups ({survey.group})", int(frame[survey.group].nunique())))
    facts.append(("synergy_stats", __version__))
    return facts


def _render(ctx: ReportContext, sections: Sequence[Section], title: str | None) -> str:
    parts = [
        f"# {title or 'Survey report'}",
        "",
        markdown_table(["", ""], _facts(ctx)),
    ]
    for k, section in enumerate(sections, start=1):
        parts += ["", f"## {k}. {section.title}", "", section.body.rstrip()]
        if section.files:
            parts += ["", "Files: " + ", ".join(f"[`{f}`]({f})" for f in section.files)]
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- steps
def validation_step(ctx: ReportContext) -> Section:
    """Validate the survey: ``problems.csv``, ``validation_summary.csv`` and missingness.

    Stores the :class:`~synergy_stats.intake.ValidationReport` as
    ``ctx.results["validation"]``.
    """
    from synergy_stats.intake import validate

    report = validate(ctx.instrument, ctx.survey)
    ctx.results["validation"] = report
    files: tuple[Path, ...] = (
        ctx.write_csv("problems.csv", report.problems),
        ctx.write_csv("validation_summary.csv", report.summary, index=True),
        ctx.write_csv("missingness_items.csv", report.item_missingness),
        ctx.write_csv("missingness_respondents.csv", report.respondent_missingness),
    )
    if report.flags is not None:
        files += (ctx.write_csv("row_flags.csv", report.flags, index=True),)
    reasons = ctx.survey.missing["reason"].value_counts()
    reason_rows = [(r, int(n)) for r, n in reasons.items()]
    body = [
        report.to_markdown(max_problems=30),
        "",
        "Why item cells are missing:",
        "",
        markdown_table(["reason", "cells"], reason_rows) if reason_rows else "(none missing)",
        "",
        "The full list of problems is in `problems.csv`; missingness per item and per "
        "respondent in `missingness_items.csv` and `missingness_respondents.csv`; one flag "
        "per row and row-level kind (speeders, repeated submissions, failed attention "
        "checks, ...) in `row_flags.csv`. No row was dropped.",
    ]
    return Section("Validation", "\n".join(body), tuple(f.name for f in files))


def scoring_step(ctx: ReportContext, *, method: Any = "mean", min_items: float = 0.5) -> Section:
    """Score every construct: ``scores.csv`` (with ``n_items_<construct>`` columns).

    Stores the scores as ``ctx.results["scores"]``.
    """
    import warnings

    import numpy as np

    from synergy_stats.intake import score, scored_constructs

    with warnings.catch_warnings():
        # missing items and unreadable values are already reported by the validation step
        warnings.simplefilter("ignore")
        scores = score(ctx.instrument, ctx.survey, method=method, min_items=min_items)
    ctx.results["scores"] = scores
    path = ctx.write_csv("scores.csv", scores)
    inst = ctx.instrument
    rows = []
    for cid in scored_constructs(inst):
        values = scores[cid].to_numpy(dtype=float)
        ok = ~np.isnan(values)
        rows.append(
            (
                cid,
                inst.constructs[cid].label.en,
                inst.constructs[cid].label.zh,
                len(inst.items_of(cid)),
                int(ok.sum()),
                int((~ok).sum()),
                float(values[ok].mean()) if ok.any() else float("nan"),
                float(values[ok].std(ddof=1)) if ok.sum() > 1 else float("nan"),
            )
        )
    skipped = [c.id for c in inst.constructs.values() if c.kind == "correlated"]
    body = [
        f"Scores are the {method} of a construct's items after reverse coding "
        f"((min + max) - x); a score needs at least {min_items:g} "
        f"{'of its items' if min_items < 1 else 'items'} answered, otherwise it is empty. "
        "Second-order scores are the mean of all their items. "
        "`n_items_<construct>` counts the items answered.",
        "",
        markdown_table(
            ["construct", "label", "标签", "items", "scored", "empty", "mean", "sd"], rows
        ),
    ]
    if skipped:
        body += [
            "",
            "No composite score for the blocks of correlated factors "
            f"({', '.join(skipped)}): their components may run in opposite directions.",
        ]
    return Section("Construct scores", "\n".join(body), (path.name,))


def _describe(values: pd.Series) -> tuple[int, float, float, float, float, float]:
    v = values.dropna().to_numpy(dtype=float)
    if v.size == 0:
        nan = float("nan")
        return 0, nan, nan, nan, nan, nan
    sd = float(v.std(ddof=1)) if v.size > 1 else float("nan")
    import numpy as np

    return (
        int(v.size),
        float(v.mean()),
        sd,
        float(v.min()),
        float(np.median(v)),
        float(v.max()),
    )


def descriptives_step(ctx: ReportContext) -> Section:
    """Descriptive statistics of construct scores and items, per wave.

    Writes ``descriptives.csv`` (construct scores) and ``item_descriptives.csv`` (raw item
    codes). Uses ``ctx.results["scores"]`` if the scoring step ran.
    """
    import pandas as pd

    from synergy_stats.intake import score, scored_constructs

    survey = ctx.survey
    scores = ctx.results.get("scores")
    if scores is None:
        scores = score(ctx.instrument, survey)
    wave = survey.wave
    waves: list[Any] = list(waves_in_order(survey.data, wave)) if wave is not None else [None]
    stats = ["n", "mean", "sd", "min", "median", "max"]

    def table(frame: pd.DataFrame, columns: Sequence[str], key: str) -> pd.DataFrame:
        rows = []
        for col in columns:
            for w in waves:
                sub = frame[col] if w is None else frame.loc[(frame[wave] == w).to_numpy(), col]
                rows.append((col, w, *_describe(sub)))
        out = pd.DataFrame(rows, columns=[key, "wave", *stats])
        return out if wave is not None else out.drop(columns="wave")

    constructs = scored_constructs(ctx.instrument)
    desc = table(scores, constructs, "construct")
    items = table(survey.data, survey.items, "item")
    f1 = ctx.write_csv("descriptives.csv", desc)
    f2 = ctx.write_csv("item_descriptives.csv", items)
    inst = ctx.instrument
    headline: list[str] = []
    for cid in inst.top_level():
        node = inst.constructs[cid]
        headline += list(node.components) if node.kind == "correlated" else [cid]
    order = {c: k for k, c in enumerate(headline)}
    shown = desc.loc[desc["construct"].isin(headline).to_numpy()]
    shown = shown.iloc[sorted(range(len(shown)), key=lambda k: order[shown["construct"].iloc[k]])]
    header = ["construct", *(["wave"] if wave is not None else []), *stats]
    body = [
        "Top-level construct scores" + (" by wave" if wave is not None else "") + " (every "
        "scored construct is in `descriptives.csv`, items in `item_descriptives.csv`):",
        "",
        markdown_table(header, list(shown.itertuples(index=False))),
    ]
    return Section("Descriptives", "\n".join(body), (f1.name, f2.name))


def waves_in_order(frame: pd.DataFrame, wave: Hashable) -> tuple[Any, ...]:
    """The waves of ``frame[wave]`` in time order (:func:`synergy_stats.panel.order_waves`).

    Labels whose order cannot be inferred keep the order in which they first appear in the
    data; the panel steps refuse them and ask for ``wave_order``.
    """
    from synergy_stats.errors import DataValidationError
    from synergy_stats.panel.reshape import wave_order_of

    try:
        return wave_order_of(frame, wave)
    except DataValidationError:
        return tuple(frame[wave].dropna().unique().tolist())
