"""What a module does while it is imported, beyond defining names: its first *import-time
effect*, read from its top-level statements (the gather phase's ``ast`` tree, never run).

Hoisting an import of a module with effects moves them to the import of the importing module:
a script's ``--help`` that reads a settings file, a test collection that registers production
plugins, a module whose import ends the process. ``hoist-imports`` makes such a hoist an unsafe
fix naming the effect (``visitors/hoist_effects.py`` follows first-party imports transitively).

Pure (no effect) are, at module level and in class bodies:
- docstrings and other constants; ``import`` statements (the first-party modules they load are
  followed separately; the standard library and third-party packages count as effect-free);
- ``def``/``class`` whose decorators, bases, keywords, default values and (unless
  ``from __future__ import annotations``) annotations are pure expressions; a bare-name or
  attribute decorator is pure (it wraps); a class based on a Django model is not (defining one
  needs configured settings);
- assignments of pure expressions to names, or to attributes/items of an object the module
  itself binds; ``del`` of names; ``global``, ``pass``;
- ``if``/``try``/``for``/``with`` whose tests, iterables and context managers are pure and whose
  blocks are pure; the body of ``if TYPE_CHECKING:`` and of ``if __name__ == "__main__":``
  (neither runs on import).

A pure expression is made of constants, names, attributes, subscripts, operators, containers,
comprehensions, f-strings and lambdas (whose body does not run) of pure parts, and calls of:
a callable of ``pure_calls.PURE_CALLABLES`` (``logging.getLogger``, ``TypeVar``, ``APIRouter``,
``Depends``, ``Column``, ...); a method of an object the module binds by assignment
(``@router.get("/x")``, ``app.include_router(r)``: registering on the module's own object
changes nothing for whoever imports it, and when is irrelevant); a ``str`` method of a literal;
a ``pathlib`` method of a pure path (``Path(__file__).resolve().parent``). Everything else is
an effect: any other call (a class of the project or a third-party library, ``exit()``,
``logging.basicConfig()``), a read of ``os.environ``/``os.getenv``/``sys.argv``, ``raise``,
``assert``, ``while``, ``match``, assignments to attributes of imported objects. Unknown is an
effect.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence

from .pure_calls import (
    CONFIGURATION_READS,
    PATH_ATTRIBUTES,
    PATH_METHODS,
    STR_METHODS,
    is_pure_callable,
)
from .visitors.ast_names import bound_names, scope_statements

#: (what the module does, in words with code in backticks; its line)
Effect = tuple[str, int]

_MAX_SHOWN = 40


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
        #: names bound at module level by an assignment (objects the module creates)
        self.assigned: set[str] = set()
        #: names bound at module level by anything but an import
        self.local: set[str] = set()
        self.lazy_annotations = False
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
                if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
                    self.assigned |= names
        self.assigned -= set(self.imported)

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
            found = self.decorators(stmt.decorator_list, line)
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
            return (
                self.decorators(stmt.decorator_list, line)
                or self.exprs([*stmt.bases, *(k.value for k in stmt.keywords)], line)
                or self.block(stmt.body)
            )
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

    def decorators(self, decorators: Iterable[ast.expr], line: int) -> Effect | None:
        # a bare name or attribute only wraps the function; a call runs at definition time
        return self.exprs([d for d in decorators if isinstance(d, ast.Call)], line)

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
            if not (
                isinstance(root, ast.Name)
                and root.id in self.local
                and root.id not in self.imported
            ):
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
            stack.extend(ast.iter_child_nodes(node))
        return None

    def qualified(self, node: ast.expr) -> str | None:
        """The dotted name ``node`` refers to: through the module's imports, or a builtin when
        the module binds its root nowhere; None for anything else (a local object, a call)."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        if node.id in self.local:
            return None
        root = self.imported.get(node.id, f"builtins.{node.id}")
        return ".".join([root, *reversed(parts)])

    def pure_callee(self, func: ast.expr) -> bool:
        qualified = self.qualified(func)
        if qualified is not None:
            return is_pure_callable(qualified) and qualified not in CONFIGURATION_READS
        if not isinstance(func, ast.Attribute):
            return False
        root: ast.expr = func.value
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in self.assigned:
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
