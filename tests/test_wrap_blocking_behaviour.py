"""``wrap-blocking-calls`` on running code: the rewrite lets the event loop make progress.

The app's async endpoint calls a sync helper that talks to a TCP server living on the *same*
event loop. Unwrapped, the helper blocks the loop, so the server can never answer and the helper
gives up at its timeout; wrapped, the loop is free and the answer arrives. No wall-clock
assertions: the outcome is "answered" or "timed out", and the timeout only bounds the test.
"""

from __future__ import annotations

import asyncio
import difflib
import importlib.util
import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from codemods.api import run_paths
from codemods.types import Options

from .conftest import run_cli
from .helpers import FIXTURES, dedent

ID = "wrap-blocking-calls"

APP = '''
"""A FastAPI app whose async endpoint calls a blocking sync helper."""
import asyncio
import socket

from fastapi import FastAPI

app = FastAPI()
TIMEOUT_SECONDS = 5.0


def fetch_greeting(port: int) -> str:
    """Blocking client: read the greeting of a server that runs on this process's event loop."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_SECONDS) as conn:
            return conn.recv(64).decode()
    except OSError:  # socket.timeout included
        return "timed out"


@app.get("/greeting")
async def greeting():
    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(greet, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        text = fetch_greeting(port)
    return {"greeting": text}
'''

_counter = itertools.count()


def load(path: Path) -> ModuleType:
    """Import ``path`` under a name no other test uses (no ``sys.modules`` clashes)."""
    name = f"_wrap_blocking_app_{os.getpid()}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call_greeting(module: ModuleType) -> str:
    async def go() -> str:
        transport = httpx.ASGITransport(app=module.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/greeting")
            response.raise_for_status()
            return str(response.json()["greeting"])

    return asyncio.run(go())


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    path = tmp_path / "service.py"
    path.write_text(dedent(APP), encoding="utf-8")
    return path


def test_unwrapped_helper_starves_the_loop(app_file: Path) -> None:
    assert call_greeting(load(app_file)) == "timed out"


def test_wrapped_helper_lets_the_loop_answer(app_file: Path) -> None:
    before = app_file.read_text(encoding="utf-8")
    results = list(run_paths([app_file], Options(select=(ID,)), write=True, jobs=1))
    assert [r.failure for r in results] == [None]
    after = app_file.read_text(encoding="utf-8")
    added = [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line.startswith("+ ")]
    assert added == [
        "+ from fastapi.concurrency import run_in_threadpool",
        "+         text = await run_in_threadpool(fetch_greeting, port)",
    ]
    assert call_greeting(load(app_file)) == "hello"


# -- the MetaGuardian fixture ----------------------------------------------------------------


def test_metaguardian_email_call_is_wrapped_and_its_suite_passes(tmp_path: Path) -> None:
    source = FIXTURES / "metaguardian"
    if not source.is_dir():
        pytest.skip("fixtures/metaguardian is not there yet")
    work = tmp_path / "metaguardian"
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.db"))
    before = (work / "main.py").read_text(encoding="utf-8")
    applied = run_cli(["apply", "--select", ID, "--no-cache", str(work)], cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr.decode()
    after = (work / "main.py").read_text(encoding="utf-8")
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    removed = [line[2:].strip() for line in diff if line.startswith("- ")]
    added = [line[2:].strip() for line in diff if line.startswith("+ ")]
    assert "success = send_assessment_email(request.email, request.assessment)" in removed
    assert "success = await run_in_threadpool(send_assessment_email, request.email, request.assessment)" in added
    assert "from fastapi.concurrency import run_in_threadpool" in added
    assert (work / "email_service.py").read_text(encoding="utf-8") == (source / "email_service.py").read_text(
        encoding="utf-8"
    )
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=work,
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert suite.returncode == 0, suite.stdout.decode()[-4000:]
