"""Environment variables a module reads, and whether each read is safe when the variable is unset.

Shared by ``codemod audit`` (the env-var findings) and the ``startup-checks`` codemod (its gather
phase). Stdlib ``ast`` only; nothing is imported or run.

Each read gets a status:

- ``default``: a default is given (``os.getenv("X", "d")``, ``os.environ.get("X") or "d"``).
- ``optional``: the code tests the value and carries on without it (``if not key: return``,
  ``try: os.environ["X"] except KeyError``).
- ``startup``: it fails at import or startup already: ``os.environ["X"]`` at module level, a
  module-level or lifespan ``if not os.getenv("X"): raise``, a pydantic settings object built at
  import time.
- ``late-check``: a check raises, but only when the function runs (first request).
- ``unchecked``: nothing checks it: ``None`` flows on, or a ``KeyError`` comes from a request.
- ``dotenv``: a field of a pydantic settings class that may read it from a dotenv file or a
  secrets directory (``audit.envdotenv``): ``os.environ`` need not hold it.
- ``probe``: only asks whether it is set (``bool(os.getenv("X"))``, ``"X" in os.environ`` outside
  a test): says nothing either way.

A variable is *required* when some read is ``unchecked``/``late-check`` and no read anywhere
gives it a default or treats it as optional (that code says the app runs without it).
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass

from .astutil import (
    Aliases,
    ancestors,
    enclosing_function,
    is_startup_function,
    parents,
    raises,
    str_constant,
)
from .envdotenv import dotenv_callees, env_prefix, is_load_dotenv, reads_dotenv
from .envsites import site_of

_GETTERS = {"os.getenv", "os.environ.get", "os.environ.setdefault"}
_CASTS = {"int", "float", "str", "bool"}
_SETTINGS_BASES = {"BaseSettings"}


@dataclass(frozen=True, order=True)
class EnvRead:
    """One place a variable is read."""

    name: str
    line: int
    #: How it is read, for the report: ``os.getenv``, ``os.environ[]``, ``Settings.secret_key``...
    how: str
    status: str
    #: Where it runs (``envsites.site_of``): ``""`` module level, a module-level function's
    #: name, or ``"?"``; and whether something may not run it. Not part of equality or order.
    scope: str = dataclasses.field(default="", compare=False)
    guarded: bool = dataclasses.field(default=False, compare=False)


@dataclass(frozen=True)
class EnvFacts:
    """What one module does with environment variables (picklable)."""

    reads: tuple[EnvRead, ...] = ()
    #: Settings classes: name -> their required fields (status ``unchecked`` until combined).
    settings: tuple[tuple[str, tuple[EnvRead, ...]], ...] = ()
    #: Names of everything called at import time (to see settings objects built there).
    import_time_calls: frozenset[str] = frozenset()
    #: Names checked by the ``startup-checks`` codemod's own statement.
    own_checked: frozenset[str] = frozenset()
    #: Names called with ``_env_file=``/``_secrets_dir=``/``**`` (settings that may read a file).
    dotenv_calls: frozenset[str] = frozenset()
    #: Lines of ``load_dotenv()`` calls inside functions (they may run after a startup check).
    late_dotenv: tuple[int, ...] = ()


def scan_env(tree: ast.Module) -> EnvFacts:
    aliases = Aliases(tree)
    parent_of = parents(tree)
    reads: list[EnvRead] = []
    own: set[str] = set()
    calls: set[str] = set()
    dotenv: set[str] = set()
    late: list[int] = []
    for node in ast.walk(tree):
        found = _read_of(node, aliases) if isinstance(node, ast.expr) else None
        if found is not None and isinstance(node, ast.expr):
            name, how, has_default = found
            status = "default" if has_default else _status(node, parent_of, aliases, how)
            reads.append(EnvRead(name, node.lineno, how, status, *site_of(node, parent_of)))
        elif isinstance(node, ast.Assign) and (names := own_check(node, aliases)):
            own.update(names)
        if isinstance(node, ast.Call) and (callee := dotenv_callees(node)):
            dotenv.add(callee)
        if (
            isinstance(node, ast.Call)
            and is_load_dotenv(node, aliases)
            and enclosing_function(node, parent_of) is not None
        ):
            late.append(node.lineno)
        if isinstance(node, ast.Call) and enclosing_function(node, parent_of) is None:
            target = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else getattr(node.func, "id", None)
            )
            if target:
                calls.add(target)
    return EnvFacts(
        reads=tuple(sorted(reads)),
        settings=tuple(_settings_classes(tree, aliases)),
        import_time_calls=frozenset(calls),
        own_checked=frozenset(own),
        dotenv_calls=frozenset(dotenv),
        late_dotenv=tuple(sorted(late)),
    )


def _environ(expr: ast.expr, aliases: Aliases) -> bool:
    return aliases.qualify(expr) == "os.environ"


def _read_of(node: ast.expr, aliases: Aliases) -> tuple[str, str, bool] | None:
    """``(variable, how, has_default)`` when ``node`` reads a variable named by a literal."""
    if isinstance(node, ast.Call):
        func = aliases.qualify(node.func)
        if func not in _GETTERS or not node.args:
            return None
        name = str_constant(node.args[0])
        if name is None:
            return None
        has_default = len(node.args) > 1 or any(k.arg == "default" for k in node.keywords)
        return name, func, has_default or func == "os.environ.setdefault"
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Load)
        and _environ(node.value, aliases)
    ):
        name = str_constant(node.slice)
        return (name, "os.environ[]", False) if name is not None else None
    if (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.In | ast.NotIn)
        and _environ(node.comparators[0], aliases)
        and (name := str_constant(node.left)) is not None
    ):
        return name, "in os.environ", False
    return None


def _status(node: ast.AST, parent_of: dict[int, ast.AST], aliases: Aliases, how: str) -> str:
    function = enclosing_function(node, parent_of)
    at_startup = function is None or is_startup_function(function, aliases)
    # climb through the boolean/comparison expression the read sits in
    expr: ast.AST = node
    parent = parent_of.get(id(expr))
    while isinstance(parent, ast.BoolOp | ast.UnaryOp | ast.Compare) or (
        isinstance(parent, ast.Call) and _is_cast(parent)
    ):
        if (
            isinstance(parent, ast.Call)
            and isinstance(parent.func, ast.Name)
            and parent.func.id == "bool"
        ):
            # ``bool(os.getenv("X"))`` only asks whether it is set: the value is never used
            return "probe"
        if (
            isinstance(parent, ast.BoolOp)
            and isinstance(parent.op, ast.Or)
            and parent.values[-1] is not expr
        ):
            return "default"
        expr = parent
        parent = parent_of.get(id(expr))
    if parent is None:
        return "unchecked"
    if isinstance(parent, ast.If | ast.While | ast.IfExp) and parent.test is expr:
        return _test_status(parent, at_startup)
    if isinstance(parent, ast.Assert) and parent.test is expr:
        return "startup" if at_startup else "late-check"
    if _caught(node, parent_of):
        return "optional"
    if how == "os.environ[]" and function is None:
        return "startup"
    if how == "in os.environ":
        return "probe"
    target = _assigned_name(parent, expr)
    if target is not None:
        test = _later_test(parent, target, parent_of)
        if test is not None:
            return _test_status(test, at_startup)
    return "unchecked"


def _is_cast(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id in _CASTS


def _test_status(test: ast.AST, at_startup: bool) -> str:
    if isinstance(test, ast.Assert):
        return "startup" if at_startup else "late-check"
    body = test.body if isinstance(test, ast.If | ast.While) else []
    orelse = test.orelse if isinstance(test, ast.If | ast.While) else []
    if isinstance(body, list) and (raises(body) or raises(orelse)):
        return "startup" if at_startup else "late-check"
    return "optional"


def _caught(node: ast.AST, parent_of: dict[int, ast.AST]) -> bool:
    child: ast.AST = node
    for parent in ancestors(node, parent_of):
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return False
        if isinstance(parent, ast.Try) and child in parent.body:
            for handler in parent.handlers:
                caught = handler.type
                names = (
                    [caught] if caught is None or not isinstance(caught, ast.Tuple) else caught.elts
                )
                for name in names:
                    if name is None or (
                        isinstance(name, ast.Name)
                        and name.id in {"KeyError", "LookupError", "Exception"}
                    ):
                        return True
        child = parent
    return False


def _assigned_name(stmt: ast.AST, value: ast.AST) -> str | None:
    if isinstance(stmt, ast.Assign) and stmt.value is value and len(stmt.targets) == 1:
        target = stmt.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    if (
        isinstance(stmt, ast.AnnAssign)
        and stmt.value is value
        and isinstance(stmt.target, ast.Name)
    ):
        return stmt.target.id
    return None


def _later_test(stmt: ast.AST, name: str, parent_of: dict[int, ast.AST]) -> ast.AST | None:
    """The first ``if``/``assert`` after ``stmt`` in its block whose test mentions ``name``."""
    block_owner = parent_of.get(id(stmt))
    if block_owner is None:
        return None
    for field in ("body", "orelse", "finalbody"):
        block = getattr(block_owner, field, None)
        if isinstance(block, list) and stmt in block:
            for later in block[block.index(stmt) + 1 :]:
                for node in ast.walk(later):
                    if isinstance(node, ast.If | ast.Assert | ast.While) and any(
                        isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.test)
                    ):
                        return node
            return None
    return None


def own_check(node: ast.Assign, aliases: Aliases) -> list[str]:
    """Names in ``_missing = [n for n in ("A", "B") if not os.environ.get(n)]``."""
    comp = node.value
    if not (isinstance(comp, ast.ListComp) and len(comp.generators) == 1):
        return []
    gen = comp.generators[0]
    if not (isinstance(gen.iter, ast.Tuple | ast.List) and isinstance(gen.target, ast.Name)):
        return []
    names = [str_constant(e) for e in gen.iter.elts]
    if not all(names) or len(gen.ifs) != 1:
        return []
    test = gen.ifs[0]
    # ``if name not in os.environ``; or ``if not os.environ.get(name)`` (before issue 19's review)
    name: ast.expr | None = None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.NotIn):
        if _environ(test.comparators[0], aliases):
            name = test.left
    elif (
        isinstance(test, ast.UnaryOp)
        and isinstance(test.op, ast.Not)
        and isinstance(test.operand, ast.Call)
        and aliases.qualify(test.operand.func) in {"os.environ.get", "os.getenv"}
        and len(test.operand.args) == 1
    ):
        name = test.operand.args[0]
    if not (isinstance(name, ast.Name) and name.id == gen.target.id):
        return []
    return [n for n in names if n]


def _settings_classes(tree: ast.Module, aliases: Aliases) -> list[tuple[str, tuple[EnvRead, ...]]]:
    local: set[str] = set()
    #: local settings classes that may read a dotenv file or a secrets directory
    files: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [(aliases.qualify(b) or "").split(".")[-1] for b in node.bases]
        if not any(b in _SETTINGS_BASES or b in local for b in bases):
            continue
        local.add(node.name)
        status = "unchecked"
        if reads_dotenv(node) or any(b in files for b in bases):
            files.add(node.name)
            status = "dotenv"
        prefix = env_prefix(node)
        fields = []
        for stmt in node.body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                continue
            field = stmt.target.id
            if (
                field.startswith("_")
                or field == "model_config"
                or "ClassVar" in ast.unparse(stmt.annotation)
            ):
                continue
            env_name = _required_field(stmt.value)
            if env_name is None:
                continue
            fields.append(
                EnvRead(
                    env_name or (prefix + field).upper(),
                    stmt.lineno,
                    f"{node.name}.{field}",
                    status,
                )
            )
        found.append((node.name, tuple(fields)))
    return found


def _required_field(value: ast.expr | None) -> str | None:
    """``""`` for a required field, an alias for a required aliased field, None otherwise."""
    if value is None:
        return ""
    if (
        isinstance(value, ast.Call)
        and (getattr(value.func, "id", None) or getattr(value.func, "attr", None)) == "Field"
    ):
        if any(k.arg in {"default", "default_factory"} for k in value.keywords):
            return None
        if value.args and not (
            isinstance(value.args[0], ast.Constant) and value.args[0].value is Ellipsis
        ):
            return None
        for keyword in value.keywords:
            if keyword.arg in {"alias", "validation_alias"} and (
                alias := str_constant(keyword.value)
            ):
                return alias
        return ""
    return None
