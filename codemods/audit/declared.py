"""Which distributions a project declares: ``requirements*.txt``, ``pyproject.toml`` (PEP 621,
PEP 735 dependency groups, Poetry) and ``setup.cfg``.

Declarations are looked for in the audited directory and then upwards, stopping at the first
directory that has any (and at a repository root): a monorepo's service keeps its own list.
Everything is read as data (``tomllib``, ``configparser``), never executed; ``setup.py`` is
therefore not read.
"""

from __future__ import annotations

import configparser
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .environment import requirement_name


@dataclass(frozen=True)
class Declarations:
    """The distributions a project declares, and the files they came from."""

    #: The files read (absolute paths), sorted.
    files: tuple[Path, ...] = ()
    #: Normalised distribution names.
    names: frozenset[str] = frozenset()

    @property
    def found(self) -> bool:
        return bool(self.files)


def find_declarations(start: Path) -> Declarations:
    """Declarations for the project at ``start`` (a directory or a file in it)."""
    directory = start.resolve()
    if not directory.is_dir():
        directory = directory.parent
    for candidate in [directory, *directory.parents]:
        files = _declaration_files(candidate)
        if files:
            names: set[str] = set()
            read: list[Path] = []
            for path in files:
                names.update(_read(path, read))
            return Declarations(tuple(sorted(set(read))), frozenset(names))
        if (candidate / ".git").exists():
            break
    return Declarations()


def _declaration_files(directory: Path) -> list[Path]:
    found = sorted(p for p in directory.glob("requirements*.txt") if p.is_file())
    found += sorted(p for p in (directory / "requirements").glob("*.txt") if p.is_file())
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file() and _pyproject_declares(_load_toml(pyproject)):
        found.append(pyproject)
    setup_cfg = directory / "setup.cfg"
    if setup_cfg.is_file() and _setup_cfg(setup_cfg) is not None:
        found.append(setup_cfg)
    return found


def _read(path: Path, read: list[Path]) -> Iterator[str]:
    if path.name == "pyproject.toml":
        read.append(path)
        yield from _pyproject_names(_load_toml(path))
    elif path.name == "setup.cfg":
        read.append(path)
        yield from _setup_cfg(path) or ()
    else:
        yield from _requirements(path, read)


def _requirements(path: Path, read: list[Path]) -> Iterator[str]:
    if path in read:  # -r loops
        return
    read.append(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r", "--requirement")):
            target = line.split(None, 1)[1] if " " in line else line[2:]
            yield from _requirements((path.parent / target.strip()).resolve(), read)
            continue
        if line.startswith(("-e", "--editable")) or "://" in line.split("@", 1)[0]:
            egg = line.partition("#egg=")[2]
            if egg and (name := requirement_name(egg)):
                yield name
            continue
        if line.startswith("-"):  # -c constraints, --index-url, ...: not declarations
            continue
        if name := requirement_name(line):
            yield name


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def _pyproject_declares(data: dict[str, Any]) -> bool:
    project = data.get("project", {})
    return (
        (
            isinstance(project, dict)
            and ("dependencies" in project or "optional-dependencies" in project)
        )
        or "poetry" in data.get("tool", {})
        or "dependency-groups" in data
    )


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _pyproject_names(data: dict[str, Any]) -> Iterator[str]:
    project = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
    specs: list[str] = list(_strings(project.get("dependencies")))
    optional = project.get("optional-dependencies", {})
    if isinstance(optional, dict):
        for group in optional.values():
            specs.extend(_strings(group))
    groups = data.get("dependency-groups", {})
    if isinstance(groups, dict):
        for group in groups.values():
            specs.extend(_strings(group))
    for spec in specs:
        if name := requirement_name(spec):
            yield name
    poetry = data.get("tool", {}).get("poetry", {})
    if not isinstance(poetry, dict):
        return
    tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
    group_tables = poetry.get("group", {})
    if isinstance(group_tables, dict):
        tables.extend(g.get("dependencies") for g in group_tables.values() if isinstance(g, dict))
    for table in tables:
        if isinstance(table, dict):
            for key in table:
                if key.lower() != "python" and (name := requirement_name(key)):
                    yield name


def _setup_cfg(path: Path) -> list[str] | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    if not (
        parser.has_option("options", "install_requires")
        or parser.has_section("options.extras_require")
    ):
        return None
    values = [parser.get("options", "install_requires", fallback="")]
    if parser.has_section("options.extras_require"):
        values.extend(v for _, v in parser.items("options.extras_require"))
    names = []
    for value in values:
        for line in value.splitlines():
            if line.strip() and (name := requirement_name(line)):
                names.append(name)
    return names
