"""Module names as Python's import system gives them, and which file an import statement loads.

A file's module name depends on the ``sys.path`` entry it is found under. The candidates are
the *import roots* of its component (the directories a build config names, ``src/``, the
component root) and the file's own directory chain (a script's directory is ``sys.path[0]``).
Naming rules (docs/decisions.md, "Module names"):

1. Below an import root, when some directory between the root and the file is a regular package
   (has ``__init__.py``), the name starts at the topmost such package: ``backend/app/main.py``
   with ``app/__init__.py`` is ``app.main`` whatever lies above ``app``.
2. Otherwise the name is the path below the import root, directories without ``__init__.py``
   being namespace packages (PEP 420): ``routers/users.py`` is ``routers.users``.
3. Outside any import root (no component), or where a part is not an identifier, the classic
   name: up through ``__init__.py`` directories only.

:class:`ModuleFinder` answers "which file does ``import a.b`` load from this file": the file's
own directory chain first (as for a script), then its component's import roots, then other
roots. Two different files answering at the same stage make the answer *ambiguous*: it is
reported as such, never as one of them.
"""

from __future__ import annotations

import keyword
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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
    #: The component (directory) the file belongs to; None when no component encloses it.
    component: str | None = None
    #: The top of the file's ``__init__.py`` chain: ``sys.path[0]`` when it runs as a script.
    script_root: str = ""


def _identifier(part: str) -> bool:
    return part.isidentifier() and not keyword.iskeyword(part)


def _has_init(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "__init__.py"))


def classic_info(
    path: Path, component: str | None = None, has_init: Callable[[str], bool] = _has_init
) -> ModuleInfo:
    """Name a file walking up through ``__init__.py`` packages only."""
    path = path.resolve()
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    directory = path.parent
    while has_init(str(directory)) and directory.parent != directory:
        parts.insert(0, directory.name)
        directory = directory.parent
    name = ".".join(parts) or path.parent.name
    return ModuleInfo(name, str(path), str(directory), is_package, component, str(directory))


def module_info(
    path: Path,
    component: str | None = None,
    import_roots: Sequence[str] = (),
    has_init: Callable[[str], bool] = _has_init,
) -> ModuleInfo:
    """Name ``path`` as an import statement of its component would (rules in the module doc).

    ``import_roots`` are absolute, resolved directories, deepest first; ``has_init`` says
    whether a directory holds an ``__init__.py`` (the caller may answer from listings it keeps)."""
    classic = classic_info(path, component, has_init)
    file = Path(classic.path)
    for root in import_roots:
        try:
            below = file.relative_to(root)
        except ValueError:
            continue
        if has_init(root):
            break  # the root is itself a package: its files are named from above it
        directories = list(below.parts[:-1])
        stem = [] if classic.is_package else [file.stem]
        # the topmost regular package below the root starts the name (rule 1), else the root
        start = next(
            (
                i
                for i in range(len(directories))
                if has_init(os.path.join(root, *directories[: i + 1]))
            ),
            0,
        )
        parts = directories[start:] + stem
        if not parts or not all(_identifier(p) for p in parts):
            break  # the root's own __init__.py, or a part no import statement can name
        base = os.path.join(root, *directories[:start])
        return ModuleInfo(
            ".".join(parts), classic.path, base, classic.is_package, component, classic.root
        )
    return classic


@dataclass(frozen=True)
class Found:
    """What ``import <name>`` loads: one file, a namespace package, nothing, or it is ambiguous."""

    #: The file (module, or a package's ``__init__.py``); None for a namespace package or none.
    path: str | None = None
    #: Directories of a namespace package (PEP 420) when no file answers.
    namespace: tuple[str, ...] = ()
    #: Two or more files answer: the candidates (sorted). Never treat it as one of them.
    ambiguous: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.path is not None or bool(self.namespace) or bool(self.ambiguous)


NOT_FOUND = Found()


class ModuleFinder:
    """Finds the first-party file ``import name`` would load from a given file.

    Directory listings are read once and kept, so a name that is not first-party (most of them)
    costs a few set lookups per root instead of ``stat`` calls."""

    def __init__(self) -> None:
        self._listings: dict[str, frozenset[str]] = {}
        self._probes: dict[tuple[str, str], tuple[str | None, str | None]] = {}

    def _entries(self, directory: str) -> frozenset[str]:
        found = self._listings.get(directory)
        if found is None:
            found = self._listings[directory] = listing(directory)
        return found

    @property
    def listings(self) -> Mapping[str, frozenset[str]]:
        """Every directory listed so far: the finder's answers depend on these alone."""
        return self._listings

    def probe(self, name: str, root: str) -> tuple[str | None, str | None]:
        """(file, namespace directory) answering ``name`` below ``root`` alone."""
        key = (name, root)
        hit = self._probes.get(key)
        if hit is None:
            hit = self._probes[key] = self._probe(name.split("."), root)
        return hit

    def _probe(self, parts: list[str], root: str) -> tuple[str | None, str | None]:
        directory = root
        for part in parts[:-1]:
            if part not in self._entries(directory):
                return None, None
            directory = os.path.join(directory, part)
        entries = self._entries(directory)
        last = parts[-1]
        if last + ".py" in entries:
            module = os.path.join(directory, last + ".py")
            if os.path.isfile(module):
                return module, None
        if last in entries:
            package = os.path.join(directory, last)
            if "__init__.py" in self._entries(package) and os.path.isfile(
                os.path.join(package, "__init__.py")
            ):
                return os.path.join(package, "__init__.py"), None
            if os.path.isdir(package):
                return None, package
        return None, None

    def find(self, name: str, stages: Iterable[Sequence[str]]) -> Found:
        """Search ``stages`` of roots in order; the first stage where something answers decides.

        Within a stage, one file answers, or several (ambiguous), or only namespace
        directories do (a namespace package, whose portions may lie in several roots)."""
        parts = name.split(".")
        if parts[0] in STDLIB_MODULES or not all(parts):
            return NOT_FOUND
        for roots in stages:
            files: list[str] = []
            spaces: list[str] = []
            for root in roots:
                file, space = self.probe(name, root)
                if file is not None and file not in files:
                    files.append(file)
                elif space is not None and space not in spaces:
                    spaces.append(space)
            if len(files) == 1:
                return Found(path=files[0])
            if files:
                return Found(ambiguous=tuple(sorted(files)))
            if spaces:
                return Found(namespace=tuple(spaces))
        return NOT_FOUND


def listing(directory: str) -> frozenset[str]:
    """The names in ``directory`` (none when it cannot be listed)."""
    try:
        return frozenset(os.listdir(directory))
    except OSError:
        return frozenset()
