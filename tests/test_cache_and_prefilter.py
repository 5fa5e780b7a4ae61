"""The cache never changes an answer, and the prefilter never skips a file a full run would change."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from codemods import api, registry
from codemods import project as project_module
from codemods.api import gather, run_paths
from codemods.cache import SCHEMA
from codemods.engine import TransformError, transform_source, triggered
from codemods.project import forget_paths, resolved
from codemods.types import FileResult, Options

from .helpers import FIXTURES, write_tree

ALL = list(registry.all_codemods().values())


def outcome(root: Path, cache_dir: Path | None, options: Options | None = None) -> list[tuple[object, ...]]:
    return [
        (r.path, r.after, r.changes, r.skips, r.failure, r.skipped)
        for r in run_paths([root], options or Options(select=("ALL",)), cache_dir=cache_dir, jobs=1)
    ]


@pytest.mark.parametrize("case", sorted(p for p in FIXTURES.glob("*/*.before.py")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_prefilter_never_skips_a_file_a_full_run_would_change(case: Path) -> None:
    source = case.read_text(encoding="utf-8")
    for unsafe in (False, True):
        options = Options(unsafe_fixes=unsafe)
        try:
            fast = transform_source(source, ALL, options, prefilter=True)
        except TransformError as exc:
            pytest.fail(exc.failure.describe())
        full = transform_source(source, ALL, options, prefilter=False)
        assert fast.code == full.code
        assert [c for c in fast.changes if c.applied] == [c for c in full.changes if c.applied]
        # the ast prefilter must keep every skip report of the codemods whose trigger matched
        # (a codemod whose textual trigger is absent has nothing to act on or report)
        matched = {c.ID for c in triggered(ALL, source)}
        assert fast.skips == tuple(s for s in full.skips if s.codemod in matched)


EDGE_CASES = {
    "class-body import": "class A:\n    import os\n",
    "import on the def line": "def f(): import os\n",
    "duplicate in elif": "import os\nif x:\n    pass\nelif y:\n    import os\n",
    "duplicate in a match case": "match x:\n    case 1:\n        import os\n        import os\n",
    "function copies a module import": "import os\n\ndef f():\n    if x:\n        import os\n    return os\n",
    "nested class in function": "def f():\n    class A:\n        import os\n",
    "try/except* import": "def f():\n    try:\n        import os\n    except* OSError:\n        import sys\n",
    "async def with blocking call": "import time\n\nasync def f():\n    time.sleep(1)\n",
    "star imports twice": "from os import *\nfrom os import *\n",
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_ast_prefilter_agrees_with_a_full_run(name: str) -> None:
    source = EDGE_CASES[name]
    fast = transform_source(source, ALL, Options(unsafe_fixes=True), prefilter=True)
    full = transform_source(source, ALL, Options(unsafe_fixes=True), prefilter=False)
    matched = {c.ID for c in triggered(ALL, source)}
    assert (fast.code, fast.changes) == (full.code, full.changes)
    assert fast.skips == tuple(s for s in full.skips if s.codemod in matched)


def test_gathered_candidates_are_used_only_for_the_text_they_were_computed_on(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "import os\nX = os.sep\n", "b.py": "def f():\n    import os\n"})
    project, _ = gather([tmp_path / "a.py", tmp_path / "b.py"], ALL)
    a = project.candidates_for(tmp_path / "a.py", "import os\nX = os.sep\n")
    b = project.candidates_for(tmp_path / "b.py", "def f():\n    import os\n")
    assert a is not None and b is not None
    assert {"hoist-imports", "dedupe-imports", "wrap-blocking-calls"} & a == set()
    assert {"hoist-imports", "dedupe-imports", "wrap-blocking-calls"} & b == {"hoist-imports"}
    assert project.candidates_for(tmp_path / "a.py", "def f():\n    import os\n") is None
    # a file edited after the gather phase is checked again, not skipped on stale facts
    # (an import the function uses: an unused one stays for its side effects)
    edited = "def f():\n    import os\n    return os\n"
    stale = transform_source(edited, ALL, Options(), project, tmp_path / "a.py")
    assert stale.code == "import os\n\n\ndef f():\n    return os\n"


def entries(cache: Path) -> int:
    """How many entries the cache holds."""
    count: int = sqlite3.connect(cache / f"v{SCHEMA}.sqlite").execute("SELECT count(*) FROM entries").fetchone()[0]
    return count


def test_warm_cache_gives_the_same_answers(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    write_tree(project, {
        "a.py": "import os\n\ndef f():\n    import json  # ok\n    return json\n",
        "b.py": "def g():\n    from a import f\n    return f\n",
        "c.py": "X = 1\n",
        "broken.py": "def h(:\n",
    })  # fmt: skip
    cache = tmp_path / "cache"
    cold = outcome(project, cache)
    warm = outcome(project, cache)
    assert cold == warm == outcome(project, None)
    rows = entries(cache)
    assert rows > 0


INVALIDATIONS = {
    # b.py is given too; it now imports a at import time: hoisting `import b` would be a cycle
    "a given file changes": ("proj", "b", "b.py"),
    # only a.py is given; b.py is read because a.py imports it (a "followed" file): the
    # project entry must notice that b.py changed although no given file did
    "a followed file outside the given paths changes": ("proj/a.py", "b", "b.py"),
    # `c` does not exist at first (a declared third-party name: hoisted); once c.py appears and
    # imports a, hoisting would create a cycle. No file the run reads changed: only a listing.
    "a module file appears": ("proj/a.py", "c", "c.py"),
}


@pytest.mark.parametrize(("given", "imported", "edited"), INVALIDATIONS.values(), ids=INVALIDATIONS.keys())
def test_cross_file_change_invalidates_results(tmp_path: Path, given: str, imported: str, edited: str) -> None:
    project = tmp_path / "proj"
    write_tree(project, {
        "a.py": f"def f():\n    import {imported}\n    return {imported}.VALUE\n",
        "b.py": "VALUE = 1\n",
        "requirements.txt": "c\n",
    })  # fmt: skip
    cache = tmp_path / "cache"
    options = Options(select=("hoist-imports",))

    def result_for_a() -> FileResult:
        return next(r for r in run_paths([tmp_path / given], options, cache_dir=cache, jobs=1) if r.path.endswith("a.py"))

    assert result_for_a().changed  # no cycle: hoisted
    (project / edited).write_text("import a\nVALUE = 1\n", encoding="utf-8")
    second = result_for_a()
    assert not second.changed
    assert any("cycle" in s.reason for s in second.skips)


def test_a_changed_declaration_invalidates_results(tmp_path: Path) -> None:
    """What a component declares decides too: a requirement dropped from requirements.txt (no
    Python file changed) keeps the import in its function on the next run."""
    project = tmp_path / "proj"
    write_tree(project, {
        "a.py": "def f():\n    import requests\n    return requests.get\n",
        "requirements.txt": "requests\n",
    })  # fmt: skip
    cache = tmp_path / "cache"
    options = Options(select=("hoist-imports",))

    def result() -> FileResult:
        return next(iter(run_paths([project], options, cache_dir=cache, jobs=1)))

    assert result().changed
    (project / "requirements.txt").write_text("httpx\n", encoding="utf-8")
    second = result()
    assert not second.changed
    assert any("no distribution providing `requests` is declared" in s.reason for s in second.skips)


@pytest.mark.parametrize(
    ("files", "edit"),
    [
        # a pyproject.toml with tool settings only becomes a component of its own
        ({"svc/pyproject.toml": "[tool.ruff]\n"}, ("svc/pyproject.toml", "[project]\nname = 'svc'\ndependencies = []\n")),
        # requirements/ gains the file that makes its directory a component
        ({"svc/requirements/README": ""}, ("svc/requirements/base.txt", "httpx\n")),
    ],
    ids=["pyproject gains [project]", "requirements/ gains base.txt"],
)
def test_what_makes_a_component_invalidates_results(
    tmp_path: Path, files: dict[str, str], edit: tuple[str, str]
) -> None:
    """The repository root declares `requests`; once `svc/` is a component of its own (which
    does not), the import stays in its function."""
    project = tmp_path / "proj"
    write_tree(project, {
        ".git/HEAD": "",
        "requirements.txt": "requests\n",
        "svc/a.py": "def f():\n    import requests\n    return requests.get\n",
        **files,
    })  # fmt: skip
    cache = tmp_path / "cache"
    options = Options(select=("hoist-imports",))

    def result() -> FileResult:
        return next(iter(run_paths([project / "svc/a.py"], options, cache_dir=cache, jobs=1)))

    assert result().changed
    (project / edit[0]).write_text(edit[1], encoding="utf-8")
    assert not result().changed
    assert result() == next(iter(run_paths([project / "svc/a.py"], options, jobs=1)))


def test_tampered_entries_are_ignored(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    write_tree(project, {"a.py": "X = 1\n"})
    cache = tmp_path / "cache"
    expected = outcome(project, cache)
    db = sqlite3.connect(cache / f"v{SCHEMA}.sqlite")
    with db:
        db.execute("UPDATE entries SET value = X'00' || substr(value, 2)")
    assert outcome(project, cache) == expected


def test_cached_changes_are_reused_by_check_but_apply_still_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "proj"
    write_tree(project, {"a.py": "def f():\n    import json\n    return json\n"})
    cache = tmp_path / "cache"
    options = Options(select=("hoist-imports",))
    cold = list(run_paths([project], options, cache_dir=cache, jobs=1))
    monkeypatch.chdir(project)  # the diff names the path as seen from the working directory
    warm = list(run_paths([Path(".")], options, cache_dir=cache, jobs=1))
    uncached = list(run_paths([Path(".")], options, jobs=1))
    assert cold[0].changed and warm == uncached
    assert warm[0].diff.startswith("--- a/a.py\n")
    written = list(run_paths([Path(".")], options, write=True, cache_dir=cache, jobs=1))
    assert written[0].written
    assert (project / "a.py").read_text(encoding="utf-8") == "import json\n\n\ndef f():\n    return json\n"
    assert not next(iter(run_paths([Path(".")], options, cache_dir=cache, jobs=1))).changed


def test_a_warm_run_does_not_gather_when_every_result_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "proj"
    write_tree(project, {
        "a.py": "def f():\n    import b\n    return b.VALUE\n",
        "b.py": "VALUE = 1\n",
        "c.py": "import time\n\nasync def g():\n    time.sleep(1)\n",
    })  # fmt: skip
    cache = tmp_path / "cache"
    cold = outcome(project, cache)

    def no_gather(*args: object, **kwargs: object) -> None:
        raise AssertionError("the warm run gathered")

    monkeypatch.setattr(project_module, "gather_project", no_gather)
    monkeypatch.setattr(project_module, "gather_file", no_gather)
    assert outcome(project, cache) == cold
    # one edited file: its result is recomputed, which needs the project facts again
    (project / "c.py").write_text("import time\n\nasync def g():\n    time.sleep(2)\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="the warm run gathered"):
        outcome(project, cache)
    monkeypatch.undo()
    assert outcome(project, cache) == outcome(project, None)


def test_resolved_paths_match_pathlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "real" / "pkg").mkdir(parents=True)
    (tmp_path / "real" / "pkg" / "m.py").write_text("", encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "pkg" / "alias.py").symlink_to(tmp_path / "real" / "pkg" / "m.py")
    (tmp_path / "real" / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    monkeypatch.chdir(tmp_path / "link")
    given = [
        "pkg/m.py", "./pkg/m.py", "pkg//m.py", "pkg/alias.py", "dangling.py", "pkg/missing.py",
        "../link/pkg/m.py", "pkg/../pkg/m.py", str(tmp_path / "link" / "pkg" / "m.py"), ".", "pkg",
    ]  # fmt: skip
    forget_paths()
    for text in given:
        assert resolved(text) == str(Path(text).resolve()), text
        assert resolved(Path(text)) == str(Path(text).resolve()), text


def test_a_later_codemod_is_checked_again_on_its_own_input(monkeypatch: pytest.MonkeyPatch) -> None:
    # hoist-imports changes the file; its output has no duplicate import, so dedupe-imports
    # (whose trigger matched the text) has nothing to do there and is not run at all
    dedupe = registry.get("dedupe-imports")

    def refuse(self: object, module: object) -> object:
        raise AssertionError("dedupe-imports ran")

    monkeypatch.setattr(dedupe, "transform", refuse)
    source = "import os\n\n\ndef f():\n    import json\n    return json, os\n"
    result = transform_source(source, [registry.get("hoist-imports"), dedupe], Options())
    assert result.code == "import json\nimport os\n\n\ndef f():\n    return json, os\n"
    # with a duplicate left in its input it does run (and here, refuses)
    with pytest.raises(TransformError, match="dedupe-imports ran"):
        transform_source(source + "import os\n", [registry.get("hoist-imports"), dedupe], Options())


def test_results_are_not_cached_when_the_facts_differ_from_the_remembered_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as when a followed file is edited between the project entry's check and the gather:
    # results would be stored under a digest that does not name the facts they used
    project = tmp_path / "proj"
    write_tree(project, {"a.py": "def f():\n    import b\n    return b\n", "b.py": "X = 1\n"})
    cache = tmp_path / "cache"
    monkeypatch.setattr(api.GatherRun, "_remembered", lambda self, cache: "an older digest")
    outcome(project, cache)
    rows = entries(cache)
    assert rows == 2  # the two files' gather facts; no result, no project entry
    monkeypatch.undo()
    assert outcome(project, cache) == outcome(project, None)
    rows = entries(cache)
    assert rows == 5  # and now two results and the project entry
