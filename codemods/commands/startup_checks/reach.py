"""``startup-checks``' gather: what each module calls and registers, for the reach of an app.

One walk of the module's ``ast`` records, per module-level function (and ``""`` for the module
level), the calls it always makes (not guarded, ``audit.envsites``), the names its imports
bind, and the *entries*: functions that run when a request comes in — route handlers
(``@<x>.get(...)``, ``.post``, ``.api_route``, ``.websocket``, ``.middleware`` and the like),
endpoints passed to ``Route``/``WebSocketRoute``/``add_api_route``, and dependencies
(``Depends(f)``/``Security(f)``). ``codemods.commands.startup_checks.scope`` follows them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ...astkit.names import name_chain
from ...audit.envsites import exit_followers, guards
from ...audit.envvars import EnvFacts, scan_env
from ...components.modules import ModuleInfo, resolve_relative

#: A called or registered name: its dotted form and whether its first part is an import
#: (then the dotted form is absolute: ``app.clients.llm_client``).
Target = tuple[str, bool]
#: (parent, node, scope, guarded) on the walk's stack
_Item = tuple[ast.AST, ast.AST, str, bool]

_ROUTE_DECORATORS = frozenset(
    {"get", "post", "put", "delete", "patch", "options", "head", "trace", "api_route", "route",
     "websocket", "websocket_route", "middleware"}
)  # fmt: skip
_ENDPOINT_CALLS = frozenset(
    {"Route", "WebSocketRoute", "add_api_route", "add_route", "add_websocket_route",
     "add_api_websocket_route"}
)  # fmt: skip
_DEPENDENCIES = frozenset({"Depends", "Security"})


@dataclass(frozen=True)
class EnvScan:
    """One module's environment reads, calls and entries (picklable)."""

    env: EnvFacts
    #: scope (``""``: module level, else a module-level function) -> the calls it always makes
    calls: tuple[tuple[str, tuple[Target, ...]], ...] = ()
    entries: tuple[Target, ...] = ()
    #: names of the module-level functions
    functions: frozenset[str] = frozenset()


def scan_reach(tree: ast.Module, info: ModuleInfo | None) -> EnvScan:
    walker = _Walker(info)
    walker.imports_of(tree)
    walker.walk(tree)
    return EnvScan(
        env=scan_env(tree),
        calls=tuple(sorted((s, tuple(sorted(t))) for s, t in walker.calls.items())),
        entries=tuple(sorted(walker.entries)),
        functions=frozenset(walker.functions),
    )


class _Walker:
    def __init__(self, info: ModuleInfo | None) -> None:
        self.info = info
        self.imports: dict[str, str | None] = {}  # None: bound to two different things
        self.calls: dict[str, set[Target]] = {}
        self.entries: set[Target] = set()
        self.functions: set[str] = set()

    def imports_of(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self._bind(local, alias.name if alias.asname else local)
            elif isinstance(node, ast.ImportFrom):
                base = (
                    resolve_relative(self.info, node.module, node.level)
                    if self.info is not None
                    else (node.module if node.level == 0 else None)
                )
                for alias in node.names:
                    if alias.name != "*":
                        target = f"{base}.{alias.name}" if base else None
                        self._bind(alias.asname or alias.name, target)

    def _bind(self, local: str, target: str | None) -> None:
        if local in self.imports and self.imports[local] != target:
            target = None
        self.imports[local] = target

    def walk(self, tree: ast.Module) -> None:
        """One iterative walk (a deep expression must not exhaust Python's recursion limit)."""
        stack: list[_Item] = [(tree, c, "", False) for c in ast.iter_child_nodes(tree)]
        while stack:
            parent, node, scope, guarded = stack.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                stack.extend(self._function(parent, node, scope, guarded))
            elif isinstance(node, ast.Lambda):
                stack.extend((node, c, "?", False) for c in ast.iter_child_nodes(node))
            else:
                inner = guarded or guards(parent, node)
                if isinstance(node, ast.Call):
                    self._call(node, scope, inner)
                # in a function, what follows a possible `return`/`raise` may not run
                after = exit_followers(node) if scope and not isinstance(node, ast.expr) else set()
                stack.extend(
                    (node, c, scope, inner or id(c) in after) for c in ast.iter_child_nodes(node)
                )

    def _function(
        self, parent: ast.AST, fn: ast.FunctionDef | ast.AsyncFunctionDef, scope: str, guarded: bool
    ) -> list[_Item]:
        top = isinstance(parent, ast.Module)
        if top:
            self.functions.add(fn.name)
        for deco in fn.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            if top and isinstance(target, ast.Attribute) and target.attr in _ROUTE_DECORATORS:
                self.entries.add((fn.name, False))
        # decorators and defaults run where the function is defined, its body when it is called
        parts = (*fn.decorator_list, *fn.args.defaults, *fn.args.kw_defaults)
        inside = fn.name if top else "?"
        after = exit_followers(fn)
        return [
            *((fn, p, scope, guarded) for p in parts if p is not None),
            *((fn, stmt, inside, id(stmt) in after) for stmt in fn.body),
        ]

    def _call(self, call: ast.Call, scope: str, guarded: bool) -> None:
        target = self.target(call.func)
        last = target[0].rsplit(".", 1)[-1] if target is not None else ""
        # a dependency or route registered only in some branch is not followed
        if not guarded and last in _DEPENDENCIES and call.args:
            self._entry(call.args[0])
        elif not guarded and last in _ENDPOINT_CALLS:
            endpoint = next((k.value for k in call.keywords if k.arg == "endpoint"), None)
            self._entry(endpoint or (call.args[1] if len(call.args) > 1 else None))
        if target is not None and scope != "?" and not guarded:
            self.calls.setdefault(scope, set()).add(target)

    def _entry(self, node: ast.expr | None) -> None:
        target = self.target(node) if node is not None else None
        if target is not None:
            self.entries.add(target)

    def target(self, expr: ast.expr) -> Target | None:
        chain = name_chain(expr)
        if chain is None:
            return None
        name, attrs = chain
        if name.id in self.imports:
            base = self.imports[name.id]
            if base is None:
                return None
            return ".".join([base, *attrs]), True
        return ".".join([name.id, *attrs]), False
