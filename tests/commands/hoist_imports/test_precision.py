"""``hoist-imports`` on ONE import and its function (issue 19): imports kept for their side
effects (standard library too), modules a CPython build may lack, comments saying an import is
local on purpose, imports after statements with effects, comments that stay in the function,
and ``TYPE_CHECKING`` twins. Each case failed (a wrong rewrite) before these rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.types import Options, Safety

from ...helpers import assert_codemod, dedent, run, run_python, run_tree, write_tree

ID = "hoist-imports"


def _rewrite(tmp_path: Path, name: str, code: str, options: Options | None = None) -> Path:
    """``code`` as ``<tmp>/<name>.py``, rewritten by hoist-imports on disk (gather included)."""
    path = tmp_path / f"{name}.py"
    path.write_text(dedent(code), encoding="utf-8")
    run_tree(tmp_path, options or Options(select=(ID,)), write=True)
    return path


# -- 1. side effects of the standard library -----------------------------------------------------


@pytest.mark.parametrize("module", ["this", "antigravity", "readline", "rlcompleter"])
def test_an_unused_standard_library_import_stays_for_its_side_effects(module: str) -> None:
    code = f"def f():\n    import {module}\n"
    result = assert_codemod(ID, code)
    assert len(result.skips) == 1
    assert (
        f"`{module}` would run them" in result.skips[0].reason
        or "platform-only" in result.skips[0].reason
    )


def test_importing_the_module_does_not_print_the_zen(tmp_path: Path) -> None:
    path = _rewrite(tmp_path, "zen", "def zen():\n    import this\n")
    assert "    import this" in path.read_text()
    done = run_python(tmp_path, "import zen")
    assert done.returncode == 0 and done.stdout == "", done.stdout[:200]


def test_an_unused_import_the_import_block_already_has_is_simply_removed() -> None:
    assert_codemod(
        ID, "import sys\n\n\ndef f():\n    import sys\n", "import sys\n\n\ndef f():\n    pass\n"
    )


def test_a_dotted_import_read_through_its_full_name_is_used() -> None:
    assert_codemod(
        ID,
        "def parse(text):\n    import xml.dom.minidom\n    return xml.dom.minidom.parseString(text)\n",
        "import xml.dom.minidom\n\n\ndef parse(text):\n    return xml.dom.minidom.parseString(text)\n",
    )


# -- 2. optional parts of a CPython build --------------------------------------------------------

OPTIONAL = {
    "tkinter": "import tkinter\n    return tkinter.Tk",
    "tkinter.ttk": "from tkinter import ttk\n    return ttk",
    "turtle": "import turtle\n    return turtle",
    "sqlite3": "import sqlite3\n    return sqlite3.connect",
    "lzma": "import lzma\n    return lzma.open",
    "bz2": "from bz2 import BZ2File\n    return BZ2File",
    "ctypes": "from ctypes import util\n    return util",
    "ssl": "import ssl\n    return ssl.create_default_context()",
    "zlib": "import zlib\n    return zlib.crc32(b'')",
    "gzip": "import gzip\n    return gzip.open",
    "dbm.gnu": "import dbm.gnu\n    return dbm.gnu",
    "_hashlib": "import _hashlib\n    return _hashlib",
    "compression.zstd": "from compression import zstd\n    return zstd",
    "dbm.sqlite3": "import dbm.sqlite3\n    return dbm.sqlite3.open",
    "compression.gzip": "from compression import gzip\n    return gzip.open",
    "compression.bz2": "import compression.bz2\n    return compression.bz2",
    "compression.lzma": "from compression.lzma import open as lzma_open\n    return lzma_open",
    "compression.zlib": "from compression import zlib\n    return zlib.crc32",
}


@pytest.mark.parametrize("body", OPTIONAL.values(), ids=OPTIONAL.keys())
def test_a_module_a_build_may_leave_out_stays(body: str) -> None:
    result = assert_codemod(ID, f"def f():\n    {body}\n")
    reason = result.skips[0].reason
    assert "is an optional part of a CPython build" in reason or "platform-only" in reason, reason


def test_a_python_without_sqlite3_still_imports_the_module(tmp_path: Path) -> None:
    path = _rewrite(
        tmp_path,
        "store",
        "def connect(path):\n    import sqlite3\n    return sqlite3.connect(path)\n",
    )
    assert "    import sqlite3" in path.read_text()
    # a build without SQLite: the import of sqlite3 fails, the module's own import must not
    done = run_python(tmp_path, "import sys; sys.modules['sqlite3'] = None; import store; print('ok')")
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr


def test_the_reason_names_the_module_and_the_library() -> None:
    result = run(ID, "def f():\n    import tkinter\n    return tkinter\n")
    assert [s.reason for s in result.skips] == [
        "`tkinter` is an optional part of a CPython build (it needs Tcl/Tk when Python is built): "
        "hoisted, the whole module would fail to import on a Python built without it"
    ]


def test_decimal_hashlib_and_uuid_fall_back_and_move() -> None:
    code = "def f():\n    import decimal, hashlib, uuid\n    return decimal, hashlib, uuid\n"
    result = run(ID, code)
    assert result.code.startswith("import decimal\nimport hashlib\nimport uuid\n"), result.skips


# -- 3. comments saying the import is local on purpose -------------------------------------------

SERVE = """
    def main():
        # argparse and the ASGI server are imported here so that importing this module stays cheap
        import argparse
        import json
        parser = argparse.ArgumentParser()
        return parser, json
    """


def test_a_comment_above_a_run_of_imports_keeps_them_all() -> None:
    reason = (
        "a comment says it is local on purpose: `# argparse and the ASGI server are imported here"
    )
    result = assert_codemod(ID, SERVE, skips=[reason, reason])
    assert not result.changes


def test_a_deferring_comment_covers_its_block_of_ten_imports() -> None:
    names = [
        "json",
        "csv",
        "uuid",
        "heapq",
        "bisect",
        "string",
        "shlex",
        "textwrap",
        "pprint",
        "difflib",
    ]
    lines = "\n".join(f"    import {n}" for n in names)
    code = f"def command():\n    # Deferring Imports\n{lines}\n    return {', '.join(names)}\n"
    result = assert_codemod(ID, code, skips=["`# Deferring Imports`"] * 10)
    assert not result.changes


LAZY = {
    "trailing comment": "def f():\n    import json  # lazy: keeps start-up fast\n    return json\n",
    "def line": "def f():  # imports are deferred on purpose\n    import json\n    return json\n",
    "circular": "def f():\n    # avoid a circular import\n    from json import dumps\n    return dumps\n",
    "above try": (
        "def f():\n    # imported here, on first use\n    try:\n        import json\n"
        "        return json\n    except Exception:\n        return None\n"
    ),
    "pylint": "def f():\n    import json  # pylint: disable=import-outside-toplevel\n    return json\n",
    "optional": "def f():\n    # optional dependency\n    import json\n    return json\n",
    "import cycle": "def f():\n    # breaks an import cycle\n    import json\n    return json\n",
}


@pytest.mark.parametrize("code", LAZY.values(), ids=LAZY.keys())
def test_a_comment_saying_the_import_is_local_on_purpose(code: str) -> None:
    result = assert_codemod(ID, code, unsafe=True)
    assert [s.reason.split(":")[0] for s in result.skips] == [
        "a comment says it is local on purpose"
    ]


NOT_LAZY = {
    "slow path": "def read(path):  # slow path for huge files\n    import csv\n    return csv\n",
    "avoid loading": (
        "def load(f):\n    # Avoid loading the whole document into memory: stream it.\n"
        "    import json\n    return json\n"
    ),
    "bare optional": "def f():\n    # optional\n    import json\n    return json\n",
    "heavy lifting": "def f():\n    # heavy lifting below\n    import json\n    return json\n",
    "cycle": "def f():\n    # cycle through the colours\n    import itertools\n    return itertools\n",
}


@pytest.mark.parametrize("code", NOT_LAZY.values(), ids=NOT_LAZY.keys())
def test_a_comment_about_the_code_does_not_hold_the_import(code: str) -> None:
    result = run(ID, dedent(code))
    assert not result.skips, result.skips
    assert [c.safety for c in result.changes] == [Safety.SAFE]


def test_a_comment_on_an_earlier_statement_does_not_count() -> None:
    assert_codemod(
        ID,
        """
        def f(x):
            # lazy evaluation of x below
            y = 1
            import json
            return json.dumps([x, y])
        """,
        """
        import json


        def f(x):
            # lazy evaluation of x below
            y = 1
            return json.dumps([x, y])
        """,
    )


# -- 4. imports after statements with effects ----------------------------------------------------

PATCHED = """
    import io
    import sys


    def zen():
        sys.stdout = buffer = io.StringIO()
        import this
        sys.stdout = sys.__stdout__
        return this.s[:3], buffer.getvalue().split()[:3]
    """


def test_an_import_after_a_patch_of_its_environment_is_an_unsafe_fix(tmp_path: Path) -> None:
    result = run(ID, dedent(PATCHED))
    assert [(c.safety, c.applied) for c in result.changes] == [(Safety.UNSAFE, False)]
    assert "it runs after `sys.stdout = buffer = io.StringIO()` (line 6) in function `zen`" in (
        result.changes[0].message
    )
    path = _rewrite(tmp_path, "patched", PATCHED)
    done = run_python(tmp_path, "import patched; print(patched.zen())")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "('Gur', ['The', 'Zen', 'of'])\n", done.stdout[:300]
    assert "    import this" in path.read_text()


def test_monkeypatched_builtins_before_the_import() -> None:
    code = """
        def test_setup(monkeypatch):
            import builtins
            import setuptools
            setuptools.setup = lambda **kw: kw
            builtins.open = lambda *a, **kw: None
            import csv
            return csv
        """
    result = run(ID, dedent(code), Options(unsafe_fixes=False))
    safety = {c.line: c.safety for c in result.changes}
    assert safety[6] == Safety.UNSAFE
    assert "runs after `setuptools.setup = lambda **kw: kw` (line 4)" in next(
        c.message for c in result.changes if c.line == 6
    )


INERT = {
    "first statement": "def f():\n    import json\n    return json.dumps(1)\n",
    "after a docstring": 'def f():\n    """Doc."""\n    import json\n    return json.dumps(1)\n',
    "after literals and names": (
        "def f(a):\n    x = 1\n    y: int = -2\n    z = (a, 'b', [None, ...], {'k': 3.0})\n    pass\n"
        "    import json\n    return json.dumps([x, y, z])\n"
    ),
    "after another import": "def f():\n    import os\n    import json\n    return json, os\n",
}


@pytest.mark.parametrize("code", INERT.values(), ids=INERT.keys())
def test_the_common_case_stays_safe(code: str) -> None:
    result = run(ID, code)
    assert result.changes and all(c.safety == Safety.SAFE and c.applied for c in result.changes)


EFFECTS = {
    "call": "def f():\n    prepare()\n    import json\n    return json\n",
    "attribute assignment": "def f(o):\n    o.x = 1\n    import json\n    return json\n",
    "subscript assignment": "def f(d):\n    d['k'] = 1\n    import json\n    return json\n",
    "assignment of a call": "def f():\n    x = g()\n    import json\n    return json, x\n",
    "augmented assignment": "def f(x):\n    x += 1\n    import json\n    return json, x\n",
    "compound statement": "def f(x):\n    if x:\n        x = 1\n    import json\n    return json, x\n",
    "f-string": "def f(x):\n    y = f'{x}'\n    import json\n    return json, y\n",
}


@pytest.mark.parametrize("code", EFFECTS.values(), ids=EFFECTS.keys())
def test_a_statement_with_effects_before_makes_it_unsafe(code: str) -> None:
    result = run(ID, code)
    assert [(c.safety, c.applied) for c in result.changes] == [(Safety.UNSAFE, False)]
    assert result.code == code


# -- 5. comments stay in the function ------------------------------------------------------------


def test_a_comment_about_the_code_below_stays_with_it() -> None:
    assert_codemod(
        ID,
        """
        import os


        def order(graph):
            # Kahn's algorithm: repeatedly take a node without incoming edges,
            # smallest first, so that the order is stable between runs.
            import heapq
            ready = [n for n, deps in graph.items() if not deps]
            heapq.heapify(ready)
            return ready
        """,
        """
        import heapq
        import os


        def order(graph):
            # Kahn's algorithm: repeatedly take a node without incoming edges,
            # smallest first, so that the order is stable between runs.
            ready = [n for n, deps in graph.items() if not deps]
            heapq.heapify(ready)
            return ready
        """,
    )


def test_a_comment_above_an_emptied_body_stays_above_pass_and_a_line_comment_travels() -> None:
    assert_codemod(
        ID,
        """
        import sys


        def f():
            # warm the cache
            import sys
            return 1


        def g():
            import json  # type: ignore[import]
            return json
        """,
        """
        import json  # type: ignore[import]
        import sys


        def f():
            # warm the cache
            return 1


        def g():
            return json
        """,
    )


def test_a_comment_in_the_function_never_reaches_the_import_block(tmp_path: Path) -> None:
    code = """
        def a():
            # first
            import json
            # second
            import csv
            return json, csv
        """
    result = run(ID, dedent(code))
    head = result.code.split("def a")[0]
    assert "#" not in head and "import json" in head and "import csv" in head
    assert result.code.count("# first") == result.code.count("# second") == 1


# -- 6. TYPE_CHECKING twins ----------------------------------------------------------------------


def test_a_name_imported_under_type_checking_stays_deferred(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "requirements.txt": "",
            "app/__init__.py": "",
            "app/billing.py": "class Billing:\n    pass\n",
            "app/api.py": """
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    # the service imports are deferred to avoid circular imports
                    from app.billing import Billing


                def charge() -> "Billing":
                    from app.billing import Billing
                    return Billing()
                """,
        },
    )
    results = run_tree(tmp_path, Options(select=(ID,)))
    api = results["app/api.py"]
    assert not api.changes
    assert [s.reason for s in api.skips] == [
        "`Billing` is imported at module level only under `if TYPE_CHECKING` (line 5): "
        "its run-time import is deferred on purpose"
    ]


def test_a_run_time_copy_in_the_import_block_is_no_twin() -> None:
    code = """
        from typing import TYPE_CHECKING
        from decimal import Decimal

        if TYPE_CHECKING:
            from decimal import Decimal


        def f(x):
            from decimal import Decimal
            return Decimal(x)
        """
    result = run(ID, dedent(code))
    assert result.changes and result.changes[0].applied


def test_an_unused_copy_goes_when_another_function_s_import_moves_the_same_module() -> None:
    """Found by ``test_shaped_programs``: ``f0``'s unused ``import sys`` was held for its side
    effects while ``f1``'s moved, and the next run removed it (the module now imports ``sys``).
    Once another import of the run moves the same module up, its effects run there anyway."""
    assert_codemod(
        "hoist-imports",
        "\n\ndef f0(a, b=None):\n    import sys\n\n\ndef f1(a, b=None):\n    global sys\n    import sys\n",
        "\n\nimport sys\n\n\ndef f0(a, b=None):\n    pass\n\n\ndef f1(a, b=None):\n    global sys\n",
        dedent_code=False,
    )


def test_an_unused_import_still_stays_when_nothing_else_moves_it() -> None:
    code = "def zen():\n    import this\n\n\ndef f():\n    import json\n    return json\n"
    result = run("hoist-imports", code, Options(select=("hoist-imports",)))
    assert "    import this\n" in result.code and "import json\n" in result.code.split("def")[0]
