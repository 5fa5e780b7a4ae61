"""The install instructions work today, and the version is written in one place."""

from __future__ import annotations

import re
import subprocess
import tomllib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest

import codemods

from .conftest import CLI, REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: `pip install ...@v1.2.3`, `rev: v1.2.3`: a reference to a release tag
TAG_REFERENCE = re.compile(r"(?:@|\brev:\s*)(v?\d+\.\d+(?:\.\d+)?)\b")


def _tags() -> set[str]:
    done = subprocess.run(
        ["git", "-C", str(REPO), "tag", "--list"], capture_output=True, text=True, check=False
    )
    return set(done.stdout.split()) if done.returncode == 0 else set()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_docs_name_no_release_tag_that_does_not_exist(page: Path) -> None:
    tags = _tags()
    text = page.read_text(encoding="utf-8")
    missing = sorted({m.group(1) for m in TAG_REFERENCE.finditer(text)} - tags)
    assert not missing, (
        f"{page.name} tells users to install or pin {missing}, but the repository has no such tag"
    )


def test_pre_commit_examples_pin_a_commit_or_run_locally() -> None:
    for page in (REPO / "README.md", REPO / "docs" / "ci.md"):
        text = page.read_text(encoding="utf-8")
        revs = re.findall(r"^\s*rev:\s*(\S+)", text, re.M)
        assert revs, f"{page.name} has no pre-commit example"
        assert set(revs) == {"COMMIT"}, (
            f"{page.name}: a rev that is not the marked commit placeholder: {revs}"
        )
        assert "commit hash" in text
    assert "repo: local" in (REPO / "docs" / "ci.md").read_text(encoding="utf-8")


def test_the_version_is_written_once() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"], (
        "pyproject.toml repeats the version: keep it in codemods/__init__.py"
    )
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "codemods.__version__"}


def test_version_option_prints_the_one_version(cli: CLI) -> None:
    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout.decode().split() == ["codemod,", "version", codemods.__version__]


def test_installed_metadata_carries_the_same_version() -> None:
    try:
        metadata = installed_version("codemod")
    except PackageNotFoundError:  # pragma: no cover - the tests run from a checkout on PYTHONPATH
        pytest.skip("codemod is not installed in this environment")
    assert metadata == codemods.__version__
