"""Combine phase of ``wrap-blocking-calls``: the project's blocking sync functions, with a why.

:func:`combine` folds the per-module :class:`~.gather.ModuleFacts` into one
:class:`BlockingFacts`: a call graph over the project's sync functions, the module-level
instances of catalogue classes, and import aliases (re-exports). A function is *blocking* when
it calls a blocking callable directly, or calls a blocking project function (fixed point).
Async functions are never blocking; dynamic calls are unknown and never blocking.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from . import catalogue as cat
from . import receivers
from .gather import FunctionFacts, ModuleFacts
from .threads import Threads

#: How many alias hops are followed (re-export chains are short; cycles must end).
_MAX_HOPS = 8


@dataclass(frozen=True, eq=False)
class BlockingFacts:
    """Project-wide facts, handed read-only to every ``wrap-blocking-calls`` instance."""

    #: Per-module facts they were built from, by module name.
    modules: Mapping[str, ModuleFacts] = field(default_factory=dict)
    #: The view's module aliases (see :meth:`build`).
    module_aliases: Mapping[str, str] = field(default_factory=dict)
    functions: Mapping[str, FunctionFacts] = field(default_factory=dict)
    #: function key -> its module (for short display names).
    owners: Mapping[str, str] = field(default_factory=dict)
    inits: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    bindings: Mapping[str, str] = field(default_factory=dict)
    #: Blocking project functions under the default catalogue: key -> (key, ..., catalogue key).
    blocking: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Project functions that use the running event loop (they fail in a worker thread).
    loop_bound: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The project's classes -> their bases (:func:`.objects.class_facts`).
    classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The classes whose methods but ``__init__`` store nothing into the object.
    settled: frozenset[str] = frozenset()
    #: Module-level instances of the project's resolvable classes: ``module.name`` -> class.
    instances: Mapping[str, str] = field(default_factory=dict)
    #: ``module.name`` of each instance -> (what its constructor's arguments read, call).
    instance_args: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    #: :meth:`resolve`'s answers (the same callee is called from many places).
    _resolved: dict[str, str] = field(default_factory=dict, repr=False)
    #: The thread-bound propagations (:class:`~.threads.Threads`), on first question.
    _threads: list[Threads] = field(default_factory=list, repr=False)
    #: :meth:`steady`'s answers.
    _steady: dict[str, bool] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, modules: Iterable[ModuleFacts], module_aliases: Mapping[str, str] | None = None) -> BlockingFacts:
        """``module_aliases``: names the project's imports use for its modules other than their
        own (``routers.users`` for ``backend.routers.users``), followed like re-exports."""
        by_name = {m.module: m for m in modules}
        facts = cls(
            modules=by_name,
            module_aliases=dict(module_aliases or {}),
            functions={f.key: f for m in by_name.values() for f in m.functions},
            owners={f.key: m.module for m in by_name.values() for f in m.functions},
            inits=dict(i for m in by_name.values() for i in m.inits),
            aliases={**(module_aliases or {}), **dict(a for m in by_name.values() for a in m.aliases)},
            bindings=dict(b for m in by_name.values() for b in m.bindings),
            classes={key: bases for m in by_name.values() for key, _, _, bases in m.classes},
            settled=frozenset(key for m in by_name.values() for key, _, ok, _ in m.classes if ok),
        )
        resolvable = {key for m in by_name.values() for key, ok, _, _ in m.classes if ok}
        instances: dict[str, str] = {}
        instance_args: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        for module in by_name.values():
            for name, callee, chains, callees in module.instances:
                made = facts.unalias(callee)
                if made in resolvable:
                    instances[name] = made
                    instance_args[name] = (chains, callees)
        object.__setattr__(facts, "instances", instances)
        object.__setattr__(facts, "instance_args", instance_args)
        object.__setattr__(facts, "blocking", facts.compute(cat.DEFAULT))
        object.__setattr__(facts, "loop_bound", facts.propagate(cat.LOOP_APIS.__contains__))
        return facts

    def merged(self, module: ModuleFacts) -> BlockingFacts:
        """These facts plus (or with a fresh copy of) one module's."""
        others = (m for n, m in self.modules.items() if n != module.module)
        return BlockingFacts.build([*others, module], self.module_aliases)

    def unalias(self, key: str) -> str:
        """Follow re-exports (``pkg.send`` -> ``pkg.mail.send``)."""
        for _hop in range(_MAX_HOPS):
            parts = key.split(".")
            for i in range(len(parts), 0, -1):
                target = self.aliases.get(".".join(parts[:i]))
                if target is not None:
                    key = ".".join([target, *parts[i:]])
                    break
            else:
                break
        return key

    def resolve(self, key: str) -> str:
        """Follow re-exports, constructors and module-level instances to what ``key`` calls."""
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self._resolve(key)
        return found

    def _resolve(self, key: str) -> str:
        key = self.unalias(key)
        if key in self.functions:
            return key
        if key in self.inits:
            return self.inits[key]
        owner, _, attr = key.rpartition(".")
        cls = self.binding(owner)
        if cls is None and (made := self.instances.get(owner)) is not None and self.steady(made):
            cls = made
        return f"{cls}.{attr}" if cls else key

    def steady(self, cls: str) -> bool:
        """Is the project class ``cls`` settled (no method but ``__init__`` stores into the
        object), and each of its bases a steady class of the project? A module-level instance is
        shared by every request: on the event loop its methods run one at a time, in worker
        threads concurrently, so only a steady one's methods are followed and offloaded."""
        found = self._steady.get(cls)
        if found is None:
            self._steady[cls] = False  # a cycle of bases: not steady
            bases = [self.unalias(base) for base in self.classes.get(cls, ())]
            found = self._steady[cls] = cls in self.settled and all(
                base in self.classes and self.steady(base) for base in bases
            )
        return found

    def resolve_any(self, key: str) -> str:
        """:meth:`resolve`, also through module-level instances that are not steady (for the
        questions about threads: what such a method makes or uses still counts)."""
        found = self.resolve(key)
        if found not in self.functions:
            owner, _, attr = self.unalias(key).rpartition(".")
            cls = self.instances.get(owner)
            if cls is not None and f"{cls}.{attr}" in self.functions:
                return f"{cls}.{attr}"
        return found

    def unsteady_method(self, name: str) -> tuple[str, str] | None:
        """For ``instance.method`` (``name``, unaliased) of a module-level instance whose class is
        not steady: (the method's key, why it stays on the loop); None otherwise."""
        owner, _, attr = name.rpartition(".")
        cls = self.instances.get(owner)
        if cls is None or self.steady(cls) or f"{cls}.{attr}" not in self.functions:
            return None
        return f"{cls}.{attr}", (
            f"it is a method of `{self.short(owner)}`, one `{self.short(cls)}` shared by every "
            "request, whose state its methods or a base class not read here may change (in worker "
            "threads the calls would run concurrently on it)"
        )

    def binding(self, qualname: str) -> str | None:
        """The catalogue class of the module-level instance or attribute ``qualname`` (also an
        attribute of a module-level instance of a project class: ``db.conn``)."""
        found = self.bindings.get(qualname)
        if found is None:
            qualname = self.unalias(qualname)
            found = self.bindings.get(qualname)
        if found is None and self.instances:
            owner, _, attr = qualname.rpartition(".")
            cls = self.instances.get(owner)
            found = self.bindings.get(f"{cls}.{attr}") if cls else None
        return found

    def compute(self, catalogue: cat.Catalogue) -> dict[str, tuple[str, ...]]:
        """Blocking project functions under ``catalogue``, each with its shortest why-chain."""
        return self.propagate(
            lambda callee: catalogue.blocks(callee, transitive=True),
            added=catalogue.added,
            excluded=catalogue.excluded,
        )

    def propagate(
        self,
        direct: Callable[[str], bool],
        added: Callable[[str], bool] = lambda key: False,
        excluded: Callable[[str], bool] = lambda key: False,
        resolve: Callable[[str], str] | None = None,
    ) -> dict[str, tuple[str, ...]]:
        """Functions that call something ``direct`` accepts, directly or through project
        functions (shortest chain first; deterministic). ``resolve``: what a callee runs
        (default :meth:`resolve`)."""
        resolve = resolve or self.resolve
        found: dict[str, tuple[str, ...]] = {}
        callers: dict[str, list[str]] = {}
        accepted: dict[str, bool] = {}  # ``direct``'s answers: callees repeat across functions
        for key in sorted(self.functions):
            if excluded(key):
                continue
            if added(key):
                found[key] = (key,)
            for callee, _line in self.functions[key].calls:
                resolved = resolve(callee)
                if resolved in self.functions:
                    if resolved != key:
                        callers.setdefault(resolved, []).append(key)
                elif key not in found:
                    hit = accepted.get(resolved)
                    if hit is None:
                        hit = accepted[resolved] = direct(resolved)
                    if hit:
                        found[key] = (key, resolved)
        queue = deque(sorted(found))
        while queue:
            current = queue.popleft()
            for caller in callers.get(current, ()):
                if caller not in found and not excluded(caller):
                    found[caller] = (caller, *found[current])
                    queue.append(caller)
        return found

    def made_class(self, callee: str) -> str | None:
        """The thread-bound class a call to ``callee`` (resolved) returns, if it does."""
        found = receivers.class_of_factory(callee)
        if found is None and (bound := self.binding(callee)) is not None:
            found = receivers.call_class(bound)  # ``SessionLocal()`` of a module-level sessionmaker
        if found is None:
            owner, _, method = callee.rpartition(".")
            found = receivers.method_result(owner, method) if owner else None
        return found if receivers.is_thread_bound(found) else None

    @property
    def threads(self) -> Threads:
        if not self._threads:
            self._threads.append(Threads(self))
        return self._threads[0]

    def thread_bound(self, key: str) -> tuple[tuple[str, ...], bool] | None:
        """For a project function that makes a thread-bound object, directly or through other
        project functions: (the chain to what makes it, whether it or a function it calls may
        keep it beyond the call); None when it makes none."""
        chain = self.threads.makes.get(key)
        return None if chain is None else (chain, key in self.threads.keeps)

    def shared(self, ref: str) -> str | None:
        """:meth:`.Threads.shared`: the state ``ref`` may be bound to another thread (why)."""
        return self.threads.shared(self, ref)

    def shares(self, key: str) -> str | None:
        """Why the project function ``key`` uses an object another thread may have made
        (directly or through the project functions it calls); None when it does not."""
        chain = self.threads.shares.get(key)
        if chain is None:
            return None
        subject = "it" if len(chain) == 1 else f"`{self.display(chain[-1])}`, which it calls,"
        return f"{subject} uses {self.threads.direct[chain[-1]]}"

    def short(self, name: str) -> str:
        """``name`` without the module it is in (``CONN``, ``Database.conn``)."""
        parts = name.split(".")
        for end in range(len(parts) - 1, 0, -1):
            if ".".join(parts[:end]) in self.modules:
                return ".".join(parts[end:])
        return name

    def blocking_for(self, catalogue: cat.Catalogue) -> Mapping[str, tuple[str, ...]]:
        if catalogue == cat.DEFAULT:
            return self.blocking
        key = (id(self), catalogue)
        hit = _MEMO.get(key)
        if hit is None or hit[0] is not self:
            if len(_MEMO) > 16:
                _MEMO.clear()
            hit = _MEMO[key] = (self, self.compute(catalogue))
        return hit[1]

    def display(self, key: str) -> str:
        """A project function's name without its module (``send_email``, ``Client.fetch``)."""
        owner = self.owners.get(key)
        return key[len(owner) + 1 :] if owner and key.startswith(owner + ".") else key

    def why(self, chain: tuple[str, ...]) -> str:
        """``"`send_email` calls `smtplib.SMTP`"`` for a chain from :meth:`compute`."""
        names = [f"`{self.display(k)}`" for k in chain]
        if len(names) == 1:
            return f"{names[0]} is configured as blocking"
        if len(names) > 4:
            names = [*names[:2], "…", names[-1]]
        return f"{names[0]} calls {names[1]}" + "".join(f", which calls {n}" for n in names[2:])


_MEMO: dict[tuple[int, cat.Catalogue], tuple[BlockingFacts, dict[str, tuple[str, ...]]]] = {}


def combine(
    per_module: Mapping[str, ModuleFacts | None], module_aliases: Mapping[str, str] | None = None
) -> BlockingFacts:
    return BlockingFacts.build((m for m in per_module.values() if isinstance(m, ModuleFacts)), module_aliases)
