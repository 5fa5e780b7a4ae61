"""The cross-module view of the ``lifespan`` codemod: which objects can convert, which routers'
handlers move into which app. Both modules of a router/app pair ask the same questions of the
same facts, so they always agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Set
from dataclasses import replace

from ..components.decide import Support, supports
from ..components.index import Component
from ..facts import ProjectFacts
from ..types import Options
from .ast_names import Ref
from .fastapi_model import UNNAMED, AppObject, Handler, Include, ModuleAnalysis, Registration
from .lifespan_order import order_problem

#: FastAPI versions: ``lifespan=`` exists, and ``include_router`` merges router lifespans.
FASTAPI_LIFESPAN = (0, 93)
FASTAPI_ROUTER_LIFESPAN = (0, 112, 2)
#: The first Starlette release whose ``Starlette(lifespan=...)`` takes an ``@asynccontextmanager``
#: function (0.13.5 took generator functions only; checked by tests/test_fastapi_versions.py).
STARLETTE_LIFESPAN = (0, 16, 0)


def canonical(analysis: ModuleAnalysis, view: ProjectFacts) -> ModuleAnalysis:
    """``analysis`` with every module name it refers to spelled as the view names the module
    the analysed file's imports load (``routers.users`` -> ``backend.routers.users``); a name
    two files answer becomes :data:`UNNAMED`, so nothing is ever linked to one of them."""
    info = view.modules.get(analysis.name)
    path = info.path if info is not None else None
    names: dict[str, str | None] = {}

    def module_name(module: str) -> str | None:
        if module not in names:
            found = view.resolve(path, module) if module != analysis.name else None
            if found is None:  # the module itself, or a file not gathered: the view's answer
                names[module] = view.canonical(module)
            elif found.ambiguous:
                names[module] = None
            elif found.path is not None and found.path in view.by_path:
                names[module] = view.by_path[found.path].name
            else:
                names[module] = module
        return names[module]

    def ref(r: Ref) -> Ref:
        if r == UNNAMED:
            return r
        module = module_name(r[0])
        return UNNAMED if module is None else (module, r[1])

    def include(i: Include) -> Include:
        return replace(i, owner=ref(i.owner), router=ref(i.router))

    def handler(h: Handler) -> Handler:
        if h.ref is None:
            return h
        target = ref(h.ref)
        if target == UNNAMED:
            return replace(h, ref=None, problem=f"`{h.text}` comes from a module two files answer")
        return replace(h, ref=target)

    def event(e: Registration | Include) -> Registration | Include:
        return include(e) if isinstance(e, Include) else replace(e, handler=handler(e.handler))

    objects = tuple(replace(o, events=tuple(event(e) for e in o.events)) for o in analysis.objects)
    foreign = tuple((*ref((m, n)), line) for m, n, line in analysis.foreign)
    return replace(
        analysis,
        objects=objects,
        includes=tuple(include(i) for i in analysis.includes),
        foreign=foreign,
    )


def is_async(reg: Registration, modules: Mapping[str, ModuleAnalysis]) -> bool | None:
    handler = reg.handler
    if handler.problem is not None:
        return None
    if handler.is_async is not None:
        return handler.is_async
    if handler.ref is not None:
        module = modules.get(handler.ref[0])
        if module is not None:
            return module.functions.get(handler.ref[1])
    return None


def handler_problem(reg: Registration, modules: Mapping[str, ModuleAnalysis]) -> str | None:
    if reg.handler.problem is not None:
        return reg.handler.problem
    if is_async(reg, modules) is None:
        return f"cannot tell whether `{reg.handler.text}` is a coroutine function (defined outside the analysed modules)"
    return None


def find_object(modules: Mapping[str, ModuleAnalysis], ref: Ref) -> AppObject | None:
    module = modules.get(ref[0])
    if module is None:
        return None
    return next((o for o in module.objects if o.name == ref[1]), None)


class Project:
    """The cross-module view: all analyses, with the current file's own one swapped in."""

    def __init__(
        self,
        modules: Mapping[str, ModuleAnalysis],
        options: Options,
        opaque: frozenset[str] = frozenset(),
        suppressed: Callable[[str, int], bool] = lambda _m, _l: False,
        rewritten: Callable[[str], bool] = lambda _m: True,
        view: ProjectFacts | None = None,
    ) -> None:
        self.modules = modules
        self.options = options
        #: the component's view: its declarations decide which versions must be supported
        self.view = view or ProjectFacts()
        self.opaque = opaque
        self.suppressed = suppressed
        #: Is this module rewritten in this run? Handlers move between two modules only if both are.
        self.rewritten = rewritten
        self.foreign: dict[Ref, set[str]] = defaultdict(set)
        self.includers: dict[Ref, list[tuple[str, Include]]] = defaultdict(list)
        #: Router -> why its handlers do not move into an app.
        self.not_lifted: dict[Ref, str] = {}
        #: Lift plan -> the routers that get a ``lifespan=`` of their own under it.
        self._own: dict[frozenset[tuple[Ref, Ref]], frozenset[Ref]] = {}
        for module in modules.values():
            for mod, name, _line in module.foreign:
                self.foreign[(mod, name)].add(module.name)
            for include in module.includes:
                self.includers[include.router].append((module.name, include))
        self.lifted = self._lift_plan()

    # -- checks shared by both sides of a lift ------------------------------------------------

    def blockers(self, module: str, obj: AppObject) -> list[str]:
        """Reasons ``obj`` cannot get a lifespan of its own (ignoring what it includes)."""
        reasons = list(obj.problems)
        if obj.lifespan is not None:
            reasons.append(f"`{obj.name}` already has `lifespan=`")
        reasons += [handler_problem(r, self.modules) or "" for r in obj.registrations]
        if self.foreign.get((module, obj.name)):
            others = ", ".join(sorted(self.foreign[(module, obj.name)]))
            reasons.append(f"handlers are also registered on `{obj.name}` in {others}")
        analysis = self.modules[module]
        if analysis.loose:
            reasons.append(f"the registration at line {analysis.loose[0]} may target it")
        if analysis.acm is None:
            reasons.append("the name `asynccontextmanager` is taken in this module")
        lines = [obj.line, *(r.line for r in obj.registrations)]
        if any(self.suppressed(module, line) for line in lines):
            reasons.append("suppressed by a `# codemod: skip` comment")
        support = self.lifespan_support(obj)
        if support.ok is False:
            reasons.append(f"`lifespan=` needs {_floor(obj)}: {support.reason}")
        return [r for r in reasons if r]

    def lifespan_support(self, obj: AppObject) -> Support:
        """Does every framework version the component allows take ``lifespan=`` on ``obj``?"""
        return lifespan_support(obj.framework, self.options, self.view.component)

    def own_lifespan_ok(
        self, module: str, router: AppObject, lifted: Mapping[Ref, Ref] | None = None
    ) -> bool:
        """Can ``router`` get its own ``lifespan=`` (which ``include_router`` then merges)?"""
        return (module, router.name) in self.own_lifespans(lifted)

    def own_lifespans(self, lifted: Mapping[Ref, Ref] | None = None) -> frozenset[Ref]:
        """The routers that get a ``lifespan=`` of their own under the lift plan ``lifted``.

        Whether one keeps the order depends on which routers it sits next to stay unconverted
        (their handlers are still copied at the include), which depends on their own order: start
        from every router the other checks allow and drop those with an order problem or handlers
        lost below them until nothing changes (dropping one only adds unconverted handlers)."""
        plan = self.lifted if lifted is None else lifted
        key = frozenset(plan.items())
        if key not in self._own:
            own = {
                (module.name, obj.name)
                for module in self.modules.values()
                for obj in module.objects
                if obj.kind == "router" and obj.registrations and self._may_own(module.name, obj)
            }
            while drop := {
                ref
                for ref in own
                if self._order(ref, plan, own) is not None or self._lost(ref, plan, own)
            }:
                own -= drop
            self._own[key] = frozenset(own)
        return self._own[key]

    def _may_own(self, module: str, router: AppObject) -> bool:
        if self.blockers(module, router) or router.risky:
            return False
        return router.framework == "starlette" or self.router_lifespan().ok is True

    def order_problem(self, module: str, router: AppObject) -> str | None:
        """Why a merged ``lifespan=`` of ``router`` would run handlers in another order."""
        ref = (module, router.name)
        return self._order(ref, self.lifted, self.own_lifespans() | {ref})

    def _order(self, ref: Ref, lifted: Mapping[Ref, Ref], own: Set[Ref]) -> str | None:
        def old(router: Ref, includer: Ref) -> set[str]:
            return self.old_events(router, includer, lifted, own)

        return order_problem(self.modules, self.includers, lifted, ref, old)

    def old_events(
        self,
        ref: Ref,
        includer: Ref,
        lifted: Mapping[Ref, Ref],
        own: Set[Ref],
        seen: frozenset[Ref] = frozenset(),
    ) -> set[str]:
        """The events whose handlers of router ``ref`` (or of routers it includes) stay
        registered the old way; a router that cannot be read may have both."""
        if ref in seen or ref in own or lifted.get(ref) == includer:
            return set()
        both = {"startup", "shutdown"}
        if ref[0] in self.opaque:
            return both
        router = find_object(self.modules, ref)
        if router is None:
            return set() if self._plain(ref) else both
        found = {r.event for r in router.registrations}
        if self.foreign.get(ref):
            found |= both
        for event in router.events:
            if isinstance(event, Include):
                found |= self.old_events(event.router, ref, lifted, own, seen | {ref})
        return found

    def unconverted(self, owner: Ref, seen: frozenset[Ref] = frozenset()) -> list[str]:
        """The routers ``owner`` includes (transitively) whose own handlers stay registered
        the old way: neither moved into ``owner`` nor given a ``lifespan=`` of their own."""
        found: list[str] = []
        for _where, include in self._includes(owner):
            router = find_object(self.modules, include.router)
            if router is None or include.router in seen:
                continue
            if (
                router.registrations
                and self.lifted.get(include.router) != owner
                and include.router not in self.own_lifespans()
            ):
                found.append(f"`{include.text}`")
            found += self.unconverted(include.router, seen | {include.router})
        return found

    def _includes(self, owner: Ref) -> list[tuple[str, Include]]:
        return [
            (module.name, include)
            for module in self.modules.values()
            for include in module.includes
            if include.owner == owner
        ]

    def _plain(self, ref: Ref) -> bool:
        """Is ``ref`` a router made in a module that registers no handler, and none elsewhere?"""
        analysis = self.modules.get(ref[0])
        return (
            analysis is not None
            and analysis.event_free
            and ref[1] in analysis.plain_routers
            and not self.foreign.get(ref)
        )

    def router_lifespan(self) -> Support:
        """Does every FastAPI version the component allows merge a router's ``lifespan=``?"""
        return _fastapi(FASTAPI_ROUTER_LIFESPAN, "merged router lifespans", self.options, self.view.component)

    def _liftable_router(self, module: str, router: AppObject) -> bool:
        if router.kind != "router" or router.framework != "fastapi" or not router.registrations:
            return False
        if self.blockers(module, router) or router.risky:
            return False
        if any(isinstance(e, Include) for e in router.events):
            return False
        return all(r.branch is None and r.handler.text.isidentifier() for r in router.registrations)

    def _lift_plan(self) -> dict[Ref, Ref]:
        candidates: dict[Ref, Ref] = {}
        for module in self.modules.values():
            for router in module.objects:
                ref = (module.name, router.name)
                if self._liftable_router(module.name, router):
                    reason = self._lift_target(ref, router)
                    if isinstance(reason, tuple):
                        candidates[ref] = reason
                    else:
                        self.not_lifted[ref] = reason
        # an app takes its routers' handlers only if nothing else it includes would lose some
        lifted = {}
        for router_ref, app in candidates.items():
            if self.pending(app, candidates):
                self.not_lifted[router_ref] = (
                    f"`{app[1]}` includes other routers whose handlers cannot move"
                )
            else:
                lifted[router_ref] = app
        return lifted

    def _lift_target(self, ref: Ref, router: AppObject) -> Ref | str:
        """The app whose lifespan can take ``router``'s handlers, or why there is none."""
        includers = self.includers.get(ref, [])
        if not includers:
            return "no app including it was found"
        if len(includers) > 1:
            return "it is included more than once"
        where, include = includers[0]
        if self._component(ref[0]) != self._component(where):
            # the app's module would import the router's handlers from a component it may
            # not even require
            return "it belongs to another component than the app including it"
        if not (self.rewritten(ref[0]) and self.rewritten(where)):
            return "it or the app including it is not among the files rewritten in this run"
        if include.conditional or include.owner[0] != where or self.suppressed(where, include.line):
            return "it is included conditionally, from another module than the app's, or under a skip comment"
        app = find_object(self.modules, include.owner)
        if app is None or app.kind != "app" or app.framework != "fastapi":
            return f"`{include.owner[1]}`, which includes it, is not a module-level FastAPI app"
        if self.blockers(where, app) or app.risky:
            return f"`{app.name}`, which includes it, cannot be converted"
        if not self._reachable_name(self.modules[where], include):
            return f"the module of `{app.name}` cannot name its handlers"
        if where == ref[0] and any(r.line > include.line for r in router.registrations):
            return "handlers are registered after `include_router`, which copied none of them"
        return include.owner

    def _reachable_name(self, app_module: ModuleAnalysis, include: Include) -> bool:
        """Can the app's module name the router's handlers?"""
        if include.router[0] == app_module.name:
            return include.text.isidentifier()
        if include.text.isidentifier():
            return include.text in app_module.import_from
        return True  # ``users.router``: the handlers are ``users.<name>``

    def pending(self, owner: Ref, lifted: Mapping[Ref, Ref]) -> list[str]:
        """Routers included (transitively) by ``owner`` whose handlers would be lost."""
        return self._lost(owner, lifted, self.own_lifespans(lifted))

    def _lost(
        self,
        owner: Ref,
        lifted: Mapping[Ref, Ref],
        own: Set[Ref],
        seen: frozenset[Ref] = frozenset(),
    ) -> list[str]:
        lost: list[str] = []
        for module in self.modules.values():
            for include in module.includes:
                if include.owner != owner or include.router in seen:
                    continue
                router_ref = include.router
                if router_ref[0] in self.opaque:
                    lost.append(f"`{include.text}` (its module could not be analysed)")
                    continue
                router = find_object(self.modules, router_ref)
                if router is None:
                    if self._plain(router_ref):
                        continue
                    # a router that cannot be read may register handlers: never assume it does not
                    lost.append(f"`{include.text}` ({self._unread(router_ref)})")
                    continue
                moved = lifted.get(router_ref) == owner
                if router.registrations and not moved and router_ref not in own:
                    lost.append(f"`{include.text}`")
                lost += self._lost(router_ref, lifted, own, seen | {router_ref})
        return lost

    def _component(self, module: str) -> str | None:
        info = self.view.modules.get(module)
        return info.component if info is not None else self.view.component.root

    def _unread(self, ref: Ref) -> str:
        if ref == UNNAMED:
            return "which router it is cannot be told"
        if ref[0] not in self.modules:
            where = "a module of the project that was not found" if self.view.is_first_party(ref[0]) else "outside the project"
            return f"from `{ref[0]}`, {where}"
        return f"`{ref[1]}` is not a module-level router of `{ref[0]}`"

    # -- handler calls ------------------------------------------------------------------------


def lifespan_support(framework: str, options: Options, component: Component) -> Support:
    """Does every version of ``framework`` that ``component`` allows take ``lifespan=`` (an
    ``@asynccontextmanager`` function)? ``target-fastapi`` answers for FastAPI when set."""
    if framework == "fastapi":
        return _fastapi(FASTAPI_LIFESPAN, "`lifespan=`", options, component)
    return supports(component, "starlette", _dotted(STARLETTE_LIFESPAN), "`lifespan=`")


def _fastapi(floor: tuple[int, ...], feature: str, options: Options, component: Component) -> Support:
    target = options.target_fastapi
    if target is not None:
        return Support(tuple(target) >= floor, f"target-fastapi is {_dotted(target)}")
    return supports(component, "fastapi", _dotted(floor), feature)


def _dotted(version: tuple[int, ...]) -> str:
    """``0.93.0`` for ``(0, 93)``: a release as its notes name it."""
    return ".".join(map(str, (*version, 0, 0)[: max(3, len(version))]))


def _floor(obj: AppObject) -> str:
    if obj.framework == "fastapi":
        return f"FastAPI >= {_dotted(FASTAPI_LIFESPAN)}"
    return f"Starlette >= {_dotted(STARLETTE_LIFESPAN)}"
