"""What the gather phase hands every codemod: :class:`ProjectFacts`, one *view* per component.

A view holds the modules of one component, and the modules of other components its files
import, named as that component's import statements name them; the codemods of a file see its
component's view only (``ProjectFacts.view_for``), so two services that both have an
``app.main`` never mix their facts.
"""

from __future__ import annotations

import functools
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .components.index import NO_COMPONENT, Component
from .components.modules import NOT_FOUND, Found, ModuleInfo

#: Part of every cached gather key (``gather_run.GatherRun``): change it whenever ``FileFacts``
#: gains a field or a fact's meaning changes, so facts cached by an older tool are not read
#: with the new field at its default (a missing ``effect`` would read as "no effect").
FACTS_FORMAT = "7: effect, loaded, wrap-blocking-calls stars, dotted strings, escapes, reads, instances, env guards, lifespan router uses, depth"


@dataclass(frozen=True)
class ProjectFacts:
    """Cross-file facts handed read-only to every codemod instance: one component's view, or
    the whole run's (its :attr:`views`)."""

    modules: Mapping[str, ModuleInfo] = field(default_factory=dict)
    #: resolved path -> its module (two scripts may share a module name; paths are unique)
    by_path: Mapping[str, ModuleInfo] = field(default_factory=dict)
    #: module -> first-party modules it imports while being imported (module level and class
    #: bodies, excluding ``if TYPE_CHECKING:``).
    imports: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: module -> first-party modules it surely imports while being imported (module level and
    #: class bodies only: not under ``if``/``try``/``with``/loops), a part of :attr:`imports`.
    loaded: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Modules whose imports are unknown: unparsable files, names two files answer.
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
    #: The component this view is of.
    component: Component = NO_COMPONENT
    #: Names the view's import statements use for a module other than its own name
    #: (``routers.users`` -> ``backend.routers.users``).
    aliases: Mapping[str, str] = field(default_factory=dict)
    #: Names two or more files answer in this view: never one of them.
    ambiguous: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Names of namespace packages (PEP 420 directories) the view's imports load.
    namespaces: frozenset[str] = frozenset()
    #: resolved path -> (name one of its import statements uses -> what that loads), for the
    #: first-party names of each file of the view: the answer for *that* file.
    resolutions: Mapping[str, Mapping[str, Found]] = field(default_factory=dict)
    #: module -> the names it binds at module level (None: unknown, a star import or a
    #: module ``__getattr__``).
    exports: Mapping[str, frozenset[str] | None] = field(default_factory=dict)
    #: module -> the names its functions declare ``global`` (reassigned at run time).
    rebound: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: module -> its own first import-time effect (``import_effects``), for modules that have one.
    effects: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    #: Component root -> its view (run-level facts only).
    views: Mapping[str | None, ProjectFacts] = field(default_factory=dict)
    #: resolved path -> its component root (run-level facts only).
    path_component: Mapping[str, str | None] = field(default_factory=dict)

    def view_for(self, path: str | Path | None) -> ProjectFacts:
        """The view of the component ``path`` belongs to (these facts when not gathered)."""
        if not self.views or path is None:
            return self
        key = resolved(path)
        if key not in self.path_component:
            return self
        return self.views.get(self.path_component[key], self)

    def resolve(self, path: str | Path | None, name: str) -> Found | None:
        """What ``import name`` in the file at ``path`` loads (``NOT_FOUND``: nothing of the
        project, a third-party or missing module); None when that file was not gathered."""
        if path is None:
            return None
        table = self.resolutions.get(resolved(path))
        if table is None:
            return None
        return table.get(name, NOT_FOUND)

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

    @functools.cached_property
    def _tops(self) -> frozenset[str]:
        names = [*self.modules, *self.aliases, *self.ambiguous]
        return frozenset(n.split(".")[0] for n in names)

    def is_first_party(self, module: str) -> bool:
        return module.split(".")[0] in self._tops

    def canonical(self, module: str) -> str | None:
        """The view's own name for the module import statements call ``module`` (the same
        module for every file of the view that names it); None when that is ambiguous. Names of
        no module of the view come back as they are: ask :meth:`resolve` what one file loads."""
        if module in self.ambiguous:
            return None
        target = self.aliases.get(module)
        return module if target is None else target

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
