"""Node builders and name bookkeeping for ``wrap-blocking-calls`` (no tree walking).

:func:`offload` turns ``f(a, k=v)`` into ``run_in_threadpool(f, a, k=v)`` (or the
``asyncio``/``anyio``/``trio`` equivalent, through ``functools.partial`` where keywords would
clash), keeping the original arguments, their comments and line breaks. :class:`IntroducedNames`
checks that the names the rewrite introduces are free (or already imported) in the file.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

import libcst as cst
from libcst.metadata import BaseAssignment, GlobalScope, ImportAssignment, Scope

from ...cstkit.printing import code_for_node
from .names import FileBindings
from .offload import Threadpool

#: The module whose defaults (four spaces, ``\n``) messages are printed with.
_EMPTY = cst.Module([])


def code(node: cst.CSTNode, limit: int = 60) -> str:
    """``node`` as one line of source, shortened for messages."""
    text = " ".join(code_for_node(_EMPTY, node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label(func: cst.BaseExpression, key: str) -> str:
    shown = code(func)
    return f"`{shown}`" if key in (shown, f"builtins.{shown}") else f"`{shown}` (`{key}`)"


def root_name(node: cst.BaseExpression) -> str:
    """``db`` for ``db.query(X).filter(y).first``."""
    while isinstance(node, cst.Attribute | cst.Call | cst.Subscript):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node.value if isinstance(node, cst.Name) else ""


def read_names(node: cst.CSTNode) -> list[cst.Name]:
    """Names read in ``node`` (not attribute names, keywords, or names inside lambdas)."""
    collect = _ReadNames()
    node.visit(collect)
    return collect.found


class _ReadNames(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.Name] = []

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.found.append(node)


def needs_partial(call: cst.Call, threadpool: Threadpool) -> bool:
    """Must the arguments be bound with ``functools.partial`` before offloading?"""
    if threadpool == "asyncio":  # to_thread(func, /, *args, **kwargs)
        return False
    if threadpool in ("anyio", "trio"):
        # anyio's run_sync(func, *args, abandon_on_cancel, cancellable, limiter) and trio's
        # run_sync(sync_fn, *args, thread_name, abandon_on_cancel, limiter) take no keyword
        # arguments for the function
        return any(a.keyword is not None or a.star == "**" for a in call.args)
    # run_in_threadpool(func, ...): a ``func=`` keyword (or one hidden in **kwargs) would clash
    return any(a.star == "**" or (a.keyword is not None and a.keyword.value == "func") for a in call.args)


def offload(call: cst.Call, threadpool: Threadpool, partial: bool) -> cst.Call:
    """The offloading call for ``call`` (not yet awaited)."""
    ws = call.whitespace_before_args
    args = _prepend(call.func, list(call.args), ws)
    if partial:
        func = cst.Attribute(cst.Name("functools"), cst.Name("partial"))
        args, ws = [cst.Arg(cst.Call(func, args, whitespace_before_args=ws))], cst.SimpleWhitespace("")
    offloader: cst.BaseExpression
    if threadpool == "asyncio":
        offloader = cst.Attribute(cst.Name("asyncio"), cst.Name("to_thread"))
    elif threadpool in ("anyio", "trio"):
        offloader = cst.Attribute(cst.Attribute(cst.Name(threadpool), cst.Name("to_thread")), cst.Name("run_sync"))
    else:
        offloader = cst.Name("run_in_threadpool")
    return cst.Call(offloader, args, whitespace_before_args=ws)


def awaited(call: cst.Call, parens: tuple[list[cst.LeftParen], list[cst.RightParen]] | None) -> cst.Await:
    """``await call``, wrapped in ``parens`` (the original call's, or new ones where needed)."""
    lpar, rpar = parens or ([], [])
    return cst.Await(call.with_changes(lpar=(), rpar=()), lpar=lpar, rpar=rpar)


def _prepend(callee: cst.BaseExpression, args: list[cst.Arg], ws: cst.BaseParenthesizableWhitespace) -> list[cst.Arg]:
    if not args:
        return [cst.Arg(callee)]
    after: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace(" ")
    if isinstance(ws, cst.ParenthesizedWhitespace):  # one argument per line: the callee gets its own
        after = cst.ParenthesizedWhitespace(indent=ws.indent, last_line=ws.last_line.deep_clone())
    return [cst.Arg(callee, comma=cst.Comma(whitespace_after=after)), *args]


class IntroducedNames:
    """Are ``run_in_threadpool``/``asyncio``/``functools``/``anyio``/``trio`` usable, and imported?

    ``bindings`` answers from ``ast`` where it can (:mod:`.names`); ``scopes`` is
    called, for libcst's scopes, only where it cannot."""

    def __init__(
        self,
        scopes: Callable[[], Mapping[cst.CSTNode, object]],
        module: cst.Module,
        bindings: Callable[[], FileBindings | None] = lambda: None,
    ) -> None:
        self._scopes = scopes
        self._bindings = bindings
        self._top = {
            small
            for stmt in module.body
            if isinstance(stmt, cst.SimpleStatementLine)
            for small in stmt.body
            if isinstance(small, cst.Import | cst.ImportFrom)
        }
        self._state: dict[str, tuple[bool, str | None]] = {}
        #: name -> the function (or other inner) scopes that bind it to something else
        self._local: dict[str, set[Scope]] = {}
        #: (module, name) to import; name None means ``import module``.
        self.imports: set[tuple[str, str | None]] = set()

    def problem(self, names: list[str], site: cst.CSTNode | None = None) -> str | None:
        """Why the rewrite cannot use ``names`` at ``site`` (None: it can). A name bound to
        something else only inside some functions (a parameter ``asyncio``) stops the sites in
        those functions only; at module level, or through ``global``, every site."""
        for name in names:
            found = self.state(name)[1]
            if found is not None:
                return found
            local = self._local.get(name)
            if local and site is not None and self._encloses(local, site):
                return _bound_elsewhere(name, "in this function")
        return None

    def _encloses(self, scopes: set[Scope], site: cst.CSTNode) -> bool:
        scope = self._scopes().get(site)
        while isinstance(scope, Scope) and not isinstance(scope, GlobalScope):
            if scope in scopes:
                return True
            scope = scope.parent
        return False

    def need(self, name: str, module: str | None = None) -> None:
        """Import ``name`` (``import name``, or ``from module import name``) unless the module
        already imports it at top level."""
        if not self.state(name)[0]:
            self.imports.add((module, name) if module else (name, None))

    def state(self, name: str) -> tuple[bool, str | None]:
        """(imported at the module's top level, problem) for ``name``."""
        if name not in self._state:
            self._state[name] = self._from_ast(name) or self._from_scopes(name)
        return self._state[name]

    def _from_ast(self, name: str) -> tuple[bool, str | None] | None:
        bindings = self._bindings()
        found = bindings.introduced(name) if bindings is not None else False
        if found is None:  # bound nowhere
            return False, None
        # ``run_in_threadpool`` is accepted by its module's spelling, which ``ast`` does not keep
        if found is False or name == "run_in_threadpool":
            return None
        if isinstance(found.statement, ast.Import) and found.alias is not None and found.alias.asname is None:
            return found.top, None  # ``import asyncio``: libcst's ``_accept_module``
        return False, _bound_elsewhere(name)

    def _from_scopes(self, name: str) -> tuple[bool, str | None]:
        accept = _accept_run_in_threadpool if name == "run_in_threadpool" else _accept_module(name)
        imported, problem = False, None
        for scope in {s for s in self._scopes().values() if isinstance(s, Scope)}:
            for assignment in scope.assignments[name]:
                if accept(assignment):
                    if isinstance(scope, GlobalScope) and getattr(assignment, "node", None) in self._top:
                        imported = True
                elif isinstance(scope, GlobalScope):
                    problem = _bound_elsewhere(name)
                else:  # ``global name`` assignments are the global scope's (libcst)
                    self._local.setdefault(name, set()).add(scope)
        return imported, problem


def _bound_elsewhere(name: str, where: str = "in this file") -> str:
    return f"`{name}` is bound to something else {where}"


def _accept_run_in_threadpool(assignment: BaseAssignment) -> bool:
    node = assignment.node if isinstance(assignment, ImportAssignment) else None
    if not isinstance(node, cst.ImportFrom) or node.relative or isinstance(node.names, cst.ImportStar):
        return False
    module = cst.Module([]).code_for_node(node.module) if node.module else ""
    return module in ("fastapi.concurrency", "starlette.concurrency") and any(
        alias.evaluated_name == "run_in_threadpool" and alias.evaluated_alias in (None, "run_in_threadpool")
        for alias in node.names
    )


def _accept_module(name: str) -> Callable[[BaseAssignment], bool]:
    def accept(assignment: BaseAssignment) -> bool:
        node = assignment.node if isinstance(assignment, ImportAssignment) else None
        if not isinstance(node, cst.Import):
            return False
        return any(alias.asname is None and alias.evaluated_name.split(".")[0] == name for alias in node.names)

    return accept
