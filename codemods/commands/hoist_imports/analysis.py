"""The analysis behind ``hoist-imports``: which imports at the top of a function body can move
to the module's import block, and a user-facing reason for every import left in place.

One walk over the module collects the candidates (and records skips for imports in nested
blocks and class bodies); each candidate then goes through the checks of :meth:`Planner.why_not`
in order, the first failing one giving the skip reason. Names are resolved with libcst's
``ScopeProvider``, plus the bindings it does not record (``del``, ``match`` captures, walrus
targets inside comprehensions, ``global``/``nonlocal`` declarations).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

import libcst as cst
from libcst.metadata import (
    Access,
    Assignment,
    BaseAssignment,
    ComprehensionScope,
    FunctionScope,
    GlobalScope,
    Scope,
    ScopeProvider,
)

from ...astkit import asts
from ...cstkit.printing import code_for_node
from ...cstkit.statement_lines import LazyPositions
from ...imports.nodes import (
    Binding,
    bindings,
    has_import,
    has_inner_comments,
    import_state_change,
    is_type_checking,
    module_text,
    runtime_module_imports,
    sole_import,
)
from ...project import resolve_relative
from . import isolated as hoist_isolated
from .copies import link_copies, settle
from .deps import checked_for_none, dependency_reason, unconditional_imports
from .effects import Effects
from .insertion import child_blocks, insertion_point
from .intent import (
    block_comments,
    build_reason,
    effect_before,
    lazy_comment,
    type_checking_imports,
)
from .rules import (
    BUILTINS,
    PLATFORM_ONLY,
    REMOVED_IN_313,
    ExtraBindings,
    block_label,
    extra_bindings,
    find_path,
    guard_reason,
    matches,
    with_parents,
)
from .scope_pruning import emptied, prunable
from .shadow import Shadows

if TYPE_CHECKING:
    from ...base import Codemod

_Found = TypeVar("_Found", BaseAssignment, Access)
_KIND = {cst.If: "if", cst.For: "for", cst.While: "while", cst.With: "with", cst.Match: "match"}
CLASS_BODY = "in a class body (the import binds a class attribute)"


@dataclass
class Candidate:
    """An import statement alone on its line at the top of a function body (or of a ``try``
    at the top of one)."""

    stmt: cst.SimpleStatementLine
    imp: cst.Import | cst.ImportFrom
    bindings: list[Binding]
    fn: cst.FunctionDef
    #: Dotted display name, e.g. ``Queue.submit``.
    function: str
    depth: int
    line: int
    end_line: int
    #: Statements of the function that run before the import.
    preceding: list[cst.BaseStatement]
    in_try: cst.Try | cst.TryStar | None
    #: Why the function itself is conditional ("defined under `if` (line 3)"), if it is.
    guard: str | None
    unsafe_reason: str | None = None
    #: held only because it is unused (its side effects): see ``Planner.checked``
    side_effects_only: bool = False
    #: Enclosing-function candidates binding the same object: they must be hoisted first.
    needs: list[tuple[Candidate, str]] = field(default_factory=list)
    #: Other candidates of the same function binding a name of this one to the same object
    #: (``import json`` twice): all of them move, or none. See ``hoist_copies``.
    copies: list[Candidate] = field(default_factory=list)
    #: binding index -> the first copy, for aliases that only repeat it (see ``hoist_copies``)
    echoes: dict[int, Candidate] = field(default_factory=dict)
    #: Earlier imports of the function that touch import state (``import importlib``): this one
    #: moves only if they move too, and then after them (with the reason to give otherwise).
    after: list[tuple[Candidate, str]] = field(default_factory=list)
    #: binding index -> line of the identical module-level import below the import block but
    #: above the function: that alias is dropped, the rest moves (what ``dedupe-imports`` does)
    covered: dict[int, int] = field(default_factory=dict)
    #: Stays whole: suppressed by a comment.
    frozen: bool = False
    #: Echo aliases to remove from this statement, which itself stays.
    strip: list[int] = field(default_factory=list)
    applied: bool = False

    @property
    def own(self) -> list[Binding]:
        """The bindings that are not echoes of an earlier copy: the ones this import decides."""
        return [b for i, b in enumerate(self.bindings) if i not in self.echoes]

    @property
    def moving(self) -> list[Binding]:
        """The bindings this import carries to module level."""
        return [
            b for i, b in enumerate(self.bindings) if i not in self.echoes and i not in self.covered
        ]

    @property
    def pure_echo(self) -> bool:
        return len(self.echoes) == len(self.bindings)


@dataclass(frozen=True)
class _Ctx:
    fn: cst.FunctionDef | None
    name: str
    depth: int
    #: The skip reason for an import met here (None: at the top of a function, or module level).
    reason: str | None
    guard: str | None


class Planner:
    """Walks the module once; records skips on the codemod; :meth:`plan` returns the survivors."""

    def __init__(
        self,
        codemod: Codemod,
        module: cst.Module,
        keep_lazy: Sequence[str],
        pending_imports: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.codemod = codemod
        self.module = module
        self.keep_lazy = tuple(keep_lazy)
        self.pending_imports = pending_imports or {}
        self.wrapper = codemod.wrap(module)
        self.positions = LazyPositions(module, self._tree, codemod.context.source)
        self.insertion = insertion_point(module)
        self.candidates: list[Candidate] = []
        #: the candidates that passed the first pass of ``checked``
        self.hoisted: list[Candidate] = []
        self.extras: dict[cst.CSTNode, ExtraBindings] = {}
        #: (pending, start, target) -> :meth:`path`'s answer
        self._paths: dict[tuple[bool, str, str], tuple[list[str] | None, str | None]] = {}
        self.late_state = self._late_state()

    @cached_property
    def scopes(self) -> Mapping[cst.CSTNode, Scope | None]:
        """libcst's scopes, resolved on first use: most of this codemod's time on large files,
        and not needed when every import is skipped before a name is looked up. Only the names
        the candidates bind are ever looked up, so functions that never mention one are emptied
        while the provider runs (``scope_pruning``)."""
        assert hasattr(self, "by_imp"), "scopes are resolved once every candidate is known"
        names = {b.bound for c in self.candidates for b in c.bindings}
        source = self.codemod.context.source
        with emptied(prunable(self.module, self.positions, source, names)):
            return self.wrapper.resolve(ScopeProvider)

    @cached_property
    def _tree(self) -> ast.Module | None:
        try:
            return asts.parse(self.codemod.context.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None

    @cached_property
    def required_here(self) -> frozenset[str]:
        """Modules the module imports unconditionally in its own body (``hoist_deps``)."""
        return unconditional_imports(self._tree)

    @cached_property
    def _walrus(self) -> bool:
        """Can the source hold a walrus? (searched once, not once per function)"""
        return ":=" in self.codemod.context.source

    @cached_property
    def _isolated(self) -> Mapping[int, tuple[str, frozenset[str]]]:
        if not hoist_isolated.ENABLED or not self._may_be_isolated():
            return {}
        if self._tree is None:
            return {}  # newer syntax than this interpreter's: the scopes answer
        return hoist_isolated.isolated_imports(self._tree)

    def _may_be_isolated(self) -> bool:
        """Does some candidate bind a name that the text mentions only inside its function?
        If not, walking the module's ``ast`` tree for isolated names would be wasted (most
        names in large packages are imported by many functions)."""
        names = {b.bound for c in self.candidates for b in c.bindings}
        if not names:
            return False
        lines = hoist_isolated.mention_lines(self.codemod.context.source, names)
        for c in self.candidates:
            # the lines of its code: a mention in a comment closing the body counts as outside
            first, last = self.positions.code_lines(c.fn)
            for b in c.bindings:
                if all(first <= n <= last for n in lines.get(b.bound, ())):
                    return True
        return False

    def isolated(self, c: Candidate, name: str) -> bool:
        """Is ``name`` isolated in ``c``'s function (``hoist_isolated``)? Then no question about
        it needs libcst's scopes: it has no other binding, use before the import, enclosing
        function or binding elsewhere, and it is used."""
        found = self._isolated.get(c.line)
        return (
            found is not None
            and found[0] == c.fn.name.value
            and name in found[1]
            and not c.copies
            and not c.echoes
        )

    def line(self, node: cst.CSTNode) -> int:
        return self.positions.line(node) if node in self.positions else 0

    def where(self, node: cst.CSTNode) -> tuple[int, int]:
        """(line, column) of ``node``, (0, 0) when it has none. libcst keeps a name's
        assignments and accesses in sets: they are read in this order, so a skip reason names
        the same line on every run."""
        if node not in self.positions:
            return (0, 0)
        start = self.positions[node].start
        return start.line, start.column

    def ordered(self, found: Iterable[_Found]) -> list[_Found]:
        """Assignments or accesses in source order (see :meth:`where`)."""
        return sorted(found, key=lambda a: self._where_of(getattr(a, "node", None)))

    def _where_of(self, node: object) -> tuple[int, int]:
        return self.where(node) if isinstance(node, cst.CSTNode) else (0, 0)

    def skip(self, node: cst.CSTNode, reason: str) -> None:
        self.codemod.skip(self.line(node), reason)

    def code(self, node: cst.CSTNode) -> str:
        text = code_for_node(self.module, node).strip().splitlines()
        first = text[0].strip() if text else ""
        return first if len(first) <= 60 else first[:57] + "..."

    # -- walking ---------------------------------------------------------------------------------

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

    # -- checks ----------------------------------------------------------------------------------

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

    def why_not(self, c: Candidate) -> str | None:
        lines = range(c.line, c.end_line + 1)
        noqa = self.codemod.context.suppressions.has_noqa
        if noqa("PLC0415", lines) or noqa("F811", lines):
            c.frozen = True
            if noqa("PLC0415", lines):
                return "kept by `# noqa: PLC0415`"
            return "kept by `# noqa: F811` (the re-import is intended)"
        lazy = lazy_comment(c.stmt, c.preceding, self.block_starts(c))
        if lazy is not None:
            c.frozen = True
            shown = lazy if len(lazy) <= 80 else lazy[:77] + "..."
            return f"a comment says it is local on purpose: `{shown}`"
        own = c.own
        if not own:
            return None  # only repeats an earlier copy, and goes with it (``hoist_copies``)
        if c.guard is not None:
            return f"function `{c.function}` is {c.guard}: hoisting would take the import out of it"
        loads, reason = self.loads(own)
        if reason is None:
            reason = self.module_reason(loads)
        if reason is None and c.in_try is not None:
            reason = guard_reason(c.in_try)
            c.unsafe_reason = "inside `try`: an import failure no longer reaches its handler, it stops the app at startup"
        if reason is None and (effect := effect_before(c.preceding)) is not None:
            why = (
                f"it runs after `{self.code(effect)}` (line {self.line(effect)}) in function "
                f"`{c.function}`: hoisted, it would run first, when the module is imported"
            )
            c.unsafe_reason = f"{c.unsafe_reason}; {why}" if c.unsafe_reason else why
        c.after = []
        for stmt in c.preceding:
            found = import_state_change(stmt) if reason is None else None
            if found is not None:
                shown = self.code(stmt if isinstance(stmt, cst.SimpleStatementLine) else found)
                why = f"runs after `{shown}`, which it may depend on"
                earlier = self.by_imp.get(id(sole_import(stmt)))
                if earlier is not None and earlier.fn is c.fn and not c.copies:
                    # An import that is hoisted too keeps its place before this one. Decided
                    # when moving (``earlier.applied``), so not for copies (``hoist_copies``
                    # settles those before: all move or none).
                    c.after.append((earlier, f"{why} and which stays in the function"))
                else:
                    reason = why
        if reason is None and self.late_state:
            line, code = self.late_state
            reason = f"module-level `{code}` (line {line}) runs after the import block; the import may depend on it"
        if reason is None and (top := self.insertion.blocked_by) is not None:
            reason = f"it would land below `{self.code(top)}` (line {self.line(top)}), where ruff reports module-level imports (E402), and cannot go above it"
        if reason is None:
            reason = self.dependency_reason(c, own, loads)
        c.covered = {}
        for binding in own:
            reason = (
                reason
                or self.function_reason(c, binding)
                or self.module_conflict(c, binding)
                or self.twin_reason(binding)
                or self.shadow_reason(c, binding)
            )
        if reason is None and c.covered:
            if len(c.covered) == len(own):  # nothing moves: left to ``dedupe-imports``
                index, line = next(iter(c.covered.items()))
                c.covered = {}
                return f"`{c.bindings[index].bound}` is already imported at module level further down (line {line}); move that import up instead"
            loads, _ = self.loads(c.moving)
        reason = reason or self.cycle_reason(loads)
        if reason is None and (runs := self.effects.reason(self.first_party(loads))):
            c.unsafe_reason = f"{c.unsafe_reason}; {runs}" if c.unsafe_reason else runs
        return reason

    def loads(self, own: list[Binding]) -> tuple[list[str], str | None]:
        """The absolute modules the import loads (its targets; ``from m import x`` may load
        ``m.x``); or a reason when they cannot be named."""
        first = own[0]
        if first.kind == "import":
            return [b.module for b in own], None
        if first.module == "__future__":
            return [], "`__future__` import (only valid at the top of the module)"
        target = first.module
        if target.startswith("."):
            current = self.codemod.context.module
            if current is None:
                return [], "relative import in a file whose module is unknown"
            level = len(target) - len(target.lstrip("."))
            resolved = resolve_relative(current, target.lstrip(".") or None, level)
            if resolved is None:
                return [], "relative import beyond the top-level package"
            target = resolved
        return [target, *(f"{target}.{b.name}" for b in own)], None

    def module_reason(self, loads: list[str]) -> str | None:
        for name in loads:
            if entry := matches(name, PLATFORM_ONLY):
                return f"`{entry}` is a platform-only module: hoisting would make the app fail at startup elsewhere"
            if entry := matches(name, REMOVED_IN_313):
                return f"`{entry}` was removed from the standard library in Python 3.13 (PEP 594): hoisting would make the app fail at startup there"
            if entry := matches(name, self.keep_lazy):
                return f"`{entry}` is in `keep-lazy` (deferred on purpose)"
        return build_reason(loads)

    def block_starts(self, c: Candidate) -> list[tuple[int, list[str]]]:
        """For ``lazy_comment``: the comments of the ``def`` line, and of the ``try`` the
        import is in, each with how many preceding statements reach the start of its block."""
        starts = [(len(c.preceding), block_comments(c.fn, above=False))]
        if c.in_try is not None and isinstance(c.in_try.body, cst.IndentedBlock):
            inside = list(c.in_try.body.body).index(c.stmt)
            starts.append((inside, block_comments(c.in_try, above=True)))
        return starts

    def twin_reason(self, binding: Binding) -> str | None:
        """A module-level copy under ``if TYPE_CHECKING``: the run-time import is deferred on
        purpose (usually against an import cycle), and kept in the function."""
        twin = self.type_checking.get(binding.bound)
        if twin is None or self.in_prelude(binding):
            return None
        return (
            f"`{binding.bound}` is imported at module level only under `if TYPE_CHECKING` "
            f"(line {self.line(twin)}): its run-time import is deferred on purpose"
        )

    @cached_property
    def type_checking(self) -> Mapping[str, cst.SimpleStatementLine]:
        if "TYPE_CHECKING" not in self.codemod.context.source:
            return {}
        return type_checking_imports(self.module)

    def function_reason(self, c: Candidate, binding: Binding) -> str | None:
        name = binding.bound
        extra = self.extra(c.fn)
        if name in extra.nonlocals:
            return f"`{name}` is declared `nonlocal` in function `{c.function}`"
        if self.isolated(c, name):
            return None
        scope = self.scopes.get(c.imp)
        if not isinstance(scope, FunctionScope) or name in extra.globals:
            return None
        copies = [
            o
            for o in c.copies
            if any(d.bound == name and binding.same_object_as(d) for d in o.bindings)
        ]
        mine = {id(c.imp), *(id(o.imp) for o in copies)}
        others = [
            self.line(a.node)
            for a in scope.assignments[name]
            if isinstance(a, Assignment) and id(a.node) not in mine
        ]
        if name in extra.bound:
            others.append(extra.bound[name])
        if others:
            return f"`{name}` has another binding in function `{c.function}` (line {min(others)})"
        # The copies all go: a use between two of them then reads the module-level import.
        first = min([c.line, *(o.line for o in copies)])
        for inner in [scope, *self.comprehensions(scope)]:
            for access in self.ordered(inner.accesses[name]):
                if 0 < self.line(access.node) < first:
                    return f"`{name}` is used before the import in function `{c.function}` (line {self.line(access.node)})"
        # Used by this import or a copy of it. libcst files a read of ``a.b`` under the ``a.b``
        # of ``import a.b``, not under ``a``: those names are asked too.
        keys = {name} | {
            b.module
            for o in [c, *copies]
            for b in o.bindings
            if b.bound == name and b.kind == "import" and not b.asname
        }
        used = any(
            a.references
            for key in keys
            for a in scope.assignments[key]
            if isinstance(a, Assignment) and id(a.node) in mine
        )
        if not used and not self.in_prelude(binding) and not self.moves_too(binding):
            c.side_effects_only = True  # in the import block (it ran already) or moving: it goes
            return (
                f"imported for its side effects (`{name}` is never used in function "
                f"`{c.function}`): hoisted, importing `{binding.module}` would run them when "
                "this module is imported"
            )
        parent = scope.parent
        while not isinstance(parent, GlobalScope):
            if isinstance(parent, FunctionScope) and isinstance(parent.node, cst.FunctionDef):
                outer = [a.node for a in self.ordered(parent.assignments[name]) if isinstance(a, Assignment)]
                same = [self.by_imp.get(id(n)) for n in outer]
                if name in self.extra(parent.node).bound or not all(
                    o is not None
                    and all(binding.same_object_as(b) for b in o.bindings if b.bound == name)
                    for o in same
                ):
                    return f"`{name}` is also bound in the enclosing function `{parent.node.name.value}`"
                c.needs.extend((o, name) for o in same if o is not None)
            parent = parent.parent
        return None

    def module_conflict(self, c: Candidate, binding: Binding) -> str | None:
        name = binding.bound
        same_import = False
        module_level: Iterable[BaseAssignment] = ()  # an isolated name has none
        if not self.isolated(c, name):
            global_scope = self.scopes[self.module]
            assert global_scope is not None
            module_level = global_scope.assignments[name]
        for assignment in self.ordered(module_level):
            if not isinstance(assignment, Assignment):
                continue
            node = assignment.node
            if node is c.imp:
                continue
            if isinstance(node, cst.Import | cst.ImportFrom):
                found = [b for b in bindings(node) or [] if b.bound == name]
                if found and all(binding.same_object_as(b) for b in found):
                    same_import = True
                    continue
            return f"`{name}` is bound differently at module level (line {self.line(node)})"
        if name in self.extra(self.module).bound:
            return f"`{name}` is bound differently at module level (line {self.extra(self.module).bound[name]})"
        if name in BUILTINS and not same_import:
            return f"`{name}` would shadow the builtin `{name}` in the whole module"
        for index, stmt, imp in self.top_imports:
            if isinstance(imp, cst.ImportFrom) and isinstance(imp.names, cst.ImportStar):
                return f"`from {module_text(imp)} import *` (line {self.line(stmt)}) may bind `{name}` too"
            if (
                index >= self.insertion.block_end
                and any(b == binding for b in bindings(imp) or [])
                and not self.in_prelude(binding)
            ):
                # Above the function it already binds the name whenever the function runs (no
                # other module-level binding, checked above): the function's alias can go.
                at = c.bindings.index(binding)
                if self.line(stmt) < self.line(c.fn) and self.can_drop(c):
                    c.covered.setdefault(at, self.line(stmt))
                if at not in c.covered:
                    return f"`{name}` is already imported at module level further down (line {self.line(stmt)}); move that import up instead"
        return None

    def can_drop(self, c: Candidate) -> bool:
        """Can one alias of ``c`` be dropped while the rest moves? Not with copies in the
        function (``hoist_copies`` decides those whole) or comments inside the statement."""
        return not c.copies and not c.echoes and not has_inner_comments(c.imp)

    def shadow_reason(self, c: Candidate, binding: Binding) -> str | None:
        """A binding in another scope that pyflakes would report against the moved import."""
        if c.bindings.index(binding) in c.covered:
            return None  # not moved
        if self.isolated(c, binding.bound):
            return None  # used, and bound in no other scope
        if not hasattr(self, "_shadows"):
            self._shadows = Shadows(
                self.module,
                (s for s in self.scopes.values() if s is not None),
                self.where,
                lambda fn: self.extra(fn).bound,
            )
        name = binding.bound
        scope = self.scopes.get(c.imp)
        mine = {id(c.imp), *(id(o.imp) for o in c.copies)}
        used = any(
            a.references
            for s in (scope, self.scopes[self.module])
            if s is not None
            for a in s.assignments[name]
            if isinstance(a, Assignment) and id(a.node) in mine
        )
        return self._shadows.reason(binding, scope, used)

    def dependency_reason(self, c: Candidate, own: list[Binding], loads: list[str]) -> str | None:
        """Would what the import loads be missing where this module is imported, or bind
        another value there (``hoist_deps``)?"""
        context = self.codemod.context
        if own[0].kind == "from":
            late = checked_for_none(self._tree, c.line, [b.bound for b in own])
            if late is not None:
                return (
                    f"function `{c.function}` checks `{late}` for None: it reads a value set at run "
                    "time, which a module-level import would fix at the value it had first"
                )
        if own[0].kind == "import":
            for module in loads:
                reason = dependency_reason(module, (), context.project, context.path, self.required_here)
                if reason is not None:
                    return reason
            return None
        names = [b.name for b in own]
        return dependency_reason(loads[0], names, context.project, context.path, self.required_here)

    def first_party(self, loads: list[str]) -> list[str]:
        """The view's names of the project modules ``loads`` resolve to from this file."""
        project, path = self.codemod.context.project, self.codemod.context.path
        found: list[str] = []
        for name in loads:
            answer = project.resolve(path, name)
            if answer is None:  # not gathered: the view's answer
                canonical = project.canonical(name) if project.is_first_party(name) else None
                if canonical is not None:
                    found.append(canonical)
            elif answer.path is not None and (info := project.by_path.get(answer.path)) is not None:
                found.append(info.name)
        return found

    def cycle_reason(self, loads: list[str]) -> str | None:
        first_party = self.first_party(loads)
        if not first_party:
            return None
        current = self.codemod.context.module
        if current is None:
            return "cannot prove there is no import cycle: the module name of this file is unknown"
        for name in with_parents(first_party, current):
            path, unknown = self.path(False, name, current.name)
            if path:
                via = f" (via {', '.join(f'`{p}`' for p in path[1:-1])})" if len(path) > 2 else ""
                return f"breaks an import cycle: `{name}` imports `{current.name}`{via}"
            if unknown:
                return f"cannot prove there is no import cycle: `{unknown}` could not be analysed"
            path, _ = self.path(True, name, current.name)
            if path:
                return f"may create an import cycle: `{name}` leads back to `{current.name}` through function-level imports that may be hoisted too ({' -> '.join(path)})"
        return None

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

    # -- facts -----------------------------------------------------------------------------------

    @cached_property
    def effects(self) -> Effects:
        """Import-time effects of the project's modules (``hoist_effects``)."""
        return Effects(self.codemod.context.project, self.codemod.context.module)

    @cached_property
    def top_imports(self) -> Sequence[tuple[int, cst.BaseStatement, cst.Import | cst.ImportFrom]]:
        """(index, statement, import) of the module's statements that are one import each."""
        return [
            (index, stmt, imp)
            for index, stmt in enumerate(self.module.body)
            if (imp := sole_import(stmt)) is not None
        ]

    @cached_property
    def prelude(self) -> dict[str, list[tuple[Binding, cst.SimpleStatementLine]]]:
        """The module's unconditional imports above the insertion point, by bound name."""
        return runtime_module_imports(self.module, self.insertion.block_end)

    def in_prelude(self, binding: Binding) -> bool:
        """Does the module's import block already have it? Then a copy further down (which
        ``dedupe-imports`` removes) is no cycle breaker, and the function's copy simply goes."""
        # ``satisfied_by`` implies the same bound name
        return any(binding.satisfied_by(p) for p, _ in self.prelude.get(binding.bound, ()))

    def moves_too(self, binding: Binding) -> bool:
        """Does another import of this run move the same binding to module level?"""
        return any(binding.satisfied_by(b) for h in self.hoisted for b in h.moving)

    def extra(self, owner: cst.Module | cst.FunctionDef) -> ExtraBindings:
        if owner not in self.extras:
            self.extras[owner] = extra_bindings(owner, self.line, self._walrus)
        return self.extras[owner]

    def path(self, pending: bool, start: str, target: str) -> tuple[list[str] | None, str | None]:
        """:func:`find_path` in the project's import graph (with ``pending``: in :meth:`graph`),
        once per module asked: a breadth-first search of the whole graph per import was most of
        the cycle check in packages like sympy, whose functions import the same modules."""
        key = (pending, start, target)
        if key not in self._paths:
            project = self.codemod.context.project
            graph = self.graph if pending else project.imports
            self._paths[key] = find_path(graph, project.opaque, start, target)
        found, unknown = self._paths[key]
        return (list(found) if found is not None else None), unknown

    @cached_property
    def graph(self) -> Mapping[str, frozenset[str]]:
        """The import graph as it would be if every function-level first-party import of the
        project (gathered) were hoisted too."""
        imports = self.codemod.context.project.imports
        return {
            m: imports.get(m, frozenset()) | self.pending_imports.get(m, frozenset())
            for m in {*imports, *self.pending_imports}
        }

    def comprehensions(self, scope: FunctionScope) -> list[ComprehensionScope]:
        return self._comprehensions.get(id(scope), [])

    @cached_property
    def _comprehensions(self) -> dict[int, list[ComprehensionScope]]:
        """id of a function's scope -> the comprehension scopes in it, at any depth."""
        found: dict[int, list[ComprehensionScope]] = {}
        for s in {id(s): s for s in self.scopes.values() if isinstance(s, ComprehensionScope)}.values():
            parent = s.parent
            while isinstance(parent, ComprehensionScope):
                parent = parent.parent
            found.setdefault(id(parent), []).append(s)
        return found

    def _late_state(self) -> tuple[int, str] | None:
        for stmt in self.module.body[self.insertion.block_end :]:
            found = import_state_change(stmt, writes_only=True)
            if found is not None:
                return self.line(found), self.code(found)
        return None
