"""The cross-module view of the ``lifespan`` codemod: which objects can convert, which routers'
handlers move into which app. Both modules of a router/app pair ask the same questions of the
same facts, so they always agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Set

from ..astkit.names import Ref
from ..components.decide import Support, supports
from ..components.index import Component
from ..facts import ProjectFacts
from ..types import Options
from .canonical import AMBIGUOUS
from .handler_order import order_problem
from .lift import lift_plan
from .links import EVERY
from .model import (
    UNNAMED,
    AppObject,
    Include,
    ModuleAnalysis,
    Registration,
    find_object,
)

#: FastAPI versions: ``lifespan=`` exists, and ``include_router`` merges router lifespans.
FASTAPI_LIFESPAN = (0, 93)
FASTAPI_ROUTER_LIFESPAN = (0, 112, 2)
#: The first Starlette release whose ``Starlette(lifespan=...)`` takes an ``@asynccontextmanager``
#: function (0.13.5 took generator functions only; checked by tests/commands/lifespan/test_fastapi_versions.py).
STARLETTE_LIFESPAN = (0, 16, 0)


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
        #: Owner -> its ``include_router`` calls outside module-level statements.
        self.hidden: dict[Ref, list[tuple[str, Include]]] = defaultdict(list)
        #: Ref -> the first (module, line) that uses it as a value (``links``).
        self.uses: dict[Ref, tuple[str, int]] = {}
        #: Lift plan -> the routers that get a ``lifespan=`` of their own under it.
        self._own: dict[frozenset[tuple[Ref, Ref]], frozenset[Ref]] = {}
        for module in sorted(modules.values(), key=lambda m: m.name):
            for mod, name, _line in module.foreign:
                self.foreign[(mod, name)].add(module.name)
            for include in module.includes:
                self.includers[include.router].append((module.name, include))
            for include in module.hidden:
                self.hidden[include.owner].append((module.name, include))
            for ref, line in sorted(module.escapes.items()):
                self.uses.setdefault(ref, (module.name, line))
        #: Router -> the app or router its handlers move into; router -> why they do not.
        self.lifted, self.not_lifted = lift_plan(self)

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
        if self.blockers(module, router) or router.risky or self.escaped((module, router.name)):
            return False
        return not self.merged_only(module, router) or self.router_lifespan().ok is True

    def merged_only(self, module: str, router: AppObject) -> bool:
        """Does a ``lifespan=`` of ``router``'s own run only through ``include_router``'s merge
        (FastAPI >= 0.112.2)? Yes for an ``APIRouter``, and for a Starlette ``Router`` that an
        ``include_router`` takes: before 0.112.2 that copied its ``on_startup`` lists only. A
        Starlette ``Router`` nothing includes runs its lifespan itself, served as the app."""
        return router.framework != "starlette" or bool(self.includers.get((module, router.name)))

    def why_not_own(self, module: str, router: AppObject) -> str:
        """Why ``router`` (without other blockers) neither moves into an app nor gets a
        ``lifespan=`` of its own."""
        ref = (module, router.name)
        why = self.not_lifted.get(ref, "its handlers cannot move into an including app")
        escaped = self.escaped(ref)
        if escaped is not None:
            return why if why == escaped else f"{why}; {escaped}"
        order = self.order_problem(module, router)
        if order is not None and (
            not self.merged_only(module, router) or self.router_lifespan().ok is True
        ):
            return f"{why}; and a `lifespan=` of its own would change the order: {order}"
        return (
            f"{why}; and a router `lifespan=` is merged by `include_router` only from "
            f"FastAPI 0.112.2 ({self.router_lifespan().reason})"
        )

    def order_problem(self, module: str, router: AppObject) -> str | None:
        """Why a merged ``lifespan=`` of ``router`` would run handlers in another order."""
        ref = (module, router.name)
        return self._order(ref, self.lifted, self.own_lifespans() | {ref})

    def _order(self, ref: Ref, lifted: Mapping[Ref, Ref], own: Set[Ref]) -> str | None:
        def old(router: Ref, includer: Ref) -> set[str]:
            return self.old_events(router, includer, lifted, own)

        return order_problem(self.modules, self.includers, self.hidden, lifted, ref, old)

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
            return set() if self.plain(ref) else both
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
        for _where, include in self.includes_into(owner):
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

    def includes_into(self, owner: Ref) -> list[tuple[str, Include]]:
        """Every ``include_router`` on ``owner``: module-level ones, then the others."""
        found = [
            (module.name, include)
            for module in self.modules.values()
            for include in module.includes
            if include.owner == owner
        ]
        return found + self.hidden.get(owner, [])

    def escaped(self, ref: Ref) -> str | None:
        """Why ``ref`` may be included somewhere the analysis does not see (None: it is not)."""
        module, name = ref
        keys = ((module, name), (module, EVERY), (AMBIGUOUS, name), (AMBIGUOUS, EVERY))
        site = next((self.uses[k] for k in keys if k in self.uses), None)
        if site is None:
            parts = module.split(".")
            prefixes = {".".join(parts[:i]) for i in range(1, len(parts))}
            site = next(
                (self.uses[(p, EVERY)] for p in sorted(prefixes) if (p, EVERY) in self.uses), None
            )
        if site is None:
            return None
        return (
            f"it is also used at line {site[1]} of `{site[0]}`, not as the router of a "
            "module-level `include_router`: it may be included into another app there"
        )

    def plain(self, ref: Ref) -> bool:
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
        hidden = [i for _m, i in self.hidden.get(owner, [])]
        for _module, include in self.includes_into(owner):
            router_ref = include.router
            if router_ref in seen:
                continue
            notes = (
                [f"line {include.line}, not a module-level statement"] if include in hidden else []
            )
            if router_ref[0] in self.opaque:
                lost.append(_named(include, [*notes, "its module could not be analysed"]))
                continue
            router = find_object(self.modules, router_ref)
            if router is None:
                if self.plain(router_ref):
                    continue
                # a router that cannot be read may register handlers: never assume it does not
                lost.append(_named(include, [*notes, self._unread(router_ref)]))
                continue
            moved = lifted.get(router_ref) == owner
            if router.registrations and not moved and router_ref not in own:
                lost.append(_named(include, notes))
            lost += self._lost(router_ref, lifted, own, seen | {router_ref})
        return lost

    def component_of(self, module: str) -> str | None:
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


def _named(include: Include, notes: list[str]) -> str:
    return f"`{include.text}`" + (f" ({'; '.join(notes)})" if notes else "")


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
