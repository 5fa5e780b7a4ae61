"""libcst's ``MetadataWrapper``, without its empty traversals.

libcst resolves providers in rounds; after a round that computed only non-batchable providers
(our ``FastPositionProvider``) it still walks the whole tree with an empty batch of visitors.
On a large module that walk costs about a third of a parse, for nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst import BatchableCSTVisitor, MetadataWrapper
from libcst._batched_visitor import VisitorMethod


class Wrapper(MetadataWrapper):
    """A ``MetadataWrapper`` that does not copy the module and skips an empty batched visit."""

    def __init__(self, module: cst.Module) -> None:
        # no defensive deep copy: our trees are never reused across wrappers
        super().__init__(module, unsafe_skip_copy=True)

    def visit_batched(
        self,
        visitors: Iterable[BatchableCSTVisitor],
        before_visit: VisitorMethod | None = None,
        after_leave: VisitorMethod | None = None,
    ) -> cst.CSTNode:
        visitors = list(visitors)
        if not visitors and before_visit is None and after_leave is None:
            return self.module
        return super().visit_batched(visitors, before_visit, after_leave)
