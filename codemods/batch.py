"""``codemod batch``: apply the codemods to many local git checkouts, one branch and commit each.

For each repository (in parallel, ``jobs`` at a time):

1. a branch that already holds a codemod commit on top of the current HEAD means the work is
   done: ``already-done``, nothing runs (a rerun resumes where the last one stopped);
2. a working tree with changes or untracked files is refused: ``dirty``, nothing is touched;
3. the branch is created from HEAD and the codemods run in a worker process whose working
   directory is the repository, exactly as ``codemod apply .`` would run there (its
   ``[tool.codemod]``, its ``.gitignore``; no cache is written);
4. ``verify`` (the user's own shell command, run with ``shell=True`` in the repository) must
   succeed, or the repository is put back exactly as it was: ``verify-failed``;
5. the changed files are committed with a message listing the changes per codemod, the original
   branch is checked out again, and the pull-request body is written to ``out/<name>.md``.

Nothing is ever pushed. A repository that nothing changes ends ``unchanged`` (branch deleted);
any git or worker error puts it back and ends ``failed``. Putting back means: hard reset of the
new branch, removal of what the run created outside git's view (untracked files, as the tree had
none, and ignored files or directories that were not there before), checkout of the original
branch (or commit), deletion of the new branch, then a check that HEAD and a clean status are
what they were.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from . import registry
from .reports.batch import STATUSES, TRAILER, Progress, commit_message, summary, table

__all__ = ["NOT_DONE", "STATUSES", "Outcome", "Settings", "run", "settings_from_cli", "summary", "table", "write_summary"]

#: Statuses that make ``codemod batch`` exit with 3.
NOT_DONE = frozenset({"dirty", "failed", "verify-failed"})


class BatchError(Exception):
    """A step failed; the repository is put back and reported ``failed``."""


@dataclass(frozen=True)
class Settings:
    branch: str
    codemods: tuple[str, ...]
    #: flags for the worker, as ``codemod apply`` takes them (select, ignore, unsafe_fixes, ...)
    flags: dict[str, Any] = field(default_factory=dict)
    verify: str | None = None
    verify_timeout: float | None = None
    out: Path | None = None
    #: worker processes inside one repository (None: all cores)
    file_jobs: int | None = None


@dataclass
class Outcome:
    repo: str
    name: str
    status: str = "failed"
    branch: str = ""
    commit: str | None = None
    files_changed: int = 0
    changes: int = 0
    files_failed: int = 0
    detail: str = ""
    pr_body: str | None = None


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, encoding="utf-8", errors="replace", check=False
    )
    if check and done.returncode != 0:
        raise BatchError(f"git {' '.join(args[:2])} failed: {(done.stderr or done.stdout).strip()[-500:]}")
    return done


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
    """One repository's run; every git call goes through here."""

    def __init__(self, path: Path, name: str, settings: Settings, progress: Progress) -> None:
        self.path = path
        self.settings = settings
        self.progress = progress
        self.outcome = Outcome(repo=str(path), name=name, branch=settings.branch)
        self.head = ""
        self.original: str | None = None  # branch name, None when detached
        self.ignored: set[str] = set()  # ignored paths present before the run

    def run(self) -> Outcome:
        try:
            self._run()
        except BatchError as exc:
            self.outcome.status, self.outcome.detail = "failed", str(exc)
        return self.outcome

    def _run(self) -> None:
        top = git(self.path, "rev-parse", "--show-toplevel", check=False)
        if top.returncode != 0:
            raise BatchError("not a git repository")
        self.path = Path(top.stdout.strip())
        head = git(self.path, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
        if head.returncode != 0:
            raise BatchError("the repository has no commit yet")
        self.head = head.stdout.strip()
        symbolic = git(self.path, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        self.original = symbolic.stdout.strip() if symbolic.returncode == 0 else None
        branch = self.settings.branch
        tip = git(self.path, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False)
        if tip.returncode == 0:
            self._existing(tip.stdout.strip())
            return
        status = git(self.path, "status", "--porcelain", "--untracked-files=normal").stdout
        if status.strip():
            self.outcome.status = "dirty"
            self.outcome.detail = "working tree has changes: " + "; ".join(line.strip() for line in status.splitlines()[:5])
            return
        self.ignored = self._ignored()
        git(self.path, "checkout", "--quiet", "-b", branch)
        try:
            self._apply()
        except BaseException:
            self._restore()
            raise

    def _existing(self, tip: str) -> None:
        parent = git(self.path, "rev-parse", "--verify", "--quiet", f"{tip}^", check=False).stdout.strip()
        message = git(self.path, "log", "-1", "--format=%B", tip).stdout
        if parent == self.head and TRAILER in message:
            self.outcome.status, self.outcome.commit = "already-done", tip
            self.outcome.detail = f"branch {self.settings.branch} already holds the commit"
            return
        raise BatchError(f"branch {self.settings.branch} already exists and is not a codemod commit on HEAD")

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
            git(self.path, "add", "--", *written)
            self._commit(doc)
            self.outcome.commit = git(self.path, "rev-parse", "HEAD").stdout.strip()
            self._checkout_original()
            self.outcome.status = "changed"
            if self.outcome.files_failed:
                self.outcome.detail = f"{self.outcome.files_failed} file(s) could not be processed"
            if self.settings.out is not None:
                target = self.settings.out / f"{self.outcome.name}.md"
                target.write_text(body, encoding="utf-8")
                self.outcome.pr_body = str(target)

    def _commit(self, doc: dict[str, Any]) -> None:
        message = commit_message(doc, self.settings.codemods)
        done = subprocess.run(
            ["git", "commit", "--quiet", "--file", "-"], cwd=self.path, input=message,
            capture_output=True, text=True, encoding="utf-8", check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise BatchError(f"git commit failed: {(done.stderr or done.stdout).strip()[-500:]}")

    def _worker(self, tmp: Path) -> tuple[dict[str, Any], str]:
        spec = {
            "flags": self.settings.flags,
            "jobs": self.settings.file_jobs,
            "json": str(tmp / "report.json"),
            "markdown": str(tmp / "report.md"),
        }
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_package_root(), os.environ.get("PYTHONPATH")]))}
        proc = subprocess.Popen(
            [sys.executable, "-m", "codemods.batch", "--worker", json.dumps(spec)],
            cwd=self.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        errors: list[str] = []
        reader = threading.Thread(target=lambda: errors.extend(proc.stderr.readlines()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        for line in proc.stdout:
            word, _, number = line.strip().partition(" ")
            if word == "total":
                self.progress.update(files_total=int(number))
            elif word == "file":
                self.progress.update(files_done=1)
        code = proc.wait()
        reader.join()
        if code != 0 or not (tmp / "report.json").is_file():
            last = "".join(errors).strip().splitlines()[-1:] or [f"exit code {code}"]
            raise BatchError(f"codemod run failed: {last[0]}")
        doc = json.loads((tmp / "report.json").read_text(encoding="utf-8"))
        return doc, (tmp / "report.md").read_text(encoding="utf-8")

    def _verify(self) -> bool:
        assert self.settings.verify is not None
        try:
            done = subprocess.run(
                self.settings.verify, shell=True, cwd=self.path, capture_output=True, text=True,
                errors="replace", timeout=self.settings.verify_timeout, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            self.outcome.detail = f"verify command timed out after {self.settings.verify_timeout}s"
            return False
        if done.returncode == 0:
            return True
        tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
        self.outcome.detail = f"verify exited {done.returncode}: " + " | ".join(tail)
        return False

    def _ignored(self) -> set[str]:
        out = git(self.path, "status", "--porcelain", "-z", "--ignored", "--untracked-files=normal").stdout
        return {entry[3:] for entry in out.split("\0") if entry.startswith("!! ")}

    def _clean(self) -> None:
        """Remove what the run created that git does not track: untracked files (the tree had
        none) and ignored files or directories that were not there before (caches, build output)."""
        git(self.path, "clean", "-fdq")
        new = sorted(self._ignored() - self.ignored)
        if new:
            git(self.path, "clean", "-fdxq", "--", *new)

    def _checkout_original(self) -> None:
        if self.original is not None:
            git(self.path, "checkout", "--quiet", self.original)
        else:
            git(self.path, "checkout", "--quiet", "--detach", self.head)

    def _restore(self) -> None:
        git(self.path, "reset", "--quiet", "--hard", self.head)
        self._clean()
        self._checkout_original()
        git(self.path, "branch", "--quiet", "-D", self.settings.branch, check=False)
        head = git(self.path, "rev-parse", "HEAD").stdout.strip()
        status = git(self.path, "status", "--porcelain", "--untracked-files=normal").stdout.strip()
        if head != self.head or status:
            raise BatchError(f"could not restore the repository (HEAD {head}, status {status!r})")


def read_repos_file(path: Path) -> list[Path]:
    """One repository per line; blank lines and ``#`` comments skipped; relative to the file."""
    repos = []
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            repo = Path(entry).expanduser()
            repos.append(repo if repo.is_absolute() else path.parent / repo)
    return repos


def settings_from_cli(
    repos: Sequence[Path], repos_file: Path | None, flags: dict[str, Any]
) -> tuple[Settings, list[Path]]:
    """Validate the ``codemod batch`` arguments; raise ``click.UsageError``."""
    paths = list(repos) + (read_repos_file(repos_file) if repos_file else [])
    unique: dict[str, Path] = {}
    for repo in paths:
        if not repo.is_dir():
            raise click.UsageError(f"not a directory: {repo}")
        unique.setdefault(str(repo.resolve()), repo)
    if not unique:
        raise click.UsageError("no repositories given (arguments or --repos-file)")
    try:
        codemods = tuple(c.ID for c in registry.selected(flags.get("select"), flags.get("ignore") or ()))
    except registry.UnknownCodemod as exc:
        raise click.UsageError(f"unknown codemod {exc} (known: {', '.join(registry.all_codemods())})") from None
    if not codemods:
        raise click.UsageError("no codemod selected")
    branch = flags.get("branch") or "codemod/" + "+".join(codemods)
    checked = subprocess.run(["git", "check-ref-format", "--branch", branch], capture_output=True, check=False)
    if checked.returncode != 0:
        raise click.UsageError(f"not a valid branch name: {branch!r}")
    jobs = int(flags.get("jobs") or 1)
    worker_flags = {
        "select": list(flags["select"]) if flags.get("select") is not None else None,
        "ignore": list(flags.get("ignore") or ()),
        "unsafe_fixes": flags.get("unsafe_fixes"),
        "exclude": list(flags.get("exclude") or ()),
        "target_version": flags.get("target_version"),
    }
    settings = Settings(
        branch=branch, codemods=codemods, flags=worker_flags, verify=flags.get("verify"),
        verify_timeout=flags.get("verify_timeout"), out=flags.get("out"), file_jobs=1 if jobs > 1 else None,
    )  # fmt: skip
    return settings, list(unique.values())


def write_summary(path: Path, outcomes: Sequence[Outcome], settings: Settings) -> None:
    text = json.dumps(summary(outcomes, settings), indent=2, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def _package_root() -> str:
    return str(Path(__file__).resolve().parent.parent)


def run(
    repos: Sequence[Path],
    settings: Settings,
    jobs: int = 1,
    progress: bool = False,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Process ``repos``; outcomes in input order."""
    if settings.out is not None:
        settings.out.mkdir(parents=True, exist_ok=True)
    bar = Progress(len(repos), progress)
    names = repo_names(repos)

    def one(index: int) -> Outcome:
        outcome = Repo(repos[index], names[index], settings, bar).run()
        bar.update(repos_done=1)
        if on_done is not None:
            on_done(outcome)
        return outcome

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(one, range(len(repos))))
    finally:
        bar.close()


def _worker(spec: dict[str, Any]) -> int:
    """Runs in the repository (cwd): ``codemod apply .`` writing the JSON and markdown reports,
    printing ``total N`` then one ``file`` line per file processed (the progress feed)."""
    import click

    from .api import run_paths
    from .files import discover
    from .options import resolve
    from .reports import RunInfo, markdown
    from .reports import json as json_report

    root = Path(".")
    flags = {k: tuple(v) if isinstance(v, list) else v for k, v in spec["flags"].items()}
    try:
        resolved = resolve(root, flags)
    except click.UsageError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    options = resolved.options
    print(f"total {len(discover([root], options.exclude, options.follow_symlinks).files)}", flush=True)
    results = []
    for result in run_paths([root], options, write=True, jobs=spec["jobs"], cache_dir=None):
        results.append(result)
        print("file", flush=True)
    argv = ["apply", ".", *_flag_args(spec["flags"])]
    info = RunInfo("apply", tuple(argv), None, options, tuple(c.ID for c in resolved.codemods))
    Path(spec["markdown"]).write_text(markdown.render(info, results, resolved.codemods), encoding="utf-8")
    Path(spec["json"]).write_text(json_report.render(info, results, resolved.codemods), encoding="utf-8")
    return 0


def _flag_args(flags: dict[str, Any]) -> list[str]:
    args: list[str] = []
    if flags.get("select") is not None:
        args += ["--select", ",".join(flags["select"])]
    if flags.get("ignore"):
        args += ["--ignore", ",".join(flags["ignore"])]
    if flags.get("unsafe_fixes") is not None:
        args.append("--unsafe-fixes" if flags["unsafe_fixes"] else "--no-unsafe-fixes")
    for pattern in flags.get("exclude") or ():
        args += ["--exclude", pattern]
    if flags.get("target_version"):
        args += ["--target-version", flags["target_version"]]
    return args


if __name__ == "__main__":
    if sys.argv[1:2] != ["--worker"] or len(sys.argv) != 3:
        sys.exit("usage: python -m codemods.batch --worker SPEC (internal; use `codemod batch`)")
    sys.exit(_worker(json.loads(sys.argv[2])))
