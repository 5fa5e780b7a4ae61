"""The cache never changes an answer, and the prefilter never skips a file a full run would change."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from codemods import registry
from codemods.api import run_paths
from codemods.engine import TransformError, transform_source
from codemods.types import Options

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
    rows = sqlite3.connect(cache / "v1.sqlite").execute("SELECT count(*) FROM entries").fetchone()[0]
    assert rows > 0


def test_cross_file_change_invalidates_results(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    write_tree(project, {
        "a.py": "def f():\n    import b\n    return b.VALUE\n",
        "b.py": "VALUE = 1\n",
    })  # fmt: skip
    cache = tmp_path / "cache"
    options = Options(select=("hoist-imports",))
    first = {r.path.rsplit("/", 1)[-1]: r for r in run_paths([project], options, cache_dir=cache, jobs=1)}
    assert first["a.py"].changed  # no cycle: hoisted
    # b now imports a at import time: hoisting `import b` in a would create a cycle
    (project / "b.py").write_text("import a\nVALUE = 1\n", encoding="utf-8")
    second = {r.path.rsplit("/", 1)[-1]: r for r in run_paths([project], options, cache_dir=cache, jobs=1)}
    assert not second["a.py"].changed
    assert any("cycle" in s.reason for s in second["a.py"].skips)


def test_tampered_entries_are_ignored(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    write_tree(project, {"a.py": "X = 1\n"})
    cache = tmp_path / "cache"
    expected = outcome(project, cache)
    db = sqlite3.connect(cache / "v1.sqlite")
    with db:
        db.execute("UPDATE entries SET value = X'00' || substr(value, 2)")
    assert outcome(project, cache) == expected
