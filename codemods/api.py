"""The public, layered API: ``transform_source`` (pure) -> ``run_file`` -> ``run_paths``.

``run_paths`` discovers files, runs the read-only gather phase over them (and the first-party
modules they import), then transforms files in worker processes. Results come back in sorted
path order whatever the number of workers, one :class:`FileResult` per file, never an exception.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import asts, interrupts, registry
from .base import Codemod
from .cache import Cache, digest
from .components.index import ComponentIndex
from .components.modules import listing
from .engine import (
    SourceResult,
    TransformError,
    display_path,
    make_diff,
    run_file,
    transform_source,
    write_result,
)
from .files import discover
from .isolation import run_file_here
from .project import (
    FACTS_FORMAT,
    CandidateFn,
    FileFacts,
    GatherFn,
    Item,
    ModuleFinder,
    ProjectFacts,
    forget_paths,
    gather_file,
    gather_project,
    resolved,
)
from .readfile import SYMLINK_REFUSED, read_regular
from .types import Failure, FileResult, Options
from .visitors.import_style import forget as forget_styles
from .visitors.import_style import style_digest
from .workers import WorkerPool

#: ``progress(phase, files done, files)``, see :func:`run_paths`
Tick = Callable[[str, int, int], None]
#: gathers a batch of items
_Compute = Callable[[list[Item]], Iterable[FileFacts]]

__all__ = [
    "SourceResult",
    "TransformError",
    "component_facts",
    "gather",
    "run_file",
    "run_paths",
    "select_codemods",
    "transform_source",
]


def component_facts(path: Path) -> ProjectFacts:
    """The facts of a file read without a gather phase (``-`` with ``--stdin-filename``): its
    component and what that declares, no cross-file facts."""
    return ProjectFacts(component=ComponentIndex().for_path(resolved(path)))


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
    run = GatherRun(paths, codemods, jobs, cache)
    return run.facts(), run.digest()


class GatherRun:
    """One run's gather phase, computed only as far as the run needs it.

    Without a cache, :meth:`facts` gathers every file (and the first-party modules they import)
    and folds the facts together. With one, each file's bytes are read and hashed once, here;
    per-file facts are cached under those hashes, and a *project entry*, keyed by the hashes of
    the given files, remembers :meth:`digest` (which keys cached results) with what else it
    depended on: the hashes of the files followed outside the given paths and the directory
    listings that module lookup read. When all of those are unchanged the digest is known
    without gathering, and when every file's result is cached too, the facts are never built.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        codemods: Sequence[type[Codemod]],
        jobs: int,
        cache: Cache | None,
    ) -> None:
        self.paths = list(paths)
        self.codemods = list(codemods)
        self.jobs = jobs
        self.cache = cache
        self.gatherers, self.checks = _gatherers(codemods), _candidate_checks(codemods)
        #: told ``("gather", files done, files)`` as the given files are gathered
        self.progress: Tick | None = None
        self.salt = (
            cache.salt("gather", FACTS_FORMAT, *sorted(self.gatherers), "may-change", *sorted(self.checks)) if cache else ""
        )
        #: resolved path -> SHA-256 of the bytes read / gather key (only with a cache)
        self.shas: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.given = {resolved(path): path for path in self.paths}
        if cache is not None:
            for name, path in self.given.items():
                self.keys[name] = self._key(name, path)
        self._facts: ProjectFacts | None = None
        self._digest: str | None = None
        #: False when the facts were gathered from other contents than :meth:`digest` names
        self.consistent = True

    def _key(self, name: str, path: Path) -> str:
        try:
            sha = hashlib.sha256(read_regular(path)).hexdigest()
        except OSError:
            return digest(self.salt, name, "unreadable", os.urandom(8))
        self.shas[name] = sha
        return digest(self.salt, name, sha)

    def sha(self, path: Path) -> str | None:
        """SHA-256 of the bytes of ``path`` as this run read them (None: unread or unreadable)."""
        return self.shas.get(resolved(path))

    def _project_key(self) -> str:
        return digest(self.salt, "project", *(f"{n}={self.keys[n]}" for n in sorted(self.given)))

    def digest(self) -> str:
        """A digest of everything the project facts are computed from."""
        if self._digest is None and self.cache is not None:
            self._digest = self._remembered(self.cache)
        if self._digest is None:
            self.facts()
        assert self._digest is not None
        return self._digest

    def _remembered(self, cache: Cache) -> str | None:
        key = self._project_key()
        hit = cache.get_many([key]).get(key)
        if not (isinstance(hit, tuple) and len(hit) == 3):
            return None
        facts_digest, followed, listings = hit
        for name, known in followed:
            if self._key(name, Path(name)) != known:
                return None
        for directory, entries in listings:
            if listing(directory) != entries:
                return None
        return str(facts_digest)

    def facts(self) -> ProjectFacts:
        if self._facts is None:
            self._facts = self._gather()
        return self._facts

    def _gather(self) -> ProjectFacts:
        cache = self.cache
        combiners = {c.ID: c.combine for c in self.codemods if c.has_gather()}
        gatherers, checks = self.gatherers, self.checks
        read: dict[str, str] = {}  # gather key of every file this gather read

        done, total, progress = 0, len(self.given), self.progress

        def run(items: list[Item], compute: _Compute) -> Iterable[FileFacts]:
            nonlocal done
            for record in facts_of(items, compute):
                if progress is not None and record.path in self.given:
                    done += 1
                    progress("gather", done, total)
                yield record

        def facts_of(items: list[Item], compute: _Compute) -> Iterable[FileFacts]:
            if cache is None:
                yield from compute(items)
                return
            names = [resolved(path) for path, _ in items]
            keys: list[str] = []
            for (path, info), name in zip(items, names, strict=True):
                if name not in self.keys or name not in self.given:
                    self.keys[name] = self._key(name, path)
                read[name] = self.keys[name]
                # the facts depend on the name the file's component gives it, too
                keys.append(digest(read[name], info.name, info.root, info.script_root, info.component or ""))
            hits = cache.get_many(keys)
            misses = [item for item, key in zip(items, keys, strict=True) if key not in hits]
            computed = {r.path: r for r in compute(misses)}
            for name, key in zip(names, keys, strict=True):
                if key in hits and isinstance(hits[key], FileFacts):
                    yield hits[key]
                else:
                    record = computed[name]
                    cache.put(key, record)
                    yield record

        finder, index = ModuleFinder(), ComponentIndex()
        if self.jobs < 2 or len(self.paths) < 2:
            facts = gather_project(
                self.paths, gatherers, combiners,
                map_fn=lambda fn, items: run(items, lambda batch: map(fn, batch)),
                candidates=checks, finder=finder, index=index,
            )  # fmt: skip
        else:
            with _pool(self.jobs, _init_gather_worker, ([c.ID for c in self.codemods],)) as pool:
                chunk = _chunksize(len(self.paths), self.jobs)

                def pool_map(_fn: Callable[[Item], FileFacts], items: list[Item]) -> Iterable[FileFacts]:
                    # the workers run the same gather_file with the same gatherers, looked up by id
                    return run(items, lambda batch: pool.map(_gather_work, batch, chunk, _gather_died))

                facts = gather_project(
                    self.paths, gatherers, combiners, map_fn=pool_map, candidates=checks, finder=finder,
                    index=index,
                )  # fmt: skip
        if cache is not None:  # what each file's component declares decides too
            for source in index.sources():
                read.setdefault(source, self._key(source, Path(source)))
        facts_digest = digest(*(f"{k}={read[k]}" for k in sorted(read)))
        if self._digest is None:
            self._digest = facts_digest
        # a followed file edited between the project entry's check and this gather: results
        # keyed by the remembered digest would hold facts computed from something else
        self.consistent = self._digest == facts_digest
        if cache is not None and self.consistent:
            followed = tuple((n, k) for n, k in sorted(read.items()) if n not in self.given)
            listings = {**index.listings, **finder.listings}
            cache.put(self._project_key(), (facts_digest, followed, tuple(sorted(listings.items()))))
        return facts


_WORKER: dict[str, Any] = {}


def _init_gather_worker(codemod_ids: list[str]) -> None:
    codemods = [registry.get(c) for c in codemod_ids]
    _WORKER["gatherers"] = _gatherers(codemods)
    _WORKER["checks"] = _candidate_checks(codemods)


def _gather_work(item: Item) -> FileFacts:
    return gather_file(item[0], _WORKER["gatherers"], _WORKER["checks"], item[1])


def _gather_died(item: Item, _reason: str) -> FileFacts:
    # unread: treated like an unparsable file, so the transform phase reports what happens
    return FileFacts(resolved(item[0]), item[1], parsed=False)


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
    asts.forget()
    forget_styles()
    codemods = select_codemods(options)
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
        run = GatherRun(files, codemods, jobs, cache)
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
    codemods: Sequence[type[Codemod]],
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
        salt = cache.salt("result", *(c.ID for c in codemods), repr(options), run.digest())
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
    computed: Iterator[FileResult]
    pool: WorkerPool | None = None
    project = run.facts() if todo else ProjectFacts()  # not built when every result is cached
    if jobs == 1 or len(todo) < 2:
        computed = (run_file_here(p, codemods, options, project, write) for p in todo)
    else:
        # Workers never write: this process writes each result as it arrives. A worker that dies
        # (and takes the results in flight with it) has then written nothing, so running its
        # files again reports their changes instead of "unchanged".
        initargs = ([c.ID for c in codemods], options, project, False)
        pool = _pool(min(jobs, len(todo)), _init_worker, initargs)
        # map() keeps submission order, so output is sorted whatever finishes first.
        chunk = _chunksize(len(todo), jobs)
        computed = pool.map(_work, todo, chunk, _died)
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
        if pool is not None:
            pool.terminate()
        raise
    if pool is not None:
        pool.close()
