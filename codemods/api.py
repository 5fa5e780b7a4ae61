"""The public, layered API: ``transform_source`` (pure) -> ``run_file`` -> ``run_paths``.

``run_paths`` discovers files, runs the read-only gather phase over them (and the first-party
modules they import), then transforms files in worker processes. Results come back in sorted
path order whatever the number of workers, one :class:`FileResult` per file, never an exception.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from . import registry
from .base import Codemod
from .engine import SourceResult, TransformError, run_file, transform_source
from .files import discover
from .project import FileFacts, GatherFn, ProjectFacts, gather_file, gather_project
from .types import FileResult, Options

__all__ = [
    "SourceResult",
    "TransformError",
    "gather",
    "run_file",
    "run_paths",
    "select_codemods",
    "transform_source",
]


def select_codemods(options: Options) -> list[type[Codemod]]:
    return registry.selected(options.select, options.ignore)


def _gatherers(codemods: Sequence[type[Codemod]]) -> dict[str, GatherFn]:
    return {c.ID: c.gather for c in codemods if c.has_gather()}


def gather(
    paths: Sequence[Path], codemods: Sequence[type[Codemod]], jobs: int = 1
) -> ProjectFacts:
    """The gather phase for ``paths``, including each selected codemod's own facts."""
    combiners = {c.ID: c.combine for c in codemods if c.has_gather()}
    if jobs < 2 or len(paths) < 2:
        return gather_project(paths, _gatherers(codemods), combiners)
    with _pool(jobs, _init_gather_worker, ([c.ID for c in codemods],)) as pool:
        chunk = _chunksize(len(paths), jobs)

        def pool_map(_fn: Callable[[Path], FileFacts], items: list[Path]) -> Iterable[FileFacts]:
            # the workers run the same gather_file with the same gatherers, looked up by id
            return pool.map(_gather_work, items, chunksize=chunk)

        return gather_project(paths, _gatherers(codemods), combiners, map_fn=pool_map)


_WORKER: dict[str, Any] = {}


def _init_gather_worker(codemod_ids: list[str]) -> None:
    _WORKER["gatherers"] = _gatherers([registry.get(c) for c in codemod_ids])


def _gather_work(path: Path) -> FileFacts:
    return gather_file(path, _WORKER["gatherers"])


def _chunksize(items: int, jobs: int) -> int:
    return max(1, min(16, items // (jobs * 8) or 1))


def _init_worker(
    codemod_ids: list[str], options: Options, project: ProjectFacts, write: bool
) -> None:
    _WORKER["codemods"] = [registry.get(c) for c in codemod_ids]
    _WORKER["options"] = options
    _WORKER["project"] = project
    _WORKER["write"] = write


def _work(path: Path) -> FileResult:
    return run_file(path, _WORKER["codemods"], _WORKER["options"], _WORKER["project"], _WORKER["write"])


def _pool(jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> Executor:
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=initializer,
        initargs=initargs,
    )


def run_paths(
    paths: Sequence[Path],
    options: Options,
    write: bool = False,
    jobs: int | None = None,
) -> Iterator[FileResult]:
    """Process every Python file under ``paths``; yield results sorted by path.

    ``write=False`` computes diffs and writes nothing. Explicitly named paths that were passed
    over (excluded) are yielded as skipped results.
    """
    codemods = select_codemods(options)
    found = discover(paths, options.exclude, options.follow_symlinks)
    for path, reason in found.ignored:
        yield FileResult(str(path), skipped=reason)
    files = found.files
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(files)))
    project = gather(files, codemods, jobs)
    if jobs == 1 or len(files) < 2:
        for path in files:
            yield run_file(path, codemods, options, project, write)
        return
    initargs = ([c.ID for c in codemods], options, project, write)
    with _pool(jobs, _init_worker, initargs) as pool:
        # map() keeps submission order, so output is sorted whatever finishes first.
        yield from pool.map(_work, files, chunksize=_chunksize(len(files), jobs))
