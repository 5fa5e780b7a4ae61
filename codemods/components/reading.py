"""Reading one component: bounded, boundary-checked file reads and what they add up to.

A ``Collector`` lives for one ``read_declarations`` call. Every reader (``pyproject``,
``setup_files``, ``requirements_files``, ``pipfile``, ``locks``) reads files only through
``Collector.read_text`` and reports through its ``add_*`` and ``problem`` methods; nothing here
raises on a file's content. ``Collector.build`` returns the frozen ``Declarations``.

Files are read only inside the *repository*: the directory holding the nearest ``.git`` at or
above the component root, or the component root itself when there is none. A symlink or an
include that resolves outside it is refused, and so is a file over ``MAX_BYTES``.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from .model import Declarations, Requirement, Role

#: The largest file read (1 MiB); a bigger one is a problem, never read.
MAX_BYTES = 1024 * 1024

_TOML_LINE = re.compile(r"at line (\d+)")


def repository_root(root: Path) -> Path:
    """The directory holding the nearest ``.git`` at or above ``root``; else ``root``."""
    for candidate in (root, *root.parents):
        if (candidate / ".git").exists():
            return candidate
    return root


def _version_key(version: str) -> tuple[int, Version | str]:
    try:
        return (0, Version(version))
    except InvalidVersion:
        return (1, version)


class Collector:
    """The mutable state of reading one component (never shared between threads)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.boundary = repository_root(root)
        self.files: set[Path] = set()
        self.requirements: list[Requirement] = []
        self.constraints: list[Requirement] = []
        self.problems: list[str] = []
        self.package_roots: list[Path] = []
        self.project_names: list[str] = []
        #: Requires-Python candidates in reading order (the first wins).
        self.requires_python: list[tuple[tuple[str, ...], str]] = []
        #: Requirement files named by build configuration (``file:``), with their role.
        self.requirement_roots: list[tuple[Path, Role, str | None]] = []
        #: The ``[project]`` fields declared ``dynamic`` with no file to read them from
        #: (``dependencies``, ``optional-dependencies``): setup.py or setup.cfg must give them.
        self.dynamic: set[str] = set()
        #: The fields setup.cfg or setup.py gave (``install_requires``, ``extras_require``).
        self.setup_gave: set[str] = set()
        self._locked: dict[str, tuple[str, str]] = {}
        self._pins: dict[str, tuple[str, str]] = {}

    # -- paths and reading ------------------------------------------------------------------

    def display(self, path: Path) -> str:
        """``path`` relative to the component root, with ``/`` separators."""
        return Path(os.path.relpath(path, self.root)).as_posix()

    def inside(self, path: Path) -> bool:
        """Does ``path`` (symlinks resolved) stay inside the repository?"""
        return Path(os.path.realpath(path)).is_relative_to(self.boundary)

    def read_text(self, path: Path) -> str | None:
        """The text of ``path`` (UTF-8, BOM dropped), or ``None`` with a problem recorded."""
        display = self.display(path)
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError) as error:
            self.problem(f"{display}: cannot be read ({type(error).__name__})")
            return None
        if not real.is_relative_to(self.boundary):
            self.problem(f"{display}: resolves outside the repository ({real}); not read")
            return None
        try:
            if not real.is_file():
                self.problem(f"{display}: not a regular file; not read")
                return None
            if real.stat().st_size > MAX_BYTES:
                self.problem(f"{display}: larger than 1 MiB; not read")
                return None
            with real.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError as error:
            self.problem(f"{display}: cannot be read ({error.strerror or type(error).__name__})")
            return None
        if len(data) > MAX_BYTES:
            self.problem(f"{display}: larger than 1 MiB; not read")
            return None
        self.files.add(real)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            self.problem(f"{display}: not UTF-8 (line {line})")
            return None

    def load_toml(self, path: Path) -> dict[str, Any] | None:
        """``path`` parsed as TOML, or ``None`` with a problem naming the line."""
        text = self.read_text(path)
        if text is None:
            return None
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            line = getattr(error, "lineno", None)
            if line is None:
                m = _TOML_LINE.search(str(error))
                line = int(m.group(1)) if m else text.count("\n") + 1
            self.problem(f"{self.display(path)}: invalid TOML (line {line})")
            return None

    def load_json(self, path: Path) -> object | None:
        """``path`` parsed as JSON, or ``None`` with a problem naming the line."""
        text = self.read_text(path)
        if text is None:
            return None
        try:
            value: object = json.loads(text)
        except json.JSONDecodeError as error:
            self.problem(f"{self.display(path)}: invalid JSON (line {error.lineno})")
            return None
        except RecursionError:
            self.problem(f"{self.display(path)}: JSON nested too deeply")
            return None
        return value

    # -- what the readers found ---------------------------------------------------------------

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    def add(
        self,
        name: str,
        specifier: tuple[str, ...],
        marker: str | None,
        role: Role,
        group: str | None,
        source: str,
        *,
        constraint: bool = False,
        direct: bool = False,
    ) -> None:
        """Record one requirement (or, with ``constraint``, one constraint); ``direct``: a URL,
        path or VCS reference, whose version is unknown."""
        group = None if role == "required" else group
        entry = Requirement(name, specifier, marker, role, group, source, direct)
        (self.constraints if constraint else self.requirements).append(entry)

    def lock(self, name: str, version: str, source: str, *, pin: bool = False) -> None:
        """Record an exact version: from a lock file, or (``pin``) an exact pin in a
        requirements file, which counts only for names no lock file locks. Two different
        versions from the same kind of source: the lowest is kept and the source says so."""
        table = self._pins if pin else self._locked
        old = table.get(name)
        if old is None:
            table[name] = (version, source)
        elif old[0] != version:
            low, high = sorted([old, (version, source)], key=lambda vs: _version_key(vs[0]))
            table[name] = (low[0], f"{low[1]} (lowest kept; also {high[0]} in {high[1]})")

    def add_requires_python(self, specifier: tuple[str, ...], source: str) -> None:
        self.requires_python.append((specifier, source))

    def add_package_root(self, path: Path) -> None:
        self.package_roots.append(Path(os.path.normpath(path)))

    def build(self) -> Declarations:
        """The frozen result. A requirement naming the component's own project (``pkg[extra]``
        in its own extras or groups) is a self-reference and is dropped."""
        project = self.project_names[0] if self.project_names else None
        requirements = [r for r in self.requirements if r.name != project]
        locked = dict(self._locked)
        for name, value in self._pins.items():
            locked.setdefault(name, value)
        python = self.requires_python[0] if self.requires_python else None
        return Declarations(
            root=str(self.root),
            files=tuple(sorted(str(f) for f in self.files)),
            requirements=tuple(dict.fromkeys(requirements)),
            constraints=tuple(dict.fromkeys(self.constraints)),
            locked=dict(sorted(locked.items())),
            requires_python=python[0] if python else None,
            requires_python_source=python[1] if python else None,
            complete=not self.problems,
            problems=tuple(self.problems),
            package_roots=tuple(sorted({str(p) for p in self.package_roots})),
            project_name=project,
        )
