"""Code ``hoist-imports`` leaves alone by default (option ``exclude-fixtures-and-migrations``):
test set-up and database migrations, where a function-level import is placed on purpose.

- ``conftest.py`` files and functions decorated with a pytest fixture decorator
  (``@pytest.fixture``, ``@pytest.fixture(...)``, ``@fixture``, ``@pytest_asyncio.fixture``),
  with the functions nested in them: their imports usually come after environment set-up
  (``monkeypatch.setenv``, a settings override, a temporary ``sys.path``) on purpose.
- Alembic revisions (a file in a ``versions/`` directory next to an ``env.py``, or one that
  assigns ``down_revision``) and Django migrations (a file in a ``migrations/`` directory with a
  module-level ``class Migration``): frozen history, loaded by every migration command.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst

OPTION = "exclude-fixtures-and-migrations"
_WHY = f"(set `{OPTION} = false` to hoist there)"


def _assigns(module: cst.Module, name: str) -> bool:
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                targets: list[cst.BaseExpression] = []
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                elif isinstance(small, cst.AnnAssign):
                    targets = [small.target]
                if any(isinstance(t, cst.Name) and t.value == name for t in targets):
                    return True
    return False


def excluded_file(path: Path | None, module: cst.Module) -> str | None:
    """Why the whole file is left alone, or None."""
    if path is None:
        return None
    if path.name == "conftest.py":
        return f"`conftest.py`: its imports are usually ordered after test set-up on purpose {_WHY}"
    directory = path.parent
    if directory.name == "versions" and (
        (directory.parent / "env.py").is_file() or _assigns(module, "down_revision")
    ):
        return f"an Alembic migration revision: frozen history that every migration command loads {_WHY}"
    if directory.name == "migrations" and any(
        isinstance(s, cst.ClassDef) and s.name.value == "Migration" for s in module.body
    ):
        return f"a Django migration: frozen history that every migration command loads {_WHY}"
    return None


def _is_fixture_decorator(decorator: cst.Decorator) -> bool:
    node = decorator.decorator
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Name):
        return node.value in {"fixture", "yield_fixture"}
    return isinstance(node, cst.Attribute) and node.attr.value in {"fixture", "yield_fixture"}


class _Fixtures(cst.CSTVisitor):
    def __init__(self) -> None:
        self.inside: dict[cst.FunctionDef, str] = {}
        self._stack: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._stack and any(_is_fixture_decorator(d) for d in node.decorators):
            self._stack.append(node.name.value)
        elif self._stack:
            self._stack.append(self._stack[-1])
        if self._stack:
            self.inside[node] = self._stack[-1]

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if original_node in self.inside:
            self._stack.pop()

    # expressions hold no function definitions worth a visit
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return False


def fixture_functions(module: cst.Module, source: str) -> dict[cst.FunctionDef, str]:
    """Every function that is a pytest fixture or nested in one -> the fixture's name."""
    if "fixture" not in source:
        return {}
    visitor = _Fixtures()
    module.visit(visitor)
    return visitor.inside


def fixture_reason(name: str) -> str:
    return (
        f"in pytest fixture `{name}`: its imports are usually ordered after environment set-up "
        f"on purpose {_WHY}"
    )
