"""Where added imports go, the cases a review found against ruff (the oracle, as in
``test_import_order.py``): comments inside a block, a comment above its first line, ruff's view of
first party in a monorepo, names added to a ``from`` line, the blank lines after a new block, and
the config files in the result cache's key."""

from __future__ import annotations

from pathlib import Path

from codemods.types import Options

from .conftest import CLI
from .helpers import run_tree, write_tree
from .test_import_order import PYPROJECT, apply, format_clean, isort_clean, ruff


def _run(root: Path, files: dict[str, str], main: str = "svc/main.py") -> str:
    """Write the project and apply hoist-imports without checking the input (some inputs here
    are ones ruff rejects under another root); the changed ``main``."""
    write_tree(root, files)
    run_tree(root, Options(select=("hoist-imports",)), write=True)
    return (root / main).read_text(encoding="utf-8")


def test_new_import_goes_above_a_commented_import_with_ruffs_blank_line(tmp_path: Path) -> None:
    source = '''\
        """Doc."""

        import os

        # http client
        import httpx


        def f():
            import fastapi

            return fastapi, httpx, os
        '''
    after = apply(tmp_path, {"svc/main.py": source}, "hoist-imports")
    assert "import os\n\nimport fastapi\n\n# http client\nimport httpx\n" in after, after
    assert isort_clean(tmp_path), ruff(tmp_path, "check", "--select", "I").stdout + after
    assert format_clean(tmp_path), after


def test_commented_import_after_a_blank_line_is_a_sorted_block(tmp_path: Path) -> None:
    source = """\
        import os

        # note
        import sys


        def f():
            import re

            return os, re, sys
        """
    after = apply(tmp_path, {"svc/main.py": source}, "hoist-imports")
    assert after.startswith("import os\nimport re\n\n# note\nimport sys\n"), after
    assert isort_clean(tmp_path), ruff(tmp_path, "check", "--select", "I").stdout + after


def test_nothing_goes_above_the_comment_over_the_first_import(tmp_path: Path) -> None:
    source = """\
        # Copyright Example

        # type: ignore
        import os


        def a():
            import json

            return json, os
        """
    after = _run(
        tmp_path, {"pyproject.toml": PYPROJECT, "svc/__init__.py": "", "svc/main.py": source}
    )
    # the comment still opens the block (mypy reads ``# type: ignore`` only there)
    assert after.startswith("# Copyright Example\n\n# type: ignore\nimport os\nimport json\n"), (
        after
    )


def test_new_import_after_the_commented_first_import_when_sorted(tmp_path: Path) -> None:
    source = """\
        # pylint: disable=import-outside-toplevel

        import json


        def a():
            import os

            return json, os
        """
    after = apply(tmp_path, {"svc/main.py": source}, "hoist-imports")
    assert after.startswith("# pylint: disable=import-outside-toplevel\n\nimport json\nimport os\n")
    assert isort_clean(tmp_path), after


def test_monorepo_module_ruff_may_see_as_third_party_is_not_sectioned(tmp_path: Path) -> None:
    # ruff run at the repository root (no ruff config: the root is where it runs) calls
    # ``svclib`` third party; the component under svc/ calls it first party
    files = {
        "svc/pyproject.toml": "[project]\nname = 'svc'\nversion = '0'\ndependencies = ['fastapi']\n",
        "svc/svcapp/__init__.py": "",
        "svc/svclib/__init__.py": "c = 1\n",
        "svc/svcapp/a.py": """\
            import fastapi


            def f():
                from svclib import c

                return c, fastapi
            """,
    }
    (tmp_path / ".git").mkdir()
    after = _run(tmp_path, files, "svc/svcapp/a.py")
    assert after.startswith("import fastapi\nfrom svclib import c\n"), after
    assert ruff(tmp_path, "check", "--select", "I").returncode == 0, after


def test_force_single_line_never_merges_names(tmp_path: Path) -> None:
    config = PYPROJECT + "\n[tool.ruff.lint.isort]\nforce-single-line = true\n"
    source = """\
        from os import path


        def f():
            from os import sep

            return path, sep
        """
    files = {"pyproject.toml": config, "svc/__init__.py": "", "svc/main.py": source}
    after = _run(tmp_path, files)
    assert after.startswith("from os import path\nfrom os import sep\n"), after
    assert ruff(tmp_path, "check", "--select", "I").returncode == 0, after


def test_as_names_get_lines_of_their_own(tmp_path: Path) -> None:
    source = """\
        from os import path as p


        def f():
            from os import sep

            return p, sep


        def g():
            from os import getcwd as cwd

            return cwd
        """
    after = apply(tmp_path, {"svc/main.py": source}, "hoist-imports")
    expected = "from os import getcwd as cwd\nfrom os import path as p\nfrom os import sep\n"
    assert after.startswith(expected), after
    assert isort_clean(tmp_path), ruff(tmp_path, "check", "--select", "I").stdout + after


def test_new_block_takes_two_blank_lines_before_a_def(tmp_path: Path) -> None:
    source = """\
        def a():
            import json

            return json
        """
    after = _run(
        tmp_path, {"pyproject.toml": PYPROJECT, "svc/__init__.py": "", "svc/main.py": source}
    )
    assert after.startswith("import json\n\n\ndef a():\n"), after
    assert isort_clean(tmp_path), after
    assert format_clean(tmp_path), after


def test_new_block_takes_one_blank_line_before_other_statements(tmp_path: Path) -> None:
    source = """\
        X = 1


        def a():
            import json

            return json, X
        """
    after = _run(
        tmp_path, {"pyproject.toml": PYPROJECT, "svc/__init__.py": "", "svc/main.py": source}
    )
    assert after.startswith("import json\n\nX = 1\n"), after
    assert isort_clean(tmp_path), after


def test_cache_key_holds_the_ruff_config(tmp_path: Path, cli: CLI) -> None:
    source = """\
        from collections import OrderedDict


        def f():
            from collections import ChainMap, Counter, defaultdict

            return ChainMap, Counter, OrderedDict, defaultdict
        """
    write_tree(
        tmp_path, {"pyproject.toml": PYPROJECT, "svc/__init__.py": "", "svc/main.py": source}
    )
    cache = tmp_path.parent / f"{tmp_path.name}-cache"
    args = ("apply", "--select", "hoist-imports", "--dry-run", "--cache-dir", cache, ".")
    first = cli(*args)
    assert b"+from collections import ChainMap, Counter, OrderedDict, defaultdict\n" in first.stdout
    (tmp_path / "ruff.toml").write_text("line-length = 40\n", encoding="utf-8")
    second = cli(*args)
    assert b"+from collections import (\n+    ChainMap,\n" in second.stdout, second.stdout.decode()


# -- no ruff config, no project root (the smoke corpus): ruff --isolated run from the tree's root


def _bare(root: Path, source: str) -> str:
    """A bare package dir as the smoke corpus has it (no pyproject.toml, no ruff config, no
    ``.git``), hoist-imports applied to ``pkg-1.0/pkg/sub/mod.py``; the changed module."""
    files = {
        "pkg-1.0/pkg/__init__.py": "",
        "pkg-1.0/pkg/sub/__init__.py": "",
        "pkg-1.0/pkg/sub/mod.py": source,
        "pkg-1.0/pkg/types.py": "T = 1\n",
        "pkg-1.0/pkg/aa.py": "AA = 1\n",
    }
    write_tree(root, files)
    assert _isolated_isort(root) == "", "the input is sorted"
    run_tree(root / "pkg-1.0", Options(select=("hoist-imports",)), write=True)
    return (root / "pkg-1.0/pkg/sub/mod.py").read_text(encoding="utf-8")


def _isolated_isort(root: Path) -> str:
    found = ruff(root, "check", "--isolated", "--select", "I", "--output-format", "concise")
    return "" if found.returncode == 0 else found.stdout


def test_open_sections_one_reading_sorts_the_block(tmp_path: Path) -> None:
    # zoneinfo (standard library from Python 3.9: ruff decides by its target version) is an
    # open section; only "standard library" makes the block sorted, so ruff reads it so
    source = """\
        import datetime
        from zoneinfo import ZoneInfo

        from pkg.types import T


        def f():
            from pkg.aa import AA

            return AA, T, ZoneInfo, datetime
        """
    after = _bare(tmp_path, source)
    assert "\n\nfrom pkg.aa import AA\nfrom pkg.types import T\n\n\ndef f():" in after, after
    assert _isolated_isort(tmp_path) == "", after


def test_open_sections_a_standard_library_import_has_its_sorted_place(tmp_path: Path) -> None:
    source = """\
        import datetime
        from zoneinfo import ZoneInfo

        import fastapi


        def f():
            import os

            return ZoneInfo, datetime, fastapi, os
        """
    after = _bare(tmp_path, source)
    assert after.startswith("import datetime\nimport os\nfrom zoneinfo import ZoneInfo\n"), after
    assert _isolated_isort(tmp_path) == "", after


def test_open_sections_readings_that_disagree_take_the_first_when_the_end_is_never_sorted(
    tmp_path: Path,
) -> None:
    # zoneinfo in any section makes the block sorted; ``import os`` goes above it if it is the
    # standard library, in a section of its own above it otherwise: the readings disagree, and
    # after the block's last line it is unsorted under every one (an ``import`` after a
    # ``from``), so the most plausible reading (standard library) places it
    source = """\
        from zoneinfo import ZoneInfo


        def f():
            import os

            return ZoneInfo, os
        """
    after = _bare(tmp_path, source)
    assert after.startswith("import os\nfrom zoneinfo import ZoneInfo\n\n\ndef f():"), after
    assert _isolated_isort(tmp_path) == "", after


def test_open_sections_a_sibling_module_named_like_a_package_reads_as_third_party(
    tmp_path: Path,
) -> None:
    """Found by ``make smoke-apps`` (a module next to one named like a third-party distribution):
    ruff run in the package's directory would call ``starlette`` first party, run from the
    project's root third party. The block does not tell; the new lines went after its relative
    imports (unsorted under both readings), and the component's view decides now."""
    source = """\
        import os

        from pkg.types import T

        from .helpers import H


        def f():
            from starlette import status

            from .starlette import S

            return os, T, H, status, S
        """
    files = {
        "app/pyproject.toml": "[project]\nname = 'pkg'\nversion = '0'\ndependencies = ['starlette']\n",
        "app/pkg/__init__.py": "",
        "app/pkg/types.py": "T = 1\n",
        "app/pkg/sub/__init__.py": "",
        "app/pkg/sub/helpers.py": "H = 1\n",
        "app/pkg/sub/starlette.py": "S = 1\n",
        "app/pkg/sub/mod.py": source,
    }
    write_tree(tmp_path, files)
    assert _isolated_isort(tmp_path / "app") == "", "the input is sorted"
    run_tree(tmp_path / "app", Options(select=("hoist-imports",)), write=True)
    after = (tmp_path / "app/pkg/sub/mod.py").read_text(encoding="utf-8")
    expected = """\
import os

from starlette import status

from pkg.types import T

from .helpers import H
from .starlette import S


def f():"""
    assert after.startswith(expected), after
    assert _isolated_isort(tmp_path / "app") == "", after


def test_comments_ruff_keeps_inside_a_parenthesised_import_leave_the_block_sorted(
    tmp_path: Path,
) -> None:
    """Found by ``make smoke`` in prefect: a comment after ``(`` (``# noqa: F401``) or after a
    name's comma is printed there by ruff, so the block is still sorted; the hoisted import used
    to go after the block's last line (a new I001)."""
    source = """\
        import datetime
        import sys

        from pkg.aa import (  # noqa: F401 (patch target)
            AA,
        )
        from pkg.types import (
            T,  # the type
        )


        def f():
            import os

            return datetime, sys, os, AA, T
        """
    after = _bare(tmp_path, source)
    assert after.startswith("import datetime\nimport os\nimport sys\n"), after
    assert _isolated_isort(tmp_path) == "", after
