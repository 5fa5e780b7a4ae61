"""Convert `on_event` / `add_event_handler` / `on_startup=` handlers into one `lifespan` context manager.

## What it does
Finds every startup and shutdown handler registered on a module-level FastAPI or Starlette app
(`@app.on_event("startup")`, `app.add_event_handler(...)`, `app.router.add_event_handler(...)`,
`app.router.on_event(...)`, `FastAPI(on_startup=[...], on_shutdown=[...])`,
`Starlette(on_startup=..., on_shutdown=...)`) and replaces them all with one
`@asynccontextmanager async def lifespan(app)`, defined directly before the statement that
creates the app and passed to it as `lifespan=lifespan`:

- the startup handlers run in registration order (constructor arguments first, then the module's
  registrations from top to bottom), each `await`ed if it is an `async def` and called directly
  if it is a plain `def` — exactly what the framework's default lifespan did (sync handlers ran
  on the event loop, not in a thread);
- then `try: yield`, and in `finally:` the shutdown handlers, in registration order;
- the handlers stay named functions; only their `@app.on_event(...)` decorator goes.
  `from contextlib import asynccontextmanager` is added when missing. The function is called
  `lifespan`, or `lifespan_1`, `lifespan_2`, ... when the name is taken (two apps in one file
  get one each).

A handler registered inside a module-level `if` (at any depth of `if`/`elif`/`else`) keeps its
condition evaluated where it was, at import time: the registration becomes a flag
(`warm_cache_on_startup = True`, initialised to `False` just before the outermost `if`; for a
decorated `def`, the flag is set right after it) and the lifespan calls the handler only when the
flag is set. Re-evaluating the condition at startup instead would not be exact.

A FastAPI `APIRouter` with handlers (`APIRouter(on_startup=...)`, `@router.on_event(...)`), or a
Starlette `Router` (which `include_router` copies the same way), that exactly one converted app
includes (`app.include_router(router)`, found across modules by the
gather phase) has its handlers moved into that app's lifespan, at the position of the
`include_router` call — where FastAPI used to copy them. So does a tree of routers
(`router.include_router(sub_router)`, `app.include_router(router)`: FastAPI's own router events
test): each router's handlers go in at its include, in the order `include_router` copied them
onto its includer and that one onto the app. Every link must be known: each router of the tree
is included exactly once in the project, unconditionally, by a module-level statement of its
includer's module, and used nowhere else as a value — not passed to a call (an `include_router`
in a function or a loop: a test's app, an app factory; a helper), not put in a container or
returned, not re-exported or imported inside a function —, since that other app would lose the
handlers; nothing is registered on it, and no router included into it, after its include in
the same module (those were never copied); every router below it moves too; and the app's
module can call the handlers (they live in the app's module or in the module of the router the
app includes). This relies only on the app's `lifespan=` (FastAPI 0.93.0): the routers are
left without handlers (which changes how often FastAPI >= 0.112.2 ran them: an unsafe fix
there, see "Fix safety"). Otherwise the router gets a
`lifespan=` of its own, which `include_router` merges from FastAPI 0.112.2 on: only when
`target-fastapi` is at least 0.112.2 (a Starlette `Router` no `include_router` takes always
can: served as an app, it runs its own lifespan), only when it is used nowhere else as a value
(as above), and only when that keeps
the order of the handlers in every app or router that includes it. A merged router lifespan runs
after all of the includer's own startup handlers and before its shutdown handlers, and merged
routers shut down in reverse include order; so an includer that registers a startup handler
after the include, a shutdown handler before it, or includes another such router with shutdown
handlers keeps the router (and itself) unconverted, with the reason. A router included there
that stays unconverted (or cannot be read) counts as the includer's own handlers, since
`include_router` still copies them in at the include; a router included by a router is checked
again where that router is included; an `include_router` on the includer outside a
module-level statement, of a router that may have handlers, makes the order unknown. Otherwise
it is skipped. An app with no handlers of its own
that includes a router left unconverted is reported as skipped too, naming the router.

An app that already has `lifespan=` *and* registers event handlers never runs those handlers
(FastAPI ignores them silently, Starlette < 1.0 refuses the combination). That is reported,
naming the dead handlers; the fix — a new lifespan that runs them around the existing one
(`async with existing(app) as state: yield state`) — is unsafe. With `--unsafe-fixes` it is
applied and reported as such; the "never run" notice appears only when it was not applied.

## Why is this bad?
Starlette 1.0 removed `on_startup`/`on_shutdown`, `on_event()` and `add_event_handler()`;
FastAPI deprecates `on_event` and `on_startup=` (a `DeprecationWarning` on every start), and
`FastAPI.add_event_handler` no longer exists (FastAPI 0.165 raises `AttributeError`). Worse,
once an app gets a `lifespan=` any event handler still registered on it is silently never run,
so converting handlers one at a time loses some. This converts them all together.

## Example
```python
app = FastAPI()


@app.on_event("startup")
async def connect_db():
    await database.connect()


@app.on_event("shutdown")
def close_files():
    files.close()
```

Use instead:
```python
from contextlib import asynccontextmanager


@asynccontextmanager
async def lifespan(app: FastAPI):
    await connect_db()
    try:
        yield
    finally:
        close_files()


app = FastAPI(lifespan=lifespan)


async def connect_db():
    await database.connect()


def close_files():
    files.close()
```

## Fix safety
The conversion is safe: the same functions run at the same moments in the same order (for the
handlers of included routers, as often as FastAPI < 0.112.2 ran them: see below). It is
skipped, with the reason in the skip report, whenever that cannot be guaranteed:
- a handler is not a named function whose kind (`def` or `async def`) is known. Known are:
  functions defined at module level, functions imported from a first-party module the gather
  phase read (`from .db import connect`, `db.connect`), and methods of a module-level instance of
  a class defined in the module (`cache.connect` after `cache = Cache()`). Unknown are lambdas,
  `functools.partial`, functions with other decorators, async generator functions, names bound
  more than once, and anything from a third-party module;
- an event name that is not a string literal, `on_startup=` that is not a list or tuple literal,
  `**kwargs` passed to the constructor, a registration inside a function, a `try`/`with`/loop
  block or sharing its line with another statement, other uses of `on_startup`/`on_shutdown`/
  `lifespan_context` on the object, an app bound more than once or created inside an `if`;
- handlers registered on the same app from another module;
- an included router whose handlers would stop running (see above), or a router module that
  could not be analysed; an `include_router` on the app outside a module-level statement (in a
  function, a loop, a `with` or `try` block) of a router that may have handlers;
- a router used as a value anywhere but as the router of one module-level `include_router`
  (see above): its handlers neither move nor get a `lifespan=` of their own. So is a router
  mounted with `Mount`/`app.mount`: Starlette sends no lifespan events to a mounted app, so
  its handlers never ran, and moving them into the app's lifespan would make them run.

Removing a router's handlers is exactly as safe as the conversion of the app they move into
(unsafe, for instance, where the component does not declare FastAPI): applied alone, they
would stop running.

Moving a router's handlers (into the app's lifespan, or into a `lifespan=` of the router's own)
is **unsafe** wherever the component allows FastAPI 0.112.2 or later, or its FastAPI version is
unknown: from 0.112.2 (to 0.165.0 at least) `include_router` copies a router's handlers into
the includer *and* merges the router's default lifespan, which runs them again. A router an app
without a lifespan includes ran each handler twice, a sub-router three times (FastAPI's router
events test), a router included along several paths once per default lifespan on each; after
the fix each runs once per include, as FastAPI < 0.112.2 ran them. The message says how often
they ran ("on FastAPI >= 0.112.2 `include_router` runs this router's event handlers twice
(copied into `app` and again through the router's merged lifespan); after the fix they run
once"), or "may run ... more than once" when a link of the tree is unknown; the app's conversion
says the same of the routers it includes and is unsafe with them, so both are applied (with
`--unsafe-fixes`) or neither. Where every FastAPI version the component allows is older than
0.112.2 (an upper bound, a pin or a locked version below it; `target-fastapi`, the oldest version
supported, counts only when it is 0.112.2 or later), `include_router` only copied the handlers
and the move keeps how often and in which order they run: it stays safe. A router's own
`lifespan=` under an app that already has one stays safe too: the app's copy never ran, only
the router's merged default lifespan did, where its own now runs.

The fix is unsafe when the app is passed to a call that might register handlers itself
(`register_tortoise(app)`, `instrument(app)`, ...): a lifespan app silently never runs them.
`uvicorn.run`, `TestClient` and `Mangum` are known not to.

A module-level `<Base>.metadata.create_all(...)` in the module of the (only) converted app is
moved to the start of the lifespan as an **unsafe** fix: the tables are then created when the app
starts rather than when the module is imported, so scripts and tests that import the module
without starting the app no longer get them.

Merging the dead handlers of an app that already has a lifespan is **unsafe**: they start
running. The existing lifespan must be an `async def` generator of the same module (decorated
with `@asynccontextmanager` or bare).

The conversion is made only where every framework version the file's component allows has
`lifespan=`: FastAPI 0.93.0 (older releases accept the keyword, put it in `app.extra` and then
run no handler at all), Starlette 0.16.0 for an `@asynccontextmanager` function. The versions come
from the component's declarations: a lock file's exact version (`poetry.lock`, `uv.lock`,
`pdm.lock`, `Pipfile.lock`, an `==` pin) wins; otherwise an explicit lower bound below the floor
(`fastapi>=0.80`, Poetry's `^0.92.0`) skips the app, naming the declaration, while a declaration
without a lower bound (`fastapi`, `fastapi<1`) is what a fresh install resolves today. Where the
component does not declare the framework at all, the conversion is an **unsafe** fix that says
so. A router's own `lifespan=` needs FastAPI 0.112.2 by the same rule.

An app is converted only when every router it includes (directly, through included routers, or
from a factory call) can be read: a router built by a call, imported from outside the project,
or from a module that was not found may register handlers, which the app's new `lifespan=`
would drop on FastAPI 0.93-0.112.1; the app is then skipped, naming that router.

Files whose syntax is newer than the Python running the tool are left alone (their analysis uses
the standard library's `ast`). Run the codemod over the whole project: the gather phase follows
imports to find routers and handlers, and a router's handlers move only if both modules are
rewritten.

## Options
None. `target-fastapi` (in `[tool.codemod]`, or in the `pyproject.toml` of the file's component)
overrides the declarations: below 0.93 nothing is converted (no `lifespan=`); from 0.112.2 routers
may get their own `lifespan=`, and moving a router's handlers is unsafe where they ran more than
once.

## References
- [FastAPI: Lifespan Events](https://fastapi.tiangolo.com/advanced/events/)
- [Starlette: Lifespan](https://www.starlette.io/lifespan/)
- [Starlette 1.0 release notes (removal of `on_startup`/`on_event`)](https://www.starlette.io/release-notes/)
- [FastAPI #9630: `include_router` merges router lifespans (0.112.2)](https://github.com/fastapi/fastapi/pull/9630)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import libcst as cst

from ...appmodel.analysis import ModuleAnalysis, analyse
from ...appmodel.canonical import canonical
from ...appmodel.light import function_kinds
from ...appmodel.project_view import Project
from ...astkit.names import this_module
from ...base import Codemod, Suppressions
from ...imports.style import style_for
from ...io import decode_source
from ...project import ModuleInfo, ProjectFacts
from ...readfile import read_regular
from .actions import Edits
from .edit import apply_edits
from .plan import plan_module

#: Names a file must mention for this codemod to change it.
_EVENTS = re.compile(r"on_event|on_startup|on_shutdown|add_event_handler|include_router")
_GLOBAL = re.compile(r"^\s*global\s", re.M)


class Command(Codemod):
    DEFAULT_ON = True
    FIX_SAFETY = "sometimes unsafe"
    TRIGGER = _EVENTS

    @classmethod
    def gather(cls, tree: ast.Module, module: ModuleInfo) -> ModuleAnalysis:
        try:
            text, _ = decode_source(read_regular(module.path))
        except (OSError, UnicodeError, SyntaxError, ValueError):
            return analyse(tree, module)
        if not _EVENTS.search(text):
            # other modules only need to know which of its functions are async
            return analyse(tree, module) if _GLOBAL.search(text) else function_kinds(tree, module)
        suppressions = Suppressions.scan(text)
        lines = frozenset(
            line for line, ids in suppressions.skip.items() if not ids or cls.ID in ids
        )
        return replace(analyse(tree, module), suppressed=lines)

    @classmethod
    def combine(
        cls, per_module: Mapping[str, Any], project: ProjectFacts
    ) -> dict[str, ModuleAnalysis]:
        return {
            name: canonical(facts, project)
            for name, facts in per_module.items()
            if isinstance(facts, ModuleAnalysis)
        }

    def transform(self, module: cst.Module) -> cst.Module:
        try:
            tree = ast.parse(module.code)
        except (SyntaxError, ValueError, RecursionError):
            if _EVENTS.search(module.code):
                self.skip(
                    1, "the file uses syntax newer than the Python running codemod; not analysed"
                )
            return module
        facts = self.context.project
        analysis = canonical(analyse(tree, self.context.module), facts)
        modules: dict[str, ModuleAnalysis] = dict(self.facts or {})
        modules[analysis.name] = analysis
        me = this_module(self.context.module)

        def suppressed(name: str, line: int) -> bool:
            if name == me:
                return self.suppressed(line)
            return line in modules[name].suppressed

        # Engine support pending: the set of files this run rewrites (None: every analysed file).
        targets: frozenset[str] | None = getattr(facts, "targets", None)

        def rewritten(name: str) -> bool:
            info = facts.modules.get(name)
            return targets is None or name == me or info is None or info.path in targets

        project = Project(modules, self.context.options, facts.opaque, suppressed, rewritten, facts)
        outcome = plan_module(analysis, project)
        for line, reason in outcome.skips:
            self.skip(line, reason)
        edits = Edits()
        previous = False
        changed = False
        for action in outcome.actions:
            if (action.needs_previous and not previous) or (action.unless_previous and previous):
                continue
            previous = self.report(action.line, action.message, action.fix_title, action.safety)
            if previous:
                edits.merge(action.edits)
                changed = True
        return apply_edits(module, edits, style_for(self.context)) if changed else module
