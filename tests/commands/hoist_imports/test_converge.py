"""One run of ``hoist-imports`` then ``dedupe-imports`` reaches a fixed point: identical copies
of an import in one function move together (or stay together), ``# noqa: F811`` holds a copy
for both codemods, and a later codemod's suppression comments are read on the lines of its own
input after hoisting moved them. Inputs are the cases the property tests found, reduced."""

from __future__ import annotations

import pytest

from codemods import registry
from codemods.types import Safety

from ...helpers import DECLARED, assert_codemod, dedent, run

IMPORTS = ["hoist-imports", "dedupe-imports"]
DEFAULTS = [cid for cid, cls in registry.all_codemods().items() if cls.DEFAULT_ON]


def test_identical_copies_move_once() -> None:
    # found by test_shaped_programs: hoist skipped both copies ("another binding"), dedupe
    # removed the second, and the next run hoisted the first
    result = assert_codemod(
        IMPORTS,
        "\n\ndef f0(a, b=None):\n    import json\n    import json\n    return json\n",
        "\n\nimport json\n\n\ndef f0(a, b=None):\n    return json\n",
        dedent_code=False,
    )
    assert [(c.line, c.codemod, c.fix_title) for c in result.changes] == [
        (4, "hoist-imports", "Move import to the top of the module"),
        (5, "hoist-imports", "Remove the import: its copy moves to the top of the module"),
    ]


def test_copy_with_a_trailing_comment_found_by_fixture_mutation() -> None:
    # fixtures/dedupe-imports/seed_function_copy.before.py without its fastapi import
    assert_codemod(
        IMPORTS,
        """
        import os


        async def review_queue(db):
            from review_queue import ReviewQueueManager  # not imported at the top
            from review_queue import ReviewQueueManager
            return ReviewQueueManager(db).pending()
        """,
        """
        import os

        from review_queue import ReviewQueueManager  # not imported at the top


        async def review_queue(db):
            return ReviewQueueManager(db).pending()
        """,
        project=DECLARED,
    )


def test_a_use_between_the_copies_reads_the_module_import() -> None:
    assert_codemod(
        IMPORTS,
        """
        def f():
            import json
            text = json.dumps({})
            import json  # again
            return json.loads(text)
        """,
        """
        import json


        def f():
            text = json.dumps({})
            # again
            return json.loads(text)
        """,
    )


def test_copies_of_a_module_level_import_all_go() -> None:
    assert_codemod(
        IMPORTS,
        """
        import json


        def f():
            import json
            import json
            return json
        """,
        """
        import json


        def f():
            return json
        """,
    )


def test_copies_in_a_nested_function() -> None:
    assert_codemod(
        IMPORTS,
        """
        def outer():
            import json
            def inner():
                import json
                import json
                return json
            return json, inner
        """,
        """
        import json


        def outer():
            def inner():
                return json
            return json, inner
        """,
    )


@pytest.mark.parametrize(
    ("code", "skips"),
    [
        pytest.param(
            """
            def f():
                import plugin
                import plugin
            """,
            ["imported for its side effects", "its copy at line 2 stays in function `f`"],
            id="unused third-party copies stay for their side effects",
        ),
        pytest.param(
            """
            def f():
                x = json
                import json
                import json
                return x, json
            """,
            ["used before the import", "its copy at line 3 stays in function `f`"],
            id="use before the first copy",
        ),
        pytest.param(
            """
            def f():
                import json  # codemod: skip
                import json
                return json
            """,
            [
                "suppressed by a `# codemod: skip` comment",
                "its copy at line 2 stays in function `f`",
            ],
            id="a suppressed copy holds the others",
        ),
    ],
)
def test_copies_held_in_the_function_leave_one(code: str, skips: list[str]) -> None:
    # hoist leaves every copy (with a reason each), dedupe removes the later one, and the
    # second run agrees: the reason does not depend on the copy that went
    result = run(IMPORTS, dedent(code), project=DECLARED)
    reasons = [s.reason for s in result.skips if s.codemod == "hoist-imports"]
    assert len(reasons) == len(skips), reasons
    for want, got in zip(skips, reasons, strict=True):
        assert want in got
    applied = [(c.line, c.codemod) for c in result.changes if c.applied]
    assert applied == [(4 if "x = json" in code else 3, "dedupe-imports")]
    assert_codemod(IMPORTS, result.code, dedent_code=False, project=DECLARED)  # the second run changes nothing


def test_noqa_f811_holds_the_copy_for_both_codemods() -> None:
    result = assert_codemod(
        IMPORTS,
        """
        import json


        def f():
            import json  # noqa: F811
            return json
        """,
    )
    assert [(s.codemod, s.reason) for s in result.skips] == [
        ("dedupe-imports", "suppressed by `# noqa: F811`"),
        ("hoist-imports", "kept by `# noqa: F811` (the re-import is intended)"),
    ]


def test_noqa_f811_on_one_copy_keeps_both_in_the_function() -> None:
    result = assert_codemod(
        IMPORTS,
        """
        def f():
            import json
            import json  # noqa: F811
            return json
        """,
    )
    assert not result.changes
    assert sorted(s.reason for s in result.skips if s.codemod == "hoist-imports") == [
        "its copy at line 3 stays in function `f`, so the name stays local there: all copies move or none",
        "kept by `# noqa: F811` (the re-import is intended)",
    ]


@pytest.mark.parametrize("unsafe", [False, True])
def test_a_copy_inside_a_general_try_makes_every_copy_unsafe(unsafe: bool) -> None:
    code = """
        def f():
            import json
            try:
                import json
                run()
            except Exception:
                raise
            return json
        """
    after = """
        import json


        def f():
            try:
                run()
            except Exception:
                raise
            return json
        """
    result = assert_codemod(IMPORTS, code, after if unsafe else None, unsafe=unsafe)
    assert [(c.line, c.safety, c.applied) for c in result.changes] == [
        (2, Safety.UNSAFE, unsafe),
        (4, Safety.UNSAFE, unsafe),
    ]
    assert "moves together with its copy at line 4" in result.changes[0].message


def test_default_codemods_converge_on_the_seed_shape() -> None:
    assert_codemod(
        DEFAULTS,
        """
        import os
        from datetime import datetime, timedelta


        async def finalize_session(payload: dict):
            from datetime import datetime
            from datetime import datetime
            finished = datetime.now()
            return finished + timedelta(days=int(os.environ.get("KEEP_DAYS", "30")))


        async def review_queue(db):
            from review_queue import ReviewQueueManager
            from review_queue import ReviewQueueManager
            return ReviewQueueManager(db).pending()
        """,
        """
        import os
        from datetime import datetime, timedelta

        from review_queue import ReviewQueueManager


        async def finalize_session(payload: dict):
            finished = datetime.now()
            return finished + timedelta(days=int(os.environ.get("KEEP_DAYS", "30")))


        async def review_queue(db):
            return ReviewQueueManager(db).pending()
        """,
        project=DECLARED,
    )


def test_a_later_codemods_skip_comment_survives_hoisting() -> None:
    # hoist-imports removes line 6, so `time.sleep(1)` moves from line 7 to line 6 before
    # wrap-blocking-calls runs: its `# codemod: skip` must still be found there (and the skip is
    # reported on line 7, the line of the file as read)
    result = run(
        ["hoist-imports", "wrap-blocking-calls"],
        dedent(
            """
            import json
            import time


            async def handler():
                import json
                time.sleep(1)  # codemod: skip
                return json.dumps({})


            async def other():
                time.sleep(2)
            """
        ),
    )
    assert "    time.sleep(1)  # codemod: skip\n" in result.code
    assert "    await asyncio.sleep(2)\n" in result.code
    assert [(s.line, s.codemod, s.reason) for s in result.skips] == [
        (7, "wrap-blocking-calls", "suppressed by a `# codemod: skip` comment")
    ]


def test_a_repeated_name_leaves_a_statement_that_stays() -> None:
    # found by a wider fuzz run: `os` cannot move, and dedupe would remove `json` from the
    # second statement, after which the next run hoisted the first
    result = assert_codemod(
        IMPORTS,
        """
        def f0(a, b=None):
            import json
            import json, os
            return json, os
        import os
        """,
        """
        import json


        def f0(a, b=None):
            import os
            return json, os
        import os
        """,
    )
    assert [(c.line, c.fix_title) for c in result.changes] == [
        (2, "Move import to the top of the module"),
        (3, "Remove the repeated name from the import"),
    ]


def test_a_repeated_name_is_dropped_when_the_rest_moves() -> None:
    result = assert_codemod(
        IMPORTS,
        """
        def f():
            x = json
            import json
            import json, os
            return x, json, os.sep
        """,
        """
        import os


        def f():
            x = json
            import json
            return x, json, os.sep
        """,
    )
    assert [c.message for c in result.changes] == [
        "Import `os` inside function `f` (moved to module level)"
    ]


def test_a_repeat_after_a_sys_path_edit_is_a_no_op() -> None:
    # the second copy re-binds what the first one imported: where it runs does not matter
    assert_codemod(
        IMPORTS,
        """
        import sys


        def f():
            import json
            sys.path.insert(0, "plugins")
            import json
            return json
        """,
        """
        import json
        import sys


        def f():
            sys.path.insert(0, "plugins")
            return json
        """,
    )


def test_non_identical_copies_of_a_package_move_together() -> None:
    assert_codemod(
        IMPORTS,
        """
        def f():
            import os
            import os.path
            return os.path.join(os.sep)
        """,
        """
        import os
        import os.path


        def f():
            return os.path.join(os.sep)
        """,
    )


def test_a_repeat_after_a_different_form_of_the_package_import() -> None:
    # found by a wider fuzz run: dedupe removes `os` from the last line (it repeats line 3), so
    # hoist must not let that alias hold the other copies of `os`
    assert_codemod(
        IMPORTS,
        """
        json = None


        def f0(a, b=None):
            import os.path
            import os
            import json, os
            return os, json
        """,
        """
        import os.path

        json = None


        def f0(a, b=None):
            import json
            return os, json
        """,
    )


def test_a_module_level_repeat_further_down_does_not_hold_the_function_copy() -> None:
    # found by a wider fuzz run: "already imported further down" held `import json, os`; dedupe
    # then removed the lower `import os` and the `os` of the function, and the next run hoisted
    result = assert_codemod(
        IMPORTS,
        """
        import os


        def f0(a, b=None):
            import json, os
            return json, os
        import os
        """,
        """
        import json
        import os


        def f0(a, b=None):
            return json, os
        """,
    )
    assert [(c.line, c.codemod) for c in result.changes] == [
        (5, "hoist-imports"),
        (7, "dedupe-imports"),  # line 7 as read (line 8 after hoist added `import json`)
    ]


def test_a_repeat_after_another_binding_still_repeats() -> None:
    # found by a wider fuzz run: the loop target holds `json`, but the second `json` repeats the
    # first (dedupe removes it), so it must not hold `os` (an assignment of a literal here: a
    # loop before the import would make the move unsafe)
    assert_codemod(
        IMPORTS,
        """
        def f0(a, b=None):
            json = None
            import json
            import json, os
            return json, os
        """,
        """
        import os


        def f0(a, b=None):
            json = None
            import json
            return json, os
        """,
    )


def test_a_module_level_import_before_the_function_but_below_the_import_block() -> None:
    first = run(
        IMPORTS,
        dedent(
            """
            def g():
                pass
            import os


            def f0(a, b=None):
                import json, os
            """
        ),
    )
    assert run(IMPORTS, first.code).code == first.code


def test_an_import_after_an_importlib_import_moves_with_it_in_one_run() -> None:
    # found by `make smoke` (pydantic/version.py): the second import was held behind the first,
    # which moved, so the next run moved it too
    assert_codemod(
        "hoist-imports",
        """
        import sys
        from os import path


        def f():
            import importlib.metadata
            from os import sep
            return sep, importlib.metadata, sys, path
        """,
        # not merged into `from os import path`: it stays after `import importlib.metadata`
        """
        import sys
        from os import path
        import importlib.metadata
        from os import sep


        def f():
            return sep, importlib.metadata, sys, path
        """,
    )


def test_an_import_after_an_importlib_import_that_stays_is_held_too() -> None:
    assert_codemod(
        "hoist-imports",
        """
        def f():
            import importlib.metadata  # noqa: PLC0415
            import platform
            return platform, importlib.metadata
        """,
        skips=[
            "kept by `# noqa: PLC0415`",
            "runs after `import importlib.metadata  # noqa: PLC0415`, which it may depend on "
            "and which stays in the function",
        ],
    )
    # an unsafe move that is not applied holds it as well; applied, both move
    code = """
        def f():
            try:
                import importlib.metadata
                import platform
                return platform.system(), importlib.metadata.version("x")
            except LookupError:
                return None
        """
    assert_codemod("hoist-imports", code, skips=["runs after `import importlib.metadata`"])
    assert_codemod(
        "hoist-imports",
        code,
        """
        import importlib.metadata
        import platform


        def f():
            try:
                return platform.system(), importlib.metadata.version("x")
            except LookupError:
                return None
        """,
        unsafe=True,
    )


def test_an_alias_imported_above_the_function_is_dropped_and_the_rest_moves() -> None:
    result = assert_codemod(
        "hoist-imports",
        """
        import sys


        def g():
            pass
        from os import path, sep


        def f(a):
            from os import sep, getcwd
            return sep, getcwd(), a, sys, path
        """,
        """
        import sys
        from os import getcwd


        def g():
            pass
        from os import path, sep


        def f(a):
            return sep, getcwd(), a, sys, path
        """,
    )
    assert "`sep` is dropped: the module imports it above the function (line 6)" in (
        result.changes[0].message
    )


def test_an_alias_imported_only_below_the_function_still_holds_the_statement() -> None:
    # below the function (or with a comment inside the statement) nothing is split
    for code in [
        """
        def f():
            import json, os
            return json, os
        import os
        """,
        """
        def g():
            pass
        from os import sep


        def f():
            from os import (
                sep,  # the separator
                getcwd,
            )
            return sep, getcwd
        """,
    ]:
        assert_codemod(
            "hoist-imports", code, skips=["is already imported at module level further down"]
        )


def test_an_import_with_copies_after_an_importlib_import_is_held_with_them() -> None:
    # its copy `import os` must not move alone: `os` would stay local to the function
    assert_codemod(
        "hoist-imports",
        """
        def f():
            import os
            import importlib.metadata  # noqa: PLC0415
            import os.path
            return os.path.sep, importlib.metadata
        """,
        skips=["its copy at line 4 stays", "kept by `# noqa: PLC0415`", "runs after"],
    )
