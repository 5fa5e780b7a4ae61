"""``codemods.components``: a component's declarations read as data from real files (every
format, roles, includes, locks, limits), Poetry constraints, and import <-> distribution names."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from codemods.audit import environment
from codemods.components import distributions
from codemods.components.declarations import (
    COMPONENT_FILES,
    Declarations,
    Requirement,
    is_component,
    read_declarations,
)
from codemods.components.distributions import (
    KNOWN_DISTRIBUTIONS,
    distributions_for,
    normalize,
    provided_by,
    requirement_name,
)
from codemods.components.reading import MAX_BYTES
from codemods.components.requirements_files import group_for, logical_lines
from codemods.components.versions import poetry_constraint

from .helpers import write_tree


def read(root: Path, files: dict[str, str]) -> Declarations:
    write_tree(root, files)
    return read_declarations(root)


def by_name(decl: Declarations) -> dict[str, list[Requirement]]:
    found: dict[str, list[Requirement]] = {}
    for r in decl.requirements:
        found.setdefault(r.name, []).append(r)
    return found


def only(decl: Declarations, name: str) -> Requirement:
    (found,) = by_name(decl)[name]
    return found


# -- distributions ---------------------------------------------------------------------------


def test_namespace_sibling_does_not_provide() -> None:
    assert provided_by("azure.identity", ["azure-core"]) == ()
    assert provided_by("azure.identity", ["azure-core", "azure-identity"]) == ("azure-identity",)
    assert provided_by("azure.identity.aio", ["azure-identity"]) == ("azure-identity",)
    assert provided_by("azure.storage.blob", ["azure-storage-blob"]) == ("azure-storage-blob",)
    assert provided_by("azure.storage.blob", ["azure-storage-queue"]) == ()


def test_google_namespace() -> None:
    declared = ["google-cloud-storage", "protobuf", "google-auth"]
    assert provided_by("google.cloud.storage", declared) == ("google-cloud-storage",)
    assert provided_by("google.cloud.bigquery", declared) == ()
    assert provided_by("google.cloud", declared) == ("google-cloud-storage",)
    assert provided_by("google.protobuf.message", declared) == ("protobuf",)
    assert provided_by("google.protobuf", ["google-protobuf"]) == ()
    assert provided_by("google.oauth2.credentials", declared) == ("google-auth",)
    assert provided_by("google.auth.transport.requests", declared) == ("google-auth",)


def test_import_names_that_differ() -> None:
    assert provided_by("bs4", ["beautifulsoup4"]) == ("beautifulsoup4",)
    assert provided_by("bs4.element", ["BeautifulSoup4"]) == ("beautifulsoup4",)
    assert provided_by("yaml", ["PyYAML", "fastapi"]) == ("pyyaml",)
    assert provided_by("PIL.Image", ["Pillow"]) == ("pillow",)
    assert provided_by("discord", ["discord.py"]) == ("discord-py",)
    assert provided_by("sklearn", ["scikit-learn"]) == ("scikit-learn",)
    assert provided_by("jwt", ["jwt-tools"]) == ()


def test_unknown_names_map_to_themselves() -> None:
    assert distributions_for("some_pkg.sub") == ("some-pkg",)
    assert provided_by("some_pkg.sub", ["Some.Pkg"]) == ("some-pkg",)
    assert provided_by("some_pkg", ["other"]) == ()
    assert provided_by("Jinja2", ["jinja2"]) == ("jinja2",)
    assert provided_by("markdown", ["Markdown"]) == ("markdown",)


def test_distributions_for() -> None:
    assert distributions_for("bs4.element") == ("beautifulsoup4", "bs4")
    assert distributions_for("psycopg2") == ("psycopg2", "psycopg2-binary")
    assert distributions_for("win32api") == ("pywin32", "win32api")
    assert distributions_for("azure") == ()
    assert distributions_for("azure.identity") == ()
    assert distributions_for("google.protobuf") == ("protobuf",)
    assert distributions_for("") == ()


def test_table_is_sorted_and_audit_reexports_it() -> None:
    keys = list(KNOWN_DISTRIBUTIONS)
    assert keys == sorted(keys, key=str.lower)
    for top, names in KNOWN_DISTRIBUTIONS.items():
        assert top.isidentifier() and names
        assert len({normalize(n) for n in names}) == len(names)
    assert environment.KNOWN_DISTRIBUTIONS is distributions.KNOWN_DISTRIBUTIONS
    assert environment.NAMESPACE_PREFIXES is distributions.NAMESPACE_PREFIXES
    assert environment.normalize is normalize
    assert environment.requirement_name is requirement_name


def test_normalize_and_requirement_name() -> None:
    assert normalize("Foo_Bar.baz--Qux") == "foo-bar-baz-qux"
    assert requirement_name("  Django[bcrypt]>=4 ; python_version>'3'") == "django"
    assert requirement_name("==1.0") is None


# -- Poetry constraints ------------------------------------------------------------------------

#: Poetry's documented examples (python-poetry.org, "Dependency specification") and more.
POETRY_CASES = [
    ("^1.2.3", (">=1.2.3,<2.0.0",)),
    ("^1.2", (">=1.2,<2.0",)),
    ("^1", (">=1,<2",)),
    ("^0.2.3", (">=0.2.3,<0.3.0",)),
    ("^0.0.3", (">=0.0.3,<0.0.4",)),
    ("^0.0", (">=0.0,<0.1",)),
    ("^0", (">=0,<1",)),
    ("^0.92.0", (">=0.92.0,<0.93.0",)),
    ("^0.92", (">=0.92,<0.93",)),
    ("~1.2.3", (">=1.2.3,<1.3.0",)),
    ("~1.2", (">=1.2,<1.3",)),
    ("~1", (">=1,<2",)),
    ("~0.92.1", (">=0.92.1,<0.93.0",)),
    ("~0.92", (">=0.92,<0.93",)),
    ("~=0.92", ("~=0.92",)),
    ("~=1.4.2", ("~=1.4.2",)),
    ("0.92.*", ("==0.92.*",)),
    ("1.*", ("==1.*",)),
    ("!=1.2.*", ("!=1.2.*",)),
    ("*", ("",)),
    (">=0.80,<1.0", (">=0.80,<1.0",)),
    (">=0.80 <1.0", (">=0.80,<1.0",)),
    (">= 0.80, < 1.0", (">=0.80,<1.0",)),
    ("==0.92.0", ("==0.92.0",)),
    ("0.92.0", ("==0.92.0",)),
    ("=0.92.0", ("==0.92.0",)),
    ("^1.0 || ^2.0", (">=1.0,<2.0", ">=2.0,<3.0")),
    ("^3.8 | ^3.9", (">=3.8,<4.0", ">=3.9,<4.0")),
    ("^1.0 || *", ("",)),
    ("^0.10.11.post1", (">=0.10.11.post1,<0.11.0",)),
    ("^1.0.0a1", (">=1.0.0a1,<2.0.0",)),
    (">=1.0,", (">=1.0",)),
]


@pytest.mark.parametrize(("text", "expected"), POETRY_CASES)
def test_poetry_constraint(text: str, expected: tuple[str, ...]) -> None:
    assert poetry_constraint(text) == expected
    for specifier in expected:
        SpecifierSet(specifier)


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("^1.2.3", ["1.2.3", "1.9.9"], ["1.2.2", "2.0.0"]),
        ("^0.2.3", ["0.2.3", "0.2.99"], ["0.3.0", "0.2.2"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4", "0.0.2"]),
        ("^0.0", ["0.0.0", "0.0.9"], ["0.1.0"]),
        ("^0", ["0.0.0", "0.9.9"], ["1.0.0"]),
        ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0"]),
        ("~1", ["1.0", "1.9"], ["2.0"]),
        ("0.92.*", ["0.92.0", "0.92.7"], ["0.93.0"]),
    ],
)
def test_poetry_constraint_semantics(text: str, inside: list[str], outside: list[str]) -> None:
    (specifier,) = poetry_constraint(text)
    spec = SpecifierSet(specifier)
    assert all(spec.contains(v) for v in inside)
    assert not any(spec.contains(v) for v in outside)


@pytest.mark.parametrize(
    "text", ["", "  ", "^", ">=", "abc", ">=1.*", "~=1", "^1 ||", "1.0 junk", "===1.0", "^^1"]
)
def test_poetry_constraint_errors(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        poetry_constraint(text)


_RELEASE = st.lists(st.integers(0, 30), min_size=1, max_size=4).map(
    lambda parts: ".".join(map(str, parts))
)
_OPERATOR = st.sampled_from(["^", "~", "~=", "==", "=", "!=", ">=", "<=", ">", "<", ""])
_CLAUSE = st.tuples(_OPERATOR, _RELEASE, st.sampled_from(["", ".*"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_CLAUSE, min_size=1, max_size=3), min_size=1, max_size=3))
def test_every_poetry_result_is_a_specifier_set(
    alternatives: list[list[tuple[str, str, str]]],
) -> None:
    text = " || ".join(
        ", ".join(f"{op}{version}{star}" for op, version, star in clauses)
        for clauses in alternatives
    )
    try:
        result = poetry_constraint(text)
    except ValueError:
        return
    assert result
    for specifier in result:
        SpecifierSet(specifier)


@settings(max_examples=300, deadline=None)
@given(_RELEASE, st.sampled_from(["^", "~"]))
def test_caret_and_tilde_contain_their_version(version: str, op: str) -> None:
    (specifier,) = poetry_constraint(f"{op}{version}")
    spec = SpecifierSet(specifier)
    assert spec.contains(version)
    upper = Version(specifier.split("<", 1)[1])
    assert not spec.contains(upper) and upper > Version(version)


# -- pyproject.toml --------------------------------------------------------------------------


def test_pep621_project(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "pyproject.toml": """\
                [project]
                name = "My_Service"
                requires-python = ">=3.11"
                dependencies = [
                    "fastapi>=0.100,<1",
                    "uvicorn[standard]; python_version >= '3.9'",
                    "my-service[extra]",
                ]
                [project.optional-dependencies]
                azure = ["azure-identity>=1.15"]
                """
        },
    )
    assert decl.complete and decl.problems == ()
    assert decl.project_name == "my-service"
    assert decl.requires_python == (">=3.11",)
    assert decl.requires_python_source == 'pyproject.toml: requires-python = ">=3.11"'
    assert decl.root == str(tmp_path.resolve())
    assert decl.files == (str(tmp_path.resolve() / "pyproject.toml"),)
    fastapi = only(decl, "fastapi")
    assert SpecifierSet(fastapi.specifier[0]) == SpecifierSet(">=0.100,<1")
    assert (fastapi.role, fastapi.group, fastapi.marker) == ("required", None, None)
    assert fastapi.source == "pyproject.toml: dependencies: fastapi>=0.100,<1"
    assert only(decl, "uvicorn").marker == 'python_version >= "3.9"'
    azure = only(decl, "azure-identity")
    assert (azure.role, azure.group) == ("optional", "azure")
    assert azure.source == 'pyproject.toml: optional-dependencies["azure"]: azure-identity>=1.15'
    assert "my-service" not in by_name(decl)  # a self-reference


def test_dependency_groups_follow_includes(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "pyproject.toml": """\
                [dependency-groups]
                test = ["pytest>=8"]
                dev = [{include-group = "test"}, "ruff"]
                loop-a = [{include-group = "loop-b"}]
                loop-b = [{include-group = "loop-a"}, "x"]
                bad = [{include-group = "missing"}]
                """
        },
    )
    pytest_entries = {(r.group, r.source) for r in by_name(decl)["pytest"]}
    assert pytest_entries == {
        ("test", 'pyproject.toml: dependency-groups["test"]: pytest>=8'),
        ("dev", 'pyproject.toml: dependency-groups["test"] (included by "dev"): pytest>=8'),
    }
    assert all(r.role == "group" for r in decl.requirements)
    assert {r.group for r in by_name(decl)["x"]} == {"loop-a", "loop-b"}
    assert not decl.complete
    assert any("cycle" in p for p in decl.problems)
    assert any('unknown group "missing"' in p for p in decl.problems)


def test_poetry(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "pyproject.toml": """\
                [tool.poetry]
                name = "svc"
                packages = [{include = "svc", from = "src"}]
                [tool.poetry.dependencies]
                python = "^3.10"
                fastapi = "^0.92.0"
                httpx = {version = "~0.27", optional = true}
                redis = {version = "^5", optional = true}
                boto3 = {version = "*", python = ">=3.11", platform = "linux"}
                mylib = {git = "https://github.com/x/mylib.git", tag = "v1"}
                local = {path = "../local", develop = true}
                requests = [
                    {version = "<=2.0", python = "<3.8"},
                    {version = "^2.31", python = ">=3.8"},
                ]
                either = "^1.0 || ^2.0"
                [tool.poetry.extras]
                http = ["httpx"]
                [tool.poetry.dev-dependencies]
                black = "^24"
                [tool.poetry.group.test.dependencies]
                pytest = "^8.0"
                """
        },
    )
    assert decl.complete, decl.problems
    assert decl.project_name == "svc"
    assert decl.requires_python == (">=3.10,<4.0",)
    assert decl.requires_python_source == 'pyproject.toml: python = "^3.10"'
    assert decl.package_roots == (str(tmp_path.resolve() / "src"),)
    fastapi = only(decl, "fastapi")
    assert fastapi.specifier == (">=0.92.0,<0.93.0",)
    assert fastapi.source == 'pyproject.toml: fastapi = "^0.92.0"'
    httpx = only(decl, "httpx")
    assert (httpx.role, httpx.group, httpx.specifier) == ("optional", "http", (">=0.27,<0.28",))
    assert (only(decl, "redis").role, only(decl, "redis").group) == ("optional", "optional")
    boto3 = only(decl, "boto3")
    assert boto3.specifier == ("",)
    assert boto3.marker == 'python_version >= "3.11" and sys_platform == "linux"'
    assert only(decl, "mylib").specifier == ("",) and only(decl, "local").specifier == ("",)
    requests = by_name(decl)["requests"]
    assert [(r.specifier, r.marker) for r in requests] == [
        (("<=2.0",), 'python_version < "3.8"'),
        ((">=2.31,<3.0",), 'python_version >= "3.8"'),
    ]
    assert only(decl, "either").specifier == (">=1.0,<2.0", ">=2.0,<3.0")
    black = only(decl, "black")
    assert (black.role, black.group) == ("group", "dev")
    assert black.source == 'pyproject.toml: [tool.poetry.dev-dependencies] black = "^24"'
    assert (only(decl, "pytest").role, only(decl, "pytest").group) == ("group", "test")
    assert "python" not in by_name(decl)


def test_poetry_bad_constraint_is_a_problem(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "pyproject.toml": """\
                [tool.poetry.dependencies]
                fastapi = "^banana"
                other = {version = "^1", markers = "python_version >>> '3'"}
                """
        },
    )
    assert not decl.complete
    assert only(decl, "fastapi").specifier == ("",)
    assert any("fastapi" in p and "banana" in p for p in decl.problems)
    assert any("invalid marker" in p for p in decl.problems)


def test_pdm_hatch_uv_and_setuptools_tables(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "pyproject.toml": """\
                [project]
                name = "x"
                dependencies = []
                [tool.pdm]
                package-dir = "lib"
                [tool.pdm.dev-dependencies]
                lint = ["flake8>=7"]
                [tool.hatch.envs.docs]
                dependencies = ["mkdocs"]
                extra-dependencies = ["mkdocs-material"]
                [tool.hatch.build.targets.wheel]
                packages = ["src/x"]
                [tool.uv]
                dev-dependencies = ["pytest"]
                [tool.setuptools]
                package-dir = {"" = "code"}
                [tool.setuptools.packages.find]
                where = ["more"]
                """
        },
    )
    assert decl.complete, decl.problems
    groups = {r.name: (r.role, r.group) for r in decl.requirements}
    assert groups == {
        "flake8": ("group", "lint"),
        "mkdocs": ("group", "docs"),
        "mkdocs-material": ("group", "docs"),
        "pytest": ("group", "dev"),
    }
    root = tmp_path.resolve()
    assert decl.package_roots == tuple(
        sorted(str(root / d) for d in ("lib", "src", "code", "more"))
    )


def test_dynamic_dependencies_from_files(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "pyproject.toml": """\
                [project]
                name = "x"
                dynamic = ["dependencies", "optional-dependencies"]
                [tool.setuptools.dynamic]
                dependencies = {file = ["deps/base-dev.txt"]}
                optional-dependencies.azure = {file = "deps/azure.txt"}
                """,
            "deps/base-dev.txt": "fastapi\n",
            "deps/azure.txt": "azure-identity\n",
        },
    )
    assert decl.complete, decl.problems
    fastapi = only(decl, "fastapi")
    assert (fastapi.role, fastapi.source) == ("required", "deps/base-dev.txt:1: fastapi")
    assert (only(decl, "azure-identity").role, only(decl, "azure-identity").group) == (
        "optional",
        "azure",
    )


def test_dynamic_dependencies_unknown(tmp_path: Path) -> None:
    decl = read(tmp_path, {"pyproject.toml": '[project]\nname = "x"\ndynamic = ["dependencies"]\n'})
    assert not decl.complete
    assert decl.problems[0].startswith("pyproject.toml: dependencies are dynamic")


def test_dynamic_dependencies_given_by_setup_py(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\ndynamic = ["dependencies"]\n',
            "setup.py": "from setuptools import setup\nsetup(install_requires=['fastapi'])\n",
        },
    )
    assert decl.complete, decl.problems
    assert only(decl, "fastapi").source == "setup.py: install_requires: fastapi"


def test_broken_toml_is_a_problem(tmp_path: Path) -> None:
    decl = read(tmp_path, {"pyproject.toml": '[project]\nname = "x"\ndependencies = [\n'})
    assert not decl.complete
    assert decl.problems == ("pyproject.toml: invalid TOML (line 4)",)
    decl = read(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\nbroken line\n"})
    assert decl.problems == ("pyproject.toml: invalid TOML (line 3)",)
    assert decl.requirements == ()


def test_invalid_pep508_is_a_problem(tmp_path: Path) -> None:
    decl = read(tmp_path, {"pyproject.toml": '[project]\ndependencies = ["ok", "no good!", 3]\n'})
    assert [r.name for r in decl.requirements] == ["ok"]
    assert not decl.complete and len(decl.problems) == 2


# -- setup.cfg and setup.py ------------------------------------------------------------------


def test_setup_cfg(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "setup.cfg": """\
                [metadata]
                name = Cfg_Project
                [options]
                python_requires = >=3.9
                package_dir =
                    =src
                packages = find:
                install_requires =
                    fastapi>=0.100
                    pydantic; python_version >= "3.9"
                [options.packages.find]
                where = src
                [options.extras_require]
                azure = azure-identity; azure-core
                """
        },
    )
    assert decl.complete, decl.problems
    assert decl.project_name == "cfg-project"
    assert decl.requires_python == (">=3.9",)
    assert decl.package_roots == (str(tmp_path.resolve() / "src"),)
    assert only(decl, "fastapi").source == "setup.cfg: install_requires: fastapi>=0.100"
    assert only(decl, "pydantic").marker == 'python_version >= "3.9"'
    azure = only(decl, "azure-core")
    assert (azure.role, azure.group) == ("optional", "azure")
    assert azure.source == 'setup.cfg: extras_require["azure"]: azure-core'


def test_setup_cfg_file_directive_and_errors(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "setup.cfg": "[options]\ninstall_requires = file: base.txt\n",
            "base.txt": "httpx\n",
        },
    )
    assert decl.complete and only(decl, "httpx").role == "required"
    broken = tmp_path / "broken"
    decl = read(broken, {"setup.cfg": "[options]\ninstall_requires = x\nno equals sign here\n"})
    assert not decl.complete
    assert decl.problems[0].startswith("setup.cfg: invalid setup.cfg (line ")


def test_setup_py_literals(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "setup.py": """\
                import setuptools
                from setuptools import find_packages

                BASE = ["fastapi>=0.100", "pydantic"]
                EXTRAS = {"azure": ["azure-identity"], "all": BASE + ["redis"]}
                NAME: str = "Py_Project"

                setuptools.setup(
                    name=NAME,
                    python_requires=">=3.10",
                    install_requires=BASE + ["httpx; sys_platform == 'linux'"],
                    extras_require=EXTRAS,
                    package_dir={"": "src"},
                    packages=find_packages(where="src"),
                )
                """
        },
    )
    assert decl.complete, decl.problems
    assert decl.project_name == "py-project"
    assert decl.requires_python == (">=3.10",)
    assert decl.requires_python_source == 'setup.py: python_requires=">=3.10"'
    assert decl.package_roots == (str(tmp_path.resolve() / "src"),)
    assert only(decl, "httpx").marker == 'sys_platform == "linux"'
    azure = only(decl, "azure-identity")
    assert azure.source == 'setup.py: extras_require["azure"]: azure-identity'
    assert (azure.role, azure.group) == ("optional", "azure")
    assert {(r.role, r.group) for r in by_name(decl)["fastapi"]} == {
        ("required", None),
        ("optional", "all"),
    }


def test_setup_py_find_packages_positional(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "setup.py": "from setuptools import setup as s, find_packages\ns(packages=find_packages('lib'))\n"
        },
    )
    assert decl.complete and decl.package_roots == (str(tmp_path.resolve() / "lib"),)


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (
            "from setuptools import setup\nsetup(install_requires=open('r.txt').read().split())\n",
            "setup.py: install_requires is not a literal (line 2: a call to ...split())",
        ),
        (
            "from setuptools import setup\nv = '1'\nsetup(install_requires=[f'x=={v}'])\n",
            "setup.py: install_requires is not a literal (line 3: an f-string)",
        ),
        (
            "from setuptools import setup\nR = ['a']\nR.append('b')\nsetup(install_requires=R)\n",
            "setup.py: install_requires is not a literal (line 4: R is not bound once",
        ),
        (
            "from setuptools import setup\nR = ['a']\nR = R + ['b']\nsetup(install_requires=R)\n",
            "setup.py: install_requires is not a literal (line 4: R is not bound once",
        ),
        (
            "from setuptools import setup\nkw = {'install_requires': ['a']}\nsetup(**kw)\n",
            "setup.py: setup() takes *args or **kwargs",
        ),
        ("import os\nos.system('true')\n", "setup.py: no setup() call found"),
        ("setup(\n", "setup.py: invalid Python (line 1)"),
    ],
)
def test_setup_py_not_literal(tmp_path: Path, source: str, problem: str) -> None:
    (tmp_path / "setup.py").write_text(source, encoding="utf-8")
    decl = read_declarations(tmp_path)
    assert not decl.complete
    assert any(p.startswith(problem) for p in decl.problems), decl.problems


def test_setup_py_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "EXECUTED"
    (tmp_path / "setup.py").write_text(
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "from setuptools import setup\n"
        "setup(name='x', install_requires=['fastapi'])\n",
        encoding="utf-8",
    )
    assert is_component(tmp_path)
    decl = read_declarations(tmp_path)
    assert [r.name for r in decl.requirements] == ["fastapi"]
    assert not marker.exists()


# -- requirement files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        ("requirements.txt", ("required", None)),
        ("requirements.in", ("required", None)),
        ("requirements-prod.txt", ("required", None)),
        ("requirements-dev.txt", ("group", "requirements-dev.txt")),
        ("requirements_test.in", ("group", "requirements_test.in")),
        ("requirements.docs.txt", ("group", "requirements.docs.txt")),
        ("dev-requirements.txt", ("group", "dev-requirements.txt")),
        ("requirements/ci.txt", ("group", "requirements/ci.txt")),
        ("requirements/base.txt", ("required", None)),
        # only names that say so are required: an unknown name is a group (unknown stays unknown)
        ("requirements-device.txt", ("group", "requirements-device.txt")),
        ("requirements-aws.txt", ("group", "requirements-aws.txt")),
        ("requirements/optional.txt", ("group", "requirements/optional.txt")),
        ("requirements/production.txt", ("required", None)),
    ],
)
def test_group_for(display: str, expected: tuple[str, str | None]) -> None:
    assert group_for(display) == expected


def test_requirements_lines(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "requirements.txt": """\
                # a comment
                --index-url https://example.com/simple
                fastapi==0.88.0 \\
                    --hash=sha256:abcdef
                pydantic>=2 ; python_version >= "3.9"  # why
                -e git+https://github.com/x/y.git#egg=yolib
                -e .
                https://example.com/p/foo_bar-1.0-py3-none-any.whl
                requests @ https://example.com/requests.tar.gz
                --editable=./vendor/thing#egg=Thing[extra]
                """
        },
    )
    assert decl.complete, decl.problems
    fastapi = only(decl, "fastapi")
    assert fastapi.source == "requirements.txt:3: fastapi==0.88.0"
    assert fastapi.specifier == ("==0.88.0",)
    assert decl.locked["fastapi"] == ("0.88.0", "requirements.txt:3")
    assert only(decl, "pydantic").marker == 'python_version >= "3.9"'
    assert (
        only(decl, "pydantic").source == 'requirements.txt:5: pydantic>=2 ; python_version >= "3.9"'
    )
    assert set(by_name(decl)) == {"fastapi", "pydantic", "yolib", "foo-bar", "requests", "thing"}
    assert (
        only(decl, "yolib").source
        == "requirements.txt:6: -e git+https://github.com/x/y.git#egg=yolib"
    )
    assert all(r.role == "required" for r in decl.requirements)


def test_logical_lines() -> None:
    text = "a \\\n  b\n# c \\\nd # e\n\n  f#g\nh \\"
    assert list(logical_lines(text)) == [(1, "a   b"), (4, "d"), (6, "f#g"), (7, "h")]


def test_unreadable_lines_are_problems(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {"requirements.txt": "ok\nnot valid!!\n-e ./somewhere/else\n-r\n'unclosed\n"},
    )
    assert [r.name for r in decl.requirements] == ["ok"]
    assert not decl.complete
    assert any(p.startswith("requirements.txt:2: invalid requirement") for p in decl.problems)
    assert any(p.startswith("requirements.txt:3: cannot tell") for p in decl.problems)
    assert any(p.startswith("requirements.txt:4: -r without a file") for p in decl.problems)


def test_include_roles(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "requirements.txt": "-r base.txt\nfastapi\n",
            "base.txt": "pydantic\n",
            "requirements-dev.txt": "-r requirements.txt\n-r tools.txt\npytest\n",
            "tools.txt": "ruff\n",
            "requirements/docs.txt": "--requirement=../requirements.txt\nmkdocs\n",
        },
    )
    assert decl.complete, decl.problems
    roles = {r.name: (r.role, r.group) for r in decl.requirements}
    assert roles == {
        "pydantic": ("required", None),
        "fastapi": ("required", None),
        "pytest": ("group", "requirements-dev.txt"),
        "ruff": ("group", "requirements-dev.txt"),
        "mkdocs": ("group", "requirements/docs.txt"),
    }
    assert only(decl, "pydantic").source == "base.txt:1: pydantic"
    root = tmp_path.resolve()
    assert decl.files == tuple(
        sorted(
            str(root / n)
            for n in (
                "requirements.txt",
                "base.txt",
                "requirements-dev.txt",
                "tools.txt",
                "requirements/docs.txt",
            )
        )
    )


def test_include_from_group_file_upgraded_by_required(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "requirements-test.txt": "-r requirements-common.txt\npytest\n",
            "requirements-common.txt": "httpx\n",
            "requirements-prod.txt": "-r requirements-common.txt\n",
        },
    )
    assert only(decl, "httpx").role == "required"
    assert only(decl, "pytest").group == "requirements-test.txt"


def test_include_cycles_stop(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "requirements.txt": "-r a.txt\nx\n",
            "a.txt": "-r b.txt\na\n",
            "b.txt": "-r a.txt\n-r requirements.txt\nb\n",
        },
    )
    assert decl.complete
    assert sorted(r.name for r in decl.requirements) == ["a", "b", "x"]


def test_constraints(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "requirements.txt": "-c constraints.txt\nfastapi\n",
            "constraints.txt": "-r more-constraints.txt\nfastapi==0.92.0\n",
            "more-constraints.txt": "starlette<0.30\n",
        },
    )
    assert decl.complete, decl.problems
    assert [r.name for r in decl.requirements] == ["fastapi"]
    assert {(r.name, r.specifier) for r in decl.constraints} == {
        ("fastapi", ("==0.92.0",)),
        ("starlette", ("<0.30",)),
    }
    assert decl.locked == {"fastapi": ("0.92.0", "constraints.txt:2")}


def test_includes_outside_the_tree_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("leak\n", encoding="utf-8")
    root = tmp_path / "svc"
    decl = read(root, {"requirements.txt": "-r ../secret.txt\n-r /etc/hosts\nfastapi\n"})
    assert [r.name for r in decl.requirements] == ["fastapi"]
    assert not decl.complete
    assert decl.problems == (
        "requirements.txt:1: -r ../secret.txt is outside the repository; not read",
        "requirements.txt:2: -r /etc/hosts is outside the repository; not read",
    )
    assert str(outside) not in decl.files


def test_includes_inside_the_repository_are_followed(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write_tree(
        tmp_path,
        {"shared/base.txt": "pydantic\n", "svc/requirements.txt": "-r ../shared/base.txt\n"},
    )
    decl = read_declarations(tmp_path / "svc")
    assert decl.complete, decl.problems
    assert only(decl, "pydantic").source == "../shared/base.txt:1: pydantic"
    assert decl.files == tuple(
        sorted(str((tmp_path / p).resolve()) for p in ("shared/base.txt", "svc/requirements.txt"))
    )


def test_missing_include(tmp_path: Path) -> None:
    decl = read(tmp_path, {"requirements.txt": "-r nope.txt\n"})
    assert decl.problems == ("requirements.txt:1: -r nope.txt: no such file",)


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_symlinks_out_of_the_tree_are_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.txt").write_text("leak\n", encoding="utf-8")
    root = tmp_path / "svc"
    root.mkdir()
    (root / "requirements.txt").symlink_to(tmp_path / "elsewhere.txt")
    (root / "real-dev.txt").write_text("pytest\n", encoding="utf-8")
    (root / "requirements-dev.txt").symlink_to(root / "real-dev.txt")
    decl = read_declarations(root)
    assert [r.name for r in decl.requirements] == ["pytest"]
    assert not decl.complete
    assert decl.problems[0].startswith("requirements.txt: resolves outside the repository")


def test_large_files_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("x\n" * (MAX_BYTES // 2 + 1), encoding="utf-8")
    decl = read_declarations(tmp_path)
    assert decl.problems == ("requirements.txt: larger than 1 MiB; not read",)
    assert decl.files == () and decl.requirements == ()


# -- Pipfile and locks --------------------------------------------------------------------------


def test_pipfile_and_lock(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "Pipfile": """\
                [packages]
                fastapi = "==0.92.0"
                httpx = "*"
                pywin32 = {version = ">=300", sys_platform = "== 'win32'"}
                mylib = {git = "https://github.com/x/mylib.git", editable = true}
                [dev-packages]
                pytest = ">=7"
                [requires]
                python_version = "3.11"
                """,
            "Pipfile.lock": '{"default": {"fastapi": {"version": "==0.92.0"}, '
            '"mylib": {"git": "x"}}, "develop": {"pytest": {"version": "==8.1.1"}}}',
        },
    )
    assert decl.complete, decl.problems
    assert decl.requires_python == ("==3.11.*",)
    assert decl.requires_python_source == 'Pipfile: python_version = "3.11"'
    assert only(decl, "fastapi").source == 'Pipfile: [packages] fastapi = "==0.92.0"'
    assert only(decl, "httpx").specifier == ("",)
    assert only(decl, "pywin32").marker == 'sys_platform == "win32"'
    assert only(decl, "mylib").specifier == ("",)
    assert (only(decl, "pytest").role, only(decl, "pytest").group) == ("group", "dev-packages")
    assert decl.locked == {
        "fastapi": ("0.92.0", "Pipfile.lock"),
        "pytest": ("8.1.1", "Pipfile.lock"),
    }


def test_lock_files(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "app"\ndependencies = ["numpy"]\n',
            "uv.lock": """\
                version = 1
                [[package]]
                name = "numpy"
                version = "2.1.0"
                [[package]]
                name = "numpy"
                version = "1.26.4"
                [[package]]
                name = "app"
                source = { editable = "." }
                """,
            "poetry.lock": '[[package]]\nname = "Jinja2"\nversion = "3.1.4"\n',
            "pdm.lock": '[[package]]\nname = "click"\nversion = "8.1.7"\n',
            "requirements.txt": "click==8.0.0\nrich==13.0\n",
        },
    )
    assert decl.complete, decl.problems
    assert decl.locked == {
        "click": ("8.1.7", "pdm.lock"),
        "jinja2": ("3.1.4", "poetry.lock"),
        "numpy": ("1.26.4", "uv.lock (lowest kept; also 2.1.0 in uv.lock)"),
        "rich": ("13.0", "requirements.txt:2"),
    }
    root = tmp_path.resolve()
    assert {str(root / n) for n in ("uv.lock", "poetry.lock", "pdm.lock")} <= set(decl.files)


def test_broken_lock_files(tmp_path: Path) -> None:
    decl = read(
        tmp_path, {"requirements.txt": "x\n", "poetry.lock": "[[package]\n", "Pipfile.lock": "{\n"}
    )
    assert not decl.complete
    assert decl.problems == (
        "Pipfile.lock: invalid JSON (line 2)",
        "poetry.lock: invalid TOML (line 1)",
    )


# -- components ------------------------------------------------------------------------------


def test_is_component(tmp_path: Path) -> None:
    cases = {
        "empty": {},
        "tool-only": {"pyproject.toml": "[tool.ruff]\nline-length = 100\n"},
        "flake8-only": {"setup.cfg": "[flake8]\nmax-line-length = 100\n"},
        "project": {"pyproject.toml": '[project]\nname = "x"\n'},
        "poetry": {"pyproject.toml": '[tool.poetry]\nname = "x"\n'},
        "broken": {"pyproject.toml": "[project\n"},
        "cfg": {"setup.cfg": "[metadata]\nname = x\n"},
        "setup-py": {"setup.py": ""},
        "pipfile": {"Pipfile": ""},
        "reqs": {"requirements-dev.txt": ""},
        "reqs-dir": {"requirements/base.txt": ""},
        "suffix": {"prod-requirements.txt": ""},
        "only-lock": {"poetry.lock": ""},
        "other-txt": {"notes.txt": ""},
    }
    for name, files in cases.items():
        write_tree(tmp_path / name, files)
        (tmp_path / name).mkdir(exist_ok=True)
    found = {name for name in cases if is_component(tmp_path / name)}
    assert found == {"project", "poetry", "broken", "cfg", "setup-py", "pipfile", "reqs",
                     "reqs-dir", "suffix"}  # fmt: skip
    assert not is_component(tmp_path / "missing")
    assert "pyproject.toml" in COMPONENT_FILES and "requirements/*.txt" in COMPONENT_FILES


def test_not_a_component(tmp_path: Path) -> None:
    decl = read_declarations(tmp_path)
    assert decl == Declarations(root=str(tmp_path.resolve()))
    missing = read_declarations(tmp_path / "missing")
    assert not missing.complete and missing.problems[0].endswith("not a readable directory")


def test_results_are_frozen_and_first_declaration_wins(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "a"\nrequires-python = ">=3.11"\n',
            "setup.cfg": "[metadata]\nname = b\n[options]\npython_requires = >=3.8\n",
        },
    )
    assert (decl.project_name, decl.requires_python) == ("a", (">=3.11",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        decl.complete = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("pyproject", "roots"),
    [
        ('[tool.poetry]\npackages = [{include = "pkg"}]\n', ["."]),
        ("[tool.setuptools.packages.find]\n", ["."]),
        ('[tool.setuptools]\npackages = ["pkg"]\n', ["."]),
        ('[tool.hatch.build.targets.wheel]\nsources = ["lib"]\n', ["lib"]),
        ('[tool.hatch.build.targets.wheel]\npackages = ["pkg"]\n', ["."]),
        ('[tool.pdm]\npackage-dir = "src"\n', ["src"]),
        ('[project]\nname = "x"\n', []),
    ],
)
def test_package_roots(tmp_path: Path, pyproject: str, roots: list[str]) -> None:
    decl = read(tmp_path, {"pyproject.toml": pyproject})
    root = tmp_path.resolve()
    assert decl.package_roots == tuple(str(root / r) if r != "." else str(root) for r in roots)


def test_pipfile_full_python_version_and_bad_values(tmp_path: Path) -> None:
    decl = read(
        tmp_path,
        {
            "Pipfile": """\
                [packages]
                good = "~=1.2"
                bad = "1.2.3"
                [requires]
                python_version = "3.11"
                python_full_version = "3.11.4"
                """
        },
    )
    assert decl.requires_python == ("==3.11.4",)
    assert only(decl, "good").specifier == ("~=1.2",)
    assert only(decl, "bad").specifier == ("",)
    assert decl.problems == (
        "Pipfile: [packages] bad = \"1.2.3\": '1.2.3' is not a PEP 440 specifier",
    )
