"""The private libcst API the code relies on is still there, and the pin allows only the tested minor.

libcst does not promise to keep ``libcst._*`` modules or the ``_``-methods of its nodes: a new
release can move them, and the failure would then be an ImportError or AttributeError deep in a
run. These tests name what moved instead, and pyproject.toml pins libcst to the minor they ran on.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import tomllib
from importlib.metadata import version

import libcst as cst
import pytest
from libcst.metadata import BaseMetadataProvider
from packaging.requirements import Requirement
from packaging.version import Version

from .conftest import REPO

#: every ``from libcst._x import name`` in codemods/ (test_every_private_import_is_listed keeps it whole)
PRIVATE_NAMES = {
    ("libcst._nodes.internal", "CodegenState"),
    ("libcst._position", "CodePosition"),
    ("libcst._position", "CodeRange"),
    ("libcst._batched_visitor", "VisitorMethod"),
    ("libcst._batched_visitor", "_BatchedCSTVisitor"),
}
#: private members of public or private classes that codemods/ calls, reads or overrides
PRIVATE_MEMBERS = [
    (cst.CSTNode, "_codegen"),  # printing.py, cstkit/positions.py: print with our own state
    (cst.CSTNode, "_visit_and_replace_children"),  # cstkit/readonly_visit.py: field order
    (BaseMetadataProvider, "_gen"),  # cstkit/positions.py: FastPositionProvider
    ("libcst._nodes.internal.CodegenState", "tokens"),
    ("libcst._nodes.internal.CodegenState", "record_syntactic_position"),
    ("libcst._nodes.internal.CodegenState", "before_codegen"),
    ("libcst._nodes.internal.CodegenState", "after_codegen"),
    ("libcst._nodes.internal.CodegenState", "pop_trailing_newline"),
    ("libcst._batched_visitor._BatchedCSTVisitor", "visitor_methods"),
]
#: CodegenState's constructor as cstkit/positions.py and printing.py call it
CODEGEN_STATE_KEYWORDS = ("default_indent", "default_newline")


def _moved(what: str, error: BaseException) -> str:
    return (
        f"libcst {version('libcst')} no longer has the private API `{what}` that codemods/ "
        f"relies on ({type(error).__name__}: {error}). Adapt the code to the new libcst, then "
        "move the libcst pin in pyproject.toml (and constraints.txt) to the new minor."
    )


def private_name(module: str, name: str) -> object:
    """``module.name``, or a failure that names the private API that moved."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        pytest.fail(_moved(f"{module}.{name}", error), pytrace=False)


def _owner(owner: type | str) -> type:
    if isinstance(owner, type):
        return owner
    module, _, name = owner.rpartition(".")
    found = private_name(module, name)
    assert isinstance(found, type), f"`{owner}` is no longer a class"
    return found


def _has_member(kind: type, member: str) -> bool:
    # an instance attribute of a dataclass (CodegenState.tokens) is a field, not a class attribute
    fields = getattr(kind, "__dataclass_fields__", {})
    return hasattr(kind, member) or member in fields or member in inspect.signature(kind).parameters


@pytest.mark.parametrize(("module", "name"), sorted(PRIVATE_NAMES), ids=lambda v: v)
def test_private_name_still_importable(module: str, name: str) -> None:
    private_name(module, name)


@pytest.mark.parametrize(
    ("owner", "member"), PRIVATE_MEMBERS, ids=lambda v: getattr(v, "__name__", v)
)
def test_private_member_still_there(owner: type | str, member: str) -> None:
    kind = _owner(owner)
    if not _has_member(kind, member):
        pytest.fail(
            _moved(f"{kind.__module__}.{kind.__qualname__}.{member}", AttributeError(member)),
            pytrace=False,
        )


def test_codegen_state_takes_the_keywords_we_pass() -> None:
    state = _owner("libcst._nodes.internal.CodegenState")
    parameters = inspect.signature(state).parameters
    missing = [k for k in CODEGEN_STATE_KEYWORDS if k not in parameters]
    if missing:
        pytest.fail(
            _moved(
                f"libcst._nodes.internal.CodegenState({', '.join(missing)}=...)", TypeError(missing)
            ),
            pytrace=False,
        )


def test_a_moved_name_fails_with_a_message_naming_it() -> None:
    with pytest.raises(pytest.fail.Exception) as failed:
        private_name("libcst._position", "CodeRangeThatMoved")
    message = str(failed.value)
    assert "no longer has the private API `libcst._position.CodeRangeThatMoved`" in message
    assert "pyproject.toml" in message
    with pytest.raises(pytest.fail.Exception, match=r"private API `libcst\._gone\.X`"):
        private_name("libcst._gone", "X")


def _private_imports() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted((REPO / "codemods").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("libcst._")
            ):
                found.update((node.module, alias.name) for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update((a.name, "*") for a in node.names if a.name.startswith("libcst._"))
    return found


def test_every_private_import_is_listed() -> None:
    unlisted = _private_imports() - PRIVATE_NAMES
    assert not unlisted, f"add these private libcst imports to PRIVATE_NAMES: {sorted(unlisted)}"


def test_the_pin_allows_only_the_tested_minor() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (pin,) = [Requirement(r) for r in project["dependencies"] if Requirement(r).name == "libcst"]
    installed = Version(version("libcst"))
    assert installed in pin.specifier, f"the installed libcst {installed} is outside the pin {pin}"
    next_minor = Version(f"{installed.major}.{installed.minor + 1}")
    assert next_minor not in pin.specifier, (
        f"{pin} allows libcst {next_minor}, whose private API was never tested: pin <{next_minor}"
    )
    constraints = (REPO / "constraints.txt").read_text(encoding="utf-8").split()
    assert f"libcst=={installed}" in constraints, (
        "constraints.txt pins another libcst than the installed one"
    )
