"""Merge ``[tool.codemod]`` and command-line flags into one :class:`Options` (flags win)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .config import Config
from .types import Options


def build_options(config: Config, flags: Mapping[str, Any]) -> Options:
    values = config.values

    def pick(flag: str, key: str, default: Any) -> Any:
        value = flags.get(flag)
        if value is not None:
            return value
        return values.get(key, default)

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
