"""Literal values in a ``setup.py`` syntax tree, found without running anything.

``literal`` evaluates the few expression forms that are data: constants, lists, tuples, sets,
dicts, ``+`` of two of them, and names bound exactly once in the module to such a value and
never changed in place (``X.append``, ``X[k] = v``, ``X += ...``) nor passed to a call (other
than the ``setup()`` call being read). Everything else is a ``NotLiteral`` saying what it is.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass

_MAX_DEPTH = 50
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler)


@dataclass(frozen=True)
class NotLiteral:
    """A value that is not data, and why (``"a call to open()"``)."""

    reason: str


def dotted(node: ast.expr) -> str:
    """``a.b.c`` for a chain of names and attributes; ``""`` for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _reads_only(call: ast.Call) -> bool:
    """Is ``call`` one of setuptools' package finders, which do not change their arguments?"""
    return dotted(call.func).rsplit(".", 1)[-1] in ("find_packages", "find_namespace_packages")


class Bindings:
    """The module-level names of ``tree`` bound once to an expression that may be a literal."""

    def __init__(self, tree: ast.Module, call: ast.Call) -> None:
        counts: Counter[str] = Counter()
        tainted: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
                counts[node.id] += 1
            elif isinstance(node, ast.alias):
                counts[(node.asname or node.name).split(".")[0]] += 1
            elif isinstance(node, _DEFINITIONS) and node.name:
                counts[node.name] += 1
            elif isinstance(node, ast.Global | ast.Nonlocal):
                tainted.update(node.names)
            elif isinstance(node, ast.Attribute | ast.Subscript) and isinstance(
                node.value, ast.Name
            ):
                # X.append(...), X.update(...), X[k] = v, del X[k]: changed in place
                if isinstance(node, ast.Attribute) or isinstance(node.ctx, ast.Store | ast.Del):
                    tainted.add(node.value.id)
            elif isinstance(node, ast.Call) and node is not call and not _reads_only(node):
                arguments = [*node.args, *(k.value for k in node.keywords)]
                for argument in arguments:
                    inner = argument.value if isinstance(argument, ast.Starred) else argument
                    if isinstance(inner, ast.Name):
                        tainted.add(inner.id)
        self._values: dict[str, ast.expr] = {}
        for statement in tree.body:
            target: ast.expr | None = None
            value: ast.expr | None = None
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            elif isinstance(statement, ast.AnnAssign):
                target, value = statement.target, statement.value
            if (
                isinstance(target, ast.Name)
                and value is not None
                and counts[target.id] == 1
                and target.id not in tainted
            ):
                self._values[target.id] = value

    def get(self, name: str) -> ast.expr | None:
        """The expression ``name`` is bound to, when it is bound once and never changed."""
        return self._values.get(name)


def literal(node: ast.expr, bindings: Bindings, depth: int = 0) -> object:
    """The value of ``node`` when it is data (``str``, numbers, ``list`` for lists, tuples and
    sets, ``dict``), else a ``NotLiteral``."""
    if depth > _MAX_DEPTH:
        return NotLiteral("nested too deeply")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str | int | float | bool) or node.value is None:
            return node.value
        return NotLiteral(f"a {type(node.value).__name__} constant")
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                return NotLiteral("a starred item")
            item = literal(element, bindings, depth + 1)
            if isinstance(item, NotLiteral):
                return item
            items.append(item)
        return items
    if isinstance(node, ast.Dict):
        result: dict[object, object] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:
                return NotLiteral("a ** unpacking")
            key = literal(key_node, bindings, depth + 1)
            value = literal(value_node, bindings, depth + 1)
            for part in (key, value):
                if isinstance(part, NotLiteral):
                    return part
            if isinstance(key, list | dict):
                return NotLiteral("an unhashable dict key")
            result[key] = value
        return result
    if isinstance(node, ast.Name):
        bound = bindings.get(node.id)
        if bound is None:
            return NotLiteral(f"{node.id} is not bound once to a literal")
        return literal(bound, bindings, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = literal(node.left, bindings, depth + 1)
        right = literal(node.right, bindings, depth + 1)
        for part in (left, right):
            if isinstance(part, NotLiteral):
                return part
        if isinstance(left, list) and isinstance(right, list):
            return left + right
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        return NotLiteral("a + of different kinds")
    if isinstance(node, ast.JoinedStr):
        return NotLiteral("an f-string")
    if isinstance(node, ast.Call):
        name = dotted(node.func)
        if not name and isinstance(node.func, ast.Attribute):
            name = f"...{node.func.attr}"
        return NotLiteral(f"a call to {name}()" if name else "a call")
    return NotLiteral(f"an expression ({type(node).__name__})")
