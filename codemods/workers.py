"""A process pool that survives the death of a worker.

``ProcessPoolExecutor`` marks the whole pool broken when one worker dies (libcst's native parser
overflowing its stack, the out-of-memory killer, ``os._exit``): every unfinished future fails
with ``BrokenProcessPool``. :meth:`WorkerPool.map` therefore keeps only a small window of chunks
in flight. When a chunk fails, results already computed are kept, and the items of every failed
chunk are run again one at a time in a separate single-worker pool, so the one item that kills
a worker is pinned exactly and reported through ``on_error``; a fresh pool carries on with the
rest. Results come back in the order of ``items`` whatever happens.

Workers never write a file, so a run that is stopped (Ctrl-C, SIGTERM, SIGHUP: see
:mod:`codemods.interrupts`) kills them at once (:meth:`WorkerPool.terminate`); they ignore the
signals the main process handles, and on Linux they are killed by the kernel when the main
process dies in any other way (``PR_SET_PDEATHSIG``), so none is ever left behind.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, TypeVar

from . import interrupts

T = TypeVar("T")
R = TypeVar("R")

#: Items in flight: enough that one slow item at the head of the queue does not leave the other
#: workers idle, few enough that a worker's death sends only these through the one-at-a-time path.
WINDOW_ITEMS = 256
DIED = "a worker process died while processing this file (a crash in native code, or killed)"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _run_chunk(fn: Callable[[T], R], chunk: list[T]) -> list[R]:
    return [fn(item) for item in chunk]


def _start_worker(parent: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    """Runs first in each worker: the signals (:func:`interrupts.in_worker`), and on Linux a
    SIGKILL from the kernel when ``parent`` dies, however it dies."""
    interrupts.in_worker()
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)
    initializer(*initargs)


class WorkerPool:
    def __init__(self, jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
        self._jobs = jobs
        self._initializer = initializer
        self._initargs = initargs
        self._pool: ProcessPoolExecutor | None = None
        self._single: ProcessPoolExecutor | None = None

    def _new(self, workers: int) -> ProcessPoolExecutor:
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_start_worker,
            initargs=(os.getpid(), self._initializer, self._initargs),
        )

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        chunksize: int,
        on_error: Callable[[T, str], R],
    ) -> Iterator[R]:
        """``fn`` over ``items`` in worker processes, in order; ``on_error(item, reason)`` stands
        in for an item whose worker died or whose result could not be sent back.

        The items of a failed chunk run again, so ``fn`` must be safe to repeat; one with side
        effects (writing files) needs ``chunksize=1`` to be reported truthfully."""
        chunks = iter([list(items[i : i + chunksize]) for i in range(0, len(items), chunksize)])
        window: deque[tuple[list[T], Future[list[R]], ProcessPoolExecutor]] = deque()
        most = max(2 * self._jobs, WINDOW_ITEMS // chunksize)
        while True:
            interrupts.check()
            with interrupts.deferred():  # a worker is forked and registered whole, or not at all
                while len(window) < most and (chunk := next(chunks, None)):
                    if self._pool is None:
                        self._pool = self._new(self._jobs)
                    window.append((chunk, self._pool.submit(_run_chunk, fn, chunk), self._pool))
            if not window:
                return
            chunk, future, pool = window.popleft()
            try:
                results = future.result()
            except BrokenProcessPool:
                if pool is self._pool:  # not yet replaced after an earlier chunk's failure
                    pool.shutdown(wait=True, cancel_futures=True)
                    self._pool = None
                yield from self._one_at_a_time(fn, chunk, on_error)
            except Exception:  # e.g. a result that cannot be pickled: find the item
                yield from self._one_at_a_time(fn, chunk, on_error)
            else:
                yield from results

    def run_one(self, fn: Callable[[T], R], item: T, on_error: Callable[[T, str], R]) -> R:
        """``fn(item)`` in a worker process, run once: ``on_error(item, reason)`` when it dies."""
        return next(self._one_at_a_time(fn, [item], on_error))

    def _one_at_a_time(self, fn: Callable[[T], R], chunk: list[T], on_error: Callable[[T, str], R]) -> Iterator[R]:
        for item in chunk:
            interrupts.check()
            if self._single is None:
                self._single = self._new(1)
            try:
                with interrupts.deferred():
                    future = self._single.submit(fn, item)
                yield future.result()
            except BrokenProcessPool:
                self._single.shutdown(wait=True)
                self._single = None
                yield on_error(item, DIED)
            except Exception as exc:
                yield on_error(item, f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        for pool in (self._pool, self._single):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._single = None

    def terminate(self) -> None:
        """Stop at once: kill the workers (they never write) and wait until they are gone."""
        with interrupts.deferred():  # a second Ctrl-C must not leave workers behind
            for pool in (self._pool, self._single):
                if pool is None:
                    continue
                for process in list((pool._processes or {}).values()):
                    with contextlib.suppress(OSError, ValueError):
                        process.kill()
                # the pool's own thread sees them die, fails what was pending and reaps them;
                # waiting for it also keeps it from racing the interpreter's exit
                pool.shutdown(wait=True, cancel_futures=True)
            self._pool = self._single = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:  # an error or an interrupt: nothing more is wanted from the workers
            self.terminate()
