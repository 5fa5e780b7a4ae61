"""asts: the ``ast`` trees of one run, one per text, shared by the phases of one owner, never
modified by them, and never shared between two owners."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from codemods import registry
from codemods.api import run_paths
from codemods.astkit.asts import KEEP, Trees
from codemods.engine import transform_source
from codemods.types import Options

from .helpers import FIXTURES

#: hoist-imports and wrap-blocking-calls both read ``ast``: in the prefilter (``may_change``)
#: and in their transform (statement lines, own facts, name bindings); the printer does too.
BOTH = ["hoist-imports", "wrap-blocking-calls"]
SOURCE = """\
import time


async def handler():
    import json

    time.sleep(1)
    return json.dumps({})
"""


def test_the_same_text_is_read_once() -> None:
    trees = Trees()
    text = "import os\n"
    first = trees.parse(text)
    assert trees.parse("".join(["import os", "\n"])) is first  # equal text, another object
    assert trees.parse("import sys\n") is not first
    assert trees.parsed == 2


def test_only_the_last_texts_are_kept() -> None:
    trees = Trees()
    kept = [trees.parse(f"x = {i}\n") for i in range(KEEP + 1)]
    assert trees.parse(f"x = {KEEP}\n") is kept[-1]
    assert trees.parse("x = 0\n") is not kept[0]
    assert trees.parsed == KEEP + 2


def test_a_text_that_does_not_parse_raises_every_time() -> None:
    trees = Trees()
    for _ in range(2):
        with pytest.raises(SyntaxError):
            trees.parse("def f(:\n")


def test_two_memos_share_no_tree() -> None:
    one, other = Trees(), Trees()
    assert one.parse("import os\n") is not other.parse("import os\n")
    assert (one.parsed, other.parsed) == (1, 1)


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every ``ast.parse`` of this process from now on, by the text it read."""
    texts: Counter[str] = Counter()
    parse = ast.parse

    def counting(source: Any, *args: Any, **kwargs: Any) -> Any:
        texts[source if isinstance(source, str) else repr(source)] += 1
        return parse(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    return texts


def test_one_transform_reads_its_text_with_ast_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The prefilter, the preflight, the printer and both codemods read the one tree the
    engine's memo holds; a second engine with a memo of its own reads the text again."""
    codemods = [registry.all_codemods()[i] for i in BOTH]
    texts = _count_parses(monkeypatch)
    trees = Trees()
    result = transform_source(SOURCE, codemods, Options(unsafe_fixes=True), trees=trees)
    assert {c.codemod for c in result.changes if c.applied} == set(BOTH)  # both read the tree
    assert texts[SOURCE] == 1
    other = Trees()
    again = transform_source(SOURCE, codemods, Options(unsafe_fixes=True), trees=other)
    assert again.code == result.code
    assert texts[SOURCE] == 2
    assert other.parsed == trees.parsed


def test_a_one_file_run_reads_the_file_with_ast_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gather phase and the transform of a one-file run share the run's memo."""
    path = tmp_path / "app.py"
    path.write_text(SOURCE, encoding="utf-8")
    texts = _count_parses(monkeypatch)
    options = Options(select=tuple(BOTH), unsafe_fixes=True)
    (result,) = run_paths([path], options, jobs=1)
    assert result.failure is None and result.changed
    assert texts[SOURCE] == 1


def test_no_phase_modifies_a_shared_tree() -> None:
    """Every codemod runs on every fixture with the trees shared; each tree still reads as a
    fresh parse of its text."""
    codemods = list(registry.all_codemods().values())
    checked = 0
    for path in sorted(FIXTURES.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        trees = Trees()
        try:
            tree = trees.parse(text)
        except SyntaxError:
            continue
        try:
            result = transform_source(
                text, codemods, Options(unsafe_fixes=True), path=path, trees=trees
            )
        except Exception:  # a fixture of a failure: the tree is still checked
            result = None
        assert ast.dump(tree, include_attributes=True) == ast.dump(
            ast.parse(text), include_attributes=True
        )
        if result is not None and result.code != text:
            out = trees.parse(result.code)
            assert ast.dump(out, include_attributes=True) == ast.dump(
                ast.parse(result.code), include_attributes=True
            )
        checked += 1
    assert checked > 150
