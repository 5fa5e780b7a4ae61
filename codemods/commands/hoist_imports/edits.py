"""The tree edits behind ``hoist-imports`` (placed by :mod:`.insertion`): one
transformer pass that removes function-level imports, appends names to existing
``from m import ...`` lines and inserts the new module-level imports.

Comments never get lost, and never move to where they would describe something else: the
comment lines above a function-level import stay in the function, on the next statement of its
block (or the block's ``pass``, or the block's trailing comments). A moved import takes only
the comment on its own line (``# type: ignore``, ``# noqa: ...``: about that line); an import
that is only removed (the module already has it) leaves that one in the function too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

from ...cstkit.path_rebuild import is_a, rebuild
from ...imports.nodes import (
    Binding,
    append_aliases,
    comment_lines,
    has_inner_comments,
    keep_aliases,
    module_text,
    sole_import,
    trailing_comment,
)
from ...imports.order import DEFAULT_STYLE, ImportStyle, reprint
from ...imports.place import (
    block_keys,
    import_run,
    insert_sorted,
    lines_after,
    split_header,
    with_blank,
)
from .insertion import Insertion


@dataclass
class Move:
    """One applied hoist: the function-level statement and the bindings it carries."""

    stmt: cst.SimpleStatementLine
    imp: cst.Import | cst.ImportFrom
    bindings: list[Binding]
    #: Indices of aliases that only repeat an earlier copy in the function: dropped, not moved.
    drop: frozenset[int] = frozenset()
    #: Must stay after the moves before it (it follows an ``import importlib`` in its function):
    #: never merged into an earlier ``from m import ...``.
    after: bool = False


@dataclass
class EditPlan:
    insertion: Insertion
    #: id(removed statement) -> True when its trailing comment travels with an inserted statement
    removed: dict[int, bool] = field(default_factory=dict)
    #: id(existing module-level statement) -> names to append to its ``from m import ...``
    merges: dict[int, list[cst.ImportAlias]] = field(default_factory=dict)
    new: list[cst.SimpleStatementLine] = field(default_factory=list)
    #: id(function-level statement that stays) -> indices of the aliases it keeps
    stripped: dict[int, list[int]] = field(default_factory=dict)
    #: how the project sorts and wraps imports
    style: ImportStyle = DEFAULT_STYLE


def _mergeable(stmt: cst.BaseStatement) -> cst.ImportFrom | None:
    imp = sole_import(stmt)
    if not isinstance(imp, cst.ImportFrom) or isinstance(imp.names, cst.ImportStar):
        return None
    assert isinstance(stmt, cst.SimpleStatementLine)
    if (
        trailing_comment(stmt) is not None
        or has_inner_comments(imp)
        or module_text(imp) == "__future__"
        or any(a.asname is not None for a in imp.names)  # ruff keeps an ``as`` name apart
    ):
        return None
    return imp


def plan_edits(
    module: cst.Module,
    insertion: Insertion,
    prelude: Mapping[str, Sequence[tuple[Binding, cst.SimpleStatementLine]]],
    moves: Sequence[Move],
    style: ImportStyle = DEFAULT_STYLE,
) -> EditPlan:
    """Decide, in file order, what each applied hoist inserts, merges or only removes.
    ``prelude``: the module's imports above the insertion point by bound name
    (``runtime_module_imports``). Names join a ``from`` line of their module only as ruff would
    print them: not under ``force-single-line``, never with an ``as`` name."""
    plan = EditPlan(insertion, style=style)
    # bound name -> the bindings there so far (``satisfied_by`` implies the same bound name)
    present = {name: [b for b, _ in pairs] for name, pairs in prelude.items()}
    targets: dict[str, cst.SimpleStatementLine] = {}
    for stmt in module.body[: insertion.block_end] if not style.single_line else ():
        imp = _mergeable(stmt)
        if imp is not None:
            assert isinstance(stmt, cst.SimpleStatementLine)
            targets.setdefault(module_text(imp), stmt)
    new_targets: dict[str, int] = {}
    for move in moves:
        keep = [
            i
            for i, b in enumerate(move.bindings)
            if i not in move.drop and not any(b.satisfied_by(p) for p in present.get(b.bound, ()))
        ]
        if not keep:
            plan.removed[id(move.stmt)] = False
            continue
        inner = has_inner_comments(move.imp)
        if inner:
            keep = list(range(len(move.bindings)))  # never drop a name its comment may be about
        for i in keep:
            present.setdefault(move.bindings[i].bound, []).append(move.bindings[i])
        kept = keep_aliases(move.imp, keep)
        commented = inner or trailing_comment(move.stmt) is not None
        if (
            not commented
            and not move.after
            and not style.single_line
            and isinstance(kept, cst.ImportFrom)
            and not isinstance(kept.names, cst.ImportStar)
            and all(a.asname is None for a in kept.names)
        ):
            key = module_text(kept)
            extra = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in kept.names]
            plan.removed[id(move.stmt)] = False
            if key in new_targets:
                at = new_targets[key]
                merged = plan.new[at].body[0]
                assert isinstance(merged, cst.ImportFrom)
                plan.new[at] = plan.new[at].with_changes(body=[append_aliases(merged, extra)])
                continue
            if key in targets:
                plan.merges.setdefault(id(targets[key]), []).extend(extra)
                continue
            new_targets[key] = len(plan.new)
        plan.removed[id(move.stmt)] = True
        plan.new.append(move.stmt.with_changes(body=[kept], leading_lines=[]))
    return plan


# -- the transformer -----------------------------------------------------------------------------


def _join(first: list[cst.EmptyLine], second: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """Concatenate two runs of leading lines without doubling the blank line between them."""
    if first and second and first[-1].comment is None and second[0].comment is None:
        while first and first[-1].comment is None:
            first = first[:-1]
    return [*first, *second]


def _strip_blanks(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    result = list(lines)
    while result and result[0].comment is None:
        result.pop(0)
    return result


#: The nodes that can hold a statement. Every edit is to a statement, a block or the module,
#: so the editor does not descend into anything else (expressions are most of a tree).
_HOLDERS = (
    cst.Module, cst.BaseCompoundStatement, cst.BaseSuite, cst.Else, cst.ExceptHandler,
    cst.ExceptStarHandler, cst.Finally, cst.MatchCase,
)  # fmt: skip


#: The fields of a holder that hold statements or other holders.
_STATEMENT_FIELDS = frozenset({"body", "orelse", "handlers", "finalbody", "cases"})


def _on_the_way(node: cst.CSTNode, targets: Collection[int], path: set[int]) -> bool:
    """Add to ``path`` the ids of ``node`` and of the holders under it that hold (at any depth)
    a statement whose id is in ``targets``; True when ``node`` does."""
    found = False
    for name in _STATEMENT_FIELDS:
        value = getattr(node, name, None)
        for child in (
            value if isinstance(value, tuple | list) else () if value is None else (value,)
        ):
            if id(child) in targets or (is_a(type(child), _HOLDERS) and _on_the_way(child, targets, path)):
                found = True
    if found:
        path.add(id(node))
    return found


class _Editor(cst.CSTTransformer):
    #: the classes with a ``leave_*`` hook here (:func:`...cstkit.path_rebuild.rebuild` calls no other)
    LEAVES = (cst.Module, cst.SimpleStatementLine, cst.IndentedBlock)

    def __init__(self, plan: EditPlan, path: set[int]) -> None:
        self.plan = plan
        #: the holders on the way to a removed or stripped statement: the only ones entered
        #: (libcst's transformer rebuilds every node it enters, edited or not)
        self.path = path

    def on_visit(self, node: cst.CSTNode) -> bool:
        # ``leave_*`` still runs for a node whose children are not visited
        return id(node) in self.path and isinstance(node, _HOLDERS) and super().on_visit(node)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        keep = self.plan.stripped.get(id(original_node))
        imp = updated_node.body[0] if keep else None
        if keep and isinstance(imp, cst.Import | cst.ImportFrom):
            return updated_node.with_changes(body=[keep_aliases(imp, keep)])
        return updated_node

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        removed = self.plan.removed
        if not any(id(s) in removed for s in original_node.body):
            return updated_node
        body: list[cst.BaseStatement] = []
        pending: list[cst.EmptyLine] = []
        dropped_first = False
        for original, updated in zip(original_node.body, updated_node.body, strict=True):
            if id(original) in removed:
                assert isinstance(original, cst.SimpleStatementLine)
                dropped_first = dropped_first or not body
                pending = _join(pending, self._left_behind(original, travels=removed[id(original)]))
                continue
            if (pending or (dropped_first and not body)) and isinstance(
                updated, cst.SimpleStatementLine | cst.BaseCompoundStatement
            ):
                leading = _join(pending, updated.leading_lines)
                updated = updated.with_changes(
                    leading_lines=_strip_blanks(leading) if not body else leading
                )
                pending = []
            body.append(updated)
        if not body:
            body.append(cst.SimpleStatementLine([cst.Pass()], leading_lines=_strip_blanks(pending)))
        elif comment_lines(pending):
            return updated_node.with_changes(
                body=body, footer=[*comment_lines(pending), *updated_node.footer]
            )
        return updated_node.with_changes(body=body)

    @staticmethod
    def _left_behind(stmt: cst.SimpleStatementLine, travels: bool) -> list[cst.EmptyLine]:
        lines = list(stmt.leading_lines)  # comments above an import stay in its function
        comment = trailing_comment(stmt)
        # left behind, a trailing comment becomes an own-line one on the statement that follows
        if comment is not None and not travels:
            lines.append(cst.EmptyLine(comment=cst.Comment(comment)))
        return lines

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body = list(updated_node.body)
        at = self.plan.insertion
        style = self.plan.style
        start = import_run(original_node.body, at.index) if at.anchored else at.index
        ordered = bool(self.plan.merges or self.plan.new) and (
            block_keys(original_node.body[start : at.index], style) is not None
        )
        for index, original in enumerate(original_node.body):
            extra = self.plan.merges.get(id(original))
            if extra:
                stmt = body[index]
                assert isinstance(stmt, cst.SimpleStatementLine) and isinstance(
                    stmt.body[0], cst.ImportFrom
                )
                merged = stmt.with_changes(body=[append_aliases(stmt.body[0], extra)])
                body[index] = reprint(merged, style, order=ordered and start <= index < at.index)
        new = [reprint(stmt, style, order=False) for stmt in self.plan.new]
        if not new:
            return updated_node.with_changes(body=body)
        header = list(updated_node.header)
        if ordered and start < at.index:
            if start == 0:  # the comments above the block's first line stay with it
                header, attached = split_header(header)
                body[0] = body[0].with_changes(leading_lines=[*attached, *body[0].leading_lines])
            placed = insert_sorted(body[start : at.index], self.plan.new, style)
            if placed is not None:
                body[start : at.index] = placed
                nxt = body[start + len(placed)] if start + len(placed) < len(body) else None
                if at.after_future and nxt is not None:
                    body[start + len(placed)] = nxt.with_changes(
                        leading_lines=with_blank(nxt.leading_lines, lines_after(nxt))
                    )
                return updated_node.with_changes(body=body, header=header)
        elif ordered:  # no block: the new lines are one of their own
            new = insert_sorted((), self.plan.new, style) or new
        nxt = body[at.index] if at.index < len(body) else None
        if not at.anchored or at.after_future:
            if at.index == 0:
                header, attached = split_header(header)
                if nxt is not None:
                    nxt = nxt.with_changes(leading_lines=[*attached, *nxt.leading_lines])
            else:
                new[0] = new[0].with_changes(leading_lines=with_blank(new[0].leading_lines))
        # the new lines end an import block: a block of their own (no import above them) takes
        # exactly the blank lines ruff wants after it; after the future import, at least those;
        # another block keeps the lines it had
        alone = at.index == 0 or sole_import(original_node.body[at.index - 1]) is None
        if nxt is not None and (alone or at.after_future):
            lines = with_blank(nxt.leading_lines, lines_after(nxt), exact=alone)
            nxt = nxt.with_changes(leading_lines=lines)
        if nxt is not None:
            body[at.index] = nxt
        body[at.index : at.index] = new
        return updated_node.with_changes(body=body, header=header)


def apply_edits(module: cst.Module, plan: EditPlan) -> cst.Module:
    """Apply ``plan``: new imports at their sorted places when the block they join is provably
    sorted (:mod:`...imports.order`), else after its last line."""
    path: set[int] = set()
    _on_the_way(module, {*plan.removed, *plan.stripped}, path)
    editor = _Editor(plan, path)
    result = rebuild(module, editor, editor.on_visit, _Editor.LEAVES, _STATEMENT_FIELDS)
    assert isinstance(result, cst.Module)
    return result
