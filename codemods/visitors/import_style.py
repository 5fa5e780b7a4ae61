"""The import style of a file's project: ruff's (or black's) line length, and whether ruff's isort
settings are ones :mod:`.import_order` models.

Read from the nearest ``ruff.toml``/``.ruff.toml``, or ``pyproject.toml`` with ``[tool.ruff]``
or ``[tool.black]``, at or above the file (stopping at a repository root), once per directory.
Only ``known-first-party`` of ruff's isort settings is followed; any other isort setting (a
changed order, ``force-single-line``, custom sections) means no block is provably sorted, so
added imports keep today's place at the end of the block.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

from ..base import FileContext
from .import_order import ImportStyle

#: ruff isort settings that do not change where an import goes
_HARMLESS = frozenset({"known-first-party", "known-local-folder", "required-imports"})


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


@functools.lru_cache(maxsize=256)
def _settings(directory: str) -> tuple[int, frozenset[str], bool]:
    """(line length, known-first-party, sorting modelled) for files in ``directory``."""
    here = Path(directory)
    for folder in [here, *here.parents]:
        ruff: dict[str, Any] | None = None
        black: dict[str, Any] | None = None
        for name in (".ruff.toml", "ruff.toml"):
            if (folder / name).is_file():
                ruff = _read(folder / name) or {}
                break
        if ruff is None and (folder / "pyproject.toml").is_file():
            tool = (_read(folder / "pyproject.toml") or {}).get("tool", {})
            ruff, black = tool.get("ruff"), tool.get("black")
        if ruff is not None or black is not None:
            return _style(ruff or {}, black or {})
        if (folder / ".git").exists():
            break
    return 88, frozenset(), True


def _style(ruff: dict[str, Any], black: dict[str, Any]) -> tuple[int, frozenset[str], bool]:
    length = ruff.get("line-length", black.get("line-length", 88))
    lint = ruff.get("lint", {})
    isort = {**ruff.get("isort", {}), **(lint.get("isort", {}) if isinstance(lint, dict) else {})}
    known = isort.get("known-first-party", [])
    ok = isinstance(length, int) and isinstance(known, list) and set(isort) <= _HARMLESS
    if isort.get("known-local-folder"):
        ok = False
    return (length if isinstance(length, int) else 88), frozenset(map(str, known)), ok


def style_for(context: FileContext) -> ImportStyle:
    """The import style for the file a codemod is transforming."""
    if context.path is None:
        length, known, sorting = 88, frozenset[str](), True
    else:
        length, known, sorting = _settings(str(Path(context.path).resolve().parent))
    module = context.module
    own = (
        frozenset({module.name.split(".")[0]})
        if module is not None and module.name
        else frozenset()
    )
    return ImportStyle(
        line_length=length,
        first_party=known | own,
        is_first=context.project.is_first_party if context.project.modules else None,
        sorting=sorting,
    )
