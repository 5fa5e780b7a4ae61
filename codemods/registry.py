"""Discovers the codemods in ``codemods/commands/`` and fixes the order they run in.

A codemod is a package ``codemods/commands/<snake_id>/`` whose ``__init__`` docstring documents
it and whose ``Command`` class implements it; the id is the package name with ``-`` for ``_``.
Nothing else has to be registered anywhere. A name starting with ``_`` is not a codemod (code
that several codemods share, such as ``_loop_policy``).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from functools import cache

from . import commands
from .base import Codemod
from .catalog import UnknownCodemod, choose

__all__ = ["RUN_ORDER", "UnknownCodemod", "all_codemods", "get", "selected", "summary"]

#: The order codemods run in on one file. Import hoisting runs before deduplication so that the
#: two converge in one run; anything not listed runs afterwards, alphabetically.
RUN_ORDER: tuple[str, ...] = (
    "hoist-imports",
    "dedupe-imports",
    "wrap-blocking-calls",
    "lifespan",
    "startup-checks",
    "windows-loop-policy",
    "event-loop-policy",
)


@cache
def all_codemods() -> dict[str, type[Codemod]]:
    """Every codemod, keyed by id, in run order."""
    found: dict[str, type[Codemod]] = {}
    for info in pkgutil.iter_modules(commands.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        command = getattr(module, "Command", None)
        if not (isinstance(command, type) and issubclass(command, Codemod)):
            continue
        command.ID = info.name.replace("_", "-")
        command.DOC = (module.__doc__ or "").strip()
        found[command.ID] = command

    def rank(codemod_id: str) -> tuple[int, str]:
        return (RUN_ORDER.index(codemod_id) if codemod_id in RUN_ORDER else len(RUN_ORDER), codemod_id)

    return {cid: found[cid] for cid in sorted(found, key=rank)}


def get(codemod_id: str) -> type[Codemod]:
    try:
        return all_codemods()[codemod_id]
    except KeyError:
        raise UnknownCodemod(codemod_id) from None


def selected(select: Iterable[str] | None, ignore: Iterable[str] = ()) -> list[type[Codemod]]:
    """The codemods a run uses, in run order; raise :class:`UnknownCodemod` for a bad id. The ids
    are the catalog's, plus any codemod found here that it does not list (one added at run time
    through the API, or a new package whose catalog line is missing: tests/test_startup.py says so)."""
    found = all_codemods()
    defaults = [cid for cid, command in found.items() if command.DEFAULT_ON]
    return [found[cid] for cid in choose(list(found), defaults, select, ignore)]


def summary(codemod: type[Codemod]) -> str:
    """The first line of a codemod's documentation."""
    return codemod.DOC.splitlines()[0].strip() if codemod.DOC else ""
