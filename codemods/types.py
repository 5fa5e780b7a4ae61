"""Frozen, picklable value types shared by the engine, the codemods and the reporters."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Safety(enum.StrEnum):
    """How far a fix may be trusted (ruff's fix applicability)."""

    #: Keeps the program's meaning and its comments; applied by default.
    SAFE = "safe"
    #: Valid code that may change runtime behaviour; applied only with ``--unsafe-fixes``.
    UNSAFE = "unsafe"
    #: Reported for a person to decide; never applied.
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True, order=True)
class Change:
    """One fix a codemod made, or would make."""

    line: int
    codemod: str
    message: str
    fix_title: str
    safety: Safety
    #: False when the fix was reported but not applied (unsafe without
    #: ``--unsafe-fixes``, display-only, or declined in interactive review).
    applied: bool
    #: 1-based column of the first non-blank character of :attr:`line` in the file as read
    #: (codemods report lines: this is where the reported statement starts).
    column: int = 1


@dataclass(frozen=True, order=True)
class Skip:
    """A site a codemod recognised but deliberately left alone, with the reason."""

    line: int
    codemod: str
    reason: str


@dataclass(frozen=True)
class Failure:
    """Why a file could not be processed. The file is left untouched."""

    #: read, decode, parse, config, internal, verify, write or conflict
    stage: str
    message: str
    line: int | None = None
    codemod: str | None = None

    def describe(self) -> str:
        where = f":{self.line}" if self.line else ""
        who = f" [{self.codemod}]" if self.codemod else ""
        return f"{self.stage} error{where}{who}: {self.message}"


@dataclass(frozen=True)
class FileResult:
    """Everything known about one file after a run. Never raised, always returned."""

    #: The path as shown to the user (relative to the working directory when possible).
    path: str
    changes: tuple[Change, ...] = ()
    skips: tuple[Skip, ...] = ()
    failure: Failure | None = None
    #: Source text before and after, kept only when the file changed.
    before: str | None = None
    after: str | None = None
    #: Unified diff (``a/``, ``b/`` prefixes), empty when unchanged.
    diff: str = ""
    encoding: str = "utf-8"
    #: Why the whole file was skipped (generated, excluded, ...), if it was.
    skipped: str | None = None
    written: bool = False
    #: SHA-256 of the bytes that were read (empty when the file could not be read).
    source_digest: str = ""
    #: It depends on files the run did not read (``Codemod.volatile``): never cached.
    volatile: bool = False

    @property
    def changed(self) -> bool:
        return self.after is not None and self.after != self.before


@dataclass(frozen=True)
class Options:
    """The effective configuration of one run (CLI flags over ``[tool.codemod]``)."""

    #: Explicit selection; None means every codemod that is on by default.
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    #: Oldest Python the project supports, e.g. (3, 11). None: the running interpreter.
    target_version: tuple[int, int] | None = None
    #: Oldest FastAPI the project supports, e.g. (0, 112, 2). None: unknown.
    target_fastapi: tuple[int, ...] | None = None
    exclude: tuple[str, ...] = ()
    include_generated: bool = False
    follow_symlinks: bool = False
    #: Skip what ``.gitignore`` files and ``.git/info/exclude`` ignore.
    respect_gitignore: bool = True
    #: (directory the glob is relative to, glob, codemod ids not run on the files it matches)
    per_file_ignores: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    #: Per-codemod options, keyed by codemod id then option name (``keep-lazy``).
    codemod_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def option(self, codemod: str, name: str, default: Any) -> Any:
        return self.codemod_options.get(codemod, {}).get(name, default)
