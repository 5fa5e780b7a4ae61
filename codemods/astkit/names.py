"""Read-only name resolution over the standard library's ``ast``: what a module-level name is.

:class:`ModuleNames` counts module-level bindings and maps imported names to qualified names
(``from fastapi import FastAPI as F`` -> ``F`` is ``fastapi.FastAPI``), so codemods can
recognise ``fastapi.FastAPI`` or ``asyncio.run`` however the module spells them. Small generic
helpers over ``ast`` nodes live here too.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator

from ..components.modules import ModuleInfo, resolve_relative
from . import astnodes

Ref = tuple[str, str]


def this_module(info: ModuleInfo | None) -> str:
    """The module's dotted name; ``__main__`` when the file is not placed in a project."""
    return info.name if info is not None else "__main__"


def split_ref(qualname: str) -> Ref:
    module, _, name = qualname.rpartition(".")
    return module, name


def module_level(body: list[ast.stmt]) -> Iterator[tuple[ast.stmt, int | None]]:
    """Module-level statements in source order, descending into ``if`` blocks only.

    Yields ``(statement, line of the outermost enclosing if)``; the ``if`` itself is yielded too.
    """

    return _module_level(body, None)


def _module_level(stmts: list[ast.stmt], branch: int | None) -> Iterator[tuple[ast.stmt, int | None]]:
    # not a closure calling itself, which would make a reference cycle per call
    for stmt in stmts:
        yield stmt, branch
        if isinstance(stmt, ast.If):
            outer = branch if branch is not None else stmt.lineno
            yield from _module_level(stmt.body, outer)
            yield from _module_level(stmt.orelse, outer)


def scope_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of one scope: any block depth, but not inside nested defs or classes."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for name in ("body", "orelse", "finalbody"):
            yield from scope_statements(getattr(stmt, name, []))
        for handler in getattr(stmt, "handlers", []):
            yield from scope_statements(handler.body)
        for case in getattr(stmt, "cases", []):
            yield from scope_statements(case.body)


def name_chain(node: ast.expr) -> tuple[ast.Name, list[str]] | None:
    """``a.b.c`` as its root name and the attributes after it (``a``, ``["b", "c"]``); None
    unless ``node`` is a name or a chain of attributes on one."""
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    attrs.reverse()
    return node, attrs


def _targets(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Tuple | ast.List):
        for elt in node.elts:
            yield from _targets(elt)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)


def bound_names(stmt: ast.stmt) -> Iterator[str]:
    """Names a statement binds in its own scope."""
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            yield from _targets(target)
    elif isinstance(stmt, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor):
        yield from _targets(stmt.target)
    elif isinstance(stmt, ast.With | ast.AsyncWith):
        for item in stmt.items:
            if item.optional_vars is not None:
                yield from _targets(item.optional_vars)
    elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield stmt.name
    elif isinstance(stmt, ast.Import | ast.ImportFrom):
        for alias in stmt.names:
            if alias.name != "*":
                yield alias.asname or alias.name.split(".")[0]
    elif isinstance(stmt, ast.Delete):
        for target in stmt.targets:
            yield from _targets(target)
    elif isinstance(stmt, ast.Try):
        for handler in stmt.handlers:
            if handler.name:
                yield handler.name


class ModuleNames:
    """Module-level bindings and imports of one module.

    ``walk=False`` reads the module's statements only: no :attr:`names`, and a rebinding from
    inside a function (``global``, ``:=``) is not counted (the caller must account for it)."""

    def __init__(self, tree: ast.Module, info: ModuleInfo | None, walk: bool = True) -> None:
        self.info = info
        self.this = this_module(info)
        #: How often each name is bound at module level (a ``global`` in a function counts too).
        self.bindings: Counter[str] = Counter()
        #: Local name -> qualified name, for names bound once, by an import.
        self.imports: dict[str, str] = {}
        #: Local name -> line of the unconditional module-level ``from ... import`` binding it.
        self.import_from: dict[str, int] = {}
        #: Every name bound or used anywhere in the module.
        self.names: set[str] = set()
        # top-level statements alone on their lines (an import to extend must be)
        crowded = {
            s.lineno
            for a, s in zip(tree.body, tree.body[1:], strict=False)
            if s.lineno == (a.end_lineno or a.lineno)
        }
        top_level = {
            id(s)
            for s in tree.body
            if s.lineno not in crowded and (s.end_lineno or s.lineno) not in crowded
        }
        for stmt in scope_statements(tree.body):
            for name in bound_names(stmt):
                self.bindings[name] += 1
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                self._record_import(stmt, unconditional=id(stmt) in top_level)
        for node in astnodes.nodes(tree) if walk else ():
            if isinstance(node, ast.Name):
                self.names.add(node.id)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.names.add(node.name)
            elif isinstance(node, ast.alias):
                self.names.add(node.asname or node.name.split(".")[0])
            elif isinstance(node, ast.arg):
                self.names.add(node.arg)
            elif isinstance(node, ast.Global):
                for name in node.names:
                    self.bindings[name] += 1  # rebinding from inside a function
            elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                self.bindings[node.target.id] += 1
        for name in [n for n in self.imports if self.bindings[n] != 1]:
            del self.imports[name]
        self.import_from = {k: v for k, v in self.import_from.items() if k in self.imports}
        self.names |= set(self.bindings)

    def _record_import(self, stmt: ast.Import | ast.ImportFrom, unconditional: bool) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.imports.setdefault(top, top)
            return
        base = from_base(stmt, self.info)
        if base is None:
            return
        for alias in stmt.names:
            if alias.name == "*":
                continue
            local = alias.asname or alias.name
            self.imports[local] = f"{base}.{alias.name}"
            if unconditional:
                self.import_from[local] = stmt.lineno

    def qualname(self, node: ast.expr) -> str | None:
        """``fastapi.FastAPI`` for ``F`` after ``from fastapi import FastAPI as F``; module-level
        names of this module are ``<module>.<name>``; None when unknown or bound twice."""
        if isinstance(node, ast.Name):
            if node.id in self.imports:
                return self.imports[node.id]
            if self.bindings[node.id] == 1:
                return f"{self.this}.{node.id}"
            return None
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def is_bound_to(self, name: str, qualname: str) -> bool:
        """Is ``name`` bound (only) by an import of ``qualname``?"""
        return self.imports.get(name) == qualname


def from_base(stmt: ast.ImportFrom, info: ModuleInfo | None) -> str | None:
    """The absolute module ``from <stmt.module> import ...`` reads in the module ``info``; None
    for a relative import outside a known module or beyond the top-level package."""
    if stmt.level and info is None:
        return None
    return resolve_relative(info, stmt.module, stmt.level) if info else stmt.module


def simple_assignment(stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    """``name = value`` / ``name: T = value`` -> (name, value)."""
    if (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
    ):
        return stmt.targets[0].id, stmt.value
    if (
        isinstance(stmt, ast.AnnAssign)
        and isinstance(stmt.target, ast.Name)
        and stmt.value is not None
    ):
        return stmt.target.id, stmt.value
    return None, None


def call_arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    """The argument passed at position ``index`` or as ``keyword``."""
    if len(call.args) > index and not any(
        isinstance(a, ast.Starred) for a in call.args[: index + 1]
    ):
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def walk_no_lambda(root: ast.AST) -> Iterator[ast.AST]:
    """``root`` and its descendants, not entering lambdas or nested defs and classes."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        for child in astnodes.children(node):
            if isinstance(child, ast.Lambda):
                continue
            if node is not root and isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
            ):
                continue
            stack.append(child)


def shares_line(tree: ast.Module, stmt: ast.stmt) -> bool:
    """True when ``stmt`` shares a physical line with another statement (``a; b``)."""
    inside = {id(n) for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or id(node) in inside:
            continue
        end = node.end_lineno or node.lineno
        if node.lineno <= stmt.lineno <= end and not any(n is stmt for n in ast.walk(node)):
            return True
        if stmt.lineno <= node.lineno <= (stmt.end_lineno or stmt.lineno):
            return True
    return False


def unconditional_imports(tree: ast.Module | None) -> frozenset[str]:
    """Absolute modules the module imports in its own body, outside any block: the module
    cannot be imported without them."""
    if tree is None:
        return frozenset()
    found: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            found.update(alias.name for alias in stmt.names)
        elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
            found.add(stmt.module)
    return frozenset(found)
