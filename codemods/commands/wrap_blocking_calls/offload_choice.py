"""Which :class:`~.offload.Offload` a file gets when ``threadpool`` is ``"auto"``.

Decided from the file's own imports and its component's declarations only, never from the
other files of a run, so a one-file run and a full run agree (docs/decisions.md,
"wrap-blocking-calls: which offload"):

- the threadpool: FastAPI's ``run_in_threadpool`` where the component declares ``fastapi`` as a
  required dependency or the file imports it unconditionally at module level; Starlette's
  likewise; both run on any anyio backend. Otherwise the event loop's own:
  ``trio.to_thread.run_sync``, ``anyio.to_thread.run_sync`` or ``asyncio.to_thread`` (Python
  3.9+);
- the sleep: ``trio.sleep`` in a file that imports trio, ``anyio.sleep`` in one that imports
  anyio, ``asyncio.sleep`` otherwise, unless the component declares trio and the file does not
  say which library runs it (then it is unknown, and skipped). trio's and anyio's forms need
  the library at module level: the file imports it there, or the component requires it;
  otherwise they are unknown too.
"""

from __future__ import annotations

import ast

from packaging.version import Version

from ...astkit import astnodes
from ...components.decide import declares, declares_required, python_floor
from ...components.index import Component
from .offload import Offload, Sleep, Threadpool

_LOOPS = ("trio", "anyio", "asyncio")
#: ``asyncio.to_thread`` is new in Python 3.9.
TO_THREAD = Version("3.9")


def imported_tops(tree: ast.Module | None) -> frozenset[str]:
    """Top-level packages of every absolute import in the file, at any depth."""
    if tree is None:
        return frozenset()
    found: set[str] = set()
    for node in astnodes.nodes(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return frozenset(found)


def choose(
    tops: frozenset[str],
    required_here: frozenset[str],
    component: Component,
    target_python: tuple[int, int] | None,
) -> Offload:
    """The offload for a file importing ``tops`` (``required_here``: the modules it imports
    unconditionally at module level) in ``component``."""
    sleep, why = _loop(tops, component)
    if sleep in ("trio", "anyio") and not _installed(sleep, required_here, component):
        # the rewrite adds `import trio`/`import anyio` at module level: it must be there
        # wherever the module is imported, not only where a function that imports it runs
        sleep, why = None, (
            f"the file imports {sleep} only inside functions and the component does not declare it "
            f"as a required dependency: a module-level `import {sleep}` could fail where it is missing"
        )
    framework = _framework(required_here, component)
    threadpool: Threadpool | None
    if framework is not None:
        threadpool, reason = framework, f"the file's component uses {framework.capitalize()}"
    elif sleep == "asyncio":
        floor = (
            Version("{}.{}".format(*target_python)) if target_python else python_floor(component)
        )
        if floor is not None and floor < TO_THREAD:
            threadpool = None
            reason = (
                f"`asyncio.to_thread` needs Python 3.9, and the component supports Python {floor}"
            )
        else:
            threadpool, reason = "asyncio", why
    else:
        threadpool, reason = sleep, why
    # one reason serves the skip report: for a sleep that is unknown, it says why
    return Offload(threadpool, sleep, why if sleep is None else reason)


def _loop(tops: frozenset[str], component: Component) -> tuple[Sleep | None, str]:
    used = [loop for loop in _LOOPS if loop in tops]
    if "trio" in used and "asyncio" in used and "anyio" not in used:
        return (
            None,
            "the file imports both trio and asyncio, so which one runs each function is not known",
        )
    if used:
        loop: Sleep = "trio" if "trio" in used else "anyio" if "anyio" in used else "asyncio"
        return loop, f"the file imports {loop}"
    if declares(component, "trio"):
        return (
            None,
            "the component declares trio, and this file does not show which event loop runs it",
        )
    return "asyncio", "no other event loop library is in use"


def _installed(library: str, required_here: frozenset[str], component: Component) -> bool:
    """Is ``library`` sure to be installed wherever the module is imported?"""
    return library in {m.split(".")[0] for m in required_here} or declares_required(component, [library])


def _framework(required_here: frozenset[str], component: Component) -> Threadpool | None:
    tops = {m.split(".")[0] for m in required_here}
    for framework in ("fastapi", "starlette"):
        if framework in tops or declares_required(component, [framework]):
            return "fastapi" if framework == "fastapi" else "starlette"
    return None
