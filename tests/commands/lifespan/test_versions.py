"""``lifespan`` converts only where every framework version the component allows supports it.

FastAPI accepted ``lifespan=`` from 0.93.0; older releases put the keyword in ``app.extra`` and
run no handler at all (tests/commands/lifespan/test_fastapi_versions.py proves it on 0.88.0 and 0.92.0). Each case
is a real tree with real declarations, run through ``run_paths``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.types import Options, Safety

from ...helpers import run_tree, write_tree

ID = "lifespan"
APP = """
    from fastapi import FastAPI

    app = FastAPI()


    @app.on_event("startup")
    async def connect():
        pass
    """
STARLETTE_APP = """
    from starlette.applications import Starlette

    app = Starlette()


    @app.on_event("startup")
    async def connect():
        pass
    """


def run(tmp_path: Path, files: dict[str, str], unsafe: bool = False) -> tuple[str, list[str], list[Safety]]:
    write_tree(tmp_path, {"main.py": APP, **files})
    results = run_tree(tmp_path, Options(select=(ID,), unsafe_fixes=unsafe), write=True)
    result = results["main.py"]
    assert result.failure is None, result.failure
    return (
        (tmp_path / "main.py").read_text(),
        [s.reason for s in result.skips],
        [c.safety for c in result.changes],
    )


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"requirements.txt": "fastapi==0.88.0\n"}, "requirements.txt:1: fastapi==0.88.0"),
        ({"requirements.txt": "fastapi>=0.80\nuvicorn\n"}, "requirements.txt:1: fastapi>=0.80 allows versions before 0.93.0"),
        ({"pyproject.toml": "[tool.poetry.dependencies]\npython = '^3.11'\nfastapi = '^0.92.0'\n"}, 'pyproject.toml: fastapi = "^0.92.0"'),
        (
            {
                "pyproject.toml": "[project]\nname = 'svc'\ndependencies = ['fastapi']\n",
                "uv.lock": "version = 1\n[[package]]\nname = 'fastapi'\nversion = '0.92.0'\n",
            },
            "uv.lock: fastapi 0.92.0",
        ),
    ],
)
def test_a_component_that_allows_fastapi_before_0_93_is_left_alone(
    tmp_path: Path, files: dict[str, str], reason: str
) -> None:
    code, skips, _ = run(tmp_path, files)
    assert "lifespan=" not in code and '@app.on_event("startup")' in code
    assert len(skips) == 1 and "`lifespan=` needs FastAPI >= 0.93.0" in skips[0] and reason in skips[0], skips


@pytest.mark.parametrize(
    "files",
    [
        {"requirements.txt": "fastapi\n"},
        {"requirements.txt": "fastapi>=0.100,<1\n"},
        {"pyproject.toml": "[tool.poetry.dependencies]\nfastapi = '^0.115'\n"},
        {"requirements.txt": "fastapi>=0.80\n", "pyproject.toml": "[tool.codemod]\ntarget-fastapi = '0.110.0'\n"},
    ],
)
def test_a_component_on_fastapi_0_93_or_later_is_converted(tmp_path: Path, files: dict[str, str]) -> None:
    code, skips, safety = run(tmp_path, files)
    assert "app = FastAPI(lifespan=lifespan)" in code and not skips
    assert safety == [Safety.SAFE]


def test_the_config_of_the_component_overrides_the_run_config(tmp_path: Path) -> None:
    """``target-fastapi`` set in the component's own pyproject wins for its files."""
    code, skips, _ = run(tmp_path, {
        "requirements.txt": "fastapi\n",
        "pyproject.toml": "[tool.codemod]\ntarget-fastapi = '0.90.0'\n",
    })  # fmt: skip
    assert "lifespan=" not in code
    assert "target-fastapi is 0.90.0" in skips[0]


def test_a_bad_component_config_is_an_error_for_its_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.py": APP,
        "requirements.txt": "fastapi\n",
        "pyproject.toml": "[tool.codemod]\ntarget-fastapi = 'latest'\n",
    })  # fmt: skip
    result = run_tree(tmp_path, Options(select=(ID,)))["main.py"]
    assert result.failure is not None and result.failure.stage == "config"
    assert "target-fastapi" in result.failure.message


def test_without_any_declaration_the_conversion_is_unsafe(tmp_path: Path) -> None:
    code, _, safety = run(tmp_path, {})
    assert "lifespan=" not in code and safety == [Safety.UNSAFE]
    code, _, safety = run(tmp_path, {}, unsafe=True)
    assert "app = FastAPI(lifespan=lifespan)" in code


def test_the_reason_for_an_unsafe_conversion_names_the_missing_version(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.py": APP, "requirements.txt": "uvicorn\n"})
    (change,) = run_tree(tmp_path, Options(select=(ID,)))["main.py"].changes
    assert change.safety is Safety.UNSAFE
    assert "the fastapi version is unknown (`fastapi` is not declared by the component)" in change.message


@pytest.mark.parametrize(
    ("pin", "converted"),
    [("starlette>=0.16\n", True), ("starlette==0.15.0\n", False), ("starlette>=0.13.5\n", False)],
)
def test_starlette_takes_an_asynccontextmanager_lifespan_from_0_16(tmp_path: Path, pin: str, converted: bool) -> None:
    write_tree(tmp_path, {"main.py": STARLETTE_APP, "requirements.txt": pin})
    run_tree(tmp_path, Options(select=(ID,)), write=True)
    assert ("lifespan=lifespan" in (tmp_path / "main.py").read_text()) is converted


ROUTER_TREE = {
    "main.py": """
        from fastapi import FastAPI

        from users import router

        app = FastAPI(lifespan=None)
        app.include_router(router)
        """,
    "users.py": """
        from fastapi import APIRouter

        router = APIRouter()


        @router.on_event("startup")
        def start():
            pass
        """,
    "other.py": """
        from fastapi import FastAPI

        from users import router

        second = FastAPI()
        second.include_router(router)
        """,
}


@pytest.mark.parametrize(("pin", "own_lifespan"), [("fastapi>=0.112.2\n", True), ("fastapi>=0.100\n", False)])
def test_a_router_gets_its_own_lifespan_only_where_include_router_merges_it(
    tmp_path: Path, pin: str, own_lifespan: bool
) -> None:
    """Included by two apps, the router's handlers cannot move into one app's lifespan; a
    router ``lifespan=`` is merged only from FastAPI 0.112.2 (ignored before). There each app
    ran `start` twice (its copy and the router's merged default lifespan), once after the fix:
    an unsafe fix."""
    write_tree(tmp_path, {**ROUTER_TREE, "requirements.txt": pin})
    results = run_tree(tmp_path, Options(select=(ID,), unsafe_fixes=True), write=True)
    users = (tmp_path / "users.py").read_text()
    assert ("APIRouter(lifespan=lifespan)" in users) is own_lifespan
    if not own_lifespan:
        assert any("only from FastAPI 0.112.2" in s.reason for s in results["users.py"].skips)
    else:
        (change,) = results["users.py"].changes
        assert change.safety is Safety.UNSAFE and "runs this router's event handlers twice" in change.message


@pytest.mark.parametrize(
    ("include", "why"),
    [
        ("app.include_router(make_router())", "which router it is cannot be told"),
        ("app.include_router(admin.router)", "from `admin_kit.admin`, outside the project"),
    ],
)
def test_an_app_including_a_router_that_cannot_be_read_is_left_alone(tmp_path: Path, include: str, why: str) -> None:
    """Such a router may register handlers; once the app has a lifespan, FastAPI 0.93-0.112.1
    would silently drop them (and later releases run them in another order)."""
    write_tree(tmp_path, {
        "requirements.txt": "fastapi\nadmin-kit\n",
        "main.py": f"""
            from fastapi import FastAPI
            from admin_kit import admin, make_router

            app = FastAPI()


            @app.on_event("startup")
            async def connect():
                pass


            {include}
            """,
    })  # fmt: skip
    result = run_tree(tmp_path, Options(select=(ID,)))["main.py"]
    assert not result.changed
    assert why in result.skips[0].reason


def test_a_router_re_exported_by_a_package_is_followed(tmp_path: Path) -> None:
    """``routers/__init__.py`` names no event API but re-exports ``users.router``, which has a
    startup handler: the package's text says nothing about that router."""
    write_tree(tmp_path, {
        "requirements.txt": "fastapi>=0.100\n",
        "routers/__init__.py": "from .users import router as users_router\n",
        "routers/users.py": """
            from fastapi import APIRouter

            router = APIRouter()


            @router.on_event("startup")
            def warm():
                pass
            """,
        "main.py": """
            from fastapi import FastAPI

            from routers import users_router

            app = FastAPI()


            @app.on_event("startup")
            def start():
                pass


            app.include_router(users_router)
            """,
    })  # fmt: skip
    result = run_tree(tmp_path, Options(select=(ID,)))["main.py"]
    assert not result.changed
    assert "`users_router` (`users_router` is not a module-level router of `routers`)" in result.skips[0].reason


def test_handlers_of_another_components_router_do_not_move(tmp_path: Path) -> None:
    """Moving them would make the app import from a component it does not declare."""
    write_tree(tmp_path, {
        "libs/pyproject.toml": "[project]\nname = 'shared'\ndependencies = ['fastapi']\n",
        "libs/shared/__init__.py": "",
        "libs/shared/routers.py": """
            from fastapi import APIRouter

            router = APIRouter()


            @router.on_event("startup")
            def warm():
                pass
            """,
        "svc/requirements.txt": "fastapi>=0.100\n",
        "svc/main.py": """
            import sys

            sys.path.insert(0, "../libs")
            from fastapi import FastAPI
            from shared.routers import router

            app = FastAPI()
            app.include_router(router)
            """,
    })  # fmt: skip
    results = run_tree(tmp_path, Options(select=(ID,)))
    assert not results["svc/main.py"].changed
    assert "import" not in "".join(str(c) for c in results["svc/main.py"].changes)


_R = """
    from fastapi import APIRouter

    router = APIRouter()


    @router.on_event("startup")
    async def r_start():
        pass
    """
_X = """
    from fastapi import APIRouter

    router = APIRouter()
    router.add_event_handler("startup", lambda: None)
    """
LAYOUTS = {
    "same module": {
        "main.py": """
            from fastapi import APIRouter, FastAPI

            r = APIRouter()
            x = APIRouter()
            app = FastAPI()


            @r.on_event("startup")
            async def r_start():
                pass


            x.add_event_handler("startup", lambda: None)
            app.include_router(r)
            app.include_router(x)
            """,
    },
    "across modules": {
        "r.py": _R,
        "x.py": _X,
        "main.py": """
            from fastapi import FastAPI

            import r
            import x

            app = FastAPI()
            app.include_router(r.router)
            app.include_router(x.router)
            """,
    },
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_router_included_before_an_unconverted_one_is_left_alone(
    tmp_path: Path, layout: str
) -> None:
    """``x`` keeps its handler (a lambda): ``include_router`` copies it into the app, whose
    default lifespan runs it before every merged router lifespan, so a ``lifespan=`` of ``r``
    would run ``r_start`` after it. Every object left alone says why, naming the router."""
    write_tree(tmp_path, LAYOUTS[layout])
    results = run_tree(tmp_path, Options(select=(ID,), target_fastapi=(0, 115, 0)))
    assert not any(r.changed for r in results.values())
    reasons = {name: " ".join(s.reason for s in r.skips) for name, r in results.items()}
    x = "`x`" if layout == "same module" else "`x.router`"
    r_file = "main.py" if layout == "same module" else "r.py"
    assert f"includes {x}, whose startup handlers stay registered the old way" in reasons[r_file]
    assert "is not a named function" in reasons["main.py" if layout == "same module" else "x.py"]
    assert f"{x}, whose event handlers stay registered with deprecated APIs" in reasons["main.py"]


def test_a_router_included_before_one_that_cannot_be_read_is_left_alone(tmp_path: Path) -> None:
    """A router from outside the project may register startup handlers, copied at its include."""
    write_tree(tmp_path, {
        "r.py": _R,
        "main.py": """
            from fastapi import FastAPI
            from admin_kit import admin

            import r

            app = FastAPI()
            app.include_router(r.router)
            app.include_router(admin.router)
            """,
    })  # fmt: skip
    results = run_tree(tmp_path, Options(select=(ID,), target_fastapi=(0, 115, 0)))
    assert not results["r.py"].changed
    assert any("includes `admin.router`" in s.reason for s in results["r.py"].skips)
