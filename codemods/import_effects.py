"""What a module does while it is imported, beyond defining names: its first *import-time
effect*, read from its top-level statements (the gather phase's ``ast`` tree, never run).

Hoisting an import of a module with effects moves them to the import of the importing module:
a script's ``--help`` that reads a settings file, a test collection that registers production
plugins, a module whose import ends the process. ``hoist-imports`` makes such a hoist an unsafe
fix naming the effect (``commands/hoist_imports/effects.py`` follows first-party imports transitively).

Pure (no effect) are, at module level and in class bodies:
- docstrings and other constants; ``import`` statements (the first-party modules they load are
  followed separately; the standard library and third-party packages count as effect-free);
- ``def``/``class`` whose decorators, bases, keywords, default values and (unless
  ``from __future__ import annotations``) annotations are pure expressions, and whose
  decorators are pure calls: ``@d`` calls ``d`` (pure when ``d`` is a pure callable, a method
  of an own object, or a property's ``.setter``), ``@d(x)`` calls what ``d(x)`` returns (pure
  when ``d(x)`` is, except ``partial(g)``, which calls ``g``); a class whose bases are all
  ``pure_calls.PURE_BASES`` (``object``, builtins, ``typing``/``enum``/``abc`` classes, pydantic
  and SQLAlchemy declarative bases, ...), pure classes of the module (no
  ``__init_subclass__``) or own objects (``Base = declarative_base()``), and whose metaclass is
  ``type``/``ABCMeta``/``EnumMeta``; a class based on a Django model is not (defining one needs
  configured settings);
- assignments of pure expressions to names, or to attributes/items of an own object or of a
  function or class of the module; ``del`` of names; ``global``, ``pass``;
- ``if``/``try``/``for``/``with`` whose tests, iterables and context managers are pure and whose
  blocks are pure; the body of ``if TYPE_CHECKING:`` and of ``if __name__ == "__main__":``
  (neither runs on import).

A pure expression is made of constants, names, attributes, subscripts, operators, containers,
comprehensions, f-strings and lambdas (whose body does not run) of pure parts, and calls of:
a callable of ``pure_calls.PURE_CALLABLES`` (``logging.getLogger``, ``TypeVar``, ``APIRouter``,
``Depends``, ``Column``, ...); a method of an *own object*: a name the module binds only to a
literal, a display or the result of ``pure_calls.OWN_CONSTRUCTORS`` (``APIRouter()``,
``FastAPI()``, ``declarative_base()``, ``logging.getLogger(__name__)``, ...):
``@router.get("/x")``, ``app.include_router(r)`` (registering on the module's own object
changes nothing for whoever imports it, and when is irrelevant; ``out = sys.stdout`` or
``s = sys`` is no own object); a ``str`` method of a literal;
a ``pathlib`` method of a pure path (``Path(__file__).resolve().parent``). Everything else is
an effect: any other call (a class of the project or a third-party library, ``exit()``,
``logging.basicConfig()``), a read of ``os.environ``/``os.getenv``/``sys.argv``, ``raise``,
``assert``, ``while``, ``match``, assignments to attributes of imported objects. Unknown is an
effect.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence

from .astkit import astnodes
from .astkit.names import bound_names, name_chain, scope_statements
from .pure_calls import (
    CONFIGURATION_READS,
    OWN_CONSTRUCTORS,
    PATH_ATTRIBUTES,
    PATH_METHODS,
    PURE_METACLASSES,
    STR_METHODS,
    is_pure_base,
    is_pure_callable,
)

#: (what the module does, in words with code in backticks; its line)
Effect = tuple[str, int]

_MAX_SHOWN = 40
#: Pure callables whose result, used as a decorator, calls what they were given.
_CALLS_ITS_ARGUMENT = frozenset({"partial", "partialmethod"})


def import_effect(tree: ast.Module) -> Effect | None:
    """The first import-time effect of the module ``tree`` (None: it only defines names)."""
    return _Module(tree).block(tree.body)


def _shown(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except (ValueError, RecursionError):  # pragma: no cover - unparse of a parsed tree
        text = type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


class _Module:
    def __init__(self, tree: ast.Module) -> None:
        self.imported: dict[str, str] = {}
        #: names bound at module level by anything but an import
        self.local: set[str] = set()
        #: names bound at module level only to objects the module creates (``made_here``)
        self.owned: set[str] = set()
        #: names of the module's functions and classes
        self.defined: set[str] = set()
        #: the module's classes whose definition runs no hook (``pure_base``)
        self.pure_classes: set[str] = set()
        self.lazy_annotations = False
        made: set[str] = set()
        spoiled: set[str] = set()
        for stmt in scope_statements(tree.body):
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        self.imported[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.imported[top] = top
            elif isinstance(stmt, ast.ImportFrom):
                if stmt.module == "__future__":
                    self.lazy_annotations |= any(a.name == "annotations" for a in stmt.names)
                base = "." * stmt.level + (stmt.module or "")
                for alias in stmt.names:
                    if alias.name != "*":
                        self.imported[alias.asname or alias.name] = f"{base}.{alias.name}"
            else:
                names = set(bound_names(stmt))
                self.local |= names
                if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
                    (made if self.made_here(stmt.value) else spoiled).update(names)
                elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    self.defined.add(stmt.name)
                elif not isinstance(stmt, ast.AugAssign):  # ``x += [...]`` keeps the object
                    spoiled |= names
        self.owned = made - spoiled - set(self.imported)
        self.defined -= set(self.imported)

    def made_here(self, value: ast.expr) -> bool:
        """Is ``value`` a new object the module owns: a literal, a display or comprehension, or
        the result of an ``OWN_CONSTRUCTORS`` callable (``logging.getLogger(__name__)``)?"""
        if isinstance(value, ast.Constant | ast.List | ast.Dict | ast.Set | ast.Tuple):
            return True
        if isinstance(value, ast.ListComp | ast.DictComp | ast.SetComp):
            return True
        if not isinstance(value, ast.Call):
            return False
        qualified = self.qualified(value.func)
        if qualified == "logging.getLogger":
            args = value.args
            return len(args) == 1 and isinstance(args[0], ast.Name) and args[0].id == "__name__"
        return qualified in OWN_CONSTRUCTORS

    # -- statements ------------------------------------------------------------------------------

    def block(self, body: Sequence[ast.stmt]) -> Effect | None:
        for stmt in body:
            found = self.statement(stmt)
            if found is not None:
                return found
        return None

    def statement(self, stmt: ast.stmt) -> Effect | None:
        line = stmt.lineno
        if isinstance(stmt, ast.Import | ast.ImportFrom | ast.Global | ast.Nonlocal | ast.Pass):
            return None
        if isinstance(stmt, ast.Expr):
            return self.exprs([stmt.value], line)
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            args = stmt.args
            found = self.decorators(stmt.decorator_list, stmt.name)
            found = found or self.exprs([*args.defaults, *(d for d in args.kw_defaults if d)], line)
            if found is None and not self.lazy_annotations:
                every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
                notes = [a.annotation for a in every if a is not None and a.annotation is not None]
                found = self.exprs([*notes, *([stmt.returns] if stmt.returns else [])], line)
            return found
        if isinstance(stmt, ast.ClassDef):
            for base in stmt.bases:
                qualified = self.qualified(base)
                if qualified is not None and qualified.startswith("django.db.models."):
                    return (
                        f"defines a Django model (`{stmt.name}`), which needs configured settings",
                        line,
                    )
            found = self.decorators(stmt.decorator_list, stmt.name) or self.exprs(
                [*stmt.bases, *(k.value for k in stmt.keywords)], line
            )
            found = found or self.hooks(stmt) or self.block(stmt.body)
            # its own ``__init_subclass__`` runs for its subclasses: then it is no pure base
            hook = any(
                isinstance(s, ast.FunctionDef) and s.name == "__init_subclass__" for s in stmt.body
            )
            if found is None and not hook:
                self.pure_classes.add(stmt.name)
            return found
        if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            values = [stmt.value] if stmt.value is not None else []
            if isinstance(stmt, ast.AnnAssign) and not self.lazy_annotations:
                values.append(stmt.annotation)
            return self.exprs(values, line) or self.targets(targets, line)
        if isinstance(stmt, ast.Delete):
            return self.targets(stmt.targets, line)
        if isinstance(stmt, ast.If):
            if _is_type_checking(stmt.test) or _is_main_guard(stmt.test):
                return self.block(stmt.orelse)
            return self.exprs([stmt.test], line) or self.block(stmt.body) or self.block(stmt.orelse)
        if isinstance(stmt, ast.Try | ast.TryStar):
            found = self.block(stmt.body)
            for handler in stmt.handlers:
                found = found or self.exprs([handler.type] if handler.type else [], handler.lineno)
                found = found or self.block(handler.body)
            return found or self.block(stmt.orelse) or self.block(stmt.finalbody)
        if isinstance(stmt, ast.For):
            return (
                self.exprs([stmt.iter], line)
                or self.targets([stmt.target], line)
                or self.block(stmt.body)
                or self.block(stmt.orelse)
            )
        if isinstance(stmt, ast.With):
            contexts = [i.context_expr for i in stmt.items]
            targets = [i.optional_vars for i in stmt.items if i.optional_vars is not None]
            return (
                self.exprs(contexts, line) or self.targets(targets, line) or self.block(stmt.body)
            )
        if isinstance(stmt, ast.Raise):
            return (f"raises `{_shown(stmt.exc)}`" if stmt.exc else "raises", line)
        if isinstance(stmt, ast.Assert):
            return (f"asserts `{_shown(stmt.test)}`", line)
        if type(stmt).__name__ == "TypeAlias":  # ``type X = ...`` (3.12): evaluated lazily
            return None
        return (f"runs a `{type(stmt).__name__.lower()}` statement", line)

    def decorators(self, decorators: Iterable[ast.expr], name: str) -> Effect | None:
        """A decorator is called on the definition: ``@d`` is ``d(f)``, ``@d(x)`` is ``d(x)(f)``."""
        for decorator in decorators:
            found = self.exprs([decorator], decorator.lineno)
            if found is not None:
                return found
            called = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(decorator, ast.Call):
                # a pure factory returns a pure decorator, except ``partial(g)``, which calls g
                pure = (self.qualified(called) or "").rsplit(".", 1)[-1] not in _CALLS_ITS_ARGUMENT
            else:
                pure = self.pure_callee(called) or (
                    isinstance(called, ast.Attribute)  # ``@x.setter`` of a property
                    and called.attr in ("setter", "getter", "deleter")
                    and isinstance(called.value, ast.Name)
                )
            if not pure:
                return (f"calls the decorator `{_shown(called)}` on `{name}`", decorator.lineno)
        return None

    def hooks(self, stmt: ast.ClassDef) -> Effect | None:
        """Code the class statement runs beyond its body: the metaclass and the bases'
        ``__init_subclass__`` (unknown unless ``pure_calls.PURE_BASES`` or a pure class or own
        object of the module); and the class's own ``__init_subclass__`` for its subclasses."""
        for keyword in stmt.keywords:
            if keyword.arg == "metaclass":
                qualified = self.qualified(keyword.value)
                if qualified not in PURE_METACLASSES:
                    shown = _shown(keyword.value)
                    return (f"defines `{stmt.name}` with the metaclass `{shown}`", stmt.lineno)
        for base in stmt.bases:
            if not self.pure_base(base.value if isinstance(base, ast.Subscript) else base):
                return (
                    f"defines `{stmt.name}` based on `{_shown(base)}` (its metaclass or "
                    "`__init_subclass__` runs)",
                    stmt.lineno,
                )
        return None

    def pure_base(self, base: ast.expr) -> bool:
        if isinstance(base, ast.Name) and base.id in self.local:
            return base.id in self.pure_classes or base.id in self.owned
        qualified = self.qualified(base)
        return qualified is not None and is_pure_base(qualified)

    def targets(self, targets: Iterable[ast.expr], line: int) -> Effect | None:
        for target in targets:
            if isinstance(target, ast.Tuple | ast.List):
                found = self.targets(target.elts, line)
                if found is not None:
                    return found
                continue
            if isinstance(target, ast.Starred):
                target = target.value
            if isinstance(target, ast.Name):
                continue
            root: ast.expr = target
            while isinstance(root, ast.Attribute | ast.Subscript):
                if isinstance(root, ast.Subscript):
                    found = self.exprs([root.slice], line)
                    if found is not None:
                        return found
                root = root.value
            if not (isinstance(root, ast.Name) and root.id in self.owned | self.defined):
                return (f"assigns `{_shown(target)}`", line)
        return None

    # -- expressions -----------------------------------------------------------------------------

    def exprs(self, exprs: Iterable[ast.expr], line: int) -> Effect | None:
        stack: list[ast.AST] = list(exprs)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Lambda):  # its body runs when called
                stack.extend([*node.args.defaults, *(d for d in node.args.kw_defaults if d)])
                continue
            if isinstance(node, ast.Await | ast.Yield | ast.YieldFrom):
                return (f"runs `{_shown(node)}`", getattr(node, "lineno", line))
            if isinstance(node, ast.Name | ast.Attribute):
                qualified = self.qualified(node)
                if qualified in CONFIGURATION_READS:
                    return (f"reads `{qualified}`", getattr(node, "lineno", line))
            if isinstance(node, ast.Call) and not self.pure_callee(node.func):
                qualified = self.qualified(node.func) or ""
                if any(qualified.startswith(f"{r}.") for r in CONFIGURATION_READS):
                    return (f"reads `{qualified}`", node.lineno)
                return (f"runs `{_shown(node.func)}()`", node.lineno)
            stack.extend(astnodes.children(node))
        return None

    def qualified(self, node: ast.expr) -> str | None:
        """The dotted name ``node`` refers to: through the module's imports, or a builtin when
        the module binds its root nowhere; None for anything else (a local object, a call)."""
        chain = name_chain(node)
        if chain is None or chain[0].id in self.local:
            return None
        name, attrs = chain
        return ".".join([self.imported.get(name.id, f"builtins.{name.id}"), *attrs])

    def pure_callee(self, func: ast.expr) -> bool:
        qualified = self.qualified(func)
        if qualified is not None:
            return is_pure_callable(qualified) and qualified not in CONFIGURATION_READS
        if not isinstance(func, ast.Attribute):
            return False
        chain = name_chain(func.value)
        if chain is not None and chain[0].id in self.owned:
            return True  # a method of the module's own object
        if isinstance(func.value, ast.Constant) and isinstance(func.value.value, str):
            return func.attr in STR_METHODS
        return func.attr in PATH_METHODS and self.is_path(func.value)

    def is_path(self, node: ast.expr) -> bool:
        while True:
            if isinstance(node, ast.Call):
                qualified = self.qualified(node.func)
                if qualified is not None and qualified.startswith("pathlib."):
                    return is_pure_callable(qualified)
                if not (isinstance(node.func, ast.Attribute) and node.func.attr in PATH_METHODS):
                    return False
                node = node.func.value
            elif (isinstance(node, ast.Attribute) and node.attr in PATH_ATTRIBUTES) or isinstance(
                node, ast.Subscript
            ):
                node = node.value
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
                node = node.left
            else:
                return False
