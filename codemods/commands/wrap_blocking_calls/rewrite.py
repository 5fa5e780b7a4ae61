"""The one-pass libcst transformer of ``wrap-blocking-calls``.

It tracks the scope it is in (:class:`~.scope_walk.ScopeWalk`: only the direct body of an
``async def`` is rewritten, not nested ``def``/``lambda``/class bodies, decorators, defaults
or annotations), classifies each call with :class:`~.cst_scope.Resolver`, and either rewrites
it, reports it display-only, or leaves it.
Every decision goes through the codemod's ``report``/``skip``.
"""

from __future__ import annotations

from functools import cached_property

import libcst as cst

from ...cstkit.path_rebuild import rebuild
from ...types import Safety
from . import receivers, verdict
from .edit import (
    awaited,
    code,
    label,
    needs_partial,
    offload,
    read_names,
    root_name,
)
from .keep import Intent, noqa_keeps
from .offload import CALL_SYNTAX, OFFLOAD_CALLS, OFFLOADER, SLEEP_SYNTAX, UNKNOWN
from .scope_walk import Frame, ScopeWalk
from .unused_imports import drop, removable
from .verdict import Target

#: The fix title of a site in a test or one-shot script (``scripts-and-tests = "report"``).
QUIET_TITLE = (
    "Nothing else runs on this event loop, so offloading protects nothing; offload it if this code "
    'runs concurrently with other work (`scripts-and-tests = "rewrite"` rewrites these)'
)


class Rewriter(ScopeWalk):
    """Visit ``wrapper.module`` with ``wrapper.visit(rewriter)``, then take
    ``rewriter.rewritten(module)``: a read-only pass decides and reports, the rewrite follows.

    No metadata is declared: qualified names are answered from ``ast`` where it proves them
    (:mod:`.names`), else asked of the node's scope, with ``ScopeProvider`` resolved on
    the first such question (``QualifiedNameProvider`` would resolve names for every node up
    front); positions are resolved only in files that report something.
    """

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
        self.path.update(map(id, self._stack))

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
            self.command.context.trees,
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
        return id(node) in self.rewriter.path

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode:
        found = self.rewriter.rewrites.get(original_node) if isinstance(original_node, cst.Call) else None
        if found is None:
            return updated_node
        assert isinstance(updated_node, cst.Call)
        return self.rewriter._rewrite(updated_node, *found)
