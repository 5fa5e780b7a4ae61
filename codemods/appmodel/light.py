"""The cheap half of the ``lifespan`` analysis, for modules whose text names no event API.

Such a module registers no handler, so only three things about it matter to other modules:
which of its module-level functions are ``async def`` (handlers imported from it), which of its
names are plain ``APIRouter(...)`` routers (without handlers), and where it uses routers of
other modules as values (``links.value_uses``).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from ..astkit import astnodes
from ..astkit.names import (
    ModuleNames,
    simple_assignment,
    this_module,
    walk_no_lambda,
)
from ..project import ModuleInfo
from .links import value_uses
from .model import ROUTER_CLASSES, ModuleAnalysis


def function_kinds(tree: ast.Module, info: ModuleInfo | None) -> ModuleAnalysis:
    """Only which module-level functions are ``async def``: for modules that use no event API.

    Cheaper than :func:`analyse` (no walk of function bodies): a name counts as bound once when
    the module's own statements bind it once. The caller must use :func:`analyse` instead when
    the module contains a ``global`` statement, which could rebind a function from inside another.
    """
    names = ModuleNames(tree, info, walk=False)
    bindings = names.bindings
    functions: dict[str, bool | None] = {}
    # one look at the node list instead of a walk of every ``async def`` when nothing yields
    generators = bool(astnodes.of_classes(tree, _YIELDS))
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)
            and bindings.get(stmt.name) == 1
        ):
            plain = not stmt.decorator_list and not (
                generators and isinstance(stmt, ast.AsyncFunctionDef) and yields(stmt)
            )
            functions[stmt.name] = isinstance(stmt, ast.AsyncFunctionDef) if plain else None
    return ModuleAnalysis(
        name=this_module(info),
        functions=functions,
        event_free=True,
        plain_routers=_plain_routers(tree, bindings),
        escapes=value_uses(tree, names, frozenset()),
    )


def _plain_routers(tree: ast.Module, bindings: Mapping[str, int]) -> frozenset[str]:
    """Names bound once at module level, to a direct ``APIRouter(...)``/``Router(...)`` call:
    in a module whose text names no event API, those routers have no handlers. (A name bound
    otherwise, re-exported say, is another module's router: not known here.)"""
    imported: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                imported[a.asname or a.name.split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0]
                )
        elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
            for a in stmt.names:
                imported[a.asname or a.name] = f"{stmt.module}.{a.name}"
    found: set[str] = set()
    for stmt in tree.body:
        name, value = simple_assignment(stmt)
        if name is None or not isinstance(value, ast.Call) or bindings.get(name) != 1:
            continue
        if _imported_qualname(value.func, imported) in ROUTER_CLASSES:
            found.add(name)
    return frozenset(found)


def _imported_qualname(node: ast.expr, imported: Mapping[str, str]) -> str | None:
    """``fastapi.APIRouter`` for ``APIRouter`` or ``fastapi.APIRouter`` after the imports in
    ``imported`` (local name -> what it imports)."""
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in imported:
        return None
    return ".".join([imported[node.id], *attrs])


_YIELDS: frozenset[type[ast.AST]] = frozenset({ast.Yield, ast.YieldFrom})


def yields(func: ast.AsyncFunctionDef) -> bool:
    return any(isinstance(node, ast.Yield | ast.YieldFrom) for node in walk_no_lambda(func))
