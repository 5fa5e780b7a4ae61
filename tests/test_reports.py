"""Report formats: snapshots of every format over ``fixtures/report-project`` (regenerate with
``python scripts/update_snapshots.py`` and review the diff), the official SARIF schema, exact
SARIF replacements, the markdown size limit, and the GitHub annotation escaping."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codemods import registry
from codemods.api import run_paths
from codemods.reports import REPORT_FORMATS, RunInfo, common, github, markdown, sarif
from codemods.reports.edits import apply_edits, edits, offsets, position, split_lines
from codemods.types import Change, Failure, FileResult, Options, Safety

from .conftest import REPO, git, run_cli

PROJECT = REPO / "fixtures" / "report-project"
SNAPSHOTS = REPO / "fixtures" / "reports"
SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
#: --format -> snapshot file suffix
FORMATS = {"diff": "patch", "github": "txt", "json": "json", "markdown": "md", "sarif": "sarif"}
ARGS = ("check", "--select", "hoist-imports", "--no-cache")
HOIST = registry.get("hoist-imports")


def copy_project(dest: Path) -> Path:
    target = dest / "report-project"
    shutil.copytree(PROJECT, target)
    return target


def render_all(workdir: Path) -> dict[str, bytes]:
    """Snapshot file name -> what the CLI prints for each format, run in ``workdir``."""
    outputs = {}
    for fmt, suffix in FORMATS.items():
        args = [*ARGS, "--diff", "."] if fmt == "diff" else [*ARGS, "--format", fmt, "."]
        done = run_cli(args, workdir)
        assert done.returncode == 3, done.stderr  # one file does not parse
        outputs[f"report-project.{suffix}"] = done.stdout
    return outputs


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return render_all(copy_project(tmp_path_factory.mktemp("snap")))


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[FileResult]:
    work = copy_project(tmp_path_factory.mktemp("results"))
    cwd = Path.cwd()
    os.chdir(work)
    try:
        return list(run_paths([Path(".")], Options(select=("hoist-imports",)), jobs=1))
    finally:
        os.chdir(cwd)


def info(fmt: str = "json") -> RunInfo:
    return RunInfo("check", ("check", "--format", fmt, "."), None, Options(select=("hoist-imports",)), ("hoist-imports",))


# --- snapshots -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(f"report-project.{s}" for s in FORMATS.values()))
def test_snapshot(rendered: dict[str, bytes], name: str) -> None:
    expected = SNAPSHOTS / name
    assert expected.is_file(), f"missing snapshot {name}: run scripts/update_snapshots.py"
    assert rendered[name].decode("utf-8") == expected.read_text(encoding="utf-8"), (
        f"{name} differs from its snapshot; if the change is intended, run "
        "scripts/update_snapshots.py and review the diff"
    )


def test_snapshots_cover_the_edge_cases(rendered: dict[str, bytes]) -> None:
    report = json.loads(rendered["report-project.json"])
    files = {f["path"]: f for f in report["files"]}
    assert files["app/broken.py"]["status"] == "failed"
    assert files["app/ünïcode_päth.py"]["status"] == "changed"
    assert files["app/no_newline.py"]["diff"].endswith("\\ No newline at end of file\n")
    assert files["app/generated_pb2.py"]["status"] == "skipped"
    assert any(not c["applied"] for c in files["app/main.py"]["changes"])  # the unsafe one
    assert files["app/suppressed.py"]["skips"]
    sarif_doc = json.loads(rendered["report-project.sarif"])
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif_doc["runs"][0]["results"]}
    assert "app/%C3%BCn%C3%AFcode_p%C3%A4th.py" in uris


def test_diff_snapshot_applies_with_git(rendered: dict[str, bytes], tmp_path: Path) -> None:
    work = copy_project(tmp_path)
    git(work, "init", "-q")
    git(work, "apply", "--check", "-", stdin=rendered["report-project.patch"])
    git(work, "apply", "-", stdin=rendered["report-project.patch"])
    expected = copy_project(tmp_path / "expected")
    assert run_cli(["apply", "--select", "hoist-imports", "--no-cache", "."], expected).returncode == 3
    for path in sorted(expected.rglob("*.py")):
        rel = path.relative_to(expected)
        assert (work / rel).read_bytes() == path.read_bytes(), rel


def test_reports_are_deterministic_and_relative(tmp_path: Path) -> None:
    work = copy_project(tmp_path)
    one = run_cli([*ARGS, "--format", "json", "-j", "1", "."], work).stdout
    two = run_cli([*ARGS, "--format", "json", "-j", "2", "."], work).stdout
    assert one.replace(b'"1"', b'"2"').replace(b"-j 1", b"-j 2") == two  # only the argv differs
    text = one.decode("utf-8")
    assert str(tmp_path) not in text
    assert json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n" == text


def test_output_option_writes_the_report(tmp_path: Path) -> None:
    work = copy_project(tmp_path)
    done = run_cli([*ARGS, "--format", "sarif", "--output", "out.sarif", "."], work)
    assert done.returncode == 3 and done.stdout == b""
    json.loads((work / "out.sarif").read_text(encoding="utf-8"))


def test_every_format_is_registered() -> None:
    assert sorted(REPORT_FORMATS) == sorted(FORMATS)
    assert REPORT_FORMATS["diff"] is None


# --- SARIF -------------------------------------------------------------------------------------


def validator() -> Any:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def test_sarif_matches_the_official_schema(rendered: dict[str, bytes]) -> None:
    check = validator()
    document = json.loads(rendered["report-project.sarif"])
    errors = [e.message for e in check.iter_errors(document)]
    assert errors == []
    empty = sarif.document(info(), [], [HOIST])
    assert [e.message for e in check.iter_errors(empty)] == []


def test_the_schema_rejects_a_broken_sarif(rendered: dict[str, bytes]) -> None:
    document = json.loads(rendered["report-project.sarif"])
    document["runs"][0]["results"][0]["level"] = "fatal"
    assert list(validator().iter_errors(document))


def apply_replacements(text: str, replacements: list[dict[str, object]]) -> str:
    for r in sorted(replacements, key=lambda r: r["deletedRegion"]["charOffset"], reverse=True):  # type: ignore[index]
        region = r["deletedRegion"]
        start, length = region["charOffset"], region["charLength"]  # type: ignore[index]
        text = text[:start] + r["insertedContent"]["text"] + text[start + length :]  # type: ignore[index]
    return text


def fixes_by_uri(document: dict[str, object]) -> dict[str, list[dict[str, object]]]:
    found: dict[str, list[dict[str, object]]] = {}
    for result in document["runs"][0]["results"]:  # type: ignore[index]
        for fix in result.get("fixes", []):
            for change in fix["artifactChanges"]:
                found.setdefault(change["artifactLocation"]["uri"], []).extend(change["replacements"])
    return found


def test_sarif_fixes_reproduce_the_fixed_files(results: list[FileResult]) -> None:
    document = sarif.document(info("sarif"), results, [HOIST])
    fixes = fixes_by_uri(document)
    changed = [r for r in results if r.changed]
    assert len(changed) == 3
    for result in changed:
        assert result.before is not None and result.after is not None
        replacements = fixes[sarif.uri(result.path)]
        assert apply_replacements(result.before, replacements) == result.after, result.path
        starts = offsets(result.before)
        for r in replacements:
            region = r["deletedRegion"]
            start = (region["startLine"], region["startColumn"])  # type: ignore[index]
            end = (region["endLine"], region["endColumn"])  # type: ignore[index]
            assert start == position(starts, result.before, region["charOffset"])  # type: ignore[index]
            assert end == position(starts, result.before, region["charOffset"] + region["charLength"])  # type: ignore[index]


LINES = st.lists(st.sampled_from(["a", "b", "import x", "", "  y = 1", "z"]), max_size=12)
ENDINGS = st.sampled_from(["\n", "\r\n"])


@settings(max_examples=200, deadline=None)
@given(LINES, LINES, ENDINGS, st.booleans(), st.booleans(), st.data())
def test_edits_and_replacements_are_exact(
    a: list[str], b: list[str], nl: str, a_eol: bool, b_eol: bool, data: st.DataObject
) -> None:
    before = nl.join(a) + (nl if a and a_eol else "")
    after = nl.join(b) + (nl if b and b_eol else "")
    assert "".join(split_lines(before)) == before
    assert apply_edits(before, edits(before, after)) == after
    if before == after:
        return
    lines = data.draw(st.lists(st.integers(1, len(split_lines(before)) + 1), min_size=1, max_size=4))
    changes = tuple(Change(n, "hoist-imports", "m", "f", Safety.SAFE, True) for n in sorted(lines))
    result = FileResult("f.py", changes, before=before, after=after, diff="x")
    document = sarif.document(info("sarif"), [result], [HOIST])
    assert apply_replacements(before, fixes_by_uri(document)["f.py"]) == after
    assert not list(validator().iter_errors(document))


def test_position_counts_lines_like_python() -> None:
    text = "a\r\nb\x0cc\rd"
    starts = offsets(text)
    assert split_lines(text) == ["a\r\n", "b\x0cc\r", "d"]
    assert position(starts, text, 3) == (2, 1)
    assert position(starts, text, len(text)) == (3, 2)  # end of a last line without newline


# --- markdown ----------------------------------------------------------------------------------


def big_results(files: int, lines: int) -> list[FileResult]:
    out = []
    for n in range(files):
        before = "".join(f"    x{i} = {i}  # é\n" for i in range(lines))
        after = before.replace("= ", "== ")
        diff = "".join(f"-    x{i} = {i}  # é\n+    x{i} == {i}  # é\n" for i in range(lines))
        change = Change(1, "hoist-imports", f"message {n}", "fix", Safety.SAFE, True)
        out.append(FileResult(f"pkg/mod_{n:03}.py", (change,), before=before, after=after, diff=f"--- a\n+++ b\n{diff}"))
    return out


def test_markdown_stays_under_the_github_limit() -> None:
    # the first diff alone is larger than the limit, so it is truncated whatever the length of
    # the codemod's documentation in the header (a remainder that happened to fit before)
    results = big_results(1, 2000) + big_results(120, 200)[1:]
    text = markdown.render(info("markdown"), results, [HOIST])
    assert len(text.encode("utf-8")) <= markdown.LIMIT
    assert "Diff truncated" in text and "Diff not shown" in text
    for result in results:  # every file and its change is still listed
        assert f"<code>{result.path}</code>" in text
    assert text.count("<details>") == text.count("</details>")
    fences = [line for line in text.splitlines() if line.startswith("```")]
    assert len(fences) % 2 == 0


def test_markdown_without_pressure_keeps_every_diff() -> None:
    results = big_results(3, 5)
    text = markdown.render(info("markdown"), results, [HOIST])
    assert "truncated" not in text and "not shown" not in text
    assert text.count("```diff") == 3


@pytest.mark.parametrize("limit", [4_000, 9_000, 20_000])
def test_markdown_respects_any_limit(limit: int) -> None:
    text = markdown.render_limited(info("markdown"), big_results(40, 30), [HOIST], limit)
    assert len(text.encode("utf-8")) <= limit


def test_markdown_fence_outlasts_backticks_in_the_diff() -> None:
    result = FileResult(
        "a.py", (Change(1, "hoist-imports", "m", "f", Safety.SAFE, True),),
        before='x = """```"""\n', after='y = """````"""\n', diff='-x = """```"""\n+y = """````"""\n',
    )  # fmt: skip
    text = markdown.render(info("markdown"), [result], [HOIST])
    assert "`````diff" in text


# --- GitHub annotations, JSON details -------------------------------------------------------


def test_github_annotations_escape_their_values() -> None:
    result = FileResult(
        "dir,with:odd%/a.py",
        (Change(3, "hoist-imports", "50% done\nsecond line", "fix it", Safety.DISPLAY_ONLY, False),),
    )
    failed = FileResult("b.py", failure=Failure("parse", "bad: token", line=7))
    out = github.render(info("github"), [result, failed], [HOIST]).splitlines()  # sorted by path
    assert out[1] == (
        "::notice file=dir%2Cwith%3Aodd%25/a.py,line=3,title=hoist-imports::"
        "50%25 done%0Asecond line [display-only fix, not applied]%0AFix: fix it"
    )
    assert out[0] == "::error file=b.py,line=7,title=codemod%3A parse error::parse error:7: bad: token"


def test_json_lists_codemod_documentation(rendered: dict[str, bytes]) -> None:
    report = json.loads(rendered["report-project.json"])
    (entry,) = report["codemods"]
    doc = common.codemod_doc(HOIST)
    assert entry["id"] == "hoist-imports" and entry["summary"] == registry.summary(HOIST)
    assert entry["references"] == [{"description": t, "url": u} for u, t in doc.references]
    assert entry["references"], "hoist-imports documents references"
    assert report["run"]["command_line"] == "codemod check --select hoist-imports --no-cache --format json ."
    assert report["summary"]["files"] == {"changed": 3, "failed": 1, "skipped": 1, "unchanged": 3}


def test_sections_ignore_headings_inside_code() -> None:
    doc = "Summary.\n\n## What it does\nThis.\n```python\n## not a heading\n```\n\n## References\n- [PEP 8](https://peps.python.org/pep-0008/)\n- <https://example.org/x>\n"
    sections = common.split_sections(doc)
    assert list(sections) == ["What it does", "References"]
    assert "## not a heading" in sections["What it does"]
    assert common.parse_references(sections["References"]) == (
        ("https://peps.python.org/pep-0008/", "PEP 8"),
        ("https://example.org/x", "https://example.org/x"),
    )


def test_clean_run_reports_nothing_and_exits_zero(tmp_path: Path) -> None:
    work = tmp_path / "w"
    work.mkdir()
    (work / "ok.py").write_text("import os\n", encoding="utf-8")
    done = run_cli(["check", "--format", "markdown", "--no-cache", "."], work)
    assert done.returncode == 0
    assert b"## codemod: 0 changes in 0 files" in done.stdout


def test_the_documented_codetf_conversion_runs_on_a_report(rendered: dict[str, bytes]) -> None:
    doc = (REPO / "docs" / "reports.md").read_text(encoding="utf-8")
    code = doc.split("<!-- codetf-example -->\n```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/reports.md", "exec"), namespace)
    report = json.loads(rendered["report-project.json"])
    codetf = namespace["to_codetf"](report)
    assert codetf["run"]["commandLine"] == report["run"]["command_line"]
    (result,) = codetf["results"]
    assert result["codemod"] == "codemod:python/hoist-imports"
    assert result["failedFiles"] == ["app/broken.py"]
    paths = [c["path"] for c in result["changeset"]]
    assert paths == ["app/main.py", "app/no_newline.py", "app/ünïcode_päth.py"]
    lines = [c["lineNumber"] for c in result["changeset"][0]["changes"]]
    assert lines == [12, 28]  # the unsafe, unapplied change at line 35 is not in the changeset


# --- integration -------------------------------------------------------------------------------


def test_pre_commit_hooks_run_the_cli(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert set(hooks) == {"codemod", "codemod-apply"}
    (tmp_path / "clean.py").write_text("import os\n", encoding="utf-8")
    (tmp_path / "late.py").write_text("def f():\n    import os\n    return os\n", encoding="utf-8")
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["types"] == ["python"] and hook["require_serial"]
        assert hook["entry"].split()[0] == "codemod"
    check = hooks["codemod"]["entry"].split()[1:]
    assert run_cli([*check, "clean.py"], tmp_path).returncode == 0
    failing = run_cli([*check, "clean.py", "late.py"], tmp_path)
    assert failing.returncode == 1 and b"+++ b/late.py" in failing.stdout
    apply = hooks["codemod-apply"]["entry"].split()[1:]
    assert run_cli([*apply, "late.py"], tmp_path).returncode == 0
    assert run_cli([*check, "late.py"], tmp_path).returncode == 0
