"""``fixtures/monorepo``: one repository, many components, every decision taken per component.

The fixture holds a FastAPI service pinned below 0.93 by its lock file, one unpinned, one with
``fastapi>=0.80``, a worker without FastAPI, a trio and an anyio component, a service whose
routers live in a namespace package (no ``__init__.py``), and two ``main.py`` files. The real
CLI rewrites a copy with the default codemods; the result must equal ``after/``, the skip report
``skips.txt``, and the rewritten programs must still run and keep their results, under the
framework version each component pins where it matters (FastAPI 0.92.0 in a throwaway venv).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import run_cli
from .helpers import FIXTURES
from .venvs import fastapi_venv, run_in_venv

MONOREPO = FIXTURES / "monorepo"
PY = sys.executable


def copy(tmp_path: Path, which: str = "before") -> Path:
    work = tmp_path / "repo"
    shutil.copytree(MONOREPO / which, work)
    return work


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".codemod_cache" not in p.parts
    }


def test_the_whole_repository_becomes_after_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    work = copy(tmp_path)
    proc = run_cli(["apply", "--no-cache", "."], cwd=work)
    assert proc.returncode == 0, proc.stderr.decode()
    assert files(work) == files(MONOREPO / "after")
    again = run_cli(["check", "--no-cache", "."], cwd=work)
    assert again.returncode == 0, again.stderr.decode()


def test_skip_report(tmp_path: Path) -> None:
    work = copy(tmp_path)
    proc = run_cli(["check", "--no-cache", "--show-skips", "."], cwd=work)
    skips = [line for line in proc.stderr.decode().splitlines() if ": skipped: " in line]
    assert skips == (MONOREPO / "skips.txt").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    "path",
    ["worker/bot.py", "services/api/api_app/main.py", "main.py", "scripts/ops/main.py", "trio_jobs/jobs.py"],
)
def test_one_file_gets_the_same_fix_as_the_whole_run(tmp_path: Path, path: str) -> None:
    """``pre-commit run --files one.py`` and a full run decide alike: from the component's
    declarations, not from which files were passed."""
    work = copy(tmp_path)
    proc = run_cli(["apply", "--no-cache", path], cwd=work)
    assert proc.returncode == 0, proc.stderr.decode()
    assert (work / path).read_bytes() == (MONOREPO / "after" / path).read_bytes()


def test_both_main_modules_are_fixed(tmp_path: Path) -> None:
    """The root ``main.py`` and ``scripts/ops/main.py`` are different modules; once they were both
    ``main`` and the facts of one hid the other's blocking call."""
    after = MONOREPO / "after"
    for path in ("main.py", "scripts/ops/main.py"):
        assert "await asyncio.to_thread(subprocess.check_call," in (after / path).read_text()


def test_the_worker_gets_no_fastapi_import() -> None:
    """The worker's requirements do not list FastAPI: `fastapi.concurrency` would not import there."""
    bot = (MONOREPO / "after" / "worker/bot.py").read_text()
    assert "fastapi" not in bot and "await asyncio.to_thread(requests.get" in bot


@pytest.mark.parametrize(
    ("program", "args"),
    [("trio_jobs/jobs.py", []), ("anyio_jobs/jobs.py", ["asyncio"]), ("anyio_jobs/jobs.py", ["trio"])],
)
def test_trio_and_anyio_programs_run_and_keep_their_results(tmp_path: Path, program: str, args: list[str]) -> None:
    outputs = []
    for which in ("before", "after"):
        root = MONOREPO / which
        proc = subprocess.run(
            [PY, "-B", str(root / program), *args], capture_output=True, text=True, timeout=120, check=False
        )
        assert proc.returncode == 0, f"{which}: {proc.stderr}"
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1] != ""
    rewritten = (MONOREPO / "after" / program).read_text()
    # neither asyncio.sleep nor asyncio.to_thread: under trio they raise "no running event loop"
    assert "asyncio.sleep" not in rewritten and "asyncio.to_thread" not in rewritten


_STARTUP = """
import json, sys
sys.path.insert(0, {root!r})
from fastapi.testclient import TestClient
from {module} import app
import {module} as m
with TestClient(app) as client:
    client.get("/")
print(json.dumps({{k: getattr(m, k) for k in {names!r}}}))
"""


def _run_startup(python: str, root: Path, module: str, names: list[str]) -> dict[str, object]:
    code = _STARTUP.format(root=str(root), module=module, names=names)
    proc = subprocess.run([python, "-B", "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_the_pinned_service_is_left_alone_and_its_handlers_run_on_fastapi_0_92(tmp_path: Path) -> None:
    """On FastAPI 0.92.0, the version its lock file resolves, the original app runs its startup
    handler; the tool leaves the file as it is (a `lifespan=` there would be silently ignored)."""
    path = "services/legacy/legacy_app/main.py"
    assert (MONOREPO / "after" / path).read_bytes() == (MONOREPO / "before" / path).read_bytes()
    venv = fastapi_venv("0.92.0")
    root = MONOREPO / "after/services/legacy"
    code = _STARTUP.format(root=str(root), module="legacy_app.main", names=["STORAGE"])
    proc = run_in_venv(venv, code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"STORAGE": {"client": "connected"}}


def test_the_same_service_unpinned_is_converted_and_runs_on_current_fastapi(tmp_path: Path) -> None:
    work = tmp_path / "svc"
    shutil.copytree(MONOREPO / "before/services/legacy/legacy_app", work / "legacy_app")
    (work / "requirements.txt").write_text("fastapi\n", encoding="utf-8")
    proc = run_cli(["apply", "--no-cache", "."], cwd=work)
    assert proc.returncode == 0, proc.stderr.decode()
    main = (work / "legacy_app/main.py").read_text()
    assert "lifespan=lifespan" in main and "on_event" not in main
    assert _run_startup(PY, work, "legacy_app.main", ["STORAGE"]) == {"STORAGE": {"client": "connected"}}


def test_the_router_in_a_namespace_package_is_linked_and_runs_once(tmp_path: Path) -> None:
    """`from server.routes import auth` with no `routes/__init__.py`: the router's handler moves
    into the app's lifespan. Before, on current FastAPI, it ran twice (copied and merged)."""
    names = ["EVENTS"]
    before = _run_startup(PY, MONOREPO / "before/services/auth", "server.main", names)
    after = _run_startup(PY, MONOREPO / "after/services/auth", "server.main", names)
    assert before == after == {"EVENTS": ["sessions"]}
    providers = []
    for which in ("before", "after"):
        code = _STARTUP.format(root=str(MONOREPO / which / "services/auth"), module="server.main", names=[])
        code += "from server.routes import auth\nprint(json.dumps(auth.PROVIDERS))\n"
        proc = subprocess.run([PY, "-B", "-c", code], capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        providers.append(json.loads(proc.stdout.splitlines()[-1]))
    assert providers == [["github", "github"], ["github"]]
