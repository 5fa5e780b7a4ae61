"""``[tool.codemod]`` in the nearest ``pyproject.toml``: found, validated, turned into Options.

Configuration is data: it is read with ``tomllib`` and checked key by key; nothing in it is ever
evaluated. Unknown keys give a warning (a typo should not silently do nothing); a value of the
wrong type is an error (exit code 2).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import catalog
from .files import invalid_pattern
from .readfile import read_regular

GLOBAL_KEYS = {
    "select": "list of codemod ids to run (default: those on by default)",
    "extend-select": "list of codemod ids to run on top of select",
    "ignore": "list of codemod ids not to run",
    "per-file-ignores": "table of glob pattern = list of codemod ids not run on the files it matches",
    "exclude": "list of glob patterns of paths to leave alone",
    "extend-exclude": "list of glob patterns of paths to leave alone, added to exclude",
    "respect-gitignore": "skip the files .gitignore and .git/info/exclude ignore (bool, default true)",
    "unsafe-fixes": "apply unsafe fixes too (bool)",
    "target-version": 'oldest Python the project supports, e.g. "3.11" or "py311"',
    "target-fastapi": 'oldest FastAPI the project supports, e.g. "0.112.2"',
    "include-generated": "also process files marked @generated (bool)",
}


class ConfigError(ValueError):
    """Configuration that cannot be used."""


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    codemod_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that has a ``[tool.codemod]`` table,
    stopping at a repository root (a ``.git`` directory). Raise :class:`ConfigError` for one on
    the way that cannot be read: whether it holds the table cannot be told (ruff and black stop
    there too), and running without its ``exclude`` could rewrite files meant to be left alone."""
    directory = start.resolve()
    if not directory.is_dir():
        directory = directory.parent
    for candidate in [directory, *directory.parents]:
        pyproject = candidate / "pyproject.toml"
        if pyproject.exists() and not pyproject.is_dir():  # a named pipe there is an error, too
            tool = _read_toml(pyproject).get("tool", {})
            if isinstance(tool, dict) and "codemod" in tool:
                return pyproject
        if (candidate / ".git").exists():
            break
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = read_regular(path)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 (line {line})") from None
    except tomllib.TOMLDecodeError as exc:  # its message ends "(at line 3, column 9)"
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def load(path: Path | None) -> Config:
    """Read and validate ``[tool.codemod]`` from ``path`` (None: defaults)."""
    if path is None:
        return Config()
    tool = _read_toml(path).get("tool", {})
    table = tool.get("codemod", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.codemod] must be a table")
    values: dict[str, Any] = {}
    options: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    for key, value in table.items():
        if key in GLOBAL_KEYS:
            values[key] = _check_global(path, key, value)
        elif key in catalog.BY_ID:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [tool.codemod.{key}] must be a table")
            known = _options_of(key)
            for name, item in value.items():
                if name not in known:
                    warnings.append(f"{path}: unknown option {key}.{name} (ignored)")
                    continue
                options.setdefault(key, {})[name] = _check_option(path, f"{key}.{name}", item, known[name])
        else:
            warnings.append(f"{path}: unknown key tool.codemod.{key} (ignored)")
    return Config(path=path, values=values, codemod_options=options, warnings=tuple(warnings))


#: The keys a component's own ``[tool.codemod]`` may set for its files (besides per-codemod
#: option tables); the others (selection, excludes) belong to the run.
COMPONENT_KEYS = ("target-fastapi",)


def component_overrides(
    path: Path, table: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The validated settings a component's ``[tool.codemod]`` (read from ``path``) gives its
    own files: (global values, per-codemod options). Raise :class:`ConfigError` for a value
    that cannot be used; keys that belong to the run are ignored here."""
    values: dict[str, Any] = {}
    options: dict[str, dict[str, Any]] = {}
    for key, value in table.items():
        if key in COMPONENT_KEYS:
            values[key] = _check_global(path, key, value)
        elif key in catalog.BY_ID and isinstance(value, dict):
            known = _options_of(key)
            for name, item in value.items():
                if name in known:
                    options.setdefault(key, {})[name] = _check_option(path, f"{key}.{name}", item, known[name])
    return values, options


def _options_of(codemod_id: str) -> Mapping[str, Any]:
    """The options codemod ``codemod_id`` accepts: only a per-codemod table imports the codemods."""
    from . import registry

    return registry.get(codemod_id).OPTIONS


def _check_global(path: Path, key: str, value: Any) -> Any:
    if key in {"select", "extend-select", "ignore", "exclude", "extend-exclude"}:
        if not _strings(value):
            raise ConfigError(f"{path}: tool.codemod.{key} must be a list of strings")
        if key.endswith("exclude"):
            check_patterns(value, f"{path}: tool.codemod.{key}")
        else:
            check_ids(value, f"{path}: tool.codemod.{key}")
        return tuple(value)
    if key == "per-file-ignores":
        return _per_file_ignores(path, value)
    if key in {"unsafe-fixes", "include-generated", "respect-gitignore"}:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: tool.codemod.{key} must be true or false")
        return value
    if key == "target-version":
        return parse_python_version(str(value), f"{path}: tool.codemod.target-version")
    return parse_version(str(value), f"{path}: tool.codemod.target-fastapi")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _per_file_ignores(path: Path, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``{glob: [ids]}`` as ``((glob, ids), ...)``; a glob may start with ``!`` (every file it
    does not match), as in ruff."""
    where = f"{path}: tool.codemod.per-file-ignores"
    if not isinstance(value, dict):
        raise ConfigError(f'{where} must be a table of "glob" = [codemod ids]')
    entries = []
    for pattern, ids in value.items():
        if not _strings(ids):
            raise ConfigError(f"{where}: {pattern!r} must map to a list of strings")
        check_patterns([pattern.removeprefix("!")], where)
        check_ids(ids, f"{where}: {pattern!r}")
        entries.append((pattern, tuple(ids)))
    return tuple(entries)


def check_ids(ids: Iterable[str], where: str) -> None:
    """Raise :class:`ConfigError` for an id that names no codemod (``ALL`` names every one)."""
    known = catalog.ids()
    for codemod_id in ids:
        if codemod_id != "ALL" and codemod_id not in known:
            raise ConfigError(f"{where}: unknown codemod {codemod_id!r} (known: {', '.join(known)})")


def _check_option(path: Path, key: str, value: Any, option: Any) -> Any:
    kind = option.kind
    if kind is list:
        if not _strings(value):
            raise ConfigError(f"{path}: tool.codemod.{key} must be a list of strings")
        return tuple(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{path}: tool.codemod.{key} must be of type {kind.__name__}")
    if option.choices and value not in option.choices:
        raise ConfigError(f"{path}: tool.codemod.{key} must be one of {', '.join(option.choices)}")
    return value


def check_patterns(patterns: Iterable[str], where: str) -> None:
    """Raise :class:`ConfigError` for an exclude pattern that is not a valid gitignore pattern."""
    bad = invalid_pattern(patterns)
    if bad is not None:
        raise ConfigError(f"{where}: {bad!r} is not a valid gitignore-style pattern")


def parse_python_version(text: str, where: str) -> tuple[int, int]:
    m = re.fullmatch(r"(?:py)?3\.?(\d{1,2})", text.strip())
    if not m:
        raise ConfigError(f"{where}: expected a Python version like 3.11 or py311, got {text!r}")
    return (3, int(m.group(1)))


def parse_version(text: str, where: str) -> tuple[int, ...]:
    if not re.fullmatch(r"\d+(\.\d+)*", text.strip()):
        raise ConfigError(f"{where}: expected a version like 0.112.2, got {text!r}")
    return tuple(int(p) for p in text.strip().split("."))
