"""Does hoisting a first-party import add import-time effects to the importing module?

The gather phase records each module's first import-time effect (``import_effects``); here they
are followed over the import-time import graph of the file's view (``ProjectFacts.imports``):
importing ``a`` runs ``a``'s effects and those of every first-party module it imports, unless
the importing module surely imports that module while it is itself imported (then nothing
moves): at module level or in a class body, transitively (``ProjectFacts.loaded``), and its
parent packages, which Python imports first; an import under ``if`` (``if __name__ ==
"__main__":`` too), ``try``, ``with`` or a loop may not run. A module that could not be analysed
(unparsable, or a name two files answer) has unknown effects, which count as effects.
``hoist-imports`` makes such a hoist an unsafe fix, naming the effect.
"""

from __future__ import annotations

import os
from collections import deque

from ...components.modules import ModuleInfo
from ...facts import ProjectFacts
from .rules import with_parents


class Effects:
    """Answers for one file (``current``: its module, None when unknown, as for stdin)."""

    def __init__(self, project: ProjectFacts, current: ModuleInfo | None) -> None:
        self.project = project
        self.current = current
        self._found: dict[str, str | None] = {}
        #: modules this module surely imports while it is imported (their effects already run)
        self.loaded: set[str] = set()
        if current is not None:
            self.loaded = self._closure(current.name)

    def _closure(self, start: str) -> set[str]:
        # Python imports a module's parent packages before the module itself, so they (and
        # what they surely import) have run whenever this module is imported.
        seen = {start}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            parents = [current.rsplit(".", n)[0] for n in range(1, current.count(".") + 1)]
            for nxt in (*self.project.loaded.get(current, ()), *parents):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen

    def reason(self, first_party: list[str]) -> str | None:
        """Why importing ``first_party`` (project modules, the view's names) at module level has
        effects the function-level import deferred; None when it has none."""
        names = with_parents(first_party, self.current) if self.current else first_party
        for name in names:
            if name not in self._found:
                self._found[name] = self._reason(name)
            found = self._found[name]
            if found is not None:
                return found
        return None

    def _reason(self, start: str) -> str | None:
        project = self.project
        if start in self.loaded:
            return None
        previous: dict[str, str | None] = {start: None}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            effect = project.effects.get(current)
            unknown = current in project.opaque
            if effect is not None or unknown:
                if effect is None:
                    culprit = f"`{current.lstrip('?')}`"
                    if current != start:
                        culprit = f"importing `{start}` imports {culprit}, which"
                    return f"{culprit} could not be analysed: its import-time effects are unknown"
                via = "" if current == start else f" imports `{current}`, which"
                what, line = effect
                return f"importing `{start}`{via} {what} ({self._where(current)}:{line})"
            for nxt in sorted(project.imports.get(current, ())):
                if nxt not in previous and nxt not in self.loaded:
                    previous[nxt] = current
                    queue.append(nxt)
        return None

    def _where(self, name: str) -> str:
        info = self.project.modules.get(name)
        if info is None:  # pragma: no cover - effects are recorded for modules of the view
            return name
        return os.path.relpath(info.path, info.root).replace(os.sep, "/")
