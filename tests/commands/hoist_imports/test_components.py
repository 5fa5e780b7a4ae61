"""``hoist-imports`` decides per component: a module-level import must be installed wherever the
module is imported, and must resolve to one file of the project. Each case is a real tree run
through ``run_paths``; the ones that hoisted wrongly before come from real repositories (issue
18), and the rewritten packages are imported in a subprocess where that is the point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codemods.types import Options

from ...helpers import run_tree, write_tree

ID = "hoist-imports"
OPTIONS = Options(select=(ID,))


def skips(results: dict[str, object], path: str) -> list[str]:
    return [s.reason for s in results[path].skips]  # type: ignore[attr-defined]


def test_an_optional_extra_stays_lazy_and_the_package_still_imports(tmp_path: Path) -> None:
    """The worst case seen: ``azure-identity`` declared only under an extra; hoisted, the
    package's ``__init__`` failed to import in every install without the extra."""
    write_tree(tmp_path, {
        "setup.py": """
            from setuptools import setup

            setup(
                name="vaultlib",
                install_requires=["httpx"],
                extras_require={"azure": ["azure-identity"]},
            )
            """,
        "vaultlib/__init__.py": "from .vault import vault_client\n",
        "vaultlib/vault.py": """
            def vault_client():
                from azure.identity import DefaultAzureCredential

                return DefaultAzureCredential()


            def fetch(url):
                import httpx

                return httpx.get(url)
            """,
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS, write=True)
    vault = (tmp_path / "vaultlib/vault.py").read_text()
    assert vault.startswith("import httpx\n")  # required: hoisted
    assert "    from azure.identity import DefaultAzureCredential" in vault  # extra: stays
    assert any('extras_require["azure"]' in r for r in skips(results, "vaultlib/vault.py"))
    proc = subprocess.run(
        [sys.executable, "-B", "-c", "import vaultlib"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr  # azure is not installed here


def test_undeclared_and_unknown_third_party_imports_stay(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "svc/requirements.txt": "fastapi\n",
        "svc/bot.py": "def send():\n    import telegram\n    return telegram.Bot\n",
        "loose/tool.py": "def run():\n    import yaml\n    return yaml.safe_load\n",
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS)
    assert not results["svc/bot.py"].changed
    assert "no distribution providing `telegram` is declared by the component (requirements.txt)" in skips(results, "svc/bot.py")[0]
    assert not results["loose/tool.py"].changed
    assert "no dependency declarations were found" in skips(results, "loose/tool.py")[0]


def test_a_package_the_module_already_imports_moves_without_declarations(tmp_path: Path) -> None:
    """The module cannot be imported without ``yaml`` anyway: hoisting adds no failure."""
    write_tree(tmp_path, {"tool.py": "import yaml\n\n\ndef run():\n    from yaml import safe_load\n    return safe_load\n"})
    results = run_tree(tmp_path, OPTIONS)
    assert results["tool.py"].changed


def test_a_first_party_module_that_does_not_exist_stays(tmp_path: Path) -> None:
    """Dead code imported a module deleted long ago; hoisted, the module no longer imported."""
    write_tree(tmp_path, {
        "requirements.txt": "",
        "app/__init__.py": "",
        "app/main.py": "def legacy():\n    from app.old_reports import build\n    return build()\n",
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS)
    assert not results["app/main.py"].changed
    assert "no module `app.old_reports` was found in the project" in skips(results, "app/main.py")[0]


def test_a_cycle_through_a_namespace_package_is_seen(tmp_path: Path) -> None:
    """``routes/`` and ``services/`` have no ``__init__.py``; ``a`` -> ``b`` -> ``c`` -> ``a``."""
    write_tree(tmp_path, {
        "requirements.txt": "fastapi\n",
        "server/__init__.py": "",
        "server/routes/a.py": "from server.services import b\n",
        "server/services/b.py": "from server.services import c\n",
        "server/services/c.py": "def late():\n    from server.routes import a\n    return a\n",
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS, write=True)
    assert not results["server/services/c.py"].changed
    assert "breaks an import cycle: `server.routes.a` imports `server.services.c`" in skips(results, "server/services/c.py")[0]
    proc = subprocess.run(
        [sys.executable, "-B", "-c", "import server.routes.a"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_a_module_two_files_answer_stays(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "requirements.txt": "",
        "src/app/__init__.py": "",
        "src/app/util.py": "",
        "app/__init__.py": "",
        "app/util.py": "",
        "tests/test_util.py": "def test():\n    from app import util\n    assert util\n",
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS)
    assert not results["tests/test_util.py"].changed
    assert "is answered by more than one file" in skips(results, "tests/test_util.py")[0]


def test_a_namespace_package_split_across_roots(tmp_path: Path) -> None:
    """``company.a`` and ``company.b`` live in two ``src/`` roots; hoisting ``company.b`` into
    ``company.a.core`` would close a cycle."""
    write_tree(tmp_path, {
        "libs/a/pyproject.toml": "[project]\nname = 'company-a'\ndependencies = ['company-b']\n",
        "libs/a/src/company/a/core.py": "def use():\n    from company.b import api\n    return api\n",
        "libs/b/pyproject.toml": "[project]\nname = 'company-b'\ndependencies = ['company-a']\n",
        "libs/b/src/company/b/api.py": "from company.a import core\n",
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS)
    core = "libs/a/src/company/a/core.py"
    assert not results[core].changed
    assert "breaks an import cycle" in skips(results, core)[0]
    # given alone, the other root is not known: unknown, so it stays too
    alone = run_tree(tmp_path / "libs/a", OPTIONS)
    assert not alone["src/company/a/core.py"].changed


def test_a_local_shim_of_one_script_is_not_the_package_of_another_file(tmp_path: Path) -> None:
    """``scripts/run.py`` imports its neighbour ``scripts/celery.py``; in ``app/tasks.py``,
    ``import celery`` is the (undeclared) third-party package, whichever files are given."""
    write_tree(tmp_path, {
        "requirements.txt": "fastapi\n",
        "scripts/celery.py": "def send_task(name):\n    return name\n",
        "scripts/run.py": "import celery\n\ncelery.send_task('x')\n",
        "app/tasks.py": "def enqueue():\n    import celery\n    return celery.Celery\n",
    })  # fmt: skip
    for given in (tmp_path, tmp_path / "app"):
        results = run_tree(given, OPTIONS)
        tasks = next(r for p, r in results.items() if p.endswith("tasks.py"))
        assert not tasks.changed, given
        assert "no distribution providing `celery` is declared" in tasks.skips[0].reason


def test_a_sibling_of_a_namespace_package_needs_its_own_declaration(tmp_path: Path) -> None:
    """``opentelemetry`` is a namespace shared by many distributions: importing
    ``opentelemetry.trace`` at module level says nothing about the instrumentation package."""
    write_tree(tmp_path, {
        "requirements.txt": "opentelemetry-api\n",
        "app.py": """
            from opentelemetry import trace


            def instrument(app):
                from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

                FastAPIInstrumentor.instrument_app(app)
                return trace
            """,
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS)
    assert not results["app.py"].changed
    assert "opentelemetry.instrumentation.fastapi" in results["app.py"].skips[0].reason


@pytest.mark.parametrize(
    ("init", "hoisted"),
    [("", False), ("def gone():\n    return 1\n", True), ("from .impl import *\n", False)],
)
def test_a_name_imported_from_a_project_package_must_exist(tmp_path: Path, init: str, hoisted: bool) -> None:
    """``from app import gone``: a submodule, or a name ``app/__init__.py`` binds; a module-level
    ``import app.config`` does not vouch for it."""
    write_tree(tmp_path, {
        "requirements.txt": "",
        "app/__init__.py": init,
        "app/impl.py": "",
        "app/config.py": "",
        "main.py": "import app.config\n\n\ndef legacy():\n    from app import gone\n    return gone()\n",
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS)
    assert results["main.py"].changed is hoisted
    if not hoisted:
        assert "`gone`" in results["main.py"].skips[0].reason


def test_a_module_named_like_the_package_it_imports_is_not_that_package(tmp_path: Path) -> None:
    """Found by `make smoke-apps` in marimo: ``marimo/_sql/engines/duckdb.py`` (``_sql`` and
    ``engines`` without ``__init__.py``, inside the regular package ``marimo``) imports the
    third-party ``duckdb``, an extra. Its own directory is not on ``sys.path``: it is no script,
    so ``import duckdb`` is not the file itself, and the extra stays lazy."""
    write_tree(tmp_path, {
        "pyproject.toml": "[project]\nname = 'nb'\ndependencies = []\n[project.optional-dependencies]\nsql = ['duckdb']\n",
        "nb/__init__.py": "from nb._sql.engines import duckdb\n",
        "nb/_sql/engines/duckdb.py": "def run(q):\n    import duckdb\n    return duckdb.sql(q)\n",
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS, write=True)
    assert not results["nb/_sql/engines/duckdb.py"].changed
    assert "declared only under the extra `sql`" in results["nb/_sql/engines/duckdb.py"].skips[0].reason
    proc = subprocess.run([sys.executable, "-B", "-c", "import nb"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_a_module_importing_itself_stays(tmp_path: Path) -> None:
    """Found by `make smoke-apps` in marimo: ``from pkg.fmt import format as fmt`` inside
    ``pkg/fmt.py``; at module level it runs before ``format`` is defined."""
    write_tree(tmp_path, {
        "requirements.txt": "",
        "pkg/__init__.py": "",
        "pkg/fmt.py": "def register():\n    from pkg.fmt import format as fmt\n    return fmt\n\n\ndef format():\n    return 1\n",
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS, write=True)
    assert not results["pkg/fmt.py"].changed
    assert "is this module itself" in results["pkg/fmt.py"].skips[0].reason
    proc = subprocess.run([sys.executable, "-B", "-c", "import pkg.fmt"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_a_module_global_set_at_run_time_stays_read_in_the_function(tmp_path: Path) -> None:
    """Found by `make smoke-apps` in fief: ``from asgi_babel import BABEL`` inside a function
    that checks ``BABEL is None``; asgi_babel sets ``BABEL`` (``global``) when its middleware
    starts. At module level the import would bind ``None`` for good."""
    write_tree(tmp_path, {
        "requirements.txt": "asgi-babel\n",
        "locale.py": "def translations():\n    from asgi_babel import BABEL\n\n    if BABEL is None:\n        return None\n    return BABEL.translations\n",
    })  # fmt: skip
    result = run_tree(tmp_path, OPTIONS)["locale.py"]
    assert not result.changed
    assert "checks `BABEL` for None" in result.skips[0].reason


def test_a_first_party_global_reassigned_at_run_time_stays(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "requirements.txt": "",
        "state.py": "CLIENT = None\n\n\ndef connect():\n    global CLIENT\n    CLIENT = object()\n",
        "main.py": "def use():\n    from state import CLIENT\n    return CLIENT\n",
    })  # fmt: skip
    result = run_tree(tmp_path, OPTIONS)["main.py"]
    assert not result.changed
    assert "`state.CLIENT` is reassigned at run time" in result.skips[0].reason
