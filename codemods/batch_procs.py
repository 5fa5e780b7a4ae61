"""The child processes of ``codemod batch`` and how a run stops.

The worker and the ``--verify`` command each run in a session of their own, so a Ctrl-C on the
terminal reaches batch alone; batch then kills their process groups itself and puts each
repository in progress back (see :mod:`codemods.batch`). A verify command that exits or times
out has its whole process group killed; a descendant that started a session of its own
(``setsid``) is not in that group and escapes. git calls are registered too: an interrupt sends
them SIGTERM (git removes its lock files on it), so a git call blocked on a FIFO cannot hold
the run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class Interrupted(BaseException):
    """The run is being stopped; each repository in progress is put back first."""


def kill_group(pgid: int, signum: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # gone already
        os.killpg(pgid, signum)


class Stop:
    """Shared by the repositories of one run: set when the run is interrupted, and the process
    groups to kill then."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._groups: dict[int, int] = {}  # process group -> the signal that stops it

    def check(self) -> None:
        if self._event.is_set():
            raise Interrupted

    def trigger(self) -> None:
        with self._lock:
            self._event.set()
            for pgid, signum in self._groups.items():
                kill_group(pgid, signum)

    @property
    def triggered(self) -> bool:
        return self._event.is_set()

    @contextmanager
    def session(
        self,
        args: str | Sequence[str],
        *,
        refuse: bool = True,
        signum: int = signal.SIGKILL,
        **kwargs: Any,
    ) -> Iterator[subprocess.Popen[Any]]:
        """Start ``args`` as the leader of a new session; its process group is killed when the
        block ends, and sent ``signum`` at once when the run is interrupted. ``refuse``: raise
        :class:`Interrupted` instead of starting once the run is interrupted (``False`` for the
        git calls that put a repository back)."""
        with self._lock:
            if refuse:
                self.check()
            proc = subprocess.Popen(args, start_new_session=True, **kwargs)
            self._groups[proc.pid] = signum
        try:
            yield proc
        finally:
            with self._lock:
                self._groups.pop(proc.pid, None)
                kill_group(proc.pid)
            proc.wait()


def communicate(
    stop: Stop,
    command: Sequence[str],
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    input: str | None = None,
) -> subprocess.CompletedProcess[str] | None:
    """Run ``command`` (git, gh) in a session of its own registered with ``stop`` (an interrupt
    sends it SIGTERM: git removes its lock files then); None when it outlives ``timeout`` seconds
    (its process group is stopped)."""
    with stop.session(
        command, refuse=False, signum=signal.SIGTERM, cwd=cwd, env=env,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
    ) as proc:  # fmt: skip
        try:
            stdout, stderr = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.communicate(timeout=5)
            return None
    return subprocess.CompletedProcess(list(command), proc.returncode, stdout, stderr)


def verify(command: str, cwd: Path, timeout: float | None, stop: Stop) -> tuple[int | None, str]:
    """Run the user's ``--verify`` command through the shell: (exit code, None on timeout; its
    output, stdout and stderr interleaved)."""
    with tempfile.TemporaryFile() as out:
        with stop.session(
            command, shell=True, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        ) as proc:
            try:
                code: int | None = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                code = None
        stop.check()
        out.seek(0)
        return code, out.read().decode("utf-8", errors="replace")
