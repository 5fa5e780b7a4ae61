"""Test helpers shared by every codemod test (the four checks of ``assert_codemod``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, ScopeProvider

from codemods import registry
from codemods.api import component_facts, run_paths
from codemods.engine import SourceResult, TransformError, transform_source
from codemods.project import ProjectFacts
from codemods.types import FileResult, Options

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DATA = Path(__file__).resolve().parent / "data"
#: The view of a component that declares, unpinned, what the tests import (tests/data/declared).
DECLARED = component_facts(DATA / "declared" / "app.py")


def fixture_texts(*extra: Iterable[str]) -> Iterator[str]:
    """The text of every fixture (``fixtures/<id>/*.py``, sorted), then each of ``extra``."""
    for path in sorted(FIXTURES.glob("*/*.py")):
        yield path.read_text(encoding="utf-8")
    for texts in extra:
        yield from texts


def libcst_modules(texts: Iterable[str]) -> Iterator[cst.Module]:
    """``texts`` as libcst reads them, less those it cannot read."""
    for text in texts:
        try:
            yield cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue


def dedent(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def compiles(code: str) -> bool:
    try:
        compile(code, "<test>", "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


def run(
    codemod_ids: str | Sequence[str],
    code: str,
    options: Options | None = None,
    project: ProjectFacts | None = None,
    path: Path | None = None,
) -> SourceResult:
    ids = [codemod_ids] if isinstance(codemod_ids, str) else list(codemod_ids)
    codemods = [registry.get(i) for i in ids]
    return transform_source(code, codemods, options or Options(), project, path)


def assert_codemod(
    codemod_ids: str | Sequence[str],
    before: str,
    after: str | None = None,
    *,
    options: Options | None = None,
    unsafe: bool = False,
    skips: Sequence[str] | None = None,
    changes: int | None = None,
    project: ProjectFacts | None = None,
    path: Path | None = None,
    dedent_code: bool = True,
) -> SourceResult:
    """Check ``before`` -> ``after`` (``after=None``: no change), that the output parses (and
    compiles when the input did), that a second pass changes nothing, and, when given, that
    the skip reasons contain each expected substring (in order) and the number of changes."""
    if dedent_code:
        before = dedent(before)
        after = dedent(after) if after is not None else None
    expected = before if after is None else after
    opts = options or Options()
    if unsafe:
        opts = replace(opts, unsafe_fixes=True)
    result = run(codemod_ids, before, opts, project, path)
    assert result.code == expected, (
        f"\n--- before\n{before}\n--- expected\n{expected}\n--- got\n{result.code}"
    )
    cst.parse_module(result.code)
    if compiles(before):
        assert compiles(result.code), "output does not compile"
    again = run(codemod_ids, result.code, opts, project, path)
    assert again.code == result.code, f"second pass changed the code:\n{again.code}"
    assert not any(c.applied for c in again.changes), f"second pass applied {again.changes}"
    if skips is not None:
        reasons = [s.reason for s in result.skips]
        assert len(reasons) == len(skips), f"expected skips {list(skips)}, got {reasons}"
        for want, got in zip(skips, reasons, strict=True):
            assert want in got, f"skip reason {got!r} does not contain {want!r}"
    if changes is not None:
        assert len(result.changes) == changes, result.changes
    return result


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dedent(content), encoding="utf-8")


def run_tree(
    root: Path, options: Options | None = None, write: bool = False, jobs: int = 1
) -> dict[str, FileResult]:
    """Run over a directory; results keyed by the path relative to ``root``."""
    results = {}
    for result in run_paths([root], options or Options(), write=write, jobs=jobs):
        rel = Path(result.path).resolve().relative_to(root.resolve()).as_posix()
        results[rel] = result
    return results


def case_options(case: Path) -> tuple[Options, dict[str, Any]]:
    """Read the optional ``<case>.toml`` next to a fixture pair.

    Keys: ``select`` (codemod ids; default: the fixture directory's id), ``unsafe-fixes``,
    ``target-version`` ("3.12"), ``target-fastapi`` ("0.112.2"), ``skips`` (expected skip
    reason substrings, in line order), ``[options]`` (per-codemod options table keyed by id).
    """
    meta_path = case / "case.toml" if case.is_dir() else case.with_name(case.name + ".toml")
    meta: dict[str, Any] = {}
    if meta_path.is_file():
        meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    target = meta.get("target-version")
    fastapi = meta.get("target-fastapi")
    options = Options(
        unsafe_fixes=bool(meta.get("unsafe-fixes", False)),
        target_version=tuple(int(p) for p in target.split(".")) if target else None,  # type: ignore[arg-type]
        target_fastapi=tuple(int(p) for p in fastapi.split(".")) if fastapi else None,
        codemod_options={k: {n: tuple(v) if isinstance(v, list) else v for n, v in o.items()}
                         for k, o in meta.get("options", {}).items()},
    )
    return options, meta


def outcome(source: str, codemods: Sequence[type[Any]], unsafe: bool) -> object:
    """What ``transform_source`` returns for ``source`` (code, changes, skips), or its failure."""
    try:
        result = transform_source(source, codemods, Options(unsafe_fixes=unsafe))
    except TransformError as exc:
        return exc.failure
    return result.code, result.changes, result.skips


def assert_same_when_disabled(
    switch: Any, source: str, codemods: Sequence[type[Any]], unsafe: bool
) -> None:
    """An optimisation with an ``ENABLED`` switch (module ``switch``) changes no outcome."""
    assert switch.ENABLED
    switch.ENABLED = False
    try:
        plain = outcome(source, codemods, unsafe)
    finally:
        switch.ENABLED = True
    assert outcome(source, codemods, unsafe) == plain


def assert_every_codemod_same_when_disabled(switch: Any, sources: Iterable[str], unsafe: bool) -> None:
    """:func:`assert_same_when_disabled` with every codemod, on each of ``sources``."""
    codemods = list(registry.all_codemods().values())
    for source in sources:
        assert_same_when_disabled(switch, source, codemods, unsafe)


def scope_resolutions(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """A list that every later resolution of libcst's ``ScopeProvider`` is appended to."""
    resolved: list[object] = []
    original = MetadataWrapper.resolve

    def spy(self: MetadataWrapper, provider: Any) -> Any:
        if provider is ScopeProvider:
            resolved.append(provider)
        return original(self, provider)

    monkeypatch.setattr(MetadataWrapper, "resolve", spy)
    return resolved


def run_python(cwd: Path, code: str) -> subprocess.CompletedProcess[str]:
    """``python -c code`` in ``cwd`` with this interpreter, output captured, never raising."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
