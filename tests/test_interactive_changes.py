"""``apply --interactive`` asks per change even when the fixes add imports (issue 22).

Every subset of four fixes is reviewed through the real CLI on a pseudo-terminal, one file per
subset in one run: the file compiles, holds exactly the accepted fixes, an added import is
there iff an accepted fix needs it (once), a dropped one is gone iff every reader was
rewritten, ruff's F401/I001 are as clean as after a full apply, the endpoints still answer,
and a plain ``codemod apply`` afterwards gives the fully fixed file.
"""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from codemods import registry
from codemods.api import run_paths, select_codemods
from codemods.review_runs import Reruns, run_facts
from codemods.types import Options

from .conftest import run_cli
from .helpers import FIXTURES
from .terminal import Terminal

RUFF = Path(sys.executable).parent / "ruff"
PYPROJECT = "[project]\nname = 'svc'\nversion = '0'\ndependencies = ['fastapi']\n"
#: True for an accepted change, in file order; all 16 subsets of four changes
SUBSETS = list(itertools.product((False, True), repeat=4))
NAMES = ("first", "second", "third", "fourth")
CODEMOD_IDS = sorted(registry.all_codemods())


def endpoint(number: int, body: str) -> str:
    return f'\n\n@app.get("/{number}")\nasync def {NAMES[number]}():\n{body}'


def run_call(number: int) -> str:
    return f'    return subprocess.run(["true", "{number}"], check=True).returncode\n'


def run_fixed(number: int) -> str:
    return f'    return (await run_in_threadpool(subprocess.run, ["true", "{number}"], check=True)).returncode\n'


SLEEP = "    time.sleep(0)\n    return 0\n"
SLEEP_FIXED = "    await asyncio.sleep(0)\n    return 0\n"


def shared_import(accepted: tuple[bool, ...]) -> str:
    """Four blocking calls whose fixes all need ``run_in_threadpool``."""
    head = "import subprocess\n\nfrom fastapi import FastAPI\n"
    if any(accepted):
        head += "from fastapi.concurrency import run_in_threadpool\n"
    body = "".join(endpoint(i, run_fixed(i) if yes else run_call(i)) for i, yes in enumerate(accepted))
    return f"{head}\napp = FastAPI()\n{body}"


def two_imports(accepted: tuple[bool, ...]) -> str:
    """Sleeps (``asyncio``, and ``time`` dropped with its last reader) and blocking calls
    (``run_in_threadpool``), alternating."""
    sleeps, calls = accepted[0::2], accepted[1::2]
    head = "import asyncio\n" if any(sleeps) else ""
    head += "import subprocess\n" + ("import time\n" if not all(sleeps) else "")
    head += "\nfrom fastapi import FastAPI\n"
    if any(calls):
        head += "from fastapi.concurrency import run_in_threadpool\n"
    blocks = []
    for i, yes in enumerate(accepted):
        if i % 2 == 0:
            blocks.append(endpoint(i, SLEEP_FIXED if yes else SLEEP))
        else:
            blocks.append(endpoint(i, run_fixed(i) if yes else run_call(i)))
    return f"{head}\napp = FastAPI()\n{''.join(blocks)}"


def name(accepted: tuple[bool, ...]) -> str:
    return "s" + "".join("1" if yes else "0" for yes in accepted) + ".py"


def ruff_clean(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUFF), "check", "--no-cache", "--select", "F401,I001", "."],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip


def answered(root: Path, source: str) -> str:
    """One file per subset, reviewed in one run with that subset's answers; the output."""
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    for accepted in SUBSETS:
        (root / name(accepted)).write_text(source, encoding="utf-8")
    term = Terminal(["apply", "--interactive", "--no-cache", "--select", "wrap-blocking-calls", "."], root)
    for accepted in sorted(SUBSETS, key=name):  # path order
        term.answer(*("y" if yes else "n" for yes in accepted))
    assert term.finish() == 0, term.text
    return term.text


def endpoints_answer(path: Path) -> None:
    spec = importlib.util.spec_from_file_location(f"reviewed_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with TestClient(module.app) as client:
        for number in range(4):
            response = client.get(f"/{number}")
            assert response.status_code == 200 and response.json() == 0


def check_every_subset(tmp_path: Path, expected: Callable[[tuple[bool, ...]], str]) -> str:
    none, everything = expected((False,) * 4), expected((True,) * 4)
    full = tmp_path / "full"
    full.mkdir()
    (full / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (full / "m.py").write_text(none, encoding="utf-8")
    assert run_cli(["apply", "--no-cache", "--select", "wrap-blocking-calls", "m.py"], full).returncode == 0
    assert (full / "m.py").read_text(encoding="utf-8") == everything  # the oracle is the tool's full apply
    assert ruff_clean(full).returncode == 0

    root = tmp_path / "review"
    out = answered(root, none)
    for accepted in SUBSETS:
        path = root / name(accepted)
        text = path.read_text(encoding="utf-8")
        assert text == expected(accepted), (accepted, text)
        compile(text, str(path), "exec", dont_inherit=True)
        endpoints_answer(path)
    assert out.count("Apply this change?") == 4 * len(SUBSETS)
    for accepted in SUBSETS:
        for step in range(1, 5):
            assert f"{name(accepted)} ({step}/4)" in out
    lint = ruff_clean(root)
    assert lint.returncode == 0, lint.stdout
    # the declined fixes are still found, and applying them gives the fully fixed file
    assert run_cli(["apply", "--no-cache", "--select", "wrap-blocking-calls", "."], root).returncode == 0
    for accepted in SUBSETS:
        assert (root / name(accepted)).read_text(encoding="utf-8") == everything
    return out


def test_four_fixes_sharing_one_import_every_subset(tmp_path: Path) -> None:
    out = check_every_subset(tmp_path, shared_import)
    # the import is shown with each change asked while none was accepted yet, then no more
    shown = sum(accepted.index(True) + 1 if any(accepted) else 4 for accepted in SUBSETS)
    assert out.count("+from fastapi.concurrency import run_in_threadpool") == shown


def test_two_different_added_imports_every_subset(tmp_path: Path) -> None:
    check_every_subset(tmp_path, two_imports)


#: hoist-imports moves line 14 and then drops the repeated `json` of line 16; dedupe-imports
#: removes lines 9 and 22
COPIES = (FIXTURES / "hoist-imports/copies_in_one_function.before.py").read_text(encoding="utf-8")
COPIES_ARGS = ["apply", "--interactive", "--no-cache", "--select", "hoist-imports,dedupe-imports", "m.py"]


def test_a_change_that_needs_a_declined_one_is_left_out(tmp_path: Path) -> None:
    """Line 16 drops `json` because line 14 moves: with line 14 declined it is not asked."""
    (tmp_path / "m.py").write_text(COPIES, encoding="utf-8")
    term = Terminal(COPIES_ARGS, tmp_path)
    term.answer("y", "n", "y")  # lines 9, 14, 22
    assert term.finish() == 0, term.text
    assert term.text.count("Apply this change?") == 3
    assert "m.py (3/4)" not in term.text
    assert "m.py: line 16 [hoist-imports]" in term.text
    assert "not applied: the change at line 16 needs a change that was not accepted" in term.text
    lines = COPIES.splitlines(keepends=True)
    assert (tmp_path / "m.py").read_text(encoding="utf-8") == "".join(lines[:8] + lines[9:21] + lines[22:])


def test_all_remaining_with_a_change_that_cannot_be_made_asks_all_or_nothing(tmp_path: Path) -> None:
    for answer, written in (("n", False), ("y", True)):
        (tmp_path / "m.py").write_text(COPIES, encoding="utf-8")
        term = Terminal(COPIES_ARGS, tmp_path)
        term.answer("y", "n", "a", answer)  # 'a' at line 22 takes line 16 too, which needs line 14
        assert term.finish() == 0, term.text
        assert "the accepted changes cannot be written on their own" in term.text
        after = (tmp_path / "m.py").read_text(encoding="utf-8")
        assert (after != COPIES) is written
        if written:
            assert run_cli(["check", "--no-cache", "--select", "hoist-imports,dedupe-imports", "m.py"], tmp_path).returncode == 0


CREATE_ALL = FIXTURES / "lifespan/create_all.before.py"
LIFESPAN_ARGS = ["apply", "--interactive", "--no-cache", "--select", "lifespan", "--unsafe-fixes", "m.py"]


def test_a_change_that_needs_a_later_one_is_asked_after_it(tmp_path: Path) -> None:
    """Moving `create_all` (line 19) into the lifespan needs the lifespan (line 21)."""
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "m.py").write_text(CREATE_ALL.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_cli([a for a in LIFESPAN_ARGS if a != "--interactive"], reference).returncode == 0
    for second, expected in (("y", (reference / "m.py").read_text(encoding="utf-8")), ("n", None)):
        (tmp_path / "m.py").write_text(CREATE_ALL.read_text(encoding="utf-8"), encoding="utf-8")
        term = Terminal(LIFESPAN_ARGS, tmp_path)
        term.answer("y", second)
        assert term.finish() == 0, term.text
        assert term.text.index("m.py (2/2)") < term.text.index("m.py (1/2)")
        after = (tmp_path / "m.py").read_text(encoding="utf-8")
        if expected is not None:
            assert after == expected
        else:  # the lifespan without the tables: they are still created at import
            assert "app = FastAPI(lifespan=lifespan)" in after
            assert "\nBase.metadata.create_all(bind=engine)\n" in after
            compile(after, "m.py", "exec", dont_inherit=True)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python reads PEP 695 syntax")
def test_a_file_python_cannot_read_is_one_question(tmp_path: Path) -> None:
    """PEP 695 syntax is newer than this Python's: libcst is not run on it again in the
    reviewing process, so its changes are taken or left together."""
    source = (FIXTURES / "hoist-imports/pep695_syntax.before.py").read_text(encoding="utf-8")
    args = ["apply", "--interactive", "--no-cache", "--select", "hoist-imports", "m.py"]
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "m.py").write_text(source, encoding="utf-8")
    assert run_cli([a for a in args if a != "--interactive"], reference).returncode == 0
    (tmp_path / "m.py").write_text(source, encoding="utf-8")
    term = Terminal(args, tmp_path)
    term.answer("y")
    assert term.finish() == 0, term.text
    assert "m.py: its changes are one change here: its syntax is newer than this Python's" in term.text
    assert term.text.count("Apply this change?") == 1
    assert (tmp_path / "m.py").read_text(encoding="utf-8") == (reference / "m.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("folder", [*CODEMOD_IDS, "metaguardian"])
def test_every_fixture_can_be_reviewed_change_by_change(folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A re-run with every change gives back each fixture's result with the same changes (the
    keys are stable); one without any single change applies exactly the others, or says which
    change needs the one left out, and compiles."""
    monkeypatch.chdir(FIXTURES / folder)
    options = Options(unsafe_fixes=True)
    codemods = select_codemods(options)
    reruns = Reruns(codemods, options, lambda: run_facts([Path(".")], codemods, options, 1))
    for result in run_paths([Path(".")], options, jobs=1):
        if not result.changed:
            continue
        found = reruns.changes(result)
        if isinstance(found, str):  # libcst is not run again in the reviewing process on it
            assert result.path == "pep695_syntax.before.py" and "newer than this Python's" in found
            continue
        assert sorted(found.values()) == sorted(c for c in result.changes if c.applied)
        for key in found:
            outcome = reruns.run(result, frozenset(found) - {key})
            if outcome.reason is None:
                compile(outcome.text, result.path, "exec", dont_inherit=True)
            else:
                assert "needs a change that was not accepted" in outcome.reason, outcome.reason
