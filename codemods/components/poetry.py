"""Poetry's ``[tool.poetry]`` tables, read as data.

``dependencies``: ``python`` is Requires-Python; every other key is a requirement, its value a
constraint string, a table (``version``, ``optional``, ``markers``, ``python``, ``platform``,
``git``/``path``/``url``, ``extras``), or an array of tables (one requirement each, each with its
own marker). ``optional = true`` makes it optional, once per ``[tool.poetry.extras]`` entry that
lists it (the extra's name is the group), or with group ``"optional"`` when none does. A
``git``, ``path`` or ``url`` dependency is recorded by name only (any version).
``dev-dependencies`` is the group ``dev``; ``group.<g>.dependencies`` the group ``g``.
``packages = [{include = "x", from = "src"}]`` names the package root ``src``.
Versions go through ``versions.poetry_constraint``; a dependency's ``python`` and ``platform``
become ``python_version``/``python_full_version`` and ``sys_platform`` markers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from packaging.version import Version

from .distributions import normalize
from .model import Role
from .pep508 import marker_text
from .reading import Collector
from .tomlvalues import table, toml_inline
from .versions import poetry_constraint

_DIRECT = ("git", "path", "url")


def read_poetry(c: Collector, display: str, base: Path, poetry: dict[str, Any]) -> None:
    """Read the ``[tool.poetry]`` table ``poetry`` of the file ``display`` into ``c``."""
    if not poetry:
        return
    name = poetry.get("name")
    if isinstance(name, str):
        c.project_names.append(normalize(name))
    extras_of: dict[str, list[str]] = {}
    for extra, names in table(poetry.get("extras")).items():
        for dependency in names if isinstance(names, list) else ():
            if isinstance(dependency, str):
                extras_of.setdefault(normalize(dependency), []).append(extra)
    dependencies = table(poetry.get("dependencies"))
    python = next((v for k, v in dependencies.items() if k.lower() == "python"), None)
    if isinstance(python, str):
        source = f"{display}: python = {json.dumps(python)}"
        try:
            c.add_requires_python(poetry_constraint(python), source)
        except ValueError as error:
            c.problem(f"{source}: {error}")
    tables: list[tuple[str, dict[str, Any], Role, str | None]] = [
        (f"{display}: ", dependencies, "required", None),
        (
            f"{display}: [tool.poetry.dev-dependencies] ",
            table(poetry.get("dev-dependencies")),
            "group",
            "dev",
        ),
    ]
    for name_of_group, settings in table(poetry.get("group")).items():
        prefix = f"{display}: [tool.poetry.group.{name_of_group}.dependencies] "
        deps = table(table(settings).get("dependencies"))
        tables.append((prefix, deps, "group", name_of_group))
    for prefix, entries, role, group in tables:
        for key, value in entries.items():
            if key.lower() != "python":
                _dependency(c, prefix, key, value, role, group, extras_of)
    packages = poetry.get("packages")
    for package in packages if isinstance(packages, list) else ():
        origin = table(package).get("from")
        if isinstance(table(package).get("include"), str):
            c.add_package_root(base / origin if isinstance(origin, str) else base)


def _dependency(
    c: Collector,
    prefix: str,
    key: str,
    value: object,
    role: Role,
    group: str | None,
    extras_of: dict[str, list[str]],
) -> None:
    source = f"{prefix}{key} = {toml_inline(value)}"
    name = normalize(key)
    for entry in value if isinstance(value, list) else [value]:
        marker: str | None = None
        optional = False
        direct = False
        if isinstance(entry, str):
            version: object = entry
        elif isinstance(entry, dict):
            optional = entry.get("optional") is True
            direct = any(k in entry for k in _DIRECT)
            version = None if direct else entry.get("version")
            try:
                marker = _marker(entry)
            except ValueError as error:
                c.problem(f"{source}: {error}")
                continue
        else:
            c.problem(f"{source}: neither a version constraint nor a table")
            continue
        specifier: tuple[str, ...] = ("",)
        if isinstance(version, str):
            try:
                specifier = poetry_constraint(version)
            except ValueError as error:
                c.problem(f"{source}: {error}")
        elif version is not None:
            c.problem(f"{source}: version is not a string")
        if optional and role == "required":
            for extra in extras_of.get(name, ["optional"]):
                c.add(name, specifier, marker, "optional", extra, source, direct=direct)
        else:
            c.add(name, specifier, marker, role, group, source, direct=direct)


def _marker(entry: dict[str, Any]) -> str | None:
    """The environment marker of one Poetry dependency table (``ValueError`` if invalid)."""
    parts: list[str] = []
    markers = entry.get("markers")
    if isinstance(markers, str) and markers.strip():
        parts.append(markers.strip())
    python = entry.get("python")
    if isinstance(python, str):
        python_marker = _python_marker(python)
        if python_marker:
            parts.append(python_marker)
    platform = entry.get("platform")
    if isinstance(platform, str):
        parts.append(f"sys_platform == {json.dumps(platform)}")
    if not parts:
        return None
    return marker_text(parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts))


def _python_marker(constraint: str) -> str | None:
    """A Poetry ``python`` constraint as a marker; ``None`` when it allows every version."""
    alternatives: list[str] = []
    for specifier in poetry_constraint(constraint):
        if not specifier:
            return None
        clauses = []
        for clause in specifier.split(","):
            op = clause[: len(clause) - len(clause.lstrip("<>=!~"))]
            version = clause[len(op) :]
            release = Version(version.removesuffix(".*")).release
            full = len(release) > 2 or version.endswith(".*")
            variable = "python_full_version" if full else "python_version"
            clauses.append(f"{variable} {op} {json.dumps(version)}")
        alternatives.append(" and ".join(clauses))
    if len(alternatives) == 1:
        return alternatives[0]
    return " or ".join(f"({a})" for a in alternatives)
