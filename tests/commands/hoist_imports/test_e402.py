"""``hoist-imports`` adds no ``E402`` (module-level import not at top of file; issue 19).

ruff 0.17 is the oracle: the model of where ruff's "top of file" ends (``imports/top.py``)
is checked statement by statement against it, and each rewrite below is checked by counting
ruff's ``E402`` findings before and after. Before this rule, hoisted imports went after the
module's last import even when a statement above it (``VERSION = "1"``) ended the top of the
file: four new ``E402`` in ``pydantic/v1/version.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest

from codemods.imports.top import top_end
from codemods.types import Options

from ...helpers import dedent, run_tree, write_tree

RUFF = Path(sys.executable).parent / "ruff"
ID = "hoist-imports"


def _e402(root: Path) -> list[str]:
    """ruff's ``E402`` findings under ``root`` (``path:line``), with no configuration."""
    done = subprocess.run(
        [str(RUFF), "check", "--isolated", "--no-cache", "--select", "E402",
         "--output-format", "concise", "."],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return sorted(
        ":".join(line.split(":")[:2]) for line in done.stdout.splitlines() if "E402" in line
    )


# -- the model of ruff's top of file, statement by statement ---------------------------------------

#: (statements above a probe import, ruff reports the probe). Written for these tests.
TOPS = {
    "docstring": ('"""Doc."""', False),
    "second string": ('"""Doc."""\n"""More."""', True),
    "future": ("from __future__ import annotations", False),
    "dunder all": ('__all__ = ["x"]', False),
    "dunder annotated": ("__all__: list[str] = []", False),
    "dunder augmented": ('__all__ += ["x"]', True),
    "dunder two targets": ("__all__ = __x__ = []", True),
    "plain assignment": ('VERSION = "1"', True),
    "annotated assignment": ("x: int = 1", True),
    "two names": ("a, b = 1, 2", True),
    "call": ("print(1)", True),
    "type checking": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a", False),
    "if with anything": ("if True:\n    print(1)\n    def f(): pass", False),
    "try": ("try:\n    x = 1\nexcept ImportError:\n    pass", False),
    "with": ('with open("x"):\n    pass', False),
    "match": ("match 1:\n    case 1:\n        print(1)", False),
    "for": ("for x in []:\n    pass", True),
    "while": ("while False:\n    pass", True),
    "def": ("def f(): pass", True),
    "sys.path.insert": ('import sys\nsys.path.insert(0, "x")', False),
    "sys.path.append": ('import sys\nsys.path.append("x")', False),
    "sys.path +=": ('import sys\nsys.path += ["x"]', False),
    "sys.path =": ('import sys\nsys.path = ["x"]', True),
    "sys.path without import": ('sys.path.insert(0, "x")', True),
    "environ item": ('import os\nos.environ["A"] = "1"', False),
    "environ del": ('import os\ndel os.environ["A"]', False),
    "environ update": ('import os\nos.environ.update(A="1")', False),
    "putenv": ('import os\nos.putenv("A", "1")', False),
    "addsitedir": ('import site\nsite.addsitedir("x")', False),
    "matplotlib.use": ('import matplotlib\nmatplotlib.use("Agg")', False),
    "event loop policy": ("import asyncio\nasyncio.set_event_loop_policy(None)", True),
    "importorskip assigned": ('import pytest\nx = pytest.importorskip("x")', True),
    "import and assignment on one line": ("import os; x = 1", True),
}
#: ruff follows aliases; the model does not, and takes these for the end of the top (a hoist
#: missed, never a new E402).
CONSERVATIVE = {
    "sys.path alias": ('import sys as s\ns.path.insert(0, "x")', False),
    "environ from": ('from os import environ\nenviron["A"] = "1"', False),
}


def test_the_model_of_the_top_of_file_is_ruffs(tmp_path: Path) -> None:
    cases = {**TOPS, **CONSERVATIVE}
    names = {}
    for i, (name, (code, _)) in enumerate(cases.items()):
        names[f"c{i}.py:{code.count(chr(10)) + 2}"] = name
        (tmp_path / f"c{i}.py").write_text(f"{code}\nimport zz_probe\n", encoding="utf-8")
    reported = {names[f] for f in _e402(tmp_path) if f in names}
    assert reported == {n for n, (_, e402) in TOPS.items() if e402}
    for name, (code, _) in cases.items():
        body = cst.parse_module(f"{code}\nimport zz_probe\n").body
        ended = top_end(body, len(body) - 1) is not None
        assert ended == (name in reported or name in CONSERVATIVE), name


# -- rewrites: no new E402 -------------------------------------------------------------------------


def _apply(root: Path, code: str) -> tuple[str, list[str], list[str], list[str]]:
    """(the rewritten ``mod.py``, E402 before, E402 after, the skip reasons)."""
    write_tree(root, {"mod.py": code})
    before = _e402(root)
    results = run_tree(root, Options(select=(ID,)), write=True)
    after = _e402(root)
    return (
        (root / "mod.py").read_text(encoding="utf-8"),
        before,
        after,
        [s.reason for s in results["mod.py"].skips],
    )


VERSION_MODULE = """
    __all__ = "compiled", "VERSION", "version_info"

    VERSION = "1.2.3"

    try:
        import zz_not_installed_accel
    except ImportError:
        compiled: bool = False
    else:
        try:
            compiled = zz_not_installed_accel.compiled
        except AttributeError:
            compiled = False


    def version_info() -> str:
        import platform
        import sys
        from pathlib import Path

        return f"{VERSION} {compiled} {Path(__file__).name} {sys.version_info[0]} {platform.system()}"
    """


def test_a_version_module_gets_its_imports_above_the_version_line(tmp_path: Path) -> None:
    text, before, after, skips = _apply(tmp_path, VERSION_MODULE)
    assert "    import platform" not in text and not skips, skips
    assert before == [] and after == [], after
    assert text.index("import platform") < text.index('VERSION = "1.2.3"')
    done = subprocess.run(
        [sys.executable, "-c", "import mod; print(mod.version_info())"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith("1.2.3 False mod.py 3 "), done.stderr


def test_an_import_already_below_the_top_gets_no_new_neighbour(tmp_path: Path) -> None:
    code = """
        import os

        VERSION = "1"

        import json  # the one E402 before the run


        def f():
            import re

            return os, json, re
        """
    text, before, after, skips = _apply(tmp_path, code)
    assert not skips and "    import re" not in text, skips
    assert len(after) == len(before) == 1, (before, after)  # the line moved down by one
    assert text.startswith('import os\nimport re\n\nVERSION = "1"\n'), text


@pytest.mark.parametrize(
    "setup",
    [
        "import logging\n\nlogging.basicConfig()",
        "import asyncio\n\nasyncio.set_event_loop_policy(None)",
        'import sys\n\nVERSION = "1"\nsys.path.insert(0, "lib")',
    ],
)
def test_a_hoist_that_would_add_an_e402_is_skipped(tmp_path: Path, setup: str) -> None:
    code = dedent(
        """
        try:
            import zz_not_installed
        except ImportError:
            zz_not_installed = None


        def f():
            import json

            return json, zz_not_installed
        """
    )
    text, before, after, skips = _apply(tmp_path, f"{setup}\n{code}")
    assert "    import json" in text
    assert len(after) == len(before)
    assert len(skips) == 1 and "(E402)" in skips[0] and "cannot go above it" in skips[0], skips


def test_a_sys_path_line_before_the_last_import_still_keeps_the_import_below_it(
    tmp_path: Path,
) -> None:
    code = """
        import sys

        sys.path.insert(0, "lib")

        import os


        def f():
            import json

            return json, os
        """
    text, before, after, skips = _apply(tmp_path, code)
    assert not skips and before == after == [], (skips, after)
    assert text.index("sys.path.insert") < text.index("import json"), text
