"""What is known about each codemod without importing it (nor libcst): its id, run order,
default, fix safety, whether it has a gather step, and its one-line summary.

``--help``, ``--version`` and a re-check answered wholly from the cache read this table instead of
:mod:`codemods.registry`, which imports every codemod (and libcst with them). The table is written
by hand; ``tests/test_startup.py`` checks it entry by entry against the registry, so a codemod
added, renamed or changed without updating it fails the suite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    id: str
    default_on: bool
    fix_safety: str
    #: the codemod's ``Command`` has its own ``gather`` (part of the gather cache's key)
    gathers: bool
    summary: str


#: Every codemod, in the order they run on one file (``registry.RUN_ORDER``, then alphabetical).
CODEMODS: tuple[Entry, ...] = (
    Entry("hoist-imports", True, "sometimes unsafe", True,
          "Move imports at the top of a function body to the module's import block."),
    Entry("dedupe-imports", True, "sometimes unsafe", False,
          "Remove an import that re-binds exactly what an earlier runtime import already bound."),
    Entry("wrap-blocking-calls", True, "sometimes unsafe", True,
          "Run blocking calls made in `async def` functions in the threadpool."),
    Entry("lifespan", True, "sometimes unsafe", True,
          "Convert `on_event` / `add_event_handler` / `on_startup=` handlers into one `lifespan` context manager."),
    Entry("startup-checks", False, "unsafe", True,
          "Check the app's required environment variables in its lifespan, so it refuses to start without them."),
    Entry("windows-loop-policy", False, "sometimes unsafe", True,
          "Set the Windows Proactor event loop explicitly at a server's entry point (opt-in)."),
    Entry("event-loop-policy", True, "unsafe", False,
          "Report event loop policy uses: deprecated in Python 3.14, removed in 3.16."),
)  # fmt: skip

BY_ID: dict[str, Entry] = {e.id: e for e in CODEMODS}


class UnknownCodemod(ValueError):
    """A codemod id that does not exist."""


def ids() -> list[str]:
    """Every codemod id, in run order."""
    return list(BY_ID)


def selected_ids(select: Iterable[str] | None, ignore: Iterable[str] = ()) -> tuple[str, ...]:
    """The ids of the codemods a run uses, in run order; raise :class:`UnknownCodemod` for a bad id."""
    return choose(ids(), [e.id for e in CODEMODS if e.default_on], select, ignore)


def choose(
    known: Sequence[str], defaults: Sequence[str], select: Iterable[str] | None, ignore: Iterable[str]
) -> tuple[str, ...]:
    """``select`` (None: ``defaults``) minus ``ignore`` among the ``known`` ids (in their order;
    ``ALL`` for every one); raise :class:`UnknownCodemod` for an id not ``known``."""
    wanted = list(select) if select is not None else list(defaults)
    skipped = list(ignore)
    for codemod_id in [*wanted, *skipped]:
        if codemod_id != "ALL" and codemod_id not in known:
            raise UnknownCodemod(codemod_id)
    if "ALL" in wanted:
        wanted = list(known)
    skip = set(known) if "ALL" in skipped else set(skipped)
    return tuple(cid for cid in known if cid in wanted and cid not in skip)
