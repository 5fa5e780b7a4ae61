"""``per-file-ignores``: the codemods that do not run on a given file.

A glob is gitignore-style (:mod:`pathspec`), relative to the directory of the configuration
file that set it, as ruff's are relative to its project root; a glob without a ``/`` matches a
file's name in any directory. A glob starting with ``!`` applies to every file it does not match
(ruff's negation). A file outside that directory is matched by its name only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import pathspec

from .types import Options

if TYPE_CHECKING:
    from .base import Codemod


@cache
def _spec(pattern: str) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines([pattern])


def _relative(path: Path, base: str) -> str:
    absolute = Path(os.path.abspath(path))
    for candidate in (absolute, absolute.resolve()):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    return PurePosixPath(absolute.name).as_posix()


def ignored_ids(options: Options, path: Path) -> frozenset[str]:
    """The ids ``per-file-ignores`` keeps from running on ``path`` (``ALL`` among them: all)."""
    ignored: set[str] = set()
    for base, glob, ids in options.per_file_ignores:
        negated = glob.startswith("!")
        if _spec(glob.removeprefix("!")).match_file(_relative(path, base)) != negated:
            ignored.update(ids)
    return frozenset(ignored)


def applicable(
    codemods: Sequence[type[Codemod]], options: Options, path: Path | None
) -> list[type[Codemod]]:
    """``codemods`` without those ``per-file-ignores`` keeps from running on ``path``."""
    if path is None or not options.per_file_ignores:
        return list(codemods)
    ignored = ignored_ids(options, path)
    if "ALL" in ignored:
        return []
    return [c for c in codemods if c.ID not in ignored]
