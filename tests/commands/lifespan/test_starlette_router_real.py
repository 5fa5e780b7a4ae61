"""A Starlette ``Router`` with event handlers, included or mounted, run for real before and
after the ``lifespan`` rewrite.

FastAPI's ``include_router`` takes a plain ``starlette.routing.Router`` (checked on 0.93.0,
0.112.1 and 0.112.2; 0.137.0 and later fail on it, reading ``router._contains_router``) and, as
for an ``APIRouter``, copies its ``on_startup``/``on_shutdown`` lists into the includer; from
0.112.2 it also merges the router's lifespan. So below 0.112.2 a ``lifespan=`` of the router's
own never runs: the rewrite moves its handlers into the app's lifespan instead (before the fix
it gave the router its own ``lifespan=``, and the handlers silently stopped running). Starlette
sends no lifespan events to a mounted app (``Mount.matches`` takes ``http`` and ``websocket``
scopes only), so a mounted router's handlers never ran, and the rewrite leaves it alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.types import Options, Safety

from ...helpers import run_tree, write_tree
from .test_nested import handlers, run_real

_HEAD = """import logging

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Mount, Router

log = logging.getLogger("app_module")


def r_open():
    log.info("r_open")
"""


def _handler(owner: str, event: str, name: str) -> str:
    return f'\n\n@{owner}.on_event("{event}")\nasync def {name}():\n    log.info("{name}")\n'


INCLUDED = (
    _HEAD
    + "\n\nrouter = Router(on_startup=[r_open])\napp = FastAPI()\n"
    + _handler("app", "startup", "a_start")
    + _handler("router", "startup", "r_start")
    + _handler("router", "shutdown", "r_stop")
    + "\n\napp.include_router(router)\n"
    + _handler("app", "shutdown", "a_stop")
)
#: what FastAPI < 0.112.2 runs: the router's lists copied into the app's at the include
COPIED = ["a_start", "r_open", "r_start", "r_stop", "a_stop"]


def rewrite(
    tmp_path: Path, source: str, requirements: str, unsafe: bool = False
) -> tuple[Path, Path, list[tuple[Safety, bool, str]]]:
    before, after = tmp_path / "before", tmp_path / "after"
    for directory in (before, after):
        write_tree(directory, {"requirements.txt": requirements})
        (directory / "app_module.py").write_text(source, encoding="utf-8")
    options = Options(select=("lifespan",), unsafe_fixes=unsafe)
    result = run_tree(after, options, write=True)["app_module.py"]
    return before, after, [(c.safety, c.applied, c.message) for c in result.changes]


@pytest.mark.parametrize("version", ["0.93.0", "0.112.1"])
def test_an_included_starlette_router_keeps_its_handlers_below_0_112_2(
    version: str, tmp_path: Path
) -> None:
    before, after, changes = rewrite(tmp_path, INCLUDED, "fastapi>=0.93,<0.112.2\n")
    old = run_real(version, before, "app_module")
    assert handlers(old) == COPIED
    assert run_real(version, after, "app_module") == old
    # the router's handlers moved into the app's lifespan, as safe as the app's conversion
    assert "router = Router()\n" in (after / "app_module.py").read_text()
    assert len(changes) == 2 and all(s is Safety.SAFE and a for s, a, _m in changes), changes


def test_on_0_112_2_the_unsafe_move_runs_them_once_as_its_message_says(tmp_path: Path) -> None:
    before, after, changes = rewrite(tmp_path, INCLUDED, "fastapi\n", unsafe=True)
    assert changes and all(s is Safety.UNSAFE and a for s, a, _m in changes), changes
    assert "runs this router's event handlers twice" in changes[0][2]
    assert "after the fix they run once" in changes[0][2]
    old = handlers(run_real("0.112.2", before, "app_module"))
    new = handlers(run_real("0.112.2", after, "app_module"))
    for name in ("r_open", "r_start", "r_stop"):
        assert (old.count(name), new.count(name)) == (2, 1), (name, old, new)
    assert new == COPIED


MOUNTED = (
    _HEAD
    + "\n\nrouter = Router(on_startup=[r_open])\n"
    + _handler("router", "startup", "r_start")
    + "\n\napp = FastAPI()\n"
    + _handler("app", "startup", "a_start")
    + '\n\napp.mount("/sub", router)\n'
    + "\n\nsub = Router(on_startup=[r_open])\n"
    + 'site = Starlette(routes=[Mount("/sub", app=sub)])\n'
)


def test_a_mounted_starlette_routers_handlers_never_ran_and_stay_as_they_are(
    tmp_path: Path,
) -> None:
    before, after, changes = rewrite(tmp_path, MOUNTED, "fastapi==0.112.1\nstarlette==0.38.2\n")
    # only `app`'s own handler moves; the mounted routers keep theirs
    assert [m.split(" registers")[0] for _s, _a, m in changes] == ["`app`"]
    rewritten = (after / "app_module.py").read_text()
    for kept in ("router = Router(on_startup=[r_open])", '@router.on_event("startup")'):
        assert kept in rewritten
    assert "sub = Router(on_startup=[r_open])" in rewritten
    # both apps start, neither runs a mounted router's handlers, before or after
    sequence = run_real("0.112.1", before, "app_module")
    assert sequence.count("-- serving") == 2
    assert handlers(sequence) == ["a_start"]
    assert run_real("0.112.1", after, "app_module") == sequence
