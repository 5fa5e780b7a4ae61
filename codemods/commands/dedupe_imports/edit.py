"""The edit behind ``dedupe-imports``: remove chosen import aliases in one transformer pass,
keeping commas, parentheses and comments sane, and tell beforehand whether a removal would
delete a comment."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import libcst as cst

from .scan import Container, Imp, ImportNode, aliases

#: Comments that only concern the removed line; deleting them does not make a fix unsafe.
_PRAGMA = re.compile(r"#\s*(?:noqa\b|type:\s*ignore\b|pylint:|pragma:|isort:|ruff:|codemod:)", re.I)


def _comments(node: cst.CSTNode) -> Iterator[str]:
    if isinstance(node, cst.Comment):
        yield node.value
    for child in node.children:
        yield from _comments(child)


def _loses_comment(nodes: Sequence[cst.CSTNode]) -> bool:
    return any(not _PRAGMA.match(comment) for node in nodes for comment in _comments(node))


def deletes_comment(imp: Imp, chosen: set[int]) -> bool:
    """Would removing ``imp`` (with the other ``chosen`` aliases) delete a comment?"""
    smalls = imp.container.body
    every = [aliases(s) for s in smalls]
    if all(a is not None and all(id(x) in chosen for x in a) for a in every):
        nodes: list[cst.CSTNode] = list(smalls)
        if isinstance(imp.container, cst.SimpleStatementLine):
            nodes.append(imp.container.trailing_whitespace)
        return _loses_comment(nodes)
    names = imp.small.names
    assert not isinstance(names, cst.ImportStar)
    if all(id(a) in chosen for a in names):
        return _loses_comment([imp.small])
    nodes = [imp.alias]
    rpar = imp.small.rpar if isinstance(imp.small, cst.ImportFrom) else None
    if imp.alias is names[-1] and not isinstance(imp.alias.comma, cst.Comma) and rpar is not None:
        nodes.append(rpar.whitespace_before)
    return _loses_comment(nodes)


def _merge(
    kept: cst.BaseParenthesizableWhitespace, tail: cst.BaseParenthesizableWhitespace
) -> cst.BaseParenthesizableWhitespace:
    """Whitespace after the new last name: its own line (and comment), then the old ending."""
    if not isinstance(kept, cst.ParenthesizedWhitespace):
        return tail
    if isinstance(tail, cst.ParenthesizedWhitespace):
        return tail.with_changes(first_line=kept.first_line, empty_lines=kept.empty_lines)
    return kept.with_changes(indent=True, last_line=tail)


def _drop_aliases(small: ImportNode, remove: set[int]) -> ImportNode | None:
    names = small.names
    assert not isinstance(names, cst.ImportStar)
    kept = [a for a in names if id(a) not in remove]
    if not kept or kept[-1] is names[-1]:
        return small.with_changes(names=kept) if kept else None
    last, new_last = names[-1], kept[-1]
    comma = new_last.comma
    assert isinstance(comma, cst.Comma)
    if isinstance(last.comma, cst.Comma):  # keep the trailing comma
        merged = comma.with_changes(
            whitespace_after=_merge(comma.whitespace_after, last.comma.whitespace_after)
        )
        return small.with_changes(names=[*kept[:-1], new_last.with_changes(comma=merged)])
    changes: dict[str, object] = {
        "names": [*kept[:-1], new_last.with_changes(comma=cst.MaybeSentinel.DEFAULT)]
    }
    rpar = small.rpar if isinstance(small, cst.ImportFrom) else None
    if rpar is not None and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        changes["rpar"] = rpar.with_changes(
            whitespace_before=_merge(comma.whitespace_after, rpar.whitespace_before)
        )
    return small.with_changes(**changes)


def _edit_smalls(
    smalls: Sequence[cst.BaseSmallStatement], remove: set[int]
) -> list[cst.BaseSmallStatement]:
    out: list[cst.BaseSmallStatement] = []
    for small in smalls:
        names = aliases(small)
        if names is not None and any(id(a) in remove for a in names):
            assert isinstance(small, cst.Import | cst.ImportFrom)
            edited = _drop_aliases(small, remove)
            if edited is None:
                continue
            small = edited
        out.append(small)
    last = smalls[-1]
    if out and aliases(last) is not None and all(id(a) in remove for a in aliases(last) or ()):
        out[-1] = out[-1].with_changes(
            semicolon=last.semicolon
        )  # `import os; import os` -> `import os`
    return out


def _has_comment(lines: Sequence[cst.EmptyLine]) -> bool:
    return any(line.comment is not None for line in lines)


class Remover(cst.CSTTransformer):
    """Removes the chosen aliases; a line left empty goes, its own-line comments move on."""

    def __init__(self, remove: set[int]) -> None:
        super().__init__()
        self.remove = remove
        self.dead: dict[int, cst.SimpleStatementLine] = {}

    def _touched(self, node: Container) -> bool:
        return any(id(a) in self.remove for s in node.body for a in aliases(s) or ())

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        if not self._touched(original_node):
            return updated_node
        body = _edit_smalls(original_node.body, self.remove)
        if body:
            return original_node.with_changes(body=body)
        self.dead[id(original_node)] = original_node
        return original_node

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite:
        if not self._touched(original_node):
            return updated_node
        return original_node.with_changes(
            body=_edit_smalls(original_node.body, self.remove) or [cst.Pass()]
        )

    def _rebuild(
        self, body: Sequence[cst.BaseStatement], footer: Sequence[cst.EmptyLine], needs_body: bool
    ) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]] | None:
        if not any(id(s) in self.dead for s in body):
            return None
        out: list[cst.BaseStatement] = []
        # Own-line comments above removed lines move on; so does the blank-line separation
        # before them, when the next statement has none of its own.
        carry: list[cst.EmptyLine] = []
        last_dead: cst.SimpleStatementLine | None = None
        for stmt in body:
            if id(stmt) in self.dead:
                last_dead = self.dead[id(stmt)]
                if _has_comment(last_dead.leading_lines):
                    carry += last_dead.leading_lines
                elif not carry:
                    carry = list(last_dead.leading_lines)
                continue
            assert isinstance(stmt, cst.SimpleStatementLine | cst.BaseCompoundStatement)
            if carry and (_has_comment(carry) or not stmt.leading_lines):
                stmt = stmt.with_changes(leading_lines=[*carry, *stmt.leading_lines])
            carry = []
            out.append(stmt)
        if not out and needs_body and last_dead is not None:
            pass_line = cst.SimpleStatementLine([cst.Pass()], carry, last_dead.trailing_whitespace)
            return [pass_line], list(footer)
        return out, [*carry, *footer] if _has_comment(carry) else list(footer)

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        rebuilt = self._rebuild(updated_node.body, updated_node.footer, needs_body=True)
        return (
            updated_node.with_changes(body=rebuilt[0], footer=rebuilt[1])
            if rebuilt
            else updated_node
        )

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        rebuilt = self._rebuild(updated_node.body, updated_node.footer, needs_body=False)
        return (
            updated_node.with_changes(body=rebuilt[0], footer=rebuilt[1])
            if rebuilt
            else updated_node
        )
