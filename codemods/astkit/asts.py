"""One ``ast`` tree per text, for the phases that read the same text in one process.

The gather phase, the engine's second prefilter, hoist-imports' statement lines and isolation
check, and wrap-blocking-calls' own facts and name bindings each read a file with ``ast``;
when several of them read the same text (a single file, or a codemod's input that an earlier
codemod left unchanged), :func:`parse` reads it once. The last few trees are kept, keyed by
the text itself; the trees are shared, so no caller may modify one (none does: ``astnodes``
only adds its memo attributes). A text that fails to parse is not kept: the exception is
raised again on every call. ``run_paths`` calls :func:`forget` when it starts, so no tree
outlives one run (a benchmark that runs the same file twice in one process reads it twice).
"""

from __future__ import annotations

import ast
import warnings

#: How many (text, tree) pairs one process keeps.
KEEP = 2
_TREES: dict[str, ast.Module] = {}


def parse(text: str) -> ast.Module:
    """``ast.parse(text)``, read once while it stays among the last :data:`KEEP` texts."""
    tree = _TREES.pop(text, None)
    if tree is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the user's code: invalid escapes and the like
            tree = ast.parse(text)
        while len(_TREES) >= KEEP:
            del _TREES[next(iter(_TREES))]
    _TREES[text] = tree  # most recent last
    return tree


def forget() -> None:
    """Drop every kept tree."""
    _TREES.clear()
