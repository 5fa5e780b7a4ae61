"""``hoist-imports`` leaves test set-up and database migrations alone by default (issue 19):
``conftest.py``, pytest fixtures, Alembic revisions and Django migrations. The option
``exclude-fixtures-and-migrations = false`` hoists there too; every site left alone has a reason."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from codemods.types import Options

from ...conftest import run_cli
from ...helpers import run_tree, write_tree

ID = "hoist-imports"
OPTIONS = Options(select=(ID,))
OFF = Options(select=(ID,), codemod_options={ID: {"exclude-fixtures-and-migrations": False}})

BODY = "\n\n    return json\n"
CASES = {
    "conftest": (
        "tests/conftest.py",
        {
            "tests/conftest.py": "def pytest_configure(config):\n    import json" + BODY,
        },
        "`conftest.py`",
    ),
    "fixture": (
        "tests/test_api.py",
        {
            "tests/test_api.py": "import pytest\n\n\n@pytest.fixture()\ndef client(monkeypatch):\n"
            "    monkeypatch.setenv('SECRET', 'x')\n    import json" + BODY,
        },
        "in pytest fixture `client`",
    ),
    "bare-fixture": (
        "tests/test_db.py",
        {
            "tests/test_db.py": "from pytest import fixture\n\n\n@fixture\ndef db():\n"
            "    def make():\n        import json"
            + BODY.replace("\n    ", "\n        ")
            + "\n    return make\n",
        },
        "in pytest fixture `db`",
    ),
    "alembic": (
        "alembic/versions/0001_init.py",
        {
            "alembic/env.py": "config = None\n",
            "alembic/versions/0001_init.py": "revision = '0001'\ndown_revision = None\n\n\n"
            "def upgrade():\n    import json" + BODY,
        },
        "an Alembic migration revision",
    ),
    "django": (
        "shop/migrations/0001_initial.py",
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": "def forwards(apps, schema_editor):\n    import json"
            + BODY
            + "\n\nclass Migration:\n    operations = []\n",
        },
        "a Django migration",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_skipped_by_default_with_a_reason(tmp_path: Path, case: str) -> None:
    path, files, reason = CASES[case]
    write_tree(tmp_path, files)
    result = run_tree(tmp_path, OPTIONS, write=True)[path]
    assert not result.changes
    assert any(
        reason in s.reason and "exclude-fixtures-and-migrations" in s.reason for s in result.skips
    )
    assert "    import json" in (tmp_path / path).read_text()


@pytest.mark.parametrize("case", sorted(CASES))
def test_hoisted_when_the_option_is_off(tmp_path: Path, case: str) -> None:
    path, files, _ = CASES[case]
    write_tree(tmp_path, files)
    # the fixture case imports after `monkeypatch.setenv(...)`: without the exclusion that is
    # still an unsafe fix (a statement with effects runs before the import), applied here
    result = run_tree(tmp_path, replace(OFF, unsafe_fixes=True), write=True)[path]
    assert [c.applied for c in result.changes] == [True]
    assert "    import json" not in (tmp_path / path).read_text()


def test_the_option_from_pyproject(tmp_path: Path) -> None:
    path, files, _ = CASES["conftest"]
    write_tree(tmp_path, files)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.codemod.hoist-imports]\nexclude-fixtures-and-migrations = false\n"
    )
    proc = run_cli(["apply", "--select", ID, "--no-cache", "."], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "    import json" not in (tmp_path / path).read_text()


def test_plain_tests_and_other_versions_directories_are_still_hoisted(tmp_path: Path) -> None:
    """Guards against over-skipping: a test function, an unrelated ``versions/`` package and a
    ``migrations/`` module without ``class Migration``."""
    write_tree(tmp_path, {
        "tests/test_plain.py": "def test_it():\n    import json\n\n    assert json\n",
        "api/versions/v1.py": "def handler():\n    import json" + BODY,
        "tools/migrations/helpers.py": "def run():\n    import json" + BODY,
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS)
    for path in ("tests/test_plain.py", "api/versions/v1.py", "tools/migrations/helpers.py"):
        assert [c.applied for c in results[path].changes] == [True], path
