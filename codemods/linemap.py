"""Line numbers of the file as read, for changes reported on an earlier codemod's output.

Codemods run one after another on one tree, and each reports lines of its own input. Once an
earlier codemod moved lines (hoist-imports adds an import block at the top), a later one's
line 95 may be the file's line 93; reports, SARIF and GitHub annotations must name the line a
reviewer sees in the file. A line that an earlier codemod inserted maps to where it was
inserted.

The lines are matched the way ``git diff --patience`` does it: lines that occur once in each
text anchor the match (their longest increasing run), and the gaps between anchors are matched
again, recursively. ``difflib.SequenceMatcher`` alone is quadratic on code that repeats lines
(a file with a thousand identical handlers took five minutes); it is only used on small gaps.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Sequence
from dataclasses import replace

from .types import Change

#: Gaps of at most this many lines on each side are matched with difflib (exact, and cheap
#: there); larger gaps without unique lines count as replaced.
SMALL_GAP = 200


class LineMap:
    """Maps 1-based line numbers of ``new`` to those of ``old``."""

    def __init__(self, old: str, new: str) -> None:
        pairs = match_lines(old.splitlines(), new.splitlines())
        # (first line of a block in new, its first line in old, whether the block is unchanged)
        blocks: list[tuple[int, int, bool]] = []
        last_old = last_new = 0
        for i, j in pairs:
            if blocks and blocks[-1][2] and i == last_old and j == last_new:
                pass  # continues the current unchanged block
            else:
                if j > last_new:
                    blocks.append((last_new, last_old, False))
                blocks.append((j, i, True))
            last_old, last_new = i + 1, j + 1
        blocks.append((last_new, last_old, False))
        self._blocks = blocks
        self._starts = [block[0] for block in blocks]

    def to_old(self, line: int) -> int:
        if line < 1:
            return line
        index = max(0, bisect.bisect_right(self._starts, line - 1) - 1)
        start, old_start, equal = self._blocks[index]
        return old_start + (line - 1 - start if equal else 0) + 1


def match_lines(old: Sequence[str], new: Sequence[str]) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of equal lines ``old[i] == new[j]``, increasing in both."""
    pairs: list[tuple[int, int]] = []
    # Work items in reverse order: a gap (old_lo, old_hi, new_lo, new_hi) still to match, or
    # pairs already matched. An explicit stack: the recursion can be as deep as a file is long.
    stack: list[tuple[int, int, int, int] | list[tuple[int, int]]] = [(0, len(old), 0, len(new))]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            pairs.extend(item)
            continue
        lo1, hi1, lo2, hi2 = item
        while lo1 < hi1 and lo2 < hi2 and old[lo1] == new[lo2]:
            pairs.append((lo1, lo2))
            lo1, lo2 = lo1 + 1, lo2 + 1
        tail: list[tuple[int, int]] = []
        while lo1 < hi1 and lo2 < hi2 and old[hi1 - 1] == new[hi2 - 1]:
            hi1, hi2 = hi1 - 1, hi2 - 1
            tail.append((hi1, hi2))
        tail.reverse()
        if lo1 == hi1 or lo2 == hi2:
            pairs.extend(tail)
            continue
        anchors = _anchors(old, new, lo1, hi1, lo2, hi2)
        if anchors:
            todo: list[tuple[int, int, int, int] | list[tuple[int, int]]] = []
            prev1, prev2 = lo1, lo2
            for i, j in anchors:
                todo.extend([(prev1, i, prev2, j), [(i, j)]])
                prev1, prev2 = i + 1, j + 1
            todo.extend([(prev1, hi1, prev2, hi2), tail])
            stack.extend(reversed(todo))
            continue
        if hi1 - lo1 <= SMALL_GAP and hi2 - lo2 <= SMALL_GAP:
            matcher = difflib.SequenceMatcher(None, old[lo1:hi1], new[lo2:hi2], autojunk=False)
            for block in matcher.get_matching_blocks():
                pairs.extend((lo1 + block.a + k, lo2 + block.b + k) for k in range(block.size))
        pairs.extend(tail)
    return pairs


def _anchors(
    old: Sequence[str], new: Sequence[str], lo1: int, hi1: int, lo2: int, hi2: int
) -> list[tuple[int, int]]:
    """Lines occurring exactly once in each range, as the longest run increasing in both."""
    counts: dict[str, list[int]] = {}
    for i in range(lo1, hi1):
        entry = counts.get(old[i])
        if entry is None:
            counts[old[i]] = [1, 0, i, 0]
        else:
            entry[0] += 1
    for j in range(lo2, hi2):
        entry = counts.get(new[j])
        if entry is not None:
            entry[1] += 1
            entry[3] = j
    unique = sorted((e[2], e[3]) for e in counts.values() if e[0] == 1 and e[1] == 1)
    return _longest_increasing(unique)


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of ``pairs`` (sorted by the first item) increasing in the second
    (patience sorting, O(n log n))."""
    tops: list[int] = []  # tops[k]: the smallest second item ending a run of length k + 1
    ends: list[int] = []  # index into pairs of that run's last pair
    back: list[int] = []  # index of the previous pair in the best run ending at each pair
    for index, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tops, j)
        if k == len(tops):
            tops.append(j)
            ends.append(index)
        else:
            tops[k], ends[k] = j, index
        back.append(ends[k - 1] if k else -1)
    run: list[tuple[int, int]] = []
    index = ends[-1] if ends else -1
    while index >= 0:
        run.append(pairs[index])
        index = back[index]
    run.reverse()
    return run


def to_original(line: int, maps: Sequence[LineMap]) -> int:
    """``line`` of the last text in a chain of edits, as a line of the first (``maps`` in
    order of the edits)."""
    for step in reversed(maps):
        line = step.to_old(line)
    return line


def with_columns(text: str, changes: Sequence[Change]) -> list[Change]:
    """``changes`` with :attr:`Change.column` set: the first non-blank character of their line
    in ``text`` (lines counted as the parsers count them: ``\\n``, ``\\r\\n`` or ``\\r``)."""
    if not changes:
        return list(changes)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    found: list[Change] = []
    for change in changes:
        line = lines[change.line - 1] if 0 < change.line <= len(lines) else ""
        column = len(line) - len(line.lstrip(" \t\f")) + 1
        found.append(change if column == change.column else replace(change, column=column))
    return found
