"""Decisions of the ``lifespan`` codemod: which objects convert, how, and the edits that does.

Input: the :func:`~codemods.appmodel.analysis.analyse` result of the file being rewritten plus
the gathered analyses of the other modules. Output: :class:`Action` s (one reportable change
each, with the edits applying it) and skip reasons. Nothing here touches a syntax tree.
"""

from __future__ import annotations

from collections.abc import Callable

from ...appmodel.lift import app_of
from ...appmodel.model import AppObject, Include, ModuleAnalysis, find_object
from ...appmodel.project_view import Project, is_async
from ...astkit.names import Ref
from ...types import Safety
from .actions import Action, Edits, Names, Outcome, Spec, Step
from .runs import changed_runs


def _router_steps(
    project: Project, app_module: ModuleAnalysis, include: Include, names: Names, edits: Edits
) -> dict[str, list[Step]]:
    """Steps for a lifted router's handlers, and for those of the routers lifted into it at
    their includes (where ``include_router`` copied them), spelled as the app's module can
    call them (``appmodel.lift``: each lives in the app's module or in the included router's)."""
    steps: dict[str, list[Step]] = {"startup": [], "shutdown": []}
    prefix = include.text.rpartition(".")[0]
    aliases: dict[str, str] = {}

    def spell(module: str, name: str) -> str:
        if module == app_module.name:
            return name
        if prefix:
            return f"{prefix}.{name}"
        if name not in aliases:
            if app_module.imports.get(name) == f"{module}.{name}":
                aliases[name] = name
            else:
                line = app_module.import_from[include.text]
                local = (
                    name
                    if name not in names.taken
                    else names.fresh(f"{module.rpartition('.')[2]}_{name}")
                )
                names.taken.add(local)
                edits.import_names.setdefault(line, []).append(
                    (name, None if local == name else local)
                )
                aliases[name] = local
        return aliases[name]

    _walk(project, include.router, spell, steps)
    return steps


def _walk(
    project: Project, ref: Ref, spell: Callable[[str, str], str], steps: dict[str, list[Step]]
) -> None:
    """Add ``ref``'s handlers to ``steps``, and at each include those of the router lifted
    into it (not a closure calling itself: that would be a reference cycle per call)."""
    router = find_object(project.modules, ref)
    assert router is not None
    for event in router.events:
        if isinstance(event, Include):
            if project.lifted.get(event.router) == ref:
                _walk(project, event.router, spell, steps)  # the lift plan has no cycles
            continue
        expr = spell(ref[0], event.handler.text)
        awaited = is_async(event, project.modules)
        steps[event.event].append(Step(f"await {expr}()" if awaited else f"{expr}()"))


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
            if obj.registrations:  # a router that only includes others has nothing to remove
                outcome.actions.append(_lift_away(obj, project, me))
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
            reasons.append(project.why_not_own(me, obj))
        elif obj.kind == "router" and reasons and ref in project.not_lifted:
            reasons.insert(0, project.not_lifted[ref])
        if reasons:
            outcome.skips.append((obj.line, f"`{obj.name}` not converted: " + "; ".join(reasons)))
            continue
        action = _convert(obj, analysis, project, names)
        outcome.actions.append(action)
        if obj.kind == "app" and len(apps) == 1 and analysis.create_all:
            outcome.actions.append(_move_create_all(obj, analysis))
    return outcome


def _lift_away(obj: AppObject, project: Project, me: str) -> Action:
    found = app_of(project.lifted, (me, obj.name))
    assert found is not None
    app, top = found
    where = "" if app[0] == me else f" in `{app[0]}`"
    through = "" if top == (me, obj.name) else f" through `{top[1]}`"
    edits = Edits()
    for reg in obj.registrations:
        if reg.kind == "decorator":
            edits.remove_decorators.add(reg.line)
        elif reg.kind == "call":
            edits.remove_statements.add(reg.line)
        else:
            edits.call_edits[obj.line] = None
    app_object = find_object(project.modules, app)
    assert app_object is not None
    # removed here, they run only once the app's conversion is applied: as safe as that one
    # (which is unsafe for the same reason when they run more than once today)
    safety, why = _safety(app_object, project)
    moved = changed_runs(project, obj, me)
    if moved:
        safety, why = Safety.UNSAFE, why + moved
    return Action(
        obj.line,
        f"`{obj.name}` registers deprecated event handlers; they move into the lifespan of "
        f"`{app[1]}`{where}, which includes it{through}" + why,
        "Move the router's handlers into the app's lifespan",
        safety,
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
    safety, why = _safety(obj, project)
    moved = changed_runs(project, obj, analysis.name)
    if moved:
        safety, why = Safety.UNSAFE, why + moved
    return Action(
        obj.line, message + why, f"Convert them into a `{spec.name}` context manager", safety, edits
    )


def _safety(obj: AppObject, project: Project) -> tuple[Safety, str]:
    """How safe converting ``obj`` is, and what the message adds when it is not."""
    safety, why = Safety.SAFE, ""
    if obj.risky:
        safety = Safety.UNSAFE
        why += (
            f"; {', '.join(obj.risky)} receive `{obj.name}` and may register handlers of their own, "
            "which a lifespan app never runs"
        )
    support = project.lifespan_support(obj)
    if support.ok is None:
        # never a silent behaviour change: an older release ignores `lifespan=` and then runs
        # no handler at all, so without a declared version the fix waits for --unsafe-fixes
        safety = Safety.UNSAFE
        floor = "FastAPI 0.93.0" if obj.framework == "fastapi" else "Starlette 0.16.0"
        why += f"; the {obj.framework} version is unknown ({support.reason}) and releases before {floor} ignore `lifespan=`"
    return safety, why


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
