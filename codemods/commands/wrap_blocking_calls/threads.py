"""Which project functions must stay on the thread that runs them (``wrap-blocking-calls``).

A ``sqlite3`` connection raises ``ProgrammingError`` when a thread other than the one that made
it uses it, and a SQLAlchemy ``Session`` must not cross threads. So a project function is not
moved to a worker thread when:

- it makes such an object and may keep it beyond the call (:attr:`Threads.makes`,
  :attr:`Threads.keeps`): a ``global``, an attribute or item store, or a result that escapes
  (``_pool.append(connect())``; :mod:`.escape`); the rest of the program would use
  it from the event loop's thread;
- it uses one that another thread made (:attr:`Threads.shares`): a module-level connection
  (``CONN.execute(...)``), a ``self.<attr>`` whose class is one, the state of a project object
  whose class keeps one (:attr:`Threads.holding`), directly or through the project functions it
  calls. As everywhere in this codemod, an object of a class the catalogue does not know (a
  third-party base, an unannotated parameter) is not taken for a thread-bound one.

A class *holds* a thread-bound object when one of its methods makes one and may keep it, an
attribute of it is one, it derives from a thread-bound class or from a project class that holds
one, or a module-level instance of it is built from one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import receivers
from .escape import UNKNOWN

if TYPE_CHECKING:
    from .combine import BlockingFacts


class Threads:
    """The propagations, made on the first question about threads. It keeps no reference to the
    facts it is made from (they keep it: a cycle would wait for the garbage collector)."""

    def __init__(self, facts: BlockingFacts) -> None:
        every = facts.resolve_any
        self.makes = facts.propagate(lambda c: facts.made_class(c) is not None, resolve=every)
        self.keeps = facts.propagate(
            lambda callee: False, added=lambda key: self._keeps(facts, key), resolve=every
        )
        self.holding: set[str] = set()
        self._holding(facts)
        #: function -> what it reads that another thread may have made (a phrase for messages)
        self.direct: dict[str, str] = {}
        self.shares: dict[str, tuple[str, ...]] = {}
        bound = any(receivers.is_thread_bound(cls) for cls in facts.bindings.values())
        if not (bound or self.holding):
            return  # nothing any function reads can be bound to a thread: no need to look
        answers: dict[str, str | None] = {}  # the same state is read by many functions
        for key in sorted(facts.functions):
            for ref in facts.functions[key].reads:
                found = (
                    answers[ref]
                    if ref in answers
                    else answers.setdefault(ref, self.shared(facts, ref))
                )
                if found is not None:
                    self.direct[key] = found
                    break
        if self.direct:
            self.shares = facts.propagate(
                lambda callee: False, added=self.direct.__contains__, resolve=every
            )

    def _keeps(self, facts: BlockingFacts, key: str) -> bool:
        fn = facts.functions[key]
        return fn.keeps or any(self.maker(facts, callee) for callee in fn.escapes)

    def maker(self, facts: BlockingFacts, callee: str) -> bool:
        """May a call to ``callee`` (as gathered) return a thread-bound object?"""
        if callee == UNKNOWN:
            return True
        resolved = facts.resolve_any(callee)
        return facts.made_class(resolved) is not None or resolved in self.makes

    def _holding(self, facts: BlockingFacts) -> None:
        for key in facts.functions:
            owner = key.rpartition(".")[0]
            if owner in facts.classes and key in self.makes and key in self.keeps:
                self.holding.add(owner)
        for name, cls in facts.bindings.items():
            owner = name.rpartition(".")[0]
            if owner in facts.classes and receivers.is_thread_bound(cls):
                self.holding.add(owner)
        for cls, bases in facts.classes.items():  # ``class Db(sqlite3.Connection)``
            if any(receivers.is_thread_bound(facts.unalias(base)) for base in bases):
                self.holding.add(cls)
        grew = True
        while grew:  # subclasses of a holding class, and instances built from holding objects
            grew = False
            for cls, bases in sorted(facts.classes.items()):
                if cls not in self.holding and any(facts.unalias(b) in self.holding for b in bases):
                    self.holding.add(cls)
                    grew = True
            for name, (chains, callees) in sorted(facts.instance_args.items()):
                cls = facts.instances[name]
                if cls in self.holding:
                    continue
                if any(self.shared(facts, c) for c in chains) or any(
                    self.maker(facts, c) for c in callees
                ):
                    self.holding.add(cls)
                    grew = True

    def shared(self, facts: BlockingFacts, ref: str) -> str | None:
        """When the module-level or ``self`` state ``ref`` (a dotted key) may be, or hold, an
        object bound to another thread: a phrase naming it; else None."""
        parts = facts.unalias(ref).split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            cls = facts.bindings.get(prefix)
            if cls is not None:
                if not receivers.is_thread_bound(cls):
                    return None
                return f"`{facts.short(prefix)}`, a `{receivers.short(cls)}` bound to the thread that made it"
            instance = facts.instances.get(prefix)
            owner = (
                instance if instance is not None else prefix if prefix in facts.classes else None
            )
            if owner is None:
                continue
            if end < len(parts):
                member = f"{owner}.{parts[end]}"
                if member in facts.functions:
                    return None  # a method: the call graph judges it
                bound = facts.bindings.get(member)
                if bound is not None:
                    if not receivers.is_thread_bound(bound):
                        return None
                    return f"`{facts.short(member)}`, a `{receivers.short(bound)}` bound to the thread that made it"
                prefix = member
            if owner not in self.holding:
                return None
            return (
                f"`{facts.short(prefix)}`, which may hold an object bound to the thread that made it "
                f"(`{facts.short(owner)}` keeps one)"
            )
        return None
