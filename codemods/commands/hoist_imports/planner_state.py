"""What the ``hoist-imports`` planner knows of one module, asked by its walk and its checks:
libcst's scopes (pruned), positions, the names ``ast`` decides alone, the module's own imports
and ``TYPE_CHECKING`` block, the project's import graph and import-time effects.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

import libcst as cst
from libcst.metadata import (
    Access,
    BaseAssignment,
    ComprehensionScope,
    FunctionScope,
    Scope,
    ScopeProvider,
)

from ...astkit.names import unconditional_imports
from ...cstkit.printing import code_for_node
from ...cstkit.statement_lines import LazyPositions
from ...imports.nodes import (
    Binding,
    import_state_change,
    runtime_module_imports,
    sole_import,
)
from . import isolated as hoist_isolated
from .deps import NoneChecks
from .effects import Effects
from .insertion import insertion_point
from .intent import (
    type_checking_imports,
)
from .rules import (
    ExtraBindings,
    extra_bindings,
    find_path,
)
from .scope_pruning import emptied, prunable

if TYPE_CHECKING:
    from ...base import Codemod

from .candidate import Candidate

_Found = TypeVar("_Found", BaseAssignment, Access)


class PlannerState:
    """The module, the codemod it reports to, and the facts about them, each computed once."""

    #: the candidates by ``id`` of their import node (set by ``Planner.plan``)
    by_imp: dict[int, Candidate]

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
            return self.codemod.context.trees.parse(self.codemod.context.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None

    @cached_property
    def none_checks(self) -> NoneChecks:
        """The names each function compares with None (``deps``), read once."""
        return NoneChecks(self._tree)

    @cached_property
    def required_here(self) -> frozenset[str]:
        """Modules the module imports unconditionally in its own body (``deps``)."""
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
        """Is ``name`` isolated in ``c``'s function (``isolated``)? Then no question about
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

    @cached_property
    def type_checking(self) -> Mapping[str, cst.SimpleStatementLine]:
        if "TYPE_CHECKING" not in self.codemod.context.source:
            return {}
        return type_checking_imports(self.module)

    @cached_property
    def effects(self) -> Effects:
        """Import-time effects of the project's modules (``effects``)."""
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
