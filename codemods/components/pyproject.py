"""``pyproject.toml``, read as data: PEP 621 ``[project]``, PEP 735 ``[dependency-groups]``,
Poetry, PDM, Hatch, uv and setuptools tables.

What each gives: ``[project]`` dependencies (required), optional-dependencies (optional, the
extra), requires-python and name; ``dynamic`` dependencies come from
``[tool.setuptools.dynamic]`` files or from ``setup.py``/``setup.cfg``, else the declarations are
incomplete. ``[dependency-groups]`` (group, with ``include-group`` followed). Poetry's
``dependencies`` (``python`` is Requires-Python; ``optional = true`` entries are optional,
grouped by the ``[tool.poetry.extras]`` entries that list them, else ``"optional"``),
``dev-dependencies`` (group ``dev``) and ``group.<g>.dependencies`` (group ``g``); PDM
``dev-dependencies``; Hatch environments (group named after the environment); uv
``dev-dependencies`` (group ``dev``). Package roots: Poetry ``packages`` (``from``), PDM
``package-dir``, Hatch wheel ``packages``/``sources``, setuptools ``package-dir`` and
``packages.find.where``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from .distributions import normalize
from .model import Role
from .pep508 import parse_pep508, parse_reference
from .poetry import read_poetry
from .reading import Collector
from .tomlvalues import table, toml_inline


def add_pep508(
    c: Collector, items: object, role: Role, group: str | None, where: str, base: Path
) -> None:
    """Record each PEP 508 string of the TOML array ``items`` (``where`` names the array);
    PDM's ``-e path`` entries are read as pip editable references."""
    if not isinstance(items, list):
        if items is not None:
            c.problem(f"{where}: not an array")
        return
    for item in items:
        if not isinstance(item, str):
            c.problem(f"{where}: {toml_inline(item)} is not a requirement string")
            continue
        try:
            if item.startswith("-e "):
                parsed = parse_reference(item[3:].strip(), base, c.root)
                if parsed is None:
                    continue
            else:
                parsed = parse_pep508(item)
        except ValueError as error:
            c.problem(f"{where}: invalid requirement {item!r} ({error})")
            continue
        c.add(parsed.name, (parsed.specifier,), parsed.marker, role, group, f"{where}: {item}", direct=parsed.direct)


def read_pyproject(c: Collector, path: Path) -> None:
    """Read ``path`` (a ``pyproject.toml``) into ``c``."""
    data = c.load_toml(path)
    if data is None:
        return
    display = c.display(path)
    tool = table(data.get("tool"))
    _project(c, display, path.parent, table(data.get("project")), tool)
    _dependency_groups(c, display, path.parent, data.get("dependency-groups"))
    read_poetry(c, display, path.parent, table(tool.get("poetry")))
    _pdm(c, display, path.parent, table(tool.get("pdm")))
    _hatch(c, display, path.parent, table(tool.get("hatch")))
    uv = table(tool.get("uv"))
    where = f"{display}: [tool.uv] dev-dependencies"
    add_pep508(c, uv.get("dev-dependencies"), "group", "dev", where, path.parent)
    _setuptools(c, path.parent, table(tool.get("setuptools")))


def _project(
    c: Collector, display: str, base: Path, project: dict[str, Any], tool: dict[str, Any]
) -> None:
    name = project.get("name")
    if isinstance(name, str):
        c.project_names.append(normalize(name))
    python = project.get("requires-python")
    if isinstance(python, str):
        source = f"{display}: requires-python = {json.dumps(python)}"
        try:
            c.add_requires_python((str(SpecifierSet(python)),), source)
        except InvalidSpecifier:
            c.problem(f"{source} is not a PEP 440 specifier")
    add_pep508(c, project.get("dependencies"), "required", None, f"{display}: dependencies", base)
    optional = project.get("optional-dependencies")
    for extra, items in table(optional).items():
        where = f"{display}: optional-dependencies[{json.dumps(extra)}]"
        add_pep508(c, items, "optional", extra, where, base)
    dynamic = project.get("dynamic")
    if not isinstance(dynamic, list):
        return
    files = table(table(table(tool.get("setuptools")).get("dynamic")))
    if "dependencies" in dynamic:
        spec = table(files.get("dependencies"))
        if "file" in spec:
            _dynamic_files(c, display, base, spec["file"], "required", None)
        else:
            c.dynamic.add("dependencies")
    if "optional-dependencies" in dynamic:
        extras = table(files.get("optional-dependencies"))
        if extras:
            for extra, spec in extras.items():
                _dynamic_files(c, display, base, table(spec).get("file"), "optional", extra)
        else:
            c.dynamic.add("optional-dependencies")


def _dynamic_files(
    c: Collector, display: str, base: Path, value: object, role: Role, group: str | None
) -> None:
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else None
    if not names or not all(isinstance(n, str) for n in names):
        c.problem(f"{display}: [tool.setuptools.dynamic] file is not a path or list of paths")
        return
    for name in names:
        c.requirement_roots.append((base / name, role, group))


def _dependency_groups(c: Collector, display: str, base: Path, groups: object) -> None:
    by_name = {normalize(k): (k, v) for k, v in table(groups).items()}

    def entries(key: str, chain: tuple[str, ...]) -> Iterator[tuple[str, object]]:
        name, items = by_name[key]
        for item in items if isinstance(items, list) else ():
            include = table(item).get("include-group")
            if not isinstance(include, str):
                yield name, item
            elif normalize(include) not in by_name:
                c.problem(
                    f"{display}: dependency-groups[{json.dumps(name)}] includes "
                    f"unknown group {json.dumps(include)}"
                )
            elif normalize(include) in chain:
                c.problem(
                    f"{display}: dependency-groups[{json.dumps(name)}] includes "
                    f"{json.dumps(include)} in a cycle"
                )
            else:
                yield from entries(normalize(include), (*chain, normalize(include)))

    for key, (name, items) in by_name.items():
        if not isinstance(items, list):
            c.problem(f"{display}: dependency-groups[{json.dumps(name)}]: not an array")
            continue
        for origin, item in entries(key, (key,)):
            where = f"{display}: dependency-groups[{json.dumps(origin)}]"
            if origin != name:
                where += f" (included by {json.dumps(name)})"
            add_pep508(c, [item], "group", name, where, base)


def _pdm(c: Collector, display: str, base: Path, pdm: dict[str, Any]) -> None:
    for group, items in table(pdm.get("dev-dependencies")).items():
        where = f"{display}: [tool.pdm.dev-dependencies] {group}"
        add_pep508(c, items, "group", group, where, base)
    package_dir = pdm.get("package-dir")
    if isinstance(package_dir, str):
        c.add_package_root(base / package_dir)


def _hatch(c: Collector, display: str, base: Path, hatch: dict[str, Any]) -> None:
    for env, settings in table(hatch.get("envs")).items():
        for key in ("dependencies", "extra-dependencies"):
            where = f"{display}: [tool.hatch.envs.{env}] {key}"
            add_pep508(c, table(settings).get(key), "group", env, where, base)
    build = table(hatch.get("build"))
    for config in (build, table(table(build.get("targets")).get("wheel"))):
        packages = config.get("packages")
        for package in packages if isinstance(packages, list) else ():
            if isinstance(package, str):
                c.add_package_root((base / package).parent)
        sources = config.get("sources")
        for source in sources if isinstance(sources, list) else ():
            if isinstance(source, str):
                c.add_package_root(base / source)


def _setuptools(c: Collector, base: Path, setuptools: dict[str, Any]) -> None:
    package_dir = table(setuptools.get("package-dir")).get("")
    if isinstance(package_dir, str):
        c.add_package_root(base / package_dir)
    packages = setuptools.get("packages")
    if "find" in table(packages):
        where = table(table(packages).get("find")).get("where", ["."])
        for directory in where if isinstance(where, list) else [where]:
            if isinstance(directory, str):
                c.add_package_root(base / directory)
    elif isinstance(packages, list) and not isinstance(package_dir, str):
        c.add_package_root(base)
