"""Imported names that ``hoist-imports`` can decide without libcst's scopes.

Resolving ``ScopeProvider`` is most of what hoist-imports costs. Its questions about a name
(other bindings, uses before the import, uses at all, enclosing functions, module-level and
other-scope bindings: ``Planner.function_reason``, ``module_conflict``, ``shadow_reason``) all
have the answer "none, and it is used" when the name is *isolated*, which the standard library's
``ast`` shows at a fraction of the cost:

- the import is in the body of a function ``F`` that no other function encloses (classes may);
- it binds the name once, as a plain name (``import a.b`` without ``as`` binds ``a`` through a
  dotted name libcst matches by prefix, and is left to the scopes);
- every other occurrence of the name anywhere in the module is a read of a plain name (``Name``
  in a load context) in ``F``'s own scope or a comprehension in it, on a line after the import
  statement ends, and there is at least one: a parameter, an assignment, ``del``, ``global``,
  ``nonlocal``, a ``def``/``class`` name, an ``except``/``match``/``with``/``for``/walrus target
  or another import anywhere, or any mention in a nested ``def``/``lambda``/class, a decorator,
  a default or an annotation of ``F``, make the name not isolated;
- it occurs in no string literal but docstrings (libcst reads string annotations, ``cast`` and
  ``TypeVar`` arguments and ``__all__`` entries as uses).

Anything else goes to the scopes, as before. ``tests/commands/hoist_imports/test_isolated.py`` runs every fixture
and generated programs both ways (``ENABLED``) and compares code, changes and skips.
"""

from __future__ import annotations

import ast
import re
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from ...astkit import astnodes

#: Off: every name goes through libcst's scopes (the tests compare both ways).
ENABLED = True

_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = frozenset({*_FUNCTIONS, ast.Lambda, ast.ClassDef})
_COMPREHENSIONS = frozenset({ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp})
#: Node classes with no fields that are not statements (contexts, operators): the walk has
#: nothing to read in them.
_EMPTY = frozenset(
    kind
    for kind in vars(ast).values()
    if isinstance(kind, type) and issubclass(kind, ast.AST) and not kind._fields
    and not issubclass(kind, ast.stmt)
)
#: Fields holding an identifier that binds or reads a name (``attr``, keyword names and
#: ``from`` module paths do not; an aliased import's ``name`` is the imported attribute).
_NAME_FIELDS = ("id", "arg", "name", "rest")
#: node class -> which of :data:`_NAME_FIELDS` it has
_NAMES_IN: dict[type, tuple[str, ...]] = {}


@dataclass
class _Name:
    #: (import statement, the function it is in) for each time an import binds the name
    imports: list[tuple[ast.stmt, ast.AST]] = field(default_factory=list)
    #: (owner function, line) of each read
    loads: list[tuple[ast.AST | None, int]] = field(default_factory=list)
    other: bool = False


def mention_lines(source: str, names: Collection[str]) -> dict[str, list[int]]:
    """The lines on which each of ``names`` occurs as a word of ``source`` (in code, strings or
    comments alike): the cheap test before :func:`isolated_imports`, which a name can only pass
    if the text mentions it nowhere outside its function."""
    lines: dict[str, list[int]] = {}
    line, at = 1, 0
    for match in _IDENTIFIER.finditer(source):
        word = match.group()
        if word in names:
            line += source.count("\n", at, match.start())
            at = match.start()
            lines.setdefault(word, []).append(line)
    return lines


def isolated_imports(tree: ast.Module) -> dict[int, tuple[str, frozenset[str]]]:
    """First line of a function-level import statement -> (the function's name, the names the
    statement binds that are isolated). Lines on which two statements begin are left out."""
    walk = _Walk()
    names, in_strings, nested, statements_on = walk.names, walk.in_strings, walk.nested, walk.statements_on
    _docstring(tree.body, walk.docstrings)
    for stmt in tree.body:
        walk.visit(stmt, None, False)

    found: dict[int, tuple[str, set[str]]] = {}
    for name, facts in names.items():
        if facts.other or len(facts.imports) != 1 or name in in_strings:
            continue
        stmt, fn = facts.imports[0]
        assert isinstance(fn, _FUNCTIONS)
        end = stmt.end_lineno or stmt.lineno
        if (
            id(fn) not in nested
            and facts.loads
            and all(owner is fn and line > end for owner, line in facts.loads)
        ):
            found.setdefault(stmt.lineno, (fn.name, set()))[1].add(name)
    return {
        line: (fn, frozenset(bound))
        for line, (fn, bound) in found.items()
        if statements_on[line] == 1
    }


class _Walk:
    """The walk of :func:`isolated_imports` (a class: a nested function that calls itself is a
    reference cycle, left for the garbage collector)."""

    def __init__(self) -> None:
        self.names: defaultdict[str, _Name] = defaultdict(_Name)
        self.in_strings: set[str] = set()
        self.docstrings: set[int] = set()
        #: functions that another function encloses
        self.nested: set[int] = set()
        #: how many statements begin on each line
        self.statements_on: Counter[int] = Counter()

    def visit(self, node: ast.AST, owner: ast.AST | None, in_function: bool) -> None:
        """``owner``: the function whose own scope (or comprehension in it) holds ``node``;
        None when that scope is not a function's."""
        kind = type(node)  # exact classes: no ``ast`` node class is subclassed
        if kind is ast.Name:  # the most common node first
            if type(node.ctx) is ast.Load:  # type: ignore[attr-defined]
                self.names[node.id].loads.append((owner, node.lineno))  # type: ignore[attr-defined]
            else:
                self.names[node.id].other = True  # type: ignore[attr-defined]
            return
        if kind is ast.Constant:
            value = node.value  # type: ignore[attr-defined]
            if isinstance(value, str) and id(node) not in self.docstrings:
                self.in_strings.update(_IDENTIFIER.findall(value))
            return
        if kind in _EMPTY:  # ``Load``, ``Store``, the operators: nothing in them
            return
        if isinstance(node, ast.stmt):
            self.statements_on[node.lineno] += 1
        if kind is ast.keyword:
            self.visit(node.value, owner, in_function)  # type: ignore[attr-defined]  # ``f(name=...)`` names no variable
            return
        if kind in _SCOPES:
            self._scope(node, owner, in_function)  # type: ignore[arg-type]
            return
        if kind in _COMPREHENSIONS:
            # the first iterable is evaluated in the enclosing scope, the rest in the
            # comprehension's: both belong to the same function (or to none)
            for child in astnodes.children(node):
                self.visit(child, owner, in_function)
            return
        if kind is ast.Import or kind is ast.ImportFrom:
            self._import(node, owner)  # type: ignore[arg-type]
            return
        if kind is ast.Global or kind is ast.Nonlocal:
            for name in node.names:  # type: ignore[attr-defined]
                self.names[name].other = True
            return
        fields = _NAMES_IN.get(kind)
        if fields is None:
            fields = _NAMES_IN[kind] = tuple(f for f in _NAME_FIELDS if f in kind._fields)
        for name in fields:
            value = getattr(node, name, None)
            if isinstance(value, str):
                self.names[value].other = True
        for child in astnodes.children(node):
            self.visit(child, owner, in_function)

    def _scope(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef,
        owner: ast.AST | None,
        in_function: bool,
    ) -> None:
        if not isinstance(node, ast.Lambda):
            self.names[node.name].other = True
            for decorator in node.decorator_list:
                self.visit(decorator, owner, in_function)
            for param in getattr(node, "type_params", ()):  # PEP 695, Python 3.12+
                self.visit(param, None, in_function)
        if isinstance(node, ast.ClassDef):
            for base in [*node.bases, *node.keywords]:
                self.visit(base, owner, in_function)
            _docstring(node.body, self.docstrings)
            for stmt in node.body:
                self.visit(stmt, None, in_function)
            return
        args = node.args
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.visit(default, owner, in_function)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                self.names[arg.arg].other = True
                if arg.annotation is not None:
                    self.visit(arg.annotation, owner, in_function)
        if isinstance(node, ast.Lambda):
            self.visit(node.body, None, True)
            return
        if node.returns is not None:
            self.visit(node.returns, owner, in_function)
        if in_function:
            self.nested.add(id(node))
        _docstring(node.body, self.docstrings)
        for stmt in node.body:
            self.visit(stmt, node, True)

    def _import(self, node: ast.Import | ast.ImportFrom, owner: ast.AST | None) -> None:
        for alias in node.names:
            if alias.asname is not None:
                bound = alias.asname
            elif isinstance(node, ast.Import) and "." in alias.name:
                self.names[alias.name.split(".")[0]].other = True
                continue
            else:
                bound = alias.name
            if owner is None:
                self.names[bound].other = True
            else:
                self.names[bound].imports.append((node, owner))


def _docstring(body: list[ast.stmt], docstrings: set[int]) -> None:
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        docstrings.add(id(first.value))
