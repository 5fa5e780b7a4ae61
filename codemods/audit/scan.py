"""The audit's per-file scan (stdlib ``ast``; runs inside the gather phase, never imports code).

One :func:`scan_module` call per file returns a picklable :class:`ModuleScan`: every import with
its scope and guard, the apps and their event handlers, event-loop policy use, work done at
import time, blocking calls in async code (a fallback for when the ``wrap-blocking-calls``
codemod is not installed), and the environment-variable facts of :mod:`.envvars`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..project import ModuleInfo, is_type_checking_test, resolve_relative
from .astutil import Aliases, main_guard_branch, parents, str_constant
from .catalogue import BLOCKING, BLOCKING_PREFIXES, CLIENTS, CONNECTS, POLICY_NAMES
from .envvars import EnvFacts, scan_env

_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}
_CATCH_ALL = {"Exception", "BaseException"}
_PLATFORM_TESTS = ("sys.platform", "os.name", "platform.system", "sys.version_info")


@dataclass(frozen=True)
class ImportSite:
    line: int
    end_line: int
    #: The statement, unparsed (``from groq import AsyncGroq``).
    statement: str
    #: Absolute dotted module (relative imports resolved); None if it cannot be resolved.
    module: str | None
    relative: bool
    #: ``(name, asname)`` for ``from`` imports; empty for ``import x``.
    names: tuple[tuple[str, str | None], ...]
    #: ``module``, ``class`` or ``function``.
    scope: str
    function: str | None = None
    is_async: bool = False
    #: ``type-checking``, ``optional`` (try/except ImportError), ``platform``, ``main`` (runs
    #: only when the module is run as a script: ``if __name__ == "__main__":``) or None.
    guard: str | None = None


@dataclass(frozen=True)
class AppSite:
    line: int
    #: The variable the app is bound to (``app``), or None.
    var: str | None
    kind: str
    has_lifespan: bool
    has_handler_args: bool


@dataclass(frozen=True)
class HandlerSite:
    line: int
    end_line: int
    #: The object the handler is registered on (``app``, ``router``, ``app.router``).
    target: str
    #: ``on_event``, ``add_event_handler`` or ``on_startup=``/``on_shutdown=``.
    kind: str
    event: str
    function: str | None
    #: For ``on_startup=``/``on_shutdown=``: the class called (``FastAPI``/``Starlette``) and
    #: whether that call also passes ``lifespan=``.
    app_kind: str = ""
    app_lifespan: bool = False


@dataclass(frozen=True)
class CallSite:
    line: int
    end_line: int
    #: The qualified name of what is called (``asyncio.set_event_loop_policy``).
    name: str
    #: The enclosing function, if any.
    function: str | None = None
    extra: str = ""
    #: The source text of the call (``Base.metadata.create_all(bind=engine)``), shortened.
    text: str = ""


@dataclass(frozen=True)
class ModuleScan:
    imports: tuple[ImportSite, ...] = ()
    apps: tuple[AppSite, ...] = ()
    handlers: tuple[HandlerSite, ...] = ()
    policies: tuple[CallSite, ...] = ()
    import_work: tuple[CallSite, ...] = ()
    blocking: tuple[CallSite, ...] = ()
    #: Calls in the direct body of ``async def``s to names imported from elsewhere or defined
    #: in this module (qualified), to match against other modules' blocking functions.
    async_calls: tuple[CallSite, ...] = ()
    #: Qualified names of this module's sync functions whose body makes a blocking call.
    blocking_functions: tuple[tuple[str, str], ...] = ()
    env: EnvFacts = field(default_factory=EnvFacts)
    #: Why the module could not be scanned (then everything else is empty).
    error: str | None = None


def scan_module(tree: ast.Module, info: ModuleInfo) -> ModuleScan:
    """Scan one parsed module. Never raises on valid ``ast`` input."""
    try:
        return _Scanner(tree, info).run()
    except RecursionError:
        return ModuleScan(error="too deeply nested to analyse")


class _Scanner:
    def __init__(self, tree: ast.Module, info: ModuleInfo) -> None:
        self.tree = tree
        self.info = info
        self.aliases = Aliases(tree)
        self.parent_of = parents(tree)
        self.local_defs = {
            n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }

    def run(self) -> ModuleScan:
        imports, apps, handlers, policies, work, blocking, async_calls = [], [], [], [], [], [], []
        blocking_functions: dict[str, str] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                imports.extend(self.imports(node))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                handlers.extend(self.decorator_handlers(node))
            elif isinstance(node, ast.Call):
                name = self.qualify_call(node)
                fn = self.function_of(node)
                if name is None:
                    continue
                last = name.split(".")[-1]
                if last in {"FastAPI", "Starlette"}:
                    app = self.app(node, last)
                    apps.append(app)
                    handlers.extend(self.handler_args(node, app))
                elif last == "add_event_handler" and node.args and str_constant(node.args[0]):
                    target = ast.unparse(node.func).rsplit(".", 1)[0]
                    event = str_constant(node.args[0]) or ""
                    handlers.append(
                        HandlerSite(node.lineno, _end(node), target, "add_event_handler", event, fn)
                    )
                if name in POLICY_NAMES:
                    policies.append(
                        CallSite(
                            node.lineno,
                            _end(node),
                            name,
                            fn,
                            self.in_main_guard(node),
                            _short(node),
                        )
                    )
                if (
                    fn is None
                    and (name in CONNECTS or name in CLIENTS or last == "create_all")
                    and not self.in_main_guard(node)  # a script's work, not the import's
                ):
                    kind = (
                        "create_all"
                        if last == "create_all"
                        else "connect"
                        if name in CONNECTS
                        else "client"
                    )
                    work.append(CallSite(node.lineno, _end(node), name, None, kind, _short(node)))
                blocking_here = name in BLOCKING or name.startswith(BLOCKING_PREFIXES)
                owner = self.owner(node)
                if isinstance(owner, ast.AsyncFunctionDef) and not self.awaited(node):
                    if blocking_here:
                        blocking.append(CallSite(node.lineno, _end(node), name, fn))
                    elif self.resolvable(node):
                        async_calls.append(CallSite(node.lineno, _end(node), name, fn))
                elif (
                    isinstance(owner, ast.FunctionDef) and blocking_here and owner in self.tree.body
                ):
                    blocking_functions.setdefault(f"{self.info.name}.{owner.name}", name)
            elif isinstance(node, ast.Attribute | ast.Name) and isinstance(node.ctx, ast.Load):
                name = self.aliases.qualify(node)
                parent = self.parent_of.get(id(node))
                is_callee = isinstance(parent, ast.Call) and parent.func is node
                if name in POLICY_NAMES and not is_callee and not isinstance(parent, ast.Attribute):
                    fn = self.function_of(node)
                    policies.append(
                        CallSite(node.lineno, _end(node), name, fn, self.in_main_guard(node))
                    )
        return ModuleScan(
            imports=tuple(sorted(imports, key=lambda s: (s.line, s.statement))),
            apps=tuple(apps),
            handlers=tuple(sorted(handlers, key=lambda h: h.line)),
            policies=tuple(sorted(set(policies), key=lambda p: (p.line, p.name))),
            import_work=tuple(work),
            blocking=tuple(blocking),
            async_calls=tuple(async_calls),
            blocking_functions=tuple(sorted(blocking_functions.items())),
            env=scan_env(self.tree),
        )

    # -- helpers ---------------------------------------------------------------------------------

    def qualify_call(self, node: ast.Call) -> str | None:
        name = self.aliases.qualify(node.func)
        func = node.func
        if (
            isinstance(func, ast.Name)
            and func.id in self.local_defs
            and func.id not in self.aliases.names
        ):
            return f"{self.info.name}.{func.id}"
        return name

    def resolvable(self, node: ast.Call) -> bool:
        base = node.func
        while isinstance(base, ast.Attribute):
            base = base.value
        return isinstance(base, ast.Name) and (
            base.id in self.aliases.names or base.id in self.local_defs
        )

    def owner(self, node: ast.AST) -> ast.AST | None:
        """The innermost function, lambda or class around ``node``."""
        for parent in self._ancestors(node):
            if isinstance(
                parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
            ):
                return parent
        return None

    def awaited(self, node: ast.AST) -> bool:
        return isinstance(self.parent_of.get(id(node)), ast.Await)

    def _ancestors(self, node: ast.AST) -> list[ast.AST]:
        chain = []
        current = self.parent_of.get(id(node))
        while current is not None:
            chain.append(current)
            current = self.parent_of.get(id(current))
        return chain

    def function_of(self, node: ast.AST) -> str | None:
        names = [
            p.name
            for p in self._ancestors(node)
            if isinstance(p, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
        if not any(
            isinstance(p, ast.FunctionDef | ast.AsyncFunctionDef) for p in self._ancestors(node)
        ):
            return None
        return ".".join(reversed(names))

    def in_main_guard(self, node: ast.AST) -> str:
        """``main`` when ``node`` runs only if the module is run as a script."""
        child = node
        for parent in self._ancestors(node):
            if isinstance(parent, ast.If) and _in_main_branch(parent, child):
                return "main"
            child = parent
        return ""

    def imports(self, node: ast.Import | ast.ImportFrom) -> list[ImportSite]:
        chain = self._ancestors(node)
        scope = "module"
        is_async = False
        for parent in chain:
            if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
                scope, is_async = "function", isinstance(parent, ast.AsyncFunctionDef)
                break
            if isinstance(parent, ast.ClassDef):
                scope = "class"
                break
        guard = self.guard(node, chain)
        fn = self.function_of(node) if scope == "function" else None
        common = {"line": node.lineno, "end_line": _end(node), "statement": ast.unparse(node)}
        if isinstance(node, ast.Import):
            return [
                ImportSite(module=alias.name, relative=False, names=(), scope=scope, function=fn,
                           is_async=is_async, guard=guard, **common)  # type: ignore[arg-type]
                for alias in node.names
            ]  # fmt: skip
        module = resolve_relative(self.info, node.module, node.level)
        names = tuple((a.name, a.asname) for a in node.names)
        return [
            ImportSite(module=module, relative=node.level > 0, names=names, scope=scope, function=fn,
                       is_async=is_async, guard=guard, **common)  # type: ignore[arg-type]
        ]  # fmt: skip

    def guard(self, node: ast.AST, chain: list[ast.AST]) -> str | None:
        child = node
        for parent in chain:
            if isinstance(parent, ast.If) and _in_main_branch(parent, child):
                return "main"
            if isinstance(parent, ast.If) and child in parent.body:
                if is_type_checking_test(parent.test):
                    return "type-checking"
                test = ast.unparse(parent.test)
                if any(t in test for t in _PLATFORM_TESTS):
                    return "platform"
            if isinstance(parent, ast.If) and child in parent.orelse:
                test = ast.unparse(parent.test)
                if any(t in test for t in _PLATFORM_TESTS):
                    return "platform"
            if isinstance(parent, ast.Try) and child in parent.body:
                # ``except ImportError``; or a catch-all around nothing but imports. A catch-all
                # around a whole handler is error handling, not an optional dependency.
                only_imports = all(isinstance(s, ast.Import | ast.ImportFrom) for s in parent.body)
                for handler in parent.handlers:
                    caught = (
                        {n.id for n in ast.walk(handler.type) if isinstance(n, ast.Name)}
                        if handler.type
                        else None
                    )
                    if (caught is not None and caught & _IMPORT_ERRORS) or (
                        only_imports and (caught is None or caught & _CATCH_ALL)
                    ):
                        return "optional"
            if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                break
            child = parent
        return None

    def app(self, node: ast.Call, kind: str) -> AppSite:
        parent = self.parent_of.get(id(node))
        var = None
        if (
            isinstance(parent, ast.Assign)
            and len(parent.targets) == 1
            and isinstance(parent.targets[0], ast.Name)
        ):
            var = parent.targets[0].id
        elif isinstance(parent, ast.AnnAssign) and isinstance(parent.target, ast.Name):
            var = parent.target.id
        keywords = {k.arg for k in node.keywords}
        lifespan = next((k.value for k in node.keywords if k.arg == "lifespan"), None)
        has_lifespan = lifespan is not None and not (
            isinstance(lifespan, ast.Constant) and lifespan.value is None
        )
        return AppSite(
            node.lineno, var, kind, has_lifespan, bool(keywords & {"on_startup", "on_shutdown"})
        )

    def handler_args(self, node: ast.Call, app: AppSite) -> list[HandlerSite]:
        found = []
        for keyword in node.keywords:
            if keyword.arg in {"on_startup", "on_shutdown"}:
                found.append(
                    HandlerSite(
                        line=keyword.value.lineno,
                        end_line=_end(keyword.value),
                        target=app.var or "",
                        kind=f"{keyword.arg}=",
                        event=keyword.arg.removeprefix("on_"),
                        function=None,
                        app_kind=app.kind,
                        app_lifespan=app.has_lifespan,
                    )
                )
        return found

    def decorator_handlers(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[HandlerSite]:
        found = []
        for deco in fn.decorator_list:
            if (
                isinstance(deco, ast.Call)
                and isinstance(deco.func, ast.Attribute)
                and deco.func.attr == "on_event"
                and deco.args
                and (event := str_constant(deco.args[0]))
            ):
                target = ast.unparse(deco.func.value)
                found.append(HandlerSite(deco.lineno, _end(fn), target, "on_event", event, fn.name))
        return found


def _in_main_branch(parent: ast.If, child: ast.AST) -> bool:
    branch = main_guard_branch(parent.test)
    return branch is not None and child in getattr(parent, branch)


def _short(node: ast.AST, limit: int = 80) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _end(node: ast.AST) -> int:
    end: int | None = getattr(node, "end_lineno", None)
    return end or int(getattr(node, "lineno", 0))
