"""``wrap-blocking-calls`` given part of a project (pre-commit, ``codemod apply path/to/file.py``):
the import its own rewrite left unused is removed when no other file of the component can read
it, and kept when one outside the run may. The real CLI, real files, and the importers run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ...conftest import run_cli
from ...helpers import run_python, write_tree

ID = "wrap-blocking-calls"
WORKER = "import time\n\n\nasync def job():\n    time.sleep(0)\n    return 1\n"
RUFF = Path(sys.executable).parent / "ruff"


def apply(root: Path, *paths: str, extra: tuple[str, ...] = ()) -> str:
    done = run_cli(["apply", "--no-cache", "--select", ID, *extra, *paths], cwd=root)
    assert done.returncode == 0, done.stderr.decode()
    return (root / "app/worker.py").read_text(encoding="utf-8")


def tree(root: Path, **others: str) -> None:
    files = {"requirements.txt": "requests\n", "app/__init__.py": "", "app/worker.py": WORKER}
    write_tree(root, {**files, **others})


@pytest.mark.parametrize(
    "other",
    [
        "from app.workers import job\n",  # a longer name holding the word
        "import app.worker_utils\n",
        "from app.worker import job\n\nprint(job)\n",  # imports the module, not `time`
    ],
)
def test_a_run_given_one_file_removes_the_import_no_other_file_can_read(
    tmp_path: Path, other: str
) -> None:
    """Before: the view of a one-file run cannot show the file's importers, so ``import time``
    stayed, a new F401 on every pre-commit run."""
    tree(tmp_path, **{"app/api.py": other, "tests/test_api.py": "import app.api\n"})
    code = apply(tmp_path, "app/worker.py")
    assert "import time" not in code and "await asyncio.sleep(0)" in code
    if RUFF.exists():
        lint = subprocess.run(
            [RUFF, "check", "--isolated", "--select", "F401", "app/worker.py"],
            cwd=tmp_path, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert lint.returncode == 0, lint.stdout


@pytest.mark.parametrize(
    ("importer", "check"),
    [
        ("from app.worker import time\n\nNOW = time.time()\n", "import app.tasks"),
        ("from app import worker\n\nNOW = worker.time.time()\n", "import app.tasks"),
        ("from .worker import *\n\nNOW = time.time()\n", "import app.tasks"),
        (
            "from unittest import mock\n\nP = mock.patch('app.worker.time.sleep')\n",
            "from app.tasks import P; P.start()",
        ),
    ],
)
def test_an_import_a_file_outside_the_run_takes_from_the_module_is_kept(
    tmp_path: Path, importer: str, check: str
) -> None:
    """Two staged files, neither the importer: before, the view reached beyond ``worker.py``
    (``other.py``), importers counted as known, and ``import time`` went: ``app/tasks.py``
    failed with ``ImportError``/``AttributeError``."""
    tree(tmp_path, **{"app/tasks.py": importer, "app/other.py": "VALUE = 1\n"})
    code = apply(tmp_path, "app/worker.py", "app/other.py")
    assert "import time\n" in code and "await asyncio.sleep(0)" in code
    done = run_python(tmp_path, check)
    assert done.returncode == 0, done.stderr


def test_an_import_an_excluded_file_takes_is_kept(tmp_path: Path) -> None:
    """A whole-project run with the importer excluded: it still imports the module."""
    tree(tmp_path, **{"app/tasks.py": "from app.worker import time\n"})
    code = apply(tmp_path, ".", extra=("--exclude", "app/tasks.py"))
    assert "import time\n" in code
    assert run_python(tmp_path, "import app.tasks").returncode == 0


def test_the_view_still_judges_the_files_it_holds(tmp_path: Path) -> None:
    """Given with the worker, a file that imports the module but not ``time`` lets it go."""
    tree(tmp_path, **{"app/tasks.py": "from app.worker import job\n"})
    code = apply(tmp_path, "app/worker.py", "app/tasks.py")
    assert "import time" not in code
    assert run_python(tmp_path, "import app.tasks").returncode == 0


def test_a_cached_result_that_read_files_outside_the_run_is_not_reused(tmp_path: Path) -> None:
    """With the cache on, the result of a one-file run depends on the files the scan read:
    reused after an outside file starts importing ``time`` from the module, ``check`` would show
    the removal that ``apply`` then must not make."""
    tree(tmp_path, **{"app/api.py": "VALUE = 1\n"})
    cache = ["--cache-dir", str(tmp_path / "cache")]

    def shown() -> str:
        done = run_cli(["check", "--diff", *cache, "--select", ID, "app/worker.py"], cwd=tmp_path)
        return done.stdout.decode()

    assert "-import time" in shown()
    (tmp_path / "app/api.py").write_text("from app.worker import time\n", encoding="utf-8")
    assert "-import time" not in shown()
