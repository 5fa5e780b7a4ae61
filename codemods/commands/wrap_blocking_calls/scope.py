"""Name binding and class inference over stdlib ``ast``, for the ``wrap-blocking-calls`` gather.

:func:`scope_bindings` lists every binding site of each name in one scope's own body; an
:class:`Env` (the ``ast`` adapter of :class:`~.infer.Inference`) resolves dotted names
to qualified names and proves the catalogue class of an expression from those sites, parameter
annotations, ``self.<attr>`` facts and module-level instances. Anything not understood is
unknown (None), never guessed.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterator

from ...astkit import astnodes
from ...project import ModuleInfo, resolve_relative
from . import receivers
from .infer import Attr, BinOp, Call, Inference, Name, NoneValue, Sub, View

_BUILTINS = frozenset(dir(builtins))
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
#: The node classes :class:`ModuleScope` reads from a module's whole tree.
_MODULE_FACTS = frozenset(
    {ast.NamedExpr, ast.comprehension, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom}
)

#: A binding site: (kind, payload). Kinds: import (qualname), value/annotation/with (expr),
#: def, class, unknown.
Source = tuple[str, object]


def scope_bindings(
    body: list[ast.stmt], current: ModuleInfo, nonlocals: bool = True, inline: bool = True
) -> tuple[dict[str, list[Source]], bool]:
    """Every binding site of each name in a scope's own body, and whether it star-imports.

    ``nonlocals=False``: the module has no ``nonlocal`` statement, so nested scopes are not
    searched for one (that search walked every nested body once per enclosing scope).
    ``inline=False``: the module has no ``:=`` and no comprehension, so no statement's
    expressions are searched for the names those bind."""
    out: dict[str, list[Source]] = {}
    star = False

    def add(name: str, source: Source) -> None:
        out.setdefault(name, []).append(source)

    def targets(node: ast.expr, source: Source) -> None:
        _targets(node, source, add)

    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            add(node.name, ("class" if isinstance(node, ast.ClassDef) else "def", node))
            for inner in ast.walk(node) if nonlocals else ():
                if isinstance(inner, ast.Nonlocal):
                    for name in inner.names:
                        add(name, ("unknown", None))
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                value = node.value
                if (
                    isinstance(target, ast.Tuple | ast.List)
                    and isinstance(value, ast.Tuple | ast.List)
                    and len(target.elts) == len(value.elts)
                    and not any(isinstance(e, ast.Starred) for e in [*target.elts, *value.elts])
                ):
                    for element, part in zip(target.elts, value.elts, strict=True):
                        targets(element, ("value", part))  # ``a, b = x, y``
                else:
                    targets(target, ("value", value))
        elif isinstance(node, ast.AnnAssign):
            targets(node.target, ("annotation", node.annotation))
        elif isinstance(node, ast.AugAssign | ast.For | ast.AsyncFor | ast.Delete):
            for target in node.targets if isinstance(node, ast.Delete) else [node.target]:
                targets(target, ("unknown", None))
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    kind = "with" if isinstance(node, ast.With) else "unknown"
                    targets(item.optional_vars, (kind, item.context_expr))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                add(alias.asname or top, ("import", alias.name if alias.asname else top))
        elif isinstance(node, ast.ImportFrom):
            base = resolve_relative(current, node.module, node.level)
            for alias in node.names:
                if alias.name == "*":
                    star = True
                else:
                    add(alias.asname or alias.name, ("import", f"{base}.{alias.name}") if base else ("unknown", None))
        elif isinstance(node, ast.Global | ast.Nonlocal):
            for name in node.names:
                add(name, ("unknown", None))
        elif isinstance(node, ast.Try | ast.TryStar):
            for handler in node.handlers:
                if handler.name:
                    add(handler.name, ("unknown", None))
                stack.extend(reversed(handler.body))
        elif isinstance(node, ast.Match):
            for case in node.cases:
                for pattern in ast.walk(case.pattern):
                    for name in _pattern_names(pattern):
                        add(name, ("unknown", None))
                stack.extend(reversed(case.body))
        for expr in _own_expressions(node) if inline else ():
            if isinstance(expr, ast.NamedExpr):
                add(expr.target.id, ("value", expr.value))
            elif isinstance(expr, ast.comprehension):
                for bound in ast.walk(expr.target):
                    if isinstance(bound, ast.Name):
                        add(bound.id, ("unknown", None))
        for field in ("body", "orelse", "finalbody"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                stack.extend(reversed([c for c in children if isinstance(c, ast.stmt)]))
    return out, star


def _targets(node: ast.expr, source: Source, add: Callable[[str, Source], None]) -> None:
    # not a closure calling itself, which would make a reference cycle per call
    if isinstance(node, ast.Name):
        add(node.id, source)
    elif isinstance(node, ast.Starred):
        _targets(node.value, ("unknown", None), add)
    elif isinstance(node, ast.Tuple | ast.List):
        for elt in node.elts:
            _targets(elt, ("unknown", None), add)


def _pattern_names(pattern: ast.AST) -> list[str]:
    if isinstance(pattern, ast.MatchAs | ast.MatchStar) and pattern.name:
        return [pattern.name]
    if isinstance(pattern, ast.MatchMapping) and pattern.rest:
        return [pattern.rest]
    return []


def _own_expressions(stmt: ast.stmt) -> Iterator[ast.AST]:
    """Expressions of ``stmt`` itself (not of nested statements or lambdas)."""
    stack: list[ast.AST] = []
    for _name, value in ast.iter_fields(stmt):
        items = value if isinstance(value, list) else [value]
        stack.extend(i for i in items if isinstance(i, ast.AST) and not isinstance(i, ast.stmt))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lambda | ast.excepthandler | ast.match_case):
            continue
        yield node
        stack.extend(astnodes.children(node))


def own_nodes(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """Every node of ``fn``'s body that runs when ``fn`` runs (nested scopes excluded)."""
    stack: list[ast.AST] = list(reversed(fn.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES):
            continue
        stack.extend(reversed(astnodes.children(node)))


class Env(Inference[ast.expr]):
    """Name resolution and class inference in one scope (a function, or the module)."""

    def __init__(
        self, mod: ModuleScope, fn: ast.FunctionDef | ast.AsyncFunctionDef | None, owner: str | None = None
    ) -> None:
        self.mod = mod
        local: dict[str, list[Source]] = {}
        self_name: str | None = None
        if fn is not None:
            local = mod.function_bindings(fn)
            positional = [*fn.args.posonlyargs, *fn.args.args]
            if owner and positional and not _has_decorator(fn, "staticmethod"):
                self_name = positional[0].arg
        super().__init__(local, owner, self_name)
        self.local: dict[str, list[Source]] = local

    # -- the ast adapter of :class:`Inference` --------------------------------------------------

    def view(self, node: ast.expr) -> View[ast.expr]:
        if isinstance(node, ast.Call):
            return Call(node.func)
        if isinstance(node, ast.Name):
            return Name(node.id)
        if isinstance(node, ast.Attribute):
            return Attr(node.value, node.attr)
        if isinstance(node, ast.Subscript):
            index = node.slice
            first = (index.elts[0] if index.elts else None) if isinstance(index, ast.Tuple) else index
            return Sub(node.value, first)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.BitOr):
            return BinOp("/" if isinstance(node.op, ast.Div) else "|", node.left, node.right)
        if isinstance(node, ast.Constant) and node.value is None:
            return NoneValue()
        return None

    def node(self, payload: object) -> ast.expr | None:
        return payload if isinstance(payload, ast.expr) else None

    def is_local(self, name: str) -> bool:
        return name in self.local

    def qualname(self, node: ast.expr) -> str | None:
        """The dotted qualified name ``node`` refers to, when it is an import/def/builtin path."""
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        if not isinstance(node, ast.Name):
            return None
        name = node.id
        if name in self.local:
            return single_import(self.local[name])
        return self.mod.qualname(name)

    def global_class(self, node: ast.expr) -> str | None:
        name = node.id if isinstance(node, ast.Name) else ""
        return self.mod.binding(f"{self.mod.name}.{name}") if name in self.mod.names else None

    def binding(self, key: str) -> str | None:
        return self.mod.binding(key)

    def factory(self, qualname: str) -> str | None:
        return receivers.class_of_factory(qualname)

    def unquote(self, node: ast.expr) -> ast.expr | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                return ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        return node

    def entered_fallback(self, context: ast.expr) -> str | None:
        if self.named_session(context):
            return receivers.SESSION  # a sync ORM session block: ``with get_db_session() as s``
        return None

    # -- gather-only ----------------------------------------------------------------------------

    def callee_key(self, call: ast.Call) -> str | None:
        """What ``call`` invokes: a qualified name or ``<class>.<method>``."""
        func = call.func
        if isinstance(func, ast.Attribute):
            value = func.value
            if self.self_name and isinstance(value, ast.Name) and value.id == self.self_name:
                return f"{self.owner}.{func.attr}"
            receiver = self.infer(value)
            if receiver:
                return f"{receiver}.{func.attr}"
        return self.qualname(func)


def single_import(sources: list[Source]) -> str | None:
    names = {payload for kind, payload in sources if kind == "import"}
    if len(names) == 1 and len(sources) == len([s for s in sources if s[0] == "import"]):
        name = names.pop()
        return name if isinstance(name, str) else None
    return None


def _has_decorator(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    return any(isinstance(d, ast.Name) and d.id == name for d in fn.decorator_list)


class ModuleScope:
    """The module's own bindings, plus the bindings gathered so far (for inference)."""

    def __init__(self, tree: ast.Module, info: ModuleInfo) -> None:
        self.info = info
        self.name = info.name
        self.imported: set[str] = set()
        declared_global: list[str] = []
        self.nonlocals = False
        #: the module has a ``:=`` or a comprehension (see :func:`scope_bindings`)
        self.inline = False
        for node in astnodes.of_classes(tree, _MODULE_FACTS):
            if isinstance(node, ast.NamedExpr | ast.comprehension):
                self.inline = True
            elif isinstance(node, ast.Global):
                declared_global.extend(node.names)
            elif isinstance(node, ast.Nonlocal):
                self.nonlocals = True
            elif isinstance(node, ast.Import):
                self.imported.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                self.imported.add(node.module.split(".")[0])
        self.names, self.star = scope_bindings(tree.body, info, self.nonlocals, self.inline)
        for name in declared_global:
            self.names.setdefault(name, []).append(("unknown", None))
        self.bindings: dict[str, str] = {}
        self._functions: dict[int, dict[str, list[Source]]] = {}
        self._own: dict[int, list[ast.AST]] = {}

    def own_nodes(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
        """:func:`own_nodes`, once per function (a method is read for its class's attributes and
        for its own facts)."""
        found = self._own.get(id(fn))
        if found is None:
            found = self._own[id(fn)] = list(own_nodes(fn))
        return found

    def function_bindings(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, list[Source]]:
        """The binding sites of ``fn``'s locals, parameters included (computed once per
        function: a method's are needed for its class's attributes and for its own facts)."""
        found = self._functions.get(id(fn))
        if found is not None:
            return found
        local, _ = scope_bindings(fn.body, self.info, self.nonlocals, self.inline)
        args = fn.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            local.setdefault(arg.arg, []).append(
                ("annotation", arg.annotation) if arg.annotation else ("unknown", None)
            )
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                local.setdefault(extra.arg, []).append(("unknown", None))
        self._functions[id(fn)] = local
        return local

    def qualname(self, name: str) -> str | None:
        sources = self.names.get(name)
        if sources is None:
            return f"builtins.{name}" if name in _BUILTINS and not self.star else None
        imported = single_import(sources)
        if imported:
            return imported
        return f"{self.name}.{name}" if len(sources) == 1 else None

    def binding(self, qualname: str) -> str | None:
        return self.bindings.get(qualname)
