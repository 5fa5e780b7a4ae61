"""How deeply a source text nests, and the limit past which it is not given to libcst.

libcst's native parser recurses once per level of nesting. Past about 5,000 levels (``x = 1+1+...``
with 6,000 terms, ``lambda: lambda: ...``, ``not not ...``, an attribute chain, 10,000 ``and``s)
it overflows its stack and the whole process dies (SIGSEGV), after a time quadratic in the depth
(8 s for 5,000 terms). Real code stays far below: the deepest of the 3,852 files of the benchmark
corpus (sympy's ``resolvent_lookup.py``) has 569 levels, and CPython 3.11 and 3.12 themselves
refuse about 3,000 at their default recursion limit. :data:`MAX_DEPTH` leaves a wide margin on
both sides (docs/decisions.md).
"""

from __future__ import annotations

import ast

from .astkit import astnodes

#: The deepest ``ast`` tree given to libcst, in levels (a module of one ``x = 1``: 4).
MAX_DEPTH = 1000


def _longest_bool_op(text: str, tree: ast.AST) -> int:
    """The most operands of one ``and``/``or`` chain: one flat ``ast.BoolOp``, but one more level
    per operand in libcst's tree. Looked for only when the text has enough ``and``/``or``."""
    if text.count("and") + text.count("or") < MAX_DEPTH:
        return 0
    return max(
        (len(n.values) for n in astnodes.nodes(tree) if isinstance(n, ast.BoolOp)), default=0
    )


def refusal(text: str, tree: ast.AST) -> str | None:
    """Why ``text`` (read by ``ast`` as ``tree``) nests too deeply for libcst; None when it does not."""
    levels = max(astnodes.depth(tree), _longest_bool_op(text, tree))
    if levels <= MAX_DEPTH:
        return None
    return f"too deeply nested to transform: {levels:,} levels of nesting (limit {MAX_DEPTH:,})"
