"""A model of ruff's isort rules (``I001``), to place added imports so ruff stays content.

A model of ruff's default isort order, used only to *prove* a block sorted: sections (future,
standard library, third party, first party, relative) separated by one blank line; in each,
``import x`` lines before ``from x import ...`` lines; modules compared case-insensitively in
natural order (digit runs as numbers), then case-sensitively; names of a ``from`` import by
type (``CONSTANT``, ``Class``, ``variable``), then the same way. Each statement must also be
printed as ruff prints it (one module per ``import``, the single-line form when it fits in the
line length, else one name per line in parentheses with a trailing comma, which a magic trailing
comma keeps). A block that is not provably sorted (anything the model does not know: ``import
a, b``, a duplicate module, a section it cannot name, a leading zero in a number) keeps today's
placement: the new imports after its last line. The placement itself: :mod:`.place`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node

from .nodes import has_inner_comments, sole_import

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
    #: ruff's probable view of a top-level name (first party by its ``src`` roots), None when
    #: ruff may decide either way; a module outside ``first_party`` and the standard library
    #: has a section only when this and ``is_first`` agree.
    ruff_first: Callable[[str], bool | None] | None = None
    #: ruff's view of a top-level name from the directory it most plausibly runs in (first
    #: party or not), None when that directory is not known: which of the sections left open
    #: is tried first (:func:`open_sections`), never a section by itself
    ruff_home: Callable[[str], bool] | None = None
    #: False when the project configures isort options this model does not follow.
    sorting: bool = True
    #: ``force-single-line``: never add a name to an existing ``from`` line.
    single_line: bool = False
    #: One interpretation being tried (:mod:`.place`): a section for each top-level name
    #: the views above leave open (see :func:`open_sections`).
    assumed: tuple[tuple[str, int], ...] = ()


DEFAULT_STYLE = ImportStyle()

Key = tuple[object, ...]


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


def _name_key(text: str) -> Key | None:
    lower, exact = _natural(text.lower()), _natural(text)
    return None if lower is None or exact is None else (lower, exact)


def _optional(text: str) -> Key | None:
    if not text:
        return ((0,),)
    key = _name_key(text)
    return None if key is None else ((1,), key)


def member_key(name: str, asname: str) -> Key | None:
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
    for name, assumed in style.assumed:
        if name == top:
            return assumed
    if top in _VERSION_DEPENDENT:
        return None
    if top in style.first_party:  # known-first-party, the same package: first in ruff too
        return FIRST
    ours = style.is_first(top) if style.is_first is not None else None
    if top in _STDLIB:
        return None if ours else STDLIB
    theirs = style.ruff_first(top) if style.ruff_first is not None else None
    if ours is None or theirs is None or ours != theirs:
        return None  # unknown, or ruff's project root may see it otherwise
    return FIRST if ours else THIRD


def open_sections(
    imp: cst.Import | cst.ImportFrom, style: ImportStyle
) -> tuple[str, tuple[int, ...]] | None:
    """The top-level name of an import whose section ruff decides by what the model cannot see,
    and the sections ruff may give it: first or third party by its project root (with no ruff
    config: the directory it runs in), and for a standard-library module that some supported
    Python lacks, also the standard library (by its target version). None when the section is
    known, or open in a way the model does not follow (a component module that shadows the
    standard library).

    The most plausible section comes first: first party for a name ruff sees as first party
    from the directory it most plausibly runs in (the repository's root, else the project's;
    when neither is known, for a module of the component), else the standard library for a
    standard-library module (ruff 0.17 with no target version configured calls each of them
    standard library), else third party."""
    if isinstance(imp, cst.ImportFrom) and imp.relative:
        return None
    name = module_of(imp) if isinstance(imp, cst.ImportFrom) else _alias(imp.names[0])[0]
    top = name.split(".")[0]
    if top == "__future__" or not top or section(imp, style) is not None:
        return None
    if top in _VERSION_DEPENDENT:
        order: tuple[int, ...] = (STDLIB, THIRD, FIRST)
    elif top in _STDLIB:
        return None
    else:
        order = (THIRD, FIRST)
    view = style.ruff_home if style.ruff_home is not None else style.is_first
    if view is not None and view(top):
        order = (FIRST, *(sec for sec in order if sec != FIRST))
    return top, order


def sort_key(imp: cst.Import | cst.ImportFrom, style: ImportStyle) -> Key | None:
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


class _Comments(cst.CSTVisitor):
    def __init__(self) -> None:
        self.count = 0

    def visit_Comment(self, node: cst.Comment) -> None:
        self.count += 1


def alias_comments(imp: cst.ImportFrom) -> tuple[str, list[str]] | None:
    """The comment after the opening parenthesis (``""`` for none), which ruff prints there,
    and the comment after each name's comma (``""`` for none), which ruff keeps with its name;
    None when a comment sits anywhere else inside the statement."""
    if isinstance(imp.names, cst.ImportStar):
        return "", []
    head = ""
    if imp.lpar is not None and isinstance(imp.lpar.whitespace_after, cst.ParenthesizedWhitespace):
        first = imp.lpar.whitespace_after.first_line.comment
        head = first.value if first is not None else ""
    found: list[str] = []
    for alias in imp.names:
        ws = alias.comma.whitespace_after if isinstance(alias.comma, cst.Comma) else None
        comment = ws.first_line.comment if isinstance(ws, cst.ParenthesizedWhitespace) else None
        found.append(comment.value if comment is not None else "")
    counter = _Comments()
    imp.visit(counter)
    return (head, found) if counter.count == sum(1 for c in [head, *found] if c) else None


def render(
    imp: cst.Import | cst.ImportFrom,
    comment: str | None,
    style: ImportStyle,
    wrap: bool = False,
    comments: Sequence[str] = (),
    trailing: str = "",
) -> str | None:
    """The statement as ruff's isort prints it (``wrap``: a magic trailing comma keeps it
    wrapped; ``comments``: one per name of a ``from`` import, which keep it wrapped too;
    ``trailing``: the comment after a wrapped import's ``)``, printed there, or at the end of
    the single line, after ``comment``); None for a form the model does not print (several
    modules in one ``import``)."""
    tail = f"  {comment}" if comment else ""
    end = f"  {trailing}" if trailing else ""
    if isinstance(imp, cst.Import):
        if len(imp.names) != 1:
            return None
        return f"import {_names_text([_alias(imp.names[0])])[0]}{tail}{end}"
    head = f"from {module_of(imp)} import "
    if isinstance(imp.names, cst.ImportStar):
        return f"{head}*{tail}{end}"
    names = _names_text([_alias(a) for a in imp.names])
    single = head + ", ".join(names) + tail + end
    if not wrap and not any(comments) and len(single) <= style.line_length:
        return single
    after = [f"  {c}" if c else "" for c in comments] or [""] * len(names)
    lines = "".join(f"    {n},{c}\n" for n, c in zip(names, after, strict=True))
    return f"{head}({tail}\n{lines}){end}"


def magic_comma(imp: cst.ImportFrom) -> bool:
    return (
        not isinstance(imp.names, cst.ImportStar)
        and imp.lpar is not None
        and isinstance(imp.names[-1].comma, cst.Comma)
    )


def _comment(stmt: cst.SimpleStatementLine) -> str | None:
    comment = stmt.trailing_whitespace.comment
    return comment.value if comment is not None else None


def _ends(stmt: cst.SimpleStatementLine) -> tuple[str | None, str]:
    """The comment at the end of the statement's line, as ruff reads it: on a one-line
    statement one to print at the end of that line (or, wrapped, after ``(``); after the ``)``
    of a statement on several lines, one that stays after the ``)`` (``trailing``). (comment,
    trailing)."""
    comment = _comment(stmt)
    if comment is not None and "\n" in _code(stmt):
        return None, comment
    return comment, ""


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
    (comment, trailing), comments = _ends(stmt), list[str]()
    if isinstance(imp, cst.ImportFrom):
        found = alias_comments(imp)
        if found is None or (found[0] and comment):
            return False
        comment, comments = found[0] or comment, found[1]
    wrap = isinstance(imp, cst.ImportFrom) and magic_comma(imp)
    text = render(imp, comment, style, wrap, comments, trailing)
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
    comment, trailing = _ends(stmt)
    text = render(imp.with_changes(names=names), comment, style, magic_comma(imp), (), trailing)
    if text is None or (not order and ("\n" not in text or "\n" in _code(stmt))):
        return stmt
    parsed = cst.parse_statement(text + "\n")
    assert isinstance(parsed, cst.SimpleStatementLine)
    return parsed.with_changes(leading_lines=stmt.leading_lines)
