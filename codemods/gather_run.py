"""The gather phase of one run (:class:`GatherRun`), computed only as far as the run needs it.

Only the cache is consulted until something has to be gathered: the project facts, the gather
code and the codemods themselves (and libcst with them) are imported when a file's facts or
result are not cached, so a re-check answered from the cache imports none of them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import catalog
from .astkit.asts import Trees
from .cache import Cache, digest
from .components.modules import listing
from .facts import FACTS_FORMAT, ProjectFacts, resolved
from .readfile import read_regular

if TYPE_CHECKING:
    from .base import Codemod
    from .project import CandidateFn, FileFacts, GatherFn, Item
    from .workers import WorkerPool

#: ``progress(phase, files done, files)``, see :func:`codemods.api.run_paths`
Tick = Callable[[str, int, int], None]
#: gathers a batch of items
_Compute = Callable[[list["Item"]], Iterable["FileFacts"]]


def _gatherers(codemods: Sequence[type[Codemod]]) -> dict[str, GatherFn]:
    return {c.ID: c.gather for c in codemods if c.has_gather()}


def _candidate_checks(codemods: Sequence[type[Codemod]]) -> dict[str, CandidateFn]:
    return {c.ID: c.may_change for c in codemods}


def load(codemod_ids: Sequence[str]) -> list[type[Codemod]]:
    """The codemods ``codemod_ids`` name (imports them, and libcst)."""
    from . import registry

    return [registry.get(c) for c in codemod_ids]


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
        codemods: Sequence[str] | Sequence[type[Codemod]],
        jobs: int,
        cache: Cache | None,
        trees: Trees | None = None,
    ) -> None:
        self.paths = list(paths)
        #: the ``ast`` memo of the files gathered in this process (the run's: see run_paths)
        self.trees = Trees() if trees is None else trees
        #: the codemods by id; their classes are imported only when something is gathered
        self.ids = [c if isinstance(c, str) else c.ID for c in codemods]
        self._codemods: list[type[Codemod]] | None = [
            c for c in codemods if not isinstance(c, str)
        ] or None
        self.jobs = jobs
        self.cache = cache
        #: told ``("gather", files done, files)`` as the given files are gathered
        self.progress: Tick | None = None
        if self._codemods is not None or not set(self.ids) <= catalog.BY_ID.keys():
            # (one the catalog does not list, registered at run time: only its class can tell)
            gathering = [c.ID for c in self.codemods if c.has_gather()]
        else:
            gathering = [c for c in self.ids if catalog.BY_ID[c].gathers]
        self.salt = (
            cache.salt("gather", FACTS_FORMAT, *sorted(gathering), "may-change", *sorted(self.ids))
            if cache
            else ""
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

    @property
    def codemods(self) -> list[type[Codemod]]:
        if self._codemods is None:
            self._codemods = load(self.ids)
        return self._codemods

    def facts(self) -> ProjectFacts:
        if self._facts is None:
            self._facts = self._gather()
        return self._facts

    def _gather(self) -> ProjectFacts:
        from .components.index import ComponentIndex
        from .project import FileFacts, ModuleFinder, gather_project

        cache = self.cache
        combiners = {c.ID: c.combine for c in self.codemods if c.has_gather()}
        gatherers, checks = _gatherers(self.codemods), _candidate_checks(self.codemods)
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
                keys.append(
                    digest(read[name], info.name, info.root, info.script_root, info.component or "")
                )
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
                candidates=checks, finder=finder, index=index, trees=self.trees,
            )  # fmt: skip
        else:
            with pool(self.jobs, _init_gather_worker, (list(self.ids),)) as workers:
                chunk = chunksize(len(self.paths), self.jobs)

                def pool_map(
                    _fn: Callable[[Item], FileFacts], items: list[Item]
                ) -> Iterable[FileFacts]:
                    # the workers run the same gather_file with the same gatherers, looked up by id
                    return run(
                        items, lambda batch: workers.map(_gather_work, batch, chunk, _gather_died)
                    )

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
            cache.put(
                self._project_key(), (facts_digest, followed, tuple(sorted(listings.items())))
            )
        return facts


_WORKER: dict[str, Any] = {}


def _init_gather_worker(codemod_ids: list[str]) -> None:
    codemods = load(codemod_ids)
    _WORKER["gatherers"] = _gatherers(codemods)
    _WORKER["checks"] = _candidate_checks(codemods)
    _WORKER["trees"] = Trees()  # this worker's ``ast`` memo, for the files it gathers


def _gather_work(item: Item) -> FileFacts:
    from .project import gather_file

    return gather_file(item[0], _WORKER["gatherers"], _WORKER["checks"], item[1], _WORKER["trees"])


def _gather_died(item: Item, _reason: str) -> FileFacts:
    from .project import FileFacts

    # unread: treated like an unparsable file, so the transform phase reports what happens
    return FileFacts(resolved(item[0]), item[1], parsed=False)


def chunksize(items: int, jobs: int) -> int:
    return max(1, min(16, items // (jobs * 8) or 1))


def pool(jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> WorkerPool:
    from .workers import WorkerPool

    # a worker that dies takes only its own file down (see codemods.workers)
    return WorkerPool(jobs, initializer, initargs)
