"""Receiver-class inference for ``wrap-blocking-calls``, independent of the syntax tree.

The gather phase (stdlib ``ast``, :mod:`.scope`) and the rewrite (libcst,
:mod:`.cst_scope`) both ask "what catalogue class does this expression's value have?". The
algorithm lives here once; each side subclasses :class:`Inference` and supplies a one-level
:meth:`~Inference.view` of its nodes, its own name resolution (``qualname``, ``global_class``,
``binding``, ``factory``) and the binding sites of the scope's local names.

A local name's class is the one class every binding site agrees on. It is memoised per name
(an :class:`Inference` serves one scope), and a name reached again while it is being inferred
is unknown, so each name's sites are evaluated once: linear in the number of bindings, however
often a variable is reassigned from itself (``s = s.copy()``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from . import receivers

N = TypeVar("N")

#: A binding site: (kind, payload). The kinds that carry an expression are ``value`` (the
#: assigned value), ``annotation`` and ``with`` (the context expression); any other kind makes
#: the name unknown.
Site = tuple[str, object]

_WRAPPERS = ("typing.Optional", "typing.Annotated")


@dataclass(frozen=True, slots=True)
class Name:
    id: str


@dataclass(frozen=True, slots=True)
class Attr(Generic[N]):
    value: N
    attr: str


@dataclass(frozen=True, slots=True)
class Call(Generic[N]):
    func: N


@dataclass(frozen=True, slots=True)
class Sub(Generic[N]):
    value: N
    #: The first index (``X`` in ``Optional[X]``), when it is a plain expression.
    first: N | None


@dataclass(frozen=True, slots=True)
class BinOp(Generic[N]):
    op: str  # "/" or "|"
    left: N
    right: N


@dataclass(frozen=True, slots=True)
class NoneValue:
    pass


#: One level of an expression, as far as inference cares; None for anything else.
View = Name | Attr[N] | Call[N] | Sub[N] | BinOp[N] | NoneValue | None


class Inference(ABC, Generic[N]):
    """Class inference in one scope (a function, or a module/class body with no locals)."""

    def __init__(
        self,
        local: Mapping[str, Sequence[Site]],
        owner: str | None = None,
        self_name: str | None = None,
    ) -> None:
        self.local = local
        self.owner = owner
        self.self_name = self_name
        self._memo: dict[str, str | None] = {}
        self._busy: set[str] = set()

    # -- what each tree supplies ----------------------------------------------------------------

    @abstractmethod
    def view(self, node: N) -> View[N]: ...

    @abstractmethod
    def node(self, payload: object) -> N | None:
        """``payload`` when it is an expression of this tree."""

    @abstractmethod
    def is_local(self, name: str) -> bool:
        """Is ``name`` inferred from its binding sites in ``local``?"""

    @abstractmethod
    def qualname(self, node: N) -> str | None:
        """The qualified name a dotted name refers to (import, module-level def, builtin)."""

    @abstractmethod
    def global_class(self, node: N) -> str | None:
        """The class of a name that is not local (a module-level instance)."""

    @abstractmethod
    def binding(self, key: str) -> str | None:
        """The class of the module-level instance or ``Class.attr`` named ``key``."""

    @abstractmethod
    def factory(self, qualname: str) -> str | None:
        """The class a call to ``qualname`` returns, if it is a known factory."""

    def unquote(self, node: N) -> N | None:
        """An annotation with its quotes removed (None: not understood)."""
        return node

    def entered_fallback(self, context: N) -> str | None:
        """The class of ``x`` in ``with <context> as x`` when ``context``'s class is unknown."""
        return None

    def named_session(self, node: N) -> bool:
        """Is ``node`` a call of something named like a session (``get_db_session()``)? The
        heuristic for sync ORM session blocks whose factory is not in the catalogue."""
        view = self.view(node)
        if not isinstance(view, Call):
            return False
        func = self.view(view.func)
        last = func.attr if isinstance(func, Attr) else func.id if isinstance(func, Name) else ""
        return "session" in last.lower()

    # -- the algorithm --------------------------------------------------------------------------

    def infer(self, node: N) -> str | None:
        """The catalogue class of ``node``'s value, when provable."""
        view = self.view(node)
        if isinstance(view, Call):
            return self._call(view.func)
        if isinstance(view, Name):
            return self.local_class(view.id) if self.is_local(view.id) else self.global_class(node)
        if isinstance(view, Attr):
            return self._attribute(node, view)
        if isinstance(view, Sub):
            receiver = self.infer(view.value)
            return receivers.subscript_class(receiver) if receiver else None
        if isinstance(view, BinOp) and view.op == "/":
            return receivers.PATH if self.infer(view.left) == receivers.PATH else None
        return None

    def _call(self, func: N) -> str | None:
        view = self.view(func)
        if isinstance(view, Attr):
            receiver = self.infer(view.value)
            if receiver:
                return receivers.method_result(receiver, view.attr)
        name = self.qualname(func)
        if name:
            return self.factory(name) or receivers.call_class(self.binding(name) or "")
        # an attribute's receiver is already known to be unknown: do not infer it twice (that
        # doubles the work at every link of a method chain)
        called = (
            self._attribute(func, view, known=True) if isinstance(view, Attr) else self.infer(func)
        )
        return receivers.call_class(called) if called else None

    def _attribute(self, node: N, view: Attr[N], known: bool = False) -> str | None:
        if self.self_name and self.view(view.value) == Name(self.self_name):
            return self.binding(f"{self.owner}.{view.attr}")
        receiver = None if known else self.infer(view.value)
        if receiver:
            return receivers.attribute_class(receiver, view.attr)
        name = self.qualname(node)
        return self.binding(name) if name else None

    def local_class(self, name: str) -> str | None:
        """The class every binding site of the local ``name`` agrees on (memoised)."""
        if name in self._memo:
            return self._memo[name]
        if name in self._busy:
            return None  # reached again while being inferred: unknown at this site
        self._busy.add(name)
        try:
            found = self.agree(self.local.get(name, ()))
        finally:
            self._busy.discard(name)
        self._memo[name] = found
        return found

    def agree(self, sites: Sequence[Site]) -> str | None:
        """The class every one of ``sites`` gives, or None."""
        found: set[str | None] = set()
        for kind, payload in sites:
            node = self.node(payload)
            if node is None:
                return None
            if kind == "value":
                found.add(self.infer(node))
            elif kind == "annotation":
                found.add(self.annotation(node))
            elif kind == "with":
                found.add(self.entered(node))
            else:
                return None
        return found.pop() if len(found) == 1 else None

    def entered(self, context: N) -> str | None:
        """The class ``x`` gets in ``with <context> as x``."""
        cls = self.infer(context)
        if cls is not None:
            return cls if receivers.enters_self(cls) else None
        return self.entered_fallback(context)

    def annotation(self, node: N) -> str | None:
        """The catalogue class an annotation names (``X``, ``X | None``, ``Optional[X]``)."""
        unquoted = self.unquote(node)
        if unquoted is None:
            return None
        view = self.view(unquoted)
        if isinstance(view, BinOp) and view.op == "|":
            sides = [s for s in (view.left, view.right) if not isinstance(self.view(s), NoneValue)]
            return self.annotation(sides[0]) if len(sides) == 1 else None
        if isinstance(view, Sub) and self.qualname(view.value) in _WRAPPERS:
            return self.annotation(view.first) if view.first is not None else None
        name = self.qualname(unquoted)
        return receivers.class_of_annotation(name) if name else None
