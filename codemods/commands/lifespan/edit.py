"""Applies the ``lifespan`` codemod's :class:`~codemods.commands.lifespan.plan.Edits` in one pass.

Edits are keyed by the line numbers the plan was made from; ``PositionProvider`` on the same
tree finds the nodes. Module-level statements are only deleted or inserted in
:meth:`Editor.leave_Module`, so the original and updated bodies line up by index there.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper

from ...cstkit.metadata import Wrapper
from ...cstkit.positions import FastPositionProvider
from ...imports.add import add_imports
from ...imports.order import DEFAULT_STYLE, ImportStyle, canonical, reprint
from .actions import Edits, Spec, Step

_BLANK = cst.EmptyLine(indent=False)


def render(spec: Spec, indent: str) -> str:
    """The source of the lifespan function (moved statements are added as nodes later)."""

    def step(s: Step) -> list[str]:
        return [f"if {s.flag}:", indent + s.code] if s.flag else [s.code]

    body = [line for s in spec.startup for line in step(s)]
    inner = (
        [f"async with {spec.wrap} as {spec.state}:", f"{indent}yield {spec.state}"]
        if spec.wrap
        else ["yield"]
    )
    if spec.shutdown:
        body += ["try:", *(indent + line for line in inner), "finally:"]
        body += [indent + line for s in spec.shutdown for line in step(s)]
    else:
        body += inner
    param = f"{spec.param}: {spec.annotation}" if spec.annotation else spec.param
    head = [f"@{spec.acm}", f"async def {spec.name}({param}):"]
    return "\n".join([*head, *(indent + line for line in body)]) + "\n"


def apply_edits(module: cst.Module, edits: Edits, style: ImportStyle = DEFAULT_STYLE) -> cst.Module:
    wrapper = Wrapper(module)
    editor = Editor(edits, wrapper, style)
    result = wrapper.module.visit(editor)
    if edits.import_acm:
        result = add_imports(result, [("contextlib", "asynccontextmanager")], style)
    return result


def _comment_lines(node: cst.SimpleStatementLine) -> list[cst.EmptyLine]:
    """The leading lines of a deleted statement, plus its trailing comment on a line of its own."""
    lines = list(node.leading_lines)
    comment = node.trailing_whitespace.comment
    if comment is not None:
        lines.append(cst.EmptyLine(comment=comment))
    return lines


def _cap_blank_lines(lines: Sequence[cst.EmptyLine], limit: int = 2) -> list[cst.EmptyLine]:
    out: list[cst.EmptyLine] = []
    run = 0
    for line in lines:
        run = run + 1 if line.comment is None else 0
        if run <= limit:
            out.append(line)
    return out


class Editor(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (FastPositionProvider,)

    def __init__(
        self, edits: Edits, wrapper: MetadataWrapper, style: ImportStyle = DEFAULT_STYLE
    ) -> None:
        super().__init__()
        self.edits = edits
        self.style = style
        self.positions = wrapper.resolve(FastPositionProvider)
        self.config = wrapper.module.config_for_parsing
        self.indent = wrapper.module.default_indent
        self.depth = 0

    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    def statement(self, code: str) -> cst.BaseStatement:
        return cst.parse_statement(code, config=self.config)

    # -- nested edits -----------------------------------------------------------------------

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        decorators: list[cst.Decorator] = []
        carried: list[cst.EmptyLine] = []
        for original, updated in zip(
            original_node.decorators, updated_node.decorators, strict=True
        ):
            if self.line(original) in self.edits.remove_decorators:
                carried += [line for line in updated.leading_lines if line.comment is not None]
                continue
            decorators.append(
                updated.with_changes(leading_lines=[*carried, *updated.leading_lines])
            )
            carried = []
        node = updated_node.with_changes(
            decorators=decorators,
            lines_after_decorators=[*carried, *updated_node.lines_after_decorators],
        )
        flags = self.edits.flag_after_def.get(self.line(original_node), [])
        if not flags:
            return node
        statements = [self.statement(f"{flag} = True\n") for flag in flags]
        statements[0] = statements[0].with_changes(leading_lines=[_BLANK])
        return cst.FlattenSentinel([node, *statements])

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        line = self.line(original_node)
        if line in self.edits.flag_statements:
            flag = self.edits.flag_statements[line]
            small = cst.parse_statement(f"{flag} = True\n", config=self.config)
            assert isinstance(small, cst.SimpleStatementLine)
            return updated_node.with_changes(body=small.body)
        if line in self.edits.call_edits:
            return self._edit_creation(updated_node, self.edits.call_edits[line])
        if line in self.edits.import_names:
            extended = self._extend_import(updated_node, self.edits.import_names[line])
            # in ruff's order when it was (so the block stays sorted), wrapped when too long
            return reprint(extended, self.style, order=canonical(original_node, self.style))
        return updated_node

    def _edit_creation(
        self, node: cst.SimpleStatementLine, lifespan: str | None
    ) -> cst.SimpleStatementLine:
        stmt = node.body[0]
        assert isinstance(stmt, cst.Assign | cst.AnnAssign) and isinstance(stmt.value, cst.Call)
        call = edit_call(stmt.value, lifespan)
        return node.with_changes(body=[stmt.with_changes(value=call), *node.body[1:]])

    def _extend_import(
        self, node: cst.SimpleStatementLine, names: list[tuple[str, str | None]]
    ) -> cst.SimpleStatementLine:
        stmt = node.body[0]
        assert isinstance(stmt, cst.ImportFrom) and not isinstance(stmt.names, cst.ImportStar)
        aliases = list(stmt.names)
        trailing = aliases[-1].comma
        between: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace(" ")
        if len(aliases) > 1 and isinstance(aliases[-2].comma, cst.Comma):
            between = aliases[-2].comma.whitespace_after
        elif stmt.lpar is not None and isinstance(trailing, cst.Comma):
            between = stmt.lpar.whitespace_after
        comma = cst.Comma(whitespace_after=between)
        aliases[-1] = aliases[-1].with_changes(comma=comma)
        for i, (name, alias) in enumerate(names):
            asname = cst.AsName(name=cst.Name(alias)) if alias else None
            end = i == len(names) - 1
            aliases.append(
                cst.ImportAlias(
                    name=cst.Name(name), asname=asname, comma=trailing if end else comma
                )
            )
        return node.with_changes(body=[stmt.with_changes(names=aliases), *node.body[1:]])

    # -- module-level insertions and removals --------------------------------------------------

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        by_line = {
            self.line(s): s for s in original_node.body if isinstance(s, cst.SimpleStatementLine)
        }
        body: list[cst.BaseStatement] = []
        carried: list[cst.EmptyLine] = []
        moved_lines = {line for lines in self.edits.moved.values() for line in lines}
        for original, new in zip(original_node.body, updated_node.body, strict=True):
            line = self.line(original)
            updated: cst.BaseStatement = new
            if line in self.edits.remove_statements and isinstance(
                updated, cst.SimpleStatementLine
            ):
                if line in moved_lines:  # its comments move with it, into the lifespan
                    carried += [e for e in updated.leading_lines if e.comment is None]
                else:
                    carried += _comment_lines(updated)
                continue
            inserted = self._inserted(line, by_line)
            if inserted:
                updated = self._place(updated, inserted, carried, first=not body)
            elif carried:
                lines = [*carried, *getattr(updated, "leading_lines", [])]
                updated = updated.with_changes(leading_lines=_cap_blank_lines(lines))
            carried = []
            body += [*inserted, updated]
        comments = [line for line in carried if line.comment is not None]
        footer = [*comments, *updated_node.footer] if comments else updated_node.footer
        return updated_node.with_changes(body=body, footer=footer)

    def _inserted(
        self, line: int, by_line: dict[int, cst.SimpleStatementLine]
    ) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = []
        for flag in self.edits.flag_defaults.get(line, []):
            out.append(self.statement(f"{flag} = False\n"))
        spec = self.edits.lifespans.get(line)
        if spec is not None:
            func = self.statement(render(spec, self.indent))
            assert isinstance(func, cst.FunctionDef) and isinstance(func.body, cst.IndentedBlock)
            moved = [
                by_line[m].with_changes(
                    leading_lines=[e for e in by_line[m].leading_lines if e.comment is not None]
                )
                for m in self.edits.moved.get(line, [])
            ]
            out.append(
                func.with_changes(body=func.body.with_changes(body=[*moved, *func.body.body]))
            )
        return out

    @staticmethod
    def _place(
        node: cst.BaseStatement,
        inserted: list[cst.BaseStatement],
        carried: list[cst.EmptyLine],
        first: bool,
    ) -> cst.BaseStatement:
        """Share ``node``'s leading lines with the statements inserted before it.

        A lifespan def gets the blank lines (two, PEP 8) and the statement keeps its comments;
        flag initialisations take the statement's blank lines and comments.
        """
        original: list[cst.EmptyLine] = list(getattr(node, "leading_lines", []))
        head = inserted[0]
        if isinstance(head, cst.FunctionDef):
            split = next(
                (i for i, line in enumerate(original) if line.comment is not None), len(original)
            )
            blank = [] if first and not carried else [_BLANK, _BLANK]
            inserted[0] = head.with_changes(leading_lines=_cap_blank_lines([*carried, *blank]))
            return node.with_changes(leading_lines=[_BLANK, _BLANK, *original[split:]])
        assert isinstance(head, cst.SimpleStatementLine)
        inserted[0] = head.with_changes(leading_lines=_cap_blank_lines([*carried, *original]))
        return node.with_changes(leading_lines=[])


def edit_call(call: cst.Call, lifespan: str | None) -> cst.Call:
    """Drop ``on_startup=``/``on_shutdown=``; set ``lifespan=`` (replacing or adding it)."""
    args = list(call.args)
    value = cst.parse_expression(lifespan) if lifespan else None
    existing = next(
        (i for i, a in enumerate(args) if a.keyword and a.keyword.value == "lifespan"), None
    )
    drop = [
        i
        for i, a in enumerate(args)
        if a.keyword and a.keyword.value in ("on_startup", "on_shutdown")
    ]
    if value is not None:
        if existing is not None:
            args[existing] = args[existing].with_changes(value=value)
        elif drop:
            first = drop.pop(0)
            args[first] = args[first].with_changes(keyword=cst.Name("lifespan"), value=value)
        else:
            args = _append_keyword(call, args, "lifespan", value)
    for index in reversed(drop):
        if index == len(args) - 1 and index > 0:
            args[index - 1] = args[index - 1].with_changes(comma=args[index].comma)
        del args[index]
    return call.with_changes(args=args)


def _append_keyword(
    call: cst.Call, args: list[cst.Arg], name: str, value: cst.BaseExpression
) -> list[cst.Arg]:
    new = cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    if not args:
        return [new]
    last = args[-1]
    between: cst.BaseParenthesizableWhitespace = call.whitespace_before_args
    if len(args) > 1 and isinstance(args[-2].comma, cst.Comma):
        between = args[-2].comma.whitespace_after
    if not isinstance(between, cst.ParenthesizedWhitespace):
        between = cst.SimpleWhitespace(" ")
    if isinstance(last.comma, cst.Comma):
        args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=between))
        return [*args, new.with_changes(comma=last.comma)]
    args[-1] = last.with_changes(
        comma=cst.Comma(whitespace_after=between), whitespace_after_arg=cst.SimpleWhitespace("")
    )
    return [*args, new.with_changes(whitespace_after_arg=last.whitespace_after_arg)]
