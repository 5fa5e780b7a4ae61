"""The import style of a file's project: ruff's (or black's) line length, whether ruff's isort
settings are ones :mod:`.order` models, and ruff's probable view of first-party modules.

Read from the nearest ``ruff.toml``/``.ruff.toml``, or ``pyproject.toml`` with ``[tool.ruff]``
or ``[tool.black]``, at or above the file (stopping at a repository root), once per directory.
Of ruff's isort settings only ``known-first-party`` is followed and ``force-single-line`` is
known (no name joins an existing ``from`` line); any other isort setting (a changed order, custom
sections) means no block is provably sorted, so added imports keep their place at the end of the
block. Every config file read goes into :func:`style_digest`, part of the result cache's key.

ruff calls a module first party when its top-level name is a directory or ``.py`` file in one of
its ``src`` roots: ``.`` and ``src`` under its project root, the directory of the ruff config in
effect, or, with no ruff config, the directory ruff runs in. With a config the root is known;
without one, ruff may run in any directory from the file's up to the repository root, and a
name counts only when every one of those roots sees it the same way. A configured ``src`` is not
modelled: then no module outside the standard library and ``known-first-party`` has a section.
Where the roots disagree, the one ruff most plausibly runs in (the repository's root, else the
outermost directory with a ``pyproject.toml``) orders the readings :mod:`.place` tries.
"""

from __future__ import annotations

from pathlib import Path

from ..base import FileContext
from ..style_config import Settings, forget, ruff_first, settings, style_digest
from .order import ImportStyle

__all__ = ["forget", "style_digest", "style_for"]


def style_for(context: FileContext) -> ImportStyle:
    """The import style for the file a codemod is transforming."""
    found = (
        Settings() if context.path is None else settings(str(Path(context.path).resolve().parent))
    )
    module = context.module
    own = (
        frozenset({module.name.split(".")[0]})
        if module is not None and module.name
        else frozenset()
    )
    roots, home = found.roots, found.home
    return ImportStyle(
        line_length=found.length,
        first_party=found.known | own,
        is_first=context.project.is_first_party if context.project.modules else None,
        ruff_first=(lambda top: ruff_first(roots, top)) if roots else None,
        ruff_home=(lambda top: ruff_first((home,), top) is True) if home else None,
        sorting=found.sorting,
        single_line=found.single_line,
    )
