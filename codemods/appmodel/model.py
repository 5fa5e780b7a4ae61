"""What the ``lifespan`` analysis finds in a module: apps, routers, registrations (plain data).

Frozen and picklable: the gather phase computes these in worker processes and caches them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..astkit.names import Ref

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
#: The router reference of an ``include_router`` whose argument cannot be named (a call, a
#: subscript, ...): what it includes, and whether that registers handlers, is unknown.
UNNAMED: Ref = ("", "")
#: Callables that receive an app without registering event handlers on it.
HARMLESS_CALLS = frozenset(
    {
        "uvicorn.run",
        "fastapi.testclient.TestClient",
        "starlette.testclient.TestClient",
        "mangum.Mangum",
    }
)
HOOK_ATTRS = frozenset(
    {"on_event", "add_event_handler", "on_startup", "on_shutdown", "lifespan_context"}
)


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
    #: Uses event APIs in ways that are not registrations (reported as skips).
    uses_events: bool = False

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
    #: Lines of those that run at import time (``for x in apps: x.on_event(...)``): they may
    #: target any app of the module.
    loose: tuple[int, ...] = ()
    #: Lines of unconditional module-level ``<x>.metadata.create_all(...)`` statements.
    create_all: tuple[int, ...] = ()
    #: Local name -> line of the unconditional module-level ``from ... import`` that binds it.
    import_from: Mapping[str, int] = field(default_factory=dict)
    #: Local name -> qualified name, for names bound once by a module-level import.
    imports: Mapping[str, str] = field(default_factory=dict)
    #: Every name bound or used in the module (fresh names avoid them).
    names: frozenset[str] = frozenset()
    #: How to spell ``asynccontextmanager`` here: (expression, import needed); None: cannot.
    acm: tuple[str, bool] | None = ("asynccontextmanager", True)
    #: Lines carrying a ``# codemod: skip`` that applies to the lifespan codemod.
    suppressed: frozenset[int] = frozenset()
    #: The module's text names no event API (``on_event``, ``on_startup``, ...): nothing in it
    #: registers a handler, so its objects were not analysed (``light.function_kinds``).
    event_free: bool = False
    #: In such a module: the names bound once to a direct ``APIRouter(...)`` call.
    plain_routers: frozenset[str] = frozenset()
    #: Qualified names the module uses as values other than as the router of a module-level
    #: ``include_router`` (``links.value_uses``) -> first line: routers used so may be
    #: included anywhere.
    escapes: Mapping[Ref, int] = field(default_factory=dict)
    #: ``include_router`` calls on a known app or router outside module-level statements.
    hidden: tuple[Include, ...] = ()


def find_object(modules: Mapping[str, ModuleAnalysis], ref: Ref) -> AppObject | None:
    """The module-level app or router ``ref`` names, if the analyses know it."""
    module = modules.get(ref[0])
    if module is None:
        return None
    return next((o for o in module.objects if o.name == ref[1]), None)
