from __future__ import annotations

import difflib
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from codemods.linemap import LineMap, match_lines, to_original


def test_unchanged_lines_map_to_themselves_after_an_insertion() -> None:
    old = "a\nb\nc\n"
    new = "x\ny\na\nb\nc\n"
    step = LineMap(old, new)
    assert [step.to_old(n) for n in (3, 4, 5)] == [1, 2, 3]
    assert step.to_old(1) == 1  # an inserted line maps to where it was inserted


def test_deletions_and_chains() -> None:
    first = LineMap("a\nb\nc\nd\n", "a\nc\nd\n")  # b deleted
    second = LineMap("a\nc\nd\n", "i\na\nc\nd\n")  # i inserted on top
    assert [to_original(n, [first, second]) for n in (2, 3, 4)] == [1, 3, 4]


def test_later_codemods_report_lines_of_the_file_as_read() -> None:
    from codemods import registry
    from codemods.engine import transform_source
    from codemods.types import Options

    source = (
        "def helper():\n"
        "    import json\n"
        "    return json\n"
        "\n"
        "\n"
        "async def handler():\n"
        "    import time\n"
        "    time.sleep(1)\n"
    )
    ids = ["hoist-imports", "wrap-blocking-calls"]
    result = transform_source(source, [registry.get(i) for i in ids], Options())
    assert result.code.count("\n") > source.count("\n") - 2  # hoist moved lines
    wrapped = [c for c in result.changes if c.codemod == "wrap-blocking-calls"]
    assert [c.line for c in wrapped] == [8]  # `time.sleep(1)` is line 8 of the original


def test_repeated_lines_map_exactly_and_fast_enough_to_finish() -> None:
    """Hundreds of identical handlers: difflib's matcher took minutes on a thousand of them
    (it is quadratic on repeated lines); every reported line must still be the call's line."""
    from codemods import registry
    from codemods.engine import transform_source
    from codemods.types import Options

    parts = ["import time\n"]
    for n in range(300):
        parts.append(f"\n\ndef helper_{n}():\n    import json\n    return json.dumps({n})\n")
        parts.append(f"\n\nasync def handler_{n}():\n    time.sleep(0)\n    return {n}\n")
    source = "".join(parts)
    calls = [n for n, line in enumerate(source.splitlines(), 1) if "time.sleep" in line]
    ids = ["hoist-imports", "wrap-blocking-calls"]
    result = transform_source(source, [registry.get(i) for i in ids], Options())
    hoisted = [c for c in result.changes if c.codemod == "hoist-imports"]
    wrapped = [c for c in result.changes if c.codemod == "wrap-blocking-calls"]
    assert len(hoisted) == 300 and len(wrapped) == 300
    assert sorted(c.line for c in wrapped) == calls


@given(
    old=st.lists(st.sampled_from(["a", "b", "c", "", "pass", "x = 1"]), max_size=40),
    edits=st.lists(
        st.tuples(st.sampled_from(["insert", "delete", "change"]), st.integers(0, 40)), max_size=8
    ),
)
@settings(max_examples=300, deadline=None)
def test_matched_lines_are_equal_and_in_order(old: list[str], edits: list[tuple[str, int]]) -> None:
    new = list(old)
    for op, at in edits:
        if op == "insert":
            new.insert(at % (len(new) + 1), "new")
        elif new and op == "delete":
            del new[at % len(new)]
        elif new:
            new[at % len(new)] = "changed"
    pairs = match_lines(old, new)
    assert all(old[i] == new[j] for i, j in pairs)
    assert all(a[0] < b[0] and a[1] < b[1] for a, b in itertools.pairwise(pairs))
    step = LineMap("".join(f"{line}\n" for line in old), "".join(f"{line}\n" for line in new))
    assert all(step.to_old(j + 1) == i + 1 for i, j in pairs)
    if len(set(old)) == len(old):  # nothing repeats: as many lines kept as difflib keeps
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        assert len(pairs) == sum(b.size for b in matcher.get_matching_blocks())
