"""path_rebuild: rebuilding along the entered nodes gives what libcst's transformer gives, and
keeps every node it does not have to rebuild."""

from __future__ import annotations

import libcst as cst
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codemods.commands.hoist_imports import Command as Hoist
from codemods.commands.hoist_imports.edits import _Editor
from codemods.commands.wrap_blocking_calls import Command as Wrap
from codemods.cstkit import path_rebuild
from codemods.cstkit.path_rebuild import rebuild

from .helpers import (
    assert_every_codemod_same_when_disabled,
    assert_same_when_disabled,
    fixture_texts,
)
from .test_properties import PROFILE, shaped_programs

SOURCE = "def f(a, b=1):\n    x = g(a)  # keep\n    return h(x, k=b)\n\n\ndef other():\n    return g(1)\n"


class Renamer(cst.CSTTransformer):
    """Renames every call it leaves to ``g2``; enters only the nodes listed."""

    def __init__(self, entered: set[int]) -> None:
        super().__init__()
        self.entered = entered
        self.left: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) in self.entered

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        self.left.append(cst.Module([]).code_for_node(original_node))
        return updated_node.with_changes(func=cst.Name("g2"))


def _path_to_first_call(module: cst.Module) -> set[int]:
    """The ids of the module, ``f`` and the nodes down to ``g(a)``: the call itself is not entered."""
    f = module.body[0]
    assert isinstance(f, cst.FunctionDef)
    line = f.body.body[0]
    assert isinstance(line, cst.SimpleStatementLine)
    assign = line.body[0]
    return {id(module), id(f), id(f.body), id(line), id(assign)}


def test_the_same_code_and_leave_calls_as_libcst() -> None:
    module = cst.parse_module(SOURCE)
    entered = _path_to_first_call(module)
    plain = Renamer(entered)
    expected = module.visit(plain)
    fast = Renamer(entered)
    got = rebuild(module, fast, fast.on_visit, (cst.Call,))
    assert isinstance(got, cst.Module) and isinstance(expected, cst.Module)
    assert got.code == expected.code
    assert "x = g2(a)  # keep" in got.code and "return h(x, k=b)" in got.code
    assert fast.left == plain.left == ["g(a)"]


def test_nodes_not_on_the_way_keep_their_identity() -> None:
    module = cst.parse_module(SOURCE)
    renamer = Renamer(_path_to_first_call(module))
    got = rebuild(module, renamer, renamer.on_visit, (cst.Call,))
    assert isinstance(got, cst.Module)
    f, other = got.body
    assert other is module.body[1]  # libcst's transformer would keep it too: not entered
    assert isinstance(f, cst.FunctionDef) and isinstance(module.body[0], cst.FunctionDef)
    assert f.params is module.body[0].params  # entered parent, untouched child: kept here
    assert f.body.body[1] is module.body[0].body.body[1]


def test_a_removal_is_refused() -> None:
    class Remover(cst.CSTTransformer):
        def leave_Pass(self, original_node: cst.Pass, updated_node: cst.Pass) -> cst.RemovalSentinel:
            return cst.RemovalSentinel.REMOVE

    module = cst.parse_module("pass; x = 1\n")
    remover = Remover()
    with pytest.raises(TypeError):
        rebuild(module, remover, lambda node: True, (cst.Pass,))


def test_the_editor_declares_every_leave_hook() -> None:
    hooks = {name.removeprefix("leave_") for name in vars(_Editor) if name.startswith("leave_")}
    assert hooks == {kind.__name__ for kind in _Editor.LEAVES}


@pytest.mark.parametrize("unsafe", [False, True])
def test_every_codemod_gives_the_same_results(unsafe: bool) -> None:
    assert_every_codemod_same_when_disabled(path_rebuild, fixture_texts([SOURCE]), unsafe)


@PROFILE
@given(shaped_programs(), st.booleans())
def test_shaped_programs_give_the_same_results(source: str, unsafe: bool) -> None:
    assert_same_when_disabled(path_rebuild, source, [Hoist, Wrap], unsafe)
