"""Placing new import lines in a block that :mod:`.order` proves sorted.

ruff's layout of a block, checked against ruff itself (``tests/test_import_order.py``): one blank
line between sections and none inside a section, except that the comment lines directly above an
import other than the block's first belong to that import, move with it when ruff sorts, and take
one blank line above them (``import a\\n# c\\nimport b`` is ``I001``; ``import a\\n\\n# c\\nimport
b`` is not). The comments above the block's *first* import (``# type: ignore``, ``# pylint:
disable=...``, a description of the module) stay above everything: a new import that would sort
before that import makes the block not placeable, and the caller appends at its end instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import libcst as cst

from .nodes import has_inner_comments, sole_import
from .order import (
    ImportStyle,
    Key,
    canonical,
    module_of,
    open_sections,
    reprint,
    sort_key,
)


def _split_leading(
    lines: Sequence[cst.EmptyLine],
) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """(the lines up to the last blank one, the comments directly above the statement)."""
    blanks = [i for i, line in enumerate(lines) if line.comment is None]
    cut = blanks[-1] + 1 if blanks else 0
    return list(lines[:cut]), list(lines[cut:])


def _laid_out(leading: Sequence[cst.EmptyLine], new_section: bool) -> bool:
    """Are the lines above a block's non-first import the ones ruff prints there?"""
    comments = [line for line in leading if line.comment is not None]
    blank = [cst.EmptyLine()] if new_section or comments else []
    return len(leading) == len(blank) + len(comments) and all(
        line.comment is None for line in leading[: len(blank)]
    )


#: At most this many interpretations of the open sections are tried; more: not provably sorted.
_MAX_READINGS = 16


def _readings(stmts: Sequence[cst.BaseStatement], style: ImportStyle) -> list[ImportStyle]:
    """``style`` with each way ruff may name the sections the model leaves open (one reading,
    ``style`` itself, when none is open; none when there are too many)."""
    choices: dict[str, tuple[int, ...]] = {}
    for stmt in stmts:
        imp = sole_import(stmt)
        found = open_sections(imp, style) if imp is not None else None
        if found is not None:
            choices[found[0]] = found[1]
    readings: list[tuple[tuple[str, int], ...]] = [()]
    for name, sections in sorted(choices.items()):
        readings = [(*r, (name, sec)) for r in readings for sec in sections]
        if len(readings) > _MAX_READINGS:
            return []
    return [replace(style, assumed=r) if r else style for r in readings]


def block_keys(block: Sequence[cst.BaseStatement], style: ImportStyle) -> list[Key] | None:
    """The sort keys of a block that is provably sorted and formatted as ruff wants under some
    reading of its open sections (the first such); else None."""
    for reading in _readings(block, style):
        keys = _keys(block, reading)
        if keys is not None:
            return keys
    return None


def _keys(block: Sequence[cst.BaseStatement], style: ImportStyle) -> list[Key] | None:
    """The sort keys of a block that is provably sorted and formatted as ruff wants; else None."""
    if not style.sorting:
        return None
    keys: list[Key] = []
    froms: set[str] = set()
    for i, stmt in enumerate(block):
        imp = sole_import(stmt)
        if imp is None or not canonical(stmt, style):
            return None
        key = sort_key(imp, style)
        if key is None or (keys and key <= keys[-1]):
            return None
        if isinstance(imp, cst.ImportFrom):
            if _merges(imp) in froms:
                return None  # ruff would merge the two
            froms.add(_merges(imp))
        assert isinstance(stmt, cst.SimpleStatementLine)
        if i and not _laid_out(stmt.leading_lines, key[0] != keys[-1][0]):
            return None
        keys.append(key)
    return keys


def insert_sorted(
    block: Sequence[cst.BaseStatement],
    new: Sequence[cst.SimpleStatementLine],
    style: ImportStyle,
    prefix: Sequence[cst.EmptyLine] = (),
) -> list[cst.SimpleStatementLine] | None:
    """The block with ``new`` at their sorted places (reprinted as ruff prints them; ``prefix``:
    the lines above an empty block); None when the block is not provably sorted, a new statement
    is one the model cannot place, or one would go above the comments that open the block.

    When ruff's section of some module is open (:func:`.order.open_sections`), the
    readings under which the block is sorted are the candidates for ruff's own: the block was
    sorted, so ruff's reading is one of them (if the block was not, it has its ``I001``
    already). When they place the new lines differently, the most plausible candidate decides
    (the first: :func:`.order.open_sections` lists the sections most plausible first).
    The end of the block, where they went before, is only some candidates' place too, and on
    real apps was none's (an ``I001`` under every reading)."""
    pieces = [piece for stmt in new for piece in _pieces(stmt)]
    for reading in _readings([*block, *pieces], style):
        keys = _keys(block, reading)
        if keys is not None:
            return _insert(block, keys, pieces, reading, prefix)
    return None


def _insert(
    block: Sequence[cst.BaseStatement],
    keys: Sequence[Key],
    pieces: Sequence[cst.SimpleStatementLine],
    style: ImportStyle,
    prefix: Sequence[cst.EmptyLine],
) -> list[cst.SimpleStatementLine] | None:
    entries: list[tuple[Key, cst.SimpleStatementLine, list[cst.EmptyLine]]] = []
    for i, stmt in enumerate(block):
        assert isinstance(stmt, cst.SimpleStatementLine)
        before, comments = _split_leading(stmt.leading_lines)
        if i == 0:
            prefix = before
        entries.append((keys[i], stmt, comments))
    taken = {k for k, _, _ in entries}
    froms = {_merges(s.body[0]) for _, s, _ in entries if isinstance(s.body[0], cst.ImportFrom)}
    for stmt in pieces:
        imp = sole_import(stmt)
        if imp is None:
            return None
        fresh = reprint(stmt, style, order=True) if isinstance(imp, cst.ImportFrom) else stmt
        placed = fresh.body[0]
        assert isinstance(placed, cst.Import | cst.ImportFrom)
        key = sort_key(placed, style)
        if (
            key is None
            or key in taken
            or not canonical(fresh.with_changes(leading_lines=()), style)
        ):
            return None
        if isinstance(placed, cst.ImportFrom):
            if _merges(placed) in froms:
                return None
            froms.add(_merges(placed))
        taken.add(key)
        entries.append(
            (key, fresh, [line for line in stmt.leading_lines if line.comment is not None])
        )
    if entries and entries[0][2] and min(e[0] for e in entries) != entries[0][0]:
        return None  # never above the comments over the block's first import
    entries.sort(key=lambda e: e[0])
    out: list[cst.SimpleStatementLine] = []
    for i, (key, stmt, comments) in enumerate(entries):
        if i == 0:
            sep = list(prefix)
        elif key[0] != entries[i - 1][0][0] or comments:
            sep = [cst.EmptyLine()]
        else:
            sep = []
        out.append(stmt.with_changes(leading_lines=[*sep, *comments]))
    return out


def import_run(body: Sequence[cst.BaseStatement], stop: int) -> int:
    """The start of the run of import lines that ends just before ``body[stop]``."""
    start = stop
    while start > 0 and sole_import(body[start - 1]) is not None:
        start -= 1
    return start


def split_header(
    header: Sequence[cst.EmptyLine],
) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """libcst puts every comment above the first statement into the module header. The run after
    the header's last blank line belongs to that statement and stays with it; a header without a
    blank line (a license, a shebang) stays at the top of the file."""
    blanks = [i for i, line in enumerate(header) if line.comment is None]
    cut = blanks[-1] + 1 if blanks else len(header)
    return list(header[:cut]), list(header[cut:])


def with_blank(
    lines: Sequence[cst.EmptyLine], count: int = 1, exact: bool = False
) -> list[cst.EmptyLine]:
    """``lines`` opening with at least (``exact``: exactly) ``count`` blank lines."""
    have = next((i for i, line in enumerate(lines) if line.comment is not None), len(lines))
    rest = lines[have:] if exact else lines
    return [*([cst.EmptyLine()] * (count if exact else max(0, count - have))), *rest]


def lines_after(stmt: cst.BaseStatement) -> int:
    """The blank lines ruff (isort's ``lines-after-imports``, and ``ruff format``) wants between
    an import block and the statement after it: two before a ``def`` or ``class`` (counted to
    the comment lines directly above it), else one. A comment with a blank line after it is a
    statement of its own to ruff: one (``tests/test_import_place.py``)."""
    if not isinstance(stmt, cst.FunctionDef | cst.ClassDef):
        return 1
    comments = list(stmt.leading_lines)
    while comments and comments[0].comment is None:
        comments.pop(0)
    return 2 if all(line.comment is not None for line in comments) else 1


def _pieces(stmt: cst.SimpleStatementLine) -> list[cst.SimpleStatementLine]:
    """The lines ruff prints for a new statement (when it has no comments): ``import a, b`` as
    one line per module, ``from m import a as x, b`` as one line per ``as`` name and one for
    the other names."""
    imp = sole_import(stmt)
    if imp is None or stmt.trailing_whitespace.comment is not None:
        return [stmt]
    groups: list[list[cst.ImportAlias]]
    if isinstance(imp, cst.Import):
        groups = [[a] for a in imp.names]
    elif isinstance(imp.names, cst.ImportStar):
        return [stmt]
    else:
        plain = [a for a in imp.names if a.asname is None]
        groups = ([plain] if plain else []) + [[a] for a in imp.names if a.asname is not None]
    if len(groups) == 1 or has_inner_comments(stmt):
        return [stmt]
    lines = []
    for group in groups:
        names = [*group[:-1], group[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)]
        body = imp.with_changes(names=names)
        if isinstance(body, cst.ImportFrom):
            body = body.with_changes(lpar=None, rpar=None)
        lines.append(stmt.with_changes(body=[body], leading_lines=()))
    return [lines[0].with_changes(leading_lines=stmt.leading_lines), *lines[1:]]


def _merges(imp: cst.BaseSmallStatement) -> str:
    """Two ``from`` lines of one module ruff would merge (neither has an ``as`` name) share this."""
    assert isinstance(imp, cst.ImportFrom)
    named = not isinstance(imp.names, cst.ImportStar) and any(a.asname for a in imp.names)
    return f"{module_of(imp)} as {id(imp)}" if named else module_of(imp)
