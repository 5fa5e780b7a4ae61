"""hoist-imports' statement-level walks find what a visitor over every node finds.

``extra_bindings`` (``global``/``nonlocal``/``del``/``match`` bindings) and the loop targets of
``shadow`` read only statements and ``case`` patterns; the reference here is the full
libcst visitor they replaced, run on every fixture and on inline edge cases.
"""

from __future__ import annotations

import libcst as cst
import pytest

from codemods.commands.hoist_imports.rules import BindingCollector, extra_bindings
from codemods.commands.hoist_imports.shadow import _loop_targets

from ...helpers import fixture_texts

INLINE = [
    "def f():\n    global a, b\n    nonlocal_ = 1\n",
    "def f():\n    x = 1\n    def g():\n        nonlocal x\n        del x\n",
    "def f():\n    if a: del b; global c\n    else: del (d, [e])\n",
    "def f():\n    for i in x: pass\n    else:\n        del f2\n    while y: del g\n",
    "def f():\n    try:\n        pass\n    except E:\n        del h\n    else:\n        del i\n    finally:\n        del j\n",
    "def f():\n    try:\n        pass\n    except* E:\n        del k\n",
    "def f():\n    with a as b:\n        del b\n    if x:\n        pass\n    elif y:\n        del m\n    elif z: del n\n",
    "def f(p):\n    match p:\n        case [a, *rest]:\n            del a\n        case {'k': v, **others}:\n            pass\n        case Point(x=xx) | (yy as zz):\n            pass\n",
    "def f(): global q\n",
    "class C:\n    def m(self):\n        del self.x\n        global r\n    del s\n",
    "del t\nfor (u, [w, *rest]) in z: pass\nasync def g():\n    async for aa in z:\n        for bb, cc in y: pass\n",
    "def f():\n    def g():\n        for inner in z: pass\n    class K:\n        for attr in z: pass\n    lam = lambda: [x for x in y]\n",
    "for a.b in z: pass\nfor c[0] in z: pass\n",
]
CASES = [
    text
    for text in fixture_texts(INLINE)
    if ":=" not in text
]


class _Owners(cst.CSTVisitor):
    def __init__(self) -> None:
        self.functions: list[cst.FunctionDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)


class _ReferenceLoopTargets(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[int] = set()

    def visit_For(self, node: cst.For) -> None:
        self._add(node.target)

    def _add(self, node: cst.BaseExpression) -> None:
        if isinstance(node, cst.Name):
            self.names.add(id(node))
        elif isinstance(node, cst.Tuple | cst.List):
            for element in node.elements:
                self._add(element.value)


def _parse(text: str) -> cst.Module:
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError:
        pytest.skip("not Python (an unparsable-input fixture)")


@pytest.mark.parametrize("text", CASES)
def test_extra_bindings_equal_the_full_visitor(text: str) -> None:
    module = _parse(text)
    owners = _Owners()
    module.visit(owners)
    lines: dict[cst.CSTNode, int] = {}

    def line(node: cst.CSTNode) -> int:  # a distinct number per node: order matters too
        return lines.setdefault(node, len(lines) + 1)

    for owner in [module, *owners.functions]:
        reference = BindingCollector(owner, line)
        owner.visit(reference)
        assert extra_bindings(owner, line, ":=" in text) == reference.extra


@pytest.mark.parametrize("text", CASES)
def test_loop_targets_equal_the_full_visitor(text: str) -> None:
    module = _parse(text)
    reference = _ReferenceLoopTargets()
    module.visit(reference)
    assert _loop_targets(module) == reference.names


def test_the_cases_exercise_every_kind_of_binding() -> None:
    """Guards the test above against passing on inputs that bind nothing."""
    module = cst.parse_module("".join(INLINE[:8]))
    seen = {"globals": False, "nonlocals": False, "bound": False}
    owners = _Owners()
    module.visit(owners)
    for owner in owners.functions:
        extra = extra_bindings(owner, lambda node: 1, False)
        seen["globals"] |= bool(extra.globals)
        seen["nonlocals"] |= bool(extra.nonlocals)
        seen["bound"] |= bool(extra.bound)
    assert all(seen.values())
    assert len(_loop_targets(cst.parse_module(INLINE[10]))) == 6


def test_a_walrus_is_found_by_the_full_visitor() -> None:
    text = "def f():\n    if (n := 1):\n        pass\n"
    module = cst.parse_module(text)
    fn = module.body[0]
    assert isinstance(fn, cst.FunctionDef)
    assert extra_bindings(fn, lambda node: 2, ":=" in text).bound == {"n": 2}
