"""Pipenv's ``Pipfile`` (TOML), read as data.

``[packages]`` are required, ``[dev-packages]`` the group ``dev-packages``; a value is ``"*"``,
a PEP 440 specifier, or a table (``version``, ``markers``, marker variables such as
``sys_platform = "== 'linux'"``; ``git``/``path``/``file`` entries by name only).
``[requires] python_version = "3.11"`` means that minor version: ``==3.11.*``;
``python_full_version = "3.11.4"`` means ``==3.11.4`` (and wins when both are given).
"""

from __future__ import annotations

import json
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from .distributions import normalize
from .model import Role
from .pep508 import marker_text
from .reading import Collector
from .tomlvalues import table, toml_inline

#: PEP 508 marker variables Pipenv accepts as keys of a package table.
MARKER_KEYS = (
    "implementation_name", "implementation_version", "os_name", "platform_machine",
    "platform_python_implementation", "platform_release", "platform_system",
    "platform_version", "python_full_version", "python_version", "sys_platform",
)  # fmt: skip
_DIRECT = ("git", "path", "file", "url")
_SECTIONS: tuple[tuple[str, Role, str | None], ...] = (
    ("packages", "required", None),
    ("dev-packages", "group", "dev-packages"),
)


def read_pipfile(c: Collector, path: Path) -> None:
    """Read ``path`` (a ``Pipfile``) into ``c``."""
    data = c.load_toml(path)
    if data is None:
        return
    display = c.display(path)
    for section, role, group in _SECTIONS:
        for key, value in table(data.get(section)).items():
            source = f"{display}: [{section}] {key} = {toml_inline(value)}"
            _package(c, source, normalize(key), value, role, group)
    requires = table(data.get("requires"))
    for key, template in (("python_full_version", "=={}"), ("python_version", "=={}.*")):
        version = requires.get(key)
        if isinstance(version, str):
            source = f"{display}: {key} = {json.dumps(version)}"
            try:
                c.add_requires_python((template.format(Version(version)),), source)
            except InvalidVersion:
                c.problem(f"{source} is not a version")
            break


def _package(
    c: Collector, source: str, name: str, value: object, role: Role, group: str | None
) -> None:
    marker: str | None = None
    direct = False
    if isinstance(value, str):
        version: object = value
    elif isinstance(value, dict):
        direct = any(k in value for k in _DIRECT)
        version = "*" if direct else value.get("version", "*")
        parts = [value["markers"]] if isinstance(value.get("markers"), str) else []
        parts += [f"{k} {value[k]}" for k in MARKER_KEYS if isinstance(value.get(k), str)]
        if parts:
            text = parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)
            try:
                marker = marker_text(text)
            except ValueError as error:
                c.problem(f"{source}: {error}")
                return
    else:
        c.problem(f"{source}: neither a version nor a table")
        return
    specifier = ""
    if not isinstance(version, str):
        c.problem(f"{source}: version is not a string")
    elif version.strip() not in ("", "*"):
        try:
            specifier = str(SpecifierSet(version))
        except InvalidSpecifier:
            c.problem(f"{source}: {version!r} is not a PEP 440 specifier")
    c.add(name, (specifier,), marker, role, group, source, direct=direct)
