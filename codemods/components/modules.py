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
roots; a dotted name then only inside its parent package, as the import system does. Two
different files answering at the same stage make the answer *ambiguous*: it is reported as
such, never as one of them.
"""

from __future__ import annotations

import keyword
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

STDLIB_MODULES: frozenset[str] = frozenset(sys.stdlib_module_names)
_REMOVED_IN_313 = (
    "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "lib2to3", "mailcap", "msilib",
    "nis", "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",
)  # fmt: skip
#: Standard-library modules that no longer exist, and the Python version that removed them
#: (whatever Python runs this tool: a module it still has may be gone where the app runs).
REMOVED_STDLIB: Mapping[str, tuple[int, int]] = {
    # PEP 594 ("dead batteries"), removed in 3.13; lib2to3 went in 3.13 too
    **dict.fromkeys(_REMOVED_IN_313, (3, 13)),
    # removed in 3.12: asynchat, asyncore, smtpd (PEP 594), distutils (PEP 632), imp
    **dict.fromkeys(("asynchat", "asyncore", "distutils", "imp", "smtpd"), (3, 12)),
}
#: Roots an import is searched in, stage by stage (see ``project.Namer.stages``).
Stages = tuple[tuple[str, ...], ...]


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


def prefixes(name: str) -> list[str]:
    """``a``, ``a.b``, ``a.b.c`` for ``a.b.c``: importing a module imports its parents first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _identifier(part: str) -> bool:
    return part.isidentifier() and not keyword.iskeyword(part)


def _has_init(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "__init__.py"))


def resolve_relative(current: ModuleInfo, module: str | None, level: int) -> str | None:
    """The absolute name of ``from <level dots><module> import ...`` in ``current``; None
    beyond the top-level package."""
    if level == 0:
        return module
    package = current.name.split(".") if current.is_package else current.name.split(".")[:-1]
    if level - 1 > len(package):
        return None
    base = package[: len(package) - (level - 1)]
    if module:
        base = [*base, module]
    return ".".join(base) or None


def classic_info(
    path: Path, component: str | None = None, has_init: Callable[[str], bool] = _has_init
) -> ModuleInfo:
    """Name a file with no component known: up through ``__init__.py`` packages, and through
    directories without one that sit inside a regular package (namespace portions:
    ``marimo/_sql/engines/duckdb.py`` is ``marimo._sql.engines.duckdb``). A file that no
    regular package holds may run as a script: its directory is its ``script_root``."""
    path = path.resolve()
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    directory = path.parent
    packaged = False
    while True:
        while directory.parent != directory and has_init(str(directory)):
            parts.insert(0, directory.name)
            directory = directory.parent
            packaged = True
        # no __init__.py here: a namespace portion inside a regular package further up?
        gap: list[str] = []
        up = directory
        while up.parent != up and not has_init(str(up)) and _identifier(up.name):
            gap.insert(0, up.name)
            up = up.parent
        if not gap or up.parent == up or not has_init(str(up)):
            break
        parts[:0] = gap
        directory = up
    name = ".".join(parts) or path.parent.name
    script_root = str(directory) if packaged else str(path.parent)
    return ModuleInfo(name, str(path), str(directory), is_package, component, script_root)


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
        package = next(
            (i for i in range(len(directories)) if has_init(os.path.join(root, *directories[: i + 1]))),
            None,
        )
        start = package or 0
        parts = directories[start:] + stem
        if not parts or not all(_identifier(p) for p in parts):
            break  # the root's own __init__.py, or a part no import statement can name
        base = os.path.join(root, *directories[:start])
        # inside a regular package the file is a module of it, never a script of its own
        script_root = base if package is not None else str(file.parent)
        return ModuleInfo(".".join(parts), classic.path, base, classic.is_package, component, script_root)
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
    def first_party(self) -> bool:
        """Does any file or directory of the project answer the name?"""
        return self.path is not None or bool(self.namespace) or bool(self.ambiguous)


NOT_FOUND = Found()


class ModuleFinder:
    """Finds the first-party file ``import name`` would load from a given file, as Python's
    path finder does: a top-level name is searched root by root (a regular package or module
    anywhere beats namespace directories, whose portions add up); a dotted name only inside its
    parent package (its ``__init__.py`` directory, or every portion of a namespace package).

    Directory listings are read once and kept; an index from each listed name to the roots that
    hold it makes a name that is not first-party (most of them) one dictionary lookup per
    stage, however many roots there are."""

    def __init__(self) -> None:
        self._listings: dict[str, frozenset[str]] = {}
        #: top-level name (``x`` for ``x/`` and ``x.py``) -> the roots listed so far holding it
        self._where: dict[str, set[str]] = {}
        self._indexed: set[str] = set()
        self._stage_sets: dict[int, list[frozenset[str]]] = {}
        self._keys: dict[Stages, int] = {}
        self._found: dict[tuple[str, int], Found] = {}

    def _entries(self, directory: str) -> frozenset[str]:
        found = self._listings.get(directory)
        if found is None:
            found = self._listings[directory] = listing(directory)
        return found

    @property
    def listings(self) -> Mapping[str, frozenset[str]]:
        """Every directory listed so far: the finder's answers depend on these alone."""
        return self._listings

    def _sets(self, stages: Stages, key: int) -> list[frozenset[str]]:
        """The stages as sets, every root listed and indexed (once per stages)."""
        found = self._stage_sets.get(key)
        if found is None:
            for roots in stages:
                for root in roots:
                    if root not in self._indexed:
                        self._indexed.add(root)
                        for entry in self._entries(root):
                            self._where.setdefault(entry.removesuffix(".py"), set()).add(root)
            found = self._stage_sets[key] = [frozenset(roots) for roots in stages]
        return found

    def find(self, name: str, stages: Stages, key: int | None = None) -> Found:
        """What ``import name`` loads, searching ``stages`` of roots. ``key``, a number the
        caller gives each distinct ``stages``, spares hashing them on every call."""
        parts = name.split(".")
        if parts[0] in STDLIB_MODULES or not all(parts):
            return NOT_FOUND
        if key is None:
            key = self._keys.setdefault(stages, -1 - len(self._keys))
        memo = (name, key)
        hit = self._found.get(memo)
        if hit is None:
            hit = self._found[memo] = self._find(parts, stages, key)
        return hit

    def _find(self, parts: list[str], stages: Stages, key: int) -> Found:
        if len(parts) == 1:
            return self._top(parts[0], stages, key)
        parent = self.find(".".join(parts[:-1]), stages, key)
        if parent.ambiguous:
            # which package loads is unknown: so is its submodule (the candidates: the
            # submodules the packages hold, else the packages)
            packages = [os.path.dirname(p) for p in parent.ambiguous if os.path.basename(p) == "__init__.py"]
            children, _ = self._in(parts[-1], packages)
            return Found(ambiguous=tuple(sorted(children)) or parent.ambiguous)
        if parent.path is not None:
            if os.path.basename(parent.path) != "__init__.py":
                return NOT_FOUND  # a module has no submodules: ``from mod import name`` names an attribute
            portions: Sequence[str] = (os.path.dirname(parent.path),)
        else:
            portions = parent.namespace
        files, spaces = self._in(parts[-1], portions)
        if len(files) > 1:
            return Found(ambiguous=tuple(sorted(files)))
        if files:
            return Found(path=files[0])
        return Found(namespace=tuple(spaces)) if spaces else NOT_FOUND

    def _top(self, top: str, stages: Stages, key: int) -> Found:
        holders = self._where
        spaces: list[str] = []
        sets = self._sets(stages, key)
        for roots, members in zip(stages, sets, strict=True):
            having = holders.get(top)
            if not having or having.isdisjoint(members):
                continue
            files, found = self._in(top, [r for r in roots if r in having])
            if len(files) > 1:
                return Found(ambiguous=tuple(sorted(files)))
            if files:
                return Found(path=files[0])  # a regular package or module beats namespaces
            spaces.extend(s for s in found if s not in spaces)
        return Found(namespace=tuple(spaces)) if spaces else NOT_FOUND

    def _in(self, name: str, directories: Iterable[str]) -> tuple[list[str], list[str]]:
        """(files, namespace directories) answering ``name`` in ``directories``: in each, a
        package beats a module, which beats a plain directory (as ``FileFinder`` decides)."""
        files: list[str] = []
        spaces: list[str] = []
        for directory in directories:
            entries = self._entries(directory)
            package = os.path.join(directory, name)
            if name in entries and "__init__.py" in self._entries(package):
                found = os.path.join(package, "__init__.py")
            elif name + ".py" in entries:
                found = os.path.join(directory, name + ".py")
            else:
                if name in entries and os.path.isdir(package):
                    spaces.append(package)
                continue
            if os.path.isfile(found) and found not in files:
                files.append(found)
        return files, spaces


def listing(directory: str) -> frozenset[str]:
    """The names in ``directory`` (none when it cannot be listed)."""
    try:
        return frozenset(os.listdir(directory))
    except OSError:
        return frozenset()
