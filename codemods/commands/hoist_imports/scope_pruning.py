"""Resolve libcst's ``ScopeProvider`` over the parts of a module that can matter.

``hoist-imports`` asks scope questions about a handful of names only: the names its candidate
imports bind. A function whose source text never mentions any of them can change no answer
about them: it holds no binding, access, ``global`` or ``nonlocal`` of those names, and the
scopes nested in it are invisible from outside it. Its body is therefore emptied (replaced by
``pass``) while the provider runs, and put back before anything else reads the tree. Node
identity is untouched, so positions, candidates and every other node stay valid.

"Mentions" is textual and errs on the safe side:
- a name counts wherever it appears as a whole word, in code, comments or strings (libcst
  reads string annotations as code);
- a function whose text has a backslash escape that could spell a name (``\\x``, ``\\u``,
  ``\\U``, ``\\N``, octal) inside a string is always kept whole, since libcst evaluates
  string annotations before reading them;
- the text searched runs from the ``def`` line to the end of the body, so the signature is
  searched too; decorators are not, and need not be: they are never emptied.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager

import libcst as cst
from libcst.metadata import CodeRange

from ...cstkit.statements import walk_statements

#: Off only in the tests that prove pruning changes no answer.
ENABLED = True
#: An escape sequence that can produce an identifier character in an evaluated string.
_ESCAPE = re.compile(r"\\[xuUN0-7]")


def _pattern(names: Collection[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
    # ASCII-only boundaries: a name next to any other character still counts as mentioned
    return re.compile(rf"(?<![A-Za-z0-9_])(?:{alternatives})(?![A-Za-z0-9_])")


def prunable(
    module: cst.Module,
    positions: Mapping[cst.CSTNode, CodeRange],
    source: str,
    names: Collection[str],
) -> list[cst.IndentedBlock]:
    """The bodies of the outermost functions whose text mentions none of ``names``."""
    if not ENABLED or not names or not module.body:
        return []
    pattern = _pattern(names)
    lines = source.splitlines(keepends=True)
    if positions[module.body[-1]].end.line > len(lines):
        return []  # not this module's source: nothing can be proved
    found: list[cst.IndentedBlock] = []

    def text(node: cst.CSTNode) -> str:
        where = positions[node]
        return "".join(lines[where.start.line - 1 : where.end.line])

    # depth first, in source order; a stack, as a closure calling itself is a reference cycle
    stack = [walk_statements(module, enter_defs=False)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            continue
        if not isinstance(node, cst.FunctionDef | cst.ClassDef):
            continue
        if isinstance(node, cst.FunctionDef) and isinstance(node.body, cst.IndentedBlock):
            seen = text(node)
            if not pattern.search(seen) and not _ESCAPE.search(seen):
                found.append(node.body)
                continue
        stack.append(walk_statements(node.body, enter_defs=False))
    return found


@contextmanager
def emptied(blocks: Sequence[cst.IndentedBlock]) -> Iterator[None]:
    """Replace each block's statements by ``pass`` for the duration, then restore them.

    libcst nodes are frozen dataclasses; the swap goes around that on purpose, so that every
    other node keeps its identity (and its already resolved position)."""
    saved = [(block, block.body) for block in blocks]
    try:
        for block, _ in saved:
            object.__setattr__(block, "body", (cst.SimpleStatementLine(body=[cst.Pass()]),))
        yield
    finally:
        for block, body in saved:
            object.__setattr__(block, "body", body)
