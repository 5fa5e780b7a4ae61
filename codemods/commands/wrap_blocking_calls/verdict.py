"""Why a blocking call that ``wrap-blocking-calls`` recognised is left alone (display-only).

:class:`Target` is what the rewriter recognised a call as; :func:`display_only` says why it must
stay where it is (a generator expression, thread-bound objects, the event loop, a decorator),
with the fix title of the report, or None when it may be offloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from . import catalogue as cat
from . import receivers
from .combine import BlockingFacts
from .cst_scope import Resolver
from .edit import code, read_names
from .offload import CALL_SYNTAX, Offload

THREAD_BOUND_TITLE = "Use an async driver, or move the whole unit of work into one sync function run in the threadpool"
SHARED_TITLE = (
    "Make what it uses safe to share across threads (or its own per call), then run it in the "
    "threadpool; or use an async driver"
)


@dataclass(frozen=True)
class Target:
    """A call recognised as blocking."""

    kind: str  # function, method, project, sleep
    label: str
    why: str = ""
    thread_bound: str | None = None
    fn_kind: str = "function"
    decorator: str = ""
    #: Why the project function needs the event loop's thread, if it does.
    loop: str = ""
    #: The catalogue key it was recognised by (empty for a project function).
    key: str = ""
    #: A project function that makes a thread-bound object: (the chain to what makes it, may
    #: it keep something beyond the call).
    makes: tuple[tuple[str, ...], bool] | None = None
    #: Why the project function uses an object another thread may have made, if it does.
    shares: str = ""


def no_io(key: str | None) -> str | None:
    """Why a call the lint rules flag does no blocking I/O of its own; None when it does."""
    if key in cat.LINT_ONLY:
        return "is string work (at most a `getcwd`): a worker thread would protect nothing"
    if key in cat.CONTEXT_ONLY:
        return "returns a context manager that does its I/O when entered (a `with` over it is reported)"
    return None


def display_only(
    target: Target,
    call: cst.Call,
    facts: BlockingFacts,
    resolver: Resolver,
    offload: Offload,
    in_generator: bool,
    discarded: bool,
) -> tuple[str, str] | None:
    """(message suffix, fix title) when the call must be left alone, else None.
    ``in_generator``: it is lazily evaluated in a generator expression; ``discarded``: it is
    an expression statement (its result is dropped)."""
    if in_generator:
        return (
            " inside a generator expression: `await` there would turn it into an async generator",
            "Build a list instead (`[...]`), or move the loop into a sync function run in the threadpool",
        )
    if target.thread_bound:
        kind = receivers.short(target.thread_bound)
        if target.kind == "function":
            return (
                f" makes a `{kind}`, which is bound to the thread that makes it",
                THREAD_BOUND_TITLE,
            )
        return f" uses a `{kind}`, which is bound to the thread that made it", THREAD_BOUND_TITLE
    if target.shares:
        return f"; {target.shares}: it stays on the event loop's thread", SHARED_TITLE
    if target.makes is not None:
        found = _made_here(facts, target.makes, discarded)
        if found is not None:
            return found, THREAD_BOUND_TITLE
    bound = _thread_bound_argument(facts, resolver, call)
    if bound is not None:
        return f" passes {bound}", THREAD_BOUND_TITLE
    if target.loop:
        return (
            f"; it also uses the event loop ({target.loop}), which a worker thread does not have",
            "Split the blocking part into its own sync function and run that in the threadpool",
        )
    if target.fn_kind == "decorated":
        threadpool = offload.threadpool
        run = (
            f"run it with `{CALL_SYNTAX[threadpool]}`"
            if threadpool
            else "run it in a worker thread"
        )
        return (
            f"; its decorator `@{target.decorator}` may change what it returns",
            f"If it stays synchronous, {run}",
        )
    return None


def _made_here(
    facts: BlockingFacts, makes: tuple[tuple[str, ...], bool], discarded: bool
) -> str | None:
    """Why a project function that makes a thread-bound object must stay on this thread:
    it may keep the object (a global, an attribute), or the call's result is used here (it
    may be the object). A call whose result is dropped makes and uses it in the worker."""
    chain, keeps = makes
    if not keeps and discarded:
        return None
    made = facts.made_class(chain[-1])
    assert made is not None
    how = (
        "may keep it beyond the call (a global, an attribute or an item)"
        if keeps
        else ("its result, which may be that object, is used here on the event loop")
    )
    return (
        f"; it makes a `{receivers.short(made)}`, which is bound to the thread that makes it, and {how}"
    )


def _thread_bound_argument(facts: BlockingFacts, resolver: Resolver, call: cst.Call) -> str | None:
    """The argument bound to this thread that ``call`` passes (a phrase), if any: of a
    thread-bound class, or module-level state another thread may have made."""
    for arg in call.args:
        for expr in [arg.value, *read_names(arg.value)]:
            cls = resolver.infer(expr)
            if receivers.is_thread_bound(cls):
                assert cls is not None
                return f"`{code(expr)}`, a `{receivers.short(cls)}` bound to this thread"
            name = resolver.qualname(expr) if isinstance(expr, cst.Name | cst.Attribute) else None
            shared = facts.shared(name) if name else None
            if shared is not None:
                return shared
    return None
