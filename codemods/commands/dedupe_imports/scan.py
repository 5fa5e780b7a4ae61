"""The read-only analysis behind ``dedupe-imports``: for each scope, every runtime import and
every other binding of each name, in source order (one metadata pass); plus a statement-only
precheck that skips that pass for files that cannot hold a duplicate."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node

from ...astkit.candidates import Key, repeats_key
from ...cstkit.positions import FastPositionProvider
from .guard import guards_imports, suppresses_imports

Container = cst.SimpleStatementLine | cst.SimpleStatementSuite
ImportNode = cst.Import | cst.ImportFrom


@dataclass(eq=False)
class Imp:
    """One alias of a runtime import statement."""

    key: Key
    name: str
    alias: cst.ImportAlias
    small: ImportNode
    container: Container
    lines: range  # the statement's lines
    alias_lines: range
    #: Unconditional: directly in its scope's body (not under if/try/with/loops/TYPE_CHECKING).
    top: bool
    #: Under ``if TYPE_CHECKING:`` (never runs, but still makes the name local in a function).
    tc: bool = False
    #: In the body of a ``try`` (or ``with suppress(...)``) that may catch its ``ImportError``
    #: (:mod:`.guard`): a check that an optional dependency is installed.
    guarded: bool = False

    @property
    def line(self) -> int:
        return self.lines.start

    @property
    def at(self) -> int:
        """The line of the alias itself (in a parenthesised import it differs from ``line``)."""
        return self.alias_lines.start

    def shown(self) -> str:
        kind, module, name, asname = self.key
        alias = f" as {asname}" if asname else ""
        return f"{module if kind == 'import' else name}{alias}"


@dataclass(eq=False)
class Event:
    """Something that binds a name in a scope, at a source position."""

    pos: tuple[int, int]
    what: str
    imp: Imp | None = None
    #: A ``global``/``nonlocal`` declaration: the name can change whenever code runs.
    decl: bool = False


@dataclass(eq=False)
class Scope:
    kind: str  # module, function, class, lambda
    name: str
    parent: Scope | None
    #: First line of the module-level statement this scope is defined in.
    top_line: int
    events: dict[str, list[Event]] = field(default_factory=dict)
    stars: list[Event] = field(default_factory=list)

    def add(self, name: str, event: Event) -> None:
        self.events.setdefault(name, []).append(event)

    def of(self, name: str) -> list[Event]:
        return sorted([*self.events.get(name, ()), *self.stars], key=lambda e: e.pos)


def _names(node: cst.CSTNode | None) -> Iterator[cst.Name]:
    if isinstance(node, cst.Name):
        yield node
    elif isinstance(node, cst.Tuple | cst.List):
        for element in node.elements:
            yield from _names(element.value)
    elif isinstance(node, cst.StarredElement):
        yield from _names(node.value)


def _is_type_checking(test: cst.BaseExpression) -> bool:
    name = get_full_name_for_node(test)
    return name is not None and name.split(".")[-1] == "TYPE_CHECKING"


def _asname(alias: cst.ImportAlias) -> str:
    return (
        alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else ""
    )


def bound_name(alias: cst.ImportAlias, plain: bool) -> str:
    """The name an alias binds (``import a.b`` binds ``a``)."""
    full = get_full_name_for_node(alias.name) or ""
    return _asname(alias) or (full.split(".")[0] if plain else full)


def import_key(small: ImportNode, alias: cst.ImportAlias) -> Key:
    full = get_full_name_for_node(alias.name) or ""
    if isinstance(small, cst.Import):
        return ("import", full, "", _asname(alias))
    module = "." * len(small.relative)
    module += (get_full_name_for_node(small.module) or "") if small.module else ""
    return ("from", module, full, _asname(alias))


def render(key: Key) -> str:
    kind, module, name, asname = key
    alias = f" as {asname}" if asname else ""
    return f"import {module}{alias}" if kind == "import" else f"from {module} import {name}{alias}"


def aliases(small: cst.BaseSmallStatement) -> Sequence[cst.ImportAlias] | None:
    if isinstance(small, cst.Import | cst.ImportFrom) and not isinstance(
        small.names, cst.ImportStar
    ):
        return small.names
    return None


def _suites(node: cst.CSTNode) -> Iterator[cst.BaseSuite]:
    for child in node.children:
        if isinstance(child, cst.BaseSuite):
            yield child
        elif isinstance(
            child,
            cst.If
            | cst.Else
            | cst.Finally
            | cst.ExceptHandler
            | cst.ExceptStarHandler
            | cst.MatchCase,
        ):
            yield from _suites(child)


def maybe_duplicates(module: cst.Module) -> bool:
    """A cheap walk over statements only (no metadata): can the full analysis find anything?
    That needs one scope importing the same thing twice, or a function importing something
    the module imports too."""
    module_keys: set[Key] = set()
    function_keys: set[Key] = set()
    found = _repeats(module.body, "module", set(), module_keys, function_keys)
    return found or not module_keys.isdisjoint(function_keys)


def _repeats(
    statements: Sequence[cst.BaseStatement | cst.BaseSmallStatement],
    kind: str,
    seen: set[Key],
    module_keys: set[Key],
    function_keys: set[Key],
) -> bool:
    # not a closure calling itself, which would make a reference cycle per call
    for stmt in statements:
        if isinstance(stmt, cst.Import | cst.ImportFrom):
            keys = (import_key(stmt, alias) for alias in aliases(stmt) or ())
            if any(repeats_key(key, kind, seen, module_keys, function_keys) for key in keys):
                return True
            continue
        if isinstance(stmt, cst.SimpleStatementLine):
            if _repeats(stmt.body, kind, seen, module_keys, function_keys):
                return True
            continue
        inner_kind, inner_seen = kind, seen
        if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            inner_kind = "function" if isinstance(stmt, cst.FunctionDef) else "class"
            inner_seen = set()
        for suite in _suites(stmt):
            if _repeats(suite.body, inner_kind, inner_seen, module_keys, function_keys):
                return True
    return False


class Collector(cst.CSTVisitor):
    """One read-only pass: every scope (pre-order), every binding event, every runtime import."""

    METADATA_DEPENDENCIES = (FastPositionProvider,)

    def __init__(self) -> None:
        self.module = Scope("module", "", None, 0)
        self.scopes: list[Scope] = [self.module]
        self.stack: list[Scope] = [self.module]
        self.depth: list[int] = [0]  # compound statements open in each scope
        self.guards: list[int] = [0]  # import guards open in each scope
        self.type_checking = 0
        self.top_line = 0
        self.container: Container | None = None
        #: name -> (line, scope) of its first ``global`` declaration
        self.globals: dict[str, tuple[int, str]] = {}

    def _range(self, node: cst.CSTNode) -> range:
        pos = self.get_metadata(FastPositionProvider, node)
        return range(pos.start.line, pos.end.line + 1)

    def _pos(self, node: cst.CSTNode) -> tuple[int, int]:
        start = self.get_metadata(FastPositionProvider, node).start
        return (start.line, start.column)

    def _bind(self, node: cst.CSTNode | None, what: str, everywhere: bool = False) -> None:
        for name in _names(node):
            for scope in self.stack if everywhere else self.stack[-1:]:
                scope.add(name.value, Event(self._pos(name), what))

    def _open(self, node: cst.CSTNode) -> None:
        if len(self.stack) == 1 and self.depth[-1] == 0:
            self.top_line = self._range(node).start
        self.depth[-1] += 1

    def _close(self, original_node: cst.CSTNode) -> None:
        self.depth[-1] -= 1

    visit_If = visit_For = visit_While = visit_Try = visit_TryStar = visit_With = visit_Match = (
        _open
    )
    leave_If = leave_For = leave_While = leave_Try = leave_TryStar = leave_With = leave_Match = (
        _close
    )

    def _guard(self, node: cst.Try | cst.TryStar) -> None:
        self.guards[-1] += guards_imports(node)

    def _unguard(self, node: cst.Try | cst.TryStar) -> None:
        self.guards[-1] -= guards_imports(node)

    visit_Try_body = visit_TryStar_body = _guard
    leave_Try_body = leave_TryStar_body = _unguard

    def visit_With_body(self, node: cst.With) -> None:
        self.guards[-1] += suppresses_imports(node)

    def leave_With_body(self, node: cst.With) -> None:
        self.guards[-1] -= suppresses_imports(node)

    def visit_If_body(self, node: cst.If) -> None:
        self.type_checking += _is_type_checking(node.test)

    def leave_If_body(self, node: cst.If) -> None:
        self.type_checking -= _is_type_checking(node.test)

    def _push(
        self, node: cst.FunctionDef | cst.ClassDef | cst.Lambda, kind: str, name: str
    ) -> None:
        if len(self.stack) == 1 and self.depth[-1] == 0:
            self.top_line = self._range(node).start
        scope = Scope(kind, name, self.stack[-1], self.top_line)
        if kind == "function":
            self.scopes.append(scope)
        self.stack.append(scope)
        self.depth.append(0)
        self.guards.append(0)

    def _pop(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()
        self.depth.pop()
        self.guards.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._bind(node.name, "`def`")
        self._push(node, "function", node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._bind(node.name, "`class`")
        self._push(node, "class", node.name.value)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._push(node, "lambda", "<lambda>")

    leave_FunctionDef = leave_ClassDef = leave_Lambda = _pop

    def visit_Param(self, node: cst.Param) -> None:
        self._bind(node.name, "parameter")

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._bind(node.target, "assignment")

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target, "assignment")

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, "assignment")

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, "`:=` assignment", everywhere=True)

    def visit_For_target(self, node: cst.For) -> None:
        self._bind(node.target, "`for` target")

    def visit_WithItem(self, node: cst.WithItem) -> None:
        self._bind(node.asname.name if node.asname else None, "`with` target")

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._bind(node.name.name if node.name else None, "`except` target")

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._bind(node.name.name if node.name else None, "`except` target")

    def visit_Del(self, node: cst.Del) -> None:
        self._bind(node.target, "`del`")

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        self._bind(node.name, "`match` capture")

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        self._bind(node.name, "`match` capture")

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        self._bind(node.rest, "`match` capture")

    def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
        self._bind(node.name, "`type` alias")

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self.globals.setdefault(item.name.value, (self._range(node).start, self.stack[-1].name))
            self.stack[-1].add(
                item.name.value, Event(self._pos(item.name), "`global` declaration", decl=True)
            )

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        # a nested function re-binding an enclosing function's name: a binding in all of them
        what = f"`nonlocal` in `{self.stack[-1].name}`"
        for item in node.names:
            for scope in self.stack:
                if scope.kind == "function":
                    scope.add(item.name.value, Event(self._pos(item.name), what, decl=True))

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.container = node

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self.container = node

    def visit_LazyImport(self, node: cst.LazyImport) -> None:
        for alias in node.names:
            self.stack[-1].add(
                bound_name(alias, plain=True), Event(self._pos(alias), "`lazy import`")
            )

    def visit_LazyImportFrom(self, node: cst.LazyImportFrom) -> None:
        for alias in () if isinstance(node.names, cst.ImportStar) else node.names:
            self.stack[-1].add(
                bound_name(alias, plain=False), Event(self._pos(alias), "`lazy import`")
            )

    def _import(self, node: ImportNode) -> None:
        scope = self.stack[-1]
        if isinstance(node.names, cst.ImportStar):
            scope.stars.append(Event(self._pos(node), "star import"))
            return
        assert self.container is not None
        lines = self._range(self.container)
        top = self.depth[-1] == 0 and not self.type_checking
        for alias in node.names:
            key, name = import_key(node, alias), bound_name(alias, isinstance(node, cst.Import))
            what = f"`{render(key)}`" + (" under `if TYPE_CHECKING`" if self.type_checking else "")
            imp = Imp(
                key,
                name,
                alias,
                node,
                self.container,
                lines,
                self._range(alias),
                top,
                self.type_checking > 0,
                self.guards[-1] > 0,
            )
            scope.add(name, Event(self._pos(alias), what, imp))

    def visit_Import(self, node: cst.Import) -> None:
        self._import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._import(node)
