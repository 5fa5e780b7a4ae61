"""``dedupe-imports``: no-ops first, then removals, unsafe fixes, skips, the trigger, behaviour."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codemods import registry
from codemods.commands.dedupe_imports import TRIGGER
from codemods.engine import transform_source
from codemods.types import Options, Safety

from ...helpers import assert_codemod, dedent, run

ID = "dedupe-imports"

NOOPS = {
    "no imports": "x = 1\n",
    "one import": "import os\n",
    "submodules": "import a.b\nimport a.c\nimport a\n",
    "import kinds": "import x\nfrom x import y\nimport x as y\nfrom x import y as z\n",
    "relative levels": "from . import m\nfrom .. import m as n\nfrom .a import m as k\n",
    "class attribute": """
        import os

        class C:
            import os
        """,
    "conditional copies at module level": """
        import json
        if FAST:
            import json
        try:
            import json
        except ImportError:
            json = None
        """,
    "try branches": """
        try:
            import ujson as json
        except ImportError:
            import json

        def f():
            import json
            return json
        """,
    "TYPE_CHECKING twins": """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from m import User
        from m import User

        def f():
            if TYPE_CHECKING:
                from m import User
            return User
        """,
    "star import in between": "import os\nfrom m import *\nimport os\n",
    "lazy import": "lazy import os\nimport os\n\ndef f():\n    import os\n",
    "module import after the function": """
        def f():
            import os
            return os

        import os
        """,
    "different imports under one name": """
        import json

        def f():
            from orjson import json
            return json
        """,
    "function copy of a different alias": "import json\n\ndef f():\n    import json as j\n    return j\n",
    "nonlocal in a nested function": """
        import os

        def f():
            import os
            def g():
                nonlocal os
                os = None
            return g
        """,
    "del in between": "import os\ndel os\nimport os\n",
    "walrus in between": "import os\nif (os := None):\n    pass\nimport os\n",
    "with target in between": "import os\nwith ctx() as os:\n    pass\nimport os\n",
    "except target in function": """
        import os

        def f():
            import os
            try:
                pass
            except E as os:
                pass
        """,
    "match capture in function": """
        import os

        def f(v):
            import os
            match v:
                case [os]:
                    pass
        """,
    "same body copies with a global": """
        def f():
            global os
            import os
            import os
        """,
}


@pytest.mark.parametrize("code", NOOPS.values(), ids=NOOPS.keys())
def test_noop(code: str) -> None:
    result = assert_codemod(ID, code)
    assert not [c for c in result.changes if c.applied]


# -- removals ------------------------------------------------------------------------------------


def test_module_level_duplicate_goes_with_message() -> None:
    result = assert_codemod(
        ID,
        """
        import os
        import sys
        import os
        print(os, sys)
        """,
        """
        import os
        import sys
        print(os, sys)
        """,
        changes=1,
        skips=[],
    )
    (change,) = result.changes
    assert (change.line, change.message, change.fix_title) == (
        3,
        "`os` is already imported at line 1",
        "Remove duplicate import",
    )
    assert change.safety is Safety.SAFE and change.applied


def test_duplicates_within_one_statement() -> None:
    assert_codemod(ID, "import os, os\nfrom m import a, b, a\n", "import os\nfrom m import a, b\n")


def test_an_identical_copy_in_between_does_not_rebind() -> None:
    assert_codemod(
        ID,
        "import os\nif x:\n    import os\nimport os\n",
        "import os\nif x:\n    import os\n",
    )


def test_function_copy_of_module_import_at_any_depth() -> None:
    assert_codemod(
        ID,
        """
        from datetime import datetime, timedelta

        async def handler(flag):
            from datetime import datetime
            if flag:
                try:
                    from datetime import datetime
                except KeyError:
                    raise
            return datetime.now() + timedelta(1)
        """,
        """
        from datetime import datetime, timedelta

        async def handler(flag):
            if flag:
                try:
                    pass
                except KeyError:
                    raise
            return datetime.now() + timedelta(1)
        """,
        changes=2,
    )


def test_same_import_twice_in_one_function_body() -> None:
    assert_codemod(
        ID,
        """
        def f():
            from review_queue import Manager
            x = Manager()
            from review_queue import Manager
            return Manager, x
        """,
        """
        def f():
            from review_queue import Manager
            x = Manager()
            return Manager, x
        """,
    )


def test_nested_functions_converge_in_one_pass() -> None:
    # `outer`'s copy goes first, so `inner` no longer sees an enclosing binding
    assert_codemod(
        ID,
        """
        import json

        def outer():
            import json
            def inner():
                import json
                return json
            return inner, json
        """,
        """
        import json

        def outer():
            def inner():
                return json
            return inner, json
        """,
    )


def test_enclosing_function_that_keeps_the_name_blocks_inner_copy() -> None:
    assert_codemod(
        ID,
        """
        import json

        def outer():
            json = None
            def inner():
                import json
                return json
            return inner, json
        """,
        skips=["the enclosing function `outer` binds `json`"],
    )


def test_methods_are_functions_class_attributes_are_not() -> None:
    assert_codemod(
        ID,
        """
        import os

        class C:
            os = "attribute"
            def m(self):
                import os
                return os
        """,
        """
        import os

        class C:
            os = "attribute"
            def m(self):
                return os
        """,
    )


PARTIAL = {
    "first name": ("from m import a, b\n", "from m import b\n"),
    "last name": ("from m import b, a\n", "from m import b\n"),
    "middle name": ("from m import b, a, c\n", "from m import b, c\n"),
    "parenthesised trailing comma": (
        "from m import (\n    b,\n    a,\n)\n",
        "from m import (\n    b,\n)\n",
    ),
    "parenthesised no trailing comma": (
        "from m import (\n    b,\n    a\n)\n",
        "from m import (\n    b\n)\n",
    ),
    "comment on the kept name stays": (
        "from m import (\n    b,  # why b\n    a\n)\n",
        "from m import (\n    b  # why b\n)\n",
    ),
    "comment on the kept name, trailing comma": (
        "from m import (\n    b,  # why b\n    a,\n)\n",
        "from m import (\n    b,  # why b\n)\n",
    ),
    "one-line parentheses": ("from m import (b, a,)\n", "from m import (b,)\n"),
    "backslash continuation": ("from m import b, \\\n    a\n", "from m import b\n"),
    "plain import": ("import os, sys\n", "import sys\n"),
    "aliases": ("from m import a, a as z\n", "from m import a as z\n"),
}


@pytest.mark.parametrize(("later", "expected"), PARTIAL.values(), ids=PARTIAL.keys())
def test_partial_multi_name_removal(later: str, expected: str) -> None:
    head = "import os\nfrom m import a\n"
    assert_codemod(ID, head + later, head + expected, dedent_code=False)


def test_semicolon_separated_statements() -> None:
    assert_codemod(
        ID,
        "import os\nimport os; x = 1\ny = 2; import os\nimport json; import os  # keep\n",
        "import os\nx = 1\ny = 2\nimport json  # keep\n",
    )


def test_block_left_empty_gets_pass_and_a_docstring_is_a_body() -> None:
    assert_codemod(
        ID,
        """
        import os

        def a():
            import os

        def b():
            "Doc."
            import os

        def c(): import os

        if x:
            def d():
                # why
                import os
        """,
        """
        import os

        def a():
            pass

        def b():
            "Doc."

        def c(): pass

        if x:
            def d():
                # why
                pass
        """,
    )


def test_own_line_comments_move_to_next_statement_or_footer() -> None:
    assert_codemod(
        ID,
        """
        import os
        # about the copy
        import os
        x = 1

        def f():
            y = 1
            # about the function copy
            import os
        """,
        """
        import os
        # about the copy
        x = 1

        def f():
            y = 1
            # about the function copy
        """,
    )


def test_blank_lines_before_a_removed_block_are_kept() -> None:
    assert_codemod(
        ID,
        "import os\n\n\ndef f():\n    pass\n\n\nimport os\nx = os\n",
        "import os\n\n\ndef f():\n    pass\n\n\nx = os\n",
        dedent_code=False,
    )


def test_crlf_file_keeps_crlf() -> None:
    before = "import os\r\nimport sys\r\n# c\r\nimport os\r\n\r\ndef f():\r\n    import sys\r\n    return sys\r\n"
    after = "import os\r\nimport sys\r\n# c\r\n\r\ndef f():\r\n    return sys\r\n"
    assert_codemod(ID, before, after, dedent_code=False)


# -- unsafe fixes --------------------------------------------------------------------------------

TRAILING = """
    import os
    import sys
    import os  # the plugin loader wants this

    def main():
        import sys  # for argv
        return sys.argv, os.sep
    """


def test_trailing_comment_makes_the_fix_unsafe() -> None:
    result = assert_codemod(ID, TRAILING, changes=2)
    assert all(c.safety is Safety.UNSAFE and not c.applied for c in result.changes)
    assert "removing it deletes a comment" in result.changes[0].message


def test_unsafe_fixes_apply_the_removal() -> None:
    assert_codemod(
        ID,
        TRAILING,
        """
        import os
        import sys

        def main():
            return sys.argv, os.sep
        """,
        unsafe=True,
    )


def test_pragma_comments_do_not_count() -> None:
    assert_codemod(
        ID,
        "import os\nimport os  # noqa: E402\nimport os  # type: ignore[import]\n",
        "import os\n",
    )


def test_copies_of_one_function_go_together() -> None:
    # one copy carries a comment: both are unsafe, neither goes by default (else `json`
    # would stay local and the first use would raise UnboundLocalError)
    code = """
        import json

        def f(flag):
            if flag:
                import json  # fast path
            import json
            return json
        """
    result = assert_codemod(ID, code)
    assert [c.safety for c in result.changes] == [Safety.UNSAFE, Safety.UNSAFE]
    assert "goes together with a copy" in result.changes[1].message


def test_comment_inside_removed_name_is_unsafe() -> None:
    code = "from m import a\nfrom m import (\n    a,  # why a\n    b,\n)\n"
    result = assert_codemod(ID, code)
    assert [c.safety for c in result.changes] == [Safety.UNSAFE]
    assert_codemod(
        ID, code, "from m import a\nfrom m import (\n    b,\n)\n", unsafe=True, dedent_code=False
    )


# -- skips ---------------------------------------------------------------------------------------


def test_rebinding_in_between_is_reported() -> None:
    assert_codemod(
        ID,
        """
        import os
        import os.path
        from m import *
        import os
        """,
        skips=["`os` is re-bound at line 2 (`import os.path`) after its import at line 1"],
    )


def test_function_that_binds_the_name_keeps_its_copy() -> None:
    assert_codemod(
        ID,
        """
        import json

        def f(body):
            import json
            json = json.loads(body)
            return json
        """,
        skips=[
            "`json` is also bound at line 5 in `f` (assignment); without the import it would be an unbound local"
        ],
    )


def test_other_module_level_binding_keeps_function_copy() -> None:
    assert_codemod(
        ID,
        """
        import json

        def f():
            import json
            return json

        json = None
        """,
        skips=["`json` is also bound at module level at line 7 (assignment)"],
    )


def test_module_import_after_the_function_is_reported() -> None:
    assert_codemod(
        ID,
        "def f():\n    import os\n    return os\n\nimport os\n",
        skips=["its module-level import at line 5 comes after `f`"],
    )


def test_global_declaration_blocks_everything_for_that_name() -> None:
    assert_codemod(
        ID,
        """
        import os

        def reset():
            global os
            os = None

        def f():
            import os
            return os

        import os
        """,
        skips=["declared `global` in `reset`", "declared `global` in `reset`"],
    )


def test_suppressed_copy_keeps_the_function_copies_but_same_body_duplicate_goes() -> None:
    assert_codemod(
        ID,
        """
        import os

        def f():
            import os  # noqa: F811
            import os
            return os
        """,
        """
        import os

        def f():
            import os  # noqa: F811
            return os
        """,
        skips=["suppressed by `# noqa: F811`"],
    )


def test_suppressed_later_copy_blocks_the_group() -> None:
    assert_codemod(
        ID,
        """
        import os

        def f():
            import os
            import os  # codemod: skip
            return os
        """,
        skips=[
            "its copy at line 5 is kept (suppressed",
            "suppressed by a `# codemod: skip` comment",
        ],
    )


# -- trigger ---------------------------------------------------------------------------------------

CHANGED = [
    "import os\nimport os\n",
    "import os; import os\n",
    "import os, os\n",
    "from m import (\n    a,\n    a)\n",
    "from m import a, \\\n    a\n",
    "from datetime import datetime\n\ndef f():\n    from datetime import datetime\n",
]


@pytest.mark.parametrize("code", CHANGED)
def test_trigger_matches_every_file_that_changes(code: str) -> None:
    assert run(ID, code).code != code
    assert TRIGGER.search(code)


@pytest.mark.parametrize("code", ["x = 1\n", "import os\nprint(os)\n", "from m import a  # b, c\n"])
def test_trigger_skips_files_with_a_single_binding(code: str) -> None:
    assert not TRIGGER.search(code)


def test_prefilter_never_hides_a_change() -> None:
    command = registry.get(ID)
    for code in [*CHANGED, *NOOPS.values(), *(a + b for a, b in PARTIAL.values())]:
        code = dedent(code)
        fast = transform_source(code, [command], Options(), prefilter=True)
        full = transform_source(code, [command], Options(), prefilter=False)
        assert fast.code == full.code, code


# -- behaviour -------------------------------------------------------------------------------------

PROGRAM = {
    "helpers.py": """
        VALUE = 41
        def bump(x):
            return x + 1
        """,
    "main.py": """
        import json
        import os.path
        from helpers import VALUE, bump

        def late():
            from helpers import bump
            import json
            return json.dumps(bump(VALUE))

        def nested():
            import os.path
            def inner():
                from helpers import VALUE
                return VALUE
            return os.path.basename("/a/b"), inner()

        def branchy(flag):
            if flag:
                import json
            return json.loads("[1]")

        from helpers import VALUE, bump
        import json; import os.path

        def kept(body):
            import json
            json = json.loads(body)
            return json

        print(late(), nested(), branchy(True), kept("{}"), bump(VALUE))
        """,
}


def test_behaviour_is_unchanged(tmp_path: Path) -> None:
    outputs = []
    for name in ("before", "after"):
        root = tmp_path / name
        root.mkdir()
        for file, code in PROGRAM.items():
            code = dedent(code)
            if name == "after":
                code = run(ID, code).code
            (root / file).write_text(code, encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, "main.py"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        outputs.append(proc.stdout)
    after = (tmp_path / "after" / "main.py").read_text(encoding="utf-8")
    assert after.count("import") == 4, after  # the three at the top and the one `kept` needs
    assert outputs[0] == outputs[1] and outputs[0].strip()


def test_suppressions_are_read_from_this_codemods_input() -> None:
    # hoist-imports runs first and removes the function's `import json` (the module has it):
    # every line below moves up by one, and the engine rescans the suppression comments, so the
    # `# noqa: F811` still keeps its own line and the plain copy goes.
    result = run(
        ["hoist-imports", ID],
        dedent(
            """
            import os
            import json

            def f():
                import json
                return json.dumps({})
            import os  # noqa: F811
            import os
            """
        ),
    )
    assert result.code == dedent(
        """
        import os
        import json

        def f():
            return json.dumps({})
        import os  # noqa: F811
        """
    )
    # reported on line 7 of the file as read (line 6 of dedupe's own input)
    assert [(s.line, s.reason) for s in result.skips] == [(7, "suppressed by `# noqa: F811`")]


# -- import guards and `# noqa: F401` (issue 19) ----------------------------------------------------

GUARD = """
    import dask

    def has_dask():
        try:
            import dask{comment}
        {handler}
            return False
        return True
    """


@pytest.mark.parametrize(
    "handler",
    [
        "except ImportError:",
        "except ModuleNotFoundError:",
        "except (ImportError, AttributeError):",
        "except (ValueError, ModuleNotFoundError) as exc:",
        "except:",
        "except Exception:",
        "except BaseException:",
        "except OPTIONAL_ERRORS:",  # not a built-in class: it may hold ImportError
        "except* ImportError:",
    ],
)
@pytest.mark.parametrize("comment", ["  # noqa: F401", ""])
def test_a_copy_guarding_an_optional_dependency_is_kept(handler: str, comment: str) -> None:
    code = GUARD.format(handler=handler, comment=comment)
    assert_codemod(ID, code, skips=["it checks that `dask` is installed"] if not comment else None)


def test_a_try_whose_handlers_cannot_catch_import_error_is_no_guard() -> None:
    assert_codemod(
        ID,
        GUARD.format(handler="except (KeyError, OSError):", comment=""),
        """
        import dask

        def has_dask():
            try:
                pass
            except (KeyError, OSError):
                return False
            return True
        """,
    )


def test_with_suppress_import_error_is_a_guard() -> None:
    assert_codemod(
        ID,
        """
        import contextlib
        import dask

        def load():
            with contextlib.suppress(ImportError):
                import dask
            return dask
        """,
        skips=["it checks that `dask` is installed"],
    )


def test_a_function_in_a_guarded_try_is_not_guarded_by_it() -> None:
    # the `try` catches errors of the `def` statement, not of the function's body
    assert_codemod(
        ID,
        """
        import os

        try:
            def f():
                import os
                return os.sep
        except ImportError:
            f = None
        """,
        """
        import os

        try:
            def f():
                return os.sep
        except ImportError:
            f = None
        """,
    )


def test_noqa_f401_keeps_a_copy_anywhere() -> None:
    assert_codemod(
        ID,
        """
        import os
        import os  # noqa: F401

        def f():
            import os  # noqa: F401
            return os.sep
        """,
        skips=["marked `# noqa: F401`", "marked `# noqa: F401`"],
    )


@pytest.mark.parametrize("module_level", ["import dask\n\n\n", ""])
def test_default_pipeline_keeps_the_guard(tmp_path: Path, module_level: str) -> None:
    """The whole default pipeline, through the real CLI: the module-level `import dask` is
    either there already or made by hoist-imports from `compute`; the guard stays, so
    `has_dask()` still answers False where dask is missing."""
    (tmp_path / "requirements.txt").write_text("dask\n")
    source = module_level + dedent(
        """
        def compute(frame):
            import dask

            return dask.delayed(frame)


        def has_dask():
            try:
                import dask  # noqa: F401
            except ImportError:
                return False
            return True
        """
    )
    target = tmp_path / "jobs.py"
    target.write_text(source)
    proc = subprocess.run(
        [sys.executable, "-m", "codemods", "apply", "--no-cache", str(target)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    after = target.read_text()
    assert "    try:\n        import dask  # noqa: F401\n    except ImportError:" in after, after
