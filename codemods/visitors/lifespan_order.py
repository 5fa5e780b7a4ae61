"""Does a router's own ``lifespan=`` keep the order its handlers ran in? (``lifespan`` codemod)

Before the rewrite, ``include_router`` copied a router's handlers into the includer's lists at
the include's position: everything runs in registration order, startup and shutdown alike (the
contract of FastAPI < 0.112.2; later releases run the copies too). A router's own lifespan is
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
includer's own, at the include's position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .ast_names import Ref
from .fastapi_model import AppObject, Include, ModuleAnalysis, Registration


def _find(modules: Mapping[str, ModuleAnalysis], ref: Ref) -> AppObject | None:
    module = modules.get(ref[0])
    if module is None:
        return None
    return next((o for o in module.objects if o.name == ref[1]), None)


def router_events(
    modules: Mapping[str, ModuleAnalysis], ref: Ref, seen: frozenset[Ref] = frozenset()
) -> set[str]:
    """The events (``startup``, ``shutdown``) ``ref``'s handlers, or its routers', run on."""
    obj = _find(modules, ref)
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
) -> bool:
    """Does the owner's own lifespan run a ``kind`` handler from one of ``events``?"""
    for event in events:
        if isinstance(event, Registration):
            if event.event == kind:
                return True
        elif lifted.get(event.router) == owner and kind in router_events(modules, event.router):
            return True
    return False


def order_problem(
    modules: Mapping[str, ModuleAnalysis],
    includers: Mapping[Ref, Sequence[tuple[str, Include]]],
    lifted: Mapping[Ref, Ref],
    router: Ref,
) -> str | None:
    """Why ``router``'s own merged lifespan would run handlers in another order, if it would."""
    kinds = router_events(modules, router)
    if not kinds:
        return None
    for _where, include in includers.get(router, ()):
        owner = _find(modules, include.owner)
        if owner is None:
            continue  # not a module-level object: its includer is blocked for that already
        events = owner.events
        index = next((i for i, e in enumerate(events) if e == include), None)
        if index is None:
            return f"`{owner.name}` includes it from another module, so the order of handlers is unknown"
        name = owner.name
        if "startup" in kinds and _steps(
            modules, include.owner, events[index + 1 :], lifted, "startup"
        ):
            return (
                f"`{name}` registers startup handlers after including it, which would then run "
                "before the router's"
            )
        if "shutdown" in kinds and _steps(
            modules, include.owner, events[:index], lifted, "shutdown"
        ):
            return (
                f"`{name}` registers shutdown handlers before including it, which would then run "
                "after the router's"
            )
        if "shutdown" in kinds:
            for other in events:
                if (
                    isinstance(other, Include)
                    and other.router != router
                    and lifted.get(other.router) != include.owner
                    and "shutdown" in router_events(modules, other.router)
                ):
                    return (
                        f"`{name}` also includes `{other.text}`, which has shutdown handlers: merged "
                        "router lifespans shut down in reverse include order"
                    )
    return None
