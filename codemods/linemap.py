"""Line numbers of the file as read, for changes reported on an earlier codemod's output.

Codemods run one after another on one tree, and each reports lines of its own input. Once an
earlier codemod moved lines (hoist-imports adds an import block at the top), a later one's
line 95 may be the file's line 93; reports, SARIF and GitHub annotations must name the line a
reviewer sees in the file. A line that an earlier codemod inserted maps to where it was
inserted.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Sequence


class LineMap:
    """Maps 1-based line numbers of ``new`` to those of ``old``."""

    def __init__(self, old: str, new: str) -> None:
        matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
        # (first line of a block in new, its first line in old, whether the block is unchanged)
        self._blocks = [(j1, i1, tag == "equal") for tag, i1, _i2, j1, _j2 in matcher.get_opcodes()]
        self._starts = [block[0] for block in self._blocks]

    def to_old(self, line: int) -> int:
        if not self._blocks or line < 1:
            return line
        index = max(0, bisect.bisect_right(self._starts, line - 1) - 1)
        start, old_start, equal = self._blocks[index]
        return old_start + (line - 1 - start if equal else 0) + 1


def to_original(line: int, maps: Sequence[LineMap]) -> int:
    """``line`` of the last text in a chain of edits, as a line of the first (``maps`` in
    order of the edits)."""
    for step in reversed(maps):
        line = step.to_old(line)
    return line
