"""Module-level instances of the project's classes, for ``wrap-blocking-calls``' gather.

``db = Database(path)`` at module level, then ``db.fetch_user(1)`` in a handler: the call runs
``Database.fetch_user``. The gather records each module-level name bound once to a call (the
combine phase keeps those whose callee is a class of the project), what the call's arguments
read and call (a thread-bound object passed in makes the instance hold one), and for each class
its bases (a project base that holds a thread-bound object makes its subclasses hold one),
whether it is *resolvable*: no decorator (it may replace the class), no metaclass but
``ABCMeta``, no ``__new__``, ``__getattr__`` or ``__getattribute__``, and no ``self.<name> = ...``
over one of its methods (only for a resolvable class is the method its body defines surely what
``instance.method`` runs: its own methods come first in any method resolution order), and
whether it is *settled*: no method but ``__init__`` changes the object. A module-level
instance is shared by every request; on the event loop its methods never run concurrently, in
worker threads they do, so only methods of a settled object whose bases are settled project
classes (:meth:`.BlockingFacts.steady`) are offloaded.
"""

from __future__ import annotations

import ast
from collections.abc import Collection

from ...components.modules import STDLIB_MODULES
from .escape import UNKNOWN, chain_key
from .scope import Env, ModuleScope, Source

#: Methods that make attribute lookup or construction dynamic.
_DYNAMIC = frozenset({"__new__", "__getattr__", "__getattribute__"})

#: A module-level instance: (``module.name``, the callee it is made by, the dotted chains its
#: arguments read, the callees its arguments call).
Instance = tuple[str, str, tuple[str, ...], tuple[str, ...]]
#: A class: (``module.Class``, resolvable?, settled?, the qualified names of its bases, ``"?"``
#: for one that is not a dotted name; ``object`` left out).
ClassFacts = tuple[str, bool, bool, tuple[str, ...]]


#: Bases and metaclasses that add no state to an instance nor change how its methods are found.
_NEUTRAL = frozenset(
    {"builtins.object", "abc.ABC", "abc.ABCMeta", "typing.Generic", "typing.Protocol"}
    | {"typing_extensions.Protocol"}
)


def class_facts(
    mod: ModuleScope,
    top: Env,
    key: str,
    node: ast.ClassDef,
    body: dict[str, list[Source]],
    assigned: Collection[str],
) -> ClassFacts:
    """What the gather records of the class ``node`` (see the module docstring). ``assigned``:
    the names its methods assign through ``self``."""
    methods = {name for name, sources in body.items() if any(kind == "def" for kind, _ in sources)}
    neutral_keywords = all(
        k.arg == "metaclass" and top.qualname(k.value) in _NEUTRAL for k in node.keywords
    )
    resolvable = not (
        node.decorator_list
        or not neutral_keywords
        or _DYNAMIC & body.keys()
        or methods & set(assigned)
    )
    bases = [top.qualname(b.value if isinstance(b, ast.Subscript) else b) for b in node.bases]
    kept = tuple(b or UNKNOWN for b in bases if b not in _NEUTRAL)
    return key, resolvable, _settled(mod, node), kept


def _settled(mod: ModuleScope, node: ast.ClassDef) -> bool:
    """Does no method but ``__init__`` change the object: store into it (``self.count += 1``,
    ``self.cache[k] = v``, ``cls.hits = 0``) or call a method of one of its attributes
    (``self.env.install_gettext_translations(...)``, ``self.items.append(x)``)? Then calls that
    run concurrently in worker threads do not race on its state. Calls of its own methods
    (``self.load()``) are checked where those are defined; an attribute passed to a function
    that changes it (``fill(self.items)``) is not seen, as for a module-level list."""
    for method in node.body:
        if (
            not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef)
            or method.name == "__init__"
        ):
            continue
        positional = [*method.args.posonlyargs, *method.args.args]
        static = any(
            isinstance(d, ast.Name) and d.id == "staticmethod" for d in method.decorator_list
        )
        if static or not positional:
            continue
        owner = positional[0].arg
        for inner in mod.own_nodes(method):
            if isinstance(inner, ast.Attribute | ast.Subscript) and isinstance(
                inner.ctx, ast.Store | ast.Del
            ):
                target: ast.expr = inner.value
            elif isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute):
                target = inner.func.value  # ``self.x.m()``: rooted deeper than ``self`` itself
                if isinstance(target, ast.Name):
                    continue  # ``self.m()``, or a method of a local
            else:
                continue
            while isinstance(target, ast.Attribute | ast.Subscript | ast.Call):
                target = target.func if isinstance(target, ast.Call) else target.value
            if isinstance(target, ast.Name) and target.id == owner:
                return False
    return True


def module_instances(mod: ModuleScope, top: Env) -> tuple[Instance, ...]:
    """Module-level names bound once, to a call of a dotted name outside the standard library."""
    found: list[Instance] = []
    for name, sources in sorted(mod.names.items()):
        if len(sources) != 1 or sources[0][0] != "value":
            continue
        call = sources[0][1]
        if not isinstance(call, ast.Call):
            continue
        callee = top.qualname(call.func)
        if callee is None or callee.split(".")[0] in STDLIB_MODULES:
            continue
        chains: set[str] = set()
        callees: set[str] = set()
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            below = list(ast.walk(arg))
            inner = {id(n.value) for n in below if isinstance(n, ast.Attribute)}
            for node in below:
                if isinstance(node, ast.Call):
                    callees.add(top.callee_key(node) or UNKNOWN)
                elif isinstance(node, ast.Name | ast.Attribute) and id(node) not in inner:
                    key = chain_key(top, node)
                    if key is not None:
                        chains.add(key)
        found.append((f"{mod.name}.{name}", callee, tuple(sorted(chains)), tuple(sorted(callees))))
    return tuple(found)
