"""The progress display of a long run: files done / total in each phase (gather, transform).

Drawn on stderr with ``click.progressbar``, only when stderr is a terminal and ``-q`` is not
given (the CLI decides), and only once the run has lasted :data:`DELAY` seconds: a short run
prints nothing. It is redrawn at most every :data:`INTERVAL` seconds (and when a phase ends),
from the main process as results arrive, so a file costs a clock read, and workers share nothing
with it. While a bar is on screen the renderer holds its output and prints it afterwards
(:meth:`codemods.render.Renderer.release`), so no line lands in the middle of the bar.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Any

import click

#: Seconds before anything is drawn.
DELAY = 1.0
#: Seconds between two redraws.
INTERVAL = 0.25
#: Overrides :data:`DELAY` (seconds; the tests draw at once with 0).
DELAY_ENV = "CODEMOD_PROGRESS_DELAY"


def _delay() -> float:
    try:
        return max(0.0, float(os.environ.get(DELAY_ENV, DELAY)))
    except ValueError:
        return DELAY


class Progress:
    """Called as ``progress(phase, done, total)`` by :func:`codemods.api.run_paths`."""

    def __init__(self) -> None:
        self._next = time.monotonic() + _delay()
        self._phase = ""
        self._shown = 0
        self._bar: Any = None  # click's ProgressBar, entered on self._stack
        self._stack = contextlib.ExitStack()

    @property
    def visible(self) -> bool:
        return self._bar is not None

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase != self._phase:
            if self._bar is not None:  # on screen already: the next phase shows at once
                self._next = now
            self._finish()
            self._phase = phase
        if self._bar is None:
            if now < self._next:
                return
            self._bar = self._stack.enter_context(
                click.progressbar(length=total, label=phase, file=sys.stderr, show_pos=True)
            )
        elif now < self._next and done < total:
            return
        self._bar.update(done - self._shown)
        self._shown = done
        self._next = now + INTERVAL

    def _finish(self) -> None:
        self._bar, self._shown = None, 0
        self._stack.close()

    def close(self) -> None:
        """End the bar on screen, if one is (it stays, full or where the run stopped)."""
        self._finish()
