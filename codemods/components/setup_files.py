"""``setup.cfg`` (``configparser``) and ``setup.py`` (the standard library's ``ast``), read as
data. ``setup.py`` is parsed, never run: only literals are read.

``setup.cfg``: ``[metadata] name``; ``[options] install_requires``, ``python_requires``,
``package_dir`` (``=src``), ``packages = find:`` with ``[options.packages.find] where``;
``[options.extras_require]``. A ``file: a.txt, b.txt`` value names requirement files.

``setup.py``: the first ``setup(...)`` call (``setup``, ``setuptools.setup``, an alias made by
``from setuptools import setup as s``, ``distutils.core.setup``): its ``name``,
``install_requires``, ``extras_require``, ``python_requires``, ``package_dir`` and
``packages`` (a literal, or ``find_packages``/``find_namespace_packages`` with a literal
``where``). A value is read when it is a literal (strings, lists, tuples, dicts, ``+`` of
them) or a name bound once in the module to such a literal and never changed in place or passed
to a call. Anything else (a call, an f-string, a comprehension, ``**kwargs``) leaves that
field unknown: a problem names it and the declarations are incomplete.
"""

from __future__ import annotations

import ast
import configparser
import json
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from .distributions import normalize
from .model import Role
from .pep508 import parse_pep508
from .reading import Collector
from .setup_literals import Bindings, NotLiteral, dotted, literal


def _add_lines(
    c: Collector, lines: list[str], role: Role, group: str | None, where: str, base: Path
) -> None:
    """Record each requirement line; a ``file:`` value names requirement files instead."""
    if len(lines) == 1 and lines[0].startswith("file:"):
        for name in lines[0][5:].split(","):
            if name.strip():
                c.requirement_roots.append((base / name.strip(), role, group))
        return
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            parsed = parse_pep508(line)
        except ValueError as error:
            c.problem(f"{where}: invalid requirement {line!r} ({error})")
            continue
        c.add(parsed.name, (parsed.specifier,), parsed.marker, role, group, f"{where}: {line}", direct=parsed.direct)


def _python_requires(c: Collector, value: str, source: str) -> None:
    try:
        c.add_requires_python((str(SpecifierSet(value)),), source)
    except InvalidSpecifier:
        c.problem(f"{source} is not a PEP 440 specifier")


def _cfg_list(value: str) -> list[str]:
    """A setuptools list value: one item a line, or ``;``-separated on a single line."""
    items = value.splitlines() if "\n" in value.strip() else value.split(";")
    return [item.strip() for item in items if item.strip()]


def read_setup_cfg(c: Collector, path: Path) -> None:
    """Read ``path`` (a ``setup.cfg``) into ``c``."""
    text = c.read_text(path)
    if text is None:
        return
    display = c.display(path)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=display)
    except configparser.Error as error:
        line = getattr(error, "lineno", None)
        errors = getattr(error, "errors", None)
        if line is None and errors:
            line = errors[0][0]
        c.problem(f"{display}: invalid setup.cfg (line {line or '?'})")
        return
    base = path.parent
    name = parser.get("metadata", "name", fallback=None)
    if name and name.strip():
        c.project_names.append(normalize(name.strip()))
    python = parser.get("options", "python_requires", fallback=None)
    if python and python.strip():
        _python_requires(c, python.strip(), f"{display}: python_requires = {python.strip()}")
    if parser.has_option("options", "install_requires"):
        c.setup_gave.add("dependencies")
        lines = _cfg_list(parser.get("options", "install_requires"))
        _add_lines(c, lines, "required", None, f"{display}: install_requires", base)
    if parser.has_section("options.extras_require"):
        c.setup_gave.add("optional-dependencies")
        for extra, value in parser.items("options.extras_require"):
            where = f"{display}: extras_require[{json.dumps(extra)}]"
            _add_lines(c, _cfg_list(value), "optional", extra, where, base)
    package_dir = parser.get("options", "package_dir", fallback="")
    for entry in package_dir.splitlines() if "\n" in package_dir.strip() else [package_dir]:
        key, eq, value = entry.partition("=")
        if eq and not key.strip() and value.strip():
            c.add_package_root(base / value.strip())
    packages = parser.get("options", "packages", fallback="").strip()
    if packages in ("find:", "find_namespace:"):
        where = parser.get("options.packages.find", "where", fallback="").strip()
        c.add_package_root(base / where if where else base)


def read_setup_py(c: Collector, path: Path) -> None:
    """Read ``path`` (a ``setup.py``) into ``c``, by parsing it: it is never run."""
    text = c.read_text(path)
    if text is None:
        return
    display = c.display(path)
    try:
        tree = ast.parse(text, filename=display)
        _read_setup_tree(c, display, path.parent, tree)
    except SyntaxError as error:
        c.problem(f"{display}: invalid Python (line {error.lineno or '?'})")
    except (RecursionError, MemoryError):
        c.problem(f"{display}: nested too deeply to read")


def _setup_calls(tree: ast.Module) -> list[ast.Call]:
    names, modules = {"setup"}, {"setuptools", "distutils.core"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in modules:
            names.update(a.asname or a.name for a in node.names if a.name == "setup")
        elif isinstance(node, ast.Import):
            modules.update(a.asname for a in node.names if a.asname and a.name in modules)
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id in names)
            or (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "setup"
                and dotted(node.func.value) in modules
            )
        )
    ]


def _read_setup_tree(c: Collector, display: str, base: Path, tree: ast.Module) -> None:
    calls = _setup_calls(tree)
    if not calls:
        c.problem(f"{display}: no setup() call found")
        return
    call = min(calls, key=lambda n: (n.lineno, n.col_offset))
    if len(calls) > 1:
        c.problem(f"{display}: {len(calls)} setup() calls; only line {call.lineno} was read")
    if call.args or any(k.arg is None for k in call.keywords):
        c.problem(f"{display}: setup() takes *args or **kwargs (line {call.lineno})")
    bindings = Bindings(tree, call)
    fields = {k.arg: k.value for k in call.keywords if k.arg is not None}

    def value(field: str) -> object:
        node = fields.get(field)
        if node is None:
            return None
        found = literal(node, bindings)
        if isinstance(found, NotLiteral):
            c.problem(f"{display}: {field} is not a literal (line {node.lineno}: {found.reason})")
            return None
        return found

    name = value("name")
    if isinstance(name, str):
        c.project_names.append(normalize(name))
    python = value("python_requires")
    if isinstance(python, str):
        _python_requires(c, python, f"{display}: python_requires={json.dumps(python)}")
    if "install_requires" in fields:
        c.setup_gave.add("dependencies")
        requires = value("install_requires")
        lines = _requirement_list(c, display, "install_requires", requires)
        _add_lines(c, lines, "required", None, f"{display}: install_requires", base)
    if "extras_require" in fields:
        c.setup_gave.add("optional-dependencies")
        extras = value("extras_require")
        if extras is not None and not isinstance(extras, dict):
            c.problem(f"{display}: extras_require is not a dict")
        for extra, items in (extras or {}).items() if isinstance(extras, dict) else ():
            field = f"extras_require[{json.dumps(extra)}]"
            lines = _requirement_list(c, display, field, items)
            _add_lines(c, lines, "optional", str(extra), f"{display}: {field}", base)
    package_dir = value("package_dir")
    if isinstance(package_dir, dict) and isinstance(package_dir.get(""), str):
        c.add_package_root(base / package_dir[""])
    _packages(c, display, base, fields.get("packages"), bindings, isinstance(package_dir, dict))


def _requirement_list(c: Collector, display: str, field: str, value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.splitlines()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v for v in value if isinstance(v, str)]
    c.problem(f"{display}: {field} is not a list of strings")
    return []


def _packages(
    c: Collector,
    display: str,
    base: Path,
    node: ast.expr | None,
    bindings: Bindings,
    has_package_dir: bool,
) -> None:
    if node is None:
        return
    if isinstance(node, ast.Call) and dotted(node.func).rsplit(".", 1)[-1] in (
        "find_packages",
        "find_namespace_packages",
    ):
        where_node = next((k.value for k in node.keywords if k.arg == "where"), None)
        if where_node is None and node.args:
            where_node = node.args[0]
        if where_node is None:
            if not has_package_dir:
                c.add_package_root(base)
            return
        where = literal(where_node, bindings)
        if isinstance(where, str):
            c.add_package_root(base / where)
        else:
            c.problem(f"{display}: packages is not a literal (line {node.lineno}: where)")
        return
    found = literal(node, bindings)
    if isinstance(found, NotLiteral):
        c.problem(f"{display}: packages is not a literal (line {node.lineno}: {found.reason})")
    elif not has_package_dir:
        c.add_package_root(base)
