"""Which component each file belongs to: the nearest enclosing directory holding dependency
declarations (:data:`.declarations.COMPONENT_FILES`).

The walk up from a file stops at the first such directory; at a repository root (a ``.git``
entry) without declarations, that root is the component (it declares nothing); above every
repository, there is no component (``root`` None). The answer depends on the file's location
alone, never on which other files a run was given, so a one-file pre-commit run and a full run
decide alike. Everything is read as data and remembered for the run.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .declarations import Declarations, is_component, read_declarations
from .modules import listing


@dataclass(frozen=True)
class Component:
    """A directory with its own dependency declarations (or a repository root without any)."""

    #: Absolute directory; None when no component or repository encloses the file.
    root: str | None
    declarations: Declarations | None = None
    #: Directories an import of this component may be found under, deepest first.
    import_roots: tuple[str, ...] = ()
    #: ``[tool.codemod]`` of the component's own ``pyproject.toml`` (raw data; validated by
    #: ``options.for_component``), and that file.
    config: Mapping[str, Any] = field(default_factory=dict)
    config_path: str | None = None
    #: Does the component have a file that declares dependencies? False for a repository root
    #: taken as the component for want of one (a lock file or tool settings alone declare nothing).
    declares: bool = False

    def describe(self, start: str | None = None) -> str:
        """The component for messages: its directory relative to ``start`` (``.`` for itself)."""
        if self.root is None:
            return "(no component)"
        try:
            return os.path.relpath(self.root, start or os.getcwd()).replace(os.sep, "/")
        except ValueError:
            return self.root


NO_COMPONENT = Component(None)
#: Files whose contents (not only their presence) decide whether a directory is a component.
_CONSULTED = ("pyproject.toml", "setup.cfg")


class ComponentIndex:
    """Component lookups for one run, each directory listed and each component read once."""

    def __init__(self) -> None:
        self._root_of: dict[str, str | None] = {}
        self._components: dict[str, Component] = {}
        self._listings: dict[str, frozenset[str]] = {}
        #: directory -> does it hold a file that declares dependencies
        self._declaring: dict[str, bool] = {}
        #: files whose contents decided whether their directory is a component
        self._consulted: set[str] = set()

    def __len__(self) -> int:
        """How many components were read so far."""
        return len(self._components)

    @property
    def listings(self) -> Mapping[str, frozenset[str]]:
        """Every directory listed: which component a file belongs to depends on these."""
        return self._listings

    def sources(self) -> list[str]:
        """Every declaration and configuration file read (their contents decide too)."""
        found: set[str] = set(self._consulted)
        for component in self._components.values():
            if component.declarations is not None:
                found.update(component.declarations.files)
            if component.config_path is not None:
                found.add(component.config_path)
        return sorted(found)

    def entries(self, directory: str) -> frozenset[str]:
        """The names in ``directory``, listed once per run."""
        found = self._listings.get(directory)
        if found is None:
            found = self._listings[directory] = listing(directory)
        return found

    def has_init(self, directory: str) -> bool:
        return "__init__.py" in self.entries(directory)

    def root_of(self, directory: str) -> str | None:
        """The component root enclosing ``directory`` (absolute and resolved)."""
        walked: list[str] = []
        current = directory
        found: str | None = None
        while True:
            if current in self._root_of:
                found = self._root_of[current]
                break
            walked.append(current)
            entries = self.entries(current)
            # what ``is_component`` reads decides too: these files' contents, that listing
            self._consulted.update(os.path.join(current, n) for n in _CONSULTED if n in entries)
            if "requirements" in entries:
                self.entries(os.path.join(current, "requirements"))
            declaring = self._declaring[current] = is_component(Path(current))
            if declaring or ".git" in entries:
                found = current
                break
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        for directory_walked in walked:
            self._root_of[directory_walked] = found
        return found

    def for_path(self, path: str) -> Component:
        """The component of the file at ``path`` (absolute and resolved)."""
        return self.component(self.root_of(os.path.dirname(path)))

    def component(self, root: str | None) -> Component:
        if root is None:
            return NO_COMPONENT
        hit = self._components.get(root)
        if hit is None:
            declaring = self._declaring.get(root)
            if declaring is None:
                declaring = self._declaring[root] = is_component(Path(root))
            hit = self._components[root] = read_component(root, declaring)
        return hit

    def known(self) -> list[Component]:
        """Every component met so far (sorted by root)."""
        return [self._components[r] for r in sorted(self._components)]


def read_component(root: str, declaring: bool) -> Component:
    """The component at ``root``; ``declaring``: whether a file there declares dependencies."""
    declarations = read_declarations(Path(root))
    roots = [*declarations.package_roots]
    src = os.path.join(root, "src")
    if not roots and os.path.isdir(src):
        roots.append(src)
    roots.append(root)
    unique = sorted(
        dict.fromkeys(os.path.realpath(r) for r in roots), key=lambda r: -r.count(os.sep)
    )
    config, config_path = _codemod_table(root)
    return Component(root, declarations, tuple(unique), config, config_path, declaring)


def _codemod_table(root: str) -> tuple[Mapping[str, Any], str | None]:
    """``[tool.codemod]`` of ``root/pyproject.toml``: data only, never evaluated. A file that
    cannot be read gives no table (its declarations report the problem)."""
    path = os.path.join(root, "pyproject.toml")
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}, None
    tool = data.get("tool")
    table = tool.get("codemod") if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        return {}, None
    return table, path
