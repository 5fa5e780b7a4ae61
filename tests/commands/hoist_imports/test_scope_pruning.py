"""hoist-imports resolves scopes with the functions that never mention a candidate's name
emptied (``scope_pruning``): every answer must be the same as with the whole module."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods import registry
from codemods.commands.hoist_imports import scope_pruning
from codemods.commands.hoist_imports.scope_pruning import emptied, prunable

from ...helpers import assert_same_when_disabled, fixture_texts
from ...test_properties import shaped_programs

HOIST = registry.get("hoist-imports")

#: Each mentions a candidate's name only somewhere pruning must notice.
INLINE = [
    # a binding of the name in another function, as a loop target (F402) or unused import (F811)
    "def f():\n    import json\n    return json\n\n\ndef g():\n    for json in x:\n        pass\n",
    "def f():\n    import json\n\n\ndef g():\n    json = 1\n    return json\n",
    # only in a string annotation, a comment, a decorator, a default
    "def f():\n    import json\n    return json\n\n\ndef g(a: 'json.JSONDecoder'):\n    pass\n",
    "def f():\n    import json\n    return json\n\n\ndef g():\n    pass  # json\n",
    "def f():\n    import json\n    return json\n\n\n@json.dumps\ndef g():\n    pass\n",
    "def f():\n    import json\n    return json\n\n\ndef g(a=json):\n    return a\n",
    # an escape that spells the name in an annotation libcst evaluates
    "def f():\n    import json\n    return json\n\n\ndef g(a: '\\x6ason.JSONDecoder'):\n    pass\n",
    # enclosing functions, methods, nested classes, global and nonlocal
    "def outer():\n    import os\n    def inner():\n        import os\n        return os\n    return inner, os\n",
    "class C:\n    def m(self):\n        import os\n        return os\n\n    def n(self):\n        global os\n        os = 1\n",
    "def f():\n    x = 1\n    def g():\n        nonlocal x\n        import x\n        return x\n",
    "import sys\n\ndef f():\n    import os\n    return os\n\n\ndef g():\n    if sys:\n        def h():\n            os = 2\n            return os\n",
    "def f():\n    from os import path\n    return path\n\n\ndef g():\n    match x:\n        case path:\n            pass\n",
    "def f():\n    import re\n    return [re for re in x]\n\n\ndef g():\n    return [y for y in z]\n",
    "def f():\n    import json\n    def unrelated():\n        return 1\n    return json, unrelated\n",
]


def same_both_ways(source: str, unsafe: bool) -> None:
    assert_same_when_disabled(scope_pruning, source, [HOIST], unsafe)


def cases() -> Iterator[str]:
    return fixture_texts(INLINE)


@pytest.mark.parametrize("unsafe", [False, True])
def test_pruned_scopes_give_the_same_answers(unsafe: bool) -> None:
    sources = list(cases())
    assert len(sources) > 100  # every fixture, not an empty glob
    for source in sources:
        same_both_ways(source, unsafe)


UNRELATED = st.sampled_from([
    "def other(a):\n    return a + 1\n",
    "class K:\n    def m(self):\n        for json in self:\n            pass\n",
    "def other2():\n    os = 1\n    return os\n",
    "def other3(x: 'Path'):\n    return [y for y in x]\n",
])  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(shaped_programs(), st.lists(UNRELATED, max_size=3), st.booleans())
def test_shaped_programs_with_unrelated_functions(source: str, extra: list[str], unsafe: bool) -> None:
    same_both_ways(source + "".join(f"\n\n{e}" for e in extra), unsafe)


def _bodies(source: str, names: set[str]) -> list[str]:
    module = cst.parse_module(source)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return [module.code_for_node(b).strip() for b in prunable(module, positions, source, names)]


def test_only_functions_that_never_mention_a_name_are_emptied() -> None:
    source = (
        "def f():\n    import json\n    return json\n\n"
        "def plain():\n    return 1\n\n"
        "def annotated(a: 'json'):\n    return 2\n\n"
        "def escaped(a: '\\x6a'):\n    return 3\n\n"
        "if x:\n    def guarded():\n        return 4\n\n"
        "class C:\n    def m(self):\n        return 5\n\n    def n(self):\n        return json\n\n"
        "def outer():\n    json = 1\n    def inner():\n        return 6\n    return json\n"
    )
    assert _bodies(source, {"json"}) == ["return 1", "return 4", "return 5", "return 6"]
    assert _bodies(source, set()) == []


def test_emptied_bodies_are_restored() -> None:
    source = "def f():\n    import json\n\ndef g():\n    a = 1\n    return a\n"
    module = cst.parse_module(source)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    blocks = prunable(module, positions, source, {"json"})
    assert len(blocks) == 1
    with emptied(blocks):
        assert module.code == "def f():\n    import json\n\ndef g():\n    pass\n"
    assert module.code == source


def test_a_source_that_is_not_the_modules_prunes_nothing() -> None:
    source = "def f():\n    import json\n\ndef g():\n    return 1\n"
    module = cst.parse_module(source)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    assert prunable(module, positions, "def f(): pass\n", {"json"}) == []

