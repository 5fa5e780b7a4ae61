"""The read-only gather phase: facts about the whole project, computed before any transform.

It uses the standard library's ``ast`` (far cheaper than libcst) and never imports or runs the
code it reads. A file that ``ast`` cannot parse on this interpreter (newer syntax, or broken)
is still named and placed in the module graph, but marked *opaque*: codemods must treat what
it might do as unknown. Each file is named by its component (``components``), each import
statement resolved to the file it loads, and the facts are folded into one view per component
(``views``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import nesting
from .astkit import astnodes
from .astkit.asts import Trees
from .astkit.names import bound_names, scope_statements
from .collector import paused
from .components.index import ComponentIndex
from .components.modules import (
    STDLIB_MODULES,
    Found,
    ModuleFinder,
    ModuleInfo,
    Stages,
    classic_info,
    module_info,
    prefixes,
    resolve_relative,
)
from .facts import FACTS_FORMAT, ProjectFacts, fingerprint, forget_paths, resolved
from .import_effects import Effect, import_effect
from .io import SourceError, decode_source
from .readfile import read_regular
from .views import Resolutions, assemble

__all__ = [
    "FACTS_FORMAT",
    "STDLIB_MODULES",
    "FileFacts",
    "ModuleFinder",
    "ModuleInfo",
    "ProjectFacts",
    "classic_info",
    "fingerprint",
    "forget_paths",
    "gather_file",
    "gather_project",
    "imported_names",
    "module_info",
    "resolve_relative",
    "resolved",
]


def is_type_checking_test(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return False


def import_time_imports(tree: ast.Module) -> Iterable[ast.Import | ast.ImportFrom]:
    """Imports executed while the module is imported: module level, nested in module-level
    ``if``/``try``/``with``/loops and class bodies, but not in functions or TYPE_CHECKING blocks."""
    stack: list[ast.stmt] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        elif isinstance(node, ast.If) and is_type_checking_test(node.test):
            stack.extend(reversed(node.orelse))
        else:
            for child in reversed(astnodes.children(node)):
                if isinstance(child, ast.stmt):
                    stack.append(child)
                elif isinstance(child, ast.ExceptHandler | ast.match_case):
                    stack.extend(reversed(child.body))


def sure_imports(tree: ast.Module) -> Iterable[ast.Import | ast.ImportFrom]:
    """Imports that surely run when the module is imported (its import completes only after
    them): statements of the module body and of module-level class bodies. Not those under
    ``if`` (``if __name__ == "__main__":`` included), ``try``, ``with``, loops or ``match``: an
    earlier statement of the block may raise (and be handled) or the branch may not run."""
    stack: list[ast.stmt] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.ClassDef):
            stack.extend(reversed(node.body))


def imported_names(node: ast.Import | ast.ImportFrom, current: ModuleInfo) -> list[str]:
    """Every module an import statement may load (including ``from pkg import submodule``)."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            names.append(alias.name)
        return names
    base = resolve_relative(current, node.module, node.level)
    if base is None:
        return names
    names.append(base)
    for alias in node.names:
        if alias.name != "*":
            names.append(f"{base}.{alias.name}")
    return names


GatherFn = Callable[[ast.Module, ModuleInfo], Any]
CandidateFn = Callable[[ast.Module], bool]
CombineFn = Callable[[Mapping[str, Any], ProjectFacts], Any]
#: One item of the gather's work: a file and the name its component gives it.
Item = tuple[Path, ModuleInfo]
MapFn = Callable[[Callable[[Item], "FileFacts"], list[Item]], Iterable["FileFacts"]]


@dataclass(frozen=True)
class FileFacts:
    """What the gather phase learned from one file (picklable: computed in worker processes)."""

    path: str
    info: ModuleInfo
    parsed: bool
    #: Modules possibly loaded while this module is imported.
    import_time: tuple[str, ...] = ()
    #: Every module any import statement of the file may load (followed to find more files).
    mentioned: tuple[str, ...] = ()
    uses_fastapi: bool = False
    #: codemod id -> that codemod's ``gather`` result for this file.
    codemod: Mapping[str, Any] = field(default_factory=dict)
    #: (fingerprint of the text, ids of the codemods whose ``may_change`` is true).
    candidates: tuple[int, frozenset[str]] | None = None
    #: Names bound at module level (None: unknown, a star import or a module ``__getattr__``).
    exports: frozenset[str] | None = None
    #: Names the module's functions declare ``global``: reassigned at run time.
    rebound: frozenset[str] = frozenset()
    #: The module's first import-time effect (``import_effects``); None: it only defines names.
    effect: Effect | None = None
    #: Modules surely loaded while this module is imported (:func:`sure_imports`).
    loaded: tuple[str, ...] = ()


def gather_file(
    path: Path,
    gatherers: Mapping[str, GatherFn],
    candidates: Mapping[str, CandidateFn] | None = None,
    info: ModuleInfo | None = None,
    trees: Trees | None = None,
) -> FileFacts:
    """The gather phase for one file, named ``info`` (default: its classic name, as when no
    component is known), read with ``trees`` (the ``ast`` memo of the process, so that the
    transform reads the tree again for free; a fresh one by default). Never raises; an
    unparsable file is ``parsed=False``."""
    with paused():
        return _gather_file(
            path,
            gatherers,
            candidates,
            info or classic_info(path),
            Trees() if trees is None else trees,
        )


def _gather_file(
    path: Path,
    gatherers: Mapping[str, GatherFn],
    candidates: Mapping[str, CandidateFn] | None,
    info: ModuleInfo,
    trees: Trees,
) -> FileFacts:
    text, tree = _parse(path, trees)
    if tree is None:
        return FileFacts(resolved(path), info, parsed=False)
    may_change = frozenset(cid for cid, check in (candidates or {}).items() if check(tree))
    import_time = [
        name for node in import_time_imports(tree) for name in imported_names(node, info)
    ]
    every_import = [n for n in astnodes.nodes(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    mentioned = [name for node in every_import for name in imported_names(node, info)]
    per_codemod: dict[str, Any] = {}
    for codemod_id, gather in gatherers.items():
        per_codemod[codemod_id] = gather(tree, info)
    return FileFacts(
        path=resolved(path),
        info=info,
        parsed=True,
        import_time=tuple(import_time),
        mentioned=tuple(dict.fromkeys(mentioned)),
        uses_fastapi=any(name.split(".")[0] == "fastapi" for name in mentioned),
        codemod=per_codemod,
        candidates=(fingerprint(text), may_change) if candidates is not None else None,
        exports=module_exports(tree),
        rebound=frozenset(
            n for node in astnodes.nodes(tree) if isinstance(node, ast.Global) for n in node.names
        ),
        effect=import_effect(tree),
        loaded=tuple(n for node in sure_imports(tree) for n in imported_names(node, info)),
    )


def module_exports(tree: ast.Module) -> frozenset[str] | None:
    """The names ``tree`` binds at module level (in ``if``/``try`` blocks too); None when a star
    import or a module-level ``__getattr__`` may bind any name."""
    found: set[str] = set()
    for stmt in scope_statements(tree.body):
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            return None
        found.update(bound_names(stmt))
    return None if "__getattr__" in found else frozenset(found)


def _parse(path: Path, trees: Trees) -> tuple[str, ast.Module | None]:
    try:
        text, _ = decode_source(read_regular(path))
    except (OSError, ValueError, UnicodeError, SourceError):
        return "", None
    try:
        tree = trees.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text, None
    # nested too deeply for libcst: not analysed, as if unparsable (the transform reports why)
    return text, None if nesting.refusal(text, tree) else tree


class Namer:
    """Names files by their component, and says where each file's import statements search."""

    def __init__(self, index: ComponentIndex) -> None:
        self.index = index
        #: the classic roots of files outside any component (searched as a last resort, as
        #: every root of the run was before components existed)
        self.loose_roots: set[str] = set()
        self._stages: dict[tuple[str, str, str | None], tuple[int, Stages]] = {}
        self._ids: dict[Stages, int] = {}
        self._components = 0

    def info(self, path: Path) -> ModuleInfo:
        component = self.index.for_path(resolved(path))
        return module_info(
            Path(resolved(path)), component.root, component.import_roots, self.index.has_init
        )

    def note(self, info: ModuleInfo) -> None:
        if info.component is None and info.root not in self.loose_roots:
            self.loose_roots.add(info.root)
            self._stages.clear()

    def stages(self, info: ModuleInfo) -> tuple[int, Stages]:
        """Roots to search, in stages, with a number that identifies them (cheaper to hash).

        In a component: first every root that may be on ``sys.path`` when the file's code runs
        (its own directory chain, ``sys.path[0]`` of a script; the root it is named from; the
        component's import roots) in one stage, so two of them answering is ambiguous; then
        the roots of the other components met. Outside any component: the file's own root
        first, then every root seen (as before components existed)."""
        if len(self.index) != self._components:  # a component more: its roots join the search
            self._components = len(self.index)
            self._stages.clear()
        key = (info.script_root, info.root, info.component)
        found = self._stages.get(key)
        if found is None:
            component = self.index.component(info.component)
            if info.component is None:
                first = tuple(dict.fromkeys([info.script_root, info.root]))
            else:
                first = tuple(dict.fromkeys([info.script_root, info.root, *component.import_roots]))
            others = {
                r for c in self.index.known() if c.root != info.component for r in c.import_roots
            }
            others |= self.loose_roots
            stages = (first, tuple(sorted(others - set(first))))
            number = self._ids.setdefault(stages, len(self._ids))
            found = self._stages[key] = (number, stages)
        return found


def gather_project(
    paths: Iterable[Path],
    gatherers: Mapping[str, GatherFn] | None = None,
    combiners: Mapping[str, CombineFn] | None = None,
    map_fn: MapFn | None = None,
    candidates: Mapping[str, CandidateFn] | None = None,
    finder: ModuleFinder | None = None,
    index: ComponentIndex | None = None,
    trees: Trees | None = None,
) -> ProjectFacts:
    """Build :class:`ProjectFacts` for ``paths`` and the first-party modules they import.

    ``map_fn`` (default: the builtin ``map``) runs :func:`gather_file` over a batch of
    (path, name) items; the API passes a process pool's ``map``. First-party imports are
    followed in rounds, so facts are complete even when only part of a project was given.
    ``finder`` and ``index`` (fresh ones by default) keep the directory listings and
    declaration files the answer depended on. ``trees``: the ``ast`` memo of the files gathered
    in this process (the default ``map_fn``'s); a fresh one by default.
    """
    gatherers = gatherers or {}
    trees = Trees() if trees is None else trees

    def one(item: Item) -> FileFacts:
        return gather_file(item[0], gatherers, candidates, item[1], trees)

    mapper: MapFn = map_fn or (lambda fn, items: map(fn, items))
    records: dict[str, FileFacts] = {}
    index = ComponentIndex() if index is None else index
    finder = ModuleFinder() if finder is None else finder
    namer = Namer(index)
    resolutions = Resolutions()
    # probing for module files costs syscalls: each (name, search stages) is answered once
    lookups: dict[tuple[str, int], Found] = {}
    followed: set[str] = set()
    pending = list(paths)
    while pending:
        batch: dict[str, Item] = {}
        for path in pending:
            key = resolved(path)
            if key not in records and key not in batch:
                batch[key] = (path, namer.info(path))
        new = list(mapper(one, list(batch.values())))
        for record in new:
            records[record.path] = record
            namer.note(record.info)
        pending = []
        for record in new:
            number, stages = namer.stages(record.info)
            table = resolutions.table[record.path]
            # importing ``a.b.c`` imports ``a`` and ``a.b`` first
            for name in dict.fromkeys(p for m in record.mentioned for p in prefixes(m)):
                probe = (name, number)
                found = lookups.get(probe)
                if found is None:
                    found = lookups[probe] = finder.find(name, stages, number)
                if not found.first_party:
                    continue
                table[name] = found
                for target in (found.path,) if found.path else found.ambiguous:
                    if target not in followed:
                        followed.add(target)
                        pending.append(Path(target))
    return assemble(list(records.values()), resolutions, index, combiners or {})
