"""Hostile input files, file names and configuration (issue 21, docs/security.md "Input files and
configuration"): each attack runs the real CLI in a subprocess and checks the outcome the docs
promise — a clear error and the right exit code, never a hang, a traceback or a lost file."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from codemods.engine import run_file
from codemods.readfile import SYMLINK_REFUSED, NotReadable, read_regular
from codemods.types import Options

from .conftest import CLI, REPO, git, run_cli
from .test_interactive import Terminal
from .test_reliability import run_without_file_privileges

HOISTABLE = "import os\n\n\ndef dump(x):\n    import json\n    return json.dumps(x)\n"
HOISTED = "import json\nimport os\n\n\ndef dump(x):\n    return json.dumps(x)\n"
#: Long enough for a real run; a run that hangs (a FIFO read) is stopped here and fails.
HANG = 120


def write(path: Path, text: str = HOISTABLE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- 3. a pyproject.toml that is not TOML ------------------------------------------------------


def test_broken_pyproject_is_a_config_error_naming_the_line(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    skip = write(tmp_path / "generated" / "skip.py")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.codemod]\nexclude = ["generated"]\n\n[project]\nname = "app\n', encoding="utf-8"
    )
    for command in (["apply", "--no-cache"], ["check", "--no-cache"], ["audit"]):
        proc = cli(*command, ".")
        assert proc.returncode == 2, (command, proc.stderr)
        assert b"pyproject.toml: invalid TOML" in proc.stderr
        assert b"at line 5" in proc.stderr
        assert b"Traceback" not in proc.stderr
    assert skip.read_text(encoding="utf-8") == HOISTABLE


def test_broken_pyproject_of_another_component_is_repository_content(
    cli: CLI, tmp_path: Path
) -> None:
    """Only the pyproject.toml files on the way up from the given path are configuration; a broken
    one met while reading a component's declarations makes its facts unknown, not the run fail."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.codemod]\nexclude = ["skip.py"]\n', encoding="utf-8"
    )
    app = write(tmp_path / "svc" / "app.py")
    (tmp_path / "svc" / "pyproject.toml").write_text('[project\nname = "svc"\n', encoding="utf-8")
    proc = cli("apply", "--no-cache", "--select", "hoist-imports", ".")
    assert proc.returncode == 0, proc.stderr
    assert app.read_text(encoding="utf-8") == HOISTED
    # named from inside the component, that file is on the way to the configuration
    proc = cli("check", "--no-cache", "svc/app.py")
    assert proc.returncode == 2, proc.stderr
    assert b"svc/pyproject.toml: invalid TOML" in proc.stderr


# -- 5. --output is one of the inputs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "output"),
    [
        (["check", "--diff", "--output", "b.py", "b.py"], "b.py"),
        (["apply", "--format", "json", "--output", "b.py", "b.py"], "b.py"),
        (["check", "--diff", "--output", "pkg/c.py", "."], "pkg/c.py"),  # found in the walk
        (["check", "--diff", "--output", "link.txt", "b.py"], "b.py"),  # a symlink to an input
        (["check", "--diff", "--output", "hard.txt", "pkg"], "pkg/c.py"),  # a hard link
        (["audit", "--output", "b.py", "b.py"], "b.py"),
    ],
)
def test_output_that_is_an_input_is_refused(
    cli: CLI, tmp_path: Path, args: list[str], output: str
) -> None:
    write(tmp_path / "b.py")
    write(tmp_path / "pkg" / "c.py")
    (tmp_path / "link.txt").symlink_to("b.py")
    os.link(tmp_path / "pkg" / "c.py", tmp_path / "hard.txt")
    proc = cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert b"refusing to overwrite it" in proc.stderr
    assert (tmp_path / output).read_text(encoding="utf-8") == HOISTABLE


def test_output_that_is_stdin_is_refused(tmp_path: Path) -> None:
    source = write(tmp_path / "b.py")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with source.open("rb") as stdin:
        proc = subprocess.run(
            [sys.executable, "-m", "codemods", "check", "--diff", "--output", "b.py", "-"],
            cwd=tmp_path, stdin=stdin, capture_output=True, env=env, timeout=HANG, check=False,
        )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert b"is the file read from stdin" in proc.stderr
    assert source.read_text(encoding="utf-8") == HOISTABLE
    # piped in, under its own name: the pipe's writer may not have read it yet
    proc = run_cli(
        ["check", "--diff", "--stdin-filename", "b.py", "--output", "b.py", "-"],
        tmp_path,
        stdin=HOISTABLE.encode(),
    )
    assert proc.returncode == 2, proc.stderr
    assert b"--output b.py is the input file b.py" in proc.stderr
    assert source.read_text(encoding="utf-8") == HOISTABLE


def test_output_that_is_not_an_input_is_written(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path / "pkg" / "c.py")
    proc = cli("check", "--no-cache", "--diff", "--output", "pkg/out.diff", "pkg")
    assert proc.returncode == 1, proc.stderr
    assert (tmp_path / "pkg" / "out.diff").read_text(encoding="utf-8").startswith("--- a/pkg/c.py")


def test_summary_json_that_is_the_repos_file_is_refused(cli: CLI, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write(repo / "a.py")
    git(repo, "init", "-q")
    listing = tmp_path / "repos.txt"
    listing.write_text("repo\n", encoding="utf-8")
    proc = cli("batch", "--repos-file", "repos.txt", "--summary-json", "repos.txt")
    assert proc.returncode == 2, proc.stderr
    assert b"--summary-json repos.txt is the input file" in proc.stderr
    assert listing.read_text(encoding="utf-8") == "repo\n"


# -- 15. FIFOs, devices, huge files ----------------------------------------------------------


def test_a_fifo_in_a_walked_directory_is_passed_over(tmp_path: Path) -> None:
    write(tmp_path / "pkg" / "a.py")
    os.mkfifo(tmp_path / "pkg" / "x.py")
    for command in (["check", "--no-cache"], ["audit"], ["apply", "--no-cache"]):
        proc = run_cli([*command, "pkg"], tmp_path, timeout=HANG)
        assert b"Traceback" not in proc.stderr
        if command[0] == "audit":
            assert proc.returncode == 0, proc.stderr
            assert b"x.py: skipped: not a regular file (a named pipe); not read" in proc.stdout
        else:
            assert proc.returncode == (1 if command[0] == "check" else 0), proc.stderr
            assert b"warning: pkg/x.py: skipped: not a regular file (a named pipe)" in proc.stderr
    assert (tmp_path / "pkg" / "a.py").read_text(encoding="utf-8") == HOISTED


def _limit_memory() -> None:
    # the unfixed tool reads /dev/zero until memory runs out: let it fail early, not the machine
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


@pytest.mark.parametrize("command", ["check", "apply", "audit"])
def test_a_named_path_that_is_not_a_regular_file_is_an_error(tmp_path: Path, command: str) -> None:
    os.mkfifo(tmp_path / "fifo.py")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for name, kind in (("fifo.py", b"a named pipe"), ("zero.py", b"a character device")):
        proc = subprocess.run(
            [sys.executable, "-m", "codemods", command, name], cwd=tmp_path, capture_output=True,
            env=env, timeout=HANG, check=False, preexec_fn=_limit_memory,
        )  # fmt: skip
        assert proc.returncode == 3, proc.stderr
        assert b"not a regular file (" + kind + b"); not read" in proc.stdout + proc.stderr


def test_a_file_over_the_size_cap_is_not_read(cli: CLI, tmp_path: Path) -> None:
    big = tmp_path / "big.py"
    with big.open("wb") as handle:  # sparse: 9 MiB of nothing on disk
        handle.truncate(9 * 1024 * 1024)
    write(tmp_path / "a.py")
    proc = cli("apply", "--no-cache", ".")
    assert proc.returncode == 3, proc.stderr
    assert b"error: big.py: read error: larger than 8 MiB; not read" in proc.stderr
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == HOISTED


# -- 19. invalid exclude patterns ------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "apply", "audit", "batch"])
def test_invalid_exclude_flag_is_a_usage_error(cli: CLI, tmp_path: Path, command: str) -> None:
    write(tmp_path / "a.py")
    git(tmp_path, "init", "-q")
    proc = cli(command, "--exclude", "!", ".")
    assert proc.returncode == 2, proc.stderr
    assert b"--exclude: '!' is not a valid gitignore-style pattern" in proc.stderr
    assert b"Traceback" not in proc.stderr
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == HOISTABLE


def test_invalid_exclude_in_config_is_a_config_error(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path / "a.py")
    (tmp_path / "pyproject.toml").write_text('[tool.codemod]\nexclude = ["!"]\n', encoding="utf-8")
    proc = cli("check", "--no-cache", ".")
    assert proc.returncode == 2, proc.stderr
    assert b"tool.codemod.exclude: '!' is not a valid gitignore-style pattern" in proc.stderr


def test_invalid_gitignore_line_is_passed_over_as_git_does(cli: CLI, tmp_path: Path) -> None:
    """A repository's ``.gitignore`` is repository content: git ignores a line it cannot use."""
    write(tmp_path / "a.py")
    write(tmp_path / "skip.py")
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("!\nskip.py\n", encoding="utf-8")
    proc = cli("apply", "--no-cache", ".")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == HOISTED
    assert (tmp_path / "skip.py").read_text(encoding="utf-8") == HOISTABLE


# -- 20. a directory that cannot be listed ---------------------------------------------------


@pytest.mark.parametrize("command", [["check", "--no-cache"], ["audit"]])
def test_unlistable_directory_is_reported_and_fails_the_run(
    tmp_path: Path, command: list[str]
) -> None:
    write(tmp_path / "good.py").chmod(0o666)
    locked = tmp_path / "locked"
    write(locked / "hidden.py")
    locked.chmod(0o000)
    try:
        proc = run_without_file_privileges([*command, "."], tmp_path)
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 3, proc.stderr
    assert b"cannot list directory: Permission denied" in proc.stdout + proc.stderr


# -- 21. a file edited during an interactive review ------------------------------------------


def test_interactive_write_refused_counts_as_failed(tmp_path: Path) -> None:
    source = write(tmp_path / "a.py")
    term = Terminal(
        ["apply", "--interactive", "--no-cache", "--select", "hoist-imports", "."], tmp_path
    )
    term.answer("?")  # the first change is on screen; the file is edited before the answer
    source.write_text(HOISTABLE + "EDITED = True\n", encoding="utf-8")
    term.answer("y")
    code = term.finish()
    assert code == 3, term.text
    assert "error: a.py: conflict error: the file changed on disk during the review" in term.text
    assert "0 files changed, 0 unchanged, 0 skipped, 1 failed" in term.text
    assert source.read_text(encoding="utf-8") == HOISTABLE + "EDITED = True\n"


# -- 23. file names git quotes ---------------------------------------------------------------


def test_diff_quotes_names_as_git_does(cli: CLI, tmp_path: Path) -> None:
    names = [
        "new\nline.py",
        "tab\there.py",
        'quote".py',
        "back\\slash.py",
        "caf\u00e9.py",
        "sp ace.py",
    ]
    latin1 = "# -*- coding: latin-1 -*-\n" + HOISTABLE + "NAME = 'caf\xe9'\n"
    for repo in (tmp_path / "a", tmp_path / "b"):
        for name in names:
            write(repo / name)
        (repo / "l\u00e4tin.py").write_bytes(latin1.encode("latin-1"))
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "init")
    proc = cli("check", "--no-cache", "--diff", ".", cwd=tmp_path / "a")
    assert proc.returncode == 1, proc.stderr
    assert b'--- "a/new\\nline.py"\n' in proc.stdout
    assert b'+++ "b/tab\\there.py"\n' in proc.stdout
    # a UTF-8 diff keeps a UTF-8 name readable; in a latin-1 diff its bytes would name another
    # file, so it is quoted (git's default for every non-ASCII name)
    assert "--- a/caf\u00e9.py\n".encode() in proc.stdout
    assert b'--- "a/l\\303\\244tin.py"\n' in proc.stdout
    assert b"--- a/sp ace.py\t\n" in proc.stdout
    git(tmp_path / "a", "apply", "--check", "-", stdin=proc.stdout)
    git(tmp_path / "a", "apply", "-", stdin=proc.stdout)
    assert cli("apply", "--no-cache", ".", cwd=tmp_path / "b").returncode == 0
    for name in names:
        assert (tmp_path / "a" / name).read_text(encoding="utf-8") == HOISTED
        assert (tmp_path / "b" / name).read_text(encoding="utf-8") == HOISTED
    fixed = (tmp_path / "b" / "l\u00e4tin.py").read_bytes()
    assert (tmp_path / "a" / "l\u00e4tin.py").read_bytes() == fixed != latin1.encode("latin-1")


def test_a_symlink_is_read_only_when_followed(tmp_path: Path) -> None:
    """The engine checks ``islink`` before reading; a file swapped for a symlink after that check
    used to be read through it (its target's content could show in a diff): the reader itself
    refuses a symlink unless told to follow it."""
    (tmp_path / "secret.py").write_bytes(b"TOKEN = 'x'\n")
    (tmp_path / "a.py").symlink_to(tmp_path / "secret.py")
    with pytest.raises(NotReadable) as refused:
        read_regular(tmp_path / "a.py", follow=False)
    assert refused.value.strerror == SYMLINK_REFUSED
    assert read_regular(tmp_path / "a.py", follow=True) == b"TOKEN = 'x'\n"
    assert read_regular(tmp_path / "secret.py", follow=False) == b"TOKEN = 'x'\n"
    followed = run_file(tmp_path / "a.py", (), Options(follow_symlinks=True))
    assert followed.failure is None
