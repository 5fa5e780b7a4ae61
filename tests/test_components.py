"""The project model: which component a file belongs to, the name the import system gives it,
which file an import loads, one view per component, and the questions codemods ask of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.api import component_facts
from codemods.components.decide import below, dependency, python_floor, supports
from codemods.components.index import ComponentIndex
from codemods.components.modules import module_info
from codemods.project import gather_project

from .helpers import write_tree


def component(tmp_path: Path, files: dict[str, str], at: str = "app.py"):  # type: ignore[no-untyped-def]
    write_tree(tmp_path, files)
    return component_facts(tmp_path / at).component


# -- components -------------------------------------------------------------------------------


def test_each_file_belongs_to_the_nearest_component(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        ".git/HEAD": "ref: refs/heads/main\n",
        "pyproject.toml": "[tool.ruff]\nline-length = 100\n",  # tool configuration only
        "scripts/tool.py": "",
        "services/api/requirements.txt": "fastapi\n",
        "services/api/app/main.py": "",
        "services/bot/pyproject.toml": "[project]\nname = 'bot'\ndependencies = ['aiogram']\n",
        "services/bot/src/bot/run.py": "",
    })  # fmt: skip
    index = ComponentIndex()
    root = str(tmp_path.resolve())
    assert index.for_path(f"{root}/services/api/app/main.py").root == f"{root}/services/api"
    bot = index.for_path(f"{root}/services/bot/src/bot/run.py")
    assert bot.root == f"{root}/services/bot"
    assert bot.import_roots == (f"{root}/services/bot/src", f"{root}/services/bot")
    # no declarations up to the repository root: the repository is the component, declaring nothing
    loose = index.for_path(f"{root}/scripts/tool.py")
    assert loose.root == root and not loose.declares


def test_no_repository_no_component(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": ""})
    assert ComponentIndex().for_path(str((tmp_path / "a.py").resolve())).root is None


# -- module names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "path", "name"),
    [
        # namespace package (PEP 420): no __init__.py anywhere
        ({"routers/users.py": ""}, "routers/users.py", "routers.users"),
        # a namespace directory inside a regular package
        ({"server/__init__.py": "", "server/routes/auth.py": ""}, "server/routes/auth.py", "server.routes.auth"),
        # the topmost regular package starts the name, whatever lies above it
        ({"backend/app/__init__.py": "", "backend/app/main.py": ""}, "backend/app/main.py", "app.main"),
        ({"app/__init__.py": "", "app/api/__init__.py": "", "app/api/users.py": ""}, "app/api/users.py", "app.api.users"),
        # a directory no import statement can name: the classic name
        ({"my-scripts/run.py": ""}, "my-scripts/run.py", "run"),
    ],
)
def test_module_names_below_an_import_root(tmp_path: Path, files: dict[str, str], path: str, name: str) -> None:
    write_tree(tmp_path, files)
    root = str(tmp_path.resolve())
    assert module_info(tmp_path / path, root, (root,)).name == name


def test_a_file_outside_any_component_keeps_its_classic_name(tmp_path: Path) -> None:
    write_tree(tmp_path, {"routers/users.py": ""})
    assert module_info(tmp_path / "routers/users.py").name == "users"


def test_two_main_modules_are_two_modules(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        ".git/HEAD": "",
        "main.py": "import subprocess\n",
        "scripts/ops/main.py": "import subprocess\n",
    })  # fmt: skip
    facts = gather_project([tmp_path / "main.py", tmp_path / "scripts/ops/main.py"])
    assert {"main", "scripts.ops.main"} <= set(facts.modules)


def test_a_name_two_files_answer_is_ambiguous(tmp_path: Path) -> None:
    """``src/app`` and ``app`` are both import roots' ``app``: from ``tests/``, which one an
    import loads depends on how the tests are run."""
    write_tree(tmp_path, {
        "requirements.txt": "",
        "src/app/__init__.py": "",
        "src/app/util.py": "",
        "app/__init__.py": "",
        "app/util.py": "",
        "tests/test_util.py": "from app import util\n",
    })  # fmt: skip
    facts = gather_project([tmp_path / "tests/test_util.py"])
    assert facts.canonical("app.util") is None
    assert "app.util" in facts.ambiguous and "app.util" not in facts.modules
    assert facts.reaches("tests.test_util", "app.util") is None  # unknown, never "no"


def test_the_roots_of_a_component_answer_together(tmp_path: Path) -> None:
    """``run.py`` at the root and ``src/app``: whether ``python run.py`` (the root first on
    ``sys.path``) or an installed ``src`` answers ``app`` depends on how the program runs."""
    write_tree(tmp_path, {
        "requirements.txt": "",
        "src/app/__init__.py": "",
        "app/__init__.py": "",
        "app/util.py": "",
        "run.py": "from app import util\n",
    })  # fmt: skip
    facts = gather_project([tmp_path / "run.py"])
    found = facts.resolve(tmp_path / "run.py", "app")
    assert found is not None and len(found.ambiguous) == 2


def test_outside_any_component_the_script_directory_answers_first(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/__init__.py": "", "app/util.py": "", "run.py": "from app import util\n"})
    facts = gather_project([tmp_path / "run.py"])
    found = facts.resolve(tmp_path / "run.py", "app.util")
    assert found is not None and found.path == str((tmp_path / "app/util.py").resolve())


def test_python_loads_a_package_before_a_module_of_the_same_name(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "", "foo.py": "", "foo/__init__.py": "", "run.py": "import foo\n"})
    facts = gather_project([tmp_path / "run.py"])
    found = facts.resolve(tmp_path / "run.py", "foo")
    assert found is not None and found.path == str((tmp_path / "foo/__init__.py").resolve())


def test_a_regular_package_anywhere_beats_a_namespace_directory(tmp_path: Path) -> None:
    """Python's path finder keeps looking past namespace portions for a regular package."""
    write_tree(tmp_path, {
        "svc/requirements.txt": "",
        "svc/app/config/settings.yaml": "debug: true\n",
        "svc/app/main.py": "from config import loader\n",
        "svc/config/__init__.py": "",
        "svc/config/loader.py": "",
    })  # fmt: skip
    facts = gather_project([tmp_path / "svc/app/main.py"])
    found = facts.resolve(tmp_path / "svc/app/main.py", "config.loader")
    assert found is not None and found.path == str((tmp_path / "svc/config/loader.py").resolve())


def test_a_submodule_is_looked_for_in_its_own_package_only(tmp_path: Path) -> None:
    """With ``a`` a regular package in one root, ``a.b`` is not taken from another root."""
    write_tree(tmp_path, {
        "one/requirements.txt": "",
        "one/a/__init__.py": "",
        "one/run.py": "import a.b\n",
        "two/requirements.txt": "",
        "two/a/b.py": "",
    })  # fmt: skip
    facts = gather_project([tmp_path / "one/run.py", tmp_path / "two/a/b.py"])
    found = facts.view_for(tmp_path / "one/run.py").resolve(tmp_path / "one/run.py", "a.b")
    assert found is not None and not found.first_party


def test_imports_resolve_through_namespace_packages_and_get_aliases(tmp_path: Path) -> None:
    """``backend/main.py`` runs from ``backend/`` and imports ``routers.users``; the component
    (the repository) names the file ``backend.routers.users``: the view knows both."""
    write_tree(tmp_path, {
        "requirements.txt": "fastapi\n",
        "backend/main.py": "from routers import users\n",
        "backend/routers/users.py": "import backend.main\n",
    })  # fmt: skip
    facts = gather_project([tmp_path / "backend/main.py"])
    assert facts.canonical("routers.users") == "backend.routers.users"
    assert facts.imports["backend.main"] == {"backend.routers.users"}
    assert facts.reaches("backend.routers.users", "backend.main") is True
    assert "routers" in facts.namespaces


def test_a_namespace_package_split_across_two_src_roots_closes_cycles(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "libs/a/pyproject.toml": "[project]\nname = 'company-a'\ndependencies = ['company-b']\n",
        "libs/a/src/company/a/core.py": "from company.b import api\n",
        "libs/b/pyproject.toml": "[project]\nname = 'company-b'\ndependencies = ['company-a']\n",
        "libs/b/src/company/b/api.py": "from company.a import core\n",
    })  # fmt: skip
    facts = gather_project(sorted((tmp_path / "libs").rglob("*.py")))
    view = facts.view_for(tmp_path / "libs/a/src/company/a/core.py")
    assert view.reaches("company.b.api", "company.a.core") is True
    # given alone, `libs/b` is a component the run never met: its modules are unknown there,
    # and an unknown first-party name is never taken for "no cycle" (tests/commands)
    alone = gather_project([tmp_path / "libs/a/src/company/a/core.py"])
    assert "company.b.api" not in alone.modules


def test_each_component_has_its_own_view(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "one/requirements.txt": "fastapi\n",
        "one/app/__init__.py": "",
        "one/app/main.py": "from app import helpers\n",
        "one/app/helpers.py": "X = 1\n",
        "two/requirements.txt": "flask\n",
        "two/app/__init__.py": "",
        "two/app/main.py": "import os\n",
    })  # fmt: skip
    facts = gather_project([tmp_path / "one/app/main.py", tmp_path / "two/app/main.py"])
    one = facts.view_for(tmp_path / "one/app/main.py")
    two = facts.view_for(tmp_path / "two/app/main.py")
    assert one is not two
    assert one.imports["app.main"] == {"app", "app.helpers"}
    assert two.imports["app.main"] == frozenset()
    assert one.component.root != two.component.root


# -- decisions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "module", "status", "reason"),
    [
        ({"requirements.txt": "requests\n"}, "requests.adapters", "required", ""),
        ({"requirements.txt": "beautifulsoup4\n"}, "bs4", "required", ""),
        ({"requirements.txt": "requests\n"}, "httpx", "undeclared", "no distribution providing `httpx`"),
        (
            {"pyproject.toml": "[project]\nname='x'\ndependencies=[]\n[project.optional-dependencies]\nazure=['azure-identity']\n"},
            "azure.identity", "optional", "declared only under the extra `azure`",
        ),
        ({"requirements.txt": "azure-core\n"}, "azure.identity", "undeclared", ""),
        ({"requirements-dev.txt": "pytest\n"}, "pytest", "group", "declared only in the group"),
        ({"requirements.txt": "pywin32; sys_platform == 'win32'\n"}, "win32api", "conditional", "required only where"),
        ({"setup.py": "from setuptools import setup\nsetup(install_requires=load())\n"}, "requests", "unknown", ""),
        ({}, "requests", "unknown", "no dependency declarations"),
    ],
)
def test_dependency_status(tmp_path: Path, files: dict[str, str], module: str, status: str, reason: str) -> None:
    found = dependency(component(tmp_path, {".git/HEAD": "", **files}), module)
    assert found.status == status
    assert reason in found.reason


@pytest.mark.parametrize(
    ("files", "ok", "reason"),
    [
        ({"requirements.txt": "fastapi\n"}, True, "requirements.txt:1: fastapi"),
        ({"requirements.txt": "fastapi<1\n"}, True, ""),
        ({"requirements.txt": "fastapi>=0.100\n"}, True, ""),
        ({"requirements.txt": "fastapi==0.88.0\n"}, False, "requirements.txt:1: fastapi==0.88.0"),
        # every declaration must agree: a pin in a test group is no lock file
        ({"requirements.txt": "fastapi>=0.80,<0.90\n", "requirements-test.txt": "fastapi==0.110.0\n"}, False, ""),
        ({"requirements.txt": 'fastapi==0.110.0; python_version>="3.8"\nfastapi>=0.80; python_version<"3.8"\n'}, False, ""),
        ({"requirements.txt": "fastapi>=0.80\n-c constraints.txt\n", "constraints.txt": "fastapi>=0.100\n"}, True, ""),
        (
            {"requirements.txt": "fastapi>=0.80\n-c constraints.txt\n", "constraints.txt": 'fastapi>=0.100; python_version<"3.8"\n'},
            False, "",
        ),
        ({"requirements.txt": "https://files.example/fastapi-0.80.0-py3-none-any.whl\n"}, None, "direct reference"),
        ({"requirements.txt": "fastapi @ git+https://github.com/fastapi/fastapi\n"}, None, "direct reference"),
        ({"requirements.txt": "fastapi>=0.80\n"}, False, "allows versions before 0.93.0"),
        ({"requirements.txt": "fastapi~=0.92\n"}, False, ""),
        ({"requirements.txt": "fastapi<0.93\n"}, False, ""),
        ({"pyproject.toml": "[tool.poetry.dependencies]\nfastapi = '^0.92.0'\n"}, False, ""),
        (
            {"pyproject.toml": "[tool.poetry.dependencies]\nfastapi = '>=0.80'\n", "poetry.lock": "[[package]]\nname = 'fastapi'\nversion = '0.115.0'\n"},
            True, "poetry.lock: fastapi 0.115.0",
        ),
        ({"requirements.txt": "fastapi>=0.100\n", "constraints.txt": "", "requirements-lock.txt": ""}, True, ""),
        ({"requirements.txt": "uvicorn\n"}, None, "not declared"),
        ({}, None, "not declared"),
    ],
)
def test_fastapi_lifespan_support(tmp_path: Path, files: dict[str, str], ok: bool | None, reason: str) -> None:
    found = supports(component(tmp_path, {".git/HEAD": "", **files}), "fastapi", "0.93.0", "`lifespan=`")
    assert found.ok is ok
    assert reason in found.reason


@pytest.mark.parametrize(
    ("files", "ok", "reason"),
    [
        ({"requirements.txt": "fastapi<0.112.2\n"}, True, "requirements.txt:1: fastapi<0.112.2"),
        ({"requirements.txt": "fastapi>=0.100,<=0.112.1\n"}, True, ""),
        ({"requirements.txt": "fastapi==0.110.0\n"}, True, ""),
        ({"requirements.txt": "fastapi==0.111.*\n"}, True, ""),
        ({"requirements.txt": "fastapi~=0.111.0\n"}, True, ""),
        ({"pyproject.toml": "[tool.poetry.dependencies]\nfastapi = '^0.110.0'\n"}, True, ""),
        # no upper bound: a fresh install gets the newest release
        ({"requirements.txt": "fastapi\n"}, False, "requirements.txt:1: fastapi allows 0.112.2 or later"),
        ({"requirements.txt": "fastapi>=0.100\n"}, False, ""),
        ({"requirements.txt": "fastapi<0.113\n"}, False, ""),
        ({"requirements.txt": "fastapi<=0.112.2\n"}, False, ""),
        ({"requirements.txt": "fastapi==0.112.*\n"}, False, ""),
        ({"requirements.txt": "fastapi~=0.111\n"}, False, ""),
        ({"requirements.txt": "fastapi!=0.112.2,<0.113\n"}, False, ""),
        # every declaration must agree; a constraint file narrows them
        ({"requirements.txt": "fastapi<0.112\n", "requirements-test.txt": "fastapi>=0.115\n"}, False, ""),
        ({"requirements.txt": "fastapi>=0.100\n-c constraints.txt\n", "constraints.txt": "fastapi<0.112\n"}, True, ""),
        (
            {"pyproject.toml": "[tool.poetry.dependencies]\nfastapi = '>=0.100'\n", "poetry.lock": "[[package]]\nname = 'fastapi'\nversion = '0.112.1'\n"},
            True, "poetry.lock: fastapi 0.112.1",
        ),
        (
            {"pyproject.toml": "[tool.poetry.dependencies]\nfastapi = '<0.112'\n", "poetry.lock": "[[package]]\nname = 'fastapi'\nversion = '0.112.2'\n"},
            False, "poetry.lock: fastapi 0.112.2",
        ),
        ({"requirements.txt": "fastapi @ git+https://github.com/fastapi/fastapi\n"}, None, "direct reference"),
        ({"requirements.txt": "uvicorn\n"}, None, "not declared"),
        ({}, None, "not declared"),
    ],
)
def test_fastapi_before_merged_router_lifespans(tmp_path: Path, files: dict[str, str], ok: bool | None, reason: str) -> None:
    """``below``: does every version the component allows stay below 0.112.2?"""
    found = below(component(tmp_path, {".git/HEAD": "", **files}), "fastapi", "0.112.2")
    assert found.ok is ok
    assert reason in found.reason


def test_python_floor(tmp_path: Path) -> None:
    assert str(python_floor(component(tmp_path, {".git/HEAD": "", "pyproject.toml": "[project]\nname='x'\nrequires-python='>=3.8'\n"}))) == "3.8"
