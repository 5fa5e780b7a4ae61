"""The rules behind ``hoist-imports`` that need no tree walk of their own: module lists, the
``try`` guard test, the bindings libcst's scope analysis does not record, and the import-graph
search used for cycle checks."""

from __future__ import annotations

import builtins
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import libcst as cst
from libcst.helpers import get_full_name_for_node

from ...components.modules import REMOVED_STDLIB
from ...cstkit.statements import walk_statements
from ...imports.nodes import sole_import
from ...project import ModuleInfo

PLATFORM_ONLY = (
    "winreg", "_winreg", "winsound", "msvcrt", "_winapi", "nt", "_overlapped", "win32api",
    "win32con", "win32com", "pywintypes", "pythoncom", "asyncio.windows_events",
    "asyncio.windows_utils", "asyncio.unix_events", "fcntl", "termios", "tty", "pty", "resource",
    "pwd", "grp", "posix", "crypt", "spwd", "nis", "syslog", "readline", "curses", "_curses",
    "dbm.gnu", "dbm.ndbm", "uvloop",
)  # fmt: skip
#: Removed standard-library modules, in the order :func:`matches` tries them.
REMOVED = tuple(REMOVED_STDLIB)
GUARDS = {"ImportError", "ModuleNotFoundError", "BaseException"}
BUILTINS = frozenset(dir(builtins))


def matches(name: str, entries: tuple[str, ...]) -> str | None:
    """The first of ``entries`` naming ``name`` or one of its parent packages."""
    if not entries:
        return None
    index = _positions(entries)
    found = [index[p] for p in _packages(name) if p in index]
    return entries[min(found)] if found else None


@lru_cache(maxsize=64)
def _positions(entries: tuple[str, ...]) -> dict[str, int]:
    """Each entry's first position (looked up by the ``name``'s packages instead of tried in turn:
    asked once per import, of lists of 20 to 40 entries)."""
    index: dict[str, int] = {}
    for i, entry in enumerate(entries):
        index.setdefault(entry, i)
    return index


def _packages(name: str) -> list[str]:
    """``a``, ``a.b`` and ``a.b.c`` for ``a.b.c``."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


@dataclass
class ExtraBindings:
    """Bindings libcst's scope analysis does not record, per function (or the module)."""

    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    #: name -> line of a ``del``, ``match`` capture or walrus target
    bound: dict[str, int] = field(default_factory=dict)


class BindingCollector(cst.CSTVisitor):
    """``global``/``nonlocal`` names, and ``del``/``match``/walrus targets of one scope owner."""

    def __init__(self, owner: cst.CSTNode, line: Callable[[cst.CSTNode], int]) -> None:
        self.owner = owner
        self.line = line
        self.extra = ExtraBindings()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.owner

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Global(self, node: cst.Global) -> None:
        self.extra.globals.update(n.name.value for n in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.extra.nonlocals.update(n.name.value for n in node.names)

    def _bind(self, node: cst.CSTNode | None) -> None:
        if isinstance(node, cst.Name):
            self.extra.bound.setdefault(node.value, self.line(node))
        elif isinstance(node, cst.Tuple | cst.List):
            for element in node.elements:
                self._bind(element.value)

    def visit_Del(self, node: cst.Del) -> None:
        self._bind(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        self._bind(node.name)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        self._bind(node.name)

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        self._bind(node.rest)


def extra_bindings(
    owner: cst.Module | cst.FunctionDef, line: Callable[[cst.CSTNode], int], walrus: bool
) -> ExtraBindings:
    """:class:`BindingCollector`'s result for ``owner``. Without a walrus in the source
    (``walrus`` False: the one binding that hides in expressions), only statements and
    ``case`` patterns are read."""
    collector = BindingCollector(owner, line)
    if walrus:
        owner.visit(collector)
        return collector.extra
    for node in walk_statements(owner if isinstance(owner, cst.Module) else owner.body, False):
        if isinstance(node, cst.Global):
            collector.visit_Global(node)
        elif isinstance(node, cst.Nonlocal):
            collector.visit_Nonlocal(node)
        elif isinstance(node, cst.Del):
            collector.visit_Del(node)
        elif isinstance(node, cst.MatchPattern):
            node.visit(collector)
    return collector.extra


def guard_reason(node: cst.Try | cst.TryStar) -> str | None:
    for handler in node.handlers:
        if handler.type is None:
            return "guarded import (optional dependency): under `try` with a bare `except`"
        types = handler.type.elements if isinstance(handler.type, cst.Tuple) else [handler.type]
        for item in types:
            expr = item.value if isinstance(item, cst.BaseElement) else item
            name = get_full_name_for_node(expr) or ""
            if name.split(".")[-1] in GUARDS and (
                name.count(".") == 0 or name.startswith("builtins.")
            ):
                return f"guarded import (optional dependency): under `try` with an `except {name}` handler"
    assert isinstance(node.body, cst.IndentedBlock)
    if all(sole_import(s) is not None or _is_pass(s) for s in node.body.body):
        return "guarded import (optional dependency): its `try` holds only imports"
    return None


def _is_pass(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, cst.Pass) for s in stmt.body
    )


def with_parents(names: list[str], current: ModuleInfo) -> list[str]:
    """The modules an import loads: each name, and each parent package not already being
    imported as an ancestor of the current module."""
    result: list[str] = []
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if not current.name.startswith(parent + ".") and parent not in result:
                result.append(parent)
        if name not in result:
            result.append(name)
    return [n for n in result if n != current.name]


def block_label(kind: str, where: str) -> str:
    if where == "except":
        return "in an `except` handler"
    if where == "finally":
        return "in a `finally` block"
    if where == "else" and kind == "try":
        return "in the `else` block of a `try`"
    return f"under `{kind}`"


def find_path(
    graph: Mapping[str, Iterable[str]], opaque: Collection[str], start: str, target: str
) -> tuple[list[str] | None, str | None]:
    """The shortest chain of imports ``start -> ... -> target``; else (None, the first module
    met that could not be analysed, if any: then there may be a chain nobody can see)."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    unknown: str | None = None
    while queue:
        current = queue.popleft()
        if current in opaque and unknown is None:
            unknown = current
        for nxt in sorted(graph.get(current, ())):
            if nxt == target:
                path = [target]
                step: str | None = current
                while step is not None:
                    path.append(step)
                    step = previous[step]
                return path[::-1], None
            if nxt not in previous:
                previous[nxt] = current
                queue.append(nxt)
    return None, unknown
