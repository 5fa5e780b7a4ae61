"""The small libcst editor shared by ``windows-loop-policy`` and ``event-loop-policy``.

Edits are keyed by line (and, for calls, the callee's source) as found by
:func:`~codemods.commands._loop_policy.analysis.analyse_policy` on the same source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper

from ...cstkit.metadata import Wrapper
from ...cstkit.positions import FastPositionProvider
from ...imports.add import add_imports
from ...imports.order import DEFAULT_STYLE, ImportStyle


@dataclass
class PolicyEdits:
    #: Statement line -> statements (source) to insert before it.
    insert_before: dict[int, list[str]] = field(default_factory=dict)
    #: Statement lines to delete (their comments move to the next statement).
    remove: set[int] = field(default_factory=set)
    #: (line, callee source) of a call -> (keyword, value source) to add.
    keywords: dict[tuple[int, str], tuple[str, str]] = field(default_factory=dict)
    #: Modules to ``import`` at the top.
    imports: set[str] = field(default_factory=set)


class _Editor(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (FastPositionProvider,)

    def __init__(self, edits: PolicyEdits, wrapper: MetadataWrapper) -> None:
        super().__init__()
        self.edits = edits
        self.positions = wrapper.resolve(FastPositionProvider)
        self.config = wrapper.module.config_for_parsing
        self.indent = wrapper.module.default_indent

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        key = (
            self.positions[original_node].start.line,
            cst.Module([]).code_for_node(original_node.func),
        )
        if key not in self.edits.keywords:
            return updated_node
        name, value = self.edits.keywords[key]
        args = list(updated_node.args)
        new = cst.Arg(
            value=cst.parse_expression(value),
            keyword=cst.Name(name),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.SimpleWhitespace(""),
            ),
        )
        if args and isinstance(args[-1].comma, cst.Comma):
            return updated_node.with_changes(args=[*args, new.with_changes(comma=args[-1].comma)])
        if args:
            args[-1] = args[-1].with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
        return updated_node.with_changes(args=[*args, new])

    def _body(
        self, original: Sequence[cst.BaseStatement], updated: Sequence[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        body: list[cst.BaseStatement] = []
        carried: list[cst.EmptyLine] = []
        for old, new in zip(original, updated, strict=True):
            line = self.positions[old].start.line
            leading: list[cst.EmptyLine] = list(getattr(new, "leading_lines", []))
            if line in self.edits.remove:
                carried += leading
                if (
                    isinstance(new, cst.SimpleStatementLine)
                    and new.trailing_whitespace.comment is not None
                ):
                    carried.append(cst.EmptyLine(comment=new.trailing_whitespace.comment))
                continue
            inserted = [
                cst.parse_statement(code.format(indent=self.indent), config=self.config)
                for code in self.edits.insert_before.get(line, [])
            ]
            if inserted:
                split = next(
                    (i for i, e in enumerate(leading) if e.comment is not None), len(leading)
                )
                inserted[0] = inserted[0].with_changes(leading_lines=[*carried, *leading[:split]])
                new = new.with_changes(leading_lines=leading[split:])
            elif carried:
                new = new.with_changes(leading_lines=[*carried, *leading])
            carried = []
            body += [*inserted, new]
        return body

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated_node.with_changes(body=self._body(original_node.body, updated_node.body))

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return updated_node.with_changes(body=self._body(original_node.body, updated_node.body))


def apply_policy_edits(
    module: cst.Module, edits: PolicyEdits, style: ImportStyle = DEFAULT_STYLE
) -> cst.Module:
    wrapper = Wrapper(module)
    result = wrapper.module.visit(_Editor(edits, wrapper))
    if edits.imports:
        result = add_imports(result, [(name, None) for name in sorted(edits.imports)], style)
    return result
