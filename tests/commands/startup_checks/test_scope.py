"""``startup-checks`` checks only what the app's own code surely reads: its import closure, at
import, in its lifespan and handlers and the functions they always call; never other services,
example plugins, helpers nothing calls, or provider-selection branches."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from codemods.types import Options

from ...conftest import CLI
from ...helpers import assert_codemod, dedent, run, run_tree, write_tree

ID = "startup-checks"
OPTIONS = Options(select=(ID,), unsafe_fixes=True)

MONOREPO = {
    "pyproject.toml": '[project]\nname = "shop"\nversion = "1"\ndependencies = ["fastapi>=0.100"]\n',
    "orders/__init__.py": "",
    "orders/main.py": """
        import os
        from contextlib import asynccontextmanager

        from fastapi import Depends, FastAPI

        from orders.payments import charge
        from orders.providers import llm_name

        DATABASE_URL = os.getenv("ORDERS_DATABASE_URL")


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            yield


        app = FastAPI(lifespan=lifespan)


        def current_user() -> str:
            return os.environ["ORDERS_JWT_SECRET"][:1]


        @app.post("/orders")
        async def create(user: str = Depends(current_user)):
            return {"user": user, "charged": charge(), "db": DATABASE_URL, "llm": llm_name()}
    """,
    "orders/payments.py": """
        import os


        def charge() -> str:
            return os.environ["STRIPE_API_KEY"][:2]


        def refund() -> str:  # nothing the app runs calls it
            return os.environ["STRIPE_REFUND_KEY"]
    """,
    "orders/providers.py": """
        import os

        PROVIDER = os.getenv("LLM_PROVIDER", "none")


        def llm_name():
            if PROVIDER == "openai":
                return os.environ["OPENAI_API_KEY"][:0] + "openai"
            elif PROVIDER == "anthropic":
                return os.environ["ANTHROPIC_API_KEY"][:0] + "anthropic"
            match PROVIDER:
                case "groq":
                    return os.environ["GROQ_API_KEY"][:0] + "groq"
            return None
    """,
    "users/__init__.py": "",
    "users/main.py": """
        from fastapi import FastAPI

        from users.db import connect

        app = FastAPI()


        @app.get("/users")
        def users():
            return {"db": connect()}
    """,
    "users/db.py": """
        import os


        def connect():
            return os.getenv("USERS_DATABASE_URL")
    """,
    "examples/__init__.py": "",
    "examples/echo_plugin.py": """
        import os

        from fastapi import APIRouter

        router = APIRouter()
        TOKEN = os.getenv("ECHO_PLUGIN_TOKEN")


        @router.get("/echo")
        def echo():
            return {"token": os.environ["ECHO_PLUGIN_SECRET"]}
    """,
}

ORDERS = ("ORDERS_DATABASE_URL", "ORDERS_JWT_SECRET", "STRIPE_API_KEY")
USERS = ("USERS_DATABASE_URL",)
EVERY = (*ORDERS, *USERS, "ANTHROPIC_API_KEY", "ECHO_PLUGIN_SECRET", "ECHO_PLUGIN_TOKEN",
         "GROQ_API_KEY", "OPENAI_API_KEY", "STRIPE_REFUND_KEY")  # fmt: skip


def _checked(text: str) -> tuple[str, ...]:
    found = re.search(r"for name in \(([^)]*)\)", text)
    assert found is not None, text
    return tuple(n.strip().strip('"') for n in found.group(1).split(",") if n.strip())


def test_each_app_checks_only_its_own_variables(tmp_path: Path) -> None:
    write_tree(tmp_path, MONOREPO)
    results = run_tree(tmp_path, OPTIONS, write=True)
    assert sorted(p for p, r in results.items() if r.changed) == ["orders/main.py", "users/main.py"]
    assert _checked((tmp_path / "orders/main.py").read_text()) == ORDERS
    assert _checked((tmp_path / "users/main.py").read_text()) == USERS
    assert "RuntimeError" not in (tmp_path / "examples/echo_plugin.py").read_text()
    assert not [r for r in run_tree(tmp_path, OPTIONS).values() if r.changed]


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_tree(tmp_path, MONOREPO)
    run_tree(tmp_path, OPTIONS, write=True)
    for name in EVERY:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for module in [m for m in sys.modules if m.split(".")[0] in {"orders", "users", "examples"}]:
        del sys.modules[module]


def test_each_rewritten_app_starts_with_only_its_own_variables(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ORDERS:
        monkeypatch.setenv(name, "set")
    orders = importlib.import_module("orders.main")
    with TestClient(orders.app) as client:
        response = client.post("/orders")
    assert response.json() == {"user": "s", "charged": "se", "db": "set", "llm": None}
    users = importlib.import_module("users.main")
    message = r"^missing required environment variables: USERS_DATABASE_URL$"
    with pytest.raises(RuntimeError, match=message), TestClient(users.app):
        pass
    monkeypatch.setenv("USERS_DATABASE_URL", "u")
    with TestClient(users.app) as client:
        assert client.get("/users").json() == {"db": "u"}


def test_a_missing_variable_stops_startup_with_its_name(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ORDERS[:-1]:
        monkeypatch.setenv(name, "set")
    orders = importlib.import_module("orders.main")
    message = r"^missing required environment variables: STRIPE_API_KEY$"
    with pytest.raises(RuntimeError, match=message), TestClient(orders.app):
        pass


# -- single files: which reads count ---------------------------------------------------------------

HEADER = """
    import os

    from fastapi import Depends, FastAPI

    app = FastAPI()
"""


@pytest.mark.parametrize(
    "code",
    [
        # provider selection at module level, in a handler, and by match
        'if os.getenv("PROVIDER") == "openai":\n    KEY = os.getenv("OPENAI_API_KEY")\nelse:\n    KEY = os.getenv("ANTHROPIC_API_KEY")\n',
        'if os.getenv("ADMIN"):\n    app.include_router(admin, dependencies=[Depends(admin_key)])\n\n\ndef admin_key():\n    return os.environ["A_KEY"]\n',
        '@app.get("/")\ndef h(p: str):\n    if p == "a":\n        return os.environ["A_KEY"]\n    return None\n',
        '@app.get("/")\ndef h(p: str):\n    match p:\n        case "a":\n            return os.getenv("A_KEY")\n',
        '@app.get("/")\ndef h(p: str):\n    return os.getenv("A_KEY") if p else None\n',
        '@app.get("/")\ndef h(p: str):\n    return p and os.getenv("A_KEY")\n',
        '@app.get("/")\ndef h(items: list):\n    for _ in items:\n        os.environ["A_KEY"]\n',
        # caught, defaulted, unreachable
        '@app.get("/")\ndef h():\n    try:\n        return os.environ["A_KEY"]\n    except KeyError:\n        return None\n',
        '@app.get("/")\ndef h():\n    return os.getenv("A_KEY", "dev")\n',
        'def helper():\n    return os.getenv("A_KEY")\n',
        '@app.get("/")\ndef h():\n    def inner():\n        return os.getenv("A_KEY")\n    return inner\n',
        'class Client:\n    def key(self):\n        return os.getenv("A_KEY")\n',
        '@app.get("/")\ndef h(p: str):\n    if p:\n        return helper()\n\n\ndef helper():\n    return os.getenv("A_KEY")\n',
        # after a statement that may leave the function (an early return, raise or assert)
        '@app.get("/")\ndef h(p: str):\n    if not p:\n        return None\n    return os.environ["A_KEY"]\n',
        '@app.get("/")\ndef h(p: str):\n    try:\n        if not p:\n            raise ValueError(p)\n    finally:\n        pass\n    return os.environ["A_KEY"]\n',
        '@app.get("/")\ndef h(p: str):\n    assert p\n    return os.environ["A_KEY"]\n',
        '@app.get("/")\ndef h(p: str):\n    if not p:\n        return None\n    return helper()\n\n\ndef helper():\n    return os.getenv("A_KEY")\n',
    ],
)
def test_reads_that_may_not_run_are_not_required(code: str) -> None:
    assert_codemod(ID, dedent(HEADER) + "\n\n" + code, unsafe=True, changes=0)


@pytest.mark.parametrize(
    "code",
    [
        'KEY = os.getenv("A_KEY")\n',
        'if True:\n    KEY = os.getenv("A_KEY")\n',
        '@app.get("/")\ndef h():\n    return helper()\n\n\ndef helper():\n    return os.getenv("A_KEY")\n',
        'def dep():\n    return os.environ["A_KEY"]\n\n\n@app.get("/")\ndef h(k=Depends(dep)):\n    return k\n',
        '@app.middleware("http")\nasync def mw(request, call_next):\n    os.environ["A_KEY"]\n    return await call_next(request)\n',
        '@app.get("/")\ndef h():\n    try:\n        return os.environ["A_KEY"]\n    finally:\n        pass\n',
        # a `break` leaves only its loop, an exit in a nested function leaves only that function
        '@app.get("/")\ndef h(items: list):\n    for i in items:\n        if i:\n            break\n    return os.environ["A_KEY"]\n',
        '@app.get("/")\ndef h():\n    def inner():\n        return 1\n    return os.environ["A_KEY"], inner\n',
    ],
)
def test_reads_that_always_run_are_required(code: str) -> None:
    result = run(ID, dedent(HEADER) + "\n\n" + code, OPTIONS)
    (change,) = result.changes
    assert change.applied and "(A_KEY)" in change.message
    assert '_missing = [name for name in ("A_KEY",) if name not in os.environ]' in result.code


def test_an_unanalysable_import_is_a_skip(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "main.py": 'import os\n\nimport broken\nfrom fastapi import FastAPI\n\nKEY = os.getenv("KEY")\napp = FastAPI()\n',
            "broken.py": "def (:\n",
        },
    )
    result = run_tree(tmp_path, OPTIONS)["main.py"]
    assert not result.changed
    assert [s.reason for s in result.skips] == [
        "the variables the app needs are unknown: `broken` could not be analysed "
        "(unparsable, or two files answer the name)"
    ]


def test_a_deeply_nested_expression_is_gathered(tmp_path: Path) -> None:
    deep = "TOTAL = " + "1 + " * 900 + "1\n"
    app = 'import os\nfrom fastapi import FastAPI\n\nKEY = os.getenv("KEY")\napp = FastAPI()\n'
    write_tree(tmp_path, {"main.py": deep + app})
    result = run_tree(tmp_path, OPTIONS)["main.py"]
    assert result.failure is None and result.changed


_EARLY_RETURN = """
    import os
    from contextlib import asynccontextmanager

    from fastapi import FastAPI

    FEATURE = os.environ.get("FEATURE_SEARCH") == "1"


    def init_search():
        if not FEATURE:
            return None
        return os.environ["SEARCH_URL"]


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.search = init_search()
        yield


    app = FastAPI(lifespan=lifespan)
"""


def test_a_read_after_an_early_return_does_not_stop_startup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"early_app.py": _EARLY_RETURN})
    for name in ("FEATURE_SEARCH", "SEARCH_URL"):
        monkeypatch.delenv(name, raising=False)
    run_tree(tmp_path, OPTIONS, write=True)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        module = importlib.import_module("early_app")
        with TestClient(module.app):  # the app starts without SEARCH_URL, as before
            assert module.app.state.search is None
    finally:
        sys.modules.pop("early_app", None)


_SETTINGS = """
    from fastapi import FastAPI
    from pydantic_settings import BaseSettings, SettingsConfigDict


    class Settings(BaseSettings):
{config}
        database_url: str


    app = FastAPI()


    @app.get("/")
    def url():
        return Settings({call}).database_url
"""


@pytest.mark.parametrize(
    ("config", "call"),
    [
        ('        model_config = SettingsConfigDict(env_file=".env")', ""),
        ('        model_config = {"secrets_dir": "/run/secrets"}', ""),
        ('        class Config:\n                env_file = ".env"', ""),
        ("        model_config = CONFIG", ""),
        ("        pass", '_env_file=".env"'),
    ],
)
def test_settings_that_may_read_a_dotenv_file_are_not_required(config: str, call: str) -> None:
    code = dedent(_SETTINGS.replace("{config}", config).replace("{call}", call))
    assert_codemod(ID, "CONFIG = {}\n" + code, unsafe=True, changes=0)


def test_settings_without_a_dotenv_file_are_required() -> None:
    code = dedent(
        _SETTINGS.replace("{config}", '        model_config = SettingsConfigDict(env_prefix="")')
    )
    result = run(ID, code.replace("{call}", ""), OPTIONS)
    assert '("DATABASE_URL",) if name not in os.environ' in result.code


def test_load_dotenv_inside_a_function_is_a_skip() -> None:
    code = dedent(HEADER) + (
        '\n\nfrom dotenv import load_dotenv\n\nKEY = os.environ["A_KEY"]\n\n\n'
        "def configure():\n    load_dotenv()\n"
    )
    result = run(ID, code, OPTIONS)
    assert not result.changes
    assert any("load_dotenv()" in s.reason for s in result.skips), result.skips


def test_load_dotenv_at_import_keeps_the_check() -> None:
    code = (
        dedent(HEADER)
        + '\n\nfrom dotenv import load_dotenv\n\nload_dotenv()\nKEY = os.getenv("A_KEY")\n'
    )
    (change,) = run(ID, code, OPTIONS).changes
    assert "(A_KEY)" in change.message


_EMPTY_OK = """
    import os

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/")
    def token():
        return {"token": os.environ["API_TOKEN"]}
"""


def test_an_empty_value_still_starts_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"empty_app.py": _EMPTY_OK})
    assert run_tree(tmp_path, OPTIONS, write=True)["empty_app.py"].changed
    monkeypatch.setenv("API_TOKEN", "")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        module = importlib.import_module("empty_app")
        with TestClient(module.app) as client:  # `os.environ["API_TOKEN"]` accepts ""
            assert client.get("/").json() == {"token": ""}
        monkeypatch.delenv("API_TOKEN")
        with pytest.raises(RuntimeError, match="API_TOKEN"), TestClient(module.app):
            pass
    finally:
        sys.modules.pop("empty_app", None)


def test_a_variable_left_to_a_dotenv_file_is_reported_as_skipped() -> None:
    """Left out of the check, but never silently: the skip names the variable and the field."""
    config = '        model_config = SettingsConfigDict(env_file=".env")'
    code = dedent(_SETTINGS.replace("{config}", config).replace("{call}", ""))
    result = run(ID, code, OPTIONS)
    assert not result.changes
    (skip,) = result.skips
    assert skip.line == code.splitlines().index("app = FastAPI()") + 1
    assert skip.reason.startswith(
        "`DATABASE_URL` is not checked: `Settings.database_url` (this file, line 7) may read it "
        "from a dotenv file or a secrets directory"
    ), skip.reason


_DOTENV_TREE = {
    "pyproject.toml": '[project]\nname = "shop"\nversion = "1"\ndependencies = ["fastapi>=0.100"]\n',
    "shop/__init__.py": "",
    "shop/settings.py": """
        from pydantic_settings import BaseSettings


        class Settings(BaseSettings):
            database_url: str
            secret_key: str


        def settings() -> Settings:
            return Settings(_env_file=".env")
    """,
    "shop/main.py": """
        import os

        from fastapi import FastAPI

        from shop.settings import settings

        app = FastAPI()


        @app.get("/")
        def home():
            return {"db": settings().database_url, "token": os.environ["API_TOKEN"]}
    """,
}


def test_the_cli_shows_why_dotenv_variables_are_not_checked(cli: CLI, tmp_path: Path) -> None:
    write_tree(tmp_path, _DOTENV_TREE)
    proc = cli(
        "check", "--no-cache", "--select", ID, "--unsafe-fixes", "--show-skips", "--diff", "."
    )
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 1, out + err
    assert '("API_TOKEN",) if name not in os.environ' in out
    skipped = [line for line in err.splitlines() if "is not checked" in line]
    assert [line.split("skipped: ")[1].split(" is not checked")[0] for line in skipped] == [
        "`DATABASE_URL`",
        "`SECRET_KEY`",
    ], err
    assert all(line.startswith("shop/main.py:7: startup-checks: skipped: ") for line in skipped), (
        err
    )
    assert "`Settings.database_url` (shop.settings, line 5) may read it from a dotenv file" in err
