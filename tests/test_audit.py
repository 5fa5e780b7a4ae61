"""``codemod audit``: each kind of finding on small projects, the CLI contract, and the security
rule (the analysed code is never imported or run)."""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Mapping
from pathlib import Path

import hypothesmith
import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from codemods.audit import AuditReport, Risk, audit_paths, fixed_environment
from codemods.audit.cli import audit as audit_command
from codemods.audit.environment import current_environment
from codemods.audit.envrequired import required_vars
from codemods.audit.render import render_json, render_markdown, render_sarif
from codemods.audit.scan import ModuleScan, scan_module
from codemods.project import ModuleInfo
from codemods.types import Options

from .helpers import FIXTURES, write_tree

#: What the fixed test environment has installed: import name -> distributions.
INSTALLED = {
    "fastapi": ["fastapi"],
    "starlette": ["starlette"],
    "pydantic": ["pydantic"],
    "httpx": ["httpx"],
    "yaml": ["PyYAML"],
    "sqlalchemy": ["SQLAlchemy"],
}
REQUIRES = {"fastapi": ["starlette", "pydantic"]}
SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def run_audit(
    root: Path,
    files: Mapping[str, str],
    *,
    installed: Mapping[str, list[str]] | None = None,
    python: tuple[int, int] = (3, 11),
    options: Options | None = None,
    include_tests: bool = False,
) -> AuditReport:
    write_tree(root, files)
    env = fixed_environment(python, installed if installed is not None else INSTALLED, REQUIRES)
    return audit_paths([root], options, env, root_label="project", include_tests=include_tests)


def rules(report: AuditReport) -> list[tuple[str, int, str, str]]:
    return [(f.path, f.line, f.rule, f.risk.value) for f in report.findings]


# -- noop first ------------------------------------------------------------------------------------


def test_clean_project_has_no_findings(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "requirements.txt": "fastapi\n",
            "app.py": """
                import json
                import os
                from contextlib import asynccontextmanager

                from fastapi import FastAPI

                DEBUG = os.getenv("DEBUG", "0")


                @asynccontextmanager
                async def lifespan(app: FastAPI):
                    yield


                app = FastAPI(lifespan=lifespan)


                @app.get("/")
                async def root():
                    return json.loads("{}")
            """,
        },
    )
    assert report.findings == ()
    assert report.errors == ()
    assert report.files == 1


def test_empty_directory(tmp_path: Path) -> None:
    report = run_audit(tmp_path, {})
    assert report.findings == () and report.files == 0


# -- imports ---------------------------------------------------------------------------------------


def test_function_level_imports_are_classified(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "requirements.txt": "fastapi\nhttpx\nstripe\n",
            "app.py": """
                import json


                async def hoistable():
                    import httpx
                    return httpx


                async def fails_now():
                    import stripe
                    return stripe


                def optional():
                    try:
                        import orjson
                    except ImportError:
                        orjson = None
                    return orjson


                def duplicate():
                    import json
                    return json
            """,
        },
    )
    found = {(f.line, f.rule): f for f in report.findings}
    assert found[(5, "function-import-hoistable")].risk is Risk.LOW
    assert "event loop" in found[(5, "function-import-hoistable")].why
    stripe = found[(10, "import-not-found")]
    assert stripe.risk is Risk.HIGH and "HTTP 500" in stripe.why
    assert "install the declared requirements" in stripe.fix  # stripe is declared, not installed
    assert found[(16, "function-import-optional")].risk is Risk.INFO
    assert found[(23, "function-import-duplicate")].why.startswith(
        "already imported at module level (line 1)"
    )


def test_catch_all_around_a_handler_is_not_an_optional_dependency(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "app.py": """
                async def handler():
                    try:
                        from httpx import URL
                        return URL("x")
                    except Exception:
                        return None
            """
        },
    )
    assert [(f.line, f.rule) for f in report.findings] == [(3, "function-import-hoistable")]


def test_cycle_guard_is_deliberate(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n\nVALUE = 1\n",
            "pkg/b.py": """
                def use():
                    from pkg.a import VALUE
                    return VALUE
            """,
        },
    )
    (finding,) = report.findings
    assert finding.rule == "function-import-cycle-guard" and finding.risk is Risk.INFO
    assert "`pkg.a` imports `pkg.b`" in finding.why


def test_missing_module_at_top_level_and_undeclared(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "requirements.txt": "fastapi\n",
            "app.py": "import stripe\nimport yaml\nfrom bs4 import BeautifulSoup\nimport starlette\n",
        },
    )
    assert rules(report) == [
        ("app.py", 1, "import-not-found", "high"),
        ("app.py", 1, "undeclared-dependency", "high"),
        ("app.py", 2, "undeclared-dependency", "high"),
        ("app.py", 3, "import-not-found", "high"),
        ("app.py", 3, "undeclared-dependency", "high"),
        ("app.py", 4, "undeclared-dependency", "low"),
    ]
    messages = [f.message for f in report.findings if f.rule == "undeclared-dependency"]
    assert "`yaml` (distribution `pyyaml`) is not declared" in messages
    assert "`bs4` (distribution `beautifulsoup4`) is not declared" in messages  # built-in table
    starlette = next(f for f in report.findings if f.line == 4)
    assert "only as a dependency" in starlette.why


def test_no_declarations_no_undeclared_findings(tmp_path: Path) -> None:
    report = run_audit(tmp_path, {"app.py": "import yaml\n"})
    assert report.findings == ()
    assert any("No dependency declarations" in n for n in report.notes)


def test_removed_stdlib_and_shadowing(tmp_path: Path) -> None:
    files = {
        "app.py": "import telnetlib\n\n\ndef parse():\n    import cgi\n    return cgi\n",
        "random.py": "VALUE = 4\n",
    }
    report = run_audit(tmp_path, files)
    assert rules(report) == [
        ("app.py", 1, "removed-stdlib-module", "medium"),
        ("app.py", 5, "removed-stdlib-module", "medium"),
        ("random.py", 1, "stdlib-shadowing", "high"),
    ]
    on_313 = run_audit(tmp_path, files, python=(3, 13))
    assert [f.risk for f in on_313.findings if f.category == "removed-stdlib"] == [
        Risk.HIGH,
        Risk.HIGH,
    ]
    targeted = run_audit(tmp_path, files, options=Options(target_version=(3, 13)))
    assert [f.risk for f in targeted.findings if f.category == "removed-stdlib"] == [
        Risk.HIGH,
        Risk.HIGH,
    ]


def test_type_checking_imports_are_not_runtime_findings(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "requirements.txt": "fastapi\n",
            "app.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import stripe\n",
        },
    )
    assert report.findings == ()


# -- environment variables -------------------------------------------------------------------------


def test_env_vars_without_default_or_check(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "app.py": """
                import os

                SECRET = os.getenv("SECRET_KEY")
                FAIL_FAST = os.environ["DATABASE_URL"]
                PORT = int(os.getenv("PORT", "8000"))
                TOKEN = os.environ.get("TOKEN") or "dev"


                def handler():
                    key = os.getenv("API_KEY")
                    if not key:
                        raise RuntimeError("no key")
                    optional = os.getenv("SENTRY_DSN")
                    if optional:
                        print(optional)
                    configured = bool(os.getenv("OPENAI_API_KEY"))
                    return os.environ["STRIPE_KEY"], configured
            """
        },
    )
    env = [(f.line, f.message) for f in report.findings if f.category == "env-var"]
    assert env == [
        (3, "`SECRET_KEY` is read without a default (`os.getenv`)"),
        (10, "`API_KEY` is read without a default (`os.getenv`)"),
        (17, "`STRIPE_KEY` is read without a default (`os.environ[]`)"),
    ]
    assert all(f.risk is Risk.MEDIUM for f in report.findings if f.category == "env-var")


def test_env_var_checked_at_startup_is_not_reported(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "app.py": """
                import os
                from contextlib import asynccontextmanager

                from fastapi import FastAPI


                @asynccontextmanager
                async def lifespan(app: FastAPI):
                    _missing = [name for name in ("SECRET_KEY",) if name not in os.environ]
                    if _missing:
                        raise RuntimeError(", ".join(_missing))
                    if not os.getenv("OTHER"):
                        raise RuntimeError("OTHER")
                    yield


                app = FastAPI(lifespan=lifespan)


                def handler():
                    return os.getenv("SECRET_KEY"), os.getenv("OTHER")
            """
        },
    )
    assert [f for f in report.findings if f.category == "env-var"] == []


def test_pydantic_settings_fields(tmp_path: Path) -> None:
    files = {
        "settings.py": """
            from functools import lru_cache

            from pydantic import Field
            from pydantic_settings import BaseSettings, SettingsConfigDict


            class Settings(BaseSettings):
                model_config = SettingsConfigDict(env_prefix="APP_")

                database_url: str
                api_key: str = Field(alias="EXTERNAL_KEY")
                debug: bool = False
                timeout: int = Field(default=5)


            @lru_cache
            def get_settings() -> Settings:
                return Settings()
        """
    }
    report = run_audit(
        tmp_path, files, installed={**INSTALLED, "pydantic_settings": ["pydantic-settings"]}
    )
    assert [f.message for f in report.findings] == [
        "`APP_DATABASE_URL` is read without a default (`Settings.database_url`)",
        "`EXTERNAL_KEY` is read without a default (`Settings.api_key`)",
    ]
    # built at import time, the settings object already fails fast
    files["settings.py"] += "\n\nsettings = Settings()\n"
    report = run_audit(
        tmp_path, files, installed={**INSTALLED, "pydantic_settings": ["pydantic-settings"]}
    )
    assert report.findings == ()


# -- runtime ---------------------------------------------------------------------------------------


def test_dead_and_deprecated_handlers(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "dead.py": """
                from contextlib import asynccontextmanager

                from fastapi import FastAPI


                @asynccontextmanager
                async def lifespan(app):
                    yield


                app = FastAPI(lifespan=lifespan)


                @app.on_event("startup")
                async def never_runs():
                    pass
            """,
            "old.py": """
                from fastapi import FastAPI

                app = FastAPI()


                @app.on_event("shutdown")
                def close():
                    pass
            """,
            "star.py": """
                from starlette.applications import Starlette


                def hello():
                    pass


                app = Starlette(on_startup=[hello])
            """,
        },
    )
    got = {(f.path, f.rule): f for f in report.findings if f.category == "event-handler"}
    assert got[("dead.py", "dead-event-handler")].risk is Risk.HIGH
    assert "never runs" in got[("dead.py", "dead-event-handler")].why
    assert got[("old.py", "deprecated-event-handler")].risk is Risk.MEDIUM
    assert got[("star.py", "removed-event-api")].risk is Risk.HIGH
    assert "TypeError" in got[("star.py", "removed-event-api")].why


def test_loop_policy_and_import_time_work(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "app.py": """
                import asyncio
                import sqlite3

                import httpx

                asyncio.set_event_loop_policy(asyncio.WindowsProactorEventLoopPolicy())
                CONN = sqlite3.connect("app.db")
                CLIENT = httpx.AsyncClient()


                def later():
                    return sqlite3.connect("x.db")
            """
        },
    )
    assert rules(report) == [
        ("app.py", 6, "event-loop-policy", "medium"),
        ("app.py", 7, "import-time-connect", "medium"),
        ("app.py", 8, "import-time-client", "low"),
    ]
    policy = report.findings[0]
    assert "removed in 3.16" in policy.why and "already the Windows default" in policy.why
    on_316 = run_audit(tmp_path, {}, python=(3, 16))
    assert next(f for f in on_316.findings if f.category == "loop-policy").risk is Risk.HIGH


def test_blocking_calls_in_async_code(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "mail.py": """
                import smtplib


                def send(to):
                    with smtplib.SMTP("localhost") as smtp:
                        smtp.sendmail("a", to, "hi")
            """,
            "app.py": """
                import time

                from mail import send


                async def handler():
                    time.sleep(1)
                    send("x")


                def sync_handler():
                    time.sleep(1)
            """,
        },
    )
    blocking = [(f.path, f.line) for f in report.findings if f.category == "blocking-call"]
    assert blocking == [("app.py", 7), ("app.py", 8)]


def test_tests_are_left_out_unless_asked(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "fastapi\n",
        "app.py": "import fastapi\n",
        "tests/test_app.py": "import pytest\n",
        "conftest.py": "import os\nTOKEN = os.getenv('TOKEN')\n",
    }
    assert run_audit(tmp_path, files).findings == ()
    with_tests = run_audit(tmp_path, files, include_tests=True)
    assert {f.path for f in with_tests.findings} == {"conftest.py", "tests/test_app.py"}


# -- declarations ----------------------------------------------------------------------------------


def _undeclared(report: AuditReport) -> list[tuple[str, str, str]]:
    return [
        (f.path, f.message.split("`")[1], f.fix)
        for f in report.findings
        if f.rule == "undeclared-dependency"
    ]


def test_declarations_are_the_files_own_component(tmp_path: Path) -> None:
    """What a file's component declares, whatever the role (extra, group, ``-r`` include),
    and nothing else: ``-c`` constraints declare nothing."""
    imports = "import fastapi\nimport httpx\nimport orjson\nimport pytest\nimport yaml\n"
    report = run_audit(
        tmp_path / "req",
        {
            "requirements.txt": "FastAPI[all]>=0.110 ; python_version>'3.8'\n-r requirements-dev.txt\n"
            "-c constraints.txt\nhttpx  # client\norjson\n",
            "requirements-dev.txt": "pytest\n",
            "constraints.txt": "pyyaml==6\n",
            "app.py": imports,
        },
    )
    assert _undeclared(report) == [("app.py", "yaml", "by hand: add `pyyaml` to requirements.txt")]
    assert report.declarations == (
        "constraints.txt",
        "requirements-dev.txt",
        "requirements.txt",
    )
    assert report.components == (".",)
    write_tree(
        tmp_path / "pep621",
        {
            "pyproject.toml": """
                [project]
                name = "svc"
                dependencies = ["fastapi", "httpx>=0.27"]
                [project.optional-dependencies]
                fast = ["orjson"]
                [dependency-groups]
                dev = ["pytest"]
            """,
        },
    )
    # the audited directory has no declarations of its own: its files belong to the component above
    report = run_audit(tmp_path / "pep621" / "sub", {"app.py": imports})
    assert _undeclared(report) == [("app.py", "yaml", "by hand: add `pyyaml` to ../pyproject.toml")]
    assert report.declarations == ("../pyproject.toml",)
    assert {f.component for f in report.findings} == {".."}
    report = run_audit(
        tmp_path / "cfg",
        {
            "setup.cfg": "[options]\ninstall_requires =\n    fastapi\n    PyYAML\n"
            "[options.extras_require]\nx = httpx\n",
            "app.py": "import yaml\nimport httpx\nimport orjson\n",
        },
    )
    assert _undeclared(report) == [("app.py", "orjson", "by hand: add `orjson` to setup.cfg")]


def test_namespace_packages_need_their_own_distribution(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "requirements.txt": "azure-core\ngoogle-cloud-storage\n",
            "app.py": "import azure.core\nimport azure.identity\nfrom google.cloud import storage\n",
        },
        installed={"azure": ["azure-core", "azure-identity"], "google": ["google-cloud-storage"]},
    )
    # azure-core does not provide azure.identity, though both are installed under `azure`
    assert [
        (f.line, f.message, f.fix) for f in report.findings if f.rule == "undeclared-dependency"
    ] == [
        (
            2,
            "`azure.identity` (distribution `azure-identity`) is not declared",
            "by hand: add `azure-identity` to requirements.txt",
        )
    ]


def test_unreadable_declarations_make_undeclared_imports_low(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "setup.py": "from setuptools import setup\n"
            "setup(name='svc', install_requires=open('deps.txt').read().split())\n",
            "app.py": "import yaml\n",
        },
    )
    (finding,) = [
        f for f in report.findings if f.rule == "undeclared-dependency" and f.path == "app.py"
    ]
    assert finding.risk is Risk.LOW
    assert "not among the declarations that could be read" in finding.why
    assert "install_requires is not a literal" in finding.why
    assert finding.fix == "by hand: add `pyyaml` to setup.py"


# -- components ------------------------------------------------------------------------------------

MONOREPO = FIXTURES / "audit-monorepo"
MONOREPO_INSTALLED = {"fastapi": ["fastapi"], "httpx": ["httpx"], **INSTALLED}


def _monorepo(**kwargs: object) -> AuditReport:
    env = fixed_environment((3, 11), MONOREPO_INSTALLED, REQUIRES)
    return audit_paths([MONOREPO], environment=env, root_label="mono", **kwargs)  # type: ignore[arg-type]


def test_monorepo_each_file_is_checked_against_its_own_component() -> None:
    """Two services, each with its own requirements.txt and its own ``app.main``: httpx is
    declared by one and not the other; cycles, variables and blocking functions are per service."""
    report = _monorepo()
    assert report.components == ("services/api", "services/worker")
    assert report.declarations == (
        "services/api/requirements.txt",
        "services/worker/requirements.txt",
    )
    assert _undeclared(report) == [
        (
            "services/worker/app/main.py",
            "httpx",
            "by hand: add `httpx` to services/worker/requirements.txt",
        )
    ]
    assert {(f.path, f.rule, f.component) for f in report.findings} == {
        ("services/api/app/main.py", "blocking-call", "services/api"),
        # api: app.main imports app.models, so the import back is a cycle guard ...
        ("services/api/app/models.py", "function-import-cycle-guard", "services/api"),
        ("services/worker/app/main.py", "undeclared-dependency", "services/worker"),
        # ... the worker's app.main does not, whatever the api's does
        ("services/worker/app/models.py", "function-import-hoistable", "services/worker"),
        # the api reads TOKEN with a default; the worker needs it
        ("services/worker/app/main.py", "env-var-unchecked", "services/worker"),
    }
    assert not any("No dependency declarations" in n for n in report.notes)
    # without the codemods, the audit's own blocking-function check: the api's notify()
    # blocks, the worker's (same name, app.jobs.notify) does not
    fallback = _monorepo(codemod_ids=())
    assert [(f.path, f.rule) for f in fallback.findings if f.category == "blocking-call"] == [
        ("services/api/app/main.py", "blocking-project-function")
    ]


def test_monorepo_reports_name_the_component() -> None:
    report = _monorepo()
    data = json.loads(render_json(report))
    assert data["components"] == ["services/api", "services/worker"]
    assert {(f["path"], f["component"]) for f in data["findings"]} == {
        ("services/api/app/main.py", "services/api"),
        ("services/api/app/models.py", "services/api"),
        ("services/worker/app/main.py", "services/worker"),
        ("services/worker/app/models.py", "services/worker"),
    }
    sarif = json.loads(render_sarif(report))
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text(encoding="utf-8")))
    results = sarif["runs"][0]["results"]
    assert results and all(
        r["properties"]["component"]
        == "/".join(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].split("/")[:2])
        for r in results
    )
    undeclared = next(r for r in results if r["ruleId"] == "undeclared-dependency")
    assert undeclared["properties"]["component"] == "services/worker"
    markdown = render_markdown(report)
    assert "| where | component | risk | finding | why | fix |" in markdown
    assert "| `services/worker/app/main.py:6` | `services/worker` | high |" in markdown
    assert "Components (each checked against its own declarations)" in markdown


def test_single_component_markdown_has_no_component_column(tmp_path: Path) -> None:
    report = run_audit(tmp_path, {"requirements.txt": "fastapi\n", "app.py": "import yaml\n"})
    assert [f.component for f in report.findings] == ["."]
    markdown = render_markdown(report)
    assert "| where | risk | finding | why | fix |" in markdown
    assert "component" not in markdown.lower()


def test_components_without_declarations_are_named(tmp_path: Path) -> None:
    report = run_audit(
        tmp_path,
        {
            "svc/requirements.txt": "fastapi\n",
            "svc/app.py": "import yaml\n",
            "tool/.git": "",  # a repository root without declarations: a component declaring nothing
            "tool/run.py": "import yaml\n",
            "loose.py": "import yaml\n",  # no component above it
        },
    )
    assert _undeclared(report) == [
        ("svc/app.py", "yaml", "by hand: add `pyyaml` to svc/requirements.txt")
    ]
    assert report.components == ("(no component)", "svc", "tool")
    assert report.declarations == ("svc/requirements.txt",)
    (note,) = [n for n in report.notes if "No dependency declarations" in n]
    assert note.startswith("No dependency declarations found for `(no component)`, `tool` (")
    assert note.endswith("so undeclared imports were not checked in their files.")
    data = json.loads(render_json(report))
    assert [(f["path"], f["component"]) for f in data["findings"]] == [("svc/app.py", "svc")]


# -- the security rule -----------------------------------------------------------------------------


def test_never_imports_the_analysed_code(tmp_path: Path) -> None:
    sentinel = tmp_path / "imported.txt"
    payload = f"open({str(sentinel)!r}, 'w').write('ran')\n"
    write_tree(
        tmp_path,
        {
            "requirements.txt": "fastapi\n",
            # a first-party module and a top-level name only the working directory provides
            "app/main.py": "import evil\nimport sneaky\n\n\ndef f():\n    import sneaky_too\n",
            "app/evil.py": payload,
            "sneaky.py": payload,
            "sneaky_too/__init__.py": payload,
        },
    )
    monkey = pytest.MonkeyPatch()
    monkey.chdir(tmp_path)
    monkey.syspath_prepend(str(tmp_path))
    try:
        report = audit_paths([tmp_path / "app"], environment=current_environment())
    finally:
        monkey.undo()
    assert not sentinel.exists()
    assert "sneaky" not in sys.modules and "evil" not in sys.modules
    # found where the working directory is on sys.path, so "installed": no import-not-found
    assert [f.rule for f in report.findings if f.category == "missing-module"] == []


def test_current_environment_uses_find_spec_on_top_level_names_only() -> None:
    env = current_environment()
    assert env.installed("libcst")
    assert not env.installed("codemod_surely_not_installed_xyz")
    assert not env.installed("libcst.metadata")  # dotted names are never looked up
    assert "libcst" in env.distributions("libcst")


# -- the command line ------------------------------------------------------------------------------


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(audit_command, list(args))
    return result.exit_code, result.stdout


def test_cli_exit_codes(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": "import os\nKEY = os.getenv('KEY')\n"})
    assert _invoke(str(tmp_path))[0] == 0
    assert _invoke(str(tmp_path), "--fail-on", "high")[0] == 0
    assert _invoke(str(tmp_path), "--fail-on", "medium")[0] == 1
    assert _invoke(str(tmp_path), "--fail-on", "low")[0] == 1
    assert _invoke(str(tmp_path), "--fail-on", "urgent")[0] == 2
    assert _invoke(str(tmp_path / "missing"))[0] == 2
    (tmp_path / "broken.py").write_text("def f(:\n", encoding="utf-8")
    code, out = _invoke(str(tmp_path), "--fail-on", "medium")
    assert code == 3
    assert "`broken.py`" in out and "could not be analysed" in out
    assert "`KEY`" in out  # the rest is still reported
    code, out = _invoke(str(tmp_path), "--format", "sarif")
    assert code == 3
    sarif = json.loads(out)
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text(encoding="utf-8")))
    (invocation,) = sarif["runs"][0]["invocations"]
    assert not invocation["executionSuccessful"]
    assert (
        invocation["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"][
            "artifactLocation"
        ]["uri"]
        == "broken.py"
    )


def test_cli_formats(tmp_path: Path) -> None:
    write_tree(
        tmp_path, {"app.py": "import os\nB = os.getenv('B')\nA = os.getenv('A')\n", "random.py": ""}
    )
    code, out = _invoke(str(tmp_path), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [(f["path"], f["line"]) for f in data["findings"]] == [
        ("app.py", 2),
        ("app.py", 3),
        ("random.py", 1),
    ]
    assert data["summary"][0]["category"] == "stdlib-shadowing"  # high ranks first
    assert out == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    code, out = _invoke(str(tmp_path), "--format", "sarif")
    sarif = json.loads(out)
    schema = json.loads(
        (Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
    )
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "env-var-unchecked",
        "stdlib-shadowing",
    ]
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [
        ("env-var-unchecked", "warning"),
        ("env-var-unchecked", "warning"),
        ("stdlib-shadowing", "error"),
    ]
    assert all(
        run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"]
    )
    out_file = tmp_path / "report.md"
    code, out = _invoke(str(tmp_path), "-o", str(out_file))
    assert code == 0 and out == ""
    text = out_file.read_text(encoding="utf-8")
    assert text.startswith("# Audit report:") and "## Root-cause summary" in text


def test_without_codemods_the_fallback_blocking_list_is_used(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app.py": """
                import subprocess
                import time


                async def handler():
                    time.sleep(1)
                    await other()
                    subprocess.run(["ls"])


                async def other():
                    return None
            """
        },
    )
    env = fixed_environment((3, 11), INSTALLED)
    report = audit_paths([tmp_path], environment=env, codemod_ids=())
    assert [(f.line, f.message, f.fix) for f in report.findings] == [
        (
            6,
            "`time.sleep(...)` in `async def handler()`",
            "by hand: `await run_in_threadpool(...)` or an async client",
        ),
        (
            8,
            "`subprocess.run(...)` in `async def handler()`",
            "by hand: `await run_in_threadpool(...)` or an async client",
        ),
    ]


def test_through_the_main_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Wired the way the lead will wire it (``cli.add_command(audit)``), here test-locally."""
    from codemods import cli

    monkeypatch.setitem(cli.cli.commands, "audit", audit_command)
    write_tree(tmp_path, {"app.py": "import os\nKEY = os.getenv('KEY')\n"})
    assert cli.main(["audit", str(tmp_path)]) == 0
    assert "## Root-cause summary" in capsys.readouterr().out
    assert cli.main(["audit", str(tmp_path), "--fail-on", "medium"]) == 1
    assert cli.main(["audit", str(tmp_path), "--format", "yaml"]) == 2
    (tmp_path / "broken.py").write_text("def f(:\n", encoding="utf-8")
    assert cli.main(["audit", str(tmp_path), "--fail-on", "medium"]) == 3


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar(auto_target=False))
def test_scan_never_raises(source: str) -> None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return
    scan = scan_module(tree, ModuleInfo(name="generated", path="/x/generated.py", root="/x"))
    assert isinstance(scan, ModuleScan)
    required_vars({"generated": scan.env}, include_own=False)
