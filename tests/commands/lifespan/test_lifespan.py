"""``lifespan``: no-ops first, then conversions, skips, unsafe fixes and cross-module cases."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from codemods import registry
from codemods.commands.lifespan import Command
from codemods.engine import transform_source
from codemods.project import ProjectFacts, gather_project
from codemods.types import Options, Safety

from ...conftest import CLI
from ...helpers import DECLARED, assert_codemod, dedent, run, run_tree, write_tree

ID = "lifespan"
#: FastAPI releases whose ``include_router`` only copies a router's handlers: moving them into the
#: app's lifespan keeps how often they run (on 0.112.2 and later it does not, an unsafe fix:
#: tests/commands/lifespan/test_runs.py).
COPY_ONLY = "fastapi>=0.93,<0.112.2\n"

NOOPS = {
    "no app": "x = 1\n",
    "app without handlers": "from fastapi import FastAPI\napp = FastAPI()\n",
    "a function named on_startup": """
        from fastapi import FastAPI
        app = FastAPI()

        def on_startup():
            return 1
        """,
    "plugin hooks are not registrations": """
        from fastapi import FastAPI

        class Plugin:
            def on_startup(self):
                pass

            def on_shutdown(self):
                pass

        plugin = Plugin()
        plugin.on_startup()
        app = FastAPI()
        """,
    "not fastapi": """
        from mylib import FastAPI
        app = FastAPI(on_startup=[f])

        @app.on_event("startup")
        def f():
            pass
        """,
    "included router without handlers": """
        from fastapi import APIRouter, FastAPI
        router = APIRouter()
        app = FastAPI()
        app.include_router(router)
        """,
}


@pytest.mark.parametrize("code", NOOPS.values(), ids=NOOPS.keys())
def test_noop(code: str) -> None:
    assert_codemod(ID, code, changes=0)


SKIPPED = {
    "app factory": (
        """
        from fastapi import FastAPI

        def create_app():
            app = FastAPI()

            @app.on_event("startup")
            async def start():
                pass

            return app
        """,
        ["is not called on a module-level app or router"],
    ),
    "lambda handler": (
        """
        from fastapi import FastAPI
        app = FastAPI(on_startup=[lambda: None])
        """,
        ["handler `lambda: None` is not a named function"],
    ),
    "event name in a variable": (
        """
        from fastapi import FastAPI
        EVENT = "startup"
        app = FastAPI()

        @app.on_event(EVENT)
        def start():
            pass
        """,
        ["has no literal event name"],
    ),
    "registration inside a function": (
        """
        from fastapi import FastAPI
        app = FastAPI()

        def start():
            pass

        def setup():
            app.router.add_event_handler("startup", start)

        setup()
        """,
        ["is used outside a module-level registration"],
    ),
    "registration inside try": (
        """
        from fastapi import FastAPI
        app = FastAPI()

        def start():
            pass

        try:
            app.router.add_event_handler("startup", start)
        except Exception:
            pass
        """,
        ["is used outside a module-level registration"],
    ),
    "two statements on one line": (
        """
        from fastapi import FastAPI
        app = FastAPI()

        def start():
            pass

        app.router.add_event_handler("startup", start); x = 1
        """,
        ["shares its line with another statement"],
    ),
    "app rebound": (
        """
        from fastapi import FastAPI
        app = FastAPI()

        @app.on_event("startup")
        def start():
            pass

        app = wrap(app)
        """,
        ["bound more than once"],
    ),
    "app created conditionally": (
        """
        from fastapi import FastAPI
        if DEBUG:
            app = FastAPI(on_startup=[start])

        def start():
            pass
        """,
        ["created inside an `if` block"],
    ),
    "kwargs splat": (
        """
        from fastapi import FastAPI

        def start():
            pass

        app = FastAPI(on_startup=[start], **settings)
        """,
        ["created with `**` arguments"],
    ),
    "handler list in a variable": (
        """
        from fastapi import FastAPI
        HANDLERS = []
        app = FastAPI(on_startup=HANDLERS)
        """,
        ["`on_startup=` is not a list of handlers"],
    ),
    "other decorators": (
        """
        from fastapi import FastAPI
        app = FastAPI()

        @app.on_event("startup")
        @repeat_every(seconds=60)
        async def tick():
            pass
        """,
        ["has other decorators besides `on_event`"],
    ),
    "handler from an unknown module": (
        """
        from fastapi import FastAPI
        from tracing import start_tracing
        app = FastAPI(on_startup=[start_tracing])
        """,
        ["cannot tell whether `start_tracing` is a coroutine function"],
    ),
    "handler bound twice": (
        """
        from fastapi import FastAPI

        def start():
            pass

        start = wrap(start)
        app = FastAPI(on_startup=[start])
        """,
        ["cannot tell whether `start` is a coroutine function"],
    ),
    "suppressed": (
        """
        from fastapi import FastAPI
        app = FastAPI()  # codemod: skip[lifespan]

        @app.on_event("startup")
        def start():
            pass
        """,
        ["suppressed by a `# codemod: skip` comment"],
    ),
    "conditional on a one-line if": (
        """
        from fastapi import FastAPI
        app = FastAPI()

        def start():
            pass

        if DEBUG: app.router.add_event_handler("startup", start)
        """,
        ["shares its line with another statement"],
    ),
    "registration through an alias": (
        """
        from fastapi import FastAPI
        public = FastAPI()

        @public.on_event("startup")
        def start():
            pass

        for x in (public,):
            x.router.add_event_handler("shutdown", start)
        """,
        [
            "`public` not converted: the registration at line 9 may target it",
            "`x.router.add_event_handler` is not called",
        ],
    ),
    "router with a lifespan and handlers": (
        """
        from fastapi import APIRouter

        async def own(app):
            yield

        def start():
            pass

        router = APIRouter(lifespan=own, on_startup=[start])
        """,
        ["`router` not converted: it has both `lifespan=` and event handlers"],
    ),
    "router registered after include": (
        """
        from fastapi import APIRouter, FastAPI
        router = APIRouter()
        app = FastAPI()
        app.include_router(router)

        @router.on_event("startup")
        async def late():
            pass
        """,
        [
            "`router` not converted: handlers are registered after `include_router`",
            "`app` not converted: it includes `router`, whose event handlers stay registered",
        ],
    ),
}


@pytest.mark.parametrize("case", SKIPPED.values(), ids=SKIPPED.keys())
def test_skipped_with_a_reason(case: tuple[str, list[str]]) -> None:
    code, skips = case
    assert_codemod(ID, code, skips=skips)


def test_fastapi_floor_without_lifespan() -> None:
    code = """
        from fastapi import FastAPI
        app = FastAPI()

        @app.on_event("startup")
        def start():
            pass
        """
    assert_codemod(
        ID, code, options=Options(target_fastapi=(0, 92, 0)), skips=["needs FastAPI >= 0.93"]
    )


def test_newer_syntax_than_the_interpreter_is_reported() -> None:
    code = """
        from fastapi import FastAPI
        type Handler = object
        app = FastAPI()

        @app.on_event("startup")
        def start[T]():
            pass
        """
    assert_codemod(ID, code, skips=["syntax newer than the Python running codemod"])


# -- conversions ------------------------------------------------------------------------------


def test_basic_conversion_and_report() -> None:
    result = assert_codemod(
        ID,
        """
        from fastapi import FastAPI
        app = FastAPI()

        @app.on_event("startup")
        async def start():
            pass

        @app.on_event("shutdown")
        def stop():
            pass
        """,
        """
        from contextlib import asynccontextmanager

        from fastapi import FastAPI


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            await start()
            try:
                yield
            finally:
                stop()


        app = FastAPI(lifespan=lifespan)

        async def start():
            pass

        def stop():
            pass
        """,
        changes=1,
        project=DECLARED,
    )
    (change,) = result.changes
    assert change.safety is Safety.SAFE and change.applied
    assert "`on_event`" in change.message


def test_existing_imports_of_asynccontextmanager_are_used() -> None:
    assert_codemod(
        ID,
        """
        import contextlib
        import fastapi
        asynccontextmanager = None
        app: fastapi.FastAPI = fastapi.FastAPI(on_shutdown=[stop], on_startup=[start])

        def start():
            pass

        async def stop():
            pass
        """,
        """
        import contextlib
        import fastapi
        asynccontextmanager = None


        @contextlib.asynccontextmanager
        async def lifespan(app: fastapi.FastAPI):
            start()
            try:
                yield
            finally:
                await stop()


        app: fastapi.FastAPI = fastapi.FastAPI(lifespan=lifespan)

        def start():
            pass

        async def stop():
            pass
        """,
        project=DECLARED,
    )


def test_one_handler_for_both_events_and_twice_for_one() -> None:
    """Registered twice, the framework ran it twice: so does the lifespan, no more."""
    assert_codemod(
        ID,
        """
        from contextlib import asynccontextmanager
        from fastapi import FastAPI
        app = FastAPI(on_startup=[tick])

        @app.on_event("shutdown")
        @app.on_event("startup")
        def tick():
            pass
        """,
        """
        from contextlib import asynccontextmanager
        from fastapi import FastAPI


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            tick()
            tick()
            try:
                yield
            finally:
                tick()


        app = FastAPI(lifespan=lifespan)

        def tick():
            pass
        """,
        project=DECLARED,
    )


def test_instance_method_handlers() -> None:
    assert_codemod(
        ID,
        """
        from fastapi import FastAPI

        class Cache:
            async def connect(self):
                pass

            @staticmethod
            def close():
                pass

        cache = Cache()
        app = FastAPI(on_startup=[cache.connect], on_shutdown=[cache.close])
        """,
        """
        from contextlib import asynccontextmanager

        from fastapi import FastAPI

        class Cache:
            async def connect(self):
                pass

            @staticmethod
            def close():
                pass

        cache = Cache()


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            await cache.connect()
            try:
                yield
            finally:
                cache.close()


        app = FastAPI(lifespan=lifespan)
        """,
        project=DECLARED,
    )


def test_crlf_and_tabs_are_kept() -> None:
    before = 'from fastapi import FastAPI\r\napp = FastAPI()\r\n\r\n@app.on_event("startup")\r\ndef start():\r\n\tpass\r\n'
    result = run(ID, before, project=DECLARED)
    assert "\r\n" in result.code and "\n" not in result.code.replace("\r\n", "")
    assert "\n\tstart()\r\n" in result.code
    assert_codemod(ID, before, result.code, dedent_code=False, project=DECLARED)


def test_comments_between_decorators_survive() -> None:
    assert_codemod(
        ID,
        """
        from fastapi import FastAPI
        app = FastAPI()

        # before the decorator
        @app.on_event("startup")
        # between decorator and def
        def start():
            pass
        """,
        """
        from contextlib import asynccontextmanager

        from fastapi import FastAPI


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            start()
            yield


        app = FastAPI(lifespan=lifespan)

        # before the decorator
        # between decorator and def
        def start():
            pass
        """,
        project=DECLARED,
    )


def test_risky_call_makes_the_fix_unsafe() -> None:
    code = """
        from fastapi import FastAPI
        app = FastAPI()
        register_tortoise(app, db_url="sqlite://:memory:")

        @app.on_event("startup")
        def start():
            pass
        """
    result = assert_codemod(ID, code, changes=1)
    (change,) = result.changes
    assert change.safety is Safety.UNSAFE and not change.applied
    assert "`register_tortoise(...)` at line 3" in change.message
    converted = run(ID, dedent(code), Options(unsafe_fixes=True)).code
    assert "lifespan=lifespan" in converted and "register_tortoise(app" in converted


def test_harmless_calls_do_not_make_it_unsafe() -> None:
    result = run(
        ID,
        dedent(
            """
            import uvicorn
            from fastapi import FastAPI
            from fastapi.testclient import TestClient
            app = FastAPI()

            @app.on_event("startup")
            def start():
                pass

            client = TestClient(app)
            if __name__ == "__main__":
                uvicorn.run(app)
            """
        ),
        project=DECLARED,
    )
    assert [c.safety for c in result.changes] == [Safety.SAFE]


def test_create_all_moves_only_as_an_unsafe_fix() -> None:
    code = """
        from fastapi import FastAPI
        import models, database

        models.Base.metadata.create_all(bind=database.engine)
        app = FastAPI()

        @app.on_event("startup")
        def start():
            pass
        """
    safe = run(ID, dedent(code), project=DECLARED)
    # changes come sorted by line: create_all (line 4) before the app (line 5)
    assert [(c.safety, c.applied) for c in safe.changes] == [
        (Safety.UNSAFE, False),
        (Safety.SAFE, True),
    ]
    assert (
        "models.Base.metadata.create_all(bind=database.engine)\n\n\n@asynccontextmanager"
        in safe.code
    )
    unsafe = assert_codemod(
        ID,
        code,
        run(ID, dedent(code), Options(unsafe_fixes=True), project=DECLARED).code,
        unsafe=True,
        changes=2,
        project=DECLARED,
    )
    assert "    models.Base.metadata.create_all(bind=database.engine)\n    start()\n" in unsafe.code
    assert unsafe.code.count("create_all") == 1


def test_dead_handlers_with_a_bare_generator_lifespan() -> None:
    code = """
        from fastapi import FastAPI

        async def existing(app):
            yield

        app = FastAPI(lifespan=existing)

        @app.on_event("startup")
        async def never():
            pass
        """
    shown = assert_codemod(ID, code, changes=2)
    by_safety = {c.safety: c.message for c in shown.changes}
    assert set(by_safety) == {Safety.UNSAFE, Safety.DISPLAY_ONLY}
    notice = by_safety[Safety.DISPLAY_ONLY]
    assert "never run" in notice and "`never`" in notice
    result = run(ID, dedent(code), Options(unsafe_fixes=True))
    merged = result.code
    assert "async with asynccontextmanager(existing)(app) as state:" in merged
    assert "app = FastAPI(lifespan=lifespan)" in merged
    # applied, the merge is the only change: no "never run ... not applied" notice beside it
    assert [(c.safety, c.applied) for c in result.changes] == [(Safety.UNSAFE, True)]


@pytest.mark.parametrize("unsafe", [False, True])
def test_dead_handler_messages_say_what_happened(cli: CLI, tmp_path: Path, unsafe: bool) -> None:
    """Through the real CLI: with --unsafe-fixes the merge is applied and stderr must not say
    "not applied"; without it, the dead handlers are reported and the file is left alone."""
    (tmp_path / "requirements.txt").write_text("fastapi>=0.115\n")
    app = tmp_path / "app.py"
    app.write_text(
        dedent(
            """
            from contextlib import asynccontextmanager

            from fastapi import FastAPI


            @asynccontextmanager
            async def existing(app):
                yield


            app = FastAPI(lifespan=existing)


            @app.on_event("startup")
            async def never():
                pass
            """
        )
    )
    flags = ["--unsafe-fixes"] if unsafe else []
    proc = cli("apply", "--no-cache", "--select", ID, *flags, "app.py")
    stderr = proc.stderr.decode()
    changed = "lifespan=lifespan" in app.read_text()
    assert changed is unsafe
    assert ("[display-only]" in stderr) is not unsafe, stderr
    if not unsafe:
        assert "never run [display-only]" in stderr
        assert "1 more fix(es) available with --unsafe-fixes" in stderr


def test_dead_handlers_with_an_imported_lifespan_are_only_reported() -> None:
    assert_codemod(
        ID,
        """
        from fastapi import FastAPI
        from app.lifespan import lifespan
        app = FastAPI(lifespan=lifespan)

        @app.on_event("startup")
        async def never():
            pass
        """,
        unsafe=True,
        skips=["`lifespan` is not an async generator function defined in this module"],
        changes=1,
    )


# -- routers ---------------------------------------------------------------------------------------


def test_router_included_twice_is_not_lifted() -> None:
    code = """
        from fastapi import APIRouter, FastAPI
        router = APIRouter(on_startup=[start])
        public = FastAPI()
        admin = FastAPI()
        public.include_router(router)
        admin.include_router(router)

        def start():
            pass
        """
    assert_codemod(
        ID,
        code,
        skips=[
            "`router` not converted: it is included more than once",
            "`public` not converted: it includes `router`, whose event handlers stay registered",
            "`admin` not converted: it includes `router`, whose event handlers stay registered",
        ],
    )
    # its own lifespan= is merged by both apps: each ran `start` twice (its copy, then the
    # router's merged default lifespan), and once after the fix: unsafe
    with_floor = run(ID, dedent(code), Options(target_fastapi=(0, 112, 2)))
    assert "APIRouter(lifespan=" not in with_floor.code
    (change,) = with_floor.changes
    assert change.safety is Safety.UNSAFE and not change.applied
    assert (
        "on FastAPI >= 0.112.2 `include_router` runs this router's event handlers twice (copied "
        "into each includer and again through each router's merged lifespan); after the fix they "
        "run once (target-fastapi is 0.112.2)"
    ) in change.message
    unsafe = run(ID, dedent(code), Options(target_fastapi=(0, 112, 2), unsafe_fixes=True))
    assert "router = APIRouter(lifespan=lifespan)" in unsafe.code


def test_starlette_router_gets_its_own_lifespan() -> None:
    assert_codemod(
        ID,
        """
        from starlette.routing import Router

        def start():
            pass

        router = Router(on_startup=[start])
        """,
        """
        from contextlib import asynccontextmanager

        from starlette.routing import Router

        def start():
            pass


        @asynccontextmanager
        async def lifespan(app):
            start()
            yield


        router = Router(lifespan=lifespan)
        """,
        project=DECLARED,
    )


def test_trigger_covers_every_file_the_codemod_changes() -> None:
    assert Command.TRIGGER is not None
    assert Command.TRIGGER.search("app.include_router(users.router)")
    assert not Command.TRIGGER.search("app = FastAPI()\n")


# -- across modules (gather phase) -------------------------------------------------------------------


def test_foreign_registration_blocks_the_app(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "main.py": """
                from fastapi import FastAPI
                app = FastAPI()

                @app.on_event("startup")
                def start():
                    pass
                """,
            "plugins.py": """
                from main import app

                @app.on_event("startup")
                def plugin_start():
                    pass
                """,
        },
    )
    results = run_tree(tmp_path, Options(select=(ID,)))
    assert not any(r.changed for r in results.values())
    assert any(
        "handlers are also registered on `app` in plugins" in s.reason
        for s in results["main.py"].skips
    )
    assert any("so that app is not converted" in s.reason for s in results["plugins.py"].skips)


def test_lifted_handler_name_clash_gets_an_alias(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "requirements.txt": COPY_ONLY,
            "main.py": """
                from fastapi import FastAPI
                from users import router

                app = FastAPI()

                @app.on_event("startup")
                async def startup():
                    pass

                app.include_router(router)
                """,
            "users.py": """
                from fastapi import APIRouter
                router = APIRouter()

                @router.on_event("startup")
                def startup():
                    pass
                """,
        },
    )
    results = run_tree(tmp_path, Options(select=(ID,)), write=True)
    assert all(r.failure is None for r in results.values())
    main = (tmp_path / "main.py").read_text()
    assert "from users import router, startup as users_startup\n" in main
    assert "    await startup()\n    users_startup()\n" in main
    assert "on_event" not in (tmp_path / "users.py").read_text()
    again = run_tree(tmp_path, Options(select=(ID,)))
    assert not any(r.changed for r in again.values())


def test_lifted_handlers_join_a_parenthesized_import(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "requirements.txt": COPY_ONLY,
            "main.py": """
                from fastapi import FastAPI

                from users import (
                    router as users_router,
                )

                app = FastAPI()
                app.include_router(users_router)
                """,
            "users.py": """
                from fastapi import APIRouter
                router = APIRouter()

                @router.on_event("startup")
                def start_users():
                    pass
                """,
        },
    )
    run_tree(tmp_path, Options(select=(ID,)), write=True)
    main = (tmp_path / "main.py").read_text()
    assert "from users import (\n    router as users_router,\n    start_users,\n)\n" in main


def test_async_generator_handlers_are_not_awaited_blindly() -> None:
    assert_codemod(
        ID,
        """
        from fastapi import FastAPI
        app = FastAPI()

        @app.on_event("startup")
        async def stream():
            yield 1
        """,
        skips=["`stream` is an async generator function"],
    )


@dataclasses.dataclass(frozen=True)
class WithTargets(ProjectFacts):
    """``ProjectFacts`` plus the files a run rewrites (the engine change the codemod asks for)."""

    targets: frozenset[str] = frozenset()


def test_handlers_move_only_when_both_modules_are_rewritten(tmp_path: Path) -> None:
    """With the files of the run known (``ProjectFacts.targets``, pending engine support), a
    router's handlers stay where they are when its module is not rewritten."""
    write_tree(
        tmp_path,
        {
            "requirements.txt": COPY_ONLY,
            "main.py": "from fastapi import FastAPI\nfrom users import router\napp = FastAPI()\napp.include_router(router)\n",
            "users.py": "from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.on_event('startup')\ndef start():\n    pass\n",
        },
    )
    main = tmp_path / "main.py"
    command = registry.get(ID)
    codemods = [command]
    facts = gather_project([main], {ID: command.gather}, {ID: command.combine})
    assert "users" in facts.modules  # followed by the gather phase, not rewritten
    both = transform_source(main.read_text(), codemods, Options(), facts, main)
    assert "lifespan=lifespan" in both.code
    only_main = WithTargets(
        **{f.name: getattr(facts, f.name) for f in dataclasses.fields(facts)},
        targets=frozenset({str(main.resolve())}),
    )
    alone = transform_source(main.read_text(), codemods, Options(), only_main, main)
    assert alone.code == main.read_text()


def test_lifespan_argument_joins_any_call_layout() -> None:
    code = """
        from fastapi import FastAPI

        def start():
            pass

        a = FastAPI(
            # no arguments yet
        )
        b = FastAPI(
            title="x"
        )
        c = FastAPI(title="y",)
        d = FastAPI(on_startup=[start],
                    title="z")
        a.router.add_event_handler("startup", start)
        b.router.add_event_handler("startup", start)
        c.router.add_event_handler("startup", start)
        """
    result = assert_codemod(ID, code, run(ID, dedent(code), project=DECLARED).code, changes=4, project=DECLARED)
    assert "a = FastAPI(\n    # no arguments yet\nlifespan=lifespan)" in result.code
    assert 'b = FastAPI(\n    title="x",\n    lifespan=lifespan_1\n)' in result.code
    assert 'c = FastAPI(title="y", lifespan=lifespan_2,)' in result.code
    assert 'd = FastAPI(lifespan=lifespan_3,\n            title="z")' in result.code


def test_explicit_lifespan_none_is_replaced() -> None:
    assert_codemod(
        ID,
        """
        from contextlib import asynccontextmanager
        from fastapi import FastAPI
        app = FastAPI(lifespan=None, on_startup=[start])

        def start():
            pass
        """,
        """
        from contextlib import asynccontextmanager
        from fastapi import FastAPI


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            start()
            yield


        app = FastAPI(lifespan=lifespan)

        def start():
            pass
        """,
        project=DECLARED,
    )
