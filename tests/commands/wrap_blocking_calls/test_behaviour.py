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

from ...conftest import run_cli
from ...helpers import FIXTURES, dedent

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


# -- trio and anyio programs: the offload and the sleep of the loop that runs them ------------

BLOCKING_HELPERS = '''
import subprocess
import sys
import threading
import time


def note(what: str) -> None:
    """Say on stderr whether a helper ran on the event loop's thread."""
    on_loop = threading.current_thread() is threading.main_thread()
    print(f"{what}: {'loop thread' if on_loop else 'worker thread'}", file=sys.stderr)


def write_numbers(path: str, numbers: list[int], *, sep: str = ",") -> None:
    """Blocking helper: file I/O, called with a keyword argument."""
    note("write_numbers")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(sep.join(str(n) for n in numbers))


def read_total(path: str) -> int:
    """Blocking helper: file I/O."""
    note("read_total")
    with open(path, encoding="utf-8") as fh:
        return sum(int(part) for part in fh.read().split(";"))
'''

TRIO_PROGRAM = BLOCKING_HELPERS + '''
import trio


async def main(path: str) -> None:
    time.sleep(0.01)
    write_numbers(path, [1, 2, 3, 4], sep=";")
    total = read_total(path)
    child = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True, check=True)
    print("total", total)
    print("child", child.stdout.strip())


trio.run(main, sys.argv[1])
'''

ANYIO_PROGRAM = BLOCKING_HELPERS + '''
import anyio


async def main(path: str) -> None:
    time.sleep(0.01)
    write_numbers(path, [5, 6, 7], sep=";")
    total = read_total(path)
    child = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True, check=True)
    print("total", total)
    print("child", child.stdout.strip())


anyio.run(main, sys.argv[1], backend=sys.argv[2])
'''


def rewrite_program(tmp_path: Path, name: str, source: str, threadpool: str) -> Path:
    """``source`` rewritten by the real CLI, with ``threadpool`` set in the project's
    ``pyproject.toml``, in its own directory under ``tmp_path``."""
    project = tmp_path / f"{name}-{threadpool}"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[tool.codemod.wrap-blocking-calls]\nthreadpool = "{threadpool}"\n', encoding="utf-8"
    )
    program = project / "program.py"
    program.write_text(source, encoding="utf-8")
    applied = run_cli(["apply", "--select", ID, "--no-cache", "program.py"], cwd=project)
    assert applied.returncode == 0, applied.stderr.decode()
    assert program.read_text(encoding="utf-8") != source
    return program


def run_program(program: Path, *args: str) -> subprocess.CompletedProcess[str]:
    data = program.parent / "numbers.txt"
    return subprocess.run(
        [sys.executable, str(program), str(data), *args],
        cwd=program.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def original(tmp_path: Path, source: str, *args: str) -> subprocess.CompletedProcess[str]:
    program = tmp_path / "original" / "program.py"
    program.parent.mkdir(exist_ok=True)
    program.write_text(source, encoding="utf-8")
    ran = run_program(program, *args)
    assert ran.returncode == 0, ran.stderr
    assert "worker thread" not in ran.stderr  # the helpers block the loop as written
    return ran


def test_trio_program_rewritten_for_trio_runs_the_same(tmp_path: Path) -> None:
    before = original(tmp_path, TRIO_PROGRAM)
    assert before.stdout == "total 10\nchild 42\n"
    program = rewrite_program(tmp_path, "trio", TRIO_PROGRAM, "trio")
    after = run_program(program)
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout
    assert after.stderr.splitlines() == ["write_numbers: worker thread", "read_total: worker thread"]
    code = program.read_text(encoding="utf-8")
    for line in (
        "    await trio.sleep(0.01)",
        '    await trio.to_thread.run_sync(functools.partial(write_numbers, path, [1, 2, 3, 4], sep=";"))',
        "    total = await trio.to_thread.run_sync(read_total, path)",
        "    child = await trio.to_thread.run_sync(functools.partial(subprocess.run, "
        '[sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True, check=True))',
    ):
        assert line in code.splitlines(), code
    assert "asyncio" not in code


@pytest.mark.parametrize("first", ["asyncio.sleep", "asyncio.to_thread"])
def test_trio_program_rewritten_for_asyncio_fails(tmp_path: Path, first: str) -> None:
    # the failure the trio choice fixes: asyncio's sleep and to_thread need asyncio's loop
    source = TRIO_PROGRAM if first == "asyncio.sleep" else TRIO_PROGRAM.replace("    time.sleep(0.01)\n", "")
    program = rewrite_program(tmp_path, "trio", source, "asyncio")
    assert f"    await {first}(" in program.read_text(encoding="utf-8")
    after = run_program(program)
    assert after.returncode != 0
    assert f"await {first}(" in after.stderr and "RuntimeError: no running event loop" in after.stderr, after.stderr


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_anyio_program_rewritten_for_anyio_runs_the_same_on_both_backends(tmp_path: Path, backend: str) -> None:
    before = original(tmp_path, ANYIO_PROGRAM, backend)
    assert before.stdout == "total 18\nchild 42\n"
    program = rewrite_program(tmp_path, "anyio", ANYIO_PROGRAM, "anyio")
    after = run_program(program, backend)
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout
    assert after.stderr.splitlines() == ["write_numbers: worker thread", "read_total: worker thread"]
    code = program.read_text(encoding="utf-8")
    for line in (
        "    await anyio.sleep(0.01)",
        '    await anyio.to_thread.run_sync(functools.partial(write_numbers, path, [5, 6, 7], sep=";"))',
        "    total = await anyio.to_thread.run_sync(read_total, path)",
    ):
        assert line in code.splitlines(), code
    assert "asyncio" not in code


def test_anyio_program_rewritten_for_asyncio_fails_on_the_trio_backend(tmp_path: Path) -> None:
    program = rewrite_program(tmp_path, "anyio", ANYIO_PROGRAM, "asyncio")
    assert run_program(program, "asyncio").returncode == 0  # asyncio's calls need asyncio's loop ...
    after = run_program(program, "trio")  # ... which anyio's trio backend does not run
    assert after.returncode != 0
    assert "RuntimeError: no running event loop" in after.stderr, after.stderr
