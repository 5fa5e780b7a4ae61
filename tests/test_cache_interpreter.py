"""A cache shared by two Pythons (a project's ``.codemod_cache``, used by a developer's Python
and by pre-commit's) answers each with its own results: what the standard library holds, which
hoist-imports relies on, differs between Python versions. Runs the tool on this Python and on
another CPython installed here, in a throwaway virtualenv."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .venvs import ensure_venv, run_in_venv

ROOT = Path(__file__).resolve().parents[1]
#: what running the tool needs, at the versions ``constraints.txt`` pins
RUNTIME = ("libcst", "click", "pathspec", "packaging", "pyyaml")


def _other_python() -> tuple[str, frozenset[str]] | None:
    """Another CPython >= 3.11 installed here (another minor version than this one), with the
    names of its standard library; None when there is none."""
    candidates = [shutil.which(f"python3.{minor}") for minor in range(11, 16)]
    pyenv = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates += sorted(glob.glob(f"{pyenv}/versions/3.*/bin/python3"))
    probe = "import sys; print(sys.version_info[1], *sorted(sys.stdlib_module_names))"
    for candidate in filter(None, candidates):
        done = subprocess.run(
            [candidate, "-I", "-c", probe], capture_output=True, text=True, timeout=60, check=False
        )
        if done.returncode != 0 or not done.stdout:  # a pyenv shim of a version not selected
            continue
        minor, *names = done.stdout.split()
        if int(minor) >= 11 and int(minor) != sys.version_info.minor:
            return candidate, frozenset(names)
    return None


def _pins() -> list[str]:
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.split("==")[0].lower() in RUNTIME]


def test_a_shared_cache_gives_each_interpreter_its_own_answers(tmp_path: Path) -> None:
    found = _other_python()
    if found is None:
        pytest.skip("no other CPython >= 3.11 is installed on this machine")
    other, other_stdlib = found
    from codemods.components.modules import REMOVED_STDLIB, STDLIB_MODULES

    # a standard-library module of one Python only: hoisted under one, kept under the other
    # (no dependency declarations name it)
    only_one = sorted((other_stdlib ^ STDLIB_MODULES) - set(REMOVED_STDLIB))
    module = next(name for name in only_one if name.startswith("_") and name.isidentifier())
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(
        f"def f():\n    import {module}\n    return {module}\n", encoding="utf-8"
    )
    venv = ensure_venv(_pins(), base=other)
    launcher = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); from codemods.cli import main; "
        "sys.exit(main(sys.argv[1:]))"
    )

    def here(*args: str) -> str:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run(
            [sys.executable, "-m", "codemods", "check", "--color", "never", *args, "app.py"],
            cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        return done.stdout + done.stderr

    def there(*args: str) -> str:
        done = run_in_venv(
            venv, launcher, project, args=["check", "--color", "never", *args, "app.py"]
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done.stdout + done.stderr

    truth_here, truth_there = here("--no-cache"), there("--no-cache")
    assert truth_here != truth_there, f"`import {module}` is decided alike on both Pythons"
    assert here() == truth_here  # fills the project's cache
    assert (project / ".codemod_cache").is_dir()
    assert there() == truth_there  # the other Python: its own answer, not the cached one
    assert here() == truth_here and there() == truth_there  # each finds its own entries


def test_the_environment_part_of_every_key_is_the_same_in_every_run() -> None:
    """``cache.environment()`` is computed the same way by two processes of one interpreter (a
    warm cache is found again), names this interpreter's full version, and imports none of
    the distributions it identifies."""
    from codemods import cache

    probe = (
        "import sys; from codemods import cache; print(cache.environment()); "
        "print(*sorted(set(cache.RUNTIME) & set(sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60,
            check=True, cwd=ROOT.parent,
        ).stdout.split("\n")
        for _ in range(2)
    ]  # fmt: skip
    assert runs[0] == runs[1] and runs[0][0] == cache.environment()
    assert runs[0][1] == ""  # found, not imported
    # the full version (a micro release is another environment), and each distribution found
    # where this process would import it from, with its size and time
    parts = cache.environment_parts()
    assert parts[:2] == [sys.implementation.name, repr(tuple(sys.version_info))]
    import libcst

    assert any(part.startswith(f"libcst {libcst.__file__} ") for part in parts[2:])
    assert [part.split()[0] for part in parts[2:]] == list(cache.RUNTIME)
