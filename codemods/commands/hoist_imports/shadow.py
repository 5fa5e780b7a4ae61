"""Bindings in *other* scopes that pyflakes (ruff ``F``) would report against a hoisted import.

A function-level import is invisible to the rest of the module; at module level it is not:

- a ``for`` / ``async for`` target of the same name in any other function or class body shadows
  it (F402, whether the import is used or not);
- when the import is never used, any binding of the name in another function (parameter,
  assignment, ``with``/``except``/comprehension target, nested ``def``/``class``, an import of
  something else) redefines it (F811). A class body binding does not count, and neither does
  an import of the same object.

The checks are ruff 0.17's behaviour, measured; the module's own scope is checked elsewhere
(``Planner.module_conflict``), and so is the importing function's own scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import libcst as cst
from libcst.metadata import (
    Assignment,
    ClassScope,
    ComprehensionScope,
    GlobalScope,
    Scope,
)
from libcst.metadata.scope_provider import LocalScope

from ...cstkit.statements import walk_statements
from ...imports.nodes import Binding, bindings


def _loop_targets(module: cst.Module) -> set[int]:
    """The names bound by a ``for`` / ``async for`` statement anywhere in the module."""
    found: set[int] = set()
    for node in walk_statements(module, enter_defs=True):
        if isinstance(node, cst.For):
            _add_targets(node.target, found)
    return found


def _add_targets(node: cst.BaseExpression, found: set[int]) -> None:
    # not a closure calling itself, which would make a reference cycle per call
    if isinstance(node, cst.Name):
        found.add(id(node))
    elif isinstance(node, cst.Tuple | cst.List):
        for element in node.elements:
            _add_targets(element.value, found)


class Shadows:
    """Per module: the loop targets and every non-module binding, indexed by name."""

    def __init__(
        self,
        module: cst.Module,
        scopes: Iterable[Scope],
        where: Callable[[cst.CSTNode], tuple[int, int]],
        extra_bound: Callable[[cst.FunctionDef], dict[str, int]],
    ) -> None:
        self.loop_targets = _loop_targets(module)
        self.where = where
        self.extra_bound = extra_bound
        self.by_name: dict[str, list[tuple[Scope, Assignment]]] = {}
        self.functions: list[cst.FunctionDef] = []
        for scope in {id(s): s for s in scopes}.values():
            if isinstance(scope, GlobalScope):
                continue
            if (
                isinstance(scope, LocalScope)
                and isinstance(scope.node, cst.FunctionDef)
                and not isinstance(scope, ClassScope)
            ):
                self.functions.append(scope.node)
            for assignment in scope.assignments:
                if isinstance(assignment, Assignment):
                    self.by_name.setdefault(assignment.name, []).append((scope, assignment))
        for found in self.by_name.values():  # libcst's sets: report the first in source order
            found.sort(key=lambda entry: where(entry[1].node))

    def line(self, node: cst.CSTNode) -> int:
        return self.where(node)[0]

    def reason(self, binding: Binding, own: Scope | None, used: bool) -> str | None:
        name = binding.bound
        found = [(s, a) for s, a in self.by_name.get(name, []) if s is not own]
        for scope, assignment in found:
            if id(assignment.node) in self.loop_targets:
                return (
                    f"`{name}` is a loop variable in {_where(scope)} (line {self.line(assignment.node)}): "
                    "at module level the import would be shadowed by it (pyflakes F402)"
                )
        if used:
            return None
        for scope, assignment in found:
            node = assignment.node
            if isinstance(scope, ClassScope):
                continue
            if isinstance(node, cst.Import | cst.ImportFrom):
                same = [b for b in bindings(node) or [] if b.bound == name]
                if same and all(binding.same_object_as(b) for b in same):
                    continue
            return (
                f"`{name}` is never used here and is bound in {_where(scope)} (line {self.line(node)}): "
                "at module level that would redefine an unused import (pyflakes F811)"
            )
        for fn in self.functions:
            if isinstance(own, LocalScope) and fn is own.node:
                continue
            if name in (bound := self.extra_bound(fn)):
                return (
                    f"`{name}` is never used here and is bound in function `{fn.name.value}` "
                    f"(line {bound[name]}): at module level that would redefine an unused import "
                    "(pyflakes F811)"
                )
        return None


def _where(scope: Scope) -> str:
    while isinstance(scope, ComprehensionScope) and scope.parent is not scope:
        scope = scope.parent
    node = scope.node if isinstance(scope, LocalScope) else None
    if isinstance(node, cst.FunctionDef):
        return f"function `{node.name.value}`"
    if isinstance(node, cst.ClassDef):
        return f"class `{node.name.value}`"
    if isinstance(node, cst.Lambda):
        return "a `lambda`"
    return "module-level code"
