"""``add_imports`` (AddImportsVisitor on the head of the module) equals libcst's own run."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, ImportItem

from codemods.visitors.add_imports import add_imports

from .helpers import FIXTURES

REQUESTS = [
    [("asyncio", None)],
    [("starlette.concurrency", "run_in_threadpool")],
    [("contextlib", "asynccontextmanager"), ("os", None)],
    [("fastapi.concurrency", "run_in_threadpool"), ("asyncio", None), ("sys", None)],
]
INLINE = [
    "",
    "x = 1\n",
    '"""doc"""\n',
    '"""doc"""\nimport os\n',
    "import os\n",
    "from __future__ import annotations\n\ndef f():\n    import asyncio\n",
    "# comment\nfrom starlette.concurrency import iterate_in_threadpool\n# lead\nx = 1\n",
    "import os\nx = 1\nfrom contextlib import contextmanager\n",
    "try:\n    import uvloop\nexcept ImportError:\n    pass\n",
]
CASES = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*/*.before.py"))] + INLINE


def reference(code: str, imports: list[tuple[str, str | None]]) -> str:
    items = [ImportItem(name, obj, None, 0) for name, obj in imports]
    return AddImportsVisitor(CodemodContext(), items).transform_module(cst.parse_module(code)).code


@pytest.mark.parametrize("imports", REQUESTS, ids=lambda r: ",".join(f"{m}.{o}" for m, o in r))
def test_same_output_as_libcst(imports: list[tuple[str, str | None]]) -> None:
    for code in CASES:
        assert add_imports(cst.parse_module(code), imports).code == reference(code, imports), code


def test_fixture_corpus_is_not_empty() -> None:
    assert len(CASES) > 100 and Path(FIXTURES).is_dir()
