"""Read-only helpers about import statements, shared by the import codemods."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node


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

    def render(self) -> str:
        alias = f" as {self.asname}" if self.asname else ""
        if self.kind == "import":
            return f"import {self.module}{alias}"
        return f"from {self.module} import {self.name}{alias}"


def module_text(node: cst.ImportFrom) -> str:
    dots = "".join(d.value for d in node.relative)
    base = get_full_name_for_node(node.module) if node.module is not None else ""
    return dots + (base or "")


def bindings(node: cst.Import | cst.ImportFrom) -> list[Binding] | None:
    """The bindings of an import statement; None for a star import."""
    if isinstance(node, cst.ImportFrom):
        if isinstance(node.names, cst.ImportStar):
            return None
        module = module_text(node)
        result = []
        for alias in node.names:
            asname = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else ""
            result.append(Binding("from", module, get_full_name_for_node(alias.name) or "", asname))
        return result
    result = []
    for alias in node.names:
        asname = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else ""
        result.append(Binding("import", get_full_name_for_node(alias.name) or "", "", asname))
    return result


def sole_import(stmt: cst.BaseStatement) -> cst.Import | cst.ImportFrom | None:
    """The import of a line that holds exactly one import statement."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, cst.Import | cst.ImportFrom):
            return small
    return None


def has_import(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and any(
        isinstance(s, cst.Import | cst.ImportFrom) for s in stmt.body
    )


def is_type_checking(test: cst.BaseExpression) -> bool:
    name = get_full_name_for_node(test)
    return name is not None and name.split(".")[-1] == "TYPE_CHECKING"


def runtime_module_imports(module: cst.Module) -> dict[str, list[tuple[Binding, cst.SimpleStatementLine]]]:
    """Unconditional module-level imports: bound name -> [(binding, statement)] in file order."""
    found: dict[str, list[tuple[Binding, cst.SimpleStatementLine]]] = {}
    for stmt in module.body:
        imp = sole_import(stmt)
        if imp is None:
            continue
        assert isinstance(stmt, cst.SimpleStatementLine)
        for binding in bindings(imp) or []:
            found.setdefault(binding.bound, []).append((binding, stmt))
    return found


def comment_lines(lines: list[cst.EmptyLine] | tuple[cst.EmptyLine, ...]) -> list[cst.EmptyLine]:
    return [line for line in lines if line.comment is not None]


def trailing_comment(stmt: cst.SimpleStatementLine) -> str | None:
    comment = stmt.trailing_whitespace.comment
    return comment.value if comment is not None else None
