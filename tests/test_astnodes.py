"""astnodes: the node list is ``ast.walk``'s, node for node and in its order, and each node's
children are ``ast.iter_child_nodes``'."""

from __future__ import annotations

import ast

from codemods.astkit import astnodes

from .test_statement_lines import sources

#: Fields of every kind, including the classes ``astnodes`` reads without their scalar fields.
EDGES = """
from . import a as b
from ..x.y import (c, d as e)
import os.path as p, sys
global g
def f(a: int = 1, /, *args: str, k: "T" = 2, **kw) -> None:
    nonlocal_ = 1
    x.y.z = f"{a!r:>{k}}" + b"\\x00" + 1j + ...
    print(*args, sep="", **kw)
async def h():
    async with a as (b, c):
        async for d in e:
            await d
class C(B, metaclass=M):
    def m(self): return [i for i in range(3) if i] or {k: v for k, v in {}.items()}
try:
    pass
except* ValueError as err:
    raise
match v:
    case {"k": [1, *rest], **others} if rest:
        pass
    case Point(x=0) | None as q:
        pass
lambda: (yield)
"""


def assert_walks_alike(source: str) -> int:
    tree = ast.parse(source)
    listed = astnodes.nodes(tree)
    walked = list(ast.walk(ast.parse(source)))
    assert [type(n) for n in listed] == [type(n) for n in walked]
    assert [getattr(n, "lineno", None) for n in listed] == [getattr(n, "lineno", None) for n in walked]
    for node in listed:
        assert astnodes.children(node) == list(ast.iter_child_nodes(node))
    assert astnodes.nodes(tree) == listed  # kept on the tree, the same again
    return len(listed)


def test_edges() -> None:
    assert assert_walks_alike(EDGES) > 150


def test_every_fixture_and_module() -> None:
    total = 0
    for source in sources():
        try:
            total += assert_walks_alike(source)
        except SyntaxError:
            continue
    assert total > 100_000
