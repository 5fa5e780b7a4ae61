"""The ``lifespan`` fixtures, run for real: the rewritten apps start and stop exactly like before.

Each app module is imported in a fresh interpreter and started with ``with TestClient(app):``;
its handlers log a line each, and the harness records every line with whether it was emitted
on the event loop's thread (sync handlers are called directly on the loop, not in a thread).
The rewritten ("after") code runs with ``-W error::DeprecationWarning`` on the installed
Starlette 1.x / FastAPI, so no deprecated event API may remain in it.

Which "before" sequence an "after" run is compared with:
- FastAPI apps: the "before" code run on the installed FastAPI (which still runs ``on_event``
  and ``on_startup=``, with a DeprecationWarning).
- Routers: FastAPI >= 0.112.2 runs a router's handlers twice when the app has no lifespan (the
  app's copy plus the merged router lifespan; domain facts A4). The "before" run therefore
  emulates FastAPI < 0.112.2, whose ``include_router`` only copied the handlers: the sequence
  the rewrite keeps (an unsafe fix where the component allows 0.112.2 or later, whose double
  runs it drops: ``test_runs_real.py``). A separate test pins the double run of the
  unpatched "before".
- Plain Starlette ``on_startup=``/``on_event`` and ``FastAPI.add_event_handler`` cannot run on
  the installed versions at all (TypeError / AttributeError, checked below). For those the
  expected sequence is written out from the framework contract: registration order, ``async``
  handlers awaited, sync ones called on the loop, shutdown handlers in registration order.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codemods.types import Options

from ...helpers import FIXTURES, run_tree

CASES = FIXTURES / "lifespan"

HARNESS = r"""
import asyncio, importlib, json, logging, sys

root, module_name, old_include = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
package = module_name.split(".")[0]
records = []


class Capture(logging.Handler):
    def emit(self, record):
        if record.name.split(".")[0] != package:
            return
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        records.append([record.getMessage(), on_loop])


logging.getLogger().addHandler(Capture())
logging.getLogger().setLevel(logging.INFO)
if old_include:
    # FastAPI < 0.112.2: include_router copies the router's handlers and ignores its lifespan.
    import fastapi.routing
    fastapi.routing._merge_lifespan_context = lambda original, nested: original
sys.path.insert(0, root)
try:
    module = importlib.import_module(module_name)
except Exception as exc:
    print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
    raise SystemExit(0)

from fastapi import APIRouter, FastAPI
from starlette.applications import Starlette
from starlette.testclient import TestClient

apps = {id(v): v for v in vars(module).values() if isinstance(v, Starlette)}
if not apps:  # a router module: include its routers into a plain app
    host = FastAPI()
    for router in [v for v in vars(module).values() if isinstance(v, APIRouter)]:
        host.include_router(router)
    apps = {id(host): host}
for app in apps.values():
    records.append(["-- start", None])
    with TestClient(app):
        records.append(["-- serving", None])
    records.append(["-- stopped", None])
print(json.dumps({"records": records}))
"""


def run_app(
    root: Path,
    module: str,
    *,
    after: bool,
    old_include: bool = False,
    env: dict[str, str] | None = None,
) -> list[tuple[str, bool | None]]:
    harness = root / "_harness.py"
    harness.write_text(HARNESS, encoding="utf-8")
    warnings = "error::DeprecationWarning" if after else "ignore::DeprecationWarning"
    proc = subprocess.run(
        [
            sys.executable,
            "-W",
            warnings,
            str(harness),
            str(root),
            module,
            "1" if old_include else "0",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "FEATURES": "", **(env or {})},
        cwd=root,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "error" not in result, f"{module} failed to import: {result['error']}\n{proc.stderr}"
    return [(message, on_loop) for message, on_loop in result["records"]]


def import_error(root: Path, module: str) -> str:
    harness = root / "_harness.py"
    harness.write_text(HARNESS, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", str(harness), str(root), module, "0"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return str(json.loads(proc.stdout.strip().splitlines()[-1]).get("error", ""))


def single(case: str, tmp_path: Path) -> tuple[Path, Path]:
    """Copies of a single-file pair as importable modules ``app_module`` in two directories."""
    before, after = tmp_path / "before", tmp_path / "after"
    for directory, suffix in ((before, "before"), (after, "after")):
        directory.mkdir()
        shutil.copy(CASES / f"{case}.{suffix}.py", directory / "app_module.py")
    return before, after


def tree(case: str, tmp_path: Path) -> tuple[Path, Path]:
    before, after = tmp_path / "before", tmp_path / "after"
    shutil.copytree(CASES / case / "before", before)
    shutil.copytree(CASES / case / "after", after)
    return before, after


def serving(records: list[tuple[str, bool | None]]) -> list[tuple[str, bool | None]]:
    return [r for r in records if r[0].startswith("--")]


# -- FastAPI apps: same sequence before and after ------------------------------------------------

SAME = [
    "async_handlers",
    "sync_handlers",
    "mixed_sync_async",
    "router_add_event_handler",
    "constructor_fastapi",
    "two_apps",
    "plugin_methods",
    "global_state",
    "comments_kept",
    "name_clash",
    "create_all",
    "create_all_unsafe",
    "risky_call_unsafe",
]


@pytest.mark.parametrize("case", SAME)
def test_same_sequence(case: str, tmp_path: Path) -> None:
    before, after = single(case, tmp_path)
    expected = run_app(before, "app_module", after=False)
    got = run_app(after, "app_module", after=True)
    assert got == expected
    handlers = [r for r in got if not r[0].startswith("--")]
    assert handlers, "the fixture must log from its handlers"
    assert all(on_loop for _message, on_loop in handlers if _message not in IMPORT_TIME_LOGS), got


#: Lines the fixtures log while being imported (not from a handler, so not on the loop).
IMPORT_TIME_LOGS = {"extensions registered on FastAPI", "no optional features"}


@pytest.mark.parametrize(
    "features", ["", "cache", "tracing", "metrics", "cache,metrics", "tracing,metrics"]
)
def test_conditional_registration_keeps_its_condition(features: str, tmp_path: Path) -> None:
    before, after = single("conditional", tmp_path)
    env = {"FEATURES": features}
    expected = run_app(before, "app_module", after=False, env=env)
    assert run_app(after, "app_module", after=True, env=env) == expected
    messages = [m for m, _ in expected]
    assert ("cache warmed" in messages) == ("cache" in features)
    assert ("tracing started" in messages) == ("tracing" in features and "cache" not in features)
    assert ("metrics pushed" in messages) == ("metrics" in features)


def test_conditional_condition_is_evaluated_at_import(tmp_path: Path) -> None:
    """Changing the condition's inputs after import changes nothing, as before."""
    _before, after = single("conditional", tmp_path)
    module = after / "app_module.py"
    module.write_text(module.read_text() + '\nFEATURES.append("cache")\n')
    messages = [m for m, _ in run_app(after, "app_module", after=True, env={"FEATURES": ""})]
    assert "cache warmed" not in messages


def test_handlers_imported_from_other_modules(tmp_path: Path) -> None:
    before, after = tree("imported_handlers", tmp_path)
    expected = run_app(before, "shop.main", after=False)
    assert run_app(after, "shop.main", after=True) == expected
    assert [m for m, _ in expected if not m.startswith("--")] == [
        "db connected",
        "cache warmed",
        "db disconnected",
    ]


# -- routers ---------------------------------------------------------------------------------------


def test_router_in_same_module_keeps_the_include_order(tmp_path: Path) -> None:
    before, after = single("router_same_module", tmp_path)
    expected = run_app(before, "app_module", after=False, old_include=True)
    got = run_app(after, "app_module", after=True)
    assert got == expected
    assert [m for m, _ in got] == [
        "-- start", "connected", "user cache loaded", "ready", "-- serving",
        "user cache dropped", "disconnected", "-- stopped",
    ]  # fmt: skip


def test_routers_in_other_modules(tmp_path: Path) -> None:
    before, after = tree("router_in_other_module", tmp_path)
    expected = run_app(before, "shop.main", after=False, old_include=True)
    got = run_app(after, "shop.main", after=True)
    assert got == expected
    # and the same app on FastAPI >= 0.112.2 runs the router handlers twice before the rewrite
    doubled = [m for m, _ in run_app(before, "shop.main", after=False)]
    assert doubled.count("users loaded") == 2
    assert [m for m, _ in got].count("users loaded") == 1


def test_router_with_its_own_lifespan(tmp_path: Path) -> None:
    """target-fastapi >= 0.112.2: the router's lifespan is merged into the including app's."""
    before, after = single("router_own_lifespan", tmp_path)
    expected = run_app(before, "app_module", after=False, old_include=True)
    got = run_app(after, "app_module", after=True)
    assert got == expected
    assert [m for m, _ in got if not m.startswith("--")] == ["stripe connected", "stripe closed"]


# -- frameworks that no longer run the "before" code: the contract sequence -------------------------

CONTRACT = {
    "constructor_starlette": (
        ["logging configured", "connections opened"],
        ["connections closed"],
        "TypeError",
    ),
    "starlette_events": (["worker started"], ["worker stopped"], "AttributeError"),
    "add_event_handler": (["pool opened", "models loaded"], ["pool closed"], "AttributeError"),
}


@pytest.mark.parametrize("case", sorted(CONTRACT))
def test_contract_sequence(case: str, tmp_path: Path) -> None:
    startup, shutdown, error = CONTRACT[case]
    before, after = single(case, tmp_path)
    assert import_error(before, "app_module").startswith(error)
    got = run_app(after, "app_module", after=True)
    expected = [
        ("-- start", None),
        *((m, True) for m in startup),
        ("-- serving", None),
        *((m, True) for m in shutdown),
        ("-- stopped", None),
    ]
    assert got == expected


# -- an existing lifespan with dead handlers -----------------------------------------------------------


def test_dead_handlers_are_dead_before_and_run_after_the_unsafe_merge(tmp_path: Path) -> None:
    before, after = single("lifespan_conflict_merge", tmp_path)
    dead = [m for m, _ in run_app(before, "app_module", after=False)]
    assert dead == ["-- start", "lifespan start", "-- serving", "lifespan end", "-- stopped"]
    merged = [m for m, _ in run_app(after, "app_module", after=True)]
    assert merged == [
        "-- start", "admin user seeded", "lifespan start", "-- serving",
        "lifespan end", "logs rotated", "-- stopped",
    ]  # fmt: skip


def test_unchanged_fixtures_are_really_unchanged() -> None:
    for case in (
        "lifespan_conflict",
        "risky_call",
        "unknown_handlers",
        "router_old_fastapi",
        "no_events",
    ):
        assert (CASES / f"{case}.before.py").read_bytes() == (
            CASES / f"{case}.after.py"
        ).read_bytes(), case


def test_every_changed_fixture_is_run_here() -> None:
    covered = {
        *SAME,
        "conditional",
        "router_same_module",
        "router_own_lifespan",
        "router_nested",  # test_lifespan_nested.py
        *CONTRACT,
        "lifespan_conflict_merge",
    }
    unchanged = {
        "lifespan_conflict",
        "risky_call",
        "unknown_handlers",
        "router_old_fastapi",
        "no_events",
    }
    singles = {p.name[: -len(".before.py")] for p in CASES.glob("*.before.py")}
    assert singles - unchanged == covered
    assert {p.parent.name for p in CASES.glob("*/before")} == {
        "imported_handlers",
        "router_in_other_module",
        "router_nested_modules",  # test_lifespan_nested.py
    }


# -- the MetaGuardian demo app ----------------------------------------------------------------------

METAGUARDIAN = FIXTURES / "metaguardian"


@pytest.mark.skipif(not METAGUARDIAN.is_dir(), reason="fixtures/metaguardian is not there")
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_metaguardian_gets_a_lifespan_and_its_suite_passes(unsafe: bool, tmp_path: Path) -> None:
    app = tmp_path / "metaguardian"
    shutil.copytree(
        METAGUARDIAN,
        app,
        ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", ".pytest_cache", "*.db", ".codemod_cache"
        ),
    )
    results = run_tree(app, Options(select=("lifespan",), unsafe_fixes=unsafe), write=True)
    assert not [r for r in results.values() if r.failure]
    main = (app / "main.py").read_text()
    assert "on_event" not in main and "lifespan=lifespan" in main
    # the import-time create_all moves into the lifespan only as the unsafe fix
    moved = main.index("create_all(") > main.index("async def lifespan(")
    assert moved is unsafe
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "SECRET_KEY", "DATABASE_URL", "SMTP_"))
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=app, env={**env, "PYTHONDONTWRITEBYTECODE": "1"}, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed" in proc.stdout and " failed" not in proc.stdout


# -- router lifespans keep the order (issue 19) ------------------------------------------------------
# With target-fastapi >= 0.112.2 a router that cannot move into one app gets its own `lifespan=`,
# which `include_router` merges: entered after the includer's own startup code, left before its
# shutdown code. Each app below is run before (FastAPI < 0.112.2's copy semantics, the contract)
# and after the rewrite (installed FastAPI, merged lifespans): the sequences must be equal, and
# whether the router was converted is pinned too.

_LOGGING = """
import logging

from fastapi import APIRouter, FastAPI

log = logging.getLogger("app_module")
"""


def _handler(owner: str, event: str, name: str) -> str:
    return f'\n\n@{owner}.on_event("{event}")\nasync def {name}():\n    log.info("{name}")\n'


ORDER_CASES = {
    # the shape: an app handler registered after the include
    "startup after include": (
        "sub = APIRouter()\napp = FastAPI()\nother = FastAPI()\n"
        + _handler("app", "startup", "open_pool")
        + _handler("sub", "startup", "sub_start")
        + "\n\napp.include_router(sub)\nother.include_router(sub)\n"
        + _handler("app", "startup", "seed_using_pool"),
        False,
    ),
    "shutdown before include": (
        "sub = APIRouter()\napp = FastAPI()\nother = FastAPI()\n"
        + _handler("app", "shutdown", "close_pool")
        + _handler("sub", "shutdown", "sub_stop")
        + "\n\napp.include_router(sub)\nother.include_router(sub)\n",
        False,
    ),
    "two routers with shutdown handlers": (
        "one = APIRouter()\ntwo = APIRouter()\napp = FastAPI()\nother = FastAPI()\n"
        + _handler("one", "shutdown", "one_stop")
        + _handler("two", "shutdown", "two_stop")
        + "\n\napp.include_router(one)\napp.include_router(two)\n"
        + "other.include_router(one)\nother.include_router(two)\n",
        False,
    ),
    # every app handler before the include: the merged router lifespan keeps the order
    "app handlers first": (
        "sub = APIRouter()\napp = FastAPI()\nother = FastAPI()\n"
        + _handler("app", "startup", "open_pool")
        + _handler("sub", "startup", "sub_start")
        + _handler("sub", "shutdown", "sub_stop")
        + "\n\napp.include_router(sub)\nother.include_router(sub)\n"
        + _handler("app", "shutdown", "close_pool"),
        True,
    ),
    # a nested router included twice: [rs, a, rs] stays [rs, a, rs]
    "nested router included twice": (
        "inner = APIRouter()\nouter = APIRouter()\napp = FastAPI()\n"
        + _handler("app", "startup", "boot")
        + _handler("inner", "startup", "rs")
        + _handler("outer", "startup", "a")
        + "\n\nouter.include_router(inner)\napp.include_router(inner)\napp.include_router(outer)\n",
        True,
    ),
    # a router that stays unconverted (a lambda handler) is still copied into the app at its
    # include, and its copy runs before every merged router lifespan: [r_start, x_start] would
    # become [x_start, r_start]
    "unconverted router included after": (
        "r = APIRouter()\nx = APIRouter()\napp = FastAPI()\n"
        + _handler("r", "startup", "r_start")
        + '\n\nx.add_event_handler("startup", lambda: log.info("x_start"))\n'
        + "app.include_router(r)\napp.include_router(x)\n",
        False,
    ),
    # the same through a router with no handlers of its own: its copies run in the app too
    "unconverted router nested after": (
        "r = APIRouter()\nx = APIRouter()\nwrap = APIRouter()\napp = FastAPI()\n"
        + _handler("r", "startup", "r_start")
        + '\n\nx.add_event_handler("startup", lambda: log.info("x_start"))\n'
        + "wrap.include_router(x)\napp.include_router(r)\napp.include_router(wrap)\n",
        False,
    ),
    # a router included by a router, an app handler registered later: a merged lifespan of `r`
    # would run after `late`; the whole tree moves into the app's lifespan instead
    "app handler after the including router": (
        "r = APIRouter()\nwrap = APIRouter()\napp = FastAPI()\n"
        + _handler("r", "startup", "r_start")
        + "\n\nwrap.include_router(r)\napp.include_router(wrap)\n"
        + _handler("app", "startup", "late"),
        True,
    ),
    # a sub-router included into two parents that one app includes: its handler ran twice
    "sub-router in two parents": (
        "rs = APIRouter()\np1 = APIRouter()\np2 = APIRouter()\napp = FastAPI()\n"
        + _handler("rs", "startup", "rs_start")
        + _handler("p2", "startup", "a")
        + "\n\np1.include_router(rs)\np2.include_router(rs)\n"
        + "app.include_router(p1)\napp.include_router(p2)\n",
        True,
    ),
    # a router included twice into one app, an app handler between: [rs, a, rs]
    "router included twice, app handler between": (
        "rs = APIRouter()\napp = FastAPI()\n"
        + _handler("rs", "startup", "rs_start")
        + "\n\napp.include_router(rs)\n"
        + _handler("app", "startup", "a")
        + "\n\napp.include_router(rs)\n",
        False,
    ),
}


@pytest.mark.parametrize("case", sorted(ORDER_CASES))
def test_router_lifespans_keep_the_handler_order(case: str, tmp_path: Path) -> None:
    source, converts = ORDER_CASES[case]
    before, after = tmp_path / "before", tmp_path / "after"
    for directory in (before, after):
        directory.mkdir()
        (directory / "app_module.py").write_text(_LOGGING + source, encoding="utf-8")
    # unsafe fixes: on FastAPI >= 0.112.2 the routers' handlers ran more than once before
    # (tests/commands/lifespan/test_runs_real.py); compared here with the copy contract
    options = Options(select=("lifespan",), target_fastapi=(0, 112, 2), unsafe_fixes=True)
    run_tree(after, options, write=True)
    rewritten = (after / "app_module.py").read_text(encoding="utf-8")
    assert ("on_event" not in rewritten) is converts, rewritten
    expected = run_app(before, "app_module", after=False, old_include=True)
    assert [m for m, _ in expected if not m.startswith("--")], "the case must run handlers"
    # a skipped case must be left exactly as it was (and then runs as before)
    assert converts or rewritten == (before / "app_module.py").read_text(encoding="utf-8")
    got = run_app(after, "app_module", after=converts, old_include=not converts)
    assert got == expected
