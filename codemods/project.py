"""The read-only gather phase: facts about the whole project, computed before any transform.

It uses the standard library's ``ast`` (far cheaper than libcst) and never imports or runs the
code it reads. A file that ``ast`` cannot parse on this interpreter (newer syntax, or broken)
is still named and placed in the module graph, but marked *opaque*: codemods must treat what
it might do as unknown.
"""

from __future__ import annotations

import ast
import functools
import os
import sys
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import astnodes, asts
from .collector import paused
from .io import SourceError, decode_source

STDLIB_MODULES: frozenset[str] = frozenset(sys.stdlib_module_names)


@dataclass(frozen=True)
class ModuleInfo:
    """Where a file sits in the import system."""

    #: Dotted module name, e.g. ``app.routes.users`` (``__init__`` files name the package).
    name: str
    #: Absolute path of the file.
    path: str
    #: The directory that has to be on ``sys.path`` for ``name`` to import.
    root: str
    is_package: bool = False


@dataclass(frozen=True)
class ProjectFacts:
    """Cross-file facts handed read-only to every codemod instance."""

    modules: Mapping[str, ModuleInfo] = field(default_factory=dict)
    #: resolved path -> its module (two scripts may share a module name; paths are unique)
    by_path: Mapping[str, ModuleInfo] = field(default_factory=dict)
    #: module -> first-party modules it imports while being imported (module level and class
    #: bodies, excluding ``if TYPE_CHECKING:``).
    imports: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Modules whose source could not be analysed (their imports are unknown).
    opaque: frozenset[str] = frozenset()
    #: Resolved paths of the files ``ast`` could not parse.
    opaque_paths: frozenset[str] = frozenset()
    #: True when any gathered file imports ``fastapi``.
    uses_fastapi: bool = False
    #: Facts each codemod gathered for itself, keyed by codemod id.
    codemod_facts: Mapping[str, Any] = field(default_factory=dict)
    #: resolved path -> (fingerprint of the text gathered, ids of the codemods that may change
    #: it): the second prefilter (:meth:`Codemod.may_change`), valid only for that exact text.
    candidates: Mapping[str, tuple[int, frozenset[str]]] = field(default_factory=dict)

    def module_for(self, path: str | Path) -> ModuleInfo | None:
        return self.by_path.get(resolved(path))

    def is_opaque(self, path: str | Path) -> bool:
        return resolved(path) in self.opaque_paths

    def candidates_for(self, path: str | Path, text: str) -> frozenset[str] | None:
        """The codemods that may change ``text`` at ``path``; None when not gathered."""
        known = self.candidates.get(resolved(path))
        if known is None or known[0] != fingerprint(text):
            return None
        return known[1]

    def is_first_party(self, module: str) -> bool:
        top = module.split(".")[0]
        return any(m == top or m.startswith(top + ".") for m in self.modules)

    def reaches(self, start: str, target: str) -> bool | None:
        """Does importing ``start`` (transitively) import ``target``?

        Returns None when the answer depends on a module that could not be analysed.
        """
        seen: set[str] = set()
        stack = [start]
        unknown = False
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in self.opaque:
                unknown = True
            for nxt in self.imports.get(current, ()):
                if nxt == target:
                    return True
                stack.append(nxt)
        return None if unknown else False


@functools.lru_cache(maxsize=1 << 16)
def resolved(path: str | Path) -> str:
    """``str(Path(path).resolve())``, remembered: a run resolves each path several times, and on
    a warm cache those ``lstat`` walks are a large part of the work. :func:`forget_paths` (called
    by ``run_paths`` when it starts) clears it, so an answer never outlives one run.

    On POSIX, a path without ``..`` whose last part is not a symlink resolves to its resolved
    directory plus that name: one ``lstat`` instead of one per directory level."""
    text = os.fspath(path)
    if os.name == "posix" and ".." not in text.split("/"):
        absolute = os.path.abspath(text)
        head, tail = os.path.split(absolute)
        if tail and not os.path.islink(absolute):
            return os.path.join(_resolved_dir(head), tail)
    return str(Path(text).resolve())


@functools.lru_cache(maxsize=1 << 14)
def _resolved_dir(directory: str) -> str:
    return os.path.realpath(directory)


def forget_paths() -> None:
    """Forget every resolved path (the file system may have changed since)."""
    resolved.cache_clear()
    _resolved_dir.cache_clear()


def fingerprint(text: str) -> int:
    """Identifies a decoded source text (not a security boundary: it only detects a file that
    changed between the gather phase and the transform)."""
    return zlib.crc32(text.encode("utf-8", "surrogatepass")) ^ (len(text) << 32)


def module_info(path: Path) -> ModuleInfo:
    """Name a file the way ``import`` would, walking up through ``__init__.py`` packages."""
    path = path.resolve()
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        parts.insert(0, directory.name)
        directory = directory.parent
    name = ".".join(parts) or path.parent.name
    return ModuleInfo(name=name, path=str(path), root=str(directory), is_package=is_package)


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


def resolve_relative(current: ModuleInfo, module: str | None, level: int) -> str | None:
    if level == 0:
        return module
    package = current.name.split(".") if current.is_package else current.name.split(".")[:-1]
    if level - 1 > len(package):
        return None
    base = package[: len(package) - (level - 1)]
    if module:
        base = [*base, module]
    return ".".join(base) or None


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


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


GatherFn = Callable[[ast.Module, ModuleInfo], Any]
CandidateFn = Callable[[ast.Module], bool]
CombineFn = Callable[[Mapping[str, Any], ProjectFacts], Any]
MapFn = Callable[[Callable[[Path], "FileFacts"], list[Path]], Iterable["FileFacts"]]


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


def gather_file(
    path: Path, gatherers: Mapping[str, GatherFn], candidates: Mapping[str, CandidateFn] | None = None
) -> FileFacts:
    """The gather phase for one file. Never raises; an unparsable file is ``parsed=False``."""
    with paused():
        return _gather_file(path, gatherers, candidates)


def _gather_file(
    path: Path, gatherers: Mapping[str, GatherFn], candidates: Mapping[str, CandidateFn] | None
) -> FileFacts:
    info = module_info(path)
    text, tree = _parse(path)
    if tree is None:
        return FileFacts(resolved(path), info, parsed=False)
    may_change = frozenset(cid for cid, check in (candidates or {}).items() if check(tree))
    import_time = [name for node in import_time_imports(tree) for name in imported_names(node, info)]
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
    )


class ModuleFinder:
    """Finds the first-party file ``import name`` would load, searching the project's roots.

    Directory listings are read once and kept, so a name that is not first-party (most of them)
    costs a few set lookups instead of two ``stat`` calls per root."""

    def __init__(self) -> None:
        self._listings: dict[str, frozenset[str]] = {}
        self._order: dict[str, list[str]] = {}
        self._roots: frozenset[str] = frozenset()

    def _entries(self, directory: str) -> frozenset[str]:
        found = self._listings.get(directory)
        if found is None:
            found = self._listings[directory] = listing(directory)
        return found

    @property
    def listings(self) -> Mapping[str, frozenset[str]]:
        """Every directory listed so far: the finder's answers depend on these alone."""
        return self._listings

    def find(self, name: str, preferred_root: str, roots: Iterable[str]) -> Path | None:
        parts = name.split(".")
        if parts[0] in STDLIB_MODULES or not all(parts):
            return None
        roots = frozenset(roots)
        if roots != self._roots:
            self._roots, self._order = roots, {}
        order = self._order.get(preferred_root)
        if order is None:
            order = self._order[preferred_root] = [preferred_root, *sorted(roots - {preferred_root})]
        for root in order:
            directory = root
            for part in parts[:-1]:
                if part not in self._entries(directory):
                    break
                directory = os.path.join(directory, part)
            else:
                entries = self._entries(directory)
                last = parts[-1]
                module = os.path.join(directory, last + ".py")
                if last + ".py" in entries and os.path.isfile(module):
                    return Path(module)
                package = os.path.join(directory, last, "__init__.py")
                if last in entries and os.path.isfile(package):
                    return Path(package)
        return None


def _parse(path: Path) -> tuple[str, ast.Module | None]:
    try:
        text, _ = decode_source(path.read_bytes())
    except (OSError, ValueError, UnicodeError, SourceError):
        return "", None
    try:
        return text, asts.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text, None


def listing(directory: str) -> frozenset[str]:
    """The names in ``directory`` (none when it cannot be listed)."""
    try:
        return frozenset(os.listdir(directory))
    except OSError:
        return frozenset()


def gather_project(
    paths: Iterable[Path],
    gatherers: Mapping[str, GatherFn] | None = None,
    combiners: Mapping[str, CombineFn] | None = None,
    map_fn: MapFn | None = None,
    candidates: Mapping[str, CandidateFn] | None = None,
    finder: ModuleFinder | None = None,
) -> ProjectFacts:
    """Build :class:`ProjectFacts` for ``paths`` and the first-party modules they import.

    ``map_fn`` (default: the builtin ``map``) runs :func:`gather_file` over a batch of paths;
    the API passes a process pool's ``map``. First-party imports are followed in rounds, so
    facts are complete even when only part of a project was given. ``finder`` (a fresh one by
    default) keeps the directory listings the answer depended on.
    """
    gatherers = gatherers or {}

    def one(path: Path) -> FileFacts:
        return gather_file(path, gatherers, candidates)

    mapper: MapFn = map_fn or (lambda fn, items: map(fn, items))
    records: dict[str, FileFacts] = {}
    # Resolving paths and probing for module files are syscalls; on a warm cache they are
    # most of the gather phase, so each is done once per path and per (module, root).
    lookups: dict[tuple[str, str], Path | None] = {}
    finder = finder or ModuleFinder()
    followed: set[Path] = set()
    roots: set[str] = set()
    pending = list(paths)
    while pending:
        batch: dict[str, Path] = {}
        for path in pending:
            key = resolved(path)
            if key not in records:
                batch.setdefault(key, path)
        new = list(mapper(one, list(batch.values())))
        for record in new:
            records[record.path] = record
        grown = {r.info.root for r in new} - roots
        if grown:
            roots |= grown
            lookups = {k: v for k, v in lookups.items() if v is not None}
        pending = []
        for record in new:
            for name in record.mentioned:
                probe = (name, record.info.root)
                if probe not in lookups:
                    lookups[probe] = finder.find(name, record.info.root, roots)
                found = lookups[probe]
                if found is not None and found not in followed:
                    followed.add(found)
                    pending.append(found)
    return assemble(list(records.values()), combiners or {})


def assemble(records: list[FileFacts], combiners: Mapping[str, CombineFn]) -> ProjectFacts:
    """Fold per-file facts into :class:`ProjectFacts` (deterministic: sorted by path)."""
    records = sorted(records, key=lambda r: r.path)
    modules: dict[str, ModuleInfo] = {}
    for record in records:
        modules.setdefault(record.info.name, record.info)
    raw: dict[str, list[str]] = {}
    for record in records:
        raw.setdefault(record.info.name, []).extend(record.import_time)
    known = set(modules)
    imports: dict[str, frozenset[str]] = {}
    for name, names in raw.items():
        edges = {parent for r in names for parent in _with_parents(r) if parent in known}
        edges.discard(name)
        imports[name] = frozenset(edges)
    facts = ProjectFacts(
        modules=modules,
        by_path={r.path: r.info for r in records},
        imports=imports,
        opaque=frozenset(r.info.name for r in records if not r.parsed),
        opaque_paths=frozenset(r.path for r in records if not r.parsed),
        uses_fastapi=any(r.uses_fastapi for r in records),
        candidates={r.path: r.candidates for r in records if r.candidates is not None},
    )
    combined: dict[str, Any] = {}
    for codemod_id in sorted({cid for r in records for cid in r.codemod}):
        per_module = {r.info.name: r.codemod[codemod_id] for r in records if codemod_id in r.codemod}
        combine = combiners.get(codemod_id)
        combined[codemod_id] = combine(per_module, facts) if combine else per_module
    return replace(facts, codemod_facts=combined)
