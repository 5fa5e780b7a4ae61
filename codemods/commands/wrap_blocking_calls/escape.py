"""What a project function lets out of its own body, for ``wrap-blocking-calls``' gather.

Two questions decide whether a sync function may move to a worker thread when thread-bound
objects (a ``sqlite3`` connection, a SQLAlchemy ``Session``) are about:

- :func:`escaping_callees`: may an object it makes outlive the call? The callee keys of the
  calls whose result leaves the body: passed to a call (``_pool.append(conn)``, and unnamed:
  ``_pool.append(connect())``, ``_pool.extend([connect()])``, ``_by_name.setdefault(k,
  connect())``), yielded, captured by a nested scope, or bound to a local that does one of
  those (also through a container literal, a ``for`` over one, or an item or attribute stored
  into a local). A local used as the receiver of its own methods, in a ``with``, returned (the
  call site judges a result it uses) or deleted stays in the body. A call whose callee is
  unknown carries the callees of what its callable is reached from (``connect(p).wrap()``,
  ``conn.cursor()``); from a parameter or a global, it carries none (not made here). The
  combine phase keeps the callees that make a thread-bound object.
- :func:`reads`: what module-level or ``self`` state does it read? The dotted chains it loads
  that start at ``self`` (as ``<class>.<attr>``), at a module-level value of its own module, or
  at a name imported from a module outside the standard library; the combine phase finds the
  thread-bound ones among them (``CONN = sqlite3.connect(...)``, ``self.conn``, a module-level
  instance of a project class that keeps one).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection

from ...astkit import astnodes
from ...astkit.names import name_chain
from ...components.modules import STDLIB_MODULES
from .scope import Env, ModuleScope

#: An unknown callee (in a module-level constructor's arguments): it may make a thread-bound
#: object.
UNKNOWN = "?"

#: Calls whose result holds their argument and closes it (``with closing(connect()) as c``): the
#: argument flows into the result rather than escaping.
_TRANSPARENT = frozenset({"contextlib.closing"})
_SCOPE_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef})
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def escaping_callees(
    env: Env, fn: ast.FunctionDef, nodes: list[ast.AST], callee: Callable[[ast.Call], str | None]
) -> tuple[str, ...]:
    """The callee keys of the calls in ``nodes`` (``fn``'s own) whose result, or something
    derived from it, may outlive the call of ``fn`` (see the module docstring)."""
    parents: dict[int, ast.AST] = {}
    called: set[int] = set()  # the attributes that are a call's ``func``
    calls: list[ast.Call] = []
    loads: list[ast.Name] = []  # the names read, for the uses of locals
    scopes: list[ast.AST] = []  # nested scopes, for the locals they capture
    # one pass, by exact type (no node class is subclassed): this runs on most functions
    children, call, attribute, name, load = astnodes.children, ast.Call, ast.Attribute, ast.Name, ast.Load
    for node in nodes:
        for child in children(node):
            parents[id(child)] = node
        kind = type(node)
        if kind is call:
            calls.append(node)  # type: ignore[arg-type]
            if type(node.func) is attribute:  # type: ignore[attr-defined]
                called.add(id(node.func))  # type: ignore[attr-defined]
        elif kind is name:
            if type(node.ctx) is load:  # type: ignore[attr-defined]
                loads.append(node)  # type: ignore[arg-type]
        elif kind in _SCOPE_TYPES:
            scopes.append(node)
    made: dict[str, set[str]] = {}
    escaping: set[str] = set()

    def follow(start: ast.AST, keys: set[str]) -> None:
        """Where the value of ``start`` goes: escaping, bound to locals, or nowhere."""
        node, parent = start, parents.get(id(start))
        while parent is not None and (
            _holds(parent, node, env, called) or isinstance(parent, ast.NamedExpr)
        ):
            if isinstance(parent, ast.NamedExpr):  # ``(conn := connect())`` binds and passes it on
                _bind(env, fn, parent.target, keys, made, escaping)
            node, parent = parent, parents.get(id(parent))
        if parent is None:
            return
        if isinstance(parent, ast.keyword | ast.Yield | ast.YieldFrom) or (
            isinstance(parent, ast.Call) and node is not parent.func
        ):
            escaping.update(keys)  # an argument, or yielded
        elif (
            isinstance(parent, ast.Assign | ast.AnnAssign | ast.AugAssign) and node is parent.value
        ):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            for target in targets:
                _bind(env, fn, target, keys, made, escaping)
        elif isinstance(parent, ast.For | ast.comprehension) and node is parent.iter:
            _bind(env, fn, parent.target, keys, made, escaping)
        elif isinstance(parent, ast.withitem) and parent.optional_vars is not None:
            _bind(env, fn, parent.optional_vars, keys, made, escaping)

    # a call whose callee is unknown makes nothing the combine phase can tell, but its result
    # may derive from a value that one made: ``connect(p).wrap()``, ``conn.cursor()`` on a
    # connection whose class is unknown; it carries that value's callees
    derived: list[tuple[ast.Call, str]] = []
    for node in calls:
        origin = _origin(node, env, fn, callee)
        if isinstance(origin, frozenset):
            follow(node, set(origin))
        elif origin is not None:
            derived.append((node, origin))
    # a local's uses: each binding round may make more locals, so repeat while that happens
    seen: dict[str, int] = {}
    while any(len(keys) != seen.get(local) for local, keys in made.items()):
        seen = {local: len(keys) for local, keys in made.items()}
        for node, local in derived:
            if local in made:
                follow(node, set(made[local]))
        for use in loads:
            if use.id in made and not _stays(parents.get(id(use)), called):
                follow(use, set(made[use.id]))
        for scope in scopes:
            for inner in ast.walk(scope):
                if isinstance(inner, ast.Name) and inner.id in made:
                    escaping.update(made[inner.id])  # captured by a nested scope
    return tuple(sorted(escaping))


def _origin(
    call: ast.Call, env: Env, fn: ast.FunctionDef, callee: Callable[[ast.Call], str | None]
) -> frozenset[str] | str | None:
    """Where ``call``'s result comes from: its callee (known), else the known call or the local
    its callable is reached from (``conn.cursor()``: ``conn``); None for anything else (a
    parameter, a global, a builtin: not made here)."""
    node: ast.expr = call
    while True:
        if isinstance(node, ast.Call):
            key = callee(node)
            if key is not None:
                return frozenset({key})
            node = node.func
        elif isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id if _is_local(env.local, fn, node.id) else None
        else:
            return None


def _is_local(bindings: Collection[str], fn: ast.FunctionDef, name: str) -> bool:
    """Is ``name`` bound in ``fn`` (``bindings``: its binding sites) and not a parameter?"""
    args = fn.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return name in bindings and all(a is None or a.arg != name for a in params)


def _holds(parent: ast.AST, node: ast.AST, env: Env, called: set[int]) -> bool:
    """Does ``parent``'s value hold ``node``'s or derive from it (a container, a branch, an
    attribute or item read, ``closing(node)``)? A method called on it is its own call."""
    if isinstance(parent, ast.List | ast.Tuple | ast.Set | ast.Dict | ast.Starred | ast.BoolOp):
        return True
    if isinstance(parent, ast.Attribute | ast.Subscript):
        return (
            node is parent.value and isinstance(parent.ctx, ast.Load) and id(parent) not in called
        )
    if isinstance(parent, ast.IfExp):
        return node is not parent.test
    if isinstance(parent, _COMPREHENSIONS):
        return node in (
            getattr(parent, "elt", None),
            getattr(parent, "key", None),
            getattr(parent, "value", None),
        )
    if isinstance(parent, ast.Call) and node is not parent.func:
        return env.qualname(parent.func) in _TRANSPARENT
    return False


def _stays(parent: ast.AST | None, called: set[int]) -> bool:
    """Does this use of a local keep its value in the body: its own method calls, a ``with``,
    a ``return``, the object of an attribute or item store?"""
    if isinstance(parent, ast.Attribute | ast.Subscript) and isinstance(
        parent.ctx, ast.Store | ast.Del
    ):
        return True
    return id(parent) in called or isinstance(parent, ast.Return | ast.withitem)


def _bind(
    env: Env,
    fn: ast.FunctionDef,
    target: ast.expr,
    keys: set[str],
    made: dict[str, set[str]],
    escaping: set[str],
) -> None:
    """A value holding ``keys`` stored into ``target``: locals remember them; a store into
    anything else (a global's item, an attribute of a parameter) lets them out."""
    if isinstance(target, ast.Name):
        made.setdefault(target.id, set()).update(keys)
    elif isinstance(target, ast.Tuple | ast.List | ast.Starred):
        for inner in ast.walk(target):
            if isinstance(inner, ast.Name):
                made.setdefault(inner.id, set()).update(keys)
    elif isinstance(target, ast.Attribute | ast.Subscript):
        root = local_root(env.mod, fn, target)
        if root is None:
            escaping.update(keys)
        else:
            made.setdefault(root, set()).update(keys)


def local_root(
    mod: ModuleScope, fn: ast.FunctionDef, target: ast.Attribute | ast.Subscript
) -> str | None:
    """The local variable of ``fn`` (not a parameter, not a global) that ``target``
    (``x.attr``, ``x[k]``) stores into, if it is one."""
    root: ast.expr = target
    while isinstance(root, ast.Attribute | ast.Subscript):
        root = root.value
    if not isinstance(root, ast.Name) or not _is_local(mod.function_bindings(fn), fn, root.id):
        return None
    return root.id


def reads(env: Env, fn: ast.FunctionDef, nodes: list[ast.AST]) -> tuple[str, ...]:
    """The state ``fn`` reads (see the module docstring), as dotted keys."""
    inner: set[int] = set()  # the objects of attributes: only whole chains are keys
    declared: set[str] = set()
    chains: list[ast.Name | ast.Attribute] = []
    # one pass, by exact type (no node class is subclassed): this runs on every function
    name, attribute, load, global_ = ast.Name, ast.Attribute, ast.Load, ast.Global
    for node in nodes:
        kind = type(node)
        if kind is attribute:
            inner.add(id(node.value))  # type: ignore[attr-defined]
            if type(node.ctx) is load:  # type: ignore[attr-defined]
                chains.append(node)  # type: ignore[arg-type]
        elif kind is name:
            if type(node.ctx) is load:  # type: ignore[attr-defined]
                chains.append(node)  # type: ignore[arg-type]
        elif kind is global_:
            declared.update(node.names)  # type: ignore[attr-defined]
    found: set[str] = set()
    for node in chains:
        if id(node) not in inner:
            key = chain_key(env, node, declared)
            if key is not None:
                found.add(key)
    return tuple(sorted(found))


def chain_key(env: Env, node: ast.expr, declared: Collection[str] = ()) -> str | None:
    """``node`` (``self.conn``, ``CONN.execute``, ``db.fetch``) as a dotted key rooted at the
    class, the module-level name or the imported name it starts from; None for a chain that
    starts anywhere else (a local, a builtin, a call, the standard library)."""
    chain = name_chain(node)
    if chain is None:
        return None
    name, attrs = chain[0].id, chain[1]
    if env.self_name is not None and name == env.self_name and env.owner:
        base: str | None = env.owner
    elif name in env.local and name not in declared:
        return None
    else:
        base = _global_base(env.mod, name)
    return None if base is None else ".".join([base, *attrs])


def _global_base(mod: ModuleScope, name: str) -> str | None:
    sources = mod.names.get(name)
    if not sources:
        return None
    kinds = {kind for kind, _ in sources}
    if kinds & {"value", "annotation"} and kinds <= {"value", "annotation", "unknown"}:
        return f"{mod.name}.{name}"
    qualname = mod.qualname(name)
    if qualname is None or kinds != {"import"} or qualname.split(".")[0] in STDLIB_MODULES:
        return None
    return qualname
