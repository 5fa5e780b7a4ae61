"""``wrap-blocking-calls`` and objects bound to the thread that made them (issue 19): methods of
module-level instances of the project's classes, project functions that use a connection made
elsewhere, and connections a project function stores without naming them. Each rewritten file
runs with a real ``sqlite3`` connection, which raises ``ProgrammingError`` when another thread
uses it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from codemods.types import Safety

from ...helpers import run_python
from .test_precision import load, rewrite_tree


def rewrite(root: Path, files: dict[str, str], path: str) -> tuple[str, Any]:
    return rewrite_tree(root, {"svc/requirements.txt": "fastapi\n", **files}, path)


def runs(root: Path, check: str) -> None:
    """``check`` passes in a fresh interpreter in ``root`` (its own ``sys.modules``)."""
    done = run_python(root, check)
    assert done.returncode == 0, done.stderr


def display_only(result: Any) -> dict[str, str]:
    """The display-only messages, by the call they name."""
    return {
        c.message.split("`")[1]: c.message
        for c in result.changes
        if c.safety is Safety.DISPLAY_ONLY
    }


# -- methods of module-level instances of the project's classes --------------------------------

STORE = """
    import sqlite3


    class Database:
        def __init__(self, path):
            self.conn = sqlite3.connect(path)
            self.conn.execute("create table users (id, name)")
            self.conn.execute("insert into users values (1, 'ann')")

        def fetch_user(self, uid):
            return self.conn.execute("select name from users where id = ?", (uid,)).fetchone()[0]


    class Files:
        def read(self, path):
            with open(path, encoding="utf-8") as handle:
                return handle.read()


    class Reader(Files):
        def read_again(self, path):
            with open(path, encoding="utf-8") as handle:
                return handle.read()


    class Wrapper:
        def __init__(self, conn):
            self.conn = conn

        def first(self, path):
            with open(path, encoding="utf-8") as handle:
                handle.read()
            return self.conn.execute("select 1").fetchone()[0]


    class Counter:
        def __init__(self):
            self.hits = 0

        def bump(self, path):
            with open(path, encoding="utf-8") as handle:
                handle.read()
            self.hits += 1
            return self.hits


    class Lines(list):
        def load(self, path):
            with open(path, encoding="utf-8") as handle:
                return handle.readline()


    CONN = sqlite3.connect(":memory:")
    db = Database(":memory:")
    files = Files()
    reader = Reader()
    wrapped = Wrapper(CONN)
    counter = Counter()
    lines = Lines()


    def user_name(uid):
        with open(__file__, encoding="utf-8") as handle:
            handle.read()
        return db.fetch_user(uid)


    def text_of(path):
        return files.read(path)
    """

APP = """
    from store import counter, db, files, lines, reader, text_of, user_name, wrapped

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/")
    async def root():
        return {
            "name": db.fetch_user(1),
            "text": files.read(__file__)[:4],
            "again": user_name(1),
            "through": text_of(__file__)[:4],
            "reader": reader.read_again(__file__)[:4],
            "wrapped": wrapped.first(__file__),
            "hits": counter.bump(__file__),
            "line": lines.load(__file__)[:4],
        }
    """


def test_methods_of_module_level_instances_are_offloaded_only_when_nothing_binds_them(
    tmp_path: Path,
) -> None:
    """``files.read`` (and ``reader.read_again``: a base of the project that holds nothing) and
    ``text_of``, which calls it, move to the threadpool. Left on the loop, with the reason:
    ``db.fetch_user`` and ``user_name`` (the connection ``Database.__init__`` made on the loop's
    thread, at import), ``wrapped.first`` (built from a module-level connection),
    ``counter.bump`` (every request shares ``counter``, whose method changes it) and
    ``lines.load`` (a base class not read here). The app is served on the thread that imported
    it (as uvicorn does), by a real ASGI client."""
    code, result = rewrite(tmp_path, {"svc/store.py": STORE, "svc/main.py": APP}, "svc/main.py")
    for call in ("files.read", "text_of", "reader.read_again"):
        assert f"(await run_in_threadpool({call}, __file__))[:4]" in code
    reports = display_only(result)
    assert "it uses `Database.conn`, a `Connection`" in reports["db.fetch_user"]
    assert "`Database.fetch_user`, which it calls, uses `Database.conn`" in reports["user_name"]
    assert (
        "`Wrapper.conn`, which may hold an object bound to the thread" in reports["wrapped.first"]
    )
    for call, cls in (("counter.bump", "Counter"), ("lines.load", "Lines")):
        assert f"one `{cls}` shared by every request" in reports[call]
    check = (
        "import asyncio, httpx, main\n"
        "async def get():\n"
        "    transport = httpx.ASGITransport(app=main.app)\n"
        "    async with httpx.AsyncClient(transport=transport, base_url='http://t') as client:\n"
        "        return (await client.get('/')).json()\n"
        "body = asyncio.run(get())\n"
        "assert body == {'name': 'ann', 'text': 'from', 'again': 'ann', 'through': 'from', "
        "'reader': 'from', 'wrapped': 1, 'hits': 1, 'line': 'from'}, body\n"
    )
    runs(tmp_path / "svc", check)


LOOP_THREAD = """
    import sqlite3

    CONN = sqlite3.connect(":memory:")


    def touch():
        CONN.execute("select 1")


    def conn():
        return CONN


    def through_a_getter():
        open(__file__, encoding="utf-8").close()
        conn().execute("select 1")


    class Repo:
        def __init__(self):
            self.conn = sqlite3.connect(":memory:")

        def count(self):
            self.conn.execute("select 1")

        async def handler(self):
            self.count()
            return 1


    async def main():
        touch()
        through_a_getter()
        return await Repo().handler()
    """


def test_a_project_function_using_a_connection_made_on_the_loop_stays_there(tmp_path: Path) -> None:
    """Offloaded, ``touch`` (a module-level connection), ``through_a_getter`` (the same, from a
    project function) and ``self.count`` (a connection ``__init__`` made) raise
    ``ProgrammingError`` in the worker thread."""
    code, result = rewrite(tmp_path, {"svc/jobs.py": LOOP_THREAD}, "svc/jobs.py")
    assert asyncio.run(load(tmp_path / "svc/jobs.py").main()) == 1
    assert "run_in_threadpool" not in code
    reports = display_only(result)
    assert "it uses `CONN`, a `Connection` bound to the thread that made it" in reports["touch"]
    assert "`conn`, which it calls, uses `CONN`" in reports["through_a_getter"]
    assert "it uses `Repo.conn`, a `Connection`" in reports["self.count"]


# -- connections a project function stores without naming them --------------------------------

#: (module-level container, the statement of ``open_db`` storing a new connection, how a route
#: reaches it)
UNNAMED = {
    "append": ("[]", "_pool.append(sqlite3.connect(p))", "_pool[0]"),
    "extend": ("[]", "_pool.extend([sqlite3.connect(p)])", "_pool[0]"),
    "insert": ("[]", "_pool.insert(0, sqlite3.connect(p))", "_pool[0]"),
    "add": ("set()", "_pool.add(sqlite3.connect(p))", "next(iter(_pool))"),
    "setdefault": ("{}", "_pool.setdefault('main', sqlite3.connect(p))", "_pool['main']"),
    "__setitem__": ("{}", "_pool.__setitem__('main', sqlite3.connect(p))", "_pool['main']"),
    "dict literal": ("{}", "_pool.update({'main': sqlite3.connect(p)})", "_pool['main']"),
    "in a tuple": ("[]", "_pool.append(('main', sqlite3.connect(p)))", "_pool[0][1]"),
    "walrus": ("[]", "_pool.append(conn := sqlite3.connect(p))", "_pool[0]"),
    "local dict": (
        "[]",
        "d = {}\n    d['c'] = sqlite3.connect(p)\n    _pool.append(d)",
        "_pool[0]['c']",
    ),
    "for loop": ("[]", "for c in [sqlite3.connect(p)]:\n        _pool.append(c)", "_pool[0]"),
}


def test_a_connection_stored_unnamed_by_a_project_function_stays_on_the_loop(
    tmp_path: Path,
) -> None:
    """``open_db`` runs at startup and stores its connection in a module-level container the
    routes use: offloaded, the connection belongs to a worker thread and every route raises
    ``ProgrammingError``. A helper that only uses and closes its own connection still moves."""
    parts = [
        "import sqlite3\nfrom contextlib import closing\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
    ]
    for number, (container, store, reach) in enumerate(UNNAMED.values()):
        parts.append(
            f"_pool{number} = {container}\n\n\ndef open_db{number}(p):\n"
            f"    {store.replace('_pool', f'_pool{number}')}\n\n\n"
            f"@app.on_event('startup')\nasync def startup{number}():\n    open_db{number}(':memory:')\n\n\n"
            f"@app.get('/{number}')\nasync def route{number}():\n"
            f"    return {reach.replace('_pool', f'_pool{number}')}.execute('select {number}').fetchone()[0]\n"
        )
    parts.append(
        "def own(p):\n    with closing(sqlite3.connect(p)) as c:\n        return c.execute('select 1').fetchone()[0]\n\n\n"
        "@app.get('/own')\nasync def own_route():\n    own(':memory:')\n    return 1\n"
    )
    source = "\n\n".join(parts)
    code, result = rewrite(tmp_path, {"svc/app.py": source, "svc/other.py": "pass\n"}, "svc/app.py")
    assert "await run_in_threadpool(own, ':memory:')" in code
    kept = display_only(result)
    assert all(f"open_db{n}" in kept for n in range(len(UNNAMED))), sorted(kept)
    check = (
        "import warnings; warnings.simplefilter('ignore')\n"
        "from fastapi.testclient import TestClient\nfrom app import app\nfailed = []\n"
        "with TestClient(app) as client:\n"
        f"    for n, name in enumerate({list(UNNAMED)!r}):\n"
        "        try:\n            assert client.get(f'/{n}').json() == n\n"
        "        except Exception as exc:\n            failed.append((name, repr(exc)))\n"
        "    assert client.get('/own').json() == 1\n"
        "assert not failed, failed\n"
    )
    runs(tmp_path / "svc", check)


@pytest.mark.parametrize(
    "body",
    [
        "conn = sqlite3.connect(p)\n    rows = conn.execute('select 1').fetchall()\n    print(len(rows))\n    conn.close()",
        "print(sqlite3.connect(p).execute('select 1').fetchone())",
        "conn = sqlite3.connect(p)\n    conn.execute('select ?', (p.upper(),))\n    conn.close()",
    ],
)
def test_a_helper_that_passes_on_only_values_read_from_its_connection_is_offloaded(
    tmp_path: Path, body: str
) -> None:
    """Passing the rows (``len(rows)``, ``print(...fetchone())``), or a value of a parameter's
    method (``p.upper()``), lets no connection out."""
    source = f"import sqlite3\n\n\ndef purge(p):\n    {body}\n\n\nasync def run(p):\n    purge(p)\n"
    code, _ = rewrite(tmp_path, {"svc/jobs.py": source}, "svc/jobs.py")
    assert "await run_in_threadpool(purge, p)" in code
