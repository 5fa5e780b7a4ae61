"""Every node of a stdlib ``ast`` tree, listed once per tree.

The gather phase asks several questions of each file's tree (which imports it has, whether it
has an ``async def``, its ``global`` statements, ...). Each used to be its own ``ast.walk``, and
``ast.walk`` is slow Python: four walks were a third of the gather phase. :func:`nodes` walks a
tree once, in ``ast.walk``'s order, and keeps the list on the tree for the next question.
"""

from __future__ import annotations

import ast
import operator

_ATTR = "_codemod_nodes"
_CHILDREN = "_codemod_children"


def nodes(tree: ast.AST) -> list[ast.AST]:
    """The nodes ``ast.walk(tree)`` yields, in the same order (computed once per tree).

    Only for trees that are not modified afterwards: the list is not updated."""
    below: list[ast.AST] | None = getattr(tree, _ATTR, None)
    if below is None:
        found = [tree]
        index = 0
        while index < len(found):
            found.extend(children(found[index]))
            index += 1
        # kept without ``tree`` itself: a list on the tree holding the tree is a reference
        # cycle, and the whole tree would wait for the garbage collector
        setattr(tree, _ATTR, found[1:])
        return found
    return [tree, *below]


def of_classes(tree: ast.AST, classes: frozenset[type[ast.AST]]) -> list[ast.AST]:
    """The nodes of :func:`nodes` whose class is one of ``classes``, in the same order. Exact
    classes (``ast`` never subclasses a node class): one set lookup per node, where a loop of
    ``isinstance`` tests over the whole tree cost most of a gather step."""
    return [node for node in nodes(tree) if type(node) in classes]


#: Fields that never hold a node (identifiers, strings, constants, numbers), for the classes most
#: nodes belong to; their children are read without looking at these. Only classes whose fields
#: are the same on every supported Python (``TypeAlias.name``, from 3.12, is a ``Name``).
_SCALAR: dict[type[ast.AST], frozenset[str]] = {
    ast.Name: frozenset({"id"}),
    ast.Constant: frozenset({"value", "kind"}),
    ast.Attribute: frozenset({"attr"}),
    ast.alias: frozenset({"name", "asname"}),
    ast.arg: frozenset({"arg", "type_comment"}),
    ast.keyword: frozenset({"arg"}),
    ast.ImportFrom: frozenset({"module", "level"}),
    ast.Global: frozenset({"names"}),
    ast.Nonlocal: frozenset({"names"}),
    ast.FunctionDef: frozenset({"name", "type_comment"}),
    ast.AsyncFunctionDef: frozenset({"name", "type_comment"}),
    ast.ClassDef: frozenset({"name"}),
}
#: class -> the fields of its instances that may hold nodes, in ``_fields`` order
_NODE_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _node_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    scalar = _SCALAR.get(kind, frozenset())
    found = _NODE_FIELDS[kind] = tuple(f for f in kind._fields if f not in scalar)
    return found


def children(node: ast.AST) -> list[ast.AST]:
    """``list(ast.iter_child_nodes(node))``, without its two generators per node, computed once
    per node (the gather asks for most nodes' children three times). Callers must not modify
    the list."""
    found: list[ast.AST] | None = node.__dict__.get(_CHILDREN)
    if found is None:
        found = []
        AST = ast.AST
        kind = type(node)
        fields = _NODE_FIELDS.get(kind)
        if fields is None:
            fields = _node_fields(kind)
        for name in fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                found.extend([item for item in value if isinstance(item, AST)])
            elif isinstance(value, AST):
                found.append(value)
        node.__dict__[_CHILDREN] = found
    return found


def depth(tree: ast.AST) -> int:
    """The number of levels of ``tree`` (a lone node: 1), counted on :func:`nodes`' breadth-first
    list: each level is as long as the children of the one above (no recursion, no walk)."""
    below: list[ast.AST] | None = getattr(tree, _ATTR, None)
    if below is None:
        below = nodes(tree)[1:]
    child_lists = operator.attrgetter(_CHILDREN)  # every listed node's, filled in by nodes()
    levels, start, size = 1, 0, len(children(tree))
    while size:
        levels += 1
        following = sum(map(len, map(child_lists, below[start : start + size])))
        start += size
        size = following
    return levels
