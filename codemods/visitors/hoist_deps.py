"""Will the module an import loads be there wherever the importing module is imported?

Inside a function, an import of a missing module fails only when the function runs; at module
level it makes the whole module fail to import. So ``hoist-imports`` moves an import only when
its module is known to be installed wherever the importing module is:

- a standard-library module (``hoist_rules`` handles the platform-only ones);
- a module of the project, which the import graph resolves to exactly one file;
- a third-party module whose distribution the file's component declares as a *required*,
  unconditional dependency, or whose top-level package the file already imports
  unconditionally at module level (then the module cannot be imported without it anyway).

Anything else stays in its function with the reason: an optional extra, a dependency group, a
requirement with a marker, an undeclared distribution, no declarations at all, a name no file
or two files answer (docs/decisions.md, "hoist-imports and dependencies").
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from ..components.decide import dependency
from ..components.distributions import NAMESPACE_PREFIXES
from ..facts import ProjectFacts
from ..project import STDLIB_MODULES


def unconditional_imports(tree: ast.Module | None) -> frozenset[str]:
    """Absolute modules the module imports in its own body, outside any block: the module
    cannot be imported without them."""
    if tree is None:
        return frozenset()
    found: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            found.update(alias.name for alias in stmt.names)
        elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
            found.add(stmt.module)
    return frozenset(found)


def _same_distribution(name: str, other: str) -> bool:
    """Do ``name`` and ``other`` come from one distribution, as far as names can tell? Their
    top-level package must match, and for a namespace shared by many distributions (``azure``,
    ``google``) the package below it too."""
    a, b = name.split("."), other.split(".")
    if a[0] != b[0]:
        return False
    if a[0] in NAMESPACE_PREFIXES:
        return len(a) > 1 and len(b) > 1 and a[1] == b[1]
    return True


def dependency_reason(
    modules: Iterable[str], view: ProjectFacts, required_here: frozenset[str]
) -> str | None:
    """Why hoisting an import of ``modules`` (absolute names, the modules the statement itself
    names) could make this module fail to import; None when each is sure to be installed."""
    for name in modules:
        top = name.split(".")[0]
        if top in STDLIB_MODULES or top == "__future__":
            continue
        if any(_same_distribution(name, other) for other in required_here):
            continue
        if view.is_first_party(name):
            reason = _first_party_reason(name, view)
            if reason is not None:
                return reason
            continue
        found = dependency(view.component, name)
        if found.status == "required":
            continue
        return f"{found.reason}: at module level, `{name}` would have to be installed wherever this module is imported"
    return None


def _first_party_reason(name: str, view: ProjectFacts) -> str | None:
    """A project module: it must resolve to one file, and one of this component (or a
    component that this one requires)."""
    canonical = view.canonical(name)
    if canonical is None:
        files = ", ".join(f"`{p}`" for p in view.ambiguous.get(name, ()))
        return f"`{name}` is answered by more than one file ({files}): which one an import loads depends on how the program is run"
    info = view.modules.get(canonical)
    if info is None:
        if canonical in view.namespaces:
            return None
        return (
            f"no module `{name}` was found in the project: a module-level import of it would fail"
        )
    owner = view.component.root
    if owner is None or info.component == owner:
        return None
    found = dependency(view.component, name)
    if found.status == "required":
        return None
    return f"`{name}` belongs to another component ({info.component}), and {found.reason}"
