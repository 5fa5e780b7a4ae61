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

A Python handler runs only when the main thread runs Python code, so a run stuck in native code
(a long SQLite query) would never stop. A second signal while the first is pending therefore
kills the process as the signal's default action does (``kill`` twice, ``timeout -k``): noticed
by the handler, or, while the main thread is in native code, by a watchdog thread that reads
the signals from :func:`signal.set_wakeup_fd`. The watchdog runs only if that native code
releases the GIL (SQLite does; libcst's parser does not); otherwise only SIGKILL stops it.
"""

from __future__ import annotations

import contextlib
import os
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


def _die(signum: int) -> None:
    """End the process by ``signum``'s default action (callable from any thread)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signum, signal.SIG_DFL)
    else:  # signal.signal is for the main thread only; libc's signal() is not
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.signal.argtypes = [ctypes.c_int, ctypes.c_void_p]
        libc.signal.restype = ctypes.c_void_p
        libc.signal(signum, None)  # SIG_DFL
    os.kill(os.getpid(), signum)


def _raise(signum: int, _frame: FrameType | None) -> None:
    if _received:  # a second signal: the first did not stop the run
        _die(signum)
    _received.append(signum)
    if not _depth[0]:
        raise Interrupted(signum)


def _watch(fd: int) -> None:
    """Read the signals the C-level handler writes to ``fd``; kill the process at the second."""
    seen = 0
    with contextlib.suppress(OSError):
        while data := os.read(fd, 64):
            for signum in data:
                if signum in SIGNALS and signal.getsignal(signum) is _raise:
                    seen += 1
                    if seen > 1:
                        _die(signum)
    os.close(fd)


@contextmanager
def _watchdog() -> Iterator[None]:
    if not hasattr(os, "pipe") or not hasattr(os, "set_blocking"):
        yield
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    threading.Thread(target=_watch, args=(read_fd,), name="codemod-signals", daemon=True).start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous)
        os.close(write_fd)  # the watchdog reads the end and stops


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
        with _watchdog():
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
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)  # the parent's watchdog pipe
    _received.clear()
