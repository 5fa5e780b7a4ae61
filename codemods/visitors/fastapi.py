"""Read-only analysis of a module's FastAPI/Starlette apps, routers and their event handlers.

Pure functions over the standard library's ``ast``. The gather phase runs :func:`analyse` on
every file (cross-module facts: which router is included where, which functions are async) and
the ``lifespan`` codemod runs the same function on the file it rewrites, so both phases always
agree on what they see. Positions are 1-based line numbers of the analysed source.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ..project import ModuleInfo, resolve_relative

#: Qualified class name -> framework, for app and router objects.
APP_CLASSES: Mapping[str, str] = {
    "fastapi.FastAPI": "fastapi",
    "fastapi.applications.FastAPI": "fastapi",
    "starlette.applications.Starlette": "starlette",
}
ROUTER_CLASSES: Mapping[str, str] = {
    "fastapi.APIRouter": "fastapi",
    "fastapi.routing.APIRouter": "fastapi",
    "starlette.routing.Router": "starlette",
}
EVENTS = ("startup", "shutdown")
#: Callables that receive an app without registering event handlers on it.
HARMLESS_CALLS = frozenset(
    {"uvicorn.run", "fastapi.testclient.TestClient", "starlette.testclient.TestClient", "mangum.Mangum"}
)
_HOOK_ATTRS = frozenset({"on_event", "add_event_handler", "on_startup", "on_shutdown", "lifespan_context"})
_CM_DECORATORS = frozenset({"contextlib.asynccontextmanager"})

Ref = tuple[str, str]


@dataclass(frozen=True)
class Handler:
    """The callable a registration hands to the framework."""

    #: Source text of the expression, e.g. ``connect`` or ``db.connect``.
    text: str
    #: Known from this module: True for ``async def``; None when unknown or to be looked up.
    is_async: bool | None = None
    #: ``(module, name)`` of an imported function whose kind the project facts may know.
    ref: Ref | None = None
    #: Why a lifespan cannot call it, if it cannot.
    problem: str | None = None


@dataclass(frozen=True)
class Registration:
    """One ``on_event`` decorator, ``add_event_handler`` call or ``on_startup=`` element."""

    event: str
    handler: Handler
    #: ``keyword``, ``decorator`` or ``call``.
    kind: str
    #: Line of the list element, the decorator or the call statement.
    line: int
    #: Line of the outermost module-level ``if`` it sits in; None when unconditional.
    branch: int | None = None
    #: For decorators: line of the decorated ``def``.
    def_line: int | None = None


@dataclass(frozen=True)
class Include:
    """``owner.include_router(router)`` at module level."""

    owner: Ref
    router: Ref
    line: int
    conditional: bool
    #: How this module spells the router, e.g. ``router`` or ``users.router``.
    text: str


@dataclass(frozen=True)
class AppObject:
    """A module-level ``X = FastAPI(...)`` / ``Starlette(...)`` / ``APIRouter(...)``."""

    name: str
    #: ``app`` or ``router``.
    kind: str
    framework: str
    #: Source text of the class, e.g. ``FastAPI`` or ``fastapi.APIRouter``.
    callee: str
    line: int
    #: Source text of an existing ``lifespan=`` argument.
    lifespan: str | None = None
    #: Registrations and includes, in the order they take effect at import time.
    events: tuple[Registration | Include, ...] = ()
    #: Reasons the object cannot be converted.
    problems: tuple[str, ...] = ()
    #: Calls that receive the object and might register handlers on it themselves.
    risky: tuple[str, ...] = ()

    @property
    def registrations(self) -> tuple[Registration, ...]:
        return tuple(e for e in self.events if isinstance(e, Registration))


@dataclass(frozen=True)
class ModuleAnalysis:
    """Everything the lifespan codemod needs to know about one module."""

    name: str
    objects: tuple[AppObject, ...] = ()
    #: Module-level functions bound once: name -> is async (None: other decorators, unknown).
    functions: Mapping[str, bool | None] = field(default_factory=dict)
    #: Module-level async generator functions: name -> ``cm`` (``@asynccontextmanager``) or ``agen``.
    generators: Mapping[str, str] = field(default_factory=dict)
    includes: tuple[Include, ...] = ()
    #: Registrations on objects this module imports: (module, name, line).
    foreign: tuple[tuple[str, str, int], ...] = ()
    #: Registrations on things that are not module-level objects: (line, reason).
    stray: tuple[tuple[int, str], ...] = ()
    #: Lines of unconditional module-level ``<x>.metadata.create_all(...)`` statements.
    create_all: tuple[int, ...] = ()
    #: Local name -> line of the unconditional module-level ``from ... import`` that binds it.
    import_from: Mapping[str, int] = field(default_factory=dict)
    #: Every name bound or used in the module (fresh names avoid them).
    names: frozenset[str] = frozenset()
    #: How to spell ``asynccontextmanager`` here: (expression, import needed); None: cannot.
    acm: tuple[str, bool] | None = ("asynccontextmanager", True)


def this_module(info: ModuleInfo | None) -> str:
    return info.name if info is not None else "__main__"


def split_ref(qualname: str) -> Ref:
    module, _, name = qualname.rpartition(".")
    return module, name


def module_level(body: list[ast.stmt]) -> Iterator[tuple[ast.stmt, int | None]]:
    """Module-level statements in source order, descending into ``if`` blocks only.

    Yields ``(statement, line of the outermost enclosing if)``; the ``if`` itself is yielded too.
    """

    def walk(stmts: list[ast.stmt], branch: int | None) -> Iterator[tuple[ast.stmt, int | None]]:
        for stmt in stmts:
            yield stmt, branch
            if isinstance(stmt, ast.If):
                outer = branch if branch is not None else stmt.lineno
                yield from walk(stmt.body, outer)
                yield from walk(stmt.orelse, outer)

    return walk(body, None)


def _scope_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements executed at import time: module level, inside any block but not in defs/classes."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for name in ("body", "orelse", "finalbody"):
            yield from _scope_statements(getattr(stmt, name, []))
        for handler in getattr(stmt, "handlers", []):
            yield from _scope_statements(handler.body)
        for case in getattr(stmt, "cases", []):
            yield from _scope_statements(case.body)


def _targets(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Tuple | ast.List):
        for elt in node.elts:
            yield from _targets(elt)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)


def _bound_names(stmt: ast.stmt) -> Iterator[str]:
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            yield from _targets(target)
    elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        yield from _targets(stmt.target)
    elif isinstance(stmt, ast.For | ast.AsyncFor):
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


class _Analyser:
    def __init__(self, tree: ast.Module, info: ModuleInfo | None) -> None:
        self.tree = tree
        self.info = info
        self.this = this_module(info)
        self.bindings: Counter[str] = Counter()
        self.imports: dict[str, str] = {}
        self.import_from: dict[str, int] = {}
        self.names: set[str] = set()
        self.consumed: set[int] = set()
        self.problems: dict[str, list[str]] = {}
        self.events: dict[str, list[Registration | Include]] = {}
        self.objects: dict[str, tuple[ast.stmt, ast.Call, str, str, int | None]] = {}
        self.includes: list[Include] = []
        self.foreign: list[tuple[str, str, int]] = []
        self.stray: list[tuple[int, str]] = []
        self.risky: dict[str, list[str]] = {}

    # -- names ------------------------------------------------------------------------------

    def collect_names(self) -> None:
        top_level = {id(s) for s in self.tree.body}
        for stmt in _scope_statements(self.tree.body):
            for name in _bound_names(stmt):
                self.bindings[name] += 1
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                self._record_import(stmt, unconditional=id(stmt) in top_level)
        for node in ast.walk(self.tree):
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

    def _record_import(self, stmt: ast.Import | ast.ImportFrom, unconditional: bool) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.imports.setdefault(top, top)
            return
        if stmt.level and self.info is None:
            return
        base = resolve_relative(self.info, stmt.module, stmt.level) if self.info else stmt.module
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

    # -- objects ----------------------------------------------------------------------------

    def find_objects(self) -> None:
        for stmt, branch in module_level(self.tree.body):
            target, value = _simple_assignment(stmt)
            if target is None or not isinstance(value, ast.Call):
                continue
            qual = self.qualname(value.func)
            if qual in APP_CLASSES:
                kind, framework = "app", APP_CLASSES[qual]
            elif qual in ROUTER_CLASSES:
                kind, framework = "router", ROUTER_CLASSES[qual]
            else:
                continue
            self.objects[target] = (stmt, value, kind, framework, branch)
            self.problems[target] = []
            self.events[target] = []
            self.risky[target] = []
            if branch is not None:
                self.problems[target].append(f"`{target}` is created inside an `if` block")
            if self.bindings[target] != 1:
                self.problems[target].append(f"`{target}` is bound more than once in the module")

    def object_of(self, node: ast.expr) -> tuple[str, str] | None:
        """``X`` or ``X.router`` -> ("local"|"foreign", qualified name of X)."""
        if isinstance(node, ast.Attribute) and node.attr == "router":
            node = node.value
        qual = self.qualname(node)
        if qual is None:
            return None
        module, name = split_ref(qual)
        if module == self.this and name in self.objects:
            return "local", name
        if module and module != self.this and isinstance(node, ast.Name | ast.Attribute):
            return "foreign", qual
        return None

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
            if isinstance(stmt, ast.AsyncFunctionDef) and _yields(stmt):
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
                    return Handler(text, problem=f"`{text}` has other decorators, so whether it is async is unknown")
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
            target, value = _simple_assignment(stmt)
            if target == node.value.id and isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                cls_name = value.func.id
        for stmt in self.tree.body:
            if isinstance(stmt, ast.ClassDef) and stmt.name == cls_name and self.bindings[stmt.name] == 1:
                kind = None
                for item in stmt.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == node.attr:
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
                    self.problems[name].append(f"`{keyword.arg}=` is not a list of handlers")
                    continue
                for elt in keyword.value.elts:
                    handler = self.handler(elt, functions)
                    self.events[name].append(Registration(event, handler, "keyword", elt.lineno))

    def _decorators(
        self, stmt: ast.FunctionDef | ast.AsyncFunctionDef, branch: int | None, functions: Mapping[str, bool | None]
    ) -> None:
        found = [(d, r) for d in stmt.decorator_list if (r := self.registration_decorator(d))]
        if not found:
            return
        others = len(found) != len(stmt.decorator_list)
        for decorator, (owner, event, call) in reversed(found):  # decorators apply bottom-up
            self.consumed.add(id(call.func))
            if others:
                self.problems[owner].append(
                    f"`{stmt.name}` has other decorators besides `on_event`, so the registered object is unknown"
                )
                continue
            if event not in EVENTS:
                self.problems[owner].append(f"`on_event` at line {decorator.lineno} has no literal event name")
                continue
            handler = Handler(stmt.name, is_async=isinstance(stmt, ast.AsyncFunctionDef))
            if self.bindings[stmt.name] != 1:
                handler = Handler(stmt.name, problem=f"`{stmt.name}` is bound more than once")
            self.events[owner].append(
                Registration(event, handler, "decorator", decorator.lineno, branch, stmt.lineno)
            )

    def _call(self, stmt: ast.Expr, call: ast.Call, branch: int | None, functions: Mapping[str, bool | None]) -> None:
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
        target = _arg(call, 1, "func")
        if event not in EVENTS or target is None:
            self.problems[name].append(f"`add_event_handler` at line {stmt.lineno} has no literal event name")
            return
        if _shares_line(self.tree, stmt):
            self.problems[name].append(f"the registration at line {stmt.lineno} shares its line with another statement")
            return
        self.events[name].append(Registration(event, self.handler(target, functions), "call", stmt.lineno, branch))

    def _include(self, stmt: ast.Expr, call: ast.Call, owner: tuple[str, str], branch: int | None) -> None:
        router = _arg(call, 0, "router")
        qual = self.qualname(router) if router is not None else None
        if router is None or qual is None:
            return
        owner_ref = (self.this, owner[1]) if owner[0] == "local" else split_ref(owner[1])
        include = Include(owner_ref, split_ref(qual), stmt.lineno, branch is not None, ast.unparse(router))
        self.includes.append(include)
        if owner[0] == "local":
            self.events[owner[1]].append(include)

    def scan_leftovers(self) -> None:
        """Any other use of the event APIs: a problem for a known object, else a stray site."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute) and node.attr in _HOOK_ATTRS and id(node) not in self.consumed:
                owner = self.object_of(node.value)
                if owner is not None and owner[0] == "local":
                    self.problems[owner[1]].append(
                        f"`{ast.unparse(node)}` at line {node.lineno} is used outside a module-level registration"
                    )
                elif owner is not None and node.attr in ("on_event", "add_event_handler"):
                    self.foreign.append((*split_ref(owner[1]), node.lineno))
                elif node.attr in ("on_event", "add_event_handler"):
                    self.stray.append(
                        (node.lineno, f"`{ast.unparse(node)}` is not called on a module-level app or router")
                    )
            elif isinstance(node, ast.Call) and not self._is_object_call(node):
                qual = self.qualname(node.func)
                if (qual in APP_CLASSES or qual in ROUTER_CLASSES) and any(
                    k.arg in ("on_startup", "on_shutdown") for k in node.keywords
                ):
                    self.stray.append(
                        (node.lineno, "event handlers passed to an app or router that is not created at module level")
                    )

    def _is_object_call(self, node: ast.Call) -> bool:
        return any(call is node for _s, call, _k, _f, _b in self.objects.values())

    def find_risky(self) -> None:
        for stmt in _scope_statements(self.tree.body):
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                nodes: list[ast.AST] = [*stmt.decorator_list]
            else:
                nodes = [stmt]
            for root in nodes:
                for node in _walk_no_lambda(root):
                    if isinstance(node, ast.Call):
                        self._risky_call(node)

    def _risky_call(self, node: ast.Call) -> None:
        args = [*node.args, *(k.value for k in node.keywords)]
        passed = [a.id for a in args if isinstance(a, ast.Name) and a.id in self.objects]
        if not passed:
            return
        if isinstance(node.func, ast.Attribute) and self.object_of(node.func.value) is not None:
            return  # a method of an app or router (include_router, mount, ...)
        if self.qualname(node.func) in HARMLESS_CALLS:
            return
        for name in passed:
            self.risky[name].append(f"`{ast.unparse(node.func)}(...)` at line {node.lineno}")

    def create_all_lines(self) -> tuple[int, ...]:
        lines = []
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                func = stmt.value.func
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr == "create_all"
                    and isinstance(func.value, ast.Attribute)
                    and func.value.attr == "metadata"
                    and not _shares_line(self.tree, stmt)
                ):
                    lines.append(stmt.lineno)
        return tuple(lines)

    def acm(self) -> tuple[str, bool] | None:
        if self.imports.get("asynccontextmanager") == "contextlib.asynccontextmanager":
            return "asynccontextmanager", False
        if "asynccontextmanager" not in self.names:
            return "asynccontextmanager", True
        if self.imports.get("contextlib") == "contextlib":
            return "contextlib.asynccontextmanager", False
        return None

    def result(self) -> ModuleAnalysis:
        self.collect_names()
        self.find_objects()
        functions, generators = self.function_kinds()
        self.walk_registrations(functions)
        self.scan_leftovers()
        self.find_risky()
        objects = []
        for name, (stmt, call, kind, framework, _branch) in self.objects.items():
            lifespan = next((k.value for k in call.keywords if k.arg == "lifespan"), None)
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
                    risky=tuple(self.risky[name]),
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
            create_all=self.create_all_lines(),
            import_from={k: v for k, v in self.import_from.items() if k in self.imports},
            names=frozenset(self.names | set(self.bindings)),
            acm=self.acm(),
        )


def analyse(tree: ast.Module, info: ModuleInfo | None) -> ModuleAnalysis:
    """The apps, routers, event registrations and related facts of one module."""
    return _Analyser(tree, info).result()


def _simple_assignment(stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return stmt.target.id, stmt.value
    return None, None


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _event_arg(call: ast.Call, keyword: str) -> str | None:
    node = _arg(call, 0, keyword)
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


def _yields(func: ast.AsyncFunctionDef) -> bool:
    for node in _walk_no_lambda(func):
        if node is not func and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(node, ast.Yield | ast.YieldFrom):
            return True
    return False


def _is_plain_method_decorator(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in ("staticmethod", "classmethod")


def _walk_no_lambda(root: ast.AST) -> Iterator[ast.AST]:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Lambda):
                continue
            if node is not root and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            stack.append(child)


def _shares_line(tree: ast.Module, stmt: ast.stmt) -> bool:
    """True when ``stmt`` shares a physical line with another statement (``a; b``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node is not stmt:
            if node.lineno <= stmt.lineno <= (node.end_lineno or node.lineno) and not _contains(node, stmt):
                return True
            if stmt.lineno <= node.lineno <= (stmt.end_lineno or stmt.lineno) and not _contains(stmt, node):
                return True
    return False


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    return any(node is inner for node in ast.walk(outer))
