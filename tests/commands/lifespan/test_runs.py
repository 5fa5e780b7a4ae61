"""``lifespan``: moving a router's handlers is unsafe where FastAPI >= 0.112.2 may run.

From 0.112.2 ``include_router`` copies a router's handlers into the includer *and* merges the
router's default lifespan, which runs them again: twice for a router an app includes, three
times for a sub-router (proved on real FastAPI in ``tests/commands/lifespan/test_runs_real.py``). After the
move, into the app's lifespan or a ``lifespan=`` of the router's own, each runs once per
include. So wherever the component allows such a release, or its version is unknown, the app's
conversion and the routers' moves are unsafe fixes that say so, and applied together or not at
all; where every allowed release is older (the copy-only contract) they stay safe. Each case is
a real tree run through ``run_paths``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.types import Options, Safety

from ...helpers import run_tree, write_tree
from .test_links import MAIN, ROUTES

ID = "lifespan"

AFTER = "    configure()\n    open_pool()\n    await load_items()\n    yield\n"

#: (files besides the tree, target-fastapi)
ALLOWS_0_112_2 = {
    "unpinned": ({"requirements.txt": "fastapi\n"}, None),
    "lower bound only": ({"requirements.txt": "fastapi>=0.100\n"}, None),
    "upper bound above": ({"requirements.txt": "fastapi>=0.100,<0.113\n"}, None),
    "locked at 0.112.2": (
        {
            "pyproject.toml": "[project]\nname = 'shop'\ndependencies = ['fastapi>=0.100']\n",
            "uv.lock": "version = 1\n[[package]]\nname = 'fastapi'\nversion = '0.112.2'\n",
        },
        None,
    ),
    "target-fastapi": ({"requirements.txt": "fastapi<0.112.2\n"}, (0, 112, 2)),
    "not declared": ({}, None),
}
BELOW_0_112_2 = {
    "upper bound": ({"requirements.txt": "fastapi>=0.100,<0.112.2\n"}, None),
    "pinned": ({"requirements.txt": "fastapi==0.110.0\n"}, None),
    "compatible release": ({"requirements.txt": "fastapi~=0.111.0\n"}, None),
    "locked at 0.112.1": (
        {
            "pyproject.toml": "[project]\nname = 'shop'\ndependencies = ['fastapi>=0.100']\n",
            "uv.lock": "version = 1\n[[package]]\nname = 'fastapi'\nversion = '0.112.1'\n",
        },
        None,
    ),
    "target-fastapi below, capped": ({"requirements.txt": "fastapi<0.112\n"}, (0, 100, 0)),
}


def shop(tmp_path: Path, files: dict[str, str]) -> None:
    write_tree(
        tmp_path, {"shop/__init__.py": "", "shop/routes.py": ROUTES, "shop/main.py": MAIN, **files}
    )


def messages(results: dict[str, object], rel: str) -> list[str]:
    return [c.message for c in results[rel].changes]  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", sorted(ALLOWS_0_112_2))
def test_where_fastapi_0_112_2_may_run_the_move_is_unsafe_and_says_why(
    tmp_path: Path, case: str
) -> None:
    files, target = ALLOWS_0_112_2[case]
    shop(tmp_path, files)
    before = {rel: (tmp_path / rel).read_text() for rel in ("shop/main.py", "shop/routes.py")}
    results = run_tree(tmp_path, Options(select=(ID,), target_fastapi=target), write=True)
    # neither the app's conversion nor the routers' moves: both or nothing
    assert {rel: (tmp_path / rel).read_text() for rel in before} == before
    changes = [c for r in results.values() for c in r.changes]
    assert len(changes) == 3 and {(c.safety, c.applied) for c in changes} == {
        (Safety.UNSAFE, False)
    }
    (app,) = messages(results, "shop/main.py")
    items, api = messages(results, "shop/routes.py")  # in line order
    assert (
        "; on FastAPI >= 0.112.2 `include_router` runs the event handlers of `shop.routes.api` "
        "twice and of `shop.routes.items` three times (copied into each includer and again "
        "through each router's merged lifespan); after the fix each runs once per include ("
    ) in app
    assert (
        "; on FastAPI >= 0.112.2 `include_router` runs this router's event handlers twice (copied "
        "into `app` and again through the router's merged lifespan); after the fix they run once ("
    ) in api
    assert (
        "; on FastAPI >= 0.112.2 `include_router` runs this router's event handlers three times "
        "(copied into each includer and again through each router's merged lifespan); after the "
        "fix they run once ("
    ) in items
    why = {
        "unpinned": "(requirements.txt:1: fastapi allows 0.112.2 or later)",
        "lower bound only": "(requirements.txt:1: fastapi>=0.100 allows 0.112.2 or later)",
        "upper bound above": "(requirements.txt:1: fastapi>=0.100,<0.113 allows 0.112.2 or later)",
        "locked at 0.112.2": "(uv.lock: fastapi 0.112.2, for pyproject.toml: dependencies: fastapi>=0.100)",
        "target-fastapi": "(target-fastapi is 0.112.2)",
        "not declared": "(the FastAPI version is unknown: `fastapi` is not declared",
    }[case]
    assert all(why in m for m in (app, api, items)), (app, api, items)
    # with --unsafe-fixes both modules change: each handler runs once, in the app's lifespan
    results = run_tree(
        tmp_path, Options(select=(ID,), target_fastapi=target, unsafe_fixes=True), write=True
    )
    assert all(c.applied for r in results.values() for c in r.changes)
    assert AFTER in (tmp_path / "shop/main.py").read_text()
    assert "on_event" not in (tmp_path / "shop/routes.py").read_text()


@pytest.mark.parametrize("case", sorted(BELOW_0_112_2))
def test_where_every_allowed_fastapi_only_copies_the_move_stays_safe(
    tmp_path: Path, case: str
) -> None:
    files, target = BELOW_0_112_2[case]
    shop(tmp_path, files)
    results = run_tree(tmp_path, Options(select=(ID,), target_fastapi=target), write=True)
    changes = [c for r in results.values() for c in r.changes]
    assert len(changes) == 3 and {(c.safety, c.applied) for c in changes} == {(Safety.SAFE, True)}
    assert not any("0.112.2" in c.message for c in changes)
    assert AFTER in (tmp_path / "shop/main.py").read_text()
    assert "on_event" not in (tmp_path / "shop/routes.py").read_text()


ROUTER = """
    from fastapi import APIRouter

    router = APIRouter()


    @router.on_event("startup")
    def start():
        pass
    """


def test_a_routers_own_lifespan_is_unsafe_where_its_handlers_ran_twice(tmp_path: Path) -> None:
    """An app without handlers of its own keeps its default lifespan: the router's copy ran there
    and again through the router's merged default lifespan."""
    write_tree(tmp_path, {
        "requirements.txt": "fastapi>=0.112.2\n",
        "users.py": ROUTER,
        "main.py": "from fastapi import FastAPI\n\nfrom users import router\n\napp = FastAPI()\napp.include_router(router)\n",
    })  # fmt: skip
    results = run_tree(tmp_path, Options(select=(ID,)), write=True)
    (change,) = results["users.py"].changes
    assert change.safety is Safety.UNSAFE and not change.applied
    assert change.message.endswith(
        "; on FastAPI >= 0.112.2 `include_router` runs this router's event handlers twice (copied "
        "into `app` and again through the router's merged lifespan); after the fix they run once "
        "(requirements.txt:1: fastapi>=0.112.2 allows 0.112.2 or later)"
    )
    assert "on_event" in (tmp_path / "users.py").read_text()


def test_a_routers_own_lifespan_stays_safe_where_its_handlers_ran_once(tmp_path: Path) -> None:
    """The app has a lifespan already: its copy of the router's handlers never ran, only the
    router's merged default lifespan did, exactly where its own lifespan now runs."""
    write_tree(tmp_path, {
        "requirements.txt": "fastapi>=0.112.2\n",
        "users.py": ROUTER,
        "main.py": """
            from contextlib import asynccontextmanager

            from fastapi import FastAPI

            from users import router


            @asynccontextmanager
            async def lifespan(app):
                yield


            app = FastAPI(lifespan=lifespan)
            app.include_router(router)
            """,
    })  # fmt: skip
    results = run_tree(tmp_path, Options(select=(ID,)), write=True)
    (change,) = results["users.py"].changes
    assert change.safety is Safety.SAFE and change.applied
    assert "router = APIRouter(lifespan=lifespan)" in (tmp_path / "users.py").read_text()


def test_a_router_included_nowhere_the_run_sees_may_have_run_twice(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "fastapi>=0.112.2\n", "users.py": ROUTER})
    (change,) = run_tree(tmp_path, Options(select=(ID,)))["users.py"].changes
    assert change.safety is Safety.UNSAFE
    assert (
        "`include_router` may run this router's event handlers more than once (copied into each "
        "includer and again through each router's merged lifespan); after the fix they run once "
        "per include"
    ) in change.message
