"""Fold the gather phase's per-file facts into one :class:`ProjectFacts` view per component.

Edges of the import graph come from what each import statement *resolves to* (a file, found by
``components.modules.ModuleFinder``), not from matching names, so a package split across roots or
laid out without ``__init__.py`` still closes its cycles. A view holds its component's files and
the files of other components they import (transitively), each under its own name; a name that
two files of one view answer is *ambiguous* there: opaque, never one of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .components.index import Component, ComponentIndex
from .components.modules import Found, prefixes
from .facts import ProjectFacts

#: codemod id -> its ``combine``
CombineFn = Callable[[Mapping[str, Any], ProjectFacts], Any]


@dataclass
class Resolutions:
    """path -> (imported name -> what it resolved to), filled by the gather loop."""

    table: dict[str, dict[str, Found]] = field(default_factory=lambda: defaultdict(dict))

    def targets(self, path: str, names: Sequence[str]) -> tuple[set[str], set[str]]:
        """(files ``names`` load from ``path``, names among them that are ambiguous)."""
        files: set[str] = set()
        ambiguous: set[str] = set()
        known = self.table.get(path, {})
        for name in names:
            for prefix in prefixes(name):
                found = known.get(prefix)
                if found is None:
                    continue
                if found.path is not None:
                    files.add(found.path)
                elif found.ambiguous:
                    ambiguous.add(prefix)
        return files, ambiguous



def assemble(
    records: list[Any],
    resolutions: Resolutions,
    index: ComponentIndex,
    combiners: Mapping[str, CombineFn],
) -> ProjectFacts:
    """One view per component of ``records`` (deterministic: sorted by path). With one
    component, the run-level facts are that view."""
    by_path = {r.path: r for r in sorted(records, key=lambda r: r.path)}
    roots = sorted(
        {r.info.component for r in by_path.values()}, key=lambda c: (c is not None, c or "")
    )
    views: dict[str | None, ProjectFacts] = {}
    for root in roots:
        own = [p for p, r in by_path.items() if r.info.component == root]
        views[root] = _view(own, by_path, resolutions, index.component(root), combiners)
    path_component = {p: r.info.component for p, r in by_path.items()}
    if len(views) == 1:
        (only,) = views.values()
        return replace(only, path_component=path_component)
    return ProjectFacts(views=views, path_component=path_component)


def _view(
    own: list[str],
    by_path: Mapping[str, Any],
    resolutions: Resolutions,
    component: Component,
    combiners: Mapping[str, CombineFn],
) -> ProjectFacts:
    # the component's files, then what they import from other components (transitively)
    members = dict.fromkeys(own)
    queue = list(own)
    while queue:
        path = queue.pop()
        files, _ = resolutions.targets(path, by_path[path].mentioned)
        for target in sorted(files):
            if target in by_path and target not in members:
                members[target] = None
                queue.append(target)
    paths = sorted(members)
    holders: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        holders[by_path[path].info.name].append(path)
    ambiguous = {name: tuple(found) for name, found in holders.items() if len(found) > 1}
    name_of = {p: by_path[p].info.name for p in paths if by_path[p].info.name not in ambiguous}
    aliases, clashes = _aliases(paths, by_path, resolutions, name_of)
    for clash, candidates in clashes.items():
        ambiguous.setdefault(clash, candidates)
    name_of = {p: n for p, n in name_of.items() if n not in ambiguous}
    aliases = {a: n for a, n in aliases.items() if n not in ambiguous}
    imports: dict[str, frozenset[str]] = {}
    loaded: dict[str, frozenset[str]] = {}
    opaque = {by_path[p].info.name for p in paths if not by_path[p].parsed} | set(ambiguous)
    for path in paths:
        name = name_of.get(path)
        if name is None:
            continue
        files, unresolved = resolutions.targets(path, by_path[path].import_time)
        edges = {name_of[f] for f in files if f in name_of} | {f"?{n}" for n in unresolved}
        edges |= {by_path[f].info.name for f in files if f in by_path and f not in name_of}
        opaque |= {f"?{n}" for n in unresolved}
        edges.discard(name)
        imports[name] = frozenset(edges)
        files, _ = resolutions.targets(path, by_path[path].loaded)
        loaded[name] = frozenset(name_of[f] for f in files if f in name_of) - {name}
    facts = ProjectFacts(
        modules={n: by_path[p].info for p, n in name_of.items()},
        by_path={p: by_path[p].info for p in paths},
        imports=imports,
        loaded=loaded,
        opaque=frozenset(opaque),
        opaque_paths=frozenset(p for p in paths if not by_path[p].parsed),
        uses_fastapi=any(by_path[p].uses_fastapi for p in own),
        candidates={p: c for p in own if (c := by_path[p].candidates) is not None},
        component=component,
        aliases=aliases,
        ambiguous=ambiguous,
        namespaces=frozenset(
            name
            for p in paths
            for name, found in resolutions.table.get(p, {}).items()
            if found.namespace
        ),
        resolutions={p: resolutions.table.get(p, {}) for p in paths},
        exports={n: by_path[p].exports for p, n in name_of.items()},
        rebound={n: by_path[p].rebound for p, n in name_of.items() if by_path[p].rebound},
        effects={n: e for p, n in name_of.items() if (e := by_path[p].effect) is not None},
    )
    combined: dict[str, Any] = {}
    for codemod_id in sorted({cid for p in paths for cid in by_path[p].codemod}):
        per_module = {
            n: by_path[p].codemod[codemod_id]
            for p, n in name_of.items()
            if codemod_id in by_path[p].codemod
        }
        combine = combiners.get(codemod_id)
        combined[codemod_id] = combine(per_module, facts) if combine else per_module
    return replace(facts, codemod_facts=combined)


def _aliases(
    paths: Sequence[str],
    by_path: Mapping[str, Any],
    resolutions: Resolutions,
    name_of: Mapping[str, str],
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Names import statements use for a module of the view other than its own name; a name
    used for two different modules (or for one while another has it as its own) clashes. A
    name that some file of the view resolves to nothing of the project (a third-party module
    beside a local shim of the same name) is no alias: each file's own answer is in
    ``ProjectFacts.resolutions``."""
    targets: dict[str, set[str]] = defaultdict(set)
    elsewhere: set[str] = set()
    for path in paths:
        table = resolutions.table.get(path, {})
        for name, found in table.items():
            if found.path is not None and found.path in name_of:
                targets[name].add(found.path)
        elsewhere.update(n for m in by_path[path].mentioned for n in prefixes(m) if n not in table)
    aliases: dict[str, str] = {}
    clashes: dict[str, tuple[str, ...]] = {}
    owners = {n: p for p, n in name_of.items()}
    for name, files in sorted(targets.items()):
        if name in elsewhere and name not in owners:
            continue
        own = owners.get(name)
        if own is not None:
            files = files | {own}
        if len(files) > 1:
            clashes[name] = tuple(sorted(files))
            continue
        (target,) = files
        if name_of[target] != name:
            aliases[name] = name_of[target]
    return aliases, clashes
