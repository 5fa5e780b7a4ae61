"""The one-pass libcst transformer of ``wrap-blocking-calls``.

It tracks the scope it is in (only the direct body of an ``async def`` is rewritten: not nested
``def``/``lambda``/class bodies, decorators, defaults or annotations), classifies each call with
:class:`~.cst_scope.Resolver`, and either rewrites it, reports it display-only, or leaves it.
Every decision goes through the codemod's ``report``/``skip``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, QualifiedName, Scope, ScopeProvider

from ...cstkit.path_rebuild import rebuild
from ...cstkit.positions import FastPositionProvider
from ...cstkit.statement_lines import Table, one_line, usable_lines
from ...cstkit.statements import walk_statements
from ...project import ModuleInfo
from ...types import Safety
from . import catalogue as cat
from . import receivers, verdict
from .combine import BlockingFacts
from .cst_scope import Bindings, Resolver, nodes_of
from .edit import (
    IntroducedNames,
    awaited,
    code,
    label,
    needs_partial,
    offload,
    read_names,
    root_name,
)
from .keep import Intent, noqa_keeps
from .names import FileBindings
from .offload import CALL_SYNTAX, OFFLOAD_CALLS, OFFLOADER, SLEEP_SYNTAX, UNKNOWN, Offload
from .unused_imports import drop, removable
from .verdict import Target

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


#: The fix title of a site in a test or one-shot script (``scripts-and-tests = "report"``).
QUIET_TITLE = (
    "Nothing else runs on this event loop, so offloading protects nothing; offload it if this code "
    'runs concurrently with other work (`scripts-and-tests = "rewrite"` rewrites these)'
)

_Hook = Callable[[Any, Any], Any]


class _Lazy:
    """What the rewriter reads about the whole file only on the first question."""

    def __init__(self, wrapper: MetadataWrapper, source: str) -> None:
        self._wrapper = wrapper
        self._source = source

    @cached_property
    def bindings(self) -> FileBindings | None:
        return FileBindings.read(self._source)

    @cached_property
    def scopes(self) -> Mapping[cst.CSTNode, Scope | None]:
        return self._wrapper.resolve(ScopeProvider)


class Rewriter(cst.CSTVisitor):
    """Visit ``wrapper.module`` with ``wrapper.visit(rewriter)``, then take
    ``rewriter.rewritten(module)``: a read-only pass decides and reports, the rewrite follows.

    No metadata is declared: qualified names are answered from ``ast`` where it proves them
    (:mod:`.names`), else asked of the node's scope, with ``ScopeProvider`` resolved on
    the first such question (``QualifiedNameProvider`` would resolve names for every node up
    front); positions are resolved only in files that report something.
    """

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
        #: the nodes being visited, outermost first; and every ancestor of a call to rewrite
        self._stack: list[cst.CSTNode] = []
        self.path: set[cst.CSTNode] = set()
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

    # -- scopes ---------------------------------------------------------------------------------

    @cached_property
    def _lazy(self) -> _Lazy:
        return _Lazy(self.wrapper, self.command.context.source)

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

    # -- context of a call ----------------------------------------------------------------------

    def visit_Await(self, node: cst.Await) -> None:
        # the calls whose value is awaited return an awaitable: not blocking calls to offload
        # (``await (x := f())``, ``await (f() if c else g())``, ``await (f() or g())``)
        pending: list[cst.BaseExpression] = [node.expression]
        while pending:
            expr = pending.pop()
            self._awaited.add(expr)
            if isinstance(expr, cst.NamedExpr):
                pending.append(expr.value)
            elif isinstance(expr, cst.IfExp):
                pending += [expr.body, expr.orelse]
            elif isinstance(expr, cst.BooleanOperation):
                pending += [expr.left, expr.right]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._primary.add(node.value)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self._primary.add(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        self._primary.add(node.func)

    def visit_With(self, node: cst.With) -> None:
        frame = self.active()
        if frame is None or node.asynchronous is not None:
            return
        for item in node.items:
            described = self._blocking_context(frame, item.item)
            if described is None:
                continue
            self._handled.add(item.item)
            if item.asname is not None:
                frame.covered.update(n.value for n in read_names(item.asname.name))
            line = self._lines(item.item)[0]
            kind, what = described
            if kind == "session":
                message = (
                    f"Sync database session block `{what}` in async function `{frame.name}`: "
                    "the session is bound to this thread and every query in the block blocks"
                )
                title = "Use an async session, or move the whole block into a sync function run in the threadpool"
            else:
                message = (
                    f"Blocking context manager {what} in async function `{frame.name}`: the whole "
                    "`with` block blocks the event loop, so wrapping the call alone fixes nothing"
                )
                title = "Move the whole `with` block into a sync function and run that in the threadpool"
            self.command.report(line, message, title, Safety.DISPLAY_ONLY)

    def _blocking_context(self, frame: Frame, expr: cst.BaseExpression) -> tuple[str, str] | None:
        if not isinstance(expr, cst.Call):
            return None
        target = self.classify(frame, expr)
        if target is not None and target.fn_kind != "generator":
            return ("call", target.label)
        assert frame.resolver is not None
        cls = frame.resolver.infer(expr)
        if receivers.is_thread_bound(cls) or (cls is None and frame.resolver.named_session(expr)):
            return ("session", code(expr))
        return None

    # -- classification -------------------------------------------------------------------------

    def classify(self, frame: Frame, call: cst.Call) -> Target | None:
        resolver = frame.resolver
        assert resolver is not None
        func = call.func
        if isinstance(func, cst.Attribute):
            value, method = func.value, func.attr.value
            if root_name(value) in frame.covered:
                return None
            if resolver.self_name and isinstance(value, cst.Name) and value.value == resolver.self_name:
                found = self._project(f"{resolver.owner}.{method}", func, None)
                if found is not None:
                    return found
            cls = resolver.infer(value)
            if cls is not None:
                key = f"{cls}.{method}"
                if not self.catalogue.blocks(key):
                    return None
                bound = cls if receivers.is_thread_bound(cls) else None
                return Target("method", label(func, key), thread_bound=bound, key=key)
        name = resolver.qualname(func)
        if name is None:
            return None
        name = self.facts.unalias(name)
        if name in OFFLOAD_CALLS:
            return None
        unsteady = self.facts.unsteady_method(name)
        if unsteady is not None:
            return self._project(unsteady[0], func, name, unsteady[1])
        found = self._project(self.facts.resolve(name), func, name)
        if found is not None:
            return found
        if name == "time.sleep" and self.catalogue.blocks(name):
            return Target("sleep", label(func, name), key=name)
        resolved = self.facts.resolve(name)
        if not self.catalogue.blocks(resolved):
            return None
        made = receivers.class_of_factory(resolved)
        bound = made if receivers.is_thread_bound(made) else None
        return Target("function", label(func, resolved), thread_bound=bound, key=resolved)

    def _project(
        self, key: str, func: cst.BaseExpression, name: str | None, shared: str = ""
    ) -> Target | None:
        """A call of the project function ``key``, by ``name`` (None: a method of ``self``;
        ``db.fetch`` for ``Database.fetch`` on a module-level instance ``db``); ``shared``: why
        the object it is called on stays on the loop."""
        chain = self.blocking.get(key)
        if chain is None:
            return None
        fn = self.facts.functions[key]
        loop = self.facts.loop_bound.get(key)
        on_instance = name is not None and name.rpartition(".")[0] in self.facts.instances
        via = self.facts.shared(name) if name is not None and on_instance else None
        via = f"it uses {via}" if via else ""
        return Target(
            "project",
            f"`{code(func)}`",
            self.facts.why(chain),
            fn_kind=fn.kind,
            decorator=fn.decorator,
            loop=self.facts.why(loop) if loop else "",
            makes=self.facts.thread_bound(key),
            shares=via or self.facts.shares(key) or shared,
        )

    # -- rewriting ------------------------------------------------------------------------------

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

    def leave_Call(self, original_node: cst.Call) -> None:
        frame = self.active()
        if frame is None or original_node in self._handled or original_node in self._awaited:
            return
        target = self.classify(frame, original_node)
        if target is None or target.fn_kind in ("generator", "contextmanager"):
            return
        line, end = self._lines(original_node)
        no_io = verdict.no_io(target.key) if not self.catalogue.added(target.key or "") else None
        if no_io is not None:
            self.command.skip(line, f"{target.label} {no_io}")
            return
        kept = self._kept(target, line, end)
        if kept is not None:
            self.command.skip(line, kept)
            return
        why = f" ({target.why})" if target.why else ""
        message = f"Blocking call {target.label} in async function `{frame.name}`{why}"
        assert frame.resolver is not None
        stack = self._stack
        left_alone = verdict.display_only(
            target,
            original_node,
            self.facts,
            frame.resolver,
            self.offload,
            in_generator=frame.genexp > self._eager.get(original_node, 0),
            discarded=len(stack) > 1 and stack[-1] is original_node and isinstance(stack[-2], cst.Expr),
        )
        if left_alone is not None:
            self.command.report(line, message + left_alone[0], left_alone[1], Safety.DISPLAY_ONLY, end)
            return
        if self.quiet is not None:
            self.command.report(line, f"{message}, in {self.quiet}", QUIET_TITLE, Safety.DISPLAY_ONLY, end)
            return
        assert self.names is not None
        # Arguments keep their number, keywords and stars when calls inside them are rewritten:
        # these decisions read the original call, the rewrite (``_rewrite``) the updated one.
        sleep = target.kind == "sleep"
        partial = False
        names: list[str]
        module: str | None = None  # where ``run_in_threadpool`` comes from
        if sleep:
            if self.offload.sleep is None:
                self.command.skip(line, self.offload.reason or UNKNOWN)
                return
            args = original_node.args
            if len(args) != 1 or args[0].keyword or args[0].star:
                self.command.skip(line, "`time.sleep` called with unusual arguments")
                return
            names, title = [self.offload.sleep], f"Use `{SLEEP_SYNTAX[self.offload.sleep]}`"
        else:
            threadpool = self.offload.threadpool
            if threadpool is None:
                self.command.skip(line, self.offload.reason or UNKNOWN)
                return
            partial = needs_partial(original_node, threadpool)
            module, offloader = OFFLOADER[threadpool]
            names = [offloader, *(["functools"] if partial else [])]
            where = "the threadpool" if threadpool in ("fastapi", "starlette") else "a worker thread"
            title = f"Run it in {where}: `{CALL_SYNTAX[threadpool]}`"
        problem = self.names.problem(names, original_node)
        if problem is not None:
            self.command.skip(line, problem)
            return
        if not self.command.report(line, message, title, Safety.SAFE, end):
            return
        for name in names:
            self.names.need(name, module if name == "run_in_threadpool" else None)
        self.rewrites[original_node] = (sleep, partial, original_node in self._primary)
        if sleep and (root := root_name(original_node.func)):
            self.sleep_names[root] += 1
        self.path.update(self._stack)

    def _kept(self, target: Target, line: int, end: int) -> str | None:
        """Why the author's comment keeps the call on ``line``..``end``, if it does."""
        noqa = self.command.context.suppressions.noqa
        suppressed = noqa_keeps(noqa, range(line, end + 1), target.key) if noqa else None
        if suppressed is not None:
            # the linters' own rules for blocking calls (flake8-async, ruff's ASYNC2xx)
            return f"kept by `# noqa{': ' + suppressed if suppressed else ''}`"
        comment = self._intent.deliberate(line)
        if comment is not None:
            return f"kept: the comment `{comment}` says the blocking is deliberate"
        return None

    @cached_property
    def _intent(self) -> Intent:
        return Intent(self.command.context.source)

    def _rewrite(self, call: cst.Call, sleep: bool, partial: bool, primary: bool) -> cst.Await:
        """The awaited form of ``call`` (its arguments already rewritten)."""
        if sleep:
            assert self.offload.sleep is not None  # else skipped in ``leave_Call``
            new = call.with_changes(func=cst.Attribute(cst.Name(self.offload.sleep), cst.Name("sleep")))
        else:
            assert self.offload.threadpool is not None
            new = offload(call, self.offload.threadpool, partial)
        parens = (list(call.lpar), list(call.rpar)) if call.lpar else None
        if parens is None and primary:  # ``(await f()).attr``
            parens = ([cst.LeftParen()], [cst.RightParen()])
        return awaited(new, parens)

    def rewritten(self, module: cst.Module) -> cst.Module:
        """``module`` with the calls this visitor decided to rewrite rewritten: only the nodes
        on the way to one are rebuilt (libcst's transformer would rebuild every node); then
        without the imports the rewritten sleeps were the last readers of."""
        if not self.rewrites:
            return module
        rewrite = _Rewrite(self)
        result = rebuild(module, rewrite, rewrite.on_visit, (cst.Call,))
        assert isinstance(result, cst.Module)
        unused = removable(
            self.sleep_names,
            self._bindings,
            self.command.context.source,
            self.info,
            self.facts,
            str(self.command.context.path) if self.command.context.path is not None else None,
            self.command.context.project,
        )
        return drop(result, unused) if unused else result


class _Rewrite(cst.CSTTransformer):
    """Rebuilds only the nodes on the way to a call the :class:`Rewriter` rewrites."""

    def __init__(self, rewriter: Rewriter) -> None:
        super().__init__()
        self.rewriter = rewriter

    def on_visit(self, node: cst.CSTNode) -> bool:
        return node in self.rewriter.path

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode:
        found = self.rewriter.rewrites.get(original_node) if isinstance(original_node, cst.Call) else None
        if found is None:
            return updated_node
        assert isinstance(updated_node, cst.Call)
        return self.rewriter._rewrite(updated_node, *found)


def _holds_async_def(node: cst.FunctionDef) -> bool:
    """Is an ``async def`` nested anywhere in ``node`` (statements only: it is one)?"""
    return any(
        isinstance(n, cst.FunctionDef) and n.asynchronous is not None
        for n in walk_statements(node.body, enter_defs=True)
    )
