"""The package's layout stays readable: no import cycle inside ``codemods/``, no module past the
size one person holds in their head, and each codemod's code in its own package
(docs/architecture.md, "Layout rules").

Imports are read with ``ast``, never by importing: every ``import`` and ``from ... import``
statement counts, at module level and inside functions alike (a function-level import that closes
a cycle only hides it until the function runs). Imports under ``if TYPE_CHECKING:`` do not
count: they never run (every module has ``from __future__ import annotations``), and they are how
a module names a type of the module that calls it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "codemods"

#: Lines per module. About what fits on two screens: past it, a module holds more than one
#: idea, and a reader can no longer see which part a change touches (docs/architecture.md).
MAX_LINES = 400

#: Modules allowed past :data:`MAX_LINES`, each with its reason.
OVERSIZE: dict[str, str] = {}  # module -> why it may stay over MAX_LINES (none today)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(name: str, source: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of ``known`` that the module ``name`` imports when it runs, in any scope."""
    package = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()
    todo = list(ast.iter_child_nodes(ast.parse(source)))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and _type_checking(node):
            todo.extend(node.orelse)
            continue
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - (node.level - 1)] if node.level else []
            source_module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                sub = f"{source_module}.{alias.name}"
                found.add(sub if sub in known else source_module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        todo.extend(ast.iter_child_nodes(node))
    return {m for m in found if m in known and m != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


#: Packages every codemod may use, which never use a codemod.
SHARED = ("codemods.astkit", "codemods.cstkit", "codemods.imports", "codemods.appmodel")
COMMANDS = "codemods.commands."


def import_graph() -> dict[str, set[str]]:
    known = set(MODULES)
    return {
        name: imported_modules(
            name, path.read_text(encoding="utf-8"), path.name == "__init__.py", known
        )
        for name, path in MODULES.items()
    }


def test_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def _codemod_of(module: str) -> str | None:
    """``codemods.commands.<id>.x`` -> ``<id>`` (None outside ``commands/``)."""
    return module[len(COMMANDS) :].partition(".")[0] if module.startswith(COMMANDS) else None


def test_codemods_stay_in_their_package() -> None:
    """A codemod's modules use the shared packages and its own, never another codemod's (what
    two codemods share has a shared place: ``commands/_<name>/`` or a toolkit); the shared
    packages never use a codemod."""
    crossing = []
    for name, imported in import_graph().items():
        own = _codemod_of(name)
        for target in imported:
            other = _codemod_of(target)
            if other is None or other.startswith("_") or other == own:
                continue
            if own is not None or name.startswith(SHARED):
                crossing.append((name, target))
    assert crossing == []


def test_what_counts_as_an_import() -> None:
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "if TYPE_CHECKING:\n"
        "    from .c import C\n"
        "else:\n"
        "    import p.d\n"
        "def f():\n"
        "    from .e import x\n"
    )
    known = {"p", "p.a", "p.b", "p.c", "p.d", "p.e"}
    assert imported_modules("p.a", source, False, known) == {"p.b", "p.d", "p.e"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}) == [["a", "b", "c"]]


def test_module_size() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()
    }
    assert {n: s for n, s in sizes.items() if s > MAX_LINES and n not in OVERSIZE} == {}
    assert [n for n in OVERSIZE if sizes.get(n, 0) <= MAX_LINES] == [], "back under: drop it"
