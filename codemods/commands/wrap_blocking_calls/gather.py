"""Gather phase of ``wrap-blocking-calls``: which of the project's sync functions block.

Per module (stdlib ``ast``, read-only): every sync ``def`` at module level or in a class, with
the callee key of each call in its own body (nested ``def``/``lambda``/``class`` bodies excluded);
module-level names bound once to an instance of a catalogue class (``s3 = boto3.client(...)``);
``self.<attr>`` attributes of classes whose class is provable; and module-level import aliases
(to follow re-exports); the modules it star-imports and its strings spelled like dotted names
(who may read an import the rewrite leaves unused); what each function lets out and reads
(:mod:`.escape`), each class's bases and the module-level instances
(:mod:`.objects`). :mod:`.combine` folds these across modules.

Names are resolved conservatively: a name bound more than once, or bound by anything but the
import/def/constructor we understand, is unknown, and unknown calls are never blocking.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ...astkit import astnodes
from ...project import ModuleInfo, resolve_relative
from . import catalogue as cat
from .escape import escaping_callees, local_root, reads
from .objects import ClassFacts, Instance, class_facts, module_instances
from .scope import Env, ModuleScope, Source, scope_bindings, single_import


@dataclass(frozen=True)
class FunctionFacts:
    """One sync function or method of the project."""

    #: ``module.func`` or ``module.Class.method``.
    key: str
    #: function, generator, contextmanager or decorated.
    kind: str
    #: The first decorator that may change what the function is (for ``decorated``).
    decorator: str
    #: (callee key, line) for each call in the function's own body.
    calls: tuple[tuple[str, int], ...]
    #: It may keep what it makes beyond the call: it declares ``global``/``nonlocal``, or
    #: assigns to an attribute or an item (``self.conn = ...``, ``cache[k] = ...``) of anything
    #: but a local.
    keeps: bool = False
    #: The callees whose result may outlive the call (:func:`.escape.escaping_callees`:
    #: ``_pool.append(conn)``, ``_pool.append(connect())``); empty when ``keeps``.
    escapes: tuple[str, ...] = ()
    #: Module-level and ``self`` state it reads (:func:`.escape.reads`).
    reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModuleFacts:
    """What :func:`gather_module` found in one module (picklable)."""

    module: str
    functions: tuple[FunctionFacts, ...] = ()
    #: ``module.Class`` -> ``module.Class.__init__`` (classes defining their own ``__init__``).
    inits: tuple[tuple[str, str], ...] = ()
    #: ``module.name`` -> qualified name it was imported as.
    aliases: tuple[tuple[str, str], ...] = ()
    #: ``module.name`` or ``module.Class.attr`` -> catalogue class of its value.
    bindings: tuple[tuple[str, str], ...] = ()
    #: Modules the module star-imports (``from app.helpers import *``): absolute names, None for
    #: a relative import beyond the top-level package.
    stars: tuple[str | None, ...] = ()
    #: String constants spelled like a dotted name (``"app.worker.time.sleep"`` for
    #: ``mock.patch``): they may name another module's attribute.
    dotted: tuple[str, ...] = ()
    #: Each class, resolvable or not, with its bases (:func:`.objects.class_facts`).
    classes: tuple[ClassFacts, ...] = ()
    #: Module-level names bound once to a call (:func:`.objects.module_instances`).
    instances: tuple[Instance, ...] = ()


def gather_module(tree: ast.Module, info: ModuleInfo) -> ModuleFacts:
    """The per-module facts of ``wrap-blocking-calls`` (see the module docstring)."""
    mod = ModuleScope(tree, info)
    # the module's own scope; not an attribute of ``mod``, which it refers to (a cycle)
    top = Env(mod, None)
    aliases = []
    for name, sources in sorted(mod.names.items()):
        imported = single_import(sources)
        if imported:
            aliases.append((f"{mod.name}.{name}", imported))
    for _round in range(2):  # later bindings may use earlier ones (``sessionmaker(bind=engine)``)
        for name, sources in mod.names.items():
            cls = top.agree(sources) if sources[0][0] in ("value", "annotation") else None
            if cls:
                mod.bindings[f"{mod.name}.{name}"] = cls
    functions: list[FunctionFacts] = []
    inits: list[tuple[str, str]] = []
    classes: list[ClassFacts] = []
    pending: list[tuple[str, dict[str, list[Source]], str | None]] = [(mod.name, mod.names, None)]
    while pending:
        prefix, names, owner = pending.pop()
        for name, sources in sorted(names.items()):
            if len(sources) != 1:
                continue
            kind, node = sources[0]
            key = f"{prefix}.{name}"
            if kind == "class" and isinstance(node, ast.ClassDef):
                body_names, _ = scope_bindings(node.body, info, mod.nonlocals, mod.inline)
                attrs, assigned = _class_attrs(mod, top, key, node, body_names)
                if attrs:
                    # once more with them known: ``self.coll = self.client["db"]["coll"]``
                    mod.bindings.update(attrs)
                    attrs, _ = _class_attrs(mod, top, key, node, body_names)
                mod.bindings.update(attrs)
                classes.append(class_facts(mod, top, key, node, body_names, assigned))
                if len(body_names.get("__init__", ())) == 1 and "__new__" not in body_names:
                    inits.append((key, f"{key}.__init__"))
                pending.append((key, body_names, key))
            elif kind == "def" and isinstance(node, ast.FunctionDef):
                functions.append(_function(mod, top, node, key, owner))
    stars: list[str | None] = []
    dotted: set[str] = set()
    for node in astnodes.of_classes(tree, _STARS_AND_STRINGS):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            stars.append(resolve_relative(info, node.module, node.level))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _DOTTED.fullmatch(node.value):
            dotted.add(node.value)
    return ModuleFacts(
        module=mod.name,
        functions=tuple(functions),
        inits=tuple(sorted(inits)),
        aliases=tuple(aliases),
        bindings=tuple(sorted(mod.bindings.items())),
        stars=tuple(stars),
        dotted=tuple(sorted(dotted)),
        classes=tuple(sorted(classes)),
        instances=module_instances(mod, top),
    )


_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
#: The node classes ``gather_module`` reads from the whole tree.
_STARS_AND_STRINGS = frozenset({ast.ImportFrom, ast.Constant})


def _function(mod: ModuleScope, top: Env, fn: ast.FunctionDef, key: str, owner: str | None) -> FunctionFacts:
    env = Env(mod, fn, owner)  # its bindings serve the calls, the escapes and the reads
    kind, decorator = "function", ""
    for deco in fn.decorator_list:
        name = top.qualname(deco.func if isinstance(deco, ast.Call) else deco)
        if name in cat.CONTEXT_MANAGER_DECORATORS:
            kind = "contextmanager"
        elif name not in cat.TRANSPARENT_DECORATORS and not decorator:
            decorator = ast.unparse(deco)
    calls: list[tuple[str, int]] = []
    callees: dict[int, str] = {}
    generator = keeps = False
    nodes = mod.own_nodes(fn)
    for node in nodes:
        kind_of = type(node)  # exact types: no ``ast`` node class is subclassed
        if kind_of is ast.Call:
            callee = env.callee_key(node)  # type: ignore[arg-type]
            if callee:
                calls.append((callee, node.lineno))  # type: ignore[attr-defined]
                callees[id(node)] = callee
        elif kind_of is ast.Yield or kind_of is ast.YieldFrom:
            generator = True
        elif kind_of is ast.Global or kind_of is ast.Nonlocal:
            keeps = True
        elif (kind_of is ast.Attribute or kind_of is ast.Subscript) and type(node.ctx) is ast.Store and not keeps:  # type: ignore[attr-defined]
            keeps = local_root(mod, fn, node) is None  # type: ignore[arg-type]
    # a builtin never makes a thread-bound object, and no module can stand in for ``builtins``
    makers = {k: v for k, v in callees.items() if not v.startswith("builtins.")}
    escapes = () if keeps or not makers else escaping_callees(env, fn, nodes, lambda c: makers.get(id(c)))
    if decorator:
        kind = "decorated"
    elif generator and kind == "function":
        kind = "generator"
    return FunctionFacts(key, kind, decorator, tuple(calls), keeps, escapes, reads(env, fn, nodes))


def _class_attrs(
    mod: ModuleScope, top: Env, key: str, node: ast.ClassDef, names: dict[str, list[Source]]
) -> tuple[dict[str, str], set[str]]:
    """``Class.attr`` -> class, for attributes whose class is provable (annotation first); and
    the names its methods bind through ``self``."""
    through_self: set[str] = set()
    annotated: dict[str, set[str | None]] = {}
    assigned: dict[str, set[str | None]] = {}
    for name, sources in names.items():
        for kind, payload in sources:
            if kind == "annotation" and isinstance(payload, ast.expr):
                annotated.setdefault(name, set()).add(top.annotation(payload))
            elif kind == "value" and isinstance(payload, ast.expr):
                assigned.setdefault(name, set()).add(top.infer(payload))
            else:
                assigned.setdefault(name, set()).add(None)
    for method in node.body:
        if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        env = Env(mod, method, key)
        if env.self_name is None:
            continue
        for stmt in mod.own_nodes(method):
            if not isinstance(stmt, _BINDS):
                continue
            for attr, source in _self_assignments(stmt, env.self_name):
                through_self.add(attr)
                if source is not None and source[0] == "annotation" and isinstance(source[1], ast.expr):
                    annotated.setdefault(attr, set()).add(env.annotation(source[1]))
                elif source is not None and isinstance(source[1], ast.expr):
                    assigned.setdefault(attr, set()).add(env.infer(source[1]))
                else:
                    assigned.setdefault(attr, set()).add(None)
    found: dict[str, str] = {}
    for attr in {*annotated, *assigned}:
        classes = annotated.get(attr) or assigned.get(attr, set())
        if len(classes) == 1 and (cls := next(iter(classes))) is not None:
            found[f"{key}.{attr}"] = cls
    return found, through_self


_BINDS = (
    ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Delete, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith
)


def _self_assignments(stmt: ast.AST, self_name: str) -> Iterator[tuple[str, Source | None]]:
    """``self.<attr>`` bound by ``stmt``, with the binding source (None: not understood)."""

    def attr_of(target: ast.AST) -> str | None:
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == self_name
        ):
            return target.attr
        return None

    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            if (attr := attr_of(target)) is not None:
                yield attr, ("value", stmt.value)
            elif isinstance(target, ast.Tuple | ast.List | ast.Starred):
                for inner in ast.walk(target):
                    if (attr := attr_of(inner)) is not None:
                        yield attr, None
    elif isinstance(stmt, ast.AnnAssign) and (attr := attr_of(stmt.target)) is not None:
        yield attr, ("annotation", stmt.annotation)
    elif isinstance(stmt, ast.AugAssign | ast.Delete | ast.For | ast.AsyncFor | ast.With | ast.AsyncWith):
        if isinstance(stmt, ast.Delete):
            targets: list[ast.AST] = list(stmt.targets)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            targets = [i.optional_vars for i in stmt.items if i.optional_vars is not None]
        else:
            targets = [stmt.target]
        for bound in targets:
            for inner in ast.walk(bound):
                if (attr := attr_of(inner)) is not None:
                    yield attr, None
