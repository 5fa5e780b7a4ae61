"""Where a crash in libcst's native code costs nothing: a child process (docs/decisions.md).

libcst's parser is native code: on input it cannot handle it can kill the whole process
(SIGSEGV) instead of raising. :mod:`codemods.preflight` refuses every such input it knows of,
but it can only measure a text Python's ``ast`` reads. So libcst runs in a child process
whenever a crash could cost more than that file's result:

- a run over several files with several workers: every file, in the pool's workers;
- stdin (``codemod apply -``): always (:func:`transform_isolated`), since stdout must carry the
  input back unchanged whatever happens;
- one file, or ``--jobs 1``: in this process, where the start-up of a child would cost more than
  the file, except a file the gather phase could not read with ``ast`` (:func:`run_file_here`).

The children are forked on Linux (a few milliseconds, no new interpreter) and never write.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .astkit.asts import Trees
from .base import Codemod
from .diffs import display_path
from .engine import (
    SourceResult,
    TransformError,
    run_file,
    transform_source,
    write_result,
)
from .project import ProjectFacts
from .types import Failure, FileResult, Options
from .workers import WorkerPool

_CHILD: dict[str, Any] = {}


def _init(codemods: list[type[Codemod]], options: Options, project: ProjectFacts | None) -> None:
    _CHILD.update(codemods=codemods, options=options, project=project)


def _pool(
    codemods: Sequence[type[Codemod]], options: Options, project: ProjectFacts | None
) -> WorkerPool:
    return WorkerPool(1, _init, (list(codemods), options, project))


def _transform(text: str) -> SourceResult | Failure:
    try:
        return transform_source(text, _CHILD["codemods"], _CHILD["options"], _CHILD["project"])
    except TransformError as exc:
        return exc.failure
    except Exception as exc:  # reported, never raised
        return Failure("internal", f"{type(exc).__name__}: {exc}")


def _text_died(_text: str, reason: str) -> Failure:
    return Failure("internal", reason)


def transform_isolated(
    text: str, codemods: Sequence[type[Codemod]], options: Options, project: ProjectFacts | None
) -> SourceResult | Failure:
    """:func:`~codemods.engine.transform_source` in a child process; never raises."""
    with _pool(codemods, options, project) as pool:
        return pool.run_one(_transform, text, _text_died)


def _run(path: Path) -> FileResult:
    return run_file(path, _CHILD["codemods"], _CHILD["options"], _CHILD["project"], write=False)


def _file_died(path: Path, reason: str) -> FileResult:
    return FileResult(display_path(path), failure=Failure("internal", reason))


def run_file_here(
    path: Path,
    codemods: Sequence[type[Codemod]],
    options: Options,
    project: ProjectFacts,
    write: bool,
    trees: Trees | None = None,
) -> FileResult:
    """:func:`~codemods.engine.run_file` in this process when the preflight can vet the file
    (``ast`` read it in the gather phase), reading ``ast`` with the caller's ``trees``; in a child
    process (with a memo of its own) otherwise; never raises."""
    if not project.view_for(path).is_opaque(path):
        return run_file(path, codemods, options, project, write, trees)
    with _pool(codemods, options, project) as pool:
        result = pool.run_one(_run, path, _file_died)
    return write_result(path, result, options.follow_symlinks) if write else result
