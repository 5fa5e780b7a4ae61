"""The ``ast`` trees of one run, one per text, for the phases that read the same text.

The gather phase, the engine's prefilter and preflight, the printer, hoist-imports' statement
lines and isolation check, and wrap-blocking-calls' own facts and name bindings each read a file
with ``ast``; when several of them read the same text (a single file, or a codemod's input that
an earlier codemod left unchanged), a :class:`Trees` reads it once. Nothing here is global: the
owner of a run makes one (``run_paths`` per run, each worker process one for its files, the
engine one per text when it is given none) and hands it down (``FileContext.trees``). The last
few trees are kept, keyed by the text itself; the trees are shared, so no caller may modify one
(none does: ``astnodes`` only adds its memo attributes). A text that fails to parse is not kept:
the exception is raised again on every call.
"""

from __future__ import annotations

import ast
import warnings

#: How many (text, tree) pairs one memo keeps.
KEEP = 2


class Trees:
    """``ast.parse`` for one owner, read once per text while it stays among the last
    :data:`KEEP` texts."""

    __slots__ = ("_trees", "parsed")

    def __init__(self) -> None:
        self._trees: dict[str, ast.Module] = {}
        #: How many texts were read with ``ast`` (a text read again after it left counts again).
        self.parsed = 0

    def parse(self, text: str) -> ast.Module:
        """``ast.parse(text)``, read once while it stays among the last :data:`KEEP` texts."""
        trees = self._trees
        tree = trees.pop(text, None)
        if tree is None:
            self.parsed += 1
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the user's code: invalid escapes and the like
                tree = ast.parse(text)
            while len(trees) >= KEEP:
                del trees[next(iter(trees))]
        trees[text] = tree  # most recent last
        return tree
