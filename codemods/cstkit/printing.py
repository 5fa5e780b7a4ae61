"""Printing the modules of one file without printing again what is already known.

Every codemod that changes a file is followed by a print of the whole module (its output is
the next codemod's input text), and libcst's ``Module.code`` prints every node, about a third
of a parse. The transformers that matter here (hoist-imports, wrap-blocking-calls) rebuild only
the statements they change: every other top-level statement is the very node object it was.
:class:`Printer` keeps the text of each top-level statement it has seen, keyed by the node
object, and prints only the statements it has not:

- the statements of the module as parsed take their text from the source, cut at the lines
  where ``ast`` says each begins, less the blank and comment lines libcst gives it
  (``leading_lines``);
- every statement printed once is remembered for the next print.

The cut is used only when it is proved consistent: the source's lines are counted the same by
both parsers (no lone ``\\r``), the two trees pair statement by statement, the lines a statement
is said to own before its code are blank or comments, its code starts at column 0 and ends
before the next statement's share, and the header and footer come out at libcst's length.
Anything else, and the statements are printed. A statement followed by lines that are neither
its code nor the next statement's (comments closing a body) is printed too. ``ENABLED`` off
prints with ``Module.code``; ``tests/test_printing.py`` compares every statement's cut text with its print on every fixture
and on generated programs, and the codemods' results both ways.
"""

from __future__ import annotations

import ast
import contextlib
from itertools import accumulate

import libcst as cst
from libcst._nodes.internal import CodegenState

from ..astkit.asts import Trees
from .statement_lines import same_kind

#: Off: every module is printed with ``Module.code``.
ENABLED = True


#: What the fast state's ``record_syntactic_position`` returns: a context manager that does nothing.
_NOTHING = contextlib.nullcontext()


class _State(CodegenState):
    """libcst's codegen state, less the cost of ``record_syntactic_position``: libcst makes a
    generator-based context manager that does nothing for most nodes it prints (about a third
    of a print)."""

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> contextlib.nullcontext[None]:
        return _NOTHING


def code_for_node(module: cst.Module, node: cst.CSTNode) -> str:
    """``module.code_for_node(node)``: the same text, printed with :class:`_State`."""
    state = _State(default_indent=module.default_indent, default_newline=module.default_newline)
    node._codegen(state)
    return "".join(state.tokens)


class Printer:
    """Prints ``module`` (read from ``source``) and the modules transformed from it; ``source``
    is read with ``trees`` (the engine's ``ast`` memo; a fresh one by default) when first needed."""

    def __init__(self, source: str, module: cst.Module, trees: Trees | None = None) -> None:
        self._source = source
        self._module = module
        self._trees = Trees() if trees is None else trees
        self._config = (module.default_indent, module.default_newline)
        #: id of a top-level statement -> (the statement, kept alive so its id stays its own;
        #: its text). Seeded from the source on the first print.
        self._texts: dict[int, tuple[cst.BaseStatement, str]] | None = None

    def code(self, module: cst.Module) -> str:
        """``module.code``."""
        if not ENABLED:
            return module.code
        if (
            not module.body
            or not module.has_trailing_newline  # libcst drops the last newline token then
            or (module.default_indent, module.default_newline) != self._config
        ):
            return code_for_node(module, module)
        if self._texts is None:
            self._texts = {
                id(s): (s, text)
                for s, text in source_texts(self._source, self._module, self._trees)
            }
        texts = self._texts
        parts = [code_for_node(module, line) for line in module.header]
        for statement in module.body:
            known = texts.get(id(statement))
            if known is None:  # an id in the table is its statement's: the table keeps it alive
                known = texts[id(statement)] = (statement, code_for_node(module, statement))
            parts.append(known[1])
        parts.extend(code_for_node(module, line) for line in module.footer)
        return "".join(parts)


def source_texts(
    source: str, module: cst.Module, trees: Trees | None = None
) -> list[tuple[cst.BaseStatement, str]]:
    """Each top-level statement of ``module`` (``source`` read by libcst) with its text cut
    from ``source`` (read with ``trees``); empty when the cut cannot be proved consistent (see
    the module doc)."""
    if not module.body or not module.has_trailing_newline or "\r" in source.replace("\r\n", ""):
        return []
    try:
        tree = (Trees() if trees is None else trees).parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    lines = source.split("\n")  # the last item is the text after the final newline: ""
    if lines[-1] != "":
        return []
    #: offset of the start of line n (1-based) at index n - 1
    offsets = [0, *accumulate(len(line) + 1 for line in lines)]
    theirs = iter(tree.body)
    #: (statement, first line of its share, first and last line of its code)
    spans: list[tuple[cst.BaseStatement, int, int, int]] = []
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            others = [next(theirs, None) for _ in statement.body]
            first_node, last_node = others[0], others[-1]
            if first_node is None or last_node is None:
                return []
            first, end = first_node.lineno, last_node.end_lineno or last_node.lineno
            owned = len(statement.leading_lines)
        else:
            other = next(theirs, None)
            if other is None or not same_kind(statement, other):
                return []
            decorators: list[ast.expr] = getattr(other, "decorator_list", [])
            first = decorators[0].lineno if decorators else other.lineno
            end = other.end_lineno or other.lineno
            owned = len(statement.leading_lines)
            if isinstance(statement, cst.FunctionDef | cst.ClassDef) and statement.decorators:
                owned += len(statement.decorators[0].leading_lines)
        start = first - owned
        if start < 1 or end < first or (spans and start <= spans[-1][3]):
            return []
        if not all(_blank_or_comment(lines[n - 1]) for n in range(start, first)):
            return []
        head = lines[first - 1][:1]
        if not head or head.isspace() or head == "#":
            return []
        spans.append((statement, start, first, end))
    if next(theirs, None) is not None or spans[0][1] != len(module.header) + 1:
        return []
    footer = len(lines) - len(module.footer)  # the first footer line, 1-based
    if footer <= spans[-1][3]:
        return []
    bounds = [start for _, start, _, _ in spans] + [footer]
    # Only a statement whose code ends right where the next share begins: libcst gives lines
    # after a statement's code to the blocks that close it (comments ending a body) and, in
    # one case, drops one (a blank line before an indented comment at the end of the file is
    # not printed again); such a statement is printed, and so prints as libcst does.
    return [
        (statement, source[offsets[bounds[i] - 1] : offsets[bounds[i + 1] - 1]])
        for i, (statement, _, _, end) in enumerate(spans)
        if bounds[i + 1] == end + 1
    ]


def _blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")
