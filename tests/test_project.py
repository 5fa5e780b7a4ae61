"""The gather phase: module names, the import-time import graph, opaque files."""

from __future__ import annotations

from pathlib import Path

from codemods.project import gather_project, module_info

from .helpers import write_tree


def test_module_names(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/__init__.py": "", "app/api/__init__.py": "", "app/api/users.py": "", "main.py": ""})
    assert module_info(tmp_path / "app/api/users.py").name == "app.api.users"
    assert module_info(tmp_path / "app/api/__init__.py").name == "app.api"
    assert module_info(tmp_path / "app/api/users.py").root == str(tmp_path.resolve())
    assert module_info(tmp_path / "main.py").name == "main"


def test_import_graph_follows_first_party_imports_not_given(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.py": "import models\nfrom services import mail\n\ndef f():\n    import late\n",
        "models.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import main\nimport database\n",
        "database.py": "import os\n",
        "services/__init__.py": "",
        "services/mail.py": "class M:\n    import main\n",
        "late.py": "import main\n",
    })  # fmt: skip
    facts = gather_project([tmp_path / "main.py"])
    assert set(facts.modules) == {"main", "models", "database", "services", "services.mail", "late"}
    assert facts.imports["main"] == {"models", "services", "services.mail"}
    assert facts.imports["models"] == {"database"}  # TYPE_CHECKING import excluded
    assert facts.imports["services.mail"] == {"main"}  # class bodies run at import time
    assert facts.reaches("late", "main") is True
    assert facts.reaches("services", "main") is False
    assert facts.reaches("services.mail", "main") is True
    assert facts.reaches("models", "main") is False


def test_relative_imports(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pkg/__init__.py": "from . import a\n",
        "pkg/a.py": "from .b import thing\n",
        "pkg/b.py": "from ..pkg import a\nthing = 1\n",
    })  # fmt: skip
    facts = gather_project([tmp_path / "pkg/__init__.py"])
    assert facts.imports["pkg"] == {"pkg.a"}
    assert facts.imports["pkg.a"] == {"pkg", "pkg.b"}
    assert facts.reaches("pkg.b", "pkg.a") is True


def test_opaque_file_makes_reachability_unknown(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "import b\n", "b.py": "def f(:\n"})
    facts = gather_project([tmp_path / "a.py"])
    assert facts.is_opaque(tmp_path / "b.py")
    assert not facts.is_opaque(tmp_path / "a.py")
    assert facts.reaches("a", "c") is None


def test_uses_fastapi(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "def f():\n    from fastapi import FastAPI\n"})
    assert gather_project([tmp_path / "a.py"]).uses_fastapi
    write_tree(tmp_path, {"b.py": "import starlette\n"})
    assert not gather_project([tmp_path / "b.py"]).uses_fastapi
