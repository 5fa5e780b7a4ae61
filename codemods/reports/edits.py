"""Line edits between a file's text before and after a run: for SARIF ``fixes`` and for the
hunks of interactive review.

Lines are split the way Python's tokenizer counts them (``\\n``, ``\\r\\n`` and ``\\r``, not
form feeds or Unicode separators), so line numbers agree with the codemods' own. Applying every
edit to ``before`` gives ``after`` exactly; applying a subset gives the partially fixed text.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
#: Context lines around a hunk, as in ``diff -u``.
CONTEXT = 3


def split_lines(text: str) -> list[str]:
    """Lines with their line endings; ``"".join(split_lines(t)) == t``."""
    return _LINE_RE.findall(text)


@dataclass(frozen=True)
class Edit:
    """Replace lines ``[old_start, old_end)`` of before (0-based) by ``new_lines``."""

    old_start: int
    old_end: int
    new_start: int
    old_lines: tuple[str, ...]
    new_lines: tuple[str, ...]


def edits(before: str, after: str) -> list[Edit]:
    a, b = split_lines(before), split_lines(after)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [
        Edit(i1, i2, j1, tuple(a[i1:i2]), tuple(b[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def apply_edits(before: str, chosen: Iterable[Edit]) -> str:
    """``before`` with only the ``chosen`` edits applied (edits never overlap)."""
    lines = split_lines(before)
    for edit in sorted(chosen, key=lambda e: e.old_start, reverse=True):
        lines[edit.old_start : edit.old_end] = edit.new_lines
    return "".join(lines)


@dataclass(frozen=True)
class Hunk:
    """Neighbouring edits shown together, with context, like one ``@@`` block of a diff."""

    edits: tuple[Edit, ...]
    #: 0-based [start, end) of the lines the hunk shows from before, context included
    old_start: int
    old_end: int

    @property
    def first_line(self) -> int:
        """1-based first changed line of before."""
        return self.edits[0].old_start + 1

    def touches(self, line: int) -> bool:
        """Whether 1-based ``line`` of before lies in the shown range."""
        return self.old_start < line <= max(self.old_end, self.old_start + 1)


def hunks(before: str, after: str, context: int = CONTEXT) -> list[Hunk]:
    """The edits grouped as ``diff -u`` groups them (edits at most 2 * context apart share a hunk)."""
    found: list[Hunk] = []
    group: list[Edit] = []
    for edit in edits(before, after):
        if group and edit.old_start - group[-1].old_end > 2 * context:
            found.append(_hunk(group, before, context))
            group = []
        group.append(edit)
    if group:
        found.append(_hunk(group, before, context))
    return found


def _hunk(group: Sequence[Edit], before: str, context: int) -> Hunk:
    total = len(split_lines(before))
    return Hunk(
        tuple(group),
        max(0, group[0].old_start - context),
        min(total, group[-1].old_end + context),
    )


def render_hunks(before: str, chosen: Sequence[Hunk], offset: int = 0) -> str:
    """Unified-diff text (``@@`` headers and bodies) of ``chosen`` against ``before``.

    ``offset`` is the line shift from hunks applied earlier in the file, so the ``+`` numbers
    match what the file will look like.
    """
    lines = split_lines(before)
    out: list[str] = []
    shift = offset
    for hunk in chosen:
        body: list[str] = []
        position = hunk.old_start
        old_count = new_count = 0
        for edit in hunk.edits:
            for line in lines[position : edit.old_start]:
                body.extend(_diff_line(" ", line))
                old_count += 1
                new_count += 1
            for line in edit.old_lines:
                body.extend(_diff_line("-", line))
                old_count += 1
            for line in edit.new_lines:
                body.extend(_diff_line("+", line))
                new_count += 1
            position = edit.old_end
        for line in lines[position : hunk.old_end]:
            body.extend(_diff_line(" ", line))
            old_count += 1
            new_count += 1
        old_first = hunk.old_start + 1 if old_count else hunk.old_start
        new_first = hunk.old_start + shift + 1 if new_count else hunk.old_start + shift
        out.append(f"@@ -{old_first},{old_count} +{new_first},{new_count} @@\n")
        out.extend(body)
        shift += new_count - old_count
    return "".join(out)


def _diff_line(mark: str, line: str) -> list[str]:
    if line.endswith(("\n", "\r")):
        return [mark + line.rstrip("\r\n") + "\n"]
    return [mark + line + "\n", "\\ No newline at end of file\n"]


def offsets(text: str) -> list[int]:
    """Character offset of the start of each line, plus the end of the text."""
    result = [0]
    for line in split_lines(text):
        result.append(result[-1] + len(line))
    return result


def position(text_offsets: Sequence[int], text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset (SARIF's line and column numbering)."""
    index = bisect.bisect_right(text_offsets, offset) - 1
    index = min(index, len(text_offsets) - 1)
    line_start = text_offsets[index]
    if index == len(text_offsets) - 1 and text and not text.endswith(("\n", "\r")) and index > 0:
        # the end of a text without a final newline is on its last line
        index -= 1
        line_start = text_offsets[index]
    return index + 1, offset - line_start + 1
