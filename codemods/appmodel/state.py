"""What the ``lifespan`` analysis knows of one module while it reads it: the module's names,
its apps and routers, and per object the events, problems and risky uses found so far.

:class:`~.analysis.Analyser` fills it (objects, then registrations); the whole-module checks
(:mod:`.checks`, :mod:`.links`) read it and add their findings, so they never need the
analyser itself.
"""

from __future__ import annotations

import ast

from ..astkit.names import ModuleNames, module_level, scope_statements, simple_assignment, split_ref
from ..project import ModuleInfo
from .model import APP_CLASSES, ROUTER_CLASSES, Include, Registration


class ModuleState:
    """One module's names and the apps and routers found in it, with their findings so far."""

    def __init__(self, tree: ast.Module, info: ModuleInfo | None) -> None:
        self.tree = tree
        names = ModuleNames(tree, info)
        self.module_names = names
        self.this = names.this
        self.bindings = names.bindings
        self.imports = names.imports
        self.import_from = names.import_from
        self.names = names.names
        self.qualname = names.qualname
        self.consumed: set[int] = set()
        self.problems: dict[str, list[str]] = {}
        self.events: dict[str, list[Registration | Include]] = {}
        self.objects: dict[str, tuple[ast.stmt, ast.Call, str, str, int | None]] = {}
        self.includes: list[Include] = []
        self.foreign: list[tuple[str, str, int]] = []
        self.stray: list[tuple[int, str]] = []
        self.risky: dict[str, list[str]] = {}
        #: Objects whose event APIs the module uses in a way that blocks conversion.
        self.touched: set[str] = set()
        #: Line ranges of module-level defs and classes; registrations outside them run at import.
        self.bodies = [
            (s.lineno, s.end_lineno or s.lineno)
            for s in scope_statements(tree.body)
            if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
        #: Lines of import-time registrations on objects that are not known apps (``x.on_event``).
        self.loose: list[int] = []
        #: ``include_router`` calls recorded as module-level includes, and their router nodes.
        self.include_calls: set[int] = set()
        self.include_args: set[int] = set()

    def event_problem(self, name: str, reason: str) -> None:
        """A reason against converting ``name`` that comes from its use of the event APIs."""
        self.problems[name].append(reason)
        self.touched.add(name)

    # -- objects ----------------------------------------------------------------------------

    def find_objects(self) -> None:
        for stmt, branch in module_level(self.tree.body):
            target, value = simple_assignment(stmt)
            if target is None or not isinstance(value, ast.Call):
                continue
            qual = self.qualname(value.func) or ""
            if qual in APP_CLASSES:
                kind, framework = "app", APP_CLASSES[qual]
            elif qual in ROUTER_CLASSES:
                kind, framework = "router", ROUTER_CLASSES[qual]
            else:
                continue
            self.objects[target] = (stmt, value, kind, framework, branch)
            self.problems[target] = []
            self.events[target] = []
            self.risky[target] = []
            if branch is not None:
                self.problems[target].append(f"`{target}` is created inside an `if` block")
            if self.bindings[target] != 1:
                self.problems[target].append(f"`{target}` is bound more than once in the module")

    def object_of(self, node: ast.expr) -> tuple[str, str] | None:
        """``X`` or ``X.router`` -> ("local"|"foreign", qualified name of X)."""
        if isinstance(node, ast.Attribute) and node.attr == "router":
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.objects:
            return "local", node.id
        qual = self.qualname(node)
        if qual is None:
            return None
        module, name = split_ref(qual)
        if module == self.this and name in self.objects:
            return "local", name
        if module and module != self.this and isinstance(node, ast.Name | ast.Attribute):
            return "foreign", qual
        return None
