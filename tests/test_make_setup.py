"""`make demo` in a copy of the repository: the Python version is checked before `.venv` exists,
a failed or interrupted install leaves no half-made `.venv`, and the demo installs the runtime
dependencies only."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from .conftest import REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

#: what `make demo` needs before it installs anything
SETUP_FILES = ("Makefile", "pyproject.toml", "constraints.txt", "scripts/check_python.py")
#: an interpreter that says it is Python 3.9 and runs only scripts (never `-m venv`)
FAKE_OLD_PYTHON = """#!{python}
import runpy, sys
sys.version_info = (3, 9, 18, "final", 0)
if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
    sys.exit("fake old python: only scripts, not " + repr(sys.argv[1:]))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _copy(tmp_path: Path, names: tuple[str, ...]) -> Path:
    work = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".codemod_cache", "*.egg-info")
    for name in names:
        source, target = REPO / name, work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copy2(source, target)
    return work


def make(
    work: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    dropped = {"PYTHONPATH", "VIRTUAL_ENV", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHONHOME"}
    full_env = {k: v for k, v in os.environ.items() if k not in dropped} | (env or {})
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=work,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _old_pythons(tmp_path: Path) -> list[str]:
    fake = tmp_path / "bin" / "python3"
    fake.parent.mkdir()
    fake.write_text(FAKE_OLD_PYTHON.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)
    found = [str(fake)]
    # a real older interpreter too, when this machine has one
    candidates = [shutil.which(f"python3.{minor}") for minor in range(6, 11)]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[0]*/bin/python3")))
    found += [c for c in candidates if c and _runs(c)][:1]
    return found


def _runs(python: str) -> bool:
    """Whether ``python`` is an interpreter that starts (a pyenv shim of an inactive one does not)."""
    done = subprocess.run([python, "-c", "pass"], capture_output=True, timeout=60, check=False)
    return done.returncode == 0


def test_an_old_python_is_refused_before_anything_is_created(tmp_path: Path) -> None:
    work = _copy(tmp_path, SETUP_FILES)
    for python in _old_pythons(tmp_path):
        for target in ("demo", "test"):
            done = make(work, target, f"PYTHON={python}")
            assert done.returncode != 0, done.stdout
            assert (
                "codemod needs Python >=3.11 (requires-python in pyproject.toml)" in done.stderr
            ), done.stderr
            assert f"but {python} (" in done.stderr
            assert not (work / ".venv").exists(), f"{python}: make {target} left a .venv behind"


def test_a_missing_python_is_named(tmp_path: Path) -> None:
    work = _copy(tmp_path, SETUP_FILES)
    done = make(work, "demo", "PYTHON=python-that-is-not-there")
    assert done.returncode != 0
    assert "python-that-is-not-there not found: run make with PYTHON=" in done.stderr
    assert not (work / ".venv").exists()


def _dev_extra() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {Requirement(r).name.lower() for r in project["optional-dependencies"]["dev"]}


def _installed(work: Path) -> set[str]:
    listed = subprocess.run(
        [str(work / ".venv" / "bin" / "python"), "-m", "pip", "list", "--format", "freeze"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    return {line.split("==")[0].lower().replace("_", "-") for line in listed.split()}


@pytest.mark.slow
def test_a_failed_demo_leaves_no_venv_and_the_next_one_works(tmp_path: Path) -> None:
    work = _copy(tmp_path, (*SETUP_FILES, "README.md", "codemods", "fixtures/metaguardian"))
    offline = tmp_path / "no-wheels"
    offline.mkdir()
    # no index and no wheels: building the editable install cannot find setuptools
    failed = make(
        work,
        "demo",
        f"PYTHON={sys.executable}",
        env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(offline)},
    )
    assert failed.returncode != 0, failed.stdout
    assert "installing into .venv failed: removed it" in failed.stderr, failed.stderr
    assert not (work / ".venv").exists()

    # what a killed run leaves: a .venv still marked incomplete
    (work / ".venv" / "bin").mkdir(parents=True)
    (work / ".venv" / ".incomplete").touch()
    (work / ".venv" / "leftover").touch()
    done = make(work, "demo", f"PYTHON={sys.executable}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "removing .venv: an earlier run did not finish it" in done.stdout
    # the demo ends as the README says
    ending = re.search(
        r"and ends with\n\n```text\n(.*?)```",
        (REPO / "README.md").read_text(encoding="utf-8"),
        re.S,
    )
    assert ending, "README lacks the demo's closing lines"
    assert re.sub(r"\x1b\[[0-9;]*m", "", done.stderr).endswith(ending.group(1)), (
        done.stderr
    )  # the summary
    assert (
        not (work / ".venv" / "leftover").exists() and not (work / ".venv" / ".incomplete").exists()
    )
    installed = _installed(work)
    assert {"codemod", "libcst", "click", "pathspec", "packaging"} <= installed
    assert not installed & _dev_extra(), (
        f"make demo installed dev packages: {sorted(installed & _dev_extra())}"
    )
