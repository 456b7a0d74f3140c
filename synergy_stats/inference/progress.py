"""Progress bars for long runs (bootstrap draws, the steps of the main job), through tqdm.

A bar shows the label (the step name), the count, the elapsed time and the ETA. It is drawn
only when standard error is a terminal, or in a Jupyter notebook when asked for with
``progress=True`` (a notebook widget, ``tqdm.auto``); under a log file, a pipe or
``progress=False`` it stays silent. tqdm is imported when a bar is actually drawn.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO, TypeAlias

__all__ = ["ProgressBar", "ProgressLike", "make_progress"]

ProgressLike: TypeAlias = bool | Callable[[int, int], None] | None


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    get = getattr(shell, "get_ipython", None)
    ip = get() if callable(get) else None
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


class ProgressBar:
    """A progress bar: ``label  45%|████▌     | 450/1000 [00:12<00:14]``.

    Parameters
    ----------
    total : int
        Number of units of work.
    label : str
        Text shown before the bar (updated with :meth:`set_label`).
    stream : TextIO, optional
        Where to write (default ``sys.stderr``).
    enabled : bool
        Draw nothing when False.
    callback : callable, optional
        Called as ``callback(done, total)`` on every update instead of drawing.
    notebook : bool
        Draw a Jupyter widget (``tqdm.auto``) instead of text.
    min_interval : float
        Seconds between redraws.
    """

    def __init__(
        self,
        total: int,
        label: str = "",
        *,
        stream: TextIO | None = None,
        enabled: bool = True,
        callback: Callable[[int, int], None] | None = None,
        notebook: bool = False,
        min_interval: float = 0.1,
    ) -> None:
        self.total = max(int(total), 0)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and callback is None
        self.callback = callback
        self.done = 0
        self._bar: Any = None
        if self.enabled:
            if notebook:
                from tqdm.auto import tqdm
            else:
                from tqdm import tqdm
            self._bar = tqdm(
                total=self.total,
                desc=label,
                file=None if notebook else self.stream,
                mininterval=min_interval,
                dynamic_ncols=True,
                leave=True,
            )

    def update(self, n: int = 1) -> None:
        """Record ``n`` more finished units and redraw when due."""
        n = min(n, self.total - self.done)
        self.done += n
        if self.callback is not None:
            self.callback(self.done, self.total)
        elif self._bar is not None and n > 0:
            self._bar.update(n)

    def set_label(self, label: str) -> None:
        """Change the text before the bar (e.g. the step that runs now)."""
        self.label = label
        if self._bar is not None:
            self._bar.set_description_str(label)

    def close(self) -> None:
        """Finish the bar (when one was drawn)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False


def make_progress(progress: ProgressLike, total: int, label: str) -> ProgressBar:
    """A :class:`ProgressBar` for a ``progress=`` argument.

    Parameters
    ----------
    progress : bool, callable or None
        ``None``: a bar on standard error when it is a terminal, silent otherwise.
        ``True``: the same, and in a Jupyter notebook a notebook bar (``tqdm.auto``).
        ``False``: silent. A callable: called as ``progress(done, total)``.
    total : int
        Units of work.
    label : str
        Text before the bar.

    Returns
    -------
    ProgressBar

    Raises
    ------
    OptionError
        For any other value of ``progress``.
    """
    from synergy_stats.errors import OptionError

    if callable(progress) and not isinstance(progress, bool):
        return ProgressBar(total, label, callback=progress)
    if progress is None or isinstance(progress, bool):
        if progress is True and _in_notebook():
            return ProgressBar(total, label, notebook=True)
        enabled = progress is not False and _is_tty(sys.stderr)
        return ProgressBar(total, label, enabled=enabled)
    raise OptionError(
        f"progress={progress!r} is not accepted; use True, False, None or a callable "
        "taking (done, total)"
    )
