"""What libcst's ``ScopeProvider`` would answer ``wrap-blocking-calls``, where ``ast`` proves it.

Resolving ``ScopeProvider`` was about half of what wrap-blocking-calls cost in a file with many
``async def``. It asks the scopes two questions:

1. the qualified names of a dotted name it calls or infers from (``requests.get``, ``time``,
   ``helper``): :meth:`FileBindings.qualified`;
2. how ``asyncio``, ``functools``, ``anyio`` and ``run_in_threadpool`` are bound anywhere in the
   file: :meth:`FileBindings.introduced`.

When every binding of the root name in the whole file is at module level (no other scope
binds it, no ``global``/``nonlocal`` names it, no star import), every scope inside a function
resolves it to those bindings, and libcst's answer is the union of what each gives (only names
in function bodies are asked: at module level, libcst links a name to the assignments before it
only):

- an import (``import a``, ``import a.b as c``, ``from m import n as c``, relative too) gives
  libcst's ``ImportAssignment`` names: the imported name with the rest of the dotted name;
- a ``def``, ``class`` or assignment (``x = ...``, ``x: T = ...``) at module level gives the
  dotted name itself, as a local;
- a name bound nowhere is a builtin (``builtins.<root>``) when the ``builtins`` module has it,
  else it has no qualified name.

Everything else returns None and is asked of the scopes (resolved then, once): dunder names, a
plain ``import a.b`` (libcst binds ``a.b`` and matches by prefix), ``x: T`` without a value,
augmented assignments, loop, ``with``, ``except`` and walrus targets, any binding inside a
function or class, a file ``ast`` cannot read, and a file
with an identifier that NFKC normalisation changes (``ast`` normalises identifiers, libcst
does not). ``tests/commands/wrap_blocking_calls/test_names.py`` compares every answer with libcst's on every node of
every fixture and of generated programs, and the codemods' results both ways (``ENABLED``).
"""

from __future__ import annotations

import ast
import builtins
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Literal

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import QualifiedName, QualifiedNameSource

from ...astkit import astnodes
from ...astkit.asts import Trees
from ...astkit.names import scope_statements

#: Off: every question goes to libcst's scopes (the tests compare both ways).
ENABLED = True

_NON_ASCII_WORD = re.compile(r"\w*[^\x00-\x7f]\w*")
#: nodes whose ``name`` binds (the type parameters exist from Python 3.12)
_NAMED: tuple[type[ast.AST], ...] = (
    ast.ExceptHandler,
    ast.MatchAs,
    ast.MatchStar,
    *(getattr(ast, n) for n in ("TypeVar", "ParamSpec", "TypeVarTuple") if hasattr(ast, n)),
)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
#: Every node class :class:`FileBindings` reads.
_READ = frozenset(
    {
        ast.Name, ast.arg, ast.Import, ast.ImportFrom, *_DEFS, ast.Global, ast.Nonlocal,
        ast.Assign, ast.AnnAssign, *_NAMED, ast.MatchMapping,
    }
)  # fmt: skip


@dataclass(frozen=True)
class Binding:
    """A module-level binding of a name: an import alias (with its statement), or any other."""

    statement: ast.stmt | None = None
    alias: ast.alias | None = None
    #: the statement is a direct child of the module (libcst's "top-level import")
    top: bool = False


class FileBindings:
    """Every binding site of every name in one file, read from its ``ast``."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.count: Counter[str] = Counter()
        #: names of a ``global``/``nonlocal`` statement, or bound by a plain dotted import
        self.opaque: set[str] = set()
        self.star = False
        #: name -> its module-level bindings of the kinds this module can answer for
        self.simple: defaultdict[str, list[Binding]] = defaultdict(list)
        top = {id(s) for s in tree.body}
        module_level = {id(stmt) for stmt in scope_statements(tree.body)}
        for node in astnodes.of_classes(tree, _READ):
            if isinstance(node, ast.Name):
                if not isinstance(node.ctx, ast.Load):
                    self.count[node.id] += 1
            elif isinstance(node, ast.arg):
                self.count[node.arg] += 1
            elif isinstance(node, ast.Import | ast.ImportFrom):
                self._imports(node, id(node) in module_level, id(node) in top)
            elif isinstance(node, _DEFS):
                self.count[node.name] += 1
                if id(node) in module_level:
                    self.simple[node.name].append(Binding())
            elif isinstance(node, ast.Global | ast.Nonlocal):
                self.opaque.update(node.names)
            elif isinstance(node, ast.Assign | ast.AnnAssign) and id(node) in module_level:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if node.value is not None:  # ``x: int`` alone is left to the scopes
                    for target in targets:
                        if isinstance(target, ast.Name):
                            self.simple[target.id].append(Binding())
            elif isinstance(node, _NAMED):
                name = getattr(node, "name", None)
                if name is not None:
                    self.count[name] += 1
            elif isinstance(node, ast.MatchMapping) and node.rest is not None:
                self.count[node.rest] += 1

    def _imports(self, node: ast.Import | ast.ImportFrom, module_level: bool, top: bool) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.star = True
                continue
            if isinstance(node, ast.Import) and alias.asname is None and "." in alias.name:
                self.opaque.add(alias.name.split(".")[0])
            name = alias.asname or alias.name.split(".")[0]
            self.count[name] += 1
            if module_level:
                self.simple[name].append(Binding(node, alias, top))

    @classmethod
    def read(cls, source: str, trees: Trees) -> FileBindings | None:
        """The bindings of ``source`` (read with ``trees``); None when ``ast`` cannot read it, or
        reads an identifier differently from libcst."""
        if not ENABLED or (not source.isascii() and normalisation_differs(source)):
            return None
        try:
            tree = trees.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        return cls(tree)

    def _bindings(self, name: str) -> list[Binding] | Literal[False]:
        """Every binding of ``name`` (none: bound nowhere), or False when the scopes must
        decide."""
        if self.star or name in self.opaque or name.startswith("__"):
            return False
        count = self.count[name]
        found = self.simple.get(name, [])
        return found if len(found) == count else False

    def qualified(self, node: cst.CSTNode) -> set[QualifiedName] | None:
        """libcst's ``scope.get_qualified_names_for(node)`` for a dotted name in a function
        body; None: ask it."""
        full = get_full_name_for_node(node)
        if full is None:
            return None
        root = full.split(".", 1)[0]
        found = self._bindings(root)
        if found is False:
            return None
        if not found:
            if hasattr(builtins, root):
                return {QualifiedName(f"builtins.{root}", QualifiedNameSource.BUILTIN)}
            return set()
        # several module-level bindings: libcst answers with the names of all of them
        return {_qualified(binding, root, full) for binding in found}

    def introduced(self, name: str) -> Binding | Literal[False] | None:
        """How ``name`` is bound in the file: None when nowhere, its binding when once, by a
        module-level import; False when the scopes must decide."""
        found = self._bindings(name)
        if found is False:
            return False
        if not found:
            return None
        return found[0] if len(found) == 1 and found[0].alias is not None else False


def _qualified(binding: Binding, root: str, full: str) -> QualifiedName:
    """What libcst names ``full`` through ``binding`` of its root name ``root``."""
    statement, alias = binding.statement, binding.alias
    if alias is None:
        return QualifiedName(full, QualifiedNameSource.LOCAL)
    if isinstance(statement, ast.ImportFrom):
        module = "." * statement.level + (statement.module or "")
        real = f"{module}{alias.name}" if module.endswith(".") else f"{module}.{alias.name}"
    else:
        real = alias.name
    return QualifiedName(real + full[len(root) :], QualifiedNameSource.IMPORT)


def normalisation_differs(source: str) -> bool:
    return any(
        unicodedata.normalize("NFKC", word) != word for word in _NON_ASCII_WORD.findall(source)
    )
