"""``wrap-blocking-calls``: no-ops first, then rewrites, display-only reports, skips, options,
the gather/combine phase, whole projects on disk, and ruff's view of the rewritten fixtures."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codemods.commands.wrap_blocking_calls import Command
from codemods.commands.wrap_blocking_calls import catalogue as cat
from codemods.commands.wrap_blocking_calls.combine import BlockingFacts
from codemods.commands.wrap_blocking_calls.gather import gather_module
from codemods.engine import SourceResult
from codemods.project import ModuleInfo, gather_project
from codemods.types import Options, Safety

from ...helpers import FIXTURES, assert_codemod, case_options, dedent, run, run_tree, write_tree

ID = "wrap-blocking-calls"
FASTAPI = "from fastapi import FastAPI\n"
IMPORT = "from fastapi.concurrency import run_in_threadpool\n"


def opts(**values: object) -> Options:
    return Options(codemod_options={ID: values})


def rewritten(code: str, **kwargs: object) -> SourceResult:
    """Run the codemod, then hold its output to ``assert_codemod``'s checks (idempotence...)."""
    result = run(ID, dedent(code), kwargs.get("options"))  # type: ignore[arg-type]
    assert result.code != dedent(code), "expected a rewrite"
    return assert_codemod(ID, code, result.code, **kwargs)  # type: ignore[arg-type]


def display_only(code: str, **kwargs: object) -> list[str]:
    """Assert ``code`` is left alone; return the messages of its display-only reports."""
    result = assert_codemod(ID, code, **kwargs)  # type: ignore[arg-type]
    assert all(not c.applied for c in result.changes)
    return [c.message for c in result.changes if c.safety is Safety.DISPLAY_ONLY]


# -- no-ops ----------------------------------------------------------------------------------

NOOPS = {
    "no async def": "import requests\n\ndef f(u):\n    return requests.get(u)\n",
    "no calls": "async def f():\n    return 1\n",
    "pure calls": "import os.path\n\nasync def f(p):\n    return os.path.join(p, 'x'), len(p), str(p)\n",
    "awaited": "import requests\n\nasync def f(u):\n    return await requests.get(u)\n",
    "offloaded": """
        import asyncio, functools, anyio, requests
        from fastapi.concurrency import run_in_threadpool

        async def f(u):
            await run_in_threadpool(requests.get, u)
            await asyncio.to_thread(requests.get, u)
            await anyio.to_thread.run_sync(functools.partial(requests.get, u))
            await asyncio.get_running_loop().run_in_executor(None, requests.get, u)
        """,
    "lambda and nested def": """
        import requests

        async def f(u):
            g = lambda: requests.get(u)
            def h():
                return requests.get(u)
            class C:
                x = requests.get(u)
            return g, h, C
        """,
    "decorator, default and annotation": """
        import os.path

        @app.get(os.path.realpath("x"))
        async def f(size: int = os.path.getsize("x")) -> None:
            x: os.path.getsize("y") = 1
        """,
    "PEP 695 alias and type parameters": """
        import os.path

        async def f():
            type Size = os.path.getsize("x")
            def g[T: os.path.getsize("y")]():
                pass
        """,
    "unknown receivers": """
        async def f(client, url):
            client.get(url)
            client.session.post(url)
            get_client().get(url)
        """,
    "shadowed names": """
        async def f(requests, open):
            requests.get("u")
            open("x")
        """,
    "ambiguous import": """
        try:
            import requests
        except ImportError:
            requests = None

        async def f(u):
            return requests.get(u)
        """,
    "pure project function": """
        import os.path

        def double(x):
            return x * 2

        def clean(path):
            return os.path.normpath(os.path.join("static", path))  # flagged by ruff, but pure

        async def f(x):
            return double(x), clean(x)
        """,
    "project generator": """
        import requests

        def lines(u):
            yield from requests.get(u).iter_lines()

        async def f(u):
            return lines(u)
        """,
    "async project function": """
        import httpx

        async def fetch(u):
            async with httpx.AsyncClient() as client:
                return await client.get(u)

        async def f(u):
            return await fetch(u)
        """,
    "dynamic call": """
        import requests

        async def f(name, u):
            return getattr(requests, name)(u)
        """,
    "non-blocking method of a known class": """
        import redis

        cache = redis.Redis()

        async def f():
            return cache.pipeline()
        """,
}


@pytest.mark.parametrize("code", NOOPS.values(), ids=NOOPS.keys())
def test_noop(code: str) -> None:
    result = assert_codemod(ID, code)
    assert not [c for c in result.changes if c.applied]


def test_trigger_needs_async_def() -> None:
    assert Command.TRIGGER is not None
    assert Command.TRIGGER.search("async  def f(): pass")
    assert not Command.TRIGGER.search("def f():\n    requests.get(u)\n")


# -- rewrites --------------------------------------------------------------------------------

REWRITES = {
    "function": ("requests.get(u, timeout=5)", "await run_in_threadpool(requests.get, u, timeout=5)"),
    "no arguments": ("input()", "await run_in_threadpool(input)"),
    "attribute of the result": ("requests.get(u).json()", "(await run_in_threadpool(requests.get, u)).json()"),
    "subscript of the result": ("requests.get(u).json()['x']", "(await run_in_threadpool(requests.get, u)).json()['x']"),
    "already parenthesised": ("(requests.get(u)).ok", "(await run_in_threadpool(requests.get, u)).ok"),
    "operand": ("-os.path.getsize(u) + 1", "-await run_in_threadpool(os.path.getsize, u) + 1"),
    "power": ("os.path.getsize(u) ** 2", "await run_in_threadpool(os.path.getsize, u) ** 2"),
    "condition": ("1 if os.path.exists(u) else 2", "1 if await run_in_threadpool(os.path.exists, u) else 2"),
    "f-string": ("f'{requests.get(u).text}'", "f'{(await run_in_threadpool(requests.get, u)).text}'"),
    "star argument": ("print(*requests.get(u))", "print(*await run_in_threadpool(requests.get, u))"),
    "list comprehension": ("[requests.get(x) for x in u]", "[await run_in_threadpool(requests.get, x) for x in u]"),
    "first iterable of a generator": (
        "sum(1 for _ in requests.get(u))",
        "sum(1 for _ in await run_in_threadpool(requests.get, u))",
    ),
    "nested calls": (
        "requests.post(u, data=open(u).read())",
        "await run_in_threadpool(requests.post, u, data=await run_in_threadpool((await run_in_threadpool(open, u)).read))",
    ),
    "receiver chain": ("requests.Session().get(u)", "await run_in_threadpool(requests.Session().get, u)"),
    "func keyword": (
        "requests.get(u, func=1)",
        "await run_in_threadpool(functools.partial(requests.get, u, func=1))",
    ),
    "kwargs splat": ("requests.get(u, **kw)", "await run_in_threadpool(functools.partial(requests.get, u, **kw))"),
    "sleep": ("time.sleep(0.5)", "await asyncio.sleep(0.5)"),
}


@pytest.mark.parametrize(("call", "expected"), REWRITES.values(), ids=REWRITES.keys())
def test_rewrite_expression(call: str, expected: str) -> None:
    head = "import os.path, time, requests\n" + FASTAPI
    before = f"{head}\nasync def f(u, kw):\n    return {call}\n"
    result = run(ID, before)
    body = result.code.split("async def f(u, kw):\n    return ", 1)[1].rstrip("\n")
    assert body == expected
    assert_codemod(ID, before, result.code)


def test_multiline_call_keeps_layout_and_comments() -> None:
    assert_codemod(
        ID,
        """
        import requests
        from fastapi import FastAPI

        async def f(u):
            response = requests.post(  # send it
                u,
                json={"a": 1},  # payload
                timeout=5,
            )
            return response
        """,
        """
        import requests
        from fastapi import FastAPI
        from fastapi.concurrency import run_in_threadpool

        async def f(u):
            response = await run_in_threadpool(  # send it
                requests.post,
                u,
                json={"a": 1},  # payload
                timeout=5,
            )
            return response
        """,
    )


def test_import_after_docstring_and_future() -> None:
    assert_codemod(
        ID,
        '''
        """Doc."""
        from __future__ import annotations

        import requests
        from fastapi import FastAPI

        async def f(u):
            requests.get(u)
            requests.get(u)
        ''',
        '''
        """Doc."""
        from __future__ import annotations

        import requests
        from fastapi import FastAPI
        from fastapi.concurrency import run_in_threadpool

        async def f(u):
            await run_in_threadpool(requests.get, u)
            await run_in_threadpool(requests.get, u)
        ''',
        changes=2,
    )


def test_type_checking_import_is_not_a_runtime_import() -> None:
    result = assert_codemod(
        ID,
        """
        from typing import TYPE_CHECKING
        import time
        if TYPE_CHECKING:
            import asyncio

        async def f():
            time.sleep(1)
        """,
        """
        from typing import TYPE_CHECKING
        import time
        import asyncio

        if TYPE_CHECKING:
            import asyncio

        async def f():
            await asyncio.sleep(1)
        """,
    )
    assert result.changes[0].fix_title == "Use `await asyncio.sleep(...)`"


def test_methods_on_provable_receivers() -> None:
    before = """
        import smtplib
        import httpx
        from fastapi import FastAPI

        client = httpx.Client()

        async def f(u, c: httpx.Client | None):
            s = smtplib.SMTP("localhost")
            s.login("a", "b")
            c.get(u)
            client.post(u)
            with httpx.Client() as scoped:
                scoped.get(u)
    """
    result = rewritten(before, changes=5)
    code = result.code
    for wrapped in ("smtplib.SMTP, ", "s.login, ", "c.get, ", "client.post, ", "scoped.get, "):
        assert f"await run_in_threadpool({wrapped}" in code


def test_self_method_and_attribute() -> None:
    result = rewritten(
        """
        import requests
        from fastapi import FastAPI

        class Service:
            def __init__(self):
                self.http = requests.Session()

            def _fetch(self, u):
                return self.http.get(u)

            def _pure(self, x):
                return x + 1

            async def run(self, u):
                self._pure(1)
                self.http.get(u)
                return self._fetch(u)
        """,
        changes=2,
    )
    assert "await run_in_threadpool(self.http.get, u)" in result.code
    assert "return await run_in_threadpool(self._fetch, u)" in result.code
    assert "self._pure(1)" in result.code
    why = [c.message for c in result.changes if "_fetch" in c.message]
    assert why == ["Blocking call `self._fetch` in async function `run` (`Service._fetch` calls `requests.Session.get`)"]


def test_project_function_chain_message() -> None:
    result = rewritten(
        """
        import smtplib
        from fastapi import FastAPI

        def _deliver(to):
            with smtplib.SMTP("localhost") as smtp:
                smtp.sendmail("a", [to], "b")

        def send(to):
            _deliver(to)

        async def h(to):
            send(to)
        """,
        changes=1,
    )
    assert result.changes[0].message == (
        "Blocking call `send` in async function `h` (`send` calls `_deliver`, which calls `smtplib.SMTP`)"
    )
    assert result.changes[0].fix_title == "Run it in the threadpool: `await run_in_threadpool(...)`"
    assert "await run_in_threadpool(send, to)" in result.code


# -- display-only ----------------------------------------------------------------------------


def test_blocking_context_manager_is_reported_whole() -> None:
    messages = display_only(
        """
        async def f(p):
            with open(p) as fh:
                fh.read()
                fh.seek(0)
        """
    )
    assert messages == [
        "Blocking context manager `open` in async function `f`: the whole `with` block blocks the "
        "event loop, so wrapping the call alone fixes nothing"
    ]


def test_generator_expression_is_reported() -> None:
    messages = display_only("import os.path\n\nasync def f(ps):\n    return any(os.path.exists(p) for p in ps)\n")
    assert len(messages) == 1 and "generator expression" in messages[0]


def test_thread_bound_objects_are_reported() -> None:
    messages = display_only(
        """
        import sqlite3
        from fastapi import Depends
        from sqlalchemy.orm import Session

        def count(db: Session):
            return db.query(User).count()

        async def f(db: Session = Depends(get_db)):
            conn = sqlite3.connect("x")
            conn.execute("select 1")
            db.commit()
            db.add(1)
            count(db)
            db.query(User).filter(User.id == 1).first()
        """
    )
    assert len(messages) == 5
    assert "makes a `Connection`" in messages[0]
    assert "uses a `Connection`" in messages[1]
    assert "uses a `Session`" in messages[2]
    assert "passes `db`, a `Session`" in messages[3]
    assert "uses a `Query`" in messages[4]


def test_session_blocks_are_reported() -> None:
    messages = display_only(
        """
        from database import SessionLocal

        async def f():
            with SessionLocal() as s:
                s.execute("x")
            with get_sync_db_session() as other:
                other.query(User).all()
        """
    )
    assert len(messages) == 2 and all(m.startswith("Sync database session block") for m in messages)


def test_decorated_project_function_is_reported() -> None:
    messages = display_only(
        """
        import requests

        @retry(3)
        def fetch(u):
            return requests.get(u)

        async def f(u):
            return fetch(u)
        """
    )
    assert len(messages) == 1 and "`@retry(3)` may change what it returns" in messages[0]


def test_project_function_using_the_event_loop_is_reported() -> None:
    messages = display_only(
        """
        import asyncio
        import requests

        def schedule(coro):
            return asyncio.get_running_loop().create_task(coro)

        def fetch_and_notify(u, coro):
            schedule(coro)
            return requests.get(u)

        async def f(u, coro):
            return fetch_and_notify(u, coro)
        """
    )
    assert messages == [
        "Blocking call `fetch_and_notify` in async function `f` (`fetch_and_notify` calls `requests.get`); "
        "it also uses the event loop (`fetch_and_notify` calls `schedule`, which calls "
        "`asyncio.get_running_loop`), which a worker thread does not have"
    ]


# -- skips -----------------------------------------------------------------------------------

SKIPS = {
    "run_in_threadpool bound": (
        FASTAPI + "import requests\nfrom x import run_in_threadpool\n\nasync def f(u):\n    requests.get(u)\n",
        "`run_in_threadpool` is bound to something else",
    ),
    "asyncio bound": ("import time\n\nasync def f(asyncio):\n    time.sleep(1)\n", "`asyncio` is bound to something else"),
    "functools bound": (
        FASTAPI + "import requests\nfunctools = None\n\nasync def f(u):\n    requests.get(u, func=1)\n",
        "`functools` is bound to something else",
    ),
    "sleep keyword": ("import time\n\nasync def f():\n    time.sleep(secs=1)\n", "unusual arguments"),
    "suppression": (
        "import requests\n\nasync def f(u):\n    requests.get(  # codemod: skip[wrap-blocking-calls]\n        u,\n    )\n",
        "suppressed",
    ),
}


@pytest.mark.parametrize(("code", "reason"), SKIPS.values(), ids=SKIPS.keys())
def test_skip(code: str, reason: str) -> None:
    assert_codemod(ID, code, skips=[reason])


# -- options ---------------------------------------------------------------------------------

THREADPOOLS = {
    "asyncio": ("import asyncio\n", "await asyncio.to_thread(requests.get, u, func=1)"),
    "anyio": ("import anyio\nimport functools\n", "await anyio.to_thread.run_sync(functools.partial(requests.get, u, func=1))"),
    "starlette": ("import functools\nfrom starlette.concurrency import run_in_threadpool\n",
                  "await run_in_threadpool(functools.partial(requests.get, u, func=1))"),
}  # fmt: skip


@pytest.mark.parametrize("mode", THREADPOOLS)
def test_threadpool_option(mode: str) -> None:
    imports, call = THREADPOOLS[mode]
    before = FASTAPI + "import requests\n\nasync def f(u):\n    return requests.get(u, func=1)\n"
    after = FASTAPI + "import requests\n" + imports + f"\nasync def f(u):\n    return {call}\n"
    assert_codemod(ID, before, after, options=opts(threadpool=mode))


def test_auto_threadpool_without_fastapi_or_starlette_uses_asyncio() -> None:
    result = rewritten("import os\n\nasync def f():\n    os.listdir('.')\n", changes=1)
    assert "await asyncio.to_thread(os.listdir, '.')" in result.code
    assert result.changes[0].fix_title == "Run it in a worker thread: `await asyncio.to_thread(...)`"


def test_extra_and_not_blocking() -> None:
    before = """
        import os.path
        import pandas
        from fastapi import FastAPI

        def helper():
            return pandas.read_csv("x")

        def legacy():
            return os.path.exists("x")

        async def f():
            helper()
            legacy()
            os.path.isfile("y")
    """
    result = rewritten(before, options=opts(**{"extra-blocking": ("pandas",), "not-blocking": ("os.path",)}), changes=1)
    assert "await run_in_threadpool(helper)" in result.code
    result = rewritten(before, options=opts(**{"not-blocking": ("os.path.isfile",)}), changes=1)
    assert "await run_in_threadpool(legacy)" in result.code


def test_options_are_declared() -> None:
    assert set(Command.OPTIONS) == {"threadpool", "extra-blocking", "not-blocking", "scripts-and-tests"}
    assert Command.OPTIONS["threadpool"].choices == ("auto", "fastapi", "starlette", "asyncio", "anyio", "trio")


# -- catalogue, gather and combine -----------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "blocks"),
    [
        ("requests.get", True), ("requests.Session", False), ("requests.Session.get", True),
        ("smtplib.SMTP", True), ("smtplib.SMTP.login", True), ("redis.Redis.get", True),
        ("redis.Redis.pipeline", False), ("pathlib.Path.exists", True), ("pathlib.Path.joinpath", False),
        ("boto3.resources.base.ServiceResource.Bucket", False), ("botocore.client.BaseClient.put_object", True),
        ("botocore.client.BaseClient.generate_presigned_url", False), ("os.path.join", False),
        ("builtins.open", True), ("builtins.print", False), ("time.sleep", True), ("asyncio.sleep", False),
    ],
)  # fmt: skip
def test_catalogue(key: str, blocks: bool) -> None:
    assert cat.DEFAULT.blocks(key) is blocks


def test_catalogue_configuration() -> None:
    configured = cat.Catalogue(extra=("mylib",), not_blocking=("os.path", "mylib.cheap"))
    assert configured.blocks("mylib.fetch") and configured.blocks("mylib.sub.fetch")
    assert not configured.blocks("mylib.cheap") and not configured.blocks("os.path.exists")
    assert not configured.blocks("mylibrary.fetch")


def _module(code: str, name: str = "m") -> ast.Module:
    return ast.parse(dedent(code), filename=name)


def test_gather_module_facts() -> None:
    info = ModuleInfo(name="m", path="m.py", root=".")
    facts = gather_module(
        _module(
            """
            import httpx, contextlib
            from pkg.mail import send as notify

            client = httpx.Client()
            client = httpx.Client(timeout=1)

            class K:
                api: httpx.Client

                def __init__(self):
                    self.api = make()
                    self.raw = httpx.Client()

                def go(self):
                    self.api.get("u")
                    self.helper()

                @contextlib.contextmanager
                def cm(self):
                    yield

                @property
                def p(self):
                    return 1

            def gen():
                yield 1

            async def coro():
                client.get("u")
            """
        ),
        info,
    )
    functions = {f.key: f for f in facts.functions}
    assert set(functions) == {"m.K.__init__", "m.K.go", "m.K.cm", "m.K.p", "m.gen"}
    assert functions["m.K.go"].calls == (("httpx.Client.get", 15), ("m.K.helper", 16))
    assert (functions["m.K.cm"].kind, functions["m.gen"].kind) == ("contextmanager", "generator")
    assert (functions["m.K.p"].kind, functions["m.K.p"].decorator) == ("decorated", "property")
    assert dict(facts.bindings) == {"m.client": "httpx.Client", "m.K.api": "httpx.Client", "m.K.raw": "httpx.Client"}
    assert ("m.notify", "pkg.mail.send") in facts.aliases
    assert dict(facts.inits) == {"m.K": "m.K.__init__"}


def test_combine_fixed_point_reexports_and_cycles(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pkg/__init__.py": "from .mail import send as notify\n",
            "pkg/mail.py": """
                import smtplib

                def send(to):
                    return _go(to)

                def _go(to):
                    smtplib.SMTP("x")
                    return send(to)  # a cycle back to send
            """,
            "app.py": """
                from pkg import notify
                import pkg.mail as mail

                def a():
                    return notify("x")

                def b():
                    return mail.send("y")

                def c():
                    return getattr(mail, "send")("z")

                async def d():
                    return notify("w")
            """,
        },
    )
    project = gather_project(
        [tmp_path / "app.py"], {ID: Command.gather}, {ID: lambda per, pr: Command.combine(per, pr)}
    )
    facts = project.codemod_facts[ID]
    assert isinstance(facts, BlockingFacts)
    assert set(facts.blocking) == {"pkg.mail.send", "pkg.mail._go", "app.a", "app.b"}
    assert facts.blocking["app.a"] == ("app.a", "pkg.mail.send", "pkg.mail._go", "smtplib.SMTP")
    assert facts.why(facts.blocking["app.a"]) == "`a` calls `send`, which calls `_go`, which calls `smtplib.SMTP`"
    assert facts.resolve("pkg.notify") == "pkg.mail.send"
    assert set(facts.compute(cat.Catalogue(not_blocking=("pkg.mail._go",)))) == set()


# -- whole projects --------------------------------------------------------------------------


def test_project_on_disk_with_opaque_module(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "main.py": """
                from fastapi import FastAPI
                from helpers import fetch
                from modern import fetch_modern

                async def h(u):
                    fetch_modern(u)
                    return fetch(u)
            """,
            "helpers.py": "import requests\n\ndef fetch(u):\n    return requests.get(u)\n",
            # PEP 695 syntax: stdlib ``ast`` on 3.11 cannot read it, so its facts are unknown
            "modern.py": "import requests\n\ntype Url = str\n\ndef fetch_modern(u):\n    return requests.get(u)\n",
        },
    )
    results = run_tree(tmp_path, Options(select=(ID,)), write=True)
    assert not [r.failure for r in results.values() if r.failure]
    main = (tmp_path / "main.py").read_text()
    assert "return await run_in_threadpool(fetch, u)" in main
    assert "    fetch_modern(u)\n" in main
    assert not results["helpers.py"].changed


# -- ruff's view of the rewritten fixtures ---------------------------------------------------


def test_ruff_async_rules_find_only_display_only_sites(tmp_path: Path) -> None:
    """Rewritten fixtures (default options, no expected skips) keep only the display-only sites."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.skip("ruff is not installed")
    expected: dict[str, set[int]] = {}
    for after in sorted((FIXTURES / ID).glob("*.after.py")):
        case = after.with_name(after.name[: -len(".after.py")])
        options, meta = case_options(case)
        if meta:
            continue  # configured or suppressed on purpose
        shutil.copy(after, tmp_path / after.name)
        again = run(ID, after.read_text(encoding="utf-8"), options, path=after)
        expected[after.name] = {c.line for c in again.changes if c.safety is Safety.DISPLAY_ONLY}
    assert len(expected) >= 20
    out = subprocess.run(
        [ruff, "check", "--isolated", "--no-cache", "--select", "ASYNC", "--output-format", "json", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    found = {(Path(d["filename"]).name, d["location"]["row"]) for d in json.loads(out.stdout)}
    allowed = {(name, line) for name, lines in expected.items() for line in lines}
    assert found, "the display-only sites should still be flagged"
    assert found <= allowed, sorted(found - allowed)


def test_async_def_nested_in_sync_code_is_still_rewritten() -> None:
    # sync functions without an async def inside are not traversed; one with is
    result = rewritten(FASTAPI + IMPORT + dedent("""
        import time

        def outer():
            time.sleep(1)
            class Inner:
                async def handler(self):
                    time.sleep(2)
            return Inner

        def plain():
            time.sleep(3)
        """))
    assert "await asyncio.sleep(2)" in result.code
    assert result.code.count("time.sleep(") == 2
    assert [c.line for c in result.changes] == [9]
