"""The positions libcst's ``PositionProvider`` gives, for a fraction of its cost.

``PositionProvider`` generates the module's code and, for every token, splits it on newlines to
keep a running line and column, and for every node builds two ``CodePosition`` and a
``CodeRange`` (through a generator-based context manager for most of them). On a large module
that costs twice its parse. :func:`positions` generates the code once with a state that records
only the index of the token each node starts and ends at, and turns an index into a line and
column when a node's position is asked for. The ranges are the same, node for node, as
``PositionProvider``'s (``tests/test_positions.py`` compares them on every fixture and on
generated programs).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import accumulate
from types import TracebackType

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange
from libcst.metadata import BaseMetadataProvider, MetadataWrapper
from libcst.metadata.position_provider import NEWLINE_RE as _NEWLINES  # its own newline rule


class _Syntactic:
    """``record_syntactic_position`` as a plain context manager (``PositionProvidingCodegenState``
    uses a generator-based one)."""

    __slots__ = ("end_node", "node", "start", "start_node", "state")

    def __init__(
        self,
        state: _State,
        node: cst.CSTNode,
        start_node: cst.CSTNode | None,
        end_node: cst.CSTNode | None,
    ) -> None:
        self.state = state
        self.node = node
        self.start_node = start_node
        self.end_node = end_node
        self.start = 0

    def __enter__(self) -> None:
        self.start = len(self.state.tokens)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        spans = self.state.spans
        start = spans[self.start_node][0] if self.start_node is not None else self.start
        end = spans[self.end_node][1] if self.end_node is not None else len(self.state.tokens)
        spans[self.node] = (start, end)


class _State(CodegenState):
    """Records, per node, the token indices its syntactic range starts and ends at."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.spans: dict[cst.CSTNode, tuple[int, int]] = {}
        self.stack: list[int] = []

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.stack.append(len(self.tokens))

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.stack.pop()
        if node not in self.spans:  # a syntactic range, recorded during the node's codegen, wins
            self.spans[node] = (start, len(self.tokens))

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> _Syntactic:
        return _Syntactic(self, node, start_node, end_node)

    def pop_trailing_newline(self) -> None:
        # PositionProvider's line and column do not go back when the module drops its last
        # newline, so neither do ours: the token stays.
        pass


class Positions(Mapping[cst.CSTNode, CodeRange]):
    """Node -> ``CodeRange``, computed on first lookup from the recorded token indices."""

    def __init__(self, module: cst.Module) -> None:
        state = _State(module)
        module._codegen(state)
        self._spans = state.spans
        self._tokens = state.tokens
        text = "".join(state.tokens)
        if "\r" in text:
            counts = [len(_NEWLINES.findall(t)) for t in state.tokens]
        else:
            counts = [t.count("\n") for t in state.tokens]
        #: newlines in the tokens before index i
        self._lines = [0, *accumulate(counts)]
        self._ranges: dict[cst.CSTNode, CodeRange] = {}

    def _position(self, index: int) -> CodePosition:
        column = 0
        lines = self._lines
        at = index
        while at > 0 and lines[at] == lines[at - 1]:
            at -= 1  # tokens of the current line
        if at > 0:
            last = _NEWLINES.split(self._tokens[at - 1])[-1]
            column = len(last)
        column += sum(len(t) for t in self._tokens[at:index])
        return CodePosition(lines[index] + 1, column)

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        found = self._ranges.get(node)
        if found is None:
            start, end = self._spans[node]
            found = self._ranges[node] = CodeRange(self._position(start), self._position(end))
        return found

    def line(self, node: cst.CSTNode) -> int:
        """The first line of ``node``, without building its ``CodeRange``."""
        return self._lines[self._spans[node][0]] + 1

    def end_line(self, node: cst.CSTNode) -> int:
        return self._lines[self._spans[node][1]] + 1

    def __contains__(self, node: object) -> bool:
        return node in self._spans

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)


class FastPositionProvider(BaseMetadataProvider[CodeRange]):
    """A drop-in ``PositionProvider``: ``wrapper.resolve(FastPositionProvider)`` and
    ``get_metadata(FastPositionProvider, node)`` answer what ``PositionProvider`` would."""

    def _gen(self, wrapper: MetadataWrapper) -> Mapping[cst.CSTNode, CodeRange]:
        # BaseMetadataProvider._gen copies ``_computed`` into a dict, which would build every
        # node's range up front; the lazy mapping is returned as it is.
        return Positions(wrapper.module)
