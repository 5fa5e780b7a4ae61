"""asts: one ``ast`` tree per text, shared, and never modified by the phases that share it."""

from __future__ import annotations

import ast

import pytest

from codemods import registry
from codemods.astkit import asts
from codemods.engine import transform_source
from codemods.types import Options

from .helpers import FIXTURES


def test_the_same_text_is_read_once() -> None:
    text = "import os\n"
    first = asts.parse(text)
    assert asts.parse("".join(["import os", "\n"])) is first  # equal text, another object
    assert asts.parse("import sys\n") is not first


def test_only_the_last_texts_are_kept() -> None:
    trees = [asts.parse(f"x = {i}\n") for i in range(asts.KEEP + 1)]
    assert asts.parse(f"x = {asts.KEEP}\n") is trees[-1]
    assert asts.parse("x = 0\n") is not trees[0]
    assert len(asts._TREES) == asts.KEEP


def test_a_text_that_does_not_parse_raises_every_time() -> None:
    for _ in range(2):
        with pytest.raises(SyntaxError):
            asts.parse("def f(:\n")


def test_no_phase_modifies_a_shared_tree() -> None:
    """Every codemod runs on every fixture with the trees shared; each tree still reads as a
    fresh parse of its text."""
    codemods = list(registry.all_codemods().values())
    checked = 0
    for path in sorted(FIXTURES.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        try:
            tree = asts.parse(text)
        except SyntaxError:
            continue
        try:
            result = transform_source(text, codemods, Options(unsafe_fixes=True), path=path)
        except Exception:  # a fixture of a failure: the tree is still checked
            result = None
        assert ast.dump(tree, include_attributes=True) == ast.dump(ast.parse(text), include_attributes=True)
        if result is not None and result.code != text:
            out = asts.parse(result.code)
            assert ast.dump(out, include_attributes=True) == ast.dump(ast.parse(result.code), include_attributes=True)
        checked += 1
    assert checked > 150
