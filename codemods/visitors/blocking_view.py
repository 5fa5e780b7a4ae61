"""What ``wrap-blocking-calls`` may conclude from *other* files of the view (who imports a
file, star-imports it, or names its attributes in a string): only what a view that reaches
beyond the file can tell. A file read alone (stdin, no gather), or a view holding nothing but
the file and what it imports (a run given that one file), cannot see its importers: unknown.
"""

from __future__ import annotations

from ..facts import ProjectFacts, resolved


def importers_known(path: str | None, project: ProjectFacts) -> bool:
    """Does the view hold files that the file at ``path`` does not reach by its own imports, so
    that its importers among the given files are in it? False when not gathered or opaque."""
    if not path:
        return False
    own = resolved(path)
    table = project.resolutions
    if own not in table or project.opaque_paths or project.opaque:
        return False
    reached = {own}
    stack = [own]
    while stack:
        for found in table.get(stack.pop(), {}).values():
            for target in (found.path, *found.ambiguous):
                if target is not None and target not in reached:
                    reached.add(target)
                    stack.append(target)
    return any(other not in reached for other in table)


def importers(path: str, project: ProjectFacts) -> list[str]:
    """The files of the view that import the file at ``path`` (or may: an ambiguous name)."""
    own = resolved(path)
    return [
        other
        for other, table in project.resolutions.items()
        if other != own and any(f.path == own or own in f.ambiguous for f in table.values())
    ]
