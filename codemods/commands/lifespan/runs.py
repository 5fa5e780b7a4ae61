"""How often a router's event handlers run today on FastAPI >= 0.112.2, and what moving them
changes (``lifespan`` codemod).

Before 0.112.2 ``include_router`` only *copied* a router's ``on_startup``/``on_shutdown`` lists
onto the includer's. From 0.112.2 (fastapi#9630; unchanged up to 0.165.0, the newest release
checked) it also merges the router's lifespan into the includer's, and a router without
``lifespan=`` has a default lifespan that runs its own lists. So a handler registered on router
``X`` runs once for every object whose lists hold it (``X``, and each includer it was copied
into, up to the app) and whose default lifespan runs (a router's: always, it has no
``lifespan=``; the app's: when it has no ``lifespan=``), once per include path from the app:
twice for a router an app includes, three times for a sub-router (FastAPI's router events
test). Moved into the app's lifespan, or into a ``lifespan=`` of the router's own, each runs
once per include path: the count of FastAPI < 0.112.2.

:func:`runs` counts, per app, when every link is known: each router on the way is a
module-level object included only by module-level statements of its includer's module, after
everything registered on it or included into it there (the copy takes what is there at that
moment), used nowhere else as a value; otherwise it answers None (unknown, never "the same").
:func:`changed_runs` turns that into the message of an unsafe fix, unless every version the
component allows is older than 0.112.2 (:func:`copy_only`), where the move keeps the count.
"""

from __future__ import annotations

from ...appmodel.model import AppObject, find_object
from ...appmodel.project_view import FASTAPI_ROUTER_LIFESPAN, Project
from ...astkit.names import Ref
from ...components.decide import Support, below

#: The release from which ``include_router`` merges router lifespans (and so runs a router's
#: handlers again).
_MERGED = ".".join(map(str, FASTAPI_ROUTER_LIFESPAN))

#: App -> (runs of each handler at one start today, runs after the fix).
Runs = dict[Ref, tuple[int, int]]


def copy_only(project: Project) -> Support:
    """Is every FastAPI version the component allows older than 0.112.2? ``target-fastapi``
    is the oldest supported version: at 0.112.2 or later it answers no; below, the declarations
    say whether newer releases are allowed."""
    target = project.options.target_fastapi
    if target is not None and tuple(target) >= FASTAPI_ROUTER_LIFESPAN:
        return Support(False, f"target-fastapi is {'.'.join(map(str, target))}")
    return below(project.view.component, "fastapi", _MERGED)


def runs(project: Project, ref: Ref) -> Runs | None:
    """How often each handler of router ``ref`` runs per app start on FastAPI >= 0.112.2 today,
    and once moved; None when a link is unknown."""
    if project.opaque:
        return None  # a module that could not be read may include it
    found: dict[Ref, tuple[int, int]] = {}
    return found if _walk(project, ref, 0, frozenset(), found) else None


def _walk(
    project: Project,
    ref: Ref,
    defaults: int,
    seen: frozenset[Ref],
    found: dict[Ref, tuple[int, int]],
) -> bool:
    """Add the include paths from ``ref`` up to the apps to ``found``; ``defaults`` counts the
    default lifespans met on the way (each runs the handler once). False: a link is unknown."""
    obj = find_object(project.modules, ref)
    if obj is None or obj.problems:
        return False  # `**kwargs` may carry `lifespan=`; a second binding may be another object
    defaults += obj.lifespan is None
    if obj.kind == "app":
        before, after = found.get(ref, (0, 0))
        found[ref] = (before + defaults, after + 1)
        return True
    if project.escaped(ref) or project.foreign.get(ref) or project.hidden.get(ref):
        return False
    if any(where != ref[0] for where, _include in project.includes_into(ref)):
        return False  # included into from another module: the order of the copies is unknown
    includers = project.includers.get(ref, [])
    if not includers:
        return False  # included nowhere the analysis sees
    for where, include in includers:
        if include.conditional or include.owner in seen or include.owner[0] != where:
            return False
        if where == ref[0] and any(e.line > include.line for e in obj.events):
            return False  # registered or included after the copy
        if not _walk(project, include.owner, defaults, seen | {ref}, found):
            return False
    return True


def changed_runs(project: Project, obj: AppObject, module: str) -> str:
    """Why moving the handlers of router ``obj`` (or of the routers app ``obj`` includes)
    changes how often they run: the message of an unsafe fix ("" when it does not)."""
    if obj.kind == "router":
        if not project.merged_only(module, obj):
            return ""  # not included by FastAPI's `include_router`
        routers = [(module, obj.name)]
    else:
        routers = _routers_below(project, (module, obj.name))
    if not routers:
        return ""
    support = copy_only(project)
    if support.ok is True:
        return ""
    counts = {ref: runs(project, ref) for ref in routers}
    if obj.kind == "app":
        app = (module, obj.name)
        counts = {r: {app: c[app]} if c and app in c else None for r, c in counts.items()}
    if all(c is not None and all(b == a for b, a in c.values()) for c in counts.values()):
        return ""
    why = (
        support.reason
        if support.ok is False
        else f"the FastAPI version is unknown: {support.reason}"
    )
    if obj.kind == "router":
        return f"; {_router_message(counts[routers[0]])} ({why})"
    parts = [f"of {_spelled(ref, module)} {_times_of(counts[ref])}" for ref in routers]
    return (
        f"; on FastAPI >= {_MERGED} `include_router` runs the event handlers {_join(parts)} "
        "(copied into each includer and again through each router's merged lifespan); after the "
        f"fix each runs once per include ({why})"
    )


def _router_message(counts: Runs | None) -> str:
    head = f"on FastAPI >= {_MERGED} `include_router`"
    if counts is None:
        return (
            f"{head} may run this router's event handlers more than once (copied into each "
            "includer and again through each router's merged lifespan); after the fix they run "
            "once per include"
        )
    how = "copied into each includer and again through each router's merged lifespan"
    if len(counts) == 1:
        ((app, (before, after)),) = counts.items()
        if (before, after) == (2, 1):  # one include path, two default lifespans: the app's
            how = f"copied into `{app[1]}` and again through the router's merged lifespan"
    return (
        f"{head} runs this router's event handlers {_times_of(counts)} ({how}); after the fix "
        f"they run {_after(counts)}"
    )


def _times_of(counts: Runs | None) -> str:
    if counts is None:
        return "more than once"
    befores = {before for before, _after in counts.values()}
    if len(befores) == 1:
        return _times(befores.pop())
    return ", ".join(f"{_times(b)} in `{app[1]}`" for app, (b, _a) in sorted(counts.items()))


def _after(counts: Runs) -> str:
    afters = {after for _before, after in counts.values()}
    return "once" if afters == {1} else "once per include"


def _times(n: int) -> str:
    return {1: "once", 2: "twice", 3: "three times"}.get(n, f"{n} times")


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _spelled(ref: Ref, module: str) -> str:
    return f"`{ref[1]}`" if ref[0] == module else f"`{ref[0]}.{ref[1]}`"


def _routers_below(project: Project, owner: Ref, seen: frozenset[Ref] = frozenset()) -> list[Ref]:
    """The routers ``owner`` includes, directly or through routers, that register handlers."""
    found: list[Ref] = []
    for _where, include in project.includes_into(owner):
        ref = include.router
        router = find_object(project.modules, ref)
        if router is None or ref in seen:
            continue
        if router.registrations and ref not in found:
            found.append(ref)
        found += [r for r in _routers_below(project, ref, seen | {ref}) if r not in found]
    return found
