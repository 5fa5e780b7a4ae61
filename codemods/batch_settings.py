"""The arguments of ``codemod batch``, validated: the repositories and the run's settings; and
what the run reports of each repository (:class:`Outcome`)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from . import registry
from .batch_git import version_problem
from .options import selection


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
    #: let the repositories' git configuration and hooks run (``--trust-repo-config``)
    trust_repo_config: bool = False
    #: seconds a git call may take before its repository fails (``--git-timeout``)
    git_timeout: float = 300.0
    #: the remote to push each branch to (``--push``), never forced unless ``force_push``
    push: str | None = None
    force_push: bool = False
    #: open or update the pull request with gh (``--open-pr``)
    open_pr: bool = False


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
    pushed: str = ""  # how --push moved the remote branch
    pr: str = ""  # the pull request --open-pr opened or updated
    pr_command: str = ""  # the gh command to run, gh being absent


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
        select, ignore = selection(
            (flags.get("select"), flags.get("extend_select") or (), flags.get("ignore") or ())
        )
        codemods = tuple(c.ID for c in registry.selected(select, ignore))
    except registry.UnknownCodemod as exc:
        raise click.UsageError(
            f"unknown codemod {exc} (known: {', '.join(registry.all_codemods())})"
        ) from None
    if not codemods:
        raise click.UsageError("no codemod selected")
    branch = flags.get("branch") or "codemod/" + "+".join(codemods)
    checked = subprocess.run(
        ["git", "check-ref-format", "--branch", branch], capture_output=True, check=False
    )
    if checked.returncode != 0:
        raise click.UsageError(f"not a valid branch name: {branch!r}")
    trusted = bool(flags.get("trust_repo_config"))
    problem = None if trusted else version_problem()
    if problem:
        raise click.UsageError(problem)
    push = _check_push(flags)
    jobs = int(flags.get("jobs") or 1)
    worker_flags = {
        "select": list(flags["select"]) if flags.get("select") is not None else None,
        "extend_select": list(flags.get("extend_select") or ()),
        "ignore": list(flags.get("ignore") or ()),
        "unsafe_fixes": flags.get("unsafe_fixes"),
        "exclude": list(flags.get("exclude") or ()),
        "target_version": flags.get("target_version"),
    }
    settings = Settings(
        branch=branch, codemods=codemods, flags=worker_flags, verify=flags.get("verify"),
        verify_timeout=flags.get("verify_timeout"), out=flags.get("out"), file_jobs=1 if jobs > 1 else None,
        trust_repo_config=trusted, git_timeout=float(flags.get("git_timeout") or 300.0),
        push=push, force_push=bool(flags.get("force_push")), open_pr=bool(flags.get("open_pr")),
    )  # fmt: skip
    return settings, list(unique.values())


def _check_push(flags: dict[str, Any]) -> str | None:
    push: str | None = flags.get("push")
    if push is not None and (not push or push.startswith("-")):
        raise click.UsageError(f"--push: not a remote name or URL: {push!r}")
    for flag in ("force_push", "open_pr"):
        if flags.get(flag) and push is None:
            raise click.UsageError(f"--{flag.replace('_', '-')} needs --push REMOTE")
    if flags.get("open_pr") and flags.get("out") is None:
        raise click.UsageError("--open-pr needs --out DIR (the pull-request bodies)")
    return push
