"""Configuration like ruff's (issue 22): ``per-file-ignores``, ``extend-select``, ``extend-exclude``,
``.git/info/exclude`` and ``respect-gitignore``, every key validated. Each test runs the real CLI
in a subprocess; the gitignore tests run against real git repositories and check that git agrees."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from .conftest import CLI, git, run_cli
from .test_hostile_input import HANG, HOISTABLE, HOISTED, write


def config(directory: Path, body: str) -> Path:
    return write(directory / "pyproject.toml", f"[tool.codemod]\n{body}\n")


def selected(cli: CLI, *flags: str) -> list[str]:
    """The codemods a ``check`` run with ``flags`` uses (the JSON report's ``run.codemods``)."""
    proc = cli("check", "--no-cache", "--format", "json", *flags, "app.py")
    assert proc.returncode == 0, proc.stderr
    codemods: list[str] = json.loads(proc.stdout)["run"]["codemods"]
    return codemods


# -- a configuration that cannot be used ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("select = ['hoist-import']", "tool.codemod.select: unknown codemod 'hoist-import'"),
        ("ignore = ['nope']", "tool.codemod.ignore: unknown codemod 'nope'"),
        ("extend-select = 'lifespan'", "tool.codemod.extend-select must be a list of strings"),
        ("extend-select = ['nope']", "tool.codemod.extend-select: unknown codemod 'nope'"),
        ("extend-exclude = [1]", "tool.codemod.extend-exclude must be a list of strings"),
        (
            "extend-exclude = ['!']",
            "tool.codemod.extend-exclude: '!' is not a valid gitignore-style pattern",
        ),
        ("respect-gitignore = 'no'", "tool.codemod.respect-gitignore must be true or false"),
        (
            "per-file-ignores = ['tests/']",
            'tool.codemod.per-file-ignores must be a table of "glob" = [codemod ids]',
        ),
        (
            "per-file-ignores = {'tests/' = 'ALL'}",
            "tool.codemod.per-file-ignores: 'tests/' must map to a list of strings",
        ),
        (
            "per-file-ignores = {'tests/' = ['nope']}",
            "tool.codemod.per-file-ignores: 'tests/': unknown codemod 'nope'",
        ),
    ],
)
def test_a_wrong_value_names_the_file_and_key(
    cli: CLI, tmp_path: Path, body: str, message: str
) -> None:
    app = write(tmp_path / "app.py")
    pyproject = config(tmp_path, body)
    proc = cli("apply", "--no-cache", ".")
    assert proc.returncode == 2, proc.stderr
    assert f"{pyproject}: {message}" in proc.stderr.decode(), proc.stderr
    assert b"Traceback" not in proc.stderr
    assert app.read_text(encoding="utf-8") == HOISTABLE


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_pyproject_that_is_a_named_pipe_is_an_error_not_passed_over(
    cli: CLI, tmp_path: Path
) -> None:
    """Whether it holds ``[tool.codemod]`` (an ``exclude``) cannot be told: exit 2, never a hang."""
    (tmp_path / ".git").mkdir()
    app = write(tmp_path / "app.py")
    os.mkfifo(tmp_path / "pyproject.toml")
    proc = run_cli(["apply", "--no-cache", "."], tmp_path, timeout=HANG)
    assert proc.returncode == 2, proc.stderr
    assert b"pyproject.toml: not a regular file (a named pipe)" in proc.stderr
    assert app.read_text(encoding="utf-8") == HOISTABLE


# -- per-file-ignores ----------------------------------------------------------------------------


def test_per_file_ignores_relative_to_the_configuration(cli: CLI, tmp_path: Path) -> None:
    project = tmp_path / "project"
    config(
        project,
        """
[tool.codemod.per-file-ignores]
"tests/*" = ["hoist-imports"]
"__init__.py" = ["ALL"]
"!app/**" = ["hoist-imports"]
""",
    )
    app = write(project / "app" / "main.py")
    package = write(project / "app" / "__init__.py")
    test = write(project / "tests" / "test_main.py")
    script = write(project / "scripts" / "tool.py")
    # the glob is relative to project/, not to the working directory
    proc = cli("apply", "--no-cache", "project")
    assert proc.returncode == 0, proc.stderr
    assert app.read_text(encoding="utf-8") == HOISTED
    assert package.read_text(encoding="utf-8") == HOISTABLE  # "__init__.py": any directory
    assert test.read_text(encoding="utf-8") == HOISTABLE
    assert script.read_text(encoding="utf-8") == HOISTABLE  # negated: every file not in app/
    # stdin, by the name given
    for name, expected in (("project/scripts/tool.py", HOISTABLE), ("project/app/x.py", HOISTED)):
        proc = cli("apply", "--stdin-filename", name, "-", stdin=HOISTABLE.encode())
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.decode() == expected, name


def test_per_file_ignores_with_a_relative_config_path(tmp_path: Path) -> None:
    """``--config pyproject.toml`` (relative) anchors the globs as the found file does: a glob
    with a ``/`` still matches, so ``apply`` leaves the file alone."""
    config(tmp_path, '[tool.codemod.per-file-ignores]\n"sub/*.py" = ["hoist-imports"]\n')
    module = write(tmp_path / "sub" / "a.py")
    for flags in ((), ("--config", "pyproject.toml"), ("--config", str(tmp_path / "pyproject.toml"))):
        proc = run_cli(["apply", "--no-cache", *flags, "sub"], tmp_path)
        assert proc.returncode == 0, (flags, proc.stderr)
        assert module.read_text(encoding="utf-8") == HOISTABLE, flags


def test_per_file_ignores_keep_a_codemod_from_the_matching_files_only(
    cli: CLI, tmp_path: Path
) -> None:
    config(tmp_path, '[tool.codemod.per-file-ignores]\n"legacy/" = ["hoist-imports"]')
    legacy = write(tmp_path / "legacy" / "old.py")
    other = write(tmp_path / "newer" / "legacy.py")
    proc = cli("apply", "--no-cache", ".")
    assert proc.returncode == 0, proc.stderr
    assert legacy.read_text(encoding="utf-8") == HOISTABLE
    assert other.read_text(encoding="utf-8") == HOISTED


# -- extend-select and how the selections combine ------------------------------------------------

DEFAULTS = [
    "hoist-imports",
    "dedupe-imports",
    "wrap-blocking-calls",
    "lifespan",
    "event-loop-policy",
]


@pytest.mark.parametrize(
    ("body", "flags", "expected"),
    [
        ("extend-select = ['windows-loop-policy']", [],
         ["hoist-imports", "dedupe-imports", "wrap-blocking-calls", "lifespan", "windows-loop-policy", "event-loop-policy"]),
        # a flag's --ignore adds to the configured ignore (it used to replace it)
        ("ignore = ['lifespan']", ["--ignore", "hoist-imports"],
         ["dedupe-imports", "wrap-blocking-calls", "event-loop-policy"]),
        # the flags come after the configuration: --extend-select wins over its ignore
        ("ignore = ['lifespan']", ["--extend-select", "lifespan"], DEFAULTS),
        # --select replaces everything the configuration chose, its ignore included
        ("ignore = ['lifespan']", ["--select", "lifespan"], ["lifespan"]),
        ("select = ['hoist-imports']\nextend-select = ['lifespan']", ["--select", "dedupe-imports"], ["dedupe-imports"]),
        ("select = ['hoist-imports']", ["--extend-select", "lifespan,startup-checks", "--ignore", "hoist-imports"],
         ["lifespan", "startup-checks"]),
        ("extend-select = ['ALL']\nignore = ['lifespan']", [],
         ["hoist-imports", "dedupe-imports", "wrap-blocking-calls", "startup-checks", "windows-loop-policy", "event-loop-policy"]),
    ],
)  # fmt: skip
def test_selection_combines_like_ruff(
    cli: CLI, tmp_path: Path, body: str, flags: list[str], expected: list[str]
) -> None:
    write(tmp_path / "app.py", "x = 1\n")
    config(tmp_path, body)
    assert sorted(selected(cli, *flags)) == sorted(expected)


def test_extend_select_flag_without_configuration(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path / "app.py", "x = 1\n")
    assert "startup-checks" in selected(cli, "--extend-select", "startup-checks")
    proc = cli("check", "--extend-select", "nope", "app.py")
    assert proc.returncode == 2 and b"--extend-select: unknown codemod 'nope'" in proc.stderr


# -- extend-exclude ------------------------------------------------------------------------------


def test_extend_exclude_adds_to_exclude(cli: CLI, tmp_path: Path) -> None:
    config(tmp_path, "exclude = ['old/']\nextend-exclude = ['gen/']")
    old, gen, legacy = (write(tmp_path / d / "m.py") for d in ("old", "gen", "legacy"))
    app = write(tmp_path / "app.py")
    proc = cli("apply", "--no-cache", "--extend-exclude", "legacy/", ".")
    assert proc.returncode == 0, proc.stderr
    assert app.read_text(encoding="utf-8") == HOISTED
    for excluded in (old, gen, legacy):
        assert excluded.read_text(encoding="utf-8") == HOISTABLE, excluded


# -- .git/info/exclude and respect-gitignore -----------------------------------------------------


def _repository(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main", ".")
    return path


def _ignored_by_git(repo: Path, *names: str) -> set[str]:
    proc = subprocess.run(
        ["git", "check-ignore", *names], cwd=repo, capture_output=True, check=False
    )
    return set(proc.stdout.decode().split())


def test_git_info_exclude_is_honoured_like_gitignore(cli: CLI, tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text(
        "# local\nscratch.py\nlocal/\n", encoding="utf-8"
    )
    app = write(repo / "app.py")
    names = ["scratch.py", "sub/scratch.py", "local/a.py"]
    ignored = [write(repo / name) for name in names]
    assert _ignored_by_git(repo, *names) == set(names)  # git agrees
    for given in (".", "sub"):  # the repository root, or a directory inside it
        proc = cli("apply", "--no-cache", given, cwd=repo)
        assert proc.returncode == 0, proc.stderr
    assert app.read_text(encoding="utf-8") == HOISTED
    for path in ignored:
        assert path.read_text(encoding="utf-8") == HOISTABLE, path


def test_git_info_exclude_of_a_worktree_is_the_repositorys(cli: CLI, tmp_path: Path) -> None:
    """In a worktree (``.git`` is a file naming its git directory) git reads ``info/exclude`` from
    the main repository's git directory."""
    repo = _repository(tmp_path / "repo")
    write(repo / "README", "x\n")
    git(repo, "add", "README")
    git(repo, "commit", "-q", "-m", "init")
    git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"))
    (repo / ".git" / "info" / "exclude").write_text("scratch.py\n", encoding="utf-8")
    side = tmp_path / "side"
    assert (side / ".git").is_file()
    scratch, app = write(side / "scratch.py"), write(side / "app.py")
    assert _ignored_by_git(side, "scratch.py", "app.py") == {"scratch.py"}
    proc = cli("apply", "--no-cache", ".", cwd=side)
    assert proc.returncode == 0, proc.stderr
    assert app.read_text(encoding="utf-8") == HOISTED
    assert scratch.read_text(encoding="utf-8") == HOISTABLE


def test_respect_gitignore_false_turns_off_both(cli: CLI, tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo")
    (repo / ".git" / "info" / "exclude").write_text("scratch.py\n", encoding="utf-8")
    write(repo / ".gitignore", "build/\n")
    files = [repo / "scratch.py", repo / "build" / "gen.py", repo / "app.py"]

    def run(*args: str) -> list[bool]:
        for path in files:
            write(path)
        proc = cli("apply", "--no-cache", *args, ".", cwd=repo)
        assert proc.returncode == 0, proc.stderr
        return [path.read_text(encoding="utf-8") == HOISTED for path in files]

    assert run() == [False, False, True]
    assert run("--no-respect-gitignore") == [True, True, True]
    config(repo, "respect-gitignore = false")
    assert run() == [True, True, True]
    assert run("--respect-gitignore") == [False, False, True]  # the flag beats the file


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_an_info_exclude_that_cannot_be_read_fails_the_run_without_hanging(
    cli: CLI, tmp_path: Path
) -> None:
    """Repository content is untrusted: a named pipe as ``.git/info/exclude`` is never opened for
    reading (it would block); what it ignores is unknown, so the directory is a failure (exit 3)."""
    repo = _repository(tmp_path / "repo")
    (repo / ".git" / "info" / "exclude").unlink()
    os.mkfifo(repo / ".git" / "info" / "exclude")
    app = write(repo / "app.py")
    proc = run_cli(["apply", "--no-cache", "."], repo, timeout=HANG)
    assert proc.returncode == 3, proc.stderr
    assert b"cannot read .git/info/exclude: not a regular file (a named pipe)" in proc.stderr
    assert app.read_text(encoding="utf-8") == HOISTABLE
    proc = cli("apply", "--no-cache", "--no-respect-gitignore", ".", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert app.read_text(encoding="utf-8") == HOISTED


def test_batch_extend_select(tmp_path: Path) -> None:
    from .test_batch import GIT_ENV, make_repo, out

    repo = make_repo(tmp_path, "svc", {"app.py": HOISTABLE})
    done = run_cli(
        ["batch", "--select", "dedupe-imports", "--extend-select", "hoist-imports", "svc"],
        tmp_path,
        env=GIT_ENV,
    )
    assert done.returncode == 0, done.stderr
    branch = "codemod/hoist-imports+dedupe-imports"
    assert git(repo, "show", f"{branch}:app.py").stdout.decode() == HOISTED
    assert out(repo, "log", "-1", "--format=%B", branch).endswith(
        "Codemod-Batch: hoist-imports,dedupe-imports"
    )
