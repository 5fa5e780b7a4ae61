"""Why an import ``hoist-imports`` found may not move: the checks of :meth:`Reasons.why_not`,
in order, the first failing one giving the user-facing reason (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst.metadata import (
    Assignment,
    BaseAssignment,
    FunctionScope,
    GlobalScope,
)

from ...components.modules import REMOVED_STDLIB
from ...imports.nodes import (
    Binding,
    bindings,
    has_inner_comments,
    import_state_change,
    module_text,
    sole_import,
)
from ...project import resolve_relative
from .candidate import Candidate
from .deps import dependency_reason
from .intent import (
    block_comments,
    build_reason,
    effect_before,
    lazy_comment,
)
from .planner_state import PlannerState
from .rules import (
    BUILTINS,
    PLATFORM_ONLY,
    REMOVED,
    guard_reason,
    matches,
    with_parents,
)
from .shadow import Shadows


class Reasons(PlannerState):
    """The checks a candidate goes through; each returns the reason it stays, or None."""

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
            return None  # only repeats an earlier copy, and goes with it (``copies``)
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
                    # when moving (``earlier.applied``), so not for copies (``copies``
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
            if entry := matches(name, REMOVED):
                version = ".".join(map(str, REMOVED_STDLIB[entry]))
                return f"`{entry}` was removed from the standard library in Python {version}: hoisting would make the app fail at startup there"
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
        function (``copies`` decides those whole) or comments inside the statement."""
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
        another value there (``deps``)?"""
        context = self.codemod.context
        if own[0].kind == "from":
            late = self.none_checks.first(c.line, [b.bound for b in own])
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
