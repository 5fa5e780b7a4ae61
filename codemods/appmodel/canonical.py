"""The ``lifespan`` analyses with every module name spelled as the component's view names it.

Each module's analysis names other modules as its imports spell them (``routers.users``); the
cross-module questions of ``project_view`` need one name per module (``backend.routers.users``).
"""

from __future__ import annotations

from dataclasses import replace

from ..astkit.names import Ref
from ..facts import ProjectFacts
from .model import UNNAMED, Handler, Include, ModuleAnalysis, Registration

#: The module of a use (``ModuleAnalysis.escapes``) whose module name two files answer.
AMBIGUOUS = "?"


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
    escapes: dict[Ref, int] = {}
    for (module, name), line in analysis.escapes.items():
        # a module two files answer: the name may be either file's
        key = (module_name(module) or AMBIGUOUS, name)
        escapes[key] = min(line, escapes.get(key, line))
    return replace(
        analysis,
        objects=objects,
        includes=tuple(include(i) for i in analysis.includes),
        foreign=foreign,
        escapes=escapes,
        hidden=tuple(include(i) for i in analysis.hidden),
    )
