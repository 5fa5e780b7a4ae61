"""The suite runs in parallel (pytest-xdist): each test process keeps the CLI's per-user state
(``$XDG_CACHE_HOME``: the cache signing key, batch state) in a directory of its own, never in the
developer's ``~/.cache``, and the CLI subprocesses inherit it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from . import venvs
from .conftest import CLI, REPO, SLOW, TESTS


def test_the_user_cache_is_the_test_processs_own(
    private_user_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert os.environ["XDG_CACHE_HOME"] == str(private_user_cache)
    assert private_user_cache.is_relative_to(tmp_path_factory.getbasetemp())
    # the slow-to-build test venvs are not rebuilt per process
    assert not venvs.venvs_root().is_relative_to(private_user_cache)


def test_a_cli_run_keeps_its_signing_key_there(
    cli: CLI, private_user_cache: Path, tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text("import os\n", encoding="utf-8")
    done = cli("check", "app.py")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / ".codemod_cache").is_dir()
    assert (private_user_cache / "codemod" / "key").is_file()


def test_every_test_listed_slow_exists() -> None:
    missing = []
    for name, functions in SLOW.items():
        tree = ast.parse((TESTS / name).read_bytes())
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        missing += [f"{name}::{f}" for f in sorted(functions - defined)]
    assert not missing, f"conftest.SLOW names tests that are gone: {missing}"


def _collected(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_slow_tests_are_marked_and_run_first() -> None:
    files = ["tests/test_reliability.py"]  # slow tests among others
    slow = [
        "tests/test_reliability.py::test_five_megabyte_one_line_file",
        "tests/test_reliability.py::test_sigkill_mid_apply_leaves_every_file_old_or_new",
    ]
    assert _collected("-m", "slow", *files) == slow
    everything = _collected(*files)
    assert everything[:2] == slow
    assert len(everything) > 10 and not set(everything[2:]) & set(slow)
