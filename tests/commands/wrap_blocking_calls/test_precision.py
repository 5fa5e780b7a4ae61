"""``wrap-blocking-calls`` wrong rewrites of issue 19, each run against the code it breaks where
behaviour matters: thread-bound objects made by project functions, comments that keep a call,
awaited values, a name clash in one function, ``# noqa`` per linter code, and imports the
rewrite leaves unused."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from codemods.types import Options, Safety

from ...helpers import assert_codemod, dedent, run, run_tree, write_tree

ID = "wrap-blocking-calls"


def rewrite_tree(tmp_path: Path, files: dict[str, str], path: str) -> tuple[str, Any]:
    write_tree(tmp_path, files)
    results = run_tree(tmp_path, Options(select=(ID,)), write=True)
    return (tmp_path / path).read_text(encoding="utf-8"), results[path]


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"wbp_{path.stem}_{abs(hash(path))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- 1. objects bound to the thread that makes them --------------------------------------------

DB = """
    import sqlite3

    DB = None


    def connect(path):
        conn = sqlite3.connect(path)
        conn.row_factory = sqlite3.Row
        return conn


    def init_db(path):
        global DB
        DB = sqlite3.connect(path)


    def purge(path):
        conn = connect(path)
        conn.execute("create table if not exists t (x)")
        conn.execute("delete from t")
        conn.commit()
        conn.close()


    class Database:
        def __init__(self, path):
            self.conn = sqlite3.connect(path)


    async def returned(path):
        conn = connect(path)
        return conn.execute("select 1").fetchone()[0]


    async def kept_in_a_global(path):
        init_db(path)
        return DB.execute("select 2").fetchone()[0]


    async def kept_in_an_attribute(path):
        db = Database(path)
        return db.conn.execute("select 3").fetchone()[0]


    async def made_and_used_in_the_worker(path):
        purge(path)
        return 4
    """


def test_a_thread_bound_object_made_by_a_project_function_stays_on_the_loop(tmp_path: Path) -> None:
    """`conn = connect(path)` offloaded, then `conn.execute(...)` on the loop: sqlite3 raises
    `ProgrammingError: SQLite objects created in a thread can only be used in that same thread`."""
    code, result = rewrite_tree(
        tmp_path, {"svc/requirements.txt": "requests\n", "svc/db.py": DB}, "svc/db.py"
    )
    module = load(tmp_path / "svc/db.py")
    path = str(tmp_path / "x.db")
    for number, name in enumerate(
        ["returned", "kept_in_a_global", "kept_in_an_attribute", "made_and_used_in_the_worker"]
    ):
        assert asyncio.run(getattr(module, name)(path)) == number + 1, name
    # the unit of work that makes, uses and closes its own connection is still offloaded
    assert "await asyncio.to_thread(purge, path)" in code
    reports = {
        c.message.split("`")[1]: c.message
        for c in result.changes
        if c.safety is Safety.DISPLAY_ONLY
    }
    assert "its result, which may be that object, is used here" in reports["connect"]
    assert (
        "may keep it beyond the call" in reports["init_db"]
        and "may keep it beyond the call" in reports["Database"]
    )


# -- 2. comments saying the blocking is deliberate ----------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "    time.sleep(0.2)  # block the event loop on purpose: the test measures the stall\n",
        "    # Deliberately blocking: this checks that the watchdog notices a stuck loop.\n    time.sleep(0.2)\n",
        "    # intentionally synchronous\n    # (see the stall test)\n    time.sleep(0.2)\n",
    ],
)
def test_a_comment_saying_the_blocking_is_deliberate_keeps_the_call(code: str) -> None:
    source = "import time\n\n\nasync def stall():\n" + code
    result = assert_codemod(ID, source, changes=0)
    [skip] = result.skips
    assert (
        skip.reason.startswith("kept: the comment `#")
        and "says the blocking is deliberate" in skip.reason
    )


def test_a_comment_that_only_names_the_problem_does_not_keep_the_call() -> None:
    source = "import time\n\n\nasync def stall():\n    time.sleep(0.2)  # FIXME: this blocks the event loop\n"
    assert "await asyncio.sleep(0.2)  # FIXME" in run(ID, source).code


# -- 3. awaited values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr",
    [
        "(x := requests.get(u))",
        "(requests.get(u) if u else requests.post(u))",
        "(requests.get(u) or requests.post(u))",
        "((requests.get(u)))",
    ],
)
def test_a_call_whose_value_is_awaited_is_not_rewritten(expr: str) -> None:
    """`await (x := bar())` became `await (x := await asyncio.to_thread(bar))`: `bar()` returns
    the awaitable, it is not a blocking call to offload."""
    source = f"import requests\n\n\nasync def f(u):\n    return await {expr}\n"
    assert_codemod(ID, source, changes=0)


def test_a_blocking_argument_of_an_awaited_call_is_still_rewritten() -> None:
    """Its value is not awaited: it is computed on the loop before the awaited call starts."""
    source = "import requests\n\n\nasync def f(client, u):\n    return await client.send(requests.get(u).text)\n"
    code = run(ID, source).code
    assert "await client.send((await asyncio.to_thread(requests.get, u)).text)" in code


# -- 5. a name the rewrite needs, bound in one function ------------------------------------------


def test_a_parameter_named_like_the_library_stops_only_its_own_function() -> None:
    source = dedent("""
        import requests


        async def uses_a_parameter(u, asyncio=None):
            return requests.get(u)


        async def plain(u):
            return requests.get(u)
        """)
    result = run(ID, source)
    assert "return await asyncio.to_thread(requests.get, u)" in result.code
    assert "async def uses_a_parameter(u, asyncio=None):\n    return requests.get(u)" in result.code
    assert [s.reason for s in result.skips] == [
        "`asyncio` is bound to something else in this function"
    ]


@pytest.mark.parametrize(
    "binding", ["asyncio = None\n", "def g():\n    global asyncio\n    asyncio = None\n"]
)
def test_a_module_level_binding_still_stops_every_site(binding: str) -> None:
    source = f"import requests\n\n{binding}\n\nasync def f(u):\n    return requests.get(u)\n"
    assert_codemod(ID, source, skips=["`asyncio` is bound to something else in this file"])


# -- 6. noqa comments, per linter code ------------------------------------------------------

CALLS = {
    "http": "requests.get(u)",
    "sleep": "time.sleep(1)",
    "open": "open(u)",
    "process": "subprocess.run(u)",
    "wait": "os.waitpid(0, 0)",
    "path": "os.path.exists(u)",
    "input": "input(u)",
    "project": "send(u)",
}
#: code -> the calls it keeps (every other call on that line is rewritten)
KEEPS = {
    "ASYNC210": {"http", "project"},
    "ASYNC212": {"http", "project"},
    "ASYNC221": {"process", "wait", "project"},
    "ASYNC222": {"process", "wait", "project"},
    "ASYNC230": {"open", "project"},
    "ASYNC240": {"path", "project"},
    "ASYNC250": {"input", "project"},
    "ASYNC251": {"sleep", "project"},
    "ASYNC200": set(CALLS),
    "E501": set(),
}
HEADER = "import os\nimport subprocess\nimport time\n\nimport requests\n\n\ndef send(u):\n    return requests.post(u)\n\n\n"


@pytest.mark.parametrize("code", KEEPS)
@pytest.mark.parametrize("kind", CALLS)
def test_a_noqa_code_keeps_only_the_calls_of_its_rule(code: str, kind: str) -> None:
    source = HEADER + f"async def f(u):\n    return {CALLS[kind]}  # noqa: {code}\n"
    result = run(ID, source)
    kept = "await" not in result.code
    assert kept == (kind in KEEPS[code]), result.code
    if kept:
        assert [s.reason for s in result.skips] == [f"kept by `# noqa: {code}`"]


# -- 4. imports the rewrite left unused --------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("import time\n", ""),
        ("import os, time\n", "import os\n"),
        ("import time as t\n", ""),
        ("from time import sleep, monotonic\n", "from time import monotonic\n"),
        ("# standard library\n\nimport time\nimport os\n", "# standard library\n\nimport os\n"),
    ],
)
def test_an_import_the_rewrite_left_unused_is_removed(tmp_path: Path, before: str, after: str) -> None:
    call = (
        "t.sleep(1)"
        if " as t" in before
        else "sleep(1)"
        if "from time" in before
        else "time.sleep(1)"
    )
    body = f"\n\nasync def f():\n    {call}\n    return os.sep if 0 else {'monotonic()' if 'monotonic' in before else 1}\n"
    # another file in the view: who imports this module is known (see the kept cases below)
    code, _ = rewrite_tree(tmp_path, {"svc/mod.py": before + body, "svc/other.py": "pass\n"}, "svc/mod.py")
    assert code.replace("import asyncio\n", "", 1) == after + body.replace(call, "await asyncio.sleep(1)")


@pytest.mark.parametrize(
    "source",
    [
        "import time\n\nNOW = time.time()\n",
        "import time\n\n__all__ = ['time']\n",
        "import time  # noqa: F401\n",
        "import time\n\n\ndef stamp() -> 'time.struct_time':\n    return None\n",
        "if True:\n    import time\n",
    ],
)
def test_an_import_still_read_or_seen_is_kept(source: str) -> None:
    result = run(ID, source + "\n\nasync def f():\n    time.sleep(1)\n")
    assert "await asyncio.sleep(1)" in result.code
    assert "import time" in result.code


def test_an_import_unused_before_the_rewrite_is_kept(tmp_path: Path) -> None:
    files = {"svc/mod.py": "import os\nimport time\n\n\nasync def f():\n    time.sleep(1)\n", "svc/other.py": "pass\n"}
    code, _ = rewrite_tree(tmp_path, files, "svc/mod.py")
    assert code.startswith("import asyncio\nimport os\n\n")


def test_an_import_other_modules_take_from_this_one_is_kept(tmp_path: Path) -> None:
    files = {
        "svc/requirements.txt": "requests\n",
        "svc/clock.py": "from time import sleep\n\n\nasync def nap():\n    sleep(1)\n",
        "svc/user.py": "from clock import sleep\n\nsleep(0)\n",
    }
    code, _ = rewrite_tree(tmp_path, files, "svc/clock.py")
    assert "from time import sleep\n" in code
    files["svc/__init__.py"] = ""
    files["svc/user.py"] = "pass\n"
    code, _ = rewrite_tree(tmp_path / "alone", files, "svc/clock.py")
    assert "from time import sleep" not in code


def test_the_rewritten_files_are_ruff_f401_clean(tmp_path: Path) -> None:
    """Found on real apps: `time.sleep(1)` became `await asyncio.sleep(1)` and left
    `import time` unused (a new F401)."""
    files = {
        "svc/requirements.txt": "requests\n",
        "svc/a.py": "import time\n\nimport requests\n\n\nasync def f(u):\n    time.sleep(1)\n    return requests.get(u)\n",
        "svc/b.py": "from time import sleep\n\n\nasync def f():\n    sleep(1)\n",
    }
    write_tree(tmp_path, files)
    ruff = [
        str(Path(sys.executable).parent / "ruff"),
        "check",
        "--isolated",
        "--no-cache",
        "--select",
        "F",
        "svc",
    ]
    assert subprocess.run(ruff, cwd=tmp_path, capture_output=True, check=False).returncode == 0
    run_tree(tmp_path, Options(select=(ID,)), write=True)
    assert "await asyncio.sleep(1)" in (tmp_path / "svc/a.py").read_text(encoding="utf-8")
    done = subprocess.run(ruff, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
