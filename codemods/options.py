"""Merge ``[tool.codemod]`` and command-line flags into one :class:`Options` (flags win), and
resolve a run's configuration as every command does (``apply``, ``check``, ``apply
--interactive``, a ``batch`` worker)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import catalog
from .config import (
    Config,
    ConfigError,
    check_ids,
    check_patterns,
    component_overrides,
    find_pyproject,
    load,
    parse_python_version,
)
from .types import Options

if TYPE_CHECKING:
    from .base import Codemod
    from .components.index import Component


@dataclass(frozen=True)
class Resolved:
    """The configuration of a run: ``[tool.codemod]`` read, flags merged, codemods selected."""

    config: Config
    options: Options
    #: the selected codemods' ids, in run order
    ids: tuple[str, ...]

    @property
    def codemods(self) -> list[type[Codemod]]:
        """The selected codemods themselves (imports them, and libcst)."""
        from . import registry

        return [registry.get(cid) for cid in self.ids]


def resolve(start: Path, flags: Mapping[str, Any], config_path: Path | None = None) -> Resolved:
    """Find and read ``[tool.codemod]`` from ``start`` up (or ``config_path``), merge ``flags``;
    raise ``click.UsageError`` for a configuration or selection that cannot be used."""
    try:
        config = load(config_path or find_pyproject(start))
        if flags.get("target_version"):
            flags = {**flags, "target_version": parse_python_version(flags["target_version"], "--target-version")}
        options = build_options(config, flags)
        ids = catalog.selected_ids(options.select, options.ignore)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    except catalog.UnknownCodemod as exc:
        known = ", ".join(catalog.ids())
        raise click.UsageError(f"unknown codemod {exc} (known: {known})") from None
    return Resolved(config, options, ids)


def build_options(config: Config, flags: Mapping[str, Any]) -> Options:
    """``config`` with ``flags`` over it; raise ``ConfigError`` for a flag that cannot be used."""
    values = config.values

    def pick(flag: str, key: str, default: Any) -> Any:
        value = flags.get(flag)
        if value is not None:
            return value
        return values.get(key, default)

    check_patterns(flags.get("exclude") or (), "--exclude")
    for flag in ("select", "extend_select", "ignore"):
        check_ids(flags.get(flag) or (), "--" + flag.replace("_", "-"))
    exclude = (
        tuple(values.get("exclude", ()))
        + tuple(values.get("extend-exclude", ()))
        + tuple(flags.get("exclude") or ())
    )
    select, ignore = selection(
        (values.get("select"), values.get("extend-select", ()), values.get("ignore", ())),
        (flags.get("select"), flags.get("extend_select") or (), flags.get("ignore") or ()),
    )
    base = os.path.abspath(config.path.parent) if config.path else ""  # globs are relative to it
    return Options(
        select=select,
        ignore=ignore,
        unsafe_fixes=bool(pick("unsafe_fixes", "unsafe-fixes", False)),
        target_version=pick("target_version", "target-version", None),
        target_fastapi=values.get("target-fastapi"),
        exclude=exclude,
        include_generated=bool(pick("include_generated", "include-generated", False)),
        follow_symlinks=bool(flags.get("follow_symlinks", False)),
        respect_gitignore=bool(pick("respect_gitignore", "respect-gitignore", True)),
        per_file_ignores=tuple((base, glob, ids) for glob, ids in values.get("per-file-ignores", ())),
        codemod_options=config.codemod_options,
    )


Layer = tuple[Sequence[str] | None, Sequence[str], Sequence[str]]


def selection(*layers: Layer) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    """``Options.select`` and ``.ignore`` from (select, extend-select, ignore) layers, the
    configuration's then the flags', as ruff combines them: a layer's ``select`` replaces what
    the layers before chose, its ``extend-select`` adds to it, then its ``ignore`` removes from
    it. Raise :class:`catalog.UnknownCodemod` for an id that names no codemod."""
    every = catalog.ids()
    for codemod_id in (i for layer in layers for ids in layer for i in ids or ()):
        if codemod_id != "ALL" and codemod_id not in every:
            raise catalog.UnknownCodemod(codemod_id)
    if not any(select is not None or extend for select, extend, _ in layers):
        return None, tuple(dict.fromkeys(i for _, _, ignore in layers for i in ignore))
    if all(not extend for _, extend, _ in layers):  # the last select with the ignores after it
        last = max(n for n, (select, _, _) in enumerate(layers) if select is not None)
        select = layers[last][0]
        return tuple(select or ()), tuple(dict.fromkeys(i for _, _, ig in layers[last:] for i in ig))
    chosen = {e.id for e in catalog.CODEMODS if e.default_on}

    def ids(names: Sequence[str]) -> set[str]:
        return set(every) if "ALL" in names else set(names)

    for select, extend, ignore in layers:
        if select is not None:
            chosen = ids(select)
        chosen = (chosen | ids(extend)) - ids(ignore)
    return tuple(c for c in every if c in chosen), ()


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
