"""Run blocking calls made in `async def` functions in the threadpool.

## What it does
Finds calls to blocking functions in the direct body of an `async def` (not in a nested `def`,
`lambda` or class) and rewrites each to `await run_in_threadpool(func, *args, **kwargs)`;
`time.sleep(x)` becomes `await asyncio.sleep(x)`. Method calls keep their receiver:
`self.client.send(msg)` becomes `await run_in_threadpool(self.client.send, msg)`. The import is
added once: from `fastapi.concurrency` where the file's component (the nearest directory with
dependency declarations) requires FastAPI or the file imports it at module level, from
`starlette.concurrency` likewise for Starlette; otherwise the event loop's own: in a file that
imports trio, `trio.to_thread.run_sync` and `trio.sleep`; anyio, `anyio.to_thread.run_sync` and
`anyio.sleep`; else `asyncio.to_thread` and `asyncio.sleep`. The choice depends on the file and
its component only, never on which other files a run was given. Calls that are already awaited
or already offloaded are left alone, so a second run changes nothing; so is a call whose value
is what an `await` awaits (`await (x := f())`, `await (f() if c else g())`): it returns the
awaitable. An import that only the rewritten sleeps read (`import time`, `from time import
sleep`) is removed with them; one still read, or seen from elsewhere (its name as a word in any
string of the file: `__all__`, an annotation, a doctest, `eval`; a `# noqa` or a comment line
above it; another module importing it, star-importing the module, or naming it in a dotted
string such as `mock.patch("app.worker.time.sleep")`; a package `__init__`), stays, and so does
one that was unused before. A run given only this file (pre-commit) or part of the project
also reads the component's other Python files, as bytes, for the module's name: one that names
it and holds the removed name or a star import keeps the import. Read alone (stdin), or where
a directory cannot be listed, who else reads it is unknown, and the import stays.

What counts as blocking, resolved by qualified name (so `import requests as r` and
`from requests import get as fetch` are both caught):
- the union of what ruff's and flake8-async's `ASYNC2xx` rules flag: HTTP clients (`requests`,
  `httpx`, `urllib3`, `urllib.request.urlopen`), `subprocess`, `os.system`/`os.popen`/`os.spawn*`,
  `os.wait*`, `open`/`io.open`/`os.fdopen`, `input`, `time.sleep`, blocking `os.path` and
  `pathlib.Path` calls;
- common SDKs: `requests.Session`, `httpx.Client`, `smtplib.SMTP`/`SMTP_SSL`, `sendgrid`,
  `boto3`/`botocore` clients and resources, `psycopg2`, `sqlite3`, sync `redis`, `pymongo`,
  `socket.create_connection`, `shutil` file operations, `os` file-system calls, sync SQLAlchemy;
- the project's own sync functions and methods that (transitively, across modules) call any of
  the above, such as a `send_assessment_email()` helper that talks to an SMTP server. Pure
  functions are not: string work like `os.path.normpath`/`abspath`/`relpath`/`expanduser` and
  `Path.cwd()`, which ruff flags in an `async def`, is never offloaded and does not make a helper
  blocking; nor is `httpx.stream(...)`/`Client.stream(...)` when called, which only builds a
  context manager (a `with` over one is reported).

A method call counts only when its receiver is provably an instance of a blocking class in that
scope: bound from its constructor (also by `a, b = Path(x), Path(y)`), annotated with the class,
a `self.<attr>` every assignment of which agrees (also one built from another such attribute:
`self.users = self.client["app"]["users"]`), a module-level instance, or a local of the
enclosing function of a nested `async def` on which all its bindings agree. Unknown receivers
are left alone. The project's own methods are followed through `self` and through a
module-level instance bound once to the class's constructor (`db = Database(path)`, then
`db.fetch_user(1)` runs `Database.fetch_user`; not for a class with a decorator, a metaclass
other than `ABCMeta` or its own `__getattr__`, which may run something else).

Reported but never rewritten (display-only), each with its reason:
- `with open(...) as f:` and other blocking context managers: the whole block blocks;
- blocking calls inside generator expressions: `await` would make them async generators;
- calls on thread-bound objects (`sqlite3` connections, SQLAlchemy `Session`s) or passing them,
  and sync ORM session blocks (`with SessionLocal() as db:`);
- project functions that make a thread-bound object (`conn = get_conn(path)` where `get_conn`
  returns `sqlite3.connect(path)`), when the call's result is used or the function may keep
  what it makes (`global`, `self.conn = ...`, a result passed on or stored, named or not:
  `_pool.append(sqlite3.connect(path))`): the object would belong to the worker thread.
  Where the result is dropped and nothing is kept (`purge_inactive()` making, using and closing
  its own session), the call is offloaded;
- project functions and methods that use a thread-bound object another thread made, directly
  or through the project functions they call: a module-level connection (`CONN.execute(...)`),
  a `self.conn` that is one, or the state of an object whose class keeps one (`db.fetch_user(1)`
  where `Database.__init__` connects, also through a project base class);
- methods of a module-level instance that every request shares and whose state may change
  (a method other than `__init__` stores into it or calls a method of one of its attributes, or
  a base class is not the project's): the loop ran such calls one at a time, worker threads
  would run them concurrently;
- project functions whose decorator may change what they return, and project functions that
  also use the running event loop (`asyncio.get_running_loop()`, `asyncio.create_task()`), which
  a worker thread does not have.

Tests and one-shot scripts are reported, not rewritten: an offload protects the other work of
the event loop (the requests an app serves, tasks run side by side), and there is none in a test
file (under a `tests`/`test` directory of its component, or named `test_*.py`, `*_test.py`,
`conftest.py` and importing `pytest`/`unittest`/`hypothesis` or defining `test*` functions or
`Test*` classes; never one a non-test file imports) or in a one-shot script: a module whose
`if __name__ == "__main__":` calls `asyncio.run` (`anyio.run`, `trio.run`, `uvloop.run`), that
imports no module of the project, that no other file of its component imports (a file the run
was not given must not even name it), that imports no server or callback framework (FastAPI,
uvicorn, aiohttp, a bot or message-queue library, ...), and whose async functions are only
called directly (none
decorated but `@asynccontextmanager`, none a method of a subclass, none passed as a value).
Neither counts when the file runs work concurrently or builds an app: `gather`, `create_task`,
task groups and nurseries, `wait`/`wait_for`/timeouts, threads and executors, signal handlers,
`FastAPI()`/`APIRouter()`/`Starlette()` or a route decorator. Whatever is not proven is
rewritten as before. The `scripts-and-tests` option restores the rewrite.

## Why is this bad?
An `async def` runs on the event loop thread. While a blocking call waits for the network, a
subprocess, the disk or a `sleep`, no other request on that worker makes progress: one slow
SMTP handshake stalls every client. Running the call in a worker thread lets the loop keep
serving; FastAPI does this itself for sync endpoints and dependencies, but not for sync calls
made *inside* an `async def`.

## Example
```python
import requests
from email_service import send_assessment_email


@app.post("/finalize")
async def finalize(request: FinalizeRequest):
    score = requests.get(SCORING_URL, timeout=5).json()
    sent = send_assessment_email(request.email, score)
    return {"sent": sent}
```

Use instead:
```python
import requests
from email_service import send_assessment_email
from fastapi.concurrency import run_in_threadpool


@app.post("/finalize")
async def finalize(request: FinalizeRequest):
    score = (await run_in_threadpool(requests.get, SCORING_URL, timeout=5)).json()
    sent = await run_in_threadpool(send_assessment_email, request.email, score)
    return {"sent": sent}
```

## Fix safety
The rewrite is marked safe: the call runs with the same arguments and its result or exception
comes back to the same place. It does run on another thread, though: thread-locals are not
shared, changes the function makes to context variables do not flow back, and it may now run
concurrently with other requests, so code that relied on the event loop to serialise access to
shared state needs a lock. Calls passing `func=` (the first parameter of `run_in_threadpool`) or
`**kwargs` are wrapped with `functools.partial`, as are keyword arguments for
`anyio.to_thread.run_sync` and `trio.to_thread.run_sync` (neither passes keywords on to the
function). `subprocess` calls stay in the threadpool rather than becoming
`asyncio.create_subprocess_*`, which a Windows selector event loop cannot run.

The offload and the sleep must belong to the event loop that runs the code: under `trio.run()`,
`await asyncio.sleep(...)` and `await asyncio.to_thread(...)` raise `RuntimeError: no running
event loop`. A file that imports trio gets trio's forms and one that imports anyio gets anyio's
(they run on both of anyio's backends); `run_in_threadpool` is anyio's too. A file that names
no loop library, in a component that declares trio, is left alone: which loop runs it is not
known. `fastapi.concurrency` is imported only where FastAPI is installed for sure: a worker or a
bot beside a FastAPI service, with requirements of its own, gets `asyncio.to_thread`.

A call on a line marked `# noqa` with the linters' code for that call is kept, as the author
asked of the linters: `ASYNC210`-`ASYNC212` for HTTP calls, `ASYNC220`-`ASYNC222` for
subprocesses and `os.wait*`, `ASYNC230`-`ASYNC232` for `open` and file objects, `ASYNC240` for
`os.path` and `pathlib`, `ASYNC250` for `input`, `ASYNC251` for `time.sleep`; any `ASYNC2xx`
code for calls no rule names (SDKs, the project's functions); `ASYNC200` or a bare `# noqa` for
every call. A code of another rule keeps nothing: `time.sleep(1)  # noqa: ASYNC210` is
rewritten. A comment ending the call's first line, or on the comment lines directly above it,
that says the blocking is deliberate ("deliberately", "intentionally", "on purpose",
"purposely", "by design") and speaks of blocking (a word about blocking, sync, sleep, threads or
the loop) keeps it too, with the comment quoted; "blocks the event loop" alone does not (a
`# FIXME` saying so asks for the fix), nor does `# intentionally no cache` or a comment inside
the call's arguments (`timeout=2,  # deliberately short`).

Thread-bound objects are never moved to another thread: a `sqlite3` connection used from a
worker raises `ProgrammingError`, and a SQLAlchemy `Session` must not be shared across threads.
Those sites, blocking context managers and generator expressions are display-only. Where the
file binds `run_in_threadpool` (or `asyncio`, `functools`, `anyio`, `trio`) to anything else at
module level (or through `global`), the sites that need the name are skipped with a reason;
where only a function binds it (a parameter `asyncio=None`), only that function's sites are.

## Options
- `threadpool` (`"auto"`, `"fastapi"`, `"starlette"`, `"asyncio"`, `"anyio"` or `"trio"`, default
  `"auto"`): what to offload with: `run_in_threadpool` from FastAPI or Starlette,
  `asyncio.to_thread`, `anyio.to_thread.run_sync` or `trio.to_thread.run_sync`; it also picks
  what `time.sleep(x)` becomes: `await anyio.sleep(x)` with `"anyio"`, `await trio.sleep(x)` with
  `"trio"`, and `await asyncio.sleep(x)` otherwise. `"auto"` decides per file, as described
  above; where it cannot tell (a component that declares trio and a file that imports no event
  loop library, a file importing both trio and asyncio, `asyncio.to_thread` in a component that
  supports Python 3.8), those sites are skipped with the reason. Set in the `pyproject.toml` of
  a component, the option applies to that component's files.
- `extra-blocking` (list of qualified names): more blocking callables, e.g. `"pandas.read_csv"`,
  `"myapp.legacy.fetch"`; a name covers everything under it, and methods are `<class>.<method>`.
- `not-blocking` (list of qualified names): names to treat as non-blocking, e.g. `"os.path"` or
  `"redis.Redis.get"` (classes by their canonical name).

- `scripts-and-tests` (`"report"` or `"rewrite"`, default `"report"`): in test files and
  one-shot scripts (see above), report blocking calls as display-only, or rewrite them as
  everywhere else.

## References
- [ruff flake8-async rules (`ASYNC210` to `ASYNC251`)](https://docs.astral.sh/ruff/rules/#flake8-async-async)
- [flake8-async rules](https://flake8-async.readthedocs.io/en/latest/rules.html)
- [Starlette: thread pool](https://www.starlette.io/threadpool/)
- [FastAPI: concurrency and async / await](https://fastapi.tiangolo.com/async/)
- [asyncio: running blocking code](https://docs.python.org/3/library/asyncio-dev.html#running-blocking-code)
- [AnyIO: working with threads](https://anyio.readthedocs.io/en/stable/threads.html)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import libcst as cst

from ...astkit.candidates import has_async_def
from ...astkit.names import unconditional_imports
from ...base import Codemod, Option
from ...imports.add import add_imports
from ...imports.style import style_for
from ...project import ModuleInfo, ProjectFacts, module_info
from . import catalogue as cat
from .combine import BlockingFacts, combine
from .gather import ModuleFacts, gather_module
from .offload import Offload, from_threadpool
from .offload_choice import choose, imported_tops
from .rewrite import Rewriter
from .role import quiet_role
from .view import read_outside

THREADPOOLS = ("auto", "fastapi", "starlette", "asyncio", "anyio", "trio")
SCRIPTS_AND_TESTS = ("report", "rewrite")


class Command(Codemod):
    DEFAULT_ON = True
    FIX_SAFETY = "sometimes unsafe"
    TRIGGER = re.compile(r"async[ \t]+def")
    may_change = staticmethod(has_async_def)
    OPTIONS: ClassVar[dict[str, Option]] = {
        "threadpool": Option("auto", "what blocking calls are offloaded with", str, THREADPOOLS),
        "extra-blocking": Option((), "more blocking callables (qualified names)", list),
        "not-blocking": Option((), "qualified names never treated as blocking", list),
        "scripts-and-tests": Option(
            "report",
            "in tests and one-shot scripts: report blocking calls, or rewrite them",
            str,
            SCRIPTS_AND_TESTS,
        ),
    }

    @classmethod
    def gather(cls, tree: ast.Module, module: ModuleInfo) -> ModuleFacts:
        return gather_module(tree, module)

    @classmethod
    def combine(cls, per_module: Mapping[str, Any], project: ProjectFacts) -> BlockingFacts:
        return combine(per_module, project.aliases)

    def transform(self, module: cst.Module) -> cst.Module:
        try:
            return self._transform(module)
        finally:
            path = self.context.path
            self.volatile = read_outside(str(path) if path is not None else None, self.context.project)

    def _transform(self, module: cst.Module) -> cst.Module:
        info = self._module_info()
        facts = self._facts(info)
        catalogue = cat.Catalogue(tuple(self.option("extra-blocking")), tuple(self.option("not-blocking")))
        wrapper = self.wrap(module)
        rewriter = Rewriter(
            self, wrapper, facts, catalogue, self._offload(), info, quiet=self._quiet()
        )
        wrapper.visit(rewriter)
        result = rewriter.rewritten(module)
        if not any(change.applied for change in self.changes):
            return module
        if not rewriter.imports:
            return result
        return add_imports(
            result,
            sorted(rewriter.imports, key=lambda pair: (pair[0], pair[1] or "")),
            style_for(self.context),
        )

    def _module_info(self) -> ModuleInfo:
        if self.context.module is not None:
            return self.context.module
        path = self.context.path
        if path is not None and Path(path).is_file():
            return module_info(Path(path))
        return ModuleInfo(name="__main__", path="", root="")

    def _facts(self, info: ModuleInfo) -> BlockingFacts:
        """The project's facts, plus this file's own when the gather phase did not read it."""
        facts = self.facts if isinstance(self.facts, BlockingFacts) else BlockingFacts.build(())
        if info.name in facts.modules:
            return facts
        try:
            tree = self.context.trees.parse(self.context.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return facts  # newer syntax than this interpreter: no project facts, catalogue only
        return facts.merged(gather_module(tree, info))

    def _quiet(self) -> str | None:
        """Why nothing runs concurrently with this file's async code (a test file, a one-shot
        script), when ``scripts-and-tests`` is ``"report"`` and that is proven; else None."""
        if self.option("scripts-and-tests") != "report":
            return None
        try:
            tree: ast.Module | None = self.context.trees.parse(self.context.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        path = self.context.path
        return quiet_role(tree, str(path) if path is not None else None, self.context.project)

    def _offload(self) -> Offload:
        """What this file's blocking calls and sleeps become: the ``threadpool`` option, or for
        ``auto`` the choice of :mod:`~codemods.commands.wrap_blocking_calls.offload_choice` (from the file's own
        imports and its component's declarations)."""
        choice = str(self.option("threadpool"))
        if choice != "auto":
            return from_threadpool(choice, f'the `threadpool` option is "{choice}"')
        try:
            tree: ast.Module | None = self.context.trees.parse(self.context.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = None
        return choose(
            imported_tops(tree),
            unconditional_imports(tree),
            self.context.project.component,
            self.context.options.target_version,
        )
