"""The lines around added imports as ruff lays them out (ruff is the oracle, as in
``test_import_order.py``): the blank lines after a block the new imports open, and the comment
after the ``)`` of a wrapped ``from`` import."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_import_order import apply, format_clean, isort_clean, ruff

#: Found by ``make smoke`` (``django/test/utils.py``): a module whose last import sits in a
#: ``try`` block followed by two blank lines. The hoisted import opens a block of its own there,
#: and ruff wants exactly one blank line after a block before anything but a ``def``/``class``.
AFTER_TRY = """\
    import os

    try:
        import yaml
    except ImportError:
        yaml = None


    X = 1


    def f():
        import json

        return json, os, yaml, X
    """

#: a comment with a blank line under it is a statement of its own to ruff: one blank line above
#: it, not the two a ``def`` takes
COMMENT_APART = '''\
    """Doc."""

    # helpers


    def f():
        import json

        return json
    '''

BLANK_LINE_CASES = {
    "after a try": (AFTER_TRY, "    yaml = None\nimport json\n\nX = 1\n"),
    "comment apart from a def": (COMMENT_APART, "import json\n\n# helpers\n\n\ndef f():\n"),
}


@pytest.mark.parametrize("case", BLANK_LINE_CASES, ids=list(BLANK_LINE_CASES))
def test_a_new_block_takes_exactly_ruffs_blank_lines_after_it(tmp_path: Path, case: str) -> None:
    source, expected = BLANK_LINE_CASES[case]
    after = apply(tmp_path, {"svc/main.py": source}, "hoist-imports")
    assert expected in after, after
    assert isort_clean(tmp_path), ruff(tmp_path, "check", "--select", "I").stdout + after
    assert format_clean(tmp_path), after


def test_comment_after_the_parenthesis_of_a_wrapped_import_keeps_the_block_sorted(
    tmp_path: Path,
) -> None:
    """Found by ``make smoke-apps`` (marimo): ruff keeps a comment after the ``)`` of a wrapped
    ``from`` import there, so the block is sorted; the model printed it after the ``(`` and the
    hoisted import went after the block's last line."""
    source = """\
        import os
        from os.path import (
            basename,
            join,
        )  # type: ignore

        from fastapi import FastAPI


        def f():
            import json

            return json, os, basename, join, FastAPI
        """
    after = apply(tmp_path, {"svc/main.py": source}, "hoist-imports")
    assert after.startswith("import json\nimport os\nfrom os.path import (\n"), after
    assert "    join,\n)  # type: ignore\n\nfrom fastapi" in after, after
    assert isort_clean(tmp_path), ruff(tmp_path, "check", "--select", "I").stdout + after
