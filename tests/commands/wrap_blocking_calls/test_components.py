"""``wrap-blocking-calls`` picks the offload from the file's imports and its component's
declarations (``threadpool = "auto"``), never from the other files of the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.types import Options

from ...helpers import dedent, run_tree, write_tree

ID = "wrap-blocking-calls"
HELPER = """
    import time

    import requests


    async def fetch(url):
        time.sleep(1)
        return requests.get(url, timeout=5)
    """


def rewrite(tmp_path: Path, files: dict[str, str], path: str = "svc/mail.py") -> tuple[str, list[str]]:
    write_tree(tmp_path, files)
    results = run_tree(tmp_path, Options(select=(ID,)), write=True)
    return (tmp_path / path).read_text(), [s.reason for s in results[path].skips]


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("fastapi\nrequests\n", "from fastapi.concurrency import run_in_threadpool"),
        ("starlette\nrequests\n", "from starlette.concurrency import run_in_threadpool"),
        ("requests\n", "await asyncio.to_thread(requests.get"),
    ],
)
def test_a_helper_module_gets_the_offload_of_its_component(tmp_path: Path, declared: str, expected: str) -> None:
    """The module imports no framework itself: the component's declarations decide."""
    code, _ = rewrite(tmp_path, {"svc/requirements.txt": declared, "svc/mail.py": HELPER})
    assert expected in code
    assert "await asyncio.sleep(1)" in code


def test_the_choice_does_not_depend_on_the_other_files_of_the_run(tmp_path: Path) -> None:
    """A worker beside a FastAPI service: a full run used to give it `fastapi.concurrency`,
    which does not import where the worker is installed."""
    files = {
        "api/requirements.txt": "fastapi\n",
        "api/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        "worker/requirements.txt": "requests\n",
        "worker/jobs.py": HELPER,
    }
    full, _ = rewrite(tmp_path / "full", files, "worker/jobs.py")
    write_tree(tmp_path / "one", files)
    run_tree(tmp_path / "one" / "worker", Options(select=(ID,)), write=True)
    assert full == (tmp_path / "one/worker/jobs.py").read_text()
    assert "fastapi" not in full and "asyncio.to_thread" in full


def test_a_file_that_imports_the_framework_needs_no_declaration(tmp_path: Path) -> None:
    code, _ = rewrite(tmp_path, {"svc/mail.py": "from fastapi import FastAPI\n" + dedent(HELPER)})
    assert "from fastapi.concurrency import run_in_threadpool" in code


def test_asyncio_to_thread_needs_python_3_9(tmp_path: Path) -> None:
    code, skips = rewrite(tmp_path, {
        "svc/pyproject.toml": "[project]\nname = 'svc'\nrequires-python = '>=3.8'\ndependencies = ['requests']\n",
        "svc/mail.py": HELPER,
    })  # fmt: skip
    assert "to_thread" not in code and "await asyncio.sleep(1)" in code
    assert "`asyncio.to_thread` needs Python 3.9, and the component supports Python 3.8" in skips


def test_a_component_that_declares_trio_leaves_an_undecided_file_alone(tmp_path: Path) -> None:
    """A helper that imports no event loop library, in a component that runs trio: neither
    `asyncio.sleep` nor `asyncio.to_thread` may run there."""
    code, skips = rewrite(tmp_path, {"svc/requirements.txt": "trio\nrequests\n", "svc/mail.py": HELPER})
    assert "await" not in code.replace("async def", "")
    assert skips and all("declares trio" in s for s in skips)


def test_a_file_that_imports_trio_and_asyncio_is_left_alone(tmp_path: Path) -> None:
    code, skips = rewrite(tmp_path, {
        "svc/requirements.txt": "trio\nrequests\n",
        "svc/mail.py": "import asyncio\nimport trio\n" + dedent(HELPER),
    })  # fmt: skip
    assert "to_thread" not in code and "trio.sleep" not in code
    assert skips and all("imports both trio and asyncio" in s for s in skips)


def test_an_anyio_file_in_a_fastapi_component(tmp_path: Path) -> None:
    """FastAPI's `run_in_threadpool` runs on any anyio backend; the sleep follows the file."""
    code, _ = rewrite(tmp_path, {
        "svc/requirements.txt": "fastapi\nanyio\nrequests\n",
        "svc/mail.py": "import anyio\n" + dedent(HELPER),
    })  # fmt: skip
    assert "await run_in_threadpool(requests.get" in code and "await anyio.sleep(1)" in code


def test_a_loop_library_imported_only_inside_functions_is_not_added_at_module_level(tmp_path: Path) -> None:
    """Found by `make smoke` in prefect: the file imports anyio inside functions only, and
    nothing declares it: a module-level `import anyio` could fail where it is missing."""
    code, skips = rewrite(tmp_path, {
        "svc/mail.py": dedent(HELPER) + "\n\ndef main():\n    import anyio\n\n    anyio.run(fetch, 'x')\n",
    })  # fmt: skip
    assert "await anyio" not in code and "time.sleep(1)" in code
    assert any("imports anyio only inside functions" in s for s in skips)
    code, _ = rewrite(tmp_path / "declared", {
        "svc/requirements.txt": "anyio\nrequests\n",
        "svc/mail.py": dedent(HELPER) + "\n\ndef main():\n    import anyio\n\n    anyio.run(fetch, 'x')\n",
    })  # fmt: skip
    assert "await anyio.sleep(1)" in code and "await anyio.to_thread.run_sync(" in code


@pytest.mark.parametrize("comment", ["# noqa: ASYNC240", "# noqa: ASYNC240, E501", "# noqa"])
def test_a_noqa_for_the_linters_blocking_rules_keeps_the_call(tmp_path: Path, comment: str) -> None:
    """Found by `make smoke-apps` in marimo: the author silenced ruff's ASYNC240 on a call the
    tool then wrapped anyway."""
    code, skips = rewrite(tmp_path, {
        "svc/requirements.txt": "requests\n",
        "svc/mail.py": f"import os\n\n\nasync def where(path):\n    return os.path.realpath(path)  {comment}\n",
    })  # fmt: skip
    assert "to_thread" not in code
    assert skips == [f"kept by `{comment.split(',')[0] if 'ASYNC' in comment else comment}`"]
