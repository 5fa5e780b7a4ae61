"""The FastAPI version facts the ``lifespan`` codemod must respect, proved on the real old releases.

Each app below runs in a virtualenv that has one FastAPI release and the exact dependency set of
``tests/venvs.py`` (``FASTAPI_PINS``), started with ``with TestClient(app):``; the handlers append
to a list that the script prints as JSON, and the tests assert on that list. Nothing here uses
the ``codemods`` package: these are facts about the frameworks, not about the tool.

- FastAPI < 0.93 has no ``lifespan=``: ``FastAPI(lifespan=ls)`` is accepted (the unknown keyword
  lands in ``app.extra``) and ``ls`` is silently never entered, so an app converted from
  ``@app.on_event`` runs neither its startup nor its shutdown code (0.88.0, 0.92.0). 0.93.0 added
  it ("Add support for lifespan async context managers", fastapi#2944).
- Routers, 0.93.0 to 0.112.1: ``include_router`` copies a router's ``on_event`` handlers into the
  app's lists, which the app's ``lifespan=`` makes dead; a router's own ``lifespan=`` is accepted
  and ignored. From 0.112.2 ("Ensure that app.include_router merges nested lifespans",
  fastapi#9630) the router's lifespan is entered inside the app's, and a router's ``on_event``
  handlers run twice when the app has no lifespan (copied, and through the merged default
  lifespan).

Cold, the five virtualenvs (about 16 MB each) are built and the module runs in about 15 s, even
with pip's download cache empty; warm (venvs cached, see tests/venvs.py) it takes about 4 s: one
interpreter per FastAPI version and script.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ... import venvs
from ...venvs import FASTAPI_PINS, Venv, ensure_venv, fastapi_venv, run_in_venv

REPO = Path(__file__).resolve().parents[3]

# Two apps per run: the on_event original and its hand-written lifespan conversion. A request
# made while the app runs reports what had run by then.
APPS = r"""
import json
from contextlib import asynccontextmanager

import fastapi
import starlette
from fastapi import FastAPI
from fastapi.testclient import TestClient


def on_event_app(events):
    app = FastAPI()

    @app.on_event("startup")
    async def startup():
        events.append("startup")

    @app.on_event("shutdown")
    def shutdown():
        events.append("shutdown")

    return app


def lifespan_app(events):
    @asynccontextmanager
    async def lifespan(app):
        events.append("startup")
        try:
            yield
        finally:
            events.append("shutdown")

    return FastAPI(lifespan=lifespan)


def run(build):
    events = []
    app = build(events)

    @app.get("/events")
    def seen():
        return list(events)

    with TestClient(app) as client:
        during = client.get("/events").json()
    return {"during": during, "after": events, "extra": sorted(app.extra)}


print(json.dumps({
    "fastapi": fastapi.__version__,
    "starlette": starlette.__version__,
    "on_event": run(on_event_app),
    "lifespan": run(lifespan_app),
}))
"""

# A router with on_event handlers or its own lifespan=, included into an app with or without
# lifespan=; every handler and lifespan records itself.
ROUTERS = r"""
import json
from contextlib import asynccontextmanager

import fastapi
import starlette
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient


def recording_lifespan(events, tag):
    @asynccontextmanager
    async def lifespan(app):
        events.append(tag + "-startup")
        try:
            yield
        finally:
            events.append(tag + "-shutdown")

    return lifespan


def run(app_lifespan, router_kind):
    events = []
    if router_kind == "lifespan":
        router = APIRouter(lifespan=recording_lifespan(events, "router"))
    else:
        router = APIRouter()

        @router.on_event("startup")
        async def router_startup():
            events.append("router-on_event-startup")

        @router.on_event("shutdown")
        async def router_shutdown():
            events.append("router-on_event-shutdown")

    app = FastAPI(lifespan=recording_lifespan(events, "app")) if app_lifespan else FastAPI()
    app.include_router(router)
    with TestClient(app):
        pass
    return events


results = {"fastapi": fastapi.__version__, "starlette": starlette.__version__}
for app_lifespan in (True, False):
    for router_kind in ("on_event", "lifespan"):
        key = ("app-lifespan" if app_lifespan else "no-app-lifespan") + "+router-" + router_kind
        results[key] = run(app_lifespan, router_kind)
print(json.dumps(results))
"""

SCRIPTS = {"apps": APPS, "routers": ROUTERS}

Results = Callable[[str, str], dict[str, Any]]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    """``results(script, fastapi_version)``: the script's JSON, run once per module."""
    cwd = tmp_path_factory.mktemp("fastapi-versions")
    cache: dict[tuple[str, str], dict[str, Any]] = {}

    def get(script: str, version: str) -> dict[str, Any]:
        if (script, version) not in cache:
            venv = fastapi_venv(version)
            proc = run_in_venv(venv, SCRIPTS[script], cwd, timeout=120)
            assert proc.returncode == 0, (
                f"{script} on FastAPI {version}:\n{proc.stdout}\n{proc.stderr}"
            )
            data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
            # The run really used the pinned releases, not whatever else is installed.
            assert (data["fastapi"], data["starlette"]) == (version, venv.pinned("starlette"))
            cache[script, version] = data
        return cache[script, version]

    return get


# --- apps: on_event vs lifespan= -----------------------------------------------------------------


@pytest.mark.parametrize("version", ["0.88.0", "0.92.0", "0.93.0", "0.112.2"])
def test_on_event_handlers_run(results: Results, version: str) -> None:
    assert results("apps", version)["on_event"] == {
        "during": ["startup"],
        "after": ["startup", "shutdown"],
        "extra": [],
    }


@pytest.mark.parametrize("version", ["0.88.0", "0.92.0"])
def test_lifespan_keyword_is_silently_ignored_before_0_93(results: Results, version: str) -> None:
    # Neither the startup nor the shutdown half runs, and nothing fails: the keyword is kept in
    # app.extra. A converted app on these versions would lose all its start-up work.
    assert results("apps", version)["lifespan"] == {
        "during": [],
        "after": [],
        "extra": ["lifespan"],
    }


@pytest.mark.parametrize("version", ["0.93.0", "0.112.2"])
def test_lifespan_runs_from_0_93(results: Results, version: str) -> None:
    assert results("apps", version)["lifespan"] == {
        "during": ["startup"],
        "after": ["startup", "shutdown"],
        "extra": [],
    }


# --- routers included into an app ----------------------------------------------------------------

APP_ONLY = ["app-startup", "app-shutdown"]
ROUTER_ON_EVENT_ONCE = ["router-on_event-startup", "router-on_event-shutdown"]

ROUTER_FACTS = [
    # 0.93.0-0.112.1: the app's lifespan= makes the copied router handlers dead ...
    ("0.93.0", "app-lifespan+router-on_event", APP_ONLY),
    ("0.112.1", "app-lifespan+router-on_event", APP_ONLY),
    # ... and a router's own lifespan= is accepted and ignored, with or without an app lifespan.
    ("0.93.0", "app-lifespan+router-lifespan", APP_ONLY),
    ("0.112.1", "app-lifespan+router-lifespan", APP_ONLY),
    ("0.93.0", "no-app-lifespan+router-lifespan", []),
    ("0.112.1", "no-app-lifespan+router-lifespan", []),
    # Without an app lifespan the copied handlers run, once.
    ("0.93.0", "no-app-lifespan+router-on_event", ROUTER_ON_EVENT_ONCE),
    ("0.112.1", "no-app-lifespan+router-on_event", ROUTER_ON_EVENT_ONCE),
    # 0.112.2 merges the router's lifespan into the app's: the app's is the outer one.
    (
        "0.112.2",
        "app-lifespan+router-lifespan",
        ["app-startup", "router-startup", "router-shutdown", "app-shutdown"],
    ),
    ("0.112.2", "no-app-lifespan+router-lifespan", ["router-startup", "router-shutdown"]),
    # The router's default lifespan (running its on_event lists) is merged too: with an app
    # lifespan the handlers run once, inside it; without one they also run as the app's copy.
    (
        "0.112.2",
        "app-lifespan+router-on_event",
        ["app-startup", "router-on_event-startup", "router-on_event-shutdown", "app-shutdown"],
    ),
    (
        "0.112.2",
        "no-app-lifespan+router-on_event",
        [
            "router-on_event-startup",
            "router-on_event-startup",
            "router-on_event-shutdown",
            "router-on_event-shutdown",
        ],
    ),
]


@pytest.mark.parametrize(("version", "scenario", "expected"), ROUTER_FACTS)
def test_router_events(results: Results, version: str, scenario: str, expected: list[str]) -> None:
    assert results("routers", version)[scenario] == expected


# --- tests/venvs.py itself (no downloads: an empty requirement list installs nothing) -----------


def test_pins_are_all_exact_and_complete_per_version() -> None:
    for version, pins in FASTAPI_PINS.items():
        assert venvs.normalize_requirements(pins)  # raises on anything but name==version
        assert f"fastapi=={version}" in pins
        assert any(pin.startswith("starlette==") for pin in pins)


@pytest.mark.parametrize(
    "line", ["fastapi", "fastapi>=0.92", "fastapi~=0.92.0", "fastapi==0.92.*", "-e ."]
)
def test_only_exact_pins_are_accepted(line: str) -> None:
    with pytest.raises(ValueError, match="exact pin"):
        venvs.normalize_requirements([line])


def test_a_distribution_pinned_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        venvs.normalize_requirements(["typing_extensions==4.5.0", "typing-extensions==4.12.2"])


def test_the_key_ignores_order_comments_and_blank_lines() -> None:
    key = venvs.requirements_key(["b==1", "a==2"])
    assert venvs.requirements_key(["# pins", "a==2  # why", "", "b==1"]) == key
    assert venvs.requirements_key(["a==2", "b==2"]) != key


def test_a_venv_is_built_once_and_runs_code_and_files(tmp_path: Path) -> None:
    root = tmp_path / "venvs"
    venv = ensure_venv([], root=root)
    marker = (venv.path / venvs.MARKER).read_text(encoding="utf-8")
    assert ensure_venv([], root=root) == venv
    assert (venv.path / venvs.MARKER).read_text(encoding="utf-8") == marker  # not rebuilt
    assert sorted(p.name for p in root.iterdir()) == [venv.path.name]  # no build leftovers

    code = "import sys; print(sys.prefix, sys.prefix != sys.base_prefix)"
    proc = run_in_venv(venv, code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(venv.path), "True"]

    script = tmp_path / "script.py"
    script.write_text("import sys\nprint(sys.argv[1:])\nraise SystemExit(3)\n", encoding="utf-8")
    proc = run_in_venv(venv, script, tmp_path, args=["x"])
    assert (proc.returncode, proc.stdout) == (3, "['x']\n")


def test_the_callers_pythonpath_does_not_leak_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = ensure_venv([], root=tmp_path / "venvs")
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    proc = run_in_venv(venv, "import codemods", tmp_path)
    assert proc.returncode == 1
    assert "ModuleNotFoundError" in proc.stderr


def test_a_half_built_venv_is_replaced(tmp_path: Path) -> None:
    root = tmp_path / "venvs"
    half = root / venvs.requirements_key([])
    (half / "bin").mkdir(parents=True)
    (half / "junk").write_text("interrupted build", encoding="utf-8")
    venv = ensure_venv([], root=root)
    assert venv.path == half
    assert not (half / "junk").exists()
    assert (half / venvs.MARKER).is_file()
    assert run_in_venv(venv, "pass", tmp_path).returncode == 0


def test_a_losing_racer_keeps_the_winners_venv(tmp_path: Path) -> None:
    root = tmp_path / "venvs"
    winner = ensure_venv([], root=root)
    marker = (winner.path / venvs.MARKER).read_text(encoding="utf-8")
    loser = root / ".build-loser"
    loser.mkdir()
    venvs._build(Venv(loser, ()))
    venvs._move_into_place(loser, winner.path, winner)  # the rename fails: the winner's is complete
    assert (winner.path / venvs.MARKER).read_text(encoding="utf-8") == marker


def test_two_processes_racing_both_get_one_venv(tmp_path: Path) -> None:
    root = tmp_path / "venvs"
    code = "import sys; from tests.venvs import ensure_venv; print(ensure_venv([], root=__import__('pathlib').Path(sys.argv[1])).path)"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(root)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    deadline = time.monotonic() + 120
    outputs = [racer.communicate(timeout=max(1.0, deadline - time.monotonic())) for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0], outputs
    paths = {stdout.strip() for stdout, _ in outputs}
    assert paths == {str(root / venvs.requirements_key([]))}
    assert [p.name for p in root.iterdir()] == [venvs.requirements_key([])]
