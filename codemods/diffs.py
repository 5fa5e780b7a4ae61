"""Unified diffs of a file before and after, matched as ``git diff --patience`` matches lines.

``difflib.unified_diff`` (what ``moreorless`` wraps) looks for the longest matching block, then
recurses on each side of it: on a file with many changes spread through it, every step scans
most of the file again (half a second for the thousand edits of a 10,000-line file, more than
all the edits took). The lines are matched here with :func:`~.linemap.match_lines` (unique lines
anchor the match; difflib only on small gaps between anchors) and the hunks are written the way
``difflib.unified_diff`` writes them, with ``moreorless``'s ``a/``/``b/`` names and its
``\\ No newline at end of file`` marker, so ``git apply`` and ``patch -p1`` accept them.

On a change with unique lines around it (nearly every code change) the hunks are difflib's;
where several matchings are equally short (repeated lines), the hunks may group lines
differently, as ``git diff --patience`` and ``git diff`` do.
"""

from __future__ import annotations

import codecs
import difflib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from .linemap import match_lines

#: Lines of context around each change, as ``diff -u`` and git show.
CONTEXT = 3
NO_NEWLINE = "\n\\ No newline at end of file\n"


class _Matcher(difflib.SequenceMatcher):  # type: ignore[type-arg]
    """difflib's opcodes and grouping over :func:`match_lines`' matching."""

    def __init__(self, a: Sequence[str], b: Sequence[str]) -> None:
        # Not ``super().__init__``: it indexes ``b`` for difflib's own matching, unused here.
        self.a, self.b = a, b
        self.matching_blocks: list[difflib.Match] | None = None
        self.opcodes = None

    def get_matching_blocks(self) -> list[difflib.Match]:
        if self.matching_blocks is not None:
            return self.matching_blocks
        blocks: list[difflib.Match] = []
        for i, j in match_lines(self.a, self.b):
            last = blocks[-1] if blocks else None
            if last is not None and last.a + last.size == i and last.b + last.size == j:
                blocks[-1] = difflib.Match(last.a, last.b, last.size + 1)
            else:
                blocks.append(difflib.Match(i, j, 1))
        blocks.append(difflib.Match(len(self.a), len(self.b), 0))
        self.matching_blocks = blocks
        return blocks


def _range(start: int, stop: int) -> str:
    """A hunk header's range, as ``difflib`` writes it."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return str(beginning)
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


def _hunks(a: Sequence[str], b: Sequence[str], context: int) -> Iterator[str]:
    for group in _Matcher(a, b).get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + line for line in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + line for line in b[j1:j2])


#: The bytes git writes as a named escape inside a quoted name (everything else it quotes: octal).
_ESCAPES = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 0x22: '"', 0x5C: "\\"}


def quote_name(name: str, non_ascii: bool = True) -> str:
    """``name`` as git writes it in a diff header (``quote_c_style``): in double quotes, with C
    escapes, when its bytes hold a control character, ``"``, ``\\`` or (``non_ascii``, git's
    default ``core.quotePath``) anything past ASCII; else as it is. ``git apply`` and ``patch``
    read both forms."""
    raw = os.fsencode(name)
    if not any(b < 0x20 or b == 0x7F or b in _ESCAPES or (non_ascii and b > 0x7F) for b in raw):
        return name
    out = []
    for b in raw:
        if b in _ESCAPES:
            out.append("\\" + _ESCAPES[b])
        elif b < 0x20 or b >= 0x7F:
            out.append(f"\\{b:03o}")
        else:
            out.append(chr(b))
    return '"' + "".join(out) + '"'


def _header(marker: str, name: str, non_ascii: bool) -> str:
    # as git: a tab after a name with a space, so that ``patch`` does not stop at the space
    end = "\t\n" if " " in name else "\n"
    return f"{marker} {quote_name(name, non_ascii)}{end}"


def unified_diff(
    before: str, after: str, filename: str, context: int = CONTEXT, utf8: bool = True
) -> str:
    """The diff of ``before`` to ``after`` for ``filename`` (``a/``, ``b/`` prefixed unless it is
    absolute); empty when they are equal. ``utf8``: the diff is written in UTF-8, so a non-ASCII
    name is written as it is (readable, as with git's ``core.quotePath=false``); in another
    encoding its bytes would name another file, so it is quoted."""
    if before == after:
        return ""
    old, new = (filename, filename) if os.path.isabs(filename) else (f"a/{filename}", f"b/{filename}")
    out = [_header("---", old, not utf8), _header("+++", new, not utf8)]
    for line in _hunks(before.splitlines(True), after.splitlines(True), context):
        out.append(line)
        if not line.endswith("\n"):
            out.append(NO_NEWLINE)
    return "".join(out) if len(out) > 2 else ""


def display_path(path: Path) -> str:
    """``path`` relative to the working directory, with ``/`` separators (as diffs need)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        rel = str(path)
    return rel.replace(os.sep, "/")


def make_diff(before: str, after: str, shown: str, encoding: str = "utf-8") -> str:
    """A unified diff that ``git apply`` accepts; a BOM is part of the first line, as git sees it."""
    if before == after:
        return ""
    if encoding == "utf-8-sig":
        before, after = "\ufeff" + before, "\ufeff" + after
    utf8 = codecs.lookup(diff_codec(encoding)).name == "utf-8"
    return unified_diff(before, after, shown, utf8=utf8)


def diff_codec(encoding: str) -> str:
    """The codec a diff is written in: the file's own, with a BOM kept inside the first line."""
    return "utf-8" if encoding == "utf-8-sig" else encoding
