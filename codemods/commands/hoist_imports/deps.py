"""Will what an import loads be there wherever the importing module is imported?

Inside a function, an import of a missing module fails only when the function runs; at module
level it makes the whole module fail to import. So ``hoist-imports`` moves an import only when
what it loads is known to be there:

- a standard-library module (``rules`` handles the platform-only ones);
- a module of the project that the import, *from this file*, resolves to exactly one file
  (``ProjectFacts.resolve``), of this component (or of one it requires); for ``from m import x``
  also each ``x``: a submodule, or a name ``m`` binds at module level;
- a third-party module whose distribution the file's component declares as a *required*,
  unconditional dependency, or that the module itself already imports unconditionally at
  module level (then it cannot be imported without it anyway).

Anything else stays in its function with the reason: an optional extra, a dependency group, a
requirement with a marker, an undeclared distribution, no declarations at all, a name no file
or two files answer (docs/decisions.md, "hoist-imports: dependencies").
"""

from __future__ import annotations

import ast
from bisect import bisect_right
from collections.abc import Sequence
from pathlib import Path

from ...astkit import astnodes
from ...components.decide import dependency
from ...components.modules import Found
from ...facts import ProjectFacts, resolved
from ...project import STDLIB_MODULES


class NoneChecks:
    """Which names each function of a module compares with ``None``, read once per module (a
    module with many function-level imports asks once per import)."""

    def __init__(self, tree: ast.Module | None) -> None:
        #: by first line (no two functions that hold one line start on the same line)
        self._functions = sorted(
            (
                node
                for node in (astnodes.nodes(tree) if tree is not None else ())
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            ),
            key=lambda node: node.lineno,
        )
        self._starts = [node.lineno for node in self._functions]
        self._compared: dict[int, list[str]] = {}
        #: whether the module compares anything with ``None`` at all (most do not)
        self._any = tree is not None and any(
            _with_none(node) for node in astnodes.of_classes(tree, _COMPARE)  # type: ignore[arg-type]
        )

    def first(self, line: int, names: Sequence[str]) -> str | None:
        """The first of ``names`` that the function holding the import at ``line`` compares with
        ``None`` (``if BABEL is None:``): a module global that is set later, at run time, read
        through a function-level ``from m import BABEL`` each time the function runs. At module
        level the import would bind the value the name had when the module was imported, once."""
        if not names or not self._any:
            return None
        # the innermost function holding the line: the latest to start before it that ends after
        holder: ast.FunctionDef | ast.AsyncFunctionDef | None = None
        for index in range(bisect_right(self._starts, line) - 1, -1, -1):
            node = self._functions[index]
            if line <= (node.end_lineno or node.lineno):
                holder = node
                break
        if holder is None:
            return None
        compared = self._compared.get(id(holder))
        if compared is None:
            compared = self._compared[id(holder)] = _compared_with_none(holder)
        wanted = set(names)
        return next((name for name in compared if name in wanted), None)


def _compared_with_none(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The names ``function`` compares with ``None``, in the order ``ast.walk`` meets them."""
    found: list[str] = []
    # ``ast.walk``'s breadth-first order, over the children lists the node list keeps
    queue: list[ast.AST] = [function]
    for node in queue:
        queue.extend(astnodes.children(node))
        if isinstance(node, ast.Compare) and _with_none(node):
            found.extend(side.id for side in [node.left, *node.comparators] if isinstance(side, ast.Name))
    return found


_COMPARE: frozenset[type[ast.AST]] = frozenset({ast.Compare})


def _with_none(node: ast.Compare) -> bool:
    """``x is None``, ``None != y``: one operator, ``None`` on a side."""
    return len(node.ops) == 1 and any(
        isinstance(n, ast.Constant) and n.value is None for n in [node.left, *node.comparators]
    )


def dependency_reason(
    module: str,
    names: Sequence[str],
    view: ProjectFacts,
    path: Path | None,
    required_here: frozenset[str],
) -> str | None:
    """Why hoisting ``import module`` (``names`` empty) or ``from module import names`` (an
    absolute module) could make this module fail to import; None when it cannot."""
    top = module.split(".")[0]
    if top in STDLIB_MODULES or top == "__future__":
        return None
    found = view.resolve(path, module)
    if found is None:  # this file was not gathered (stdin, a lone file): the view's answers
        if view.is_first_party(module):
            return _view_reason(module, view)
        return _third_party_reason(module, view, required_here)
    if found.first_party:
        return _first_party_reason(module, names, found, view, path)
    outer = view.resolve(path, top)
    if outer is not None and outer.first_party:
        return f"no module `{module}` was found in the project: a module-level import of it would fail"
    return _third_party_reason(module, view, required_here)


def _third_party_reason(module: str, view: ProjectFacts, required_here: frozenset[str]) -> str | None:
    if module in required_here:
        return None  # the module already imports it, unconditionally, at module level
    found = dependency(view.component, module)
    if found.status == "required":
        return None
    return f"{found.reason}: at module level, `{module}` would have to be installed wherever this module is imported"


def _first_party_reason(
    module: str, names: Sequence[str], found: Found, view: ProjectFacts, path: Path | None
) -> str | None:
    if found.ambiguous:
        return _ambiguous(module, found.ambiguous)
    if found.path is not None and path is not None and found.path == resolved(path):
        # at module level, the import would run before the module has defined the name
        return f"`{module}` is this module itself: at module level it would import a partially initialised module"
    if found.path is not None:
        info = view.by_path.get(found.path)
        owner = view.component.root
        if info is not None and owner is not None and info.component != owner:
            needed = dependency(view.component, module)
            if needed.status != "required":
                return f"`{module}` belongs to another component ({info.component}), and {needed.reason}"
    info = view.by_path.get(found.path) if found.path is not None else None
    for name in names:
        if info is not None and name in view.rebound.get(info.name, ()):
            return (
                f"`{module}.{name}` is reassigned at run time (`global {name}` in a function of "
                f"`{module}`): at module level the import would keep the value it had first"
            )
        sub = view.resolve(path, f"{module}.{name}")
        if sub is not None and sub.ambiguous:
            return _ambiguous(f"{module}.{name}", sub.ambiguous)
        if sub is not None and (sub.path is not None or sub.namespace):
            continue
        exports = view.exports.get(info.name) if info is not None else None
        if info is None or exports is None:
            what = "a namespace package" if found.namespace else "a module whose names cannot be read"
            return f"`{name}` is not a module of `{module}`, which is {what}: cannot tell whether the name exists"
        if name not in exports:
            return f"`{module}` has no module or module-level name `{name}`: a module-level import of it would fail"
    return None


def _view_reason(module: str, view: ProjectFacts) -> str | None:
    canonical = view.canonical(module)
    if canonical is None:
        return _ambiguous(module, view.ambiguous.get(module, ()))
    if canonical not in view.modules and canonical not in view.namespaces:
        return f"no module `{module}` was found in the project: a module-level import of it would fail"
    return None


def _ambiguous(module: str, files: Sequence[str]) -> str:
    listed = ", ".join(f"`{p}`" for p in files)
    return f"`{module}` is answered by more than one file ({listed}): which one an import loads depends on how the program is run"
