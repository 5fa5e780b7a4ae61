"""Rebuild a libcst tree along the nodes a transformer enters, and nothing else.

libcst's transformer, on every node it enters, visits every child (``on_visit``, an attribute
hook before and after each field, ``on_leave``) and builds the node again, changed or not.
Our transformers enter only the few nodes on the way to an edit (wrap-blocking-calls' calls to
rewrite, hoist-imports' removed or stripped imports) and have leave hooks for a few classes:
for them, :func:`rebuild` calls the same leave hooks on the same nodes, in libcst's field
order, with ``updated_node`` built from the same children, and builds a node again only where a
child changed. Nodes not entered and not of a class with a leave hook are kept as they are.

What a transformer must be for this (the callers are tested both ways, ``ENABLED``): a pure
``enter`` predicate where libcst would ask ``on_visit``, false for whitespace and punctuation
(:data:`.readonly_visit.TOKENS`, which are not even asked about), no attribute hooks, leave
hooks only for ``leaves`` (no token among them), and never a removal or a flattening as a
result.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
from libcst import MaybeSentinel

from .readonly_visit import TOKENS, fields

#: Off: the transformer is run by libcst (the tests compare both ways).
ENABLED = True


def rebuild(
    node: cst.CSTNode,
    transformer: cst.CSTTransformer,
    enter: Callable[[cst.CSTNode], bool],
    leaves: tuple[type[cst.CSTNode], ...],
    only: frozenset[str] | None = None,
) -> cst.CSTNode:
    """``node.visit(transformer)`` for a transformer as described in the module doc; ``node``
    is entered when ``enter`` holds for it. ``only``: the fields that can hold a node entered or
    of a class in ``leaves`` (the others are not looked at)."""
    if not ENABLED:
        return _node(node.visit(transformer), node)
    if not enter(node):
        return _left(node, node, transformer, leaves)
    changes: dict[str, object] = {}
    for name in fields(node):
        if only is not None and name not in only:
            continue
        value = getattr(node, name)
        kind = type(value)
        if kind in TOKENS or value is None or kind is MaybeSentinel:
            continue
        if isinstance(value, cst.CSTNode):
            new = rebuild(value, transformer, enter, leaves, only)
            if new is not value:
                changes[name] = new
        else:  # a sequence of nodes
            items = [
                child if type(child) in TOKENS else rebuild(child, transformer, enter, leaves, only)
                for child in value
            ]
            if any(new is not old for new, old in zip(items, value, strict=True)):
                changes[name] = tuple(items)
    return _left(node, node.with_changes(**changes) if changes else node, transformer, leaves)


def _left(
    original: cst.CSTNode,
    updated: cst.CSTNode,
    transformer: cst.CSTTransformer,
    leaves: tuple[type[cst.CSTNode], ...],
) -> cst.CSTNode:
    if not is_a(type(original), leaves):
        return updated
    return _node(transformer.on_leave(original, updated), original)


#: (class, classes) -> ``issubclass``: libcst's node classes are ``ABCMeta`` classes, whose
#: ``isinstance`` runs Python code, once per node of every tree rebuilt
_SUBCLASS: dict[tuple[type, object], bool] = {}


def is_a(kind: type, classes: type | tuple[type, ...]) -> bool:
    """``issubclass(kind, classes)``, answered once per pair (an ``isinstance`` of libcst's
    node classes, which are ``ABCMeta`` classes, runs Python code)."""
    found = _SUBCLASS.get((kind, classes))
    if found is None:
        found = _SUBCLASS[(kind, classes)] = issubclass(kind, classes)
    return found


def _node(result: object, original: cst.CSTNode) -> cst.CSTNode:
    if not isinstance(result, cst.CSTNode):
        raise TypeError(f"path_rebuild does not remove or flatten nodes ({type(original).__name__})")
    return result
