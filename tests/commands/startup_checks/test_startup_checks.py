"""The ``startup-checks`` codemod: noops first, then inserts, creations and updates, then skips,
the gather phase across files, and the behaviour of a rewritten app under ``TestClient``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

from codemods.types import Options

from ...helpers import assert_codemod, dedent, run, run_tree, write_tree

ID = "startup-checks"
HEADER = """
        import os
        from contextlib import asynccontextmanager

        from fastapi import FastAPI
"""


# -- noop ------------------------------------------------------------------------------------------


def test_noop_without_app() -> None:
    assert_codemod(ID, 'import os\n\nKEY = os.getenv("KEY")\n', unsafe=True, changes=0)


def test_noop_without_required_variables() -> None:
    assert_codemod(
        ID,
        HEADER
        + """
        DEBUG = os.getenv("DEBUG", "0")
        TOKEN = os.environ.get("TOKEN") or "dev"


        def feature():
            flag = os.getenv("FLAG")
            if not flag:
                return None
            return flag


        app = FastAPI()
        """,
        unsafe=True,
        changes=0,
    )


def test_noop_when_the_check_is_current() -> None:
    assert_codemod(
        ID,
        HEADER
        + """
        SECRET = os.getenv("SECRET_KEY")


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            _missing = [name for name in ("SECRET_KEY",) if name not in os.environ]
            if _missing:
                raise RuntimeError("missing required environment variables: " + ", ".join(_missing))
            yield


        app = FastAPI(lifespan=lifespan)
        """,
        unsafe=True,
        changes=0,
    )


def test_reported_but_not_applied_without_unsafe_fixes() -> None:
    code = dedent(HEADER) + '\nSECRET = os.getenv("SECRET_KEY")\n\napp = FastAPI()\n'
    result = assert_codemod(ID, code, changes=1)
    (change,) = result.changes
    assert not change.applied and change.safety.value == "unsafe"
    assert "SECRET_KEY" in change.message


# -- rewrites --------------------------------------------------------------------------------------


def test_inserts_into_the_existing_lifespan_after_its_docstring() -> None:
    assert_codemod(
        ID,
        HEADER
        + """
        SECRET_KEY = os.getenv("SECRET_KEY")


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            \"\"\"Start and stop.\"\"\"
            # Startup
            yield
            # Shutdown


        app = FastAPI(lifespan=lifespan)


        @app.get("/")
        async def root():
            return {"groq": os.environ["GROQ_API_KEY"], "key": SECRET_KEY}
        """,
        HEADER
        + """
        SECRET_KEY = os.getenv("SECRET_KEY")


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            \"\"\"Start and stop.\"\"\"
            _missing = [name for name in ("GROQ_API_KEY", "SECRET_KEY") if name not in os.environ]
            if _missing:
                raise RuntimeError("missing required environment variables: " + ", ".join(_missing))
            # Startup
            yield
            # Shutdown


        app = FastAPI(lifespan=lifespan)


        @app.get("/")
        async def root():
            return {"groq": os.environ["GROQ_API_KEY"], "key": SECRET_KEY}
        """,
        unsafe=True,
        changes=1,
    )


def test_creates_a_lifespan_and_imports() -> None:
    assert_codemod(
        ID,
        """
        from fastapi import FastAPI
        from settings import load

        # The application.
        app = FastAPI(
            title="x",
            version="1",
        )


        @app.get("/")
        def handler():
            import os
            return os.getenv("API_KEY")
        """,
        """
        import os
        from contextlib import asynccontextmanager

        from fastapi import FastAPI
        from settings import load


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            _missing = [name for name in ("API_KEY",) if name not in os.environ]
            if _missing:
                raise RuntimeError("missing required environment variables: " + ", ".join(_missing))
            yield


        # The application.
        app = FastAPI(
            title="x",
            version="1",
            lifespan=lifespan,
        )


        @app.get("/")
        def handler():
            import os
            return os.getenv("API_KEY")
        """,
        unsafe=True,
    )


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("FastAPI()", "FastAPI(lifespan=lifespan)"),
        ('FastAPI(title="x")', 'FastAPI(title="x", lifespan=lifespan)'),
        ('FastAPI(\n    title="x"\n)', 'FastAPI(\n    title="x",\n    lifespan=lifespan\n)'),
    ],
)
def test_lifespan_keyword_follows_the_call_layout(call: str, expected: str) -> None:
    result = run(ID, f'import os\nfrom fastapi import FastAPI\n\nK = os.getenv("K")\napp = {call}\n',
                 Options(unsafe_fixes=True))  # fmt: skip
    assert f"app = {expected}\n" in result.code


def test_updates_its_own_check_when_the_variables_change() -> None:
    before = (
        HEADER
        + """
        A = os.getenv("A")
        C = os.getenv("C")


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            _missing = [name for name in ("A", "B") if name not in os.environ]
            if _missing:
                raise RuntimeError("missing: " + ", ".join(_missing))
            yield


        app = FastAPI(lifespan=lifespan)
        """
    )
    assert_codemod(
        ID,
        before,
        before.replace('("A", "B")', '("A", "C")'),
        unsafe=True,
        changes=1,
    )


def test_long_lists_are_wrapped_and_names_do_not_clash() -> None:
    names = [f"SERVICE_{i}_API_KEY" for i in range(6)]
    reads = "\n".join(f'        K{i} = os.getenv("{n}")' for i, n in enumerate(names))
    result = assert_codemod(
        ID,
        HEADER
        + "\n"
        + reads
        + """


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            _missing = "something else"
            yield _missing


        app = FastAPI(lifespan=lifespan)
        """,
        HEADER
        + "\n"
        + reads
        + """


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            _missing_env = [
                name
                for name in (
                    "SERVICE_0_API_KEY",
                    "SERVICE_1_API_KEY",
                    "SERVICE_2_API_KEY",
                    "SERVICE_3_API_KEY",
                    "SERVICE_4_API_KEY",
                    "SERVICE_5_API_KEY",
                )
                if name not in os.environ
            ]
            if _missing_env:
                raise RuntimeError("missing required environment variables: " + ", ".join(_missing_env))
            _missing = "something else"
            yield _missing


        app = FastAPI(lifespan=lifespan)
        """,
        unsafe=True,
    )
    assert len(result.changes) == 1


# -- skips -----------------------------------------------------------------------------------------


def test_skips_an_app_with_event_handlers_and_no_lifespan() -> None:
    assert_codemod(
        ID,
        """
        import os

        from fastapi import FastAPI

        KEY = os.getenv("KEY")
        app = FastAPI()


        @app.on_event("startup")
        async def start():
            pass
        """,
        unsafe=True,
        skips=["run the `lifespan` codemod first"],
    )


def test_skips_a_lifespan_from_another_module() -> None:
    assert_codemod(
        ID,
        'import os\nfrom fastapi import FastAPI\nfrom lifecycle import lifespan\n\nK = os.getenv("K")\napp = FastAPI(lifespan=lifespan)\n',
        unsafe=True,
        skips=["is not an `@asynccontextmanager` `async def` of this module"],
    )


def test_skips_below_fastapi_093() -> None:
    assert_codemod(
        ID,
        'import os\nfrom fastapi import FastAPI\n\nK = os.getenv("K")\napp = FastAPI()\n',
        options=Options(target_fastapi=(0, 92, 0)),
        unsafe=True,
        skips=["not supported by every version the component allows: target-fastapi is 0.92.0"],
    )


def test_skips_when_os_is_something_else() -> None:
    assert_codemod(
        ID,
        'import os as real_os\nfrom fastapi import FastAPI\n\nos = "not the module"\nK = real_os.getenv("K")\napp = FastAPI()\n',
        unsafe=True,
        skips=["`os` is bound to something other"],
    )


def test_suppression_comment() -> None:
    assert_codemod(
        ID,
        'import os\nfrom fastapi import FastAPI\n\nK = os.getenv("K")\napp = FastAPI()  # codemod: skip[startup-checks]\n',
        unsafe=True,
        skips=["suppressed"],
    )


# -- the gather phase ------------------------------------------------------------------------------


def test_after_the_lifespan_codemod_in_one_run(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "main.py": """
                import os

                from fastapi import FastAPI

                SECRET_KEY = os.getenv("SECRET_KEY")
                app = FastAPI()


                @app.on_event("startup")
                async def start():
                    print("up")
            """
        },
    )
    options = Options(select=("lifespan", ID), unsafe_fixes=True)
    run_tree(tmp_path, options, write=True)
    text = (tmp_path / "main.py").read_text(encoding="utf-8")
    assert "on_event" not in text
    check = text.index('_missing = [name for name in ("SECRET_KEY",)')
    assert text.index("async def lifespan") < check < text.index("await start()")
    assert not [r for r in run_tree(tmp_path, options).values() if r.changed]


# -- behaviour: a real FastAPI app ------------------------------------------------------------------

APP = """
    import os
    from contextlib import asynccontextmanager

    from fastapi import FastAPI

    SECRET_KEY = os.getenv("SECRET_KEY")
    STARTED = []


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        STARTED.append(True)
        yield


    app = FastAPI(lifespan=lifespan)


    @app.get("/chat")
    async def chat():
        return {"groq": os.environ["GROQ_API_KEY"], "anthropic": os.getenv("ANTHROPIC_API_KEY")}
"""


def _load(code: str, name: str) -> ModuleType:
    module = ModuleType(name)
    exec(compile(code, f"<{name}>", "exec"), module.__dict__)
    sys.modules.pop(name, None)
    return module


def test_rewritten_app_refuses_to_start_without_its_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = ("ANTHROPIC_API_KEY", "GROQ_API_KEY", "SECRET_KEY")
    for name in names:
        monkeypatch.delenv(name, raising=False)
    original = _load(dedent(APP), "original_app")
    with TestClient(original.app) as client:  # the original starts without them...
        assert original.STARTED == [True]
        assert client.get("/health").status_code == 404
    rewritten_code = run(ID, dedent(APP), Options(unsafe_fixes=True)).code
    rewritten = _load(rewritten_code, "rewritten_app")
    with pytest.raises(RuntimeError) as excinfo, TestClient(rewritten.app):
        pass
    assert str(excinfo.value) == "missing required environment variables: " + ", ".join(names)
    assert rewritten.STARTED == []  # the check runs before anything else in the lifespan
    monkeypatch.setenv("GROQ_API_KEY", "g")
    with (
        pytest.raises(RuntimeError, match=r"variables: ANTHROPIC_API_KEY, SECRET_KEY$"),
        TestClient(rewritten.app),
    ):
        pass
    for name in names:
        monkeypatch.setenv(name, "set")
    with TestClient(rewritten.app) as client:
        assert client.get("/chat").json() == {"groq": "set", "anthropic": "set"}
    assert rewritten.STARTED == [True]
    assert os.environ["SECRET_KEY"] == "set"
