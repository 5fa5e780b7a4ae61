"""``codemod apply --interactive``, driven through a real pseudo-terminal, plus the validity
check of partial results (per-change review of shared imports: ``test_interactive_changes.py``)."""

from __future__ import annotations

from pathlib import Path

from codemods.review_runs import problem, unresolved_names

from .conftest import run_cli
from .helpers import dedent, run
from .terminal import Terminal

TWO_FUNCTIONS = dedent(
    '''
    import os


    def first():
        import os
        return os.getcwd()


    def filler():
        a = 1
        b = 2
        c = 3
        d = 4
        return a + b + c + d


    def second():
        import os
        return os.sep
    '''
)
ONE_HOIST = "def f():\n    import json\n    return json.dumps(1)\n"


def interactive(tmp_path: Path, *answers: str, paths: tuple[str, ...] = (".",)) -> tuple[int, str]:
    term = Terminal(["apply", "--interactive", "--no-cache", "--select", "hoist-imports", *paths], tmp_path)
    term.answer(*answers)
    return term.finish(), term.text


def applied(tmp_path: Path, name: str, code: str) -> str:
    """What a plain ``codemod apply`` makes of ``code``."""
    work = tmp_path / "reference"
    work.mkdir(exist_ok=True)
    (work / name).write_text(code, encoding="utf-8")
    assert run_cli(["apply", "--no-cache", "--select", "hoist-imports", name], work).returncode == 0
    return (work / name).read_text(encoding="utf-8")


# --- through the terminal ----------------------------------------------------------------------


def test_nothing_to_review_asks_nothing(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("import os\n", encoding="utf-8")
    code, out = interactive(tmp_path)
    assert code == 0
    assert "Apply this change?" not in out
    assert "0 files changed" in out


def test_yes_then_no_writes_only_the_accepted_file(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(ONE_HOIST, encoding="utf-8")
    (tmp_path / "b.py").write_text(ONE_HOIST, encoding="utf-8")
    code, out = interactive(tmp_path, "y", "n")
    assert code == 0, out
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == applied(tmp_path, "a.py", ONE_HOIST)
    assert (tmp_path / "b.py").read_text(encoding="utf-8") == ONE_HOIST
    assert "a.py (1/1)" in out and "b.py (1/1)" in out
    (change,) = run("hoist-imports", ONE_HOIST).changes
    assert f"line 2 [hoist-imports] {change.message}" in out
    assert f"fix: {change.fix_title} (safe)" in out
    assert "-    import json" in out and "+import json" in out
    assert "1 file changed, 1 unchanged" in out


def test_hunks_of_one_file_are_decided_one_by_one(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(TWO_FUNCTIONS, encoding="utf-8")
    code, out = interactive(tmp_path, "n", "y")
    assert code == 0, out
    assert "m.py (1/2)" in out and "m.py (2/2)" in out
    expected = TWO_FUNCTIONS.replace("    import os\n    return os.sep", "    return os.sep")
    assert (tmp_path / "m.py").read_text(encoding="utf-8") == expected


def test_all_and_done_apply_to_the_rest_of_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(TWO_FUNCTIONS, encoding="utf-8")
    (tmp_path / "b.py").write_text(TWO_FUNCTIONS, encoding="utf-8")
    code, out = interactive(tmp_path, "a", "d")
    assert code == 0, out
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == applied(tmp_path, "a.py", TWO_FUNCTIONS)
    assert (tmp_path / "b.py").read_text(encoding="utf-8") == TWO_FUNCTIONS
    assert out.count("Apply this change?") == 2  # 'a' and 'd' answered for the rest of each file


def test_quit_keeps_decided_files_and_leaves_the_rest(tmp_path: Path) -> None:
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / name).write_text(ONE_HOIST, encoding="utf-8")
    code, out = interactive(tmp_path, "y", "q")
    assert code == 0, out
    assert (tmp_path / "a.py").read_text(encoding="utf-8") != ONE_HOIST
    assert (tmp_path / "b.py").read_text(encoding="utf-8") == ONE_HOIST
    assert (tmp_path / "c.py").read_text(encoding="utf-8") == ONE_HOIST
    assert "c.py (1/1)" not in out


def test_help_then_ask_again(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(ONE_HOIST, encoding="utf-8")
    code, out = interactive(tmp_path, "?", "y")
    assert code == 0, out
    assert "d - do not apply this change nor any remaining change in this file" in out
    assert out.count("Apply this change?") == 2
    assert (tmp_path / "a.py").read_text(encoding="utf-8") != ONE_HOIST


def test_needs_a_terminal(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(ONE_HOIST, encoding="utf-8")
    done = run_cli(["apply", "--interactive", "a.py"], tmp_path, stdin=b"y\n")
    assert done.returncode == 2
    assert b"needs a terminal" in done.stderr
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == ONE_HOIST


def test_dry_run_and_interactive_do_not_mix(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(ONE_HOIST, encoding="utf-8")
    done = run_cli(["apply", "--interactive", "--dry-run", "a.py"], tmp_path)
    assert done.returncode == 2 and b"cannot be combined" in done.stderr


# --- the validity check of partial results ---------------------------------------------------


def test_problem_refuses_broken_combinations() -> None:
    before = "def f():\n    import json\n    return json\n"
    after = "import json\ndef f():\n    return json\n"
    assert problem(before, after, after) is None
    assert problem(before, "def f():\n    return json\n", after) == (
        "the result uses names it no longer defines: json"
    )
    assert problem(before, "def f(:\n", after) == "the result does not parse"


def test_unresolved_names() -> None:
    assert unresolved_names("import os\nprint(os, undefined_name)\n") == {"undefined_name"}
    assert unresolved_names("from x import *\nprint(y)\n") is None
    assert unresolved_names("def f(a):\n    return a, __name__, len\n") == set()


def test_follow_symlinks_writes_the_target_of_an_accepted_link(tmp_path: Path) -> None:
    """``--follow-symlinks`` reaches the interactive write too (it refused the link before)."""
    (tmp_path / "target.py").write_text(ONE_HOIST, encoding="utf-8")
    (tmp_path / "link.py").symlink_to("target.py")
    term = Terminal(
        ["apply", "--interactive", "--no-cache", "--follow-symlinks", "--select", "hoist-imports", "link.py"],
        tmp_path,
    )
    term.answer("y")
    assert term.finish() == 0, term.text
    assert (tmp_path / "link.py").is_symlink()
    assert (tmp_path / "target.py").read_text(encoding="utf-8") == applied(tmp_path, "target.py", ONE_HOIST)
