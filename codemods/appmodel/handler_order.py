"""Does a router's own ``lifespan=`` keep the order its handlers ran in? (``lifespan`` codemod)

Before the rewrite, ``include_router`` copied a router's handlers into the includer's lists at
the include's position: everything runs in registration order, startup and shutdown alike (as
FastAPI < 0.112.2 ran them; later releases also run them through the router's merged default
lifespan, more than once in all: ``commands.lifespan.runs``). A router's own lifespan is
instead *merged* by ``include_router`` (FastAPI >= 0.112.2): entered after the includer's own
startup code and left before its shutdown code, routers in include order on the way in and in
reverse on the way out. So the order is kept only when, in each includer:

- no startup handler of the includer is registered after the include (it would now run before
  the router's startup handlers);
- no shutdown handler of the includer is registered before it (it would now run after the
  router's shutdown handlers);
- no other router it includes with a lifespan of its own has shutdown handlers (two merged
  routers shut down in reverse include order).

Handlers of a router that moved into the includer's lifespan (``Project.lifted``) count as the
includer's own, at the include's position; so do those of an included router that stays
unconverted (``old``): ``include_router`` still copies them into the includer's lists, which its
default lifespan runs before every merged router lifespan. A router included by a router is
checked again at that router's includes: its lifespan is merged into the includer's, which is
merged in turn where that one is included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..astkit.names import Ref
from .model import Include, ModuleAnalysis, Registration, find_object

#: ``(router, includer)`` -> the events whose handlers of ``router`` (or of routers it includes)
#: stay registered the old way, and so are copied into ``includer`` at the include.
OldEvents = Callable[[Ref, Ref], set[str]]


def router_events(
    modules: Mapping[str, ModuleAnalysis], ref: Ref, seen: frozenset[Ref] = frozenset()
) -> set[str]:
    """The events (``startup``, ``shutdown``) ``ref``'s handlers, or its routers', run on."""
    obj = find_object(modules, ref)
    if obj is None or ref in seen:
        return set()
    found = {r.event for r in obj.registrations}
    for event in obj.events:
        if isinstance(event, Include):
            found |= router_events(modules, event.router, seen | {ref})
    return found


def _steps(
    modules: Mapping[str, ModuleAnalysis],
    owner: Ref,
    events: Sequence[Registration | Include],
    lifted: Mapping[Ref, Ref],
    kind: str,
    old: OldEvents,
) -> str | None:
    """What among ``events`` makes the owner's own (or default) lifespan run ``kind`` handlers:
    its own or lifted registrations, or an included router that stays unconverted."""
    for event in events:
        if isinstance(event, Registration):
            if event.event == kind:
                return f"registers {kind} handlers"
        elif lifted.get(event.router) == owner:
            if kind in router_events(modules, event.router):
                return f"registers {kind} handlers"
        elif kind in old(event.router, owner):
            return f"includes `{event.text}`, whose {kind} handlers stay registered the old way,"
    return None


Includes = Mapping[Ref, Sequence[tuple[str, Include]]]


def order_problem(
    modules: Mapping[str, ModuleAnalysis],
    includers: Includes,
    hidden: Includes,
    lifted: Mapping[Ref, Ref],
    router: Ref,
    old: OldEvents,
) -> str | None:
    """Why ``router``'s own merged lifespan would run handlers in another order, if it would.
    ``hidden``: owner -> its ``include_router`` calls outside module-level statements."""
    kinds = router_events(modules, router)
    if not kinds:
        return None
    return _problem(modules, (includers, hidden), lifted, router, kinds, old, frozenset({router}))


def _problem(
    modules: Mapping[str, ModuleAnalysis],
    includes: tuple[Includes, Includes],
    lifted: Mapping[Ref, Ref],
    target: Ref,
    kinds: set[str],
    old: OldEvents,
    seen: frozenset[Ref],
) -> str | None:
    """The problem at each include of ``target`` (the router, or a router including it)."""
    includers, hidden = includes
    for _where, include in includers.get(target, ()):
        owner = find_object(modules, include.owner)
        if owner is None:
            continue  # not a module-level object: its includer is blocked for that already
        events = owner.events
        index = next((i for i, e in enumerate(events) if e == include), None)
        if index is None:
            return f"`{owner.name}` includes it from another module, so the order of handlers is unknown"
        name = owner.name
        for _module, late in hidden.get(include.owner, ()):
            # copied into the includer at a moment the analysis does not know
            if kinds & old(late.router, include.owner):
                return (
                    f"`{name}` includes `{late.text}` at line {late.line}, outside a module-level "
                    "statement, whose handlers stay registered the old way: the order is unknown"
                )
        if "startup" in kinds and (
            after := _steps(modules, include.owner, events[index + 1 :], lifted, "startup", old)
        ):
            return f"`{name}` {after} after including it, which would then run before the router's"
        if "shutdown" in kinds and (
            before := _steps(modules, include.owner, events[:index], lifted, "shutdown", old)
        ):
            return f"`{name}` {before} before including it, which would then run after the router's"
        if "shutdown" in kinds:
            for other in events:
                if (
                    isinstance(other, Include)
                    and other.router != target
                    and lifted.get(other.router) != include.owner
                    and "shutdown" in router_events(modules, other.router)
                ):
                    return (
                        f"`{name}` also includes `{other.text}`, which has shutdown handlers: merged "
                        "router lifespans shut down in reverse include order"
                    )
        if owner.kind == "router" and include.owner not in seen:
            # the router's lifespan is merged into the includer's, and that one where it is included
            why = _problem(
                modules, includes, lifted, include.owner, kinds, old, seen | {include.owner}
            )
            if why is not None:
                return why
    return None
