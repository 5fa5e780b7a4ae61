"""The analysis and the edits behind ``hoist-imports``: which function-level imports can move
(and why not, for the rest), where they go, and the two tree edits (remove, insert)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import FunctionScope, GlobalScope, PositionProvider, Scope, ScopeProvider

from ..project import STDLIB_MODULES, resolve_relative
from .imports import (
    Binding,
    bindings,
    comment_lines,
    has_import,
    is_type_checking,
    runtime_module_imports,
    sole_import,
    trailing_comment,
)

if TYPE_CHECKING:
    from ..base import Codemod

PLATFORM_ONLY = frozenset({
    "winreg", "_winreg", "winsound", "msvcrt", "_winapi", "nt", "_overlapped", "win32api",
    "win32con", "pywintypes", "fcntl", "termios", "tty", "pty", "resource", "pwd", "grp", "posix",
    "crypt", "spwd", "nis", "syslog", "readline", "curses", "_curses", "uvloop",
})  # fmt: skip
REMOVED_IN_313 = frozenset({
    "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap", "msilib", "nis",
    "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",
    "lib2to3",
})  # fmt: skip
_SETUP = re.compile(
    r"\bsys\.path\b|\bsys\.modules\b|\bos\.environ\b|\bos\.putenv\b|\bimportlib\b|"
    r"\bsite\.addsitedir\b|\.setup\(|\.use\(|\bpatch_all\b|\bset_event_loop_policy\b"
)
_GUARD_EXCEPTIONS = {"ImportError", "ModuleNotFoundError", "BaseException"}
_COMPOUND_NAMES = {
    cst.If: "if", cst.For: "for", cst.While: "while", cst.With: "with", cst.Match: "match",
    cst.Try: "try", cst.TryStar: "try",
}  # fmt: skip


@dataclass
class Candidate:
    stmt: cst.SimpleStatementLine
    imp: cst.Import | cst.ImportFrom
    bindings: list[Binding]
    function: str
    chain: list[cst.FunctionDef]
    line: int
    end_line: int
    preceding: list[cst.BaseStatement]
    in_try: cst.Try | None = None
    code: str = ""
    unsafe_reason: str | None = None
    already_imported: bool = False
    #: bindings that still have to be added at module level
    new_bindings: list[Binding] = field(default_factory=list)

    @property
    def trailing_comment(self) -> str | None:
        return trailing_comment(self.stmt)


@dataclass
class Plan:
    hoist: list[Candidate] = field(default_factory=list)


class Planner:
    """Walks the module once, records skips on the codemod, returns what can be hoisted."""

    def __init__(self, codemod: Codemod, module: cst.Module, keep_lazy: tuple[str, ...]) -> None:
        self.codemod = codemod
        self.module = module
        self.keep_lazy = keep_lazy
        wrapper = codemod.wrap(module)
        self.positions = wrapper.resolve(PositionProvider)
        self.scopes = wrapper.resolve(ScopeProvider)
        self.candidates: list[Candidate] = []

    # -- walking -------------------------------------------------------------------------------

    def line(self, node: cst.CSTNode) -> tuple[int, int]:
        pos = self.positions[node]
        return pos.start.line, pos.end.line

    def skip(self, node: cst.CSTNode, reason: str) -> None:
        self.codemod.skip(self.line(node)[0], reason)

    def plan(self) -> Plan:
        self.walk_block(self.module.body, chain=[], context=None)
        return Plan(hoist=[c for c in self.candidates if self.check(c)])

    def walk_block(
        self, stmts: object, chain: list[cst.FunctionDef], context: str | None
    ) -> None:
        assert isinstance(stmts, list | tuple)
        for stmt in stmts:
            if isinstance(stmt, cst.FunctionDef):
                self.walk_function(stmt, [*chain, stmt])
            elif isinstance(stmt, cst.ClassDef):
                self.walk_class(stmt, chain)
            elif has_import(stmt):
                if chain and context is not None:
                    self.skip(stmt, context)
            elif isinstance(stmt, cst.BaseCompoundStatement):
                self.walk_compound(stmt, chain, context)

    def walk_compound(self, stmt: cst.BaseCompoundStatement, chain: list[cst.FunctionDef], context: str | None) -> None:
        kind = _COMPOUND_NAMES.get(type(stmt), "block")
        reason = context or f"under `{kind}` inside the function"
        if isinstance(stmt, cst.If) and is_type_checking(stmt.test):
            reason = "under `if TYPE_CHECKING` (not imported at runtime)"
        if isinstance(stmt, cst.Try | cst.TryStar) and context is None:
            reason = "under `try` inside the function (not at the top of the try body)"
        for block in _blocks(stmt):
            self.walk_block(block, chain, reason if chain else context)

    def walk_class(self, cls: cst.ClassDef, chain: list[cst.FunctionDef]) -> None:
        if isinstance(cls.body, cst.IndentedBlock):
            for stmt in cls.body.body:
                if has_import(stmt):
                    self.skip(stmt, "in a class body (the import is a class attribute)")
                elif isinstance(stmt, cst.FunctionDef):
                    self.walk_function(stmt, [*chain, stmt])
                elif isinstance(stmt, cst.ClassDef):
                    self.walk_class(stmt, chain)
                elif isinstance(stmt, cst.BaseCompoundStatement):
                    self.walk_compound(stmt, chain, None if not chain else None)

    def walk_function(self, fn: cst.FunctionDef, chain: list[cst.FunctionDef]) -> None:
        if not isinstance(fn.body, cst.IndentedBlock):
            if any(isinstance(s, cst.Import | cst.ImportFrom) for s in fn.body.body):
                self.skip(fn, "on the same line as its `def`")
            return
        body = list(fn.body.body)
        for index, stmt in enumerate(body):
            if has_import(stmt):
                self.add(stmt, chain, body[:index], None)
            elif isinstance(stmt, cst.Try):
                self.walk_try(stmt, chain, body[:index])
            elif isinstance(stmt, cst.FunctionDef):
                self.walk_function(stmt, [*chain, stmt])
            elif isinstance(stmt, cst.ClassDef):
                self.walk_class(stmt, chain)
            elif isinstance(stmt, cst.BaseCompoundStatement):
                self.walk_compound(stmt, chain, None)

    def walk_try(self, node: cst.Try, chain: list[cst.FunctionDef], before: list[cst.BaseStatement]) -> None:
        body = list(node.body.body)
        for index, stmt in enumerate(body):
            if has_import(stmt):
                self.add(stmt, chain, before + body[:index], node)
            elif isinstance(stmt, cst.FunctionDef):
                self.walk_function(stmt, [*chain, stmt])
            elif isinstance(stmt, cst.ClassDef):
                self.walk_class(stmt, chain)
            elif isinstance(stmt, cst.BaseCompoundStatement):
                self.walk_compound(stmt, chain, "under `try` inside the function (nested further)")
        for handler in node.handlers:
            self.walk_block(handler.body.body, chain, "under `except` inside the function")
        for extra, name in ((node.orelse, "else"), (node.finalbody, "finally")):
            if extra is not None:
                self.walk_block(extra.body.body, chain, f"under `{name}` inside the function")

    def add(self, stmt: cst.BaseStatement, chain: list[cst.FunctionDef], before: list[cst.BaseStatement], in_try: cst.Try | None) -> None:
        imp = sole_import(stmt)
        if imp is None:
            self.skip(stmt, "shares its line with other statements")
            return
        assert isinstance(stmt, cst.SimpleStatementLine)
        line, end = self.line(stmt)
        found = bindings(imp)
        if found is None:
            self.skip(stmt, "star import")
            return
        self.candidates.append(
            Candidate(
                stmt=stmt, imp=imp, bindings=found, function=chain[-1].name.value, chain=chain,
                line=line, end_line=end, preceding=before, in_try=in_try,
                code=self.module.code_for_node(imp),
            )
        )  # fmt: skip

    # -- checks --------------------------------------------------------------------------------

    def check(self, c: Candidate) -> bool:
        reason = self.why_not(c)
        if reason is not None:
            self.codemod.skip(c.line, reason)
            return False
        return True

    def why_not(self, c: Candidate) -> str | None:
        if self.codemod.context.suppressions.has_noqa("PLC0415", range(c.line, c.end_line + 1)):
            return "kept by `# noqa: PLC0415`"
        target = self.absolute_module(c)
        module_reason = self.module_reason(c, target)
        if module_reason:
            return module_reason
        if c.in_try is not None:
            guard = _guard_reason(c.in_try)
            if guard:
                return guard
            c.unsafe_reason = "inside `try`: an import failure no longer reaches its `except`, it stops the app at startup"
        for stmt in c.preceding:
            code = self.module.code_for_node(stmt).strip()
            if _SETUP.search(code):
                first = code.splitlines()[0] if code else ""
                return f"runs after `{first}`, which it may depend on"
        for binding in c.bindings:
            reason = self.binding_reason(c, binding)
            if reason:
                return reason
        return self.conflict_reason(c)

    def absolute_module(self, c: Candidate) -> str | None:
        binding = c.bindings[0]
        if not binding.module.startswith("."):
            return binding.module
        level = len(binding.module) - len(binding.module.lstrip("."))
        current = self.codemod.context.module
        if current is None:
            return None
        return resolve_relative(current, binding.module.lstrip(".") or None, level)

    def module_reason(self, c: Candidate, target: str | None) -> str | None:
        if target is None:
            return "relative import in a file whose package is unknown"
        top = target.split(".")[0]
        if top in PLATFORM_ONLY:
            return f"`{top}` is a platform-only module"
        if top in REMOVED_IN_313:
            return f"`{top}` was removed from the standard library in Python 3.13 (PEP 594)"
        for lazy in self.keep_lazy:
            if target == lazy or target.startswith(lazy + "."):
                return f"`{lazy}` is in `keep-lazy` (deferred on purpose)"
        project = self.codemod.context.project
        current = self.codemod.context.module
        if top in STDLIB_MODULES or current is None:
            return None
        loaded = [target] + [f"{target}.{b.name}" for b in c.bindings if b.kind == "from"]
        for name in loaded:
            if name not in project.modules:
                continue
            if name == current.name:
                return "imports its own module"
            reaches = project.reaches(name, current.name)
            if reaches:
                return f"breaks an import cycle: `{name}` imports `{current.name}`"
            if reaches is None:
                return f"cannot prove there is no import cycle (`{name}` imports a module that could not be analysed)"
        if target.startswith(".") or (project.is_first_party(target) and target not in project.modules and project.opaque):
            return "cannot prove there is no import cycle"
        return None

    def binding_reason(self, c: Candidate, binding: Binding) -> str | None:
        name = binding.bound
        scope = self.scopes.get(c.imp)
        if not isinstance(scope, FunctionScope):
            return "not in a function scope"
        fn = c.chain[-1]
        declared = _declared(fn)
        if name in declared.get("nonlocal", set()):
            return f"`{name}` is declared `nonlocal`"
        is_global = name in declared.get("global", set())
        if not is_global:
            others = [a for a in scope.assignments[name] if a.node is not c.imp]
            if others:
                other = others[0].node
                where = self.line(other)[0] if other in self.positions else c.line
                return f"`{name}` is also bound in the function (line {where})"
            if name in _deleted(fn):
                return f"`{name}` is deleted in the function"
            for access in scope.accesses[name]:
                if access.node in self.positions and self.line(access.node)[0] < c.line:
                    return f"`{name}` is used before the import (line {self.line(access.node)[0]})"
        parent: Scope | None = scope.parent
        while parent is not None and not isinstance(parent, GlobalScope):
            if isinstance(parent, FunctionScope) and parent.assignments[name]:
                return f"`{name}` is bound in an enclosing function"
            parent = parent.parent
        return None

    def conflict_reason(self, c: Candidate) -> str | None:
        global_scope = self.scopes[self.module]
        assert global_scope is not None
        runtime = runtime_module_imports(self.module)
        all_candidates = {id(x.imp) for x in self.candidates}
        new: list[Binding] = []
        for binding in c.bindings:
            name = binding.bound
            for assignment in global_scope.assignments[name]:
                node = assignment.node
                if id(node) in all_candidates:
                    continue
                if isinstance(node, cst.Import | cst.ImportFrom):
                    if any(binding.same_object_as(b) for b in bindings(node) or [] if b.bound == name):
                        continue
                where = self.line(node)[0] if node in self.positions else 0
                return f"`{name}` is bound differently at module level (line {where})"
            for other in self.candidates:
                for b in other.bindings:
                    if b.bound == name and not b.same_object_as(binding):
                        return f"`{name}` is imported differently in function `{other.function}` (line {other.line})"
            if not any(b == binding for b, _ in runtime.get(name, [])):
                new.append(binding)
        c.new_bindings = new
        c.already_imported = not new
        return None

    def existing_runtime_imports(self) -> dict[str, list[tuple[Binding, cst.SimpleStatementLine]]]:
        return runtime_module_imports(self.module)


def _blocks(stmt: cst.BaseCompoundStatement) -> list[object]:
    blocks: list[object] = []
    body = getattr(stmt, "body", None)
    if isinstance(body, cst.IndentedBlock):
        blocks.append(body.body)
    for attr in ("orelse", "finalbody"):
        extra = getattr(stmt, attr, None)
        if isinstance(extra, cst.If):
            blocks.append([extra])
        elif extra is not None and isinstance(getattr(extra, "body", None), cst.IndentedBlock):
            blocks.append(extra.body.body)
    for handler in getattr(stmt, "handlers", ()):
        blocks.append(handler.body.body)
    for case in getattr(stmt, "cases", ()):
        if isinstance(case.body, cst.IndentedBlock):
            blocks.append(case.body.body)
    return blocks


def _guard_reason(node: cst.Try) -> str | None:
    for handler in node.handlers:
        if handler.type is None:
            return "under `try` with a bare `except` (optional dependency)"
        types = handler.type.elements if isinstance(handler.type, cst.Tuple) else [handler.type]
        for item in types:
            expr = item.value if isinstance(item, cst.Element) else item
            name = (get_full_name_for_node(expr) or "").split(".")[-1]
            if name in _GUARD_EXCEPTIONS:
                return f"under `try` with an `except {name}` handler (optional dependency)"
    if all(sole_import(s) is not None or _is_pass(s) for s in node.body.body):
        return "under `try` that guards only imports (optional dependency)"
    return None


def _is_pass(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(s, cst.Pass) for s in stmt.body)


class _Declarations(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: dict[str, set[str]] = {"global": set(), "nonlocal": set()}
        self.deleted: set[str] = set()
        self.depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.depth += 1
        return self.depth == 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.depth -= 1

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Global(self, node: cst.Global) -> None:
        self.found["global"].update(n.name.value for n in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.found["nonlocal"].update(n.name.value for n in node.names)

    def visit_Del(self, node: cst.Del) -> None:
        for target in _del_names(node.target):
            self.deleted.add(target)


def _del_names(expr: cst.BaseExpression) -> list[str]:
    if isinstance(expr, cst.Name):
        return [expr.value]
    if isinstance(expr, cst.Tuple | cst.List):
        return [n for el in expr.elements for n in _del_names(el.value)]
    return []


def _scan(fn: cst.FunctionDef) -> _Declarations:
    visitor = _Declarations()
    fn.visit(visitor)
    return visitor


def _declared(fn: cst.FunctionDef) -> dict[str, set[str]]:
    return _scan(fn).found


def _deleted(fn: cst.FunctionDef) -> set[str]:
    return _scan(fn).deleted


# -- edits -------------------------------------------------------------------------------------


class _Remover(cst.CSTTransformer):
    def __init__(self, targets: dict[cst.SimpleStatementLine, Candidate], moved_ids: set[int]) -> None:
        self.targets = {id(k): v for k, v in targets.items()}
        self.moved_ids = moved_ids

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        if not any(id(s) in self.targets for s in original_node.body):
            return updated_node
        body: list[cst.BaseStatement] = []
        carry: list[cst.EmptyLine] = []
        for original, updated in zip(original_node.body, updated_node.body, strict=True):
            if id(original) in self.targets:
                assert isinstance(original, cst.SimpleStatementLine)
                lines = list(original.leading_lines)
                # a moved import takes its comments along; a dropped one leaves them here
                carry.extend(l for l in lines if l.comment is None or id(original) not in self.moved_ids)
                continue
            if carry:
                updated = updated.with_changes(leading_lines=[*carry, *updated.leading_lines])
                carry = []
            body.append(updated)
        if not body:
            body.append(cst.SimpleStatementLine([cst.Pass()], leading_lines=carry))
        elif carry:
            # comments left after the last statement stay in the block as its footer
            return updated_node.with_changes(body=body, footer=[*carry, *updated_node.footer])
        return updated_node.with_changes(body=body)


def remove_statements(
    module: cst.Module, targets: dict[cst.SimpleStatementLine, Candidate], moved_ids: set[int]
) -> cst.Module:
    return module.visit(_Remover(targets, moved_ids))


def insertion_index(module: cst.Module) -> int:
    """Index after the module's leading import block: after the docstring, ``__future__`` and
    the last import that is preceded only by prelude statements."""
    index = 0
    last_import = -1
    for i, stmt in enumerate(module.body):
        if isinstance(stmt, cst.SimpleStatementLine):
            if has_import(stmt):
                last_import = i
            index = i + 1
            continue
        if isinstance(stmt, cst.If | cst.Try) and _only_imports(stmt):
            last_import = i
            index = i + 1
            continue
        break
    if last_import >= 0:
        return last_import + 1
    # no imports: after the docstring
    first = module.body[0] if module.body else None
    if isinstance(first, cst.SimpleStatementLine) and isinstance(first.body[0], cst.Expr) and isinstance(
        first.body[0].value, cst.SimpleString | cst.ConcatenatedString
    ):
        return 1
    return 0 if index >= 0 else 0


def _only_imports(stmt: cst.If | cst.Try) -> bool:
    blocks = _blocks(stmt)
    has_any = False
    for block in blocks:
        assert isinstance(block, list | tuple)
        for s in block:
            if isinstance(s, cst.If | cst.Try):
                if not _only_imports(s):
                    return False
                has_any = True
            elif has_import(s):
                has_any = True
            elif not (_is_pass(s) or _is_simple_assignment(s)):
                return False
    return has_any


def _is_simple_assignment(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, cst.Assign) and isinstance(s.value, cst.Name | cst.SimpleString | cst.Integer)
        for s in stmt.body
    )


def insert_imports(
    module: cst.Module,
    moved: list[Candidate],
    runtime: dict[str, list[tuple[Binding, cst.SimpleStatementLine]]],
) -> cst.Module:
    """Add the moved imports after the leading import block, merging where that is clean."""
    if not any(c.new_bindings for c in moved):
        return module
    at = insertion_index(module)
    body = list(module.body)
    added: set[Binding] = set()
    new_statements: list[cst.SimpleStatementLine] = []
    for candidate in sorted(moved, key=lambda c: c.line):
        fresh = [b for b in candidate.new_bindings if b not in added]
        if not fresh:
            continue
        added.update(fresh)
        comments = comment_lines(candidate.stmt.leading_lines)
        has_comment = bool(comments) or candidate.trailing_comment is not None
        if not has_comment and _merge(body, new_statements, at, candidate, fresh):
            continue
        imp = candidate.imp if len(fresh) == len(candidate.bindings) else _subset(candidate.imp, fresh)
        new_statements.append(
            candidate.stmt.with_changes(
                body=[imp], leading_lines=[line.with_changes(indent=False) for line in comments]
            )
        )
    body[at:at] = new_statements
    return module.with_changes(body=body)


def _merge(
    body: list[cst.BaseStatement],
    pending: list[cst.SimpleStatementLine],
    at: int,
    candidate: Candidate,
    fresh: list[Binding],
) -> bool:
    """Append ``fresh`` names to a clean single-line ``from m import ...`` of the same module."""
    if not isinstance(candidate.imp, cst.ImportFrom):
        return False
    module_name = fresh[0].module

    def mergeable(stmt: cst.BaseStatement) -> cst.ImportFrom | None:
        imp = sole_import(stmt)
        if not isinstance(imp, cst.ImportFrom) or imp.lpar is not None or isinstance(imp.names, cst.ImportStar):
            return None
        found = bindings(imp)
        if not found or found[0].module != module_name or imp.names[-1].comma != cst.MaybeSentinel.DEFAULT:
            return None
        return imp

    for container, limit in ((pending, len(pending)), (body, at)):
        for index in range(limit):
            stmt = container[index]
            imp = mergeable(stmt)
            if imp is None:
                continue
            assert isinstance(stmt, cst.SimpleStatementLine)
            names = list(imp.names)  # type: ignore[arg-type]
            names[-1] = names[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            extra = [a for a in candidate.imp.names if _alias_binding(a, module_name) in fresh]  # type: ignore[union-attr]
            extra = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in extra]
            for i in range(len(extra) - 1):
                extra[i] = extra[i].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            container[index] = stmt.with_changes(body=[imp.with_changes(names=[*names, *extra])])  # type: ignore[index]
            return True
    return False


def _alias_binding(alias: cst.ImportAlias, module: str) -> Binding:
    asname = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else ""
    return Binding("from", module, get_full_name_for_node(alias.name) or "", asname)


def _subset(imp: cst.Import | cst.ImportFrom, keep: list[Binding]) -> cst.Import | cst.ImportFrom:
    all_bindings = bindings(imp) or []
    names = imp.names
    assert not isinstance(names, cst.ImportStar)
    kept = [a for a, b in zip(names, all_bindings, strict=True) if b in keep]
    kept = [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for a in kept[:-1]] + [
        kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    ]
    if isinstance(imp, cst.ImportFrom):
        return imp.with_changes(names=kept, lpar=None, rpar=None)
    return imp.with_changes(names=kept)
