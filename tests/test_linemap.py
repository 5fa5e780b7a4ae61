from __future__ import annotations

from codemods.linemap import LineMap, to_original


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
