"""Where ``wrap-blocking-calls``' rewriter is in the tree: the scopes on the way down (only
the direct body of an ``async def`` is rewritten, not nested ``def``/``lambda``/class bodies,
decorators, defaults or annotations), and what it reads of the whole file only when first asked
(name bindings from ``ast``, libcst's scopes, positions, statement lines).

:class:`~.rewrite.Rewriter` extends :class:`ScopeWalk` with what it does at each call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, QualifiedName, Scope, ScopeProvider

from ...astkit.asts import Trees
from ...cstkit.positions import FastPositionProvider
from ...cstkit.statement_lines import Table, one_line, usable_lines
from ...cstkit.statements import walk_statements
from ...project import ModuleInfo
from . import catalogue as cat
from .combine import BlockingFacts
from .cst_scope import Bindings, Resolver, nodes_of
from .edit import IntroducedNames
from .names import FileBindings
from .offload import Offload

if TYPE_CHECKING:
    from ...base import Codemod


@dataclass
class Frame:
    """One scope on the way down: module-level class, function, lambda."""

    kind: str  # async, sync, lambda, class
    name: str = ""
    key: str | None = None
    resolver: Resolver | None = None
    #: > 0 while in decorators, parameters or annotations (evaluated outside the body).
    exempt: int = 0
    #: > 0 while inside a generator expression (its first iterable excepted).
    genexp: int = 0
    #: Names bound by a reported blocking ``with`` block (calls on them are covered).
    covered: set[str] = field(default_factory=set)


_Hook = Callable[[Any, Any], Any]


class _Lazy:
    """What the rewriter reads about the whole file only on the first question."""

    def __init__(self, wrapper: MetadataWrapper, source: str, trees: Trees) -> None:
        self._wrapper = wrapper
        self._source = source
        self._trees = trees

    @cached_property
    def bindings(self) -> FileBindings | None:
        return FileBindings.read(self._source, self._trees)

    @cached_property
    def scopes(self) -> Mapping[cst.CSTNode, Scope | None]:
        return self._wrapper.resolve(ScopeProvider)


class ScopeWalk(cst.CSTVisitor):
    """The visitor's walk: hook dispatch, the frames of the scopes it is in, lazy file facts."""

    def __init__(
        self,
        command: Codemod,
        wrapper: MetadataWrapper,
        facts: BlockingFacts,
        catalogue: cat.Catalogue,
        offload: Offload,
        info: ModuleInfo,
        quiet: str | None = None,
    ) -> None:
        super().__init__()
        self.wrapper = wrapper
        self.command = command
        self.facts = facts
        self.catalogue = catalogue
        self.blocking = facts.blocking_for(catalogue)
        #: what blocking calls and ``time.sleep`` become (a None field: those sites are skipped)
        self.offload = offload
        self.info = info
        #: why this file's async code runs one thing at a time: its sites are display-only
        self.quiet = quiet
        self.names: IntroducedNames | None = None
        self.frames: list[Frame] = []
        self._handled: set[cst.CSTNode] = set()
        self._awaited: set[cst.CSTNode] = set()
        self._primary: set[cst.CSTNode] = set()
        #: calls in the first iterable of enclosing generator expressions -> how many of them
        self._eager: dict[cst.CSTNode, int] = {}
        #: calls to rewrite -> (``time.sleep``?, bind with ``functools.partial``?, a primary?)
        self.rewrites: dict[cst.Call, tuple[bool, bool, bool]] = {}
        #: the names the ``time.sleep`` calls to rewrite are read through (``time``, ``sleep``)
        self.sleep_names: Counter[str] = Counter()
        #: the nodes being visited, outermost first; and the ids of every ancestor of a call to
        #: rewrite (ids: a libcst node's ``__hash__`` is Python code, asked for every node)
        self._stack: list[cst.CSTNode] = []
        self.path: set[int] = set()
        #: node class -> its (visit, leave) hooks, or None where this visitor has none: the
        #: class's functions, as bound methods kept here would make a cycle through ``self``
        self._hooks: dict[type[cst.CSTNode], tuple[_Hook | None, _Hook | None]] = {}

    #: ``on_visit``/``on_leave`` only keep the ancestors of what the hooks see: the read-only
    #: walk need not enter whitespace and punctuation (:data:`...cstkit.readonly_visit.TOKENS`)
    SKIPS_TOKENS = True

    def on_visit(self, node: cst.CSTNode) -> bool:
        # libcst's dispatch (``getattr`` of an f-string per node and hook), with the hooks of
        # each node class looked up once
        self._stack.append(node)
        kind = type(node)
        hooks = self._hooks.get(kind)
        if hooks is None:
            name = kind.__name__
            mine = type(self)
            hooks = self._hooks[kind] = (getattr(mine, f"visit_{name}", None), getattr(mine, f"leave_{name}", None))
        visit = hooks[0]
        return visit is None or visit(self, node) is not False

    def on_leave(self, original_node: cst.CSTNode) -> None:
        leave = self._hooks[type(original_node)][1]
        if leave is not None:
            leave(self, original_node)
        self._stack.pop()

    def visit_Module(self, node: cst.Module) -> None:
        # the callables hold ``_Lazy``, not the rewriter: a cycle through the rewriter would keep
        # the whole tree for the garbage collector to find, instead of freeing it when done
        lazy = self._lazy
        self.names = IntroducedNames(lambda: lazy.scopes, node, lambda: lazy.bindings)

    @property
    def imports(self) -> set[tuple[str, str | None]]:
        """(module, name) pairs to import; name None means ``import module``."""
        return self.names.imports if self.names else set()

    @cached_property
    def _lazy(self) -> _Lazy:
        context = self.command.context
        return _Lazy(self.wrapper, context.source, context.trees)

    @property
    def _bindings(self) -> FileBindings | None:
        return self._lazy.bindings

    @property
    def _scopes(self) -> Mapping[cst.CSTNode, Scope | None]:
        return self._lazy.scopes

    def _qualified(self, node: cst.CSTNode) -> set[QualifiedName]:
        bindings = self._bindings
        found = bindings.qualified(node) if bindings is not None else None
        if found is not None:
            return found
        scope = self._scopes.get(node)
        return set(scope.get_qualified_names_for(node)) if isinstance(scope, Scope) else set()

    def active(self) -> Frame | None:
        frame = self.frames[-1] if self.frames else None
        return frame if frame is not None and frame.kind == "async" and not frame.exempt else None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        parent = self.frames[-1] if self.frames else None
        key = None
        if parent is None:
            key = f"{self.info.name}.{node.name.value}"
        elif parent.kind == "class" and parent.key:
            key = f"{parent.key}.{node.name.value}"
        self.frames.append(Frame("class", node.name.value, key))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.frames.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        parent = self.frames[-1] if self.frames else None
        enclosing = parent.resolver if parent is not None and parent.kind in ("sync", "async") else None
        if node.asynchronous is None:
            # Nothing under a sync frame is rewritten or reported (``active`` is None there,
            # decorators and defaults included): its subtree is not traversed, and so not
            # rebuilt, unless an ``async def`` is nested in it, which may use its locals.
            nested = _holds_async_def(node)
            outer = None
            if nested:
                names = Bindings(node).names
                outer = Resolver(self._qualified, self.info, self.facts, names, enclosing=enclosing)
            self.frames.append(Frame("sync", node.name.value, resolver=outer))
            return nested
        owner = parent.key if parent is not None and parent.kind == "class" else None
        self_name = None
        positional = [*node.params.posonly_params, *node.params.params]
        static = any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in node.decorators)
        if owner and positional and not static:
            self_name = positional[0].name.value
        resolver = Resolver(
            self._qualified, self.info, self.facts, Bindings(node).names, owner, self_name, enclosing
        )
        self.frames.append(Frame("async", node.name.value, resolver=resolver))
        return True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.frames.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.frames.append(Frame("lambda"))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.frames.pop()

    def _exempt(self, delta: int) -> None:
        if self.frames:
            self.frames[-1].exempt += delta

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self._exempt(1)

    def leave_Decorator(self, original_node: cst.Decorator) -> None:
        self._exempt(-1)

    def visit_Parameters(self, node: cst.Parameters) -> None:
        self._exempt(1)

    def leave_Parameters(self, original_node: cst.Parameters) -> None:
        self._exempt(-1)

    def visit_Annotation(self, node: cst.Annotation) -> None:
        self._exempt(1)

    def leave_Annotation(self, original_node: cst.Annotation) -> None:
        self._exempt(-1)

    def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
        self._exempt(1)  # evaluated lazily, in its own scope

    def leave_TypeAlias(self, original_node: cst.TypeAlias) -> None:
        self._exempt(-1)

    def visit_TypeParameters(self, node: cst.TypeParameters) -> None:
        self._exempt(1)

    def leave_TypeParameters(self, original_node: cst.TypeParameters) -> None:
        self._exempt(-1)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        frame = self.active()
        if frame is not None:
            frame.genexp += 1
            # the first iterable is evaluated eagerly, outside the generator
            for call in nodes_of(node.for_in.iter, cst.Call):
                self._eager[call] = self._eager.get(call, 0) + 1

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        frame = self.active()
        if frame is not None:
            frame.genexp -= 1

    @cached_property
    def _positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        # resolved on first use, and kept: each ``wrapper.resolve`` costs about 0.5 ms even when
        # libcst has the answer cached (it inspects the provider's visitors again)
        return self.wrapper.resolve(FastPositionProvider)

    @cached_property
    def _statements(self) -> Table:
        bindings = self._bindings
        tree = bindings.tree if bindings is not None else None
        return usable_lines(self.wrapper.module, tree, self.command.context.source)

    def _lines(self, node: cst.CSTNode) -> tuple[int, int]:
        """First and last line of ``node``: for a node on the visit stack whose enclosing simple
        statement is on one line, that line (from ``ast``, no printing); else from the
        positions."""
        line = one_line(self._statements, self._stack) if node in self._stack else None
        if line is not None:
            return line, line
        pos = self._positions[node]
        return pos.start.line, pos.end.line


def _holds_async_def(node: cst.FunctionDef) -> bool:
    """Is an ``async def`` nested anywhere in ``node`` (statements only: it is one)?"""
    return any(
        isinstance(n, cst.FunctionDef) and n.asynchronous is not None
        for n in walk_statements(node.body, enter_defs=True)
    )
