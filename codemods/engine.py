"""The per-file pipeline: ``transform_source`` (pure, raises) and ``run_file`` (I/O, never raises).

One parse per file; every selected codemod whose textual trigger matches runs on that tree in
run order, each a fresh instance; the result must re-parse, and must ``compile()`` whenever the
input did, before it counts. A file is written only when its content changed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import moreorless

from .base import Codemod, FileContext, Suppressions
from .io import SourceError, digest, encode_source, read_source, write_atomic
from .project import ProjectFacts
from .types import Change, Failure, FileResult, Options, Skip

#: Deeply nested real-world files (sympy) exceed libcst's needs at Python's default limit.
RECURSION_LIMIT = 5000
#: Files carrying this marker in their first lines are left alone unless asked otherwise.
GENERATED_MARKER = "@generated"
GENERATED_LINES = 10


class TransformError(Exception):
    """A file that could not be transformed; carries the :class:`Failure` to report."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


@dataclass(frozen=True)
class SourceResult:
    """What :func:`transform_source` produced for one source text."""

    code: str
    changes: tuple[Change, ...]
    skips: tuple[Skip, ...]


def is_generated(text: str) -> bool:
    head = text.split("\n", GENERATED_LINES)[:GENERATED_LINES]
    return any(GENERATED_MARKER in line for line in head)


def triggered(codemods: Sequence[type[Codemod]], text: str) -> list[type[Codemod]]:
    """The codemods whose textual trigger occurs in ``text`` (the cheap prefilter)."""
    return [c for c in codemods if c.TRIGGER is None or c.TRIGGER.search(text)]


def _compiles(text: str) -> bool:
    try:
        compile(text, "<codemod>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _parse(text: str) -> cst.Module:
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise TransformError(Failure("parse", exc.message, line=exc.raw_line)) from None
    except RecursionError:
        raise TransformError(Failure("parse", "too deeply nested to parse")) from None


def transform_source(
    text: str,
    codemods: Sequence[type[Codemod]],
    options: Options,
    project: ProjectFacts | None = None,
    path: Path | None = None,
    prefilter: bool = True,
) -> SourceResult:
    """Run ``codemods`` on ``text`` and return the new code with what was changed and skipped.

    ``prefilter=False`` runs every codemod even when its textual trigger does not match (the
    tests use it to prove the prefilter never skips a file a full run would change).

    Raises :class:`TransformError` when the text does not parse, a codemod crashes, or the
    output fails verification; the caller keeps the original text in that case.
    """
    project = project or ProjectFacts()
    active = triggered(codemods, text) if prefilter else list(codemods)
    # A file the gather phase could not read with ``ast`` is parsed here even when no trigger
    # matched: either libcst reads it (newer syntax) or its syntax error is reported.
    if not active and not (path is not None and project.is_opaque(path)):
        return SourceResult(text, (), ())
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)
    module = _parse(text)
    context = FileContext(
        path=path,
        module=project.module_for(path) if path else None,
        options=options,
        project=project,
        suppressions=Suppressions.scan(text),
        source=text,
    )
    changes: list[Change] = []
    skips: list[Skip] = []
    code = text
    input_compiles: bool | None = None
    for codemod in active:
        command = codemod(context)
        try:
            module = command.transform(module)
        except RecursionError:
            raise TransformError(
                Failure("internal", "too deeply nested to transform", codemod=codemod.ID)
            ) from None
        except Exception as exc:  # a bug in a codemod must not lose the other files
            raise TransformError(
                Failure("internal", f"{type(exc).__name__}: {exc}", codemod=codemod.ID)
            ) from exc
        changes.extend(command.changes)
        skips.extend(command.skips)
        if not any(c.applied for c in command.changes):
            continue
        new_code = module.code
        if new_code == code:
            continue
        try:
            cst.parse_module(new_code)
        except (cst.ParserSyntaxError, RecursionError) as exc:
            raise TransformError(
                Failure("verify", f"output does not parse: {exc}", codemod=codemod.ID)
            ) from None
        if input_compiles is None:
            input_compiles = _compiles(text)
        if input_compiles and not _compiles(new_code):
            raise TransformError(Failure("verify", "output does not compile", codemod=codemod.ID))
        code = new_code
    return SourceResult(code, tuple(sorted(changes)), tuple(sorted(skips)))


def display_path(path: Path) -> str:
    """``path`` relative to the working directory, with ``/`` separators (as diffs need)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        rel = str(path)
    return rel.replace(os.sep, "/")


def make_diff(before: str, after: str, shown: str, encoding: str = "utf-8") -> str:
    """A unified diff that ``git apply`` accepts; a BOM is part of the first line, as git sees it."""
    if before == after:
        return ""
    if encoding == "utf-8-sig":
        before, after = "\ufeff" + before, "\ufeff" + after
    return str(moreorless.unified_diff(before, after, shown))


def diff_codec(encoding: str) -> str:
    """The codec a diff is written in: the file's own, with a BOM kept inside the first line."""
    return "utf-8" if encoding == "utf-8-sig" else encoding


def run_file(
    path: Path,
    codemods: Sequence[type[Codemod]],
    options: Options,
    project: ProjectFacts | None = None,
    write: bool = False,
) -> FileResult:
    """Process one file end to end. Never raises: every problem becomes ``FileResult.failure``."""
    shown = display_path(path)
    try:
        raw, text, encoding = read_source(path)
    except SourceError as exc:
        return FileResult(shown, failure=Failure(exc.stage, exc.message))
    source_digest = digest(raw)
    if not options.include_generated and is_generated(text):
        return FileResult(
            shown, encoding=encoding, skipped="generated file (@generated marker)", source_digest=source_digest
        )
    try:
        result = transform_source(text, codemods, options, project, path)
    except TransformError as exc:
        return FileResult(shown, failure=exc.failure, encoding=encoding)
    except Exception as exc:  # the engine itself must never take the run down
        return FileResult(shown, failure=Failure("internal", f"{type(exc).__name__}: {exc}"))
    if result.code == text:
        return FileResult(shown, result.changes, result.skips, encoding=encoding, source_digest=source_digest)
    try:
        data = encode_source(result.code, encoding)
    except UnicodeEncodeError as exc:
        return FileResult(
            shown, failure=Failure("write", f"result cannot be encoded as {encoding}: {exc.reason}")
        )
    diff = make_diff(text, result.code, shown, encoding)
    written = False
    if write:
        try:
            write_atomic(path, data, digest(raw))
        except SourceError as exc:
            return FileResult(
                shown, result.changes, result.skips, Failure(exc.stage, exc.message), encoding=encoding
            )
        written = True
    return FileResult(
        shown,
        result.changes,
        result.skips,
        before=text,
        after=result.code,
        diff=diff,
        encoding=encoding,
        written=written,
    )
