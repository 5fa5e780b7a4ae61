"""Hostile files (issue 21, items 1, 2, 4, 6, 11): nothing is lost, nothing is written elsewhere.

Every case runs the real CLI on real files. The races put a real second process to work at an
exact moment of the real run: a CPython audit hook (``sys.addaudithook``, in the CLI's own
process) starts it when the run opens its temporary file or compiles its output, and waits.
"""

from __future__ import annotations

import ast
import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codemods import registry
from codemods.engine import TransformError, transform_source
from codemods.io import Replacement, SourceError, digest, write_atomic
from codemods.nesting import MAX_DEPTH
from codemods.types import Options

from .conftest import CLI, REPO
from .test_reliability import (
    CAP_CHOWN,
    HOISTABLE,
    HOISTED,
    run_without_file_privileges,
    write_bytes,
)

#: The issue's file: libcst's parser takes ~40 s on it, then dies with SIGSEGV.
DEEP_SUM = "def f():\n    import os\n    return os.sep\nx = " + "1+" * 10_000 + "1\n"
#: Syntax Python 3.11 to 3.13 cannot read (PEP 758), so no ``ast`` measure protects libcst,
#: then 10,000 ``and``s: libcst's parser dies with SIGSEGV within two seconds.
CRASHER = HOISTABLE + "try:\n    pass\nexcept A, B:\n    pass\nx = " + "a and " * 10_000 + "a\n"


def _ast_reads(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, RecursionError, MemoryError):
        return False
    return True


# -- 1. a crash in libcst's native parser never costs the input ----------------------------------


def test_the_deep_sum_on_stdin_comes_back_unchanged(cli: CLI) -> None:
    proc = cli("apply", "-", stdin=DEEP_SUM.encode())
    assert proc.stdout == DEEP_SUM.encode()
    assert proc.returncode == 3, proc.stderr
    assert b"error: stdin: size error: too deeply nested to transform: 10,003 levels" in proc.stderr


def test_a_file_with_the_deep_sum_is_reported_and_untouched(cli: CLI, tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "b.py", DEEP_SUM.encode())
    write_bytes(tmp_path / "good.py", HOISTABLE.encode())
    for args in (["b.py"], ["--jobs", "2", "."]):  # in this process, and in the pool
        proc = cli("apply", "--no-cache", *args)
        assert proc.returncode == 3, proc.stderr
        assert b"error: b.py: size error: too deeply nested to transform" in proc.stderr
        assert path.read_text() == DEEP_SUM
    assert (tmp_path / "good.py").read_text() == HOISTED


def _crash_reason(text: str) -> bytes:
    # where ast reads the newer syntax (3.14), the preflight refuses the text before libcst
    return (
        b"size error: too deeply nested"
        if _ast_reads(text)
        else b"internal error: a worker process died"
    )


def test_a_native_crash_on_stdin_gives_the_input_back(cli: CLI) -> None:
    proc = cli("apply", "-", stdin=CRASHER.encode())
    assert proc.stdout == CRASHER.encode()
    assert proc.returncode == 3, proc.stderr
    assert b"error: stdin: " + _crash_reason(CRASHER) in proc.stderr


def test_a_native_crash_in_a_one_file_run_is_reported(cli: CLI, tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "crash.py", CRASHER.encode())
    proc = cli("apply", "--no-cache", "crash.py")
    assert proc.returncode == 3, proc.stderr
    assert b"error: crash.py: " + _crash_reason(CRASHER) in proc.stderr
    assert path.read_text() == CRASHER


def test_audit_reports_the_deep_sum(cli: CLI, tmp_path: Path) -> None:
    write_bytes(tmp_path / "b.py", DEEP_SUM.encode())
    proc = cli("audit", ".")
    assert proc.returncode == 3, proc.stderr
    assert b"`b.py`: " in proc.stdout and b"error: too deeply nested" in proc.stdout


NESTED = {
    "sum": "x = " + "1 + " * 1500 + "1\n",
    "and": "x = " + "a and " * 1500 + "a\n",
    "attribute": "x = a" + ".b" * 1500 + "\n",
    "not": "x = " + "not " * 1500 + "a\n",
    "lambda": "x = " + "lambda: " * 1500 + "1\n",
    "elif": "if a:\n    pass\n" + "elif a:\n    pass\n" * 1500,
    "call": "x = f" + "()" * 1500 + "\n",
}


@pytest.mark.parametrize("kind", sorted(NESTED))
def test_nesting_past_the_limit_is_refused_before_libcst(kind: str) -> None:
    source = HOISTABLE + NESTED[kind]
    with pytest.raises(TransformError, match="too deeply nested to transform"):
        transform_source(source, [registry.get("hoist-imports")], Options())


def test_nesting_within_the_limit_is_transformed() -> None:
    source = HOISTABLE + "x = " + "1 + " * (MAX_DEPTH - 10) + "1\n"
    result = transform_source(source, [registry.get("hoist-imports")], Options())
    assert result.code.startswith("import json\nimport os\n")


# -- 2. a write made during the run is never overwritten ------------------------------------------

RACE = """
import subprocess, sys
event, index, marker, action, *argv = sys.argv[1:]
fired = []

def hook(name, args):
    if fired or name != event or len(args) <= int(index) or not str(args[int(index)]).endswith(marker):
        return
    fired.append(True)
    subprocess.run([sys.executable, "-c", action], check=True)  # a second process, waited for

sys.addaudithook(hook)
from codemods.cli import main
sys.exit(main(argv))
"""
#: The audit event of the run opening its temporary file: after the old code's only check.
WRITING_TEMP = ("open", "0", ".codemod-tmp")
#: The audit event of the engine compiling its output: after the file was read, before the write.
VERIFYING = ("compile", "1", "<codemod>")


def run_racing(
    cwd: Path, moment: tuple[str, str, str], action: str, *args: str
) -> subprocess.CompletedProcess[bytes]:
    """The CLI with ``args``; at ``moment`` a second process runs ``action`` to its end."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", RACE, *moment, action, *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, env=env, timeout=120, check=False)


def test_an_edit_made_while_the_new_file_is_written_is_kept(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "a.py", HOISTABLE.encode())
    edit = f"open({str(path)!r}, 'a').write('EDITED = True\\n')"
    proc = run_racing(tmp_path, WRITING_TEMP, edit, "apply", "--no-cache", "a.py")
    assert path.read_text() == HOISTABLE + "EDITED = True\n"
    assert proc.returncode == 3, proc.stderr
    assert b"error: a.py: conflict error: file changed on disk during the run" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"], "a temporary file was left"


def test_a_file_replaced_by_a_copy_after_the_snapshot_is_not_overwritten(tmp_path: Path) -> None:
    # the same bytes under a new inode (an editor saving by rename): another file now
    path = write_bytes(tmp_path / "a.py", HOISTABLE.encode())
    with Replacement(path, digest(HOISTABLE.encode())) as replacement:
        replacement.stage(HOISTED.encode())
        copy = write_bytes(tmp_path / "copy.py", HOISTABLE.encode())
        os.replace(copy, path)
        with pytest.raises(SourceError, match="changed on disk during the run"):
            replacement.commit()
    assert path.read_text() == HOISTABLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]


# -- 4. owner, group, mode and extended attributes are kept, or the file is refused ----------------

root_only = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0, reason="needs root to chown"
)


@root_only
def test_owner_group_and_mode_are_kept(cli: CLI, tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "a.py", HOISTABLE.encode())
    os.chown(path, 4321, 4322)
    path.chmod(0o2754)  # set-group-ID too: chown clears it, so the mode is set after the owner
    proc = cli("apply", "--no-cache", "a.py")
    assert proc.returncode == 0, proc.stderr
    st = path.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (4321, 4322, 0o2754)
    assert path.read_text() == HOISTED


@root_only
def test_a_file_whose_owner_cannot_be_kept_is_refused(tmp_path: Path) -> None:
    tmp_path.chmod(0o777)
    path = write_bytes(tmp_path / "a.py", HOISTABLE.encode())
    os.chown(path, 4321, 4322)
    proc = run_without_file_privileges(["apply", "--no-cache", "a.py"], tmp_path, (CAP_CHOWN,))
    assert proc.returncode == 3, proc.stderr
    assert (
        b"error: a.py: write error: owned by uid 4321, gid 4322: this user cannot give"
        in proc.stderr
    )
    assert path.read_text() == HOISTABLE
    assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4322)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]


def test_extended_attributes_are_kept(cli: CLI, tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "a.py", HOISTABLE.encode())
    try:
        os.setxattr(path, "user.reviewed-by", b"alice")
    except (AttributeError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        pytest.skip(f"no user extended attributes on this file system or platform: {exc}")
    proc = cli("apply", "--no-cache", "a.py")
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == HOISTED
    assert os.getxattr(path, "user.reviewed-by") == b"alice"


# -- 6. encodings that do not give back the same bytes are refused ---------------------------------

UNFAITHFUL = {
    # "+ACE-" decodes to "!", which encodes back as "!"
    "utf7.py": b"# coding: utf-7\nBANG = '+ACE-'\n" + HOISTABLE.encode(),
    # a redundant switch to ASCII (ESC ( B) that the encoder never writes
    "jis.py": b"# coding: iso-2022-jp\nA = 'a\x1b(Bb'\n" + HOISTABLE.encode(),
    # the escapes are decoded to newlines, and encoded back as escapes: one line
    "escape.py": b"# coding: unicode_escape\nA = 1\\nB = 2\n" + HOISTABLE.encode(),
}


@pytest.mark.parametrize("name", sorted(UNFAITHFUL))
def test_an_encoding_that_does_not_round_trip_is_refused(
    cli: CLI, tmp_path: Path, name: str
) -> None:
    data = UNFAITHFUL[name]
    path = write_bytes(tmp_path / name, data)
    proc = cli("apply", "--no-cache", name)
    assert proc.returncode == 3, proc.stderr
    assert b"decode error: encoding the text as" in proc.stderr
    assert b"does not give back the same bytes" in proc.stderr
    assert path.read_bytes() == data
    proc = cli("apply", "-", stdin=data)
    assert (proc.returncode, proc.stdout) == (3, data)


def test_a_stateful_encoding_that_round_trips_is_fixed_byte_for_byte(
    cli: CLI, tmp_path: Path
) -> None:
    head = "# coding: iso-2022-jp\nNAME = '日本'\n".encode("iso-2022-jp")
    path = write_bytes(tmp_path / "jis.py", head + HOISTABLE.encode())
    proc = cli("apply", "--no-cache", "jis.py")
    assert proc.returncode == 0, proc.stderr
    assert (
        path.read_bytes()
        == head.replace(b"\nNAME", b"\nimport json\n\nNAME")
        + HOISTED.replace("import json\n", "").encode()
    )


# -- 11. never written through a symlink without --follow-symlinks ---------------------------------

posix_only = pytest.mark.skipif(os.name != "posix", reason="symlinks")


@posix_only
def test_a_symlink_named_explicitly_is_refused(cli: CLI, tmp_path: Path) -> None:
    target = write_bytes(tmp_path / "outside" / "target.py", HOISTABLE.encode())
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "link.py").symlink_to(target)
    for command in (["apply"], ["check"], ["apply", "--dry-run"]):
        proc = cli(*command, "--no-cache", "root/link.py")
        assert proc.returncode == 3, proc.stderr
        assert (
            b"error: root/link.py: read error: is a symlink; not followed without --follow-symlinks"
            in proc.stderr
        )
        assert proc.stdout == b""
        assert target.read_text() == HOISTABLE
    proc = cli("apply", "--no-cache", "--follow-symlinks", "root/link.py")
    assert proc.returncode == 0, proc.stderr
    assert target.read_text() == HOISTED
    assert (tmp_path / "root" / "link.py").is_symlink()


@posix_only
def test_a_walk_processes_a_linked_file_under_its_own_name(cli: CLI, tmp_path: Path) -> None:
    real = write_bytes(tmp_path / "z_real.py", HOISTABLE.encode())
    (tmp_path / "a_link.py").symlink_to(real.name)
    proc = cli("apply", "--dry-run", "--no-cache", ".")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(b"--- a/") == 1
    assert b"--- a/z_real.py" in proc.stdout


@posix_only
def test_a_file_swapped_for_a_symlink_during_the_run_is_not_written_through(tmp_path: Path) -> None:
    # the symlink's target holds the very bytes that were read, so only the link gives it away
    outside = write_bytes(tmp_path / "outside" / "a.py", HOISTABLE.encode())
    path = write_bytes(tmp_path / "root" / "a.py", HOISTABLE.encode())
    swap = f"import os; os.unlink({str(path)!r}); os.symlink({str(outside)!r}, {str(path)!r})"
    proc = run_racing(tmp_path / "root", VERIFYING, swap, "apply", "--no-cache", "a.py")
    assert proc.returncode == 3, proc.stderr
    assert b"error: a.py: conflict error: is a symlink; not written through it" in proc.stderr
    assert outside.read_text() == HOISTABLE
    assert path.is_symlink()


@posix_only
def test_write_atomic_never_writes_through_a_symlink_unless_asked(tmp_path: Path) -> None:
    target = write_bytes(tmp_path / "target.py", HOISTABLE.encode())
    link = tmp_path / "link.py"
    link.symlink_to(target.name)
    with pytest.raises(SourceError, match="is a symlink"):
        write_atomic(link, HOISTED.encode(), digest(HOISTABLE.encode()))
    assert target.read_text() == HOISTABLE
    write_atomic(link, HOISTED.encode(), digest(HOISTABLE.encode()), follow_symlinks=True)
    assert target.read_text() == HOISTED
    assert link.is_symlink()
