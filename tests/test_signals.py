"""SIGTERM and SIGHUP end a run as Ctrl-C does: the workers are stopped, nothing is half-written,
and the exit code is 128 + the signal's number (docs/security.md, "Cache and signals").

The runs are real: ``codemod apply --jobs 2`` over hundreds of files, signalled once its
workers exist and it has written its first file; then every process of the run (found by a
marker in its environment, which forked workers inherit) must be gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from codemods import interrupts

from .conftest import REPO

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

HOISTABLE = "import os\n\n\ndef dump(x):\n    import json\n    return json.dumps(x)\n"
#: a bound on waiting for something that happens in well under a second, so a broken run
#: fails the test instead of hanging it (never an assertion about speed)
PATIENCE = 120.0


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):  # a thread that just ended
            found.update(int(n) for n in (task / "children").read_text().split())
    return found


def alive_with(marker: str) -> list[int]:
    """Processes (not zombies) whose environment holds ``marker``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state not in ("Z", "X"):
                    found.append(int(proc.name))
        except OSError:
            continue
    return found


def make_tree(root: Path, count: int = 400) -> dict[str, bytes]:
    root.mkdir()
    originals = {}
    for i in range(count):
        filler = "".join(f"X{j} = {j}\n" for j in range(i % 50 * 20))
        originals[f"m{i:04d}.py"] = (filler + HOISTABLE).encode()
        (root / f"m{i:04d}.py").write_bytes(originals[f"m{i:04d}.py"])
    return originals


@pytest.fixture
def marker() -> Iterator[str]:
    """Marks the processes of one run; any left when the test ends is killed (a failing run
    must not leave orphans behind)."""
    mark = uuid.uuid4().hex
    yield mark
    for pid in alive_with(mark):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def start(args: list[str], cwd: Path, marker: str, **popen: Any) -> subprocess.Popen[bytes]:
    """The CLI in its own session, its stderr in ``cwd/stderr`` (not a pipe: workers left
    behind would keep a pipe open and hang the test)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "CODEMOD_TEST_RUN": marker}
    with (cwd / "stderr").open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "codemods", *args], cwd=cwd, env=env,
            stdout=subprocess.DEVNULL, stderr=err, start_new_session=True, **popen,
        )  # fmt: skip


def wait_until_mid_run(
    proc: subprocess.Popen[bytes], work: Path, originals: dict[str, bytes]
) -> set[int]:
    """Wait until the run has workers and has rewritten a file; returns the workers."""
    first = min(originals)  # results are written in path order
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline and proc.poll() is None:
        workers = children(proc.pid)
        if workers and (work / first).read_bytes() != originals[first]:
            return workers
        time.sleep(0.005)
    pytest.fail(f"the run ended (exit {proc.poll()}) before it could be signalled mid-run")


def assert_every_file_old_or_new(work: Path, originals: dict[str, bytes]) -> None:
    assert sorted(p.name for p in work.iterdir()) == sorted(originals), "a temporary file was left"
    rewritten = 0
    for name, original in originals.items():
        data = (work / name).read_bytes()
        if data != original:
            rewritten += 1
            cst.parse_module(data)
            assert data.endswith(b"def dump(x):\n    return json.dumps(x)\n"), name
    assert 0 < rewritten < len(originals), (
        "the signal came before the first or after the last write"
    )


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name
)
def test_a_signal_mid_apply_stops_the_workers_and_writes_nothing_half(
    tmp_path: Path, marker: str, signum: int
) -> None:
    work = tmp_path / "work"
    originals = make_tree(work)
    proc = start(["apply", "-q", "--no-cache", "--jobs", "2", str(work)], tmp_path, marker)
    workers = wait_until_mid_run(proc, work, originals)
    os.kill(proc.pid, signum)  # the main process only, as `kill PID` or a supervisor does
    proc.wait(timeout=PATIENCE)
    err = (tmp_path / "stderr").read_bytes()
    assert proc.returncode == 128 + signum, err
    assert b"Aborted" in err and b"Traceback" not in err, err
    # the workers are gone by the time the main process has exited (it waited for them)
    assert alive_with(marker) == [], f"left running: {alive_with(marker)} (workers were {workers})"
    assert_every_file_old_or_new(work, originals)


def test_sigterm_while_gathering_stops_the_workers(tmp_path: Path, marker: str) -> None:
    work = tmp_path / "work"
    make_tree(work)
    proc = start(["check", "-q", "--no-cache", "--jobs", "2", str(work)], tmp_path, marker)
    deadline = time.monotonic() + PATIENCE
    while not children(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before it had workers"
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(timeout=PATIENCE)
    assert proc.returncode == 143, (tmp_path / "stderr").read_bytes()
    assert alive_with(marker) == []


def test_workers_do_not_outlive_a_killed_main_process(tmp_path: Path, marker: str) -> None:
    """SIGKILL cannot be handled: the kernel kills the workers with their parent (Linux)."""
    work = tmp_path / "work"
    originals = make_tree(work)
    proc = start(["apply", "-q", "--no-cache", "--jobs", "2", str(work)], tmp_path, marker)
    wait_until_mid_run(proc, work, originals)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=PATIENCE)
    deadline = time.monotonic() + PATIENCE
    while alive_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive_with(marker) == []


def test_an_ignored_sighup_stays_ignored(tmp_path: Path, marker: str) -> None:
    """``nohup codemod apply``: a hangup neither stops the run nor its workers."""
    work = tmp_path / "work"
    originals = make_tree(work, count=200)
    proc = start(
        ["apply", "-q", "--no-cache", "--jobs", "2", str(work)], tmp_path, marker,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )  # fmt: skip
    wait_until_mid_run(proc, work, originals)
    os.killpg(proc.pid, signal.SIGHUP)  # the whole group, as a closing terminal does
    proc.wait(timeout=PATIENCE)
    assert proc.returncode == 0, (tmp_path / "stderr").read_bytes()
    assert all((work / n).read_bytes() != data for n, data in originals.items())


def test_a_signal_inside_deferred_waits_for_the_block_to_end() -> None:
    done = []
    with pytest.raises(interrupts.Interrupted) as caught, interrupts.handled():
        with interrupts.deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            done.append("after the signal")
        done.append("never")
    assert done == ["after the signal"]
    assert caught.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back


STUCK_IN_SQLITE = """
import sqlite3, sys
from codemods import interrupts

ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
db = sqlite3.connect(":memory:")
with interrupts.handled():
    try:  # "ready" inside: a first signal landing just after the print is caught too
        print("ready", flush=True)
        db.execute(ENDLESS).fetchall()
    except interrupts.Interrupted:  # the first signal landed in Python: clean up, natively
        pass
    db.execute(ENDLESS).fetchall()
"""


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_second_signal_kills_a_run_stuck_in_native_code(signame: str) -> None:
    """A Python handler never runs while the main thread is in native code, so a run stuck in a
    long SQLite query used to survive every SIGTERM; the second one now kills it."""
    signum = getattr(signal, signame)
    proc = subprocess.Popen(
        [sys.executable, "-c", STUCK_IN_SQLITE],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        # signals of one kind merge while pending: send until the process ends, or give up
        for _ in range(240):
            proc.send_signal(signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.5)
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    assert proc.returncode == -signum
