"""Visit a libcst tree with a read-only visitor without rebuilding it.

libcst 1.9 runs every visitor, also a ``CSTVisitor`` that cannot change anything, through each
node's ``_visit_and_replace_children``, which constructs (and validates) a new copy of every
node only to throw it away ("TODO: provide traversal where children are not replaced" in
``CSTNode.visit``). Metadata providers (``ScopeProvider`` and the ``ExpressionContextProvider`` it
depends on) and our own collectors are such visitors; the copies are about half their cost.

While :func:`readonly_visits` is active, ``CSTNode.visit`` with a ``CSTVisitor`` calls the same
hooks in the same order (``on_visit``, then per field ``on_visit_attribute``, the children,
``on_leave_attribute``, then ``on_leave``) and returns the node itself, which is what a
``CSTVisitor`` gets back anyway. Transformers take libcst's own path. The fields of a node class,
in libcst's order, are learnt once per class by running its ``_visit_and_replace_children`` with
a recording visitor. The attribute hooks are skipped for a visitor that defines none (libcst declares
a no-op stub for every one of them, marked ``_is_no_op``). ``tests/test_readonly_visit.py`` checks that the
sequence of hook calls is identical on every fixture and on generated programs.

Whitespace, comments and punctuation (:data:`TOKENS`: classes whose nodes hold nothing else)
are most of a tree's nodes. They are not walked for a visitor that cannot see them: one with
libcst's own ``on_visit``/``on_leave`` (which only dispatch to ``visit_<Node>``/``leave_<Node>``)
or one that says its own ignore them (``SKIPS_TOKENS = True``), with no attribute hooks and no
hook of its own for any of these classes (a comment is inside whitespace inside a comma). Its
hooks are called exactly as they are when every node is walked (``tests/test_readonly_visit.py``).

This tool's own visitors that dispatch with libcst's ``on_visit``/``on_leave`` (a ``getattr``
of an f-string per node and hook) are walked with their hooks learnt once per node class, and
libcst's no-op stubs not called (:func:`_new_table` says which classes qualify).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from types import FunctionType
from typing import Any
from weakref import WeakKeyDictionary

import libcst as cst
from libcst import MaybeSentinel
from libcst._batched_visitor import _BatchedCSTVisitor

#: Off in tests that compare the results with and without the read-only walk.
ENABLED = True
_ORIGINAL = cst.CSTNode.visit
_FIELDS: dict[object, tuple[str, ...]] = {}
#: The only classes whose ``_visit_and_replace_children`` skips a field depending on its value:
#: ``format_spec`` is not visited at all (no attribute hooks) when it is None. Their fields are
#: learnt separately for both cases (``test_readonly_visit`` fails if libcst adds another).
CONDITIONAL = frozenset({cst.FormattedStringExpression, cst.TemplatedStringExpression})
#: Visitor class -> whether it has attribute hooks (weak: some visitors are classes made per call).
_HOOKS: WeakKeyDictionary[type, bool] = WeakKeyDictionary()
_BATCHED = "_codemod_attribute_hooks"
#: Node classes met so far as a field's value (a set lookup instead of an ABC ``isinstance``).
_NODE_CLASSES: set[type] = set()
#: libcst's visitor bases, which define only the dispatch and the no-op stubs.
_BASES = frozenset(cst.CSTVisitor.__mro__)
_NOTHING: frozenset[type] = frozenset()
#: Node classes that hold only nodes of these classes: whitespace, comments, punctuation.
TOKENS: frozenset[type] = frozenset(
    {
        cst.SimpleWhitespace, cst.ParenthesizedWhitespace, cst.TrailingWhitespace, cst.EmptyLine,
        cst.Comment, cst.Newline, cst.LeftParen, cst.RightParen, cst.LeftSquareBracket,
        cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.Semicolon, cst.Colon,
        cst.Comma, cst.Dot, cst.ImportStar, cst.AssignEqual, cst.Asynchronous,
        *(
            kind
            for base in (cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp)
            for kind in vars(cst).values()
            if isinstance(kind, type) and issubclass(kind, base) and kind is not base
        ),
    }
)  # fmt: skip
_TOKEN_NAMES = frozenset(token.__name__ for token in TOKENS)
#: Visitor class -> the token classes it need not be walked into.
_SKIPPED: WeakKeyDictionary[type, frozenset[type]] = WeakKeyDictionary()


class _Recorder(cst.CSTVisitor):
    def __init__(self, parent: cst.CSTNode) -> None:
        self.parent = parent
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_leave(self, original_node: cst.CSTNode) -> None:
        pass

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if node is self.parent:
            self.fields.append(attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        pass


def _fields(node: cst.CSTNode, key: object) -> tuple[str, ...]:
    recorder = _Recorder(node)
    node._visit_and_replace_children(recorder)
    found = _FIELDS[key] = tuple(recorder.fields)
    return found


def fields(node: cst.CSTNode) -> tuple[str, ...]:
    """The fields of ``node`` that libcst visits, in its order."""
    key: object = type(node)
    if key in CONDITIONAL:
        key = (key, node.format_spec is None)  # type: ignore[attr-defined]
    found = _FIELDS.get(key)
    return found if found is not None else _fields(node, key)


def _attribute_hooks(visitor: cst.CSTVisitor) -> bool:
    """Whether ``visitor`` needs ``on_visit_attribute``/``on_leave_attribute`` called: it
    defines a ``visit_<Node>_<field>``/``leave_<Node>_<field>`` hook that is not libcst's no-op
    stub (a helper with such a name counts too: calling the hooks is never wrong)."""
    if isinstance(visitor, _BatchedCSTVisitor):  # resolving batchable metadata providers
        found = visitor.__dict__.get(_BATCHED)
        if found is None:
            found = visitor.__dict__[_BATCHED] = any(
                name.count("_") >= 2 for name in visitor.visitor_methods
            )
        return found
    kind = type(visitor)
    found = _HOOKS.get(kind)
    if found is None:
        found = _HOOKS[kind] = any(
            "on_visit_attribute" in k.__dict__ or "on_leave_attribute" in k.__dict__
            for k in kind.__mro__
            if k not in _BASES
        ) or any(name.count("_") >= 2 for name in _own_hooks(kind))
    return found


def _own_hooks(kind: type) -> list[str]:
    """The ``visit_*``/``leave_*`` names ``kind`` defines beyond libcst's bases and no-op stubs."""
    return [
        name
        for k in kind.__mro__
        if k not in _BASES
        for name, value in k.__dict__.items()
        if name.startswith(("visit_", "leave_")) and not getattr(value, "_is_no_op", False)
    ]


def _skipped(visitor: cst.CSTVisitor, hooks: bool) -> frozenset[type]:
    """The classes of :data:`TOKENS` that ``visitor`` cannot see (see the module doc)."""
    kind = type(visitor)
    found = _SKIPPED.get(kind)
    if found is None:
        generic = kind.on_visit is cst.CSTVisitor.on_visit and kind.on_leave is cst.CSTVisitor.on_leave
        if hooks or not (generic or getattr(kind, "SKIPS_TOKENS", False)):
            found = _NOTHING
        else:
            own = {name.split("_", 1)[1] for name in _own_hooks(kind)}
            # a hook for one token class (a comment) needs every token that may hold it walked
            found = _NOTHING if own & _TOKEN_NAMES else TOKENS
        _SKIPPED[kind] = found
    return found


def _walk(node: cst.CSTNode, visitor: cst.CSTVisitor, hooks: bool, skip: frozenset[type]) -> None:
    if visitor.on_visit(node):
        for name in fields(node):
            if hooks:
                visitor.on_visit_attribute(node, name)
            value = getattr(node, name)
            kind = value.__class__
            if kind in skip:
                pass
            elif kind in _NODE_CLASSES:
                _walk(value, visitor, hooks, skip)
            elif kind is tuple or kind is list:
                for child in value:
                    if child.__class__ not in skip:
                        _walk(child, visitor, hooks, skip)
            elif value is None or kind is MaybeSentinel:
                pass
            elif isinstance(value, cst.CSTNode):  # first time this class is met as a field value
                _NODE_CLASSES.add(kind)
                _walk(value, visitor, hooks, skip)
            else:  # a sequence of another type, built by a codemod: libcst iterates it
                for child in value:
                    if child.__class__ not in skip:
                        _walk(child, visitor, hooks, skip)
            if hooks:
                visitor.on_leave_attribute(node, name)
    visitor.on_leave(node)


#: node class -> (its ``visit_*`` hook, its ``leave_*`` hook), None where libcst's no-op stub or
#: nothing would be called; one table per visitor class that dispatches the way libcst does
_Table = dict[type, tuple[Any, Any]]
#: visitor class -> its table, or None: walked with its own ``on_visit``/``on_leave``
_TABLES: WeakKeyDictionary[type, _Table | None] = WeakKeyDictionary()


def _table(visitor: cst.CSTVisitor) -> _Table | None:
    """The hook table of ``visitor`` (see :func:`_new_table`); None when it is walked the way
    libcst walks it, node by node: also when the instance has an attribute named like a hook."""
    kind = type(visitor)
    if kind in _TABLES:
        found = _TABLES[kind]
    else:
        found = _TABLES[kind] = _new_table(kind)
    if found is None:
        return None
    own = getattr(visitor, "__dict__", None)
    if own is None or any(name.startswith(("visit_", "leave_", "on_")) for name in own):
        return None
    return found


def _new_table(kind: type[cst.CSTVisitor]) -> _Table | None:
    """An empty table for a visitor class whose hooks can be learnt once per node class: a class
    of this tool (or one that sets ``HOOK_TABLE = True``: the tests), which dispatches with
    libcst's own ``on_visit``/``on_leave`` (a ``getattr`` of an f-string per node), looks
    attributes up the usual way, and whose every ``visit_*``/``leave_*`` is a plain function.
    Such a class is never changed after its first use. Anything else (a user's codemod, a
    ``staticmethod`` hook, libcst's matcher visitors) is walked by :func:`_walk`."""
    if not getattr(kind, "HOOK_TABLE", kind.__module__.startswith("codemods.")):
        return None
    if (
        kind.on_visit is not cst.CSTVisitor.on_visit
        or kind.on_leave is not cst.CSTVisitor.on_leave
        or any("__getattr__" in vars(k) or "__getattribute__" in vars(k) for k in kind.__mro__[:-1])
    ):
        return None
    for name in dir(kind):
        if name.startswith(("visit_", "leave_")) and not isinstance(
            inspect.getattr_static(kind, name), FunctionType
        ):
            return None
    return {}


def _hooks(kind: type, node_class: type) -> tuple[Any, Any]:
    name = node_class.__name__
    visit = getattr(kind, f"visit_{name}", None)
    leave = getattr(kind, f"leave_{name}", None)
    return (
        None if getattr(visit, "_is_no_op", False) else visit,
        None if getattr(leave, "_is_no_op", False) else leave,
    )


def _walk_table(node: cst.CSTNode, visitor: cst.CSTVisitor, skip: frozenset[type], table: _Table) -> None:
    """:func:`_walk` for a visitor with a hook table: the same hooks, in the same order."""
    node_class = node.__class__
    hooks = table.get(node_class)
    if hooks is None:
        hooks = table[node_class] = _hooks(type(visitor), node_class)
    visit, leave = hooks
    if visit is None or visit(visitor, node) is not False:
        for name in fields(node):
            value = getattr(node, name)
            kind = value.__class__
            if kind in skip:
                pass
            elif kind in _NODE_CLASSES:
                _walk_table(value, visitor, skip, table)
            elif value is None or kind is MaybeSentinel:
                pass
            elif kind is tuple or kind is list or not isinstance(value, cst.CSTNode):
                for child in value:
                    if child.__class__ not in skip:
                        _walk_table(child, visitor, skip, table)
            else:  # first time this class is met as a field value
                _NODE_CLASSES.add(kind)
                _walk_table(value, visitor, skip, table)
    if leave is not None:
        leave(visitor, node)


def _visit(self: cst.CSTNode, visitor: Any) -> Any:
    # Children are walked directly: only ``Module`` overrides ``visit``, and it is never a child.
    if not isinstance(visitor, cst.CSTVisitor):
        return _ORIGINAL(self, visitor)
    hooks = _attribute_hooks(visitor)
    table = None if hooks else _table(visitor)
    if table is not None:
        _walk_table(self, visitor, _skipped(visitor, hooks), table)
    else:
        _walk(self, visitor, hooks, _skipped(visitor, hooks))
    return self


@contextmanager
def readonly_visits() -> Iterator[None]:
    """Within the block, read-only visitors do not copy the tree (re-entrant)."""
    if not ENABLED or cst.CSTNode.visit is _visit:
        yield
        return
    cst.CSTNode.visit = _visit  # type: ignore[method-assign]
    try:
        yield
    finally:
        cst.CSTNode.visit = _ORIGINAL  # type: ignore[method-assign]


def holds(node: cst.CSTNode, kind: type[cst.CSTNode]) -> bool:
    """Whether ``node`` or a node below it (among the fields libcst visits) is a ``kind``: a
    plain walk, without a visitor's per-node dispatch (a tenth of its cost on an import line)."""
    stack: list[Any] = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        current = pop()
        if current.__class__ is kind:
            return True
        for name in fields(current):
            value = getattr(current, name)
            held = value.__class__
            if value is None or held is MaybeSentinel:
                continue
            if held is tuple or held is list:
                extend(value)
            elif held in _NODE_CLASSES:
                push(value)
            elif isinstance(value, cst.CSTNode):  # first time this class is met as a field value
                _NODE_CLASSES.add(held)
                push(value)
            else:  # a sequence of another type, built by a codemod
                extend(value)
    return False
