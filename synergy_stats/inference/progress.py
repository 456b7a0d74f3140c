"""A minimal progress bar for long resampling runs.

It writes one self-overwriting line to standard error, and only when standard error is a
terminal; under a notebook capture, a log file or ``progress=False`` it stays silent.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO, TypeAlias

__all__ = ["ProgressBar", "ProgressLike", "make_progress"]

ProgressLike: TypeAlias = bool | Callable[[int, int], None] | None


class ProgressBar:
    """A text progress bar, ``label [#########.........] 450/1000``.

    Parameters
    ----------
    total : int
        Number of units of work.
    label : str
        Text shown before the bar.
    stream : TextIO, optional
        Where to write (default ``sys.stderr``).
    enabled : bool
        Draw nothing when False.
    callback : callable, optional
        Called as ``callback(done, total)`` on every update instead of drawing.
    min_interval : float
        Seconds between redraws (the last update always draws).
    """

    def __init__(
        self,
        total: int,
        label: str = "",
        *,
        stream: TextIO | None = None,
        enabled: bool = True,
        callback: Callable[[int, int], None] | None = None,
        min_interval: float = 0.1,
        width: int = 30,
    ) -> None:
        self.total = max(int(total), 0)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.callback = callback
        self.min_interval = min_interval
        self.width = width
        self.done = 0
        self._last = 0.0
        self._drawn = False

    def update(self, n: int = 1) -> None:
        """Record ``n`` more finished units and redraw when due."""
        self.done = min(self.done + n, self.total)
        if self.callback is not None:
            self.callback(self.done, self.total)
            return
        if not self.enabled:
            return
        now = time.monotonic()
        if self.done < self.total and now - self._last < self.min_interval:
            return
        self._last = now
        frac = self.done / self.total if self.total else 1.0
        filled = round(frac * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the line (when something was drawn)."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

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
        ``None`` or ``True``: a bar on standard error when it is a terminal, silent
        otherwise. ``False``: silent. A callable: called as ``progress(done, total)``.
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
        enabled = progress is not False and _is_tty(sys.stderr)
        return ProgressBar(total, label, enabled=enabled)
    raise OptionError(
        f"progress={progress!r} is not accepted; use True, False, None or a callable "
        "taking (done, total)"
    )
