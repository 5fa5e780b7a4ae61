"""The per-file pipeline: ``transform_source`` (pure, raises) and ``run_file`` (I/O, never raises).

One parse per file; every selected codemod whose textual trigger matches runs on that tree in
run order, each a fresh instance; the result must ``compile()`` whenever the input did (CPython's
parser and compiler, which check more than a libcst re-parse, at a fraction of its cost), and
must re-parse with libcst when the input uses syntax newer than the running Python, before it
counts. A file is written only when its content changed.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import libcst as cst

from . import preflight
from .astkit.asts import Trees
from .base import Codemod, FileContext, Suppressions
from .collector import paused
from .config import ConfigError
from .cstkit.printing import Printer
from .cstkit.readonly_visit import readonly_visits
from .diffs import display_path, make_diff
from .io import SourceError, digest, encode_source, read_source, write_atomic
from .linemap import LineMap, to_original, with_columns
from .options import for_component
from .per_file import applicable
from .project import ProjectFacts
from .readfile import SYMLINK_REFUSED
from .selection import Selection
from .types import Change, Failure, FileResult, Options, Skip

#: Deeply nested real-world files (sympy) exceed libcst's needs at Python's default limit.
RECURSION_LIMIT = 5000
#: Files carrying this marker in their first lines are left alone unless asked otherwise.
GENERATED_MARKER = "@generated"
GENERATED_LINES = 10
#: Why such a file is skipped.
GENERATED = "generated file (@generated marker)"


class TransformError(Exception):
    """A file that could not be transformed; carries the :class:`Failure` to report."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.describe())
        self.failure = failure

    def __reduce__(self) -> tuple[type[TransformError], tuple[Failure]]:
        return (TransformError, (self.failure,))  # picklable across worker processes


@dataclass(frozen=True)
class SourceResult:
    """What :func:`transform_source` produced for one source text."""

    code: str
    changes: tuple[Change, ...]
    skips: tuple[Skip, ...]
    #: A codemod read files outside the run (``Codemod.volatile``).
    volatile: bool = False


def is_generated(text: str) -> bool:
    head = text.split("\n", GENERATED_LINES)[:GENERATED_LINES]
    return any(GENERATED_MARKER in line for line in head)


def triggered(codemods: Sequence[type[Codemod]], text: str) -> list[type[Codemod]]:
    """The codemods whose textual trigger occurs in ``text`` (the cheap prefilter)."""
    return [c for c in codemods if c.TRIGGER is None or c.TRIGGER.search(text)]


def may_change(active: Sequence[type[Codemod]], text: str, trees: Trees) -> frozenset[str] | None:
    """The ids of the codemods in ``active`` whose :meth:`Codemod.may_change` holds for ``text``
    (the second prefilter), read with ``trees``; None when ``ast`` cannot read it."""
    try:
        tree = trees.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return frozenset(c.ID for c in active if c.may_change(tree))


def prefilter_codemods(
    codemods: Sequence[type[Codemod]], text: str, trees: Trees, gathered: frozenset[str] | None
) -> tuple[list[type[Codemod]], frozenset[str] | None]:
    """Both prefilters: :attr:`Codemod.TRIGGER` on the text, then :meth:`Codemod.may_change` on
    its ``ast`` tree (``gathered``: the gather phase's answer, when it read this exact text).
    Returns the codemods to run, from the first whose ``may_change`` holds, and the ids whose
    ``may_change`` holds (None: ``ast`` cannot read the text, or no trigger matched)."""
    active = triggered(codemods, text)
    if not active:
        return active, None
    known = gathered if gathered is not None else may_change(active, text, trees)
    if known is not None:
        active = active[next((i for i, c in enumerate(active) if c.ID in known), len(active)) :]
    return active, known


def _compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            # the user's own code, not ours to warn about (``1()``, ``"\d"``, ``x is 1``)
            warnings.simplefilter("ignore")
            compile(text, "<codemod>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _verify(text: str, outputs: Sequence[str], authors: Sequence[str]) -> None:
    """Raise :class:`TransformError` unless the last of ``outputs`` (each codemod's output, in
    order) compiles, when ``text`` does, or parses with libcst, when ``text`` uses newer syntax
    than this interpreter's. Only the final code is checked: the outputs before it are read
    again only to name the codemod whose output first failed."""
    # compile() (in C) checks strictly more than a second libcst parse would, so an output that
    # compiles passes either way and the input need not be compiled at all
    if _compiles(outputs[-1]):
        return
    if _compiles(text):
        culprit = next((a for a, out in zip(authors, outputs, strict=True) if not _compiles(out)), authors[-1])
        raise TransformError(Failure("verify", "output does not compile", codemod=culprit))
    if _libcst_error(outputs[-1]) is None:  # newer syntax than ours: libcst is the judge
        return
    for author, out in zip(authors, outputs, strict=True):
        error = _libcst_error(out)
        if error is not None:
            raise TransformError(Failure("verify", f"output does not parse: {error}", codemod=author))


def _libcst_error(code: str) -> str | None:
    try:
        cst.parse_module(code)
    except (cst.ParserSyntaxError, RecursionError) as exc:
        return str(exc)
    return None


def _parse(text: str, trees: Trees, gathered: bool) -> cst.Module:
    """Preflight, then one libcst parse (``gathered``: the gather phase read this exact text)."""
    refused = preflight.check(text, trees, gathered)
    if refused is not None:
        raise TransformError(refused)
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise TransformError(preflight.parse_failure(text, exc, trees)) from None
    except RecursionError:
        raise TransformError(Failure("parse", "too deeply nested to parse")) from None


def transform_source(
    text: str,
    codemods: Sequence[type[Codemod]],
    options: Options,
    project: ProjectFacts | None = None,
    path: Path | None = None,
    prefilter: bool = True,
    selection: Selection | None = None,
    trees: Trees | None = None,
) -> SourceResult:
    """Run ``codemods`` on ``text`` and return the new code with what was changed and skipped.

    ``prefilter=False`` runs every codemod even when its textual trigger does not match (the
    tests use it to prove the prefilter never skips a file a full run would change).
    ``selection`` applies only the changes it accepts (:mod:`codemods.selection`). ``trees`` is
    the caller's ``ast`` memo (a fresh one by default), handed to every step that reads ``ast``:
    the prefilter, the preflight, the printer and the codemods (``FileContext.trees``).

    Raises :class:`TransformError` when the text does not parse, a codemod crashes, or the
    output fails verification; the caller keeps the original text in that case.
    """
    project = (project or ProjectFacts()).view_for(path)
    codemods = applicable(codemods, options, path)
    try:
        options = for_component(options, project.component)
    except ConfigError as exc:
        raise TransformError(Failure("config", str(exc))) from None
    trees = Trees() if trees is None else trees
    #: the gather phase's prefilter answer, when it read this exact text (it then parses)
    gathered = project.candidates_for(path, text) if path is not None else None
    first_known: frozenset[str] | None = None
    if prefilter:
        active, first_known = prefilter_codemods(codemods, text, trees, gathered)
    else:
        active = list(codemods)
    #: code -> the ids whose ``may_change`` holds for it (None: ``ast`` cannot read it)
    checked: dict[str, frozenset[str] | None] = {text: first_known}
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)
    if not active:
        # Nothing to run, but a file ``ast`` cannot read is still parsed with libcst: either it
        # reads it (newer syntax than this interpreter's) or the syntax error is reported. A
        # ``may_change`` answer means ``ast`` read it.
        opaque = gathered is None and path is not None and project.is_opaque(path)
        if first_known is None and not preflight.ast_parses(
            text, trees, gathered is not None, opaque
        ):
            _parse(text, trees, gathered is not None)
        return SourceResult(text, (), ())
    module = _parse(text, trees, gathered is not None)
    context = FileContext(
        path=path,
        module=project.module_for(path) if path else None,
        options=options,
        project=project,
        suppressions=Suppressions.scan(text),
        source=text,
        trees=trees,
    )
    changes: list[Change] = []
    skips: list[Skip] = []
    volatile = False
    code = text
    printer = Printer(text, module, trees)
    #: (input, output) of every codemod that changed the code, and their line maps (made lazily)
    edits: list[tuple[str, str]] = []
    #: the codemod behind each of ``edits``
    authors: list[str] = []
    maps: list[LineMap] = []
    for position, codemod in enumerate(active):
        if prefilter and position > 0 and codemod.ID not in (first_known or ()):
            # the second prefilter again, on this codemod's own input: an earlier codemod may
            # have made work for it (hoisted imports for dedupe-imports). Not for a codemod that
            # may change the text as read: reading the new code with ``ast`` again (a sixth of a
            # libcst parse) would at most spare a run that then finds nothing.
            if code not in checked:
                checked[code] = may_change(active[position:], code, trees)
            known = checked[code]
            if known is not None and codemod.ID not in known:
                continue
        # A codemod's line numbers are those of its own input: after an earlier codemod changed
        # the code, suppression comments are looked up there, not in the file as read.
        context = context.with_source(code)
        if selection is not None:
            while len(maps) < len(edits):
                maps.append(LineMap(*edits[len(maps)]))
            context = replace(context, decide=selection.decider(maps))
        command = codemod(context)
        try:
            with readonly_visits():
                module = command.transform(module)
        except RecursionError:
            raise TransformError(
                Failure("internal", "too deeply nested to transform", codemod=codemod.ID)
            ) from None
        except Exception as exc:  # a bug in a codemod must not lose the other files
            raise TransformError(
                Failure("internal", f"{type(exc).__name__}: {exc}", codemod=codemod.ID)
            ) from exc
        volatile = volatile or command.volatile
        if edits and (command.changes or command.skips):
            # report lines of the file as read, not of an earlier codemod's output
            while len(maps) < len(edits):
                maps.append(LineMap(*edits[len(maps)]))
            changes.extend(replace(c, line=to_original(c.line, maps)) for c in command.changes)
            skips.extend(replace(s, line=to_original(s.line, maps)) for s in command.skips)
        else:
            changes.extend(command.changes)
            skips.extend(command.skips)
        if not any(c.applied for c in command.changes):
            continue
        new_code = printer.code(module)
        if new_code == code:
            continue
        edits.append((code, new_code))
        authors.append(codemod.ID)
        code = new_code
    if edits:
        _verify(text, [after for _, after in edits], authors)
    changes = with_columns(text, changes)
    if selection is not None:
        selection.add_columns(text)  # its changes compare equal to these
    return SourceResult(code, tuple(sorted(changes)), tuple(sorted(skips)), volatile)


def run_file(
    path: Path,
    codemods: Sequence[type[Codemod]],
    options: Options,
    project: ProjectFacts | None = None,
    write: bool = False,
    trees: Trees | None = None,
) -> FileResult:
    """Process one file end to end, reading ``ast`` trees with ``trees`` (the caller's memo; a
    fresh one by default). Never raises: every problem becomes ``FileResult.failure``."""
    try:
        with paused():
            return _run_file(path, codemods, options, project, write, trees)
    except Exception as exc:  # the last line of defence: one file never takes the run down
        return FileResult(str(path), failure=Failure("internal", f"{type(exc).__name__}: {exc}"))


def _run_file(
    path: Path,
    codemods: Sequence[type[Codemod]],
    options: Options,
    project: ProjectFacts | None,
    write: bool,
    trees: Trees | None,
) -> FileResult:
    shown = display_path(path)
    if not options.follow_symlinks and os.path.islink(path):
        return FileResult(shown, failure=Failure("read", SYMLINK_REFUSED))
    try:
        raw, text, encoding = read_source(path, options.follow_symlinks)
    except SourceError as exc:
        return FileResult(shown, failure=Failure(exc.stage, exc.message))
    source_digest = digest(raw)
    if not options.include_generated and is_generated(text):
        return FileResult(
            shown, encoding=encoding, skipped=GENERATED, source_digest=source_digest
        )
    try:
        result = transform_source(text, codemods, options, project, path, trees=trees)
    except TransformError as exc:
        return FileResult(shown, failure=exc.failure, encoding=encoding)
    except Exception as exc:  # the engine itself must never take the run down
        return FileResult(shown, failure=Failure("internal", f"{type(exc).__name__}: {exc}"))
    if result.code == text:
        return FileResult(
            shown,
            result.changes,
            result.skips,
            encoding=encoding,
            source_digest=source_digest,
            volatile=result.volatile,
        )
    computed = changed_result(shown, text, result, encoding, source_digest)
    return write_result(path, computed, options.follow_symlinks) if write else computed


def changed_result(
    shown: str, text: str, result: SourceResult, encoding: str, source_digest: str = ""
) -> FileResult:
    """The result of ``text`` changed into ``result.code``, with its diff; a ``write`` failure
    when the new code cannot be encoded as the file was (checked before anything is written)."""
    try:
        encode_source(result.code, encoding)
    except UnicodeEncodeError as exc:
        return FileResult(
            shown, failure=Failure("write", f"result cannot be encoded as {encoding}: {exc.reason}")
        )
    diff = make_diff(text, result.code, shown, encoding)
    return FileResult(
        shown,
        result.changes,
        result.skips,
        before=text,
        after=result.code,
        diff=diff,
        encoding=encoding,
        source_digest=source_digest,
        volatile=result.volatile,
    )


def write_result(path: Path, result: FileResult, follow_symlinks: bool = False) -> FileResult:
    """Write a changed result computed without writing (by a worker process: the parent
    writes, so a worker that dies can never have written a file whose result is then lost).
    Never raises; refuses when the file no longer holds the bytes the result was computed from,
    and writes through a symlink only when ``follow_symlinks``."""
    if not result.changed or result.written or result.failure is not None:
        return result
    assert result.after is not None
    try:
        data = encode_source(result.after, result.encoding)
        write_atomic(path, data, result.source_digest, follow_symlinks)
    except Exception as exc:  # never raises
        failure = (
            Failure(exc.stage, exc.message)
            if isinstance(exc, SourceError)
            else Failure("write", f"{type(exc).__name__}: {exc}")
        )
        return FileResult(
            result.path, result.changes, result.skips, failure, encoding=result.encoding
        )
    return replace(result, written=True)
