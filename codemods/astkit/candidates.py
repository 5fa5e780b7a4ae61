"""Cheap ``ast`` checks behind :meth:`Codemod.may_change`: can a codemod act on a file at all?

Each answers on the tree the gather phase parsed anyway, so a file that fails every check is
never parsed with libcst. Each must over-approximate what its codemod's libcst analysis finds
(``tests/test_cache_and_prefilter.py`` runs every fixture both ways).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from . import astnodes

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_IMPORTS = (ast.Import, ast.ImportFrom)
Key = tuple[str, str, str, str]  # kind ("import"/"from"), module, name, asname


def repeats_key(key: Key, kind: str, seen: set[Key], module_keys: set[Key], function_keys: set[Key]) -> bool:
    """Record one imported ``key`` in a scope of ``kind`` (module, function or class; ``seen``:
    that scope's keys so far). True when the scope imported it already (a class body's repeats
    do not count). Shared by the ``ast`` scan here and the libcst one in ``commands.dedupe_imports.scan``."""
    if kind != "class" and key in seen:
        return True
    seen.add(key)
    if kind == "module":
        module_keys.add(key)
    elif kind == "function":
        function_keys.add(key)
    return False


def _blocks(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists nested directly in a compound statement."""
    for name in ("body", "orelse", "finalbody"):
        block = getattr(stmt, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
    for handler in getattr(stmt, "handlers", ()):
        yield handler.body
    for case in getattr(stmt, "cases", ()):
        yield case.body


def imports_below_module_level(tree: ast.Module) -> bool:
    """An import inside a function or class body (at any depth): what hoist-imports acts on or
    reports as a skip."""
    stack: list[tuple[ast.stmt, bool]] = [(s, False) for s in tree.body]
    while stack:
        stmt, inside = stack.pop()
        if isinstance(stmt, _IMPORTS):
            if inside:
                return True
            continue
        nested = inside or isinstance(stmt, (*_DEFS, ast.ClassDef))
        for block in _blocks(stmt):
            stack.extend((s, nested) for s in block)
    return False


def _keys(stmt: ast.Import | ast.ImportFrom) -> Iterator[Key]:
    for alias in stmt.names:
        if isinstance(stmt, ast.Import):
            yield ("import", alias.name, "", alias.asname or "")
        elif alias.name != "*":
            module = "." * stmt.level + (stmt.module or "")
            yield ("from", module, alias.name, alias.asname or "")


def duplicate_imports(tree: ast.Module) -> bool:
    """One scope importing the same thing twice, or a function importing something the module
    imports too (the ``ast`` twin of :func:`codemods.commands.dedupe_imports.scan.maybe_duplicates`)."""
    module_keys: set[Key] = set()
    function_keys: set[Key] = set()
    found = _repeats(tree.body, "module", set(), module_keys, function_keys)
    return found or not module_keys.isdisjoint(function_keys)


def _repeats(stmts: list[ast.stmt], kind: str, seen: set[Key], module_keys: set[Key], function_keys: set[Key]) -> bool:
    # not a closure calling itself, which would make a reference cycle per call
    for stmt in stmts:
        if isinstance(stmt, _IMPORTS):
            if any(repeats_key(key, kind, seen, module_keys, function_keys) for key in _keys(stmt)):
                return True
            continue
        inner_kind, inner_seen = kind, seen
        if isinstance(stmt, _DEFS):
            inner_kind, inner_seen = "function", set()
        elif isinstance(stmt, ast.ClassDef):
            inner_kind, inner_seen = "class", set()
        for block in _blocks(stmt):
            if _repeats(block, inner_kind, inner_seen, module_keys, function_keys):
                return True
    return False


def has_async_def(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.AsyncFunctionDef) for node in astnodes.nodes(tree))
