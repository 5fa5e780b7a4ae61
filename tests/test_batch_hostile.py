"""``codemod batch`` on crafted repositories: their code and their git configuration never run,
nothing outside the repository's own tracked files is changed, git's reasons are passed on."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import REPO, git, run_cli
from .test_batch import (
    BRANCH,
    GIT_ENV,
    HOIST,
    PLAIN,
    batch,
    make_repo,
    out,
    state,
    summary,
    unbranched,
)

HOISTED = "import json\n\n\ndef f():\n    return json.dumps(1)\n"
HOOKS = (
    "pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "post-checkout",
    "reference-transaction", "post-index-change", "pre-auto-gc", "post-rewrite",
)  # fmt: skip


def marker_script(path: Path, marks: Path, name: str, then: str = "exit 0") -> str:
    """An executable shell script that records ``name`` in ``marks`` when run, then ``then``."""
    path.write_text(f'#!/bin/sh\necho "$0" >> "{marks / name}"\n{then}\n', encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


def test_the_worker_never_imports_the_repository(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    code = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    shadows = [
        "json.py",
        "click.py",
        "tomllib.py",
        "pathspec.py",
        "sitecustomize.py",
        "libcst/__init__.py",
        "codemods/__init__.py",
    ]
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST, **dict.fromkeys(shadows, code)})
    # an empty PYTHONPATH entry means "the working directory" to Python
    env = {**GIT_ENV, "PYTHONPATH": f"{REPO}{os.pathsep}"}
    done = run_cli(
        ["batch", "--select", "hoist-imports", "svc", "--summary-json", "s.json"], tmp_path, env=env
    )
    assert not marker.exists(), f"the repository's code ran: {marker.read_text()}"
    assert done.returncode == 0, done.stdout + done.stderr
    assert summary(tmp_path / "s.json")["svc"]["status"] == "changed"
    assert out(repo, "show", f"{BRANCH}:app.py") + "\n" == HOISTED


@contextmanager
def inert_git(*pairs: tuple[str, str]) -> Iterator[None]:
    """The test's own git calls (``state``) run none of the crafted configuration either."""
    settings = [("core.hooksPath", os.devnull), ("core.fsmonitor", "false"), *pairs]
    env = {"GIT_CONFIG_COUNT": str(len(settings))}
    for n, (key, value) in enumerate(settings):
        env[f"GIT_CONFIG_KEY_{n}"], env[f"GIT_CONFIG_VALUE_{n}"] = key, value
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key)
            else:
                os.environ[key] = value


def _hostile(tmp_path: Path, name: str, attributes: str = "") -> Path:
    files = {"app.py": HOIST, "lib.py": HOIST}
    if attributes:
        files[".gitattributes"] = attributes
    return make_repo(tmp_path, name, files)  # committed before any of its config exists


def test_repository_git_config_and_hooks_run_nothing(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    repos: dict[str, Path] = {}

    repos["hooks"] = repo = _hostile(tmp_path, "hooks")
    for hook in HOOKS:
        marker_script(repo / ".git" / "hooks" / hook, marks, f"hooks-{hook}")
    repos["hookspath"] = repo = _hostile(tmp_path, "hookspath")
    (scripts / "hookdir").mkdir()
    for hook in HOOKS:
        marker_script(scripts / "hookdir" / hook, marks, f"hookspath-{hook}")
    git(repo, "config", "core.hooksPath", str(scripts / "hookdir"))
    repos["fsmonitor"] = repo = _hostile(tmp_path, "fsmonitor")
    git(repo, "config", "core.fsmonitor", marker_script(scripts / "fsmonitor", marks, "fsmonitor"))
    repos["filter"] = repo = _hostile(tmp_path, "filter", "*.py filter=evil\n")
    passing = marker_script(scripts / "filter", marks, "filter", then="exec cat")
    git(repo, "config", "filter.evil.clean", passing)
    git(repo, "config", "filter.evil.smudge", passing)
    # a subsection `-c` could not name, and a required long-running filter
    repos["process"] = repo = _hostile(tmp_path, "process", "*.py filter=a=b\n")
    git(
        repo,
        "config",
        "filter.a=b.process",
        marker_script(scripts / "process", marks, "process", then="exit 1"),
    )
    git(repo, "config", "filter.a=b.required", "true")
    repos["gpg"] = repo = _hostile(tmp_path, "gpg")
    git(repo, "config", "commit.gpgSign", "true")
    git(repo, "config", "gpg.program", marker_script(scripts / "gpg", marks, "gpg", then="exit 1"))
    inert = [
        (f"filter.{name}.{key}", "")
        for name in ("evil", "a=b")
        for key in ("clean", "smudge", "process")
    ]
    with inert_git(*inert, ("filter.a=b.required", "false")):
        before = {name: state(repo) for name, repo in repos.items()}

    batch(tmp_path, *repos, "--summary-json", "s.json")
    assert sorted(p.name for p in marks.iterdir()) == []
    records = summary(tmp_path / "s.json")
    for name, repo in repos.items():
        if name == "gpg":
            # git's default program signs with the user's key, or fails: put back either way
            assert records[name]["status"] in {"changed", "failed"}, records[name]
        else:
            assert records[name]["status"] == "changed", records[name]
        with inert_git(*inert, ("filter.a=b.required", "false")):
            after = state(repo)
        if records[name]["status"] == "changed":
            assert out(repo, "show", f"{BRANCH}:app.py") + "\n" == HOISTED
            after, before[name] = unbranched(after), unbranched(before[name])
        assert after == before[name], name


def test_the_users_own_git_config_still_applies(tmp_path: Path) -> None:
    """A filter the user defines (as ``git lfs install`` does) runs; the repository's own
    redefinition of it does not."""
    marks, scripts = tmp_path / "marks", tmp_path / "scripts"
    marks.mkdir()
    scripts.mkdir()
    user_config = tmp_path / "gitconfig"
    user_filter = marker_script(scripts / "user", marks, "user", then="exec cat")
    user_config.write_text(f'[filter "f"]\n\tclean = {user_filter}\n', encoding="utf-8")
    repo = _hostile(tmp_path, "svc", "*.py filter=f\n")
    git(
        repo,
        "config",
        "filter.f.clean",
        marker_script(scripts / "repo", marks, "repo", then="exec cat"),
    )
    env = {**GIT_ENV, "GIT_CONFIG_GLOBAL": str(user_config)}
    done = run_cli(["batch", "--select", "hoist-imports", "svc"], tmp_path, env=env)
    assert done.returncode == 0, done.stdout
    assert sorted(p.name for p in marks.iterdir()) == ["user"]
    assert out(repo, "show", f"{BRANCH}:app.py") + "\n" == HOISTED


def test_trust_repo_config_runs_the_hooks(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    repo = _hostile(tmp_path, "svc")
    for hook in ("pre-commit", "post-commit", "post-checkout"):
        marker_script(repo / ".git" / "hooks" / hook, marks, hook)
    assert batch(tmp_path, "svc", "--trust-repo-config").returncode == 0
    assert {p.name for p in marks.iterdir()} == {"pre-commit", "post-commit", "post-checkout"}
    assert out(repo, "rev-list", "--count", f"main..{BRANCH}") == "1"


def test_a_subdirectory_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST, "pkg/mod.py": HOIST})
    before = state(repo)
    done = batch(tmp_path, "svc/pkg", "--summary-json", "s.json")
    assert done.returncode == 3
    record = summary(tmp_path / "s.json")["pkg"]
    assert record["status"] == "failed"
    assert record["detail"].startswith(
        f"not the top level of a git repository: its work tree is {repo}"
    )
    assert state(repo) == before


def test_submodules_and_nested_repositories_are_left_alone(tmp_path: Path) -> None:
    lib = make_repo(tmp_path, "lib", {"mod.py": HOIST})
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST, ".gitignore": "vendored/\n"})
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "sub")
    make_repo(repo, "embedded", {"e.py": HOIST})
    git(repo, "add", "embedded")  # a gitlink without .gitmodules
    make_repo(repo, "vendored", {"v.py": HOIST})  # ignored by .gitignore
    make_repo(repo, "excluded", {"x.py": HOIST})
    with (repo / ".git" / "info" / "exclude").open("a", encoding="utf-8") as exclude:
        exclude.write("excluded/\n")  # ignored, but not by a .gitignore
    git(repo, "commit", "-q", "-m", "nested")
    before = state(repo)
    nested = {name: state(repo / name) for name in ("sub", "embedded", "vendored", "excluded")}
    done = batch(tmp_path, "svc", "--summary-json", "s.json")
    assert done.returncode == 0, done.stdout
    record = summary(tmp_path / "s.json")["svc"]
    assert record["status"] == "changed" and record["files_changed"] == 1, record
    assert out(repo, "diff", "--name-only", "main", BRANCH) == "app.py"
    for name, was in nested.items():
        assert state(repo / name) == was, name
    assert unbranched(state(repo)) == unbranched(before)


def test_file_names_are_literal_pathspecs(tmp_path: Path) -> None:
    name = ":(exclude)z.py"
    repo = make_repo(tmp_path, "svc", {name: HOIST, "z.py": HOIST, "[ab].py": HOIST, "a.py": PLAIN})
    before = state(repo)
    done = batch(tmp_path, "svc", "--summary-json", "s.json")
    assert done.returncode == 0, done.stdout
    assert summary(tmp_path / "s.json")["svc"]["files_changed"] == 3
    for path in (name, "z.py", "[ab].py"):
        assert out(repo, "show", f"{BRANCH}:./{path}") + "\n" == HOISTED
    assert unbranched(state(repo)) == unbranched(before)  # nothing left modified on main


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a repository to another user needs root")
def test_a_repository_owned_by_someone_else_says_why(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    files = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    for path in [repo, *repo.rglob("*")]:
        os.lchown(path, 4242, 4242)
    done = batch(tmp_path, "svc", "--summary-json", "s.json")
    assert done.returncode == 3
    detail = summary(tmp_path / "s.json")["svc"]["detail"]
    assert "dubious ownership" in str(detail) and "safe.directory" in str(detail), detail
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == files


def test_a_named_pipe_among_the_git_files_does_not_hang_batch(tmp_path: Path) -> None:
    """git blocks forever reading a FIFO (an ``[include]`` of ``.git/config``, ``info/exclude``):
    the git call times out, the repository fails with that reason, and nothing is touched."""
    hung = make_repo(tmp_path, "hung", {"app.py": HOIST})
    git(hung, "config", "include.path", "inc")
    os.mkfifo(hung / ".git" / "inc")
    before = state_without_config(hung)
    make_repo(tmp_path, "fine", {"app.py": HOIST})
    done = run_cli(
        ["batch", "--select", "hoist-imports", "--git-timeout", "3", "hung", "fine", "--summary-json", "s.json"],
        tmp_path, env=GIT_ENV, timeout=240,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    records = summary(tmp_path / "s.json")
    assert records["hung"]["status"] == "failed"
    assert "timed out after 3s" in str(records["hung"]["detail"])
    assert records["fine"]["status"] == "changed"
    assert state_without_config(hung) == before
    assert stat.S_ISFIFO((hung / ".git" / "inc").lstat().st_mode)


def state_without_config(repo: Path) -> dict[str, object]:
    """What :func:`state` sees, read with the FIFO out of the way."""
    fifo = repo / ".git" / "inc"
    fifo.rename(repo.parent / "inc")
    try:
        return state(repo)
    finally:
        (repo.parent / "inc").rename(fifo)
