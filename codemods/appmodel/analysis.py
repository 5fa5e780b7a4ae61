"""Read-only analysis of a module's FastAPI/Starlette apps, routers and their event handlers.

Pure functions over the standard library's ``ast``. The gather phase runs :func:`analyse` on
every file (cross-module facts: which router is included where, which functions are async) and
the ``lifespan`` codemod runs the same function on the file it rewrites, so both phases always
agree on what they see. Positions are 1-based line numbers of the analysed source.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from ..astkit.names import (
    call_arg,
    module_level,
    shares_line,
    simple_assignment,
    split_ref,
)
from ..project import ModuleInfo
from .checks import acm, create_all_lines, find_risky, scan_leftovers
from .light import function_kinds, yields
from .links import hidden_includes, value_uses
from .model import (
    APP_CLASSES,
    EVENTS,
    HARMLESS_CALLS,
    ROUTER_CLASSES,
    UNNAMED,
    AppObject,
    Handler,
    Include,
    ModuleAnalysis,
    Registration,
)
from .state import ModuleState

__all__ = [
    "APP_CLASSES",
    "EVENTS",
    "HARMLESS_CALLS",
    "ROUTER_CLASSES",
    "AppObject",
    "Handler",
    "Include",
    "ModuleAnalysis",
    "Registration",
    "analyse",
    "function_kinds",
]

_CM_DECORATORS = frozenset({"contextlib.asynccontextmanager"})


class Analyser(ModuleState):
    """Reads one module's apps, routers and event registrations into its state."""

    # -- handlers ---------------------------------------------------------------------------

    def registration_decorator(self, node: ast.expr) -> tuple[str, str, ast.Call] | None:
        """``@X.on_event("startup")`` -> (object name, event, call)."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            return None
        if node.func.attr != "on_event":
            return None
        owner = self.object_of(node.func.value)
        if owner is None or owner[0] != "local":
            return None
        event = _event_arg(node, "event_type")
        return owner[1], event or "", node

    def function_kinds(self) -> tuple[dict[str, bool | None], dict[str, str]]:
        functions: dict[str, bool | None] = {}
        generators: dict[str, str] = {}
        for stmt in self.tree.body:
            if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if self.bindings[stmt.name] != 1:
                continue
            plain = all(self.registration_decorator(d) for d in stmt.decorator_list)
            functions[stmt.name] = isinstance(stmt, ast.AsyncFunctionDef) if plain else None
            if isinstance(stmt, ast.AsyncFunctionDef) and yields(stmt):
                # not a coroutine function: the framework would call it without awaiting
                functions[stmt.name] = None
                decorators = [self.qualname(d) for d in stmt.decorator_list]
                if decorators == []:
                    generators[stmt.name] = "agen"
                elif len(decorators) == 1 and decorators[0] in _CM_DECORATORS:
                    generators[stmt.name] = "cm"
        return functions, generators

    def handler(self, node: ast.expr, functions: Mapping[str, bool | None]) -> Handler:
        text = ast.unparse(node)
        if isinstance(node, ast.Name):
            if node.id in functions:
                kind = functions[node.id]
                if kind is None:
                    return Handler(
                        text,
                        problem=f"`{text}` is decorated or an async generator: its kind is unknown",
                    )
                return Handler(text, is_async=kind)
            if node.id in self.imports:
                return Handler(text, ref=split_ref(self.imports[node.id]))
            return Handler(text, problem=f"cannot tell whether `{text}` is a coroutine function")
        if isinstance(node, ast.Attribute) and _dotted(node):
            root = _root(node)
            if root in self.imports:
                qual = self.qualname(node)
                if qual is not None:
                    return Handler(text, ref=split_ref(qual))
            method = self.method_kind(node)
            if method is not None:
                return Handler(text, is_async=method)
            return Handler(text, problem=f"cannot tell whether `{text}` is a coroutine function")
        return Handler(text, problem=f"handler `{text}` is not a named function")

    def method_kind(self, node: ast.Attribute) -> bool | None:
        """``obj.meth`` where ``obj = Cls(...)`` and ``Cls`` is a class of this module."""
        if not isinstance(node.value, ast.Name) or self.bindings[node.value.id] != 1:
            return None
        cls_name = None
        for stmt in self.tree.body:
            target, value = simple_assignment(stmt)
            if (
                target == node.value.id
                and isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
            ):
                cls_name = value.func.id
        for stmt in self.tree.body:
            if (
                isinstance(stmt, ast.ClassDef)
                and stmt.name == cls_name
                and self.bindings[stmt.name] == 1
            ):
                kind = None
                for item in stmt.body:
                    if (
                        isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                        and item.name == node.attr
                    ):
                        plain = all(_is_plain_method_decorator(d) for d in item.decorator_list)
                        kind = isinstance(item, ast.AsyncFunctionDef) if plain else None
                return kind
        return None

    # -- registrations ----------------------------------------------------------------------

    def walk_registrations(self, functions: Mapping[str, bool | None]) -> None:
        for name, (_stmt, call, _kind, _fw, _branch) in self.objects.items():
            self._keywords(name, call, functions)
        for stmt, branch in module_level(self.tree.body):
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self._decorators(stmt, branch, functions)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                self._call(stmt, stmt.value, branch, functions)

    def _keywords(self, name: str, call: ast.Call, functions: Mapping[str, bool | None]) -> None:
        for keyword in call.keywords:
            if keyword.arg is None:
                self.problems[name].append(f"`{name}` is created with `**` arguments")
            elif keyword.arg in ("on_startup", "on_shutdown"):
                event = keyword.arg[3:]
                if not isinstance(keyword.value, ast.List | ast.Tuple):
                    self.event_problem(name, f"`{keyword.arg}=` is not a list of handlers")
                    continue
                for elt in keyword.value.elts:
                    handler = self.handler(elt, functions)
                    self.events[name].append(Registration(event, handler, "keyword", elt.lineno))

    def _decorators(
        self,
        stmt: ast.FunctionDef | ast.AsyncFunctionDef,
        branch: int | None,
        functions: Mapping[str, bool | None],
    ) -> None:
        found = [(d, r) for d in stmt.decorator_list if (r := self.registration_decorator(d))]
        if not found:
            return
        others = len(found) != len(stmt.decorator_list)
        for decorator, (owner, event, call) in reversed(found):  # decorators apply bottom-up
            self.consumed.add(id(call.func))
            if others:
                self.event_problem(
                    owner,
                    f"`{stmt.name}` has other decorators besides `on_event`, so the registered object is unknown",
                )
                continue
            if event not in EVENTS:
                self.event_problem(
                    owner, f"`on_event` at line {decorator.lineno} has no literal event name"
                )
                continue
            handler = Handler(stmt.name, is_async=isinstance(stmt, ast.AsyncFunctionDef))
            if isinstance(stmt, ast.AsyncFunctionDef) and yields(stmt):
                handler = Handler(
                    stmt.name, problem=f"`{stmt.name}` is an async generator function"
                )
            elif self.bindings[stmt.name] != 1:
                handler = Handler(stmt.name, problem=f"`{stmt.name}` is bound more than once")
            self.events[owner].append(
                Registration(event, handler, "decorator", decorator.lineno, branch, stmt.lineno)
            )

    def _call(
        self,
        stmt: ast.Expr,
        call: ast.Call,
        branch: int | None,
        functions: Mapping[str, bool | None],
    ) -> None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return
        owner = self.object_of(func.value)
        if func.attr == "include_router" and owner is not None:
            self._include(stmt, call, owner, branch)
        if func.attr != "add_event_handler" or owner is None:
            return
        self.consumed.add(id(func))
        if owner[0] == "foreign":
            self.foreign.append((*split_ref(owner[1]), stmt.lineno))
            return
        name = owner[1]
        event = _event_arg(call, "event_type")
        target = call_arg(call, 1, "func")
        if event not in EVENTS or target is None:
            self.event_problem(
                name, f"`add_event_handler` at line {stmt.lineno} has no literal event name"
            )
            return
        if shares_line(self.tree, stmt):
            self.event_problem(
                name,
                f"the registration at line {stmt.lineno} shares its line with another statement",
            )
            return
        self.events[name].append(
            Registration(event, self.handler(target, functions), "call", stmt.lineno, branch)
        )

    def _include(
        self, stmt: ast.Expr, call: ast.Call, owner: tuple[str, str], branch: int | None
    ) -> None:
        router = call_arg(call, 0, "router")
        if router is None:
            return
        self.include_calls.add(id(call))
        self.include_args.add(id(router))
        qual = self.qualname(router)
        owner_ref = (self.this, owner[1]) if owner[0] == "local" else split_ref(owner[1])
        include = Include(
            owner_ref, split_ref(qual) if qual else UNNAMED, stmt.lineno, branch is not None, ast.unparse(router)
        )
        self.includes.append(include)
        if owner[0] == "local":
            self.events[owner[1]].append(include)

    def result(self) -> ModuleAnalysis:
        self.find_objects()
        functions, generators = self.function_kinds()
        self.walk_registrations(functions)
        scan_leftovers(self)
        find_risky(self)
        objects = []
        for name, (stmt, call, kind, framework, _branch) in self.objects.items():
            lifespan = next((k.value for k in call.keywords if k.arg == "lifespan"), None)
            if isinstance(lifespan, ast.Constant) and lifespan.value is None:
                lifespan = None  # `lifespan=None` is the default: the event handlers do run
            objects.append(
                AppObject(
                    name=name,
                    kind=kind,
                    framework=framework,
                    callee=ast.unparse(call.func),
                    line=stmt.lineno,
                    lifespan=ast.unparse(lifespan) if lifespan is not None else None,
                    events=tuple(self.events[name]),
                    problems=tuple(dict.fromkeys(self.problems[name])),
                    risky=tuple(dict.fromkeys(self.risky[name])),
                    uses_events=name in self.touched,
                )
            )
        return ModuleAnalysis(
            name=self.this,
            objects=tuple(sorted(objects, key=lambda o: o.line)),
            functions=functions,
            generators=generators,
            includes=tuple(self.includes),
            foreign=tuple(self.foreign),
            stray=tuple(sorted(set(self.stray))),
            loose=tuple(self.loose),
            create_all=create_all_lines(self.tree),
            import_from=dict(self.import_from),
            imports=dict(self.imports),
            names=frozenset(self.names),
            acm=acm(self.module_names),
            escapes=value_uses(self.tree, self.module_names, frozenset(self.include_args)),
            hidden=hidden_includes(self, frozenset(self.include_calls)),
        )


def analyse(tree: ast.Module, info: ModuleInfo | None) -> ModuleAnalysis:
    """The apps, routers, event registrations and related facts of one module."""
    return Analyser(tree, info).result()


def _event_arg(call: ast.Call, keyword: str) -> str | None:
    node = call_arg(call, 0, keyword)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _dotted(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _is_plain_method_decorator(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in ("staticmethod", "classmethod")
