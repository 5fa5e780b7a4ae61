"""``wrap-blocking-calls`` wrong rewrites found by the cold review of issue 19: imports removed
while something else still reads them, comments that kept calls their author never meant, a
connection kept by a project function, and files taken for tests or one-shot scripts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codemods.types import FileResult, Options

from ...helpers import run, run_tree, write_tree

ID = "wrap-blocking-calls"
SLEEPER = "import time\n\n\nasync def wait():\n    time.sleep(1)\n"


def rewrite(root: Path, files: dict[str, str]) -> dict[str, FileResult]:
    write_tree(root, {"requirements.txt": "fastapi\nrequests\n", **files})
    return run_tree(root, Options(select=(ID,)), write=True)


def test_an_import_a_star_importer_reads_is_kept(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/helpers.py": SLEEPER,
        "app/uses_star.py": "from app.helpers import *\n\n\ndef stamp():\n    return time.time()\n",
    }
    rewrite(tmp_path, files)
    code = (tmp_path / "app/helpers.py").read_text(encoding="utf-8")
    assert "await asyncio.sleep(1)" in code and "import time\n" in code
    subprocess.run(
        [sys.executable, "-c", "from app.uses_star import stamp; stamp()"], cwd=tmp_path, check=True
    )


def test_an_import_a_dotted_string_of_another_module_names_is_kept(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/worker.py": SLEEPER,
        "tests/test_worker.py": (
            "from unittest import mock\n\n\ndef test_wait():\n"
            '    with mock.patch("app.worker.time.sleep"):\n        pass\n'
        ),
    }
    rewrite(tmp_path, files)
    code = (tmp_path / "app/worker.py").read_text(encoding="utf-8")
    assert "await asyncio.sleep(1)" in code and "import time\n" in code
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from unittest import mock\nwith mock.patch('app.worker.time.sleep'): pass",
        ],
        cwd=tmp_path,
        check=True,
    )


@pytest.mark.parametrize(
    "extra",
    [
        'def now():\n    """\n    >>> time.monotonic() > 0\n    True\n    """\n',
        'def now():\n    return eval("time.time()")\n',
    ],
)
def test_an_import_a_string_of_the_file_may_read_is_kept(tmp_path: Path, extra: str) -> None:
    rewrite(tmp_path, {"svc/mod.py": SLEEPER + "\n\n" + extra, "svc/other.py": "pass\n"})
    code = (tmp_path / "svc/mod.py").read_text(encoding="utf-8")
    assert "await asyncio.sleep(1)" in code and "import time\n" in code


def test_an_import_with_a_comment_above_is_kept(tmp_path: Path) -> None:
    source = "import os\n# time: for the retry backoff below\nimport time\n\n\nasync def wait():\n    time.sleep(os.cpu_count() or 1)\n"
    rewrite(tmp_path, {"svc/mod.py": source, "svc/other.py": "pass\n"})
    code = (tmp_path / "svc/mod.py").read_text(encoding="utf-8")
    assert "# time: for the retry backoff below\nimport time\n" in code


def test_the_import_is_still_removed_when_nothing_else_can_read_it(tmp_path: Path) -> None:
    """The rules above keep what may be read; this is what they leave to remove."""
    rewrite(tmp_path, {"svc/mod.py": SLEEPER, "svc/other.py": "import mod\n\nmod.wait\n"})
    assert "import time" not in (tmp_path / "svc/mod.py").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "code",
    [
        "    # Intentionally no cache here: the price changes every call.\n    return requests.get(url)\n",
        "    return requests.get(\n        url,\n        timeout=2,  # deliberately short timeout\n    )\n",
    ],
)
def test_a_deliberate_comment_about_something_else_does_not_keep_the_call(code: str) -> None:
    source = "import requests\n\n\nasync def price(url):\n" + code
    assert "await asyncio.to_thread(" in run(ID, source).code


def test_a_script_that_starts_the_project_s_server_is_rewritten(tmp_path: Path) -> None:
    """``run.py`` awaits a first-party ``start_background()`` that serves the app in a task:
    its blocking call would stall the server."""
    files = {
        "app/__init__.py": "",
        "app/server.py": (
            "import asyncio\n\n\nasync def start_background():\n"
            "    return asyncio.create_task(asyncio.sleep(0))\n"
        ),
        "run.py": (
            "import asyncio\n\nimport requests\n\nfrom app.server import start_background\n\n\n"
            "async def main():\n    await start_background()\n    requests.get('http://localhost')\n\n\n"
            'if __name__ == "__main__":\n    asyncio.run(main())\n'
        ),
    }
    rewrite(tmp_path, files)
    assert "await run_in_threadpool(requests.get, " in (tmp_path / "run.py").read_text(
        encoding="utf-8"
    )


def test_a_production_module_named_like_a_test_is_rewritten(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/services/__init__.py": "",
        "app/services/test_results.py": (
            "import requests\n\n\nasync def fetch_results():\n"
            "    return requests.get('http://localhost').json()\n"
        ),
        "app/main.py": (
            "from fastapi import FastAPI\n\nfrom app.services.test_results import fetch_results\n\n"
            "app = FastAPI()\n\n\n@app.get('/')\nasync def results():\n    return await fetch_results()\n"
        ),
    }
    rewrite(tmp_path, files)
    code = (tmp_path / "app/services/test_results.py").read_text(encoding="utf-8")
    assert "await run_in_threadpool(requests.get, " in code


def test_a_file_named_like_a_test_that_nothing_imports_and_looks_like_one_is_still_quiet(
    tmp_path: Path,
) -> None:
    source = "import pytest\nimport requests\n\n\nasync def test_fetch():\n    requests.get('http://x')\n"
    results = rewrite(tmp_path, {"app/test_fetch.py": source, "app/main.py": "VALUE = 1\n"})
    assert not any(c.applied for c in results["app/test_fetch.py"].changes)


def test_a_connection_a_project_function_keeps_in_a_list_stays_on_the_loop(tmp_path: Path) -> None:
    """``open_db`` appends its connection to a pool the routes use: offloaded, the connection
    belongs to a worker thread and every route's ``execute`` raises ``ProgrammingError``."""
    app = (
        "import sqlite3\n\nfrom fastapi import FastAPI\n\n_pool = []\n\n\n"
        "def open_db(p):\n    conn = sqlite3.connect(p)\n    _pool.append(conn)\n\n\n"
        "app = FastAPI()\n\n\n@app.on_event('startup')\nasync def startup():\n    open_db(':memory:')\n\n\n"
        "@app.get('/')\nasync def root():\n    return _pool[0].execute('select 1').fetchone()[0]\n"
    )
    rewrite(tmp_path, {"svc/app.py": app, "svc/other.py": "pass\n"})
    check = (
        "import warnings; warnings.simplefilter('ignore')\n"
        "from fastapi.testclient import TestClient\nfrom app import app\n"
        "with TestClient(app) as client:\n    assert client.get('/').json() == 1\n"
    )
    subprocess.run([sys.executable, "-c", check], cwd=tmp_path / "svc", check=True)


# -- found by running other projects' ASYNC2xx rule fixtures through the tool ---------------


@pytest.mark.parametrize(
    "call",
    ["os.path.normpath(p)", "os.path.abspath(p)", "os.path.relpath(p)", "os.path.expanduser(p)", "pathlib.Path.cwd()"],
)
def test_string_work_ruff_flags_is_not_offloaded(call: str) -> None:
    """ruff's ASYNC240 flags these in an `async def`, but they do no I/O (at most a `getcwd`):
    a thread hop would only add cost to the diff and to every call."""
    code = f"import os.path\nimport pathlib\n\n\nasync def f(p):\n    return {call}\n"
    result = run(ID, code, Options(select=(ID,)))
    assert result.code == code
    assert any("string work" in s.reason for s in result.skips)


def test_a_context_manager_factory_is_not_offloaded_when_called() -> None:
    """`httpx.Client.stream` is a `@contextmanager`: calling it does no I/O, entering it does.
    Offloading the call would leave the real blocking on the loop and look fixed."""
    code = (
        "import httpx\n\n\nasync def lazy(client: httpx.Client, url):\n"
        '    cm = client.stream("GET", url)\n    with cm as r:\n        return r.read(), httpx.stream\n'
    )
    result = run(ID, code, Options(select=(ID,)))
    assert result.code == code
    assert any("does its I/O when entered" in s.reason for s in result.skips)


def test_a_with_over_a_stream_is_still_reported() -> None:
    code = (
        "import httpx\n\n\nasync def get(client: httpx.Client, url):\n"
        '    with client.stream("GET", url) as r:\n        return r.read()\n'
    )
    (change,) = run(ID, code, Options(select=(ID,))).changes
    assert "Blocking context manager" in change.message and not change.applied
