"""What ``wrap-blocking-calls`` offloads with: the thread-pool call and the async sleep.

An :class:`Offload` is decided by the codemod (``Command._offload``) and read by the
:class:`~.rewrite.Rewriter`: blocking calls become ``await <threadpool call>(f, ...)``,
``time.sleep(x)`` becomes ``await <sleep>.sleep(x)``. A field that is None means the right
library is not known for the code at hand, and every site that needs it is skipped with
``reason`` rather than rewritten with a call that may not run there (``asyncio.sleep`` under
``trio.run`` raises ``RuntimeError: no running event loop``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from . import catalogue as cat

Threadpool = Literal["fastapi", "starlette", "asyncio", "anyio", "trio"]
Sleep = Literal["asyncio", "anyio", "trio"]

THREADPOOLS: tuple[Threadpool, ...] = get_args(Threadpool)
SLEEPS: tuple[Sleep, ...] = get_args(Sleep)


@dataclass(frozen=True)
class Offload:
    #: what blocking calls are run with; None = unknown: every rewrite is skipped with `reason`
    threadpool: Threadpool | None
    #: what `time.sleep` becomes; None = unknown: sleeps are skipped with `reason`
    sleep: Sleep | None
    #: why a field is None (a full sentence fragment for the skip report), or where the choice came from
    reason: str = ""


def from_threadpool(choice: str, reason: str = "") -> Offload:
    """The offload for one of the ``threadpool`` option's libraries (not ``auto``): its sleep is
    ``anyio.sleep`` or ``trio.sleep`` under those libraries, else ``asyncio.sleep``."""
    for threadpool in THREADPOOLS:
        if threadpool == choice:
            sleep: Sleep = "anyio" if threadpool == "anyio" else "trio" if threadpool == "trio" else "asyncio"
            return Offload(threadpool, sleep, reason)
    raise ValueError(f"unknown threadpool {choice!r}")


#: threadpool -> (module, name the rewrite uses)
OFFLOADER: dict[Threadpool, tuple[str, str]] = {
    "fastapi": ("fastapi.concurrency", "run_in_threadpool"),
    "starlette": ("starlette.concurrency", "run_in_threadpool"),
    "asyncio": ("asyncio", "asyncio"),
    "anyio": ("anyio", "anyio"),
    "trio": ("trio", "trio"),
}
CALL_SYNTAX: dict[Threadpool, str] = {
    "fastapi": "await run_in_threadpool(...)",
    "starlette": "await run_in_threadpool(...)",
    "asyncio": "await asyncio.to_thread(...)",
    "anyio": "await anyio.to_thread.run_sync(...)",
    "trio": "await trio.to_thread.run_sync(...)",
}
SLEEP_SYNTAX: dict[Sleep, str] = {sleep: f"await {sleep}.sleep(...)" for sleep in SLEEPS}

#: Qualified names of calls that already offload: never blocking themselves.
OFFLOAD_CALLS: frozenset[str] = cat.OFFLOADERS | {"trio.to_thread.run_sync"}

#: The skip reason for a field that is None when the decision gave none.
UNKNOWN = "which library runs this code is not known"
