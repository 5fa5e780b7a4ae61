"""The public, layered API: ``transform_source`` (pure) -> ``run_file`` -> ``run_paths``.

``run_paths`` discovers files, runs the read-only gather phase over them (and the first-party
modules they import), then transforms files in worker processes. Results come back in sorted
path order whatever the number of workers, one :class:`FileResult` per file, never an exception.

Importing this module imports neither libcst nor any codemod: ``run_paths`` imports them only
when a file's result is not in the cache (a re-check of an unchanged project needs neither).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import catalog, interrupts
from .astkit.asts import Trees
from .cache import Cache, digest
from .diffs import display_path, make_diff
from .facts import ProjectFacts, forget_paths, resolved
from .files import discover
from .gather_run import GatherRun, Tick, chunksize, load, pool
from .readfile import SYMLINK_REFUSED
from .style_config import forget as forget_styles
from .style_config import style_digest
from .types import Failure, FileResult, Options

if TYPE_CHECKING:
    from .base import Codemod
    from .engine import SourceResult, TransformError, run_file, transform_source
    from .workers import WorkerPool

#: what :mod:`codemods.engine` gives this API, imported when first used
_ENGINE = ("SourceResult", "TransformError", "run_file", "transform_source")

__all__ = [
    "GatherRun",
    "SourceResult",
    "TransformError",
    "component_facts",
    "gather",
    "run_file",
    "run_paths",
    "select_codemods",
    "transform_source",
]


def __getattr__(name: str) -> Any:
    if name in _ENGINE:
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def component_facts(path: Path) -> ProjectFacts:
    """The facts of a file read without a gather phase (``-`` with ``--stdin-filename``): its
    component and what that declares, no cross-file facts."""
    from .components.index import ComponentIndex

    return ProjectFacts(component=ComponentIndex().for_path(resolved(path)))


def select_codemods(options: Options) -> list[type[Codemod]]:
    return load(selected_ids(options))


def selected_ids(options: Options) -> tuple[str, ...]:
    """The catalog's selection; for an id it does not list (a codemod registered at run time
    through the API), the registry's, which imports every codemod."""
    try:
        return catalog.selected_ids(options.select, options.ignore)
    except catalog.UnknownCodemod:
        from . import registry

        return tuple(command.ID for command in registry.selected(options.select, options.ignore))


def gather(
    paths: Sequence[Path],
    codemods: Sequence[type[Codemod]],
    jobs: int = 1,
    cache: Cache | None = None,
) -> tuple[ProjectFacts, str]:
    """The gather phase for ``paths``, including each selected codemod's own facts.

    Returns the facts and a digest of everything they were computed from (the gather keys of
    every file read), which keys cached results.
    """
    run = GatherRun(paths, codemods, jobs, cache)
    return run.facts(), run.digest()


_WORKER: dict[str, Any] = {}


def _init_worker(
    codemod_ids: list[str], options: Options, project: ProjectFacts, write: bool
) -> None:
    _WORKER["codemods"] = load(codemod_ids)
    _WORKER["options"] = options
    _WORKER["project"] = project
    _WORKER["write"] = write
    _WORKER["trees"] = Trees()  # this worker's ``ast`` memo, for the files it transforms


def _work(path: Path) -> FileResult:
    from .engine import run_file

    return run_file(
        path, _WORKER["codemods"], _WORKER["options"], _WORKER["project"], _WORKER["write"],
        _WORKER["trees"],
    )  # fmt: skip


def _died(path: Path, reason: str) -> FileResult:
    return FileResult(display_path(path), failure=Failure("internal", reason))


def run_paths(
    paths: Sequence[Path],
    options: Options,
    write: bool = False,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    progress: Tick | None = None,
) -> Generator[FileResult, None, None]:
    """Process every Python file under ``paths``; yield results sorted by path.

    ``write=False`` computes diffs and writes nothing. Explicitly named paths that were passed
    over (excluded) and walked files that are not regular files are yielded as skipped results;
    what could not be examined (a directory that cannot be listed, a named path that is not a
    regular file) as failed ones. With ``cache_dir``, gather facts and unchanged files are
    remembered across runs (see :mod:`codemods.cache`). ``progress`` is called with the phase
    (``gather``, ``transform``), the files done and the files to do, in this process.
    """
    forget_paths()
    forget_styles()
    codemods = selected_ids(options)
    found = discover(paths, options.exclude, options.follow_symlinks, options.respect_gitignore)
    for path, reason in found.ignored + found.passed:
        yield FileResult(str(path), skipped=reason)
    for path, reason in found.errors:
        yield FileResult(str(path), failure=Failure("read", reason))
    files = found.files
    if not options.follow_symlinks:  # a symlink named explicitly (a walk passes them over)
        for path in [p for p in files if os.path.islink(p)]:
            yield FileResult(display_path(path), failure=Failure("read", SYMLINK_REFUSED))
        files = [p for p in files if not os.path.islink(p)]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(files)))
    cache = Cache(cache_dir) if cache_dir is not None else None
    try:
        # the run's ``ast`` memo: a file gathered and transformed in this process is read once
        run = GatherRun(files, codemods, jobs, cache, Trees())
        run.progress = progress
        yield from _transform_all(files, codemods, options, run, write, jobs, cache, progress)
    finally:
        if cache is not None:
            cache.close()


def _relocated(hit: FileResult, shown: str) -> FileResult:
    """A cached result as seen from this run's working directory (the diff names the path)."""
    if hit.path == shown:
        return hit
    diff = make_diff(hit.before or "", hit.after or "", shown, hit.encoding) if hit.changed else ""
    return replace(hit, path=shown, diff=diff)


def _transform_all(
    files: list[Path],
    codemod_ids: Sequence[str],
    options: Options,
    run: GatherRun,
    write: bool,
    jobs: int,
    cache: Cache | None,
    progress: Tick | None = None,
) -> Iterator[FileResult]:
    keys: dict[Path, str] = {}
    shas: dict[Path, str] = {}
    cached: dict[str, Any] = {}
    if cache is not None:
        salt = cache.salt("result", *codemod_ids, repr(options), run.digest())
        for path in files:
            sha = run.sha(path)
            if sha is not None:
                shas[path] = sha
                # the import style (ruff/black config files) decides where added imports go
                keys[path] = digest(salt, resolved(path), sha, style_digest(path))
        cached = cache.get_many(keys.values())
        if write:  # a remembered change still has to be made: only "nothing to do" is reusable
            cached = {k: v for k, v in cached.items() if isinstance(v, FileResult) and not v.changed}
    todo = [p for p in files if keys.get(p) not in cached]
    computed: Iterator[FileResult] = iter(())
    workers: WorkerPool | None = None
    # when every result is cached, neither the facts nor the codemods (nor libcst) are loaded
    if todo and (jobs == 1 or len(todo) < 2):
        from .isolation import run_file_here

        codemods, project = run.codemods, run.facts()
        computed = (run_file_here(p, codemods, options, project, write, run.trees) for p in todo)
    elif todo:
        from .engine import write_result

        # Workers never write: this process writes each result as it arrives. A worker that dies
        # (and takes the results in flight with it) has then written nothing, so running its
        # files again reports their changes instead of "unchanged".
        initargs = (list(codemod_ids), options, run.facts(), False)
        workers = pool(min(jobs, len(todo)), _init_worker, initargs)
        # map() keeps submission order, so output is sorted whatever finishes first.
        chunk = chunksize(len(todo), jobs)
        computed = workers.map(_work, todo, chunk, _died)
        if write:
            follow = options.follow_symlinks
            computed = (write_result(p, r, follow) for p, r in zip(todo, computed, strict=True))
    try:
        for done, path in enumerate(files):
            interrupts.check()
            if progress is not None:
                progress("transform", done, len(files))
            key = keys.get(path)
            hit = cached.get(key) if key else None
            if isinstance(hit, FileResult):
                yield _relocated(hit, display_path(path))
                continue
            result = next(computed)
            # cache what did not fail and was not written, only if the worker read the bytes
            # the key names (a changed result is reused by --dry-run / check, never by apply)
            # and the facts it used are those the key names
            if (
                cache is not None
                and key
                and run.consistent
                and not result.written
                and result.failure is None
                and result.source_digest == shas.get(path)
                and not result.volatile
            ):
                cache.put(key, result)
            yield result
        if progress is not None:
            progress("transform", len(files), len(files))
    except BaseException:  # stopped (Ctrl-C, SIGTERM, the consumer gone): the workers too
        if workers is not None:
            workers.terminate()
        raise
    if workers is not None:
        workers.close()
