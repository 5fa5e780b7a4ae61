"""Every node of a stdlib ``ast`` tree, listed once per tree.

The gather phase asks several questions of each file's tree (which imports it has, whether it
has an ``async def``, its ``global`` statements, ...). Each used to be its own ``ast.walk``, and
``ast.walk`` is slow Python: four walks were a third of the gather phase. :func:`nodes` walks a
tree once, in ``ast.walk``'s order, and keeps the list on the tree for the next question.
"""

from __future__ import annotations

import ast

_ATTR = "_codemod_nodes"
_INDEX = "_codemod_index"


def nodes(tree: ast.AST) -> list[ast.AST]:
    """The nodes ``ast.walk(tree)`` yields, in the same order (computed once per tree).

    Only for trees that are not modified afterwards: the list is not updated."""
    found: list[ast.AST] | None = getattr(tree, _ATTR, None)
    if found is None:
        found = [tree]
        append, extend, index = found.append, found.extend, 0
        AST = ast.AST
        while index < len(found):
            node = found[index]
            index += 1
            for name in node._fields:
                value = getattr(node, name, None)
                if isinstance(value, list):
                    extend([item for item in value if isinstance(item, AST)])
                elif isinstance(value, AST):
                    append(value)
        setattr(tree, _ATTR, found)
    return found


def of_type(tree: ast.AST, kind: type[ast.AST]) -> list[ast.AST]:
    """The nodes of exactly type ``kind`` in ``tree``, in ``ast.walk`` order."""
    index: dict[type, list[ast.AST]] | None = getattr(tree, _INDEX, None)
    if index is None:
        index = {}
        for node in nodes(tree):
            index.setdefault(type(node), []).append(node)
        setattr(tree, _INDEX, index)
    return index.get(kind, [])


def children(node: ast.AST) -> list[ast.AST]:
    """``list(ast.iter_child_nodes(node))``, without its two generators per node."""
    found: list[ast.AST] = []
    AST = ast.AST
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            found.extend([item for item in value if isinstance(item, AST)])
        elif isinstance(value, AST):
            found.append(value)
    return found
