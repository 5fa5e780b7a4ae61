"""Merge ``[tool.codemod]`` and command-line flags into one :class:`Options` (flags win), and
resolve a run's configuration as every command does (``apply``, ``check``, ``apply
--interactive``, a ``batch`` worker)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click

from . import registry
from .base import Codemod
from .components.index import Component
from .config import (
    Config,
    ConfigError,
    check_patterns,
    component_overrides,
    find_pyproject,
    load,
    parse_python_version,
)
from .types import Options


@dataclass(frozen=True)
class Resolved:
    """The configuration of a run: ``[tool.codemod]`` read, flags merged, codemods selected."""

    config: Config
    options: Options
    codemods: list[type[Codemod]]


def resolve(start: Path, flags: Mapping[str, Any], config_path: Path | None = None) -> Resolved:
    """Find and read ``[tool.codemod]`` from ``start`` up (or ``config_path``), merge ``flags``;
    raise ``click.UsageError`` for a configuration or selection that cannot be used."""
    try:
        config = load(config_path or find_pyproject(start))
        if flags.get("target_version"):
            flags = {**flags, "target_version": parse_python_version(flags["target_version"], "--target-version")}
        options = build_options(config, flags)
        codemods = registry.selected(options.select, options.ignore)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    except registry.UnknownCodemod as exc:
        known = ", ".join(registry.all_codemods())
        raise click.UsageError(f"unknown codemod {exc} (known: {known})") from None
    return Resolved(config, options, codemods)


def build_options(config: Config, flags: Mapping[str, Any]) -> Options:
    """``config`` with ``flags`` over it; raise ``ConfigError`` for a flag that cannot be used."""
    values = config.values

    def pick(flag: str, key: str, default: Any) -> Any:
        value = flags.get(flag)
        if value is not None:
            return value
        return values.get(key, default)

    check_patterns(flags.get("exclude") or (), "--exclude")
    exclude = tuple(values.get("exclude", ())) + tuple(flags.get("exclude") or ())
    return Options(
        select=pick("select", "select", None),
        ignore=tuple(pick("ignore", "ignore", ())),
        unsafe_fixes=bool(pick("unsafe_fixes", "unsafe-fixes", False)),
        target_version=pick("target_version", "target-version", None),
        target_fastapi=values.get("target-fastapi"),
        exclude=exclude,
        include_generated=bool(pick("include_generated", "include-generated", False)),
        follow_symlinks=bool(flags.get("follow_symlinks", False)),
        codemod_options=config.codemod_options,
    )


def for_component(options: Options, component: Component) -> Options:
    """``options`` for the files of ``component``: its own ``[tool.codemod]`` (``target-fastapi``
    and per-codemod option tables) wins over the run's. Raise ``ConfigError`` when it holds a
    value that cannot be used."""
    if not component.config or component.config_path is None:
        return options
    values, per_codemod = component_overrides(Path(component.config_path), component.config)
    if not values and not per_codemod:
        return options
    merged = {cid: dict(opts) for cid, opts in options.codemod_options.items()}
    for cid, opts in per_codemod.items():
        merged.setdefault(cid, {}).update(opts)
    return replace(
        options,
        target_fastapi=values.get("target-fastapi", options.target_fastapi),
        codemod_options=merged,
    )
