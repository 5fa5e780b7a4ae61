"""Where an added import goes so that ruff's isort rules (``I001``) stay as content as before.

A model of ruff's default isort order, used only to *prove* a block sorted: sections (future,
standard library, third party, first party, relative) separated by one blank line; in each,
``import x`` lines before ``from x import ...`` lines; modules compared case-insensitively in
natural order (digit runs as numbers), then case-sensitively; names of a ``from`` import by
type (``CONSTANT``, ``Class``, ``variable``), then the same way. Each statement must also be
printed as ruff prints it (one module per ``import``, the single-line form when it fits in the
line length, else one name per line in parentheses with a trailing comma, which a magic trailing
comma keeps). A block that is not provably sorted (anything the model does not know: ``import
a, b``, a duplicate module, a section it cannot name, a leading zero in a number) keeps today's
placement: the new imports after its last line.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node

from .imports import has_inner_comments, sole_import

FUTURE, STDLIB, THIRD, FIRST, LOCAL = range(5)

#: Standard-library modules that some supported Python has and another lacks (removed in 3.12
#: and 3.13, or added since 3.9): ruff names their section by its target version, we cannot.
_VERSION_DEPENDENT = frozenset(
    [
        "aifc",
        "asynchat",
        "asyncore",
        "audioop",
        "cgi",
        "cgitb",
        "chunk",
        "crypt",
        "distutils",
        "imghdr",
        "imp",
        "lib2to3",
        "mailcap",
        "msilib",
        "nis",
        "nntplib",
        "ossaudiodev",
        "pipes",
        "smtpd",
        "sndhdr",
        "spwd",
        "sunau",
        "telnetlib",
        "tomllib",
        "uu",
        "xdrlib",
        "graphlib",
        "zoneinfo",
        "_tkinter",
    ]
)
_STDLIB = frozenset(sys.stdlib_module_names) - _VERSION_DEPENDENT


@dataclass(frozen=True)
class ImportStyle:
    """What decides a file's import order and line breaks."""

    line_length: int = 88
    #: Top-level names of first-party modules: the file's own package and ``known-first-party``
    first_party: frozenset[str] = frozenset()
    #: The component's own modules (its view's ``is_first_party``); None when unknown, and then
    #: no module outside the standard library has a known section.
    is_first: Callable[[str], bool] | None = None
    #: False when the project configures isort options this model does not follow.
    sorting: bool = True


DEFAULT_STYLE = ImportStyle()

_Key = tuple[object, ...]


def _natural(text: str) -> tuple[tuple[int, int], ...] | None:
    """natord's order as a tuple: a digit run compares as its number; None when a run has a
    leading zero or the text is not ASCII (orders the model does not claim to know)."""
    if not text.isascii():
        return None
    out: list[tuple[int, int]] = []
    for run in re.findall(r"\d+|\D", text):
        if run[0].isdigit():
            if len(run) > 1 and run[0] == "0":
                return None
            out.append((48, int(run)))
        else:
            out.append((ord(run), 0))
    return tuple(out)


def _name_key(text: str) -> _Key | None:
    lower, exact = _natural(text.lower()), _natural(text)
    return None if lower is None or exact is None else (lower, exact)


def _optional(text: str) -> _Key | None:
    if not text:
        return ((0,),)
    key = _name_key(text)
    return None if key is None else ((1,), key)


def member_key(name: str, asname: str) -> _Key | None:
    """ruff's ``MemberKey`` with the default settings (``order-by-type``, case-insensitive)."""
    if name == "*":
        return (0,)
    kind = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    key, alias = _name_key(name), _optional(asname)
    return None if key is None or alias is None else (1, kind, key, alias)


def _alias(alias: cst.ImportAlias) -> tuple[str, str]:
    name = get_full_name_for_node(alias.name) or ""
    asname = alias.asname.name if alias.asname is not None else None
    return name, asname.value if isinstance(asname, cst.Name) else ""


def module_of(imp: cst.ImportFrom) -> str:
    base = get_full_name_for_node(imp.module) if imp.module is not None else ""
    return "." * len(imp.relative) + (base or "")


def section(imp: cst.Import | cst.ImportFrom, style: ImportStyle) -> int | None:
    if isinstance(imp, cst.ImportFrom) and imp.relative:
        return LOCAL
    name = module_of(imp) if isinstance(imp, cst.ImportFrom) else _alias(imp.names[0])[0]
    top = name.split(".")[0]
    if top == "__future__":
        return FUTURE if isinstance(imp, cst.ImportFrom) else None
    if top in _VERSION_DEPENDENT:
        return None
    if top in style.first_party or (style.is_first is not None and style.is_first(top)):
        return FIRST
    if top in _STDLIB:
        return STDLIB
    return THIRD if style.is_first is not None else None


def sort_key(imp: cst.Import | cst.ImportFrom, style: ImportStyle) -> _Key | None:
    """(section, straight-or-from, ruff's ``ModuleKey``); None when the model does not know."""
    sec = section(imp, style)
    if sec is None:
        return None
    if isinstance(imp, cst.Import):
        if len(imp.names) != 1:
            return None
        name, asname = _alias(imp.names[0])
        key, alias = _name_key(name), _optional(asname)
        return None if key is None or alias is None else (sec, 0, key, alias)
    names = (
        [_alias(a) for a in imp.names] if not isinstance(imp.names, cst.ImportStar) else [("*", "")]
    )
    level = len(imp.relative)
    base = module_of(imp)[level:]
    module = _optional(base)
    first = member_key(*names[0])
    if module is None or first is None:
        return None
    # relative imports: the furthest first (``from .. import`` before ``from . import``)
    return (sec, 1, -level, module, first)


# -- ruff's rendering of one import statement ---------------------------------------------------


def _names_text(names: Sequence[tuple[str, str]]) -> list[str]:
    return [f"{n} as {a}" if a else n for n, a in names]


def render(
    imp: cst.Import | cst.ImportFrom, comment: str | None, style: ImportStyle, wrap: bool = False
) -> str | None:
    """The statement as ruff's isort prints it (``wrap``: a magic trailing comma keeps it
    wrapped); None for a form the model does not print (several modules in one ``import``)."""
    tail = f"  {comment}" if comment else ""
    if isinstance(imp, cst.Import):
        if len(imp.names) != 1:
            return None
        return f"import {_names_text([_alias(imp.names[0])])[0]}{tail}"
    head = f"from {module_of(imp)} import "
    if isinstance(imp.names, cst.ImportStar):
        return f"{head}*{tail}"
    names = _names_text([_alias(a) for a in imp.names])
    single = head + ", ".join(names) + tail
    if not wrap and len(single) <= style.line_length:
        return single
    return head + "(" + tail + "\n" + "".join(f"    {n},\n" for n in names) + ")"


def magic_comma(imp: cst.ImportFrom) -> bool:
    return (
        not isinstance(imp.names, cst.ImportStar)
        and imp.lpar is not None
        and isinstance(imp.names[-1].comma, cst.Comma)
    )


def _comment(stmt: cst.SimpleStatementLine) -> str | None:
    comment = stmt.trailing_whitespace.comment
    return comment.value if comment is not None else None


def _code(stmt: cst.SimpleStatementLine) -> str:
    return cst.Module([]).code_for_node(stmt.with_changes(leading_lines=())).rstrip("\n")


def canonical(stmt: cst.BaseStatement, style: ImportStyle) -> bool:
    """Is the statement printed as ruff would print it, with its names in ruff's order?"""
    imp = sole_import(stmt)
    if imp is None:
        return False
    assert isinstance(stmt, cst.SimpleStatementLine)
    if isinstance(imp, cst.ImportFrom) and not isinstance(imp.names, cst.ImportStar):
        aliases = [_alias(a) for a in imp.names]
        if len(aliases) > 1 and any(asname for _, asname in aliases):
            return False  # ruff gives an ``as`` name a line of its own
        keys = [member_key(*a) for a in aliases]
        if any(k is None for k in keys) or len(set(keys)) != len(keys):
            return False
        if keys != sorted(keys):  # type: ignore[type-var]
            return False
    wrap = isinstance(imp, cst.ImportFrom) and magic_comma(imp)
    text = render(imp, _comment(stmt), style, wrap)
    return text is not None and text.isascii() and text == _code(stmt)


def reprint(
    stmt: cst.SimpleStatementLine, style: ImportStyle, order: bool
) -> cst.SimpleStatementLine:
    """A ``from`` import after names were added: its names in ruff's order when ``order`` (a
    sorted block), and wrapped one name per line, as ruff prints it, when the line no longer
    fits (or a magic trailing comma keeps it wrapped). A statement with comments inside, or
    already on several lines, keeps its own spelling unless ``order``."""
    imp = stmt.body[0]
    if not isinstance(imp, cst.ImportFrom) or isinstance(imp.names, cst.ImportStar):
        return stmt
    if has_inner_comments(imp):
        return stmt
    names = list(imp.names)
    if order:
        keys = [member_key(*_alias(a)) for a in names]
        if any(k is None for k in keys):
            return stmt
        ranked = sorted(range(len(names)), key=lambda i: keys[i])  # type: ignore[arg-type, return-value]
        names = [names[i] for i in ranked]
    text = render(imp.with_changes(names=names), _comment(stmt), style, magic_comma(imp))
    if text is None or (not order and ("\n" not in text or "\n" in _code(stmt))):
        return stmt
    parsed = cst.parse_statement(text + "\n")
    assert isinstance(parsed, cst.SimpleStatementLine)
    return parsed.with_changes(leading_lines=stmt.leading_lines)


# -- placing new statements in a sorted block ----------------------------------------------------


def _split_leading(
    lines: Sequence[cst.EmptyLine],
) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """(the lines up to the last blank one, the comments directly above the statement)."""
    blanks = [i for i, line in enumerate(lines) if line.comment is None]
    cut = blanks[-1] + 1 if blanks else 0
    return list(lines[:cut]), list(lines[cut:])


def block_keys(block: Sequence[cst.BaseStatement], style: ImportStyle) -> list[_Key] | None:
    """The sort keys of a block that is provably sorted and formatted as ruff wants; else None."""
    if not style.sorting:
        return None
    keys: list[_Key] = []
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
        if i:
            blank = [line for line in stmt.leading_lines if line.comment is None]
            leading = stmt.leading_lines
            if key[0] != keys[-1][0]:
                if len(blank) != 1 or leading[0].comment is not None:
                    return None
            elif blank:
                return None
        keys.append(key)
    return keys


def insert_sorted(
    block: Sequence[cst.BaseStatement],
    new: Sequence[cst.SimpleStatementLine],
    style: ImportStyle,
    prefix: Sequence[cst.EmptyLine] = (),
) -> list[cst.SimpleStatementLine] | None:
    """The block with ``new`` at their sorted places (new statements reprinted as ruff prints
    them), blank lines between sections only (``prefix``: the lines above an empty block); None when the block is not provably sorted or a new
    statement is one the model cannot place (then the caller keeps today's placement)."""
    keys = block_keys(block, style)
    if keys is None:
        return None
    entries: list[tuple[_Key, cst.SimpleStatementLine, list[cst.EmptyLine]]] = []
    for i, stmt in enumerate(block):
        assert isinstance(stmt, cst.SimpleStatementLine)
        before, comments = _split_leading(stmt.leading_lines)
        if i == 0:
            prefix = before
        entries.append((keys[i], stmt, comments))
    taken = {k for k, _, _ in entries}
    froms = {_merges(s.body[0]) for _, s, _ in entries if isinstance(s.body[0], cst.ImportFrom)}
    for stmt in [piece for s in new for piece in _one_per_module(s)]:
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
    entries.sort(key=lambda e: e[0])
    out: list[cst.SimpleStatementLine] = []
    for i, (key, stmt, comments) in enumerate(entries):
        if i == 0:
            sep = prefix
        elif key[0] != entries[i - 1][0][0]:
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


def _one_per_module(stmt: cst.SimpleStatementLine) -> list[cst.SimpleStatementLine]:
    """``import a, b`` as ruff prints it: one line per module (when it has no comments)."""
    imp = sole_import(stmt)
    if not isinstance(imp, cst.Import) or len(imp.names) == 1 or has_inner_comments(stmt):
        return [stmt]
    lines = [
        stmt.with_changes(
            body=[imp.with_changes(names=[a.with_changes(comma=cst.MaybeSentinel.DEFAULT)])]
        )
        for a in imp.names
    ]
    return [lines[0], *(line.with_changes(leading_lines=()) for line in lines[1:])]


def _merges(imp: cst.BaseSmallStatement) -> str:
    """Two ``from`` lines of one module ruff would merge (neither has an ``as`` name) share this."""
    assert isinstance(imp, cst.ImportFrom)
    named = not isinstance(imp.names, cst.ImportStar) and any(a.asname for a in imp.names)
    return f"{module_of(imp)} as {id(imp)}" if named else module_of(imp)
