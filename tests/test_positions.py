"""``FastPositionProvider`` must give every node the range libcst's ``PositionProvider`` gives."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods.cstkit.positions import FastPositionProvider, Positions

from .helpers import FIXTURES
from .test_properties import shaped_programs

ROOT = Path(__file__).resolve().parent.parent

EDGES = {
    "empty": "",
    "only a comment, no newline": "# hello",
    "no trailing newline": "import os\nx = 1",
    "crlf": "import os\r\n\r\ndef f():\r\n    import json\r\n    return json\r\n",
    "lone cr": "import os\rx = (1,\r     2)\r",
    "mixed newlines in a string": 'x = """a\r\nb\rc\nd"""\n',
    "tabs": "if x:\n\tdef f():\n\t\treturn (\n\t\t\t1)\n",
    "continuation": "x = 1 + \\\n    2\nassert x, \\\n  'm'\n",
    "decorators and comments": "# c\n\n@a\n# between\n@b(\n  1)\nasync def f(x: 'int' = 3) -> None:  # t\n    '''doc'''\n    await g(); h()\n",
    "class and semicolons": "class C(B, metaclass=M):\n    x = 1; y = 2\n    def m(self): return [i for i in self if i]\n",
    "try, match, with": (
        "try:\n    import a\nexcept* E as e:\n    pass\nelse:\n    pass\nfinally:\n    pass\n"
        "match p:\n    case [1, *rest] | {'k': v} if v:\n        pass\n"
        "with (open(a) as f, open(b) as g):\n    pass\n"
    ),
    "f-strings and lambdas": "x = f'{a!r:>{w}}' + f\"{'q'}\"\ny = lambda a, *b, c=1, **d: (a, b)\n",
    "PEP 695": "type A[T] = list[T]\ndef f[T: int, *Ts, **P](x: T) -> T:\n    return x\n",
    "deep indentation": "if a:\n    if b:\n        while c:\n            for d in e:\n                x = 1\n        else:\n            y = 2\n",
}


def assert_same(source: str) -> None:
    module = cst.parse_module(source)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    expected = wrapper.resolve(PositionProvider)
    fast = wrapper.resolve(FastPositionProvider)
    assert isinstance(fast, Positions)
    assert set(fast) == set(expected) and len(fast) == len(expected)
    for node, where in expected.items():
        assert fast[node] == where, (type(node).__name__, where, fast[node])
        assert fast.line(node) == where.start.line
        assert fast.end_line(node) == where.end.line
    assert cst.Name("not_in_module") not in fast


@pytest.mark.parametrize("name", sorted(EDGES))
def test_edge_cases(name: str) -> None:
    assert_same(EDGES[name])


def test_every_fixture_and_every_module_of_this_repository() -> None:
    paths = sorted(FIXTURES.rglob("*.py")) + sorted((ROOT / "codemods").rglob("*.py"))
    checked = 0
    for path in paths:
        source = path.read_text(encoding="utf-8")
        try:
            cst.parse_module(source)
        except cst.ParserSyntaxError:
            continue
        assert_same(source)
        checked += 1
    assert checked > 150


@settings(max_examples=60, deadline=None)
@given(shaped_programs())
def test_generated_programs(source: str) -> None:
    assert_same(source)


def test_positions_are_read_without_generating_the_code_again() -> None:
    """A lookup turns the recorded token indices into a line and column: it is the module's
    own code that is counted, also after the module drops its last newline."""
    source = "def f():\n    x = 1\n    return x\n"
    module = cst.parse_module(source)
    fast = Positions(module)
    ret = module.body[0].body.body[1]  # type: ignore[attr-defined]
    assert (fast.line(ret), fast[ret].start.column, fast[ret].end.column) == (3, 4, 12)
    assert fast[module].end.line == 4  # PositionProvider counts the dropped newline too
