"""``add_imports`` (AddImportsVisitor on the head of the module) equals libcst's own run when
no block is sorted (the placement by ruff's order is tested in ``test_import_order.py``)."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, ImportItem

from codemods.imports.add import add_imports
from codemods.imports.order import ImportStyle

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
    # long import blocks: only the lines naming a requested module reach the visitor
    '"""doc"""\nimport a\nimport asyncio\nimport b\nfrom c import d\n\nx = 1\n',
    "import a\nfrom starlette.concurrency import iterate_in_threadpool\nimport b\nimport c\n",
    "import a\nfrom fastapi.concurrency import x as y  # keep\nimport b\n# lead\nx = 1\n",
    "import a\nfrom . import sibling\nfrom .pkg import thing\nimport b\ndef f(): pass\n",
    "import a\nfrom contextlib import *\nimport b\nimport os.path\nimport sys as system\nz = 0\n",
    "import a\nimport os, asyncio as aio\nimport b\nfrom os import sep\n",
    "__strict__ = True\nimport a\nimport b\nimport sys\nimport c\n\n\nclass C:\n    pass\n",
    "import a\nimport b\nimport c\n",
    "import a; import asyncio\nimport b\nimport c\nx = 1\n",
]
#: libcst's own placement: no block counts as sorted, no line is too long
UNSORTED = ImportStyle(line_length=10**6, sorting=False)
CASES = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*/*.before.py"))] + INLINE


def reference(code: str, imports: list[tuple[str, str | None]]) -> str:
    items = [ImportItem(name, obj, None, 0) for name, obj in imports]
    return AddImportsVisitor(CodemodContext(), items).transform_module(cst.parse_module(code)).code


@pytest.mark.parametrize("imports", REQUESTS, ids=lambda r: ",".join(f"{m}.{o}" for m, o in r))
def test_same_output_as_libcst(imports: list[tuple[str, str | None]]) -> None:
    for code in CASES:
        assert add_imports(cst.parse_module(code), imports, UNSORTED).code == reference(
            code, imports
        ), code


def test_fixture_corpus_is_not_empty() -> None:
    assert len(CASES) > 100 and Path(FIXTURES).is_dir()


def _block(names: list[int], requested: list[tuple[str, str | None]]) -> str:
    pool = [
        "import a\n",
        "import asyncio\n",
        "import os\n",
        "import sys as s\n",
        "from b import c\n",
        "from contextlib import asynccontextmanager\n",
        "from contextlib import suppress\n",
        "from starlette.concurrency import run_in_threadpool\n",
        "from . import rel\n",
        "from fastapi.concurrency import *\n",
        "# comment\nimport z\n",
        "\nimport y\n",
    ]
    return "".join(pool[i % len(pool)] for i in names)


@pytest.mark.parametrize("imports", REQUESTS, ids=lambda r: ",".join(f"{m}.{o}" for m, o in r))
@pytest.mark.parametrize("seed", range(40))
def test_long_import_blocks_same_output_as_libcst(
    imports: list[tuple[str, str | None]], seed: int
) -> None:
    """Import blocks of every mix, with a docstring or not and code after or not."""
    import random

    rnd = random.Random(seed)
    block = _block([rnd.randrange(100) for _ in range(rnd.randrange(2, 14))], imports)
    code = (
        rnd.choice(["", '"""doc"""\n'])
        + block
        + rnd.choice(["", "\nx = 1\n", "def f():\n    pass\n"])
    )
    assert add_imports(cst.parse_module(code), imports, UNSORTED).code == reference(
        code, imports
    ), code
