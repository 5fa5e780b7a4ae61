"""Decisions of the ``lifespan`` codemod: which objects convert, how, and the edits that does.

Input: the :func:`~codemods.visitors.fastapi.analyse` result of the file being rewritten plus
the gathered analyses of the other modules. Output: :class:`Action` s (one reportable change
each, with the edits applying it) and skip reasons. Nothing here touches a syntax tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..types import Safety
from .ast_names import Ref
from .fastapi_model import AppObject, Include, ModuleAnalysis
from .lifespan_project import Project, find_object, is_async


@dataclass(frozen=True)
class Step:
    """One handler call inside the generated lifespan."""

    code: str
    #: Module-level flag that says whether the (conditional) registration ran.
    flag: str | None = None


@dataclass
class Spec:
    """A lifespan function to insert before an object's creation statement."""

    name: str
    #: Type of the ``app`` parameter (the app class); None for a router's lifespan.
    annotation: str | None
    acm: str
    startup: list[Step] = field(default_factory=list)
    shutdown: list[Step] = field(default_factory=list)
    #: The existing lifespan to wrap: an expression producing its context manager.
    wrap: str | None = None
    param: str = "app"
    #: Name of the wrapped lifespan's state inside the function.
    state: str = "state"


@dataclass
class Edits:
    """Line-keyed edits; lines are those of the analysed source."""

    remove_decorators: set[int] = field(default_factory=set)
    #: Module-level statements to delete (their comments move to the next statement).
    remove_statements: set[int] = field(default_factory=set)
    #: Registration statement line -> flag set to True in its place.
    flag_statements: dict[int, str] = field(default_factory=dict)
    #: ``def`` line -> flags set to True right after it.
    flag_after_def: dict[int, list[str]] = field(default_factory=dict)
    #: Module-level ``if`` line -> flags initialised to False just before it.
    flag_defaults: dict[int, list[str]] = field(default_factory=dict)
    #: Object creation line -> lifespan to insert before it.
    lifespans: dict[int, Spec] = field(default_factory=dict)
    #: Object creation line -> ``lifespan=`` value to set (None: only drop the event keywords).
    #: ``on_startup=``/``on_shutdown=`` are always dropped.
    call_edits: dict[int, str | None] = field(default_factory=dict)
    #: Object creation line -> lines of module-level statements moved to the lifespan's start.
    moved: dict[int, list[int]] = field(default_factory=dict)
    #: ``from ... import`` line -> (name, alias) to add to it.
    import_names: dict[int, list[tuple[str, str | None]]] = field(default_factory=dict)
    import_acm: bool = False

    def merge(self, other: Edits) -> None:
        self.remove_decorators |= other.remove_decorators
        self.remove_statements |= other.remove_statements
        self.flag_statements.update(other.flag_statements)
        for key, flags in other.flag_after_def.items():
            self.flag_after_def.setdefault(key, []).extend(flags)
        for key, flags in other.flag_defaults.items():
            self.flag_defaults.setdefault(key, []).extend(flags)
        self.lifespans.update(other.lifespans)
        self.call_edits.update(other.call_edits)
        for key, lines in other.moved.items():
            self.moved.setdefault(key, []).extend(lines)
        for key, names in other.import_names.items():
            self.import_names.setdefault(key, []).extend(names)
        self.import_acm |= other.import_acm


@dataclass
class Action:
    """One reportable change and the edits that apply it."""

    line: int
    message: str
    fix_title: str
    safety: Safety
    edits: Edits = field(default_factory=Edits)
    #: Apply only if the action before it was applied.
    needs_previous: bool = False
    #: Report only if the action before it was not applied (a notice that the fix before it,
    #: once applied, makes untrue).
    unless_previous: bool = False


@dataclass
class Outcome:
    actions: list[Action] = field(default_factory=list)
    skips: list[tuple[int, str]] = field(default_factory=list)


class Names:
    """Fresh module-level names: ``base``, ``base_1``, ``base_2``, ..."""

    def __init__(self, taken: frozenset[str]) -> None:
        self.taken = set(taken)

    def fresh(self, base: str) -> str:
        name, n = base, 0
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name


def _router_steps(
    project: Project, app_module: ModuleAnalysis, include: Include, names: Names, edits: Edits
) -> dict[str, list[Step]]:
    """Steps for a lifted router's handlers, spelled as the app's module can call them."""
    router = find_object(project.modules, include.router)
    assert router is not None
    steps: dict[str, list[Step]] = {"startup": [], "shutdown": []}
    same_module = include.router[0] == app_module.name
    prefix = include.text.rpartition(".")[0]
    aliases: dict[str, str] = {}
    for reg in router.registrations:
        name = reg.handler.text
        if same_module:
            expr = name
        elif prefix:
            expr = f"{prefix}.{name}"
        elif name in aliases:
            expr = aliases[name]
        elif app_module.imports.get(name) == f"{include.router[0]}.{name}":
            expr = name
        else:
            line = app_module.import_from[include.text]
            local = (
                name
                if name not in names.taken
                else names.fresh(f"{include.router[0].rpartition('.')[2]}_{name}")
            )
            names.taken.add(local)
            edits.import_names.setdefault(line, []).append((name, None if local == name else local))
            aliases[name] = expr = local
        awaited = is_async(reg, project.modules)
        steps[reg.event].append(Step(f"await {expr}()" if awaited else f"{expr}()"))
    return steps


# -- per-module planning ---------------------------------------------------------------------

_KINDS = {
    "decorator": "`on_event`",
    "call": "`add_event_handler`",
    "keyword": "`on_startup=`/`on_shutdown=`",
}


def plan_module(analysis: ModuleAnalysis, project: Project) -> Outcome:
    """The actions and skips for every app and router of ``analysis``."""
    outcome = Outcome(skips=list(analysis.stray))
    names = Names(analysis.names)
    me = analysis.name
    for module, name, line in analysis.foreign:
        if find_object(project.modules, (module, name)) is not None:
            outcome.skips.append(
                (
                    line,
                    f"registers a handler on `{name}` of `{module}`, so that app is not converted",
                )
            )
    apps = [o for o in analysis.objects if o.kind == "app"]
    for obj in analysis.objects:
        ref = (me, obj.name)
        if ref in project.lifted:
            outcome.actions.append(_lift_away(obj, project.lifted[ref], me))
            continue
        lifted = [
            e for e in obj.events if isinstance(e, Include) and project.lifted.get(e.router) == ref
        ]
        if not obj.registrations and not lifted and not obj.uses_events:
            stale = project.unconverted(ref) if obj.kind == "app" else []
            if stale:
                outcome.skips.append(
                    (
                        obj.line,
                        f"`{obj.name}` not converted: it includes {', '.join(stale)}, whose event "
                        "handlers stay registered with deprecated APIs",
                    )
                )
            continue
        if obj.lifespan is not None:
            _dead_handlers(obj, analysis, project, names, outcome)
            continue
        reasons = project.blockers(me, obj)
        lost = project.pending(ref, project.lifted)
        if lost:
            reasons.append(
                f"it includes {', '.join(lost)}, whose event handlers would stop running"
            )
        if obj.kind == "router" and not reasons and not project.own_lifespan_ok(me, obj):
            why = project.not_lifted.get(ref, "its handlers cannot move into an including app")
            order = project.order_problem(me, obj)
            if order is not None and (
                obj.framework == "starlette" or project.router_lifespan().ok is True
            ):
                reasons.append(
                    f"{why}; and a `lifespan=` of its own would change the order: {order}"
                )
            else:
                reasons.append(
                    f"{why}; and a router `lifespan=` is merged by `include_router` only from "
                    f"FastAPI 0.112.2 ({project.router_lifespan().reason})"
                )
        if reasons:
            outcome.skips.append((obj.line, f"`{obj.name}` not converted: " + "; ".join(reasons)))
            continue
        action = _convert(obj, analysis, project, names)
        outcome.actions.append(action)
        if obj.kind == "app" and len(apps) == 1 and analysis.create_all:
            outcome.actions.append(_move_create_all(obj, analysis))
    return outcome


def _lift_away(obj: AppObject, app: Ref, me: str) -> Action:
    where = "" if app[0] == me else f" in `{app[0]}`"
    edits = Edits()
    for reg in obj.registrations:
        if reg.kind == "decorator":
            edits.remove_decorators.add(reg.line)
        elif reg.kind == "call":
            edits.remove_statements.add(reg.line)
        else:
            edits.call_edits[obj.line] = None
    return Action(
        obj.line,
        f"`{obj.name}` registers deprecated event handlers; they move into the lifespan of "
        f"`{app[1]}`{where}, which includes it",
        "Move the router's handlers into the app's lifespan",
        Safety.SAFE,
        edits,
    )


def _ident(text: str) -> str:
    return text.replace(".", "_")


def _steps(
    obj: AppObject,
    analysis: ModuleAnalysis,
    project: Project,
    names: Names,
    spec: Spec,
    edits: Edits,
) -> None:
    for event in obj.events:
        if isinstance(event, Include):
            if project.lifted.get(event.router) == (analysis.name, obj.name):
                for kind, steps in _router_steps(project, analysis, event, names, edits).items():
                    (spec.startup if kind == "startup" else spec.shutdown).extend(steps)
            continue
        code = event.handler.text + "()"
        if is_async(event, project.modules):
            code = "await " + code
        flag = None
        if event.branch is not None:
            flag = names.fresh(f"{_ident(event.handler.text)}_on_{event.event}")
            edits.flag_defaults.setdefault(event.branch, []).append(flag)
            if event.kind == "decorator" and event.def_line is not None:
                edits.flag_after_def.setdefault(event.def_line, []).append(flag)
            else:
                edits.flag_statements[event.line] = flag
        if event.kind == "decorator":
            edits.remove_decorators.add(event.line)
        elif event.kind == "call" and flag is None:
            edits.remove_statements.add(event.line)
        (spec.startup if event.event == "startup" else spec.shutdown).append(Step(code, flag))
    if spec.param in _roots(spec):
        spec.param = names.fresh("asgi_app")


def _roots(spec: Spec) -> set[str]:
    """The first names of the handler expressions a lifespan calls."""
    return {
        s.code.removeprefix("await ").split(".")[0].split("(")[0]
        for s in [*spec.startup, *spec.shutdown]
    }


def _new_spec(obj: AppObject, analysis: ModuleAnalysis, names: Names) -> tuple[Spec, Edits]:
    assert analysis.acm is not None
    # a router's lifespan receives the app that includes it, not the router
    annotation = obj.callee if obj.kind == "app" else None
    spec = Spec(name=names.fresh("lifespan"), annotation=annotation, acm=analysis.acm[0])
    return spec, Edits(import_acm=analysis.acm[1])


def _convert(obj: AppObject, analysis: ModuleAnalysis, project: Project, names: Names) -> Action:
    spec, edits = _new_spec(obj, analysis, names)
    _steps(obj, analysis, project, names, spec, edits)
    edits.lifespans[obj.line] = spec
    edits.call_edits[obj.line] = spec.name
    kinds = sorted({_KINDS[r.kind] for r in obj.registrations})
    message = f"`{obj.name}` registers startup/shutdown handlers with deprecated APIs"
    message += (
        f" ({', '.join(kinds)}), removed in Starlette 1.0"
        if kinds
        else " through the routers it includes"
    )
    safety = Safety.SAFE
    if obj.risky:
        safety = Safety.UNSAFE
        message += (
            f"; {', '.join(obj.risky)} receive `{obj.name}` and may register handlers of their own, "
            "which a lifespan app never runs"
        )
    support = project.lifespan_support(obj)
    if support.ok is None:
        # never a silent behaviour change: an older release ignores `lifespan=` and then runs
        # no handler at all, so without a declared version the fix waits for --unsafe-fixes
        safety = Safety.UNSAFE
        floor = "FastAPI 0.93.0" if obj.framework == "fastapi" else "Starlette 0.16.0"
        message += f"; the {obj.framework} version is unknown ({support.reason}) and releases before {floor} ignore `lifespan=`"
    return Action(
        obj.line, message, f"Convert them into a `{spec.name}` context manager", safety, edits
    )


def _move_create_all(obj: AppObject, analysis: ModuleAnalysis) -> Action:
    edits = Edits()
    edits.remove_statements |= set(analysis.create_all)
    edits.moved[obj.line] = list(analysis.create_all)
    return Action(
        analysis.create_all[0],
        "`create_all` runs when the module is imported; in the lifespan it runs at startup "
        "(scripts and tests that import the module without starting the app no longer get the tables)",
        "Move `create_all` into the lifespan",
        Safety.UNSAFE,
        edits,
        needs_previous=True,
    )


def _dead_handlers(
    obj: AppObject, analysis: ModuleAnalysis, project: Project, names: Names, outcome: Outcome
) -> None:
    reasons = [
        r for r in project.blockers(analysis.name, obj) if "already has `lifespan=`" not in r
    ]
    if obj.kind != "app" or not obj.registrations:
        # a router's handlers still run, copied into the app that includes it
        why = "; ".join(reasons) or "it has both `lifespan=` and event handlers"
        outcome.skips.append((obj.line, f"`{obj.name}` not converted: {why}"))
        return
    handlers = ", ".join(f"`{r.handler.text}`" for r in obj.registrations)
    if obj.framework == "starlette":
        message = (
            f"`{obj.name}` has `lifespan=` and event handlers {handlers}: Starlette < 1.0 refuses "
            "the combination and Starlette 1.0 removed the event API"
        )
    else:
        message = f"`{obj.name}` has `lifespan=`, so its event handlers {handlers} never run"
    notice = Action(
        obj.line,
        message,
        "Merge the handlers into the lifespan (unsafe: they start running)",
        Safety.DISPLAY_ONLY,
    )
    existing = obj.lifespan or ""
    kind = analysis.generators.get(existing)
    if kind is None:
        reasons.append(f"`{existing}` is not an async generator function defined in this module")
    if reasons:
        outcome.actions.append(notice)
        outcome.skips.append(
            (obj.line, f"dead handlers of `{obj.name}` not merged: " + "; ".join(reasons))
        )
        return
    spec, edits = _new_spec(obj, analysis, names)
    _steps(obj, analysis, project, names, spec, edits)
    if "state" in _roots(spec):
        spec.state = names.fresh("lifespan_state")
    spec.wrap = (
        f"{existing}({spec.param})" if kind == "cm" else f"{spec.acm}({existing})({spec.param})"
    )
    edits.lifespans[obj.line] = spec
    edits.call_edits[obj.line] = spec.name
    # the merge first: once it is applied, the "never run" notice is no longer true
    outcome.actions.append(
        Action(
            obj.line,
            f"{message}; the fix merges them into a lifespan that wraps `{existing}`, which makes them run",
            f"Wrap `{existing}` in a `{spec.name}` that also runs the handlers",
            Safety.UNSAFE,
            edits,
        )
    )
    notice.unless_previous = True
    outcome.actions.append(notice)
