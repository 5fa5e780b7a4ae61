"""The CLI contract, exercised through real subprocesses (``python -m codemods``)."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from .conftest import CLI, REPO, git

HOISTABLE = "import os\n\n\ndef dump(x):\n    import json\n    return json.dumps(x)\n"
HOISTED = "import json\nimport os\n\n\ndef dump(x):\n    return json.dumps(x)\n"
CLEAN = "import json\n\n\ndef dump(x):\n    return json.dumps(x)\n"


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts and ".codemod_cache" not in p.parts
    }


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")


# -- exit codes ------------------------------------------------------------------------------


def test_check_clean_exits_0(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"clean.py": CLEAN})
    proc = cli("check", ".")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    assert b"0 files would change, 1 unchanged, 0 skipped, 0 failed" in proc.stderr


def test_check_with_changes_exits_1_and_writes_nothing(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE, "clean.py": CLEAN})
    before = snapshot(tmp_path)
    proc = cli("check", ".")
    assert proc.returncode == 1
    # no diff without --diff: the findings, one line each
    assert proc.stdout == b"a.py:5:5: hoist-imports [*] Import `json` inside function `dump` (moved to module level)\n"
    assert snapshot(tmp_path) == before
    proc = cli("check", "--diff", ".")
    assert proc.returncode == 1
    assert proc.stdout.startswith(b"--- a/a.py\n+++ b/a.py\n")


def test_python_warnings_about_the_users_code_are_not_printed(cli: CLI, tmp_path: Path) -> None:
    """Reading and verifying code with ``1()`` or ``"\\d"`` makes Python warn; those warnings are
    about the user's code, which we only read, and must not reach our output."""
    warned = 'PATTERN = "\\d+"\n\n\ndef odd():\n    return 1()\n'
    write(tmp_path, {"a.py": HOISTABLE + warned, "clean.py": CLEAN + warned})
    for args in (["check", "."], ["apply", "."]):
        proc = cli(*args)
        assert proc.returncode in (0, 1), proc.stderr
        assert b"Warning" not in proc.stderr, proc.stderr
    assert (tmp_path / "a.py").read_text().startswith(HOISTED)


def test_dry_run_exit_code_only_on_request(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE})
    assert cli("apply", "--dry-run", "a.py").returncode == 0
    assert cli("apply", "--dry-run", "--exit-non-zero-on-change", "a.py").returncode == 1
    assert (tmp_path / "a.py").read_text() == HOISTABLE


@pytest.mark.parametrize(
    "args",
    [
        ["check", "missing.py"],
        ["check", "--select", "no-such-codemod", "."],
        ["check", "--ignore", "nope", "."],
        ["check", "--jobs", "0", "."],
        ["check", "--target-version", "banana", "."],
        ["explain", "no-such-codemod"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(cli: CLI, tmp_path: Path, args: list[str]) -> None:
    write(tmp_path, {"a.py": HOISTABLE})
    proc = cli(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr
    assert (tmp_path / "a.py").read_text() == HOISTABLE


def test_failed_file_exits_3_and_others_are_still_processed(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE, "broken.py": "def f(:\n    import os\n", "z.py": HOISTABLE})
    proc = cli("apply", ".")
    assert proc.returncode == 3
    assert b"broken.py" in proc.stderr and b"parse error" in proc.stderr
    assert (tmp_path / "a.py").read_text() == HOISTED
    assert (tmp_path / "z.py").read_text() == HOISTED
    assert (tmp_path / "broken.py").read_text() == "def f(:\n    import os\n"


def test_failure_wins_over_changes_in_check(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE, "broken.py": "print 'py2'\n"})
    assert cli("check", ".").returncode == 3


# -- output streams and diff ----------------------------------------------------------------


def test_messages_on_stderr_diff_on_stdout(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE})
    proc = cli("apply", "--dry-run", "a.py")
    diff = proc.stdout.decode()
    assert all(line[:1] in {"-", "+", " ", "@", "\\"} for line in diff.splitlines()), diff
    assert b"1 file would change, 0 unchanged, 0 skipped, 0 failed (hoist-imports: 1)" in proc.stderr
    assert b"\x1b[" not in proc.stdout  # no colour when not a terminal


def test_color_always(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE})
    assert b"\x1b[" in cli("apply", "--dry-run", "--color", "always", "a.py").stdout
    assert b"\x1b[" not in cli("apply", "--dry-run", "--color", "never", "a.py").stdout


def test_quiet_prints_no_summary(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE})
    proc = cli("apply", "-q", "a.py")
    assert proc.returncode == 0
    assert proc.stderr == b""


def test_verbose_lists_each_change(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE})
    proc = cli("apply", "--dry-run", "-v", "a.py")
    assert re.search(rb"^a\.py:5:5: hoist-imports \[\*\] ", proc.stderr, re.M), proc.stderr


EDGE_FILES: dict[str, str | bytes] = {
    "pkg/no_newline.py": HOISTABLE.rstrip("\n"),
    "pkg/crlf.py": HOISTABLE.replace("\n", "\r\n"),
    "pkg/latin1.py": ("# -*- coding: latin-1 -*-\n" + HOISTABLE + "NAME = 'caf\xe9'\n").encode("latin-1"),
    "pkg/bom.py": b"\xef\xbb\xbf" + HOISTABLE.encode(),
    "pkg/unicode_\u00e9.py": HOISTABLE,
    "pkg/sub dir/space.py": HOISTABLE,
    "pkg/clean.py": CLEAN,
}


def test_dry_run_diff_applies_with_git_and_equals_apply(cli: CLI, tmp_path: Path) -> None:
    repo_a, repo_b = tmp_path / "a", tmp_path / "b"
    for repo in (repo_a, repo_b):
        repo.mkdir()
        write(repo, EDGE_FILES)
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "init")
    before = snapshot(repo_a)
    proc = cli("apply", "--dry-run", ".", cwd=repo_a)
    assert proc.returncode == 0, proc.stderr
    assert snapshot(repo_a) == before, "dry run wrote something"
    diff = proc.stdout
    assert b"\\ No newline at end of file" in diff
    git(repo_a, "apply", "--check", "-", stdin=diff)
    git(repo_a, "apply", "-", stdin=diff)
    assert cli("apply", ".", cwd=repo_b).returncode == 0
    assert snapshot(repo_a) == snapshot(repo_b)
    assert snapshot(repo_a) != before
    # encodings, BOM and newlines survived the rewrite
    assert (repo_b / "pkg/crlf.py").read_bytes() == HOISTED.replace("\n", "\r\n").encode()
    assert (repo_b / "pkg/bom.py").read_bytes().startswith(b"\xef\xbb\xbfimport json\nimport os\n")
    assert (repo_b / "pkg/latin1.py").read_bytes().endswith("NAME = 'caf\xe9'\n".encode("latin-1"))
    assert (repo_b / "pkg/no_newline.py").read_text() == HOISTED.rstrip("\n")


def test_output_sorted_whatever_jobs(cli: CLI, tmp_path: Path) -> None:
    names = [f"m{i:03d}.py" for i in range(60)]
    write(tmp_path, {f"d{i % 7}/{n}": HOISTABLE for i, n in enumerate(names)})
    outputs = {cli("apply", "--dry-run", "--jobs", str(j), ".").stdout for j in (1, 2)}
    assert len(outputs) == 1
    files = re.findall(rb"^--- a/(\S+)$", outputs.pop(), flags=re.M)
    assert len(files) == 60
    assert files == sorted(files)


def test_apply_preserves_file_mode(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"script.py": "#!/usr/bin/env python3\n" + HOISTABLE})
    (tmp_path / "script.py").chmod(0o751)
    assert cli("apply", "script.py").returncode == 0
    assert (tmp_path / "script.py").stat().st_mode & 0o777 == 0o751
    assert "import json\n" in (tmp_path / "script.py").read_text()


# -- stdin -----------------------------------------------------------------------------------


def test_stdin_apply_writes_result_to_stdout(cli: CLI) -> None:
    proc = cli("apply", "-", stdin=HOISTABLE.encode())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == HOISTED


def test_stdin_dry_run_prints_diff(cli: CLI) -> None:
    proc = cli("apply", "--dry-run", "--stdin-filename", "app/x.py", "-", stdin=HOISTABLE.encode())
    assert proc.stdout.startswith(b"--- a/app/x.py\n+++ b/app/x.py\n")


def test_stdin_check(cli: CLI) -> None:
    assert cli("check", "-", stdin=HOISTABLE.encode()).returncode == 1
    assert cli("check", "-", stdin=CLEAN.encode()).returncode == 0


def test_stdin_unparsable_is_echoed_unchanged(cli: CLI) -> None:
    source = b"def f(:\n    import os\n"
    proc = cli("apply", "-", stdin=source)
    assert proc.returncode == 3
    assert proc.stdout == source


# -- selection, suppression, config ----------------------------------------------------------


def test_select_and_ignore(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE})
    assert cli("check", "--ignore", "hoist-imports", "a.py").returncode == 0
    assert cli("check", "--select", "dedupe-imports", "a.py").returncode == 0
    assert cli("check", "--select", "hoist-imports", "a.py").returncode == 1


def test_skip_comment_and_generated_marker(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {
        "skip.py": HOISTABLE.replace("import json\n", "import json  # codemod: skip\n"),
        "skip_id.py": HOISTABLE.replace("import json\n", "import json  # codemod: skip[hoist-imports]\n"),
        "gen.py": "# @generated by protoc\n" + HOISTABLE,
    })  # fmt: skip
    proc = cli("check", "--show-skips", ".")
    assert proc.returncode == 0, proc.stderr
    assert b"skip.py:5: hoist-imports: skipped: suppressed" in proc.stderr
    assert b"1 skipped" in proc.stderr
    assert cli("check", "--include-generated", "gen.py").returncode == 1


def test_config_in_pyproject(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {
        "pyproject.toml": '[tool.codemod]\nignore = ["hoist-imports"]\nbogus = 1\n',
        "src/a.py": HOISTABLE,
    })  # fmt: skip
    proc = cli("check", "src")
    assert proc.returncode == 0
    assert b"unknown key tool.codemod.bogus" in proc.stderr
    # the command line wins over the file
    assert cli("check", "--select", "hoist-imports", "--ignore", "", "src").returncode == 1


def test_bad_config_value_exits_2(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.codemod]\nselect = 'hoist-imports'\n", "a.py": HOISTABLE})
    proc = cli("check", "a.py")
    assert proc.returncode == 2
    assert b"must be a list of strings" in proc.stderr


def test_exclude_glob(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"keep/a.py": HOISTABLE, "gen/b.py": HOISTABLE})
    proc = cli("apply", "--dry-run", "--exclude", "gen/", ".")
    assert b"a/keep/a.py" in proc.stdout and b"gen/b.py" not in proc.stdout


def test_gitignore_is_honoured(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {".gitignore": "build_out/\n", "build_out/x.py": HOISTABLE, "app.py": HOISTABLE})
    (tmp_path / ".git").mkdir()
    proc = cli("apply", "--dry-run", ".")
    assert b"a/app.py" in proc.stdout and b"build_out" not in proc.stdout


# -- list / explain / README -----------------------------------------------------------------


def test_list_and_explain(cli: CLI) -> None:
    listing = cli("list").stdout.decode()
    assert "hoist-imports" in listing and "dedupe-imports" in listing
    doc = cli("explain", "hoist-imports").stdout.decode()
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Fix safety", "## Options", "## References"):
        assert section in doc


def test_readme_table_matches_registry(cli: CLI) -> None:
    table = cli("list", "--format", "markdown").stdout.decode().strip()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- codemods-table:start -->\n(.*?)\n<!-- codemods-table:end -->", readme, re.S)
    assert block, "README lacks the generated codemod table markers"
    assert block.group(1).strip() == table, "README table is stale: run `make readme`"


def test_python_dash_m_and_console_script_agree(cli: CLI, tmp_path: Path) -> None:
    script = shutil.which("codemod", path=str(Path(__import__("sys").executable).parent))
    assert script is not None, "console script `codemod` is not installed in this environment"
    import subprocess

    out = subprocess.run([script, "--version"], capture_output=True, check=True).stdout
    assert out == cli("--version").stdout
