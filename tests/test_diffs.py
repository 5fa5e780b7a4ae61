"""codemods.diffs: the unified diffs ``apply --dry-run`` prints and reports carry."""

from __future__ import annotations

import difflib
import re
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from codemods.diffs import NO_NEWLINE, unified_diff
from tests.helpers import FIXTURES

HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n")


def difflib_diff(before: str, after: str, name: str) -> str:
    """What the tool printed before: ``difflib.unified_diff`` with a/ b/ names and the marker."""
    out = []
    for line in difflib.unified_diff(
        before.splitlines(True), after.splitlines(True), f"a/{name}", f"b/{name}"
    ):
        out.append(line)
        if not line.endswith("\n"):
            out.append(NO_NEWLINE)
    return "".join(out)


def apply_patch(before: str, diff: str) -> str:
    """Apply ``diff`` strictly: every context and removed line must be where the header says,
    hunks in order, counts as declared."""
    old = before.splitlines(True)
    lines = diff.splitlines(True)
    assert lines[0].startswith("--- a/") and lines[1].startswith("+++ b/")
    out: list[str] = []
    done = 0
    index = 2
    while index < len(lines):
        match = HUNK.fullmatch(lines[index])
        assert match, lines[index]
        start, count = int(match[1]), int(match[2] or 1)
        new_count = int(match[4] or 1)
        begin = start - 1 if count else start
        assert begin >= done, "hunks overlap or run backwards"
        out.extend(old[done:begin])
        at, seen_old, seen_new = begin, 0, 0
        index += 1
        while index < len(lines) and not lines[index].startswith("@@"):
            line = lines[index]
            index += 1
            if index < len(lines) and lines[index] == NO_NEWLINE[1:]:
                index += 1  # the marker: this line has no newline
            elif not line.endswith("\n"):
                raise AssertionError(f"line without newline and without the marker: {line!r}")
            tag, text = line[0], line[1:]
            if lines[index - 1] == NO_NEWLINE[1:]:
                text = text[:-1]
            if tag in " -":
                assert old[at] == text, (at, old[at], text)
                at, seen_old = at + 1, seen_old + 1
            if tag in " +":
                out.append(text)
                seen_new += 1
        assert (seen_old, seen_new) == (count, new_count)
        done = at
    out.extend(old[done:])
    return "".join(out)


def test_fixture_diffs_are_difflib_s_except_where_lines_repeat() -> None:
    """On the bundled fixtures (real codemod edits) the hunks are difflib's, but for three files
    whose changed lines repeat (blank lines, in ``comments_stay``), where the matching is
    ambiguous; every diff applies."""
    differ = []
    for before_path in sorted(FIXTURES.glob("*/*.before.py")):
        before = before_path.read_text(encoding="utf-8")
        after = before_path.with_name(before_path.name.replace(".before.", ".after.")).read_text(
            encoding="utf-8"
        )
        if before == after:
            assert unified_diff(before, after, "f.py") == ""
            continue
        diff = unified_diff(before, after, "f.py")
        assert apply_patch(before, diff) == after
        if diff != difflib_diff(before, after, "f.py"):
            differ.append(before_path.name)
    assert differ == [
        "comments_stay.before.py", "copies_in_one_function.before.py", "no_imports_at_all.before.py"
    ]


def test_a_repeated_blank_line_is_matched_to_keep_the_change_together() -> None:
    before = '"""Doc."""\n\n\ndef handler():\n    import uuid\n    return uuid\n'
    after = '"""Doc."""\n\nimport uuid\n\n\ndef handler():\n    return uuid\n'
    diff = unified_diff(before, after, "app.py")
    assert apply_patch(before, diff) == after
    assert "+import uuid\n+\n" in diff


def test_no_newline_at_end_of_file_is_marked_on_either_side() -> None:
    before = "import os\nx = 1"
    after = "import os\nx = 2"
    diff = unified_diff(before, after, "m.py")
    assert diff == (
        "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n import os\n-x = 1\n"
        "\\ No newline at end of file\n+x = 2\n\\ No newline at end of file\n"
    )
    assert apply_patch(before, diff) == after
    assert apply_patch("a\n", unified_diff("a\n", "a\nb", "m.py")) == "a\nb"


def test_absolute_names_are_not_prefixed_and_equal_texts_give_nothing() -> None:
    assert unified_diff("a\n", "a\n", "m.py") == ""
    assert unified_diff("a\n", "b\n", "/abs/m.py").startswith("--- /abs/m.py\n+++ /abs/m.py\n")


def test_crlf_and_line_ending_changes_are_kept_in_the_lines() -> None:
    before = "a\r\nb\r\nc\r\n"
    after = "a\r\nb\nc\r\n"
    diff = unified_diff(before, after, "m.py")
    assert "-b\r\n+b\n" in diff
    assert apply_patch(before, diff) == after


lines = st.lists(st.sampled_from(["a\n", "b\n", "\n", "    pass\n", "x = 1\n", "def f():\n"]), max_size=30)


@settings(max_examples=300, deadline=None)
@given(lines, lines, st.booleans())
def test_every_diff_applies_and_unique_lines_give_difflib_s_hunks(
    old: list[str], new: list[str], cut: bool
) -> None:
    before, after = "".join(old), "".join(new)
    if cut:
        after = after.rstrip("\n")
    diff = unified_diff(before, after, "p.py")
    assert (diff == "") == (before == after)
    if diff:
        assert apply_patch(before, diff) == after


@settings(max_examples=200, deadline=None)
@given(st.sets(st.integers(0, 11)), st.dictionaries(st.integers(0, 12), st.integers(1, 3)))
def test_without_repeated_lines_the_hunks_are_difflib_s(
    dropped: set[int], inserted: dict[int, int]
) -> None:
    """Lines removed and new lines added, as codemods edit: with no line repeated, there is one
    longest matching and both find it. (Reordered lines can match in several equally long
    ways, and the two may pick different ones.)"""
    before = "".join(f"line {i}\n" for i in range(12))
    after = "".join(
        "".join(f"new {i}.{k}\n" for k in range(inserted.get(i, 0)))
        + (f"line {i}\n" if i < 12 and i not in dropped else "")
        for i in range(13)
    )
    if before != after:
        assert unified_diff(before, after, "p.py") == difflib_diff(before, after, "p.py")


def test_git_applies_a_diff_of_many_spread_changes(tmp_path: Path) -> None:
    """The dense case the module exists for: a change every few lines of a long file."""
    before = "".join(f"def f{i}():\n    import os\n    return os.sep, {i}\n\n\n" for i in range(400))
    after = "import os\n\n\n" + before.replace("    import os\n", "")
    diff = unified_diff(before, after, "dense.py")
    assert apply_patch(before, diff) == after
    (tmp_path / "dense.py").write_text(before)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "apply", "-"], cwd=tmp_path, input=diff.encode(), check=True)
    assert (tmp_path / "dense.py").read_text() == after
