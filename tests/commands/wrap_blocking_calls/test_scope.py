"""``wrap-blocking-calls`` in tests and one-shot scripts: display-only by default
(``scripts-and-tests = "report"``), rewritten where concurrent work could be protected, and
rewritten everywhere with ``scripts-and-tests = "rewrite"``. Whole trees on disk, real gather."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codemods.api import run_paths
from codemods.commands.wrap_blocking_calls.role import is_test_file
from codemods.types import FileResult, Options, Safety

from ...helpers import dedent, run_tree, write_tree

ID = "wrap-blocking-calls"

TEST_BODY = """
    import requests

    async def test_fetch():
        assert requests.get("http://localhost").ok
"""

SCRIPT = """
    import asyncio
    import requests

    async def main():
        print(requests.get("http://localhost").status_code)

    if __name__ == "__main__":
        asyncio.run(main())
"""


def run_files(root: Path, files: dict[str, str], **options: object) -> dict[str, FileResult]:
    write_tree(root, {"requirements.txt": "requests\n", **files})
    opts = Options(select=(ID,), codemod_options={ID: options} if options else {})
    return run_tree(root, opts, write=True)


def quiet(result: FileResult) -> list[str]:
    """The display-only messages of a file left unchanged as a test or script."""
    assert not any(c.applied for c in result.changes), result.changes
    return [c.message for c in result.changes if c.safety is Safety.DISPLAY_ONLY]


def rewritten(root: Path, result: FileResult, name: str) -> str:
    assert any(c.applied for c in result.changes), (result.changes, result.skips)
    return (root / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name", ["tests/test_api.py", "tests/helpers.py", "api_test.py", "test_api.py", "conftest.py"]
)
def test_test_files_are_display_only(tmp_path: Path, name: str) -> None:
    results = run_files(tmp_path, {name: TEST_BODY})
    (message,) = quiet(results[name])
    assert "in a test file" in message
    assert (tmp_path / name).read_text(encoding="utf-8") == dedent(TEST_BODY)


def test_option_restores_the_rewrite_in_tests_and_scripts(tmp_path: Path) -> None:
    results = run_files(
        tmp_path,
        {"tests/test_api.py": TEST_BODY, "seed.py": SCRIPT},
        **{"scripts-and-tests": "rewrite"},
    )
    assert "await asyncio.to_thread(requests.get" in rewritten(
        tmp_path, results["tests/test_api.py"], "tests/test_api.py"
    )
    assert "await asyncio.to_thread(requests.get" in rewritten(
        tmp_path, results["seed.py"], "seed.py"
    )


def test_option_is_validated(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": '[tool.codemod.wrap-blocking-calls]\nscripts-and-tests = "maybe"\n',
            "seed.py": SCRIPT,
        },
    )
    done = subprocess.run(
        [sys.executable, "-m", "codemods", "check", "--no-cache", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "scripts-and-tests" in done.stderr


def test_one_shot_script_is_display_only(tmp_path: Path) -> None:
    # another file in the view, importing nothing of it: the script is run, not imported
    results = run_files(tmp_path, {"seed.py": SCRIPT, "app.py": "VALUE = 1\n"})
    (message,) = quiet(results["seed.py"])
    assert "one-shot script" in message


@pytest.mark.parametrize(
    "app", ["from seed import main\n", "import importlib\n\nimportlib.import_module('seed')\n"]
)
def test_a_script_a_file_outside_the_run_may_import_is_rewritten(tmp_path: Path, app: str) -> None:
    """A run given only the script: ``app.py``, not in the view, names it (it may import it)."""
    write_tree(tmp_path, {"requirements.txt": "requests\n", "seed.py": SCRIPT, "app.py": app})
    (result,) = run_paths([tmp_path / "seed.py"], Options(select=(ID,)), write=True)
    assert "requests.get, " in rewritten(tmp_path, result, "seed.py")


def test_a_script_run_alone_that_no_file_of_its_component_names_is_quiet(tmp_path: Path) -> None:
    """The component's other files are read (not gathered) for the script's name: none holds it."""
    files = {"requirements.txt": "requests\n", "seed.py": SCRIPT, "app.py": "import seeding\n"}
    write_tree(tmp_path, files)
    (result,) = run_paths([tmp_path / "seed.py"], Options(select=(ID,)), write=True)
    (message,) = quiet(result)
    assert "one-shot script" in message


def test_a_test_that_defines_an_app_or_runs_tasks_is_rewritten(tmp_path: Path) -> None:
    app_test = """
        import requests
        from fastapi import FastAPI

        app = FastAPI()

        @app.get("/")
        async def home():
            return requests.get("http://upstream").json()
    """
    gathered = """
        import asyncio
        import requests

        async def one(u):
            return requests.get(u)

        async def test_many():
            await asyncio.gather(one("a"), one("b"))
    """
    results = run_files(tmp_path, {"tests/test_app.py": app_test, "tests/test_many.py": gathered})
    assert "run_in_threadpool(requests.get" in rewritten(
        tmp_path, results["tests/test_app.py"], "tests/test_app.py"
    )
    assert "to_thread" in rewritten(tmp_path, results["tests/test_many.py"], "tests/test_many.py")


SCRIPTS_KEPT = {
    "gather": """
        import asyncio
        import requests

        async def one(u):
            return requests.get(u)

        async def main():
            await asyncio.gather(one("a"), one("b"))

        if __name__ == "__main__":
            asyncio.run(main())
    """,
    "task group": """
        import anyio
        import requests

        async def one():
            requests.get("http://a")

        async def main():
            async with anyio.create_task_group() as tg:
                tg.start_soon(one)

        if __name__ == "__main__":
            anyio.run(main)
    """,
    "timeout": """
        import asyncio
        import requests

        async def main():
            async with asyncio.timeout(1):
                requests.get("http://a")

        if __name__ == "__main__":
            asyncio.run(main())
    """,
    "bot framework": """
        import asyncio
        import requests
        from aiogram import Dispatcher

        async def main():
            requests.get("http://a")

        if __name__ == "__main__":
            asyncio.run(main())
    """,
    "decorated handler": """
        import asyncio
        import requests

        @bot.command()
        async def price(ctx):
            requests.get("http://a")

        if __name__ == "__main__":
            asyncio.run(bot.start())
    """,
    "callback passed as a value": """
        import asyncio
        import requests

        async def on_message(msg):
            requests.get("http://a")

        async def main(client):
            client.subscribe("topic", on_message)

        if __name__ == "__main__":
            asyncio.run(main(None))
    """,
    "subclass method": """
        import asyncio
        import requests

        class Client(Base):
            async def on_ready(self):
                requests.get("http://a")

        if __name__ == "__main__":
            asyncio.run(Client().start())
    """,
}


@pytest.mark.parametrize("code", SCRIPTS_KEPT.values(), ids=SCRIPTS_KEPT.keys())
def test_scripts_that_may_run_concurrent_work_are_rewritten(tmp_path: Path, code: str) -> None:
    results = run_files(tmp_path, {"main.py": code})
    assert "requests.get, " in rewritten(tmp_path, results["main.py"], "main.py")


def test_a_script_another_module_imports_is_rewritten(tmp_path: Path) -> None:
    """An app that imports the script's coroutine runs it beside other requests."""
    app = "from fastapi import FastAPI\nfrom jobs import main\n\napp = FastAPI()\napp.get('/')(main)\n"
    results = run_files(tmp_path, {"jobs.py": SCRIPT, "app.py": app})
    assert "requests.get, " in rewritten(tmp_path, results["jobs.py"], "jobs.py")


def test_a_script_run_alone_without_gather_is_rewritten() -> None:
    """No gather phase: who imports it is unknown, so today's rewrite stays."""
    from ...helpers import run

    result = run(ID, dedent(SCRIPT), Options(), path=Path("/nonexistent/seed.py"))
    assert any(c.applied for c in result.changes)


def test_tests_directory_above_the_component_does_not_count(tmp_path: Path) -> None:
    assert is_test_file(str(tmp_path / "svc" / "tests" / "x.py"), str(tmp_path / "svc"))
    assert not is_test_file(
        str(tmp_path / "tests" / "svc" / "x.py"), str(tmp_path / "tests" / "svc")
    )
    assert not is_test_file(str(tmp_path / "tests" / "svc" / "x.py"), None)
    assert not is_test_file(str(tmp_path / "attest.py"), str(tmp_path))


def test_kept_rewrite_lets_gathered_work_overlap(tmp_path: Path) -> None:
    """Why concurrency keeps the rewrite: gathered naps that block run one after the other;
    rewritten, every nap starts before any ends (real asyncio, the rewritten script run; the
    order of events is the proof, no clock)."""
    script = """
        import asyncio
        import time

        order = []

        async def nap(i):
            order.append(f"start{i}")
            time.sleep(0.01)
            order.append(f"end{i}")

        async def main():
            await asyncio.gather(nap(0), nap(1), nap(2))
            print(" ".join(order))

        if __name__ == "__main__":
            asyncio.run(main())
    """
    results = run_files(tmp_path, {"nap.py": script})
    assert "await asyncio.sleep(0.01)" in rewritten(tmp_path, results["nap.py"], "nap.py")
    done = subprocess.run(
        [sys.executable, str(tmp_path / "nap.py")], check=True, capture_output=True, text=True
    )
    events = done.stdout.split()
    assert sorted(events[:3]) == ["start0", "start1", "start2"], events  # blocking: start0 end0
