"""What the author of a function-level import meant, for ``hoist-imports``: a comment saying
the import is local on purpose, statements of the function it runs after, a module-level twin
under ``if TYPE_CHECKING``, and standard-library modules a CPython build may lack. Each check
reads only the statements the planner already holds: no walk of its own beyond the module's
top-level ``if TYPE_CHECKING`` blocks."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import libcst as cst

from ...imports.nodes import bindings, is_docstring, is_type_checking, sole_import, trailing_comment
from .rules import matches

#: Standard-library modules a CPython build leaves out when a third-party library is missing at
#: build time: the table "Requirements for optional modules" of CPython's ``Doc/using/
#: configure.rst`` (3.13 to 3.15), plus ``dbm.gnu``/``dbm.ndbm`` (``--with-dbmliborder``) and
#: the private extension modules behind each, and the modules that only re-export one of them. ``decimal``, ``hashlib`` and ``uuid`` are in that
#: table but fall back to code of their own, so importing them never fails. module -> library.
BUILD_OPTIONAL = {
    "bz2": "libbz2", "_bz2": "libbz2",
    "ctypes": "libffi", "_ctypes": "libffi",
    "lzma": "liblzma", "_lzma": "liblzma",
    "readline": "libreadline or libedit",
    "curses": "ncurses", "_curses": "ncurses", "_curses_panel": "ncurses (panel)",
    "ssl": "OpenSSL", "_ssl": "OpenSSL", "_hashlib": "OpenSSL",
    "sqlite3": "SQLite", "_sqlite3": "SQLite",
    "tkinter": "Tcl/Tk", "_tkinter": "Tcl/Tk", "turtle": "Tcl/Tk", "turtledemo": "Tcl/Tk",
    "idlelib": "Tcl/Tk",
    "zlib": "zlib", "gzip": "zlib", "ensurepip": "zlib",
    "compression.zstd": "zstd", "_zstd": "zstd",
    # re-exports (3.13: ``dbm.sqlite3`` imports ``sqlite3``; 3.14: the ``compression`` package)
    "dbm.sqlite3": "SQLite", "compression.bz2": "libbz2", "compression.gzip": "zlib",
    "compression.lzma": "liblzma", "compression.zlib": "zlib",
    "_uuid": "libuuid",
    "dbm.gnu": "gdbm", "_gdbm": "gdbm", "dbm.ndbm": "ndbm", "_dbm": "ndbm",
}  # fmt: skip

#: Modules of one operating system only, beyond ``hoist_rules.PLATFORM_ONLY``.
MORE_PLATFORM_ONLY = ("_posixsubprocess", "_posixshmem", "_scproxy", "_msi", "msilib")
_BUILD_OPTIONAL = tuple(BUILD_OPTIONAL)


def build_reason(loads: Sequence[str]) -> str | None:
    """Why a module ``loads`` names may be missing from a working Python, if one may be."""
    for name in loads:
        if module := matches(name, _BUILD_OPTIONAL):
            library = BUILD_OPTIONAL[module]
            return (
                f"`{module}` is an optional part of a CPython build (it needs {library} when "
                "Python is built): hoisted, the whole module would fail to import on a Python "
                "built without it"
            )
        if module := matches(name, MORE_PLATFORM_ONLY):
            return f"`{module}` is a platform-only module: hoisting would make the app fail at startup elsewhere"
    return None


# -- comments ------------------------------------------------------------------------------------

#: Words of a comment saying an import is local on purpose. The comment must be about importing:
#: a bare "slow", "heavy" or "optional", or "avoid loading the whole file", is about the code.
LAZY_WORDS = re.compile(
    r"""
    \blaz(?:y|ily|iness)\b | \bdefer(?:s|red|ring|ral)?\b | \bcircular\b
    | \b(?:import|dependency)\s+cycles?\b | \bcyclic\s+(?:import|dependenc)
    | \bstart[- ]?up\s+(?:time|cost|speed|overhead|performance)\b
    | \b(?:fast|faster|quick|quicker|slow|slower)\s+start[- ]?up\b
    | \boptional(?:ly)?\s+(?:dependenc|import|module|package|extra|requirement|install)
    | \bimport[- ](?:time|cost)\b
    | \b(?:import|load)(?:s|ed|ing)?\s+(?:it\s+|them\s+)?(?:here|locally|inside|inline|only|lazily|
        when|on[- ]demand|at\s+(?:run|call)[- ]?time|in\s+(?:the\s+)?function)\b
    | \b(?:local|inline|in-function|function[- ]level|late|delayed)\s+imports?\b
    | \b(?:avoid|prevent)(?:s|ed|ing)?\b.*\bimport
    | \bimport(?:s|ed|ing)?\b.*\b(?:cheap|slow|heavy|expensive|costly)\b
    | \b(?:heavy|expensive|slow|costly)\s+(?:import|module|dependenc)
    | \bimport-outside-toplevel\b
    """,
    re.I | re.X,
)


def _comments(lines: Sequence[cst.EmptyLine]) -> Iterator[str]:
    for line in lines:
        if line.comment is not None:
            yield line.comment.value


def lazy_comment(
    stmt: cst.SimpleStatementLine,
    preceding: Sequence[cst.BaseStatement],
    starts: Sequence[tuple[int, Sequence[str]]],
) -> str | None:
    """The comment on ``stmt``'s line, above it, or above the run of imports it ends (the
    ``preceding`` statements of its function that are imports, back to the first other
    statement) that says the import is local on purpose. ``starts``: (n, comments) for the
    blocks the import is in: those comments (on or above ``def ...:`` / ``try:``) count when
    the run covers the last ``n`` preceding statements, so reaches the start of that block."""
    found = [trailing_comment(stmt), *_comments(stmt.leading_lines)]
    run = 0
    for earlier in reversed(preceding):
        if sole_import(earlier) is None or not isinstance(earlier, cst.SimpleStatementLine):
            break
        run += 1
        found.extend(_comments(earlier.leading_lines))
    for needed, comments in starts:
        if run >= needed:
            found.extend(comments)
    return next((c for c in found if c is not None and LAZY_WORDS.search(c)), None)


def block_comments(node: cst.FunctionDef | cst.Try | cst.TryStar, above: bool) -> list[str]:
    """The comment on the ``def ...:`` / ``try:`` line, and with ``above`` the comments
    above that line."""
    found = list(_comments(node.leading_lines)) if above else []
    if isinstance(node.body, cst.IndentedBlock) and node.body.header.comment is not None:
        found.append(node.body.header.comment.value)
    return found


# -- statements the import runs after ------------------------------------------------------------

_LITERALS = (
    cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString, cst.Name,
    cst.Ellipsis,
)  # fmt: skip


def _inert(expr: cst.BaseExpression | None) -> bool:
    """A literal, a name, or a tuple/list/set/dict of those: evaluating it calls nothing."""
    if expr is None or isinstance(expr, _LITERALS):
        return True
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        return isinstance(expr.expression, cst.Integer | cst.Float | cst.Imaginary)
    if isinstance(expr, cst.Tuple | cst.List | cst.Set):
        return all(isinstance(e, cst.Element) and _inert(e.value) for e in expr.elements)
    if isinstance(expr, cst.Dict):
        return all(
            isinstance(e, cst.DictElement) and _inert(e.key) and _inert(e.value)
            for e in expr.elements
        )
    return False


def _inert_small(small: cst.BaseSmallStatement) -> bool:
    if isinstance(small, cst.Pass | cst.Global | cst.Nonlocal | cst.Import | cst.ImportFrom):
        return True
    if isinstance(small, cst.Expr):  # a docstring, a bare string or ``...``
        return isinstance(small.value, cst.SimpleString | cst.ConcatenatedString | cst.Ellipsis)
    if isinstance(small, cst.Assign):
        return _inert(small.value) and all(isinstance(t.target, cst.Name) for t in small.targets)
    if isinstance(small, cst.AnnAssign):  # a function's annotations are never evaluated
        return isinstance(small.target, cst.Name) and _inert(small.value)
    return False


def effect_before(preceding: Sequence[cst.BaseStatement]) -> cst.BaseStatement | None:
    """The first statement the import runs after that may have an effect: anything but a
    docstring, an import, ``global``/``nonlocal``, ``pass``, and assignments of literals or
    names to plain names. Compound statements (``if``, ``with``, ``def``...) always count."""
    for stmt in preceding:
        if is_docstring(stmt):
            continue
        if not isinstance(stmt, cst.SimpleStatementLine) or not all(
            _inert_small(s) for s in stmt.body
        ):
            return stmt
    return None


# -- TYPE_CHECKING twins -------------------------------------------------------------------------


def type_checking_imports(module: cst.Module) -> dict[str, cst.SimpleStatementLine]:
    """Bound name -> the first import statement binding it under a module-level
    ``if TYPE_CHECKING:`` (nested blocks in it included, ``else`` branches not)."""
    found: dict[str, cst.SimpleStatementLine] = {}
    # a stack, not a nested recursive function: that would be a reference cycle per call
    stack: list[cst.BaseStatement] = []
    for top in module.body:
        checking = isinstance(top, cst.If) and is_type_checking(top.test)
        if checking and isinstance(top.body, cst.IndentedBlock):
            stack.extend(reversed(top.body.body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import | cst.ImportFrom):
                    for b in bindings(small) or []:
                        found.setdefault(b.bound, stmt)
        elif isinstance(stmt, cst.BaseCompoundStatement) and isinstance(
            stmt.body, cst.IndentedBlock
        ):
            stack.extend(reversed(stmt.body.body))
    return found
