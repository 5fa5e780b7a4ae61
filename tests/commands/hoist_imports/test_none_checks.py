"""``deps.NoneChecks``: the names the function holding an import compares with None, read once
per module, answer as the walk of the whole tree for each import did."""

from __future__ import annotations

import ast

from codemods.commands.hoist_imports.deps import NoneChecks

SOURCE = """\
def outer():
    from app import A, B
    if A is None:
        pass

    def inner():
        from app import A, B
        if None == B:
            return A
        return None

    async def other():
        from app import A
        return A


def last():
    from app import B, A
    if B is None or A is not None:
        pass
"""


def test_the_innermost_function_decides_and_the_first_compared_name_wins() -> None:
    checks = NoneChecks(ast.parse(SOURCE))
    assert checks.first(2, ["A", "B"]) == "A"  # outer compares A
    assert checks.first(2, ["B"]) == "B"  # the walk covers functions nested in it, as it always did
    assert checks.first(7, ["A", "B"]) == "B"  # inner, not outer
    assert checks.first(7, ["A"]) is None
    assert checks.first(13, ["A"]) is None  # other compares nothing
    assert checks.first(18, ["A", "B"]) == "B"  # walk order: B's comparison comes first
    assert checks.first(18, []) is None
    assert checks.first(99, ["A"]) is None  # no function holds the line
    assert NoneChecks(None).first(2, ["A"]) is None
