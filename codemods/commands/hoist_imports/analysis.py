"""The analysis behind ``hoist-imports``: which imports at the top of a function body can move
to the module's import block, and a user-facing reason for every import left in place.

One walk over the module collects the candidates (and records skips for imports in nested
blocks and class bodies); each candidate then goes through the checks of :meth:`Planner.why_not`
in order, the first failing one giving the skip reason. Names are resolved with libcst's
``ScopeProvider``, plus the bindings it does not record (``del``, ``match`` captures, walrus
targets inside comprehensions, ``global``/``nonlocal`` declarations).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import libcst as cst

from ...imports.nodes import (
    Binding,
    bindings,
    has_import,
    is_type_checking,
    sole_import,
)
from .candidate import Candidate
from .copies import link_copies, settle
from .insertion import child_blocks
from .reasons import Reasons
from .rules import (
    block_label,
)

_KIND = {cst.If: "if", cst.For: "for", cst.While: "while", cst.With: "with", cst.Match: "match"}
CLASS_BODY = "in a class body (the import binds a class attribute)"


@dataclass(frozen=True)
class _Ctx:
    fn: cst.FunctionDef | None
    name: str
    depth: int
    #: The skip reason for an import met here (None: at the top of a function, or module level).
    reason: str | None
    guard: str | None


class Planner(Reasons):
    """Walks the module once; records skips on the codemod; :meth:`plan` returns the survivors."""

    def plan(self) -> list[Candidate]:
        try:
            self.walk(self.module.body, _Ctx(None, "", 0, None, None))
            self.by_imp = {id(c.imp): c for c in self.candidates}
            link_copies(self)
            survivors = self.checked()
            survivors = settle(self, self.drop_conflicting(survivors))
            return sorted(survivors, key=lambda c: (c.depth, c.line))
        finally:
            # ``Shadows`` holds methods of this planner: a cycle that would keep the tree for
            # the garbage collector once the file is done (it is made again if asked again)
            self.__dict__.pop("_shadows", None)

    def walk(self, stmts: Sequence[cst.BaseStatement], ctx: _Ctx) -> None:
        for stmt in stmts:
            if isinstance(stmt, cst.FunctionDef):
                self.walk_function(stmt, ctx)
            elif isinstance(stmt, cst.ClassDef):
                name = f"{ctx.name}.{stmt.name.value}" if ctx.name else stmt.name.value
                inner = replace(ctx, name=name, reason=CLASS_BODY)
                if isinstance(stmt.body, cst.IndentedBlock):
                    self.walk(stmt.body.body, inner)
                elif has_import(stmt.body):
                    self.skip(stmt, CLASS_BODY)
            elif has_import(stmt):
                if ctx.reason is not None:
                    self.skip(stmt, ctx.reason)
            elif isinstance(stmt, cst.BaseCompoundStatement):
                self.walk_compound(stmt, ctx)

    def walk_compound(self, stmt: cst.BaseCompoundStatement, ctx: _Ctx) -> None:
        kind = _KIND.get(type(stmt), "try")
        checking = isinstance(stmt, cst.If) and is_type_checking(stmt.test)
        for block, where in child_blocks(stmt):
            if checking and where == "body":
                guard = "defined under `if TYPE_CHECKING`"
                reason = "under `if TYPE_CHECKING` (not imported at runtime)"
            else:
                label = block_label(kind, where)
                guard = f"defined {label} (line {self.line(stmt)})"
                reason = label
            keep = ctx.fn is None or ctx.reason is not None  # module level / class body / nested
            self.walk(
                block, replace(ctx, reason=ctx.reason if keep else reason, guard=ctx.guard or guard)
            )

    def walk_function(self, fn: cst.FunctionDef, ctx: _Ctx) -> None:
        name = f"{ctx.name}.{fn.name.value}" if ctx.name else fn.name.value
        inner = _Ctx(fn, name, ctx.depth + 1, None, ctx.guard)
        if not isinstance(fn.body, cst.IndentedBlock):
            if has_import(fn.body):
                self.skip(fn, "on the same line as its `def`")
            return
        body = list(fn.body.body)
        for index, stmt in enumerate(body):
            if has_import(stmt):
                self.add(stmt, inner, body[:index], None)
            elif isinstance(stmt, cst.Try | cst.TryStar):
                self.walk_try(stmt, inner, body[:index])
            else:
                self.walk([stmt], inner)

    def walk_try(
        self, node: cst.Try | cst.TryStar, ctx: _Ctx, before: list[cst.BaseStatement]
    ) -> None:
        if not isinstance(node.body, cst.IndentedBlock):
            if has_import(node.body):
                self.skip(node, "on the same line as its `try:`")
        else:
            body = list(node.body.body)
            for index, stmt in enumerate(body):
                if has_import(stmt):
                    self.add(stmt, ctx, before + body[:index], node)
                else:
                    self.walk([stmt], ctx)
        for block, where in child_blocks(node)[1:]:
            label = block_label("try", where)
            self.walk(
                block,
                replace(
                    ctx,
                    reason=label,
                    guard=ctx.guard or f"defined {label} (line {self.line(node)})",
                ),
            )

    def add(
        self,
        stmt: cst.BaseStatement,
        ctx: _Ctx,
        before: list[cst.BaseStatement],
        in_try: cst.Try | cst.TryStar | None,
    ) -> None:
        imp = sole_import(stmt)
        if imp is None:
            self.skip(stmt, "shares its line with other statements")
            return
        assert isinstance(stmt, cst.SimpleStatementLine) and ctx.fn is not None
        found = bindings(imp)
        if found is None:
            self.skip(stmt, "star import")
            return
        line, end = self.positions.lines(stmt)
        self.candidates.append(Candidate(
            stmt, imp, found, ctx.fn, ctx.name, ctx.depth, line, end, before,
            in_try, ctx.guard,
        ))  # fmt: skip

    def checked(self) -> list[Candidate]:
        """The candidates that pass :meth:`why_not`; the others are skipped with their reason.

        An unused import held for its side effects goes after all when another import of this
        run moves the same thing to module level (its effects then run there anyway): decided
        in a second pass, so that one run is the fixed point (the next run would find it in the
        import block)."""
        reasons = {id(c): self.why_not(c) for c in self.candidates}
        self.hoisted = [c for c in self.candidates if reasons[id(c)] is None]
        for c in self.candidates:
            if c.side_effects_only and self.hoisted:
                c.unsafe_reason = None
                reasons[id(c)] = self.why_not(c)
        for c in self.candidates:
            if (reason := reasons[id(c)]) is not None:
                self.codemod.skip(c.line, reason)
        return [c for c in self.candidates if reasons[id(c)] is None]

    def drop_conflicting(self, survivors: list[Candidate]) -> list[Candidate]:
        """Two functions importing different things under one name: neither can move."""
        by_name: dict[str, list[tuple[int, Candidate, Binding]]] = {}
        for position, c in enumerate(survivors):
            for b in c.bindings:
                by_name.setdefault(b.bound, []).append((position, c, b))
        mixed = {name for name, found in by_name.items() if len({b for _, _, b in found}) > 1}
        bad: dict[int, str] = {}
        for c in survivors:
            # the first other import (in file order) binding one of c's names differently
            found = min(
                (
                    (position, index, other)
                    for index, b in enumerate(c.bindings)
                    if b.bound in mixed
                    for position, other, o in by_name[b.bound]
                    if other is not c and not b.same_object_as(o)
                ),
                key=lambda t: (t[0], t[1]),
                default=None,
            )
            if found is not None:
                _, index, other = found
                bad[id(c)] = (
                    f"`{c.bindings[index].bound}` is imported differently in function "
                    f"`{other.function}` (line {other.line})"
                )
        for c in survivors:
            if id(c) in bad:
                self.codemod.skip(c.line, bad[id(c)])
        return [c for c in survivors if id(c) not in bad]
