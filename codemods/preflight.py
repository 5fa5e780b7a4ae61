"""Checks made before a source text is handed to libcst, and how its parse errors are reported.

libcst's native parser crashes the whole process (a stack overflow, SIGSEGV) on brackets nested
about 1,500 deep or on any other nesting about 5,000 deep (:mod:`codemods.nesting`), and needs a
few KB of memory per syntax node (a 5 MB one-line data literal would take ~8 GB and many
minutes). Python itself refuses brackets nested more than 200 deep, so such input is never a
working program: it is reported as Python reports it, without calling libcst; so is a text whose
nesting makes Python's own parser give up, and one nested deeper than
:data:`~codemods.nesting.MAX_DEPTH` is refused. Everything here is cheap for ordinary files: the
gather phase already read them with ``ast`` and measured their nesting; any other text is read
with ``ast`` here, through the engine's :class:`~codemods.astkit.asts.Trees` (its prefilter has
usually just done so). Text ``ast`` cannot read (syntax newer than the running Python) is not
measured: only libcst reads it, in a process whose crash costs nothing (docs/decisions.md).
"""

from __future__ import annotations

import libcst as cst

from . import nesting
from .astkit import astnodes
from .astkit.asts import Trees
from .types import Failure

#: libcst needs a few KB per syntax node; a file above this many ``ast`` nodes is reported.
MAX_NODES = 400_000
#: Only files longer than this are counted: real code stays well below one node per character.
COUNT_NODES_ABOVE = 512 * 1024
#: A file ``ast`` cannot read cannot be counted; above this size it is not given to libcst.
MAX_UNCOUNTED_CHARS = 2 * 1024 * 1024
#: How Python's tokenizer refuses brackets nested more than 200 deep (its MAXLEVEL).
NESTING_MESSAGE = "too many nested parentheses"
TOO_DEEP_FOR_PYTHON = "too deeply nested: Python's own parser gives up on this file"
_AST_FAILURES = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)


def ast_parses(text: str, trees: Trees, gathered: bool, opaque: bool) -> bool:
    """Whether ``text`` parses with ``ast``; the gather phase's answer when it has one
    (``gathered``: it read this exact text; ``opaque``: it tried to read the file and failed)."""
    if gathered:
        return True
    if opaque:
        return False
    try:
        trees.parse(text)
    except _AST_FAILURES:
        return False
    return True


def check(text: str, trees: Trees, gathered: bool = False) -> Failure | None:
    """The failure to report instead of giving ``text`` to libcst, if any (see the module
    docstring); None when libcst may parse it. ``gathered``: the gather phase read this exact
    text with ``ast``."""
    small = len(text) <= COUNT_NODES_ABOVE
    if small and gathered:
        return None  # read by the gather phase, which refuses a text nested too deeply
    try:
        tree = trees.parse(text)
    except SyntaxError as exc:
        if exc.msg.startswith(NESTING_MESSAGE):
            return Failure("parse", exc.msg, line=exc.lineno)
        tree = None
    except (RecursionError, MemoryError) as exc:
        if len(text) <= MAX_UNCOUNTED_CHARS:  # not a lack of memory: Python's parser gave up
            return Failure("parse", f"{TOO_DEEP_FOR_PYTHON} ({type(exc).__name__})")
        tree = None
    except (ValueError, OverflowError):
        tree = None
    if tree is None:
        if len(text) > MAX_UNCOUNTED_CHARS:
            return Failure("size", f"too large to parse: {len(text):,} characters Python's ast cannot read")
        return None  # libcst decides: it reads newer syntax, or reports the syntax error
    too_deep = nesting.refusal(text, tree)
    if too_deep is not None:
        return Failure("size", too_deep)
    if small:
        return None
    nodes = len(astnodes.nodes(tree))
    if nodes > MAX_NODES:
        return Failure("size", f"too large to transform: {nodes:,} syntax nodes (limit {MAX_NODES:,})")
    return None


def parse_failure(text: str, exc: cst.ParserSyntaxError, trees: Trees) -> Failure:
    """The failure to report for text libcst cannot parse.

    When Python cannot parse it either, Python's message and line are reported: they are what
    the user's own interpreter says (libcst reports the furthest point it reached, e.g. line 2
    for ``def f(:``). When Python can parse it, the file uses something libcst does not read.
    """
    try:
        trees.parse(text)
    except SyntaxError as py:
        line = py.lineno
        if "\0" in text and "null bytes" in py.msg:  # Python gives no line for this one
            line = text.count("\n", 0, text.index("\0")) + 1
        return Failure("parse", py.msg, line=line or exc.raw_line)
    except (ValueError, RecursionError, MemoryError, OverflowError):
        pass
    else:
        return Failure("parse", f"libcst cannot parse this file (Python can): {exc.message}", line=exc.raw_line)
    return Failure("parse", exc.message, line=exc.raw_line)
