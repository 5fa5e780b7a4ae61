"""How often a router's handlers run, for real, before and after the ``lifespan`` rewrite.

From FastAPI 0.112.2 (fastapi#9630) ``include_router`` copies a router's handlers into the
includer *and* merges the router's default lifespan, which runs them again; nothing changed up
to the installed release (0.165.0: same ``include_router``, and the runs below). So before the
rewrite a router's handler ran twice in an app without a lifespan, a sub-router's three times;
after it, each runs once per include, as FastAPI < 0.112.2 ran them. Each app below is started
with ``TestClient`` on the installed FastAPI and on real 0.112.2 (no emulation) before and after
the rewrite, and the count the unsafe fix's message states is the count measured before. On
real 0.112.1 (copy only) the counts are the same before and after: there, with a component
pinned below 0.112.2, the fix is safe (``tests/commands/lifespan/test_runs.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codemods.types import Options, Safety

from ...helpers import run_tree, write_tree
from .test_behaviour import _LOGGING, ORDER_CASES, _handler, run_app
from .test_nested import handlers, messages, run_real

#: name -> (module source, {router: (its handler, runs per app start before, after)},
#: target-fastapi); every app of the module is started, one after the other
SHAPES: dict[str, tuple[str, dict[str, tuple[str, int, int]], tuple[int, ...] | None]] = {
    # moved into the app's lifespan
    "one router": (
        "r = APIRouter()\napp = FastAPI()\n"
        + _handler("app", "startup", "a_start")
        + _handler("r", "startup", "r_start")
        + _handler("r", "shutdown", "r_stop")
        + "\n\napp.include_router(r)\n",
        {"r": ("r_start", 2, 1)},
        None,
    ),
    # FastAPI's router events test: app, router, sub-router
    "nested routers": (
        "app = FastAPI()\nr = APIRouter()\ns = APIRouter()\n"
        + _handler("app", "startup", "a_start")
        + _handler("r", "startup", "r_start")
        + _handler("s", "startup", "s_start")
        + _handler("s", "shutdown", "s_stop")
        + "\n\nr.include_router(s)\napp.include_router(r)\n",
        {"r": ("r_start", 2, 1), "s": ("s_start", 3, 1)},
        None,
    ),
    # a lifespan= of the router's own (needs 0.112.2): included by two apps, twice in each
    "router in two apps": (
        "r = APIRouter()\napp = FastAPI()\nother = FastAPI()\n"
        + _handler("r", "startup", "r_start")
        + "\n\napp.include_router(r)\nother.include_router(r)\n",
        {"r": ("r_start", 2, 1)},
        (0, 112, 2),
    ),
    # a sub-router included into the app and into a router the app includes: two include
    # paths, five runs before (two default lifespans on one path, three on the other)
    "sub-router included twice": (
        ORDER_CASES["nested router included twice"][0],
        {"inner": ("rs", 5, 2), "outer": ("a", 2, 1)},
        (0, 112, 2),
    ),
}

_WORDS = {"once": 1, "twice": 2, "three times": 3}


def apps(source: str) -> int:
    return source.count("= FastAPI(")


def _count(words: str) -> int:
    return _WORDS.get(words) or int(words.split()[0])


def rewrite(
    tmp_path: Path, source: str, target: tuple[int, ...] | None, unsafe: bool
) -> tuple[Path, Path, list[str]]:
    before, after = tmp_path / "before", tmp_path / "after"
    for directory in (before, after):
        write_tree(directory, {"requirements.txt": "fastapi\n"})
        (directory / "app_module.py").write_text(_LOGGING + source, encoding="utf-8")
    options = Options(select=("lifespan",), target_fastapi=target, unsafe_fixes=unsafe)
    result = run_tree(after, options, write=True)["app_module.py"]
    assert all(c.safety is Safety.UNSAFE and c.applied is unsafe for c in result.changes), (
        result.changes
    )
    return before, after, [c.message for c in result.changes]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_unsafe_fix_states_the_runs_measured_before(shape: str, tmp_path: Path) -> None:
    source, routers, target = SHAPES[shape]
    before, after, notes = rewrite(tmp_path, source, target, unsafe=True)
    old = handlers(messages(run_app(before, "app_module", after=False)))
    new = handlers(messages(run_app(after, "app_module", after=True)))
    starts = apps(source)
    for router, (handler, runs_before, runs_after) in routers.items():
        counts = (old.count(handler), new.count(handler))
        assert counts == (starts * runs_before, starts * runs_after), (router, old, new)
        (note,) = [n for n in notes if n.startswith(f"`{router}` ")]
        said = re.search(
            r"runs this router's event handlers (\w+(?: times)?) \(.*after the fix they run (once per include|once) \(",
            note,
        )
        assert said is not None, note
        assert _count(said[1]) == runs_before
        assert said[2] == ("once" if runs_after == 1 else "once per include")
    # without --unsafe-fixes nothing is rewritten, the app included
    untouched, _, _ = rewrite(tmp_path / "safe", source, target, unsafe=False)
    assert (tmp_path / "safe/after/app_module.py").read_text() == (
        untouched / "app_module.py"
    ).read_text()


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_fastapi_0_112_2_ran_them_as_the_installed_release_does(shape: str, tmp_path: Path) -> None:
    source, routers, target = SHAPES[shape]
    before, after, _ = rewrite(tmp_path, source, target, unsafe=True)
    old = handlers(run_real("0.112.2", before, "app_module"))
    new = handlers(run_real("0.112.2", after, "app_module"))
    assert old == handlers(messages(run_app(before, "app_module", after=False)))
    starts = apps(source)
    for handler, runs_before, runs_after in routers.values():
        counts = (old.count(handler), new.count(handler))
        assert counts == (starts * runs_before, starts * runs_after), (old, new)


@pytest.mark.parametrize("shape", ["one router", "nested routers"])
def test_fastapi_0_112_1_ran_them_once_so_the_move_keeps_the_sequence(
    shape: str, tmp_path: Path
) -> None:
    """The copy-only contract: the same sequence before and after (the handlers moved into the
    app's lifespan run where the copies ran)."""
    source, _routers, target = SHAPES[shape]
    before, after, _ = rewrite(tmp_path, source, target, unsafe=True)
    old = run_real("0.112.1", before, "app_module")
    assert old == run_real("0.112.1", after, "app_module")
    assert all(old.count(h) == 1 for h in handlers(old))


def test_a_routers_own_lifespan_under_an_app_lifespan_ran_once_and_stays_safe(
    tmp_path: Path,
) -> None:
    """The app's lifespan= made its copy of the router's handler dead; only the router's merged
    default lifespan ran it, where its own lifespan now runs it: the fix is safe."""
    source = (
        "from contextlib import asynccontextmanager\n\n\n@asynccontextmanager\n"
        'async def lifespan(app):\n    log.info("app lifespan")\n    yield\n\n\n'
        "r = APIRouter()\napp = FastAPI(lifespan=lifespan)\n"
        + _handler("r", "startup", "r_start")
        + "\n\napp.include_router(r)\n"
    )
    before, after = tmp_path / "before", tmp_path / "after"
    for directory in (before, after):
        write_tree(directory, {"requirements.txt": "fastapi>=0.112.2\n"})
        (directory / "app_module.py").write_text(_LOGGING + source, encoding="utf-8")
    (change,) = run_tree(after, Options(select=("lifespan",)), write=True)["app_module.py"].changes
    assert change.safety is Safety.SAFE and change.applied
    assert "APIRouter(lifespan=" in (after / "app_module.py").read_text()
    expected = messages(run_app(before, "app_module", after=False))
    assert handlers(expected) == ["app lifespan", "r_start"]
    assert messages(run_app(after, "app_module", after=True)) == expected
    assert (
        run_real("0.112.2", before, "app_module")
        == run_real("0.112.2", after, "app_module")
        == expected
    )
