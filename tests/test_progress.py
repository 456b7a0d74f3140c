"""Progress bars: tqdm on a terminal, a notebook bar in Jupyter, silence otherwise."""

from __future__ import annotations

import io
import sys

import pytest

from synergy_stats.errors import OptionError
from synergy_stats.inference import progress as pg


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_bar_shows_label_count_elapsed_and_eta(monkeypatch):
    fake = Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    with pg.make_progress(None, 5, "bootstrap") as bar:
        bar.update(2)
        bar.set_label("sem_step")
        bar.update(3)
    text = fake.getvalue()
    assert "sem_step" in text and "5/5" in text
    assert "00:00<00:00" in text  # elapsed < remaining (ETA)


def test_silent_when_not_a_terminal_or_asked(monkeypatch):
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    for value in (None, True, False):
        with pg.make_progress(value, 3, "x") as bar:
            bar.update(3)
    assert piped.getvalue() == ""
    seen = []
    with pg.make_progress(lambda d, t: seen.append((d, t)), 2, "x") as bar:
        bar.update()
        bar.update(5)  # never beyond the total
    assert seen == [(1, 2), (2, 2)]
    with pytest.raises(OptionError, match="progress="):
        pg.make_progress("yes", 1, "x")  # type: ignore[arg-type]


def test_notebook_bar_with_progress_true(monkeypatch):
    import tqdm.auto

    made = []

    class Fake:
        def __init__(self, **kw):
            made.append(kw)
            self.n = 0

        def update(self, n):
            self.n += n

        def set_description_str(self, s):
            pass

        def close(self):
            pass

    monkeypatch.setattr(pg, "_in_notebook", lambda: True)
    monkeypatch.setattr(tqdm.auto, "tqdm", Fake)
    with pg.make_progress(True, 4, "bootstrap") as bar:
        bar.update(4)
    assert made and made[0]["desc"] == "bootstrap" and made[0]["total"] == 4
    made.clear()
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with pg.make_progress(None, 4, "bootstrap") as bar:  # None: never a notebook widget
        bar.update(4)
    assert made == [] and piped.getvalue() == ""
