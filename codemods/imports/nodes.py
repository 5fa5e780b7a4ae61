"""Read-only helpers about import statements, shared by the import codemods.

Also the two small alias-list edits (keep some names, append names) that preserve the
statement's own comma and parenthesis style, and the detector for statements that change the
import machinery's state (``sys.path``, ``os.environ``, ``django.setup()``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node

from ..cstkit.readonly_visit import holds


@dataclass(frozen=True, order=True)
class Binding:
    """What one alias of an import statement binds, e.g. ``from m import x as y`` -> y."""

    #: "import" or "from"
    kind: str
    #: The module named after ``import``/``from`` (``a.b`` in ``import a.b``); dots for relative.
    module: str
    #: The imported name for ``from`` imports, "" for plain imports.
    name: str
    #: The alias written, "" when none.
    asname: str

    @property
    def bound(self) -> str:
        """The local name this binding creates (``import a.b`` binds ``a``)."""
        if self.asname:
            return self.asname
        if self.kind == "import":
            return self.module.split(".")[0]
        return self.name

    def same_object_as(self, other: Binding) -> bool:
        """Do both bind their name to the same object? ``import a.b`` and ``import a.c`` both
        bind ``a`` to package ``a``; anything with an alias or a ``from`` must match exactly."""
        if self == other:
            return True
        plain = self.kind == other.kind == "import" and not self.asname and not other.asname
        return plain and self.module.split(".")[0] == other.module.split(".")[0]

    def satisfied_by(self, other: Binding) -> bool:
        """Does an existing ``other`` make this import redundant? Only an identical one, except
        that a plain ``import a`` is also covered by ``import a.b`` (both load and bind ``a``)."""
        if self == other:
            return True
        return (
            self.kind == other.kind == "import"
            and not self.asname
            and not other.asname
            and "." not in self.module
            and other.module.startswith(self.module + ".")
        )

    def render(self) -> str:
        alias = f" as {self.asname}" if self.asname else ""
        if self.kind == "import":
            return f"import {self.module}{alias}"
        return f"from {self.module} import {self.name}{alias}"


def module_text(node: cst.ImportFrom) -> str:
    dots = "." * len(node.relative)
    base = get_full_name_for_node(node.module) if node.module is not None else ""
    return dots + (base or "")


def _asname(alias: cst.ImportAlias) -> str:
    return (
        alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else ""
    )


def bindings(node: cst.Import | cst.ImportFrom) -> list[Binding] | None:
    """The bindings of an import statement, one per alias; None for a star import."""
    if isinstance(node, cst.ImportFrom):
        if isinstance(node.names, cst.ImportStar):
            return None
        module = module_text(node)
        return [
            Binding("from", module, get_full_name_for_node(a.name) or "", _asname(a))
            for a in node.names
        ]
    return [
        Binding("import", get_full_name_for_node(a.name) or "", "", _asname(a)) for a in node.names
    ]


def sole_import(stmt: cst.BaseStatement) -> cst.Import | cst.ImportFrom | None:
    """The import of a line that holds exactly one import statement."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, cst.Import | cst.ImportFrom):
            return small
    return None


def has_import(stmt: cst.BaseStatement | cst.BaseSuite) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine | cst.SimpleStatementSuite) and any(
        isinstance(s, cst.Import | cst.ImportFrom) for s in stmt.body
    )


def is_type_checking(test: cst.BaseExpression) -> bool:
    name = get_full_name_for_node(test)
    return name is not None and name.split(".")[-1] == "TYPE_CHECKING"


def is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def runtime_module_imports(
    module: cst.Module, limit: int | None = None
) -> dict[str, list[tuple[Binding, cst.SimpleStatementLine]]]:
    """Unconditional module-level imports among the first ``limit`` statements (default: all):
    bound name -> [(binding, statement)] in file order."""
    found: dict[str, list[tuple[Binding, cst.SimpleStatementLine]]] = {}
    for stmt in module.body[:limit]:
        imp = sole_import(stmt)
        if imp is None:
            continue
        assert isinstance(stmt, cst.SimpleStatementLine)
        for binding in bindings(imp) or []:
            found.setdefault(binding.bound, []).append((binding, stmt))
    return found


def comment_lines(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    return [line for line in lines if line.comment is not None]


def trailing_comment(stmt: cst.SimpleStatementLine) -> str | None:
    comment = stmt.trailing_whitespace.comment
    return comment.value if comment is not None else None


def has_inner_comments(node: cst.CSTNode) -> bool:
    """Comments inside ``node`` itself (e.g. in a parenthesised, multi-line name list)."""
    return holds(node, cst.Comment)


# -- alias-list edits ----------------------------------------------------------------------------

_SPACE_COMMA = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def keep_aliases(
    imp: cst.Import | cst.ImportFrom, keep: Sequence[int]
) -> cst.Import | cst.ImportFrom:
    """``imp`` with only the aliases at the indices ``keep``, in the statement's own style."""
    names = imp.names
    assert not isinstance(names, cst.ImportStar) and keep
    if len(keep) == len(names):
        return imp
    kept = [names[i] for i in keep]
    last = names[-1].comma
    kept = [
        *(
            a if isinstance(a.comma, cst.Comma) else a.with_changes(comma=_SPACE_COMMA)
            for a in kept[:-1]
        ),
        kept[-1].with_changes(comma=last),
    ]
    return imp.with_changes(names=kept)


def append_aliases(imp: cst.ImportFrom, extra: Sequence[cst.ImportAlias]) -> cst.ImportFrom:
    """``from m import a`` + [b, c] -> ``from m import a, b, c``; a parenthesised, one-name-per-
    line statement keeps that layout (and its trailing comma)."""
    names = imp.names
    assert not isinstance(names, cst.ImportStar) and extra
    if len(names) >= 2 and isinstance(names[-2].comma, cst.Comma):
        separator: cst.Comma = names[-2].comma
    elif imp.lpar is not None and isinstance(
        imp.lpar.whitespace_after, cst.ParenthesizedWhitespace
    ):
        separator = cst.Comma(whitespace_after=imp.lpar.whitespace_after)
    else:
        separator = _SPACE_COMMA
    last_comma = names[-1].comma
    plain = [a.with_changes(comma=separator) for a in extra]
    plain[-1] = plain[-1].with_changes(comma=last_comma)
    return imp.with_changes(names=[*names[:-1], names[-1].with_changes(comma=separator), *plain])


# -- statements that set up import state ---------------------------------------------------------

#: Names whose use before an import may change what the import finds or does.
STATE_NAMES = (
    "sys.path", "sys.modules", "sys.meta_path", "sys.path_hooks", "os.environ", "os.putenv",
    "os.unsetenv", "importlib", "site.addsitedir", "set_event_loop_policy",
)  # fmt: skip
#: Calls that configure a framework other imports depend on (``django.setup()``,
#: ``matplotlib.use("Agg")``, gevent/eventlet ``monkey.patch_all()``).
STATE_CALL_SUFFIXES = ("setup", "use", "patch_all", "set_event_loop_policy")


#: Methods of ``sys.path``/``os.environ``/... that only read.
_READS = {"get", "copy", "keys", "values", "items", "index", "count", "__contains__", "__getitem__"}


def _is_state(name: str | None) -> bool:
    return name is not None and any(name == s or name.startswith(s + ".") for s in STATE_NAMES)


class _StateFinder(cst.CSTVisitor):
    def __init__(self, writes_only: bool) -> None:
        self.writes_only = writes_only
        self.found: cst.CSTNode | None = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested def's body does not run here

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def _hit(self, node: cst.CSTNode) -> bool:
        if self.found is None:
            self.found = node
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        name = get_full_name_for_node(node.func)
        if name is not None:
            last = name.split(".")[-1]
            if last in STATE_CALL_SUFFIXES and (last != "use" or "." in name):
                return self._hit(node)
            if self.writes_only and _is_state(name) and last not in _READS:
                return self._hit(node)
        return self.found is None

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if not self.writes_only and _is_state(get_full_name_for_node(node)):
            return self._hit(node)
        return self.found is None

    def visit_Name(self, node: cst.Name) -> None:
        if not self.writes_only and _is_state(node.value):
            self._hit(node)

    def _target(self, node: cst.CSTNode, target: cst.BaseExpression) -> None:
        while isinstance(target, cst.Subscript):
            target = target.value
        if isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._target(node, element.value)
        elif _is_state(get_full_name_for_node(target)):
            self._hit(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._target(node, target.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node, node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._target(node, node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._target(node, node.target)


def import_state_change(stmt: cst.CSTNode, writes_only: bool = False) -> cst.CSTNode | None:
    """The first expression in ``stmt`` that touches the import machinery's state: ``sys.path``,
    ``sys.modules``, ``os.environ``, ``importlib``, ``site.addsitedir``, ``*.setup()``,
    ``*.use(...)``, ``patch_all()``. With ``writes_only``, reads (``os.environ.get(...)``) do not
    count. Nested function bodies are not looked into (they do not run here)."""
    finder = _StateFinder(writes_only)
    stmt.visit(finder)
    return finder.found
