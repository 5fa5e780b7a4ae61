"""The suite runs in parallel (pytest-xdist): each test process keeps the CLI's per-user state
(``$XDG_CACHE_HOME``: the cache signing key, batch state) in a directory of its own, never in the
developer's ``~/.cache``, and the CLI subprocesses inherit it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from . import venvs
from .conftest import CLI


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
