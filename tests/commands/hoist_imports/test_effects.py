"""``hoist-imports`` and modules whose import does something (issue 19): hoisting an import of
such a module moves its effects to the import of the importing module. Found by
``make smoke-apps`` in fief: ``fief/cli.py`` imports ``fief.settings`` inside its click commands,
and ``settings = Settings()`` there reads the environment; hoisted, ``fief --help`` failed without
``SECRET``. Each case is a real package; where behaviour matters it is imported in a subprocess."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from codemods.import_effects import import_effect
from codemods.types import Options, Safety

from ...conftest import run_cli
from ...helpers import dedent, run_tree, write_tree

ID = "hoist-imports"
OPTIONS = Options(select=(ID,))

SETTINGS_PACKAGE = {
    "pkg/__init__.py": "",
    "pkg/settings.py": """
        import os


        class Settings:
            def __init__(self):
                self.secret = os.environ["SECRET"]


        settings = Settings()
        """,
    "pkg/cli.py": """
        import sys


        def main():
            from pkg.settings import settings

            print(settings.secret)


        if __name__ == "__main__":
            print("usage: cli")
            sys.exit(0)
        """,
}


def _import(root: Path, module: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin"}  # no SECRET
    return subprocess.run(
        [sys.executable, "-B", "-c", f"import {module}"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_a_settings_module_is_not_hoisted_by_default_and_the_cli_still_imports(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, SETTINGS_PACKAGE)
    assert _import(tmp_path, "pkg.cli").returncode == 0
    proc = run_cli(["apply", "--select", ID, "-v", "--no-cache", "."], tmp_path)
    assert proc.returncode == 0, proc.stderr
    cli = (tmp_path / "pkg/cli.py").read_text()
    assert "    from pkg.settings import settings\n" in cli  # stays in the function
    assert _import(tmp_path, "pkg.cli").returncode == 0
    message = "importing `pkg.settings` runs `Settings()` (pkg/settings.py:9) [unsafe: --unsafe-fixes]"
    assert message in proc.stderr.decode()


def test_with_unsafe_fixes_it_moves_and_the_message_names_the_effect(tmp_path: Path) -> None:
    write_tree(tmp_path, SETTINGS_PACKAGE)
    proc = run_cli(["apply", "--select", ID, "--unsafe-fixes", "-v", "--no-cache", "."], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (
        (tmp_path / "pkg/cli.py")
        .read_text()
        .startswith("import sys\n\nfrom pkg.settings import settings\n")
    )
    assert "importing `pkg.settings` runs `Settings()` (pkg/settings.py:9)" in proc.stderr.decode()
    # the effect the message names is real: the CLI module no longer imports without SECRET
    failed = _import(tmp_path, "pkg.cli")
    assert failed.returncode != 0 and "SECRET" in failed.stderr


def test_an_effect_two_imports_away_is_named(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/registry.py": """
            PLUGINS = []


            def register(name):
                PLUGINS.append(name)
            """,
        "pkg/plugins.py": "from pkg.registry import register\n\nregister('production')\n",
        "pkg/models.py": "from pkg import plugins\n\nVERSION = 1\n",
        "pkg/job.py": "def run():\n    from pkg.models import VERSION\n\n    return VERSION\n",
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS, write=True)
    (change,) = results["pkg/job.py"].changes
    assert change.safety is Safety.UNSAFE and not change.applied
    assert change.message.endswith(
        "importing `pkg.models` imports `pkg.plugins`, which runs `register()` (pkg/plugins.py:3)"
    )
    assert "    from pkg.models import VERSION" in (tmp_path / "pkg/job.py").read_text()


def test_a_package_init_with_effects_counts(tmp_path: Path) -> None:
    """``from pkg.sub import x`` imports ``pkg/sub/__init__.py`` first."""
    write_tree(tmp_path, {
        "app/__init__.py": "",
        "app/sub/__init__.py": "import logging\n\nlogging.basicConfig(level='DEBUG')\n",
        "app/sub/tools.py": "def tool():\n    return 1\n",
        "app/main.py": "def go():\n    from app.sub.tools import tool\n\n    return tool()\n",
    })  # fmt: skip
    (change,) = run_tree(tmp_path, OPTIONS)["app/main.py"].changes
    assert change.safety is Safety.UNSAFE
    assert (
        "importing `app.sub` runs `logging.basicConfig()` (app/sub/__init__.py:3)" in change.message
    )


def test_pure_modules_are_still_hoisted(tmp_path: Path) -> None:
    """Guards against over-skipping: the usual harmless module-level code is not an effect."""
    write_tree(tmp_path, {
        "requirements.txt": "fastapi\nsqlalchemy\n",
        "web/__init__.py": "",
        "web/routes.py": """
            \"\"\"Routes.\"\"\"
            from __future__ import annotations

            import logging
            import re
            from dataclasses import dataclass, field
            from pathlib import Path
            from typing import TYPE_CHECKING, TypeVar

            from fastapi import APIRouter, Depends, Query

            if TYPE_CHECKING:
                from web.heavy import Heavy

            try:
                import ujson as json
            except ImportError:
                import json

            __all__ = ["router", "Item"]
            logger = logging.getLogger(__name__)
            BASE_DIR = Path(__file__).resolve().parent.parent
            SLUG = re.compile(r"[a-z-]+")
            T = TypeVar("T")
            router = APIRouter(prefix="/items")


            @dataclass
            class Item:
                name: str
                tags: list[str] = field(default_factory=list)


            def get_db():
                return None


            @router.get("/")
            def list_items(q: str = Query(None), db=Depends(get_db)) -> list[Item]:
                return []


            if __name__ == "__main__":
                print(BASE_DIR)
            """,
        "web/models.py": """
            from sqlalchemy import Column, Integer, String
            from sqlalchemy.orm import declarative_base

            Base = declarative_base()


            class User(Base):
                __tablename__ = "users"
                id = Column(Integer, primary_key=True)
                name = Column(String(50))
            """,
        "web/app.py": """
            def create():
                from web.routes import router

                return router


            def users():
                from web.models import User

                return User
            """,
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS, write=True)
    changes = results["web/app.py"].changes
    assert [(c.safety, c.applied) for c in changes] == [(Safety.SAFE, True)] * 2
    assert (tmp_path / "web/app.py").read_text().startswith(
        "from web.models import User\nfrom web.routes import router\n"
    ) or (tmp_path / "web/app.py").read_text().startswith(
        "from web.routes import router\nfrom web.models import User\n"
    )


def test_a_module_already_imported_at_module_level_adds_no_effect(tmp_path: Path) -> None:
    """Its effects already run when this module is imported: nothing moves in time."""
    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/config.py": "import os\n\nDEBUG = os.getenv('DEBUG')\n",
        "pkg/base.py": "from pkg import config\n",
        "pkg/views.py": """
            from pkg import base


            def debug():
                from pkg.config import DEBUG

                return DEBUG
            """,
    })  # fmt: skip
    (change,) = run_tree(tmp_path, OPTIONS)["pkg/views.py"].changes
    assert change.safety is Safety.SAFE


def test_the_importing_module_s_own_parent_packages_are_already_loaded(tmp_path: Path) -> None:
    """Found by ``make smoke-apps`` in marimo: ``marimo/__init__.py`` has an effect, and
    ``marimo._ast.scanner`` imports ``marimo._ast.parse`` (which imports ``marimo``) in a function.
    Importing the scanner runs ``marimo/__init__.py`` first anyway, so the hoist adds nothing;
    it was held as unsafe, and became safe on the second run, once another hoist made the scanner
    import a ``marimo`` module at module level: one run must be the fixed point."""
    write_tree(tmp_path, {
        "app/__init__.py": "import logging\n\nlogging.basicConfig(level='DEBUG')\n",
        "app/ast/__init__.py": "",
        "app/ast/parse.py": "import app\n\n\ndef parse(text):\n    return text\n",
        "app/ast/scanner.py": """
            def scan(text):
                from app.ast.parse import parse

                return parse(text)
            """,
    })  # fmt: skip
    (change,) = run_tree(tmp_path, OPTIONS)["app/ast/scanner.py"].changes
    assert change.safety is Safety.SAFE, change.message


def test_a_module_that_cannot_be_analysed_counts_as_an_effect(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/broken.py": "X = (\n",
        "pkg/mid.py": "from pkg import broken\n\nY = 1\n",
        "pkg/use.py": "def f():\n    from pkg.mid import Y\n\n    return Y\n",
    })  # fmt: skip
    results = run_tree(tmp_path, OPTIONS)
    changed = results["pkg/use.py"].changes
    reasons = [s.reason for s in results["pkg/use.py"].skips]
    # the cycle check already refuses what it cannot see; never a safe fix
    assert all(c.safety is Safety.UNSAFE for c in changed)
    assert changed or any("could not be analysed" in r for r in reasons)


def test_the_effect_is_seen_when_the_imported_module_changes_on_a_warm_cache(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/settings.py": "NAME = 'x'\n",
        "pkg/cli.py": "def main():\n    from pkg.settings import NAME\n\n    return NAME\n",
    })  # fmt: skip
    first = run_cli(["check", "--select", ID, "-v", "."], tmp_path)
    assert first.stdout and "[unsafe" not in first.stdout.decode()  # check lists findings on stdout
    (tmp_path / "pkg/settings.py").write_text("import sys\n\nNAME = 'x'\nsys.exit(0)\n")
    second = run_cli(["check", "--select", ID, "-v", "."], tmp_path)
    assert (
        "importing `pkg.settings` runs `sys.exit()` (pkg/settings.py:4)" in second.stdout.decode()
    )


def _effect(code: str) -> tuple[str, int] | None:
    return import_effect(ast.parse(dedent(code)))


def test_what_counts_as_an_effect() -> None:
    assert _effect("exit()") == ("runs `exit()`", 1)
    assert _effect("import os\nTOKEN = os.environ.get('TOKEN')\n") == ("reads `os.environ.get`", 2)
    assert _effect("import os\nTOKEN = os.environ['TOKEN']\n") == ("reads `os.environ`", 2)
    assert _effect("from app.main import app\n\n@app.get('/x')\ndef x(): pass\n") == (
        "runs `app.get()`",
        3,
    )
    assert _effect("import os\nos.environ['A'] = '1'\n") == ("assigns `os.environ['A']`", 2)
    assert _effect("raise SystemExit(0)\n") == ("raises `SystemExit(0)`", 1)
    assert _effect("from django.db import models\nclass A(models.Model):\n    pass\n") == (
        "defines a Django model (`A`), which needs configured settings",
        2,
    )
    assert _effect("class C:\n    x = compute()\n") == ("runs `compute()`", 2)
    assert _effect("def f(x=load()):\n    pass\n") == ("runs `load()`", 1)
    assert _effect("from app.settings import Settings\nsettings = Settings()\n") == (
        "runs `Settings()`",
        2,
    )


def test_what_does_not() -> None:
    assert _effect("""
        '''doc'''
        from typing import TYPE_CHECKING
        import contextlib
        if TYPE_CHECKING:
            from x import y
            y()
        with contextlib.suppress(ImportError):
            import orjson
        __all__ = ["a"]
        __all__ += ["b"]
        a = b = 1
        CHOICES = {k: v for k, v in (("a", 1),)}
        handler = lambda: run_everything()
        if __name__ == "__main__":
            main()
        """) is None  # fmt: skip


MAIN_BLOCK = {
    "app/__init__.py": "",
    "app/config.py": """
        import sys

        if len(sys.argv) < 2:
            raise SystemExit("usage: need a config path")
        Y = 1
        """,
    "app/main.py": """
        def d():
            from app.config import Y

            return Y


        if __name__ == "__main__":
            from app import config
        """,
}


def test_an_import_in_the_main_block_or_a_branch_is_not_already_loaded(tmp_path: Path) -> None:
    """``if __name__ == "__main__":`` does not run on import: ``app.config`` is not loaded
    yet, so hoisting its import moves its exit to the import of ``app.main``."""
    write_tree(tmp_path, MAIN_BLOCK)
    assert _import(tmp_path, "app.main").returncode == 0
    (change,) = run_tree(tmp_path, OPTIONS, write=True)["app/main.py"].changes
    assert change.safety is Safety.UNSAFE and not change.applied
    assert change.message.endswith("importing `app.config` reads `sys.argv` (app/config.py:3)")
    assert _import(tmp_path, "app.main").returncode == 0


@pytest.mark.parametrize(
    "guard",
    [
        "import os\n\nif os.name == 'nt':\n    from app import config\n",
        "try:\n    import json\n    from app import config\nexcept ImportError:\n    pass\n",
        "for _ in ():\n    from app import config\n",
    ],
    ids=["if", "try", "loop"],
)
def test_an_import_that_may_not_run_is_not_already_loaded(tmp_path: Path, guard: str) -> None:
    write_tree(
        tmp_path, {**MAIN_BLOCK, "app/main.py": MAIN_BLOCK["app/main.py"].split("\n\n\nif")[0]}
    )
    (tmp_path / "app/main.py").write_text(guard + "\n\n" + (tmp_path / "app/main.py").read_text())
    (change,) = run_tree(tmp_path, OPTIONS)["app/main.py"].changes
    assert change.safety is Safety.UNSAFE, change.message


def test_an_import_in_a_class_body_is_already_loaded(tmp_path: Path) -> None:
    body = "class Holder:\n    from app import config\n\n\n"
    write_tree(
        tmp_path, {**MAIN_BLOCK, "app/main.py": MAIN_BLOCK["app/main.py"].split("\n\n\nif")[0]}
    )
    (tmp_path / "app/main.py").write_text(body + (tmp_path / "app/main.py").read_text())
    (change,) = run_tree(tmp_path, OPTIONS)["app/main.py"].changes
    assert change.safety is Safety.SAFE, change.message


HIDDEN = {
    "bare decorator": (
        "from app.plugins import register\n\n@register\ndef hello():\n    pass\n",
        ("calls the decorator `register` on `hello`", 3),
    ),
    "atexit": (
        "import atexit\n\n@atexit.register\ndef bye():\n    pass\n",
        ("calls the decorator `atexit.register` on `bye`", 3),
    ),
    "partial": (
        "import functools\nfrom app import reg\n\n@functools.partial(reg, 'x')\ndef f():\n    pass\n",
        ("calls the decorator `functools.partial` on `f`", 4),
    ),
    "project base": (
        "from app.base import Plugin\n\nclass Hello(Plugin):\n    pass\n",
        ("defines `Hello` based on `Plugin` (its metaclass or `__init_subclass__` runs)", 3),
    ),
    "own hook": (
        "class P:\n    def __init_subclass__(cls):\n        print(cls)\n\nclass Q(P):\n    pass\n",
        ("defines `Q` based on `P` (its metaclass or `__init_subclass__` runs)", 5),
    ),
    "metaclass": (
        "from app.meta import Registry\n\nclass A(metaclass=Registry):\n    pass\n",
        ("defines `A` with the metaclass `Registry`", 3),
    ),
    "alias of an object": (
        "import sys\n\nout = sys.stdout\nout.write('x')\n",
        ("runs `out.write()`", 4),
    ),
    "alias of a module": ("import sys\n\ns = sys\ns.exit(0)\n", ("runs `s.exit()`", 4)),
    "attribute of an alias": (
        "import sys\n\nout = sys.stdout\nout.softspace = 1\n",
        ("assigns `out.softspace`", 4),
    ),
    "path method": (
        "from pathlib import Path\n\nD = Path(__file__).parent\nD.mkdir()\n",
        ("runs `D.mkdir()`", 4),
    ),
}


@pytest.mark.parametrize(("code", "expected"), HIDDEN.values(), ids=HIDDEN.keys())
def test_effects_behind_decorators_bases_and_aliases(code: str, expected: tuple[str, int]) -> None:
    assert _effect(code) == expected


def test_declarations_that_only_wrap_mark_or_register_on_their_own_object() -> None:
    assert _effect("""
        import abc
        import enum
        import logging
        from functools import cached_property, lru_cache
        from dataclasses import dataclass
        from typing import Generic, NamedTuple, TypeVar

        import pytest
        from fastapi import APIRouter
        from pydantic import BaseModel, field_validator
        from sqlalchemy.orm import DeclarativeBase, declarative_base

        T = TypeVar("T")
        log = logging.getLogger(__name__)
        log.setLevel(logging.INFO)
        router = APIRouter()
        router.include_router(APIRouter())
        Base = declarative_base()
        registry = {}
        registry["a"] = 1


        class Color(str, enum.Enum):
            RED = "red"


        class Missing(LookupError):
            pass


        class Box(Generic[T]):
            pass


        class Point(NamedTuple):
            x: int


        class Model(BaseModel, Generic[T]):
            x: int = 0

            @field_validator("x")
            @classmethod
            def check(cls, v):
                return v

            @property
            def y(self):
                return 1

            @y.setter
            def y(self, value):
                pass


        class Orm(DeclarativeBase):
            pass


        class User(Base):
            __tablename__ = "users"


        @dataclass(frozen=True)
        class Pair(Box[int]):
            a: int = 0


        class Shape(abc.ABC, metaclass=abc.ABCMeta):
            @abc.abstractmethod
            def area(self): ...

            @cached_property
            def size(self):
                return 1


        @lru_cache
        def cached():
            return 1


        cached.note = "x"


        @pytest.mark.parametrize("n", [1])
        @router.get("/")
        def home(n):
            return n
        """) is None  # fmt: skip


def test_a_module_registering_with_a_bare_decorator_is_no_safe_hoist(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "app/__init__.py": "",
        "app/plugins.py": "PLUGINS = []\n\n\ndef register(f):\n    PLUGINS.append(f)\n    return f\n",
        "app/hello.py": "from app.plugins import register\n\n\n@register\ndef hello():\n    pass\n",
        "app/main.py": "def load():\n    from app.hello import hello\n\n    return hello\n",
    })  # fmt: skip
    (change,) = run_tree(tmp_path, OPTIONS, write=True)["app/main.py"].changes
    assert change.safety is Safety.UNSAFE and not change.applied
    assert change.message.endswith(
        "importing `app.hello` calls the decorator `register` on `hello` (app/hello.py:4)"
    )
    code = "import app.main, app.plugins; print(len(app.plugins.PLUGINS))"
    done = subprocess.run(
        [sys.executable, "-B", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout == "0\n", done.stderr  # importing app.main registers nothing
