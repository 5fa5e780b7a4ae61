"""The public, layered API: ``transform_source`` (pure) -> ``run_file`` -> ``run_paths``.

``run_paths`` discovers files, runs the read-only gather phase over them (and the first-party
modules they import), then transforms files in worker processes. Results come back in sorted
path order whatever the number of workers, one :class:`FileResult` per file, never an exception.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import registry
from .base import Codemod
from .cache import Cache, digest
from .engine import (
    SourceResult,
    TransformError,
    display_path,
    make_diff,
    run_file,
    transform_source,
)
from .files import discover
from .project import (
    CandidateFn,
    FileFacts,
    GatherFn,
    ProjectFacts,
    gather_file,
    gather_project,
    module_info,
    resolved,
)
from .types import Failure, FileResult, Options
from .workers import WorkerPool

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


def _candidate_checks(codemods: Sequence[type[Codemod]]) -> dict[str, CandidateFn]:
    return {c.ID: c.may_change for c in codemods}


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
    combiners = {c.ID: c.combine for c in codemods if c.has_gather()}
    gatherers = _gatherers(codemods)
    checks = _candidate_checks(codemods)
    salt = cache.salt("gather", *sorted(gatherers), "may-change", *sorted(checks)) if cache else ""
    keys: dict[str, str] = {}

    def run(items: list[Path], compute: Callable[[list[Path]], Iterable[FileFacts]]) -> Iterable[FileFacts]:
        if cache is None:
            yield from compute(items)
            return
        item_keys: dict[str, str] = {}
        names = [resolved(path) for path in items]
        for path, name in zip(items, names, strict=True):
            try:
                item_keys[name] = digest(salt, name, path.read_bytes())
            except OSError:
                item_keys[name] = digest(salt, name, "unreadable", os.urandom(8))
        keys.update(item_keys)
        hits = cache.get_many(item_keys.values())
        misses = [p for p, name in zip(items, names, strict=True) if item_keys[name] not in hits]
        computed = {r.path: r for r in compute(misses)}
        for name in names:
            key = item_keys[name]
            if key in hits and isinstance(hits[key], FileFacts):
                yield hits[key]
            else:
                record = computed[name]
                cache.put(key, record)
                yield record

    if jobs < 2 or len(paths) < 2:
        facts = gather_project(
            paths, gatherers, combiners,
            map_fn=lambda fn, items: run(items, lambda batch: map(fn, batch)), candidates=checks,
        )  # fmt: skip
    else:
        with _pool(jobs, _init_gather_worker, ([c.ID for c in codemods],)) as pool:
            chunk = _chunksize(len(paths), jobs)

            def pool_map(_fn: Callable[[Path], FileFacts], items: list[Path]) -> Iterable[FileFacts]:
                # the workers run the same gather_file with the same gatherers, looked up by id
                return run(items, lambda batch: pool.map(_gather_work, batch, chunk, _gather_died))

            facts = gather_project(paths, gatherers, combiners, map_fn=pool_map, candidates=checks)
    return facts, digest(*(f"{k}={keys[k]}" for k in sorted(keys)))


_WORKER: dict[str, Any] = {}


def _init_gather_worker(codemod_ids: list[str]) -> None:
    codemods = [registry.get(c) for c in codemod_ids]
    _WORKER["gatherers"] = _gatherers(codemods)
    _WORKER["checks"] = _candidate_checks(codemods)


def _gather_work(path: Path) -> FileFacts:
    return gather_file(path, _WORKER["gatherers"], _WORKER["checks"])


def _gather_died(path: Path, _reason: str) -> FileFacts:
    # unread: treated like an unparsable file, so the transform phase reports what happens
    return FileFacts(resolved(path), module_info(path), parsed=False)


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


def _died(path: Path, reason: str) -> FileResult:
    return FileResult(display_path(path), failure=Failure("internal", reason))


def _pool(jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> WorkerPool:
    # a worker that dies takes only its own file down (see codemods.workers)
    return WorkerPool(jobs, initializer, initargs)


def run_paths(
    paths: Sequence[Path],
    options: Options,
    write: bool = False,
    jobs: int | None = None,
    cache_dir: Path | None = None,
) -> Iterator[FileResult]:
    """Process every Python file under ``paths``; yield results sorted by path.

    ``write=False`` computes diffs and writes nothing. Explicitly named paths that were passed
    over (excluded) are yielded as skipped results. With ``cache_dir``, gather facts and
    unchanged files are remembered across runs (see :mod:`codemods.cache`).
    """
    resolved.cache_clear()
    codemods = select_codemods(options)
    found = discover(paths, options.exclude, options.follow_symlinks)
    for path, reason in found.ignored:
        yield FileResult(str(path), skipped=reason)
    files = found.files
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(files)))
    cache = Cache(cache_dir) if cache_dir is not None else None
    try:
        project, facts_digest = gather(files, codemods, jobs, cache)
        yield from _transform_all(files, codemods, options, project, write, jobs, cache, facts_digest)
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
    codemods: Sequence[type[Codemod]],
    options: Options,
    project: ProjectFacts,
    write: bool,
    jobs: int,
    cache: Cache | None,
    facts_digest: str,
) -> Iterator[FileResult]:
    keys: dict[Path, str] = {}
    shas: dict[Path, str] = {}
    cached: dict[str, Any] = {}
    if cache is not None:
        salt = cache.salt("result", *(c.ID for c in codemods), repr(options), facts_digest)
        for path in files:
            with contextlib.suppress(OSError):
                shas[path] = hashlib.sha256(path.read_bytes()).hexdigest()
                keys[path] = digest(salt, resolved(path), shas[path])
        cached = cache.get_many(keys.values())
        if write:  # a remembered change still has to be made: only "nothing to do" is reusable
            cached = {k: v for k, v in cached.items() if isinstance(v, FileResult) and not v.changed}
    todo = [p for p in files if keys.get(p) not in cached]
    computed: Iterator[FileResult]
    pool: WorkerPool | None = None
    if jobs == 1 or len(todo) < 2:
        computed = (run_file(p, codemods, options, project, write) for p in todo)
    else:
        initargs = ([c.ID for c in codemods], options, project, write)
        pool = _pool(min(jobs, len(todo)), _init_worker, initargs)
        # map() keeps submission order, so output is sorted whatever finishes first.
        # one file per task when writing: a file written by a worker that then died must not be
        # run again (and reported unchanged)
        chunk = 1 if write else _chunksize(len(todo), jobs)
        computed = pool.map(_work, todo, chunk, _died)
    try:
        for path in files:
            key = keys.get(path)
            hit = cached.get(key) if key else None
            if isinstance(hit, FileResult):
                yield _relocated(hit, display_path(path))
                continue
            result = next(computed)
            # cache what did not fail and was not written, only if the worker read the bytes
            # the key names (a changed result is reused by --dry-run / check, never by apply)
            if (
                cache is not None
                and key
                and not result.written
                and result.failure is None
                and result.source_digest == shas.get(path)
            ):
                cache.put(key, result)
            yield result
    finally:
        if pool is not None:
            pool.close()
