"""``lifespan`` moves a router's handlers (or a tree of routers') into an app's lifespan only when
every link is known (issue 19): the version the component allows, each router's one module-level
``include_router``, no other use of a router as a value, no ``include_router`` on the app outside
module-level statements. Each case is a real tree run through ``run_paths``; the sequences the
converted apps run are proved in ``tests/commands/lifespan/test_nested.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.types import Options, Safety

from ...helpers import run_tree, write_tree

ID = "lifespan"
OPTIONS = Options(select=(ID,))

ROUTES = """
    from fastapi import APIRouter

    items = APIRouter()


    @items.on_event("startup")
    async def load_items():
        pass


    api = APIRouter()


    @api.on_event("startup")
    def open_pool():
        pass


    api.include_router(items)
    """
MAIN = """
    from fastapi import FastAPI

    from shop.routes import api

    app = FastAPI()


    @app.on_event("startup")
    def configure():
        pass


    app.include_router(api)
    """


def tree(tmp_path: Path, requirements: str | None = "fastapi>=0.100\n", **files: str) -> None:
    base = {"shop/__init__.py": "", "shop/routes.py": ROUTES, "shop/main.py": MAIN}
    if requirements is not None:
        base["requirements.txt"] = requirements
    write_tree(tmp_path, {**base, **{k.replace("__", "/") + ".py": v for k, v in files.items()}})


def skips(results: dict[str, object], rel: str) -> str:
    return " | ".join(s.reason for s in results[rel].skips)  # type: ignore[attr-defined]


def test_a_tree_of_routers_moves_into_the_app(tmp_path: Path) -> None:
    # FastAPI < 0.112.2 only: later releases ran the handlers more than once, and the move is
    # then unsafe (tests/commands/lifespan/test_runs.py)
    tree(tmp_path, requirements="fastapi>=0.100,<0.112.2\n")
    results = run_tree(tmp_path, OPTIONS, write=True)
    main = (tmp_path / "shop/main.py").read_text()
    assert "from shop.routes import api, load_items, open_pool\n" in main
    assert "    configure()\n    open_pool()\n    await load_items()\n    yield\n" in main
    assert "on_event" not in (tmp_path / "shop/routes.py").read_text()
    messages = [c.message for c in results["shop/routes.py"].changes]
    assert "`items` registers deprecated event handlers; they move into the lifespan of `app` in " \
        "`shop.main`, which includes it through `api`" in messages  # fmt: skip
    assert all(c.safety is Safety.SAFE for r in results.values() for c in r.changes)


def test_without_a_declared_version_nothing_moves_unless_unsafe(tmp_path: Path) -> None:
    """The app's conversion is unsafe without a declared FastAPI; removing the routers'
    handlers is then just as unsafe (before, they were removed and the app kept its
    deprecated handlers: the routers' stopped running)."""
    tree(tmp_path, requirements=None)
    results = run_tree(tmp_path, OPTIONS, write=True)
    assert not [rel for rel, r in results.items() if r.changed]
    assert {c.safety for r in results.values() for c in r.changes} == {Safety.UNSAFE}
    results = run_tree(tmp_path, Options(select=(ID,), unsafe_fixes=True), write=True)
    assert results["shop/main.py"].changed and results["shop/routes.py"].changed
    assert "on_event" not in (tmp_path / "shop/routes.py").read_text()


def test_a_component_that_allows_fastapi_before_0_93_is_left_alone(tmp_path: Path) -> None:
    tree(tmp_path, requirements="fastapi>=0.80\n")
    results = run_tree(tmp_path, OPTIONS, write=True)
    assert not [rel for rel, r in results.items() if r.changed]
    assert "fastapi>=0.80 allows versions before 0.93.0" in skips(results, "shop/main.py")


TEST_MODULE = """
    from fastapi import FastAPI
    from fastapi.testclient import TestClient


    def test_items():
        from shop.routes import items

        app = FastAPI()
        app.include_router(items)
        with TestClient(app):
            pass
    """


@pytest.mark.parametrize(
    ("files", "where"),
    [
        # a test builds its own app with the router: it would lose the handlers
        ({"tests__test_items": TEST_MODULE}, "line 6 of `tests.test_items`"),
        # the same with the router imported at module level
        (
            {
                "tests__test_items": "from shop.routes import items\n\n\ndef make(app):\n    app.include_router(items)\n"
            },
            "line 5 of `tests.test_items`",
        ),
        # passed to a helper that may include it anywhere
        (
            {
                "shop__plugins": "from shop.routes import items\nfrom kit import register\n\nregister(items)\n"
            },
            "line 4 of `shop.plugins`",
        ),
        # re-exported: whoever imports it from there is not followed
        ({"shop__api": "from shop.routes import items as items_router\n"}, "line 1 of `shop.api`"),
        # a star import
        ({"shop__everything": "from shop.routes import *\n"}, "line 1 of `shop.everything`"),
    ],
    ids=[
        "imported in a test",
        "included in a function",
        "passed to a helper",
        "re-exported",
        "star import",
    ],
)
def test_a_router_used_elsewhere_does_not_move(
    tmp_path: Path, files: dict[str, str], where: str
) -> None:
    tree(tmp_path, **files)
    results = run_tree(tmp_path, OPTIONS, write=True)
    assert not results["shop/main.py"].changed and not results["shop/routes.py"].changed
    reasons = skips(results, "shop/routes.py")
    assert f"`items` not converted: it is also used at {where}, not as the router of a module-level " \
        "`include_router`: it may be included into another app there" in reasons, reasons  # fmt: skip
    assert "`app` not converted: it includes `api`, `items`" in skips(results, "shop/main.py")


NESTED_SAME_MODULE = """
    from fastapi import APIRouter, FastAPI

    app = FastAPI()
    router = APIRouter()
    sub = APIRouter()


    @app.on_event("startup")
    def app_start():
        pass


    @router.on_event("startup")
    def router_start():
        pass


    {first}
    {second}


    @sub.on_event("startup")
    {sub_handler}
    """


@pytest.mark.parametrize(
    ("first", "second", "sub_handler", "why"),
    [
        (
            "router.include_router(sub)",
            "app.include_router(router)",
            "def sub_start():\n        pass",
            "`sub` not converted: handlers are registered after `include_router`, which copied none of them",
        ),
        (
            "app.include_router(router)",
            "router.include_router(sub)",
            "def sub_start():\n        pass",
            "`router` not converted: routers are included into it after `include_router`, which copied "
            "none of their handlers",
        ),
    ],
    ids=["registered after the include", "included after the parent's include"],
)
def test_handlers_that_were_never_copied_keep_the_tree_unconverted(
    tmp_path: Path, first: str, second: str, sub_handler: str, why: str
) -> None:
    source = NESTED_SAME_MODULE.format(first=first, second=second, sub_handler=sub_handler)
    write_tree(tmp_path, {"requirements.txt": "fastapi>=0.100\n", "app.py": source})
    result = run_tree(tmp_path, OPTIONS, write=True)["app.py"]
    assert not result.changed
    assert why in " | ".join(s.reason for s in result.skips)


def test_a_sub_router_whose_handlers_cannot_move_keeps_its_parent(tmp_path: Path) -> None:
    source = """
        from fastapi import APIRouter, FastAPI

        app = FastAPI()
        router = APIRouter()
        sub = APIRouter()
        sub.add_event_handler("startup", lambda: None)


        @router.on_event("startup")
        def router_start():
            pass


        router.include_router(sub)
        app.include_router(router)
        """
    write_tree(tmp_path, {"requirements.txt": "fastapi>=0.100\n", "app.py": source})
    result = run_tree(tmp_path, OPTIONS, write=True)["app.py"]
    assert not result.changed
    reasons = " | ".join(s.reason for s in result.skips)
    assert (
        "`router` not converted: it includes `sub`, whose handlers cannot move with it" in reasons
    )


def test_a_sub_router_the_apps_module_cannot_name_keeps_the_tree(tmp_path: Path) -> None:
    """``items`` lives in a third module that ``shop.main`` does not import."""
    routes = ROUTES.replace(
        'items = APIRouter()\n\n\n    @items.on_event("startup")\n    async def load_items():\n        pass\n',
        "from shop.items import items\n",
    )
    items = 'from fastapi import APIRouter\n\nitems = APIRouter()\n\n\n@items.on_event("startup")\nasync def load_items():\n    pass\n'
    tree(tmp_path, shop__routes=routes, shop__items=items)
    results = run_tree(tmp_path, OPTIONS, write=True)
    assert not [rel for rel, r in results.items() if r.changed]
    assert (
        "`items` not converted: the module of `app` cannot name its handlers: they are in "
        "`shop.items`, which it does not import directly" in skips(results, "shop/items.py")
    )


def test_an_include_on_the_app_inside_a_function_keeps_the_app(tmp_path: Path) -> None:
    """``extend()`` may copy ``extra``'s handlers into the app at any time: with a lifespan the
    app would never run them (FastAPI 0.93-0.112.1)."""
    extra = 'from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.on_event("startup")\ndef extra_start():\n    pass\n'
    main = MAIN.replace(
        "app.include_router(api)",
        "app.include_router(api)\n\n\n    def extend():\n        app.include_router(extra.router)",
    ).replace(
        "from shop.routes import api", "from shop import extra\n    from shop.routes import api"
    )
    tree(tmp_path, shop__main=main, shop__extra=extra)
    results = run_tree(tmp_path, OPTIONS, write=True)
    assert not results["shop/main.py"].changed
    assert (
        "`extra.router` (line 18, not a module-level statement), whose event handlers would stop running"
        in skips(results, "shop/main.py")
    )
