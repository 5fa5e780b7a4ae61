"""Which routers' handlers move into an app's lifespan: the lift plan of the ``lifespan`` codemod.

Before FastAPI 0.112.2 ``include_router`` *copied* the router's ``on_startup``/``on_shutdown``
lists, as they were at that moment, onto the includer's (later releases also run them through
the router's merged default lifespan: ``commands.lifespan.runs``, which makes the move unsafe there).
A router included by a router is copied into it, and that router into the app: the app ran the
whole tree flattened, each router's handlers at its include's position (FastAPI's own
``tests/test_router_events.py`` shape: app, router, sub-router). The lift plan moves them into
the app's new lifespan at the same positions, when every link of the tree is known:

- each router is a module-level FastAPI ``APIRouter`` or Starlette ``Router`` (which
  ``include_router`` copies the same way) without blockers, whose handlers (or its routers')
  are all plain named functions registered unconditionally; its includer is a FastAPI app or
  router;
- it is included exactly once in the project, unconditionally, by a module-level statement of
  its includer's module, and used nowhere else as a value (``Project.escaped``: a test's app, a
  factory or a helper may include it too);
- in that module nothing is registered on it, and no router included into it, after the include
  (those were never copied);
- every router it includes that has handlers moves too (no part of a tree stays behind), and
  the chain ends at one convertible FastAPI app that includes nothing else whose handlers would
  stop running;
- the app's module can name every handler: a router of the tree lives in the module of the
  router the app includes (spelled as the app spells that one) or, with its includer, in the
  app's module.

Only ``lifespan=`` on the app is relied on (FastAPI 0.93.0): the routers are left without
handlers, so each runs once, where the copy ran; on FastAPI >= 0.112.2 that is fewer runs than
before (``commands.lifespan.runs.changed_runs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..astkit.names import Ref
from .handler_order import router_events
from .model import AppObject, Include, ModuleAnalysis, Registration, find_object

if TYPE_CHECKING:
    from .project_view import Project


def lift_plan(project: Project) -> tuple[dict[Ref, Ref], dict[Ref, str]]:
    """``router -> includer`` for the routers whose handlers move, and why the others do not."""
    candidates: dict[Ref, Ref] = {}
    why_not: dict[Ref, str] = {}
    for module in project.modules.values():
        for router in module.objects:
            ref = (module.name, router.name)
            if not _may_lift(project, module.name, router):
                continue
            target = _target(project, ref, router)
            if isinstance(target, tuple):
                candidates[ref] = target
            else:
                why_not[ref] = target
    # dropping one router can strand the routers below or above it: until nothing changes
    while drop := {
        ref: why for ref in sorted(candidates) if (why := _broken(project, ref, candidates))
    }:
        for ref, why in drop.items():
            del candidates[ref]
            why_not[ref] = why
    return candidates, why_not


def app_of(lifted: Mapping[Ref, Ref], ref: Ref) -> tuple[Ref, Ref] | None:
    """``(app, top router)``: where the chain of includers of ``ref`` ends, and the router of
    the chain that the app includes; None for a cycle or a chain that is not lifted."""
    top, seen = ref, {ref}
    while (includer := lifted.get(top)) is not None and includer in lifted:
        if includer in seen:
            return None
        seen.add(includer)
        top = includer
    return (includer, top) if includer is not None else None


def _may_lift(project: Project, module: str, router: AppObject) -> bool:
    if router.kind != "router":
        return False
    if not router_events(project.modules, (module, router.name)):
        return False  # nothing below it to move
    if project.blockers(module, router) or router.risky:
        return False
    return all(r.branch is None and r.handler.text.isidentifier() for r in router.registrations)


def _target(project: Project, ref: Ref, router: AppObject) -> Ref | str:
    """The app or router whose handlers ``router``'s join, or why there is none."""
    includers = project.includers.get(ref, [])
    if not includers:
        return "no app including it was found"
    if len(includers) > 1:
        return "it is included more than once"
    escaped = project.escaped(ref)
    if escaped is not None:
        return escaped
    where, include = includers[0]
    if project.component_of(ref[0]) != project.component_of(where):
        # the app's module would import the router's handlers from a component it may
        # not even require
        return "it belongs to another component than the app including it"
    if not (project.rewritten(ref[0]) and project.rewritten(where)):
        return "it or the app including it is not among the files rewritten in this run"
    if include.conditional or include.owner[0] != where or project.suppressed(where, include.line):
        return "it is included conditionally, from another module than the app's, or under a skip comment"
    owner = find_object(project.modules, include.owner)
    if owner is None or owner.framework != "fastapi":
        return (
            f"`{include.owner[1]}`, which includes it, is not a module-level FastAPI app or router"
        )
    if owner.kind == "app" and (project.blockers(where, owner) or owner.risky):
        return f"`{owner.name}`, which includes it, cannot be converted"
    if where == ref[0]:
        late = [e for e in router.events if e.line > include.line]
        if any(isinstance(e, Registration) for e in late):
            return "handlers are registered after `include_router`, which copied none of them"
        if late:
            return "routers are included into it after `include_router`, which copied none of their handlers"
    return include.owner


def _broken(project: Project, ref: Ref, candidates: Mapping[Ref, Ref]) -> str | None:
    """Why ``ref`` cannot move under the plan ``candidates`` (None: it can)."""
    includer = candidates[ref]
    owner = find_object(project.modules, includer)
    if owner is not None and owner.kind == "router" and includer not in candidates:
        return f"`{includer[1]}`, which includes it, cannot move into an app"
    router = find_object(project.modules, ref)
    assert router is not None
    for event in router.events:
        if (
            isinstance(event, Include)
            and candidates.get(event.router) != ref
            and _has_handlers(project, event.router)
        ):
            return f"it includes `{event.text}`, whose handlers cannot move with it"
    found = app_of(candidates, ref)
    if found is None:
        return "it is included in a cycle of routers"
    app, top = found
    spelled = _named(project, ref, app, top, candidates)
    if spelled is not None:
        return spelled
    if project.pending(app, candidates):
        return f"`{app[1]}` includes other routers whose handlers cannot move"
    return None


def _has_handlers(project: Project, ref: Ref) -> bool:
    """May the router ``ref`` (or a router below it) have handlers? True when it cannot be read."""
    if ref[0] in project.opaque:
        return True
    if find_object(project.modules, ref) is None:
        return not project.plain(ref)
    return bool(router_events(project.modules, ref))


def _named(
    project: Project, ref: Ref, app: Ref, top: Ref, candidates: Mapping[Ref, Ref]
) -> str | None:
    """Why the app's module cannot call ``ref``'s handlers (None: it can)."""
    app_module = project.modules[app[0]]
    top_include = project.includers[top][0][1]
    if ref[0] == top[0]:
        if spells(app_module, top_include):
            return None
    elif ref[0] == app[0] and candidates[ref][0] == app[0]:
        return None
    if ref[0] in (top[0], app[0]):
        return f"the module of `{app[1]}` cannot name its handlers"
    # importing them there could load that module earlier than before
    return (
        f"the module of `{app[1]}` cannot name its handlers: they are in `{ref[0]}`, which it "
        "does not import directly"
    )


def spells(app_module: ModuleAnalysis, include: Include) -> bool:
    """Can the app's module name the handlers of the module of the router it includes?"""
    if include.router[0] == app_module.name:
        return include.text.isidentifier()
    if include.text.isidentifier():
        return include.text in app_module.import_from
    return True  # ``users.router``: the handlers are ``users.<name>``
