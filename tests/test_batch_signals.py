"""``codemod batch`` stopped by a timeout, a Ctrl-C or a SIGKILL: nothing keeps running in the
repository, and each repository is put back or completed by a rerun. Real processes, real
signals; the waits have generous deadlines and the assertions are about outcomes, not speed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import REPO, run_cli
from .test_batch import BRANCH, GIT_ENV, HOIST, batch, make_repo, out, state, summary, unbranched

DEADLINE = 120.0


def env(cwd: Path) -> dict[str, str]:
    """Where batch keeps the state of a run in progress: the user's cache directory."""
    return {**GIT_ENV, "XDG_CACHE_HOME": str(cwd / "cache")}


def left_state(cwd: Path) -> list[str]:
    return sorted(p.name for p in (cwd / "cache").rglob("*") if p.is_file())


def start_batch(cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    env_ = {**os.environ, "PYTHONPATH": str(REPO), **env(cwd)}
    return subprocess.Popen(
        [sys.executable, "-m", "codemods", "batch", "--select", "hoist-imports", *args],
        cwd=cwd, env=env_, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def wait_for(path: Path, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + DEADLINE
    while not (path.exists() and path.stat().st_size):
        assert proc is None or proc.poll() is None, proc.communicate() if proc else None
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return fields[0] != "Z"


def wait_gone(pid: int) -> bool:
    """Whether process ``pid`` ended before the deadline."""
    deadline = time.monotonic() + DEADLINE
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def in_verify(
    cwd: Path, files: dict[str, str] | None = None
) -> tuple[Path, dict[str, object], subprocess.Popen[bytes], Path]:
    """A repository (``files``, by default one ``app.py`` to fix), its state, and batch running
    on it, stopped in its ``--verify`` command (which wrote its process id to the returned file)."""
    repo = make_repo(cwd, "svc", files or {"app.py": HOIST})
    before = state(repo)
    pidfile = cwd / "verify.pid"
    proc = start_batch(cwd, "svc", "--verify", f"echo $$ > {pidfile}; exec sleep 60")
    wait_for(pidfile, proc)
    return repo, before, proc, pidfile


def rerun(cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return run_cli(
        ["batch", "--select", "hoist-imports", "svc", "--summary-json", "s.json"], cwd, env=env(cwd)
    )


def pid_in(path: Path) -> int:
    return int(path.read_text().split()[0])


def test_verify_timeout_stops_what_verify_started(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    before = state(repo)
    pidfile, late = tmp_path / "child.pid", tmp_path / "late"
    child = f"sh -c 'echo $$ > {pidfile}; sleep 10; touch {late}' </dev/null >/dev/null 2>&1 &"
    verify = f"{child} while [ ! -s {pidfile} ]; do sleep 0.05; done; exec sleep 60"
    done = batch(
        tmp_path, "svc", "--verify", verify, "--verify-timeout", "5", "--summary-json", "s.json"
    )
    assert done.returncode == 3
    record = summary(tmp_path / "s.json")["svc"]
    assert record["status"] == "verify-failed" and "timed out" in str(record["detail"])
    if pidfile.exists():  # else the child was stopped before it could even start
        child_pid = pid_in(pidfile)
        if not wait_gone(child_pid):
            os.kill(child_pid, signal.SIGKILL)
            raise AssertionError("the verify command's child is still running")
    assert not late.exists(), "a child of the verify command ran on after the timeout"
    assert state(repo) == before


def test_ctrl_c_puts_the_repository_back(tmp_path: Path) -> None:
    repo, before, proc, pidfile = in_verify(tmp_path)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=DEADLINE)
    verify_pid = pid_in(pidfile)
    stopped = wait_gone(verify_pid)
    if not stopped:
        os.kill(verify_pid, signal.SIGKILL)
    assert proc.returncode == 130 and stderr.endswith(b"Aborted.\n"), stderr
    assert stopped, "the verify command was left running"
    assert state(repo) == before  # no commit, no branch, original branch, clean
    assert left_state(tmp_path) == []


def test_a_rerun_after_sigkill_completes_the_repository(tmp_path: Path) -> None:
    repo, before, proc, pidfile = in_verify(tmp_path)
    proc.kill()
    proc.communicate()
    os.kill(pid_in(pidfile), signal.SIGKILL)  # the user's command: theirs to stop
    assert wait_gone(pid_in(pidfile))
    assert out(repo, "rev-parse", "--abbrev-ref", "HEAD") == BRANCH  # killed halfway
    assert out(repo, "status", "--porcelain") != ""
    assert len(left_state(tmp_path)) == 1
    done = rerun(tmp_path)
    assert done.returncode == 0, done.stdout
    assert summary(tmp_path / "s.json")["svc"]["status"] == "changed"
    assert out(repo, "rev-list", "--count", f"main..{BRANCH}") == "1"
    assert out(repo, "rev-parse", f"{BRANCH}^") == before["head"]
    assert unbranched(state(repo)) == unbranched(before)
    assert left_state(tmp_path) == []


def test_a_rerun_after_sigkill_past_the_commit_finds_it_done(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    hook = repo / ".git" / "hooks" / "post-commit"
    pidfile = tmp_path / "hook.pid"
    hook.write_text(f"#!/bin/sh\necho $$ $PPID > {pidfile}\nexec sleep 60\n", encoding="utf-8")
    hook.chmod(0o755)
    before = state(repo)
    proc = start_batch(tmp_path, "svc", "--trust-repo-config")
    wait_for(pidfile, proc)  # the commit is made; batch waits for its post-commit hook
    proc.kill()
    proc.communicate()
    hook.unlink()
    hook_pid, git_pid = map(int, pidfile.read_text().split())
    os.kill(hook_pid, signal.SIGKILL)
    assert wait_gone(hook_pid) and wait_gone(git_pid)
    assert out(repo, "rev-parse", "--abbrev-ref", "HEAD") == BRANCH
    tip = out(repo, "rev-parse", BRANCH)
    done = rerun(tmp_path)
    assert done.returncode == 0, done.stdout
    record = summary(tmp_path / "s.json")["svc"]
    assert record["status"] == "already-done" and record["commit"] == tip
    assert unbranched(state(repo)) == unbranched(before)
    assert left_state(tmp_path) == []


def test_the_worker_stops_when_batch_is_gone(tmp_path: Path) -> None:
    """The worker reads its stdin, which batch holds open: its end is batch's death."""
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    (tmp_path / "files.json").write_text('{"regular": ["app.py"], "nested": []}', encoding="utf-8")
    spec = {
        "flags": {"select": ["hoist-imports"]}, "jobs": 1, "files": str(tmp_path / "files.json"),
        "json": str(tmp_path / "report.json"), "markdown": str(tmp_path / "report.md"),
    }  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-P", "-m", "codemods.batch_worker", json.dumps(spec)], cwd=repo,
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdin=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    assert worker.stdin is not None
    worker.stdin.close()  # as when batch is killed
    assert worker.wait(timeout=DEADLINE) == -signal.SIGKILL
    assert not (tmp_path / "report.json").exists()
    assert (repo / "app.py").read_text(encoding="utf-8") == HOIST


def test_a_rerun_after_sigkill_keeps_work_done_since(tmp_path: Path) -> None:
    """After the kill the user went on working on the branch: a new file, an ignored ``.env``,
    an edit to a file the run does not write. The rerun touches none of it and says why."""
    repo, _, proc, pidfile = in_verify(tmp_path, {"app.py": HOIST, "README.md": "svc\n"})
    proc.kill()
    proc.communicate()
    os.kill(pid_in(pidfile), signal.SIGKILL)
    assert wait_gone(pid_in(pidfile))
    assert out(repo, "rev-parse", "--abbrev-ref", "HEAD") == BRANCH
    (repo / "notes.txt").write_text("mine\n", encoding="utf-8")
    (repo / ".gitignore").write_text(".env\n", encoding="utf-8")
    (repo / ".env").write_text("SECRET=1\n", encoding="utf-8")
    (repo / "README.md").write_text("svc, edited\n", encoding="utf-8")
    killed = state(repo)
    done = rerun(tmp_path)
    assert done.returncode == 3, done.stdout
    record = summary(tmp_path / "s.json")["svc"]
    assert record["status"] == "failed"
    detail = str(record["detail"])
    assert "interrupted codemod batch left svc on branch" in detail
    assert "nothing was touched" in detail
    assert all(name in detail for name in ("notes.txt", ".gitignore", ".env", "README.md")), detail
    assert state(repo) == killed
    assert len(left_state(tmp_path)) == 1


def git_blocked_in(repo: Path) -> int:
    """The process id of a git call of batch's blocked in ``repo`` (waits for it)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
                cwd = os.readlink(entry / "cwd")
            except (OSError, ValueError):
                continue
            if args[:2] == [b"git", b"--no-pager"] and cwd == str(repo):
                return int(entry.name)
        time.sleep(0.05)
    raise AssertionError("no git call of batch's appeared")


def test_ctrl_c_stops_a_git_call_blocked_on_a_named_pipe(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    subprocess.run(["git", "config", "include.path", "inc"], cwd=repo, check=True)
    os.mkfifo(repo / ".git" / "inc")
    proc = start_batch(tmp_path, "svc")  # the default --git-timeout: minutes
    blocked = git_blocked_in(repo)
    proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=DEADLINE)
    finally:
        stopped = wait_gone(blocked) if alive(blocked) else True
        if not stopped:
            os.kill(blocked, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
    assert stopped, "the blocked git call was left running"
    assert proc.returncode == 130, stderr
