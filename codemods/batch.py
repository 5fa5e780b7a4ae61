"""``codemod batch``: apply the codemods to many local git checkouts, one branch and commit each.

For each repository (in parallel, ``jobs`` at a time):

0. the path must be a repository's top level (a subdirectory would commit the whole enclosing
   repository); what a killed earlier run left is put back first (:mod:`codemods.batch_state`);
1. a branch that already holds a codemod commit on top of the current HEAD means the work is
   done: ``already-done``, nothing runs (a rerun resumes where the last one stopped);
2. a working tree with changes or untracked files is refused: ``dirty``, nothing is touched;
3. the branch is created from HEAD and the codemods run in a worker process whose working
   directory is the repository, exactly as ``codemod apply .`` would run there (its
   ``[tool.codemod]``, its ``.gitignore``; no cache is written), on the files git tracks
   outside submodules and nested repositories (:mod:`codemods.batch_worker`);
4. ``verify`` (the user's own shell command, run with ``shell=True`` in the repository) must
   succeed, or the repository is put back exactly as it was: ``verify-failed``;
5. the changed files are committed with a message listing the changes per codemod, the original
   branch is checked out again, and the pull-request body is written to ``out/<name>.md``.

A repository that nothing changes ends ``unchanged`` (branch deleted);
any git or worker error puts it back and ends ``failed``. Putting back means: hard reset of the
new branch, removal of what the run created outside git's view (untracked files, as the tree had
none, and ignored files or directories that were not there before), checkout of the original
branch (or commit), deletion of the new branch, then a check that HEAD and a clean status are
what they were. An interrupted run (Ctrl-C) puts back each repository in progress, unless its
commit is made already: then it ends back on the original branch, done. A killed run is put
back by the next one only when the tree holds nothing but what it could have made. Every git call goes
through :mod:`codemods.batch_git`, which keeps the repository's git configuration from running
commands. Nothing leaves the machine unless ``--push`` (:mod:`codemods.batch_push`) and
``--open-pr`` (:mod:`codemods.batch_pr`): a failure there is the repository's status.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import batch_procs, batch_push, batch_state, batch_worker
from .batch_git import BatchError, Git, message
from .batch_procs import Stop
from .batch_settings import Outcome, Settings, settings_from_cli
from .reports.batch import STATUSES, TRAILER, Progress, commit_message, summary, table

__all__ = ["NOT_DONE", "STATUSES", "Outcome", "Settings", "run", "settings_from_cli", "summary", "table", "write_summary"]

#: Statuses that make ``codemod batch`` exit with 3.
NOT_DONE = frozenset({"dirty", "failed", "verify-failed", "push-failed", "pr-failed"})


def repo_names(repos: Sequence[Path]) -> list[str]:
    """A distinct file name per repository: its directory name, ``-2``, ``-3``... on clashes."""
    seen: Counter[str] = Counter()
    names = []
    for repo in repos:
        base = repo.resolve().name or "repo"
        seen[base] += 1
        names.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return names


class Repo:
    """One repository's run; every git call goes through ``self.git``."""

    def __init__(self, path: Path, name: str, settings: Settings, progress: Progress, stop: Stop) -> None:
        self.path = path
        self.settings = settings
        self.progress = progress
        self.stop = stop
        self.git = Git(path, settings.trust_repo_config, stop, settings.git_timeout)
        self.outcome = Outcome(repo=str(path), name=name, branch=settings.branch)
        self.head = ""
        self.original: str | None = None  # branch name, None when detached
        self.ignored: set[str] = set()  # ignored paths present before the run
        self.state_file: Path | None = None

    def run(self) -> Outcome:
        try:
            self._run()
        except BatchError as exc:
            self.outcome.status, self.outcome.detail = "failed", str(exc)
        if self.settings.push is not None and self.outcome.status in ("changed", "already-done"):
            batch_push.publish(self.git, self.outcome, self.settings, self.original)
        return self.outcome

    def _run(self) -> None:
        self.stop.check()
        top = self.git("rev-parse", "--show-toplevel", check=False)
        if top.returncode != 0:
            raise BatchError(message(top))  # not a repository, dubious ownership, ...
        if not _same_directory(top.stdout.strip(), self.path):
            raise BatchError(
                f"not the top level of a git repository: its work tree is {top.stdout.strip()} "
                "(give that directory; batch commits the whole repository)"
            )
        git_dir = self.git("rev-parse", "--absolute-git-dir").stdout.strip()
        self.state_file = batch_state.location(git_dir)
        state = batch_state.load(self.state_file)
        if state is not None:
            self._recover(state)
        head = self.git("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
        if head.returncode != 0:
            raise BatchError("the repository has no commit yet")
        self.head = head.stdout.strip()
        self.original = self._current_branch()
        branch = self.settings.branch
        tip = self._tip(branch)
        if tip is not None:
            if not self._codemod_commit(tip, self.head):
                raise BatchError(f"branch {branch} already exists and is not a codemod commit on HEAD")
            self.outcome.status, self.outcome.commit = "already-done", tip
            self.outcome.detail = f"branch {branch} already holds the commit"
            return
        status = self._status()
        if status.strip():
            self.outcome.status = "dirty"
            self.outcome.detail = "working tree has changes: " + "; ".join(line.strip() for line in status.splitlines()[:5])
            return
        self.ignored = self._ignored()
        self.state_file = batch_state.save(
            self.state_file,
            batch_state.State(branch, self.original, self.head, tuple(sorted(self.ignored)), os.getpid()),
        )
        try:
            self.git("checkout", "--quiet", "-b", branch)
            self._apply()
        except BaseException:
            self._restore()
            raise

    def _current_branch(self) -> str | None:
        symbolic = self.git("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return symbolic.stdout.strip() if symbolic.returncode == 0 else None

    def _tip(self, branch: str) -> str | None:
        tip = self.git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False)
        return tip.stdout.strip() if tip.returncode == 0 else None

    def _codemod_commit(self, tip: str, head: str) -> bool:
        """Whether ``tip`` is a codemod commit whose parent is ``head``."""
        parent = self.git("rev-parse", "--verify", "--quiet", f"{tip}^", check=False).stdout.strip()
        text = self.git("log", "-1", "--no-show-signature", "--format=%B", tip, "--").stdout
        return parent == head and TRAILER in text

    def _status(self) -> str:
        return self.git("status", "--porcelain", "--untracked-files=normal", "--ignore-submodules=all").stdout

    def _recover(self, state: batch_state.State) -> None:
        """Put back what a killed run left: the uncommitted work of its branch is discarded, a
        commit it made is kept; then this run starts afresh (and finds that commit done)."""
        if batch_state.running(state.pid):
            raise BatchError(
                f"another codemod batch (process {state.pid}) is at work in this repository "
                f"(if not, delete {self.state_file})"
            )
        tip = self._tip(state.branch)
        done = tip is not None and self._codemod_commit(tip, state.head)
        self.head, self.original, self.ignored = state.head, state.original, set(state.ignored)
        if self._current_branch() == state.branch:
            if tip != state.head and not done:
                raise BatchError(
                    f"an interrupted codemod batch left {self.state_file}, and branch {state.branch} "
                    "has other commits since; put the repository back yourself and delete that file"
                )
            foreign = batch_state.foreign_changes(
                self._changes(), self._candidates(state.head), state.ignored
            )
            if foreign:
                back = f"git checkout {self.original or '--detach ' + self.head}"
                raise BatchError(
                    f"an interrupted codemod batch left {self.path} on branch {state.branch}, with changes "
                    f"it did not make ({', '.join(foreign[:5])}{', ...' if len(foreign) > 5 else ''}); "
                    f"nothing was touched: move your work away and rerun, or put the repository back "
                    f"yourself ({back}; git branch -D {state.branch}) and delete {self.state_file}"
                )
            self.git("reset", "--quiet", "--hard")
            self._clean()
            self._checkout_original()
        if tip == state.head:
            self.git("branch", "--quiet", "-D", state.branch, check=False)
        batch_state.remove(self.state_file)

    def _changes(self) -> list[str]:
        """``git status --porcelain -z`` entries, ignored ones included (a rename's source too)."""
        return self._ignored_listing().split("\0")

    def _candidates(self, head: str) -> set[str]:
        """The files a run may write: the regular ``*.py`` files ``head`` tracks."""
        listing = self.git("ls-tree", "-r", "-z", "--full-tree", head).stdout
        entries = (entry.partition("\t") for entry in listing.split("\0"))
        regular = ("100644 ", "100755 ")
        return {path for info, _, path in entries if info.startswith(regular) and path.endswith(".py")}

    def _apply(self) -> None:
        with tempfile.TemporaryDirectory(prefix="codemod-batch-") as tmp:
            doc, body = self._worker(Path(tmp))
        written = sorted({f["path"] for f in doc["files"] if f["status"] == "changed" and f["written"]})
        self.outcome.files_failed = doc["summary"]["files"]["failed"]
        if not written:
            self._restore()
            self.outcome.status = "unchanged"
            if self.outcome.files_failed:
                self.outcome.detail = f"{self.outcome.files_failed} file(s) could not be processed"
            return
        self.outcome.files_changed = len(written)
        self.outcome.changes = sum(
            1 for f in doc["files"] if f["path"] in written for c in f["changes"] if c["applied"]
        )
        if self.settings.verify and not self._verify():
            self._restore()
            self.outcome.status = "verify-failed"
            return
        self._clean()
        self.git("add", "--pathspec-from-file=-", "--pathspec-file-nul", input="\0".join(written))
        self.stop.check()
        self.git("commit", "--quiet", "--file", "-", input=commit_message(doc, self.settings.codemods))
        # committed: from here on the run completes, interrupted or not
        self.outcome.commit = self.git("rev-parse", "HEAD").stdout.strip()
        self._checkout_original()
        batch_state.remove(self.state_file)
        self.outcome.status = "changed"
        if self.outcome.files_failed:
            self.outcome.detail = f"{self.outcome.files_failed} file(s) could not be processed"
        if self.settings.out is not None:
            target = self.settings.out / f"{self.outcome.name}.md"
            target.write_text(body, encoding="utf-8")
            self.outcome.pr_body = str(target)

    def _worker(self, tmp: Path) -> tuple[dict[str, Any], str]:
        files = batch_worker.tracked_files(self.git("ls-files", "--stage", "-z").stdout)
        (tmp / "files.json").write_text(json.dumps(files), encoding="utf-8")
        spec = {
            "flags": self.settings.flags,
            "jobs": self.settings.file_jobs,
            "files": str(tmp / "files.json"),
            "json": str(tmp / "report.json"),
            "markdown": str(tmp / "report.md"),
        }
        errors: list[str] = []
        with self.stop.session(
            batch_worker.command(spec), cwd=self.path, env=batch_worker.environment(self.path),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ) as proc:  # fmt: skip
            readers = [
                threading.Thread(target=self._progress, args=(proc.stdout,), daemon=True),
                threading.Thread(target=lambda: errors.extend(proc.stderr.readlines()), daemon=True),  # type: ignore[union-attr]
            ]
            for reader in readers:
                reader.start()
            code = proc.wait()
        # the group is gone: no process of the worker's can hold its pipes open any more
        for reader in readers:
            reader.join()
        if proc.stdin is not None:
            proc.stdin.close()  # only now: its end tells the worker that batch is gone
        self.stop.check()
        if code != 0 or not (tmp / "report.json").is_file():
            last = "".join(errors).strip().splitlines()[-1:] or [f"exit code {code}"]
            raise BatchError(f"codemod run failed: {last[0]}")
        doc = json.loads((tmp / "report.json").read_text(encoding="utf-8"))
        return doc, (tmp / "report.md").read_text(encoding="utf-8")

    def _progress(self, lines: Iterable[str]) -> None:
        for line in lines:
            word, _, number = line.strip().partition(" ")
            if word == "total":
                self.progress.update(files_total=int(number))
            elif word == "file":
                self.progress.update(files_done=1)

    def _verify(self) -> bool:
        assert self.settings.verify is not None
        code, output = batch_procs.verify(self.settings.verify, self.path, self.settings.verify_timeout, self.stop)
        if code == 0:
            return True
        if code is None:
            self.outcome.detail = f"verify command timed out after {self.settings.verify_timeout}s"
        else:
            self.outcome.detail = f"verify exited {code}: " + " | ".join(output.strip().splitlines()[-3:])
        return False

    def _ignored(self) -> set[str]:
        out = self._ignored_listing()
        return {entry[3:] for entry in out.split("\0") if entry.startswith("!! ")}

    def _ignored_listing(self) -> str:
        return self.git(
            "status", "--porcelain", "-z", "--ignored", "--untracked-files=normal", "--ignore-submodules=all"
        ).stdout

    def _clean(self) -> None:
        """Remove what the run created that git does not track: untracked files (the tree had
        none) and ignored files or directories that were not there before (caches, build output)."""
        self.git("clean", "-fdq")
        new = sorted(self._ignored() - self.ignored)
        if new:
            self.git("clean", "-fdxq", "--", *new)

    def _checkout_original(self) -> None:
        if self.original is not None:
            self.git("checkout", "--quiet", self.original, "--")
        else:
            self.git("checkout", "--quiet", "--detach", self.head, "--")

    def _restore(self) -> None:
        self.git("reset", "--quiet", "--hard", self.head)
        self._clean()
        self._checkout_original()
        self.git("branch", "--quiet", "-D", self.settings.branch, check=False)
        head = self.git("rev-parse", "HEAD").stdout.strip()
        status = self._status().strip()
        if head != self.head or status:
            raise BatchError(f"could not restore the repository (HEAD {head}, status {status!r})")
        batch_state.remove(self.state_file)


def _same_directory(a: str, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_summary(path: Path, outcomes: Sequence[Outcome], settings: Settings) -> None:
    text = json.dumps(summary(outcomes, settings), indent=2, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def run(
    repos: Sequence[Path],
    settings: Settings,
    jobs: int = 1,
    progress: bool = False,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Process ``repos``; outcomes in input order. Interrupted (Ctrl-C), each repository in
    progress is put back (or completed, when its commit is made) before the exception goes on."""
    if settings.out is not None:
        settings.out.mkdir(parents=True, exist_ok=True)
    bar = Progress(len(repos), progress)
    names = repo_names(repos)
    stop = Stop()

    def one(index: int) -> Outcome:
        outcome = Repo(repos[index], names[index], settings, bar, stop).run()
        bar.update(repos_done=1)
        if on_done is not None:
            on_done(outcome)
        return outcome

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = [pool.submit(one, index) for index in range(len(repos))]
        return [future.result() for future in futures]
    except BaseException:
        stop.trigger()
        _finish(pool)
        raise
    finally:
        pool.shutdown(wait=True)
        bar.close()


def _finish(pool: ThreadPoolExecutor) -> None:
    """Wait for the repositories in progress to be put back; a second Ctrl-C does not cut that short."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        pool.shutdown(wait=True, cancel_futures=True)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
