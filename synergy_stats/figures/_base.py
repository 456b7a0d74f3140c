"""Shared figure machinery: fonts (CJK), a figure factory, labels, stars and saving.

matplotlib is imported inside the functions, never at module import, so that
``import synergy_stats`` and the command line stay fast. Figures are made with
:class:`matplotlib.figure.Figure` directly (no pyplot state, no GUI backend).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from synergy_stats._typing import check_arguments
from synergy_stats.errors import OptionError, RenderError, SynergyError, SynergyWarning

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from synergy_stats.instrument import Instrument

__all__ = [
    "FONT_ENV",
    "FigureJobs",
    "Lang",
    "cjk_font",
    "figure_context",
    "label_of",
    "new_figure",
    "save_figure",
    "save_figures",
    "set_cjk_font",
    "stars",
    "start_figures",
]

Lang = Literal["en", "zh"]
FigureFormat = Literal["png", "pdf", "svg"]

#: environment variable naming a CJK font file (used when no installed CJK font is found)
FONT_ENV = "SYNERGY_STATS_CJK_FONT"
#: CJK families looked for, best first
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Serif CJK SC",
    "Noto Serif CJK JP",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Source Han Serif SC",
    "Source Han Serif CN",
    "SimSun",
    "Microsoft YaHei",
    "SimHei",
    "WenQuanYi Zen Hei",
)
FORMATS: tuple[FigureFormat, ...] = ("png", "pdf", "svg")
#: fixed salt of SVG element ids, so that the same figure gives the same SVG
SVG_HASHSALT = "synergy_stats"

_state: dict[str, Any] = {"font": None, "searched": False, "warned": False}


def set_cjk_font(path: str | os.PathLike[str]) -> str:
    """Use the font file at ``path`` for Chinese text in every later figure.

    Parameters
    ----------
    path : str or path
        A TrueType/OpenType font file (``.ttf``, ``.otf``, ``.ttc``) with CJK glyphs.

    Returns
    -------
    str
        The font's family name.

    Raises
    ------
    OptionError
        If the file does not exist or is not a font matplotlib can read.
    """
    from matplotlib import font_manager

    p = Path(path)
    if not p.is_file():
        raise OptionError(f"path={str(path)!r} is not a font file; give a .ttf, .otf or .ttc file")
    try:
        font_manager.fontManager.addfont(str(p))
        name = font_manager.FontProperties(fname=str(p)).get_name()
    except (OSError, RuntimeError, ValueError) as exc:
        raise OptionError(f"path={str(path)!r} cannot be read as a font: {exc}") from exc
    _state.update(font=name, searched=True)
    return name


def cjk_font() -> str | None:
    """The family name of an installed CJK font, or None (warns once when none is found).

    Looks through matplotlib's font manager for Noto Sans/Serif CJK, Source Han, SimSun,
    Microsoft YaHei (in that order); a font file named by the ``SYNERGY_STATS_CJK_FONT``
    environment variable or :func:`set_cjk_font` comes first.
    """
    if _state["searched"]:
        return _state["font"]
    from matplotlib import font_manager

    _state["searched"] = True
    env = os.environ.get(FONT_ENV)
    if env:
        try:
            return set_cjk_font(env)
        except OptionError as exc:
            warnings.warn(f"{FONT_ENV}: {exc}", SynergyWarning, stacklevel=3)
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in names:
            _state["font"] = family
            return family
    if not _state["warned"]:
        _state["warned"] = True
        warnings.warn(
            "no CJK font was found, so Chinese labels will show as empty boxes; install one "
            "(Debian/Ubuntu: apt-get install fonts-noto-cjk) or point to a font file with "
            f"synergy_stats.figures.set_cjk_font(path) or the {FONT_ENV} environment variable",
            SynergyWarning,
            stacklevel=3,
        )
    return None


def check_lang(lang: Any) -> Lang:
    """Return ``lang`` if it is "en" or "zh"; raise OptionError otherwise."""
    if lang not in ("en", "zh"):
        raise OptionError(f"lang={lang!r} is not accepted; use 'en' or 'zh'")
    return lang


def _rc(lang: str) -> Any:
    families = ["DejaVu Sans"]
    if lang == "zh":
        font = cjk_font()
        if font is not None:
            families = [font, "DejaVu Sans"]
    return {
        "font.family": families,
        "font.size": 9,
        "axes.unicode_minus": False,
        "svg.fonttype": "none",
        "svg.hashsalt": SVG_HASHSALT,
        "pdf.fonttype": 42,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


@contextmanager
def figure_context(lang: Lang = "en") -> Iterator[None]:
    """Set the rcParams for building a figure: fonts for ``lang`` (a CJK font for "zh")."""
    import matplotlib as mpl

    with mpl.rc_context(_rc(lang)):
        yield


def new_figure(width: float, height: float, lang: Lang = "en") -> Figure:
    """A :class:`~matplotlib.figure.Figure` of ``width`` x ``height`` inches with an Agg canvas.

    The figure remembers ``lang`` (``fig._synergy_lang``) so that saving uses its fonts.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    fig._synergy_lang = lang  # type: ignore[attr-defined]
    return fig


def label_of(name: str, instrument: Instrument | None, lang: Lang) -> str:
    """The label of a construct or item in ``lang`` (the name itself when unknown)."""
    if instrument is None:
        return name
    node = instrument.constructs.get(name)
    if node is not None:
        return node.label.get(lang)
    return name


def rows(frame: Any) -> list[Any]:
    """The rows of a DataFrame as named tuples (typed loosely for attribute access)."""
    return list(frame.itertuples())


def stars(p: float) -> str:
    """Significance stars: *** p < .001, ** p < .01, * p < .05."""
    if p != p:
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def fmt(x: float, digits: int = 2) -> str:
    """A number with ``digits`` decimals (no negative zero, empty for NaN)."""
    if isinstance(digits, bool) or not isinstance(digits, Integral) or not 0 <= digits <= 15:
        raise OptionError(f"digits={digits!r} is not accepted; use a whole number from 0 to 15")
    if x != x:
        return ""
    out = f"{x:.{digits}f}"
    return "0." + "0" * digits if out == "-0." + "0" * digits else out


def _formats(path: Path, formats: Sequence[str] | None) -> list[tuple[FigureFormat, Path]]:
    if not path.name or path.name in (".", ".."):
        raise OptionError(
            f"path={str(path)!r} is not accepted; give a file name such as 'figure' or "
            "'out/figure.png'"
        )
    suffix = path.suffix.lower().lstrip(".")
    if formats is None:
        wanted: list[str] = [suffix] if suffix in FORMATS else list(FORMATS)
    else:
        wanted = list(formats)
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise OptionError(f"formats={formats!r} is not accepted; use some of {list(FORMATS)}")
    stem = path.with_suffix("") if suffix in FORMATS else path
    return [(f, stem.with_name(f"{stem.name}.{f}")) for f in wanted]  # type: ignore[misc]


#: OpenType layout tables left out of the fonts embedded in PDFs: PDF viewers place glyphs
#: where the file says and never read them (matplotlib lays the text out itself), yet
#: fontTools spends most of the subsetting time decompiling them
_PDF_DROP_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH")


class _LeanSubset:
    """``fontTools.subset`` as matplotlib's PDF backend sees it, minus the layout tables."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def Options(self, *args: Any, **kwargs: Any) -> Any:  # fontTools' name
        options = self._module.Options(*args, **kwargs)
        options.drop_tables += [t for t in _PDF_DROP_TABLES if t not in options.drop_tables]
        return options


@contextmanager
def _lean_pdf_fonts() -> Iterator[None]:
    """Subset the fonts embedded in PDFs without their OpenType layout tables.

    matplotlib's PDF backend subsets each TrueType font with fontTools (``pdf.fonttype =
    42``); decompiling and pruning GSUB/GPOS of DejaVu Sans or a CJK font is most of the
    cost of writing a PDF, and the embedded font never needs them. The pages render the
    same. Where the backend's module differs from the one this is written for, nothing is
    changed.
    """
    try:
        from matplotlib.backends import _backend_pdf_ps as pdf_ps
    except ImportError:  # pragma: no cover - other matplotlib layouts
        yield
        return
    module = getattr(pdf_ps, "subset", None)
    if module is None or isinstance(module, _LeanSubset) or not hasattr(module, "Options"):
        yield
        return
    pdf_ps.subset = _LeanSubset(module)
    try:
        yield
    finally:
        pdf_ps.subset = module


def save_figure(
    fig: Figure,
    path: str | os.PathLike[str],
    *,
    formats: Sequence[FigureFormat] | None = None,
    dpi: int = 300,
    overwrite: bool = False,
) -> list[Path]:
    """Save a figure as PNG (300 dpi), PDF and SVG, byte for byte reproducibly.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure of :mod:`synergy_stats.figures` (or any matplotlib figure).
    path : str or path
        ``"fig.png"``, ``"fig.pdf"`` or ``"fig.svg"`` writes that format; a path without one
        of these suffixes (``"figures/path_diagram"``) writes all three next to each other.
    formats : sequence of {"png", "pdf", "svg"}, optional
        The formats to write (overrides the suffix rule).
    dpi : int, default 300
        Resolution of the PNG.
    overwrite : bool, default False
        Replace existing files; without it an existing file is an error.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    RenderError
        If a file exists (and ``overwrite`` is False) or cannot be written.
    OptionError
        For an unknown format.

    Notes
    -----
    The same figure gives the same bytes: SVG ids use a fixed salt and no date, the PDF
    has no creation date, the PNG only the software name. SVG text stays text
    (``svg.fonttype = "none"``), so labels can be searched and edited.

    Examples
    --------
    >>> ss.save_figure(ss.plot_path(fit), "path_diagram")  # doctest: +SKIP
    [PosixPath('path_diagram.png'), PosixPath('path_diagram.pdf'), PosixPath('path_diagram.svg')]
    """
    check_arguments(save_figure, locals())
    import matplotlib as mpl
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise OptionError(f"fig={type(fig).__name__} is not accepted; give a matplotlib Figure")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 10 <= dpi <= 2400:
        raise OptionError(f"dpi={dpi!r} is not accepted; give a whole number from 10 to 2400")
    targets = _formats(Path(path), formats)
    if not overwrite:
        existing = [str(p) for _, p in targets if p.exists()]
        if existing:
            raise RenderError(
                f"path={existing[0]!r} exists; pass overwrite=True to replace it or choose "
                "another name"
            )
    lang = getattr(fig, "_synergy_lang", "en")
    metadata: dict[str, dict[str, Any]] = {
        "png": {"Software": "matplotlib"},
        "pdf": {"CreationDate": None, "ModDate": None, "Producer": "matplotlib"},
        "svg": {"Date": None, "Creator": "matplotlib"},
    }
    written = []
    with mpl.rc_context(_rc(lang)), _lean_pdf_fonts():
        for form, target in targets:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                fig.savefig(
                    target,
                    format=form,
                    dpi=dpi if form == "png" else 72,
                    metadata=metadata[form],
                    facecolor="white",
                )
            except OSError as exc:
                raise RenderError(f"cannot write {str(target)!r}: {exc}") from exc
            written.append(target)
    return written


#: figures (or their makers) waiting to be saved by forked workers (inherited, not pickled)
_PENDING: list[tuple[Figure | Callable[[], Figure], Path]] = []


def _make_and_save(
    item: Figure | Callable[[], Figure], path: Path
) -> tuple[list[Path] | SynergyError, bool]:
    """Draw (when given a maker) and save one figure: ``(files or error, error while drawing)``."""
    from matplotlib.figure import Figure

    if isinstance(item, Figure):
        fig = item
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fig = item()
        except SynergyError as exc:
            return exc, True
    try:
        return save_figure(fig, path, overwrite=True), False
    except SynergyError as exc:  # raised again by the caller
        return exc, False


def _save_pending(k: int) -> tuple[int, list[Path] | SynergyError, bool]:
    return (k, *_make_and_save(*_PENDING[k]))


def _fork_context() -> Any:
    """A ``fork`` multiprocessing context, or None where forking is not safe or possible.

    Forking copies the figures into the workers without pickling them; whether this
    process may fork is the resampling pool's rule
    (:func:`synergy_stats.inference.parallel.can_fork`: Linux, no other thread running).
    """
    import multiprocessing as mp

    from synergy_stats.inference.parallel import can_fork

    return mp.get_context("fork") if can_fork() else None


class FigureJobs:
    """Figures being drawn and written by forked processes: :meth:`wait` for their files.

    Made by :func:`start_figures`. Where nothing was forked (no ``fork``, a single figure
    or ``n_jobs=1``) the work is already done when the object is made.
    """

    def __init__(
        self,
        count: int,
        writers: list[Any] | None = None,
        results: list[tuple[list[Path] | SynergyError, bool]] | None = None,
        drawing_errors: bool = False,
    ) -> None:
        self._count = count
        self._writers = writers or []
        self._results = results
        self._drawing_errors = drawing_errors

    def wait(self) -> list[list[Path] | SynergyError]:
        """Wait for the writers; per figure, in the order given, its files or drawing error.

        Raises
        ------
        RenderError
            If a file could not be written, or a writer process failed.
        """
        if self._results is None:
            self._results = self._collect()
        out: list[list[Path] | SynergyError] = []
        for written, drawing in self._results:
            if isinstance(written, SynergyError) and not (drawing and self._drawing_errors):
                raise written
            out.append(written)
        return out

    def cancel(self) -> None:
        """Stop writers still running (their figures are not reported)."""
        for writer in self._writers:
            writer.cancel()
        self._writers = []

    def _collect(self) -> list[tuple[list[Path] | SynergyError, bool]]:
        results: list[tuple[list[Path] | SynergyError, bool] | None] = [None] * self._count
        writers, self._writers = self._writers, []
        failure: Exception | None = None
        for writer in writers:
            try:
                done = writer.result()
            except Exception as exc:  # a writer that failed outside save_figure
                failure = failure or exc
                continue
            for k, written, drawing in done:
                results[k] = (written, drawing)
        if failure is not None:
            raise RenderError(f"writing the figures failed: {failure}") from failure
        missing = [k for k, r in enumerate(results) if r is None]
        if missing:
            raise RenderError(f"figures {missing} were not written by the writer processes")
        return [r for r in results if r is not None]


def _claim_and_save(claim: Any) -> list[tuple[int, list[Path] | SynergyError, bool]]:
    """Body of a forked figure writer: claim figures until none is left."""
    done: list[tuple[int, list[Path] | SynergyError, bool]] = []
    while True:
        with claim.get_lock():
            k = int(claim.value)
            claim.value = k + 1
        if k >= len(_PENDING):
            return done
        done.append(_save_pending(k))


def start_figures(
    items: Sequence[tuple[Figure | Callable[[], Figure], str | os.PathLike[str]]],
    *,
    n_jobs: int = 2,
    drawing_errors: bool = False,
) -> FigureJobs:
    """Start drawing and saving figures in forked processes; see :func:`save_figures`.

    The caller goes on while up to ``n_jobs`` writers
    (:func:`synergy_stats.inference.parallel.start_background`) work;
    :meth:`FigureJobs.wait` returns what :func:`save_figures` would. No thread is started,
    so the caller may fork again (the resampling pool) while the writers run.
    """
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise OptionError(f"n_jobs={n_jobs!r} is not accepted; give a positive integer")
    pending = [(item, Path(path)) for item, path in items]
    context = _fork_context() if n_jobs > 1 and len(pending) > 1 else None
    if context is None:
        results = [_make_and_save(item, path) for item, path in pending]
        return FigureJobs(len(pending), results=results, drawing_errors=drawing_errors)
    import importlib

    from synergy_stats.inference.parallel import start_background

    # what every writer would otherwise import on its own: the three backends and the
    # font subsetter of the PDF backend
    for name in ("backend_agg", "backend_pdf", "backend_svg"):
        importlib.import_module(f"matplotlib.backends.{name}")
    _PENDING[:] = pending
    claim = context.Value("i", 0)
    try:
        writers = [
            start_background(_claim_and_save, claim) for _ in range(min(n_jobs, len(pending)))
        ]
    finally:
        _PENDING.clear()  # the writers hold their own copy
    return FigureJobs(len(pending), writers, drawing_errors=drawing_errors)


def save_figures(
    items: Sequence[tuple[Figure | Callable[[], Figure], str | os.PathLike[str]]],
    *,
    n_jobs: int = 2,
    drawing_errors: bool = False,
) -> list[list[Path] | SynergyError]:
    """Draw and save several figures as :func:`save_figure` does (all formats, overwriting).

    Rasterising at 300 dpi and embedding fonts in PDFs is most of the time of a report's
    figures, and each figure is independent, so up to ``n_jobs`` forked worker processes
    draw and write them. The files are the same bytes as when saved one by one. Without
    ``fork`` (not Linux, or other threads running) or for a single figure everything runs
    in this process.

    Parameters
    ----------
    items : sequence of (Figure or callable, path)
        Each figure, or a function without arguments that draws it (called in the worker,
        warnings silenced), and its path as for :func:`save_figure` (a path without a
        format's suffix writes PNG, PDF and SVG).
    n_jobs : int, default 2
        Worker processes at most.
    drawing_errors : bool, default False
        Return a :class:`~synergy_stats.errors.SynergyError` raised while *drawing* a
        figure in its place in the result (its files are not written) instead of raising
        it. Errors while writing files are always raised.

    Returns
    -------
    list
        Per item, in the order given: the files written, or the drawing error.

    Raises
    ------
    RenderError
        If a file cannot be written.
    OptionError
        For a bad ``n_jobs``.
    """
    return start_figures(items, n_jobs=n_jobs, drawing_errors=drawing_errors).wait()


def svg_text(fig: Figure) -> str:
    """The figure as an SVG string (reproducible, text kept as text), for the HTML report."""
    import io

    import matplotlib as mpl

    buf = io.StringIO()
    with mpl.rc_context(_rc(getattr(fig, "_synergy_lang", "en"))):
        fig.savefig(buf, format="svg", metadata={"Date": None}, facecolor="white")
    return buf.getvalue()
