"""``lifespan``: a Starlette ``Router`` that a FastAPI app includes with ``include_router``.

FastAPI's ``include_router`` takes a plain ``starlette.routing.Router`` as it takes an
``APIRouter`` (up to 0.136; 0.137 and later fail on it): before 0.112.2 it only copies the
router's ``on_startup``/``on_shutdown`` lists, so a ``lifespan=`` of the router's own would
never run there. Such a router moves into the app's lifespan like an ``APIRouter``, gets its own
``lifespan=`` only where every FastAPI version the component allows merges it (0.112.2), and is
skipped otherwise. A mounted router (``Mount``, ``app.mount``) is left alone: Starlette runs
neither the lifespan nor the handlers of a mounted app. Run for real in
``tests/commands/lifespan/test_starlette_router_real.py``; each case here is a real tree run through
``run_paths``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.types import Options, Safety

from ...helpers import dedent, run_tree, write_tree

ID = "lifespan"
BELOW = {"requirements.txt": "fastapi>=0.93,<0.112.2\n"}

INCLUDED = """
    from fastapi import FastAPI
    from starlette.routing import Router


    def r_start():
        pass


    router = Router(on_startup=[r_start])
    app = FastAPI()
    app.include_router(router)
    """
MOVED = """
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from starlette.routing import Router


    def r_start():
        pass


    router = Router()


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        r_start()
        yield


    app = FastAPI(lifespan=lifespan)
    app.include_router(router)
    """


def _run(
    tmp_path: Path, files: dict[str, str], unsafe: bool = False
) -> tuple[str, list[tuple[Safety, bool, str]], list[str]]:
    write_tree(tmp_path, files)
    options = Options(select=(ID,), unsafe_fixes=unsafe)
    result = run_tree(tmp_path, options, write=True)["app_module.py"]
    changes = [(c.safety, c.applied, c.message) for c in result.changes]
    return (tmp_path / "app_module.py").read_text(), changes, [s.reason for s in result.skips]


def test_below_0_112_2_an_included_starlette_router_moves_into_the_app(tmp_path: Path) -> None:
    # before: `Router(lifespan=lifespan)`, which FastAPI < 0.112.2 never runs
    code, changes, skips = _run(tmp_path, {**BELOW, "app_module.py": INCLUDED})
    assert code == dedent(MOVED)
    assert [(s, a) for s, a, _m in changes] == [(Safety.SAFE, True)] * 2, changes
    assert "they move into the lifespan of `app`, which includes it" in changes[0][2]
    assert skips == []


def test_below_0_112_2_a_starlette_router_that_cannot_move_is_skipped(tmp_path: Path) -> None:
    source = dedent(INCLUDED) + "other = FastAPI()\nother.include_router(router)\n"
    code, changes, skips = _run(tmp_path, {**BELOW, "app_module.py": source}, unsafe=True)
    assert code == source
    assert changes == []
    assert skips == [
        "`router` not converted: it is included more than once; and a router `lifespan=` is "
        "merged by `include_router` only from FastAPI 0.112.2 (requirements.txt:1: "
        "fastapi>=0.93,<0.112.2 allows versions before 0.112.2, which lack merged router "
        "lifespans)",
        "`app` not converted: it includes `router`, whose event handlers stay registered with "
        "deprecated APIs",
        "`other` not converted: it includes `router`, whose event handlers stay registered "
        "with deprecated APIs",
    ]
    # where every allowed release merges router lifespans, it gets its own (unsafe: it ran
    # twice in each app before)
    files = {"requirements.txt": "fastapi>=0.112.2\n", "app_module.py": source}
    merged, changes, _skips = _run(tmp_path / "merged", files, unsafe=True)
    assert "router = Router(lifespan=lifespan)\n" in merged
    assert [(s, a) for s, a, _m in changes] == [(Safety.UNSAFE, True)], changes


def test_where_0_112_2_may_run_moving_it_is_unsafe_and_says_how_often(tmp_path: Path) -> None:
    files = {"requirements.txt": "fastapi\n", "app_module.py": INCLUDED}
    code, changes, _skips = _run(tmp_path, files)
    assert code == dedent(INCLUDED)
    assert [(s, a) for s, a, _m in changes] == [(Safety.UNSAFE, False)] * 2, changes
    assert (
        "on FastAPI >= 0.112.2 `include_router` runs this router's event handlers twice (copied "
        "into `app` and again through the router's merged lifespan); after the fix they run once"
    ) in changes[0][2]
    applied, _changes, _skips = _run(tmp_path / "unsafe", files, unsafe=True)
    assert applied == dedent(MOVED)


MOUNTED = {
    "app.mount": """
        from fastapi import FastAPI
        from starlette.routing import Router


        def r_start():
            pass


        router = Router(on_startup=[r_start])
        app = FastAPI()
        app.mount("/sub", router)
        """,
    "Mount": """
        from starlette.applications import Starlette
        from starlette.routing import Mount, Router


        def r_start():
            pass


        router = Router()
        router.add_event_handler("startup", r_start)
        app = Starlette(routes=[Mount("/sub", app=router)])
        """,
}


@pytest.mark.parametrize("how", sorted(MOUNTED))
def test_a_mounted_starlette_router_is_left_alone(tmp_path: Path, how: str) -> None:
    """Its handlers never ran (Starlette sends no lifespan events to a mounted app): neither a
    move into the app's lifespan, which would start running them, nor a ``lifespan=`` of its
    own, as pointless as they were."""
    source = MOUNTED[how]
    files = {"requirements.txt": "fastapi==0.112.1\nstarlette==0.38.2\n", "app_module.py": source}
    code, changes, skips = _run(tmp_path, files, unsafe=True)
    assert code == dedent(source)
    assert changes == []
    (skip,) = skips
    assert skip.startswith("`router` not converted: ") and "it is also used at line" in skip
