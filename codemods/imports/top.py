"""Where ruff's ``E402`` (module-level import not at top of file) starts, and which statements a
new import may be placed above so that it does not get one.

Measured with ruff 0.17 (``tests/commands/hoist_imports/test_e402.py``): every top-level statement ends the top of
the file except the first docstring, imports, ``if``/``try``/``with``/``match`` blocks (whatever
they hold), an assignment to one dunder name (``__all__ = ...``, ``__version__: str = ...``; not
``__all__ += ...`` nor two targets), and ruff's import-state set-ups: ``sys.path.insert/append/
extend/remove(...)``, ``sys.path += ...``, ``os.environ[...] = ...``, ``del os.environ[...]``,
``os.environ.update/pop/setdefault(...)``, ``os.putenv(...)``, ``site.addsitedir(...)``,
``matplotlib.use(...)``. Those set-ups count only written through a plain ``import sys`` (``os``,
...) above them; ruff also follows aliases, which are taken here for the end of the top (a missed
hoist, never a new ``E402``). ``VERSION = "1"``, a call, an event-loop-policy line, ``def``,
``class``, ``for`` and ``while`` end it.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from .nodes import is_docstring

_TOP_BLOCKS = (cst.If, cst.Try, cst.With, cst.Match)
_SETUP_CALLS = {
    ("sys", "path"): frozenset({"insert", "append", "extend", "remove"}),
    ("os", "environ"): frozenset({"update", "pop", "setdefault"}),
}
_MODULE_CALLS = {("os", "putenv"), ("site", "addsitedir"), ("matplotlib", "use")}
#: Dunder names a module may bind as metadata: nothing in the import system reads them
#: (unlike ``__path__``, ``__package__``, ``__spec__``, ...).
_METADATA = frozenset(
    {"__all__", "__version__", "__author__", "__email__", "__license__", "__copyright__",
     "__docformat__", "__title__", "__description__", "__url__", "__status__",
     "__maintainer__", "__credits__"}
)  # fmt: skip
#: Exceptions a moved-over ``try`` may catch: not ``NameError``, which an import above could
#: silence by binding the name, nor the catch-alls that include it.
_HANDLED = frozenset({"ImportError", "ModuleNotFoundError", "AttributeError"})


def _dotted(node: cst.BaseExpression) -> tuple[str, ...] | None:
    if isinstance(node, cst.Name):
        return (node.value,)
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return None if base is None else (*base, node.attr.value)
    return None


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _setup(small: cst.BaseSmallStatement, plain: set[str]) -> bool:
    """One of ruff's import-state set-ups, through a plain ``import sys`` (``os``, ...)."""
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        name = _dotted(small.value.func)
        if name is None or name[0] not in plain:
            return False
        if len(name) == 2:
            return name in _MODULE_CALLS
        return len(name) == 3 and name[2] in _SETUP_CALLS.get(name[:2], frozenset())
    if isinstance(small, cst.AugAssign):
        return (
            isinstance(small.operator, cst.AddAssign)
            and _dotted(small.target) == ("sys", "path")
            and "sys" in plain
        )
    targets: list[cst.BaseExpression] = []
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        targets = [small.targets[0].target]
    elif isinstance(small, cst.Del):
        targets = [small.target]
    return (
        len(targets) == 1
        and isinstance(targets[0], cst.Subscript)
        and _dotted(targets[0].value) == ("os", "environ")
        and "os" in plain
    )


def _keeps_top(small: cst.BaseSmallStatement, plain: set[str]) -> bool:
    if isinstance(small, cst.Import | cst.ImportFrom):
        return True
    target: cst.BaseExpression | None = None
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
    elif isinstance(small, cst.AnnAssign):
        target = small.target
    if isinstance(target, cst.Name) and _is_dunder(target.value):
        return True
    return _setup(small, plain)


def top_end(body: Sequence[cst.BaseStatement], stop: int) -> int | None:
    """The index of the first statement of ``body[:stop]`` after which ruff reports ``E402``."""
    plain: set[str] = set()
    for index, stmt in enumerate(body[:stop]):
        if (index == 0 and is_docstring(stmt)) or isinstance(stmt, _TOP_BLOCKS):
            continue
        if not isinstance(stmt, cst.SimpleStatementLine):
            return index
        if not all(_keeps_top(small, plain) for small in stmt.body):
            return index
        for small in stmt.body:
            if isinstance(small, cst.Import):
                plain.update(
                    a.name.value
                    for a in small.names
                    if isinstance(a.name, cst.Name) and a.asname is None
                )
    return None


# -- what a new import may move above -------------------------------------------------------------


def _read(node: cst.BaseExpression) -> bool:
    """A literal, a name or an attribute of one, or tests and containers of those: nothing runs
    that an import above could change (beyond a name it binds, which the caller refuses)."""
    if isinstance(node, cst.BaseNumber | cst.SimpleString | cst.Ellipsis):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return _read(node.left) and _read(node.right)
    if isinstance(node, cst.Name | cst.Attribute):
        return _dotted(node) is not None
    if isinstance(node, cst.UnaryOperation):
        return isinstance(node.operator, cst.Not | cst.Minus) and _read(node.expression)
    if isinstance(node, cst.Comparison):
        return _read(node.left) and all(_read(c.comparator) for c in node.comparisons)
    if isinstance(node, cst.BooleanOperation):
        return _read(node.left) and _read(node.right)
    if isinstance(node, cst.Tuple | cst.List | cst.Set):
        return all(isinstance(e, cst.Element) and _read(e.value) for e in node.elements)
    if isinstance(node, cst.Dict):
        return all(
            isinstance(e, cst.DictElement) and _read(e.key) and _read(e.value)
            for e in node.elements
        )
    return False


def _plain_target(node: cst.BaseExpression) -> bool:
    if not isinstance(node, cst.Name):
        return False
    return not _is_dunder(node.value) or node.value in _METADATA


def _movable_small(small: cst.BaseSmallStatement) -> bool:
    if isinstance(small, cst.Import):
        return True
    if isinstance(small, cst.ImportFrom):
        return not (small.module is not None and _dotted(small.module) == ("__future__",))
    if isinstance(small, cst.Pass):
        return True
    if isinstance(small, cst.Expr):
        return isinstance(small.value, cst.SimpleString | cst.ConcatenatedString | cst.Ellipsis)
    if isinstance(small, cst.Assign):
        return all(_plain_target(t.target) for t in small.targets) and _read(small.value)
    if isinstance(small, cst.AnnAssign):
        return (
            _plain_target(small.target)
            and _read(small.annotation.annotation)
            and (small.value is None or _read(small.value))
        )
    return False


def _handled(handler: cst.ExceptHandler) -> bool:
    kind = handler.type
    kinds = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    return all(isinstance(k, cst.Name) and k.value in _HANDLED for k in kinds)


def _suite(suite: cst.BaseSuite | None) -> bool:
    if suite is None:
        return True
    if isinstance(suite, cst.SimpleStatementSuite):
        return all(_movable_small(s) for s in suite.body)
    return all(isinstance(s, cst.BaseStatement) and movable(s) for s in suite.body)


def movable(stmt: cst.BaseStatement) -> bool:
    """Can a new import be placed above ``stmt`` without changing what either does? Imports,
    ``pass``, string literals, assignments of literals and names to plain names, and ``if``/``try``
    blocks of those (``if`` testing such reads, ``try`` catching only import/attribute errors)."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return all(_movable_small(s) for s in stmt.body)
    if isinstance(stmt, cst.If):
        orelse = stmt.orelse
        rest = (
            True
            if orelse is None
            else movable(orelse)
            if isinstance(orelse, cst.If)
            else _suite(orelse.body)
        )
        return _read(stmt.test) and _suite(stmt.body) and rest
    if isinstance(stmt, cst.Try):
        return (
            _suite(stmt.body)
            and all(_handled(h) and _suite(h.body) for h in stmt.handlers)
            and _suite(stmt.orelse.body if stmt.orelse else None)
            and _suite(stmt.finalbody.body if stmt.finalbody else None)
        )
    return False
