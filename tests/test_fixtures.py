"""Every ``fixtures/<codemod-id>/<case>.before.py`` becomes ``<case>.after.py``.

Multi-file cases are directories ``fixtures/<codemod-id>/<case>/before/`` and ``.../after/``:
the whole tree is rewritten on disk (gather phase included) and compared file by file.
Cases run only the codemod named by their directory unless their ``.toml`` says ``select``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codemods import registry
from codemods.api import component_facts
from codemods.types import Options

from .helpers import FIXTURES, assert_codemod, case_options, run_tree

CODEMOD_IDS = sorted(registry.all_codemods())


def single_cases() -> list[object]:
    cases = []
    for codemod_id in CODEMOD_IDS:
        for before in sorted((FIXTURES / codemod_id).glob("*.before.py")):
            cases.append(pytest.param(before, id=f"{codemod_id}/{before.name[: -len('.before.py')]}"))
    return cases


def tree_cases() -> list[object]:
    cases = []
    for codemod_id in CODEMOD_IDS:
        for case in sorted((FIXTURES / codemod_id).glob("*/before")):
            cases.append(pytest.param(case.parent, id=f"{codemod_id}/{case.parent.name}"))
    return cases


@pytest.mark.parametrize("before", single_cases())
def test_fixture_pair(before: Path) -> None:
    codemod_id = before.parent.name
    case = before.with_name(before.name[: -len(".before.py")])
    after = before.with_name(case.name + ".after.py")
    options, meta = case_options(case)
    select = meta.get("select", [codemod_id])
    assert_codemod(
        select,
        before.read_text(encoding="utf-8"),
        after.read_text(encoding="utf-8"),
        options=options,
        skips=meta.get("skips"),
        dedent_code=False,
        path=before,
        # the declarations of the fixture's directory, as a run without a gather phase sees them
        project=component_facts(before),
    )


@pytest.mark.parametrize("case", tree_cases())
def test_fixture_tree(case: Path, tmp_path: Path) -> None:
    codemod_id = case.parent.name
    options, meta = case_options(case)
    options = Options(
        select=tuple(meta.get("select", [codemod_id])),
        unsafe_fixes=options.unsafe_fixes,
        target_version=options.target_version,
        target_fastapi=options.target_fastapi,
        codemod_options=options.codemod_options,
    )
    work = tmp_path / case.name
    shutil.copytree(case / "before", work)
    results = run_tree(work, options, write=True)
    assert not [r for r in results.values() if r.failure], results
    expected = {p.relative_to(case / "after").as_posix(): p for p in (case / "after").rglob("*.py")}
    got = {p.relative_to(work).as_posix(): p for p in work.rglob("*.py")}
    assert sorted(got) == sorted(expected)
    for rel, path in expected.items():
        assert got[rel].read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), rel
    # idempotence: a second run over the rewritten tree changes nothing
    again = run_tree(work, options, write=False)
    assert not [r.path for r in again.values() if r.changed]
    if "skips" in meta:
        reasons = [s.reason for r in results.values() for s in r.skips]
        for want in meta["skips"]:
            assert any(want in reason for reason in reasons), (want, reasons)
