"""statement_lines: the statement lines hoist-imports takes from ``ast`` are libcst's, and taking
them changes no outcome."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codemods.commands.hoist_imports import Command
from codemods.cstkit import statement_lines
from codemods.cstkit.positions import Positions
from codemods.cstkit.statement_lines import LazyPositions
from codemods.cstkit.statement_lines import statement_lines as table_of

from .helpers import (
    FIXTURES,
    assert_every_codemod_same_when_disabled,
    assert_same_when_disabled,
    fixture_texts,
)
from .test_positions import EDGES
from .test_properties import PROFILE, shaped_programs

ROOT = Path(__file__).resolve().parent.parent

MORE = {
    "closing comment": "def f():\n    import os\n    # the end\n\nx = 1\n",
    "elif chain": "if a:\n    pass\nelif b:\n    import os\nelif c: import sys\nelse:\n    pass\n",
    "one-line suites": "def f(): import os; return os\nclass C: x = 1\nfor i in x: pass\nelse: y = 2\n",
    "async": "async def f():\n    async with a as b:\n        async for c in b:\n            import os\n",
    "decorated": "@a\n\n@b(\n  1)\ndef f():\n    import os\n",
    "multi-line import": "def f():\n    from os import (\n        path,\n        sep,\n    )\n    import a, \\\n        b\n",
    "try star": "try:\n    import a\nexcept* E:\n    import b\nelse:\n    import c\nfinally:\n    import d\n",
}


def sources() -> Iterator[str]:
    for path in sorted(FIXTURES.rglob("*.py")) + sorted((ROOT / "codemods").rglob("*.py")):
        yield path.read_text(encoding="utf-8")
    yield from EDGES.values()
    yield from MORE.values()


def _both(source: str) -> tuple[cst.Module, ast.Module] | None:
    try:
        return cst.parse_module(source), ast.parse(source)
    except (cst.ParserSyntaxError, SyntaxError):
        return None


def assert_same(source: str) -> int:
    """Every answer from the table is the full positions' answer; returns how many there were."""
    both = _both(source)
    if both is None:
        return 0
    module, tree = both
    full = Positions(module)
    lazy = LazyPositions(module, tree, source)
    table = table_of(module, tree)
    for node, (first, last, exact) in table.items():
        assert lazy.line(node) == full.line(node) == first, (type(node).__name__, first)
        if exact:
            assert lazy.lines(node) == (full.line(node), full.end_line(node)), type(node).__name__
        else:
            assert first <= last <= full.end_line(node)
        assert node in lazy
    assert "full" not in lazy.__dict__ or "\r" in source  # nothing above needed the full positions
    return len(table)


def test_every_statement_of_every_fixture_and_module() -> None:
    assert sum(assert_same(source) for source in sources()) > 10_000


@pytest.mark.parametrize("name", sorted(MORE))
def test_more_cases(name: str) -> None:
    assert assert_same(MORE[name]) > 0


def test_trees_that_do_not_pair_give_nothing() -> None:
    module = cst.parse_module("import os\nx = 1\n")
    assert table_of(module, ast.parse("import os\n")) == {}
    assert table_of(module, ast.parse("import os\nx = 1\ny = 2\n")) == {}
    assert table_of(module, ast.parse("import os\ndef x(): pass\n")) == {}
    assert LazyPositions(module, ast.parse("import os\r\nx = 1\r\n"), "\r")._table == {}


def test_other_nodes_take_the_full_positions() -> None:
    source = "def f():\n    import os\n    return os.sep\n"
    module = cst.parse_module(source)
    lazy = LazyPositions(module, ast.parse(source), source)
    ret = module.body[0].body.body[1].body[0]  # type: ignore[attr-defined]
    assert "full" not in lazy.__dict__
    assert lazy.lines(ret.value) == (3, 3) and lazy[ret.value].start.column == 11
    assert "full" in lazy.__dict__


@pytest.mark.parametrize("unsafe", [False, True])
def test_every_codemod_gives_the_same_results(unsafe: bool) -> None:
    assert_every_codemod_same_when_disabled(statement_lines, fixture_texts(MORE.values()), unsafe)


@PROFILE
@given(shaped_programs(), st.booleans())
def test_shaped_programs_give_the_same_results(source: str, unsafe: bool) -> None:
    assert_same_when_disabled(statement_lines, source, [Command], unsafe)


@PROFILE
@given(shaped_programs())
def test_shaped_programs_lines(source: str) -> None:
    assert_same(source)


class _Stacks(cst.CSTVisitor):
    """Every node with its ancestors (outermost first)."""

    def __init__(self) -> None:
        self.stack: list[cst.CSTNode] = []
        self.found: list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.stack.append(node)
        self.found.append((node, tuple(self.stack)))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()


def assert_one_line(source: str) -> int:
    """Every expression :func:`one_line` places is on that line alone, by the full positions."""
    both = _both(source)
    if both is None:
        return 0
    module, tree = both
    full = Positions(module)
    table = statement_lines.usable_lines(module, tree, source)
    stacks = _Stacks()
    module.visit(stacks)
    placed = 0
    for node, ancestors in stacks.found:
        if not isinstance(node, cst.BaseExpression):
            continue
        line = statement_lines.one_line(table, ancestors)
        if line is not None:
            assert (full.line(node), full.end_line(node)) == (line, line), type(node).__name__
            placed += 1
    return placed


def test_one_line_nodes_of_every_fixture_and_module() -> None:
    assert sum(assert_one_line(source) for source in sources()) > 20_000


@PROFILE
@given(shaped_programs())
def test_one_line_nodes_of_shaped_programs(source: str) -> None:
    assert_one_line(source)
