"""Checks of the ``lifespan`` analysis that look at the whole module after the registrations
are known: other uses of the event APIs, calls that receive an app, ``create_all`` statements,
and how ``asynccontextmanager`` can be spelled.
"""

from __future__ import annotations

import ast

from ..astkit.names import ModuleNames, scope_statements, shares_line, split_ref, walk_no_lambda
from .model import APP_CLASSES, HARMLESS_CALLS, HOOK_ATTRS, ROUTER_CLASSES
from .state import ModuleState


def scan_leftovers(a: ModuleState) -> None:
    """Any other use of the event APIs: a problem for a known object, else a stray site."""
    for node in ast.walk(a.tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in HOOK_ATTRS
            and id(node) not in a.consumed
        ):
            owner = a.object_of(node.value)
            if owner is not None and owner[0] == "local":
                a.event_problem(
                    owner[1],
                    f"`{ast.unparse(node)}` at line {node.lineno} is used outside a module-level registration",
                )
            elif owner is not None and node.attr in ("on_event", "add_event_handler"):
                a.foreign.append((*split_ref(owner[1]), node.lineno))
            elif node.attr in ("on_event", "add_event_handler"):
                a.stray.append(
                    (
                        node.lineno,
                        f"`{ast.unparse(node)}` is not called on a module-level app or router",
                    )
                )
                if not any(start <= node.lineno <= end for start, end in a.bodies):
                    a.loose.append(node.lineno)
        elif isinstance(node, ast.Call) and not _is_object_call(a, node):
            qual = a.qualname(node.func)
            if (qual in APP_CLASSES or qual in ROUTER_CLASSES) and any(
                k.arg in ("on_startup", "on_shutdown") for k in node.keywords
            ):
                a.stray.append(
                    (
                        node.lineno,
                        "event handlers passed to an app or router that is not created at module level",
                    )
                )


def _is_object_call(a: ModuleState, node: ast.Call) -> bool:
    return any(call is node for _s, call, _k, _f, _b in a.objects.values())


def find_risky(a: ModuleState) -> None:
    """Record calls that receive an app or router and might register handlers on it."""
    for stmt in scope_statements(a.tree.body):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            nodes: list[ast.AST] = [*stmt.decorator_list]
        else:
            nodes = [stmt]
        for root in nodes:
            for node in walk_no_lambda(root):
                if isinstance(node, ast.Call):
                    _risky_call(a, node)


def _risky_call(a: ModuleState, node: ast.Call) -> None:
    args = [*node.args, *(k.value for k in node.keywords)]
    passed = [arg.id for arg in args if isinstance(arg, ast.Name) and arg.id in a.objects]
    if not passed:
        return
    if isinstance(node.func, ast.Attribute) and a.object_of(node.func.value) is not None:
        return  # a method of an app or router (include_router, mount, ...)
    if a.qualname(node.func) in HARMLESS_CALLS:
        return
    for name in passed:
        a.risky[name].append(f"`{ast.unparse(node.func)}(...)` at line {node.lineno}")


def create_all_lines(tree: ast.Module) -> tuple[int, ...]:
    """Unconditional module-level ``<x>.metadata.create_all(...)`` statements."""
    lines = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "create_all"
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "metadata"
                and not shares_line(tree, stmt)
            ):
                lines.append(stmt.lineno)
    return tuple(lines)


def acm(names: ModuleNames) -> tuple[str, bool] | None:
    """How to spell ``asynccontextmanager``: (expression, import needed); None when taken."""
    if names.imports.get("asynccontextmanager") == "contextlib.asynccontextmanager":
        return "asynccontextmanager", False
    if "asynccontextmanager" not in names.names:
        return "asynccontextmanager", True
    if names.imports.get("contextlib") == "contextlib":
        return "contextlib.asynccontextmanager", False
    return None
