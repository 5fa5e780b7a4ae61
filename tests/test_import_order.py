"""Added and hoisted imports keep ruff's isort rules (``I001``) and ``ruff format`` content.

ruff itself is the oracle: each case is a small project whose import block ruff accepts before
the run, and must accept after it. An unsorted block keeps the old placement (the end of the
block), and a ``from`` line that grows past the line length is wrapped the way ruff prints it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codemods.types import Options

from .helpers import run_tree, write_tree

RUFF = Path(sys.executable).parent / "ruff"
PYPROJECT = "[project]\nname = 'svc'\nversion = '0'\ndependencies = ['fastapi', 'httpx']\n"


def ruff(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUFF), *args, "--no-cache", "."], cwd=root, capture_output=True, text=True, check=False
    )


def isort_clean(root: Path) -> bool:
    return ruff(root, "check", "--select", "I,F401,E402").returncode == 0


def format_clean(root: Path) -> bool:
    return ruff(root, "format", "--check").returncode == 0


def apply(root: Path, files: dict[str, str], codemod: str) -> str:
    """Write the project, check ruff accepts it, apply ``codemod``; the changed main module."""
    write_tree(root, {"pyproject.toml": PYPROJECT, "svc/__init__.py": "", **files})
    assert isort_clean(root), ruff(root, "check", "--select", "I,F401,E402").stdout
    assert format_clean(root)
    before = (root / "svc/main.py").read_text(encoding="utf-8")
    results = run_tree(root, Options(select=(codemod,)), write=True)
    after = (root / "svc/main.py").read_text(encoding="utf-8")
    assert after != before, results["svc/main.py"]
    return after


def test_ruff_is_there() -> None:
    assert RUFF.is_file(), "ruff is a dev dependency: the oracle of these tests"


HOIST_CASES = {
    # a standard-library import into the standard-library section, between two lines
    "stdlib": (
        """
        import os
        import sys

        from fastapi import FastAPI

        app = FastAPI()


        def f():
            import json

            return json, os, sys
        """,
        "import json\nimport os\n",
    ),
    # a third-party `from` import into the third-party section, before an existing one
    "third party": (
        """
        import os

        from fastapi import FastAPI

        from svc.db import Session

        app = FastAPI()


        def f():
            from httpx import Client

            return Client, os, Session
        """,
        "from fastapi import FastAPI\nfrom httpx import Client\n\nfrom svc.db",
    ),
    # a first-party import: a section of its own, created after the third-party one
    "first party": (
        """
        import os

        from fastapi import FastAPI

        app = FastAPI()


        def f():
            from svc.db import Session

            return Session, os
        """,
        "from fastapi import FastAPI\n\nfrom svc.db import Session\n\napp",
    ),
    # a standard-library section created above the third-party one; two hoists sorted
    "new section": (
        """
        from fastapi import FastAPI

        app = FastAPI()


        def f():
            import sys

            return sys


        def g():
            import json

            return json
        """,
        "import json\nimport sys\n\nfrom fastapi import FastAPI\n",
    ),
    # a name merged into an existing `from` line goes where ruff puts it
    "merged name": (
        """
        from os.path import basename, join

        from fastapi import FastAPI

        app = FastAPI()


        def f():
            from os.path import dirname

            return basename, dirname, join
        """,
        "from os.path import basename, dirname, join\n",
    ),
}


@pytest.mark.parametrize("case", HOIST_CASES, ids=list(HOIST_CASES))
def test_hoisted_imports_keep_a_sorted_block_sorted(tmp_path: Path, case: str) -> None:
    source, expected = HOIST_CASES[case]
    files = {"svc/main.py": source, "svc/db.py": "class Session:\n    pass\n"}
    after = apply(tmp_path, files, "hoist-imports")
    assert expected in after, after
    assert isort_clean(tmp_path), ruff(tmp_path, "check", "--select", "I,F401,E402").stdout + after
    assert format_clean(tmp_path), after


WRAP_CASES = {
    # `import asyncio` at the head of the standard-library section
    "asyncio": (
        "asyncio",
        """
        import os
        import time

        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/")
        async def root():
            with open(os.devnull) as f:
                time.sleep(1)
                return f.name
        """,
        "import asyncio\nimport os\n",
    ),
    # fastapi.concurrency's helper next to the fastapi import
    "run_in_threadpool": (
        "fastapi",
        """
        import os

        from fastapi import FastAPI
        from pydantic import BaseModel

        app = FastAPI()


        class M(BaseModel):
            x: int


        @app.get("/")
        async def root():
            return os.listdir("."), M
        """,
        "from fastapi import FastAPI\nfrom fastapi.concurrency import run_in_threadpool\nfrom pydantic",
    ),
}


@pytest.mark.parametrize("case", WRAP_CASES, ids=list(WRAP_CASES))
def test_wrap_blocking_imports_keep_a_sorted_block_sorted(tmp_path: Path, case: str) -> None:
    threadpool, source, expected = WRAP_CASES[case]
    write_tree(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT
            + f"\n[tool.codemod.wrap-blocking-calls]\nthreadpool = '{threadpool}'\n"
        },
    )
    after = apply(tmp_path, {"svc/main.py": source}, "wrap-blocking-calls")
    assert expected in after, after
    assert ruff(tmp_path, "check", "--select", "I").returncode == 0, after
    assert format_clean(tmp_path), after


def test_unsorted_block_keeps_the_old_placement(tmp_path: Path) -> None:
    source = """
        import sys
        import os

        app = None


        def f():
            import json

            return json, os, sys
        """
    write_tree(
        tmp_path, {"pyproject.toml": PYPROJECT, "svc/__init__.py": "", "svc/main.py": source}
    )
    run_tree(tmp_path, Options(select=("hoist-imports",)), write=True)
    after = (tmp_path / "svc/main.py").read_text(encoding="utf-8")
    assert after.startswith("import sys\nimport os\nimport json\n"), after


def test_long_merged_from_import_is_wrapped(tmp_path: Path) -> None:
    source = """
        from contextlib import AbstractContextManager, ExitStack, closing, contextmanager

        from fastapi import FastAPI

        app = FastAPI()


        def f():
            from contextlib import nullcontext

            return AbstractContextManager, ExitStack, closing, contextmanager, nullcontext
        """
    after = apply(tmp_path, {"svc/main.py": source}, "hoist-imports")
    assert "from contextlib import (\n    AbstractContextManager,\n" in after, after
    assert "    contextmanager,\n    nullcontext,\n)\n" in after, after
    assert max(len(line) for line in after.splitlines()) <= 88, after
    assert isort_clean(tmp_path), after
    assert format_clean(tmp_path), after


def test_long_merged_line_in_unsorted_block_is_wrapped_too(tmp_path: Path) -> None:
    source = """
        import sys
        import os
        from contextlib import AbstractContextManager, ExitStack, closing, contextmanager

        app = (os, sys)


        def f():
            from contextlib import nullcontext

            return AbstractContextManager, ExitStack, closing, contextmanager, nullcontext
        """
    write_tree(
        tmp_path, {"pyproject.toml": PYPROJECT, "svc/__init__.py": "", "svc/main.py": source}
    )
    run_tree(tmp_path, Options(select=("hoist-imports",)), write=True)
    after = (tmp_path / "svc/main.py").read_text(encoding="utf-8")
    assert "    contextmanager,\n    nullcontext,\n)\n" in after, after
    assert format_clean(tmp_path), after
