"""The CLI on a pseudo-terminal, for ``apply --interactive`` (which needs one)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

from .conftest import REPO

PROMPT = b"]: "


class Terminal:
    """The CLI running on a pseudo-terminal: read until a prompt, answer, collect the output."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        master, slave = os.openpty()
        env = {**os.environ, "PYTHONPATH": str(REPO), "TERM": "dumb", **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "codemods", *args], cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
            env=env, close_fds=True,
        )  # fmt: skip
        os.close(slave)
        self.master = master
        self.output = b""

    def _read(self, deadline: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    def answer(self, *answers: str, timeout: float = 60) -> None:
        for answer in answers:
            seen = self.output.count(PROMPT)
            deadline = time.monotonic() + timeout
            while self.output.count(PROMPT) <= seen:
                if not self._read(deadline):
                    raise AssertionError(f"no prompt for {answer!r}; output so far:\n{self.text}")
            os.write(self.master, answer.encode() + b"\n")

    def finish(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self._read(deadline):
            pass
        code = self.proc.wait(timeout=timeout)
        os.close(self.master)
        return code

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace").replace("\r\n", "\n")
