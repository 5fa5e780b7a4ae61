"""SIGTERM and SIGHUP end a run the way Ctrl-C does, and no signal interrupts a file's write.

:func:`handled` makes SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` (a
``KeyboardInterrupt``, so every path that cleans up after Ctrl-C cleans up after them too: the
worker processes are stopped, see :meth:`codemods.workers.WorkerPool.terminate`); the command
line exits with 128 + the signal's number. Inside :func:`deferred` (the few system calls that
write a file and rename it into place) a signal is held and raised when the block ends, so a run
never stops between the temporary file and its rename. A signal the tool was started with set to
be ignored (``nohup``, a background job's SIGINT) stays ignored.

Python ignores an exception raised where nothing can catch it (a ``fork`` hook, ``__del__``), so
a signal landing there would be lost: every signal is also remembered, and :func:`check`, called
between files, raises for one whose exception went nowhere.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Interrupted(KeyboardInterrupt):
    """A run stopped by a signal; :attr:`signum` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_received: list[int] = []  # every signal handled in this run, in order
_depth = [0]  # how many deferred() blocks are open


def _raise(signum: int, _frame: FrameType | None) -> None:
    _received.append(signum)
    if not _depth[0]:
        raise Interrupted(signum)


def received() -> int | None:
    """The first signal handled in this run, if any."""
    return _received[0] if _received else None


def check() -> None:
    """Raise :class:`Interrupted` if a signal arrived (its own exception may have been lost)."""
    if _received and not _depth[0]:
        raise Interrupted(_received[0])


@contextmanager
def handled() -> Iterator[None]:
    """Within the block, the signals of :data:`SIGNALS` raise :class:`Interrupted` (main thread
    only; elsewhere, and for a signal that was ignored, nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}
    _received.clear()
    for signum in SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, _raise)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _received.clear()


@contextmanager
def deferred() -> Iterator[None]:
    """Hold :func:`handled`'s signals until the block ends; then raise for the first one that
    arrived during the block."""
    before = len(_received)
    _depth[0] += 1
    try:
        yield
    finally:
        _depth[0] -= 1
        if not _depth[0] and len(_received) > before:
            raise Interrupted(_received[before])


def exit_code(signum: int) -> int:
    return 128 + signum


def in_worker() -> None:
    """In a forked worker process: the main process handles the signals and stops the workers
    (:meth:`codemods.workers.WorkerPool.terminate`), so a worker ignores SIGINT (sent to the
    whole terminal's process group) and dies of SIGTERM/SIGHUP; an ignored signal stays ignored."""
    for signum in SIGNALS:
        if signal.getsignal(signum) is _raise:
            signal.signal(signum, signal.SIG_IGN if signum == signal.SIGINT else signal.SIG_DFL)
    _received.clear()
