"""Is a file's async code run one thing at a time? (``wrap-blocking-calls``' ``scripts-and-tests``)

An offload protects the *other* work of the event loop: the requests an ASGI app serves, the
tasks a program runs side by side. In a test, or in a one-shot script that ``asyncio.run``\\ s a
``main()`` doing one thing after another, nothing else is waiting, so the rewrite is noise.
:func:`quiet_role` names such a file; anything it cannot prove is None (rewrite as before).

- a *test file*: under a ``tests``/``test`` directory of its component, or named ``test_*.py``,
  ``*_test.py``, ``conftest.py`` and looking like tests (it imports ``pytest``/``unittest``/
  ``hypothesis``, or defines ``test*`` functions or ``Test*`` classes); never one that a non-test
  file of the view imports (``app/services/test_results.py`` serving a route);
- a *one-shot script*: ``if __name__ == "__main__":`` runs ``asyncio.run`` (``anyio.run``,
  ``trio.run``, ``uvloop.run``), it imports no module of the project (one could start a task
  serving an app: ``run.py`` awaiting ``start_background()``), no other file of the
  component's view imports it and no file of the component outside the view names it (so no
  app reaches its functions; unknown when the file was not gathered or some file could not be
  parsed or listed), it imports no server or framework that calls back into its code
  (:data:`FRAMEWORKS`),
  and its async functions are only called directly: none decorated (but
  ``@asynccontextmanager``), none a method of a class with bases, none passed as a value.

Neither counts when the file runs work concurrently or builds an app: any concurrency API
(:data:`CONCURRENT`, on any receiver: ``tg.start_soon``, ``loop.create_task``), a timeout around
an await (it fires only while the loop is free), threads, or an app/router constructor. Each
check is one pass over the tree's shared node list (:func:`~codemods.astkit.astnodes.nodes`), and the
script checks run only for a file with the ``__main__`` guard.
"""

from __future__ import annotations

import ast
from pathlib import PurePath

from ...astkit import astnodes
from ...facts import ProjectFacts, resolved
from .view import importers, importers_known


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Attribute or imported names that start concurrent work or depend on a free loop, whatever
#: their receiver (``asyncio.gather``, ``tg.start_soon``, ``loop.create_task``).
CONCURRENT = _words(
    """gather create_task ensure_future TaskGroup create_task_group open_nursery start_soon
    as_completed wait_for add_signal_handler call_soon call_soon_threadsafe call_later call_at
    run_in_executor start_server start_unix_server serve_forever fail_after move_on_after
    fail_at move_on_at ThreadPoolExecutor ProcessPoolExecutor"""
)
#: Names that mean the same only as attributes of these modules (``asyncio.wait``,
#: ``asyncio.timeout``, ``threading.Thread``): elsewhere they are too common to tell.
LOOP_MODULES = frozenset({"asyncio", "anyio", "trio", "threading", "concurrent", "uvloop"})
_GENERIC = frozenset({"wait", "timeout", "timeout_at", "Thread", "Queue", "Event", "Condition"})
#: Decorators (``@<anything>.<name>(...)``) that register a request handler.
ROUTE_DECORATORS = _words(
    """get post put patch delete head options trace route api_route websocket websocket_route
    middleware exception_handler on_event"""
)
#: Calls that build an ASGI/WSGI application or router (by their last name).
APP_CONSTRUCTORS = frozenset(
    {"FastAPI", "APIRouter", "Starlette", "Router", "Litestar", "Quart", "Sanic"}
)
#: Servers and frameworks that call a module's code back, possibly concurrently: a script
#: importing one is not one-shot (a bot's handlers, a consumer's callbacks).
FRAMEWORKS = _words(
    """fastapi starlette uvicorn hypercorn granian daphne litestar quart sanic aiohttp tornado
    socketio engineio websockets grpc aiogram discord telegram telethon pyrogram hikari
    interactions slack_bolt aiokafka aio_pika aiormq nats faust arq taskiq celery dramatiq
    apscheduler django flask channels twisted"""
)
_RUNNERS = frozenset({"asyncio.run", "anyio.run", "trio.run", "uvloop.run"})
_TRANSPARENT_DECORATORS = frozenset({"asynccontextmanager"})


def is_test_file(path: str | None, component_root: str | None) -> bool:
    """Is ``path`` a test module by pytest's conventions (name, or a ``tests`` directory of its
    component)? Directories above the component root do not count."""
    if not path:
        return False
    name = PurePath(path).name
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    return in_tests_dir(path, component_root)


def in_tests_dir(path: str, component_root: str | None) -> bool:
    """Is ``path`` under a ``tests``/``test`` directory of its component?"""
    pure = PurePath(path)
    if component_root is None:
        return False
    try:
        parts = pure.relative_to(component_root).parts[:-1]
    except ValueError:
        return False
    return any(part in ("tests", "test") for part in parts)


def quiet_role(tree: ast.Module | None, path: str | None, project: ProjectFacts) -> str | None:
    """Why the async code of this file runs one thing at a time (for the message), or None
    when that is not proven."""
    if tree is None:
        return None
    root = project.component.root
    if path is not None and is_test_file(path, root):
        # ``app/services/test_results.py`` may be production code: the name alone is not enough
        if not (in_tests_dir(path, root) or _looks_like_tests(tree)):
            return None
        if any(not is_test_file(other, root) for other in importers(path, project)):
            return None
        if concurrency(tree) is None:
            return "a test file, which runs one test at a time"
        return None
    if path is None or not _runs_main(tree):
        return None
    if _imports_first_party(path, project) or _imported_elsewhere(path, project) is not False:
        return None
    if concurrency(tree) is not None or _calls_back(tree, _runner_names(tree)):
        return None
    return "a one-shot script (`asyncio.run` under `__main__`, one thing at a time)"


def concurrency(tree: ast.Module) -> str | None:
    """The first name in ``tree`` that runs work concurrently or builds an app, if any."""
    loop_names: set[str] = set()
    for node in astnodes.nodes(tree):
        if isinstance(node, ast.Import):
            loop_names.update(
                a.asname or a.name.split(".")[0]
                for a in node.names
                if a.name.split(".")[0] in LOOP_MODULES
            )
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.split(".")[0] in LOOP_MODULES
        ):
            for alias in node.names:
                if alias.name in CONCURRENT or alias.name in _GENERIC:
                    return alias.name
    for node in astnodes.nodes(tree):
        if isinstance(node, ast.Attribute):
            if node.attr in CONCURRENT:
                return node.attr
            if (
                node.attr in _GENERIC
                and isinstance(node.value, ast.Name)
                and node.value.id in loop_names
            ):
                return f"{node.value.id}.{node.attr}"
        elif isinstance(node, ast.Call):
            func = node.func
            last = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            if last in APP_CONSTRUCTORS:
                return last
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                called = deco.func if isinstance(deco, ast.Call) else None
                if isinstance(called, ast.Attribute) and called.attr in ROUTE_DECORATORS:
                    return f"@{called.attr}"
    return None


def _runs_main(tree: ast.Module) -> bool:
    """Does a top-level ``if __name__ == "__main__":`` call an event loop's ``run``?"""
    runners = _runner_names(tree)
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
            for node in ast.walk(stmt):
                if isinstance(node, ast.Call) and _dotted(node.func) in runners:
                    return True
    return False


def _runner_names(tree: ast.Module) -> set[str]:
    """The local spellings of the event loops' ``run`` functions in ``tree``."""
    found: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if f"{alias.name}.run" in _RUNNERS:
                    found.add(f"{alias.asname or alias.name}.run")
        elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0:
            for alias in stmt.names:
                if f"{stmt.module}.{alias.name}" in _RUNNERS:
                    found.add(alias.asname or alias.name)
    return found


def _is_main_guard(test: ast.expr) -> bool:
    if not (
        isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
    ):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(consts) == 1


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _imported_elsewhere(path: str, project: ProjectFacts) -> bool | None:
    """Does another file of the view import the file at ``path``? None when not known: the
    file was not gathered, a file of the view could not be parsed, or a file of the component
    outside the view (:mod:`codemods.mentions`) names it."""
    if not importers_known(path, project):
        return None
    return bool(importers(path, project))


def _imports_first_party(path: str, project: ProjectFacts) -> bool:
    """Does the file import a module of the project (unknown: yes)? That module may start
    concurrent work (a task serving an app) that this file's blocking calls would stall."""
    table = project.resolutions.get(resolved(path))
    return table is None or any(found.first_party for found in table.values())


#: Modules whose import says a file holds tests.
_TEST_MODULES = frozenset({"pytest", "unittest", "hypothesis", "pytest_asyncio", "_pytest"})


def _looks_like_tests(tree: ast.Module) -> bool:
    """Does the module import a test framework, or define ``test_*`` functions or ``Test*``
    classes at module level?"""
    for stmt in tree.body:
        if isinstance(stmt, ast.Import) and any(a.name.split(".")[0] in _TEST_MODULES for a in stmt.names):
            return True
        if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and (stmt.module or "").split(".")[0] in _TEST_MODULES:
            return True
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name.startswith("test"):
            return True
        if isinstance(stmt, ast.ClassDef) and stmt.name.startswith("Test"):
            return True
    return False


def _calls_back(tree: ast.Module, runners: set[str]) -> bool:
    """Could code other than the script's own direct calls run its coroutines: a framework
    imported, an async function decorated, a method of a subclass, or passed as a value?"""
    asyncs: set[str] = set()
    called: set[int] = set()
    for node in astnodes.nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            if node.__class__ is ast.ImportFrom and node.level:
                continue
            if any(m.split(".")[0] in FRAMEWORKS for m in modules):
                return True
        elif isinstance(node, ast.ClassDef):
            if (node.bases or node.keywords) and any(
                isinstance(b, ast.AsyncFunctionDef) for b in node.body
            ):
                return True
        elif isinstance(node, ast.AsyncFunctionDef):
            asyncs.add(node.name)
            if any(_decorator_name(d) not in _TRANSPARENT_DECORATORS for d in node.decorator_list):
                return True
        elif isinstance(node, ast.Call):
            called.add(id(node.func))
            if node.args and _dotted(node.func) in runners:
                called.add(id(node.args[0]))  # ``trio.run(main)``
    for node in astnodes.nodes(tree):
        if isinstance(node, ast.Name) and node.id in asyncs and isinstance(node.ctx, ast.Load):
            if id(node) not in called:
                return True
        elif isinstance(node, ast.Attribute) and node.attr in asyncs and id(node) not in called:
            return True
    return False


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    name = _dotted(target) or ""
    return name.rpartition(".")[2]
