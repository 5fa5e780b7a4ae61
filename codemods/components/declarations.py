"""What a component declares: ``is_component`` and ``read_declarations``.

A *component* is a directory holding at least one of ``COMPONENT_FILES``. Its declarations are
read from those files and from the lock files beside them (``locks.LOCK_FILES``), as data only:
``tomllib``, ``json``, ``configparser`` and ``ast`` — nothing is imported, run or written. What
cannot be read as data (a ``setup.py`` value computed by a call, dynamic dependencies, a syntax
error, a file over 1 MiB, an include or symlink leaving the repository) makes the result
incomplete, with a problem naming it; it never raises.

Reading order (first wins for ``project_name`` and ``requires_python``): ``pyproject.toml``
(``[project]``, then Poetry), ``setup.cfg``, ``setup.py``, the requirement files (sorted, with
their includes), ``Pipfile``, then the lock files. Locked versions from lock files win over
exact pins in requirement files.
"""

from __future__ import annotations

import configparser
import os
from fnmatch import fnmatchcase
from pathlib import Path

from .locks import LOCK_FILES, read_lock
from .model import ROLE_RANK, Declarations, Requirement, Role
from .pipfile import read_pipfile
from .pyproject import read_pyproject
from .reading import Collector
from .requirements_files import group_for, read_requirement_files
from .setup_files import read_setup_cfg, read_setup_py
from .tomlvalues import table

__all__ = [
    "COMPONENT_FILES",
    "Declarations",
    "Requirement",
    "Role",
    "is_component",
    "read_declarations",
]

#: The files whose presence makes a directory a component (glob patterns relative to it).
#: ``pyproject.toml`` and ``setup.cfg`` count only when they declare a project (``[project]``,
#: ``[dependency-groups]``, ``[tool.poetry]``, ``[tool.pdm]``, Hatch environments, uv
#: ``dev-dependencies``; ``[metadata]`` or ``[options]``), since both often hold only tool
#: settings (``[tool.ruff]``, ``[flake8]``).
COMPONENT_FILES: tuple[str, ...] = (
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "Pipfile",
    "requirements*.txt",
    "requirements*.in",
    "*-requirements.txt",
    "requirements/*.txt",
    "requirements/*.in",
)
_REQUIREMENT_PATTERNS = ("requirements*.txt", "requirements*.in", "*-requirements.txt")
_REQUIREMENT_DIR_PATTERNS = ("*.txt", "*.in")
_WEAK = ("pyproject.toml", "setup.cfg")


def _listing(directory: Path) -> tuple[set[str], set[str]] | None:
    """(regular files, directories) in ``directory``, symlinks followed; ``None`` if unlistable."""
    files: set[str] = set()
    dirs: set[str] = set()
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    if entry.is_file():
                        files.add(entry.name)
                    elif entry.is_dir():
                        dirs.add(entry.name)
                except OSError:
                    continue
    except OSError:
        return None
    return files, dirs


def _requirement_files(directory: Path, files: set[str], dirs: set[str]) -> list[Path]:
    found = [
        directory / name
        for name in sorted(files)
        if any(fnmatchcase(name, pattern) for pattern in _REQUIREMENT_PATTERNS)
    ]
    if "requirements" in dirs:
        listed = _listing(directory / "requirements")
        for name in sorted(listed[0] if listed else ()):
            if any(fnmatchcase(name, pattern) for pattern in _REQUIREMENT_DIR_PATTERNS):
                found.append(directory / "requirements" / name)
    return found


def _declares_project(c: Collector, path: Path) -> bool:
    """Does this ``pyproject.toml`` or ``setup.cfg`` declare a project? An unreadable one
    counts (``read_declarations`` then reports why)."""
    if path.name == "pyproject.toml":
        data = c.load_toml(path)
        if data is None:
            return True
        tool = table(data.get("tool"))
        return (
            "project" in data
            or "dependency-groups" in data
            or "poetry" in tool
            or "pdm" in tool
            or "envs" in table(tool.get("hatch"))
            or "dev-dependencies" in table(tool.get("uv"))
        )
    text = c.read_text(path)
    if text is None:
        return True
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return True
    return parser.has_section("metadata") or parser.has_section("options")


def is_component(directory: Path) -> bool:
    """Does ``directory`` hold a component-defining file (``COMPONENT_FILES``)? One listing
    (two with a ``requirements/`` directory); ``pyproject.toml`` and ``setup.cfg`` are read
    only when nothing else decides."""
    listed = _listing(directory)
    if listed is None:
        return False
    files, dirs = listed
    if "setup.py" in files or "Pipfile" in files or _requirement_files(directory, files, dirs):
        return True
    weak = [name for name in _WEAK if name in files]
    if not weak:
        return False
    c = Collector(directory.resolve())
    return any(_declares_project(c, directory / name) for name in weak)


def read_declarations(directory: Path) -> Declarations:
    """Everything the component at ``directory`` declares, read as data (never raises on the
    files' content; see the module docstring for the order and the rules)."""
    root = directory.resolve()
    c = Collector(root)
    listed = _listing(root)
    if listed is None or not root.is_dir():
        c.problem(f"{root}: not a readable directory")
        return c.build()
    files, dirs = listed
    if "pyproject.toml" in files:
        read_pyproject(c, root / "pyproject.toml")
    if "setup.cfg" in files:
        read_setup_cfg(c, root / "setup.cfg")
    if "setup.py" in files:
        read_setup_py(c, root / "setup.py")
    for field in sorted(c.dynamic - c.setup_gave):
        c.problem(
            f"pyproject.toml: {field} are dynamic (no file, setup.cfg or setup.py gives them)"
        )
    roots: dict[Path, tuple[Role, str | None]] = {}
    for path in _requirement_files(root, files, dirs):
        roots[path] = group_for(c.display(path))
    for named, role, group in c.requirement_roots:
        path = Path(os.path.normpath(named))
        if not c.inside(path):
            c.problem(
                f"{c.display(path)}: named by the build configuration, outside the "
                "repository; not read"
            )
        elif not path.is_file():
            c.problem(f"{c.display(path)}: named by the build configuration; no such file")
        elif path not in roots or ROLE_RANK[role] > ROLE_RANK[roots[path][0]]:
            roots[path] = (role, group)
    read_requirement_files(c, roots)
    if "Pipfile" in files:
        read_pipfile(c, root / "Pipfile")
    for name in LOCK_FILES:
        if name in files:
            read_lock(c, root / name)
    return c.build()
