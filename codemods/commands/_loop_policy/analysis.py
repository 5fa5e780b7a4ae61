"""Event-loop policy uses and server entry points: a read-only ``ast`` analysis shared by the
``windows-loop-policy`` and ``event-loop-policy`` codemods.

Facts (docs/event-loop-policy.md): ProactorEventLoop is the Windows default since Python 3.8;
Python 3.14 deprecates the whole policy API and 3.16 removes it; ``asyncio.run(...,
loop_factory=...)`` exists from 3.12; uvicorn >= 0.36 creates its own loop and ignores policies.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ...astkit import astnodes
from ...astkit.names import ModuleNames, module_level, scope_statements, walk_no_lambda
from ...project import ModuleInfo

#: Deprecated in 3.14 (gh-127949), removed in 3.16; policy class -> the loop class replacing it.
POLICY_CLASSES: dict[str, str | None] = {
    "asyncio.WindowsSelectorEventLoopPolicy": "asyncio.SelectorEventLoop",
    "asyncio.WindowsProactorEventLoopPolicy": "asyncio.ProactorEventLoop",
    "asyncio.windows_events.WindowsSelectorEventLoopPolicy": "asyncio.SelectorEventLoop",
    "asyncio.windows_events.WindowsProactorEventLoopPolicy": "asyncio.ProactorEventLoop",
    "asyncio.DefaultEventLoopPolicy": None,
    "asyncio.AbstractEventLoopPolicy": None,
    "asyncio.events.AbstractEventLoopPolicy": None,
    "asyncio.events.BaseDefaultEventLoopPolicy": None,
}
POLICY_FUNCTIONS = frozenset(
    {
        "asyncio.set_event_loop_policy",
        "asyncio.get_event_loop_policy",
        "asyncio.events.set_event_loop_policy",
        "asyncio.events.get_event_loop_policy",
    }
)
SETTERS = frozenset({"asyncio.set_event_loop_policy", "asyncio.events.set_event_loop_policy"})
RUNNERS = {
    "asyncio.run": "asyncio",
    "asyncio.runners.run": "asyncio",
    "uvicorn.run": "uvicorn",
    "uvicorn.main.run": "uvicorn",
}
APP_CLASSES = frozenset(
    {"fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette"}
)
#: What ``windows-loop-policy`` inserts before a server call.
GUARD = (
    'if sys.platform == "win32" and sys.version_info < (3, 14):\n'
    "{indent}asyncio.set_event_loop_policy(asyncio.WindowsProactorEventLoopPolicy())\n"
)
LOOP_FACTORY = 'asyncio.ProactorEventLoop if sys.platform == "win32" else None'


@dataclass(frozen=True)
class RunCall:
    """A statement that starts a server or an event loop: ``uvicorn.run`` / ``asyncio.run``."""

    #: ``asyncio`` or ``uvicorn``.
    kind: str
    #: Line of the statement holding the call (the guard goes before it).
    line: int
    #: Line and source text of the called expression, to find the call again.
    call_line: int
    callee: str
    has_loop_factory: bool
    #: ``main`` (in ``if __name__ == "__main__":``), ``function`` or ``module``.
    where: str
    #: The statement just before it is already a guard that sets a policy.
    guarded: bool


@dataclass(frozen=True)
class PolicyUse:
    """A statement using the deprecated policy API outside a ``sys.version_info < (3, 14)`` guard."""

    line: int
    names: tuple[str, ...]
    #: Fix data when the statement (or its platform ``if``) sets a mapped policy right before
    #: an ``asyncio.run`` statement: (loop factory expression, line of that ``asyncio.run``).
    fix: tuple[str, int, str] | None = None


@dataclass(frozen=True)
class PolicyAnalysis:
    runs: tuple[RunCall, ...] = ()
    uses: tuple[PolicyUse, ...] = ()
    #: Lines of ``set_event_loop_policy`` calls executed when the module is imported.
    import_time_setters: tuple[int, ...] = ()
    creates_app: bool = False
    #: How ``sys``/``asyncio`` can be spelled: True bound by the import, False unbound, None taken.
    sys_ok: bool | None = None
    asyncio_ok: bool | None = None


def _is_main_test(test: ast.expr) -> bool:
    if not (
        isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
    ):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def version_guarded(test: ast.expr) -> bool:
    """``sys.version_info < (3, N)`` with N <= 14 (or ``<= (3, N)``, N <= 13), alone or in an ``and``."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(version_guarded(v) for v in test.values)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    left, right, op = test.left, test.comparators[0], test.ops[0]
    if (
        ast.unparse(left) != "sys.version_info"
        or not isinstance(right, ast.Tuple)
        or len(right.elts) < 2
    ):
        return False
    try:
        major, minor = (ast.literal_eval(e) for e in right.elts[:2])
    except ValueError:
        return False
    if major != 3:
        return major < 3 and isinstance(op, ast.Lt | ast.LtE)
    return (isinstance(op, ast.Lt) and minor <= 14) or (isinstance(op, ast.LtE) and minor <= 13)


def platform_test(test: ast.expr) -> bool:
    text = ast.unparse(test)
    return text in ("sys.platform == 'win32'", "sys.platform.startswith('win')", "os.name == 'nt'")


class _Scanner:
    def __init__(self, tree: ast.Module, info: ModuleInfo | None, source: str) -> None:
        self.tree = tree
        self.source = source
        self.names = ModuleNames(tree, info)

    def text(self, node: ast.AST) -> str:
        """The exact source of ``node`` (what libcst prints for it)."""
        return ast.get_source_segment(self.source, node) or ast.unparse(node)

    def qual(self, node: ast.expr) -> str:
        return self.names.qualname(node) or ""

    def run_call(self, stmt: ast.stmt) -> ast.Call | None:
        value = (
            stmt.value
            if isinstance(stmt, ast.Expr | ast.Assign | ast.AnnAssign | ast.Return)
            else None
        )
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Call) and self.qual(value.func) in RUNNERS:
            return value
        return None

    def sets_policy(self, stmt: ast.stmt) -> bool:
        return any(
            isinstance(n, ast.Call) and self.qual(n.func) in SETTERS for n in walk_no_lambda(stmt)
        )

    def runs(self) -> list[RunCall]:
        mains = [s for s in self.tree.body if isinstance(s, ast.If) and _is_main_test(s.test)]
        found = [r for block in mains for r in self._block_runs(block.body, "main")]
        if found:
            return found
        for stmt in self.tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                found += self._block_runs(stmt.body, "function")
        found += self._block_runs(
            [s for s in self.tree.body if not isinstance(s, ast.If) or not _is_main_test(s.test)],
            "module",
            shallow=True,
        )
        return found

    def _block_runs(self, body: list[ast.stmt], where: str, shallow: bool = False) -> list[RunCall]:
        found = []
        for block in self._blocks(body, shallow):
            for index, stmt in enumerate(block):
                call = self.run_call(stmt)
                if call is None:
                    continue
                previous = block[index - 1] if index else None
                guarded = isinstance(previous, ast.If) and self.sets_policy(previous)
                found.append(
                    RunCall(
                        kind=RUNNERS[self.qual(call.func)],
                        line=stmt.lineno,
                        call_line=call.lineno,
                        callee=self.text(call.func),
                        has_loop_factory=any(k.arg == "loop_factory" for k in call.keywords),
                        where=where,
                        guarded=guarded,
                    )
                )
        return found

    def _blocks(self, body: list[ast.stmt], shallow: bool) -> Iterator[list[ast.stmt]]:
        yield body
        if shallow:
            return
        for stmt in scope_statements(body):
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, name, None)
                if inner and not isinstance(
                    stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                ):
                    yield inner
            for handler in getattr(stmt, "handlers", []):
                yield handler.body

    def uses(self) -> list[PolicyUse]:
        found: list[PolicyUse] = []
        self._uses(self.tree.body, found, guarded=False)
        return sorted(found, key=lambda u: u.line)

    def _uses(self, body: list[ast.stmt], found: list[PolicyUse], guarded: bool) -> None:
        for index, stmt in enumerate(body):
            rest = body[index + 1 :]
            if isinstance(stmt, ast.If):
                names = self._policy_names(stmt.test)
                nested: list[PolicyUse] = []
                self._uses(stmt.body, nested, guarded or version_guarded(stmt.test))
                self._uses(stmt.orelse, nested, guarded)
                fix = self._fix(stmt, rest)
                if fix is not None and not guarded and not names and len(nested) == 1:
                    found.append(
                        PolicyUse(stmt.lineno, nested[0].names, fix)
                    )  # the platform `if` goes
                    continue
                if names and not guarded:
                    found.append(PolicyUse(stmt.lineno, names))
                found += nested
                continue
            names = self._policy_names(*self._own_nodes(stmt))
            if names and not guarded:
                found.append(PolicyUse(stmt.lineno, names, self._fix(stmt, rest)))
            for attr in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, attr, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    self._uses(inner, found, guarded)
            for handler in getattr(stmt, "handlers", []):
                self._uses(handler.body, found, guarded)
            for case in getattr(stmt, "cases", []):
                self._uses(case.body, found, guarded)

    @staticmethod
    def _own_nodes(stmt: ast.stmt) -> list[ast.AST]:
        """The parts of a statement that are not nested statements."""
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return [*stmt.decorator_list, *(getattr(stmt, "bases", []))]
        return [
            c for c in astnodes.children(stmt) if not isinstance(c, ast.stmt | ast.ExceptHandler)
        ]

    def _policy_names(self, *nodes: ast.AST) -> tuple[str, ...]:
        found: list[str] = []
        for root in nodes:
            for node in ast.walk(root):
                if isinstance(node, ast.Name | ast.Attribute):
                    qual = self.qual(node)
                    if qual in POLICY_CLASSES or qual in POLICY_FUNCTIONS:
                        found.append(
                            qual.replace("asyncio.events.", "asyncio.").replace(
                                "asyncio.windows_events.", "asyncio."
                            )
                        )
        return tuple(dict.fromkeys(found))

    def _fix(self, stmt: ast.stmt, rest: Sequence[ast.stmt]) -> tuple[str, int, str] | None:
        """(loop factory, line of the next ``asyncio.run`` statement, its callee) when ``stmt``
        only sets a mapped policy and the next statement runs ``asyncio.run``."""
        test = None
        if isinstance(stmt, ast.If):
            if len(stmt.body) != 1 or stmt.orelse or not platform_test(stmt.test):
                return None
            test, stmt = stmt.test, stmt.body[0]
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return None
        call = stmt.value
        if self.qual(call.func) not in SETTERS or len(call.args) != 1 or call.keywords:
            return None
        policy = call.args[0]
        if not (isinstance(policy, ast.Call) and not policy.args and not policy.keywords):
            return None
        qual = self.qual(policy.func)
        if qual not in POLICY_CLASSES or not rest:
            return None
        run = self.run_call(rest[0])
        if (
            run is None
            or RUNNERS[self.qual(run.func)] != "asyncio"
            or any(k.arg == "loop_factory" for k in run.keywords)
        ):
            return None
        loop = POLICY_CLASSES[qual]
        if loop is None:
            factory = "None"
        elif test is not None:
            factory = f"{loop} if {self.text(test)} else None"
        else:
            factory = loop
        return factory, rest[0].lineno, self.text(run.func)

    def result(self) -> PolicyAnalysis:
        setters = [
            s.lineno
            for s, _ in module_level(self.tree.body)
            if not isinstance(s, ast.If) and self.sets_policy(s)
        ]
        creates_app = any(
            isinstance(n, ast.Call) and self.qual(n.func) in APP_CLASSES
            for s in self.tree.body
            for n in walk_no_lambda(s)
        )
        return PolicyAnalysis(
            runs=tuple(self.runs()),
            uses=tuple(self.uses()),
            import_time_setters=tuple(setters),
            creates_app=creates_app,
            sys_ok=self._importable("sys"),
            asyncio_ok=self._importable("asyncio"),
        )

    def _importable(self, module: str) -> bool | None:
        if self.names.is_bound_to(module, module):
            return True
        return None if module in self.names.names else False


def analyse_policy(tree: ast.Module, info: ModuleInfo | None, source: str) -> PolicyAnalysis:
    """Entry points and policy uses of ``tree``, parsed from ``source``."""
    return _Scanner(tree, info, source).result()
