"""Run one command and measure it: wall time, CPU, peak RSS, and what else the machine was doing.

- wall time: ``time.perf_counter`` around the process, from spawn to exit;
- CPU and ``max_rss``: ``os.wait4`` on the child, whose rusage covers the whole process tree
  (the child plus every descendant it waited for), so ``max_rss_mib`` is the peak RSS of the
  largest single process in the tree — the main process or one worker;
- ``tree_pss_mib``: the memory of the whole tree — the sum of the proportional set sizes
  (``Pss`` in ``/proc/PID/smaps_rollup``, so pages that forked workers share are counted once) of
  all live processes in it, sampled every 0.5 s (a sample: a short spike can be missed);
- ``foreign_cpu_s``: CPU-seconds the *rest* of the machine used meanwhile (busy jiffies in
  ``/proc/stat`` minus this tree's CPU); ``steal_s`` the hypervisor's steal time; ``load_before``
  the 1-minute load average at the start. These say how noisy the run was.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    max_rss_mib: float
    tree_pss_mib: float
    foreign_cpu_s: float
    steal_s: float
    load_before: float
    returncode: int
    timed_out: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, steal) jiffies of the whole machine, from the first line of /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + nice + system + irq + softirq, steal


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as handle:
                found.extend(int(x) for x in handle.read().split())
        except (OSError, ValueError):
            continue
    return found


def _pss(pid: int) -> int:
    """Proportional set size of ``pid`` in bytes (its RSS where smaps_rollup is unavailable)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def tree_pss(pid: int) -> int:
    """Sum of the proportional set sizes (bytes) of ``pid`` and all its live descendants."""
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _pss(current)
        stack.extend(_children(current))
    return total


class _Sampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.peak = max(self.peak, tree_pss(self.pid))


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def measure(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stdout: Path | None = None,
    stderr: Path | None = None,
    timeout: float | None = None,
) -> Run:
    """Run ``command`` to completion in ``cwd`` and measure it; output goes to the given files.

    The command runs in a process group of its own; after ``timeout`` seconds (or if this process
    is interrupted) the whole group is killed and the run is marked ``timed_out``.
    """
    out = stdout.open("wb") if stdout else subprocess.DEVNULL
    err = stderr.open("wb") if stderr else subprocess.DEVNULL
    try:
        load_before = os.getloadavg()[0]
        busy0, steal0 = _cpu_jiffies()
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            _kill_group(proc.pid)

        timer = threading.Timer(timeout, expire) if timeout else None
        if timer:
            timer.daemon = True
            timer.start()
        sampler = _Sampler(proc.pid)
        sampler.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            _kill_group(proc.pid)
            raise
        wall = time.perf_counter() - start
        if timer:
            timer.cancel()
        busy1, steal1 = _cpu_jiffies()
        sampler.done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    finally:
        for handle in (out, err):
            if not isinstance(handle, int):
                handle.close()
    cpu = usage.ru_utime + usage.ru_stime
    return Run(
        wall_s=wall,
        cpu_s=cpu,
        max_rss_mib=usage.ru_maxrss * 1024 / MIB,  # ru_maxrss is in KiB on Linux
        tree_pss_mib=sampler.peak / MIB,
        foreign_cpu_s=max(0.0, (busy1 - busy0) / _CLK_TCK - cpu),
        steal_s=(steal1 - steal0) / _CLK_TCK,
        load_before=load_before,
        returncode=proc.returncode,
        timed_out=expired.is_set(),
    )
