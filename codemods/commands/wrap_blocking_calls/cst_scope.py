"""libcst side of ``wrap-blocking-calls``: names and receiver classes inside one async function.

:class:`Bindings` lists every binding site of each name in a function's own scope (nested
scopes only contribute ``nonlocal`` names and comprehension targets, which make a name unknown).
:class:`Resolver` (the libcst adapter of :class:`~.infer.Inference`) turns callee
expressions into qualified names (through libcst's scope analysis) and proves receiver classes
from local bindings, parameter annotations, ``self.<attr>`` facts and module-level instances
gathered project-wide.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Generic, TypeVar

import libcst as cst
from libcst.metadata import QualifiedName, QualifiedNameSource

from ...project import ModuleInfo, resolve_relative
from . import receivers
from .combine import BlockingFacts
from .infer import Attr, BinOp, Call, Inference, Name, NoneValue, Sub, View

N = TypeVar("N", bound=cst.CSTNode)

#: A binding site: (kind, node). Kinds: value, annotation, with, import, global, unknown.
Source = tuple[str, cst.BaseExpression | None]
_UNKNOWN: Source = ("unknown", None)
_IMPORT: Source = ("import", None)


class Bindings(cst.CSTVisitor):
    """Binding sites of the names of one function scope."""

    def __init__(self, fn: cst.FunctionDef) -> None:
        self.names: dict[str, list[Source]] = {}
        self._nested = 0
        params = fn.params
        for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
            annotation = param.annotation.annotation if param.annotation else None
            self._add(param.name.value, ("annotation", annotation) if annotation else _UNKNOWN)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self._add(star.name.value, _UNKNOWN)
        fn.body.visit(self)

    def _add(self, name: str, source: Source) -> None:
        self.names.setdefault(name, []).append(source)

    def _targets(self, node: cst.BaseExpression, source: Source) -> None:
        if isinstance(node, cst.Name):
            self._add(node.value, source)
        elif isinstance(node, cst.Tuple | cst.List):
            for element in node.elements:
                self._targets(element.value, _UNKNOWN)
        elif isinstance(node, cst.StarredElement):
            self._targets(node.value, _UNKNOWN)

    def _scope(self, node: cst.FunctionDef | cst.ClassDef | None) -> bool:
        if node is not None and not self._nested:
            self._add(node.name.value, _UNKNOWN)
        self._nested += 1
        return True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return self._scope(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._nested -= 1

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return self._scope(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._nested -= 1

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return self._scope(None)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._nested -= 1

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        for item in node.names:
            self._add(item.name.value, _UNKNOWN)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        for name in _names_in(node.target):
            self._add(name, _UNKNOWN)

    def visit_Global(self, node: cst.Global) -> None:
        if not self._nested:
            for item in node.names:
                self._add(item.name.value, ("global", None))

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._nested:
            for target in node.targets:
                pairs = unpacked(target.target, node.value)
                if pairs is None:
                    self._targets(target.target, ("value", node.value))
                for name, value in pairs or ():
                    self._targets(name, ("value", value))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if not self._nested:
            self._targets(node.target, ("annotation", node.annotation.annotation))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if not self._nested:
            self._targets(node.target, _UNKNOWN)

    def visit_For(self, node: cst.For) -> None:
        if not self._nested:
            self._targets(node.target, _UNKNOWN)

    def visit_With(self, node: cst.With) -> None:
        if self._nested:
            return
        for item in node.items:
            if item.asname is not None:
                source: Source = _UNKNOWN if node.asynchronous else ("with", item.item)
                self._targets(item.asname.name, source)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        if not self._nested:
            self._targets(node.target, ("value", node.value))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if not self._nested and node.name is not None:
            self._targets(node.name.name, _UNKNOWN)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        if not self._nested and node.name is not None:
            self._targets(node.name.name, _UNKNOWN)

    def visit_Del(self, node: cst.Del) -> None:
        if not self._nested:
            for name in _names_in(node.target):
                self._add(name, _UNKNOWN)

    def visit_Import(self, node: cst.Import) -> None:
        if not self._nested:
            for alias in node.names:
                self._targets(alias.asname.name if alias.asname else _root(alias.name), _IMPORT)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not self._nested and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                self._targets(alias.asname.name if alias.asname else _root(alias.name), _IMPORT)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self._add(node.name.value, _UNKNOWN)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self._add(node.name.value, _UNKNOWN)

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self._add(node.rest.value, _UNKNOWN)


def unpacked(
    target: cst.BaseExpression, value: cst.BaseExpression
) -> list[tuple[cst.BaseExpression, cst.BaseExpression]] | None:
    """``a, b = x, y``: each target with its own value, when both sides are tuples or lists of
    the same length without a starred element; else None."""
    if not isinstance(target, cst.Tuple | cst.List) or not isinstance(value, cst.Tuple | cst.List):
        return None
    left, right = target.elements, value.elements
    if len(left) != len(right) or any(isinstance(e, cst.StarredElement) for e in [*left, *right]):
        return None
    return [(t.value, v.value) for t, v in zip(left, right, strict=True)]


def _root(node: cst.BaseExpression) -> cst.BaseExpression:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node


def _names_in(node: cst.CSTNode) -> list[str]:
    return [name.value for name in nodes_of(node, cst.Name)]


def nodes_of(node: cst.CSTNode, kind: type[N]) -> list[N]:
    """Every node of class ``kind`` in ``node`` (itself included), in source order."""
    collect = _Instances(kind)
    node.visit(collect)
    return collect.found


class _Instances(cst.CSTVisitor, Generic[N]):
    #: whitespace and punctuation are never of the class sought (``readonly_visit.TOKENS``)
    SKIPS_TOKENS = True

    def __init__(self, kind: type[N]) -> None:
        super().__init__()
        self.kind = kind
        self.found: list[N] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, self.kind):
            self.found.append(node)
        return True


QualifiedNames = Callable[[cst.CSTNode], Collection[QualifiedName]]


class Resolver(Inference[cst.BaseExpression]):
    """Qualified names and receiver classes inside one async function: the libcst adapter of
    :class:`~.infer.Inference`."""

    def __init__(
        self,
        qualified: QualifiedNames,
        module: ModuleInfo,
        facts: BlockingFacts,
        bindings: dict[str, list[Source]],
        owner: str | None = None,
        self_name: str | None = None,
        enclosing: Resolver | None = None,
    ) -> None:
        super().__init__(bindings, owner, self_name)
        self.qualified = qualified
        self.module = module
        self.facts = facts
        self.bindings = bindings
        #: the resolver of the function this one is nested in (its locals are our free names)
        self.enclosing = enclosing
        self._locals = {
            name
            for name, sources in bindings.items()
            if any(kind not in ("import", "global") for kind, _ in sources)
            and not any(kind == "global" for kind, _ in sources)
        }

    def is_local(self, name: str) -> bool:
        """Is ``name`` a local variable (bound in the function, not only by imports)?"""
        return name in self._locals

    def qualname(self, node: cst.BaseExpression) -> str | None:
        """The qualified name of a dotted name that refers to an import, a builtin or a
        module-level definition; None for anything else (locals, calls, ambiguous names)."""
        root = _root(node)
        if not isinstance(root, cst.Name) or self.is_local(root.value):
            return None
        names = self.qualified(node)
        if len(names) != 1:
            return None
        (found,) = names
        name = found.name
        if found.source is QualifiedNameSource.IMPORT:
            if not name.startswith("."):
                return name
            level = len(name) - len(name.lstrip("."))
            return resolve_relative(self.module, name[level:] or None, level)
        if found.source is QualifiedNameSource.BUILTIN:
            return name
        if "<locals>" in name:
            return None
        return f"{self.module.name}.{name}"

    def view(self, node: cst.BaseExpression) -> View[cst.BaseExpression]:
        if isinstance(node, cst.Call):
            return Call(node.func)
        if isinstance(node, cst.Name):
            return NoneValue() if node.value == "None" else Name(node.value)
        if isinstance(node, cst.Attribute):
            return Attr(node.value, node.attr.value)
        if isinstance(node, cst.Subscript):
            first = node.slice[0].slice if node.slice else None
            return Sub(node.value, first.value if isinstance(first, cst.Index) else None)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide | cst.BitOr):
            return BinOp("/" if isinstance(node.operator, cst.Divide) else "|", node.left, node.right)
        return None

    def node(self, payload: object) -> cst.BaseExpression | None:
        return payload if isinstance(payload, cst.BaseExpression) else None

    def global_class(self, node: cst.BaseExpression) -> str | None:
        outer = self.enclosing
        if outer is not None and isinstance(node, cst.Name) and self.closes_over(node.value):
            # a free name the enclosing function binds: every site there must agree (a
            # ``nonlocal`` rebinding in any nested function makes it unknown there)
            return outer.infer(node)
        name = self.qualname(node)
        return self.facts.binding(name) if name else None

    def closes_over(self, name: str) -> bool:
        """Is ``name`` a free name of this function that an enclosing function binds?"""
        sources = self.bindings.get(name, ())
        if self.enclosing is None or any(kind == "global" for kind, _ in sources):
            return False
        return name in self.enclosing.bindings

    def binding(self, key: str) -> str | None:
        return self.facts.binding(key)

    def factory(self, qualname: str) -> str | None:
        return receivers.class_of_factory(self.facts.unalias(qualname))
