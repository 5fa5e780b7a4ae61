"""Is every place that may include a router known? The ``lifespan`` codemod's linkage facts.

A router's handlers move into an app's lifespan, or the router gets a ``lifespan=`` of its own,
only when its module-level ``include_router`` calls are all the ways it reaches an app. Any
other use of the router as a value may include it somewhere else — an ``include_router`` inside
a function or a loop (a test's app, an app factory), a helper it is passed to, a container,
a ``return``, another name, an import inside a function, a re-export — and that app would lose
the handlers or run them in another order. :func:`value_uses` lists such uses by qualified
name, for every module (a router's uses are found where it is used, not where it is made);
:func:`hidden_includes` lists the ``include_router`` calls on a known app or router that the
module-level walk did not record: that includer's routers are then not all known.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..astkit import astnodes
from ..astkit.names import (
    ModuleNames,
    Ref,
    call_arg,
    from_base,
    name_chain,
    scope_statements,
    split_ref,
)
from .model import UNNAMED, Include
from .state import ModuleState

_OTHERS = frozenset({ast.Import, ast.ImportFrom, ast.Global, ast.NamedExpr})
#: The name part of a use that may reach every name of a module (``from m import *``, an
#: ``import m`` inside a function).
EVERY = "*"


def value_uses(tree: ast.Module, names: ModuleNames, allowed: frozenset[int]) -> dict[Ref, int]:
    """Qualified name (as a ``(module, name)`` ref) -> first line where the module uses it as a
    value.

    Counted: a module-level name or an imported one (``router``, ``users.router``) that is not
    called, not the object of an attribute (``router.get``), and not a node in ``allowed`` (the
    routers of recorded module-level includes); every name imported inside a function, imported
    but never read here (a re-export) or bound more than once; ``<module>.*`` for a star import
    and for an ``import`` inside a function. Over-approximate on purpose: a name that is also a
    local variable somewhere counts, so does anything used as a value that is no router."""
    found: dict[Ref, int] = {}

    def add(qualname: str, line: int) -> None:
        ref = split_ref(qualname)
        if ref not in found or line < found[ref]:
            found[ref] = line

    inner: set[int] = set()
    loaded: set[str] = set()
    #: names a function rebinds (``global``, ``:=``): what they hold is not what was imported
    rebound: set[str] = set()
    values: list[ast.Name | ast.Attribute] = []
    imports: list[ast.Import | ast.ImportFrom] = []
    # one pass, by exact type (no node class is subclassed): this runs on every module
    name, attribute, call, load = ast.Name, ast.Attribute, ast.Call, ast.Load
    for node in astnodes.nodes(tree):
        kind = type(node)
        if kind is name:
            if type(node.ctx) is load:  # type: ignore[attr-defined]
                loaded.add(node.id)  # type: ignore[attr-defined]
                values.append(node)  # type: ignore[arg-type]
        elif kind is attribute:
            inner.add(id(node.value))  # type: ignore[attr-defined]
            if type(node.ctx) is load:  # type: ignore[attr-defined]
                values.append(node)  # type: ignore[arg-type]
        elif kind is call:
            inner.add(id(node.func))  # type: ignore[attr-defined]
        elif kind in _OTHERS:
            if isinstance(node, ast.Import | ast.ImportFrom):
                imports.append(node)
            elif isinstance(node, ast.Global):
                rebound.update(node.names)
            elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                rebound.add(node.target.id)
    for value in values:
        if id(value) in inner or id(value) in allowed:
            continue
        chain = name_chain(value)
        if chain is not None and chain[0].id in rebound:
            continue  # not resolved by name; its import counts below
        qualname = names.qualname(value)
        if qualname is not None and "." in qualname:
            add(qualname, value.lineno)
    if imports:
        module_scope = {id(s) for s in scope_statements(tree.body)}
        for imp in imports:
            if isinstance(imp, ast.ImportFrom):
                scoped = id(imp) in module_scope
                _import_from(imp, names, scoped, loaded - rebound, add)
            elif id(imp) not in module_scope:
                for alias in imp.names:
                    # ``import a.b`` binds ``a``: every module under it is reachable
                    bound = alias.name if alias.asname else alias.name.split(".")[0]
                    add(f"{bound}.{EVERY}", imp.lineno)
    return found


def _import_from(
    node: ast.ImportFrom,
    names: ModuleNames,
    module_scope: bool,
    loaded: set[str],
    add: Callable[[str, int], None],
) -> None:
    base = from_base(node, names.info)
    if base is None:
        return
    for alias in node.names:
        if alias.name == "*":
            add(f"{base}.{EVERY}", node.lineno)
            continue
        local = alias.asname or alias.name
        qualname = f"{base}.{alias.name}"
        # read here under a name bound once by this import: its reads are counted one by one
        if module_scope and names.imports.get(local) == qualname and local in loaded:
            continue
        add(qualname, node.lineno)


def hidden_includes(a: ModuleState, recorded: frozenset[int]) -> tuple[Include, ...]:
    """``include_router`` calls on a known app or router that are not module-level statements
    (in a function, a loop, a ``with`` or ``try`` block): ``recorded`` holds the calls the
    module-level walk took. Such a call may run any number of times, at any moment."""
    found = []
    for node in astnodes.nodes(a.tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "include_router"
            and id(node) not in recorded
        ):
            continue
        owner = _owner(a, node.func.value)
        if owner == UNNAMED:
            continue  # what it includes is a use of that router: value_uses has it
        router = call_arg(node, 0, "router")
        qualname = a.qualname(router) if router is not None else None
        text = ast.unparse(router) if router is not None else "?"
        found.append(
            Include(owner, split_ref(qualname) if qualname else UNNAMED, node.lineno, True, text)
        )
    return tuple(found)


def _owner(a: ModuleState, node: ast.expr) -> tuple[str, str]:
    if isinstance(node, ast.Attribute) and node.attr == "router":
        local = a.object_of(node.value)
        if local is not None and local[0] == "local":
            return a.this, local[1]  # ``app.router``
    qualname = a.qualname(node)
    return split_ref(qualname) if qualname else UNNAMED
