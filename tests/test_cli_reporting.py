"""What ``check`` and ``apply`` print (issue 22, "Reporting"), through real subprocesses: the
findings in ruff's concise format, ``--statistics``, ``--exit-zero``, the option aliases, the
progress display on a real pseudo-terminal, NO_COLOR / FORCE_COLOR, the markdown body and the
GitHub annotation limits."""

from __future__ import annotations

import errno
import os
import pty
import subprocess
import sys
from pathlib import Path

from .conftest import CLI, REPO

SAFE_AND_UNSAFE = """\
import os


def dump(x):
    import json
    return json.dumps(x)


def later(flag):
    try:
        if not flag:
            return None
        import csv
    except ValueError:
        return None
    return csv
"""
DISPLAY_ONLY = """\
from sqlalchemy.orm import Session


async def handler(db: Session):
    db.commit()
"""
HOISTABLE = "import os\n\n\ndef dump(x):\n    import json\n    return json.dumps(x)\n"

FINDINGS = [
    "a.py:5:5: hoist-imports [*] Import `json` inside function `dump` (moved to module level)",
    "a.py:13:9: hoist-imports Import `csv` inside function `later` (moved to module level); inside `try`: "
    "an import failure no longer reaches its handler, it stops the app at startup; it runs after "
    "`if not flag:` (line 11) in function `later`: hoisted, it would run first, when the module is "
    "imported [unsafe: --unsafe-fixes]",
    "b.py:5:5: wrap-blocking-calls Blocking call `db.commit` (`sqlalchemy.orm.Session.commit`) in async "
    "function `handler` uses a `Session`, which is bound to the thread that made it [display-only]",
]


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def env(**extra: str) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "FORCE_COLOR", "CODEMOD_PROGRESS_DELAY")
    }
    return {**base, "PYTHONPATH": str(REPO), **extra}


def on_terminal(
    args: list[str], cwd: Path, extra_env: dict[str, str], stdout_too: bool = False
) -> tuple[int, bytes, bytes]:
    """Run the CLI with stderr (and ``stdout_too``: stdout) on a pseudo-terminal; return the
    exit code, what the terminal received and what went to the stdout pipe."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "codemods", *args], cwd=cwd, env=env(**extra_env), stdin=subprocess.DEVNULL,
        stdout=slave if stdout_too else subprocess.PIPE, stderr=slave,
    )  # fmt: skip
    os.close(slave)
    screen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError as exc:  # EIO: the child closed the terminal
            assert exc.errno == errno.EIO
            break
        if not chunk:
            break
        screen += chunk
    os.close(master)
    piped = proc.stdout.read() if proc.stdout else b""
    return proc.wait(timeout=300), screen, piped


# -- the findings ------------------------------------------------------------------------------


def test_check_lists_every_finding_in_ruffs_concise_format(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": SAFE_AND_UNSAFE, "b.py": DISPLAY_ONLY})
    proc = cli("check", "--no-cache", ".")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.decode().splitlines() == FINDINGS
    assert proc.stderr.decode().splitlines() == [
        "1 file would change, 1 unchanged, 0 skipped, 0 failed (hoist-imports: 1)",
        "1 more fix(es) available with --unsafe-fixes.",
    ]
    quiet = cli("check", "--no-cache", "-q", ".")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (1, b"", b"")
    # with --diff, stdout is the diff: only the display-only finding, on stderr, as before
    diff = cli("check", "--no-cache", "--diff", ".")
    assert diff.stdout.startswith(b"--- a/a.py\n")
    assert FINDINGS[2].encode() in diff.stderr and b"[*]" not in diff.stderr
    # with `-`, stdout is the source: no fixable finding is listed (README, "stdin")
    piped = cli("check", "--no-cache", "-", stdin=SAFE_AND_UNSAFE.encode())
    assert piped.returncode == 1 and b"def dump(x):" in piped.stdout
    assert b"[*]" not in piped.stderr and b"stdin:" not in piped.stderr


def test_apply_reports_held_back_fixes_in_the_same_format(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": SAFE_AND_UNSAFE, "b.py": DISPLAY_ONLY})
    proc = cli("apply", "--no-cache", "-v", ".")
    assert proc.returncode == 0, proc.stderr
    assert set(FINDINGS) <= set(proc.stderr.decode().splitlines())


def test_statistics_count_findings_per_codemod_and_kind(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": SAFE_AND_UNSAFE, "b.py": DISPLAY_ONLY, "c.py": HOISTABLE})
    proc = cli("check", "--no-cache", "--statistics", ".")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.decode() == (
        "2\thoist-imports      \t[*] fix\n"
        "1\thoist-imports      \t[ ] unsafe fix (--unsafe-fixes)\n"
        "1\twrap-blocking-calls\t[ ] display-only\n"
    )


def test_exit_zero_keeps_errors(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE})
    proc = cli("check", "--no-cache", "--exit-zero", ".")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"a.py:5:5: hoist-imports [*] ")
    write(tmp_path, {"broken.py": "def (:\n"})
    assert cli("check", "--no-cache", "--exit-zero", ".").returncode == 3


def test_output_format_and_dash_V_are_aliases(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE})
    long = cli("check", "--no-cache", "--format", "json", "a.py")
    alias = cli("check", "--no-cache", "--output-format", "json", "a.py")
    assert alias.returncode == long.returncode == 1
    # the same report; only the command line it records differs
    assert alias.stdout.replace(b"--output-format", b"--format") == long.stdout
    version = cli("-V")
    assert version.returncode == 0 and version.stdout == cli("--version").stdout
    assert version.stdout.startswith(b"codemod, version ")


# -- the progress display ------------------------------------------------------------------------


def test_progress_on_a_terminal_and_output_after_it(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE, "b.py": HOISTABLE, "c.py": "x = 1\n"})
    code, screen, _ = on_terminal(
        ["check", "--no-cache", "-j", "1", "."],
        tmp_path,
        {"CODEMOD_PROGRESS_DELAY": "0"},
        stdout_too=True,
    )
    text = screen.decode()
    assert code == 1, text
    assert "gather" in text and "transform" in text and "3/3" in text, text
    # the findings were held while the bar was on screen: each starts its own line, after it
    tail = text[text.rindex("3/3") :]
    assert "\na.py:5:5: hoist-imports [*]" in tail.replace("\r\n", "\n"), text
    assert "\nb.py:5:5: hoist-imports [*]" in tail.replace("\r\n", "\n"), text
    quiet_code, quiet_screen, _ = on_terminal(
        ["check", "--no-cache", "-q", "."],
        tmp_path,
        {"CODEMOD_PROGRESS_DELAY": "0"},
        stdout_too=True,
    )
    assert quiet_code == 1 and quiet_screen == b""


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE, "b.py": "x = 1\n"})
    proc = subprocess.run(
        [sys.executable, "-m", "codemods", "check", "--no-cache", "."], cwd=tmp_path,
        env=env(CODEMOD_PROGRESS_DELAY="0"), capture_output=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.decode().splitlines() == [
        "1 file would change, 1 unchanged, 0 skipped, 0 failed (hoist-imports: 1)"
    ]


# -- colour --------------------------------------------------------------------------------------


def test_no_color_and_force_color(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": HOISTABLE})

    def diff(*flags: str, **extra: str) -> bytes:
        args = [sys.executable, "-m", "codemods", "check", "--no-cache", "--diff", *flags, "a.py"]
        return subprocess.run(
            args, cwd=tmp_path, env=env(**extra), capture_output=True, timeout=300, check=False
        ).stdout

    assert b"\x1b[" not in diff()
    assert b"\x1b[" in diff(FORCE_COLOR="1")
    assert b"\x1b[" not in diff(FORCE_COLOR="")  # empty: not set
    assert b"\x1b[" not in diff(NO_COLOR="1", FORCE_COLOR="1")
    assert b"\x1b[" in diff("--color", "always", NO_COLOR="1")
    assert b"\x1b[" not in diff("--color", "never", FORCE_COLOR="1")
    # a terminal: coloured unless NO_COLOR says otherwise
    _, screen, _ = on_terminal(
        ["check", "--no-cache", "--diff", "a.py"], tmp_path, {}, stdout_too=True
    )
    assert b"\x1b[31m" in screen
    _, screen, _ = on_terminal(
        ["check", "--no-cache", "--diff", "a.py"], tmp_path, {"NO_COLOR": "1"}, stdout_too=True
    )
    assert b"\x1b[31m" not in screen and b"-    import json" in screen


# -- reports -------------------------------------------------------------------------------------


def test_markdown_explains_only_the_codemods_that_changed_something(
    cli: CLI, tmp_path: Path
) -> None:
    write(tmp_path, {"a.py": SAFE_AND_UNSAFE, "b.py": DISPLAY_ONLY})
    proc = cli("check", "--no-cache", "--format", "markdown", ".")
    body = proc.stdout.decode()
    assert "<details>\n<summary><code>hoist-imports</code>: Move imports" in body
    assert "<code>wrap-blocking-calls</code>:" not in body  # display-only: listed, not explained
    assert "`wrap-blocking-calls`: Blocking call `db.commit`" in body
    assert "### `hoist-imports`" not in body


def test_github_annotations_most_severe_first_within_the_limits(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path, {f"m{i:02}.py": HOISTABLE for i in range(12)})
    write(tmp_path, {"broken.py": "def (:\n", "z.py": DISPLAY_ONLY})
    proc = cli("check", "--no-cache", "--format", "github", ".")
    assert proc.returncode == 3, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert lines[0] == (
        "::notice title=codemod::2 more finding(s) (2 warnings) are not annotated: GitHub shows at most 10 "
        "annotations of each level per step. They are listed at the end of this log."
    )
    assert lines[1].startswith("::error file=broken.py,line=1,")
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert [w.split(",")[0] for w in warnings] == [f"::warning file=m{i:02}.py" for i in range(10)]
    assert lines[2:12] == warnings
    assert lines[12].startswith("::notice file=z.py,line=5,title=wrap-blocking-calls::")
    assert lines[13:] == [
        f"codemod: warning: m{i}.py:5: hoist-imports: Import `json` inside function `dump` (moved to module "
        "level) — Fix: Move import to the top of the module"
        for i in (10, 11)
    ]
